"""Classification metrics from scikit-learn, named and put in one dictionary (notebooks 03, 05, 06).

scikit-learn is the reference implementation; nothing here recomputes a
metric by hand. NumPy and scikit-learn only: no TensorFlow.
"""

from __future__ import annotations

from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


def classification_metrics(labels, predictions) -> dict:
    """Accuracy, precision, recall, F1 (positive class = 1) and the confusion matrix.

    Args:
        labels, predictions: (num_examples,) integer class ids 0/1.

    Returns:
        ``{"accuracy", "precision", "recall", "f1": float, "confusion_matrix":
        2×2 list [[true neg, false pos], [false neg, true pos]]}``.
    """
    precision, recall, f1, _ = precision_recall_fscore_support(
        labels, predictions, average="binary", zero_division=0)
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "precision": float(precision), "recall": float(recall), "f1": float(f1),
        "confusion_matrix": confusion_matrix(labels, predictions, labels=[0, 1]).tolist(),
    }
