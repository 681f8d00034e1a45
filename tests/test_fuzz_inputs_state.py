"""Fuzzed state and result files (issue 14, part 3): transcripts and summaries of a benchmark
(``load_result``, the analyses that read them), SAGE result files (``bench import-sage``), the JSONL
files a resume reads back, and a training run's ``latest`` pointer and ``trainer_state.pt``.
Each is loaded whole or refused with ONE rlver error naming the file; a crash that cut the last
line of an append-only file costs that line only.
"""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from rlver.bench.capabilities import CAPABILITIES, CapabilityRecord
from rlver.bench.compare import BenchResult, ResultFileError, leaderboard, leaderboard_markdown, load_result
from rlver.bench.sage_import import import_sage
from rlver.bench.scc import run_scc_analysis
from rlver.bench.sentient import summarize
from rlver.errors import ConfigError
from rlver.rl.checkpoint import CheckpointManager
from rlver.utils.io import StateFileError, read_jsonl_tolerant
from tests.test_bench_fixtures import make_bench_dir
from tests.test_bench_sage_import import RECORDS as SAGE_RECORDS
from tests.test_fuzz_inputs import ANY_BYTES, FUZZ, JSON_VALUES, mutated, retyped, scratch_dir, scratch_file

# -- append-only JSONL (dialogues.jsonl, metrics.jsonl, rollouts.jsonl) ----------------------------

_ROWS = [
    {"step": 1, "text": "line\u2028separator and \x85 next-line inside a string", "x": 1.5},
    {"step": 2, "text": "中文的句子，好", "nested": {"a": [1, None, True]}},
    {"step": 3, "text": "emoji 😀 and a BOM \ufeff mid-string", "nan": None},
]
_JSONL = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in _ROWS).encode("utf-8")


@FUZZ
@given(cut=st.integers(0, len(_JSONL)))
def test_a_crash_mid_append_costs_the_last_line_only(cut):
    rows, dropped = read_jsonl_tolerant(scratch_file("metrics.jsonl", _JSONL[:cut]))
    written = _JSONL[:cut]
    complete = written.count(b"\n")  # also when the cut splits a multi-byte character
    assert rows == _ROWS[: len(rows)] and len(rows) >= complete
    assert dropped in (0, 1) and len(rows) + dropped == sum(
        1 for line in written.split(b"\n") if line.strip()
    )


def jsonl_or_reject(path: Path) -> list[dict[str, Any]] | None:
    try:
        rows, dropped = read_jsonl_tolerant(path)
    except StateFileError as exc:
        assert str(exc).startswith(f"{path}:")
        return None
    assert all(isinstance(row, dict) for row in rows) and dropped in (0, 1)
    return rows


@FUZZ
@given(data=st.one_of(ANY_BYTES, mutated(_JSONL)))
def test_damaged_jsonl_state_files_are_read_or_rejected(data):
    jsonl_or_reject(scratch_file("rollouts.jsonl", data))


# -- benchmark results: dialogues.jsonl + summary.json ---------------------------------------------


@pytest.fixture(scope="module")
def bench_files(tmp_path_factory) -> dict[str, bytes]:
    folder = make_bench_dir(tmp_path_factory.mktemp("fuzz-bench") / "b", n_profiles=2)
    return {name: (folder / name).read_bytes() for name in ("dialogues.jsonl", "summary.json", "run.json")}


def bench_dir(files: dict[str, bytes | None]) -> Path:
    folder = scratch_dir()
    for name, data in files.items():
        if data is not None:
            (folder / name).write_bytes(data)
    return folder


def result_or_reject(folder: Path, *, with_dialogues: bool = True) -> BenchResult | None:
    """The loaded result, checked usable by everything that reads one, or None after a clean refusal."""
    try:
        result = load_result(folder, with_dialogues=with_dialogues)
    except ResultFileError as exc:
        assert str(folder) in str(exc)
        return None
    leaderboard_markdown(leaderboard([result]))  # every summary field the leaderboard reads is usable
    summarize(list(result.rows), preset="p", policy="m", simulator="s")
    return result


@FUZZ
@given(name=st.sampled_from(["dialogues.jsonl", "summary.json"]), drop_summary=st.booleans(), data=st.data())
def test_damaged_bench_results_are_loaded_or_rejected(bench_files, name, drop_summary, data):
    files: dict[str, bytes | None] = dict(bench_files)
    files[name] = data.draw(st.one_of(mutated(bench_files[name]), ANY_BYTES))
    if drop_summary and name == "dialogues.jsonl":
        files["summary.json"] = None  # the summary is then recomputed from the damaged transcripts
    result_or_reject(bench_dir(files), with_dialogues=data.draw(st.booleans()))


def _retype_somewhere(draw: st.DrawFn, value: Any, depth: int = 0) -> Any:
    """``value`` with one object somewhere inside it given a wrong type, a lost key or a new key."""
    if isinstance(value, dict) and value and (depth >= 3 or draw(st.booleans())):
        return retyped(draw, value)
    children = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
    if not children:
        return draw(JSON_VALUES)
    index = draw(st.integers(0, len(children) - 1))
    if isinstance(value, list):
        return value[:index] + [_retype_somewhere(draw, value[index], depth + 1)] + value[index + 1 :]
    key = list(value)[index]
    return {**value, key: _retype_somewhere(draw, value[key], depth + 1)}


_SUMMARY_FIELDS = [
    "score",
    "success",
    "failure",
    "n",
    "errors",
    "mean_turns",
    "policy",
    "simulator",
    "preset",
]
_ROW_FIELDS = [
    "turns",
    "emotions",
    "final_emotion",
    "format_violations",
    "error",
    "role",
    "text",
    "applied_change",
]


@FUZZ
@given(name=st.sampled_from(["dialogues.jsonl", "summary.json"]), drop_summary=st.booleans(), data=st.data())
def test_bench_results_with_wrong_types_are_loaded_or_rejected(bench_files, name, drop_summary, data):
    files: dict[str, bytes | None] = dict(bench_files)
    read_fields = data.draw(st.booleans())  # half the time a field the readers use, else anywhere
    if name == "summary.json":
        summary = json.loads(bench_files[name])
        if read_fields:
            summary[data.draw(st.sampled_from(_SUMMARY_FIELDS))] = data.draw(JSON_VALUES)
        else:
            summary = _retype_somewhere(data.draw, summary)
        files[name] = json.dumps(summary, ensure_ascii=False).encode()
    else:
        rows = [json.loads(line) for line in bench_files[name].splitlines()]
        index = data.draw(st.integers(0, len(rows) - 1))
        if read_fields:
            row = rows[index]
            turn = row["turns"][data.draw(st.integers(0, len(row["turns"]) - 1))]
            target = data.draw(st.sampled_from([row, turn, turn.get("appraisal") or turn]))
            target[data.draw(st.sampled_from(_ROW_FIELDS))] = data.draw(JSON_VALUES)
        else:
            rows[index] = _retype_somewhere(data.draw, rows[index])
        files[name] = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode()
        if drop_summary:
            files["summary.json"] = None
    result_or_reject(bench_dir(files))


@FUZZ
@given(data=st.data())
def test_damaged_strategy_summaries_give_a_coordinate_or_one_error(bench_files, data):
    folder = bench_dir(bench_files)
    good = {"labeller": "offline", "distribution": {"Question": 0.5, "Reflection of Feelings": 0.5}}
    kind = data.draw(st.sampled_from(["bytes", "value", "retyped"]))
    if kind == "bytes":
        document = data.draw(mutated(json.dumps(good).encode()))
    else:
        value = data.draw(JSON_VALUES) if kind == "value" else _retype_somewhere(data.draw, good)
        document = json.dumps(value).encode()
    (folder / "analysis").mkdir()
    (folder / "analysis" / "strategies.json").write_bytes(document)
    try:
        summary = asyncio.run(run_scc_analysis(folder))
    except ResultFileError as exc:
        assert str(folder) in str(exc)
        return
    assert all(-1 <= summary["coordinate"][axis] <= 1 for axis in ("x", "y"))


@FUZZ
@given(data=st.data())
def test_stored_capability_verdicts_are_read_or_rejected(data):
    good = {"dialogue_id": "d1", "policy": "m", "judge": "j", "language": "en", "error": None, "attempts": 1,
            "scores": {c: {"score": 3, "reason": "ok"} for c in CAPABILITIES}}  # fmt: skip
    record = data.draw(st.one_of(JSON_VALUES.filter(lambda v: isinstance(v, dict)), st.just(good)))
    record = _retype_somewhere(data.draw, record) if data.draw(st.booleans()) else record
    if not isinstance(record, dict):  # read_jsonl hands over objects only
        return
    try:
        loaded = CapabilityRecord.from_dict(record)
    except ValueError:
        return
    assert all(1 <= s.score <= 5 for s in loaded.scores.values()) and isinstance(loaded.attempts, int)


# -- SAGE result files (bench import-sage) ---------------------------------------------------------

_SAGE = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in SAGE_RECORDS[:3]).encode()
_SAGE_ODD_VALUES = st.sampled_from(
    ["inf", "-inf", "nan", "1e999", "9" * 400, 1e308, float("inf"), "40.5", [], {}]
)


def import_or_reject(source: Path, skip_invalid: bool) -> None:
    out = source.parent / "out"
    try:
        result = import_sage(source, out, policy="m", simulator="s", skip_invalid=skip_invalid)
    except ResultFileError as exc:
        assert str(source) in str(exc)
        assert not out.exists()  # nothing half-written
        return
    assert result.imported == len(load_result(out).rows) >= 1
    assert all(line.startswith(f"{source}:") for line in result.skipped)
    result_or_reject(out)


@FUZZ
@given(data=st.one_of(ANY_BYTES, mutated(_SAGE)), skip_invalid=st.booleans())
def test_damaged_sage_files_are_imported_or_rejected(data, skip_invalid):
    import_or_reject(scratch_file("sage.jsonl", data), skip_invalid)


@FUZZ
@given(as_array=st.booleans(), skip_invalid=st.booleans(), data=st.data())
def test_sage_records_with_wrong_types_are_imported_or_rejected(as_array, skip_invalid, data):
    records = [json.loads(json.dumps(r)) for r in SAGE_RECORDS[:3]]
    index = data.draw(st.integers(0, len(records) - 1))
    kind = data.draw(st.sampled_from(["anywhere", "emotion", "language"]))
    if kind == "anywhere":
        records[index] = _retype_somewhere(data.draw, records[index])
    elif kind == "emotion":
        history = records[index]["history"]
        message = history[data.draw(st.integers(0, len(history) - 1))]
        key = data.draw(st.sampled_from(["emotion-point", "change"]))
        target = (
            message.get("planning")
            if key == "change" and isinstance(message.get("planning"), dict)
            else message
        )
        target[key] = data.draw(st.one_of(_SAGE_ODD_VALUES, JSON_VALUES))
    else:
        records[index]["language"] = data.draw(JSON_VALUES)
    if as_array:
        text = json.dumps(records, ensure_ascii=False, indent=1)
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    import_or_reject(scratch_file("sage.jsonl", text.encode()), skip_invalid)


# -- training checkpoints: the `latest` pointer and trainer_state.pt -------------------------------


def _state_bytes() -> bytes:
    buffer = io.BytesIO()
    torch.save(
        {"step": 4, "rng": {"torch": torch.zeros(4, dtype=torch.uint8)}, "lr": [1e-6, float("nan")]}, buffer
    )
    return buffer.getvalue()


_STATE = _state_bytes()


def _checkpoints(pointer: bytes | None) -> CheckpointManager:
    root = scratch_dir()
    for step in (2, 4):
        (root / f"step-{step:06d}").mkdir()
        (root / f"step-{step:06d}" / "trainer_state.pt").write_bytes(_STATE)
    (root / "elsewhere").mkdir()
    (root / "elsewhere" / "trainer_state.pt").write_bytes(_STATE)
    if pointer is not None:
        (root / "latest").write_bytes(pointer)
    return CheckpointManager(root)


_POINTERS = st.sampled_from(
    [b"step-000002\n", b"step-000004", b"step-000009\n", b"elsewhere\n", b"../elsewhere", b"/etc\n", b"", b"\xff\xfe",
     b"step-000002\x00", "step-٠٠٠٠٠٢".encode(), b"\xef\xbb\xbfstep-000002\r\n", b"step-000002\nstep-000004\n",
     b"step-" + b"9" * 300]
)  # fmt: skip


@FUZZ
@given(pointer=st.one_of(st.none(), _POINTERS, ANY_BYTES, mutated(b"step-000002\n")))
def test_a_damaged_latest_pointer_falls_back_to_a_complete_step(pointer):
    manager = _checkpoints(pointer)
    latest = manager.latest()
    assert latest is not None and latest.parent == manager.root and latest.name.startswith("step-")
    assert (latest / "trainer_state.pt").is_file()


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on a damaged header
@FUZZ
@given(
    data=st.one_of(mutated(_STATE), ANY_BYTES, st.builds(lambda n: _STATE[:n], st.integers(0, len(_STATE))))
)
def test_a_damaged_trainer_state_is_loaded_or_rejected(data):
    manager = _checkpoints(None)
    folder = manager.step_dir(4)
    (folder / "trainer_state.pt").write_bytes(data)
    try:
        state = manager.load_state(folder)
    except ConfigError as exc:
        assert str(folder / "trainer_state.pt") in str(exc)
        return
    assert isinstance(state, dict) and type(state["step"]) is int


@pytest.mark.parametrize("state", [[1, 2], {"rng": {}}, {"step": "4"}, {"step": -1}, {"step": True}])
def test_a_trainer_state_that_is_not_one_is_rejected(tmp_path, state):
    folder = tmp_path / "step-000001"
    folder.mkdir()
    torch.save(state, folder / "trainer_state.pt")
    with pytest.raises(ConfigError, match="not a trainer state"):
        CheckpointManager(tmp_path).load_state(folder)


# -- resume paths outside the readers above (rl/metrics.py, bench/sentient.py, rl/trainer.py) -----------


@pytest.mark.parametrize("bad", ['{"step": "x"}', '{"step": null}', '{"step": [1]}', '{"step": 1e999}', '{"step": 1.5}'])
def test_resume_truncation_refuses_a_non_integer_step(tmp_path, bad):
    from rlver.rl.metrics import truncate_jsonl_after
    from rlver.utils.io import StateFileError

    path = tmp_path / "metrics.jsonl"
    path.write_text('{"step": 1}\n' + bad + '\n{"step": 3}\n', encoding="utf-8")
    with pytest.raises(StateFileError, match=r"metrics\.jsonl: row 2: 'step' must be an integer"):
        truncate_jsonl_after(path, 1)
    assert path.read_text(encoding="utf-8").count("\n") == 3  # untouched


@pytest.mark.parametrize("run_json", [b"{bad", b"[1]", b"\xff"])
def test_bench_resume_refuses_a_damaged_run_file(tmp_path, run_json):
    from rlver.bench.sentient import _check_same_run
    from rlver.utils.io import StateFileError

    (tmp_path / "run.json").write_bytes(run_json)
    with pytest.raises(StateFileError, match=r"run\.json"):
        _check_same_run(tmp_path, {"policy": "p"})
