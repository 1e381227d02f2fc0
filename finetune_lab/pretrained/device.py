"""CPU or GPU, threads, mixed precision, several GPUs and seeds (notebook 05, section 1).

Call ``configure_device`` once, before the first model is built: thread
counts and the mixed-precision policy cannot change after TensorFlow has
started running operations.

Several GPUs: with ``distribute=True`` the device carries a
``tf.distribute.MirroredStrategy`` over every visible GPU (TensorFlow's own
data-parallel engine: one model copy per GPU, gradients summed across them).
Build the model and the optimizer inside ``device.strategy.scope()``;
``fine_tune`` then splits each batch across the GPUs.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import tensorflow as tf

from finetune_lab.pretrained import quiet_native_stderr
from finetune_lab.course.messages import tr


@dataclass
class Device:
    """What the notebook runs on.

    Attributes:
        kind: "GPU" or "CPU".
        names: the device names TensorFlow sees.
        precision: the Keras dtype policy, "float32", "mixed_bfloat16" or "mixed_float16".
        threads: CPU threads TensorFlow uses inside one operation (intra-op).
        strategy: where models are built and trained: TensorFlow's default
            (one device) or a MirroredStrategy over every GPU.
    """

    kind: str
    names: list[str]
    precision: str
    threads: int
    strategy: tf.distribute.Strategy = field(default_factory=tf.distribute.get_strategy)

    @property
    def replicas(self) -> int:
        """Model copies trained in parallel (1 unless mirrored over several GPUs)."""
        return self.strategy.num_replicas_in_sync

    def describe(self) -> str:
        text = tr("{kind} ({names}), precision {precision}, {threads} CPU threads", kind=self.kind,
                  names=", ".join(self.names), precision=self.precision, threads=self.threads)
        return text + (tr(", mirrored over {replicas} GPUs", replicas=self.replicas) if self.replicas > 1 else "")


def gpu_details() -> list[tuple[str, tuple[int, int]]]:
    """(model name, compute capability) of each GPU TensorFlow sees; [] on a CPU-only machine."""
    with quiet_native_stderr():
        details = [tf.config.experimental.get_device_details(gpu) for gpu in tf.config.list_physical_devices("GPU")]
    return [(d.get("device_name", "GPU"), tuple(d.get("compute_capability") or (0, 0))) for d in details]


def mixed_precision_policy(capability: tuple[int, int] | None) -> str:
    """The Keras dtype policy for a GPU of this compute capability (None: a CPU).

    bfloat16 where the GPU computes it natively (compute capability >= 8.0,
    Ampere on); float16 with loss scaling where it has float16 tensor cores
    (>= 7.0, Volta); float32 elsewhere, and on a CPU, which gains nothing
    from either here. float16's narrow exponent range needs loss scaling;
    bfloat16 keeps float32's range and does not. Sources: NVIDIA's
    mixed-precision training guide; Micikevicius et al. 2018, "Mixed
    Precision Training".
    """
    if capability is None or capability < (7, 0):
        return "float32"
    return "mixed_bfloat16" if capability >= (8, 0) else "mixed_float16"


def describe_precision(capability: tuple[int, int] | None) -> str:
    """``mixed_precision_policy`` in words, for the environment check of notebook 00."""
    policy = mixed_precision_policy(capability)
    if capability is None:
        return tr("not used (CPU: float32)")
    return {"mixed_bfloat16": tr("bfloat16 (mixed_bfloat16)"),
            "mixed_float16": tr("float16 (mixed_float16, with loss scaling)"),
            "float32": tr("not available (compute capability below 7.0: float32)")}[policy]


def configure_device(mixed_precision: bool = True, threads: int | None = None,
                     distribute: bool = False) -> Device:
    """Report the device and set threads, the dtype policy and the strategy.

    Args:
        mixed_precision: on a GPU, compute in bfloat16/float16 with float32
            weights; ignored on a CPU (no speed-up there).
        threads: intra-op CPU threads; None means one per core. Inter-op
            parallelism is 2 (at most ``threads``): batches of short sentences
            make many small operations, and two independent ones (a layer's
            weight and input gradients, the optimizer's updates) can then
            run at once. benchmarks/results/ablations.md measures it.
        distribute: on GPUs, a MirroredStrategy over all of them (even one);
            ignored on a CPU, where TensorFlow already uses every core.

    Returns:
        A ``Device``.
    """
    threads = threads or os.cpu_count() or 1
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, threads))
    except RuntimeError:  # TensorFlow already started: keep what it has.
        threads = tf.config.threading.get_intra_op_parallelism_threads() or threads
    gpus = tf.config.list_physical_devices("GPU")
    capability = gpu_details()[0][1] if gpus else None
    precision = mixed_precision_policy(capability) if mixed_precision else "float32"
    tf.keras.mixed_precision.set_global_policy(precision)
    if gpus:
        strategy = tf.distribute.MirroredStrategy() if distribute else tf.distribute.get_strategy()
        return Device("GPU", [g.name for g in gpus], precision, threads, strategy)
    return Device("CPU", [c.name for c in tf.config.list_physical_devices("CPU")], precision, threads)


def set_seed(seed: int, deterministic: bool = True) -> None:
    """Seed Python, NumPy and TensorFlow, and ask for deterministic ops.

    With ``deterministic`` a CPU run repeats its losses exactly; on a GPU
    some deterministic kernels are slower (and a few ops have none).
    """
    tf.keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()
