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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlver.errors import ConfigError, LLMError
from rlver.llm.types import ChatClient, Message, SamplingParams
from rlver.profiles._generator_text import (
    CHARACTER_WEIGHTS,
    NEED_TASKS,
    THEME_MARKER,
    TOPIC_SEEDS,
    TRAIT_POOLS,
    build_messages,
    leak_phrases,
    retry_note,
)
from rlver.profiles.io import (
    ProfileFileError,
    ProfileIssue,
    RawRecord,
    iter_profile_records,
    profile_from_record,
)
from rlver.profiles.official import detect_language, extract_name
from rlver.profiles.schema import CharacterType, HiddenNeed, Language, Profile
from rlver.utils.io import JsonlAppender, atomic_write_text

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
    return ProfileSpec(
        index, character, (pool[picks[0]], pool[picks[1]], pool[picks[2]]), need, topic, language
    )


_FENCE = re.compile(r"```(?:json|JSON)?\s*(\{.*?\})\s*```", re.DOTALL)


def extract_json_object(text: str) -> dict[str, Any]:
    """The JSON object in an LLM answer: inside a code fence, or from the first ``{`` to the last ``}``."""
    fenced = _FENCE.search(text)
    start, end = text.find("{"), text.rfind("}")
    if fenced is None and start < 0:
        raise GenerationRejected("invalid_json", "the answer holds no JSON object")
    candidate = fenced.group(1) if fenced else text[start : end + 1] if end > start else text[start:]
    try:
        value = json.loads(candidate)
    except json.JSONDecodeError as exc:
        raise GenerationRejected(
            "invalid_json", f"the JSON does not parse: {exc.msg} (char {exc.pos})"
        ) from None
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
            "too_short",
            f"persona needs >= {config.min_persona_chars} characters and scene >= {config.min_scene_chars}",
        )
    if len(first_talk) > config.max_first_talk_chars:
        raise GenerationRejected(
            "too_long", f"first_talk has {len(first_talk)} characters (max {config.max_first_talk_chars})"
        )
    if detect_language(persona + scene + first_talk) != spec.language:
        raise GenerationRejected("wrong_language", f"the profile is not written in {spec.language!r}")
    spoken = _normalised(first_talk)
    for phrase in leak_phrases(spec.language, spec.need):
        if _normalised(phrase) in spoken:
            raise GenerationRejected("leaks_need", f"first_talk states the hidden need outright ({phrase!r})")
    marker = THEME_MARKER[spec.language]
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
            raise ConfigError(
                f"{path}:{record.line}: id {profile.id!r} was not written by the generator; choose another --out"
            )
        if int(match.group(1)) != config.seed:
            raise ConfigError(
                f"{path}:{record.line}: generated with seed {match.group(1)}, not {config.seed}; "
                f"rerun with --seed {match.group(1)} to continue it, or choose another --out"
            )
        if profile.language != config.language:
            raise ConfigError(
                f"{path}:{record.line}: profile language {profile.language!r}, not {config.language!r}"
            )
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
                profile = await _generate_one(
                    client, sample_spec(config.seed, index, config.language), config, report, seen
                )
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
                for task in tasks:  # in index order: the first profile that failed names the failure
                    if task in done and task.exception() is not None:
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
    atomic_write_text(
        path, "".join(json.dumps(_record(profiles[i]), ensure_ascii=False) + "\n" for i in sorted(profiles))
    )


async def _generate_one(
    client: ChatClient, spec: ProfileSpec, config: GeneratorConfig, report: GenerationReport, seen: set[str]
) -> Profile | None:
    base = build_messages(spec.language, spec.character, spec.traits, spec.topic, spec.task)
    messages = base
    for attempt in range(config.max_attempts):
        params = SamplingParams(
            temperature=config.temperature,
            # a distinct, reproducible sampling seed per (seed, index, attempt): a retry is a new draw
            seed=random.Random(f"rlver-profile-attempt:{config.seed}:{spec.index}:{attempt}").getrandbits(31),
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
                raise GenerationRejected(
                    "duplicate",
                    "the persona or first_talk repeats an earlier profile; write a different person",
                )
        except GenerationRejected as rejected:
            report.rejected[rejected.reason] += 1
            note = retry_note(spec.language, str(rejected))
            messages = [base[0], Message("user", f"{base[1].content}\n\n{note}")]
            continue
        seen.update(keys)  # claimed before any other task can await, so two equal answers cannot both pass
        return profile
    return None
