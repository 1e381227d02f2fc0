"""Metrics, predictions on new text, save and reload (notebook 05, section 4).

The metrics themselves live in ``finetune_lab.metrics`` (scikit-learn's,
named); this module runs the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

from finetune_lab.pretrained.batches import encode
from finetune_lab.pretrained.fine_tune import predict_logits
from finetune_lab.pretrained.models import load_classifier


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
