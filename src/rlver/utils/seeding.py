"""Stable seeds derived from names: the same parts give the same seed in every process and run.

Python's ``hash`` is salted per process, so seeds are cut from a SHA-256 digest instead. Every seed
rlver derives (profiles per step, simulator per dialogue, policy sampling per dialogue and turn)
comes from :func:`derive_seed`, so a run is reproducible whatever the order of its requests.
"""

from __future__ import annotations

import hashlib

__all__ = ["SEED_SPACE_31", "derive_seed", "derive_seed31"]

SEED_SPACE_31 = 2**31
"""Seeds below this fit every endpoint's and sampler's seed field (some reject values >= 2**31)."""


def derive_seed(*parts: object) -> int:
    """A stable 63-bit seed from any parts.

    >>> derive_seed(0, "policy", 3) == derive_seed(0, "policy", 3)
    True
    >>> derive_seed(0, "policy", 3) != derive_seed(0, "policy", 4)
    True
    """
    digest = hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def derive_seed31(*parts: object) -> int:
    """:func:`derive_seed` folded into [0, 2**31), for seed fields of endpoints and samplers."""
    return derive_seed(*parts) % SEED_SPACE_31
