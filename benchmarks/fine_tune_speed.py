"""Fine-tuning speed: three recipes (and finetune_lab's options) side by side on one machine.

Run it with one command (how long it takes: the README's benchmark section and the results file):

    make benchmark                   # = python -m benchmarks.fine_tune_speed
    python -m benchmarks.fine_tune_speed --examples 640 --eval-examples 200   # a quick look

It prints a table and writes ``benchmarks/results/fine_tune_speed.md``, a
plot (``.png``) and the raw numbers (``.json``) next to it.

What is compared
----------------
The same offline model (all-MiniLM-L6-v2 with a new 2-class head, seeded
identically), the same seeded SST-2 training sample, batch size 32, the same
AdamW settings and learning-rate schedule (``transformers.create_optimizer``:
linear warm-up over 10% of the steps, then linear decay), one pass over the
sample:

1. ``seed``, the seed's recipe: every sentence padded to 128 tokens, random
   batches, an eager ``tf.GradientTape`` loop, transformers' AdamWeightDecay.
2. ``hugging_face``, the recipe Hugging Face documents for TensorFlow:
   ``model.prepare_tf_dataset(dataset, shuffle=True, tokenizer=tokenizer)``,
   ``model.compile(optimizer=optimizer)``, ``model.fit(...)``.
   ``prepare_tf_dataset`` needs the ``datasets`` package, which the workbook
   does not install, so we rebuild what it does from transformers and tf.data:
   texts tokenised once without padding (what ``dataset.map(tokenizer)``
   stores), then ``Dataset.range → shuffle → batch → map(numpy_function(
   DataCollatorWithPadding(tokenizer, return_tensors="np"))) → prefetch``, the
   pipeline ``Dataset.to_tf_dataset`` builds: dynamic padding per random
   batch. ``compile`` gets no loss, so the model computes its own
   cross-entropy from the labels. One difference: ``prepare_tf_dataset``
   drops a last partial batch by default; here every recipe trains on every
   example (the default sample size is a multiple of 32, so nothing differs).
3. ``finetune_lab``: notebook 05's recipe (``pretrained.recipe``), one epoch:
   length-grouped batches padded to their longest sentence, one compiled
   ``tf.function`` for every shape, AdamW with the embedding's sparse
   gradient applied through the fused dense kernel
   (``fine_tune.FusedAdamWeightDecay``, the same update), all defaults.

Every recipe starts from what ``recipe.prepare`` builds (the seeded sample,
the model and its head, the tokens), so they differ only in how they train.

Ablations of finetune_lab's loop run the same way (``--recipes``, see
``RECIPES``): transformers' AdamWeightDecay as it comes (sparse path), lazy
embedding-row updates, XLA, oneDNN off, one inter-op thread.

How it is measured
------------------
- Each recipe runs in its own worker process, and the workers take turns:
  the parent lets one worker train ``--chunk-steps`` steps while the others
  wait blocked on a pipe (using no CPU), then the next, round-robin. Whatever
  else runs on the machine therefore slows every recipe alike, and the
  ratios stay meaningful on a shared machine. Absolute numbers do not.
- Throughput counts the timed steps only: the first ``--warmup-steps``
  (tracing, first allocations) train the model but are timed separately.
  Real tokens are the attention mask's ones ([CLS], word pieces, [SEP]);
  padded tokens are batch × seq_len.
- Peak memory: ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of the worker
  when training ends: the peak resident set of the whole process (Python,
  TensorFlow, model, optimizer state, activations). It never goes down,
  which is why every recipe has its own process; the same figure right
  after loading the model shows what training adds.
- Matmul peak: after every chunk each worker times ``tf.matmul`` of
  1024 × 1024 float32 matrices (10 chained in a ``tf.function``); the peak is
  the best over the whole run. Useful-FLOP utilisation = 6 × non-embedding
  parameters × real tokens/s ÷ that peak (6N FLOPs per token for the forward
  and backward pass, Kaplan et al. 2020; embeddings are lookups, not
  matmuls; padding and attention scores are not counted as useful).
  Because other processes also slow the peak probes, the same ratio is
  also given per CPU-second of the worker (tokens per CPU-second against
  matmul FLOPs per CPU-second), which other processes barely change.
- Dev accuracy: every worker evaluates its model with the same
  ``inference.evaluate`` on the same SST-2 dev examples.
- Seeds: ``--seed`` (default 0) seeds the sample, the head, dropout and the
  batch order of every recipe alike; a run given ``--seed`` writes its
  files under a name that says it (``fine_tune_speed_seed-1.md``).
- oneDNN (``--onednn``): TensorFlow uses oneDNN kernels by default only on
  some Intel CPUs. The benchmark sets ``TF_ENABLE_ONEDNN_OPTS`` the same way
  for every recipe (on, by default), and reports the setting.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shlex
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

from finetune_lab.course.params import NOTEBOOK_PARAMETERS

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPOSITORY = Path(__file__).resolve().parents[1]
# Notebook 05's defaults (finetune_lab/course/params.py), the benchmark's unless an option overrides them.
NOTEBOOK_05_DEFAULTS = {parameter.name: parameter.default for parameter in NOTEBOOK_PARAMETERS["05_fine_tune_bert"]}


def seed_argument(text: str) -> int:
    """argparse type of every benchmark's ``--seed``: a whole number from 0 to 2**31 - 1.

    Raises:
        argparse.ArgumentTypeError: anything else; argparse prints it as one line.
    """
    try:
        seed = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, such as 0 or 1; got {text!r}") from None
    if not 0 <= seed < 2**31:
        raise argparse.ArgumentTypeError(f"must be a whole number from 0 to {2**31 - 1}; got {seed}")
    return seed


def check_notebook_05_values(parser: argparse.ArgumentParser, values: dict, flags: dict[str, str]) -> dict:
    """Command-line values of notebook 05's parameters, checked against its specification before TensorFlow loads.

    Args:
        values: ``{parameter name: value as given}``.
        flags: ``{parameter name: the command-line flag that set it}``, for the message.

    Returns:
        The values, coerced (``"2e-4"`` → 0.0002); a bad one ends the command
        with argparse's one-line error naming its flag and the allowed range.
    """
    from finetune_lab.course.params import ParameterError, check_overrides

    checked = {}
    for name, value in values.items():
        try:
            checked.update(check_overrides("05_fine_tune_bert", {name: value}))
        except ParameterError as error:
            parser.error(f"argument {flags[name]}: {error}")
    return checked


def seeded_name(name: str, seed: int | None) -> str:
    """A results file name that says the seed when one was given (``fine_tune_speed_seed-1``)."""
    return name if seed is None else f"{name}_seed-{seed}"


# name: (what it is, extra environment for its worker)
RECIPES = {
    "seed": ("the seed's recipe: every sentence padded to 128 tokens, eager GradientTape loop", {}),
    "hugging_face": ("Hugging Face's TF recipe: random batches padded per batch "
                     "(prepare_tf_dataset's pipeline), compile + fit", {}),
    "finetune_lab": ("finetune_lab.pretrained.fine_tune with its defaults: length-grouped batches, compiled step, "
                     "FusedAdamWeightDecay", {}),
    "finetune_lab_sparse": ("finetune_lab with transformers' AdamWeightDecay as it comes "
                            "(the embedding's sparse gradient through Keras's unfused sparse path)", {}),
    "finetune_lab_lazy": ("finetune_lab with lazy embedding-row updates "
                          "(make_optimizer(..., lazy_embedding_updates=True), opt-in)", {}),
    "finetune_lab_xla": ("finetune_lab with jit_compile=True (XLA), batches padded to a multiple of 8", {}),
    "finetune_lab_onednn_off": ("finetune_lab with TF_ENABLE_ONEDNN_OPTS=0", {"TF_ENABLE_ONEDNN_OPTS": "0"}),
    "finetune_lab_inter_op_1": ("finetune_lab with 1 inter-op thread instead of configure_device's 2",
                                {"BENCHMARK_INTER_OP_THREADS": "1"}),
}
DEFAULT_RECIPES = ("seed", "hugging_face", "finetune_lab", "finetune_lab_sparse", "finetune_lab_lazy")
MATMUL_SIZE = 1024


@dataclass
class Settings:
    """One benchmark run; every recipe gets the same.

    Attributes:
        examples: SST-2 training examples (seeded, stratified sample); one pass.
        eval_examples: SST-2 dev examples for accuracy; 0 means all 872.
        batch_size, learning_rate, warmup_ratio, weight_decay, max_seq_len:
            notebook 05's defaults (its parameter specification).
        seed: the sample, the head's initialisation, dropout and batch order.
        chunk_steps: steps a worker trains per turn.
        warmup_steps: the first turn's steps, not counted in throughput.
    """

    examples: int = 3200
    eval_examples: int = 0
    batch_size: int = NOTEBOOK_05_DEFAULTS["batch_size"]
    learning_rate: float = NOTEBOOK_05_DEFAULTS["learning_rate"]
    warmup_ratio: float = NOTEBOOK_05_DEFAULTS["warmup_ratio"]
    weight_decay: float = NOTEBOOK_05_DEFAULTS["weight_decay"]
    max_seq_len: int = NOTEBOOK_05_DEFAULTS["max_seq_len"]
    seed: int = NOTEBOOK_05_DEFAULTS["seed"]
    chunk_steps: int = 5
    warmup_steps: int = 2

    @property
    def train_steps(self) -> int:
        return math.ceil(self.examples / self.batch_size)

    def recipe_overrides(self) -> dict:
        """Notebook 05's parameters for ``recipe.prepare``: the offline model, one pass over the sample."""
        return {"model": "minilm", "epochs": 1, "num_train_examples": self.examples,
                "batch_size": self.batch_size, "learning_rate": self.learning_rate,
                "warmup_ratio": self.warmup_ratio, "weight_decay": self.weight_decay,
                "max_seq_len": self.max_seq_len, "seed": self.seed}


# ------------------------------------------------------------------ workers

class Channel:
    """Line-delimited JSON between the parent and a worker (the worker's side).

    Messages travel on the worker's original stdout; anything else the worker
    prints goes to stderr, so a stray print cannot corrupt the protocol.
    """

    def __init__(self):
        self.out = os.fdopen(os.dup(1), "w")
        os.dup2(2, 1)
        sys.stdout = sys.stderr

    def send(self, message: dict) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def receive(self) -> dict:
        line = sys.stdin.readline()
        if not line:
            raise SystemExit("the benchmark's parent process went away")
        return json.loads(line)


def peak_rss_gib() -> float:
    """ru_maxrss of this process in GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def make_matmul_probe():
    """A function returning (GFLOP/s, GFLOP per CPU-second) of fp32 matmul on this machine now."""
    import tensorflow as tf

    a = tf.random.normal([MATMUL_SIZE, MATMUL_SIZE])
    b = tf.random.normal([MATMUL_SIZE, MATMUL_SIZE]) / MATMUL_SIZE**0.5  # keeps the chain's values finite

    @tf.function
    def chain(a, b):
        for _ in range(10):  # each product feeds the next: nothing can be skipped
            a = tf.matmul(a, b)
        return a

    chain(a, b).numpy()  # trace and warm up
    flops = 10 * 2 * MATMUL_SIZE**3

    def probe() -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        chain(a, b).numpy()
        return flops / (time.perf_counter() - wall) / 1e9, flops / max(time.process_time() - cpu, 1e-9) / 1e9

    return probe


class Meter:
    """Times training in the chunks the parent asks for; waiting time is not counted.

    ``step`` is called after every training step with the batch's attention
    mask (batch, seq_len) and its loss.
    """

    def __init__(self, channel: Channel, total_steps: int, probe):
        self.channel, self.total_steps, self.probe = channel, total_steps, probe
        self.steps_done = 0

    def wait(self) -> None:
        """Block until the parent says how many steps to train next."""
        self.steps_left = self.channel.receive()["steps"]
        self.chunk = {"steps": 0, "examples": 0, "real_tokens": 0, "padded_tokens": 0, "loss_sum": 0.0}
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def step(self, attention_mask, loss: float) -> None:
        wall, cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu
        self.chunk["steps"] += 1
        self.chunk["examples"] += int(attention_mask.shape[0])
        self.chunk["real_tokens"] += int(attention_mask.sum())
        self.chunk["padded_tokens"] += int(attention_mask.size)
        self.chunk["loss_sum"] += float(loss)
        self.steps_done += 1
        self.steps_left -= 1
        if self.steps_left > 0 and self.steps_done < self.total_steps:
            return
        gflops, gflops_per_cpu_second = self.probe()
        self.channel.send(dict(self.chunk, seconds=wall, cpu_seconds=cpu, matmul_gflops=gflops,
                               matmul_gflops_per_cpu_second=gflops_per_cpu_second,
                               done=self.steps_done >= self.total_steps, at=time.time()))
        if self.steps_done < self.total_steps:
            self.wait()


def transformers_adamw(settings: Settings):
    """transformers' AdamWeightDecay with its warm-up schedule, as ``create_optimizer`` builds it."""
    from transformers import create_optimizer

    optimizer, _ = create_optimizer(init_lr=settings.learning_rate, num_train_steps=settings.train_steps,
                                    num_warmup_steps=int(settings.warmup_ratio * settings.train_steps),
                                    weight_decay_rate=settings.weight_decay)
    return optimizer


def train_seed_recipe(model, tokenizer, texts, labels, settings: Settings, meter: Meter) -> None:
    """Every sentence padded to 128 tokens, random batches, an eager GradientTape loop."""
    import numpy as np
    import tensorflow as tf

    optimizer = transformers_adamw(settings)
    tokens = tokenizer(texts, padding="max_length", truncation=True, max_length=settings.max_seq_len,
                       return_tensors="np")
    order = np.random.default_rng(settings.seed).permutation(len(texts))
    for start in range(0, len(order), settings.batch_size):
        indices = order[start:start + settings.batch_size]
        features = {name: tf.constant(tokens[name][indices]) for name in ("input_ids", "attention_mask",
                                                                          "token_type_ids")}
        with tf.GradientTape() as tape:
            logits = model(features, training=True).logits
            loss = tf.reduce_mean(tf.keras.losses.sparse_categorical_crossentropy(
                tf.constant(labels[indices]), logits, from_logits=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        meter.step(tokens["attention_mask"][indices], float(loss))


def hugging_face_dataset(tokenizer, texts, labels, settings: Settings, masks: list):
    """What ``model.prepare_tf_dataset(dataset, batch_size, shuffle=True, tokenizer=tokenizer)`` builds.

    ``masks`` receives each batch's attention mask, in order, for the meter.
    """
    import numpy as np
    import tensorflow as tf
    from transformers import DataCollatorWithPadding

    encodings = tokenizer(texts, truncation=True, max_length=settings.max_seq_len)  # dataset.map(tokenize)
    rows = [{"input_ids": encodings["input_ids"][i], "token_type_ids": encodings["token_type_ids"][i],
             "attention_mask": encodings["attention_mask"][i], "label": int(labels[i])} for i in range(len(texts))]
    collator = DataCollatorWithPadding(tokenizer=tokenizer, return_tensors="np")
    names = ("input_ids", "token_type_ids", "attention_mask", "labels")

    def collate(indices):
        batch = collator([rows[i] for i in indices])
        masks.append(batch["attention_mask"])
        return [batch[name].astype(np.int64) for name in names]

    def fetch(indices):
        arrays = tf.numpy_function(collate, [indices], [tf.int64] * 4)
        for array, rank in zip(arrays, (2, 2, 2, 1)):
            array.set_shape([None] * rank)
        return dict(zip(names[:3], arrays[:3])), arrays[3]

    dataset = tf.data.Dataset.range(len(texts)).shuffle(len(texts), seed=settings.seed)
    return dataset.batch(settings.batch_size).map(fetch).prefetch(tf.data.AUTOTUNE)


def train_hugging_face_recipe(model, tokenizer, texts, labels, settings: Settings, meter: Meter) -> None:
    """prepare_tf_dataset's pipeline, ``compile`` without a loss, ``fit``."""
    import tensorflow as tf

    optimizer = transformers_adamw(settings)
    masks = []
    dataset = hugging_face_dataset(tokenizer, texts, labels, settings, masks)

    class Timing(tf.keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            meter.step(masks.pop(0), logs["loss"])

    model.compile(optimizer=optimizer)  # no loss: the model computes its own from the labels
    model.fit(dataset, epochs=1, verbose=0, callbacks=[Timing()])


def train_finetune_lab(prepared, settings: Settings, meter: Meter, sparse_adamw: bool = False) -> None:
    """``recipe.fit``: notebook 05's loop, one epoch (validation on dev, untimed).

    ``sparse_adamw`` swaps in transformers' AdamWeightDecay as it comes (same schedule).
    """
    from finetune_lab.pretrained import inference, recipe

    on_step = lambda features, loss: meter.step(features["attention_mask"].numpy(), loss)  # noqa: E731
    prepared = replace(prepared, options=replace(prepared.options, on_step=on_step))
    if sparse_adamw:
        prepared = replace(prepared, optimizer=transformers_adamw(settings))
    recipe.fit(prepared)


def train(recipe: str, prepared, settings: Settings, meter: Meter) -> None:
    """Train ``prepared.model`` on ``prepared.train`` with one recipe."""
    model, tokenizer, texts, labels = prepared.model, prepared.tokenizer, prepared.train.texts, prepared.train.labels
    if recipe == "seed":
        train_seed_recipe(model, tokenizer, texts, labels, settings, meter)
    elif recipe == "hugging_face":
        train_hugging_face_recipe(model, tokenizer, texts, labels, settings, meter)
    else:
        train_finetune_lab(prepared, settings, meter, sparse_adamw=recipe == "finetune_lab_sparse")


def prepare(recipe_name: str, settings: Settings):
    """Notebook 05's recipe up to the first step, the same for every recipe; dev cut to ``eval_examples``."""
    from finetune_lab import data
    from finetune_lab.pretrained import batches, inference, recipe

    # One pass, nothing chosen: the whole sample trains and validation is dev (the untimed per-epoch
    # validation of fine_tune). Only the seed and Hugging Face recipes then train their own way.
    prepared = recipe.prepare(settings.recipe_overrides(), validate_on_dev=True, mixed_precision=False,
                              progress=False, lazy_embedding_updates=recipe_name == "finetune_lab_lazy",
                              jit_compile=recipe_name == "finetune_lab_xla")
    if not settings.eval_examples:
        return prepared
    texts, labels = data.subsample(prepared.dev.texts, prepared.dev.labels, settings.eval_examples, settings.seed)
    dev = batches.encode(prepared.tokenizer, texts, labels, settings.max_seq_len)
    return replace(prepared, validation=dev, dev=dev)


def worker(recipe: str, settings: Settings) -> None:
    """One recipe in its own process, driven by the parent through stdin/stdout."""
    channel = Channel()
    import finetune_lab  # noqa: F401  (before TensorFlow: Keras 2, quiet start-up)
    from finetune_lab.pretrained import device, fine_tune, inference, models

    if os.environ.get("BENCHMARK_INTER_OP_THREADS"):  # an ablation: TensorFlow has not started yet
        import tensorflow as tf
        device.configure_device(mixed_precision=False)
        tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["BENCHMARK_INTER_OP_THREADS"]))
        tf.constant(0)  # start TensorFlow now, so that configure_device in recipe.prepare keeps these threads
    prepared = prepare(recipe, settings)
    model, tokenizer, dev = prepared.model, prepared.tokenizer, prepared.dev
    counts = models.count_parameters(model)
    meter = Meter(channel, settings.train_steps, make_matmul_probe())
    channel.send({"rss_after_load_gib": peak_rss_gib(),
                  "non_embedding_parameters": counts["total"] - counts["embeddings"]})
    meter.wait()
    train(recipe, prepared, settings, meter)
    peak = peak_rss_gib()
    channel.receive()  # the parent asks for the evaluation when every recipe has trained
    result = inference.evaluate(model, tokenizer, dev)
    channel.send({"peak_rss_gib": peak, "dev_accuracy": result.accuracy, "dev_loss": result.loss,
                  "dev_examples": len(dev)})


# ------------------------------------------------------------------- parent

@dataclass
class Run:
    """The parent's view of one worker."""

    recipe: str
    process: subprocess.Popen
    log: Path
    ready: dict = field(default_factory=dict)
    chunks: list = field(default_factory=list)
    final: dict = field(default_factory=dict)

    def send(self, message: dict) -> None:
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            self.process.wait()
            tail = self.log.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"the {self.recipe} worker stopped (exit code {self.process.returncode}):\n{tail}")
        return json.loads(line)

    @property
    def done(self) -> bool:
        return bool(self.chunks) and self.chunks[-1]["done"]


def start_worker(recipe: str, settings: Settings, onednn: str, log_dir: Path) -> Run:
    env = dict(os.environ, PYTHONPATH=str(REPOSITORY) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if onednn != "inherit":
        env["TF_ENABLE_ONEDNN_OPTS"] = "1" if onednn == "on" else "0"
    env.update(RECIPES[recipe][1])
    log = log_dir / f"{recipe}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fine_tune_speed", "--worker", recipe,
         "--settings", json.dumps(asdict(settings))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log.open("w"), text=True, cwd=REPOSITORY, env=env)
    return Run(recipe, process, log)


def run_interleaved(runs: list[Run], settings: Settings) -> None:
    """Round-robin: each worker trains one chunk while the others wait, until all are done."""
    for run in runs:
        run.ready = run.receive()
    turn = 0
    while not all(run.done for run in runs):
        for run in runs[turn % len(runs):] + runs[:turn % len(runs)]:  # rotate who goes first
            if run.done:
                continue
            steps = settings.warmup_steps if not run.chunks else settings.chunk_steps
            run.send({"steps": steps})
            run.chunks.append(run.receive())
        turn += 1
        progress = ", ".join(f"{run.recipe} {sum(c['steps'] for c in run.chunks)}/{settings.train_steps}"
                             for run in runs)
        print(f"  trained steps: {progress}", flush=True)
    for run in runs:
        run.send({"evaluate": True})
        run.final = run.receive()
        run.process.stdin.close()
        run.process.wait()


def summarise(run: Run, peak_gflops: float, peak_gflops_per_cpu_second: float) -> dict:
    """Throughput over the timed chunks (not the warm-up), memory, accuracy, utilisation."""
    timed = run.chunks[1:] or run.chunks
    total = {key: sum(chunk[key] for chunk in timed)
             for key in ("steps", "examples", "real_tokens", "padded_tokens", "seconds", "cpu_seconds")}
    real_tokens_per_second = total["real_tokens"] / total["seconds"]
    real_tokens_per_cpu_second = total["real_tokens"] / total["cpu_seconds"]
    useful_flops_per_token = 6 * run.ready["non_embedding_parameters"]
    return {
        "recipe": run.recipe,
        "examples_per_second": total["examples"] / total["seconds"],
        "real_tokens_per_second": real_tokens_per_second,
        "real_tokens_per_cpu_second": real_tokens_per_cpu_second,
        "padding_efficiency": total["real_tokens"] / total["padded_tokens"],
        "utilisation": useful_flops_per_token * real_tokens_per_second / (peak_gflops * 1e9),
        "utilisation_per_cpu_second": useful_flops_per_token * real_tokens_per_cpu_second
        / (peak_gflops_per_cpu_second * 1e9),
        "warmup_seconds": run.chunks[0]["seconds"],
        "train_seconds": sum(chunk["seconds"] for chunk in run.chunks),
        "examples_trained": sum(chunk["examples"] for chunk in run.chunks),
        "final_loss": timed[-1]["loss_sum"] / timed[-1]["steps"],
        "peak_rss_gib": run.final["peak_rss_gib"],
        "rss_after_load_gib": run.ready["rss_after_load_gib"],
        "dev_accuracy": run.final["dev_accuracy"],
        "dev_examples": run.final["dev_examples"],
    }


def machine() -> dict:
    import psutil

    import finetune_lab  # noqa: F401  (quiet TensorFlow start-up)
    import tensorflow as tf
    import tf_keras
    import transformers

    model_name = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                       if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() \
        else platform.processor()
    return {"cpu": model_name, "cores": os.cpu_count(), "memory_gib": psutil.virtual_memory().total / 2**30,
            "gpus": len(tf.config.list_physical_devices("GPU")), "python": platform.python_version(),
            "tensorflow": tf.__version__, "tf_keras": tf_keras.__version__,
            "transformers": transformers.__version__, "os": platform.platform()}


def main_benchmark(args) -> dict:
    settings = Settings(examples=args.examples, eval_examples=args.eval_examples, seed=args.seed,
                        chunk_steps=args.chunk_steps, warmup_steps=args.warmup_steps,
                        batch_size=args.batch_size, learning_rate=args.learning_rate)
    recipes = args.recipes.split(",")
    for recipe in recipes:
        if recipe not in RECIPES:
            raise SystemExit(f"unknown recipe {recipe!r}: use some of {', '.join(RECIPES)}")
    print("Settings:", json.dumps(asdict(settings)), f"| recipes: {', '.join(recipes)} | oneDNN: {args.onednn}")
    started, load_before = datetime.now(timezone.utc), os.getloadavg()
    with tempfile.TemporaryDirectory() as log_dir:
        runs = [start_worker(recipe, settings, args.onednn, Path(log_dir)) for recipe in recipes]
        try:
            run_interleaved(runs, settings)
        finally:
            for run in runs:
                if run.process.poll() is None:
                    run.process.kill()
    probes = [chunk for run in runs for chunk in run.chunks]
    peak = max(chunk["matmul_gflops"] for chunk in probes)
    peak_per_cpu_second = max(chunk["matmul_gflops_per_cpu_second"] for chunk in probes)
    return {"settings": asdict(settings), "recipes": recipes, "onednn": args.onednn,
            "started": started.isoformat(timespec="seconds"),
            "minutes": (datetime.now(timezone.utc) - started).total_seconds() / 60,
            "load_average_before": load_before, "load_average_after": os.getloadavg(),
            "note": args.note, "machine": machine(),
            "descriptions": {recipe: RECIPES[recipe][0] for recipe in recipes},
            "non_embedding_parameters": runs[0].ready["non_embedding_parameters"],
            "matmul_peak_gflops": peak, "matmul_peak_gflops_per_cpu_second": peak_per_cpu_second,
            "summary": [summarise(run, peak, peak_per_cpu_second) for run in runs],
            "chunks": {run.recipe: run.chunks for run in runs}}


def parse_arguments(argv=None) -> argparse.Namespace:
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=defaults.examples,
                        help="SST-2 training examples, one pass (default %(default)s; most of the time goes to "
                             "the seed's recipe)")
    parser.add_argument("--eval-examples", type=int, default=defaults.eval_examples,
                        help="SST-2 dev examples for accuracy; 0 = all 872 (default)")
    parser.add_argument("--recipes", default=",".join(DEFAULT_RECIPES),
                        help=f"comma-separated, from: {', '.join(RECIPES)} (default %(default)s)")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--seed", type=seed_argument, default=None,
                        help=f"seeds the sample, the head, dropout and the batch order (default {defaults.seed}); "
                             "given, the results' file name says it")
    parser.add_argument("--chunk-steps", type=int, default=defaults.chunk_steps,
                        help="steps each recipe trains per turn (default %(default)s)")
    parser.add_argument("--warmup-steps", type=int, default=defaults.warmup_steps,
                        help="first steps of each recipe, trained but not counted in throughput")
    parser.add_argument("--onednn", choices=("on", "off", "inherit"), default="on",
                        help="TF_ENABLE_ONEDNN_OPTS for every worker (default on; inherit = leave it alone)")
    parser.add_argument("--name", help="output name in benchmarks/results/ (default fine_tune_speed, "
                                       "fine_tune_speed_seed-N with --seed N)")
    parser.add_argument("--note", default="", help="a sentence about the conditions, added to the Markdown")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.name = args.name or seeded_name("fine_tune_speed", args.seed)
    args.seed = defaults.seed if args.seed is None else args.seed
    if not args.worker:
        check_settings(parser, args)
    return args


def check_settings(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Notebook 05's ranges for the settings that are its parameters: one line, before any worker starts."""
    check_notebook_05_values(parser, {"num_train_examples": args.examples, "batch_size": args.batch_size,
                                      "learning_rate": args.learning_rate},
                             {"num_train_examples": "--examples", "batch_size": "--batch-size",
                              "learning_rate": "--learning-rate"})


def main(argv=None) -> None:
    args = parse_arguments(argv)
    if args.worker:
        worker(args.worker, Settings(**json.loads(args.settings)))
        return
    from benchmarks import speed_report

    result = main_benchmark(args)
    RESULTS_DIR.mkdir(exist_ok=True)
    command = "python -m benchmarks.fine_tune_speed " + shlex.join(argv if argv is not None else sys.argv[1:])
    (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(result, indent=1))
    speed_report.plot(result, RESULTS_DIR / f"{args.name}.png")
    (RESULTS_DIR / f"{args.name}.md").write_text(
        speed_report.markdown(result, f"{args.name}.png", command.strip()))
    print(speed_report.text_table(result))
    print("\n".join(speed_report.targets(result)))
    print(f"Wrote {RESULTS_DIR / args.name}.md, .png and .json ({result['minutes']:.1f} minutes)")


if __name__ == "__main__":
    main()
