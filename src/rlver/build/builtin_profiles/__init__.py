"""Build the built-in profile sets (``builtin:train``, ``builtin:test``) from hand-written parts.

:mod:`.parts` reads and validates the part files (``parts/*.yaml``: personas, life events, the
eight hidden needs, the three character types); :mod:`.compose` pairs them deterministically and
renders each pairing into a ``Profile``. ``scripts/build_builtin_profiles.py`` writes the result to
``rlver/profiles/builtin/data/*.jsonl``, which is all the library reads at run time.
"""

from rlver.build.builtin_profiles.compose import (
    SET_SPECS,
    ProfileParts,
    build_set,
    parts_of,
    to_jsonl,
    write_jsonl,
)
from rlver.build.builtin_profiles.parts import Parts, load_parts

__all__ = [
    "SET_SPECS",
    "Parts",
    "ProfileParts",
    "build_set",
    "load_parts",
    "parts_of",
    "to_jsonl",
    "write_jsonl",
]
