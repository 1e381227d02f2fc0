"""Freezing, pooled sentence embeddings, the random twin and the reusable trainer (notebook 04)."""

import numpy as np
import pytest
import tensorflow as tf
from transformers import BertConfig, TFBertForSequenceClassification

from conftest import make_tiny_bert
from finetune_lab.pretrained import batches, fine_tune, transfer
from finetune_lab.pretrained.models import load_classifier

SENTENCES = ["a gorgeous , witty , seductive movie .", "dull", "the plot is nothing but boilerplate clichés",
             "it 's a charming and often affecting journey .", "bad", "one of the year 's best films"]
LABELS = [1, 0, 0, 1, 0, 1]


def _part(name: str) -> str:
    """Which part of the classifier a variable belongs to: embeddings, layer_<i>, pooler or classifier."""
    if "/embeddings/" in name:
        return "embeddings"
    if "/encoder/layer_._" in name:
        return "layer_" + name.split("/encoder/layer_._")[1].split("/")[0]
    return "pooler" if "/pooler/" in name else "classifier"


EXPECTED_TRAINABLE = {  # the tiny BERT has 2 encoder layers
    ("none", 0): {"embeddings", "layer_0", "layer_1", "pooler", "classifier"},
    ("embeddings", 0): {"layer_0", "layer_1", "pooler", "classifier"},
    ("bottom_k", 1): {"layer_1", "pooler", "classifier"},
    ("bottom_k", 2): {"pooler", "classifier"},
    ("head_only", 0): {"classifier"},
}


@pytest.mark.parametrize("strategy, k", list(EXPECTED_TRAINABLE))
def test_freeze_leaves_exactly_the_intended_variables_trainable(tiny_bert, strategy, k):
    transfer.freeze(tiny_bert, "head_only")  # start from another state: freeze must reset it
    transfer.freeze(tiny_bert, strategy, k)
    trainable = {_part(v.name) for v in tiny_bert.trainable_variables}
    frozen = {_part(v.name) for v in tiny_bert.non_trainable_variables}
    assert trainable == EXPECTED_TRAINABLE[strategy, k]
    assert frozen == {"embeddings", "layer_0", "layer_1", "pooler", "classifier"} - trainable
    assert len(tiny_bert.trainable_variables) + len(tiny_bert.non_trainable_variables) == len(tiny_bert.weights)


def test_training_after_freezing_changes_only_the_trainable_weights(tiny_bert, tokenizer):
    transfer.freeze(tiny_bert, "bottom_k", k=1)
    trainable = {v.name for v in tiny_bert.trainable_variables}
    before = {v.name: v.numpy() for v in tiny_bert.weights}
    trainer = transfer.ReusableTrainer(tiny_bert, tokenizer)
    transfer.freeze(tiny_bert, "none")  # too late: the trainer compiled its step with bottom_k frozen
    trainer.train(transfer.weights_snapshot(tiny_bert), batches.encode(tokenizer, SENTENCES, LABELS),
                  num_steps=3, batch_size=3, learning_rate=1e-2)
    for variable in tiny_bert.weights:
        changed = not np.array_equal(before[variable.name], variable.numpy())
        assert changed == (variable.name in trainable), variable.name


@pytest.mark.parametrize("strategy, k, message", [
    ("top_k", 0, "use one of 'none', 'embeddings', 'bottom_k', 'head_only'"),
    ("bottom_k", 0, "from 1 to 2"), ("bottom_k", 3, "from 1 to 2"), ("bottom_k", 1.5, "from 1 to 2"),
])
def test_freeze_rejects_unknown_strategies_and_k_out_of_range(tiny_bert, strategy, k, message):
    with pytest.raises(ValueError, match=message):
        transfer.freeze(tiny_bert, strategy, k)


def test_pooled_embeddings_have_shape_batch_by_hidden_and_cls_is_position_0(tiny_bert, tokenizer):
    pooled = transfer.pooled_embeddings(tiny_bert, tokenizer, SENTENCES)
    for name in ("cls", "mean"):
        assert pooled[name].shape == (len(SENTENCES), 32) and pooled[name].dtype == np.float32
        np.testing.assert_array_equal(
            transfer.sentence_embeddings(tiny_bert, tokenizer, SENTENCES, pooling=name), pooled[name])
    # Oracle: the encoder's own output, one sentence at a time.
    for row, sentence in enumerate(SENTENCES):
        alone = tokenizer([sentence], return_tensors="tf")
        hidden = tiny_bert.bert(dict(alone), training=False).last_hidden_state[0]    # (seq_len, 32)
        np.testing.assert_allclose(pooled["cls"][row], hidden[0], atol=1e-5)
        np.testing.assert_allclose(pooled["mean"][row], tf.reduce_mean(hidden, axis=0), atol=1e-5)


def test_mean_pooling_ignores_padding(tiny_bert, tokenizer):
    """A short sentence alone vs padded in a batch with a long one: same vector."""
    short, long = "dull", SENTENCES[2]
    alone = transfer.sentence_embeddings(tiny_bert, tokenizer, [short], pooling="mean")[0]
    batched = transfer.sentence_embeddings(tiny_bert, tokenizer, [short, long], pooling="mean", batch_size=2)[0]
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    # The same batch averaged over every position, padding included, differs: the test can fail.
    features = tokenizer([short, long], padding="longest", return_tensors="tf")
    hidden = tiny_bert.bert(dict(features), training=False).last_hidden_state
    assert np.abs(tf.reduce_mean(hidden[0], axis=0).numpy() - alone).max() > 1e-3


@pytest.mark.parametrize("texts, poolings, message", [
    (SENTENCES, ("max",), "unknown pooling"), ([], ("cls",), "no texts"),
    (["fine", " "], ("cls",), "text 1"),
])
def test_pooled_embeddings_reject_bad_input(tiny_bert, tokenizer, texts, poolings, message):
    with pytest.raises(ValueError, match=message):
        transfer.pooled_embeddings(tiny_bert, tokenizer, texts, poolings)


def test_a_single_string_is_one_text_as_everywhere_else(tiny_bert, tokenizer):
    vectors = transfer.sentence_embeddings(tiny_bert, tokenizer, "one string")
    assert vectors.shape == (1, tiny_bert.config.hidden_size)
    assert np.allclose(vectors, transfer.sentence_embeddings(tiny_bert, tokenizer, ["one string"]))


def test_random_init_classifier_has_the_architecture_but_not_the_weights(tmp_path, tokenizer):
    pretrained = make_tiny_bert(seed=3)
    pretrained.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded, _, _ = load_classifier(str(tmp_path))
    random = transfer.random_init_classifier(str(tmp_path), seed=1)
    random_weights, loaded_weights = transfer.weights_snapshot(random), transfer.weights_snapshot(loaded)
    assert {name: w.shape for name, w in random_weights.items()} == {name: w.shape for name, w in loaded_weights.items()}
    word_embeddings = "bert/embeddings/word_embeddings/weight:0"
    assert not np.allclose(random_weights[word_embeddings], loaded_weights[word_embeddings])
    again = transfer.weights_snapshot(transfer.random_init_classifier(str(tmp_path), seed=1))
    assert all(np.array_equal(random_weights[name], again[name]) for name in random_weights)


def test_a_snapshot_restores_after_freezing_and_into_another_model_object(tiny_bert):
    snapshot = transfer.weights_snapshot(tiny_bert)
    transfer.freeze(tiny_bert, "bottom_k", k=1)   # reorders model.get_weights(): trainable weights first
    other = make_tiny_bert(seed=5)                 # its variable names start with another model name
    transfer.freeze(other, "head_only")
    for target in (tiny_bert, other):
        for variable in target.weights:
            variable.assign(tf.zeros_like(variable))
        transfer.restore_weights(target, snapshot)
        assert all(np.array_equal(snapshot[name], value)
                   for name, value in transfer.weights_snapshot(target).items())
    with pytest.raises(ValueError, match="does not match"):
        transfer.restore_weights(other, {name: value for name, value in list(snapshot.items())[1:]})


def test_linear_schedule_matches_fine_tune_make_optimizer():
    _, schedule = fine_tune.make_optimizer(1e-3, 40, 0.1, 0.01)
    for step in range(41):
        assert transfer.linear_schedule(step, 40, 1e-3, 4) == pytest.approx(float(schedule(step)), abs=1e-9)


def test_reusable_trainer_repeats_fine_tune_adamw_and_resets_between_runs(tokenizer):
    """Oracle: fine_tune's AdamW with its compiled schedule; dropout off so runs can match exactly."""
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    tf.keras.utils.set_random_seed(0)
    model = TFBertForSequenceClassification(config)
    model(model.dummy_inputs)
    start = transfer.weights_snapshot(model)
    encoded = batches.encode(tokenizer, SENTENCES, LABELS)
    trainer = transfer.ReusableTrainer(model, tokenizer, weight_decay=0.01)
    first = trainer.train(start, encoded, num_steps=5, batch_size=4, learning_rate=1e-3, seed=2)
    first_weights = transfer.weights_snapshot(model)
    second = trainer.train(start, encoded, num_steps=5, batch_size=4, learning_rate=1e-3, seed=2)
    assert first.epochs == 3 and len(second.step_loss) == 5
    assert len(first.step_cpu_seconds) == 5 and all(seconds > 0 for seconds in first.step_cpu_seconds)
    np.testing.assert_allclose(second.step_loss, first.step_loss, rtol=1e-5)

    transfer.restore_weights(model, start)
    optimizer, _ = fine_tune.make_optimizer(1e-3, 5, 0.1, 0.01, lazy_embedding_updates=False)  # plain AdamW, as ours
    step = fine_tune.make_train_step(model, optimizer)
    order = [b for epoch in (1, 2, 3) for b in batches.training_order(encoded.lengths, 4, seed=2000 + epoch)]
    losses = [float(step(*batches.pad_batch(tokenizer, encoded, indices))) for indices in order[:5]]
    # Our learning rates are computed in float64 by Python, the oracle's in float32 inside the graph.
    np.testing.assert_allclose(first.step_loss, losses, rtol=1e-4)
    for name, oracle in transfer.weights_snapshot(model).items():
        np.testing.assert_allclose(first_weights[name], oracle, atol=1e-6, err_msg=name)


def _dropout_free_bert(seed: int = 0) -> tf.keras.Model:
    """A 2-layer BERT classifier without dropout, so that two runs can match exactly."""
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64, hidden_dropout_prob=0.0,
                        attention_probs_dropout_prob=0.0)
    tf.keras.utils.set_random_seed(seed)
    model = TFBertForSequenceClassification(config)
    model(model.dummy_inputs)
    return model


def test_layerwise_factors_decay_from_the_head_down_to_the_embeddings(tiny_bert):
    factors = transfer.layerwise_learning_rate_factors(tiny_bert, 0.5)
    assert factors.keys() == transfer.weights_snapshot(tiny_bert).keys()
    by_part = {}
    for variable in tiny_bert.weights:
        by_part.setdefault(_part(variable.name), set()).add(factors[variable.name.split("/", 1)[-1]])
    assert by_part == {"classifier": {1.0}, "pooler": {1.0}, "layer_1": {0.5}, "layer_0": {0.25},
                       "embeddings": {0.125}}
    assert set(transfer.layerwise_learning_rate_factors(tiny_bert, 1).values()) == {1.0}


@pytest.mark.parametrize("decay", [0, -0.5, 1.5, "0.8", True])
def test_layerwise_factors_reject_a_decay_outside_0_1(tiny_bert, decay):
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        transfer.layerwise_learning_rate_factors(tiny_bert, decay)


def test_layerwise_trainer_with_factors_1_repeats_the_plain_trainer(tokenizer):
    model = _dropout_free_bert()
    start, encoded = transfer.weights_snapshot(model), batches.encode(tokenizer, SENTENCES, LABELS)
    plain = transfer.ReusableTrainer(model, tokenizer).train(start, encoded, 4, 3, 1e-3, seed=1)
    plain_weights = transfer.weights_snapshot(model)
    grouped = transfer.ReusableTrainer(model, tokenizer, learning_rate_factors=transfer.layerwise_learning_rate_factors(model, 1.0))
    run = grouped.train(start, encoded, 4, 3, 1e-3, seed=1)
    np.testing.assert_allclose(run.step_loss, plain.step_loss, rtol=1e-5)
    for name, value in transfer.weights_snapshot(model).items():
        np.testing.assert_allclose(value, plain_weights[name], atol=1e-6, err_msg=name)


def test_each_group_moves_exactly_its_factor_times_the_full_rate_step(tokenizer):
    """AdamW's step is proportional to its rate: one step with factors = factor x the step at the full rate."""
    model = _dropout_free_bert()
    start, encoded = transfer.weights_snapshot(model), batches.encode(tokenizer, SENTENCES, LABELS)
    transfer.ReusableTrainer(model, tokenizer).train(start, encoded, 1, 6, 1e-3, warmup_ratio=0.0)
    full_step = {name: value - start[name] for name, value in transfer.weights_snapshot(model).items()}
    factors = transfer.layerwise_learning_rate_factors(model, 0.5)
    transfer.ReusableTrainer(model, tokenizer, learning_rate_factors=factors).train(
        start, encoded, 1, 6, 1e-3, warmup_ratio=0.0)
    moved = 0
    for name, value in transfer.weights_snapshot(model).items():
        np.testing.assert_allclose(value - start[name], factors[name] * full_step[name], atol=1e-7, err_msg=name)
        moved += bool(np.abs(full_step[name]).max() > 1e-5)
    assert moved > len(factors) // 2  # the comparison is not between steps of zero
    assert {0.125, 0.25, 0.5, 1.0} <= set(factors.values())


def test_layerwise_trainer_needs_a_factor_for_every_trainable_weight(tiny_bert, tokenizer):
    factors = transfer.layerwise_learning_rate_factors(tiny_bert, 0.8)
    factors.pop(next(iter(factors)))
    with pytest.raises(ValueError, match="layerwise_learning_rate_factors"):
        transfer.ReusableTrainer(tiny_bert, tokenizer, learning_rate_factors=factors)


def test_accuracy_noise_uses_ddof_1_over_seeds_and_the_binomial_error_of_the_dev_set():
    rng = np.random.default_rng(0)
    correct = rng.random((3, 400)) < 0.8
    noise = transfer.accuracy_noise(correct)
    per_seed = correct.mean(axis=1)
    p = per_seed.mean()
    assert noise["mean"] == pytest.approx(p)
    assert noise["seed_sd"] == pytest.approx(np.std(per_seed, ddof=1))
    assert noise["dev_se"] == pytest.approx(np.sqrt(p * (1 - p) / 400))
    assert noise["total_se"] == pytest.approx(np.sqrt(np.var(per_seed, ddof=1) / 3 + p * (1 - p) / 400))
    twins = transfer.accuracy_noise(np.stack([correct[0], correct[0]]))   # two identical seeds
    assert twins["seed_sd"] == 0 and twins["total_se"] == pytest.approx(twins["dev_se"]) and twins["dev_se"] > 0.01
    single = transfer.accuracy_noise(correct[0])
    assert np.isnan(single["seed_sd"]) and single["total_se"] == single["dev_se"] and single["num_seeds"] == 1


def test_paired_difference_noise_counts_only_the_sentences_where_the_methods_disagree():
    a = np.array([1, 1, 1, 1, 0, 0, 1, 0, 1, 1])
    b = np.array([1, 1, 1, 1, 0, 0, 0, 1, 0, 1])
    noise = transfer.paired_difference_noise(a, b)
    d = a - b
    assert noise["difference"] == pytest.approx(0.1)
    assert noise["dev_se"] == pytest.approx(np.std(d, ddof=1) / np.sqrt(10))
    assert np.isnan(noise["seed_sd"]) and noise["total_se"] == noise["dev_se"]
    # Agreeing on every sentence: no dev noise in the difference, however noisy each accuracy is.
    same = transfer.paired_difference_noise(np.stack([a, b]), np.stack([a, b]))
    assert same["difference"] == 0 and same["dev_se"] == 0 and same["seed_sd"] == 0
    with pytest.raises(ValueError, match="same shape"):
        transfer.paired_difference_noise(a, b[:5])


def test_reusable_trainer_rejects_an_empty_budget(tiny_bert, tokenizer):
    trainer = transfer.ReusableTrainer(tiny_bert, tokenizer)
    with pytest.raises(ValueError, match="num_steps >= 1"):
        trainer.train(transfer.weights_snapshot(tiny_bert), batches.encode(tokenizer, SENTENCES, LABELS), 0, 2, 1e-3)


def test_nearest_words_ranks_by_cosine_and_skips_the_word_and_special_tokens(tokenizer):
    vocabulary = tokenizer.get_vocab()
    embeddings = np.random.default_rng(0).normal(size=(len(vocabulary), 8))
    good, great, bad = vocabulary["good"], vocabulary["great"], vocabulary["bad"]
    embeddings[great] = 2 * embeddings[good]                          # same direction: cosine 1
    embeddings[bad] = embeddings[good] + 0.1 * embeddings[bad]        # close
    embeddings[vocabulary["[unused1]"]] = embeddings[good]            # special: skipped
    embeddings[vocabulary["##s"]] = embeddings[good]                  # word piece: skipped
    found = transfer.nearest_words(embeddings, tokenizer, "good", k=2)
    assert [token for token, _ in found] == ["great", "bad"]
    assert found[0][1] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not one token"):
        transfer.nearest_words(embeddings, tokenizer, "unbelievably")


def test_parse_data_sizes_sorts_and_rejects_bad_lists():
    from finetune_lab.course.params import ParameterError

    assert transfer.parse_data_sizes(" 300, 32,100,32 ") == [32, 100, 300]
    for bad in ("32;100", "32,,100", "ten", "4,100", "32,70000"):
        with pytest.raises(ParameterError, match="data_sizes"):
            transfer.parse_data_sizes(bad)
