"""Data-parallel native training: ``accelerate launch`` / ``torchrun`` around :class:`rlver.rl.trainer.Trainer`.

Every rank holds a full replica of the policy (and critic), runs the dialogues of its share of the
step's GRPO groups, and all ranks apply the *same* averaged gradients, so the replicas never drift:

* :class:`DistributedTrainer` broadcasts rank 0's weights at start, gives rank ``r`` the groups
  ``g`` with ``g % world_size == r`` (a group never straddles ranks, so group advantages are exact),
  lets only rank 0 write checkpoints, and all-reduces the step's metrics.
* :class:`GradientSync` hooks the algorithm's first optimizer: before each optimizer step the
  gradients of every trainable parameter are averaged over the ranks that stepped, then clipped
  (clipping after the average, as DDP does). Ranks may take different numbers of optimizer steps
  (a rank whose dialogues were dropped has a smaller batch): a rank that has finished keeps
  joining the remaining all-reduces with zero weight and applies the same averaged update, until
  every rank is done.

This is DDP semantics (replicated weights, averaged gradients) implemented around the trainer's own
update loop rather than by wrapping the model, because the same model object also samples the
dialogues. It does not shard weights; for FSDP / ZeRO-3 see docs/scaling.md.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from rlver.errors import ConfigError
from rlver.profiles.schema import Profile
from rlver.rl.algorithm import Algorithm
from rlver.rl.config import TrainConfig
from rlver.rl.trainer import Trainer, TrainerCallback
from rlver.rollout.loop import DialogueJob
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.simulator.presets import Preset

__all__ = [
    "DEFAULT_TIMEOUT_S",
    "DistributedTrainer",
    "GradientSync",
    "broadcast_module",
    "collective_timeout",
    "gradient_buckets",
    "init_distributed",
    "is_distributed",
]

_COUNT_KEYS = ("rollout/episodes", "rollout/format_violations", "rollout/dropped", "rollout/errors",
               "rollout/truncated", "rollout/policy_tokens")
_MAX_SYNC_ROUNDS = 100_000
"""Upper bound on the all-reduce rounds one update can take (epochs x mini-batches)."""
DEFAULT_TIMEOUT_S = 7200.0
"""Default collective timeout: two hours covers a step of 8-turn dialogues against a busy simulator."""
TIMEOUT_ENV = "RLVER_DIST_TIMEOUT"
"""Environment variable overriding :data:`DEFAULT_TIMEOUT_S` (seconds)."""


def is_distributed() -> bool:
    """True when launched with more than one process (``accelerate launch``, ``torchrun``)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def init_distributed(timeout: float | None = None) -> tuple[int, int, torch.device]:
    """Join the process group from the launcher's environment; returns ``(rank, world_size, device)``.

    Backend: NCCL when CUDA is available (one GPU per local rank), gloo otherwise (CPU tests).
    ``timeout``: seconds a collective waits for the slowest rank before the job fails; ``None`` =
    ``$RLVER_DIST_TIMEOUT`` or :data:`DEFAULT_TIMEOUT_S`. A rank enters the step's first all-reduce
    once its own dialogues are done, so with a slow simulator the others wait for the slowest rank's
    rollout; NCCL's default (10 minutes) would abort such a run mid-step.
    """
    if not dist.is_available():
        raise ConfigError("torch.distributed is not available in this torch build")
    for flag, name in (("ACCELERATE_USE_FSDP", "FSDP"), ("ACCELERATE_USE_DEEPSPEED", "DeepSpeed")):
        if os.environ.get(flag, "").lower() in ("1", "true"):
            raise ConfigError(f"the native trainer runs data-parallel replicas only; an accelerate {name} config "
                              "is not supported yet (use a MULTI_GPU config, or verl for sharded training; "
                              "see docs/scaling.md)")
    seconds = collective_timeout(timeout)
    use_cuda = torch.cuda.is_available()
    if use_cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if use_cuda else "gloo", timeout=timedelta(seconds=seconds))
    device = torch.device("cuda", torch.cuda.current_device()) if use_cuda else torch.device("cpu")
    return dist.get_rank(), dist.get_world_size(), device


def collective_timeout(timeout: float | None = None) -> float:
    """Seconds for :func:`init_distributed`: ``timeout``, else ``$RLVER_DIST_TIMEOUT``, else the default."""
    raw: float | str = timeout if timeout is not None else os.environ.get(TIMEOUT_ENV) or DEFAULT_TIMEOUT_S
    try:
        seconds = float(raw)
    except ValueError:
        raise ConfigError(f"{TIMEOUT_ENV}={raw!r} is not a number of seconds") from None
    if not seconds > 0:
        raise ConfigError(f"the collective timeout must be > 0 seconds, got {raw!r}")
    return seconds


@torch.no_grad()
def broadcast_module(module: nn.Module, src: int = 0) -> None:
    """Copy ``src``'s parameters and buffers to every rank (replicas start identical)."""
    for tensor in [*module.parameters(), *module.buffers()]:
        dist.broadcast(tensor.data, src=src)


def gradient_buckets(params: Sequence[nn.Parameter], bucket_numel: int) -> list[list[nn.Parameter]]:
    """Split ``params`` into all-reduce buckets of one dtype and device, about ``bucket_numel`` each.

    A bucket is flattened with ``torch.cat``, which would promote a bf16 gradient next to an fp32
    one, and the promoted slice could not go back into the bf16 ``param.grad`` (DDP buckets the same way).
    """
    groups: dict[tuple[torch.dtype, torch.device], list[nn.Parameter]] = {}
    for param in params:
        groups.setdefault((param.dtype, param.device), []).append(param)
    buckets: list[list[nn.Parameter]] = []
    for group in groups.values():
        bucket: list[nn.Parameter] = []
        size = 0
        for param in group:
            bucket.append(param)
            size += param.numel()
            if size >= bucket_numel:
                buckets.append(bucket)
                bucket, size = [], 0
        if bucket:
            buckets.append(bucket)
    return buckets


class GradientSync:
    """Averages gradients across ranks before each optimizer step of ``algorithm`` (see module doc)."""

    def __init__(self, algorithm: Algorithm, *, bucket_numel: int = 2**24) -> None:
        self.algorithm = algorithm
        self.bucket_numel = bucket_numel
        self.max_grad_norm = algorithm.config.optim.max_grad_norm
        # The algorithm would clip each rank's local gradient; clip the average here instead.
        optim = replace(algorithm.config.optim, max_grad_norm=0.0)
        algorithm.config = replace(algorithm.config, optim=optim)
        self.entries = list(algorithm.optimizers().items())
        self.params = [p for _, (_, _, params) in self.entries for p in params]
        self.buckets = gradient_buckets(self.params, bucket_numel)
        """Parameters reduced together: one dtype and device per bucket (a bf16 policy, an fp32 value head)."""
        self.norms: dict[str, list[float]] = {}
        self.rounds = 0
        self._joining = False
        first_optimizer = self.entries[0][1][0]

        def sync_before_step(optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
            if not self._joining:  # a step of this rank's own update: contribute its gradients
                self._all_reduce(contributing=True)
                self._clip()

        self._hook = first_optimizer.register_step_pre_hook(sync_before_step)

    @torch.no_grad()
    def _all_reduce(self, *, contributing: bool) -> int:
        """One round: returns how many ranks contributed; leaves their average in every ``p.grad``."""
        device = self.params[0].device
        flag = torch.tensor([1.0 if contributing else 0.0], device=device)
        dist.all_reduce(flag)
        ranks = int(flag.item())
        if ranks == 0:
            return 0
        self.rounds += 1
        for bucket in self.buckets:
            self._reduce_bucket(bucket, ranks, contributing)
        return ranks

    def _reduce_bucket(self, bucket: list[nn.Parameter], ranks: int, contributing: bool) -> None:
        flat = torch.cat([
            (p.grad if contributing and p.grad is not None else torch.zeros_like(p)).reshape(-1) for p in bucket
        ])  # (N,)
        dist.all_reduce(flat)
        flat /= ranks  # g = (1 / k) * sum over the k ranks that stepped
        offset = 0
        for param in bucket:
            n = param.numel()
            param.grad = flat[offset : offset + n].view_as(param).clone()
            offset += n

    def _clip(self) -> None:
        if self.max_grad_norm <= 0:
            return
        for key, (_, _, params) in self.entries:
            norm = torch.nn.utils.clip_grad_norm_(params, self.max_grad_norm)
            self.norms.setdefault(f"grad/{key}_norm", []).append(float(norm))

    def finish(self) -> None:
        """Call on every rank after the update: joins the other ranks' remaining steps, then returns."""
        self._joining = True
        try:
            for _ in range(_MAX_SYNC_ROUNDS):
                if self._all_reduce(contributing=False) == 0:
                    return
                self._clip()
                for _, (optimizer, scheduler, _) in self.entries:
                    optimizer.step()
                    scheduler.step()
        finally:
            self._joining = False
        raise RuntimeError(f"ranks did not finish their updates within {_MAX_SYNC_ROUNDS} all-reduce rounds")

    def pop_metrics(self) -> dict[str, float]:
        out = {key: statistics.fmean(values) for key, values in self.norms.items() if values}
        self.norms = {}
        return out


class DistributedTrainer(Trainer):
    """:class:`Trainer` on one rank of a data-parallel job (launch with ``accelerate launch``)."""

    def __init__(
        self,
        config: TrainConfig,
        policy_model: nn.Module,
        tokenizer: Any,
        simulator: UserSimulator,
        profiles: Sequence[Profile],
        *,
        preset: Preset | None = None,
        callbacks: Sequence[TrainerCallback] = (),
    ) -> None:
        if not dist.is_initialized():
            raise ConfigError("DistributedTrainer needs torch.distributed: call init_distributed() first")
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        self.main_out_dir = Path(config.out_dir)
        if self.rank != 0:  # other ranks keep their own metrics and transcripts, and write no checkpoint
            logging = replace(config.logging, tensorboard=False, wandb_project=None, progress=False)
            config = replace(config, out_dir=str(self.main_out_dir / f"rank{self.rank}"), logging=logging)
        super().__init__(config, policy_model, tokenizer, simulator, profiles, preset=preset, callbacks=callbacks)
        broadcast_module(self.model)
        if self.critic is not None:
            broadcast_module(self.critic)
        self.sync = GradientSync(self.algorithm)

    def sample_jobs(self, step: int) -> list[DialogueJob]:
        """This rank's share of the step's dialogues: whole groups, dealt round-robin."""
        return [job for job in super().sample_jobs(step) if job.group % self.world_size == self.rank]

    def train_step(self, step: int) -> tuple[dict[str, Any], list[Episode]]:
        metrics, episodes = super().train_step(step)
        self.sync.finish()
        metrics.update(self.sync.pop_metrics())
        return reduce_metrics(metrics), episodes

    def save_checkpoint(self, row: dict[str, Any]) -> Path:
        path = self.main_out_dir / "checkpoints"
        if self.rank == 0:
            path = super().save_checkpoint(row)
        dist.barrier()
        return path

    def resume(self, checkpoint: str | Path | None = None) -> int:
        """Every rank loads rank 0's checkpoint (default: the latest in the main run directory)."""
        if checkpoint is None and self.rank != 0:
            from rlver.rl.checkpoint import CheckpointManager

            checkpoint = CheckpointManager(self.main_out_dir / "checkpoints", self.config.checkpoint.keep_last_k).latest()
            if checkpoint is None:
                raise ConfigError(f"--resume: no checkpoint in {self.main_out_dir / 'checkpoints'}")
        return super().resume(checkpoint)


def reduce_metrics(metrics: dict[str, Any]) -> dict[str, Any]:
    """The step's metrics over all ranks: counts summed, times maxed, rewards recomputed, others averaged."""
    gathered: list[dict[str, Any]] = [{} for _ in range(dist.get_world_size())]
    dist.all_gather_object(gathered, metrics)
    rewards: dict[str, float] = {}
    for row in gathered:
        rewards.update(row.get("_episode_rewards", {}))
    out: dict[str, Any] = {}
    for key in dict.fromkeys(k for row in gathered for k in row):
        if key == "_episode_rewards":
            out[key] = rewards
            continue
        values = [row[key] for row in gathered if isinstance(row.get(key), (int, float))]
        if not values:
            out[key] = None
        elif key in _COUNT_KEYS:
            out[key] = sum(values)
        elif key.startswith("perf/") and key != "perf/tokens_per_second":
            out[key] = max(values)
        elif key == "perf/tokens_per_second":
            out[key] = sum(values)
        else:
            out[key] = statistics.fmean(values)
    totals = list(rewards.values())
    out["reward/mean"] = statistics.fmean(totals) if totals else None
    out["reward/std"] = statistics.pstdev(totals) if totals else None
    return out
