"""``rlver train --dry-run``: the memory plan of a run, from the model's config.json only.

No weights are loaded, no endpoint is called, no run folder is created: a 7B folder that holds only
its config.json plans on a laptop. The arithmetic is :mod:`rlver.rl.memory_plan`; this module prints it.
"""

from __future__ import annotations

from pathlib import Path

from rlver.cli._common import console
from rlver.cli._specs import hf_model_path
from rlver.errors import ConfigError
from rlver.rl.config import TrainConfig
from rlver.rl.memory_plan import GIB, FitCheck, MemoryPlan, check_fit, plan_memory, require_fit
from rlver.rl.model_bytes import read_model_shape

__all__ = ["format_plan", "print_memory_plan"]


def _count(n: int) -> str:
    return f"{n / 1e9:.2f} B" if n >= 1e9 else f"{n / 1e6:.1f} M"


def format_plan(plan: MemoryPlan, check: FitCheck | None = None) -> str:
    """The plan in GiB, one line per term, with the verdict when ``check`` is given."""
    s = plan.shape
    dtype = {2: "bf16", 4: "fp32"}
    tokens = plan.micro_batch * plan.tokens_per_dialogue

    def row(label: str, n: int) -> str:
        return f"  {label:<42}{n / GIB:9.2f} GiB"

    model = (
        f"model       {s.model_type}: {s.num_layers} layers x {s.hidden_size}, {s.num_heads} heads "
        f"({s.num_kv_heads} kv) x {s.head_dim}, MLP {s.intermediate_size}, vocabulary {s.vocab_size}"
        + (", tied head" if s.tie_word_embeddings else "")
    )
    critic = f"; critic {_count(plan.critic_parameters)}, trainable {_count(plan.critic_trainable)}"
    autocast = " (autocast)" if plan.compute_bytes < plan.weight_bytes else ""
    lines = [
        model,
        f"parameters  {_count(plan.parameters)}, trainable {_count(plan.trainable)}"
        + (critic if plan.critic_parameters else ""),
        f"precision   weights {dtype[plan.weight_bytes]}, compute {dtype[plan.compute_bytes]}{autocast} "
        + f"on {plan.device_type}",
        "persistent (both phases)",
        row("weights (trainable ones in fp32)", plan.weights),
        row("bf16 copies of fp32 trainable weights", plan.autocast_copies),
        row("gradients (fp32)", plan.gradients),
        row("optimizer (AdamW, two fp32 moments)", plan.optimizer),
        row("critic (weights, gradients, AdamW)", plan.critic),
        row("reference policy (KL penalty)", plan.reference),
        row("total", plan.persistent),
        f"rollout     {plan.concurrency} live dialogues x {plan.tokens_per_dialogue} tokens",
        row(
            f"KV cache ({plan.kv_cache_per_dialogue // plan.tokens_per_dialogue:,} B a token)", plan.kv_cache
        ),
        row(
            "batch copy, attention, prefill, sampling",
            plan.concurrency * plan.rollout_per_dialogue - plan.kv_cache,
        ),
        row("peak", plan.rollout_peak(plan.concurrency)),
        f"update      micro-batch of {plan.micro_batch} dialogue(s) x {plan.tokens_per_dialogue} tokens",
        row(
            f"activations ({plan.activations_per_token / 1024:,.0f} KiB a token)",
            tokens * plan.activations_per_token,
        ),
        row("backward workspace", tokens * plan.workspace_per_token),
        row("attention masks", plan.micro_batch * plan.mask_per_dialogue),
        row("log-prob chunk", plan.logprob_chunk),
        row("peak", plan.update_peak(plan.micro_batch)),
    ]
    if check is not None:
        lines.append(
            f"budget      {check.budget / GIB:g} GiB (usable {check.usable / GIB:.1f}): largest micro-batch "
            f"{check.largest_micro_batch} dialogue(s), i.e. optim.minibatch_size up to "
            f"{check.largest_micro_batch * plan.grad_accumulation} at grad_accumulation {plan.grad_accumulation}; "
            f"largest rollout.max_concurrent {check.largest_concurrency}: "
            + ("fits" if check.fits else "does NOT fit")
        )
    return "\n".join(lines)


def _device_type(device: str | None) -> str:
    """The plan's device: ``--device``'s type, else cuda (a dry run plans the GPU run)."""
    kind = (device or "cuda").split(":")[0]
    if kind not in ("cuda", "cpu"):
        raise ConfigError(f"--dry-run plans for cuda or cpu, got --device {device!r}")
    return kind


def _detected_gib(device_type: str) -> float | None:
    """The visible GPU's memory when there is one (torch is imported only here)."""
    if device_type != "cuda":
        return None
    import torch

    if not torch.cuda.is_available():
        return None
    return torch.cuda.get_device_properties(0).total_memory / GIB


def print_memory_plan(config: TrainConfig, *, device: str | None, gpu_memory: float | None) -> None:
    """Print the plan of ``config``; raise :class:`ConfigError` (exit 2) when it does not fit the budget."""
    if gpu_memory is not None and gpu_memory <= 0:
        raise ConfigError(f"--gpu-memory must be > 0 GiB, got {gpu_memory:g}")
    folder = Path(hf_model_path(config.policy))
    device_type = _device_type(device)
    plan = plan_memory(config, read_model_shape(folder), device_type=device_type)
    budget = gpu_memory if gpu_memory is not None else _detected_gib(device_type)
    check = check_fit(plan, int(budget * GIB)) if budget is not None else None
    console.print(f"memory plan of {config.algo} on {folder} (config.json only)", highlight=False)
    console.print(format_plan(plan, check), highlight=False, markup=False, soft_wrap=True)
    if check is None:
        console.print("no GPU here: pass --gpu-memory GIB to check a fit", highlight=False)
        return
    require_fit(plan, check, config)
