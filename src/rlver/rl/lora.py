"""LoRA adapters through peft (optional: ``pip install rlver[lora]``).

With LoRA the base weights stay frozen and only the adapters train; the KL reference is then the
same model with its adapters switched off (no second copy in memory), and checkpoints hold only the
adapters. A separate critic gets its own adapters on its own copy of the decoder.
"""

from __future__ import annotations

from torch import nn

from rlver.errors import ConfigError
from rlver.rl.config import LoRASettings
from rlver.rl.value import Critic, SeparateCritic

__all__ = ["apply_lora", "apply_lora_to_critic"]


def _peft():
    try:
        import peft
    except ImportError:
        raise ConfigError("lora.enabled needs peft: pip install 'rlver[lora]'") from None
    return peft


def _lora_config(settings: LoRASettings, task_type: str | None):
    peft = _peft()
    return peft.LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=list(settings.target_modules),
        task_type=task_type,
    )


def apply_lora(model: nn.Module, settings: LoRASettings) -> nn.Module:
    """Wrap a causal LM in trainable LoRA adapters (a peft ``PeftModel``); base weights frozen."""
    peft = _peft()
    try:
        return peft.get_peft_model(model, _lora_config(settings, "CAUSAL_LM"))
    except ValueError as exc:  # e.g. target modules not found in the model
        raise ConfigError(f"lora: {exc}") from None


def apply_lora_to_critic(critic: Critic, settings: LoRASettings) -> Critic:
    """Give a separate critic's decoder its own adapters (its head stays fully trainable)."""
    if not isinstance(critic, SeparateCritic):
        return critic  # a value head is small: train it fully
    peft = _peft()
    try:
        critic.backbone = peft.get_peft_model(critic.backbone, _lora_config(settings, None))
    except ValueError as exc:
        raise ConfigError(f"lora (critic): {exc}") from None
    return critic
