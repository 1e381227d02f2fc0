"""The parameter panel: widgets per type, coerced callbacks, errors shown in the panel."""

import ipywidgets
import pytest

import finetune_lab  # noqa: F401  (environment first, as in the notebooks)
from finetune_lab.course.params import Parameter, ParameterError, check_parameters
from finetune_lab.course.widgets import parameter_panel

SPEC = (
    Parameter("learning_rate", 1e-4, "a peak rate", low=1e-7, high=1e-2, log_scale=True),
    Parameter("weight_decay", 0.01, "AdamW's decay", low=0.0, high=1.0),
    Parameter("epochs", 2, "two passes", low=1, high=100),
    Parameter("num_train_examples", 6000, "a subset", low=0, high=67349),
    Parameter("run_common_mistakes", True, "measure the mistakes"),
    Parameter("model", "auto", "which encoder", choices=("auto", "minilm")),
    Parameter("output_dir", "saved_models/x", "where to save"),
)
EXPECTED_WIDGETS = {
    "learning_rate": ipywidgets.FloatLogSlider,
    "weight_decay": ipywidgets.FloatSlider,
    "epochs": ipywidgets.IntSlider,
    "num_train_examples": ipywidgets.BoundedIntText,
    "run_common_mistakes": ipywidgets.Checkbox,
    "model": ipywidgets.Dropdown,
    "output_dir": ipywidgets.Text,
}


def _errors(panel):
    return [o for o in panel.output.outputs if o["output_type"] == "error"]


def test_panel_has_one_widget_per_parameter_at_its_starting_value():
    params = check_parameters(SPEC, {"epochs": 3, "model": "minilm"})
    panel = parameter_panel(SPEC, params)
    assert list(panel.controls) == [p.name for p in SPEC]
    for name, widget in panel.controls.items():
        assert type(widget) is EXPECTED_WIDGETS[name], name
        assert widget.value == pytest.approx(params[name]), name
        assert widget.description == name
    assert "a peak rate" in panel.controls["learning_rate"].tooltip
    assert panel.values() == params
    assert panel.run_button is not None and panel.output in panel.children


def test_panel_from_a_notebook_name_uses_its_registered_specification():
    params = check_parameters("05_fine_tune_bert", {})
    panel = parameter_panel("05_fine_tune_bert", params)
    assert panel.values() == params


def test_run_button_calls_on_change_with_coerced_values():
    calls = []
    panel = parameter_panel(SPEC, check_parameters(SPEC, {}), on_change=calls.append)
    panel.controls["epochs"].value = 5
    panel.controls["run_common_mistakes"].value = False
    assert calls == []  # expensive work waits for the button
    panel.run_button.click()
    assert calls[-1]["epochs"] == 5 and type(calls[-1]["epochs"]) is int
    assert calls[-1]["run_common_mistakes"] is False
    assert type(calls[-1]["weight_decay"]) is float
    assert _errors(panel) == []


def test_live_panel_calls_on_change_on_every_value_change():
    calls = []
    panel = parameter_panel(SPEC, check_parameters(SPEC, {}), on_change=calls.append, live=True)
    assert panel.run_button is None
    panel.controls["learning_rate"].value = 1e-3
    assert calls[-1]["learning_rate"] == pytest.approx(1e-3)


def test_a_callback_that_raises_shows_its_error_in_the_output():
    def broken(_params):
        raise RuntimeError("the loss is NaN")

    panel = parameter_panel(SPEC, check_parameters(SPEC, {}), on_change=broken)
    panel.run()
    (error,) = _errors(panel)
    assert error["ename"] == "RuntimeError" and error["evalue"] == "the loss is NaN"
    assert any("the loss is NaN" in line for line in error["traceback"])
    panel.on_change = lambda _params: None
    panel.run()  # a later successful run clears the old error
    assert _errors(panel) == []


def test_a_bad_value_shows_the_parameter_error_message():
    calls = []
    panel = parameter_panel(SPEC, check_parameters(SPEC, {}), on_change=calls.append)
    panel.controls["output_dir"].value = "   "
    panel.run()
    (error,) = _errors(panel)
    assert error["ename"] == "ParameterError"
    assert "parameter output_dir=" in error["evalue"]
    assert error["traceback"] == [f"ParameterError: {error['evalue']}"]
    assert calls == []
    with pytest.raises(ParameterError):
        panel.values()


def test_unknown_notebook_name_is_a_parameter_error():
    with pytest.raises(ParameterError, match="no parameter specification"):
        parameter_panel("99_nothing", {})


def test_a_stored_panel_reads_as_a_sentence_without_a_kernel():
    panel = parameter_panel("01_empirical_risk", check_parameters("01_empirical_risk", {}))
    text = repr(panel)
    assert text.startswith("[parameter panel: run this cell in JupyterLab") and "num_steps=30" in text
    assert "children=" not in text
