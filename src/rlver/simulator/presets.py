"""Simulator presets: the mechanics that differ between the official Sentient Agents.

See docs/protocol.md. ``sage`` is the benchmark; ``rlver`` is RLVER's training simulator
("vanilla"); ``rlver-hard`` is RLVER's "challenging" one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rlver.errors import ConfigError

__all__ = ["Preset", "PRESETS", "get_preset", "emotion_state", "SUCCESS_EMOTION", "FAILURE_EMOTION"]

SUCCESS_EMOTION = 100
"""A dialogue that ends at emotion >= this counts as a benchmark success."""
FAILURE_EMOTION = 10
"""A dialogue that ends at emotion < this counts as a benchmark failure."""

Disclosure = Literal["hint", "hidden", "reserved"]


@dataclass(frozen=True)
class Preset:
    """Mechanics of one simulated-user variant."""

    name: str
    """Preset name (``sage``, ``rlver``, ``rlver-hard``)."""
    initial_emotion: int
    """Emotion at the start of the dialogue (a profile's ``initial_emotion`` overrides it)."""
    max_change: int | None
    """Each appraisal's change is clamped to [-max_change, +max_change]; ``None`` = unclamped."""
    max_policy_turns: int
    """The dialogue ends after this many policy replies."""
    appraise_final_turn: bool
    """If False, the last allowed policy reply is not appraised (SAGE's quirk: with a limit of 10,
    the final emotion is the one after the 9th appraisal)."""
    end_on_success: bool
    """End as soon as emotion reaches 100 (``sage``); otherwise only the user's goodbye ends it."""
    failure_below: int
    """End as a failure when emotion < this (``sage``: 10; ``rlver``: 1, i.e. emotion <= 0)."""
    scripted_opening: bool
    """Open with the profile's ``first_talk`` (``sage``) or let the simulator write the opening."""
    disclosure: Disclosure
    """How much the person reveals: ``hint`` may hint at needs, ``hidden`` must not reveal the hidden
    theme, ``reserved`` is more reserved still and rewards only replies that address it explicitly."""
    upper_bound: int = 100
    """Emotion never exceeds this."""
    lower_bound: int = 0
    """Emotion never goes below this."""

    def clamp_change(self, change: int) -> int:
        if self.max_change is None:
            return change
        return max(-self.max_change, min(self.max_change, change))

    def apply(self, emotion: int, change: int) -> int:
        """New emotion after an appraisal's change (clamped change, bounded emotion)."""
        return max(self.lower_bound, min(self.upper_bound, emotion + self.clamp_change(change)))


PRESETS: dict[str, Preset] = {
    "sage": Preset(
        name="sage",
        initial_emotion=40,
        max_change=10,
        max_policy_turns=10,
        appraise_final_turn=False,
        end_on_success=True,
        failure_below=10,
        scripted_opening=True,
        disclosure="hint",
    ),
    "rlver": Preset(
        name="rlver",
        initial_emotion=30,
        max_change=None,
        max_policy_turns=8,
        appraise_final_turn=True,
        end_on_success=False,
        failure_below=1,
        scripted_opening=False,
        disclosure="hidden",
    ),
    "rlver-hard": Preset(
        name="rlver-hard",
        initial_emotion=30,
        max_change=None,
        max_policy_turns=8,
        appraise_final_turn=True,
        end_on_success=False,
        failure_below=1,
        scripted_opening=False,
        disclosure="reserved",
    ),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ConfigError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}") from None


def emotion_state(emotion: float) -> str:
    """SAGE's emotion state letter: S >= 100, A >= 70, B >= 40, C >= 10, F < 10."""
    if emotion >= 100:
        return "S"
    if emotion >= 70:
        return "A"
    if emotion >= 40:
        return "B"
    if emotion >= 10:
        return "C"
    return "F"
