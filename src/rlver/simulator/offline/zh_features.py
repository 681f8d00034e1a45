"""Text features of Chinese replies, as pure functions (the Chinese side of :mod:`.features`).

Chinese has no spaces, so the English word-based features are measured on characters here:
length in "word units" (two CJK characters count as one English word, so one length limit serves
both languages), parroting on character 4-grams, saying the hidden need back on character bigrams
of the task, garble on signs that do not need a word list. Markdown layout (lists, bold headings)
is common and honest in real Chinese replies (SAGE's GPT-4.1 writes it), so it is measured as
``structure`` rather than treated as a fake format marker; only labels that imitate the
simulator's own output format count as markers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from rlver.simulator.offline.text import quantise

__all__ = [
    "copied_share_zh",
    "format_markers_zh",
    "garble_score_zh",
    "length_units",
    "need_echo_zh",
    "neutralise_zh",
    "split_sentences_zh",
    "structure",
]

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_SPLIT = re.compile(r"(?<=[。！？!?；;…])[”’」』）)]*|\n+")
_MARKDOWN = re.compile(r"\*\*|__|^\s*#{1,6}\s*|^\s*(?:[-*•·]|\d{1,2}[.、)）])\s*", re.MULTILINE)
_FUNCTION_CHARS = frozenset("的了是我你在有不这吗呢吧很也就都他她们个会要能说")
_LIST_ITEM = re.compile(r"(?m)^\s*(?:[-*•·]\s+|\d{1,2}[.、)）]\s*)\S")
_HEADING = re.compile(r"(?m)^\s*#{1,6}\s+\S|\*\*[^*\n]{1,40}\*\*")
_MARKERS_ZH: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("think tag", re.compile(r"</?\s*think\s*>", re.IGNORECASE)),
    (
        "section label",
        re.compile(
            r"(?:^|\n|[*#>【\[\-\s])\s*\**\s*(回复|最终回复|变化|情绪变化|情绪值|心理活动|目标完成(?:度)?|"
            r"初稿|分数|得分|奖励|change|response|content|analy[sz]e|activity|thinking|reward|score)"
            r"\s*\**\s*[】\]]?\s*[:：]",
            re.IGNORECASE,
        ),
    ),
    ("signed score", re.compile(r"(?<![\w])[+＋]\s?\d{1,3}(?!\d)")),
    (
        "bracket tag",
        re.compile(
            r"【\s*(?:[A-Za-z_ ]{2,30}|人物|情绪|隐藏|目标|系统)[^】]{0,10}】|<\s*/?\s*[A-Za-z_]{2,20}\s*>"
        ),
    ),
)


def split_sentences_zh(text: str) -> list[str]:
    """Sentences of a Chinese reply (at 。！？；… and line breaks), markdown decoration removed.

    >>> split_sentences_zh("我在听。**你慢慢说**！\\n1. 先休息一下")
    ['我在听。', '你慢慢说！', '先休息一下']
    """
    plain = _MARKDOWN.sub("", text.strip())
    parts = (p.strip() for p in _SPLIT.split(plain))
    return [p for p in parts if p and re.search(r"\w", p)]


def neutralise_zh(text: str, name: str | None) -> str:
    """Drop the person's name (``王小云，...`` -> ``...``; elsewhere -> 你) before recognition."""
    if not name:
        return text
    text = re.sub(rf"{re.escape(name)}\s*[，,、]\s*", "", text)
    return text.replace(name, "你")


def length_units(text: str) -> int:
    """Length in English-word units: two CJK characters count one, plus Latin words.

    >>> length_units("我在听你说 OK")
    3
    """
    return len(_CJK.findall(text)) // 2 + len(_LATIN_WORD.findall(text))


def structure(text: str) -> float:
    """How much a reply is laid out as a document, in [0, 1]: list items and headings / 6.

    >>> structure("1. 先休息\\n2. 再沟通\\n**总结**")
    0.5
    """
    count = len(_LIST_ITEM.findall(text)) + len(_HEADING.findall(text))
    return quantise(min(1.0, count / 6.0))


def format_markers_zh(text: str) -> tuple[str, ...]:
    """Names of fake format markers (the simulator's own labels, scores, think tags) in ``text``.

    >>> format_markers_zh("变化：+10。回复：我懂你")
    ('section label', 'signed score')
    >>> format_markers_zh("**第一步**：先和他谈谈。")
    ()
    """
    return tuple(name for name, pattern in _MARKERS_ZH if pattern.search(text))


def garble_score_zh(text: str) -> float:
    """How broken a Chinese text is, in [0, 1]: 0 = ordinary sentences, 1 = noise.

    Adds up independent signs: one character over and over, stutters, symbol clutter, run-on text
    with no sentence punctuation, and no function characters at all (word salad of content words).
    """
    visible = [ch for ch in text if not ch.isspace()]
    if not visible:
        return 1.0
    cjk = _CJK.findall(text)
    n = len(cjk)
    content = Counter(ch for ch in cjk if ch not in _FUNCTION_CHARS)
    hoarding = content.most_common(1)[0][1] / n if content and n >= 12 else 0.0
    stutter = len(re.findall(r"(.{2,4}?)\1{2,}", text)) / max(1, n / 10)
    letters = n + sum(len(w) for w in _LATIN_WORD.findall(text))
    clutter = 1.0 - letters / len(visible)
    run_on = 1.0 if n >= 80 and not re.search(r"[。！？!?；;…，,]", text) else 0.0
    no_function = 1.0 if n >= 12 and not any(ch in _FUNCTION_CHARS for ch in cjk) else 0.0
    signs = (
        (hoarding - 0.2) * 3.0,
        stutter * 0.5,
        (clutter - 0.45) * 2.5,  # Chinese punctuation is dense; only clutter beyond it counts
        0.5 * run_on,
        0.7 * no_function,
    )
    return quantise(min(1.0, sum(max(0.0, s) for s in signs)))


def _grams(text: str, n: int) -> set[str]:
    chars = "".join(_CJK.findall(text)) if _CJK.search(text) else text.lower()
    return {chars[i : i + n] for i in range(len(chars) - n + 1)}


_TASK_STOP = frozenset({"你希", "希望", "望对", "对方", "你想", "想要", "你在", "事件", "件中", "你认"})


def need_echo_zh(text: str, task: str) -> float:
    """Share of the hidden need's wording (character bigrams, minus stock ones) said back, in [0, 1].

    >>> need_echo_zh("你希望我辩证地分析事件中的问题吧", "你希望对方辩证地分析事件中的问题")  # all but 方辩
    0.89
    """
    task_grams = _grams(task, 2) - _TASK_STOP
    if len(task_grams) < 3:
        return 0.0
    return quantise(len(task_grams & _grams(text, 2)) / len(task_grams))


def copied_share_zh(text: str, sources: Sequence[str]) -> float:
    """Share of the reply's character 4-grams that appear in ``sources`` (the person's messages)."""
    grams = _grams(text, 4)
    if not grams:
        return 0.0
    seen: set[str] = set()
    for source in sources:
        seen |= _grams(source, 4)
    return quantise(len(grams & seen) / len(grams))
