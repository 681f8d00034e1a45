"""Generate simulated-user profiles with an LLM, the way SAGE built its data set.

For profile ``index`` a generator seeded by ``(seed, index)`` samples a character type (weighted
like the official training set, 183 / 174 / 143), three sub-traits from that type's pool, a hidden
need and a topic seed. An LLM (any :class:`~rlver.llm.types.ChatClient`) writes the persona, the
scene script and the opening line as JSON. Each answer is validated (JSON, also inside code fences;
required fields; language; the opening line must not state the hidden need verbatim; no duplicate
persona or opening line); a rejected answer is retried up to ``max_attempts`` times with the reason
fed back. Accepted profiles are appended to the output JSONL one by one (fsynced), so a crash loses
at most a truncated last line; a rerun with the same seed skips the indices already present.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from rlver.errors import ConfigError, LLMError
from rlver.llm.types import ChatClient, Message, SamplingParams
from rlver.profiles.io import (
    ProfileFileError,
    ProfileIssue,
    RawRecord,
    atomic_write_text,
    iter_profile_records,
    profile_from_record,
)
from rlver.profiles.official import detect_language, extract_name
from rlver.profiles.schema import CharacterType, HiddenNeed, Language, Profile
from rlver.utils.io import JsonlAppender

__all__ = [
    "GeneratorConfig",
    "ProfileSpec",
    "GenerationReport",
    "GenerationRejected",
    "sample_spec",
    "profile_id",
    "extract_json_object",
    "parse_generated",
    "generate_profiles",
    "build_messages",
    "leak_phrases",
    "CHARACTER_WEIGHTS",
    "TRAIT_POOLS",
    "TOPIC_SEEDS",
    "NEED_TASKS",
]


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate and how hard to try."""

    n: int
    """Total number of profiles wanted in the output file (indices ``0 .. n-1``)."""
    language: Language = "en"
    """Language of the generated profiles: ``en`` or ``zh``."""
    seed: int = 0
    """Seeds the sampling of every index; the same seed and index always give the same spec."""
    concurrency: int = 4
    """Profiles generated at once (each is one LLM call at a time)."""
    max_attempts: int = 3
    """LLM calls per index before the index is reported as failed (a rerun tries it again)."""
    temperature: float = 0.9
    """Sampling temperature: generation wants variety, unlike the simulator."""
    max_tokens: int = 2048
    """Upper bound on one answer's tokens."""
    min_persona_chars: int = 10
    """Shorter personas are rejected as too thin."""
    min_scene_chars: int = 40
    """Shorter scenes are rejected as too thin."""
    max_first_talk_chars: int = 400
    """Longer opening lines are rejected: an opening is one or two sentences."""

    def __post_init__(self) -> None:
        if self.n < 1:
            raise ConfigError(f"n must be >= 1, got {self.n}")
        if self.language not in ("en", "zh"):
            raise ConfigError(f"language must be 'en' or 'zh', got {self.language!r}")
        if self.concurrency < 1:
            raise ConfigError(f"concurrency must be >= 1, got {self.concurrency}")
        if self.max_attempts < 1:
            raise ConfigError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")


@dataclass(frozen=True)
class ProfileSpec:
    """What one generated profile must be: sampled before the LLM is asked."""

    index: int
    character: CharacterType
    traits: tuple[str, str, str]
    need: HiddenNeed
    topic: str
    language: Language

    @property
    def task(self) -> str:
        """The hidden intention in words, in the profile's language."""
        return NEED_TASKS[self.language][self.need]


# -- what is sampled: pools written as (English, Chinese) pairs, so an index means the same in both --

_NEG, _PAS, _AVO = CharacterType.NEGATIVE, CharacterType.PASSIVE, CharacterType.AVOIDANT
CHARACTER_WEIGHTS = {_NEG: 183, _PAS: 174, _AVO: 143}
"""Sampling weights of the character types: the mix of the official 500 training profiles."""

_TRAITS: dict[CharacterType, tuple[tuple[str, str], ...]] = {
    _NEG: (("angry", "易怒"), ("selfish", "自私"), ("vain", "虚荣"), ("sarcastic", "尖酸刻薄"), ("pessimistic", "悲观"),
           ("stubborn", "固执"), ("jealous", "爱嫉妒"), ("impatient", "急躁"), ("fault-finding", "挑剔"),
           ("suspicious", "多疑"), ("complaining", "爱抱怨"), ("arrogant", "自负")),
    _PAS: (("introverted", "内向"), ("anxious", "焦虑"), ("cautious", "谨慎"), ("indecisive", "优柔寡断"),
           ("dependent", "依赖他人"), ("shy", "害羞"), ("insecure", "缺乏自信"), ("people-pleasing", "讨好别人"),
           ("sensitive", "敏感"), ("timid", "胆小"), ("self-doubting", "自我怀疑"), ("compliant", "顺从")),
    _AVO: (("evasive", "闪躲"), ("guarded", "戒备心强"), ("aloof", "冷淡"), ("stoic", "逞强"),
           ("dismissive", "轻描淡写"), ("detached", "疏离"), ("proud", "好面子"), ("private", "不愿透露隐私"),
           ("rationalizing", "爱找理由"), ("numb", "麻木"), ("distrustful", "不信任他人"), ("conflict-averse", "逃避冲突")),
}
_TOPICS: tuple[tuple[str, str], ...] = (
    ("a manager took credit for their project", "领导把自己的项目成果据为己有"),
    ("failing an important exam after months of preparation", "准备了几个月的重要考试没考过"),
    ("a long relationship ended without warning", "一段多年的感情突然结束"),
    ("a falling-out with a best friend over money", "和最好的朋友因为钱闹翻"),
    ("parents pressuring them to get married", "父母不停催婚"),
    ("being laid off in a restructuring", "公司重组时被裁员"),
    ("a roommate who never cleans up", "室友从来不打扫卫生"),
    ("caring for a sick parent while working full time", "一边全职工作一边照顾生病的父母"),
    ("moving to a new city and feeling lonely", "搬到新城市后很孤独"),
    ("parents who always favour a sibling", "父母总是偏心兄弟姐妹"),
    ("being criticised in front of the whole team", "在整个团队面前被当众批评"),
    ("wedding plans falling apart", "婚礼筹备一团糟"),
    ("burnout from months of overtime", "连续几个月加班身心俱疲"),
    ("a child whose grades keep dropping", "孩子的成绩一直下滑"),
    ("a small business that keeps losing money", "自己开的小店一直亏钱"),
    ("being left out by a group of friends", "被一群朋友排挤"),
    ("a partner who secretly checks their phone", "伴侣偷偷查看自己的手机"),
    ("a clash with their partner's parents", "和伴侣的父母起冲突"),
    ("a promotion that went to a less experienced colleague", "升职机会给了资历更浅的同事"),
    ("online abuse after a post went viral", "发的帖子走红后遭到网暴"),
    ("the death of a pet they had for years", "养了多年的宠物去世了"),
    ("a friend who will not pay back a loan", "朋友借钱一直不还"),
    ("a thesis supervisor who ignores them", "导师对自己不闻不问"),
    ("a worrying result from a health check", "体检查出了让人担心的问题"),
    ("a noise dispute with the neighbours", "和邻居因为噪音起纠纷"),
    ("feeling stuck in a job their parents chose", "困在父母替自己选的工作里"),
    ("a teammate who misses deadlines and blames them", "队友总是拖延还把责任推给自己"),
    ("a long-distance relationship under strain", "异地恋越来越累"),
    ("relatives constantly comparing them with a cousin", "亲戚总拿自己和表兄弟姐妹比较"),
    ("giving up a sport they loved after an injury", "受伤后不得不放弃热爱的运动"),
)
_LANG_INDEX = {"en": 0, "zh": 1}
TRAIT_POOLS = {lang: {c: tuple(p[i] for p in pool) for c, pool in _TRAITS.items()} for lang, i in _LANG_INDEX.items()}
"""Sub-trait pool per language and character type (three are sampled per profile)."""
TOPIC_SEEDS = {lang: tuple(pair[i] for pair in _TOPICS) for lang, i in _LANG_INDEX.items()}
"""Topic seeds per language: what the person's story is about."""

# task text (the hidden intention) and the phrases that would state it outright in a first line
_NEEDS: dict[HiddenNeed, tuple[tuple[str, str], tuple[str, ...]]] = {
    HiddenNeed.ANALYSIS: (("Wants a dialectical analysis of the problem, both sides weighed rather than a quick verdict.",
                           "希望对方辩证地分析这个问题，权衡两面，而不是草率下结论。"), ("dialectical analysis", "辩证地分析")),
    HiddenNeed.ADVICE: (("Wants practical advice that really helps: concrete steps that fit the situation.",
                         "希望得到切实可行、真正有帮助的建议。"), ("practical advice that really helps", "切实可行")),
    HiddenNeed.UNDERSTAND_OTHERS: (("Wants to understand why the other people in the event acted as they did.",
                                    "希望理解事件中其他人为什么会那样做。"), ("understand why the other people", "其他人为什么会那样做")),
    HiddenNeed.SELF_GROWTH: (("Wants to be guided to self-reflection and growth.", "希望被引导进行自我反思，获得成长。"),
                             ("guided to self-reflection", "引导我进行自我反思")),
    HiddenNeed.PRAISE: (("Wants sincere praise for the specific things they did well.", "希望自己做得好的具体事情得到真诚的夸奖。"),
                        ("sincere praise", "真诚的夸奖")),
    HiddenNeed.VENTING: (("Wants to be listened to while venting, without being lectured.", "希望有人倾听自己发泄情绪，而不是说教。"),
                         ("listened to while venting", "倾听我发泄")),
    HiddenNeed.EMPATHY: (("Wants deep empathy for their feelings rather than simple comfort.", "希望对方对自己的感受深度共情，而不是简单的安慰。"),
                         ("deep empathy", "深度共情")),
    HiddenNeed.VALIDATION: (("Believes they did nothing wrong and wants that confirmed.", "认为自己没有错，希望得到对方的认同。"),
                            ("want you to confirm", "希望得到你的认同")),
}
NEED_TASKS = {lang: {need: texts[i] for need, (texts, _) in _NEEDS.items()} for lang, i in _LANG_INDEX.items()}
"""The hidden intention in words, per language; becomes the profile's ``task``."""


def leak_phrases(language: Language, need: HiddenNeed) -> tuple[str, str]:
    """Text a first line may not contain: the task itself, and the need's core phrase."""
    return NEED_TASKS[language][need], _NEEDS[need][1][_LANG_INDEX[language]]


# -- prompts ---------------------------------------------------------------------------------------

_THEME_MARKER = {"en": "Hidden theme: ", "zh": "隐藏主题："}
_CHARACTER_TEXT = {
    "en": {_NEG: "negative: openly irritable, critical, quick to take offence, blames others",
           _PAS: "passive: quiet and reluctant, waits to be asked, rarely asks questions or takes the lead",
           _AVO: "avoidant: deflects, downplays feelings, changes the subject when things get personal"},
    "zh": {_NEG: "负面型：情绪外露，爱挑剔，容易被冒犯，习惯责怪别人",
           _PAS: "被动型：沉默寡言，不主动，等别人问才说，很少提问或主导话题",
           _AVO: "回避型：闪躲，淡化自己的感受，一谈到私人话题就岔开"},
}
_SYSTEM = {
    "en": "You write realistic character profiles for a role-play simulator that trains and tests "
    "emotional-support conversations. Answer with one JSON object and nothing else.",
    "zh": "你为一个角色扮演模拟器编写真实可信的人物档案，用于训练和评测情感支持对话。只输出一个 JSON 对象，不要输出其他内容。",
}
_USER = {
    "en": """Create one person who wants to talk about something that is bothering them.

Character type: {character}
Sub-traits: {traits}
Topic seed: {topic}
Hidden need (the person never says it outright): {task}

Return a JSON object with exactly these keys:
- "name": the person's full name
- "persona": name, age, gender, occupation, hobbies, habits and behaviour, speaking style and way of talking; consistent with the character type and sub-traits
- "scene": the background script, in this order: cause and timeline of the event; the person's feelings; the main conflict; what they have already tried; their current state; how they react when their emotion is high, normal and low; which kinds of reply raise their emotion and which lower it; and a last line starting with "Hidden theme: " that restates the hidden need
- "first_talk": the person's first message: one or two short, colloquial sentences about the event that show their mood but never state the hidden need

Write everything in English. Use specific details (names, places, times) and avoid clichés.""",
    "zh": """请创作一个想找人聊聊烦心事的人物。

性格类型：{character}
子性格：{traits}
话题种子：{topic}
隐藏需求（人物从不直接说出来）：{task}

请返回一个 JSON 对象，只包含以下字段：
- "name"：人物的姓名
- "persona"：人物画像，包括姓名、年龄、性别、职业、爱好、习惯和行为特点、说话风格和说话方式，要与性格类型和子性格一致
- "scene"：对话背景，依次写出：事件的起因和时间线；人物的感受；主要矛盾；已经做过的尝试；当前状态；情绪高、中、低时分别会怎样反应；哪些回复会让情绪升高、哪些会让情绪降低；最后一行以"隐藏主题："开头，重述隐藏需求
- "first_talk"：人物的第一句话：一两句简短口语化的话，说到这件事并流露情绪，但绝不能直接说出隐藏需求

全部用中文书写。细节要具体（人名、地点、时间），避免套话。""",
}
_RETRY_NOTE = {
    "en": "Your previous answer was rejected: {reason}. Write a new answer: one JSON object with the keys above.",
    "zh": "你上一次的回答不合格：{reason}。请重新回答：只输出一个包含上述字段的 JSON 对象。",
}


def build_messages(spec: ProfileSpec) -> list[Message]:
    """The system and user messages that ask for the profile of ``spec``."""
    separator = ", " if spec.language == "en" else "、"
    user = _USER[spec.language].format(
        character=_CHARACTER_TEXT[spec.language][spec.character],
        traits=separator.join(spec.traits),
        topic=spec.topic,
        task=spec.task,
    )
    return [Message("system", _SYSTEM[spec.language]), Message("user", user)]


@dataclass
class GenerationReport:
    """Outcome of one :func:`generate_profiles` run (counts are for this run only)."""

    path: Path
    requested: int
    already_present: int = 0
    accepted: int = 0
    llm_calls: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    """Rejected answers by reason: ``invalid_json``, ``missing_field``, ``too_short``, ``too_long``,
    ``wrong_language``, ``leaks_need``, ``duplicate``."""
    failed_indices: list[int] = field(default_factory=list)
    """Indices that used up their attempts; rerun the same command to try them again."""
    dropped_truncated_line: bool = False
    """The output file ended in a half-written line (an earlier crash), which was dropped."""

    @property
    def duplicates(self) -> int:
        return self.rejected["duplicate"]

    @property
    def complete(self) -> bool:
        return not self.failed_indices


class GenerationRejected(ValueError):
    """An LLM answer that cannot become a profile; ``reason`` is a short code, the message explains."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def profile_id(seed: int, index: int) -> str:
    """Id of generated profile ``index``: stable, and tells a rerun which indices are done."""
    return f"gen-s{seed}-{index:05d}"


_ID_PATTERN = re.compile(r"^gen-s(-?\d+)-(\d+)$")


def sample_spec(seed: int, index: int, language: Language) -> ProfileSpec:
    """The spec of profile ``index``; depends only on ``(seed, index)`` (pools are parallel across
    languages, so the same seed gives the same people in English and Chinese)."""
    rng = random.Random(f"rlver-profile-generator:{seed}:{index}")  # str seeds hash stably (sha512)
    characters = list(CHARACTER_WEIGHTS)
    character = rng.choices(characters, weights=[CHARACTER_WEIGHTS[c] for c in characters])[0]
    pool = TRAIT_POOLS[language][character]
    picks = rng.sample(range(len(pool)), 3)
    need = rng.choice(list(HiddenNeed))
    topic = TOPIC_SEEDS[language][rng.randrange(len(TOPIC_SEEDS[language]))]
    return ProfileSpec(index, character, (pool[picks[0]], pool[picks[1]], pool[picks[2]]), need, topic, language)


_FENCE = re.compile(r"```(?:json|JSON)?\s*(\{.*?\})\s*```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any]:
    """The JSON object in an LLM answer: inside a code fence, or from the first ``{`` to the last ``}``."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text[text.find("{") : text.rfind("}") + 1]
    if not candidate:
        raise GenerationRejected("invalid_json", "the answer holds no JSON object")
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise GenerationRejected("invalid_json", f"the JSON does not parse: {exc.msg} (char {exc.pos})") from None
    if not isinstance(value, dict):
        raise GenerationRejected("invalid_json", "the JSON is not an object")
    return value


def _as_text(value: Any) -> str:
    """LLMs sometimes nest a persona or scene as an object or list; flatten it to labelled lines."""
    if isinstance(value, dict):
        return "\n".join(f"{key}: {_as_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return "\n".join(_as_text(item) for item in value)
    return "" if value is None else str(value).strip()


def _normalised(text: str) -> str:
    return re.sub(r"[\W_]+", " ", text.lower()).strip()


def parse_generated(text: str, spec: ProfileSpec, *, seed: int, config: GeneratorConfig) -> Profile:
    """Validate one LLM answer for ``spec`` and build the profile. Raises :class:`GenerationRejected`."""
    data = extract_json_object(text)
    fields = {key: _as_text(data.get(key)) for key in ("persona", "scene", "first_talk")}
    missing = [key for key, value in fields.items() if not value]
    if missing:
        raise GenerationRejected("missing_field", f"missing or empty field(s): {', '.join(missing)}")
    persona, scene, first_talk = fields["persona"], fields["scene"], fields["first_talk"]
    if len(persona) < config.min_persona_chars or len(scene) < config.min_scene_chars:
        raise GenerationRejected(
            "too_short", f"persona needs >= {config.min_persona_chars} characters and scene >= {config.min_scene_chars}"
        )
    if len(first_talk) > config.max_first_talk_chars:
        raise GenerationRejected("too_long", f"first_talk has {len(first_talk)} characters (max {config.max_first_talk_chars})")
    if detect_language(persona + scene + first_talk) != spec.language:
        raise GenerationRejected("wrong_language", f"the profile is not written in {spec.language!r}")
    spoken = _normalised(first_talk)
    for phrase in leak_phrases(spec.language, spec.need):
        if _normalised(phrase) in spoken:
            raise GenerationRejected("leaks_need", f"first_talk states the hidden need outright ({phrase!r})")
    marker = _THEME_MARKER[spec.language]
    if marker not in scene:  # the scene must end with its hidden theme; add it when the LLM forgot
        scene = f"{scene}\n{marker}{spec.task}"
    name = _as_text(data.get("name")) or extract_name(persona)
    return Profile(
        id=profile_id(seed, spec.index),
        persona=persona,
        scene=scene,
        task=spec.task,
        character=spec.character,
        traits=spec.traits,
        need=spec.need,
        first_talk=first_talk,
        topic=spec.topic,
        language=spec.language,
        name=name or None,
    )


def _read_existing(path: Path, config: GeneratorConfig) -> tuple[dict[int, Profile], bool]:
    """Profiles already in the output (by index), and whether a truncated last line was dropped."""
    if not path.exists() or path.stat().st_size == 0:
        return {}, False
    records: list[RawRecord] = list(iter_profile_records(path))
    raw_text = path.read_bytes()
    dropped = False
    if records and records[-1].error is not None and not raw_text.endswith(b"\n"):
        records, dropped = records[:-1], True  # a crash mid-append: the last line is incomplete
    existing: dict[int, Profile] = {}
    issues = []
    for record in records:
        if record.error is not None:
            issues.append(ProfileIssue(str(path), record.line, record.error))
            continue
        try:
            profile = profile_from_record(record.data)
        except ValueError as exc:
            issues.append(ProfileIssue(str(path), record.line, str(exc)))
            continue
        match = _ID_PATTERN.match(profile.id)
        if match is None:
            raise ConfigError(f"{path}:{record.line}: id {profile.id!r} was not written by the generator; choose another --out")
        if int(match.group(1)) != config.seed:
            raise ConfigError(
                f"{path}:{record.line}: generated with seed {match.group(1)}, not {config.seed}; "
                f"rerun with --seed {match.group(1)} to continue it, or choose another --out"
            )
        if profile.language != config.language:
            raise ConfigError(f"{path}:{record.line}: profile language {profile.language!r}, not {config.language!r}")
        index = int(match.group(2))
        if index in existing:
            issues.append(ProfileIssue(str(path), record.line, f"duplicate id {profile.id!r}"))
        existing[index] = profile
    if issues:
        raise ProfileFileError(str(path), issues, len(records))
    return existing, dropped


def _dedup_keys(profile: Profile) -> tuple[str, str]:
    return "persona:" + _normalised(profile.persona), "first_talk:" + _normalised(profile.first_talk or "")


async def generate_profiles(
    client: ChatClient,
    out: str | Path,
    config: GeneratorConfig,
    *,
    on_result: Callable[[int, str], None] | None = None,
) -> GenerationReport:
    """Generate ``config.n`` profiles into the JSONL file ``out``, resuming what is already there.

    ``on_result(index, outcome)`` is called once per index (``accepted`` or ``failed``). An
    :class:`LLMError` (endpoint down after bounded retries) stops the run; everything accepted so far
    is kept, and a rerun continues from there. At the end the file is rewritten in index order.
    """
    path = Path(out)
    if path.suffix.lower() != ".jsonl":
        raise ConfigError(f"{path}: the generator writes JSONL; use a .jsonl file")
    existing, dropped = _read_existing(path, config)
    report = GenerationReport(path=path, requested=config.n, dropped_truncated_line=dropped)
    report.already_present = sum(1 for index in existing if index < config.n)
    _rewrite_in_index_order(path, existing)  # also drops a torn last line
    seen = {key for profile in existing.values() for key in _dedup_keys(profile)}
    todo = [index for index in range(config.n) if index not in existing]
    gate = asyncio.Semaphore(config.concurrency)

    with JsonlAppender(path) as appender:

        async def one(index: int) -> None:
            async with gate:
                profile = await _generate_one(client, sample_spec(config.seed, index, config.language), config, report, seen)
            if profile is None:
                report.failed_indices.append(index)
            else:
                appender.write(_record(profile))
                existing[index] = profile
                report.accepted += 1
            if on_result is not None:
                on_result(index, "failed" if profile is None else "accepted")

        tasks = [asyncio.ensure_future(one(index)) for index in todo]
        try:
            if tasks:
                done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                for task in done:
                    if task.exception() is not None:
                        raise task.exception()  # type: ignore[misc]
        except LLMError as exc:
            saved = f"{len(existing)} profiles are saved in {path}; rerun the same command to continue"
            raise LLMError(f"{exc}\n{saved}") from exc
        finally:
            appender.close()
            _rewrite_in_index_order(path, existing)
    report.failed_indices.sort()
    return report


def _record(profile: Profile) -> dict[str, Any]:
    return profile.model_dump(mode="json", exclude_none=True)


def _rewrite_in_index_order(path: Path, profiles: dict[int, Profile]) -> None:
    atomic_write_text(path, "".join(json.dumps(_record(profiles[i]), ensure_ascii=False) + "\n" for i in sorted(profiles)))


async def _generate_one(
    client: ChatClient, spec: ProfileSpec, config: GeneratorConfig, report: GenerationReport, seen: set[str]
) -> Profile | None:
    base = build_messages(spec)
    messages = base
    for attempt in range(config.max_attempts):
        params = SamplingParams(
            temperature=config.temperature,
            seed=config.seed * 1_000_003 + spec.index * 101 + attempt,
            max_tokens=config.max_tokens,
        )
        report.llm_calls += 1
        try:
            text = await client.chat(messages, params)
        except LLMError as exc:
            raise LLMError(f"profile {spec.index}: {exc}") from exc
        try:
            profile = parse_generated(text, spec, seed=config.seed, config=config)
            keys = _dedup_keys(profile)
            if any(key in seen for key in keys):
                raise GenerationRejected("duplicate", "the persona or first_talk repeats an earlier profile; write a different person")
        except GenerationRejected as rejected:
            report.rejected[rejected.reason] += 1
            note = _RETRY_NOTE[spec.language].format(reason=rejected)
            messages = [base[0], Message("user", f"{base[1].content}\n\n{note}")]
            continue
        seen.update(keys)  # claimed before any other task can await, so two equal answers cannot both pass
        return profile
    return None
