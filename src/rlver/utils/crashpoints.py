"""Test-only fault points: kill this process (or fail a write) at a named point of a run.

Crash-safety tests and ``benchmarks/crash_resume.py`` must stop a run at an exact place (mid-rollout,
mid-update, between two files of a checkpoint, halfway through a JSONL line) without sleeping and
hoping. The code calls :func:`crash_point` at those places; it does nothing unless the environment
variable ``RLVER_CRASH_AT`` names that point and step:

    RLVER_CRASH_AT=checkpoint.files:3          SIGKILL at point ``checkpoint.files`` of step 3
    RLVER_CRASH_AT=checkpoint.files:3:ENOSPC   raise OSError(ENOSPC) there instead of dying

Points (``step`` is the training step, or a count where there is none):

====================  ==========================================================================
``rollout``           trainer: a dialogue of the step has ended, the others are still running
``update``            trainer: old log-probs scored, the optimizer step not yet taken
``checkpoint.files``  checkpoint: the policy written into the temporary folder, the rest not yet
``checkpoint.rename`` checkpoint: folder renamed into place, ``latest`` not yet updated
``bench.dialogue``    benchmark: ``step`` dialogues are on disk (this run and the runs before)
``append.<stem>``     ``JsonlAppender`` of ``<stem>.jsonl``: half of its ``step``-th line is on disk
====================  ==========================================================================

Not an API: nothing outside tests should set the variable. Reading it is one dictionary look-up,
so the calls cost nothing in a normal run.
"""

from __future__ import annotations

import errno
import os
import signal

__all__ = ["CRASH_ENV", "crash_armed", "crash_point"]

CRASH_ENV = "RLVER_CRASH_AT"


def _target() -> tuple[str, int, str | None] | None:
    """``(point, step, errno name or None)`` from ``RLVER_CRASH_AT``, or None when unset or malformed."""
    spec = os.environ.get(CRASH_ENV)
    if not spec:
        return None
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[1].isdigit():
        return None  # a typo must not kill a real run at a random place
    return parts[0], int(parts[1]), parts[2] if len(parts) == 3 else None


def crash_armed(name: str, step: int) -> bool:
    """True when ``RLVER_CRASH_AT`` names this point and step (for writers that must prepare the
    crash, e.g. leave half a line on disk first)."""
    target = _target()
    return target is not None and target[0] == name and target[1] == step


def crash_point(name: str, step: int, path: str | os.PathLike[str] | None = None) -> None:
    """SIGKILL this process when ``RLVER_CRASH_AT`` is ``name:step``; raise ``OSError(code, ...,
    path)`` when it is ``name:step:CODE`` (e.g. ``ENOSPC``, ``EROFS``). Otherwise nothing."""
    target = _target()
    if target is None or target[0] != name or target[1] != step:
        return
    code_name = target[2]
    if code_name is None:
        # SIGKILL, not sys.exit or an exception: no finally block, atexit hook or buffered flush
        # may run, exactly as when the OOM killer or `kill -9` ends a run.
        os.kill(os.getpid(), signal.SIGKILL)
    codes = {symbol: number for number, symbol in errno.errorcode.items()}
    if code_name not in codes:
        raise ValueError(f"{CRASH_ENV}={os.environ[CRASH_ENV]!r}: {code_name!r} is not an errno name")
    code = codes[code_name]
    raise OSError(code, os.strerror(code), None if path is None else os.fspath(path))
