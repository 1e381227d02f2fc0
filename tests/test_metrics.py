"""Binary and K-class metrics: a hand-worked example, scikit-learn's report as the oracle, K = 2 consistency."""

import numpy as np
import pytest
from sklearn.metrics import classification_report

from finetune_lab.metrics import classification_metrics, multiclass_metrics

NAMES = ["negative", "neutral", "positive"]


def test_a_small_three_class_example_worked_by_hand():
    labels, predictions = [0, 0, 1, 1, 2, 2], [0, 1, 1, 1, 2, 0]
    metrics = multiclass_metrics(labels, predictions, NAMES)
    # negative: TP 1, FP 1, FN 1. neutral: TP 2, FP 1, FN 0. positive: TP 1, FP 0, FN 1.
    assert metrics["per_class"]["negative"] == pytest.approx({"precision": 0.5, "recall": 0.5, "f1": 0.5,
                                                              "support": 2})
    assert metrics["per_class"]["neutral"] == pytest.approx({"precision": 2 / 3, "recall": 1.0, "f1": 0.8,
                                                             "support": 2})
    assert metrics["per_class"]["positive"] == pytest.approx({"precision": 1.0, "recall": 0.5, "f1": 2 / 3,
                                                              "support": 2})
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)
    assert metrics["weighted_f1"] == pytest.approx(metrics["macro_f1"])   # equal supports
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert metrics["class_names"] == NAMES


@pytest.mark.parametrize("num_classes", [3, 5])
def test_agrees_with_scikit_learn_classification_report_on_imbalanced_data(num_classes):
    rng = np.random.default_rng(num_classes)
    labels = rng.choice(num_classes, size=400, p=np.linspace(1, 3, num_classes) / np.linspace(1, 3, num_classes).sum())
    predictions = np.where(rng.uniform(size=400) < 0.6, labels, rng.integers(0, num_classes, size=400))
    names = [f"class {k}" for k in range(num_classes)]
    ours = multiclass_metrics(labels, predictions, names)
    report = classification_report(labels, predictions, labels=list(range(num_classes)), target_names=names,
                                   output_dict=True, zero_division=0)
    for name in names:
        for key, report_key in (("precision", "precision"), ("recall", "recall"), ("f1", "f1-score"),
                                ("support", "support")):
            assert ours["per_class"][name][key] == pytest.approx(report[name][report_key]), (name, key)
    assert ours["macro_f1"] == pytest.approx(report["macro avg"]["f1-score"])
    assert ours["weighted_f1"] == pytest.approx(report["weighted avg"]["f1-score"])
    assert ours["accuracy"] == pytest.approx(report["accuracy"])
    matrix = np.array(ours["confusion_matrix"])
    assert matrix.shape == (num_classes, num_classes) and matrix.sum() == 400
    np.testing.assert_array_equal(matrix.sum(axis=1), np.bincount(labels, minlength=num_classes))


def test_a_class_never_predicted_or_absent_gets_zeros_not_nan():
    metrics = multiclass_metrics([0, 0, 1, 1], [0, 0, 0, 1], NAMES)
    assert metrics["per_class"]["positive"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert metrics["confusion_matrix"][2] == [0, 0, 0]
    assert not np.isnan(metrics["macro_f1"])


def test_with_two_classes_the_positive_class_equals_the_binary_metrics():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, size=300)
    predictions = np.where(rng.uniform(size=300) < 0.8, labels, 1 - labels)
    binary = classification_metrics(labels, predictions)
    multiclass = multiclass_metrics(labels, predictions, ["negative", "positive"])
    positive = multiclass["per_class"]["positive"]
    assert (positive["precision"], positive["recall"], positive["f1"]) == \
        pytest.approx((binary["precision"], binary["recall"], binary["f1"]))
    assert multiclass["accuracy"] == binary["accuracy"]
    assert multiclass["confusion_matrix"] == binary["confusion_matrix"]


def test_binary_classification_metrics_keep_their_keys_and_values():
    metrics = classification_metrics([0, 1, 1, 0, 1], [0, 1, 0, 1, 1])
    assert metrics.pop("confusion_matrix") == [[1, 1], [1, 2]]
    assert metrics == pytest.approx({"accuracy": 0.6, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})


@pytest.mark.parametrize("labels, predictions, names, message", [
    ([0, 1], [0, 1], ["only"], "at least 2 different names"),
    ([0, 1], [0, 1], ["a", "a"], "at least 2 different names"),
    ([0, 1, 2], [0, 1], NAMES, "same shape"),
    ([], [], NAMES, "non-empty"),
    ([0, 3, 1], [0, 1, 1], NAMES, "labels must be integer class ids 0 to 2"),
    ([0, 1, 1], [0, 1, -1], NAMES, "predictions must be integer class ids 0 to 2"),
    ([0, 1, 1], [0.0, 1.0, 1.0], NAMES, "argmax"),
])
def test_bad_input_is_rejected_with_a_message_that_says_what_is_wrong(labels, predictions, names, message):
    with pytest.raises(ValueError, match=message):
        multiclass_metrics(labels, predictions, names)
