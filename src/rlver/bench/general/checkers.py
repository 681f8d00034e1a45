"""Exact checkers of the general-ability suite: numbers, Python tests, instruction constraints.

Every checker is a pure function of the model's answer (the code checker runs the answer in
:mod:`rlver.bench.general.sandbox`) and returns ``(passed, detail)``; no checker calls a model.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Sequence

from rlver.bench.general.sandbox import SandboxLimits, run_python_tests

__all__ = [
    "extract_number",
    "check_math",
    "extract_code",
    "check_code",
    "check_constraint",
    "check_instruction",
    "CONSTRAINT_TYPES",
]

_NUMBER = r"[-+]?\$?\d[\d,]*(?:\.\d+)?"


def _to_float(token: str) -> float:
    return float(token.replace("$", "").replace(",", ""))


def extract_number(text: str) -> float | None:
    """The final numeric answer: the number after the last ``Answer:``, else the last number.

    >>> extract_number("3 boxes of 12 is 36, minus 10.\\nAnswer: 26"), extract_number("It is $1,200.50 total")
    (26.0, 1200.5)
    """
    answers = re.findall(rf"answer\s*(?:is)?\s*[:：=]?\s*\**\s*({_NUMBER})", text, re.IGNORECASE)
    if answers:
        return _to_float(answers[-1])
    numbers = re.findall(_NUMBER, text)
    return _to_float(numbers[-1]) if numbers else None


def check_math(answer: str, expected: float) -> tuple[bool, str]:
    value = extract_number(answer)
    if value is None:
        return False, "no number in the answer"
    ok = abs(value - float(expected)) <= 1e-6 * max(1.0, abs(float(expected)))
    return ok, f"got {value:g}, expected {float(expected):g}"


def extract_code(answer: str) -> str:
    """The last fenced code block (``python`` preferred), else the answer itself."""
    blocks = re.findall(r"```([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", answer, re.DOTALL)
    python = [body for lang, body in blocks if lang.lower() in ("python", "py", "python3")]
    if python:
        return python[-1]
    if blocks:
        return blocks[-1][1]
    return answer


def check_code(answer: str, tests: Sequence[str], limits: SandboxLimits | None = None) -> tuple[bool, str]:
    result = run_python_tests(extract_code(answer), tests, limits)
    detail = f"{result.tests_passed}/{result.tests_total} tests passed"
    return result.passed, detail + (f"; {result.detail}" if result.detail else "")


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z0-9']+(?:-[A-Za-z0-9']+)*", text)


def _strip_fence(text: str) -> str:
    match = re.fullmatch(r"\s*```[A-Za-z]*\s*\n?(.*?)\n?```\s*", text, re.DOTALL)
    return match.group(1) if match else text.strip()


def _lines(text: str) -> list[str]:
    return [line for line in text.strip().splitlines() if line.strip()]


def _json(text: str) -> Any:
    try:
        return json.loads(_strip_fence(text))
    except json.JSONDecodeError:
        return None


def _word_count(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    n = len(_words(text))
    return int(c.get("min", 0)) <= n <= int(c.get("max", 10**9)), f"{n} words"


def _include(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    missing = [w for w in c["words"] if not re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]
    return not missing, f"missing {missing}" if missing else "all present"


def _exclude(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    present = [w for w in c["words"] if re.search(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]
    return not present, f"uses {present}" if present else "none used"


def _exclude_chars(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    present = sorted({ch for ch in c["chars"] if ch in text})
    return not present, f"contains {present}" if present else "none used"


def _lowercase(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    has_letters = any(ch.isalpha() for ch in text)
    return has_letters and text == text.lower(), "all lowercase" if text == text.lower() else "has capitals"


def _uppercase(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    has_letters = any(ch.isalpha() for ch in text)
    return has_letters and text == text.upper(), "all capitals" if text == text.upper() else "has lowercase"


def _bullets(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    lines = _lines(text)
    bullets = [line for line in lines if line.lstrip().startswith("- ")]
    return len(bullets) == int(c["count"]) == len(lines), f"{len(bullets)} bullets in {len(lines)} lines"


def _line_count(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    n = len(_lines(text))
    return n == int(c["count"]), f"{n} lines"


def _json_object(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    data = _json(text)
    if not isinstance(data, dict):
        return False, "not a JSON object"
    missing = [k for k in c.get("keys", []) if k not in data]
    return not missing, f"missing keys {missing}" if missing else "valid"


def _json_array(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    data = _json(text)
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        return False, "not a JSON array of strings"
    return len(data) == int(c["length"]), f"{len(data)} items"


def _ends_with(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    words = _words(text)
    last = words[-1].lower() if words else ""
    return last == str(c["word"]).lower(), f"ends with {last!r}"


def _starts_with(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    words = _words(text)
    first = words[0] if words else ""
    return first.lower() == str(c["word"]).lower(), f"starts with {first!r}"


def _word_occurrences(text: str, c: dict[str, Any]) -> tuple[bool, str]:
    n = len(re.findall(rf"\b{re.escape(c['word'])}\b", text, re.IGNORECASE))
    return n == int(c["count"]), f"{n} occurrences"


CONSTRAINT_TYPES: dict[str, Callable[[str, dict[str, Any]], tuple[bool, str]]] = {
    "word_count": _word_count,
    "include": _include,
    "exclude": _exclude,
    "exclude_chars": _exclude_chars,
    "lowercase": _lowercase,
    "uppercase": _uppercase,
    "bullets": _bullets,
    "line_count": _line_count,
    "json_object": _json_object,
    "json_array": _json_array,
    "ends_with": _ends_with,
    "starts_with": _starts_with,
    "word_occurrences": _word_occurrences,
}


def check_constraint(text: str, constraint: dict[str, Any]) -> tuple[bool, str]:
    """One constraint (``{"type": "word_count", "max": 20}``) on ``text``.

    >>> check_constraint("the sea is wide", {"type": "lowercase"})
    (True, 'all lowercase')
    >>> check_constraint('{"name": "Ada"}', {"type": "json_object", "keys": ["name", "age"]})
    (False, "missing keys ['age']")
    """
    kind = constraint.get("type")
    if kind not in CONSTRAINT_TYPES:
        raise ValueError(f"unknown constraint type {kind!r}; known: {', '.join(CONSTRAINT_TYPES)}")
    return CONSTRAINT_TYPES[kind](text.strip(), constraint)


def check_instruction(answer: str, constraints: Sequence[dict[str, Any]]) -> tuple[bool, str]:
    """All constraints must hold; the detail names the first that does not."""
    for constraint in constraints:
        ok, detail = check_constraint(answer, constraint)
        if not ok:
            return False, f"{constraint['type']}: {detail}"
    return True, "all constraints hold"
