"""nbval over notebooks/ (``make test``): the English edition fully, of a translated edition only the notebooks
that ``plan.NBVAL_TRANSLATED`` names (the cheap ones; see there why).

A translated notebook left out here is still held to the English one: its code is the English code, cell for
cell (``python -m finetune_lab.course translate --check``, in the unit tests).
"""

from pathlib import Path

from finetune_lab.course.plan import NBVAL_TRANSLATED, NOTEBOOKS_DIR


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Skip a translated notebook that ``NBVAL_TRANSLATED`` does not name (None: pytest decides as usual)."""
    path = Path(collection_path)
    if path.suffix != ".ipynb" or path.parent.parent.resolve() != NOTEBOOKS_DIR.resolve():
        return None
    language = path.parent.name
    return path.stem not in NBVAL_TRANSLATED.get(language, ())
