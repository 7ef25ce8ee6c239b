"""The report's references (moved out of report/pdf.py, which imports them)."""

from __future__ import annotations

__all__ = ["REFERENCES", "references", "REFERENCES_ZH"]

#: The references: the original course report's, in its order, plus those this edition adds. The
#: text cites one as ``[ref](#ref-<key>)``; the report numbers it ``[n]`` (see :func:`number_floats`).
REFERENCES = {
    "radford2021": "Alec Radford, Jong Wook Kim, Chris Hallacy, Aditya Ramesh et al.: Learning Transferable "
    "Visual Models From Natural Language Supervision. ICML 2021. arXiv: https://arxiv.org/abs/2103.00020",
    "patashnik2021": "Or Patashnik, Zongze Wu, Eli Shechtman et al.: StyleCLIP: Text-Driven Manipulation of "
    "StyleGAN Imagery. ICCV 2021. arXiv: https://doi.org/10.48550/arXiv.2103.17249",
    "frans2021": "Kevin Frans, L.B. Soros, Olaf Witkowski: CLIPDraw: Exploring Text-to-Drawing Synthesis "
    "through Language-Image Encoders. arXiv: https://doi.org/10.48550/arXiv.2106.14843",
    "schaldenbrand2021": "Peter Schaldenbrand, Zhixuan Liu, Jean Oh: StyleCLIPDraw: Coupling Content and Style "
    "in Text-to-Drawing Synthesis. arXiv: https://doi.org/10.48550/arXiv.2111.03133",
    "openai-blog": "OpenAI: CLIP: Connecting text and images (blog post). https://openai.com/blog/clip/",
    "bilibili": "A video lecture on the CLIP paper (in Chinese). https://www.bilibili.com/video/BV1SL4y1s7LQ/",
    "zhihu-a": "A commentary on CLIP (in Chinese). https://zhuanlan.zhihu.com/p/412126626",
    "zhihu-b": "A commentary on CLIP and its applications (in Chinese). https://zhuanlan.zhihu.com/p/526449242",
    "zhihu-c": "An introduction to StyleGAN (in Chinese). https://zhuanlan.zhihu.com/p/63230738",
    "openai-clip": "openai/CLIP: the code and weights. https://github.com/openai/CLIP",
    "styleclip-tutorial": "ndb796: StyleCLIP tutorial notebooks. https://github.com/ndb796/StyleCLIP-Tutorial",
    "clip-benchmark": "LAION-AI: CLIP_benchmark, a benchmark of CLIP-like models on zero-shot classification and "
    "retrieval. https://github.com/LAION-AI/CLIP_benchmark",
    "hendrycks2019": "Dan Hendrycks, Thomas Dietterich: Benchmarking Neural Network Robustness to Common "
    "Corruptions and Perturbations. ICLR 2019 (CIFAR-10-C).",
}

#: The Chinese edition's wording of the entries whose descriptions are English prose (titles of
#: papers stay as published).
REFERENCES_ZH = {
    "openai-blog": "OpenAI：CLIP: Connecting text and images（博客文章）。https://openai.com/blog/clip/",
    "bilibili": "CLIP 论文讲解视频（中文）。https://www.bilibili.com/video/BV1SL4y1s7LQ/",
    "zhihu-a": "CLIP 解读（中文，知乎专栏）。https://zhuanlan.zhihu.com/p/412126626",
    "zhihu-b": "CLIP 及其应用解读（中文，知乎专栏）。https://zhuanlan.zhihu.com/p/526449242",
    "zhihu-c": "StyleGAN 介绍（中文，知乎专栏）。https://zhuanlan.zhihu.com/p/63230738",
    "openai-clip": "openai/CLIP：代码与权重。https://github.com/openai/CLIP",
    "styleclip-tutorial": "ndb796：StyleCLIP 教程笔记本。https://github.com/ndb796/StyleCLIP-Tutorial",
    "clip-benchmark": "LAION-AI：CLIP_benchmark，benchmark/benchmark.csv。https://github.com/LAION-AI/CLIP_benchmark"
    "（本版新增）",
    "hendrycks2019": "Dan Hendrycks, Thomas Dietterich: Benchmarking Neural Network Robustness to Common "
    "Corruptions and Perturbations. ICLR 2019（CIFAR-10-C；本版新增）",
}


def references(lang: str) -> dict[str, str]:
    """The references in ``lang``, in the same order and with the same keys as :data:`REFERENCES`."""
    return {k: REFERENCES_ZH.get(k, v) if lang == "zh" else v for k, v in REFERENCES.items()}
