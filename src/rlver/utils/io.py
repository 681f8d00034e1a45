"""Crash-safe file writing: a reader never sees a half-written file, and a write that fails for
lack of space or permission is one :class:`WriteError` line naming the path and the reason."""

from __future__ import annotations

import errno
import json
import os
import re
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from rlver.errors import InputError, RunFailed
from rlver.utils.crashpoints import crash_armed, crash_point

__all__ = [
    "YAML_VALUE_ERRORS",
    "JsonlAppender",
    "JsonlRows",
    "StateFileError",
    "WriteError",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_jsonl",
    "atomic_write_text",
    "loads_json",
    "os_error_behind",
    "parse_jsonl",
    "read_jsonl_tolerant",
    "writing",
    "yaml_mark_line",
    "yaml_value_error_line",
]


_REASONS = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
# Errors that say "the disk refused", whoever raised them; anything else inside a writer's own code
# (a missing input file, a bug) passes through unchanged.
_DISK_ERRNOS = frozenset({*_REASONS, errno.EIO, errno.EFBIG})


class WriteError(RunFailed, OSError):
    """A file could not be written (no space, read-only, no permission): one line naming the path
    and the reason; the CLI exits 1. Also an ``OSError``, so code that tolerates failed writes (a
    cache) still catches it."""

    def __init__(self, message: str, code: int | None = None, path: str | Path | None = None) -> None:
        super().__init__(message)
        self.errno = code
        self.filename = None if path is None else str(path)

    def __str__(self) -> str:  # OSError would print "[Errno 28] ..." instead of the message
        return str(self.args[0])


def os_error_behind(exc: BaseException) -> OSError | None:
    """The ``OSError`` that made a writer fail: ``exc`` itself, one in its cause/context chain (torch
    raises ``RuntimeError`` from a failed ``write``), or the ``os error N`` that Rust-backed writers
    (safetensors) put in their message. None when the failure had nothing to do with the OS."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, OSError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    match = re.search(r"os error (\d+)", str(exc))
    if match:
        code = int(match.group(1))
        return OSError(code, os.strerror(code))
    return None


def _reason(error: OSError) -> str:
    if error.errno in _REASONS:
        return _REASONS[error.errno]
    return (error.strerror or str(error) or type(error).__name__).lower()


@contextmanager
def writing(path: str | Path, what: str | None = None, hint: str = "") -> Iterator[None]:
    """Turn a disk failure inside the block into one :class:`WriteError`:
    ``cannot write WHAT (or PATH): REASON[; HINT]``. Other exceptions pass through unchanged."""
    try:
        yield
    except WriteError:
        raise
    except Exception as exc:  # only OS failures are translated; anything else is re-raised as it was
        error = os_error_behind(exc)
        if error is None:
            raise
        message = f"cannot write {what or path}: {_reason(error)}" + (f"; {hint}" if hint else "")
        raise WriteError(message, error.errno, path) from exc


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed over ``path``.

    For writers that want a path or a handle of their own (matplotlib, pyarrow, an open file): a
    reader sees the old file or the new one, never half of one, and a failure leaves no temp file.
    The file keeps an existing target's permissions; a new one gets 0644 (mkstemp would leave 0600).
    """
    path = Path(path)
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            yield tmp
        except OSError as exc:
            # The caller's own writer ran out of space or permission: name the target. Its other
            # OSErrors (a missing input, say) are not about this path and pass through.
            if exc.errno in _DISK_ERRNOS and not isinstance(exc, WriteError):
                raise WriteError(f"cannot write {path}: {_reason(exc)}", exc.errno, path) from exc
            raise
        with writing(path):
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


class StateFileError(InputError, ValueError):
    """A JSON or JSONL file that rlver wrote earlier (transcripts, metrics, a resume file) is damaged
    beyond a truncated last line; the message names ``PATH:LINE``. Also a ``ValueError``, which is
    what :func:`read_jsonl_tolerant` raised before it had a type of its own."""


def loads_json(text: str) -> Any:
    """``json.loads`` whose every failure is a ``json.JSONDecodeError`` (with a position).

    Python's parser also raises a plain ``ValueError`` for an integer of more than 4300 digits and a
    ``RecursionError`` for arrays nested about a thousand deep: callers that catch
    ``JSONDecodeError`` would let both escape as tracebacks.
    """
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer longer than sys.get_int_max_str_digits()
        limit = sys.get_int_max_str_digits()
        match = re.search(rf"\d{{{limit + 1},}}", text) if limit else None
        position = match.start() if match else 0
        raise json.JSONDecodeError(f"number of more than {limit} digits", text, position) from None
    except RecursionError:
        raise json.JSONDecodeError("arrays or objects nested too deeply", text, 0) from None


@dataclass(frozen=True)
class JsonlRows:
    """The objects of a JSONL file, the 1-based line each came from, and how many trailing bad lines
    were dropped (0 or 1)."""

    rows: list[dict[str, Any]]
    lines: list[int]
    dropped: int


def parse_jsonl(data: bytes, path: str | Path, *, tolerate_truncated_tail: bool = True) -> JsonlRows:
    """The objects of JSONL ``data`` read from ``path``.

    Lines are split on ``\\n`` bytes and decoded one by one: U+2028 or U+0085 inside a JSON string is
    not a line break, and a crash that cut the last line inside a multi-byte character spoils only
    that line. With ``tolerate_truncated_tail`` a bad *last* line (a crash mid-append) is dropped;
    any other bad line (invalid UTF-8 or JSON, not an object) raises :class:`StateFileError` naming
    ``PATH:LINE``. A UTF-8 BOM and CRLF line ends are accepted.
    """
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            row = loads_json(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            problem = f"not UTF-8 text ({exc.reason} at byte {exc.start + 1} of the line)"
        except json.JSONDecodeError as exc:
            problem = f"invalid JSON ({exc.msg})"
        else:
            if isinstance(row, dict):
                rows.append(row)
                numbers.append(number)
                continue
            problem = f"expected a JSON object, got {_json_type(row)}"
        if tolerate_truncated_tail and number == len(lines):
            return JsonlRows(rows, numbers, 1)
        raise StateFileError(f"{path}:{number}: {problem}")
    return JsonlRows(rows, numbers, 0)


def _json_type(value: Any) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


YAML_VALUE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    RecursionError,
)
"""What PyYAML's safe loaders raise besides ``yaml.YAMLError`` on malformed input: its constructors
convert scalars with plain Python (``!!int x``: ValueError, ``!!bool x``: KeyError, ``!!timestamp x``:
AttributeError, the date ``2019-13-01``: ValueError, an integer of 5000 digits: ValueError), and the
pure-Python composer recurses once per nesting level (RecursionError)."""


_YAML_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def yaml_mark_line(mark: Any, text: str) -> int:
    """The 1-based line of a PyYAML error mark in ``text``, at most the file's last line: libyaml
    places "unexpected end of stream" one line past a file without a final newline."""
    return min(int(mark.line) + 1, len(_YAML_BREAKS.split(text)))


def yaml_value_error_line(loader: Any, node: Any) -> int:
    """The 1-based line of the innermost node under ``node`` that ``loader`` cannot construct.

    Called after constructing ``node`` failed: PyYAML's constructor errors of
    :data:`YAML_VALUE_ERRORS` carry no position, so each child is constructed alone until the failing
    leaf is found (``node``'s own line when no child fails on its own).
    """
    import yaml  # lazy: the CLI starts without yaml

    def fails(child: Any) -> bool:
        # A failed construction leaves the constructor's caches half filled: start each try clean.
        loader.constructed_objects, loader.recursive_objects, loader.state_generators = {}, {}, []
        try:
            loader.construct_document(child)
        except (yaml.YAMLError, *YAML_VALUE_ERRORS):
            return True
        return False

    seen = {id(node)}  # aliases can make the node graph cyclic
    descended = True
    while descended:
        descended = False
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        for child in children:
            if id(child) not in seen and fails(child):
                seen.add(id(child))
                node, descended = child, True
                break
    return int(node.start_mark.line) + 1


def read_jsonl_tolerant(path: str | Path) -> tuple[list[dict[str, Any]], int]:
    """Rows of a JSONL file written by :class:`JsonlAppender`, and how many trailing bad lines were dropped.

    A missing file has no rows. Only a truncated *last* line (a crash mid-append) is tolerated; a
    bad line elsewhere, or an unreadable file, raises :class:`StateFileError` naming ``PATH:LINE``
    (see :func:`parse_jsonl`).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], 0
    except OSError as exc:
        raise StateFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    parsed = parse_jsonl(data, path)
    return parsed.rows, parsed.dropped


class JsonlAppender:
    """Append one JSON object per line, flushed and fsynced, so a crash loses at most the last line."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lines = 0  # lines appended by this object: the step of its test-only crash point
        with writing(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf-8")

    def write(self, row: Any) -> None:
        line = json.dumps(row, ensure_ascii=False) + "\n"
        self._lines += 1
        point = f"append.{self.path.stem}"
        with writing(self.path):
            if crash_armed(point, self._lines):  # test-only: die with half the line on disk
                self._handle.write(line[: len(line) // 2])
                self._handle.flush()
                os.fsync(self._handle.fileno())
                crash_point(point, self._lines, self.path)
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        # A buffer that a full disk refused is flushed again here: that failure gets the same line.
        with writing(self.path):
            self._handle.close()

    def __enter__(self) -> "JsonlAppender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
