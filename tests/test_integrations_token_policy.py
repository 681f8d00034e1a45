"""The token-level seam: TokenPolicy over generators reproduces HFPolicy's traces exactly."""

from __future__ import annotations

import asyncio

import pytest
import torch

from rlver.errors import ConfigError, PolicyError
from rlver.integrations import (
    BatchingGenerator,
    EpisodeSettings,
    HFTokenGenerator,
    SimulatorSpec,
    TokenCompletion,
    TokenPolicy,
    TokenPolicySettings,
    TokenSampling,
    episode_to_sample,
)
from rlver.integrations.dialogue import BackgroundLoop, shared_simulator
from rlver.integrations.trl_rollout import RlverRolloutFunc, emotion_reward_func
from rlver.models.tiny import tiny_test_setup
from rlver.policy.hf import GenerationSettings, HFPolicy
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from tests.adapters._support import PRESET, FakeTRLTrainer, LetterAgent, make_profiles, native_episodes


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return tiny_test_setup(seed=3)


async def token_policy_episodes(model, tokenizer, profiles, *, temperature, seed=0, settings=None):
    hf = HFPolicy(model, tokenizer, GenerationSettings(temperature=temperature, max_new_tokens=6, seed=seed))
    generator = HFTokenGenerator(hf)
    policy = TokenPolicy(generator, tokenizer, settings or TokenPolicySettings(max_new_tokens=6),
                         end_of_turn_ids=generator.end_of_turn_ids)
    jobs = [DialogueJob(profile=p, seed=0, id=p.id) for p in profiles]
    episodes = await run_dialogues(jobs, policy, LetterAgent(), RolloutConfig(preset=PRESET))
    return episodes, policy, generator


@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_token_policy_reproduces_hf_policy_traces(tiny, temperature):
    """Greedy and seeded sampling: same ids, masks, log-probs, replies and emotions as HFPolicy."""
    model, tokenizer = tiny
    profiles = make_profiles(3)
    native = asyncio.run(native_episodes(model, tokenizer, profiles, temperature=temperature, seed=7))
    seam, policy, generator = asyncio.run(token_policy_episodes(model, tokenizer, profiles, temperature=temperature,
                                                                seed=7))
    for a, b in zip(native, seam):
        assert a.trace.ids == b.trace.ids and a.trace.mask == b.trace.mask
        assert torch.allclose(torch.tensor(a.trace.logprobs), torch.tensor(b.trace.logprobs), atol=1e-6)
        assert [t.text for t in a.turns] == [t.text for t in b.turns]
        assert a.emotions == b.emotions and a.end_reason == b.end_reason
    assert 0 in native[0].trace.mask[native[0].trace.mask.index(1):]  # user turns inside the trace
    # One model batch per turn, as in the native loop: the batching generator grouped the dialogues.
    assert generator.batches == PRESET.max_policy_turns
    assert policy.stats.replies == 3 * PRESET.max_policy_turns


def test_trl_rollout_func_matches_native_samples(tiny):
    model, tokenizer = tiny
    profiles = make_profiles(3)
    native = asyncio.run(native_episodes(model, tokenizer, profiles))
    settings = EpisodeSettings(preset=PRESET)
    expected = [episode_to_sample(e, settings) for e in native]
    rollout = RlverRolloutFunc(profiles, LetterAgent(), settings, max_new_tokens=6)
    out = rollout([p.id for p in profiles], FakeTRLTrainer(model, tokenizer))
    assert out["prompt_ids"] == [s.prompt_ids for s in expected]
    assert out["completion_ids"] == [s.response_ids for s in expected]
    assert out["env_mask"] == [s.response_mask for s in expected]
    assert out["emotion_reward"] == pytest.approx([s.reward for s in expected])
    assert emotion_reward_func([None] * 3, emotion_reward=out["emotion_reward"]) == out["emotion_reward"]
    with pytest.raises(ConfigError, match="not a profile id"):
        rollout(["nobody"], FakeTRLTrainer(model, tokenizer))


def test_group_shares_the_simulator_seed_and_steps_change_it(tiny):
    model, tokenizer = tiny
    profiles = make_profiles(2)
    rollout = RlverRolloutFunc(profiles, LetterAgent(), EpisodeSettings(preset=PRESET), max_new_tokens=2)
    rollout(["p0", "p0", "p1", "p1"], FakeTRLTrainer(model, tokenizer, num_generations=2, step=5))
    seeds = [e.seed for e in rollout.last_episodes]
    assert seeds[0] == seeds[1] and seeds[2] == seeds[3] and seeds[0] != seeds[2]
    assert [e.group for e in rollout.last_episodes] == [0, 0, 1, 1]
    rollout(["p0"], FakeTRLTrainer(model, tokenizer, step=6))
    assert rollout.last_episodes[0].seed != seeds[0]


def test_episode_to_sample_drops_the_unsampled_tail_and_failed_dialogues_have_no_reward(tiny):
    model, tokenizer = tiny
    episodes = asyncio.run(native_episodes(model, tokenizer, make_profiles(1), max_new_tokens=2))
    episode = episodes[0]
    assert episode.trace.mask[-1] == 0  # the reply was cut: eos appended unsampled
    sample = episode_to_sample(episode, EpisodeSettings(preset=PRESET))
    assert sample.response_mask[-1] == 1 and sample.response_mask[0] == 1
    assert sample.prompt_ids + sample.response_ids == episode.trace.ids[:-1]
    assert sample.reward == pytest.approx(episode.final_emotion / 100)
    episode.error = "simulator: down"
    assert episode_to_sample(episode, EpisodeSettings(preset=PRESET)).reward is None


class Scripted:
    """A generator that returns fixed ids (and records what it was asked)."""

    def __init__(self, ids, logprobs=None):
        self.ids, self.logprobs, self.calls = ids, logprobs, []

    async def __call__(self, prompt_ids, sampling):
        self.calls.append((list(prompt_ids), sampling))
        return TokenCompletion(list(self.ids), self.logprobs)


def one_request(tokenizer, generator, settings=None):
    from rlver.llm.types import Message
    from rlver.policy.base import PolicyRequest, TokenTrace

    policy = TokenPolicy(generator, tokenizer, settings or TokenPolicySettings(max_new_tokens=4))
    request = PolicyRequest(key="d", messages=[Message("user", "hello there")], trace=TokenTrace())
    return policy, request, asyncio.run(policy.generate([request]))


def test_completions_are_cut_after_end_of_turn_and_within_budget(tiny):
    _, tokenizer = tiny
    eos = tokenizer.eos_token_id
    word = tokenizer.encode("hello", add_special_tokens=False)
    _, request, _ = one_request(tokenizer, Scripted(word[:1] + [eos] + word, [-0.5] * (len(word) + 2)))
    assert request.trace.ids[-2:] == [word[0], eos] and request.trace.mask[-2:] == [1, 1]
    assert request.trace.logprobs[-2:] == [-0.5, -0.5]
    generator = Scripted(word * 10)
    _, request, _ = one_request(tokenizer, generator)
    assert generator.calls[0][1].max_new_tokens == 4 and eos in generator.calls[0][1].stop_token_ids
    assert request.trace.mask[-5:] == [1, 1, 1, 1, 0] and request.trace.ids[-1] == eos  # cut: eos unsampled
    assert request.trace.logprobs[-5:] == [0.0] * 5  # a generator without log-probs
    with pytest.raises(PolicyError, match="log-probs"):
        one_request(tokenizer, Scripted(word, [-1.0] * (len(word) - 1)) if len(word) > 1 else Scripted([1, 2], [0.0]))


def test_budgets_shrink_and_then_fail_loudly(tiny):
    _, tokenizer = tiny
    with pytest.raises(PolicyError, match="max_prompt_tokens"):
        one_request(tokenizer, Scripted([1]), TokenPolicySettings(max_prompt_tokens=3))
    generator = Scripted([5] * 10)
    policy, _, _ = one_request(tokenizer, generator, TokenPolicySettings(max_new_tokens=8, max_response_tokens=3))
    assert generator.calls[0][1].max_new_tokens == 2  # one position kept for the eos of a cut reply
    assert policy.first_prompt_length("d") == len(generator.calls[0][0])
    with pytest.raises(ConfigError):
        TokenPolicySettings(max_new_tokens=0)


def test_budget_exhaustion_ends_only_that_dialogue(tiny):
    model, tokenizer = tiny
    profiles = make_profiles(1)
    episodes, _, _ = asyncio.run(token_policy_episodes(
        model, tokenizer, profiles, temperature=0.0, settings=TokenPolicySettings(max_new_tokens=6, max_response_tokens=8)))
    assert episodes[0].error is not None and "no token budget left" in episodes[0].error
    assert episode_to_sample(episodes[0], EpisodeSettings(preset=PRESET)).reward is None


def test_batching_generator_groups_concurrent_calls_and_spreads_errors():
    seen = []

    async def batch_fn(prompts, samplings):
        seen.append(len(prompts))
        return [TokenCompletion([len(p)]) for p in prompts]

    async def main():
        generator = BatchingGenerator(batch_fn, max_batch=3)
        outs = await asyncio.gather(*(generator([0] * n, TokenSampling(1, (), str(n))) for n in range(1, 6)))
        return outs, generator.batches

    outs, _ = asyncio.run(main())
    assert [o.ids for o in outs] == [[1], [2], [3], [4], [5]] and seen == [3, 2]

    async def failing(prompts, samplings):
        raise PolicyError("engine down")

    async def fail_all():
        generator = BatchingGenerator(failing)
        return await asyncio.gather(*(generator([1], TokenSampling(1, (), "k")) for _ in range(3)),
                                    return_exceptions=True)

    assert all(isinstance(r, PolicyError) for r in asyncio.run(fail_all()))


def test_simulator_spec_from_env_and_specs():
    env = {"RLVER_SIMULATOR": "openai:deepseek-chat", "RLVER_SIMULATOR_BASE_URL": "http://sim:8000/v1",
           "RLVER_SIMULATOR_MAX_CONCURRENCY": "128"}
    spec = SimulatorSpec.from_env(env)
    assert (spec.spec, spec.base_url, spec.max_concurrency) == ("openai:deepseek-chat", "http://sim:8000/v1", 128)
    assert SimulatorSpec.from_env(env, spec="offline", max_concurrency=None).spec == "offline"  # explicit wins
    with pytest.raises(ConfigError, match="not a number"):
        SimulatorSpec.from_env({"RLVER_SIMULATOR_TIMEOUT": "soon"})
    with pytest.raises(ConfigError, match="base URL"):
        SimulatorSpec(spec="openai:m").build()
    with pytest.raises(ConfigError, match="python:MODULE:NAME"):
        SimulatorSpec(spec="python:nothing").build()
    with pytest.raises(ConfigError, match="not a UserSimulator"):
        SimulatorSpec(spec="python:tests.adapters._support:make_profiles").build()
    agent = SimulatorSpec.from_env(env).build()
    assert agent.name.startswith("llm") or "deepseek" in agent.name or agent is not None

    async def twice():
        spec = SimulatorSpec(spec="python:tests.adapters._support:LetterAgent")
        return shared_simulator(spec), shared_simulator(spec)

    first, second = asyncio.run(twice())
    assert first is second and isinstance(first, LetterAgent)
    assert asyncio.run(twice())[0] is not first  # a new event loop gets its own simulator


def test_background_loop_runs_coroutines_from_inside_a_running_loop():
    loop = BackgroundLoop()

    async def inner():
        return 41 + 1

    async def caller():  # e.g. a notebook cell: TRL's training step is synchronous code inside a loop
        return loop.run(inner())

    try:
        assert asyncio.run(caller()) == 42
    finally:
        loop.close()
