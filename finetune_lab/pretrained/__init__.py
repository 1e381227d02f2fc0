"""The pretrained-model code of notebooks 04-06: TensorFlow, transformers, Keras 2.

Importing any module of this package first runs this file, which prepares
TensorFlow once, before it loads:

- transformers' TensorFlow classes are written for Keras 2; TensorFlow 2.16+
  ships Keras 3, so ``TF_USE_LEGACY_KERAS=1`` selects the tf-keras package;
- TensorFlow's C++ start-up chatter (CUDA probing on a CPU-only machine, CPU
  instruction notices) is hidden: it is noise in a notebook and prints local paths;
- transformers' "TensorFlow classes are deprecated" warning is dropped: the
  workbook pins transformers>=4.57,<5 on purpose (transformers 5 removed them).
"""

import contextlib
import logging
import os
from typing import Iterator

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Send what C++ code writes to file descriptor 2 to /dev/null inside the block.

    Why: TensorFlow's first import and first device query print CUDA probing
    lines ("Could not find cuda drivers", "failed call to cuInit") through
    absl before TF_CPP_MIN_LOG_LEVEL applies, and Jupyter kernels copy file
    descriptor 2 into the notebook as stderr. Python exceptions still raise.
    To see those lines, e.g. when an expected GPU is missing, run
    ``.venv/bin/python -c "import tensorflow as tf; print(tf.config.list_physical_devices())"``.
    """
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _DropTensorFlowDeprecation(logging.Filter):
    """Drop transformers' "TensorFlow and JAX classes are deprecated" warning (see the module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "TensorFlow and JAX classes are deprecated" not in record.getMessage()


# Every transformers module that emits it (transformers 4.57).
for _name in ("modeling_tf_utils", "tokenization_utils_base", "feature_extraction_utils", "pipelines.base"):
    logging.getLogger(f"transformers.{_name}").addFilter(_DropTensorFlowDeprecation())

with quiet_native_stderr():
    import tensorflow as _tensorflow

    _tensorflow.config.list_physical_devices()
