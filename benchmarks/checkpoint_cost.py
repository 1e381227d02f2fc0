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
checkpointed model saves one checkpoint, timed on its own: the part training
waits for (the copy of the values in memory) and, after waiting for it, the
whole write (done in the background during training). The cost of
checkpointing in a run is then

    (checkpointed step time - plain step time) × steps + saves × seconds per save,

with the saves of notebook 05's default run: one every ``checkpoint_every``
steps within an epoch, one at each epoch's end, and the best epoch's weights
(model only) when an epoch improves. A save costs training between the copy
(if the background write takes nothing from training) and the whole write
(if it stopped training): both bounds are reported.
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
    save_seconds, write_seconds, position = [], [], 0
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
        saver.save(state)  # training waits for this part: the copy of the values
        copied = time.perf_counter() - started
        saver.finish()  # the rest is written in the background during training; timed here whole
        if round_index >= 0:
            save_seconds.append(copied)
            write_seconds.append(time.perf_counter() - started)
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
            "seconds": seconds, "tokens": tokens, "save_seconds": save_seconds, "write_seconds": write_seconds,
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
    save_s, write_s = statistics.median(raw["save_seconds"]), statistics.median(raw["write_seconds"])
    plain_run = run_steps * step_seconds["plain"]
    best = params["epochs"] * raw["best_save_seconds"]  # at most one best save per epoch, written at once
    # Lower bound: training waits only for the copies; upper bound: as if every write stopped training.
    low = run_steps * step_seconds["checkpointed"] + saves * save_s + best
    high = run_steps * step_seconds["checkpointed"] + saves * write_s + best
    return {"step_seconds": step_seconds, "tokens_per_second": tokens_per_second,
            "step_time_ratio_median_block": statistics.median(per_block),
            "save_seconds_median": save_s, "save_seconds_all": raw["save_seconds"],
            "write_seconds_median": write_s, "write_seconds_all": raw["write_seconds"],
            "default_run": {"steps": run_steps, "full_checkpoints": saves, "best_saves_at_most": params["epochs"],
                            "plain_seconds": plain_run, "checkpointed_seconds": [low, high],
                            "slower_by": [low / plain_run - 1, high / plain_run - 1],
                            "tokens_per_second_plain": tokens_per_second["plain"],
                            "tokens_per_second_checkpointed": [tokens_per_second["plain"] * plain_run / high,
                                                               tokens_per_second["plain"] * plain_run / low]},
            "checkpoint_MiB": raw["checkpoint_bytes"] / 2**20, "best_weights_MiB": raw["best_bytes"] / 2**20}


def markdown(raw: dict, summary: dict, when: str) -> str:
    run, params = summary["default_run"], raw["params"]
    return "\n".join([
        "# What checkpointing costs (benchmarks/checkpoint_cost.py)", "",
        f"Measured {when} on the 2-core CPU shared with other work (run under `nice -n 10`): absolute "
        "speeds are inflated by the contention; the ratios are measured side by side, in alternating blocks "
        f"of {raw['block_steps']} steps ({raw['rounds']} rounds, after a warm-up block), on the same batches.",
        f"Recipe: notebook 05's defaults ({params['model']}, batch {params['batch_size']}, "
        f"{params['num_train_examples']:,} examples, {params['epochs']} epochs = {run['steps']} steps, "
        f"checkpoint_every {params['checkpoint_every']}).", "",
        "| | step s | real tokens/s |", "|---|---:|---:|",
        f"| plain (no checkpoints) | {summary['step_seconds']['plain']:.3f} | {summary['tokens_per_second']['plain']:.0f} |",
        f"| checkpointed step (saved dropout generators), saves excluded | {summary['step_seconds']['checkpointed']:.3f} "
        f"| {summary['tokens_per_second']['checkpointed']:.0f} |", "",
        f"- median ratio of block times, checkpointed ÷ plain: {summary['step_time_ratio_median_block']:.3f}",
        f"- one checkpoint (weights, Adam's m and v, generators, state): {summary['checkpoint_MiB']:.0f} MiB on "
        f"disk; training waits {summary['save_seconds_median']:.2f} s for the in-memory copy, the background "
        f"write takes {summary['write_seconds_median']:.2f} s in all (medians of {len(summary['save_seconds_all'])}); "
        f"the best epoch's weights (model only, written at once): {summary['best_weights_MiB']:.0f} MiB; "
        f"{checkpoints.KEEP_CHECKPOINTS} checkpoints are kept, and 2 best",
        f"- the default run: {run['full_checkpoints']} checkpoints and at most {run['best_saves_at_most']} best "
        f"saves over {run['steps']} steps: {run['plain_seconds']:.0f} s plain against "
        f"{run['checkpointed_seconds'][0]:.0f} to {run['checkpointed_seconds'][1]:.0f} s checkpointed, "
        f"**{100 * run['slower_by'][0]:.1f}% to {100 * run['slower_by'][1]:.1f}% slower** (the first if the "
        "background writes cost training nothing, the second if they stopped it; "
        f"{run['tokens_per_second_plain']:.0f} against {run['tokens_per_second_checkpointed'][0]:.0f} to "
        f"{run['tokens_per_second_checkpointed'][1]:.0f} real tokens/s; aim: under 3%)", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=8, help="alternating blocks per condition")
    parser.add_argument("--block-steps", type=int, default=10, help="steps per block")
    parser.add_argument("--warmup-steps", type=int, default=4, help="untimed steps per condition first")
    args = parser.parse_args()
    raw = measure(args.rounds, args.block_steps, args.warmup_steps)
    summary = summarise(raw)
    when = time.strftime("%Y-%m-%d", time.gmtime())
    text = markdown(raw, summary, when)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    atomic.write_text(RESULTS / "checkpoint_cost.md", text)
    atomic.write_text(RESULTS / "checkpoint_cost.json",
                      json.dumps({"date": when, "raw": raw, "summary": summary}, indent=2) + "\n")


if __name__ == "__main__":
    main()
