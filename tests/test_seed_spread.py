"""The seed-spread benchmark's statistics and report, without training (a run takes minutes)."""

import numpy as np
import pytest

from benchmarks import seed_spread


def test_spread_is_the_mean_the_sample_sd_and_the_range():
    values = [0.85, 0.86, 0.87, 0.84]
    stats = seed_spread.spread(values)
    assert stats["mean"] == pytest.approx(np.mean(values))
    assert stats["sd"] == pytest.approx(np.std(values, ddof=1))  # not ddof = 0
    assert (stats["min"], stats["max"], stats["n"]) == (0.84, 0.87, 4)
    assert seed_spread.spread([0.85])["sd"] is None  # one seed has no spread


def test_the_report_lists_every_seed_and_the_spread():
    runs = [{"seed": s, "best_epoch": 2, "epochs_run": 2, "validation_accuracy": 0.9, "validation_examples": 800,
             "dev_accuracy": a, "dev_loss": 0.35, "dev_examples": 872, "minutes": 2.0, "model": "m", "device": "CPU"}
            for s, a in [(0, 0.85), (1, 0.87)]]
    result = {"command": "python -m benchmarks.seed_spread", "head": "cls", "parameters": {"seed": 0}, "runs": runs,
              "dev_accuracy": seed_spread.spread([0.85, 0.87]), "validation_accuracy": seed_spread.spread([0.9, 0.9]),
              "gap": seed_spread.spread([0.05, 0.03]), "finished": "now",
              "machine": {"cpu": "x", "cores": 2, "tensorflow": "2.21", "transformers": "4.57"}}
    text = seed_spread.markdown(result)
    assert "| 0 | 2 (2) | 0.9000 | 0.8500 |" in text and "| 1 | 2 (2) | 0.9000 | 0.8700 |" in text
    assert "| dev accuracy | 0.8600 | 0.0141 | 0.8500 – 0.8700 | 2 |" in text


def test_a_repeated_seed_is_refused(capsys):
    with pytest.raises(SystemExit):
        seed_spread.main(["--seeds", "1", "1"])
    assert "each seed once" in capsys.readouterr().err
