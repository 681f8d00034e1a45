"""Data-parallel native training: two CPU processes (gloo) under `accelerate launch` stay identical."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
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


@dataclass(frozen=True)
class _Optim:
    """The optimiser setting GradientSync reads (it clips after averaging)."""

    max_grad_norm: float


@dataclass(frozen=True)
class _Config:
    """The part of an algorithm's config GradientSync reads and replaces."""

    optim: _Optim


@pytest.fixture
def one_process_group(monkeypatch):
    """A real one-process gloo group joined through init_distributed; yields its init_process_group kwargs."""
    import torch.distributed as dist

    from rlver.integrations.distributed import init_distributed

    for name, value in (("MASTER_ADDR", "127.0.0.1"), ("MASTER_PORT", str(free_port())), ("RANK", "0"),
                        ("LOCAL_RANK", "0"), ("WORLD_SIZE", "1"), ("RLVER_DIST_TIMEOUT", "5400")):
        monkeypatch.setenv(name, value)
    seen: dict = {}
    real = dist.init_process_group

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(dist, "init_process_group", spy)
    assert init_distributed()[:2] == (0, 1)
    yield seen
    dist.destroy_process_group()


def test_bf16_policy_and_fp32_value_head_sync_in_their_own_dtypes(one_process_group):
    """A bf16 policy and an fp32 value head in one update: gradients are reduced per dtype and keep it."""
    from datetime import timedelta

    import torch
    from torch import nn

    from rlver.integrations.distributed import GradientSync

    assert one_process_group["timeout"] == timedelta(seconds=5400)  # from $RLVER_DIST_TIMEOUT
    torch.manual_seed(0)
    policy = nn.Linear(6, 6).to(torch.bfloat16)
    head = nn.Linear(6, 1)  # value heads stay fp32

    class Algorithm:
        def __init__(self):
            self.config = _Config(_Optim(max_grad_norm=1.0))
            self.actor = torch.optim.SGD([*policy.parameters(), *head.parameters()], lr=0.1)
            self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.actor, lambda _: 1.0)

        def optimizers(self):
            return {"actor": (self.actor, self.scheduler, [*policy.parameters(), *head.parameters()])}

    algorithm = Algorithm()
    sync = GradientSync(algorithm, bucket_numel=20)  # small buckets: both the dtype and the size split them
    assert all(len({p.dtype for p in bucket}) == 1 for bucket in sync.buckets)
    assert {bucket[0].dtype for bucket in sync.buckets} == {torch.bfloat16, torch.float32}

    x = torch.randn(4, 6)
    loss = policy(x.to(torch.bfloat16)).float().pow(2).mean() + head(x).pow(2).mean()
    loss.backward()
    params = [*policy.parameters(), *head.parameters()]
    expected = [p.grad.clone() for p in params]
    before = [p.detach().clone() for p in params]
    algorithm.actor.step()  # the pre-step hook all-reduces (one rank: the average is the gradient)

    assert sync.rounds == 1
    assert all(p.grad.dtype == torch.bfloat16 for p in policy.parameters())
    assert all(p.grad.dtype == torch.float32 for p in head.parameters())
    norm = torch.sqrt(sum(g.float().pow(2).sum() for g in expected))
    scale = min(1.0, 1.0 / (float(norm) + 1e-6))  # clipped after the average, as DDP does
    for p, grad in zip(params, expected):
        assert torch.allclose(p.grad.float(), grad.float() * scale, rtol=1e-2, atol=1e-3)
    assert all(not torch.equal(a, b) for a, b in zip(before, params))
    sync.finish()  # no other rank left to join
    assert sync.pop_metrics()["grad/actor_norm"] == pytest.approx(float(norm), rel=1e-2)


def test_collective_timeout_is_configurable_and_checked(monkeypatch):
    from rlver.errors import ConfigError
    from rlver.integrations.distributed import DEFAULT_TIMEOUT_S, collective_timeout

    monkeypatch.delenv("RLVER_DIST_TIMEOUT", raising=False)
    assert collective_timeout() == DEFAULT_TIMEOUT_S >= 3600  # slow simulators: far above NCCL's 10 minutes
    assert collective_timeout(90) == 90.0
    monkeypatch.setenv("RLVER_DIST_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="RLVER_DIST_TIMEOUT"):
        collective_timeout()
    with pytest.raises(ConfigError, match="> 0"):
        collective_timeout(0)
