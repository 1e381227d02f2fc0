"""The GPU end of the course, checked and measured in one run of at most 5 minutes (issue 14).

    make gpu-check                      # = python -m benchmarks.gpu_check, on a machine with a GPU
    python -m benchmarks.gpu_check --cpu-smoke --output /tmp/gpu_check    # every step, tiny, CPU, < 1 minute

It writes ``benchmarks/results/gpu_check.md`` and ``.json`` (``--output``
elsewhere; ``--cpu-smoke`` never writes over the committed results):

1. Environment: each GPU's name, memory, compute capability, the CUDA
   driver, TensorFlow's CUDA/cuDNN build and the GPU architectures it
   carries kernels for, whether those kernels were JIT-compiled from PTX at
   start-up (``ptx_jit``), the precision policy ``device.mixed_precision_policy``
   chooses, and whether float32 matmuls use TF32.
2. MiniLM, one epoch of the full SST-2 training set (67,349 sentences) in
   mixed precision (bfloat16 on compute capability >= 8.0, float16 with loss
   scaling before), notebook 05's hyperparameters: the epoch's time and the
   dev accuracy.
3. bert-base's training-step throughput at batch 32, 64 and 128, with and
   without XLA (``jit_compile``), float32 against mixed precision: sequences/s,
   real tokens/s and useful-FLOP utilisation against the GPU's published
   dense peak (``PEAK_TFLOPS``).
4. With several GPUs, the same through ``tf.distribute.MirroredStrategy``
   (without XLA: ``fine_tune.make_train_step`` does not combine the two) and
   the scaling over one GPU.

How it is measured
------------------
- Batches are SST-2 training sentences in ``batches.training_order``'s
  length-grouped order, padded to a multiple of ``PAD_TO_MULTIPLE_OF`` tokens.
  XLA compiles once per (batch, seq_len) shape, which may take tens of
  seconds for bert-base, so to fit the budget the timed batches are the full
  batches of the most common padded lengths that together make
  ``SHAPE_COVERAGE`` of an epoch's batches: at 16-token padding, the 16-token
  batches alone (70% of SST-2's; sentences of 3 to 16 tokens). The report
  gives the lengths and their share; with and without XLA time the same
  batches. Tokenization happens before timing: this is the training step
  alone (host-to-device copy, forward, backward, AdamW), synchronised every
  step by reading the loss, as ``fine_tune`` does.
- Every configuration first runs one batch of each shape (tracing, XLA
  compilation; reported as warm-up seconds), then is timed for at least
  ``seconds_per_config`` and ``min_steps``.
- Useful FLOPs: 6 × N × real tokens per step (Kaplan et al. 2020: 2N for the
  forward pass, 4N for the backward), N the non-embedding weights (85.6M of
  bert-base's 109.5M: an embedding is a lookup, not a matmul; attention
  scores and padding are not counted), as in ``benchmarks/fine_tune_speed.py``.
  Utilisation = useful FLOP/s ÷ the published dense peak for that precision
  (float32 matmuls run as TF32 on compute capability >= 8.0, TensorFlow's
  default). A GPU missing from ``PEAK_TFLOPS``: utilisation not reported.
- bert-base's weights: from ``$FINETUNE_LAB_BERT_BASE`` when set, otherwise
  random, built from ``BertConfig()`` (bert-base's architecture); speed does
  not depend on the weights' values. Its tokenizer is MiniLM's, the same
  uncased 30,522-token WordPiece vocabulary.
- Budget: the whole check, start-up included, stays under ``BUDGET_SECONDS``.
  Each part gets a share of the time left (``PART_WEIGHTS``); a configuration
  that would not fit is reported as skipped, never silently dropped.
- TensorFlow's C++ log (file descriptor 2) goes to ``--tf-log`` for the whole
  run; the report quotes the lines it looks for there.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.fine_tune_speed import RESULTS_DIR, machine, peak_rss_gib

BUDGET_SECONDS = 285  # 5 minutes, less a margin for Python's own start and exit
PART_WEIGHTS = {"minilm_epoch": 90, "bert_base": 125, "mirrored": 45}  # shares of the time left
REPORT_RESERVE_SECONDS = 5
PAD_TO_MULTIPLE_OF = 16  # SST-2's lengths (3 to 66 tokens) pad to 5 shapes; 8 would make 9
SHAPE_COVERAGE = 0.6  # one shape on SST-2: one XLA compilation per configuration
SMOKE_POLICY = "mixed_bfloat16"  # a CPU has no mixed policy of its own; the smoke run exercises bfloat16's path

# Published dense peak TFLOP/s of each GPU, by the precision a matmul runs in. NVIDIA quotes
# Ampere-and-later tensor-core figures "with sparsity", twice the dense ones: halved here.
# Sources, NVIDIA's datasheets: H100 and H100 NVL ("NVIDIA H100 Tensor Core GPU", 2023), H200
# ("NVIDIA H200 Tensor Core GPU", 2024), A100 ("NVIDIA A100 Tensor Core GPU", 2021), L40S (2023),
# L4 (2023), A10 (2021), T4 (2019), V100 and V100S (2020). Patterns are tried in order.
PEAK_TFLOPS = [
    (r"H100.*PCIe", "H100 PCIe", {"float32": 51, "tf32": 378, "bfloat16": 756, "float16": 756}),
    (r"H100.*NVL", "H100 NVL", {"float32": 60, "tf32": 417.5, "bfloat16": 835.5, "float16": 835.5}),
    (r"H100", "H100 SXM", {"float32": 67, "tf32": 494.5, "bfloat16": 989.5, "float16": 989.5}),
    (r"H200.*NVL", "H200 NVL", {"float32": 60, "tf32": 417.5, "bfloat16": 835.5, "float16": 835.5}),
    (r"H200", "H200 SXM", {"float32": 67, "tf32": 494.5, "bfloat16": 989.5, "float16": 989.5}),
    (r"A100", "A100", {"float32": 19.5, "tf32": 156, "bfloat16": 312, "float16": 312}),
    (r"L40S", "L40S", {"float32": 91.6, "tf32": 183, "bfloat16": 362, "float16": 362}),
    (r"\bL4\b", "L4", {"float32": 30.3, "tf32": 60, "bfloat16": 121, "float16": 121}),
    (r"\bA10\b", "A10", {"float32": 31.2, "tf32": 62.5, "bfloat16": 125, "float16": 125}),
    (r"\bT4\b", "T4", {"float32": 8.1, "float16": 65}),
    (r"V100S", "V100S PCIe", {"float32": 16.4, "float16": 130}),
    (r"V100.*PCIE", "V100 PCIe", {"float32": 14, "float16": 112}),
    (r"V100", "V100 SXM2", {"float32": 15.7, "float16": 125}),
]


@dataclass(frozen=True)
class Plan:
    """What the check runs: the GPU run, or ``smoke_run()``, every step on a tiny model on a CPU."""

    smoke: bool = False
    batch_sizes: tuple[int, ...] = (32, 64, 128)
    num_train_examples: int = 0  # 0: all 67,349
    dev_examples: int = 0  # 0: all 872
    bert_config: dict = field(default_factory=dict)  # BertConfig overrides; none: bert-base
    pad_to_multiple_of: int = PAD_TO_MULTIPLE_OF
    seconds_per_config: float = 2.0
    min_steps: int = 5
    max_steps: int = 60
    budget_seconds: float = BUDGET_SECONDS

    @staticmethod
    def smoke_run(budget_seconds: float = BUDGET_SECONDS) -> "Plan":
        from finetune_lab.pretrained.models import TINY_BERT

        return Plan(smoke=True, batch_sizes=(16,), num_train_examples=48, dev_examples=32, bert_config=TINY_BERT,
                    pad_to_multiple_of=64, seconds_per_config=0.0, min_steps=2, max_steps=3,
                    budget_seconds=budget_seconds)


class OverBudget(Exception):
    """A part ran out of its time."""


class StepClock:
    """``fine_tune``'s ``on_step``: counts and times the steps, prints progress, stops at the deadline."""

    def __init__(self, total_steps: int, deadline: float):
        self.total_steps, self.deadline, self.steps = total_steps, deadline, 0
        self.started = self.first = self.last = time.time()

    def __call__(self, features, loss) -> None:
        self.steps, self.last = self.steps + 1, time.time()
        if self.steps == 1:
            self.first = self.last
        if self.steps % 500 == 0:
            print(f"  step {self.steps:,} of {self.total_steps:,}, {self.last - self.started:.0f} s", flush=True)
        if self.last > self.deadline and self.steps < self.total_steps:
            raise OverBudget


class Budget:
    """Deadlines: each part gets its weight's share of the time left before the check's end."""

    def __init__(self, seconds: float, started: float, weights: dict[str, float]):
        self.end, self.weights, self.used = started + seconds - REPORT_RESERVE_SECONDS, dict(weights), {}

    def start(self, part: str) -> float:
        """The part's deadline (a ``time.time()``)."""
        left = self.end - time.time()
        later = sum(weight for name, weight in self.weights.items() if name not in self.used)
        self.used[part] = {"allotted_seconds": max(0.0, left * self.weights[part] / later), "started": time.time()}
        return time.time() + self.used[part]["allotted_seconds"]

    def finish(self, part: str) -> None:
        self.used[part]["seconds"] = time.time() - self.used[part].pop("started")


# ------------------------------------------------------------------ environment

def capture_native_log(path: Path) -> None:
    """Send file descriptor 2, where TensorFlow's C++ code logs, to ``path``; Python's stderr stays on the terminal."""
    terminal = os.dup(2)
    log = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(log, 2)
    os.close(log)
    sys.stderr = os.fdopen(terminal, "w", buffering=1)


def compute_cache() -> Path:
    """Where the CUDA driver keeps kernels it JIT-compiled from PTX."""
    return Path(os.environ.get("CUDA_CACHE_PATH") or Path.home() / ".nv" / "ComputeCache")


def folder_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20 if path.is_dir() else 0.0


def cuda_driver() -> dict:
    """The CUDA driver's version and each GPU's total memory, from libcuda itself; {} without a driver."""
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return {}
    version, count = ctypes.c_int(), ctypes.c_int()
    if cuda.cuInit(0) != 0 or cuda.cuDriverGetVersion(ctypes.byref(version)) != 0 \
            or cuda.cuDeviceGetCount(ctypes.byref(count)) != 0:
        return {}
    memory = []
    for ordinal in range(count.value):
        handle, total = ctypes.c_int(), ctypes.c_size_t()
        cuda.cuDeviceGet(ctypes.byref(handle), ordinal)
        cuda.cuDeviceTotalMem_v2(ctypes.byref(total), handle)
        memory.append(total.value / 2**30)
    return {"driver": f"{version.value // 1000}.{version.value % 1000 // 10}", "memory_gib": memory}


def _architecture(target: str) -> tuple[int, int]:
    digits = re.sub(r"\D", "", target.split("_", 1)[1])  # "sm_89" -> (8, 9); "compute_90" -> (9, 0)
    return int(digits[:-1]), int(digits[-1])


def ptx_expected(capability: tuple[int, int], targets: list[str]) -> tuple[bool | None, str]:
    """Whether TensorFlow's build must JIT-compile its kernels from PTX on a GPU of this capability.

    Compiled kernels (``sm_XY``) run on GPUs of the same major version and a
    minor version >= Y; otherwise the driver compiles the PTX of the highest
    ``compute_XY`` <= the GPU's capability when a kernel is first loaded.
    """
    sass = [t for t in targets if t.startswith("sm_") and _architecture(t)[0] == capability[0]
            and _architecture(t)[1] <= capability[1]]
    if sass:
        return False, f"the build carries compiled kernels for {', '.join(sass)}"
    ptx = [t for t in targets if t.startswith("compute_") and _architecture(t) <= capability]
    if ptx:
        return True, f"the build carries no compiled kernels for {capability[0]}.{capability[1]}, only PTX ({ptx[-1]})"
    return None, "the build carries neither compiled kernels nor PTX for this GPU"


def first_operations() -> tuple[float, float]:
    """Seconds of the first small computation (device set-up, first kernel loads) and of the same again."""
    import tensorflow as tf

    def once() -> float:
        started = time.perf_counter()
        x = tf.random.normal([512, 512])
        float(tf.reduce_sum(tf.nn.softmax(tf.matmul(x, x))))
        return time.perf_counter() - started

    return once(), once()


def ptx_jit(capability, targets, log: Path, first: float, again: float, cache_growth_mib: float) -> dict:
    """Whether kernels were JIT-compiled from PTX at start-up, and the evidence, detected three ways."""
    expected, why = ptx_expected(capability, targets)
    warned = "jit-compiled from PTX" in log.read_text(errors="replace") if log.is_file() else False
    evidence = (f"TensorFlow's log {'has' if warned else 'has no'} the line \"CUDA kernels will be jit-compiled "
                f"from PTX\"; the first small computation took {first:.2f} s, the same again {again * 1000:.1f} ms; "
                f"the CUDA compute cache ({compute_cache()}) grew by {cache_growth_mib:.0f} MiB during the check")
    jitted = warned or bool(expected)
    return {"jit_compiled": jitted, "compiled_during_this_run": jitted and cache_growth_mib > 1,
            "expected_from_build": expected, "log_line": warned, "why": why,
            "first_operation_seconds": first, "second_operation_seconds": again,
            "compute_cache_growth_mib": cache_growth_mib, "evidence": evidence}


def environment(hardware, plan: Plan, log: Path, first: float, again: float, cache_mib: float) -> dict:
    import tensorflow as tf

    from finetune_lab.pretrained import device

    build = dict(tf.sysconfig.get_build_info())
    gpus, driver = device.gpu_details(), cuda_driver()
    capability = gpus[0][1] if gpus else None
    targets = list(build.get("cuda_compute_capabilities") or [])
    tf32 = bool(capability and capability >= (8, 0) and tf.config.experimental.tensor_float_32_execution_enabled())
    memory = driver.get("memory_gib", [])
    result = {"gpus": [{"name": name, "compute_capability": f"{cc[0]}.{cc[1]}",
                        "memory_gib": memory[index] if index < len(memory) else None}
                       for index, (name, cc) in enumerate(gpus)],
              "cuda_driver": driver.get("driver"), "tensorflow": tf.__version__,
              "cuda_build": build.get("cuda_version"), "cudnn_build": build.get("cudnn_version"),
              "kernel_targets": targets, "policy": hardware.precision if not plan.smoke else SMOKE_POLICY,
              "policy_rule": ("chosen by device.mixed_precision_policy for this compute capability" if not plan.smoke
                              else "forced in a smoke run, to run its code path; a CPU's own is float32"),
              "tf32": tf32,
              "device": hardware.describe(), "machine": machine()}
    if capability:
        result["ptx_jit"] = ptx_jit(capability, targets, log, first, again, folder_mib(compute_cache()) - cache_mib)
    return result


# ------------------------------------------------------------------ the parts

def load_minilm(plan: Plan):
    """MiniLM and its tokenizer; the tiny random BERT with MiniLM's tokenizer in a smoke run."""
    from transformers import AutoTokenizer

    from finetune_lab.pretrained import models

    if not plan.smoke:
        model, tokenizer, _ = models.load_classifier("minilm")
        return model, tokenizer
    return models.random_bert(**plan.bert_config), AutoTokenizer.from_pretrained(str(models.offline_model_dir()))


def minilm_epoch(plan: Plan, policy: str, deadline: float) -> tuple[dict, object, object]:
    """One epoch of notebook 05's recipe on SST-2 train in ``policy``; evaluated on dev.

    One short function of the package's pieces, to become one call of
    ``pretrained.recipe`` when that exists. Returns the result, the tokenizer
    and the encoded training set (reused by the throughput part).
    """
    import tensorflow as tf

    from finetune_lab import data
    from finetune_lab.course.params import NOTEBOOK_PARAMETERS
    from finetune_lab.pretrained import batches, fine_tune, inference

    p = {parameter.name: parameter.default for parameter in NOTEBOOK_PARAMETERS["05_fine_tune_bert"]}
    tf.keras.mixed_precision.set_global_policy(policy)
    model, tokenizer = load_minilm(plan)
    train = batches.encode(tokenizer, *data.subsample(*data.load_sst2("train"), plan.num_train_examples, 0),
                           p["max_seq_len"])
    dev = batches.encode(tokenizer, *data.subsample(*data.load_sst2("dev"), plan.dev_examples, 0), p["max_seq_len"])
    steps = fine_tune.num_train_steps(len(train), p["batch_size"], 1)
    optimizer, schedule = fine_tune.make_optimizer(p["learning_rate"], steps, p["warmup_ratio"], p["weight_decay"],
                                                   loss_scaling=policy == "mixed_float16")
    clock = StepClock(steps, deadline)
    try:
        history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, dev, epochs=1,
                                      batch_size=p["batch_size"], progress=False, on_step=clock)
        accuracy, loss = history.validation_accuracy[-1], history.validation_loss[-1]
    except OverBudget:
        evaluation = inference.evaluate(model, tokenizer, dev, p["batch_size"] * 2)
        accuracy, loss = evaluation.accuracy, evaluation.loss
    seconds = clock.last - clock.started
    return ({"policy": policy, "train_examples": len(train), "dev_examples": len(dev), "steps": clock.steps,
             "steps_in_epoch": steps, "complete": clock.steps == steps, "epoch_seconds": seconds,
             "first_step_seconds": clock.first - clock.started,
             "examples_per_second": min(clock.steps * p["batch_size"], len(train)) / seconds,
             "dev_accuracy": accuracy, "dev_loss": loss,
             "settings": {name: p[name] for name in ("learning_rate", "batch_size", "warmup_ratio", "weight_decay",
                                                     "max_seq_len")}}, tokenizer, train)


def timed_batches(tokenizer, train, batch_size: int, plan: Plan) -> tuple[list, dict]:
    """Padded (features, labels) batches to time, and which shapes they are (see the module docstring)."""
    import numpy as np

    from finetune_lab.pretrained import batches

    full = [b for b in batches.training_order(train.lengths, batch_size, seed=0) if len(b) == batch_size]
    if not full:
        raise ValueError(f"fewer than {batch_size} training examples: no full batch to time")
    padded = np.array([batches.padded_length(train.lengths[b].max(), plan.pad_to_multiple_of) for b in full])
    lengths, counts = np.unique(padded, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    keep = order[:int(np.searchsorted(np.cumsum(counts[order]) / len(full), SHAPE_COVERAGE)) + 1]
    chosen = [b for b, length in zip(full, padded) if length in set(lengths[keep])][:plan.max_steps]
    shapes = {"seq_lens": sorted(int(n) for n in lengths[keep]),
              "share_of_batches": float(counts[keep].sum() / len(full))}
    return [batches.pad_batch(tokenizer, train, b, plan.pad_to_multiple_of) for b in chosen], shapes


def gpu_peak_gib() -> float | None:
    import tensorflow as tf

    if not tf.config.list_logical_devices("GPU"):
        return None
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**30


def measure(step, timed: list, plan: Plan, deadline: float) -> dict:
    """Warm up on one batch of every shape, then time steps; tokens counted from the attention masks."""
    import tensorflow as tf

    if tf.config.list_logical_devices("GPU"):
        tf.config.experimental.reset_memory_stats("GPU:0")
    started = time.perf_counter()
    for seq_len in sorted({int(features["input_ids"].shape[1]) for features, _ in timed}):
        float(step(*next(batch for batch in timed if batch[0]["input_ids"].shape[1] == seq_len)))
    warmup, started = time.perf_counter() - started, time.perf_counter()
    steps = sequences = real = padded = 0

    def more() -> bool:
        return steps < plan.min_steps or time.perf_counter() - started < plan.seconds_per_config

    while steps < plan.max_steps and more():
        if steps >= 1 and time.time() > deadline:
            break
        features, labels = timed[steps % len(timed)]
        float(step(features, labels))
        mask = features["attention_mask"]
        steps, sequences = steps + 1, sequences + int(mask.shape[0])
        real, padded = real + int(tf.reduce_sum(mask)), padded + int(tf.size(mask))
    seconds = time.perf_counter() - started
    return {"steps": steps, "seconds": seconds, "warmup_seconds": warmup, "sequences_per_second": sequences / seconds,
            "real_tokens_per_second": real / seconds, "real_token_share": real / padded,
            "real_tokens_per_step": real / steps, "peak_gpu_memory_gib": gpu_peak_gib()}


def peak_for(gpu_name: str | None, policy: str, tf32: bool) -> tuple[float | None, str]:
    """(published dense peak TFLOP/s, which one) for matmuls under ``policy``; (None, why) if unknown."""
    kind = {"mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}.get(policy, "tf32" if tf32 else "float32")
    for pattern, label, peaks in PEAK_TFLOPS:
        if gpu_name and re.search(pattern, gpu_name, re.IGNORECASE):
            return peaks.get(kind), f"{label} {kind}"
    return None, f"{gpu_name or 'no GPU'}: not in PEAK_TFLOPS"


def add_utilisation(row: dict, non_embedding: int, peak_tflops: float | None) -> dict:
    """Useful TFLOP/s = 6 × N × real tokens/s / 1e12; utilisation = that / the peak."""
    useful = 6 * non_embedding * row["real_tokens_per_second"] / 1e12
    return dict(row, useful_tflops=useful, utilisation=useful / peak_tflops if peak_tflops else None)


def build_bert(plan: Plan, policy: str, strategy=None):
    """bert-base (or the smoke run's tiny BERT) and its optimizer, built under ``policy`` in ``strategy``."""
    import tensorflow as tf

    from finetune_lab.pretrained import fine_tune, models

    tf.keras.mixed_precision.set_global_policy(policy)
    folder = os.environ.get(models.BERT_BASE_ENV_VAR, "").strip()
    with (strategy or tf.distribute.get_strategy()).scope():
        if folder and not plan.smoke:
            model = models.load_classifier(folder)[0]
        else:
            model = models.random_bert(**plan.bert_config)
        optimizer, _ = fine_tune.make_optimizer(2e-5, 10_000, 0.1, 0.01, loss_scaling=policy == "mixed_float16")
    return model, optimizer


def bert_weights(plan: Plan) -> str:
    from finetune_lab.pretrained import models

    folder = os.environ.get(models.BERT_BASE_ENV_VAR, "").strip()
    if plan.smoke:
        return "random: a tiny 2-layer, hidden-32 BERT stands in for bert-base (CPU smoke run)"
    if folder:
        return f"pretrained, from {models.BERT_BASE_ENV_VAR}={folder}"
    return ("random: bert-base built from BertConfig() (12 layers, hidden 768, 12 heads, vocabulary 30,522), "
            f"no pretrained weights here ({models.BERT_BASE_ENV_VAR} not set); speed does not depend on the "
            "weights' values")


def run_configs(configs: list[dict], make_step, data_for, plan: Plan, deadline: float, peaks, parameters) -> list:
    """Measure each configuration in order until the deadline; the rest are reported as skipped."""
    warmups: dict = {}  # the last warm-up with and without XLA: what the next one will likely take
    for config in configs:
        kind = config["xla"]
        left = deadline - time.time()
        if left < max(warmups.get(kind, 0.0), 1.0):
            config["skipped"] = f"time budget: {left:.0f} s left in this part"
            print(f"  {label(config)}: skipped ({config['skipped']})", flush=True)
            continue
        try:
            timed, shapes = data_for(config)
            row = measure(make_step(config), timed, plan, deadline)
        except Exception as error:  # one configuration's failure (an XLA compile, memory) must not end the check
            config["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}"
            print(f"  {label(config)}: failed ({config['error']})", flush=True)
            continue
        warmups[kind] = row["warmup_seconds"]
        config.update(add_utilisation(row, parameters, peaks[config["policy"]][0]), shapes=shapes)
        print(f"  {label(config)}: {row['sequences_per_second']:,.0f} sequences/s, "
              f"{row['real_tokens_per_second']:,.0f} real tokens/s (warm-up {row['warmup_seconds']:.1f} s)", flush=True)
    return configs


def label(config: dict) -> str:
    text = f"{config['policy']}, {'XLA' if config['xla'] else 'no XLA'}, batch {config['batch_size']}"
    return text + (f" ({config['replicas']} replicas)" if config.get("replicas", 1) > 1 else "")


def bert_base_throughput(plan: Plan, policies: list[str], tokenizer, train, gpu_name, tf32, deadline) -> dict:
    """Part 3: every (policy, XLA, batch size) on one device.

    Without XLA first (quick: one trace serves every shape), then XLA, batch
    size by batch size, so a tight budget still compares both precisions. A
    smoke run compiles with XLA in its first policy only (the slowest step on
    a CPU; the code path is the same for every policy).
    """
    from finetune_lab.pretrained import fine_tune, models

    built = {policy: build_bert(plan, policy) for policy in policies}
    parameters = _non_embedding(models.count_parameters(built[policies[0]][0]))
    steps: dict = {}

    def make_step(config):
        key = (config["policy"], config["xla"])
        if key not in steps:
            steps[key] = fine_tune.make_train_step(*built[config["policy"]], jit_compile=config["xla"])
        return steps[key]

    sizes = plan.batch_sizes
    configs = ([{"policy": policy, "xla": False, "batch_size": size} for policy in policies for size in sizes]
               + [{"policy": policy, "xla": True, "batch_size": size} for size in sizes
                  for policy in (policies[:1] if plan.smoke else policies)])
    peaks = {policy: peak_for(gpu_name, policy, tf32) for policy in policies}
    prepared: dict = {}

    def data_for(config):
        if config["batch_size"] not in prepared:
            prepared[config["batch_size"]] = timed_batches(tokenizer, train, config["batch_size"], plan)
        return prepared[config["batch_size"]]

    run_configs(configs, make_step, data_for, plan, deadline, peaks, parameters)
    return {"weights": bert_weights(plan), "non_embedding_parameters": parameters,
            "peaks": {policy: {"tflops": peak, "which": which} for policy, (peak, which) in peaks.items()},
            "pad_to_multiple_of": plan.pad_to_multiple_of, "configs": configs}


def _non_embedding(counts: dict) -> int:
    return counts["total"] - counts["embeddings"]


def mirrored(plan: Plan, policies: list[str], tokenizer, train, single: dict, gpu_name, tf32, deadline) -> dict:
    """Part 4: MirroredStrategy over every GPU, per-replica batch as in part 3.

    A smoke run mirrors over two logical CPUs, in its first policy only (a
    mirrored trace is the slowest step on a CPU).
    """
    import tensorflow as tf

    from finetune_lab.pretrained import fine_tune

    devices = ["/cpu:0", "/cpu:1"] if plan.smoke else None
    strategy = tf.distribute.MirroredStrategy(devices)
    replicas = strategy.num_replicas_in_sync
    built, steps = {}, {}

    def make_step(config):
        if config["policy"] not in steps:
            built[config["policy"]] = build_bert(plan, config["policy"], strategy)
            steps[config["policy"]] = fine_tune.make_train_step(*built[config["policy"]])  # the model's strategy
        return steps[config["policy"]]

    configs = [{"policy": policy, "xla": False, "batch_size": size, "replicas": replicas,
                "global_batch_size": size * replicas}
               for policy in (policies[:1] if plan.smoke else policies) for size in plan.batch_sizes]
    peaks = {policy: peak_for(gpu_name, policy, tf32) for policy in policies}
    data_for = lambda config: timed_batches(tokenizer, train, config["global_batch_size"], plan)  # noqa: E731
    parameters = single["non_embedding_parameters"]
    run_configs(configs, make_step, data_for, plan, deadline, {p: (v[0] * replicas if v[0] else None, v[1])
                                                               for p, v in peaks.items()}, parameters)
    for config in configs:
        one = next((c for c in single["configs"] if c["policy"] == config["policy"] and not c["xla"]
                    and c["batch_size"] == config["batch_size"] and "sequences_per_second" in c), None)
        if one and "sequences_per_second" in config:
            config["scaling"] = config["sequences_per_second"] / one["sequences_per_second"]
            config["efficiency"] = config["scaling"] / replicas
    return {"replicas": replicas, "devices": [str(d) for d in strategy.extended.worker_devices], "configs": configs}


# ------------------------------------------------------------------ the report

def _number(value, digits: int = 0, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _config_cells(config: dict) -> str:
    if "skipped" in config or "error" in config:
        return f"{config.get('skipped') or config.get('error')} | | | | | | |"
    return " | ".join([_number(config["sequences_per_second"]), _number(config["real_tokens_per_second"]),
                       _number(config["real_token_share"] * 100, 0, "%"), _number(config["useful_tflops"], 1),
                       _number(config["utilisation"] and config["utilisation"] * 100, 1, "%"),
                       _number(config["warmup_seconds"], 1), _number(config["peak_gpu_memory_gib"], 1)]) + " |"


def environment_markdown(env: dict) -> str:
    gpus = env["gpus"]
    rows = [("GPU", ", ".join(g["name"] for g in gpus) or "none (CPU smoke run)"),
            ("memory", ", ".join(_number(g["memory_gib"], 1, " GiB") for g in gpus) or "n/a"),
            ("compute capability", ", ".join(g["compute_capability"] for g in gpus) or "n/a"),
            ("CUDA driver", env["cuda_driver"] or "n/a"),
            ("TensorFlow", f"{env['tensorflow']}, built with CUDA {env['cuda_build']} and cuDNN {env['cudnn_build']}; "
                           f"kernels for {', '.join(env['kernel_targets']) or 'no GPU'}"),
            ("precision policy", f"{env['policy']} ({env['policy_rule']})"),
            ("float32 matmuls", "TF32 on tensor cores" if env["tf32"] else "float32")]
    if "ptx_jit" in env:
        jit = env["ptx_jit"]
        during = (" (during this run: the compute cache grew)" if jit["compiled_during_this_run"] else
                  " (not during this run: the kernels came from the compute cache)" if jit["jit_compiled"] else "")
        rows.append(("kernels JIT-compiled from PTX at start-up",
                     f"{'yes' if jit['jit_compiled'] else 'no'}{during}: {jit['why']}. Detected from the build's "
                     f"kernel list, TensorFlow's log and timing: {jit['evidence']}"))
    rows.append(("host", f"{env['machine']['cpu']}, {env['machine']['cores']} cores, "
                         f"{env['machine']['memory_gib']:.0f} GiB; {env['device']}"))
    return "| | |\n| --- | --- |\n" + "\n".join(f"| {name} | {value} |" for name, value in rows)


def minilm_markdown(result: dict) -> str:
    s = result["settings"]
    done = "" if result["complete"] else (f" **Stopped by the time budget after {result['steps']:,} of "
                                          f"{result['steps_in_epoch']:,} steps**; dev accuracy is after those.")
    return (f"Notebook 05's recipe (peak learning rate {s['learning_rate']:g}, batch {s['batch_size']}, warm-up "
            f"{s['warmup_ratio']:g}, weight decay {s['weight_decay']:g}, max {s['max_seq_len']} tokens), "
            f"policy {result['policy']}, validated on dev after the epoch; the first step includes tracing and the "
            f"first kernel loads.{done}\n\n"
            "| training examples | steps | epoch (s) | of which the first step (s) | examples/s | dev accuracy "
            "| dev loss |\n| --- | --- | --- | --- | --- | --- | --- |\n"
            f"| {result['train_examples']:,} | {result['steps']:,} | {result['epoch_seconds']:.1f} | "
            f"{result['first_step_seconds']:.1f} | "
            f"{result['examples_per_second']:,.0f} | {result['dev_accuracy']:.4f} ({result['dev_examples']} sentences) "
            f"| {result['dev_loss']:.4f} |")


def bert_markdown(result: dict) -> str:
    peaks = "; ".join(f"{policy}: {_number(peak['tflops'], 1)} TFLOP/s ({peak['which']})"
                      for policy, peak in result["peaks"].items())
    rows = "\n".join(f"| {c['policy']} | {'yes' if c['xla'] else 'no'} | {c['batch_size']} | {_config_cells(c)}"
                     for c in result["configs"])
    shapes = next((c["shapes"] for c in result["configs"] if "shapes" in c), None)
    shape_text = (f"padded lengths {shapes['seq_lens']} tokens ({shapes['share_of_batches']:.0%} of the epoch's "
                  f"batches at batch {result['configs'][0]['batch_size']})") if shapes else "none measured"
    return (f"Weights: {result['weights']}. Length-grouped SST-2 batches padded to a multiple of "
            f"{result['pad_to_multiple_of']} tokens; timed shapes: {shape_text}. Useful FLOPs = 6 × N × real tokens, "
            f"N = {result['non_embedding_parameters']:,} non-embedding weights. Published dense peaks: {peaks}.\n\n"
            "| precision | XLA | batch | sequences/s | real tokens/s | real share | useful TFLOP/s | utilisation "
            "| warm-up (s) | peak GPU memory (GiB) |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
            + rows)


def mirrored_markdown(result: dict | None, gpus: int) -> str:
    if result is None:
        return f"Not measured: {gpus} GPU{'s' if gpus != 1 else ''} visible; it needs two or more."
    rows = "\n".join(f"| {c['policy']} | {c['batch_size']} | {c['global_batch_size']} | "
                     + (f"{c.get('skipped') or c.get('error')} | | |" if "sequences_per_second" not in c else
                        f"{c['sequences_per_second']:,.0f} | {_number(c.get('scaling'), 2, '×')} | "
                        f"{_number(c.get('efficiency') and c['efficiency'] * 100, 0, '%')} |")
                     for c in result["configs"])
    return (f"{result['replicas']} replicas ({', '.join(result['devices'])}), without XLA; scaling = sequences/s "
            "over the same precision and per-replica batch on one device, without XLA.\n\n"
            "| precision | batch per replica | global batch | sequences/s | scaling | efficiency |\n"
            "| --- | --- | --- | --- | --- | --- |\n" + rows)


def markdown(report: dict) -> str:
    smoke = ("\n\n**CPU smoke run**: every step on a tiny model and a few dozen examples; its numbers say nothing "
             "about speed or accuracy." if report["smoke"] else "")
    budget = "\n".join(f"| {part} | {used['allotted_seconds']:.0f} | {used.get('seconds', 0):.0f} |"
                       for part, used in report["budget"]["parts"].items())
    return f"""# GPU check

Written by `{report['command']}` ({report['finished']}).{smoke}

The whole check took {report['budget']['total_seconds']:.0f} s of its {report['budget']['limit_seconds']:.0f} s
budget; start-up (Python, TensorFlow, the first GPU operation) {report['budget']['startup_seconds']:.0f} s.
What is measured and how: the docstring of `benchmarks/gpu_check.py`.

## Environment

{environment_markdown(report['environment'])}

## MiniLM: one epoch of SST-2 in mixed precision

{minilm_markdown(report['minilm_epoch'])}

## bert-base: training-step throughput

{bert_markdown(report['bert_base'])}

## Several GPUs: MirroredStrategy

{mirrored_markdown(report['mirrored'], len(report['environment']['gpus']))}

## Budget

| part | allotted (s) | used (s) |
| --- | --- | --- |
{budget}
"""


# ------------------------------------------------------------------ the run

def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cpu-smoke", action="store_true",
                        help="every step on a tiny model on the CPU, report into --output or a temporary folder")
    parser.add_argument("--output", default="", help=f"folder for gpu_check.md/.json (default {RESULTS_DIR})")
    parser.add_argument("--tf-log", default="", help="file for TensorFlow's C++ log (default: in the temp folder)")
    parser.add_argument("--budget-seconds", type=float, default=BUDGET_SECONDS, help="the whole check's time limit")
    return parser.parse_args(argv)


def start(args: argparse.Namespace, started: float):
    """Log capture, TensorFlow's start-up and the first operations; returns what later parts need."""
    output = Path(args.output or (tempfile.mkdtemp(prefix="gpu_check_smoke_") if args.cpu_smoke else RESULTS_DIR))
    output.mkdir(parents=True, exist_ok=True)
    log = Path(args.tf_log or Path(tempfile.gettempdir()) / "gpu_check_tf.log")
    cache_mib = folder_mib(compute_cache())
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "0"  # everything into the log file: the PTX line is a warning
    if args.cpu_smoke:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # a CPU run, also on a machine with a GPU
    capture_native_log(log)
    print(f"GPU check: report into {output}, TensorFlow's log into {log}", flush=True)
    import finetune_lab.pretrained  # noqa: F401  (Keras 2 for transformers, before TensorFlow loads)
    import tensorflow as tf

    from finetune_lab.pretrained import device

    if args.cpu_smoke:  # two logical CPUs, so the MirroredStrategy part runs too
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    elif not tf.config.list_physical_devices("GPU"):
        raise SystemExit(f"TensorFlow sees no GPU (the CUDA driver reports {len(cuda_driver().get('memory_gib', []))}):"
                         " install tensorflow[and-cuda]==2.21.0, or run --cpu-smoke; details in " + str(log))
    hardware = device.configure_device(mixed_precision=True)
    device.set_seed(0, deterministic=False)
    # Each configuration builds its own train step (one trace each); TensorFlow's retracing warning
    # counts those as one function retracing.
    tf.get_logger().setLevel("ERROR")
    first, again = first_operations()
    plan = Plan.smoke_run(args.budget_seconds) if args.cpu_smoke else Plan(budget_seconds=args.budget_seconds)
    return output, log, cache_mib, hardware, plan, first, again, time.time() - started


def run(args: argparse.Namespace, started: float) -> dict:
    output, log, cache_mib, hardware, plan, first, again, startup = start(args, started)
    gpus = len(hardware.names) if hardware.kind == "GPU" else 0
    weights = dict(PART_WEIGHTS, **({} if gpus > 1 or plan.smoke else {"mirrored": 0}))
    budget = Budget(plan.budget_seconds, started, weights)
    policy = SMOKE_POLICY if plan.smoke else hardware.precision
    policies = [policy, "float32"] if policy != "float32" else ["float32"]
    print(f"start-up {startup:.0f} s; {hardware.describe()}", flush=True)

    print("MiniLM, one epoch of SST-2 ...", flush=True)
    minilm, tokenizer, train = minilm_epoch(plan, policy, budget.start("minilm_epoch"))
    budget.finish("minilm_epoch")
    print(f"  {minilm['epoch_seconds']:.0f} s, dev accuracy {minilm['dev_accuracy']:.4f}", flush=True)

    env = environment(hardware, plan, log, first, again, cache_mib)
    gpu_name = env["gpus"][0]["name"] if env["gpus"] else None
    print("bert-base training-step throughput ...", flush=True)
    bert = bert_base_throughput(plan, policies, tokenizer, train, gpu_name, env["tf32"], budget.start("bert_base"))
    budget.finish("bert_base")
    several = None
    if weights["mirrored"]:
        print("MirroredStrategy ...", flush=True)
        several = mirrored(plan, policies, tokenizer, train, bert, gpu_name, env["tf32"], budget.start("mirrored"))
        budget.finish("mirrored")
    env = environment(hardware, plan, log, first, again, cache_mib)  # again: the cache's growth over the whole run
    return {"smoke": plan.smoke, "plan": asdict(plan), "environment": env, "minilm_epoch": minilm, "bert_base": bert,
            "mirrored": several, "peak_rss_gib": peak_rss_gib(), "output": str(output),
            "budget": {"limit_seconds": plan.budget_seconds, "startup_seconds": startup,
                       "total_seconds": time.time() - started, "parts": budget.used}}


def process_start() -> float:
    """When this Python process started (``time.time()``), so start-up counts against the budget."""
    import psutil

    return psutil.Process().create_time()


def main(argv=None) -> None:
    args = parse_arguments(argv)
    started = process_start()
    report = run(args, started)
    report["command"] = " ".join(["python -m benchmarks.gpu_check", *(sys.argv[1:] if argv is None else argv)])
    report["finished"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    output = Path(report["output"])
    (output / "gpu_check.json").write_text(json.dumps(report, indent=2, default=str) + "\n", encoding="utf-8")
    (output / "gpu_check.md").write_text(markdown(report), encoding="utf-8")
    print(f"wrote {output / 'gpu_check.md'} and .json in {report['budget']['total_seconds']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
