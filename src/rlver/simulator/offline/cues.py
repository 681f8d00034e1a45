"""Cues of the hidden need: what an attentive listener can pick up from the person's messages.

Every message the offline person writes carries one cue of their hidden need. Cues never name the
need ("I want advice"); they show it, the way people do: someone who wants advice says they have
run out of ideas, someone venting says there is more to get off their chest. Under the ``hint``
disclosure the cues are plain, under ``hidden`` subtler, under ``reserved`` terse and deflecting.
The same need always sounds alike, so a policy can learn to read it.

``{topic}`` is the person's own phrase for the event (first person, e.g. "the argument with my
sister about Mum's care home").
"""

from __future__ import annotations

from rlver.profiles.schema import HiddenNeed

__all__ = ["CUES", "OPENINGS"]

N = HiddenNeed
CUES: dict[HiddenNeed, dict[str, tuple[str, ...]]] = {
    N.ANALYSIS: {
        "hint": (
            "I keep going back and forth, there are good points on both sides and I can't weigh them.",
            "Part of me thinks one thing and part of me thinks the complete opposite.",
            "Everyone gives me a one-line answer, but it's more complicated than that, isn't it?",
            "I can argue it either way, that's the problem.",
            "There's a case for and a case against and I keep flipping between them.",
        ),
        "hidden": (
            "It's not as simple as people make out.",
            "One day it seems obvious, the next day it doesn't.",
            "Every neat answer I hear has a hole in it somewhere.",
            "I don't know which way is the sensible way.",
        ),
        "reserved": ("It's complicated.", "Could go either way, I suppose.", "Depends how you look at it."),
    },
    N.ADVICE: {
        "hint": (
            "I honestly don't know what to actually do next.",
            "I've tried the obvious things and none of them worked.",
            "What would you even do in my position, practically?",
            "I need to sort it out somehow and I'm out of ideas.",
            "I keep making plans in my head and none of them feel doable.",
        ),
        "hidden": (
            "I can't see a way forward from here.",
            "Nothing I've tried has changed anything.",
            "I don't know where I'd even start.",
            "Something has to change, I just don't know what.",
        ),
        "reserved": (
            "Not that anything can be done.",
            "I'll figure it out. Probably.",
            "Whatever, it's stuck.",
        ),
    },
    N.UNDERSTAND_OTHERS: {
        "hint": (
            "I just can't get my head around why they'd do that.",
            "What goes on in someone's head to act like that?",
            "I keep replaying what they said and trying to work out what they meant.",
            "Why would anyone behave like that? I really don't get it.",
            "It doesn't make sense to me, from their side I mean.",
        ),
        "hidden": (
            "People are strange sometimes.",
            "I keep thinking about the way they looked at me.",
            "I didn't see that coming from them at all.",
            "It just came out of nowhere, from them.",
        ),
        "reserved": ("People do what they do.", "No idea what that was about.", "Their business, I guess."),
    },
    N.SELF_GROWTH: {
        "hint": (
            "It's not the first time something like this has happened to me, which worries me.",
            "Maybe there's something about the way I handle these things.",
            "I keep ending up in the same place and I don't know why.",
            "I wonder what I keep doing that leads here.",
            "I'd like to not be the same person in this situation next time.",
        ),
        "hidden": (
            "Funny how this keeps happening.",
            "Same story as last time, more or less.",
            "Maybe it's me, maybe it isn't.",
            "I've been here before, somehow.",
        ),
        "reserved": ("Story of my life.", "Here we go again.", "Same as always."),
    },
    N.PRAISE: {
        "hint": (
            "I put so much into it, you know, weeks of work.",
            "I did everything I could, the planning, the calls, all of it.",
            "Nobody even noticed how much I did to hold it together.",
            "I honestly think I handled my part pretty well, not that anyone said so.",
            "I stayed up every night getting it right.",
        ),
        "hidden": (
            "I did a lot of it myself, for what it's worth.",
            "All that effort and not a word.",
            "I was the one who sorted most of it out.",
            "I gave it everything I had.",
        ),
        "reserved": ("I did my bit.", "Not that it counts for anything.", "I tried, anyway."),
    },
    N.VENTING: {
        "hint": (
            "Sorry, I just need to get this out of my system.",
            "And there's more, honestly, it's been building up for ages.",
            "I don't even need anyone to fix it, I just need to say it out loud.",
            "Ugh, I could go on about this all day.",
            "It feels good just to say it to someone.",
        ),
        "hidden": (
            "And don't get me started on the rest of it.",
            "Ugh. There's so much more.",
            "It's been building up for weeks.",
            "I've been holding all this in.",
        ),
        "reserved": ("There's more, but whatever.", "Ugh. Anyway.", "Never mind, long story."),
    },
    N.EMPATHY: {
        "hint": (
            "It's hard to explain how heavy it feels.",
            "People keep saying I'll be fine, but they don't get what it's actually like.",
            "I feel it in my chest all day, this weight.",
            "Nobody seems to get how much it hurts.",
            "It's not even the event, it's how it makes me feel inside.",
        ),
        "hidden": (
            "I haven't been sleeping much.",
            "It sits with me all day.",
            "Everyone says it'll pass.",
            "I just feel off, all the time.",
        ),
        "reserved": ("I'm fine. Mostly.", "It's whatever.", "I'm okay, I guess."),
    },
    N.VALIDATION: {
        "hint": (
            "I really don't think I did anything wrong, but now everyone's acting like I did.",
            "Was it so bad, what I did? I don't think it was.",
            "Everyone's making me feel like the bad guy here.",
            "I'd do the same thing again, honestly, I don't see the problem.",
            "Am I crazy, or was I actually in the right?",
        ),
        "hidden": (
            "Apparently I'm the problem now.",
            "Somehow it's all on me.",
            "They all look at me like I did something terrible.",
            "I stand by what I did.",
        ),
        "reserved": ("Whatever, I know what I did.", "Apparently it's on me.", "Not my fault, anyway."),
    },
}
"""Cue sentences per need and disclosure level."""

OPENINGS: dict[str, tuple[str, ...]] = {
    "negative": (
        "I need to talk about {topic}, because honestly it's driving me up the wall.",
        "So, {topic}. Yeah. It's a mess and I'm fed up.",
        "Can I complain about {topic} for a minute? Because I'm sick of it.",
        "You won't believe {topic}. I'm furious, still.",
    ),
    "passive": (
        "Um, hi. Is it okay if I talk about {topic}? It's been on my mind.",
        "Sorry, I don't really know how to start. It's about {topic}.",
        "I've been meaning to talk to someone about {topic}, if that's alright.",
        "Hi... so there's {topic}, and I can't stop thinking about it.",
    ),
    "avoidant": (
        "Hey. There's this thing, {topic}. It's probably nothing.",
        "I don't really want to make a big deal of it, but... {topic}.",
        "Eh, it's {topic}. Not a big deal. Or maybe it is.",
        "So there's {topic}. I don't know. Whatever.",
    ),
}
"""First messages by character type, for presets without a scripted opening."""
