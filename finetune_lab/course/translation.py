"""Translated editions of the notebooks, generated from the English ones: ``python -m finetune_lab.course translate``.

The English notebooks are the source. A translated edition lives in
``notebooks/<language>/`` (``notebooks/zh/`` for Chinese): each notebook there
is *built* from its English notebook and a translation file
``notebooks/<language>/translations/<stem>.yml``, never edited by hand.

The translation file has one entry per English cell, in the English order,
keyed by the cell's ``id`` (nbformat 4.5)::

    notebook: 00_start_here
    cells:
    - id: 14afff5d  # cell 0, markdown
      en_sha: 3f1c0a9e2b7d        # first 12 hex of sha256(English source): what was translated
      zh: |-
        # 00 · 从这里开始 ...
    - id: 3718e517  # cell 1, code
      en_sha: 9a0b...
      same: true                  # a code cell with nothing to translate
    - id: ...
      todo: true                  # written by --init: the English text, still to translate

``zh`` is the translated source: markdown translated; for code, the same code
(``code_identity``) with comments, docstrings and the strings a reader sees
translated. Build (``translate``): the sources come from the translation;
cell ids, cell types, tags, other metadata and nbval markers from the English
notebook; the outputs stored in the existing translated notebook are kept
for each cell whose translated source did not change (with the execution
metadata that goes with them), and a new or changed cell has none. Translated
notebooks are executed by the runner (``run --language zh``) and copied back,
like the English ones.

``translate --check`` (and ``tests/test_translation.py``) fails, one line per
problem with the command that fixes it, when a notebook in
``plan.TRANSLATED[language]`` has no translation file, an English cell has no
entry, an entry is stale (its ``en_sha`` is not the English cell's any more),
left ``todo``, not the same code, or a built notebook is not up to date.

``translate --init STEM`` writes a skeleton translation file (every cell
``todo`` with its English text, or ``same: true`` for code without comments or
strings) or, for an existing file, adds entries for new English cells and
drops the entries of cells that are gone; it rewrites the file in the
English order (the file's own comments are rewritten too).
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import nbformat
import yaml

from finetune_lab import atomic
from finetune_lab.course import code_identity, plan

SHA_LENGTH = 12
# Metadata written by executing a notebook: it belongs to the translated notebook's own execution,
# so it is kept with a cell's outputs and never copied from the English notebook.
CELL_EXECUTION_METADATA = ("execution", "papermill", "ExecuteTime")
NOTEBOOK_EXECUTION_METADATA = ("papermill", "language_info", "widgets")
COMMAND = "python -m finetune_lab.course translate"


class TranslationError(ValueError):
    """A translation file that cannot be read; the message is one line that says how to fix it."""


@dataclass
class Entry:
    """One cell's translation: ``zh`` (the source) or ``same`` (the English source); ``todo`` until translated."""

    id: str
    en_sha: str
    zh: str | None = None
    same: bool = False
    todo: bool = False


def source_of(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def en_sha(source: str) -> str:
    """The first 12 hex digits of the SHA-256 of a cell's UTF-8 source: what a translation was made from."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:SHA_LENGTH]


def edition_dir(language: str, notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> Path:
    """``notebooks/<language>/``: the translated notebooks (``plan.edition_folder``)."""
    return plan.edition_folder(language, notebooks_dir)


def translation_path(stem: str, language: str, notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> Path:
    """``notebooks/<language>/translations/<stem>.yml``."""
    return edition_dir(language, notebooks_dir) / "translations" / f"{stem}.yml"


def first_words(text: str, count: int = 8) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


# ---------------------------------------------------------------------------- the translation file


def read_translation(path: Path) -> list[Entry]:
    """The entries of a translation file, in its order.

    Raises:
        TranslationError: not YAML, not shaped ``{notebook, cells: [entries]}``, or an entry
            without ``id`` and ``en_sha``, with neither or both of ``zh`` and ``same: true``.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise TranslationError(f"{path.name}: not valid YAML{where} ({getattr(error, 'problem', error)}): "
                               "fix the file (block scalars: `zh: |-` then the text indented)") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise TranslationError(f"{path.name}: must be a mapping with `notebook:` and a list `cells:`; "
                               f"recreate it with: {COMMAND} --init {path.stem}")
    entries = []
    for number, raw in enumerate(data["cells"]):
        if not isinstance(raw, dict) or not raw.get("id") or not raw.get("en_sha"):
            raise TranslationError(f"{path.name}: entry {number} needs `id` and `en_sha` "
                                   f"(add missing entries with: {COMMAND} --init {path.stem})")
        unknown = set(raw) - {"id", "en_sha", "zh", "same", "todo"}
        zh, same = raw.get("zh"), raw.get("same", False) is True
        if unknown or (zh is None) == (not same) or (zh is not None and not isinstance(zh, str)):
            what = f"unknown keys {sorted(unknown)}" if unknown else "needs exactly one of `zh: |-` (text) and `same: true`"
            raise TranslationError(f"{path.name}: entry {number} (id {raw['id']}): {what}")
        entries.append(Entry(str(raw["id"]), str(raw["en_sha"]), zh, same, raw.get("todo", False) is True))
    return entries


def _scalar(text: str, indent: str) -> str:
    """``text`` as a YAML block scalar a translator can edit (``|-``, ``|``, ``|+``), else a quoted string.

    Each choice is read back with the YAML loader; one that does not give ``text`` back is not used.
    """
    candidates = []
    if text and "\r" not in text:
        body = text[:-1] if text.endswith("\n") else text
        chomp = "-" if not text.endswith("\n") else ("+" if text.endswith("\n\n") else "")
        lines = body.split("\n")
        first = next((line for line in lines if line.strip()), "")
        indicator = "2" if first.startswith(" ") else ""
        block = "|" + indicator + chomp + "\n" + "\n".join(indent + line if line else "" for line in lines)
        candidates.append(block)
    candidates.append(json.dumps(text, ensure_ascii=False))
    for candidate in candidates:
        try:
            if yaml.safe_load(f"key: {candidate}\n".replace("\n" + indent, "\n  ")) == {"key": text}:
                return candidate
        except yaml.YAMLError:
            continue
    return json.dumps(text)  # ASCII escapes: always read back


def dump_translation(stem: str, entries: Sequence[Entry], english_cells: Sequence[dict[str, Any]] = ()) -> str:
    """The text of a translation file; ``english_cells`` (same order) give each entry's comment.

    Raises:
        AssertionError: the text does not read back as ``entries`` (a bug here, not in the input).
    """
    cells = {cell.get("id"): (index, cell) for index, cell in enumerate(english_cells)}
    lines = [f"# The translation of notebooks/{stem}.ipynb: one entry per English cell, in order.",
             "# Format and rules: the docstrings of finetune_lab/course/translation.py and code_identity.py.",
             f"# Build: {COMMAND}",
             f"# Check: {COMMAND} --check",
             f"# New English cells: {COMMAND} --init {stem}",
             f"notebook: {stem}", "cells:"]
    for entry in entries:
        where = cells.get(entry.id)
        comment = f"  # cell {where[0]}, {where[1]['cell_type']}" if where else ""
        lines.append(f"- id: {json.dumps(entry.id)}{comment}")
        lines.append(f"  en_sha: {json.dumps(entry.en_sha)}")
        if entry.todo:
            lines.append("  todo: true")
        if entry.same:
            lines.append("  same: true")
        else:
            lines.append("  zh: " + _scalar(entry.zh or "", "    "))
    text = "\n".join(lines) + "\n"
    data = yaml.safe_load(text)
    assert [Entry(str(c["id"]), str(c["en_sha"]), c.get("zh"), c.get("same", False), c.get("todo", False))
            for c in data["cells"]] == list(entries), f"{stem}: the translation file does not read back"
    return text


def skeleton_entry(cell: dict[str, Any]) -> Entry:
    """A new cell's entry: ``same: true`` for code without comments or strings, else its English text, ``todo``."""
    source = source_of(cell)
    if cell["cell_type"] == "code" and not code_identity.has_text(source):
        return Entry(cell["id"], en_sha(source), same=True)
    return Entry(cell["id"], en_sha(source), zh=source, todo=True)


def init(stem: str, language: str = "zh", notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> tuple[Path, int, int]:
    """Write or update ``stem``'s translation file in the English order: new cells get skeleton entries.

    Returns:
        (the file, entries added, entries removed because their English cell is gone).

    Raises:
        ValueError: no English notebook ``stem``; TranslationError: the existing file is unreadable.
    """
    matches = plan.find_notebooks(notebooks_dir, [stem.removesuffix(".ipynb")])  # ValueError: none matches
    if len(matches) != 1:
        raise ValueError(f"--init {stem} matches {len(matches)} notebooks ({', '.join(p.stem for p in matches)}): "
                         "give the whole name")
    english_path, stem = matches[0], matches[0].stem
    english = read_notebook(english_path)
    path = translation_path(stem, language, notebooks_dir)
    old = {entry.id: entry for entry in read_translation(path)} if path.exists() else {}
    entries = [old.get(cell["id"]) or skeleton_entry(cell) for cell in english["cells"]]
    added = sum(cell["id"] not in old for cell in english["cells"])
    removed = len(set(old) - {cell["id"] for cell in english["cells"]})
    atomic.write_text(path, dump_translation(stem, entries, english["cells"]))
    return path, added, removed


# ---------------------------------------------------------------------------- notebooks


def read_notebook(path: Path) -> dict[str, Any]:
    """A notebook as nbformat 4 (sources as strings).

    Raises:
        ValueError: a cell without an ``id`` (nbformat < 4.5): normalise the notebook first.
    """
    notebook = nbformat.read(str(path), as_version=4)
    if any("id" not in cell for cell in notebook.cells):
        raise ValueError(f"{Path(path).name}: cells without ids; give it nbformat 4.5 ids by saving it "
                         "in JupyterLab or with nbformat.validator.normalize")
    return notebook


def notebook_text(notebook: dict[str, Any]) -> str:
    """A notebook as Jupyter and papermill write it (nbformat.writes), with the final newline."""
    return nbformat.writes(nbformat.from_dict(notebook)) + "\n"


def build(english: dict[str, Any], entries: Sequence[Entry], existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """The translated notebook: English structure, translated sources, outputs kept where the source did not change.

    Args:
        english: the English notebook.
        entries: an entry for every English cell (extra entries are ignored).
        existing: the translated notebook as stored (executed), if there is one.

    Raises:
        KeyError: an English cell without an entry.
    """
    by_id = {entry.id: entry for entry in entries}
    previous = {cell.get("id"): cell for cell in (existing or {}).get("cells", [])}
    cells = []
    for cell in english["cells"]:
        entry = by_id[cell["id"]]
        source = source_of(cell) if entry.same else entry.zh
        new = copy.deepcopy(dict(cell))
        new["source"] = source
        new["metadata"] = {key: value for key, value in cell["metadata"].items() if key not in CELL_EXECUTION_METADATA}
        old = previous.get(cell["id"])
        keep = old is not None and old["cell_type"] == cell["cell_type"] and source_of(old) == source
        if keep:
            new["metadata"].update({key: copy.deepcopy(old["metadata"][key])
                                    for key in CELL_EXECUTION_METADATA if key in old["metadata"]})
        if cell["cell_type"] == "code":
            new["outputs"] = copy.deepcopy(old["outputs"]) if keep else []
            new["execution_count"] = old.get("execution_count") if keep else None
        cells.append(new)
    metadata = {key: value for key, value in english["metadata"].items() if key not in NOTEBOOK_EXECUTION_METADATA}
    metadata.update({key: value for key, value in (existing or {}).get("metadata", {}).items()
                     if key in NOTEBOOK_EXECUTION_METADATA})
    return {"cells": cells, "metadata": copy.deepcopy(metadata),
            "nbformat": english["nbformat"], "nbformat_minor": english["nbformat_minor"]}


# ---------------------------------------------------------------------------- check and write


def entry_problems(stem: str, english: dict[str, Any], entries: Sequence[Entry], language: str = "zh") -> list[str]:
    """One line per English cell whose entry is missing, stale, ``todo`` or not the same code; and misplaced entries."""
    fix_init = f"{COMMAND} --init {stem}"
    yml = f"notebooks/{language}/translations/{stem}.yml"
    by_id = {entry.id: entry for entry in entries}
    found = []
    for index, cell in enumerate(english["cells"]):
        source = source_of(cell)
        where = f"{stem}.ipynb cell {index} ({cell['cell_type']}, id {cell['id']}, \"{first_words(source)}\")"
        entry = by_id.get(cell["id"])
        if entry is None:
            found.append(f"{where}: no entry in {yml}; add it with: {fix_init}, then translate it")
            continue
        if entry.en_sha != en_sha(source):
            found.append(f"{where}: the translation is stale (en_sha {entry.en_sha}, the English cell's is now "
                         f"{en_sha(source)}): translate the change (git diff notebooks/{stem}.ipynb), "
                         f"then set en_sha: {en_sha(source)} in {yml}")
        elif entry.todo:
            found.append(f"{where}: still `todo: true` in {yml}: translate it, then delete the todo line")
        if cell["cell_type"] == "code" and not entry.same:
            why = code_identity.difference(source, entry.zh)
            if why:
                found.append(f"{where}: its {language} code differs from the English: {why}; "
                             f"translate only comments and strings in {yml}")
    english_ids = [cell["id"] for cell in english["cells"]]
    extra = [entry.id for entry in entries if entry.id not in set(english_ids)]
    if extra:
        found.append(f"{yml}: entries for cells no longer in {stem}.ipynb (ids {', '.join(extra)}); "
                     f"remove them with: {fix_init}")
    elif [entry.id for entry in entries] != english_ids and not any(cell not in by_id for cell in english_ids):
        found.append(f"{yml}: entries are not in the English cells' order; reorder them with: {fix_init}")
    return found


def _translated_stems(language: str, notebooks_dir: Path) -> list[str]:
    """Every notebook with a translation file, English order."""
    folder = edition_dir(language, notebooks_dir) / "translations"
    return sorted(path.stem for path in folder.glob("*.yml")) if folder.is_dir() else []


def problems(language: str = "zh", notebooks_dir: Path = plan.NOTEBOOKS_DIR,
             required: Sequence[str] | None = None) -> list[str]:
    """Everything ``--check`` reports for ``language``: empty when the edition is complete and built.

    Args:
        required: the notebooks that must be translated (default: ``plan.TRANSLATED[language]``).
    """
    required = list(plan.TRANSLATED.get(language, ()) if required is None else required)
    english_stems = [path.stem for path in plan.find_notebooks(notebooks_dir)]
    found = []
    for stem in required:
        if stem not in english_stems:
            found.append(f"{stem}: listed in TRANSLATED[{language!r}] (course/plan.py) but there is no "
                         f"notebooks/{stem}.ipynb: remove it from the list")
            continue
        path = translation_path(stem, language, notebooks_dir)
        if not path.exists():
            found.append(f"{stem}: no translation file {language}/translations/{stem}.yml; "
                         f"create it with: {COMMAND} --init {stem}, then translate it")
            continue
        found += _notebook_problems(stem, language, notebooks_dir)
    for stem in _translated_stems(language, notebooks_dir):
        if stem not in english_stems:
            found.append(f"{language}/translations/{stem}.yml: no English notebook {stem}.ipynb: delete the file "
                         "(or rename it after the English notebook)")
    for path in sorted(edition_dir(language, notebooks_dir).glob(plan.NOTEBOOK_PATTERN)):
        if not translation_path(path.stem, language, notebooks_dir).exists():
            found.append(f"{language}/{path.name}: built from no translation file: delete it")
    return found


def _notebook_problems(stem: str, language: str, notebooks_dir: Path) -> list[str]:
    english = read_notebook(Path(notebooks_dir) / f"{stem}.ipynb")
    try:
        entries = read_translation(translation_path(stem, language, notebooks_dir))
    except TranslationError as error:
        return [str(error)]
    found = entry_problems(stem, english, entries, language)
    if any(cell["id"] not in {entry.id for entry in entries} for cell in english["cells"]):
        return found  # cannot build it yet
    built_path = edition_dir(language, notebooks_dir) / f"{stem}.ipynb"
    existing = read_notebook(built_path) if built_path.exists() else None
    if existing is None or notebook_text(build(english, entries, existing)) != notebook_text(existing):
        state = "is not up to date" if existing is not None else "has not been built"
        found.append(f"{language}/{stem}.ipynb {state} with its English notebook and translation: "
                     f"rebuild it with: {COMMAND}")
    return found


def write(language: str = "zh", notebooks_dir: Path = plan.NOTEBOOKS_DIR) -> list[Path]:
    """Build every notebook that has a translation file whose entries cover its cells; return the files changed.

    A notebook whose translation misses an entry or whose code differs is not built (``problems`` says why).
    """
    changed = []
    for stem in _translated_stems(language, notebooks_dir):
        english_path = Path(notebooks_dir) / f"{stem}.ipynb"
        if not english_path.exists():
            continue
        english = read_notebook(english_path)
        try:
            entries = read_translation(translation_path(stem, language, notebooks_dir))
        except TranslationError:
            continue
        blocking = [line for line in entry_problems(stem, english, entries, language)
                    if "no entry in" in line or "code differs" in line]
        if blocking:
            continue
        path = edition_dir(language, notebooks_dir) / f"{stem}.ipynb"
        existing = read_notebook(path) if path.exists() else None
        text = notebook_text(build(english, entries, existing))
        if existing is None or text != notebook_text(existing) or path.read_text(encoding="utf-8") != text:
            atomic.write_text(path, text)
            changed.append(path)
    return changed


def main(language: str = "zh", notebooks_dir: Path = plan.NOTEBOOKS_DIR, check: bool = False,
         init_stem: str | None = None) -> int:
    """``translate``'s command: 0 when the edition is complete and built (after building, without ``check``)."""
    if init_stem:
        path, added, removed = init(init_stem, language, notebooks_dir)
        print(f"wrote {path}: {added} new entries (translate those marked todo: true), "
              f"{removed} removed (their English cells are gone)")
        return 0
    if not check:
        for path in write(language, notebooks_dir):
            print(f"wrote {path}")
    found = problems(language, notebooks_dir)
    for line in found:
        print(line)
    untracked = [stem for stem in _translated_stems(language, notebooks_dir)
                 if stem not in plan.TRANSLATED.get(language, ())]
    for stem in untracked:
        print(f"note: {stem} has a translation file but is not in TRANSLATED[{language!r}] (course/plan.py), "
              "so the check does not hold it to the English yet; add it there when its translation is done")
    if not found:
        print(f"ok: the {language} edition's {len(plan.TRANSLATED.get(language, ()))} notebooks are translated, "
              "current and built")
    return 1 if found else 0
