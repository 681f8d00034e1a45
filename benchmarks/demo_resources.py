"""Wall time and peak memory of ``rlver demo`` (what ``make demo`` runs), under ``/usr/bin/time -v``.

    .venv/bin/python benchmarks/demo_resources.py                 # one full demo
    .venv/bin/python benchmarks/demo_resources.py --repeats 3     # medians of three
    .venv/bin/python benchmarks/demo_resources.py --quick         # the smoke configuration

Budget: 20 minutes and 4 GB on 2 cores. The machine's load average is recorded before and after each
run, because on a shared machine a run can be several times slower than on an idle one.
Writes benchmarks/results/demo_resources.json (or demo_resources_quick.json).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_table, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"
BUDGET_SECONDS = 20 * 60
BUDGET_RSS_MB = 4096


def _elapsed_seconds(text: str) -> float:
    """``Elapsed (wall clock) time (h:mm:ss or m:ss): 12:34.56`` -> seconds."""
    match = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text)
    if match is None:
        raise ValueError("no wall-clock line in /usr/bin/time output")
    seconds = 0.0
    for part in match.group(1).split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def _max_rss_mb(text: str) -> float:
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    if match is None:
        raise ValueError("no max-RSS line in /usr/bin/time output")
    return int(match.group(1)) / 1024


def run_once(args: argparse.Namespace, out: Path) -> dict:
    rlver = ROOT / ".venv" / "bin" / "rlver"
    command = [TIME, "-v", str(rlver if rlver.exists() else "rlver"), "demo", "--out", str(out), "--seed", str(args.seed)]
    if args.quick:
        command.append("--quick")
    load_before = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    load_after = os.getloadavg()[0]
    if done.returncode != 0:
        raise SystemExit(f"rlver demo failed ({done.returncode}):\n{done.stderr[-4000:]}")
    summary = json.loads((out / "summary.json").read_text())
    return {
        "wall_seconds": round(_elapsed_seconds(done.stderr), 1),
        "max_rss_mb": round(_max_rss_mb(done.stderr), 1),
        "load_before": round(load_before, 2),
        "load_after": round(load_after, 2),
        "timings": summary["timings"],
        "base_score": summary["base"]["score"],
        "trained_score": summary["trained"]["score"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="measure `rlver demo --quick` instead")
    parser.add_argument("--keep", type=Path, default=None, help="keep the demo outputs in this folder")
    args = parser.parse_args()
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is missing: install it with `apt-get install time` (Debian/Ubuntu)")
    runs = []
    for index in range(args.repeats):
        folder = Path(tempfile.mkdtemp(prefix="rlver-demo-resources-"))
        try:
            runs.append(run_once(args, folder / "demo"))
            if args.keep is not None:
                shutil.rmtree(args.keep, ignore_errors=True)
                shutil.copytree(folder / "demo", args.keep)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        print(f"run {index + 1}/{args.repeats}: {runs[-1]}", flush=True)
    wall = median([r["wall_seconds"] for r in runs])
    rss = median([r["max_rss_mb"] for r in runs])
    rows = [(i + 1, r["wall_seconds"], r["max_rss_mb"], r["load_before"], r["load_after"], r["base_score"],
             r["trained_score"]) for i, r in enumerate(runs)]
    rows.append(("median", wall, rss, "", "", "", ""))
    print_table("rlver demo" + (" --quick" if args.quick else ""),
                ["run", "wall s", "max RSS MB", "load before", "load after", "base", "trained"], rows)
    busy = max(r["load_before"] for r in runs) > 2.5
    result = {
        "command": "rlver demo" + (" --quick" if args.quick else "") + f" --seed {args.seed}",
        "repeats": args.repeats,
        "median_wall_seconds": wall,
        "median_max_rss_mb": rss,
        "budget": {"wall_seconds": BUDGET_SECONDS, "max_rss_mb": BUDGET_RSS_MB},
        "within_budget": wall <= BUDGET_SECONDS and rss <= BUDGET_RSS_MB,
        "machine_busy": busy,
        "note": "load average > 2.5 on 2 cores before a run: other jobs shared the CPU" if busy else "",
        "runs": runs,
    }
    path = write_result("demo_resources" + ("_quick" if args.quick else ""), result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
