"""Run the whole course headless: ``python -m finetune_lab.course`` (introduced in notebook 00).

    python -m finetune_lab.course run   [--profile cpu|gpu|quick] [--only 05] [--timeout SECONDS]
    python -m finetune_lab.course run   --resume [RUN_DIR]
    python -m finetune_lab.course sweep 01_empirical_risk --param learning_rate --values 0.01,0.1,1.0
    python -m finetune_lab.course check
    python -m finetune_lab.course sync  [--write]
    python -m finetune_lab.course translate [--check] [--init STEM]

``run`` executes every ``notebooks/[0-9][0-9]_*.ipynb`` in order with
papermill into a new folder ``runs/<UTC time>-<profile>/``: the executed
notebooks, the JSON record each one writes at its end (``records``), and
``summary.md`` / ``summary.csv``. Parameters come from a profile of
``notebooks/profiles.yml``; each notebook's overrides are checked against its
parameter specification before a kernel starts.

``run --resume`` continues a run that stopped (interrupted, killed, timed
out, failed) in its own folder, the newest under ``runs/`` when RUN_DIR is
not given: a notebook whose record is there with status ok is not run again;
the others run, and a notebook that takes a ``resume`` parameter (05) gets
``resume=True``, so its training continues from its checkpoint.

Statuses in the summary:
    ok         executed without error and wrote its record.
    failed     an override was rejected, a cell raised, the kernel died or the
               time limit was reached; the exit code is 1.
    no record  executed without error but wrote no record (its last cell
               should call ``write_record``); reported, not counted as a failure.

``--timeout`` is a wall-clock limit per notebook, in seconds: a timer
interrupts the kernel (like Jupyter's stop button) when the notebook as a
whole runs longer. papermill's own ``execution_timeout``, which is per cell,
is set to the same value as a backstop for a cell that ignores the interrupt.

``sync`` (the module ``sync``) checks that the notebooks' ``parameters`` cells,
their stated minutes and the README's course table agree with ``params`` and
``plan``; with ``--write`` it rewrites the cells and the table.

``translate`` (the module ``translation``) builds the Chinese edition
``notebooks/zh/`` from the English notebooks and their translation files;
``--check`` lists what is missing, stale or not built, ``--init STEM`` starts
or extends a notebook's translation file.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import io
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import yaml

from finetune_lab.course import params as parameter_contract
from finetune_lab import REPO_ROOT, atomic
from finetune_lab.course.plan import NOTEBOOKS_DIR, TRANSLATED, find_notebooks
from finetune_lab.course.records import RUN_DIR_VARIABLE, read_record
from finetune_lab.course.widgets import strip_widget_state

RUNS_DIR = REPO_ROOT / "runs"
DEFAULT_CONFIG = NOTEBOOKS_DIR / "profiles.yml"
DEFAULT_PROFILE = "cpu"  # the notebooks' own defaults: no overrides needed
DEFAULT_TIMEOUT = 1800  # seconds: several times the longest notebook's minutes in plan.COURSE_PLAN
KERNEL = "python3"  # the kernel `make setup` installs into .venv


@dataclass
class Result:
    """What one notebook execution produced.

    Attributes:
        notebook: the file name without ".ipynb".
        status: "ok", "failed" or "no record" (see the module docstring).
        seconds: wall-clock time of the execution, kernel start included.
        error: one line, "ExceptionName: message", for a failure.
        executed: the executed notebook (with the traceback), if one was written.
        metrics: the record's metrics.
    """

    notebook: str
    status: str
    seconds: float = 0.0
    error: str = ""
    executed: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


def load_profile(config: Path, profile: str) -> dict[str, dict[str, Any]]:
    """``{notebook name: {parameter: value}}`` for ``profile`` in the YAML file ``config``.

    The "cpu" profile is the notebooks' own defaults, so it needs no file.

    Raises:
        ValueError: the file is missing (for another profile), has no such
            profile, or is not shaped profile -> notebook -> {parameter: value}.
    """
    if not Path(config).exists():
        if profile == DEFAULT_PROFILE:
            return {}
        raise ValueError(f"no profile file {config}: create it or pass --config")
    profiles = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    if not isinstance(profiles, dict) or (profile not in profiles and profile != DEFAULT_PROFILE):
        known = ", ".join(profiles) if isinstance(profiles, dict) else "none"
        raise ValueError(f"no profile {profile!r} in {config}: known are {known}")
    notebooks = profiles.get(profile) or {}
    shape_ok = isinstance(notebooks, dict) and all(
        isinstance(values, dict) or values is None for values in notebooks.values())
    if not shape_ok:
        raise ValueError(f"profile {profile!r} in {config} must map notebook names to "
                         "{parameter: value}, e.g. 05_fine_tune_bert: {epochs: 1}")
    return {str(name): dict(values or {}) for name, values in notebooks.items()}


def new_run_folder(runs_dir: Path, label: str) -> Path:
    """Create ``runs_dir/<UTC time>-<label>/`` (a suffix if that second is taken)."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(1, 100):
        folder = Path(runs_dir) / (f"{stamp}-{label}" + (f"-{attempt}" if attempt > 1 else ""))
        try:
            folder.mkdir(parents=True)
            return folder
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder in {runs_dir}")


def validate_overrides(notebook: str, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Coerce ``overrides`` with ``params.check_overrides``; none needs no specification.

    Raises:
        ParameterError: an unknown parameter, a bad value, or overrides for a
            notebook without a registered specification.
    """
    if not overrides:
        return {}  # the notebook's own check_parameters line still checks its defaults
    return parameter_contract.check_overrides(notebook, overrides)


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the kernels started inside the block."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous


@contextlib.contextmanager
def _wall_clock_guard(kernel_manager: Any, seconds: float) -> Iterator[threading.Event]:
    """Interrupt the kernel once ``seconds`` have passed; the event tells whether it fired."""
    fired = threading.Event()

    def interrupt() -> None:
        fired.set()
        with contextlib.suppress(RuntimeError):  # no kernel yet, or already gone
            kernel_manager.interrupt_kernel()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def execute(notebook: Path, executed: Path, parameters: Mapping[str, Any], run_dir: Path,
            timeout: float, progress_bar: bool = True) -> None:
    """Execute ``notebook`` into ``executed`` with papermill, records going to ``run_dir``.

    The kernel starts in the notebook's folder (relative paths behave as in
    JupyterLab) with ``FINETUNE_LAB_RUN_DIR=run_dir`` in its environment.
    The executed notebook keeps no widget views or state (``widgets.without_widget_state``):
    its widget outputs read as their text, as in a browser without the kernel.

    Raises:
        TimeoutError: the notebook ran longer than ``timeout`` seconds.
        papermill.PapermillExecutionError: a cell raised.
        Exception: whatever else stops the kernel (DeadKernelError, NoSuchKernel).
    """
    import papermill
    from jupyter_client.manager import KernelManager

    # Our own kernel manager, so that the wall-clock guard can interrupt it.
    kernel_manager = KernelManager(kernel_name=KERNEL)
    try:
        with _environment(RUN_DIR_VARIABLE, str(run_dir)), \
                _wall_clock_guard(kernel_manager, timeout) as timed_out:
            try:
                papermill.execute_notebook(
                    str(notebook), str(executed), parameters=dict(parameters),
                    kernel_name=KERNEL, cwd=str(Path(notebook).resolve().parent), km=kernel_manager,
                    execution_timeout=timeout, progress_bar=progress_bar,
                    # The kernel's start-up warning about unencrypted local TCP is
                    # noise in the runner's progress output; errors still show.
                    extra_arguments=["--IPKernelApp.log_level=ERROR"],
                )
            except papermill.PapermillExecutionError:
                if timed_out.is_set():
                    raise _timed_out(timeout) from None
                raise
            if timed_out.is_set():  # training stops at the interrupt and the notebook goes on: still late
                raise _timed_out(timeout)
    finally:
        if kernel_manager.has_kernel:
            kernel_manager.shutdown_kernel(now=True)
        if Path(executed).exists():  # also after a failure: that notebook is read too
            strip_widget_state(executed)


def _timed_out(timeout: float) -> TimeoutError:
    return TimeoutError(f"stopped after the {timeout:g} s wall-clock limit (--timeout); the running cell "
                        "was interrupted (continue with: run --resume)")


def one_line(error: BaseException) -> str:
    """``ExceptionName: first line of the message``, as the runner reports a failure."""
    name = getattr(error, "ename", None) or type(error).__name__
    message = str(getattr(error, "evalue", None) or error).strip()
    first = message.splitlines()[0] if message else ""
    return f"{name}: {first[:300]}"


def run_notebook(notebook: Path, run_dir: Path, overrides: Mapping[str, Any],
                 timeout: float = DEFAULT_TIMEOUT, progress_bar: bool = True) -> Result:
    """Validate the overrides, execute ``notebook`` into ``run_dir`` and read its record.

    Never raises for a notebook's own failure: that is a Result with status
    "failed" (a rejected override fails before any kernel starts).
    """
    name, run_dir = notebook.stem, Path(run_dir).resolve()  # the kernel runs elsewhere
    try:
        parameters = validate_overrides(name, overrides)
    except parameter_contract.ParameterError as error:
        return Result(name, "failed", error=one_line(error))
    run_dir.mkdir(parents=True, exist_ok=True)
    executed = run_dir / notebook.name
    started = time.monotonic()
    try:
        execute(notebook, executed, parameters, run_dir, timeout, progress_bar)
    except Exception as error:  # reported in the summary; the next notebook still runs
        # A record written after an interrupt (the notebook went on) does not make it complete.
        (run_dir / f"{name}.json").unlink(missing_ok=True)
        return Result(name, "failed", time.monotonic() - started, one_line(error),
                      executed if executed.exists() else None)
    seconds = time.monotonic() - started
    record_path = run_dir / f"{name}.json"
    if not record_path.exists():
        return Result(name, "no record", seconds, executed=executed)
    return Result(name, "ok", seconds, executed=executed, metrics=read_record(record_path)["metrics"])


def _describe(overrides: Mapping[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in overrides.items()) or "defaults"


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    with contextlib.suppress(ValueError):
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    return str(path)


def _report(result: Result) -> str:
    line = f"{result.notebook}  {result.status}  {result.seconds:.1f} s"
    if result.error:
        line += f"  {result.error}"
    if result.status == "failed" and result.executed:
        line += f"  (traceback: {_shown(result.executed)})"
    return line


def run_course(notebooks: Sequence[Path], run_dir: Path, profile: Mapping[str, Mapping[str, Any]],
               timeout: float = DEFAULT_TIMEOUT, progress_bar: bool = True, resume: bool = False) -> list[Result]:
    """Run each notebook with its profile overrides, printing one line per notebook.

    With ``resume``, a notebook already completed in ``run_dir`` (``completed``)
    is not run again: its Result comes from its record.
    """
    results = []
    for index, notebook in enumerate(notebooks, start=1):
        overrides = profile.get(notebook.stem, {})
        done = completed(run_dir, notebook) if resume else None
        if done is not None:
            print(f"[{index}/{len(notebooks)}] {notebook.stem}: already completed in this run, not run again",
                  flush=True)
            results.append(done)
            continue
        print(f"[{index}/{len(notebooks)}] {notebook.stem}: {_describe(overrides)}", flush=True)
        results.append(run_notebook(notebook, run_dir, overrides, timeout, progress_bar))
        print(_report(results[-1]), flush=True)
    return results


def completed(run_dir: Path, notebook: Path) -> Result | None:
    """The Result of ``notebook`` if ``run_dir`` holds its record with status ok, else None.

    A record whose metrics say ``interrupted`` (training stopped at the stop
    button and the notebook went on) is not complete.

    Records are written atomically (``records.write_record``) at a notebook's
    very end, so one that is there and reads back is a completed notebook.
    """
    path = Path(run_dir) / f"{notebook.stem}.json"
    try:
        record = read_record(path)
    except (FileNotFoundError, ValueError):  # absent, or not a record: run it
        return None
    if record.get("status") != "ok" or record.get("metrics", {}).get("interrupted"):
        return None  # an interrupted training (05's record says so) is not complete: run it, resuming
    executed = Path(run_dir) / notebook.name
    return Result(notebook.stem, "ok", float(record.get("runtime_seconds") or 0.0),
                  executed=executed if executed.exists() else None, metrics=record.get("metrics", {}))


def resume_folder(runs_dir: Path, given: str) -> Path:
    """The run folder ``--resume`` continues: ``given``, or the newest in ``runs_dir`` for "latest".

    Raises:
        ValueError: no such folder, or no run folder at all.
    """
    if given != "latest":
        folder = Path(given)
        if not folder.is_dir():
            raise ValueError(f"--resume {given}: no such run folder; give one of {runs_dir}/*, or no folder "
                             "for the newest")
        return folder
    runs = sorted(path for path in Path(runs_dir).glob("*") if path.is_dir() and path.name[:8].isdigit())
    if not runs:
        raise ValueError(f"--resume: no run folder in {runs_dir} to continue; start one with: run")
    return runs[-1]


def with_resume(profile: Mapping[str, Mapping[str, Any]], notebooks: Sequence[Path]) -> dict[str, dict[str, Any]]:
    """The profile with ``resume=True`` in every selected notebook that takes a ``resume`` parameter."""
    merged = {name: dict(values) for name, values in profile.items()}
    for path in notebooks:
        if any(p.name == "resume" for p in parameter_contract.NOTEBOOK_PARAMETERS.get(path.stem, ())):
            merged.setdefault(path.stem, {})["resume"] = True
    return merged


def _format(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _metric_names(results: Sequence[Result]) -> list[str]:
    names: dict[str, None] = {}
    for result in results:
        names.update(dict.fromkeys(result.metrics))
    return list(names)


def summary_markdown(results: Sequence[Result], title: str,
                     labels: Sequence[str] | None = None) -> str:
    """The summary as a Markdown table, then one line per notebook that is not ok.

    ``labels`` replace the notebook names in the first column (a sweep's values).
    """
    labels = labels or [result.notebook for result in results]
    lines = [f"# {title}", "", "| notebook | status | seconds | key metrics |",
             "| --- | --- | ---: | --- |"]
    for label, result in zip(labels, results):
        metrics = ", ".join(f"{k}={_format(v)}" for k, v in result.metrics.items())
        lines.append(f"| {label} | {result.status} | {result.seconds:.1f} | "
                     f"{metrics.replace('|', '/')} |")
    problems = [(label, r) for label, r in zip(labels, results) if r.status != "ok"]
    if problems:
        lines += ["", "Not ok:"]
    for label, result in problems:
        why = result.error or "executed without error but wrote no record (end it with write_record)"
        where = f" (traceback in {result.executed.name})" if result.error and result.executed else ""
        lines.append(f"- {label}: {why}{where}")
    return "\n".join(lines) + "\n"


def write_summary(results: Sequence[Result], run_dir: Path) -> str:
    """Write ``summary.md`` and ``summary.csv`` (one column per metric) into ``run_dir``.

    Returns:
        The Markdown summary.
    """
    markdown = summary_markdown(results, f"Run {Path(run_dir).name}")
    atomic.write_text(Path(run_dir) / "summary.md", markdown)
    metric_names = _metric_names(results)
    table = io.StringIO(newline="")
    writer = csv.writer(table)
    writer.writerow(["notebook", "status", "seconds", "error", *metric_names])
    for r in results:
        writer.writerow([r.notebook, r.status, f"{r.seconds:.1f}", r.error,
                         *(_format(r.metrics.get(name)) for name in metric_names)])
    atomic.write_text(Path(run_dir) / "summary.csv", table.getvalue())
    return markdown


def _warn_unused(profile: Mapping[str, Any], notebooks: Sequence[Path], only: Sequence[str]) -> None:
    """A profile entry for a notebook not in the folder is a typo or a planned notebook."""
    present = {path.stem for path in notebooks}
    for name in profile:
        if name not in present and not only:
            print(f"note: the profile sets parameters for {name}, which is not in the notebooks folder")


def with_parameters(profile: Mapping[str, Mapping[str, Any]], notebooks: Sequence[Path],
                    parameters: Sequence[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The profile with ``-p NAME VALUE`` set in every selected notebook that takes NAME.

    Raises:
        ValueError: a NAME that no selected notebook takes (with the names they take).
    """
    merged = {name: dict(values) for name, values in profile.items()}
    for name, value in parameters:
        takers = [path.stem for path in notebooks
                  if any(p.name == name for p in parameter_contract.NOTEBOOK_PARAMETERS.get(path.stem, ()))]
        if not takers:
            known = sorted({p.name for path in notebooks
                            for p in parameter_contract.NOTEBOOK_PARAMETERS.get(path.stem, ())})
            raise ValueError(f"-p {name}: no selected notebook takes it; they take {', '.join(known)}")
        for notebook in takers:
            merged.setdefault(notebook, {})[name] = value
    return merged


def command_run(args: argparse.Namespace) -> int:
    notebooks = find_notebooks(args.notebooks, args.only)
    profile = load_profile(args.config, args.profile)
    _warn_unused(profile, notebooks, args.only)
    profile = with_parameters(profile, notebooks, args.parameter)
    if args.resume:
        run_dir, profile = resume_folder(args.runs_dir, args.resume), with_resume(profile, notebooks)
    else:
        run_dir = new_run_folder(args.runs_dir, args.profile)
    count = f"{len(notebooks)} notebook" + ("" if len(notebooks) == 1 else "s")
    print(f"run folder: {_shown(run_dir)} (profile {args.profile}, {count}"
          + (", resumed" if args.resume else "") + ")")
    results = run_course(notebooks, run_dir, profile, args.timeout, not args.no_progress, resume=bool(args.resume))
    print()
    print(write_summary(results, run_dir))
    return 1 if any(result.status == "failed" for result in results) else 0


def _sweep_values(notebook: str, param: str, values: str,
                  base: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One validated overrides dict per comma-separated value (raises ParameterError)."""
    texts = [value.strip() for value in values.split(",") if value.strip()]
    if not texts:
        raise ValueError("--values is empty: give comma-separated values, e.g. 0.01,0.1,1.0")
    return [validate_overrides(notebook, {**base, param: text}) for text in texts]


def _sub_folder(param: str, value: Any) -> str:
    return re.sub(r"[^\w.=+-]", "_", f"{param}={value}")


def sweep(notebook: Path, param: str, values: str, run_dir: Path,
          base: Mapping[str, Any] | None = None, timeout: float = DEFAULT_TIMEOUT,
          progress_bar: bool = True) -> list[tuple[Any, Result]]:
    """Run ``notebook`` once per value of ``param``, each in ``run_dir/<param>=<value>/``.

    Args:
        values: comma-separated, coerced like papermill ``-p`` strings ("1e-5" -> 1e-05).
        base: the profile's other overrides for this notebook.

    Returns:
        ``[(coerced value, Result)]`` in the order given.

    Raises:
        ParameterError: an unknown ``param`` or a bad value, before anything runs.
    """
    grid = _sweep_values(notebook.stem, param, values, base or {})
    results = []
    for index, overrides in enumerate(grid, start=1):
        value = overrides[param]
        print(f"[{index}/{len(grid)}] {notebook.stem}: {_describe(overrides)}", flush=True)
        folder = Path(run_dir) / _sub_folder(param, value)
        results.append((value, run_notebook(notebook, folder, overrides, timeout, progress_bar)))
        print(_report(results[-1][1]), flush=True)
    return results


def default_metric(results: Sequence[Result]) -> str | None:
    """The first numeric (not boolean) metric of the first record that has one."""
    for result in results:
        for name, value in result.metrics.items():
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return name
    return None


def write_sweep_csv(param: str, results: Sequence[tuple[Any, Result]], path: Path) -> None:
    """One row per value: the value, status, seconds, error and every metric."""
    metric_names = _metric_names([result for _, result in results])
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow([param, "status", "seconds", "error", *metric_names])
        for value, r in results:
            writer.writerow([value, r.status, f"{r.seconds:.1f}", r.error,
                             *(_format(r.metrics.get(name)) for name in metric_names)])


def plot_sweep(notebook: str, param: str, metric: str, results: Sequence[tuple[Any, Result]],
               path: Path, log_x: bool) -> None:
    """Save ``metric`` against the value of ``param`` as a PNG (values without the metric are left out)."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the runner is headless
    import matplotlib.pyplot as plt

    points = [(value, r.metrics[metric]) for value, r in results
              if isinstance(r.metrics.get(metric), (int, float))]
    figure, axes = plt.subplots(figsize=(6, 4))
    xs = [value if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
          for value, _ in points]
    axes.plot(xs, [y for _, y in points], marker="o")
    if log_x:
        axes.set_xscale("log")
    axes.set(xlabel=param, ylabel=metric, title=f"{notebook}: {metric} against {param}")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def _log_x(notebook: str, param: str, values: Sequence[Any]) -> bool:
    """A log axis for log-scale parameters, or positive numbers spanning two decades or more."""
    spec = parameter_contract.NOTEBOOK_PARAMETERS.get(notebook, ())
    if any(p.name == param and p.log_scale for p in spec):
        return True
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return bool(numbers) and len(numbers) == len(values) and min(numbers) > 0 \
        and max(numbers) / min(numbers) >= 100


def command_sweep(args: argparse.Namespace) -> int:
    (notebook,) = _one_notebook(args.notebooks, args.notebook)
    base = load_profile(args.config, args.profile).get(notebook.stem, {})
    base = {k: v for k, v in base.items() if k != args.param}
    _sweep_values(notebook.stem, args.param, args.values, base)  # fail before creating folders
    run_dir = new_run_folder(args.runs_dir, f"sweep-{notebook.stem}-{args.param}")
    print(f"run folder: {_shown(run_dir)} (profile {args.profile})")
    results = sweep(notebook, args.param, args.values, run_dir, base, args.timeout,
                    not args.no_progress)
    write_sweep_csv(args.param, results, run_dir / "sweep.csv")
    print(summary_markdown([r for _, r in results], f"Sweep of {args.param} in {notebook.stem}",
                           [f"{args.param}={value}" for value, _ in results]))
    status = 1 if any(r.status == "failed" for _, r in results) else 0
    metric = args.metric or default_metric([r for _, r in results])
    if metric is None or not any(metric in r.metrics for _, r in results):
        print(f"no plot: no record has a numeric metric {metric or ''}".rstrip())
        return 1
    plot_sweep(notebook.stem, args.param, metric, results, run_dir / "sweep.png",
               _log_x(notebook.stem, args.param, [value for value, _ in results]))
    print(f"wrote {_shown(run_dir / 'sweep.csv')} and {_shown(run_dir / 'sweep.png')} ({metric})")
    return status


def _one_notebook(folder: Path, name: str) -> list[Path]:
    matches = find_notebooks(folder, [name.removesuffix(".ipynb")])
    if len(matches) != 1:
        raise ValueError(f"{name!r} matches {len(matches)} notebooks: "
                         + ", ".join(path.stem for path in matches))
    return matches


def command_check(_args: argparse.Namespace) -> int:
    from finetune_lab.course.environment import print_environment_check

    return 0 if print_environment_check() else 1


def command_sync(args: argparse.Namespace) -> int:
    from finetune_lab.course import sync

    return sync.main(write_files=args.write)


def command_translate(args: argparse.Namespace) -> int:
    from finetune_lab.course import translation

    return translation.main(args.language, args.notebooks, check=args.check, init_stem=args.init)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                        help="folder of the notebooks (default: the repository's notebooks/)")
    parser.add_argument("--runs-dir", type=Path, default=RUNS_DIR,
                        help="where run folders are created (default: runs/)")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="YAML profiles: profile -> notebook -> {parameter: value}")
    parser.add_argument("--profile", default=DEFAULT_PROFILE,
                        help="cpu (the notebooks' defaults), gpu or quick (a fast smoke pass)")
    parser.add_argument("--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT,
                        help="wall-clock seconds per notebook before its kernel is interrupted "
                             "(default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="hide papermill's progress bar")


def _positive_seconds(text: str) -> float:
    """``--timeout``'s type: a number of seconds > 0 (argparse turns the error into a usage message)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 seconds, got {text}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m finetune_lab.course", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute the notebooks into runs/<time>-<profile>/")
    _common_options(run)
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                     help="set a parameter in every selected notebook that takes it, as papermill's -p "
                          "(over the profile), e.g. -p dataset data/examples/customer_messages.csv")
    run.add_argument("--only", type=lambda text: [s.strip() for s in text.split(",") if s.strip()],
                     default=[], help="comma-separated name prefixes, e.g. 05 or 03,05")
    run.add_argument("--resume", nargs="?", const="latest", default=None, metavar="RUN_DIR",
                     help="continue a run in its folder (default: the newest in runs/): notebooks completed "
                          "there are skipped, notebook 05's training continues from its checkpoint")
    run.set_defaults(handler=command_run)
    sweep_parser = commands.add_parser("sweep", help="run one notebook over values of one parameter")
    sweep_parser.add_argument("notebook", help="a notebook name or its number, e.g. 01")
    sweep_parser.add_argument("--param", required=True, help="the parameter to vary")
    sweep_parser.add_argument("--values", required=True, help="comma-separated, e.g. 0.01,0.1,1.0")
    sweep_parser.add_argument("--metric", help="metric to plot (default: the first numeric one)")
    _common_options(sweep_parser)
    sweep_parser.set_defaults(handler=command_sweep)
    check = commands.add_parser("check", help="the environment check of notebook 00")
    check.set_defaults(handler=command_check)
    sync_parser = commands.add_parser("sync", help="check the notebooks and README against params and plan")
    sync_parser.add_argument("--write", action="store_true",
                             help="rewrite the parameters cells and the README's course table")
    sync_parser.set_defaults(handler=command_sync)
    translate = commands.add_parser("translate", help="build notebooks/zh/ from the English notebooks and "
                                                      "their translation files (see course/translation.py)")
    translate.add_argument("--language", default="zh", choices=sorted(TRANSLATED),
                           help="the edition (default: %(default)s)")
    translate.add_argument("--check", action="store_true",
                           help="write nothing; list missing, stale, todo or differing translations and "
                                "notebooks not built (exit code 1 if any)")
    translate.add_argument("--init", metavar="STEM",
                           help="write the skeleton translation file of notebook STEM, or add entries for its "
                                "new cells")
    translate.add_argument("--notebooks", type=Path, default=NOTEBOOKS_DIR,
                           help="folder of the English notebooks (default: the repository's notebooks/)")
    translate.set_defaults(handler=command_translate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code (2 for a usage or configuration error)."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, parameter_contract.ParameterError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
