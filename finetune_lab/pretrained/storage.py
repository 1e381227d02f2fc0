"""Saving and loading models: the fine-tuned classifier and its serving export (notebooks 05 and 06).

Two formats, both written and read here:

- ``save``/``load``: the Hugging Face folder (``config.json``, ``tf_model.h5``
  and the tokenizer's files), which ``models.load_classifier`` reads back
  into a transformers model to train or evaluate further;
- ``export_saved_model``/``load_saved_model``: a TensorFlow SavedModel with
  one signature, the format TensorFlow Serving, TFLite converters and
  ``tf.saved_model.load`` read:

      serving_default(input_ids, attention_mask, token_type_ids)
          inputs:  int32, shape (batch, seq_len), both sizes free (None, None)
          output:  {"probabilities": float32, shape (batch, num_labels)}

  It takes token ids, not text: tokenization runs in the client with the
  tokenizer saved next to it (``<export>/tokenizer``), as with most served
  transformer models. Only the weights and the traced forward pass are
  saved, not the Keras layers, so the export needs neither transformers nor
  tf-keras to run.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import tensorflow as tf
from transformers import AutoTokenizer

from finetune_lab import atomic
from finetune_lab.pretrained.batches import FEATURES_SIGNATURE
from finetune_lab.pretrained.models import ModelNotFoundError, load_classifier

SIGNATURE = "serving_default"
TOKENIZER_SUBDIR = "tokenizer"
_IDS = FEATURES_SIGNATURE["input_ids"]  # (batch, seq_len), both free


RECREATE = "re-run the notebook that saved it (notebook 05 for saved_models/05_fine_tuned)"


def save(model: tf.keras.Model, tokenizer, directory: str | Path, about: Mapping[str, Any] | None = None) -> Path:
    """Save the fine-tuned model (``tf_model.h5`` + ``config.json``) and its tokenizer (notebook 05).

    The folder is replaced atomically (``atomic.replace_folder``): a crash at
    any moment leaves the old model or the new one. Its ``manifest.json``
    lists every file's checksum and ``about``.

    Args:
        about: what made the model, e.g. ``{"notebook": ..., "parameters": ..., "dev_accuracy": ...}``.

    Returns:
        The directory. ``load(directory)`` reads it back.
    """
    def write(folder: Path) -> None:
        model.save_pretrained(folder)
        tokenizer.save_pretrained(folder)

    return atomic.replace_folder(directory, write, about)


def load(directory: str | Path):
    """Reload a model saved by ``save``: returns ``(model, tokenizer)`` (notebooks 05 and 06).

    Raises:
        ModelNotFoundError: the directory does not hold a saved model, or
            holds a pretrained encoder without a trained classification head
            (its predictions would be noise).
        atomic.DamagedFolderError: a file its manifest lists is missing or damaged.
    """
    atomic.check_folder(directory, RECREATE)
    model, tokenizer, info = load_classifier(str(directory))
    if info.new_weights:
        raise ModelNotFoundError(
            f"{directory} holds no trained classification head (new, random: {', '.join(info.new_weights)}): "
            "it is a pretrained encoder, not a fine-tuned classifier; fine-tune it first (notebook 05), or "
            "load it with models.load_classifier to fine-tune it")
    return model, tokenizer


def export_saved_model(model: tf.keras.Model, directory: str | Path, tokenizer=None) -> Path:
    """Write ``model`` as a SavedModel with a ``serving_default`` signature (notebook 06).

    Args:
        model: a transformers TF sequence classifier (its call returns ``.logits``).
        directory: the export folder, replaced atomically (``atomic.replace_folder``).
        tokenizer: saved to ``<directory>/tokenizer`` for clients, if given.

    Returns:
        ``directory`` as a Path. See the module docstring for the signature.
    """
    directory = Path(directory)

    @tf.function(input_signature=[_IDS, _IDS, _IDS])
    def serve(input_ids, attention_mask, token_type_ids):
        features = {"input_ids": input_ids, "attention_mask": attention_mask,
                    "token_type_ids": token_type_ids}
        logits = tf.cast(model(features, training=False).logits, tf.float32)  # (batch, num_labels)
        return {"probabilities": tf.nn.softmax(logits, axis=-1)}

    # Track the weights, not the Keras model: saving a Keras model also traces
    # every layer's call for Keras (slow, and warns about untraced functions).
    module = tf.Module()
    module.model_weights = list(model.weights)
    module.serve = serve
    def write(folder: Path) -> None:
        with _info_logs_muted():
            tf.saved_model.save(module, str(folder), signatures={SIGNATURE: serve})
        if tokenizer is not None:
            tokenizer.save_pretrained(folder / TOKENIZER_SUBDIR)

    return atomic.replace_folder(directory, write, {"format": "SavedModel", "signature": SIGNATURE})


@contextlib.contextmanager
def _info_logs_muted():
    """Hide TensorFlow's "Assets written to: <absolute path>" INFO line; warnings still show."""
    logger = tf.get_logger()
    previous = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(previous)


def load_saved_model(directory: str | Path) -> tuple[Callable[[dict], np.ndarray], Any]:
    """Load an export of ``export_saved_model`` (notebook 06).

    Returns:
        ``(serve, tokenizer)``: ``serve(features)`` takes a dict of
        (batch, seq_len) integer arrays ``input_ids``, ``attention_mask``,
        ``token_type_ids`` and returns (batch, num_labels) float32
        probabilities as numpy; ``tokenizer`` is None if none was exported.

    Raises:
        OSError: ``directory`` holds no SavedModel (TensorFlow's message).
    """
    directory = Path(directory)
    atomic.check_folder(directory, "re-run notebook 06, which exports saved_models/06_serving")
    signature = tf.saved_model.load(str(directory)).signatures[SIGNATURE]

    def serve(features: dict) -> np.ndarray:
        inputs = {name: tf.constant(features[name], tf.int32)
                  for name in ("input_ids", "attention_mask", "token_type_ids")}
        return signature(**inputs)["probabilities"].numpy()

    tokenizer_dir = directory / TOKENIZER_SUBDIR
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir)) if tokenizer_dir.is_dir() else None
    return serve, tokenizer
