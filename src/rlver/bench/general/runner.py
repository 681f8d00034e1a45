"""General-ability retention: a small exactly-checked suite, run on any policy before and after training.

The built-in suite (``suite.jsonl`` beside this module, 45 items) has three categories of 15:
``math`` (word problems with a numeric answer), ``code`` (short Python functions run against tests
in a sandbox) and ``instruction`` (verifiable format constraints: word counts, required or banned
words, lowercase, JSON output, …). Every item is checked by code, never by a model, so two runs of
the same policy are comparable item by item. Accuracy per category = passed / items.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from rlver.bench.general.checkers import CONSTRAINT_TYPES, check_code, check_instruction, check_math
from rlver.bench.general.sandbox import SandboxLimits
from rlver.errors import ConfigError, RlverError
from rlver.llm.types import Message
from rlver.policy.base import Policy, PolicyRequest, TokenTrace
from rlver.policy.think import THINK_CLOSE
from rlver.utils.io import atomic_write_json, atomic_write_jsonl

__all__ = [
    "CATEGORIES",
    "SuiteItem",
    "ItemResult",
    "load_suite",
    "check_item",
    "run_general_suite",
    "summarize_general",
    "write_general",
    "load_general",
    "compare_general",
    "general_delta_markdown",
    "DeltaRow",
    "visible_answer",
]

CATEGORIES = ("math", "code", "instruction")
GENERAL_FILE = "general.json"
GENERAL_ITEMS_FILE = "general.jsonl"


@dataclass(frozen=True)
class SuiteItem:
    """One exactly-checkable task."""

    id: str
    category: str
    prompt: str
    answer: float | None = None
    """``math``: the expected number."""
    function: str | None = None
    """``code``: the function the answer must define."""
    tests: tuple[str, ...] = ()
    """``code``: Python expressions that must evaluate to ``True``."""
    constraints: tuple[dict[str, Any], ...] = ()
    """``instruction``: constraints checked by :func:`rlver.bench.general.checkers.check_constraint`."""


@dataclass(frozen=True)
class ItemResult:
    id: str
    category: str
    passed: bool
    detail: str
    response: str


def _item(data: Any, where: str) -> SuiteItem:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    try:
        item = SuiteItem(
            id=str(data["id"]),
            category=str(data["category"]),
            prompt=str(data["prompt"]),
            answer=None if data.get("answer") is None else float(data["answer"]),
            function=data.get("function"),
            tests=tuple(str(t) for t in data.get("tests", ())),
            constraints=tuple(dict(c) for c in data.get("constraints", ())),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if item.category not in CATEGORIES:
        raise ConfigError(f"{where}: category must be one of {', '.join(CATEGORIES)}, got {item.category!r}")
    if item.category == "math" and item.answer is None:
        raise ConfigError(f"{where}: a math item needs 'answer'")
    if item.category == "code" and not item.tests:
        raise ConfigError(f"{where}: a code item needs 'tests'")
    if item.category == "instruction":
        unknown = [c.get("type") for c in item.constraints if c.get("type") not in CONSTRAINT_TYPES]
        if not item.constraints or unknown:
            raise ConfigError(f"{where}: an instruction item needs known constraints (unknown: {unknown})")
    return item


def load_suite(path: str | Path | None = None) -> list[SuiteItem]:
    """Items of a suite JSONL file (default: the built-in suite). Bad lines name ``FILE:LINE``."""
    if path is None:
        source = resources.files("rlver.bench.general").joinpath("suite.jsonl")
        text, name = source.read_text(encoding="utf-8"), "builtin:general"
    else:
        try:
            text, name = Path(path).read_text(encoding="utf-8"), str(path)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    items, seen = [], set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{name}:{number}: invalid JSON ({exc.msg})") from None
        item = _item(data, f"{name}:{number}")
        if item.id in seen:
            raise ConfigError(f"{name}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def visible_answer(text: str) -> str:
    """The answer without a leading think block (think-trained policies keep writing one)."""
    return text.rsplit(THINK_CLOSE, 1)[-1].strip() if THINK_CLOSE in text else text.strip()


def check_item(item: SuiteItem, response: str, limits: SandboxLimits | None = None) -> ItemResult:
    answer = visible_answer(response)
    if item.category == "math":
        passed, detail = check_math(answer, float(item.answer or 0.0))
    elif item.category == "code":
        passed, detail = check_code(answer, item.tests, limits)
    else:
        passed, detail = check_instruction(answer, item.constraints)
    return ItemResult(item.id, item.category, passed, detail, response)


async def run_general_suite(
    policy: Policy,
    items: Sequence[SuiteItem] | None = None,
    *,
    batch_size: int = 8,
    system_prompt: str | None = None,
    limits: SandboxLimits | None = None,
) -> list[ItemResult]:
    """Ask ``policy`` every item (``batch_size`` per ``generate`` call) and check each answer."""
    items = list(items) if items is not None else load_suite()
    if batch_size < 1:
        raise ConfigError("batch_size must be >= 1")
    results: list[ItemResult] = []
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        requests = [
            PolicyRequest(
                key=f"general-{item.id}",
                messages=([Message("system", system_prompt)] if system_prompt else [])
                + [Message("user", item.prompt)],
                trace=TokenTrace() if policy.token_exact else None,
            )
            for item in batch
        ]
        try:
            responses = await policy.generate(requests)
        except RlverError as exc:
            raise RlverError(f"policy {policy.name} failed on the general suite: {exc}") from exc
        if len(responses) != len(batch):
            raise RlverError(f"policy {policy.name} returned {len(responses)} answers for {len(batch)} items")
        failed = next((r for r in responses if isinstance(r, RlverError)), None)
        if failed is not None:
            raise RlverError(f"policy {policy.name} failed on the general suite: {failed}")
        results.extend(check_item(item, response, limits) for item, response in zip(batch, responses))
    return results


def summarize_general(results: Sequence[ItemResult], *, policy: str) -> dict[str, Any]:
    """Accuracy overall and per category (passed / items)."""
    by_category: dict[str, dict[str, Any]] = {}
    for category in CATEGORIES:
        rows = [r for r in results if r.category == category]
        if rows:
            passed = sum(r.passed for r in rows)
            by_category[category] = {
                "n": len(rows),
                "passed": passed,
                "accuracy": round(passed / len(rows), 4),
            }
    passed = sum(r.passed for r in results)
    return {
        "policy": policy,
        "n": len(results),
        "passed": passed,
        "accuracy": round(passed / len(results), 4) if results else None,
        "by_category": by_category,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }


def write_general(out_dir: str | Path, results: Sequence[ItemResult], *, policy: str) -> dict[str, Any]:
    """Write ``general.jsonl`` (one item a line) and ``general.json`` (the summary) into ``out_dir``."""
    out = Path(out_dir)
    summary = summarize_general(results, policy=policy)
    atomic_write_jsonl(out / GENERAL_ITEMS_FILE, (asdict(r) for r in results))
    atomic_write_json(out / GENERAL_FILE, summary)
    return summary


def load_general(path: str | Path) -> dict[str, Any]:
    """A general-suite summary from a directory (its ``general.json``) or the JSON file itself."""
    path = Path(path)
    file = path / GENERAL_FILE if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(
            f"{file}: cannot read ({exc.strerror or exc}); run `rlver analyze general` first"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{file}:{exc.lineno}: invalid JSON ({exc.msg})") from None
    if not isinstance(data, dict) or "by_category" not in data:
        raise ConfigError(f"{file}: not a general-suite summary")
    return data


@dataclass(frozen=True)
class DeltaRow:
    category: str
    before: float | None
    after: float | None
    delta: float | None
    n: int = field(default=0)


def compare_general(before: dict[str, Any], after: dict[str, Any]) -> list[DeltaRow]:
    """Accuracy before, after and after − before, per category and overall."""
    rows = []
    for category in [*CATEGORIES, "overall"]:
        if category == "overall":
            b, a, n = before.get("accuracy"), after.get("accuracy"), int(after.get("n") or 0)
        else:
            b = (before.get("by_category", {}).get(category) or {}).get("accuracy")
            a = (after.get("by_category", {}).get(category) or {}).get("accuracy")
            n = int((after.get("by_category", {}).get(category) or {}).get("n") or 0)
            if a is None and b is None:
                continue
        delta = None if a is None or b is None else round(a - b, 4)
        rows.append(DeltaRow(category, b, a, delta, n))
    return rows


def general_delta_markdown(rows: Sequence[DeltaRow], before_name: str, after_name: str) -> str:
    def pct(value: float | None) -> str:
        return "–" if value is None else f"{100 * value:.1f}%"

    lines = [f"| category | n | {before_name} | {after_name} | delta |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        delta = "–" if r.delta is None else f"{100 * r.delta:+.1f} pt"
        lines.append(f"| {r.category} | {r.n} | {pct(r.before)} | {pct(r.after)} | {delta} |")
    return "\n".join(lines) + "\n"
