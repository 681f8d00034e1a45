"""kill -9 never loses, duplicates or changes anything (issue 14, part 2).

``rlver train`` and ``rlver bench`` run as subprocesses and are SIGKILLed at named points (the
test-only ``RLVER_CRASH_AT`` hook, :mod:`rlver.utils.crashpoints`): mid-rollout, mid-update,
between the files of a checkpoint, halfway through a benchmark. Resumed, they end exactly as an
uninterrupted run with the same seed: the same metrics per step (every key but ``perf/*``), the
same transcripts, bit-identical weights; the benchmark the same summary and one line per dialogue.
A full disk or a read-only checkpoints folder ends a run with one ``error:`` line (exit 1) and the
previous checkpoint stays the latest and intact. Real ``tmpfs`` / read-only bind mounts are used
where a private mount namespace is allowed (``unshare -m``), the ``RLVER_CRASH_AT=...:ENOSPC`` fault
point elsewhere.

The helpers are shared with ``benchmarks/crash_resume.py``, which runs the same scenarios (and
more) and reports what each crash costs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from rlver.utils.crashpoints import CRASH_ENV

__all__ = [
    "BENCH_SETTINGS",
    "TRAIN_SETTINGS",
    "RunResult",
    "bench_args",
    "bench_summary",
    "checkpoint_hashes",
    "dialogue_rows",
    "error_lines",
    "mount_wrapper",
    "read_only_wrapper",
    "run_rlver",
    "tiny_train_config",
    "train_args",
    "train_metrics",
    "train_rollouts",
    "weights_digest",
]

ROOT = Path(__file__).resolve().parents[1]
TRAIN_SETTINGS = ["--steps", "3", "--profiles-per-step", "2", "--group-size", "2", "--max-turns", "2"]
"""The brief's tiny run: 3 steps of 2 profiles x 2 dialogues x 2 policy turns."""
BENCH_SETTINGS = ["--policy", "builtin:tiny", "--simulator", "offline", "--profiles", "builtin:test"]
TIMEOUT_S = 900  # a hung subprocess fails the test instead of the CI job


# ----------------------------------------------------------------------------- running rlver


@dataclass(frozen=True)
class RunResult:
    returncode: int
    stderr: str
    seconds: float


def run_rlver(args: list[str], *, crash_at: str | None = None, wrapper: list[str] = ()) -> RunResult:
    """``python -m rlver ARGS`` in a fresh process (one torch thread, offline), optionally armed with
    ``RLVER_CRASH_AT`` and started through ``wrapper`` (a mount namespace)."""
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    env.update(
        OMP_NUM_THREADS="1", HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false"
    )
    if crash_at is not None:
        env[CRASH_ENV] = crash_at
    start = time.perf_counter()
    done = subprocess.run(
        [*wrapper, sys.executable, "-m", "rlver", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )
    return RunResult(done.returncode, done.stderr, time.perf_counter() - start)


def error_lines(result: RunResult) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def tiny_train_config(folder: Path) -> Path:
    """configs/demo-grpo.yaml with a checkpoint every step, short replies and no progress bar."""
    config = yaml.safe_load((ROOT / "configs" / "demo-grpo.yaml").read_text(encoding="utf-8"))
    config["rollout"]["max_new_tokens"] = 16
    # One dialogue at a time: batched sampling is reproducible only up to float noise that depends
    # on which replies share a batch (timing), and two uninterrupted runs would already differ in the
    # last bits. Alone, every reply is computed the same way in every run.
    config["rollout"]["max_concurrent"] = 1
    config["checkpoint"] = {"every": 1, "keep_last_k": 2}
    config["logging"].update(progress=False, tensorboard=False)
    path = folder / "demo-grpo-tiny.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def train_args(config: Path, out: Path, *, resume: bool = False) -> list[str]:
    return [
        "train",
        *(["--out", str(out), "--resume"] if resume else ["--config", str(config), "--out", str(out)]),
        *TRAIN_SETTINGS,
        "--device",
        "cpu",
        "--no-progress",
    ]


def bench_args(out: Path, *extra: str) -> list[str]:
    return ["bench", *BENCH_SETTINGS, "--out", str(out), *extra]


# ----------------------------------------------------------------------------- what a run left


def train_metrics(out: Path) -> list[dict[str, Any]]:
    """metrics.jsonl without the wall-clock timings (``perf/*``)."""
    lines = (out / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    return [{k: v for k, v in json.loads(line).items() if not k.startswith("perf/")} for line in lines]


def train_rollouts(out: Path) -> list[str]:
    return (out / "rollouts.jsonl").read_text(encoding="utf-8").splitlines()


def weights_digest(out: Path) -> dict[str, str]:
    """sha256 of every safetensors file of the latest checkpoint: equal digests = bit-identical weights."""
    latest = out / "checkpoints" / (out / "checkpoints" / "latest").read_text(encoding="utf-8").strip()
    return {
        str(path.relative_to(latest)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(latest.rglob("*.safetensors"))
    }


def checkpoint_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file of a checkpoint folder (to show it was not touched)."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def dialogue_rows(out: Path) -> list[str]:
    return (out / "dialogues.jsonl").read_text(encoding="utf-8").splitlines()


def bench_summary(out: Path) -> dict[str, Any]:
    """summary.json without its timestamp."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    summary.pop("created", None)
    return summary


# ----------------------------------------------------------------------------- a full or read-only disk


@cache
def _unshare() -> tuple[str, ...] | None:
    """A command prefix giving a private mount namespace (root, or an unprivileged user namespace),
    or None where neither is allowed."""
    if shutil.which("unshare") is None:
        return None
    for prefix in (("unshare", "-m"), ("unshare", "-rm")):
        probe = subprocess.run(
            [*prefix, "mount", "-t", "tmpfs", "tmpfs", "/mnt"], capture_output=True, check=False
        )
        if probe.returncode == 0:
            return prefix
    return None


def mount_wrapper(run_dir: Path, disk: Path, result: Path, headroom_kb: int) -> list[str] | None:
    """Run in a private tmpfs holding a copy of ``run_dir`` plus ``headroom_kb`` free (a full disk),
    copying what is left back to ``result`` afterwards; None where mounts are not allowed."""
    prefix = _unshare()
    if prefix is None:
        return None
    used_kb = sum(p.stat().st_blocks for p in run_dir.rglob("*")) // 2 + 64  # st_blocks: 512-byte units
    disk.mkdir(parents=True, exist_ok=True)
    result.mkdir(parents=True, exist_ok=True)
    script = (
        f'mount -t tmpfs -o size={used_kb + headroom_kb}k tmpfs "{disk}" && cp -a "{run_dir}/." "{disk}/" || exit 99\n'
        '"$@"; rc=$?\n'
        f'cp -a "{disk}/." "{result}/"; exit $rc'
    )
    return [*prefix, "sh", "-c", script, "sh"]


def read_only_wrapper(folder: Path) -> list[str] | None:
    """Run with ``folder`` bind-mounted read-only (root ignores permissions, not a read-only mount);
    None where mounts are not allowed."""
    prefix = _unshare()
    if prefix is None:
        return None
    script = (
        f'mount --bind "{folder}" "{folder}" && mount -o remount,bind,ro "{folder}" || exit 99\nexec "$@"'
    )
    return [*prefix, "sh", "-c", script, "sh"]


# ----------------------------------------------------------------------------- tests: training

TRAIN_KILLS = (
    "update:3",  # step 3's dialogues scored, the optimizer step not yet taken
    "append.rollouts:2",  # half of step 3's second transcript line on disk
    "checkpoint.files:3",  # checkpoint 3 half written (policy saved, trainer state not)
    "checkpoint.rename:3",  # checkpoint 3 complete and in place, `latest` still step 2
)
"""Where the resumed run is killed again, one after the other (the first kill is mid-rollout)."""


@pytest.fixture(scope="module")
def train_setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The tiny config and an uninterrupted run of it (the reference)."""
    folder = tmp_path_factory.mktemp("crash-train")
    config = tiny_train_config(folder)
    reference = folder / "uninterrupted"
    result = run_rlver(train_args(config, reference))
    assert result.returncode == 0, result.stderr[-3000:]
    return config, reference


@pytest.fixture(scope="module")
def crashed_in_rollout(train_setup: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run killed mid-rollout of step 3 (one dialogue finished, three running), as it was left."""
    config, _ = train_setup
    out = tmp_path_factory.mktemp("crash-train-rollout") / "run"
    result = run_rlver(train_args(config, out), crash_at="rollout:3")
    assert result.returncode == -9, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_train_killed_at_every_point_of_a_step_then_resumed_ends_like_an_uninterrupted_run(
    train_setup: tuple[Path, Path], crashed_in_rollout: Path, tmp_path: Path
) -> None:
    """Killed mid-rollout, then each resume killed again at the next point of step 3 (a crash while
    recovering from a crash), then resumed to the end: nothing differs from the uninterrupted run."""
    config, reference = train_setup
    out = tmp_path / "run"
    shutil.copytree(crashed_in_rollout, out)  # the fixture's copy stays as it was for the disk tests
    for point in ("rollout:3", *TRAIN_KILLS):
        if point != "rollout:3":
            killed = run_rlver(train_args(config, out, resume=True), crash_at=point)
            assert killed.returncode == -9, f"{point}: {killed.stderr[-3000:]}"
        assert (out / "checkpoints" / "latest").read_text().strip() == "step-000002", point
    assert (out / "checkpoints" / "step-000003" / "trainer_state.pt").is_file()  # the last kill's

    resumed = run_rlver(train_args(config, out, resume=True))
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert train_metrics(out) == train_metrics(reference)  # every key but perf/*, every step once
    assert train_rollouts(out) == train_rollouts(reference)
    assert weights_digest(out) == weights_digest(reference)  # bit-identical final weights
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["latest", "step-000002", "step-000003"]


@pytest.mark.slow
@pytest.mark.parametrize("failure", ["full disk", "read-only checkpoints"])
def test_a_full_or_read_only_disk_is_one_error_line_and_keeps_the_last_checkpoint(
    failure: str, train_setup: tuple[Path, Path], crashed_in_rollout: Path, tmp_path: Path
) -> None:
    """Resuming the run killed in step 3 where step 3's checkpoint cannot be written: exit 1, one
    line naming the checkpoint, the reason and the checkpoint that is still the latest, untouched."""
    config, _ = train_setup
    run_dir = tmp_path / "run"
    shutil.copytree(crashed_in_rollout, run_dir)
    before = checkpoint_hashes(run_dir / "checkpoints" / "step-000002")
    out = left = run_dir
    if failure == "full disk":
        reason, fault = "no space left on device", "checkpoint.files:3:ENOSPC"
        # 4 MB free: step 3's transcripts and metrics fit, its checkpoint (~54 MB) does not.
        wrapper = mount_wrapper(run_dir, tmp_path / "disk", tmp_path / "left", headroom_kb=4096)
        if wrapper is not None:
            out, left = tmp_path / "disk", tmp_path / "left"
    else:
        reason, fault = "read-only file system", "checkpoint.files:3:EROFS"
        wrapper = read_only_wrapper(run_dir / "checkpoints")
    if wrapper is not None:
        result = run_rlver(train_args(config, out, resume=True), wrapper=wrapper)
    else:  # no mount namespace allowed here: the same OSError, raised at the fault point
        result = run_rlver(train_args(config, out, resume=True), crash_at=fault)

    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    target = out / "checkpoints" / "step-000003"
    expected = (
        f"error: cannot write checkpoint {target}: {reason}; step-000002 is still the latest checkpoint"
    )
    assert error_lines(result) == [expected]
    checkpoints = left / "checkpoints"
    assert (checkpoints / "latest").read_text().strip() == "step-000002"
    assert sorted(p.name for p in checkpoints.iterdir()) == ["latest", "step-000001", "step-000002"]
    assert checkpoint_hashes(checkpoints / "step-000002") == before


# ----------------------------------------------------------------------------- tests: the benchmark

# One dialogue at a time, for the reason given in tiny_train_config; 3 of the 72 test profiles.
BENCH_LIMIT = ["--limit", "3", "--concurrency", "1"]


@pytest.fixture(scope="module")
def bench_reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("crash-bench") / "uninterrupted"
    result = run_rlver(bench_args(out, *BENCH_LIMIT))
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_bench_killed_and_rerun_loses_duplicates_and_changes_nothing(
    bench_reference: Path, tmp_path: Path
) -> None:
    """Killed after its first dialogue, rerun and killed again halfway through the next line, rerun:
    one line per dialogue, the same dialogues and the same summary as the uninterrupted run."""
    out = tmp_path / "bench"
    killed = run_rlver(bench_args(out, *BENCH_LIMIT), crash_at="bench.dialogue:1")
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert len(dialogue_rows(out)) == 1
    killed = run_rlver(bench_args(out, *BENCH_LIMIT), crash_at="append.dialogues:1")  # this run's 1st line
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert not (out / "dialogues.jsonl").read_text(encoding="utf-8").endswith("\n")  # half a line left

    rerun = run_rlver(bench_args(out, *BENCH_LIMIT))
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    ids = [json.loads(line)["profile_id"] for line in dialogue_rows(out)]
    assert len(ids) == len(set(ids)) == 3  # exactly one line per dialogue
    assert sorted(dialogue_rows(out)) == sorted(dialogue_rows(bench_reference))
    assert bench_summary(out) == bench_summary(bench_reference)


# ----------------------------------------------------------------------------- the pieces, in process


def test_crash_points_do_nothing_unless_named_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    from rlver.utils.crashpoints import crash_armed, crash_point

    monkeypatch.delenv(CRASH_ENV, raising=False)
    crash_point("update", 3)  # unset: nothing
    for spec in ("update:4", "rollout:3", "update", "update:three", "update:3:4:5"):
        monkeypatch.setenv(CRASH_ENV, spec)  # another point or step, or malformed: never a kill
        crash_point("update", 3)
        assert not crash_armed("update", 3)
    monkeypatch.setenv(CRASH_ENV, "update:3:ENOSPC")
    assert crash_armed("update", 3)
    with pytest.raises(OSError) as raised:
        crash_point("update", 3, "/out/x")
    assert (raised.value.errno, raised.value.filename) == (28, "/out/x")
    monkeypatch.setenv(CRASH_ENV, "update:3:ENOTANERRNO")
    with pytest.raises(ValueError, match="not an errno name"):
        crash_point("update", 3)


def test_the_os_error_behind_a_writer_failure_is_found() -> None:
    from rlver.utils.io import os_error_behind

    try:  # torch.save into a Python file on a full disk: RuntimeError, the OSError as its context
        try:
            raise OSError(28, "No space left on device")
        except OSError:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 704 vs 598")
    except RuntimeError as exc:
        assert os_error_behind(exc).errno == 28
    rust = Exception("Error while serializing: I/O error: Read-only file system (os error 30)")  # safetensors
    assert os_error_behind(rust).errno == 30
    assert os_error_behind(ValueError("bad value")) is None


def test_writes_that_the_disk_refuses_name_the_path_and_the_reason(tmp_path: Path) -> None:
    from rlver.utils.io import WriteError, atomic_path, writing

    target = tmp_path / "summary.json"
    with pytest.raises(WriteError) as raised, atomic_path(target):
        raise OSError(28, "No space left on device")
    assert str(raised.value) == f"cannot write {target}: no space left on device"
    assert isinstance(raised.value, OSError)  # callers that tolerate failed writes still catch it
    assert list(tmp_path.iterdir()) == []  # no temp file left
    with pytest.raises(FileNotFoundError), atomic_path(target):  # not the disk: passes through unchanged
        raise FileNotFoundError(2, "No such file or directory", "input.txt")
    with pytest.raises(KeyError), writing(target):
        raise KeyError("a bug, not the disk")
