"""Reward functions on episodes, and collation of token traces into aligned training tensors."""

from __future__ import annotations

import pytest
import torch

from rlver.errors import ConfigError
from rlver.policy.base import TokenTrace
from rlver.rl.batch import collate, policy_segments
from rlver.rollout.rewards import (
    ScoredEpisode,
    emotion_delta_rewards,
    emotion_reward,
    get_reward,
    score_episodes,
)
from rlver.rollout.types import Episode, Turn
from rlver.simulator.base import Appraisal


def _appraisal(before: int, after: int) -> Appraisal:
    return Appraisal(
        "c",
        "t",
        "a",
        "an",
        change=after - before,
        applied_change=after - before,
        emotion_before=before,
        emotion_after=after,
    )


def make_episode(
    emotions=(30, 45, 60), *, error=None, violation=False, trace=None, group=0, eid="e"
) -> Episode:
    turns = [Turn("user", "hi", emotion=emotions[0])]
    for before, after in zip(emotions, emotions[1:]):
        turns.append(Turn("assistant", "reply", appraisal=_appraisal(before, after)))
        turns.append(Turn("user", "more", emotion=after))
    end = "turn_limit"
    if violation:
        turns.append(Turn("assistant", "", raw="<think>oops"))
        end = "format_violation"
    return Episode(
        id=eid,
        profile_id="p",
        preset="rlver",
        simulator="sim",
        policy="pol",
        seed=0,
        group=group,
        turns=turns,
        emotions=list(emotions),
        end_reason="error" if error else end,
        format_violations=int(violation),
        error=error,
        trace=trace,
    )


# ----------------------------------------------------------------------------- rewards


def test_emotion_reward_is_final_emotion_on_last_turn():
    assert emotion_reward(make_episode((30, 45, 60))) == [0.0, 0.6]


def test_emotion_delta_rewards_sum_to_change():
    rewards = emotion_delta_rewards(make_episode((30, 45, 60, 20)))
    assert rewards == pytest.approx([0.15, 0.15, -0.4])
    assert sum(rewards) == pytest.approx((20 - 30) / 100)


def test_format_violation_reward_replaces_emotion():
    episode = make_episode((30, 80), violation=True)
    assert emotion_reward(episode) == [0.0, 0.0]
    assert emotion_reward(episode, format_violation_reward=-0.5) == [0.0, -0.5]
    assert emotion_delta_rewards(episode, format_violation_reward=-0.2) == pytest.approx([0.5, -0.2])


def test_errored_episodes_are_dropped_never_scored_zero():
    good, bad = make_episode(eid="good"), make_episode(error="simulator: boom", eid="bad")
    scored, dropped = score_episodes([good, bad], get_reward("emotion"))
    assert [s.episode.id for s in scored] == ["good"]
    assert [d.id for d in dropped] == ["bad"]
    assert scored[0].total == pytest.approx(0.6)
    with pytest.raises(ConfigError, match="unknown reward 'nope'"):
        get_reward("nope")


# ----------------------------------------------------------------------------- collation


def _trace(ids, mask, logprobs=None) -> TokenTrace:
    logprobs = logprobs or [(-0.1 * i if m else 0.0) for i, m in enumerate(mask)]
    return TokenTrace(ids=list(ids), mask=list(mask), logprobs=list(logprobs))


def test_policy_segments():
    assert policy_segments([0, 1, 1, 0, 0, 1]) == [(1, 3), (5, 6)]
    assert policy_segments([0, 0]) == []


def test_collate_shifts_masks_and_places_rewards_on_last_policy_token():
    # tokens:   0   1   2   3   4   5   6   7
    # mask:     0   0   1   1   0   0   1   0      (two policy turns: tokens 2-3 and token 6)
    trace = _trace([10, 11, 12, 13, 14, 15, 16, 17], [0, 0, 1, 1, 0, 0, 1, 0])
    short = _trace([20, 21, 22], [0, 1, 0])
    items = [
        ScoredEpisode(make_episode(trace=trace, group=3, eid="a"), (0.25, 0.75)),
        ScoredEpisode(make_episode((30, 50), trace=short, group=4, eid="b"), (0.5,)),
    ]
    batch, stats = collate(items, pad_id=0)
    assert stats.truncated == 0 and stats.dropped_overlong == 0
    assert batch.input_ids.tolist() == [[10, 11, 12, 13, 14, 15, 16, 17], [20, 21, 22, 0, 0, 0, 0, 0]]
    assert batch.attention_mask.tolist() == [[1] * 8, [1, 1, 1, 0, 0, 0, 0, 0]]
    # Position i scores token i + 1: token 2 is scored at position 1, token 6 at position 5.
    assert batch.loss_mask.tolist() == [[0, 1, 1, 0, 0, 1, 0], [1, 0, 0, 0, 0, 0, 0]]
    assert batch.token_rewards.tolist() == [[0, 0, 0.25, 0, 0, 0.75, 0], [0.5, 0, 0, 0, 0, 0, 0]]
    assert batch.sampled_logprobs[0].tolist() == pytest.approx([0, -0.2, -0.3, 0, 0, -0.6, 0])
    assert batch.rewards.tolist() == [1.0, 0.5]
    assert batch.groups.tolist() == [3, 4]
    assert batch.episode_ids == ("a", "b")
    assert batch.num_action_tokens == 4 and batch.num_tokens == 11


def test_collated_positions_score_the_sampled_token():
    """logits[:, :-1] gathered at input_ids[:, 1:] gives the log-prob of exactly the masked tokens."""
    trace = _trace([5, 6, 7, 8], [0, 1, 0, 1])
    batch, _ = collate([ScoredEpisode(make_episode(trace=trace), (0.0, 1.0))], pad_id=0)
    labels = batch.input_ids[:, 1:]
    scored = labels[batch.loss_mask.bool()]
    assert scored.tolist() == [6, 8]


def test_collate_truncates_and_moves_cut_rewards():
    trace = _trace([1, 2, 3, 4, 5, 6, 7], [0, 1, 1, 0, 1, 1, 0])
    item = ScoredEpisode(make_episode(trace=trace), (0.0, 0.6))
    batch, stats = collate([item], pad_id=0, max_length=5)
    assert stats.truncated == 1
    assert batch.input_ids.tolist() == [[1, 2, 3, 4, 5]]
    assert batch.loss_mask.tolist() == [[1, 1, 0, 1]]
    assert batch.token_rewards.tolist() == [[0, 0, 0, pytest.approx(0.6)]]
    assert batch.rewards.tolist() == [pytest.approx(0.6)]
    dropped_batch, stats = collate([item], pad_id=0, max_length=5, overlong="drop")
    assert dropped_batch is None and stats.dropped_overlong == 1


def test_collate_rejects_inconsistent_traces():
    no_trace = ScoredEpisode(make_episode(), (0.0, 0.6))
    with pytest.raises(ValueError, match="token-exact"):
        collate([no_trace], pad_id=0)
    wrong_spans = ScoredEpisode(make_episode(trace=_trace([1, 2, 3], [0, 1, 0])), (0.0, 0.6))
    with pytest.raises(ValueError, match="1 sampled spans"):
        collate([wrong_spans], pad_id=0)
    first_sampled = ScoredEpisode(make_episode((30, 40), trace=_trace([1, 2], [1, 0])), (0.4,))
    with pytest.raises(ValueError, match="first token"):
        collate([first_sampled], pad_id=0)


def test_select_trims_padding():
    long = _trace([1, 2, 3, 4, 5, 6], [0, 1, 0, 0, 1, 0])
    short = _trace([7, 8, 9], [0, 1, 0])
    batch, _ = collate(
        [
            ScoredEpisode(make_episode(trace=long), (0.0, 1.0)),
            ScoredEpisode(make_episode((30, 40), trace=short), (0.4,)),
        ],
        pad_id=0,
    )
    sub = batch.select(torch.tensor([1]))
    assert sub.input_ids.tolist() == [[7, 8, 9]]
    assert sub.loss_mask.tolist() == [[1, 0]]
    assert sub.episode_ids == ("e",)
