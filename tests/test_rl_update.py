"""PPO and GRPO update steps on a tiny random Qwen2 model and synthetic token traces."""

from __future__ import annotations

import copy
import random
from dataclasses import replace

import pytest
import torch

from rlver.models.tiny import tiny_test_setup
from rlver.policy.base import TokenTrace
from rlver.rl.batch import collate
from rlver.rl.config import GRPOSettings, LossSettings, OptimSettings, PPOSettings, TrainConfig
from rlver.rl.grpo import GRPO
from rlver.rl.ppo import PPO
from rlver.rl.value import build_critic
from rlver.rollout.rewards import ScoredEpisode
from rlver.rollout.types import Episode
from tests.test_rl_support import one_torch_thread  # noqa: F401


@pytest.fixture(scope="module")
def tiny():
    model, tokenizer = tiny_test_setup(seed=0)
    return model, tokenizer


def synthetic_batch(vocab: int, n: int = 6, seed: int = 0, group_size: int = 3):
    """Dialogues of 2 policy turns with random tokens; rewards vary within every group."""
    rng = random.Random(seed)
    items = []
    for i in range(n):
        ids, mask = [], []
        for turn in range(2):
            prompt = rng.randint(3, 6)
            reply = rng.randint(2, 5)
            ids += [rng.randrange(vocab) for _ in range(prompt + reply)]
            mask += [0] * prompt + [1] * reply
        ids += [rng.randrange(vocab) for _ in range(rng.randint(0, 3))]
        mask += [0] * (len(ids) - len(mask))
        trace = TokenTrace(ids=ids, mask=mask, logprobs=[-1.0 if m else 0.0 for m in mask])
        episode = Episode(
            id=f"e{i}",
            profile_id=f"p{i // group_size}",
            preset="rlver",
            simulator="s",
            policy="p",
            seed=0,
            group=i // group_size,
            emotions=[30, 40, 50],
            trace=trace,
            end_reason="turn_limit",
        )
        items.append(ScoredEpisode(episode, (0.0, rng.random())))
    batch, _ = collate(items, pad_id=0)
    return batch


def make_config(algo: str, **optim) -> TrainConfig:
    return TrainConfig(
        algo=algo,
        optim=OptimSettings(actor_lr=1e-3, critic_lr=1e-3, **optim),
        loss=LossSettings(entropy_coef=0.001),
        ppo=PPOSettings(critic="separate"),
    )


def trainable_snapshot(*modules):
    return {
        f"{i}.{name}": p.detach().clone()
        for i, m in enumerate(modules)
        for name, p in m.named_parameters()
        if p.requires_grad
    }


@pytest.mark.parametrize(
    "algo,critic_kind", [("ppo", "separate"), ("ppo", "value_head"), ("grpo", None), ("grpo", "turn")]
)
def test_every_trainable_parameter_changes_after_one_step(tiny, algo, critic_kind):
    model = copy.deepcopy(tiny[0])
    config = make_config(algo)
    if critic_kind == "turn":  # GRPO with turn-level credit
        config = replace(config, grpo=GRPOSettings(credit="turn", gamma=1.0))
    batch = synthetic_batch(model.config.vocab_size)
    if algo == "ppo":
        critic = build_critic(critic_kind, model)
        algorithm = PPO(model, critic, config)
        modules = (model, critic)
    else:
        algorithm = GRPO(model, config)
        modules = (model,)
    before = trainable_snapshot(*modules)
    stats = algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
    after = trainable_snapshot(*modules)
    unchanged = [name for name in before if torch.equal(before[name], after[name])]
    assert not unchanged, f"parameters that did not change: {unchanged}"
    # One epoch, one mini-batch: the ratio is computed before the only step, so it is exactly 1.
    assert stats["losses/approx_kl"] == pytest.approx(0.0, abs=1e-6)
    assert stats["losses/clipfrac"] == 0.0
    for key in ("losses/policy", "losses/entropy", "grad/actor_norm"):
        assert key in stats
    if algo == "ppo":
        assert stats["losses/value"] > 0 and "grad/critic_norm" in stats


def test_gradient_accumulation_matches_one_big_minibatch(tiny):
    """3 micro-batches accumulate exactly the gradient of the whole mini-batch's token mean."""
    batch = synthetic_batch(tiny[0].config.vocab_size, n=6)
    grads, params = [], []
    for accumulation in (1, 3):
        model = copy.deepcopy(tiny[0])
        algorithm = GRPO(model, make_config("grpo", grad_accumulation=accumulation, max_grad_norm=0.0))
        algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
        # One mini-batch: .grad still holds the accumulated gradient of the only optimizer step.
        grads.append({name: p.grad.clone() for name, p in model.named_parameters()})
        params.append(trainable_snapshot(model))
    for name, value in grads[0].items():
        torch.testing.assert_close(grads[1][name], value, atol=1e-7, rtol=1e-4)
    for name, value in params[0].items():  # Adam amplifies float noise on near-zero gradients a little
        torch.testing.assert_close(params[1][name], value, atol=1e-4, rtol=1e-4)


def test_several_epochs_and_minibatches_clip(tiny):
    model = copy.deepcopy(tiny[0])
    config = make_config("ppo", epochs=3, minibatch_size=2)
    algorithm = PPO(model, build_critic("value_head", model), config)
    stats = algorithm.update(
        algorithm.prepare(synthetic_batch(model.config.vocab_size)), torch.Generator().manual_seed(1)
    )
    # lr 1e-3 over 9 optimizer steps moves the policy far enough for some ratios to leave [0.8, 1.2].
    assert stats["losses/approx_kl"] > 0
    assert stats["losses/clipfrac"] > 0


def test_kl_penalty_uses_frozen_reference(tiny):
    model = copy.deepcopy(tiny[0])
    reference = copy.deepcopy(tiny[0]).requires_grad_(False)
    config = TrainConfig(
        algo="grpo",
        optim=OptimSettings(actor_lr=1e-3, epochs=2),
        loss=LossSettings(kl_coef=0.1, kl_kind="k3"),
    )
    algorithm = GRPO(model, config, reference=reference)
    batch = synthetic_batch(model.config.vocab_size)
    stats = algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
    assert stats["losses/kl_ref"] > 0  # the second epoch sees a policy that moved away from the reference
    assert all(torch.equal(a, b) for a, b in zip(reference.parameters(), tiny[0].parameters()))
