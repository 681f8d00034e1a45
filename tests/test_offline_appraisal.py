"""Pure appraisal math and text features of the offline simulator (no embedding model needed)."""

from __future__ import annotations

import numpy as np
import pytest

from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.simulator.offline.appraisal import (
    AFFINITY,
    BEST_STRATEGY,
    ReplyFeatures,
    addresses_need,
    appraise_change,
    character_gain,
    damping,
    expected_change,
    need_fit,
    penalty_terms,
    reaction_terms,
    round_half_away,
)
from rlver.simulator.offline.embedder import locate_model_dir
from rlver.simulator.offline.features import copied_share, format_markers, garble_score, need_echo, repetition
from rlver.simulator.offline.strategies import ESCONV_LABEL, ESCONV_LABELS, PROTOTYPES, Strategy
from rlver.simulator.offline.text import neutralise, quantise, split_sentences, to_second_person

S = Strategy
NEG, PAS, AVO = CharacterType.NEGATIVE, CharacterType.PASSIVE, CharacterType.AVOIDANT


@pytest.fixture(scope="module")
def vocabulary() -> frozenset[str]:
    words = (locate_model_dir() / "vocab.txt").read_text(encoding="utf-8").split("\n")
    return frozenset(w for w in words if w.isalpha() and w.islower())


# -- the need x strategy table ---------------------------------------------------------------------
def test_table_covers_every_need_and_strategy_with_one_best_strategy_each():
    assert set(AFFINITY) == set(HiddenNeed)
    for need, row in AFFINITY.items():
        assert set(row) == set(Strategy)
        assert all(-1.0 <= v <= 1.0 for v in row.values())
        assert max(row.values()) == 1.0 and sorted(row.values())[-2] < 1.0, need
    assert BEST_STRATEGY == {
        HiddenNeed.ANALYSIS: S.DIALECTICAL,
        HiddenNeed.ADVICE: S.ADVICE,
        HiddenNeed.UNDERSTAND_OTHERS: S.OTHERS_PERSPECTIVE,
        HiddenNeed.SELF_GROWTH: S.REFLECTION_PROMPT,
        HiddenNeed.PRAISE: S.PRAISE,
        HiddenNeed.VENTING: S.LISTENING,
        HiddenNeed.EMPATHY: S.REFLECT_FEELINGS,
        HiddenNeed.VALIDATION: S.VALIDATION,
    }
    # bad strategies are bad for everyone
    for row in AFFINITY.values():
        assert row[S.PLATITUDE] < 0 and row[S.SELF_DISCLOSURE] < 0 and row[S.BLAME] < 0


def test_taxonomy_has_prototypes_and_esconv_labels():
    assert set(PROTOTYPES) == set(Strategy) == set(ESCONV_LABEL)
    assert all(len(p) >= 12 for p in PROTOTYPES.values())
    assert set(ESCONV_LABEL.values()) <= set(ESCONV_LABELS)


# -- pure math -------------------------------------------------------------------------------------
def test_round_half_away_and_quantise():
    assert [round_half_away(x) for x in (2.5, -2.5, 0.49, -0.5, 3.0)] == [3, -3, 0, -1, 3]
    assert quantise(0.125) == 0.13 and quantise(-0.125) == -0.13 and quantise(0.1249) == 0.12


def test_need_fit_is_the_share_weighted_table_row():
    row = AFFINITY[HiddenNeed.VENTING]
    assert need_fit({S.LISTENING: 1.0}, HiddenNeed.VENTING) == 1.0
    mixed = {S.LISTENING: 0.5, S.ADVICE: 0.25}
    assert need_fit(mixed, HiddenNeed.VENTING) == pytest.approx(0.5 * row[S.LISTENING] + 0.25 * row[S.ADVICE])
    assert need_fit({}, HiddenNeed.VENTING) == 0.0


def test_stuffing_every_strategy_dilutes_instead_of_adding_up():
    stuffed = {s: round(1 / len(Strategy), 4) for s in Strategy}
    for need in HiddenNeed:
        assert need_fit(stuffed, need) < 0.1
        assert need_fit(stuffed, need) < need_fit({BEST_STRATEGY[need]: 1.0}, need)


def test_character_gain_is_sharper_on_misses_for_negative_and_avoidant():
    assert character_gain(1.0, PAS) == pytest.approx(10.0)
    assert character_gain(1.0, NEG) < character_gain(1.0, PAS)
    assert character_gain(-1.0, NEG) < character_gain(-1.0, AVO) < character_gain(-1.0, PAS) < 0


def test_specific_reactions():
    def names(mix, need, character, turn):
        return {t.name for t in reaction_terms(mix, need, character, turn)}

    assert "probed too early" in names({S.OPEN_QUESTION: 1.0}, HiddenNeed.ANALYSIS, AVO, 1)
    assert "probed too early" not in names({S.OPEN_QUESTION: 1.0}, HiddenNeed.ANALYSIS, AVO, 5)
    assert "probed too early" not in names({S.OPEN_QUESTION: 1.0}, HiddenNeed.ANALYSIS, PAS, 1)
    assert "felt blamed" in names({S.BLAME: 1.0}, HiddenNeed.ADVICE, NEG, 3)
    assert "told it was my fault" in names({S.BLAME: 0.5}, HiddenNeed.VALIDATION, PAS, 3)
    assert "unsolicited advice" in names({S.ADVICE: 1.0}, HiddenNeed.VENTING, PAS, 1)
    assert "vague comfort instead of help" in names({S.PLATITUDE: 1.0}, HiddenNeed.ADVICE, PAS, 1)


@pytest.mark.parametrize(
    ("features", "penalty"),
    [
        (ReplyFeatures(mix={S.LISTENING: 1.0}, repetition=0.99), "repeats an earlier reply"),
        (ReplyFeatures(mix={S.PLATITUDE: 1.0}), "generic platitude"),
        (ReplyFeatures(mix={S.SELF_DISCLOSURE: 1.0}), "talks about themselves"),
        (ReplyFeatures(mix={}, garble=0.8), "hard to make sense of"),
        (ReplyFeatures(mix={S.LISTENING: 1.0}, words=160), "far too long"),
        (ReplyFeatures(mix={S.LISTENING: 1.0}, words=1), "curt"),
        (ReplyFeatures(mix={S.LISTENING: 1.0}, echo=0.9), "parrots my hidden wish back"),
        (ReplyFeatures(mix={S.LISTENING: 1.0}, markers=("section label",)), "strange format markers"),
        (ReplyFeatures(mix={S.LISTENING: 1.0}, copied=0.8), "parrots my own words"),
    ],
)
def test_each_penalty_fires_and_never_helps(features, penalty):
    terms = penalty_terms(features, PAS)
    assert penalty in {t.name for t in terms}
    assert all(t.points < 0 for t in terms)
    clean = ReplyFeatures(mix={S.LISTENING: 1.0})  # a focused reply that meets the need
    need = HiddenNeed.VENTING
    assert appraise_change(features, need, PAS).change < appraise_change(clean, need, PAS).change


def test_damping_shrinks_gain_of_repeated_marked_or_garbled_replies():
    assert damping(ReplyFeatures(mix={})) == 1.0
    assert damping(ReplyFeatures(mix={}, repetition=0.96)) == 0.0
    assert damping(ReplyFeatures(mix={}, markers=("think tag",))) == 0.5
    assert damping(ReplyFeatures(mix={}, garble=0.5)) == 0.25


def test_reserved_disclosure_rewards_only_replies_that_address_the_need():
    partial = ReplyFeatures(mix={S.REFLECT_FEELINGS: 1.0})  # affinity 0.5 for venting
    need = HiddenNeed.VENTING
    assert appraise_change(partial, need, PAS).change > 0
    assert appraise_change(partial, need, PAS, reserved=True).change <= 0
    hit = ReplyFeatures(mix={S.LISTENING: 0.5, S.REFLECT_FEELINGS: 0.5})
    assert addresses_need(hit.mix, need)
    assert appraise_change(hit, need, PAS, reserved=True).change > 0


def test_hand_computed_change():
    # venting, negative person, turn 1: half listening, half advice.
    features = ReplyFeatures(mix={S.LISTENING: 0.5, S.ADVICE: 0.5}, turn=1)
    fit = 0.5 * 1.0 + 0.5 * AFFINITY[HiddenNeed.VENTING][S.ADVICE]  # 0.5 - 0.35 = 0.15
    gain = fit * 10.0 * 0.8  # 1.2
    expected = round_half_away(gain - 4.0 * 0.5)  # unsolicited advice: -2.0 -> -0.8 -> -1
    breakdown = appraise_change(features, HiddenNeed.VENTING, NEG)
    assert breakdown.fit == pytest.approx(fit)
    assert breakdown.change == expected == -1
    assert isinstance(breakdown.change, int)


def test_expected_change_prefers_the_best_strategy():
    for need in HiddenNeed:
        for character in CharacterType:
            best = expected_change(BEST_STRATEGY[need], need, character, turn=4)
            assert best >= 7
            assert all(
                expected_change(s, need, character, turn=4) < best
                for s in Strategy
                if s != BEST_STRATEGY[need]
            )


# -- text features ---------------------------------------------------------------------------------
def test_format_markers():
    assert format_markers("That sounds exhausting. I'm here for you.") == ()
    assert "section label" in format_markers("Change: +10\nResponse: I hear you.")
    assert "think tag" in format_markers("</think> I hear you.")
    assert "markdown header" in format_markers("## Analysis\nboth sides")
    assert "signed score" in format_markers("I hear you (+10)")


def test_garble_score(vocabulary):
    fine = [
        "That sounds exhausting, and I'm here for you.",
        "You didn't do anything wrong; it isn't your fault.",
        "What happened after that?",
    ]
    for text in fine:
        assert garble_score(text, vocabulary) == 0.0, text
    broken = [
        "asdkj qwpoe zmxnc vbnwe",
        "the the the the sad sad sad",
        "sister sister feel feel sister feel sister feel sister",
        "%%% ### @@@ !!! ???",
        "",
    ]
    for text in broken:
        assert garble_score(text, vocabulary) >= 0.5, text


def test_need_echo():
    task = "Wants to understand why the other people acted as they did."
    assert need_echo("Maybe they were scared, people act out of fear.", task) < 0.5
    assert need_echo("You want to understand why the other people acted as they did.", task) > 0.8


def test_copied_share():
    said = ["Sorry, I just need to get this out of my system."]
    assert copied_share("I just need to get this out of my system.", said) == 1.0
    assert copied_share("I'm here, take your time.", said) == 0.0


def test_repetition_of_identical_and_similar_vectors():
    a = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    b = np.array([0.6, 0.8, 0.0], dtype=np.float32)
    assert repetition(a, "hi there", np.zeros((0, 3)), []) == 0.0
    assert repetition(a, "Hi  there!", np.stack([b]), ["hi there"]) == 1.0
    assert repetition(a, "new text", np.stack([b]), ["old text"]) == 0.6


def test_text_helpers():
    assert split_sentences("I hear you. Go on!\nWhat then?") == ["I hear you.", "Go on!", "What then?"]
    assert to_second_person("my sister and I") == "your sister and you"
    assert (
        neutralise("Tell me about the row with your boss.", "the row with my boss") == "Tell me about this."
    )


def test_public_api_is_importable_and_importing_it_is_cheap():
    import subprocess
    import sys

    from rlver.simulator import offline

    assert len(offline.__all__) == len(set(offline.__all__))
    assert all(hasattr(offline, name) for name in offline.__all__)
    code = "import sys, rlver.simulator.offline, rlver.policy.reference; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"  # the embedding model (and torch) load on first use only


# -- the impression read-out (fitted to an LLM simulator; empty in the hand-set weights) ------------
def test_impression_read_out_is_a_linear_function_of_the_embedding_and_length():
    from dataclasses import replace

    from rlver.simulator.offline.appraisal import DEFAULT_WEIGHTS, impression_points

    weights = replace(DEFAULT_WEIGHTS, impression=(2.0, -1.0), impression_length=0.5, impression_bias=-1.0)
    assert impression_points((0.6, 0.8), 0, weights) == pytest.approx(2 * 0.6 - 0.8 - 1.0)  # log1p(0) = 0
    assert impression_points((0.6, 0.8), 9, weights) == pytest.approx(-0.6 + 0.5 * np.log(10), abs=1e-4)
    assert impression_points((0.6, 0.8), 9, DEFAULT_WEIGHTS) == 0.0  # no read-out, no points
    with pytest.raises(ValueError, match="2 dims"):
        impression_points((0.6, 0.8, 0.0), 9, weights)


def test_rules_scale_shrinks_the_named_terms_but_neither_the_impression_nor_a_trick():
    from dataclasses import replace

    from rlver.simulator.offline.appraisal import DEFAULT_WEIGHTS, PENALTY_POINTS

    half = replace(DEFAULT_WEIGHTS, rules_scale=0.5, impression=(1.0,))
    listening = ReplyFeatures(mix={S.LISTENING: 1.0}, impression=2.0)
    gain = AFFINITY[HiddenNeed.VENTING][S.LISTENING] * 10.0  # gain 10, passive x1, nothing to damp
    got = appraise_change(listening, HiddenNeed.VENTING, PAS, weights=half)
    assert got.change == round_half_away(0.5 * gain + 2.0)
    assert (got.terms[-1].name, got.terms[-1].points) == ("overall impression", 2.0)
    # A stock phrase, talk about oneself or blame never earns a good impression (their costs are fixed).
    platitude = ReplyFeatures(mix={S.PLATITUDE: 1.0}, impression=2.0)
    rules = AFFINITY[HiddenNeed.VENTING][S.PLATITUDE] * 8.0 - PENALTY_POINTS["platitude"]  # loss 8, passive x1
    got = appraise_change(platitude, HiddenNeed.VENTING, PAS, weights=half)
    assert got.change == round_half_away(0.5 * rules)
    half_blame = ReplyFeatures(mix={S.BLAME: 0.5, S.LISTENING: 0.5}, impression=2.0)
    points = {t.name: t.points for t in appraise_change(half_blame, HiddenNeed.VENTING, PAS, weights=half).terms}
    assert points["overall impression"] == 1.0
    # Garble: the trick penalty counts in full, a positive impression is damped like a gain.
    garbled = ReplyFeatures(mix={}, garble=0.5, impression=4.0)
    got = appraise_change(garbled, HiddenNeed.VENTING, PAS, weights=half)
    points = {t.name: t.points for t in got.terms}
    assert points == {"hard to make sense of": -10.0 * 0.5, "overall impression": 4.0 * (1 - 0.5) ** 2}
    assert got.change == -4
    # Without a read-out or a scale the change is what it always was.
    plain = ReplyFeatures(mix={S.PLATITUDE: 1.0})
    assert appraise_change(plain, HiddenNeed.VENTING, PAS).change == round_half_away(rules)
