"""Tests for finetune_lab.data: SST-2 and the Financial PhraseBank as documented, every bad-file message, seeded splits."""

import collections
import hashlib
import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

from finetune_lab import data
from finetune_lab.data import (
    DATA_ENV_VAR,
    FINANCIAL_PHRASEBANK_CLASS_NAMES,
    DataFileError,
    DataFileNotFoundError,
    LabelledSplits,
    LabelledTexts,
    load_financial_phrasebank,
    load_labelled_splits,
    load_labelled_table,
    load_sst2,
    read_financial_phrasebank,
    sentence_groups,
    share_contained,
    subsample,
    train_validation_split,
    train_validation_test_split,
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
    data = load_sst2(split)
    assert data.class_names == ("negative", "positive")
    texts, labels = data
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
    (folder / "dev.tsv").write_text("sentence\tlabel\na fine film \t1\na dull film\t0\n", encoding="utf-8")


def test_sst2_folder_from_environment_variable(tmp_path, monkeypatch):
    _write_small_sst2(tmp_path / "sst2")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path))
    texts, labels = load_sst2("dev")
    assert texts == ["a fine film", "a dull film"] and labels.tolist() == [1, 0]


def test_sst2_data_dir_argument_wins_over_environment_variable(tmp_path, monkeypatch):
    _write_small_sst2(tmp_path / "mine")
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "elsewhere"))
    assert load_sst2("dev", data_dir=tmp_path / "mine").texts == ["a fine film", "a dull film"]


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
    path = _write(tmp_path, "reviews.txt", "text;label\ngood;1\nbad;0\n")
    assert load_labelled_table(path, "text", "label", delimiter=";").texts == ["good", "bad"]


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


def test_whole_number_labels_that_do_not_start_at_0_are_listed_with_a_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\na,1\nb,2\nc,3\nd,1\n")
    message = _load_error(path)
    _assert_names(message, path, 4, "label", "label_mapping={1: 0, 2: 1, 3: 2}", "add examples of class 0")
    assert "(1, 2, 3)" in message and "class id 0 has no example" in message


def test_string_labels_get_sorted_class_ids_and_their_names(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nbad,neg\nso-so,neutral\n")
    data = load_labelled_table(path, "text", "label")
    assert data.class_names == ("neg", "neutral", "pos")
    assert data.labels.tolist() == [2, 0, 1] and data.labels.dtype == np.int64


def test_numeric_labels_other_than_0_1_need_a_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1\nbad,2\n")
    _assert_names(_load_error(path), path, 3, "label", "label_mapping={1: 0, 2: 1}")


def test_label_missing_from_the_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nok,neutral\n")
    message = _load_error(path, label_mapping={"neg": 0, "pos": 1})
    _assert_names(message, path, 3, "label", '"neutral": <its class id, 0 to 1>', "delete the line")


@pytest.mark.parametrize("mapping", [{"pos": 2, "neg": 0}, {"pos": 1}, {"pos": "1", "neg": 0},
                                     {"pos": True, "neg": False}])
def test_mapping_values_must_be_the_class_ids_without_gaps(tmp_path, mapping):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nbad,neg\n")
    with pytest.raises(ValueError, match=r"class ids 0, 1, \.\.\., K-1"):
        load_labelled_table(path, "text", "label", label_mapping=mapping)


def test_mapping_with_numeric_keys_and_several_values_per_class(tmp_path):
    path = _write(tmp_path, "stars.csv", "text,label\na,1\nb,2\nc,4\nd,5\n")
    data = load_labelled_table(path, "text", "label", label_mapping={1: 0, 2: 0, 4: 1, 5: 1})
    assert data.labels.tolist() == [0, 0, 1, 1] and data.class_names == ("1/2", "4/5")


def test_float_spelled_binary_labels_need_no_mapping(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,1.0\nbad,0.0\n")
    assert load_labelled_table(path, "text", "label").labels.tolist() == [1, 0]


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


# A toy treebank: two sentences, their phrases, a phrase of both ("good"), and a sentence on its own.
TOY_TREEBANK = [
    ("a good and moving film", 1), ("good and moving", 1), ("moving film", 1), ("moving", 1),
    ("a good but dull plot", 0), ("dull plot", 0), ("but dull", 0), ("dull", 0),
    ("good", 1), ("the worst", 0),
]


def test_sentence_groups_of_a_toy_treebank():
    texts = [text for text, _ in TOY_TREEBANK]
    groups = sentence_groups(texts)
    film, plot = groups[0], groups[4]
    assert film != plot and film >= 0 and plot >= 0
    assert groups.tolist() == [film] * 4 + [plot] * 4 + [-1, groups[9]]
    assert groups[9] not in (film, plot, -1)
    assert groups.dtype == np.int64 and groups.shape == (10,)


def test_sentence_groups_of_a_subset_follow_the_whole_set():
    texts = [text for text, _ in TOY_TREEBANK]
    # "good and moving" and "moving film" contain each other nowhere, but share the sentence not drawn.
    subset = ["good and moving", "moving film", "dull plot"]
    groups = sentence_groups(subset, within=texts)
    assert groups[0] == groups[1] != groups[2]
    with pytest.raises(ValueError, match="not in `within`"):
        sentence_groups(["a new text"], within=texts)


@pytest.mark.parametrize("seed", range(6))
def test_grouped_split_of_a_toy_treebank_keeps_sentences_whole(seed):
    texts, labels = zip(*(TOY_TREEBANK * 1))
    groups = sentence_groups(texts)
    train_texts, _, validation_texts, _ = train_validation_split(texts, labels, 0.4, seed, groups=groups)
    assert share_contained(validation_texts, train_texts) == 0
    assert "good" in train_texts  # a phrase of several sentences always trains
    assert sorted(train_texts + validation_texts) == sorted(texts)


def test_share_contained_counts_word_sequences_not_substrings():
    assert share_contained(["moving film", "dull", "ill"], ["a good and moving film", "but dull"]) == 2 / 3
    assert share_contained([], ["anything"]) == 0.0


@pytest.fixture(scope="module")
def sst2_groups(sst2_train):
    return sentence_groups(sst2_train.texts)


def test_sst2_groups_hold_sentences_and_few_shared_phrases(sst2_train, sst2_groups):
    num_sentences = len(set(sst2_groups[sst2_groups >= 0].tolist()))
    assert 5_000 < num_sentences < 9_000  # GLUE's train: the treebank's 6,920 training sentences, about
    assert 0 < np.mean(sst2_groups < 0) < 0.1


@pytest.mark.parametrize("num_examples", [8_000, 0])
def test_grouped_split_of_sst2_leaks_nothing_and_the_plain_split_does(sst2_train, sst2_groups, num_examples):
    texts, labels = subsample(*sst2_train, num_examples, seed=0)
    groups = sentence_groups(texts, within=sst2_train.texts)
    plain = train_validation_split(texts, labels, 0.1, seed=0)
    grouped = train_validation_split(texts, labels, 0.1, seed=0, groups=groups)
    assert share_contained(plain[2], plain[0]) > 0.2
    assert share_contained(grouped[2], grouped[0]) == 0
    group_of = dict(zip(texts, groups))
    assert not {group_of[t] for t in grouped[2]} & {group_of[t] for t in grouped[0]}
    target = 0.1 * len(texts)
    assert abs(len(grouped[2]) - target) <= 0.1 * target
    assert abs(grouped[3].mean() - labels.mean()) < 0.02   # stratification kept, up to whole groups
    assert collections.Counter(grouped[0] + grouped[2]) == collections.Counter(texts)


def test_grouped_split_is_deterministic_for_a_seed_and_differs_between_seeds(sst2_train):
    texts, labels = subsample(*sst2_train, 3_000, seed=1)
    groups = sentence_groups(texts, within=sst2_train.texts)
    first, again, other = (train_validation_split(texts, labels, 0.1, seed, groups=groups) for seed in (1, 1, 2))
    assert first[2] == again[2] and first[0] == again[0] and np.array_equal(first[3], again[3])
    assert first[2] != other[2]


def test_grouped_split_rejects_groups_of_another_length():
    texts, labels = _toy(10)
    with pytest.raises(ValueError, match="one group id per text"):
        train_validation_split(texts, labels, 0.5, groups=[0, 1])


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


def test_split_and_subsample_stratify_three_classes():
    texts = [f"example {i}" for i in range(1000)]
    labels = np.repeat([0, 1, 2], [100, 600, 300])
    _, _, _, validation_labels = train_validation_split(texts, labels, 0.1, seed=0)
    assert np.bincount(validation_labels).tolist() == [10, 60, 30]
    assert np.bincount(subsample(texts, labels, 200, seed=0)[1]).tolist() == [20, 120, 60]


# ------------------------------------------------------- Financial PhraseBank

FPB = REPO / "data" / "financial_phrasebank"
FPB_SPLIT_COUNTS = {"train": [213, 973, 398], "validation": [45, 209, 86], "test": [45, 209, 86]}


def test_financial_phrasebank_checksums_match_the_readme():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    documented = dict((name, digest) for digest, name in
                      re.findall(r"^([0-9a-f]{64})  financial_phrasebank/(\S+)$", readme, flags=re.MULTILINE))
    data_files = sorted(path.name for path in FPB.iterdir() if path.suffix in (".txt", ".tsv"))
    assert sorted(documented) == data_files == ["sentences_allagree.txt", "test.tsv", "train.tsv", "validation.tsv"]
    for name, digest in documented.items():
        assert hashlib.sha256((FPB / name).read_bytes()).hexdigest() == digest, name
    # The copy is the release as we were given it (its checksum is in the source's SOURCE.md).
    assert documented["sentences_allagree.txt"] == "2771b41e75fefd7556dedfb176d680fda55c19c8547406c0976e33b8fabbab54"


def test_financial_phrasebank_counts_and_majority_baseline_match_the_readme():
    data = read_financial_phrasebank(FPB / "sentences_allagree.txt")
    assert data.class_names == FINANCIAL_PHRASEBANK_CLASS_NAMES == ("negative", "neutral", "positive")
    assert data.class_counts() == {"negative": 303, "neutral": 1391, "positive": 570}
    assert round(1391 / 2264, 3) == 0.614
    assert len(set(data.texts)) == 2264 - 5                                    # 5 sentences occur twice


def test_financial_phrasebank_splits_are_stratified_and_partition_the_release():
    full = read_financial_phrasebank(FPB / "sentences_allagree.txt")
    parts = {split: load_financial_phrasebank(split) for split in FPB_SPLIT_COUNTS}
    for split, counts in FPB_SPLIT_COUNTS.items():
        assert parts[split].class_names == FINANCIAL_PHRASEBANK_CLASS_NAMES
        assert np.bincount(parts[split].labels).tolist() == counts
        shares = np.bincount(parts[split].labels) / len(parts[split].labels)
        np.testing.assert_allclose(shares, [303 / 2264, 1391 / 2264, 570 / 2264], atol=0.002)
    together = collections.Counter((text, int(label)) for part in parts.values()
                                   for text, label in zip(part.texts, part.labels))
    assert together == collections.Counter(zip(full.texts, full.labels.tolist()))
    assert not set(parts["test"].texts) & (set(parts["train"].texts) | set(parts["validation"].texts))


def test_financial_phrasebank_split_files_are_reproduced_byte_for_byte(tmp_path):
    spec = importlib.util.spec_from_file_location("make_splits", FPB / "make_splits.py")
    make_splits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_splits)
    written = make_splits.write_splits(tmp_path)
    assert sorted(written) == ["test", "train", "validation"]
    for split, path in written.items():
        assert path.read_bytes() == (FPB / f"{split}.tsv").read_bytes(), split


def test_financial_phrasebank_unknown_split_and_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="'train', 'validation', 'test'"):
        load_financial_phrasebank("dev")
    with pytest.raises(DataFileNotFoundError, match="data_dir="):
        load_financial_phrasebank("test", data_dir=tmp_path)


def test_reading_the_release_format_splits_at_the_last_at_sign_and_skips_comments(tmp_path):
    path = _write(tmp_path, "phrases.txt", "# header\nShares rose @ 5 % .@positive\n\nNo news .@neutral\n"
                  "Sales fell .@negative\n")
    data = read_financial_phrasebank(path)
    assert data.texts == ["Shares rose @ 5 % .", "No news .", "Sales fell ."]
    assert data.labels.tolist() == [2, 1, 0]


@pytest.mark.parametrize("line, problem", [("Shares rose", "not <sentence>@<label>"),
                                           ("@positive", "not <sentence>@<label>"),
                                           ("Shares rose@bullish", "'bullish' is not one of")])
def test_reading_the_release_format_names_a_bad_line(tmp_path, line, problem):
    path = _write(tmp_path, "phrases.txt", f"Sales fell .@negative\n{line}\n")
    with pytest.raises(DataFileError) as caught:
        read_financial_phrasebank(path)
    _assert_names(str(caught.value), path, 2, None)
    assert problem in str(caught.value)


# ------------------------------------------------------------- K classes

def test_labelled_texts_unpacks_as_a_pair_and_carries_its_class_names():
    data = LabelledTexts(["a", "b", "c"], [2, 0, 1], ("neg", "neu", "pos"))
    texts, labels = data
    assert texts == ["a", "b", "c"] and labels.dtype == np.int64 and data.num_classes == 3
    assert data.class_counts() == {"neg": 1, "neu": 1, "pos": 1}
    assert repr(data) == "LabelledTexts(num_examples=3, class_counts={'neg': 1, 'neu': 1, 'pos': 1})"


@pytest.mark.parametrize("labels, names, message", [
    ([0, 1], ("a", "b"), r"shape \(3,\)"),
    ([0, 1, 2], ("a", "b"), "class ids 0 to 1"),
    ([0, 0, 0], ("a",), "at least 2 different names"),
    ([0, 1, 1], ("a", "a"), "at least 2 different names"),
])
def test_labelled_texts_rejects_labels_that_are_not_class_ids(labels, names, message):
    with pytest.raises(ValueError, match=message):
        LabelledTexts(["x", "y", "z"], labels, names)


def test_class_names_give_the_order_of_string_labels(tmp_path):
    path = _write(tmp_path, "news.csv", "text,label\nup,positive\nflat,neutral\ndown,negative\nup,positive\n")
    data = load_labelled_table(path, "text", "label", class_names=["positive", "negative", "neutral"])
    assert data.class_names == ("positive", "negative", "neutral")
    assert data.labels.tolist() == [0, 2, 1, 0]


def test_whole_number_labels_are_class_ids_named_by_class_names(tmp_path):
    path = _write(tmp_path, "news.tsv", "text\tlabel\nup\t2\nflat\t1.0\ndown\t0\n")
    assert load_labelled_table(path, "text", "label").class_names == ("0", "1", "2")
    data = load_labelled_table(path, "text", "label", class_names=FINANCIAL_PHRASEBANK_CLASS_NAMES)
    assert data.labels.tolist() == [2, 1, 0] and data.class_names == FINANCIAL_PHRASEBANK_CLASS_NAMES


def test_labels_that_are_names_like_1_to_5_are_read_as_names_when_class_names_list_them(tmp_path):
    path = _write(tmp_path, "stars.csv", "text,label\na,1\nb,5\nc,3\nd,2\ne,4\n")
    data = load_labelled_table(path, "text", "label", class_names=["1", "2", "3", "4", "5"])
    assert data.labels.tolist() == [0, 4, 2, 1, 3]


def test_a_badly_imbalanced_file_is_not_an_error(tmp_path):
    lines = "".join(f"ticket {i},billing\n" for i in range(200)) + "lost card,fraud\n"
    data = load_labelled_table(_write(tmp_path, "tickets.csv", "text,label\n" + lines), "text", "label")
    assert data.class_counts() == {"billing": 200, "fraud": 1}


def test_a_single_class(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nfine,pos\n")
    message = _load_error(path)
    _assert_names(message, path, None, "label", "add examples of the other classes", "label_column=")
    assert 'every label is "pos"' in message and "at least two classes" in message


def test_class_names_that_no_line_has(tmp_path):
    path = _write(tmp_path, "news.csv", "text,label\nup,positive\ndown,negative\n")
    message = _load_error(path, class_names=["negative", "neutral", "positive"])
    _assert_names(message, path, None, "label", "check the spelling in class_names", "add examples of 'neutral'")
    assert "class 1 ('neutral', from class_names) has no example" in message
    assert "['negative', 'positive']" in message


def test_a_label_that_is_not_among_class_names(tmp_path):
    path = _write(tmp_path, "news.csv", "text,label\nup,positive\nflat,neutral\ndown,negative\nup,postive\n")
    message = _load_error(path, class_names=["negative", "neutral", "positive"])
    _assert_names(message, path, 5, "label", 'correct the label', 'add "postive" to class_names')
    assert 'the label "postive" is not among class_names' in message


def test_a_whole_number_label_beyond_class_names(tmp_path):
    path = _write(tmp_path, "news.csv", "text,label\nup,2\nflat,1\ndown,0\nup,3\n")
    message = _load_error(path, class_names=["negative", "neutral", "positive"])
    _assert_names(message, path, 5, "label", "add its class to class_names", "label_mapping=")
    assert "the label 3 is not a class id" in message and "ids run 0 to 2" in message


@pytest.mark.parametrize("content, line, odd", [
    ("text,label\na,0\nb,1\nc,pos\nd,1\n", 4, 'the label "pos" is a name but other labels are numbers'),
    ("text,label\na,neg\nb,pos\nc,1\nd,neg\n", 4, "the label 1 is a number but other labels are names"),
])
def test_names_and_numbers_mixed_in_one_column(tmp_path, content, line, odd):
    path = _write(tmp_path, "mixed.csv", content)
    message = _load_error(path)
    _assert_names(message, path, line, "label", "all as class names or all as class ids")
    assert odd in message and "mixes class names and class ids" in message


@pytest.mark.parametrize("label", ["0.7", "1.5", "-0.25"])
def test_labels_that_look_like_scores(tmp_path, label):
    path = _write(tmp_path, "scores.csv", f"text,label\na,0\nb,1\nc,{label}\n")
    message = _load_error(path)
    _assert_names(message, path, 4, "label", "turn scores into classes")
    assert f"the label {float(label)!r} is a fraction, not a class" in message


def test_a_negative_whole_number_label_suggests_a_mapping(tmp_path):
    path = _write(tmp_path, "signs.csv", "text,label\na,-1\nb,1\n")
    message = _load_error(path)
    _assert_names(message, path, 2, "label", "label_mapping={-1: 0, 1: 1}")
    assert "the label -1 is not a class id: class ids are whole numbers from 0" in message


def test_a_class_that_label_mapping_sends_no_line_to(tmp_path):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,pos\nfine,pos\n")
    message = _load_error(path, label_mapping={"neg": 0, "pos": 1})
    _assert_names(message, path, None, "label", "check the spelling in label_mapping")
    assert "class 0 ('neg', from label_mapping) has no example" in message


@pytest.mark.parametrize("class_names", [["only"], ["a", "a"], "negative,positive", ["a", ""]])
def test_class_names_must_be_two_or_more_different_names(tmp_path, class_names):
    path = _write(tmp_path, "reviews.csv", "text,label\ngood,a\nbad,b\n")
    with pytest.raises(ValueError, match="class_names must"):
        load_labelled_table(path, "text", "label", class_names=class_names)


def test_label_mapping_to_three_classes_with_class_names(tmp_path):
    path = _write(tmp_path, "stars.csv", "text,stars\na,1\nb,3\nc,5\nd,2\n")
    data = load_labelled_table(path, "text", "stars", label_mapping={1: 0, 2: 0, 3: 1, 4: 2, 5: 2},
                               class_names=["negative", "neutral", "positive"])
    assert data.labels.tolist() == [0, 1, 2, 0] and data.class_names == ("negative", "neutral", "positive")
    with pytest.raises(ValueError, match="maps to 3 class ids but class_names has 2"):
        load_labelled_table(path, "text", "stars", label_mapping={1: 0, 2: 0, 3: 1, 4: 2, 5: 2},
                            class_names=["negative", "positive"])


def test_a_conll_token_per_line_file_is_recognised_as_token_classification(tmp_path):
    path = _write(tmp_path, "conll_sample.tsv", "token\tpos\tchunk\tner\nEU\tNNP\tB-NP\tB-ORG\n"
                  "rejects\tVBZ\tB-VP\tO\nGerman\tJJ\tB-NP\tB-MISC\ncall\tNN\tI-NP\tO\n"
                  "Peter\tNNP\tB-NP\tB-PER\n")
    message = _load_error(path, text_column="token", label_column="ner")
    _assert_names(message, path, 2, "ner", "give each whole text", "token-classification model")
    assert '("B-ORG", "O", "B-MISC", "B-PER") are named-entity tags' in message
    assert "token classification, not text classification" in message


def test_labels_named_o_and_b_dash_something_alone_are_not_taken_for_tags(tmp_path):
    path = _write(tmp_path, "grades.csv", "text,label\na,A\nb,B-\nc,O\n")
    assert load_labelled_table(path, "text", "label").class_names == ("A", "B-", "O")


# -------------------------------------------------------------- JSON Lines

def test_reads_json_lines_with_string_or_whole_number_labels(tmp_path):
    path = _write(tmp_path, "tickets.jsonl", '\ufeff{"message": " Refund please ", "intent": "refund"}\r\n'
                  '\n{"message": "Cancel it", "intent": "cancel", "id": 7}\n'
                  '{"message": "Where is my bill?", "intent": "billing"}\n')
    data = load_labelled_table(path, "message", "intent")
    assert data.texts == ["Refund please", "Cancel it", "Where is my bill?"]
    assert data.class_names == ("billing", "cancel", "refund") and data.labels.tolist() == [2, 1, 0]
    numbers = _write(tmp_path, "numbers.jsonl", '{"text": "a", "label": 1}\n{"text": "b", "label": 0.0}\n')
    assert load_labelled_table(numbers, "text", "label").labels.tolist() == [1, 0]


@pytest.mark.parametrize("line, column, problem, fix", [
    ('{"text": "b", "label": 1', None, "not valid JSON", "one JSON object per line"),
    ('["b", 1]', None, "JSON list, not an object", "one JSON object per line"),
    ('{"txt": "b", "label": 1}', "text", "no key 'text'; its keys are ['txt', 'label']", "text_column="),
    ('{"text": "b"}', "label", "no key 'label'", "label_column="),
    ('{"text": 5, "label": 1}', "text", "the text is a JSON int, not a string", "JSON string"),
    ('{"text": " ", "label": 1}', "text", "the text is empty", "JSON string"),
    ('{"text": "b", "label": null}', "label", "the label is missing", "class name"),
    ('{"text": "b", "label": true}', "label", "the label is true", "class id"),
    ('{"text": "b", "label": 0.7}', "label", "0.7 is a fraction", "turn scores into classes"),
    ('{"text": "b", "label": "pos"}', "label", "mixes class names and class ids", "all as class names"),
])
def test_bad_json_lines_name_the_line_and_the_fix(tmp_path, line, column, problem, fix):
    path = _write(tmp_path, "bad.jsonl", '{"text": "a", "label": 1}\n{"text": "c", "label": 0}\n'
                  '{"text": "d", "label": 0}\n' + line + "\n")
    message = _load_error(path)
    _assert_names(message, path, 4, column, fix)
    assert problem in message


def test_an_empty_json_lines_file(tmp_path):
    path = _write(tmp_path, "empty.jsonl", "\n \n")
    _assert_names(_load_error(path), path, 1, None, "one JSON object per line")


# ------------------------------------------------ train / validation / test

def _three_classes(counts=(30, 120, 50)) -> LabelledTexts:
    labels = np.repeat(np.arange(len(counts)), counts)
    return LabelledTexts([f"example {i}" for i in range(len(labels))], labels, ("neg", "neu", "pos")[:len(counts)])


def test_three_way_split_sizes_are_each_class_rounded():
    train, validation, test = train_validation_test_split(_three_classes(), 0.15, 0.15, seed=0)
    # per class: round(0.15 * count) for validation and test, the rest for training
    assert np.bincount(validation.labels).tolist() == [4, 18, 8]   # round(4.5) = 4, Python rounds halves to even
    assert np.bincount(test.labels).tolist() == [4, 18, 8]
    assert np.bincount(train.labels).tolist() == [22, 84, 34]
    assert train.class_names == validation.class_names == test.class_names == ("neg", "neu", "pos")


def test_three_way_split_partitions_the_data_and_keeps_pairs():
    data = _three_classes()
    splits = train_validation_test_split(data, 0.2, 0.1, seed=3)
    assert isinstance(splits, LabelledSplits)
    label_of = dict(zip(data.texts, data.labels.tolist()))
    every_text = [text for part in splits for text in part.texts]
    assert sorted(every_text) == sorted(data.texts)
    assert all(label_of[t] == l for part in splits for t, l in zip(part.texts, part.labels.tolist()))


def test_three_way_split_is_reproducible_for_a_seed_and_differs_between_seeds():
    data = _three_classes()
    first, again = train_validation_test_split(data, seed=1), train_validation_test_split(data, seed=1)
    other = train_validation_test_split(data, seed=2)
    assert [part.texts for part in first] == [part.texts for part in again]
    assert first.test.texts != other.test.texts


def test_three_way_split_mixes_the_classes_within_each_part():
    train = train_validation_test_split(_three_classes(), seed=0).train
    assert (np.diff(train.labels) != 0).sum() > 10          # not sorted by class


def test_a_class_of_three_gets_one_example_in_each_part():
    train, validation, test = train_validation_test_split(_three_classes((3, 100)), 0.15, 0.15, seed=0)
    assert [np.bincount(part.labels, minlength=2)[0] for part in (train, validation, test)] == [1, 1, 1]


def test_large_fractions_still_leave_a_training_example_per_class():
    train, validation, test = train_validation_test_split(_three_classes((4, 40)), 0.3, 0.6, seed=0)
    assert [np.bincount(part.labels, minlength=2)[0] for part in (train, validation, test)] == [1, 1, 2]


def test_three_way_split_of_a_class_too_small_says_how_many_it_has_and_needs():
    with pytest.raises(ValueError, match="the class 'neg' has 2 examples, but .* needs at least 3"):
        train_validation_test_split(_three_classes((2, 50, 50)))


@pytest.mark.parametrize("validation_fraction, test_fraction, message", [
    (0, 0.15, "validation_fraction must be a number strictly between 0 and 1"),
    (0.15, 1.0, "test_fraction must be a number strictly between 0 and 1"),
    (0.5, 0.5, "must be below 1"),
])
def test_three_way_split_rejects_bad_fractions(validation_fraction, test_fraction, message):
    with pytest.raises(ValueError, match=message):
        train_validation_test_split(_three_classes(), validation_fraction, test_fraction)


def _intents_file(tmp_path, name="tickets.csv", counts=(("billing", 40), ("cancel", 20), ("refund", 10))):
    rows = [f"message {label} {i},{label}" for label, count in counts for i in range(count)]
    return _write(tmp_path, name, "message,intent\n" + "\n".join(rows) + "\n")


def test_load_labelled_splits_of_one_file(tmp_path):
    path = _intents_file(tmp_path)
    train, validation, test = load_labelled_splits(path, "message", "intent", seed=0)
    assert train.class_names == ("billing", "cancel", "refund")
    assert [len(part.texts) for part in (train, validation, test)] == [48, 11, 11]
    assert np.bincount(test.labels).tolist() == [6, 3, 2]      # round(0.15 * 40, 20, 10) = 6, 3, 2 (1.5 -> 2)
    data = load_labelled_table(path, "message", "intent")
    assert [p.texts for p in train_validation_test_split(data, seed=0)] == [p.texts for p in (train, validation, test)]


def test_load_labelled_splits_with_separate_files_uses_the_training_class_ids(tmp_path):
    train_path = _intents_file(tmp_path, "train.csv")
    dev_path = _write(tmp_path, "dev.csv", "message,intent\nmoney back,refund\nstop,cancel\ninvoice,billing\n")
    test_path = _write(tmp_path, "test.csv", "message,intent\nquit,cancel\nbill,billing\nreturn,refund\n")
    train, validation, test = load_labelled_splits(train_path, "message", "intent",
                                                   validation_path=dev_path, test_path=test_path)
    assert len(train.texts) == 70                                    # nothing carved out
    assert validation.labels.tolist() == [2, 1, 0] and test.labels.tolist() == [1, 0, 2]
    assert validation.class_names == test.class_names == ("billing", "cancel", "refund")


def test_load_labelled_splits_carves_only_the_part_without_a_file(tmp_path):
    test_path = _write(tmp_path, "test.csv", "message,intent\nquit,cancel\nbill,billing\nreturn,refund\n")
    train, validation, test = load_labelled_splits(_intents_file(tmp_path), "message", "intent",
                                                   test_path=test_path, validation_fraction=0.1)
    assert len(test.texts) == 3 and np.bincount(validation.labels).tolist() == [4, 2, 1]
    assert len(train.texts) == 70 - 7


def test_load_labelled_splits_names_the_separate_file_with_a_bad_label(tmp_path):
    dev_path = _write(tmp_path, "dev.csv", "message,intent\nmoney back,refunds\nstop,cancel\ninvoice,billing\n")
    with pytest.raises(DataFileError) as caught:
        load_labelled_splits(_intents_file(tmp_path), "message", "intent", validation_path=dev_path)
    _assert_names(str(caught.value), dev_path, 2, "intent", 'add "refunds" to class_names')


def test_load_labelled_splits_with_a_class_too_small_names_count_minimum_and_lines(tmp_path):
    path = _intents_file(tmp_path, counts=(("billing", 40), ("fraud", 2), ("refund", 10)))
    with pytest.raises(DataFileError) as caught:
        load_labelled_splits(path, "message", "intent")
    message = str(caught.value)
    _assert_names(message, path, None, "intent", "add examples of 'fraud'", "label_mapping", "delete its lines")
    assert "the class 'fraud' has 2 examples" in message and "needs at least 3 (one in each part)" in message
    assert "its lines: 42, 43" in message


def test_load_labelled_splits_with_one_file_given_needs_two_per_class(tmp_path):
    path = _intents_file(tmp_path, counts=(("billing", 40), ("fraud", 1), ("refund", 10)))
    test_path = _write(tmp_path, "test.csv", "message,intent\nbill,billing\nscam,fraud\nreturn,refund\n")
    with pytest.raises(DataFileError, match="'fraud' has 1 example, but .* needs at least 2"):
        load_labelled_splits(path, "message", "intent", test_path=test_path)


def test_a_notebook_dataset_parameter_gives_train_dev_and_test():
    sst2 = data.load_dataset("sst2")
    assert [len(part.texts) for part in sst2] == [67349, 872, 1821] and sst2.dev.class_names == ("negative", "positive")
    phrasebank = data.load_dataset("financial_phrasebank")
    assert [len(part.texts) for part in phrasebank] == [1584, 340, 340]
    assert phrasebank.test.class_names == ("negative", "neutral", "positive")


def test_the_example_customer_file_loads_by_path_with_sorted_or_given_names(monkeypatch):
    monkeypatch.chdir(REPO / "notebooks")                     # as a notebook runs: relative to the workbook
    splits = data.load_dataset("data/examples/customer_messages.csv")
    assert splits.train.class_names == ("complaint", "praise", "question")
    assert sum(len(part.texts) for part in splits) == 60
    assert all(set(part.labels) == {0, 1, 2} for part in splits)
    given = data.load_dataset("data/examples/customer_messages.csv", class_names="question, complaint, praise")
    assert given.test.class_names == ("question", "complaint", "praise")
    assert data.parse_class_names("auto") is None


def test_a_missing_dataset_file_names_the_shipped_datasets():
    with pytest.raises(data.DataFileNotFoundError, match="no such file.*sst2, financial_phrasebank"):
        data.load_dataset("data/my_reviews.csv")
