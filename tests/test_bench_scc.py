"""Social-cognition coordinates: the documented formula, judge refinement over HTTP, CLI."""

from __future__ import annotations

import asyncio
import json

import pytest
from typer.testing import CliRunner

from rlver.bench.compare import ResultFileError
from rlver.bench.judge import JudgeConfig, JudgeParseError
from rlver.bench.scc import (
    CREATIVITY_WEIGHTS,
    EMPATHY_WEIGHTS,
    Coordinate,
    blend,
    coordinate_from_distribution,
    parse_scc_answer,
    run_scc_analysis,
)
from rlver.bench.strategies import ESCONV_STRATEGIES, FunctionLabeller, run_strategy_analysis
from rlver.cli.app import app
from rlver.errors import ConfigError
from rlver.llm.client import OpenAIChatClient
from tests.test_bench_fixtures import make_bench_dir, table_label


def test_weights_cover_every_esconv_strategy_within_bounds():
    for weights in (EMPATHY_WEIGHTS, CREATIVITY_WEIGHTS):
        assert set(weights) == set(ESCONV_STRATEGIES)
        assert all(-1.0 <= w <= 1.0 for w in weights.values())


def test_formula_by_hand():
    # x = Σ p_s wx_s: 0.5·1.0 (reflection) + 0.25·(−1.0) (suggestions) + 0.25·0.1 (question) = 0.275
    # y = Σ p_s wy_s: 0.5·0.2 + 0.25·(−0.6) + 0.25·0.3 = 0.025
    point = coordinate_from_distribution(
        {"Reflection of Feelings": 0.5, "Providing Suggestions": 0.25, "Question": 0.25}
    )
    assert point == Coordinate(0.275, 0.025)
    # Shares are renormalised (counts work too); pure strategies land on their weights.
    assert coordinate_from_distribution({"Providing Suggestions": 3}) == Coordinate(-1.0, -0.6)
    assert coordinate_from_distribution({"Self-disclosure": 1}) == Coordinate(0.4, 1.0)
    with pytest.raises(ConfigError, match="empty"):
        coordinate_from_distribution({})


def test_blend_and_judge_parsing():
    assert blend(Coordinate(0.2, -0.4), Coordinate(1.0, 0.0), 0.25) == Coordinate(0.4, -0.3)
    assert parse_scc_answer('{"empathy": 2, "creativity": -1}') == Coordinate(1.0, -0.5)
    assert parse_scc_answer("empathy: -2\ncreativity: +1") == Coordinate(-1.0, 0.5)
    with pytest.raises(JudgeParseError, match="creativity"):
        parse_scc_answer('{"empathy": 1}')
    with pytest.raises(JudgeParseError, match="-2..2"):
        parse_scc_answer('{"empathy": 5, "creativity": 0}')


@pytest.fixture
def labelled(tmp_path):
    empathic = make_bench_dir(
        tmp_path / "empathic", policy="empathic", styles=("reflect", "affirm"), n_profiles=2
    )
    fixer = make_bench_dir(tmp_path / "fixer", policy="fixer", styles=("suggest", "inform"), n_profiles=2)
    for d in (empathic, fixer):
        asyncio.run(run_strategy_analysis(d, FunctionLabeller(table_label)))
    return empathic, fixer


def test_models_land_on_the_expected_sides(labelled):
    empathic, fixer = (asyncio.run(run_scc_analysis(d)) for d in labelled)
    assert empathic["coordinate"]["x"] > 0.5 > -0.5 > fixer["coordinate"]["x"]
    assert fixer["coordinate"]["y"] < 0
    assert (
        empathic["judge"] is None
        and json.loads((labelled[0] / "analysis" / "scc.json").read_text()) == empathic
    )


async def test_judge_refinement_over_http(stub_server, labelled):
    empathic = labelled[0]
    with stub_server(lambda req: '{"empathy": 2, "creativity": 2}') as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="judge", api_key_env=None, max_retries=0
        ) as client:
            summary = await run_scc_analysis(empathic, client=client, config=JudgeConfig(backoff_seconds=0.0))
    base = summary["strategy_coordinate"]
    assert summary["judge_coordinate"] == {"x": 1.0, "y": 1.0} and summary["judged"] == 2
    assert summary["coordinate"] == {
        "x": round(0.5 * base["x"] + 0.5, 4),
        "y": round(0.5 * base["y"] + 0.5, 4),
    }


async def test_judge_failures_keep_the_strategy_coordinate(stub_server, labelled):
    with stub_server(lambda req: "I'd rather not say") as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="judge", api_key_env=None, max_retries=0
        ) as client:
            summary = await run_scc_analysis(
                labelled[1], client=client, config=JudgeConfig(max_attempts=2, backoff_seconds=0.0)
            )
    assert summary["judge_coordinate"] is None and len(summary["judge_errors"]) == 2
    assert summary["coordinate"] == summary["strategy_coordinate"]


def test_missing_strategy_analysis_is_a_clear_error(tmp_path):
    bench = make_bench_dir(tmp_path / "b", n_profiles=1)
    with pytest.raises(ResultFileError, match="run `rlver analyze strategies"):
        asyncio.run(run_scc_analysis(bench))


def test_cli_scc_writes_scatter_plot(labelled, tmp_path):
    png = tmp_path / "scc.png"
    result = CliRunner().invoke(app, ["analyze", "scc", *map(str, labelled), "--png", str(png)])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:4] == b"\x89PNG"
