"""SST-2 and your own CSV/TSV files as ``(texts, labels)``; seeded splits.

Introduced in notebook 05 (``05_fine_tune_bert``). Every loader returns the
same pair: ``texts`` a ``list[str]`` of length ``num_examples`` (stripped,
never empty) and ``labels`` an ``int64`` array of shape ``(num_examples,)``
holding 0 (negative) or 1 (positive).

How the workbook uses SST-2's three files (see data/README.md):

- ``train`` is for training. The validation set that early stopping watches
  is carved out of train only, by ``train_validation_split``.
- ``dev`` is the held-out evaluation set: never trained on, never used to
  choose a checkpoint, so its accuracy is comparable to published results.
- ``test`` is the final test, run once at the end.

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
import os
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from sklearn.model_selection import train_test_split
from sklearn.utils import resample

SST2_SPLITS = ("train", "dev", "test")
DATA_ENV_VAR = "FINETUNE_LAB_DATA"
"""Name of the environment variable pointing to a folder that holds ``sst2/``."""

_DELIMITER_BY_EXTENSION = {".tsv": "\t", ".csv": ","}
_DELIMITER_NAMES = {"\t": "tab", ",": "comma", ";": "semicolon"}
_EXTENSION_HINT = {"\t": " or name the file .tsv", ",": " or name the file .csv"}


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


# --------------------------------------------------------------------- SST-2

def sst2_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """The folder holding SST-2's ``train.tsv``, ``dev.tsv`` and ``test.tsv``.

    Args:
        data_dir: that folder itself; wins over everything else.

    Otherwise ``$FINETUNE_LAB_DATA/sst2`` if the variable is set (for an
    installed, non-editable package or data kept elsewhere), else the
    repository's ``data/sst2`` next to this package.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV_VAR):
        return Path(os.environ[DATA_ENV_VAR]).expanduser() / "sst2"
    return Path(__file__).resolve().parents[1] / "data" / "sst2"


def load_sst2(split: str, data_dir: str | os.PathLike | None = None) -> tuple[list[str], np.ndarray]:
    """Load one SST-2 split (notebook 05).

    Args:
        split: ``"train"`` (67,349 examples), ``"dev"`` (872, the held-out
            evaluation set) or ``"test"`` (1,821, the final test).
        data_dir: the folder holding the three TSV files; by default see ``sst2_dir``.

    Returns:
        ``(texts, labels)``: ``list[str]`` of length ``num_examples`` and an
        ``int64`` array of shape ``(num_examples,)`` with 0 = negative, 1 = positive.

    Raises:
        ValueError: an unknown split (the valid ones are listed).
        DataFileNotFoundError: the file is missing; the message says where it
            was looked for and how to point the loader elsewhere.
        DataFileError: the file is malformed (see ``load_labelled_table``).
    """
    if split not in SST2_SPLITS:
        raise ValueError(f"unknown SST-2 split {split!r}: use one of " + ", ".join(map(repr, SST2_SPLITS)))
    path = sst2_dir(data_dir) / f"{split}.tsv"
    if not path.is_file():
        raise DataFileNotFoundError(
            f"{path}: SST-2 {split} file not found. Fix: pass data_dir= the folder holding "
            f"{', '.join(s + '.tsv' for s in SST2_SPLITS)}, or set {DATA_ENV_VAR} to a folder "
            "holding sst2/ (the repository ships them in data/sst2)"
        )
    return load_labelled_table(path, text_column="sentence", label_column="label")


# ------------------------------------------------------------ your own table

def load_labelled_table(
    path: str | os.PathLike,
    text_column: str,
    label_column: str,
    label_mapping: Mapping[str | int | float, int] | None = None,
    delimiter: str | None = None,
) -> tuple[list[str], np.ndarray]:
    """Load a CSV or TSV of texts with binary labels (notebook 05).

    Args:
        path: the file, UTF-8 (a byte-order mark is allowed), header on the first line.
        text_column: the header name of the text column.
        label_column: the header name of the label column.
        label_mapping: from the file's label values to 0/1, e.g.
            ``{"neg": 0, "pos": 1}`` or ``{1: 0, 2: 1}``; required unless the
            labels are already 0 and 1. Several values may map to one class.
        delimiter: the field separator; by default ``"\\t"`` for ``.tsv`` and
            ``","`` for ``.csv``. Tab-separated files are read with quoting
            disabled, as SST-2 and GLUE write them (their texts hold quote
            characters that are not quoting); other delimiters use standard
            CSV quoting, as spreadsheets and pandas write it, so a quoted text
            may contain the delimiter.

    Returns:
        ``(texts, labels)``: stripped ``list[str]`` of length ``num_examples``
        and an ``int64`` array of shape ``(num_examples,)`` of 0/1.

    Every line with content is an example or an error. Lines with none (blank,
    or only delimiters and spaces, as spreadsheets leave at the end) hold no
    example and are skipped.

    Raises:
        DataFileNotFoundError: no such file.
        DataFileError: with file, line, column and fix, for an unknown
            delimiter, a missing column, an empty file or header-only file, a
            line with the wrong number of fields, an empty text, a missing
            label, more than two label values, labels that are not 0/1
            without a ``label_mapping``, or a label missing from it.
        ValueError: a ``label_mapping`` whose values are not 0 or 1.
    """
    path = Path(path).expanduser()
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
    texts = [fields[text_index].strip() for _, fields in rows]
    raw_labels = [(line, fields[label_index].strip()) for line, fields in rows]
    return texts, _labels_to_ints(path, raw_labels, label_column, label_mapping)


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
                 "one, or name the file .tsv or .csv")


def _read_text(path: Path) -> str:
    """The file's text, decoded as UTF-8 (an Excel byte-order mark is dropped)."""
    if not path.exists():
        raise DataFileNotFoundError(f"{path}: no such file. Fix: check the path; a relative path "
                                    f"starts at the current folder, {Path.cwd()}")
    if path.is_dir():
        raise _error(path, "this is a folder, not a file", "pass the path of the CSV or TSV file inside it")
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
        raise _error(path, "the label is missing", "write the label (0 or 1), or delete the line",
                     line=line, column=header[label_index].strip())


# -------------------------------------------------------------------- labels

def _label_key(value: object) -> float | str:
    """Compare labels by meaning: ``"1"``, ``"1.0"``, ``"+1"`` and ``1`` are the same number."""
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        return text


def _show(key: float | str) -> str:
    """A label key as a Python literal for a ``label_mapping`` suggestion."""
    if isinstance(key, str):
        return json.dumps(key, ensure_ascii=False)
    return str(int(key)) if key.is_integer() else repr(key)


def _suggest_mapping(keys: Sequence[float | str]) -> str:
    ordered = sorted(keys, key=lambda key: (isinstance(key, str), key))
    pairs = ", ".join(f"{_show(key)}: {index}" for index, key in enumerate(ordered))
    return f"label_mapping={{{pairs}}}"


def _labels_to_ints(path: Path, raw_labels: list[tuple[int, str]], column: str,
                    label_mapping: Mapping[str | int | float, int] | None) -> np.ndarray:
    """The labels as an ``int64`` array of shape ``(num_examples,)``, through ``label_mapping`` if given."""
    if label_mapping is not None:
        return _map_labels(path, raw_labels, column, label_mapping)
    first_line = {}
    for line, value in raw_labels:
        first_line.setdefault(_label_key(value), line)
    keys = list(first_line)
    if len(keys) > 2:
        shown = ", ".join(_show(key) for key in keys[:10]) + (" ..." if len(keys) > 10 else "")
        template = ", ".join(f"{_show(key)}: ?" for key in keys[:10])
        raise _error(path, f"the labels take {len(keys)} values ({shown}) but this is a binary task "
                     "(0 = negative, 1 = positive)", f"pass label_mapping={{{template}}} with each ? "
                     "replaced by 0 or 1, or delete the lines whose label is neither",
                     line=first_line[keys[2]], column=column)
    not_binary = [key for key in keys if key not in (0.0, 1.0)]
    if not_binary:
        kind = "text" if any(isinstance(key, str) for key in not_binary) else "numeric but not 0/1"
        raise _error(path, f"the label {_show(not_binary[0])} is {kind} and no label_mapping was given",
                     f"pass {_suggest_mapping(keys)} with 0 for the negative and 1 for the positive class",
                     line=first_line[not_binary[0]], column=column)
    return np.array([int(_label_key(value)) for _, value in raw_labels], dtype=np.int64)


def _map_labels(path: Path, raw_labels: list[tuple[int, str]], column: str,
                label_mapping: Mapping[str | int | float, int]) -> np.ndarray:
    """Apply ``label_mapping`` to every label; a label it lacks is an error, never dropped."""
    if any(value not in (0, 1) for value in label_mapping.values()):
        raise ValueError(f"label_mapping must map to 0 (negative) or 1 (positive), got {dict(label_mapping)}")
    mapping = {_label_key(key): value for key, value in label_mapping.items()}
    labels = np.empty(len(raw_labels), dtype=np.int64)
    for position, (line, value) in enumerate(raw_labels):
        key = _label_key(value)
        if key not in mapping:
            known = ", ".join(_show(known_key) for known_key in mapping)
            raise _error(path, f"the label {_show(key)} is not in label_mapping (which has {known})",
                         f"add {_show(key)}: 0 or 1 to label_mapping, or delete the line",
                         line=line, column=column)
        labels[position] = mapping[key]
    return labels


# ---------------------------------------------------------------- splitting

def _check_pair(texts: Sequence[str], labels: Sequence[int] | np.ndarray) -> np.ndarray:
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(texts),):
        raise ValueError(f"texts and labels must have the same length: got {len(texts)} texts "
                         f"and labels of shape {labels.shape}")
    return labels


def train_validation_split(
    texts: Sequence[str],
    labels: Sequence[int] | np.ndarray,
    validation_fraction: float = 0.1,
    seed: int = 0,
) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """Carve a seeded validation set out of training data, stratified by label (notebook 05).

    Use it on SST-2 train only: dev stays the held-out evaluation set. Each
    label keeps its share in both parts, so early stopping watches a validation
    set that looks like the training data.

    Args:
        texts: ``num_examples`` training texts.
        labels: shape ``(num_examples,)``, 0/1.
        validation_fraction: share held out, in (0, 1); scikit-learn rounds
            the validation size up, ``ceil(validation_fraction * num_examples)``.
        seed: the same seed gives the same split.

    Returns:
        ``(train_texts, train_labels, validation_texts, validation_labels)``;
        texts as ``list[str]``, labels ``int64`` of shapes ``(num_train,)`` and
        ``(num_validation,)``. Every example lands in exactly one part.

    Raises:
        ValueError: ``validation_fraction`` outside (0, 1), texts and labels
            of different lengths, or (from scikit-learn) a class with a single
            example or a validation set smaller than the number of classes.
    """
    labels = _check_pair(texts, labels)
    if isinstance(validation_fraction, bool) or not isinstance(validation_fraction, (int, float)) \
            or not 0 < validation_fraction < 1:
        raise ValueError(f"validation_fraction must be a number strictly between 0 and 1 "
                         f"(e.g. 0.1 for 10%), got {validation_fraction!r}")
    train_texts, validation_texts, train_labels, validation_labels = train_test_split(
        list(texts), labels, test_size=validation_fraction, random_state=seed, stratify=labels)
    return train_texts, train_labels, validation_texts, validation_labels


def subsample(
    texts: Sequence[str], labels: Sequence[int] | np.ndarray, n: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """A seeded, stratified subset of ``n`` examples, drawn without replacement (notebook 05).

    How a CPU run trains on a few thousand of SST-2's 67,349 examples
    (``num_train_examples``) with the full set's label shares.

    Args:
        texts: ``num_examples`` texts.
        labels: shape ``(num_examples,)``, 0/1.
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
