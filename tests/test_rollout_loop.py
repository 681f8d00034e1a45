"""The dialogue loop: per-dialogue bookkeeping, think mode, errors, refilling the batch."""

from __future__ import annotations

import pytest

from rlver.errors import SimulatorError
from rlver.policy.base import PolicyRequest
from rlver.profiles.schema import Profile
from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply
from rlver.simulator.presets import get_preset


def make_profile(pid: str, **kw) -> Profile:
    base = dict(id=pid, persona="Ann, 30", scene="A scene.", task="wants to vent", first_talk="Hi.")
    base.update(kw)
    return Profile(**base)


class ScriptedAgent(SentientAgent):
    """Change = the integer the policy writes after 'score ' (test-only: a deliberately gameable judge)."""

    name = "scripted"

    def __init__(self, fail_on: str | None = None) -> None:
        self.fail_on = fail_on
        self.calls: list[tuple[str, str]] = []

    async def opening(self, state: DialogueState) -> UserReply:
        return UserReply(response=f"opening for {state.profile.id}")

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        self.calls.append((state.profile.id, reply))
        if self.fail_on and self.fail_on in reply:
            raise SimulatorError("scripted failure")
        change = int(reply.split("score ")[-1]) if "score " in reply else 0
        return Appraisal("c", "t", "a", "an", change=change)

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        return UserReply(response=f"{state.profile.id} feels {state.emotion}", thinking="hm")


class ScriptPolicy:
    """Replies with a per-dialogue script; records the batch sizes it was called with."""

    name = "script"
    token_exact = False

    def __init__(self, scripts: dict[str, list[str]]) -> None:
        self.scripts = scripts
        self.batches: list[list[str]] = []

    async def generate(self, requests: list[PolicyRequest]) -> list[str]:
        self.batches.append([r.profile.id for r in requests])
        out = []
        for r in requests:
            turn = sum(1 for m in r.messages if m.role == "assistant")
            out.append(self.scripts[r.profile.id][turn])
        return out


async def test_dialogues_ending_at_different_turns_keep_their_own_history():
    preset = get_preset("sage")  # start 40, clamp 10, success at 100, failure < 10
    profiles = [make_profile("up"), make_profile("down"), make_profile("flat")]
    scripts = {
        "up": ["score 10"] * 10,  # 40 -> 100 after 6 appraisals
        "down": ["score -10"] * 10,  # 40 -> 0 (< 10) after 4 appraisals
        "flat": ["score 0"] * 10,  # never ends early; 10th reply not appraised
    }
    policy, agent = ScriptPolicy(scripts), ScriptedAgent()
    episodes = await run_dialogues([DialogueJob(p) for p in profiles], policy, agent, RolloutConfig(preset=preset))
    up, down, flat = episodes
    assert (up.end_reason, up.final_emotion, up.policy_turns) == ("success", 100, 6)
    assert (down.end_reason, down.final_emotion, down.policy_turns) == ("failure", 0, 4)
    assert (flat.end_reason, flat.final_emotion, flat.policy_turns) == ("turn_limit", 40, 10)
    assert up.emotions == [40, 50, 60, 70, 80, 90, 100]
    # SAGE quirk: the 10th reply is never appraised.
    assert len([c for c in agent.calls if c[0] == "flat"]) == 9
    assert flat.turns[-1].role == "assistant" and flat.turns[-1].appraisal is None
    # Each user turn talks about its own dialogue only.
    for ep in episodes:
        assert all(t.text.startswith(ep.profile_id) for t in ep.turns[1:] if t.role == "user")
    # Batches shrink as dialogues finish.
    assert [len(b) for b in policy.batches] == [3, 3, 3, 3, 2, 2, 1, 1, 1, 1]


async def test_max_concurrent_refills_the_batch_as_dialogues_finish():
    preset = get_preset("sage")
    profiles = [make_profile(f"p{i}") for i in range(5)]
    scripts = {p.id: ["score -10"] * 10 for p in profiles}
    scripts["p0"] = ["score 0"] * 10
    policy = ScriptPolicy(scripts)
    episodes = await run_dialogues(
        [DialogueJob(p) for p in profiles], policy, ScriptedAgent(), RolloutConfig(preset=preset, max_concurrent=2)
    )
    assert all(len(b) <= 2 for b in policy.batches)
    assert [e.profile_id for e in episodes] == [p.id for p in profiles]
    assert [e.end_reason for e in episodes] == ["turn_limit"] + ["failure"] * 4


async def test_think_mode_shows_only_the_reply_and_stops_on_format_violation():
    preset = get_preset("rlver")
    profiles = [make_profile("ok"), make_profile("bad")]
    scripts = {
        "ok": ["<think>secret plan</think> score 5"] * 8,
        "bad": ["<think>secret</think> score 5", "<think>unclosed score 5"],
    }
    agent = ScriptedAgent()
    episodes = await run_dialogues(
        [DialogueJob(p) for p in profiles], ScriptPolicy(scripts), agent, RolloutConfig(preset=preset, think=True)
    )
    ok, bad = episodes
    assert all("secret" not in reply and "think" not in reply for _, reply in agent.calls)
    assert ok.turns[1].thought == "secret plan" and ok.turns[1].text == "score 5"
    assert (bad.end_reason, bad.format_violations, bad.policy_turns) == ("format_violation", 1, 2)
    # The generated opening (rlver preset) comes from the simulator, not first_talk.
    assert ok.turns[0].text == "opening for ok"
    assert ok.final_emotion == 30 + 5 * 8 and ok.end_reason == "turn_limit"


async def test_simulator_error_marks_only_that_episode():
    preset = get_preset("sage")
    profiles = [make_profile("good"), make_profile("broken")]
    scripts = {"good": ["score 10"] * 10, "broken": ["score 1", "explode"]}
    episodes = await run_dialogues(
        [DialogueJob(p) for p in profiles],
        ScriptPolicy(scripts),
        ScriptedAgent(fail_on="explode"),
        RolloutConfig(preset=preset),
    )
    good, broken = episodes
    assert good.error is None and good.end_reason == "success"
    assert broken.error and "scripted failure" in broken.error
    assert broken.end_reason == "error" and broken.final_emotion is None


def test_episode_round_trips_through_dict():
    import asyncio

    from rlver.rollout.types import Episode

    preset = get_preset("sage")
    eps = asyncio.run(
        run_dialogues(
            [DialogueJob(make_profile("x"))],
            ScriptPolicy({"x": ["score 10"] * 10}),
            ScriptedAgent(),
            RolloutConfig(preset=preset),
        )
    )
    data = eps[0].to_dict()
    again = Episode.from_dict(data)
    assert again.to_dict() == data


@pytest.mark.parametrize("bad", [0, -1])
def test_max_concurrent_must_be_positive(bad):
    import asyncio

    with pytest.raises(ValueError):
        asyncio.run(
            run_dialogues([], ScriptPolicy({}), ScriptedAgent(), RolloutConfig(preset=get_preset("sage"), max_concurrent=bad))
        )


async def test_a_policy_error_for_one_request_fails_only_that_dialogue():
    from rlver.errors import PolicyError

    class PartlyFailing(ScriptPolicy):
        async def generate(self, requests):
            texts = await super().generate(requests)
            return [PolicyError("no room") if r.profile.id == "long" else t for r, t in zip(requests, texts)]

    profiles = [make_profile("long"), make_profile("fine")]
    scripts = {"long": ["score 1"] * 10, "fine": ["score 10"] * 10}
    long, fine = await run_dialogues(
        [DialogueJob(p) for p in profiles], PartlyFailing(scripts), ScriptedAgent(), RolloutConfig(preset=get_preset("sage"))
    )
    assert long.error == "policy: no room" and long.end_reason == "error"
    assert fine.error is None and fine.end_reason == "success"
