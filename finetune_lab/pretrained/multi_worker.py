"""Fine-tuning across machines with TensorFlow's ``MultiWorkerMirroredStrategy`` (README, "On a GPU").

Every machine (a *worker*) runs the same command; only ``TF_CONFIG`` differs,
by the worker's own index in the cluster list:

    export TF_CONFIG='{"cluster": {"worker": ["10.0.0.1:2222", "10.0.0.2:2222"]},
                       "task": {"type": "worker", "index": 0}}'        # "index": 1 on the second machine
    python -m finetune_lab.pretrained.multi_worker --model auto --num-train-examples 0 --epochs 3 \\
        --learning-rate 2e-5 --save saved_models/multi_worker

Without ``TF_CONFIG`` the same command trains on this machine alone.

How the work is shared, with nothing of our own but the slicing: every worker
reads the same data in the same seeded order, so all of them form the same
global batch at every step (``--batch-size``). ``fine_tune.make_train_step``'s
distributed path gives each replica (one per GPU, or the CPU, on every
worker) an equal slice of that batch; the strategy sums the replicas'
gradients across all workers (collective all-reduce: NCCL between the GPUs of
a machine, gRPC between machines), and every replica applies the same update,
so every worker holds the same weights after every step
(``tests/test_multi_worker.py`` checks it with two workers on one machine).
Each worker evaluates on its own, which needs no communication; worker 0,
the chief, prints the result and saves the model.

The defaults are notebook 05's (``course.params``), for a CPU; a cluster of
GPUs wants ``--num-train-examples 0`` and bert-base's recipe (3 epochs, 2e-5).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import tensorflow as tf

from finetune_lab import data
from finetune_lab.course.params import NOTEBOOK_PARAMETERS
from finetune_lab.pretrained import batches, device, fine_tune, inference, models, storage

DEFAULTS = {parameter.name: parameter.default for parameter in NOTEBOOK_PARAMETERS["05_fine_tune_bert"]}
TINY = "tiny"
"""``--model tiny``: ``models.TINY_BERT`` with random weights, for smoke tests."""


def cluster_strategy() -> tf.distribute.Strategy:
    """A ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` names a cluster, else TensorFlow's default (one device).

    Create it before the first TensorFlow operation: it sets up the
    collective operations of the whole program.
    """
    if not os.environ.get("TF_CONFIG"):
        return tf.distribute.get_strategy()
    return tf.distribute.MultiWorkerMirroredStrategy()


def worker_index() -> int:
    """This worker's index in ``TF_CONFIG`` (0, the chief, without one)."""
    return int(json.loads(os.environ.get("TF_CONFIG") or "{}").get("task", {}).get("index", 0))


def load(name: str, gpu_available: bool):
    """``(model, tokenizer)``: ``models.load_classifier(name)``, or the tiny random BERT."""
    if name != TINY:
        model, tokenizer, _ = models.load_classifier(name, gpu_available=gpu_available)
        return model, tokenizer
    from transformers import AutoTokenizer

    return models.random_bert(**models.TINY_BERT), AutoTokenizer.from_pretrained(str(models.offline_model_dir()))


def prepare_data(tokenizer, args) -> tuple[batches.Encoded, batches.Encoded, batches.Encoded]:
    """Train, validation (held out of train) and dev, encoded; the same on every worker (seeded)."""
    train = data.load_sst2("train")
    texts, labels = data.subsample(*train, args.num_train_examples, args.seed)
    groups = data.sentence_groups(texts, within=train.texts)  # a sentence and its phrases on one side
    texts, labels, val_texts, val_labels = data.train_validation_split(texts, labels, args.validation_fraction,
                                                                       args.seed, groups=groups)
    dev = data.subsample(*data.load_sst2("dev"), args.dev_examples, args.seed)
    return tuple(batches.encode(tokenizer, t, y, args.max_seq_len)
                 for t, y in ((texts, labels), (val_texts, val_labels), dev))


def run(args: argparse.Namespace) -> dict:
    """Fine-tune on every worker of the cluster; returns this worker's result."""
    hardware = device.configure_device(mixed_precision=args.mixed_precision, threads=args.threads)  # no op runs
    strategy = cluster_strategy()
    device.set_seed(args.seed)
    with strategy.scope():
        model, tokenizer = load(args.model, hardware.kind == "GPU")
        train, validation, dev = prepare_data(tokenizer, args)
        optimizer, schedule = fine_tune.make_optimizer(
            args.learning_rate, fine_tune.num_train_steps(len(train), args.batch_size, args.epochs),
            args.warmup_ratio, args.weight_decay, loss_scaling=hardware.precision == "mixed_float16")
    chief = worker_index() == 0
    history = fine_tune.fine_tune(model, tokenizer, optimizer, schedule, train, validation, epochs=args.epochs,
                                  batch_size=args.batch_size, patience=args.patience, seed=args.seed,
                                  progress=chief, strategy=strategy)
    result = inference.evaluate(model, tokenizer, dev, args.batch_size * 2)
    if args.weights_out:
        Path(args.weights_out).mkdir(parents=True, exist_ok=True)
        np.savez(Path(args.weights_out) / f"worker_{worker_index()}.npz", *model.get_weights())
    if chief and args.save:
        storage.save(model, tokenizer, args.save)
    return {"worker": worker_index(), "replicas": strategy.num_replicas_in_sync, "device": hardware.describe(),
            "train_examples": len(train), "step_loss": history.step_loss, "dev_accuracy": result.accuracy,
            "dev_loss": result.loss}


def parse_arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULTS["model"],
                        help=f"as models.load_classifier takes it, or {TINY!r} (a random 2-layer BERT)")
    for name in ("num_train_examples", "epochs", "batch_size", "learning_rate", "warmup_ratio", "weight_decay",
                 "validation_fraction", "patience", "max_seq_len", "seed"):
        default = DEFAULTS[name]
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default,
                            help=f"notebook 05's parameter (default {default})")
    parser.add_argument("--dev-examples", type=int, default=0, help="SST-2 dev examples to evaluate (0: all 872)")
    parser.add_argument("--mixed-precision", action=argparse.BooleanOptionalAction, default=True,
                        help="bfloat16/float16 on GPUs (device.configure_device); ignored on CPUs")
    parser.add_argument("--threads", type=int, default=None, help="CPU threads per operation (default: all)")
    parser.add_argument("--save", default="", help="the chief saves the fine-tuned model here (storage.save)")
    parser.add_argument("--weights-out", default="", help="every worker writes worker_<index>.npz here (tests)")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    result = run(parse_arguments(argv))
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
