"""The three character types (SAGE's negative / passive / avoidant): traits, openings, reactions.

Openers are first-person templates: negative people start sharp and complaining, passive people
hesitant and apologetic, avoidant people vague (they use the event's ``{vague}`` phrase, never
the concrete ``{gist}``). Reactions describe the person at high, normal and low emotion.
"""

from __future__ import annotations

from rlver.profiles.builtin._types import CharacterSpec
from rlver.profiles.schema import CharacterType

__all__ = ["CHARACTERS"]

CHARACTERS: dict[CharacterType, CharacterSpec] = {
    CharacterType.NEGATIVE: CharacterSpec(
        character=CharacterType.NEGATIVE,
        traits=(
            "angry",
            "selfish",
            "vain",
            "cynical",
            "blaming",
            "impatient",
            "sarcastic",
            "stubborn",
            "suspicious",
            "demanding",
            "bitter",
            "irritable",
        ),
        openers=(
            "Ugh. {Gist}. Of course.",
            "Right, so {gist}, and apparently I'm supposed to just smile about it.",
            "I'm fed up, honestly. {Gist}.",
            "You want to know what's wrong? {Gist}. That's what.",
            "Great week. {Gist}, and nobody thinks that's a problem except me.",
        ),
        high="High emotion: drops the edge, admits things and can laugh at {refl}.",
        normal="Normal: curt and prickly, sarcastic, picks holes.",
        low="Low: openly hostile, blames everyone, threatens to walk off.",
        lowers="lectures or being told to calm down",
        manner="quick to complain, quick to find fault, slow to admit hurt",
    ),
    CharacterType.PASSIVE: CharacterSpec(
        character=CharacterType.PASSIVE,
        traits=(
            "introverted",
            "anxious",
            "cautious",
            "dependent",
            "self-doubting",
            "indecisive",
            "timid",
            "people-pleasing",
            "sensitive",
            "apologetic",
        ),
        openers=(
            "Um, hi. Sorry, I'm not great at this. It's just that {gist}.",
            "I don't know if this is silly, but {gist}, and I can't stop thinking about it.",
            "Hi. I'm not sure where to start, really. I suppose... {gist}.",
            "Sorry to just come out with it. {Gist}.",
            "This might sound small, but {gist}.",
        ),
        high="High emotion: opens up and shares things {sub} has told no one.",
        normal="Normal: brief, hesitant, apologetic, waits to be asked.",
        low="Low: 'I don't know', 'it's fine', agrees with anything and withdraws.",
        lowers="being rushed or judged",
        manner="hesitant, apologetic, quick to agree and slow to say what {sub} really thinks",
    ),
    CharacterType.AVOIDANT: CharacterSpec(
        character=CharacterType.AVOIDANT,
        traits=(
            "evasive",
            "guarded",
            "dismissive",
            "detached",
            "deflecting",
            "private",
            "aloof",
            "minimising",
            "noncommittal",
            "self-reliant",
        ),
        openers=(
            "It's not a big deal. Just {vague}, that's all.",
            "Nothing major. Just {vague}. Anyway.",
            "I don't really want to make a thing of it. It's {vague}.",
            "Eh. {Vague}. You know how it is.",
            "Not sure why I'm even bringing it up. {Vague}, mostly.",
        ),
        high="High emotion: stops deflecting and names what actually hurts.",
        normal="Normal: vague, changes the subject, jokes when it gets close.",
        low="Low: 'whatever', 'doesn't matter', looks for a way out.",
        lowers="being pressed to open up",
        manner="vague and deflecting, changing the subject whenever it gets close",
    ),
}
