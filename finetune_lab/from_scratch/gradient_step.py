"""The gradient step with weight decay, the empirical risk, and mini-batches.

Introduced in notebook 01 (``01_empirical_risk``); notebook 03 trains a
logistic regression with them. Notebook 05's AdamW uses the same decoupled
weight decay term, but divides the gradient term by Adam's running scale.
"""

from __future__ import annotations

import math
from typing import Callable, Iterator

import numpy as np

from finetune_lab.checks import check_counts


def _check_rate(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return float(value)


def _shape(values) -> tuple:
    """The shape of a NumPy array, TensorFlow tensor, list or number."""
    return tuple(values.shape) if hasattr(values, "shape") else np.shape(values)


def gradient_step(parameters, gradients, learning_rate: float, weight_decay: float = 0.0):
    """One step of gradient descent with weight decay: ``theta - eta * grad - eta * lambda * theta``.

    ``theta <- theta - eta * grad L(theta) - eta * lambda * theta`` exactly as
    written in notebook 01, section 6. It equals a plain gradient step on
    ``L(theta) + (lambda / 2) * ||theta||^2``, because the gradient of that
    penalty is ``lambda * theta`` (notebook 01 checks this numerically; its
    section 7 shows why AdamW, with Adam's rescaled steps, is different).

    Works on NumPy arrays and on TensorFlow tensors alike (only ``-`` and
    ``*`` are used) and returns the same kind as ``parameters``. It never
    modifies its input; for a ``tf.Variable`` write
    ``variable.assign(gradient_step(variable, gradient, ...))``.

    Args:
        parameters: ``theta``, any shape (e.g. ``(num_features,)``).
        gradients: ``grad L(theta)``, the same shape.
        learning_rate: ``eta`` > 0 (a step of zero is allowed but does nothing).
        weight_decay: ``lambda`` >= 0, per step and per unit of learning rate;
            0 gives plain gradient descent. Usually not applied to biases.

    Returns:
        The new parameters, same shape and type as ``parameters``.

    Raises:
        ValueError: shapes that differ, or a negative or non-finite learning
            rate or weight decay.
    """
    learning_rate = _check_rate(learning_rate, "learning_rate")
    weight_decay = _check_rate(weight_decay, "weight_decay")
    if _shape(parameters) != _shape(gradients):
        raise ValueError(f"gradients have shape {_shape(gradients)} but parameters have shape "
                         f"{_shape(parameters)}: pass one gradient per parameter")
    return parameters - learning_rate * gradients - learning_rate * weight_decay * parameters


def empirical_risk(per_example_loss: Callable, model: Callable, parameters, inputs, labels) -> float:
    """The empirical risk ``L(theta) = (1/N) sum_i loss(M_theta(x_i), y_i)`` (notebook 01, section 2).

    Args:
        per_example_loss: ``loss(predictions, labels)`` returning one loss per
            example, shape ``(N,)`` (e.g. ``binary_cross_entropy_with_logits``
            with ``reduction="none"``).
        model: ``model(parameters, inputs)`` returning predictions, shape ``(N,)``.
        parameters: ``theta``, whatever ``model`` takes.
        inputs: the ``N`` examples ``x_i``, shape ``(N, ...)``.
        labels: the ``N`` targets ``y_i``, shape ``(N,)``.

    Returns:
        The mean loss as a Python float (in the loss's units, e.g. nats).

    Raises:
        ValueError: the loss does not return one finite value per example.
    """
    losses = np.asarray(per_example_loss(model(parameters, inputs), labels), dtype=np.float64)
    num_examples = len(labels)
    if losses.shape != (num_examples,):
        raise ValueError(f"per_example_loss returned shape {losses.shape}, expected ({num_examples},): "
                         "it must return one loss per example, not their mean or sum")
    if not np.isfinite(losses).all():
        raise ValueError("per_example_loss returned inf or NaN: the learning rate may be too "
                         "large (divergence), or probabilities of exactly 0 or 1 reached a log")
    return float(losses.mean())


def minibatch_indices(num_examples: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    """The indices of one epoch's mini-batches, in a fresh random order (notebook 03).

    Every example appears exactly once per epoch; the last batch is smaller
    when ``batch_size`` does not divide ``num_examples``. Index any array or
    SciPy sparse matrix with them: ``features[indices]``.

    Args:
        num_examples: ``N`` >= 1.
        batch_size: ``B`` >= 1 (larger than ``N`` gives one full batch).
        rng: a seeded ``np.random.default_rng(seed)``; the same seed gives the same order.

    Returns:
        An iterator over ``int64`` arrays of shape ``(B,)`` (the last one ``(N mod B,)`` if not 0).

    Raises:
        ValueError: ``num_examples`` or ``batch_size`` not a whole number >= 1.
    """
    check_counts(num_examples=num_examples, batch_size=batch_size)
    # Checked here, not inside a generator, so a bad value fails at the call.
    order = rng.permutation(num_examples)
    return (order[start:start + batch_size] for start in range(0, num_examples, batch_size))
