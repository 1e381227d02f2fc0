"""Notebook 04's self-checks accept a correct answer and recognise each listed mistake with its hint."""

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_tiny_bert
from finetune_lab.course.exercises import (
    bottom_layers_parameters,
    check_bottom_layers_parameters,
    check_mean_pooling,
    masked_mean_pooling,
)
from finetune_lab.pretrained import transfer


def assert_hint(result, *phrases):
    assert not result.passed, result.message
    assert result.message.startswith("Not yet: ")
    for phrase in phrases:
        assert phrase in result.message, result.message


def correct_pooling(hidden, mask):
    mask = mask[:, :, None].astype(float)
    return (hidden * mask).sum(axis=1) / mask.sum(axis=1)


@pytest.mark.parametrize("check", [check_mean_pooling, check_bottom_layers_parameters])
def test_unwritten_function_gets_a_not_yet_message_not_an_exception(check):
    def not_written_yet(*args):
        raise NotImplementedError
    assert_hint(check(not_written_yet), "NotImplementedError")


def test_reference_mean_pooling_is_transfer_pool():
    """Oracle: the numpy reference against the TensorFlow helper the notebook uses."""
    rng = np.random.default_rng(0)
    hidden, mask = rng.normal(size=(4, 7, 5)), (np.arange(7)[None, :] < np.array([[7], [3], [1], [5]])).astype(int)
    expected = transfer.pool(tf.constant(hidden), tf.constant(mask), "mean").numpy()
    np.testing.assert_allclose(masked_mean_pooling(hidden, mask), expected, rtol=1e-12)


@pytest.mark.parametrize("student, phrases", [
    (correct_pooling, None),
    (lambda h, m: h.mean(axis=1), ("padding included", "mask.sum(axis=1)")),
    (lambda h, m: (h * m[:, :, None]).sum(axis=1) / h.shape[1], ("full length",)),
    (lambda h, m: h.sum(axis=1) / m.sum(axis=1, keepdims=True), ("still includes the padding",)),
    (lambda h, m: (h * m[:, :, None]).sum(axis=1), ("masked sum",)),
    (lambda h, m: h[:, 0, :], ("[CLS]",)),
    (lambda h, m: (h * (1 - m[:, :, None])).sum(axis=1) / np.maximum((1 - m[:, :, None]).sum(axis=1), 1),
     ("inverted",)),
    (lambda h, m: (h * m[:, :, None]).mean(axis=2), ("hidden axis",)),
    (lambda h, m: correct_pooling(h, m).mean(axis=0), ("over the batch",)),
    (lambda h, m: (h * m[:, :, None]).sum(axis=1)[:, :2], ("expected shape",)),
])
def test_mean_pooling_check(student, phrases):
    result = check_mean_pooling(student)
    if phrases is None:
        assert result.passed and result.message.startswith("Correct: "), result.message
    else:
        assert_hint(result, *phrases)


def test_bottom_layers_check_wants_a_number():
    assert_hint(check_bottom_layers_parameters(lambda h, i, k: "many"), "return one number")


def test_mean_pooling_check_rejects_changing_the_inputs_in_place():
    def in_place(hidden, mask):
        hidden *= mask[:, :, None]
        return hidden.sum(axis=1) / mask.sum(axis=1, keepdims=True)
    assert_hint(check_mean_pooling(in_place), "in place")


def test_reference_count_is_what_keras_counts_in_a_bert_encoder():
    """Oracle: Keras' count of a real (tiny) TFBert encoder's bottom layers."""
    model = make_tiny_bert()
    config = model.config
    for k in (1, 2):
        keras_count = sum(layer.count_params() for layer in model.bert.encoder.layer[:k])
        assert bottom_layers_parameters(config.hidden_size, config.intermediate_size, k) == keras_count


def layer(h, i):
    return 4 * h * h + 4 * h + 2 * h + 2 * h * i + i + h + 2 * h


@pytest.mark.parametrize("student, phrases", [
    (lambda h, i, k: k * layer(h, i), None),
    (lambda h, i, k: k * (4 * h * h + 2 * h * i + 4 * h), ("biases missing",)),
    (lambda h, i, k: k * (4 * h * h + 4 * h + 2 * h * i + i + h), ("LayerNorms are missing",)),
    (lambda h, i, k: k * (layer(h, i) - 2 * h), ("scale (gamma) and a shift (beta)",)),
    (lambda h, i, k: k * (3 * h * h + 3 * h + 2 * h + 2 * h * i + i + h + 2 * h), ("output projection",)),
    (lambda h, i, k: k * (4 * h * h + 4 * h + 2 * h + h * i + i + 2 * h), ("two matrices",)),
    (lambda h, i, k: layer(h, i), ("that is one layer",)),
    (lambda h, i, k: (k + 1) * layer(h, i), ("k + 1 layers",)),
    (lambda h, i, k: k * (layer(h, i) + 12 * h * h), ("heads split",)),
    (lambda h, i, k: k * layer(h, i) + 1, ("for hidden_size=384", "is not the count", "LayerNorm (2 h)")),
])
def test_bottom_layers_parameters_check(student, phrases):
    result = check_bottom_layers_parameters(student)
    if phrases is None:
        assert result.passed and result.message.startswith("Correct: "), result.message
    else:
        assert_hint(result, *phrases)
