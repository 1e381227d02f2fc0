"""The package's reader-facing text in two languages: one catalog, English unchanged, Chinese complete."""

import string
import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from finetune_lab.course import exercises, messages  # noqa: E402
from finetune_lab.course.environment import CheckItem  # noqa: E402
from finetune_lab.course.params import Parameter, ParameterError, coerce  # noqa: E402


@pytest.fixture(autouse=True)
def english_afterwards(monkeypatch):
    """Each test starts with no language chosen and no $FINETUNE_LAB_LANGUAGE, and leaves none chosen."""
    monkeypatch.delenv(messages.LANGUAGE_VARIABLE, raising=False)
    monkeypatch.setattr(messages, "_chosen", None)
    yield


def _fields(template: str) -> list[tuple[str, str, str]]:
    return sorted((name, conversion or "", spec or "") for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None)


def test_every_template_has_a_chinese_entry_and_every_entry_a_template():
    templates, problems = messages.package_templates()
    catalog = messages.catalog("zh")
    missing = [f"{where}: {template!r}" for template, where in templates.items() if template not in catalog]
    stale = [repr(entry) for entry in catalog if entry not in templates]
    assert not problems, "\n".join(problems)
    assert not missing, "no entry in finetune_lab/course/zh.yml for:\n" + "\n".join(missing)
    assert not stale, "entries in finetune_lab/course/zh.yml whose template is gone:\n" + "\n".join(stale)
    assert len(templates) > 200  # the scan finds the calls (a scan that found none would pass the lines above)


def test_each_translation_keeps_the_fields_of_its_template():
    wrong = [f"{english!r} -> {chinese!r}" for english, chinese in messages.catalog("zh").items()
             if _fields(english) != _fields(chinese)]
    assert not wrong, "\n".join(wrong)


def test_english_text_is_the_template_itself():
    assert messages.current_language() == "en"
    assert messages.tr("Run") == "Run"
    assert messages.tr("{name} raised {error_type}: {error}", name="f", error_type="ValueError", error="x") \
        == "f raised ValueError: x"
    item = CheckItem("TensorFlow", False, "not installed", "2.21.x", "pip install it")
    assert item.line() == "FAIL TensorFlow: not installed (need 2.21.x) -> fix: pip install it"
    rate = Parameter("learning_rate", 0.1, "the step size", low=0.0, high=1.0)
    with pytest.raises(ParameterError) as raised:
        coerce(rate, "fast")
    assert str(raised.value) == ("parameter learning_rate='fast' is not allowed (not a number): "
                                 "use float in [0, 1], e.g. -p learning_rate 0.1")


def test_chinese_text_comes_from_the_catalog_with_the_same_values():
    messages.use_language("zh")
    item = CheckItem("TensorFlow", False, "2.20.0", "2.21.x", "pip install it")
    assert item.line() == "FAIL TensorFlow: 2.20.0（需要 2.21.x） -> 修复：pip install it"
    rate = Parameter("learning_rate", 0.1, "the step size", low=0.0, high=1.0)
    with pytest.raises(ParameterError, match=r"^参数 learning_rate='fast' 不允许（不是数）：请使用 float，取值范围 \[0, 1\]，例如 -p learning_rate 0.1$"):
        coerce(rate, "fast")


def test_a_self_check_composes_its_hint_in_one_language():
    def right(parameters, gradients, learning_rate, weight_decay):
        return parameters - learning_rate * gradients - learning_rate * weight_decay * parameters

    def crashes_on_numbers(parameters, gradients, learning_rate, weight_decay):
        return right(parameters.copy(), gradients, learning_rate, weight_decay)  # a float has no .copy()

    english = exercises.check_gradient_step(lambda p, g, lr, wd: p.copy() - lr * g)
    assert english.message.startswith("Not yet: missing decay term")
    assert exercises.check_gradient_step(crashes_on_numbers).message.startswith(
        "Not yet: arrays work but a single number does not")
    messages.use_language("zh")
    chinese = exercises.check_gradient_step(lambda p, g, lr, wd: p.copy() - lr * g)
    assert chinese.message.startswith("还不对：缺少衰减项")
    assert exercises.check_gradient_step(crashes_on_numbers).message.startswith("还不对：数组可以")
    assert "Not yet" not in exercises.check_gradient_step(crashes_on_numbers).message
    assert exercises.check_gradient_step(right).message.startswith("正确：")


def test_the_language_is_chosen_in_code_or_by_the_environment_and_checked(monkeypatch):
    monkeypatch.setenv(messages.LANGUAGE_VARIABLE, "zh")
    assert messages.current_language() == "zh"
    messages.use_language("en")
    assert messages.current_language() == "en"  # the notebook's own choice wins
    with pytest.raises(ValueError, match=r"^use_language: unknown language 'fr': use one of en, zh$"):
        messages.use_language("fr")
    monkeypatch.setattr(messages, "_chosen", None)
    monkeypatch.setenv(messages.LANGUAGE_VARIABLE, "de")
    with pytest.raises(ValueError, match="FINETUNE_LAB_LANGUAGE: unknown language 'de'"):
        messages.current_language()


def test_a_chinese_plot_renders_without_missing_glyphs(tmp_path):
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    with matplotlib.rc_context():
        messages.use_language("zh")
        assert matplotlib.rcParams["font.family"][0] == "DejaVu Sans"
        figure, axis = plt.subplots(figsize=(4, 3))
        axis.plot([1, 2, 3], [0.7, 0.4, 0.3], label=messages.tr("training loss (each step)"))
        axis.set(title="验证准确率 (validation accuracy) −0.5", xlabel=messages.tr("epoch"),
                 ylabel=messages.tr("cross-entropy (nats)"))
        axis.legend()
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
            figure.savefig(tmp_path / "zh.png", dpi=60)
        plt.close(figure)
        fonts = font_manager.fontManager._find_fonts_by_props(font_manager.FontProperties())
    assert [f.split("/")[-1] for f in map(str, fonts)] == ["DejaVuSans.ttf", "NotoSansSC-Regular.otf"]
    assert (tmp_path / "zh.png").stat().st_size > 1000
