"""Serving a fine-tuned classifier: export, reload, latency, monitoring (introduced in notebook 06).

The export is a TensorFlow SavedModel, the format TensorFlow Serving, TFLite
converters and ``tf.saved_model.load`` read, with one signature:

    serving_default(input_ids, attention_mask, token_type_ids)
        inputs:  int32, shape (batch, seq_len), both sizes free (None, None)
        output:  {"probabilities": float32, shape (batch, num_labels)}

It takes token ids, not text: tokenization runs in the client with the
tokenizer saved next to the model (``<export>/tokenizer``), as with most
served transformer models. Only the model's weights and the traced forward
pass are saved, not its Keras layers, so the export needs neither
transformers nor tf-keras to run.
"""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import tensorflow as tf
from transformers import AutoTokenizer

from finetune_lab.pretrained.batches import encode, evaluation_order, pad_batch

SIGNATURE = "serving_default"
TOKENIZER_SUBDIR = "tokenizer"
_IDS = tf.TensorSpec([None, None], tf.int32)  # (batch, seq_len), both free


def export_saved_model(model: tf.keras.Model, directory: str | Path, tokenizer=None) -> Path:
    """Write ``model`` as a SavedModel with a ``serving_default`` signature (notebook 06).

    Args:
        model: a transformers TF sequence classifier (its call returns ``.logits``).
        directory: the export folder; its SavedModel files are overwritten.
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
    with _info_logs_muted():
        tf.saved_model.save(module, str(directory), signatures={SIGNATURE: serve})
    if tokenizer is not None:
        tokenizer.save_pretrained(directory / TOKENIZER_SUBDIR)
    return directory


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
    signature = tf.saved_model.load(str(directory)).signatures[SIGNATURE]

    def serve(features: dict) -> np.ndarray:
        inputs = {name: tf.constant(features[name], tf.int32)
                  for name in ("input_ids", "attention_mask", "token_type_ids")}
        return signature(**inputs)["probabilities"].numpy()

    tokenizer_dir = directory / TOKENIZER_SUBDIR
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir)) if tokenizer_dir.is_dir() else None
    return serve, tokenizer


def predict_probabilities(serve: Callable[[dict], np.ndarray], tokenizer, texts: Sequence[str],
                          batch_size: int = 64, max_seq_len: int = 128) -> np.ndarray:
    """Tokenize ``texts`` and run them through ``serve``; (n, num_labels) float32, input order.

    Batches are sorted by length and padded to their longest text, as in
    ``fine_tune.predict_logits``.
    """
    texts = list(texts)
    encoded = encode(tokenizer, texts, np.zeros(len(texts)), max_seq_len)
    probabilities = None
    for indices in evaluation_order(encoded.lengths, batch_size):
        features, _ = pad_batch(tokenizer, encoded, indices)
        batch = serve(features)                                   # (len(indices), num_labels)
        if probabilities is None:
            probabilities = np.zeros((len(texts), batch.shape[1]), np.float32)
        probabilities[indices] = batch
    return probabilities


def latency_per_sentence(predict: Callable[[list[str]], Any], texts: Sequence[str],
                         num_warmup: int = 2) -> np.ndarray:
    """Wall-clock seconds of ``predict([text])`` for each text, one sentence per call (notebook 06).

    The first ``num_warmup`` calls (on the first text) are not timed: they
    include one-off costs such as tracing the TensorFlow function.

    Returns:
        (len(texts),) float64 seconds per sentence, tokenization included.
    """
    for _ in range(num_warmup):
        predict([texts[0]])
    seconds = []
    for text in texts:
        started = time.perf_counter()
        predict([text])
        seconds.append(time.perf_counter() - started)
    return np.array(seconds)


def throughput(predict: Callable[[list[str]], Any], texts: Sequence[str]) -> float:
    """Sentences per second of one ``predict(texts)`` call on all texts, after a warm-up call (notebook 06)."""
    predict(list(texts[:8]))
    started = time.perf_counter()
    predict(list(texts))
    return len(texts) / (time.perf_counter() - started)


def run_in_fresh_process(script: str, cwd: str | Path | None = None, timeout: float = 300) -> Any:
    """Run a Python script in a new interpreter and return the JSON its last stdout line holds (notebook 06).

    A fresh process shares no memory with the notebook, so what it computes
    comes only from files on disk: the honest test of a saved model.

    Raises:
        RuntimeError: the script failed; the message holds its stderr.
    """
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"the fresh process failed (exit code {result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def rolling_share(flags, window: int) -> np.ndarray:
    """Share of True among the last ``window`` flags, at every position of a stream (notebook 06).

    Args:
        flags: (n,) bools or 0/1, e.g. "predicted negative" for each text in arrival order.
        window: how many recent texts the share covers.

    Returns:
        (n,) float64; NaN until ``window`` texts have arrived.

    Raises:
        ValueError: ``window`` < 1.
    """
    if window < 1:
        raise ValueError(f"window must be >= 1, got {window}")
    flags = np.asarray(flags, dtype=np.float64)
    shares = np.full(len(flags), np.nan)
    if len(flags) >= window:
        running = np.concatenate([[0.0], np.cumsum(flags)])    # running[i] = sum of flags[:i]
        shares[window - 1:] = (running[window:] - running[:-window]) / window
    return shares


def alert_starts(shares, threshold: float) -> np.ndarray:
    """Positions where ``shares`` rises above ``threshold`` (notebook 06).

    An alert starts where the share is > threshold and the previous one was
    not (or was NaN); a share that stays high raises one alert, not one per text.

    Returns:
        (num_alerts,) int64 positions in the stream.
    """
    above = np.nan_to_num(np.asarray(shares, dtype=np.float64), nan=-np.inf) > threshold
    previous = np.concatenate([[False], above[:-1]])
    return np.flatnonzero(above & ~previous)
