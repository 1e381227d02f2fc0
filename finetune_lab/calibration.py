"""Calibration, bootstrap confidence intervals and decision thresholds (introduced in notebook 06).

A classifier is *calibrated* when its confidence means what it says: of all
predictions made with confidence 0.8, about 80% are right. The reliability
diagram and the expected calibration error (ECE) measure how far a model is
from that, following Guo et al. 2017, "On Calibration of Modern Neural
Networks" (ICML), section 2:

    confidence_i = max_k p_ik          the probability of the predicted class
    B_m = { i : confidence_i in ((m-1)/M, m/M] },  m = 1..M   equal-width bins
    ECE = sum_m |B_m| / n * | accuracy(B_m) - mean confidence(B_m) |

A test-set accuracy is one draw from a noisy process; the percentile
bootstrap (Efron 1979; Efron & Tibshirani 1993, "An Introduction to the
Bootstrap", chapter 13) puts an interval around it by recomputing the metric
on test sets resampled with replacement. Two predictors scored on the same
texts are compared by the *paired* bootstrap of their difference.

Temperature scaling (Guo et al. 2017, section 4.2) divides the logits by one
number T fitted on the development set (data/README.md, "Data protocol"), by
minimising notebook 02's stable softmax cross-entropy. A decision threshold
for a required precision can be chosen on the point estimate of precision or,
more cautiously, on a lower confidence bound for it (Wilson 1927).

Metrics themselves come from scikit-learn (via ``metrics.classification_metrics``);
only the ECE, the bootstrap and the Wilson bound, which notebook 06 teaches,
are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist
from typing import Callable, Sequence

import numpy as np
from sklearn.metrics import precision_recall_curve

from finetune_lab.checks import check_counts
from finetune_lab.from_scratch.losses import softmax_cross_entropy_with_logits
from finetune_lab.metrics import classification_metrics


def _check_probabilities(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    """``probabilities`` as float64 (n, num_classes) rows summing to 1, ``labels`` as int64 (n,)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if probabilities.ndim != 2 or probabilities.shape[0] != labels.shape[0] or labels.ndim != 1:
        raise ValueError(f"probabilities must have shape (n, num_classes) and labels (n,); got "
                         f"{probabilities.shape} and {labels.shape}")
    if len(labels) == 0:
        raise ValueError("no examples: pass at least one prediction")
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4) or probabilities.min() < 0:
        raise ValueError("each row of probabilities must be a distribution (>= 0, summing to 1): "
                         "apply a softmax to the logits first")
    return probabilities, labels


@dataclass
class ReliabilityBins:
    """Guo et al.'s bins of confidence, the data of a reliability diagram.

    Attributes:
        edges: (num_bins + 1,) float64 bin edges from 0 to 1; bin m is (edges[m], edges[m+1]].
        confidence: (num_bins,) float64 mean confidence in each bin (NaN if empty).
        accuracy: (num_bins,) float64 share of correct predictions in each bin (NaN if empty).
        count: (num_bins,) int64 predictions in each bin.
    """

    edges: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    count: np.ndarray


def reliability_bins(probabilities, labels, num_bins: int = 15) -> ReliabilityBins:
    """Bin the predictions by confidence (notebook 06; Guo et al. 2017, section 2).

    Args:
        probabilities: (n, num_classes) class probabilities (softmax outputs),
            any number of classes K >= 2.
        labels: (n,) integer true class ids in 0 .. K-1.
        num_bins: M equal-width bins over [0, 1]; Guo et al. use 15. With K
            classes the confidence (top-label probability) is at least 1/K, so
            bins below 1/K stay empty: below 0.5 for two classes.

    Returns:
        A ``ReliabilityBins``. Its non-empty bins equal scikit-learn's
        ``calibration_curve(correct, confidence, n_bins=num_bins)``.

    Raises:
        ValueError: mismatched shapes, no examples, rows that are not
            distributions, or ``num_bins`` < 1.
    """
    probabilities, labels = _check_probabilities(probabilities, labels)
    check_counts(num_bins=num_bins)
    confidence = probabilities.max(axis=1)                                  # (n,)
    correct = (probabilities.argmax(axis=1) == labels).astype(np.float64)   # (n,)
    edges = np.linspace(0.0, 1.0, num_bins + 1)
    # side="left" puts a confidence equal to an edge in the lower bin: bins are (low, high].
    bin_of = np.searchsorted(edges[1:-1], confidence, side="left")         # (n,) in 0..M-1
    count = np.bincount(bin_of, minlength=num_bins)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty bins become NaN
        mean_confidence = np.bincount(bin_of, confidence, num_bins) / count
        accuracy = np.bincount(bin_of, correct, num_bins) / count
    return ReliabilityBins(edges, mean_confidence, accuracy, count.astype(np.int64))


def expected_calibration_error(probabilities, labels, num_bins: int = 15) -> float:
    """ECE = sum_m |B_m|/n * |accuracy(B_m) - confidence(B_m)| (Guo et al. 2017, eq. 3).

    Introduced in notebook 06. 0 means perfectly calibrated on these bins;
    the largest possible value is 1. Arguments and errors as ``reliability_bins``.

    Returns:
        The ECE as a float in [0, 1] (a share, not a percentage).
    """
    bins = reliability_bins(probabilities, labels, num_bins)
    filled = bins.count > 0
    gaps = np.abs(bins.accuracy[filled] - bins.confidence[filled])
    return float(np.sum(bins.count[filled] / bins.count.sum() * gaps))


def bootstrap_interval(statistic: Callable[..., float | Sequence[float]], *arrays, num_resamples: int = 1000,
                       confidence_level: float = 0.95, seed: int = 0):
    """The statistic and its percentile-bootstrap confidence interval (notebook 06).

    Efron & Tibshirani 1993, chapter 13: draw ``num_resamples`` test sets of
    the same size n with replacement, recompute the statistic on each, and
    take the (1 - level)/2 and (1 + level)/2 quantiles of those values.

    Args:
        statistic: ``statistic(*resampled_arrays)`` returning a float, e.g.
            ``sklearn.metrics.accuracy_score`` called as ``(labels, predictions)``,
            or a sequence of k floats (several metrics from one call).
        arrays: equal-length arrays of shape (n, ...), resampled together by row.
        num_resamples: bootstrap test sets; the more, the less the interval's
            ends move from seed to seed (notebook 06's choice and its reason:
            ``num_bootstrap`` in ``course/params.py``).
        confidence_level: e.g. 0.95 for a 95% interval.
        seed: the same seed draws the same resamples, so intervals computed
            with one seed come from the same test sets.

    Returns:
        ``(value on the full data, lower end, upper end)``: floats, or
        (k,) float64 arrays for a statistic returning k values.

    Raises:
        ValueError: no arrays, arrays of different lengths or empty,
            ``num_resamples`` < 1, or ``confidence_level`` outside (0, 1).
    """
    arrays = [np.asarray(array) for array in arrays]
    if not arrays or len({len(array) for array in arrays}) != 1 or len(arrays[0]) == 0:
        raise ValueError("pass one or more non-empty arrays of the same length, e.g. labels, predictions")
    check_counts(num_resamples=num_resamples)
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), e.g. 0.95, got {confidence_level}")
    rng = np.random.default_rng(seed)
    n = len(arrays[0])
    values = np.array([statistic(*(array[rows] for array in arrays))       # (num_resamples,) or (num_resamples, k)
                       for rows in rng.integers(0, n, size=(num_resamples, n))], dtype=np.float64)
    low, high = np.quantile(values, [(1 - confidence_level) / 2, (1 + confidence_level) / 2], axis=0)
    value = np.asarray(statistic(*arrays), dtype=np.float64)
    if value.ndim == 0:
        return float(value), float(low), float(high)
    return value, low, high


def paired_bootstrap_difference(statistic: Callable[..., float], before, after, *shared, num_resamples: int = 1000,
                                confidence_level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """``statistic(after, *shared) - statistic(before, *shared)`` with its paired bootstrap interval (notebook 06).

    Two predictions of the *same* texts (a model before and after temperature
    scaling, two models) are compared on the same resamples: each resample
    draws one set of row indices and scores both on those rows, and the
    interval is the percentile interval of the differences (Efron &
    Tibshirani 1993, section 13; Koehn 2004 uses the same paired resampling to
    compare translation systems). Texts that are hard for both cancel out of
    the difference, so the interval is narrower than one read off two separate
    intervals, and "one value lies outside the other's interval" is not a
    test of a difference. Built on ``bootstrap_interval``, which resamples all
    its arrays with the same rows.

    Args:
        statistic: ``statistic(predictions, *shared)`` -> float, e.g.
            ``lambda probabilities, labels: expected_calibration_error(probabilities, labels)``.
        before, after: equal-length arrays of shape (n, ...), e.g. (n, K) probabilities.
        shared: arrays of the same length n used by both, e.g. the (n,) labels.
        num_resamples, confidence_level, seed: as ``bootstrap_interval``.

    Returns:
        ``(difference on the full data, lower end, upper end)``, floats in the
        statistic's unit; an interval that excludes 0 shows a change beyond
        resampling noise at that level.

    Raises:
        ValueError: as ``bootstrap_interval``.
    """
    def difference(before_rows, after_rows, *shared_rows):
        return statistic(after_rows, *shared_rows) - statistic(before_rows, *shared_rows)

    return bootstrap_interval(difference, before, after, *shared, num_resamples=num_resamples,
                              confidence_level=confidence_level, seed=seed)


def fit_temperature(logits, labels, bounds: tuple[float, float] = (0.05, 20.0)) -> float:
    """The temperature T minimising the mean cross-entropy of softmax(logits / T) (Guo et al. 2017, 4.2).

    Introduced in notebook 06. Fit it on the development set and apply it to
    test, never fit it on test (data/README.md, "Data protocol"). The loss is
    notebook 02's ``softmax_cross_entropy_with_logits``, exact for any logits
    (log-sum-exp, no ``log(p + epsilon)``). T > 1 lowers every confidence (the
    model was overconfident on these texts), T < 1 raises them; the predicted
    class never changes.

    Args:
        logits: (n, K) float raw scores before the softmax.
        labels: (n,) int class ids in 0 .. K-1.
        bounds: the search interval for T (SciPy's bounded scalar minimiser).

    Returns:
        T as a float inside ``bounds``.

    Raises:
        ValueError: logits not (n, K) or labels not class ids (from the loss).
    """
    from scipy.optimize import minimize_scalar  # only notebook 06 needs it

    logits = np.asarray(logits, dtype=np.float64)
    softmax_cross_entropy_with_logits(logits, labels)   # bad input -> its one-line error, before the search
    return float(minimize_scalar(lambda t: softmax_cross_entropy_with_logits(logits / t, labels),
                                 bounds=bounds, method="bounded").x)


def precision_lower_bound(true_positives, predicted_positives, confidence_level: float = 0.95):
    """One-sided Wilson lower confidence bound on a precision TP / (TP + FP) (notebook 06).

    Wilson 1927 (see Brown, Cai & DasGupta 2001, "Interval Estimation for a
    Binomial Proportion", who recommend it over the normal approximation):
    with p = TP / n, n the texts called positive and z = Phi^-1(level),

        lower = (p + z^2/(2n) - z * sqrt(p (1 - p) / n + z^2 / (4 n^2))) / (1 + z^2 / n)

    "Precision is at least ``lower``" then holds with that confidence. It is
    the low end of scipy's two-sided Wilson interval at level 2*level - 1
    (``scipy.stats.binomtest(tp, n).proportion_ci(2 * level - 1, "wilson")``).
    Unlike p - z sqrt(p (1 - p) / n), it stays below 1 when every one of a few
    texts called positive is right.

    Args:
        true_positives: int or (m,) ints, texts called positive that are positive.
        predicted_positives: int or (m,) ints >= 1, texts called positive.
        confidence_level: e.g. 0.95, in (0, 1).

    Returns:
        float, or (m,) float64, in [0, 1].

    Raises:
        ValueError: a level outside (0, 1), no text called positive, or TP > n.
    """
    if not 0 < confidence_level < 1:
        raise ValueError(f"confidence_level must be in (0, 1), e.g. 0.95, got {confidence_level}")
    tp, n = np.asarray(true_positives, dtype=np.float64), np.asarray(predicted_positives, dtype=np.float64)
    if np.any(n < 1) or np.any(tp < 0) or np.any(tp > n):
        raise ValueError("need 0 <= true_positives <= predicted_positives and predicted_positives >= 1: "
                         "a precision needs at least one text called positive")
    z = NormalDist().inv_cdf(confidence_level)
    p = tp / n
    centre = p + z ** 2 / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z ** 2 / (4 * n ** 2))
    lower = (centre - spread) / (1 + z ** 2 / n)
    return float(lower) if lower.ndim == 0 else lower


def threshold_for_precision(labels, positive_probabilities, target_precision: float,
                            confidence_level: float | None = None) -> float | None:
    """The smallest threshold t whose precision ("positive" means P >= t) reaches the target (notebook 06).

    With ``confidence_level=None`` the precision measured on these texts must
    reach ``target_precision``; with a level, its one-sided Wilson lower bound
    must (``precision_lower_bound``), which asks for more texts, or fewer
    mistakes, before trusting a high threshold. Candidates are the distinct
    probabilities, as in ``sklearn.metrics.precision_recall_curve``. Choose it
    on the development set, then report it on test.

    Args:
        labels: (n,) true classes 0/1.
        positive_probabilities: (n,) float P(class 1).
        target_precision: in (0, 1].
        confidence_level: None, or e.g. 0.95.

    Returns:
        The threshold as a float, or None if no threshold reaches the target.

    Raises:
        ValueError: a target outside (0, 1], or a level outside (0, 1).
    """
    if not 0 < target_precision <= 1:
        raise ValueError(f"target_precision must be in (0, 1], got {target_precision}")
    scores = np.asarray(positive_probabilities, dtype=np.float64)
    precision, _, thresholds = precision_recall_curve(labels, scores)   # precision[i] at "P >= thresholds[i]"
    precision = precision[:-1]                                          # the last point has no threshold
    if confidence_level is not None:
        called = len(scores) - np.searchsorted(np.sort(scores), thresholds, side="left")   # (m,) texts called positive
        precision = precision_lower_bound(np.round(precision * called), called, confidence_level)
    meets = np.flatnonzero(precision >= target_precision)
    return float(thresholds[meets[0]]) if len(meets) else None


def threshold_metrics(labels, positive_probabilities, decision_threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall, F1 when "positive" means P(positive) >= threshold (notebook 06).

    ">=" is scikit-learn's rule (``precision_recall_curve``'s thresholds are
    scores, each the lowest one called positive), so a threshold chosen from
    that curve gives here the precision the curve reported.

    Args:
        labels: (n,) true classes 0/1.
        positive_probabilities: (n,) float P(class 1).
        decision_threshold: in [0, 1]. At 0.5 the predictions equal the argmax
            of the two probabilities, except a tie at exactly 0.5 (class 1
            here, class 0 for argmax).

    Returns:
        ``metrics.classification_metrics`` at that threshold, plus
        ``"positive_share"``: the share of examples predicted positive.

    Raises:
        ValueError: a threshold outside [0, 1].
    """
    if not 0.0 <= decision_threshold <= 1.0:
        raise ValueError(f"decision_threshold must be in [0, 1], got {decision_threshold}")
    predictions = (np.asarray(positive_probabilities) >= decision_threshold).astype(np.int64)
    metrics = classification_metrics(labels, predictions)
    metrics["positive_share"] = float(predictions.mean())
    return metrics
