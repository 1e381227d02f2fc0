"""The course plan: what each notebook teaches, how long it takes, what it should show (notebook 00).

``COURSE_PLAN`` is the one owner of these facts. Notebook 00 shows it as a
table (``course_table``), the README's course table is written from it
(``readme_table``), and each notebook's first cell states its minutes in the
words of ``minutes_statement``; ``python -m finetune_lab.course sync`` checks
both copies and ``tests/test_sync.py`` holds them equal to the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from finetune_lab import REPO_ROOT
from finetune_lab.course.params import NOTEBOOK_PARAMETERS

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

# The translated editions (``translation``): notebooks/<language>/, built from the English notebooks.
# A notebook listed here must have a complete, current translation: ``translate --check`` and
# tests/test_translation.py fail otherwise. Translators add their notebook when its translation is done;
# every notebook is listed before the edition is published.
TRANSLATED: dict[str, tuple[str, ...]] = {
    "zh": (),
}


@dataclass(frozen=True)
class PlannedNotebook:
    """One row of the course plan.

    Attributes:
        name: the notebook's file name without ".ipynb".
        teaches: what it teaches, in a phrase (Markdown).
        cpu_minutes: wall-clock minutes with the default parameters on an idle
            2-core CPU, rounded to the nearest minute; 0 means under a minute.
            Measured as the executed notebook's ``metadata.papermill.duration``.
        expected: the result to expect with the defaults.
        minutes_note: when the time depends on something else, what and how much.
    """

    name: str
    teaches: str
    cpu_minutes: int
    expected: str
    minutes_note: str = ""

    def minutes(self) -> str:
        """The CPU minutes as a table cell: ``< 1``, ``about 7``, with the note in brackets."""
        text = "< 1" if self.cpu_minutes == 0 else f"about {self.cpu_minutes}"
        return f"{text} ({self.minutes_note})" if self.minutes_note else text

    def minutes_statement(self) -> str:
        """The sentence each notebook's first cell uses for its time, e.g.
        ``About 7 minutes on an idle 2-core CPU``."""
        if self.cpu_minutes == 0:
            text = "Under a minute"
        else:
            text = f"About {self.cpu_minutes} minute" + ("s" if self.cpu_minutes > 1 else "")
        text += " on an idle 2-core CPU"
        return f"{text} ({self.minutes_note})" if self.minutes_note else text


def _default(notebook: str, name: str) -> object:
    """A parameter's default, so that the plan's prose does not restate it."""
    return next(p.default for p in NOTEBOOK_PARAMETERS[notebook] if p.name == name)


COURSE_PLAN = (
    PlannedNotebook(
        "00_start_here", "the map of the course, how to run it, an environment check, a bilingual glossary",
        0, "every required check is ok"),
    PlannedNotebook(
        "01_empirical_risk", "empirical risk L(θ) = (1/N) Σ ℓ(M_θ(x_i), y_i) and its gradient; learning "
        "rates that crawl, converge, zig-zag or diverge; weight decay as gradient descent on "
        "L + (λ/2)‖θ‖²; why AdamW is not Adam + L2",
        0, "the risk falls to its minimum; too large a learning rate diverges"),
    PlannedNotebook(
        "02_binary_cross_entropy", "from the Bernoulli likelihood to the loss; the chain rule down to "
        "(ŷ − y)·x; log(0) and overflow versus the stable from-logits form; gradient checks against "
        "finite differences and `tf.GradientTape`; for K classes, softmax cross-entropy, its gradient "
        "softmax(z) − onehot(y), and with K = 2 the binary loss of z₁ − z₀",
        0, "our loss and gradients match tf-keras and finite differences"),
    PlannedNotebook(
        "03_training_from_scratch", "TF-IDF logistic regression on SST-2 trained with our loss and "
        "`gradient_step`; a validation split grouped by source sentence; training and validation curves, "
        "early stopping, a weight-decay sweep, an overfitting run where both help",
        1, "about 0.81 dev accuracy, within 1 point of scikit-learn"),
    PlannedNotebook(
        "04_transfer_learning", "WordPiece tokens and the encoder's three inputs; frozen-encoder features "
        "([CLS] vs mean pooling, and what each checkpoint's [CLS] was trained for) with notebook 03's "
        "logistic regression vs TF-IDF; fine-tuning vs a tuned random initialisation vs feature extraction; "
        "freezing strategies and layer-wise learning rates; a data-efficiency curve with error bars over "
        "seeds and the dev sample; masked-language-model pretraining (offline proxy); exercises",
        5, "fine-tuning about 0.63–0.80 dev accuracy at 32–1,000 examples; a random initialisation with its "
        "own learning rate stays near 0.5, 0.2–0.3 below from 100 examples on (inside the noise at 32)"),
    PlannedNotebook(
        "05_fine_tune_bert", "fine-tuning MiniLM (BERT architecture) on "
        f"{_default('05_fine_tune_bert', 'num_train_examples'):,} SST-2 examples with AdamW, warm-up, "
        "weight decay, early stopping (and a run where it stops); a leak-free validation split; why fine-tuning "
        "learning rates are small; a mean-pooling head against [CLS]; the seed spread; common mistakes measured; "
        "exercises",
        6, "dev accuracy from about 0.5 (a new head) to about 0.86"),
    PlannedNotebook(
        "06_evaluation_and_deployment", "test metrics for any number of classes (per class, macro F1, the "
        "majority baseline) with bootstrap intervals, ROC and PR curves and a threshold chosen on dev (two "
        "classes), calibration (reliability diagram, ECE, temperature scaling), error analysis, reload in a "
        "fresh process, latency and throughput, a SavedModel export, monitoring a stream with an alert",
        1, "about 0.88 test accuracy; the export predicts the same",
        minutes_note="with notebook 05's saved model; an estimated 2 without it"),
    PlannedNotebook(
        "07_your_own_data", "the financial-sentiment scenario end to end on the Financial PhraseBank (three "
        "imbalanced classes): majority and TF-IDF baselines, notebook 05's recipe on "
        f"{_default('07_your_own_data', 'epochs')} epochs of its training set, per-class metrics and macro F1, "
        "the confusion matrix, a monitored news stream with an alert, save and reload, domain shift from "
        "SST-2 and fine-tuning again; the same on your own CSV",
        3, "about 0.98 test accuracy and 0.97 macro F1 (majority class 0.615, TF-IDF 0.88)"),
)


def planned(name: str) -> PlannedNotebook | None:
    """The plan's row for notebook ``name``, or None."""
    return next((row for row in COURSE_PLAN if row.name == name), None)


def course_status(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """``{notebook: "ready" | "planned"}`` for the plan, plus unplanned notebooks found."""
    present = [path.stem for path in find_notebooks(notebooks_dir)]
    status = {row.name: "ready" if row.name in present else "planned" for row in COURSE_PLAN}
    status.update({name: "ready" for name in present if name not in status})
    return status


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def course_table(notebooks_dir: Path = NOTEBOOKS_DIR) -> str:
    """The course plan as a Markdown table, its status read from the folder (notebook 00)."""
    rows = []
    for name, status in course_status(notebooks_dir).items():
        row = planned(name)
        cells = ([row.teaches, row.minutes(), row.expected] if row
                 else ["(not in the course plan yet)", "", ""])
        rows.append([name, *cells, status])
    return _markdown_table(["notebook", "what it teaches", "CPU minutes", "expected result", "status"], rows)


def readme_table() -> str:
    """The README's course table: the plan, without the status of a local folder."""
    rows = [[f"`{row.name}`", row.teaches, row.minutes(), row.expected] for row in COURSE_PLAN]
    return _markdown_table(["notebook", "what it teaches", "CPU minutes", "expected result"], rows)


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
