"""rlver: reinforcement learning from verifiable emotion rewards.

A policy talks with a simulated user (the Sentient Agent) who appraises every reply and keeps an
emotion score; the final emotion / 100 is the reward.
"""

from typing import TYPE_CHECKING

from rlver.utils.lazy import lazy_exports

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # errors
    "RlverError",
    "ProfileError",
    "LLMError",
    "SimulatorError",
    "PolicyError",
    "ConfigError",
    # llm
    "ChatClient",
    "Message",
    "SamplingParams",
    # profiles
    "Profile",
    "CharacterType",
    "HiddenNeed",
    # simulator
    "Appraisal",
    "UserReply",
    "DialogueState",
    "SentientAgent",
    "UserSimulator",
    "Preset",
    "PRESETS",
    "get_preset",
    # policy
    "Policy",
    "PolicyRequest",
    "TokenTrace",
    # rollout
    "DialogueJob",
    "RolloutConfig",
    "run_dialogues",
    "Episode",
    "Turn",
]

# Public names load on first use: `import rlver` (and the CLI's --help) must not pay for torch or httpx.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.errors": ["RlverError", "ProfileError", "LLMError", "SimulatorError", "PolicyError", "ConfigError"],
        "rlver.llm.types": ["ChatClient", "Message", "SamplingParams"],
        "rlver.policy.base": ["Policy", "PolicyRequest", "TokenTrace"],
        "rlver.profiles.schema": ["CharacterType", "HiddenNeed", "Profile"],
        "rlver.rollout.loop": ["DialogueJob", "RolloutConfig", "run_dialogues"],
        "rlver.rollout.types": ["Episode", "Turn"],
        "rlver.simulator.base": ["Appraisal", "DialogueState", "SentientAgent", "UserReply", "UserSimulator"],
        "rlver.simulator.presets": ["PRESETS", "Preset", "get_preset"],
    },
)

if TYPE_CHECKING:  # static checkers and IDEs see the real names
    from rlver.errors import ConfigError, LLMError, PolicyError, ProfileError, RlverError, SimulatorError
    from rlver.llm.types import ChatClient, Message, SamplingParams
    from rlver.policy.base import Policy, PolicyRequest, TokenTrace
    from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
    from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
    from rlver.rollout.types import Episode, Turn
    from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply, UserSimulator
    from rlver.simulator.presets import PRESETS, Preset, get_preset
