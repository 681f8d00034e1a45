"""Rollouts: running dialogues between a policy and a simulated user."""

from rlver.utils.lazy import lazy_exports


__all__ = ["DialogueJob", "RolloutConfig", "run_dialogues", "Episode", "Turn"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.rollout.loop": ["DialogueJob", "RolloutConfig", "run_dialogues"],
        "rlver.rollout.types": ["Episode", "Turn"],
    },
)
