"""Recorded SAGE dialogues: the policy replies a real Sentient Agent (DeepSeek-V3) appraised.

Two formats are read, plain or gzip-compressed (``.gz``):

* a SAGE result file (``<model>_result.jsonl`` in Tencent/digitalhuman, MIT): one dialogue a line
  with ``id``, ``emo_point`` and ``history``; each user message after a policy reply carries the
  appraisal (``planning.change``) and the emotion after it (``emotion-point``);
* rlver's compact extract of those files (``data/sage/dialogues.jsonl.gz``): one dialogue a line
  with ``model``, ``id``, ``profile``, ``emo_point`` and ``messages`` (``role``, ``content``, and on
  user messages ``emotion``, plus ``change`` after a policy reply). Nothing else is kept.

:func:`recorded_turns` flattens dialogues into :class:`RecordedTurn` rows: one per appraised policy
reply, with the conversation before it, which is what the calibration replays.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "RecordedDialogue",
    "RecordedTurn",
    "compact_record",
    "model_from_path",
    "read_dialogues",
    "recorded_turns",
    "write_jsonl_gz",
]

_RESULT_SUFFIX = "_result"


@dataclass(frozen=True)
class RecordedDialogue:
    """One recorded SAGE dialogue."""

    model: str
    """The policy model that wrote the replies (``gpt-4.1``, ``claude3.7``...)."""
    id: str
    """SAGE's dialogue id (the profile's id in the published files)."""
    profile: str
    """Id of the profile the simulated user played."""
    emo_point: int
    """SAGE's recorded final emotion (what its published score averages)."""
    messages: tuple[dict[str, Any], ...]
    """``{"role", "content"}`` in order; user messages add ``emotion`` and, after a reply, ``change``."""


@dataclass(frozen=True)
class RecordedTurn:
    """One appraised policy reply with everything before it."""

    model: str
    """The policy model."""
    dialogue: str
    """Dialogue id."""
    profile: str
    """Profile id."""
    turn: int
    """1-based index of this policy reply in its dialogue."""
    reply: str
    """The policy reply that was appraised."""
    history: tuple[tuple[str, str], ...]
    """``(role, content)`` of every message before the reply (starts with the user's opening)."""
    change: int
    """The change DeepSeek-V3 wrote for this reply."""
    emotion_before: int
    """The recorded emotion before the reply."""


def model_from_path(path: str | Path) -> str:
    """``.../gpt-4.1_result.jsonl`` -> ``gpt-4.1`` (the file name less suffixes and ``_result``)."""
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name.removesuffix(_RESULT_SUFFIX)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        raw = gzip.decompress(raw)
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), start=1):
        if line.strip():
            yield number, line


def compact_record(record: dict[str, Any], model: str) -> RecordedDialogue:
    """A SAGE result record (or a compact one) as a :class:`RecordedDialogue`.

    Raises ``ValueError`` when the record has no ``history``/``messages`` list.
    """
    if "messages" in record:  # already compact
        return RecordedDialogue(
            model=str(record.get("model") or model),
            id=str(record["id"]),
            profile=str(record.get("profile") or record["id"]),
            emo_point=int(record["emo_point"]),
            messages=tuple(record["messages"]),
        )
    history = record.get("history")
    if not isinstance(history, list) or not history:
        raise ValueError("missing or empty 'history'")
    messages: list[dict[str, Any]] = []
    after_reply = False
    for message in history:
        role, content = message.get("role"), message.get("content")
        if role not in ("user", "assistant") or not isinstance(content, str):
            raise ValueError(f"unexpected message {str(message)[:80]!r}")
        row: dict[str, Any] = {"role": role, "content": content}
        if role == "user":
            row["emotion"] = int(message.get("emotion-point", 40))
            planning = message.get("planning")
            if after_reply and isinstance(planning, dict) and planning.get("change") is not None:
                row["change"] = round(float(planning["change"]))
        messages.append(row)
        after_reply = role == "assistant"
    last_emotion = next(m["emotion"] for m in reversed(messages) if m["role"] == "user")
    return RecordedDialogue(
        model=model,
        id=str(record["id"]),
        profile=str(record.get("profile") or record["id"]),
        emo_point=int(record.get("emo_point", last_emotion)),
        messages=tuple(messages),
    )


def read_dialogues(paths: Iterable[str | Path]) -> list[RecordedDialogue]:
    """Every dialogue in ``paths`` (SAGE result files or compact extracts, plain or gzip).

    A SAGE result file names its model in the file name (``gpt-4.1_result.jsonl``); a compact
    record names it itself. Raises ``ValueError`` naming ``FILE:LINE`` for a malformed line.
    """
    out: list[RecordedDialogue] = []
    for path in map(Path, paths):
        model = model_from_path(path)
        for number, line in _lines(path):
            try:
                out.append(compact_record(json.loads(line), model))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: {exc}") from None
    return out


def recorded_turns(dialogues: Sequence[RecordedDialogue]) -> list[RecordedTurn]:
    """One :class:`RecordedTurn` per appraised policy reply, in dialogue order."""
    turns: list[RecordedTurn] = []
    for dialogue in dialogues:
        messages = dialogue.messages
        emotion, turn = 40, 0
        for index, message in enumerate(messages):
            if message["role"] == "user":
                emotion = int(message.get("emotion", emotion))
                continue
            turn += 1
            following = messages[index + 1] if index + 1 < len(messages) else None
            if following is None or "change" not in following:
                continue  # SAGE never appraises the reply at its turn limit
            turns.append(
                RecordedTurn(
                    model=dialogue.model,
                    dialogue=dialogue.id,
                    profile=dialogue.profile,
                    turn=turn,
                    reply=message["content"],
                    history=tuple((m["role"], m["content"]) for m in messages[:index]),
                    change=int(following["change"]),
                    emotion_before=emotion,
                )
            )
    return turns


def write_jsonl_gz(path: str | Path, rows: Iterable[dict[str, Any]]) -> Path:
    """Write rows as gzip-compressed JSONL, byte-identical for identical rows (no timestamp)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as handle:
        for row in rows:
            handle.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    path.write_bytes(buffer.getvalue())
    return path
