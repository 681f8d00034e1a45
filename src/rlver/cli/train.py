"""``rlver train``: PPO or GRPO against a simulated user, from a YAML config plus overriding flags.

rlver train --config configs/tiny-grpo.yaml
rlver train --config configs/tiny-ppo.yaml --steps 50 --out runs/ppo --think
rlver train --out runs/ppo --resume            # continue from the latest checkpoint of runs/ppo
rlver train --config configs/paper/native-grpo.yaml --policy hf:/models/Qwen2.5-7B-Instruct --dry-run --gpu-memory 80
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Optional

import typer

from rlver.cli._common import cli_errors, console, run_async
from rlver.cli._specs import SIMULATOR_SPECS, EndpointOptions, hf_model_path, key_env_help, make_simulator
from rlver.errors import ConfigError
from rlver.simulator.presets import PRESETS

__all__ = ["register", "build_config"]


def build_config(config_path: Optional[Path], overrides: dict[str, Any], *, resume: bool):
    """The run's config: ``--config`` (or, when resuming without one, ``OUT/config.yaml``) plus flags."""
    from rlver.rl.config import TrainConfig
    from rlver.rl.config_io import apply_overrides, load_config

    if config_path is None and resume and overrides.get("out_dir"):
        saved = Path(overrides["out_dir"]) / "config.yaml"
        if saved.is_file():
            config_path = saved
    if config_path is not None:
        return load_config(config_path, overrides)
    return apply_overrides(TrainConfig(), overrides)


def _check_out_dir(out_dir: Path, resume: bool) -> None:
    if resume:
        return
    if (out_dir / "metrics.jsonl").exists() or (out_dir / "checkpoints").exists():
        raise ConfigError(
            f"{out_dir} already holds a training run; pass --resume to continue it or choose another --out"
        )


def register(app: typer.Typer) -> None:
    @app.command("train")
    @cli_errors
    def train(
        config: Optional[Path] = typer.Option(
            None,
            "--config",
            "-c",
            help="YAML config (configs/tiny-*.yaml: tiny CPU runs; configs/paper/: the paper's 7B recipes).",
        ),
        algo: Optional[str] = typer.Option(None, help="ppo or grpo."),
        policy: Optional[str] = typer.Option(None, help="Policy to train: hf:PATH or builtin:tiny."),
        simulator: Optional[str] = typer.Option(None, help=f"Simulated user: {SIMULATOR_SPECS}."),
        simulator_base_url: Optional[str] = typer.Option(
            None, help="Simulator endpoint base URL (openai:MODEL)."
        ),
        simulator_key_env: Optional[str] = typer.Option(None, help=key_env_help("simulator")),
        simulator_api_key_env: Optional[str] = typer.Option(
            None, "--simulator-api-key-env", hidden=True, help="Old spelling of --simulator-key-env."
        ),
        simulator_cache_dir: Optional[str] = typer.Option(None, help="On-disk cache of simulator responses."),
        preset: Optional[str] = typer.Option(None, help=f"Simulator preset: {', '.join(PRESETS)}."),
        profiles: Optional[str] = typer.Option(None, help="Training profiles: a file or builtin:NAME."),
        steps: Optional[int] = typer.Option(None, help="RL steps."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Run directory."),
        seed: Optional[int] = typer.Option(None, help="Seed."),
        think: Optional[bool] = typer.Option(None, "--think/--no-think", help="Think-then-say policy."),
        profiles_per_step: Optional[int] = typer.Option(None, help="Profiles per step (paper: 32)."),
        group_size: Optional[int] = typer.Option(None, help="Dialogues per profile (GRPO default 4, PPO 1)."),
        max_turns: Optional[int] = typer.Option(
            None, help="Policy replies per dialogue (default: the preset's)."
        ),
        actor_lr: Optional[float] = typer.Option(None, help="Policy learning rate."),
        temperature: Optional[float] = typer.Option(None, help="Policy sampling temperature (rollout.temperature)."),
        top_p: Optional[float] = typer.Option(None, help="Policy nucleus sampling mass (rollout.top_p)."),
        max_new_tokens: Optional[int] = typer.Option(None, help="Most tokens per policy reply (rollout.max_new_tokens)."),
        resume: bool = typer.Option(False, "--resume", help="Continue from the latest checkpoint in --out."),
        resume_from: Optional[Path] = typer.Option(None, help="Continue from this checkpoint folder."),
        device: Optional[str] = typer.Option(
            None, help="cpu, cuda, cuda:1 ... (default: cuda if available)."
        ),
        progress: Optional[bool] = typer.Option(
            None, "--progress/--no-progress", help="Show a progress bar."
        ),
        preflight: bool = typer.Option(
            True, "--preflight/--no-preflight", help="Ask the simulator endpoint once before loading the model."
        ),
        dry_run: bool = typer.Option(
            False,
            "--dry-run",
            help="Print the memory plan (from the model's config.json only: no weights, no endpoint) and the "
            "largest batch that fits --gpu-memory; exit 2 when the run would not fit.",
        ),
        gpu_memory: Optional[float] = typer.Option(
            None, help="GiB of the GPU --dry-run plans for (80 for an 80 GB A100/H100; default: the visible GPU's)."
        ),
    ) -> None:
        """Train a policy with PPO or GRPO against the simulated user; final emotion / 100 is the reward."""
        overrides: dict[str, Any] = {
            "algo": algo,
            "policy": policy,
            "simulator": simulator,
            "preset": preset,
            "profiles": profiles,
            "steps": steps,
            "out_dir": str(out) if out is not None else None,
            "seed": seed,
            "rollout.think": think,
            "rollout.profiles_per_step": profiles_per_step,
            "rollout.group_size": group_size,
            "rollout.max_turns": max_turns,
            "optim.actor_lr": actor_lr,
            "rollout.temperature": temperature,
            "rollout.top_p": top_p,
            "rollout.max_new_tokens": max_new_tokens,
            "logging.progress": progress,
        }
        resuming = resume or resume_from is not None
        cfg = build_config(config, overrides, resume=resuming)
        if dry_run:  # arithmetic on config.json: nothing is loaded, called or written
            from rlver.cli._dry_run import print_memory_plan

            print_memory_plan(cfg, device=device, gpu_memory=gpu_memory)
            return
        out_dir = Path(cfg.out_dir)
        _check_out_dir(out_dir, resuming)

        from transformers.utils import logging as hf_logging

        from rlver.models.loading import load_pretrained
        from rlver.profiles.io import load_profiles
        from rlver.integrations.distributed import DistributedTrainer, init_distributed, is_distributed
        from rlver.rl.trainer import Trainer

        if is_distributed():  # one process per device; each rank trains on its own share of groups
            _, _, rank_device = init_distributed()
            device = device or str(rank_device)
        hf_logging.disable_progress_bar()  # our own bar shows training progress; theirs would interleave

        endpoint = EndpointOptions(
            base_url=simulator_base_url,
            api_key_env=simulator_key_env or simulator_api_key_env,
            cache_dir=simulator_cache_dir,
            seed=cfg.seed,
        )
        sim = make_simulator(cfg.simulator, endpoint)
        if preflight:  # before minutes of model loading, not after
            run_async(lambda: asyncio.sleep(0), sim, preflight=True)
        model_path = hf_model_path(cfg.policy)
        # Full fine-tuning keeps float32 master weights (bf16 is used through autocast); LoRA trains
        # adapters on a base model that may stay in bf16.
        model, tokenizer = load_pretrained(
            model_path, device=device, dtype="auto" if cfg.lora.enabled else "float32"
        )
        training_profiles = load_profiles(cfg.profiles)
        trainer_class = Trainer
        if is_distributed():  # launched by `accelerate launch` / torchrun: one rank per process
            trainer_class = DistributedTrainer
        trainer = trainer_class(cfg, model, tokenizer, sim, training_profiles)
        if resuming:
            start = trainer.resume(resume_from)
            console.print(f"resumed from step {start}", highlight=False)
        rows = trainer.train()
        last = rows[-1] if rows else {}
        latest = trainer.checkpoints.latest()
        reward = last.get("reward/mean")
        console.print(
            f"[bold]done:[/] {cfg.algo} step {trainer.step}/{cfg.steps}"
            + (f", reward {reward:.3f}" if reward is not None else "")
            + f"; metrics {out_dir / 'metrics.jsonl'}"
            + (f"; checkpoint {latest}" if latest else ""),
            highlight=False,
        )
