"""The TRL adapter end to end: GRPOTrainer + RlverRolloutFunc on CPU with a tiny model.

Needs TRL >= 1.16 (scripts/test_adapters.sh builds a venv with it); skipped when TRL is absent.
"""

from __future__ import annotations

import os
import statistics

import pytest

if os.environ.get("RLVER_REQUIRE_ADAPTERS") == "1":
    import trl
trl = pytest.importorskip("trl")
datasets = pytest.importorskip("datasets")

import torch
from trl import GRPOConfig, GRPOTrainer

from rlver.integrations.dialogue import EpisodeSettings
from rlver.integrations.trl_rollout import RlverRolloutFunc, emotion_reward_func, trl_dataset_rows
from rlver.models.tiny import tiny_test_setup
from tests.adapters._support import PRESET, LetterAgent, make_profiles

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class RecordingRollout(RlverRolloutFunc):
    """Keeps every batch of prompts TRL hands over."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.prompt_batches: list[list[str]] = []

    def __call__(self, prompts, trainer):
        self.prompt_batches.append(list(prompts))
        return super().__call__(prompts, trainer)


def make_trainer(tmp_path, steps: int):
    model, tokenizer = tiny_test_setup(seed=0)
    profiles = make_profiles(4)
    args = GRPOConfig(
        output_dir=str(tmp_path), use_cpu=True, bf16=False, fp16=False, per_device_train_batch_size=16,
        num_generations=4, max_completion_length=64, learning_rate=1e-2, lr_scheduler_type="constant",
        max_steps=steps, logging_steps=1, report_to="none", temperature=1.0, beta=0.0, seed=0,
        save_strategy="no", disable_tqdm=True,
    )
    rollout = RecordingRollout(profiles, LetterAgent(), EpisodeSettings(preset=PRESET, system_prompt=""),
                               max_new_tokens=4)
    trainer = GRPOTrainer(model=model, reward_funcs=[emotion_reward_func], args=args, processing_class=tokenizer,
                          train_dataset=datasets.Dataset.from_list(trl_dataset_rows(profiles) * 8),
                          rollout_func=rollout)
    return trainer, rollout


def test_grpo_with_rlver_rollouts_raises_the_emotion_reward(tmp_path):
    """LetterAgent likes replies full of 'e': 15 seeded GRPO steps take the tiny model from ~0.4 to ~0.7."""
    trainer, rollout = make_trainer(tmp_path, steps=15)
    trainer.train()
    rewards = [row["rewards/rlver_emotion/mean"] for row in trainer.state.log_history if "rewards/rlver_emotion/mean" in row]
    assert len(rewards) == 15
    first, last = statistics.fmean(rewards[:3]), statistics.fmean(rewards[-3:])
    assert last > first + 0.15, f"reward did not rise: {[round(r, 2) for r in rewards]}"
    # TRL hands over each prompt already repeated num_generations times, consecutively.
    for batch in rollout.prompt_batches:
        assert len(batch) == 16
        groups = [batch[i : i + 4] for i in range(0, 16, 4)]
        assert all(len(set(group)) == 1 for group in groups)
    assert all(e.ok for e in rollout.last_episodes)


def test_env_masked_tokens_get_no_gradient(tmp_path):
    """User-turn tokens sit inside the completion but TRL's loss never reaches them."""
    trainer, rollout = make_trainer(tmp_path, steps=1)
    captured: list[dict] = []
    get_logps, compute_loss = trainer._get_per_token_logps_and_entropies, trainer._compute_loss

    def spy_logps(*args, **kwargs):
        logps, entropies, aux = get_logps(*args, **kwargs)
        if torch.is_grad_enabled() and logps.requires_grad:
            logps.retain_grad()
            captured[-1]["logps"] = logps
        return logps, entropies, aux

    def spy_loss(model, inputs):
        captured.append({"completion_mask": inputs["completion_mask"].clone(), "tool_mask": inputs["tool_mask"].clone()})
        return compute_loss(model, inputs)

    trainer._get_per_token_logps_and_entropies = spy_logps
    trainer._compute_loss = spy_loss
    trainer.train()

    assert captured and "logps" in captured[0]
    grad = captured[0]["logps"].grad  # (B, C): d loss / d log pi(token)
    inside = captured[0]["completion_mask"].bool()
    env = inside & (captured[0]["tool_mask"] == 0)
    policy = inside & (captured[0]["tool_mask"] == 1)
    assert env.sum() > 0 and policy.sum() > 0  # completions hold user turns and policy replies
    assert grad[env].abs().max().item() == 0.0
    assert grad[policy].abs().sum().item() > 0.0
    # The mask TRL used is the env_mask the rollout returned (padded with 1 past the end).
    sent = rollout.last_episodes
    assert len(sent) == captured[0]["tool_mask"].shape[0]
