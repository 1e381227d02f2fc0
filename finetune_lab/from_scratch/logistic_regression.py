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

from finetune_lab.from_scratch.gradient_step import gradient_step, minibatch_indices
from finetune_lab.from_scratch.losses import binary_cross_entropy_with_logits, binary_cross_entropy_with_logits_gradient


def predict_logits(features, weights: np.ndarray, bias: float) -> np.ndarray:
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
        predict_logits(features, weights, bias), labels)  # (N,), includes the 1/N
    weights_gradient = np.asarray(features.T @ logits_gradient, dtype=np.float64).reshape(-1)
    return weights_gradient, float(logits_gradient.sum())


def accuracy(features, labels, weights: np.ndarray, bias: float) -> float:
    """Share of examples where ``logit > 0`` (``p > 0.5``) matches the 0/1 label."""
    return float(np.mean((predict_logits(features, weights, bias) > 0) == (np.asarray(labels) == 1)))


@dataclass
class FitResult:
    """What ``fit_logistic_regression`` returns: the best-validation weights and the curves.

    ``history`` holds one value per finished epoch under ``"train_loss"`` and
    ``"validation_loss"`` (mean binary cross-entropy, nats, without the decay
    term), ``"validation_accuracy"`` and ``"weight_norm"`` (``||w||_2``).
    Epochs count from 1; ``best_epoch`` is the one whose weights are kept in
    ``weights`` and ``bias``; ``final_weights`` and ``final_bias`` are those
    after the last epoch run (``stopped_epoch``).
    """

    weights: np.ndarray
    bias: float
    best_epoch: int
    stopped_epoch: int
    final_weights: np.ndarray
    final_bias: float
    history: dict[str, list[float]] = field(default_factory=dict)


def fit_logistic_regression(train_features, train_labels, validation_features, validation_labels, *,
                            learning_rate: float, batch_size: int, max_epochs: int, patience: int,
                            weight_decay: float, seed: int, decay_learning_rate: bool = True) -> FitResult:
    """Mini-batch gradient descent with weight decay and early stopping (notebook 03, section 4).

    Each step: gradients of the mean loss over one mini-batch, then
    ``gradient_step`` on the weights (with ``weight_decay``) and on the bias
    (without). With ``decay_learning_rate`` the learning rate falls linearly
    from ``learning_rate`` to 0 over ``max_epochs`` (as in notebook 05), so
    the noisy mini-batch steps settle instead of bouncing around the minimum.
    After each epoch the validation loss is measured; training stops after
    ``patience`` epochs in a row without a lower one (0 and 1 both stop at the
    first, as in Keras' ``EarlyStopping``), and the best epoch's weights are returned.

    Raises:
        ValueError: from ``gradient_step``/``minibatch_indices`` for bad rates or sizes,
            or ``max_epochs`` < 1.
    """
    if max_epochs < 1:
        raise ValueError(f"max_epochs must be >= 1, got {max_epochs!r}")
    rng = np.random.default_rng(seed)
    num_examples = train_features.shape[0]
    weights, bias = np.zeros(train_features.shape[1]), 0.0
    total_steps, step = max_epochs * -(-num_examples // batch_size), 0
    best = FitResult(weights, bias, best_epoch=0, stopped_epoch=0, final_weights=weights, final_bias=bias,
                     history={k: [] for k in ("train_loss", "validation_loss", "validation_accuracy", "weight_norm")})
    best_loss, epochs_without_improvement = np.inf, 0
    for epoch in range(1, max_epochs + 1):
        for indices in minibatch_indices(num_examples, batch_size, rng):
            eta = learning_rate * (1 - step / total_steps) if decay_learning_rate else learning_rate
            weights_gradient, bias_gradient = logistic_regression_gradients(
                train_features[indices], train_labels[indices], weights, bias)
            weights = gradient_step(weights, weights_gradient, eta, weight_decay)
            bias = gradient_step(bias, bias_gradient, eta, 0.0)
            step += 1
        validation_loss = binary_cross_entropy_with_logits(
            predict_logits(validation_features, weights, bias), validation_labels)
        best.history["train_loss"].append(float(binary_cross_entropy_with_logits(
            predict_logits(train_features, weights, bias), train_labels)))
        best.history["validation_loss"].append(float(validation_loss))
        best.history["validation_accuracy"].append(accuracy(validation_features, validation_labels, weights, bias))
        best.history["weight_norm"].append(float(np.linalg.norm(weights)))
        best.stopped_epoch, best.final_weights, best.final_bias = epoch, weights, float(bias)
        if validation_loss < best_loss:
            best_loss, epochs_without_improvement = validation_loss, 0
            best.weights, best.bias, best.best_epoch = weights.copy(), float(bias), epoch
        else:
            epochs_without_improvement += 1
            if epochs_without_improvement >= patience:
                break
    return best
