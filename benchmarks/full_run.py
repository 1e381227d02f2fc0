"""Full-data fine-tuning runs, timed. Not part of the tests: each takes many minutes.

    python -m benchmarks.full_run --profile cpu-epoch        # MiniLM, one epoch of SST-2, 2-core CPU
    python -m benchmarks.full_run --profile gpu-bert-base    # bert-base, 3 epochs, GPUs
    python -m benchmarks.full_run --profile cpu-epoch --batch-size 16   # one setting overridden

Overrides (``--batch-size``, ``--learning-rate``, ``--length-pool-batches``,
``--epochs``, ``--examples``, ``--model``) are written to a file named after them.

Each run prints its effective configuration first, then writes
``benchmarks/results/full_run_<profile>.md`` (and ``.json``) with the wall
time, the throughput and the dev accuracy, next to what the profile should
reach.

Profiles
--------
``cpu-epoch``: the offline MiniLM, all 67,349 SST-2 training examples, one
epoch, batch size 32, peak learning rate 1e-4 (notebook 05's defaults),
float32 on the CPU. Expected: at most 25 minutes on an idle 2-core CPU and at
least 0.90 dev accuracy. With one epoch there is no checkpoint to choose, so
the per-epoch validation of ``fine_tune`` simply reports dev accuracy.

``gpu-bert-base``: google-bert/bert-base-uncased (needs network for the
weights), 3 epochs, batch size 32 (global, split across GPUs), peak learning
rate 2e-5, mixed precision (bfloat16 on compute capability ≥ 8.0, otherwise
float16 with loss scaling), a ``tf.distribute.MirroredStrategy`` over every
visible GPU. 2% of train (1,347 examples) is held out to choose the best
epoch, so dev stays untouched. Expected: about 92.7 dev accuracy, the
BERT-base SST-2 dev figure reported in the literature (e.g. 92.7 in Sanh et
al. 2019's DistilBERT comparison table; Devlin et al. 2019 report 93.5 on the
test set). Time: roughly 10 to 20 minutes per epoch on one recent GPU.
"""

from __future__ import annotations

import argparse
import json
import math
import shlex
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone

from benchmarks.fine_tune_speed import RESULTS_DIR, machine, peak_rss_gib


@dataclass(frozen=True)
class Profile:
    """One full run.

    Attributes:
        model: for ``models.load_classifier``.
        epochs, batch_size, learning_rate, warmup_ratio, weight_decay: as in notebook 05.
        num_train_examples: 0 = all 67,349.
        validation_fraction: share of train held out to choose the best epoch;
            0 = validate on dev (only sound with one epoch: nothing is chosen).
        mixed_precision, distribute: ``device.configure_device``'s switches (GPU only).
        length_pool_batches: ``fine_tune``'s length grouping (50 is its default).
        expected: what the run should reach, for the report.
    """

    model: str
    epochs: int
    batch_size: int
    learning_rate: float
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    num_train_examples: int = 0
    validation_fraction: float = 0.0
    mixed_precision: bool = False
    distribute: bool = False
    max_seq_len: int = 128
    length_pool_batches: int = 50
    seed: int = 0
    expected: str = ""


PROFILES = {
    "cpu-epoch": Profile("minilm", epochs=1, batch_size=32, learning_rate=1e-4,
                         expected="at most 25 minutes of training on an idle 2-core CPU; dev accuracy at least 0.90"),
    "gpu-bert-base": Profile("google-bert/bert-base-uncased", epochs=3, batch_size=32, learning_rate=2e-5,
                             validation_fraction=0.02, mixed_precision=True, distribute=True,
                             expected="dev accuracy about 0.927 (BERT-base SST-2 dev in the literature)"),
}


def prepare(profile: Profile):
    """Device, data, model and optimizer for a profile."""
    import finetune_lab  # noqa: F401  (before TensorFlow: Keras 2, quiet start-up)
    from finetune_lab.pretrained import batches, device, fine_tune, models
    from finetune_lab import data

    hardware = device.configure_device(mixed_precision=profile.mixed_precision, distribute=profile.distribute)
    device.set_seed(profile.seed)
    texts, labels = data.subsample(*data.load_sst2("train"), profile.num_train_examples, profile.seed)
    if profile.validation_fraction:
        texts, labels, val_texts, val_labels = data.train_validation_split(
            texts, labels, profile.validation_fraction, profile.seed)
    else:
        val_texts, val_labels = data.load_sst2("dev")
    with hardware.strategy.scope():
        model, tokenizer, info = models.load_classifier(profile.model, gpu_available=hardware.kind == "GPU")
        steps = fine_tune.num_train_steps(len(texts), profile.batch_size, profile.epochs)
        optimizer, schedule = fine_tune.make_optimizer(
            profile.learning_rate, steps, profile.warmup_ratio, profile.weight_decay,
            loss_scaling=hardware.precision == "mixed_float16")
    encode = lambda t, y: batches.encode(tokenizer, t, y, profile.max_seq_len)  # noqa: E731
    dev = encode(*data.load_sst2("dev"))
    return hardware, model, tokenizer, info, optimizer, schedule, encode(texts, labels), encode(val_texts, val_labels), dev


def run(name: str, profile: Profile) -> dict:
    from finetune_lab.pretrained import fine_tune

    print(f"Profile {name}:", json.dumps(asdict(profile)), flush=True)
    hardware, model, tokenizer, info, optimizer, schedule, train, validation, dev = prepare(profile)
    print(hardware.describe(), "|", info.name, f"| {len(train):,} training examples", flush=True)
    started = time.perf_counter()
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, validation,
                                  epochs=profile.epochs, batch_size=profile.batch_size, seed=profile.seed,
                                  length_pool_batches=profile.length_pool_batches)
    seconds = time.perf_counter() - started
    result = fine_tune.evaluate(model, tokenizer, dev)
    examples = len(train) * len(history.val_accuracy)
    return {"profile": name, "settings": asdict(profile), "device": hardware.describe(), "model": info.name,
            "train_examples": len(train), "epochs_run": len(history.val_accuracy), "best_epoch": history.best_epoch,
            "minutes_with_validation": seconds / 60, "train_examples_per_second": examples / seconds,
            "val_accuracy": history.val_accuracy, "dev_accuracy": result.accuracy, "dev_loss": result.loss,
            "peak_rss_gib": peak_rss_gib(), "machine": machine(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def markdown(result: dict, command: str) -> str:
    machine_info = result["machine"]
    return f"""# Full run: {result['profile']}

Written by `{command}` ({result['finished']}).

- Machine: {machine_info['cpu']}, {machine_info['cores']} cores, {machine_info['memory_gib']:.0f} GiB, {machine_info['gpus']} GPUs; TensorFlow {machine_info['tensorflow']}, transformers {machine_info['transformers']}
- Device: {result['device']}; model: {result['model']}
- Settings: `{json.dumps(result['settings'])}`

| training examples | epochs run (best) | minutes (training + per-epoch validation) | examples/s | dev accuracy | peak RSS GiB |
|---|---|---|---|---|---|
| {result['train_examples']:,} | {result['epochs_run']} ({result['best_epoch']}) | {result['minutes_with_validation']:.1f} | {result['train_examples_per_second']:.1f} | {result['dev_accuracy']:.4f} | {result['peak_rss_gib']:.2f} |

Expected: {result['settings']['expected']}.
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, required=True)
    parser.add_argument("--model", help="override the profile's model")
    parser.add_argument("--epochs", type=int, help="override the profile's epochs")
    parser.add_argument("--examples", type=int, help="override: training examples (0 = all), for a dry run")
    parser.add_argument("--batch-size", type=int, help="override the profile's batch size")
    parser.add_argument("--learning-rate", type=float, help="override the profile's peak learning rate")
    parser.add_argument("--length-pool-batches", type=int,
                        help="override: batches sorted together by length (fine_tune's length_pool_batches)")
    args = parser.parse_args(argv)
    for flag, value, least in (("--epochs", args.epochs, 1), ("--examples", args.examples, 0),
                               ("--batch-size", args.batch_size, 1),
                               ("--length-pool-batches", args.length_pool_batches, 1)):
        if value is not None and value < least:
            parser.error(f"{flag} must be >= {least}, got {value}")
    if args.learning_rate is not None and not args.learning_rate > 0:
        parser.error(f"--learning-rate must be > 0, got {args.learning_rate}")
    profile = PROFILES[args.profile]
    overrides = {"model": args.model, "epochs": args.epochs, "num_train_examples": args.examples,
                 "batch_size": args.batch_size, "learning_rate": args.learning_rate,
                 "length_pool_batches": args.length_pool_batches}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    profile = replace(profile, **overrides)
    result = run(args.profile, profile)
    name = "_".join([f"full_run_{args.profile}"] + [f"{key}-{value}" for key, value in overrides.items()])
    RESULTS_DIR.mkdir(exist_ok=True)
    command = "python -m benchmarks.full_run " + shlex.join(argv if argv is not None else sys.argv[1:])
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=1))
    (RESULTS_DIR / f"{name}.md").write_text(markdown(result, command))
    print(markdown(result, command))
    if math.isnan(result["dev_loss"]):
        raise SystemExit("the dev loss is NaN: training diverged")


if __name__ == "__main__":
    main()
