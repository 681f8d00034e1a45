"""Data-parallel native training: two CPU processes (gloo) under `accelerate launch` stay identical."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ACCELERATE_CONFIG = ROOT / "configs" / "accelerate" / "ddp_cpu_2proc.yaml"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def launch(out: Path, algo: str) -> None:
    accelerate = Path(sys.executable).with_name("accelerate")
    command = [str(accelerate), "launch", "--config_file", str(ACCELERATE_CONFIG),
               "--main_process_ip", "127.0.0.1", "--main_process_port", str(free_port()),
               str(ROOT / "tests" / "adapters" / "ddp_worker.py"), str(out), algo]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_two_ranks_end_identical_after_uneven_updates(tmp_path, algo):
    launch(tmp_path, algo)
    ranks = [json.loads((tmp_path / f"digest-rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["local"] != ranks[1]["local"]  # each rank built its own random model...
    assert ranks[0]["start"] == ranks[1]["start"] == ranks[0]["local"]  # ...and got rank 0's weights
    assert ranks[0]["end"] == ranks[1]["end"]  # replicas identical after training
    assert ranks[0]["end"] != ranks[0]["start"]  # and they did train
    # 3 groups of 2 dialogues dealt round-robin: rank 0 has 4 dialogues (2 mini-batches a step),
    # rank 1 has 2 (1 mini-batch): it joined rank 0's extra all-reduce with zero weight.
    assert len(ranks[0]["jobs"]) == 4 and len(ranks[1]["jobs"]) == 2
    assert {j.split("-")[1] for j in ranks[0]["jobs"]} == {"g0", "g2"} and ranks[1]["jobs"][0].split("-")[1] == "g1"
    assert ranks[0]["rounds"] == ranks[1]["rounds"] == 4  # 2 steps x 2 mini-batches
    run = tmp_path / "run"
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [row["rollout/episodes"] for row in rows] == [6, 6]  # summed over ranks
    assert all(0.0 <= row["reward/mean"] <= 1.0 and row["grad/actor_norm"] > 0 for row in rows)
    assert (run / "checkpoints" / "step-000002").is_dir()
    assert not (run / "rank1" / "checkpoints").exists()  # only rank 0 writes checkpoints
    assert (run / "rank1" / "rollouts.jsonl").is_file()


@pytest.mark.parametrize("flag", ["ACCELERATE_USE_FSDP", "ACCELERATE_USE_DEEPSPEED"])
def test_sharded_accelerate_configs_are_refused_clearly(monkeypatch, flag):
    from rlver.errors import ConfigError
    from rlver.integrations.distributed import init_distributed

    monkeypatch.setenv(flag, "true")
    with pytest.raises(ConfigError, match="docs/scaling.md"):
        init_distributed()
