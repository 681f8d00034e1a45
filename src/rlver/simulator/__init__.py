"""The Sentient Agent: a simulated user that appraises every reply and keeps an emotion score."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.simulator.llm_agent": ["LLMSentientAgent"],
        "rlver.simulator.base": [
            "Appraisal",
            "DialogueState",
            "SentientAgent",
            "UserReply",
            "UserSimulator",
            "says_goodbye",
        ],
        "rlver.simulator.presets": ["PRESETS", "Preset", "emotion_state", "get_preset"],
    },
)
