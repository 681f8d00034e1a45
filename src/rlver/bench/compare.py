"""Leaderboard: rank benchmark outputs that were produced under the same simulator and preset.

A benchmark directory holds ``summary.json`` and ``dialogues.jsonl`` (see :mod:`rlver.bench.sentient`).
Scores move a lot with the simulator model (SAGE: Claude 3.7 scores 54.8 with DeepSeek-V3 as the
simulator and 70.3 with GPT-4o), so results from different simulators or presets are not ranked
together unless the caller says so explicitly.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

from rlver.errors import ConfigError, InputError
from rlver.utils.io import JsonlRows, StateFileError, loads_json, parse_jsonl

__all__ = [
    "LEADERBOARD_COLUMNS",
    "ResultFileError",
    "BenchResult",
    "LeaderboardRow",
    "load_result",
    "read_jsonl",
    "check_comparable",
    "leaderboard",
    "leaderboard_markdown",
    "is_bench_dir",
]

SUMMARY_FILE = "summary.json"
DIALOGUES_FILE = "dialogues.jsonl"


class ResultFileError(InputError):
    """A result or transcript file is missing or malformed; the message names ``PATH:LINE``."""


def is_bench_dir(path: str | Path) -> bool:
    """True if ``path`` looks like a benchmark output (a summary or a transcript file)."""
    path = Path(path)
    return (path / SUMMARY_FILE).is_file() or (path / DIALOGUES_FILE).is_file()


def read_jsonl(path: str | Path, *, tolerate_truncated_tail: bool = True) -> list[dict[str, Any]]:
    """Objects of a JSONL file; a bad line raises :class:`ResultFileError` naming ``PATH:LINE``.

    A truncated *last* line (a crash mid-append) is skipped when ``tolerate_truncated_tail``.
    """
    return _read_numbered(Path(path), tolerate_truncated_tail).rows


def _read_numbered(path: Path, tolerate_truncated_tail: bool = True) -> JsonlRows:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return parse_jsonl(data, path, tolerate_truncated_tail=tolerate_truncated_tail)
    except StateFileError as exc:
        raise ResultFileError(str(exc)) from None


def _finite_number(value: Any) -> bool:
    # math.isfinite would raise OverflowError on an integer past 1e308; every int is finite.
    return type(value) is int or (isinstance(value, float) and math.isfinite(value))


def _row_problem(row: dict[str, Any]) -> str | None:
    """What makes a transcript row unusable by the summary, the analyses and the report, if anything."""
    turns = row.get("turns")
    if not isinstance(turns, list):
        return "'turns' must be a list of turns"
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict) or not isinstance(turn.get("role"), str):
            return f"turns[{i}] must be an object with a 'role'"
        if turn.get("text") is not None and not isinstance(turn["text"], str):
            return f"turns[{i}].text must be text"
        appraisal = turn.get("appraisal")
        if appraisal is not None and not isinstance(appraisal, dict):
            return f"turns[{i}].appraisal must be an object"
        if appraisal and "applied_change" in appraisal and not _finite_number(appraisal["applied_change"]):
            return f"turns[{i}].appraisal.applied_change must be a number"
    emotions = row.get("emotions", [])
    if not isinstance(emotions, list) or not all(_finite_number(e) for e in emotions):
        return "'emotions' must be a list of numbers"
    if row.get("final_emotion") is not None and not _finite_number(row["final_emotion"]):
        return f"'final_emotion' must be a number or null, got {row['final_emotion']!r}"
    if type(row.get("format_violations", 0)) is not int:
        return "'format_violations' must be an integer"
    return None


_SUMMARY_TYPES: dict[str, str] = {
    **dict.fromkeys(("score", "mean_turns", "success_rate", "failure_rate"), "number"),
    **dict.fromkeys(("success", "failure", "n", "errors", "format_violations"), "count"),
    **dict.fromkeys(("policy", "simulator", "preset"), "text"),
}
"""Fields of ``summary.json`` the leaderboard and the report read; each may also be null."""


def _summary_problem(summary: dict[str, Any]) -> str | None:
    for key, kind in _SUMMARY_TYPES.items():
        value = summary.get(key)
        ok = (
            value is None
            or (kind == "number" and _finite_number(value))
            or (kind == "count" and type(value) is int and value >= 0)
            or (kind == "text" and isinstance(value, str))
        )
        if not ok:
            expected = {"number": "a number", "count": "a count (integer >= 0)", "text": "text"}[kind]
            return f"{key!r} must be {expected} or null, got {value!r}"
    return None


@dataclass(frozen=True)
class BenchResult:
    """One benchmark output directory, as read from disk."""

    path: Path
    summary: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    """Transcript rows (``dialogues.jsonl``); empty when the directory has none."""

    @property
    def policy(self) -> str:
        return str(self.summary.get("policy") or self.path.name)

    @property
    def simulator(self) -> str:
        return str(self.summary.get("simulator") or "unknown")

    @property
    def preset(self) -> str:
        return str(self.summary.get("preset") or "unknown")


def load_result(path: str | Path, *, with_dialogues: bool = True) -> BenchResult:
    """Read a benchmark directory. ``summary.json`` is recomputed from the transcripts when absent."""
    from rlver.bench.sentient import summarize

    path = Path(path)
    if not path.is_dir():
        raise ResultFileError(f"{path}: not a directory (expected a benchmark output with {SUMMARY_FILE})")
    summary_path, dialogues_path = path / SUMMARY_FILE, path / DIALOGUES_FILE
    rows: list[dict[str, Any]] = []
    if dialogues_path.is_file() and (with_dialogues or not summary_path.is_file()):
        numbered = _read_numbered(dialogues_path)
        for line, row in zip(numbered.lines, numbered.rows):
            problem = _row_problem(row)
            if problem is not None:
                raise ResultFileError(f"{dialogues_path}:{line}: {problem}")
        rows = numbered.rows
    if summary_path.is_file():
        try:
            summary = loads_json(summary_path.read_bytes().decode("utf-8-sig"))
        except OSError as exc:
            raise ResultFileError(f"{summary_path}: cannot read ({exc.strerror or exc})") from None
        except UnicodeDecodeError as exc:
            raise ResultFileError(f"{summary_path}: not UTF-8 text ({exc.reason})") from None
        except json.JSONDecodeError as exc:
            raise ResultFileError(f"{summary_path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        if not isinstance(summary, dict):
            raise ResultFileError(f"{summary_path}:1: expected a JSON object")
        problem = _summary_problem(summary)
        if problem is not None:
            raise ResultFileError(f"{summary_path}: {problem}")
    elif rows:
        first = rows[0]
        summary = summarize(
            rows,
            preset=str(first.get("preset", "unknown")),
            policy=str(first.get("policy", path.name)),
            simulator=str(first.get("simulator", "unknown")),
        )
    else:
        raise ResultFileError(f"{path}: no {SUMMARY_FILE} or {DIALOGUES_FILE} (not a benchmark output)")
    return BenchResult(path=path, summary=summary, rows=tuple(rows))


@dataclass(frozen=True)
class LeaderboardRow:
    """One model's line on the leaderboard."""

    rank: int
    name: str
    """Policy name, disambiguated by the directory name when two results share it."""
    score: float | None
    success: int
    failure: int
    n: int
    errors: int
    mean_turns: float | None
    simulator: str
    preset: str
    path: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cells(self) -> tuple[Any, ...]:
        """The row's values in :data:`LEADERBOARD_COLUMNS` order (every table of the leaderboard)."""
        return (
            self.rank, self.name, self.score, self.success, self.failure,
            self.n, self.errors, self.mean_turns, self.simulator, self.preset,
        )


LEADERBOARD_COLUMNS: tuple[str, ...] = (
    "#", "model", "score", "success", "failure", "n", "errors", "mean turns", "simulator", "preset",
)
"""Column titles of the leaderboard, in :meth:`LeaderboardRow.cells` order."""


def check_comparable(results: Sequence[BenchResult], *, allow_mixed: bool = False) -> None:
    """Raise :class:`ConfigError` if ``results`` mix simulators or presets (unless ``allow_mixed``)."""
    if allow_mixed or len(results) < 2:
        return
    for attribute in ("simulator", "preset"):
        groups: dict[str, list[str]] = {}
        for result in results:
            groups.setdefault(getattr(result, attribute), []).append(str(result.path))
        if len(groups) > 1:
            detail = "; ".join(f"{value}: {', '.join(paths)}" for value, paths in sorted(groups.items()))
            raise ConfigError(
                f"results use different {attribute}s ({detail}); scores are only comparable under one "
                f"{attribute}. Pass --allow-mixed to rank them anyway."
            )


def leaderboard(results: Sequence[BenchResult], *, allow_mixed: bool = False) -> list[LeaderboardRow]:
    """Results ranked by score (higher first), then more successes, then fewer failures."""
    if not results:
        raise ConfigError("no benchmark results to compare")
    check_comparable(results, allow_mixed=allow_mixed)
    policies = [r.policy for r in results]
    names = [p if policies.count(p) == 1 else f"{p} ({r.path.name})" for p, r in zip(policies, results)]

    def key(item: tuple[str, BenchResult]) -> tuple[float, int, int]:
        s = item[1].summary
        score = s.get("score")
        return (
            -(float(score) if score is not None else float("-inf")),
            -int(s.get("success") or 0),
            int(s.get("failure") or 0),
        )

    ranked = sorted(zip(names, results), key=key)
    rows = []
    for rank, (name, result) in enumerate(ranked, start=1):
        s = result.summary
        rows.append(
            LeaderboardRow(
                rank=rank,
                name=name,
                score=None if s.get("score") is None else float(s["score"]),
                success=int(s.get("success") or 0),
                failure=int(s.get("failure") or 0),
                n=int(s.get("n") or 0),
                errors=int(s.get("errors") or 0),
                mean_turns=None if s.get("mean_turns") is None else float(s["mean_turns"]),
                simulator=result.simulator,
                preset=result.preset,
                path=str(result.path),
            )
        )
    return rows


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value).replace("|", "\\|")


def leaderboard_markdown(rows: Sequence[LeaderboardRow]) -> str:
    """A Markdown table of the leaderboard; the simulator and preset are always named."""
    header = "| " + " | ".join(LEADERBOARD_COLUMNS) + " |"
    lines = [header, "|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        lines.append("| " + " | ".join(_cell(c) for c in r.cells()) + " |")
    sims = sorted({r.simulator for r in rows})
    presets = sorted({r.preset for r in rows})
    lines.append("")
    lines.append(
        f"Score = mean final emotion (0-100); success = dialogues ending at 100; failure = ending below 10. "
        f"Simulator: {', '.join(sims)}; preset: {', '.join(presets)}."
    )
    return "\n".join(lines) + "\n"
