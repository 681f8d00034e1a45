"""The built-in English profile sets: balance, disjointness, coherence, determinism, loading.

The sets are read through :mod:`rlver.profiles.builtin`; the parts they are composed from (YAML)
and the composition live in the build tools, :mod:`rlver.build.builtin_profiles`.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import textwrap
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from rlver.build import builtin_profiles as build_package
from rlver.build.builtin_profiles.compose import (
    BARE_PRONOUN,
    SET_SPECS,
    build_set,
    parts_of,
    render,
    template_fields,
    to_jsonl,
)
from rlver.build.builtin_profiles.parts import PARTS_DIR, Persona, load_parts
from rlver.errors import ProfileError
from rlver.profiles import builtin
from rlver.profiles.builtin import BUILTIN_SETS, builtin_path, load_builtin
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile

ROOT = Path(__file__).resolve().parents[1]
PARTS = load_parts()
PERSONAS, EVENTS, NEEDS, CHARACTERS = PARTS.personas, PARTS.events, PARTS.needs, PARTS.characters
CELLS = [(need, character) for need in HiddenNeed for character in CharacterType]
SCENE_LABELS = (
    "What happened:", "Feelings:", "Main conflict:", "Tried so far:", "Now:",
    "Reactions:", "Raises ", "Hints:", "Hidden theme (",
)
PRONOUNS = {"f": {"she", "her", "hers", "herself"}, "m": {"he", "him", "his", "himself"}}


@pytest.fixture(scope="module")
def sets() -> dict[str, list[Profile]]:
    return {name: load_builtin(name) for name in BUILTIN_SETS}


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z']+", text.lower()))


# --- loading and the public surface -----------------------------------------------------------


def test_public_api_is_guarded():
    assert set(builtin.__all__) == {"BUILTIN_SETS", "builtin_path", "load_builtin"}
    assert set(build_package.__all__) == {
        "SET_SPECS", "Parts", "ProfileParts", "build_set", "load_parts", "parts_of", "to_jsonl",
        "write_jsonl",
    }
    for package in (builtin, build_package):
        for name in package.__all__:
            assert hasattr(package, name)


def test_loading_a_set_imports_no_build_code():
    """Run time reads only the shipped JSONL: the parts, their YAML and the composition stay unloaded."""
    code = textwrap.dedent(
        """
        import sys
        import rlver.profiles.builtin
        from rlver.profiles.builtin import load_builtin
        assert len(load_builtin("test")) == 72
        loaded = sorted(m for m in sys.modules if m.startswith(("rlver.build", "rlver.profiles.builtin.")))
        print(loaded)
        """
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", result.stdout


def test_builtin_path_names_valid_sets_on_error():
    assert BUILTIN_SETS == ("train", "test")
    for name in BUILTIN_SETS:
        assert builtin_path(name).is_file()
        shipped = resources.files("rlver.profiles.builtin").joinpath("data", f"{name}.jsonl")
        assert shipped.is_file()
    with pytest.raises(ProfileError, match=r"'dev'.*valid names: train, test"):
        builtin_path("dev")


def test_load_builtin_reports_path_and_line(tmp_path, monkeypatch):
    good = builtin_path("test").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "test.jsonl").write_text(good + "\n" + '{"id": "x", "persona": ""}\n', encoding="utf-8")
    monkeypatch.setattr(builtin, "_DATA_DIR", tmp_path)
    with pytest.raises(ProfileError, match=r"test\.jsonl:2: invalid profile"):
        load_builtin("test")


def test_every_line_is_a_valid_profile_with_a_stable_id(sets):
    for name, profiles in sets.items():
        lines = builtin_path(name).read_text(encoding="utf-8").splitlines()
        assert len(lines) == len(profiles)
        for i, (line, profile) in enumerate(zip(lines, profiles), start=1):
            assert Profile.model_validate(json.loads(line)) == profile
            assert profile.id == f"en-{name}-{i:04d}"
            assert profile.language == "en" and profile.name and profile.topic and profile.first_talk
            for text in (profile.persona, profile.scene, profile.task, profile.first_talk, profile.topic):
                assert "{" not in text and "}" not in text, f"{profile.id}: unfilled placeholder in {text!r}"


# --- counts and balance -----------------------------------------------------------------------


def test_sizes_and_exact_balance(sets):
    assert len(sets["train"]) == 312 and len(sets["test"]) == 72
    for name, profiles in sets.items():
        per_cell = SET_SPECS[name].per_cell
        assert Counter((p.need, p.character) for p in profiles) == {cell: per_cell for cell in CELLS}
        # Round-robin order: every prefix of 24k profiles is itself exactly balanced.
        for start in range(0, len(profiles), len(CELLS)):
            block = profiles[start : start + len(CELLS)]
            assert sorted((p.need.value, p.character.value) for p in block) == sorted(
                (n.value, c.value) for n, c in CELLS
            )


def test_pools_are_big_and_fully_used(sets):
    assert len(PERSONAS["train"]) >= 60 and len(EVENTS["train"]) >= 50
    assert len(PERSONAS["test"]) >= 20 and len(EVENTS["test"]) >= 15
    for name, profiles in sets.items():
        used_personas = {parts_of(p).persona.key for p in profiles}
        used_events = {parts_of(p).event.key for p in profiles}
        assert used_personas == {p.key for p in PERSONAS[name]}
        assert used_events == {e.key for e in EVENTS[name]}
        assert len({(parts_of(p).persona.key, parts_of(p).event.key) for p in profiles}) == len(profiles)


# --- train / test disjointness ----------------------------------------------------------------


def test_train_and_test_share_no_persona_event_or_name(sets):
    train_p, test_p = PERSONAS["train"], PERSONAS["test"]
    assert not {p.key for p in train_p} & {p.key for p in test_p}
    assert not {p.name for p in train_p} & {p.name for p in test_p}
    assert not {p.first_name for p in train_p} & {p.first_name for p in test_p}
    assert not {p.surname for p in train_p} & {p.surname for p in test_p}
    train_e, test_e = EVENTS["train"], EVENTS["test"]
    assert not {e.key for e in train_e} & {e.key for e in test_e}
    assert not {e.topic for e in train_e} & {e.topic for e in test_e}
    assert not {e.story for e in train_e} & {e.story for e in test_e}
    # And in the shipped data, not just the pools.
    assert not {p.name for p in sets["train"]} & {p.name for p in sets["test"]}
    assert not {p.topic for p in sets["train"]} & {p.topic for p in sets["test"]}
    assert not {p.scene for p in sets["train"]} & {p.scene for p in sets["test"]}
    for name, profiles in sets.items():
        assert all(parts_of(p).persona.pool == parts_of(p).event.pool == name for p in profiles)


def test_names_are_unique_within_pools():
    everyone = [p for pool in PERSONAS.values() for p in pool]
    assert len({p.name for p in everyone}) == len(everyone)
    assert len({p.first_name for p in everyone}) == len(everyone)
    events = [e for pool in EVENTS.values() for e in pool]
    assert len({e.key for e in events}) == len(events)


# --- coherence --------------------------------------------------------------------------------


def _all_templates() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for pool in PERSONAS.values():
        for p in pool:
            out += [(f"{p.key}.{f}", getattr(p, f)) for f in ("role", "home", "hobbies", "habits", "style")]
    for pool in EVENTS.values():
        for e in pool:
            fields = ("topic", "gist", "vague", "story", "feelings", "conflict", "tried", "now")
            out += [(f"{e.key}.{f}", getattr(e, f)) for f in fields]
            out += [(f"{e.key}.angle.{n.value}", text) for n, text in e.angles.items()]
    for spec in NEEDS.values():
        out += [(f"{spec.need.value}.{f}", getattr(spec, f)) for f in ("task", "hint", "raises", "lowers")]
    for char in CHARACTERS.values():
        fields = ("high", "normal", "low", "lowers", "manner")
        out += [(f"{char.character.value}.{f}", getattr(char, f)) for f in fields]
    return out


def test_templates_never_hard_code_a_pronoun():
    """Every pronoun is a placeholder, so no profile can mix up its person's gender."""
    for where, template in _all_templates():
        bare = BARE_PRONOUN.findall(re.sub(r"\{[^}]*\}", "", template))
        assert not bare, f"{where}: bare pronoun(s) {bare} in {template!r}"


def test_pronouns_match_the_persona(sets):
    for profiles in sets.values():
        for profile in profiles:
            persona = parts_of(profile).persona
            other = PRONOUNS["m" if persona.gender == "f" else "f"]
            assert f"-year-old {'woman' if persona.gender == 'f' else 'man'}" in profile.persona
            # Lines written only about the person themselves carry only their own pronouns.
            own = ("Reactions:", "Raises ", "Hints:")
            own_lines = [line for line in profile.scene.splitlines() if line.startswith(own)]
            own_lines.append(profile.persona.split("Character:")[1])
            for line in own_lines:
                assert not _words(line) & other, f"{profile.id}: wrong pronoun in {line!r}"


def test_events_fit_their_personas(sets):
    for profiles in sets.values():
        for profile in profiles:
            parts = parts_of(profile)
            persona, event = parts.persona, parts.event
            assert event.fits(persona), f"{profile.id}: {event.key} does not fit {persona.key}"
            assert event.min_age <= persona.age <= event.max_age
            assert ("Until recently" in profile.persona) == event.ends_job
            if "partnered" in event.requires or "widowed" in event.requires:
                assert persona.partner is not None
            # Nobody in the story shares the person's (or partner's) first name.
            story_names = set(re.findall(r"\b[A-Z][a-z]+\b", event.story))
            assert persona.first_name not in story_names
            assert persona.partner not in story_names


@pytest.mark.parametrize(
    ("phrase", "tag"),
    [
        ("retired", "retired"),
        ("module", "student"),
        ("lectures", "student"),
        ("landlord", "renter"),
        ("a year of parental leave", "parent"),
        ("{partner}", "partnered"),
    ],
)
def test_life_stage_words_only_reach_matching_personas(sets, phrase, tag):
    for profiles in sets.values():
        for profile in profiles:
            parts = parts_of(profile)
            source = parts.event.story + parts.event.topic
            if phrase in source and not (tag == "partnered" and "widowed" in parts.event.requires):
                assert tag in parts.persona.tags, f"{profile.id}: {phrase!r} for {parts.persona.key}"


def test_no_retirement_story_for_the_young_and_no_student_story_for_retirees(sets):
    for profiles in sets.values():
        for profile in profiles:
            parts = parts_of(profile)
            if "retired" in parts.event.requires:
                assert parts.persona.age >= 60
            if "student" in parts.event.requires:
                assert parts.persona.age <= 30 and "retired" not in parts.persona.tags


def test_scene_structure_and_length(sets):
    for profiles in sets.values():
        lengths = []
        for profile in profiles:
            lines = profile.scene.splitlines()
            assert [line.startswith(label) for line, label in zip(lines, SCENE_LABELS)] == [True] * 9
            assert lines[-1].startswith("Hidden theme (")  # protocol §2: the hidden theme comes last
            lengths.append(len(profile.scene.split()))
        assert min(lengths) >= 120 and max(lengths) <= 255 and statistics.median(lengths) <= 250


def test_every_event_can_carry_several_needs_and_each_need_has_events():
    for pool in EVENTS.values():
        for event in pool:
            assert len(event.angles) >= 3, event.key
            assert all("{name}" in angle for angle in event.angles.values()), event.key
        for need in HiddenNeed:
            assert sum(need in e.angles for e in pool) >= 5, (need, len(pool))


def test_traits_come_from_the_character_pool(sets):
    for profiles in sets.values():
        for profile in profiles:
            assert len(set(profile.traits)) == 3
            assert set(profile.traits) <= set(CHARACTERS[profile.character].traits)


def test_topic_reads_inside_a_sentence(sets):
    for profiles in sets.values():
        for profile in profiles:
            topic = profile.topic
            assert topic == topic.strip() and topic[-1] not in ".!?," and len(topic) <= 80
            parts = parts_of(profile)
            first_word = re.match(r"[A-Za-z]+", topic).group(0)  # type: ignore[union-attr]
            story = parts.text(parts.event.story)
            assert topic[0].islower() or first_word in {"Mum", parts.persona.partner} or first_word in story
            assert parts.text(parts.event.topic) == topic


# --- the opening line -------------------------------------------------------------------------


def test_first_talk_hints_without_giving_the_need_away(sets):
    for profiles in sets.values():
        for profile in profiles:
            parts = parts_of(profile)
            first = profile.first_talk.lower()
            assert profile.task.lower() not in first
            assert parts.need.task.lower() not in first
            assert parts.text(parts.event.angles[profile.need]).lower() not in first
            assert parts.need.label.lower() not in first
            # The cue is one of the need's cues for this character type, and it ends the line.
            assert any(profile.first_talk.endswith(cue) for cue in parts.need.cues[profile.character])


def test_first_talk_matches_the_character_type(sets):
    for profiles in sets.values():
        for profile in profiles:
            parts = parts_of(profile)
            gist = parts.text(parts.event.gist).lower()
            opening = profile.first_talk.lower()
            if profile.character is CharacterType.AVOIDANT:
                # Vague and deflecting: the concrete story stays out of the first line.
                assert gist not in opening
                assert parts.text(parts.event.vague).lower() in opening
            else:
                assert gist in opening
            assert any(_opener_matches(o, profile.first_talk) for o in parts.character.openers)


def _opener_matches(opener: str, first_talk: str) -> bool:
    pattern = ".+".join(re.escape(piece) for piece in re.split(r"\{[A-Za-z]+\}", opener))
    return re.fullmatch(pattern + " .+", first_talk) is not None


def test_every_cue_and_opener_template_is_well_formed():
    for spec in NEEDS.values():
        assert set(spec.cues) == set(CharacterType)
        for cues in spec.cues.values():
            assert cues and all(cue.endswith((".", "?", "!")) and "{" not in cue for cue in cues)
    for char in CHARACTERS.values():
        for opener in char.openers:
            fields = template_fields(opener)
            if char.character is CharacterType.AVOIDANT:
                assert fields and fields <= {"vague", "Vague"}
            else:
                assert fields and fields <= {"gist", "Gist"}


# --- the part files ----------------------------------------------------------------------------


def test_every_part_file_is_read():
    from rlver.build.builtin_profiles.parts import EVENT_FILES, PERSONA_FILES

    on_disk = {path.stem for path in PARTS_DIR.glob("*.yaml")}
    assert on_disk == {*PERSONA_FILES, *EVENT_FILES, "needs", "characters"}
    assert {pool: len(people) for pool, people in PERSONAS.items()} == {"train": 66, "test": 25}
    assert {pool: len(events) for pool, events in EVENTS.items()} == {"train": 57, "test": 20}


@pytest.mark.parametrize(
    ("stem", "old", "new", "error"),
    [
        ("events_work", "  min_age: 26\n", "  min_age: 26\n  min_ages: 30\n",
         r"events_work\.yaml: events\[0\] \(passed-over-promotion\)\.min_ages: Extra inputs"),
        ("events_work", "    analysis: ", "    analysys: ",
         r"events_work\.yaml: events\[0\] \(passed-over-promotion\)\.angles\.analysys"),
        ("events_work", "  vague: ", "  vague: twice\n  vague: ",
         r"events_work\.yaml:16: invalid YAML: found duplicate key 'vague'"),
        ("personas_test", "  partner_gender: f\n", "",
         r"personas_test\.yaml: personas\[1\] \(Ravi Kapoor\): .*set both partner and partner_gender"),
        ("personas_test", "- name: Imogen Hale\n", "- name: Imogen Hale\n  pool: train\n",
         r"personas_test\.yaml: .*personas\[0\] sets its own pool"),
        ("personas_train_young", "name: Maya Okafor", "name: Imogen Hale",
         r"personas_test\.yaml: persona name 'Imogen Hale' is already used in .*personas_train_young\.yaml"),
        ("needs", "- need: advice", "- need: analysis", r"needs\.yaml: needs exactly one entry for each of"),
    ],
)
def test_a_bad_part_file_is_named_with_its_entry(tmp_path, stem, old, new, error):
    parts_dir = shutil.copytree(PARTS_DIR, tmp_path / "parts")
    path = parts_dir / f"{stem}.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ProfileError, match=error):
        load_parts(parts_dir)


def test_a_stray_part_file_is_refused(tmp_path):
    parts_dir = shutil.copytree(PARTS_DIR, tmp_path / "parts")
    (parts_dir / "events_extra.yaml").write_text("pool: train\nevents: []\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"\['events_extra\.yaml'\] not read"):
        load_parts(parts_dir)


# --- structured access and determinism --------------------------------------------------------


def test_parts_of_rejects_foreign_profiles():
    stranger = Profile(id="x", persona="p", scene="s", task="t", name="Nobody Known",
                       need=HiddenNeed.ADVICE, character=CharacterType.PASSIVE, topic="a thing")
    with pytest.raises(ProfileError, match="not a built-in profile"):
        parts_of(stranger)
    known = load_builtin("test")[0]
    with pytest.raises(ProfileError, match="matches no built-in event"):
        parts_of(known.model_copy(update={"topic": "something else entirely"}))


def test_render_refuses_unknown_placeholders():
    persona: Persona = PERSONAS["train"][0]
    with pytest.raises(KeyError, match="nickname"):
        render("{name} aka {nickname}", persona)


def test_rebuild_is_byte_identical(tmp_path):
    from importlib.util import module_from_spec, spec_from_file_location

    spec = spec_from_file_location("build_builtin_profiles", ROOT / "scripts" / "build_builtin_profiles.py")
    assert spec is not None and spec.loader is not None
    script = module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.main(["--out-dir", str(tmp_path)]) == 0
    for name in BUILTIN_SETS:
        assert (tmp_path / f"{name}.jsonl").read_bytes() == builtin_path(name).read_bytes()
    assert script.main(["--check"]) == 0
    (tmp_path / "train.jsonl").write_text("stale\n", encoding="utf-8")
    assert script.main(["--check", "--out-dir", str(tmp_path)]) == 1


def test_composition_is_deterministic_in_process():
    assert to_jsonl(build_set("test")) == to_jsonl(build_set("test"))
    with pytest.raises(ProfileError, match="valid names"):
        build_set("dev")
