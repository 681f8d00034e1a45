"""Losses of PPO and GRPO as pure functions of per-token tensors.

Every loss is a token mean over the policy's tokens (``mask`` 1): sum(l_t * m_t) / sum(m_t), or
divided by ``denominator`` when a mini-batch is processed in micro-batches (gradient accumulation),
so that the accumulated gradient equals the whole mini-batch's. Shapes: ``B`` episodes, ``T`` action
positions, ``V`` vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

from rlver.rl.advantages import masked_mean

__all__ = [
    "SurrogateOutput",
    "ValueLossOutput",
    "KLKind",
    "clipped_surrogate",
    "clipped_value_loss",
    "kl_penalty",
    "entropy_from_logits",
    "logprobs_from_logits",
]

KLKind = Literal["k1", "k3"]


@dataclass(frozen=True)
class SurrogateOutput:
    """The clipped policy loss and its diagnostics (diagnostics are detached)."""

    loss: Tensor
    """Scalar to minimise."""
    clipfrac: Tensor
    """Fraction of policy tokens whose ratio left [1 - eps, 1 + eps]."""
    approx_kl: Tensor
    """Estimate of KL(old || new) over the policy tokens (Schulman's k3)."""


@dataclass(frozen=True)
class ValueLossOutput:
    """The clipped value loss and its diagnostic."""

    loss: Tensor
    """Scalar to minimise."""
    clipfrac: Tensor
    """Fraction of policy tokens where the clipped value error was the larger one."""


def clipped_surrogate(
    logp: Tensor,
    old_logp: Tensor,
    advantages: Tensor,
    mask: Tensor,
    clip_eps: float = 0.2,
    *,
    denominator: float | None = None,
) -> SurrogateOutput:
    """PPO's clipped surrogate objective, negated to be a loss (Schulman et al. 2017, eq. 7).

    ``logp``, ``old_logp``, ``advantages``, ``mask``: (B, T).
        ratio_t = exp(logp_t - old_logp_t)
        L = mean_m[ max(-A_t * ratio_t, -A_t * clip(ratio_t, 1 - eps, 1 + eps)) ]     (eq. 7)
    """
    log_ratio = logp - old_logp  # (B, T)
    ratio = torch.exp(log_ratio)  # (B, T)
    pg_loss1 = -advantages * ratio  # (B, T)
    pg_loss2 = -advantages * torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps)  # (B, T)
    loss = masked_mean(torch.maximum(pg_loss1, pg_loss2), mask, denominator=denominator)  # eq. 7
    with torch.no_grad():
        clipfrac = masked_mean(((ratio - 1.0).abs() > clip_eps).float(), mask)
        approx_kl = masked_mean((ratio - 1.0) - log_ratio, mask)  # k3 = (r - 1) - log r, >= 0
    return SurrogateOutput(loss=loss, clipfrac=clipfrac, approx_kl=approx_kl)


def clipped_value_loss(
    values: Tensor,
    old_values: Tensor,
    returns: Tensor,
    mask: Tensor,
    clip_eps: float = 0.2,
    *,
    denominator: float | None = None,
) -> ValueLossOutput:
    """PPO's clipped value loss (as in OpenAI baselines / CleanRL; verl's ``compute_value_loss``).

    ``values``, ``old_values``, ``returns``, ``mask``: (B, T).
        V_clip = V_old + clip(V - V_old, -eps, eps)
        L_V = 1/2 * mean_m[ max((V - R)^2, (V_clip - R)^2) ]
    """
    values_clipped = old_values + torch.clamp(values - old_values, -clip_eps, clip_eps)  # (B, T)
    loss_unclipped = (values - returns) ** 2  # (B, T)
    loss_clipped = (values_clipped - returns) ** 2  # (B, T)
    loss = 0.5 * masked_mean(torch.maximum(loss_unclipped, loss_clipped), mask, denominator=denominator)
    with torch.no_grad():
        clipfrac = masked_mean((loss_clipped > loss_unclipped).float(), mask)
    return ValueLossOutput(loss=loss, clipfrac=clipfrac)


def kl_penalty(logp: Tensor, ref_logp: Tensor, kind: KLKind = "k3") -> Tensor:
    """Per-token estimate of KL(pi || pi_ref) from log-probs of the sampled tokens, (B, T) -> (B, T).

    k1 = log pi - log pi_ref                                   (unbiased, can be negative)
    k3 = exp(log pi_ref - log pi) - (log pi_ref - log pi) - 1  (unbiased, always >= 0; Schulman 2020,
                                                                "Approximating KL divergence"; GRPO eq. 4)
    """
    if kind == "k1":
        return logp - ref_logp
    if kind == "k3":
        log_ratio = ref_logp - logp  # (B, T)
        return torch.exp(log_ratio) - log_ratio - 1.0
    raise ValueError(f"unknown KL estimator {kind!r}; use 'k1' or 'k3'")


def entropy_from_logits(logits: Tensor) -> Tensor:
    """Entropy of the softmax distribution at each position, (B, T, V) -> (B, T).

    H = -sum_v p_v log p_v = logsumexp(z) - sum_v p_v z_v      (p = softmax(z))
    """
    logits = logits.float()
    probs = torch.softmax(logits, dim=-1)  # (B, T, V)
    return torch.logsumexp(logits, dim=-1) - (probs * logits).sum(dim=-1)


def logprobs_from_logits(logits: Tensor, labels: Tensor) -> Tensor:
    """Log-probability of ``labels`` under ``logits``: (B, T, V), (B, T) -> (B, T).

    log p(y) = z_y - logsumexp(z); computed without materialising the full log-softmax.
    """
    logits = logits.float()
    picked = torch.gather(logits, dim=-1, index=labels.unsqueeze(-1)).squeeze(-1)  # (B, T)
    return picked - torch.logsumexp(logits, dim=-1)
