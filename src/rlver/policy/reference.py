"""Reference policies (a random supporter and an oracle) and the public reply composer.

``compose_reply`` writes a natural reply of one support strategy from many slot-filled templates;
the reference policies use it, and so does the pretraining corpus of the tiny base policy, so every
strategy (the bad ones too) is written fluently and in varied words.

* ``ReferencePolicy("random", seed)`` picks a support strategy at random each turn (``reference:random``).
* ``ReferencePolicy("oracle", seed)`` reads the profile's hidden need and answers it with the best
  strategy for that need, character and moment (``reference:oracle``); it never repeats a template.

Both are text policies (``token_exact = False``): they benchmark the simulator, they are not trained.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence
from typing import Literal

from rlver.errors import ConfigError
from rlver.policy.base import PolicyRequest
from rlver.profiles.schema import CharacterType, Profile
from rlver.simulator.offline.appraisal import expected_change
from rlver.simulator.offline.strategies import SUPPORT_STRATEGIES, Strategy
from rlver.simulator.offline.text import to_second_person

__all__ = ["LEADS", "TAILS", "ReferencePolicy", "compose_reply", "to_second_person"]

S = Strategy
LEADS: dict[Strategy, tuple[str, ...]] = {
    S.LISTENING: (
        "I'm here and I'm listening. Tell me more about {topic}.",
        "Go on, I want to hear all of it.",
        "Take your time, there's no rush. What else has been going on with {topic}?",
        "I'm with you. Keep going, say it however it comes out.",
        "You don't have to hold back with me. Let it out.",
        "So it sounds like {topic} has been piling up for a while. I'm listening.",
        "I hear you. Carry on, I'm not going anywhere.",
        "That's a lot to hold. Tell me the rest, I've got all the time you need.",
        "Mm, I'm following you. What happened then?",
        "Say as much as you want about {topic}, I'm right here.",
        "I'm not going to judge or try to fix it. Just talk, I'm listening.",
        "Keep going, I want to understand the whole story of {topic}.",
        "If I've got it right, nobody really stopped to hear your side. Go on, I'm listening.",
        "You can vent as much as you need to. I'm here.",
        "I'm all ears. What's the part of {topic} that's on your mind most right now?",
    ),
    S.REFLECT_FEELINGS: (
        "It sounds like you feel really {feeling} about {topic}, and that you've been carrying it alone.",
        "That sounds so painful. I can hear how much {topic} has hurt you.",
        "I imagine you feel {feeling} and let down at the same time, which is exhausting.",
        "It must feel lonely, dealing with {topic} when nobody seems to see how much it weighs on you.",
        "There's a lot of hurt under what you're saying, not just frustration.",
        "You sound worn out, like {topic} has been sitting on your chest for weeks.",
        "That must have stung, especially coming from people you care about.",
        "I can hear how {feeling} you are, and it makes complete sense that it's this heavy.",
        "It sounds like part of you is angry and part of you is just sad about {topic}.",
        "Being brushed aside like that would leave anyone feeling small and unseen.",
        "I can feel how much this matters to you, and how much it hurts.",
        "It sounds like {topic} has shaken something deep for you.",
        "That's such a heavy feeling to wake up with every day.",
        "You must feel so alone in this, holding it together while it hurts.",
    ),
    S.OPEN_QUESTION: (
        "What happened after that?",
        "How did {topic} start, if you don't mind me asking?",
        "What did {they} say when you brought it up?",
        "How long has {topic} been going on?",
        "What was the moment that hit you hardest?",
        "Where do things stand right now with {topic}?",
        "Who else knows about {topic} so far?",
        "What did you do when you found out?",
        "Can you tell me a bit more about how it all came about?",
        "What's been the hardest part of {topic} day to day?",
        "When did you first notice things changing?",
        "How are things between you and {them} at the moment?",
        "What exactly did {they} tell you?",
    ),
    S.ADVICE: (
        "One thing you could try is writing down the two or three things that matter most about {topic} and raising just those.",
        "Maybe pick a calm moment this week and ask {them} for twenty minutes to talk it through, with a clear plan in hand.",
        "A practical first step could be to list what you've already tried, so you can see what's left to try.",
        "You could send {them} a short message suggesting a specific time to talk, rather than waiting for the right moment.",
        "It might help to break {topic} into small steps and do just the first one tomorrow.",
        "Try setting one clear boundary, like saying no to the next extra request, and see how {they} respond.",
        "Why not ask someone neutral, a friend or a counsellor, to sit in when you talk to {them}?",
        "You could keep a short note of what happens each day, so you have facts to point to.",
        "Maybe propose a trial, two weeks of doing it differently, and then review it together.",
        "A good first move might be to get the details in writing before you decide anything.",
        "You could start by booking a proper conversation with {them} for the weekend, when nobody's rushed.",
        "It could help to plan exactly what you want to ask for, one concrete thing, and say just that.",
        "Try blocking out an hour on Sunday to sort out the next steps for {topic}, then leave it alone.",
        "Perhaps ask {them} what would work for them too, and look for one change you can both try this month.",
    ),
    S.OTHERS_PERSPECTIVE: (
        "I wonder if {they} acted that way because {they} were scared too, in their own way.",
        "From {their} side, maybe it felt like the only option they had at the time.",
        "Sometimes people go quiet or defensive when they feel guilty, not because they don't care.",
        "It's possible {they} didn't realise how much {topic} meant to you.",
        "Maybe {they} were under pressure you couldn't see, and it came out badly.",
        "People often cling to control when they're frightened of losing something, and that might be what happened.",
        "Perhaps {they} thought they were protecting you, even if it didn't feel like that.",
        "It could be that {they} felt left out or overlooked, and reacted to that.",
        "I suspect {they} have their own story about {topic}, and it might look quite different from inside.",
        "Some people handle their own worry by criticising others; that might say more about {them} than about you.",
        "Maybe {they} were embarrassed and didn't know how to back down.",
        "It's likely {they} were dealing with something they haven't told you about.",
    ),
    S.PRAISE: (
        "Honestly, the way you've handled {topic} shows a lot of strength.",
        "You've put so much care and effort into this, and it really shows.",
        "It took real courage to speak up the way you did.",
        "You kept going through {topic} when a lot of people would have given up, that's impressive.",
        "The patience you've shown with {them} is remarkable.",
        "You did a lot of the hard work yourself, and you did it well.",
        "I'm genuinely impressed by how thoughtfully you dealt with {topic}.",
        "You stayed calm and fair under a lot of pressure, that's not easy at all.",
        "You showed up again and again for the people around you, and that's admirable.",
        "That was a brave and smart choice, and you made it on your own.",
        "The effort you put into {topic} deserves real credit.",
        "You handled a really awkward situation with a lot of grace.",
    ),
    S.VALIDATION: (
        "You didn't do anything wrong here.",
        "Your reaction makes complete sense, anyone would have felt the same.",
        "It's not your fault. You were treated unfairly in {topic}.",
        "You had every right to be upset about {topic}.",
        "You're not overreacting at all, that really was out of line.",
        "Standing up for yourself was the right call.",
        "It was completely fair of you to say what you said.",
        "There's nothing for you to apologise for here.",
        "What {they} did was the problem, not what you did.",
        "Your feelings about {topic} are completely valid.",
        "You handled it as reasonably as anyone could have.",
        "You were right to trust yourself on this.",
    ),
    S.REFLECTION_PROMPT: (
        "When you look back at {topic}, is there anything you'd want to do differently next time?",
        "What do you think {topic} is teaching you about yourself?",
        "Have you noticed this kind of pattern somewhere else in your life?",
        "What part of this do you feel was in your hands?",
        "What do you think you were really needing in that moment?",
        "If a friend were in exactly your place, what would you tell them?",
        "What does {topic} tell you about what matters most to you?",
        "How would the person you want to be handle this next time?",
        "Where do you think your reaction comes from, when you trace it back?",
        "What small change in how you respond might make the biggest difference?",
        "What have you learned about your own limits through {topic}?",
        "Looking honestly at your own part, what stands out to you?",
    ),
    S.DIALECTICAL: (
        "On one hand, pushing back on {topic} protects what matters to you; on the other, it could cost you the relationship.",
        "There are real reasons on both sides here, so it might help to weigh them.",
        "Both options have a cost: staying put keeps things stable, but it might keep you stuck.",
        "It's not black and white. You have a point, and {they} have a logic of their own too.",
        "The upside is that you'd finally be heard; the downside is that things might get tense for a while.",
        "If you speak up, you risk a row, but if you don't, the resentment probably grows.",
        "Let's weigh it: what you gain by acting now against what you lose by waiting.",
        "Neither choice is clearly right; each one protects something different.",
        "It depends on what you value more here, peace in the short term or honesty in the long term.",
        "There's a real tension in {topic} between loyalty and looking after yourself.",
        "Saying yes solves today's problem, but it might create a bigger one later on.",
        "The case for letting it go is strong, but so is the case for raising it.",
    ),
    S.PLATITUDE: (
        "Everything happens for a reason.",
        "Time heals everything, you'll see.",
        "Just stay positive and it'll work out.",
        "Look on the bright side, it could be worse.",
        "Don't worry, it'll all be fine in the end.",
        "Chin up, tomorrow's a new day.",
        "What doesn't kill you makes you stronger.",
        "Life goes on, right?",
        "Every cloud has a silver lining.",
        "Try not to think about it too much.",
        "It'll all blow over soon enough.",
        "Good things come to those who wait.",
    ),
    S.SELF_DISCLOSURE: (
        "I went through something similar last year and it was awful.",
        "That reminds me of when I fell out with my brother, we didn't speak for months.",
        "I know exactly how that goes, my own family did something like that to me.",
        "When I had a boss like that, I used to dread Mondays.",
        "Honestly, I'm dealing with a lot of the same stuff myself right now.",
        "I remember feeling like that after I moved cities.",
        "My partner and I argue about that kind of thing all the time too.",
        "Personally, when that happens to me I just go for a long walk.",
        "I had a friend who did the same to me once, it took me ages to get over it.",
        "Same here, I've never been good at asking for help either.",
        "Last winter I had a month exactly like that.",
        "When my dad was ill I went through something a lot like this.",
    ),
    S.BLAME: (
        "To be honest, you probably should have said something sooner.",
        "Maybe you overreacted a little there.",
        "If you'd planned it better, this might not have happened.",
        "You have to admit you played a part in starting it.",
        "You shouldn't have let it get that far.",
        "Honestly, that sounds partly like your own doing.",
        "You could have avoided a lot of this by speaking up earlier.",
        "Maybe you were being a bit too sensitive about it.",
        "You really should have checked with {them} first.",
        "That wasn't the most mature way to handle it.",
    ),
}
"""Whole replies per strategy (slot-filled)."""

TAILS: dict[Strategy, tuple[str, ...]] = {
    S.LISTENING: ("I'm listening.", "Go on.", "Take your time.", "I'm here."),
    S.REFLECT_FEELINGS: (
        "That's a really heavy thing to carry.",
        "No wonder you feel so drained.",
        "Of course it hurts.",
    ),
    S.OPEN_QUESTION: ("How did that go?", "What happened next?", "How did you react?"),
    S.ADVICE: (
        "Even one small step this week would help.",
        "Start small and see what changes.",
        "Then check in with yourself after a week.",
    ),
    S.OTHERS_PERSPECTIVE: (
        "That doesn't make it okay, but it might explain it.",
        "People often act out of fear more than malice.",
    ),
    S.PRAISE: (
        "That's something to be proud of.",
        "Not many people would have managed that.",
        "Well done, really.",
    ),
    S.VALIDATION: ("You did nothing wrong.", "Your reaction was fair.", "Anyone would feel the same."),
    S.REFLECTION_PROMPT: ("What do you notice when you think about that?", "What would you do differently?"),
    S.DIALECTICAL: ("Both sides have a point.", "It really is a trade-off.", "Each path has a cost."),
    S.PLATITUDE: ("It is what it is.", "Keep smiling.", "Life's too short."),
    S.SELF_DISCLOSURE: ("Anyway, that's my story.", "I'm the same, honestly."),
    S.BLAME: ("You need to own that part.", "That part is on you, honestly."),
}
"""Optional second sentences per strategy."""

_FEELINGS = (
    "exhausted",
    "furious",
    "angry",
    "hurt",
    "sad",
    "lonely",
    "anxious",
    "scared",
    "ashamed",
    "guilty",
    "frustrated",
    "tired",
    "upset",
    "betrayed",
    "confused",
    "stuck",
    "overwhelmed",
    "invisible",
    "stressed",
)


def _feeling(last_user_message: str) -> str:
    text = last_user_message.lower()
    for word in _FEELINGS:
        if re.search(rf"\b{word}\b", text):
            return word
    return "overwhelmed"


def compose_reply(
    strategy: Strategy,
    *,
    topic: str | None,
    name: str | None,
    last_user_message: str,
    rng: random.Random,
) -> str:
    """One natural reply of ``strategy``.

    ``topic``: the person's own phrase for the event (first person; rewritten to the second person),
    ``None`` for a generic "all this". ``name``: the person's name, used now and then as an address.
    ``last_user_message``: their last message (a feeling word in it is reflected back).
    ``rng``: a local ``random.Random`` (never the global one), so corpora and rollouts are reproducible.
    """
    slots = {
        "topic": to_second_person(topic) if topic else "all this",
        "feeling": _feeling(last_user_message),
        "they": "they",
        "them": "them",
        "their": "their",
    }
    text = rng.choice(LEADS[strategy]).format(**slots)
    if rng.random() < 0.35:
        tail = rng.choice(TAILS[strategy]).format(**slots)
        if tail.lower() not in text.lower():
            text = f"{text} {tail}"
    if name and rng.random() < 0.2:
        first = text if re.match(r"I\b", text) else text[0].lower() + text[1:]
        text = f"{name.split()[0]}, {first}"
    return text


Mode = Literal["random", "oracle"]


class ReferencePolicy:
    """A scripted supporter: ``random`` strategies, or the ``oracle`` that reads the hidden need."""

    token_exact = False

    def __init__(self, mode: Mode = "oracle", seed: int = 0) -> None:
        if mode not in ("random", "oracle"):
            raise ConfigError(f"unknown reference policy mode {mode!r}; choose 'random' or 'oracle'")
        self.mode: Mode = mode
        self.seed = seed
        self.name = f"reference:{mode}"

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str]:
        return [self._reply(request) for request in requests]

    def _reply(self, request: PolicyRequest) -> str:
        profile = request.profile
        turn = 1 + sum(1 for m in request.messages if m.role == "assistant")
        digest = hashlib.sha256(f"{self.seed}\x1f{request.key}\x1f{turn}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if self.mode == "random" or profile is None:
            strategy = rng.choice(SUPPORT_STRATEGIES)
        else:
            strategy = self.oracle_strategy(profile, turn, reserved=False)
        topic = profile.topic if profile is not None else None
        name = profile.name if profile is not None else None
        earlier = [m.content for m in request.messages if m.role == "assistant"]
        return _fresh_reply(strategy, topic=topic, name=name, last_user=last_user, rng=rng, earlier=earlier)

    @staticmethod
    def oracle_strategy(profile: Profile, turn: int, *, reserved: bool = False) -> Strategy:
        """The support strategy with the highest expected change for this person at this turn."""
        if profile.need is None:
            from rlver.simulator.offline.agent import infer_need

            need = infer_need(profile.task)
        else:
            need = profile.need
        character = profile.character or CharacterType.PASSIVE
        return max(
            SUPPORT_STRATEGIES,
            key=lambda s: (
                expected_change(s, need, character, turn, reserved=reserved),
                -SUPPORT_STRATEGIES.index(s),
            ),
        )


def _fresh_reply(
    strategy: Strategy,
    *,
    topic: str | None,
    name: str | None,
    last_user: str,
    rng: random.Random,
    earlier: list[str],
) -> str:
    """A reply that shares its opening template with no earlier reply (bounded attempts)."""
    used = {_opening_words(text, name) for text in earlier}
    reply = ""
    for _ in range(12):
        reply = compose_reply(strategy, topic=topic, name=name, last_user_message=last_user, rng=rng)
        if _opening_words(reply, name) not in used:
            return reply
    return reply


def _opening_words(text: str, name: str | None) -> str:
    """The first words of a reply's template (a leading name address is skipped)."""
    if name and text.startswith(f"{name.split()[0]}, "):
        text = text[len(name.split()[0]) + 2 :]
    return " ".join(re.findall(r"[a-z']+", text.lower())[:5])
