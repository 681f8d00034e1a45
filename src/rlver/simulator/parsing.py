"""Reading the Sentient Agent's sectioned outputs (SAGE format) as real LLMs write them.

The simulator asks for labelled sections (``Content`` … ``Change`` for an appraisal, ``Thinking`` …
``Response`` for a reply). Real outputs decorate the labels: ``**Change**: +5``, ``**Change:** 5``,
``## Change``, ``[Change] +5``, ``【Change】``, full-width colons (``：``), list bullets, code fences,
prose before the first section, ``<think>`` blocks of reasoning models, full-width digits (``＋７``)
and the unicode minus (``−3``), and the bracketed placeholders of SAGE's format echoed back
(``Change:`` / ``[人物的emotion变化]`` / ``+5``). These pure functions accept all of that.

Repeated sections are read, not rejected, because real simulators repeat themselves (published SAGE
transcripts nest ``**最终回复**:`` inside ``Response``; appraisals write their ``Change`` twice):

- several ``Change`` sections: values that agree are one value; values that disagree resolve to the
  last one, as SAGE's own ``reply.split("Change:")[-1]`` does; a ``Change`` section without a number
  is skipped when another one has a number;
- several ``Response`` sections: the last non-empty one is the reply (SAGE's ``split("Response:")[-1]``).

Each such decision is written to the result's ``notes`` (the agent keeps them in the appraisal's
audit record). Only the model's *output* is parsed, never the prompt: policy text reaches the parser
only if the simulator repeats it, and the format puts ``Change`` last, so an echoed header inside
``Content`` or ``Analyse`` comes before the simulator's own value and loses to it.

An output with no reading (empty, no ``Change`` holding a signed integer, no non-empty ``Response``)
raises :class:`ParseError` (internal): the agent retries the call a bounded number of times and then
raises :class:`rlver.errors.SimulatorError`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "APPRAISAL_SECTIONS",
    "REPLY_SECTIONS",
    "ParseError",
    "ParsedAppraisal",
    "ParsedReply",
    "SectionSpec",
    "clean_output",
    "parse_appraisal",
    "parse_change",
    "parse_reply",
    "split_sections",
]

SectionSpec = Mapping[str, tuple[str, ...]]
"""Canonical section key -> accepted labels (English as prompted, plus common variants and the
Chinese names models use when they translate the labels)."""

APPRAISAL_SECTIONS: SectionSpec = {
    "content": ("Content", "内容"),
    "target_completion": ("TargetCompletion", "Target Completion", "目标完成", "目标完成度", "目标达成"),
    "activity": ("Activity", "Inner Activity", "心理活动", "内心活动"),
    "analyse": ("Analyse", "Analysis", "Analyze", "分析"),
    "change": ("Change", "Emotion Change", "变化", "情绪变化"),
}
REPLY_SECTIONS: SectionSpec = {
    "thinking": ("Thinking", "Thoughts", "思考"),
    "origin": ("Origin", "Original", "Draft", "初稿", "原始回复"),
    # In the reply format ``Change`` is the revision note (how to sound more natural), not a number.
    "revision": ("Change", "Revision", "修改", "改进"),
    # "Final Reply" and 最终回复 also appear *inside* a Response as a nested header (see parse_reply).
    "response": ("Response", "Final Response", "Final Reply", "回复", "最终回复"),
}

_MAX_CHANGE_DIGITS = 4
"""A change of 10,000 or more is not an appraisal, it is noise."""


class ParseError(ValueError):
    """The simulator output has no reading (internal; the agent retries)."""


@dataclass(frozen=True)
class ParsedAppraisal:
    content: str
    target_completion: str
    activity: str
    analyse: str
    change: int
    notes: tuple[str, ...] = ()
    """How repeated or unreadable ``Change`` sections were resolved (empty for a clean output)."""


@dataclass(frozen=True)
class ParsedReply:
    response: str
    thinking: str = ""
    origin: str = ""
    revision: str = ""
    notes: tuple[str, ...] = ()
    """How repeated ``Response`` sections were resolved (empty for a clean output)."""


_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCE_LINE = re.compile(r"^\s*(```|~~~)[\w-]*\s*$")
_LINE_BREAKS = re.compile(r"\r\n|\r|\u2028|\u2029|\x85")
# Everything NFKC leaves alone that models still write for "minus".
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2796": "-", "\u2795": "+"})
_CHANGE_VALUE = re.compile(
    r"^[\s*_`\"'“”‘’\[\]【】(（=]*"  # markdown, quotes, brackets or '=' before the number
    r"(?P<sign>[+-]?)\s*(?P<digits>\d+)"
    r"(?!\d|\s*[.,/]\s*\d)"  # not 5.5, 5,5 or 5/10: those are not signed integers
)
# SAGE's format shows bracketed placeholders ("Change:" then "[人物的emotion变化]"); models echo them
# before the value. Only digit-free brackets count, so "[+4]" stays a value.
_PLACEHOLDERS = re.compile(r"^(?:\s*[\[【(（][^\]】)）\d]*[\]】)）])+")


def clean_output(text: str) -> str:
    """Drop what is never content: ``<think>`` blocks, code-fence lines, odd line breaks."""
    text = _THINK_BLOCK.sub("", text)
    text = _LINE_BREAKS.sub("\n", text)
    return "\n".join(line for line in text.split("\n") if not _FENCE_LINE.match(line))


def _normalise_label(label: str) -> str:
    return re.sub(r"[\s_\-]+", "", label).casefold()


def _header_pattern(spec: SectionSpec) -> tuple[re.Pattern[str], dict[str, str]]:
    lookup: dict[str, str] = {}
    alternatives: list[str] = []
    for key, labels in spec.items():
        for label in labels:
            lookup[_normalise_label(label)] = key
            # "Target Completion", "target_completion", "TARGET-COMPLETION" all match TargetCompletion.
            words = re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[^\x00-\x7f]+", label)
            alternatives.append(r"[\s_\-]*".join(re.escape(w) for w in words))
    alternatives.sort(key=len, reverse=True)
    pattern = re.compile(
        r"^\s*(?P<hash>\#{1,6}\s*)?"
        r"(?:(?:[-+•·]|\*(?=\s)|\d{1,2}[.)、])\s*)?"  # list bullet or number
        r"(?P<open>\*\*|__|\*)?\s*"
        r"(?P<lb>[\[【(（])?\s*"
        r"(?P<name>" + "|".join(alternatives) + r")(?![A-Za-z])\s*"
        r"(?P<rb>[\]】)）])?\s*"
        r"(?P<close>\*\*|__|\*)?\s*"
        r"(?P<colon>[:：])?\s*"
        r"(?:\*\*|__)?"  # "**Change:** 5"
        r"(?P<rest>.*)$",
        re.IGNORECASE,
    )
    return pattern, lookup


@functools.lru_cache(maxsize=32)
def _compiled_frozen(
    frozen: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[re.Pattern[str], dict[str, str]]:
    return _header_pattern(dict(frozen))


def _compiled(spec: SectionSpec) -> tuple[re.Pattern[str], dict[str, str]]:
    return _compiled_frozen(tuple((key, tuple(labels)) for key, labels in spec.items()))


def _match_header(line: str, spec: SectionSpec) -> tuple[str, str] | None:
    pattern, lookup = _compiled(spec)
    match = pattern.match(line)
    if match is None:
        return None
    key = lookup.get(_normalise_label(match["name"]))
    if key is None:
        return None
    rest = match["rest"].strip()
    decorated = bool(
        match["colon"] or match["hash"] or (match["lb"] and match["rb"]) or (match["open"] and match["close"])
    )
    # A bare label counts only when it stands alone on its line ("Change" then "+5" below it);
    # "Change is hard" at the start of a sentence is prose.
    if not decorated and rest:
        return None
    # "Response: [最终回复]" is the format's placeholder echoed after the label, not the reply.
    inner = pattern.match(rest)
    if inner and inner["lb"] and inner["rb"] and not inner["rest"].strip():
        rest = "" if lookup.get(_normalise_label(inner["name"])) == key else rest
    return key, rest


def split_sections(text: str, spec: SectionSpec) -> list[tuple[str, str]]:
    """``(key, body)`` for every section header of ``spec`` found at a line start, in order.

    Text before the first header (preamble prose) is dropped; labels not in ``spec`` are content.

    >>> split_sections("Sure!\\n**Change**: +5", APPRAISAL_SECTIONS)
    [('change', '+5')]
    """
    sections: list[tuple[str, list[str]]] = []
    for line in clean_output(text).split("\n"):
        header = _match_header(line, spec)
        if header is not None:
            key, rest = header
            sections.append((key, [rest] if rest else []))
        elif sections:
            sections[-1][1].append(line)
    return [(key, "\n".join(lines).strip()) for key, lines in sections]


def parse_change(body: str) -> int:
    """The signed integer a ``Change`` section starts with.

    Leading digit-free bracketed placeholders (``[人物的emotion变化]``) are skipped; a number buried
    in prose is not read (``情绪下降了5分`` has its sign in words: SAGE's "first integer anywhere"
    would read it as +5).

    >>> [parse_change(s) for s in ("+7", "-3", "7", "＋７", "−3", "**+5**", "[-2] a bit worse")]
    [7, -3, 7, 7, -3, 5, -2]
    >>> parse_change("[人物的emotion变化]\\n+5")
    5
    """
    text = unicodedata.normalize("NFKC", body).translate(_MINUS_SIGNS)
    text = _PLACEHOLDERS.sub("", text, count=1)
    match = _CHANGE_VALUE.match(text)
    if match is None:
        # Quote what follows any placeholder: the retry note tells the model what it wrote instead.
        snippet = (text.strip() or body.strip()).split("\n", 1)[0][:40]
        raise ParseError(f"Change is not a signed integer: {snippet!r}")
    if len(match["digits"]) > _MAX_CHANGE_DIGITS:
        raise ParseError(f"Change {match['sign']}{match['digits']} is implausibly large")
    value = int(match["digits"])
    return -value if match["sign"] == "-" else value


def _collect(text: str, spec: SectionSpec, required: str) -> tuple[dict[str, str], list[str]]:
    """The other sections (repeats joined) and every body of the ``required`` section, in order."""
    if not text or not text.strip():
        raise ParseError("empty output")
    sections = split_sections(text, spec)
    found = [body for key, body in sections if key == required]
    if not found:
        raise ParseError(f"no {spec[required][0]} section")
    merged: dict[str, str] = {}
    for key, body in sections:
        if key != required:
            merged[key] = f"{merged[key]}\n{body}".strip() if key in merged else body
    return merged, found


def _read_change(bodies: list[str]) -> tuple[int, tuple[str, ...]]:
    """One value from every ``Change`` section: agreeing values are one, else the last (as SAGE)."""
    values: list[int] = []
    skipped: list[str] = []
    for body in bodies:
        try:
            values.append(parse_change(body))
        except ParseError as exc:
            skipped.append(str(exc))
    if not values:
        raise ParseError(skipped[-1])  # the last section is the one the format asked for
    notes = [f"a Change section was skipped: {reason}" for reason in skipped]
    written = ", ".join(f"{v:+d}" for v in values)
    if len(set(values)) > 1:
        notes.append(
            f"Change written {len(values)} times, different values ({written}); the last is used, as in SAGE"
        )
    elif len(values) > 1:
        notes.append(f"Change written {len(values)} times, all {values[0]:+d}: one value")
    return values[-1], tuple(notes)


def parse_appraisal(text: str, spec: SectionSpec = APPRAISAL_SECTIONS) -> ParsedAppraisal:
    """Read an appraisal: a ``Change`` section holding a signed integer; prose sections optional.

    >>> parse_appraisal("Analyse: ok\\nChange: +5\\nChange: -3").change
    -3
    """
    sections, changes = _collect(text, spec, "change")
    change, notes = _read_change(changes)
    return ParsedAppraisal(
        content=sections.get("content", ""),
        target_completion=sections.get("target_completion", ""),
        activity=sections.get("activity", ""),
        analyse=sections.get("analyse", ""),
        change=change,
        notes=notes,
    )


# Square brackets too: SAGE strips them from a reply (its format shows "[最终回复]").
_QUOTE_PAIRS = (
    ('"', '"'),
    ("“", "”"),
    ("「", "」"),
    ("『", "』"),
    ("'", "'"),
    ("‘", "’"),
    ("[", "]"),
    ("【", "】"),
)


def _unquote(text: str) -> str:
    text = text.strip().strip("*").strip()
    for left, right in _QUOTE_PAIRS:
        inner = text[len(left) : -len(right)]
        if len(text) >= 2 and text.startswith(left) and text.endswith(right) and left not in inner:
            return inner.strip()
    return text


def parse_reply(text: str, spec: SectionSpec = REPLY_SECTIONS) -> ParsedReply:
    """Read a reply or an opening: the last non-empty ``Response`` (other sections optional).

    A header repeated inside ``Response`` (``**最终回复**:`` then the reply again) starts the reply
    that counts, as SAGE's ``split("Response:")[-1]`` would have it.

    >>> parse_reply('Response:\\n"draft"\\n\\n**最终回复**:\\n"final"').response
    'final'
    """
    sections, bodies = _collect(text, spec, "response")
    responses = [_unquote(body) for body in bodies]
    readable = [r for r in responses if r]
    if not readable:
        raise ParseError("empty Response section")
    notes: list[str] = []
    if len(set(responses)) == 1 and len(responses) > 1:
        notes.append(f"Response written {len(responses)} times, the same reply each time")
    elif len(responses) > 1:
        empty = len(responses) - len(readable)
        notes.append(
            f"Response written {len(responses)} times ({empty} empty); the last non-empty one is used"
        )
    return ParsedReply(
        response=readable[-1],
        thinking=sections.get("thinking", ""),
        origin=sections.get("origin", ""),
        revision=sections.get("revision", ""),
        notes=tuple(notes),
    )
