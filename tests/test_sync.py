"""One owner per fact: the notebooks and the README repeat params and plan, and must agree with them."""

import json
import ast

import nbformat
import pytest

from finetune_lab.course import params, plan, sync

FIX = "\nTo fix: python -m finetune_lab.course sync --write (a notebook's first cell: edit it by hand)"


@pytest.mark.parametrize("check", [
    sync.parameters_problems,  # each notebook's parameters cell is written from its specification
    sync.header_problems,      # each notebook states the minutes of the course plan, and no others
    sync.readme_problems,      # the README's course table is the course plan
])
def test_the_repository_copies_agree_with_their_owners(check):
    problems = check()
    assert not problems, "\n".join(problems) + FIX


def test_every_default_is_written_as_a_literal_python_reads_back():
    for spec in params.NOTEBOOK_PARAMETERS.values():
        for parameter in spec:
            value = ast.literal_eval(params.format_value(parameter.default))
            assert value == parameter.default and type(value) is parameter.kind, parameter.name


@pytest.mark.parametrize("value, text", [(1e-4, "1e-4"), (3e-5, "3e-5"), (1.25e-7, "1.25e-7"),
                                         (0.01, "0.01"), (6.0, "6.0"), (0, "0"), (False, "False"),
                                         ("auto", '"auto"')])
def test_values_are_written_as_a_reader_expects(value, text):
    assert params.format_value(value) == text


def test_notebooks_that_share_a_setting_share_its_default():
    by_name = {notebook: {p.name: p.default for p in spec}
               for notebook, spec in params.NOTEBOOK_PARAMETERS.items()}
    transfer, fine_tune = by_name["04_transfer_learning"], by_name["05_fine_tune_bert"]
    assert transfer["model"] == fine_tune["model"]
    assert transfer["learning_rate"] == fine_tune["learning_rate"]  # "notebook 05's peak rate"
    assert by_name["06_evaluation_and_deployment"]["model_dir"] == fine_tune["output_dir"]
    assert by_name["07_your_own_data"]["source_model_dir"] == fine_tune["output_dir"]


@pytest.mark.parametrize("minutes, note, cell, statement", [
    (0, "", "< 1", "Under a minute on an idle 2-core CPU"),
    (1, "", "about 1", "About 1 minute on an idle 2-core CPU"),
    (7, "more on a busy one", "about 7 (more on a busy one)",
     "About 7 minutes on an idle 2-core CPU (more on a busy one)"),
])
def test_minutes_read_the_same_in_a_table_and_in_a_sentence(minutes, note, cell, statement):
    row = plan.PlannedNotebook("09_x", "x", minutes, "x", note)
    assert (row.minutes(), row.minutes_statement()) == (cell, statement)


def _course_copy(folder, header, parameters):
    """A one-notebook course (01_empirical_risk) and a README with a stale course table."""
    notebooks = folder / "notebooks"
    notebooks.mkdir()
    notebook = nbformat.v4.new_notebook()
    parameters_cell = nbformat.v4.new_code_cell(parameters)
    parameters_cell.metadata["tags"] = ["parameters"]
    notebook.cells = [nbformat.v4.new_markdown_cell(header), parameters_cell,
                      nbformat.v4.new_code_cell("print(params)")]
    nbformat.write(notebook, notebooks / "01_empirical_risk.ipynb")
    readme = folder / "README.md"
    readme.write_text(f"# x\n\n{sync.COURSE_TABLE_START}\n| old | table |\n{sync.COURSE_TABLE_END}\n\nmore\n")
    return notebooks, readme


def test_write_rewrites_stale_parameters_cells_and_the_readme_table_only(tmp_path):
    header = "# 01\n\n**What it needs.** Under a minute on an idle\n2-core CPU. No GPU."
    notebooks, readme = _course_copy(tmp_path, header, "learning_rate = 0.3  # a stale default")
    before = nbformat.read(notebooks / "01_empirical_risk.ipynb", as_version=4)
    assert len(sync.problems(notebooks, readme)) == 2
    assert sync.main(notebooks, readme) == 1

    assert sync.write(notebooks, readme) == [notebooks / "01_empirical_risk.ipynb", readme]
    assert sync.problems(notebooks, readme) == []
    after = nbformat.read(notebooks / "01_empirical_risk.ipynb", as_version=4)
    assert after.cells[1].source == params.parameters_cell("01_empirical_risk")
    assert [cell.id for cell in after.cells] == [cell.id for cell in before.cells]
    assert after.cells[0] == before.cells[0] and after.cells[2] == before.cells[2]
    text = readme.read_text()
    assert text.startswith("# x\n\n") and text.endswith("\nmore\n") and plan.readme_table() in text
    assert sync.write(notebooks, readme) == []  # nothing left to change


@pytest.mark.parametrize("header", [
    "**What it needs.** About 7 to 10 minutes on a 2-core CPU.",  # not the plan's statement
    "**What it needs.** Under a minute on an idle 2-core CPU (5 minutes on a busy one).",  # a second figure
])
def test_a_header_that_states_other_minutes_is_reported(tmp_path, header):
    notebooks, readme = _course_copy(tmp_path, header, params.parameters_cell("01_empirical_risk"))
    (problem,) = sync.header_problems(notebooks)
    assert "'Under a minute on an idle 2-core CPU'" in problem


def test_the_course_command_line_runs_the_check(capsys):
    from finetune_lab.course import runner

    assert runner.main(["sync"]) == 0 and capsys.readouterr().out == ""


def test_every_notebook_names_the_kernel_make_setup_installs():
    """JupyterLab rewrites (and so dirties) a notebook whose kernel's display name differs from the installed one."""
    import re

    from finetune_lab import REPO_ROOT

    display_name = re.search(r'--display-name "([^"]+)"', (REPO_ROOT / "Makefile").read_text()).group(1)
    notebooks = sorted((REPO_ROOT / "notebooks").glob("**/[0-9][0-9]_*.ipynb"))
    assert len(notebooks) >= 16   # the English edition and the Chinese one
    wrong = {str(path.relative_to(REPO_ROOT)): spec for path in notebooks
             if (spec := json.loads(path.read_text(encoding="utf-8"))["metadata"].get("kernelspec"))
             != {"display_name": display_name, "language": "python", "name": "python3"}}
    assert not wrong, f"kernelspec differs from the Makefile's ({display_name!r}): {wrong}"
