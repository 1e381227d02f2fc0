"""Running a classifier: logits, loss and accuracy on a labelled set, predictions on new text (notebooks 05 and 06).

Every forward pass here runs with dropout off (``training=False``), compiled
once per model, over length-sorted batches (``batches.predict_in_order``).
The loss, ``mean_cross_entropy``, is the one ``fine_tune`` trains on.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from finetune_lab.pretrained.batches import FEATURES_SIGNATURE, Encoded, encode, predict_in_order


def mean_cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    """Mean cross-entropy of the logits: the empirical risk L(θ) on a batch (notebooks 01, 02 and 05).

    ``fine_tune`` trains on it; ``evaluate`` reports it.

    Args:
        labels: (batch,) int32 class ids.
        logits: (batch, num_labels) scores before the softmax, any float dtype.

    Returns:
        A float32 scalar. With two classes this equals the binary
        cross-entropy from logits of z = logit₁ − logit₀ (notebook 02).
    """
    logits = tf.cast(logits, tf.float32)  # the loss stays float32 under mixed precision
    losses = tf.keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    return tf.reduce_mean(losses)



@dataclass
class Evaluation:
    """Loss, accuracy and class probabilities on a labelled set.

    Attributes:
        loss: mean cross-entropy (nats per example).
        accuracy: share of argmax predictions equal to the labels.
        probabilities: (num_examples, num_labels) float32 softmax outputs, in the input order.
    """

    loss: float
    accuracy: float
    probabilities: np.ndarray

    @property
    def predictions(self) -> np.ndarray:
        """(num_examples,) int64 predicted class ids."""
        return self.probabilities.argmax(axis=1)


_INFERENCE = weakref.WeakKeyDictionary()


def _inference_function(model: tf.keras.Model):
    """The model's forward pass compiled once per model (eager calls are several times slower)."""
    if model not in _INFERENCE:
        _INFERENCE[model] = tf.function(
            lambda features: {"logits": tf.cast(model(features, training=False).logits, tf.float32)},
            input_signature=[FEATURES_SIGNATURE])
    return _INFERENCE[model]


def predict_logits(model: tf.keras.Model, tokenizer, encoded: Encoded, batch_size: int = 64) -> np.ndarray:
    """Logits of every example, (num_examples, num_labels) float32, in the input order; dropout off."""
    return predict_in_order(_inference_function(model), tokenizer, encoded, batch_size)["logits"]


def evaluate(model: tf.keras.Model, tokenizer, encoded: Encoded, batch_size: int = 64) -> Evaluation:
    """Loss and accuracy on a labelled set (no gradient step)."""
    logits = predict_logits(model, tokenizer, encoded, batch_size)
    loss = float(mean_cross_entropy(tf.constant(encoded.labels), tf.constant(logits)))
    probabilities = tf.nn.softmax(logits).numpy()
    accuracy = float(np.mean(probabilities.argmax(axis=1) == encoded.labels))
    return Evaluation(loss, accuracy, probabilities)


def check_texts(texts) -> list[str]:
    """``texts`` as a list of non-empty strings (a single string is one text).

    Raises:
        ValueError: no texts, or an empty or non-string text (with its index).
    """
    texts = [texts] if isinstance(texts, str) else list(texts)
    if not texts:
        raise ValueError("no texts: pass a list of sentences")
    for index, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"text {index} is {text!r}: every text must be a non-empty string")
    return texts


def class_names(model: tf.keras.Model) -> list[str]:
    """The names of the model's classes in id order, from its config's ``id2label``.

    A model fine-tuned by the workbook carries its data's names (``models.head_settings``);
    one without names has transformers' ``LABEL_0``, ``LABEL_1``, ...
    """
    id2label = model.config.id2label
    return [str(id2label[index]) for index in range(model.config.num_labels)]


def predict(model: tf.keras.Model, tokenizer, texts: list[str], batch_size: int = 64,
            max_seq_len: int = 128) -> tuple[list[str], np.ndarray]:
    """Classify new texts.

    Args:
        texts: sentences (a single string is accepted as one sentence).

    Returns:
        ``(names, probabilities)``: the predicted class of each text by name
        (``class_names``), and (n, num_labels) float32 softmax probabilities
        whose column k is class k, in the input order.

    Raises:
        ValueError: see ``check_texts``.
    """
    texts = check_texts(texts)
    encoded = encode(tokenizer, texts, np.zeros(len(texts)), max_seq_len)
    probabilities = tf.nn.softmax(predict_logits(model, tokenizer, encoded, batch_size)).numpy()
    names = class_names(model)
    return [names[index] for index in probabilities.argmax(axis=1)], probabilities
