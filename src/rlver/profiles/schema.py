"""The simulated-user profile: who the person is, what happened, and what they secretly want.

A ``Profile`` is what crosses the file boundary, so it is a (frozen) pydantic model. Field names are
rlver's own; the official SAGE/RLVER JSONL names (``player``, ``main_cha``, ``cha_group``, ``task``)
are accepted by the loaders in :mod:`rlver.profiles.io`.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CharacterType", "HiddenNeed", "Profile", "Language", "RATIONAL_NEEDS", "EMOTIONAL_NEEDS"]

Language = Literal["en", "zh"]


class CharacterType(str, Enum):
    """SAGE's three character types (official data: 负面型 / 被动型 / 回避型)."""

    NEGATIVE = "negative"
    PASSIVE = "passive"
    AVOIDANT = "avoidant"


class HiddenNeed(str, Enum):
    """SAGE's eight hidden intentions: four rational, four emotional. Never stated by the user."""

    ANALYSIS = "analysis"  # wants a dialectical analysis of the problem
    ADVICE = "advice"  # wants practical advice that really helps
    UNDERSTAND_OTHERS = "understand_others"  # wants to understand why others acted as they did
    SELF_GROWTH = "self_growth"  # wants to be guided to self-reflection and growth
    PRAISE = "praise"  # wants sincere praise for specific things they did
    VENTING = "venting"  # wants to be listened to while venting
    EMPATHY = "empathy"  # wants deep empathy for their feelings, not simple comfort
    VALIDATION = "validation"  # believes they did nothing wrong and wants that confirmed


RATIONAL_NEEDS = (HiddenNeed.ANALYSIS, HiddenNeed.ADVICE, HiddenNeed.UNDERSTAND_OTHERS, HiddenNeed.SELF_GROWTH)
EMOTIONAL_NEEDS = (HiddenNeed.PRAISE, HiddenNeed.VENTING, HiddenNeed.EMPATHY, HiddenNeed.VALIDATION)


class Profile(BaseModel):
    """One simulated user. Immutable; hashable by ``id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, description="Unique id (official data uses UUID strings).")
    persona: str = Field(min_length=1, description="Who the person is: name, age, job, habits, way of speaking.")
    scene: str = Field(
        min_length=1,
        description="Background script: the event, its timeline, feelings, conflict, how the person reacts "
        "at high / normal / low emotion, what raises or lowers their emotion; ends with the hidden theme.",
    )
    task: str = Field(min_length=1, description="The hidden intention in words (never stated outright).")
    character: CharacterType | None = Field(default=None, description="Character type, when known.")
    traits: tuple[str, ...] = Field(default=(), description="Three sub-traits, e.g. ('angry', 'selfish', 'vain').")
    need: HiddenNeed | None = Field(default=None, description="The hidden intention as a code, when known.")
    first_talk: str | None = Field(default=None, description="Scripted opening line (required by the `sage` preset).")
    topic: str | None = Field(default=None, description="Optional topic label.")
    language: Language = Field(default="en", description="Language the person speaks: 'en' or 'zh'.")
    name: str | None = Field(default=None, description="The person's name, for display.")
    initial_emotion: int | None = Field(
        default=None, ge=0, le=100, description="Overrides the preset's initial emotion when set."
    )

    def __hash__(self) -> int:
        return hash(self.id)
