"""The simulated-user contract and the Sentient Agent's turn mechanics.

``SentientAgent`` implements the protocol's bookkeeping once (emotion update, clamps, states, end
conditions, goodbye detection, turn limits, the audit trail). Backends override three hooks:
``opening`` (first message when the preset does not script it), ``appraise`` (inner thoughts +
signed change for one policy reply) and ``respond`` (the person's next message). The LLM-backed
agent and the offline agent are two such backends; the rollout loop only sees ``UserSimulator``.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from rlver.llm.types import Message
from rlver.profiles.schema import Profile
from rlver.simulator.presets import Preset

__all__ = [
    "Appraisal",
    "UserReply",
    "DialogueState",
    "EndReason",
    "UserSimulator",
    "SentientAgent",
    "says_goodbye",
]

EndReason = Literal["success", "failure", "goodbye", "turn_limit", "format_violation", "error"]

_GOODBYE = {
    "en": re.compile(r"\b(good-?bye|bye-?bye|bye)\b", re.IGNORECASE),
    "zh": re.compile(r"再见|拜拜"),
}


def says_goodbye(text: str, language: str) -> bool:
    """True if the user's message takes leave (English 'goodbye'/'bye', Chinese 再见/拜拜)."""
    pattern = _GOODBYE.get(language, _GOODBYE["en"])
    return bool(pattern.search(text)) or (language != "zh" and bool(_GOODBYE["zh"].search(text)))


@dataclass(frozen=True)
class Appraisal:
    """The person's appraisal of one policy reply (SAGE's sections), kept as an audit record."""

    content: str
    """What the policy meant, in the person's words."""
    target_completion: str
    """Whether (and how) the reply serves the person's goal and hidden need."""
    activity: str
    """Inner psychological activity."""
    analyse: str
    """How the person feels about the reply."""
    change: int
    """Signed change as written by the appraiser (before the preset's clamp)."""
    applied_change: int = 0
    """Change actually applied (after clamp and bounds). Filled in by ``SentientAgent``."""
    emotion_before: int = 0
    emotion_after: int = 0
    raw: str | None = None
    """Raw appraiser output (LLM text), for auditing parse decisions."""
    parse_notes: tuple[str, ...] = ()
    """How the output was read when it was not clean: repeated ``Change`` values (agreeing, or
    resolved to the last as in SAGE), skipped sections, earlier attempts that had no reading."""

    def __post_init__(self) -> None:
        # Transcripts store the notes as a JSON list; a tuple keeps the record frozen and hashable.
        notes = self.parse_notes
        object.__setattr__(self, "parse_notes", (notes,) if isinstance(notes, str) else tuple(notes))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UserReply:
    """The person's next message (SAGE's reply sections). Only ``response`` reaches the policy."""

    response: str
    thinking: str = ""
    origin: str = ""
    revision: str = ""
    raw: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class DialogueState:
    """Everything the simulated user knows about one dialogue. Owned by one dialogue only."""

    profile: Profile
    preset: Preset
    seed: int
    emotion: int
    history: list[Message] = field(default_factory=list)
    """The conversation from the policy's point of view: ``user`` = simulated person, ``assistant`` = policy."""
    appraisals: list[Appraisal] = field(default_factory=list)
    replies: list[UserReply] = field(default_factory=list)
    emotions: list[int] = field(default_factory=list)
    """Emotion trajectory: the initial emotion, then one entry per appraisal."""
    policy_turns: int = 0
    done: bool = False
    end_reason: EndReason | None = None

    @property
    def language(self) -> str:
        return self.profile.language

    @property
    def last_user_message(self) -> str:
        for message in reversed(self.history):
            if message.role == "user":
                return message.content
        return ""


@runtime_checkable
class UserSimulator(Protocol):
    """A simulated user. Never trained; the rollout loop is all it talks to."""

    name: str
    """Reported in benchmark summaries, e.g. ``offline`` or ``openai:deepseek-chat``."""

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        """Start a dialogue; the returned state's history holds the person's opening message."""
        ...

    async def step(self, state: DialogueState, reply: str) -> DialogueState:
        """Appraise the policy's ``reply``, update the emotion, answer in character (in place)."""
        ...


class SentientAgent(ABC):
    """Protocol mechanics shared by every Sentient Agent backend."""

    name: str = "sentient"

    @abstractmethod
    async def opening(self, state: DialogueState) -> UserReply:
        """The person's first message when the preset does not script it."""

    @abstractmethod
    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        """Appraise ``reply`` (the last assistant message in ``state.history``)."""

    @abstractmethod
    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        """The person's next message; ``state.emotion`` already holds the updated emotion."""

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        emotion = profile.initial_emotion if profile.initial_emotion is not None else preset.initial_emotion
        state = DialogueState(profile=profile, preset=preset, seed=seed, emotion=emotion, emotions=[emotion])
        if preset.scripted_opening and profile.first_talk:
            opening = UserReply(response=profile.first_talk)
        else:
            opening = await self.opening(state)
        state.replies.append(opening)
        state.history.append(Message("user", opening.response))
        return state

    async def step(self, state: DialogueState, reply: str) -> DialogueState:
        if state.done:
            raise RuntimeError("step() called on a finished dialogue")
        preset = state.preset
        state.history.append(Message("assistant", reply))
        state.policy_turns += 1
        last_turn = state.policy_turns >= preset.max_policy_turns
        if last_turn and not preset.appraise_final_turn:
            return self._end(state, "turn_limit")

        appraisal = await self.appraise(state, reply)
        before = state.emotion
        after = preset.apply(before, appraisal.change)
        appraisal = _with_emotions(appraisal, before, after)
        state.emotion = after
        state.appraisals.append(appraisal)
        state.emotions.append(after)

        user_reply = await self.respond(state, appraisal)
        state.replies.append(user_reply)
        state.history.append(Message("user", user_reply.response))

        if preset.end_on_success and after >= preset.upper_bound:
            return self._end(state, "success")
        if after < preset.failure_below:
            return self._end(state, "failure")
        if says_goodbye(user_reply.response, state.language):
            return self._end(state, "goodbye")
        if last_turn:
            return self._end(state, "turn_limit")
        return state

    @staticmethod
    def _end(state: DialogueState, reason: EndReason) -> DialogueState:
        state.done = True
        state.end_reason = reason
        return state


def _with_emotions(appraisal: Appraisal, before: int, after: int) -> Appraisal:
    from dataclasses import replace

    return replace(appraisal, applied_change=after - before, emotion_before=before, emotion_after=after)
