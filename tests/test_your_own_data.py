"""A user's three-class CSV with string labels goes through notebooks 05 and 06 by parameters alone.

This executes the two real notebooks with the course runner (papermill), on
the 60-message example file, with a budget of seconds: it checks the path a
reader's own data takes, not the accuracy.
"""

import json

from finetune_lab import REPO_ROOT
from finetune_lab.course import runner

EXAMPLE = "data/examples/customer_messages.csv"
NAMES = ["complaint", "praise", "question"]


def test_the_runner_takes_a_users_csv_through_05_and_06_with_dash_p(tmp_path):
    model_dir = tmp_path / "customer_model"
    code = runner.main(["run", "--only", "05,06", "--runs-dir", str(tmp_path / "runs"), "--no-progress",
                        "-p", "dataset", EXAMPLE, "-p", "epochs", "2", "-p", "batch_size", "8",
                        "-p", "run_common_mistakes", "false", "-p", "output_dir", str(model_dir),
                        "-p", "model_dir", str(model_dir), "-p", "alert_class", "complaint",
                        "-p", "num_bootstrap", "50", "-p", "latency_sentences", "3"])
    (run_dir,) = (tmp_path / "runs").iterdir()
    summary = (run_dir / "summary.md").read_text()
    assert code == 0, summary
    record = json.loads((run_dir / "05_fine_tune_bert.json").read_text())
    assert record["parameters"]["dataset"] == EXAMPLE
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["about"]["class_names"] == NAMES
    assert json.loads((model_dir / "config.json").read_text())["id2label"] == {str(i): n for i, n in enumerate(NAMES)}
    cells = json.loads((run_dir / "06_evaluation_and_deployment.ipynb").read_text())["cells"]
    shown = json.dumps([cell.get("outputs", []) for cell in cells])
    assert all(name in shown for name in NAMES)          # class names in what 06 printed and drew
    assert str(REPO_ROOT) not in shown                   # and no machine-specific path
