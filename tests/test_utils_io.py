"""The one atomic-write helper: readers see the old file or the new one, never half, never a temp file."""

from __future__ import annotations

import stat

import pytest

from rlver.utils.io import atomic_path, atomic_write_bytes, atomic_write_text


def test_write_replaces_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "sub" / "a.txt"
    atomic_write_text(target, "one\n")
    atomic_write_text(target, "two\nlines\n")
    assert target.read_bytes() == b"two\nlines\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.txt"]


def test_new_files_get_0644_and_existing_modes_are_kept(tmp_path):
    fresh = tmp_path / "fresh.bin"
    atomic_write_bytes(fresh, b"\x00\x01")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644
    fresh.chmod(0o600)
    atomic_write_bytes(fresh, b"\x02")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert fresh.read_bytes() == b"\x02"


def test_a_failing_writer_keeps_the_old_file_and_removes_its_temp(tmp_path):
    target = tmp_path / "keep.json"
    atomic_write_text(target, '{"v": 1}\n')
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"v": 2, "trunc', encoding="utf-8")
            raise RuntimeError("writer crashed")
    assert target.read_text(encoding="utf-8") == '{"v": 1}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


def test_text_is_written_with_unix_line_ends(tmp_path):
    target = tmp_path / "t.txt"
    atomic_write_text(target, "a\nb\n")
    assert target.read_bytes() == b"a\nb\n"
