"""The dry-run's memory estimate against measured peaks: one PPO / GRPO update on tiny models, CPU.

For each configuration (model size, vocabulary, algorithm, precision, LoRA, activation
checkpointing) a fresh process builds a Qwen2 model from a config (rlver.models.tiny's shapes,
random weights), runs one update (``prepare`` + one epoch of two mini-batches, so that the second
backward runs with AdamW's moments allocated, as every later step does) on a synthetic batch of
``--batch`` dialogues of ``--length`` tokens, and reports its peak RSS (VmHWM). The baseline is a
fresh process that runs the same code on a negligible model (one layer of width 8, a vocabulary of
64, one dialogue of 16 tokens): the interpreter, torch, transformers and the code paths' own
buffers, which live in host memory on a GPU and are not part of a device plan. It is subtracted.

Each process runs twice. ``live``: with ``MALLOC_MMAP_THRESHOLD_=65536`` every block above 64 KB
is its own mapping, returned to the system when freed, so the peak RSS is the peak of live tensors
(what a GPU's ``torch.cuda.max_memory_allocated`` reports, and what the plan counts). ``glibc``:
the default allocator, which keeps freed blocks for reuse; its extra RSS is the CPU's analogue of
the caching allocator's reserved-but-free memory.

The estimate is :func:`rlver.rl.memory_plan.plan_memory`'s ``update_peak`` for the same config on
``cpu`` (weights, gradients, AdamW, critic, activations, backward workspace, attention masks,
log-prob chunk). Goal: every estimate within 25% of the ``live`` measurement.

    .venv/bin/python benchmarks/memory_plan_check.py [--batch 4] [--length 1024] [--threads 1]

Writes benchmarks/results/memory_plan_check.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_result

GOAL = 0.25
"""Largest allowed |estimate / measured - 1|."""


@dataclass(frozen=True)
class Case:
    """One measured configuration."""

    size: str
    """rlver.models.tiny.MODEL_SHAPES key."""
    vocab: int
    """Vocabulary size."""
    algo: str
    """grpo, ppo (separate critic) or ppo-head (value-head critic)."""
    precision: str = "fp32"
    """optim.precision: fp32, or bf16 (autocast on the fp32 weights)."""
    lora: bool = False
    """LoRA (r 16, every projection) instead of full fine-tuning."""
    checkpointing: bool = False
    """optim.gradient_checkpointing."""

    @property
    def name(self) -> str:
        extras = [self.precision] + (["lora"] if self.lora else []) + (["ckpt"] if self.checkpointing else [])
        return f"{self.algo} {self.size} V={self.vocab} {'+'.join(extras)}"


CASES = (
    Case("tiny", 4096, "grpo"),
    Case("small", 2671, "grpo"),
    Case("small", 49152, "grpo"),
    Case("small", 151936, "grpo"),
    Case("small", 151936, "grpo", precision="bf16"),
    Case("medium", 32768, "grpo"),
    Case("medium", 32768, "grpo", checkpointing=True),
    Case("medium", 32768, "grpo", lora=True),
    Case("small", 49152, "ppo"),
    Case("small", 151936, "ppo-head"),
    Case("medium", 32768, "ppo", precision="bf16", checkpointing=True),
)


BASELINE = Case("negligible", 64, "grpo")
"""The baseline's model: nothing in it scales with a real model."""


def train_config(case: Case, batch: int, length: int):
    from rlver.rl.config import LoRASettings, OptimSettings, PPOSettings, RolloutSettings, TrainConfig

    algo = "grpo" if case.algo == "grpo" else "ppo"
    return TrainConfig(
        algo=algo,
        rollout=RolloutSettings(profiles_per_step=batch // 4 if algo == "grpo" else batch, max_length=length),
        optim=OptimSettings(
            actor_lr=1e-6,
            critic_lr=1e-6,
            precision=case.precision,
            minibatch_size=batch // 2,
            gradient_checkpointing=case.checkpointing,
        ),
        ppo=PPOSettings(critic="value_head" if case.algo == "ppo-head" else "separate"),
        lora=LoRASettings(enabled=case.lora),
    )


def model_shape(case: Case):
    from rlver.models.tiny import MODEL_SHAPES, TinyModelShape
    from rlver.rl.model_bytes import ModelShape

    shape = MODEL_SHAPES[case.size] if case.size in MODEL_SHAPES else TinyModelShape(8, 16, 1, 2, 1)
    return ModelShape(
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_layers=shape.num_hidden_layers,
        num_heads=shape.num_attention_heads,
        num_kv_heads=shape.num_key_value_heads,
        head_dim=shape.hidden_size // shape.num_attention_heads,
        vocab_size=case.vocab,
        tie_word_embeddings=True,
        qkv_bias=True,
    )


def rss_mb(field: str) -> float:
    """``VmHWM`` (peak) or ``VmRSS`` (now) of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def import_everything() -> None:
    """What a probe imports, so that the baseline process pays the same."""
    import torch  # noqa: F401
    import transformers  # noqa: F401
    from transformers import Qwen2ForCausalLM  # noqa: F401

    import rlver.rl.grpo
    import rlver.rl.lora
    import rlver.rl.ppo
    import rlver.rl.value  # noqa: F401

    try:
        import peft  # noqa: F401
    except ImportError:
        pass  # LoRA cases fail with a clear message when they run


def synthetic_batch(vocab: int, n: int, length: int):
    """``n`` full-length dialogues, alternating user and policy turns of length / 8 tokens."""
    import torch

    from rlver.rl.batch import RolloutBatch

    gen = torch.Generator().manual_seed(0)
    turn = torch.tensor([0] * (length // 8) + [1] * (length // 8), dtype=torch.float32)
    mask = turn.repeat(4)[:length].expand(n, length)  # (n, T): 1 on policy tokens
    attention = torch.ones(n, length, dtype=torch.long)
    attention[-1, -7:] = 0  # one dialogue is shorter: the batch has a padding mask, as real batches do
    rewards = torch.rand(n, generator=gen)
    token_rewards = torch.zeros(n, length - 1)
    token_rewards[:, -1] = rewards
    return RolloutBatch(
        input_ids=torch.randint(1, vocab, (n, length), generator=gen),
        attention_mask=attention,
        loss_mask=(mask[:, 1:] * attention[:, 1:]).contiguous(),
        sampled_logprobs=torch.zeros(n, length - 1),
        token_rewards=token_rewards,
        rewards=rewards,
        groups=torch.arange(n) // 4,
        episode_ids=tuple(f"e{i}" for i in range(n)),
    )


def probe(case: Case, batch: int, length: int) -> dict:
    """In a fresh process: build, run one update, report the peak."""
    import torch
    from rlver.models.tiny import random_qwen2

    from rlver.rl.grpo import GRPO
    from rlver.rl.lora import apply_lora, apply_lora_to_critic
    from rlver.rl.ppo import PPO
    from rlver.rl.value import build_critic

    shape = model_shape(case)
    config = train_config(case, batch, length)
    model = random_qwen2(
        shape.vocab_size,
        hidden_size=shape.hidden_size,
        intermediate_size=shape.intermediate_size,
        num_layers=shape.num_layers,
        num_heads=shape.num_heads,
        num_kv_heads=shape.num_kv_heads,
    )
    critic = build_critic(config.ppo.critic, model) if config.algo == "ppo" else None
    if case.lora:
        model = apply_lora(model, config.lora)
        critic = apply_lora_to_critic(critic, config.lora) if critic is not None else None
    algorithm = PPO(model, critic, config) if critic is not None else GRPO(model, config)
    data = synthetic_batch(shape.vocab_size, batch, length)
    start = time.perf_counter()
    algorithm.update(algorithm.prepare(data), torch.Generator().manual_seed(0))
    return {"peak_mb": rss_mb("VmHWM"), "seconds": time.perf_counter() - start}


def estimate_mb(case: Case, batch: int, length: int) -> dict:
    from rlver.rl.memory_plan import plan_memory

    plan = plan_memory(train_config(case, batch, length), model_shape(case), device_type="cpu")
    mb = 1024 * 1024
    return {
        "estimate_mb": plan.update_peak(plan.micro_batch) / mb,
        "persistent_mb": plan.persistent / mb,
        "activations_mb": plan.activations / mb,
        "micro_batch": plan.micro_batch,
    }


ALLOCATORS = {"live": {"MALLOC_MMAP_THRESHOLD_": "65536"}, "glibc": {}}
"""Environment of each measurement (see the module docstring)."""


def run(args, allocator: str, *extra: str) -> dict:
    command = [sys.executable, __file__, "--threads", str(args.threads), *extra]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")} | ALLOCATORS[allocator]
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4, help="dialogues in the update (two mini-batches)")
    parser.add_argument("--length", type=int, default=1024, help="tokens per dialogue")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--probe", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import_everything()
    import torch

    torch.set_num_threads(args.threads)
    if args.baseline:
        print(json.dumps(probe(BASELINE, 4, 16)))
        return
    if args.probe is not None:
        print(json.dumps(probe(CASES[args.probe], args.batch, args.length)))
        return

    baselines = {name: min(run(args, name, "--baseline")["peak_mb"] for _ in range(3)) for name in ALLOCATORS}
    results = []
    for index, case in enumerate(CASES):
        estimate = estimate_mb(case, args.batch, args.length)
        row = {"case": case.name, **case.__dict__, **estimate}
        for name in ALLOCATORS:
            measured = run(
                args, name, "--probe", str(index), "--batch", str(args.batch), "--length", str(args.length)
            )
            row[f"{name}_mb"] = measured["peak_mb"] - baselines[name]
            row[f"{name}_process_peak_mb"] = measured["peak_mb"]
            row[f"{name}_error"] = estimate["estimate_mb"] / row[f"{name}_mb"] - 1
            row["seconds"] = measured["seconds"]
        results.append(row)
        print(
            f"{case.name}: estimate {row['estimate_mb']:.0f} MB, live {row['live_mb']:.0f} MB "
            f"({row['live_error']:+.1%}), glibc {row['glibc_mb']:.0f} MB ({row['glibc_error']:+.1%})",
            flush=True,
        )
    print_table(
        f"one update, {args.batch} dialogues x {args.length} tokens, CPU: dry-run estimate vs peak RSS minus the "
        f"baseline (live {baselines['live']:.0f} MB, glibc {baselines['glibc']:.0f} MB)",
        ["case", "estimate MB", "live MB", "error", "glibc MB", "error", "of which activations MB"],
        [
            [
                r["case"],
                f"{r['estimate_mb']:.0f}",
                f"{r['live_mb']:.0f}",
                f"{r['live_error']:+.1%}",
                f"{r['glibc_mb']:.0f}",
                f"{r['glibc_error']:+.1%}",
                f"{r['activations_mb']:.0f}",
            ]
            for r in results
        ],
    )
    worst = max(abs(r["live_error"]) for r in results)
    path = write_result(
        "memory_plan_check",
        {
            "batch": args.batch,
            "length": args.length,
            "threads": args.threads,
            "baseline_mb": baselines,
            "goal": f"|estimate / measured - 1| <= {GOAL}",
            "worst_error": worst,
            "within_goal": worst <= GOAL,
            "note": (
                "live_mb / glibc_mb: peak RSS (VmHWM) of a fresh process that builds the model and runs one "
                "update (prepare + one epoch of two mini-batches), minus baseline_mb, the peak of a fresh process "
                "running the same code on a negligible model (min of 3); live: MALLOC_MMAP_THRESHOLD_=65536 "
                "(freed blocks go back at once: the peak of live tensors), glibc: the default allocator (keeps "
                "freed blocks). estimate_mb: rlver.rl.memory_plan's update_peak for the same config on cpu. "
                "worst_error and within_goal are over live. Models: rlver.models.tiny shapes, tied embeddings."
            ),
            "results": results,
        },
    )
    print(
        f"worst error (live) {worst:.1%} ({'within' if worst <= GOAL else 'OUTSIDE'} {GOAL:.0%}); wrote {path}"
    )


if __name__ == "__main__":
    main()
