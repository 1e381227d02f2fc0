"""Nothing is lost: a kill at any moment leaves the old folder or the new one, and damage is named."""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from finetune_lab import atomic

# A child that replaces one folder over and over with generation g: three files
# of a few MB each (so kills land inside writes too), g written in every one.
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from finetune_lab import atomic
    target = Path(sys.argv[1])
    def writer(generation):
        def write(folder):
            for name in ("a.bin", "b.bin", "config.json"):
                (folder / name).write_text(str(generation) + "x" * 3_000_000)
        return write
    generation = int(sys.argv[2])
    print("ready", flush=True)
    while True:
        generation += 1
        atomic.replace_folder(target, writer(generation), {"generation": generation})
""")


def generation_of(folder: Path) -> int:
    values = {(folder / name).read_text()[:8].rstrip("x") for name in ("a.bin", "b.bin", "config.json")}
    assert len(values) == 1, f"files from different saves: {values}"
    about = atomic.read_manifest(folder)["about"]["generation"]
    assert str(about) in values
    return about


def test_sigkill_at_twenty_random_moments_always_leaves_a_complete_folder(tmp_path):
    target, rng, generation, seen = tmp_path / "model", random.Random(0), 0, set()
    atomic.replace_folder(target, lambda f: [(f / n).write_text("0") for n in ("a.bin", "b.bin", "config.json")],
                          {"generation": 0})
    for _ in range(20):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(target), str(generation)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        child.wait()
        atomic.recover(target)
        assert atomic.problems(target) == []
        generation = generation_of(target)
        seen.add(generation)
        assert not (tmp_path / ".model.incoming").exists() and not (tmp_path / ".model.previous").exists()
    assert len(seen) > 5  # the kills landed at different moments, and saves completed in between


@pytest.mark.parametrize("crash_at", range(3))  # before the manifest, before each rename
def test_a_crash_between_any_two_steps_is_recovered(tmp_path, monkeypatch, crash_at):
    target = tmp_path / "model"
    atomic.replace_folder(target, lambda f: (f / "w.txt").write_text("old"), {"version": "old"})
    steps = []
    real_rename, real_manifest = os.rename, atomic._write_manifest

    def step(name):
        steps.append(name)
        if len(steps) - 1 == crash_at:
            raise KeyboardInterrupt(f"killed at {name}")

    monkeypatch.setattr(atomic, "_write_manifest", lambda *a: (step("manifest"), real_manifest(*a)))
    monkeypatch.setattr(atomic.os, "rename", lambda *a: (step("rename"), real_rename(*a)))
    with pytest.raises(KeyboardInterrupt):
        atomic.replace_folder(target, lambda f: (f / "w.txt").write_text("new"), {"version": "new"})
    monkeypatch.setattr(atomic.os, "rename", real_rename)
    atomic.recover(target)
    assert (target / "w.txt").read_text() == atomic.read_manifest(target)["about"]["version"]
    assert (target / "w.txt").read_text() == ("new" if crash_at >= 2 else "old")


def test_a_damaged_or_missing_file_is_named_in_one_line(tmp_path):
    target = tmp_path / "model"
    atomic.replace_folder(target, lambda f: [(f / n).write_text(n) for n in ("a.h5", "config.json")])
    atomic.check_folder(target, "re-run notebook 05")
    (target / "a.h5").write_text("a.h")                     # same size, other bytes
    (target / "config.json").unlink()
    with pytest.raises(atomic.DamagedFolderError) as error:
        atomic.check_folder(target, "re-run notebook 05")
    message = str(error.value)
    assert "\n" not in message and "a.h5 is damaged" in message and "config.json is missing" in message
    assert message.endswith("Fix: re-run notebook 05")


def test_write_text_replaces_a_file_whole(tmp_path):
    path = atomic.write_text(tmp_path / "runs" / "record.json", "{}\n")
    atomic.write_text(path, "[1]\n")
    assert path.read_text() == "[1]\n" and [p.name for p in path.parent.iterdir()] == ["record.json"]
