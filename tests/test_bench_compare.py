"""Leaderboard: ranking, refusing to mix simulators/presets, Markdown/PNG/JSON outputs via the CLI."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rlver.bench.compare import ResultFileError, leaderboard, leaderboard_markdown, load_result
from rlver.cli.app import app
from rlver.errors import ConfigError
from tests.test_bench_fixtures import make_bench_dir

runner = CliRunner()


@pytest.fixture(scope="module")
def dirs(tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    return {
        "good": make_bench_dir(root / "good", policy="empathic", styles=("reflect", "affirm")),
        "mid": make_bench_dir(root / "mid", policy="curious", styles=("question",)),
        "bad": make_bench_dir(root / "bad", policy="lecturer", styles=("suggest", "inform")),
        "other_sim": make_bench_dir(root / "other_sim", policy="empathic", simulator_name="other-sim"),
        "other_preset": make_bench_dir(root / "other_preset", policy="curious", preset="rlver"),
    }


def test_ranks_by_score_then_success_then_failure(dirs):
    rows = leaderboard([load_result(dirs[k]) for k in ("bad", "mid", "good")])
    assert [r.name for r in rows] == ["empathic", "curious", "lecturer"]
    assert [r.rank for r in rows] == [1, 2, 3]
    good, mid, bad = rows
    assert (good.score, good.success, good.failure) == (100.0, 4, 0)
    # curious: +2 per appraisal for 9 appraisals (10th reply not appraised): 40 + 18 = 58.
    assert (mid.score, mid.mean_turns) == (58.0, 10.0)
    # lecturer: -4, -7 alternate: 40, 36, 29, 25, 18, 14, 7 (< 10): failure after 6 appraisals.
    assert (bad.score, bad.failure) == (7.0, 4)
    assert all(r.simulator == "table-sim" and r.preset == "sage" for r in rows)


def test_refuses_mixed_simulators_and_presets_unless_allowed(dirs):
    with pytest.raises(ConfigError, match="different simulators .*other-sim.*table-sim.*--allow-mixed"):
        leaderboard([load_result(dirs["good"]), load_result(dirs["other_sim"])])
    with pytest.raises(ConfigError, match="different presets .*rlver.*sage"):
        leaderboard([load_result(dirs["mid"]), load_result(dirs["other_preset"])])
    rows = leaderboard([load_result(dirs["good"]), load_result(dirs["other_sim"])], allow_mixed=True)
    # Same policy name twice: disambiguated by directory.
    assert sorted(r.name for r in rows) == ["empathic (good)", "empathic (other_sim)"]


def test_markdown_names_simulator_and_preset(dirs):
    text = leaderboard_markdown(leaderboard([load_result(dirs[k]) for k in ("good", "bad")]))
    lines = text.splitlines()
    assert lines[0].startswith("| # | model | score | success | failure")
    assert lines[2] == "| 1 | empathic | 100.0 | 4 | 0 | 4 | 0 | 8.0 | table-sim | sage |"
    assert "Simulator: table-sim; preset: sage." in text


def test_summary_is_recomputed_when_only_transcripts_exist(dirs, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(dirs["mid"], copy)
    (copy / "summary.json").unlink()
    result = load_result(copy)
    assert result.summary["score"] == 58.0 and result.policy == "curious" and result.simulator == "table-sim"


def test_bad_inputs_name_the_file(tmp_path):
    with pytest.raises(ResultFileError, match="not a benchmark output"):
        load_result(tmp_path)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "dialogues.jsonl").write_text('{"id": 1}\nnot json\n{"id": 2}\n')
    with pytest.raises(ResultFileError, match=r"dialogues.jsonl:2: invalid JSON"):
        load_result(bad)


def test_cli_compare_writes_markdown_png_json(dirs, tmp_path):
    md, png, js = tmp_path / "lb.md", tmp_path / "lb.png", tmp_path / "lb.json"
    args = ["bench", "compare", str(dirs["bad"]), str(dirs["good"]), str(dirs["mid"])]
    result = runner.invoke(app, args + ["--markdown", str(md), "--png", str(png), "--json", str(js)])
    assert result.exit_code == 0, result.output
    assert "Sentient Benchmark leaderboard" in result.output
    assert md.read_text().splitlines()[2].startswith("| 1 | empathic | 100.0")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [r["name"] for r in json.loads(js.read_text())] == ["empathic", "curious", "lecturer"]


def test_cli_compare_mixed_is_a_clear_error(dirs):
    result = runner.invoke(app, ["bench", "compare", str(dirs["good"]), str(dirs["other_sim"])])
    assert result.exit_code == 2
    assert "different simulators" in result.output and "--allow-mixed" in result.output
    result = runner.invoke(
        app, ["bench", "compare", str(dirs["good"]), str(dirs["other_sim"]), "--allow-mixed"]
    )
    assert result.exit_code == 0, result.output
