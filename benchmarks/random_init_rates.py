"""Give notebook 04's randomly initialised baseline a fair chance: its own learning rate and more steps.

    python -m benchmarks.random_init_rates     # about 10 minutes on a quiet 2-core CPU

Notebook 04 compares fine-tuning from pretrained weights with the same
network started from random weights. With the fine-tuning rate (1e-4) and
the fine-tuning budget (63 steps on 1,000 examples) the random network never
leaves the majority class, which says little: a network trained from scratch
usually wants a larger rate and more steps. This script trains the random
twin (``transfer.random_init_classifier``, seed 0) on notebook 04's 1,000
examples of seed 0 (the same stratified pool, batch 16, notebook 05's warm-up
and linear decay) at several peak rates and budgets, and scores it on the
notebook's 300-sentence dev subset.

Dev is the development set (data/README.md, "Data protocol"): choosing the
baseline's rate on it flatters the baseline, which only makes notebook 04's
comparison harder for fine-tuning to win.

Writes ``benchmarks/results/random_init_rates.md`` (and ``.json``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

import finetune_lab.pretrained  # noqa: F401  (sets up Keras 2 for transformers before TensorFlow loads)
import numpy as np

from benchmarks.fine_tune_speed import RESULTS_DIR
from finetune_lab import data
from finetune_lab.course.params import NOTEBOOK_PARAMETERS
from finetune_lab.pretrained import batches, device, inference, models, transfer

RATES = (1e-4, 3e-4, 1e-3, 3e-3)
EPOCHS = (1, 3)     # 63 and 189 steps of 16 on 1,000 examples
TRAIN_EXAMPLES = 1000


def main() -> None:
    defaults = {p.name: p.default for p in NOTEBOOK_PARAMETERS["04_transfer_learning"]}
    device.configure_device(mixed_precision=False)
    device.set_seed(0)
    train_texts, train_labels = data.load_sst2("train")
    dev_texts, dev_labels = data.load_sst2("dev")
    texts, labels = data.subsample(train_texts, train_labels, TRAIN_EXAMPLES, 0)
    subset_texts, subset_labels = data.subsample(dev_texts, dev_labels, defaults["dev_examples"], 0)
    _, tokenizer, _ = models.load_classifier("minilm")
    model = transfer.random_init_classifier("minilm", seed=0)
    start = transfer.weights_snapshot(model)
    trainer = transfer.ReusableTrainer(model, tokenizer)
    train, small_dev = batches.encode(tokenizer, texts, labels), batches.encode(tokenizer, subset_texts, subset_labels)
    rows = []
    for epochs in EPOCHS:
        for rate in RATES:
            num_steps = epochs * int(np.ceil(TRAIN_EXAMPLES / defaults["batch_size"]))
            run = trainer.train(start, train, num_steps, defaults["batch_size"], rate, seed=0)
            evaluation = inference.evaluate(model, tokenizer, small_dev)
            rows.append({"learning_rate": rate, "epochs": epochs, "steps": num_steps,
                         "dev_subset_accuracy": evaluation.accuracy,
                         "share_predicted_positive": float(evaluation.probabilities.argmax(axis=1).mean()),
                         "training_loss_last_10_steps": float(np.mean(run.step_loss[-10:]))})
            print(rows[-1], flush=True)
    write(rows, defaults)


def write(rows: list[dict], defaults: dict) -> None:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"# Notebook 04's random-initialisation baseline: rate and budget ({when})", "",
             f"all-MiniLM-L6-v2's architecture with random weights (seed 0), {TRAIN_EXAMPLES:,d} SST-2 training "
             f"examples (notebook 04's pool of seed 0), batch {defaults['batch_size']}, AdamW with 10% warm-up and "
             f"linear decay; dev accuracy on notebook 04's {defaults['dev_examples']}-sentence dev subset "
             "(0.510 is the majority class). Dev is the development set: choosing on it flatters the baseline.", "",
             "| peak learning rate | epochs | steps | dev-subset accuracy | share predicted positive "
             "| training loss (last 10 steps, nats) |", "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['learning_rate']:g} | {r['epochs']} | {r['steps']} | {r['dev_subset_accuracy']:.3f} "
              f"| {r['share_predicted_positive']:.2f} | {r['training_loss_last_10_steps']:.3f} |" for r in rows]
    (RESULTS_DIR / "random_init_rates.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (RESULTS_DIR / "random_init_rates.json").write_text(json.dumps({"measured": when, "rows": rows}, indent=1) + "\n",
                                                        encoding="utf-8")


if __name__ == "__main__":
    started = time.time()
    main()
    print(f"done in {time.time() - started:.0f} s")
