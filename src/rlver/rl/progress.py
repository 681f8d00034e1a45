"""A rich progress bar showing the live reward, and one printed line per logged step."""

from __future__ import annotations

from typing import Any, Mapping

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["TrainProgress", "format_metrics"]

_SHOWN = (
    ("reward/mean", "reward", "{:.3f}"),
    ("emotion/final_mean", "emotion", "{:.1f}"),
    ("losses/policy", "pg", "{:+.4f}"),
    ("losses/value", "vf", "{:.4f}"),
    ("losses/approx_kl", "kl", "{:.4f}"),
    ("losses/entropy", "H", "{:.3f}"),
    ("rollout/dropped", "dropped", "{}"),
    ("perf/step_seconds", "s", "{:.1f}"),
)


def format_metrics(row: Mapping[str, Any]) -> str:
    """``step 3  reward 0.412  emotion 41.2  pg -0.0012 ...`` (missing values left out)."""
    parts = [f"step {row.get('step')}"]
    for key, label, fmt in _SHOWN:
        value = row.get(key)
        if value is not None:
            parts.append(f"{label} {fmt.format(value)}")
    return "  ".join(parts)


class TrainProgress:
    """Context manager around a rich progress bar; a no-op when ``enabled`` is False."""

    def __init__(
        self, total: int, *, start: int = 0, enabled: bool = True, console: Console | None = None
    ) -> None:
        self.enabled = enabled
        self.console = console or Console(stderr=True)
        self._progress = None
        self._task = None
        self._total, self._start = total, start

    def __enter__(self) -> "TrainProgress":
        if self.enabled:
            self._progress = Progress(
                TextColumn("[bold]train"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("reward {task.fields[reward]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                "train", total=self._total, completed=self._start, reward="-"
            )
        return self

    def advance(self, row: Mapping[str, Any], *, log: bool = True) -> None:
        if self._progress is None:
            return
        reward = row.get("reward/mean")
        self._progress.update(self._task, advance=1, reward="-" if reward is None else f"{reward:.3f}")
        if log:
            self._progress.console.print(format_metrics(row), highlight=False)

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)
