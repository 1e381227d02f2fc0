"""A Simplified-Chinese font for matplotlib, from PyPI, without root (the Chinese edition's plots).

The font is Noto Sans SC (SIL Open Font License), shipped by the wheel
``pylopdf-fonts-zh-cn`` (a dependency in pyproject.toml), so ``make setup``
installs it into .venv on any machine; nothing goes into system folders.
``use_cjk_font`` registers the file with matplotlib and sets the font family
to a fallback list: DejaVu Sans first, so Latin letters, digits and math
look as in the English edition, then Noto Sans SC for the characters DejaVu
Sans lacks. (matplotlib falls back glyph by glyph only along an explicit
family list, not inside the generic "sans-serif".)
"""

from __future__ import annotations

from pathlib import Path

LATIN_FONT = "DejaVu Sans"  # matplotlib's own default, shipped with it


def cjk_font_path() -> Path:
    """The Noto Sans SC file.

    Raises:
        ImportError: the font package is missing; the message says how to install it.
    """
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        raise ImportError("the Chinese font package is missing: `.venv/bin/pip install pylopdf-fonts-zh-cn==0.1.1` "
                          "or run `make setup`") from None
    return Path(pylopdf_fonts_zh_cn.sans_path())


def use_cjk_font() -> str:
    """Register Noto Sans SC with matplotlib and make it the fallback after DejaVu Sans; return its family name."""
    from matplotlib import font_manager, rcParams

    path = cjk_font_path()
    if not any(Path(entry.fname) == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    rcParams["font.family"] = [LATIN_FONT, name]
    return name
