"""Argument checks shared by every cluster: one rule, one message per kind of mistake.

NumPy only, so the math of notebooks 01-03 can use it without TensorFlow.
"""

from __future__ import annotations

import numpy as np


def check_counts(least: int = 1, **counts) -> None:
    """Raise ``ValueError`` naming the first count that is not a whole number >= ``least``.

    For batch sizes, epochs, steps, bins, windows, pools: ``check_counts(batch_size=32, epochs=2)``.
    A bool is not a count (``True`` is an int in Python).
    """
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"{name} must be a whole number >= {least}, got {value!r}")
