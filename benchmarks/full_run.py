"""Full-data fine-tuning runs, timed. Not part of the tests: each takes many minutes.

    python -m benchmarks.full_run --profile cpu-epoch        # MiniLM, one epoch of SST-2, 2-core CPU
    python -m benchmarks.full_run --profile gpu-bert-base    # bert-base, 3 epochs, GPUs
    python -m benchmarks.full_run --profile cpu-epoch --batch-size 16   # one setting overridden
    python -m benchmarks.full_run --profile cpu-epoch --seed 1          # the same run, another seed

Each run is notebook 05's recipe (``finetune_lab.pretrained.recipe``): a
profile holds only the parameters it changes, and every other one is
notebook 05's default (``finetune_lab/course/params.py``). Overrides
(``--batch-size``, ``--learning-rate``, ``--length-pool-batches``,
``--epochs``, ``--examples``, ``--model``, ``--seed``) are checked against
the same specification and written to a file named after them.

Each run prints its effective configuration first, then writes
``benchmarks/results/full_run_<profile>.md`` (and ``.json``) with the wall
time, the throughput and the dev accuracy, next to what the profile should
reach. The seed (``--seed``, notebook 05's ``seed`` parameter: the subset,
the head, dropout and the batch order) is recorded in both.

Profiles
--------
``cpu-epoch``: the offline MiniLM, all 67,349 SST-2 training examples, one
epoch, notebook 05's defaults otherwise (batch size, peak learning rate,
schedule, weight decay), float32 on the CPU. Expected: at most 25 minutes on
an idle 2-core CPU and at least 0.90 dev accuracy. With one epoch there is
no checkpoint to choose, so the whole set trains and the per-epoch
validation of ``fine_tune`` simply reports dev accuracy (``validate_on_dev``).

``gpu-bert-base``: google-bert/bert-base-uncased (needs network for the
weights), 3 epochs, batch size 32 (global, split across GPUs), peak learning
rate 2e-5, mixed precision (bfloat16 on compute capability ≥ 8.0, otherwise
float16 with loss scaling), a ``tf.distribute.MirroredStrategy`` over every
visible GPU. 2% of train (1,347 examples) is held out to choose the best
epoch, so dev chooses nothing in this run. Expected: about 92.7 dev accuracy, the
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
from dataclasses import dataclass
from datetime import datetime, timezone

from benchmarks.fine_tune_speed import RESULTS_DIR, check_notebook_05_values, machine, peak_rss_gib, seed_argument


@dataclass(frozen=True)
class Profile:
    """One full run: notebook 05's recipe with a few parameters changed.

    Attributes:
        overrides: notebook 05's parameters that differ from its defaults
            (``course.params.FINE_TUNE_PARAMETERS``); the rest are the defaults.
        options: ``recipe.Options`` fields: engineering switches, not parameters.
        expected: what the run should reach, for the report.
    """

    overrides: dict
    options: dict
    expected: str


PROFILES = {
    "cpu-epoch": Profile({"model": "minilm", "epochs": 1, "num_train_examples": 0},
                         {"mixed_precision": False, "validate_on_dev": True},
                         expected="at most 25 minutes of training on an idle 2-core CPU; dev accuracy at least 0.90"),
    # BERT-base's recipe (Devlin et al. 2019): 3 epochs at 2e-5; batch size 32 is notebook 05's default.
    "gpu-bert-base": Profile({"model": "google-bert/bert-base-uncased", "epochs": 3, "num_train_examples": 0,
                              "learning_rate": 2e-5, "validation_fraction": 0.02},
                             {"mixed_precision": True, "distribute": True},
                             expected="dev accuracy about 0.927 (BERT-base SST-2 dev in the literature)"),
}


def prepare(name: str, overrides: dict, options: dict):
    """The profile's recipe up to the first step, with the command line's overrides; prints the configuration.

    Raises:
        ParameterError: an override outside notebook 05's ranges; ValueError: see ``recipe.prepare``.
    """
    import finetune_lab  # noqa: F401  (before TensorFlow: Keras 2, quiet start-up)
    from finetune_lab.pretrained import recipe

    profile = PROFILES[name]
    params = recipe.parameters({**profile.overrides, **overrides})
    options = {**profile.options, **options}
    print(f"Profile {name}:", json.dumps({"parameters": params, "options": options}), flush=True)
    prepared = recipe.prepare(params, **options)
    print(prepared.describe(), flush=True)
    return prepared


def run(name: str, prepared, overrides: dict) -> dict:
    """Train and evaluate on dev; the results record."""
    from finetune_lab.pretrained import recipe

    result = recipe.train(prepared)
    history, seconds = result.history, result.history.seconds
    examples = len(result.train) * len(history.validation_accuracy)
    return {"profile": name, "seed": result.params["seed"], "overrides": overrides, "parameters": result.params,
            "options": result.options.recorded(), "expected": PROFILES[name].expected,
            "device": result.hardware.describe(), "model": result.load_info.name,
            "train_examples": len(result.train), "epochs_run": len(history.validation_accuracy),
            "best_epoch": history.best_epoch, "minutes_with_validation": seconds / 60,
            "train_examples_per_second": examples / seconds, "val_accuracy": history.validation_accuracy,
            "dev_accuracy": result.dev_evaluation.accuracy, "dev_loss": result.dev_evaluation.loss,
            "peak_rss_gib": peak_rss_gib(), "machine": machine(),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def markdown(result: dict, command: str) -> str:
    machine_info = result["machine"]
    return f"""# Full run: {result['profile']}

Written by `{command}` ({result['finished']}).

- Machine: {machine_info['cpu']}, {machine_info['cores']} cores, {machine_info['memory_gib']:.0f} GiB, {machine_info['gpus']} GPUs; TensorFlow {machine_info['tensorflow']}, transformers {machine_info['transformers']}
- Device: {result['device']}; model: {result['model']}; seed {result['seed']}
- Notebook 05's parameters: `{json.dumps(result['parameters'])}`
- Options: `{json.dumps(result['options'])}`; overridden on the command line: `{json.dumps(result['overrides'])}`

| training examples | epochs run (best) | minutes (training + per-epoch validation) | examples/s | dev accuracy | peak RSS GiB |
|---|---|---|---|---|---|
| {result['train_examples']:,} | {result['epochs_run']} ({result['best_epoch']}) | {result['minutes_with_validation']:.1f} | {result['train_examples_per_second']:.1f} | {result['dev_accuracy']:.4f} | {result['peak_rss_gib']:.2f} |

Expected: {result['expected']}.
"""


def file_name(profile: str, overrides: dict, options: dict | None = None) -> str:
    """``full_run_<profile>`` followed by each command-line override and option, e.g. ``full_run_cpu-epoch_seed-1``.

    Parameters come first in their command-line order, then options, then the seed last, so runs that
    differ only in their seed sort together.
    """
    given = {**{k: v for k, v in overrides.items() if k != "seed"}, **(options or {}),
             **({"seed": overrides["seed"]} if "seed" in overrides else {})}
    parts = [f"{key}-{value}".replace("/", "-") for key, value in given.items()]  # a hub id has a slash
    return "_".join([f"full_run_{profile}"] + parts)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", choices=PROFILES, required=True)
    parser.add_argument("--model", help="override the profile's model")
    parser.add_argument("--epochs", help="override the profile's epochs")
    parser.add_argument("--examples", help="override: training examples (0 = all), for a dry run")
    parser.add_argument("--batch-size", help="override the profile's batch size")
    parser.add_argument("--learning-rate", help="override the profile's peak learning rate")
    parser.add_argument("--seed", type=seed_argument,
                        help="override notebook 05's seed (default 0): the subset, the head, dropout, batch order")
    parser.add_argument("--length-pool-batches", type=int,
                        help="override: batches sorted together by length (fine_tune's length_pool_batches)")
    return parser


def overrides_from(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[dict, dict]:
    """The values given on the command line, checked: ``(parameter overrides, option overrides)``."""
    flags = {"model": "--model", "epochs": "--epochs", "num_train_examples": "--examples",
             "batch_size": "--batch-size", "learning_rate": "--learning-rate", "seed": "--seed"}
    given = {name: getattr(args, flag[2:].replace("-", "_")) for name, flag in flags.items()}
    overrides = check_notebook_05_values(parser, {k: v for k, v in given.items() if v is not None}, flags)
    if args.length_pool_batches is not None and args.length_pool_batches < 1:
        parser.error(f"argument --length-pool-batches: must be >= 1, got {args.length_pool_batches}")
    options = {} if args.length_pool_batches is None else {"length_pool_batches": args.length_pool_batches}
    return overrides, options


def main(argv=None) -> None:
    parser = make_parser()
    args = parser.parse_args(argv)
    overrides, options = overrides_from(parser, args)
    try:
        prepared = prepare(args.profile, overrides, options)
    except ValueError as error:  # a parameter out of range, a model not found: one line, before training
        parser.error(str(error))
    result = run(args.profile, prepared, overrides)
    name = file_name(args.profile, overrides, options)
    RESULTS_DIR.mkdir(exist_ok=True)
    command = "python -m benchmarks.full_run " + shlex.join(argv if argv is not None else sys.argv[1:])
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, indent=1))
    (RESULTS_DIR / f"{name}.md").write_text(markdown(result, command))
    print(markdown(result, command))
    if math.isnan(result["dev_loss"]):
        raise SystemExit("the dev loss is NaN: training diverged")


if __name__ == "__main__":
    main()
