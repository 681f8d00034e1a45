"""The ``rlver`` typer application: sub-commands are registered from their own modules."""

from __future__ import annotations

import importlib

import typer

from rlver.cli._common import run_cli

__all__ = ["app", "main"]

app = typer.Typer(
    name="rlver",
    help="Train empathetic dialogue agents with reinforcement learning from verifiable emotion rewards.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Each module registers its commands on ``app`` when imported (one command group per module).
_COMMAND_MODULES = ("profiles", "dialogue", "bench", "train", "report", "analyze", "demo", "export", "models", "simulator")
for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"rlver.cli.{_name}")
    except ModuleNotFoundError as _exc:
        if _exc.name != f"rlver.cli.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    run_cli(app)
