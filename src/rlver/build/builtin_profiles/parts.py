"""The hand-written parts of the built-in profiles: pydantic models and the YAML files they come from.

The text lives in ``parts/*.yaml`` beside this module (personas, life events, the eight hidden
needs, the three character types) and is validated against the models below when read; a bad file
raises :class:`ProfileError` naming the file and the entry. :func:`load_parts` reads them all.

Every text field is a template written in the third person about the simulated user. The user's
own pronouns are placeholders (``{sub}``, ``{obj}``, ``{pos}``, ``{poss}``, ``{refl}`` and
capitalised ``{Sub}``, ``{Pos}``), so a template renders for any persona without a pronoun
slipping. Pronouns of *other* people in a story are literal placeholders (``{she}``, ``{his}``...)
that render to themselves (see :func:`rlver.build.builtin_profiles.compose.render`): a bare
gendered pronoun in a template is therefore always a bug, and ``tests/test_builtin_profiles.py``
checks for it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from enum import Enum
from functools import cache, cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from rlver.errors import ProfileError
from rlver.profiles.schema import CharacterType, HiddenNeed
from rlver.utils.io import YAML_VALUE_ERRORS, yaml_mark_line, yaml_value_error_line

__all__ = [
    "EVENT_FILES",
    "PARTS_DIR",
    "PERSONA_FILES",
    "CharacterSpec",
    "Gender",
    "LifeEvent",
    "NeedSpec",
    "Parts",
    "Persona",
    "Pool",
    "load_parts",
]

Gender = Literal["f", "m"]
Pool = Literal["train", "test"]

_KEY = r"^[a-z0-9]+(-[a-z0-9]+)*$"


class _Part(BaseModel):
    # Parts are read from hand-edited files: a misspelt field must fail, not vanish.
    model_config = ConfigDict(frozen=True, extra="forbid")


class Persona(_Part):
    """Who the simulated user is. Text fields are templates (see the module docstring)."""

    name: str = Field(pattern=r"^\S+( \S+)+$")
    """Full name ("Maya Okafor"); first names and surnames never repeat across the two pools."""
    age: int = Field(ge=16, le=100)
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
    workplace: str = ""
    """Noun phrase with article ("the ward"), usable as ``{workplace}``; "" when not working."""
    home: str
    """Living situation, e.g. "lives with {pos} partner {partner} in a terraced house"."""
    partner: str | None = None
    """Partner's first name when tagged ``partnered`` (the late spouse's when ``widowed``)."""
    partner_gender: Gender | None = None
    """Selects the partner's pronouns (``{p_sub}``, ``{p_obj}``...); set exactly when ``partner`` is."""
    hobbies: str
    """Comma-separated pastimes, rendered after "Hobbies:"."""
    habits: str
    """Comma-separated routines, rendered after "Habits and behaviour:"."""
    style: str
    """Way of speaking: vocabulary, rhythm and verbal tics (attitude comes from the character type)."""
    tags: frozenset[str]
    """Life-stage tags events can require: employed, self_employed, student, retired, jobseeker,
    manager, desk, renter, partnered, single, widowed, parent, and what is known about the children:
    young_children, teen_children, grown_children, one_child, sons_only, daughters_only."""
    pool: Pool
    """The set this persona belongs to; taken from the file's ``pool``, never written per entry."""

    @model_validator(mode="after")
    def _partner_has_a_gender(self) -> Persona:
        if (self.partner is None) != (self.partner_gender is None):
            raise ValueError("set both partner and partner_gender, or neither")
        return self

    @cached_property  # the composition looks it up hundreds of thousands of times
    def key(self) -> str:
        """Stable identifier derived from the name: "Maya Okafor" -> ``"maya-okafor"``."""
        return re.sub(r"[^a-z]+", "-", self.name.lower()).strip("-")

    @property
    def first_name(self) -> str:
        """``{name}`` in templates; unique across both pools."""
        return self.name.split()[0]

    @property
    def surname(self) -> str:
        """Last word of the name; never shared between the train and test pools."""
        return self.name.split()[-1]


class LifeEvent(_Part):
    """What happened to the person: the part of the scene that carries the story."""

    key: str = Field(pattern=_KEY)
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
    """How the person feels about it, rendered after "Feelings:"."""
    conflict: str
    """The main conflict."""
    tried: str
    """What the person has tried so far."""
    now: str
    """Current state."""
    angles: dict[HiddenNeed, str] = Field(min_length=1)
    """Need-specific framing of the hidden theme, one sentence per need the event can carry."""
    requires: frozenset[str] = frozenset()
    """Persona tags required (all of them), e.g. ``[employed]`` or ``[parent, partnered]``."""
    excludes: frozenset[str] = frozenset()
    """Persona tags that rule the event out, e.g. ``[daughters_only]`` for a story about a son."""
    min_age: int = 18
    """Youngest persona age the story fits."""
    max_age: int = 90
    """Oldest persona age the story fits."""
    ends_job: bool = False
    """The event ends the person's job, so the persona text says "worked as" instead of "works as"."""
    pool: Pool
    """The set this event belongs to; taken from the file's ``pool``, never written per entry."""

    @model_validator(mode="after")
    def _ages_and_tags_agree(self) -> LifeEvent:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        if self.requires & self.excludes:
            raise ValueError(f"tags both required and excluded: {sorted(self.requires & self.excludes)}")
        return self

    def fits(self, persona: Persona) -> bool:
        """True when the persona's age and life stage make this event plausible."""
        return (
            self.min_age <= persona.age <= self.max_age
            and self.requires <= persona.tags
            and not (self.excludes & persona.tags)
        )


class NeedSpec(_Part):
    """One hidden intention: how it is worded, hinted at, and what moves the person's emotion."""

    need: HiddenNeed
    """Which of the eight needs this is."""
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
    cues: dict[CharacterType, tuple[str, ...]]
    """First-person sentences ending an opening line: a subtle cue, never the need itself."""

    @model_validator(mode="after")
    def _a_cue_for_every_character(self) -> NeedSpec:
        missing = [c.value for c in CharacterType if not self.cues.get(c)]
        if missing:
            raise ValueError(f"cues missing for character type(s) {missing}")
        return self


class CharacterSpec(_Part):
    """One character type: trait pool, opening lines and reactions at each emotion level."""

    character: CharacterType
    """Which of the three character types this is."""
    traits: tuple[str, ...] = Field(min_length=3)
    """Pool the three sub-traits are drawn from."""
    openers: tuple[str, ...] = Field(min_length=1)
    """Opening-line templates using ``{gist}``, ``{Gist}`` or ``{vague}`` (first person)."""
    high: str
    """Reaction at high emotion ("High emotion: ...")."""
    normal: str
    """Reaction at normal emotion ("Normal: ...")."""
    low: str
    """Reaction at low emotion ("Low: ...")."""
    lowers: str
    """What lowers this kind of person's emotion whatever the need."""
    manner: str
    """One clause on how this kind of person behaves in conversation."""


# --- the files ----------------------------------------------------------------------------------

PARTS_DIR = Path(__file__).resolve().parent / "parts"
"""Folder of the shipped part files."""

PERSONA_FILES: tuple[str, ...] = ("personas_train_young", "personas_train_older", "personas_test")
"""Persona files (stems) in composition order; each file's ``pool`` says which set it feeds."""
EVENT_FILES: tuple[str, ...] = (
    "events_work",
    "events_family",
    "events_social",
    "events_life",
    "events_test_work",
    "events_test_people",
)
"""Life-event files (stems) in composition order. The order is part of the seeded assignment:
reordering files or entries reshuffles the pairings, so the shipped JSONL would change."""
_NEEDS_FILE, _CHARACTERS_FILE = "needs", "characters"


class _PoolFile(_Part):
    """A file of personas or events; its entries inherit its ``pool``."""

    entries_field: ClassVar[str]
    pool: Pool
    """The built-in set every entry of the file belongs to."""

    @model_validator(mode="before")
    @classmethod
    def _pool_into_entries(cls, data: Any) -> Any:
        # The pool is written once per file, so a part cannot sit in a test file yet count as train.
        if not isinstance(data, dict) or not isinstance(data.get(cls.entries_field), list):
            return data
        entries = data[cls.entries_field]
        for i, entry in enumerate(entries):
            if isinstance(entry, dict) and "pool" in entry:
                raise ValueError(f"{cls.entries_field}[{i}] sets its own pool; set it once, at the top")
        with_pool = [{**e, "pool": data.get("pool")} if isinstance(e, dict) else e for e in entries]
        return {**data, cls.entries_field: with_pool}


class _PersonaFile(_PoolFile):
    entries_field = "personas"
    personas: tuple[Persona, ...] = Field(min_length=1)
    """The personas, in composition order."""


class _EventFile(_PoolFile):
    entries_field = "events"
    events: tuple[LifeEvent, ...] = Field(min_length=1)
    """The life events, in composition order."""


class _NeedFile(_Part):
    needs: tuple[NeedSpec, ...]
    """One spec for each of the eight hidden needs."""


class _CharacterFile(_Part):
    characters: tuple[CharacterSpec, ...]
    """One spec for each of the three character types."""


@dataclass(frozen=True)
class Parts:
    """Every hand-written part, grouped the way the composition uses them."""

    personas: dict[Pool, tuple[Persona, ...]]
    """Persona pool of each built-in set; the two pools share no name."""
    events: dict[Pool, tuple[LifeEvent, ...]]
    """Life-event pool of each built-in set; the two pools share no event."""
    needs: dict[HiddenNeed, NeedSpec]
    """The eight hidden needs."""
    characters: dict[CharacterType, CharacterSpec]
    """The three character types."""


@cache
def load_parts(parts_dir: Path = PARTS_DIR) -> Parts:
    """Read and validate every part file in ``parts_dir``; a problem raises :class:`ProfileError`."""
    listed = {*PERSONA_FILES, *EVENT_FILES, _NEEDS_FILE, _CHARACTERS_FILE}
    unlisted = sorted(p.name for p in parts_dir.glob("*.yaml") if p.stem not in listed)
    if unlisted:
        raise ProfileError(f"{parts_dir}: {unlisted} not read; list them in PERSONA_FILES or EVENT_FILES")
    personas: dict[Pool, tuple[Persona, ...]] = {"train": (), "test": ()}
    events: dict[Pool, tuple[LifeEvent, ...]] = {"train": (), "test": ()}
    persona_seen: dict[str, Path] = {}
    event_seen: dict[str, Path] = {}
    for stem in PERSONA_FILES:
        path = parts_dir / f"{stem}.yaml"
        persona_file = _read(path, _PersonaFile)
        for persona in persona_file.personas:
            _claim(persona_seen, persona.name, path, "persona name")
            _claim(persona_seen, persona.key, path, "persona key")
        personas[persona_file.pool] += persona_file.personas
    for stem in EVENT_FILES:
        path = parts_dir / f"{stem}.yaml"
        event_file = _read(path, _EventFile)
        for event in event_file.events:
            _claim(event_seen, event.key, path, "event key")
        events[event_file.pool] += event_file.events
    path = parts_dir / f"{_NEEDS_FILE}.yaml"
    need_specs = _read(path, _NeedFile).needs
    _covers(path, [spec.need for spec in need_specs], HiddenNeed)
    path = parts_dir / f"{_CHARACTERS_FILE}.yaml"
    character_specs = _read(path, _CharacterFile).characters
    _covers(path, [spec.character for spec in character_specs], CharacterType)
    return Parts(
        personas=personas,
        events=events,
        needs={spec.need: spec for spec in need_specs},
        characters={spec.character: spec for spec in character_specs},
    )


def _claim(seen: dict[str, Path], value: str, path: Path, what: str) -> None:
    """Record ``value`` as used by ``path``; a second use anywhere is an error naming both files."""
    if value in seen:
        raise ProfileError(f"{path}: {what} {value!r} is already used in {seen[value]}")
    seen[value] = path


def _covers(path: Path, found: list[Enum], kinds: type[Enum]) -> None:
    """Each member of the enum ``kinds`` must appear exactly once in ``found``."""
    expected = [kind.value for kind in kinds]
    got = [kind.value for kind in found]
    if sorted(got) != sorted(expected):
        raise ProfileError(f"{path}: needs exactly one entry for each of {expected}, got {got}")


class _UniqueKeyLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """Safe loader that refuses a repeated mapping key (plain YAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
            if isinstance(key, Hashable) and key in seen:
                problem = f"found duplicate key {key!r}"
                raise yaml.constructor.ConstructorError(
                    "while reading a mapping", node.start_mark, problem, key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[no-untyped-call]


_File = TypeVar("_File", bound=BaseModel)


def _read(path: Path, model: type[_File]) -> _File:
    """Parse one YAML file and validate it; errors name the file and the entry (key or name)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read part file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    loader = _UniqueKeyLoader(text)
    node = None
    try:
        node = loader.get_single_node()
        raw = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        line = f":{yaml_mark_line(exc.problem_mark, text)}" if exc.problem_mark is not None else ""
        context = f" ({exc.context})" if exc.context else ""
        raise ProfileError(f"{path}{line}: invalid YAML: {exc.problem}{context}") from exc
    except yaml.YAMLError as exc:
        raise ProfileError(f"{path}: invalid YAML: {exc}") from exc
    except YAML_VALUE_ERRORS as exc:  # PyYAML's constructors: `2019-13-01`, `!!int x`, 5000 digits
        line = f":{yaml_value_error_line(loader, node)}" if node is not None else ""
        raise ProfileError(f"{path}{line}: invalid YAML value: {exc}") from exc
    finally:
        loader.dispose()
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [f"{path}: {_where(raw, err['loc'])}: {err['msg']}" for err in exc.errors()]
        raise ProfileError("\n".join(problems)) from exc


_ENTRY_NAMES = ("key", "name", "need", "character")
"""Fields that name an entry in an error message, first found wins."""


def _where(raw: Any, loc: tuple[int | str, ...]) -> str:
    """``events[3] (credit-taken).angles``: a pydantic location with each entry's name added."""
    out, node = "", raw
    for step in loc:
        if isinstance(step, int) and isinstance(node, list) and 0 <= step < len(node):
            node = node[step]
            names = [node[f] for f in _ENTRY_NAMES if f in node] if isinstance(node, dict) else []
            out += f"[{step}]" + (f" ({names[0]})" if names else "")
        else:
            node = node.get(step) if isinstance(node, dict) else None
            out += f".{step}"
    return out.lstrip(".") or "top level"
