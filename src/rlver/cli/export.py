"""``rlver export``: hand rlver's dialogues to other RL engines.

``rlver export verl --profiles builtin:train --out data/verl`` writes a verl dataset (parquet, or
JSONL without pyarrow), the agent-loop registry file and PPO / GRPO configs, then prints the launch
commands; ``--recipe grpo-think`` (ppo, grpo, ppo-think, grpo-think) writes one of the RLVER paper's
setups instead. See docs/scaling.md.
"""

from __future__ import annotations

import random
from dataclasses import replace

import typer

from rlver.cli._common import cli_errors, console
from rlver.cli._specs import key_env_help
from rlver.errors import ConfigError
from rlver.integrations.verl_export import (
    PAPER_RECIPES,
    VERL_VERSION,
    VerlExportSettings,
    export_verl,
    launch_commands,
)
from rlver.profiles.io import load_profiles
from rlver.simulator.presets import PRESETS

__all__ = ["export_app", "register"]

export_app = typer.Typer(name="export", help="Export datasets and configs for other RL engines (verl).",
                         no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``export`` command group to the ``rlver`` app."""
    app.add_typer(export_app, name="export")


@export_app.command("verl")
@cli_errors
def verl(
    profiles: str = typer.Option(..., "--profiles", help="Training profiles: a file or builtin:NAME."),
    out: str = typer.Option(..., "--out", help="Output directory for the dataset and configs."),
    recipe: str | None = typer.Option(
        None, "--recipe",
        help=f"One of the paper's setups ({', '.join(PAPER_RECIPES)}): Qwen2.5-7B-Instruct, DeepSeek-V3 simulator "
        "(key in DEEPSEEK_API_KEY), the paper's values; writes OUT/NAME.yaml. Flags given as well override it.",
    ),
    val_profiles: str | None = typer.Option(None, "--val-profiles", help="Validation profiles (file or builtin:NAME)."),
    val_fraction: float = typer.Option(0.0, "--val-fraction", min=0.0, max=0.5,
                                       help="Hold out this share of the training profiles for validation."),
    preset: str | None = typer.Option(None, "--preset", help=f"Simulator preset: {', '.join(PRESETS)} (default rlver)."),
    simulator: str | None = typer.Option(
        None, "--simulator", help="Simulated user: offline or openai:MODEL (default offline)."
    ),
    simulator_base_url: str | None = typer.Option(None, "--simulator-base-url",
                                                     help="Endpoint of an openai: simulator, e.g. http://sim:8000/v1."),
    simulator_key_env: str | None = typer.Option(None, "--simulator-key-env", help=key_env_help("simulator")),
    simulator_max_concurrency: int | None = typer.Option(
        None, "--simulator-max-concurrency", min=1, help="Simulator requests in flight per agent-loop worker (default 64)."
    ),
    model: str | None = typer.Option(
        None, "--model", help="Policy weights verl loads (path on the cluster; default Qwen/Qwen2.5-7B-Instruct)."
    ),
    max_turns: int | None = typer.Option(None, "--max-turns", min=1, help="Policy replies per dialogue (default 8)."),
    think: bool | None = typer.Option(None, "--think/--no-think", help="Think-then-say prompts and format check."),
    max_new_tokens: int | None = typer.Option(None, "--max-new-tokens", min=1,
                                              help="Most tokens per policy reply (default 512)."),
    max_response_length: int | None = typer.Option(
        None, "--max-response-length", min=1, help="verl data.max_response_length: all turns after the opening (default 8192)."
    ),
    train_batch_size: int | None = typer.Option(None, "--train-batch-size", min=1, help="Profiles per step (default 32)."),
    group_size: int | None = typer.Option(None, "--group-size", min=2, help="GRPO rollouts per profile (default 4)."),
    n_gpus_per_node: int | None = typer.Option(None, "--gpus-per-node", min=1, help="GPUs per node (default 8)."),
    nnodes: int | None = typer.Option(None, "--nnodes", min=1, help="Nodes in the Ray cluster (default 1)."),
    data_format: str = typer.Option("auto", "--format", help="Dataset format: auto (parquet if pyarrow), parquet, jsonl."),
    seed: int = typer.Option(0, "--seed", help="Seed of the validation split."),
) -> None:
    """Write a verl dataset + agent-loop file + PPO/GRPO configs (or one paper recipe's), and print the launch commands."""
    base = VerlExportSettings()
    configs = None
    if recipe is not None:
        if recipe not in PAPER_RECIPES:
            raise ConfigError(f"unknown recipe {recipe!r}; choose one of {', '.join(PAPER_RECIPES)}")
        base = PAPER_RECIPES[recipe].settings()
        configs = {recipe: PAPER_RECIPES[recipe].algo}
        if (simulator is not None or simulator_base_url is not None) and simulator_key_env is None:
            base = replace(base, simulator_key_env=None)  # DEEPSEEK_API_KEY belongs to DeepSeek's endpoint only
    given = {
        "model": model, "simulator": simulator, "simulator_base_url": simulator_base_url,
        "simulator_key_env": simulator_key_env, "simulator_max_concurrency": simulator_max_concurrency,
        "preset": preset, "max_turns": max_turns, "think": think, "max_new_tokens": max_new_tokens,
        "max_response_length": max_response_length, "train_batch_size": train_batch_size, "group_size": group_size,
        "n_gpus_per_node": n_gpus_per_node, "nnodes": nnodes,
    }
    settings = replace(base, data_format=data_format, **{k: v for k, v in given.items() if v is not None})
    if settings.preset not in PRESETS:
        raise ConfigError(f"unknown preset {settings.preset!r}; choose one of {', '.join(PRESETS)}")
    train = load_profiles(profiles)
    val = load_profiles(val_profiles) if val_profiles else []
    if val_fraction > 0:
        if val_profiles:
            raise ConfigError("use either --val-profiles or --val-fraction, not both")
        shuffled = list(train)
        random.Random(seed).shuffle(shuffled)
        k = max(1, round(len(shuffled) * val_fraction))
        if k >= len(shuffled):
            raise ConfigError(f"--val-fraction {val_fraction} leaves no training profile out of {len(train)}")
        val, train = shuffled[:k], shuffled[k:]
    result = export_verl(train, out, settings, val_profiles=val, configs=configs)
    console.print(f"wrote {len(train)} training profiles to {result.train}", highlight=False)
    if result.val is not None:
        console.print(f"wrote {len(val)} validation profiles to {result.val}", highlight=False)
    console.print(f"agent loop: {result.agent_loop}", highlight=False)
    if settings.simulator_key_env:
        console.print(f"the agent loops read the simulator's key from ${settings.simulator_key_env} on every worker",
                      highlight=False, markup=False)
    console.print(f"\nTrain with verl {VERL_VERSION} (pip install 'rlver[verl]'), on the Ray head node:", highlight=False, markup=False)
    for name, command in launch_commands(result).items():
        console.print(f"  # {name}\n  {command}", highlight=False, soft_wrap=True)
