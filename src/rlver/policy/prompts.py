"""Default system prompts for the policy (English; Chinese profiles get the Chinese ones)."""

from __future__ import annotations

__all__ = ["system_prompt"]

_PLAIN = {
    "en": (
        "You are talking with a person who wants to share something that is on their mind. "
        "Reply as a caring, perceptive friend: short, natural, one message at a time."
    ),
    "zh": "你正在和一位想倾诉心事的人聊天。像一位体贴、敏锐的朋友那样回复：简短、自然，每次只说一段话。",
}
_THINK = {
    "en": (
        " First think about what the person really needs inside <think></think>, "
        "then write only your reply after the closing tag."
    ),
    "zh": "先在<think></think>中思考对方真正需要什么，然后在结束标签之后只写你的回复。",
}


def system_prompt(language: str = "en", *, think: bool = False) -> str:
    """The default system prompt for ``language``, with the think-then-say instruction if ``think``."""
    lang = language if language in _PLAIN else "en"
    return _PLAIN[lang] + (_THINK[lang] if think else "")
