"""finetune_lab: the helper package of the finetune-lab workbook.

One module per concept, each named after the notebook that introduces it:

- ``params``      the parameter contract every notebook's ``parameters`` cell follows
- ``data``        SST-2 and user CSV/TSV files as (texts, labels)       (notebook 05)
- ``models``      the pretrained encoder with a new classification head  (notebook 05)
- ``batches``     dynamic padding and the attention mask                 (notebook 05)
- ``fine_tune``   AdamW, the train step, validation and early stopping  (notebook 05)
- ``evaluate``    metrics, ``predict``, save and reload                  (notebook 05)
- ``device``      CPU or GPU, threads and mixed precision                (notebook 05)
- ``losses``, ``gradient_step``, ``logistic_regression``, ``exercises``  (notebooks 01-03)
- ``transfer``    freezing, pooled embeddings, a random-init twin        (notebook 04)
- ``calibration``, ``deployment``  evaluation and serving               (notebook 06)
- ``records``, ``widgets``, ``course``, ``environment``  the course runner (notebook 00)

Importing this package first sets up the environment TensorFlow and
transformers need, so notebooks start with ``import finetune_lab``.
"""

import logging as _logging
import os as _os

# transformers' TensorFlow classes are written for Keras 2. TensorFlow 2.16+
# ships Keras 3, so we ask it to use the tf-keras package (Keras 2) instead.
# This must be set before TensorFlow is first imported.
_os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# Hide TensorFlow's C++ start-up chatter (CUDA probing on CPU-only machines,
# CPU instruction notices): it is noise in a notebook and prints local paths.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# No machine running the workbook by default reaches a model hub; the offline
# model is found on disk. Loading a hub id explicitly still works (see models).
_os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class _DropTensorFlowDeprecation(_logging.Filter):
    """Drop transformers' "TensorFlow classes are deprecated" warning.

    Why: the workbook deliberately pins transformers>=4.57,<5, the last series
    with TensorFlow classes (transformers 5 removed them). The warning tells
    the reader to do exactly that, so repeating it in every notebook teaches
    nothing. This is the one place it is silenced.
    """

    def filter(self, record: _logging.LogRecord) -> bool:
        return "TensorFlow and JAX classes are deprecated" not in record.getMessage()


# Every transformers module that emits it (transformers 4.57).
for _name in ("modeling_tf_utils", "tokenization_utils_base", "feature_extraction_utils", "pipelines.base"):
    _logging.getLogger(f"transformers.{_name}").addFilter(_DropTensorFlowDeprecation())

# TensorFlow's first import and first device query print CUDA-probing lines
# through absl before TF_CPP_MIN_LOG_LEVEL applies ("Could not find cuda
# drivers", "failed call to cuInit"); notebooks would show them as stderr on
# every CPU machine. We do both once here with file descriptor 2 muted.
# `python -m finetune_lab.course check` reports whether a GPU is visible.
from finetune_lab.environment import quiet_native_stderr as _quiet_native_stderr  # noqa: E402

with _quiet_native_stderr():
    import tensorflow as _tensorflow

    _tensorflow.config.list_physical_devices()

__version__ = "0.1.0"
