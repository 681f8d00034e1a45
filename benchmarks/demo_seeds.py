"""Does the demo reliably work? ``rlver demo`` over several seeds, per variant (grpo, ppo, think).

    .venv/bin/python benchmarks/demo_seeds.py                          # GRPO, seeds 0 1 2
    .venv/bin/python benchmarks/demo_seeds.py --variants grpo ppo think

Target (issue 5): averaged over the seeds, the trained policy's Sentient score on builtin:test
(sage preset, offline simulator) beats the base by >= 25 points, with more successes and fewer
failures. Each run is a separate ``rlver demo`` process (as a user would run it). Reward curves
and, for think, the format-violation rate per step are kept for the docs.
Writes benchmarks/results/demo_seeds.json (variants measured earlier are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import RESULTS, median, print_table, write_result  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_GAIN = 25.0


def run(variant: str, seed: int, out: Path, steps: int | None, reuse: bool = False) -> dict:
    if reuse and (out / "summary.json").is_file():  # a finished run of this variant and seed
        return read_run(seed, out, load=None)
    rlver = ROOT / ".venv" / "bin" / "rlver"
    command = [str(rlver if rlver.exists() else "rlver"), "demo", "--out", str(out), "--seed", str(seed)]
    command += ["--algo", "ppo"] if variant == "ppo" else ["--algo", "grpo"]
    if variant == "think":
        command.append("--think")
    if steps is not None:
        command += ["--steps", str(steps)]
    load = os.getloadavg()[0]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")
    return read_run(seed, out, load=load)


def read_run(seed: int, out: Path, load: float | None) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    if summary["seed"] != seed or summary["quick"]:
        raise SystemExit(f"{out}/summary.json is not a full run with seed {seed}")
    return {
        "seed": seed,
        "out": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out),
        "load_before": None if load is None else round(load, 2),
        "base": {k: summary["base"][k] for k in ("score", "success", "failure", "n", "format_violations")},
        "trained": {k: summary["trained"][k] for k in ("score", "success", "failure", "n", "format_violations")},
        "reward_curve": summary["training"]["reward_curve"],
        "final_emotion_curve": summary["training"].get("final_emotion_curve"),
        "format_violation_rate_curve": summary["training"]["format_violation_rate_curve"],
        "by_need": {"base": summary["base"].get("by_need"), "trained": summary["trained"].get("by_need")},
        "timings": summary["timings"],
    }


def aggregate(runs: list[dict]) -> dict:
    def mean(side: str, key: str) -> float:
        return round(statistics.fmean(r[side][key] for r in runs), 2)

    out = {side: {k: mean(side, k) for k in ("score", "success", "failure")} for side in ("base", "trained")}
    gain = round(out["trained"]["score"] - out["base"]["score"], 2)
    out["score_gain"] = gain
    out["median_total_seconds"] = median([r["timings"]["total_seconds"] for r in runs])
    out["target_met"] = bool(
        gain >= TARGET_GAIN
        and out["trained"]["success"] > out["base"]["success"]
        and out["trained"]["failure"] < out["base"]["failure"]
    )
    return out


def plot_curves(variants: dict, path: Path) -> None:
    """Final emotion of the training dialogues per step, one line per variant and seed (and think's violations)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("final_emotion_curve", "final emotion of training dialogues", "rlver demo: training curves",
               sorted(variants.items()))]
    if "think" in variants:
        panels.append(("format_violation_rate_curve", "dialogues ended by a format violation",
                       "--think: format violations", [("think", variants["think"])]))
    fig, axes = plt.subplots(1, len(panels), figsize=(5.5 * len(panels) + 1, 3.8), squeeze=False)
    for ax, (key, ylabel, title, series) in zip(axes[0], panels):
        for name, data in series:
            for run in data["runs"]:
                curve = run.get(key) or []
                ax.plot(range(1, len(curve) + 1), curve, linewidth=1.4, label=f"{name} seed {run['seed']}")
        ax.set_xlabel("step")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", nargs="+", default=["grpo"], choices=["grpo", "ppo", "think"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--steps", type=int, default=None, help="override the demo's training steps")
    parser.add_argument("--runs-dir", type=Path, default=ROOT / "runs" / "demo-seeds")
    parser.add_argument("--note", default="", help="how the runs were made (kept with the variant's results)")
    parser.add_argument("--label", default=None,
                        help="store the results under this name instead of the variant's (keeps earlier results)")
    parser.add_argument("--reuse", action="store_true",
                        help="read RUNS_DIR/VARIANT-sSEED/summary.json where it exists instead of running again "
                             "(e.g. runs made in parallel, or by demo_resources.py --keep)")
    args = parser.parse_args()
    previous = RESULTS / "demo_seeds.json"
    result = json.loads(previous.read_text()) if previous.exists() else {}
    result.pop("machine", None)
    variants = result.setdefault("variants", {})
    for variant in args.variants:
        runs = []
        for seed in args.seeds:
            runs.append(run(variant, seed, args.runs_dir / f"{variant}-s{seed}", args.steps, args.reuse))
            r = runs[-1]
            print(f"{variant} seed {seed}: base {r['base']['score']} -> trained {r['trained']['score']} "
                  f"({r['timings']['total_seconds']:.0f}s)", flush=True)
        variants[args.label or variant] = {"seeds": args.seeds, "steps": args.steps, "note": args.note,
                             "summary": aggregate(runs), "runs": runs}
    rows = []
    for name, data in variants.items():
        s = data["summary"]
        rows.append((name, s["base"]["score"], s["trained"]["score"], s["score_gain"],
                     f"{s['base']['success']} -> {s['trained']['success']}",
                     f"{s['base']['failure']} -> {s['trained']['failure']}", s["median_total_seconds"],
                     "yes" if s["target_met"] else "no"))
    print_table("rlver demo over seeds (means; builtin:test, sage, offline simulator)",
                ["variant", "base", "trained", "gain", "success", "failure", "median s", "target"], rows)
    plot_curves(variants, RESULTS / "demo_curves.png")
    result["target"] = f"trained - base >= {TARGET_GAIN} points, more successes, fewer failures (means over seeds)"
    path = write_result("demo_seeds", result)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
