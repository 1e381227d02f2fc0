"""Running a classifier: logits, loss and accuracy on a labelled set, predictions on new text (notebooks 05 and 06).

Every forward pass here runs with dropout off (``training=False``), compiled
once per model, over length-sorted batches (``batches.predict_in_order``).
The loss, ``mean_cross_entropy``, is the one ``fine_tune`` trains on.
"""

from __future__ import annotations

import re
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


class ClassNamesError(ValueError):
    """A saved model was trained on other classes than the data it is evaluated on.

    IPython shows only the one-line message, which says how to fix it.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"ClassNamesError: {self}"]


_UNNAMED = re.compile(r"LABEL_\d+")
"""transformers' name for a class without a name: the config of a model saved before names travelled with it."""


def match_class_names(model_names, data_names, model_dir, dataset: str,
                      trained_on: str | None = None) -> tuple[list[str], str | None]:
    """Check that a saved model's classes are the data's, id by id, before evaluating it (notebook 06).

    A model saved before class names travelled with it (``LABEL_0``,
    ``LABEL_1``) was fine-tuned on SST-2, the only data the workbook had
    then: for SST-2, with as many classes, its ids are read as SST-2's names.

    Args:
        model_names: ``class_names(model)``, in class-id order.
        data_names: the data's ``class_names``, in class-id order.
        model_dir: where the model was loaded from, for the messages.
        dataset: the ``dataset`` parameter (``"sst2"``, ``"financial_phrasebank"`` or a path).
        trained_on: the dataset the model was trained on, if its manifest says.

    Returns:
        ``(names, note)``: the data's names, and a one-line note to print
        (unnamed classes read as the data's, or a model trained on other
        data with the same names), else None.

    Raises:
        ClassNamesError: other names, another order or another number of
            classes; the message names both sides and the fix.
    """
    model_names, data_names = [str(name) for name in model_names], [str(name) for name in data_names]
    unnamed = all(_UNNAMED.fullmatch(name) for name in model_names)
    if model_names == data_names:
        if trained_on is not None and trained_on != dataset:
            return data_names, (f"note: the model in {model_dir} was trained on {trained_on!r} and is evaluated "
                                f"on {dataset!r}, which has the same class names")
        return data_names, None
    if unnamed and dataset == "sst2" and len(model_names) == len(data_names):
        return data_names, (f"the model in {model_dir} has unnamed classes {', '.join(model_names)} (saved before "
                            f"models carried names, on SST-2): read as {', '.join(data_names)}")
    if unnamed:
        trained = f"has unnamed classes {model_names} (saved before models carried names, so trained on SST-2)"
    else:
        trained = f"was trained on the classes {model_names}" + (f" of {trained_on!r}" if trained_on else "")
    order = (" (the same names in another order are other class ids)"
             if sorted(model_names) == sorted(data_names) else "")
    raise ClassNamesError(
        f"the model in {model_dir} {trained}, but dataset {dataset!r} has {data_names}{order}. Fix: run notebook "
        f"05 on the same dataset (-p dataset {dataset}, and the same class_names), or point model_dir at another "
        "folder (where none is saved, notebook 06 fine-tunes a small model on this dataset)")


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
