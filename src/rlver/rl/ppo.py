"""PPO with a critic and GAE over the policy's tokens (Schulman et al. 2017; RLVER's main algorithm).

Per step:
    V_old, logp_old  = critic and policy on the batch (no gradients)
    A, R             = GAE(token rewards, V_old, policy-token mask, gamma, lambda)      (advantages.gae)
    A                = whiten(A) over the batch's policy tokens
then ``epochs`` passes of mini-batches minimising
    L = L_clip(logp, logp_old, A) - c_H * H + c_V * L_V(V, V_old, R) + beta * KL(pi || pi_ref)
with L_clip PPO's clipped surrogate (eq. 7), L_V the clipped value loss, H the entropy, all token
means over policy tokens. The policy and the critic step with their own AdamW (lr 1e-6 / 5e-6 in the
paper) and their own gradient clipping.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rlver.rl.advantages import gae, masked_mean, masked_whiten
from rlver.rl.algorithm import Algorithm, UpdateBatch, chunks, pad_to, warmup_schedule
from rlver.rl.batch import RolloutBatch
from rlver.rl.config import TrainConfig
from rlver.rl.forward import checkpointing_in_eval, enable_activation_checkpointing
from rlver.rl.losses import clipped_surrogate, clipped_value_loss, kl_penalty
from rlver.rl.value import Critic

__all__ = ["PPO"]


class PPO(Algorithm):
    """Proximal policy optimisation with a learned critic."""

    name = "ppo"

    def __init__(
        self, policy: nn.Module, critic: Critic, config: TrainConfig, reference: nn.Module | None = None
    ) -> None:
        super().__init__(policy, config, reference)
        self.critic = critic
        backbone = getattr(critic, "backbone", None)  # a separate critic's own decoder
        if config.optim.gradient_checkpointing and isinstance(backbone, nn.Module):
            enable_activation_checkpointing(backbone)
        self.critic_params = [p for p in critic.parameters() if p.requires_grad]
        optim = config.optim
        self.critic_optimizer = torch.optim.AdamW(
            self.critic_params, lr=optim.critic_lr, weight_decay=optim.weight_decay
        )
        self.critic_scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.critic_optimizer, warmup_schedule(optim.warmup_steps)
        )

    def optimizers(self):
        out = super().optimizers()
        out["critic"] = (self.critic_optimizer, self.critic_scheduler, self.critic_params)
        return out

    def train_modules(self) -> list[nn.Module]:
        return [self.policy, self.critic]

    @torch.no_grad()
    def prepare(self, batch: RolloutBatch) -> UpdateBatch:
        self.policy.eval()
        self.critic.eval()
        width = batch.loss_mask.shape[1]
        use_hidden = self.critic.needs_policy_hidden
        logps, values = [], []
        for rows in chunks(torch.arange(len(batch)), self.micro_batch_size(len(batch))):
            sub = batch.select(rows)
            out = self.policy_scores(self.policy, sub, with_hidden=use_hidden)
            logps.append(pad_to(out.logp, width))
            values.append(
                pad_to(self.critic.values(sub.input_ids, sub.attention_mask, out.hidden, self.dtype), width)
            )
        old_logp = torch.cat(logps)  # (B, T-1)
        old_values = torch.cat(values).float() * batch.loss_mask  # (B, T-1)
        settings = self.config.ppo
        advantages, returns = gae(
            batch.token_rewards, old_values, batch.loss_mask, settings.gamma, settings.lam
        )
        if settings.whiten_advantages:
            advantages = masked_whiten(advantages, batch.loss_mask)  # mean 0, std 1 over policy tokens
        return UpdateBatch(
            batch=batch,
            old_logp=old_logp,
            advantages=advantages,
            ref_logp=self.reference_logp(batch),
            old_values=old_values,
            returns=returns,
        )

    def loss(self, micro: UpdateBatch, denominator: float) -> tuple[Tensor, dict[str, Tensor]]:
        batch, mask = micro.batch, micro.batch.loss_mask
        loss_cfg, settings = self.config.loss, self.config.ppo
        use_hidden = self.critic.needs_policy_hidden
        out = self.policy_scores(self.policy, batch, with_hidden=use_hidden, for_loss=True)
        surrogate = clipped_surrogate(
            out.logp, micro.old_logp, micro.advantages, mask, loss_cfg.clip_eps, denominator=denominator
        )
        with checkpointing_in_eval(self.critic):  # a separate critic's decoder, when checkpointed
            values = self.critic.values(  # (B, T-1)
                batch.input_ids, batch.attention_mask, out.hidden, self.dtype
            )
        value_loss = clipped_value_loss(
            values, micro.old_values, micro.returns, mask, settings.value_clip_eps, denominator=denominator
        )
        total = surrogate.loss + settings.value_coef * value_loss.loss
        scale = denominator / mask.sum().clamp(min=1)  # diagnostics as this micro-batch's own token means
        stats = {
            "losses/policy": surrogate.loss.detach() * scale,
            "losses/value": value_loss.loss.detach() * scale,
            "losses/approx_kl": surrogate.approx_kl,
            "losses/clipfrac": surrogate.clipfrac,
            "losses/value_clipfrac": value_loss.clipfrac,
        }
        if out.entropy is not None:  # computed only when weighted or logged
            entropy = masked_mean(out.entropy, mask, denominator=denominator)
            total = total - loss_cfg.entropy_coef * entropy  # - c_H * H (eq. in the module docstring)
            stats["losses/entropy"] = entropy.detach() * scale
        if micro.ref_logp is not None:
            kl = masked_mean(
                kl_penalty(out.logp, micro.ref_logp, loss_cfg.kl_kind), mask, denominator=denominator
            )
            total = total + loss_cfg.kl_coef * kl
            stats["losses/kl_ref"] = kl.detach() * scale
        return total, stats
