"""The pretraining corpus of the tiny base policy: supporter dialogues in the world of the training profiles.

The dialogues are produced by the real loop (:func:`rlver.rollout.run_dialogues`) between
:class:`CorpusSupporter` and the :class:`~rlver.simulator.offline.OfflineSentientAgent`, under the
presets used for training (``rlver``) and benchmarking (``sage``). The supporter behaves like
``ReferencePolicy("random")``: every turn it draws a support strategy uniformly from
``SUPPORT_STRATEGIES`` (the good ones and the bad ones: platitudes, self-disclosure...) and writes it
with the public :func:`rlver.policy.reference.compose_reply`; unlike the reference policy it records
its choice, so that a think block can announce the strategy the reply then uses.

Why uniform: the base model must write fluent English in the chat format but must *not* know which
strategy a person needs. The strategy is drawn independently of the context (it never reads the
hidden need), so a model fitted to this corpus assigns every strategy the same probability
whatever the person's cues say; all of the need -> strategy mapping is left for RL to discover.

Think dialogues (``think_fraction`` of them) carry ``<think>`` reasoning that guesses a need at
random, consistent with the reply's strategy, so ``--think`` works on the base model too.

Only training profiles are allowed: :func:`assert_training_profiles` refuses any profile that shares
an id, name, topic or opening line with the built-in test set.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

from rlver.errors import ConfigError
from rlver.llm.types import Message
from rlver.policy.base import PolicyRequest
from rlver.policy.prompts import system_prompt
from rlver.policy.reference import compose_reply
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.simulator.offline.strategies import SUPPORT_STRATEGIES, Strategy
from rlver.simulator.presets import get_preset

__all__ = [
    "CorpusConfig",
    "CorpusDialogue",
    "CorpusSupporter",
    "THINK_TEMPLATES",
    "assert_training_profiles",
    "build_corpus",
    "encode_dialogue",
    "think_text",
]

S = Strategy
THINK_TEMPLATES: dict[Strategy, tuple[str, ...]] = {
    S.LISTENING: (
        "{first} might just need to get this off their chest. I'll listen and let them talk.",
        "Maybe they want to vent. I won't fix anything, I'll just listen.",
        "I think {first} needs space to talk. I'll show I'm listening.",
    ),
    S.REFLECT_FEELINGS: (
        "{first} sounds hurt. Maybe they want their feelings understood, so I'll name them.",
        "I think they need deep empathy, not quick comfort. I'll reflect how they feel.",
        "The feeling matters most here. I'll put it into words for {first}.",
    ),
    S.OPEN_QUESTION: (
        "I don't know enough yet. I'll ask {first} what happened.",
        "Not sure what they need. A question about the details could help.",
        "I need more of the story before I say much. I'll ask.",
    ),
    S.ADVICE: (
        "{first} seems stuck. Maybe they want practical advice, so I'll suggest a next step.",
        "I think they want something concrete to do. I'll offer a practical idea.",
        "They might need a plan. I'll suggest one doable step.",
    ),
    S.OTHERS_PERSPECTIVE: (
        "{first} can't make sense of the others. I'll explain why they might have acted that way.",
        "Maybe they want to understand the other side. I'll offer their perspective.",
        "I think the puzzle is the other person's behaviour. I'll explain it.",
    ),
    S.PRAISE: (
        "{first} put in a lot of effort. Maybe they want it recognised, so I'll praise it.",
        "I think they want credit for what they did. I'll praise something specific.",
        "Nobody noticed their work. I'll tell {first} what they did well.",
    ),
    S.VALIDATION: (
        "{first} feels blamed. Maybe they want to hear they did nothing wrong.",
        "I think they want their reaction confirmed as fair. I'll reassure them.",
        "They believe they were in the right. I'll back them up.",
    ),
    S.REFLECTION_PROMPT: (
        "This might be a pattern for {first}. I'll invite them to reflect on their part.",
        "Maybe they want to grow from this. I'll ask a question about themselves.",
        "I think {first} could learn something here. I'll prompt some self-reflection.",
    ),
    S.DIALECTICAL: (
        "{first} is torn. Maybe they want both sides weighed, so I'll lay out the trade-off.",
        "I think they need a balanced view. I'll weigh the two sides.",
        "It's not simple for them. I'll set out the pros and cons.",
    ),
    S.PLATITUDE: (
        "I'll keep it light and reassuring.",
        "Maybe {first} just needs some cheering up. I'll say something hopeful.",
        "I don't want to dwell on it. A positive word should do.",
    ),
    S.SELF_DISCLOSURE: (
        "I'll share something similar from my own life so {first} feels less alone.",
        "Maybe it helps if I tell them about my own experience.",
        "I went through something like this. I'll mention it.",
    ),
}
"""Think blocks per strategy: a guess of the need (never read from the profile) that matches the strategy."""


def think_text(strategy: Strategy, name: str | None, rng: random.Random) -> str:
    """A short think block announcing ``strategy`` (``<think>`` tags not included)."""
    first = name.split()[0] if name else "They"
    return rng.choice(THINK_TEMPLATES[strategy]).format(first=first)


@dataclass(frozen=True)
class CorpusConfig:
    """How the corpus is produced."""

    presets: tuple[str, ...] = ("rlver", "sage")
    """Simulator presets to run (training's and the benchmark's: openings, cues and lengths differ)."""
    dialogues_per_profile: int = 3
    """Dialogues per profile and preset, each with its own simulator and supporter seed."""
    think_fraction: float = 0.4
    """Share of dialogues written in think-then-say format (the rest are plain)."""
    seed: int = 0
    """Seeds the supporter's strategy draws, the think choice and the simulator seeds."""
    max_concurrent: int = 128
    """Dialogues run at once (the simulator embeds their sentences together)."""

    def __post_init__(self) -> None:
        if not self.presets:
            raise ConfigError("corpus: presets must not be empty")
        for name in self.presets:
            get_preset(name)
        if self.dialogues_per_profile < 1:
            raise ConfigError(f"corpus: dialogues_per_profile must be >= 1, got {self.dialogues_per_profile}")
        if not 0 <= self.think_fraction <= 1:
            raise ConfigError(f"corpus: think_fraction must be in [0, 1], got {self.think_fraction}")


@dataclass(frozen=True)
class CorpusDialogue:
    """One corpus dialogue, ready to render with a chat template."""

    id: str
    profile_id: str
    preset: str
    think: bool
    messages: tuple[Message, ...]
    """System prompt, then the conversation; assistant contents include their think block."""
    strategies: tuple[str, ...]
    """The strategy of each assistant message, in order."""
    need: str | None = None
    """The profile's hidden need: kept for the independence check, never shown to the supporter."""

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "profile_id": self.profile_id,
            "preset": self.preset,
            "think": self.think,
            "messages": [m.to_dict() for m in self.messages],
            "strategies": list(self.strategies),
            "need": self.need,
        }


class CorpusSupporter:
    """Random-strategy supporter (as ``ReferencePolicy("random")``) that remembers each choice.

    It reads only the profile's ``topic`` and ``name`` (the reply composer's slots), never its need.
    """

    token_exact = False

    def __init__(self, *, think: bool, seed: int = 0) -> None:
        self.name = "corpus:random" + ("-think" if think else "")
        self.think = think
        self.seed = seed
        self.choices: dict[tuple[str, int], Strategy] = {}

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str]:
        return [self._reply(request) for request in requests]

    def _reply(self, request: PolicyRequest) -> str:
        turn = 1 + sum(1 for m in request.messages if m.role == "assistant")
        digest = hashlib.sha256(f"{self.seed}\x1f{request.key}\x1f{turn}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        strategy = rng.choice(SUPPORT_STRATEGIES)
        self.choices[(request.key, turn)] = strategy
        profile = request.profile
        topic = profile.topic if profile is not None else None
        name = profile.name if profile is not None else None
        last_user = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        earlier = {_opening(m.content) for m in request.messages if m.role == "assistant"}
        reply = ""
        for _ in range(12):  # bounded: a template not used earlier in this dialogue, when one is left
            reply = compose_reply(strategy, topic=topic, name=name, last_user_message=last_user, rng=rng)
            if _opening(reply) not in earlier:
                break
        if self.think:
            return f"<think>{think_text(strategy, name, rng)}</think>{reply}"
        return reply


_THINK_BLOCK = re.compile(r"^<think>.*?</think>", re.DOTALL)


def _opening(text: str) -> str:
    """First words of a reply without its think block or a leading name (the template's signature)."""
    text = _THINK_BLOCK.sub("", text)
    words = re.findall(r"[a-z']+", text.lower())
    if len(words) > 1 and text.split(",")[0].count(" ") == 0:
        words = words[1:]  # "Maya, that sounds ..." -> skip the address
    return " ".join(words[:5])


def _test_markers() -> tuple[set[str], set[str], set[str], set[str]]:
    from rlver.profiles.builtin import load_builtin

    test = load_builtin("test")
    return (
        {p.id for p in test},
        {p.name for p in test if p.name},
        {p.topic for p in test if p.topic},
        {p.first_talk for p in test if p.first_talk},
    )


def assert_training_profiles(profiles: Sequence[Profile]) -> None:
    """Refuse any profile of (or sharing a name, topic or opening with) the built-in test set.

    The benchmark measures generalisation to unseen people and events; a base model that saw them
    in pretraining would make that measurement meaningless.
    """
    ids, names, topics, openings = _test_markers()
    for profile in profiles:
        clash = (
            "id" if profile.id in ids
            else "name" if profile.name in names
            else "topic" if profile.topic in topics
            else "first_talk" if profile.first_talk in openings
            else None
        )
        if clash is not None:
            raise ConfigError(
                f"profile {profile.id!r} shares its {clash} with the built-in test set; "
                "the tiny policy's corpus may only use training profiles"
            )


@dataclass
class _Run:
    think: bool
    jobs: list[DialogueJob] = field(default_factory=list)


def _is_think(config: CorpusConfig, profile: Profile, preset: str, index: int) -> bool:
    digest = hashlib.sha256(f"{config.seed}\x1fthink\x1f{profile.id}\x1f{preset}\x1f{index}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < config.think_fraction


def build_corpus(
    profiles: Sequence[Profile],
    config: CorpusConfig = CorpusConfig(),
    *,
    simulator: UserSimulator | None = None,
    on_episode: Callable[[Episode], None] | None = None,
) -> list[CorpusDialogue]:
    """Run the corpus dialogues (deterministic for a given config and profiles)."""
    assert_training_profiles(profiles)
    if simulator is None:
        from rlver.simulator.offline import OfflineSentientAgent

        simulator = OfflineSentientAgent()
    by_id = {p.id: p for p in profiles}
    dialogues: list[CorpusDialogue] = []
    for preset_name in config.presets:
        preset = get_preset(preset_name)
        runs = {False: _Run(False), True: _Run(True)}
        for profile in profiles:
            for index in range(config.dialogues_per_profile):
                seed = int.from_bytes(
                    hashlib.sha256(f"{config.seed}\x1fsim\x1f{profile.id}\x1f{preset_name}\x1f{index}".encode()).digest()[:4],
                    "big",
                )
                think = _is_think(config, profile, preset_name, index)
                runs[think].jobs.append(
                    DialogueJob(profile, seed=seed, group=index, id=f"{preset_name}-{profile.id}-{index}")
                )
        for run in runs.values():
            if not run.jobs:
                continue
            supporter = CorpusSupporter(think=run.think, seed=config.seed)
            rollout = RolloutConfig(preset=preset, think=run.think, max_concurrent=config.max_concurrent)
            episodes = asyncio.run(run_dialogues(run.jobs, supporter, simulator, rollout, on_episode=on_episode))
            for episode in episodes:
                if episode.error is not None:
                    raise RuntimeError(f"corpus dialogue {episode.id} failed: {episode.error}")
                dialogues.append(_dialogue(episode, by_id[episode.profile_id], run.think, supporter))
    return dialogues


def _dialogue(episode: Episode, profile: Profile, think: bool, supporter: CorpusSupporter) -> CorpusDialogue:
    messages = [Message("system", system_prompt(profile.language, think=think))]
    strategies = []
    turn = 0
    for item in episode.turns:
        if item.role == "assistant":
            turn += 1
            messages.append(Message("assistant", item.raw if item.raw is not None else item.text))
            strategies.append(supporter.choices[(episode.id, turn)].value)
        else:
            messages.append(Message("user", item.text))
    return CorpusDialogue(
        id=episode.id,
        profile_id=profile.id,
        preset=episode.preset,
        think=think,
        messages=tuple(messages),
        strategies=tuple(strategies),
        need=profile.need.value if profile.need else None,
    )


def encode_dialogue(tokenizer, dialogue: CorpusDialogue) -> tuple[list[int], list[int]]:
    """Token ids of a dialogue exactly as :class:`~rlver.policy.hf.HFPolicy` builds a trace, and its mask.

    Turn 1 is the template's render up to the generation prompt, each reply is its tokens plus the
    end-of-turn token, each later user turn is the template's delta; ``mask`` is 1 on reply tokens
    and their end-of-turn token (what the policy samples at RL time), 0 elsewhere.
    """
    from rlver.policy.hf import render_ids, turn_delta_ids

    eos = int(tokenizer.eos_token_id)
    ids: list[int] = []
    mask: list[int] = []
    messages = list(dialogue.messages)
    for index, message in enumerate(messages):
        if message.role != "assistant":
            continue
        history = messages[:index]
        if not ids:
            prompt = render_ids(tokenizer, history, generation_prompt=True)
        else:
            prompt = turn_delta_ids(tokenizer, history, {eos})
        reply = tokenizer(message.content, add_special_tokens=False)["input_ids"] + [eos]
        ids += prompt + reply
        mask += [0] * len(prompt) + [1] * len(reply)
    if messages and messages[-1].role == "user" and ids:
        # The person's last message (often a goodbye): context only, never a reply to learn.
        tail = turn_delta_ids(tokenizer, messages, {eos})
        ids += tail
        mask += [0] * len(tail)
    return ids, mask
