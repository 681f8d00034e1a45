"""The official SAGE/RLVER profile format: record detection, mapping to :class:`Profile`, and back.

Official records (one JSON object a line, Chinese text) carry ``id``, ``player``, ``scene``,
``main_cha``, ``cha_group``, ``task``, optionally ``first_talk`` and ``topic``. rlver's own (native)
records use :class:`Profile`'s field names. This module knows which is which, turns an official
record into a ``Profile`` (character type from ``main_cha``, hidden-need code recognised from the
``task`` text, language detected from the script), and turns a ``Profile`` back into an official
record. Everything here is a pure function of its input; file handling lives in ``io.py``.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rlver.profiles.schema import CharacterType, HiddenNeed, Language, Profile

__all__ = [
    "OFFICIAL_ONLY_KEYS",
    "NATIVE_ONLY_KEYS",
    "CHARACTER_NAMES_ZH",
    "OfficialRecord",
    "RecordFormat",
    "detect_record_format",
    "parse_character_type",
    "match_hidden_need",
    "detect_language",
    "extract_name",
    "official_to_profile",
    "profile_to_official",
]

RecordFormat = Literal["official", "native"]

# Keys that only one of the two formats uses; ``id``, ``scene``, ``task``, ``first_talk`` and
# ``topic`` are shared, so they say nothing about the format.
OFFICIAL_ONLY_KEYS = frozenset({"player", "main_cha", "cha_group"})
NATIVE_ONLY_KEYS = frozenset(Profile.model_fields) - {"id", "scene", "task", "first_talk", "topic"}

CHARACTER_NAMES_ZH: dict[CharacterType, str] = {
    CharacterType.NEGATIVE: "负面型",
    CharacterType.PASSIVE: "被动型",
    CharacterType.AVOIDANT: "回避型",
}
_CHARACTER_BY_NAME: dict[str, CharacterType] = {
    **{name: character for character, name in CHARACTER_NAMES_ZH.items()},
    **{character.value: character for character in CharacterType},
}


def detect_record_format(keys: set[str]) -> RecordFormat:
    """Tell an official record from a native one by its keys.

    Raises ``ValueError`` (with the offending keys) when the record mixes both formats or has
    neither format's person field.
    """
    official = sorted(keys & OFFICIAL_ONLY_KEYS)
    native = sorted(keys & NATIVE_ONLY_KEYS)
    if official and native:
        raise ValueError(
            f"record mixes the official format (keys {', '.join(official)}) with the native format "
            f"(keys {', '.join(native)}); use one format per record"
        )
    if official:
        return "official"
    if native:
        return "native"
    raise ValueError("missing field 'persona' (native format) or 'player' (official format)")


def parse_character_type(value: str) -> CharacterType:
    """``负面型`` / ``被动型`` / ``回避型`` (or the English code) → :class:`CharacterType`."""
    character = _CHARACTER_BY_NAME.get(value.strip().lower() if value.isascii() else value.strip())
    if character is None:
        names = ", ".join(CHARACTER_NAMES_ZH.values())
        raise ValueError(f"unknown character type {value!r} (expected {names}, or negative/passive/avoidant)")
    return character


# Each need is recognised by a few phrasings, Chinese and English. A task matches a need when at
# least one pattern hits; the need with the most distinct hits wins, and a tie means "not clear"
# (need=None) rather than a guess.
# fmt: off
_NEED_PATTERNS: dict[HiddenNeed, tuple[str, ...]] = {
    HiddenNeed.ANALYSIS: (
        r"辩证", r"(分析|剖析)(一下)?(这个|整个|当前|目前)?(问题|处境|局面|情况|利弊)", r"理性(地)?分析", r"客观(地)?分析",
        r"dialectic", r"analy[sz](e|is|ing) (of )?(the|this|my|their|his|her) (problem|situation|issue)",
        r"(objective|rational|balanced) (analysis|view)", r"pros and cons",
    ),
    HiddenNeed.ADVICE: (
        r"建议", r"(解决|应对)(的)?(办法|方法|方案)", r"出主意", r"切实可行", r"怎么办",
        r"advice", r"suggestions?\b", r"practical (help|steps|solutions?)", r"actionable", r"what to do",
        r"solve (the|this|their|his|her|my) problem",
    ),
    HiddenNeed.UNDERSTAND_OTHERS: (
        r"(理解|明白|弄清|搞清|知道)(楚)?.{0,6}(他人|别人|对方|他们|她们|他|她).{0,12}(为什么|为何|原因|动机|想法|行为|做法)",
        r"(他人|别人|对方|他们)(的)?(动机|用意|行为背后)",
        # The official wording: 你想分析事件中其他人物这么做的原因 (the others, not "the problem").
        r"(分析|理解|明白|弄清|搞清|知道).{0,8}(其他|其它|另外的?)(人物|人|角色)",
        r"(其他|其它)(人物|人|角色).{0,8}(这么|这样|那样|如此)?(做|行事|对待).{0,4}(的)?(原因|动机|理由)",
        r"why (the )?(others?|other|they|he|she|people|(my|his|her|their) \w+)\b.{0,30}\b(acted|behaved|did|treated|reacted|act|behave)",
        r"understand (the )?(other (people|person)'?s?|others'?|their|his|her) (motives?|motivations?|behaviou?r|actions|reasons)",
        r"motives? of (the )?other",
    ),
    HiddenNeed.SELF_GROWTH: (
        r"反思", r"自我成长", r"自我提升", r"自省", r"认识自己", r"(引导|帮助).{0,8}成长",
        r"self-?reflect", r"reflect on (himself|herself|themselves|myself|their own|his own|her own)",
        r"\bgrow(th)?\b", r"self-?improvement",
    ),
    HiddenNeed.PRAISE: (
        r"夸奖", r"夸赞", r"赞美", r"表扬", r"称赞", r"(认可|肯定).{0,8}(付出|努力|成绩|成就|能力|做的)",
        r"prais", r"compliment", r"recogni[sz](e|ed|tion) (for )?(the |their |his |her |my )?(effort|work|achievement)",
        r"appreciat(e|ion) (for )?(the |their |his |her |my )?(effort|work|achievement)",
    ),
    HiddenNeed.VENTING: (
        r"倾诉", r"发泄", r"宣泄", r"吐槽", r"倾听", r"听(他|她|自己|我)(说|讲)", r"抱怨",
        r"\bvent", r"let off steam", r"blow off steam", r"(be |being )?listened to", r"just listen",
        r"get (it|things) off (their|his|her|my) chest",
    ),
    HiddenNeed.EMPATHY: (
        r"共情", r"感同身受", r"(不是|而不是|而非|不要|不想要)(简单|表面|敷衍)(的)?(安慰|劝慰)", r"深(度|入)(地)?理解.{0,8}(感受|情绪|心情)",
        r"empath", r"not (just |only )?(simple|superficial|shallow|empty|quick) (comfort|reassurance)",
        r"(deep|deeply|truly) understand.{0,20}feelings", r"feel (truly |deeply )?understood",
    ),
    HiddenNeed.VALIDATION: (
        r"没有错", r"没错", r"(是|都是)对的", r"站在(我|自己|他|她)(的)?(这边|一边)", r"(认同|赞同|支持)(自己|他|她|我)(的)?(做法|观点|决定|立场)",
        r"(did|does|do) nothing wrong", r"(was|is|were) (in the )?right\b", r"not (at fault|to blame)",
        r"take (their|his|her|my) side", r"on (their|his|her|my) side", r"validat", r"confirm(ed)? that", r"wants? (that|it) confirmed",
    ),
}
# fmt: on
_COMPILED_NEED_PATTERNS = {
    need: tuple(re.compile(pattern, re.IGNORECASE) for pattern in patterns)
    for need, patterns in _NEED_PATTERNS.items()
}


def match_hidden_need(task: str) -> HiddenNeed | None:
    """The hidden need a task text clearly describes, or ``None`` when none or several fit equally.

    >>> match_hidden_need("希望对方能耐心倾听自己的抱怨")
    <HiddenNeed.VENTING: 'venting'>
    >>> match_hidden_need("Wants practical advice that really helps.")
    <HiddenNeed.ADVICE: 'advice'>
    >>> match_hidden_need("Wants to talk.") is None
    True
    """
    hits = {
        need: sum(1 for p in patterns if p.search(task)) for need, patterns in _COMPILED_NEED_PATTERNS.items()
    }
    ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
    (best, best_hits), (_, runner_up_hits) = ranked[0], ranked[1]
    if best_hits == 0 or best_hits == runner_up_hits:
        return None
    return best


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> Language:
    """``zh`` when CJK ideographs are at least half of the letters in ``text``, else ``en``.

    Counting letters (not words) keeps a few English names inside Chinese text from flipping it.
    """
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk > 0 and cjk >= latin else "en"


_NAME_LINE = re.compile(r"^\W*(?:姓名|名字|name)\s*[:：]\s*([^\n,，;；。(（]+)", re.IGNORECASE | re.MULTILINE)


def extract_name(persona: str) -> str | None:
    """The person's name from a ``姓名：…`` / ``Name: …`` line of the persona, when there is one."""
    match = _NAME_LINE.search(persona)
    if match is None:
        return None
    name = match.group(1).strip().strip("*").strip()
    return name or None


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


class OfficialRecord(BaseModel):
    """One official record as read from a file. Unknown keys (``target``, bookkeeping) are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str = Field(min_length=1)
    player: str = Field(min_length=1)
    scene: str = Field(min_length=1)
    main_cha: CharacterType
    cha_group: list[str]
    task: str = Field(min_length=1)
    first_talk: str | None = None
    topic: str | None = None

    @field_validator("main_cha", mode="before")
    @classmethod
    def _character_from_name(cls, value: Any) -> Any:
        return parse_character_type(value) if isinstance(value, str) else value

    @field_validator("first_talk", "topic", mode="before")
    @classmethod
    def _empty_is_absent(cls, value: Any) -> Any:
        return _blank_to_none(value)


def official_to_profile(record: OfficialRecord) -> Profile:
    """Map an official record onto rlver's :class:`Profile` (need and language are inferred)."""
    return Profile(
        id=record.id,
        persona=record.player,
        scene=record.scene,
        task=record.task,
        character=record.main_cha,
        traits=tuple(record.cha_group),
        need=match_hidden_need(record.task),
        first_talk=record.first_talk,
        topic=record.topic,
        language=detect_language(record.player + record.scene + record.task),
        name=extract_name(record.player),
    )


def profile_to_official(profile: Profile) -> dict[str, Any]:
    """The official record for ``profile``. Lossy: ``need``, ``name``, ``language`` and
    ``initial_emotion`` have no official field (need and language are inferred again on load).

    Raises ``ValueError`` for a profile without a character type (``main_cha`` is required).
    """
    if profile.character is None:
        raise ValueError(
            f"profile {profile.id!r} has no character type; the official format requires main_cha"
        )
    record: dict[str, Any] = {
        "id": profile.id,
        "player": profile.persona,
        "scene": profile.scene,
        "main_cha": CHARACTER_NAMES_ZH[profile.character],
        "cha_group": list(profile.traits),
        "task": profile.task,
    }
    if profile.first_talk is not None:
        record["first_talk"] = profile.first_talk
    if profile.topic is not None:
        record["topic"] = profile.topic
    return record
