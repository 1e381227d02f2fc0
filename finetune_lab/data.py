"""Labelled texts: SST-2, the Financial PhraseBank, and your own files; seeded splits.

Introduced in notebook 05 (``05_fine_tune_bert``). Every loader returns a
``LabelledTexts``: ``texts`` a ``list[str]`` of length ``num_examples``
(stripped, never empty), ``labels`` an ``int64`` array of shape
``(num_examples,)`` of class ids ``0 .. K-1``, and ``class_names``, the K
names (class id k is ``class_names[k]``). It unpacks as a pair,
``texts, labels = load_sst2("dev")``, as the binary loaders always returned.

How the workbook uses SST-2's three files (see data/README.md):

- ``train`` is for training. The validation set that early stopping watches
  is carved out of train only, by ``train_validation_split``.
- ``dev`` is the held-out evaluation set: never trained on, never used to
  choose a checkpoint, so its accuracy is comparable to published results.
- ``test`` is the final test, run once at the end.

The Financial PhraseBank (three classes) ships with a seeded, stratified
train / validation / test split; your own single file gets one from
``load_labelled_splits`` (or ``train_validation_test_split``).

Bad input files raise ``DataFileError`` (a ``ValueError``) whose message names
the file, the line as an editor numbers it (the header is line 1), the column,
and how to fix it. A missing file raises ``DataFileNotFoundError``, which is
both a ``DataFileError`` and a ``FileNotFoundError``, so either ``except``
catches it. No row is ever dropped silently: a line is an example or an error.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, NamedTuple, Sequence

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split
from sklearn.utils import resample

SST2_SPLITS = ("train", "dev", "test")
SST2_CLASS_NAMES = ("negative", "positive")
FINANCIAL_PHRASEBANK_SPLITS = ("train", "validation", "test")
FINANCIAL_PHRASEBANK_CLASS_NAMES = ("negative", "neutral", "positive")
DATA_ENV_VAR = "FINETUNE_LAB_DATA"
"""Name of the environment variable pointing to a folder that holds ``sst2/`` and ``financial_phrasebank/``."""

_DELIMITER_BY_EXTENSION = {".tsv": "\t", ".csv": ","}
_JSON_LINES_EXTENSIONS = (".jsonl", ".ndjson")
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
_EXTENSION_HINT = {"\t": " or name the file .tsv", ",": " or name the file .csv"}
_TOKEN_TAG = re.compile(r"(O|[BIES]-\S+)\Z")
"""A named-entity tag in the BIO/BIOES scheme of CoNLL-2003: ``O``, ``B-PER``, ``I-ORG``, ..."""


class DataFileError(ValueError):
    """A data file cannot be read as labelled examples; the message holds the fix.

    In IPython (JupyterLab, papermill, nbval) only the message is shown, not a
    traceback: the problem is in the file, not in our code.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class DataFileNotFoundError(DataFileError, FileNotFoundError):
    """The data file does not exist. Caught by ``except FileNotFoundError`` too."""


def _error(path: Path, problem: str, fix: str, line: int | None = None,
           column: str | None = None) -> DataFileError:
    """Build the one error format: ``<file>, line <n>, column '<name>': <problem>. Fix: <fix>``."""
    where = str(path)
    if line is not None:
        where += f", line {line}"
    if column is not None:
        where += f", column {column!r}"
    return DataFileError(f"{where}: {problem}. Fix: {fix}")


# ------------------------------------------------------------ labelled texts

@dataclass(frozen=True, eq=False)
class LabelledTexts:
    """Texts, their class ids and the names of the classes: what every loader returns.

    Attributes:
        texts: ``list[str]`` of length ``num_examples``.
        labels: ``int64`` array of shape ``(num_examples,)``, class ids in ``0 .. K-1``.
        class_names: ``tuple[str, ...]`` of length K >= 2; class id k is ``class_names[k]``.

    Unpacks as a pair, ``texts, labels = data``, so code written for the
    binary loaders (which returned that pair) keeps working; read
    ``data.class_names`` by name.

    Raises:
        ValueError: labels not of shape ``(num_examples,)``, fewer than 2 or
            repeated class names, or a label that is not a class id.
    """

    texts: list[str]
    labels: np.ndarray
    class_names: tuple[str, ...]

    def __post_init__(self) -> None:
        labels = np.asarray(self.labels, dtype=np.int64)
        names = tuple(self.class_names)
        if labels.shape != (len(self.texts),):
            raise ValueError(f"labels must have shape ({len(self.texts)},), one per text; got {labels.shape}")
        if len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(f"class_names must hold at least 2 different names; got {names}")
        if len(labels) and (labels.min() < 0 or labels.max() >= len(names)):
            raise ValueError(f"labels must be class ids 0 to {len(names) - 1}; found {labels.min()} to {labels.max()}")
        object.__setattr__(self, "texts", list(self.texts))
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "class_names", names)

    def __iter__(self) -> Iterator:
        return iter((self.texts, self.labels))

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def class_counts(self) -> dict[str, int]:
        """``{class name: number of examples}``, in class id order."""
        counts = np.bincount(self.labels, minlength=self.num_classes)
        return {name: int(count) for name, count in zip(self.class_names, counts)}

    def __repr__(self) -> str:
        return f"LabelledTexts(num_examples={len(self.texts)}, class_counts={self.class_counts()})"


class LabelledSplits(NamedTuple):
    """The three parts of a data set, each a ``LabelledTexts`` with the same ``class_names``."""

    train: LabelledTexts
    validation: LabelledTexts
    test: LabelledTexts


# ------------------------------------------------------- shipped data sets

def _dataset_dir(name: str, data_dir: str | os.PathLike | None) -> Path:
    """``data_dir`` if given, else ``$FINETUNE_LAB_DATA/<name>``, else the repository's ``data/<name>``."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV_VAR):
        return Path(os.environ[DATA_ENV_VAR]).expanduser() / name
    return Path(__file__).resolve().parents[1] / "data" / name


def sst2_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding SST-2's ``train.tsv``, ``dev.tsv`` and ``test.tsv``.

    Args:
        data_dir: that folder itself; wins over everything else.

    Otherwise ``$FINETUNE_LAB_DATA/sst2`` if the variable is set (for an
    installed, non-editable package or data kept elsewhere), else the
    repository's ``data/sst2`` next to this package.
    """
    return _dataset_dir("sst2", data_dir)


def _shipped_split_path(name: str, title: str, split: str, splits: Sequence[str],
                        data_dir: str | os.PathLike | None) -> Path:
    """The path of one split's TSV file, or an error that says where it was looked for."""
    if split not in splits:
        raise ValueError(f"unknown {title} split {split!r}: use one of " + ", ".join(map(repr, splits)))
    path = _dataset_dir(name, data_dir) / f"{split}.tsv"
    if not path.is_file():
        raise DataFileNotFoundError(
            f"{path}: {title} {split} file not found. Fix: pass data_dir= the folder holding "
            f"{', '.join(s + '.tsv' for s in splits)}, or set {DATA_ENV_VAR} to a folder "
            f"holding {name}/ (the repository ships them in data/{name})"
        )
    return path


def load_sst2(split: str, data_dir: str | os.PathLike | None = None) -> LabelledTexts:
    """Load one SST-2 split (notebook 05).

    Args:
        split: ``"train"`` (67,349 examples), ``"dev"`` (872, the held-out
            evaluation set) or ``"test"`` (1,821, the final test).
        data_dir: the folder holding the three TSV files; by default see ``sst2_dir``.

    Returns:
        A ``LabelledTexts`` with class names ``("negative", "positive")``:
        ``texts, labels = load_sst2("dev")`` gives ``list[str]`` of length
        ``num_examples`` and an ``int64`` array of shape ``(num_examples,)``
        with 0 = negative, 1 = positive.

    Raises:
        ValueError: an unknown split (the valid ones are listed).
        DataFileNotFoundError: the file is missing; the message says where it
            was looked for and how to point the loader elsewhere.
        DataFileError: the file is malformed (see ``load_labelled_table``).
    """
    path = _shipped_split_path("sst2", "SST-2", split, SST2_SPLITS, data_dir)
    return load_labelled_table(path, text_column="sentence", label_column="label", class_names=SST2_CLASS_NAMES)


def load_financial_phrasebank(split: str, data_dir: str | os.PathLike | None = None) -> LabelledTexts:
    """Load one split of the Financial PhraseBank, all-agree subset (three-class sentiment).

    Sentences from financial news labelled negative, neutral or positive from
    an investor's point of view (Malo et al. 2014; CC BY-NC-SA 3.0, see
    data/README.md). The split is seeded and stratified, written once by
    ``data/financial_phrasebank/make_splits.py``.

    Args:
        split: ``"train"`` (1,584 sentences), ``"validation"`` (340) or ``"test"`` (340).
        data_dir: the folder holding the three TSV files; by default
            ``$FINETUNE_LAB_DATA/financial_phrasebank`` or the repository's
            ``data/financial_phrasebank``.

    Returns:
        A ``LabelledTexts`` with class names ``("negative", "neutral", "positive")``.

    Raises:
        ValueError, DataFileNotFoundError, DataFileError: as ``load_sst2``.
    """
    path = _shipped_split_path("financial_phrasebank", "Financial PhraseBank", split,
                               FINANCIAL_PHRASEBANK_SPLITS, data_dir)
    return load_labelled_table(path, text_column="sentence", label_column="label",
                               class_names=FINANCIAL_PHRASEBANK_CLASS_NAMES)


def read_financial_phrasebank(path: str | os.PathLike,
                              class_names: Sequence[str] = FINANCIAL_PHRASEBANK_CLASS_NAMES) -> LabelledTexts:
    """Read a Financial PhraseBank file as released: ``<sentence>@<label>`` on each line.

    The label follows the *last* ``@`` (a sentence may contain one). Lines
    starting with ``#`` are comments (the copy in data/ has 7), blank lines
    are skipped. Any of the four agreement levels of the release reads the same way.

    Args:
        path: e.g. ``data/financial_phrasebank/sentences_allagree.txt``; UTF-8.
        class_names: the labels in class id order.

    Returns:
        A ``LabelledTexts`` in file order, texts stripped.

    Raises:
        DataFileNotFoundError: no such file.
        DataFileError: a line without ``@``, an empty sentence, or a label
            not in ``class_names`` (file, line and fix in the message).
    """
    path = Path(path).expanduser()
    class_id = {name: index for index, name in enumerate(class_names)}
    texts, labels = [], []
    for line, content in enumerate(_read_text(path).split("\n"), start=1):
        if not content.strip() or content.startswith("#"):
            continue
        sentence, at, label = content.rpartition("@")
        if not at or not sentence.strip():
            raise _error(path, "the line is not <sentence>@<label>", "write the sentence, then @, then "
                         f"its label ({', '.join(class_names)}), or start the line with # to make it a comment",
                         line=line)
        if label.strip() not in class_id:
            raise _error(path, f"the label {label.strip()!r} is not one of {tuple(class_names)}",
                         "correct the label after the last @, or pass class_names= listing it", line=line)
        texts.append(sentence.strip())
        labels.append(class_id[label.strip()])
    if not texts:
        raise _error(path, "the file holds no sentences", "write one <sentence>@<label> per line", line=1)
    return LabelledTexts(texts, np.array(labels, dtype=np.int64), tuple(class_names))


# ------------------------------------------------------------ your own file

def load_labelled_table(
    path: str | os.PathLike,
    text_column: str,
    label_column: str,
    label_mapping: Mapping[str | int | float, int] | None = None,
    delimiter: str | None = None,
    class_names: Sequence[str] | None = None,
) -> LabelledTexts:
    """Load a CSV, TSV or JSON Lines file of texts and their classes, any number K >= 2 (notebook 05).

    Args:
        path: the file, UTF-8 (a byte-order mark is allowed). A CSV or TSV has a
            header line naming the columns; a ``.jsonl`` file holds one JSON
            object per line, ``{"text": "...", "label": "..."}``.
        text_column: the header name (JSON key) of the text column.
        label_column: the header name (JSON key) of the label column.
        label_mapping: from the file's label values to class ids ``0 .. K-1``,
            none skipped, e.g. ``{"neg": 0, "pos": 1}`` or stars
            ``{1: 0, 2: 0, 4: 1, 5: 1}`` (several values may share a class).
            Usually not needed: see "Labels" below.
        delimiter: the field separator of a CSV or TSV; by default ``"\t"``
            for ``.tsv`` and ``","`` for ``.csv``. Tab-separated files are read
            with quoting disabled, as SST-2 and GLUE write them (their texts
            hold quote characters that are not quoting); other delimiters use
            standard CSV quoting, as spreadsheets and pandas write it, so a
            quoted text may contain the delimiter.
        class_names: the K class names in class id order, e.g.
            ``("negative", "neutral", "positive")``. Pass the training file's
            ``class_names`` when loading its dev or test file, so that the ids agree.

    Labels, without a ``label_mapping``:

    - Names (``"refund"``, ``"neutral"``): class ids follow ``class_names``
      if given, else the sorted names (Python's string order).
    - Whole numbers (``0``, ``2``, also written ``2.0``) are class ids
      themselves and must run from 0 with none missing (``0 .. K-1``); the
      class names are ``class_names`` if given, else ``"0" .. "K-1"``.
      With ``class_names`` given, labels that are all among the names are
      read as names first (so names such as ``"1"`` ... ``"5"`` work).
    - A badly imbalanced file is fine; a class with no example is not.

    Returns:
        A ``LabelledTexts``: stripped ``texts``, ``int64`` ``labels`` of shape
        ``(num_examples,)`` and the K ``class_names``. ``texts, labels = ...`` works.

    Every line with content is an example or an error. Lines with none (blank,
    or only delimiters and spaces, as spreadsheets leave at the end) hold no
    example and are skipped.

    Raises:
        DataFileNotFoundError: no such file.
        DataFileError: with file, line, column and fix, for an unknown
            delimiter, a missing column, an empty or header-only file, a line
            with the wrong number of fields or invalid JSON, an empty text, a
            missing label, a single class, a class name given that no line
            has, a label not among ``class_names`` or ``label_mapping``, names
            and numbers mixed in one column, fractional labels (``0.7``),
            whole-number labels that skip a class id, and named-entity tags
            (``B-PER``, ``O``: one token per line is token classification).
        ValueError: ``class_names`` with fewer than 2 or repeated names, or a
            ``label_mapping`` whose values are not the class ids ``0 .. K-1``.
    """
    return _load_table_with_lines(path, text_column, label_column, label_mapping, delimiter, class_names)[0]


def _load_table_with_lines(path, text_column, label_column, label_mapping, delimiter,
                           class_names) -> tuple[LabelledTexts, list[int]]:
    """``load_labelled_table`` and the line number of every example, for messages about a class."""
    path = Path(path).expanduser()
    class_names = _check_class_names(class_names)
    if path.suffix.lower() in _JSON_LINES_EXTENSIONS and delimiter is None:
        rows = _read_json_lines(path, text_column, label_column)
    else:
        rows = _read_delimited(path, text_column, label_column, delimiter)
    raw_labels = [(line, label) for line, _, label in rows]
    labels, names = _labels_to_ids(path, raw_labels, label_column, label_mapping, class_names)
    return LabelledTexts([text for _, text, _ in rows], labels, names), [line for line, _, _ in rows]


def _check_class_names(class_names: Sequence[str] | None) -> tuple[str, ...] | None:
    if class_names is None:
        return None
    if isinstance(class_names, str):
        raise ValueError(f"class_names must be a list of names such as ['negative', 'positive'], "
                         f"not one string {class_names!r}")
    names = tuple(str(name).strip() for name in class_names)
    if len(names) < 2 or len(set(names)) != len(names) or not all(names):
        raise ValueError(f"class_names must hold at least 2 different, non-empty names in class id "
                         f"order, e.g. ['negative', 'neutral', 'positive']; got {list(class_names)}")
    return names


# ------------------------------------------------------- CSV and TSV files

def _read_delimited(path: Path, text_column: str, label_column: str,
                    delimiter: str | None) -> list[tuple[int, str, str]]:
    """``(line, text, raw label)`` for every example of a CSV or TSV file with a header."""
    delimiter = _infer_delimiter(path, delimiter)
    records = _read_records(path, delimiter)
    if not records:
        raise _error(path, "the file is empty", f"put a header line naming the columns first, "
                     f"e.g. {text_column}{delimiter}{label_column}", line=1)
    (header_line, header), rows = records[0], records[1:]
    if not rows:
        raise _error(path, "the file has a header but no examples",
                     "add one example per line after the header", line=header_line)
    text_index = _column_index(path, header, header_line, text_column, "text_column", delimiter)
    label_index = _column_index(path, header, header_line, label_column, "label_column", delimiter)
    for line, fields in rows:
        _check_row(path, line, fields, header, text_index, label_index, delimiter)
    return [(line, fields[text_index].strip(), fields[label_index].strip()) for line, fields in rows]


def _infer_delimiter(path: Path, delimiter: str | None) -> str:
    """The explicit delimiter if given, else the one the file extension implies."""
    if delimiter is not None:
        if not isinstance(delimiter, str) or len(delimiter) != 1:
            raise ValueError(f"delimiter must be one character such as '\\t' or ',', got {delimiter!r}")
        return delimiter
    if path.suffix.lower() in _DELIMITER_BY_EXTENSION:
        return _DELIMITER_BY_EXTENSION[path.suffix.lower()]
    raise _error(path, f"cannot tell the delimiter from the extension {path.suffix!r}",
                 "pass delimiter='\\t' for a tab-separated file or delimiter=',' for a comma-separated "
                 "one, or name the file .tsv, .csv, or .jsonl for JSON Lines")


def _read_text(path: Path) -> str:
    """The file's text, decoded as UTF-8 (an Excel byte-order mark is dropped)."""
    if not path.exists():
        raise DataFileNotFoundError(f"{path}: no such file. Fix: check the path; a relative path "
                                    f"starts at the current folder, {Path.cwd()}")
    if path.is_dir():
        raise _error(path, "this is a folder, not a file", "pass the path of the data file inside it")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _error(path, f"the file is not UTF-8 ({error.reason} at byte {error.start})",
                     "save the file as UTF-8 (in Excel: 'CSV UTF-8')", line=line) from None


def _read_records(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    """``(line_number, fields)`` for every line with content; line 1 is the first line.

    A CSV record with a quoted newline spans lines; it is numbered by its first line.
    """
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    reader = csv.reader(io.StringIO(_read_text(path), newline=""), delimiter=delimiter,
                        quoting=quoting, strict=True)
    records, line = [], 1
    try:
        for fields in reader:
            if "".join(fields).strip():
                records.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as error:
        raise _error(path, f"the line cannot be parsed as {_DELIMITER_NAMES.get(delimiter, repr(delimiter))}"
                     f"-separated values ({error})", "close the quote that this line opens, or put "
                     'the whole text in double quotes and double any quote inside it ("")',
                     line=line) from None
    return records


def _column_index(path: Path, header: list[str], header_line: int, name: str,
                  argument: str, delimiter: str) -> int:
    """Position of column ``name`` in the header, or an error listing the columns there are."""
    names = [field.strip() for field in header]
    if names.count(name) == 1:
        return names.index(name)
    if names.count(name) > 1:
        raise _error(path, f"the header names column {name!r} {names.count(name)} times",
                     "rename the columns so each name appears once", line=header_line, column=name)
    splits_better = [d for d in _DELIMITER_NAMES if d != delimiter and d in names[0]]
    if len(names) == 1 and splits_better:
        better = splits_better[0]
        raise _error(path, f"the delimiter {delimiter!r} does not split the header {header[0]!r} into "
                     f"columns; it looks {_DELIMITER_NAMES[better]}-separated",
                     f"pass delimiter={better!r}" + _EXTENSION_HINT.get(better, ""),
                     line=header_line, column=name)
    raise _error(path, f"no column named {name!r}; the header has columns {names}",
                 f"pass {argument}= one of those names, or rename the column in the header",
                 line=header_line, column=name)


def _check_row(path: Path, line: int, fields: list[str], header: list[str],
               text_index: int, label_index: int, delimiter: str) -> None:
    """Raise if one line has the wrong number of fields, an empty text or no label."""
    if len(fields) != len(header):
        if delimiter == "\t":
            fix = "make every line hold exactly one tab between fields: remove a tab inside the text, or add the missing field"
        else:
            fix = (f"put a text that contains {delimiter!r} in double quotes (\"...\"), "
                   "or add the missing field")
        raise _error(path, f"the line has {len(fields)} fields but the header has {len(header)}", fix, line=line)
    if not fields[text_index].strip():
        raise _error(path, "the text is empty", "write the text, or delete the line",
                     line=line, column=header[text_index].strip())
    if not fields[label_index].strip():
        raise _error(path, "the label is missing", "write the label (a class name or class id), "
                     "or delete the line", line=line, column=header[label_index].strip())


# -------------------------------------------------------- JSON Lines files

_JSON_EXAMPLE = 'write one JSON object per line, e.g. {"text": "Great service", "label": "praise"}'


def _read_json_lines(path: Path, text_column: str, label_column: str) -> list[tuple[int, str, str]]:
    """``(line, text, raw label)`` for every object of a JSON Lines file; blank lines are skipped."""
    rows = []
    for line, content in enumerate(_read_text(path).split("\n"), start=1):
        if not content.strip():
            continue
        try:
            record = json.loads(content)
        except json.JSONDecodeError as error:
            raise _error(path, f"the line is not valid JSON ({error.msg}, character {error.colno})",
                         _JSON_EXAMPLE, line=line) from None
        if not isinstance(record, dict):
            raise _error(path, f"the line holds a JSON {type(record).__name__}, not an object", _JSON_EXAMPLE, line=line)
        for key, argument in ((text_column, "text_column"), (label_column, "label_column")):
            if key not in record:
                raise _error(path, f"the object has no key {key!r}; its keys are {list(record)}",
                             f"pass {argument}= one of those keys, or add {key!r} to this line",
                             line=line, column=key)
        text = record[text_column]
        if not isinstance(text, str) or not text.strip():
            problem = "the text is empty" if isinstance(text, str) or text is None else \
                f"the text is a JSON {type(text).__name__}, not a string"
            raise _error(path, problem, "write the text as a JSON string, or delete the line",
                         line=line, column=text_column)
        rows.append((line, text.strip(), _json_label(path, line, label_column, record[label_column])))
    if not rows:
        raise _error(path, "the file holds no examples", _JSON_EXAMPLE, line=1)
    return rows


def _json_label(path: Path, line: int, column: str, value: object) -> str:
    """A JSON label as the text a CSV would hold: ``"neutral"``, ``"2"``, ``"0.7"``."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    if value is None or isinstance(value, str):
        problem = "the label is missing"
    else:
        problem = f"the label is {json.dumps(value)}, which is neither a class name nor a class id"
    raise _error(path, problem, "write the label as a class name (a JSON string) or a class id "
                 "(a whole number), or delete the line", line=line, column=column)


# -------------------------------------------------------------------- labels

def _label_key(value: object) -> float | str:
    """Compare labels by meaning: ``"1"``, ``"1.0"``, ``"+1"`` and ``1`` are the same number."""
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return number if math.isfinite(number) else text


def _show(key: float | str) -> str:
    """A label key as a Python literal for a ``label_mapping`` suggestion."""
    if isinstance(key, str):
        return json.dumps(key, ensure_ascii=False)
    return str(int(key)) if key.is_integer() else repr(key)


def _show_all(keys: Sequence[float | str], limit: int = 10) -> str:
    return ", ".join(_show(key) for key in keys[:limit]) + (" ..." if len(keys) > limit else "")


def _suggest_mapping(keys: Sequence[float | str]) -> str:
    ordered = sorted(keys, key=lambda key: (isinstance(key, str), key))
    pairs = ", ".join(f"{_show(key)}: {index}" for index, key in enumerate(ordered))
    return f"label_mapping={{{pairs}}}"


def _first_lines(raw_labels: list[tuple[int, str]]) -> dict[float | str, int]:
    """``{label key: line where it first occurs}``, in order of first occurrence."""
    first_line: dict[float | str, int] = {}
    for line, value in raw_labels:
        first_line.setdefault(_label_key(value), line)
    return first_line


def _labels_to_ids(path: Path, raw_labels: list[tuple[int, str]], column: str,
                   label_mapping: Mapping[str | int | float, int] | None,
                   class_names: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """The labels as an ``int64`` array of shape ``(num_examples,)`` and the K class names."""
    if label_mapping is not None:
        labels, names = _map_labels(path, raw_labels, column, label_mapping, class_names)
    else:
        _reject_token_tags(path, raw_labels, column)
        labels, names = _interpret_labels(path, raw_labels, column, class_names)
    _check_every_class_occurs(path, labels, names, column, label_mapping, class_names)
    return labels, names


def _reject_token_tags(path: Path, raw_labels: list[tuple[int, str]], column: str) -> None:
    """Named-entity tags (``B-PER``, ``I-ORG``, ``O``) mean one token per line: token classification."""
    first_line = _first_lines(raw_labels)
    values = [key for key in first_line if isinstance(key, str)]
    if "O" in values and len(values) == len(first_line) > 1 and all(_TOKEN_TAG.match(value) for value in values):
        first_tag = next(value for value in values if value != "O")
        raise _error(path, f"the labels ({_show_all(values)}) are named-entity tags, one per token: this "
                     "file labels each token, which is token classification, not text classification",
                     "give each whole text (a sentence or a document) one class label, one text per line; "
                     "tagging tokens needs a token-classification model, which this workbook does not cover",
                     line=first_line[first_tag], column=column)


def _interpret_labels(path: Path, raw_labels: list[tuple[int, str]], column: str,
                      class_names: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class ids from names or from whole numbers (the rules in ``load_labelled_table``)."""
    if class_names is not None and all(value in class_names for _, value in raw_labels):
        return _ids_of_names(raw_labels, class_names), class_names
    first_line = _first_lines(raw_labels)
    if len(first_line) == 1 and class_names is None:
        only = next(iter(first_line))
        raise _error(path, f"every label is {_show(only)}: a classifier needs at least two classes",
                     "add examples of the other classes, or check that label_column= names the column "
                     "that holds the labels", column=column)
    _check_one_kind(path, first_line, raw_labels, column)
    if all(isinstance(key, str) for key in first_line):
        if class_names is not None:
            unknown = next(key for key in first_line if key not in class_names)
            raise _error(path, f"the label {_show(unknown)} is not among class_names ({_show_all(class_names)})",
                         f"correct the label in the file, or add {_show(unknown)} to class_names",
                         line=first_line[unknown], column=column)
        names = tuple(sorted(first_line))
        return _ids_of_names(raw_labels, names), names
    return _whole_number_ids(path, raw_labels, first_line, column, class_names)


def _ids_of_names(raw_labels: list[tuple[int, str]], names: Sequence[str]) -> np.ndarray:
    class_id = {name: index for index, name in enumerate(names)}
    return np.array([class_id[value] for _, value in raw_labels], dtype=np.int64)


def _check_one_kind(path: Path, first_line: dict[float | str, int], raw_labels: list[tuple[int, str]],
                    column: str) -> None:
    """Raise for names and numbers mixed in one column, or for a fractional number such as 0.7."""
    numbers = [key for key in first_line if not isinstance(key, str)]
    names = [key for key in first_line if isinstance(key, str)]
    if numbers and names:
        count_numbers = sum(not isinstance(_label_key(value), str) for _, value in raw_labels)
        minority, majority = (numbers, names) if count_numbers <= len(raw_labels) / 2 else (names, numbers)
        odd, usual = minority[0], majority[0]
        raise _error(path, f"the label {_show(odd)} is a {'number' if odd in numbers else 'name'} but other "
                     f"labels are {'numbers' if usual in numbers else 'names'} (e.g. {_show(usual)} on line "
                     f"{first_line[usual]}): one column mixes class names and class ids",
                     "write every label the same way, all as class names or all as class ids",
                     line=first_line[odd], column=column)
    fractional = [key for key in numbers if not key.is_integer()]
    if fractional:
        raise _error(path, f"the label {_show(fractional[0])} is a fraction, not a class: a label names one "
                     "class (a name or a whole-number class id); scores and probabilities are not labels",
                     "turn scores into classes before loading (e.g. 1 if score >= 0.5 else 0), "
                     "or write each line's class", line=first_line[fractional[0]], column=column)


def _whole_number_ids(path: Path, raw_labels: list[tuple[int, str]], first_line: dict[float | str, int],
                      column: str, class_names: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Whole-number labels as class ids, which must run 0 .. K-1 with none missing."""
    keys = list(first_line)
    num_classes = len(class_names) if class_names is not None else int(max(keys)) + 1
    outside = [key for key in keys if not 0 <= key < num_classes]
    if outside:
        reason, add = (f"class_names has {num_classes} names, so the ids run 0 to {num_classes - 1}",
                       "add its class to class_names, ") if class_names is not None else \
            ("class ids are whole numbers from 0", "")
        raise _error(path, f"the label {_show(outside[0])} is not a class id: {reason}",
                     f"correct the label, {add}or pass {_suggest_mapping(keys)} with the id each label "
                     "stands for", line=first_line[outside[0]], column=column)
    missing = sorted(set(range(num_classes)) - {int(key) for key in keys})
    if missing and class_names is None:  # with class_names, _check_every_class_occurs names the class
        beyond = next(key for key in keys if key >= len(keys))
        raise _error(path, f"the labels ({_show_all(keys)}) are numbers but not the class ids 0 to "
                     f"{len(keys) - 1}: class id {missing[0]} has no example",
                     f"pass {_suggest_mapping(keys)} to number the classes from 0, or add examples "
                     f"of class {missing[0]} if the task has one",
                     line=first_line[beyond], column=column)
    names = class_names if class_names is not None else tuple(str(k) for k in range(num_classes))
    return np.array([int(_label_key(value)) for _, value in raw_labels], dtype=np.int64), names


def _check_mapping(label_mapping: Mapping[str | int | float, int], class_names: tuple[str, ...] | None) -> int:
    """The number of classes K that ``label_mapping`` maps to; its values must be exactly ``0 .. K-1``."""
    values = list(label_mapping.values())
    ids = sorted(set(values)) if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                                     for v in values) else None
    if not ids or ids != list(range(len(ids))) or len(ids) < 2:
        raise ValueError(f"label_mapping must map to the class ids 0, 1, ..., K-1 (K >= 2, none skipped), "
                         f"e.g. {{'neg': 0, 'pos': 1}}; got {dict(label_mapping)}")
    if class_names is not None and len(ids) != len(class_names):
        raise ValueError(f"label_mapping maps to {len(ids)} class ids but class_names has {len(class_names)} "
                         "names: give one name per class id")
    return len(ids)


def _map_labels(path: Path, raw_labels: list[tuple[int, str]], column: str,
                label_mapping: Mapping[str | int | float, int],
                class_names: tuple[str, ...] | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Apply ``label_mapping`` to every label; a label it lacks is an error, never dropped.

    Without ``class_names``, class k is named by the mapping's keys for k,
    joined by "/" (``{1: 0, 2: 0, 4: 1, 5: 1}`` gives ``("1/2", "4/5")``).
    """
    num_classes = _check_mapping(label_mapping, class_names)
    mapping = {_label_key(key): value for key, value in label_mapping.items()}
    labels = np.empty(len(raw_labels), dtype=np.int64)
    for position, (line, value) in enumerate(raw_labels):
        key = _label_key(value)
        if key not in mapping:
            raise _error(path, f"the label {_show(key)} is not in label_mapping (which has {_show_all(list(mapping))})",
                         f"add {_show(key)}: <its class id, 0 to {num_classes - 1}> to label_mapping, "
                         "or delete the line", line=line, column=column)
        labels[position] = mapping[key]
    if class_names is None:
        class_names = tuple("/".join(str(key).strip() for key, value in label_mapping.items() if value == k)
                            for k in range(num_classes))
    return labels, class_names


def _check_every_class_occurs(path: Path, labels: np.ndarray, names: tuple[str, ...], column: str,
                              label_mapping: Mapping | None, class_names: tuple[str, ...] | None) -> None:
    """A class without a single example cannot be learned or measured: an error, with where it was named."""
    counts = np.bincount(labels, minlength=len(names))
    absent = [k for k in range(len(names)) if counts[k] == 0]
    if not absent:
        return
    where = "class_names" if class_names is not None else "label_mapping"
    raise _error(path, f"class {absent[0]} ({names[absent[0]]!r}, from {where}) has no example: no line "
                 f"of the file has that label; the file's classes are "
                 f"{[names[k] for k in range(len(names)) if counts[k]]}",
                 f"check the spelling in {where} against the file's labels, or add examples of "
                 f"{names[absent[0]]!r} to this file", column=column)


# ---------------------------------------------------------------- splitting

def _check_pair(texts: Sequence[str], labels: Sequence[int] | np.ndarray) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(texts),):
        raise ValueError(f"texts and labels must have the same length: got {len(texts)} texts "
                         f"and labels of shape {labels.shape}")
    return labels


def sentence_groups(texts: Sequence[str], within: Sequence[str] | None = None) -> np.ndarray:
    """Group phrases by the sentence they were cut from: SST-2's train (notebooks 03 and 05).

    SST-2's training file holds whole sentences *and* phrases cut from them
    ("a gorgeous , witty , seductive movie ." next to "witty , seductive"). A
    phrase's group is the one *maximal* text of ``within`` that contains it as
    a contiguous word sequence (words split on spaces); a text contained in no
    other text is maximal and is its own group. A phrase contained in several
    maximal texts (``"good"``, ``"the film"``; how many: data/README.md)
    belongs to no single sentence and gets group
    ``-1``: ``train_validation_split`` always keeps it in training, because
    wherever it went, a training sentence that contains it would leak it.

    How: the texts of ``within``, longest first; a text that is no word
    sequence of an earlier maximal text is maximal, and every word sequence of
    it that is also a text of ``within`` is entered in a dict, to its group id.
    Cost: about ``sum(n_words**2) / 2`` set look-ups over the maximal texts
    only (seconds for SST-2's 67,349 texts; measured in data/README.md).

    Args:
        texts: the ``num_examples`` texts to group, each a text of ``within``.
        within: the whole set the groups are defined over (SST-2's 67,349
            training texts when ``texts`` is a subset of them); by default ``texts``.

    Returns:
        ``int64`` array of shape ``(num_examples,)``: the group id of each text
        (the same text always gets the same id), ``-1`` for a phrase of several sentences.

    Raises:
        ValueError: a text of ``texts`` that is not in ``within``.
    """
    within = list(texts if within is None else within)
    container = _maximal_containers(within)
    missing = [text for text in texts if text not in container]
    if missing:
        raise ValueError(f"{len(missing)} texts are not in `within`, e.g. {missing[0]!r}: pass within= "
                         "the full set the texts were drawn from (e.g. load_sst2('train').texts)")
    return np.array([container[text] for text in texts], dtype=np.int64)


def _maximal_containers(texts: Sequence[str]) -> dict[str, int]:
    """``{text: id of the one maximal text containing it, or -1 if several}`` over ``texts``."""
    known = set(texts)
    container: dict[str, int] = {}
    num_maximal = 0
    for text in sorted(known, key=lambda text: -len(text.split())):
        if text in container:          # a word sequence of a longer text seen before: not maximal
            continue
        words = text.split()
        inside = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, len(words) + 1)}
        for phrase in inside & known:
            container[phrase] = num_maximal if phrase not in container else -1
        num_maximal += 1
    return container


def share_contained(texts: Sequence[str], in_texts: Sequence[str]) -> float:
    """The share of ``texts`` that occur as a contiguous word sequence of some text of ``in_texts``.

    Measures how much a validation set leaks: with ``texts`` the validation
    texts and ``in_texts`` the training texts, a contained validation phrase is
    one whose words (and sentence) the model was trained on. Dev, whose
    sentences are not cut from train, scores about 0.

    Returns:
        A float in [0, 1]; 0.0 for no ``texts``.
    """
    wanted = set(texts)
    found: set[str] = set()
    longest = max((len(text.split()) for text in wanted), default=0)
    for text in set(in_texts):
        words = text.split()
        for i in range(len(words)):
            for j in range(i + 1, min(len(words), i + longest) + 1):
                phrase = " ".join(words[i:j])
                if phrase in wanted:
                    found.add(phrase)
    return sum(text in found for text in texts) / len(texts) if len(texts) else 0.0


def train_validation_split(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    validation_fraction: float = 0.1,
    seed: int = 0,
    groups: Sequence[int] | np.ndarray | None = None,
) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Carve a seeded validation set out of training data, stratified by label (notebooks 03 and 05).

    Use it on training data only (the protocol: data/README.md, "Data
    protocol"). Each label keeps its share in both parts, so early stopping
    watches a validation set that looks like the training data.

    Without ``groups`` (your own files, the Financial PhraseBank): scikit-learn's
    ``train_test_split``, stratified; the validation size is
    ``ceil(validation_fraction * num_examples)``.

    With ``groups`` (SST-2: ``sentence_groups``): examples of one group go to
    the same side, so no phrase of a validation sentence is trained on.
    scikit-learn's ``StratifiedGroupKFold`` (shuffled with ``seed``) deals the
    groups into ``round(num_grouped / (validation_fraction * num_examples))``
    folds whose label shares are as equal as whole groups allow, and the first
    fold is the validation set: its size is ``validation_fraction`` of the
    examples up to about one fold's rounding, its label shares close to the
    whole's. Examples of group ``-1`` (a phrase of several sentences) always train.

    Args:
        texts: ``num_examples`` training texts.
        labels: shape ``(num_examples,)``, class ids (0/1 for SST-2; any K).
        validation_fraction: share held out, in (0, 1).
        seed: the same seed gives the same split.
        groups: optional, shape ``(num_examples,)``, integer group ids; ``-1``: always in training.

    Returns:
        ``(train_texts, train_labels, validation_texts, validation_labels)``;
        texts as ``list[str]``, labels ``int64`` of shapes ``(num_train,)`` and
        ``(num_validation,)``, each part in a seeded random order. Every
        example lands in exactly one part.

    Raises:
        ValueError: ``validation_fraction`` outside (0, 1), texts, labels or
            groups of different lengths, or (from scikit-learn) a class with a
            single example, a validation set smaller than the number of
            classes, or fewer groups than folds.
    """
    labels = _check_pair(texts, labels)
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float)) \
            or not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be a number strictly between 0 and 1 "
                         f"(e.g. 0.1 for 10%), got {validation_fraction!r}")
    if groups is None:
        train_texts, validation_texts, train_labels, validation_labels = train_test_split(
            list(texts), labels, test_size=validation_fraction, random_state=seed, stratify=labels)
        return train_texts, train_labels, validation_texts, validation_labels
    groups = np.asarray(groups, dtype=np.int64)
    if groups.shape != labels.shape:
        raise ValueError(f"groups must hold one group id per text: got {len(texts)} texts and groups of "
                         f"shape {groups.shape}")
    texts = list(texts)
    train_index, validation_index = _grouped_split(labels, groups, validation_fraction, seed)
    return ([texts[i] for i in train_index], labels[train_index],
            [texts[i] for i in validation_index], labels[validation_index])


def _grouped_split(labels: np.ndarray, groups: np.ndarray, validation_fraction: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(train indices, validation indices)``: one ``StratifiedGroupKFold`` fold validates; group -1 trains."""
    grouped = np.flatnonzero(groups >= 0)                                  # (num_grouped,)
    target = validation_fraction * len(labels)
    num_folds = max(2, round(len(grouped) / target))
    folds = StratifiedGroupKFold(n_splits=num_folds, shuffle=True, random_state=seed)
    _, fold = next(folds.split(grouped, labels[grouped], groups[grouped]))
    validation = grouped[fold]
    train = np.setdiff1d(np.arange(len(labels)), validation)
    rng = np.random.default_rng(seed)
    return rng.permutation(train), rng.permutation(validation)


def subsample(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """A seeded, stratified subset of ``n`` examples, drawn without replacement (notebook 05).

    How a CPU run trains on a few thousand of SST-2's 67,349 examples
    (``num_train_examples``) with the full set's label shares.

    Args:
        texts: ``num_examples`` texts.
        labels: shape ``(num_examples,)``, class ids (0/1 for SST-2; any K).
        n: how many to keep; 0, or ``n >= num_examples``, keeps all of them
            in their original order.
        seed: the same seed gives the same subset.

    Returns:
        ``(texts, labels)`` of length ``min(n, num_examples)`` (all if n is 0),
        in a shuffled order; labels ``int64``.

    Raises:
        ValueError: ``n`` negative or not a whole number, or texts and labels
            of different lengths.

    Why ``sklearn.utils.resample`` and not ``train_test_split``: the latter
    needs each class present in the left-out part, so it fails for ``n`` one
    below ``num_examples``; ``resample`` keeps the class shares for every ``n``.
    """
    labels = _check_pair(texts, labels)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a whole number >= 0 (0 keeps all examples), got {n!r}")
    if n == 0 or n >= len(texts):
        return list(texts), labels.copy()
    subset_texts, subset_labels = resample(list(texts), labels, n_samples=n, replace=False,
                                           stratify=labels, random_state=seed)
    return list(subset_texts), subset_labels



def _fraction(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise ValueError(f"{name} must be a number strictly between 0 and 1 (e.g. 0.15 for 15%), got {value!r}")
    return float(value)


def _part_sizes(num_members: int, fractions: Sequence[float]) -> list[int]:
    """How many of one class's ``num_members`` examples each carved part gets; the rest is training.

    Each part gets its fraction rounded to the nearest whole number, but at
    least 1; if that leaves no training example (a tiny class, large
    fractions), the largest part gives one back. Needs ``num_members >= len(fractions) + 1``.
    """
    sizes = [max(1, round(fraction * num_members)) for fraction in fractions]
    while sum(sizes) >= num_members:
        sizes[sizes.index(max(sizes))] -= 1
    return sizes


def _too_small_class(data: LabelledTexts, num_parts: int) -> tuple[int, str, str] | None:
    """``(class id, problem, fix)`` for the first class with fewer than one example per part, else None."""
    counts = np.bincount(data.labels, minlength=data.num_classes)
    for k in np.flatnonzero(counts < num_parts):
        parts = ("train, validation and test" if num_parts == 3 else
                 "two parts (training and the one held-out part not given as a file)")
        name = data.class_names[k]
        return int(k), (f"the class {name!r} has {counts[k]} example{'s' if counts[k] != 1 else ''}, but a "
                        f"stratified split into {parts} needs at least {num_parts} (one in each part)"), \
            (f"add examples of {name!r}, merge it into another class with label_mapping, "
             "or delete its lines")
    return None


def _carve(data: LabelledTexts, fractions: Mapping[str, float], seed: int) -> dict[str, LabelledTexts]:
    """``{"train": ..., <part>: ...}``: each part's fraction of every class, drawn with ``seed``; the rest trains."""
    rng = np.random.default_rng(seed)
    names = ["train", *fractions]
    indices: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for k in range(data.num_classes):
        members = rng.permutation(np.flatnonzero(data.labels == k))            # (count of class k,)
        sizes = _part_sizes(len(members), list(fractions.values()))
        chunks = np.split(members, np.cumsum(sizes))                          # the parts, then the rest
        for name, chunk in zip([*fractions, "train"], chunks):
            indices[name].append(chunk)
    parts = {}
    for name in names:
        order = rng.permutation(np.concatenate(indices[name]))                 # mix the classes
        parts[name] = LabelledTexts([data.texts[i] for i in order], data.labels[order], data.class_names)
    return parts


def train_validation_test_split(
    data: LabelledTexts,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> LabelledSplits:
    """Split one labelled data set into train, validation and test, seeded and stratified by class.

    Class by class, the examples are shuffled with ``numpy.random.default_rng(seed)``;
    the validation part takes ``round(validation_fraction * count)`` of them
    (at least 1), the test part ``round(test_fraction * count)`` (at least 1),
    and training the rest. So every class keeps its share in every part, up to
    rounding, and even a rare class appears in each part. Each part is then
    shuffled, so the classes are mixed. How ``data/financial_phrasebank`` was split.

    Why not scikit-learn's ``train_test_split`` twice, as ``train_validation_split``
    does for two parts: its stratified rounding depends on all classes at
    once, so a small class can end up missing from a part without an error;
    class by class, the rule above says exactly how many examples are needed.

    Args:
        data: the examples, e.g. from ``load_labelled_table``.
        validation_fraction: share of each class for validation, in (0, 1).
        test_fraction: share of each class for test, in (0, 1); the two sum to less than 1.
        seed: the same seed (and NumPy's generator) gives the same split.

    Returns:
        ``LabelledSplits(train, validation, test)``, each a ``LabelledTexts``
        with ``data``'s class names. Every example lands in exactly one part.

    Raises:
        ValueError: fractions outside (0, 1) or summing to 1 or more, or a
            class with fewer than 3 examples (one per part); the message names it.
    """
    fractions = {"validation": _fraction(validation_fraction, "validation_fraction"),
                 "test": _fraction(test_fraction, "test_fraction")}
    if sum(fractions.values()) >= 1:
        raise ValueError(f"validation_fraction + test_fraction must be below 1 to leave training examples; "
                         f"got {validation_fraction} + {test_fraction}")
    problem = _too_small_class(data, num_parts=3)
    if problem:
        raise ValueError(f"{problem[1]}: {problem[2]}")
    parts = _carve(data, fractions, seed)
    return LabelledSplits(parts["train"], parts["validation"], parts["test"])


def load_labelled_splits(
    path: str | os.PathLike,
    text_column: str,
    label_column: str,
    *,
    validation_path: str | os.PathLike | None = None,
    test_path: str | os.PathLike | None = None,
    class_names: Sequence[str] | None = None,
    label_mapping: Mapping[str | int | float, int] | None = None,
    delimiter: str | None = None,
    validation_fraction: float = 0.15,
    test_fraction: float = 0.15,
    seed: int = 0,
) -> LabelledSplits:
    """Your own labelled file(s) as train, validation and test: one call.

    Give one file and it is split seeded and stratified as
    ``train_validation_test_split`` does (70 / 15 / 15 by default). Give a
    separate ``validation_path`` and/or ``test_path`` and those files are used
    as they are; a part without its own file is carved out of ``path`` with
    its fraction. Every file is read by ``load_labelled_table`` with the same
    columns, and the other files with the training file's class names, so a
    class id means the same class in all three parts.

    Args:
        path: the training file (or the only file): CSV, TSV or JSON Lines.
        text_column, label_column, class_names, label_mapping, delimiter: as
            ``load_labelled_table``.
        validation_path, test_path: optional separate files, same columns.
        validation_fraction, test_fraction: shares of each class of ``path``
            carved out for the parts that have no file; in (0, 1).
        seed: the same seed gives the same split; record it with your results.

    Returns:
        ``LabelledSplits(train, validation, test)`` of ``LabelledTexts``, all
        with the same ``class_names``: ``train, validation, test = load_labelled_splits(...)``.

    Raises:
        DataFileError: everything ``load_labelled_table`` raises, for any of
            the files, and a class of ``path`` with fewer examples than parts
            to carve it into (the message gives its count, the minimum and its lines).
        ValueError: a fraction outside (0, 1), or the two summing to 1 or more.
    """
    train, lines = _load_table_with_lines(path, text_column, label_column, label_mapping, delimiter, class_names)
    given = {name: load_labelled_table(part_path, text_column, label_column, label_mapping, delimiter,
                                       class_names=train.class_names)
             for name, part_path in (("validation", validation_path), ("test", test_path))
             if part_path is not None}
    fractions = {name: _fraction(fraction, f"{name}_fraction")
                 for name, fraction in (("validation", validation_fraction), ("test", test_fraction))
                 if name not in given}
    if sum(fractions.values()) >= 1:
        raise ValueError(f"validation_fraction + test_fraction must be below 1 to leave training examples; "
                         f"got {validation_fraction} + {test_fraction}")
    if fractions:
        problem = _too_small_class(train, num_parts=len(fractions) + 1)
        if problem:
            class_id, what, fix = problem
            shown = [str(line) for line, label in zip(lines, train.labels) if label == class_id]
            raise _error(Path(path).expanduser(), f"{what}; its lines: {', '.join(shown)}", fix, column=label_column)
        given.update(_carve(train, fractions, seed))
    else:
        given["train"] = train
    return LabelledSplits(given["train"], given["validation"], given["test"])


# ------------------------------------------------------- the course's datasets

COURSE_DATASETS = ("sst2", "financial_phrasebank")
"""The shipped datasets a notebook's ``dataset`` parameter can name; any other value is a path to your file."""


class DatasetSplits(NamedTuple):
    """The three roles the course gives a dataset's parts (notebooks 05-07).

    ``train``: what the model learns from; the validation split that early
    stopping watches is carved out of it (``train_validation_split``).
    ``dev``: held out from training; error analysis and every choice made
    after training (a threshold, a temperature) are made on it.
    ``test``: the final figure, touched once at the end.
    SST-2 has all three; the Financial PhraseBank's shipped split and your own
    file's seeded split are train / validation / test, whose validation part
    plays dev here.
    """

    train: LabelledTexts
    dev: LabelledTexts
    test: LabelledTexts


def parse_class_names(text: str) -> tuple[str, ...] | None:
    """The ``class_names`` parameter: ``"auto"`` (names from the data) or names in class-id order, comma-separated."""
    if text.strip() == "auto":
        return None
    return tuple(name.strip() for name in text.split(",") if name.strip()) or None


def find_data_file(dataset: str) -> Path:
    """Your file's path: as given, or relative to the workbook's folder (notebooks run in ``notebooks/``).

    Raises:
        DataFileNotFoundError: no such file; the message names the shipped datasets too.
    """
    path = Path(dataset).expanduser()
    repository = Path(__file__).resolve().parents[1]
    for candidate in (path, repository / path):
        if candidate.is_file():
            return candidate
    raise DataFileNotFoundError(
        f"{dataset}: no such file (looked here and in {repository}). Fix: give the path of a CSV, TSV or "
        f"JSON Lines file, or one of the shipped datasets: {', '.join(COURSE_DATASETS)}")


def load_dataset(dataset: str, text_column: str = "text", label_column: str = "label",
                 class_names: str = "auto", seed: int = 0) -> DatasetSplits:
    """A notebook's ``dataset`` parameter as train, dev and test (notebooks 05-07).

    Args:
        dataset: ``"sst2"``, ``"financial_phrasebank"``, or the path of your
            CSV, TSV or JSON Lines file (split seeded and stratified 70/15/15
            by ``load_labelled_splits``).
        text_column, label_column: your file's column names (the shipped
            datasets ignore them).
        class_names: ``"auto"`` or your names in class-id order, e.g.
            ``"negative,neutral,positive"`` (``parse_class_names``).
        seed: your file's split; the shipped datasets' splits are fixed.

    Raises:
        DataFileNotFoundError, DataFileError: see ``find_data_file`` and ``load_labelled_table``.
    """
    if dataset == "sst2":
        return DatasetSplits(*(load_sst2(split) for split in SST2_SPLITS))
    if dataset == "financial_phrasebank":
        return DatasetSplits(*(load_financial_phrasebank(split) for split in FINANCIAL_PHRASEBANK_SPLITS))
    parts = load_labelled_splits(find_data_file(dataset), text_column, label_column,
                                 class_names=parse_class_names(class_names), seed=seed)
    return DatasetSplits(parts.train, parts.validation, parts.test)
