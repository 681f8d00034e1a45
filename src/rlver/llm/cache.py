"""On-disk response cache: the deterministic mode for verifiable rewards.

Every chat request is reduced to a canonical JSON *fingerprint* (endpoint, model, messages, every
sampling parameter including ``seed`` and ``temperature``, and ``extra_body``) and keyed by its
sha256. A rerun of the same dialogue with the same settings then reads every simulator appraisal
from disk instead of asking the endpoint again, so its emotion scores are reproduced exactly even
when the endpoint itself is not deterministic.

The API key is never part of the fingerprint (it does not change the answer, and it must never
reach a file). Credentials embedded in the base URL (``https://user:pass@host``) are stripped too.

Layout: ``ROOT/ab/abcdef….json``, one file per entry, sharded by the first two hex digits so no
directory grows past a few thousand files. Writes are atomic (temp file + ``os.replace``), so a
crash never leaves half an entry; an entry that is unreadable anyway (disk trouble, a hand edit)
is ignored with a warning and rewritten on the next successful call.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from rlver.llm.types import Message, SamplingParams
from rlver.utils.io import atomic_write_text

__all__ = ["CacheEntry", "ResponseCache", "fingerprint_key", "redact_url", "request_fingerprint"]

logger = logging.getLogger(__name__)

_FORMAT_VERSION = 1
"""Bumped when the fingerprint layout changes, so old entries can never answer new requests."""


def redact_url(url: str) -> str:
    """``url`` without user info (``user:pass@``) and without a trailing slash; safe to log.

    >>> redact_url("https://me:secret@api.example.com/v1/")
    'https://api.example.com/v1'
    """
    parts = urlsplit(url.strip())
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip("/")


def request_fingerprint(
    base_url: str,
    model: str,
    messages: Sequence[Message],
    params: SamplingParams,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything that can change an endpoint's answer, as plain JSON data (no secrets).

    Floats are normalised (``0`` and ``0.0`` are the same temperature) and unset parameters are
    kept as ``null`` so that "endpoint default" and an explicit value never collide.
    """
    return {
        "version": _FORMAT_VERSION,
        "base_url": redact_url(base_url),
        "model": model,
        "messages": [m.to_dict() for m in messages],
        "sampling": {
            "temperature": float(params.temperature),
            "seed": params.seed,
            "max_tokens": params.max_tokens,
            "top_p": None if params.top_p is None else float(params.top_p),
            "stop": list(params.stop),
        },
        "extra_body": dict(extra_body or {}),
    }


def fingerprint_key(fingerprint: Mapping[str, Any]) -> str:
    """sha256 hex digest of the canonical JSON of ``fingerprint`` (sorted keys, no spaces)."""
    canonical = json.dumps(fingerprint, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """One stored answer, with the request that produced it (for auditing a rerun)."""

    key: str
    """sha256 of the request fingerprint; also the file name."""
    response: str
    """The assistant's reply text exactly as the endpoint returned it."""
    request: dict[str, Any]
    """The request fingerprint (endpoint, model, messages, sampling, extra_body)."""


class ResponseCache:
    """A directory of cached chat answers, keyed by request fingerprint."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.root)!r})"

    def path_for(self, key: str) -> Path:
        """Where the entry for ``key`` lives: ``ROOT/<first two hex digits>/<key>.json``."""
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError(f"not a sha256 hex key: {key!r}")
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> str | None:
        """The cached reply for ``key``, or ``None`` on a miss or an unreadable entry."""
        entry = self.get_entry(key)
        return None if entry is None else entry.response

    def get_entry(self, key: str) -> CacheEntry | None:
        """The full cached entry for ``key``; unreadable entries are logged and treated as misses."""
        path = self.path_for(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("ignoring unreadable cache entry %s: %s", path, exc)
            return None
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            logger.warning("ignoring corrupt cache entry %s:%d: %s", path, exc.lineno, exc.msg)
            return None
        if (
            not isinstance(data, dict)
            or data.get("key") != key
            or not isinstance(data.get("response"), str)
            or not isinstance(data.get("request"), dict)
        ):
            logger.warning("ignoring malformed cache entry %s: missing or mismatched fields", path)
            return None
        return CacheEntry(key=key, response=data["response"], request=data["request"])

    def put(self, key: str, response: str, request: Mapping[str, Any]) -> Path:
        """Store ``response`` for ``key`` atomically; returns the entry's path."""
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"key": key, "response": response, "request": dict(request)}, ensure_ascii=False, indent=1
        )
        # Concurrent writers of the same key each rename a complete file; the last one wins.
        atomic_write_text(path, payload)
        return path

    def __len__(self) -> int:
        """Number of stored entries (walks the directory; meant for tests and reports)."""
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))
