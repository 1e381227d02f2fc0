"""Dynamic padding, the fine-tuning loop, save/reload: checked against oracles."""

import numpy as np
import pytest
import tensorflow as tf
from transformers import AdamWeightDecay

from conftest import make_tiny_bert
from finetune_lab.metrics import classification_metrics
from finetune_lab.pretrained import batches, fine_tune, inference, models, storage
from finetune_lab.pretrained.device import set_seed

SENTENCES = ["a gorgeous , witty , seductive movie .", "dull", "the plot is nothing but boilerplate clichés",
             "it 's a charming and often affecting journey .", "bad", "one of the year 's best films"]
LABELS = [1, 0, 0, 1, 0, 1]


def test_padded_logits_equal_unpadded_logits(tiny_bert, tokenizer):
    """The attention mask makes padding invisible: each sentence alone vs in a padded batch."""
    encoded = batches.encode(tokenizer, SENTENCES, LABELS)
    features, _ = batches.pad_batch(tokenizer, encoded, np.arange(len(SENTENCES)))
    assert features["input_ids"].shape == (6, int(encoded.lengths.max()))
    np.testing.assert_array_equal(features["attention_mask"].numpy().sum(axis=1), encoded.lengths)
    padded = tiny_bert(features, training=False).logits.numpy()
    for row in range(len(SENTENCES)):
        alone, _ = batches.pad_batch(tokenizer, encoded, np.array([row]))
        np.testing.assert_allclose(tiny_bert(alone, training=False).logits.numpy()[0], padded[row], atol=1e-5)


def test_an_all_ones_mask_changes_the_logits_of_padded_sentences(tiny_bert, tokenizer):
    """The common mistake of notebook 05: without the real mask, padding leaks in."""
    encoded = batches.encode(tokenizer, SENTENCES, LABELS)
    features, _ = batches.pad_batch(tokenizer, encoded, np.arange(len(SENTENCES)))
    wrong = dict(features, attention_mask=tf.ones_like(features["attention_mask"]))
    difference = np.abs(tiny_bert(wrong).logits.numpy() - tiny_bert(features).logits.numpy()).max(axis=1)
    shortest = int(np.argmin(encoded.lengths))
    assert difference[shortest] > 1e-3


@pytest.mark.parametrize("group_by_length", [True, False])
def test_training_order_uses_every_example_once(group_by_length):
    lengths = np.random.default_rng(1).integers(3, 60, size=1000)
    order = batches.training_order(lengths, 32, seed=5, group_by_length=group_by_length)
    assert sorted(np.concatenate(order).tolist()) == list(range(1000))
    assert sum(len(b) < 32 for b in order) <= 1  # only one partial batch
    again = batches.training_order(lengths, 32, seed=5, group_by_length=group_by_length)
    assert all(np.array_equal(a, b) for a, b in zip(order, again))


def test_grouping_by_length_pads_less():
    lengths = np.random.default_rng(2).integers(3, 60, size=3200)
    def padded_tokens(order):
        return sum(len(b) * lengths[b].max() for b in order)
    grouped = padded_tokens(batches.training_order(lengths, 32, seed=0, group_by_length=True))
    random = padded_tokens(batches.training_order(lengths, 32, seed=0, group_by_length=False))
    assert grouped < 0.7 * random


def test_smaller_length_pools_pad_more_and_lose_no_example():
    lengths = np.random.default_rng(3).integers(3, 60, size=3200)
    padded = {}
    for pool in (1, 8, 50):
        order = batches.training_order(lengths, 32, seed=0, pool_batches=pool)
        assert sorted(np.concatenate(order).tolist()) == list(range(3200))
        padded[pool] = sum(len(b) * lengths[b].max() for b in order)
    assert padded[50] < padded[8] < padded[1]
    with pytest.raises(ValueError, match="pool_batches must be a whole number >= 1"):
        batches.training_order(lengths, 32, seed=0, pool_batches=0)


def test_counts_below_one_and_bad_optimizer_settings_are_rejected_with_their_name():
    lengths = [5, 3, 9, 3, 7]
    assert sorted(np.concatenate(batches.training_order(lengths, 2, seed=0)).tolist()) == [0, 1, 2, 3, 4]
    for call, name in ((lambda: batches.training_order(lengths, 0, seed=0), "batch_size"),
                       (lambda: fine_tune.num_train_steps(100, 0, 1), "batch_size"),
                       (lambda: fine_tune.num_train_steps(100, 32, 0), "epochs")):
        with pytest.raises(ValueError, match=f"{name} must be a whole number >= 1"):
            call()
    for options, message in (({"warmup_ratio": 1.5}, "warmup_ratio must be in"),
                             ({"warmup_ratio": -0.1}, "warmup_ratio must be in"),
                             ({"weight_decay": -0.01}, "weight_decay must be >= 0"),
                             ({"learning_rate": "5e-5"}, "learning_rate must be > 0")):
        arguments = dict({"learning_rate": 1e-4, "num_train_steps": 10, "warmup_ratio": 0.1, "weight_decay": 0.01},
                         **options)
        with pytest.raises(ValueError, match=message):
            fine_tune.make_optimizer(**arguments)


def test_evaluation_order_is_fixed_and_complete():
    lengths = np.array([5, 3, 9, 3, 7])
    order = batches.evaluation_order(lengths, 2)
    assert [b.tolist() for b in order] == [[1, 3], [0, 4], [2]]


def test_learning_rate_zero_or_negative_is_rejected():
    for bad in (0.0, -1e-5):
        with pytest.raises(ValueError, match="learning_rate must be > 0"):
            fine_tune.make_optimizer(bad, 10, 0.1, 0.01)


def test_weight_decay_really_applies_except_to_layer_norm_and_biases(tiny_bert):
    optimizer, schedule = fine_tune.make_optimizer(1e-3, 100, 0.1, 0.01)
    assert isinstance(optimizer, AdamWeightDecay)
    split = fine_tune.decayed_weights(optimizer, tiny_bert)
    assert split["decayed"] and all("LayerNorm" in n or "bias" in n for n in split["excluded"])
    assert not any("LayerNorm" in n or "bias" in n for n in split["decayed"])
    # Linear warm-up to the peak over 10 steps, then linear decay to 0.
    assert float(schedule(5)) == pytest.approx(5e-4)
    assert float(schedule(10)) == pytest.approx(1e-3)
    assert float(schedule(100)) == pytest.approx(0.0, abs=1e-9)


def test_one_step_follows_the_decoupled_update_rule(tiny_bert, tokenizer):
    """θ ← θ − η·Adam(∇L) − ηλθ; on Adam's first step Adam(g) = g / (|g| + ε)."""
    learning_rate, weight_decay = 1e-3, 0.1
    optimizer, schedule = fine_tune.make_optimizer(learning_rate, 10, 0.0, weight_decay)
    encoded = batches.encode(tokenizer, SENTENCES, LABELS)
    features, labels = batches.pad_batch(tokenizer, encoded, np.arange(6))
    kernel = next(v for v in tiny_bert.trainable_variables if "classifier" in v.name and "kernel" in v.name)
    with tf.GradientTape() as tape:
        loss = inference.mean_cross_entropy(labels, tiny_bert(features, training=False).logits)
    gradient = tape.gradient(loss, kernel).numpy()
    before = kernel.numpy()
    # Dropout off for the comparison: the compiled step uses training=True, so
    # rebuild the model without dropout.
    tiny_bert.config.hidden_dropout_prob = 0.0
    for layer in tiny_bert.submodules:
        if isinstance(layer, tf.keras.layers.Dropout):
            layer.rate = 0.0
    fine_tune.make_train_step(tiny_bert, optimizer)(features, labels)
    eta = float(schedule(0))
    expected = before - eta * before * weight_decay - eta * gradient / (np.abs(gradient) + 1e-8)
    np.testing.assert_allclose(kernel.numpy(), expected, atol=1e-6)


def _first_epoch_losses(seed, tokenizer, **options):
    set_seed(seed)
    model = make_tiny_bert(seed)
    encoded = batches.encode(tokenizer, SENTENCES * 8, LABELS * 8)
    optimizer, schedule = fine_tune.make_optimizer(1e-3, fine_tune.num_train_steps(48, 8, 1), 0.1, 0.01)
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, encoded, encoded,
                                  **{"epochs": 1, "batch_size": 8, "seed": seed, "progress": False, **options})
    return history


def test_same_seed_repeats_the_first_epoch_exactly(tokenizer):
    first, second = _first_epoch_losses(0, tokenizer), _first_epoch_losses(0, tokenizer)
    assert len(first.step_loss) == 6
    assert first.step_loss == second.step_loss
    assert first.validation_loss == second.validation_loss
    assert _first_epoch_losses(1, tokenizer).step_loss != first.step_loss


def test_length_pool_changes_the_batches_not_the_amount_of_training(tokenizer):
    grouped, per_batch = _first_epoch_losses(0, tokenizer), _first_epoch_losses(0, tokenizer, length_pool_batches=1)
    assert len(per_batch.step_loss) == len(grouped.step_loss) == 6
    assert per_batch.step_loss != grouped.step_loss
    with pytest.raises(ValueError, match="length_pool_batches must be a whole number >= 1"):
        _first_epoch_losses(0, tokenizer, length_pool_batches=0)
    with pytest.raises(ValueError, match="epochs must be a whole number >= 1"):
        _first_epoch_losses(0, tokenizer, epochs=0)


def test_early_stopping_restores_the_best_weights(tokenizer):
    """A learning rate so large that validation loss gets worse: the first epoch's weights come back."""
    set_seed(0)
    model = make_tiny_bert(0)
    train = batches.encode(tokenizer, SENTENCES * 4, LABELS * 4)
    validation = batches.encode(tokenizer, SENTENCES, [1 - y for y in LABELS])  # learning hurts here
    optimizer, schedule = fine_tune.make_optimizer(1e-2, fine_tune.num_train_steps(24, 8, 5), 0.0, 0.0)
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, validation,
                                  epochs=5, batch_size=8, patience=1, progress=False, monitor="loss")
    assert history.stopped_early and len(history.validation_loss) < 5
    best = int(np.argmin(history.validation_loss))
    assert history.best_epoch == best + 1
    assert inference.evaluate(model, tokenizer, validation).loss == pytest.approx(history.validation_loss[best], rel=1e-5)


def test_early_stopping_on_accuracy_keeps_the_most_accurate_epoch(tokenizer):
    set_seed(0)
    model = make_tiny_bert(0)
    train = batches.encode(tokenizer, SENTENCES * 4, LABELS * 4)
    optimizer, schedule = fine_tune.make_optimizer(1e-3, fine_tune.num_train_steps(24, 8, 3), 0.0, 0.0)
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, train,
                                  epochs=3, batch_size=8, patience=5, progress=False)
    assert history.best_epoch == int(np.argmax(history.validation_accuracy)) + 1
    assert inference.evaluate(model, tokenizer, train).accuracy == max(history.validation_accuracy)
    with pytest.raises(ValueError, match="monitor must be"):
        fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, train, 1, 8, monitor="f1")


def test_save_and_reload_give_identical_predictions(tiny_bert, tokenizer, tmp_path):
    labels, probabilities = inference.predict(tiny_bert, tokenizer, SENTENCES)
    assert len(labels) == 6 and set(labels) <= {"LABEL_0", "LABEL_1"} and probabilities.shape == (6, 2)
    storage.save(tiny_bert, tokenizer, tmp_path / "saved")
    model, reloaded_tokenizer = storage.load(tmp_path / "saved")
    labels_after, probabilities_after = inference.predict(model, reloaded_tokenizer, SENTENCES)
    assert labels == labels_after
    np.testing.assert_allclose(probabilities, probabilities_after, atol=1e-6)


def test_class_names_travel_with_the_model_through_save_and_load(tiny_bert, tokenizer, tmp_path):
    names = ["negative", "neutral", "positive"]
    tiny_bert.save_pretrained(tmp_path / "encoder")
    tokenizer.save_pretrained(tmp_path / "encoder")
    model, _, info = models.load_classifier(str(tmp_path / "encoder"), class_names=names)
    assert info.new_weights and inference.class_names(model) == names
    storage.save(model, tokenizer, tmp_path / "three")
    reloaded, reloaded_tokenizer = storage.load(tmp_path / "three")
    assert inference.class_names(reloaded) == names and reloaded.config.label2id == {n: i for i, n in enumerate(names)}
    predicted, probabilities = inference.predict(reloaded, reloaded_tokenizer, SENTENCES)
    assert probabilities.shape == (6, 3) and predicted == [names[i] for i in probabilities.argmax(axis=1)]


def test_a_pretrained_encoder_is_refused_where_a_fine_tuned_classifier_is_expected(tmp_path):
    with pytest.raises(models.ModelNotFoundError, match="no trained classification head"):
        storage.load(models.offline_model_dir())


@pytest.mark.parametrize("texts, message", [([], "no texts"), (["fine", "  "], "text 1"), (["ok", None], "text 1")])
def test_predict_rejects_bad_input(tiny_bert, tokenizer, texts, message):
    with pytest.raises(ValueError, match=message):
        inference.predict(tiny_bert, tokenizer, texts)


def test_metrics_match_a_hand_count():
    metrics = classification_metrics([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert metrics["accuracy"] == pytest.approx(0.6)
    assert metrics["precision"] == pytest.approx(2 / 3) and metrics["recall"] == pytest.approx(2 / 3)
    assert metrics["confusion_matrix"] == [[1, 1], [1, 2]]


def test_a_nan_in_a_weight_stops_training_at_that_step_with_the_causes(tokenizer):
    set_seed(0)
    model = make_tiny_bert(0)
    model.classifier.bias.assign([float("nan"), 0.0])
    train = batches.encode(tokenizer, SENTENCES * 4, LABELS * 4)
    optimizer, schedule = fine_tune.make_optimizer(1e-4, fine_tune.num_train_steps(24, 8, 2), 0.1, 0.01)
    with pytest.raises(fine_tune.TrainingDivergedError, match=r"step 1 \(epoch 1\).*learning rate"):
        fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, train, epochs=2, batch_size=8,
                            progress=False, monitor="loss")


def test_a_model_that_predicts_one_class_is_reported_after_warm_up(tokenizer):
    set_seed(0)
    model = make_tiny_bert(0)
    train = batches.encode(tokenizer, SENTENCES * 8, [1] * 48)             # only positives: it learns "positive"
    validation = batches.encode(tokenizer, SENTENCES, LABELS)              # half and half
    optimizer, schedule = fine_tune.make_optimizer(1e-3, fine_tune.num_train_steps(48, 8, 2), 0.1, 0.0)
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, validation, epochs=2,
                                  batch_size=8, patience=2, progress=False)
    assert history.warnings and "collapsed to one class" in history.warnings[-1]
    assert "2e-5 to 1e-4" in history.warnings[-1]


def test_collapse_warning_fires_on_one_class_or_chance_loss_and_not_otherwise():
    balanced = np.array([0, 1] * 50)
    assert fine_tune.collapse_warning(np.ones(100, int), balanced, 0.5, 2).startswith("the model predicts class 1")
    assert "ln 2" in fine_tune.collapse_warning(balanced, balanced[::-1].copy(), 0.6935, 2)
    assert "ln 3" in fine_tune.collapse_warning(np.arange(99) % 3, np.arange(99) % 3, np.log(3) + 0.005, 3)
    assert fine_tune.collapse_warning(balanced, balanced, 0.3, 2) is None
    mostly_one = np.array([1] * 96 + [0] * 4)                              # an imbalanced set, predicted well
    assert fine_tune.collapse_warning(mostly_one, mostly_one, 0.2, 2) is None
