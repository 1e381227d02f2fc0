"""The language of the text the package shows a reader, and its one message catalog.

A notebook chooses its language in its first code cell, where a reader sees
it: ``use_language("en")`` in the English edition, ``use_language("zh")`` in
the Chinese one (the two editions differ there only by that string). Without
that call the language is ``$FINETUNE_LAB_LANGUAGE`` (for a command such as
``FINETUNE_LAB_LANGUAGE=zh python -m finetune_lab.course check``), else English.

Every text a reader meets from the package (widget panels, parameter
reasons, ``check_parameters``' errors, the self-checks' results, plot labels,
the environment check, progress bars) is written as an English template and
passed through ``tr``::

    tr("{name} raised {error}", name=name, error=error)

In English ``tr`` is ``template.format(**values)`` (the template itself when
there are no values), so English output is exactly what it was before. In
Chinese it formats the template's entry in ``zh.yml`` (beside this module),
keyed by the English template; a template without an entry stays English.
``tests/test_messages.py`` fails when a template has no entry or an entry no
template. Parameter reasons (``params.Parameter.why``) are templates too:
the widgets pass them through ``tr``.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import yaml

LANGUAGES = ("en", "zh")
LANGUAGE_VARIABLE = "FINETUNE_LAB_LANGUAGE"
CATALOGS = {"zh": Path(__file__).with_name("zh.yml")}
_chosen: str | None = None


def _checked(language: str, where: str) -> str:
    if language not in LANGUAGES:
        raise ValueError(f"{where}: unknown language {language!r}: use one of {', '.join(LANGUAGES)}")
    return language


def use_language(language: str) -> None:
    """Show the package's text in ``language`` ("en" or "zh") from now on in this process.

    For "zh" it also makes matplotlib draw Chinese (``cjk_font.use_cjk_font``).

    Raises:
        ValueError: an unknown language (one line, with the known ones).
    """
    global _chosen
    _chosen = _checked(language, "use_language")
    if language == "zh":
        from finetune_lab.course.cjk_font import use_cjk_font

        use_cjk_font()


def current_language() -> str:
    """The language ``use_language`` chose, else ``$FINETUNE_LAB_LANGUAGE``, else "en"."""
    if _chosen is not None:
        return _chosen
    return _checked(os.environ.get(LANGUAGE_VARIABLE, "en") or "en", f"${LANGUAGE_VARIABLE}")


@functools.lru_cache(maxsize=None)
def catalog(language: str) -> dict[str, str]:
    """``{English template: translated template}`` for ``language`` (empty for English)."""
    if language not in CATALOGS:
        return {}
    entries = yaml.safe_load(CATALOGS[language].read_text(encoding="utf-8")) or {}
    return {str(key): str(value) for key, value in entries.items()}


def tr(template: str, /, **values: object) -> str:
    """``template`` in the current language, formatted with ``values`` (``str.format`` fields).

    Args:
        template: the English text, a literal at the call (tests/test_messages.py finds it there).
        values: the fields' values; the translation uses the same field names, in any order.
    """
    text = catalog(current_language()).get(template, template)
    return text.format(**values) if values else text


def package_templates(package_dir: Path = Path(__file__).resolve().parent.parent) -> tuple[dict[str, str], list[str]]:
    """Every template the package passes to ``tr``: ``({template: "file:line"}, [problems])``.

    A ``tr`` call's first argument must be a string literal, a module-level constant of its file that
    is one (``tr(LEARNING_RATE_ADVICE)``), or ``<something>.why`` (a parameter's reason: those templates
    are the reasons in ``params.NOTEBOOK_PARAMETERS``, added here).
    """
    import ast

    from finetune_lab.course.params import NOTEBOOK_PARAMETERS

    templates: dict[str, str] = {}
    problems = []
    for path in sorted(Path(package_dir).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "tr"):
                continue
            where = f"{path.relative_to(Path(package_dir).parent)}:{node.lineno}"
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                templates.setdefault(argument.value, where)
            elif isinstance(argument, ast.Name) and argument.id in constants:
                templates.setdefault(constants[argument.id], where)
            elif not (isinstance(argument, ast.Attribute) and argument.attr == "why"):
                problems.append(f"{where}: tr() needs a string literal as its template")
    for spec in NOTEBOOK_PARAMETERS.values():
        for parameter in spec:
            templates.setdefault(parameter.why, f"params.py: {parameter.name}'s why")
    return templates, problems
