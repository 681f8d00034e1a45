"""PPO's critic: a value per position, either a head on the policy's hidden states or its own model.

Values line up with the action positions of :mod:`rlver.rl.batch`: ``values[b, i]`` estimates the
return from the state "tokens 0..i seen", i.e. just before the policy emits token ``i + 1``.

* ``value_head``: a linear layer on the policy's last hidden states. Cheap (no second model); the
  value loss also shapes the policy's trunk.
* ``separate``: a copy of the policy's decoder (its initial weights) plus a linear head, trained by
  its own optimizer: the paper's (and verl's) setup, twice the memory, no interference.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor, nn

from rlver.rl.forward import autocast

__all__ = ["ValueHead", "Critic", "ValueHeadCritic", "SeparateCritic", "build_critic", "decoder_of"]


class ValueHead(nn.Module):
    """hidden (B, T, H) -> value (B, T)."""

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.proj = nn.Linear(hidden_size, 1)
        # Values start near 0 (|V| ~ 0.01 for unit-scale hidden states): random values of order 1 would
        # drown the advantages in noise until the critic catches up. Not exactly 0: a zero head would
        # pass no gradient to a separate critic's trunk on the first update.
        nn.init.normal_(self.proj.weight, std=0.01 / hidden_size**0.5)
        nn.init.zeros_(self.proj.bias)

    def forward(self, hidden: Tensor) -> Tensor:
        return self.proj(hidden.float()).squeeze(-1)  # (B, T)


class Critic(nn.Module, ABC):
    """Values at the action positions: (B, T) tokens -> (B, T - 1).

    Abstract: PPO only calls :meth:`values`, so a critic that forgot it fails when built, not on the
    first update.
    """

    needs_policy_hidden: bool = False
    """True if :meth:`values` needs the policy's last hidden states (no forward pass of its own)."""

    @abstractmethod
    def values(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        policy_hidden: Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> Tensor:
        """Values (B, T - 1) of ``input_ids`` (B, T); ``policy_hidden`` (B, T, H) if :attr:`needs_policy_hidden`."""


class ValueHeadCritic(Critic):
    """A linear head on the policy's last hidden states."""

    needs_policy_hidden = True

    def __init__(self, hidden_size: int) -> None:
        super().__init__()
        self.head = ValueHead(hidden_size)

    def values(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        policy_hidden: Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> Tensor:
        if policy_hidden is None:
            raise ValueError("the value-head critic needs the policy's hidden states")
        return self.head(policy_hidden[:, :-1])  # (B, T-1)


class SeparateCritic(Critic):
    """A decoder (initialised from the policy's) plus a linear head."""

    def __init__(self, backbone: nn.Module, hidden_size: int) -> None:
        super().__init__()
        self.backbone = backbone
        self.head = ValueHead(hidden_size)

    def values(
        self,
        input_ids: Tensor,
        attention_mask: Tensor,
        policy_hidden: Tensor | None = None,
        dtype: torch.dtype | None = None,
    ) -> Tensor:
        with autocast(input_ids.device, dtype):
            out = self.backbone(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)
        return self.head(out.last_hidden_state[:, :-1])  # (B, T-1)


def decoder_of(model: nn.Module) -> nn.Module:
    """The decoder stack (no LM head) of a Hugging Face causal LM."""
    getter = getattr(model, "get_decoder", None)
    decoder = getter() if callable(getter) else None
    if decoder is None:
        decoder = getattr(model, getattr(model, "base_model_prefix", "model"), None)
    if decoder is None or decoder is model:
        raise ValueError(f"cannot find the decoder of {type(model).__name__} to build a separate critic")
    return decoder


def _hidden_size(model: nn.Module) -> int:
    config: Any = getattr(model, "config", None)
    size = getattr(config, "hidden_size", None)
    if size is None:
        raise ValueError(f"{type(model).__name__} has no config.hidden_size; cannot size the value head")
    return int(size)


def build_critic(kind: str, policy: nn.Module) -> Critic:
    """A critic for ``policy``; call this before wrapping the policy in LoRA adapters."""
    hidden = _hidden_size(policy)
    device = next(policy.parameters()).device
    if kind == "value_head":
        critic: Critic = ValueHeadCritic(hidden)
    elif kind == "separate":
        backbone = copy.deepcopy(decoder_of(policy))
        for parameter in backbone.parameters():
            parameter.requires_grad_(True)
        critic = SeparateCritic(backbone, hidden)
    else:
        raise ValueError(f"unknown critic {kind!r}; use 'value_head' or 'separate'")
    return critic.to(device)
