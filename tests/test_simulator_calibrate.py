"""Calibration of the offline Sentient Agent against DeepSeek-V3's recorded SAGE appraisals (sample)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.simulator.offline.calibration import TurnResult, agreement, spearman
from rlver.simulator.offline.sage import compact_record, model_from_path, read_dialogues, recorded_turns

SAGE = Path(__file__).parent / "data" / "sage"
MODELS = {"gpt-4.1", "claude3.7", "deepseek-v3-1227", "llama3.3-70b", "qwen2.5-72b"}


def test_the_sample_holds_every_model_on_eight_profiles():
    dialogues = read_dialogues([SAGE / "dialogues.jsonl.gz"])
    assert {d.model for d in dialogues} == MODELS and len(dialogues) == 40
    turns = recorded_turns(dialogues)
    assert {t.change for t in turns} <= {-10, -5, 0, 5, 10}
    first = turns[0]
    assert first.turn == 1 and first.history[0][0] == "user" and first.emotion_before == 40


def test_a_raw_sage_record_is_compacted():
    raw = {
        "id": "p1",
        "emo_point": 45,
        "history": [
            {"role": "user", "content": "开场", "emotion-point": 40},
            {"role": "assistant", "content": "回复一"},
            {
                "role": "user",
                "content": "嗯",
                "emotion-point": 45,
                "planning": {"change": 5, "analyse": "..."},
            },
            {"role": "assistant", "content": "回复二（第十句，不评）"},
        ],
    }
    dialogue = compact_record(raw, model_from_path("x/gpt-4.1_result.jsonl"))
    assert dialogue.model == "gpt-4.1" and dialogue.profile == "p1"
    assert dialogue.messages[2] == {"role": "user", "content": "嗯", "emotion": 45, "change": 5}
    [turn] = recorded_turns([dialogue])
    assert (turn.turn, turn.reply, turn.change) == (1, "回复一", 5)


def test_spearman_and_agreement_by_hand():
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 2], [1, 2, 3]) == pytest.approx(0.866, abs=1e-3)  # ties share their rank
    turns = [TurnResult("m", "d", 1, 5, 10, 45), TurnResult("m", "d", 2, -12, -5, 35)]
    row = agreement("m", turns, [35], [40])
    assert row.sign_agreement == 1.0 and row.mae == pytest.approx((5 + 5) / 2)  # -12 clamps to -10
    assert (row.replayed_score, row.published_score) == (35.0, 40.0)


def test_calibrate_cli_on_the_sample(tmp_path):
    out = tmp_path / "cal"
    args = ["simulator", "calibrate", "--sage-results", str(SAGE / "dialogues.jsonl.gz")]
    args += ["--profiles", str(SAGE / "profiles.jsonl.gz"), "--out", str(out), "--limit", "1"]
    args += ["--held-out", "claude3.7", "--held-out", "llama3.3-70b"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {m["model"] for m in summary["models"]} == MODELS
    assert {m["model"] for m in summary["models"] if m["held_out"]} == {"claude3.7", "llama3.3-70b"}
    turns = [json.loads(line) for line in (out / "turns.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(turns) == summary["turns"] > 0
    assert set(turns[0]) == {
        "dialogue",
        "turn",
        "model",
        "offline_change",
        "recorded_change",
        "offline_emotion",
    }
    assert "spearman" in result.output and "held out" in result.output


def test_calibrate_names_a_missing_profile(tmp_path):
    empty = tmp_path / "profiles.jsonl"
    empty.write_text("", encoding="utf-8")
    args = ["simulator", "calibrate", "--sage-results", str(SAGE / "dialogues.jsonl.gz")]
    result = CliRunner().invoke(app, args + ["--profiles", str(empty), "--out", str(tmp_path / "o")])
    assert result.exit_code != 0
