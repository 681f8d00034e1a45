"""Token-exact dialogue traces: the one set of rules every token-level policy follows.

:class:`~rlver.policy.hf.HFPolicy` (local batched generation) and
:class:`~rlver.integrations.token_policy.TokenPolicy` (any async token generator: verl, vLLM, TRL)
sample differently but build each dialogue's :class:`~rlver.policy.base.TokenTrace` here:

* turn 1 feeds the chat-template render of the messages plus the generation prompt (:func:`render_ids`);
  every later turn feeds only the template's delta for the new user message (:func:`turn_delta_ids`),
  never a re-render;
* sampled ids are cut after the first end-of-turn id, within the turn's budget, and appended with
  mask 1 and their log-probs; a reply cut by its budget gets the eos id appended with mask 0;
* a turn's budget keeps one position free for that eos (:func:`turn_budget`);
* the reply text is the sampled ids decoded with special tokens dropped and think tags kept.

So ``trace.ids`` is always ``previous ids + delta + sampled ids (+ eos)`` whichever engine sampled.
No torch or transformers import: the tokenizer is passed in. See docs/hf-policy.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rlver.errors import ConfigError, PolicyError
from rlver.llm.types import Message
from rlver.policy.base import PolicyRequest
from rlver.policy.think import THINK_CLOSE, THINK_OPEN

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

__all__ = [
    "GenerationStats", "SampledReply", "TraceBuilder", "policy_turn", "render_ids", "turn_budget", "turn_delta_ids",
]

_PLACEHOLDER = "x"
"""Content of earlier turns when rendering a delta: only the new user message's text matters."""


def render_ids(tokenizer: PreTrainedTokenizerBase, messages: Sequence[Message], *, generation_prompt: bool) -> list[int]:
    """Token ids of ``messages`` rendered by the tokenizer's chat template."""
    encoded = tokenizer.apply_chat_template(
        [m.to_dict() for m in messages],
        tokenize=True,
        add_generation_prompt=generation_prompt,
        return_dict=True,
    )
    return [int(i) for i in encoded["input_ids"]]


def turn_delta_ids(
    tokenizer: PreTrainedTokenizerBase, messages: Sequence[Message], end_of_turn_ids: AbstractSet[int]
) -> list[int]:
    """Ids the template adds after the previous assistant turn's end-of-turn token.

    That is: any template suffix after the end-of-turn token (ChatML: ``\\n``), the new user turn
    (``messages[-1]``) and the generation prompt. Earlier turns are rendered with placeholder
    content, so only the new message's text is tokenised and the delta is the same whatever the
    policy sampled before. The boundary is found by counting end-of-turn tokens, so templates that
    render the final assistant turn differently from earlier ones (Qwen3 adds an empty think block
    to the last one) still give the right delta.
    """
    if len(messages) < 2 or messages[-1].role != "user" or messages[-2].role != "assistant":
        raise PolicyError("a later turn needs messages ending with an assistant message and a new user message")
    skeleton = [m if m.role == "system" else Message(m.role, _PLACEHOLDER) for m in messages[:-1]]
    before = render_ids(tokenizer, skeleton, generation_prompt=False)
    after = render_ids(tokenizer, [*skeleton, messages[-1]], generation_prompt=True)
    ends_before = [i for i, token in enumerate(before) if token in end_of_turn_ids]
    ends_after = [i for i, token in enumerate(after) if token in end_of_turn_ids]
    if not ends_before or len(ends_after) < len(ends_before):
        raise PolicyError("the chat template does not close assistant turns with an end-of-turn token")
    suffix = before[ends_before[-1] + 1 :]  # template text after the assistant's end-of-turn token
    delta = after[ends_after[len(ends_before) - 1] + 1 :]
    if delta[: len(suffix)] != suffix:
        raise PolicyError("the chat template closes an assistant turn differently once a user message "
                          "follows; token-exact multi-turn traces cannot be extended with it")
    return delta


def policy_turn(request: PolicyRequest) -> int:
    """The policy turn a request asks for (1 = the first reply): 1 + the assistant messages so far.

    Sampling seeds derive from it (with the dialogue key), so a reply's randomness is fixed by its
    place in its own dialogue, never by when or beside whom it was sampled.
    """
    return 1 + sum(1 for message in request.messages if message.role == "assistant")


def turn_budget(
    key: str,
    prompt_length: int,
    max_new_tokens: int,
    *,
    max_context_tokens: int | None = None,
    response_tokens: int = 0,
    max_response_tokens: int | None = None,
) -> int:
    """Most tokens dialogue ``key`` may sample next, after a prompt of ``prompt_length`` ids.

    ``response_tokens`` = ids already after the first prompt (counted against
    ``max_response_tokens``). Raises ``PolicyError`` when no token is left.

    >>> turn_budget("d", 10, 8, max_context_tokens=15)
    4
    >>> turn_budget("d", 30, 8, response_tokens=20, max_response_tokens=24)
    3
    """
    budget = max_new_tokens
    # One position stays free for the eos id appended when a reply is cut.
    if max_context_tokens is not None:
        budget = min(budget, max_context_tokens - prompt_length - 1)
    if max_response_tokens is not None:
        budget = min(budget, max_response_tokens - response_tokens - 1)
    if budget < 1:
        limits = {"max_context_tokens": max_context_tokens, "max_response_tokens": max_response_tokens}
        named = ", ".join(f"{name}={value}" for name, value in limits.items() if value is not None)
        raise PolicyError(f"dialogue {key}: no token budget left after {prompt_length} tokens ({named}); "
                          "raise the limit or lower the turn limit")
    return budget


@dataclass
class SampledReply:
    """One sampled reply: ids exactly as sampled, cut after the first end-of-turn id."""

    ids: list[int]
    """Sampled ids, the end-of-turn id included when the model sampled it."""
    logprobs: list[float] | None
    """Sampling log-prob of each id (HFPolicy: log_softmax(logits / T)); ``None`` when the generator
    reports none (the trace then records 0.0)."""
    ended: bool
    """True if the model sampled an end-of-turn token (it is the last id)."""
    prefix: tuple[torch.Tensor, torch.Tensor] | None = None
    """HFPolicy only: (keys, values) of every token fed to the model for this dialogue, to reuse next turn."""


@dataclass
class GenerationStats:
    """Running totals of one policy object (read them to log rollout metrics)."""

    calls: int = 0
    """``generate`` calls that sampled anything."""
    replies: int = 0
    """Replies sampled."""
    sampled_tokens: int = 0
    """Tokens sampled (mask 1), end-of-turn tokens included."""
    cut_replies: int = 0
    """Replies that hit their token budget without an end-of-turn token (eos appended with mask 0)."""
    seconds: float = 0.0
    """Wall-clock seconds spent waiting for the generator (HFPolicy: its worker thread, lock wait included)."""

    def count(self, reply: SampledReply) -> None:
        """Add one reply to the reply and token totals."""
        self.replies += 1
        self.sampled_tokens += len(reply.ids)
        self.cut_replies += not reply.ended


class TraceBuilder:
    """The trace rules bound to one tokenizer and its end-of-turn ids.

    ``end_of_turn_ids`` are extra ids that end a reply; the tokenizer's eos id always does.
    """

    def __init__(self, tokenizer: PreTrainedTokenizerBase, end_of_turn_ids: Iterable[int] = ()) -> None:
        if tokenizer.chat_template is None:
            raise ConfigError("the tokenizer has no chat template")
        if tokenizer.eos_token_id is None:
            raise ConfigError("the tokenizer has no eos token (the end-of-turn token)")
        self.tokenizer = tokenizer
        self.eos_id = int(tokenizer.eos_token_id)
        """Appended with mask 0 after a reply cut by its budget, so the next delta follows a closed turn."""
        self.end_of_turn_ids: frozenset[int] = frozenset({self.eos_id, *(int(i) for i in end_of_turn_ids)})
        """Ids that end a reply (kept in it, with mask 1)."""
        # Think tags are special tokens in some vocabularies but are part of the reply text.
        think_ids = {tokenizer.convert_tokens_to_ids(t) for t in (THINK_OPEN, THINK_CLOSE)}
        special = {int(i) for i, t in tokenizer.added_tokens_decoder.items() if t.special}
        self.hidden_ids: frozenset[int] = frozenset((special | set(tokenizer.all_special_ids)) - think_ids)
        """Ids left out of reply text."""

    def prompt(self, request: PolicyRequest) -> tuple[list[int], list[int]]:
        """``(delta, prompt)``: the ids to append to the trace before sampling, and the ids to feed.

        Turn 1 (no trace or an empty one): the full render with the generation prompt, which is also
        what a request without a trace gets on every turn. Later turns: the template delta, fed after
        the trace's ids.
        """
        trace = request.trace
        if trace is None or len(trace) == 0:
            delta = render_ids(self.tokenizer, request.messages, generation_prompt=True)
            return delta, list(delta)
        if trace.ids[-1] not in self.end_of_turn_ids:
            raise PolicyError(f"dialogue {request.key}: trace does not end with an end-of-turn token")
        delta = turn_delta_ids(self.tokenizer, request.messages, self.end_of_turn_ids)
        return delta, trace.ids + delta

    def cut(self, ids: Sequence[int], logprobs: Sequence[float] | None, budget: int) -> SampledReply:
        """The reply in a raw completion: at most ``budget`` ids, up to and including the first end-of-turn id."""
        ids = [int(i) for i in ids[:budget]]
        if logprobs is not None and len(logprobs) < len(ids):
            raise PolicyError(f"the generator returned {len(logprobs)} log-probs for {len(ids)} tokens")
        stop = next((k for k, token in enumerate(ids) if token in self.end_of_turn_ids), None)
        end = len(ids) if stop is None else stop + 1
        kept = None if logprobs is None else [float(x) for x in logprobs[:end]]
        return SampledReply(ids=ids[:end], logprobs=kept, ended=stop is not None)

    def record(self, request: PolicyRequest, delta: Sequence[int], reply: SampledReply) -> str:
        """Extend the request's trace (if any) with one turn and return the reply text.

        The turn is ``delta`` with mask 0, the sampled ids with mask 1 and their log-probs, and the eos
        id with mask 0 if the reply was cut: the model did not sample it, so it is not trained, but the
        next delta must follow a closed assistant turn.
        """
        trace = request.trace
        if trace is not None:
            trace.extend(delta, sampled=False)
            trace.extend(reply.ids, sampled=True, logprobs=reply.logprobs)
            if not reply.ended:
                trace.extend([self.eos_id], sampled=False)
        return self.decode(reply.ids)

    def decode(self, ids: Sequence[int]) -> str:
        """Reply text: special tokens dropped, ``<think>``/``</think>`` kept."""
        return self.tokenizer.decode([i for i in ids if i not in self.hidden_ids], skip_special_tokens=False)

