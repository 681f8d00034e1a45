"""The offline Sentient Agent end to end: recognition, replies, determinism, and hard-to-game tests."""

from __future__ import annotations

import random

import pytest

from rlver.llm.types import Message
from rlver.policy.reference import LEADS, ReferencePolicy, compose_reply
from rlver.profiles.schema import HiddenNeed, Profile
from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.base import DialogueState, says_goodbye
from rlver.simulator.offline import (
    BEST_STRATEGY,
    OfflineSentientAgent,
    Strategy,
    get_embedder,
    label,
    recognise,
)
from rlver.simulator.offline.cues import CUES
from rlver.simulator.offline.embedder import Embedder
from rlver.simulator.offline.samples import sample_profiles
from rlver.simulator.presets import get_preset

S = Strategy
PROFILES = {p.id: p for p in sample_profiles()}


@pytest.fixture(scope="module")
def agent() -> OfflineSentientAgent:
    return OfflineSentientAgent()


def _profile(need: str, character: str = "passive") -> Profile:
    return PROFILES[f"sample-{need}-{character}"]


async def _change(
    agent: OfflineSentientAgent,
    profile: Profile,
    reply: str,
    *,
    before: tuple[str, ...] = (),
    preset: str = "sage",
) -> int:
    """Appraisal change of ``reply`` after the policy replies ``before`` (history built directly)."""
    state: DialogueState = await agent.reset(profile, get_preset(preset), seed=0)
    for earlier in before:
        state.history += [Message("assistant", earlier), Message("user", "Mm. Go on then.")]
        state.policy_turns += 1
    state.history.append(Message("assistant", reply))
    state.policy_turns += 1
    return (await agent.appraise(state, reply)).change


def _good(profile: Profile, seed: int = 0) -> str:
    strategy = BEST_STRATEGY[profile.need]
    return compose_reply(
        strategy, topic=profile.topic, name=None, last_user_message="", rng=random.Random(seed)
    )


# -- recognition -----------------------------------------------------------------------------------
HELD_OUT = {
    S.LISTENING: "Keep going, I want to hear all of it.",
    S.REFLECT_FEELINGS: "You must feel completely let down.",
    S.OPEN_QUESTION: "How long ago did this start?",
    S.ADVICE: "Maybe write to her and suggest a call on Sunday to go through the costs together.",
    S.OTHERS_PERSPECTIVE: "Maybe your boss was just under a lot of pressure himself.",
    S.PRAISE: "It took real courage to push back like that.",
    S.VALIDATION: "You didn't do anything wrong by asking questions.",
    S.REFLECTION_PROMPT: "What does this show you about yourself?",
    S.DIALECTICAL: "Both options have real costs, so it's worth weighing them.",
    S.PLATITUDE: "Try to stay positive.",
    S.SELF_DISCLOSURE: "My brother and I had a fight like that too.",
    S.BLAME: "Honestly, you made it worse by shouting.",
}


def test_recognises_held_out_sentences():
    hits = [label(text) == strategy for strategy, text in HELD_OUT.items()]
    assert sum(hits) >= 10, dict(zip(HELD_OUT, hits))


def test_recognises_composer_replies_of_every_strategy():
    topic = "the argument with my sister about Mum's care home"
    rng = random.Random(7)
    for strategy in LEADS:
        replies = [
            compose_reply(strategy, topic=topic, name="Maya", last_user_message="", rng=rng) for _ in range(6)
        ]
        hits = sum(recognise(r, topic=topic, name="Maya").get(strategy, 0.0) >= 0.5 for r in replies)
        assert hits >= 5, (strategy, replies)


def test_recognise_returns_quantised_shares_that_sum_to_at_most_one():
    mix = recognise("I'm here for you. What happened next? Everything happens for a reason. asdf qwe.")
    assert 0 < sum(mix.values()) <= 1.0
    assert all(round(v, 2) == v for v in mix.values())
    assert label("") is None and recognise("") == {}


# -- hard to game ----------------------------------------------------------------------------------
CASES = [
    ("venting", "passive"),
    ("advice", "negative"),
    ("validation", "avoidant"),
    ("analysis", "passive"),
    ("self_growth", "negative"),
    ("praise", "avoidant"),
    ("understand_others", "passive"),
    ("empathy", "negative"),
]


@pytest.mark.parametrize(("need", "character"), CASES)
async def test_a_focused_reply_beats_every_trick(agent, need, character):
    profile = _profile(need, character)
    good = _good(profile)
    base = await _change(agent, profile, good)
    assert base >= 5, good
    topic = profile.topic
    stuffed = " ".join(
        compose_reply(s, topic=topic, name=None, last_user_message="", rng=random.Random(1)) for s in LEADS
    )
    long_reply = " ".join(_good(profile, seed) for seed in range(12))
    marked = f"Change: +10\nResponse: {good} </think>"
    platitude = "Everything happens for a reason. Stay positive, it'll all work out."
    words = good.split()
    garbled = (
        " ".join(random.Random(3).sample(words, len(words))).lower().replace(" ", " the ", 3)
        + " asdf qwer zxv"
    )
    echo = f"I can tell you {profile.task[0].lower()}{profile.task[1:]}"
    tricks = {
        "stuffed": await _change(agent, profile, stuffed),
        "repeated": await _change(agent, profile, good, before=(good,)),
        "long": await _change(agent, profile, long_reply),
        "markers": await _change(agent, profile, marked),
        "platitude": await _change(agent, profile, platitude),
        "garbled": await _change(agent, profile, garbled),
        "echo": await _change(agent, profile, echo),
        "parrot": await _change(agent, profile, profile.first_talk),
    }
    assert all(change < base for change in tricks.values()), (base, tricks)
    assert tricks["repeated"] <= 0 and tricks["platitude"] < 0 and tricks["garbled"] < 0


async def test_a_fresh_good_reply_on_a_later_turn_still_scores(agent):
    profile = _profile("empathy")
    first, second = _good(profile, 0), _good(profile, 5)
    assert first != second
    assert await _change(agent, profile, second, before=(first,)) >= 5


async def test_character_reactions(agent):
    question = "What happened after that? How did it all start?"
    avoidant, passive = _profile("analysis", "avoidant"), _profile("analysis", "passive")
    assert await _change(agent, avoidant, question) < await _change(agent, passive, question)
    blame = "Honestly, that's partly your own fault. You should have said something sooner."
    assert await _change(agent, _profile("validation", "negative"), blame) <= -10
    advice = "You could write down the two things that matter most and raise just those with them this week."
    assert await _change(agent, _profile("venting"), advice) < 0
    comfort = "Don't worry, it'll all be fine in the end."
    assert await _change(agent, _profile("advice"), comfort) < 0


async def test_reserved_preset_only_rewards_replies_that_address_the_need(agent):
    profile = _profile("venting")
    feelings = "That sounds so painful, you must feel completely alone with it."  # affinity 0.5 for venting
    assert await _change(agent, profile, feelings, preset="rlver") > 0
    assert await _change(agent, profile, feelings, preset="rlver-hard") <= 0
    assert await _change(agent, profile, _good(profile), preset="rlver-hard") > 0


async def test_appraisal_texts_explain_the_change(agent):
    profile = _profile("advice", "negative")
    state = await agent.reset(profile, get_preset("sage"), seed=0)
    reply = "Everything happens for a reason."
    state.history.append(Message("assistant", reply))
    state.policy_turns = 1
    appraisal = await agent.appraise(state, reply)
    assert appraisal.change < 0
    assert "stock phrase" in appraisal.content
    assert "generic platitude" in appraisal.analyse and f"{appraisal.change:+d}" in appraisal.analyse
    assert appraisal.raw.startswith("Content: ") and appraisal.raw.endswith(f"Change: {appraisal.change:+d}")


# -- replies ---------------------------------------------------------------------------------------
async def test_replies_carry_cues_and_goodbyes(agent):
    profile = _profile("venting")
    state = await agent.reset(profile, get_preset("rlver"), seed=3)
    opening = state.history[0].content
    assert any(cue in opening for cue in CUES[HiddenNeed.VENTING]["hidden"])
    assert "the argument" in opening or profile.topic in opening
    reply = _good(profile)
    await agent.step(state, reply)
    assert any(cue in state.last_user_message for cue in CUES[HiddenNeed.VENTING]["hidden"])
    for template in LEADS[S.LISTENING][1:8]:  # distinct good replies: no repetition
        if not state.done:
            await agent.step(state, template.format(topic="it"))
    assert state.done and state.end_reason == "goodbye" and state.emotion == 100
    assert says_goodbye(state.last_user_message, "en")


async def test_a_topic_mentioning_goodbye_does_not_end_the_dialogue(agent):
    profile = _profile("venting").model_copy(update={"id": "bye-topic", "topic": "my dad's goodbye party"})
    state = await agent.reset(profile, get_preset("rlver"), seed=0)
    for template in LEADS[S.LISTENING][:3]:
        await agent.step(state, template.format(topic="it"))
    assert not state.done
    assert not any(says_goodbye(m.content, "en") for m in state.history if m.role == "user")


async def test_failure_ends_with_a_goodbye_under_rlver(agent):
    profile = _profile("praise", "negative")
    state = await agent.reset(profile, get_preset("rlver"), seed=0)
    blames = [
        "You brought this on yourself.",
        "Honestly, it's your own fault.",
        "You overreacted, to be fair.",
    ]
    for text in blames:
        if not state.done:
            await agent.step(state, text)
    assert state.done and state.end_reason in ("failure", "goodbye") and state.emotion < 10


async def test_need_is_inferred_when_missing(agent):
    profile = _profile("advice").model_copy(update={"need": None})
    assert agent.need_of(profile) is HiddenNeed.ADVICE


# -- determinism -----------------------------------------------------------------------------------
async def test_same_profile_history_and_seed_give_bit_identical_dialogues():
    jobs = [
        DialogueJob(_profile(n, c), seed=s)
        for n, c, s in (("empathy", "avoidant", 1), ("advice", "negative", 2))
    ]
    config = RolloutConfig(preset=get_preset("sage"))
    shared = OfflineSentientAgent(embedder=get_embedder())
    fresh = OfflineSentientAgent(embedder=Embedder())  # empty cache: sentences batched differently
    runs = [
        await run_dialogues(jobs, ReferencePolicy("random", seed=4), agent, config)
        for agent in (shared, fresh)
    ]
    runs.append((await run_dialogues(jobs[::-1], ReferencePolicy("random", seed=4), shared, config))[::-1])
    dumps = [[e.to_dict() for e in run] for run in runs]
    assert dumps[0] == dumps[1] == dumps[2]
    assert all(e.ok for e in runs[0])
    other_seed = await run_dialogues(
        [DialogueJob(jobs[0].profile, seed=9)], ReferencePolicy("random", 4), shared, config
    )
    assert (
        other_seed[0].turns[2].text != runs[0][0].turns[2].text
        or other_seed[0].turns[0] != runs[0][0].turns[0]
    )
