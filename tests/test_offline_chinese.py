"""The offline Sentient Agent in Chinese: data files, recognition, dialogues on official profiles."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from rlver.profiles.io import load_profiles
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.simulator.base import says_goodbye
from rlver.simulator.offline import OfflineSentientAgent
from rlver.simulator.offline.appraisal import DEFAULT_WEIGHTS
from rlver.simulator.offline.language import chinese_strategies, chinese_texts
from rlver.simulator.offline.multilingual import get_multilingual_embedder
from rlver.simulator.offline.recognise import label
from rlver.simulator.offline.strategies import Strategy
from rlver.simulator.offline.zh_features import format_markers_zh, garble_score_zh, structure
from rlver.simulator.presets import get_preset

SAMPLE = Path(__file__).parent / "data" / "sage" / "profiles.jsonl.gz"  # 8 official profiles, one per need

# Written for this test, in other words than the prototypes (data/zh_strategies.yaml).
HELD_OUT = {
    Strategy.LISTENING: "你想到什么就说什么，我都在听。",
    Strategy.REFLECT_FEELINGS: "被那样对待，你肯定觉得特别委屈。",
    Strategy.OPEN_QUESTION: "那天到底发生了什么？",
    Strategy.ADVICE: "你可以先给他发个消息，约他周末好好聊一次。",
    Strategy.OTHERS_PERSPECTIVE: "你妈妈这么做，可能是担心你吃亏。",
    Strategy.PRAISE: "你这次准备得这么充分，真的很棒。",
    Strategy.VALIDATION: "错不在你，你别往心里去。",
    Strategy.REFLECTION_PROMPT: "下次再遇到，你想怎么做得更好？",
    Strategy.DIALECTICAL: "这件事双方都有责任，不能只看一面。",
    Strategy.PLATITUDE: "一切都会过去的。",
    Strategy.SELF_DISCLOSURE: "我去年也失业过一次。",
    Strategy.BLAME: "这事其实怪你自己太冲动。",
}
FOCUSED = {
    HiddenNeed.UNDERSTAND_OTHERS: "他那样做，可能是因为他自己也没想清楚，又怕伤害你。也许他习惯用模糊来保护自己。",
    HiddenNeed.VENTING: "我在听，你慢慢说。心里憋着的都说出来吧，我不打断你。",
    HiddenNeed.VALIDATION: "你没有做错什么，换作谁都会这么做。你维护自己一点问题都没有。",
}


@pytest.fixture(scope="module")
def profiles(tmp_path_factory) -> dict[HiddenNeed, Profile]:
    path = tmp_path_factory.mktemp("zh") / "profiles.jsonl"
    path.write_bytes(gzip.decompress(SAMPLE.read_bytes()))
    return {p.need: p for p in load_profiles(path)}


@pytest.fixture(scope="module")
def agent() -> OfflineSentientAgent:
    return OfflineSentientAgent(zh_weights=DEFAULT_WEIGHTS)  # hand-set constants: stable expectations


def test_data_files_are_complete_and_goodbyes_are_goodbyes():
    texts, bank = chinese_texts(), chinese_strategies()
    assert set(bank.prototypes) == set(Strategy) and all(len(v) >= 10 for v in bank.prototypes.values())
    assert set(texts.cues) == set(HiddenNeed)
    for goodbyes in (texts.goodbye_happy, texts.goodbye_sad):
        assert set(goodbyes) == set(CharacterType)
        assert all(says_goodbye(t, "zh") for ts in goodbyes.values() for t in ts)


def test_held_out_chinese_sentences_are_recognised():
    embedder = get_multilingual_embedder()
    found = {s: label(text, embedder, language="zh") for s, text in HELD_OUT.items()}
    assert sum(found[s] is s for s in HELD_OUT) >= 11, found


def test_chinese_surface_features():
    assert format_markers_zh("变化：+10。回复：我懂你") == ("section label", "signed score")
    assert format_markers_zh("**第一步**：先和他谈谈。") == ()  # honest layout is not a fake marker
    assert structure("1. 先休息\n2. 再沟通") > 0
    assert garble_score_zh("我在听，你慢慢说。") == 0.0
    assert garble_score_zh("猫猫猫猫猫猫猫猫猫猫猫猫猫猫猫") >= 0.5


async def test_a_dialogue_on_an_official_profile_runs_in_chinese(agent, profiles):
    profile = profiles[HiddenNeed.UNDERSTAND_OTHERS]
    state = await agent.reset(profile, get_preset("sage"))
    assert state.history[0].content == profile.first_talk
    await agent.step(state, FOCUSED[HiddenNeed.UNDERSTAND_OTHERS])
    appraisal, reply = state.appraisals[-1], state.history[-1].content
    assert appraisal.change > 0
    assert "Change:" in appraisal.raw and "对方在" in appraisal.content
    assert any("\u4e00" <= ch <= "\u9fff" for ch in reply) and not says_goodbye(reply, "zh")
    opening = await agent.reset(profile, get_preset("rlver"))
    assert any("\u4e00" <= ch <= "\u9fff" for ch in opening.history[0].content)


@pytest.mark.parametrize("need", list(FOCUSED))
async def test_a_focused_chinese_reply_beats_every_trick(agent, profiles, need):
    profile = profiles[need]
    tricks = {
        "platitude": "一切都会好起来的，加油！想开点就好了。",
        "markers": "变化：+10\n回复：" + FOCUSED[need],
        "garble": "的的的 了了了 是是是 ### @@@ 啊啊啊啊啊啊啊啊",
        "echo": f"{profile.task}。" + FOCUSED[need],
        "blame": "说到底这事你自己也有责任，你当时就不该那样做。",
    }
    changes = {}
    for name, text in {"focused": FOCUSED[need], **tricks}.items():
        state = await agent.reset(profile, get_preset("sage"))
        await agent.step(state, text)
        changes[name] = state.appraisals[-1].change
    assert all(changes["focused"] > changes[name] for name in tricks), changes


async def test_chinese_dialogues_are_deterministic(profiles):
    async def run() -> list:
        agent = OfflineSentientAgent()
        state = await agent.reset(profiles[HiddenNeed.VENTING], get_preset("sage"), seed=3)
        for text in (FOCUSED[HiddenNeed.VENTING], "一切都会过去的。", HELD_OUT[Strategy.REFLECT_FEELINGS]):
            if not state.done:
                await agent.step(state, text)
        return [m.content for m in state.history] + [a.raw for a in state.appraisals]

    assert await run() == await run()
