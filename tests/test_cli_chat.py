"""``rlver chat`` and ``rlver simulate`` through the real CLI: the rollout loop, a typed or generated
policy, the offline simulated user, and the transcript printed turn by turn."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from rlver.cli import app

CHAT = ["chat", "--profiles", "builtin:test", "--simulator", "offline"]
# Three replies the offline user (builtin:test's first profile, seed 0) answers with -1, -10 and +2.
REPLIES = [
    "That sounds really hard. I'm here with you.",
    "You should just quit your job.",
    "What happened exactly?",
]


def chat(args: list[str], typed: str):
    result = CliRunner().invoke(app, args, input=typed)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def test_chat_prints_each_turn_with_the_emotion_change_until_end_of_input():
    result = chat(CHAT, "\n".join(REPLIES) + "\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "You are talking with Beatrice Nwosu" in out
    assert "Beatrice Nwosu (emotion 40" in out and "I found messages on Emeka's phone" in out  # the opening
    for reply in REPLIES:
        assert f"you: {reply}" in out  # the typed replies, in the transcript
    # The appraisal of each reply (inner thoughts), then the user's answer with the emotion it moved to.
    for change, before, after in (("-1", 40, 39), ("-10", 39, 29), ("+2", 29, 31)):
        assert f"change {change}  emotion {before} → {after}" in out
        assert f"Beatrice Nwosu (emotion {after}" in out
    assert "As someone bitter and angry" in out
    assert out.index("40 → 39") < out.index("39 → 29") < out.index("29 → 31")
    # Input ended (Ctrl-D) at the fourth prompt: the chat ends cleanly with the state reached.
    assert out.count("you: ") == 4
    assert "dialogue ended: you left; final emotion 31 (reward 0.31) after 3 replies" in out


def test_chat_end_of_input_at_the_first_prompt_exits_cleanly():
    result = chat(CHAT, "")
    assert result.exit_code == 0, result.output
    assert "Beatrice Nwosu (emotion 40" in result.output
    assert "dialogue ended: you left; final emotion 40 (reward 0.40) after 0 replies" in result.output
    assert "error" not in result.output.lower()


def test_chat_ends_when_the_simulated_user_does_and_no_thoughts_hides_the_appraisal():
    # The same question again and again wears the person down until the dialogue fails; the
    # remaining lines are never read.
    result = chat([*CHAT, "--no-thoughts"], "\n".join(REPLIES[2:] * 12) + "\n")
    out = result.output
    assert result.exit_code == 0, out
    assert "inner thoughts" not in out and "(emotion " in out
    assert "dialogue ended: failure; final emotion 2 (reward 0.02) after 6 replies" in out
    assert out.count("you: ") == 6 and "you left" not in out


def test_simulate_prints_the_policys_replies_and_the_users_answers():
    result = CliRunner().invoke(
        app,
        ["simulate", "--profiles", "builtin:test", "--policy", "reference:oracle", "--simulator", "offline"],
    )
    out = result.output
    assert result.exit_code == 0, out
    assert "reference:oracle: " in out and "inner thoughts" in out and "Beatrice Nwosu (emotion" in out
    assert "dialogue ended: " in out


def test_simulate_think_mode_shows_the_format_violation():
    # The reference policy writes no <think> block, so its first reply breaks think-then-say.
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--profiles",
            "builtin:test",
            "--policy",
            "reference:random",
            "--simulator",
            "offline",
            "--think",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "format violation" in result.output
    assert "dialogue ended: format_violation; final emotion 40 (reward 0.40) after 1 replies" in result.output


def test_importing_the_dialogue_commands_loads_no_model_or_rollout_code():
    heavy = ("torch", "transformers", "rlver.rollout", "rlver.policy.hf", "rlver.simulator.offline")
    code = f"import sys, rlver.cli.dialogue; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
