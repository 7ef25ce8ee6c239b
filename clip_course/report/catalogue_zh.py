"""The Chinese edition's text: every generated English msgid and its Chinese, written by hand.

Keys are the English texts exactly as :func:`clip_course.report.i18n.tr` receives them, with the
same ``{placeholders}``; ``tests/test_i18n.py`` fails on a msgid of the package or templates that
is missing here. Terms follow a Chinese ML course (see :data:`GLOSSARY`); the original course
report's sections are cited by their own titles (四.1 …). Numbers arrive already formatted.
"""

from __future__ import annotations

from clip_course.report.catalogue_zh_open import OPEN_MODELS
from clip_course.report.catalogue_zh_ran import RAN
from clip_course.report.catalogue_zh_synthesis import SYNTHESIS
from clip_course.report.catalogue_zh_verdicts import VERDICTS

__all__ = ["CATALOGUE", "GLOSSARY"]

#: English msgid -> Chinese.
CATALOGUE: dict[str, str] = {
    # ------------------------------------------------------------------ words and numbers
    "the original course report": "原课程报告",
    "points": "个百分点",
    "95% CI {lo} to {hi}": "95% 置信区间 {lo} 至 {hi}",
    "no interval: a single measurement": "无区间：仅一次测量",
    "no detectable difference between {a} and {b} ({d} {unit}, {ci})": "{a}与{b}之间差异不显著（{d} {unit}，{ci}）",
    "{a} is {d} {unit} above {b} ({ci})": "{a}比{b}高 {d} {unit}（{ci}）",
    "{a} is {d} {unit} below {b} ({ci})": "{a}比{b}低 {d} {unit}（{ci}）",
    "{a} is {d} {unit} below {b} (95% CI {lo} to {hi})": "{a}比{b}低 {d} {unit}（95% 置信区间 {lo} 至 {hi}）",
    "no detectable difference": "差异不显著",
    "nothing new": "无",
    "{a} = {v} in {share}": "{a}达到 {v} 的比例为 {share}",
    "{a} in {share}": "{a}改变的比例为 {share}",
    "none": "无",
    "the ensemble": "提示集成",
    "the single template": "单一模板",
    "the linear probe": "线性探测",
    "the probe": "线性探测",
    "zero-shot": "零样本",
    "ensemble": "提示集成",
    "single": "单一模板",
    "the Chinese-prompt classifier": "中文提示分类器",
    "the English-prompt classifier": "英文提示分类器",
    "near chance": "接近随机水平",
    "above chance": "高于随机水平",
    # ------------------------------------------------------------------ 02 single images
    "Winners step by step: {winners}. The newly added prompt won {won} of {n} refinements; the winner changed "
    "{changes} time.": "逐步胜出的提示：{winners}。在 {n} 次细化中，新加入的提示胜出 {won} 次；胜出者更换了 {changes} 次。",
    "Winners step by step: {winners}. The newly added prompt won {won} of {n} refinements; the winner changed "
    "{changes} times.": "逐步胜出的提示：{winners}。在 {n} 次细化中，新加入的提示胜出 {won} 次；胜出者更换了 {changes} 次。",
    ", ahead of “{prompt}” ({p})": "，其次是“{prompt}”（{p}）",
    "; last: “{prompt}” ({p})": "；排在最后的是“{prompt}”（{p}）",
    "Here **“{top}”** wins with {p}{tail}{last}.": "排在首位的是“**{top}**”（{p}）{tail}{last}。",
    "The {total} images get {k} different top prompts.": "{total} 张图像得到 {k} 个不同的最高提示。",
    "{n} of the {total} images get the same top prompt, “{prompt}”.":
        "{total} 张图像中有 {n} 张得到同一个最高提示“{prompt}”。",
    "MiniCLIP has only ever seen ShapesWorld renders: a photo gives it nothing it has learned to read, so its "
    "ranking of photos says nothing about the photos.":
        "MiniCLIP 只见过 ShapesWorld 的渲染图，照片中没有它学过的任何特征，因此它对照片的排序不反映照片的内容。",
    "The single word “{word}” wins ({p}): the finding of {original} reproduces here.":
        "单个词“{word}”胜出（{p}）：{original}的发现在此得到复现。",
    "The finding of {original} does not reproduce here: the salient word “{word}” gets {p} and “{top}” wins.":
        "{original}的发现在此没有复现：显著词“{word}”只得到 {p}，胜出的是“{top}”。",
    "Progressive refinement": "逐步细化",
    "A single dominant word": "单个主导词",
    "Generic against specific labels": "泛化标签与具体标签",
    "Drawn rather than rendered": "素描风格而非平面渲染",
    "A composite picture": "合成图片",
    "Does each more detailed (and true) prompt take over from the vaguer ones?":
        "每个更详细（且正确）的提示能否取代更模糊的提示？",
    "Does one salient word ('striped', as 'anime' in the original course report) beat full descriptions?":
        "一个显著词（“striped”，如同原课程报告中的“anime”）能否胜过完整的描述？",
    "Is the specific true label preferred to the generic one, and a specific false one rejected?":
        "具体且正确的标签是否优于泛化标签，具体但错误的标签是否被拒绝？",
    "Is a pencil sketch of the scene still read as its content (the original course report's images 2 and 3, "
    "a drawing and a photo)?": "场景的铅笔素描是否仍被读作其内容（原课程报告“二、单图测试”中的图片 2 和 3，一张绘画、一张照片）？",
    "Does the description of the whole composite win, or one of its parts (the original course report's image 6)?":
        "胜出的是整幅合成图的描述，还是其中某一部分（原课程报告“二、单图测试”中的图片 6）？",
    "Does a style word ('anime', as in the original course report's image 2) dominate real descriptions?":
        "风格词（“anime”，如原课程报告“二、单图测试”中的图片 2）是否压过真实的描述？",
    "A photo with the drawing's prompts": "用手绘图的提示测试照片",
    "A photo against a drawing": "照片与绘画对比",
    "A diagram with model names": "带模型名称的示意图",
    "Does each more detailed prompt take over from the vaguer ones, as 'map' → 'a white map' → 'Chinese province' did on the original course report's image 1?":
        "每个更详细的提示能否取代更模糊的提示，就像原课程报告图片 1 上的“map”→“a white map”→“Chinese province”那样？",
    "Does the style word 'anime' dominate the descriptions of a drawn picture, as on the original course report's image 2?":
        "风格词“anime”能否压过对一幅绘画的描述，就像原课程报告的图片 2 那样？",
    "Is the specific 'emblem of beihang university' preferred to the generic labels and to a specific false one, as on the original course report's image 4?":
        "具体的“emblem of beihang university”是否优于泛化标签和一个具体但错误的标签，就像原课程报告的图片 4 那样？",
    "With the same prompts as the drawing, does 'a person laughing with a dog' win on a photo of a person (the original course report's image 3 against its image 2)?":
        "用与那幅绘画相同的提示，“a person laughing with a dog”能否在一张人物照片上胜出（原课程报告的图片 3 对比其图片 2）？",
    "Does 'nlp', a word the diagram never writes, beat the model names it does write (the original course report's image 5)?":
        "示意图中从未写出的词“nlp”能否胜过图中写出的模型名称（原课程报告的图片 5）？",
    "Do 'sky' and 'architecture' win while the painted lawn is not read as 'green grass' or 'lawn' (the original course report's image 6)?":
        "“sky”和“architecture”是否胜出，而涂色的草坪没有被读作“green grass”或“lawn”（原课程报告的图片 6）？",
    # ------------------------------------------------------------------ 03 zero-shot
    "With the {template} prompts, {coarse} ({coarse_task}) scores {coarse_top1} top-1; {fine} ({fine_task}, finer "
    "classes) scores {fine_top1} top-1: {verdict}.":
        "使用{template}时，{coarse}（{coarse_task}）的 top-1 为 {coarse_top1}；{fine}（{fine_task}，类别更细）的 "
        "top-1 为 {fine_top1}：{verdict}。",
    "{n}-way{of}, chance {chance}, {images} images": "{n} 类{of}，随机水平 {chance}，{images} 张图像",
    ", test images of {k} classes": "，测试图像来自 {k} 个类别",
    "top-1 drops by {d} points (95% CI {lo} to {hi}), as {original} found on CIFAR":
        "top-1 下降 {d} 个百分点（95% 置信区间 {lo} 至 {hi}），与{original}在 CIFAR 上的发现一致",
    "top-1 rises by {d} points ({ci}), the opposite of {original}'s CIFAR finding":
        "top-1 上升 {d} 个百分点（{ci}），与{original}在 CIFAR 上的发现相反",
    "there is no detectable difference ({d} points, {ci}), unlike CIFAR in {original}":
        "差异不显著（{d} 个百分点，{ci}），不同于{original}中的 CIFAR",
    "on {name} ({k} templates) {diff}": "在 {name} 上（{k} 个模板），{diff}",
    "Ensemble against single template, top-1: {parts}.": "提示集成对比单一模板（top-1）：{parts}。",
    "On {name} ({n} images, chance {chance}), the classifier built from Chinese class names and templates scores "
    "{zh} top-1 and the English one {en}: {diff}.":
        "在 {name} 上（{n} 张图像，随机水平 {chance}），由中文类名和中文模板构建的分类器 top-1 为 {zh}，英文分类器为 "
        "{en}：{diff}。",
    # ------------------------------------------------------------------ 04 probe
    "On {name} the k-shot probe stays below zero-shot ({zs}) up to {k} examples per class (best {best}).":
        "在 {name} 上，直到每类 {k} 个样本，k-shot 线性探测仍低于零样本的 {zs}（最好为 {best}）。",
    "On {name} {k} labelled example per class already gives {acc}, at or above zero-shot ({zs}).":
        "在 {name} 上，每类 {k} 个标注样本已达到 {acc}，不低于零样本（{zs}）。",
    "On {name} the k-shot probe matches zero-shot ({zs}) at about {k} labelled examples per class (interpolated "
    "in log k between the measured k).":
        "在 {name} 上，k-shot 线性探测约在每类 {k} 个标注样本时追平零样本（{zs}）（在实测的 k 之间按 log k 插值）。",
    "On {name} ({n}-way, {images} test images): {diff}.": "在 {name} 上（{n} 类，{images} 张测试图像）：{diff}。",
    "**{name}:** {k} classes have no training images ({some}{more}: pairs held out of training), so no probe can "
    "learn them. They and their test images are left out of the probe, zero-shot and k-shot numbers here, which "
    "are all on the same {n}-way task.":
        "**{name}**：{k} 个类别没有训练图像（{some}{more}：训练时留出的组合），任何线性探测都无法学到它们。此处的线性探测、"
        "零样本和 k-shot 数字都不含这些类别及其测试图像，全部在同一个 {n} 类任务上计算。",
    "In the paper (ViT-B/32, Tables 10 and 11) the probe is {c10} points above zero-shot on CIFAR-10 and {c100} on "
    "CIFAR-100.": "论文中（ViT-B/32，表 10 和表 11），线性探测在 CIFAR-10 上比零样本高 {c10} 个百分点，在 CIFAR-100 上高 {c100} 个百分点。",
    "Here too the probe is above zero-shot on every dataset.": "本次构建中，线性探测在每个数据集上也都高于零样本。",
    "Here it is not above zero-shot on {names}: this disagrees with the paper.":
        "本次构建中，线性探测在 {names} 上并不高于零样本：这与论文不符。",
    "The labels of a probe help where images carry what the class names do not say; where the evaluation prompts "
    "read like the pretraining captions, zero-shot is already in-distribution matching and the labels add little.":
        "当图像包含类名没有说出的信息时，线性探测的标签才有帮助；当评估提示读起来像预训练描述时，零样本已是分布内匹配，标签几乎没有增益。",
    # ------------------------------------------------------------------ 06 analysis
    "On **{name}**, the bare class name scores {bare}, the single template {single} and the ensemble of {k} "
    "templates {ensemble}. Single templates range from {worst} (\"{worst_t}\") to {best} (\"{best_t}\") on {n} "
    "images, where one image is {one} points.":
        "在 **{name}** 上，仅用类名得到 {bare}，单一模板 {single}，{k} 个模板的提示集成 {ensemble}。单个模板的结果从 {worst}"
        "（“{worst_t}”）到 {best}（“{best_t}”）不等，共 {n} 张图像，一张图像相当于 {one} 个百分点。",
    "Averaged over {cells} corruption-severity sets of {n} {dataset} test images, zero-shot loses {zs} points and "
    "the linear probe {probe}: ":
        "在 {cells} 个损坏类型与强度组合（每组 {n} 张 {dataset} 测试图像）上平均，零样本下降 {zs} 个百分点，线性探测下降 {probe} 个百分点：",
    "no detectable difference in degradation ({d} points, {ci}, over the sets).":
        "两者的退化差异不显著（{d} 个百分点，{ci}，按组计算）。",
    "zero-shot degrades faster by {d} points ({ci}, over the sets).": "零样本退化更快，多 {d} 个百分点（{ci}，按组计算）。",
    "the linear probe degrades faster by {d} points (95% CI {lo} to {hi}, over the sets).":
        "线性探测退化更快，多 {d} 个百分点（95% 置信区间 {lo} 至 {hi}，按组计算）。",
    "On {name}, the class prompt finds an image of its class first for {r1} of the {n} classes and within the top "
    "10 for {r10}; on average {p10} of the top 10 images are of the queried class.":
        "在 {name} 上，{n} 个类别中有 {r1} 的类别提示把本类图像排在第一，{r10} 排在前 10 以内；前 10 张图像平均有 {p10} 属于所查询的类别。",
    "The hardest fine classes: {worst}.": "最难的细粒度类别：{worst}。",
    "{cls} ({acc}, mostly taken for {other})": "{cls}（{acc}，多被误认为 {other}）",
    "Grouped by coarse class, \"{cls}\" suffers most: {coarse} as a coarse class, {fine} on average over its fine "
    "classes.": "按粗粒度类别分组，“{cls}”受影响最大：作为粗粒度类别为 {coarse}，其细粒度类别平均为 {fine}。",
    "{name}: zero-shot keeps {zs} and the probe {probe} of its clean accuracy, {verdict} ({d} points of share, {ci})":
        "{name}：零样本保留其无扰动准确率的 {zs}，线性探测保留 {probe}，{verdict}（保留比例差 {d} 个百分点，{ci}）",
    "zero-shot keeps more": "零样本保留更多",
    "the probe keeps more": "线性探测保留更多",
    # ------------------------------------------------------------------ 05 StyleCLIP
    "From a start similarity of {start}, the highest similarity came at λ = {best_l} ({best_s}, mean pixel change "
    "{best_c}); the smallest change at λ = {small_l} (similarity {small_s}, pixel change {small_c}). A higher "
    "similarity is not a better edit: look at the frames.":
        "起始相似度为 {start}；最高相似度出现在 λ = {best_l}（{best_s}，平均像素变化 {best_c}）；最小变化出现在 λ = {small_l}"
        "（相似度 {small_s}，像素变化 {small_c}）。相似度更高并不意味着编辑更好，须结合各帧图像判断。",
    "The run above used λ = {l}: similarity {s}, pixel change {c}.": "上面的运行使用 λ = {l}：相似度 {s}，像素变化 {c}。",
    "Toward “{text}”, CLIP similarity rose in {rose} of {n} edits (mean {before} → {after}). Mean pixel change "
    "{change} (0–1 scale); on the image border, mostly background, {border}.":
        "向“{text}”方向编辑时，{n} 次编辑中有 {rose} 次 CLIP 相似度上升（均值 {before} → {after}）。平均像素变化 {change}"
        "（0–1 标度）；在以背景为主的图像边缘为 {border}。",
    # ------------------------------------------------------------------ abstract and conclusions
    "Finer classes, {fine} against {coarse}: {diff}.": "细粒度类别（{fine}）对比粗粒度类别（{coarse}）：{diff}。",
    "A linear probe on {dataset} ({n}-way, the classes with training images) reaches {probe} top-1 against {zs} "
    "zero-shot: {diff}.":
        "{dataset} 上的线性探测（{n} 类，即有训练图像的类别）top-1 达到 {probe}，零样本为 {zs}：{diff}。",
    "It matches zero-shot at about {k} labelled examples per class.": "约在每类 {k} 个标注样本时追平零样本。",
    "Under seeded corruptions of {dataset} ({n} images), zero-shot loses {zs} points and the probe {probe}; "
    "zero-shot minus probe loss: {d} points ({ci}).":
        "在 {dataset} 的固定随机种子图像损坏下（{n} 张图像），零样本下降 {zs} 个百分点，线性探测下降 {probe} 个百分点；"
        "零样本与线性探测的下降之差：{d} 个百分点（{ci}）。",
    "On the same scenes drawn in {k} other styles, zero-shot keeps a larger share of its clean accuracy than the "
    "probe fitted on flat images on {m} of them (each with its 95% interval in the analysis chapter), as the paper "
    "found for natural shifts.":
        "在以另外 {k} 种风格绘制的相同场景上，零样本在其中 {m} 种上保留的无扰动准确率比例高于在平面图像上拟合的线性探测"
        "（各自的 95% 置信区间见“CLIP 性能分析”一章），与论文对自然分布偏移的发现一致。",
    "Counting shapes, which no caption states: zero-shot {zs} (chance {chance}), a linear probe {probe}; {diff}.":
        "数形状（任何描述都没有说明数量）：零样本 {zs}（随机水平 {chance}），线性探测 {probe}；{diff}。",
    "Text-to-image retrieval on {name}: recall@1/5/10 {r1} / {r5} / {r10}.":
        "{name} 上的文本到图像检索：recall@1/5/10 为 {r1} / {r5} / {r10}。",
    "StyleCLIP towards “{prompt}” raised CLIP similarity from {before} to {after} in {steps} steps.":
        "StyleCLIP 向“{prompt}”方向编辑，{steps} 步内将 CLIP 相似度从 {before} 提高到 {after}。",
    "All of the above are MiniCLIP's numbers on ShapesWorld: they show how the methods behave, not how well CLIP "
    "performs; the paper profile measures that.":
        "以上都是 MiniCLIP 在 ShapesWorld 上的数字：它们展示方法的行为，并不说明 CLIP 本身的性能；后者由论文配置测量。",
    "The original course report's closing remarks, that CLIP's training data carries bias and that models of this "
    "scale concentrate computing resources, are arguments rather than measurements; this build measures neither.":
        "原课程报告“六、总结”的结束语，即 CLIP 的训练数据带有偏差、这种规模的模型会使计算资源集中，是论点而非测量；本次构建两者都没有测量。",
    # ------------------------------------------------------------------ the document's titles and labels
    "Zero-shot and linear probe on {coarse} and {fine} (CIFAR stand-ins)": "{coarse} 与 {fine} 上的零样本与线性探测（CIFAR 的替代）",
    "Conclusions": "总结",
    "k-shot linear probes (mean ± spread over the draws, k = {lo} to {hi}) against zero-shot (dashed) and the full-data "
    "probe": "k-shot 线性探测（多次抽样的均值 ± 离散程度，k = {lo} 至 {hi}）对比零样本（虚线）和全量数据线性探测",
    "{name} at about k = {k}": "{name} 约在 k = {k}",
    ": no curve crosses its dashed line inside the tested range of k.": "：在所测试的 k 范围内，没有曲线越过其虚线。",
    ": a curve crosses its dashed line inside the tested range for {which}.": "：在所测试的 k 范围内越过虚线的曲线：{which}。",
    "Words that never occur in MiniCLIP's captions ({words}) have text embeddings that were never trained, so a prompt "
    "holding one scores arbitrarily: such a prompt wins on {won} of the {total} images, renders of known shapes "
    "included. This is the out-of-distribution failure on the text side; only prompts made of words the model has "
    "learned can be compared.":
        "从未出现在 MiniCLIP 预训练描述中的词（{words}），其文本嵌入从未经过训练，含有这些词的提示得分是任意的："
        "在 {total} 张图像中，这样的提示在 {won} 张上胜出，其中包括模型认识的形状的渲染图。这是文本一侧的分布外失效；"
        "只有由模型学过的词组成的提示才可以相互比较。",
    "Results.": "主要结果：",
    "No measurement was run in this build.": "本次构建没有运行任何测量。",
    "Not run in this build: {parts}.": "本次构建未运行：{parts}。",
    ", ": "、",
    "CLIP course report ({profile} profile)": "CLIP 课程设计报告（{profile}配置）",
    "CLIP course report · {profile} profile": "CLIP 课程设计报告 · {profile}配置",
    " · quick build": " · 快速构建",
    "Course report, reproduced": "课程设计报告 · 可复现版",
    "CLIP: Learning Transferable Visual Models from Natural Language Supervision": "CLIP：从自然语言监督中学习可迁移的视觉模型",
    "Zero-shot classification, linear probes and StyleCLIP, measured by the <code>clip-course</code> package":
        "零样本分类、线性探测与 StyleCLIP 的实测",
    "{profile} profile": "{profile}配置",
    ": MiniCLIP on ShapesWorld": "：MiniCLIP 与 ShapesWorld",
    "quick build: reduced sizes": "快速构建：缩小规模",
    "Built": "构建时间",
    "Model": "模型",
    "not recorded": "未记录",
    "Git commit": "Git 提交",
    "Package": "软件包",
    "Engine": "排版引擎",
    "Built by <code>make report</code> from the executed notebooks; the run manifest (Appendix B) lists every model, "
    "dataset, parameter and version behind the numbers.":
        "本报告由执行后的笔记本生成；运行清单（附录 B）列出每个数字所依据的模型、数据集、参数和软件版本。",
    "Abstract": "摘要",
    "Contents": "目录",
    "Source: <code>notebooks/{stem}.ipynb</code>, executed in this build.": "来源：<code>notebooks/{stem}.ipynb</code>，在本次构建中执行。",
    "Source: notebook {n} ({role}), executed in this build.": "来源：笔记本 {n}（{role}），已在本次构建中执行。",
    "Notebook {stem} was not run in this build; this part is empty.": "本次构建没有运行笔记本 {stem}；此部分为空。",
    "Classes ({n})": "类别（{n} 个）",
    "CIFAR-10 in the original course report's Appendix 1 (not evaluated in this build)":
        "原课程报告附录 1 中的 CIFAR-10（本次构建未评估）",
    "the paper's 18 CIFAR templates": "论文的 18 个 CIFAR 模板",
    "Templates: {name} ({n})": "模板：{name}（{n} 个）",
    "Chinese class names ({n})": "中文类名（{n} 个）",
    "Chinese templates": "中文模板",
    "No notebook of this build recorded its class names or templates.": "本次构建没有笔记本记录其类名或模板。",
    "Profile": "配置",
    " (quick parameters)": "（快速参数）",
    "Device": "设备",
    "Report engine": "报告引擎",
    " (no local MathJax: math shown as TeX)": "（无本地 MathJax：公式以 TeX 显示）",
    "Notebooks": "笔记本列表",
    "Notebook": "笔记本",
    "Status": "状态",
    "Seconds": "秒",
    "Finished": "完成时间",
    "Parameters": "参数",
    "Results": "结果",
    "Total": "合计",
    "Parameters in bold were injected by this build (profile, --quick, --params); the rest are the notebook's defaults.":
        "粗体参数为本次构建所设定的值；其余为笔记本的默认值。",
    "Models": "模型",
    "Checkpoint sha256": "检查点 sha256",
    "No notebook recorded a model checkpoint.": "没有笔记本记录模型检查点。",
    "Datasets": "数据集",
    "Dataset": "数据集",
    "Split": "划分",
    "Images": "图像数",
    "Classes": "类别数",
    "Fingerprint": "指纹",
    "No notebook recorded its datasets.": "没有笔记本记录其数据集。",
    "Package versions": "软件包版本",
    "CLIP introduction": "CLIP 介绍",
    "Single-image tests": "单图测试",
    "CIFAR: zero-shot and linear probe": "CIFAR：零样本与线性探测",
    "Analysis": "CLIP 性能分析",
    "StyleCLIP": "StyleCLIP",
    "Zero-shot classification": "零样本分类",
    "Linear probe": "线性探测",
    "References": "参考文献",
    "Appendix A: Class names and templates": "附录 A：类名与模板",
    "Appendix B: Run manifest": "附录 B：运行清单",
    "Appendix C: Glossary": "附录 C：术语表",
    "single-image tests": "单图测试",
    "zero-shot classification": "零样本分类",
    "linear probe": "线性探测",
    "analysis": "分析",
    "reused (up to date)": "复用（已是最新）",
    "executed": "完成",
    "written": "写入",
    # ------------------------------------------------------------------ table headers (notebook.markdown_table)
    "image": "图像", "top prompt": "最高提示", "probability": "概率", "runner-up": "次优",
    "dataset": "数据集", "classes (N-way)": "类别数（N 类）", "images": "图像数", "single top-1": "单一模板 top-1",
    "single top-5": "单一模板 top-5", "ensemble top-1": "提示集成 top-1", "ensemble top-5": "提示集成 top-5",
    "paper / CLIP_benchmark top-1 (ViT-B/32, quoted)": "论文 / CLIP_benchmark top-1（ViT-B/32，引用）",
    "training images": "训练图像数", "probe top-1": "线性探测 top-1",
    "flat-trained probe top-1": "平面图像训练的线性探测 top-1", "probe top-5": "线性探测 top-5",
    "zero-shot top-1": "零样本 top-1", "zero-shot top-5": "零样本 top-5", "probe − zero-shot": "线性探测 − 零样本",
    "paper / CLIP_benchmark probe top-1 (ViT-B/32, quoted)": "论文 / CLIP_benchmark 线性探测 top-1（ViT-B/32，引用）",
    "similarity after": "编辑后相似度", "distance ||w - w0||": "距离 ‖w − w₀‖",
    "λ (L2 weight)": "λ（L2 权重）", "latent distance from the start": "与起点的潜向量距离", "mean pixel change": "平均像素变化",
    "start": "起点", "corruption": "损坏类型", "zero-shot clean": "零样本（无扰动）", "probe clean": "线性探测（无扰动）",
    "zero-shot mean drop (points)": "零样本平均下降（百分点）", "probe mean drop (points)": "线性探测平均下降（百分点）",
    "test set": "测试集", "zero-shot keeps": "零样本保留", "probe keeps": "线性探测保留", "class queries": "类别查询数",
    "quantity": "指标", "our dataset": "我们的数据集", "ours": "我们的", "reference dataset": "参照数据集",
    # names kept as they are in both editions
    **{k: k for k in ("l2_lambda", "recall@1", "recall@5", "recall@10", "precision@1", "precision@5", "precision@10")},
    "paper": "论文", "loaded: {name}": "加载的模型：{name}", "OpenAI's {name}": "OpenAI 的 {name}",
    "parameters": "参数量", "image encoder": "图像编码器", "input resolution (px)": "输入分辨率（px）",
    "vision width": "视觉宽度", "vision layers": "视觉层数", "patch size (px)": "图块大小（px）", "text width": "文本宽度",
    "text layers": "文本层数", "text heads": "文本注意力头数", "context length (tokens)": "上下文长度（词元）",
    "vocabulary": "词表大小", "joint embedding": "联合嵌入维度", "learned logit scale (1/τ)": "学到的 logit 缩放（1/τ）",
    # ------------------------------------------------------------------ 01 intro and notebook notes
    "In this batch of {n}, matching pairs average a cosine of **{diag}** against **{off}** for non-matching ones; "
    "the right caption is the most similar one for **{i2t}** of the images (and the right image for {t2i} of the "
    "captions). Note how small the cosines are: CLIP multiplies them by its learned logit scale ({scale} here, "
    "τ = {tau}) before the softmax, so small gaps become confident choices.":
        "在这个含 {n} 对样本的批次中，匹配对的平均余弦为 **{diag}**，不匹配的为 **{off}**；对 **{i2t}** 的图像，正确的描述最相似"
        "（对 {t2i} 的描述，正确的图像最相似）。值得注意的是，这些余弦值都很小：CLIP 在 softmax 之前把它们乘以学到的 logit 缩放系数（此处为 {scale}，"
        "τ = {tau}），因此余弦值的微小差距在 softmax 之后也会成为明确的选择。",
    "{t} templates × {c} classes = {n} prompts make a {d} × {k} classifier. The image captioned “{caption}” is "
    "classified as **{winner}** ({p}).":
        "{t} 个模板 × {c} 个类别 = {n} 个提示，构成一个 {d} × {k} 的分类器。描述为“{caption}”的图像被分类为 **{winner}**（{p}）。",
    "In [Figure](#fig-pretraining), after {steps} steps the loss is {loss}, the in-batch accuracy {acc} and the "
    "temperature {temp}.": "[图](#fig-pretraining) 中，{steps} 步之后损失为 {loss}，批内准确率为 {acc}，温度为 {temp}。",
    "These are CIFAR test images and OpenAI's weights, so the hatched bars are directly comparable: the paper's "
    "figures (Table 11) use the same 18-template ensemble; CLIP_benchmark's are LAION's independent re-measurement "
    "of the same model.":
        "这些是 CIFAR 测试图像和 OpenAI 的权重，所以斜线填充的柱可以直接比较：论文的数字（表 11）使用同样的 18 个模板的提示集成；"
        "CLIP_benchmark 的数字是 LAION 对同一模型的独立重新测量。",
    "**Offline profile:** the hatched bars are the published CIFAR-10/100 figures for ViT-B/32 and are *not* "
    "comparable numerically with {model} on ShapesWorld: they are quoted in the table for the shape of the "
    "comparison (coarse above fine, ensemble at or above single), not its values.":
        "**离线配置**：斜线填充的柱是 ViT-B/32 在 CIFAR-10/100 上已发表的数字，与 {model} 在 ShapesWorld 上的结果在数值上*不可*比较："
        "表中引用它们是为了比较的形态（粗粒度类别高于细粒度类别，提示集成不低于单一模板），而不是其数值。",
    "**Offline profile:** the last column holds the published CIFAR probe figures for ViT-B/32, not comparable "
    "numerically with this model and data.":
        "**离线配置**：最后一列是 ViT-B/32 在 CIFAR 上已发表的线性探测数字，与本模型和数据在数值上不可比较。",
    "[Table](#tab-readout) lists, start by start, what the readout saw change.": "[表](#tab-readout) 逐个起点列出读出器看到的变化。",
    "[Figure](#fig-comparison) draws the table's numbers.": "[图](#fig-comparison) 画出表中的数字。",
    # notebook 07: where zero-shot works and where it fails
    'Where zero-shot works and where it fails': '零样本在哪里有效，在哪里失效',
    'zero-shot across datasets': '跨数据集的零样本',
    'Across {n} datasets, zero-shot is ahead of a linear probe trained on all labels on {ahead}, behind on {behind} and not detectably different on {tied}': '在 {n} 个测试集中，零样本领先于用全部标注训练的线性探测的有 {ahead} 个，落后的有 {behind} 个，差异不显著的有 {tied} 个',
    '; {words}': '；{words}',
    '.': '。',
    "the object sets' zero-shot-minus-probe gap": '物体类数据集的“零样本减线性探测”差距',
    "the {family} sets'": '{family}类数据集的差距',
    'objects': '物体',
    'fine-grained': '细粒度',
    'style-shifted': '风格偏移',
    'specialised': '专业领域',
    'abstract or synthetic': '抽象或合成',
    'counting': '计数',
    'other': '其他',
    '{top1} (95% CI {lo} to {hi})': '{top1}（95% 置信区间 {lo} 至 {hi}）',
    '**{name}**: {words}.': '**{name}**：{words}。',
    '*{family}* ({sets}): {words}.': '*{family}*（{sets}）：{words}。',
    '*{family}* ({sets}): zero-shot is ahead of the probe on {ahead}, behind on {behind} and not detectably different on {tied} of these {n} sets; mean gap {gap} points ({ci}).': '*{family}*（{sets}）：在这 {n} 个数据集中，零样本领先于线性探测的有 {ahead} 个，落后的有 {behind} 个，差异不显著的有 {tied} 个；平均差距 {gap} 个百分点（{ci}）。',
    "The paper's Figure 5 sets zero-shot CLIP against a linear probe on ResNet-50 features trained on all of each dataset's labels: zero-shot is ahead on most everyday-object datasets (StanfordCars and Food101 among them) and behind on specialised, abstract or synthetic ones (satellite images as in EuroSAT, textures as in DTD, Flowers102, digits, counting).": '论文的图 5 把零样本 CLIP 与在 ResNet-50 特征上用各数据集全部标签训练的线性探测相比：在多数日常物体数据集上（其中有 StanfordCars 和 Food101）零样本领先，在专业、抽象或合成的数据集上（如 EuroSAT 的卫星图像、DTD 的纹理、Flowers102、数字、计数）零样本落后。',
    "Our probe sits on the same CLIP's features, a stronger baseline than Figure 5's ResNet-50, so every gap here is lower than Figure 5's would be; what can carry over is the order of the families.": '我们的线性探测建立在同一个 CLIP 的特征上，这是比图 5 的 ResNet-50 更强的基线，所以这里的每个差距都会低于图 5 中的对应值；能够对照的是各类数据集之间的先后次序。',
    "the object sets' mean gap": '物体类数据集的平均差距',
    'Here too: {words}, as the paper found.': '这里也是如此：{words}，与论文的发现一致。',
    'Here: {words}. This disagrees with the paper.': '这里：{words}。这与论文不一致。',
    " In the offline world the pretraining captions name shapes and colours, and every family's test set is drawn by the same renderer, so the families differ less than the web's datasets do for CLIP.": '在离线世界中，预训练的描述文本会说出形状和颜色，而且每一类的测试集都由同一个渲染器画出，所以各类之间的差别小于网络数据集对 CLIP 而言的差别。',
    "No published figure is comparable here: these are MiniCLIP's numbers on ShapesWorld, a world this package made; CLIP_benchmark measured OpenAI's models on real datasets.": '这里没有可比的公开数字：这些是 MiniCLIP 在 ShapesWorld（我们构造的合成世界）上的结果；CLIP_benchmark 测量的是 OpenAI 的模型在真实数据集上的表现。',
    "No published figure is set beside these: {model} is not OpenAI's released file (its sha256 differs), so CLIP_benchmark's figures for OpenAI's weights do not apply.":
        '这里不列公开数字：{model} 不是 OpenAI 发布的文件（其 sha256 不同），因此 CLIP_benchmark 针对 OpenAI 权重的数字不适用。',
    "CLIP_benchmark's published zero-shot top-1 for OpenAI's {model}, beside ours: {shown} (CLIP_benchmark (LAION), benchmark/benchmark.csv; their protocol and templates, full test sets, VTAB's test split for the vtab/ datasets).": 'CLIP_benchmark 公布的 OpenAI {model} 零样本 top-1，与我们的结果并列：{shown}（CLIP_benchmark (LAION)，benchmark/benchmark.csv；采用其协议和模板、完整测试集，vtab/ 数据集用 VTAB 的测试划分）。',
    'CLIP_benchmark publishes no zero-shot figure for these datasets with this model.': 'CLIP_benchmark 没有公布该模型在这些数据集上的零样本结果。',
    '{name} {theirs} (ours {ours})': '{name} {theirs}（我们的结果 {ours}）',
    '{model}: {params} M parameters, {rate} images/s on {device}, mean zero-shot top-1 {top1}': '{model}：参数量 {params} M，在 {device} 上每秒编码 {rate} 张图像，平均零样本 top-1 为 {top1}',
    'offline only MiniCLIP exists': '离线配置下只有 MiniCLIP 一个模型',
    'One model in this sweep ({listed}); {more}.': '本次扫描只有一个模型（{listed}）；{more}。',
    "{n} models ({listed}). The highest mean zero-shot top-1 is {best}'s; each model's per-dataset accuracy is in the results file.": '共 {n} 个模型（{listed}）。平均零样本 top-1 最高的是 {best}；每个模型在各数据集上的准确率见结果文件。',
    'family': '类别',
    'test images': '测试图像',
    'zero-shot top-1 [95% CI]': '零样本 top-1 [95% 置信区间]',
    'probe top-1 [95% CI]': '线性探测 top-1 [95% 置信区间]',
    'zero-shot − probe': '零样本 − 线性探测',
    'CLIP_benchmark top-1': 'CLIP_benchmark top-1',
    'notebook': '笔记本',
    'none comparable': '无可比数字',
    'Objects': '物体',
    'Fine-grained': '细粒度',
    'Style-shifted': '风格偏移',
    'Specialised': '专业领域',
    'Abstract or synthetic': '抽象或合成',
    'Counting': '计数',
    'Other': '其他',
    # the checkpoint's identity and the published figures' comparability
    'equal to the value recorded in the package': '与课程代码中记录的值一致',
    'recorded at its first download, with no published value to check it against': '在首次下载时记录，没有公布的值可供核对',
    'The model is MiniCLIP (sha256 {sha}…), pretrained by this package on ShapesWorld': '模型是 MiniCLIP（sha256 {sha}…），由我们在 ShapesWorld 上预训练',
    'hatched bars': '斜线柱',
    'probe figures of the last column': '最后一列的线性探测数字',
    "These are CIFAR test images and OpenAI's released weights, so the {what} are directly comparable: the paper's figures (Table 11) use the same 18-template ensemble; CLIP_benchmark's are LAION's independent re-measurement of the same model.": '这些是 CIFAR 测试图像和 OpenAI 发布的权重，所以{what}可以直接比较：论文的数字（表 11）使用同样的 18 个模板集成；CLIP_benchmark 的数字是 LAION 对同一模型的独立重新测量。',
    "**Not comparable:** the {what} are the published figures for OpenAI's released ViT-B/32, and the model measured here, {model}, is not that file (see the abstract): they are quoted, not matched.": '**不可比较**：{what}是 OpenAI 发布的 ViT-B/32 的公开数字，而这里测量的模型 {model} 不是那个文件（见摘要）：它们只是引用，并不对应。',
    "({dataset}, {m}-way: not comparable)": "（{dataset}，{m} 类：不可比）",
    'This checkpoint came without a training log, so no pretraining curve is shown.': '该检查点没有附带训练日志，因此不显示预训练曲线。',
    "Each picture's own description comes first for {k} of the {n} pictures, above chance ({chance}).":
        "在 {n} 张图片中，有 {k} 张把自己的描述排在第一，高于随机水平（{chance}）。",
    "Each picture's own description comes first for only {k} of the {n} pictures ({acc}, 95% CI {lo} to {hi}, chance {chance}): these rankings are at chance level, so the single-image results below are listed, not read as findings about what the model sees.":
        "在 {n} 张图片中，只有 {k} 张把自己的描述排在第一（{acc}，95% 置信区间 {lo} 至 {hi}，随机水平 {chance}）：这些排序处于随机水平，因此下面的单图结果仅作罗列，不作为关于模型识别能力的结论。",
    "“{word}” gets {p}; with rankings at chance this says nothing about the finding of {original}.":
        "“{word}”得到 {p}；由于排序处于随机水平，这一结果无法检验{original}的发现。",
    "prompt": "提示", "before": "编辑前", "after": "编辑后",
    "*{family}* ({sets}): zero-shot is ahead of the probe on {ahead}, behind on {behind} and not detectably different on {tied} of these {n} sets; their mean gap, {gap} points over {n} sets, is too few sets for an interval (at least {m}).":
        "*{family}*（{sets}）：在这 {n} 个数据集中，零样本领先于线性探测的有 {ahead} 个，落后的有 {behind} 个，差异不显著的有 {tied} 个；平均差距为 {gap} 个百分点，但数据集只有 {n} 个，不足以给出置信区间（至少需要 {m} 个）。",
    "StyleCLIP: no StyleGAN2 checkpoint was on disk, so no face was edited; chapter 6 says which generator ran instead and why.":
        "StyleCLIP：磁盘上没有 StyleGAN2 检查点，所以没有编辑任何人脸；第 6 章说明了改用哪个生成器以及原因。",
    "**{name}:** {k} classes have no image in this build's training subset ({some}{more}), so no probe can learn them. They and their test images are left out of the probe, zero-shot and k-shot numbers here, which are all on the same {n}-way task.":
        "**{name}**：有 {k} 个类别在本次构建的训练子集中没有图像（{some}{more}），因此任何线性探测都无法学到它们。此处的线性探测、零样本和 k-shot 数字都不含这些类别及其测试图像，全部在同一个 {n} 类任务上计算。",
    "[Table](#tab-face-readout) gives CLIP's share of each prompt (a softmax over the listed prompts) on the face before and after the edit toward “{text}”: the change asked for and the ones the original course report saw come with it. One face is one unit, so these are this face's shares, not a rate over faces.":
        "[表](#tab-face-readout) 给出向“{text}”方向编辑前后，CLIP 在这张人脸上对每个提示的份额（在所列提示上的 softmax）：既有所要求的变化，也有原课程报告所见的随之而来的其他变化。一张人脸只是一个样本，因此这些是这张人脸上的份额，而不是多张人脸上的比例。",
    'Device and threads': '设备与线程数',
    '[Table](#tab-style-shift) sets the shifted sets beside the clean one.': '[表](#tab-style-shift) 把各偏移测试集与无扰动测试集并列。',
    "{t} template × {c} classes = {n} prompts make a {d} × {k} classifier. The image captioned “{caption}” is "
    "classified as **{winner}** ({p}).":
        "{t} 个模板 × {c} 个类别 = {n} 个提示，构成一个 {d} × {k} 的分类器。描述为“{caption}”的图像被分类为 **{winner}**（{p}）。",
    'No model sweep in this run: pass models=[...] to score several models on these images.': '本次运行只评估了一个模型；指定多个模型即可在同样的图像上比较它们。',
    'This build scored one model here, so there is no sweep; the chapter on zero-shot across datasets plots accuracy against speed.':
        '本次构建在这里只评估了一个模型，因此没有模型扫描；“零样本在哪里有效，在哪里失效”一章给出了准确率与速度的关系。',
    'Unlike Figure 5, zero-shot is ahead of the probe on none of these sets: the probe here learns from the same features zero-shot uses, plus every label.': '与图 5 不同，这里零样本在任何数据集上都没有领先于线性探测：我们的线性探测使用与零样本相同的特征，并且利用了全部标签。',
    # ------------------------------------------------------------------ table cells and attribute names (zh wording)
    "{n} (test images of {k})": "{n}（测试图像覆盖其中 {k} 类）",
    ", not comparable": "，不可比",
    "zero-shot, severity {s}": "零样本（强度 {s}）",
    "probe, severity {s}": "线性探测（强度 {s}）",
    "{name} (flat, clean)": "{name}（平面，无扰动）",
    "colour": "颜色",
    "shape": "形状",
    "size": "大小",
    "position": "位置",
    "background": "背景",
    "style": "风格",
    "({dataset})": "（{dataset}）",
    "({dataset}, not comparable)": "（{dataset}，不可比）",
    "linear probe top-1": "线性探测 top-1",
    "{title} ([Figure](#fig-{label})).": "{title}（[图](#fig-{label})）。",
    "offline": "离线",
}

#: The zh edition's glossary appendix: (Chinese term, English, short definition).
GLOSSARY: list[tuple[str, str, str]] = [
    ("对比学习", "contrastive learning", "让匹配的图像–文本对的相似度高于批内所有不匹配组合的训练方法。"),
    ("对比语言–图像预训练", "CLIP", "在 4 亿图文对上以对比学习联合训练图像编码器和文本编码器的模型。"),
    ("图像编码器 / 文本编码器", "image / text encoder", "把图像或文本映射到同一嵌入空间的网络（ViT 或 ResNet / Transformer）。"),
    ("余弦相似度", "cosine similarity", "两个 L2 归一化特征向量的点积。"),
    ("温度", "temperature", "对比损失中缩放相似度的可学习参数，初始化为 0.07。"),
    ("零样本", "zero-shot", "不用任何标注样本，仅凭类名文本构建分类器并直接分类。"),
    ("提示 / 提示模板", "prompt / prompt template", "把类名放进句子中的模板，如“a photo of a {}.”。"),
    ("提示集成", "prompt ensembling", "对同一类别的多个模板特征取平均、再归一化，作为该类的分类权重。"),
    ("线性探测", "linear probe", "冻结编码器，只在其特征上训练一个逻辑回归分类头。"),
    ("少样本", "few-shot / k-shot", "每个类别只给 k 个标注样本训练线性探测。"),
    ("top-1 / top-5 准确率", "top-1 / top-5 accuracy", "正确类别排在第一 / 前五的测试图像比例。"),
    ("随机水平", "chance", "随机猜测的准确率，N 类任务为 1/N。"),
    ("细粒度 / 粗粒度", "fine-grained / coarse", "类间差异较小的类别集合称为细粒度（如 shapes100 的颜色 × 形状），类间差异较大的称为粗粒度（如 shapes10 的形状）。"),
    ("分布偏移", "distribution shift", "测试数据与训练数据分布不同，如素描、损坏的图像。"),
    ("鲁棒性", "robustness", "分布偏移下模型保持准确率的能力；本报告以保留的无扰动准确率比例衡量。"),
    ("无扰动准确率", "clean accuracy", "在未经损坏、未换风格的原始测试图像上的准确率，是衡量偏移下准确率下降的基准。"),
    ("图像损坏", "corruption", "按类型和强度施加的噪声、模糊等扰动（CIFAR-10-C 风格）。"),
    ("检索 / 召回率", "retrieval / recall@k", "以文本查询图像；正确图像出现在前 k 个结果中的比例。"),
    ("特征纠缠", "entanglement", "编辑一个属性时其他属性（背景、嘴唇、颜色）也随之改变。"),
    ("保真度", "faithfulness", "编辑后的图像保留原图中与编辑目标无关的属性（背景、大小、位置等）的程度。"),
    ("潜空间优化", "latent optimisation", "StyleCLIP 在生成器的潜向量上做梯度下降，使图像接近文本描述。"),
    ("置信区间", "confidence interval (CI)", "本报告所有比较都给出 95% 置信区间；区间不含零才下结论。"),
    ("配对自助法", "paired bootstrap", "在同一批图像上重采样，估计两个分类器准确率之差的区间。"),
    ("混淆矩阵", "confusion matrix", "真实类别对预测类别的计数表。"),
    ("字节级 BPE 分词", "byte-level BPE tokenizer", "CLIP 的分词器：文本先编码为 UTF-8 字节再合并；汉字通常占 2–3 个词元。"),
    ("百分点", "percentage point", "两个百分比之差的单位：75.0% 与 72.0% 相差 3.0 个百分点。"),
    ("检查点", "checkpoint", "保存模型权重的文件；报告以其 SHA-256 摘要识别所测的模型。"),
    ("笔记本", "notebook", "Jupyter 笔记本：本报告的每一章都由一个笔记本执行生成，附录 B 列出各章对应的笔记本。"),
    ("离线配置 / 论文配置", "offline / paper profile", "离线：在合成世界上自训练的小模型，无需网络；论文：OpenAI 发布的权重与 CIFAR 数据集。"),
]

#: The verdict gates' sentences (report/verdicts.py and the prose that uses them), kept in their own module.
CATALOGUE.update({**VERDICTS, **SYNTHESIS})
CATALOGUE.update(RAN)

#: The open-models section (report/prose_open.py and notebook 07's open-models cells), kept in its own module.
CATALOGUE.update(OPEN_MODELS)
