"""The one early-stopping rule, checked against Keras' EarlyStopping, and the shared History."""

import finetune_lab.pretrained  # noqa: F401  (Keras 2 before TensorFlow loads)
import numpy as np
import pytest
import tensorflow as tf

from finetune_lab.course.exercises import early_stopping_epochs
from finetune_lab.early_stopping import EarlyStopping, History, stopping_epochs
from finetune_lab.from_scratch.logistic_regression import fit_logistic_regression

LOSSES = [0.9, 0.7, 0.6, 0.65, 0.62, 0.58, 0.59, 0.61, 0.63, 0.64]


def keras_stopped_epoch(scores, patience: int, mode: str) -> int:
    """The 1-based epoch after which tf.keras' EarlyStopping ends training (the last if it never does)."""
    callback = tf.keras.callbacks.EarlyStopping(monitor="score", patience=patience, mode=mode)
    callback.set_model(tf.keras.Sequential())
    callback.on_train_begin()
    for epoch, score in enumerate(scores):
        callback.on_epoch_end(epoch, {"score": score})
        if callback.model.stop_training:
            return epoch + 1
    return len(scores)


@pytest.mark.parametrize("patience", [1, 2, 3, 4, 20])
@pytest.mark.parametrize("mode, scores", [("min", LOSSES), ("max", [-x for x in LOSSES]),
                                          ("max", [0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7])])
def test_the_rule_stops_where_keras_early_stopping_stops(patience, mode, scores):
    best_epoch, stopped_epoch = stopping_epochs(scores, patience, mode)
    assert stopped_epoch == keras_stopped_epoch(scores, patience, mode)
    chosen = np.argmin if mode == "min" else np.argmax
    assert best_epoch == int(chosen(scores[:stopped_epoch])) + 1  # first of ties: strict improvement


def test_patience_one_stops_after_the_first_epoch_that_is_not_better():
    assert stopping_epochs([0.5, 0.4, 0.45, 0.3], patience=1) == (2, 3)
    assert stopping_epochs([0.5, 0.4, 0.45, 0.3], patience=2) == (4, 4)


def test_the_exercise_reference_is_the_same_rule():
    for patience in (1, 2, 3, 20):
        assert early_stopping_epochs(LOSSES, patience) == stopping_epochs(LOSSES, patience)


def test_nan_never_improves():
    rule = EarlyStopping(patience=2)
    assert rule.update(1, 0.5) and not rule.update(2, float("nan")) and rule.waited == 1


@pytest.mark.parametrize("patience", [0, -1, 1.5, True, "2"])
def test_patience_must_be_a_whole_number_of_at_least_one(patience):
    with pytest.raises(ValueError, match="patience must be a whole number >= 1"):
        EarlyStopping(patience)
    with pytest.raises(ValueError, match="mode must be"):
        EarlyStopping(1, mode="best")


def test_logistic_regression_and_the_rule_agree_on_its_own_curve():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, 5))
    labels = (features[:, 0] + rng.normal(scale=2.0, size=200) > 0).astype(float)
    result = fit_logistic_regression(features[:20], labels[:20], features[20:], labels[20:], learning_rate=5.0,
                                     batch_size=4, max_epochs=40, patience=2, weight_decay=0.0, seed=0,
                                     decay_learning_rate=False)
    assert isinstance(result.history, History)
    losses = result.history.validation_loss
    assert (result.best_epoch, result.stopped_epoch) == stopping_epochs(losses, 2)
    assert result.history.stopped_early == (result.stopped_epoch < 40)
    assert len(result.weight_norm) == result.history.epochs_run == len(result.history.train_loss)
