"""The RL math against numbers worked out by hand, and GAE against a plain-Python loop."""

from __future__ import annotations

import math
import random

import pytest
import torch

from rlver.rl.advantages import (
    gae,
    group_advantages,
    masked_mean,
    masked_var,
    masked_whiten,
    turn_group_advantages,
    turn_index,
)
from rlver.rl.losses import (
    clipped_surrogate,
    clipped_value_loss,
    entropy_from_logits,
    kl_penalty,
    logprobs_from_logits,
)


def t(*rows):
    return torch.tensor(rows, dtype=torch.float32)


# ----------------------------------------------------------------------------- masked statistics


def test_masked_mean_ignores_masked_entries_even_nan():
    values = t([1.0, 2.0, float("nan")], [3.0, 100.0, 5.0])
    mask = t([1, 1, 0], [1, 0, 1])
    assert masked_mean(values, mask).item() == pytest.approx((1 + 2 + 3 + 5) / 4)
    assert masked_mean(values, mask, dim=1).tolist() == pytest.approx([1.5, 4.0])
    assert masked_mean(values, mask, denominator=8.0).item() == pytest.approx(11 / 8)
    assert masked_mean(values, torch.zeros_like(mask)).item() == 0.0


def test_masked_var_and_whiten():
    values = t([1.0, 2.0, 3.0, 50.0])
    mask = t([1, 1, 1, 0])
    assert masked_var(values, mask).item() == pytest.approx(1.0)  # ((1)^2 + 0 + 1^2) / (3 - 1)
    white = masked_whiten(values, mask)
    assert white[0].tolist() == pytest.approx([-1.0, 0.0, 1.0, 0.0], abs=1e-6)
    unshifted = masked_whiten(values, mask, shift_mean=False)
    assert unshifted[0].tolist() == pytest.approx([1.0, 2.0, 3.0, 0.0], abs=1e-6)


# ----------------------------------------------------------------------------- GAE


def test_gae_hand_computed_skips_user_tokens():
    # Policy tokens at t = 1, 2, 4; t = 0 and t = 3 are user/template tokens (their values and rewards
    # must not matter). gamma = 0.9, lam = 0.8, so gamma * lam = 0.72.
    rewards = t([5.0, 0.0, 0.0, 7.0, 1.0])
    values = t([9.0, 0.5, 0.4, 9.0, 0.2])
    mask = t([0, 1, 1, 0, 1])
    adv, ret = gae(rewards, values, mask, gamma=0.9, lam=0.8)
    # t=4: delta = 1 + 0.9*0 - 0.2 = 0.8;                     A = 0.8
    # t=2: delta = 0 + 0.9*0.2 - 0.4 = -0.22;                 A = -0.22 + 0.72*0.8   = 0.356
    # t=1: delta = 0 + 0.9*0.4 - 0.5 = -0.14;                 A = -0.14 + 0.72*0.356 = 0.11632
    assert adv[0].tolist() == pytest.approx([0.0, 0.11632, 0.356, 0.0, 0.8], abs=1e-6)
    assert ret[0].tolist() == pytest.approx([0.0, 0.61632, 0.756, 0.0, 1.0], abs=1e-6)


def test_gae_gamma_lambda_one_is_return_minus_value():
    rewards = t([0.0, 0.0, 0.0, 0.0, 1.0])
    values = t([9.0, 0.5, 0.4, 9.0, 0.2])
    mask = t([0, 1, 1, 0, 1])
    adv, _ = gae(rewards, values, mask, gamma=1.0, lam=1.0)
    assert adv[0].tolist() == pytest.approx([0.0, 0.5, 0.6, 0.0, 0.8])


def _gae_reference(rewards, values, mask, gamma, lam):
    """Plain-Python GAE over the policy tokens of one row: compress, recurse, expand."""
    positions = [i for i, m in enumerate(mask) if m]
    adv = [0.0] * len(rewards)
    last = 0.0
    for k in reversed(range(len(positions))):
        i = positions[k]
        next_value = values[positions[k + 1]] if k + 1 < len(positions) else 0.0
        delta = rewards[i] + gamma * next_value - values[i]
        last = delta + gamma * lam * last
        adv[i] = last
    return adv


def test_gae_matches_plain_loop_on_random_batches():
    rng = random.Random(0)
    for trial in range(20):
        batch, length = rng.randint(1, 4), rng.randint(1, 12)
        gamma, lam = rng.choice([1.0, 0.99, 0.9]), rng.choice([1.0, 0.95, 0.5])
        rows_r = [[rng.uniform(-1, 1) for _ in range(length)] for _ in range(batch)]
        rows_v = [[rng.uniform(-1, 1) for _ in range(length)] for _ in range(batch)]
        rows_m = [[rng.random() < 0.6 for _ in range(length)] for _ in range(batch)]
        # Rewards at non-policy positions are ignored by definition: zero them for the reference too.
        rows_r = [[r if m else 0.0 for r, m in zip(rr, mm)] for rr, mm in zip(rows_r, rows_m)]
        adv, ret = gae(
            torch.tensor(rows_r),
            torch.tensor(rows_v),
            torch.tensor(rows_m, dtype=torch.float32),
            gamma=gamma,
            lam=lam,
        )
        for b in range(batch):
            expected = _gae_reference(rows_r[b], rows_v[b], rows_m[b], gamma, lam)
            assert adv[b].tolist() == pytest.approx(expected, abs=1e-5), f"trial {trial} row {b}"
            expected_ret = [a + v if m else 0.0 for a, v, m in zip(expected, rows_v[b], rows_m[b])]
            assert ret[b].tolist() == pytest.approx(expected_ret, abs=1e-5)


def test_gae_rejects_shape_mismatch():
    with pytest.raises(ValueError, match="shape mismatch"):
        gae(torch.zeros(2, 3), torch.zeros(2, 4), torch.zeros(2, 3))


# ----------------------------------------------------------------------------- GRPO


def test_group_advantages_hand_computed():
    rewards = torch.tensor([1.0, 2.0, 3.0, 5.0, 5.0, 7.0, 0.2, 0.6])
    groups = torch.tensor([0, 0, 0, 1, 1, 2, 3, 3])
    adv = group_advantages(rewards, groups, eps=0.0 + 1e-6)
    # group 0: mean 2, std sqrt((1 + 0 + 1) / 2) = 1; group 1: all equal -> 0; group 2: alone -> 0;
    # group 3: mean 0.4, std sqrt((0.04 + 0.04) / 1) = 0.282843 -> +-0.707107
    expected = [-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, -0.707107, 0.707107]
    assert adv.tolist() == pytest.approx(expected, abs=1e-4)
    centred = group_advantages(rewards, groups, normalize_std=False)
    assert centred.tolist() == pytest.approx([-1.0, 0.0, 1.0, 0.0, 0.0, 0.0, -0.2, 0.2], abs=1e-6)


def test_group_advantages_non_contiguous_group_ids():
    adv = group_advantages(torch.tensor([1.0, 10.0, 3.0, 20.0]), torch.tensor([7, 3, 7, 3]))
    assert adv.tolist() == pytest.approx([-0.7071, -0.7071, 0.7071, 0.7071], abs=1e-3)


def test_turn_index_numbers_runs_of_policy_tokens():
    mask = t([0, 1, 1, 0, 0, 1, 0, 1], [1, 0, 1, 1, 1, 0, 0, 0])
    assert turn_index(mask).tolist() == [[-1, 0, 0, -1, -1, 1, -1, 2], [0, -1, 1, 1, 1, -1, -1, -1]]


def _two_dialogues():
    # dialogue 0: three turns, rewards .2, .1, .3 on each turn's last token;
    # dialogue 1: two turns, rewards .4, .1 (it ended a turn earlier)
    mask = t([0, 1, 1, 0, 1, 0, 1], [0, 1, 0, 0, 1, 1, 0])
    rewards = t([0, 0, 0.2, 0, 0.1, 0, 0.3], [0, 0.4, 0, 0, 0, 0.1, 0])
    return rewards, mask


def test_turn_group_advantages_hand_computed_gamma_one():
    rewards, mask = _two_dialogues()
    adv = turn_group_advantages(rewards, mask, torch.tensor([0, 0]), gamma=1.0, normalize_std=False)
    # returns-to-go: d0 = [.6, .4, .3], d1 = [.5, .1]; turn means .55 and .25; turn 2 is alone -> 0
    expected = [[0, 0.05, 0.05, 0, 0.15, 0, 0.0], [0, -0.05, 0, 0, -0.15, -0.15, 0]]
    assert torch.allclose(adv, torch.tensor(expected), atol=1e-6)


def test_turn_group_advantages_hand_computed_gamma_half_and_std():
    rewards, mask = _two_dialogues()
    adv = turn_group_advantages(rewards, mask, torch.tensor([0, 0]), gamma=0.5, normalize_std=False)
    # d0 = [.2 + .5 * (.1 + .5 * .3), .1 + .5 * .3, .3] = [.325, .25, .3]; d1 = [.4 + .05, .1] = [.45, .1]
    expected = [[0, -0.0625, -0.0625, 0, 0.075, 0, 0.0], [0, 0.0625, 0, 0, -0.075, -0.075, 0]]
    assert torch.allclose(adv, torch.tensor(expected), atol=1e-6)
    normed = turn_group_advantages(rewards, mask, torch.tensor([0, 0]), gamma=0.5, eps=1e-6)
    # two members: std = |a - b| / sqrt(2), so every normalised advantage is +-1/sqrt(2)
    assert normed[0, 1].item() == pytest.approx(-0.7071, abs=1e-3)
    assert normed[1, 4].item() == pytest.approx(-0.7071, abs=1e-3)
    assert normed[0, 6].item() == 0.0


def test_turn_group_advantages_compare_only_within_a_group():
    rewards, mask = _two_dialogues()
    adv = turn_group_advantages(rewards, mask, torch.tensor([0, 1]), gamma=0.0)
    assert torch.count_nonzero(adv) == 0  # each dialogue alone in its group


def test_turn_group_advantages_equal_episode_level_with_outcome_reward():
    # a reward only on the last turn, all dialogues of a group the same length: every turn gets the
    # episode-level GRPO advantage
    gen = torch.Generator().manual_seed(0)
    mask = t([0, 1, 1, 0, 1, 1, 0, 1]).repeat(6, 1)
    outcome = torch.rand(6, generator=gen)
    rewards = torch.zeros_like(mask)
    rewards[:, 7] = outcome
    groups = torch.tensor([0, 0, 0, 1, 1, 1])
    adv = turn_group_advantages(rewards, mask, groups, gamma=1.0)
    expected = group_advantages(outcome, groups)[:, None] * mask
    assert torch.allclose(adv, expected, atol=1e-6)


# ----------------------------------------------------------------------------- losses


def test_clipped_surrogate_hand_computed():
    logp = t([math.log(1.5), math.log(0.5), math.log(1.1), 3.0])
    old = torch.zeros_like(logp)
    adv = t([1.0, 1.0, -2.0, 100.0])
    mask = t([1, 1, 1, 0])
    out = clipped_surrogate(logp, old, adv, mask, clip_eps=0.2)
    # token 0: ratio 1.5, A=1  -> max(-1.5, -1.2) = -1.2
    # token 1: ratio 0.5, A=1  -> max(-0.5, -0.8) = -0.5
    # token 2: ratio 1.1, A=-2 -> max(2.2, 2.2)  = 2.2;  token 3 masked
    assert out.loss.item() == pytest.approx((-1.2 - 0.5 + 2.2) / 3, abs=1e-6)
    assert out.clipfrac.item() == pytest.approx(2 / 3)
    expected_kl = ((0.5 - math.log(1.5)) + (-0.5 - math.log(0.5)) + (0.1 - math.log(1.1))) / 3
    assert out.approx_kl.item() == pytest.approx(expected_kl, abs=1e-6)
    halves = clipped_surrogate(logp, old, adv, mask, clip_eps=0.2, denominator=6.0)
    assert halves.loss.item() == pytest.approx(0.5 / 6, abs=1e-6)


def test_clipped_value_loss_hand_computed():
    out = clipped_value_loss(
        t([1.0, 0.0, 5.0]), t([0.5, 0.5, 0.0]), t([1.0, 1.0, 0.0]), t([1, 1, 0]), clip_eps=0.2
    )
    # token 0: (1-1)^2 = 0 vs (0.7-1)^2 = 0.09 -> 0.09;  token 1: (0-1)^2 = 1 vs (0.3-1)^2 = 0.49 -> 1
    assert out.loss.item() == pytest.approx(0.5 * (0.09 + 1.0) / 2, abs=1e-6)
    assert out.clipfrac.item() == pytest.approx(0.5)


def test_kl_penalty_estimators():
    logp, ref = t([math.log(0.5)]), t([math.log(0.25)])
    assert kl_penalty(logp, ref, "k1").item() == pytest.approx(math.log(2), abs=1e-6)
    assert kl_penalty(logp, ref, "k3").item() == pytest.approx(0.5 + math.log(0.5) * -1 - 1, abs=1e-6)
    assert kl_penalty(ref, ref, "k3").item() == 0.0
    with pytest.raises(ValueError, match="k2"):
        kl_penalty(logp, ref, "k2")  # type: ignore[arg-type]


def test_entropy_and_logprobs_from_logits():
    logits = torch.tensor([[[0.0, 0.0, 0.0, 0.0], [0.0, math.log(3.0), -1e9, -1e9]]])
    entropy = entropy_from_logits(logits)
    assert entropy[0].tolist() == pytest.approx(
        [math.log(4), 0.25 * math.log(4) + 0.75 * math.log(4 / 3)], abs=1e-5
    )
    logp = logprobs_from_logits(logits, torch.tensor([[2, 1]]))
    assert logp[0].tolist() == pytest.approx([math.log(0.25), math.log(0.75)], abs=1e-6)


def test_masked_positions_get_exactly_zero_gradient():
    torch.manual_seed(0)
    logits = torch.randn(2, 5, 7, requires_grad=True)
    labels = torch.randint(0, 7, (2, 5))
    mask = t([1, 0, 1, 0, 0], [0, 1, 1, 1, 0])
    logp = logprobs_from_logits(logits, labels)
    old = logp.detach() + 0.3 * torch.randn(2, 5)
    adv = torch.randn(2, 5)
    loss = clipped_surrogate(logp, old, adv, mask).loss
    loss = loss - 0.01 * masked_mean(entropy_from_logits(logits), mask)
    loss = loss + 0.1 * masked_mean(kl_penalty(logp, old, "k3"), mask)
    loss.backward()
    grad = logits.grad
    assert grad is not None
    masked_out = ~mask.bool()
    assert torch.count_nonzero(grad[masked_out]) == 0
    assert torch.count_nonzero(grad[mask.bool()]) > 0
