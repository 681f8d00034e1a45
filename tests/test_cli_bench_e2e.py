"""`rlver bench` and `rlver simulate` end to end: real CLI, real HTTP client, real local stub server.

The stub plays both the policy model and the simulator model, in English and in Chinese
(official-format SAGE profiles).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from rlver.cli import app
from rlver.testing import StubChatServer

DATA = Path(__file__).parent / "data"
EMOTION = re.compile(r"(\d+)\s*/\s*100|emotion[^0-9]{0,20}(\d+)|情绪[^0-9]{0,20}(\d+)")


def scripted(request: dict) -> str:
    system = request["messages"][0]["content"]
    if "TargetCompletion" in system:  # appraisal: a steady +10, so sage dialogues succeed
        return "**Content**：listening\n**TargetCompletion**: yes\n**Activity**: relieved\n**Analyse**: good\n**Change**：+10"
    if request["model"] in ("stub-policy", "stub") and "TargetCompletion" not in system and "Response" not in system:
        return "That sounds heavy. What happened next?"  # the policy
    if "Origin" in system or "Response" in system:  # opening or reply; goodbye once the prompt says state S
        if "state S" in request["messages"][-1]["content"] or "状态S" in request["messages"][-1]["content"]:
            return "Thinking: done\nOrigin: thanks\nChange: -\nResponse: Thanks, bye! 再见"
        return "Thinking: ok\nOrigin: go on\nChange: -\nResponse: Yeah... it's been a lot."
    raise AssertionError(f"unexpected request: {system[:80]}")


def _write_native(tmp_path: Path) -> Path:
    rows = [
        {
            "id": f"en-{i}",
            "persona": "Maya, 34, nurse",
            "scene": "Her shift manager blamed her for a mix-up.",
            "task": "wants to be listened to while venting",
            "need": "venting",
            "character": "negative",
            "traits": ["angry", "proud", "tired"],
            "first_talk": "Honestly, what a week.",
            "language": "en",
        }
        for i in range(3)
    ]
    path = tmp_path / "profiles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _bench(server: StubChatServer, profiles: Path, out: Path, *extra: str):
    return CliRunner().invoke(
        app,
        [
            "bench", "--profiles", str(profiles),
            "--policy", "openai:stub-policy", "--policy-base-url", server.base_url,
            "--simulator", "openai:stub-sim", "--simulator-base-url", server.base_url,
            "--preset", "sage", "--out", str(out), "--concurrency", "4", *extra,
        ],
    )


def test_bench_english_and_resume(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    profiles = _write_native(tmp_path)
    out = tmp_path / "bench"
    with StubChatServer(scripted) as server:
        result = _bench(server, profiles, out)
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        # 40 + 6 x 10 = 100 after six appraisals: every dialogue succeeds.
        assert (summary["score"], summary["success"], summary["failure"], summary["n"]) == (100, 3, 0, 3)
        assert summary["mean_turns"] == 6
        assert summary["policy"] == "openai:stub-policy" and summary["simulator"].endswith("stub-sim")
        rows = [json.loads(line) for line in (out / "dialogues.jsonl").read_text().splitlines()]
        assert [r["emotions"] for r in rows] == [[40, 50, 60, 70, 80, 90, 100]] * 3
        assert rows[0]["turns"][1]["appraisal"]["activity"] == "relieved"
        calls = len(server.requests)
        # Rerun: everything finished, nothing is called again.
        again = _bench(server, profiles, out)
        assert again.exit_code == 0, again.output
        assert "resuming: 3/3" in again.output
        assert len(server.requests) == calls


def test_bench_chinese_official_profiles(tmp_path):
    out = tmp_path / "bench-zh"
    with StubChatServer(scripted) as server:
        result = _bench(server, DATA / "official_zh.jsonl", out, "--limit", "2")
        assert result.exit_code == 0, result.output
        summary = json.loads((out / "summary.json").read_text())
        assert summary["n"] == 2 and summary["score"] == 100
        sim_prompts = [r["messages"][0]["content"] for r in server.requests if "TargetCompletion" in r["messages"][0]["content"]]
        assert sim_prompts and all(re.search(r"[\u4e00-\u9fff]", p) for p in sim_prompts)


def test_bench_bad_inputs_exit_non_zero_with_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["bench", "--profiles", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert f"{bad}:1" in result.output
    result = CliRunner().invoke(
        app, ["bench", "--profiles", str(bad), "--out", str(tmp_path / "o"), "--simulator", "nonsense"]
    )
    assert result.exit_code == 2
    result = CliRunner().invoke(app, ["bench", "--profiles", str(_write_native(tmp_path)), "--out", str(tmp_path / "o"), "--preset", "nope"])
    assert result.exit_code == 2 and "unknown preset" in result.output


def test_simulate_prints_turns_emotion_and_thoughts(tmp_path):
    profiles = _write_native(tmp_path)
    with StubChatServer(scripted) as server:
        result = CliRunner().invoke(
            app,
            [
                "simulate", "--profiles", str(profiles), "--profile-id", "en-1",
                "--policy", "openai:stub", "--policy-base-url", server.base_url,
                "--simulator", "openai:stub", "--simulator-base-url", server.base_url,
            ],
        )
    assert result.exit_code == 0, result.output
    assert "relieved" in result.output  # inner thoughts
    assert "40 → 50" in result.output
    assert "dialogue ended: success; final emotion 100" in result.output
