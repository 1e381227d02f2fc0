"""The parameter contract every notebook follows.

Each notebook has one cell tagged ``parameters`` (papermill overrides it) and,
right after it, one line that validates and coerces those values:

    params = check_parameters("05_fine_tune_bert", globals())

papermill passes ``-p`` values it cannot parse as strings, so ``"false"``
must become ``False`` and ``"1e-5"`` a float; a value out of range stops the
notebook with a one-line error naming the parameter and its allowed range.
The same specification builds the notebook's ipywidgets panel (``widgets``)
and writes each notebook's ``parameters`` cell (``parameters_cell``), so a
default is stated here and nowhere else.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

Value = bool | int | float | str


class ParameterError(ValueError):
    """A notebook parameter has a wrong type, range or name.

    In IPython (JupyterLab, papermill, nbval) only the one-line message is
    shown, not a traceback: the fix is in the message, not in our code.
    """

    def _render_traceback_(self) -> list[str]:
        return [f"ParameterError: {self}"]


@dataclass(frozen=True)
class Parameter:
    """One notebook parameter: its default, why that default, and its range.

    Attributes:
        name: the variable name in the ``parameters`` cell.
        default: the CPU-safe default; its Python type is the parameter's type.
        why: one sentence giving the reason for the default (shown in widgets).
        low, high: inclusive bounds for numbers (None: unbounded).
        choices: the allowed strings (None: any non-empty string).
        log_scale: numbers spanning decades (learning rates): widgets use a log slider.
        advised: ``(low, high)``, the range known to work; a value inside the
            allowed range but outside this one is accepted with a printed
            warning (``advice``), not refused.
    """

    name: str
    default: Value
    why: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    log_scale: bool = False
    advised: tuple[float, float] | None = None

    def advice(self, value: Value) -> str | None:
        """A one-line warning when a number lies outside ``advised``, else None."""
        if self.advised is None or isinstance(value, (bool, str)) or self.advised[0] <= value <= self.advised[1]:
            return None
        low, high = self.advised
        return (f"warning: {self.name}={value:g} is outside {low:g} to {high:g}, the range that works for "
                f"this: {self.why}")

    @property
    def kind(self) -> type:
        return type(self.default)

    def allowed(self) -> str:
        """Human-readable allowed values, for error messages and widgets."""
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind is bool:
            return "True or False"
        if self.kind is str:
            return "a non-empty string"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        return f"{self.kind.__name__} in [{low}, {high}]"


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def _fail(parameter: Parameter, value: Any, reason: str = "") -> ParameterError:
    detail = f" ({reason})" if reason else ""
    return ParameterError(
        f"parameter {parameter.name}={value!r} is not allowed{detail}: "
        f"use {parameter.allowed()}, e.g. -p {parameter.name} {parameter.default!r}"
    )


def _to_bool(parameter: Parameter, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise _fail(parameter, value)


def _to_number(parameter: Parameter, value: Any) -> int | float:
    if isinstance(value, bool):  # True is an int in Python; never a number here.
        raise _fail(parameter, value, "a boolean is not a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _fail(parameter, value, "not a number") from None
    if not isinstance(value, (int, float)) or math.isnan(value):
        raise _fail(parameter, value)
    if parameter.kind is int:
        if float(value) != int(value):
            raise _fail(parameter, value, "not a whole number")
        value = int(value)
    else:
        value = float(value)
    if (parameter.low is not None and value < parameter.low) or (
        parameter.high is not None and value > parameter.high
    ):
        raise _fail(parameter, value, "out of range")
    return value


def _to_string(parameter: Parameter, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(parameter, value, "expected a non-empty string")
    value = value.strip()
    if parameter.choices and value not in parameter.choices:
        raise _fail(parameter, value)
    return value


def coerce(parameter: Parameter, value: Any) -> Value:
    """Return ``value`` converted to the parameter's type, or raise.

    Raises:
        ParameterError: the value cannot be converted or is out of range; the
            message names the parameter and the allowed values.
    """
    if parameter.kind is bool:
        return _to_bool(parameter, value)
    if parameter.kind in (int, float):
        return _to_number(parameter, value)
    return _to_string(parameter, value)


def check_parameters(
    spec: str | Sequence[Parameter], namespace: Mapping[str, Any]
) -> dict[str, Value]:
    """Validate and coerce a notebook's parameters.

    Args:
        spec: a notebook name from ``NOTEBOOK_PARAMETERS`` (e.g.
            ``"05_fine_tune_bert"``) or a list of ``Parameter``.
        namespace: where the values live; in a notebook, ``globals()``.
            A name missing from it takes its default.

    Returns:
        ``{name: value}`` in the specification's order, with coerced types.

    Raises:
        ParameterError: a value of the wrong type or out of range, or an
            unknown notebook name.
    """
    return _advised({p.name: coerce(p, namespace.get(p.name, p.default)) for p in _spec(spec)}, _spec(spec))


def _advised(values: dict[str, Value], spec: Sequence[Parameter]) -> dict[str, Value]:
    """Print each parameter's ``advice`` for its value (a warning, not a refusal); return ``values``."""
    for parameter in spec:
        warning = parameter.advice(values[parameter.name]) if parameter.name in values else None
        if warning:
            print(warning)
    return values


def check_overrides(spec: str | Sequence[Parameter], overrides: Mapping[str, Any]) -> dict[str, Value]:
    """Like ``check_parameters``, for values given from outside (papermill -p, YAML).

    Unlike a notebook namespace, every name here must be a known parameter.

    Raises:
        ParameterError: an unknown name (with the known ones listed), or a bad value.
    """
    parameters = {p.name: p for p in _spec(spec)}
    for name in overrides:
        if name not in parameters:
            raise ParameterError(
                f"unknown parameter {name!r}: this notebook takes " + ", ".join(parameters)
            )
    return _advised({name: coerce(parameters[name], value) for name, value in overrides.items()}, _spec(spec))


def _spec(spec: str | Sequence[Parameter]) -> Sequence[Parameter]:
    if not isinstance(spec, str):
        return spec
    if spec not in NOTEBOOK_PARAMETERS:
        raise ParameterError(
            f"no parameter specification for notebook {spec!r}: known are "
            + ", ".join(NOTEBOOK_PARAMETERS)
        )
    return NOTEBOOK_PARAMETERS[spec]


def format_value(value: Value) -> str:
    """``value`` as a ``parameters`` cell writes it: ``1e-4`` not ``0.0001``, strings in double quotes."""
    if isinstance(value, str):
        return json.dumps(value)  # a double-quoted literal that Python reads back unchanged
    if isinstance(value, float) and value != 0 and abs(value) < 1e-3:
        digits = next(d for d in range(17) if float(f"{value:.{d}e}") == value)
        mantissa, exponent = f"{value:.{digits}e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    return repr(value)


def parameters_cell(notebook: str) -> str:
    """The source of ``notebook``'s ``parameters`` cell, written from its specification.

    A comment line saying where the defaults and their reasons live, then one
    ``name = value`` line per parameter in the specification's order. The
    reasons stay out of the cell: each is a sentence, too long for a line of
    code, and a parameter panel shows them beside its widgets. ``python -m finetune_lab.course
    sync --write`` writes this into every notebook; ``tests/test_sync.py``
    fails when a notebook's cell differs.
    """
    lines = [f'# Defaults and their reasons: NOTEBOOK_PARAMETERS["{notebook}"] in '
             "finetune_lab/course/params.py"]
    lines += [f"{parameter.name} = {format_value(parameter.default)}" for parameter in _spec(notebook)]
    return "\n".join(lines)


# SST-2's split sizes (data/README.md): the upper bounds of example counts.
_SST2_TRAIN, _SST2_DEV, _SST2_TEST = 67349, 872, 1821


def _seed(why: str) -> Parameter:
    """A notebook's ``seed``: 0 by default, any value NumPy and TensorFlow accept."""
    return Parameter("seed", 0, why, low=0, high=2**31 - 1)


def _validation_fraction(why: str) -> Parameter:
    return Parameter("validation_fraction", 0.1, why, low=0.01, high=0.5)


# Shared by notebooks 04 and 05 (and 06, which loads what 05 saves): defined once.
_MODEL = Parameter("model", "auto", "'auto': the offline MiniLM on a CPU; on a GPU bert-base-uncased from "
                   "$FINETUNE_LAB_BERT_BASE or a reachable hub, else MiniLM; also 'minilm', a local "
                   "Hugging Face folder, or a hub id (needs network)")
_FINE_TUNE_LEARNING_RATE = Parameter(
    "learning_rate", 1e-4, "the peak rate after warm-up; BERT-family models fine-tune at 2e-5 to 5e-5 "
    "(Devlin et al. 2019), small ones like MiniLM up to about 1e-4; far above it they collapse to one class",
    low=1e-7, high=1e-2, log_scale=True, advised=(2e-5, 1e-4))
_FINE_TUNED_MODEL_DIR = "saved_models/05_fine_tuned"

# Which data a fine-tuning notebook works on (05, 06, 07): the shipped datasets, or your own file.
_DATASET_PARAMETERS = (
    Parameter("dataset", "sst2", "'sst2' (movie reviews, 2 classes), 'financial_phrasebank' (financial news, "
              "3 classes), or the path of your CSV, TSV or JSON Lines file (split 70/15/15, seeded, stratified)"),
    Parameter("text_column", "text", "your file's column holding the texts (the shipped datasets ignore it)"),
    Parameter("label_column", "label", "your file's column holding the labels: names or ids 0..K-1, "
              "any number of classes K >= 2 (the shipped datasets ignore it)"),
    Parameter("class_names", "auto", "'auto': the names in sorted order (or the dataset's own); or your names "
              "in class-id order, comma-separated, e.g. 'negative,neutral,positive'"),
)

_PATIENCE = Parameter("patience", 1, "early stopping (finetune_lab.early_stopping): training stops after this "
                      "many epochs in a row without a better validation accuracy and keeps the best epoch",
                      low=1, high=20)

FINE_TUNE_PARAMETERS = (
    *_DATASET_PARAMETERS,
    _MODEL,
    _FINE_TUNE_LEARNING_RATE,
    Parameter("batch_size", 32, "the BERT paper's choice; fits a 2-core CPU and a GPU", low=1, high=1024),
    Parameter("epochs", 2, "chosen on dev, the development set (data/README.md, 'Data protocol'): two passes "
              "over 8,000 examples fit the course's CPU minutes, and early stopping keeps the better one",
              low=1, high=100),
    Parameter("weight_decay", 0.01, "the decoupled weight decay of BERT's AdamW", low=0.0, high=1.0),
    Parameter("warmup_ratio", 0.1, "the first 10% of steps ramp the learning rate up from 0",
              low=0.0, high=0.5),
    Parameter("num_train_examples", 8000, "a CPU-sized subset of SST-2's 67,349 (about 3 minutes of "
              "training on an idle 2-core CPU); 0 means all", low=0, high=_SST2_TRAIN),
    _validation_fraction("share of the training subset held out for early stopping"),
    _PATIENCE,
    Parameter("max_seq_len", 128, "truncation length in WordPiece tokens; SST-2 sentences are shorter",
              low=8, high=512),
    _seed("fixes the subset, the head's initialisation, dropout and batch order"),
    Parameter("run_common_mistakes", True, "run and measure each common mistake (about a minute)"),
    Parameter("output_dir", _FINE_TUNED_MODEL_DIR, "where the fine-tuned model and tokenizer are saved"),
    Parameter("checkpoint_every", 0, "steps between training checkpoints; 0: at each epoch's end only (and at "
              "an interrupt), which keeps their cost under 3% (benchmarks/results/checkpoint_cost.md); a kill "
              "loses at most an epoch, a few CPU minutes here; for a full-data epoch set e.g. 500",
              low=0, high=1_000_000),
    Parameter("resume", False, "True continues an interrupted training from its newest checkpoint "
              "(nothing trained twice); False starts afresh and replaces the old checkpoints"),
)

EMPIRICAL_RISK_PARAMETERS = (
    Parameter("learning_rate", 0.5, "η, the step size: reaches the minimum of notebook 01's risk in "
              "about 30 steps; above 1.0 (2 / the largest curvature) gradient descent diverges",
              low=1e-3, high=1.5, log_scale=True),
    Parameter("weight_decay", 0.0, "λ: 0 is plain gradient descent; try 0.5 to watch the parameters "
              "shrink toward 0", low=0.0, high=5.0),
    Parameter("num_steps", 30, "enough steps for the default learning rate to reach the minimum",
              low=1, high=500),
)

BINARY_CROSS_ENTROPY_PARAMETERS = (
    Parameter("num_examples", 8, "a small batch keeps the printed gradient checks readable",
              low=1, high=10000),
    Parameter("finite_difference_step", 1e-6, "h in (f(x + h) - f(x - h)) / 2h, in float64: "
              "truncation error ~h^2 and rounding error ~1e-16/h are both far below 1e-6 at h = 1e-6",
              low=1e-10, high=1e-2, log_scale=True),
    _seed("fixes the random logits and labels of the gradient checks"),
)

TRAINING_FROM_SCRATCH_PARAMETERS = (
    Parameter("num_train_examples", 0, "0 means all 67,349 SST-2 training phrases: TF-IDF and a "
              "linear model train on all of them in seconds on a CPU", low=0, high=_SST2_TRAIN),
    _validation_fraction("share of the training phrases held out for early stopping"),
    Parameter("learning_rate", 6.0, "below 7.9, where gradient descent starts to diverge on this loss "
              "(notebook 03, section 4); it decays linearly to 0 over the epochs", low=1e-3, high=100.0,
              log_scale=True),
    Parameter("batch_size", 128, "small enough for many steps per epoch, large enough for smooth ones",
              low=1, high=65536),
    Parameter("epochs", 20, "the most passes over the data; early stopping may end sooner", low=1, high=200),
    Parameter("patience", 3, "early stopping (finetune_lab.early_stopping): training stops after this many "
              "epochs in a row without a better validation loss", low=1, high=100),
    Parameter("weight_decay", 3e-5, "λ, on the weights only (not the bias): small, since 60,000 phrases "
              "leave a linear model little to overfit (notebook 03's validation loss is as low or lower "
              "with λ = 0); nonzero, so that scikit-learn's oracle has a finite C = 1 / (weight_decay * N), "
              "about 0.55 here",
              low=0.0, high=1.0),
    Parameter("run_weight_decay_sweep", True, "train three more models to show what weight decay "
              "does (about 15 seconds)"),
    _seed("fixes the validation split, the mini-batch order and the subset"),
)

START_HERE_PARAMETERS = (
    Parameter("show_glossary", True, "the bilingual glossary helps readers who think in Chinese "
              "or English; hide it once the terms are familiar"),
)

EVALUATION_PARAMETERS = (
    *_DATASET_PARAMETERS,
    Parameter("model_dir", _FINE_TUNED_MODEL_DIR, "where notebook 05 saves its fine-tuned model; "
              "if no model is there, this notebook fine-tunes a small one and saves it there"),
    Parameter("fallback_train_examples", 2000, "used only without a saved model: one short epoch "
              "on 2,000 examples, about a minute on a CPU, gives a usable model (notebook 06 reports its scores)", low=100, high=_SST2_TRAIN),
    Parameter("decision_threshold", 0.5, "P(positive) from which a text is called positive (>=); "
              "0.5 gives the argmax of the two probabilities but for exact ties (two-class data only)", low=0.0, high=1.0),
    Parameter("target_precision", 0.95, "the precision a threshold chosen on dev must reach for the "
              "positive class (an example requirement; two-class data only)", low=0.5, high=1.0),
    Parameter("num_bootstrap", 1000, "resamples per bootstrap interval (test metrics, paired differences, "
              "dev subgroups); interval ends then move by about 0.001 from seed to seed", low=10, high=100000),
    Parameter("calibration_bins", 15, "equal-width confidence bins of the reliability diagram and ECE, "
              "as in Guo et al. 2017", low=2, high=100),
    Parameter("latency_sentences", 50, "sentences timed one at a time; enough for a stable median",
              low=1, high=_SST2_TEST),
    Parameter("alert_window", 100, "texts in the rolling window: a share of 100 texts varies by about "
              "0.05 around 0.5 by chance alone", low=10, high=1000),
    Parameter("alert_margin", 0.2, "alert when the window's share of alert_class exceeds its usual level by this "
              "much: four chance deviations (4 x 0.05) for a window of 100, so false alarms are rare",
              low=0.0, high=1.0),
    Parameter("alert_class", "negative", "the class whose rising share in the stream raises the alert: "
              "negative reviews (SST-2) or news (Financial PhraseBank); for your data, one of its class names"),
    _seed("fixes the fallback model's training, the bootstrap resamples and the simulated incident"),
)

TRANSFER_PARAMETERS = (
    _MODEL,
    Parameter("data_sizes", "32,100,300,1000", "labelled training examples per point of the "
              "data-efficiency curve, comma-separated; four sizes fit a 2-core CPU in minutes"),
    Parameter("num_seeds", 2, "repeats per size (subset, head and batch order change); two give a "
              "first error bar on a CPU, five a trustworthy one on a GPU", low=1, high=20),
    Parameter("epochs", 1, "passes over each training set; one keeps the CPU grid within minutes "
              "(the small sets get min_train_steps instead)", low=1, high=100),
    Parameter("min_train_steps", 40, "every run gets at least this many gradient steps: from a new head, "
              "MiniLM predicts one class for its first 20 or so steps whatever the data size. Chosen on dev, "
              "the development set (data/README.md, 'Data protocol'): one epoch in batches of 32 (1 to 10 "
              "steps) scored the majority class there at 32 to 300 examples, so dev numbers at this setting are somewhat optimistic",
              low=1, high=10000),
    replace(_FINE_TUNE_LEARNING_RATE, why="notebook 05's peak rate for MiniLM, for every run that starts "
            "from the pretrained weights"),
    Parameter("random_init_learning_rate", 3e-4, "the random network's own peak rate: of 1e-4, 3e-4, 1e-3 and "
              "3e-3 for 1 and 3 epochs on 1,000 examples, 3e-4 with 3 epochs fitted its training set best and "
              "scored highest on the dev subset (benchmarks/results/random_init_rates.md; chosen on dev, "
              "which flatters the baseline)",
              low=1e-7, high=1e-2, log_scale=True),
    Parameter("random_init_epochs", 3, "passes for the random network (at least min_train_steps): from "
              "scratch it needs more steps than fine-tuning; with one pass it predicted one class at every "
              "rate tried", low=1, high=100),
    Parameter("batch_size", 16, "small sets need many updates more than large batches; on a CPU a step "
              "of 16 costs about 2/3 of a step of 32", low=1, high=1024),
    Parameter("freeze_train_examples", 300, "training examples for the freezing comparison, from the first "
              "seed's pool (at most the largest data size), with that size's budget", low=8,
              high=_SST2_TRAIN),
    Parameter("freeze_bottom_layers", 3, "k of the 'bottom_k' strategy: half of MiniLM's 6 encoder "
              "layers (bert-base has 12)", low=1, high=48),
    Parameter("layerwise_decay", 0.8, "the learning-rate factor per layer of the layer-wise rates (ELECTRA, "
              "Clark et al. 2020, uses 0.8; Sun et al. 2019 0.95 for bert-base's 12 layers): MiniLM's "
              "embeddings then train at 0.8^7, about a fifth of the head's rate", low=0.01, high=1.0),
    Parameter("dev_examples", 300, "a stratified dev subset scores the fine-tuned models: over twenty "
              "full 872-sentence passes would cost minutes on a CPU; 0 means all of dev", low=0,
              high=_SST2_DEV),
    Parameter("head_weight_decay", 0.1, "weight decay of the logistic regression on frozen embeddings; "
              "chosen on held-out training examples (not dev) for 32 to 1,000 examples",
              low=0.0, high=10.0),
    _seed("the first seed; seed i of num_seeds uses seed + i for the subsets, heads, random "
          "initialisations, dropout and batch order"),
)

# Notebook 07: the financial-sentiment scenario end to end, on the Financial PhraseBank or your own file.
# Only what it changes is here; every other setting of the recipe (weight decay, warm-up, the
# validation split, patience, max_seq_len) is notebook 05's default, used through recipe.run.
YOUR_OWN_DATA_PARAMETERS = (
    replace(_DATASET_PARAMETERS[0], default="financial_phrasebank",
            why="'financial_phrasebank' (financial news: negative, neutral, positive), the scenario of this "
                "notebook; 'sst2'; or the path of your CSV, TSV or JSON Lines file (split 70/15/15, seeded, "
                "stratified)"),
    *_DATASET_PARAMETERS[1:],
    replace(_MODEL, default="minilm",
            why="the offline MiniLM, for which the learning rate, batch size and epochs here were measured; "
                "'auto' picks bert-base-uncased on a GPU (give it learning_rate 2e-5 to 5e-5), or a local "
                "Hugging Face directory"),
    replace(_FINE_TUNE_LEARNING_RATE, why="notebook 05's peak rate for MiniLM, not tuned on this data; on the "
            "Financial PhraseBank it reaches 0.944 dev accuracy in 3 epochs"),
    Parameter("batch_size", 16, "on 1,425 training sentences, 16 gives 90 steps per epoch; compared on dev "
              "after 3 epochs: 0.944 accuracy and 0.921 macro F1, batch 32 0.941 and 0.910", low=1, high=1024),
    Parameter("epochs", 3, "three passes train in under 3 CPU minutes; on dev a fourth did not help (0.944 "
              "accuracy at batch 16 as with three, 0.935 at batch 32)", low=1, high=100),
    Parameter("num_train_examples", 0, "0 means all: the Financial PhraseBank's 1,584 training sentences "
              "(10% of them held out for early stopping)", low=0, high=_SST2_TRAIN),
    replace(_PATIENCE, why=_PATIENCE.why + "; with a small file (a handful of validation texts, whose "
            "accuracy moves in big steps and ties) set it to the epochs, so that no tie stops training"),
    _seed("fixes the training subset, the validation split, the head, dropout, batch order and the stream"),
    Parameter("alert_class", "negative", "the class whose rising share raises the alert: bad news for an "
              "investor; with your file, one of its class names (e.g. complaint)"),
    Parameter("alert_window", 50, "texts in the rolling window: a share near 0.1 of 50 texts varies by "
              "about 0.04 by chance alone", low=2, high=1000),
    Parameter("alert_margin", 0.2, "alert when the window's share exceeds its usual level by this much: "
              "five chance deviations for a window of 50, so false alarms are rare", low=0.0, high=1.0),
    Parameter("source_model_dir", _FINE_TUNED_MODEL_DIR, "notebook 05's SST-2 model, the starting point of "
              "the last section; without it the notebook fine-tunes a quick one (about a CPU minute)"),
    Parameter("shift_train_examples", 600, "the last section's small budget, a few hundred newly labelled "
              "sentences for one epoch; compared on dev: with 600 (batch 8) both starting points leave the "
              "majority class; with 300 and 500 (batch 16) the pretrained MiniLM still predicted only "
              "'neutral'", low=16, high=_SST2_TRAIN),
    Parameter("shift_batch_size", 8, "the last section's batch size: a small budget needs many steps more "
              "than large batches (540 sentences in batches of 8 give 68 steps)", low=1, high=1024),
    Parameter("output_dir", "saved_models/07_financial_sentiment", "where the fine-tuned model and its "
              "tokenizer are saved"),
)

# Each notebook's parameters, by notebook file name without ".ipynb".
NOTEBOOK_PARAMETERS: dict[str, Sequence[Parameter]] = {
    "00_start_here": START_HERE_PARAMETERS,
    "01_empirical_risk": EMPIRICAL_RISK_PARAMETERS,
    "02_binary_cross_entropy": BINARY_CROSS_ENTROPY_PARAMETERS,
    "03_training_from_scratch": TRAINING_FROM_SCRATCH_PARAMETERS,
    "04_transfer_learning": TRANSFER_PARAMETERS,
    "05_fine_tune_bert": FINE_TUNE_PARAMETERS,
    "06_evaluation_and_deployment": EVALUATION_PARAMETERS,
    "07_your_own_data": YOUR_OWN_DATA_PARAMETERS,
}
