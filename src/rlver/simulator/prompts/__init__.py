"""Prompts of the LLM Sentient Agent, per language, and the code that assembles them safely."""

from rlver.simulator.prompts.build import (
    DATA_CLOSE,
    appraisal_messages,
    data_block,
    data_open,
    opening_messages,
    quote_data,
    reply_messages,
    texts_for,
)
from rlver.simulator.prompts.en import EN
from rlver.simulator.prompts.texts import PromptTexts
from rlver.simulator.prompts.zh import ZH

__all__ = [
    "DATA_CLOSE",
    "EN",
    "ZH",
    "PromptTexts",
    "appraisal_messages",
    "data_block",
    "data_open",
    "opening_messages",
    "quote_data",
    "reply_messages",
    "texts_for",
]
