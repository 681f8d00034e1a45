"""The memory plan's arithmetic against hand-computed values, and its activation count against the
tensors autograd actually saves in a Qwen2 decoder layer."""

from __future__ import annotations

import contextlib
import json
import math

import pytest
import torch
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.errors import ConfigError
from rlver.rl.config import TrainConfig
from rlver.rl.config_io import apply_overrides
from rlver.rl.memory_plan import CUDA_CONTEXT_BYTES, GIB, check_fit, plan_memory, require_fit, usable_bytes
from rlver.rl.model_bytes import (
    ModelShape,
    decoder_layer_parameters,
    kv_cache_bytes,
    layer_activation_bytes,
    logprob_chunk_bytes,
    lora_parameter_count,
    parameter_count,
    read_model_shape,
)

QWEN25_7B = ModelShape(
    hidden_size=3584,
    intermediate_size=18944,
    num_layers=28,
    num_heads=28,
    num_kv_heads=4,
    head_dim=128,
    vocab_size=152064,
    tie_word_embeddings=False,
    qkv_bias=True,
)
TINY = ModelShape(
    hidden_size=256,
    intermediate_size=1024,
    num_layers=4,
    num_heads=4,
    num_kv_heads=2,
    head_dim=64,
    vocab_size=1000,
    tie_word_embeddings=True,
    qkv_bias=True,
)
ALL_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def config(**overrides) -> TrainConfig:
    return apply_overrides(TrainConfig(), overrides)


# ------------------------------------------------------------------------------------ parameters
def test_qwen25_7b_parameter_count_is_the_published_one():
    # per layer: q 3584*3584 + 3584, k and v 3584*512 + 512 each, o 3584*3584, MLP 3 * 3584*18944,
    # two norms 2 * 3584 = 233,057,792; 28 layers + embedding and head 2 * 152064*3584 + final norm 3584
    assert decoder_layer_parameters(QWEN25_7B) == 233_057_792
    assert parameter_count(QWEN25_7B) == 28 * 233_057_792 + 2 * 152064 * 3584 + 3584 == 7_615_616_512


def test_lora_parameters_are_r_times_in_plus_out():
    # r * (in + out) per projection: q 7168, k 4096, v 4096, o 7168, gate 22528, up 22528, down 22528
    assert lora_parameter_count(QWEN25_7B, 16, ALL_TARGETS) == 28 * 16 * 90_112 == 40_370_176
    assert lora_parameter_count(QWEN25_7B, 8, ("q_proj", "v_proj")) == 28 * 8 * (7168 + 4096)
    assert lora_parameter_count(QWEN25_7B, 4, ("lm_head",)) == 4 * (3584 + 152064)
    assert lora_parameter_count(QWEN25_7B, 4, ("lm_head",), with_head=False) == 0
    with pytest.raises(ConfigError, match="qkv"):
        lora_parameter_count(QWEN25_7B, 4, ("qkv",))


# ------------------------------------------------------------------------------------ bytes
def test_kv_cache_and_logprob_chunk_bytes():
    assert kv_cache_bytes(28, 4, 128, 2, 1) == 28 * 2 * 4 * 128 * 2 == 57_344
    assert kv_cache_bytes(28, 4, 128, 2, 1000) == 57_344_000
    assert logprob_chunk_bytes(512, 151_936, 4) == 512 * 151_936 * 4 * 2 == 622_329_856
    # under bf16 autocast the bf16 gradient the head's matmul takes comes on top
    assert logprob_chunk_bytes(512, 151_936, 2) == 622_329_856 + 512 * 151_936 * 2


@pytest.mark.parametrize(
    ("compute", "weight", "lora", "expected"),
    [
        # fp32: norms 2 * (4h + 4h), attention 4 * 4h, MLP 3 * 4I, inputs qkv 4h + gate/up 4h + down 4I
        (4, 4, None, 2 * 2048 + 4096 + 12288 + 1024 + 1024 + 4096),
        # bf16 autocast on fp32 weights: every projection of an fp32 norm output saves its own bf16 copy
        (2, 4, None, 2 * 2048 + 2048 + 6144 + 3 * 512 + 2 * 512 + 2048),
        # LoRA, fp32: frozen norm weights keep only 4h; adapters' A outputs 4 * r each
        (4, 4, frozenset(ALL_TARGETS), 2 * 1024 + 4096 + 12288 + 1024 + 1024 + 4096 + 7 * 4 * 8),
        # LoRA on bf16 weights: peft casts each input to the fp32 adapter, autocast back: a copy each
        (2, 2, frozenset(ALL_TARGETS), 2 * 1024 + 2048 + 6144 + 3 * 512 + 2 * 512 + 512 + 2048 + 7 * 2 * 8),
    ],
    ids=["fp32", "bf16-autocast", "lora-fp32", "lora-bf16"],
)
def test_layer_activation_bytes_by_hand(compute, weight, lora, expected):
    got = layer_activation_bytes(
        TINY, compute_bytes=compute, weight_bytes=weight, lora_targets=lora, lora_r=8
    )
    assert got == expected


def _saved_bytes_per_token(mode: str) -> float:
    """Bytes per token of what autograd saves in decoder layer 1 of a tiny Qwen2, found with
    ``saved_tensors_hooks``. A prime token count tells activations (a multiple of it in size) from
    weight casts; the mask (B, 1, T, T) and the rotary tables (1, 1, T, d) are per forward, not per layer."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    batch, tokens = 2, 331
    cfg = Qwen2Config(
        vocab_size=TINY.vocab_size,
        hidden_size=256,
        intermediate_size=1024,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        tie_word_embeddings=True,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(cfg)
    if mode == "lora-bf16":
        model = model.to(torch.bfloat16)
    if mode.startswith("lora"):
        peft = pytest.importorskip("peft")
        lora = peft.LoraConfig(r=8, lora_alpha=16, target_modules=list(ALL_TARGETS), task_type="CAUSAL_LM")
        model = peft.get_peft_model(model, lora)
    ids = torch.randint(1, TINY.vocab_size, (batch, tokens))
    mask = torch.ones_like(ids)
    mask[1, -3:] = 0  # padding: a trainer batch of unequal dialogues has a mask
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        per_layer = (
            tensor.dim() >= 2 and tensor.shape[0] in (batch, batch * tokens) and tensor.numel() % tokens == 0
        )
        is_mask = tensor.dim() == 4 and tensor.shape[-1] == tensor.shape[-2] == tokens
        if per_layer and not is_mask:
            storage = tensor.untyped_storage()
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    layer = model.get_decoder().layers[1]
    forward = layer.forward

    def hooked(*args, **kwargs):
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            return forward(*args, **kwargs)

    layer.forward = hooked
    bf16 = mode in ("bf16-autocast", "lora-bf16")
    with torch.autocast("cpu", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
        model.get_decoder()(input_ids=ids, attention_mask=mask, use_cache=False)
    return sum(saved.values()) / (batch * tokens)


@pytest.mark.parametrize(
    ("mode", "compute", "weight", "lora"),
    [
        ("fp32", 4, 4, None),
        ("bf16-autocast", 2, 4, None),
        ("lora-fp32", 4, 4, frozenset(ALL_TARGETS)),
        ("lora-bf16", 2, 2, frozenset(ALL_TARGETS)),
    ],
)
def test_layer_activation_bytes_match_what_autograd_saves(mode, compute, weight, lora):
    expected = layer_activation_bytes(
        TINY, compute_bytes=compute, weight_bytes=weight, lora_targets=lora, lora_r=8
    )
    # within 1%: the formula leaves out the per-token scalars (RMSNorm's rsqrt, SDPA's logsumexp)
    assert _saved_bytes_per_token(mode) == pytest.approx(expected, rel=0.01)


# ------------------------------------------------------------------------------------ the plan
def test_full_finetuning_in_fp32_on_cpu():
    cfg = config(
        algo="grpo",
        **{
            "rollout.profiles_per_step": 8,
            "rollout.max_length": 100,
            "optim.minibatch_size": 16,
            "optim.grad_accumulation": 3,
        },
    )
    plan = plan_memory(cfg, TINY, device_type="cpu")
    p = parameter_count(TINY)
    assert (plan.weight_bytes, plan.compute_bytes) == (4, 4)
    assert (plan.weights, plan.gradients, plan.optimizer) == (4 * p, 4 * p, 8 * p)
    assert (plan.autocast_copies, plan.critic, plan.reference) == (0, 0, 0)
    assert plan.micro_batch == math.ceil(16 / 3) == 6
    assert plan.concurrency == 32  # 8 profiles x 4 < max_concurrent 64
    layer = layer_activation_bytes(TINY, compute_bytes=4, weight_bytes=4)
    # L layers + the final norm (4h + 4h) + the trunk output at the policy's positions (4h)
    assert plan.activations_per_token == 4 * layer + 8 * 256 + 4 * 256
    assert plan.workspace_per_token == layer
    assert plan.mask_per_dialogue == 100 * 100 * (4 * 4 + 1)  # an fp32 (T, T) mask per layer + the boolean
    assert plan.activations_per_dialogue == 100 * plan.activations_per_token + 170_000
    assert plan.workspace_per_dialogue == 100 * layer
    # with accumulation every gradient exists during the later micro-batches' backward
    assert plan.update_base == plan.persistent
    chunk = 512 * 1000 * 8  # (512, V) fp32 logits + gradient
    assert plan.logprob_chunk == chunk
    assert plan.update_peak(6) == plan.persistent + 6 * plan.activations_per_dialogue + max(
        chunk, 600 * layer
    )
    # without accumulation zero_grad(set_to_none) leaves only the head's (the tied embedding's) gradient
    single = plan_memory(config(algo="grpo", **{"rollout.max_length": 100}), TINY, device_type="cpu")
    assert single.update_base == single.persistent - 4 * p + 4 * 1000 * 256
    assert single.update_peak(1) == max(
        single.update_base + single.activations_per_dialogue + max(chunk, 100 * layer),
        single.persistent + 4 * p,  # the optimizer step: every gradient + one fp32 temporary a parameter
    )


def test_gradient_checkpointing_keeps_one_input_per_layer():
    cfg = config(algo="grpo", **{"optim.gradient_checkpointing": True})
    plan = plan_memory(cfg, TINY, device_type="cpu")
    layer = layer_activation_bytes(TINY, compute_bytes=4, weight_bytes=4)
    assert plan.activations_per_token == 4 * 4 * 256 + 8 * 256 + 4 * 256  # L inputs w*h + final norm + output
    assert plan.workspace_per_token == 2 * layer  # the recomputed layer and its gradients
    assert plan.mask_per_dialogue == 4096 * 4096 * (4 + 1)  # the recomputed layer's mask only


def test_lora_in_bf16_with_a_separate_critic_on_a_gpu():
    cfg = config(algo="ppo", **{"lora.enabled": True, "lora.r": 8})
    plan = plan_memory(cfg, TINY, device_type="cuda")
    p = parameter_count(TINY)
    adapters = lora_parameter_count(TINY, 8, ALL_TARGETS)
    head = 256 + 1
    assert (plan.weight_bytes, plan.compute_bytes) == (2, 2)
    assert plan.trainable == adapters
    assert plan.weights == 2 * p + 4 * adapters  # frozen bf16 base + fp32 adapters
    assert plan.gradients == 4 * adapters and plan.optimizer == 8 * adapters
    # the critic: a bf16 copy of the decoder (tied: every parameter) with its own adapters + an fp32 head
    assert plan.critic_parameters == p + adapters + head and plan.critic_trainable == adapters + head
    assert plan.critic == 2 * p + 16 * (adapters + head)
    assert plan.autocast_copies == 2 * (adapters + adapters + head)
    assert plan.reference == 0
    assert plan.mask_per_dialogue == 2 * 4096 * 4096 * (
        2 * 4 + 1
    )  # policy and critic, bf16 masks in 4 layers


def test_reference_model_only_with_kl_and_without_lora():
    assert plan_memory(
        config(**{"loss.kl_coef": 0.1}), TINY, device_type="cpu"
    ).reference == 4 * parameter_count(TINY)
    with_lora = config(**{"loss.kl_coef": 0.1, "lora.enabled": True})
    assert plan_memory(with_lora, TINY, device_type="cpu").reference == 0  # adapters off = the reference
    assert plan_memory(config(), TINY, device_type="cpu").reference == 0


def test_usable_bytes_leave_the_cuda_context_and_the_allocator_margin():
    assert usable_bytes(80 * GIB, "cuda") == int((80 * GIB - CUDA_CONTEXT_BYTES) / 1.05)
    assert usable_bytes(8 * GIB, "cpu") == int(8 * GIB / 1.05)


def test_largest_micro_batch_is_the_last_that_fits():
    cfg = config(algo="grpo", **{"rollout.max_length": 512, "optim.minibatch_size": 4})
    plan = plan_memory(cfg, TINY, device_type="cpu")
    budget = 2 * GIB
    check = check_fit(plan, budget)
    usable = int(budget / 1.05)
    room = usable - plan.update_base
    expected = min(
        (room - plan.logprob_chunk) // plan.activations_per_dialogue,
        room // (plan.activations_per_dialogue + plan.workspace_per_dialogue),
    )
    assert check.largest_micro_batch == expected
    assert plan.update_peak(expected) <= usable < plan.update_peak(expected + 1)
    assert check.largest_concurrency == (usable - plan.persistent) // plan.rollout_per_dialogue
    assert check.fits
    require_fit(plan, check, cfg)  # no error


def test_a_7b_full_finetune_is_refused_with_the_ways_out():
    cfg = config(algo="grpo")
    plan = plan_memory(cfg, QWEN25_7B)
    check = check_fit(plan, 80 * GIB)
    # 16 bytes a parameter + bf16 copies: 7.6e9 * 18 B = 128 GiB before a single activation
    assert plan.persistent == parameter_count(QWEN25_7B) * 18
    assert not check.fits and check.largest_micro_batch == 0
    with pytest.raises(ConfigError) as info:
        require_fit(plan, check, cfg)
    message = str(info.value)
    assert message.startswith("does not fit 80 GiB")
    for way in (
        "lora.enabled: true",
        "optim.gradient_checkpointing: true",
        "rlver export verl --recipe grpo",
    ):
        assert way in message


def test_a_batch_too_large_names_the_accumulation_that_fits():
    cfg = config(algo="grpo", **{"rollout.max_length": 512, "optim.minibatch_size": 32})
    plan = plan_memory(cfg, TINY, device_type="cpu")
    check = check_fit(plan, int(plan.update_peak(5) * 1.05) + 1)  # room for 5 dialogues
    assert check.largest_micro_batch == 5 and not check.fits
    with pytest.raises(ConfigError, match=r"optim.grad_accumulation: 7 \(micro-batches of 5 dialogues\)"):
        require_fit(plan, check, cfg)


# ------------------------------------------------------------------------------------ config.json
def test_read_model_shape(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "llama",
                "hidden_size": 576,
                "intermediate_size": 1536,
                "num_hidden_layers": 30,
                "num_attention_heads": 9,
                "num_key_value_heads": 3,
                "vocab_size": 49152,
                "tie_word_embeddings": True,
            }
        )
    )
    shape = read_model_shape(tmp_path)
    assert (shape.head_dim, shape.kv_dim, shape.qkv_bias, shape.tie_word_embeddings) == (64, 192, False, True)
    assert parameter_count(shape) == 134_515_008  # SmolLM2-135M


def test_read_model_shape_errors(tmp_path):
    with pytest.raises(ConfigError, match="config.json: no such file"):
        read_model_shape(tmp_path)
    (tmp_path / "config.json").write_text('{"hidden_size": 8}')
    with pytest.raises(ConfigError, match="missing or invalid intermediate_size"):
        read_model_shape(tmp_path)
    (tmp_path / "config.json").write_text("{")
    with pytest.raises(ConfigError, match="not a readable JSON"):
        read_model_shape(tmp_path)


# ------------------------------------------------------------------------------------ the CLI
runner = CliRunner()


def test_dry_run_prints_the_plan_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            "train",
            "--dry-run",
            "--device",
            "cpu",
            "--gpu-memory",
            "16",
            "--profiles-per-step",
            "2",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "memory plan of ppo" in result.output and "fits" in result.output
    assert not out.exists()


def test_dry_run_refuses_a_7b_full_finetune_on_80_gib(tmp_path):
    (tmp_path / "config.json").write_text(
        json.dumps(
            {
                "model_type": "qwen2",
                "hidden_size": 3584,
                "intermediate_size": 18944,
                "num_hidden_layers": 28,
                "num_attention_heads": 28,
                "num_key_value_heads": 4,
                "vocab_size": 152064,
                "tie_word_embeddings": False,
            }
        )
    )
    result = runner.invoke(
        app, ["train", "--dry-run", "--algo", "grpo", "--policy", f"hf:{tmp_path}", "--gpu-memory", "80"]
    )
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "does not fit 80 GiB" in errors[0] and "lora.enabled: true" in errors[0]
