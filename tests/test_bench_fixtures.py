"""Benchmark directories built by the real benchmark runner, for the analysis and report tests.

A scripted simulated user (``TableAgent``) reacts to a small bank of replies, each written in one
ESConv strategy, with a fixed emotion change; a scripted policy (``StylePolicy``) cycles through a
style schedule. ``make_bench_dir`` runs :func:`rlver.bench.sentient.run_benchmark` with them, so the
fixtures are real ``dialogues.jsonl`` / ``summary.json`` outputs with appraisals.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Sequence

from rlver.bench.sentient import BenchConfig, run_benchmark
from rlver.policy.base import PolicyRequest
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply
from rlver.simulator.presets import get_preset

# style -> (reply text, ESConv strategy, emotion change the scripted user applies)
REPLIES: dict[str, tuple[str, str, int]] = {
    "reflect": ("It sounds like you feel really hurt and alone in this.", "Reflection of Feelings", 9),
    "affirm": ("You handled that with a lot of courage.", "Affirmation and Reassurance", 6),
    "question": ("What happened after that?", "Question", 2),
    "suggest": ("You should just talk to your boss tomorrow.", "Providing Suggestions", -4),
    "inform": ("Studies show that stress affects sleep.", "Information", -7),
}
STRATEGY_OF_TEXT = {text: strategy for text, strategy, _ in REPLIES.values()}
CHANGE_OF_TEXT = {text: change for text, _, change in REPLIES.values()}


def table_label(text: str) -> str:
    """A deterministic offline labeller for the fixture replies."""
    return STRATEGY_OF_TEXT.get(text, "Others")


class TableAgent(SentientAgent):
    """Change = the table's value for the reply; appraisal texts say which reply they judged."""

    name = "table-sim"

    async def opening(self, state: DialogueState) -> UserReply:
        return UserReply(response=f"Hi, it's {state.profile.name}. Work has been awful.")

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        change = CHANGE_OF_TEXT.get(reply, 0)
        return Appraisal(
            content=f"They said: {reply}",
            target_completion="helps" if change > 0 else "misses my need",
            activity=f"I notice they chose '{table_label(reply)}'.",
            analyse="I feel heard." if change > 0 else "That is not what I need.",
            change=change,
        )

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        return UserReply(response=f"I see. ({len(state.appraisals)})", thinking="deciding how open to be")


class StylePolicy:
    """Replies with ``styles[turn % len(styles)]``."""

    token_exact = False

    def __init__(self, name: str, styles: Sequence[str]) -> None:
        self.name = name
        self.styles = list(styles)

    async def generate(self, requests: list[PolicyRequest]) -> list[str]:
        out = []
        for request in requests:
            turn = sum(1 for m in request.messages if m.role == "assistant")
            out.append(REPLIES[self.styles[turn % len(self.styles)]][0])
        return out


def make_profiles(n: int, language: str = "en") -> list[Profile]:
    needs = list(HiddenNeed)
    characters = list(CharacterType)
    return [
        Profile(
            id=f"p{i}",
            persona=f"Person {i}, 30, nurse",
            scene="Trouble with a colleague at work.",
            task="wants to be listened to",
            need=needs[i % len(needs)],
            character=characters[i % len(characters)],
            first_talk=f"I'm Person {i}. My colleague took credit for my work again."
            if language == "en"
            else f"我是{i}号。同事又抢了我的功劳。",
            language=language,
            name=f"Person {i}",
        )
        for i in range(n)
    ]


def make_bench_dir(
    path: Path,
    *,
    policy: str = "empathic",
    styles: Sequence[str] = ("reflect", "affirm", "question"),
    n_profiles: int = 4,
    preset: str = "sage",
    simulator_name: str = "table-sim",
    language: str = "en",
) -> Path:
    """Run the real benchmark with the scripted agent and policy into ``path``; return ``path``."""
    agent = TableAgent()
    agent.name = simulator_name
    config = BenchConfig(preset=get_preset(preset), concurrency=4, profiles_source="fixture")
    asyncio.run(
        run_benchmark(make_profiles(n_profiles, language), StylePolicy(policy, styles), agent, config, path)
    )
    return path


def write_metrics(run_dir: Path, steps: int = 12) -> Path:
    """A training run's ``metrics.jsonl`` with a rising reward (flat keys, one dict per step)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "metrics.jsonl").open("w", encoding="utf-8") as handle:
        for step in range(steps):
            reward = 0.2 + 0.05 * step
            handle.write(
                json.dumps(
                    {
                        "step": step,
                        "reward/mean": reward,
                        "emotion/final_mean": 100 * reward,
                        "rollout/turns_mean": 6 - 0.1 * step,
                        "losses/policy": -0.01 * step,
                        "losses/approx_kl": 0.001 * step,
                        "losses/entropy": 2.0 - 0.05 * step,
                    }
                )
                + "\n"
            )
    return run_dir


def test_fixture_bench_dir_is_a_real_benchmark_output(tmp_path):
    from rlver.bench.compare import load_result

    out = make_bench_dir(tmp_path / "b", styles=("reflect",), n_profiles=3)
    result = load_result(out)
    # sage: start 40, +9 a turn (clamped at 10) -> 40, 49, 58, ..., 94, 100 after 7 appraisals.
    assert result.summary["score"] == 100 and result.summary["success"] == 3
    row = result.rows[0]
    assert row["emotions"] == [40, 49, 58, 67, 76, 85, 94, 100]
    assert row["turns"][1]["appraisal"]["applied_change"] == 9
    assert row["need"] is not None and row["language"] == "en"
