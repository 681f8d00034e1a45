"""Fuzzed outside data (issue 14, part 3): profile files, train configs and built-in part files.
Whatever bytes arrive, a parser returns a complete, valid result or raises ONE error of rlver's own
types naming the file (and the line where there is one); never another exception type, never a
half-loaded result. Judge answers are in ``test_fuzz_inputs_answers.py`` and state files (results,
SAGE imports, resume files) in ``test_fuzz_inputs_state.py``; both reuse the strategies below.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlver.build.builtin_profiles.parts import PARTS_DIR, Parts, load_parts
from rlver.errors import ConfigError, ProfileError
from rlver.profiles.io import ProfileFileError, load_profiles, write_profiles
from rlver.profiles.schema import Profile
from rlver.rl.config import TrainConfig
from rlver.rl.config_io import load_config

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[1]

# Derandomised: CI sees the same examples every run, and the budgets keep each file well under 60 s
# on two cores. RLVER_FUZZ_EXAMPLES=2000 runs a deeper, randomly seeded search locally.
_DEEPER = os.environ.get("RLVER_FUZZ_EXAMPLES")
FUZZ = settings(
    max_examples=int(_DEEPER or 60),
    deadline=None,
    database=None,
    derandomize=_DEEPER is None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- strategies (also used by test_fuzz_inputs_state.py) -------------------------------------------

SPECIAL_CHARS = [
    "\u2028",
    "\u2029",
    "\x85",
    "\ufeff",
    "\n",
    "\r",
    "\x00",
    "\t",
    "\x1b",
    "好",
    "😀",
    "\U0010ffff",
]
TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARS)), max_size=12)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(-(10**400), 10**400),  # json.dumps refuses ints of more than 4300 digits; see SNIPPETS
    st.floats(),  # NaN and +-inf included
)
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)
SNIPPETS = st.sampled_from(
    [
        b"\xef\xbb\xbf", b"\r\n", "\u2028".encode(), "\x85".encode(), b"\x00", b"\xff", b"\xc3", "好".encode()[:2],
        b"NaN", b"-Infinity", b"1e999", b"9" * 4400, b"[" * 3000, b'"', b"{", b"}", b"[", b"]", b",", b":",
        b"null", b"true", b"\n", b" ", b"\t", b"- ", b"? [1]\n", b"&a ", b"*a", b"!!int x ", b"!!bool x ",
        b"!!timestamp x ", b"2019-13-01", b"!!float x ", b"---\n", b"~", b"'", b"\\", b"#",
    ]
)  # fmt: skip
"""Byte strings that break parsers in interesting ways: BOMs, line separators, cut UTF-8, huge
numbers, deep nesting, YAML tags and dates that PyYAML's constructors choke on."""


def _edit(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(
        st.sampled_from(["truncate", "insert", "delete", "replace", "dup_line", "drop_line", "crlf", "bom"])
    )
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n")
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    if kind in ("dup_line", "drop_line"):
        lines = data.split(b"\n")
        i = draw(st.integers(0, len(lines) - 1))
        lines[i : i + 1] = [lines[i]] * 2 if kind == "dup_line" else []
        return b"\n".join(lines)
    i = draw(st.integers(0, len(data)))
    if kind == "truncate":
        return data[:i]
    if kind == "insert":
        return data[:i] + draw(SNIPPETS | st.binary(max_size=4)) + data[i:]
    j = draw(st.integers(i, min(len(data), i + 16)))
    if kind == "delete":
        return data[:i] + data[j:]
    return data[:i] + draw(st.binary(min_size=1, max_size=4)) + data[j:]


@st.composite
def mutated(draw: st.DrawFn, valid: bytes, max_edits: int = 3) -> bytes:
    """``valid`` after one to ``max_edits`` random edits (cut, insert, delete, line, CRLF, BOM)."""
    data = valid
    for _ in range(draw(st.integers(1, max_edits))):
        data = _edit(draw, data)
    return data


def retyped(draw: st.DrawFn, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` with one key deleted, one value replaced by any JSON value, or one key added."""
    record = dict(record)
    kind = draw(st.sampled_from(["delete", "retype", "retype", "extra"]))
    key = draw(st.sampled_from(sorted(record))) if record else "id"
    if kind == "delete":
        record.pop(key, None)
    elif kind == "retype":
        record[key] = draw(JSON_VALUES)
    else:
        record[draw(TEXT)] = draw(JSON_VALUES)
    return record


def with_duplicate_key(draw: st.DrawFn, text: str, key: str) -> str:
    """A JSON object text with ``key`` written twice (Python's json keeps the last one)."""
    return text.replace("{", "{" + json.dumps(key) + ": " + json.dumps(draw(JSON_VALUES)) + ", ", 1)


_YAML_ODDITIES = st.sampled_from(
    [".nan", ".inf", "-.inf", "1e400", "9" * 400, "9" * 5000, "2019-13-01", "2019-01-01", "!!int x", "!!bool x",
     "!!timestamp x", "!!binary '###'", "~", "[]", "{}", "yes", "0x1F", "0o17", "1_000", "'1'", "&a [*a]"]
)  # fmt: skip
"""YAML scalars PyYAML builds with plain Python (NaN, dates, tagged values, huge ints, a cyclic list)."""
_UNCONSTRUCTIBLE = {"2019-13-01", "!!int x", "!!bool x", "!!timestamp x", "9" * 5000}

ANY_BYTES = st.one_of(st.binary(max_size=200), TEXT.map(lambda t: t.encode("utf-8")))


# Hypothesis reruns a test body many times, so no tmp_path: one folder per example under a root
# that is removed when the test process ends.
_SCRATCH = tempfile.TemporaryDirectory(prefix="rlver-fuzz-")


def scratch_dir() -> Path:
    """A fresh empty folder for one example."""
    return Path(tempfile.mkdtemp(dir=_SCRATCH.name))


def scratch_file(name: str, data: bytes) -> Path:
    """``data`` written to ``name`` in a fresh folder."""
    path = scratch_dir() / name
    path.write_bytes(data)
    return path


def line_count(data: bytes) -> int:
    """Lines of a file the way its most generous reader counts them (YAML also breaks on U+2028)."""
    text = data.decode("utf-8", "replace")
    return len(re.split("\r\n|[\r\n\x85\u2028\u2029]", text))


# -- profile files ---------------------------------------------------------------------------------

_NATIVE = yaml.safe_load((DATA / "native.yaml").read_text(encoding="utf-8"))
_OFFICIAL = [
    json.loads(line) for line in (DATA / "official_zh.jsonl").read_text(encoding="utf-8").splitlines()
]
_PROFILE_SOURCES = {
    "official.jsonl": (DATA / "official_zh.jsonl").read_bytes(),
    "native.yaml": (DATA / "native.yaml").read_bytes(),
    "native.json": json.dumps(_NATIVE, ensure_ascii=False, indent=2).encode(),
    "native.jsonl": "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _NATIVE).encode(),
}


def _records_text(records: list[dict[str, Any]], suffix: str) -> str:
    if suffix == ".jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if suffix == ".json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    return yaml.safe_dump(records, allow_unicode=True, sort_keys=False)


def load_or_reject(path: Path) -> list[Profile] | None:
    """Every profile of ``path``, or None after checking the one error names the file and real lines."""
    try:
        profiles = load_profiles(path)
    except ProfileError as exc:
        assert str(path) in str(exc)
        if isinstance(exc, ProfileFileError):
            n_lines = line_count(path.read_bytes())
            assert exc.issues and all(i.path == str(path) for i in exc.issues)
            assert all(i.line is None or 1 <= i.line <= n_lines for i in exc.issues), exc.issues
        return None
    assert profiles and all(isinstance(p, Profile) for p in profiles)
    assert len({p.id for p in profiles}) == len(profiles)
    text = path.read_bytes().decode("utf-8-sig")
    if path.suffix == ".jsonl":  # all or nothing: one profile per non-blank line
        assert len(profiles) == sum(1 for line in text.split("\n") if line.strip())
    elif path.suffix == ".json":
        assert len(profiles) == len(json.loads(text))
    return profiles


@FUZZ
@given(data=ANY_BYTES, suffix=st.sampled_from([".jsonl", ".json", ".yaml", ".yml"]))
def test_random_profile_files_are_loaded_or_rejected(data, suffix):
    load_or_reject(scratch_file(f"p{suffix}", data))


@FUZZ
@given(source=st.sampled_from(sorted(_PROFILE_SOURCES)), data=st.data())
def test_mutated_profile_files_are_loaded_or_rejected(source, data):
    name = source.split(".", 1)[1]
    load_or_reject(scratch_file(f"p.{name}", data.draw(mutated(_PROFILE_SOURCES[source]))))


@FUZZ
@given(
    official=st.booleans(),
    suffix=st.sampled_from([".jsonl", ".json", ".yaml"]),
    duplicate_key=st.booleans(),
    data=st.data(),
)
def test_profile_records_with_wrong_types_or_keys_are_loaded_or_rejected(
    official, suffix, duplicate_key, data
):
    records = [dict(r) for r in (_OFFICIAL if official else _NATIVE)]
    index = data.draw(st.integers(0, len(records) - 1))
    records[index] = retyped(data.draw, records[index])
    text = _records_text(records, suffix)
    if duplicate_key and suffix == ".jsonl":
        lines = text.split("\n")
        lines[index] = with_duplicate_key(
            data.draw, lines[index], data.draw(st.sampled_from(["id", "persona", "player"]))
        )
        text = "\n".join(lines)
    profiles = load_or_reject(scratch_file(f"p{suffix}", text.encode("utf-8")))
    if profiles is not None:
        assert len(profiles) == len(records)


@FUZZ
@given(
    field=st.sampled_from(
        ["id", "persona", "scene", "task", "traits", "initial_emotion", "language", "name"]
    ),
    value=_YAML_ODDITIES,
)
def test_profile_yaml_values_pyyaml_cannot_build_are_rejected_with_their_line(field, value):
    record = {"id": "a", "persona": "p", "scene": "s", "task": "t", field: "FIELD"}
    text = "".join(("- " if i == 0 else "  ") + f"{key}: {v}\n" for i, (key, v) in enumerate(record.items()))
    text = text.replace("FIELD", value) + "- {id: b, persona: p, scene: s, task: t}\n"
    path = scratch_file("p.yaml", text.encode())
    if load_or_reject(path) is None and value in _UNCONSTRUCTIBLE:
        with pytest.raises(ProfileFileError) as info:
            load_profiles(path)
        field_line = 1 + list(record).index(field)
        assert [issue.line for issue in info.value.issues] == [field_line]


@FUZZ
@given(data=st.data())
def test_loaded_profiles_survive_a_round_trip_through_every_format(data):
    records = [dict(r) for r in _NATIVE]
    for key in ("persona", "scene", "task", "first_talk", "name"):
        records[0][key] = data.draw(TEXT.filter(str.strip))
    profiles = load_or_reject(scratch_file("p.jsonl", _records_text(records, ".jsonl").encode()))
    if profiles is None:
        return
    for suffix in (".jsonl", ".json", ".yaml"):
        path = write_profiles(scratch_file(f"out{suffix}", b""), profiles)
        assert load_profiles(path) == profiles


# -- train config YAML -----------------------------------------------------------------------------

_CONFIGS = {name: (REPO / "configs" / name).read_bytes() for name in ("tiny-ppo.yaml", "tiny-grpo.yaml")}


def config_or_reject(path: Path) -> TrainConfig | None:
    try:
        config = load_config(path)
    except ConfigError as exc:
        assert re.match(rf"{re.escape(str(path))}(:\d+)?: ", str(exc)), str(exc)
        match = re.match(rf"{re.escape(str(path))}:(\d+): ", str(exc))
        if match:
            assert 1 <= int(match.group(1)) <= line_count(path.read_bytes())
        return None
    assert isinstance(config, TrainConfig)

    def finite(value: Any) -> bool:
        if isinstance(value, dict):
            return all(finite(v) for v in value.values())
        return not isinstance(value, float) or math.isfinite(value)

    assert finite(config.to_dict()), "a non-finite number slipped into the config"
    return config


@FUZZ
@given(data=ANY_BYTES)
def test_random_config_files_are_loaded_or_rejected(data):
    config_or_reject(scratch_file("train.yaml", data))


@FUZZ
@given(source=st.sampled_from(sorted(_CONFIGS)), data=st.data())
def test_mutated_config_files_are_loaded_or_rejected(source, data):
    config_or_reject(scratch_file("train.yaml", data.draw(mutated(_CONFIGS[source]))))


@FUZZ
@given(source=st.sampled_from(sorted(_CONFIGS)), data=st.data())
def test_config_settings_of_any_type_are_loaded_or_rejected_with_their_line(source, data):
    lines = _CONFIGS[source].decode().split("\n")
    settings_lines = [i for i, line in enumerate(lines) if re.match(r"^\s*\w+:\s*\S", line)]
    i = data.draw(st.sampled_from(settings_lines))
    key, _, _ = lines[i].partition(":")
    kind = data.draw(st.sampled_from(["value", "yaml", "duplicate", "unknown", "drop"]))
    if kind == "value":
        lines[i] = f"{key}: {json.dumps(data.draw(JSON_VALUES), ensure_ascii=False)}"
    elif kind == "yaml":
        lines[i] = f"{key}: {data.draw(_YAML_ODDITIES)}"
    elif kind == "duplicate":
        lines.insert(i + 1, lines[i])
    elif kind == "unknown":
        lines.insert(i, f"{key}_{data.draw(st.integers(0, 9))}: 1")
    else:
        del lines[i]
    path = scratch_file("train.yaml", "\n".join(lines).encode())
    config = config_or_reject(path)
    if kind in ("duplicate", "unknown"):  # refused, naming the line of the repeat or the stranger
        assert config is None
        line = i + 2 if kind == "duplicate" else i + 1
        with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:{line}: "):
            load_config(path)


# -- built-in profile part files -------------------------------------------------------------------

_PART_FILES = sorted(p.name for p in PARTS_DIR.glob("*.yaml"))
PARTS_FUZZ = settings(FUZZ, max_examples=max(20, FUZZ.max_examples // 4))  # ~0.1 s an example: all files
_SMALL_PART_FILES = ["characters.yaml", "needs.yaml", "personas_test.yaml", "events_test_work.yaml"]


@pytest.fixture(scope="module")
def parts_copy(tmp_path_factory):
    return Path(shutil.copytree(PARTS_DIR, tmp_path_factory.mktemp("fuzz-parts") / "parts"))


def parts_or_reject(parts_dir: Path, changed: Path) -> Parts | None:
    try:
        # load_parts caches by folder; the fuzzed folder changes between examples.
        return load_parts.__wrapped__(parts_dir)
    except ProfileError as exc:
        assert str(parts_dir) in str(exc)
        assert str(changed) in str(exc) or "already used in" in str(exc) or "not read" in str(exc), str(exc)
        return None


@PARTS_FUZZ
@given(name=st.sampled_from(_SMALL_PART_FILES), data=st.data())
def test_mutated_part_files_are_loaded_or_rejected(parts_copy, name, data):
    path = parts_copy / name
    original = (PARTS_DIR / name).read_bytes()
    path.write_bytes(data.draw(st.one_of(mutated(original), ANY_BYTES)))
    try:
        parts_or_reject(parts_copy, path)
    finally:
        path.write_bytes(original)


@PARTS_FUZZ
@given(name=st.sampled_from(_SMALL_PART_FILES), data=st.data())
def test_part_entries_with_wrong_types_or_keys_are_loaded_or_rejected(parts_copy, name, data):
    path = parts_copy / name
    original = (PARTS_DIR / name).read_bytes()
    document = yaml.safe_load(original)
    field = next(k for k in document if isinstance(document[k], list))
    entries = document[field]
    index = data.draw(st.integers(0, len(entries) - 1))
    entries[index] = retyped(data.draw, entries[index])
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    try:
        parts_or_reject(parts_copy, path)
    finally:
        path.write_bytes(original)


def test_part_file_names_are_the_shipped_ones():
    assert set(_SMALL_PART_FILES) <= set(_PART_FILES)
