"""Every self-check accepts a correct solution and gives its specific hint for each deliberate mistake."""

import numpy as np
import pytest

from finetune_lab.course import exercises
from finetune_lab.course.exercises import (
    check_binary_cross_entropy,
    check_divergence_threshold,
    check_early_stopping,
    check_gradient_step,
    check_logits_gradient,
    check_regularised_gradient,
    check_risk_gradient,
    check_sklearn_C,
    check_stable_bce_with_logits,
)
from finetune_lab.from_scratch.gradient_step import gradient_step
from finetune_lab.from_scratch.losses import binary_cross_entropy, binary_cross_entropy_with_logits, sigmoid


def not_written_yet(*args):
    raise NotImplementedError


def assert_hint(result, *phrases):
    assert not result.passed, result.message
    assert result.message.startswith("Not yet: ")
    for phrase in phrases:
        assert phrase in result.message, result.message


def assert_correct(result):
    assert result.passed, result.message
    assert repr(result).startswith("Correct: ")


@pytest.mark.parametrize("check", [check_risk_gradient, check_gradient_step, check_binary_cross_entropy,
                                   check_logits_gradient, check_stable_bce_with_logits,
                                   check_regularised_gradient, check_early_stopping, check_sklearn_C])
def test_unwritten_function_gets_a_not_yet_message_not_an_exception(check):
    assert_hint(check(not_written_yet), "NotImplementedError")


def test_crashing_function_gets_its_error_in_the_message():
    def crashes(*args):
        return 1 / 0
    assert_hint(check_sklearn_C(crashes), "ZeroDivisionError")


# ---------------------------------------------------------------- notebook 01

def residuals(theta, x, y):
    return theta[0] * x + theta[1] - y


@pytest.mark.parametrize("student, phrase", [
    (lambda t, x, y: 2 * np.array([np.mean(residuals(t, x, y) * x), np.mean(residuals(t, x, y))]), None),
    (lambda t, x, y: -2 * np.array([np.mean(residuals(t, x, y) * x), np.mean(residuals(t, x, y))]), "wrong sign"),
    (lambda t, x, y: 2 * np.array([np.sum(residuals(t, x, y) * x), np.sum(residuals(t, x, y))]), "missing 1/N"),
    (lambda t, x, y: np.array([np.mean(residuals(t, x, y) * x), np.mean(residuals(t, x, y))]), "factor 2"),
    (lambda t, x, y: 2 * np.array([np.mean(residuals(t, x, y)), np.mean(residuals(t, x, y) * x)]), "swapped"),
    (lambda t, x, y: np.zeros(3), "shape"),
])
def test_risk_gradient_check(student, phrase):
    result = check_risk_gradient(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


@pytest.mark.parametrize("student, phrase", [
    (lambda p, g, lr, wd: p - lr * g - lr * wd * p, None),
    (lambda p, g, lr, wd: p - lr * g, "missing decay term"),
    (lambda p, g, lr, wd: p - lr * g - wd * p, "not scaled by the learning rate"),
    (lambda p, g, lr, wd: p + lr * g - lr * wd * p, "wrong sign on the gradient"),
    (lambda p, g, lr, wd: p - lr * g + lr * wd * p, "wrong sign on the decay"),
    (lambda p, g, lr, wd: p - lr * g - lr * wd * g, "uses the gradients"),
    (lambda p, g, lr, wd: p - lr * g - lr * wd / 2 * p, "no 1/2"),
    (lambda p, g, lr, wd: -lr * g - lr * wd * p, "returned the update"),
])
def test_gradient_step_check(student, phrase):
    result = check_gradient_step(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


def test_gradient_step_check_catches_in_place_updates_and_array_only_code():
    def in_place(p, g, lr, wd):
        p -= lr * g + lr * wd * p
        return p
    assert_hint(check_gradient_step(in_place), "in place")
    assert_hint(check_gradient_step(lambda p, g, lr, wd: p[:] - lr * g[:] - lr * wd * p[:]), "0.949")


INPUTS = np.array([1.0, 2.0, 3.0, 5.0])


@pytest.mark.parametrize("value, phrase", [
    (exercises.divergence_threshold(INPUTS), None),
    (exercises.divergence_threshold(INPUTS) / 2, "lands on the minimum"),
    (2 * exercises.divergence_threshold(INPUTS), "factor 2"),
    (0.123, "largest eigenvalue"),
    (None, "set my_threshold to a number"),
])
def test_divergence_threshold_check(value, phrase):
    result = check_divergence_threshold(value, INPUTS)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


def test_divergence_threshold_check_names_the_smallest_eigenvalue_mistake():
    design = np.stack([INPUTS, np.ones(4)], axis=1)
    smallest = np.linalg.eigvalsh(2 * design.T @ design / 4).min()
    assert_hint(check_divergence_threshold(2 / smallest, INPUTS), "smallest eigenvalue")


def test_divergence_threshold_is_where_gradient_descent_starts_to_grow():
    threshold = exercises.divergence_threshold(INPUTS)
    targets = 0.5 * INPUTS + 1
    for learning_rate, grows in ((0.99 * threshold, False), (1.01 * threshold, True)):
        theta = np.zeros(2)
        for _ in range(2000):
            theta = gradient_step(theta, exercises.squared_error_risk_gradient(theta, INPUTS, targets), learning_rate)
        assert (np.linalg.norm(theta) > 1e3) == grows


# ---------------------------------------------------------------- notebook 02

def clipped(p):
    return np.clip(p, 1e-7, 1 - 1e-7)


@pytest.mark.parametrize("student, phrase", [
    (lambda p, y: -np.mean(y * np.log(clipped(p)) + (1 - y) * np.log(1 - clipped(p))), None),
    (lambda p, y: np.mean(y * np.log(clipped(p)) + (1 - y) * np.log(1 - clipped(p))), "wrong sign"),
    (lambda p, y: -np.sum(y * np.log(clipped(p)) + (1 - y) * np.log(1 - clipped(p))), "missing 1/N"),
    (lambda p, y: -np.mean((1 - y) * np.log(clipped(p)) + y * np.log(1 - clipped(p))), "labels swapped"),
    (lambda p, y: -np.mean(y * np.log10(clipped(p)) + (1 - y) * np.log10(1 - clipped(p))), "natural log"),
    (lambda p, y: -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)), "np.clip"),
])
def test_binary_cross_entropy_check(student, phrase):
    result = check_binary_cross_entropy(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


@pytest.mark.parametrize("student, phrase", [
    (lambda z, y: (sigmoid(z) - y) / len(z), None),
    (lambda z, y: (y - sigmoid(z)) / len(z), "wrong sign"),
    (lambda z, y: sigmoid(z) - y, "missing 1/N"),
    (lambda z, y: (sigmoid(z) - y) * sigmoid(z) * (1 - sigmoid(z)) / len(z), "once more"),
    (lambda z, y: (-y / sigmoid(z) + (1 - y) / (1 - sigmoid(z))) / len(z), "with respect to the probabilities"),
    (lambda z, y: (sigmoid(z) - (1 - y)) / len(z), "labels swapped"),
])
def test_logits_gradient_check(student, phrase):
    result = check_logits_gradient(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


@pytest.mark.parametrize("student, phrase", [
    (lambda z, y: np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))), None),
    (lambda z, y: -np.mean(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))), "wrong sign"),
    (lambda z, y: np.sum(np.maximum(z, 0) - y * z + np.log1p(np.exp(-np.abs(z)))), "missing 1/N"),
    (lambda z, y: np.mean(np.log1p(np.exp(z)) - y * z), "overflows"),
    (lambda z, y: binary_cross_entropy(sigmoid(z), y), "clipped"),
    (lambda z, y: binary_cross_entropy_with_logits(z, 1 - y), "labels swapped"),
])
def test_stable_bce_with_logits_check(student, phrase):
    result = check_stable_bce_with_logits(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


# ---------------------------------------------------------------- notebook 03

def regularised(decay_on_weights=1.0, decay_on_bias=0.0, data_scale=1.0):
    def student(features, labels, weights, bias, weight_decay):
        residual = sigmoid(features @ weights + bias) - labels
        n = 1 if data_scale != 1.0 else len(labels)
        return (features.T @ residual / n + decay_on_weights * weight_decay * weights,
                residual.sum() / n + decay_on_bias * weight_decay * bias)
    return student


@pytest.mark.parametrize("student, phrase", [
    (regularised(), None),
    (regularised(decay_on_weights=0.0), "missing decay term"),
    (regularised(decay_on_bias=1.0), "applied to the bias"),
    (regularised(decay_on_weights=0.5), "no 1/2"),
    (regularised(decay_on_weights=-1.0), "wrong sign on the decay"),
    (regularised(data_scale=0.0), "missing 1/N"),
    (lambda *args: tuple(-g for g in regularised(decay_on_weights=-1.0)(*args)), "wrong sign on the loss"),
    (lambda *args: regularised()(*args)[0], "pair"),
])
def test_regularised_gradient_check(student, phrase):
    result = check_regularised_gradient(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


def correct_early_stopping(losses, patience):
    return exercises.early_stopping_epochs(losses, patience)


def stop_at_first_increase(losses, patience):
    return exercises.early_stopping_epochs(losses, 1)


def without_reset(losses, patience):
    best, best_loss, count = 0, np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        if loss < best_loss:
            best, best_loss = epoch, loss
        else:
            count += 1
            if count >= patience:
                return best, epoch
    return best, len(losses)


def compare_with_previous(losses, patience):
    previous, count = np.inf, 0
    for epoch, loss in enumerate(losses, start=1):
        count = 0 if loss < previous else count + 1
        previous = loss
        if count >= patience:
            return int(np.argmin(losses[:epoch])) + 1, epoch
    return int(np.argmin(losses)) + 1, len(losses)


@pytest.mark.parametrize("student, phrase", [
    (correct_early_stopping, None),
    (lambda losses, patience: tuple(e - 1 for e in correct_early_stopping(losses, patience)), "count from 1"),
    (lambda losses, patience: (correct_early_stopping(losses, patience)[1],) * 2, "keep the last epoch"),
    (stop_at_first_increase, "first epoch without improvement"),
    (without_reset, "reset the count"),
    (compare_with_previous, "best so far"),
])
def test_early_stopping_check(student, phrase):
    result = check_early_stopping(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


@pytest.mark.parametrize("student, phrase", [
    (lambda lam, n: 1 / (lam * n), None),
    (lambda lam, n: 1 / lam, "missing N"),
    (lambda lam, n: lam * n, "inverted"),
    (lambda lam, n: 2 / (lam * n), "no factor 2"),
    (lambda lam, n: n / lam, "denominator"),
])
def test_sklearn_C_check(student, phrase):
    result = check_sklearn_C(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


# ---------------------------------------------------------------- notebook 05

def test_the_reference_schedule_is_transformers_create_optimizer_at_every_step():
    import finetune_lab.pretrained  # noqa: F401  (Keras 2 before TensorFlow)
    from transformers import create_optimizer
    for num_steps, peak, warmup in ((50, 1e-4, 5), (450, 1e-4, 45), (7, 3e-5, 1)):
        _, schedule = create_optimizer(init_lr=peak, num_train_steps=num_steps, num_warmup_steps=warmup)
        ours = [exercises.warmup_linear_decay(step, num_steps, peak, warmup) for step in range(num_steps + 1)]
        np.testing.assert_allclose(ours, [float(schedule(step)) for step in range(num_steps + 1)], rtol=1e-5,
                                   atol=1e-12)


def correct_schedule(step, num_steps, learning_rate, warmup_steps):
    if step < warmup_steps:
        return learning_rate * step / warmup_steps
    return learning_rate * max(0.0, (num_steps - step) / (num_steps - warmup_steps))


@pytest.mark.parametrize("student, phrase", [
    (correct_schedule, None),
    (lambda s, n, lr, w: lr * min(1.0, (s + 1) / w) if s < w else correct_schedule(s, n, lr, w), "off by one in the warm-up"),
    (lambda s, n, lr, w: lr * s / w if s < w else lr, "no decay"),
    (lambda s, n, lr, w: lr * s / w if s < w else lr * (1 - s / n), "not step / num_steps"),
    (lambda s, n, lr, w: lr * (n - s) / (n - w) if s >= w else lr, "no warm-up"),
    (lambda s, n, lr, w: correct_schedule(s + 1, n, lr, w) if s >= w else lr * s / w, "off by one in the decay"),
    (lambda s, n, lr, w: lr * s / n, "compare your rates"),
    (not_written_yet, "NotImplementedError"),
])
def test_warmup_schedule_check(student, phrase):
    result = exercises.check_warmup_schedule(student)
    assert_correct(result) if phrase is None else assert_hint(result, phrase)


def keras_loss(**settings):
    import finetune_lab.pretrained  # noqa: F401  (Keras 2 before TensorFlow)
    import tensorflow as tf
    return tf.keras.losses.SparseCategoricalCrossentropy(**settings)


def softmax_twice(labels, logits):
    import tensorflow as tf
    return keras_loss(from_logits=True)(labels, tf.nn.softmax(logits))


@pytest.mark.parametrize("make_student, phrase", [
    (lambda: keras_loss(from_logits=True), None),
    (lambda: keras_loss(from_logits=False), "from_logits=False"),
    (lambda: keras_loss(), "from_logits=False"),  # Keras's default is from_logits=False
    (lambda: softmax_twice, "softmax applied twice"),
    (lambda: keras_loss(from_logits=True, reduction="sum"), "sum over the batch"),
    (lambda: (lambda labels, logits: 0.5), "expected"),
    (lambda: None, "set my_loss"),
])
def test_loss_for_logits_check(make_student, phrase):
    result = exercises.check_loss_for_logits(make_student())
    assert_correct(result) if phrase is None else assert_hint(result, phrase)
