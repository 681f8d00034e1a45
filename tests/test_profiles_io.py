"""Profile loading, validation errors (exact PATH:LINE), writing, format mapping and stats."""

from __future__ import annotations

import json
import os
import stat
import sys
import types
from pathlib import Path

import pytest

from rlver.errors import ConfigError, ProfileError
from rlver.profiles.io import (
    MAX_REPORTED_ISSUES,
    ProfileFileError,
    iter_profile_records,
    load_profiles,
    resolve_source,
    write_profiles,
)
from rlver.profiles.official import detect_language, extract_name, match_hidden_need
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.profiles.stats import profile_stats

DATA = Path(__file__).parent / "data"
OFFICIAL = DATA / "official_zh.jsonl"
NATIVE_YAML = DATA / "native.yaml"


def native(id: str = "p1", **fields) -> dict:
    record = {"id": id, "persona": "Ann, 30, teacher.", "scene": "Ann lost her job.", "task": "Wants advice."}
    record.update(fields)
    return record


def official(id: str = "o1", **fields) -> dict:
    record = {
        "id": id,
        "player": "姓名：王芳",
        "scene": "王芳失业了。",
        "main_cha": "被动型",
        "cha_group": ["内向", "焦虑", "谨慎"],
        "task": "希望得到切实可行的建议",
    }
    record.update(fields)
    return record


def write_jsonl(path: Path, lines: list) -> Path:
    path.write_text(
        "".join(
            (line if isinstance(line, str) else json.dumps(line, ensure_ascii=False)) + "\n" for line in lines
        ),
        encoding="utf-8",
    )
    return path


def load_error(path: Path) -> ProfileFileError:
    with pytest.raises(ProfileFileError) as info:
        load_profiles(path)
    return info.value


# -- official format -----------------------------------------------------------------------------


def test_official_chinese_records_map_to_profiles():
    profiles = load_profiles(OFFICIAL)
    assert [p.id for p in profiles] == [
        "6f1c2a7e-3b1d-4c55-9a43-0d1e5b7c9a01",
        "b2e9d4c0-7a65-4f0e-8d21-55c3a9e1f302",
        "c7a3f1e8-2d4b-4e9a-b6c5-8f0d2e1a4b03",
    ]
    angry, student, driver = profiles
    assert [p.character for p in profiles] == [
        CharacterType.NEGATIVE,
        CharacterType.PASSIVE,
        CharacterType.AVOIDANT,
    ]
    assert [p.need for p in profiles] == [HiddenNeed.VENTING, HiddenNeed.ADVICE, HiddenNeed.EMPATHY]
    assert {p.language for p in profiles} == {"zh"}
    assert angry.traits == ("易怒", "要强", "直率")
    assert angry.persona.startswith("姓名：周晓雯") and angry.name == "周晓雯"
    assert angry.first_talk == "气死我了，凭什么我做的方案最后成了他的功劳？"
    assert student.first_talk is None and student.topic == "学业"  # first_talk may be absent in training data
    assert driver.topic is None  # the unknown official key "target" is ignored


def test_official_round_trip_keeps_official_fields(tmp_path):
    profiles = load_profiles(OFFICIAL)
    out = write_profiles(tmp_path / "copy.jsonl", profiles, format="official")
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["main_cha"] == "负面型" and lines[0]["cha_group"] == ["易怒", "要强", "直率"]
    assert "persona" not in lines[0] and "first_talk" not in lines[1]
    assert load_profiles(out) == profiles  # need, language and name are re-inferred identically


def test_official_writer_needs_a_character_type(tmp_path):
    with pytest.raises(ProfileError, match="has no character type"):
        write_profiles(tmp_path / "x.jsonl", [Profile(**native())], format="official")


@pytest.mark.parametrize(
    ("task", "need"),
    [
        ("希望对方辩证地分析这个问题", HiddenNeed.ANALYSIS),
        ("希望得到切实可行的建议", HiddenNeed.ADVICE),
        ("想弄清楚对方为什么要这样对待自己", HiddenNeed.UNDERSTAND_OTHERS),
        ("希望被引导进行自我反思，获得成长", HiddenNeed.SELF_GROWTH),
        ("希望自己的付出得到真诚的夸奖", HiddenNeed.PRAISE),
        ("希望对方能耐心倾听自己的抱怨", HiddenNeed.VENTING),
        ("希望得到深度共情，而不是简单的安慰", HiddenNeed.EMPATHY),
        ("认为自己没有错，希望得到对方的认同", HiddenNeed.VALIDATION),
        ("Wants a dialectical analysis of the problem.", HiddenNeed.ANALYSIS),
        ("Wants practical advice that really helps.", HiddenNeed.ADVICE),
        ("Wants to understand why the other people acted as they did.", HiddenNeed.UNDERSTAND_OTHERS),
        ("Wants to be guided to self-reflection and growth.", HiddenNeed.SELF_GROWTH),
        ("Wants sincere praise for the specific things they did.", HiddenNeed.PRAISE),
        ("Wants to be listened to while venting.", HiddenNeed.VENTING),
        ("Wants deep empathy for their feelings rather than simple comfort.", HiddenNeed.EMPATHY),
        ("Believes they did nothing wrong and wants that confirmed.", HiddenNeed.VALIDATION),
        ("想聊聊天", None),  # matches nothing
        ("Wants to talk.", None),
        ("希望有人倾听并给出建议", None),  # venting and advice tie: not clear, so no guess
    ],
)
def test_task_text_maps_to_hidden_need_only_when_clear(task, need):
    assert match_hidden_need(task) is need


def test_builtin_need_wordings_are_recognised():
    from rlver.build.builtin_profiles import load_parts

    for need, spec in load_parts().needs.items():
        assert match_hidden_need(spec.task) is need, spec.task


def test_language_detection_and_name_extraction():
    assert detect_language("姓名：Lily 陈，今年二十八岁，在上海做设计") == "zh"
    assert detect_language("Lily Chen, 28, designer who loves 小笼包") == "en"
    assert detect_language("") == "en"
    assert extract_name("年龄：30\n名字：赵磊，男") == "赵磊"
    assert extract_name("**Name:** Maya Okafor\nAge: 34") == "Maya Okafor"
    assert extract_name("A quiet man in his forties.") is None


# -- native format ---------------------------------------------------------------------------------


def test_native_yaml_loads_with_language_detected_when_absent():
    maya, tom = load_profiles(NATIVE_YAML)
    assert maya.need is HiddenNeed.PRAISE and maya.traits == ("people-pleasing", "anxious", "shy")
    assert maya.persona.endswith("rarely asks for anything.\n")
    assert tom.language == "en" and tom.initial_emotion == 35 and tom.first_talk is None


def test_native_language_defaults_to_detected_chinese(tmp_path):
    path = write_jsonl(
        tmp_path / "zh.jsonl",
        [native(persona="李雷，三十岁，老师。", scene="他失业了。", task="希望得到建议")],
    )
    assert load_profiles(path)[0].language == "zh"


TRICKY = "Line one  \nline two: with colon, 'quotes' and \"double\"\u2028still the same record\n\ttabbed"


@pytest.mark.parametrize("suffix", [".jsonl", ".json", ".yaml", ".yml"])
def test_native_round_trip_every_extension(tmp_path, suffix):
    profiles = load_profiles(NATIVE_YAML) + [
        Profile(**native("tricky", scene=TRICKY, traits=("a", "b", "c")))
    ]
    out = write_profiles(tmp_path / f"profiles{suffix}", profiles)
    assert load_profiles(out) == profiles
    assert [p for p in tmp_path.iterdir() if p.name != out.name] == []  # no temp file left behind
    assert stat.S_IMODE(out.stat().st_mode) == 0o644


def test_yaml_writer_uses_block_scalars_for_multiline_text(tmp_path):
    out = write_profiles(tmp_path / "p.yaml", load_profiles(NATIVE_YAML))
    assert "scene: |" in out.read_text(encoding="utf-8")


def test_bom_and_line_separator_inside_strings(tmp_path):
    path = tmp_path / "bom.jsonl"
    line = json.dumps(native(scene="before\u2028after"), ensure_ascii=False)
    path.write_bytes(b"\xef\xbb\xbf" + line.encode("utf-8") + b"\n")
    assert load_profiles(path)[0].scene == "before\u2028after"


def test_json_list_and_yaml_report_the_line_of_each_item(tmp_path):
    json_path = tmp_path / "p.json"
    json_path.write_text(
        json.dumps([native("a"), native("b", character="angry")], indent=2), encoding="utf-8"
    )
    assert [r.line for r in iter_profile_records(json_path)] == [2, 8]
    error = load_error(json_path)
    assert str(error) == (
        f"{json_path}:8: field 'character': Input should be 'negative', 'passive' or 'avoidant' (got 'angry')"
    )
    yaml_path = tmp_path / "p.yaml"
    yaml_path.write_text(
        "- id: a\n  persona: p\n  scene: s\n  task: t\n- id: b\n  persona: p\n  task: t\n", encoding="utf-8"
    )
    assert str(load_error(yaml_path)) == f"{yaml_path}:5: missing field 'scene'"


# -- validation errors, each with its exact PATH:LINE --------------------------------------------------


def test_bad_json_line(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [native("a"), "", '{"id": "b", "persona": '])
    assert str(load_error(path)) == f"{path}:3: invalid JSON: Expecting value (column 24)"


def test_missing_field_in_native_and_official_records(tmp_path):
    record = native("a")
    del record["scene"]
    bad_official = official("o")
    del bad_official["main_cha"]
    path = write_jsonl(tmp_path / "p.jsonl", [record, bad_official])
    error = load_error(path)
    assert [str(issue) for issue in error.issues] == [
        f"{path}:1: missing field 'scene'",
        f"{path}:2: missing field 'main_cha'",
    ]


def test_wrong_type_and_invalid_values_name_the_field(tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [
            native("a", initial_emotion=150),
            native("b", traits="shy"),
            official("c", main_cha="乐观型"),
            native("d", bogus=1),
        ],
    )
    assert [str(issue) for issue in load_error(path).issues] == [
        f"{path}:1: field 'initial_emotion': Input should be less than or equal to 100 (got 150)",
        f"{path}:2: field 'traits': Input should be a valid tuple (got 'shy')",
        f"{path}:3: field 'main_cha': unknown character type '乐观型' (expected 负面型, 被动型, 回避型, or negative/passive/avoidant)",
        f"{path}:4: unknown field 'bogus'",
    ]


def test_duplicate_id_names_both_lines(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [native("a"), native("b"), official("a")])
    assert str(load_error(path)) == f"{path}:3: duplicate id 'a' (first used at line 1)"


def test_record_mixing_both_formats_or_neither(tmp_path):
    path = write_jsonl(
        tmp_path / "p.jsonl",
        [{**native("a"), "player": "x", "main_cha": "负面型"}, {"id": "b", "scene": "s"}, [1]],
    )
    assert [str(issue) for issue in load_error(path).issues] == [
        (
            f"{path}:1: record mixes the official format (keys main_cha, player) with the native format "
            "(keys persona); use one format per record"
        ),
        f"{path}:2: missing field 'persona' (native format) or 'player' (official format)",
        f"{path}:3: expected an object with profile fields, got a list",
    ]


@pytest.mark.parametrize(
    ("name", "content"), [("e.jsonl", ""), ("w.jsonl", "\n  \n"), ("e.json", "[]"), ("e.yaml", "# nothing\n")]
)
def test_empty_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert str(load_error(path)) == f"{path}: file is empty: no profile records"


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(
        json.dumps(native("a")).encode() + b"\n" + '{"id": "b", "scene": "caf\u00e9"}\n'.encode("latin-1")
    )
    message = str(load_error(path))
    assert message.startswith(f"{path}:2: file is not valid UTF-8 (byte 0xe9 at offset ")
    assert message.endswith("; save it as UTF-8")


def test_unknown_extension_missing_file_and_directory(tmp_path):
    (tmp_path / "p.txt").write_text("x", encoding="utf-8")
    assert str(load_error(tmp_path / "p.txt")) == (
        f"{tmp_path / 'p.txt'}: unknown profile file extension '.txt' (expected .jsonl, .json, .yaml or .yml)"
    )
    assert str(load_error(tmp_path / "missing.jsonl")) == f"{tmp_path / 'missing.jsonl'}: no such file"
    (tmp_path / "dir.jsonl").mkdir()
    assert (
        str(load_error(tmp_path / "dir.jsonl"))
        == f"{tmp_path / 'dir.jsonl'}: is a directory, expected a profile file"
    )


def test_invalid_json_list_and_yaml_documents(tmp_path):
    bad_json = tmp_path / "p.json"
    bad_json.write_text('[\n  {"id": "a"},\n  {"id": }\n]', encoding="utf-8")
    assert str(load_error(bad_json)) == f"{bad_json}:3: invalid JSON: Expecting value (column 10)"
    not_list = tmp_path / "q.json"
    not_list.write_text(json.dumps(native()), encoding="utf-8")
    assert (
        str(load_error(not_list)) == f"{not_list}:1: expected a JSON list of profile records, got an object"
    )
    bad_yaml = tmp_path / "p.yaml"
    bad_yaml.write_text("- id: a\n  persona: [unclosed\n  scene: s\n", encoding="utf-8")
    # libyaml and pure-Python PyYAML word the problem differently; both point at line 3
    assert str(load_error(bad_yaml)).startswith(f"{bad_yaml}:3: invalid YAML: while parsing a flow sequence: ")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("id: a\npersona: p\n", encoding="utf-8")
    assert str(load_error(mapping)) == f"{mapping}:1: expected a YAML list of profile records, got a mapping"


def test_all_record_errors_are_collected_and_summarised(tmp_path):
    lines = [native(f"ok{i}") for i in range(3)] + [native(f"bad{i}", character="x") for i in range(12)]
    path = write_jsonl(tmp_path / "p.jsonl", lines)
    error = load_error(path)
    assert [issue.line for issue in error.issues] == list(range(4, 16))
    message_lines = str(error).splitlines()
    assert len(message_lines) == MAX_REPORTED_ISSUES + 2
    assert message_lines[0].startswith(f"{path}:4: field 'character'")
    assert message_lines[-2] == "... and 2 more problems not shown"
    assert message_lines[-1] == f"{path}: 12 problems in 15 records; no profiles were loaded"


# -- sources and writer errors -------------------------------------------------------------------------


def test_builtin_source_resolves_through_builtin_path(tmp_path, monkeypatch):
    target = write_jsonl(tmp_path / "train.jsonl", [native("a")])
    fake = types.ModuleType("rlver.profiles.builtin")
    fake.builtin_path = lambda name: {"train": target}[name]
    monkeypatch.setitem(sys.modules, "rlver.profiles.builtin", fake)
    assert resolve_source("builtin:train") == target
    assert [p.id for p in load_profiles("builtin:train")] == ["a"]
    with pytest.raises(ProfileError, match=r"^'builtin:nope': unknown built-in profile set"):
        load_profiles("builtin:nope")


def test_write_rejects_duplicates_and_bad_targets(tmp_path):
    profile = Profile(**native("a"))
    with pytest.raises(ProfileError, match="duplicate id 'a'"):
        write_profiles(tmp_path / "p.jsonl", [profile, profile])
    with pytest.raises(ConfigError, match="official format is JSONL"):
        write_profiles(tmp_path / "p.yaml", [profile], format="official")
    with pytest.raises(ConfigError, match="unknown profile file extension '.csv'"):
        write_profiles(tmp_path / "p.csv", [profile])
    assert list(tmp_path.iterdir()) == []


def test_write_keeps_the_old_file_when_serialisation_fails(tmp_path, monkeypatch):
    out = write_profiles(tmp_path / "p.jsonl", [Profile(**native("a"))])
    before = out.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(OSError, match="disk full"):
        write_profiles(out, [Profile(**native("b"))])
    assert out.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.jsonl"]


# -- stats -----------------------------------------------------------------------------------------------


def test_stats_count_types_needs_languages_and_traits():
    profiles = (
        load_profiles(OFFICIAL) + load_profiles(NATIVE_YAML) + [Profile(**native("x", traits=("shy", "shy")))]
    )
    stats = profile_stats(profiles)
    assert stats.total == 6
    assert stats.by_character == {"negative": 1, "passive": 2, "avoidant": 2, "unknown": 1}
    assert stats.by_need["venting"] == 1 and stats.by_need["praise"] == 1 and stats.by_need["unknown"] == 1
    assert stats.by_need["analysis"] == 0 and list(stats.by_need)[:2] == ["analysis", "advice"]
    assert stats.by_language == {"en": 3, "zh": 3}
    assert next(iter(stats.by_trait.items())) == ("shy", 2)  # counted once per profile, most common first
    assert stats.with_first_talk == 3
    assert stats.share(3) == 0.5 and profile_stats([]).share(0) == 0.0


def test_public_api_of_the_profiles_package():
    import rlver.profiles as package

    assert {"load_profiles", "write_profiles", "iter_profile_records", "ProfileFileError", "profile_stats"} <= set(
        package.__all__
    )
    assert all(hasattr(package, name) for name in package.__all__)


@pytest.mark.parametrize("name", ["train", "test"])
def test_builtin_sets_load(name):
    profiles = load_profiles(f"builtin:{name}")
    assert profiles and len({p.id for p in profiles}) == len(profiles)
