"""Import result files of the official SAGE benchmark, so published models join rlver's leaderboard.

A SAGE result file is JSONL, one dialogue per line::

    {"id": "...", "emo_point": 72, "emo_state": "Emotion-A", "player": "...", "scene": "...",
     "character": "负面型", "task": "...",
     "history": [{"role": "user", "content": "...", "emotion-point": 40, "planning": {}},
                 {"role": "assistant", "content": "..."},
                 {"role": "user", "content": "...", "thinking": "...", "emotion-point": 46,
                  "planning": {"content": "...", "TargetCompletion": "...", "activity": "...",
                               "analyse": "...", "change": 6}}, ...]}

Each user message after an assistant message carries the appraisal of that assistant message
(``planning``) and the emotion after it (``emotion-point``). The converter rebuilds rlver's
transcript row (turns with appraisals, the emotion trajectory, ``final_emotion``, an inferred
``end_reason``) and the benchmark summary via :func:`rlver.bench.sentient.summarize`. The final
emotion is SAGE's own top-level ``emo_point`` (the number its published scores average), falling
back to the last ``emotion-point`` when absent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlver.bench.compare import ResultFileError
from rlver.simulator.base import says_goodbye
from rlver.simulator.presets import FAILURE_EMOTION, SUCCESS_EMOTION
from rlver.utils.io import atomic_write_json, atomic_write_jsonl, loads_json

__all__ = ["SageImportResult", "convert_sage_record", "import_sage"]

_EMOTION_KEYS = ("emotion-point", "emotion_point", "emo_point", "emotion")
_ID_KEYS = ("id", "index", "uuid", "profile_id")
_SAGE_INITIAL_EMOTION = 40
_SAGE_MAX_POLICY_TURNS = 10


@dataclass(frozen=True)
class SageImportResult:
    """What an import wrote and what it skipped."""

    out_dir: Path
    summary: dict[str, Any]
    imported: int
    skipped: tuple[str, ...]
    """``FILE:LINE: reason`` of every line skipped (only when skipping was asked for)."""


def _emotion_of(message: dict[str, Any]) -> int | None:
    for key in _EMOTION_KEYS:
        value = message.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise ValueError(f"{key!r} must be a number, got {type(value).__name__}")
        try:
            return int(round(float(value)))
        except (ValueError, OverflowError):  # "abc", NaN; inf, 1e999 or an integer past 1e308
            shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
            raise ValueError(f"{key!r} must be a number, got {shown}") from None
    return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _appraisal(planning: Any, before: int, after: int) -> dict[str, Any]:
    """An :class:`~rlver.simulator.base.Appraisal` dict from SAGE's ``planning`` (keys vary by version)."""
    planning = planning if isinstance(planning, dict) else {}
    lower = {str(k).lower(): v for k, v in planning.items()}
    change = lower.get("change")
    try:
        written = (
            int(round(float(change)))
            if change is not None and not isinstance(change, bool)
            else after - before
        )
    except (TypeError, ValueError, OverflowError):
        written = after - before
    return {
        "content": _text(lower.get("content")),
        "target_completion": _text(
            lower.get("targetcompletion", lower.get("target_completion", lower.get("reason")))
        ),
        "activity": _text(lower.get("activity")),
        "analyse": _text(lower.get("analyse", lower.get("analysis"))),
        "change": written,
        "applied_change": after - before,
        "emotion_before": before,
        "emotion_after": after,
        "raw": None,
    }


def _infer_end_reason(final: int, last_user_text: str | None, language: str, policy_turns: int) -> str:
    """SAGE does not store why a dialogue ended; infer it the way its loop decides."""
    if final >= SUCCESS_EMOTION:
        return "success"
    if final < FAILURE_EMOTION:
        return "failure"
    if last_user_text is None or policy_turns >= _SAGE_MAX_POLICY_TURNS - 1:
        return "turn_limit"  # a trailing unappraised reply only happens at SAGE's turn limit
    if says_goodbye(last_user_text, language):
        return "goodbye"
    return "unknown"


def convert_sage_record(
    record: dict[str, Any], *, policy: str, simulator: str, preset: str = "sage", fallback_id: str = ""
) -> dict[str, Any]:
    """One SAGE dialogue → one rlver transcript row. Raises ``ValueError`` saying what is wrong."""
    from rlver.profiles.official import detect_language, match_hidden_need, parse_character_type

    history = record.get("history")
    if not isinstance(history, list) or not history:
        raise ValueError("missing or empty 'history' (a list of user and assistant messages)")
    dialogue_id = next((str(record[k]) for k in _ID_KEYS if record.get(k) not in (None, "")), fallback_id)
    language = record.get("language")
    if language not in ("en", "zh"):  # absent, or anything else: read it from the dialogue itself
        language = detect_language(" ".join(_text(m.get("content")) for m in history if isinstance(m, dict)))

    turns: list[dict[str, Any]] = []
    emotion = _SAGE_INITIAL_EMOTION
    emotions: list[int] = []
    pending_assistant: dict[str, Any] | None = None
    last_user_text: str | None = None
    for position, message in enumerate(history, start=1):
        if not isinstance(message, dict):
            raise ValueError(f"history[{position - 1}] is not an object")
        role, content = message.get("role"), message.get("content")
        if role not in ("user", "assistant"):
            raise ValueError(f"history[{position - 1}] has role {role!r} (expected user or assistant)")
        if not isinstance(content, str):
            raise ValueError(f"history[{position - 1}] has no text 'content'")
        if role == "assistant":
            pending_assistant = {"role": "assistant", "text": content}
            turns.append(pending_assistant)
            continue
        try:
            point = _emotion_of(message)
        except ValueError as exc:
            raise ValueError(f"history[{position - 1}]: {exc}") from None
        if not emotions:  # the opening message: the initial emotion (SAGE starts at 40)
            emotion = point if point is not None else _SAGE_INITIAL_EMOTION
            emotions.append(emotion)
        elif pending_assistant is not None:
            after = point if point is not None else emotion
            pending_assistant["appraisal"] = _appraisal(message.get("planning"), emotion, after)
            emotion = after
            emotions.append(emotion)
        pending_assistant = None
        user_turn: dict[str, Any] = {"role": "user", "text": content, "emotion": emotion}
        if message.get("thinking"):
            user_turn["thought"] = _text(message["thinking"])
        turns.append(user_turn)
        last_user_text = content
    if not emotions:
        raise ValueError("history has no user message")

    top = record.get("emo_point")
    if top is not None:
        try:
            final = _emotion_of({"emo_point": top})
        except ValueError as exc:
            raise ValueError(f"top-level {exc}") from None
        if final is not None and final != emotions[-1]:
            emotions.append(final)  # keep the trajectory ending where SAGE's own score ends
    final_emotion = emotions[-1]
    policy_turns = sum(1 for t in turns if t["role"] == "assistant")
    trailing_reply = bool(turns) and turns[-1]["role"] == "assistant"
    end_reason = _infer_end_reason(
        final_emotion, None if trailing_reply else last_user_text, str(language), policy_turns
    )

    character = record.get("character", record.get("main_cha"))
    character_code = None
    if isinstance(character, str) and character.strip():
        try:
            character_code = parse_character_type(character).value
        except ValueError:
            character_code = character.strip()
    need = record.get("need") if isinstance(record.get("need"), str) else None
    if need is None and isinstance(record.get("task"), str):
        matched = match_hidden_need(record["task"])
        need = matched.value if matched else None

    return {
        "id": dialogue_id,
        "profile_id": dialogue_id,
        "preset": preset,
        "simulator": simulator,
        "policy": policy,
        "seed": 0,
        "group": 0,
        "turns": turns,
        "emotions": emotions,
        "final_emotion": final_emotion,
        "end_reason": end_reason,
        "format_violations": 0,
        "error": None,
        "need": need,
        "character": character_code,
        "language": language,
        "source": "sage",
    }


def _array_records(text: str) -> list[tuple[int, Any]]:
    """The items of a JSON array document, each with the 1-based line it starts on."""
    document = loads_json(text)
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    line, counted_to = 1, 0
    records: list[tuple[int, Any]] = []
    for _ in document:  # the document is valid: walk it again to learn where each item starts
        while text[index] in " \t\n\r,":
            index += 1
        line += text.count("\n", counted_to, index)
        counted_to = index
        item, index = decoder.raw_decode(text, index)
        records.append((line, item))
    return records


def import_sage(
    path: str | Path,
    out_dir: str | Path,
    *,
    policy: str,
    simulator: str,
    preset: str = "sage",
    skip_invalid: bool = False,
) -> SageImportResult:
    """Convert a SAGE JSONL result file into ``out_dir/dialogues.jsonl`` + ``summary.json``.

    A malformed line raises :class:`ResultFileError` naming ``FILE:LINE`` (or, with
    ``skip_invalid``, is skipped and listed in the summary's ``import_skipped``).
    """
    from rlver.bench.sentient import summarize

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ResultFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ResultFileError(f"{path}: not UTF-8 text ({exc.reason})") from None
    if text.lstrip().startswith("["):  # some tools save the whole list as one JSON array
        try:
            records = _array_records(text)
        except json.JSONDecodeError as exc:
            raise ResultFileError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    else:
        records = []
        # split("\n"), not splitlines(): U+2028 or U+0085 inside a JSON string is not a line break.
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                records.append((number, loads_json(line)))
            except json.JSONDecodeError as exc:
                if not skip_invalid:
                    raise ResultFileError(f"{path}:{number}: invalid JSON ({exc.msg})") from None
                records.append((number, exc))

    rows: list[dict[str, Any]] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for number, record in records:
        try:
            if isinstance(record, Exception):
                raise ValueError(f"invalid JSON ({record})")
            if not isinstance(record, dict):
                raise ValueError(f"expected a JSON object, got {type(record).__name__}")
            row = convert_sage_record(
                record, policy=policy, simulator=simulator, preset=preset, fallback_id=f"line{number}"
            )
            if row["id"] in seen:
                row["id"] = row["profile_id"] = f"{row['id']}-line{number}"
            seen.add(row["id"])
        except ValueError as exc:
            if not skip_invalid:
                raise ResultFileError(f"{path}:{number}: {exc}") from None
            skipped.append(f"{path}:{number}: {exc}")
            continue
        rows.append(row)
    if not rows:
        raise ResultFileError(f"{path}: no dialogue could be imported")

    out = Path(out_dir)
    summary = summarize(rows, preset=preset, policy=policy, simulator=simulator)
    summary.update(source=f"sage:{path.name}", import_skipped=skipped)
    atomic_write_jsonl(out / "dialogues.jsonl", rows)
    atomic_write_json(out / "summary.json", summary)
    return SageImportResult(out_dir=out, summary=summary, imported=len(rows), skipped=tuple(skipped))
