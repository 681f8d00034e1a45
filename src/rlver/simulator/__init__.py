"""The Sentient Agent: a simulated user that appraises every reply and keeps an emotion score."""

from rlver.simulator.llm_agent import LLMSentientAgent
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply, UserSimulator, says_goodbye
from rlver.simulator.presets import PRESETS, Preset, emotion_state, get_preset

__all__ = [
    "LLMSentientAgent",
    "Appraisal",
    "DialogueState",
    "SentientAgent",
    "UserReply",
    "UserSimulator",
    "says_goodbye",
    "PRESETS",
    "Preset",
    "emotion_state",
    "get_preset",
]
