"""Checkpoints and resume: an interrupted-then-resumed fine-tune ends as one never interrupted.

The interrupted runs are child processes (a SIGINT as Jupyter's stop button
sends, and a SIGKILL); the uninterrupted reference is a child process too.
The child reports each finished step on stdout, so the parent interrupts at a
step, not after a time.
"""

import json
import signal
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import make_tiny_bert
from finetune_lab.pretrained import batches, checkpoints, fine_tune
from finetune_lab.pretrained.device import set_seed

TESTS = Path(__file__).parent
SENTENCES = ["a gorgeous , witty , seductive movie .", "dull", "the plot is nothing but boilerplate clichés",
             "it 's a charming and often affecting journey .", "bad", "one of the year 's best films"]
LABELS = [1, 0, 0, 1, 0, 1]
EPOCHS, BATCH_SIZE, EXAMPLES = 3, 8, 48  # 6 steps per epoch, 18 in all

# argv: checkpoint folder, output .npz, "fresh" or "resume". Prints "step N" after each step.
CHILD = textwrap.dedent(f"""
    import json, sys, time
    sys.path.insert(0, {str(TESTS)!r})
    import numpy as np
    from test_checkpoints import train
    folder, output, mode = sys.argv[1:4]
    steps = []
    def report(features, loss):
        steps.append(loss)
        print("step", len(steps), flush=True)
        time.sleep(0.05)  # so that the parent's signal lands while training still runs
    model, history = train(folder, resume=mode == "resume", on_step=report)
    np.savez(output, *model.get_weights())
    Path = __import__("pathlib").Path
    Path(output + ".json").write_text(json.dumps({{**history.__dict__, "steps_here": len(steps)}}))
    print("done", flush=True)
""")


def train(folder, resume=False, checkpoint_every=2, keep_checkpoints=3, epochs=EPOCHS, **options):
    """The tiny fine-tune every test here runs: 48 examples, batch 8, 3 epochs, a checkpoint every 2 steps."""
    from transformers import AutoTokenizer
    from finetune_lab.pretrained.models import offline_model_dir

    tokenizer = AutoTokenizer.from_pretrained(str(offline_model_dir()))
    set_seed(0)
    model = make_tiny_bert(0)
    train_set = batches.encode(tokenizer, SENTENCES * 8, LABELS * 8)
    validation = batches.encode(tokenizer, SENTENCES, LABELS)
    optimizer, schedule = fine_tune.make_optimizer(1e-3, fine_tune.num_train_steps(EXAMPLES, BATCH_SIZE, epochs),
                                                   0.1, 0.01)
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train_set, validation, epochs=epochs,
                                  batch_size=BATCH_SIZE, patience=2, seed=0, progress=False,
                                  checkpoint_dir=folder, checkpoint_every=checkpoint_every, resume=resume,
                                  keep_checkpoints=keep_checkpoints, **options)
    return model, history


def start_child(folder, output, mode):
    return subprocess.Popen([sys.executable, "-c", CHILD, str(folder), str(output), mode],
                            stdout=subprocess.PIPE, text=True)


def wait_for_step(child, step):
    for line in child.stdout:
        if line.strip() == f"step {step}":
            return
    raise AssertionError(f"the child ended before step {step}")


def finish(child, output):
    out, _ = child.communicate(timeout=600)
    assert child.returncode == 0, out
    with np.load(output) as weights:
        return [weights[f"arr_{i}"] for i in range(len(weights.files))], json.loads(Path(output + ".json").read_text())


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run, in a child process like the interrupted ones."""
    folder = tmp_path_factory.mktemp("reference")
    return finish(start_child(folder / "checkpoints", folder / "out.npz", "fresh"), str(folder / "out.npz"))


def assert_same_run(resumed, reference):
    (weights, history), (reference_weights, reference_history) = resumed, reference
    assert len(weights) == len(reference_weights)
    for got, expected in zip(weights, reference_weights):
        np.testing.assert_allclose(got, expected, atol=1e-6)
    for name in ("step_loss", "step_learning_rate", "train_loss", "validation_loss", "validation_accuracy"):
        np.testing.assert_allclose(history[name], reference_history[name], atol=1e-6, err_msg=name)
    for name in ("best_epoch", "stopped_early", "warnings", "interrupted"):
        assert history[name] == reference_history[name], name


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_then_resumed_run_ends_as_the_uninterrupted_one(tmp_path, reference, signal_number):
    folder, first, second = tmp_path / "checkpoints", str(tmp_path / "first.npz"), str(tmp_path / "second.npz")
    child = start_child(folder, first, "fresh")
    wait_for_step(child, 9)  # mid-epoch 2, one step after the checkpoint at step 8
    child.send_signal(signal_number)
    if signal_number == signal.SIGINT:
        _, interrupted = finish(child, first)
        assert interrupted["interrupted"] and 9 <= len(interrupted["step_loss"]) < 18
        assert checkpointed_steps(folder) == len(interrupted["step_loss"])  # written at the interrupt
    else:
        child.wait()
    # The newest complete checkpoint: step 8, or 10 if the child got that far before the signal landed.
    trained_before = checkpointed_steps(folder)
    assert 8 <= trained_before < 18
    resumed = finish(start_child(folder, second, "resume"), second)
    assert_same_run(resumed, reference)
    # Nothing already trained is trained again: the resumed run does only the steps after the checkpoint.
    assert resumed[1]["steps_here"] == len(reference[1]["step_loss"]) - trained_before


def checkpointed_steps(folder) -> int:
    """Steps done in the newest checkpoint of ``folder``, read from the state saved with it."""
    import tensorflow as tf

    reader = tf.train.load_checkpoint(tf.train.latest_checkpoint(str(folder)))
    return len(json.loads(reader.get_tensor("state/.ATTRIBUTES/VARIABLE_VALUE"))["history"]["step_loss"])


def test_checkpoints_keep_the_newest_few_and_a_finished_run_resumes_without_training(tmp_path):
    model, history = train(tmp_path, checkpoint_every=1, keep_checkpoints=2)
    kept = sorted(path.name for path in tmp_path.glob("ckpt-*.index"))
    assert len(kept) == 2, kept
    assert sorted(path.name for path in (tmp_path / "best").glob("ckpt-*.index")) \
        == [f"ckpt-{history.best_epoch}.index"]  # written at the best epoch's end, the older ones dropped
    steps = []
    again, resumed = train(tmp_path, resume=True, checkpoint_every=1, keep_checkpoints=2,
                           on_step=lambda features, loss: steps.append(loss))
    assert steps == [] and resumed.step_loss == history.step_loss and resumed.best_epoch == history.best_epoch
    for got, expected in zip(again.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_the_checkpoint_interval_does_not_change_the_weights(tmp_path):
    """Saving is read-only for training: every step, epoch ends only, same seed -> same weights and losses."""
    every_step, history_every = train(tmp_path / "a", checkpoint_every=1)
    epoch_ends, history_ends = train(tmp_path / "b", checkpoint_every=0)
    assert history_every.step_loss == history_ends.step_loss
    for got, expected in zip(every_step.get_weights(), epoch_ends.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_resuming_with_other_settings_is_refused_in_one_line(tmp_path):
    train(tmp_path, epochs=1)
    with pytest.raises(checkpoints.CheckpointMismatchError, match="epochs 1 there, 2 here.*resume=False"):
        train(tmp_path, resume=True, epochs=2)
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        train(None, resume=True)


def test_sigint_in_process_stops_after_the_step_and_says_how_to_resume(tmp_path, capsys):
    """The stop button in a notebook: the step in progress ends, the next cell gets a model and a history."""
    import os

    def interrupt_at_step_3(features, loss, steps=[]):
        steps.append(loss)
        if len(steps) == 3:
            os.kill(os.getpid(), signal.SIGINT)  # delivered now; training must finish this step, then stop

    before = signal.getsignal(signal.SIGINT)  # default_int_handler, or SIG_IGN in a background job
    model, history = train(tmp_path, on_step=interrupt_at_step_3)
    assert history.interrupted and len(history.step_loss) == 3 and history.epochs_run == 0
    assert checkpointed_steps(tmp_path) == 3
    out = capsys.readouterr().out
    assert "interrupted after step 3 of 18" in out and "resume=True" in out
    assert signal.getsignal(signal.SIGINT) is before  # the handler from before training is back


def test_the_progress_bar_shows_speeds_and_live_curves_stay_quiet_without_a_watcher():
    from finetune_lab.early_stopping import History
    from finetune_lab.pretrained import plots

    assert fine_tune._speeds(0.5, 64, 1600, 2.0) == {"loss": "0.500", "examples/s": "32.0", "tokens/s": "800"}
    live = plots.LiveCurves(steps_per_epoch=100, every=1)
    assert not live.enabled  # no IPython kernel here: nothing is drawn
    history = History(step_loss=[0.7, 0.6, 0.65])  # fewer steps than the averaging window
    figure = plots.training_curves(history, steps_per_epoch=100)
    assert list(figure.axes[0].lines[1].get_ydata()) == pytest.approx([0.65])  # one 3-step average


def test_the_curves_of_a_run_interrupted_in_its_first_epoch_draw_without_an_epoch_or_a_warning():
    from finetune_lab.early_stopping import History
    from finetune_lab.pretrained import plots

    history = History(step_loss=[0.7, 0.69, 0.68, 0.66])   # no epoch finished: no validation, best_epoch None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = plots.training_curves(history, steps_per_epoch=100, validation_examples=800)
    accuracy_axis = figure.axes[1]
    assert accuracy_axis.get_xlim() == (0.5, 1.5) and not accuracy_axis.lines[1:]   # no best-epoch line
