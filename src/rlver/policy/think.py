"""Think-then-say: ``<think>…</think>`` followed by the reply the user sees."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ThinkSplit", "split_think", "THINK_OPEN", "THINK_CLOSE"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
_LEADING = re.compile(r"^\s*<think>(.*?)</think>(.*)$", re.DOTALL)


@dataclass(frozen=True)
class ThinkSplit:
    thought: str
    reply: str
    ok: bool
    violation: str | None = None
    """Why the format is broken: ``missing_think``, ``unclosed_think``, ``extra_think`` or ``empty_reply``."""


def split_think(text: str) -> ThinkSplit:
    """Split a think-then-say output. Only ``reply`` may be shown to the simulated user.

    >>> split_think("<think>she wants to vent</think> That sounds exhausting.").reply
    'That sounds exhausting.'
    >>> split_think("no tags").violation
    'missing_think'
    """
    if THINK_OPEN not in text:
        return ThinkSplit("", text.strip(), False, "missing_think")
    match = _LEADING.match(text)
    if match is None:
        return ThinkSplit("", "", False, "unclosed_think")
    thought, reply = match.group(1).strip(), match.group(2).strip()
    if THINK_OPEN in reply or THINK_CLOSE in reply:
        return ThinkSplit(thought, reply, False, "extra_think")
    if not reply:
        return ThinkSplit(thought, "", False, "empty_reply")
    return ThinkSplit(thought, reply, True)
