"""SAGE result files → rlver transcripts and summary; malformed lines name FILE:LINE."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rlver.bench.compare import ResultFileError, leaderboard, load_result
from rlver.bench.sage_import import convert_sage_record, import_sage
from rlver.cli.app import app
from tests.test_bench_fixtures import make_bench_dir


def planning(change: int) -> dict:
    return {
        "content": "they comfort me",
        "TargetCompletion": "partly",
        "activity": "I relax a bit",
        "analyse": "ok",
        "change": change,
    }


def sage_record(
    rid: str, changes: list[int], *, trailing_reply: bool = False, last_user: str = "hmm", lang: str = "en"
) -> dict:
    """A record as SAGE writes it: opening at 40, then (assistant, user-with-planning) pairs."""
    emotion = 40
    history = [
        {
            "role": "user",
            "content": "我最近很烦" if lang == "zh" else "I'm so tired of work.",
            "emotion-point": 40,
            "planning": {},
        }
    ]
    for i, change in enumerate(changes):
        emotion = min(100, emotion + change)
        history.append({"role": "assistant", "content": f"reply {i}"})
        text = last_user if i == len(changes) - 1 else ("嗯" if lang == "zh" else "go on")
        history.append(
            {
                "role": "user",
                "content": text,
                "thinking": "t",
                "emotion-point": emotion,
                "planning": planning(change),
            }
        )
    if trailing_reply:
        history.append({"role": "assistant", "content": "final unappraised reply"})
    return {
        "id": rid,
        "emo_point": emotion,
        "emo_state": "Emotion-B",
        "player": "p",
        "scene": "s",
        "character": "负面型",
        "task": "希望对方能耐心倾听自己的抱怨",
        "history": history,
    }


RECORDS = [
    sage_record("win", [10, 10, 10, 10, 10, 10], last_user="Thank you so much, bye!"),  # 40 -> 100
    sage_record("lose", [-10, -10, -10, -5]),  # 40 -> 5
    sage_record("limit", [1] * 9, trailing_reply=True),  # 10 replies, 9 appraised: 49
    sage_record("leave", [2, -3], last_user="I have to go, goodbye."),  # 39, goodbye
    sage_record("zh", [5, 5], last_user="好吧，拜拜", lang="zh"),  # 50, goodbye in Chinese
]


def write_jsonl(path, records) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")


def test_convert_rebuilds_turns_appraisals_and_trajectory():
    row = convert_sage_record(RECORDS[0], policy="gpt-x", simulator="deepseek-v3")
    assert row["emotions"] == [40, 50, 60, 70, 80, 90, 100]
    assert (row["final_emotion"], row["end_reason"]) == (100, "success")
    first_reply = row["turns"][1]
    assert first_reply["role"] == "assistant" and first_reply["text"] == "reply 0"
    appraisal = first_reply["appraisal"]
    assert (appraisal["emotion_before"], appraisal["emotion_after"], appraisal["applied_change"]) == (
        40,
        50,
        10,
    )
    assert appraisal["activity"] == "I relax a bit" and appraisal["target_completion"] == "partly"
    assert row["turns"][2] == {"role": "user", "text": "go on", "emotion": 50, "thought": "t"}
    assert row["character"] == "negative" and row["need"] == "venting"
    # Rows load back into the project's own Episode type.
    from rlver.rollout.types import Episode

    episode = Episode.from_dict(row)
    assert episode.final_emotion == 100 and episode.policy_turns == 6


@pytest.mark.parametrize(
    "index, final, reason, turns",
    [(1, 5, "failure", 4), (2, 49, "turn_limit", 10), (3, 39, "goodbye", 2), (4, 50, "goodbye", 2)],
)
def test_end_reason_is_inferred(index, final, reason, turns):
    row = convert_sage_record(RECORDS[index], policy="m", simulator="s")
    assert (row["final_emotion"], row["end_reason"]) == (final, reason)
    assert sum(1 for t in row["turns"] if t["role"] == "assistant") == turns


def test_chinese_dialogue_detected():
    row = convert_sage_record(RECORDS[4], policy="m", simulator="s")
    assert row["language"] == "zh"


def test_import_writes_transcripts_and_summary(tmp_path):
    source = tmp_path / "gpt-x.jsonl"
    write_jsonl(source, RECORDS)
    result = import_sage(source, tmp_path / "out", policy="gpt-x", simulator="deepseek-v3")
    s = result.summary
    assert s["n"] == 5 and s["score"] == round((100 + 5 + 49 + 39 + 50) / 5, 2)
    assert (s["success"], s["failure"]) == (1, 1)
    assert (s["policy"], s["simulator"], s["preset"]) == ("gpt-x", "deepseek-v3", "sage")
    loaded = load_result(tmp_path / "out")
    assert [r["id"] for r in loaded.rows] == ["win", "lose", "limit", "leave", "zh"]


def test_imported_results_share_the_leaderboard(tmp_path):
    source = tmp_path / "sage.jsonl"
    write_jsonl(source, RECORDS)
    import_sage(source, tmp_path / "published", policy="published", simulator="table-sim")
    native = make_bench_dir(tmp_path / "native", policy="ours", n_profiles=2)
    rows = leaderboard([load_result(tmp_path / "published"), load_result(native)])
    assert [r.name for r in rows] == ["ours", "published"]


def test_malformed_line_names_file_and_line(tmp_path):
    source = tmp_path / "bad.jsonl"
    lines = [
        json.dumps(RECORDS[0]),
        "{not json",
        json.dumps({"id": "x", "history": []}),
        json.dumps(RECORDS[1]),
    ]
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(ResultFileError, match=r"bad.jsonl:2: invalid JSON"):
        import_sage(source, tmp_path / "out", policy="m", simulator="s")
    result = import_sage(source, tmp_path / "out", policy="m", simulator="s", skip_invalid=True)
    assert result.imported == 2
    assert [line.split(": ")[0].rsplit("/", 1)[-1] for line in result.skipped] == [
        "bad.jsonl:2",
        "bad.jsonl:3",
    ]
    assert "empty 'history'" in result.skipped[1]
    assert len(json.loads((tmp_path / "out" / "summary.json").read_text())["import_skipped"]) == 2


def test_bad_field_types_are_reported(tmp_path):
    record = sage_record("x", [5])
    record["history"][2]["emotion-point"] = "high"
    source = tmp_path / "f.jsonl"
    write_jsonl(source, [record])
    with pytest.raises(ResultFileError, match=r"f.jsonl:1: history\[2\]: 'emotion-point' must be a number"):
        import_sage(source, tmp_path / "out", policy="m", simulator="s")


def test_cli_import_sage(tmp_path):
    source = tmp_path / "claude.jsonl"
    write_jsonl(source, RECORDS[:2])
    out = tmp_path / "imported"
    result = CliRunner().invoke(
        app, ["bench", "import-sage", str(source), "--out", str(out), "--simulator", "deepseek-v3"]
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 dialogue(s)" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == "claude" and summary["score"] == 52.5
