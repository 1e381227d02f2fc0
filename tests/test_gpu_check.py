"""The GPU check (benchmarks/gpu_check.py) cannot rot: its CPU smoke run executes every step and
writes a complete report. The GPU figures themselves come from `make gpu-check` on a GPU."""

import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import gpu_check

REPOSITORY = Path(__file__).resolve().parents[1]
TF_2_21_TARGETS = ["sm_60", "sm_70", "sm_80", "sm_89", "compute_90"]  # tf.sysconfig.get_build_info() of the pip wheel
SECTIONS = ["## Environment", "## MiniLM: one epoch of SST-2 in mixed precision", "## bert-base: training-step "
            "throughput", "## Several GPUs: MirroredStrategy", "## Budget"]


@pytest.mark.parametrize("capability, expected, because", [
    ((9, 0), True, "only PTX (compute_90)"),  # H100, H200: TensorFlow 2.21 carries no sm_90 kernels
    ((10, 0), True, "only PTX (compute_90)"),  # B200
    ((8, 0), False, "sm_80"), ((8, 6), False, "sm_80"), ((8, 9), False, "sm_89"),  # A100, A10, L4
    ((7, 5), False, "sm_70"),  # T4 runs Volta's kernels
    ((5, 2), None, "neither"),
])
def test_ptx_jit_is_expected_where_the_build_has_no_compiled_kernels(capability, expected, because):
    jit, why = gpu_check.ptx_expected(capability, TF_2_21_TARGETS)
    assert jit is expected and because in why


@pytest.mark.parametrize("name, policy, tf32, peak", [
    ("NVIDIA H200", "mixed_bfloat16", True, 989.5), ("NVIDIA H200 NVL", "mixed_bfloat16", True, 835.5),
    ("NVIDIA H100 80GB HBM3", "float32", True, 494.5), ("NVIDIA H100 PCIe", "mixed_bfloat16", True, 756),
    ("NVIDIA A100-SXM4-80GB", "float32", False, 19.5), ("NVIDIA L40S", "mixed_bfloat16", True, 362),
    ("NVIDIA L4", "mixed_bfloat16", True, 121), ("Tesla T4", "mixed_float16", False, 65),
    ("Tesla V100-SXM2-16GB", "mixed_float16", False, 125), ("Tesla V100-PCIE-32GB", "float32", False, 14),
    ("Tesla T4", "mixed_bfloat16", False, None),  # no such peak: utilisation not reported
    ("NVIDIA A10G", "mixed_bfloat16", True, None), (None, "float32", False, None),  # not in the table
])
def test_peaks_are_found_by_gpu_name_and_precision(name, policy, tf32, peak):
    assert gpu_check.peak_for(name, policy, tf32)[0] == peak


def test_utilisation_is_six_n_real_tokens_over_the_peak():
    row = gpu_check.add_utilisation({"real_tokens_per_second": 1e6}, non_embedding=85_000_000, peak_tflops=1000)
    assert row["useful_tflops"] == pytest.approx(510) and row["utilisation"] == pytest.approx(0.51)
    assert gpu_check.add_utilisation({"real_tokens_per_second": 1e6}, 85_000_000, None)["utilisation"] is None


def test_the_budget_shares_the_time_left_and_passes_on_what_a_part_did_not_use():
    budget = gpu_check.Budget(100 + gpu_check.REPORT_RESERVE_SECONDS, started=gpu_check.time.time(),
                              weights={"a": 1, "b": 3, "c": 0})
    assert budget.start("a") - gpu_check.time.time() == pytest.approx(25, abs=0.5)
    budget.finish("a")  # at once: b gets all that is left, c (weight 0: one GPU, no mirroring) nothing
    assert budget.start("b") - gpu_check.time.time() == pytest.approx(100, abs=0.5)
    assert budget.used["a"]["seconds"] < 0.5


def _numbers(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield value


def test_the_cpu_smoke_run_writes_every_section_with_finite_numbers(tmp_path):
    run = subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", "--cpu-smoke", "--output", str(tmp_path),
                          "--tf-log", str(tmp_path / "tf.log")], cwd=REPOSITORY, capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, PYTHONPATH=str(REPOSITORY)))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    text = (tmp_path / "gpu_check.md").read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")] == SECTIONS
    assert not re.search(r"\b(nan|inf)\b", text, re.IGNORECASE)
    assert all(math.isfinite(number) for number in _numbers(report))
    assert report["smoke"] and report["environment"]["tensorflow"] and report["environment"]["cuda_build"]
    minilm = report["minilm_epoch"]
    assert minilm["complete"] and minilm["steps"] == minilm["steps_in_epoch"] and 0 <= minilm["dev_accuracy"] <= 1
    measured = report["bert_base"]["configs"] + report["mirrored"]["configs"]
    assert [(c["policy"], c["xla"]) for c in report["bert_base"]["configs"]] == [
        ("mixed_bfloat16", False), ("float32", False), ("mixed_bfloat16", True)]  # the smoke run's XLA: one policy
    assert all(c["sequences_per_second"] > 0 and 0 < c["real_token_share"] <= 1 for c in measured), measured
    assert report["mirrored"]["replicas"] == 2 and all(c["scaling"] > 0 for c in report["mirrored"]["configs"])
    assert report["budget"]["total_seconds"] < report["budget"]["limit_seconds"]
