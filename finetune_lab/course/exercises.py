"""Self-checks for the exercises at the end of notebooks 01 to 06.

Each ``check_*`` function calls the student's function on small fixed
inputs, compares the result with the reference from this package, and, when
they differ, recognises the usual mistakes (a wrong sign, a missing 1/N, a
missing decay term, ...) to give a specific hint. It never raises: a student
function that is not written yet (``raise NotImplementedError``) or that
crashes gets a "Not yet" message too, so a notebook runs headless unchanged.

The result displays as its message in a notebook; ``result.passed`` is the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from finetune_lab import calibration
from finetune_lab.early_stopping import stopping_epochs
from finetune_lab.from_scratch.gradient_step import gradient_step
from finetune_lab.from_scratch.losses import (
    PROBABILITY_EPSILON,
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_gradient,
    sigmoid,
    softmax,
    softmax_cross_entropy_with_logits,
)


@dataclass(frozen=True)
class CheckResult:
    """The verdict of a self-check: ``passed`` and a message that starts with "Correct" or "Not yet"."""

    passed: bool
    message: str

    def __repr__(self) -> str:
        return self.message


def _correct(what: str) -> CheckResult:
    return CheckResult(True, f"Correct: {what}")


def _not_yet(hint: str) -> CheckResult:
    return CheckResult(False, f"Not yet: {hint}")


class _StudentFailed(Exception):
    """The student's function raised; carries the "Not yet" result to return."""

    def __init__(self, result: CheckResult):
        super().__init__(result.message)
        self.result = result


def _call(function: Callable, *args):
    """``function(*args)``; a crash becomes a ``_StudentFailed`` with a readable hint."""
    name = getattr(function, "__name__", "your function")
    try:
        return function(*args)
    except NotImplementedError:
        raise _StudentFailed(_not_yet(f"{name} still raises NotImplementedError: replace that line "
                                      "with your code and run the cell again.")) from None
    except Exception as error:  # the student's bug, whatever it is, becomes a hint
        raise _StudentFailed(_not_yet(f"{name} raised {type(error).__name__}: {error}")) from None


def _checked(check: Callable[..., CheckResult]) -> Callable[..., CheckResult]:
    """Turn a ``_StudentFailed`` raised inside ``check`` into its result."""
    def wrapper(*args, **kwargs) -> CheckResult:
        try:
            return check(*args, **kwargs)
        except _StudentFailed as failure:
            return failure.result
    wrapper.__name__, wrapper.__doc__ = check.__name__, check.__doc__
    return wrapper


def _same(value, expected, rtol: float = 1e-6) -> bool:
    """Same shape and values to ``rtol`` (absolute 1e-10)."""
    try:
        value = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    expected = np.asarray(expected, dtype=np.float64)
    return value.shape == expected.shape and np.allclose(value, expected, rtol=rtol, atol=1e-10)


def _diagnose(value, expected, mistakes: Sequence[tuple[object, str]], what: str,
              fallback: str | None = None) -> CheckResult:
    """Correct if ``value`` matches ``expected``, else the hint of the first matching mistake.

    With no mistake recognised, ``fallback`` if given (for answers that must not be
    shown), else the expected and the received values.
    """
    if _same(value, expected):
        return _correct(what)
    expected_shape = np.shape(expected)
    if np.shape(value) != expected_shape:
        return _not_yet(f"expected shape {expected_shape}, got {np.shape(value)}.")
    for wrong, hint in mistakes:
        if _same(value, wrong):
            return _not_yet(hint)
    if fallback is not None:
        return _not_yet(fallback)
    return _not_yet(f"expected {np.round(expected, 6).tolist()}, got "
                    f"{np.round(np.asarray(value, dtype=np.float64), 6).tolist()}; "
                    "compare your formula with the one in the markdown cell above, term by term.")


# ---------------------------------------------------------------- notebook 01

_INPUTS_01 = np.array([0.5, -1.0, 2.0, 1.5])
_TARGETS_01 = np.array([1.0, -0.5, 2.5, 0.0])
_THETA_01 = np.array([0.3, -0.2])


def squared_error_risk_gradient(theta: np.ndarray, inputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Gradient of ``L(w, b) = (1/N) sum_i (w x_i + b - y_i)^2`` with respect to ``theta = (w, b)`` (notebook 01).

    ``dL/dw = (2/N) sum_i r_i x_i`` and ``dL/db = (2/N) sum_i r_i`` with the
    residual ``r_i = w x_i + b - y_i``. Shapes: ``theta (2,)``,
    ``inputs (N,)``, ``targets (N,)``; returns ``(2,)`` float64.
    """
    residuals = theta[0] * inputs + theta[1] - targets  # (N,)
    return 2 * np.array([np.mean(residuals * inputs), np.mean(residuals)])


@_checked
def check_risk_gradient(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 01: ``student_function(theta, inputs, targets)`` is the risk's gradient."""
    value = _call(student_function, _THETA_01.copy(), _INPUTS_01.copy(), _TARGETS_01.copy())
    expected = squared_error_risk_gradient(_THETA_01, _INPUTS_01, _TARGETS_01)
    n = len(_INPUTS_01)
    mistakes = [
        (-expected, "wrong sign: the residual is prediction minus target, r_i = w x_i + b - y_i, "
                    "and the gradient points uphill (gradient descent then subtracts it)."),
        (n * expected, f"missing 1/N: you summed over the {n} examples; the risk is a mean, so divide by N."),
        (expected / 2, "missing the factor 2: d(r^2)/dr = 2 r."),
        (n * expected / 2, "missing both the factor 2 from d(r^2)/dr and the 1/N of the mean."),
        (expected[::-1], "the two components are swapped: return (dL/dw, dL/db) in the order of theta = (w, b)."),
    ]
    return _diagnose(value, expected, mistakes, "your gradient matches (2/N) sum_i r_i (x_i, 1).")


_THETA_STEP = np.array([1.0, -2.0, 0.5])
_GRADIENT_STEP = np.array([0.5, 0.25, -1.0])


@_checked
def check_gradient_step(student_function: Callable) -> CheckResult:
    """Exercise 2 of notebook 01: ``student_function(parameters, gradients, learning_rate, weight_decay)``."""
    theta, g, eta, lam = _THETA_STEP.copy(), _GRADIENT_STEP.copy(), 0.1, 0.3
    value = _call(student_function, theta, g, eta, lam)
    if not (np.array_equal(theta, _THETA_STEP) and np.array_equal(g, _GRADIENT_STEP)):
        return _not_yet("your function changed its input array in place (e.g. parameters -= ...): "
                        "return a new array, parameters - ..., and leave the input as it was.")
    expected = gradient_step(_THETA_STEP, _GRADIENT_STEP, eta, lam)
    mistakes = [
        (theta - eta * g, "missing decay term: subtract learning_rate * weight_decay * parameters as well."),
        (theta - eta * g - lam * theta, "the decay term is not scaled by the learning rate: it is "
                                        "learning_rate * weight_decay * parameters."),
        (theta + eta * g - eta * lam * theta, "wrong sign on the gradient: adding it climbs the loss; subtract it."),
        (theta - eta * g + eta * lam * theta, "wrong sign on the decay term: adding it makes the "
                                              "parameters grow; decay subtracts it."),
        (theta - eta * g - eta * lam * g, "the decay term uses the gradients; it shrinks the parameters: "
                                          "learning_rate * weight_decay * parameters."),
        (theta - eta * g - eta * lam / 2 * theta, "the penalty (lambda/2)||theta||^2 has gradient lambda * theta, "
                                                  "so the decay term has no 1/2."),
        (-eta * g - eta * lam * theta, "you returned the update, not the new parameters: start from parameters."),
    ]
    result = _diagnose(value, expected, mistakes, "theta - eta * grad - eta * lambda * theta.")
    if not result.passed:
        return result
    scalar_hint = ("arrays work but a single number does not: theta=1, gradient=0.5, "
                   "learning_rate=0.1, weight_decay=0.01 must give 0.949")
    try:
        scalar = _call(student_function, 1.0, 0.5, 0.1, 0.01)
    except _StudentFailed as failure:
        return _not_yet(f"{scalar_hint} ({failure.result.message.removeprefix('Not yet: ')})")
    return result if _same(scalar, 0.949) else _not_yet(f"{scalar_hint}, got {scalar!r}.")


def divergence_threshold(inputs: np.ndarray) -> float:
    """The learning rate above which gradient descent on the squared-error risk diverges (notebook 01).

    The risk of the line ``w x + b`` is quadratic with constant Hessian
    ``H = (2/N) sum_i (x_i, 1)(x_i, 1)^T``; a step multiplies the error along
    an eigenvector by ``1 - eta * lambda_k``, so it grows once ``eta > 2 / lambda_max``.
    """
    design = np.stack([inputs, np.ones_like(inputs)], axis=1)  # (N, 2)
    hessian = 2 * design.T @ design / len(inputs)  # (2, 2)
    return float(2 / np.linalg.eigvalsh(hessian).max())


@_checked
def check_divergence_threshold(student_value: float, inputs: np.ndarray) -> CheckResult:
    """Exercise 3 of notebook 01: ``student_value`` is the critical learning rate for ``inputs``."""
    if student_value is None:
        return _not_yet("set my_threshold to a number: 2 / the largest eigenvalue of the risk's Hessian.")
    design = np.stack([inputs, np.ones_like(inputs)], axis=1)
    eigenvalues = np.linalg.eigvalsh(2 * design.T @ design / len(inputs))
    expected, small, large = divergence_threshold(inputs), eigenvalues.min(), eigenvalues.max()
    mistakes = [
        (1 / large, "1/lambda_max is the learning rate that lands on the minimum along the steepest "
                    "direction in one step; the error only grows beyond twice that."),
        (2 / small, "you used the smallest eigenvalue: the steepest direction (largest eigenvalue) "
                    "is the first to diverge."),
        (1 / small, "use the largest eigenvalue, and 2/lambda, not 1/lambda."),
        (2 * expected, "your Hessian misses the factor 2 of the squared error: H = (2/N) X^T X."),
        (large, "that is lambda_max itself; the threshold is 2 / lambda_max."),
    ]
    return _diagnose(student_value, expected, mistakes,
                     f"gradient descent diverges for learning rates above 2/lambda_max = {expected:.4f}.",
                     fallback=f"{student_value!r} is not it. Build X with rows (x_i, 1) from these inputs, "
                              "H = (2/N) X^T X, and take 2 / (largest eigenvalue of H).")


# ---------------------------------------------------------------- notebook 02

_PROBABILITIES_02 = np.array([0.9, 0.2, 0.6, 0.35, 0.99])
_LABELS_02 = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
_LOGITS_02 = np.array([2.0, -1.0, 0.5, -3.0])
_LOGIT_LABELS_02 = np.array([1.0, 1.0, 0.0, 0.0])


@_checked
def check_binary_cross_entropy(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 02: ``student_function(probabilities, labels)`` is the mean loss."""
    p, y = _PROBABILITIES_02, _LABELS_02
    value = _call(student_function, p.copy(), y.copy())
    expected = binary_cross_entropy(p, y)
    mistakes = [
        (-expected, "wrong sign: log p is negative for p < 1, so the loss needs a minus in front."),
        (len(p) * expected, "missing 1/N: you summed the per-example losses; the empirical risk is their mean."),
        (binary_cross_entropy(p, 1 - y), "labels swapped: y multiplies log p (the probability of class 1) "
                                         "and 1 - y multiplies log(1 - p)."),
        (expected / np.log(10), "use the natural log, np.log, not np.log10: losses are in nats."),
        (expected / np.log(2), "use the natural log, np.log, not np.log2: losses are in nats."),
    ]
    result = _diagnose(value, expected, mistakes, "the mean of -[y log p + (1 - y) log(1 - p)].")
    if not result.passed:
        return result
    with np.errstate(all="ignore"):
        extreme = _call(student_function, np.array([0.0, 1.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0, 1.0]))
    if not np.isfinite(extreme):
        return _not_yet(f"probabilities of exactly 0 or 1 give {float(extreme)} (log(0) = -inf, 0 * -inf = nan): "
                        f"clip them to [{PROBABILITY_EPSILON:g}, 1 - {PROBABILITY_EPSILON:g}] with np.clip first.")
    return _correct("the mean of -[y log p + (1 - y) log(1 - p)], finite even at p = 0 and p = 1.")


@_checked
def check_logits_gradient(student_function: Callable) -> CheckResult:
    """Exercise 2 of notebook 02: ``student_function(logits, labels)`` is d(mean loss)/d(logits)."""
    z, y = _LOGITS_02, _LOGIT_LABELS_02
    value = _call(student_function, z.copy(), y.copy())
    expected = binary_cross_entropy_with_logits_gradient(z, y)
    p = sigmoid(z)
    mistakes = [
        (-expected, "wrong sign: it is y_hat - y (prediction minus label), not y - y_hat."),
        (len(z) * expected, "missing 1/N: the loss is a mean over N examples, so each logit's gradient has a 1/N."),
        (expected * p * (1 - p), "you multiplied by sigmoid'(z) = y_hat (1 - y_hat) once more; it already "
                                 "cancelled against the denominator of dl/dy_hat."),
        (len(z) * expected * p * (1 - p), "missing 1/N, and sigmoid'(z) = y_hat (1 - y_hat) is applied twice."),
        (binary_cross_entropy_gradient(p, y), "that is the gradient with respect to the probabilities, "
                                              "dL/dy_hat; multiply by dy_hat/dz = y_hat (1 - y_hat)."),
        ((p - (1 - y)) / len(z), "labels swapped: subtract y, the label of the positive class."),
    ]
    return _diagnose(value, expected, mistakes, "(sigmoid(z) - y) / N.")


@_checked
def check_stable_bce_with_logits(student_function: Callable) -> CheckResult:
    """Exercise 3 of notebook 02: ``student_function(logits, labels)`` is the stable mean loss."""
    z, y = _LOGITS_02, _LOGIT_LABELS_02
    value = _call(student_function, z.copy(), y.copy())
    expected = binary_cross_entropy_with_logits(z, y)
    mistakes = [
        (-expected, "wrong sign: the loss is softplus(z) - y z, and it is never negative."),
        (len(z) * expected, "missing 1/N: return the mean over examples, not the sum."),
        (binary_cross_entropy_with_logits(z, 1 - y), "labels swapped: the term is - y z with y the label."),
    ]
    result = _diagnose(value, expected, mistakes, "softplus(z) - y z.")
    if not result.passed:
        return result
    extreme_z, extreme_y = np.array([1000.0, -1000.0, 800.0, -800.0]), np.array([0.0, 1.0, 1.0, 0.0])
    with np.errstate(all="ignore"):
        extreme = _call(student_function, extreme_z, extreme_y)
    expected = binary_cross_entropy_with_logits(extreme_z, extreme_y)  # 500
    if not np.isfinite(extreme):
        return _not_yet(f"logits of +-1000 give {float(extreme)}: exp(1000) overflows. Write softplus(z) as "
                        "np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z))), which never exponentiates a positive number.")
    if _same(extreme, binary_cross_entropy(sigmoid(extreme_z), extreme_y)):
        return _not_yet("you went through probabilities and clipped them, so a logit of 1000 with label 0 "
                        "costs 16.1 instead of 1000. Stay with logits: max(z, 0) - y z + log1p(exp(-|z|)).")
    if not _same(extreme, expected):
        return _not_yet(f"logits of +-1000 give {float(extreme):.6g}, expected {float(expected):.6g} "
                        "(a logit of 1000 with label 0 costs 1000).")
    return _correct("softplus(z) - y z, exact even for logits of +-1000.")


# ---------------------------------------------------------------- notebook 03

_FEATURES_03 = np.array([[1.0, 0.0, 2.0], [0.5, -1.0, 0.0], [0.0, 1.5, -0.5],
                         [2.0, 0.5, 1.0], [-1.0, 0.0, 0.5]])
_LABELS_03 = np.array([1, 0, 1, 1, 0])
_WEIGHTS_03 = np.array([0.2, -0.4, 0.1])
_BIAS_03 = 0.3
_DECAY_03 = 0.5


def _regularised_gradients(weight_decay_factor: float = 1.0, bias_decay: float = 0.0, scale: float = 1.0,
                           sign: float = 1.0):
    """Right and wrong versions of the gradient of (1/N) sum l_i + (lambda/2)||w||^2 on the fixture."""
    residuals = sigmoid(_FEATURES_03 @ _WEIGHTS_03 + _BIAS_03) - _LABELS_03  # (N,)
    n = len(_LABELS_03)
    weights_gradient = sign * scale * _FEATURES_03.T @ residuals / n + weight_decay_factor * _DECAY_03 * _WEIGHTS_03
    bias_gradient = sign * scale * residuals.sum() / n + bias_decay * _DECAY_03 * _BIAS_03
    return np.append(weights_gradient, bias_gradient)


@_checked
def check_regularised_gradient(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 03: ``student_function(features, labels, weights, bias, weight_decay)``.

    It must return ``(weights_gradient, bias_gradient)`` of the regularised
    objective ``(1/N) sum_i l_i + (weight_decay / 2) * ||weights||^2``.
    """
    result = _call(student_function, _FEATURES_03.copy(), _LABELS_03.copy(), _WEIGHTS_03.copy(), _BIAS_03, _DECAY_03)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        return _not_yet("return a pair (weights_gradient, bias_gradient).")
    try:
        value = np.append(np.asarray(result[0], dtype=np.float64), float(result[1]))
    except (TypeError, ValueError):
        return _not_yet("weights_gradient must be an array of shape (num_features,) and bias_gradient a number.")
    n = len(_LABELS_03)
    mistakes = [
        (_regularised_gradients(weight_decay_factor=0.0), "missing decay term: the penalty "
         "(weight_decay/2)||w||^2 adds weight_decay * weights to the weights' gradient."),
        (_regularised_gradients(bias_decay=1.0), "the decay term is applied to the bias too; the penalty is on "
                                                 "the weights only, as in scikit-learn."),
        (_regularised_gradients(weight_decay_factor=0.5), "the gradient of (lambda/2)||w||^2 is lambda * w, no 1/2."),
        (_regularised_gradients(weight_decay_factor=-1.0), "wrong sign on the decay term: the penalty's "
                                                           "gradient is + weight_decay * weights."),
        (_regularised_gradients(sign=-1.0), "wrong sign on the loss term: it is X^T (sigmoid(z) - y) / N, "
                                            "prediction minus label."),
        (_regularised_gradients(scale=n), "missing 1/N: the data term is a mean over the batch, X^T (p - y) / N."),
    ]
    return _diagnose(value, _regularised_gradients(), mistakes,
                     "X^T (sigmoid(z) - y) / N + weight_decay * w for the weights, mean(sigmoid(z) - y) for the bias.")


def early_stopping_epochs(validation_losses: Sequence[float], patience: int) -> tuple[int, int]:
    """``(best_epoch, stopped_epoch)``, counting epochs from 1: the reference answer of exercise 2.

    The workbook's one early-stopping rule (``finetune_lab.early_stopping``):
    training stops after ``patience`` epochs in a row without a validation
    loss below the best so far; the best epoch's weights are kept. Without a
    stop, ``stopped_epoch`` is the last.
    """
    return stopping_epochs(validation_losses, patience, mode="min")


_VALIDATION_LOSSES = [0.9, 0.7, 0.6, 0.65, 0.62, 0.58, 0.59, 0.61, 0.63, 0.64]


@_checked
def check_early_stopping(student_function: Callable) -> CheckResult:
    """Exercise 2 of notebook 03: ``student_function(validation_losses, patience)`` -> ``(best_epoch, stopped_epoch)``."""
    for patience in (2, 3, 20):
        value = _call(student_function, list(_VALIDATION_LOSSES), patience)
        expected = early_stopping_epochs(_VALIDATION_LOSSES, patience)
        if _same(value, expected):
            continue
        best, stopped = expected
        setting = f"with patience={patience} on {_VALIDATION_LOSSES}"
        mistakes = [
            ((best - 1, stopped - 1), "epochs count from 1, not 0."),
            ((stopped, stopped), "you keep the last epoch; early stopping keeps the weights of the best one "
                                 "(lowest validation loss)."),
            ((int(np.argmax(_VALIDATION_LOSSES[:stopped])) + 1, stopped), "lower validation loss is better: "
                                                                          "track the minimum, not the maximum."),
            (_stop_at_first_increase(), "you stop at the first epoch without improvement; patience allows "
                                        "that many such epochs in a row before stopping."),
            (_without_reset(patience), "reset the count of epochs without improvement when the loss improves: "
                                       "patience counts epochs in a row."),
            (_compare_with_previous(patience), "compare each loss with the best so far, not with the previous epoch."),
        ]
        result = _diagnose(value, expected, mistakes, "")
        return _not_yet(f"{setting} expected (best_epoch, stopped_epoch) = {expected}, got {value}: "
                        + result.message.removeprefix("Not yet: "))
    return _correct("stops after `patience` epochs in a row without a better validation loss, keeps the best.")


def _stop_at_first_increase() -> tuple[int, int]:
    return early_stopping_epochs(_VALIDATION_LOSSES, 1)


def _without_reset(patience: int) -> tuple[int, int]:
    best_epoch, best_loss, count = 0, np.inf, 0
    for epoch, loss in enumerate(_VALIDATION_LOSSES, start=1):
        if loss < best_loss:
            best_epoch, best_loss = epoch, loss
        else:
            count += 1
            if count >= patience:
                return best_epoch, epoch
    return best_epoch, len(_VALIDATION_LOSSES)


def _compare_with_previous(patience: int) -> tuple[int, int]:
    previous, count = np.inf, 0
    for epoch, loss in enumerate(_VALIDATION_LOSSES, start=1):
        count = 0 if loss < previous else count + 1
        previous = loss
        if count >= max(patience, 1):
            return int(np.argmin(_VALIDATION_LOSSES[:epoch])) + 1, epoch
    return int(np.argmin(_VALIDATION_LOSSES)) + 1, len(_VALIDATION_LOSSES)


def sklearn_inverse_regularisation(weight_decay: float, num_examples: int) -> float:
    """scikit-learn's ``C`` for our objective: ``C = 1 / (weight_decay * num_examples)`` (notebook 03).

    scikit-learn minimises ``C sum_i l_i + (1/2)||w||^2``; dividing by ``C N``
    gives ``(1/N) sum_i l_i + (1 / (2 C N))||w||^2``, ours when ``weight_decay = 1 / (C N)``.
    """
    return 1.0 / (weight_decay * num_examples)


@_checked
def check_sklearn_C(student_function: Callable) -> CheckResult:
    """Exercise 3 of notebook 03: ``student_function(weight_decay, num_examples)`` is scikit-learn's ``C``."""
    for lam, n in ((1e-4, 1000), (0.02, 64)):
        value = _call(student_function, lam, n)
        expected = sklearn_inverse_regularisation(lam, n)
        mistakes = [
            (1 / lam, "missing N: scikit-learn sums the N per-example losses where we average them, "
                      "so N moves into C."),
            (lam * n, "inverted: C is the inverse of the regularisation strength."),
            (lam, "C is not the weight decay itself: it is the inverse of the regularisation strength."),
            (2 * expected, "no factor 2: both objectives write the penalty with a 1/2."),
            (expected / 2, "no factor 2: both objectives write the penalty with a 1/2."),
            (n / lam, "N belongs in the denominator: a larger training set needs a smaller C for the same decay."),
        ]
        result = _diagnose(value, expected, mistakes, "")
        if not result.passed:
            return _not_yet(f"for weight_decay={lam:g}, num_examples={n}: " + result.message.removeprefix("Not yet: "))
    return _correct("C = 1 / (weight_decay * num_examples).")


# ---------------------------------------------------------------- notebook 05

def warmup_linear_decay(step: int, num_steps: int, learning_rate: float, warmup_steps: int) -> float:
    """η at ``step`` (0-based): the reference answer of notebook 05's exercise 1.

    transformers' ``create_optimizer`` schedule (``WarmUp`` around a
    ``PolynomialDecay`` of power 1): ``η·step/warmup_steps`` while
    ``step < warmup_steps``, then ``η·(1 − (step − warmup_steps)/(num_steps − warmup_steps))``,
    never below 0. ``tests/test_exercises.py`` checks it against transformers at every step.
    """
    if step < warmup_steps:
        return learning_rate * step / warmup_steps
    return learning_rate * max(0.0, 1 - (step - warmup_steps) / (num_steps - warmup_steps))


_SCHEDULE_05 = (50, 1e-4, 5)  # num_steps, peak learning rate, warm-up steps


def _schedule_mistakes(num_steps: int, peak: float, warmup: int) -> list[tuple[list[float], str]]:
    """Wrong schedules on the fixture, each with its hint."""
    def over_steps(rule):
        return [rule(step) for step in range(num_steps)]

    def decay(step):
        return peak * max(0.0, 1 - (step - warmup) / (num_steps - warmup))

    return [
        (over_steps(lambda s: peak * (s + 1) / warmup if s < warmup else decay(s)),
         "off by one in the warm-up: at step 0 the rate is 0 (step / warmup_steps), not 1/warmup_steps of the peak."),
        (over_steps(lambda s: peak * s / warmup if s < warmup else peak),
         "no decay: after warm-up the rate falls linearly to 0 at the last step."),
        (over_steps(lambda s: peak * s / warmup if s < warmup else peak * max(0.0, 1 - s / num_steps)),
         "the decay starts from the peak at the end of warm-up: use (step - warmup_steps) / (num_steps - "
         "warmup_steps), not step / num_steps."),
        (over_steps(lambda s: peak * max(0.0, 1 - (s - warmup) / (num_steps - warmup)) if s >= warmup else peak),
         "no warm-up: the rate starts at 0 and rises linearly over the first warmup_steps steps."),
        (over_steps(lambda s: peak * s / warmup if s < warmup else decay(s + 1)),
         "off by one in the decay: the rate is exactly the peak at step warmup_steps."),
    ]


@_checked
def check_warmup_schedule(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 05: ``student_function(step, num_steps, learning_rate, warmup_steps)`` is η at ``step``."""
    num_steps, peak, warmup = _SCHEDULE_05
    value = [_call(student_function, step, num_steps, peak, warmup) for step in range(num_steps)]
    expected = [warmup_linear_decay(step, num_steps, peak, warmup) for step in range(num_steps)]
    result = _diagnose(value, expected, _schedule_mistakes(num_steps, peak, warmup), "",
                       fallback="compare your rates with the plot of the schedule in step 2, step by step: 0 at "
                                "step 0, the peak at step warmup_steps, 0 at step num_steps.")
    if not result.passed:
        return _not_yet(f"with num_steps={num_steps}, learning_rate={peak:g}, warmup_steps={warmup}: "
                        + result.message.removeprefix("Not yet: "))
    return _correct("linear warm-up from 0 to the peak over warmup_steps steps, then linear decay to 0, "
                    "as transformers' create_optimizer.")


_LOGITS_05 = np.array([[2.0, -1.0], [0.5, 1.5], [-3.0, 4.0], [1.0, 0.2]])  # (batch, 2) raw scores
_LABELS_05 = np.array([0, 0, 1, 1])


def _cross_entropy_of_logits(logits: np.ndarray, labels: np.ndarray) -> float:
    """Mean softmax cross-entropy from logits: mean over i of logsumexp(z_i) − z_i[y_i] (notebook 02)."""
    top = logits.max(axis=1, keepdims=True)
    log_normaliser = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return float(np.mean(log_normaliser - logits[np.arange(len(labels)), labels]))


def _softmax(logits: np.ndarray) -> np.ndarray:
    exponentials = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponentials / exponentials.sum(axis=1, keepdims=True)


def _keras_probability_cross_entropy(scores: np.ndarray, labels: np.ndarray) -> float:
    """What ``SparseCategoricalCrossentropy(from_logits=False)`` computes from raw scores.

    tf-keras clips the scores to [1e-7, 1 − 1e-7], takes their log and applies
    the softmax cross-entropy to that: each clipped score divided by their sum.
    """
    clipped = np.clip(scores, 1e-7, 1 - 1e-7)
    probabilities = clipped / clipped.sum(axis=1, keepdims=True)
    return float(np.mean(-np.log(probabilities[np.arange(len(labels)), labels])))


@_checked
def check_loss_for_logits(student_loss: Callable) -> CheckResult:
    """Exercise 2 of notebook 05: ``student_loss(labels, logits)`` is the mean cross-entropy of raw logits.

    ``student_loss`` is e.g. a ``tf.keras.losses`` object; it gets int labels
    (batch,) and float32 logits (batch, 2), and must return the mean
    softmax cross-entropy, the loss ``fine_tune`` trains on.
    """
    if student_loss is None:
        return _not_yet("set my_loss to a loss object, e.g. tf.keras.losses.SparseCategoricalCrossentropy(...).")
    logits, labels = _LOGITS_05.astype(np.float32), _LABELS_05
    value = _call(student_loss, labels.copy(), logits.copy())
    try:
        value = float(np.asarray(value))
    except (TypeError, ValueError):
        return _not_yet(f"the loss should return one number (the mean over the batch), got shape {np.shape(value)}.")
    expected = _cross_entropy_of_logits(_LOGITS_05, labels)
    probabilities = _softmax(_LOGITS_05)
    mistakes = [
        (_keras_probability_cross_entropy(_LOGITS_05, labels),
         "from_logits=False reads the raw logits as probabilities (Keras clips them to [1e-7, 1 - 1e-7] and "
         "divides them by their sum): set from_logits=True, since the model's outputs are logits."),
        (_cross_entropy_of_logits(probabilities, labels),
         "softmax applied twice: the loss with from_logits=True applies the softmax itself, so give it the "
         "logits, not probabilities."),
        (len(labels) * expected, "that is the sum over the batch; the empirical risk is the mean."),
        (expected / np.log(2), "that is in bits; Keras and the workbook use the natural log (nats)."),
    ]
    return _diagnose(value, expected, mistakes, "the mean softmax cross-entropy of the logits "
                     "(SparseCategoricalCrossentropy(from_logits=True)).",
                     fallback=f"expected {expected:.6f} on these logits, got {value:.6f}: integer labels and two "
                              "logits per example call for SparseCategoricalCrossentropy; think about what "
                              "from_logits says about the model's outputs.")


# ---------------------------------------------------------------- notebook 04

_RNG_04 = np.random.default_rng(4)
_HIDDEN_04 = _RNG_04.normal(size=(3, 6, 4))                                  # (batch, seq_len, hidden)
_MASK_04 = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0], [1, 1, 1, 0, 0, 0]])  # (batch, seq_len) int


def masked_mean_pooling(last_hidden_state: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Mean of the real tokens' vectors, ``sum_t m_t h_t / sum_t m_t`` (notebook 04, section 1).

    The reference answer of exercise 1; ``transfer.pool(..., "mean")`` computes
    the same in TensorFlow. Shapes: ``last_hidden_state (batch, seq_len, hidden)``
    float, ``attention_mask (batch, seq_len)`` 1 for tokens, 0 for [PAD];
    returns ``(batch, hidden)`` float64.
    """
    mask = np.asarray(attention_mask, dtype=np.float64)[:, :, None]           # (batch, seq_len, 1)
    return (np.asarray(last_hidden_state) * mask).sum(axis=1) / mask.sum(axis=1)


@_checked
def check_mean_pooling(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 04: ``student_function(last_hidden_state, attention_mask)`` is masked mean pooling."""
    hidden, mask = _HIDDEN_04.copy(), _MASK_04.copy()
    value = _call(student_function, hidden, mask)
    if not (np.array_equal(hidden, _HIDDEN_04) and np.array_equal(mask, _MASK_04)):
        return _not_yet("your function changed its inputs in place: compute on new arrays and leave "
                        "last_hidden_state and attention_mask as they were.")
    expected = masked_mean_pooling(_HIDDEN_04, _MASK_04)
    batch, seq_len, _ = _HIDDEN_04.shape
    if np.shape(value) == (batch, seq_len):
        return _not_yet(f"your result has shape (batch, seq_len) = {(batch, seq_len)}: you averaged over the "
                        "hidden axis. Average over the tokens, axis=1, to get one (hidden,) vector per sentence.")
    if np.shape(value) == (_HIDDEN_04.shape[2],):
        return _not_yet("your result has shape (hidden,): you averaged over the batch as well. Keep one vector "
                        "per sentence: sum over axis=1 only.")
    mask3 = _MASK_04[:, :, None].astype(np.float64)
    masked_sum = (_HIDDEN_04 * mask3).sum(axis=1)                               # (batch, hidden)
    mistakes = [
        (_HIDDEN_04.mean(axis=1), "you averaged over every position, padding included: the [PAD] positions "
                                  "have vectors too, and they are not the sentence. Multiply by the attention "
                                  "mask first, then divide by the number of real tokens, mask.sum(axis=1)."),
        (masked_sum / seq_len, f"you divided by the full length seq_len = {seq_len}; a padded sentence has fewer "
                               "real tokens, so divide by its own count, attention_mask.sum(axis=1)."),
        (_HIDDEN_04.sum(axis=1) / mask3.sum(axis=1), "the sum still includes the padding positions: multiply "
                                                     "last_hidden_state by the mask before summing."),
        (masked_sum, "that is the masked sum; divide by the number of real tokens, attention_mask.sum(axis=1), "
                     "to make it a mean."),
        (_HIDDEN_04[:, 0, :], "that is the [CLS] vector (position 0), the other pooling; mean pooling averages "
                              "the vectors of every real token."),
        ((_HIDDEN_04 * (1 - mask3)).sum(axis=1) / np.maximum((1 - mask3).sum(axis=1), 1),
         "the mask is inverted: 1 marks a real token and 0 a [PAD]."),
    ]
    return _diagnose(value, expected, mistakes,
                     "sum_t m_t h_t / sum_t m_t, padding excluded from both the sum and the count.")


def bottom_layers_parameters(hidden_size: int, intermediate_size: int, k: int) -> int:
    """Weights in the bottom ``k`` encoder layers of a BERT (notebook 04, section 3): the reference of exercise 2.

    One layer (Devlin et al. 2019; Vaswani et al. 2017), with h = ``hidden_size``
    and i = ``intermediate_size``: the query, key, value and output projections
    (4 h² weights + 4 h biases), a LayerNorm (2 h: scale and shift), the
    feed-forward network h → i → h (2 h i weights + i + h biases) and a
    second LayerNorm (2 h): ``4 h² + 2 h i + 9 h + i``. Attention heads split
    h, they add no weights.
    """
    h, i = hidden_size, intermediate_size
    return k * (4 * h * h + 2 * h * i + 9 * h + i)


_LAYER_CONFIGS_04 = ((384, 1536, 3), (768, 3072, 6), (32, 64, 2))   # MiniLM's, bert-base's, a tiny one


@_checked
def check_bottom_layers_parameters(student_function: Callable) -> CheckResult:
    """Exercise 2 of notebook 04: ``student_function(hidden_size, intermediate_size, k)`` counts the bottom k layers."""
    for h, i, k in _LAYER_CONFIGS_04:
        value = _call(student_function, h, i, k)
        expected = bottom_layers_parameters(h, i, k)
        setting = f"for hidden_size={h}, intermediate_size={i}, k={k}: "
        try:
            count = float(value)
        except (TypeError, ValueError):
            return _not_yet(setting + f"return one number, the count of weights; got {value!r}.")
        if count == expected:
            continue
        per_layer = expected // k
        mistakes = [
            (expected - k * (4 * h + i + h), "biases missing: each of the 4 attention projections has h of them, "
                                             "the feed-forward network i + h."),
            (expected - k * 4 * h, "the two LayerNorms are missing, 2 h each (a scale and a shift per unit)."),
            (expected - k * 2 * h, "each LayerNorm has two vectors of h, a scale (gamma) and a shift (beta)."),
            (expected - k * (h * h + h), "the attention's output projection (h x h weights + h biases) is missing: "
                                         "query, key, value and output are four projections."),
            (expected - k * (h * i + h), "the feed-forward network has two matrices, h -> i and i -> h, each with "
                                         "its biases (i and h)."),
            (expected - k * (h * i + i), "the feed-forward network has two matrices, h -> i and i -> h, each with "
                                         "its biases (i and h)."),
            (per_layer, "that is one layer; the bottom k layers hold k times as many."),
            (per_layer * (k + 1), "that is k + 1 layers; count layers 0 to k - 1."),
            (expected + k * 12 * h * h, "attention heads split the hidden vector (12 heads of h/12 each): they "
                                        "do not multiply the projections' weights."),
        ]
        hint = next((hint for wrong, hint in mistakes if count == wrong), (
            f"{value!r} is not the count. Per layer: query, key, value and output projections (h x h + h each), "
            "a LayerNorm (2 h), the feed-forward network h -> i -> h with biases, a second LayerNorm (2 h)."))
        return _not_yet(setting + hint)
    return _correct("k (4 h^2 + 2 h i + 9 h + i): projections, feed-forward network, biases and two LayerNorms per layer.")


# ---------------------------------------------------------------- notebook 06

def _three_class_fixture(num_examples: int, scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(logits (n, 3), labels (n,)): labels drawn from softmax(logits / scale), so T = scale calibrates them."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 1.5, size=(num_examples, 3)) * scale
    probabilities = softmax(logits / scale)
    labels = np.array([rng.choice(3, p=row) for row in probabilities])
    return logits, labels


# Overconfident texts (logits twice the calibrated ones) and underconfident ones (0.4 times), so that
# bins err both ways, and one confidence of exactly 1.
_OVER_LOGITS, _OVER_LABELS = _three_class_fixture(40, 2.0, seed=11)
_UNDER_LOGITS, _UNDER_LABELS = _three_class_fixture(40, 0.4, seed=15)
_ECE_PROBABILITIES = np.vstack([softmax(_OVER_LOGITS), softmax(_UNDER_LOGITS), [[0.0, 1.0, 0.0]]])   # (81, 3)
_ECE_LABELS = np.concatenate([_OVER_LABELS, _UNDER_LABELS, [0]])


def _ece_variant(confidence: np.ndarray, correct: np.ndarray, num_bins: int, weighted: bool = True,
                 absolute: bool = True, over_all_bins: bool = False) -> float:
    """The ECE and its usual wrong versions, from (n,) confidences and (n,) 0/1 correctness, bins (low, high]."""
    bin_of = np.clip(np.ceil(confidence * num_bins).astype(int) - 1, 0, num_bins - 1)
    count = np.bincount(bin_of, minlength=num_bins)
    filled = count > 0
    gaps = (np.bincount(bin_of, correct, num_bins)[filled] - np.bincount(bin_of, confidence, num_bins)[filled]) \
        / count[filled]
    gaps = np.abs(gaps) if absolute else gaps
    if over_all_bins:
        return float(gaps.sum() / num_bins)
    return float(np.sum(count[filled] / len(confidence) * gaps) if weighted else gaps.mean())


@_checked
def check_expected_calibration_error(student_function: Callable) -> CheckResult:
    """Exercise 1 of notebook 06: ``student_function(probabilities, labels, num_bins)`` is Guo et al.'s ECE."""
    p, y = _ECE_PROBABILITIES, _ECE_LABELS
    top, correct = p.max(axis=1), (p.argmax(axis=1) == y).astype(np.float64)
    for num_bins in (5, 10):
        value = _call(student_function, p.copy(), y.copy(), num_bins)
        expected = calibration.expected_calibration_error(p, y, num_bins)
        mistakes = [
            (100 * expected, "the ECE is a share in [0, 1], not a percentage: drop the factor 100."),
            (_ece_variant(p[:, 1], correct, num_bins), "the confidence is the probability of the *predicted* "
             "class, probabilities.max(axis=1), not the probability of class 1."),
            (_ece_variant(p[np.arange(len(y)), y], correct, num_bins), "the confidence is the probability of "
             "the predicted class, probabilities.max(axis=1), not of the true label: the model does not know it."),
            (_ece_variant(top, correct, num_bins, weighted=False), "weight each bin's gap by its share of the "
             "predictions, |B_m| / n: a plain mean over bins lets a bin of 2 predictions count as much as one of 200."),
            (_ece_variant(top, correct, num_bins, over_all_bins=True), "divide by n with weights |B_m| / n, "
             "not by the number of bins: empty bins must not dilute the error."),
            (_ece_variant(top, correct, num_bins, absolute=False), "take the absolute gap |acc - conf| in each "
             "bin, before summing: overconfident and underconfident bins must not cancel."),
            (-_ece_variant(top, correct, num_bins, absolute=False), "take the absolute gap |acc - conf| in each "
             "bin, before summing: overconfident and underconfident bins must not cancel."),
        ]
        result = _diagnose(value, expected, mistakes, "")
        if not result.passed:
            return _not_yet(f"with num_bins={num_bins}: " + result.message.removeprefix("Not yet: "))
    return _correct("sum over bins of |B_m|/n * |accuracy(B_m) - confidence(B_m)|, confidence = the top probability.")


_DEV_LOGITS, _DEV_LABELS = _three_class_fixture(80, 2.5, seed=12)          # overconfident: T = 2.5 calibrates
_TEST_LOGITS, _TEST_LABELS = _three_class_fixture(80, 1.5, seed=13)
_TEST_LOGITS = np.vstack([_TEST_LOGITS, [[40.0, 0.0, 0.0]]])             # one very confident mistake
_TEST_LABELS = np.append(_TEST_LABELS, 1)


def _predicted_class_nll(logits: np.ndarray) -> float:
    """The wrong loss: -log of the predicted class's probability, whatever the label."""
    return float(-np.mean(np.max(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True), axis=1)))


def _nll_before_hint(before: float) -> CheckResult | None:
    """None if ``before`` is the mean test cross-entropy at T = 1, else the hint for the mistake."""
    expected = softmax_cross_entropy_with_logits(_TEST_LOGITS, _TEST_LABELS)
    if _same(before, expected):
        return None
    per_example = softmax_cross_entropy_with_logits(_TEST_LOGITS, _TEST_LABELS, reduction="none")
    n = len(_TEST_LABELS)
    implied_last = n * before - per_example[:-1].sum()   # what the student's loss gave the confident mistake
    if np.isfinite(before) and 0 < implied_last < per_example[-1] - 1e-3:
        return _not_yet(f"test_nll_before: the text with logits (40, 0, 0) and label 1 costs "
                        f"{per_example[-1]:.2f} nats, yours about {implied_last:.2f}: log(p + epsilon) or a "
                        "clipped p caps the loss of a confident mistake. Compute log softmax from the logits, "
                        "z - logsumexp(z) (notebook 02, or scipy.special.log_softmax).")
    mistakes = [
        (n * expected, "missing 1/N: the cross-entropy is the mean over texts, not the sum."),
        (_predicted_class_nll(_TEST_LOGITS), "the cross-entropy uses the probability of the true label, "
         "log_softmax(z)[i, y_i], not of the predicted class (that one ignores the labels)."),
        (expected / np.log(10), "use the natural log, np.log: cross-entropies are in nats."),
    ]
    return _not_yet("test_nll_before: " + _diagnose(before, expected, mistakes, "").message.removeprefix("Not yet: "))


def _temperature_hint(temperature: float) -> CheckResult | None:
    """None if ``temperature`` minimises the dev cross-entropy (to 1%), else the hint for the mistake."""
    expected = calibration.fit_temperature(_DEV_LOGITS, _DEV_LABELS)
    if _same(temperature, expected, rtol=1e-2):
        return None
    mistakes = [
        (calibration.fit_temperature(_TEST_LOGITS, _TEST_LABELS), "T was fitted on test: fit it on dev, then "
         "apply it to test. A T fitted on the texts it is scored on makes their ECE look better than it will be "
         "on new texts."),
        (1 / expected, "multiply or divide? Temperature scaling divides the logits by T; you found the factor "
         "that multiplies them, 1 / T."),
        (calibration.fit_temperature(np.vstack([_DEV_LOGITS, _TEST_LOGITS]), np.append(_DEV_LABELS, _TEST_LABELS)),
         "T was fitted on dev and test together: fit it on dev only."),
    ]
    for wrong, hint in mistakes:
        if _same(temperature, wrong, rtol=1e-2):
            return _not_yet(hint)
    return _not_yet(f"T = {temperature:.4g} does not minimise the mean dev cross-entropy of softmax(dev_logits / T): "
                    "search a wide range (e.g. scipy.optimize.minimize_scalar with bounds (0.05, 20), or a fine grid).")


@_checked
def check_temperature_scaling(student_function: Callable) -> CheckResult:
    """Exercise 2 of notebook 06: temperature scaling from logits.

    ``student_function(dev_logits, dev_labels, test_logits, test_labels)`` must
    return ``(temperature, test_nll_before, test_nll_after)``: T fitted on dev
    by minimising the mean cross-entropy of softmax(logits / T), and the mean
    test cross-entropy (nats, from logits) at T = 1 and at the fitted T.
    """
    result = _call(student_function, _DEV_LOGITS.copy(), _DEV_LABELS.copy(), _TEST_LOGITS.copy(), _TEST_LABELS.copy())
    if not (isinstance(result, (tuple, list)) and len(result) == 3):
        return _not_yet("return three numbers: (temperature, test_nll_before, test_nll_after).")
    try:
        temperature, before, after = (float(value) for value in result)
    except (TypeError, ValueError):
        return _not_yet("temperature, test_nll_before and test_nll_after must each be a number.")
    hint = _nll_before_hint(before) or _temperature_hint(temperature)
    if hint is not None:
        return hint
    expected_after = softmax_cross_entropy_with_logits(_TEST_LOGITS / temperature, _TEST_LABELS)
    if not _same(after, expected_after):
        mistakes = [
            (softmax_cross_entropy_with_logits(_TEST_LOGITS * temperature, _TEST_LABELS),
             "divide the test logits by T, do not multiply."),
            (before, "it equals the loss before: apply T to the test logits."),
        ]
        return _not_yet("test_nll_after: "
                        + _diagnose(after, expected_after, mistakes, "").message.removeprefix("Not yet: "))
    extreme_logits, extreme_labels = np.array([[800.0, 0.0, 0.0], [0.0, 1000.0, 0.0]]), np.array([1, 1])
    with np.errstate(all="ignore"):
        extreme = _call(student_function, _DEV_LOGITS.copy(), _DEV_LABELS.copy(), extreme_logits, extreme_labels)
    extreme_before = float(np.asarray(extreme[1], dtype=np.float64))
    if not _same(extreme_before, softmax_cross_entropy_with_logits(extreme_logits, extreme_labels)):
        return _not_yet(f"test logits of 800 and 1000 give test_nll_before = {extreme_before:.6g}, expected 400 "
                        "(a wrong answer with a logit gap of 800 costs 800 nats): exp(800) overflows and "
                        "log(0) is -inf. Compute z - logsumexp(z), subtracting each row's maximum first.")
    return _correct(f"on the checker's own synthetic logits, T = {temperature:.3f} fitted on their dev; their test "
                    f"cross-entropy {before:.3f} -> {after:.3f} nats, exact even for logits of 1000.")


def _threshold_fixture() -> tuple[np.ndarray, np.ndarray]:
    """(labels (400,), scores (400,)): scores rounded to 2 decimals (so that they tie), P(label 1) = 0.3 + 0.7 score.

    Precision rises slowly with the threshold, so that each mistake of the exercise
    picks a different threshold (tests/test_exercises.py checks they all differ).
    """
    rng = np.random.default_rng(30)
    scores = np.round(rng.uniform(size=400), 2)
    labels = (rng.uniform(size=400) < 0.3 + 0.7 * scores).astype(np.int64)
    return labels, scores


_THRESHOLD_LABELS, _THRESHOLD_SCORES = _threshold_fixture()


def _threshold_variant(bound: Callable, strict: bool = False, largest: bool = False) -> float | None:
    """The smallest (or largest) score t whose bound(tp, called, n) reaches 0.9, "positive" meaning >= t (or > t)."""
    labels, scores = _THRESHOLD_LABELS, _THRESHOLD_SCORES
    meeting = []
    for t in np.unique(scores):
        called = scores > t if strict else scores >= t
        if called.sum() and bound(int(np.sum(called & (labels == 1))), int(called.sum()), len(labels)) >= 0.9:
            meeting.append(float(t))
    return (meeting[-1] if largest else meeting[0]) if meeting else None


def _clopper_pearson(tp: int, called: int, level: float) -> float:
    """The exact one-sided lower bound: the (1 - level) quantile of Beta(tp, called - tp + 1)."""
    from scipy.stats import beta  # only this check needs it
    return float(beta.ppf(1 - level, tp, called - tp + 1)) if tp else 0.0


@_checked
def check_threshold_with_precision_bound(student_function: Callable) -> CheckResult:
    """Exercise 3 of notebook 06: ``student_function(labels, scores, target_precision, confidence_level)``.

    It returns the smallest threshold t ("positive" means score >= t) whose
    one-sided lower confidence bound on precision reaches the target: Wilson's
    bound (``calibration.precision_lower_bound``), or Clopper-Pearson's.
    """
    value = _call(student_function, _THRESHOLD_LABELS.copy(), _THRESHOLD_SCORES.copy(), 0.9, 0.95)
    if value is None:
        return _not_yet("your function returned None, but some thresholds of this fixture reach the target: "
                        "try every distinct score as a threshold, smallest first.")
    expected = calibration.threshold_for_precision(_THRESHOLD_LABELS, _THRESHOLD_SCORES, 0.9, 0.95)
    if _same(value, _threshold_variant(lambda tp, called, n: _clopper_pearson(tp, called, 0.95))):
        return _correct("the Clopper-Pearson bound, exact and a little more cautious than Wilson's.")
    z = 1.6448536269514722   # one-sided 95%
    wald = lambda tp, called, n: tp / called - z * np.sqrt(tp / called * (1 - tp / called) / called)  # noqa: E731
    mistakes = [
        (calibration.threshold_for_precision(_THRESHOLD_LABELS, _THRESHOLD_SCORES, 0.9),
         "that is the threshold where the measured precision reaches the target; ask its lower confidence "
         "bound to reach it (calibration.precision_lower_bound)."),
        (calibration.threshold_for_precision(_THRESHOLD_LABELS, _THRESHOLD_SCORES, 0.9, 0.975),
         "you used z = 1.96, the two-sided 95% value; a lower bound alone is one-sided: z = 1.645 "
         "(NormalDist().inv_cdf(0.95))."),
        (_threshold_variant(wald), "that is the normal-approximation (Wald) bound p - z sqrt(p(1-p)/n); it is 1 "
         "whenever every text called positive is right, however few. Use Wilson's bound."),
        (_threshold_variant(lambda tp, called, n: calibration.precision_lower_bound(tp * n / called, n)),
         "the bound's n is the number of texts called positive (precision's denominator), not all texts."),
        (_threshold_variant(lambda tp, called, n: calibration.precision_lower_bound(tp, called), strict=True),
         "count a text whose score equals the threshold as positive (score >= t), as precision_recall_curve does."),
        (_threshold_variant(lambda tp, called, n: calibration.precision_lower_bound(tp, called), largest=True),
         "return the smallest threshold that meets the requirement: every larger one loses recall."),
    ]
    return _diagnose(value, expected, mistakes, "the smallest threshold whose Wilson lower bound on precision "
                     "reaches the target.", fallback=f"{value!r} is not it: for each distinct score t, count "
                     "the texts with score >= t and the positives among them, and keep the smallest t whose "
                     "one-sided 95% Wilson lower bound reaches the target.")
