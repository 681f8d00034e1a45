"""Memory plan of a training run before launch (``rlver train --dry-run``): pure arithmetic on the
model's config.json and the training config; no weights are loaded.

Two phases take turns on one device, each on top of what persists across steps (weights, the bf16
copies autocast keeps of fp32 trainable weights, gradients, AdamW moments, critic, reference):

* **rollout**: the KV cache of every live dialogue, plus the attention's transient over it;
* **update**: the saved activations of one micro-batch, one layer's backward workspace and the
  log-prob chunk.

The per-model byte formulas (parameters, KV cache, activations) are in :mod:`rlver.rl.model_bytes`;
the whole estimate is checked against measured peaks by ``benchmarks/memory_plan_check.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from rlver.errors import ConfigError
from rlver.rl.config import TrainConfig
from rlver.rl.model_bytes import (
    ModelShape,
    attention_mask_bytes,
    kv_cache_bytes,
    logprob_chunk_bytes,
    lora_parameter_count,
    parameter_count,
    trunk_activation_bytes,
)

__all__ = [
    "ALLOCATOR_MARGIN",
    "CUDA_CONTEXT_BYTES",
    "GIB",
    "PREFILL_TOKENS",
    "FitCheck",
    "MemoryPlan",
    "check_fit",
    "plan_memory",
    "require_fit",
    "usable_bytes",
]

GIB = 1 << 30
"""Bytes in a GiB: a card sold as "80 GB" (A100, H100) holds 80 GiB."""
CUDA_CONTEXT_BYTES = 1 * GIB
"""What the CUDA context, cuBLAS workspaces and kernels take outside PyTorch's allocator (~0.5-1 GiB)."""
ALLOCATOR_MARGIN = 0.05
"""Share of the plan added for the caching allocator's fragmentation."""
PREFILL_TOKENS = 512
"""Tokens one dialogue prefills in a generate call: system prompt + opening on the first turn, one
user message later (the kept KV cache covers the rest of the trace)."""
_SAMPLING_BUFFERS = 5
"""fp32 (batch, vocabulary) tensors alive while a token is sampled: logits, scaled logits,
log-softmax, Gumbel noise, perturbed scores."""


def usable_bytes(budget_bytes: int, device_type: str) -> int:
    """What a plan may use of ``budget_bytes``: less the CUDA context, less the allocator's margin."""
    context = CUDA_CONTEXT_BYTES if device_type == "cuda" else 0
    return max(0, int((budget_bytes - context) / (1 + ALLOCATOR_MARGIN)))


def _dtype_bytes(config: TrainConfig, device_type: str) -> tuple[int, int]:
    """(weight bytes, compute bytes) as ``rlver train`` sets the run up.

    Full fine-tuning loads fp32 weights (they are the master weights); LoRA loads the device's
    preferred dtype, bf16 on a GPU (one that supports bf16 is assumed: A100, H100 and later).
    ``optim.precision`` bf16, or auto on a GPU, runs forward passes under bf16 autocast.
    """
    weight = 2 if config.lora.enabled and device_type == "cuda" else 4
    precision = config.optim.precision
    autocast = precision == "bf16" or (precision == "auto" and device_type == "cuda")
    return weight, 2 if autocast or weight == 2 else 4


@dataclass(frozen=True)
class MemoryPlan:
    """Bytes of one training run on one device (see :func:`plan_memory`); peaks are properties."""

    shape: ModelShape
    """The policy's architecture."""
    device_type: str
    """``cuda`` or ``cpu``: what the dtypes were resolved for."""
    weight_bytes: int
    """Bytes per base weight: 4 (fp32) or 2 (bf16, LoRA on a GPU)."""
    compute_bytes: int
    """Bytes per activation element: 2 under bf16 autocast, else 4."""
    parameters: int
    """Policy parameters."""
    trainable: int
    """Trainable policy parameters (LoRA adapters, or all of them)."""
    critic_parameters: int
    """Critic parameters (a separate critic's decoder + head, or a value head); 0 for GRPO."""
    critic_trainable: int
    """Trainable critic parameters."""
    weights: int
    """Policy weights: frozen ones at ``weight_bytes``, trainable ones in fp32 (the master weights)."""
    autocast_copies: int
    """bf16 copies bf16 autocast keeps of fp32 trainable weights (policy and critic) while it runs."""
    gradients: int
    """fp32 gradients of the trainable policy parameters."""
    optimizer: int
    """AdamW's two fp32 moments per trainable policy parameter."""
    critic: int
    """Critic weights, gradients and AdamW moments."""
    critic_gradients: int
    """Of ``critic``: its fp32 gradients."""
    head_gradient: int
    """fp32 gradient of the LM head (the embedding, when tied) if it trains: the backward's first."""
    reference: int
    """Frozen reference policy for the KL penalty (only kl_coef > 0 without LoRA)."""
    concurrency: int
    """Dialogues live at once in the rollout (rollout.max_concurrent, at most a step's dialogues)."""
    rollout_per_dialogue: int
    """Rollout bytes per live dialogue: its KV cache and the generate batch's padded copy of it (both
    alive while a batch is assembled), attention over it with the GQA heads expanded (one layer at a
    time), prefill and sampling buffers."""
    kv_cache_per_dialogue: int
    """Of ``rollout_per_dialogue``: the KV cache of one dialogue of ``tokens_per_dialogue`` tokens."""
    tokens_per_dialogue: int
    """Tokens per dialogue in the plan: rollout.max_length."""
    activations_per_token: int
    """Saved activations per token of the update (policy, critic and value head together)."""
    workspace_per_token: int
    """Backward workspace per token: one layer's gradients (two layers' worth with checkpointing)."""
    mask_per_dialogue: int
    """Attention masks of one dialogue in the update (:func:`attention_mask_bytes`, policy and critic)."""
    micro_batch: int
    """Dialogues per forward/backward in the update: ceil(minibatch_size / grad_accumulation)."""
    grad_accumulation: int
    """Micro-batches per optimizer step (optim.grad_accumulation)."""
    logprob_chunk: int
    """The LM-head chunk scored at once (optim.logprob_chunk_size x vocabulary)."""
    optimizer_step: int
    """Temporaries of the AdamW step (foreach: one fp32 tensor per trainable parameter)."""

    @property
    def persistent(self) -> int:
        """What stays allocated across both phases."""
        return (
            self.weights
            + self.autocast_copies
            + self.gradients
            + self.optimizer
            + self.critic
            + self.reference
        )

    @property
    def activations_per_dialogue(self) -> int:
        """Saved activations and attention masks of one dialogue of the micro-batch."""
        return self.tokens_per_dialogue * self.activations_per_token + self.mask_per_dialogue

    @property
    def workspace_per_dialogue(self) -> int:
        """Backward workspace of one dialogue of the micro-batch."""
        return self.tokens_per_dialogue * self.workspace_per_token

    @property
    def update_base(self) -> int:
        """What the backward starts from besides its micro-batch: the persistent state, with gradients
        only where they exist then. ``zero_grad(set_to_none)`` frees them before each mini-batch, so the
        first micro-batch's backward holds only the head's; with accumulation the later ones hold all."""
        held = self.gradients + self.critic_gradients if self.grad_accumulation > 1 else self.head_gradient
        return self.persistent - self.gradients - self.critic_gradients + held

    @property
    def kv_cache(self) -> int:
        """KV cache of the rollout's live dialogues."""
        return self.concurrency * self.kv_cache_per_dialogue

    @property
    def activations(self) -> int:
        """Saved activations of the configured micro-batch."""
        return self.micro_batch * self.tokens_per_dialogue * self.activations_per_token

    def update_peak(self, micro_batch: int) -> int:
        """Peak of the update with ``micro_batch`` dialogues per forward/backward: the backward (every
        activation saved, plus the larger of the log-prob chunk, scored first, and one layer's
        workspace) or the optimizer step (all gradients and the step's temporaries)."""
        workspace = max(self.logprob_chunk, micro_batch * self.workspace_per_dialogue)
        backward = self.update_base + micro_batch * self.activations_per_dialogue + workspace
        return max(backward, self.persistent + self.optimizer_step)

    def rollout_peak(self, concurrency: int) -> int:
        """Peak of the rollout with ``concurrency`` live dialogues."""
        return self.persistent + concurrency * self.rollout_per_dialogue

    @property
    def peak(self) -> int:
        """The larger phase as configured."""
        return max(self.rollout_peak(self.concurrency), self.update_peak(self.micro_batch))


def plan_memory(config: TrainConfig, shape: ModelShape, *, device_type: str = "cuda") -> MemoryPlan:
    """The memory plan of ``config`` training a ``shape`` policy on one ``device_type`` device."""
    w, c = _dtype_bytes(config, device_type)
    lora = config.lora
    total = parameter_count(shape)
    head = 0 if shape.tie_word_embeddings else shape.vocab_size * shape.hidden_size
    trainable = lora_parameter_count(shape, lora.r, lora.target_modules) if lora.enabled else total
    frozen = total if lora.enabled else 0
    targets = frozenset(lora.target_modules) if lora.enabled else None

    critic_frozen = critic_trainable = 0
    if config.algo == "ppo":
        critic_trainable = shape.hidden_size + 1  # the value head, Linear(h, 1)
        if config.ppo.critic == "separate":  # + a copy of the decoder (no LM head), with its own adapters
            decoder = total - head
            if lora.enabled:
                critic_frozen = decoder
                critic_trainable += lora_parameter_count(shape, lora.r, lora.target_modules, with_head=False)
            else:
                critic_trainable += decoder
    copies = 2 * (trainable + critic_trainable) if c == 2 else 0  # autocast caches bf16 casts of fp32 leaves

    policy_act, workspace = trunk_activation_bytes(
        shape,
        compute_bytes=c,
        weight_bytes=w,
        lora_targets=targets,
        lora_r=lora.r,
        checkpointing=config.optim.gradient_checkpointing,
    )
    h = shape.hidden_size
    activations = policy_act + w * h  # + the trunk output at the policy's positions (the chunks' input)
    models = 1
    if config.algo == "ppo":
        activations += 4 * h  # the value head's fp32 input
        if config.ppo.critic == "separate":
            critic_act, _ = trunk_activation_bytes(
                shape,
                compute_bytes=c,
                weight_bytes=w,
                lora_targets=targets,
                lora_r=lora.r,
                checkpointing=config.optim.gradient_checkpointing,
            )
            activations += critic_act
            models = 2

    tokens = config.rollout.max_length
    minibatch = min(config.optim.minibatch_size or config.episodes_per_step, config.episodes_per_step)
    kv = kv_cache_bytes(shape.num_layers, shape.num_kv_heads, shape.head_dim, c, tokens)
    rollout_per_dialogue = (
        # the dialogue's cache and the batch's padded copy of it, together while a generate batch is
        # assembled (models/kv_cache.batch_past) and while its first step re-allocates each layer's cache
        2 * kv
        + 2 * tokens * shape.q_dim * c  # one layer's K and V with the GQA heads expanded
        + PREFILL_TOKENS * (3 * shape.intermediate_size + 4 * shape.q_dim) * c  # one layer's prefill
        + _SAMPLING_BUFFERS * shape.vocab_size * 4  # fp32 (1, V) buffers of the sampler
    )
    return MemoryPlan(
        shape=shape,
        device_type=device_type,
        weight_bytes=w,
        compute_bytes=c,
        parameters=total,
        trainable=trainable,
        critic_parameters=critic_frozen + critic_trainable,
        critic_trainable=critic_trainable,
        weights=frozen * w + trainable * 4,
        autocast_copies=copies,
        gradients=trainable * 4,
        optimizer=trainable * 8,  # AdamW exp_avg + exp_avg_sq, fp32
        critic=critic_frozen * w + critic_trainable * (4 + 4 + 8),  # weights + gradients + moments
        critic_gradients=critic_trainable * 4,
        head_gradient=4 * shape.vocab_size * shape.hidden_size if not lora.enabled else 0,
        reference=total * w if config.loss.kl_coef > 0 and not lora.enabled else 0,
        concurrency=min(config.rollout.max_concurrent, config.episodes_per_step),
        rollout_per_dialogue=rollout_per_dialogue,
        kv_cache_per_dialogue=kv,
        tokens_per_dialogue=tokens,
        activations_per_token=activations,
        workspace_per_token=workspace,
        mask_per_dialogue=models
        * attention_mask_bytes(
            tokens, shape.num_layers, c, checkpointing=config.optim.gradient_checkpointing
        ),
        micro_batch=math.ceil(minibatch / config.optim.grad_accumulation),
        grad_accumulation=config.optim.grad_accumulation,
        logprob_chunk=logprob_chunk_bytes(config.optim.logprob_chunk_size, shape.vocab_size, c),
        optimizer_step=4 * (trainable + critic_trainable),
    )


# ------------------------------------------------------------------------------------ the verdict
@dataclass(frozen=True)
class FitCheck:
    """A plan against a memory budget."""

    budget: int
    """The device's memory in bytes (--gpu-memory)."""
    usable: int
    """What the plan may use: the budget less the CUDA context and the allocator's margin."""
    largest_micro_batch: int
    """Most dialogues per forward/backward that fit (0: not even one)."""
    largest_concurrency: int
    """Most live rollout dialogues that fit."""
    micro_batch: int
    """The configured micro-batch."""
    concurrency: int
    """The configured rollout concurrency."""

    @property
    def fits(self) -> bool:
        """Both phases fit as configured."""
        return self.micro_batch <= self.largest_micro_batch and self.concurrency <= self.largest_concurrency


def check_fit(plan: MemoryPlan, budget_bytes: int) -> FitCheck:
    """The largest micro-batch and rollout concurrency that fit ``budget_bytes``."""
    usable = usable_bytes(budget_bytes, plan.device_type)
    # update_peak(n) <= usable  <=>  both branches of the workspace's max fit:
    #   base + n * activations + chunk <= usable   and   base + n * (activations + workspace) <= usable
    room = usable - plan.update_base
    per_dialogue = plan.activations_per_dialogue
    largest_micro = min(
        (room - plan.logprob_chunk) // per_dialogue, room // (per_dialogue + plan.workspace_per_dialogue)
    )
    if largest_micro < 1 or plan.persistent + plan.optimizer_step > usable:  # nothing, or the optimizer step
        largest_micro = 0
    room = usable - plan.persistent
    largest_concurrency = room // plan.rollout_per_dialogue if room > 0 else 0
    return FitCheck(
        budget=budget_bytes,
        usable=usable,
        largest_micro_batch=int(largest_micro),
        largest_concurrency=int(largest_concurrency),
        micro_batch=plan.micro_batch,
        concurrency=plan.concurrency,
    )


def require_fit(plan: MemoryPlan, check: FitCheck, config: TrainConfig) -> None:
    """Raise :class:`ConfigError` (one line: what does not fit, and the ways out) unless it fits."""
    if check.fits:
        return
    gib = check.budget / GIB
    problems, ways = [], []
    if check.micro_batch > check.largest_micro_batch:
        problems.append(
            f"the update needs {plan.update_peak(plan.micro_batch) / GIB:.1f} GiB with {plan.micro_batch} "
            f"dialogue(s) of {plan.tokens_per_dialogue} tokens per micro-batch"
        )
        if check.largest_micro_batch >= 1:
            accumulation = math.ceil(
                plan.micro_batch * config.optim.grad_accumulation / check.largest_micro_batch
            )
            ways.append(
                f"a smaller batch: optim.grad_accumulation: {accumulation} "
                f"(micro-batches of {check.largest_micro_batch} dialogues)"
            )
        else:
            ways.append(
                "a smaller batch: optim.minibatch_size / optim.grad_accumulation for 1 dialogue per "
                "micro-batch, and a shorter rollout.max_length"
            )
    if check.concurrency > check.largest_concurrency:
        problems.append(
            f"the rollout needs {plan.rollout_peak(plan.concurrency) / GIB:.1f} GiB with "
            f"{plan.concurrency} live dialogues"
        )
        if check.largest_concurrency >= 1:
            ways.append(f"rollout.max_concurrent: {check.largest_concurrency}")
    if not config.lora.enabled:
        ways.append("LoRA (lora.enabled: true)")
    if not config.optim.gradient_checkpointing:
        ways.append("gradient checkpointing (optim.gradient_checkpointing: true)")
    if config.algo == "ppo" and config.ppo.critic == "separate":
        ways.append("ppo.critic: value_head (no second model)")
    recipe = f"{config.algo}{'-think' if config.rollout.think else ''}"
    ways.append(f"or verl on several GPUs (rlver export verl --recipe {recipe})")
    raise ConfigError(f"does not fit {gib:g} GiB: {'; '.join(problems)}; ways out: {', '.join(ways)}")
