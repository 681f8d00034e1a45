"""Advantage estimation: masked statistics, GAE over the policy's tokens, GRPO group normalisation.

Pure tensor functions, no model and no state. Shapes: ``B`` episodes, ``T`` action positions (one per
scored token; see :mod:`rlver.rl.batch` for how positions line up with tokens).

Multi-turn dialogues interleave the policy's tokens (mask 1) with the simulated user's and the chat
template's tokens (mask 0). The policy never chose the latter, so they are not actions: GAE treats
the policy's tokens as one chain of decisions and jumps over the rest, exactly as if the user's turn
were part of the environment's transition between two policy tokens.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = [
    "masked_sum",
    "masked_mean",
    "masked_var",
    "masked_whiten",
    "gae",
    "group_advantages",
    "turn_index",
    "turn_group_advantages",
]


def masked_sum(values: Tensor, mask: Tensor, dim: int | None = None) -> Tensor:
    """Sum of ``values`` where ``mask`` is 1. Masked-out entries contribute exactly 0 (even if NaN)."""
    selected = torch.where(mask.bool(), values, torch.zeros_like(values))  # NaN-safe, unlike values * mask
    return selected.sum() if dim is None else selected.sum(dim=dim)


def masked_mean(
    values: Tensor, mask: Tensor, dim: int | None = None, *, denominator: float | None = None
) -> Tensor:
    """Mean of ``values`` over entries where ``mask`` is 1: sum(x * m) / sum(m).

    ``denominator`` replaces sum(m), so that micro-batches of one mini-batch can each divide by the
    mini-batch's token count and their gradients add up to the mini-batch's exact token mean.
    An all-zero mask gives 0 rather than NaN (nothing to average, nothing to learn).
    """
    total = masked_sum(values, mask, dim)
    count = mask.sum() if dim is None else mask.sum(dim=dim)
    if denominator is not None:
        return total / denominator
    return total / count.clamp(min=1)


def masked_var(values: Tensor, mask: Tensor, *, unbiased: bool = True) -> Tensor:
    """Variance over masked entries: sum(m * (x - mean)^2) / (n - 1)  (Bessel-corrected if ``unbiased``)."""
    mean = masked_mean(values, mask)
    sq_dev = masked_sum((values - mean) ** 2, mask)
    count = mask.sum()
    if unbiased:
        if count < 2:
            return torch.zeros((), dtype=values.dtype, device=values.device)
        return sq_dev / (count - 1)
    return sq_dev / count.clamp(min=1)


def masked_whiten(values: Tensor, mask: Tensor, *, shift_mean: bool = True, eps: float = 1e-8) -> Tensor:
    """Normalise masked entries to mean 0, std 1; masked-out entries become exactly 0.

    x' = (x - mean_m(x)) / sqrt(var_m(x) + eps)   (statistics over the masked entries only)
    """
    mean = masked_mean(values, mask)
    var = masked_var(values, mask)
    whitened = (values - mean) * torch.rsqrt(var + eps)  # (B, T)
    if not shift_mean:
        whitened = whitened + mean
    return torch.where(mask.bool(), whitened, torch.zeros_like(whitened))


@torch.no_grad()
def gae(
    rewards: Tensor, values: Tensor, mask: Tensor, gamma: float = 1.0, lam: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Generalised advantage estimation over the policy's tokens only.

    ``rewards``, ``values``, ``mask``: (B, T). Position t is an action iff ``mask[b, t] == 1``.
    Returns ``(advantages, returns)``, both (B, T) and exactly 0 where ``mask`` is 0.

    For consecutive policy tokens t < t' (t' = the next position with mask 1, any mask-0 positions
    between them skipped; after the last policy token V(t') = 0, the dialogue is over):
        delta_t = r_t + gamma * V(t') - V(t)                  (Schulman et al. 2016, eq. 11)
        A_t     = delta_t + gamma * lam * A_{t'}               (eq. 16, written recursively)
        R_t     = A_t + V(t)                                   (the value target)
    Rewards at mask-0 positions are ignored: put each reward on a policy token (RLVER: the last one).
    """
    if rewards.shape != values.shape or rewards.shape != mask.shape:
        raise ValueError(
            f"shape mismatch: rewards {tuple(rewards.shape)}, values {tuple(values.shape)}, "
            f"mask {tuple(mask.shape)}"
        )
    batch, length = rewards.shape
    rewards, values, is_action = rewards.float(), values.float(), mask.bool()
    advantages = torch.zeros_like(values)  # (B, T)
    next_value = torch.zeros(batch, dtype=values.dtype, device=values.device)  # V(t') per row, (B,)
    next_advantage = torch.zeros_like(next_value)  # A_{t'} per row, (B,)
    for t in reversed(range(length)):
        act = is_action[:, t]  # (B,)
        delta = rewards[:, t] + gamma * next_value - values[:, t]  # eq. 11
        advantage = delta + gamma * lam * next_advantage  # eq. 16
        # Non-action positions carry the chain through unchanged: the jump to the previous policy token.
        next_advantage = torch.where(act, advantage, next_advantage)
        next_value = torch.where(act, values[:, t], next_value)
        advantages[:, t] = torch.where(act, advantage, torch.zeros_like(advantage))
    returns = torch.where(is_action, advantages + values, torch.zeros_like(values))
    return advantages, returns


@torch.no_grad()
def group_advantages(
    rewards: Tensor, groups: Tensor, *, normalize_std: bool = True, eps: float = 1e-6
) -> Tensor:
    """GRPO's outcome advantage: each reward relative to the other rollouts of its group.

    ``rewards``: (N,) one scalar per episode; ``groups``: (N,) integer group ids. Returns (N,):
        A_i = (r_i - mean_{g(i)}) / (std_{g(i)} + eps)      (Shao et al. 2024, DeepSeekMath, sec. 4.1.2)
    with std Bessel-corrected (as TRL and verl compute it); ``normalize_std=False`` gives r_i - mean
    (Dr. GRPO). A group of one has nothing to be compared with, so its advantage is 0.
    """
    if rewards.ndim != 1 or rewards.shape != groups.shape:
        raise ValueError(
            f"rewards and groups must be (N,) tensors; got {tuple(rewards.shape)} and {tuple(groups.shape)}"
        )
    rewards = rewards.float()
    _, inverse = torch.unique(groups, return_inverse=True)  # (N,) dense group index
    n_groups = int(inverse.max()) + 1 if inverse.numel() else 0
    count = torch.zeros(n_groups, dtype=rewards.dtype, device=rewards.device).index_add_(
        0, inverse, torch.ones_like(rewards)
    )  # (G,)
    mean = torch.zeros_like(count).index_add_(0, inverse, rewards) / count  # (G,)
    sq_dev = torch.zeros_like(count).index_add_(0, inverse, (rewards - mean[inverse]) ** 2)  # (G,)
    std = torch.sqrt(sq_dev / (count - 1).clamp(min=1))  # (G,) Bessel-corrected
    centred = rewards - mean[inverse]  # (N,)
    advantages = centred / (std[inverse] + eps) if normalize_std else centred
    return torch.where(count[inverse] > 1, advantages, torch.zeros_like(advantages))


def turn_index(mask: Tensor) -> Tensor:
    """Which policy turn each position belongs to: (B, T) long, -1 where ``mask`` is 0.

    A turn is a contiguous run of mask-1 positions; turns are numbered 0, 1, ... per row.
    """
    is_action = mask.bool()
    before = torch.nn.functional.pad(is_action[:, :-1], (1, 0), value=False)  # (B, T) previous position
    starts = (is_action & ~before).long()  # (B, T) 1 where a run of policy tokens begins
    index = torch.cumsum(starts, dim=1) - 1  # (B, T)
    return torch.where(is_action, index, torch.full_like(index, -1))


@torch.no_grad()
def turn_group_advantages(
    token_rewards: Tensor,
    mask: Tensor,
    groups: Tensor,
    *,
    gamma: float = 1.0,
    normalize_std: bool = True,
    eps: float = 1e-6,
) -> Tensor:
    """Turn-level group-relative advantages for multi-turn dialogues: (B, T), 0 where ``mask`` is 0.

    ``token_rewards``, ``mask``: (B, T), each turn's reward on one of its policy tokens (the last);
    ``groups``: (B,). With r_{i,k} the reward of dialogue i's k-th policy turn:
        G_{i,k} = r_{i,k} + gamma * G_{i,k+1}                  (return-to-go over the dialogue's turns)
        A_{i,k} = (G_{i,k} - mean_{j in g(i)} G_{j,k}) / (std_{j in g(i)} G_{j,k} + eps)
    where the group statistics run over the group's dialogues that reached turn k, and A_{i,k} is
    broadcast to every token of turn k. This is GRPO's baseline applied per turn (cf. the turn-level
    credit assignment of Zeng et al. 2025, MT-GRPO): a reply is judged by what followed it, not by
    what the earlier replies had already won or lost. With gamma = 1 and a reward only on the last
    turn every turn of a dialogue gets the same return, as in :func:`group_advantages`, but the
    baseline of turn k only counts dialogues that lasted k + 1 turns.
    """
    if token_rewards.shape != mask.shape or groups.shape != token_rewards.shape[:1]:
        raise ValueError(
            f"shape mismatch: token_rewards {tuple(token_rewards.shape)}, mask {tuple(mask.shape)}, "
            f"groups {tuple(groups.shape)}"
        )
    batch = token_rewards.shape[0]
    turns = turn_index(mask)  # (B, T)
    n_turns = int(turns.max()) + 1 if turns.numel() else 0
    if n_turns <= 0:
        return torch.zeros_like(token_rewards, dtype=torch.float32)
    slot = turns.clamp(min=0)  # (B, T)
    rewards = torch.where(turns >= 0, token_rewards.float(), torch.zeros_like(token_rewards, dtype=torch.float32))
    per_turn = torch.zeros(batch, n_turns, dtype=torch.float32, device=rewards.device).scatter_add_(
        1, slot, rewards
    )  # (B, K) r_{i,k}
    lengths = turns.max(dim=1).values + 1  # (B,) turns per dialogue
    present = torch.arange(n_turns, device=rewards.device)[None, :] < lengths[:, None]  # (B, K)
    to_go = torch.zeros_like(per_turn)  # (B, K) G_{i,k}
    running = torch.zeros(batch, dtype=torch.float32, device=rewards.device)
    for k in reversed(range(n_turns)):
        running = per_turn[:, k] + gamma * running
        to_go[:, k] = torch.where(present[:, k], running, torch.zeros_like(running))
    _, dense = torch.unique(groups, return_inverse=True)  # (B,)
    keys = dense[:, None] * n_turns + torch.arange(n_turns, device=rewards.device)[None, :]  # (B, K)
    flat = group_advantages(
        to_go[present], keys[present], normalize_std=normalize_std, eps=eps
    )  # (M,) one per (dialogue, turn) that exists
    per_turn_adv = torch.zeros_like(to_go)
    per_turn_adv[present] = flat
    advantages = torch.gather(per_turn_adv, 1, slot)  # (B, T)
    return torch.where(turns >= 0, advantages, torch.zeros_like(advantages))
