"""A thin wrapper around EleutherAI's lm-evaluation-harness for the paper's retention benchmarks.

The RLVER paper reports MATH500 and IFEval (and LiveCodeBench, which lm-eval does not ship) before
and after training. Where ``lm_eval`` is installed (``pip install lm-eval``), this runs

    lm_eval --model hf --model_args pretrained=PATH,dtype=auto --tasks minerva_math500,ifeval
            --batch_size auto --device cpu --output_path OUT [--limit N] [--apply_chat_template]

in a subprocess on a checkpoint directory and collects the reported metrics. Datasets are fetched
by lm-eval itself, so this needs network access to the dataset hub; rlver never downloads them.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from rlver.errors import ConfigError, RlverError

__all__ = [
    "TASK_ALIASES",
    "LMEvalConfig",
    "lm_eval_available",
    "build_lm_eval_command",
    "run_lm_eval",
    "collect_lm_eval_results",
]

TASK_ALIASES: dict[str, str] = {"math500": "minerva_math500", "ifeval": "ifeval", "gsm8k": "gsm8k"}
"""Short names accepted on the command line → lm-eval task names (anything else passes through)."""


@dataclass(frozen=True)
class LMEvalConfig:
    """One lm-eval run on a local checkpoint."""

    checkpoint: str
    """Local Hugging Face model directory (``save_pretrained`` output)."""
    tasks: tuple[str, ...] = ("math500", "ifeval")
    """Task names or aliases (see :data:`TASK_ALIASES`)."""
    output_path: str = "lm_eval_results"
    """Directory lm-eval writes its results JSON into."""
    device: str = "cpu"
    """``cpu``, ``cuda``, ``cuda:0``, …"""
    batch_size: str = "auto"
    """lm-eval ``--batch_size`` (an integer or ``auto``)."""
    limit: int | None = None
    """Only the first N examples per task (quick checks; not comparable with published numbers)."""
    chat_template: bool = True
    """Pass ``--apply_chat_template`` (instruction-tuned checkpoints)."""
    dtype: str = "auto"
    """``dtype`` model argument."""


def lm_eval_available() -> bool:
    """True if lm-eval can be run here (the ``lm_eval`` module is importable)."""
    return importlib.util.find_spec("lm_eval") is not None


def build_lm_eval_command(config: LMEvalConfig, *, python: str | None = None) -> list[str]:
    """The argv of one lm-eval run (no shell; each argument separate, so paths with spaces are safe)."""
    if not config.tasks:
        raise ConfigError("lm-eval needs at least one task")
    if "," in config.checkpoint or "=" in config.checkpoint:
        raise ConfigError(
            f"checkpoint path {config.checkpoint!r} may not contain ',' or '=' (lm-eval model_args syntax)"
        )
    tasks = ",".join(TASK_ALIASES.get(t.lower(), t) for t in config.tasks)
    executable = shutil.which("lm_eval")
    head = [executable] if executable else [python or sys.executable, "-m", "lm_eval"]
    command = head + [
        "--model",
        "hf",
        "--model_args",
        f"pretrained={config.checkpoint},dtype={config.dtype}",
        "--tasks",
        tasks,
        "--batch_size",
        str(config.batch_size),
        "--device",
        config.device,
        "--output_path",
        config.output_path,
    ]
    if config.limit is not None:
        command += ["--limit", str(int(config.limit))]
    if config.chat_template:
        command.append("--apply_chat_template")
    return command


def collect_lm_eval_results(output_path: str | Path) -> dict[str, dict[str, Any]]:
    """``{task: {metric: value}}`` from the newest ``results*.json`` lm-eval wrote under ``output_path``."""
    files = sorted(Path(output_path).rglob("results*.json"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise RlverError(f"{output_path}: lm-eval wrote no results*.json")
    data = json.loads(files[-1].read_text(encoding="utf-8"))
    results = data.get("results", {})
    return {
        task: {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        for task, metrics in results.items()
    }


def run_lm_eval(
    config: LMEvalConfig, *, timeout: float | None = None, extra_args: Sequence[str] = ()
) -> dict[str, Any]:
    """Run lm-eval on ``config.checkpoint`` and return its metrics per task."""
    if not lm_eval_available():
        raise ConfigError(
            "lm-evaluation-harness is not installed; `pip install lm-eval` to run MATH500 / IFEval"
        )
    if not Path(config.checkpoint).is_dir():
        raise ConfigError(f"{config.checkpoint}: not a checkpoint directory")
    command = build_lm_eval_command(config) + list(extra_args)
    try:
        proc = subprocess.run(command, check=False, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RlverError(f"lm-eval timed out after {timeout:g}s") from None
    if proc.returncode != 0:
        raise RlverError(f"lm-eval exited with code {proc.returncode}: {' '.join(command)}")
    return collect_lm_eval_results(config.output_path)
