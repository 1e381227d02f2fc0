"""ECE, reliability bins, the bootstrap and decision thresholds, checked against oracles."""

import numpy as np
import pytest
from sklearn.metrics import precision_recall_curve
from scipy import stats
from sklearn.calibration import calibration_curve
from sklearn.metrics import accuracy_score

import finetune_lab  # noqa: F401  (environment first, as in the notebooks)
from finetune_lab import calibration


def perfectly_calibrated(num_per_level: int = 100):
    """P(positive) = p for groups in which exactly a share p is positive: calibrated by construction."""
    levels = np.array([0.05, 0.2, 0.35, 0.65, 0.8, 0.95])
    positive = np.repeat(levels, num_per_level)
    labels = np.concatenate([np.arange(num_per_level) < round(p * num_per_level) for p in levels])
    return np.stack([1 - positive, positive], axis=1), labels.astype(np.int64)


def test_a_perfectly_calibrated_predictor_has_zero_ece():
    probabilities, labels = perfectly_calibrated()
    assert calibration.expected_calibration_error(probabilities, labels) == pytest.approx(0.0, abs=1e-12)


def test_an_always_certain_predictor_that_is_right_70_percent_has_ece_0_3():
    labels = (np.arange(1000) < 700).astype(np.int64)
    probabilities = np.tile([0.0, 1.0], (1000, 1))   # confidence 1, accuracy 0.7
    assert calibration.expected_calibration_error(probabilities, labels) == pytest.approx(0.3)


@pytest.mark.parametrize("num_bins", [5, 10, 15])
def test_bins_match_scikit_learn_calibration_curve(num_bins):
    rng = np.random.default_rng(0)
    positive = rng.uniform(size=2000)
    labels = (rng.uniform(size=2000) < positive ** 1.5).astype(np.int64)  # miscalibrated on purpose
    probabilities = np.stack([1 - positive, positive], axis=1)
    bins = calibration.reliability_bins(probabilities, labels, num_bins)
    correct = probabilities.argmax(axis=1) == labels
    accuracy, confidence = calibration_curve(correct, probabilities.max(axis=1), n_bins=num_bins)
    filled = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[filled], accuracy)
    np.testing.assert_allclose(bins.confidence[filled], confidence)
    assert bins.count.sum() == 2000
    ece = np.sum(bins.count[filled] / 2000 * np.abs(accuracy - confidence))
    assert calibration.expected_calibration_error(probabilities, labels, num_bins) == pytest.approx(ece)


def three_class_predictions(num_examples: int = 3000, seed: int = 5):
    """Random softmax outputs over 3 classes and labels that agree with the argmax more often than not."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, size=(num_examples, 3))
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.where(rng.uniform(size=num_examples) < 0.7, probabilities.argmax(axis=1),
                      rng.integers(0, 3, size=num_examples))
    return probabilities, labels


@pytest.mark.parametrize("num_bins", [5, 15])
def test_three_class_bins_use_the_top_label_and_match_scikit_learn(num_bins):
    probabilities, labels = three_class_predictions()
    bins = calibration.reliability_bins(probabilities, labels, num_bins)
    confidence = probabilities.max(axis=1)                       # top-label probability, >= 1/3
    correct = probabilities.argmax(axis=1) == labels
    accuracy, mean_confidence = calibration_curve(correct, confidence, n_bins=num_bins)
    filled = bins.count > 0
    np.testing.assert_allclose(bins.accuracy[filled], accuracy)
    np.testing.assert_allclose(bins.confidence[filled], mean_confidence)
    assert bins.count.sum() == len(labels)
    assert bins.count[bins.edges[1:] <= 1 / 3].sum() == 0        # no confidence below 1/K
    ece = np.sum(bins.count[filled] / len(labels) * np.abs(accuracy - mean_confidence))
    assert calibration.expected_calibration_error(probabilities, labels, num_bins) == pytest.approx(ece)


def test_three_class_ece_by_hand():
    # 10 predictions at confidence 0.6 of which 6 are right (calibrated), and
    # 10 at confidence 0.9 of which 5 are right (a gap of 0.4): ECE = 10/20 * 0.4 = 0.2.
    probabilities = np.array([[0.6, 0.3, 0.1]] * 10 + [[0.05, 0.05, 0.9]] * 10)
    labels = np.array([0] * 6 + [1] * 4 + [2] * 5 + [0] * 5)
    assert calibration.expected_calibration_error(probabilities, labels, num_bins=10) == pytest.approx(0.2)
    bins = calibration.reliability_bins(probabilities, labels, num_bins=10)
    assert bins.count.tolist() == [0, 0, 0, 0, 0, 10, 0, 0, 10, 0]   # 0.6 in (0.5, 0.6], 0.9 in (0.8, 0.9]


def test_a_confidence_on_a_bin_edge_goes_to_the_lower_bin():
    bins = calibration.reliability_bins(np.array([[0.4, 0.6]]), np.array([1]), num_bins=5)
    np.testing.assert_array_equal(bins.count, [0, 0, 1, 0, 0])  # 0.6 is in (0.4, 0.6]


@pytest.mark.parametrize("probabilities, labels, message", [
    (np.array([0.2, 0.8]), np.array([1, 0]), "shape"),
    (np.array([[0.2, 0.9]]), np.array([1]), "distribution"),
    (np.zeros((0, 2)), np.zeros(0), "no examples"),
])
def test_bad_probabilities_are_rejected(probabilities, labels, message):
    with pytest.raises(ValueError, match=message):
        calibration.expected_calibration_error(probabilities, labels)


def test_bootstrap_interval_of_an_accuracy_matches_the_normal_approximation_and_scipy():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=1500)
    predictions = np.where(rng.uniform(size=1500) < 0.85, labels, 1 - labels)
    value, low, high = calibration.bootstrap_interval(accuracy_score, labels, predictions, seed=0)
    assert value == accuracy_score(labels, predictions)
    half_width = 1.96 * np.sqrt(value * (1 - value) / 1500)   # Wald interval of a proportion
    assert low == pytest.approx(value - half_width, abs=0.004)
    assert high == pytest.approx(value + half_width, abs=0.004)
    oracle = stats.bootstrap((labels, predictions), accuracy_score, paired=True, vectorized=False,
                             n_resamples=1000, method="percentile", random_state=0).confidence_interval
    assert (low, high) == pytest.approx((oracle.low, oracle.high), abs=0.005)


def test_bootstrap_is_repeatable_with_a_seed():
    labels, predictions = np.array([0, 1, 1, 0, 1, 1]), np.array([0, 1, 0, 0, 1, 0])
    first = calibration.bootstrap_interval(accuracy_score, labels, predictions, num_resamples=50, seed=3)
    assert first == calibration.bootstrap_interval(accuracy_score, labels, predictions, num_resamples=50, seed=3)
    assert first[1] <= first[0] <= first[2]


def test_a_bootstrap_of_several_metrics_equals_one_bootstrap_per_metric():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=200)
    predictions = np.where(rng.uniform(size=200) < 0.8, labels, 1 - labels)
    both = lambda y, y_hat: (accuracy_score(y, y_hat), np.mean(y_hat))
    value, low, high = calibration.bootstrap_interval(both, labels, predictions, num_resamples=200, seed=7)
    assert value.shape == low.shape == high.shape == (2,)
    for k, single in enumerate([accuracy_score, lambda y, y_hat: np.mean(y_hat)]):
        assert calibration.bootstrap_interval(single, labels, predictions, num_resamples=200, seed=7) == \
            pytest.approx((value[k], low[k], high[k]))


def test_bootstrap_rejects_arrays_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        calibration.bootstrap_interval(accuracy_score, np.zeros(3), np.zeros(4))


def test_threshold_metrics_at_one_half_equal_the_argmax():
    rng = np.random.default_rng(2)
    positive = rng.uniform(size=300)
    labels = rng.integers(0, 2, size=300)
    argmax = np.stack([1 - positive, positive], axis=1).argmax(axis=1)
    metrics = calibration.threshold_metrics(labels, positive, 0.5)
    assert metrics["accuracy"] == pytest.approx(np.mean(argmax == labels))
    assert metrics["positive_share"] == pytest.approx(argmax.mean())


def test_threshold_metrics_at_the_extremes():
    labels, positive = np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.6, 0.3])
    assert calibration.threshold_metrics(labels, positive, 0.0)["recall"] == 1.0
    assert calibration.threshold_metrics(labels, positive, 1.0)["positive_share"] == 0.0
    assert calibration.threshold_metrics(labels, positive, 0.6)["positive_share"] == 0.5   # 0.6 itself is called positive
    with pytest.raises(ValueError, match="decision_threshold"):
        calibration.threshold_metrics(labels, positive, 1.5)


def test_a_threshold_from_the_precision_recall_curve_gives_the_curves_precision():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 2, size=200)
    scores = np.round(np.clip(0.3 * labels + rng.uniform(size=200) * 0.7, 0, 1), 2)   # ties, as float32 outputs have
    precision, recall, thresholds = precision_recall_curve(labels, scores)
    for i in range(0, len(thresholds), 7):
        metrics = calibration.threshold_metrics(labels, scores, float(thresholds[i]))
        assert (metrics["precision"], metrics["recall"]) == pytest.approx((precision[i], recall[i]))


# ---------------------------------------------------------------- paired bootstrap of a difference

def accuracy_of(predictions, labels):
    return float(np.mean(predictions == labels))


def correlated_predictors(num_examples: int = 1000, seed: int = 8):
    """Two predictors that share most of their mistakes (the hard texts), the second a little better."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=num_examples)
    hard = rng.uniform(size=num_examples) < 0.2                  # wrong for both
    fixed = hard & (rng.uniform(size=num_examples) < 0.1)        # hard texts only the second gets right
    first = np.where(hard, 1 - labels, labels)
    second = np.where(hard & ~fixed, 1 - labels, labels)
    return labels, first, second


def test_identical_predictors_differ_by_exactly_zero_on_every_resample():
    labels, first, _ = correlated_predictors()
    assert calibration.paired_bootstrap_difference(accuracy_of, first, first.copy(), labels) == (0.0, 0.0, 0.0)


def test_a_clearly_better_predictor_has_an_interval_that_excludes_zero():
    labels, first, second = correlated_predictors()
    difference, low, high = calibration.paired_bootstrap_difference(accuracy_of, first, second, labels, seed=1)
    assert difference == pytest.approx(accuracy_of(second, labels) - accuracy_of(first, labels))
    assert 0 < low <= difference <= high
    # and the other way round, the same interval with the sign flipped
    assert calibration.paired_bootstrap_difference(accuracy_of, second, first, labels, seed=1) == \
        pytest.approx((-difference, -high, -low))


def test_the_paired_interval_is_narrower_than_the_unpaired_one_on_correlated_predictors():
    labels, first, second = correlated_predictors()
    _, low, high = calibration.paired_bootstrap_difference(accuracy_of, first, second, labels, seed=2)
    rng = np.random.default_rng(2)   # unpaired: each predictor on its own resample
    n = len(labels)
    unpaired = [accuracy_of(second[b], labels[b]) - accuracy_of(first[a], labels[a])
                for a, b in (rng.integers(0, n, size=(2, n)) for _ in range(1000))]
    unpaired_low, unpaired_high = np.quantile(unpaired, [0.025, 0.975])
    assert high - low < 0.5 * (unpaired_high - unpaired_low)
    assert unpaired_low < 0 < low   # only the paired interval shows the improvement


def test_the_paired_bootstrap_of_a_mean_difference_matches_scipy():
    labels, first, second = correlated_predictors()
    _, low, high = calibration.paired_bootstrap_difference(accuracy_of, first, second, labels, seed=0)
    per_text = (second == labels).astype(float) - (first == labels)
    oracle = stats.bootstrap((per_text,), np.mean, n_resamples=1000, method="percentile",
                             random_state=0).confidence_interval
    assert (low, high) == pytest.approx((oracle.low, oracle.high), abs=0.004)


# ---------------------------------------------------------------- temperature, precision bound, threshold

def test_fit_temperature_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(3)
    calibrated = rng.normal(0, 2, size=(20000, 3))
    labels = np.array([rng.choice(3, p=p) for p in np.exp(calibrated) / np.exp(calibrated).sum(1, keepdims=True)])
    assert calibration.fit_temperature(2.5 * calibrated, labels) == pytest.approx(2.5, rel=0.05)   # overconfident
    assert calibration.fit_temperature(0.5 * calibrated, labels) == pytest.approx(0.5, rel=0.05)   # underconfident


def test_fit_temperature_is_finite_for_extreme_logits_and_rejects_bad_labels():
    logits = np.array([[0.0, 800.0], [1000.0, 0.0], [2.0, -1.0], [0.0, 3.0]])
    assert np.isfinite(calibration.fit_temperature(logits, np.array([0, 0, 0, 1])))
    with pytest.raises(ValueError, match="class ids"):
        calibration.fit_temperature(logits, np.array([0, 2, 0, 1]))


@pytest.mark.parametrize("true_positives, predicted_positives, level", [(19, 20, 0.95), (5, 5, 0.95), (0, 7, 0.9),
                                                                        (830, 900, 0.99)])
def test_precision_lower_bound_is_scipys_wilson_bound(true_positives, predicted_positives, level):
    oracle = stats.binomtest(true_positives, predicted_positives).proportion_ci(2 * level - 1, method="wilson").low
    assert calibration.precision_lower_bound(true_positives, predicted_positives, level) == pytest.approx(oracle)


def test_precision_lower_bound_stays_below_one_when_all_of_few_are_right():
    assert calibration.precision_lower_bound(3, 3) < 0.6 < calibration.precision_lower_bound(300, 300)
    with pytest.raises(ValueError, match="at least one"):
        calibration.precision_lower_bound(0, 0)


def test_threshold_for_precision_checked_against_every_candidate():
    rng = np.random.default_rng(6)
    labels = rng.integers(0, 2, size=400)
    scores = np.clip(0.35 * labels + 0.65 * rng.uniform(size=400), 0, 1)
    for level in (None, 0.95):
        chosen = calibration.threshold_for_precision(labels, scores, 0.9, level)
        def meets(t):
            called = scores >= t
            tp = int(np.sum(called & (labels == 1)))
            value = tp / called.sum() if level is None else calibration.precision_lower_bound(tp, called.sum(), level)
            return value >= 0.9
        candidates = np.unique(scores)
        assert meets(chosen) and not any(meets(t) for t in candidates[candidates < chosen])
    assert calibration.threshold_for_precision(labels, scores, 0.9, 0.95) > \
        calibration.threshold_for_precision(labels, scores, 0.9)   # the bound asks for a higher threshold
    assert calibration.threshold_for_precision(np.array([1, 0, 1, 0, 0]), np.linspace(0, 1, 5), 0.5) is None
