"""The package's layout promises: a cheap import, and TensorFlow only where it is used."""

import subprocess
import sys

import pytest

CHEAP = ["finetune_lab", "finetune_lab.from_scratch.losses", "finetune_lab.from_scratch.gradient_step",
         "finetune_lab.from_scratch.logistic_regression", "finetune_lab.data", "finetune_lab.metrics",
         "finetune_lab.calibration", "finetune_lab.course.params", "finetune_lab.course.widgets",
         "finetune_lab.course.records", "finetune_lab.course.plan", "finetune_lab.course.runner",
         "finetune_lab.course.environment", "finetune_lab.course.exercises",
         "finetune_lab.course.sync", "finetune_lab.course.translation", "finetune_lab.course.code_identity",
         "finetune_lab.course.messages",
         "finetune_lab.progress"]


def _loads_tensorflow(module: str) -> bool:
    script = f"import sys, {module}; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return result.stdout.strip() == "True"


@pytest.mark.parametrize("module", CHEAP)
def test_the_math_and_course_modules_do_not_import_tensorflow(module):
    assert not _loads_tensorflow(module)


def test_a_pretrained_module_loads_tensorflow_with_keras_2():
    script = ("import os, finetune_lab.pretrained.batches, tensorflow as tf; "
              "print(os.environ['TF_USE_LEGACY_KERAS'], tf.keras.__name__)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["1", "tf_keras.api._v2.keras"]
