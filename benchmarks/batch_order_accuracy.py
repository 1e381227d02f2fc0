"""Does grouping batches by length cost dev accuracy? Several seeds, the same train step.

    python -m benchmarks.batch_order_accuracy      # 3,200 examples, seeds 0-5 (its duration: README, Benchmarks)
    python -m benchmarks.batch_order_accuracy --seed 6   # seeds 6-11, written to batch_order_accuracy_seed-6.md

``fine_tune_speed`` compares recipes on one seed, and one run's dev accuracy
moves by about a point with the seed alone. This script isolates the one
thing about finetune_lab's loop that changes *what* is trained, the order
of the examples, and repeats it over seeds. Every run is notebook 05's
recipe (``recipe.prepare``: the seeded sample, the model and its head, the
optimizer, notebook 05's defaults) with one pass and the same compiled train
step (``fine_tune.make_train_step``); only ``batches.training_order``
differs:

- ``random``: random batches (what the seed's and Hugging Face's recipes do);
- ``poolK``: length-grouped batches from shuffled pools of K batches
  (finetune_lab's default is K = 50; smaller K pads more, but batches are
  more random).

Writes ``benchmarks/results/batch_order_accuracy.md`` (and ``.json``): dev
accuracy per seed, the mean, the paired difference to ``random`` and the
share of real tokens among padded ones.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from datetime import datetime, timezone

from benchmarks.fine_tune_speed import RESULTS_DIR, check_notebook_05_values, seed_argument, seeded_name


def train_once(order_name: str, seed: int, overrides: dict) -> dict:
    """One pass over a seeded sample with one batch order; dev accuracy and padding.

    Args:
        overrides: notebook 05's parameters set on the command line (examples, learning rate).
    """
    from finetune_lab.pretrained import batches, fine_tune, inference, recipe

    # One pass, nothing chosen: the whole sample trains (validate_on_dev) and dev scores it.
    prepared = recipe.prepare({**overrides, "model": "minilm", "epochs": 1, "seed": seed},
                              validate_on_dev=True, mixed_precision=False)
    model, tokenizer, train = prepared.model, prepared.tokenizer, prepared.train
    batch_size = prepared.params["batch_size"]
    # The loop stays here, written out: recipe.fit's loop always groups batches by length, and this
    # benchmark also needs random batches (group_by_length=False), with nothing else different.
    step = fine_tune.make_train_step(model, prepared.optimizer)
    grouped = order_name != "random"
    order = batches.training_order(train.lengths, batch_size, seed=seed * 1000 + 1, group_by_length=grouped,
                                   pool_batches=int(order_name[4:]) if grouped else 1)
    started = time.perf_counter()
    for indices in order:
        step(*batches.pad_batch(tokenizer, train, indices))
    padded = sum(len(indices) * int(train.lengths[indices].max()) for indices in order)
    return {"order": order_name, "seed": seed, "parameters": prepared.params,
            "dev_accuracy": inference.evaluate(model, tokenizer, prepared.dev).accuracy,
            "real_over_padded": float(train.lengths.sum()) / padded, "seconds": time.perf_counter() - started}


def summary_lines(runs: list[dict], orders: list[str]) -> list[str]:
    by = {(run["order"], run["seed"]): run for run in runs}
    seeds = sorted({run["seed"] for run in runs})
    lines = ["| batch order | " + " | ".join(f"seed {s}" for s in seeds)
             + " | mean | mean paired difference to random (points) | real / padded tokens | training s per run |",
             "|---|" + "---|" * (len(seeds) + 4)]
    for order in orders:
        accuracies = [by[order, s]["dev_accuracy"] for s in seeds]
        if "random" in orders and order != "random":
            differences = [100 * (by[order, s]["dev_accuracy"] - by["random", s]["dev_accuracy"]) for s in seeds]
            spread = statistics.stdev(differences) / len(differences) ** 0.5 if len(differences) > 1 else 0.0
            difference = f"{statistics.mean(differences):+.2f} ± {spread:.2f}"
        else:
            difference = "–"
        padding = statistics.mean(by[order, s]["real_over_padded"] for s in seeds)
        seconds = statistics.mean(by[order, s]["seconds"] for s in seeds)
        lines.append(f"| {order} | " + " | ".join(f"{a:.4f}" for a in accuracies)
                     + f" | {statistics.mean(accuracies):.4f} | {difference} | {padding:.0%} | {seconds:.0f} |")
    return lines


def parse_arguments(argv=None) -> tuple[argparse.Namespace, dict]:
    """The command line, checked: ``(args, notebook 05's parameters it overrides)``; ``args.seeds`` is filled in."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", default=3200,
                        help="SST-2 training examples per seed, one pass (default %(default)s)")
    parser.add_argument("--seed", type=seed_argument,
                        help="the first seed (default 0); run i of --num-seeds uses seed + i. Given, the "
                             "results' file name says it")
    parser.add_argument("--num-seeds", type=int, default=6, help="seeds in a row (default %(default)s)")
    parser.add_argument("--orders", default="random,pool50,pool8",
                        help="'random' and/or 'poolK' (length-grouped pools of K batches) (default %(default)s)")
    parser.add_argument("--learning-rate", help="peak learning rate (default: notebook 05's)")
    parser.add_argument("--name", help="output name in benchmarks/results/ (default batch_order_accuracy, "
                                       "batch_order_accuracy_seed-N with --seed N)")
    args = parser.parse_args(argv)
    args.name = args.name or seeded_name("batch_order_accuracy", args.seed)
    if args.num_seeds < 1:
        parser.error(f"argument --num-seeds: must be >= 1, got {args.num_seeds}")
    args.seeds = list(range(args.seed or 0, (args.seed or 0) + args.num_seeds))
    for order in args.orders.split(","):
        if order != "random" and not (order.startswith("pool") and order[4:].isdigit() and int(order[4:]) >= 1):
            parser.error(f"argument --orders: unknown batch order {order!r}: use 'random' or 'poolK' with K >= 1 "
                         f"batches, e.g. --orders random,pool50,pool8")
    given = {"num_train_examples": args.examples, "learning_rate": args.learning_rate, "seed": args.seeds[-1]}
    flags = {"num_train_examples": "--examples", "learning_rate": "--learning-rate", "seed": "--seed"}
    overrides = check_notebook_05_values(parser, {k: v for k, v in given.items() if v is not None}, flags)
    del overrides["seed"]  # checked for the last seed of the row; each run sets its own
    return args, overrides


def main(argv=None) -> None:
    args, overrides = parse_arguments(argv)
    orders = args.orders.split(",")
    import finetune_lab  # noqa: F401  (before TensorFlow: Keras 2, quiet start-up)

    runs = []
    for seed in args.seeds:
        for order in orders:
            runs.append(train_once(order, seed, overrides))
            print(json.dumps(runs[-1]), flush=True)
    command = "python -m benchmarks.batch_order_accuracy " + shlex.join(argv if argv is not None else sys.argv[1:])
    params = runs[0]["parameters"]
    text = (f"# Batch order and dev accuracy\n\nWritten by `{command}` "
            f"({datetime.now(timezone.utc).isoformat(timespec='seconds')}).\n\n"
            f"MiniLM, {params['num_train_examples']:,} SST-2 training examples per "
            f"seed (seeded sample), one pass, batch size {params['batch_size']}, peak learning rate "
            f"{params['learning_rate']:g}, seeds {args.seeds[0]} to {args.seeds[-1]}, notebook 05's recipe "
            f"(finetune_lab's compiled step and optimizer) for every run; dev accuracy on all 872 SST-2 dev "
            f"examples. ± is the standard error of the mean paired difference over seeds.\n\n"
            + "\n".join(summary_lines(runs, orders)) + "\n")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{args.name}.md").write_text(text)
    (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(runs, indent=1))
    print(text)


if __name__ == "__main__":
    main()
