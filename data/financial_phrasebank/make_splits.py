"""Write train.tsv, validation.tsv and test.tsv from sentences_allagree.txt (see data/README.md).

A seeded, stratified 70 / 15 / 15 split of the Financial PhraseBank's
all-agree subset, made once and shipped, so every run and every reader of
the results uses the same test sentences. The split files carry the source's
licence, CC BY-NC-SA 3.0. Run from the repository root:

    python data/financial_phrasebank/make_splits.py

and the three files are rewritten byte for byte (tests/test_data.py checks
that they are, and data/README.md lists their checksums).
"""

from pathlib import Path

from finetune_lab.data import read_financial_phrasebank, train_validation_test_split

FOLDER = Path(__file__).resolve().parent
SOURCE = FOLDER / "sentences_allagree.txt"
SEED = 0  # the split's seed, recorded in data/README.md
VALIDATION_FRACTION = 0.15
TEST_FRACTION = 0.15


def write_splits(folder: Path = FOLDER) -> dict[str, Path]:
    """Split ``SOURCE`` and write ``<folder>/<part>.tsv`` (header ``sentence<TAB>label``, class names as labels)."""
    splits = train_validation_test_split(read_financial_phrasebank(SOURCE), VALIDATION_FRACTION,
                                         TEST_FRACTION, seed=SEED)
    paths = {}
    for part, data in zip(splits._fields, splits):
        rows = [f"{text}\t{data.class_names[label]}" for text, label in zip(data.texts, data.labels)]
        paths[part] = folder / f"{part}.tsv"
        paths[part].write_text("\n".join(["sentence\tlabel", *rows]) + "\n", encoding="utf-8", newline="\n")
    return paths


if __name__ == "__main__":
    for part, path in write_splits().items():
        print(f"wrote {path}")
