"""Serving a fine-tuned classifier: predictions through the export, latency, monitoring (notebook 06).

The export itself is written and read by ``storage`` (``export_saved_model``,
``load_saved_model``); this module uses it: probabilities for new texts,
latency and throughput, a fresh-process check, and the rolling share of a
class in a stream with its alerts.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from finetune_lab.checks import check_counts
from finetune_lab.course.params import ParameterError
from finetune_lab.pretrained.batches import encode, predict_in_order
from finetune_lab.pretrained.inference import check_texts



def predict_probabilities(serve: Callable[[dict], np.ndarray], tokenizer, texts: Sequence[str],
                          batch_size: int = 64, max_seq_len: int = 128) -> np.ndarray:
    """Tokenize ``texts`` and run them through ``serve``; (n, num_labels) float32, input order.

    Batches are sorted by length and padded to their longest text
    (``batches.predict_in_order``).

    Raises:
        ValueError: no texts, or an empty or non-string one (``inference.check_texts``).
    """
    texts = check_texts(texts)
    encoded = encode(tokenizer, texts, np.zeros(len(texts)), max_seq_len)
    forward = lambda features: {"probabilities": serve(features)}  # noqa: E731  (batch, num_labels)
    return predict_in_order(forward, tokenizer, encoded, batch_size)["probabilities"]


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


def alert_class_id(alert_class: str, class_names: Sequence[str]) -> int:
    """The class id of ``alert_class``, the class whose share a monitor watches (notebook 06).

    Raises:
        ParameterError: no class of that name; the one-line message lists the names.
    """
    names = [str(name) for name in class_names]
    if alert_class not in names:
        raise ParameterError(f"parameter alert_class={alert_class!r} is not a class of this dataset: use one of "
                             f"{', '.join(map(repr, names))}, e.g. -p alert_class {names[0]}")
    return names.index(alert_class)


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
    check_counts(window=window)
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
