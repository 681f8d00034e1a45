"""Shared CLI plumbing: one clear line and a meaningful exit code for every way a command can end.

Exit codes: 0 success; 1 the run failed (an endpoint is down, dialogues failed beyond
``--allow-errors``, training stopped with no usable episodes); 2 bad input or configuration;
130 interrupted (Ctrl-C). Failures end with one ``error:`` line on stderr.
"""

from __future__ import annotations

import asyncio
import functools
import sys
from collections.abc import Awaitable
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from rlver.errors import ConfigError, InputError, RlverError, RunFailed

__all__ = [
    "ALLOW_ERRORS_HELP",
    "EXIT_BAD_INPUT",
    "EXIT_INTERRUPTED",
    "EXIT_RUN_FAILED",
    "cli_errors",
    "console",
    "err_console",
    "check_failures",
    "exit_code_for",
    "fail",
    "parse_allowance",
    "run_async",
    "run_cli",
]

EXIT_RUN_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130

console = Console()
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def exit_code_for(exc: RlverError) -> int:
    """2 for input the user must fix (config, profiles); 1 for a run that failed (endpoint, policy...)."""
    return EXIT_BAD_INPUT if isinstance(exc, InputError) else EXIT_RUN_FAILED


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` to stderr and return an Exit to raise."""
    err_console.print(Text("error: ", style="bold red") + Text(message), highlight=False, soft_wrap=True, emoji=False)
    return typer.Exit(code)


def cli_errors(func: F) -> F:
    """Decorate a command: a :class:`RlverError` becomes one ``error:`` line and its exit code
    (:func:`exit_code_for`); Ctrl-C ends with ``interrupted`` and 130 instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RlverError as exc:
            raise fail(str(exc), exit_code_for(exc)) from None
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


ALLOW_ERRORS_HELP = "How many items may fail (a count, or a fraction below 1 such as 0.05) before the command exits 1."


def parse_allowance(text: str) -> float:
    """``--allow-errors``: a whole count (``3``) or a fraction of the items (``0.05``)."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"--allow-errors must be a count or a fraction, got {text!r}") from None
    if not value >= 0 or (value >= 1 and not value.is_integer()):
        raise ConfigError(f"--allow-errors must be a whole count >= 0 or a fraction in [0, 1), got {text!r}")
    return value


def check_failures(
    failed: int, total: int, allowance: float, *, what: str, reasons: dict[str, int] | None = None
) -> None:
    """Raise :class:`RunFailed` (exit 1) naming how many of ``total`` ``what`` failed and why, unless
    ``allowance`` (a count, or a fraction of ``total`` when below 1) covers them; then only warn."""
    if failed == 0:
        return
    allowed = allowance if allowance >= 1 or allowance == 0 else allowance * total
    grouped = "; ".join(f"{count}x {reason}" for reason, count in (reasons or {}).items())
    line = f"{failed} of {total} {what} failed" + (f": {grouped}" if grouped else "")
    if failed > allowed:
        raise RunFailed(line)
    err_console.print(f"warning: {line} (allowed by --allow-errors)", highlight=False, markup=False, soft_wrap=True)


def _endpoint_clients(parts: tuple[Any, ...]) -> list[Any]:
    """The HTTP chat clients among ``parts`` or held by them (``.client``), each once."""
    found: dict[int, Any] = {}
    for part in parts:
        for candidate in (part, getattr(part, "client", None)):
            if candidate is not None and callable(getattr(candidate, "preflight", None)):
                found.setdefault(id(candidate), candidate)
    return list(found.values())


def run_async(make: Callable[[], Awaitable[T]], *parts: Any, preflight: bool = False) -> T:
    """Run a command's coroutine on a fresh event loop, with its endpoints checked first and closed after.

    ``parts`` are the policies, simulators, judges and clients the command uses. With ``preflight``
    each distinct endpoint is asked once before any work starts (a dead one stops the command with
    one line); on every path, success, error or Ctrl-C, everything that can be closed is closed, so
    no connection is left for the interpreter to complain about.
    """

    async def main() -> T:
        clients = _endpoint_clients(parts)
        try:
            if preflight:
                for client in clients:
                    await client.preflight()
            return await make()
        finally:
            seen: set[int] = set()
            for item in (*parts, *clients):
                close = getattr(item, "aclose", None)
                if close is not None and id(item) not in seen:
                    seen.add(id(item))
                    await close()

    return asyncio.run(main())


def run_cli(app: typer.Typer) -> None:
    try:
        app()
    except RlverError as exc:
        err_console.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        sys.exit(exit_code_for(exc))
