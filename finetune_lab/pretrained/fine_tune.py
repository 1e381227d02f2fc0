"""The fine-tuning loop: AdamW, the train step, validation, early stopping (notebook 05, section 3).

The train step is the update rule of notebook 01 with Adam in place of the
raw gradient:

    θ ← θ − η_t · Adam(∇L(θ)) − η_t · λ · θ

where L is the empirical risk on the batch (mean cross-entropy of the
logits), η_t the learning rate at step t (linear warm-up, then linear decay)
and λ the weight decay, applied to the weights directly ("decoupled",
Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), not
added to the loss, and not to LayerNorm weights or biases (as in BERT,
Devlin et al. 2019).

How the embedding matrix (30,522 rows × 384 for MiniLM) is updated matters
for speed: its gradient is sparse, values only in the rows of the batch's
tokens, a few hundred. Keras's Adam applies a sparse gradient with eight
separate operations over the whole matrix (it still decays m and v of every
row, so the update is AdamW's). ``FusedAdamWeightDecay``, the default, puts
those rows into a dense gradient of zeros and hands it to TensorFlow's fused
Adam kernel: the same update in one pass. Side by side, the whole training
step's speed is measured side by side in ``benchmarks/results/fine_tune_speed.md``
(recipes ``finetune_lab`` against ``finetune_lab_sparse``).

An option, for more speed: ``make_optimizer(..., lazy_embedding_updates=True)``
returns ``LazyAdamWeightDecay``, which applies the rule above to the batch's
rows only; the other rows wait until their token appears ("lazy" Adam, as in
TF Addons' LazyAdam and PyTorch's SparseAdam). It is off by default: the
notebooks teach AdamW exactly, and lazy rows skip their decay and moment
updates on the steps their token is absent.

How the step runs fast (benchmarks/fine_tune_speed.py measures each
choice): one compiled ``tf.function`` for every batch shape, length-grouped
batches (``batches.training_order``), optional XLA (``jit_compile``, slower
on a CPU), mixed precision and ``tf.distribute.MirroredStrategy`` on GPUs.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import tensorflow as tf
from finetune_lab.progress import progress_bar
from transformers import AdamWeightDecay, create_optimizer

from finetune_lab.checks import check_counts
from finetune_lab.course.messages import tr
from finetune_lab.early_stopping import EarlyStopping, History
from finetune_lab.pretrained import checkpoints, interrupts
from finetune_lab.pretrained.batches import FEATURES_SIGNATURE, LENGTH_GROUP_BATCHES, Encoded, pad_batch, training_order
from finetune_lab.pretrained.inference import evaluate, mean_cross_entropy


# BERT's exclusions from weight decay, as transformers.create_optimizer sets them.
NO_DECAY = ["LayerNorm", "layer_norm", "bias"]


class FusedAdamWeightDecay(AdamWeightDecay):
    """transformers' AdamWeightDecay, with sparse gradients applied as dense ones.

    A gather (the embedding lookup) has a sparse gradient: values for the
    rows of the batch's tokens only. Keras's Adam applies it as
    m ← β₁m, m[rows] += (1−β₁)g, v likewise, θ ← θ − η̂_t·m / (√v + ε) over
    the whole matrix: the dense update with a gradient of 0 in the other rows,
    in eight unfused passes. This class builds that zero-filled gradient and
    takes the dense path, TensorFlow's fused ``ResourceApplyAdam`` kernel (one
    pass), after the same decoupled decay. Same update, faster: the gain is
    measured in ``benchmarks/results/fine_tune_speed.md`` (recipes
    ``finetune_lab`` and ``finetune_lab_sparse``).
    """

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        # scatter_nd adds up repeated rows, as the sparse path does.
        dense = tf.scatter_nd(indices[:, None], grad, tf.shape(var, out_type=indices.dtype))
        return self._resource_apply_dense(dense, var, apply_state)


class LazyAdamWeightDecay(AdamWeightDecay):
    """AdamWeightDecay that updates only the rows a sparse gradient touches.

    A gather (the embedding lookup) has a sparse gradient: values for the rows
    of the batch's tokens only. For those rows the update is exactly
    AdamWeightDecay's: m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g²,
    θ ← θ − η_t·λ·θ − η̂_t·m / (√v + ε), with η̂_t Adam's bias-corrected rate.
    Every other row, and its m and v, stays as it is this step. Dense
    gradients (every other weight) take AdamWeightDecay's path unchanged.
    """

    def _resource_apply_sparse(self, grad, var, indices, apply_state=None):
        # indices are unique here: Keras sums duplicate rows before calling this.
        learning_rate, _ = self._get_lr(var.device, var.dtype.base_dtype, apply_state)
        coefficients = ((apply_state or {}).get((var.device, var.dtype.base_dtype))
                        or self._fallback_apply_state(var.device, var.dtype.base_dtype))
        m, v = self.get_slot(var, "m"), self.get_slot(var, "v")
        m_rows = coefficients["beta_1_t"] * tf.gather(m, indices) + coefficients["one_minus_beta_1_t"] * grad
        v_rows = coefficients["beta_2_t"] * tf.gather(v, indices) + coefficients["one_minus_beta_2_t"] * grad * grad
        step = coefficients["lr"] * m_rows / (tf.sqrt(v_rows) + coefficients["epsilon"])
        if self._do_use_weight_decay(var.name):
            step += learning_rate * coefficients["weight_decay_rate"] * tf.gather(var, indices)
        return tf.group(m.scatter_update(tf.IndexedSlices(m_rows, indices)),
                        v.scatter_update(tf.IndexedSlices(v_rows, indices)),
                        var.scatter_sub(tf.IndexedSlices(step, indices)))


def make_optimizer(learning_rate: float, num_train_steps: int, warmup_ratio: float,
                   weight_decay: float, loss_scaling: bool = False, lazy_embedding_updates: bool = False):
    """AdamW with linear warm-up and linear decay, from transformers.

    Args:
        learning_rate: the peak learning rate η, reached after warm-up.
        num_train_steps: total optimizer steps (epochs × batches per epoch).
        warmup_ratio: share of the steps over which η ramps up from 0.
        weight_decay: λ in the update rule; LayerNorm weights and biases are excluded.
        loss_scaling: wrap in a loss-scale optimizer, needed for float16
            mixed precision (``device.precision == "mixed_float16"``).
        lazy_embedding_updates: update only the embedding rows of the batch's
            tokens (``LazyAdamWeightDecay``); False is AdamW exactly
            (``FusedAdamWeightDecay``), which rewrites every row at every step.

    Returns:
        ``(optimizer, schedule)``; ``schedule(step)`` is η at that step.

    Raises:
        ValueError: a learning rate that is not a number > 0, no training
            steps, a warm-up ratio outside [0, 1) or a negative weight decay.
    """
    if not isinstance(learning_rate, (int, float, np.floating)) or isinstance(learning_rate, bool) \
            or not learning_rate > 0:
        raise ValueError(f"learning_rate must be > 0, got {learning_rate!r}: give a number such as 5e-5")
    if num_train_steps < 1:
        raise ValueError("no training steps: give at least one batch of training examples and epochs >= 1")
    if not 0 <= warmup_ratio < 1:
        raise ValueError(f"warmup_ratio must be in [0, 1), got {warmup_ratio!r}: it is the share of the steps "
                         f"spent warming up, e.g. 0.1")
    if not weight_decay >= 0:
        raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}: 0 turns decay off, 0.01 is usual")
    _, schedule = create_optimizer(
        init_lr=learning_rate, num_train_steps=num_train_steps,
        num_warmup_steps=int(warmup_ratio * num_train_steps), weight_decay_rate=weight_decay,
    )
    # The other settings are create_optimizer's (β₁ 0.9, β₂ 0.999, ε 1e-8, BERT's exclusions).
    kind = LazyAdamWeightDecay if lazy_embedding_updates else FusedAdamWeightDecay
    optimizer = kind(learning_rate=schedule, weight_decay_rate=weight_decay, epsilon=1e-8,
                     exclude_from_weight_decay=NO_DECAY)
    if loss_scaling:
        optimizer = tf.keras.mixed_precision.LossScaleOptimizer(optimizer)
    return optimizer, schedule


def decayed_weights(optimizer, model: tf.keras.Model) -> dict[str, list[str]]:
    """Which trainable weights the optimizer decays and which it excludes.

    Returns:
        ``{"decayed": [names], "excluded": [names]}``.
    """
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # unwrap loss scaling
    decays = getattr(optimizer, "_do_use_weight_decay", lambda name: False)
    names = [v.name for v in model.trainable_variables]
    return {"decayed": [n for n in names if decays(n)],
            "excluded": [n for n in names if not decays(n)]}


def make_train_step(model: tf.keras.Model, optimizer, jit_compile: bool = False, strategy=None):
    """A compiled function doing one gradient step on one batch; returns the batch loss.

    One trace serves every batch shape: the sequence length is left unknown
    in the signature, so dynamic padding never triggers a retrace.

    Args:
        jit_compile: compile the step with XLA, which compiles again for every
            new (batch, seq_len): pad batches to a multiple (``pad_to_multiple_of``).
        strategy: a ``tf.distribute.MirroredStrategy`` (or ``MultiWorkerMirroredStrategy``)
            in whose ``scope()`` the model and the optimizer were built; None takes the model's own.
            Each replica takes an equal slice of every batch, and the
            replicas' gradients are summed by the strategy (all-reduce).
    """
    strategy = strategy or model.distribute_strategy
    gradient_step = _gradient_step(model, optimizer)
    if not _is_distributed(strategy):
        return tf.function(lambda features, labels: gradient_step(features, labels, mean_cross_entropy),
                           input_signature=_STEP_SIGNATURE, jit_compile=jit_compile)
    if jit_compile:
        raise ValueError("jit_compile cannot be combined with a distribution strategy here: "
                         "pass jit_compile=False, or train on one device")
    return _mirrored_train_step(strategy, gradient_step)


_STEP_SIGNATURE = [FEATURES_SIGNATURE, tf.TensorSpec([None], tf.int32)]  # features, (batch,) labels


def _gradient_step(model: tf.keras.Model, optimizer):
    """``step(features, labels, risk)``: θ ← θ − η·Adam(∇L) − ηλθ with L = ``risk(labels, logits)``.

    Returns L, or NaN when a gradient is not finite (then the step is still
    applied, and ``fine_tune`` stops right there and says so). Under float16
    loss scaling an overflowing gradient is expected: the optimizer skips that
    step and lowers the scale, so only the loss is watched.
    """
    scaled = isinstance(optimizer, tf.keras.mixed_precision.LossScaleOptimizer)

    def step(features, labels, risk):
        with tf.GradientTape() as tape:
            logits = model(features, training=True).logits        # (batch, num_labels)
            loss = risk(labels, logits)                           # L(θ)
            # float16 gradients underflow; scale the loss up, the gradients back down.
            objective = optimizer.get_scaled_loss(loss) if scaled else loss
        gradients = tape.gradient(objective, model.trainable_variables)    # ∇L(θ)
        if scaled:
            gradients = optimizer.get_unscaled_gradients(gradients)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))  # θ ← θ − η·Adam(∇L) − ηλθ
        return loss if scaled else tf.where(_all_finite(gradients), loss, float("nan"))

    return step


def _all_finite(gradients) -> tf.Tensor:
    """Whether every gradient value is finite (a sparse gradient's values only)."""
    values = [g.values if isinstance(g, tf.IndexedSlices) else g for g in gradients if g is not None]
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in values])


def _mirrored_train_step(strategy, gradient_step):
    """The train step over a MirroredStrategy: each replica takes an equal slice of the batch."""

    def replica_step(features, labels):
        context = tf.distribute.get_replica_context()
        batch = tf.shape(labels)[0]
        start = batch * context.replica_id_in_sync_group // context.num_replicas_in_sync
        stop = batch * (context.replica_id_in_sync_group + 1) // context.num_replicas_in_sync

        def share_of_risk(labels, logits):
            """This replica's summed losses / the whole batch: summed over replicas, L(θ)."""
            losses = tf.keras.losses.sparse_categorical_crossentropy(labels, tf.cast(logits, tf.float32),
                                                                     from_logits=True)
            return tf.reduce_sum(losses) / tf.cast(batch, tf.float32)

        own = {name: value[start:stop] for name, value in features.items()}
        return gradient_step(own, labels[start:stop], share_of_risk)

    @tf.function(input_signature=_STEP_SIGNATURE)
    def train_step(features, labels):
        losses = strategy.run(replica_step, args=(features, labels))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

    return train_step


def _is_distributed(strategy) -> bool:
    """Whether ``strategy`` is a real one rather than TensorFlow's default.

    Mirrored or MultiWorkerMirrored even with one replica: their variables
    must be updated inside ``strategy.run``.
    """
    return (isinstance(strategy, (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy))
            or strategy.num_replicas_in_sync > 1)


def num_train_steps(num_examples: int, batch_size: int, epochs: int) -> int:
    """Optimizer steps for a run: batches per epoch (the last may be partial) × epochs.

    Raises:
        ValueError: ``batch_size`` or ``epochs`` < 1.
    """
    check_counts(batch_size=batch_size, epochs=epochs)
    return math.ceil(num_examples / batch_size) * epochs


def fine_tune(model: tf.keras.Model, tokenizer, optimizer, schedule, train: Encoded,
              validation: Encoded, epochs: int, batch_size: int, patience: int = 1,
              seed: int = 0, progress: bool = True, monitor: str = "accuracy",
              jit_compile: bool = False, pad_to_multiple_of: int | None = None, strategy=None,
              on_step: Callable[[dict, float], None] | None = None,
              length_pool_batches: int = LENGTH_GROUP_BATCHES, checkpoint_dir: str | Path | None = None,
              checkpoint_every: int = 0, resume: bool = False,
              keep_checkpoints: int = checkpoints.KEEP_CHECKPOINTS, live_plot: bool = False) -> History:
    """Fine-tune with validation after every epoch and early stopping (notebook 05, section 3).

    Early stopping is the workbook's one rule (``finetune_lab.early_stopping``):
    training stops once ``patience`` epochs in a row have not improved the
    monitored validation metric, and the weights of the best epoch are
    restored at the end either way.

    Why accuracy by default: after an epoch or two, validation loss often
    rises while accuracy still improves (the model grows overconfident on a
    few examples it gets wrong); we keep the weights that score best on the
    metric we report.

    Args:
        train, validation: tokenised examples (``batches.encode``).
        epochs: at most this many passes over ``train``.
        batch_size: examples per gradient step.
        patience: epochs in a row without improvement before stopping (>= 1).
        seed: fixes the batch order of every epoch.
        progress: show a progress bar per epoch (``finetune_lab.progress``), with the loss, examples/s and real
            (unpadded) tokens/s of the epoch so far.
        monitor: "accuracy" (higher is better) or "loss" (lower is better).
        jit_compile: compile the train step with XLA (``make_train_step``);
            batches are then padded to a multiple of 8 tokens unless
            ``pad_to_multiple_of`` says otherwise. Slower on a CPU.
        pad_to_multiple_of: pad training batches to a multiple of this many
            tokens (bounds the number of batch shapes); None: the longest sentence.
        strategy: see ``make_train_step``; None takes the model's own.
        on_step: called after every step with the batch's features and its
            loss, e.g. to count tokens (benchmarks/fine_tune_speed.py).
        length_pool_batches: batches pooled and sorted by length
            (``batches.training_order``): larger pools pad less, smaller ones
            keep batches more random (``benchmarks/results/batch_order_accuracy.md``).
        checkpoint_dir: write checkpoints here (``pretrained.checkpoints``): at
            each epoch's end, every ``checkpoint_every`` steps, and when
            interrupted. None: no checkpoints. With a folder, dropout draws
            its masks from saved generators (``checkpoints.resumable_dropout``),
            so the run's weights differ from a run without checkpoints,
            but not with the interval.
        checkpoint_every: steps between checkpoints within an epoch; 0: at epoch ends only.
        resume: continue from the newest checkpoint in ``checkpoint_dir``
            (a finished run trains nothing more); without one, start from the
            beginning. False: a new run, which deletes the folder's checkpoints.
        keep_checkpoints: how many of the newest checkpoints to keep.
        live_plot: in JupyterLab, draw the training curves during training,
            redrawn in place every few steps (``plots.LiveCurves``); nothing
            when no one watches (a script, or the course runner).

    Watching for failure: the first non-finite loss or gradient stops
    training with ``TrainingDivergedError`` naming the step; after each epoch
    past warm-up, a model that predicts one class for (almost) every
    validation example, or whose validation loss sits at ln K (chance), gets
    a printed warning, kept in ``history.warnings``.

    Interrupting (Jupyter's stop button, SIGINT) ends training after the step
    in progress: a checkpoint is written, the model keeps the best epoch's
    weights so far (the current ones if no epoch has ended), and the returned
    history has ``interrupted=True``; a printed line says how to resume.

    Raises:
        ValueError: an unknown ``monitor``; ``epochs``, ``batch_size``,
            ``patience`` or ``length_pool_batches`` < 1; ``checkpoint_every`` < 0;
            ``resume`` without ``checkpoint_dir``; checkpoints with a distribution strategy.
        CheckpointMismatchError: ``resume`` from a checkpoint of a run with other settings.
        TrainingDivergedError: a loss or gradient that is not finite.

    Returns:
        An ``early_stopping.History``; the model holds the best epoch's weights.
    """
    if monitor not in ("accuracy", "loss"):
        raise ValueError(f"monitor must be 'accuracy' or 'loss', got {monitor!r}")
    check_counts(epochs=epochs, batch_size=batch_size, length_pool_batches=length_pool_batches)
    if checkpoint_every < 0:
        raise ValueError(f"checkpoint_every must be >= 0 steps, got {checkpoint_every!r}: 0 saves at epoch ends only")
    if resume and checkpoint_dir is None:
        raise ValueError("resume=True needs checkpoint_dir, the folder the interrupted run saved its checkpoints in")
    if jit_compile and pad_to_multiple_of is None:
        pad_to_multiple_of = 8  # at most 16 lengths up to 128 tokens: 16 XLA compilations, not 128
    mode = "max" if monitor == "accuracy" else "min"
    run = _Run(History(), EarlyStopping(patience, mode))
    saver = None
    if checkpoint_dir is not None:
        if _is_distributed(strategy or model.distribute_strategy):
            raise ValueError("checkpoints are written for training on one device: pass checkpoint_dir=None "
                             "with a distribution strategy")
        settings = checkpoints.run_settings(train.lengths, train.labels, epochs=epochs, batch_size=batch_size,
                                            patience=patience, seed=seed, monitor=monitor,
                                            length_pool_batches=length_pool_batches,
                                            pad_to_multiple_of=pad_to_multiple_of)
        saver = checkpoints.Checkpoints(checkpoint_dir, model, optimizer,
                                        checkpoints.resumable_dropout(model, seed), keep_checkpoints,
                                        fresh=not resume)
        run = _resumed(saver, settings, patience, mode, progress) if resume else run
        run.settings = settings
    train_step = make_train_step(model, optimizer, jit_compile, strategy)
    steps_per_epoch = math.ceil(len(train) / batch_size)
    live = _live_curves(steps_per_epoch) if live_plot else None
    started, seconds_before = time.perf_counter(), run.history.seconds
    history = run.history

    def save(epochs_done: int, step_in_epoch: int, order: list) -> None:
        history.seconds = seconds_before + time.perf_counter() - started
        if saver is not None:
            saver.save(run.state(epochs_done, step_in_epoch, order))

    with interrupts.stop_requests() as stop:
        for epoch in range(run.epochs_done + 1, epochs + 1):
            if run.finished:
                break
            batches = run.take_order() or training_order(train.lengths, batch_size, seed=seed * 1000 + epoch,
                                                         pool_batches=length_pool_batches)
            first = run.take_step_in_epoch()
            bar = progress_bar(total=len(batches), initial=first, unit="batch", disable=not progress,
                               desc=tr("epoch {epoch}/{epochs}", epoch=epoch, epochs=epochs))
            epoch_started, examples, tokens = time.perf_counter(), 0, 0
            for position in range(first, len(batches)):
                indices = batches[position]
                features, labels = pad_batch(tokenizer, train, indices, pad_to_multiple_of)
                loss = float(train_step(features, labels))
                _stop_if_not_finite(loss, len(history.step_loss) + 1, epoch)
                if on_step is not None:
                    on_step(features, loss)
                history.step_loss.append(loss)
                history.step_learning_rate.append(float(schedule(optimizer.iterations - 1)))
                examples, tokens = examples + len(indices), tokens + int(train.lengths[indices].sum())
                bar.update()
                bar.set_postfix(_speeds(loss, examples, tokens, time.perf_counter() - epoch_started))
                if live is not None:
                    live.step(history)
                due = checkpoint_every and len(history.step_loss) % checkpoint_every == 0
                if stop or (due and position + 1 < len(batches)):  # the epoch's end saves its own
                    save(epoch - 1, position + 1, batches)
                if stop:
                    break
            bar.close()
            if stop:
                history.interrupted = True
                break
            result = evaluate(model, tokenizer, validation, batch_size * 2)
            history.record_epoch(np.mean(history.step_loss[-len(batches):]), result.loss, result.accuracy)
            if progress:
                print(tr("epoch {epoch}: train loss {train_loss:.4f}, validation loss {loss:.4f}, "
                         "validation accuracy {accuracy:.4f}", epoch=epoch, train_loss=history.train_loss[-1],
                         loss=result.loss, accuracy=result.accuracy))
            _warn_if_collapsed(result, validation.labels, history, epoch)
            if run.stopping.update(epoch, result.accuracy if monitor == "accuracy" else result.loss):
                run.best_weights, history.best_epoch = model.get_weights(), epoch
                if saver is not None:
                    saver.save_best(epoch)
            history.stopped_early = run.stopping.should_stop and epoch < epochs
            run.finished = history.stopped_early or epoch == epochs
            save(epoch, 0, [])
            if live is not None:
                live.step(history, epoch_ended=True)
            if stop and not run.finished:  # asked during validation: the checkpoint is written
                history.interrupted = True
                break
    history.seconds = seconds_before + time.perf_counter() - started
    if run.best_weights is not None:
        model.set_weights(run.best_weights)
    if history.interrupted:
        print(_resume_hint(history, steps_per_epoch, epochs, saver))
    return history


@dataclass
class _Run:
    """The loop's state besides the model and optimizer: what a checkpoint saves (``checkpoints.TrainingState``)."""

    history: History
    stopping: EarlyStopping
    best_weights: list | None = None
    epochs_done: int = 0
    step_in_epoch: int = 0
    order: list | None = None
    finished: bool = False
    settings: dict = field(default_factory=dict)

    def take_order(self) -> list | None:
        """The resumed epoch's batch order, once; None after (the next epochs draw theirs)."""
        order, self.order = self.order, None
        return order

    def take_step_in_epoch(self) -> int:
        step, self.step_in_epoch = self.step_in_epoch, 0
        return step

    def state(self, epochs_done: int, step_in_epoch: int, order: list) -> checkpoints.TrainingState:
        stopping = {"best_score": self.stopping.best_score, "best_epoch": self.stopping.best_epoch,
                    "waited": self.stopping.waited}
        return checkpoints.TrainingState(epochs_done, step_in_epoch, [np.asarray(b).tolist() for b in order],
                                         asdict(self.history), stopping, self.finished, self.settings)


def _resumed(saver, settings: dict, patience: int, mode: str, progress: bool) -> _Run:
    """The run as the newest checkpoint left it (the model, optimizer and dropout restored too)."""
    restored = saver.restore(settings)
    if restored is None:
        print(tr("resume: no checkpoint in {folder} yet, so training starts from the beginning", folder=saver.folder))
        return _Run(History(), EarlyStopping(patience, mode))
    state, best_weights = restored
    run = _Run(state.restore_history(), state.restore_stopping(patience, mode), best_weights,
               state.epochs_done, state.step_in_epoch, [np.asarray(b) for b in state.order] or None,
               state.finished)
    run.history.interrupted = False
    if progress:
        where = (tr("training had finished: nothing to train") if state.finished else
                 tr("continuing at step {step} (epoch {epoch}, batch {batch})", step=len(run.history.step_loss) + 1,
                    epoch=state.epochs_done + 1, batch=state.step_in_epoch + 1))
        print(tr("resumed from {checkpoint}: {where}", checkpoint=saver.latest, where=where))
    return run


def _speeds(loss: float, examples: int, tokens: int, seconds: float) -> dict[str, str]:
    """The progress bar's postfix: the step's loss, and the epoch's examples/s and real tokens/s so far."""
    seconds = max(seconds, 1e-9)
    return {"loss": f"{loss:.3f}", "examples/s": f"{examples / seconds:.1f}", "tokens/s": f"{tokens / seconds:.0f}"}


def _live_curves(steps_per_epoch: int):
    from finetune_lab.pretrained.plots import LiveCurves  # matplotlib only when asked for

    return LiveCurves(steps_per_epoch)


def _resume_hint(history: History, steps_per_epoch: int, epochs: int, saver) -> str:
    """The one line printed after an interrupt: where training stopped, what was kept, how to go on."""
    kept = (tr("the model holds epoch {epoch}'s weights (the best so far)", epoch=history.best_epoch)
            if history.best_epoch else tr("the model holds the weights of the last step (no epoch has ended)"))
    where = tr("interrupted after step {step} of {steps}; {kept}", step=len(history.step_loss),
               steps=steps_per_epoch * epochs, kept=kept)
    if saver is None:
        return tr("{where}; no checkpoint (checkpoint_dir=None), so a new run starts from the beginning", where=where)
    return tr("{where}; checkpoint in {folder}: to continue, run again with resume=True "
              "(course runner: python -m finetune_lab.course run --resume RUN_DIR)", where=where, folder=saver.folder)


class TrainingDivergedError(RuntimeError):
    """A loss or gradient became NaN or infinite; IPython shows the one-line message, which names the fix."""

    def _render_traceback_(self) -> list[str]:
        return [f"TrainingDivergedError: {self}"]


LEARNING_RATE_ADVICE = ("BERT-family models fine-tune at peak learning rates of 2e-5 to 1e-4 "
                        "(Devlin et al. 2019; up to 1e-4 for small models like MiniLM), with warm-up")


def _stop_if_not_finite(loss: float, step: int, epoch: int) -> None:
    """Raise ``TrainingDivergedError`` for a NaN or infinite loss at ``step`` (1-based, over all epochs)."""
    if not math.isfinite(loss):
        raise TrainingDivergedError(
            f"step {step} (epoch {epoch}): the loss or a gradient is {loss}, so training stopped. Usual causes: "
            f"a learning rate far too high ({LEARNING_RATE_ADVICE}); a NaN or infinity already in the weights "
            "or the inputs; float16 without loss scaling")


def collapse_warning(predictions: np.ndarray, labels: np.ndarray, loss: float, num_labels: int) -> str | None:
    """A one-line warning when a classifier has collapsed, else None (notebook 05, common mistakes).

    Collapsed: it predicts one class for at least 95% of the examples while
    that class is not so common in the labels (by 5 points or more), or its
    mean loss is within 0.01 nats of ln K, the loss of predicting 1/K for
    every class (chance). Both are what a too-high learning rate does.

    Args:
        predictions, labels: (n,) int class ids; loss: mean cross-entropy in nats.
    """
    counts = np.bincount(predictions, minlength=num_labels)
    top, share = int(counts.argmax()), counts.max() / len(predictions)
    label_share = float(np.mean(labels == top))
    if share >= 0.95 and share >= label_share + 0.05:
        return tr("the model predicts class {top} for {share:.0%} of the validation examples (it is "
                  "{label_share:.0%} of their labels): it has collapsed to one class. {advice}",
                  top=top, share=share, label_share=label_share, advice=tr(LEARNING_RATE_ADVICE))
    if abs(loss - math.log(num_labels)) < 0.01:
        return tr("the validation loss {loss:.4f} sits at ln {num_labels} = {log_labels:.4f}, the loss "
                  "of a uniform guess: the model has learned nothing. {advice}",
                  loss=loss, num_labels=num_labels, log_labels=math.log(num_labels), advice=tr(LEARNING_RATE_ADVICE))
    return None


def _warn_if_collapsed(result, labels: np.ndarray, history: History, epoch: int) -> None:
    """Print and keep ``collapse_warning``'s line, once warm-up is over (before it, chance is normal)."""
    rates = history.step_learning_rate
    if int(np.argmax(rates)) == len(rates) - 1:  # the learning rate is still rising: warm-up
        return
    warning = collapse_warning(result.predictions, labels, result.loss, result.probabilities.shape[1])
    if warning:
        history.warnings.append(f"epoch {epoch}: {warning}")
        print(tr("warning, epoch {epoch}: {warning}", epoch=epoch, warning=warning))
