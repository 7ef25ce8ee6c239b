"""The Chinese of the open-models section (:mod:`clip_course.report.prose_open` and notebook 07's
open-models cells).

Merged into :data:`clip_course.report.catalogue_zh.CATALOGUE`; same conventions (keys are the English
msgids exactly, with the same placeholders).
"""

from __future__ import annotations

__all__ = ["OPEN_MODELS"]

#: English msgid -> Chinese.
OPEN_MODELS: dict[str, str] = {
    "{arch}: from LAION-400M to LAION-2B the published zero-shot top-1 changes by a positive amount on "
    "{up} of {n} datasets ({up_list}) and by zero or less on {down_list}; LAION-2B's figure exceeds "
    "OpenAI's (WIT-400M) on {beat} of {m}.":
        "{arch}：预训练数据从 LAION-400M 换成 LAION-2B 后，已发表的零样本 top-1 在 {n} 个数据集中的 {up} 个上提高，"
        "即 {up_list}；在 {down_list} 上持平或下降；LAION-2B 的数字在 {m} 个数据集中的 {beat} 个上超过 OpenAI 的"
        "（WIT-400M）。",
    "Mean published top-1 over these {n} datasets at equal compute, lowest first: {parts}. The highest "
    "mean is {model}'s on {data} ({acc}, {gmacs} GMACs).":
        "相同计算量下，这 {n} 个数据集上已发表 top-1 的平均值（从低到高）如下。{parts}。平均值最高的是在 {data} 上"
        "训练的 {model}（{acc}，{gmacs} GMACs）。",
    "The original course report closed on a worry: a model like CLIP needs data and compute that few "
    "hold, and one pretrained model might come to take all. In these published figures, a model trained "
    "by others on open data (LAION-2B) reaches a zero-shot top-1 that exceeds OpenAI's {arch} on {beat} of "
    "the {n} datasets that report discusses.":
        "原课程报告以一个担忧作结：像 CLIP 这样的模型需要只有少数机构才拥有的数据和算力，某个预训练模型可能一家独大。"
        "在这些已发表的数字中，他人用开放数据（LAION-2B）训练的模型，在该报告讨论的 {n} 个数据集中的 {beat} 个上，"
        "零样本 top-1 超过 OpenAI 的 {arch}。",
    "More open data did not raise every figure: from LAION-400M to LAION-2B it changed by zero "
    "or less on {names}.":
        "更多的开放数据并没有提高每一个数字：从 LAION-400M 到 LAION-2B，{names} 持平或下降。",
    "The table gives no training cost, so it cannot say who can afford to train such a model; "
    "it shows that OpenAI's model is not the only one at this accuracy.":
        "该表没有给出训练成本，因此无法说明谁负担得起训练这样的模型；它表明的是，达到这一准确率的并非只有 "
        "OpenAI 的模型。",
    "not comparable": "不可比",
    "no open model": "没有开放模型",
    "[Table](#tab-open-measured) gives each model's zero-shot top-1 measured here on {dataset} ({n} test "
    "images, template ensemble): {parts}.":
        "[表](#tab-open-measured) 给出每个模型在此于 {dataset} 上测得的零样本 top-1（{n} 张测试图像，提示集成）：{parts}。",
    "Not comparable with CLIP_benchmark's figures: {models} (the checkpoint's sha256 "
    "is not that of the file CLIP_benchmark measured).":
        "不能与 CLIP_benchmark 的数字比较：{models}（检查点的 sha256 不是 CLIP_benchmark 所测文件的 sha256）。",
    "This offline build shows the published part only: its one model is MiniCLIP, and the paper "
    "profile measures the models of the open_models parameter whose weights are on disk.":
        "本次离线构建只显示已发表的数字：离线配置唯一的模型是 MiniCLIP，没有其他开放模型可供实测。",
    "Not measured, weights not on disk: {models}.": "未测量（权重不在磁盘上）：{models}。",
}
