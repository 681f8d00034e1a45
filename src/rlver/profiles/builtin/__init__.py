"""Built-in English simulated-user profile sets: ``builtin:train`` (312) and ``builtin:test`` (72).

Only the shipped JSONL in ``data/`` is read here. The sets are composed from hand-written parts
(personas, life events, the eight hidden needs, the three character types) kept as YAML in the
build tools, :mod:`rlver.build.builtin_profiles`, and rebuilt with
``scripts/build_builtin_profiles.py``; nothing here imports them. The test set shares no persona,
name or event with the training set, so a benchmark on it measures generalisation. See
docs/builtin-profiles.md.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from rlver.errors import ProfileError
from rlver.profiles.schema import Profile

__all__ = ["BUILTIN_SETS", "builtin_path", "load_builtin"]

BUILTIN_SETS: tuple[str, ...] = ("train", "test")
"""Names accepted by :func:`builtin_path` (``builtin:<name>`` in the loaders and the CLI)."""

_DATA_DIR = Path(__file__).resolve().parent / "data"


def builtin_path(name: str) -> Path:
    """Path of the shipped JSONL file of built-in set ``name``."""
    if name not in BUILTIN_SETS:
        raise ProfileError(f"unknown built-in profile set {name!r}; valid names: {', '.join(BUILTIN_SETS)}")
    return _DATA_DIR / f"{name}.jsonl"


def load_builtin(name: str) -> list[Profile]:
    """Read a built-in set. A malformed line raises :class:`ProfileError` naming ``PATH:LINE``."""
    path = builtin_path(name)
    profiles: list[Profile] = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                profiles.append(Profile.model_validate_json(line))
            except ValidationError as exc:
                raise ProfileError(f"{path}:{line_no}: invalid profile: {exc}") from exc
    return profiles
