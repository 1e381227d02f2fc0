"""Binary cross-entropy, the sigmoid, and their gradients, written by hand.

Introduced in notebook 02 (``02_binary_cross_entropy``); notebook 03 trains a
logistic regression with them, and notebook 05's classification head uses the
same loss (there computed by tf-keras, which these functions are tested against).

What these functions take and return: array-likes (NumPy arrays, lists,
Python numbers, or eager TensorFlow tensors, which are converted with
``np.asarray``). They compute in float64 NumPy and return float64 NumPy
values. They are *not* differentiable by ``tf.GradientTape``: the point of
this module is to write each gradient out by hand, next to its loss, and to
check it against TensorFlow's automatic differentiation in the tests.

Notation (notebook 02): ``z`` a logit, ``y_hat = sigmoid(z)`` the predicted
probability of the positive class, ``y`` the label in {0, 1} (soft labels in
[0, 1] are accepted too), ``N`` the number of examples.
"""

from __future__ import annotations

import numpy as np

PROBABILITY_EPSILON = 1e-7
"""Probabilities are clipped to ``[PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON]``
before the log, so a probability of exactly 0 or 1 gives a large but finite
loss (``-log(1e-7) = 16.118``) instead of ``inf`` or ``nan``. 1e-7 is tf-keras'
default fuzz factor (``tf.keras.backend.epsilon()``). Unlike tf-keras we do not
also add it inside the log (``log(p + eps)``), so inside the clipping range
our loss is the exact formula; notebook 02, section 3, measures the difference."""

REDUCTIONS = ("mean", "none")


def _as_float_array(values, name: str) -> np.ndarray:
    """``values`` as a float64 array, or a ``ValueError`` naming ``name``."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numbers (a NumPy array, list or tensor): {error}") from None
    if array.size == 0:
        raise ValueError(f"{name} is empty: pass at least one example")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN: check the model's outputs or the data before the loss")
    return array


def _check_labels(labels, shape: tuple[int, ...]) -> np.ndarray:
    """Labels as float64 of the predictions' shape, each in [0, 1]."""
    labels = _as_float_array(labels, "labels")
    if labels.shape != shape:
        raise ValueError(f"labels have shape {labels.shape} but the predictions have shape {shape}: "
                         "pass exactly one label per prediction")
    if (labels < 0).any() or (labels > 1).any():
        raise ValueError(f"labels must be 0 or 1 (or probabilities in [0, 1]); found values in "
                         f"[{labels.min():g}, {labels.max():g}]. For labels coded -1/+1 use (labels + 1) / 2")
    return labels


def _reduce(losses: np.ndarray, reduction: str):
    if reduction == "mean":
        return np.float64(losses.mean())
    if reduction == "none":
        return losses
    raise ValueError(f"reduction={reduction!r} is not supported: use one of {REDUCTIONS}")


def sigmoid(logits) -> np.ndarray:
    """The logistic function ``1 / (1 + exp(-z))``, computed without overflow.

    ``exp(-z)`` overflows for ``z < -709`` in float64; we only ever evaluate
    ``exp(-|z|)``, which lies in (0, 1], and use ``sigmoid(z) = e^z / (1 + e^z)``
    for negative ``z``. Introduced in notebook 02, section 3 (why log(0) and overflow happen).

    Args:
        logits: any shape, any real values (no NaN).

    Returns:
        float64 array of the same shape, in [0, 1] (exactly 0 or 1 only where
        the true value rounds to it in float64, for |z| > 36.7 or so).

    Raises:
        ValueError: non-numeric, empty, or NaN logits.
    """
    z = _as_float_array(logits, "logits")
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _check_probabilities(probabilities) -> np.ndarray:
    p = _as_float_array(probabilities, "probabilities")
    if (p < 0).any() or (p > 1).any():
        raise ValueError(
            f"probabilities must lie in [0, 1], but they range over [{p.min():g}, {p.max():g}]: "
            "these look like logits (raw model outputs before the sigmoid). Pass them to "
            "binary_cross_entropy_with_logits(logits, labels) instead, which is also numerically stable"
        )
    return p


def binary_cross_entropy(probabilities, labels, reduction: str = "mean"):
    """Binary cross-entropy of predicted probabilities: ``-[y log p + (1 - y) log(1 - p)]``.

    The negative log-likelihood of a Bernoulli model (notebook 02, section 1).
    Probabilities are first clipped to
    ``[PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON]`` so that exact 0s and 1s
    give finite losses (at most 16.118 per example).

    Args:
        probabilities: predicted P(y = 1), shape ``(N,)`` or any shape, values in [0, 1].
        labels: same shape, 0 or 1 (soft labels in [0, 1] allowed).
        reduction: ``"mean"`` (the empirical risk, a float64 scalar, in nats)
            or ``"none"`` (one loss per example, same shape as the input).

    Raises:
        ValueError: probabilities outside [0, 1] (they look like logits: use
            ``binary_cross_entropy_with_logits``), labels outside [0, 1],
            shapes that differ, empty or NaN input, unknown reduction.
    """
    p = np.clip(_check_probabilities(probabilities), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    y = _check_labels(labels, p.shape)
    return _reduce(-(y * np.log(p) + (1 - y) * np.log1p(-p)), reduction)


def binary_cross_entropy_with_logits(logits, labels, reduction: str = "mean"):
    """Binary cross-entropy from logits, in the stable softplus form.

    ``-[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))]`` equals
    ``softplus(z) - y z`` with ``softplus(z) = log(1 + e^z)``, which we write as
    ``max(z, 0) - y z + log1p(exp(-|z|))``: no exponential of a large number,
    no log of 0. The same form as ``tf.nn.sigmoid_cross_entropy_with_logits``.
    Derived in notebook 02, section 3.

    Args:
        logits: raw model outputs ``z`` (any real value), shape ``(N,)`` or any shape.
        labels: same shape, 0 or 1 (soft labels in [0, 1] allowed).
        reduction: ``"mean"`` (float64 scalar, nats) or ``"none"`` (per example).

    Raises:
        ValueError: labels outside [0, 1], shapes that differ, empty or NaN input,
            unknown reduction.
    """
    z = _as_float_array(logits, "logits")
    y = _check_labels(labels, z.shape)
    return _reduce(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z))), reduction)


def binary_cross_entropy_gradient(probabilities, labels) -> np.ndarray:
    """Gradient of the *mean* binary cross-entropy with respect to the probabilities.

    ``d/dp_i (1/N) sum_j l_j = (1/N) * (-y_i / p_i + (1 - y_i) / (1 - p_i))``,
    the first factor of the chain rule in notebook 02, section 2. It is evaluated at the
    clipped probability (see ``PROBABILITY_EPSILON``), so it stays finite at
    0 and 1 (there it is about ``1e7 / N`` in size, pointing away from the wrong end).

    Args:
        probabilities: shape ``(N,)`` or any shape, values in [0, 1].
        labels: same shape, in [0, 1].

    Returns:
        float64 array of the probabilities' shape; units: nats per unit of probability.

    Raises:
        ValueError: as ``binary_cross_entropy``.
    """
    p = np.clip(_check_probabilities(probabilities), PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    y = _check_labels(labels, p.shape)
    return (-y / p + (1 - y) / (1 - p)) / p.size


def binary_cross_entropy_with_logits_gradient(logits, labels) -> np.ndarray:
    """Gradient of the *mean* binary cross-entropy with respect to the logits: ``(sigmoid(z) - y) / N``.

    The chain rule ``dl/dp * dp/dz`` with ``dp/dz = p (1 - p)`` collapses to
    ``p - y`` (notebook 02, section 2); the ``1/N`` comes from the mean.
    Multiply by ``dz/dtheta`` (the features, for logistic regression) to get
    the gradient with respect to the parameters.

    Args:
        logits: shape ``(N,)`` or any shape, any real values.
        labels: same shape, in [0, 1].

    Returns:
        float64 array of the logits' shape, each entry in [-1/N, 1/N].

    Raises:
        ValueError: as ``binary_cross_entropy_with_logits``.
    """
    z = _as_float_array(logits, "logits")
    y = _check_labels(labels, z.shape)
    return (sigmoid(z) - y) / z.size
