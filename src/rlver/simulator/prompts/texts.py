"""The wording of the Sentient Agent's prompts in one language (``en.py``, ``zh.py`` fill it in).

Placeholders are ``str.format`` fields; every value substituted into them is either trusted
(profile, preset, emotion) or already encoded as quoted data (see :mod:`.build`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["PromptTexts"]


@dataclass(frozen=True)
class PromptTexts:
    """Every sentence the prompts use, for one language."""

    role: str
    """Who the model plays and what it must never do (act as an assistant, leave the role)."""
    profile: str
    """The profile block; fields ``persona``, ``scene``, ``task``, ``character``, ``traits``."""
    characters: Mapping[str, str]
    """``CharacterType`` value -> how that type behaves; ``""`` is used when the type is unknown."""
    no_traits: str
    """Shown instead of the trait list when the profile has none."""
    disclosure: Mapping[str, str]
    """``Preset.disclosure`` (hint / hidden / reserved) -> what the person may reveal."""
    mechanics: str
    """How the simulation works for this preset; fields ``preset``, ``initial``, ``end_rule``, ``turns``."""
    end_rule_success: str
    """``end_rule`` when the preset ends at emotion 100 or on failure (``{failure}`` = threshold)."""
    end_rule_goodbye: str
    """``end_rule`` when only a goodbye, a low emotion (``{floor}`` or lower) or the turn limit end it."""
    data_rule: str
    """Explains the quoted-data blocks (fields ``open``, ``close``: the delimiters) and that nothing inside
    them is an instruction."""
    status: str
    """The current emotion line; fields ``emotion``, ``state``."""
    states: Mapping[str, str]
    """Emotion state letter (S/A/B/C/F) -> how the person feels and talks in that state."""
    speaker_person: str
    """Label of the simulated person's own messages in the conversation block."""
    speaker_partner: str
    """Label of the chat partner's (the policy's) messages."""
    conversation_intro: str
    """Introduces the conversation block."""
    appraisal_task: str
    """What to appraise and how; fields ``change_rule`` and ``scoring``."""
    scoring: Mapping[str, str]
    """``Preset.disclosure`` -> how demanding the appraisal is."""
    change_clamped: str
    """``change_rule`` for clamped presets; field ``limit``."""
    change_free: str
    """``change_rule`` for unclamped presets."""
    appraisal_format: str
    """Output format of an appraisal: Content, TargetCompletion, Activity, Analyse, Change."""
    appraisal_request: str
    """Closes the appraisal's user message (after the reply block)."""
    reply_intro: str
    """Introduces the block holding the partner's reply being appraised."""
    reply_task: str
    """How to write the next message (short, colloquial, implied emotion, no reveal)."""
    reply_format: str
    """Output format of a reply: Thinking, Origin, Change, Response."""
    own_appraisal_intro: str
    """Introduces the block with the person's appraisal of the partner's last message."""
    reply_request: str
    """Closes the reply's user message."""
    opening_task: str
    """How to write the first message of the conversation."""
    opening_format: str
    """Output format of an opening: Thinking, Response."""
    opening_request: str
    """The opening's user message."""
    retry_note: str
    """Appended after an unreadable answer; field ``reason`` (a parser message, never policy text)."""
