"""The course plan: what each notebook teaches, how long it takes, what it should show (notebook 00).

``COURSE_PLAN`` is the one owner of these facts. Notebook 00 shows it as a
table (``course_table``), the README's course table is written from it
(``readme_table``), and each notebook's first cell states its minutes in the
words of ``minutes_statement``; ``python -m finetune_lab.course sync`` checks
both copies and ``tests/test_sync.py`` holds them equal to the plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from finetune_lab import REPO_ROOT
from finetune_lab.course.messages import catalog, current_language, tr
from finetune_lab.course.params import NOTEBOOK_PARAMETERS

NOTEBOOK_PATTERN = "[0-9][0-9]_*.ipynb"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

# The translated editions (``translation``): notebooks/<language>/, built from the English notebooks.
# A notebook listed here must have a complete, current translation: ``translate --check`` and
# tests/test_translation.py fail otherwise. Translators add their notebook when its translation is done;
# every notebook is listed before the edition is published.
TRANSLATED: dict[str, tuple[str, ...]] = {
    "zh": ("00_start_here", "01_empirical_risk", "02_binary_cross_entropy", "03_training_from_scratch",
           "04_transfer_learning", "05_fine_tune_bert", "06_evaluation_and_deployment", "07_your_own_data"),
}
# Which translated notebooks `make test` executes under nbval (notebooks/conftest.py skips the others).
# CI has 30 minutes and the English edition takes about 22 of them; the cheap Chinese notebooks (00-03,
# about 3 minutes together) run fully, the expensive ones (04-07) not: their code is the English code,
# cell for cell (``translate --check``, ``code_identity``), and the English cells are tested.
NBVAL_TRANSLATED: dict[str, tuple[str, ...]] = {
    "zh": ("00_start_here", "01_empirical_risk", "02_binary_cross_entropy", "03_training_from_scratch"),
}


def edition_folder(language: str, notebooks_dir: Path = NOTEBOOKS_DIR) -> Path:
    """Where an edition's notebooks are: ``notebooks/`` for English, ``notebooks/<language>/`` for a translation."""
    return Path(notebooks_dir) if language == "en" else Path(notebooks_dir) / language


@dataclass(frozen=True)
class PlannedNotebook:
    """One row of the course plan.

    Attributes:
        name: the notebook's file name without ".ipynb".
        teaches: what it teaches, in a phrase (Markdown).
        cpu_minutes: wall-clock minutes with the default parameters on an idle
            2-core CPU, rounded to the nearest minute; 0 means under a minute.
            Measured as the executed notebook's ``metadata.papermill.duration``.
        expected: the result to expect with the defaults.
        minutes_note: when the time depends on something else, what and how much.
        zh: the Chinese edition's ``(teaches, expected, minutes_note)``, a translation of the English.
    """

    name: str
    teaches: str
    cpu_minutes: int
    expected: str
    minutes_note: str = ""
    zh: tuple[str, str, str] = ("", "", "")

    def text(self, language: str = "en") -> tuple[str, str, str]:
        """``(teaches, expected, minutes_note)`` in ``language`` (English where a translation is missing)."""
        english = (self.teaches, self.expected, self.minutes_note)
        if language != "zh":
            return english
        return tuple(chinese or text for chinese, text in zip(self.zh, english))

    def minutes(self, language: str = "en") -> str:
        """The CPU minutes as a table cell: ``< 1``, ``about 7``, with the note in brackets."""
        note = self.text(language)[2]
        if language == "zh":
            text = "< 1" if self.cpu_minutes == 0 else f"约 {self.cpu_minutes}"
            return f"{text}（{note}）" if note else text
        text = "< 1" if self.cpu_minutes == 0 else f"about {self.cpu_minutes}"
        return f"{text} ({note})" if note else text

    def minutes_statement(self) -> str:
        """The sentence each notebook's first cell uses for its time, e.g.
        ``About 7 minutes on an idle 2-core CPU``."""
        if self.cpu_minutes == 0:
            text = "Under a minute"
        else:
            text = f"About {self.cpu_minutes} minute" + ("s" if self.cpu_minutes > 1 else "")
        text += " on an idle 2-core CPU"
        return f"{text} ({self.minutes_note})" if self.minutes_note else text


def _default(notebook: str, name: str) -> object:
    """A parameter's default, so that the plan's prose does not restate it."""
    return next(p.default for p in NOTEBOOK_PARAMETERS[notebook] if p.name == name)


COURSE_PLAN = (
    PlannedNotebook(
        "00_start_here", "the map of the course, how to run it, an environment check, a bilingual glossary",
        0, "every required check is ok",
        zh=("课程地图、运行方式、环境检查、双语术语表", "每个必需的检查项都是 ok", "")),
    PlannedNotebook(
        "01_empirical_risk", "empirical risk L(θ) = (1/N) Σ ℓ(M_θ(x_i), y_i) and its gradient; learning "
        "rates that crawl, converge, zig-zag or diverge; weight decay as gradient descent on "
        "L + (λ/2)‖θ‖²; why AdamW is not Adam + L2",
        0, "the risk falls to its minimum; too large a learning rate diverges",
        zh=("经验风险 (empirical risk) L(θ) = (1/N) Σ ℓ(M_θ(x_i), y_i) 及其梯度；缓慢爬行、收敛、之字形振荡或发散的"
            "学习率；权重衰减即对 L + (λ/2)‖θ‖² 做梯度下降；为什么 AdamW 不等于 Adam + L2",
            "风险下降到最小值；学习率过大时发散", "")),
    PlannedNotebook(
        "02_binary_cross_entropy", "from the Bernoulli likelihood to the loss; the chain rule down to "
        "(ŷ − y)·x; log(0) and overflow versus the stable from-logits form; gradient checks against "
        "finite differences and `tf.GradientTape`; for K classes, softmax cross-entropy, its gradient "
        "softmax(z) − onehot(y), and with K = 2 the binary loss of z₁ − z₀",
        0, "our loss and gradients match tf-keras and finite differences",
        zh=("从伯努利似然到损失；链式法则一直推到 (ŷ − y)·x；log(0) 与溢出，以及稳定的 logits 形式；用有限差分和 "
            "`tf.GradientTape` 检查梯度；K 类时的 softmax 交叉熵 (cross-entropy)、它的梯度 softmax(z) − onehot(y)，"
            "以及 K = 2 时等价于 z₁ − z₀ 的二元损失",
            "我们的损失和梯度与 tf-keras 及有限差分一致", "")),
    PlannedNotebook(
        "03_training_from_scratch", "TF-IDF logistic regression on SST-2 trained with our loss and "
        "`gradient_step`; a validation split grouped by source sentence; training and validation curves, "
        "early stopping, a weight-decay sweep, an overfitting run where both help",
        1, "about 0.81 dev accuracy, within 1 point of scikit-learn",
        zh=("在 SST-2 上用我们的损失和 `gradient_step` 训练 TF-IDF 逻辑回归；按源句子分组的验证集划分；训练与验证曲线、"
            "早停 (early stopping)、权重衰减扫描，以及两者都能起作用的一次过拟合运行",
            "开发集准确率约 0.81，与 scikit-learn 相差不到 1 个百分点", "")),
    PlannedNotebook(
        "04_transfer_learning", "WordPiece tokens and the encoder's three inputs; frozen-encoder features "
        "([CLS] vs mean pooling, and what each checkpoint's [CLS] was trained for) with notebook 03's "
        "logistic regression vs TF-IDF; fine-tuning vs a tuned random initialisation vs feature extraction; "
        "freezing strategies and layer-wise learning rates; a data-efficiency curve with error bars over "
        "seeds and the dev sample; masked-language-model pretraining (offline proxy); exercises",
        5, "fine-tuning about 0.63–0.80 dev accuracy at 32–1,000 examples; a random initialisation with its "
        "own learning rate stays near 0.5, 0.2–0.3 below from 100 examples on (inside the noise at 32)",
        zh=("WordPiece 词元与编码器的三种输入；冻结编码器的特征（[CLS] 与均值池化，以及每个检查点的 [CLS] 是为什么而训练的）"
            "配合笔记本 03 的逻辑回归，与 TF-IDF 对比；微调 (fine-tuning)、调好学习率的随机初始化与特征提取 (feature "
            "extraction) 的比较；冻结策略与逐层学习率；带多种子和开发样本误差棒的数据效率曲线；掩码语言模型预训练"
            "（离线替代）；练习",
            "在 32–1,000 个样本上微调的开发集准确率约 0.63–0.80；用自己学习率的随机初始化停留在 0.5 附近，从 100 个样本起"
            "低 0.2–0.3（32 个样本时在噪声范围内）", "")),
    PlannedNotebook(
        "05_fine_tune_bert", "fine-tuning MiniLM (BERT architecture) on "
        f"{_default('05_fine_tune_bert', 'num_train_examples'):,} SST-2 examples with AdamW, warm-up, "
        "weight decay, early stopping (and a run where it stops); a leak-free validation split; why fine-tuning "
        "learning rates are small; a mean-pooling head against [CLS]; the seed spread; common mistakes measured; "
        "exercises",
        6, "dev accuracy from about 0.5 (a new head) to about 0.86",
        zh=(f"在 {_default('05_fine_tune_bert', 'num_train_examples'):,} 个 SST-2 样本上用 AdamW、预热、权重衰减和早停"
            "微调 MiniLM（BERT 架构），并展示一次触发早停的运行；无泄漏的验证集划分；为什么微调的学习率很小；"
            "均值池化分类头与 [CLS] 的比较；种子间的波动；实测常见错误；练习",
            "开发集准确率从约 0.5（新的分类头）升到约 0.86", "")),
    PlannedNotebook(
        "06_evaluation_and_deployment", "test metrics for any number of classes (per class, macro F1, the "
        "majority baseline) with bootstrap intervals, ROC and PR curves and a threshold chosen on dev (two "
        "classes), calibration (reliability diagram, ECE, temperature scaling), error analysis, reload in a "
        "fresh process, latency and throughput, a SavedModel export, monitoring a stream with an alert",
        1, "about 0.88 test accuracy; the export predicts the same",
        minutes_note="with notebook 05's saved model; an estimated 2 without it",
        zh=("任意类别数的测试指标（逐类、宏平均 F1、多数类基线）及 bootstrap 区间；ROC 与 PR 曲线和在开发集上选定的阈值"
            "（两类）；校准（可靠性图、ECE、温度缩放）；错误分析；在新进程中重新加载；延迟与吞吐量；导出 SavedModel；"
            "监控数据流并报警",
            "测试准确率约 0.88；导出的模型预测相同",
            "使用笔记本 05 保存的模型；没有它时估计为 2")),
    PlannedNotebook(
        "07_your_own_data", "the financial-sentiment scenario end to end on the Financial PhraseBank (three "
        "imbalanced classes): majority and TF-IDF baselines, notebook 05's recipe on "
        f"{_default('07_your_own_data', 'epochs')} epochs of its training set, per-class metrics and macro F1, "
        "the confusion matrix, a monitored news stream with an alert, save and reload, domain shift from "
        "SST-2 and fine-tuning again; the same on your own CSV",
        3, "about 0.98 test accuracy and 0.97 macro F1 (majority class 0.615, TF-IDF 0.88)",
        zh=("在 Financial PhraseBank（三个不平衡的类别）上端到端完成金融情感场景：多数类与 TF-IDF 基线、用笔记本 05 的方案"
            f"在训练集上训练 {_default('07_your_own_data', 'epochs')} 轮、逐类指标与宏平均 F1、混淆矩阵、带报警的新闻流"
            "监控、保存与重新加载、从 SST-2 出发的领域迁移与再次微调；在你自己的 CSV 上做同样的事",
            "测试准确率约 0.98，宏平均 F1 约 0.97（多数类 0.615，TF-IDF 0.88）", "")),
)


def planned(name: str) -> PlannedNotebook | None:
    """The plan's row for notebook ``name``, or None."""
    return next((row for row in COURSE_PLAN if row.name == name), None)


def course_status(notebooks_dir: Path = NOTEBOOKS_DIR) -> dict[str, str]:
    """``{notebook: "ready" | "planned"}`` for the plan, plus unplanned notebooks found."""
    present = [path.stem for path in find_notebooks(notebooks_dir)]
    status = {row.name: "ready" if row.name in present else "planned" for row in COURSE_PLAN}
    status.update({name: "ready" for name in present if name not in status})
    return status


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def course_table(notebooks_dir: Path = NOTEBOOKS_DIR) -> str:
    """The course plan as a Markdown table, its status read from the folder (notebook 00), in the current language."""
    language = current_language()
    rows = []
    for name, status in course_status(notebooks_dir).items():
        row = planned(name)
        if row:
            teaches, expected, _ = row.text(language)
            cells = [teaches, row.minutes(language), expected]
        else:
            cells = [tr("(not in the course plan yet)"), "", ""]
        rows.append([name, *cells, tr("ready") if status == "ready" else tr("planned")])
    return _markdown_table([tr("notebook"), tr("what it teaches"), tr("CPU minutes"), tr("expected result"),
                            tr("status")], rows)


def readme_table(language: str = "en") -> str:
    """The README's course table (README.zh.md's for "zh"): the plan, without the status of a local folder."""
    rows = []
    for row in COURSE_PLAN:
        teaches, expected, _ = row.text(language)
        rows.append([f"`{row.name}`", teaches, row.minutes(language), expected])
    headers = ["notebook", "what it teaches", "CPU minutes", "expected result"]  # course_table's tr() templates
    return _markdown_table([catalog(language).get(header, header) for header in headers], rows)


def find_notebooks(folder: Path, only: Sequence[str] = ()) -> list[Path]:
    """The course notebooks in ``folder``, in order; ``only`` keeps names starting with a prefix.

    Raises:
        ValueError: a prefix in ``only`` matches no notebook.
    """
    notebooks = sorted(Path(folder).glob(NOTEBOOK_PATTERN))
    for prefix in only:
        if not any(path.stem.startswith(prefix) for path in notebooks):
            names = ", ".join(path.stem for path in notebooks) or "none"
            raise ValueError(f"--only {prefix!r} matches no notebook in {folder}: found {names}")
    if only:
        notebooks = [path for path in notebooks if path.stem.startswith(tuple(only))]
    return notebooks
