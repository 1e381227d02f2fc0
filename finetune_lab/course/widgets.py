"""An ipywidgets panel for a notebook's parameters (introduced in notebook 00).

Each notebook's ``parameters`` cell stays the source of truth: papermill and
nbval never touch the panel, they only build it and move on. A student in
JupyterLab moves the sliders or types values, presses Run (or sees live
updates for cheap cells), and the panel validates the values with the same
contract as ``check_parameters`` before calling the notebook's callback:

    panel = parameter_panel("05_fine_tune_bert", params, on_change=train)
    display(panel)
    ...
    params = panel.values()   # re-run a cell with the panel's values

A number's value is the text in its box, read by ``params.coerce``: what is
shown is what the callback gets (``3e-5`` stays 3e-5), and a value the
contract refuses (out of range, not a number) is refused here with the
contract's one-line message, never clamped. A slider beside the box is a
shortcut that writes a rounded value into the box; the slider snapping to
its own grid (as a browser does on render) never changes the value.

Anything raised while validating or inside the callback is shown inside the
panel (its ``Output``), with its message, so a click never fails silently.
"""

from __future__ import annotations

import contextlib
import html
import io
import math
import sys
import traceback
from typing import Any, Callable, Iterator, Mapping, Sequence

import ipywidgets

from finetune_lab.course.messages import tr
from finetune_lab.course.params import Parameter, ParameterError, Value, _spec, coerce, format_value

Callback = Callable[[dict[str, Value]], Any]

# An IntSlider with more positions than this is unusable with a mouse (a pixel
# would skip hundreds of values), so wider ranges get the text box alone.
MAX_SLIDER_POSITIONS = 1024
# A log slider moves in steps of 0.01 decades; a value it sets is rounded to this many significant digits.
LOG_SLIDER_DIGITS = 3
_LOG_STEP = 0.01


def _float_step(low: float, high: float) -> float:
    """A power of ten giving about 1,000 slider positions over [low, high]."""
    return 10.0 ** math.floor(math.log10((high - low) / 1000))


def tooltip(parameter: Parameter) -> str:
    """What hovering a parameter's widgets shows: why its default, and its allowed values (``messages.tr``)."""
    return tr("{why}. Allowed: {allowed}.", why=tr(parameter.why), allowed=parameter.allowed())


def parameter_slider(parameter: Parameter, value: int | float) -> ipywidgets.ValueWidget | None:
    """The slider that goes with a number's text box, or None (unbounded, or too many integers).

    IntSlider for integer ranges up to ``MAX_SLIDER_POSITIONS`` values,
    FloatLogSlider (steps of 0.01 decades) for ``log_scale`` floats,
    FloatSlider (about 1,000 steps) for other bounded floats. It has no
    readout: the text box beside it shows the value.
    """
    low, high = parameter.low, parameter.high
    if low is None or high is None:
        return None
    common = {"readout": False, "tooltip": tooltip(parameter)}
    if parameter.kind is int:
        if high - low + 1 > MAX_SLIDER_POSITIONS:
            return None
        return ipywidgets.IntSlider(value=value, min=int(low), max=int(high), **common)
    if parameter.log_scale and low > 0:
        # FloatLogSlider's min and max are exponents of ``base``.
        return ipywidgets.FloatLogSlider(value=value, base=10, min=math.log10(low), max=math.log10(high),
                                         step=_LOG_STEP, **common)
    return ipywidgets.FloatSlider(value=value, min=low, max=high, step=_float_step(low, high), **common)


def parameter_widget(parameter: Parameter, value: Value) -> ipywidgets.ValueWidget:
    """The input widget holding ``parameter``'s value, starting at ``value``.

    Checkbox for bools, Dropdown for ``choices``, otherwise a Text box: free
    strings, and numbers written as a ``parameters`` cell writes them
    (``format_value``: ``1e-4``, ``0.5``); ``coerce`` reads them back exactly.
    The tooltip gives the parameter's reason and allowed values; the name is
    a separate ``parameter_label`` (the panel puts it in front).
    """
    if parameter.kind is bool:
        widget = ipywidgets.Checkbox(value=value, indent=False)
    elif parameter.choices:
        widget = ipywidgets.Dropdown(options=list(parameter.choices), value=value)
    else:
        shown = value if isinstance(value, str) else format_value(value)
        widget = ipywidgets.Text(value=shown, continuous_update=False,
                                 placeholder=format_value(parameter.default))
    # No description: ipywidgets 8 puts a tooltip on the input itself only when the description is
    # empty (otherwise on the label, and a Checkbox's on a hidden one); the name is a label beside it.
    widget.tooltip = tooltip(parameter)
    widget.layout.width = "9em" if parameter.kind in (int, float) else "auto"
    return widget


def parameter_label(parameter: Parameter) -> ipywidgets.HTML:
    """The parameter's name, with the same tooltip as its widgets."""
    return ipywidgets.HTML(f"<span class='finetune-lab-parameter' title='{html.escape(tooltip(parameter), quote=True)}'>"
                           f"{html.escape(parameter.name)}</span>")


def _slider_value(parameter: Parameter, slider: ipywidgets.ValueWidget, value: float) -> int | float:
    """A slider position as the value it stands for: rounded to the slider's resolution."""
    if parameter.kind is int:
        return int(value)
    if isinstance(slider, ipywidgets.FloatLogSlider):
        return float(f"{value:.{LOG_SLIDER_DIGITS}g}")
    decimals = max(0, -math.floor(math.log10(slider.step)))
    return round(float(value), decimals)


def _same_position(slider: ipywidgets.ValueWidget, value: float, position: float) -> bool:
    """Whether the slider at ``position`` is only ``value`` snapped to its grid (half a step away at most)."""
    if isinstance(slider, ipywidgets.FloatLogSlider):
        return value > 0 and position > 0 and abs(math.log10(position) - math.log10(value)) <= slider.step / 2 + 1e-9
    return abs(position - value) <= slider.step / 2 + 1e-12 * max(1.0, abs(value))


class ParameterPanel(ipywidgets.VBox):
    """Rows of parameter widgets, a Run button (unless live) and an Output.

    Attributes:
        controls: ``{parameter name: input widget}`` in the specification's
            order; a number's input is its text box (the value's source of truth).
        sliders: ``{parameter name: slider}`` for the bounded numbers that have one.
        run_button: the Run button, or None when ``live=True``.
        output: where the callback's printing and any error appear.
        text: what the last callback printed (stdout); a stored notebook shows it.
    """

    def __init__(self, spec: str | Sequence[Parameter], params: Mapping[str, Value],
                 on_change: Callback | None = None, live: bool = False, run_now: bool = False):
        self.parameters = {p.name: p for p in _spec(spec)}
        starting = {name: params.get(name, p.default) for name, p in self.parameters.items()}
        self.controls = {name: parameter_widget(p, starting[name]) for name, p in self.parameters.items()}
        self.sliders = {}
        for name, parameter in self.parameters.items():
            if parameter.kind in (int, float):
                slider = parameter_slider(parameter, starting[name])
                if slider is not None:
                    self.sliders[name] = slider
        self.on_change = on_change
        self.live = live
        self.text = ""
        self._setting_slider = False
        self.output = ipywidgets.Output()
        self.run_button = None if live else ipywidgets.Button(
            description=tr("Run"), button_style="primary", tooltip=tr("validate the values and run"))
        rows = [_row(self.parameters[name], widget, self.sliders.get(name))
                for name, widget in self.controls.items()]
        footer = [self.run_button] if self.run_button else []
        super().__init__(children=[*rows, *footer, self.output])
        for name in self.parameters:
            self.controls[name].observe(lambda change, name=name: self._control_changed(name), names="value")
            if name in self.sliders:
                self.sliders[name].observe(lambda change, name=name: self._slider_moved(name, change["new"]),
                                           names="value")
        if self.run_button is not None:
            self.run_button.on_click(lambda _button: self.run())
        if run_now:
            self.run()

    def _slider_moved(self, name: str, position: float) -> None:
        """Write the slider's (rounded) value into the text box, unless it only snapped to its grid."""
        if self._setting_slider:
            return
        parameter, slider = self.parameters[name], self.sliders[name]
        try:
            current = coerce(parameter, self.controls[name].value)
        except ParameterError:
            current = None
        if current is not None and _same_position(slider, current, position):
            return
        self.controls[name].value = format_value(_slider_value(parameter, slider, position))

    def _control_changed(self, name: str) -> None:
        """A new value: refuse it with the contract's message, or move the slider and (if live) run."""
        try:
            value = coerce(self.parameters[name], self.controls[name].value)
        except ParameterError as error:
            self.output.outputs = ()
            _show_error(self.output, error)
            return
        if name in self.sliders:
            self._setting_slider = True
            try:
                self.sliders[name].value = value
            finally:
                self._setting_slider = False
        if self.live:
            self.run()
        elif any(o["output_type"] == "error" for o in self.output.outputs):
            self.output.outputs = ()  # the refused value was corrected

    def __repr__(self) -> str:
        """What a notebook opened without a kernel shows in place of the panel (its stored text/plain).

        The values as the boxes show them, then what the last callback printed.
        """
        shown = ", ".join(f"{name}={widget.value}" if self.parameters[name].kind in (int, float)
                          else f"{name}={widget.value!r}" for name, widget in self.controls.items())
        text = tr("[parameter panel: run this cell in JupyterLab to change the values] {shown}", shown=shown)
        return text + ("\n" + self.text.rstrip("\n") if self.text.strip() else "")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """The widget view, with the whole ``repr`` as text (ipywidgets cuts it at 110 characters)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    def values(self) -> dict[str, Value]:
        """The widgets' current values, coerced like ``check_parameters``.

        Raises:
            ParameterError: a value the contract does not allow (e.g. an empty
                text, a number out of range); its message names the parameter
                and the allowed values.
        """
        return {name: coerce(self.parameters[name], widget.value)
                for name, widget in self.controls.items()}

    def run(self) -> None:
        """Validate the values and call ``on_change`` with them.

        The previous output is cleared first. An exception from validation or
        from the callback is not raised (a widget event has no caller to catch
        it) but shown in ``output`` as an error with its message and traceback.
        What the callback prints is kept in ``text`` as well.
        """
        self.output.outputs = ()
        failure = None
        with self.output, _tee_stdout() as printed:  # in a kernel, the callback's prints land in the panel
            try:
                new_params = self.values()
                if self.on_change is not None:
                    self.on_change(new_params)
            except Exception as error:  # shown below, never swallowed
                failure = error
        self.text = printed.getvalue()
        if failure is not None:
            _show_error(self.output, failure)


@contextlib.contextmanager
def _tee_stdout() -> Iterator[io.StringIO]:
    """Copy what is printed to ``sys.stdout`` into a StringIO, still printing it."""
    copy, original = io.StringIO(), sys.stdout

    class Tee(io.TextIOBase):
        def write(self, text: str) -> int:
            copy.write(text)
            return original.write(text)

        def flush(self) -> None:
            original.flush()

    sys.stdout = Tee()
    try:
        yield copy
    finally:
        sys.stdout = original


def _row(parameter: Parameter, widget: ipywidgets.Widget, slider: ipywidgets.Widget | None) -> ipywidgets.Widget:
    """The widget (and its slider) with its reason and allowed values in small grey text beside it."""
    why = ipywidgets.HTML(f"<small style='color:gray' title='{html.escape(tooltip(parameter), quote=True)}'>"
                          + html.escape(tr("{why} (allowed: {allowed})", why=tr(parameter.why),
                                           allowed=parameter.allowed())) + "</small>")
    return ipywidgets.HBox([parameter_label(parameter), widget, *([slider] if slider is not None else []), why])


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
                    on_change: Callback | None = None, live: bool = False,
                    run_now: bool = False) -> ParameterPanel:
    """Build the ipywidgets panel for a notebook's parameters (notebook 00).

    Args:
        spec: a notebook name from ``NOTEBOOK_PARAMETERS`` or a list of ``Parameter``.
        params: the starting values, usually what ``check_parameters`` returned;
            a missing name starts at its default.
        on_change: called with ``{name: coerced value}`` when Run is pressed
            (or, with ``live=True``, whenever a value changes).
        live: update on every change; only for callbacks that take under a
            second. Training cells keep the default Run button.
        run_now: call ``on_change`` once with the starting values while
            building the panel; its output then sits inside the panel and is
            replaced by each update (and a stored notebook shows its text).

    Returns:
        A ``ParameterPanel`` (an ``ipywidgets.VBox``); ``panel.values()``
        reads the current values. Building it never blocks and needs no front
        end, so headless papermill/nbval runs build it and go on with ``params``.

    Raises:
        ParameterError: an unknown notebook name.
    """
    return ParameterPanel(spec, params, on_change, live, run_now)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def without_widget_state(notebook: Any) -> Any:
    """Drop what a saved notebook cannot draw without its kernel: widget views and widget state.

    papermill and nbconvert store each displayed widget as a widget view plus
    the widgets' state in the notebook's metadata; JupyterLab shows them as
    broken widgets once the notebook is trusted, and as a dump of the widget's
    fields before. Each widget output keeps its ``text/plain``: a panel's
    sentence and last printed text, a progress bar's final line. An output
    left with no data (a bar that removed itself) is dropped.

    Args:
        notebook: an ``nbformat.NotebookNode`` (or the same as plain dicts); changed in place.

    Returns:
        ``notebook``.
    """
    notebook["metadata"].pop("widgets", None)
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None:
                data.pop(WIDGET_VIEW, None)
                if not any("".join(value).strip() if isinstance(value, list) else str(value).strip()
                           for value in data.values()):
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return notebook


def strip_widget_state(path: Any) -> None:
    """Rewrite the notebook file at ``path`` with ``without_widget_state`` applied."""
    import nbformat

    notebook = nbformat.read(str(path), as_version=nbformat.NO_CONVERT)
    nbformat.write(without_widget_state(notebook), str(path))
