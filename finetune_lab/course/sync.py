"""Keep the copies of the course's facts equal to their owners: ``python -m finetune_lab.course sync``.

Two modules own the facts: ``params`` every default, ``plan.COURSE_PLAN``
what each notebook teaches and how long it takes. Three places repeat them
for readers, and this module holds each to its owner:

- each notebook's ``parameters`` cell, written from ``params.parameters_cell``;
- the README's course table, between the two ``COURSE_TABLE_*`` marker lines,
  written from ``plan.readme_table``, and README.zh.md's (the Chinese edition's
  README, beside it) from ``plan.readme_table("zh")``;
- each notebook's first cell, which states its minutes in the words of
  ``PlannedNotebook.minutes_statement`` and no other minutes. That cell is
  prose an author writes, so it is checked, not written.

    python -m finetune_lab.course sync           # list what disagrees (exit code 1 if anything does)
    python -m finetune_lab.course sync --write   # rewrite the parameters cells and the README table
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from finetune_lab import REPO_ROOT
from finetune_lab.course import params, plan

README = REPO_ROOT / "README.md"
TRANSLATED_READMES = {"zh": "README.zh.md"}  # beside README.md, checked when present
COURSE_TABLE_START = ("<!-- The course table is written from COURSE_PLAN in finetune_lab/course/plan.py by "
                      "`python -m finetune_lab.course sync --write`: edit the plan, not these rows. -->")
COURSE_TABLE_END = "<!-- End of the course table. -->"
_MINUTES = re.compile(r"\bminutes?\b", re.IGNORECASE)


def read_notebook(path: Path) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_notebook(path: Path, notebook: dict[str, Any]) -> None:
    """Write ``notebook`` as Jupyter does (one-space indent, UTF-8), so a diff shows only real changes."""
    Path(path).write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _source(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def parameters_cell(notebook: dict[str, Any], path: Path) -> dict[str, Any]:
    """The one cell tagged ``parameters`` (papermill's convention).

    Raises:
        ValueError: no such cell, or more than one.
    """
    cells = [cell for cell in notebook["cells"] if "parameters" in cell["metadata"].get("tags", [])]
    if len(cells) != 1:
        raise ValueError(f"{Path(path).name} has {len(cells)} cells tagged 'parameters', not one")
    return cells[0]


def parameters_problems(notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> list[str]:
    """One line per notebook whose ``parameters`` cell differs from its specification."""
    problems = []
    for path in plan.find_notebooks(notebooks_dir):
        if path.stem not in params.NOTEBOOK_PARAMETERS:
            problems.append(f"{path.name}: no specification in NOTEBOOK_PARAMETERS (course/params.py)")
            continue
        try:
            cell = parameters_cell(read_notebook(path), path)
        except ValueError as error:
            problems.append(str(error))
            continue
        if _source(cell) != params.parameters_cell(path.stem):
            problems.append(f"{path.name}: its parameters cell differs from NOTEBOOK_PARAMETERS"
                            f'["{path.stem}"] in course/params.py')
    return problems


def header_problems(notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> list[str]:
    """One line per notebook whose first cell does not state exactly the plan's minutes."""
    problems = []
    for path in plan.find_notebooks(notebooks_dir):
        row = plan.planned(path.stem)
        if row is None:
            problems.append(f"{path.name}: not in COURSE_PLAN (course/plan.py)")
            continue
        header = " ".join(_source(read_notebook(path)["cells"][0]).split())  # prose wraps anywhere
        statement = row.minutes_statement()
        if statement not in header or len(_MINUTES.findall(header)) != len(_MINUTES.findall(statement)):
            problems.append(f"{path.name}: its first cell must state {statement!r} (COURSE_PLAN in "
                            "course/plan.py) and no other minutes")
    return problems


def _table_span(text: str) -> tuple[int, int]:
    """Where the README's generated course table starts and ends (the markers excluded)."""
    start, end = text.find(COURSE_TABLE_START), text.find(COURSE_TABLE_END)
    if start < 0 or end < start:
        raise ValueError("the README has no course table markers: put the lines\n"
                         f"{COURSE_TABLE_START}\n{COURSE_TABLE_END}\nwhere the table belongs")
    return start + len(COURSE_TABLE_START) + 1, end


def _readmes(readme: Path) -> list[tuple[Path, str]]:
    """``[(README, language)]``: ``readme`` in English and each translated README beside it that exists."""
    found = [(Path(readme), "en")]
    for language, name in TRANSLATED_READMES.items():
        path = Path(readme).with_name(name)
        if path.exists():
            found.append((path, language))
    return found


def readme_problems(readme: Path = README) -> list[str]:
    """One line per README (README.md, README.zh.md) whose course table is not ``plan.readme_table(language)``."""
    found = []
    for path, language in _readmes(readme):
        text = path.read_text(encoding="utf-8")
        try:
            start, end = _table_span(text)
        except ValueError as error:
            found.append(f"{path.name}: {error}")
            continue
        if text[start:end] != plan.readme_table(language):
            found.append(f"{path.name}: its course table differs from COURSE_PLAN in course/plan.py")
    return found


def problems(notebooks_dir: Path = plan.NOTEBOOKS_DIR, readme: Path = README) -> list[str]:
    """Every disagreement between a copy and its owner; empty when all agree."""
    return parameters_problems(notebooks_dir) + header_problems(notebooks_dir) + readme_problems(readme)


def write(notebooks_dir: Path = plan.NOTEBOOKS_DIR, readme: Path = README) -> list[Path]:
    """Rewrite every stale ``parameters`` cell and the README's course table; return the files changed.

    Raises:
        ValueError: a notebook without exactly one ``parameters`` cell, or a
            README without the table's markers.
    """
    changed = []
    for path in plan.find_notebooks(notebooks_dir):
        if path.stem not in params.NOTEBOOK_PARAMETERS:
            continue
        notebook = read_notebook(path)
        cell = parameters_cell(notebook, path)
        source = params.parameters_cell(path.stem)
        if _source(cell) != source:
            cell["source"] = source.splitlines(keepends=True)
            write_notebook(path, notebook)
            changed.append(path)
    for path, language in _readmes(readme):
        text = path.read_text(encoding="utf-8")
        start, end = _table_span(text)
        if text[start:end] != plan.readme_table(language):
            path.write_text(text[:start] + plan.readme_table(language) + text[end:], encoding="utf-8")
            changed.append(path)
    return changed


def main(notebooks_dir: Path = plan.NOTEBOOKS_DIR, readme: Path = README, write_files: bool = False) -> int:
    """``sync``'s command: 0 when every copy agrees with its owner (after writing, with ``write_files``)."""
    if write_files:
        for path in write(notebooks_dir, readme):
            print(f"wrote {path.name}")
    found = problems(notebooks_dir, readme)
    for line in found:
        print(line)
    if found and not write_files:
        print("fix: python -m finetune_lab.course sync --write (a notebook's first cell: by hand)")
    return 1 if found else 0
