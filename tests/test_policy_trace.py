"""The shared trace rules (policy/trace.py) on a hand-built ChatML tokenizer: every id and mask checked by hand."""

from __future__ import annotations

import doctest
from types import SimpleNamespace

import pytest

import rlver.policy.trace
from rlver.errors import ConfigError, PolicyError
from rlver.llm.types import Message
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.trace import GenerationStats, SampledReply, TraceBuilder, turn_budget

VOCAB = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "\n", "system", "user", "assistant",  # 0-6
    "<think>", "</think>", "hi", " there", "ok", " bye", "x", "be", " kind", "<|eot|>",  # 7-16
]
SPECIAL = {0, 1, 2, 7, 8, 16}  # think tags special too, as in vocabularies that add them that way
START, END, NL, SYSTEM, USER, ASSISTANT, THINK, UNTHINK = 1, 2, 3, 4, 5, 6, 7, 8
HI, THERE, OK, BYE, EOT = 9, 10, 11, 12, 16


class ChatMLTokenizer:
    """The few tokenizer members the trace rules use, over a 17-token vocabulary."""

    def __init__(self) -> None:
        self.chat_template: str | None = "chatml"
        self.eos_token_id = END
        self.all_special_ids = [0, START, END]
        self.added_tokens_decoder = {i: SimpleNamespace(special=True) for i in SPECIAL}

    def convert_tokens_to_ids(self, token: str) -> int:
        return VOCAB.index(token)

    def encode(self, text: str) -> list[int]:
        ids = []
        while text:  # longest vocabulary entry first
            token = max((t for t in VOCAB if text.startswith(t)), key=len)
            ids.append(VOCAB.index(token))
            text = text[len(token) :]
        return ids

    def apply_chat_template(self, messages, *, tokenize, add_generation_prompt, return_dict):
        ids = []
        for m in messages:
            ids += [START, VOCAB.index(m["role"]), NL, *self.encode(m["content"]), END, NL]
        if add_generation_prompt:
            ids += [START, ASSISTANT, NL]
        return {"input_ids": ids}

    def decode(self, ids, skip_special_tokens=False):
        return "".join(VOCAB[i] for i in ids)


OPENING = [Message("system", "be kind"), Message("user", "hi there")]
TURN_1 = [START, SYSTEM, NL, 14, 15, END, NL, START, USER, NL, HI, THERE, END, NL, START, ASSISTANT, NL]


@pytest.fixture
def builder():
    return TraceBuilder(ChatMLTokenizer())


def test_two_turns_build_the_trace_token_by_token(builder):
    request = PolicyRequest(key="d", messages=list(OPENING), trace=TokenTrace())
    delta, prompt = builder.prompt(request)
    assert delta == prompt == TURN_1
    reply = builder.cut([THINK, OK, UNTHINK, HI, END, BYE], [-0.1, -0.2, -0.3, -0.4, -0.5, -0.6], budget=8)
    assert reply == SampledReply(ids=[THINK, OK, UNTHINK, HI, END], logprobs=[-0.1, -0.2, -0.3, -0.4, -0.5],
                                 ended=True)
    assert builder.record(request, delta, reply) == "<think>ok</think>hi"  # eos hidden, think tags kept
    assert request.trace.ids == TURN_1 + [THINK, OK, UNTHINK, HI, END]
    assert request.trace.mask == [0] * 17 + [1] * 5
    assert request.trace.logprobs == [0.0] * 17 + [-0.1, -0.2, -0.3, -0.4, -0.5]

    request.messages += [Message("assistant", "hi"), Message("user", "ok bye")]
    delta, prompt = builder.prompt(request)
    # Template suffix after the previous <|im_end|>, the new user turn, the generation prompt.
    assert delta == [NL, START, USER, NL, OK, BYE, END, NL, START, ASSISTANT, NL]
    assert prompt == request.trace.ids + delta
    reply = builder.cut([HI, THERE, HI, THERE], None, budget=2)  # cut by its budget, no log-probs
    assert reply == SampledReply(ids=[HI, THERE], logprobs=None, ended=False)
    assert builder.record(request, delta, reply) == "hi there"
    assert request.trace.ids[22:] == delta + [HI, THERE, END]
    assert request.trace.mask[22:] == [0] * 11 + [1, 1, 0]  # the eos closing a cut reply was not sampled
    assert request.trace.logprobs[22:] == [0.0] * 14


def test_extra_end_of_turn_ids_stop_a_reply_and_are_hidden():
    builder = TraceBuilder(ChatMLTokenizer(), end_of_turn_ids=[EOT])
    assert builder.end_of_turn_ids == {END, EOT}
    reply = builder.cut([OK, EOT, BYE], [-1.0, -2.0, -3.0], budget=3)
    assert (reply.ids, reply.logprobs, reply.ended) == ([OK, EOT], [-1.0, -2.0], True)
    assert builder.decode(reply.ids) == "ok"


def test_requests_without_a_trace_get_the_full_render_every_turn(builder):
    messages = [*OPENING, Message("assistant", "ok"), Message("user", "ok bye")]
    request = PolicyRequest(key="d", messages=messages)
    delta, prompt = builder.prompt(request)
    assert delta == prompt == TURN_1[:-3] + [START, ASSISTANT, NL, OK, END, NL, START, USER, NL, OK, BYE, END, NL,
                                             START, ASSISTANT, NL]
    assert builder.record(request, delta, SampledReply([HI], [0.0], False)) == "hi" and request.trace is None


def test_bad_traces_completions_and_tokenizers_fail_loudly(builder):
    open_turn = PolicyRequest(key="d", messages=[*OPENING, Message("assistant", "hi"), Message("user", "ok")],
                              trace=TokenTrace(ids=[START, HI], mask=[0, 1], logprobs=[0.0, 0.0]))
    with pytest.raises(PolicyError, match="does not end with an end-of-turn token"):
        builder.prompt(open_turn)
    with pytest.raises(PolicyError, match="2 log-probs for 3 tokens"):
        builder.cut([HI, THERE, OK], [-1.0, -1.0], budget=5)
    tokenizer = ChatMLTokenizer()
    tokenizer.chat_template = None
    with pytest.raises(ConfigError, match="no chat template"):
        TraceBuilder(tokenizer)


def test_turn_budget_keeps_one_position_for_the_eos_and_names_the_limits():
    assert turn_budget("d", 10, 8) == 8
    assert turn_budget("d", 10, 8, max_context_tokens=15) == 4  # 10 + 4 sampled + 1 eos = 15
    assert turn_budget("d", 30, 8, response_tokens=20, max_response_tokens=24) == 3
    with pytest.raises(PolicyError, match=r"dialogue d: no token budget left after 14 tokens \(max_context_tokens=15\)"):
        turn_budget("d", 14, 8, max_context_tokens=15)
    assert doctest.testmod(rlver.policy.trace).failed == 0


def test_stats_count_replies_tokens_and_cuts():
    stats = GenerationStats()
    stats.count(SampledReply([HI, END], [0.0, 0.0], True))
    stats.count(SampledReply([HI, THERE, OK], None, False))
    assert (stats.replies, stats.sampled_tokens, stats.cut_replies) == (2, 5, 1)
