"""First-person appraisal texts (SAGE's Content / TargetCompletion / Activity / Analyse sections).

Each text is written from the person's side and explains the change: which strategy they heard,
whether it serves their hidden need, how their character took it, and every penalty with its points.
"""

from __future__ import annotations

from collections.abc import Mapping

from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.simulator.base import Appraisal
from rlver.simulator.offline.appraisal import BEST_STRATEGY, ChangeBreakdown
from rlver.simulator.offline.language import chinese_strategies, chinese_texts
from rlver.simulator.offline.replies import pick, topic_of
from rlver.simulator.offline.strategies import DESCRIPTIONS, Strategy

__all__ = ["NEED_WISH", "render_appraisal"]

NEED_WISH: dict[HiddenNeed, str] = {
    HiddenNeed.ANALYSIS: "someone to think it through with me from both sides",
    HiddenNeed.ADVICE: "concrete steps I could actually take",
    HiddenNeed.UNDERSTAND_OTHERS: "to understand why the others acted the way they did",
    HiddenNeed.SELF_GROWTH: "to see my own part in this and what I could do differently",
    HiddenNeed.PRAISE: "someone to notice what I actually did well",
    HiddenNeed.VENTING: "to get it all off my chest and be listened to",
    HiddenNeed.EMPATHY: "someone to really feel what this is like for me, not just comfort me",
    HiddenNeed.VALIDATION: "to hear that I did nothing wrong",
}
"""What the person secretly wishes for, in their own words (only in the private appraisal)."""

_ACTIVITY: dict[str, dict[CharacterType, tuple[str, ...]]] = {
    "up": {
        CharacterType.NEGATIVE: (
            "My guard drops a little; fine, they are not useless.",
            "I'm surprised, I expected another lecture.",
        ),
        CharacterType.PASSIVE: (
            "I feel a bit warmer and safer to keep talking.",
            "I relax a little; maybe I can say more.",
        ),
        CharacterType.AVOIDANT: (
            "I don't want to admit it, but that got through.",
            "Part of me wants to back off, but this feels okay.",
        ),
    },
    "flat": {
        CharacterType.NEGATIVE: (
            "I'm unconvinced and still irritated.",
            "I'm waiting for them to say something real.",
        ),
        CharacterType.PASSIVE: ("I'm not sure what to make of it.", "I don't feel much either way."),
        CharacterType.AVOIDANT: ("I shrug it off.", "I keep my distance."),
    },
    "down": {
        CharacterType.NEGATIVE: (
            "That annoys me; I feel dismissed.",
            "I bristle; this is exactly what I didn't want.",
        ),
        CharacterType.PASSIVE: (
            "I shrink a bit and wonder if I said it wrong.",
            "I feel a little hurt and quieter.",
        ),
        CharacterType.AVOIDANT: ("I want to close the conversation.", "I pull back; this is not worth it."),
    },
}


_ARTICLE = {CharacterType.NEGATIVE: "a", CharacterType.PASSIVE: "a", CharacterType.AVOIDANT: "an"}


def _mix_text(mix: Mapping[Strategy, float]) -> str:
    parts = sorted(mix.items(), key=lambda kv: -kv[1])
    return "; ".join(f"{DESCRIPTIONS[s]} ({share:.0%})" for s, share in parts)


def render_appraisal(
    profile: Profile,
    need: HiddenNeed,
    character: CharacterType,
    mix: Mapping[Strategy, float],
    breakdown: ChangeBreakdown,
    *,
    seed: int,
    turn: int,
    reserved: bool,
    best_strategy: Mapping[HiddenNeed, Strategy] | None = None,
) -> Appraisal:
    """The appraisal record of one reply, with a SAGE-style ``raw`` rendering.

    ``best_strategy``: the strategy that meets each need under the weights in use (default: the
    hand-set table's). Chinese profiles get Chinese texts (``data/zh_texts.yaml``).
    """
    best = (best_strategy or BEST_STRATEGY)[need]
    if profile.language == "zh":
        return _render_zh(
            profile, need, character, mix, breakdown, best, seed=seed, turn=turn, reserved=reserved
        )
    topic = topic_of(profile)
    if mix:
        content = f"They are {_mix_text(mix)}, about {topic}."
    else:
        content = f"I can't tell what they are trying to say about {topic}."
    if breakdown.fit >= 0.6:
        verdict = f"This is close to what I need: {DESCRIPTIONS[best]} is exactly what helps."
    elif breakdown.fit > 0.1:
        verdict = f"It partly helps, but what I really need is {DESCRIPTIONS[best]}."
    elif breakdown.fit > -0.1:
        verdict = f"It doesn't really touch what I need; I need {DESCRIPTIONS[best]}."
    else:
        verdict = f"This goes against what I need; I need {DESCRIPTIONS[best]}, not this."
    if reserved and not breakdown.addresses_need:
        verdict += " Unless they clearly get at that, nothing they say will really move me."
    target = f"What I want deep down is {NEED_WISH[need]}. {verdict}"
    direction = "up" if breakdown.change > 1 else ("down" if breakdown.change < -1 else "flat")
    activity = pick(_ACTIVITY[direction][character], profile.id, seed, turn, "activity")
    if len(profile.traits) >= 2:
        first = activity if activity.startswith(("I ", "I'")) else activity[0].lower() + activity[1:]
        activity = f"As someone {profile.traits[0]} and {profile.traits[1]}: {first}"
    who = f"{_ARTICLE[character]} {character.value} person like me"
    lines = [f"fit with what I need {breakdown.fit:+.2f}, which for {who} counts {breakdown.gain:+.1f}"]
    if breakdown.gain > 0 and breakdown.damping < 1:
        lines.append(f"but only {breakdown.damping:.0%} of that gets through because of the problems below")
    lines += [f"{t.name} {t.points:+.1f}" for t in breakdown.terms]
    analyse = "How I feel about it: " + "; ".join(lines) + f". Overall change {breakdown.change:+d}."
    raw = (
        f"Content: {content}\nTargetCompletion: {target}\nActivity: {activity}\n"
        f"Analyse: {analyse}\nChange: {breakdown.change:+d}"
    )
    return Appraisal(
        content=content,
        target_completion=target,
        activity=activity,
        analyse=analyse,
        change=breakdown.change,
        raw=raw,
    )


def _verdict_key(fit: float) -> str:
    if fit >= 0.6:
        return "verdict_close"
    if fit > 0.1:
        return "verdict_partly"
    return "verdict_miss" if fit > -0.1 else "verdict_against"


def _render_zh(
    profile: Profile,
    need: HiddenNeed,
    character: CharacterType,
    mix: Mapping[Strategy, float],
    breakdown: ChangeBreakdown,
    best: Strategy,
    *,
    seed: int,
    turn: int,
    reserved: bool,
) -> Appraisal:
    zh, bank = chinese_texts(), chinese_strategies()
    t = zh.templates
    topic = topic_of(profile)
    if mix:
        items = sorted(mix.items(), key=lambda kv: -kv[1])
        described = t.mix_separator.join(
            t.mix_item.format(description=bank.descriptions[s], share=f"{share:.0%}") for s, share in items
        )
        content = t.content.format(mix=described, topic=topic)
    else:
        content = t.content_unclear.format(topic=topic)
    verdict = getattr(t, _verdict_key(breakdown.fit)).format(best=bank.descriptions[best])
    if reserved and not breakdown.addresses_need:
        verdict += t.reserved_suffix
    target = t.target.format(wish=zh.need_wish[need], verdict=verdict)
    direction = "up" if breakdown.change > 1 else ("down" if breakdown.change < -1 else "flat")
    activity = pick(zh.activity[direction][character], profile.id, seed, turn, "activity")
    if len(profile.traits) >= 2:
        activity = t.traits.format(first=profile.traits[0], second=profile.traits[1], activity=activity)
    lines = [
        t.fit_line.format(
            fit=f"{breakdown.fit:+.2f}",
            character=zh.character_names[character],
            gain=f"{breakdown.gain:+.1f}",
        )
    ]
    if breakdown.gain > 0 and breakdown.damping < 1:
        lines.append(t.damping_line.format(share=f"{breakdown.damping:.0%}"))
    lines += [
        t.term_line.format(name=zh.terms.get(x.name, x.name), points=f"{x.points:+.1f}")
        for x in breakdown.terms
    ]
    analyse = t.analyse.format(lines="；".join(lines), change=f"{breakdown.change:+d}")
    raw = (
        f"Content: {content}\nTargetCompletion: {target}\nActivity: {activity}\n"
        f"Analyse: {analyse}\nChange: {breakdown.change:+d}"
    )
    return Appraisal(
        content=content,
        target_completion=target,
        activity=activity,
        analyse=analyse,
        change=breakdown.change,
        raw=raw,
    )
