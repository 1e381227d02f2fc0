"""Shared fixtures: a tiny random BERT that trains in seconds, and the offline tokenizer."""

import finetune_lab.pretrained  # noqa: F401  (sets TF_USE_LEGACY_KERAS before TensorFlow loads)
import pytest
import tensorflow as tf
from transformers import AutoTokenizer, BertConfig, TFBertForSequenceClassification, TFBertModel

from finetune_lab.pretrained.models import offline_model_dir


@pytest.fixture(scope="session")
def tokenizer():
    """The real uncased WordPiece tokenizer of the offline MiniLM."""
    return AutoTokenizer.from_pretrained(str(offline_model_dir()))


def make_tiny_bert(seed: int = 0) -> tf.keras.Model:
    """A 2-layer, hidden-32 BERT classifier with random weights (about 1M parameters)."""
    tf.keras.utils.set_random_seed(seed)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128, num_labels=2,
                        initializer_range=0.2)  # large enough that padding visibly changes logits
    model = TFBertForSequenceClassification(config)
    model(model.dummy_inputs, training=False)
    return model


@pytest.fixture()
def tiny_bert():
    return make_tiny_bert()


@pytest.fixture(scope="session")
def tiny_bert_checkpoint(tmp_path_factory, tokenizer) -> str:
    """A folder holding a tiny random BERT encoder (no head) and the offline tokenizer, saved with save_pretrained.

    Pass it as the ``model`` parameter of notebook 05's recipe: it loads like MiniLM's checkpoint, with a
    new, seeded classification head, and trains in seconds.
    """
    folder = tmp_path_factory.mktemp("tiny_bert")
    encoder = TFBertModel(make_tiny_bert(0).config)
    encoder(encoder.dummy_inputs, training=False)
    encoder.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)
