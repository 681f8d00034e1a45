"""Strategy labelling (function, LLM over the stub server, offline recogniser), distribution and contribution."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from rlver.bench.judge import JudgeConfig, JudgeParseError
from rlver.bench.strategies import (
    ESCONV_STRATEGIES,
    FunctionLabeller,
    LLMStrategyLabeller,
    TurnLabel,
    label_turns,
    parse_label_answer,
    run_strategy_analysis,
    strategy_contributions,
    strategy_distribution,
)
from rlver.cli.app import app
from rlver.llm.client import OpenAIChatClient
from tests.test_bench_fixtures import STRATEGY_OF_TEXT, make_bench_dir, table_label

FAST = JudgeConfig(max_attempts=2, backoff_seconds=0.0)


@pytest.fixture
def bench(tmp_path):
    # question (+2) then suggest (-4), repeated: 40, 42, 38, 40, 36, ... never ends early.
    return make_bench_dir(tmp_path / "b", policy="mixed", styles=("question", "suggest"), n_profiles=2)


def test_distribution_and_contribution_by_hand():
    turns = [
        TurnLabel("d", "m", 1, "Question", "a", 2),
        TurnLabel("d", "m", 2, "Question", "b", 4),
        TurnLabel("d", "m", 3, "Information", "c", -6),
        TurnLabel("d", "m", 4, "Question", "d", None),  # not appraised: counts in the share only
    ]
    dist = strategy_distribution(turns)
    assert list(dist) == list(ESCONV_STRATEGIES)
    assert (dist["Question"], dist["Information"], dist["Others"]) == (0.75, 0.25, 0.0)
    contrib = strategy_contributions(turns)
    assert contrib["Question"] == {"n": 2, "mean_change": 3.0, "total_change": 6}
    assert contrib["Information"]["mean_change"] == -6.0 and contrib["Others"]["mean_change"] is None


def test_run_with_a_function_labeller(bench):
    import asyncio

    summary = asyncio.run(run_strategy_analysis(bench, FunctionLabeller(table_label, "table")))
    # 10 replies per dialogue alternating; the 10th (a suggestion) is not appraised (sage).
    assert summary["turns"] == 20 and summary["dialogues"] == 2 and summary["errors"] == []
    assert (
        summary["distribution"]["Question"] == 0.5 and summary["distribution"]["Providing Suggestions"] == 0.5
    )
    assert summary["contributions"]["Question"] == {"n": 10, "mean_change": 2.0, "total_change": 20}
    assert summary["contributions"]["Providing Suggestions"] == {
        "n": 8,
        "mean_change": -4.0,
        "total_change": -32,
    }
    rows = [json.loads(line) for line in (bench / "analysis" / "strategies.jsonl").read_text().splitlines()]
    assert rows[9]["turn"] == 10 and rows[9]["applied_change"] is None


def test_parse_label_answer_formats():
    assert parse_label_answer('{"A1": "question", "A2": "Reflection of feelings"}', 2) == [
        "Question",
        "Reflection of Feelings",
    ]
    assert parse_label_answer("A1: Self-disclosure\nA2: Providing Suggestions", 2) == [
        "Self-disclosure",
        "Providing Suggestions",
    ]
    with pytest.raises(JudgeParseError, match="no strategy for A3"):
        parse_label_answer('{"A1": "Question", "A2": "Question"}', 3)
    with pytest.raises(JudgeParseError, match="not one of the ESConv strategies"):
        parse_label_answer('{"A1": "Cheerleading"}', 1)


def labelling_responder(request: dict) -> str:
    """Labels each numbered reply from its text, as a careful LLM would."""
    transcript = request["messages"][1]["content"]
    labels = {}
    for number, text in re.findall(r"\[A(\d+)\] Assistant: (.*)", transcript):
        labels[f"A{number}"] = STRATEGY_OF_TEXT[text.strip()]
    return json.dumps(labels)


async def test_llm_labeller_over_http(stub_server, bench):
    from rlver.bench.compare import load_result

    rows = list(load_result(bench).rows)
    with stub_server(labelling_responder) as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="labeller", api_key_env=None, max_retries=0
        ) as client:
            turns, errors = await label_turns(rows, LLMStrategyLabeller(client, FAST))
        calls = len(server.requests)
    assert errors == [] and calls == 2  # one call per dialogue, all its replies at once
    assert [t.strategy for t in turns[:3]] == ["Question", "Providing Suggestions", "Question"]
    assert server.requests[0]["temperature"] == 0.0


async def test_llm_labeller_malformed_output_is_a_recorded_error(stub_server, bench):
    from rlver.bench.compare import load_result

    rows = list(load_result(bench).rows)
    with stub_server(lambda req: '{"A1": "Question"}') as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="labeller", api_key_env=None, max_retries=0
        ) as client:
            turns, errors = await label_turns(rows[:1], LLMStrategyLabeller(client, FAST))
        calls = len(server.requests)
    assert turns == [] and calls == 2
    assert (
        errors[0]["dialogue_id"] == rows[0]["id"]
        and "after 2 attempt(s): no strategy for A2" in errors[0]["error"]
    )


def test_cli_strategies_with_llm_labeller(stub_server, bench, tmp_path):
    with stub_server(labelling_responder) as server:
        result = CliRunner().invoke(
            app,
            [
                "analyze",
                "strategies",
                str(bench),
                "--labeller",
                "openai:labeller",
                "--labeller-base-url",
                server.base_url,
                "--labeller-key-env",
                "RLVER_TEST_NO_KEY",
                "--out-dir",
                str(tmp_path / "charts"),
            ],
        )
    assert result.exit_code == 0, result.output
    assert json.loads((bench / "analysis" / "strategies.json").read_text())["labeller"] == "openai:labeller"
    for name in ("strategy_distribution.png", "strategy_contribution.png"):
        assert (tmp_path / "charts" / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_offline_labeller_uses_the_embedding_recogniser():
    """The default labeller: the offline simulator's recogniser, mapped to ESConv labels."""
    import asyncio

    from rlver.bench.strategies import offline_labeller

    row = {
        "turns": [
            {"role": "assistant", "text": "That sounds so painful, you must feel really let down."},
            {"role": "assistant", "text": "What happened after he said that?"},
            {
                "role": "assistant",
                "text": "Maybe try talking to your manager tomorrow and write down what you want to say.",
            },
        ]
    }
    labels = asyncio.run(offline_labeller().label_dialogue(row))
    assert labels.error is None
    assert labels.labels == ["Reflection of Feelings", "Question", "Providing Suggestions"]
