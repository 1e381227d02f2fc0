"""What checkpointing costs: tokens/s with and without it, side by side, and a checkpoint's size.

    nice -n 10 .venv/bin/python -m benchmarks.checkpoint_cost            # notebook 05's defaults
    python -m benchmarks.checkpoint_cost --rounds 4 --block-steps 5       # a quick look

Writes ``benchmarks/results/checkpoint_cost.md`` and ``.json``.

What is compared, on notebook 05's recipe (``recipe.prepare``, its defaults:
MiniLM, batch 32, the seeded SST-2 subset):

- ``plain``: ``fine_tune``'s step without checkpoints (tf-keras's own dropout);
- ``checkpointed``: the same step on a second, identically seeded model whose
  dropout draws from saved generators (``checkpoints.resumable_dropout``, what
  ``fine_tune`` does when given a ``checkpoint_dir``), plus the checkpoints
  themselves (``checkpoints.Checkpoints.save``: weights, Adam's slots,
  generators and the loop's state).

How: one process holds both models; they take turns, ``--block-steps``
steps each, for ``--rounds`` rounds, on the same batches, so whatever else
runs on the machine slows both alike (the ratio is what counts on a shared
machine, not the absolute tokens/s). After each of its blocks the
checkpointed model saves one checkpoint, timed on its own (the run's first
save separately: it includes one-time set-up). The cost of checkpointing in
a run is then

    (checkpointed step time - plain step time) × steps + first save + later saves + best-weight saves,

with the saves of notebook 05's default run (``checkpoint_every``: one at
each epoch's end, plus one every ``checkpoint_every`` steps within an epoch
if > 0) and the best epoch's weights (model only) when an epoch improves;
also for ``checkpoint_every=100`` for comparison.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import finetune_lab.pretrained  # noqa: F401  (Keras 2 for transformers, before TensorFlow loads)
import numpy as np

from finetune_lab import atomic
from finetune_lab.pretrained import checkpoints, fine_tune, models, recipe
from finetune_lab.pretrained.batches import pad_batch, training_order
from finetune_lab.pretrained.device import set_seed
from finetune_lab.early_stopping import History

RESULTS = Path(__file__).parent / "results"


def folder_bytes(paths) -> int:
    return sum(path.stat().st_size for path in paths if path.is_file())


def default_run_saves(steps_per_epoch: int, epochs: int, checkpoint_every: int) -> int:
    """Full checkpoints in a run of ``fine_tune``: every ``checkpoint_every`` steps (not at an epoch's end), and epoch ends."""
    total = steps_per_epoch * epochs
    within = sum(1 for step in range(1, total + 1)
                 if checkpoint_every and step % checkpoint_every == 0 and step % steps_per_epoch)
    return within + epochs


def measure(rounds: int, block_steps: int, warmup_steps: int) -> dict:
    params = recipe.parameters()
    prepared = recipe.prepare(params, progress=False)
    set_seed(params["seed"])
    second, _, _ = models.load_classifier(params["model"], gpu_available=False, class_names=prepared.class_names)
    second.set_weights(prepared.model.get_weights())  # the same head as the plain model
    optimizer, _ = recipe.make_optimizer(params, len(prepared.train), prepared.hardware)
    folder = Path(tempfile.mkdtemp(prefix="checkpoint_cost_"))
    saver = checkpoints.Checkpoints(folder, second, optimizer, checkpoints.resumable_dropout(second, params["seed"]))
    steps = {"plain": fine_tune.make_train_step(prepared.model, prepared.optimizer),
             "checkpointed": fine_tune.make_train_step(second, optimizer)}
    order = training_order(prepared.train.lengths, params["batch_size"], seed=params["seed"] * 1000 + 1)
    seconds = {name: [] for name in steps}
    tokens = {name: 0 for name in steps}
    save_seconds, position = [], 0
    for round_index in range(-1, rounds):  # round -1: warm-up (tracing), not counted
        block = order[position:position + (warmup_steps if round_index < 0 else block_steps)]
        position += len(block)
        for name, step in steps.items():
            started = time.perf_counter()
            for indices in block:
                float(step(*pad_batch(prepared.tokenizer, prepared.train, indices)))
            if round_index >= 0:
                seconds[name].append(time.perf_counter() - started)
                tokens[name] += int(sum(prepared.train.lengths[indices].sum() for indices in block))
        state = checkpoints.TrainingState(0, position, [b.tolist() for b in order], vars(History()),
                                          {"best_score": -math.inf, "best_epoch": 0, "waited": 0}, False)
        started = time.perf_counter()
        saver.save(state)
        save_seconds.append(time.perf_counter() - started)  # [0]: the first save, after the warm-up
    saver.save_best(1)
    latest = Path(saver.latest)
    checkpoint_bytes = folder_bytes(latest.parent.glob(latest.name + ".*"))
    best_bytes = folder_bytes((folder / "best").glob("ckpt-1.*"))
    started = time.perf_counter()
    saver.save_best(2)
    best_save_seconds = time.perf_counter() - started
    steps_per_epoch = math.ceil(len(prepared.train) / params["batch_size"])
    return {"params": {k: params[k] for k in ("model", "batch_size", "epochs", "num_train_examples",
                                              "checkpoint_every", "seed")},
            "steps_per_epoch": steps_per_epoch, "rounds": rounds, "block_steps": block_steps,
            "seconds": seconds, "tokens": tokens, "save_seconds": save_seconds,
            "best_save_seconds": best_save_seconds,
            "checkpoint_bytes": checkpoint_bytes, "best_bytes": best_bytes,
            "parameters_count": int(sum(np.prod(w.shape) for w in second.get_weights()))}


def summarise(raw: dict) -> dict:
    steps = raw["rounds"] * raw["block_steps"]
    step_seconds = {name: sum(values) / steps for name, values in raw["seconds"].items()}
    tokens_per_second = {name: raw["tokens"][name] / sum(raw["seconds"][name]) for name in raw["seconds"]}
    per_block = [c / p for p, c in zip(raw["seconds"]["plain"], raw["seconds"]["checkpointed"])]
    params = raw["params"]
    run_steps = raw["steps_per_epoch"] * params["epochs"]
    saves = default_run_saves(raw["steps_per_epoch"], params["epochs"], params["checkpoint_every"])
    first, later = raw["save_seconds"][0], statistics.median(raw["save_seconds"][1:])
    plain_run = run_steps * step_seconds["plain"]

    def run_cost(checkpoint_every: int) -> dict:
        saves = default_run_saves(raw["steps_per_epoch"], params["epochs"], checkpoint_every)
        seconds = (run_steps * step_seconds["checkpointed"] + first + (saves - 1) * later
                   + params["epochs"] * raw["best_save_seconds"])  # at most one best save per epoch
        saving = seconds - run_steps * step_seconds["checkpointed"]
        return {"checkpoint_every": checkpoint_every, "checkpoints": saves, "best_saves_at_most": params["epochs"],
                "seconds": seconds, "slower_by": seconds / plain_run - 1, "saves_share": saving / plain_run,
                "tokens_per_second": tokens_per_second["plain"] * plain_run / seconds}

    return {"step_seconds": step_seconds, "tokens_per_second": tokens_per_second,
            "step_time_ratio": step_seconds["checkpointed"] / step_seconds["plain"],
            "step_time_ratio_median_block": statistics.median(per_block),
            "first_save_seconds": first, "save_seconds_median": later, "save_seconds_all": raw["save_seconds"],
            "run_steps": run_steps, "plain_run_seconds": plain_run,
            "default_run": run_cost(params["checkpoint_every"]), "every_100_steps": run_cost(100),
            "checkpoint_MiB": raw["checkpoint_bytes"] / 2**20, "best_weights_MiB": raw["best_bytes"] / 2**20}


def markdown(raw: dict, summary: dict, when: str) -> str:
    params = raw["params"]

    def cost_line(name: str, run: dict) -> str:
        return (f"- {name} (checkpoint_every={run['checkpoint_every']}): {run['checkpoints']} checkpoints and at most "
                f"{run['best_saves_at_most']} best saves in {summary['run_steps']} steps: "
                f"{summary['plain_run_seconds']:.0f} s plain against {run['seconds']:.0f} s checkpointed, "
                f"**{100 * run['slower_by']:.1f}% slower** ({summary['tokens_per_second']['plain']:.0f} against "
                f"{run['tokens_per_second']:.0f} real tokens/s; aim: under 3%); the saves alone take "
                f"{100 * run['saves_share']:.1f}% of the plain run's time, the rest is the step-time difference")

    return "\n".join([
        "# What checkpointing costs (benchmarks/checkpoint_cost.py)", "",
        f"Measured {when} on the 2-core CPU shared with other work (run under `nice -n 10`): absolute "
        "speeds and save times are inflated by the contention; the step times are measured side by side, in "
        f"alternating blocks of {raw['block_steps']} steps ({raw['rounds']} rounds, after a warm-up block), "
        f"on the same batches. Recipe: notebook 05's defaults ({params['model']}, batch {params['batch_size']}, "
        f"{params['num_train_examples']:,} examples, {params['epochs']} epochs = {summary['run_steps']} steps).", "",
        "| | step s | real tokens/s |", "|---|---:|---:|",
        f"| plain (no checkpoints) | {summary['step_seconds']['plain']:.3f} | {summary['tokens_per_second']['plain']:.0f} |",
        f"| checkpointed step (saved dropout generators), saves excluded | {summary['step_seconds']['checkpointed']:.3f} "
        f"| {summary['tokens_per_second']['checkpointed']:.0f} |", "",
        f"- step time, checkpointed ÷ plain: {summary['step_time_ratio']:.3f} over all blocks "
        f"(median of the per-block ratios {summary['step_time_ratio_median_block']:.3f}: blocks vary a lot here)",
        f"- one checkpoint (weights, Adam's m and v, dropout generators, the loop's state): "
        f"{summary['checkpoint_MiB']:.0f} MiB on disk, {summary['save_seconds_median']:.2f} s to save (median of "
        f"{len(summary['save_seconds_all']) - 1}; the run's first save {summary['first_save_seconds']:.2f} s); the "
        f"best epoch's weights (model only): {summary['best_weights_MiB']:.0f} MiB, "
        f"{raw['best_save_seconds']:.2f} s; {checkpoints.KEEP_CHECKPOINTS} checkpoints are kept, and 2 best",
        cost_line("the default run", summary["default_run"]),
        cost_line("for comparison", summary["every_100_steps"]), ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="alternating blocks per condition")
    parser.add_argument("--block-steps", type=int, default=10, help="steps per block")
    parser.add_argument("--warmup-steps", type=int, default=4, help="untimed steps per condition first")
    parser.add_argument("--from-json", action="store_true", help="rewrite the results from the committed .json")
    args = parser.parse_args()
    if args.from_json:
        stored = json.loads((RESULTS / "checkpoint_cost.json").read_text())
        raw, when = stored["raw"], stored["date"]
    else:
        raw, when = measure(args.rounds, args.block_steps, args.warmup_steps), time.strftime("%Y-%m-%d", time.gmtime())
    summary = summarise(raw)
    text = markdown(raw, summary, when)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    atomic.write_text(RESULTS / "checkpoint_cost.md", text)
    atomic.write_text(RESULTS / "checkpoint_cost.json",
                      json.dumps({"date": when, "raw": raw, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
