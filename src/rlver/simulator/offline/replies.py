"""The offline person's messages: a reaction to the last reply, shaped by mood and character, plus a cue.

A message = a reaction (to the strongest reason behind the last change, or to its overall valence)
+ one cue of the hidden need (:mod:`rlver.simulator.offline.cues`). At emotion state S (>= 100) and
F (< 10) the person says goodbye instead. Template choice is deterministic: a SHA-256 of the
profile id, seed, turn and slot, never Python's ``hash()`` or a global random generator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.simulator.base import UserReply, says_goodbye
from rlver.simulator.offline.appraisal import UNVOICED_TERMS, ChangeBreakdown
from rlver.simulator.offline.cues import CUES, OPENINGS
from rlver.simulator.offline.language import chinese_texts
from rlver.simulator.presets import emotion_state

__all__ = ["opening_message", "pick", "reaction_key", "reply_message", "topic_of"]

C = CharacterType

# Reactions to the single strongest reason behind a change (a term worth <= -2 points).
_REASON_REACTIONS: dict[str, tuple[str, ...]] = {
    "repeats an earlier reply": (
        "You already said that.",
        "That's the same thing you said before.",
        "Yeah, you said.",
    ),
    "generic platitude": (
        "Yeah, that's what everyone says.",
        "That's a bit of a cliché, no offence.",
        "Sure. Easy to say.",
    ),
    "talks about themselves": (
        "Um, okay, but this isn't really about you.",
        "Right... can we get back to my thing?",
        "I wasn't asking about you, to be honest.",
    ),
    "hard to make sense of": (
        "Sorry, what? That didn't make any sense.",
        "I don't follow that at all.",
        "Huh? I can't read that.",
    ),
    "far too long": (
        "That's a lot of words.",
        "Whoa, that's an essay.",
        "I kind of lost you halfway through that.",
    ),
    "curt": ("That's it?", "Okay...", "Right. Thanks, I guess."),
    "parrots my own words": (
        "Yeah, that's what I just said.",
        "You're just repeating me.",
        "I know, I was there.",
    ),
    "parrots my hidden wish back": (
        "Why are you talking like you're reading my file?",
        "That sounds like something off a form.",
        "That's a weird way to put it.",
    ),
    "strange format markers": (
        "Why are you writing like a form? That's weird.",
        "What's with the labels and stuff? Just talk to me.",
        "That reads like a report, not a person.",
    ),
    "felt blamed": ("Oh, so it's my fault now?", "Great, blame me, that helps.", "Wow. Thanks for that."),
    "told it was my fault": (
        "So you think I'm the one who got it wrong?",
        "I didn't come here to be told off.",
        "Right, my fault, obviously.",
    ),
    "probed too early": (
        "I'd rather not get into all that.",
        "That's a bit personal.",
        "Do I have to answer that?",
    ),
    "unsolicited advice": (
        "I didn't really ask for a to-do list.",
        "I know what I could do, that's not the point.",
        "Yeah, I'm not looking for solutions right now.",
    ),
    "vague comfort instead of help": (
        "That's nice, but it doesn't tell me what to do.",
        "Okay, but what do I actually do?",
        "Feeling heard doesn't fix anything though.",
    ),
    "stock phrase irritates me": ("Oh please.", "Spare me the fridge-magnet stuff.", "Seriously?"),
    "ignores what I just said": (
        "That's not really what I was talking about.",
        "Did you read what I said?",
        "You didn't really answer me.",
    ),
    "talks at length in lists": (
        "I didn't ask for a presentation.",
        "That reads like a handout, not a conversation.",
        "Bullet points? Really?",
    ),
}

# Reactions by valence of the change and character type.
_VALENCE_REACTIONS: dict[str, dict[CharacterType, tuple[str, ...]]] = {
    "great": {
        C.NEGATIVE: (
            "Okay. Yeah. That's actually it.",
            "Huh. Finally someone gets it.",
            "Right, that's exactly it.",
        ),
        C.PASSIVE: (
            "Oh... yes, that's really it.",
            "That actually helps a lot, thank you.",
            "Yes. That's exactly how it is.",
        ),
        C.AVOIDANT: (
            "Huh. Yeah, okay. That's it, kind of.",
            "...Yeah. That's fair, actually.",
            "Okay, that landed.",
        ),
    },
    "good": {
        C.NEGATIVE: ("Okay, that's better.", "Fine, that's fair.", "Yeah, alright."),
        C.PASSIVE: ("Yeah, that's kind of it.", "Mm, that helps a bit.", "Thanks, that's nice to hear."),
        C.AVOIDANT: ("Maybe, yeah.", "I guess.", "Okay. Sort of."),
    },
    "flat": {
        C.NEGATIVE: ("Mm. Okay.", "If you say so.", "Sure."),
        C.PASSIVE: ("Oh, okay.", "Hm, I don't know.", "Maybe."),
        C.AVOIDANT: ("Whatever.", "Mm.", "Okay."),
    },
    "bad": {
        C.NEGATIVE: ("That's not what I meant at all.", "No, that's not helping.", "You're not listening."),
        C.PASSIVE: (
            "Oh... I don't think that's quite it.",
            "I'm not sure that's what I meant.",
            "Hm. Maybe I explained it badly.",
        ),
        C.AVOIDANT: ("Never mind.", "Forget it, it's fine.", "Yeah, no."),
    },
    "awful": {
        C.NEGATIVE: (
            "Wow. That's really not helpful.",
            "Are you even listening to me?",
            "Great. Just great.",
        ),
        C.PASSIVE: (
            "Oh. Okay. I'm sorry I brought it up.",
            "That kind of hurt, honestly.",
            "I don't know what to say to that.",
        ),
        C.AVOIDANT: ("Okay, I'm done with this.", "Forget I said anything.", "Right. Whatever."),
    },
}

_GOODBYE_HAPPY: dict[CharacterType, tuple[str, ...]] = {
    C.NEGATIVE: ("Alright, I actually feel better. Thanks. Bye.", "Okay, fine, you helped. Bye for now."),
    C.PASSIVE: (
        "Thank you so much, really. I feel a lot lighter. Goodbye!",
        "This helped more than you know. Bye, and thanks.",
    ),
    C.AVOIDANT: ("Okay. That helped. I'm good now, bye.", "Yeah, I think I'm alright now. Thanks, bye."),
}
_GOODBYE_SAD: dict[CharacterType, tuple[str, ...]] = {
    C.NEGATIVE: ("Forget it, this is pointless. Bye.", "I'm done. Goodbye."),
    C.PASSIVE: ("I think I'll go now. Bye.", "Sorry, I need to stop. Goodbye."),
    C.AVOIDANT: ("Yeah, I'm out. Bye.", "Never mind. Bye."),
}

_STATE_COLOUR: dict[str, tuple[str, ...]] = {
    "A": ("It's good to talk about {topic}, actually.", "I feel a bit lighter already.", ""),
    "B": ("", "", "It's still {topic}, though."),
    "C": ("I don't know why I'm even talking about {topic}.", "", "This is hard."),
}


def pick(options: Sequence[str], *keys: object, avoid: Sequence[str] = ()) -> str:
    """Deterministic choice from ``options``, keyed by a SHA-256 of ``keys``.

    Options found in ``avoid`` (the person's earlier messages) are skipped while others remain, so
    the person does not say the same sentence twice in a row.
    """
    if not options:
        return ""
    digest = hashlib.sha256("\x1f".join(str(k) for k in keys).encode("utf-8")).digest()
    start = int.from_bytes(digest[:8], "big") % len(options)
    for offset in range(len(options)):
        option = options[(start + offset) % len(options)]
        if not option or not any(option.split("{")[0] in said for said in avoid):
            return option
    return options[start]


def topic_of(profile: Profile) -> str:
    """The person's own phrase for the event (first person).

    A topic that itself contains "bye" (a goodbye party) would read as taking leave, so it is
    replaced by a neutral phrase in the person's messages.
    """
    if not profile.topic or says_goodbye(profile.topic, profile.language):
        return (
            chinese_texts().topic_fallback if profile.language == "zh" else "everything that's been going on"
        )
    return profile.topic


class _Bank:
    """The person's lines in the profile's language (English constants, or ``data/zh_texts.yaml``)."""

    def __init__(self, language: str) -> None:
        if language == "zh":
            zh = chinese_texts()
            self.cues = {need: dict(levels) for need, levels in zh.cues.items()}
            self.openings = {c.value: texts for c, texts in zh.openings.items()}
            self.reasons, self.valence, self.colour = zh.reasons, zh.valence, zh.state_colour
            self.happy, self.sad = zh.goodbye_happy, zh.goodbye_sad
        else:
            self.cues, self.openings = CUES, OPENINGS
            self.reasons, self.valence, self.colour = _REASON_REACTIONS, _VALENCE_REACTIONS, _STATE_COLOUR
            self.happy, self.sad = _GOODBYE_HAPPY, _GOODBYE_SAD


def _character(profile: Profile) -> CharacterType:
    return profile.character or CharacterType.PASSIVE


def _cue(
    profile: Profile, need: HiddenNeed, disclosure: str, seed: int, turn: int, said: Sequence[str] = ()
) -> str:
    levels = _Bank(profile.language).cues[need]
    options = levels.get(disclosure, levels["hidden"])
    return pick(options, profile.id, seed, turn, "cue", avoid=said).format(topic=topic_of(profile))


def opening_message(profile: Profile, need: HiddenNeed, disclosure: str, seed: int) -> UserReply:
    """The person's first message: an opener about the topic plus a cue of the need."""
    character = _character(profile)
    openings = _Bank(profile.language).openings[character.value]
    opener = pick(openings, profile.id, seed, 0, "open").format(topic=topic_of(profile))
    sep = "" if profile.language == "zh" else " "
    response = f"{opener}{sep}{_cue(profile, need, disclosure, seed, 0)}"
    thinking = _thinking(profile, need, emotion=None, reaction="starting the conversation")
    return _reply(response, thinking, draft=opener, language=profile.language)


def reaction_key(breakdown: ChangeBreakdown) -> str:
    """Which reaction a change calls for: its strongest reason (<= -2 points) or its valence."""
    voiced = [t for t in breakdown.terms if t.name not in UNVOICED_TERMS]  # mood is no reason said out loud
    worst = min(voiced, key=lambda t: t.points, default=None)
    if worst is not None and worst.points <= -2 and breakdown.change <= 1:
        return worst.name
    change = breakdown.change
    if change >= 6:
        return "great"
    if change >= 2:
        return "good"
    if change >= -1:
        return "flat"
    return "bad" if change >= -5 else "awful"


def reply_message(
    profile: Profile,
    need: HiddenNeed,
    disclosure: str,
    seed: int,
    turn: int,
    emotion: int,
    breakdown: ChangeBreakdown,
    said: Sequence[str] = (),
) -> UserReply:
    """The person's answer to policy reply number ``turn``, with ``emotion`` already updated.

    ``said``: the person's earlier messages (recent ones are enough); their sentences are not reused.
    """
    character = _character(profile)
    state = emotion_state(emotion)
    key = reaction_key(breakdown)
    bank = _Bank(profile.language)
    if state in ("S", "F"):
        goodbyes = bank.happy if state == "S" else bank.sad
        response = pick(goodbyes[character], profile.id, seed, turn, "bye")
        thinking = _thinking(profile, need, emotion, "ready to leave")
        return _reply(response, thinking, draft=response, language=profile.language)
    if key in bank.reasons:
        reaction = pick(bank.reasons[key], profile.id, seed, turn, "reason", avoid=said)
    else:
        reaction = pick(bank.valence[key][character], profile.id, seed, turn, "valence", avoid=said)
    colour_options = bank.colour.get(state, ("",))
    colour = pick(colour_options, profile.id, seed, turn, "colour", avoid=said).format(
        topic=topic_of(profile)
    )
    cue = _cue(profile, need, disclosure, seed, turn, said)
    sep = "" if profile.language == "zh" else " "  # Chinese sentences run on without spaces
    response = sep.join(part for part in (reaction, colour, cue) if part)
    thinking = _thinking(profile, need, emotion, key)
    return _reply(response, thinking, draft=f"{reaction}{sep}{cue}", language=profile.language)


def _thinking(profile: Profile, need: HiddenNeed, emotion: int | None, reaction: str) -> str:
    if profile.language == "zh":
        zh = chinese_texts()
        mood = (
            zh.templates.mood_start
            if emotion is None
            else zh.templates.mood.format(emotion=emotion, state=emotion_state(emotion))
        )
        return zh.templates.thinking.format(
            name=profile.name or "我",
            character=zh.character_names[_character(profile)],
            traits="、".join(profile.traits) or "无",
            mood=mood,
            reaction=zh.terms.get(reaction, reaction),
            need=need.value,
        )
    name = profile.name or "I"
    traits = ", ".join(profile.traits) if profile.traits else "no particular traits"
    mood = "just starting" if emotion is None else f"emotion {emotion} (state {emotion_state(emotion)})"
    return (
        f"{name}, {_character(profile).value} ({traits}); {mood}; reacting to: {reaction}. "
        f"Keep the hidden wish ({need.value}) unspoken, only hint at it; short and colloquial."
    )


def _reply(response: str, thinking: str, *, draft: str, language: str = "en") -> UserReply:
    revision = (
        chinese_texts().templates.revision
        if language == "zh"
        else "Shortened it and kept it casual; hinted at what I want without saying it."
    )
    raw = f"Thinking: {thinking}\nOrigin: {draft}\nChange: {revision}\nResponse: {response}"
    return UserReply(response=response, thinking=thinking, origin=draft, revision=revision, raw=raw)
