"""Our binary and softmax cross-entropy, sigmoid, softmax and gradients against exact values and oracles.

Oracles: tf-keras' binary and sparse categorical cross-entropy,
``tf.nn.sigmoid_cross_entropy_with_logits``, ``tf.nn.softmax``,
``tf.GradientTape`` and central finite differences, all in float64.
"""

import finetune_lab  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import numpy as np
import pytest
import tensorflow as tf

from finetune_lab.from_scratch.losses import (
    PROBABILITY_EPSILON,
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_gradient,
    sigmoid,
    softmax,
    softmax_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits_gradient,
)

RNG = np.random.default_rng(0)
LOGITS = np.linspace(-10, 10, 201)
LABELS = (RNG.random(LOGITS.size) < 0.5).astype(np.float64)
PROBABILITIES = np.linspace(1e-3, 1 - 1e-3, 201)


def central_difference(function, x: np.ndarray, step: float = 1e-6) -> np.ndarray:
    """d function / d x_i by (f(x + h e_i) - f(x - h e_i)) / 2h, one coordinate at a time, any shape."""
    gradient = np.zeros_like(x)
    for i in range(x.size):
        shift = np.zeros_like(x)
        shift.flat[i] = step
        gradient.flat[i] = (function(x + shift) - function(x - shift)) / (2 * step)
    return gradient


# ---------------------------------------------------------------- exact values from the issue

def test_logit_1000_with_label_0_costs_exactly_1000():
    assert binary_cross_entropy_with_logits(np.array([1000.0]), np.array([0.0])) == pytest.approx(1000.0, abs=1e-12)


def test_logit_0_costs_log_2_for_either_label():
    for label in (0.0, 1.0):
        assert binary_cross_entropy_with_logits(0.0, label) == pytest.approx(0.693147, abs=1e-6)


def test_mean_loss_gradient_for_logits_0_0_labels_1_0():
    gradient = binary_cross_entropy_with_logits_gradient(np.array([0.0, 0.0]), np.array([1.0, 0.0]))
    np.testing.assert_allclose(gradient, [-0.25, 0.25], atol=1e-15)
    assert gradient.dtype == np.float64


def test_from_logits_and_from_probabilities_agree_on_logits_in_minus_10_10():
    from_logits = binary_cross_entropy_with_logits(LOGITS, LABELS, reduction="none")
    from_probabilities = binary_cross_entropy(sigmoid(LOGITS), LABELS, reduction="none")
    np.testing.assert_allclose(from_probabilities, from_logits, rtol=0, atol=1e-6)


# ---------------------------------------------------------------- tf-keras as the oracle

@pytest.fixture
def keras_fuzz_factor():
    """Set tf-keras' fuzz factor for one test, then restore it."""
    original = tf.keras.backend.epsilon()
    yield tf.keras.backend.set_epsilon
    tf.keras.backend.set_epsilon(original)


def keras_bce(probabilities, labels) -> np.ndarray:
    return tf.keras.backend.binary_crossentropy(
        tf.constant(labels, tf.float64), tf.constant(probabilities, tf.float64)).numpy()


@pytest.mark.parametrize("label", [0.0, 1.0])
def test_agrees_with_tf_keras_on_probabilities_in_1e3_to_1_minus_1e3(keras_fuzz_factor, label):
    # tf-keras computes log(p + eps) after clipping, a shift of up to eps/p =
    # 1e-4 at p = 1e-3 with its default eps = 1e-7 (see the next test). That
    # shift is Keras' own convention, not the loss; with it made negligible,
    # the two formulas must agree to 1e-6.
    keras_fuzz_factor(1e-12)
    labels = np.full_like(PROBABILITIES, label)
    np.testing.assert_allclose(binary_cross_entropy(PROBABILITIES, labels, reduction="none"),
                               keras_bce(PROBABILITIES, labels), rtol=0, atol=1e-6)


def test_differs_from_default_tf_keras_exactly_by_its_log_p_plus_epsilon():
    assert tf.keras.backend.epsilon() == PROBABILITY_EPSILON
    labels = (RNG.random(PROBABILITIES.size) < 0.5).astype(np.float64)
    ours = binary_cross_entropy(PROBABILITIES, labels, reduction="none")
    p, eps = PROBABILITIES, PROBABILITY_EPSILON
    keras_shift = -(labels * np.log1p(eps / p) + (1 - labels) * np.log1p(eps / (1 - p)))
    np.testing.assert_allclose(keras_bce(PROBABILITIES, labels), ours + keras_shift, rtol=0, atol=1e-10)


def test_from_logits_agrees_with_tf_on_extreme_logits():
    logits = np.array([-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0])
    labels = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    expected = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    np.testing.assert_allclose(binary_cross_entropy_with_logits(logits, labels, reduction="none"),
                               expected, rtol=1e-12, atol=1e-12)


def test_sigmoid_agrees_with_tf_and_never_overflows():
    logits = np.array([-1000.0, -745.0, -36.0, -1.0, 0.0, 1.0, 36.0, 745.0, 1000.0])
    with np.errstate(over="raise", invalid="raise"):
        ours = sigmoid(logits)
    np.testing.assert_allclose(ours, tf.sigmoid(logits).numpy(), rtol=1e-12, atol=1e-300)
    assert ours[0] >= 0 and ours[-1] == 1.0


# ---------------------------------------------------------------- gradients: tape and finite differences

def tape_gradient(loss_of_tensor, values: np.ndarray) -> np.ndarray:
    variable = tf.Variable(values, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = loss_of_tensor(variable)
    return tape.gradient(loss, variable).numpy()


def test_logits_gradient_matches_gradient_tape():
    expected = tape_gradient(lambda z: tf.reduce_mean(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=LABELS, logits=z)), LOGITS)
    np.testing.assert_allclose(binary_cross_entropy_with_logits_gradient(LOGITS, LABELS), expected,
                               rtol=0, atol=1e-6)


def test_probabilities_gradient_matches_gradient_tape():
    labels = (RNG.random(PROBABILITIES.size) < 0.5).astype(np.float64)
    expected = tape_gradient(lambda p: -tf.reduce_mean(
        labels * tf.math.log(p) + (1 - labels) * tf.math.log(1 - p)), PROBABILITIES)
    np.testing.assert_allclose(binary_cross_entropy_gradient(PROBABILITIES, labels), expected,
                               rtol=1e-9, atol=1e-6)


def test_logits_gradient_matches_central_differences():
    logits, labels = RNG.normal(0, 3, size=12), (RNG.random(12) < 0.5).astype(np.float64)
    expected = central_difference(lambda z: binary_cross_entropy_with_logits(z, labels), logits)
    np.testing.assert_allclose(binary_cross_entropy_with_logits_gradient(logits, labels), expected,
                               rtol=0, atol=1e-6)


def test_probabilities_gradient_matches_central_differences():
    probabilities, labels = RNG.uniform(0.05, 0.95, size=12), (RNG.random(12) < 0.5).astype(np.float64)
    expected = central_difference(lambda p: binary_cross_entropy(p, labels), probabilities)
    np.testing.assert_allclose(binary_cross_entropy_gradient(probabilities, labels), expected,
                               rtol=0, atol=1e-6)


# ---------------------------------------------------------------- clipping, inputs and errors

def test_probabilities_of_exactly_0_and_1_give_finite_clipped_losses():
    probabilities, labels = np.array([0.0, 1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 1.0])
    losses = binary_cross_entropy(probabilities, labels, reduction="none")
    assert np.isfinite(losses).all()
    np.testing.assert_allclose(losses, [-np.log(PROBABILITY_EPSILON)] * 2 + [PROBABILITY_EPSILON] * 2, rtol=1e-6)
    assert np.isfinite(binary_cross_entropy_gradient(probabilities, labels)).all()


def test_logits_passed_as_probabilities_raise_a_value_error_naming_the_other_function():
    with pytest.raises(ValueError, match="look like logits.*binary_cross_entropy_with_logits"):
        binary_cross_entropy(np.array([2.5, -1.0, 0.3]), np.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match="look like logits"):
        binary_cross_entropy_gradient(np.array([1.5]), np.array([1.0]))


@pytest.mark.parametrize("labels, message", [
    (np.array([1.0, 0.0]), "shape"),
    (np.array([1.0, -1.0, 0.0]), "labels must be 0 or 1"),
    (np.array([1.0, np.nan, 0.0]), "NaN"),
])
def test_bad_labels_raise_value_errors_that_say_what_is_wrong(labels, message):
    with pytest.raises(ValueError, match=message):
        binary_cross_entropy_with_logits(np.array([0.1, 0.2, 0.3]), labels)


def test_empty_input_and_unknown_reduction_raise():
    with pytest.raises(ValueError, match="empty"):
        binary_cross_entropy_with_logits(np.array([]), np.array([]))
    with pytest.raises(ValueError, match="reduction"):
        binary_cross_entropy_with_logits(np.array([0.0]), np.array([1.0]), reduction="sum")


def test_accepts_tensorflow_tensors_and_lists_and_returns_float64_numpy():
    from_tensor = binary_cross_entropy_with_logits(tf.constant([0.5, -2.0]), tf.constant([1.0, 0.0]))
    from_list = binary_cross_entropy_with_logits([0.5, -2.0], [1, 0])
    assert isinstance(from_tensor, np.float64)
    assert from_tensor == pytest.approx(from_list, rel=1e-7)  # float32 tensor values, float64 maths


def test_mean_reduction_is_the_mean_of_per_example_losses():
    per_example = binary_cross_entropy_with_logits(LOGITS, LABELS, reduction="none")
    assert per_example.shape == LOGITS.shape
    assert binary_cross_entropy_with_logits(LOGITS, LABELS) == pytest.approx(per_example.mean(), rel=1e-15)



# ---------------------------------------------------------------- K classes: softmax cross-entropy

K_LOGITS = RNG.normal(0, 4, size=(50, 3))                     # (N, K) = (50, 3)
K_LABELS = RNG.integers(0, 3, size=50)                          # (N,) class ids


def keras_sparse_cce(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return tf.keras.losses.sparse_categorical_crossentropy(
        tf.constant(labels), tf.constant(logits, dtype=tf.float64), from_logits=True).numpy()


def test_softmax_of_equal_logits_is_uniform_and_costs_log_k():
    for num_classes in (2, 3, 7):
        logits = np.zeros((4, num_classes))
        np.testing.assert_allclose(softmax(logits), 1 / num_classes, rtol=1e-15)
        assert softmax_cross_entropy_with_logits(logits, [0, 1, 1, 0]) == pytest.approx(np.log(num_classes), rel=1e-15)


def test_logit_1000_on_a_wrong_class_costs_exactly_1000():
    logits = np.array([[0.0, 1000.0, 0.0], [-1000.0, 0.0, 0.0]])
    losses = softmax_cross_entropy_with_logits(logits, [0, 0], reduction="none")
    np.testing.assert_allclose(losses, [1000.0, 1000.0 + np.log(2)], rtol=1e-15)


def test_softmax_agrees_with_tf_and_never_overflows():
    logits = np.array([[-1000.0, 0.0, 1000.0], [745.0, 744.0, -745.0], [0.1, -0.2, 0.3]])
    with np.errstate(over="raise", invalid="raise"):
        ours = softmax(logits)
    np.testing.assert_allclose(ours, tf.nn.softmax(logits).numpy(), rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-15)


def test_softmax_cross_entropy_agrees_with_tf_keras_sparse_categorical_crossentropy():
    ours = softmax_cross_entropy_with_logits(K_LOGITS, K_LABELS, reduction="none")
    np.testing.assert_allclose(ours, keras_sparse_cce(K_LOGITS, K_LABELS), rtol=0, atol=1e-6)
    assert softmax_cross_entropy_with_logits(K_LOGITS, K_LABELS) == pytest.approx(ours.mean(), rel=1e-15)


def test_softmax_cross_entropy_agrees_with_tf_on_extreme_logits():
    logits = np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0], [50.0, -50.0, 0.0]])
    labels = np.array([0, 1, 2])
    expected = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy()
    ours = softmax_cross_entropy_with_logits(logits, labels, reduction="none")
    np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours, [2000.0, np.log(2), 50.0], rtol=1e-12)


def test_with_two_classes_it_is_binary_cross_entropy_of_the_logit_difference():
    logits = RNG.normal(0, 5, size=(200, 2))
    labels = RNG.integers(0, 2, size=200)
    difference = logits[:, 1] - logits[:, 0]                  # the binary logit z_1 - z_0
    np.testing.assert_allclose(softmax_cross_entropy_with_logits(logits, labels, reduction="none"),
                               binary_cross_entropy_with_logits(difference, labels, reduction="none"),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(softmax(logits)[:, 1], sigmoid(difference), rtol=1e-12, atol=1e-300)
    binary_gradient = binary_cross_entropy_with_logits_gradient(difference, labels)
    np.testing.assert_allclose(softmax_cross_entropy_with_logits_gradient(logits, labels),
                               np.stack([-binary_gradient, binary_gradient], axis=1), rtol=1e-12, atol=1e-15)


def test_softmax_gradient_is_probabilities_minus_one_hot_over_n():
    gradient = softmax_cross_entropy_with_logits_gradient(np.zeros((2, 4)), [3, 0])
    np.testing.assert_allclose(gradient, [[0.125, 0.125, 0.125, -0.375], [-0.375, 0.125, 0.125, 0.125]],
                               atol=1e-15)
    np.testing.assert_allclose(softmax_cross_entropy_with_logits_gradient(K_LOGITS, K_LABELS).sum(axis=1), 0,
                               atol=1e-15)


def test_softmax_gradient_matches_gradient_tape():
    expected = tape_gradient(lambda z: tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
        K_LABELS, z, from_logits=True)), K_LOGITS)
    np.testing.assert_allclose(softmax_cross_entropy_with_logits_gradient(K_LOGITS, K_LABELS), expected,
                               rtol=0, atol=1e-6)


def test_softmax_gradient_matches_central_differences():
    logits, labels = RNG.normal(0, 3, size=(6, 4)), RNG.integers(0, 4, size=6)
    expected = central_difference(lambda z: softmax_cross_entropy_with_logits(z, labels), logits)
    np.testing.assert_allclose(softmax_cross_entropy_with_logits_gradient(logits, labels), expected,
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("logits, labels, message", [
    (np.zeros(3), [0, 1, 2], r"shape \(N, K\)"),
    (np.zeros((3, 1)), [0, 0, 0], "K >= 2"),
    (np.zeros((3, 2)), [0, 1], "one class id per example"),
    (np.zeros((3, 2)), np.eye(2)[[0, 1, 1]], "argmax"),
    (np.zeros((3, 2)), [0, 1, 2], "class ids 0 to 1"),
    (np.zeros((3, 2)), [0, 0.5, 1], "class ids 0 to 1"),
    (np.zeros((3, 2)), [0, -1, 1], "class ids 0 to 1"),
    (np.array([[0.0, np.nan], [0, 0], [0, 0]]), [0, 1, 1], "NaN"),
])
def test_bad_softmax_inputs_raise_value_errors_that_say_what_is_wrong(logits, labels, message):
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy_with_logits(logits, labels)
    with pytest.raises(ValueError, match=message):
        softmax_cross_entropy_with_logits_gradient(logits, labels)
