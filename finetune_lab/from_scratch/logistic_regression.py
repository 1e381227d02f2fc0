"""Logistic regression trained with our loss and ``gradient_step`` (notebook 03).

Thin on purpose: notebook 03 writes one mini-batch step out cell by cell,
then calls ``fit_logistic_regression`` to repeat it for many epochs. The model
is ``logits = features @ weights + bias``; the loss is the mean binary
cross-entropy from logits; the weights (not the bias) get weight decay, so
the objective is ``(1/N) sum_i l_i + (weight_decay / 2) * ||weights||^2``,
the same one scikit-learn's ``LogisticRegression(C=1 / (weight_decay * N))`` minimises.

Features may be a dense NumPy array or a SciPy sparse matrix (TF-IDF), shape
``(N, num_features)``; labels are 0/1 of shape ``(N,)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from finetune_lab.checks import check_counts
from finetune_lab.early_stopping import EarlyStopping, History
from finetune_lab.from_scratch.gradient_step import gradient_step, minibatch_indices
from finetune_lab.from_scratch.losses import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_gradient


def linear_logits(features, weights: np.ndarray, bias: float) -> np.ndarray:
    """``z = X w + b``: shape ``(N,)`` float64 from features ``(N, num_features)``."""
    return np.asarray(features @ weights, dtype=np.float64).reshape(-1) + bias


def logistic_regression_gradients(features, labels, weights: np.ndarray, bias: float):
    """Gradients of the mean binary cross-entropy with respect to ``weights`` and ``bias``.

    Chain rule of notebook 02, section 2: ``dL/dz = (sigmoid(z) - y) / N`` and ``dz/dw = x``,
    so ``dL/dw = X^T (sigmoid(z) - y) / N`` and ``dL/db = sum(sigmoid(z) - y) / N``.
    No weight decay here: ``gradient_step`` adds it.

    Returns:
        ``(weights_gradient, bias_gradient)``: float64 of shape ``(num_features,)`` and a float.
    """
    logits_gradient = binary_cross_entropy_with_logits_gradient(
        linear_logits(features, weights, bias), labels)  # (N,), includes the 1/N
    weights_gradient = np.asarray(features.T @ logits_gradient, dtype=np.float64).reshape(-1)
    return weights_gradient, float(logits_gradient.sum())


def accuracy(features, labels, weights: np.ndarray, bias: float) -> float:
    """Share of examples where ``logit > 0`` (``p > 0.5``) matches the 0/1 label."""
    return float(np.mean((linear_logits(features, weights, bias) > 0) == (np.asarray(labels) == 1)))


@dataclass
class FitResult:
    """What ``fit_logistic_regression`` returns: the best-validation weights and the curves.

    Attributes:
        weights, bias: those of the best epoch (lowest validation loss), the ones kept.
        final_weights, final_bias: those after the last epoch run.
        history: the shared ``early_stopping.History``; its losses are mean
            binary cross-entropy in nats, without the decay term. No per-step lists.
        weight_norm: ``||w||_2`` after each epoch.
    """

    weights: np.ndarray
    bias: float
    final_weights: np.ndarray
    final_bias: float
    history: History = field(default_factory=History)
    weight_norm: list[float] = field(default_factory=list)

    @property
    def best_epoch(self) -> int:
        """The 1-based epoch whose weights are kept."""
        return self.history.best_epoch

    @property
    def stopped_epoch(self) -> int:
        """The last epoch run (the 1-based epoch training stopped after)."""
        return self.history.epochs_run


def fit_logistic_regression(train_features, train_labels, validation_features, validation_labels, *,
                            learning_rate: float, batch_size: int, max_epochs: int, patience: int,
                            weight_decay: float, seed: int, decay_learning_rate: bool = True) -> FitResult:
    """Mini-batch gradient descent with weight decay and early stopping (notebook 03, section 4).

    Each step: gradients of the mean loss over one mini-batch, then
    ``gradient_step`` on the weights (with ``weight_decay``) and on the bias
    (without). With ``decay_learning_rate`` the learning rate falls linearly
    from ``learning_rate`` to 0 over ``max_epochs`` (as in notebook 05), so
    the noisy mini-batch steps settle instead of bouncing around the minimum.
    After each epoch the validation loss is measured; ``early_stopping``'s
    rule decides: training stops after ``patience`` epochs in a row without
    a lower one, and the best epoch's weights are returned.

    Raises:
        ValueError: from ``gradient_step``/``minibatch_indices`` for bad rates or sizes,
            ``max_epochs`` < 1, or ``patience`` < 1.
    """
    check_counts(max_epochs=max_epochs)
    rng, stopping = np.random.default_rng(seed), EarlyStopping(patience, mode="min")
    num_examples = train_features.shape[0]
    weights, bias = np.zeros(train_features.shape[1]), 0.0
    total_steps, step = max_epochs * -(-num_examples // batch_size), 0
    result = FitResult(weights, bias, final_weights=weights, final_bias=bias)
    for epoch in range(1, max_epochs + 1):
        for indices in minibatch_indices(num_examples, batch_size, rng):
            eta = learning_rate * (1 - step / total_steps) if decay_learning_rate else learning_rate
            weights_gradient, bias_gradient = logistic_regression_gradients(
                train_features[indices], train_labels[indices], weights, bias)
            weights = gradient_step(weights, weights_gradient, eta, weight_decay)
            bias = gradient_step(bias, bias_gradient, eta, 0.0)
            step += 1
        validation_loss = binary_cross_entropy_with_logits(
            linear_logits(validation_features, weights, bias), validation_labels)
        result.history.record_epoch(
            binary_cross_entropy_with_logits(linear_logits(train_features, weights, bias), train_labels),
            validation_loss, accuracy(validation_features, validation_labels, weights, bias))
        result.weight_norm.append(float(np.linalg.norm(weights)))
        result.final_weights, result.final_bias = weights, float(bias)
        if stopping.update(epoch, validation_loss):
            result.weights, result.bias, result.history.best_epoch = weights.copy(), float(bias), epoch
        if stopping.should_stop:
            result.history.stopped_early = epoch < max_epochs
            break
    return result
