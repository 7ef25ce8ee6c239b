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
    "Measured on {model}": "测量对象：{model}",
    "A new edition of a 2022 course report on CLIP (the original course report, in Chinese); how this edition was "
    "built is in Appendix B.":
        "本报告是 2022 年一份 CLIP 课程设计报告（原课程报告，中文）的新版；本版的构建方式见附录 B。",
    "Parameters in bold were set for this build; the rest are the notebook's defaults. Each chapter's numbers come "
    "from the notebook of the same number, executed in this build.":
        "粗体参数为本次构建所设；其余为笔记本的默认值。每章的数字来自同编号的笔记本，均在本次构建中执行。",
    # the style-shift rule, stated once (prose.style_shift_sentence)
    "the {style} style": "{style}风格",
    "photo": "照片",
    "outline": "轮廓",
    "sketch": "素描",
    "cartoon": "卡通",
    "flat": "平面",
    "{name}: the probe scores {probe} (clean {cprobe}), not detectably lower, so not a shift":
        "{name}：线性探测得分 {probe}（干净集 {cprobe}），没有可检测的下降，因此不算分布偏移",
    "{name}: the probe falls from {cprobe} to {probe} and zero-shot from {czs} to {zs}; zero-shot keeps {kzs} of its "
    "clean accuracy and the probe {kprobe}, a difference of {d} points of share ({ci}): {verdict}":
        "{name}：线性探测从 {cprobe} 降到 {probe}，零样本从 {czs} 降到 {zs}；零样本保留其无扰动准确率的 {kzs}，"
        "线性探测保留 {kprobe}，保留比例相差 {d} 个百分点（{ci}）：{verdict}",
    "Trained and tested on flat {dataset} images, then tested on the same scenes in other styles. A style counts as a "
    "distribution shift when the probe, trained on the flat style, scores detectably below its clean accuracy on it "
    "(the 95% interval of the difference excludes zero). {parts}.":
        "在平面风格的 {dataset} 图像上训练和测试，再在其他风格绘制的相同场景上测试。若在平面风格上训练的线性探测在某一风格上"
        "的得分可检测地低于其无扰动准确率（二者之差的 95% 置信区间不含零），该风格即算作分布偏移。{parts}。",
    "No style lowers the probe's clean accuracy: these sets are not distribution shifts for this model, so no "
    "robustness verdict is drawn.":
        "没有哪种风格降低线性探测的无扰动准确率：这些测试集对该模型不构成分布偏移，因此不作鲁棒性判断。",
    "On the one style that is a shift, {who}: {paper} for natural shifts (its Figures 13 and 14).":
        "在唯一构成偏移的风格上，{who}：就自然分布偏移而言，{paper}（论文图 13 和图 14）。",
    "Of the {n} styles that are shifts, zero-shot keeps the larger share on {k} and the probe on {p}: {paper} for "
    "natural shifts (its Figures 13 and 14).":
        "在构成偏移的 {n} 种风格中，零样本在 {k} 种上保留的比例更大，线性探测在 {p} 种上更大：就自然分布偏移而言，"
        "{paper}（论文图 13 和图 14）。",
    # one sign everywhere: zero-shot minus the probe
    "In the paper (ViT-B/32, Tables 10 and 11) zero-shot minus the probe is {c10} points on CIFAR-10 and {c100} on "
    "CIFAR-100.":
        "论文中（ViT-B/32，表 10 和表 11），零样本减线性探测在 CIFAR-10 上为 {c10} 个百分点，在 CIFAR-100 上为 {c100}。",
    "on {name} it is {d} points ({ci}) against the paper's {paper} on {ref} ({how}): {words}":
        "在 {name} 上为 {d} 个百分点（{ci}），论文在 {ref} 上为 {paper}（{how}）：{words}",
    # the abstract's findings and meaning (prose_report.abstract_summary)
    "On {dataset} ({n}-way, {images} test images), zero-shot, built from class names alone, reaches {zs} top-1, and "
    "a linear probe trained on {train} labelled images {probe}: {diff}.":
        "在 {dataset} 上（{n} 类，{images} 张测试图像），仅由类名构成的零样本分类器 top-1 为 {zs}，"
        "用 {train} 张有标注图像训练的线性探测为 {probe}：{diff}。",
    "Zero-shot is as good as what its captions say: where the prompts name what pretraining described, it needs no "
    "labels; where the captions are silent, as on counting, only labels carry the task.":
        "零样本的能力取决于预训练描述说了什么：提示所说的正是预训练描述过的内容时，它无需任何标注；描述从未提及的属性"
        "（如数量）上，只有标注才能完成任务。",
    "Labels help on both tasks: zero-shot is a classifier that costs no labels, not a replacement for them, and it "
    "cannot read what its captions never state.":
        "标注在两个任务上都有帮助：零样本是一种不花标注成本的分类器，而不是标注的替代品，它也读不出描述从未提及的内容。",
    "None of the {k} other drawing styles of the same scenes lowers the probe's clean accuracy, so they are not "
    "distribution shifts for this model and carry no robustness verdict.":
        "同一场景的其他 {k} 种绘制风格都没有降低线性探测的无扰动准确率，因此对该模型不构成分布偏移，不作鲁棒性判断。",
    "{name} {d} points (95% CI {lo} to {hi})": "{name} {d} 个百分点（95% 置信区间 {lo} 至 {hi}）",
    "zero-shot keeps the larger share on {m} of them and the probe on {p}":
        "零样本在其中 {m} 种上保留的比例更大，线性探测在 {p} 种上更大",
    "zero-shot keeps the larger share on {m} of them": "零样本在其中 {m} 种上保留的比例更大",
    "the probe keeps the larger share on {p} of them": "线性探测在其中 {p} 种上保留的比例更大",
    "neither classifier keeps a detectably larger share": "两种分类器保留的比例没有可检测的差别",
    "only {name} lowers the probe's clean accuracy and so counts as a distribution shift":
        "只有{name}降低了线性探测的无扰动准确率，因而算作分布偏移",
    "{s} lower the probe's clean accuracy and so count as distribution shifts":
        "有 {s} 种降低了线性探测的无扰动准确率，因而算作分布偏移",
    "Of the {k} other drawing styles of the same scenes, {lowers}; the share of its clean accuracy zero-shot keeps "
    "minus the probe's is {gaps}: {who}, {paper}.":
        "同一场景的其他 {k} 种绘制风格中，{lowers}；零样本保留的无扰动准确率比例减去线性探测保留的比例为：{gaps}。"
        "{who}，{paper}。",
    "Chapter 3's classification did not run in this build.": "本次构建没有运行第 3 章的分类。",
    # the conclusions (prose_report.conclusions)
    "Both classifiers work, and on {dataset} the one written in words is even ahead of the one trained on labels.":
        "两种分类器都有效，而且在 {dataset} 上，用文字写成的分类器甚至领先于用标注训练的分类器。",
    "Both classifiers work, but they are not interchangeable: on {dataset} labels still buy accuracy that class "
    "names alone do not.":
        "两种分类器都有效，但不能互相替代：在 {dataset} 上，标注仍能带来仅靠类名得不到的准确率。",
    "Both classifiers work: on {dataset} a classifier written in words, with no label at all, is not detectably "
    "behind one trained on labels.":
        "两种分类器都有效：在 {dataset} 上，完全不用标注、用文字写成的分类器并不可检测地落后于用标注训练的分类器。",
    "Zero-shot classifies the test sets from their class names alone (chapter 3).":
        "零样本仅凭类名对测试集进行分类（第 3 章）。",
    "The probe is a linear layer on frozen features, as in the paper and the original course report, rather than "
    "fine-tuning: it measures what the pretrained features already hold.":
        "与论文和原课程报告一样，线性探测是在冻结特征上训练的一个线性层，而不是微调：它衡量的是预训练特征本身已经包含的信息。",
    "Counting, a property no caption states, is no weakness of zero-shot here.":
        "计数是任何描述都不提及的属性，但在这里并不是零样本的弱点。",
    "The downstream task decides: counting, a property no caption states, is where zero-shot falls behind labels, "
    "while the same features let a probe count.":
        "下游任务起决定作用：计数是任何描述都不提及的属性，零样本在这里落后于标注，而同样的特征足以让线性探测学会计数。",
    "Counting, a property no caption states, separates neither classifier from the other here.":
        "计数是任何描述都不提及的属性，在这里两种分类器没有可检测的差别。",
    "Other drawing styles of the same scenes are no shift for this model's probe, so they say nothing about "
    "robustness.":
        "同一场景的其他绘制风格对该模型的线性探测不构成偏移，因此不能说明鲁棒性。",
    "Where a drawing style does shift the data, the question is who keeps more of what they learned: {paper} "
    "(chapter 4).":
        "在确实构成分布偏移的绘制风格上，问题在于哪种分类器保留了更多已学到的能力：{paper}（第 4 章）。",
    "The bias of the pretraining data itself is not measured here: what a model can do is bounded by what its "
    "captions say.":
        "这里没有测量预训练数据本身的偏差：模型能做什么，受限于其描述文本说了什么。",
    "The method itself works at toy scale: a small CLIP pretrained on a CPU in minutes learns a zero-shot classifier "
    "for the shapes its captions name. What scale adds, the breadth of concepts that made OpenAI's CLIP general, "
    "cannot be shown this way; the paper's training scale is cited in the introduction, not reproduced.":
        "方法本身在玩具规模上就能奏效：一个在 CPU 上预训练几分钟的小型 CLIP，就能为其描述中提到的形状学会零样本分类器。"
        "规模带来的东西，即让 OpenAI 的 CLIP 具有通用性的概念广度，无法用这种方式展示；论文的训练规模在引言中引用，未加复现。",
    "StyleCLIP shows the same limit from the other side: a higher CLIP similarity to the prompt is not the edit the "
    "prompt asks for, which is why chapter 6 reads each edit with a separate classifier.":
        "StyleCLIP 从另一面显示了同样的局限：与提示的 CLIP 相似度更高，并不等于完成了提示要求的编辑，"
        "所以第 6 章用一个独立的分类器来判读每次编辑。",
    "This is an argument about the field rather than a measurement, and nothing measured here settles it. Chapter 5 "
    "sets published figures of CLIP models trained by others on public data beside OpenAI's: the method is not one "
    "laboratory's alone, but what training at that scale costs, which decides who can do it, is not in those figures.":
        "这是关于整个领域的论点而非测量，这里测得的任何结果都不能回答它。第 5 章把他人用公开数据训练的 CLIP 模型的公开数字"
        "与 OpenAI 的并列：这一方法并非某一家实验室独有；但在这种规模上训练的成本，即决定谁能做到的因素，并不在这些数字之中。",
    "All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods behave, not how well OpenAI's "
    "CLIP performs.":
        "以上都是 MiniCLIP 在 ShapesWorld 上的数字：它们展示的是方法的行为，而不是 OpenAI 的 CLIP 的性能。",
    "Findings.": "发现。",
    "Where a drawing style does shift the data, zero-shot, which learned from many styles of caption and image, "
    "keeps more of its clean accuracy than the probe trained on one style: {paper} for natural shifts (chapter 4).":
        "在确实构成分布偏移的绘制风格上，从多种风格的图像与描述中学习的零样本，比只在一种风格上训练的线性探测保留了更多的"
        "无扰动准确率：就自然分布偏移而言，{paper}（第 4 章）。",
    "Where a drawing style does shift the data, the probe keeps more of its clean accuracy than zero-shot: {paper} "
    "for natural shifts (chapter 4).":
        "在确实构成分布偏移的绘制风格上，线性探测比零样本保留了更多的无扰动准确率：就自然分布偏移而言，{paper}（第 4 章）。",
    "Where a drawing style does shift the data, neither classifier keeps detectably more of its clean accuracy on "
    "every such style (chapter 4).":
        "在确实构成分布偏移的绘制风格上，两种分类器都没有在每一种这样的风格上可检测地保留更多无扰动准确率（第 4 章）。",
    "StyleCLIP's edit failed: the separate classifier that reads each edited image did not find the requested "
    "attribute in a detectable share of the edits, so the other changes it saw are the edit failing, not "
    "entanglement.":
        "StyleCLIP 的编辑失败了：判读每张编辑后图像的独立分类器，没有在可检测比例的编辑中发现所要求的属性，"
        "因此它看到的其他变化是编辑失败，而不是特征纠缠。",
    "StyleCLIP's edit reached the request without a detectable unrequested change.":
        "StyleCLIP 的编辑达到了要求，且没有可检测的非预期变化。",
    "StyleCLIP's edit reached the request and also changed what was not asked: the edits entangle, as the original "
    "course report saw on faces.":
        "StyleCLIP 的编辑达到了要求，同时也改变了未要求的内容：编辑出现特征纠缠，与原课程报告在人脸上看到的一样。",
    "A higher CLIP similarity to the prompt is not the edit the prompt asks for (chapter 6).":
        "与提示的 CLIP 相似度更高，并不等于完成了提示所要求的编辑（第 6 章）。",
    "This build ran {n} corruptions ({kinds}) at severities {sev}, each on the same {images} test images.":
        "本次构建运行了 {n} 种损坏（{kinds}），强度为 {sev}，每种都作用于同样的 {images} 张测试图像。",
    "k-shot linear probes (mean ± spread over {d} draws, k = {lo} to {hi}) against zero-shot (dashed) and the "
    "full-data probe":
        "k-shot 线性探测（{d} 次抽样的均值 ± 离散程度，k = {lo} 至 {hi}）对比零样本（虚线）和全量数据的线性探测",
    "k-shot linear probes (one draw per k, so no spread, k = {lo} to {hi}) against zero-shot (dashed) and the "
    "full-data probe":
        "k-shot 线性探测（每个 k 只抽样一次，因此没有离散程度，k = {lo} 至 {hi}）对比零样本（虚线）和全量数据的线性探测",
    "On {name}, the class prompt finds an image of its class first for {r1} of the {n} classes (a random ranking: "
    "{c1}) and within the top 10 for {r10} (random: {c10}); on average {p10} of the top 10 images are of the queried "
    "class (random: {cp10}), since each class holds only a few of the {images} images.":
        "在 {name} 上，类别提示把本类图像排在第一位的比例为 {r1}（共 {n} 个类别；随机排序：{c1}），排进前 10 的比例为 "
        "{r10}（随机：{c10}）；前 10 张图像中平均有 {p10} 属于所查询的类别（随机：{cp10}），因为 {images} 张图像中每个类别只有少数几张。",
    "chance recall@10": "随机 recall@10",
    "{name}, {n} seen classes": "{name}（{n} 个见过的类别）",
    "Where the paper's probe advantage is not reproduced here, the training set is the likely reason: the paper's "
    "probes learn from each dataset's full training set, these from {n} labelled images.":
        "论文中线性探测的优势在这里没有复现的地方，最可能的原因是训练集：论文的线性探测使用每个数据集的完整训练集，"
        "而这里只用了 {n} 张有标注图像。",
    "The Chinese-prompt classifier is at or below chance (95% CI {lo} to {hi}, chance {chance}): it reads nothing of "
    "its Chinese prompts.":
        "中文提示分类器处于或低于随机水平（95% 置信区间 {lo} 至 {hi}，随机水平 {chance}）：它读不出中文提示的任何信息。",
    "StyleCLIP's edit reached the requested {attribute} in {reached} of the {n} edits, without a detectable "
    "unrequested change.":
        "在 {n} 次 StyleCLIP 编辑中，所要求的{attribute}达到的比例为 {reached}，未检测到其他属性的变化。",
    "StyleCLIP's edit reached the requested {attribute} in {reached} of the {n} edits and changed what was not "
    "asked as well (the {other} in {changed} of them): the edits entangle, as the original course report saw on "
    "faces.":
        "在 {n} 次 StyleCLIP 编辑中，所要求的{attribute}达到的比例为 {reached}，同时未要求的属性也随之改变"
        "（{other}改变的比例为 {changed}）：编辑存在特征纠缠，与原课程报告在人脸上看到的一致。",
    "StyleCLIP's edit failed: the separate classifier that reads each edited image found the requested {attribute} "
    "in {reached} of the {n} edits, not a detectable share, so the other changes it saw are the edit failing, not "
    "entanglement.":
        "StyleCLIP 的编辑没有成功：独立读取每张编辑结果的分类器在 {n} 次编辑中只看到 {reached} 达到所要求的{attribute}，"
        "达不到可检测的比例，因此它看到的其他变化是编辑失败，而不是特征纠缠。",
}
