"""Crash and resume: what kill -9 (and a full or read-only disk) does to `rlver train` and `rlver bench`.

Each scenario runs the real CLI in a fresh process, kills it (SIGKILL) at a named point through the
test-only ``RLVER_CRASH_AT`` hook (``rlver.utils.crashpoints``), resumes it (``--resume``, or the same
``rlver bench`` again) and compares what it left with an uninterrupted run of the same seed:

* train: configs/demo-grpo.yaml with a checkpoint every step, 3 steps x 2 profiles x 2 dialogues x
  2 turns, 16 new tokens, one dialogue at a time (``max_concurrent: 1``; see the batched row for
  why); metrics per step (every key but ``perf/*``), transcripts, sha256 of the final safetensors;
* bench: ``--policy builtin:tiny --simulator offline --profiles builtin:test`` (72 dialogues,
  default concurrency 16), killed after 21 dialogues and halfway through the 22nd line; the summary
  (but its timestamp) and one line per dialogue;
* disks: a full disk (a tmpfs with 4 MB free) and a read-only checkpoints folder / output folder
  (read-only bind mounts; `unshare -m`), then the same run resumed once the disk is fixed.

"seconds lost" = crashed run + resumed run - uninterrupted run (wall clock, process start-up of the
extra run included). Prints a table and writes benchmarks/results/crash_resume.json.

    .venv/bin/python benchmarks/crash_resume.py [--bench-limit 72] [--skip-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the helpers shared with tests/test_crash_resume.py
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import print_table, write_result  # noqa: E402
from tests.test_crash_resume import (  # noqa: E402
    RunResult,
    bench_args,
    bench_summary,
    dialogue_rows,
    error_lines,
    mount_wrapper,
    read_only_wrapper,
    run_rlver,
    tiny_train_config,
    train_args,
    train_metrics,
    train_rollouts,
    weights_digest,
)

__all__ = ["Row", "main"]

BATCHED_RUNS = 3
TRAIN_KILLS = [
    ("mid-rollout", "rollout:3"),
    ("mid-update", "update:3"),
    ("mid-line of rollouts.jsonl", "append.rollouts:10"),  # step 3's 2nd transcript (4 per step)
    ("mid-line of metrics.jsonl", "append.metrics:3"),
    ("mid-checkpoint write", "checkpoint.files:3"),
    ("checkpoint renamed, `latest` not", "checkpoint.rename:3"),
]


@dataclass
class Row:
    scenario: str
    killed_at: str
    resumed_ok: bool
    metrics_equal: bool | None
    weights_equal: bool | None
    lines: str
    seconds_lost: float | None
    notes: dict[str, Any] = field(default_factory=dict)


def _require(result: RunResult, what: str, code: int = 0) -> RunResult:
    """Stop the benchmark when a run it compares against did not end as it must."""
    if result.returncode != code:
        raise SystemExit(f"{what} ended with {result.returncode}, not {code}:\n{result.stderr[-2000:]}")
    return result


def _max_relative_difference(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> float | None:
    """Largest |x - y| / max(|x|, |y|) over the numeric metrics of two runs (None: not comparable)."""
    if len(a) != len(b):
        return None
    worst = 0.0
    for row_a, row_b in zip(a, b):
        for key, x in row_a.items():
            y = row_b.get(key)
            if isinstance(x, (int, float)) and isinstance(y, (int, float)) and x != y:
                worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return worst


def _train_row(
    scenario: str,
    killed_at: str,
    out: Path,
    reference: Path,
    spent: list[RunResult],
    reference_s: float,
    ok: bool,
) -> Row:
    metrics, expected = (train_metrics(out), train_metrics(reference)) if ok else ([], [])
    return Row(
        scenario=scenario,
        killed_at=killed_at,
        resumed_ok=ok,
        metrics_equal=ok and metrics == expected and train_rollouts(out) == train_rollouts(reference),
        weights_equal=ok and weights_digest(out) == weights_digest(reference),
        lines=f"{len(metrics)} metrics / {len(train_rollouts(out)) if ok else 0} transcripts",
        seconds_lost=round(sum(r.seconds for r in spent) - reference_s, 1),
        notes={"max_relative_metric_difference": _max_relative_difference(metrics, expected)}
        if ok
        else _failure_notes(spent),
    )


def _failure_notes(spent: list[RunResult]) -> dict[str, Any]:
    """Exit codes and the end of stderr of each run, to see why a scenario failed."""
    return {"returncodes": [r.returncode for r in spent], "stderr": [r.stderr[-1500:] for r in spent]}


def train_scenarios(work: Path) -> list[Row]:
    config = tiny_train_config(work)
    reference = work / "reference"
    first = _require(run_rlver(train_args(config, reference)), "the uninterrupted training run")
    rows = [
        Row(
            "uninterrupted",
            "-",
            True,
            True,
            True,
            f"{len(train_metrics(reference))} metrics / {len(train_rollouts(reference))} transcripts",
            0.0,
            {"seconds": round(first.seconds, 1)},
        )
    ]

    for scenario, point in TRAIN_KILLS:
        out = work / point.replace(":", "-")
        killed = run_rlver(train_args(config, out), crash_at=point)
        resumed = run_rlver(train_args(config, out, resume=True))
        ok = killed.returncode == -9 and resumed.returncode == 0
        rows.append(_train_row(scenario, point, out, reference, [killed, resumed], first.seconds, ok))

    # A full disk, then a read-only checkpoints folder, each fixed and resumed: start from a run
    # killed mid-rollout of step 3 (checkpoint 2 the latest).
    crashed = work / "crashed"
    crash = _require(run_rlver(train_args(config, crashed), crash_at="rollout:3"), "the killed run", code=-9)
    for scenario in ("full disk (4 MB free)", "read-only checkpoints folder", "read-only output folder"):
        out = work / scenario.split(" (")[0].replace(" ", "-")
        shutil.copytree(crashed, out)
        if scenario.startswith("full disk"):
            wrapper = mount_wrapper(out, work / "disk", work / "left", headroom_kb=4096)
            failed = run_rlver(train_args(config, work / "disk", resume=True), wrapper=wrapper or [])
            if wrapper is not None:  # the run's folder as the full disk left it, on a disk with room
                shutil.rmtree(out)
                shutil.copytree(work / "left", out)
        else:
            folder = out / "checkpoints" if "checkpoints" in scenario else out
            wrapper = read_only_wrapper(folder)
            failed = run_rlver(train_args(config, out, resume=True), wrapper=wrapper or [])
        if wrapper is None:
            rows.append(Row(scenario, "-", False, None, None, "no mount namespace here", None))
            continue
        latest = (out / "checkpoints" / "latest").read_text(encoding="utf-8").strip()
        resumed = run_rlver(train_args(config, out, resume=True))
        ok = failed.returncode == 1 and resumed.returncode == 0
        row = _train_row(scenario, "exit 1", out, reference, [crash, failed, resumed], first.seconds, ok)
        row.killed_at = f"exit {failed.returncode}"
        row.notes.update(error=error_lines(failed), latest_after_failure=latest)
        rows.append(row)

    # Batched generation (the demo's max_concurrent 64): which replies share a model.generate batch
    # depends on timing, and padded batches differ in the last float bits, so uninterrupted runs
    # may already differ from each other; a crash adds nothing to that.
    batched = work / "batched.yaml"
    batched.write_text(config.read_text(encoding="utf-8").replace("max_concurrent: 1", "max_concurrent: 64"))
    runs = [work / f"batched-{i}" for i in range(BATCHED_RUNS)]
    spent = [run_rlver(train_args(batched, out)) for out in runs]
    same = all(r.returncode == 0 for r in spent)
    notes: dict[str, Any] = _failure_notes(spent)
    metrics: set[str] = set()
    digests: set[str] = set()
    if same:
        metrics = {json.dumps(train_metrics(out)) for out in runs}
        digests = {json.dumps(weights_digest(out)) for out in runs}
        worst = [_max_relative_difference(train_metrics(runs[0]), train_metrics(out)) or 0.0 for out in runs]
        notes = {"max_relative_metric_difference": max(worst)}
    rows.append(
        Row(
            f"batched (max_concurrent 64): {BATCHED_RUNS} uninterrupted runs",
            "-",
            same,
            same and len(metrics) == 1,
            same and len(digests) == 1,
            f"{len(metrics)} distinct metrics, {len(digests)} distinct weights",
            None,
            notes,
        )
    )
    return rows


def bench_scenarios(work: Path, limit: int) -> list[Row]:
    extra = ["--limit", str(limit)]
    reference = work / "bench-reference"
    first = _require(run_rlver(bench_args(reference, *extra)), "the uninterrupted benchmark")
    expected = dialogue_rows(reference)
    rows = [
        Row(
            "bench uninterrupted",
            "-",
            True,
            True,
            None,
            str(len(expected)),
            0.0,
            {"seconds": round(first.seconds, 1)},
        )
    ]
    done = max(1, limit * 21 // 72)  # the brief's "killed after 21 of 72"
    for scenario, point in [
        (f"bench killed after {done} dialogues", f"bench.dialogue:{done}"),
        (f"bench killed mid-line {done + 1}", f"append.dialogues:{done + 1}"),
    ]:
        out = work / point.replace(":", "-")
        killed = run_rlver(bench_args(out, *extra), crash_at=point)
        rerun = run_rlver(bench_args(out, *extra))
        ok = killed.returncode == -9 and rerun.returncode == 0
        lines = dialogue_rows(out) if ok else []
        ids = [json.loads(line)["profile_id"] for line in lines]
        rows.append(
            Row(
                scenario,
                point,
                ok and len(ids) == len(set(ids)) == len(expected),
                ok and bench_summary(out) == bench_summary(reference) and sorted(lines) == sorted(expected),
                None,
                str(len(lines)),
                round(killed.seconds + rerun.seconds - first.seconds, 1),
                {"distinct_dialogues": len(set(ids))} if ok else _failure_notes([killed, rerun]),
            )
        )
    out = work / "bench-read-only"
    out.mkdir()
    wrapper = read_only_wrapper(out)
    if wrapper is not None:
        failed = run_rlver(bench_args(out, *extra), wrapper=wrapper)
        rows.append(
            Row(
                "bench read-only --out",
                f"exit {failed.returncode}",
                False,
                None,
                None,
                "0",
                None,
                {"error": error_lines(failed)},
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bench-limit", type=int, default=72, help="benchmark profiles (builtin:test has 72)"
    )
    parser.add_argument("--skip-bench", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crash-resume-") as tmp:
        work = Path(tmp)
        rows = train_scenarios(work)
        if not args.skip_bench:
            rows += bench_scenarios(work, args.bench_limit)
    os.environ.setdefault("COLUMNS", "170")  # rich would squeeze the table into 80 columns off a terminal
    headers = [
        "scenario",
        "killed at",
        "resumed ok",
        "metrics equal",
        "weights equal",
        "lines",
        "seconds lost",
    ]
    print_table(
        "Crash and resume (SIGKILL at a named point, then --resume / rerun)",
        headers,
        [
            [
                r.scenario,
                r.killed_at,
                r.resumed_ok,
                r.metrics_equal,
                r.weights_equal,
                r.lines,
                "-" if r.seconds_lost is None else r.seconds_lost,
            ]
            for r in rows
        ],
    )
    for row in rows:
        if row.notes.get("error"):
            print(f"{row.scenario}: {row.notes['error'][0]}")
    path = write_result(
        "crash_resume",
        {
            "train": "configs/demo-grpo.yaml, checkpoint.every 1, --steps 3 --profiles-per-step 2 --group-size 2 "
            "--max-turns 2, max_new_tokens 16, max_concurrent 1, one torch thread",
            "bench": f"--policy builtin:tiny --simulator offline --profiles builtin:test --limit {args.bench_limit}",
            "rows": [asdict(r) for r in rows],
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
