"""When a translated code cell is the same code as the English one (``translate --check``, notebook editions).

The rule: two cells are the same code when they are equal after removing
comments and replacing every string literal by a placeholder, except that

- an f-string's replacement fields ``{expression!conversion:format}`` must be
  equal and in the same order (they are code: only the text around them is
  translated), up to the string literals inside their expressions, which are
  placeholders as everywhere (``{'precision':>10s}``, a table header, may be
  translated; its width may not);
- ``# NBVAL_...`` marker lines (nbval reads them) must be identical and in place;
- IPython magic lines (``%...``, ``%%...``, ``!...``) must be identical;
- bytes stay bytes (``b"..."`` is not text for a reader).

Adjacent literals that Python joins (``"a " "b"``) count as one, so a
translation may wrap a string differently. Everything else (names, numbers,
operators, brackets, indentation, line structure) must be token for token the
same.

Why: the Chinese edition is generated from the English notebooks and its
expensive notebooks are not executed by CI (``plan``): this rule is what
makes "its code is the tested English code" true while a translator changes
what a reader sees (comments, docstrings, messages, plot labels). What it
cannot see: a translated string that the code uses as a key or file name
(``metrics["accuracy"]``); translators translate only text a reader sees.

Works on Python 3.10-3.13: up to 3.11 an f-string is one STRING token; from
3.12 it is FSTRING_START, FSTRING_MIDDLE..., FSTRING_END with the fields'
tokens between, which are put back together into the literal's text here.
That 3.12+ path was run by hand under Python 3.12.1 and 3.13.0 when it was written; the
unit tests run the rule under the Python of the course's environment only.
Standard library only (it is run under several Pythons by the tests).
"""

from __future__ import annotations

import ast
import copy
import io
import re
import tokenize
from typing import NamedTuple

_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)
_MARKER = "# NBVAL_"
_MAGIC_LINE = re.compile(r"^[ \t]*[%!]")
_PREFIX = re.compile(r"^[A-Za-z]*")


class Item(NamedTuple):
    """One unit of a cell's code skeleton: ``key`` is compared, ``line`` (1-based) locates it."""

    key: tuple
    line: int


def skeleton(source: str) -> list[Item]:
    """The cell's code with comments dropped and literals replaced (see the module docstring).

    Raises:
        SyntaxError: the cell cannot be tokenized even with its magic lines set aside
            (``tokenize.TokenError`` is turned into a SyntaxError).
    """
    try:
        return _skeleton(source, source.splitlines())
    except (tokenize.TokenError, SyntaxError):
        pass
    # A magic line that Python's tokenizer rejects (3.12 rejects "!" and "?" in places):
    # compare it as text and tokenize the rest.
    lines = source.splitlines()
    masked = [line[: len(line) - len(line.lstrip())] + "pass" if _MAGIC_LINE.match(line) else line
              for line in lines]
    try:
        items = _skeleton("\n".join(masked), lines)
    except tokenize.TokenError as error:
        raise SyntaxError(f"cannot tokenize: {error.args[0]}") from None
    magic = [Item(("magic", line.strip()), number) for number, line in enumerate(lines, 1) if _MAGIC_LINE.match(line)]
    return sorted(items + magic, key=lambda item: item.line)  # stable: a magic line's "pass" stays beside it


def _tokens(source: str) -> list[tokenize.TokenInfo]:
    return list(tokenize.generate_tokens(io.StringIO(source).readline))


def _skeleton(source: str, lines: list[str]) -> list[Item]:
    tokens = _tokens(source)
    items: list[Item] = []
    pending: list[tuple[str, list, int]] = []  # adjacent literals not yet emitted: (kind, fields, line)
    index, line_start = 0, True
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        if line_start and kind == tokenize.OP and token.string in ("%", "!") or \
                line_start and kind == tokenize.ERRORTOKEN and token.string == "!":
            # An IPython magic: its physical line, verbatim, up to the logical line's end.
            row = token.start[0]
            items.append(Item(("magic", lines[row - 1].strip()), row))
            while index < len(tokens) and tokens[index].type not in (tokenize.NEWLINE, tokenize.ENDMARKER):
                index += 1
            continue
        if kind == tokenize.STRING or kind == _FSTRING_START:
            index, text = _literal(tokens, index, lines)
            pending.append((*_literal_key(text), token.start[0]))
            line_start = False
            continue
        if kind == tokenize.COMMENT and token.string.startswith(_MARKER):
            _flush(pending, items)
            items.append(Item(("marker", token.string.rstrip()), token.start[0]))
        elif kind in (tokenize.NL, tokenize.COMMENT):
            pass  # layout and comments: free to change (and literals stay adjacent across them)
        else:
            _flush(pending, items)
            text = "" if kind in (tokenize.NEWLINE, tokenize.DEDENT, tokenize.ENDMARKER) else token.string
            items.append(Item((tokenize.tok_name[kind], text), token.start[0]))
            line_start = kind in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
        index += 1
    _flush(pending, items)
    return items


def _literal(tokens: list[tokenize.TokenInfo], index: int, lines: list[str]) -> tuple[int, str]:
    """The literal starting at ``tokens[index]`` as source text, and the index after it."""
    token = tokens[index]
    if token.type == tokenize.STRING:
        return index + 1, token.string
    depth, end = 0, index  # 3.12+: FSTRING_START ... FSTRING_END, f-strings may nest
    while end < len(tokens):
        if tokens[end].type == _FSTRING_START:
            depth += 1
        elif tokens[end].type == _FSTRING_END:
            depth -= 1
            if depth == 0:
                break
        end += 1
    (row0, col0), (row1, col1) = token.start, tokens[end].end
    if row0 == row1:
        text = lines[row0 - 1][col0:col1]
    else:
        text = "\n".join([lines[row0 - 1][col0:], *lines[row0:row1 - 1], lines[row1 - 1][:col1]])
    return end + 1, text


def _literal_key(text: str) -> tuple[str, list]:
    """("bytes" or "str", the f-string fields ``[(expression, conversion, format spec)]``)."""
    prefix = _PREFIX.match(text).group(0).lower()
    if "b" in prefix:
        return "bytes", []
    if "f" not in prefix:
        return "str", []
    node = ast.parse(text.strip(), mode="eval").body
    return "str", _fields(node)


class _StringPlaceholders(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.Constant:
        return ast.Constant("…") if isinstance(node.value, str) else node


def _strings_as_placeholders(expression: ast.expr) -> ast.expr:
    """``expression`` with every string constant replaced by one placeholder (a copy; the tree is not changed)."""
    return _StringPlaceholders().visit(copy.deepcopy(expression))


def _fields(node: ast.AST) -> list[tuple[str, str, str]]:
    """An f-string's replacement fields as text: ``("x", "!r", ":.2f")``, format specs' own fields included."""
    fields = []
    for value in getattr(node, "values", []):
        if isinstance(value, ast.FormattedValue):
            conversion = f"!{chr(value.conversion)}" if value.conversion > 0 else ""
            spec = ""
            if value.format_spec is not None:
                spec = ":" + "".join(part.value if isinstance(part, ast.Constant) else
                                     "{" + "".join("".join(field) for field in _fields(ast.JoinedStr([part]))) + "}"
                                     for part in value.format_spec.values)
            fields.append((ast.unparse(_strings_as_placeholders(value.value)), conversion, spec))
    return fields


def _flush(pending: list[tuple[str, list, int]], items: list[Item]) -> None:
    """Emit adjacent literals as one placeholder: Python joins them into one value."""
    if pending:
        kinds = tuple(sorted({kind for kind, _, _ in pending}))
        fields = tuple(field for _, group, _ in pending for field in group)
        items.append(Item(("literal", kinds, fields), pending[0][2]))
        pending.clear()


def _describe(key: tuple) -> str:
    if key[0] == "literal":
        fields = key[2]
        if not fields:
            return "a string" if key[1] == ("str",) else "a bytes literal"
        return "an f-string with fields " + ", ".join("{" + "".join(field) + "}" for field in fields)
    if key[0] in ("magic", "marker"):
        return f"the line {key[1]!r}"
    if key[0] in ("NEWLINE", "ENDMARKER"):
        return "the end of a statement" if key[0] == "NEWLINE" else "the end of the cell"
    if key[0] in ("INDENT", "DEDENT"):
        return "an indent" if key[0] == "INDENT" else "a dedent"
    return f"{key[1]!r}"


def difference(english: str, translated: str) -> str | None:
    """None when ``translated`` is the same code as ``english`` (the module's rule), else one line saying where not.

    A cell that does not tokenize must be identical to the English one.
    """
    try:
        ours, theirs = skeleton(english), skeleton(translated)
    except SyntaxError as error:
        if english == translated:
            return None
        return f"the code must be identical to the English cell ({error}, so comments and strings cannot be told apart)"
    for index, (en, zh) in enumerate(zip(ours, theirs)):
        if en.key != zh.key:
            return (f"line {zh.line}: the English cell has {_describe(en.key)} (its line {en.line}), "
                    f"the translation has {_describe(zh.key)}")
    if len(ours) != len(theirs):
        longer, name = (ours, "English cell") if len(ours) > len(theirs) else (theirs, "translation")
        extra = longer[min(len(ours), len(theirs))]
        return f"line {extra.line}: the {name} goes on with {_describe(extra.key)} where the other ends"
    return None


def has_text(source: str) -> bool:
    """Whether a code cell may hold something to translate: a comment (not a marker) or a string literal.

    ``translate --init`` marks a code cell without either ``same: true``.
    A cell that does not tokenize counts as having text.
    """
    try:
        tokens = _tokens(source)
    except (tokenize.TokenError, SyntaxError):
        return True
    return any(_is_text(token) for token in tokens)


def _is_text(token: tokenize.TokenInfo) -> bool:
    if token.type == tokenize.COMMENT:
        return not token.string.startswith(_MARKER)
    return token.type == tokenize.STRING or token.type == _FSTRING_START


def same_code(english: str, translated: str) -> bool:
    """``difference(...) is None``."""
    return difference(english, translated) is None

