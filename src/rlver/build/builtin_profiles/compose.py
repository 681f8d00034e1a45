"""Compose the built-in profile sets from the hand-written parts, deterministically.

Assignment: the cells (hidden need x character type) are visited round-robin, so every prefix of
24k profiles is exactly balanced. For each slot the least-used event that can carry the need is
picked, then the least-used persona the event fits (age, life stage, family; see
``LifeEvent.fits``), never repeating a (persona, event) pair and never pairing a persona with an
event whose story names someone with the persona's or partner's first name. Ties are broken by a
seeded ``random.Random``, so the same seed always yields byte-identical JSONL.

:func:`parts_of` goes the other way: from a built-in profile back to the parts it was made of (the
tests use it to check coherence).
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rlver.build.builtin_profiles.parts import (
    CharacterSpec,
    LifeEvent,
    NeedSpec,
    Parts,
    Persona,
    Pool,
    load_parts,
)
from rlver.errors import ProfileError
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.utils.io import atomic_write_text

__all__ = [
    "BARE_PRONOUN",
    "SET_SPECS",
    "ProfileParts",
    "SetSpec",
    "Slot",
    "assign",
    "build_set",
    "compose_profile",
    "parts_of",
    "render",
    "template_fields",
    "to_jsonl",
    "write_jsonl",
]

# --- rendering templates ----------------------------------------------------------------------

_PRONOUNS: dict[str, dict[str, str]] = {
    "f": {"sub": "she", "obj": "her", "pos": "her", "poss": "hers", "refl": "herself"},
    "m": {"sub": "he", "obj": "him", "pos": "his", "poss": "his", "refl": "himself"},
}
# Other people's pronouns, written as placeholders so bare pronouns can be linted away.
_LITERAL_PRONOUNS = ("she", "he", "her", "him", "his", "hers", "herself", "himself")
_LITERALS = {word: word for word in _LITERAL_PRONOUNS}
_LITERALS |= {word.capitalize(): word.capitalize() for word in _LITERAL_PRONOUNS}

BARE_PRONOUN = re.compile(r"\b(she|he|her|him|his|hers|herself|himself)\b", re.IGNORECASE)
"""Matches a gendered pronoun; templates must contain none outside ``{...}`` placeholders."""


def template_fields(template: str) -> set[str]:
    """Names of the ``{placeholders}`` used in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(template: str, persona: Persona, **extra: str) -> str:
    """Fill a template for ``persona``; an unknown placeholder raises ``KeyError`` naming it."""
    pronouns = _PRONOUNS[persona.gender]
    values: dict[str, str] = dict(_LITERALS)
    values.update(pronouns)
    values.update({key.capitalize(): value.capitalize() for key, value in pronouns.items()})
    values.update(
        name=persona.first_name,
        full_name=persona.name,
        age=str(persona.age),
        city=persona.city,
        job=persona.job,
        workplace=persona.workplace,
    )
    if persona.partner is not None and persona.partner_gender is not None:
        partner_pronouns = _PRONOUNS[persona.partner_gender]
        values.update(partner=persona.partner)
        values.update({f"p_{key}": value for key, value in partner_pronouns.items()})
    values.update(extra)
    missing = template_fields(template) - values.keys()
    if missing:
        raise KeyError(f"placeholder(s) {sorted(missing)} unknown for persona {persona.key!r}: {template!r}")
    return template.format_map(values)


# --- composing the sets -------------------------------------------------------------------------


@dataclass(frozen=True)
class SetSpec:
    """How one built-in set is built."""

    name: Pool
    """Set name; also the persona and event pool it draws from."""
    per_cell: int
    """Profiles per (hidden need, character type) cell: 24 cells in all."""
    seed: int
    """Seed of the tie-breaking RNG; changing it reshuffles every pairing."""

    @property
    def size(self) -> int:
        return self.per_cell * len(HiddenNeed) * len(CharacterType)


SET_SPECS: dict[str, SetSpec] = {
    "train": SetSpec(name="train", per_cell=13, seed=20250703),
    "test": SetSpec(name="test", per_cell=3, seed=20250704),
}


@dataclass(frozen=True)
class Slot:
    """One profile's choice of parts, before rendering."""

    persona: Persona
    """Who the simulated user is."""
    event: LifeEvent
    """What happened to them."""
    need: NeedSpec
    """The hidden need of this profile's cell."""
    character: CharacterSpec
    """The character type of this profile's cell."""
    traits: tuple[str, str, str]
    """Three sub-traits drawn from the character type's pool."""
    opener: str
    """Opening-line template of the character type (``{gist}`` or ``{vague}`` still unfilled)."""
    cue: str
    """The need's cue in this character type's voice; it ends the opening line."""


def _event_text(event: LifeEvent) -> str:
    fields = (event.topic, event.gist, event.story, event.feelings, event.conflict, event.tried, event.now)
    return " ".join((*fields, *event.angles.values()))


def _name_clash(persona: Persona, event: LifeEvent) -> bool:
    """True when the story names someone who shares the persona's (or partner's) first name."""
    text = _event_text(event)
    names = [persona.first_name] + ([persona.partner] if persona.partner else [])
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def assign(parts: Parts, pool: Pool, per_cell: int, seed: int) -> list[Slot]:
    """Choose parts from ``pool`` for ``per_cell`` profiles in each of the 24 cells (see the module doc)."""
    personas, events = parts.personas[pool], parts.events[pool]
    rng = random.Random(seed)
    # Which personas each event could ever fit is static: compute it once, not per slot.
    fitting = {e.key: [p for p in personas if e.fits(p) and not _name_clash(p, e)] for e in events}
    event_uses: Counter[str] = Counter()
    event_char: Counter[tuple[str, CharacterType]] = Counter()
    persona_uses: Counter[str] = Counter()
    persona_need: Counter[tuple[str, HiddenNeed]] = Counter()
    persona_char: Counter[tuple[str, CharacterType]] = Counter()
    pairs: set[tuple[str, str]] = set()
    slots: list[Slot] = []

    def free_personas(event: LifeEvent) -> list[Persona]:
        return [p for p in fitting[event.key] if (p.key, event.key) not in pairs]

    for _ in range(per_cell):
        for need in HiddenNeed:
            for character in CharacterType:
                candidates = [e for e in events if need in e.angles and free_personas(e)]
                if not candidates:
                    raise ProfileError(f"no event left to carry need {need.value!r} with a free persona")
                ties = [rng.random() for _ in candidates]
                event = min(
                    zip(candidates, ties),
                    key=lambda et: (event_uses[et[0].key], event_char[(et[0].key, character)], et[1]),
                )[0]
                people = free_personas(event)
                ties = [rng.random() for _ in people]
                persona = min(
                    zip(people, ties),
                    key=lambda pt: (
                        persona_uses[pt[0].key],
                        persona_need[(pt[0].key, need)],
                        persona_char[(pt[0].key, character)],
                        pt[1],
                    ),
                )[0]
                spec, need_spec = parts.characters[character], parts.needs[need]
                traits = tuple(rng.sample(spec.traits, 3))
                opener = rng.choice(spec.openers)
                cue = rng.choice(need_spec.cues[character])
                event_uses[event.key] += 1
                event_char[(event.key, character)] += 1
                persona_uses[persona.key] += 1
                persona_need[(persona.key, need)] += 1
                persona_char[(persona.key, character)] += 1
                pairs.add((persona.key, event.key))
                slot = Slot(persona, event, need_spec, spec, traits, opener, cue)  # type: ignore[arg-type]
                slots.append(slot)
    return slots


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _persona_text(persona: Persona, event: LifeEvent, spec: CharacterSpec, traits: Sequence[str]) -> str:
    if event.ends_job:
        work = "Until recently {sub} worked as " + persona.role + "."
    elif "employed" in persona.tags:
        work = "{Sub} works as " + persona.role + "."
    else:
        work = "{Sub} is " + persona.role + "."
    woman_or_man = "woman" if persona.gender == "f" else "man"
    template = (
        f"{{full_name}} is a {{age}}-year-old {woman_or_man} from {{city}} who {persona.home}. {work} "
        f"Hobbies: {persona.hobbies}. Habits and behaviour: {persona.habits}. "
        f"Speaking style: {persona.style}. "
        f"Character: {traits[0]}, {traits[1]} and {traits[2]}; {spec.manner}."
    )
    return render(template, persona)


def _scene_text(persona: Persona, event: LifeEvent, need: NeedSpec, spec: CharacterSpec) -> str:
    # Protocol doc §2: event, feelings, conflict, attempts, current state, reactions by emotion level,
    # what raises / lowers emotion, and the hidden theme last.
    lines = (
        f"What happened: {event.story}",
        f"Feelings: {event.feelings}",
        f"Main conflict: {event.conflict}",
        f"Tried so far: {event.tried}",
        f"Now: {event.now}",
        f"Reactions: {spec.high} {spec.normal} {spec.low}",
        f"Raises {{pos}} emotion: {need.raises}. Lowers it: {need.lowers}; {spec.lowers}.",
        f"Hints: {need.hint}",
        f"Hidden theme ({need.label}): {event.angles[need.need]}",
    )
    return render("\n".join(lines), persona)


def compose_profile(slot: Slot, profile_id: str) -> Profile:
    """Render one slot into a ``Profile``."""
    persona, event, need, spec = slot.persona, slot.event, slot.need, slot.character
    gist = render(event.gist, persona)
    vague = render(event.vague, persona)
    opening = slot.opener.format(gist=gist, Gist=_capitalise(gist), vague=vague, Vague=_capitalise(vague))
    return Profile(
        id=profile_id,
        persona=_persona_text(persona, event, spec, slot.traits),
        scene=_scene_text(persona, event, need, spec),
        task=render(f"{need.task} {event.angles[need.need]}", persona),
        character=spec.character,
        traits=slot.traits,
        need=need.need,
        first_talk=f"{opening} {slot.cue}",
        topic=render(event.topic, persona),
        language="en",
        name=persona.name,
    )


def build_set(name: str, parts: Parts | None = None) -> list[Profile]:
    """Compose the built-in set ``name`` ("train" or "test"); ``parts`` defaults to the shipped files."""
    if name not in SET_SPECS:
        raise ProfileError(f"unknown built-in set {name!r}; valid names: {', '.join(SET_SPECS)}")
    spec = SET_SPECS[name]
    slots = assign(parts or load_parts(), spec.name, spec.per_cell, spec.seed)
    return [compose_profile(slot, f"en-{name}-{i:04d}") for i, slot in enumerate(slots, start=1)]


def to_jsonl(profiles: Sequence[Profile]) -> str:
    """One JSON object a line, keys in schema order, ``None`` fields left out, UTF-8 as is."""
    lines = (json.dumps(p.model_dump(mode="json", exclude_none=True), ensure_ascii=False) for p in profiles)
    return "".join(line + "\n" for line in lines)


def write_jsonl(profiles: Sequence[Profile], path: Path) -> None:
    """Replace ``path`` with :func:`to_jsonl` of ``profiles`` atomically (a reader never sees half)."""
    atomic_write_text(path, to_jsonl(profiles))


# --- from a profile back to its parts ----------------------------------------------------------


@dataclass(frozen=True)
class ProfileParts:
    """The hand-written parts one built-in profile was composed from."""

    persona: Persona
    """Who the simulated user is."""
    event: LifeEvent
    """What happened to them."""
    need: NeedSpec
    """The profile's hidden need."""
    character: CharacterSpec
    """The profile's character type."""

    def text(self, template: str) -> str:
        """Render any part template (e.g. ``self.need.raises``) for this profile's persona."""
        return render(template, self.persona)


def parts_of(profile: Profile, parts: Parts | None = None) -> ProfileParts:
    """Recover the parts behind a built-in profile from its ``name``, ``topic``, ``need``, ``character``.

    The ``Profile`` schema forbids extra fields, so the parts are found from fields every built-in
    profile carries: ``name`` identifies the persona (full names are unique across both pools, which
    :func:`load_parts` enforces) and the rendered ``topic`` the life event. Raises
    :class:`ProfileError` for a profile that was not composed from the built-in parts.
    """
    parts = parts or load_parts()
    persona = next((p for pool in parts.personas.values() for p in pool if p.name == profile.name), None)
    if persona is None or profile.need is None or profile.character is None:
        raise ProfileError(f"profile {profile.id!r} is not a built-in profile (name {profile.name!r})")
    for event in parts.events[persona.pool]:
        if event.fits(persona) and render(event.topic, persona) == profile.topic:
            need, character = parts.needs[profile.need], parts.characters[profile.character]
            return ProfileParts(persona, event, need, character)
    raise ProfileError(f"profile {profile.id!r}: topic {profile.topic!r} matches no built-in event")
