"""The Chinese edition is generated from the English notebooks: the code rule, staleness, building, the check."""

import shutil
from pathlib import Path

import nbformat
import pytest

from finetune_lab.course import code_identity, plan, runner, translation

REAL = "00_start_here"


# ---------------------------------------------------------------------------- the code rule


@pytest.mark.parametrize("english, translated", [
    ("x = 1  # one\n", "x = 1  # 一\n"),
    ("# a whole-line comment\nx = 1", "# 整行注释\nx = 1"),
    ("x = 1", "x = 1  # 加了一条注释"),
    ('print("hello")', 'print("你好")'),
    ('def f():\n    """Return one."""\n    return 1', 'def f():\n    """返回一。"""\n    return 1'),
    ('print("a long " "sentence")', 'print("一句")'),  # adjacent literals are one value
    ('print(f"{loss:.3f} after {steps} steps")', 'print(f"{loss:.3f}，共 {steps} 步")'),
    ('print(f"{d[\'k\']!r}: done")', 'print(f"{d[\'k\']!r}：完成")'),
    ('x = f"""a\n{y}\nb"""', 'x = f"""甲\n{y}\n乙"""'),
    ("%matplotlib inline\nx = 1  # a", "%matplotlib inline\nx = 1  # 甲"),
    ("# NBVAL_CHECK_OUTPUT\nprint('ok')", "# NBVAL_CHECK_OUTPUT\nprint('好')"),
    ("x = (1,\n     2)", "x = (1,  # 第一个\n     2)"),
    ("print(f\"{'precision':>10s}{p:8.3f}\")", "print(f\"{'精确率':>10s}{p:8.3f}\")"),  # a header inside a field
])
def test_changed_comments_and_strings_are_the_same_code(english, translated):
    assert code_identity.difference(english, translated) is None


@pytest.mark.parametrize("english, translated, said", [
    ("x = 1", "y = 1", "'y'"),                                                  # a name
    ("x = 1", "x = 2", "'2'"),                                                  # a number
    ("x = a + b", "x = a - b", "'-'"),                                          # an operator
    ('print(f"{loss} s")', 'print(f"{loss * 2} 秒")', "{loss * 2}"),            # an f-string expression
    ('print(f"{a} {b}")', 'print(f"{b} {a}")', "{b}, {a}"),                     # fields out of order
    ('print(f"{a:.3f}")', 'print(f"{a:.2f}")', "{a:.2f}"),                      # a format spec
    ("print(f\"{'recall':>8s}\")", "print(f\"{'召回率':>6s}\")", ":>6s"),          # a header's width
    ('print(f"{a!r}")', 'print(f"{a}")', "{a}"),                                # a conversion
    ("# NBVAL_CHECK_OUTPUT\nx", "# NBVAL_IGNORE_OUTPUT\nx", "NBVAL_IGNORE"),    # an nbval marker
    ("# NBVAL_CHECK_OUTPUT\nx", "x", "NBVAL_CHECK_OUTPUT"),                     # a marker dropped
    ("%matplotlib inline\nx", "%matplotlib widget\nx", "%matplotlib widget"),   # a magic
    ("!pip install a\nx", "!pip install b\nx", "!pip install b"),               # a shell line
    ('x = b"a"', 'x = "a"', "a string"),                                        # bytes are not text
    ("if a:\n    x = 1", "if a:\n    x = 1\n    y = 2", "'y'"),                # a line added
])
def test_changed_code_is_not_the_same_code_and_the_difference_says_where(english, translated, said):
    why = code_identity.difference(english, translated)
    assert why is not None and said in why and why.startswith("line ")


def test_a_cell_that_does_not_tokenize_must_be_identical():
    english = "x = '''unterminated"
    assert code_identity.difference(english, english) is None
    assert "identical" in code_identity.difference(english, "x = '''未终止")


# ---------------------------------------------------------------------------- the translation file


@pytest.mark.parametrize("text", ["one line", "two\nlines\n", "ends with blank lines\n\n\n", "  starts indented",
                                  "\n\nafter blank lines", "trailing spaces  \nand\ttabs", "", "\x1b[1mbold",
                                  "line one\n  \n    indented and a spaces-only line", "# looks: like yaml\n- x"])
def test_a_translation_file_reads_back_exactly_what_was_written(tmp_path, text):
    entries = [translation.Entry("abc", "0" * 12, zh=text), translation.Entry("def", "1" * 12, same=True),
               translation.Entry("ghi", "2" * 12, zh=text, todo=True)]
    path = tmp_path / "01_x.yml"
    path.write_text(translation.dump_translation("01_x", entries), encoding="utf-8")
    assert translation.read_translation(path) == entries


@pytest.mark.parametrize("text, said", [
    ("cells: [{id: a, en_sha: b}]", "exactly one of"),
    ("cells: [{id: a, en_sha: b, zh: x, same: true}]", "exactly one of"),
    ("cells: [{id: a, zh: x}]", "needs `id` and `en_sha`"),
    ("cells: [{id: a, en_sha: b, zh: x, note: y}]", "unknown keys"),
    ("cells: {a: b}", "--init"),
    ("cells: [\n  - id: a\n   en_sha: b", "not valid YAML at line"),
])
def test_a_malformed_translation_file_is_a_one_line_error(tmp_path, text, said):
    path = tmp_path / "01_x.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(translation.TranslationError, match="01_x.yml") as raised:
        translation.read_translation(path)
    assert said in str(raised.value) and "\n" not in str(raised.value)


# ---------------------------------------------------------------------------- staleness, building, the check


def _course_copy(tmp_path: Path) -> Path:
    """notebooks/00_start_here.ipynb copied into tmp_path, translated by marking every English text 【译】."""
    folder = tmp_path / "notebooks"
    folder.mkdir(parents=True)
    shutil.copy(plan.NOTEBOOKS_DIR / f"{REAL}.ipynb", folder)
    translation.init(REAL, "zh", folder)
    path = translation.translation_path(REAL, "zh", folder)
    entries = translation.read_translation(path)
    english = nbformat.read(folder / f"{REAL}.ipynb", as_version=4)
    for entry, cell in zip(entries, english.cells):
        if entry.todo:  # a markdown cell: its text marked; a code cell: a comment added (the same code)
            entry.zh = "【译】" + entry.zh if cell.cell_type == "markdown" else entry.zh + "\n# 【译】"
            entry.todo = False
    path.write_text(translation.dump_translation(REAL, entries), encoding="utf-8")
    return folder


def _problems(folder: Path) -> list[str]:
    return translation.problems("zh", folder, required=[REAL])


def _set_source(path: Path, index: int, source: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[index].source = source
    nbformat.write(notebook, path)


def test_a_skeleton_is_todo_until_translated_and_then_builds_clean(tmp_path):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(plan.NOTEBOOKS_DIR / f"{REAL}.ipynb", folder)
    translation.init(REAL, "zh", folder)
    english = nbformat.read(folder / f"{REAL}.ipynb", as_version=4)
    todo = [line for line in _problems(folder) if "todo" in line]
    assert len(todo) == sum(1 for cell in english.cells if cell.cell_type == "markdown" or "#" in cell.source
                            or '"' in cell.source or "'" in cell.source) > 0

    folder = _course_copy(tmp_path / "translated")
    assert _problems(folder) == [f"zh/{REAL}.ipynb has not been built with its English notebook and translation: "
                                 f"rebuild it with: {translation.COMMAND}"]
    assert translation.write("zh", folder) == [folder / "zh" / f"{REAL}.ipynb"]
    assert _problems(folder) == []
    assert translation.write("zh", folder) == []  # built notebooks are left alone when up to date
    built = nbformat.read(folder / "zh" / f"{REAL}.ipynb", as_version=4)
    assert [c.id for c in built.cells] == [c.id for c in english.cells]
    assert [c.metadata.get("tags") for c in built.cells] == [c.metadata.get("tags") for c in english.cells]
    assert built.cells[0].source.startswith("【译】# 00") and all(
        not c.outputs for c in built.cells if c.cell_type == "code")


def test_a_changed_english_markdown_cell_is_stale_until_its_translation_follows(tmp_path, monkeypatch, capsys):
    folder = _course_copy(tmp_path)
    translation.write("zh", folder)
    english_path = folder / f"{REAL}.ipynb"
    english = nbformat.read(english_path, as_version=4)
    index = next(i for i, cell in enumerate(english.cells) if cell.cell_type == "markdown" and i > 0)
    changed = "Changed English prose about the environment check.\n\n" + english.cells[index].source
    _set_source(english_path, index, changed)

    found = _problems(folder)
    assert len(found) == 1, found  # the entry is stale (the built notebook changes only with its translation)
    assert found[0].startswith(f'{REAL}.ipynb cell {index} (markdown, id {english.cells[index].id}, '
                               '"Changed English prose about the environment check.')
    assert "stale" in found[0] and translation.en_sha(changed) in found[0]
    monkeypatch.setitem(plan.TRANSLATED, "zh", (REAL,))
    assert runner.main(["translate", "--check", "--notebooks", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == found

    path = translation.translation_path(REAL, "zh", folder)
    entries = translation.read_translation(path)
    entries[index].en_sha, entries[index].zh = translation.en_sha(changed), "改过的中文。\n\n" + entries[index].zh
    path.write_text(translation.dump_translation(REAL, entries), encoding="utf-8")
    assert [line for line in _problems(folder) if "stale" in line] == []
    assert translation.write("zh", folder) == [folder / "zh" / f"{REAL}.ipynb"]
    assert _problems(folder) == []
    assert runner.main(["translate", "--check", "--notebooks", str(folder)]) == 0


def test_stored_outputs_stay_with_unchanged_cells_and_go_with_changed_ones(tmp_path):
    folder = _course_copy(tmp_path)
    translation.write("zh", folder)
    built_path = folder / "zh" / f"{REAL}.ipynb"
    built = nbformat.read(built_path, as_version=4)
    code = [i for i, cell in enumerate(built.cells) if cell.cell_type == "code"]
    for i in code[:2]:  # as if executed by the runner and copied back
        built.cells[i].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"输出 {i}\n")]
        built.cells[i].execution_count = i
        built.cells[i].metadata["execution"] = {"iopub.status.idle": "2026-12-03T00:00:00Z"}
    built.metadata["papermill"] = {"duration": 1.0}
    nbformat.write(built, built_path)
    assert _problems(folder) == []  # an executed notebook is up to date

    path = translation.translation_path(REAL, "zh", folder)
    entries = translation.read_translation(path)
    entry = next(e for e in entries if e.id == built.cells[code[1]].id)
    entry.zh = (entry.zh if not entry.same else built.cells[code[1]].source) + "\n# 又一条注释"
    entry.same = False
    path.write_text(translation.dump_translation(REAL, entries), encoding="utf-8")
    assert "is not up to date" in _problems(folder)[-1]
    translation.write("zh", folder)
    rebuilt = nbformat.read(built_path, as_version=4)
    kept, dropped = rebuilt.cells[code[0]], rebuilt.cells[code[1]]
    assert kept.outputs[0].text == f"输出 {code[0]}\n" and kept.execution_count == code[0]
    assert "execution" in kept.metadata and rebuilt.metadata["papermill"] == {"duration": 1.0}
    assert dropped.outputs == [] and dropped.execution_count is None and "execution" not in dropped.metadata
    assert _problems(folder) == []


def test_the_check_names_missing_todo_and_differing_translations_and_the_fix(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    shutil.copy(plan.NOTEBOOKS_DIR / f"{REAL}.ipynb", folder)
    monkeypatch.setitem(plan.TRANSLATED, "zh", (REAL,))
    assert runner.main(["translate", "--check", "--notebooks", str(folder)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{REAL}: no translation file zh/translations/{REAL}.yml; create it with: "
        f"{translation.COMMAND} --init {REAL}, then translate it"]

    assert runner.main(["translate", "--init", "00", "--notebooks", str(folder)]) == 0
    assert "17 new entries" in capsys.readouterr().out
    path = translation.translation_path(REAL, "zh", folder)
    entries = translation.read_translation(path)
    code = next(i for i, e in enumerate(entries) if e.zh and "check_parameters(" in e.zh)
    entries[code].zh = entries[code].zh.replace("print(params)", "print(参数)  # 注释")
    del entries[0]
    path.write_text(translation.dump_translation(REAL, entries), encoding="utf-8")
    assert runner.main(["translate", "--check", "--notebooks", str(folder)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{REAL}.ipynb cell 0 (markdown") and out[0].endswith(
        f"add it with: {translation.COMMAND} --init {REAL}, then translate it")
    differs = [line for line in out if "code differs" in line]
    assert len(differs) == 1 and f"cell {code} " in differs[0] and "'参数'" in differs[0]
    assert any("todo" in line for line in out)

    assert runner.main(["translate", "--init", REAL, "--notebooks", str(folder)]) == 0  # puts the entry back
    assert "1 new entries" in capsys.readouterr().out
    assert not any("no entry" in line for line in _problems(folder))


# ---------------------------------------------------------------------------- the repository


def test_every_listed_notebook_has_a_current_translation_and_its_edition_is_built():
    found = translation.problems("zh")
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------- the runner and nbval


def test_the_runner_runs_an_edition_from_its_folder_into_its_own_run_folders():
    parser = runner.build_parser()
    english = parser.parse_args(["run"])
    chinese = parser.parse_args(["run", "--language", "zh", "--profile", "quick"])
    assert runner._edition(english) == (plan.NOTEBOOKS_DIR, "cpu")
    assert runner._edition(chinese) == (plan.NOTEBOOKS_DIR / "zh", "quick-zh")
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "--language", "fr"])


def test_nbval_runs_the_listed_translated_notebooks_and_every_english_one():
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebooks_conftest", plan.NOTEBOOKS_DIR / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    ignored = {path.name: conftest.pytest_ignore_collect(path, None) for path in (
        plan.NOTEBOOKS_DIR / "zh" / "00_start_here.ipynb", plan.NOTEBOOKS_DIR / "zh" / "05_fine_tune_bert.ipynb")}
    assert ignored == {"00_start_here.ipynb": False, "05_fine_tune_bert.ipynb": True}
    assert conftest.pytest_ignore_collect(plan.NOTEBOOKS_DIR / "05_fine_tune_bert.ipynb", None) is None
    assert set(plan.NBVAL_TRANSLATED["zh"]) <= {row.name for row in plan.COURSE_PLAN}
