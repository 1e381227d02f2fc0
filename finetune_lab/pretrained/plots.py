"""Plots shared by the fine-tuning notebooks (notebook 05, sections 3 and 4).

Each function draws on a new matplotlib figure and returns it; the notebook
shows it. Nothing here computes a result: the numbers come from
``early_stopping.History`` and ``metrics``. ``LiveCurves`` redraws
``training_curves`` in place while ``fine_tune`` trains (``live_plot=True``).
"""

from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay

from finetune_lab.course.messages import tr


def training_curves(history, steps_per_epoch: int, validation_examples: int | None = None):
    """Per-step training loss (with a moving average), per-epoch validation loss and accuracy.

    Epochs are whole numbers on the accuracy axis; a run that early stopping
    ended is marked where it stopped.

    Args:
        history: a ``early_stopping.History``.
        steps_per_epoch: batches per epoch, to place the epoch marks on the step axis.
        validation_examples: the validation set's size n; given, each
            validation accuracy p gets an error bar of ±1 standard error,
            sqrt(p (1 − p) / n), so a difference inside the bars reads as noise.
    """
    figure, (loss_axis, accuracy_axis) = plt.subplots(1, 2, figsize=(11, 3.6))
    steps = np.arange(1, len(history.step_loss) + 1)
    loss_axis.plot(steps, history.step_loss, color="lightgray", label=tr("training loss (each step)"))
    window = max(1, min(steps_per_epoch // 10, len(history.step_loss)))
    smooth = np.convolve(history.step_loss, np.ones(window) / window, mode="valid")
    loss_axis.plot(steps[window - 1:], smooth, label=tr("training loss ({window}-step average)", window=window))
    epoch_ends = steps_per_epoch * np.arange(1, len(history.validation_loss) + 1)
    loss_axis.plot(epoch_ends, history.validation_loss, "o-", label=tr("validation loss (each epoch)"))
    loss_axis.set(xlabel=tr("step"), ylabel=tr("cross-entropy (nats)"), title=tr("Loss"))
    loss_axis.legend()
    epochs = np.arange(1, len(history.validation_accuracy) + 1)
    accuracy = np.asarray(history.validation_accuracy)
    errors = None if validation_examples is None else np.sqrt(accuracy * (1 - accuracy) / validation_examples)
    accuracy_axis.errorbar(epochs, accuracy, yerr=errors, fmt="o-", capsize=4,
                           label=tr("validation accuracy") if errors is None else tr("validation accuracy ± 1 standard error"))
    if history.best_epoch:  # None when training was interrupted before its first epoch ended
        accuracy_axis.axvline(history.best_epoch, linestyle=":", color="gray", label=tr("best epoch (kept)"))
    if history.stopped_early:
        accuracy_axis.axvline(len(epochs), linestyle="--", color="tab:red", label=tr("early stopping stopped here"))
    accuracy_axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    accuracy_axis.set(xlabel=tr("epoch"), ylabel=tr("accuracy"), title=tr("Validation accuracy"), xlim=(0.5, max(len(epochs), 1) + 0.5))
    accuracy_axis.legend(fontsize="small")
    figure.tight_layout()
    return figure


def confusion_matrix(metrics: dict, title: str):
    """Draw ``metrics["confusion_matrix"]``: rows the true class, columns the predicted one.

    ``metrics`` comes from ``metrics.classification_metrics`` (two classes,
    named negative and positive) or ``metrics.multiclass_metrics``, whose
    ``class_names`` label the K rows and columns (notebook 07).
    """
    names = metrics.get("class_names", ["negative", "positive"])  # data's class names: not translated
    size = 2.4 + 0.7 * len(names)
    figure, axis = plt.subplots(figsize=(size, size * 0.9))
    ConfusionMatrixDisplay(np.array(metrics["confusion_matrix"]),
                           display_labels=names).plot(ax=axis, colorbar=False)
    axis.set(title=title, xlabel=tr("Predicted label"), ylabel=tr("True label"))
    figure.tight_layout()
    return figure


class LiveCurves:
    """``training_curves`` redrawn in place during training, in JupyterLab (notebook 05, section 3).

    One output is displayed at the first update and replaced every
    ``every`` steps and at each epoch's end (IPython's ``display_id``), so a
    collapse or a diverging loss shows while it happens. Where no one watches
    (no IPython kernel, or the course runner, which sets
    ``FINETUNE_LAB_RUN_DIR``) it draws nothing: the notebook's static plot
    after training is the record.

    Args:
        steps_per_epoch: batches per epoch (``training_curves``).
        every: steps between redraws; each costs a figure render (about 0.1 s).
    """

    def __init__(self, steps_per_epoch: int, every: int = 25):
        self.steps_per_epoch, self.every, self.handle = steps_per_epoch, every, None
        self.enabled = _watched()

    def step(self, history, epoch_ended: bool = False) -> None:
        """Redraw if ``every`` steps have passed or an epoch just ended."""
        if not self.enabled or not history.step_loss or (len(history.step_loss) % self.every and not epoch_ended):
            return
        from IPython.display import display

        figure = training_curves(history, self.steps_per_epoch)
        if self.handle is None:
            self.handle = display(figure, display_id=True)
        else:
            self.handle.update(figure)
        plt.close(figure)  # shown through the display handle only, not again at the cell's end


def _watched() -> bool:
    """Whether a person may be watching: an IPython kernel, not started by the course runner."""
    from finetune_lab.course.records import RUN_DIR_VARIABLE

    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel") and not os.environ.get(RUN_DIR_VARIABLE)
