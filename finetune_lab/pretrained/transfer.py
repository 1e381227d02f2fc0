"""Transfer learning: freezing, sentence embeddings, a random twin, reusable training (notebook 04).

Introduced in notebook 04 (``04_transfer_learning``), which compares four
ways to use the same BERT-family architecture on SST-2:

- **fine-tuning**: start from the pretrained weights and train everything;
- **random initialisation**: the same architecture and training, random weights
  (``random_init_classifier``);
- **feature extraction**: keep the pretrained encoder fixed, turn each sentence
  into one vector (``sentence_embeddings``) and train notebook 03's logistic
  regression on those vectors;
- **freezing**: fine-tune only some layers (``freeze``), or all of them with
  smaller learning rates further down (``layerwise_learning_rate_factors``,
  discriminative fine-tuning).

``ReusableTrainer`` trains one model object many times with a single compiled
train step, restoring starting points saved by ``weights_snapshot``;
``nearest_words`` compares pretrained and random word embeddings;
``accuracy_noise`` and ``paired_difference_noise`` put error bars on
accuracies measured over a few seeds on one dev subset.

The model is a transformers ``TFBertForSequenceClassification`` (what
``models.load_classifier`` returns): ``model.bert.embeddings``,
``model.bert.encoder.layer[0 .. L-1]``, ``model.bert.pooler``, then the new
head ``model.classifier``.
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import tensorflow as tf
from finetune_lab.progress import progress_bar
from transformers import AutoConfig, TFAutoModelForSequenceClassification

from finetune_lab.pretrained.batches import FEATURES_SIGNATURE, encode, pad_batch, predict_in_order, training_order
from finetune_lab.pretrained.fine_tune import NO_DECAY, FusedAdamWeightDecay, make_train_step
from finetune_lab.pretrained.inference import check_texts, mean_cross_entropy
from finetune_lab.pretrained.models import ModelNotFoundError, resolve_model
from finetune_lab.course.params import ParameterError

FREEZE_STRATEGIES = ("none", "embeddings", "bottom_k", "head_only")
POOLINGS = ("cls", "mean")


# ------------------------------------------------------------------ freezing

def freeze(model: tf.keras.Model, strategy: str, k: int = 0) -> None:
    """Choose which parts of a BERT classifier fine-tuning may change (notebook 04, section 3).

    Strategies (each starts from "everything trainable"):

    - ``"none"``: nothing frozen;
    - ``"embeddings"``: the token, position and segment embeddings frozen;
    - ``"bottom_k"``: the embeddings and encoder layers ``0 .. k-1`` frozen
      (the layers nearest the input; the top layers, pooler and head train);
    - ``"head_only"``: the whole encoder (embeddings, layers, pooler) frozen,
      only ``model.classifier`` trains.

    A frozen layer's weights leave ``model.trainable_variables``, so the train
    step neither computes nor applies their gradients. Build the train step
    (``fine_tune.make_train_step``) *after* freezing: a compiled step keeps the
    variable list it was traced with.

    Args:
        model: a ``TFBertForSequenceClassification`` (``.bert``, ``.classifier``).
        strategy: one of ``FREEZE_STRATEGIES``.
        k: for ``"bottom_k"``, how many encoder layers to freeze, 1 to the
            number of layers; ignored by the other strategies.

    Raises:
        ValueError: an unknown strategy, or ``k`` out of range for ``"bottom_k"``;
            the message lists the allowed values.
    """
    if strategy not in FREEZE_STRATEGIES:
        raise ValueError(f"unknown freezing strategy {strategy!r}: use one of "
                         + ", ".join(map(repr, FREEZE_STRATEGIES)))
    layers = model.bert.encoder.layer
    if strategy == "bottom_k" and (isinstance(k, bool) or not isinstance(k, (int, np.integer))
                                   or not 1 <= k <= len(layers)):
        raise ValueError(f"k={k!r} is out of range for 'bottom_k': this model has {len(layers)} "
                         f"encoder layers, so use a whole number from 1 to {len(layers)}")
    model.trainable = True  # Keras sets every sub-layer back to trainable
    if strategy in ("embeddings", "bottom_k"):
        model.bert.embeddings.trainable = False
    if strategy == "bottom_k":
        for layer in layers[:k]:
            layer.trainable = False
    if strategy == "head_only":
        model.bert.trainable = False


def layerwise_learning_rate_factors(model: tf.keras.Model, decay: float) -> dict[str, float]:
    """Discriminative (layer-wise) learning rates: each layer's factor on the peak rate (notebook 04, section 3).

    Lower layers hold more general features (Yosinski et al. 2014, "How
    transferable are features in deep neural networks?"), so they are changed
    less: the head and pooler train at the full rate η, encoder layer ``i``
    of ``L`` (0 = nearest the input) at ``η · decay^(L - i)``, the embeddings
    at ``η · decay^(L + 1)``. Howard & Ruder 2018 ("Universal Language Model
    Fine-tuning for Text Classification", ULMFiT) call it discriminative
    fine-tuning; Sun et al. 2019 ("How to Fine-Tune BERT for Text
    Classification?") use decay 0.95 per layer for bert-base, Clark et al. 2020
    (ELECTRA) 0.8. ``decay = 1`` is ordinary fine-tuning; the smaller it is,
    the closer the bottom comes to being frozen.

    Args:
        model: a ``TFBertForSequenceClassification`` (``.bert``, ``.classifier``).
        decay: the factor per layer, in (0, 1].

    Returns:
        ``{weight key: factor}`` for every weight of ``model``, keys as in
        ``weights_snapshot``; pass it to ``ReusableTrainer(learning_rate_factors=...)``.

    Raises:
        ValueError: ``decay`` outside (0, 1].
    """
    if isinstance(decay, bool) or not isinstance(decay, (int, float, np.floating)) or not 0 < decay <= 1:
        raise ValueError(f"decay={decay!r} is not allowed: use a number in (0, 1], e.g. 0.8 (1 means one rate "
                         "for every layer)")
    layers = model.bert.encoder.layer
    factors = {_weight_key(v): 1.0 for v in model.weights}
    factors.update({_weight_key(v): float(decay) ** (len(layers) + 1) for v in model.bert.embeddings.weights})
    for index, layer in enumerate(layers):
        factors.update({_weight_key(v): float(decay) ** (len(layers) - index) for v in layer.weights})
    return factors


# ------------------------------------------------------- sentence embeddings

def pool(last_hidden_state: tf.Tensor, attention_mask: tf.Tensor, pooling: str) -> tf.Tensor:
    """One vector per sentence from the encoder's token vectors.

    - ``"cls"``: the vector at position 0, the [CLS] token;
    - ``"mean"``: the mean over the real tokens, ``sum_t m_t h_t / sum_t m_t``
      with the attention mask ``m`` (1 = token, 0 = [PAD]), so padding does not count.

    Args:
        last_hidden_state: (batch, seq_len, hidden) float.
        attention_mask: (batch, seq_len) int or float, 1 for real tokens.
        pooling: ``"cls"`` or ``"mean"``.

    Returns:
        (batch, hidden), the dtype of ``last_hidden_state``.

    Raises:
        ValueError: an unknown pooling.
    """
    if pooling == "cls":
        return last_hidden_state[:, 0, :]
    if pooling == "mean":
        mask = tf.cast(attention_mask, last_hidden_state.dtype)[:, :, None]    # (batch, seq_len, 1)
        return tf.reduce_sum(last_hidden_state * mask, axis=1) / tf.reduce_sum(mask, axis=1)
    raise ValueError(f"unknown pooling {pooling!r}: use one of " + ", ".join(map(repr, POOLINGS)))


_POOLED = weakref.WeakKeyDictionary()


def _pooled_function(model: tf.keras.Model):
    """The encoder's forward pass to both poolings, compiled once per model; dropout off."""
    if model not in _POOLED:
        def forward(features):
            hidden = tf.cast(model.bert(features, training=False).last_hidden_state, tf.float32)
            return {name: pool(hidden, features["attention_mask"], name) for name in POOLINGS}
        _POOLED[model] = tf.function(forward, input_signature=[FEATURES_SIGNATURE])
    return _POOLED[model]


def pooled_embeddings(model: tf.keras.Model, tokenizer, texts: Sequence[str],
                      poolings: Sequence[str] = POOLINGS, batch_size: int = 64,
                      max_seq_len: int = 128) -> dict[str, np.ndarray]:
    """Sentence vectors for several poolings from one forward pass (notebook 04, section 1).

    Args:
        model: a BERT classifier or ``TFBertModel`` (anything with ``.bert``);
            only its encoder runs, with dropout off.
        texts: ``n`` non-empty sentences (a single string is one sentence).
        poolings: names from ``POOLINGS``.
        batch_size: sentences per forward pass; batches are sorted by length
            so they pad little, and the results are put back in input order.
        max_seq_len: truncation length in tokens.

    Returns:
        ``{pooling: (n, hidden) float32 array}``, rows in the order of ``texts``.

    Raises:
        ValueError: no texts, an empty or non-string text (``inference.check_texts``),
            or an unknown pooling.
    """
    unknown = [name for name in poolings if name not in POOLINGS]
    if unknown or not poolings:
        raise ValueError(f"unknown pooling {unknown or poolings!r}: use one of " + ", ".join(map(repr, POOLINGS)))
    texts = check_texts(texts)
    encoded = encode(tokenizer, texts, np.zeros(len(texts)), max_seq_len)
    vectors = predict_in_order(_pooled_function(model), tokenizer, encoded, batch_size)
    return {name: vectors[name] for name in poolings}


def sentence_embeddings(model: tf.keras.Model, tokenizer, texts: Sequence[str], pooling: str = "cls",
                        batch_size: int = 64, max_seq_len: int = 128) -> np.ndarray:
    """One vector per sentence from the encoder, (n, hidden) float32 (notebook 04, section 1).

    ``pooling="cls"`` takes the [CLS] token's final vector, ``"mean"`` the
    mean of the real tokens' final vectors (padding excluded through the
    attention mask). See ``pooled_embeddings`` for the arguments and errors;
    it computes several poolings in one pass.
    """
    return pooled_embeddings(model, tokenizer, texts, (pooling,), batch_size, max_seq_len)[pooling]


# ------------------------------------------------------- random initialisation

def random_init_classifier(name: str = "minilm", num_labels: int = 2, seed: int | None = None,
                           gpu_available: bool = False) -> tf.keras.Model:
    """The same architecture as ``models.load_classifier(name)``, every weight random (notebook 04).

    Built from the checkpoint's ``config.json`` only (layers, hidden size,
    vocabulary), with transformers' initialisation: normal weights of standard
    deviation ``config.initializer_range`` (0.02), zero biases, unit LayerNorm
    scales. Use the pretrained model's tokenizer with it.

    Args:
        name: as in ``models.resolve_model``: ``"minilm"``, ``"auto"``, a local
            directory or a hub id (a hub id needs network for its config).
        num_labels: logits of the head, (batch, num_labels) float32.
        seed: seeds TensorFlow before building, so the same seed gives the
            same weights; None leaves the global random state as it is.
        gpu_available: passed to ``resolve_model`` for ``"auto"``.

    Returns:
        A built ``TFAutoModelForSequenceClassification``.

    Raises:
        ModelNotFoundError: see ``models.resolve_model``; also a config that
            cannot be read (e.g. a hub id without network).
    """
    source = resolve_model(name, gpu_available)
    try:
        config = AutoConfig.from_pretrained(source, num_labels=num_labels)
    except OSError as error:
        raise ModelNotFoundError(f"could not read the config of {source!r} ({str(error).splitlines()[0]}): "
                                 "for a hub id you need network access; offline, use 'minilm'") from None
    if seed is not None:
        tf.keras.utils.set_random_seed(seed)
    model = TFAutoModelForSequenceClassification.from_config(config)
    model(model.dummy_inputs, training=False)  # create the variables
    return model


# ------------------------------------------------------------ reusable training

def _weight_key(variable: tf.Variable) -> str:
    """A variable's name without the model's own name in front (which Keras numbers per object)."""
    return variable.name.split("/", 1)[-1]


def weights_snapshot(model: tf.keras.Model) -> dict[str, np.ndarray]:
    """A copy of every weight, by name: ``{"bert/embeddings/...": array}`` (notebook 04).

    Unlike ``model.get_weights()``, whose order puts trainable weights first
    and so changes when layers are frozen, a snapshot can be restored after
    any ``freeze``, and into another model object of the same architecture.
    """
    return {_weight_key(v): v.numpy() for v in model.weights}


def restore_weights(model: tf.keras.Model, snapshot: dict[str, np.ndarray]) -> None:
    """Assign a ``weights_snapshot`` to ``model``'s variables, matched by name.

    Raises:
        ValueError: the snapshot and the model do not have the same weight names and shapes.
    """
    keys = {_weight_key(v): v for v in model.weights}
    if keys.keys() != snapshot.keys() or any(keys[k].shape != snapshot[k].shape for k in keys):
        raise ValueError("the snapshot does not match this model's weights: take it with "
                         "weights_snapshot from a model of the same architecture and num_labels")
    for key, variable in keys.items():
        variable.assign(snapshot[key])


def linear_schedule(step: int, num_steps: int, learning_rate: float, warmup_steps: int) -> float:
    """η at ``step`` (0-based): linear warm-up from 0 to ``learning_rate``, then linear decay to 0.

    The same schedule as ``fine_tune.make_optimizer`` (transformers'
    ``create_optimizer`` with ``power=1``), as a plain function of the step.
    """
    if step < warmup_steps:
        return learning_rate * step / warmup_steps
    return learning_rate * max(0.0, 1 - (step - warmup_steps) / max(1, num_steps - warmup_steps))


@dataclass
class Run:
    """One training run of a ``ReusableTrainer``.

    Attributes:
        step_loss: training loss (batch empirical risk, nats) of every step.
        step_seconds: wall-clock seconds of every step.
        step_cpu_seconds: this process's CPU seconds of every step, over all
            threads (``time.process_time``): other jobs on a shared machine
            change it far less than wall-clock time.
        epochs: passes over the training examples (the last may be partial).
    """

    step_loss: list[float] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    step_cpu_seconds: list[float] = field(default_factory=list)
    epochs: int = 0

    @property
    def seconds(self) -> float:
        return float(sum(self.step_seconds))


class ReusableTrainer:
    """Fine-tune one model object many times with a single compiled train step (notebook 04).

    Why: compiling (tracing) a BERT train step takes longer on a CPU than
    training on 100 examples (the "warm-up s" column of
    ``benchmarks/results/fine_tune_speed.md``); notebook 04 runs over twenty
    trainings. ``fine_tune.make_optimizer`` bakes its schedule's step count
    into the compiled step, so here the optimizer takes a plain learning
    rate that is set before every step (``linear_schedule``), and each run
    starts by restoring the given weights and zeroing Adam's state. The
    update is ``fine_tune``'s AdamW (weight decay not on LayerNorm or biases).

    With ``learning_rate_factors`` (``layerwise_learning_rate_factors``) each
    weight's peak rate is ``learning_rate * factor``: the trainable weights are
    grouped by factor, and each group gets its own AdamW, all applied in one
    compiled step on the gradients of one backward pass. AdamW's update is
    proportional to its rate (η · (m̂ / (√v̂ + ε) + λθ), and m̂, v̂ do not
    depend on η), so a group's step is exactly ``factor`` times the step it
    would take at the full rate.

    Freeze (``freeze``) *before* building the trainer: it compiles its step
    when built, and that step updates the variables that were trainable then,
    whatever is frozen or unfrozen later.

    Reproducibility: dropout masks continue one random stream across runs,
    so a run repeats exactly when the same runs happen in the same order
    after the same ``device.set_seed`` (as in a notebook run top to bottom).
    """

    def __init__(self, model: tf.keras.Model, tokenizer, weight_decay: float = 0.01,
                 learning_rate_factors: dict[str, float] | None = None):
        self.model, self.tokenizer = model, tokenizer

        def adamw():
            return FusedAdamWeightDecay(learning_rate=0.0, weight_decay_rate=weight_decay, epsilon=1e-8,
                                        exclude_from_weight_decay=NO_DECAY)

        if learning_rate_factors is None:
            self.optimizers = [(1.0, adamw())]
            self.train_step = make_train_step(model, self.optimizers[0][1])
        else:
            missing = [_weight_key(v) for v in model.trainable_variables if _weight_key(v) not in learning_rate_factors]
            if missing:
                raise ValueError(f"learning_rate_factors has no factor for {missing[0]!r} (and {len(missing) - 1} "
                                 "more): build it with layerwise_learning_rate_factors(model, decay) for this model")
            groups: dict[float, list[tf.Variable]] = {}
            for variable in model.trainable_variables:
                groups.setdefault(float(learning_rate_factors[_weight_key(variable)]), []).append(variable)
            self.optimizers = [(factor, adamw()) for factor in groups]
            self.train_step = _grouped_train_step(model, [(optimizer, groups[factor])
                                                          for factor, optimizer in self.optimizers])
        self.train_step.get_concrete_function()  # compile now, with the variables trainable now

    def _reset(self, start: dict[str, np.ndarray]) -> None:
        restore_weights(self.model, start)
        for _, optimizer in self.optimizers:
            for variable in optimizer.variables():  # the step counter and Adam's moments
                variable.assign(tf.zeros_like(variable))

    def train(self, start: dict[str, np.ndarray], train, num_steps: int, batch_size: int,
              learning_rate: float, warmup_ratio: float = 0.1, seed: int = 0,
              progress: bool = False, description: str = "training") -> Run:
        """Restore the weights ``start`` and take ``num_steps`` AdamW steps on ``train``.

        Batches follow ``batches.training_order`` (seed ``seed * 1000 + epoch``,
        as in ``fine_tune.fine_tune``); epochs repeat until ``num_steps``.
        No validation and no early stopping: the run's budget is fixed.

        Args:
            start: the starting point, a ``weights_snapshot``.
            train: ``batches.Encoded`` training examples.
            num_steps: gradient steps, >= 1.
            learning_rate: peak η (times each group's factor); warm-up over
                ``warmup_ratio * num_steps`` steps.

        Returns:
            A ``Run``; the model keeps the final weights.

        Raises:
            ValueError: ``num_steps`` < 1, ``learning_rate`` <= 0, or a
                ``start`` that does not fit the model.
        """
        if num_steps < 1 or not learning_rate > 0:
            raise ValueError(f"need num_steps >= 1 and learning_rate > 0, got {num_steps} and {learning_rate}")
        self._reset(start)
        run, warmup_steps = Run(), int(warmup_ratio * num_steps)
        bar = progress_bar(total=num_steps, desc=description, unit="step", disable=not progress, leave=False)
        while len(run.step_loss) < num_steps:
            run.epochs += 1
            for indices in training_order(train.lengths, batch_size, seed=seed * 1000 + run.epochs):
                if len(run.step_loss) == num_steps:
                    break
                started, cpu_started = time.perf_counter(), time.process_time()
                rate = linear_schedule(len(run.step_loss), num_steps, learning_rate, warmup_steps)
                for factor, optimizer in self.optimizers:
                    optimizer.learning_rate = rate * factor
                run.step_loss.append(float(self.train_step(*pad_batch(self.tokenizer, train, indices))))
                run.step_seconds.append(time.perf_counter() - started)
                run.step_cpu_seconds.append(time.process_time() - cpu_started)
                bar.update()
        bar.close()
        return run


_STEP_SIGNATURE = [FEATURES_SIGNATURE, tf.TensorSpec([None], tf.int32)]  # features, (batch,) int32 labels


def _grouped_train_step(model: tf.keras.Model, groups: list[tuple[tf.keras.optimizers.Optimizer, list]]):
    """One compiled step: one backward pass, then each (optimizer, variables) group applies its gradients."""
    variables = [variable for _, group in groups for variable in group]

    @tf.function(input_signature=_STEP_SIGNATURE)
    def step(features, labels):
        with tf.GradientTape() as tape:
            loss = mean_cross_entropy(labels, model(features, training=True).logits)   # L(θ), nats
        gradients = tape.gradient(loss, variables)
        first = 0
        for optimizer, group in groups:
            optimizer.apply_gradients(zip(gradients[first:first + len(group)], group))
            first += len(group)
        return loss

    return step


# ------------------------------------------------------------------ error bars

def accuracy_noise(correct) -> dict[str, float]:
    """Mean accuracy over seeds and its two sources of noise (notebook 04, section 4).

    ``correct[s, i]`` says whether the run of seed ``s`` classified dev
    sentence ``i`` right; every seed is scored on the same ``n`` sentences.

    - ``seed_sd``: the sample standard deviation (ddof = 1) of the seeds'
      accuracies: how much a rerun with another seed (subset, head, dropout,
      batch order) moves the result. NaN with one seed: not measured.
    - ``dev_se``: the binomial standard error ``sqrt(p (1 - p) / n)`` of an
      accuracy ``p`` measured on ``n`` sentences: how much another sample of
      ``n`` dev-like sentences would move it. Averaging seeds does not shrink
      it, since every seed sees the same sentences.
    - ``total_se``: ``sqrt(seed_sd² / num_seeds + dev_se²)``, the standard
      error of the mean as an estimate of the method's accuracy on new
      sentences (the two sources taken as independent); ``dev_se`` alone with one seed.

    Args:
        correct: (num_seeds, n) or (n,) bool or 0/1.

    Returns:
        ``{"mean", "seed_sd", "dev_se", "total_se", "num_seeds", "n"}``.

    Raises:
        ValueError: no sentences.
    """
    correct = np.atleast_2d(np.asarray(correct, dtype=np.float64))     # (num_seeds, n)
    num_seeds, n = correct.shape
    if n == 0:
        raise ValueError("no sentences: pass correct as (num_seeds, n) with n >= 1")
    per_seed = correct.mean(axis=1)                                     # (num_seeds,)
    mean = float(per_seed.mean())
    seed_sd = float(per_seed.std(ddof=1)) if num_seeds > 1 else float("nan")
    dev_se = float(np.sqrt(mean * (1 - mean) / n))
    total_se = float(np.sqrt(seed_sd ** 2 / num_seeds + dev_se ** 2)) if num_seeds > 1 else dev_se
    return {"mean": mean, "seed_sd": seed_sd, "dev_se": dev_se, "total_se": total_se,
            "num_seeds": num_seeds, "n": n}


def paired_difference_noise(correct_a, correct_b) -> dict[str, float]:
    """Accuracy of A minus accuracy of B on the same sentences and seeds, with its noise (notebook 04).

    Paired: the per-sentence differences ``d = a - b`` (-1, 0 or 1) carry the
    dev noise, so sentences both methods get right or both get wrong cost
    nothing, and the error is usually far below ``sqrt(se_a² + se_b²)``.
    ``dev_se`` is the standard deviation (ddof = 1) of the seed-averaged
    ``d`` over sentences divided by ``sqrt(n)``; ``seed_sd`` the ddof = 1
    spread of the seeds' differences; ``total_se`` combines them as in
    ``accuracy_noise``. A difference smaller than about 2 ``total_se`` is
    inside the noise: another seed or another dev sample could reverse it.

    Args:
        correct_a, correct_b: (num_seeds, n) or (n,) bool or 0/1, the same shape.

    Returns:
        ``{"difference", "seed_sd", "dev_se", "total_se", "num_seeds", "n"}``.

    Raises:
        ValueError: shapes differ, or fewer than 2 sentences.
    """
    a = np.atleast_2d(np.asarray(correct_a, dtype=np.float64))
    b = np.atleast_2d(np.asarray(correct_b, dtype=np.float64))
    if a.shape != b.shape or a.shape[1] < 2:
        raise ValueError(f"correct_a and correct_b must have the same shape (num_seeds, n >= 2), got "
                         f"{a.shape} and {b.shape}: score both methods on the same sentences and seeds")
    num_seeds, n = a.shape
    d = a - b                                                           # (num_seeds, n)
    per_seed = d.mean(axis=1)
    seed_sd = float(per_seed.std(ddof=1)) if num_seeds > 1 else float("nan")
    dev_se = float(d.mean(axis=0).std(ddof=1) / np.sqrt(n))
    total_se = float(np.sqrt(seed_sd ** 2 / num_seeds + dev_se ** 2)) if num_seeds > 1 else dev_se
    return {"difference": float(per_seed.mean()), "seed_sd": seed_sd, "dev_se": dev_se, "total_se": total_se,
            "num_seeds": num_seeds, "n": n}


# ------------------------------------------------------------------- pretraining

def nearest_words(word_embeddings: np.ndarray, tokenizer, word: str, k: int = 6) -> list[tuple[str, float]]:
    """The ``k`` vocabulary words whose input embeddings are closest to ``word``'s (notebook 04, section 5).

    Closeness is cosine similarity of rows of the word-embedding matrix.
    Special tokens (``[PAD]``, ``[unused0]``, ...) and word pieces (``##s``)
    are skipped, and so is ``word`` itself.

    Args:
        word_embeddings: (vocab_size, hidden) float, e.g. ``model.bert.embeddings.weight.numpy()``.
        word: a word that is one token of the tokenizer's vocabulary.

    Returns:
        ``[(token, cosine similarity), ...]``, most similar first.

    Raises:
        ValueError: ``word`` is not a single vocabulary token.
    """
    vocabulary = tokenizer.get_vocab()
    if word not in vocabulary:
        raise ValueError(f"{word!r} is not one token of the vocabulary: pick a common lower-case "
                         f"word; the tokenizer splits it into {tokenizer.tokenize(word)}")
    unit = word_embeddings / np.linalg.norm(word_embeddings, axis=1, keepdims=True)   # (vocab_size, hidden)
    similarity = unit @ unit[vocabulary[word]]                                        # (vocab_size,)
    tokens = tokenizer.convert_ids_to_tokens(list(range(len(similarity))))
    found = []
    for index in np.argsort(-similarity):
        token = tokens[index]
        if token != word and not token.startswith(("[", "##")):
            found.append((token, float(similarity[index])))
            if len(found) == k:
                break
    return found


def parse_data_sizes(text: str, largest: int = 67349) -> list[int]:
    """The ``data_sizes`` parameter, e.g. ``"32,100,300,1000"``, as sorted unique ints (notebook 04).

    Raises:
        ParameterError: not comma-separated whole numbers, or a size outside
            [8, largest]; the message shows a valid example.
    """
    example = "use comma-separated whole numbers of training examples, e.g. -p data_sizes '32,100,300,1000'"
    try:
        sizes = sorted({int(part) for part in str(text).split(",")})
    except ValueError:
        raise ParameterError(f"parameter data_sizes={text!r} is not allowed: {example}") from None
    if sizes[0] < 8 or sizes[-1] > largest:
        raise ParameterError(f"parameter data_sizes={text!r} is not allowed (each size must be from 8 "
                             f"to {largest:,d}, the training examples there are): {example}")
    return sizes
