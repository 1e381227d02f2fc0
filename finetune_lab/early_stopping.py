"""Early stopping and the training history: one rule and one record for every loop (notebooks 03 and 05).

The rule, as Keras' ``EarlyStopping(patience=k, restore_best_weights=True)``
applies it: after each epoch the validation score is compared with the best
so far. Training stops once ``patience`` epochs **in a row** have not
improved on it, and the weights of the best epoch are the ones kept. So with
``patience = 1`` training stops after the first epoch that is not better;
with ``patience = 3``, after three such epochs in a row. A loop with fewer
epochs than that never stops early, but still keeps the best epoch.

Used by ``from_scratch.logistic_regression`` (notebook 03, validation loss),
``pretrained.fine_tune`` (notebook 05, validation accuracy or loss) and the
exercise checker of notebook 03. No TensorFlow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from finetune_lab.checks import check_counts

MODES = ("min", "max")


@dataclass
class EarlyStopping:
    """Tracks the best epoch and says when to stop.

    Attributes:
        patience: epochs in a row without improvement after which training
            stops; a whole number >= 1.
        mode: ``"min"`` for a score where lower is better (a loss), ``"max"``
            where higher is better (an accuracy).
        best_score: the best score so far (inf or -inf before the first epoch).
        best_epoch: the 1-based epoch that scored it (0 before the first).
        waited: epochs in a row since the last improvement.

    Raises:
        ValueError: ``patience`` not a whole number >= 1, or an unknown mode.
    """

    patience: int
    mode: str = "min"
    best_score: float = field(init=False)
    best_epoch: int = field(init=False, default=0)
    waited: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        check_counts(patience=self.patience)
        if self.mode not in MODES:
            raise ValueError(f"mode must be 'min' (a loss) or 'max' (an accuracy), got {self.mode!r}")
        self.best_score = math.inf if self.mode == "min" else -math.inf

    def improved(self, score: float) -> bool:
        """Whether ``score`` beats the best so far (strictly; NaN never does)."""
        return score < self.best_score if self.mode == "min" else score > self.best_score

    def update(self, epoch: int, score: float) -> bool:
        """Record the score of ``epoch`` (1-based); return True if it is the new best (keep its weights)."""
        if self.improved(score):
            self.best_score, self.best_epoch, self.waited = score, epoch, 0
            return True
        self.waited += 1
        return False

    @property
    def should_stop(self) -> bool:
        """True once ``patience`` epochs in a row have not improved."""
        return self.waited >= self.patience


def stopping_epochs(scores, patience: int, mode: str = "min") -> tuple[int, int]:
    """``(best_epoch, stopped_epoch)`` for a list of per-epoch validation scores, by the rule above.

    Epochs count from 1. Without a stop, ``stopped_epoch`` is the last epoch.
    This is the reference answer of notebook 03's early-stopping exercise.
    """
    rule = EarlyStopping(patience, mode)
    for epoch, score in enumerate(scores, start=1):
        rule.update(epoch, score)
        if rule.should_stop:
            return rule.best_epoch, epoch
    return rule.best_epoch, len(scores)


@dataclass
class History:
    """What happened during training: the one shape every loop fills in.

    Per epoch (index e is epoch e + 1):
        train_loss: mean training loss (nats per example).
        validation_loss: mean validation loss (nats per example).
        validation_accuracy: share of validation examples classified correctly.
    Per step (empty for loops that do not record them):
        step_loss: the batch's empirical risk (nats per example).
        step_learning_rate: η at that step.
    Summary:
        best_epoch: the 1-based epoch whose weights were kept.
        stopped_early: whether early stopping ended training before the last epoch.
        seconds: wall-clock training time, validation included.
        warnings: what the loop noticed (e.g. a collapse to one class), one line each.
        interrupted: training was stopped by the user (SIGINT) before its end; it can be resumed
            from its checkpoint (``pretrained.fine_tune``'s ``resume``).
    """

    train_loss: list[float] = field(default_factory=list)
    validation_loss: list[float] = field(default_factory=list)
    validation_accuracy: list[float] = field(default_factory=list)
    step_loss: list[float] = field(default_factory=list)
    step_learning_rate: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    interrupted: bool = False

    @property
    def epochs_run(self) -> int:
        """Epochs trained (and validated)."""
        return len(self.validation_loss)

    def record_epoch(self, train_loss: float, validation_loss: float, validation_accuracy: float) -> None:
        """Append one epoch's three figures."""
        self.train_loss.append(float(train_loss))
        self.validation_loss.append(float(validation_loss))
        self.validation_accuracy.append(float(validation_accuracy))
