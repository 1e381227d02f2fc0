"""gradient_step, empirical_risk, minibatch_indices and the logistic regression built on them.

Oracles: ``tf.GradientTape`` on L(theta) + (lambda/2)||theta||^2, tf-keras'
SGD with (decoupled) weight decay, and scikit-learn's LogisticRegression.
"""

import finetune_lab  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow)

import numpy as np
import pytest
import tensorflow as tf
from sklearn.linear_model import LogisticRegression

from finetune_lab.from_scratch.gradient_step import empirical_risk, gradient_step, minibatch_indices
from finetune_lab.from_scratch.logistic_regression import (
    accuracy,
    fit_logistic_regression,
    logistic_regression_gradients,
    linear_logits,
)
from finetune_lab.from_scratch.losses import binary_cross_entropy_with_logits


def test_one_step_from_the_issue_gives_0_949():
    assert gradient_step(1.0, 0.5, learning_rate=0.1, weight_decay=0.01) == pytest.approx(0.949, abs=1e-15)


def test_zero_weight_decay_is_plain_gradient_descent():
    theta, gradient = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    np.testing.assert_array_equal(gradient_step(theta, gradient, 0.1), theta - 0.1 * gradient)


def test_step_equals_gradient_descent_on_l2_penalised_loss_by_gradient_tape():
    rng = np.random.default_rng(1)
    features, targets = rng.normal(size=(20, 3)), rng.normal(size=20)
    theta, learning_rate, weight_decay = rng.normal(size=3), 0.05, 0.3
    variable = tf.Variable(theta)
    with tf.GradientTape(persistent=True) as tape:
        loss = tf.reduce_mean((tf.linalg.matvec(features, variable) - targets) ** 2)
        penalised = loss + weight_decay / 2 * tf.reduce_sum(variable ** 2)
    ours = gradient_step(theta, tape.gradient(loss, variable).numpy(), learning_rate, weight_decay)
    plain_descent = theta - learning_rate * tape.gradient(penalised, variable).numpy()
    np.testing.assert_allclose(ours, plain_descent, rtol=0, atol=1e-12)


def test_step_matches_tf_keras_sgd_with_weight_decay():
    # tf-keras applies weight decay as variable -= lr * wd * variable, then the SGD step.
    theta, gradient = np.array([1.0, -2.0, 0.5]), np.array([0.5, 0.25, -1.0])
    variable = tf.Variable(theta)
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1, weight_decay=0.3)
    optimizer.apply_gradients([(tf.constant(gradient), variable)])
    # tf-keras stores the learning rate and weight decay as float32, hence 1e-8, not 1e-12.
    np.testing.assert_allclose(gradient_step(theta, gradient, 0.1, 0.3), variable.numpy(), rtol=0, atol=1e-8)


def test_works_on_tensorflow_tensors_and_returns_a_tensor():
    updated = gradient_step(tf.constant([1.0, 2.0], tf.float64), tf.constant([0.5, 0.5], tf.float64), 0.1, 0.01)
    assert isinstance(updated, tf.Tensor)
    np.testing.assert_allclose(updated.numpy(), [0.949, 1.948], atol=1e-15)


def test_does_not_modify_its_input():
    theta = np.array([1.0, 2.0])
    gradient_step(theta, np.array([0.5, 0.5]), 0.1, 0.01)
    np.testing.assert_array_equal(theta, [1.0, 2.0])


@pytest.mark.parametrize("kwargs, message", [
    ({"gradients": np.zeros(3)}, "shape"),
    ({"learning_rate": -0.1}, "learning_rate"),
    ({"learning_rate": float("nan")}, "learning_rate"),
    ({"weight_decay": -0.01}, "weight_decay"),
    ({"weight_decay": True}, "weight_decay"),
])
def test_bad_arguments_raise_value_errors_naming_them(kwargs, message):
    arguments = {"parameters": np.zeros(2), "gradients": np.zeros(2), "learning_rate": 0.1, "weight_decay": 0.0}
    with pytest.raises(ValueError, match=message):
        gradient_step(**{**arguments, **kwargs})


# ---------------------------------------------------------------- empirical risk and mini-batches

def linear_model(theta, inputs):
    return theta[0] * inputs + theta[1]


def squared_error(predictions, targets):
    return (predictions - targets) ** 2


def test_empirical_risk_is_the_mean_per_example_loss():
    inputs, targets = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 5.0])
    # predictions 1, 3, 5 -> squared errors 0, 4, 0 -> mean 4/3
    assert empirical_risk(squared_error, linear_model, (2.0, 1.0), inputs, targets) == pytest.approx(4 / 3)


def test_empirical_risk_rejects_a_loss_that_already_averages():
    with pytest.raises(ValueError, match="one loss per example"):
        empirical_risk(lambda p, y: np.mean((p - y) ** 2), linear_model, (1.0, 0.0), np.ones(3), np.ones(3))


def test_empirical_risk_reports_divergence():
    with pytest.raises(ValueError, match="inf or NaN"):
        empirical_risk(squared_error, linear_model, (np.inf, 0.0), np.ones(3), np.ones(3))


def test_minibatches_cover_every_example_once_per_epoch_and_are_seeded():
    batches = list(minibatch_indices(10, 4, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(10))
    again = list(minibatch_indices(10, 4, np.random.default_rng(0)))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again))


def test_minibatch_arguments_are_checked_at_the_call():
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_indices(10, 0, np.random.default_rng(0))


# ---------------------------------------------------------------- logistic regression (notebook 03)

def small_problem(seed=0, num_examples=400, num_features=5):
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(num_examples, num_features))
    true_weights = rng.normal(size=num_features)
    labels = (rng.random(num_examples) < 1 / (1 + np.exp(-(features @ true_weights + 0.5)))).astype(np.int64)
    return features, labels


def test_logistic_regression_gradients_match_gradient_tape():
    features, labels = small_problem(num_examples=30)
    weights, bias = np.linspace(-1, 1, 5), 0.2
    w, b = tf.Variable(weights), tf.Variable(bias, dtype=tf.float64)
    with tf.GradientTape() as tape:
        logits = tf.linalg.matvec(features, w) + b
        loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels.astype(np.float64), logits=logits))
    expected_w, expected_b = tape.gradient(loss, [w, b])
    ours_w, ours_b = logistic_regression_gradients(features, labels, weights, bias)
    np.testing.assert_allclose(ours_w, expected_w.numpy(), atol=1e-12)
    assert ours_b == pytest.approx(expected_b.numpy(), abs=1e-12)


def test_fit_reaches_scikit_learn_optimum_with_matching_regularisation():
    features, labels = small_problem()
    train, validation = slice(0, 300), slice(300, 400)
    weight_decay = 0.01
    result = fit_logistic_regression(features[train], labels[train], features[validation], labels[validation],
                                     learning_rate=1.0, batch_size=300, max_epochs=300, patience=300,
                                     weight_decay=weight_decay, seed=0)
    oracle = LogisticRegression(C=1 / (weight_decay * 300), tol=1e-8, max_iter=1000).fit(features[train], labels[train])
    np.testing.assert_allclose(result.final_weights, oracle.coef_[0], atol=1e-4)
    assert result.final_bias == pytest.approx(oracle.intercept_[0], abs=1e-4)
    assert len(result.history.validation_loss) == result.stopped_epoch == 300


def test_early_stopping_keeps_the_best_validation_epoch():
    features, labels = small_problem(num_examples=120, num_features=40)  # few examples, many features: overfits
    result = fit_logistic_regression(features[:60], labels[:60], features[60:], labels[60:],
                                     learning_rate=2.0, batch_size=8, max_epochs=200, patience=3,
                                     weight_decay=0.0, seed=0, decay_learning_rate=False)
    losses = result.history.validation_loss
    assert result.stopped_epoch < 200
    assert result.best_epoch == int(np.argmin(losses)) + 1
    assert result.stopped_epoch == result.best_epoch + 3
    best_loss = binary_cross_entropy_with_logits(linear_logits(features[60:], result.weights, result.bias),
                                                 labels[60:])
    assert best_loss == pytest.approx(min(losses), rel=1e-12)
    assert 0 <= accuracy(features[60:], labels[60:], result.weights, result.bias) <= 1
