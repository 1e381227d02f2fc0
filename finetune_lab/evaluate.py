"""Metrics, predictions on new text, save and reload (notebook 05, section 4).

The metrics come from scikit-learn, the reference implementation; this
module only names them and puts them in one dictionary.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from finetune_lab.batches import encode
from finetune_lab.fine_tune import predict_logits
from finetune_lab.models import load_classifier


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


def predict(model: tf.keras.Model, tokenizer, texts: list[str], batch_size: int = 64,
            max_seq_len: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Classify new texts.

    Args:
        texts: sentences (a single string is accepted as one sentence).

    Returns:
        ``(labels, probabilities)``: (n,) int64 predicted class ids and
        (n, num_labels) float32 softmax probabilities, in the input order.

    Raises:
        ValueError: no texts, or an empty or non-string text (with its index).
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not texts:
        raise ValueError("predict got no texts: pass a list of sentences")
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text {index} is {text!r}: every text must be a non-empty string")
    encoded = encode(tokenizer, texts, np.zeros(len(texts)), max_seq_len)
    probabilities = tf.nn.softmax(predict_logits(model, tokenizer, encoded, batch_size)).numpy()
    return probabilities.argmax(axis=1), probabilities


def save(model: tf.keras.Model, tokenizer, directory: str | Path) -> Path:
    """Save the fine-tuned model (``tf_model.h5`` + ``config.json``) and its tokenizer.

    Returns:
        The directory, created if needed. ``load(directory)`` reads it back.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def load(directory: str | Path):
    """Reload a model saved by ``save``: returns ``(model, tokenizer)``.

    Raises:
        ModelNotFoundError: the directory does not hold a saved model.
    """
    model, tokenizer, _ = load_classifier(str(directory))
    return model, tokenizer
