"""Stop training at the end of a step when the user interrupts (notebook 05, section 3).

Jupyter's "interrupt kernel" button, Ctrl+C in a terminal and the course
runner's time limit all send SIGINT, which Python turns into a
``KeyboardInterrupt`` wherever the program happens to be: possibly half-way
through an optimizer update. ``stop_requests`` turns the first SIGINT into a
request that the training loop reads between two steps, so the step in
progress ends, a checkpoint is written and the loop returns what it has. A
second SIGINT interrupts at once, as usual.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


class StopRequest:
    """Whether a stop was asked for; ``bool(request)`` is True once SIGINT arrived."""

    def __init__(self) -> None:
        self.asked = False

    def __bool__(self) -> bool:
        return self.asked


@contextlib.contextmanager
def stop_requests() -> Iterator[StopRequest]:
    """While the block runs, the first SIGINT sets the request instead of raising.

    Only the main thread can install a signal handler (ipykernel runs cells
    there); elsewhere the block runs unchanged and a ``KeyboardInterrupt``
    raises as usual. The previous handler is put back when the block ends.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is None:  # installed outside Python: fall back to raising KeyboardInterrupt
        previous = signal.default_int_handler

    def ask_to_stop(signum, frame):
        request.asked = True
        signal.signal(signal.SIGINT, previous)  # a second interrupt is not deferred

    signal.signal(signal.SIGINT, ask_to_stop)
    try:
        yield request
    finally:
        signal.signal(signal.SIGINT, previous)
