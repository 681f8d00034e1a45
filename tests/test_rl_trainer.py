"""The training loop on a tiny random model against a deterministic simulator: learning, outputs, resume."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace

import pytest
import torch

from rlver.errors import ConfigError, SimulatorError
from rlver.models.tiny import tiny_test_setup
from rlver.rl.checkpoint import CheckpointManager
from rlver.rl.config import CheckpointSettings, GRPOSettings, LossSettings, PPOSettings, RewardSettings
from rlver.rl.metrics import METRIC_KEYS
from rlver.rl.trainer import Trainer, TrainerCallback
from tests.test_rl_support import TEST_PRESET, KeywordAgent, make_profiles, one_torch_thread, tiny_config  # noqa: F401


def make_trainer(config, simulator=None, callbacks=(), base_dir=None):
    model, tokenizer = tiny_test_setup(seed=0)
    if base_dir is not None:  # as if loaded from a folder (what hf:DIR does): LoRA checkpoints name it
        model.save_pretrained(base_dir)
        tokenizer.save_pretrained(base_dir)
        model.name_or_path = str(base_dir)
    return Trainer(
        config,
        model,
        tokenizer,
        simulator or KeywordAgent(),
        make_profiles(),
        preset=TEST_PRESET,
        callbacks=callbacks,
    )


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_mean_reward_rises(tmp_path, algo):
    """The simulator likes replies full of 'e'; 12 seeded steps take the tiny model from ~0.45 to ~0.9."""
    config = tiny_config(algo, tmp_path, steps=12, checkpoint=CheckpointSettings(every=100, keep_last_k=1))
    rows = make_trainer(config).train()
    rewards = [row["reward/mean"] for row in rows]
    first, last = statistics.fmean(rewards[:3]), statistics.fmean(rewards[-3:])
    assert last > first + 0.2, f"reward did not rise: {[round(r, 2) for r in rewards]}"


def test_turn_level_grpo_on_per_turn_rewards_learns(tmp_path):
    """GRPO with ``credit: turn`` on emotion deltas: the final emotion rises as with the outcome reward."""
    config = tiny_config(
        "grpo",
        tmp_path,
        steps=12,
        checkpoint=CheckpointSettings(every=100, keep_last_k=1),
        reward=RewardSettings(name="emotion_delta"),
        grpo=GRPOSettings(credit="turn", gamma=0.0),
    )
    rows = make_trainer(config).train()
    emotion = [row["emotion/final_mean"] for row in rows]
    first, last = statistics.fmean(emotion[:3]), statistics.fmean(emotion[-3:])
    assert last > first + 20, f"final emotion did not rise: {[round(e) for e in emotion]}"


def test_grpo_can_take_old_logprobs_from_the_rollout(tmp_path):
    """``grpo.old_logp: rollout`` skips the scoring forward pass and trains the same way."""
    runs = {}
    for source in ("recompute", "rollout"):
        config = tiny_config(
            "grpo", tmp_path / source, steps=2, grpo=GRPOSettings(old_logp=source),
            checkpoint=CheckpointSettings(every=100, keep_last_k=1),
        )
        runs[source] = make_trainer(config).train()
    recomputed, reused = runs["recompute"], runs["rollout"]
    assert recomputed[0]["rollout/logprob_mismatch"] < 1e-4  # the sampler's numbers are the trainer's
    assert reused[0]["rollout/logprob_mismatch"] < 1e-4  # measured on re-scored dialogues
    # the same rollouts (same seeds), and an update from (numerically) the same old log-probs
    assert reused[0]["reward/mean"] == recomputed[0]["reward/mean"]
    assert reused[0]["losses/policy"] == pytest.approx(recomputed[0]["losses/policy"], abs=1e-4)


def test_outputs_metrics_transcripts_checkpoints(tmp_path):
    seen: list[str] = []

    class Recorder(TrainerCallback):
        def on_rollout_end(self, trainer, step, episodes):
            seen.append(f"rollout{step}:{len(episodes)}")

        def on_checkpoint(self, trainer, step, path):
            seen.append(f"ckpt{step}")

        def on_step_end(self, trainer, step, metrics):
            seen.append(f"step{step}")

    config = tiny_config(
        "ppo",
        tmp_path,
        steps=3,
        ppo=PPOSettings(critic="separate"),
        checkpoint=CheckpointSettings(every=1, keep_last_k=2),
    )
    make_trainer(config, callbacks=[Recorder()]).train()
    assert seen == [
        "rollout1:8",
        "ckpt1",
        "step1",
        "rollout2:8",
        "ckpt2",
        "step2",
        "rollout3:8",
        "ckpt3",
        "step3",
    ]

    metrics = read_jsonl(tmp_path / "metrics.jsonl")
    assert [row["step"] for row in metrics] == [1, 2, 3]
    for row in metrics:
        missing = [key for key in METRIC_KEYS if row.get(key) is None]
        assert not missing, f"step {row['step']} lacks {missing}"
        assert 0.0 <= row["reward/mean"] <= 1.0
        assert row["rollout/dropped"] == 0 and row["rollout/turns_mean"] == 2.0
        # The trace is token-exact: recomputed log-probs equal the sampled ones up to float noise.
        assert row["rollout/logprob_mismatch"] < 1e-3

    rollouts = read_jsonl(tmp_path / "rollouts.jsonl")
    assert len(rollouts) == 3 * 8
    assert {r["step"] for r in rollouts} == {1, 2, 3}
    first = rollouts[0]
    assert first["reward"] == pytest.approx(first["final_emotion"] / 100)
    assert len({r["id"] for r in rollouts}) == len(rollouts)

    manager = CheckpointManager(tmp_path / "checkpoints", keep_last_k=2)
    assert manager.steps() == [2, 3]  # keep_last_k = 2
    latest = manager.latest()
    assert latest is not None and latest.name == "step-000003"
    assert (latest / "policy" / "model.safetensors").is_file()
    assert (latest / "policy" / "tokenizer.json").is_file()
    assert (latest / "critic.safetensors").is_file()
    assert json.loads((latest / "trainer_state.json").read_text())["step"] == 3
    assert not [
        p for p in (tmp_path / "checkpoints").iterdir() if p.name.startswith(".")
    ]  # no temp leftovers
    assert (tmp_path / "config.yaml").is_file()


@pytest.mark.parametrize("algo,critic", [("ppo", "separate"), ("grpo", None)])
def test_resume_gives_the_same_parameters(tmp_path, algo, critic):
    extra = {"ppo": PPOSettings(critic=critic)} if critic else {}
    straight = make_trainer(tiny_config(algo, tmp_path / "a", steps=4, **extra))
    straight.train()

    config = tiny_config(algo, tmp_path / "b", steps=4, **extra)
    make_trainer(replace(config, steps=2)).train()
    resumed = make_trainer(config)
    assert resumed.resume() == 2
    resumed.train()

    for (name, a), (_, b) in zip(straight.model.named_parameters(), resumed.model.named_parameters()):
        torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6, msg=f"policy {name} differs after resume")
    if critic:
        for (name, a), (_, b) in zip(straight.critic.named_parameters(), resumed.critic.named_parameters()):
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6, msg=f"critic {name} differs after resume")
    rows_a = read_jsonl(tmp_path / "a" / "metrics.jsonl")
    rows_b = read_jsonl(tmp_path / "b" / "metrics.jsonl")
    assert [r["step"] for r in rows_b] == [1, 2, 3, 4]
    assert [r["reward/mean"] for r in rows_b] == pytest.approx([r["reward/mean"] for r in rows_a])


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    trainer = make_trainer(tiny_config("grpo", tmp_path, steps=1))
    with pytest.raises(ConfigError, match="no checkpoint"):
        trainer.resume()


def test_failed_dialogues_are_dropped_not_scored(tmp_path):
    class Flaky(KeywordAgent):
        async def appraise(self, state, reply):
            if state.profile.id == "p0":
                raise SimulatorError("judge endpoint down")
            return await super().appraise(state, reply)

    config = tiny_config("grpo", tmp_path, steps=1)
    row = make_trainer(config, simulator=Flaky()).train()[0]
    # Every step samples all 4 profiles; p0's group of 4 fails and is dropped, the rest train.
    assert row["rollout/dropped"] == 4 and row["rollout/errors"] == 4
    assert row["losses/policy"] is not None
    rollouts = read_jsonl(tmp_path / "rollouts.jsonl")
    failed = [r for r in rollouts if r["error"]]
    assert len(failed) == 4 and all(r["reward"] is None for r in failed)


def test_think_mode_format_violations_earn_the_configured_reward(tmp_path):
    config = tiny_config("grpo", tmp_path, steps=1)
    config = replace(config, rollout=replace(config.rollout, think=True), loss=LossSettings(entropy_coef=0.0))
    row = make_trainer(config).train()[0]
    # A random tiny model does not write <think>…</think>: every dialogue breaks the format at once.
    assert row["rollout/format_violations"] == 16
    assert row["reward/mean"] == 0.0 and row["rollout/turns_mean"] == 1.0


def test_kl_penalty_and_reference_copy(tmp_path):
    config = tiny_config("grpo", tmp_path, steps=2, loss=LossSettings(kl_coef=0.05))
    trainer = make_trainer(config)
    rows = trainer.train()
    assert trainer.algorithm.reference is not None
    assert rows[-1]["losses/kl_ref"] > 0


@pytest.mark.parametrize("algo", ["grpo", "ppo"])
def test_lora_trains_adapters_only_and_resumes(tmp_path, algo):
    pytest.importorskip("peft")
    from rlver.rl.config import LoRASettings

    lora = LoRASettings(enabled=True, r=4, alpha=8, target_modules=("q_proj", "v_proj"))
    extra = {"ppo": PPOSettings(critic="separate")} if algo == "ppo" else {}
    config = tiny_config(algo, tmp_path / "run", steps=2, lora=lora, loss=LossSettings(kl_coef=0.05), **extra)
    trainer = make_trainer(config, base_dir=tmp_path / "base")
    base = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora_" not in n}
    adapters = {n: p.detach().clone() for n, p in trainer.model.named_parameters() if "lora_B" in n}
    rows = trainer.train()
    assert trainer.algorithm.reference is None  # the reference is the model with adapters switched off
    assert rows[-1]["losses/kl_ref"] > 0
    for name, value in trainer.model.named_parameters():
        if name in base:
            assert torch.equal(value, base[name]), f"frozen base weight {name} changed"
    assert all(not torch.equal(adapters[n], p) for n, p in trainer.model.named_parameters() if n in adapters)
    latest = trainer.checkpoints.latest()
    assert (latest / "policy" / "adapter_model.safetensors").is_file()

    # The checkpoint's policy/ is a policy again (hf:DIR): the adapter merged into its base.
    from rlver.models.loading import load_pretrained

    merged, tokenizer = load_pretrained(latest / "policy", device="cpu", dtype="float32")
    assert not any("lora_" in name for name, _ in merged.named_parameters())
    probe = torch.tensor([tokenizer.encode("I had a rough day and nobody listened.")])
    trainer.model.eval()
    with torch.no_grad():
        expected, got = trainer.model(input_ids=probe).logits, merged(input_ids=probe).logits
    assert torch.allclose(got, expected, atol=1e-4), (got - expected).abs().max()
    with torch.no_grad(), trainer.model.disable_adapter():
        assert not torch.allclose(trainer.model(input_ids=probe).logits, got, atol=1e-4)  # the adapter matters

    resumed = make_trainer(config)
    assert resumed.resume() == 2
    for (name, a), (_, b) in zip(trainer.model.named_parameters(), resumed.model.named_parameters()):
        assert torch.equal(a, b), f"{name} differs after loading the checkpoint"


def test_train_from_inside_a_running_event_loop(tmp_path):
    """A notebook or an async app already runs a loop; the trainer still works there."""
    import asyncio

    trainer = make_trainer(tiny_config("grpo", tmp_path, steps=1))

    async def main():
        return trainer.train()

    rows = asyncio.run(main())
    assert rows[0]["step"] == 1 and rows[0]["reward/mean"] is not None
