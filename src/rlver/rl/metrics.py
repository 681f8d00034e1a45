"""Step metrics: a JSONL line per step, plus TensorBoard and Weights & Biases when installed.

Keys are flat and namespaced (``reward/mean``, ``losses/policy``, ``perf/step_seconds``), the same in
every sink. ``metrics.jsonl`` is the record of truth (appended and fsynced each step); TensorBoard
and W&B are optional views, import-guarded, written every ``log_every`` steps.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any, Mapping

from rlver.utils.io import JsonlAppender, StateFileError, atomic_write_jsonl, read_jsonl_tolerant

__all__ = ["METRIC_KEYS", "MetricsLogger", "truncate_jsonl_after"]

log = logging.getLogger(__name__)

METRIC_KEYS = (
    "reward/mean",
    "reward/std",
    "emotion/final_mean",
    "rollout/turns_mean",
    "rollout/format_violations",
    "rollout/dropped",
    "losses/policy",
    "losses/value",
    "losses/approx_kl",
    "losses/clipfrac",
    "losses/entropy",
    "perf/step_seconds",
    "perf/rollout_seconds",
    "perf/update_seconds",
    "perf/tokens_per_second",
)
"""Keys present in every ``metrics.jsonl`` line (``None`` when a step had nothing to measure)."""


def truncate_jsonl_after(path: Path, step: int) -> int:
    """Rewrite ``path`` keeping only rows with ``row["step"] <= step`` (atomic). Returns rows removed.

    Used on resume: steps after the checkpoint will be run again and must not appear twice.
    """
    rows, _ = read_jsonl_tolerant(path)
    kept = []
    for number, row in enumerate(rows, start=1):
        value = row.get("step", 0)
        if isinstance(value, bool) or not isinstance(value, int):  # a float, string, null, list...
            raise StateFileError(f"{path}: row {number}: 'step' must be an integer, got {value!r:.40}")
        if value <= step:
            kept.append(row)
    if path.exists():
        atomic_write_jsonl(path, kept)
    return len(rows) - len(kept)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class MetricsLogger:
    """Writes each step's metrics to ``OUT/metrics.jsonl`` and the optional sinks."""

    def __init__(
        self,
        out_dir: Path,
        *,
        log_every: int = 1,
        tensorboard: bool = True,
        wandb_project: str | None = None,
        run_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = out_dir / "metrics.jsonl"
        self.log_every = log_every
        self._jsonl = JsonlAppender(self.path)
        self._tb = None
        self._wandb = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError:
                log.info("tensorboard is not installed; metrics go to metrics.jsonl only")
            else:
                self._tb = SummaryWriter(log_dir=str(out_dir / "tensorboard"))
        if wandb_project:
            try:
                import wandb
            except ImportError:
                log.warning("wandb_project is set but wandb is not installed (pip install rlver[wandb])")
            else:
                self._wandb = wandb.init(
                    project=wandb_project, config=dict(run_config or {}), dir=str(out_dir)
                )

    def log(self, step: int, metrics: Mapping[str, Any]) -> dict[str, Any]:
        """Record one step. Returns the row written to metrics.jsonl."""
        row = {
            "step": step,
            **{key: None for key in METRIC_KEYS},
            **{k: _finite(v) for k, v in metrics.items()},
        }
        self._jsonl.write(row)
        if step % self.log_every == 0:
            numbers = {k: v for k, v in row.items() if isinstance(v, (int, float)) and k != "step"}
            if self._tb is not None:
                for key, value in numbers.items():
                    self._tb.add_scalar(key, value, step)
                self._tb.flush()
            if self._wandb is not None:
                self._wandb.log(numbers, step=step)
        return row

    def close(self) -> None:
        self._jsonl.close()
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()
