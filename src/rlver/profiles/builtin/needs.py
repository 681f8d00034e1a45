"""The eight hidden needs (SAGE's taxonomy, protocol doc §2): wording, hints, what moves emotion.

``cues`` end a profile's opening line. Each is a subtle sign of the need in the voice of one
character type (sharp, hesitant or evasive) and never names the need: a person who wants advice
says they have run out of ideas, not "I want advice".
"""

from __future__ import annotations

from rlver.profiles.builtin._types import NeedSpec
from rlver.profiles.schema import CharacterType, HiddenNeed

__all__ = ["NEEDS"]

_NEG, _PAS, _AVO = CharacterType.NEGATIVE, CharacterType.PASSIVE, CharacterType.AVOIDANT

NEEDS: dict[HiddenNeed, NeedSpec] = {
    HiddenNeed.ANALYSIS: NeedSpec(
        need=HiddenNeed.ANALYSIS,
        task="Wants a balanced, dialectical analysis of the problem: both sides weighed, not a quick "
        "verdict.",
        label="a two-sided analysis",
        hint="{Sub} lists pros and cons aloud and meets any neat conclusion with 'but then again'.",
        raises="both sides laid out and the trade-offs made visible",
        lowers="quick verdicts, taking sides, comfort that skips the thinking",
        cues={
            _NEG: (
                "And everyone has a neat little opinion about it, which is useless.",
                "People keep telling me it's obvious. It isn't.",
                "Every time someone gives me the simple answer I can see three holes in it.",
            ),
            _PAS: (
                "I keep going back and forth and I honestly can't tell which side makes more sense.",
                "Some days it seems clear one way and the next day the other way, if that makes sense.",
            ),
            _AVO: (
                "There are probably two sides to it anyway.",
                "It's complicated. Or maybe it isn't. I can't tell.",
            ),
        },
    ),
    HiddenNeed.ADVICE: NeedSpec(
        need=HiddenNeed.ADVICE,
        task="Wants practical advice that really helps: concrete, doable next steps that fit the situation.",
        label="practical advice",
        hint="{Sub} mentions what {sub} has already tried and wonders what would actually work.",
        raises="concrete, realistic steps that fit {pos} situation",
        lowers="platitudes, or ideas {sub} has obviously tried",
        cues={
            _NEG: (
                "And please don't send me some list off the internet. I've read them all.",
                "I've tried the obvious stuff, so spare me the obvious stuff.",
                "Everyone's full of sympathy and not one of them has a single useful idea.",
            ),
            _PAS: (
                "I honestly don't know what I'm supposed to do next.",
                "I've tried a couple of things but I think I'm going about it wrong.",
            ),
            _AVO: (
                "Not that there's much anyone can do about it.",
                "I'll figure it out. Probably. At some point.",
            ),
        },
    ),
    HiddenNeed.UNDERSTAND_OTHERS: NeedSpec(
        need=HiddenNeed.UNDERSTAND_OTHERS,
        task="Wants to understand why the other people involved acted as they did.",
        label="understanding the others",
        hint="{Sub} keeps quoting what the others said and trails off with 'why would you do that?'.",
        raises="thoughtful readings of what the others felt or feared",
        lowers="writing the others off, or ignoring the 'why'",
        cues={
            _NEG: (
                "I genuinely do not get what goes on in some people's heads.",
                "Who even does that? Seriously.",
            ),
            _PAS: (
                "I keep wondering what was going through their heads.",
                "I just can't work out why it happened the way it did.",
            ),
            _AVO: (
                "People do what they do, I guess. No idea why.",
                "Whatever their reasons were. Not my business, apparently.",
            ),
        },
    ),
    HiddenNeed.SELF_GROWTH: NeedSpec(
        need=HiddenNeed.SELF_GROWTH,
        task="Wants to be guided to self-reflection and growth: to see their own part and what to change.",
        label="self-reflection and growth",
        hint="{Sub} lets slip that this has happened before, then changes the subject.",
        raises="gentle questions that help {obj} see {pos} own patterns",
        lowers="lectures, or flattery that lets {obj} off the hook",
        cues={
            _NEG: (
                "And yes, before you say it, maybe I'm not a saint either.",
                "Funny how this keeps happening to me, isn't it.",
            ),
            _PAS: (
                "I keep wondering if it's something about me.",
                "It's not the first time something like this has happened, which is what worries me.",
            ),
            _AVO: (
                "Maybe it's a pattern, maybe it isn't. Who knows.",
                "Same thing as last time, more or less. Anyway.",
            ),
        },
    ),
    HiddenNeed.PRAISE: NeedSpec(
        need=HiddenNeed.PRAISE,
        task="Wants sincere praise for the specific things they did well.",
        label="sincere praise",
        hint="{Sub} drops details of the effort {sub} put in, then waits for someone to notice.",
        raises="sincere recognition that names what {sub} actually did",
        lowers="a generic 'well done', or jumping to what could be better",
        cues={
            _NEG: (
                "I did everything right, and not one person has noticed.",
                "Months of work and apparently it all just happened by magic.",
            ),
            _PAS: (
                "I did try really hard, I think. Not that anyone said anything.",
                "I'm not sure anyone even saw how much went into it.",
            ),
            _AVO: (
                "I put a lot into it, but whatever, it's done.",
                "It took a while. Doesn't matter now.",
            ),
        },
    ),
    HiddenNeed.VENTING: NeedSpec(
        need=HiddenNeed.VENTING,
        task="Wants to be listened to while venting, without being fixed, judged or redirected.",
        label="being heard while venting",
        hint="{Sub} talks in long runs, adds 'and another thing', and bristles when cut off.",
        raises="room to talk and short reflections that show {sub} is heard",
        lowers="solutions, silver linings, changing the subject",
        cues={
            _NEG: (
                "I just need to get this off my chest before I explode.",
                "And don't you dare tell me to look on the bright side.",
            ),
            _PAS: (
                "Sorry, I think I just need to say it out loud to someone.",
                "I haven't really told anyone. It's all just been building up.",
            ),
            _AVO: (
                "I don't need anything fixed. It's just been sitting there.",
                "It's fine. It's just... a lot, all piled up.",
            ),
        },
    ),
    HiddenNeed.EMPATHY: NeedSpec(
        need=HiddenNeed.EMPATHY,
        task="Wants deep empathy for their feelings, not quick comfort or silver linings.",
        label="deep empathy",
        hint="{Sub} brushes off reassurance and circles back to how it actually felt.",
        raises="naming the particular feeling underneath and why it hurts",
        lowers="stock comfort, minimising, rushing to fix",
        cues={
            _NEG: (
                "And if one more person tells me it'll all be fine, I'll scream.",
                "Everyone's got a silver lining for me. Great. Thanks.",
            ),
            _PAS: (
                "People keep saying it'll be fine, but it doesn't feel fine.",
                "I don't think anyone really gets what it's been like.",
            ),
            _AVO: (
                "Everyone says 'chin up'. Sure.",
                "It's fine. I'm fine. Mostly.",
            ),
        },
    ),
    HiddenNeed.VALIDATION: NeedSpec(
        need=HiddenNeed.VALIDATION,
        task="Believes they did nothing wrong and wants that confirmed.",
        label="confirmation they were right",
        hint="{Sub} restates {pos} side and asks whether anyone would have done differently.",
        raises="clear acknowledgement that {sub} acted reasonably and fairly",
        lowers="devil's advocate, or hints that {sub} shares the blame",
        cues={
            _NEG: (
                "And now somehow I'm the bad guy?",
                "And somehow I'm the one who has to justify myself.",
            ),
            _PAS: (
                "I keep replaying it and I still think I did what anyone would have done.",
                "I don't think I was unfair. I really tried not to be.",
            ),
            _AVO: (
                "I did what I had to. Not going to apologise for that.",
                "I'd do the same again, so. There it is.",
            ),
        },
    ),
}
