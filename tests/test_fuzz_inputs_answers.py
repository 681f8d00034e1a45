"""Fuzzed judge and strategy-labeller answers (issue 14, part 3): any text an LLM sends back is
parsed into a complete verdict or rejected with :class:`JudgeParseError` (which the judge loop asks
again about), never another exception, and never slowly.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rlver.bench.capabilities import CAPABILITIES, parse_capability_answer
from rlver.bench.judge import JudgeParseError
from rlver.bench.scc import parse_scc_answer
from rlver.bench.strategies import ESCONV_STRATEGIES, parse_label_answer
from tests.test_fuzz_inputs import FUZZ, JSON_VALUES, TEXT, mutated

# -- judge and labeller answers ----------------------------------------------------------------

_ANSWER_TOKENS = st.sampled_from(
    ["{", "}", "[", "]", '"', ":", "：", ",", "\n", "```", "```json", " ", "*", "**", "-", "#", "A1", "[A2]", "A3",
     "empathy", "creativity", "Empathic Depth", "core_insight", "Solution Crafting", "dialogue_guidance",
     "风格适应", "score", "reason", "strategy", "Question", "Reflection of Feelings", "Others", "1", "3", "5", "-2",
     "2.5", "9" * 400, "1" * 5000, "NaN", "Infinity", "1e999", "null", "true", "/5", "分", "—"]
)  # fmt: skip
ANSWERS = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(_ANSWER_TOKENS, TEXT), max_size=40).map("".join),
    JSON_VALUES.map(lambda v: json.dumps(v, ensure_ascii=False)),
    st.dictionaries(
        st.sampled_from([*CAPABILITIES, "A1", "A2", "empathy", "creativity", "scores"]),
        JSON_VALUES,
        max_size=6,
    ).map(json.dumps),
)

_GOOD_CAPABILITIES = json.dumps({c: {"score": 4, "reason": "ok"} for c in CAPABILITIES})
_GOOD_LABELS = '{"A1": "Question", "A2": "Reflection of Feelings", "A3": "Others"}'
_GOOD_SCC = '{"empathy": 1, "creativity": -2}'


def _answer(draw: st.DrawFn, good: str) -> str:
    return draw(st.one_of(ANSWERS, mutated(good.encode()).map(lambda b: b.decode("utf-8", "replace"))))


@FUZZ
@given(data=st.data())
def test_capability_answers_are_parsed_or_rejected(data):
    try:
        scores = parse_capability_answer(_answer(data.draw, _GOOD_CAPABILITIES))
    except JudgeParseError:
        return
    assert list(scores) == list(CAPABILITIES)
    assert all(
        isinstance(s.score, int) and 1 <= s.score <= 5 and isinstance(s.reason, str) for s in scores.values()
    )


@FUZZ
@given(count=st.integers(1, 4), data=st.data())
def test_strategy_label_answers_are_parsed_or_rejected(count, data):
    try:
        labels = parse_label_answer(_answer(data.draw, _GOOD_LABELS), count)
    except JudgeParseError:
        return
    assert len(labels) == count and all(label in ESCONV_STRATEGIES for label in labels)


@FUZZ
@given(data=st.data())
def test_scc_answers_are_parsed_or_rejected(data):
    try:
        point = parse_scc_answer(_answer(data.draw, _GOOD_SCC))
    except JudgeParseError:
        return
    assert -1 <= point.x <= 1 and -1 <= point.y <= 1


@pytest.mark.parametrize(
    "text",
    [
        "*" * 20000,
        "-" * 20000 + ":",
        "```{" * 3000,
        '{"a": ' + "[" * 5000 + "]" * 5000 + "}",
        "A" + "1" * 5000 + ": Question",
    ],
    ids=["asterisks", "dashes", "fences", "deep-json", "long-number"],
)
def test_pathological_answers_are_rejected_quickly(text):
    started = time.perf_counter()
    for parse in (parse_capability_answer, lambda t: parse_label_answer(t, 1), parse_scc_answer):
        with pytest.raises(JudgeParseError):
            parse(text)
    assert time.perf_counter() - started < 2.0  # a judge answer of a few KB must not take seconds
