"""The parameter panel: widgets per type, coerced callbacks, errors shown in the panel."""

import json
import math

import ipywidgets
import pytest

import finetune_lab  # noqa: F401  (environment first, as in the notebooks)
from finetune_lab.course.params import Parameter, ParameterError, check_overrides, check_parameters, format_value
from finetune_lab.course.plan import NOTEBOOKS_DIR, find_notebooks
from finetune_lab.course.widgets import WIDGET_VIEW, parameter_panel, without_widget_state

SPEC = (
    Parameter("learning_rate", 1e-4, "a peak rate", low=1e-7, high=1e-2, log_scale=True),
    Parameter("weight_decay", 0.01, "AdamW's decay", low=0.0, high=1.0),
    Parameter("epochs", 2, "two passes", low=1, high=100),
    Parameter("num_train_examples", 6000, "a subset", low=0, high=67349),
    Parameter("run_common_mistakes", True, "measure the mistakes"),
    Parameter("model", "auto", "which encoder", choices=("auto", "minilm")),
    Parameter("output_dir", "saved_models/x", "where to save"),
)
EXPECTED_WIDGETS = {  # a number's value is its text box; bounded numbers get a slider beside it
    "learning_rate": (ipywidgets.Text, ipywidgets.FloatLogSlider),
    "weight_decay": (ipywidgets.Text, ipywidgets.FloatSlider),
    "epochs": (ipywidgets.Text, ipywidgets.IntSlider),
    "num_train_examples": (ipywidgets.Text, None),  # 67,350 positions: too many for a slider
    "run_common_mistakes": (ipywidgets.Checkbox, None),
    "model": (ipywidgets.Dropdown, None),
    "output_dir": (ipywidgets.Text, None),
}


def _errors(panel):
    return [o for o in panel.output.outputs if o["output_type"] == "error"]


def test_panel_has_one_widget_per_parameter_at_its_starting_value():
    params = check_parameters(SPEC, {"epochs": 3, "model": "minilm"})
    panel = parameter_panel(SPEC, params)
    assert list(panel.controls) == [p.name for p in SPEC]
    for name, widget in panel.controls.items():
        control, slider = EXPECTED_WIDGETS[name]
        assert type(widget) is control, name
        assert (type(panel.sliders[name]) if name in panel.sliders else None) is slider, name
        label = panel.children[list(panel.controls).index(name)].children[0]
        assert f">{name}</span>" in label.value and "Allowed:" in label.value
    assert panel.controls["epochs"].value == "3" and panel.sliders["epochs"].value == 3
    assert panel.controls["learning_rate"].value == "1e-4"
    assert panel.controls["model"].value == "minilm"
    assert panel.values() == params
    assert panel.run_button is not None and panel.output in panel.children


def test_panel_from_a_notebook_name_uses_its_registered_specification():
    params = check_parameters("05_fine_tune_bert", {})
    panel = parameter_panel("05_fine_tune_bert", params)
    assert panel.values() == params


def test_run_button_calls_on_change_with_coerced_values():
    calls = []
    panel = parameter_panel(SPEC, check_parameters(SPEC, {}), on_change=calls.append)
    panel.controls["epochs"].value = "5"
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
    panel.controls["learning_rate"].value = "1e-3"
    assert calls[-1]["learning_rate"] == 1e-3


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


def _all_values_exact(panel, params):
    return panel.values() == params and all(type(panel.values()[k]) is type(v) for k, v in params.items())


@pytest.mark.parametrize("notebook", ["01_empirical_risk", "03_training_from_scratch", "05_fine_tune_bert",
                                      "06_evaluation_and_deployment"])
def test_a_slider_snapping_to_its_grid_changes_no_value_and_calls_nothing(notebook):
    # A browser renders a log slider at 10**round(log10(v), 2) and sends that back (0.5 -> 0.501187);
    # a linear slider at low + k * step (0.1 -> 0.09999999999999999). Neither is a change of value.
    calls = []
    params = check_parameters(notebook, {})
    panel = parameter_panel(notebook, params, on_change=calls.append, live=True)
    for name, slider in panel.sliders.items():
        if isinstance(slider, ipywidgets.FloatLogSlider):
            slider.value = 10 ** (round(math.log10(slider.value), 2))
        elif isinstance(slider, ipywidgets.FloatSlider):
            slider.value = slider.min + round((slider.value - slider.min) / slider.step) * slider.step
    assert calls == [] and _errors(panel) == []
    assert _all_values_exact(panel, params)


def test_typing_a_value_gives_exactly_that_value():
    calls = []
    panel = parameter_panel("05_fine_tune_bert", check_parameters("05_fine_tune_bert", {}), on_change=calls.append)
    panel.controls["learning_rate"].value = "3e-5"
    assert panel.values()["learning_rate"] == 3e-5
    assert panel.controls["learning_rate"].value == "3e-5"  # the slider followed without rewriting the box
    assert panel.sliders["learning_rate"].value == pytest.approx(3e-5, rel=0.02)
    panel.run_button.click()
    assert calls[-1]["learning_rate"] == 3e-5


def test_an_untouched_panel_reports_no_change():
    # Notebook 05's Run callback prints what changed; with untouched values, nothing.
    params = check_parameters("05_fine_tune_bert", {})
    changed = []
    panel = parameter_panel("05_fine_tune_bert", params,
                            on_change=lambda new: changed.append({k: v for k, v in new.items() if v != params[k]}))
    panel.sliders["validation_fraction"].value = 0.09999999999999999  # the browser's rendering of 0.1
    panel.run_button.click()
    assert changed == [{}]


def test_moving_a_slider_writes_a_rounded_value_into_the_box():
    calls = []
    panel = parameter_panel("01_empirical_risk", check_parameters("01_empirical_risk", {}),
                            on_change=calls.append, live=True)
    panel.sliders["learning_rate"].value = 10 ** 0.08  # 1.2022644346174131, a log slider's position
    assert panel.controls["learning_rate"].value == "1.2"
    assert calls[-1]["learning_rate"] == 1.2
    panel.sliders["weight_decay"].value = 0.3333333
    assert calls[-1]["weight_decay"] == 0.333 and panel.controls["weight_decay"].value == "0.333"
    panel.sliders["num_steps"].value = 77
    assert calls[-1]["num_steps"] == 77 and panel.controls["num_steps"].value == "77"


@pytest.mark.parametrize("name, typed", [("num_train_examples", "99999"), ("decision_threshold", "2"),
                                         ("num_bootstrap", "-3"), ("seed", "abc"), ("alert_class", " ")])
def test_a_value_the_contract_refuses_is_refused_with_its_message_not_clamped(name, typed):
    notebook = "06_evaluation_and_deployment" if name != "num_train_examples" else "05_fine_tune_bert"
    calls = []
    params = check_parameters(notebook, {})
    panel = parameter_panel(notebook, params, on_change=calls.append, live=True)
    slider_before = panel.sliders[name].value if name in panel.sliders else None
    panel.controls[name].value = typed
    (error,) = _errors(panel)
    with pytest.raises(ParameterError) as contract:
        check_overrides(notebook, {name: typed})  # what papermill and the runner say
    assert error["evalue"] == str(contract.value) and error["traceback"] == [f"ParameterError: {contract.value}"]
    assert calls == []  # refused: the callback never saw it
    assert panel.controls[name].value == typed  # not clamped to a bound
    if name in panel.sliders:
        assert panel.sliders[name].value == slider_before
    panel.controls[name].value = params[name] if isinstance(params[name], str) else format_value(params[name])  # corrected: the error goes, the callback runs
    assert _errors(panel) == [] and calls[-1] == params


def test_every_control_and_slider_has_a_tooltip_with_the_reason_and_allowed_values():
    for notebook in ("05_fine_tune_bert", "06_evaluation_and_deployment"):
        panel = parameter_panel(notebook, check_parameters(notebook, {}))
        for name, parameter in panel.parameters.items():
            for widget in (panel.controls[name], panel.sliders.get(name)):
                if widget is not None:
                    assert parameter.why in widget.tooltip and parameter.allowed() in widget.tooltip, name
    assert "[-inf, inf]" not in Parameter("output_dir", "x", "where").allowed()


def test_a_run_now_panel_shows_its_first_output_inside_and_in_its_stored_text():
    printed = []
    panel = parameter_panel(SPEC[:1], {"learning_rate": 1e-4}, live=True, run_now=True,
                            on_change=lambda v: print(f"rate {v['learning_rate']:g}") or printed.append(v))
    assert printed == [{"learning_rate": 1e-4}]
    assert repr(panel).endswith("\nrate 0.0001")
    panel.controls["learning_rate"].value = "2e-4"
    assert repr(panel).endswith("\nrate 0.0002") and "rate 0.0001" not in repr(panel)


def test_stored_notebooks_keep_widget_text_but_no_widget_state():
    notebook = {
        "metadata": {"widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}}}},
        "cells": [{"cell_type": "code", "outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {WIDGET_VIEW: {"model_id": "a"}, "text/plain": ["epoch 1/2: 100%|██████████| 225/225"]}},
            {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ""}},  # a bar that left
            {"output_type": "stream", "name": "stdout", "text": "done\n"}]},
            {"cell_type": "markdown", "source": "text"}],
    }
    without_widget_state(notebook)
    assert "widgets" not in notebook["metadata"]
    assert notebook["cells"][0]["outputs"] == [
        {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["epoch 1/2: 100%|██████████| 225/225"]}},
        {"output_type": "stream", "name": "stdout", "text": "done\n"}]


@pytest.mark.parametrize("notebook", [path.stem for path in find_notebooks(NOTEBOOKS_DIR)])
def test_the_stored_notebooks_carry_no_widget_state_and_no_unfinished_bars(notebook):
    stored = json.loads((NOTEBOOKS_DIR / f"{notebook}.ipynb").read_text(encoding="utf-8"))
    assert "widgets" not in stored["metadata"]
    outputs = [o for cell in stored["cells"] for o in cell.get("outputs", [])]
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in outputs)
    texts = ["".join(o.get("data", {}).get("text/plain", "")) + "".join(o.get("text", "")) for o in outputs]
    assert not [t for t in texts if " 0%|" in t], "a progress bar stored as unfinished"
    panel_text = [t for t in texts if "parameter panel" in t]
    if any("parameter_panel(" in "".join(cell["source"]) for cell in stored["cells"]):
        assert panel_text and all("…" not in text for text in panel_text)
