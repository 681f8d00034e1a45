"""Shared pieces of the RL tests: a deterministic keyword simulator, profiles, tiny-run configs."""

from __future__ import annotations

import asyncio

import pytest
import torch

from rlver.profiles.schema import Profile
from rlver.rl.config import (
    CheckpointSettings,
    LoggingSettings,
    LossSettings,
    OptimSettings,
    PPOSettings,
    RolloutSettings,
    TrainConfig,
)
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply
from rlver.simulator.presets import Preset


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models run fastest on one thread, and far faster on a shared, busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TARGET = "e"
"""The keyword simulator likes replies full of this letter."""

TEST_PRESET = Preset(
    name="test",
    initial_emotion=30,
    max_change=None,
    max_policy_turns=2,
    appraise_final_turn=True,
    end_on_success=False,
    failure_below=0,
    scripted_opening=True,
    disclosure="hidden",
)


def target_share(reply: str) -> float:
    """Share of the reply's letters that are ``TARGET`` (0 for a reply with no letters)."""
    letters = [c for c in reply.lower() if c.isalpha()]
    return sum(c == TARGET for c in letters) / len(letters) if letters else 0.0


class KeywordAgent(SentientAgent):
    """Deterministic simulated user: the emotion rises with the share of ``TARGET`` in each reply.

    change = round(100 * share) - 5, so a reply without the letter lowers the emotion a little and
    one made of it raises it a lot: a signal a tiny model can climb in a few steps.
    """

    name = "keyword"

    async def opening(self, state: DialogueState) -> UserReply:
        return UserReply(response="I had a rough day.")

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        change = round(100 * target_share(reply)) - 5
        return Appraisal(content=reply, target_completion="", activity="", analyse="", change=change)

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        return UserReply(response="Go on.")


def make_profiles(n: int = 4) -> list[Profile]:
    return [
        Profile(
            id=f"p{i}",
            persona=f"Person {i}",
            scene="A rough day at work.",
            task="be heard",
            first_talk=f"Today was hard ({i}).",
        )
        for i in range(n)
    ]


def tiny_config(algo: str, out_dir, **overrides) -> TrainConfig:
    """A seconds-long run: 4 profiles x group, 2 turns of 4 tokens, learning rates for 1M parameters."""
    rollout = RolloutSettings(
        profiles_per_step=4,
        group_size=4 if algo == "grpo" else 2,
        max_new_tokens=4,
        max_length=256,
        max_turns=2,
        system_prompt="",
    )
    base = dict(
        algo=algo,
        policy="hf:tiny",
        simulator="keyword",
        preset="rlver",
        steps=3,
        seed=0,
        out_dir=str(out_dir),
        rollout=rollout,
        optim=OptimSettings(actor_lr=1e-2, critic_lr=1e-2, epochs=2),
        loss=LossSettings(entropy_coef=0.0),
        ppo=PPOSettings(critic="value_head"),
        checkpoint=CheckpointSettings(every=1, keep_last_k=2),
        logging=LoggingSettings(progress=False, tensorboard=False),
    )
    base.update(overrides)
    return TrainConfig(**base)


def test_keyword_agent_is_deterministic_and_rewards_the_target():
    agent = KeywordAgent()
    profile = make_profiles(1)[0]

    async def play(reply: str) -> int:
        state = await agent.reset(profile, TEST_PRESET, seed=0)
        await agent.step(state, reply)
        return state.emotion

    assert asyncio.run(play("eeee")) == 100  # 30 + 95, capped at the upper bound
    assert asyncio.run(play("xyz")) == 25
    assert asyncio.run(play("ee xy")) == asyncio.run(play("ee xy")) == 30 + 45
