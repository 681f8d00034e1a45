"""HFPolicy: token-exact traces with real transformers generation on tiny random Qwen2 models."""

from __future__ import annotations

import asyncio
import copy
import threading
from dataclasses import replace

import pytest
import torch

from rlver.errors import ConfigError, PolicyError
from rlver.llm.types import Message
from rlver.models import SAMPLE_TEXTS, build_tiny_model, train_tokenizer
from rlver.policy.base import Policy, PolicyRequest, TokenTrace
from rlver.policy.hf import GenerationSettings, HFPolicy, render_ids, turn_delta_ids
from rlver.policy.think import split_think
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.base import Appraisal, SentientAgent, UserReply
from rlver.simulator.presets import PRESETS

SYSTEM = Message("system", "You are a caring friend.")
OPENINGS = ["I had a rough day.", "My manager took credit for my project in front of the whole team.", "Hi."]


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SAMPLE_TEXTS, vocab_size=1024)


@pytest.fixture
def model(tokenizer):
    return build_tiny_model(tokenizer, seed=0)


class GenerateSpy:
    """Wraps ``model.generate``: records every call and can force scripted completions."""

    def __init__(self, model, script: list[int] | None = None) -> None:
        self.original = model.generate
        self.script = script
        self.calls: list[dict] = []
        model.generate = self

    def __call__(self, **kwargs):
        width = kwargs["input_ids"].shape[1]
        past = kwargs.get("cache", kwargs.get("past_key_values"))  # the name depends on the transformers version
        fed = width - (past.get_seq_length() if past is not None else 0)  # columns the prefill computes
        if self.script is not None:
            eos = self.script[-1]
            kwargs["prefix_allowed_tokens_fn"] = lambda _row, ids: [
                self.script[ids.shape[-1] - width] if ids.shape[-1] - width < len(self.script) else eos
            ]
        out = self.original(**kwargs)
        self.calls.append({
            "input_ids": kwargs["input_ids"].cpu(),
            "attention_mask": kwargs["attention_mask"].cpu(),
            "sequences": out.sequences.cpu(),
            "thread": threading.get_ident(),
            "past": past is not None,
            "fed": fed,
        })
        return out


def requests_for(openings: list[str]) -> list[PolicyRequest]:
    return [
        PolicyRequest(key=f"d{i}", messages=[SYSTEM, Message("user", text)], trace=TokenTrace())
        for i, text in enumerate(openings)
    ]


def next_turn(requests: list[PolicyRequest], replies: list[str], user_text: str = "Thanks, go on.") -> None:
    for request, reply in zip(requests, replies):
        request.messages += [Message("assistant", reply), Message("user", user_text)]


def script_ids(tokenizer, text: str) -> list[int]:
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.encode(tokenizer.decode(ids), add_special_tokens=False) == ids, "text must re-tokenise stably"
    return ids + [tokenizer.eos_token_id]


def masked_segments(trace: TokenTrace) -> list[list[int]]:
    segments, current = [], []
    for token, bit in zip(trace.ids, trace.mask):
        if bit:
            current.append(token)
        elif current:
            segments.append(current)
            current = []
    return segments + ([current] if current else [])


def test_is_a_token_exact_policy(model, tokenizer):
    policy = HFPolicy(model, tokenizer)
    assert isinstance(policy, Policy) and policy.token_exact


async def test_trace_holds_exactly_the_sampled_tokens(model, tokenizer):
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=12, seed=5))
    spy = GenerateSpy(model)
    requests = requests_for(OPENINGS)
    for turn in range(2):
        before = [len(r.trace) for r in requests]
        replies = await policy.generate(requests)
        call = spy.calls[-1]
        assert call["input_ids"].shape[0] == len(requests)  # one batched generate call per turn
        width = call["input_ids"].shape[1]
        for row in range(len(requests)):
            prompt = call["input_ids"][row][call["attention_mask"][row].bool()].tolist()
            index = next(i for i, r in enumerate(requests) if r.trace.ids[: len(prompt)] == prompt)
            request = requests[index]
            assert len(prompt) > before[index]  # old trace + template delta
            generated = call["sequences"][row, width:].tolist()
            stop = next((k for k, t in enumerate(generated) if t == tokenizer.eos_token_id), None)
            sampled = generated if stop is None else generated[: stop + 1]
            tail = request.trace.ids[len(prompt):]
            assert tail[: len(sampled)] == sampled
            assert request.trace.mask[len(prompt):][: len(sampled)] == [1] * len(sampled)
            assert tail[len(sampled):] == ([] if stop is not None else [tokenizer.eos_token_id])
            assert request.trace.mask[before[index] : len(prompt)] == [0] * (len(prompt) - before[index])
        next_turn(requests, replies)
    for request in requests:
        assert len(request.trace.ids) == len(request.trace.mask) == len(request.trace.logprobs)
        assert all((lp < 0) == bool(m) for lp, m in zip(request.trace.logprobs, request.trace.mask))


async def test_later_turns_append_only_the_template_delta(model, tokenizer):
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=8))
    requests = requests_for(OPENINGS[:2])
    replies = await policy.generate(requests)
    first = [copy.deepcopy(r.trace) for r in requests]
    assert requests[0].trace.ids[: len(render_ids(tokenizer, requests[0].messages, generation_prompt=True))] == (
        render_ids(tokenizer, requests[0].messages, generation_prompt=True)
    )
    next_turn(requests, replies, "It was my sister, she cancelled again.")
    await policy.generate(requests)
    for old, request in zip(first, requests):
        trace = request.trace
        assert trace.ids[: len(old)] == old.ids and trace.mask[: len(old)] == old.mask
        assert trace.logprobs[: len(old)] == old.logprobs
        delta = turn_delta_ids(tokenizer, request.messages, {tokenizer.eos_token_id})
        assert tokenizer.decode(delta) == (
            "\n<|im_start|>user\nIt was my sister, she cancelled again.<|im_end|>\n<|im_start|>assistant\n"
        )
        assert trace.ids[len(old) : len(old) + len(delta)] == delta
        assert trace.mask[len(old) : len(old) + len(delta)] == [0] * len(delta)
        assert trace.mask[len(old) + len(delta)] == 1


QWEN3_LIKE = (  # like Qwen3: the final assistant turn gets an empty think block, earlier ones do not
    "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' }}"
    "{%- if m.role == 'assistant' and loop.last %}{{ '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{{ m.content + '<|im_end|>\\n' }}{%- endfor %}"
    "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
)


def test_delta_is_found_when_the_template_rerenders_the_last_assistant_turn(tokenizer):
    qwen3_like = copy.deepcopy(tokenizer)
    qwen3_like.chat_template = QWEN3_LIKE
    messages = [SYSTEM, Message("user", "Hi."), Message("assistant", "Hello."), Message("user", "Bye now.")]
    delta = turn_delta_ids(qwen3_like, messages, {tokenizer.eos_token_id})
    assert qwen3_like.decode(delta) == "\n<|im_start|>user\nBye now.<|im_end|>\n<|im_start|>assistant\n"


def test_template_that_closes_turns_inconsistently_is_refused(tokenizer):
    odd = copy.deepcopy(tokenizer)
    odd.chat_template = (
        "{%- for m in messages %}{{ '<|im_start|>' + m.role + '\\n' + m.content + '<|im_end|>' }}"
        "{%- if loop.last %}{{ '\\n\\n' }}{%- else %}{{ '\\n' }}{%- endif %}{%- endfor %}"
        "{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
    )
    messages = [Message("user", "Hi."), Message("assistant", "Hello."), Message("user", "Bye now.")]
    with pytest.raises(PolicyError, match="closes an assistant turn differently"):
        turn_delta_ids(odd, messages, {tokenizer.eos_token_id})


async def test_trace_equals_template_render_of_the_text_conversation(model, tokenizer):
    replies = ["I hear you, that sounds hard.", "<think>She needs rest.</think> Take it slow tonight."]
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=32))
    (request,) = requests_for(OPENINGS[:1])
    for turn, reply in enumerate(replies):
        spy = GenerateSpy(model, script_ids(tokenizer, reply))
        (text,) = await policy.generate([request])
        model.generate = spy.original
        assert text == reply
        request.messages.append(Message("assistant", reply))
        if turn == 0:
            request.messages.append(Message("user", "Thanks, go on."))
    rendered = render_ids(tokenizer, request.messages, generation_prompt=False)
    trace = request.trace
    assert rendered[: len(trace)] == trace.ids
    assert tokenizer.decode(rendered[len(trace) :]) == "\n"  # template suffix after the final <|im_end|>
    expected_mask = [0] * len(trace)
    for reply in replies:
        ids = script_ids(tokenizer, reply)
        start = next(i for i in range(len(trace)) if trace.ids[i : i + len(ids)] == ids)
        expected_mask[start : start + len(ids)] = [1] * len(ids)
    assert trace.mask == expected_mask


async def test_think_tokens_stay_in_trace_and_text(model, tokenizer):
    reply = "<think>He wants advice.</think> Write down one thing you want to say."
    spy = GenerateSpy(model, script_ids(tokenizer, reply))
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=40))
    (request,) = requests_for(OPENINGS[:1])
    (text,) = await policy.generate([request])
    assert spy.calls
    for tag in ("<think>", "</think>"):
        tag_id = tokenizer.convert_tokens_to_ids(tag)
        assert request.trace.mask[request.trace.ids.index(tag_id)] == 1
    split = split_think(text)
    assert split.ok and split.thought == "He wants advice." and split.reply.startswith("Write down")


async def test_reply_cut_at_max_new_tokens_gets_unsampled_eos(model, tokenizer):
    GenerateSpy(model, script_ids(tokenizer, "I hear you, that sounds really hard for you."))
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=3))
    (request,) = requests_for(OPENINGS[:1])
    await policy.generate([request])
    assert request.trace.ids[-1] == tokenizer.eos_token_id
    assert request.trace.mask[-4:] == [1, 1, 1, 0]
    assert request.trace.logprobs[-1] == 0.0
    assert (policy.stats.calls, policy.stats.replies, policy.stats.sampled_tokens, policy.stats.cut_replies) == (
        1, 1, 3, 1
    )


async def test_left_padded_batch_equals_one_by_one_under_greedy(tokenizer):
    model = build_tiny_model(tokenizer, seed=1)
    settings = GenerationSettings(temperature=0.0, max_new_tokens=10, batch_size=2)
    batched = requests_for(OPENINGS)
    singles = requests_for(OPENINGS)
    policy = HFPolicy(model, tokenizer, settings)
    spy = GenerateSpy(model)
    for turn in range(2):
        batch_replies = await policy.generate(batched)
        single_replies = [(await HFPolicy(model, tokenizer, settings).generate([r]))[0] for r in singles]
        assert batch_replies == single_replies
        next_turn(batched, batch_replies)
        next_turn(singles, single_replies)
    assert [c["input_ids"].shape[0] for c in spy.calls[:2]] == [2, 1]  # 3 requests in chunks of 2
    assert len({c["input_ids"].shape[1] for c in spy.calls}) > 1  # padding was really exercised
    for b, s in zip(batched, singles):
        assert b.trace.ids == s.trace.ids and b.trace.mask == s.trace.mask
        assert torch.allclose(torch.tensor(b.trace.logprobs), torch.tensor(s.trace.logprobs), atol=1e-4)


async def test_logprobs_match_a_separate_forward_pass(model, tokenizer):
    temperature = 0.7
    policy = HFPolicy(model, tokenizer, GenerationSettings(temperature=temperature, max_new_tokens=10))
    requests = requests_for(OPENINGS)
    next_turn(requests, await policy.generate(requests))
    await policy.generate(requests)
    for request in requests:
        ids = torch.tensor([request.trace.ids])  # (1, T)
        with torch.no_grad():
            logits = model(ids).logits[0, :-1].float()  # (T-1, V)
        expected = torch.log_softmax(logits / temperature, -1).gather(-1, ids[0, 1:, None]).squeeze(-1)  # (T-1,)
        mask = torch.tensor(request.trace.mask[1:], dtype=torch.bool)
        got = torch.tensor(request.trace.logprobs[1:])
        assert mask.sum() > 0
        assert torch.allclose(got[mask], expected[mask], atol=1e-4)
        assert torch.all(got[~mask] == 0)


async def test_kv_cache_reuse_gives_the_same_tokens_and_logprobs(tokenizer):
    model = build_tiny_model(tokenizer, seed=2)
    results = {}
    for reuse in (True, False):
        settings = GenerationSettings(temperature=0.0, max_new_tokens=6, reuse_kv_cache=reuse)
        policy = HFPolicy(model, tokenizer, settings)
        spy = GenerateSpy(model)
        requests = requests_for(OPENINGS)
        for turn in range(3):
            next_turn(requests, await policy.generate(requests), f"Turn {turn} was hard.")
        model.generate = spy.original
        assert [c["past"] for c in spy.calls] == ([False, True, True] if reuse else [False] * 3)
        results[reuse] = ([r.trace for r in requests], spy.calls[-1]["fed"])
        assert len(policy.kv_cache) == (len(requests) if reuse else 0)
    # With the cache, turn 3 prefills only the tokens after each cached prefix (a short delta).
    assert results[True][1] * 3 < results[False][1]
    for cached, plain in zip(results[True][0], results[False][0]):
        assert cached.ids == plain.ids and cached.mask == plain.mask
        assert torch.allclose(torch.tensor(cached.logprobs), torch.tensor(plain.logprobs), atol=1e-4)


async def test_kv_cache_is_dropped_when_weights_change(model, tokenizer):
    temperature = 0.8
    policy = HFPolicy(model, tokenizer, GenerationSettings(temperature=temperature, max_new_tokens=6))
    spy = GenerateSpy(model)
    requests = requests_for(OPENINGS[:2])
    next_turn(requests, await policy.generate(requests))
    assert len(policy.kv_cache) == 2
    turn_one = [len(r.trace) for r in requests]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    model(torch.tensor([requests[0].trace.ids])).logits.sum().backward()
    optimizer.step()  # an in-place update, as the trainer does
    await policy.generate(requests)
    assert [c["past"] for c in spy.calls] == [False, False]
    for request, start in zip(requests, turn_one):  # turn 2 log-probs are the new weights' (not a stale cache's)
        ids = torch.tensor([request.trace.ids])  # (1, T)
        with torch.no_grad():
            logits = model(ids).logits[0, :-1]  # (T-1, V)
        expected = torch.log_softmax(logits / temperature, -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
        mask = torch.tensor(request.trace.mask[1:], dtype=torch.bool)
        mask[: start - 1] = False
        assert torch.allclose(torch.tensor(request.trace.logprobs[1:])[mask], expected[mask], atol=1e-4)


async def test_kv_cache_ignores_changed_traces_and_stays_bounded(model, tokenizer):
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=4, batch_size=2))
    spy = GenerateSpy(model)
    requests = requests_for(OPENINGS)
    for request in requests:
        await policy.generate([request])
    assert len(policy.kv_cache) == 2  # least recently used dialogue dropped
    assert policy.kv_cache.lookup("d0", requests[0].trace.ids) is None
    requests[2].trace.logprobs[-1] = requests[2].trace.logprobs[-1]  # untouched ids: still valid
    assert policy.kv_cache.lookup("d2", requests[2].trace.ids) is not None
    edited = list(requests[2].trace.ids)
    edited[3] += 1
    assert policy.kv_cache.lookup("d2", edited) is None
    next_turn(requests[1:], ["ok", "ok"])
    await policy.generate(requests[1:])
    assert spy.calls[-1]["past"]


async def test_sample_raw_prompts_matches_generate(model, tokenizer):
    settings = GenerationSettings(temperature=0.0, max_new_tokens=5)
    requests = requests_for(OPENINGS)
    await HFPolicy(model, tokenizer, settings).generate(requests)
    prompts = [render_ids(tokenizer, r.messages, generation_prompt=True) for r in requests]
    replies = HFPolicy(model, tokenizer, settings).sample(prompts, budgets=[5, 5, 2])
    for request, prompt, reply, budget in zip(requests, prompts, replies, [5, 5, 2]):
        sampled = [t for t, m in zip(request.trace.ids, request.trace.mask) if m]
        assert reply.ids == sampled[:budget] and len(reply.logprobs) == len(reply.ids)
        assert reply.prefix is None
    with pytest.raises(PolicyError, match="budget"):
        HFPolicy(model, tokenizer, settings).sample(prompts, budgets=[1])


async def test_tiny_top_p_samples_the_greedy_reply(model, tokenizer):
    greedy = await HFPolicy(model, tokenizer, GenerationSettings(temperature=0.0, max_new_tokens=6)).generate(
        requests_for(OPENINGS)
    )
    nucleus = HFPolicy(model, tokenizer, GenerationSettings(temperature=1.5, top_p=1e-6, max_new_tokens=6, seed=3))
    assert await nucleus.generate(requests_for(OPENINGS)) == greedy


async def test_seeded_sampling_is_reproducible(tokenizer):
    async def run(seed: int) -> list[list[int]]:
        model = build_tiny_model(tokenizer, seed=0)
        policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=8, seed=seed))
        requests = requests_for(OPENINGS)
        next_turn(requests, await policy.generate(requests))
        await policy.generate(requests)
        return [r.trace.ids for r in requests]

    state = torch.get_rng_state()
    assert await run(7) == await run(7)
    assert await run(7) != await run(8)
    assert torch.equal(state, torch.get_rng_state())  # the caller's RNG stream is left alone


async def test_generation_runs_off_the_event_loop_and_restores_train_mode(model, tokenizer):
    spy = GenerateSpy(model)
    model.train()
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=4))
    await policy.generate(requests_for(OPENINGS[:1]))
    assert spy.calls[0]["thread"] != threading.get_ident()
    assert model.training


async def test_context_limit_shrinks_budget_then_refuses(model, tokenizer):
    (request,) = requests_for(OPENINGS[:1])
    prompt_len = len(render_ids(tokenizer, request.messages, generation_prompt=True))
    GenerateSpy(model, script_ids(tokenizer, "I hear you, that sounds really hard for you."))
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=50, max_context_tokens=prompt_len + 3))
    await policy.generate([request])
    assert len(request.trace) == prompt_len + 3 and request.trace.mask[-3:] == [1, 1, 0]
    next_turn([request], ["x"])
    (refused,) = await policy.generate([request])  # only this dialogue fails; no exception for the batch
    assert isinstance(refused, PolicyError) and "max_context_tokens" in str(refused)


async def test_bad_requests_and_settings_fail_clearly(model, tokenizer):
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=4))
    (request,) = requests_for(OPENINGS[:1])
    await policy.generate([request])
    with pytest.raises(PolicyError, match="assistant message and a new user message"):
        await policy.generate([request])  # messages were not extended with the reply and a user turn
    request.trace.ids.append(5)
    next_turn([request], ["x"])
    with pytest.raises(PolicyError, match="end-of-turn"):
        await policy.generate([request])
    for bad in ({"temperature": -1}, {"top_p": 0}, {"max_new_tokens": 0}, {"batch_size": 0}, {"batch_wait": -1},
                {"kv_cache_dialogues": 0}):
        with pytest.raises(ConfigError):
            GenerationSettings(**bad)


async def test_from_pretrained_loads_a_saved_policy(model, tokenizer, tmp_path):
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    settings = GenerationSettings(temperature=0.0, max_new_tokens=6)
    loaded = HFPolicy.from_pretrained(tmp_path, settings, device="cpu")
    assert loaded.name == f"hf:{tmp_path}"
    assert await loaded.generate(requests_for(OPENINGS)) == await HFPolicy(model, tokenizer, settings).generate(
        requests_for(OPENINGS)
    )


class ScriptedAgent(SentientAgent):
    """A trivial Sentient Agent: +5 per reply; says goodbye at a per-profile turn."""

    name = "scripted"

    def __init__(self, goodbye_at: dict[str, int]) -> None:
        self.goodbye_at = goodbye_at

    async def opening(self, state):
        return UserReply(response=f"Hi, I am {state.profile.name}. Work was awful today.")

    async def appraise(self, state, reply):
        return Appraisal(content="c", target_completion="t", activity="a", analyse="an", change=5)

    async def respond(self, state, appraisal):
        if state.policy_turns == self.goodbye_at.get(state.profile.id):
            return UserReply(response="Thanks for listening, bye.")
        return UserReply(response=f"Tell me more, turn {state.policy_turns}.")


async def test_end_to_end_rollout_keeps_traces_token_exact(model, tokenizer):
    profiles = [Profile(id=f"p{i}", persona="p", scene="s", task="t", name=f"Ann{i}") for i in range(4)]
    agent = ScriptedAgent({"p0": 1, "p1": 2})
    preset = replace(PRESETS["rlver"], max_policy_turns=3)
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=8, seed=1))
    spy = GenerateSpy(model)
    episodes = await run_dialogues(
        [DialogueJob(profile=p) for p in profiles], policy, agent, RolloutConfig(preset=preset, system_prompt="Be kind.")
    )
    assert [e.end_reason for e in episodes] == ["goodbye", "goodbye", "turn_limit", "turn_limit"]
    assert [e.policy_turns for e in episodes] == [1, 2, 3, 3]
    assert [c["input_ids"].shape[0] for c in spy.calls] == [4, 3, 2]  # finished dialogues leave the batch
    for episode in episodes:
        trace = episode.trace
        segments = masked_segments(trace)
        raws = [t.raw for t in episode.turns if t.role == "assistant"]
        assert len(segments) == len(raws)
        for segment, raw in zip(segments, raws):
            assert policy.decode(segment) == raw
        text = tokenizer.decode(trace.ids)
        user_texts = [t.text for t in episode.turns if t.role == "user"]
        positions = [text.index(f"<|im_start|>user\n{u}<|im_end|>") for u in user_texts[: episode.policy_turns]]
        assert positions == sorted(positions) and text.startswith("<|im_start|>system\nBe kind.<|im_end|>")
        assert len(trace.ids) == len(trace.mask) == len(trace.logprobs)


async def test_concurrent_calls_share_one_model_batch_and_sample_as_one_call(model, tokenizer):
    settings = GenerationSettings(max_new_tokens=8, seed=4)
    together = requests_for(OPENINGS)
    await HFPolicy(model, tokenizer, settings).generate(together)
    policy = HFPolicy(model, tokenizer, settings)
    spy = GenerateSpy(model)
    apart = requests_for(OPENINGS)
    replies = await asyncio.gather(*(policy.generate([r]) for r in apart))  # one call per dialogue
    assert [c["input_ids"].shape[0] for c in spy.calls] == [3]  # the batching queue joined them
    assert (policy.batcher.batches, policy.batcher.occupancy) == (1, 3.0)
    assert all(len(r) == 1 and isinstance(r[0], str) for r in replies)
    for a, b in zip(together, apart):
        assert a.trace.ids == b.trace.ids


def test_each_row_draws_its_own_noise_whatever_shares_the_batch():
    """Per-row generators: a row's sample depends on its seed only, not on its batch or position."""
    from rlver.models.sampling import TokenSampler, row_generators, row_seed

    torch.manual_seed(0)
    logits = torch.randn(4, 50)  # (B, V)
    seeds = [row_seed(0, f"d{i}", 1) for i in range(4)]

    def sample(rows: list[int]) -> list[int]:
        sampler = TokenSampler(1.0, generator=row_generators([seeds[r] for r in rows], "cpu"))
        return sampler(torch.zeros(len(rows), 1, dtype=torch.long), logits[rows]).argmax(-1).tolist()

    full = sample([0, 1, 2, 3])
    assert sample([2]) == [full[2]] and sample([3, 1]) == [full[3], full[1]]
    assert len(set(full)) > 1  # rows really drew different noise


async def test_exact_mode_samples_every_request_alone(model, tokenizer):
    settings = GenerationSettings(max_new_tokens=6, seed=9, exact=True)
    spy = GenerateSpy(model)
    policy = HFPolicy(model, tokenizer, settings)
    requests = requests_for(OPENINGS)
    await policy.generate(requests)
    assert [c["input_ids"].shape[0] for c in spy.calls] == [1, 1, 1]
    assert all(not c["attention_mask"].eq(0).any() for c in spy.calls)  # no padding at all
    model.generate = spy.original
    for index in range(len(OPENINGS)):  # the same reply as when sampled alone
        alone = requests_for(OPENINGS)[index : index + 1]
        await HFPolicy(model, tokenizer, settings).generate(alone)
        assert alone[0].trace.ids == requests[index].trace.ids
        assert alone[0].trace.logprobs == requests[index].trace.logprobs


async def test_a_dialogues_kv_cache_is_held_once_while_its_turn_is_generated(model, tokenizer):
    """The stored prefix is taken into the batch, not copied: during generate the store no longer holds
    it and the batch's row is its only copy; the longer prefix is stored back after the turn."""
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=4))
    requests = requests_for(OPENINGS[:2])
    next_turn(requests, await policy.generate(requests), "Go on.")
    held_during: list[int] = []
    original = model.generate

    def watch(**kwargs):
        held_during.append(len(policy.kv_cache))
        return original(**kwargs)

    model.generate = watch
    try:
        await policy.generate(requests)
    finally:
        model.generate = original
    assert held_during == [0] and len(policy.kv_cache) == 2
