"""``rlver export``: hand rlver's dialogues to other RL engines.

``rlver export verl --profiles builtin:train --out data/verl`` writes a verl dataset (parquet, or
JSONL without pyarrow), the agent-loop registry file and PPO / GRPO configs, then prints the launch
commands. See docs/scaling.md.
"""

from __future__ import annotations

import random

import typer

from rlver.cli._common import cli_errors, console
from rlver.errors import ConfigError
from rlver.integrations.verl_export import VERL_VERSION, VerlExportSettings, export_verl, launch_commands
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
    val_profiles: str | None = typer.Option(None, "--val-profiles", help="Validation profiles (file or builtin:NAME)."),
    val_fraction: float = typer.Option(0.0, "--val-fraction", min=0.0, max=0.5,
                                       help="Hold out this share of the training profiles for validation."),
    preset: str = typer.Option("rlver", "--preset", help=f"Simulator preset: {', '.join(PRESETS)}."),
    simulator: str = typer.Option("offline", "--simulator", help="Simulated user: offline or openai:MODEL."),
    simulator_base_url: str | None = typer.Option(None, "--simulator-base-url",
                                                     help="Endpoint of an openai: simulator, e.g. http://sim:8000/v1."),
    simulator_max_concurrency: int = typer.Option(64, "--simulator-max-concurrency", min=1,
                                                  help="Simulator requests in flight per agent-loop worker."),
    model: str = typer.Option("Qwen/Qwen2.5-7B-Instruct", "--model", help="Policy weights verl loads (path on the cluster)."),
    max_turns: int = typer.Option(8, "--max-turns", min=1, help="Policy replies per dialogue."),
    think: bool = typer.Option(False, "--think/--no-think", help="Think-then-say prompts and format check."),
    max_new_tokens: int = typer.Option(512, "--max-new-tokens", min=1, help="Most tokens per policy reply."),
    max_response_length: int = typer.Option(8192, "--max-response-length", min=1,
                                            help="verl data.max_response_length: all turns after the opening."),
    train_batch_size: int = typer.Option(32, "--train-batch-size", min=1, help="Profiles per step."),
    group_size: int = typer.Option(4, "--group-size", min=2, help="GRPO rollouts per profile."),
    n_gpus_per_node: int = typer.Option(8, "--gpus-per-node", min=1, help="GPUs per node."),
    nnodes: int = typer.Option(1, "--nnodes", min=1, help="Nodes in the Ray cluster."),
    data_format: str = typer.Option("auto", "--format", help="Dataset format: auto (parquet if pyarrow), parquet, jsonl."),
    seed: int = typer.Option(0, "--seed", help="Seed of the validation split."),
) -> None:
    """Write a verl dataset + agent-loop file + PPO/GRPO configs, and print the launch commands."""
    if preset not in PRESETS:
        raise ConfigError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
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
    settings = VerlExportSettings(
        model=model, simulator=simulator, simulator_base_url=simulator_base_url,
        simulator_max_concurrency=simulator_max_concurrency, preset=preset, max_turns=max_turns, think=think,
        max_new_tokens=max_new_tokens, max_response_length=max_response_length, train_batch_size=train_batch_size,
        group_size=group_size, n_gpus_per_node=n_gpus_per_node, nnodes=nnodes, data_format=data_format,
    )
    result = export_verl(train, out, settings, val_profiles=val)
    console.print(f"wrote {len(train)} training profiles to {result.train}", highlight=False)
    if result.val is not None:
        console.print(f"wrote {len(val)} validation profiles to {result.val}", highlight=False)
    console.print(f"agent loop: {result.agent_loop}", highlight=False)
    console.print(f"\nTrain with verl {VERL_VERSION} (pip install 'rlver[verl]'), on the Ray head node:", highlight=False, markup=False)
    for algo, command in launch_commands(result).items():
        console.print(f"  # {algo}\n  {command}", highlight=False, soft_wrap=True)
