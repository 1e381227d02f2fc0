"""Tests for finetune_lab.data: SST-2 as documented, every bad-file message, seeded splits."""

import collections
import hashlib
import re
from pathlib import Path

import numpy as np
import pytest

from finetune_lab.data import (
    DATA_ENV_VAR,
    DataFileError,
    DataFileNotFoundError,
    load_labelled_table,
    load_sst2,
    subsample,
    train_validation_split,
)

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------- SST-2

@pytest.fixture(scope="module")
def sst2_train():
    return load_sst2("train")


@pytest.mark.parametrize(
    "split, num_examples, positive_share",
    [("train", 67_349, 0.558), ("dev", 872, 0.509), ("test", 1_821, 0.496)],
)
def test_sst2_counts_and_positive_shares_match_the_readme(split, num_examples, positive_share):
    texts, labels = load_sst2(split)
    assert len(texts) == num_examples
    assert labels.shape == (num_examples,) and labels.dtype == np.int64
    assert set(np.unique(labels)) == {0, 1}
    assert round(float(labels.mean()), 3) == positive_share


def test_sst2_texts_are_stripped_and_non_empty(sst2_train):
    texts, _ = sst2_train
    assert all(isinstance(text, str) and text and text == text.strip() for text in texts)


def test_sst2_keeps_quote_characters_literally():
    texts, _ = load_sst2("dev")
    assert any("``" in text and "''" in text for text in texts)
    assert any(" 's " in text for text in texts)


def test_sst2_unknown_split_lists_the_valid_ones():
    with pytest.raises(ValueError, match="'train', 'dev', 'test'"):
        load_sst2("validation")


def _write_small_sst2(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "dev.tsv").write_text("sentence\tlabel\na fine film \t1\n", encoding="utf-8")


def test_sst2_folder_from_environment_variable(tmp_path, monkeypatch):
    _write_small_sst2(tmp_path / "sst2")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    texts, labels = load_sst2("dev")
    assert texts == ["a fine film"] and labels.tolist() == [1]


def test_sst2_data_dir_argument_wins_over_environment_variable(tmp_path, monkeypatch):
    _write_small_sst2(tmp_path / "mine")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "elsewhere"))
    assert load_sst2("dev", data_dir=tmp_path / "mine")[0] == ["a fine film"]


def test_sst2_missing_folder_says_how_to_point_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    with pytest.raises(FileNotFoundError) as caught:
        load_sst2("test")
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert str(tmp_path / "sst2" / "test.tsv") in message
    assert DATA_ENV_VAR in message and "data_dir=" in message


def test_sst2_checksums_match_the_readme():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    documented = {name: digest for digest, name in
                  re.findall(r"^([0-9a-f]{64})  (\w+\.tsv)$", readme, flags=re.MULTILINE)}
    assert sorted(documented) == ["dev.tsv", "test.tsv", "train.tsv"]
    for name, digest in documented.items():
        assert hashlib.sha256((REPO / "data" / "sst2" / name).read_bytes()).hexdigest() == digest, name


# ------------------------------------------------------- load_labelled_table

def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8", newline="")
    return path


def _load_error(path: Path, **kwargs) -> str:
    """The message of the DataFileError that loading ``path`` raises."""
    kwargs = {"text_column": "text", "label_column": "label", **kwargs}
    with pytest.raises(DataFileError) as caught:
        load_labelled_table(path, **kwargs)
    return str(caught.value)


def _assert_names(message: str, path: Path, line: int | None, column: str | None, *fix: str) -> None:
    assert message.startswith(str(path)), message
    if line is not None:
        assert f"line {line}," in message or f"line {line}:" in message, message
    if column is not None:
        assert f"column {column!r}" in message, message
    assert "Fix:" in message, message
    fix_part = message.split("Fix:", 1)[1]
    for words in fix:
        assert words in fix_part, message


def test_reads_a_good_csv_with_quoted_commas_crlf_and_byte_order_mark(tmp_path):
    path = _write(tmp_path, "reviews.csv", '\ufefftext,label\r\n"good, really",1\r\n'
                  '"he said ""meh""",0\r\n')
    texts, labels = load_labelled_table(path, "text", "label")
    assert texts == ["good, really", 'he said "meh"']
    assert labels.tolist() == [1, 0] and labels.dtype == np.int64


def test_reads_a_tsv_with_quote_characters_literally(tmp_path):
    path = _write(tmp_path, "reviews.tsv", 'id\ttext\tlabel\n7\t"quoted" start \t1\n8\tit \'s bad\t0\n')
    texts, labels = load_labelled_table(path, "text", "label")
    assert texts == ['"quoted" start', "it 's bad"] and labels.tolist() == [1, 0]


def test_explicit_delimiter_for_another_extension(tmp_path):
    path = _write(tmp_path, "reviews.txt", "text;label\ngood;1\n")
    assert load_labelled_table(path, "text", "label", delimiter=";")[0] == ["good"]


def test_unknown_extension_without_delimiter(tmp_path):
    path = _write(tmp_path, "reviews.txt", "text\tlabel\ngood\t1\n")
    _assert_names(_load_error(path), path, None, None, "delimiter='\\t'", "delimiter=','")


def test_missing_file_is_both_file_not_found_and_value_error(tmp_path):
    path = tmp_path / "absent.csv"
    with pytest.raises(DataFileNotFoundError) as caught:
        load_labelled_table(path, "text", "label")
    assert isinstance(caught.value, FileNotFoundError) and isinstance(caught.value, ValueError)
    _assert_names(str(caught.value), path, None, None, "check the path")


def test_missing_text_column_lists_the_columns(tmp_path):
    path = _write(tmp_path, "reviews.csv", "sentence,label\ngood,1\n")
    message = _load_error(path)
    _assert_names(message, path, 1, "text", "text_column=")
    assert "['sentence', 'label']" in message


def test_missing_label_column_lists_the_columns(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,sentiment\ngood,1\n")
    message = _load_error(path)
    _assert_names(message, path, 1, "label", "label_column=")
    assert "['text', 'sentiment']" in message


@pytest.mark.parametrize(
    "name, header, suggestion",
    [("tabs.csv", "text\tlabel", "delimiter='\\t'"),
     ("commas.tsv", "text,label", "delimiter=','"),
     ("semicolons.csv", "text;label", "delimiter=';'")],
)
def test_header_not_split_by_the_delimiter_suggests_the_right_one(tmp_path, name, header, suggestion):
    path = _write(tmp_path, name, f"{header}\ngood{header[4]}1\n")
    message = _load_error(path)
    _assert_names(message, path, 1, "text", suggestion)
    assert "does not split the header" in message


def test_duplicate_column_name(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label,label\ngood,1,0\n")
    _assert_names(_load_error(path), path, 1, "label", "rename")


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_or_whitespace_text(tmp_path, text):
    path = _write(tmp_path, "reviews.tsv", f"text\tlabel\ngood\t1\n{text}\t0\n")
    _assert_names(_load_error(path), path, 3, "text", "write the text", "delete the line")


def test_missing_label(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1\nbad, \n")
    _assert_names(_load_error(path), path, 3, "label", "write the label")


def test_more_than_two_label_values_are_listed(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\na,1\nb,2\nc,3\nd,1\n")
    message = _load_error(path)
    _assert_names(message, path, 4, "label", "label_mapping={1: ?, 2: ?, 3: ?}")
    assert "(1, 2, 3)" in message and "binary task" in message


def test_string_labels_need_a_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nbad,neg\n")
    _assert_names(_load_error(path), path, 2, "label", 'label_mapping={"neg": 0, "pos": 1}')


def test_numeric_labels_other_than_0_1_need_a_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1\nbad,2\n")
    _assert_names(_load_error(path), path, 3, "label", "label_mapping={1: 0, 2: 1}")


def test_label_missing_from_the_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nok,neutral\n")
    message = _load_error(path, label_mapping={"neg": 0, "pos": 1})
    _assert_names(message, path, 3, "label", '"neutral": 0 or 1', "delete the line")


def test_mapping_values_must_be_binary(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\n")
    with pytest.raises(ValueError, match="0 .* or 1"):
        load_labelled_table(path, "text", "label", label_mapping={"pos": 2})


def test_mapping_with_numeric_keys_and_several_values_per_class(tmp_path):
    path = _write(tmp_path, "stars.csv", "text,label\na,1\nb,2\nc,4\nd,5\n")
    _, labels = load_labelled_table(path, "text", "label", label_mapping={1: 0, 2: 0, 4: 1, 5: 1})
    assert labels.tolist() == [0, 0, 1, 1]


def test_float_spelled_binary_labels_need_no_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1.0\nbad,0.0\n")
    assert load_labelled_table(path, "text", "label")[1].tolist() == [1, 0]


@pytest.mark.parametrize("name, line, fix", [
    ("reviews.csv", "text,label\ngood,1\ngood, really,1\n", "double quotes"),
    ("reviews.tsv", "text\tlabel\ngood\t1\ngood\treally\t1\n", "remove a tab"),
    ("short.csv", "text,label\ngood,1\nbad\n", "add the missing field"),
])
def test_wrong_number_of_fields(tmp_path, name, line, fix):
    path = _write(tmp_path, name, line)
    message = _load_error(path)
    _assert_names(message, path, 3, None, fix)
    assert "but the header has 2" in message


def test_unclosed_quote_is_reported_at_the_line_that_opens_it(tmp_path):
    path = _write(tmp_path, "reviews.csv", 'text,label\ngood,1\n"never closed,1\nbad,0\n')
    _assert_names(_load_error(path), path, 3, None, "close the quote")


def test_line_numbers_count_blank_lines_and_multi_line_texts(tmp_path):
    path = _write(tmp_path, "reviews.csv", 'text,label\n"two\nlines",1\n\nbad,\n')
    _assert_names(_load_error(path), path, 5, "label", "write the label")


def test_lines_without_content_are_skipped_and_nothing_else(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1\n\nbad,0\n,\n , \n")
    texts, labels = load_labelled_table(path, "text", "label")
    assert texts == ["good", "bad"] and labels.tolist() == [1, 0]


def test_empty_file(tmp_path):
    path = _write(tmp_path, "reviews.csv", "")
    _assert_names(_load_error(path), path, 1, None, "header line")


def test_header_only_file(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\n")
    _assert_names(_load_error(path), path, 1, None, "add one example")


def test_not_utf8_names_the_line(tmp_path):
    path = _write(tmp_path, "reviews.csv", b"text,label\ngood,1\ncaf\xe9,0\n")
    _assert_names(_load_error(path), path, 3, None, "UTF-8")


# ------------------------------------------------------------- splitting

def _toy(num_examples: int = 1000, positive_share: float = 0.3):
    """Unique texts so examples can be tracked through a split."""
    labels = (np.arange(num_examples) < positive_share * num_examples).astype(np.int64)
    return [f"example {i}" for i in range(num_examples)], labels


def test_split_sizes_and_types():
    texts, labels = _toy()
    train_texts, train_labels, validation_texts, validation_labels = train_validation_split(
        texts, labels, validation_fraction=0.1, seed=0)
    assert (len(train_texts), len(validation_texts)) == (900, 100)
    assert train_labels.shape == (900,) and validation_labels.shape == (100,)
    assert train_labels.dtype == validation_labels.dtype == np.int64
    assert isinstance(train_texts, list) and isinstance(validation_texts, list)


def test_split_is_stratified():
    texts, labels = _toy()
    _, train_labels, _, validation_labels = train_validation_split(texts, labels, 0.1, seed=0)
    assert train_labels.mean() == pytest.approx(0.3) and validation_labels.mean() == pytest.approx(0.3)


def test_split_loses_and_duplicates_nothing_and_keeps_pairs():
    texts, labels = _toy()
    label_of = dict(zip(texts, labels))
    train_texts, train_labels, validation_texts, validation_labels = train_validation_split(texts, labels, 0.2, 3)
    assert sorted(train_texts + validation_texts) == sorted(texts)
    assert all(label_of[t] == l for t, l in zip(train_texts + validation_texts,
                                                np.concatenate([train_labels, validation_labels])))


def test_split_of_sst2_train_keeps_every_example_including_duplicates(sst2_train):
    texts, labels = sst2_train
    train_texts, train_labels, validation_texts, validation_labels = train_validation_split(texts, labels)
    assert (len(train_texts), len(validation_texts)) == (60_614, 6_735)
    assert collections.Counter(zip(train_texts + validation_texts,
                                   np.concatenate([train_labels, validation_labels]).tolist())) \
        == collections.Counter(zip(texts, labels.tolist()))
    assert abs(validation_labels.mean() - labels.mean()) < 1 / len(validation_labels)


def test_split_is_deterministic_for_a_seed_and_differs_between_seeds():
    texts, labels = _toy()
    first = train_validation_split(texts, labels, 0.1, seed=1)
    again = train_validation_split(texts, labels, 0.1, seed=1)
    other = train_validation_split(texts, labels, 0.1, seed=2)
    assert first[2] == again[2] and np.array_equal(first[3], again[3])
    assert first[2] != other[2]


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, True, "0.1"])
def test_split_rejects_a_fraction_outside_zero_one(fraction):
    texts, labels = _toy(10)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        train_validation_split(texts, labels, validation_fraction=fraction)


def test_split_rejects_texts_and_labels_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        train_validation_split(["a", "b", "c"], [0, 1], 0.5)


def test_subsample_size_stratification_and_membership():
    texts, labels = _toy()
    label_of = dict(zip(texts, labels))
    sub_texts, sub_labels = subsample(texts, labels, n=200, seed=0)
    assert len(sub_texts) == 200 and sub_labels.dtype == np.int64
    assert len(set(sub_texts)) == 200
    assert all(label_of[t] == l for t, l in zip(sub_texts, sub_labels))
    assert sub_labels.mean() == pytest.approx(0.3)


def test_subsample_is_deterministic_for_a_seed_and_differs_between_seeds():
    texts, labels = _toy()
    assert subsample(texts, labels, 50, seed=4)[0] == subsample(texts, labels, 50, seed=4)[0]
    assert subsample(texts, labels, 50, seed=4)[0] != subsample(texts, labels, 50, seed=5)[0]


@pytest.mark.parametrize("n", [0, 1000, 5000])
def test_subsample_zero_or_at_least_all_keeps_everything_in_order(n):
    texts, labels = _toy()
    sub_texts, sub_labels = subsample(texts, labels, n, seed=0)
    assert sub_texts == texts and np.array_equal(sub_labels, labels)


def test_subsample_one_below_all_still_works():
    texts, labels = _toy()
    assert sorted(subsample(texts, labels, 999, seed=0)[0]) != sorted(texts)
    assert len(subsample(texts, labels, 999, seed=0)[0]) == 999


@pytest.mark.parametrize("n", [-1, 2.5, True])
def test_subsample_rejects_a_bad_n(n):
    texts, labels = _toy()
    with pytest.raises(ValueError, match="whole number >= 0"):
        subsample(texts, labels, n, seed=0)
