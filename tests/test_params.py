"""The parameter contract: papermill strings are coerced, bad values stop with one line."""

import pytest

from finetune_lab.pretrained.models import ModelNotFoundError
from finetune_lab.course.params import (FINE_TUNE_PARAMETERS, NOTEBOOK_PARAMETERS, ParameterError,
                                 check_overrides, check_parameters)


def test_defaults_pass_unchanged():
    values = check_parameters("05_fine_tune_bert", {})
    assert values == {p.name: p.default for p in FINE_TUNE_PARAMETERS}


@pytest.mark.parametrize("name, given, expected", [
    ("run_common_mistakes", "false", False), ("run_common_mistakes", "True", True),
    ("learning_rate", "1e-5", 1e-5), ("learning_rate", "3e-5", 3e-5), ("weight_decay", 0, 0.0),
    ("epochs", "2", 2), ("epochs", 3.0, 3), ("num_train_examples", "500", 500),
    ("model", " minilm ", "minilm"),
])
def test_papermill_strings_are_coerced(name, given, expected):
    values = check_parameters("05_fine_tune_bert", {name: given})
    assert values[name] == expected and type(values[name]) is type(expected)


@pytest.mark.parametrize("name, bad, fragment", [
    ("learning_rate", 0, "out of range"), ("learning_rate", -1e-5, "out of range"),
    ("learning_rate", "fast", "not a number"), ("batch_size", 0, "out of range"),
    ("epochs", 0, "out of range"), ("epochs", 1.5, "not a whole number"),
    ("run_common_mistakes", "maybe", "True or False"), ("epochs", True, "boolean"),
    ("model", "", "non-empty string"),
])
def test_bad_values_stop_with_a_message_naming_the_parameter(name, bad, fragment):
    with pytest.raises(ParameterError) as error:
        check_parameters("05_fine_tune_bert", {name: bad})
    message = str(error.value)
    assert name in message and fragment in message and "\n" not in message
    assert error.value._render_traceback_() == [f"ParameterError: {message}"]


def test_unknown_override_names_list_the_known_ones():
    with pytest.raises(ParameterError, match="unknown parameter 'lr'.*learning_rate"):
        check_overrides("05_fine_tune_bert", {"lr": 1e-4})


def test_every_registered_default_satisfies_its_own_range():
    for name, spec in NOTEBOOK_PARAMETERS.items():
        check_parameters(name, {})  # raises if a default is outside its range


def test_model_errors_render_as_one_line():
    error = ModelNotFoundError("unknown model 'x': use 'minilm'")
    assert error._render_traceback_() == ["ModelNotFoundError: unknown model 'x': use 'minilm'"]


def test_a_learning_rate_above_the_advised_range_is_accepted_with_a_warning(capsys):
    values = check_parameters("05_fine_tune_bert", {"learning_rate": "1e-3"})
    assert values["learning_rate"] == 1e-3
    line = capsys.readouterr().out.strip()
    assert line.startswith("warning: learning_rate=0.001 is outside 2e-05 to 0.0001") and "collapse" in line
    check_parameters("05_fine_tune_bert", {"learning_rate": 5e-5})
    assert capsys.readouterr().out == ""
    with pytest.raises(ParameterError):
        check_parameters("05_fine_tune_bert", {"learning_rate": 0.5})
