"""One forward pass of the policy over padded dialogues: per-token log-probs, entropy, hidden states.

Log-probs are taken at the sampling temperature (logits / tau), so that the ratio and the KL compare
the distribution the tokens were actually sampled from.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator

import torch
from torch import Tensor, nn

from rlver.rl.losses import entropy_from_logits, logprobs_from_logits

__all__ = ["ForwardOutput", "policy_forward", "autocast_dtype", "autocast"]


@dataclass(frozen=True)
class ForwardOutput:
    """What one forward pass of the policy yields, aligned with :class:`rlver.rl.batch.RolloutBatch`."""

    logp: Tensor
    """(B, T - 1) log-probability of token i + 1 at position i."""
    entropy: Tensor | None
    """(B, T - 1) entropy of the next-token distribution at position i (None if not requested)."""
    hidden: Tensor | None
    """(B, T, H) last-layer hidden states (None if not requested)."""


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """bf16 for ``bf16``; for ``auto`` bf16 only on a CUDA device that supports it; else None (fp32)."""
    if precision == "bf16":
        return torch.bfloat16
    if precision == "auto" and device.type == "cuda" and torch.cuda.is_bf16_supported():
        return torch.bfloat16
    return None


@contextlib.contextmanager
def autocast(device: torch.device, dtype: torch.dtype | None) -> Iterator[None]:
    """Mixed-precision autocast on ``device`` when ``dtype`` is set; a no-op otherwise."""
    if dtype is None:
        yield
        return
    with torch.autocast(device_type=device.type, dtype=dtype):
        yield


def policy_forward(
    model: nn.Module,
    input_ids: Tensor,
    attention_mask: Tensor,
    *,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = True,
    with_hidden: bool = False,
    dtype: torch.dtype | None = None,
) -> ForwardOutput:
    """Run ``model`` (a causal LM) on right-padded ``input_ids`` (B, T) and score every next token.

    ``entropy_grad=False`` computes the entropy as a detached diagnostic (no backward through it).
    """
    with autocast(input_ids.device, dtype):
        out = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=with_hidden,
            use_cache=False,
        )
    logits = out.logits[:, :-1].float()  # (B, T-1, V): position i predicts token i + 1
    if temperature != 1.0:
        logits = logits / temperature
    logp = logprobs_from_logits(logits, input_ids[:, 1:])  # (B, T-1)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = entropy_from_logits(logits)  # (B, T-1)
    hidden = out.hidden_states[-1] if with_hidden else None  # (B, T, H)
    return ForwardOutput(logp=logp, entropy=entropy, hidden=hidden)
