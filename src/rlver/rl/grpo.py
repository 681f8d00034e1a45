"""GRPO: group-relative outcome advantages, no critic (Shao et al. 2024, DeepSeekMath).

Each profile is played ``group_size`` times with the same simulator seed; only the policy's samples
differ. Each dialogue's return is compared with its group's:
    A_i = (R_i - mean(R_group)) / (std(R_group) + eps)                      (advantages.group_advantages)
and broadcast to every token the policy sampled in that dialogue. With ``grpo.credit: turn`` each
policy turn is compared instead with the same turn of its group, on its return-to-go
(advantages.turn_group_advantages), which suits a per-turn reward such as ``emotion_delta``.
The loss is PPO's clipped surrogate with that advantage, minus the entropy bonus, plus the optional
KL penalty (GRPO eq. 3):
    L = L_clip(logp, logp_old, A) - c_H * H + beta * KL_k3(pi || pi_ref)
aggregated as a token mean over the batch's policy tokens (as verl's ``token-mean``; the original
per-sequence mean would weight short dialogues' tokens more).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rlver.rl.advantages import group_advantages, masked_mean, turn_group_advantages
from rlver.rl.algorithm import Algorithm, UpdateBatch
from rlver.rl.batch import RolloutBatch
from rlver.rl.config import TrainConfig
from rlver.rl.losses import clipped_surrogate, kl_penalty

__all__ = ["GRPO"]


class GRPO(Algorithm):
    """Group relative policy optimisation."""

    name = "grpo"

    def __init__(self, policy: nn.Module, config: TrainConfig, reference: nn.Module | None = None) -> None:
        super().__init__(policy, config, reference)

    @torch.no_grad()
    def prepare(self, batch: RolloutBatch) -> UpdateBatch:
        self.policy.eval()
        settings = self.config.grpo
        if settings.credit == "turn":
            advantages = turn_group_advantages(
                batch.token_rewards,
                batch.loss_mask,
                batch.groups,
                gamma=settings.gamma,
                normalize_std=settings.normalize_std,
                eps=settings.eps,
            )  # (B, T-1): each turn's group-relative return-to-go on its tokens
        else:
            per_episode = group_advantages(
                batch.rewards, batch.groups, normalize_std=settings.normalize_std, eps=settings.eps
            )  # (B,)
            advantages = per_episode[:, None] * batch.loss_mask  # (B, T-1): broadcast to the policy's tokens
        return UpdateBatch(
            batch=batch,
            old_logp=(
                batch.sampled_logprobs if settings.old_logp == "rollout" else self.score_logp(self.policy, batch)
            ),
            advantages=advantages,
            ref_logp=self.reference_logp(batch),
        )

    def loss(self, micro: UpdateBatch, denominator: float) -> tuple[Tensor, dict[str, Tensor]]:
        batch, mask = micro.batch, micro.batch.loss_mask
        loss_cfg = self.config.loss
        out = self.policy_scores(self.policy, batch, for_loss=True)  # (B, T-1) on the policy's tokens
        surrogate = clipped_surrogate(
            out.logp, micro.old_logp, micro.advantages, mask, loss_cfg.clip_eps, denominator=denominator
        )
        total = surrogate.loss
        scale = denominator / mask.sum().clamp(min=1)  # diagnostics as this micro-batch's own token means
        stats = {
            "losses/policy": surrogate.loss.detach() * scale,
            "losses/approx_kl": surrogate.approx_kl,
            "losses/clipfrac": surrogate.clipfrac,
        }
        if out.entropy is not None:  # computed only when weighted or logged
            entropy = masked_mean(out.entropy, mask, denominator=denominator)
            total = total - loss_cfg.entropy_coef * entropy  # - c_H * H (eq. above)
            stats["losses/entropy"] = entropy.detach() * scale
        if micro.ref_logp is not None:
            kl = masked_mean(
                kl_penalty(out.logp, micro.ref_logp, loss_cfg.kl_kind), mask, denominator=denominator
            )
            total = total + loss_cfg.kl_coef * kl
            stats["losses/kl_ref"] = kl.detach() * scale
        return total, stats
