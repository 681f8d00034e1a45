"""One forward pass of the policy over padded dialogues: per-token log-probs, entropy, hidden states.

Log-probs are taken at the sampling temperature (logits / tau), so that the ratio and the KL compare
the distribution the tokens were actually sampled from.

Memory does not grow with the vocabulary: the decoder trunk runs once over the micro-batch, its last
hidden states are gathered at the scored positions only (the policy's tokens, ``loss_mask`` 1), and
those are projected through the LM head ``chunk_size`` positions at a time. Each chunk's fp32 logits
(chunk, V) live only while that chunk is scored: with gradients the chunk runs under activation
checkpointing, so its logits are freed after the forward and recomputed in the backward, one chunk
at a time, and a hand-written backward of log-softmax + entropy needs only the logits and their
gradient. A (B, T, V) tensor is never built. At Qwen2.5's 151,936 tokens the full logits of 8 x 2,048
tokens take 10 GB (and log-softmax, entropy and backward several copies more), against two tensors
of 0.3 GB for a chunk of 512 positions.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.checkpoint import checkpoint

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "ForwardOutput",
    "autocast",
    "autocast_dtype",
    "checkpointing_in_eval",
    "chunked_token_scores",
    "enable_activation_checkpointing",
    "policy_forward",
    "token_logp_entropy",
    "trunk_and_head",
]

DEFAULT_CHUNK_SIZE = 512
"""Positions projected through the LM head at once: 0.3 GB of fp32 logits at a 152k vocabulary."""

# Logit transforms some architectures apply between the LM head and the logits (Gemma's soft-capping,
# Cohere's / Granite's scaling). Projecting hidden states with the head alone would silently skip them.
_UNSUPPORTED_LOGIT_TRANSFORMS = ("final_logit_softcapping", "logit_scale", "logits_scaling")


@dataclass(frozen=True)
class ForwardOutput:
    """What one forward pass of the policy yields, aligned with :class:`rlver.rl.batch.RolloutBatch`."""

    logp: Tensor
    """(B, T - 1) log-probability of token i + 1 at position i (0 where position i is not scored)."""
    entropy: Tensor | None
    """(B, T - 1) entropy of the next-token distribution at position i, 0 where not scored (None if
    not requested)."""
    hidden: Tensor | None
    """(B, T, H) last-layer hidden states, every position (None if not requested)."""


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


# --------------------------------------------------------------------------------- per-token math
_BLOCK_ELEMENTS = 1 << 22
"""Elements per row block inside a chunk's log-softmax: 16 MB of fp32 temporaries, whatever the vocabulary."""


def _row_blocks(logits: Tensor) -> Iterator[slice]:
    rows = max(1, _BLOCK_ELEMENTS // max(logits.shape[-1], 1))
    for start in range(0, logits.shape[0], rows):
        yield slice(start, start + rows)


class _LogpEntropy(torch.autograd.Function):
    """log p(y) and H of softmax(z) with a hand-written backward that keeps only z.

    Autograd through logsumexp / softmax / gather saves about three (N, V) tensors and builds as many
    again in the backward. Here the softmax is rebuilt from z and the saved logsumexp a row block at
    a time, so a chunk costs z and its gradient: two (N, V) tensors.
    """

    @staticmethod
    def forward(ctx: Any, logits: Tensor, labels: Tensor, with_entropy: bool) -> tuple[Tensor, Tensor]:
        lse = logits.new_empty(logits.shape[0])  # (N,)
        mean_logit = logits.new_empty(logits.shape[0] if with_entropy else 0)  # (N,): E_p[z]
        for rows in _row_blocks(logits):
            z = logits[rows]  # (n, V)
            lse[rows] = torch.logsumexp(z, dim=-1)
            if with_entropy:
                probs = (z - lse[rows].unsqueeze(-1)).exp_()  # (n, V): p = softmax(z)
                mean_logit[rows] = probs.mul_(z).sum(-1)
        logp = logits.gather(-1, labels.unsqueeze(-1)).squeeze(-1) - lse  # (N,): log p(y) = z_y - lse(z)
        entropy = lse - mean_logit if with_entropy else mean_logit  # (N,): H = lse(z) - E_p[z]
        ctx.save_for_backward(logits, labels, lse, mean_logit)
        ctx.with_entropy = with_entropy
        ctx.set_materialize_grads(False)
        return logp, entropy

    @staticmethod
    def backward(ctx: Any, grad_logp: Tensor | None, grad_entropy: Tensor | None):
        logits, labels, lse, mean_logit = ctx.saved_tensors
        if not ctx.with_entropy:
            grad_entropy = None
        if grad_logp is None and grad_entropy is None:
            return None, None, None
        # d log p(y) / dz = onehot(y) - p;   dH / dz = p * (E_p[z] - z), so with g = dL/dlog p, e = dL/dH:
        #   dL/dz = p * (e * (E_p[z] - z) - g) + g * onehot(y)
        grad = torch.empty_like(logits)  # (N, V)
        for rows in _row_blocks(logits):
            z = logits[rows]  # (n, V)
            probs = (z - lse[rows].unsqueeze(-1)).exp_()  # (n, V)
            if grad_entropy is not None:
                coef = (mean_logit[rows].unsqueeze(-1) - z).mul_(grad_entropy[rows].unsqueeze(-1))  # (n, V)
                if grad_logp is not None:
                    coef.sub_(grad_logp[rows].unsqueeze(-1))
                grad[rows] = probs.mul_(coef)
            else:
                grad[rows] = probs.mul_(-grad_logp[rows].unsqueeze(-1))  # type: ignore[index]
        if grad_logp is not None:
            grad.scatter_add_(-1, labels.unsqueeze(-1), grad_logp.unsqueeze(-1))
        return grad, None, None


def token_logp_entropy(
    logits: Tensor, labels: Tensor, with_entropy: bool = False
) -> tuple[Tensor, Tensor | None]:
    """Log-probability of ``labels`` and entropy under ``logits`` (fp32 or fp64): (N, V), (N,) -> (N,), (N,).

        log p(y) = z_y - logsumexp(z)
        H        = logsumexp(z) - sum_v p_v z_v          (p = softmax(z))

    The same numbers as :func:`rlver.rl.losses.logprobs_from_logits` and
    :func:`rlver.rl.losses.entropy_from_logits`, with a backward that holds two (N, V) tensors
    (the logits and their gradient) instead of about six. Entropy is None unless ``with_entropy``.
    """
    logp, entropy = _LogpEntropy.apply(logits, labels, with_entropy)
    return logp, (entropy if with_entropy else None)


def _score_chunk(
    head: nn.Module,
    hidden: Tensor,
    labels: Tensor,
    temperature: float,
    with_entropy: bool,
    entropy_grad: bool,
    dtype: torch.dtype | None,
) -> tuple[Tensor, Tensor]:
    """(n, H), (n,) -> log p (n,), entropy (n,) or an empty tensor; the chunk's logits die here."""
    with autocast(hidden.device, dtype):
        logits = head(hidden)  # (n, V)
    logits = logits.float()  # (n, V): log-softmax in fp32 whatever the autocast dtype
    if temperature != 1.0:
        logits = logits / temperature  # (n, V): the sampling distribution, softmax(z / tau)
    logp, entropy = token_logp_entropy(logits, labels, with_entropy)
    if entropy is None:
        return logp, logits.new_zeros(0)
    if not entropy_grad:
        entropy = entropy.detach()  # a diagnostic: no gradient flows back through it
    return logp, entropy


def chunked_token_scores(
    head: nn.Module,
    hidden: Tensor,
    labels: Tensor,
    *,
    temperature: float = 1.0,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    with_entropy: bool = False,
    entropy_grad: bool = True,
    dtype: torch.dtype | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Project hidden states (N, H) with ``head`` ``chunk_size`` rows at a time; score ``labels`` (N,).

    Returns log p(label) (N,) and the entropy (N,) (None unless ``with_entropy``), at temperature tau:
        z = head(h) / tau,  log p(y) = z_y - logsumexp(z),  H = logsumexp(z) - sum_v softmax(z)_v z_v
    With gradients each chunk is checkpointed: only its input (n, H) is kept for the backward, which
    recomputes its logits, so at most one chunk's (n, V) tensors exist at any time.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    needs_grad = torch.is_grad_enabled() and (
        hidden.requires_grad or any(p.requires_grad for p in head.parameters())
    )
    logps, entropies = [], []
    # At least one (possibly empty) chunk: a micro-batch without policy tokens still gets a graph,
    # so its (zero) loss can be backpropagated like any other.
    for start in range(0, max(len(hidden), 1), chunk_size):
        args = (head, hidden[start : start + chunk_size], labels[start : start + chunk_size])
        options = (temperature, with_entropy, entropy_grad, dtype)
        if needs_grad:
            logp, entropy = checkpoint(_score_chunk, *args, *options, use_reentrant=False)
        else:
            logp, entropy = _score_chunk(*args, *options)
        logps.append(logp)
        entropies.append(entropy)
    logp = torch.cat(logps)  # (N,)
    return logp, (torch.cat(entropies) if with_entropy else None)


# --------------------------------------------------------------------------------- the model
def trunk_and_head(model: nn.Module) -> tuple[nn.Module, nn.Module]:
    """(decoder stack, LM head) of a Hugging Face causal LM, or of a peft model wrapping one.

    peft injects LoRA layers into the wrapped model's modules in place, so the decoder and head
    found through the wrapper run with the adapters (and ``disable_adapter()`` still switches them off).
    """
    config = getattr(model, "config", None)
    for name in _UNSUPPORTED_LOGIT_TRANSFORMS:
        value = getattr(config, name, None)
        if value not in (None, 1, 1.0):
            raise ValueError(
                f"{type(model).__name__} transforms its logits ({name}={value}); chunked log-probs "
                "project hidden states with the LM head alone and do not support it"
            )
    get_decoder = getattr(model, "get_decoder", None)
    trunk = get_decoder() if callable(get_decoder) else None
    get_head = getattr(model, "get_output_embeddings", None)
    head = get_head() if callable(get_head) else None
    if trunk is None or trunk is model or head is None:
        raise ValueError(f"cannot find the decoder and LM head of {type(model).__name__}")
    return trunk, head


def enable_activation_checkpointing(model: nn.Module) -> None:
    """Turn on Hugging Face activation checkpointing (non-reentrant) for every decoder layer.

    transformers 5.x renamed ``gradient_checkpointing_enable`` (now a deprecated alias) to
    ``activation_checkpointing_enable``; earlier 5.x releases only have the old name.
    """
    enable = getattr(model, "activation_checkpointing_enable", None)
    if callable(enable):
        enable(activation_checkpointing_kwargs={"use_reentrant": False})
        return
    legacy = getattr(model, "gradient_checkpointing_enable", None)
    if not callable(legacy):
        raise TypeError(f"{type(model).__name__} does not support activation checkpointing")
    legacy(gradient_checkpointing_kwargs={"use_reentrant": False})


@contextlib.contextmanager
def checkpointing_in_eval(model: nn.Module) -> Iterator[None]:
    """Let checkpointed decoder layers checkpoint while ``model`` is in eval mode.

    Hugging Face checkpoints a layer only when ``layer.training``; the update runs in eval mode so
    that dropout is off (the ratio must start at exactly 1). Setting the flag on the checkpointed
    layers themselves, not on their children, turns checkpointing on and leaves dropout off: the
    attention and dropout modules inside read their own flags.
    """
    from transformers.modeling_layers import GradientCheckpointingLayer

    layers = [
        m
        for m in model.modules()
        if isinstance(m, GradientCheckpointingLayer) and m.gradient_checkpointing and not m.training
    ]
    for layer in layers:
        layer.training = True
    try:
        yield
    finally:
        for layer in layers:
            layer.training = False


def policy_forward(
    model: nn.Module,
    input_ids: Tensor,
    attention_mask: Tensor,
    *,
    loss_mask: Tensor | None = None,
    temperature: float = 1.0,
    with_entropy: bool = False,
    entropy_grad: bool = True,
    with_hidden: bool = False,
    dtype: torch.dtype | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> ForwardOutput:
    """Run ``model`` (a causal LM) on right-padded ``input_ids`` (B, T) and score the next tokens.

    Only positions where ``loss_mask`` (B, T - 1) is 1 are scored (all positions when it is None);
    the others read 0 in ``logp`` and ``entropy``. ``entropy_grad=False`` computes the entropy as a
    detached diagnostic (no backward through it).
    """
    trunk, head = trunk_and_head(model)
    grad_context = checkpointing_in_eval(trunk) if torch.is_grad_enabled() else contextlib.nullcontext()
    with grad_context, autocast(input_ids.device, dtype):
        hidden = trunk(input_ids=input_ids, attention_mask=attention_mask, use_cache=False).last_hidden_state
    # (B, T, H); position i predicts token i + 1
    scored = (
        loss_mask.bool()
        if loss_mask is not None
        else torch.ones(input_ids.shape[0], input_ids.shape[1] - 1, dtype=torch.bool, device=input_ids.device)
    )  # (B, T-1)
    logp_flat, entropy_flat = chunked_token_scores(
        head,
        hidden[:, :-1][scored],  # (N, H): the scored positions only
        input_ids[:, 1:][scored],  # (N,): the tokens they scored
        temperature=temperature,
        chunk_size=chunk_size,
        with_entropy=with_entropy,
        entropy_grad=entropy_grad,
        dtype=dtype,
    )
    logp = torch.zeros(scored.shape, dtype=logp_flat.dtype, device=logp_flat.device)
    logp = logp.masked_scatter(scored, logp_flat)  # (B, T-1)
    entropy = None
    if entropy_flat is not None:
        entropy = torch.zeros(scored.shape, dtype=entropy_flat.dtype, device=entropy_flat.device)
        entropy = entropy.masked_scatter(scored, entropy_flat)  # (B, T-1)
    return ForwardOutput(logp=logp, entropy=entropy, hidden=hidden if with_hidden else None)
