"""Policies: the models that talk to the simulated user.

Names load on first use, so that ``import rlver.policy`` does not import transformers or httpx.
"""

from rlver.utils.lazy import lazy_exports

__all__ = [
    "Policy",
    "PolicyRequest",
    "TokenTrace",
    "ThinkSplit",
    "split_think",
    "HFPolicy",
    "GenerationSettings",
    "OpenAIPolicy",
    "ReferencePolicy",
    "compose_reply",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.policy.base": ["Policy", "PolicyRequest", "TokenTrace"],
        "rlver.policy.think": ["ThinkSplit", "split_think"],
        "rlver.policy.hf": ["HFPolicy", "GenerationSettings"],
        "rlver.policy.openai_policy": ["OpenAIPolicy"],
        "rlver.policy.reference": ["ReferencePolicy", "compose_reply"],
    },
)
