"""Read and write profile files: official SAGE/RLVER JSONL and rlver's native JSONL / JSON / YAML.

The format is detected per record (see :func:`rlver.profiles.official.detect_record_format`), so a
file may hold both kinds of record, but never one record that mixes them. Every problem in a file is
collected and reported together as ``PATH:LINE: problem`` lines; a file with any problem loads
nothing (no silent half-loads). Writes are atomic: a temporary file in the same folder, fsync, then
``os.replace``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from rlver.errors import ConfigError, ProfileError
from rlver.profiles.official import (
    OfficialRecord,
    detect_language,
    detect_record_format,
    official_to_profile,
    profile_to_official,
)
from rlver.profiles.schema import Profile
from rlver.utils.io import (
    YAML_VALUE_ERRORS,
    atomic_write_text,
    loads_json,
    yaml_mark_line,
    yaml_value_error_line,
)

__all__ = [
    "BUILTIN_PREFIX",
    "PROFILE_EXTENSIONS",
    "MAX_REPORTED_ISSUES",
    "FileFormat",
    "ProfileIssue",
    "ProfileFileError",
    "RawRecord",
    "resolve_source",
    "iter_profile_records",
    "profile_from_record",
    "profile_to_record",
    "load_profiles",
    "write_profiles",
]

BUILTIN_PREFIX = "builtin:"
PROFILE_EXTENSIONS = (".jsonl", ".json", ".yaml", ".yml")
MAX_REPORTED_ISSUES = 10
"""How many ``PATH:LINE`` problems an error message lists before summarising the rest."""

FileFormat = Literal["native", "official"]


@dataclass(frozen=True)
class ProfileIssue:
    """One problem in a profile file. ``line`` is 1-based; ``None`` for whole-file problems."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return (
            f"{self.path}:{self.line}: {self.message}"
            if self.line is not None
            else f"{self.path}: {self.message}"
        )


class ProfileFileError(ProfileError):
    """A profile file has problems. ``issues`` lists all of them; the message shows the first few."""

    def __init__(self, path: str, issues: list[ProfileIssue], n_records: int | None = None) -> None:
        self.path = path
        self.issues = issues
        lines = [str(issue) for issue in issues[:MAX_REPORTED_ISSUES]]
        if len(issues) > MAX_REPORTED_ISSUES:
            lines.append(f"... and {len(issues) - MAX_REPORTED_ISSUES} more problems not shown")
        if len(issues) > 1:
            of_records = f" in {n_records} records" if n_records is not None else ""
            lines.append(f"{path}: {len(issues)} problems{of_records}; no profiles were loaded")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class RawRecord:
    """One record as parsed from a file, before validation: ``data`` or a syntax ``error``."""

    line: int
    data: Any = None
    error: str | None = None


def resolve_source(source: str | os.PathLike[str]) -> Path:
    """A path, or ``builtin:NAME`` resolved through :func:`rlver.profiles.builtin.builtin_path`."""
    text = os.fspath(source)
    if not text.startswith(BUILTIN_PREFIX):
        return Path(text)
    name = text[len(BUILTIN_PREFIX) :]
    try:
        from rlver.profiles.builtin import builtin_path  # lazy: the built-in sets are optional data
    except ImportError as exc:
        raise ProfileError(f"{text!r}: built-in profile sets are not available ({exc})") from None
    try:
        return Path(builtin_path(name))
    except ProfileError:
        raise
    except (KeyError, ValueError, FileNotFoundError) as exc:
        raise ProfileError(f"{text!r}: unknown built-in profile set ({exc})") from None


def _fail(path: str, message: str, line: int | None = None) -> ProfileFileError:
    return ProfileFileError(path, [ProfileIssue(path, line, message)])


def _read_text(path: Path, shown: str) -> str:
    if not path.exists():
        raise _fail(shown, "no such file")
    if path.is_dir():
        raise _fail(shown, "is a directory, expected a profile file")
    if path.suffix.lower() not in PROFILE_EXTENSIONS:
        raise _fail(
            shown,
            f"unknown profile file extension {path.suffix or '(none)'!r} (expected .jsonl, .json, .yaml or .yml)",
        )
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM some Windows editors write
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            shown,
            f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); save it as UTF-8",
            line,
        ) from None


def _jsonl_records(text: str) -> Iterator[RawRecord]:
    # split("\n"), not splitlines(): JSON strings may hold a raw U+2028, which splitlines breaks on.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        try:
            yield RawRecord(number, data=loads_json(line))
        except json.JSONDecodeError as exc:
            yield RawRecord(number, error=f"invalid JSON: {exc.msg} (column {exc.colno})")


_JSON_WHITESPACE = " \t\n\r"


def _json_list_records(text: str, shown: str) -> Iterator[RawRecord]:
    try:
        document = loads_json(text)
    except json.JSONDecodeError as exc:
        raise _fail(shown, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    if not isinstance(document, list):
        raise _fail(shown, f"expected a JSON list of profile records, got {_type_name(document)}", 1)
    # The document is valid, so walk its top-level items again to learn the line each one starts on.
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    line, counted_to = 1, 0
    for _ in document:
        while text[index] in _JSON_WHITESPACE or text[index] == ",":
            index += 1
        line += text.count("\n", counted_to, index)
        counted_to = index
        item, index = decoder.raw_decode(text, index)
        yield RawRecord(line, data=item)


# libyaml's C loader/dumper when PyYAML was built with it (about 10x faster), else pure Python;
# both keep the line marks used in error messages.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml_records(text: str, shown: str) -> Iterator[RawRecord]:
    loader = _YamlLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = ": ".join(part for part in (exc.context, exc.problem) if part)
            raise _fail(shown, f"invalid YAML: {problem}", yaml_mark_line(mark, text) if mark else None) from None
        except (yaml.YAMLError, *YAML_VALUE_ERRORS) as exc:
            raise _fail(shown, f"invalid YAML: {exc}") from None
        if node is None:
            return
        if not isinstance(node, yaml.SequenceNode):
            raise _fail(
                shown, f"expected a YAML list of profile records, got a {node.id}", node.start_mark.line + 1
            )
        # One record at a time: a value PyYAML cannot construct (a date like 2019-13-01, ``!!int x``)
        # is then that record's problem, reported with its line like any other bad record.
        for item_node in node.value:
            line = item_node.start_mark.line + 1
            try:
                yield RawRecord(line, data=loader.construct_document(item_node))
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                problem = ": ".join(part for part in (exc.context, exc.problem) if part)
                yield RawRecord(yaml_mark_line(mark, text) if mark else line, error=f"invalid YAML: {problem}")
            except (yaml.YAMLError, *YAML_VALUE_ERRORS) as exc:
                where = yaml_value_error_line(loader, item_node)
                yield RawRecord(where, error=f"invalid YAML value: {exc}")
    finally:
        loader.dispose()


def iter_profile_records(path: str | os.PathLike[str]) -> Iterator[RawRecord]:
    """Parse a profile file into raw records (line number + data, or a per-line syntax error).

    Raises :class:`ProfileFileError` for problems that concern the whole file: missing, a directory,
    unknown extension, not UTF-8, invalid JSON list or YAML document.
    """
    shown = os.fspath(path)
    file = Path(shown)
    text = _read_text(file, shown)
    suffix = file.suffix.lower()
    if suffix == ".jsonl":
        return _jsonl_records(text)
    if suffix == ".json":
        return _json_list_records(text, shown)
    return _yaml_records(text, shown)


def _type_name(value: Any) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "record"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            problems.append(f"missing field {field!r}")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unknown field {field!r}")
        elif error["type"] == "value_error":  # our own validators already quote the value
            problems.append(f"field {field!r}: {message}")
        else:
            shown = repr(error["input"])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            problems.append(f"field {field!r}: {message} (got {shown})")
    return "; ".join(problems)


def profile_from_record(data: Any) -> Profile:
    """Validate one record (official or native, detected by its keys) into a :class:`Profile`.

    Raises ``ValueError`` with a one-line description of every problem in the record.
    """
    if not isinstance(data, dict):
        raise ValueError(f"expected an object with profile fields, got {_type_name(data)}")
    record = {str(key): value for key, value in data.items()}
    record_format = detect_record_format(set(record))
    try:
        if record_format == "official":
            return official_to_profile(OfficialRecord.model_validate(record))
        if "language" not in record:
            text = "".join(
                record.get(key) or ""
                for key in ("persona", "scene", "task")
                if isinstance(record.get(key), str)
            )
            record["language"] = detect_language(text)
        return Profile.model_validate(record)
    except ValidationError as exc:
        raise ValueError(_describe_validation_error(exc)) from None


def load_profiles(source: str | os.PathLike[str]) -> list[Profile]:
    """Load every profile of a file (``.jsonl``, ``.json``, ``.yaml``/``.yml``) or ``builtin:NAME``.

    Raises :class:`ProfileFileError` (a :class:`ProfileError`) listing every bad record as
    ``PATH:LINE: problem`` (bad JSON, missing field, wrong type or value, duplicate id), or naming the
    file for whole-file problems (missing, empty, not UTF-8, unknown extension).
    """
    path = resolve_source(source)
    shown = os.fspath(source) if not os.fspath(source).startswith(BUILTIN_PREFIX) else os.fspath(path)
    profiles: list[Profile] = []
    issues: list[ProfileIssue] = []
    first_line_of_id: dict[str, int] = {}
    n_records = 0
    for raw in iter_profile_records(path):
        n_records += 1
        if raw.error is not None:
            issues.append(ProfileIssue(shown, raw.line, raw.error))
            continue
        try:
            profile = profile_from_record(raw.data)
        except ValueError as exc:
            issues.append(ProfileIssue(shown, raw.line, str(exc)))
            continue
        if profile.id in first_line_of_id:
            first = first_line_of_id[profile.id]
            issues.append(
                ProfileIssue(shown, raw.line, f"duplicate id {profile.id!r} (first used at line {first})")
            )
            continue
        first_line_of_id[profile.id] = raw.line
        profiles.append(profile)
    if issues:
        raise ProfileFileError(shown, issues, n_records)
    if n_records == 0:
        raise _fail(shown, "file is empty: no profile records")
    return profiles


def profile_to_record(profile: Profile, format: FileFormat = "native") -> dict[str, Any]:
    """The JSON-ready record of one profile in the native or the official format."""
    if format == "official":
        return profile_to_official(profile)
    return profile.model_dump(mode="json", exclude_none=True)


class _BlockStringDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Writes multi-line strings as ``|`` blocks so that scenes stay readable in YAML."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStringDumper.add_representer(str, _represent_str)


def write_profiles(
    path: str | os.PathLike[str], profiles: Iterable[Profile], format: FileFormat = "native"
) -> Path:
    """Write ``profiles`` atomically; the extension picks JSONL, JSON or YAML (official: JSONL only).

    Raises :class:`ProfileError` for duplicate ids or a profile the format cannot hold, and
    :class:`ConfigError` for an unknown format or extension.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if format not in ("native", "official"):
        raise ConfigError(f"unknown profile format {format!r} (expected 'native' or 'official')")
    if suffix not in PROFILE_EXTENSIONS:
        raise ConfigError(
            f"{target}: unknown profile file extension {suffix or '(none)'!r} (expected .jsonl, .json, .yaml or .yml)"
        )
    if format == "official" and suffix != ".jsonl":
        raise ConfigError(f"{target}: the official format is JSONL; use a .jsonl file")
    records, seen = [], set()
    for profile in profiles:
        if profile.id in seen:
            raise ProfileError(f"{target}: duplicate id {profile.id!r}; ids must be unique in a file")
        seen.add(profile.id)
        try:
            records.append(profile_to_record(profile, format))
        except ValueError as exc:
            raise ProfileError(f"{target}: {exc}") from None
    if suffix == ".jsonl":
        text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    elif suffix == ".json":
        text = json.dumps(records, ensure_ascii=False, indent=2) + "\n"
    else:
        text = yaml.dump(records, Dumper=_BlockStringDumper, allow_unicode=True, sort_keys=False, width=100)
    atomic_write_text(target, text)
    return target
