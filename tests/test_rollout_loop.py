"""The dialogue loop: per-dialogue bookkeeping, think mode, errors, slots, continuous progress."""

from __future__ import annotations

import asyncio
from dataclasses import replace

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
    # Each dialogue asks the policy on its own (one request per call), once per policy turn.
    assert all(len(b) == 1 for b in policy.batches)
    assert [sum(b == [p.id] for b in policy.batches) for p in profiles] == [6, 4, 10]


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


class GatedAgent(ScriptedAgent):
    """Records events; the first appraisal of ``slow`` waits until ``gate`` is set (a slow endpoint)."""

    def __init__(self, slow: str) -> None:
        super().__init__()
        self.slow = slow
        self.gate = asyncio.Event()
        self.events: list[tuple[str, str]] = []

    async def reset(self, profile, preset, seed=0):
        self.events.append(("start", profile.id))
        return await super().reset(profile, preset, seed)

    async def appraise(self, state, reply):
        await asyncio.sleep(0)  # every step yields, as a real endpoint does
        if state.profile.id == self.slow and not self.gate.is_set():
            await self.gate.wait()
        self.events.append(("step", state.profile.id))
        return await super().appraise(state, reply)


async def run_gated(profiles, scripts, *, slow, release_after, max_concurrent):
    """Runs the dialogues; the slow one's first step returns only once ``release_after`` have ended.

    A loop that advanced dialogues in lockstep would deadlock here (the others would wait for the
    slow step); the timeout turns that into a failure instead of a hang.
    """
    agent = GatedAgent(slow)
    ended: list[str] = []

    def on_episode(episode):
        ended.append(episode.profile_id)
        agent.events.append(("end", episode.profile_id))
        if set(release_after) <= set(ended):
            agent.gate.set()

    episodes = await asyncio.wait_for(
        run_dialogues([DialogueJob(p) for p in profiles], ScriptPolicy(scripts), agent,
                      RolloutConfig(preset=get_preset("sage"), max_concurrent=max_concurrent), on_episode=on_episode),
        timeout=60,
    )
    return episodes, agent.events


async def test_a_slow_simulator_step_does_not_hold_back_the_other_dialogues():
    profiles = [make_profile("slow"), make_profile("a"), make_profile("b")]
    scripts = {"slow": ["score 10"] * 10, "a": ["score -10"] * 10, "b": ["score 10"] * 10}
    episodes, events = await run_gated(profiles, scripts, slow="slow", release_after=["a", "b"], max_concurrent=3)
    assert [e.end_reason for e in episodes] == ["success", "failure", "success"]
    first_slow_step = events.index(("step", "slow"))
    # a and b ran every turn (4 and 6 appraisals) and ended while slow's first step was pending.
    assert events[:first_slow_step].count(("step", "a")) == 4 and ("end", "a") in events[:first_slow_step]
    assert events[:first_slow_step].count(("step", "b")) == 6 and ("end", "b") in events[:first_slow_step]
    assert events[-1] == ("end", "slow")


async def test_a_dialogue_that_ends_frees_its_slot_at_once():
    profiles = [make_profile("slow")] + [make_profile(f"q{i}") for i in range(3)]
    scripts = {p.id: ["score -10"] * 10 for p in profiles}
    episodes, events = await run_gated(profiles, scripts, slow="slow", release_after=["q0", "q1", "q2"],
                                       max_concurrent=2)
    assert all(e.end_reason == "failure" and e.policy_turns == 4 for e in episodes)
    # The three short dialogues went through the one free slot, one after another, while the slow
    # dialogue held the other; each started the moment the previous one ended.
    starts_and_ends = [e for e in events if e[0] in ("start", "end")]
    assert starts_and_ends == [
        ("start", "slow"), ("start", "q0"), ("end", "q0"), ("start", "q1"), ("end", "q1"),
        ("start", "q2"), ("end", "q2"), ("end", "slow"),
    ]
    in_flight = 0
    for kind, _ in starts_and_ends:
        in_flight += {"start": 1, "end": -1}[kind]
        assert in_flight <= 2


async def test_on_episode_calls_never_overlap_and_errors_propagate():
    profiles = [make_profile(f"p{i}") for i in range(4)]
    scripts = {p.id: ["score -10"] * 10 for p in profiles}
    active, seen = [], []

    async def on_episode(episode):
        active.append(episode.id)
        assert len(active) == 1  # the loop serialises callbacks
        await asyncio.sleep(0)
        seen.append(episode.profile_id)
        active.remove(episode.id)

    await run_dialogues([DialogueJob(p) for p in profiles], ScriptPolicy(scripts), GatedAgent("none"),
                        RolloutConfig(preset=get_preset("sage")), on_episode=on_episode)
    assert sorted(seen) == [p.id for p in profiles]

    class Broken(ScriptPolicy):
        async def generate(self, requests):
            if requests[0].profile.id == "p2":
                raise KeyError("a bug, not an endpoint failure")
            return await super().generate(requests)

    before = asyncio.all_tasks()
    with pytest.raises(KeyError):
        await run_dialogues([DialogueJob(p) for p in profiles], Broken(scripts), GatedAgent("none"),
                            RolloutConfig(preset=get_preset("sage")))
    assert asyncio.all_tasks() == before  # the other dialogues were cancelled and awaited


def test_seeded_hf_rollouts_are_identical_whatever_the_concurrency():
    """Exact mode: the same transcripts and log-probs one at a time and all at once.

    (Batched mode seeds the same way; only last-bit float effects of padding could differ. The
    benchmark measures them: benchmarks/generation_batching.py, part repro.)"""
    from rlver.models.tiny import tiny_test_setup
    from rlver.policy.hf import GenerationSettings, HFPolicy

    model, tokenizer = tiny_test_setup(seed=4)
    preset = replace(get_preset("sage"), max_policy_turns=5)
    profiles = [make_profile(f"p{i}", first_talk=f"Hi, rough day number {i}.") for i in range(4)]

    class SplitAgent(ScriptedAgent):
        async def appraise(self, state, reply):  # even profiles fail after 4 turns, odd ones run to the limit
            await asyncio.sleep(0)
            return Appraisal("c", "t", "a", "an", change=-10 if int(state.profile.id[1:]) % 2 == 0 else 0)

    runs = []
    for concurrency in (1, 4):
        policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=6, seed=11, exact=True))
        episodes = asyncio.run(run_dialogues([DialogueJob(p) for p in profiles], policy, SplitAgent(),
                                             RolloutConfig(preset=preset, max_concurrent=concurrency)))
        assert [e.policy_turns for e in episodes] == [4, 5, 4, 5]
        runs.append([(e.trace.ids, e.trace.logprobs, [t.raw for t in e.turns]) for e in episodes])
    assert runs[0] == runs[1]


async def test_cancelling_a_rollout_leaves_no_task_behind():
    """A cancelled rollout cancels and awaits every dialogue, and HFPolicy's batching queue with them."""
    from rlver.models.tiny import tiny_test_setup
    from rlver.policy.hf import GenerationSettings, HFPolicy

    model, tokenizer = tiny_test_setup(seed=4)
    policy = HFPolicy(model, tokenizer, GenerationSettings(max_new_tokens=4, batch_size=2))
    agent = GatedAgent("p0")  # p0's first step never returns; the others keep the model busy
    profiles = [make_profile(f"p{i}") for i in range(4)]
    before = asyncio.all_tasks()
    run = asyncio.create_task(run_dialogues([DialogueJob(p) for p in profiles], policy, agent,
                                            RolloutConfig(preset=get_preset("sage"))))
    for _ in range(1000):  # until some dialogue has stepped (bounded: fails rather than hangs)
        await asyncio.sleep(0.01)
        if any(kind == "step" for kind, _ in agent.events):
            break
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert asyncio.all_tasks() == before
