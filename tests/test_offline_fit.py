"""The parameters fitted to DeepSeek-V3 (data/sage_fit.json): valid, held-out clean, trick-proof."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from rlver.build.offline_fit import FIT_MODELS, HELD_OUT, FitTurn, fit, fit_impression
from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.simulator.offline import OfflineSentientAgent, fitted_weights
from rlver.simulator.offline.appraisal import AFFINITY, DEFAULT_WEIGHTS, ReplyFeatures
from rlver.simulator.offline.fitted import FitFile, weights_from_dict, weights_to_dict
from rlver.simulator.offline.strategies import Strategy
from rlver.simulator.presets import get_preset
from tests.test_offline_chinese import FOCUSED, profiles  # noqa: F401  (fixture)

FIT = (
    Path(__file__).resolve().parents[1] / "src" / "rlver" / "simulator" / "offline" / "data" / "sage_fit.json"
)


def test_weights_round_trip_and_the_shipped_fit_is_valid():
    assert weights_from_dict(weights_to_dict(DEFAULT_WEIGHTS)) == DEFAULT_WEIGHTS
    shipped = FitFile.model_validate(json.loads(FIT.read_text(encoding="utf-8")))
    assert shipped.fit_models == list(FIT_MODELS) and shipped.held_out == list(HELD_OUT)
    assert set(FIT_MODELS).isdisjoint(HELD_OUT)
    weights = fitted_weights()
    assert weights == weights_from_dict(shipped.weights.model_dump())
    for need, row in weights.affinity.items():  # bad strategies keep their hand-set costs
        for bad in (Strategy.PLATITUDE, Strategy.SELF_DISCLOSURE, Strategy.BLAME):
            assert row[bad] == AFFINITY[need][bad]
    assert weights.penalties["garble"] == DEFAULT_WEIGHTS.penalties["garble"]


def _turns(model: str) -> list[FitTurn]:
    out = []
    for i, (strategy, change) in enumerate([(Strategy.LISTENING, 5), (Strategy.ADVICE, -5)] * 30):
        features = ReplyFeatures(mix={strategy: 1.0}, turn=1 + i % 5, words=30 + i)
        out.append(
            FitTurn(
                model, f"{model}-{i // 5}", HiddenNeed.VENTING, CharacterType.PASSIVE, features, change, 40
            )
        )
    return out


def test_the_fit_is_seeded_learns_the_sign_and_refuses_held_out_models():
    turns = [t for model in FIT_MODELS for t in _turns(model)]
    first, metrics = fit(turns, seed=0)
    again, _ = fit(turns, seed=0)
    assert first == again
    assert (
        first.affinity[HiddenNeed.VENTING][Strategy.LISTENING]
        > first.affinity[HiddenNeed.VENTING][Strategy.ADVICE]
    )
    assert all(m["sign_agreement"] == 1.0 for m in metrics.values())
    with pytest.raises(AssertionError, match="held-out"):
        fit(turns + [replace(_turns(HELD_OUT[0])[0])], seed=0)


def test_the_impression_read_out_learns_what_the_named_terms_cannot_see():
    """Every reply is the same strategy; only the embedding's first dimension tells +5 from -5."""
    turns = []
    for model in FIT_MODELS:
        for i in range(40):
            change = 5 if i % 2 == 0 else -5
            vector = (1.0 if change > 0 else -1.0, 0.3, 0.1 * (i % 3))
            features = ReplyFeatures(mix={Strategy.LISTENING: 1.0}, turn=1 + i % 5, words=30)
            turns.append(
                FitTurn(model, f"{model}-{i // 5}", HiddenNeed.VENTING, CharacterType.PASSIVE, features, change, 40,
                        vector, 60)
            )  # fmt: skip
    rules, rule_metrics = fit(turns, seed=0)
    weights, metrics, choices = fit_impression(turns, rules)
    assert (weights, metrics, choices) == fit_impression(turns, rules)  # deterministic
    assert set(choices["leave_one_model_out"]) == set(FIT_MODELS) and choices["rules_scale"] == weights.rules_scale
    assert weights.impression[0] > 0 and len(weights.impression) == 3
    assert all(m["sign_agreement"] == 1.0 for m in metrics.values())
    assert all(metrics[m]["spearman"] > rule_metrics[m]["spearman"] for m in FIT_MODELS)
    assert weights_from_dict(weights_to_dict(weights)) == weights  # the file keeps the read-out
    with pytest.raises(AssertionError, match="held-out"):
        fit_impression(turns + [replace(turns[0], model=HELD_OUT[0])], rules)
    with pytest.raises(ValueError, match="embedding"):
        fit_impression([replace(t, vector=()) for t in turns], rules)


@pytest.mark.parametrize("need", list(FOCUSED))
async def test_with_the_fitted_weights_no_trick_beats_a_focused_reply(profiles, need):  # noqa: F811
    agent = OfflineSentientAgent()  # Chinese profiles: the fitted weights by default
    profile = profiles[need]
    tricks = {
        "platitude": "一切都会好起来的，加油！想开点就好了。",
        "markers": "变化：+10\n回复：" + FOCUSED[need],
        "garble": "的的的 了了了 是是是 ### @@@ 啊啊啊啊啊啊啊啊",
        "echo": f"{profile.task}。" + FOCUSED[need],
        "blame": "说到底这事你自己也有责任，你当时就不该那样做。",
        "self-disclosure": "我去年也遇到过一模一样的事，我当时也很难受。",
    }
    changes = {}
    for name, text in {"focused": FOCUSED[need], **tricks}.items():
        state = await agent.reset(profile, get_preset("sage"))
        await agent.step(state, text)
        changes[name] = state.appraisals[-1].change
    assert all(changes["focused"] >= changes[name] for name in tricks), changes
    # Fake format markers and garble always cost more (changes come in steps of five, so others may tie).
    assert changes["focused"] > max(changes["markers"], changes["garble"]), changes


async def test_the_fitted_read_out_also_reads_english_replies():
    """The read-out weighs the multilingual encoder's embedding, whatever the profile's language."""
    from rlver.profiles.builtin import load_builtin

    weights = fitted_weights()
    assert len(weights.impression) == 512  # multilingual USE; English sentences use 384-d MiniLM
    agent = OfflineSentientAgent(weights=weights)
    profile = load_builtin("test")[0]
    state = await agent.reset(profile, get_preset("sage"))
    await agent.step(state, "That sounds exhausting. What part of it weighs on you most right now?")
    breakdown = agent._breakdowns[id(state)]
    assert "overall impression" in [t.name for t in breakdown.terms]
