"""What a dialogue leaves behind: turns with their audit trail, and the policy's token trace."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from rlver.policy.base import TokenTrace
from rlver.simulator.base import Appraisal

__all__ = ["Turn", "Episode"]


@dataclass
class Turn:
    """One message of a dialogue."""

    role: Literal["user", "assistant"]
    text: str
    """What the other side saw (for the policy: the reply without its think block)."""
    raw: str | None = None
    """Policy turns: the full generated text, think block included."""
    thought: str | None = None
    """Policy turns in think mode: the think block. User turns: the person's reply reasoning."""
    appraisal: Appraisal | None = None
    """Policy turns: the simulated user's appraisal of this reply (None if it was not appraised)."""
    emotion: int | None = None
    """User turns: the person's emotion when writing this message."""

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        return {k: v for k, v in out.items() if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Turn":
        data = dict(data)
        if data.get("appraisal") is not None:
            data["appraisal"] = Appraisal(**data["appraisal"])
        return cls(**data)


@dataclass
class Episode:
    """One finished (or failed) dialogue between a policy and a simulated user."""

    id: str
    profile_id: str
    preset: str
    simulator: str
    policy: str
    seed: int
    group: int = 0
    """Rollouts of the same profile and seed share a group (GRPO)."""
    turns: list[Turn] = field(default_factory=list)
    emotions: list[int] = field(default_factory=list)
    """Emotion trajectory: initial emotion, then one entry per appraisal."""
    end_reason: str | None = None
    format_violations: int = 0
    """Think-mode turns that broke the format (the episode ends at the first one)."""
    error: str | None = None
    """Set when the simulator or policy failed; such episodes carry no reward."""
    trace: TokenTrace | None = None

    @property
    def final_emotion(self) -> int | None:
        return self.emotions[-1] if self.emotions and self.error is None else None

    @property
    def policy_turns(self) -> int:
        return sum(1 for t in self.turns if t.role == "assistant")

    @property
    def ok(self) -> bool:
        return self.error is None and self.end_reason is not None

    def to_dict(self, *, with_trace: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "profile_id": self.profile_id,
            "preset": self.preset,
            "simulator": self.simulator,
            "policy": self.policy,
            "seed": self.seed,
            "group": self.group,
            "turns": [t.to_dict() for t in self.turns],
            "emotions": list(self.emotions),
            "final_emotion": self.final_emotion,
            "end_reason": self.end_reason,
            "format_violations": self.format_violations,
            "error": self.error,
        }
        if with_trace and self.trace is not None:
            out["trace"] = {"ids": self.trace.ids, "mask": self.trace.mask, "logprobs": self.trace.logprobs}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Episode":
        trace = data.get("trace")
        return cls(
            id=data["id"],
            profile_id=data["profile_id"],
            preset=data["preset"],
            simulator=data["simulator"],
            policy=data["policy"],
            seed=int(data["seed"]),
            group=int(data.get("group", 0)),
            turns=[Turn.from_dict(t) for t in data.get("turns", [])],
            emotions=[int(e) for e in data.get("emotions", [])],
            end_reason=data.get("end_reason"),
            format_violations=int(data.get("format_violations", 0)),
            error=data.get("error"),
            trace=TokenTrace(**trace) if trace else None,
        )
