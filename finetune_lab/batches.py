"""Dynamic padding and the attention mask (notebook 05, section 1).

A batch of sentences of different lengths becomes one rectangle of token ids
by padding every sentence to the longest one *in that batch* (dynamic
padding), not to a fixed 128: SST-2 training sentences average 13 WordPiece
tokens, so padding to 128 would spend about 90% of the compute on [PAD].
The tokenizer's attention mask (1 = real token, 0 = padding) tells the
self-attention layers to ignore the padding, so a padded sentence gets the
same logits as the sentence alone.

Training batches are also grouped by length: sentences of similar length go
together, so a batch pads little, and the order of the batches is shuffled
every epoch so the model still sees a random stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

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
    """

    texts: list[str]
    labels: np.ndarray
    lengths: np.ndarray
    max_seq_len: int

    def __len__(self) -> int:
        return len(self.texts)


def encode(tokenizer, texts: list[str], labels, max_seq_len: int = 128) -> Encoded:
    """Count the tokens of every text once (for batching by length)."""
    ids = tokenizer(list(texts), truncation=True, max_length=max_seq_len)["input_ids"]
    lengths = np.array([len(row) for row in ids], dtype=np.int64)
    return Encoded(list(texts), np.asarray(labels, dtype=np.int32), lengths, max_seq_len)


def pad_batch(tokenizer, encoded: Encoded, indices: np.ndarray):
    """Tokenise the examples at ``indices`` and pad them to the longest of them.

    Returns:
        ``(features, labels)``: features maps "input_ids", "attention_mask" and
        "token_type_ids" to int32 tensors of shape (batch, longest length in
        the batch); labels is an int32 tensor of shape (batch,).
    """
    batch = tokenizer([encoded.texts[i] for i in indices], padding="longest", truncation=True,
                      max_length=encoded.max_seq_len, return_tensors="np")
    features = {name: tf.constant(batch[name], tf.int32)
                for name in ("input_ids", "attention_mask", "token_type_ids")}
    return features, tf.constant(encoded.labels[indices], tf.int32)


def training_order(lengths: np.ndarray, batch_size: int, seed: int,
                   group_by_length: bool = True) -> list[np.ndarray]:
    """The batches of one training epoch, as arrays of example indices.

    Every example appears exactly once. With ``group_by_length``, a shuffled
    pool of ``LENGTH_GROUP_BATCHES`` batches is sorted by length and cut into
    batches, then all batches are shuffled.

    Args:
        lengths: (num_examples,) token counts.
        batch_size: examples per batch (the last batch may be smaller).
        seed: a different seed per epoch gives a different order.
    """
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    if group_by_length:
        pool = batch_size * LENGTH_GROUP_BATCHES
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
