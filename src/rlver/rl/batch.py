"""Collate scored episodes into padded training tensors.

Alignment (the one place off-by-one errors hide): a causal LM's logits at position ``i`` predict the
token at ``i + 1``. Training tensors therefore have ``T - 1`` *action positions*: position ``i``
scores token ``i + 1``. With ``trace.mask`` the per-token mask (1 = sampled by the policy):

    input_ids[b, i]          token i                                   (B, T)
    loss_mask[b, i]          trace.mask[i + 1]                         (B, T - 1)
    sampled_logprobs[b, i]   trace.logprobs[i + 1]                     (B, T - 1)
    token_rewards[b, i]      reward of the policy turn whose last token is i + 1, else 0   (B, T - 1)

Token 0 is always a prompt token (nothing came before it to sample it from). Right padding.

Overlong dialogues (more than ``max_length`` tokens): ``overlong="truncate"`` keeps the first
``max_length`` tokens and moves the rewards of the cut turns onto the last kept policy token (the
outcome still credits the turns that are trained; nothing after the cut is trained);
``overlong="drop"`` leaves the episode out. Both are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Sequence

import torch
from torch import Tensor

from rlver.rollout.rewards import ScoredEpisode

__all__ = ["Overlong", "RolloutBatch", "CollateStats", "collate", "policy_segments"]

Overlong = Literal["truncate", "drop"]


@dataclass(frozen=True)
class RolloutBatch:
    """Padded tensors of one batch of episodes (see the module docstring for the alignment)."""

    input_ids: Tensor
    """(B, T) token ids, right-padded with the pad id."""
    attention_mask: Tensor
    """(B, T) 1 on real tokens, 0 on padding."""
    loss_mask: Tensor
    """(B, T - 1) float, 1 where position i scores a token the policy sampled (token i + 1)."""
    sampled_logprobs: Tensor
    """(B, T - 1) the log-probabilities recorded while sampling (diagnostics only)."""
    token_rewards: Tensor
    """(B, T - 1) each policy turn's reward at the position scoring its last token."""
    rewards: Tensor
    """(B,) each episode's undiscounted return (sum of its turn rewards)."""
    groups: Tensor
    """(B,) long: rollouts of one profile with one simulator seed share a group id (GRPO)."""
    episode_ids: tuple[str, ...] = field(default=())
    """Episode ids, in row order."""

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])

    @property
    def num_action_tokens(self) -> int:
        """Number of policy tokens the loss is averaged over."""
        return int(self.loss_mask.sum().item())

    @property
    def num_tokens(self) -> int:
        """Number of real (non-padding) tokens."""
        return int(self.attention_mask.sum().item())

    def select(self, rows: Sequence[int] | Tensor) -> "RolloutBatch":
        """The given rows, with trailing all-padding columns trimmed away."""
        index = torch.as_tensor(rows, dtype=torch.long)
        attention = self.attention_mask[index]
        length = max(int(attention.sum(dim=1).max().item()), 2) if len(index) else 2
        return RolloutBatch(
            input_ids=self.input_ids[index, :length],
            attention_mask=attention[:, :length],
            loss_mask=self.loss_mask[index, : length - 1],
            sampled_logprobs=self.sampled_logprobs[index, : length - 1],
            token_rewards=self.token_rewards[index, : length - 1],
            rewards=self.rewards[index],
            groups=self.groups[index],
            episode_ids=tuple(self.episode_ids[i] for i in index.tolist()),
        )

    def to(self, device: torch.device | str) -> "RolloutBatch":
        return replace(
            self,
            input_ids=self.input_ids.to(device),
            attention_mask=self.attention_mask.to(device),
            loss_mask=self.loss_mask.to(device),
            sampled_logprobs=self.sampled_logprobs.to(device),
            token_rewards=self.token_rewards.to(device),
            rewards=self.rewards.to(device),
            groups=self.groups.to(device),
        )


@dataclass(frozen=True)
class CollateStats:
    """What collation left out or changed."""

    truncated: int = 0
    """Episodes cut to ``max_length`` tokens."""
    dropped_overlong: int = 0
    """Episodes left out because they were too long (``overlong="drop"``, or nothing trainable left)."""


def policy_segments(mask: Sequence[int]) -> list[tuple[int, int]]:
    """``(start, end)`` token index ranges (end exclusive) of the contiguous runs of mask 1.

    >>> policy_segments([0, 1, 1, 0, 0, 1, 0])
    [(1, 3), (5, 6)]
    """
    segments: list[tuple[int, int]] = []
    start = None
    for i, m in enumerate(mask):
        if m and start is None:
            start = i
        elif not m and start is not None:
            segments.append((start, i))
            start = None
    if start is not None:
        segments.append((start, len(mask)))
    return segments


def _rows(item: ScoredEpisode, max_length: int | None, overlong: Overlong):
    """(ids, mask, logprobs, reward per token) of one episode, or None to drop; and whether it was cut."""
    episode = item.episode
    trace = episode.trace
    if trace is None:
        raise ValueError(
            f"episode {episode.id} has no token trace: training needs a token-exact policy "
            "(rlver.policy.hf.HFPolicy)"
        )
    if not (len(trace.ids) == len(trace.mask) == len(trace.logprobs)):
        raise ValueError(f"episode {episode.id}: trace ids, mask and logprobs differ in length")
    if trace.mask and trace.mask[0]:
        raise ValueError(f"episode {episode.id}: the first token is marked as sampled; it has no context")
    segments = policy_segments(trace.mask)
    if len(segments) != len(item.turn_rewards):
        raise ValueError(
            f"episode {episode.id}: {len(segments)} sampled spans in the trace but "
            f"{len(item.turn_rewards)} policy-turn rewards"
        )
    ids, mask, logprobs = list(trace.ids), list(trace.mask), list(trace.logprobs)
    token_reward = [0.0] * len(ids)
    for (_, end), reward in zip(segments, item.turn_rewards):
        token_reward[end - 1] += reward
    cut = max_length is not None and len(ids) > max_length
    if cut:
        if overlong == "drop":
            return None, True
        kept = [(s, min(e, max_length)) for s, e in segments if s < max_length]
        if not kept:
            return None, True
        moved = sum(token_reward[max_length:])
        ids, mask, logprobs, token_reward = (
            ids[:max_length],
            mask[:max_length],
            logprobs[:max_length],
            token_reward[:max_length],
        )
        token_reward[kept[-1][1] - 1] += moved
    return (ids, mask, logprobs, token_reward), cut


def collate(
    scored: Sequence[ScoredEpisode],
    *,
    pad_id: int,
    max_length: int | None = None,
    overlong: Overlong = "truncate",
) -> tuple[RolloutBatch | None, CollateStats]:
    """Pad the episodes' token traces into a :class:`RolloutBatch` (None if no episode is left)."""
    if max_length is not None and max_length < 2:
        raise ValueError("max_length must be >= 2")
    rows, kept_items = [], []
    truncated = dropped = 0
    for item in scored:
        row, cut = _rows(item, max_length, overlong)
        if row is None:
            dropped += 1
            continue
        truncated += int(cut)
        rows.append(row)
        kept_items.append(item)
    stats = CollateStats(truncated=truncated, dropped_overlong=dropped)
    if not rows:
        return None, stats
    length = max(2, max(len(r[0]) for r in rows))
    batch = len(rows)
    input_ids = torch.full((batch, length), pad_id, dtype=torch.long)
    attention = torch.zeros((batch, length), dtype=torch.long)
    token_mask = torch.zeros((batch, length), dtype=torch.float32)
    logprobs = torch.zeros((batch, length), dtype=torch.float32)
    token_reward = torch.zeros((batch, length), dtype=torch.float32)
    for b, (ids, mask, lps, rew) in enumerate(rows):
        n = len(ids)
        input_ids[b, :n] = torch.tensor(ids, dtype=torch.long)
        attention[b, :n] = 1
        token_mask[b, :n] = torch.tensor(mask, dtype=torch.float32)
        logprobs[b, :n] = torch.tensor(lps, dtype=torch.float32)
        token_reward[b, :n] = torch.tensor(rew, dtype=torch.float32)
    out = RolloutBatch(
        input_ids=input_ids,
        attention_mask=attention,
        loss_mask=token_mask[:, 1:],  # position i scores token i + 1
        sampled_logprobs=logprobs[:, 1:],
        token_rewards=token_reward[:, 1:],
        rewards=torch.tensor([item.total for item in kept_items], dtype=torch.float32),
        groups=torch.tensor([item.episode.group for item in kept_items], dtype=torch.long),
        episode_ids=tuple(item.episode.id for item in kept_items),
    )
    return out, stats
