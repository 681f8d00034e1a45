"""Crash-safe file writing: a reader never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = [
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "atomic_write_json",
    "atomic_write_jsonl",
    "read_jsonl_tolerant",
    "JsonlAppender",
]


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed over ``path``.

    For writers that want a path or a handle of their own (matplotlib, pyarrow, an open file): a
    reader sees the old file or the new one, never half of one, and a failure leaves no temp file.
    The file keeps an existing target's permissions; a new one gets 0644 (mkstemp would leave 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8, ``\\n`` line ends) atomically: see :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: see :func:`atomic_path`."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; new files get 0644."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        return 0o644


def atomic_write_json(path: str | Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def atomic_write_jsonl(path: str | Path, rows: Iterable[Any]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_jsonl_tolerant(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of a JSONL file written by :class:`JsonlAppender`, and how many trailing bad lines were dropped.

    Only a truncated *last* line (a crash mid-append) is tolerated; a bad line elsewhere raises
    ``ValueError`` naming ``PATH:LINE``.
    """
    path = Path(path)
    if not path.exists():
        return [], 0
    # split("\n"), not splitlines(): U+2028 inside a JSON string is not a line break.
    lines = path.read_text(encoding="utf-8").split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines):
                return rows, 1
            raise ValueError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
    return rows, 0


class JsonlAppender:
    """Append one JSON object per line, flushed and fsynced, so a crash loses at most the last line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")

    def write(self, row: Any) -> None:
        self._handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        self._handle.close()

    def __enter__(self) -> "JsonlAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
