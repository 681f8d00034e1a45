"""Rollouts: running dialogues between a policy and a simulated user."""

from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.rollout.types import Episode, Turn

__all__ = ["DialogueJob", "RolloutConfig", "run_dialogues", "Episode", "Turn"]
