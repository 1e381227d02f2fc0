"""Dynamic padding and the attention mask (notebook 05, section 1).

A batch of sentences of different lengths becomes one rectangle of token ids
by padding every sentence to the longest one *in that batch* (dynamic
padding), not to a fixed 128: SST-2 training sentences are far shorter, so
padding to 128 would spend most of the compute on [PAD] (the real / padded
tokens of the ``seed`` recipe in ``benchmarks/results/fine_tune_speed.md``).
The tokenizer's attention mask (1 = real token, 0 = padding) tells the
self-attention layers to ignore the padding, so a padded sentence gets the
same logits as the sentence alone.

Training batches are also grouped by length: sentences of similar length go
together, so a batch pads little, and the order of the batches is shuffled
every epoch so the model still sees a random stream.

Bounded shapes: with ``pad_to_multiple_of=m`` every batch is padded up to a
multiple of m tokens, so an epoch has at most ``max_batch_shapes`` distinct
(batch, seq_len) shapes. finetune_lab's train step does not need it (its
signature leaves seq_len unknown, so one trace serves every length); XLA
compilation (``jit_compile``) does, because XLA compiles once per shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from finetune_lab.checks import check_counts

# (batch, seq_len) with both sizes unknown: one trace of a compiled function serves every padded shape.
_IDS = tf.TensorSpec([None, None], tf.int32)
FEATURES_SIGNATURE = {"input_ids": _IDS, "attention_mask": _IDS, "token_type_ids": _IDS}

# How many batches are pooled before sorting by length. Larger pools pad less
# but make batches less random; 50 is what Hugging Face's length-grouped
# sampler uses (``mega_batch_mult``).
LENGTH_GROUP_BATCHES = 50


@dataclass
class Encoded:
    """Labelled texts with their token counts, ready to be batched.

    Attributes:
        texts: the examples, as given.
        labels: (num_examples,) int32 class ids.
        lengths: (num_examples,) int64 WordPiece tokens per text after
            truncation, [CLS] and [SEP] included.
        max_seq_len: the truncation length in tokens.
        pad_to_multiple_of: pad every batch to a multiple of this many tokens
            (None: to the longest sentence of the batch).
    """

    texts: list[str]
    labels: np.ndarray
    lengths: np.ndarray
    max_seq_len: int
    pad_to_multiple_of: int | None = None

    def __len__(self) -> int:
        return len(self.texts)


def encode(tokenizer, texts: list[str], labels, max_seq_len: int = 128,
           pad_to_multiple_of: int | None = None) -> Encoded:
    """Count the tokens of every text once (for batching by length).

    Args:
        max_seq_len: truncation length in tokens.
        pad_to_multiple_of: stored in the result, used by ``pad_batch``; None
            pads each batch to its longest sentence.
    """
    _check_multiple(pad_to_multiple_of)
    ids = tokenizer(list(texts), truncation=True, max_length=max_seq_len)["input_ids"]
    lengths = np.array([len(row) for row in ids], dtype=np.int64)
    return Encoded(list(texts), np.asarray(labels, dtype=np.int32), lengths, max_seq_len, pad_to_multiple_of)


def _check_multiple(pad_to_multiple_of) -> None:
    if pad_to_multiple_of is not None and (isinstance(pad_to_multiple_of, bool) or not
                                           isinstance(pad_to_multiple_of, (int, np.integer))
                                           or pad_to_multiple_of < 1):
        raise ValueError(f"pad_to_multiple_of must be a whole number >= 1 or None, got {pad_to_multiple_of!r}: "
                         "try 8")


def padded_length(longest: int, pad_to_multiple_of: int | None) -> int:
    """The seq_len of a batch whose longest sentence has ``longest`` tokens."""
    multiple = pad_to_multiple_of or 1
    return -(-int(longest) // multiple) * multiple


def max_batch_shapes(max_seq_len: int, pad_to_multiple_of: int | None) -> int:
    """At most this many distinct (batch, seq_len) shapes in one epoch of ``training_order``.

    seq_len takes at most ceil(max_seq_len / m) values; every batch is full
    except at most one, which adds one shape.
    """
    return -(-max_seq_len // (pad_to_multiple_of or 1)) + 1


def pad_batch(tokenizer, encoded: Encoded, indices: np.ndarray, pad_to_multiple_of: int | None = None):
    """Tokenise the examples at ``indices`` and pad them to the longest of them.

    Args:
        pad_to_multiple_of: pad further, to a multiple of this many tokens;
            None uses ``encoded.pad_to_multiple_of``.

    Returns:
        ``(features, labels)``: features maps "input_ids", "attention_mask" and
        "token_type_ids" to int32 tensors of shape (batch, longest length in
        the batch, rounded up to the multiple); labels is an int32 tensor of
        shape (batch,).
    """
    multiple = pad_to_multiple_of or encoded.pad_to_multiple_of
    _check_multiple(multiple)
    batch = tokenizer([encoded.texts[i] for i in indices], padding="longest", truncation=True,
                      max_length=encoded.max_seq_len, pad_to_multiple_of=multiple, return_tensors="np")
    features = {name: tf.constant(batch[name], tf.int32)
                for name in ("input_ids", "attention_mask", "token_type_ids")}
    return features, tf.constant(encoded.labels[indices], tf.int32)


def training_order(lengths: np.ndarray, batch_size: int, seed: int,
                   group_by_length: bool = True, pool_batches: int = LENGTH_GROUP_BATCHES) -> list[np.ndarray]:
    """The batches of one training epoch, as arrays of example indices.

    Every example appears exactly once. With ``group_by_length``, a shuffled
    pool of ``pool_batches`` batches is sorted by length and cut into
    batches, then all batches are shuffled.

    Args:
        lengths: (num_examples,) token counts.
        batch_size: examples per batch (the last batch may be smaller).
        seed: a different seed per epoch gives a different order.
        pool_batches: how many batches are pooled before sorting by length
            (with ``group_by_length``); larger pools pad less, smaller ones
            keep batches more random (``benchmarks/batch_order_accuracy.py``
            measures both).

    Raises:
        ValueError: ``batch_size`` or ``pool_batches`` is not a whole number >= 1.
    """
    check_counts(batch_size=batch_size, pool_batches=pool_batches)
    lengths = np.asarray(lengths)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    if group_by_length:
        pool = batch_size * pool_batches
        order = np.concatenate([chunk[np.argsort(-lengths[chunk], kind="stable")]
                                for chunk in np.array_split(order, max(1, -(-len(order) // pool)))])
    batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def evaluation_order(lengths: np.ndarray, batch_size: int) -> list[np.ndarray]:
    """Batches for evaluation in a fixed order: sorted by length, so they pad little.

    The caller puts predictions back in the original order with the indices.
    """
    order = np.argsort(lengths, kind="stable")
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def predict_in_order(forward, tokenizer, encoded: Encoded, batch_size: int = 64) -> dict[str, np.ndarray]:
    """Run ``forward`` over every example in length-sorted batches; the results in input order.

    The one way the workbook runs a model over a data set (``inference``,
    ``deployment``, ``transfer``): batches sorted by length pad little, and
    each batch's rows are put back at their examples' positions.

    Args:
        forward: ``forward(features) -> {name: (batch, ...) array or tensor}``,
            features as ``pad_batch`` makes them.
        encoded: the examples (``encode``); their labels are not used.

    Returns:
        ``{name: (num_examples, ...) array}``, row i for example i, dtypes as ``forward`` gives them.
    """
    outputs: dict[str, np.ndarray] = {}
    for indices in evaluation_order(encoded.lengths, batch_size):
        features, _ = pad_batch(tokenizer, encoded, indices)
        for name, values in forward(features).items():
            values = np.asarray(values)
            if name not in outputs:
                outputs[name] = np.zeros((len(encoded), *values.shape[1:]), values.dtype)
            outputs[name][indices] = values
    return outputs
