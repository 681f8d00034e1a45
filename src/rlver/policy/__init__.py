"""Policies: the models that talk to the simulated user."""

from rlver.policy.base import Policy, PolicyRequest, TokenTrace
from rlver.policy.think import ThinkSplit, split_think

__all__ = ["Policy", "PolicyRequest", "TokenTrace", "ThinkSplit", "split_think"]
