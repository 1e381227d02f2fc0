"""A small JSON record of each notebook's key results (introduced in notebook 00).

Every notebook ends with

    write_record("05_fine_tune_bert", params, {"dev_accuracy": 0.87}, started_at)

where ``started_at = time.time()`` was taken in its first code cell. The
course runner (``python -m finetune_lab.course``) reads these records to
write the run's summary table, so results are compared from data, not from
scrolling through outputs.

Record schema (one JSON object, file ``<notebook>.json`` in the run folder):

    schema_version   int, 1
    notebook         str, the notebook file name without ".ipynb"
    status           str, "ok" (a notebook that fails never reaches its record)
    finished_at      str, UTC time in ISO 8601, e.g. "2025-01-31T12:00:00+00:00"
    runtime_seconds  float, seconds from ``started_at`` to the record, wall clock
    metrics          {name: float | int | str | bool | null}; NaN and infinity
                     become null (JSON has no NaN)
    parameters       {name: float | int | str | bool}, the notebook's parameters
    versions         {"python", "tensorflow", "tf-keras", "transformers",
                      "numpy", "finetune_lab": version string or null}
    device           {"type": "GPU" | "CPU", "gpus": [str]}: GPUs by model name,
                     as TensorFlow sees them (none for a NumPy-only notebook)
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Mapping

from finetune_lab import REPO_ROOT, atomic


SCHEMA_VERSION = 1
RUN_DIR_VARIABLE = "FINETUNE_LAB_RUN_DIR"
# Distribution names as pip spells them, in the order the record lists them.
VERSIONED_PACKAGES = ("tensorflow", "tf-keras", "transformers", "numpy", "finetune_lab")


def run_dir() -> Path:
    """The folder records go to: ``$FINETUNE_LAB_RUN_DIR`` if set, else ``runs/interactive``.

    The course runner sets the variable for each notebook it executes; in
    JupyterLab it is unset, so a student's records land in
    ``<repo>/runs/interactive/`` (overwritten by the next interactive run).
    """
    configured = os.environ.get(RUN_DIR_VARIABLE)
    return Path(configured) if configured else REPO_ROOT / "runs" / "interactive"


def _scalar(name: str, value: Any) -> bool | int | float | str | None:
    """``value`` as a JSON scalar; numpy scalars via ``.item()``, NaN/inf as None."""
    if hasattr(value, "item") and callable(value.item):  # numpy scalars and 0-d arrays
        try:
            value = value.item()
        except ValueError:  # an array of several values
            raise ValueError(f"record value {name} has shape {getattr(value, 'shape', '?')}: "
                             "pass one number, e.g. float(values.mean())") from None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(
        f"record value {name}={value!r} is a {type(value).__name__}: "
        "pass a float, int or string (e.g. float(accuracy))"
    )


def versions() -> dict[str, str | None]:
    """Versions of Python and the packages the results depend on (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for package in VERSIONED_PACKAGES:
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = None
    return found


def device() -> dict[str, Any]:
    """What the notebook computed on: ``{"type", "gpus"}``.

    A notebook that never loaded TensorFlow (01-03, NumPy only) computed on
    the CPU; this does not import TensorFlow for it. Otherwise the GPUs are
    TensorFlow's, by model name (``pretrained.device.gpu_details``).
    """
    if "tensorflow" not in sys.modules:
        return {"type": "CPU", "gpus": []}
    from finetune_lab.pretrained.device import gpu_details

    gpus = [name for name, _ in gpu_details()]
    return {"type": "GPU" if gpus else "CPU", "gpus": gpus}


def make_record(notebook: str, params: Mapping[str, Any], metrics: Mapping[str, Any],
                started_at: float) -> dict[str, Any]:
    """The record as a dict, in the schema of this module's docstring.

    Raises:
        ValueError: an empty notebook name or one containing a path separator,
            a ``started_at`` in the future, or a value that is not a scalar.
    """
    if not notebook or "/" in notebook or "\\" in notebook or notebook.endswith(".ipynb"):
        raise ValueError(f"notebook={notebook!r}: pass the file name without folder or "
                         "'.ipynb', e.g. '05_fine_tune_bert'")
    runtime_seconds = time.time() - started_at
    if runtime_seconds < 0:
        raise ValueError(f"started_at={started_at} is in the future: take it with "
                         "time.time() in the notebook's first code cell")
    return {
        "schema_version": SCHEMA_VERSION,
        "notebook": notebook,
        "status": "ok",
        "finished_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "runtime_seconds": round(runtime_seconds, 3),
        "metrics": {name: _scalar(name, value) for name, value in metrics.items()},
        "parameters": {name: _scalar(name, value) for name, value in params.items()},
        "versions": versions(),
        "device": device(),
    }


def write_record(notebook: str, params: Mapping[str, Any], metrics: Mapping[str, Any],
                 started_at: float) -> Path:
    """Write ``<run_dir()>/<notebook>.json`` and return its path (notebook 00).

    Args:
        notebook: the notebook file name without ".ipynb", e.g. "05_fine_tune_bert".
        params: the notebook's parameters, as ``check_parameters`` returned them.
        metrics: the key results, ``{name: float | int | str}``; numpy scalars
            are converted, NaN and infinity are written as null.
        started_at: ``time.time()`` taken at the notebook's start, in seconds.

    Returns:
        The path of the JSON file (the folder is created if needed).

    Raises:
        ValueError: see ``make_record``.
    """
    record = make_record(notebook, params, metrics, started_at)
    folder = run_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{notebook}.json"
    atomic.write_text(path, json.dumps(record, indent=2, allow_nan=False) + "\n")
    return path


def read_record(path: str | Path) -> dict[str, Any]:
    """Load a record written by ``write_record``.

    Raises:
        FileNotFoundError: no record at ``path``.
        ValueError: the file is not JSON or not a record (no "notebook" key).
    """
    record = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(record, dict) or "notebook" not in record:
        raise ValueError(f"{path} is not a finetune_lab record: no 'notebook' key")
    return record
