"""The SavedModel export, latency timing and stream monitoring, checked against oracles."""

import time

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_tiny_bert
from finetune_lab.pretrained import deployment, inference, storage

SENTENCES = ["a gorgeous , witty , seductive movie .", "dull", "the plot is nothing but boilerplate clichés",
             "it 's a charming and often affecting journey .", "bad", "not bad at all"]


@pytest.fixture(scope="module")
def exported(tokenizer, tmp_path_factory):
    model = make_tiny_bert()
    directory = storage.export_saved_model(model, tmp_path_factory.mktemp("export") / "serving", tokenizer)
    return model, directory


def test_the_exported_model_predicts_what_the_in_memory_model_predicts(exported, tokenizer):
    model, directory = exported
    _, expected = inference.predict(model, tokenizer, SENTENCES)
    serve, served_tokenizer = storage.load_saved_model(directory)
    assert served_tokenizer is not None
    probabilities = deployment.predict_probabilities(serve, served_tokenizer, SENTENCES, batch_size=4)
    assert probabilities.dtype == np.float32 and probabilities.shape == (len(SENTENCES), 2)
    np.testing.assert_allclose(probabilities, expected, atol=1e-6)


def test_the_signature_takes_int32_ids_of_any_shape_and_returns_probabilities(exported):
    signature = tf.saved_model.load(str(exported[1])).signatures["serving_default"]
    inputs = signature.structured_input_signature[1]
    assert set(inputs) == {"input_ids", "attention_mask", "token_type_ids"}
    assert all(spec.dtype == tf.int32 and spec.shape.as_list() == [None, None] for spec in inputs.values())
    output = signature.structured_outputs["probabilities"]
    assert output.dtype == tf.float32 and output.shape.as_list() == [None, 2]


def test_the_export_pads_like_the_model(exported, tokenizer):
    """One sentence alone and inside a padded batch get the same probabilities."""
    serve, _ = storage.load_saved_model(exported[1])
    alone = deployment.predict_probabilities(serve, tokenizer, SENTENCES[1:2])
    batched = deployment.predict_probabilities(serve, tokenizer, SENTENCES)
    np.testing.assert_allclose(alone[0], batched[1], atol=1e-5)


def test_latency_counts_each_sentence_and_skips_the_warm_up():
    calls = []
    def slow_predict(texts):
        calls.append(texts)
        time.sleep(0.01)
    seconds = deployment.latency_per_sentence(slow_predict, ["a", "b", "c"], num_warmup=2)
    assert len(calls) == 5 and all(len(texts) == 1 for texts in calls)
    assert seconds.shape == (3,) and np.all(seconds >= 0.01)


def test_throughput_is_sentences_per_second():
    rate = deployment.throughput(lambda texts: time.sleep(0.05), ["x"] * 10)
    assert 50 <= rate <= 200   # 10 sentences in just over 0.05 s


def test_rolling_share_matches_a_loop():
    flags = np.random.default_rng(0).uniform(size=200) < 0.4
    shares = deployment.rolling_share(flags, 25)
    assert np.isnan(shares[:24]).all()
    expected = [flags[end - 25:end].mean() for end in range(25, 201)]
    np.testing.assert_allclose(shares[24:], expected)
    assert np.isnan(deployment.rolling_share(flags[:3], 5)).all()


def test_an_alert_starts_once_per_rise_above_the_threshold():
    shares = np.array([np.nan, 0.4, 0.7, 0.8, 0.5, 0.6, 0.9, 0.9])
    np.testing.assert_array_equal(deployment.alert_starts(shares, 0.6), [2, 6])


def test_a_failing_fresh_process_shows_its_stderr():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        deployment.run_in_fresh_process("1 / 0")
    assert deployment.run_in_fresh_process("print('noise'); print('[1, 2]')") == [1, 2]
