"""How fast, and with what message, does loading a model fail? Each bad case once, timed.

    .venv/bin/python -m benchmarks.load_failures

Writes ``benchmarks/results/load_failures.md`` (and ``.json``): per case the
seconds until the error and its one-line message. The cases are issue 13's:
a mistyped relative folder, a missing absolute folder, a hub id with
``HF_HUB_OFFLINE=1``, a hub id with the network this machine really has (no
variable set; on a machine without internet that is the probe's limit), a
saved model whose weights file was cut short, one whose manifest lists a
missing file, and the pretrained encoder (no trained head) loaded where a
fine-tuned classifier is expected. The unit tests assert each case
(``tests/test_models.py``, ``tests/test_atomic.py``); this writes the figures.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.fine_tune_speed import RESULTS_DIR, machine
from finetune_lab import REPO_ROOT, atomic


def timed(action) -> dict:
    """Run ``action``; the seconds it took and the error it raised (type and message), or 'loaded'."""
    started = time.perf_counter()
    try:
        action()
        outcome, message = "loaded", ""
    except Exception as error:  # what is measured: which error, how fast
        outcome, message = type(error).__name__, str(error)
    return {"seconds": time.perf_counter() - started, "outcome": outcome, "message": message}


def saved_model(folder: Path) -> Path:
    """A small fine-tuned-looking model saved by ``storage.save`` (MiniLM with its head), for damaging."""
    from finetune_lab.pretrained import models, storage

    model, tokenizer, _ = models.load_classifier("minilm")
    return storage.save(model, tokenizer, folder / "model", about={"notebook": "benchmark"})


def cases(scratch: Path) -> dict:
    from finetune_lab.pretrained import models, storage

    good = saved_model(scratch)
    cut = scratch / "cut"
    shutil.copytree(good, cut)
    weights = next(p for p in cut.iterdir() if p.suffix in (".h5", ".safetensors"))
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    missing = scratch / "missing_file"
    shutil.copytree(good, missing)
    (missing / "config.json").unlink()

    def hub(offline: bool):
        def load():
            saved = os.environ.pop("HF_HUB_OFFLINE", None)
            if offline:
                os.environ["HF_HUB_OFFLINE"] = "1"
            try:
                models.load_classifier("bert-base-uncased")
            finally:
                os.environ.pop("HF_HUB_OFFLINE", None)
                if saved is not None:
                    os.environ["HF_HUB_OFFLINE"] = saved
        return load

    return {
        "mistyped relative folder (saved_models/05_fine_tuned_typo)":
            lambda: models.load_classifier("saved_models/05_fine_tuned_typo"),
        "missing absolute folder": lambda: models.load_classifier(str(scratch / "nowhere")),
        "hub id, HF_HUB_OFFLINE=1": hub(offline=True),
        "hub id, this machine's network, no variable": hub(offline=False),
        "saved model, weights file cut in half": lambda: storage.load(cut),
        "saved model, a file of its manifest missing": lambda: storage.load(missing),
        "pretrained encoder where a fine-tuned classifier is expected":
            lambda: storage.load(models.offline_model_dir()),
    }


def markdown(result: dict) -> str:
    rows = "\n".join(f"| {name} | {r['seconds']:.2f} | {r['outcome']} | {r['message'].replace('|', '/')} |"
                     for name, r in result["cases"].items())
    m = result["machine"]
    return f"""# How fast loading fails (issue 13)

Written by `python -m benchmarks.load_failures` ({result['finished']}); {m['cpu']}, {m['cores']} cores,
TensorFlow {m['tensorflow']}, transformers {m['transformers']}. Seconds from the call to the error, in one
process (the first case also pays TensorFlow's and transformers' first imports of loading code).

| case | seconds | error | message (one line) |
|---|---|---|---|
{rows}
"""


def main() -> None:
    import finetune_lab  # noqa: F401  (Keras 2 and a quiet TensorFlow start-up)

    with tempfile.TemporaryDirectory(prefix="load_failures_") as scratch:
        results = {name: timed(action) for name, action in cases(Path(scratch)).items()}
    for r in results.values():  # no machine's paths in the committed results
        r["message"] = r["message"].replace(scratch, "<scratch>").replace(str(REPO_ROOT), "<repository>")
    for name, r in results.items():
        print(f"{r['seconds']:6.2f} s  {name}: {r['outcome']}: {r['message'][:160]}")
    result = {"cases": results, "machine": machine(),
              "finished": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    atomic.write_text(RESULTS_DIR / "load_failures.json", json.dumps(result, indent=1) + "\n")
    atomic.write_text(RESULTS_DIR / "load_failures.md", markdown(result))
    print(f"wrote {RESULTS_DIR / 'load_failures.md'}")


if __name__ == "__main__":
    main()
