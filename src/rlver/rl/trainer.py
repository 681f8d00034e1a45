"""The training loop: rollouts -> rewards -> advantages -> update -> metrics -> transcripts -> checkpoint.

The trainer knows nothing about prompts: dialogues are run by :func:`rlver.rollout.run_dialogues`
with an :class:`~rlver.policy.hf.HFPolicy` that shares the model being trained, and the trainer
only sees the resulting :class:`~rlver.rollout.types.Episode` objects and their token traces.

    trainer = Trainer(config, model, tokenizer, simulator, profiles)
    trainer.train()

Every random choice of a step (profiles, simulator seeds, the policy's sampling seed, mini-batch
order) is derived from ``(config.seed, step)``, so a resumed run repeats exactly what an
uninterrupted run would have done.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import functools
import random
import shutil
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import torch
from torch import nn

from rlver.errors import ConfigError, RunFailed
from rlver.profiles.schema import Profile
from rlver.rl.algorithm import Algorithm
from rlver.rl.batch import collate
from rlver.rl.checkpoint import (
    CheckpointManager,
    capture_rng_state,
    load_policy_weights,
    load_trainable,
    restore_rng_state,
)
from rlver.rl.config import TrainConfig
from rlver.rl.config_io import dump_config
from rlver.rl.forward import autocast
from rlver.rl.grpo import GRPO
from rlver.rl.lora import apply_lora, apply_lora_to_critic
from rlver.rl.metrics import MetricsLogger, truncate_jsonl_after
from rlver.rl.ppo import PPO
from rlver.rl.progress import TrainProgress
from rlver.rl.value import build_critic
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.rollout.rewards import get_reward, score_episodes
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.simulator.presets import Preset, get_preset
from rlver.utils.crashpoints import crash_point
from rlver.utils.io import JsonlAppender, atomic_write_text
from rlver.utils.seeding import derive_seed, derive_seed31

__all__ = ["TrainerCallback", "Trainer"]


MISMATCH_DIALOGUES = 4
"""Dialogues re-scored per step for ``rollout/logprob_mismatch`` when the update takes its old log-probs
from the sampler (``grpo.old_logp: rollout``): a precision or trace mismatch is systematic, so a few
dialogues show it, at a small share of the scoring pass that option saves."""


def _mean_abs_diff(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> float:
    """Mean |a - b| over the positions where ``mask`` is 1: (B, T), (B, T), (B, T) -> a number."""
    return float(((a - b).abs() * mask).sum() / mask.sum().clamp(min=1))


@functools.cache
def _autocast_policy_class() -> type:
    """HFPolicy that samples under the update's autocast (``dtype`` None: none).

    Autocast is per thread and HFPolicy generates in a worker thread, so the context is entered there,
    around each generate batch. Built on first use: rlver.policy.hf imports transformers.
    """
    from rlver.policy.hf import HFPolicy

    class AutocastHFPolicy(HFPolicy):
        def __init__(self, *args: Any, dtype: torch.dtype | None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.autocast_dtype = dtype

        def _generate_sync(self, *args: Any, **kwargs: Any) -> Any:
            with autocast(self.model.device, self.autocast_dtype):
                return super()._generate_sync(*args, **kwargs)

    return AutocastHFPolicy


class TrainerCallback:
    """Hooks into the loop; override what you need (the demo uses these to report live)."""

    def on_train_start(self, trainer: "Trainer") -> None: ...

    def on_rollout_end(self, trainer: "Trainer", step: int, episodes: list[Episode]) -> None: ...

    def on_step_end(self, trainer: "Trainer", step: int, metrics: dict[str, Any]) -> None: ...

    def on_checkpoint(self, trainer: "Trainer", step: int, path: Path) -> None: ...

    def on_train_end(self, trainer: "Trainer") -> None: ...


class Trainer:
    """Trains ``policy_model`` with PPO or GRPO against ``simulator`` on ``profiles``."""

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
        if not profiles:
            raise ConfigError("no profiles to train on")
        self.config = config
        self.tokenizer = tokenizer
        self.simulator = simulator
        self.profiles = list(profiles)
        self.callbacks = list(callbacks)
        base = preset or get_preset(config.preset)
        max_turns = config.rollout.max_turns
        self.preset = replace(base, max_policy_turns=max_turns) if max_turns else base
        self.out_dir = Path(config.out_dir)
        self.checkpoints = CheckpointManager(self.out_dir / "checkpoints", config.checkpoint.keep_last_k)
        self.reward_fn = get_reward(config.reward.name)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.step = 0
        self._degraded_steps = 0  # consecutive steps whose dropped share exceeded the limit
        self._loop: asyncio.AbstractEventLoop | None = None
        torch.manual_seed(config.seed)
        random.seed(config.seed)

        critic = build_critic(config.ppo.critic, policy_model) if config.algo == "ppo" else None
        reference = None
        if config.lora.enabled:
            policy_model = apply_lora(policy_model, config.lora)
            if critic is not None:
                critic = apply_lora_to_critic(critic, config.lora)
        elif config.loss.kl_coef > 0:
            reference = copy.deepcopy(policy_model).eval().requires_grad_(False)
        self.model = policy_model
        self.critic = critic
        self.algorithm: Algorithm = (
            PPO(policy_model, critic, config, reference)
            if critic is not None
            else GRPO(policy_model, config, reference)
        )
        self._check_old_logp()

    # ----------------------------------------------------------------------------- resume
    def resume(self, checkpoint: str | Path | None = None) -> int:
        """Load a checkpoint (default: the latest in ``OUT/checkpoints``); returns its step.

        Metrics and transcripts of later steps are removed (they will be produced again), and so are
        later checkpoints.
        """
        folder = Path(checkpoint) if checkpoint is not None else self.checkpoints.latest()
        if folder is None:
            raise ConfigError(f"--resume: no checkpoint in {self.checkpoints.root}")
        state = self.checkpoints.load_state(folder)
        load_policy_weights(self.model, folder / "policy")
        if self.critic is not None:
            load_trainable(self.critic, folder / "critic.safetensors")
        try:
            self.algorithm.load_state_dict(state)
            restore_rng_state(state["rng"])
        except (KeyError, TypeError, ValueError) as exc:  # a damaged or foreign trainer_state.pt
            raise ConfigError(
                f"{folder}: trainer state is incomplete or damaged ({exc!r}); resume from another checkpoint"
            ) from None
        self.step = int(state["step"])
        for later in [s for s in self.checkpoints.steps() if s > self.step]:
            shutil.rmtree(self.checkpoints.step_dir(later), ignore_errors=True)
        for name in ("metrics.jsonl", "rollouts.jsonl"):
            truncate_jsonl_after(self.out_dir / name, self.step)
        return self.step

    # ----------------------------------------------------------------------------- loop
    def train(self) -> list[dict[str, Any]]:
        """Run from the current step to ``config.steps``; returns the metrics rows of this call."""
        config = self.config
        self.out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.out_dir / "config.yaml", dump_config(config))
        logger = MetricsLogger(
            self.out_dir,
            log_every=config.logging.log_every,
            tensorboard=config.logging.tensorboard,
            wandb_project=config.logging.wandb_project,
            run_config=config.to_dict(),
        )
        transcripts = JsonlAppender(self.out_dir / "rollouts.jsonl") if config.logging.save_rollouts else None
        rows: list[dict[str, Any]] = []
        for callback in self.callbacks:
            callback.on_train_start(self)
        try:
            with TrainProgress(config.steps, start=self.step, enabled=config.logging.progress) as progress:
                while self.step < config.steps:
                    step = self.step + 1
                    metrics, episodes = self.train_step(step)
                    if transcripts is not None:
                        rewards = metrics.pop("_episode_rewards")
                        for episode in episodes:
                            transcripts.write(
                                {"step": step, "reward": rewards.get(episode.id), **episode.to_dict()}
                            )
                    else:
                        metrics.pop("_episode_rewards")
                    row = logger.log(step, metrics)
                    rows.append(row)
                    self.step = step
                    if step % config.checkpoint.every == 0 or step == config.steps:
                        path = self.save_checkpoint(row)
                        for callback in self.callbacks:
                            callback.on_checkpoint(self, step, path)
                    progress.advance(row, log=step % config.logging.log_every == 0)
                    for callback in self.callbacks:
                        callback.on_step_end(self, step, row)
        finally:
            logger.close()
            if transcripts is not None:
                transcripts.close()
            self.close()
        for callback in self.callbacks:
            callback.on_train_end(self)
        return rows

    def sample_jobs(self, step: int) -> list[DialogueJob]:
        """The step's dialogues: ``profiles_per_step`` profiles x ``group_size`` rollouts each."""
        rng = random.Random(derive_seed(self.config.seed, "profiles", step))
        k = self.config.rollout.profiles_per_step
        chosen: list[Profile] = []
        while len(chosen) < k:  # without replacement while possible; whole reshuffled passes after that
            chosen.extend(rng.sample(self.profiles, min(len(self.profiles), k - len(chosen))))
        jobs = []
        for group, profile in enumerate(chosen):
            seed = derive_seed31(self.config.seed, "simulator", step, group)
            for rollout in range(self.config.group_size):
                jobs.append(
                    DialogueJob(
                        profile=profile,
                        seed=seed,
                        group=group,
                        id=f"s{step}-g{group}-r{rollout}-{profile.id}",
                    )
                )
        return jobs

    def rollout(self, step: int) -> list[Episode]:
        """Run the step's dialogues with the current weights (eval mode, no gradients), under the update's
        autocast (``optim.precision``): the tokens are sampled from the numbers the update scores."""
        from rlver.policy.hf import GenerationSettings

        settings = self.config.rollout
        generation = GenerationSettings(
            temperature=settings.temperature,
            top_p=settings.top_p,
            max_new_tokens=settings.max_new_tokens,
            seed=derive_seed31(self.config.seed, "policy", step),
            batch_size=settings.max_concurrent,
        )
        policy = _autocast_policy_class()(
            self.model, self.tokenizer, generation, name=f"train:{self.config.policy}", dtype=self.algorithm.dtype
        )
        rollout_config = RolloutConfig(
            preset=self.preset,
            think=settings.think,
            system_prompt=settings.system_prompt,
            max_concurrent=settings.max_concurrent,
        )
        self.model.eval()
        with torch.no_grad():
            return self._run_async(
                run_dialogues(
                    self.sample_jobs(step), policy, self.simulator, rollout_config,
                    on_episode=lambda _: crash_point("rollout", step),  # test-only kill point
                )
            )

    def _run_async(self, coro):
        """Run ``coro`` on the trainer's own event loop, kept across steps so that HTTP clients keep
        their connections. Called from inside a running loop (a notebook, an async app), the loop runs
        in a worker thread instead, since one thread cannot run two loops."""
        if self._loop is None or self._loop.is_closed():
            self._loop = asyncio.new_event_loop()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._loop.run_until_complete(coro)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(self._loop.run_until_complete, coro).result()

    def close(self) -> None:
        """Close the simulator's connections and the trainer's event loop (``train`` does this when it returns)."""
        if self._loop is not None and not self._loop.is_closed():
            close = getattr(self.simulator, "aclose", None)
            if close is not None:  # on the loop its connections were opened on
                self._run_async(close())
            self._run_async(self._loop.shutdown_asyncgens())
            self._loop.close()
        self._loop = None

    @property
    def samples_like_update(self) -> bool:
        """True when :meth:`rollout` samples with the trained model under the update's autocast (the
        native HFPolicy rollout). A subclass that samples elsewhere (vLLM, another precision) is False
        unless it overrides this, and then cannot take its old log-probs from the rollout."""
        return type(self).rollout is Trainer.rollout

    def _check_old_logp(self) -> None:
        config = self.config
        if config.algo != "grpo" or config.grpo.old_logp != "rollout" or self.samples_like_update:
            return
        precision = self.algorithm.dtype or torch.float32
        raise ConfigError(
            f"grpo.old_logp: rollout takes the ratio's old log-probs from the sampler, but {type(self).__name__} "
            f"samples with another engine or precision than the update ({precision}); use grpo.old_logp: recompute"
        )

    def _rescored_mismatch(self, batch: Any, step: int) -> float | None:
        """``rollout/logprob_mismatch`` when the update uses the sampler's log-probs: the same difference,
        measured on :data:`MISMATCH_DIALOGUES` dialogues re-scored with the update's forward pass."""
        generator = torch.Generator().manual_seed(derive_seed(self.config.seed, "mismatch", step))
        rows = torch.randperm(len(batch), generator=generator)[:MISMATCH_DIALOGUES].sort().values
        sample = batch.select(rows)
        if not sample.loss_mask.any():
            return None
        logp = self.algorithm.score_logp(self.algorithm.policy, sample)  # (k, T-1), no gradients
        return _mean_abs_diff(logp, sample.sampled_logprobs, sample.loss_mask)

    def _check_dropped(self, step: int, episodes: list[Episode], failed: list[Episode]) -> None:
        """Stop the run (:class:`RunFailed`) before an update that would train on nothing, or on too
        little for ``max_dropped_steps`` steps in a row; the previous checkpoint stays the latest."""
        settings = self.config.rollout
        if not failed:
            self._degraded_steps = 0
            return
        reasons: dict[str, int] = {}
        for episode in failed:
            reason = " ".join(str(episode.error or "no reward could be computed").split())[:300]
            reasons[reason] = reasons.get(reason, 0) + 1
        why = "; ".join(f"{count}x {reason}" for reason, count in sorted(reasons.items(), key=lambda r: -r[1]))
        share = len(failed) / max(len(episodes), 1)
        if len(failed) == len(episodes):
            raise RunFailed(f"step {step}: no scorable episode, all {len(episodes)} dialogues failed: {why}")
        self._degraded_steps = self._degraded_steps + 1 if share > settings.max_dropped_fraction else 0
        if self._degraded_steps >= settings.max_dropped_steps:
            raise RunFailed(
                f"step {step}: {len(failed)} of {len(episodes)} dialogues failed, over "
                f"rollout.max_dropped_fraction={settings.max_dropped_fraction:g} for "
                f"{self._degraded_steps} steps in a row: {why}"
            )

    def train_step(self, step: int) -> tuple[dict[str, Any], list[Episode]]:
        """One step; returns its metrics and episodes.

        The metrics carry a private ``_episode_rewards`` entry (episode id -> return) that ``train``
        pops into ``rollouts.jsonl``; subclasses (``integrations.distributed``) merge it across ranks.
        """
        config = self.config
        start = time.perf_counter()
        episodes = self.rollout(step)
        rollout_seconds = time.perf_counter() - start
        for callback in self.callbacks:
            callback.on_rollout_end(self, step, episodes)

        scored, failed = score_episodes(
            episodes, self.reward_fn, format_violation_reward=config.reward.format_violation_reward
        )
        self._check_dropped(step, episodes, failed)
        batch, stats = collate(
            scored, pad_id=self.pad_id, max_length=config.rollout.max_length, overlong=config.rollout.overlong
        )
        update_start = time.perf_counter()
        losses: dict[str, float] = {}
        mismatch = None
        if batch is not None:
            batch = batch.to(self.algorithm.device)
            prepared = self.algorithm.prepare(batch)
            crash_point("update", step)  # test-only kill point: between scoring and the optimizer step
            mask = batch.loss_mask
            if prepared.old_logp is not batch.sampled_logprobs:
                mismatch = _mean_abs_diff(prepared.old_logp, batch.sampled_logprobs, mask)
            else:  # old log-probs are the sampler's own: re-score a few dialogues to compare
                mismatch = self._rescored_mismatch(batch, step)
            generator = torch.Generator().manual_seed(derive_seed(config.seed, "minibatches", step))
            losses = self.algorithm.update(prepared, generator)
        update_seconds = time.perf_counter() - update_start
        step_seconds = time.perf_counter() - start

        totals = [s.total for s in scored]
        finals = [s.episode.final_emotion for s in scored if s.episode.final_emotion is not None]
        tokens = batch.num_tokens if batch is not None else 0
        metrics: dict[str, Any] = {
            "reward/mean": statistics.fmean(totals) if totals else None,
            "reward/std": statistics.pstdev(totals) if totals else None,
            "emotion/final_mean": statistics.fmean(finals) if finals else None,
            "rollout/episodes": len(episodes),
            "rollout/turns_mean": statistics.fmean(e.policy_turns for e in episodes) if episodes else None,
            "rollout/format_violations": sum(1 for e in episodes if e.format_violations > 0),
            "rollout/dropped": len(failed) + stats.dropped_overlong,
            "rollout/errors": len(failed),
            "rollout/truncated": stats.truncated,
            "rollout/policy_tokens": batch.num_action_tokens if batch is not None else 0,
            "rollout/logprob_mismatch": mismatch,
            **losses,
            "perf/step_seconds": step_seconds,
            "perf/rollout_seconds": rollout_seconds,
            "perf/update_seconds": update_seconds,
            "perf/tokens_per_second": tokens / step_seconds if step_seconds > 0 else None,
            "_episode_rewards": {s.episode.id: s.total for s in scored},
        }
        return metrics, episodes

    def save_checkpoint(self, row: dict[str, Any]) -> Path:
        """Write the checkpoint of the current step."""
        state = {**self.algorithm.state_dict(), "rng": capture_rng_state()}
        summary = {k: row.get(k) for k in ("reward/mean", "emotion/final_mean")}
        return self.checkpoints.save(
            self.step,
            policy=self.model,
            tokenizer=self.tokenizer,
            critic=self.critic,
            state=state,
            summary={"algo": self.config.algo, **summary},
        )
