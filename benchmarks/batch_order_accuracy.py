"""Does grouping batches by length cost dev accuracy? Several seeds, the same train step.

    python -m benchmarks.batch_order_accuracy      # 3,200 examples, seeds 0-5: about 30 minutes on 2 cores

``fine_tune_speed`` compares recipes on one seed, and one run's dev accuracy
moves by about a point with the seed alone. This script isolates the one
thing about finetune_lab's loop that changes *what* is trained, the order
of the examples, and repeats it over seeds. Every run uses the same
compiled train step and optimizer (``fine_tune.make_train_step``,
``make_optimizer``), the same seeded sample and head initialisation per
seed, and one pass; only ``batches.training_order`` differs:

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

from benchmarks.fine_tune_speed import RESULTS_DIR


def train_once(order_name: str, seed: int, examples: int, learning_rate: float) -> dict:
    """One pass over a seeded sample with one batch order; dev accuracy and padding."""
    from finetune_lab.pretrained import batches, device, fine_tune, models
    from finetune_lab import data

    device.set_seed(seed)
    texts, labels = data.subsample(*data.load_sst2("train"), examples, seed)
    model, tokenizer, _ = models.load_classifier("minilm")
    train = batches.encode(tokenizer, texts, labels)
    dev = batches.encode(tokenizer, *data.load_sst2("dev"))
    optimizer, _ = fine_tune.make_optimizer(learning_rate, fine_tune.num_train_steps(examples, 32, 1), 0.1, 0.01)
    step = fine_tune.make_train_step(model, optimizer)
    grouped = order_name != "random"
    order = batches.training_order(train.lengths, 32, seed=seed * 1000 + 1, group_by_length=grouped,
                                   pool_batches=int(order_name[4:]) if grouped else 1)
    started = time.perf_counter()
    for indices in order:
        step(*batches.pad_batch(tokenizer, train, indices))
    padded = sum(len(indices) * int(train.lengths[indices].max()) for indices in order)
    return {"order": order_name, "seed": seed, "dev_accuracy": fine_tune.evaluate(model, tokenizer, dev).accuracy,
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=3200,
                        help="SST-2 training examples per seed, one pass (default %(default)s)")
    parser.add_argument("--seeds", default="0,1,2,3,4,5", help="comma-separated (default %(default)s)")
    parser.add_argument("--orders", default="random,pool50,pool8",
                        help="'random' and/or 'poolK' (length-grouped pools of K batches) (default %(default)s)")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="peak learning rate (default %(default)s)")
    parser.add_argument("--name", default="batch_order_accuracy",
                        help="output name in benchmarks/results/ (default %(default)s)")
    args = parser.parse_args(argv)
    orders = args.orders.split(",")
    for order in orders:
        if order != "random" and not (order.startswith("pool") and order[4:].isdigit() and int(order[4:]) >= 1):
            raise SystemExit(f"unknown batch order {order!r}: use 'random' or 'poolK' with K >= 1 batches, "
                             f"e.g. --orders random,pool50,pool8")
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds must be whole numbers separated by commas, e.g. 0,1,2; got {args.seeds!r}")
    import finetune_lab  # noqa: F401  (before TensorFlow: Keras 2, quiet start-up)
    from finetune_lab.pretrained import device

    device.configure_device(mixed_precision=False)
    runs = []
    for seed in seeds:
        for order in orders:
            runs.append(train_once(order, seed, args.examples, args.learning_rate))
            print(json.dumps(runs[-1]), flush=True)
    command = "python -m benchmarks.batch_order_accuracy " + shlex.join(argv if argv is not None else sys.argv[1:])
    lines = summary_lines(runs, orders)
    text = (f"# Batch order and dev accuracy\n\nWritten by `{command}` "
            f"({datetime.now(timezone.utc).isoformat(timespec='seconds')}).\n\n"
            f"MiniLM, {args.examples:,} SST-2 training examples per seed (seeded sample), one pass, batch size "
            f"32, peak learning rate {args.learning_rate:g}, finetune_lab's compiled step and optimizer for every "
            f"run; dev accuracy on all 872 SST-2 dev examples. ± is the standard error of the mean paired "
            f"difference over seeds.\n\n" + "\n".join(lines) + "\n")
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / f"{args.name}.md").write_text(text)
    (RESULTS_DIR / f"{args.name}.json").write_text(json.dumps(runs, indent=1))
    print(text)


if __name__ == "__main__":
    main()
