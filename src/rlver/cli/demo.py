"""``rlver demo``: watch RLVER work on a laptop in about a quarter of an hour, offline.

1. benchmark the shipped tiny base policy (``builtin:tiny``) on the held-out ``builtin:test`` profiles
   under the ``sage`` preset, with the offline Sentient Agent;
2. train it with GRPO (or PPO) against the offline simulator on ``builtin:train``, from the emotion
   reward alone (configs/demo-*.yaml hold the same settings for ``rlver train --config``);
3. benchmark the trained policy the same way;
4. write ``OUT/report.html``, ``OUT/summary.json`` and PNG charts in ``OUT/plots/``.

The demo's settings live here as plain data (:data:`DEMO_CONFIGS`); the YAML files in ``configs/``
are their dumps and a test keeps them equal.
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Optional

import typer

from rlver.cli._common import cli_errors, console, err_console
from rlver.errors import ConfigError

__all__ = ["register", "demo", "DEMO_CONFIGS", "QUICK_OVERRIDES", "BenchSettings", "demo_train_config", "run_demo"]

_COMMON: dict[str, Any] = {
    # The best of the settings measured so far (docs/demo.md): GRPO on the sage preset, 40 steps of
    # 8 profiles x 4 rollouts of 10 replies (as long as the benchmark's dialogues, so that repeating
    # oneself is punished in training too); per-turn emotion changes as the reward with turn-level
    # group baselines (each reply is compared with the other replies at the same turn of its group).
    "policy": "builtin:tiny",
    "simulator": "offline",
    "preset": "sage",
    "profiles": "builtin:train",
    "steps": 40,
    "seed": 0,
    "out_dir": "runs/demo",
    "rollout": {"profiles_per_step": 8, "group_size": 4, "max_turns": 10, "temperature": 1.0,
                "max_new_tokens": 64, "max_length": 2048, "max_concurrent": 64},
    "optim": {"actor_lr": 2e-4, "critic_lr": 1e-3, "epochs": 1, "minibatch_size": 8, "max_grad_norm": 1.0},
    "loss": {"clip_eps": 0.2, "entropy_coef": 0.0, "kl_coef": 0.0, "kl_kind": "k3"},
    "grpo": {"credit": "turn", "gamma": 0.0, "old_logp": "rollout"},
    "reward": {"name": "emotion_delta", "format_violation_reward": -0.1},
    "checkpoint": {"every": 1000, "keep_last_k": 1},
    "logging": {"tensorboard": False, "progress": True, "save_rollouts": True},
}


def _merged(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merged(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


DEMO_CONFIGS: dict[str, dict[str, Any]] = {
    "grpo": _merged(_COMMON, {"algo": "grpo"}),
    "ppo": _merged(_COMMON, {"algo": "ppo", "rollout": {"group_size": 1, "profiles_per_step": 32},
                             "ppo": {"critic": "value_head"}}),
    "think": _merged(_COMMON, {"algo": "grpo", "rollout": {"think": True, "max_new_tokens": 96}}),
}
"""Demo training settings (``configs/demo-<name>.yaml`` are their YAML dumps)."""

QUICK_OVERRIDES: dict[str, Any] = {
    "steps": 2,
    "rollout": {"profiles_per_step": 2, "group_size": 2, "max_turns": 2, "max_new_tokens": 24},
}
"""``--quick``: a smoke run of seconds (2 steps of 4 short dialogues)."""


@dataclass(frozen=True)
class BenchSettings:
    """How the base and the trained policy are benchmarked."""

    profiles: str = "builtin:test"
    """Held-out profiles (no persona, name or event shared with the training set)."""
    preset: str = "sage"
    """The published benchmark's mechanics (initial 40, changes clamped to +-10, 10 replies)."""
    temperature: float = 1.0
    """Policy sampling temperature in the benchmark (the training temperature: a fair comparison)."""
    max_new_tokens: int = 64
    """Tokens per reply (think block included)."""
    limit: int | None = None
    """Only the first N profiles (``--quick``)."""
    max_turns: int | None = None
    """Override of the preset's reply limit (``--quick``)."""


def demo_train_config(
    algo: Literal["grpo", "ppo"] = "grpo",
    *,
    think: bool = False,
    steps: int | None = None,
    seed: int = 0,
    out_dir: str | Path = "runs/demo",
    quick: bool = False,
):
    """The :class:`~rlver.rl.config.TrainConfig` of ``rlver demo`` with these options."""
    from rlver.rl.config_io import config_from_mapping

    if algo not in ("grpo", "ppo"):
        raise ConfigError(f"--algo must be grpo or ppo, got {algo!r}")
    name = "think" if think and algo == "grpo" else algo
    data = DEMO_CONFIGS[name]
    if think and algo == "ppo":
        data = _merged(data, {"rollout": {"think": True, "max_new_tokens": DEMO_CONFIGS["think"]["rollout"]["max_new_tokens"]}})
    if quick:
        data = _merged(data, QUICK_OVERRIDES)
    data = _merged(data, {"seed": seed, "out_dir": str(out_dir), **({"steps": steps} if steps is not None else {})})
    return config_from_mapping(data)


_MARKER = ".rlver-demo"
_ARTEFACTS = ("config.yaml", "metrics.jsonl", "rollouts.jsonl", "checkpoints", "bench", "plots", "report.html",
              "summary.json", "tensorboard")


def _prepare_out(out: Path) -> None:
    """A fresh demo folder; a previous demo's artefacts are replaced, anything else is never touched."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file, not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise ConfigError(f"--out {out} is not empty and was not written by `rlver demo`; choose another folder")
    out.mkdir(parents=True, exist_ok=True)
    for name in _ARTEFACTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    (out / _MARKER).write_text("written by `rlver demo`; rerunning the demo replaces its files here\n", encoding="utf-8")


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[score]}"), TimeElapsedColumn(), console=err_console)


def _bench(label: str, model, tokenizer, profiles, simulator, settings: BenchSettings, think: bool, seed: int,
           out: Path) -> dict[str, Any]:
    from rlver.bench.sentient import BenchConfig, run_benchmark
    from rlver.policy.hf import GenerationSettings, HFPolicy
    from rlver.simulator.presets import get_preset

    preset = get_preset(settings.preset)
    if settings.max_turns is not None:
        preset = replace(preset, max_policy_turns=settings.max_turns)
    generation = GenerationSettings(temperature=settings.temperature, max_new_tokens=settings.max_new_tokens,
                                    seed=seed, batch_size=len(profiles))
    policy = HFPolicy(model, tokenizer, generation, name=label)
    config = BenchConfig(preset=preset, concurrency=len(profiles), seed=seed, think=think,
                         profiles_source=settings.profiles)
    finals: list[int] = []
    with _progress() as progress:
        task = progress.add_task(f"bench {label}", total=len(profiles), score="")

        def on_episode(episode) -> None:
            if episode.final_emotion is not None:
                finals.append(episode.final_emotion)
            progress.update(task, advance=1, score=f"mean emotion {sum(finals) / max(1, len(finals)):.1f}")

        return asyncio.run(run_benchmark(profiles, policy, simulator, config, out, on_episode=on_episode))


def _outcome(summary: dict[str, Any]) -> dict[str, Any]:
    keys = ("score", "success", "failure", "n", "errors", "mean_turns", "format_violations", "success_rate",
            "failure_rate", "by_need")
    return {k: summary.get(k) for k in keys}


def run_demo(
    out: Path,
    *,
    algo: Literal["grpo", "ppo"] = "grpo",
    think: bool = False,
    steps: int | None = None,
    seed: int = 0,
    quick: bool = False,
) -> dict[str, Any]:
    """Benchmark the base policy, train it, benchmark it again, write the report; return the summary."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # belt and braces: nothing here may reach a network
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from rlver.cli._specs import hf_model_path
    from rlver.models.loading import load_pretrained
    from rlver.profiles.io import load_profiles
    from rlver.rl.trainer import Trainer
    from rlver.simulator.offline import OfflineSentientAgent
    from rlver.utils.io import atomic_write_json

    t_start = time.perf_counter()
    config = demo_train_config(algo, think=think, steps=steps, seed=seed, out_dir=out, quick=quick)
    bench = BenchSettings(max_new_tokens=config.rollout.max_new_tokens,
                          limit=4 if quick else None, max_turns=2 if quick else None)
    _prepare_out(out)
    timings: dict[str, float] = {}

    t = time.perf_counter()
    model, tokenizer = load_pretrained(hf_model_path(config.policy), device="cpu", dtype="float32")
    simulator = OfflineSentientAgent()
    test_profiles = load_profiles(bench.profiles)[: bench.limit]
    train_profiles = load_profiles(config.profiles)
    timings["load_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    base = _bench("base", model, tokenizer, test_profiles, simulator, bench, config.rollout.think, seed,
                  out / "bench" / "base")
    timings["bench_base_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    err_console.print(f"training {config.algo.upper()} for {config.steps} steps "
                      f"({config.episodes_per_step} dialogues a step, preset {config.preset})", highlight=False)
    trainer = Trainer(config, model, tokenizer, simulator, train_profiles)
    rows = trainer.train()
    timings["train_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    trained = _bench("trained", trainer.model, tokenizer, test_profiles, simulator, bench, config.rollout.think,
                     seed, out / "bench" / "trained")
    timings["bench_trained_seconds"] = time.perf_counter() - t

    t = time.perf_counter()
    files = _write_outputs(out, rows, base, trained, config)
    timings["report_seconds"] = time.perf_counter() - t
    timings["total_seconds"] = time.perf_counter() - t_start

    summary = _summary(config, bench, base, trained, rows, timings, files, quick=quick)
    atomic_write_json(out / "summary.json", summary)
    return summary


def _format_rates(rows: list[dict[str, Any]]) -> list[float | None]:
    return [(r.get("rollout/format_violations") or 0) / r["rollout/episodes"] if r.get("rollout/episodes") else None
            for r in rows]


def _summary(config, bench: BenchSettings, base, trained, rows, timings, files, *, quick: bool) -> dict[str, Any]:
    def delta(key: str) -> float | None:
        if base.get(key) is None or trained.get(key) is None:
            return None
        return round(trained[key] - base[key], 2)

    rewards = [r.get("reward/mean") for r in rows]
    emotions = [r.get("emotion/final_mean") for r in rows]
    return {
        "policy": config.policy,
        "algo": config.algo,
        "think": config.rollout.think,
        "seed": config.seed,
        "steps": config.steps,
        "quick": quick,
        "benchmark": {"profiles": bench.profiles, "preset": bench.preset, "simulator": "offline",
                      "temperature": bench.temperature, "max_new_tokens": bench.max_new_tokens, "n": base.get("n")},
        "base": _outcome(base),
        "trained": _outcome(trained),
        "improvement": {"score": delta("score"), "success": delta("success"), "failure": delta("failure")},
        "training": {
            "preset": config.preset,
            "episodes_per_step": config.episodes_per_step,
            "reward_first": rewards[0] if rewards else None,
            "reward_last": rewards[-1] if rewards else None,
            "reward_name": config.reward.name,
            "reward_curve": rewards,
            "final_emotion_first": emotions[0] if emotions else None,
            "final_emotion_last": emotions[-1] if emotions else None,
            "final_emotion_curve": emotions,
            "format_violation_rate_curve": _format_rates(rows) if config.rollout.think else None,
        },
        "timings": {k: round(v, 1) for k, v in timings.items()},
        "files": files,
        "config": config.to_dict(),
    }


def _write_outputs(out: Path, rows, base, trained, config) -> dict[str, str]:
    from rlver.bench.sentient import load_dialogues
    from rlver.report import plots
    from rlver.report.html import write_report

    folder = out / "plots"
    before, after = load_dialogues(out / "bench" / "base"), load_dialogues(out / "bench" / "trained")
    files: dict[str, Path] = {name: folder / f"{name}.png" for name in ("reward_curve", "scores", "outcomes", "trajectories")}
    # The final emotion is RLVER's reward (x 100) whichever reward trained the policy (emotion or its deltas).
    plots.plot_reward_curve(rows, files["reward_curve"], key="emotion/final_mean", ylabel="final emotion (0-100)",
                            title="Training dialogues: final emotion per step")
    plots.plot_score_bars({"base": base.get("score"), "trained": trained.get("score")}, files["scores"],
                          title="Sentient score, builtin:test (sage, offline simulator)")
    plots.plot_outcome_counts({"base": base, "trained": trained}, files["outcomes"])
    plots.plot_trajectory_pairs(before, after, files["trajectories"], n=3, labels=("base", "trained"))
    if config.rollout.think:
        rates = [{"step": r["step"], "format_violation_rate": v} for r, v in zip(rows, _format_rates(rows))]
        plots.plot_reward_curve(rates, folder / "format_violations.png", key="format_violation_rate",
                                ylabel="share of dialogues", title="Think-mode format violations per step")
        files["format_violations"] = folder / "format_violations.png"
    files["report"] = write_report(out, out / "report.html", title=f"rlver demo: {config.algo.upper()} on builtin:tiny")
    files["summary"] = out / "summary.json"
    return {k: str(v) for k, v in files.items()}


@cli_errors
def demo(
    out: Path = typer.Option(Path("runs/demo"), help="Output folder (report.html, summary.json, plots/, bench/)."),
    algo: str = typer.Option("grpo", help="RL algorithm: grpo or ppo."),
    think: bool = typer.Option(False, "--think", help="Think-then-say: <think>...</think> before each reply."),
    steps: Optional[int] = typer.Option(None, min=1, help="Training steps (default: the demo config's)."),
    seed: int = typer.Option(0, help="Seeds training, sampling and the simulator."),
    quick: bool = typer.Option(False, "--quick", help="A smoke run of seconds (tiny settings, 4 test profiles)."),
) -> None:
    """Train the tiny built-in policy with RLVER and show how much its Sentient score improves."""
    if algo not in ("grpo", "ppo"):
        raise ConfigError(f"--algo must be grpo or ppo, got {algo!r}")
    summary = run_demo(out, algo=algo, think=think, steps=steps, seed=seed, quick=quick)  # type: ignore[arg-type]
    base, trained = summary["base"], summary["trained"]
    minutes = summary["timings"]["total_seconds"] / 60
    console.print(f"done in {minutes:.1f} min; report: {summary['files']['report']}", highlight=False, soft_wrap=True)
    console.print(
        f"Sentient score on {summary['benchmark']['profiles']} (sage, offline simulator): "
        f"base {base['score']} -> trained {trained['score']}  "
        f"(success {base['success']} -> {trained['success']}, failure {base['failure']} -> {trained['failure']})",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
