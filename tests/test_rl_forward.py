"""Chunked log-probs on the policy's tokens against a plain full-logits reference (tiny random Qwen2).

The reference below is the pre-chunking forward: the whole causal LM, fp32 (B, T - 1, V) logits,
gather minus logsumexp, softmax entropy. The chunked path must give the same log-probs, entropies,
losses and parameter gradients (1e-5), with uneven masks and chunk sizes that do not divide the
number of scored positions, for GRPO, PPO with a value head, LoRA and activation checkpointing.
"""

from __future__ import annotations

import copy
import math
from dataclasses import replace

import pytest
import torch

import rlver.rl.algorithm as algorithm_module
import rlver.rl.forward as forward_module
from rlver.models.tiny import tiny_test_setup
from rlver.rl.config import (
    ConfigValueError,
    LossSettings,
    OptimSettings,
    PPOSettings,
    RolloutSettings,
    TrainConfig,
)
from rlver.rl.forward import ForwardOutput, policy_forward, token_logp_entropy
from rlver.rl.grpo import GRPO
from rlver.rl.ppo import PPO
from rlver.rl.value import build_critic
from tests.test_rl_support import one_torch_thread  # noqa: F401
from tests.test_rl_update import synthetic_batch

ATOL = RTOL = 1e-5


@pytest.fixture(scope="module")
def tiny():
    model, _ = tiny_test_setup(seed=0)
    return model


def reference_forward(
    model,
    input_ids,
    attention_mask,
    *,
    loss_mask=None,
    temperature=1.0,
    with_entropy=False,
    entropy_grad=True,
    with_hidden=False,
    dtype=None,
    chunk_size=None,
) -> ForwardOutput:
    """Full fp32 logits for every position, as before chunking (``loss_mask``, ``chunk_size`` unused)."""
    out = model(
        input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=with_hidden, use_cache=False
    )
    logits = out.logits[:, :-1].float() / temperature  # (B, T-1, V)
    lse = torch.logsumexp(logits, dim=-1)  # (B, T-1)
    logp = torch.gather(logits, -1, input_ids[:, 1:, None]).squeeze(-1) - lse  # log p(y) = z_y - lse(z)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = lse - (torch.softmax(logits, dim=-1) * logits).sum(-1)  # H = lse(z) - E_p[z]
    return ForwardOutput(logp=logp, entropy=entropy, hidden=out.hidden_states[-1] if with_hidden else None)


def uneven_batch(vocab: int, seed: int = 0):
    """4 right-padded rows of different lengths; masks with gaps, one row without policy tokens."""
    gen = torch.Generator().manual_seed(seed)
    lengths = [19, 11, 16, 6]
    width = max(lengths)
    ids = torch.randint(0, vocab, (4, width), generator=gen)
    attention = torch.zeros(4, width, dtype=torch.long)
    mask = torch.zeros(4, width - 1)
    for row, n in enumerate(lengths):
        attention[row, :n] = 1
        ids[row, n:] = 0
    mask[0, 2:7] = mask[0, 10:18] = 1
    mask[1, 4:10] = 1
    mask[2, 1:2] = mask[2, 8:15] = 1  # row 3: nothing the policy sampled
    return ids, attention, mask


def grads_of(model) -> dict[str, torch.Tensor]:
    return {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}


def assert_same_grads(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name, value in want.items():
        torch.testing.assert_close(got[name], value, atol=ATOL, rtol=RTOL, msg=name)


# ----------------------------------------------------------------------------- pure math
@pytest.mark.parametrize("block_elements", [1 << 22, 18])
def test_token_logp_entropy_gradient_is_exact(block_elements, monkeypatch):
    """The hand-written backward against finite differences (float64), with and without entropy;
    in one row block, and in blocks of 2 rows that do not divide the 5 rows."""
    monkeypatch.setattr(forward_module, "_BLOCK_ELEMENTS", block_elements)
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(5, 9, dtype=torch.float64, generator=gen, requires_grad=True)
    labels = torch.randint(0, 9, (5,), generator=gen)
    torch.autograd.gradcheck(lambda z: token_logp_entropy(z, labels, True), (logits,))
    torch.autograd.gradcheck(lambda z: token_logp_entropy(z, labels, False)[0], (logits,))
    torch.autograd.gradcheck(lambda z: token_logp_entropy(z, labels, True)[1], (logits,))


def test_token_logp_entropy_values():
    logits = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, math.log(3.0), -1e9, -1e9]])
    logp, entropy = token_logp_entropy(logits, torch.tensor([2, 1]), with_entropy=True)
    torch.testing.assert_close(logp, torch.tensor([math.log(0.25), math.log(0.75)]))
    want = torch.tensor([math.log(4), 0.25 * math.log(4) + 0.75 * math.log(4 / 3)])
    torch.testing.assert_close(entropy, want)


# ----------------------------------------------------------------------------- the forward pass
@pytest.mark.parametrize(
    "chunk_size,temperature,block_rows", [(5, 1.0, None), (7, 0.7, 3), (1, 1.3, None), (4096, 1.0, 4)]
)
def test_logp_entropy_and_gradients_match_full_logits(tiny, chunk_size, temperature, block_rows, monkeypatch):
    """Uneven masks; 5 and 7 do not divide the 27 scored positions; 4096 is one chunk. ``block_rows``:
    the log-softmax's row blocks inside a chunk (default: the whole chunk at this vocabulary)."""
    if block_rows is not None:
        monkeypatch.setattr(forward_module, "_BLOCK_ELEMENTS", block_rows * tiny.config.vocab_size)
    ids, attention, mask = uneven_batch(tiny.config.vocab_size)
    weights = torch.randn(mask.shape, generator=torch.Generator().manual_seed(1))
    results = []
    for forward in (reference_forward, policy_forward):
        model = copy.deepcopy(tiny)
        out = forward(
            model,
            ids,
            attention,
            loss_mask=mask,
            temperature=temperature,
            with_entropy=True,
            with_hidden=True,
            chunk_size=chunk_size,
        )
        # any differentiable function of both: a weighted sum over the scored positions
        loss = ((out.logp + 0.3 * out.entropy) * weights * mask).sum() + out.hidden.square().mean()
        loss.backward()
        results.append((out, loss.detach(), grads_of(model)))
    (want, want_loss, want_grads), (got, got_loss, got_grads) = results
    scored = mask.bool()
    torch.testing.assert_close(got.logp[scored], want.logp[scored], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got.entropy[scored], want.entropy[scored], atol=ATOL, rtol=RTOL)
    assert torch.count_nonzero(got.logp[~scored]) == 0 and torch.count_nonzero(got.entropy[~scored]) == 0
    torch.testing.assert_close(got.hidden, want.hidden, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got_loss, want_loss, atol=ATOL, rtol=RTOL)
    assert_same_grads(got_grads, want_grads)


def test_detached_entropy_passes_no_gradient(tiny):
    ids, attention, mask = uneven_batch(tiny.config.vocab_size)
    grads = []
    for with_entropy in (False, True):
        model = copy.deepcopy(tiny)
        out = policy_forward(
            model, ids, attention, loss_mask=mask, with_entropy=with_entropy, entropy_grad=False, chunk_size=6
        )
        assert (out.entropy is not None) == with_entropy
        loss = (out.logp * mask).sum() + (0.0 if out.entropy is None else (out.entropy * mask).sum())
        loss.backward()
        grads.append(grads_of(model))
    assert_same_grads(grads[1], grads[0])


def test_logits_never_exceed_one_chunk(tiny):
    """The LM head only ever sees (chunk, H) inputs: no (B, T, V) tensor, forward or backward."""
    ids, attention, mask = uneven_batch(tiny.config.vocab_size)
    model = copy.deepcopy(tiny)
    shapes = []
    handle = model.lm_head.register_forward_hook(lambda module, inputs, output: shapes.append(output.shape))
    try:
        out = policy_forward(model, ids, attention, loss_mask=mask, with_entropy=True, chunk_size=8)
        (out.logp.sum() + out.entropy.sum()).backward()
    finally:
        handle.remove()
    assert shapes and all(len(s) == 2 and s[0] <= 8 for s in shapes)
    assert sum(s[0] for s in shapes) == 2 * int(mask.sum())  # forward + recompute in the backward


def test_no_policy_tokens_still_backpropagates(tiny):
    """A micro-batch without policy tokens has a zero loss that backward() accepts."""
    ids, attention, mask = uneven_batch(tiny.config.vocab_size)
    model = copy.deepcopy(tiny)
    out = policy_forward(model, ids, attention, loss_mask=torch.zeros_like(mask), with_entropy=True)
    loss = out.logp.sum() + out.entropy.sum()
    loss.backward()
    assert loss.item() == 0.0
    assert all(torch.count_nonzero(g) == 0 for g in grads_of(model).values())


def test_lora_model_matches_full_logits(tiny):
    peft = pytest.importorskip("peft")
    ids, attention, mask = uneven_batch(tiny.config.vocab_size)
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    base = peft.get_peft_model(copy.deepcopy(tiny), config)
    with torch.no_grad():  # non-zero adapters, so that they change the log-probs
        for name, parameter in base.named_parameters():
            if "lora_B" in name:
                parameter.normal_(std=0.1, generator=torch.Generator().manual_seed(2))
    results = []
    for forward in (reference_forward, policy_forward):
        model = copy.deepcopy(base)
        out = forward(model, ids, attention, loss_mask=mask, with_entropy=True, chunk_size=5)
        ((out.logp - 0.1 * out.entropy) * mask).sum().backward()
        with torch.no_grad(), model.disable_adapter():  # the KL reference: adapters off
            plain = forward(model, ids, attention, loss_mask=mask, chunk_size=5).logp
        results.append((out.logp.detach(), plain, grads_of(model)))
    (want, want_plain, want_grads), (got, got_plain, got_grads) = results
    scored = mask.bool()
    torch.testing.assert_close(got[scored], want[scored], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got_plain[scored], want_plain[scored], atol=ATOL, rtol=RTOL)
    assert not torch.allclose(got[scored], got_plain[scored])
    assert got_grads and all("lora_" in name for name in got_grads)
    assert_same_grads(got_grads, want_grads)


# ----------------------------------------------------------------------------- PPO / GRPO losses
def make_config(algo: str, kl_coef: float = 0.05, **optim) -> TrainConfig:
    return TrainConfig(
        algo=algo,
        optim=OptimSettings(actor_lr=1e-3, critic_lr=1e-3, **optim),
        loss=LossSettings(entropy_coef=0.01, kl_coef=kl_coef),
        ppo=PPOSettings(critic="value_head"),
        rollout=RolloutSettings(temperature=0.8),
    )


def algorithm_loss(tiny, algo: str, forward, critic_kind: str = "value_head", **optim):
    """(loss, stats, prepared old log-probs, grads of policy and critic) of one micro-batch."""
    model = copy.deepcopy(tiny)
    reference = copy.deepcopy(tiny).requires_grad_(False)
    with torch.no_grad():  # a reference that differs from the policy, so that the KL term is not 0
        for parameter in reference.parameters():
            parameter.add_(0.01 * torch.randn(parameter.shape, generator=torch.Generator().manual_seed(3)))
    config = make_config(algo, **optim)
    torch.manual_seed(0)  # the same value-head initialisation in every call
    critic = build_critic(critic_kind, model) if algo == "ppo" else None
    algorithm = PPO(model, critic, config, reference) if critic else GRPO(model, config, reference)
    batch = synthetic_batch(model.config.vocab_size, n=6)
    original = algorithm_module.policy_forward
    algorithm_module.policy_forward = forward
    try:
        prepared = algorithm.prepare(batch)
        loss, stats = algorithm.loss(prepared, float(batch.loss_mask.sum()))
        loss.backward()
    finally:
        algorithm_module.policy_forward = original
    grads = grads_of(model)
    if critic is not None:
        grads.update({f"critic.{n}": g for n, g in grads_of(critic).items()})
    return loss.detach(), stats, prepared, grads


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_losses_and_gradients_match_full_logits(tiny, algo):
    want_loss, want_stats, want_prep, want_grads = algorithm_loss(tiny, algo, reference_forward)
    got_loss, got_stats, got_prep, got_grads = algorithm_loss(
        tiny, algo, policy_forward, logprob_chunk_size=7
    )
    mask = want_prep.batch.loss_mask.bool()
    torch.testing.assert_close(got_prep.old_logp[mask], want_prep.old_logp[mask], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got_prep.ref_logp[mask], want_prep.ref_logp[mask], atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got_prep.advantages, want_prep.advantages, atol=ATOL, rtol=RTOL)
    torch.testing.assert_close(got_loss, want_loss, atol=ATOL, rtol=RTOL)
    assert got_stats.keys() == want_stats.keys()
    for key, value in want_stats.items():
        torch.testing.assert_close(got_stats[key], value, atol=ATOL, rtol=RTOL, msg=key)
    assert_same_grads(got_grads, want_grads)


@pytest.mark.parametrize("algo,critic", [("grpo", None), ("ppo", "value_head"), ("ppo", "separate")])
def test_activation_checkpointing_gives_the_same_gradients(tiny, algo, critic, monkeypatch):
    """Same gradients; every trained decoder (policy, separate critic) recomputes its layers once."""
    calls = []
    mlp = type(tiny.model.layers[0].mlp)
    forward = mlp.forward
    monkeypatch.setattr(mlp, "forward", lambda self, *a, **k: calls.append(self) or forward(self, *a, **k))
    kind = critic or "value_head"
    _, _, _, want = algorithm_loss(tiny, algo, policy_forward, kind, logprob_chunk_size=7)
    plain_calls = len(calls)
    calls.clear()
    _, _, _, got = algorithm_loss(
        tiny, algo, policy_forward, kind, logprob_chunk_size=7, gradient_checkpointing=True
    )
    assert_same_grads(got, want)
    trained_decoders = 2 if critic == "separate" else 1
    assert len(calls) == plain_calls + trained_decoders * tiny.config.num_hidden_layers


def test_masked_positions_get_exactly_zero_hidden_gradient(tiny):
    """GRPO and PPO (value head): nothing flows back from positions the policy did not sample."""
    for algo in ("grpo", "ppo"):
        model = copy.deepcopy(tiny)
        config = make_config(algo, kl_coef=0.0, logprob_chunk_size=5)
        algorithm = (
            PPO(model, build_critic("value_head", model), config) if algo == "ppo" else GRPO(model, config)
        )
        batch = synthetic_batch(model.config.vocab_size, n=4, group_size=2)
        prepared = algorithm.prepare(batch)
        captured: list[torch.Tensor] = []

        def keep_hidden(module, inputs, output, captured=captured):
            output.last_hidden_state.retain_grad()
            captured.append(output.last_hidden_state)

        handle = model.model.register_forward_hook(keep_hidden)
        try:
            loss, _ = algorithm.loss(prepared, float(batch.loss_mask.sum()))
            loss.backward()
        finally:
            handle.remove()
        grad = captured[-1].grad  # (B, T, H); position i scores token i + 1
        scored = torch.zeros(grad.shape[:2], dtype=torch.bool)
        scored[:, :-1] = batch.loss_mask.bool()
        assert torch.count_nonzero(grad[~scored]) == 0
        assert torch.count_nonzero(grad[scored].abs().sum(-1)) == int(scored.sum())


def test_entropy_skipped_when_unweighted_and_not_logged(tiny):
    model = copy.deepcopy(tiny)
    config = replace(make_config("grpo"), loss=LossSettings(entropy_coef=0.0, log_entropy=False))
    algorithm = GRPO(model, config)
    batch = synthetic_batch(model.config.vocab_size, n=4, group_size=2)
    assert algorithm.policy_scores(model, batch, for_loss=True).entropy is None
    stats = algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
    assert "losses/entropy" not in stats and "losses/policy" in stats
    logged = GRPO(copy.deepcopy(tiny), replace(config, loss=LossSettings(entropy_coef=0.0)))
    assert "losses/entropy" in logged.update(logged.prepare(batch), torch.Generator().manual_seed(0))


def test_chunk_size_must_be_positive():
    with pytest.raises(ConfigValueError, match="optim.logprob_chunk_size"):
        OptimSettings(logprob_chunk_size=0)
