"""The hand-written parts a built-in profile is composed from, and the template renderer.

Every text template is written in the third person about the simulated user. The user's own
pronouns are placeholders (``{sub}``, ``{obj}``, ``{pos}``, ``{poss}``, ``{refl}`` and capitalised
``{Sub}``, ``{Pos}``), so a template can be rendered for any persona without a pronoun slipping.
Pronouns of *other* people in a story are written as literal placeholders (``{she}``, ``{his}``...)
that render to themselves: a bare gendered pronoun in a template is therefore always a bug, and
``tests/test_builtin_profiles.py`` checks for it.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from rlver.profiles.schema import CharacterType, HiddenNeed

__all__ = [
    "BARE_PRONOUN",
    "CharacterSpec",
    "Gender",
    "LifeEvent",
    "NeedSpec",
    "Persona",
    "Pool",
    "make_event",
    "make_persona",
    "render",
    "template_fields",
]

Gender = Literal["f", "m"]
Pool = Literal["train", "test"]

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


@dataclass(frozen=True)
class Persona:
    """Who the simulated user is. Text fields are templates (see the module docstring)."""

    key: str
    """Stable identifier, e.g. ``"maya-okafor"``."""
    name: str
    """Full name ("Maya Okafor"); first names and surnames never repeat across the two pools."""
    age: int
    """Age in years; events declare the age range they fit."""
    gender: Gender
    """Selects the pronouns the templates render with."""
    city: str
    """Where the person lives."""
    role: str
    """Noun phrase with article: "a paediatric nurse on the children's ward at Southmead Hospital".
    Rendered "works as ..." for the employed, "is ..." otherwise, "worked as ..." after a job loss."""
    job: str
    """Short job noun without article ("nurse"), usable as ``{job}`` inside event templates."""
    workplace: str
    """Noun phrase with article ("the ward"), usable as ``{workplace}``; "" when not working."""
    home: str
    """Living situation, e.g. "lives with {pos} partner {partner} in a terraced house"."""
    hobbies: str
    habits: str
    style: str
    """Way of speaking: vocabulary, rhythm and verbal tics (attitude comes from the character type)."""
    tags: frozenset[str]
    """Life-stage tags events can require: employed, self_employed, student, retired, jobseeker,
    manager, desk, renter, partnered, single, widowed, parent, and what is known about the children:
    young_children, teen_children, grown_children, one_child, sons_only, daughters_only."""
    partner: str | None = None
    """Partner's first name when tagged ``partnered`` (the late spouse's when ``widowed``)."""
    partner_gender: Gender | None = None
    pool: Pool = "train"

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def surname(self) -> str:
        return self.name.split()[-1]


@dataclass(frozen=True)
class LifeEvent:
    """What happened to the person: the part of the scene that carries the story."""

    key: str
    """Stable identifier, e.g. ``"care-home-decision"``."""
    topic: str
    """First-person noun phrase usable inside a sentence ("the argument with my sister about ...")."""
    gist: str
    """First-person clause for a concrete opening line ("my sister moved Mum into a home")."""
    vague: str
    """First-person vague noun phrase for evasive openings ("stuff with my sister")."""
    story: str
    """Cause and timeline, with other people's names and dates relative to now."""
    feelings: str
    conflict: str
    """The main conflict."""
    tried: str
    """What the person has tried so far."""
    now: str
    """Current state."""
    angles: Mapping[HiddenNeed, str]
    """Need-specific framing of the hidden theme, one sentence per need the event can carry."""
    min_age: int = 18
    max_age: int = 90
    requires: frozenset[str] = frozenset()
    """Persona tags required (all of them), e.g. ``{"employed"}`` or ``{"parent", "partnered"}``."""
    excludes: frozenset[str] = frozenset()
    """Persona tags that rule the event out, e.g. ``{"daughters_only"}`` for a story about a son."""
    ends_job: bool = False
    """The event ends the person's job, so the persona text says "worked as" instead of "works as"."""
    pool: Pool = "train"

    def fits(self, persona: Persona) -> bool:
        """True when the persona's age and life stage make this event plausible."""
        return (
            self.min_age <= persona.age <= self.max_age
            and self.requires <= persona.tags
            and not (self.excludes & persona.tags)
        )


@dataclass(frozen=True)
class NeedSpec:
    """One hidden intention: how it is worded, hinted at, and what moves the person's emotion."""

    need: HiddenNeed
    task: str
    """Canonical wording of the intention (the start of ``Profile.task``)."""
    label: str
    """Short noun phrase ("a two-sided analysis"), used in the scene's hidden-theme line."""
    hint: str
    """How the person hints at the need without stating it."""
    raises: str
    """Kinds of reply that raise the person's emotion."""
    lowers: str
    """Kinds of reply that lower it."""
    cues: Mapping[CharacterType, tuple[str, ...]]
    """First-person sentences ending an opening line: a subtle cue, never the need itself."""


@dataclass(frozen=True)
class CharacterSpec:
    """One character type: trait pool, opening lines and reactions at each emotion level."""

    character: CharacterType
    traits: tuple[str, ...]
    """Pool the three sub-traits are drawn from."""
    openers: tuple[str, ...]
    """Opening-line templates using ``{gist}``, ``{Gist}`` or ``{vague}`` (first person)."""
    high: str
    normal: str
    low: str
    lowers: str
    """What lowers this kind of person's emotion whatever the need."""
    manner: str = field(default="")
    """One sentence on how this kind of person behaves in conversation."""


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


def make_persona(
    name: str,
    age: int,
    gender: Gender,
    city: str,
    *,
    role: str,
    job: str,
    workplace: str = "",
    home: str,
    hobbies: str,
    habits: str,
    style: str,
    tags: str,
    partner: str | None = None,
    pool: Pool = "train",
) -> Persona:
    """Compact constructor for the hand-written tables: ``tags`` is space-separated and
    ``partner`` is ``"Name/f"`` or ``"Name/m"``."""
    partner_name, partner_gender = partner.split("/") if partner else (None, None)
    if partner_gender not in (None, "f", "m"):
        raise ValueError(f"partner of {name!r} must be 'Name/f' or 'Name/m', got {partner!r}")
    key = re.sub(r"[^a-z]+", "-", name.lower()).strip("-")
    return Persona(
        key=key,
        name=name,
        age=age,
        gender=gender,
        city=city,
        role=role,
        job=job,
        workplace=workplace,
        home=home,
        hobbies=hobbies,
        habits=habits,
        style=style,
        tags=frozenset(tags.split()),
        partner=partner_name,
        partner_gender=partner_gender,  # type: ignore[arg-type]
        pool=pool,
    )


def make_event(
    key: str,
    *,
    topic: str,
    gist: str,
    vague: str,
    story: str,
    feelings: str,
    conflict: str,
    tried: str,
    now: str,
    angles: Mapping[HiddenNeed, str],
    requires: str = "",
    excludes: str = "",
    min_age: int = 18,
    max_age: int = 90,
    ends_job: bool = False,
    pool: Pool = "train",
) -> LifeEvent:
    """Compact constructor for the hand-written tables: ``requires`` is space-separated tags."""
    return LifeEvent(
        key=key,
        topic=topic,
        gist=gist,
        vague=vague,
        story=story,
        feelings=feelings,
        conflict=conflict,
        tried=tried,
        now=now,
        angles=dict(angles),
        min_age=min_age,
        max_age=max_age,
        requires=frozenset(requires.split()),
        excludes=frozenset(excludes.split()),
        ends_job=ends_job,
        pool=pool,
    )
