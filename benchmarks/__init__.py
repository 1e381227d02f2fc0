"""Benchmarks of finetune-lab: separate scripts, not timed tests (see STYLE.md).

- ``fine_tune_speed``: three fine-tuning recipes side by side (``make benchmark``).
- ``full_run``: the full-data runs (one SST-2 epoch on a CPU; bert-base on GPUs).
- ``batch_order_accuracy``: what grouping batches by length costs in dev accuracy, over seeds.

Each builds notebook 05's recipe with ``finetune_lab.pretrained.recipe`` and takes ``--seed``.
"""
