"""Benchmarks of finetune-lab: separate scripts run by hand, not timed tests.

Each script writes its results, dated and with the machine they ran on, to
``benchmarks/results/``; those files and the README are where measured figures
live (the team's style notes, kept outside this repository, ask for that
instead of figures in docstrings that no one re-runs).

- ``fine_tune_speed``: three fine-tuning recipes side by side (``make benchmark``);
  ``speed_report`` writes its table, page and plot.
- ``batch_order_accuracy``: what grouping batches by length costs in dev accuracy, over seeds.
- ``full_run``: the full-data runs (one SST-2 epoch on a CPU; bert-base on GPUs).
- ``batch_order_accuracy``: what grouping batches by length costs in dev accuracy, over seeds.

Each builds notebook 05's recipe with ``finetune_lab.pretrained.recipe`` and takes ``--seed``.
"""
