"""The part pools, and structured access to the parts behind any built-in profile.

The ``Profile`` schema forbids extra fields, so the parts are recovered from fields every built-in
profile carries: ``name`` identifies the persona (full names are unique across both pools),
``topic`` the life event, ``need`` and ``character`` their specs. The offline simulator and the
tiny-model corpus use :func:`parts_of` to get, for example, what raises or lowers a person's
emotion or the people named in the story, without parsing the scene text.
"""

from __future__ import annotations

from dataclasses import dataclass

from rlver.errors import ProfileError
from rlver.profiles.builtin._types import CharacterSpec, LifeEvent, NeedSpec, Persona, Pool, render
from rlver.profiles.builtin.characters import CHARACTERS
from rlver.profiles.builtin.events_family import FAMILY_EVENTS
from rlver.profiles.builtin.events_life import LIFE_EVENTS
from rlver.profiles.builtin.events_social import SOCIAL_EVENTS
from rlver.profiles.builtin.events_test_people import TEST_PEOPLE_EVENTS
from rlver.profiles.builtin.events_test_work import TEST_WORK_EVENTS
from rlver.profiles.builtin.events_work import WORK_EVENTS
from rlver.profiles.builtin.needs import NEEDS
from rlver.profiles.builtin.personas_test import TEST_PERSONAS
from rlver.profiles.builtin.personas_train_older import OLDER_TRAIN_PERSONAS
from rlver.profiles.builtin.personas_train_young import YOUNGER_TRAIN_PERSONAS
from rlver.profiles.schema import Profile

__all__ = [
    "CHARACTERS",
    "EVENTS",
    "NEEDS",
    "PERSONAS",
    "TEST_EVENTS",
    "TEST_PERSONAS",
    "TRAIN_EVENTS",
    "TRAIN_PERSONAS",
    "ProfileParts",
    "parts_of",
]

TRAIN_EVENTS: tuple[LifeEvent, ...] = WORK_EVENTS + FAMILY_EVENTS + SOCIAL_EVENTS + LIFE_EVENTS
TEST_EVENTS: tuple[LifeEvent, ...] = TEST_WORK_EVENTS + TEST_PEOPLE_EVENTS
TRAIN_PERSONAS: tuple[Persona, ...] = YOUNGER_TRAIN_PERSONAS + OLDER_TRAIN_PERSONAS

PERSONAS: dict[Pool, tuple[Persona, ...]] = {"train": TRAIN_PERSONAS, "test": TEST_PERSONAS}
"""Persona pool of each built-in set; the two pools share no name."""
EVENTS: dict[Pool, tuple[LifeEvent, ...]] = {"train": TRAIN_EVENTS, "test": TEST_EVENTS}
"""Life-event pool of each built-in set; the two pools share no event."""

_PERSONA_BY_NAME: dict[str, Persona] = {p.name: p for pool in PERSONAS.values() for p in pool}


@dataclass(frozen=True)
class ProfileParts:
    """The hand-written parts one built-in profile was composed from."""

    persona: Persona
    event: LifeEvent
    need: NeedSpec
    character: CharacterSpec

    def text(self, template: str) -> str:
        """Render any part template (e.g. ``self.need.raises``) for this profile's persona."""
        return render(template, self.persona)


def parts_of(profile: Profile) -> ProfileParts:
    """Recover the parts behind a built-in profile from its ``name``, ``topic``, ``need``, ``character``.

    Raises :class:`ProfileError` for a profile that was not composed from the built-in parts.
    """
    persona = _PERSONA_BY_NAME.get(profile.name or "")
    if persona is None or profile.need is None or profile.character is None:
        raise ProfileError(f"profile {profile.id!r} is not a built-in profile (name {profile.name!r})")
    for event in EVENTS[persona.pool]:
        if event.fits(persona) and render(event.topic, persona) == profile.topic:
            return ProfileParts(persona, event, NEEDS[profile.need], CHARACTERS[profile.character])
    raise ProfileError(f"profile {profile.id!r}: topic {profile.topic!r} matches no built-in event")
