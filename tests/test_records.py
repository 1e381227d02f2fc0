"""The JSON record every notebook ends with."""

import json
import time

import numpy as np
import pytest

import finetune_lab  # noqa: F401  (environment first, as in the notebooks)
from finetune_lab.course import records

KEYS = {"schema_version", "notebook", "status", "finished_at", "runtime_seconds",
        "metrics", "parameters", "versions", "device"}


@pytest.fixture
def run_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(records.RUN_DIR_VARIABLE, str(tmp_path / "run"))
    return tmp_path / "run"


def test_record_round_trips_through_json_with_the_schema(run_dir):
    params = {"learning_rate": 1e-4, "epochs": 2, "model": "auto", "run_common_mistakes": False}
    metrics = {"dev_accuracy": np.float32(0.875), "steps": np.int64(375), "model": "minilm"}
    path = records.write_record("05_fine_tune_bert", params, metrics, time.time() - 2.5)
    assert path == run_dir / "05_fine_tune_bert.json"
    record = json.loads(path.read_text())
    assert record == records.read_record(path)
    assert set(record) == KEYS
    assert record["notebook"] == "05_fine_tune_bert" and record["status"] == "ok"
    assert record["metrics"] == {"dev_accuracy": 0.875, "steps": 375, "model": "minilm"}
    assert record["parameters"] == params
    assert 2.5 <= record["runtime_seconds"] < 60
    assert set(record["versions"]) == {"python", *records.VERSIONED_PACKAGES}
    assert record["versions"]["finetune_lab"] == finetune_lab.__version__
    assert record["device"]["type"] in {"CPU", "GPU"}
    assert record["device"]["gpus"] == [] or record["device"]["type"] == "GPU"


def test_without_the_variable_records_go_to_runs_interactive(monkeypatch):
    monkeypatch.delenv(records.RUN_DIR_VARIABLE, raising=False)
    assert records.run_dir() == records.REPO_ROOT / "runs" / "interactive"


def test_non_finite_metrics_become_null(run_dir, monkeypatch):
    monkeypatch.setattr(records, "device", lambda: {"type": "CPU", "cpus": ["cpu"], "gpus": []})
    path = records.write_record("01_x", {}, {"loss": float("nan"), "best": np.inf}, time.time())
    assert records.read_record(path)["metrics"] == {"loss": None, "best": None}


@pytest.mark.parametrize("notebook", ["", "notebooks/05_x", "05_x.ipynb"])
def test_bad_notebook_names_are_rejected(notebook, run_dir):
    with pytest.raises(ValueError, match="without folder"):
        records.make_record(notebook, {}, {}, time.time())


@pytest.mark.parametrize("metric", [[0.5, 0.6], np.array([0.5, 0.6]), {"a": 1}])
def test_non_scalar_metrics_are_rejected(metric, monkeypatch):
    monkeypatch.setattr(records, "device", lambda: {"type": "CPU", "cpus": ["cpu"], "gpus": []})
    with pytest.raises(ValueError, match="accuracy"):
        records.make_record("05_x", {}, {"accuracy": metric}, time.time())


def test_started_at_in_the_future_is_rejected():
    with pytest.raises(ValueError, match="in the future"):
        records.make_record("05_x", {}, {}, time.time() + 3600)


def test_read_record_rejects_other_json(tmp_path):
    path = tmp_path / "other.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="not a finetune_lab record"):
        records.read_record(path)
