"""The table, the Markdown page and the plot of ``fine_tune_speed`` (issue 6)."""

from __future__ import annotations

import math
from pathlib import Path

# The figures to reach, checked on every run that has all three recipes.
TARGET_VERSUS_SEED = 8.0
TARGET_VERSUS_HUGGING_FACE = 2.0
TARGET_UTILISATION = 0.60
TARGET_ACCURACY_POINTS = 0.5

SHORT_NAMES = {"seed": "seed", "hugging_face": "HF", "finetune_lab": "finetune_lab"}


def references(result: dict) -> list[str]:
    """Recipes the others are divided by: the seed's and Hugging Face's, else (ablations) finetune_lab."""
    present = [s["recipe"] for s in result["summary"]]
    return [r for r in ("seed", "hugging_face") if r in present] or [r for r in ("finetune_lab",) if r in present]


def columns(result: dict) -> tuple[str, ...]:
    ratios = tuple(f"× {SHORT_NAMES[r]} (per CPU-s)" for r in references(result))
    return (("recipe", "examples/s", "real tokens/s") + ratios
            + ("real tokens / CPU-s", "real / padded tokens", "useful-FLOP utilisation (wall; per CPU-s)",
               "warm-up s", "peak RSS GiB (after load)", "dev accuracy"))


def _ratio(summary: dict, reference: dict) -> str:
    wall = summary["real_tokens_per_second"] / reference["real_tokens_per_second"]
    per_cpu = summary["real_tokens_per_cpu_second"] / reference["real_tokens_per_cpu_second"]
    return f"{wall:.2f} ({per_cpu:.2f})"


def table_rows(result: dict) -> list[tuple[str, ...]]:
    by_recipe = {s["recipe"]: s for s in result["summary"]}
    return [(s["recipe"], f"{s['examples_per_second']:.1f}", f"{s['real_tokens_per_second']:.0f}")
            + tuple(_ratio(s, by_recipe[r]) for r in references(result))
            + (f"{s['real_tokens_per_cpu_second']:.0f}", f"{s['padding_efficiency']:.0%}",
               f"{s['utilisation']:.0%}; {s['utilisation_per_cpu_second']:.0%}", f"{s['warmup_seconds']:.1f}",
               f"{s['peak_rss_gib']:.2f} ({s['rss_after_load_gib']:.2f})", f"{s['dev_accuracy']:.4f}")
            for s in result["summary"]]


def text_table(result: dict) -> str:
    rows = [columns(result)] + table_rows(result)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.rjust(width) for cell, width in zip(row, widths)) for row in rows)


def markdown_table(result: dict) -> str:
    lines = ["| " + " | ".join(columns(result)) + " |", "|" + "---|" * len(columns(result))]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in table_rows(result)])


def targets(result: dict) -> list[str]:
    """The issue's figures, each with the measured value and whether it is reached."""
    by_recipe = {s["recipe"]: s for s in result["summary"]}
    if not {"seed", "hugging_face", "finetune_lab"} <= set(by_recipe):
        return []
    ours = by_recipe["finetune_lab"]
    n = ours["dev_examples"]
    standard_error = 100 * math.sqrt(ours["dev_accuracy"] * (1 - ours["dev_accuracy"]) / n)
    lines = []
    for other, target in (("seed", TARGET_VERSUS_SEED), ("hugging_face", TARGET_VERSUS_HUGGING_FACE)):
        ratio = ours["real_tokens_per_second"] / by_recipe[other]["real_tokens_per_second"]
        per_cpu = ours["real_tokens_per_cpu_second"] / by_recipe[other]["real_tokens_per_cpu_second"]
        lines.append(f"- real tokens/s, finetune_lab ÷ {other}: **{ratio:.2f}×** (target ≥ {target:g}×: "
                     f"{'reached' if ratio >= target else 'NOT reached'}); per CPU-second {per_cpu:.2f}×")
    for other in ("seed", "hugging_face"):
        points = 100 * (ours["dev_accuracy"] - by_recipe[other]["dev_accuracy"])
        lines.append(f"- dev accuracy, finetune_lab − {other}: **{points:+.2f} points** (target: no more than "
                     f"{TARGET_ACCURACY_POINTS} below: {'reached' if points >= -TARGET_ACCURACY_POINTS else 'NOT reached'})")
    lines.append(f"- useful-FLOP utilisation of finetune_lab: **{ours['utilisation']:.0%}** of the matmul peak "
                 f"measured in this run (target ≥ {TARGET_UTILISATION:.0%}: "
                 f"{'reached' if ours['utilisation'] >= TARGET_UTILISATION else 'NOT reached'}); per CPU-second "
                 f"{ours['utilisation_per_cpu_second']:.0%}")
    lines.append(f"- for scale: one run's dev accuracy on {n} examples has a binomial standard error of "
                 f"about {standard_error:.1f} points, so a 0.5-point difference is within one run's noise; "
                 f"`python -m benchmarks.batch_order_accuracy` repeats the comparison over seeds "
                 f"(batch_order_accuracy.md)")
    return lines


def markdown(result: dict, plot_name: str, command: str) -> str:
    settings, machine = result["settings"], result["machine"]
    load = (f"load average (1, 5, 15 min) {tuple(round(x, 1) for x in result['load_average_before'])} before, "
            f"{tuple(round(x, 1) for x in result['load_average_after'])} after")
    recipes = "\n".join(f"- `{name}`: {result['descriptions'][name]}" for name in result["recipes"])
    return f"""# Fine-tuning speed, side by side

Written by `{command}` ({result['started']}, {result['minutes']:.1f} minutes).
Ratios between recipes are the result: every recipe ran in the same run, taking
turns ({settings['chunk_steps']} steps each) on the same machine, so other load
slows all of them alike. Absolute times are not comparable across machines or runs.

## Conditions

- Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']:.0f} GiB, {machine['gpus']} GPUs; {machine['os']}
- Python {machine['python']}, TensorFlow {machine['tensorflow']}, tf-keras {machine['tf_keras']}, transformers {machine['transformers']}; oneDNN: {result['onednn']} (same for every recipe unless its name says otherwise)
- Other load: {load}. {result['note']}
- Model: the offline all-MiniLM-L6-v2 (6 layers, hidden 384; {result['non_embedding_parameters']:,} non-embedding parameters) with a new 2-class head, identical seeded initialisation for every recipe
- Data: {settings['examples']:,} SST-2 training examples (seeded stratified sample, seed {settings['seed']}), one pass, batch size {settings['batch_size']}; dev accuracy on {result['summary'][0]['dev_examples']} SST-2 dev examples
- Optimizer: AdamW, peak learning rate {settings['learning_rate']:g}, linear warm-up over {settings['warmup_ratio']:.0%} of the {math.ceil(settings['examples'] / settings['batch_size'])} steps then linear decay, weight decay {settings['weight_decay']:g}; max_seq_len {settings['max_seq_len']}
- Throughput excludes each recipe's first {settings['warmup_steps']} steps (tracing); their time is the "warm-up s" column
- Matmul peak: {result['matmul_peak_gflops']:.1f} GFLOP/s fp32 (best of the 1024 × 1024 `tf.matmul` probes in this run; {result['matmul_peak_gflops_per_cpu_second']:.1f} GFLOP per CPU-second)
- Peak memory: `ru_maxrss` of each recipe's own process at the end of training (whole process); in brackets, right after loading the model

## Recipes

{recipes}

## Results

{markdown_table(result)}

{chr(10).join(targets(result))}

![throughput]({plot_name})

Definitions: real tokens are the attention mask's ones ([CLS], word pieces,
[SEP]); padded tokens are batch × seq_len. Useful-FLOP utilisation =
6 × non-embedding parameters × real tokens/s ÷ the matmul peak (Kaplan et
al. 2020's 6N per token for forward and backward; padding and attention
scores do not count). "Per CPU-s" divides by the worker's own CPU time
instead of wall time, which other processes on the machine barely change.
How each figure is measured: the docstring of `benchmarks/fine_tune_speed.py`.
"""


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    summary = result["summary"]
    figure, (bars, over_time) = plt.subplots(1, 2, figsize=(12, 4.5))
    names = [s["recipe"] for s in summary]
    speeds = [s["real_tokens_per_second"] for s in summary]
    per_cpu = [s["real_tokens_per_cpu_second"] for s in summary]
    positions = range(len(names))
    bars.bar([x - 0.2 for x in positions], speeds, width=0.4, color="#2a9d8f", label="per second (wall clock)")
    bars.bar([x + 0.2 for x in positions], per_cpu, width=0.4, color="#a8dadc", label="per CPU-second of the recipe")
    for x, (speed, s) in enumerate(zip(speeds, summary)):
        bars.text(x - 0.2, speed, f"{speed:.0f}\ndev {s['dev_accuracy']:.3f}", ha="center", va="bottom", fontsize=8)
    bars.set_xticks(list(positions), names, rotation=15)
    bars.set_ylabel("real (non-padding) tokens")
    bars.set_title("Training throughput, same machine and run")
    bars.set_ylim(0, max(speeds + per_cpu) * 1.25)
    bars.legend(fontsize=8, loc="upper left")
    start = min(chunk["at"] for chunks in result["chunks"].values() for chunk in chunks)
    for name, chunks in result["chunks"].items():
        times = [(chunk["at"] - start) / 60 for chunk in chunks[1:]]
        over_time.plot(times, [c["real_tokens"] / c["seconds"] for c in chunks[1:]], marker=".", label=name)
    probes = sorted((chunk["at"], chunk["matmul_gflops"]) for chunks in result["chunks"].values() for chunk in chunks)
    matmul = over_time.twinx()
    matmul.plot([(t - start) / 60 for t, _ in probes], [g for _, g in probes], color="black", alpha=0.3,
                linewidth=1, label="matmul probe")
    matmul.set_ylabel("matmul probe, GFLOP/s (grey)")
    over_time.set_yscale("log")
    over_time.set_xlabel("minutes into the run")
    over_time.set_ylabel("real tokens per second, per chunk")
    over_time.set_title("Every chunk (other load shows as dips in all lines)")
    over_time.legend(fontsize=8, loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
