"""The fast-fine-tuning machinery (issue 6): bounded batch shapes, the fused and
the lazy embedding updates, XLA and MirroredStrategy, each checked against the
plain computation; and the benchmarks' command lines and notebook 05's recipe in them.

The speed itself is measured by benchmarks/fine_tune_speed.py, not here.
"""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import batch_order_accuracy, fine_tune_speed, full_run
from conftest import make_tiny_bert
from finetune_lab.pretrained import batches, fine_tune, inference, recipe

# Lengths from 3 to 61 WordPiece tokens, like SST-2 dev sentences.
SENTENCES = ["bad", "dull", "meh , at best", "one of the year 's best films",
             "a gorgeous , witty , seductive movie .", "the plot is nothing but boilerplate clichés",
             "it 's a charming and often affecting journey .",
             "an unflinching , complex portrait of a modern israel that is rarely seen on-screen " * 2,
             "the movie is so thoroughly plodding , pointless and dull that even its two stars cannot "
             "rescue it from the depths of its own self-importance and the weight of its countless clichés ."]
LABELS = [0, 0, 0, 1, 1, 0, 1, 1, 0]


def _without_dropout(model: tf.keras.Model) -> tf.keras.Model:
    """Dropout off even with training=True, so two computations see the same network."""
    for layer in model.submodules:
        if isinstance(layer, tf.keras.layers.Dropout):
            layer.rate = 0.0
    return model


def test_bucketing_bounds_the_shapes_and_uses_every_example_once():
    lengths = np.random.default_rng(0).integers(3, 129, size=2000)  # up to max_seq_len = 128
    bound = batches.max_batch_shapes(128, pad_to_multiple_of=8)
    assert bound == 17  # 16 lengths (8, 16, ..., 128) and one partial batch
    for epoch in range(3):
        order = batches.training_order(lengths, 32, seed=epoch)
        shapes = {(len(b), batches.padded_length(lengths[b].max(), 8)) for b in order}
        assert len(shapes) <= bound
        assert sorted(np.concatenate(order).tolist()) == list(range(2000))  # none lost, none repeated


def test_pad_batch_pads_to_the_multiple(tokenizer):
    encoded = batches.encode(tokenizer, SENTENCES, LABELS, pad_to_multiple_of=8)
    for indices in batches.training_order(encoded.lengths, 3, seed=0):
        features, labels = batches.pad_batch(tokenizer, encoded, indices)
        seq_len = features["input_ids"].shape[1]
        assert seq_len == batches.padded_length(encoded.lengths[indices].max(), 8) and seq_len % 8 == 0
        np.testing.assert_array_equal(features["attention_mask"].numpy().sum(axis=1), encoded.lengths[indices])
    with pytest.raises(ValueError, match="pad_to_multiple_of"):
        batches.encode(tokenizer, SENTENCES, LABELS, pad_to_multiple_of=0)


def test_bucketed_logits_equal_fixed_padding_logits(tiny_bert, tokenizer):
    """Length-sorted batches padded to a multiple of 8 against every sentence padded to 128."""
    encoded = batches.encode(tokenizer, SENTENCES, LABELS, pad_to_multiple_of=8)
    bucketed = inference.predict_logits(tiny_bert, tokenizer, encoded, batch_size=4)
    fixed = tokenizer(SENTENCES, padding="max_length", truncation=True, max_length=128, return_tensors="tf")
    assert fixed["input_ids"].shape == (len(SENTENCES), 128)
    np.testing.assert_allclose(bucketed, tiny_bert(dict(fixed), training=False).logits.numpy(), atol=1e-5)


def test_fused_adamw_makes_the_same_updates_as_transformers_adamweightdecay():
    """Sparse gradients (repeated rows, rows left out) and dense ones, three steps, decayed and not."""
    from transformers import create_optimizer

    rng = np.random.default_rng(0)
    start = {"embeddings": rng.normal(size=(10, 4)), "kernel": rng.normal(size=(4, 2)), "bias": rng.normal(size=2)}
    fused, _ = fine_tune.make_optimizer(1e-2, 10, 0.2, 0.1)
    reference, _ = create_optimizer(init_lr=1e-2, num_train_steps=10, num_warmup_steps=2, weight_decay_rate=0.1)
    assert isinstance(fused, fine_tune.FusedAdamWeightDecay) and type(reference).__name__ == "AdamWeightDecay"
    copies = [[tf.Variable(value, dtype=tf.float32, name=name) for name, value in start.items()] for _ in range(2)]
    for rows in ([1, 1, 3], [0, 3, 9, 9], [2]):
        sparse = tf.IndexedSlices(tf.constant(rng.normal(size=(len(rows), 4)), tf.float32), tf.constant(rows))
        dense = [tf.constant(rng.normal(size=value.shape), tf.float32) for value in list(start.values())[1:]]
        for optimizer, variables in zip((fused, reference), copies):
            optimizer.apply_gradients(zip([sparse, *dense], variables))
    for ours, theirs, before in zip(*copies, start.values()):
        assert not np.allclose(ours.numpy(), before)  # every weight moved
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def _one_step(tokenizer, lazy: bool, jit_compile: bool = False, pad_to_multiple_of=None):
    """The model after one step from the same start, dropout off; the loss before and after."""
    model = _without_dropout(make_tiny_bert(0))
    optimizer, _ = fine_tune.make_optimizer(1e-3, 10, 0.0, 0.1, lazy_embedding_updates=lazy)
    encoded = batches.encode(tokenizer, SENTENCES, LABELS, pad_to_multiple_of=pad_to_multiple_of)
    features, labels = batches.pad_batch(tokenizer, encoded, np.arange(len(SENTENCES)))
    before = float(fine_tune.make_train_step(model, optimizer, jit_compile=jit_compile)(features, labels))
    after = float(inference.mean_cross_entropy(labels, model(features, training=False).logits))
    return model, [before, after], features


def test_lazy_embedding_update_equals_adamw_on_the_rows_of_the_batch(tokenizer):
    """Rows the batch uses: the AdamWeightDecay update exactly; other rows: untouched."""
    lazy, lazy_losses, features = _one_step(tokenizer, lazy=True)
    dense, dense_losses, _ = _one_step(tokenizer, lazy=False)
    start = make_tiny_bert(0)
    # Lazy updates are opt-in; the default updates every row (FusedAdamWeightDecay).
    assert isinstance(fine_tune.make_optimizer(1e-3, 10, 0.0, 0.1, lazy_embedding_updates=True)[0],
                      fine_tune.LazyAdamWeightDecay)
    assert not isinstance(fine_tune.make_optimizer(1e-3, 10, 0.0, 0.1)[0], fine_tune.LazyAdamWeightDecay)
    assert lazy_losses[0] == dense_losses[0]
    # The three lookup tables have sparse gradients; these are the rows this batch reads.
    used = {"word_embeddings": np.unique(features["input_ids"].numpy()), "token_type_embeddings": [0],
            "position_embeddings": np.arange(features["input_ids"].shape[1])}
    for before, after_lazy, after_dense in zip(start.weights, lazy.weights, dense.weights):
        table = next((name for name in used if name in before.name), None)
        if table is None:  # a dense gradient: the same update
            np.testing.assert_allclose(after_lazy.numpy(), after_dense.numpy(), atol=1e-7)
            continue
        rows = np.asarray(used[table])
        others = np.setdiff1d(np.arange(before.shape[0]), rows)
        np.testing.assert_allclose(after_lazy.numpy()[rows], after_dense.numpy()[rows], atol=1e-7)
        np.testing.assert_array_equal(after_lazy.numpy()[others], before.numpy()[others])
        # AdamW moves the other rows by weight decay alone (at step 1 their Adam step is 0).
        np.testing.assert_allclose(after_dense.numpy()[others], before.numpy()[others] * (1 - 1e-3 * 0.1),
                                   rtol=1e-6)


def test_xla_step_matches_the_compiled_step(tokenizer):
    """The same loss before and after one step (weights are not compared: Adam turns
    round-off in a zero gradient, such as the attention key bias's, into a step of ±η)."""
    _, plain_losses, _ = _one_step(tokenizer, lazy=True, pad_to_multiple_of=8)
    _, xla_losses, _ = _one_step(tokenizer, lazy=True, jit_compile=True, pad_to_multiple_of=8)
    np.testing.assert_allclose(xla_losses, plain_losses, atol=1e-5)


def test_on_step_sees_every_training_token(tokenizer):
    model = make_tiny_bert(0)
    encoded = batches.encode(tokenizer, SENTENCES * 4, LABELS * 4)
    optimizer, schedule = fine_tune.make_optimizer(1e-3, fine_tune.num_train_steps(36, 8, 1), 0.1, 0.01)
    seen = []
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, encoded, encoded, epochs=1,
                                  batch_size=8, progress=False, pad_to_multiple_of=8,
                                  on_step=lambda features, loss: seen.append(
                                      (int(features["attention_mask"].numpy().sum()), loss)))
    assert sum(tokens for tokens, _ in seen) == encoded.lengths.sum()
    assert [loss for _, loss in seen] == history.step_loss


def _mirrored_versus_one_device() -> dict:
    """Run in a fresh process: two logical CPUs must exist before TensorFlow starts.

    Returns the losses of two steps and after them, for one device and for a
    MirroredStrategy over two CPUs in float32, float16 (with loss scaling)
    and bfloat16: the GPU set-up, on CPUs.
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from transformers import AutoTokenizer

    from finetune_lab.pretrained.models import offline_model_dir
    tokenizer = AutoTokenizer.from_pretrained(str(offline_model_dir()))
    encoded = batches.encode(tokenizer, SENTENCES, LABELS)  # 9 examples: replicas get 4 and 5
    features, labels = batches.pad_batch(tokenizer, encoded, np.arange(len(SENTENCES)))
    result = {}
    for name, policy, devices in (("one_device", "float32", None), ("mirrored", "float32", 2),
                                  ("mirrored_float16", "mixed_float16", 2),
                                  ("mirrored_bfloat16", "mixed_bfloat16", 2)):
        tf.keras.mixed_precision.set_global_policy(policy)
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"]) if devices else tf.distribute.get_strategy()
        with strategy.scope():
            model = _without_dropout(make_tiny_bert(0))
            optimizer, _ = fine_tune.make_optimizer(1e-3, 10, 0.0, 0.01, loss_scaling=policy == "mixed_float16")
        step = fine_tune.make_train_step(model, optimizer)  # the strategy is the model's own
        losses = [float(step(features, labels)) for _ in range(2)]
        after = float(inference.mean_cross_entropy(labels, model(features, training=False).logits))
        result[name] = {"replicas": model.distribute_strategy.num_replicas_in_sync, "losses": losses + [after]}
    return result


@pytest.fixture(scope="module")
def mirrored():
    here = Path(__file__).parent
    code = "import json, test_speed; print(json.dumps(test_speed._mirrored_versus_one_device()))"
    # The repository root too: this module imports benchmarks/, and the child tests this checkout's finetune_lab.
    run = subprocess.run([sys.executable, "-c", code], cwd=here, capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(here), str(here.parent)])))
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_mirrored_strategy_on_two_cpus_gives_the_loss_of_one_device(mirrored):
    assert mirrored["one_device"]["replicas"] == 1 and mirrored["mirrored"]["replicas"] == 2
    # Loss of step 1, of step 2 (after one mirrored update) and after two updates.
    np.testing.assert_allclose(mirrored["mirrored"]["losses"], mirrored["one_device"]["losses"], atol=1e-5)


@pytest.mark.parametrize("precision", ["float16", "bfloat16"])
def test_mixed_precision_under_the_strategy_trains_like_float32(mirrored, precision):
    """float16 (with loss scaling) and bfloat16 follow float32 to their rounding (bfloat16: 8 bits)."""
    np.testing.assert_allclose(mirrored[f"mirrored_{precision}"]["losses"], mirrored["mirrored"]["losses"],
                               atol=1e-2 if precision == "float16" else 3e-2)


# ------------------------------------------------------------------ the benchmarks

BENCHMARKS = {"full_run": ["--profile", "cpu-epoch"], "fine_tune_speed": [], "batch_order_accuracy": []}


@pytest.mark.parametrize("seed", ["-1", "1.5", "one", str(2**31)])
@pytest.mark.parametrize("benchmark", BENCHMARKS)
def test_every_benchmark_refuses_a_bad_seed_with_one_line(benchmark, seed, capsys):
    module = importlib.import_module(f"benchmarks.{benchmark}")
    with pytest.raises(SystemExit) as stopped:
        module.main([*BENCHMARKS[benchmark], "--seed", seed])
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert stopped.value.code == 2 and len(errors) == 1
    assert "error: argument --seed: must be a whole number" in errors[0]


def test_a_given_seed_is_in_the_results_file_name():
    assert fine_tune_speed.parse_arguments([]).name == "fine_tune_speed"
    args = fine_tune_speed.parse_arguments(["--seed", "2"])
    assert (args.seed, args.name) == (2, "fine_tune_speed_seed-2")
    args, _ = batch_order_accuracy.parse_arguments(["--seed", "6"])
    assert (args.name, args.seeds) == ("batch_order_accuracy_seed-6", [6, 7, 8, 9, 10, 11])
    assert batch_order_accuracy.parse_arguments([])[0].seeds == [0, 1, 2, 3, 4, 5]  # the committed run's
    assert full_run.file_name("cpu-epoch", {"learning_rate": 2e-4, "seed": 1}) == \
        "full_run_cpu-epoch_learning_rate-0.0002_seed-1"
    # An option given on the command line names the file too: runs with other pools never overwrite each other.
    assert full_run.file_name("cpu-epoch", {"seed": 1, "learning_rate": 2e-4}, {"length_pool_batches": 8}) == \
        "full_run_cpu-epoch_learning_rate-0.0002_length_pool_batches-8_seed-1"


def test_full_run_profiles_hold_only_overrides_of_notebook_05s_parameters():
    """A profile restates no default: each value it holds differs from the specification's."""
    defaults = recipe.parameters()
    for name, profile in full_run.PROFILES.items():
        params = recipe.parameters(profile.overrides)  # an unknown name or a bad value raises
        assert all(params[key] != defaults[key] for key in profile.overrides), name
        recipe.Options(**profile.options)  # an unknown option raises
    assert full_run.PROFILES["gpu-bert-base"].overrides["learning_rate"] == 2e-5  # BERT-base's, not MiniLM's


def test_the_speed_benchmarks_settings_default_to_notebook_05s():
    settings, defaults = fine_tune_speed.Settings(), recipe.parameters()
    for name in ("batch_size", "learning_rate", "warmup_ratio", "weight_decay", "max_seq_len", "seed"):
        assert getattr(settings, name) == defaults[name], name
    assert recipe.parameters(settings.recipe_overrides())["num_train_examples"] == settings.examples


def test_a_seeded_full_run_records_its_seed_and_names_its_files_after_it(tiny_bert_checkpoint, tmp_path,
                                                                         monkeypatch):
    """A dry run of benchmarks/full_run.py on a tiny model: notebook 05's recipe, one epoch, validated on dev."""
    monkeypatch.setattr(full_run, "RESULTS_DIR", tmp_path)
    full_run.main(["--profile", "cpu-epoch", "--model", tiny_bert_checkpoint, "--examples", "64", "--seed", "1"])
    written = sorted(path.name for path in tmp_path.iterdir())
    assert len(written) == 2 and all(name.endswith("_num_train_examples-64_seed-1" + suffix)
                                     for name, suffix in zip(written, (".json", ".md")))
    result = json.loads((tmp_path / written[0]).read_text())
    assert result["seed"] == result["parameters"]["seed"] == 1
    assert result["overrides"] == {"model": tiny_bert_checkpoint, "num_train_examples": 64, "seed": 1}
    assert result["parameters"]["learning_rate"] == recipe.parameters()["learning_rate"]  # the spec's default
    assert result["train_examples"] == 64 and result["epochs_run"] == 1 and result["options"]["validate_on_dev"]
    assert result["val_accuracy"] == [pytest.approx(result["dev_accuracy"])]  # one epoch: validation is dev
