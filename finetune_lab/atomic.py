"""Writes that a crash cannot half-do: a file or a folder is the old one or the new one, never a broken one.

A folder (a saved model, an export) is written into a sibling folder
``.<name>.incoming``, closed by a manifest (``manifest.json``: every file's
size and SHA-256, and what the caller says about it), then swapped in with
two renames: the old folder to ``.<name>.previous``, the new one to its
name. A kill between those two renames leaves no folder under the name for
an instant; ``recover`` (run by every ``replace_folder`` and by the loaders)
finishes the swap if the new folder is complete, or puts the old one back.
A file (a run record) is written to a temporary file and renamed over the
old one, which POSIX makes atomic.

No TensorFlow: the course runner and the records use it too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping

MANIFEST = "manifest.json"


class DamagedFolderError(ValueError):
    """A saved folder's manifest does not match its files; the one-line message says how to recreate it."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


def write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _sibling(directory: Path, role: str) -> Path:
    return directory.parent / f".{directory.name}.{role}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_manifest(folder: Path, about: Mapping[str, Any]) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    manifest = {"written_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                "about": dict(about),
                "files": {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
                          for p in files}}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str) + "\n", encoding="utf-8")


def problems(folder: str | Path, checksums: bool = True) -> list[str]:
    """What is wrong with a folder written by ``replace_folder``: [] when its files match its manifest."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        files = manifest["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return [f"{MANIFEST} is missing or unreadable"]
    found = []
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            found.append(f"{name} is missing")
        elif path.stat().st_size != expected["bytes"] or (checksums and _sha256(path) != expected["sha256"]):
            found.append(f"{name} is damaged (its size or checksum differs from the manifest)")
    return found


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a folder written by ``replace_folder``, or None if it has none."""
    path = Path(folder) / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def recover(directory: str | Path) -> None:
    """Finish or undo a ``replace_folder`` that a crash interrupted; remove what it left behind."""
    directory = Path(directory)
    incoming, previous = _sibling(directory, "incoming"), _sibling(directory, "previous")
    if not directory.exists():
        if incoming.is_dir() and not problems(incoming, checksums=False):
            os.rename(incoming, directory)          # the new folder was complete: finish the swap
        elif previous.is_dir():
            os.rename(previous, directory)          # put the old one back
    if directory.exists():
        for leftover in (incoming, previous):
            shutil.rmtree(leftover, ignore_errors=True)


def replace_folder(directory: str | Path, write: Callable[[Path], None],
                   about: Mapping[str, Any] | None = None) -> Path:
    """Write a folder with ``write(folder)`` and put it in place of ``directory`` atomically.

    Args:
        directory: the folder to create or replace.
        write: fills the (empty) folder it is given.
        about: JSON-able facts kept in the manifest (what made it, with which parameters).

    Returns:
        ``directory`` as a Path.
    """
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    recover(directory)
    incoming, previous = _sibling(directory, "incoming"), _sibling(directory, "previous")
    shutil.rmtree(incoming, ignore_errors=True)
    incoming.mkdir()
    write(incoming)
    _write_manifest(incoming, about or {})          # last: a folder with a valid manifest is complete
    if directory.exists():
        os.rename(directory, previous)
    os.rename(incoming, directory)
    shutil.rmtree(previous, ignore_errors=True)
    return directory


def check_folder(directory: str | Path, how_to_recreate: str) -> None:
    """Recover ``directory``, then raise ``DamagedFolderError`` if its manifest lists a missing or damaged file.

    A folder without a manifest (written by something else) is not checked.
    """
    directory = Path(directory)
    recover(directory)
    if not (directory / MANIFEST).is_file():
        return
    found = problems(directory)
    if found:
        raise DamagedFolderError(f"{directory}: {'; '.join(found)}. Fix: {how_to_recreate}")
