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
on test sets resampled with replacement.

Metrics themselves come from scikit-learn (via ``metrics.classification_metrics``);
only the ECE and the bootstrap, which notebook 06 teaches, are written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from finetune_lab.checks import check_counts
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


def threshold_metrics(labels, positive_probabilities, decision_threshold: float = 0.5) -> dict:
    """Accuracy, precision, recall, F1 when "positive" means P(positive) > threshold (notebook 06).

    Args:
        labels: (n,) true classes 0/1.
        positive_probabilities: (n,) float P(class 1).
        decision_threshold: in [0, 1]. At 0.5 the predictions equal the argmax
            of the two probabilities (a tie at exactly 0.5 goes to class 0, as argmax does).

    Returns:
        ``metrics.classification_metrics`` at that threshold, plus
        ``"positive_share"``: the share of examples predicted positive.

    Raises:
        ValueError: a threshold outside [0, 1].
    """
    if not 0.0 <= decision_threshold <= 1.0:
        raise ValueError(f"decision_threshold must be in [0, 1], got {decision_threshold}")
    predictions = (np.asarray(positive_probabilities) > decision_threshold).astype(np.int64)
    metrics = classification_metrics(labels, predictions)
    metrics["positive_share"] = float(predictions.mean())
    return metrics
