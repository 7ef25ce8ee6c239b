"""The Chinese edition's typography and terminology, as rules a machine applies and checks.

Rules (one each, applied everywhere: catalogue, notebook cells, templates, the printed PDF):

- **Punctuation** after or before Chinese text is full-width: ，。：；？！（）. Half-width
  punctuation stays only inside Latin text, numbers and code (``3.5``, ``ViT-B/32``, ``a photo of a {}.``).
- **Spaces**: none between two Chinese characters, none next to full-width punctuation; one space
  between Chinese and Latin letters or digits (``在 CIFAR-10 上``, ``高 3.1 个百分点``), the
  convention of Chinese technical writing (the PDF turns the space before a unit into a no-break space).
- **Quotation marks**: “” (and ‘’ inside), never 「」 or straight quotes around Chinese text.
- **Bold** in Markdown closes before full-width punctuation (``**离线配置**：``), else CommonMark
  leaves the asterisks in the text.
- **Terms** come from the terminology table (``catalogue_zh.GLOSSARY``, printed as the Chinese
  edition's appendix), one Chinese word per concept: :data:`SYNONYMS` lists the words it does not use.

:func:`normalize` applies the mechanical rules; :func:`problems` lists what breaks them.
"""

from __future__ import annotations

import re

__all__ = ["CJK", "CJK_RE", "normalize", "problems", "SYNONYMS", "tidy_html"]

CJK = "\u2e80-\u2fdf\u3400-\u9fff\uf900-\ufaff"
CJK_RE = re.compile(f"[{CJK}]")
FULL_PUNCT = "，。：；？！（）、“”‘’《》…—"
_HALF_TO_FULL = {",": "，", ".": "。", ":": "：", ";": "；", "?": "？", "!": "！"}

#: A word the edition does not use -> the term it uses instead.
SYNONYMS: dict[str, str] = {
    "稳健性": "鲁棒性",
    "健壮性": "鲁棒性",
    "线性探针": "线性探测",
    "线性探查": "线性探测",
    "零次学习": "零样本",
    "零样本学习": "零样本",
    "提示词": "提示",
    "模版": "模板",
    "集成提示": "提示集成",
    "分布漂移": "分布偏移",
    "分布转移": "分布偏移",
    "信赖区间": "置信区间",
    "干净准确率": "无扰动准确率",
    "忠实度": "保真度",
    "notebook": "笔记本",
    "Notebook": "笔记本",
}

_SPACE_CJK = re.compile(rf"(?<=[{CJK}{FULL_PUNCT}]) +(?=[{CJK}{FULL_PUNCT}])")
_SOFT_BREAK = re.compile(rf"(?<=[{CJK}{FULL_PUNCT}])\n(?=[{CJK}{FULL_PUNCT}])")
_HALF_AFTER_CJK = re.compile(rf"(?<=[{CJK}）”])([,.:;?!])(?=\s|$|[{CJK}*])")
_HALF_BEFORE_CJK = re.compile(rf"(?<=[{CJK}\s])([,:;?!])(?=[{CJK}])")
_PAREN = re.compile(rf"\(([^()]*[{CJK}][^()]*)\)")
_CJK_LATIN = re.compile(rf"(?<=[{CJK}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9%])(?=[{CJK}])")
_CORNER = re.compile(r"「([^「」]*)」")
_STRAIGHT = re.compile(r'"([^"\n]*)"')


def _bold_outside(m: re.Match[str]) -> str:
    """A bold span ending in full-width punctuation, the punctuation moved after it."""
    inner = m.group(1)
    return f"**{inner[:-1]}**{inner[-1]}" if inner[-1] in "：，；。" else m.group(0)


def normalize(text: str) -> str:
    """``text`` with the mechanical rules applied (idempotent). Placeholders ``{name}``, code spans
    and math are left as they are."""
    if re.search(f"[{CJK}]", text):  # quotation marks pair across placeholders, never inside code or tags
        coarse = re.split(r"(```.*?```|`[^`]*`|\$[^$]*\$|<[^>]+>)", text, flags=re.S)
        text = "".join(p if i % 2 else _STRAIGHT.sub(r"“\1”", p) for i, p in enumerate(coarse))
    parts = re.split(r"(```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\{\w*\}|<[^>]+>|\]\([^)]*\))", text, flags=re.S)
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
            continue
        p = _CORNER.sub(r"“\1”", part)
        p = _PAREN.sub(r"（\1）", p)
        p = re.sub(r"\*\*([^*\n]+?):\*\*", r"**\1：**", p) if re.search(f"[{CJK}]", p) else p
        p = re.sub(r"\*\*([^*\n]+?)\*\*", _bold_outside, p)
        p = _HALF_AFTER_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], p)
        p = _HALF_BEFORE_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], p)
        p = re.sub(rf"(?<=[{CJK}])（", "（", p)
        p = re.sub(rf" *([{FULL_PUNCT}]) *", r"\1", p)
        p = _SPACE_CJK.sub("", p)
        p = _SOFT_BREAK.sub("", p)  # a line break inside a Chinese paragraph prints as a space
        p = _CJK_LATIN.sub(" ", p)
        out.append(p)
    # a cross-reference prints as "表 1" / "图 3": a digit, so one space before the Chinese after it, none before
    text = re.sub(rf"(\]\(#(?:tab|fig)-[\w-]+\))(?=[{CJK}])", r"\1 ", "".join(out))
    return re.sub(rf"(?<=[{CJK}{FULL_PUNCT}]) +(?=\[[{CJK}]+\]\(#)", "", text)


def problems(text: str, where: str = "") -> list[str]:
    """Where ``text`` breaks the punctuation, spacing, quotation and terminology rules."""
    found = []
    plain = re.sub(r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|<[^>]+>|\]\([^)]*\)|\{\w*\}", "X", text, flags=re.S)
    checks = {
        "a space between Chinese characters or next to full-width punctuation": _SPACE_CJK,
        "half-width punctuation after Chinese": _HALF_AFTER_CJK,
        "a line break inside a Chinese paragraph (prints as a space)": _SOFT_BREAK,
        "half-width parentheses around Chinese": _PAREN,
        "「」 quotation marks (the edition uses “”)": _CORNER,
    }
    for what, pattern in checks.items():
        m = pattern.search(plain)
        if m is not None:
            found.append(f"{where}: {what}: …{plain[max(0, m.start() - 12):m.end() + 12]}…")
    for m in re.finditer(r"\*\*([^*\n]+?)\*\*", plain):
        if m.group(1)[-1] in "：，；。":
            found.append(f"{where}: bold closing after full-width punctuation (shows as literal **): {m.group(0)}")
            break
    for word, term in SYNONYMS.items():
        if re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", plain):
            found.append(f"{where}: '{word}': the edition says '{term}'")
    return found


_PUNCT_SPACE = re.compile(r"(?<=[，。：；？！）”])[ \u00a0]+(?=[^\s<])|(?<=[^\s>])[ \u00a0]+(?=[，。：；？！（“])")


def tidy_html(html: str) -> str:
    """The Chinese edition's HTML with the spaces next to full-width punctuation removed, outside
    ``<pre>``, ``<code>`` and math: sentences generated one by one and joined with a space
    ("……？ 此处") read as one text."""
    parts = re.split(r"(<pre.*?</pre>|<code.*?</code>|<script.*?</script>|<style.*?</style>|\$\$.*?\$\$|<[^>]+>)",
                     html, flags=re.S)
    out = "".join(p if i % 2 else _PUNCT_SPACE.sub("", p) for i, p in enumerate(parts))
    # a table header never breaks at the hyphen of "top-1" / "k-shot": a non-breaking hyphen there
    return re.sub(r"<th\b[^>]*>.*?</th>", lambda m: re.sub(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])(?![^<]*>)", "\u2011",
                                                            m.group(0)), out, flags=re.S)
