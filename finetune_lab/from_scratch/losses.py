"""Binary and softmax cross-entropy, the sigmoid and the softmax, and their gradients, by hand.

Introduced in notebook 02 (``02_binary_cross_entropy``); notebook 03 trains a
logistic regression with the binary loss, and notebook 05's classification head
uses the softmax loss (there computed by tf-keras, which these functions are
tested against).

What these functions take and return: array-likes (NumPy arrays, lists,
Python numbers, or eager TensorFlow tensors, which are converted with
``np.asarray``). They compute in float64 NumPy and return float64 NumPy
values. They are *not* differentiable by ``tf.GradientTape``: the point of
this module is to write each gradient out by hand, next to its loss, and to
check it against TensorFlow's automatic differentiation in the tests.

Notation (notebook 02): ``z`` a logit, ``y_hat = sigmoid(z)`` the predicted
probability of the positive class, ``y`` the label in {0, 1} (soft labels in
[0, 1] are accepted too), ``N`` the number of examples. With K classes
(notebook 02, section 5) each example has a row of K logits ``z_i``, its label
``y_i`` is a class id in {0, ..., K-1}, and ``softmax(z_i)`` are the K predicted
class probabilities.
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


# ---------------------------------------------------------------- K classes: softmax cross-entropy

def _check_logits_matrix(logits) -> np.ndarray:
    """Logits as float64 of shape ``(N, K)`` with K >= 2."""
    z = _as_float_array(logits, "logits")
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"logits must have shape (N, K): one row per example, one column per class, "
                         f"K >= 2; got shape {z.shape}. For a single example use logits[None, :]")
    return z


def _check_class_ids(labels, num_examples: int, num_classes: int) -> np.ndarray:
    """Labels as int64 class ids of shape ``(N,)``, each in ``0 .. K-1``."""
    y = _as_float_array(labels, "labels")
    if y.shape != (num_examples,):
        raise ValueError(f"labels have shape {y.shape} but the logits have {num_examples} rows: pass one "
                         "class id per example, shape (N,); for one-hot labels pass labels.argmax(axis=1)")
    if (y != np.round(y)).any() or (y < 0).any() or (y >= num_classes).any():
        raise ValueError(f"labels must be class ids 0 to {num_classes - 1} (whole numbers, one column of "
                         f"logits per class); found values in [{y.min():g}, {y.max():g}]")
    return y.astype(np.int64)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """``z - logsumexp(z)`` along the last axis; ``exp`` only ever sees values <= 0."""
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits) -> np.ndarray:
    """Class probabilities ``softmax(z)_k = exp(z_k) / sum_j exp(z_j)``, along the last axis.

    Subtracting the row's largest logit first changes nothing in the ratio
    but keeps every exponent <= 0, so logits of +-1000 neither overflow nor
    give ``nan`` (Goodfellow, Bengio and Courville, "Deep Learning", 2016,
    section 4.1). Introduced in notebook 02, section 5.

    Args:
        logits: shape ``(N, K)`` (or ``(K,)``, or any shape with the classes
            on the last axis), any real values.

    Returns:
        float64 array of the same shape; each row is >= 0 and sums to 1.

    Raises:
        ValueError: non-numeric, empty, or NaN logits.
    """
    return np.exp(_log_softmax(_as_float_array(logits, "logits")))


def softmax_cross_entropy_with_logits(logits, labels, reduction: str = "mean"):
    """Softmax cross-entropy from logits: ``-log softmax(z_i)[y_i] = logsumexp(z_i) - z_i[y_i]``.

    The negative log-likelihood of a categorical model, the K-class version of
    binary cross-entropy (notebook 02, section 5; Bishop, "Pattern Recognition
    and Machine Learning", 2006, eq. 4.108). The log-sum-exp is computed after
    subtracting each row's largest logit, so it is exact for logits of +-1000.
    Labels are class ids (TensorFlow calls this form "sparse"), as
    ``tf.keras.losses.sparse_categorical_crossentropy(from_logits=True)``.
    With K = 2 it equals ``binary_cross_entropy_with_logits(z_1 - z_0, y)``.

    Args:
        logits: raw model outputs, shape ``(N, K)``, K >= 2, any real values.
        labels: class ids, shape ``(N,)``, integers in ``0 .. K-1``.
        reduction: ``"mean"`` (the empirical risk, a float64 scalar, in nats)
            or ``"none"`` (one loss per example, shape ``(N,)``).

    Raises:
        ValueError: logits not of shape (N, K) with K >= 2, labels not of
            shape (N,) or not class ids, empty or NaN input, unknown reduction.
    """
    z = _check_logits_matrix(logits)
    y = _check_class_ids(labels, *z.shape)
    return _reduce(-_log_softmax(z)[np.arange(len(y)), y], reduction)


def softmax_cross_entropy_with_logits_gradient(logits, labels) -> np.ndarray:
    """Gradient of the *mean* softmax cross-entropy with respect to the logits: ``(softmax(z) - onehot(y)) / N``.

    For one example, ``d/dz_k [logsumexp(z) - z_y] = softmax(z)_k - [k = y]``:
    "predicted probability minus label" once more, now for every class
    (notebook 02, section 5). The ``1/N`` comes from the mean. With K = 2 the
    two columns are ``-g`` and ``+g`` with ``g`` the binary gradient
    ``(sigmoid(z_1 - z_0) - y) / N``.

    Args:
        logits: shape ``(N, K)``, K >= 2, any real values.
        labels: class ids, shape ``(N,)``, in ``0 .. K-1``.

    Returns:
        float64 array of shape ``(N, K)``; each row sums to 0, entries lie in [-1/N, 1/N].

    Raises:
        ValueError: as ``softmax_cross_entropy_with_logits``.
    """
    z = _check_logits_matrix(logits)
    y = _check_class_ids(labels, *z.shape)
    one_hot = np.eye(z.shape[1])[y]                                        # (N, K)
    return (softmax(z) - one_hot) / len(y)
