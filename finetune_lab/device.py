"""CPU or GPU, threads, mixed precision and seeds (notebook 05, section 1).

Call ``configure_device`` once, before the first model is built: thread
counts and the mixed-precision policy cannot change after TensorFlow has
started running operations.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import tensorflow as tf


@dataclass
class Device:
    """What the notebook runs on.

    Attributes:
        kind: "GPU" or "CPU".
        names: the device names TensorFlow sees.
        precision: the Keras dtype policy, "float32", "mixed_bfloat16" or "mixed_float16".
        threads: CPU threads TensorFlow uses inside one operation (intra-op).
    """

    kind: str
    names: list[str]
    precision: str
    threads: int

    def describe(self) -> str:
        return f"{self.kind} ({', '.join(self.names)}), precision {self.precision}, {self.threads} CPU threads"


def _mixed_precision_policy(gpus) -> str:
    """bfloat16 on GPUs that do it natively (compute capability >= 8.0), else float16.

    float16 has a narrow exponent range, so it needs loss scaling; bfloat16
    keeps float32's range and does not. Source: NVIDIA's mixed-precision
    training guide; Micikevicius et al. 2018, "Mixed Precision Training".
    """
    capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
    return "mixed_bfloat16" if capability >= (8, 0) else "mixed_float16"


def configure_device(mixed_precision: bool = True, threads: int | None = None) -> Device:
    """Report the device and set threads and the dtype policy.

    Args:
        mixed_precision: on a GPU, compute in bfloat16/float16 with float32
            weights; ignored on a CPU (no speed-up there).
        threads: intra-op CPU threads; None means one per core. Inter-op
            parallelism is 1 because a BERT step is a chain of large matmuls
            that each use every core.

    Returns:
        A ``Device``.
    """
    threads = threads or os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:  # TensorFlow already started: keep what it has.
        threads = tf.config.threading.get_intra_op_parallelism_threads() or threads
    gpus = tf.config.list_physical_devices("GPU")
    precision = _mixed_precision_policy(gpus) if (gpus and mixed_precision) else "float32"
    tf.keras.mixed_precision.set_global_policy(precision)
    if gpus:
        return Device("GPU", [g.name for g in gpus], precision, threads)
    return Device("CPU", [c.name for c in tf.config.list_physical_devices("CPU")], precision, threads)


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow, and ask for deterministic ops.

    With ``deterministic`` a CPU run repeats its losses exactly; on a GPU
    some deterministic kernels are slower (and a few ops have none).
    """
    tf.keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
