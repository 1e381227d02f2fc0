"""An ipywidgets panel for a notebook's parameters (introduced in notebook 00).

Each notebook's ``parameters`` cell stays the source of truth: papermill and
nbval never touch the panel, they only build it and move on. A student in
JupyterLab moves the sliders, presses Run (or sees live updates for cheap
cells), and the panel validates the values with the same contract as
``check_parameters`` before calling the notebook's callback:

    panel = parameter_panel("05_fine_tune_bert", params, on_change=train)
    display(panel)
    ...
    params = panel.values()   # re-run a cell with the panel's values

Anything raised while validating or inside the callback is shown inside the
panel (its ``Output``), with its message, so a click never fails silently.
"""

from __future__ import annotations

import html
import math
import traceback
from typing import Any, Callable, Mapping, Sequence

import ipywidgets

from finetune_lab.course.params import Parameter, ParameterError, Value, _spec, coerce

Callback = Callable[[dict[str, Value]], Any]

# An IntSlider with more positions than this is unusable with a mouse (a pixel
# would skip hundreds of values), so wider ranges get a bounded text box.
MAX_SLIDER_POSITIONS = 1024
_LABEL_STYLE = {"description_width": "initial"}


def _float_step(low: float, high: float) -> float:
    """A power of ten giving about 1,000 slider positions over [low, high]."""
    return 10.0 ** math.floor(math.log10((high - low) / 1000))


def _number_widget(parameter: Parameter, value: int | float) -> ipywidgets.ValueWidget:
    low, high = parameter.low, parameter.high
    bounded = low is not None and high is not None
    if parameter.kind is int:
        if not bounded:
            return ipywidgets.IntText(value=value)
        if high - low + 1 > MAX_SLIDER_POSITIONS:
            return ipywidgets.BoundedIntText(value=value, min=int(low), max=int(high))
        return ipywidgets.IntSlider(value=value, min=int(low), max=int(high))
    if parameter.log_scale and bounded and low > 0:
        # FloatLogSlider's min and max are exponents of ``base``.
        return ipywidgets.FloatLogSlider(
            value=value, base=10, min=math.log10(low), max=math.log10(high),
            step=0.01, readout_format=".2e",
        )
    if not bounded:
        return ipywidgets.FloatText(value=value)
    return ipywidgets.FloatSlider(
        value=value, min=low, max=high, step=_float_step(low, high), readout_format=".3g"
    )


def parameter_widget(parameter: Parameter, value: Value) -> ipywidgets.ValueWidget:
    """One input widget for ``parameter`` starting at ``value``, tooltip = its ``why``.

    Checkbox for bools, Dropdown for ``choices``, Text for free strings,
    FloatLogSlider for ``log_scale`` floats, Float/IntSlider for bounded
    numbers, BoundedIntText for integer ranges wider than
    ``MAX_SLIDER_POSITIONS``, Float/IntText for unbounded numbers.
    """
    if parameter.kind is bool:
        widget = ipywidgets.Checkbox(value=value, indent=False)
    elif parameter.choices:
        widget = ipywidgets.Dropdown(options=list(parameter.choices), value=value)
    elif parameter.kind is str:
        widget = ipywidgets.Text(value=value)
    else:
        widget = _number_widget(parameter, value)
    widget.description = parameter.name
    widget.tooltip = f"{parameter.why} ({parameter.allowed()})"
    widget.style = _LABEL_STYLE
    return widget


class ParameterPanel(ipywidgets.VBox):
    """A VBox of parameter widgets, a Run button (unless live) and an Output.

    Attributes:
        controls: ``{parameter name: input widget}`` in the specification's order.
        run_button: the Run button, or None when ``live=True``.
        output: where the callback's printing and any error appear.
    """

    def __init__(self, spec: str | Sequence[Parameter], params: Mapping[str, Value],
                 on_change: Callback | None = None, live: bool = False):
        self.parameters = {p.name: p for p in _spec(spec)}
        self.controls = {name: parameter_widget(p, params.get(name, p.default))
                         for name, p in self.parameters.items()}
        self.on_change = on_change
        self.output = ipywidgets.Output()
        self.run_button = None if live else ipywidgets.Button(
            description="Run", button_style="primary", tooltip="validate the values and run")
        rows = [_row(self.parameters[name], widget) for name, widget in self.controls.items()]
        footer = [self.run_button] if self.run_button else []
        super().__init__(children=[*rows, *footer, self.output])
        if live:
            for widget in self.controls.values():
                widget.observe(lambda _change: self.run(), names="value")
        else:
            self.run_button.on_click(lambda _button: self.run())

    def __repr__(self) -> str:
        """What a notebook opened without a kernel shows in place of the panel (its stored text/plain)."""
        shown = ", ".join(f"{name}={widget.value!r}" for name, widget in self.controls.items())
        return f"[parameter panel: run this cell in JupyterLab to change the values] {shown}"

    def values(self) -> dict[str, Value]:
        """The widgets' current values, coerced like ``check_parameters``.

        Raises:
            ParameterError: a value the contract does not allow (e.g. an empty text).
        """
        return {name: coerce(self.parameters[name], widget.value)
                for name, widget in self.controls.items()}

    def run(self) -> None:
        """Validate the values and call ``on_change`` with them.

        The previous output is cleared first. An exception from validation or
        from the callback is not raised (a widget event has no caller to catch
        it) but shown in ``output`` as an error with its message and traceback.
        """
        self.output.outputs = ()
        with self.output:  # in a kernel, the callback's prints land in the panel
            try:
                new_params = self.values()
                if self.on_change is not None:
                    self.on_change(new_params)
                return
            except Exception as error:  # shown below, never swallowed
                failure = error
        _show_error(self.output, failure)


def _row(parameter: Parameter, widget: ipywidgets.Widget) -> ipywidgets.Widget:
    """The widget with its reason in small grey text beside it."""
    why = ipywidgets.HTML(f"<small style='color:gray'>{html.escape(parameter.why)}</small>")
    return ipywidgets.HBox([widget, why])


def _show_error(output: ipywidgets.Output, error: BaseException) -> None:
    """Append ``error`` to ``output`` as a notebook error output.

    A ParameterError shows only its one-line message (the fix is in it, as in
    ``ParameterError._render_traceback_``); other errors show their traceback.
    """
    if isinstance(error, ParameterError):
        lines = error._render_traceback_()
    else:
        lines = traceback.format_exception(type(error), error, error.__traceback__)
    output.outputs += ({"output_type": "error", "ename": type(error).__name__,
                        "evalue": str(error), "traceback": lines},)


def parameter_panel(spec: str | Sequence[Parameter], params: Mapping[str, Value],
                    on_change: Callback | None = None, live: bool = False) -> ParameterPanel:
    """Build the ipywidgets panel for a notebook's parameters (notebook 00).

    Args:
        spec: a notebook name from ``NOTEBOOK_PARAMETERS`` or a list of ``Parameter``.
        params: the starting values, usually what ``check_parameters`` returned;
            a missing name starts at its default.
        on_change: called with ``{name: coerced value}`` when Run is pressed
            (or, with ``live=True``, whenever a value changes).
        live: update on every change; only for callbacks that take under a
            second. Training cells keep the default Run button.

    Returns:
        A ``ParameterPanel`` (an ``ipywidgets.VBox``); ``panel.values()``
        reads the current values. Building it never blocks and needs no front
        end, so headless papermill/nbval runs build it and go on with ``params``.

    Raises:
        ParameterError: an unknown notebook name.
    """
    return ParameterPanel(spec, params, on_change, live)
