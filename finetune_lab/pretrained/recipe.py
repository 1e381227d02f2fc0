"""Notebook 05's fine-tuning recipe in one call: ``run(params)`` = ``train(prepare(params))``.

Notebook 05 writes the recipe out step by step, to teach it: the device and
the seed, SST-2, a seeded subset, a validation split, the pretrained model
with a new head, the tokens, AdamW with warm-up and linear decay, the loop
with early stopping, the dev evaluation. Everyone else who needs the recipe
(notebook 06's fallback model, ``benchmarks/``, ``tests/test_recipe.py``)
calls this module instead of rebuilding it, and notebook 05 checks that its
written-out steps build the same recipe as ``prepare``.

Two kinds of settings:

- **parameters**, notebook 05's (``course.params.FINE_TUNE_PARAMETERS``): a
  caller passes only the ones it changes; every other one takes the
  specification's default, so a default has one owner;
- **options** (``Options``): engineering knobs that change speed or what is
  measured, not the recipe a student learns (length pools, mixed precision,
  several GPUs, XLA, a step callback, the progress bar, validating on dev).

    from finetune_lab.pretrained import inference, recipe
    result = recipe.run({"num_train_examples": 2000, "epochs": 1})
    result.dev_evaluation.accuracy
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import tensorflow as tf

from finetune_lab import data
from finetune_lab.course.params import Value, check_overrides, check_parameters
from finetune_lab.course.records import run_dir
from finetune_lab.pretrained import batches, device, fine_tune, inference, models
from finetune_lab.pretrained.batches import LENGTH_GROUP_BATCHES, Encoded
from finetune_lab.pretrained.device import Device
from finetune_lab.early_stopping import History
from finetune_lab.pretrained.inference import Evaluation
from finetune_lab.pretrained.models import LoadInfo
from finetune_lab.course.messages import tr

NOTEBOOK = "05_fine_tune_bert"
"""Whose parameter specification the recipe follows."""


@dataclass(frozen=True)
class Options:
    """Engineering options: not notebook parameters; each default is the loop's own.

    Attributes:
        mixed_precision: on a GPU, bfloat16 or float16 (with loss scaling)
            compute (``device.configure_device``); a CPU stays float32.
        distribute: on GPUs, a ``MirroredStrategy`` over all of them.
        validate_on_dev: train on the whole subset and validate on SST-2 dev
            instead of a split of train. Only with ``epochs=1``, where the
            validation chooses nothing and simply reports dev accuracy
            (``benchmarks/full_run.py``'s cpu-epoch profile).
        lazy_embedding_updates: ``make_optimizer``'s lazy rows (off: AdamW exactly).
        length_pool_batches: batches pooled and sorted by length (``fine_tune``).
        jit_compile: compile the train step with XLA (slower on a CPU).
        progress: a progress bar and a line per epoch.
        on_step: called after every step with the batch's features and its
            loss (float), e.g. to count tokens (``benchmarks/fine_tune_speed.py``).
        checkpoint_dir: where training checkpoints go (``fine_tune``'s, every
            ``checkpoint_every`` steps, from where ``resume`` continues); None:
            none. Notebook 05's is ``checkpoint_dir()``, in the run folder.
        live_plot: training curves redrawn during training in JupyterLab.
    """

    mixed_precision: bool = True
    distribute: bool = False
    validate_on_dev: bool = False
    lazy_embedding_updates: bool = False
    length_pool_batches: int = LENGTH_GROUP_BATCHES
    jit_compile: bool = False
    progress: bool = True
    on_step: Callable[[dict, float], None] | None = None
    checkpoint_dir: str | Path | None = None
    live_plot: bool = False

    def recorded(self) -> dict[str, Any]:
        """The options as JSON-friendly values, for a results file (the callback by name)."""
        values = asdict(self)
        values["on_step"] = None if self.on_step is None else getattr(self.on_step, "__name__", "a callback")
        values["checkpoint_dir"] = None if self.checkpoint_dir is None else str(self.checkpoint_dir)
        return values


@dataclass
class Prepared:
    """Everything the recipe builds before the first gradient step.

    Attributes:
        params: notebook 05's parameters, checked, with defaults filled in.
        options: the engineering options.
        hardware: the device (``device.configure_device``).
        model: the pretrained encoder with a new head; logits (batch, 2) float32.
        tokenizer, load_info: from ``models.load_classifier``.
        optimizer, schedule: ``fine_tune.make_optimizer``'s; ``schedule(step)`` is η at that step.
        train: the examples the gradient steps see (notebook 05's ``fit_set``).
        validation: the examples early stopping watches (``val_set``; dev with
            ``validate_on_dev``).
        dev: the development set (SST-2's dev, 872 sentences, by default).
        test: the final test set (SST-2's test, 1,821 sentences, by default);
            the roles: data/README.md, "Data protocol".
        class_names: the K class names, in class-id order (also in the model's config).
    """

    params: dict[str, Value]
    options: Options
    hardware: Device
    model: tf.keras.Model
    tokenizer: Any
    load_info: LoadInfo
    optimizer: Any
    schedule: Any
    train: Encoded
    validation: Encoded
    dev: Encoded
    test: Encoded
    class_names: tuple[str, ...]

    @property
    def num_train_steps(self) -> int:
        """Optimizer steps of the whole run: batches per epoch × epochs."""
        return fine_tune.num_train_steps(len(self.train), self.params["batch_size"], self.params["epochs"])

    def describe(self) -> str:
        """One line: the model, the device and the parameters that differ from the specification's."""
        changed = {name: value for name, value in self.params.items() if value != parameters()[name]}
        return tr("{model} on {device}; {train:,} training and {validation:,} validation examples, {steps} steps; "
                  "parameters changed from notebook 05's defaults: {changed}", model=self.load_info.name,
                  device=self.hardware.describe(), train=len(self.train), validation=len(self.validation),
                  steps=self.num_train_steps, changed=changed or tr("none"))


@dataclass
class Result:
    """A fine-tuned model and what its run measured.

    Attributes:
        prepared: what ``prepare`` built; its model now holds the best epoch's
            weights. Its fields read through the result too: ``result.model``,
            ``result.train``, ``result.class_names``, ...
        history: ``fine_tune``'s record of every step and epoch.
        dev_evaluation: loss, accuracy and probabilities on dev after training.
    """

    prepared: Prepared
    history: History
    dev_evaluation: Evaluation

    def __getattr__(self, name: str):
        if name == "prepared":  # not set yet (e.g. while copying): no recursion
            raise AttributeError(name)
        return getattr(self.prepared, name)


def parameters(overrides: Mapping[str, Any] | None = None) -> dict[str, Value]:
    """Notebook 05's parameters: the specification's defaults with ``overrides`` applied.

    Args:
        overrides: only the names to change, e.g. ``{"epochs": 1}``; strings
            such as ``"2e-5"`` are coerced as papermill's ``-p`` values are.

    Returns:
        Every parameter of ``FINE_TUNE_PARAMETERS``, in its order, checked.

    Raises:
        ParameterError: an unknown name or a value out of range, in one line.
    """
    return check_parameters(NOTEBOOK, check_overrides(NOTEBOOK, overrides or {}))


def load_dataset(params: Mapping[str, Value]) -> data.DatasetSplits:
    """The recipe's data source, from the ``dataset`` parameters: train, dev and test (``data.load_dataset``).

    SST-2 by default (67,349 / 872 / 1,821); the Financial PhraseBank, or
    your own file, by ``dataset``, ``text_column``, ``label_column``, ``class_names``.

    Raises:
        DataFileNotFoundError, DataFileError: see ``data.load_dataset``.
    """
    return data.load_dataset(params["dataset"], params["text_column"], params["label_column"],
                             params["class_names"], params["seed"])


def load_data(params: Mapping[str, Value], validate_on_dev: bool = False
              ) -> tuple[dict[str, tuple[list[str], np.ndarray]], tuple[str, ...]]:
    """The seeded subset and its validation split, as notebook 05's section 1 draws them.

    For SST-2 the validation split is grouped by source sentence (``data.sentence_groups``),
    so no phrase of a validation sentence is trained on.

    Returns:
        ``({"train": (texts, labels), "validation": ..., "dev": ..., "test": ...}, class_names)``;
        with ``validate_on_dev`` the whole subset trains and validation is dev.
    """
    splits = load_dataset(params)
    texts, labels = data.subsample(*splits.train, params["num_train_examples"], params["seed"])
    held_out = {"dev": tuple(splits.dev), "test": tuple(splits.test)}
    if validate_on_dev:
        return {"train": (texts, labels), "validation": held_out["dev"], **held_out}, splits.train.class_names
    # SST-2's train holds phrases of the same sentences: a sentence and its phrases go to the same side
    # (data/README.md, "Data protocol"). Your own file and the Financial PhraseBank split as they always did.
    groups = data.sentence_groups(texts, within=splits.train.texts) if params["dataset"] == "sst2" else None
    fit_texts, fit_labels, val_texts, val_labels = data.train_validation_split(
        texts, labels, params["validation_fraction"], params["seed"], groups=groups)
    return ({"train": (fit_texts, fit_labels), "validation": (val_texts, val_labels), **held_out},
            splits.train.class_names)


def make_optimizer(params: Mapping[str, Value], num_train_examples: int, hardware: Device,
                   lazy_embedding_updates: bool = False):
    """AdamW with warm-up and linear decay over the run's steps (notebook 05, section 2).

    Returns:
        ``(optimizer, schedule)``, as ``fine_tune.make_optimizer``; loss
        scaling wraps the optimizer where the device computes in float16.
    """
    steps = fine_tune.num_train_steps(num_train_examples, params["batch_size"], params["epochs"])
    return fine_tune.make_optimizer(params["learning_rate"], steps, params["warmup_ratio"], params["weight_decay"],
                                    loss_scaling=hardware.precision == "mixed_float16",
                                    lazy_embedding_updates=lazy_embedding_updates)


def prepare(params: Mapping[str, Any] | None = None, **options) -> Prepared:
    """Device, seed, data, model, tokens and optimizer, in notebook 05's order.

    Args:
        params: notebook 05's parameters to change (see ``parameters``).
        **options: ``Options`` fields, e.g. ``progress=False``.

    Raises:
        ParameterError: a bad parameter, before anything loads.
        TypeError: an unknown option.
        ValueError: ``validate_on_dev`` with more than one epoch.
        ModelNotFoundError: a model that cannot be loaded (``models.load_classifier``).
    """
    params, options = parameters(params), Options(**options)
    if options.validate_on_dev and params["epochs"] > 1:
        raise ValueError(f"validate_on_dev needs epochs=1, got {params['epochs']}: with more epochs, early "
                         "stopping would choose the weights on dev; validate on a split of train instead")
    hardware = device.configure_device(mixed_precision=options.mixed_precision, distribute=options.distribute)
    device.set_seed(params["seed"])
    texts, class_names = load_data(params, options.validate_on_dev)
    with hardware.strategy.scope():  # several GPUs: the model and the optimizer are mirrored
        model, tokenizer, load_info = models.load_classifier(params["model"], gpu_available=hardware.kind == "GPU",
                                                             class_names=class_names)
        train, validation, dev, test = (batches.encode(tokenizer, *texts[name], params["max_seq_len"])
                                        for name in ("train", "validation", "dev", "test"))
        optimizer, schedule = make_optimizer(params, len(train), hardware, options.lazy_embedding_updates)
    return Prepared(params, options, hardware, model, tokenizer, load_info, optimizer, schedule,
                    train, validation, dev, test, class_names)


def checkpoint_dir(notebook: str = NOTEBOOK) -> Path:
    """Where ``notebook``'s training checkpoints go: ``<run folder>/checkpoints/<notebook>``.

    The run folder is the records' (``records.run_dir``): ``runs/interactive``
    in JupyterLab, the course runner's ``runs/<time>-<profile>`` headless,
    so ``course run --resume RUN_DIR`` finds the checkpoints of that run.
    """
    return run_dir() / "checkpoints" / notebook


def fit(prepared: Prepared) -> History:
    """The gradient steps, with validation after every epoch and early stopping (notebook 05, section 3).

    Checkpoints (``options.checkpoint_dir``) every ``checkpoint_every`` steps;
    ``resume`` continues from the newest one (``fine_tune``).

    Returns:
        ``fine_tune``'s ``History``; the model then holds the best epoch's weights.
    """
    params, options = prepared.params, prepared.options
    return fine_tune.fine_tune(
        prepared.model, prepared.tokenizer, prepared.optimizer, prepared.schedule, prepared.train,
        prepared.validation, epochs=params["epochs"], batch_size=params["batch_size"],
        patience=params["patience"], seed=params["seed"], progress=options.progress,
        jit_compile=options.jit_compile, on_step=options.on_step, length_pool_batches=options.length_pool_batches,
        checkpoint_dir=options.checkpoint_dir, checkpoint_every=params["checkpoint_every"],
        resume=params["resume"], live_plot=options.live_plot)


def train(prepared: Prepared) -> Result:
    """Fine-tune (``fit``), then evaluate on dev (notebook 05, sections 3 and 4)."""
    history = fit(prepared)
    dev_evaluation = inference.evaluate(prepared.model, prepared.tokenizer, prepared.dev)
    return Result(prepared, history, dev_evaluation)


def run(params: Mapping[str, Any] | None = None, **options) -> Result:
    """The whole recipe in one call: ``train(prepare(params, **options))``."""
    return train(prepare(params, **options))
