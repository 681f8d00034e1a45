"""Policies: the models that talk to the simulated user.

``HFPolicy``, ``GenerationSettings``, ``OpenAIPolicy`` and ``ReferencePolicy`` load lazily, so that
``import rlver.policy`` does not import transformers or httpx.
"""

from __future__ import annotations

import importlib
from typing import Any

from rlver.policy.base import Policy, PolicyRequest, TokenTrace
from rlver.policy.think import ThinkSplit, split_think

_LAZY = {
    "HFPolicy": "rlver.policy.hf",
    "GenerationSettings": "rlver.policy.hf",
    "OpenAIPolicy": "rlver.policy.openai_policy",
    "ReferencePolicy": "rlver.policy.reference",
    "compose_reply": "rlver.policy.reference",
}

__all__ = ["Policy", "PolicyRequest", "TokenTrace", "ThinkSplit", "split_think", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'rlver.policy' has no attribute {name!r}")
