"""Chinese for the sentences that say what a build ran (the generator, the templates, the solver, the
corruptions, what was not on disk and its download step): :data:`RAN`, merged into
:data:`clip_course.report.catalogue_zh.CATALOGUE`. Split from that module to keep each module small."""

from __future__ import annotations

__all__ = ["RAN"]

RAN: dict[str, str] = {
    "**Which generator ran.** The original course report's StyleCLIP edits ran on StyleGAN2 FFHQ, a generator of 1024 px faces, and so does this chapter when that checkpoint ({checkpoint}, about 380 MB) is on disk. It was not on disk for this build, so no face was edited: the notebook ran the same code on the package's small generator of synthetic shapes, which says nothing about faces, and this report leaves those numbers out. With the checkpoint (Appendix B gives the download step) and a GPU, this chapter edits a face toward \"a woman with purple hair\" as the original course report did, reads the face before and after with CLIP prompts (the purple hair asked for, and the lips, background and clothes the original saw change with it), and shows \"a really sad person\" as a strip of frames.":
        '**运行的是哪个生成器**。原课程报告的 StyleCLIP 编辑是在 StyleGAN2 FFHQ（生成 1024 px 人脸的生成器）上做的；只要该检查点（{checkpoint}，约 380 MB）在磁盘上，本章也用它。本次构建时它不在磁盘上，所以没有编辑任何人脸：笔记本在本软件包的小型合成形状生成器上运行了同一套代码，这说明不了人脸的任何情况，本报告因此略去这些数字。有了该检查点（下载步骤见附录 B）和一块 GPU，本章会像原课程报告那样把一张人脸朝 "a woman with purple hair" 编辑，用 CLIP 提示读出编辑前后的人脸（要求的紫色头发，以及原报告看到随之改变的嘴唇、背景和衣服），并把 "a really sad person" 的过程显示为一排帧。',
    "StyleGAN2 FFHQ (stylegan2-ffhq-config-f.pt, about 380 MB): the face edits of the StyleCLIP chapter (a GPU job)":
        "StyleGAN2 FFHQ（stylegan2-ffhq-config-f.pt，约 380 MB）：StyleCLIP 一章的人脸编辑（需要 GPU）",
    "{names}: the datasets the chapter on zero-shot across datasets sets beside CIFAR":
        "{names}：“跨数据集零样本”一章放在 CIFAR 旁边比较的数据集",
    "This run measured no dataset, so there is no contrast to draw.": "本次运行没有测量任何数据集，因此无从对比。",
    "That contrast needs everyday-object datasets and datasets of another family (specialised, abstract or synthetic) measured side by side; this run measured only {measured}, so it draws none.":
        "这一对比需要把日常物体数据集和另一类数据集（专门领域的、抽象或合成的）放在一起测量；本次运行只测量了 {measured}，因此不作这一对比。",
    "{others} were not on disk for this build; Appendix B gives the download step, and a build after it measures each of them here.":
        "本次构建时 {others} 不在磁盘上；附录 B 给出了下载步骤，下载后的构建会在这里逐一测量它们。",
    "The loaded model's architecture, read off the model itself, beside OpenAI's ViT-B/32: the offline MiniCLIP is the same class at a fraction of the size.":
        "加载的模型的结构，直接从模型本身读出，并列出 OpenAI 的 ViT-B/32：离线的 MiniCLIP 是同一个类，尺寸只有其一小部分。",
    "The architecture of {name}, read off the loaded model itself; its checkpoint's sha256 is the one OpenAI published.":
        "{name} 的结构，直接从加载的模型读出；其检查点的 sha256 与 OpenAI 公布的一致。",
    "The architecture of {name}, read off the loaded model itself, beside OpenAI's ViT-B/32: its sha256 is not the one OpenAI published.":
        "{name} 的结构，直接从加载的模型读出，并列出 OpenAI 的 ViT-B/32：其 sha256 与 OpenAI 公布的不同。",
    "This build used one template, “{template}”, so the ensemble is that template and no ensemble gain is measured; a build with each dataset's own template ensemble (for CIFAR, the 18 templates of the original course report's Appendix 1) measures it.":
        "本次构建只用了一个模板“{template}”，所以提示集成就是这个模板，没有测量集成带来的提升；用每个数据集自己的提示集成（CIFAR 即原课程报告附录 1 的 18 个模板）的构建会测量它。",
    "Zero-shot on {dataset} ({n}-way, {images} test images): {top1} top-1 with the one template this build used, “{template}”.":
        "{dataset} 上的零样本（{n} 类，{images} 张测试图像）：用本次构建唯一的模板“{template}”，top-1 为 {top1}。",
    "On **{name}**, the bare class name scores {bare} and the one template this build used, “{template}”, {single}, on {n} images, where one image is {one} points.":
        "在 **{name}** 上，单独的类名得分 {bare}，本次构建唯一的模板“{template}”得分 {single}；共 {n} 张图像，一张图像相当于 {one} 个百分点。",
    "The captions OpenAI trained CLIP on were mostly English: this section measures how much Chinese {name} has left to read.":
        "OpenAI 训练 CLIP 所用的描述以英文为主：这一节测量 {name} 还能读懂多少中文。",
    "The captions OpenAI trained CLIP on were mostly English; the model here is {name}, so this section measures how much Chinese that checkpoint reads.":
        "OpenAI 训练 CLIP 所用的描述以英文为主；这里的模型是 {name}，所以这一节测量的是这个检查点能读懂多少中文。",
    "One model was measured ({listed}), so there is no accuracy-against-speed comparison: the scaling picture needs several models on the same datasets.":
        "只测量了一个模型（{listed}），因此没有准确率与速度的比较：规模规律需要在相同数据集上比较多个模型。",
    "This build ran {names} at severity {sev} on {n} test images of {dataset}, beside the clean images.":
        "本次构建在 {dataset} 的 {n} 张测试图像上运行了 {names}，强度为 {sev}，并与干净图像对照。",
    "This build ran {names} at severities {sev} on {n} test images of {dataset}, beside the clean images.":
        "本次构建在 {dataset} 的 {n} 张测试图像上运行了 {names}，强度为 {sev}，并与干净图像对照。",
    "The model is {name}, the file whose sha256 OpenAI published, so the published figures are for the same model.":
        "模型是 {name}，即 sha256 与 OpenAI 公布值一致的文件，所以已发表的数字针对的是同一个模型。",
    "The model is {name}, not OpenAI's released file (its sha256 differs), so the published figures are for another model: they are quoted, not matched.":
        "模型是 {name}，不是 OpenAI 发布的文件（sha256 不同），所以已发表的数字针对的是另一个模型：只作引用，不作对照。",
    "Our {quantity} on {dataset} is a {n}-way task (the classes this build's training subset holds), the published figure {m}-way: that row is not comparable.":
        "我们在 {dataset} 上的{quantity}是 {n} 类任务（本次构建训练子集所含的类别），已发表的数字是 {m} 类：这一行不可比。",
    "L-BFGS in PyTorch": "PyTorch 中的 L-BFGS",
    "scikit-learn's L-BFGS": "scikit-learn 的 L-BFGS",
    "{name}: {n} of the {limit} requested": "{name}：{n} 张（要求 {limit} 张）",
    "{name}: {n}": "{name}：{n} 张",
    "This build fitted each probe with {solver}, at most {max_iter} iterations per fit (the paper's protocol allows up to 1,000, so a fit here may stop short of convergence), on these training images: {sizes}.":
        "本次构建用 {solver} 拟合每个线性探测，每次拟合最多 {max_iter} 次迭代（论文的协议允许最多 1,000 次，所以这里的拟合可能未完全收敛），所用训练图像：{sizes}。",
    "This build fitted each probe with {solver}, at most {max_iter} iterations per fit, as in the paper's protocol, on these training images: {sizes}.":
        "本次构建按论文的协议用 {solver} 拟合每个线性探测，每次拟合最多 {max_iter} 次迭代，所用训练图像：{sizes}。",
    "k-shot linear probes (one draw of the training images, k = {k}) against zero-shot (dashed) and the full-data probe":
        "k-shot 线性探测（训练图像只抽样一次，k = {k}）对比零样本（虚线）和全量数据线性探测",
    "k-shot linear probes (one draw of the training images per k, k = {lo} to {hi}) against zero-shot (dashed) and the full-data probe":
        "k-shot 线性探测（每个 k 只抽样一次训练图像，k = {lo} 至 {hi}）对比零样本（虚线）和全量数据线性探测",
    "From the linear-probe chapter:": "线性探测一章的结果：",
    "measured in": "测量位置",
    "the linear-probe chapter": "线性探测一章",
    "this chapter": "本章",
    "These are CIFAR test images and OpenAI's released weights, so the {what} are for the same model; the paper's figures (Table 11) use its 18-template ensemble and this build {k} templates, so the templates are part of any difference.":
        "这些是 CIFAR 测试图像和 OpenAI 发布的权重，所以{what}针对的是同一个模型；论文的数字（表 11）用的是 18 个模板的提示集成，本次构建用了 {k} 个模板，所以任何差异中都包含模板的影响。",
    "This build evaluates {name}, not OpenAI's released weights; the scale of OpenAI's training is cited in the introduction, not reproduced.":
        "本次构建评估的是 {name}，不是 OpenAI 发布的权重；OpenAI 的训练规模在引言中引用，没有复现。",
    "Not on disk for this build": "本次构建时不在磁盘上的文件",
    "What a build with these files adds, and the command that downloads each (it needs internet); then build the report again.":
        "有了这些文件构建会多出什么，以及下载每一项的命令（需要联网）；下载后重新构建报告。",
    "**Which generator ran.** StyleGAN2 FFHQ, a generator of 1024 px faces ({checkpoint}, the checkpoint StyleCLIP uses), guided by {model}: a face is edited toward \"a woman with purple hair\" as in the original course report, CLIP's own prompts read the face before and after, and \"a really sad person\" is shown as a strip of frames.":
        '**运行的是哪个生成器**。StyleGAN2 FFHQ，生成 1024 px 人脸的生成器（{checkpoint}，StyleCLIP 所用的检查点），由 {model} 引导：像原课程报告一样把一张人脸朝 "a woman with purple hair" 编辑，用 CLIP 自己的提示读出编辑前后的人脸，并把 "a really sad person" 的过程显示为一排帧。',
}
