"""Figure text in the edition's language: a drawn figure's titles, axis labels, tick labels,
legends and annotations, rewritten in Chinese for the Chinese edition.

Why this design: every figure function takes plain data and draws English; the report build
shows each figure twice, once per edition (see :func:`clip_course.notebook.session.figure`).
Rather than threading a ``lang`` argument through every title and label of every function,
:func:`translate_figure` walks the drawn figure's text artists and rewrites each through
:data:`FIGURE_ZH` (exact texts) and :data:`FIGURE_ZH_PATTERNS` (texts with numbers or names in
them), then gives every text a font list that draws Chinese (:func:`cjk_family`). Data stays
as it is: class names, prompts and captions are what the model read, so they are printed as
the model saw them (in English), like the code-free names of models and data sets.

Terms follow the Chinese edition's terminology table (零样本, 线性探测, 提示集成 …).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FixedFormatter, FuncFormatter

from clip_course.errors import ClipCourseError

__all__ = [
    "cjk_family", "FIGURE_ZH", "MissingCJKFontError", "needs_translation", "Text", "translate_figure", "translate_text",
]

#: Chinese font families, in order of preference (the first one installed is used).
CJK_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC")
#: The Latin font drawn first (digits, Greek, the minus sign), so both editions' numbers look the same.
_LATIN_FAMILY = "DejaVu Sans"


class MissingCJKFontError(ClipCourseError, RuntimeError):
    """No Chinese font for the Chinese edition's figures."""


def cjk_family() -> str:
    """The first installed family of :data:`CJK_FAMILIES`; :class:`MissingCJKFontError` if none."""
    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    raise MissingCJKFontError(
        "the Chinese edition's figures need a Chinese font (one of " + ", ".join(CJK_FAMILIES[:3])
        + "); Debian/Ubuntu: apt-get install fonts-noto-cjk, then delete matplotlib's font cache "
        "(~/.cache/matplotlib) so it sees the new font.")


#: Exact figure texts -> Chinese.
FIGURE_ZH: dict[str, str] = {
    # zero-shot (03)
    "Zero-shot accuracy": "零样本准确率",
    "top-1 (%)": "top-1（%）",
    "top-5 (%)": "top-5（%）",
    "Per-class accuracy": "各类别准确率",
    "top-1 accuracy (%)": "top-1 准确率（%）",
    "Confusion matrix": "混淆矩阵",
    "% of the true class": "占真实类别的 %",
    "images": "图像",
    "predicted class": "预测类别",
    "true class": "真实类别",
    "Most-confused pairs": "最易混淆的类别对",
    "no confusions: every image was classified correctly": "无混淆：每张图像都分类正确",
    "% of the true class predicted as the other class": "真实类别被预测为另一类别的比例（%）",
    "Test images and their top-5 predictions": "测试图像及其 top-5 预测",
    "single": "单一模板",
    "ensemble": "提示集成",
    "single template": "单一模板",
    "zero-shot": "零样本",
    "linear probe": "线性探测",
    "probe": "线性探测",
    # across data sets (07)
    "Zero-shot minus the full-data linear probe, per dataset": "各数据集上零样本与全数据线性探测之差",
    "Δ top-1 (points): zero-shot − linear probe; right of 0, zero-shot wins":
        "Δ top-1（百分点）：零样本 − 线性探测；0 右侧为零样本领先",
    "family": "数据集类别",
    "Zero-shot accuracy against speed": "零样本准确率与速度",
    "measured images/s on this run's device (log scale)": "本次运行设备上实测的每秒图像数（对数坐标）",
    "mean zero-shot top-1 (%)": "零样本 top-1 均值（%）",
    # analysis (06)
    "Prompt engineering: each template alone against the ensemble": "提示工程：各模板单独使用与提示集成对比",
    "one template alone": "单个模板",
    "zero-shot top-1 (%)": "零样本 top-1（%）",
    "Distribution shift: accuracy against corruption severity": "分布偏移：准确率随图像损坏强度的变化",
    "severity (0 = clean)": "强度（0 = 无扰动）",
    "mean over corruptions": "各类损坏的均值",
    "% of clean accuracy kept": "保留的无扰动准确率（%）",
    "The corruptions at each severity": "各强度下的图像损坏",
    "clean": "无扰动",
    "Text-to-image search: the best matches for free-text queries": "以文搜图：自由文本查询的最佳匹配",
    "Fine-grained against coarse classes": "细粒度类别与粗粒度类别",
    "chance": "随机水平",
    "per coarse class, largest drop first": "按粗粒度类别，下降最多者在前",
    "Our numbers beside the published ones": "我们的结果与论文公布的结果",
    "gaussian noise": "高斯噪声", "gaussian\nnoise": "高斯\n噪声",
    "shot noise": "散粒噪声", "shot\nnoise": "散粒\n噪声",
    "impulse noise": "脉冲噪声", "impulse\nnoise": "脉冲\n噪声",
    "defocus blur": "散焦模糊", "defocus\nblur": "散焦\n模糊",
    "motion blur": "运动模糊", "motion\nblur": "运动\n模糊",
    "gaussian blur": "高斯模糊", "gaussian\nblur": "高斯\n模糊",
    "contrast": "对比度", "brightness": "亮度", "fog": "雾", "pixelate": "像素化", "jpeg": "JPEG 压缩",
    "saturate": "饱和度", "elastic": "弹性形变", "snow": "雪", "frost": "霜",
    # intro (01)
    "Image-text cosine similarity in one batch": "一个批次内图像与文本的余弦相似度",
    "cosine similarity": "余弦相似度",
    "MiniCLIP pretraining": "MiniCLIP 预训练",
    "step": "步数",
    "loss": "损失", "temperature": "温度", "logit scale": "logit 缩放系数",
    "in-batch accuracy": "批内准确率", "in-batch accuracy (%)": "批内准确率（%）",
    "learning rate": "学习率",
    "CLIP's initial τ = 0.07": "CLIP 的初始 τ = 0.07",
    "Zero-shot classification: the class names become the classifier": "零样本分类：类名本身就是分类器",
    "Contrastive pretraining: which caption goes with which image?": "对比预训练：哪条文本对应哪张图像？",
    "diagonal: the N true pairs (pulled up); the rest: N² − N negatives":
        "对角线：N 个真实配对（相似度被拉高）；其余：N² − N 个负样本",
    # linear probe (04)
    "Regularisation sweep (validation split)": "正则化强度扫描（验证集）",
    "C (inverse L2 strength; larger = weaker regularisation)": "C（L2 强度的倒数；越大正则化越弱）",
    "validation top-1 (%)": "验证集 top-1（%）",
    "★ chosen C": "★ 选定的 C",
    "Few-shot linear probe against zero-shot": "少样本线性探测与零样本对比",
    "linear probe, k shots per class": "线性探测，每类 k 个样本",
    "labelled examples per class (k)": "每类标注样本数（k）",
    "Linear probe against zero-shot": "线性探测与零样本对比",
    # single images (02)
    "probability (%)": "概率（%）",
    "prompt (ringed: winner of the step)": "提示（圈出者为该步胜出者）",
    # StyleCLIP (05)
    "CLIP similarity to the text": "与文本的 CLIP 相似度",
    "Distance to the start latent": "与起始潜向量的距离",
    "Schedule": "学习率调度",
    "mean pixel change from the start (lower = more faithful)": "相对起点的平均像素变化（越低越忠实）",
    "similarity after": "编辑后相似度",
    "Edit strength vs faithfulness over l2_lambda": "不同 L2 权重 λ 下的编辑强度与保真度",
    "start": "起点",
    "A composite picture": "合成图片",
    "Progressive refinement": "逐步细化",
    "objects": "物体",
    "counting": "计数",
    "specialised": "专业领域",
    "abstract or synthetic": "抽象或合成",
    "other": "其他",
    "N images": "N 张图像",
    "blur": "模糊",
    "noise": "噪声",
    "A single dominant word": "单个主导词",
    "Drawn rather than rendered": "素描风格而非平面渲染",
    "Generic against specific labels": "泛化标签与具体标签",
    "contrastive loss (symmetric CE)": "对比损失（对称交叉熵）",
    "fine-grained": "细粒度",
    "style-shifted": "风格偏移",
    "image feature f\n(L2-normalised)": "图像特征 f\n（L2 归一化）",
    "image\nencoder": "图像\n编码器",
    "text\nencoder": "文本\n编码器",
    "linear probe (all labels)": "线性探测（全部标签）",
    "ours: single template": "我们：单一模板",
    "ours: template ensemble": "我们：提示集成",
    "temperature τ = 1 / logit scale": "温度 τ = 1 / logit 缩放系数",
    "zero-shot (ensemble)": "零样本（提示集成）",
    "|change| (mean over RGB)": "|变化|（RGB 通道平均）",
    # open models (CLIP_benchmark)
    "published zero-shot top-1 (%)": "公布的零样本 top-1（%）",
    "GMACs per image-text pair (log scale)": "每个图像–文本对的 GMACs（对数坐标）",
    "mean published zero-shot top-1 (%)": "公布的零样本 top-1 均值（%）",
    "CLIP_benchmark (LAION): open pretraining data against OpenAI's":
        "CLIP_benchmark（LAION）：开放预训练数据与 OpenAI 数据对比",
}

_Sub = Callable[[re.Match[str]], str]


def _t(text: str) -> str:
    """A part of a pattern's match, itself translated when the table knows it."""
    return FIGURE_ZH.get(text, text)


#: (pattern, Chinese) for figure texts built with numbers or names; a group keeps its text.
FIGURE_ZH_PATTERNS: list[tuple[re.Pattern[str], _Sub]] = [
    (re.compile(r"(.+): worst and best (\d+) of (\d+)", re.S),
     lambda m: f"{translate_text(m[1]) or m[1]}：最差与最好的各 {m[2]} 个（共 {m[3]} 个）"),
    (re.compile(r"Zero-shot accuracy \((.+), (\w+) profile\)"),
     lambda m: f"零样本准确率（{m[1]}，{_profile(m[2])}）"),
    (re.compile(r"Zero-shot minus linear probe \((.+), (\w+) profile\)"),
     lambda m: f"零样本与线性探测之差（{m[1]}，{_profile(m[2])}）"),
    (re.compile(r"Per-class top-1, (.+) \(ensemble\)"), lambda m: f"各类别 top-1，{m[1]}（提示集成）"),
    (re.compile(r"Confusion matrix, (.+) \(ensemble\)"), lambda m: f"混淆矩阵，{m[1]}（提示集成）"),
    (re.compile(r"Most-confused pairs, (.+) \(ensemble\)"), lambda m: f"最易混淆的类别对，{m[1]}（提示集成）"),
    (re.compile(r"(.+): top-5 zero-shot predictions"), lambda m: f"{m[1]}：零样本 top-5 预测"),
    (re.compile(r" mean of per-class accuracies ([\d.]+)% \((\d+) classes\)"),
     lambda m: f" 各类准确率的均值 {m[1]}%（{m[2]} 类）"),
    (re.compile(r"([✓✗]) true: (.+)", re.S), lambda m: f"{m[1]} 真实：{m[2]}"),
    (re.compile(r"(.+)\n\((\d+) classes\)"), lambda m: f"{m[1]}\n（{m[2]} 类）"),
    (re.compile(r"drop: ([\d.]+) points"), lambda m: f"下降 {m[1]} 个百分点"),
    (re.compile(r"(.+) \((\d+)-way\)"), lambda m: f"{m[1]}（{m[2]} 类）"),
    (re.compile(r"(.+): mean over its fine classes"), lambda m: f"{m[1]}：其细粒度类别的均值"),
    (re.compile(r"top-1 \(%\)  \(→ most frequent wrong answer\)"), lambda m: "top-1（%）（→ 最常见的错误答案）"),
    (re.compile(r"the (\d+) hardest (.+) classes"), lambda m: f"{m[2]} 中最难的 {m[1]} 个类别"),
    (re.compile(r"(.+) \(ensemble ([+\-−][\d.]+) pts\)"), lambda m: f"{m[1]}（提示集成 {m[2]} 个百分点）"),
    (re.compile(r"ensemble of (\d+): ([\d.]+)%"), lambda m: f"{m[1]} 个模板的提示集成：{m[2]}%"),
    (re.compile(r"(ensemble|single template|single|zero-shot): ([\d.]+)%"), lambda m: f"{_t(m[1])}：{m[2]}%"),
    (re.compile(r"severity (\d+)"), lambda m: f"强度 {m[1]}"),
    (re.compile(r"running mean \((\d+) steps\)"), lambda m: f"滑动平均（{m[1]} 步）"),
    (re.compile(r"texts \(captions of the batch\)\n\norange squares: the (\d+) matching pairs \(mean ([\d.−-]+)\); "
                r"the other (\d+) cells: non-matching \(mean ([\d.−-]+)\)"),
     lambda m: f"文本（该批次的描述）\n\n橙色方框：{m[1]} 个匹配对（均值 {m[2]}）；其余 {m[3]} 格：不匹配（均值 {m[4]}）"),
    (re.compile(r"zero-shot \(([\d.]+)%\)"), lambda m: f"零样本（{m[1]}%）"),
    (re.compile(r"probe, all training data \(([\d.]+)%\)"), lambda m: f"线性探测，全部训练数据（{m[1]}%）"),
    (re.compile(r"probe matches zero-shot\nat ≈ ([\d.]+) shots"), lambda m: f"线性探测追平零样本\n约在每类 {m[1]} 个样本处"),
    (re.compile(r"C = (.+)"), lambda m: f"C = {m[1]}"),
    (re.compile(r"step (\d+)\nsim ([\d.]+)"), lambda m: f"第 {m[1]} 步\n相似度 {m[2]}"),
    (re.compile(r"step (\d+)"), lambda m: f"第 {m[1]} 步"),
    (re.compile(r"start  \(sim ([\d.]+)\)"), lambda m: f"起点（相似度 {m[1]}）"),
    (re.compile(r"start (\d+)"), lambda m: f"起点 {m[1]}"),
    (re.compile(r"sim ([\d.]+)→([\d.]+)"), lambda m: f"相似度 {m[1]}→{m[2]}"),
    (re.compile(r"StyleCLIP edit toward \"(.+)\"", re.S), lambda m: f"StyleCLIP 向“{m[1]}”方向编辑"),
    (re.compile(r"Trajectory toward \"(.+)\"", re.S), lambda m: f"向“{m[1]}”方向的编辑轨迹"),
    (re.compile(r"Starts \(top\) edited toward \"(.+)\" \(bottom\)", re.S),
     lambda m: f"起始图像（上）向“{m[1]}”方向编辑后的结果（下）"),
    (re.compile(r"(.+)\n([\d.]+) M params"), lambda m: f"{m[1]}\n{m[2]} M 参数"),
    (re.compile(r"N captions\n(.+)", re.S), lambda m: f"N 条描述\n{m[1]}"),
    (re.compile(r"bare class name: (.+)"), lambda m: f"仅类名：{m[1]}"),
    (re.compile(r"classifier W\n\((\d+) columns\)\nmean of normalised\nprompt embeddings"),
     lambda m: f"分类器 W\n（{m[1]} 列）\n归一化提示嵌入\n的均值"),
    (re.compile(r"edited \(sim ([\d.]+)\)"), lambda m: f"编辑后（相似度 {m[1]}）"),
    (re.compile(r"prompts: (\d+) templates\n× (\d+) classes(.*?)(?:… (\d+) more)?", re.S),
     lambda m: f"提示：{m[1]} 个模板\n× {m[2]} 个类别{m[3]}" + (f"… 另 {m[4]} 条" if m[4] else "")),
    (re.compile(r"(softmax\(.+\))\n→ class probabilities"), lambda m: f"{m[1]}\n→ 各类别概率"),
]


def _profile(name: str) -> str:
    return {"offline": "离线配置", "paper": "论文配置"}.get(name, f"{name} 配置")


def translate_text(text: str) -> str | None:
    """``text`` in Chinese, or None when the tables do not know it (data: a class name, a prompt,
    a number, a model's name)."""
    if text in FIGURE_ZH:
        return FIGURE_ZH[text]
    for pattern, sub in FIGURE_ZH_PATTERNS:
        m = pattern.fullmatch(text)
        if m is not None:
            return sub(m)
    return None


def needs_translation(text: str) -> bool:
    """Whether an untranslated figure text reads as English prose (two or more lowercase words
    of three letters or more), as opposed to data such as a class name or a prompt."""
    return len(re.findall(r"\b[a-z]{3,}\b", text)) >= 2


def _translated(func: Callable[[float, int | None], str]) -> Callable[[float, int | None], str]:
    """A tick formatter's function whose labels come out translated where the tables know them."""
    def zh(x: float, pos: int | None = None) -> str:
        label = func(x, pos)
        return translate_text(label) or label
    return zh


def translate_figure(fig: Figure, lang: str = "zh") -> list[str]:
    """Rewrite ``fig``'s text in ``lang`` (in place; "en" leaves it as drawn) and give every text a
    font that draws Chinese. Returns the texts the tables did not know (left as they are)."""
    if lang != "zh":
        return []
    families = [_LATIN_FAMILY, cjk_family()]
    unknown: list[str] = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, FixedFormatter):
                formatter.seq = [translate_text(s) or s for s in formatter.seq]
            elif isinstance(formatter, FuncFormatter):  # what set_ticks(..., labels=[...]) leaves
                formatter.func = _translated(formatter.func)
    for artist in fig.findobj(Text):
        text = artist.get_text()
        if text.strip():
            zh = translate_text(text)
            if zh is None:
                unknown.append(text)
            else:
                artist.set_text(zh)
        artist.set_fontfamily(families)
    return unknown
