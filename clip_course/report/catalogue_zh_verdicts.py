"""The Chinese of the verdict gates' sentences (:mod:`clip_course.report.verdicts` and the prose built
on it): chance level, self-comparison, too few units, the paper's agreement, shifts, the model's name.

Merged into :data:`clip_course.report.catalogue_zh.CATALOGUE`; same conventions (keys are the English
msgids exactly, the same placeholders, 鲁棒性 for robustness as in the glossary).
"""

from __future__ import annotations

__all__ = ["VERDICTS"]

#: English msgid -> Chinese.
VERDICTS: dict[str, str] = {
    "{a} and {b} are the same configuration here, so they are not compared": "{a}与{b}在这里是同一配置，因此不作比较",
    "{a} minus {b} is {d} {unit} over {n} units, too few for an interval (at least {m}), so no verdict":
        "{a}减{b}为 {d} {unit}，仅基于 {n} 个单元，不足以给出区间（至少需要 {m} 个），因此不作判断",
    "{what} is at chance level ({acc}, 95% CI {lo} to {hi}, chance {chance}): the model reads nothing here that the "
    "class names say, so no finding that needs a trained model is drawn from it.":
        "{what}处于随机水平（{acc}，95% 置信区间 {lo} 至 {hi}，随机水平 {chance}）：说明模型在此无法从类名中读出有用的信息，"
        "因此我们不据此作任何需要训练好的模型才能成立的推论。",
    "as the paper found": "与论文的发现一致",
    "this disagrees with the paper": "这与论文不一致",
    "the interval cannot tell whether this agrees with the paper": "置信区间不足以判断是否与论文一致",
    "at chance level": "处于随机水平",
    "Zero-shot on {dataset}": "{dataset} 上的零样本",
    "Zero-shot on {dataset} ({n}-way, {images} test images): {ens} top-1 with the template ensemble, {single} with a "
    "single template": "{dataset} 上的零样本（{n} 类，{images} 张测试图像）：提示集成 top-1 为 {ens}，单一模板为 {single}",
    "Zero-shot on {dataset} ({n}-way, {images} test images): {ens} top-1 with the template ensemble":
        "{dataset} 上的零样本（{n} 类，{images} 张测试图像）：提示集成 top-1 为 {ens}",
    "; {diff}": "；{diff}",
    "; {diff}.": "；{diff}。",
    "Under seeded corruptions of {dataset} ({n} images), zero-shot loses {zs} points and the probe {probe}":
        "在 {dataset}（{n} 张图像）的固定种子损坏下，零样本下降 {zs} 个百分点，线性探测下降 {probe} 个百分点",
    ": at chance level, no robustness verdict.": "：处于随机水平，不作鲁棒性判断。",
    ": the corruptions do not lower accuracy here, so they are no shift and carry no robustness verdict.":
        "：这些损坏在这里没有降低准确率，因此不构成分布偏移，也不作鲁棒性判断。",
    "zero-shot's loss": "零样本的下降",
    "the probe's": "线性探测的下降",
    "None of the {k} other styles lowers clean accuracy for both classifiers, so they are not distribution shifts "
    "for this model and carry no robustness verdict.":
        "另外 {k} 种风格都没有同时降低两个分类器的无扰动准确率，因此对这个模型而言它们不是分布偏移，不作鲁棒性判断。",
    "StyleCLIP towards “{prompt}” did not raise CLIP similarity ({before} before, {after} after {steps} steps).":
        "StyleCLIP 向“{prompt}”方向的编辑没有提高 CLIP 相似度（编辑前 {before}，{steps} 步后 {after}）。",
    "fewer than 3 starts": "起点少于 3 个",
    "no unrequested attribute changed": "没有未要求的属性发生变化",
    "The attribute readout (a separate CNN, not the CLIP that guided the edit) reads the requested attribute reached "
    "in: {got}; and unrequested attributes changed in: {leak}.":
        "属性读出器（一个独立的 CNN，而不是引导编辑的 CLIP）读出的所要求属性达成情况：{got}；未要求的属性发生变化的情况：{leak}。",
    "Unrequested changes are part of these edits: they entangle.": "未要求的变化是这些编辑的一部分：它们存在特征纠缠。",
    "No entanglement is claimed: fewer than 3 edits.": "我们不声称存在特征纠缠：编辑少于 3 次。",
    "No entanglement is claimed: no unrequested attribute changed.": "我们不声称存在特征纠缠：没有未要求的属性发生变化。",
    "On the one set that lowers clean accuracy, {who}: {paper} for natural shifts (its Figures 13 and 14).":
        "在唯一一个降低无扰动准确率的测试集上，{who}：{paper}（论文针对自然分布偏移，见其图 13 和图 14）。",
    "Cosine similarity of every image with every caption of one batch": "一个批次中每张图像与每条描述的余弦相似度",
    ": the matching pairs on the diagonal stand out, which is what the contrastive loss trains.":
        "：对角线上的匹配对突出，这正是对比损失所训练的。",
    ": the matching pairs on the diagonal do not stand out from the other pairings in this batch (their gap's 95% "
    "interval reaches zero), which a trained model's would.":
        "：在这个批次中，对角线上的匹配对并不比其他组合突出（其差距的 95% 区间包含零），而训练好的模型会让它们突出。",
    "With the {template} prompts, {coarse} ({coarse_task}) scores {coarse_top1} top-1 and {fine} ({fine_task}) "
    "{fine_top1}. {verdict}":
        "使用{template}时，{coarse}（{coarse_task}）的 top-1 为 {coarse_top1}，{fine}（{fine_task}）为 {fine_top1}。{verdict}",
    "on {name} both are at chance level ({ens} and {single}), so the ensemble's effect is not read":
        "在 {name} 上两者都处于随机水平（{ens} 与 {single}），因此不解读集成的效果",
    "On {name} ({n} images, chance {chance}), the classifier built from Chinese class names and templates scores "
    "{zh} top-1 and the English one {en}: both at chance level, so the languages are not compared.":
        "在 {name}（{n} 张图像，随机水平 {chance}）上，由中文类名和模板构成的分类器 top-1 为 {zh}，英文的为 {en}："
        "两者都处于随机水平，因此不比较两种语言。",
    "On {name} the k-shot probe was run at k = {k} only ({acc} against zero-shot's {zs}): one k locates no crossing.":
        "在 {name} 上 k-shot 线性探测只在 k = {k} 处运行（{acc}，零样本为 {zs}）：单个 k 无法确定交叉点。",
    "On {name} {k} labelled example per class already gives {acc} against zero-shot's {zs}: any crossing lies below "
    "the tested range of k.":
        "在 {name} 上每类 {k} 个标注样本已得到 {acc}（零样本为 {zs}）：若有交叉点，也在所测 k 的范围之下。",
    "the model is at chance level on the clean images, so there is no robustness to read.":
        "模型在无扰动图像上处于随机水平，因此无从谈鲁棒性。",
    "the corruptions do not lower accuracy, so they are no shift for this model and carry no robustness verdict.":
        "这些损坏没有降低准确率，因此对这个模型而言不构成分布偏移，不作鲁棒性判断。",
    "{n} sets are too few for an interval (at least {m}), so no verdict on which degrades more.":
        "{n} 个测试集不足以给出区间（至少需要 {m} 个），因此不判断哪一个下降得更多。",
    "on {name} the gap is {d} points ({ci}) against the paper's {paper} on {ref} ({how}): {words}":
        "在 {name} 上差距为 {d} 个百分点（{ci}），论文在 {ref} 上为 {paper}（{how}）：{words}",
    "Here, {rows}.": "这里，{rows}。",
    "same model and data: the value is compared": "同一模型和数据：比较数值",
    "another model or data: only the direction is compared": "模型或数据不同，只比较方向",
    "{name}: zero-shot scores {zs} and the probe {probe} (clean: {czs} and {cprobe}), not lower for both, so not a "
    "shift": "{name}：零样本为 {zs}，线性探测为 {probe}（无扰动测试集：{czs} 与 {cprobe}），并非两者都更低，因此不算偏移",
    "Trained and tested on flat {dataset} images, then tested on the same scenes in other styles: {parts}.":
        "在平面风格的 {dataset} 图像上训练和测试，再在以其他风格绘制的相同场景上测试：{parts}。",
    "No style lowers clean accuracy for both classifiers: these sets are not distribution shifts for this model, "
    "so no robustness verdict is drawn.":
        "没有哪种风格同时降低两个分类器的无扰动准确率：对这个模型而言这些测试集不是分布偏移，因此不作鲁棒性判断。",
    "Of the {n} sets that lower clean accuracy, zero-shot keeps the larger share on {k} and the probe on {p}: "
    "{paper} for natural shifts (its Figures 13 and 14).":
        "在降低无扰动准确率的 {n} 个测试集中，零样本在 {k} 个上保留的比例更大，线性探测在 {p} 个上：{paper}"
        "（论文针对自然分布偏移，见其图 13 和图 14）。",
    "The model is {name}, the released file (sha256 {sha}…, OpenAI's published value)":
        "模型是{name}，即其发布的文件（sha256 {sha}…，与 OpenAI 公布的值一致）",
    "OpenAI's CLIP {model}": "OpenAI 的 CLIP {model}",
    "The model is {who} from the Hugging Face hub copy {source}, converted to OpenAI's layout (tensor sha256 "
    "{tensors}…, {check})":
        "模型是{who}，取自 Hugging Face hub 副本 {source}，并转换为 OpenAI 的格式（张量 sha256 {tensors}…，{check}）",
    "The model is {name}, not OpenAI's released weights: its sha256 ({sha}) is not OpenAI's published one, so our "
    "numbers measure that file and the published figures beside them another model":
        "模型是{name}，不是 OpenAI 发布的权重：其 sha256（{sha}）不是 OpenAI 公布的值，所以我们的数字测量的是这个文件，"
        "旁边列出的公开数字测量的是另一个模型",
    "an unverified copy of CLIP {model}": "未经核验的 CLIP {model} 副本",
    "**Offline profile:** the {what} are the published CIFAR-10/100 figures for ViT-B/32 and are *not* comparable "
    "numerically with {model} on ShapesWorld: they are quoted for the shape of the comparison ({shape}), not its "
    "values.":
        "**离线配置**：{what}是 ViT-B/32 在 CIFAR-10/100 上公布的数字，与 {model} 在 ShapesWorld 上的结果在数值上*不可*比较："
        "引用它们是为了展示比较的形态（{shape}），而不是数值本身。",
    "the probe against zero-shot, coarse against fine": "线性探测对零样本，粗粒度对细粒度",
    "coarse against fine, ensemble against single": "粗粒度对细粒度，集成对单模板",
    "{name} comes pretrained by OpenAI: there is no training log to show.": "{name}由 OpenAI 预训练：没有训练日志可以展示。",
    "Here: {words}; the interval cannot tell whether this agrees with the paper.":
        "这里：{words}；置信区间不足以判断是否与论文一致。",
    # ------------------------------------------------------------------ captions (report/captions.py)
    "Per-class top-1 on {name} with the ensemble, best class at the top and worst at the bottom; the dashed line is "
    "the mean over all {n} classes.":
        "{name} 上使用提示集成的各类别 top-1，最好的类别在上、最差的在下；虚线是全部 {n} 个类别的平均值。",
    "Per-class top-1 on {name} with the ensemble: the {k} best classes at the top and the {k} worst at the bottom of "
    "{n}; the dashed line is the mean over all of them.":
        "{name} 上使用提示集成的各类别 top-1：{n} 个类别中最好的 {k} 个在上、最差的 {k} 个在下；虚线是全部类别的平均值。",
    "Every class scores {acc}.": "每个类别的得分都是 {acc}。",
    "Top-1 ranges from {worst} ({wc}) to {best} ({bc})": "top-1 从 {worst}（{wc}）到 {best}（{bc}）不等",
    ": accuracy is far from uniform across classes (the two classes' 95% intervals, about {per} images each, do not "
    "overlap).": "：各类别的准确率远非均匀（这两个类别各约 {per} 张图像，其 95% 区间不重叠）。",
    ", within what about {per} test images per class leave to chance (their 95% intervals overlap).":
        "，仍在每类约 {per} 张测试图像所允许的随机波动之内（其 95% 区间重叠）。",
    "{right} correctly and {wrong} wrongly classified {name} test images (seeded) with their top-5 zero-shot "
    "predictions; blue marks the true class.":
        "{name} 中 {right} 张分类正确、{wrong} 张分类错误的测试图像（固定随机种子）及其 top-5 零样本预测；蓝色标出真实类别。",
    "Zero-shot top-1 and top-5 per dataset, single template against the ensemble":
        "各数据集的零样本 top-1 与 top-5，单一模板对比提示集成",
    ", beside the published figures (hatched).": "，并列已发表的数字（斜线填充）。",
    "; the published CIFAR figures are in the table above, not on these axes: they measure another model on other "
    "data.": "；已发表的 CIFAR 数字见上表，不画在这些坐标轴上：它们测量的是另一个模型、另一批数据。",
    "zero-shot figures of the table's last column": "表格最后一列的零样本数字",
    "zero-shot is at chance level, so the paper's comparison does not apply": "零样本处于随机水平，因此论文的比较不适用",
    ": the matching pairs on the diagonal are more similar on average, yet the right caption is the most similar "
    "one for only {k} of the {n} images.": "：对角线上的匹配对平均而言更相似，但只有 {n} 张图像中的 {k} 张与正确描述最相似。",
    "On {dataset} ({n} test images, chance {chance}), zero-shot scores {zs} (95% CI {lo} to {hi}), {near}: no caption "
    "ever states how many shapes an image holds. A linear probe on the same features scores {probe}: {diff}, an interval "
    "that treats the two accuracies as independent (the chapter on zero-shot across datasets pairs them image by "
    "image). {paper}":
        "在 {dataset}（{n} 张测试图像，随机水平 {chance}）上，零样本得分 {zs}（95% 置信区间 {lo} 至 {hi}），{near}：没有任何描述说明一张图像里有几个"
        "形状。同一特征上的线性探测得分 {probe}：{diff}；这一区间把两个准确率视为相互独立（“零样本在哪里有效，在哪里失效”一章逐图配对比较二者）。{paper}",
    "The paper's Figure 5 shows the same for CLEVR counting, MNIST and EuroSAT.":
        "论文的图 5 在 CLEVR 计数、MNIST 和 EuroSAT 上显示了同样的情况。",
    "The paper's Figure 5 finds zero-shot weak and a probe stronger on CLEVR counting, MNIST and EuroSAT; this run "
    "does not show that pattern.": "论文的图 5 发现在 CLEVR 计数、MNIST 和 EuroSAT 上零样本较弱而线性探测更强；本次运行没有显示这一规律。",
    "rises": "上升",
    "falls": "下降",
    "ends where it began": "最终回到起点附近",
    "MiniCLIP's pretraining on ShapesWorld, from the shipped checkpoint's log: the symmetric contrastive loss {loss}, "
    "the in-batch accuracy {acc} and the learned temperature (started at 0.07) {temp} (last tenth of the steps "
    "against the first).":
        "MiniCLIP 在 ShapesWorld 上的预训练（数据取自 MiniCLIP 检查点附带的训练日志）：对称对比损失{loss}，批内准确率{acc}，"
        "可学习的温度（初始为 0.07）{temp}（最后十分之一的步数对比最初十分之一）。",
    "No entanglement is claimed: the requested value was not reached.": "我们不声称存在特征纠缠：所要求的值没有达到。",
    "the requested value was not reached": "所要求的值没有达到",
    "Over {n} related starts, the attribute readout (a separate CNN) read {got} (the request) and {leak} (unrequested "
    "changes)": "在 {n} 个相关起点上，属性读出器（一个独立的 CNN）读出：所要求的变化，{got}；未要求的变化，{leak}",
    ": the edits entangle, as the original course report saw on faces.": "：编辑存在特征纠缠，正如原课程报告在人脸上所见。",
    "; no entanglement is claimed: {why}.": "；我们不声称存在特征纠缠：{why}。",
    "Of the same scenes drawn in {k} other styles, {s} lower clean accuracy for both classifiers; on {m} of those "
    "zero-shot keeps a larger share of its clean accuracy than the probe fitted on flat images, on {p} the probe "
    "does: {paper} (each with its 95% interval in the analysis chapter).":
        "同样的场景以另外 {k} 种风格绘制时，其中 {s} 种同时降低了两个分类器的无扰动准确率；在这些风格中，零样本在 {m} 种上保留的无扰动准确率"
        "比例高于在平面图像上拟合的线性探测，线性探测保留比例更高的有 {p} 种：{paper}（各自的 95% 置信区间见“CLIP 性能分析”一章）。",
    # ------------------------------------------------------------------ the style shift, set by set (abstract)
    "zero-shot keeps the larger share of its clean accuracy on {m} of them and the probe on {p}":
        "其中零样本保留的无扰动准确率比例更高的有 {m} 种，线性探测更高的有 {p} 种",
    "zero-shot keeps the larger share of its clean accuracy on {m} of them":
        "其中零样本在 {m} 种上保留的无扰动准确率比例更高",
    "the probe keeps the larger share of its clean accuracy on {p} of them":
        "其中线性探测在 {p} 种上保留的无扰动准确率比例更高",
    "neither classifier keeps a detectably larger share of its clean accuracy":
        "两个分类器保留的无扰动准确率比例差异不显著",
    " (the other {r} are easier than the clean set, so not shifts)": "（其余 {r} 种比无扰动测试集更容易，因而不算分布偏移）",
    "only {names} lowers clean accuracy for both classifiers": "只有 {names} 同时降低了两个分类器的无扰动准确率",
    "{s} lower clean accuracy for both classifiers ({names})": "有 {s} 种同时降低了两个分类器的无扰动准确率（{names}）",
    "Of the {k} other drawing styles of the same scenes, {lowers}{rest}; {who}: {paper} (each set with its 95% "
    "interval in the analysis chapter).":
        "相同场景的另外 {k} 种绘制风格中，{lowers}{rest}；{who}：{paper}（每个集合的 95% 置信区间见“CLIP 性能分析”一章）。",
    # ------------------------------------------------------------------ the conclusions, point by point
    "<strong>The original course report's point 1: CLIP is strong at zero-shot and linear-probe classification.</strong> ":
        "<strong>原课程报告的第 1 点：CLIP 在零样本和线性探测分类上能力很强。</strong>",
    "No classification was measured in this build.": "本次构建没有测量分类。",
    "<strong>Point 2: the training data carries bias, and performance depends on the downstream task.</strong> ":
        "<strong>第 2 点：训练数据自带偏差，模型性能也受下游任务影响。</strong>",
    "This build measured no task that separates them.": "本次构建没有测量能区分二者的任务。",
    "What the task asks of the captions decides the result; the bias of the pretraining data itself is not measured "
    "here.": "结果取决于任务所需的信息是否出现在预训练描述中；预训练数据本身的偏差在这里没有测量。",
    "<strong>Point 3: CLIP is a product of theory, hardware and data at scale.</strong> ":
        "<strong>第 3 点：CLIP 是理论、硬件与数据规模发展到一定阶段的产物。</strong>",
    "The offline profile shows the method itself working at toy scale: a small CLIP pretrained on a CPU in minutes "
    "learns a zero-shot classifier for the shapes its captions name. The scale the paper used is cited in the "
    "introduction, not reproduced.":
        "离线配置表明，方法本身在玩具规模上也能运转：一个在 CPU 上预训练几分钟的小型 CLIP，就能对其描述中出现过的形状做零样本分类。"
        "论文所用的规模在引言中引用，没有复现。",
    "This build evaluates OpenAI's released weights; the scale of their training is cited in the introduction, not "
    "reproduced.": "本次构建评估的是 OpenAI 发布的权重；其训练规模在引言中引用，没有复现。",
    "<strong>Point 4: CLIP is weaker on fine-grained and abstract tasks, and worth further study.</strong> ":
        "<strong>第 4 点：CLIP 在细粒度和抽象任务上较弱，值得深入研究。</strong>",
    "This build ran neither the corruption study nor StyleCLIP.": "本次构建既没有运行图像损坏研究，也没有运行 StyleCLIP。",
    "<strong>Point 5: pretrained models may concentrate computing resources.</strong> ":
        "<strong>第 5 点：预训练模型可能使计算资源更加集中。</strong>",
    "This is an argument about the field rather than a measurement; this build measures nothing that could confirm or "
    "refute it.": "这是对领域走向的论点，而非测量；本次构建没有任何测量能证实或否定它。",
}
