"""What PPO and GRPO share: optimizers, the prepared batch, the epochs / mini-batches / micro-batches loop.

An algorithm is two steps. ``prepare`` (no gradients) scores the batch with the current weights:
old log-probs, reference log-probs, values, advantages. ``loss`` computes the objective on a
micro-batch. :meth:`Algorithm.update` runs ``epochs`` passes of shuffled mini-batches, accumulating
the gradients of ``grad_accumulation`` micro-batches per optimizer step; each micro-batch's loss is
divided by its *mini-batch's* token count, so accumulation gives exactly the mini-batch token mean.

Why old log-probs are recomputed rather than taken from sampling: the sampler's numbers come from a
different code path (KV cache, left padding, batch composition, possibly another dtype or engine),
so they differ from the training forward by numerical noise. Using them would make the ratio differ
from 1 before any update and bias the clipping. Recomputing with the exact forward used for the loss
makes the first mini-batch's ratio exactly 1; the difference to the sampled log-probs is logged as
``rollout/logprob_mismatch`` (a check that the traces are token-exact). Where that mismatch is
~1e-6 (the native HF path in fp32), GRPO can skip the pass and use the sampler's numbers
(``grpo.old_logp: rollout``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields, replace
from typing import Any, Iterator

import torch
from torch import Tensor, nn

from rlver.rl.batch import RolloutBatch
from rlver.rl.config import TrainConfig
from rlver.rl.forward import ForwardOutput, autocast_dtype, enable_activation_checkpointing, policy_forward

__all__ = ["UpdateBatch", "Algorithm", "pad_to", "chunks", "warmup_schedule"]


@dataclass(frozen=True)
class UpdateBatch:
    """A rollout batch plus the per-token tensors computed by ``prepare`` (all (B, T - 1))."""

    batch: RolloutBatch
    old_logp: Tensor
    """Log-probs of the sampled tokens under the weights before this update."""
    advantages: Tensor
    """Per-token advantages (0 on non-policy positions)."""
    ref_logp: Tensor | None = None
    """Log-probs under the frozen reference policy (only with a KL penalty)."""
    old_values: Tensor | None = None
    """Critic values before the update (PPO)."""
    returns: Tensor | None = None
    """Value targets (PPO)."""

    def __len__(self) -> int:
        return len(self.batch)

    def select(self, rows: Tensor) -> "UpdateBatch":
        sub = self.batch.select(rows)
        width = sub.loss_mask.shape[1]
        changes: dict[str, Any] = {"batch": sub}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "batch" and isinstance(value, Tensor):
                changes[f.name] = value[rows, :width]
        return replace(self, **changes)


def pad_to(tensor: Tensor, width: int) -> Tensor:
    """Right-pad (B, t) with zeros to (B, width)."""
    return torch.nn.functional.pad(tensor, (0, width - tensor.shape[1]))


def chunks(rows: Tensor, size: int) -> Iterator[Tensor]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def warmup_schedule(steps: int):
    """LambdaLR factor: linear warm-up over ``steps`` optimizer steps, then 1."""
    return lambda step: min(1.0, (step + 1) / steps) if steps > 0 else 1.0


class Algorithm(ABC):
    """Owns the policy's optimizer (and, in subclasses, the critic's); runs updates."""

    name: str = "algorithm"

    def __init__(self, policy: nn.Module, config: TrainConfig, reference: nn.Module | None = None) -> None:
        self.policy = policy
        self.config = config
        self.reference = reference
        self.device = next(policy.parameters()).device
        self.dtype = autocast_dtype(config.optim.precision, self.device)
        if config.optim.gradient_checkpointing:
            enable_activation_checkpointing(policy)
        self.actor_params = [p for p in policy.parameters() if p.requires_grad]
        if not self.actor_params:
            raise ValueError("the policy has no trainable parameters")
        optim = config.optim
        self.actor_optimizer = torch.optim.AdamW(
            self.actor_params, lr=optim.actor_lr, weight_decay=optim.weight_decay
        )
        self.actor_scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.actor_optimizer, warmup_schedule(optim.warmup_steps)
        )

    # ----------------------------------------------------------------- hooks for PPO / GRPO
    @abstractmethod
    def prepare(self, batch: RolloutBatch) -> UpdateBatch:
        """Score ``batch`` with the current weights (no gradients)."""

    @abstractmethod
    def loss(self, micro: UpdateBatch, denominator: float) -> tuple[Tensor, dict[str, Tensor]]:
        """Total loss of a micro-batch (token sums / ``denominator``) and detached diagnostics (means)."""

    def optimizers(self) -> dict[str, tuple[torch.optim.Optimizer, Any, list[nn.Parameter]]]:
        """name -> (optimizer, scheduler, parameters it clips)."""
        return {"actor": (self.actor_optimizer, self.actor_scheduler, self.actor_params)}

    def train_modules(self) -> list[nn.Module]:
        return [self.policy]

    # ----------------------------------------------------------------- shared machinery
    def minibatch_size(self, n: int) -> int:
        """Dialogues per optimizer step for a batch of ``n`` dialogues."""
        return min(self.config.optim.minibatch_size or n, n)

    def micro_batch_size(self, n: int) -> int:
        """Dialogues per forward pass: a mini-batch split into ``grad_accumulation`` parts."""
        return max(1, math.ceil(self.minibatch_size(n) / self.config.optim.grad_accumulation))

    def policy_scores(
        self, model: nn.Module, batch: RolloutBatch, *, with_hidden: bool = False, for_loss: bool = False
    ) -> ForwardOutput:
        """Log-probs (B, T-1) of ``model`` on ``batch``'s policy tokens (0 elsewhere).

        ``for_loss`` adds the entropy when the loss weighs it or the config logs it (detached when its
        weight is 0); scoring passes (old and reference log-probs) never compute it.
        """
        loss_cfg = self.config.loss
        return policy_forward(
            model,
            batch.input_ids,
            batch.attention_mask,
            loss_mask=batch.loss_mask,
            temperature=self.config.rollout.temperature,
            with_entropy=for_loss and (loss_cfg.entropy_coef > 0 or loss_cfg.log_entropy),
            entropy_grad=loss_cfg.entropy_coef > 0,
            with_hidden=with_hidden,
            dtype=self.dtype,
            chunk_size=self.config.optim.logprob_chunk_size,
        )

    @torch.no_grad()
    def score_logp(self, model: nn.Module, batch: RolloutBatch) -> Tensor:
        """Log-probs (B, T-1) of ``model`` on ``batch``'s policy tokens (0 elsewhere), in micro-batches."""
        width = batch.loss_mask.shape[1]
        logps = []
        for rows in chunks(torch.arange(len(batch)), self.micro_batch_size(len(batch))):
            logps.append(pad_to(self.policy_scores(model, batch.select(rows)).logp, width))
        return torch.cat(logps)

    @torch.no_grad()
    def reference_logp(self, batch: RolloutBatch) -> Tensor | None:
        """Log-probs under the frozen initial policy; None without a KL penalty.

        With LoRA the reference is the same model with its adapters switched off (no second copy).
        """
        if self.config.loss.kl_coef == 0:
            return None
        if self.reference is not None:
            return self.score_logp(self.reference, batch)
        disable = getattr(self.policy, "disable_adapter", None)
        if disable is None:
            raise ValueError("a KL penalty needs a reference model (or a LoRA policy)")
        with disable():
            return self.score_logp(self.policy, batch)

    def update(self, prepared: UpdateBatch, generator: torch.Generator) -> dict[str, float]:
        """``epochs`` x shuffled mini-batches x ``grad_accumulation`` micro-batches. Returns diagnostics."""
        optim = self.config.optim
        n = len(prepared)
        minibatch, micro_size = self.minibatch_size(n), self.micro_batch_size(n)
        sums: dict[str, float] = {}
        weight_total = 0.0
        for module in self.train_modules():
            module.eval()  # dropout off: with dropout the ratio is not 1 even on unchanged weights
        for _ in range(optim.epochs):
            order = torch.randperm(n, generator=generator)
            for rows in chunks(order, minibatch):
                denominator = float(prepared.batch.loss_mask[rows].sum().item())
                if denominator == 0:
                    continue
                for optimizer, _, _ in self.optimizers().values():
                    optimizer.zero_grad(set_to_none=True)
                for micro_rows in chunks(rows, micro_size):
                    micro = prepared.select(micro_rows)
                    loss, stats = self.loss(micro, denominator)
                    if not torch.isfinite(loss):  # stop before AdamW spreads NaN into every weight
                        raise FloatingPointError(
                            f"{self.name}: non-finite loss ({loss.item()}); lower the "
                            "learning rates or check the rewards"
                        )
                    loss.backward()
                    weight = float(micro.batch.loss_mask.sum().item())
                    weight_total += weight
                    for key, value in stats.items():
                        sums[key] = sums.get(key, 0.0) + float(value) * weight
                for key, (optimizer, scheduler, params) in self.optimizers().items():
                    if optim.max_grad_norm > 0:
                        norm = torch.nn.utils.clip_grad_norm_(params, optim.max_grad_norm)
                        sums[f"grad/{key}_norm"] = (
                            sums.get(f"grad/{key}_norm", 0.0) + float(norm) * denominator
                        )
                    optimizer.step()
                    scheduler.step()
        out = {key: value / weight_total for key, value in sums.items()} if weight_total else {}
        out["optim/actor_lr"] = self.actor_scheduler.get_last_lr()[0]
        return out

    def state_dict(self) -> dict[str, Any]:
        state: dict[str, Any] = {}
        for key, (optimizer, scheduler, _) in self.optimizers().items():
            state[f"{key}_optimizer"] = optimizer.state_dict()
            state[f"{key}_scheduler"] = scheduler.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key, (optimizer, scheduler, _) in self.optimizers().items():
            optimizer.load_state_dict(state[f"{key}_optimizer"])
            scheduler.load_state_dict(state[f"{key}_scheduler"])
