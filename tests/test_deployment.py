"""The SavedModel export, latency timing, stream monitoring, and the checks notebook 06 runs before evaluating."""

import time

import numpy as np
import pytest
import tensorflow as tf

from conftest import make_tiny_bert
from finetune_lab.course.params import ParameterError
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


def test_the_alert_class_is_found_by_name_and_a_wrong_name_lists_the_classes():
    names = ("complaint", "praise", "question")
    assert deployment.alert_class_id("question", names) == 2
    with pytest.raises(ParameterError, match=r"alert_class='negative'.*'complaint', 'praise', 'question'") as raised:
        deployment.alert_class_id("negative", names)
    assert "\n" not in str(raised.value)


SST2 = ["negative", "positive"]
THREE = ["negative", "neutral", "positive"]


def test_a_model_with_the_data_s_class_names_is_accepted_silently():
    assert inference.match_class_names(THREE, THREE, "m", "financial_phrasebank") == (THREE, None)
    assert inference.match_class_names(SST2, SST2, "m", "sst2", trained_on="sst2") == (SST2, None)


def test_a_model_from_other_data_with_the_same_names_is_accepted_with_a_note():
    names, note = inference.match_class_names(SST2, SST2, "m", "reviews.csv", trained_on="sst2")
    assert names == SST2 and "'sst2'" in note and "'reviews.csv'" in note


def test_unnamed_classes_are_read_as_sst2_s_only_for_sst2_with_as_many_classes():
    names, note = inference.match_class_names(["LABEL_0", "LABEL_1"], SST2, "m", "sst2")
    assert names == SST2 and "LABEL_0, LABEL_1" in note and "negative, positive" in note
    for data_names, dataset in [(SST2, "reviews.csv"), (THREE, "financial_phrasebank")]:
        with pytest.raises(inference.ClassNamesError, match="unnamed classes"):
            inference.match_class_names(["LABEL_0", "LABEL_1"], data_names, "m", dataset)


@pytest.mark.parametrize("model_names, data_names, says", [
    (SST2, THREE, "was trained on the classes \\['negative', 'positive'\\] of 'sst2'"),
    (["positive", "negative"], SST2, "another order"),
    (THREE, ["complaint", "praise", "question"], "run notebook 05 on the same dataset"),
])
def test_a_model_trained_on_other_classes_is_refused_in_one_line_with_the_fix(model_names, data_names, says):
    with pytest.raises(inference.ClassNamesError, match=says) as raised:
        inference.match_class_names(model_names, data_names, "saved_models/05_fine_tuned", "my.csv",
                                    trained_on="sst2")
    message = str(raised.value)
    assert "\n" not in message and "saved_models/05_fine_tuned" in message and "model_dir" in message
    assert str(data_names) in message
