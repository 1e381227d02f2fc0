"""The one-call recipe (``pretrained.recipe``) against notebook 05's written-out steps.

The oracle is the notebook itself: the steps below are notebook 05's cells
(device, seed, data, model, tokens, optimizer, loop), on a tiny random BERT
saved like a pretrained checkpoint, so a run takes seconds.
"""

import inspect
import math

import numpy as np
import pytest

from finetune_lab import data
from finetune_lab.course.params import NOTEBOOK_PARAMETERS, ParameterError, check_overrides
from finetune_lab.pretrained import batches, device, fine_tune, models, recipe

SPEC_DEFAULTS = {p.name: p.default for p in NOTEBOOK_PARAMETERS["05_fine_tune_bert"]}


def notebook_05_steps(params):
    """Notebook 05's cells, Step 1 to Step 3, as the notebook writes them (plots and prints left out)."""
    hardware = device.configure_device(mixed_precision=True)
    device.set_seed(params["seed"])
    splits = data.load_dataset(params["dataset"], params["text_column"], params["label_column"],
                               params["class_names"], params["seed"])
    train_texts, train_labels = splits.train
    subset_texts, subset_labels = data.subsample(train_texts, train_labels, params["num_train_examples"],
                                                 params["seed"])
    groups = data.sentence_groups(subset_texts, within=train_texts) if params["dataset"] == "sst2" else None
    fit_texts, fit_labels, val_texts, val_labels = data.train_validation_split(
        subset_texts, subset_labels, params["validation_fraction"], params["seed"], groups=groups)
    encoder, tokenizer, load_info = models.load_classifier(params["model"], gpu_available=hardware.kind == "GPU",
                                                           class_names=splits.train.class_names)
    fit_set = batches.encode(tokenizer, fit_texts, fit_labels, params["max_seq_len"])
    val_set = batches.encode(tokenizer, val_texts, val_labels, params["max_seq_len"])
    total_steps = fine_tune.num_train_steps(len(fit_set), params["batch_size"], params["epochs"])
    optimizer, schedule = fine_tune.make_optimizer(
        params["learning_rate"], total_steps, params["warmup_ratio"], params["weight_decay"],
        loss_scaling=hardware.precision == "mixed_float16")
    history = fine_tune.fine_tune(encoder, tokenizer, optimizer, schedule, fit_set, val_set,
                                  epochs=params["epochs"], batch_size=params["batch_size"],
                                  patience=params["patience"], seed=params["seed"], progress=False)
    return encoder, fit_set, val_set, history


def test_recipe_run_trains_the_weights_of_notebook_05s_steps(tiny_bert_checkpoint):
    # Not the defaults, so that every parameter the loop reads is seen to be passed on.
    overrides = {"model": tiny_bert_checkpoint, "num_train_examples": 160, "epochs": 2, "batch_size": 16,
                 "learning_rate": 3e-3, "warmup_ratio": 0.2, "weight_decay": 0.05, "validation_fraction": 0.2,
                 "patience": 1, "max_seq_len": 24, "seed": 3}
    params = recipe.parameters(overrides)
    model, fit_set, val_set, history = notebook_05_steps(params)
    result = recipe.run(overrides, progress=False)

    assert result.train.texts == fit_set.texts and result.validation.texts == val_set.texts
    assert result.load_info.new_weights  # the head is new: its seeded initialisation is compared too
    assert len(result.history.step_loss) == math.ceil(len(fit_set) / 16) * len(history.validation_loss)
    for name in ("step_loss", "step_learning_rate", "train_loss", "validation_loss", "validation_accuracy"):
        np.testing.assert_allclose(getattr(result.history, name), getattr(history, name), rtol=1e-6, err_msg=name)
    assert (result.history.best_epoch, result.history.stopped_early) == (history.best_epoch, history.stopped_early)
    ours, theirs = result.model.get_weights(), model.get_weights()
    assert len(ours) == len(theirs)
    for mine, notebook in zip(ours, theirs):
        np.testing.assert_allclose(mine, notebook, atol=1e-6)
    # The pretrained weights moved: the comparison above is not of two untouched models.
    checkpoint = models.load_classifier(tiny_bert_checkpoint)[0].bert
    for after, before in zip(result.model.bert.weights, checkpoint.weights):
        if "kernel" in after.name or "embeddings" in after.name:
            assert not np.allclose(after.numpy(), before.numpy()), after.name
    # The dev evaluation is of the trained model, on all of dev.
    assert len(result.dev) == 872 and 0 <= result.dev_evaluation.accuracy <= 1
    assert result.dev_evaluation.probabilities.shape == (872, 2)


def test_every_parameter_and_option_of_the_loop_reaches_fine_tune(tiny_bert_checkpoint, monkeypatch):
    """Whether early stopping fires depends on the run; what ``fine_tune`` is given does not."""
    seen = {}
    monkeypatch.setattr(fine_tune, "fine_tune", lambda *args, **kwargs: seen.update(kwargs))
    params = {"model": tiny_bert_checkpoint, "num_train_examples": 64, "epochs": 3, "batch_size": 8, "patience": 2,
              "seed": 5, "checkpoint_every": 7, "resume": True}
    on_step = print
    prepared = recipe.prepare(params, progress=False, jit_compile=True, length_pool_batches=4, on_step=on_step,
                              checkpoint_dir="somewhere", live_plot=True)
    recipe.fit(prepared)
    assert seen == {"epochs": 3, "batch_size": 8, "patience": 2, "seed": 5, "progress": False,
                    "jit_compile": True, "on_step": on_step, "length_pool_batches": 4,
                    "checkpoint_dir": "somewhere", "checkpoint_every": 7, "resume": True, "live_plot": True}


def test_the_recipes_defaults_are_the_specifications(tiny_bert_checkpoint):
    """Change nothing but the model: every setting is the parameter specification's default."""
    prepared = recipe.prepare({"model": tiny_bert_checkpoint})
    spec = SPEC_DEFAULTS
    assert prepared.params == dict(spec, model=tiny_bert_checkpoint)
    assert recipe.parameters() == spec
    # SST-2's split is grouped by sentence: its size is the fraction's up to whole folds of groups.
    assert len(prepared.train) + len(prepared.validation) == spec["num_train_examples"]
    target = spec["validation_fraction"] * spec["num_train_examples"]
    assert abs(len(prepared.validation) - target) <= 0.1 * target
    assert data.share_contained(prepared.validation.texts, prepared.train.texts) == 0
    assert prepared.train.max_seq_len == spec["max_seq_len"]
    steps = math.ceil(len(prepared.train) / spec["batch_size"]) * spec["epochs"]
    assert prepared.num_train_steps == steps
    warmup = int(spec["warmup_ratio"] * steps)
    assert float(prepared.schedule(warmup)) == pytest.approx(spec["learning_rate"], rel=1e-6)
    assert float(prepared.schedule(warmup - 1)) < spec["learning_rate"]  # still warming up
    assert prepared.optimizer.weight_decay_rate == pytest.approx(spec["weight_decay"])
    assert isinstance(prepared.optimizer, fine_tune.FusedAdamWeightDecay)
    assert prepared.options == recipe.Options()


def test_the_options_defaults_are_the_loops_and_the_devices():
    """An engineering option left alone does what fine_tune, make_optimizer and configure_device do by default."""
    owners = {"mixed_precision": device.configure_device, "distribute": device.configure_device,
              "lazy_embedding_updates": fine_tune.make_optimizer, "length_pool_batches": fine_tune.fine_tune,
              "jit_compile": fine_tune.fine_tune, "progress": fine_tune.fine_tune, "on_step": fine_tune.fine_tune,
              "checkpoint_dir": fine_tune.fine_tune, "live_plot": fine_tune.fine_tune}
    options = recipe.Options()
    for name, owner in owners.items():
        assert getattr(options, name) == inspect.signature(owner).parameters[name].default, name
    assert options.validate_on_dev is False  # notebook 05 validates on a split of train


def test_overrides_are_checked_and_coerced_like_papermill_values():
    params = recipe.parameters({"learning_rate": "2e-5", "epochs": "3"})
    assert (params["learning_rate"], params["epochs"]) == (2e-5, 3)
    assert {k: v for k, v in params.items() if k not in ("learning_rate", "epochs")} == \
        {k: v for k, v in SPEC_DEFAULTS.items() if k not in ("learning_rate", "epochs")}


@pytest.mark.parametrize("overrides", [{"learning_rate": -1.0}, {"batch_size": 2.5}, {"learnig_rate": 1e-4}])
def test_a_bad_parameter_is_the_specifications_one_line_error(overrides):
    with pytest.raises(ParameterError) as expected:
        check_overrides("05_fine_tune_bert", overrides)
    with pytest.raises(ParameterError) as raised:
        recipe.prepare(overrides)  # fails before any data or model loads
    assert str(raised.value) == str(expected.value) and "\n" not in str(raised.value)


def test_validating_on_dev_is_refused_where_it_would_choose_an_epoch():
    with pytest.raises(ValueError, match="validate_on_dev needs epochs=1"):
        recipe.prepare({"epochs": 2}, validate_on_dev=True)
    with pytest.raises(TypeError, match="validate_on_test"):
        recipe.prepare({}, validate_on_test=True)


def test_validating_on_dev_trains_on_the_whole_subset(tiny_bert_checkpoint):
    prepared = recipe.prepare({"model": tiny_bert_checkpoint, "num_train_examples": 64, "epochs": 1},
                              validate_on_dev=True, progress=False)
    assert len(prepared.train) == 64 and prepared.validation.texts == prepared.dev.texts
    assert prepared.train.texts == data.subsample(*data.load_sst2("train"), 64, 0)[0]


def test_the_recipe_takes_a_users_three_class_file_and_names_its_classes(tiny_bert_checkpoint):
    result = recipe.run({"model": tiny_bert_checkpoint, "dataset": "data/examples/customer_messages.csv",
                         "epochs": 1, "batch_size": 8, "max_seq_len": 24}, progress=False)
    assert result.class_names == ("complaint", "praise", "question")
    assert result.model.config.id2label == {0: "complaint", 1: "praise", 2: "question"}
    assert result.dev_evaluation.probabilities.shape == (len(result.dev.texts), 3)
    assert len(result.train.texts) + len(result.validation.texts) == 42 and len(result.test.texts) == 9
