"""``rlver demo`` end to end through the CLI (``--quick``), its configs, and a run with the network cut off."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.cli.demo import DEMO_CONFIGS, demo_train_config
from rlver.rl.config_io import load_config

ROOT = Path(__file__).resolve().parents[1]
SUMMARY_KEYS = {"policy", "algo", "think", "seed", "steps", "benchmark", "base", "trained", "improvement", "training",
                "timings", "files", "config"}
OUTCOME_KEYS = {"score", "success", "failure", "n"}


def _check_outputs(out: Path) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    for side in ("base", "trained"):
        assert OUTCOME_KEYS <= set(summary[side])
        assert summary[side]["n"] == 4
        assert 0 <= summary[side]["score"] <= 100
    assert summary["steps"] == 2 and len(summary["training"]["reward_curve"]) == 2
    assert len(summary["training"]["final_emotion_curve"]) == 2
    assert {"load_seconds", "bench_base_seconds", "train_seconds", "bench_trained_seconds", "total_seconds"} <= set(
        summary["timings"]
    )
    for name in ("reward_curve", "scores", "outcomes", "trajectories"):
        png = out / "plots" / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    for side in ("base", "trained"):
        rows = [json.loads(line) for line in (out / "bench" / side / "dialogues.jsonl").read_text().splitlines()]
        assert len(rows) == 4 and all(r["error"] is None for r in rows)
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    assert 'id="training"' in page and 'id="benchmark"' in page and "data:image/png;base64," in page
    assert len((out / "metrics.jsonl").read_text().splitlines()) == 2
    return summary


def test_demo_quick_through_the_cli(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(out), "--seed", "1"])
    assert result.exit_code == 0, result.output
    summary = _check_outputs(out)
    assert summary["seed"] == 1 and summary["algo"] == "grpo" and summary["quick"] is True
    lines = [line for line in result.output.strip().splitlines() if line.strip()]
    assert "report.html" in lines[-2]
    assert f"base {summary['base']['score']} -> trained {summary['trained']['score']}" in lines[-1]


def test_demo_reruns_in_its_own_folder_but_never_clobbers_another(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("precious")
    result = CliRunner().invoke(app, ["demo", "--quick", "--out", str(foreign)])
    assert result.exit_code == 2
    assert "not written by `rlver demo`" in result.output
    assert (foreign / "notes.txt").read_text() == "precious"
    bad = CliRunner().invoke(app, ["demo", "--quick", "--algo", "dqn", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "grpo or ppo" in bad.output


@pytest.mark.parametrize("name", sorted(DEMO_CONFIGS))
def test_shipped_yaml_configs_equal_the_demo_settings(name):
    loaded = load_config(ROOT / "configs" / f"demo-{name}.yaml")
    algo = "ppo" if name == "ppo" else "grpo"
    expected = demo_train_config(algo, think=name == "think", out_dir=loaded.out_dir)
    assert loaded == expected


def test_quick_config_is_small_and_think_uses_format():
    quick = demo_train_config("ppo", think=True, quick=True)
    assert quick.steps == 2 and quick.episodes_per_step <= 4 and quick.rollout.think
    assert demo_train_config("grpo").rollout.think is False


# A guard loaded before rlver: any connection or name lookup outside loopback / AF_UNIX fails the run.
_GUARD = textwrap.dedent(
    """
    import socket, sys
    _LOCAL = {"127.0.0.1", "::1", "localhost", None, ""}
    def _refuse(what):
        sys.stderr.write(f"NETWORK ATTEMPT: {what}\\n")
        raise OSError(f"network blocked by test guard: {what}")
    _connect = socket.socket.connect
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in _LOCAL:
            _refuse(address)
        return _connect(self, address)
    socket.socket.connect = connect
    socket.socket.connect_ex = lambda self, address: connect(self, address) or 0
    _getaddrinfo = socket.getaddrinfo
    def getaddrinfo(host, *args, **kwargs):
        if host not in _LOCAL:
            _refuse(f"lookup {host}")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = getaddrinfo
    from rlver.cli import main
    sys.argv = ["rlver", *sys.argv[1:]]
    main()
    """
)


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_demo_runs_with_the_network_cut_off(tmp_path):
    out = tmp_path / "offline-demo"
    command = [sys.executable, "-c", _GUARD, "demo", "--quick", "--out", str(out)]
    if _unshare_works():  # a new network namespace: not even loopback is up
        command = ["unshare", "-n", *command]
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PROXY") and not k.endswith("_proxy")}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NETWORK ATTEMPT" not in done.stderr
    _check_outputs(out)
