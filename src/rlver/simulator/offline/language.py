"""Language packs: everything the offline person says, thinks and recognises, per language.

English lives in the Python modules it grew up in (:mod:`~rlver.simulator.offline.strategies`,
:mod:`~rlver.simulator.offline.cues`, :mod:`~rlver.simulator.offline.replies`); Chinese is data:
``data/zh_strategies.yaml`` (prototype sentences and descriptions per strategy) and
``data/zh_texts.yaml`` (cues, openings, reactions, goodbyes, appraisal templates). Both files are
validated here: every strategy, need, character type and reaction the appraisal can produce must
have its text, and goodbyes must be recognisable as goodbyes.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from rlver.errors import SimulatorError
from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.simulator.base import says_goodbye
from rlver.simulator.offline.strategies import Strategy

__all__ = ["REASONS", "ChineseTexts", "StrategyBank", "Templates", "chinese_strategies", "chinese_texts"]

REASONS = (
    "repeats an earlier reply",
    "generic platitude",
    "talks about themselves",
    "hard to make sense of",
    "far too long",
    "curt",
    "parrots my own words",
    "parrots my hidden wish back",
    "strange format markers",
    "felt blamed",
    "told it was my fault",
    "probed too early",
    "unsolicited advice",
    "vague comfort instead of help",
    "stock phrase irritates me",
    "talks at length in lists",
    "ignores what I just said",
)
"""Every named reaction or penalty term the appraisal can produce (the reaction a person voices)."""

Disclosure = Literal["hint", "hidden", "reserved"]
Valence = Literal["great", "good", "flat", "bad", "awful"]
Direction = Literal["up", "flat", "down"]
Texts = tuple[str, ...]
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class StrategyBank(BaseModel):
    """Prototype sentences and first-person descriptions of each strategy in one language."""

    model_config = _FROZEN

    descriptions: dict[Strategy, str]
    prototypes: dict[Strategy, Texts]

    @model_validator(mode="after")
    def _complete(self) -> StrategyBank:
        for field in ("descriptions", "prototypes"):
            missing = set(Strategy) - set(getattr(self, field))
            if missing:
                raise ValueError(f"{field}: no entry for {sorted(s.value for s in missing)}")
        thin = [s.value for s, texts in self.prototypes.items() if len(texts) < 5]
        if thin:
            raise ValueError(f"fewer than 5 prototypes for {thin}")
        return self


class Templates(BaseModel):
    """Sentence frames of the appraisal texts and the person's inner notes (``str.format`` fields)."""

    model_config = _FROZEN

    content: str
    content_unclear: str
    mix_item: str
    mix_separator: str
    verdict_close: str
    verdict_partly: str
    verdict_miss: str
    verdict_against: str
    reserved_suffix: str
    target: str
    traits: str
    fit_line: str
    damping_line: str
    term_line: str
    analyse: str
    thinking: str
    mood_start: str
    mood: str
    revision: str


class ChineseTexts(BaseModel):
    """What the offline person says and thinks in one language (see ``data/zh_texts.yaml``)."""

    model_config = _FROZEN

    topic_fallback: str
    need_wish: dict[HiddenNeed, str]
    cues: dict[HiddenNeed, dict[Disclosure, Texts]]
    openings: dict[CharacterType, Texts]
    reasons: dict[str, Texts]
    valence: dict[Valence, dict[CharacterType, Texts]]
    goodbye_happy: dict[CharacterType, Texts]
    goodbye_sad: dict[CharacterType, Texts]
    state_colour: dict[Literal["A", "B", "C"], Texts]
    activity: dict[Direction, dict[CharacterType, Texts]]
    character_names: dict[CharacterType, str]
    terms: dict[str, str] = Field(description="Display name of each reaction or penalty term.")
    templates: Templates

    @model_validator(mode="after")
    def _complete(self) -> ChineseTexts:
        problems: list[str] = []
        for field in ("need_wish", "cues"):
            if set(getattr(self, field)) != set(HiddenNeed):
                problems.append(f"{field} must cover the eight needs")
        for field in ("openings", "goodbye_happy", "goodbye_sad", "character_names"):
            if set(getattr(self, field)) != set(CharacterType):
                problems.append(f"{field} must cover the three character types")
        for name, table in (("valence", self.valence), ("activity", self.activity)):
            for key, by_character in table.items():
                if set(by_character) != set(CharacterType):
                    problems.append(f"{name}.{key} must cover the three character types")
        problems += [f"reasons: no reaction to {r!r}" for r in REASONS if r not in self.reasons]
        problems += [f"terms: no name for {r!r}" for r in REASONS if r not in self.terms]
        for need, levels in self.cues.items():
            if set(levels) != {"hint", "hidden", "reserved"}:
                problems.append(f"cues.{need.value} must have hint, hidden and reserved")
        for bank in (self.goodbye_happy, self.goodbye_sad):
            problems += [
                f"goodbye without 再见/拜拜: {t!r}"
                for ts in bank.values()
                for t in ts
                if not says_goodbye(t, "zh")
            ]
        everything_else = [t for ts in self.reasons.values() for t in ts] + [
            t for by in self.valence.values() for ts in by.values() for t in ts
        ]
        everything_else += [t for levels in self.cues.values() for ts in levels.values() for t in ts]
        problems += [f"only goodbyes may take leave: {t!r}" for t in everything_else if says_goodbye(t, "zh")]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _load_yaml(name: str) -> object:
    try:
        text = resources.files("rlver.simulator.offline").joinpath("data", name).read_text(encoding="utf-8")
    except OSError as exc:
        raise SimulatorError(f"offline simulator data file {name} is missing: {exc}") from exc
    return yaml.safe_load(text)


@functools.cache
def chinese_strategies() -> StrategyBank:
    """The Chinese prototype bank (``data/zh_strategies.yaml``), validated once per process."""
    return StrategyBank.model_validate(_load_yaml("zh_strategies.yaml"))


@functools.cache
def chinese_texts() -> ChineseTexts:
    """The Chinese texts (``data/zh_texts.yaml``), validated once per process."""
    return ChineseTexts.model_validate(_load_yaml("zh_texts.yaml"))
