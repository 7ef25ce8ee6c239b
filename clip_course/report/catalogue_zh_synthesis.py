"""The Chinese of the report's frame: the title page, the abstract's and the conclusions' synthesis,
Appendix B's notes.

Merged into :data:`clip_course.report.catalogue_zh.CATALOGUE`; same conventions (keys are the English
msgids exactly, the same placeholders).
"""

from __future__ import annotations

__all__ = ["SYNTHESIS"]

#: English msgid -> Chinese.
SYNTHESIS: dict[str, str] = {
    "Course report": "课程设计报告",
    "CLIP course report": "CLIP 课程设计报告",
    "A reading of the paper, with its zero-shot, linear-probe and StyleCLIP experiments reproduced and measured":
        "论文解读，并复现、测量其零样本、线性探测与 StyleCLIP 实验",
    "Measured on MiniCLIP and ShapesWorld, a small CLIP trained for this report":
        "在 MiniCLIP 与 ShapesWorld 上测量：为本报告训练的小型 CLIP",
    "Measured on OpenAI's released CLIP weights": "在 OpenAI 发布的 CLIP 权重上测量",
    "A new edition of a 2022 course report on CLIP (the original course report, in Chinese); how this edition was "
    "built is in Appendix B.":
        "本报告是 2022 年一份 CLIP 课程设计报告（原课程报告，中文）的新版；本版的构建方式见附录 B。",
    "Parameters in bold were set for this build; the rest are the notebook's defaults. Each chapter's numbers come "
    "from the notebook of the same number, executed in this build.":
        "粗体参数为本次构建所设；其余为笔记本的默认值。每章的数字来自同编号的笔记本，均在本次构建中执行。",
}
