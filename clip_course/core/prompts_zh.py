"""Chinese class names and templates for the Chinese-prompt zero-shot experiment (notebook 03).

TEMPORARY: until ``core/prompts.py`` gains ``class_names(dataset, lang="zh")`` and
``templates("ensemble", dataset, lang="zh")`` (read from CLIP_benchmark's Chinese JSON), this module
holds the few lists notebook 03 needs; replace its two functions by those calls then.

- Templates for CIFAR: CLIP_benchmark's Chinese templates (LAION-AI/CLIP_benchmark,
  ``clip_benchmark/datasets/cn_zeroshot_classification_templates.json``, MIT licence), copied
  unchanged with ``{c}`` written ``{}``. That file has them for ``imagenet1k`` only (it has no CIFAR
  entry), and they are generic photo templates, so CIFAR uses them.
- Class names for CIFAR-10/100: CLIP_benchmark's ``cn_classnames.json`` has no CIFAR entry either;
  the names below are ours (this package's), in torchvision's class order.
- ShapesWorld: no published Chinese exists; names and templates are ours. The templates are short
  because clip's byte-level BPE spends about three tokens per Chinese character and MiniCLIP's
  context is 24 tokens.
"""

from __future__ import annotations

from clip_course.errors import PromptError

__all__ = ["class_names_zh", "templates_zh"]

#: CLIP_benchmark's Chinese imagenet1k templates (see the module docstring).
_CN_TEMPLATES = [
    '{}的照片。',
    '质量差的{}的照片。',
    '许多{}的照片。',
    '{}的雕塑。',
    '难以看到{}的照片。',
    '{}的低分辨率照片。',
    '{}的渲染。',
    '涂鸦{}。',
    '{}的糟糕照片。',
    '{}的裁剪照片。',
    '{}的纹身。',
    '{}的刺绣照片。',
    '很难看到{}的照片。',
    '{}的明亮照片。',
    '一张干净的{}的照片。',
    '一张包含{}的照片。',
    '{}的深色照片。',
    '{}的手绘画。',
    '我的{}的照片。',
    '不自然的{}的照片。',
    '一张酷的{}的照片。',
    '{}的特写照片。',
    '{}的黑白照片。',
    '一幅{}的画。',
    '一幅{}的绘画。',
    '一张{}的像素照片。',
    '{}的雕像。',
    '一张{}的明亮照片。',
    '{}的裁剪照片。',
    '人造的{}的照片。',
    '一张关于{}的照片。',
    '损坏的{}的jpeg照片。',
    '{}的模糊照片。',
    '{}的相片。',
    '一张{}的好照片。',
    '{}的渲染照。',
    '视频游戏中的{}。',
    '一张{}的照片。',
    '{}的涂鸦。',
    '{}的近距离照片。',
    '{}的折纸。',
    '{}在视频游戏中。',
    '{}的草图。',
    '{}的涂鸦照。',
    '{}的折纸形状。',
    '低分辨率的{}的照片。',
    '玩具{}。',
    '{}的副本。',
    '{}的干净的照片。',
    '一张大{}的照片。',
    '{}的重现。',
    '一张漂亮的{}的照片。',
    '一张奇怪的{}的照片。',
    '模糊的{}的照片。',
    '卡通{}。',
    '{}的艺术作品。',
    '{}的素描。',
    '刺绣{}。',
    '{}的像素照。',
    '{}的拍照。',
    '{}的损坏的照片。',
    '高质量的{}的照片。',
    '毛绒玩具{}。',
    '漂亮的{}的照片。',
    '小{}的照片。',
    '照片是奇怪的{}。',
    '漫画{}。',
    '{}的艺术照。',
    '{}的图形。',
    '大{}的照片。',
    '黑白的{}的照片。',
    '{}毛绒玩具。',
    '一张{}的深色照片。',
    '{}的摄影图。',
    '{}的涂鸦照。',
    '玩具形状的{}。',
    '拍了{}的照片。',
    '酷酷的{}的照片。',
    '照片里的小{}。',
    '{}的刺青。',
]

_CIFAR10_ZH = ["飞机", "汽车", "鸟", "猫", "鹿", "狗", "青蛙", "马", "船", "卡车"]

_CIFAR100_ZH = [
    "苹果", "观赏鱼", "婴儿", "熊", "河狸", "床", "蜜蜂", "甲虫", "自行车", "瓶子", "碗", "男孩", "桥", "公共汽车",
    "蝴蝶", "骆驼", "罐子", "城堡", "毛毛虫", "牛", "椅子", "黑猩猩", "钟", "云", "蟑螂",
    "沙发", "螃蟹", "鳄鱼", "杯子", "恐龙", "海豚", "大象", "比目鱼", "森林", "狐狸", "女孩", "仓鼠",
    "房子", "袋鼠", "键盘", "台灯", "割草机", "豹", "狮子", "蜥蜴", "龙虾", "男人", "枫树",
    "摩托车", "山", "老鼠", "蘑菇", "橡树", "橙子", "兰花", "水獭", "棕榈树", "梨",
    "皮卡", "松树", "平原", "盘子", "罂粟花", "豪猪", "负鼠", "兔子", "浣熊", "鳐鱼", "公路",
    "火箭", "玫瑰", "大海", "海豹", "鲨鱼", "鼩鼱", "臭鼬", "摩天大楼", "蜗牛", "蛇", "蜘蛛", "松鼠",
    "有轨电车", "向日葵", "甜椒", "桌子", "坦克", "电话", "电视", "老虎", "拖拉机", "火车",
    "鳟鱼", "郁金香", "乌龟", "衣柜", "鲸鱼", "柳树", "狼", "女人", "蠕虫",
]

#: ShapesWorld's shapes and colours in Chinese (ours), in the order of data/shapes_world.py.
_SHAPES_ZH = ["圆形", "正方形", "三角形", "星形", "心形", "菱形", "十字", "圆环", "月牙", "箭头"]
_COLOURS_ZH = ["红色", "橙色", "黄色", "绿色", "蓝色", "紫色", "粉色", "棕色", "白色", "黑色"]
#: Short Chinese templates for ShapesWorld (ours): "a photo of a {}.", "a picture of a {}.", "a {}.", "{}".
_SHAPES_TEMPLATES_ZH = ["{}的照片。", "{}的图片。", "一个{}。", "{}"]


def class_names_zh(dataset: str) -> list[str]:
    """Chinese class names of ``dataset`` in its class order."""
    if dataset == "cifar10":
        return list(_CIFAR10_ZH)
    if dataset == "cifar100":
        return list(_CIFAR100_ZH)
    if dataset.startswith("shapes100"):
        return [c + s for c in _COLOURS_ZH for s in _SHAPES_ZH]
    if dataset.startswith("shapes10"):
        return list(_SHAPES_ZH)
    raise PromptError(f"No Chinese class names for dataset {dataset!r}; the Chinese-prompt experiment has "
                      f"cifar10, cifar100, shapes10 and shapes100.")


def templates_zh(dataset: str) -> list[str]:
    """Chinese templates for ``dataset``."""
    return list(_SHAPES_TEMPLATES_ZH if dataset.startswith("shapes") else _CN_TEMPLATES)
