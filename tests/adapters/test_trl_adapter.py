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


# -- TRL's vLLM colocate mode: what can be checked without a GPU --------------------------------------


class RecordingEngine:
    """Stands in for TRL's colocated ``vllm.LLM``: records sleep / wake-up calls in ``events``."""

    def __init__(self, events: list[str]) -> None:
        self.events = events

    def wake_up(self, tags=None):
        self.events.append(f"wake_up:{','.join(tags or [])}")

    def sleep(self, level=1):
        self.events.append(f"sleep:{level}")


class RecordingVLLMGeneration:
    """The part of TRL 1.16's ``VLLMGeneration`` the rollout touches (``llm``, ``sync_weights``, and the
    flag that says level-2 sleep discarded the weights)."""

    def __init__(self, events: list[str], weights_sleeping: bool) -> None:
        self.events = events
        self.llm = RecordingEngine(events)
        self._llm_weights_sleeping = weights_sleeping

    def sync_weights(self):
        self.events.append("sync_weights")
        self._llm_weights_sleeping = False


def vllm_trainer(tmp_path, *, process_index=0, tensor_parallel=1, sleep=False, events=None):
    """A FakeTRLTrainer whose args are a real GRPOConfig with TRL's vLLM colocate settings."""
    from tests.adapters._support import FakeTRLTrainer

    model, tokenizer = tiny_test_setup(seed=0)
    trainer = FakeTRLTrainer(model, tokenizer, num_generations=4)
    trainer.args = GRPOConfig(output_dir=str(tmp_path), use_cpu=True, bf16=False, report_to="none",
                              per_device_train_batch_size=4, num_generations=4, max_completion_length=64,
                              seed=3, use_vllm=True, vllm_mode="colocate", vllm_enable_sleep_mode=sleep,
                              vllm_tensor_parallel_size=tensor_parallel)
    trainer.use_vllm = True
    trainer.vllm_generation = RecordingVLLMGeneration(events if events is not None else [], weights_sleeping=sleep)
    trainer.accelerator.process_index = process_index
    return trainer


def test_vllm_sampling_seeds_differ_across_processes_and_stop_ids_follow_the_checkpoint(tmp_path):
    """TRL may split one GRPO group over ranks: each rank's vLLM sampler must get its own seed."""
    from rlver.integrations.trl_rollout import default_generator

    seeds = {}
    for process in (0, 1):
        trainer = vllm_trainer(tmp_path, process_index=process)
        eos = trainer.processing_class.eos_token_id
        trainer.model.generation_config.eos_token_id = [eos, eos + 1]
        generator, stop_ids = default_generator(trainer, step=5)
        seeds[process] = generator.seed
        assert list(stop_ids) == [eos, eos + 1]  # the checkpoint's generation config, not only the eos
    assert seeds[0] != seeds[1]
    assert default_generator(vllm_trainer(tmp_path, process_index=1), step=5)[0].seed == seeds[1]  # reproducible


def test_vllm_tensor_parallelism_is_refused_with_a_clear_error(tmp_path):
    from rlver.errors import ConfigError

    rollout = RlverRolloutFunc(make_profiles(1), LetterAgent(), EpisodeSettings(preset=PRESET))
    with pytest.raises(ConfigError, match="vllm_tensor_parallel_size=2"):
        rollout(["p0"], vllm_trainer(tmp_path, tensor_parallel=2))


def test_vllm_sleep_mode_wakes_the_kv_cache_for_the_rollout_and_sleeps_after(tmp_path):
    """As TRL's own generate: re-push discarded weights, wake the KV cache, sample, sleep at level 2."""
    import inspect

    from trl.generation.vllm_generation import VLLMGeneration

    from rlver.integrations.generators import HFTokenGenerator
    from tests.adapters._support import greedy_policy

    assert "_llm_weights_sleeping" in inspect.getsource(VLLMGeneration)  # the TRL flag the rollout relies on
    events: list[str] = []
    trainer = vllm_trainer(tmp_path, sleep=True, events=events)
    hf = HFTokenGenerator(greedy_policy(trainer.model, trainer.processing_class, max_new_tokens=4))

    async def generate(prompt_ids, sampling):
        events.append("generate")
        return await hf(prompt_ids, sampling)

    rollout = RlverRolloutFunc(make_profiles(2), LetterAgent(), EpisodeSettings(preset=PRESET), max_new_tokens=4,
                               generator_factory=lambda trainer, step: (generate, ()))
    out = rollout(["p0", "p1"], trainer)

    assert all(r is not None for r in out["emotion_reward"])
    first_generate, last_generate = events.index("generate"), len(events) - 1 - events[::-1].index("generate")
    assert events[:first_generate] == ["sync_weights", "wake_up:kv_cache"]
    assert events[last_generate + 1 :] == ["sleep:2"]
    assert trainer.vllm_generation._llm_weights_sleeping  # the next rollout re-pushes the weights first
    events.clear()
    rollout(["p0"], trainer)
    assert events[:2] == ["sync_weights", "wake_up:kv_cache"] and events[-1] == "sleep:2"


def test_generation_threads_use_the_trainers_cuda_device(tmp_path, monkeypatch):
    """A new thread's current CUDA device is 0: the rollout's threads are bound to the rank's device."""
    import threading

    from tests.adapters._support import FakeTRLTrainer

    calls: list[tuple[str, torch.device]] = []
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: calls.append((threading.current_thread().name,
                                                                                torch.device(device))))
    model, tokenizer = tiny_test_setup(seed=0)
    trainer = FakeTRLTrainer(model, tokenizer)  # the model stays on the CPU; only the binding is checked
    trainer.accelerator.device = torch.device("cuda", 3)
    rollout = RlverRolloutFunc(make_profiles(1), LetterAgent(), EpisodeSettings(preset=PRESET), max_new_tokens=4)
    out = rollout(["p0"], trainer)

    assert out["emotion_reward"][0] is not None
    threads = {name for name, device in calls if device == torch.device("cuda", 3)}
    assert "rlver-rollout" in threads  # the event loop's thread
    assert any(name.startswith("rlver-rollout-worker") for name in threads)  # where the model samples
    assert {device for _, device in calls} == {torch.device("cuda", 3)}
