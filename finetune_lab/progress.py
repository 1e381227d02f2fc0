"""Progress bars whose stored output tells the truth once they finish.

``tqdm.auto`` in a Jupyter kernel draws an ipywidgets bar and displays it
once; a notebook saved by papermill or nbconvert keeps that display's text,
written when the bar was at 0% (``epoch 1/2:   0%|   | 0/225``), and widget
state that a browser without the kernel cannot draw. ``progress_bar`` is the
same widget bar, displayed with a display id: when it closes, the display is
updated with the finished bar, so the stored text reads
``epoch 1/2: 100%|██████████| 225/225 [...]``; a bar with ``leave=False``
updates its display to nothing. Outside a kernel (scripts, tests) it is
tqdm's text bar.

    for batch in progress_bar(batches, desc="epoch 1/2", unit="batch"):
        ...
"""

from __future__ import annotations

from typing import Any

from tqdm import tqdm as text_tqdm


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (JupyterLab, papermill, nbval), as ``tqdm.auto`` decides."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and "IPKernelApp" in shell.config


def _notebook_class() -> type | None:
    """The finishing widget bar class, or None without ipywidgets."""
    try:
        from IPython.display import display
        from tqdm.notebook import tqdm_notebook
    except ImportError:
        return None

    class FinishingNotebookBar(tqdm_notebook):
        """tqdm's widget bar whose display is updated to the final bar when it closes."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, display=False, **kwargs)
            self._handle = None
            if not self.disable:
                self._handle = display(self.container, display_id=True)
                self.displayed = True

        def close(self) -> None:
            if self.disable:
                return
            super().close()
            handle, self._handle = self._handle, None
            if handle is None:
                return
            if self.leave or self.container.children[-2].bar_style == "danger":
                bundle = self.container._repr_mimebundle_()
                bundle["text/plain"] = self.container.__repr__(True)  # the bar as it ended, in blocks not '#'
                handle.update(bundle, raw=True)
            else:
                handle.update({"text/plain": ""}, raw=True)

    return FinishingNotebookBar


def progress_bar(*args: Any, **kwargs: Any) -> text_tqdm:
    """A tqdm bar: the finishing widget bar in a Jupyter kernel, tqdm's text bar elsewhere.

    Takes tqdm's arguments (iterable, ``total``, ``desc``, ``unit``, ``disable``,
    ``leave``, ...) and returns a ``tqdm`` instance.
    """
    bar_class = _notebook_class() if _in_kernel() else None
    return (bar_class or text_tqdm)(*args, **kwargs)
