"""Classification metrics from scikit-learn, named and put in one dictionary (notebooks 03, 05, 06).

scikit-learn is the reference implementation; nothing here recomputes a
metric by hand. NumPy and scikit-learn only: no TensorFlow.

``classification_metrics`` is the binary summary (positive class = 1) of the
SST-2 notebooks; ``multiclass_metrics`` is the K-class one, per class and
averaged, for data sets such as the Financial PhraseBank (negative / neutral /
positive, see data/README.md).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support


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


def _check_class_ids(labels, predictions, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Both as int64 arrays of shape (num_examples,), every value a class id in 0 .. K-1."""
    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if labels.ndim != 1 or labels.shape != predictions.shape or len(labels) == 0:
        raise ValueError(f"labels and predictions must be non-empty and of the same shape (num_examples,); "
                         f"got {labels.shape} and {predictions.shape}")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if not np.issubdtype(values.dtype, np.integer) or values.min() < 0 or values.max() >= num_classes:
            raise ValueError(f"{name} must be integer class ids 0 to {num_classes - 1}, one per class name; "
                             f"got dtype {values.dtype} with values {np.unique(values)[:10].tolist()}. "
                             "From probabilities use probabilities.argmax(axis=1)")
    return labels.astype(np.int64), predictions.astype(np.int64)


def multiclass_metrics(labels, predictions, class_names: Sequence[str]) -> dict:
    """Per-class precision, recall, F1 and support, macro and weighted F1, and the K×K confusion matrix.

    For each class k, taken in turn as "the positive class": precision =
    TP / (TP + FP), recall = TP / (TP + FN), F1 their harmonic mean, support
    = the number of true examples of k. Macro F1 is the plain mean over the K
    classes (every class counts the same, so a rare class matters); weighted
    F1 weights each class by its support (close to accuracy on imbalanced
    data). A class that is never predicted gets precision 0 (scikit-learn's
    ``zero_division=0``), not NaN. Introduced for the K-class data of issue 12.

    Args:
        labels: (num_examples,) integer true class ids in 0 .. K-1.
        predictions: (num_examples,) integer predicted class ids in 0 .. K-1.
        class_names: the K names; class id k is ``class_names[k]``
            (a loader's ``LabelledTexts.class_names``).

    Returns:
        ``{"accuracy", "macro_f1", "weighted_f1": float,
        "per_class": {name: {"precision", "recall", "f1": float, "support": int}},
        "class_names": list[str],
        "confusion_matrix": K×K list, row = true class, column = predicted class,
        both in ``class_names`` order}``. With K = 2, ``per_class[class_names[1]]``
        equals ``classification_metrics``' precision, recall and F1.

    Raises:
        ValueError: fewer than 2 or repeated class names, labels and predictions
            of different shapes or empty, or values that are not class ids.
    """
    class_names = [str(name) for name in class_names]
    if len(class_names) < 2 or len(set(class_names)) != len(class_names):
        raise ValueError(f"class_names must hold at least 2 different names, one per class id; got {class_names}")
    labels, predictions = _check_class_ids(labels, predictions, len(class_names))
    ids = list(range(len(class_names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        labels, predictions, labels=ids, average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "macro_f1": float(f1_score(labels, predictions, labels=ids, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(labels, predictions, labels=ids, average="weighted", zero_division=0)),
        "per_class": {name: {"precision": float(precision[k]), "recall": float(recall[k]),
                             "f1": float(f1[k]), "support": int(support[k])}
                      for k, name in enumerate(class_names)},
        "class_names": class_names,
        "confusion_matrix": confusion_matrix(labels, predictions, labels=ids).tolist(),
    }
