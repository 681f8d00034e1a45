"""``rlver profiles`` validate / list / show / stats, through typer's CliRunner and the real entry point."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from rlver.cli.profiles import register

DATA = Path(__file__).parent / "data"
OFFICIAL = str(DATA / "official_zh.jsonl")
NATIVE = str(DATA / "native.yaml")
RLVER = Path(sys.executable).parent / "rlver"


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    # Only this module's commands: the test does not depend on other command groups importing cleanly.
    app = typer.Typer()
    register(app)
    return app


def invoke(app, *args: str):
    return CliRunner().invoke(app, ["profiles", *args])


def test_validate_prints_count_and_breakdowns(app):
    result = invoke(app, "validate", OFFICIAL)
    assert result.exit_code == 0, result.output
    assert f"ok: {OFFICIAL}: 3 profiles" in result.stdout
    assert re.search(r"│ negative\s+│\s+1 │\s+33% │", result.stdout)
    assert re.search(r"│ venting\s+│\s+1 │", result.stdout) and re.search(
        r"│ analysis\s+│\s+0 │", result.stdout
    )
    assert result.stderr == ""


def test_validate_malformed_file_exits_2_with_path_and_line(app, tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"id": "a", "persona": "p", "scene": "s", "task": "t"}
    path.write_text(
        json.dumps(good) + "\n" + json.dumps({**good, "character": "angry"}) + "\n{oops\n", encoding="utf-8"
    )
    result = invoke(app, "validate", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        f"error: {path}:2: field 'character': Input should be 'negative', 'passive' or 'avoidant' (got 'angry')"
    )
    assert lines[1] == f"{path}:3: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
    assert lines[2] == f"{path}: 2 problems in 3 records; no profiles were loaded"
    assert result.stdout == ""


def test_validate_missing_file(app, tmp_path):
    result = invoke(app, "validate", str(tmp_path / "nope.jsonl"))
    assert (
        result.exit_code == 2 and result.stderr.strip() == f"error: {tmp_path / 'nope.jsonl'}: no such file"
    )


def ids(result) -> list[str]:
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_list_filters_and_limits(app):
    everything = invoke(app, "list", OFFICIAL, "--format", "jsonl")
    assert everything.exit_code == 0 and len(ids(everything)) == 3
    assert ids(invoke(app, "list", OFFICIAL, "--need", "venting", "--format", "jsonl")) == [
        "6f1c2a7e-3b1d-4c55-9a43-0d1e5b7c9a01"
    ]
    assert ids(invoke(app, "list", OFFICIAL, "--character", "AVOIDANT", "--format", "jsonl")) == [
        "c7a3f1e8-2d4b-4e9a-b6c5-8f0d2e1a4b03"
    ]
    assert ids(invoke(app, "list", NATIVE, "--limit", "1", "--format", "jsonl")) == ["maya-01"]
    assert (
        ids(invoke(app, "list", NATIVE, "--need", "praise", "--character", "avoidant", "--format", "jsonl"))
        == []
    )
    table = invoke(app, "list", NATIVE, "--limit", "1")
    assert (
        table.exit_code == 0
        and "1 of 2 matching profiles (2 in total)" in table.stdout
        and "maya-01" in table.stdout
    )
    assert invoke(app, "list", NATIVE, "--need", "kindness").exit_code == 2  # not one of the eight needs


def test_show_one_profile_and_unknown_id(app):
    result = invoke(app, "show", NATIVE, "maya-01")
    assert result.exit_code == 0
    for text in (
        "Maya Okafor",
        "people-pleasing, anxious, shy",
        "praise",
        "Long week. I did two extra nights",
    ):
        assert text in result.stdout
    missing = invoke(app, "show", NATIVE, "maya-1")
    assert missing.exit_code == 2
    assert (
        missing.stderr.strip()
        == f"error: no profile with id 'maya-1' in {NATIVE} (2 profiles); did you mean maya-01?"
    )


def test_stats(app):
    result = invoke(app, "stats", OFFICIAL, "--top-traits", "2")
    assert result.exit_code == 0
    assert f"{OFFICIAL}: 3 profiles, 2 with a scripted opening line" in result.stdout
    assert re.search(r"│ zh\s+│\s+3 │\s+100% │", result.stdout)
    assert "Traits (top 2 of 9)" in result.stdout


@pytest.mark.parametrize("command", [[], ["validate"], ["list"], ["show"], ["stats"], ["generate"]])
def test_every_command_has_help(app, command):
    result = invoke(app, *command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout
    if command:
        assert len(result.stdout.strip().splitlines()) > 5


def test_real_entry_point(tmp_path):
    ok = subprocess.run(
        [str(RLVER), "profiles", "validate", NATIVE], capture_output=True, text=True, timeout=120, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert f"ok: {NATIVE}: 2 profiles" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("- id: a\n  persona: p\n  scene: s\n", encoding="utf-8")
    failed = subprocess.run(
        [str(RLVER), "profiles", "validate", str(bad)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert failed.returncode == 2
    assert failed.stderr.strip() == f"error: {bad}:1: missing field 'task'"


def test_profile_text_is_printed_literally_never_as_markup(app, tmp_path):
    path = tmp_path / "p.jsonl"
    record = {
        "id": "x:smile:",
        "persona": "[bold]Ann[/bold] :smile:",
        "scene": "s",
        "task": "t",
        "first_talk": "[laughs] fine :thumbs_up:",
    }
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    shown = invoke(app, "show", str(path), "x:smile:")
    assert shown.exit_code == 0
    assert "[bold]Ann[/bold] :smile:" in shown.stdout and "[laughs] fine :thumbs_up:" in shown.stdout
    listed = invoke(app, "list", str(path))
    assert "x:smile:" in listed.stdout and "[laughs] fine :thumbs_up:" in listed.stdout
