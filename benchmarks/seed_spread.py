"""How much does notebook 05's result move with the seed alone? Its default recipe, several seeds.

    python -m benchmarks.seed_spread                      # seeds 0-4, the [CLS] head (notebook 05's)
    python -m benchmarks.seed_spread --seeds 0 1 2        # fewer seeds
    python -m benchmarks.seed_spread --head mean          # the mean-pooling head, written to seed_spread_head-mean
    python -m benchmarks.seed_spread --split random       # the old random split, written to seed_spread_split-random

Each run is notebook 05's recipe with its defaults (``finetune_lab.pretrained.recipe``:
the seeded subset, the validation split, the model and its new head, AdamW
with warm-up and decay, early stopping on validation) and one change, the
``seed`` parameter, which fixes the subset, the split, the head's
initialisation, dropout and the batch order. Training writes epoch-end
checkpoints to a temporary folder, as notebook 05 does: with checkpoints,
dropout draws its masks from seeded generators
(``pretrained.checkpoints.resumable_dropout``), so a seed here gives the
notebook's run. ``--head mean`` puts
``models.mean_pooling_classifier`` on the same encoder instead of the [CLS]
head (the optimizer is built before the first step, so it trains the new head).
``--split random`` splits validation from the subset at random, as the recipe
did before the grouped split (data/README.md, "Data protocol"): phrases of one
sentence then land on both sides, and the gap between validation and dev
accuracy shows what that leak did.

Writes ``benchmarks/results/seed_spread.md`` (and ``.json``), rewritten after
every seed so that an interrupted run keeps what it measured: per seed the
best epoch, its validation accuracy, dev accuracy and loss; over seeds the
mean, the sample standard deviation (ddof = 1) and the range. Notebook 05
reads the JSON. One run takes about 2 minutes on an idle 2-core CPU.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone

from benchmarks.fine_tune_speed import RESULTS_DIR, machine, seed_argument
from finetune_lab import atomic

HEADS = ("cls", "mean")
SPLITS = ("grouped", "random")


def split_at_random(prepared) -> None:
    """Replace the recipe's grouped validation split by the old random one of the same subset; rebuild the optimizer.

    The same calls as the recipe before the grouped split: ``data.subsample``,
    then ``data.train_validation_split`` without groups.
    """
    from finetune_lab import data
    from finetune_lab.pretrained import batches, recipe

    params = prepared.params
    texts, labels = data.subsample(*recipe.load_dataset(params).train, params["num_train_examples"], params["seed"])
    fit_texts, fit_labels, val_texts, val_labels = data.train_validation_split(
        texts, labels, params["validation_fraction"], params["seed"])
    prepared.train = batches.encode(prepared.tokenizer, fit_texts, fit_labels, params["max_seq_len"])
    prepared.validation = batches.encode(prepared.tokenizer, val_texts, val_labels, params["max_seq_len"])
    prepared.optimizer, prepared.schedule = recipe.make_optimizer(params, len(prepared.train), prepared.hardware)


def train_once(seed: int, head: str, split: str = "grouped") -> dict:
    """Notebook 05's default recipe with ``seed``; what it measured on validation and dev."""
    import finetune_lab  # noqa: F401  (Keras 2 and a quiet TensorFlow start-up)
    from finetune_lab.pretrained import inference, models, recipe

    started = time.perf_counter()
    checkpoints = tempfile.TemporaryDirectory(prefix="seed_spread_")
    prepared = recipe.prepare({"seed": seed}, mixed_precision=False, progress=False,
                              checkpoint_dir=checkpoints.name)
    if split == "random":
        split_at_random(prepared)
    if head == "mean":
        prepared.model = models.mean_pooling_classifier(prepared.model)
    with checkpoints:
        history = recipe.fit(prepared)
    dev = inference.evaluate(prepared.model, prepared.tokenizer, prepared.dev)
    best = history.best_epoch
    return {"seed": seed, "best_epoch": best, "epochs_run": history.epochs_run,
            "validation_accuracy": history.validation_accuracy[best - 1],
            "validation_examples": len(prepared.validation), "dev_accuracy": dev.accuracy, "dev_loss": dev.loss,
            "dev_examples": len(prepared.dev), "minutes": (time.perf_counter() - started) / 60,
            "model": prepared.load_info.name, "device": prepared.hardware.describe()}


def spread(values: list[float]) -> dict:
    """Mean, sample standard deviation (ddof = 1; None for one value), minimum and maximum."""
    return {"mean": statistics.fmean(values), "sd": statistics.stdev(values) if len(values) > 1 else None,
            "min": min(values), "max": max(values), "n": len(values)}


def summary(runs: list[dict], head: str, command: str, split: str = "grouped") -> dict:
    from finetune_lab.pretrained import recipe

    return {"command": command, "head": head, "split": split, "parameters": recipe.parameters(), "runs": runs,
            "dev_accuracy": spread([run["dev_accuracy"] for run in runs]),
            "validation_accuracy": spread([run["validation_accuracy"] for run in runs]),
            "gap": spread([run["validation_accuracy"] - run["dev_accuracy"] for run in runs]),
            "machine": machine(), "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def markdown(result: dict) -> str:
    def line(name: str, stats: dict) -> str:
        sd = "n/a" if stats["sd"] is None else f"{stats['sd']:.4f}"
        return f"| {name} | {stats['mean']:.4f} | {sd} | {stats['min']:.4f} – {stats['max']:.4f} | {stats['n']} |"

    rows = "\n".join(f"| {r['seed']} | {r['epochs_run']} ({r['best_epoch']}) | {r['validation_accuracy']:.4f} | "
                     f"{r['dev_accuracy']:.4f} | {r['dev_loss']:.4f} | {r['minutes']:.1f} |" for r in result["runs"])
    m = result["machine"]
    split_words = ("the recipe's split, grouped by source sentence" if result.get("split", "grouped") == "grouped"
                   else "at random, the old leaky split")
    return f"""# Seed spread of notebook 05's recipe ({result['head']} head, {result.get('split', 'grouped')} validation split)

Written by `{result['command']}` ({result['finished']}).

- Machine: {m['cpu']}, {m['cores']} cores; TensorFlow {m['tensorflow']}, transformers {m['transformers']}
- Model: {result['runs'][0]['model']}; device: {result['runs'][0]['device']}
- Notebook 05's default parameters, the seed changed: `{json.dumps(result['parameters'])}`
- Validation: {result['runs'][0]['validation_examples']} examples split from the training subset ({split_words});
  dev: {result['runs'][0]['dev_examples']} sentences. Minutes include loading and evaluation, on a
  machine shared with other work (timings inflated).

| seed | epochs run (best) | validation accuracy (best epoch) | dev accuracy | dev loss | minutes |
|---|---|---|---|---|---|
{rows}

| over seeds | mean | sd (ddof = 1) | range | seeds |
|---|---|---|---|---|
{line("dev accuracy", result["dev_accuracy"])}
{line("validation accuracy", result["validation_accuracy"])}
{line("validation − dev", result["gap"])}
"""


def file_name(head: str, split: str = "grouped") -> str:
    """``seed_spread``, with ``_head-mean`` and ``_split-random`` for the non-default choices."""
    return "seed_spread" + ("" if head == "cls" else f"_head-{head}") + ("" if split == "grouped" else f"_split-{split}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=seed_argument, nargs="+", default=[0, 1, 2, 3, 4],
                        help="the seeds to run (default 0 1 2 3 4)")
    parser.add_argument("--head", choices=HEADS, default="cls",
                        help="cls: notebook 05's [CLS] classifier; mean: models.mean_pooling_classifier")
    parser.add_argument("--split", choices=SPLITS, default="grouped",
                        help="grouped: the recipe's split by source sentence; random: the old, leaky one")
    args = parser.parse_args(argv)
    if len(set(args.seeds)) != len(args.seeds):
        parser.error(f"argument --seeds: each seed once, got {args.seeds}")
    command = "python -m benchmarks.seed_spread " + shlex.join(argv if argv is not None else sys.argv[1:])
    runs, name = [], file_name(args.head, args.split)
    RESULTS_DIR.mkdir(exist_ok=True)
    for seed in args.seeds:
        runs.append(train_once(seed, args.head, args.split))
        result = summary(runs, args.head, command, args.split)
        atomic.write_text(RESULTS_DIR / f"{name}.json", json.dumps(result, indent=1))
        atomic.write_text(RESULTS_DIR / f"{name}.md", markdown(result))
        print(f"seed {seed}: dev accuracy {runs[-1]['dev_accuracy']:.4f}, validation "
              f"{runs[-1]['validation_accuracy']:.4f} ({runs[-1]['minutes']:.1f} min)", flush=True)
    print(markdown(result))


if __name__ == "__main__":
    main()
