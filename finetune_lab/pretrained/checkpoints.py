"""Training checkpoints: save where a fine-tune is, and resume it exactly (notebook 05, section 3).

A checkpoint holds everything the next step depends on, so that a run
interrupted (Jupyter's stop button, SIGINT, a killed process) and then
resumed ends with the same weights and history as a run never interrupted:

- the model's weights, and the optimizer's slots (Adam's m and v) and step
  count, which is also the learning-rate schedule's position;
- the state of every dropout layer's random generator (``resumable_dropout``);
- the data order of the current epoch and the position in it;
- the history so far and the early-stopping state (best score, best epoch,
  epochs waited), in one JSON string saved with the tensors;
- in ``best/``, the weights of the best epoch so far (written at an epoch's
  end when it improves, not at every checkpoint: they are kept at the end).

``tf.train.CheckpointManager`` writes them (``ckpt-N.index`` and
``ckpt-N.data-*``) and keeps the last few; it records the latest only once
its files are complete, so a process killed while saving leaves the previous
checkpoint as the latest. Saves are synchronous: TensorFlow's asynchronous
ones (``experimental_enable_async_checkpoint``) made a run's first save cost
more than all the others together in ``benchmarks/checkpoint_cost.py``. What
a save costs: ``benchmarks/results/checkpoint_cost.md``.

Why dropout needs its own generators: tf-keras 2 draws dropout masks from
stateful random ops whose position lives inside TensorFlow's kernels, where
no checkpoint can reach it; a resumed run would repeat the first masks.
``resumable_dropout`` gives each dropout layer a ``tf.random.Generator``
(seeded from the run's seed) whose state is a variable that the checkpoint
saves. This changes which masks are drawn, not how many or how: a run with
checkpoints matches a run with checkpoints, whatever the interval, and a run
without checkpoints keeps tf-keras's own masks as before.

TensorFlow's guide: https://www.tensorflow.org/guide/checkpoint
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from finetune_lab.early_stopping import EarlyStopping, History

KEEP_CHECKPOINTS = 3
"""Checkpoints kept (the newest); older ones are deleted as new ones are written."""


class CheckpointMismatchError(ValueError):
    """A checkpoint written by a run with other settings; IPython shows the one-line message."""

    def _render_traceback_(self) -> list[str]:
        return [f"CheckpointMismatchError: {self}"]


def resumable_dropout(model: tf.keras.Model, seed: int) -> list[tf.random.Generator]:
    """Give every dropout layer of ``model`` a seeded generator whose state a checkpoint can save.

    Layer i (in ``model.submodules`` order) gets ``tf.random.Generator``
    seeded with ``(seed, i)``; its masks are drawn as tf-keras draws them with
    ``rng_type="stateful"``. Uses the private ``_random_generator`` attribute
    of tf-keras 2's ``BaseRandomLayer`` (tf_keras/src/engine/base_layer.py).

    Returns:
        The generators, in layer order, to be saved with the checkpoint.
    """
    from tf_keras.src import backend

    layers = [layer for layer in model.submodules if isinstance(layer, tf.keras.layers.Dropout)]
    generators = []
    with tf.init_scope():  # variables, even when called inside a tf.function
        for index, layer in enumerate(layers):
            rng = backend.RandomGenerator(seed=seed * 1000 + index, rng_type="stateful")
            rng._maybe_init()  # creates the generator (and its state variable) now
            layer._random_generator = rng
            generators.append(rng._generator)
    return generators


@dataclass
class TrainingState:
    """Where a fine-tune stands, in plain Python values (saved as JSON with the tensors).

    Attributes:
        epochs_done: epochs trained and validated.
        step_in_epoch: batches of epoch ``epochs_done + 1`` already trained.
        order: that epoch's batches, each a list of example indices (empty at an epoch's start).
        history: ``dataclasses.asdict`` of the ``History`` so far.
        stopping: the early-stopping state (best_score, best_epoch, waited).
        finished: training is over (the last epoch, or early stopping); resuming trains nothing.
        settings: what the run was started with (``run_settings``), checked on resume.
    """

    epochs_done: int
    step_in_epoch: int
    order: list[list[int]]
    history: dict[str, Any]
    stopping: dict[str, float]
    finished: bool
    settings: dict[str, Any] = field(default_factory=dict)

    def restore_history(self) -> History:
        return History(**self.history)

    def restore_stopping(self, patience: int, mode: str) -> EarlyStopping:
        rule = EarlyStopping(patience, mode)
        rule.best_score, rule.best_epoch, rule.waited = (self.stopping["best_score"],
                                                         int(self.stopping["best_epoch"]),
                                                         int(self.stopping["waited"]))
        return rule


def run_settings(train_lengths: np.ndarray, train_labels: np.ndarray, **settings) -> dict[str, Any]:
    """The settings a checkpoint must share with the run that resumes it, with a digest of the data.

    Args:
        train_lengths, train_labels: (n,) int arrays of the training examples.
        **settings: JSON scalars, e.g. epochs, batch_size, seed.
    """
    digest = hashlib.sha256(np.asarray(train_lengths, np.int64).tobytes()
                            + np.asarray(train_labels, np.int64).tobytes()).hexdigest()[:16]
    return {**settings, "num_train_examples": int(len(train_labels)), "train_data_sha256": digest}


class Checkpoints:
    """The checkpoints of one fine-tune, in ``folder``: the last ``keep`` states and the best weights.

    Args:
        folder: where they go (created); ``best/`` below it holds the best epoch's weights.
        model, optimizer: the training's own objects (Keras model, tf-keras legacy optimizer).
        dropout_generators: ``resumable_dropout``'s generators.
        keep: checkpoints kept.
        fresh: delete the folder's checkpoints first (a new run replaces an old one's).
    """

    def __init__(self, folder: str | Path, model: tf.keras.Model, optimizer, dropout_generators,
                 keep: int = KEEP_CHECKPOINTS, fresh: bool = False):
        self.folder = Path(folder)
        if fresh:
            shutil.rmtree(self.folder, ignore_errors=True)
        self._state = tf.Variable("", dtype=tf.string, trainable=False)
        self._model = model
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, dropout=list(dropout_generators),
                                         state=self._state)
        self._manager = tf.train.CheckpointManager(checkpoint, str(self.folder), max_to_keep=keep)
        # Two best checkpoints: the state on disk may still name the previous best epoch
        # when a kill lands between writing a new best and the state that names it.
        self._best = tf.train.CheckpointManager(tf.train.Checkpoint(model=model), str(self.folder / "best"),
                                                max_to_keep=2)

    def save(self, state: TrainingState) -> str:
        """Write a checkpoint of the model, optimizer, generators and ``state``; returns its path."""
        # best_score is inf before the first epoch: Python's json writes and reads it as Infinity.
        self._state.assign(json.dumps(dataclasses.asdict(state), default=_plain))
        return self._manager.save()

    def save_best(self, epoch: int) -> None:
        """Keep the model's current weights as those of the best epoch, ``epoch``.

        Call it before ``save``-ing the state that names this epoch as the best.
        """
        self._best.save(checkpoint_number=epoch)

    @property
    def latest(self) -> str | None:
        """The newest checkpoint's path prefix, or None."""
        return self._manager.latest_checkpoint

    def restore(self, settings: dict[str, Any]) -> tuple[TrainingState, list[np.ndarray] | None] | None:
        """Load the newest checkpoint into the model, optimizer and generators.

        Returns:
            ``(state, best_weights)`` (best_weights None before any epoch
            ended), or None when the folder holds no checkpoint.

        Raises:
            CheckpointMismatchError: the checkpoint was written with other ``settings``.
        """
        if self.latest is None:
            return None
        reader = tf.train.load_checkpoint(self.latest)
        state = TrainingState(**json.loads(reader.get_tensor("state/.ATTRIBUTES/VARIABLE_VALUE")))
        _check_settings(state.settings, settings, self.folder)
        best_weights = None
        if state.stopping["best_epoch"] > 0:
            path = f"{self._best._checkpoint_prefix}-{state.stopping['best_epoch']}"
            tf.train.Checkpoint(model=self._model).restore(path).assert_existing_objects_matched()
            best_weights = self._model.get_weights()
        # Slots that do not exist yet (before the first step) are restored when they are created.
        self._manager.checkpoint.restore(self.latest).assert_existing_objects_matched()
        return state, best_weights


def _check_settings(saved: dict[str, Any], wanted: dict[str, Any], folder: Path) -> None:
    """Raise ``CheckpointMismatchError`` naming each setting that differs."""
    differences = [f"{name} {saved.get(name)!r} there, {wanted.get(name)!r} here"
                   for name in sorted(set(saved) | set(wanted)) if saved.get(name) != wanted.get(name)]
    if differences:
        raise CheckpointMismatchError(
            f"the checkpoint in {folder} is from a run with other settings ({'; '.join(differences)}): "
            "resume with the same settings, or pass resume=False to start afresh (it replaces the checkpoints)")


def _plain(value: Any) -> Any:
    """JSON for NumPy scalars and arrays inside the state."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot save {type(value).__name__} in a checkpoint's state")
