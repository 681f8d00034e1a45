"""The Sentient Benchmark runner: metrics as SAGE defines them, resume, refusal to mix runs."""

from __future__ import annotations

import json

import pytest

from rlver.bench.sentient import BenchConfig, run_benchmark, summarize
from rlver.errors import ConfigError
from rlver.simulator.presets import get_preset
from tests.test_rollout_loop import ScriptedAgent, ScriptPolicy, make_profile


def _profiles():
    return [make_profile("up"), make_profile("down"), make_profile("flat"), make_profile("boom")]


def _scripts():
    return {
        "up": ["score 10"] * 10,  # ends at 100: success
        "down": ["score -10"] * 10,  # ends at 0: failure
        "flat": ["score 1"] * 10,  # 9 appraisals: 49
        "boom": ["explode"] * 10,  # simulator error
    }


async def test_summary_metrics_and_files(tmp_path):
    config = BenchConfig(preset=get_preset("sage"), concurrency=2, profiles_source="inline")
    summary = await run_benchmark(
        _profiles(), ScriptPolicy(_scripts()), ScriptedAgent(fail_on="explode"), config, tmp_path
    )
    assert summary["score"] == pytest.approx((100 + 0 + 49) / 3, abs=0.01)
    assert (summary["success"], summary["failure"], summary["n"], summary["errors"]) == (1, 1, 3, 1)
    assert summary["mean_turns"] == pytest.approx((6 + 4 + 10) / 3, abs=0.01)
    assert (summary["preset"], summary["policy"], summary["simulator"]) == ("sage", "script", "scripted")
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["score"] == summary["score"]
    rows = [json.loads(line) for line in (tmp_path / "dialogues.jsonl").read_text().splitlines()]
    assert sorted(r["profile_id"] for r in rows) == ["boom", "down", "flat", "up"]
    assert all("turns" in r and "emotions" in r for r in rows)


async def test_resume_keeps_finished_dialogues_and_reruns_the_rest(tmp_path):
    config = BenchConfig(preset=get_preset("sage"), concurrency=4)
    await run_benchmark(_profiles(), ScriptPolicy(_scripts()), ScriptedAgent(fail_on="explode"), config, tmp_path)
    # Simulate a crash mid-append: a truncated last line.
    with (tmp_path / "dialogues.jsonl").open("a") as handle:
        handle.write('{"id": "half')
    fixed = dict(_scripts(), boom=["score 2"] * 10)
    policy = ScriptPolicy(fixed)
    summary = await run_benchmark(_profiles(), policy, ScriptedAgent(fail_on="explode"), config, tmp_path)
    # Only the errored dialogue ran again.
    assert {pid for batch in policy.batches for pid in batch} == {"boom"}
    assert (summary["n"], summary["errors"]) == (4, 0)
    lines = (tmp_path / "dialogues.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line) for line in lines)


async def test_refuses_to_resume_a_different_run(tmp_path):
    config = BenchConfig(preset=get_preset("sage"))
    await run_benchmark([make_profile("up")], ScriptPolicy(_scripts()), ScriptedAgent(), config, tmp_path)
    with pytest.raises(ConfigError, match="different benchmark run"):
        await run_benchmark(
            [make_profile("up")], ScriptPolicy(_scripts()), ScriptedAgent(), BenchConfig(preset=get_preset("rlver")), tmp_path
        )


def test_summarize_thresholds_follow_sage():
    rows = [
        {"final_emotion": 100, "turns": [{"role": "assistant"}]},
        {"final_emotion": 10, "turns": []},  # not a failure: failure is < 10
        {"final_emotion": 9, "turns": []},
        {"final_emotion": None, "error": "x", "turns": []},
    ]
    s = summarize(rows, preset="sage", policy="p", simulator="s")
    assert (s["success"], s["failure"], s["n"], s["errors"]) == (1, 1, 3, 1)
    assert s["score"] == pytest.approx(119 / 3, abs=0.01)
