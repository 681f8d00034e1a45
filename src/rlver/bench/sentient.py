"""The Sentient Benchmark: score, success and failure of a policy over a set of profiles.

Metrics follow SAGE (verified against its published result files):
``score`` = mean final emotion, ``success`` = dialogues ending at emotion >= 100,
``failure`` = dialogues ending below 10. A result always names its simulator and preset, because
scores move a lot with the simulator model.
"""

from __future__ import annotations

import datetime as _dt
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from rlver.errors import ConfigError
from rlver.policy.base import Policy
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.simulator.presets import FAILURE_EMOTION, SUCCESS_EMOTION, Preset
from rlver.utils.crashpoints import crash_point
from rlver.utils.io import (
    JsonlAppender,
    StateFileError,
    atomic_write_json,
    atomic_write_jsonl,
    loads_json,
    read_jsonl_tolerant,
)

__all__ = ["BenchConfig", "summarize", "run_benchmark", "load_dialogues", "DIALOGUES_FILE", "SUMMARY_FILE"]

DIALOGUES_FILE = "dialogues.jsonl"
SUMMARY_FILE = "summary.json"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class BenchConfig:
    """One benchmark run."""

    preset: Preset
    """Simulator mechanics; ``sage`` is the published benchmark."""
    concurrency: int = 16
    """Dialogues run at once (one policy batch; simulator calls overlap across them)."""
    seed: int = 0
    """Simulator seed for every dialogue (deterministic simulators give identical reruns)."""
    think: bool = False
    """Think-then-say mode for the policy."""
    system_prompt: str | None = None
    """Policy system prompt; ``None`` = rlver's default for the profile's language."""
    profiles_source: str = ""
    """Where the profiles came from (reported in the summary)."""


def _row(episode: Episode, profile: Profile) -> dict[str, Any]:
    row = episode.to_dict()
    row["need"] = profile.need.value if profile.need else None
    row["character"] = profile.character.value if profile.character else None
    row["language"] = profile.language
    return row


def summarize(rows: Sequence[dict[str, Any]], *, preset: str, policy: str, simulator: str) -> dict[str, Any]:
    """Benchmark summary of transcript rows (as written to ``dialogues.jsonl``)."""
    finished = [r for r in rows if r.get("error") is None and r.get("final_emotion") is not None]
    finals = [float(r["final_emotion"]) for r in finished]
    turns = [sum(1 for t in r["turns"] if t["role"] == "assistant") for r in finished]
    n = len(finished)

    def breakdown(key: str) -> dict[str, dict[str, float]]:
        groups: dict[str, list[float]] = {}
        for r in finished:
            groups.setdefault(str(r.get(key)), []).append(float(r["final_emotion"]))
        return {k: {"n": len(v), "score": round(statistics.fmean(v), 2)} for k, v in sorted(groups.items())}

    success = sum(1 for f in finals if f >= SUCCESS_EMOTION)
    failure = sum(1 for f in finals if f < FAILURE_EMOTION)
    return {
        "score": round(statistics.fmean(finals), 2) if finals else None,
        "success": success,
        "failure": failure,
        "success_rate": round(success / n, 4) if n else None,
        "failure_rate": round(failure / n, 4) if n else None,
        "n": n,
        "errors": len(rows) - n,
        "error_reasons": _error_reasons(rows),
        "mean_turns": round(statistics.fmean(turns), 2) if turns else None,
        "format_violations": sum(int(r.get("format_violations", 0)) for r in rows),
        "preset": preset,
        "policy": policy,
        "simulator": simulator,
        "by_need": breakdown("need"),
        "by_character": breakdown("character"),
    }


def _error_reasons(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many dialogues failed for each reason, most frequent first (dialogues whose row has an error)."""
    counts: dict[str, int] = {}
    for row in rows:
        if row.get("error") is not None:
            reason = " ".join(str(row["error"]).split())[:300]
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def load_dialogues(out_dir: str | Path) -> list[dict[str, Any]]:
    rows, _ = read_jsonl_tolerant(Path(out_dir) / DIALOGUES_FILE)
    return rows


async def run_benchmark(
    profiles: Sequence[Profile],
    policy: Policy,
    simulator: UserSimulator,
    config: BenchConfig,
    out_dir: str | Path,
    *,
    on_episode: Callable[[Episode], None] | None = None,
    on_resume: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Run (or resume) a benchmark into ``out_dir``; return the summary also written to ``summary.json``.

    Finished dialogues already in ``out_dir/dialogues.jsonl`` are kept; dialogues that errored or
    never finished are run again. Each finished dialogue is appended (flushed + fsynced) as soon as
    it ends, and ``summary.json`` is written atomically at the end.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    run_info = {
        "policy": policy.name,
        "simulator": simulator.name,
        "preset": config.preset.name,
        "seed": config.seed,
        "think": config.think,
        "profiles": config.profiles_source,
    }
    _check_same_run(out, run_info)

    by_id = {p.id: p for p in profiles}
    kept: dict[str, dict[str, Any]] = {}
    rows, dropped_lines = read_jsonl_tolerant(out / DIALOGUES_FILE)
    for row in rows:
        profile_id = row.get("profile_id")
        if row.get("error") is None and row.get("end_reason") and isinstance(profile_id, str) and profile_id in by_id:
            kept[row["profile_id"]] = row
    if rows or dropped_lines:
        # Rewrite cleanly: drop errored rows and a truncated last line before appending new ones.
        atomic_write_jsonl(out / DIALOGUES_FILE, kept.values())
    if on_resume is not None and kept:
        on_resume(len(kept), len(profiles))

    todo = [p for p in profiles if p.id not in kept]
    rollout = RolloutConfig(
        preset=config.preset,
        think=config.think,
        system_prompt=config.system_prompt,
        max_concurrent=config.concurrency,
    )
    with JsonlAppender(out / DIALOGUES_FILE) as appender:

        def record(episode: Episode) -> None:
            row = _row(episode, by_id[episode.profile_id])
            appender.write(row)
            kept[episode.profile_id] = row
            crash_point("bench.dialogue", len(kept))  # test-only kill point: len(kept) dialogues on disk
            if on_episode is not None:
                on_episode(episode)

        await run_dialogues(
            [DialogueJob(p, seed=config.seed, id=p.id) for p in todo], policy, simulator, rollout, on_episode=record
        )

    ordered = [kept[p.id] for p in profiles if p.id in kept]
    summary = summarize(ordered, preset=config.preset.name, policy=policy.name, simulator=simulator.name)
    summary.update(
        think=config.think,
        seed=config.seed,
        profiles=config.profiles_source,
        created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    atomic_write_json(out / SUMMARY_FILE, summary)
    return summary


def _check_same_run(out: Path, run_info: dict[str, Any]) -> None:
    path = out / RUN_FILE
    if path.exists():
        try:
            previous = loads_json(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateFileError(f"{path}: unreadable ({exc}); delete it or use a new --out") from None
        if not isinstance(previous, dict):
            raise StateFileError(f"{path}: expected a JSON object; delete it or use a new --out")
        diffs = [k for k in run_info if previous.get(k) != run_info[k]]
        if diffs:
            detail = ", ".join(f"{k}: {previous.get(k)!r} -> {run_info[k]!r}" for k in diffs)
            raise ConfigError(f"{out} holds a different benchmark run ({detail}); use a new --out")
    else:
        atomic_write_json(path, run_info)


def config_dict(config: BenchConfig) -> dict[str, Any]:
    data = asdict(config)
    data["preset"] = config.preset.name
    return data
