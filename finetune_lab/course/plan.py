"""The course plan: what each notebook teaches, how long it takes, what it should show (notebook 00).

``COURSE_PLAN`` is the one owner of these facts: notebook 00 prints it as a
table (``course_table``), and ``tests/test_plan.py`` holds the README's course
table and each notebook's stated minutes equal to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from finetune_lab import REPO_ROOT

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


@dataclass(frozen=True)
class PlannedNotebook:
    """One row of the course plan shown in notebook 00."""

    name: str
    teaches: str
    cpu_minutes: str
    expected: str


COURSE_PLAN = (
    PlannedNotebook("00_start_here", "what the course teaches, how to run it, an environment check",
                    "<1", "every required check is ok"),
    PlannedNotebook("01_empirical_risk", "supervised learning as minimising the empirical risk "
                    "(the average loss over training examples): the gradient step with weight "
                    "decay, mini-batches", "<1",
                    "the risk falls; too large a learning rate diverges"),
    PlannedNotebook("02_binary_cross_entropy", "the sigmoid and binary cross-entropy with their "
                    "gradients by hand, checked against tf-keras and finite differences", "<1",
                    "our loss and gradient match tf-keras"),
    PlannedNotebook("03_training_from_scratch", "logistic regression on SST-2 (TF-IDF features) "
                    "trained with our loss and gradient step, checked against scikit-learn",
                    "<2", "about 0.82 dev accuracy, within 1 point of scikit-learn"),
    PlannedNotebook("04_transfer_learning", "foundation models, pre-training and transfer: "
                    "a pretrained encoder's features with a new head", "<=5",
                    "pretrained features beat training from scratch"),
    PlannedNotebook("05_fine_tune_bert", "fine-tuning MiniLM on an 8,000-example SST-2 subset: "
                    "AdamW, warm-up, weight decay, early stopping; common mistakes measured", "<=10",
                    ">=0.85 dev accuracy"),
    PlannedNotebook("06_evaluation_and_deployment", "bootstrap intervals, calibration, a decision "
                    "threshold, error analysis, SavedModel export, monitoring a stream",
                    "2-3 (4-5 without 05's model)", "about 0.88 test accuracy; the export predicts the same"),
)


def course_status(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """``{notebook: "ready" | "planned"}`` for the plan, plus unplanned notebooks found."""
    present = [path.stem for path in find_notebooks(notebooks_dir)]
    status = {planned.name: "ready" if planned.name in present else "planned"
              for planned in COURSE_PLAN}
    status.update({name: "ready" for name in present if name not in status})
    return status


def course_table(notebooks_dir: Path = NOTEBOOKS_DIR) -> str:
    """The course plan as a Markdown table, its status read from the folder (notebook 00)."""
    plan = {planned.name: planned for planned in COURSE_PLAN}
    lines = ["| notebook | what it teaches | CPU minutes | expected result | status |",
             "| --- | --- | --- | --- | --- |"]
    for name, status in course_status(notebooks_dir).items():
        row = plan.get(name, PlannedNotebook(name, "(not in the course plan yet)", "", ""))
        lines.append(f"| {name} | {row.teaches} | {row.cpu_minutes} | {row.expected} | {status} |")
    return "\n".join(lines) + "\n"



def find_notebooks(folder: Path, only: Sequence[str] = ()) -> list[Path]:
    """The course notebooks in ``folder``, in order; ``only`` keeps names starting with a prefix.

    Raises:
        ValueError: a prefix in ``only`` matches no notebook.
    """
    notebooks = sorted(Path(folder).glob(NOTEBOOK_PATTERN))
    for prefix in only:
        if not any(path.stem.startswith(prefix) for path in notebooks):
            names = ", ".join(path.stem for path in notebooks) or "none"
            raise ValueError(f"--only {prefix!r} matches no notebook in {folder}: found {names}")
    if only:
        notebooks = [path for path in notebooks if path.stem.startswith(tuple(only))]
    return notebooks
