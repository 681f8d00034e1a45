"""Shared CLI plumbing: one clear line and a non-zero exit code for every user error."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from rlver.errors import RlverError

__all__ = ["console", "err_console", "run_cli", "fail", "cli_errors"]

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` to stderr and return an Exit to raise."""
    err_console.print(Text("error: ", style="bold red") + Text(message), highlight=False, soft_wrap=True, emoji=False)
    return typer.Exit(code)


def cli_errors(func: F) -> F:
    """Decorate a command so that any :class:`RlverError` becomes one ``error:`` line and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RlverError as exc:
            raise fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def run_cli(app: typer.Typer) -> None:
    try:
        app()
    except RlverError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(2)
