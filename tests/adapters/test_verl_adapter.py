"""The verl 0.9.1 adapter, run inside verl's own AgentLoopWorker with a fake server manager.

Needs verl (scripts/test_adapters.sh builds a venv with it); skipped when verl is absent.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from dataclasses import replace

import pytest

if os.environ.get("RLVER_REQUIRE_ADAPTERS") == "1":
    import verl
verl = pytest.importorskip("verl")
pytest.importorskip("verl.experimental.agent_loop")

import torch
from hydra import compose, initialize_config_dir
from verl.experimental.agent_loop.agent_loop import AgentLoopWorker, DictConfigWrap
from verl.protocol import DataProto
from verl.utils.config import omega_conf_to_dataclass
from verl.utils.dataset.rl_dataset import RLHFDataset, collate_fn
from verl.workers.rollout.replica import TokenOutput

from rlver.errors import RlverError, SimulatorError
from rlver.integrations.dialogue import EpisodeSettings, episode_to_sample
from rlver.integrations.generators import HFTokenGenerator
from rlver.integrations.trl_rollout import RlverRolloutFunc, trl_dataset_rows
from rlver.integrations.verl_agent_loop import RlverSentientAgentLoop, profile_from_row
from rlver.integrations.verl_export import VerlExportSettings, export_verl
from rlver.models.tiny import tiny_test_setup
from rlver.simulator.presets import get_preset
from tests.adapters._support import (
    PRESET,
    FakeServerManager,
    FakeTRLTrainer,
    LetterAgent,
    greedy_policy,
    make_profiles,
    native_episodes,
)

SIMULATOR = "python:tests.adapters._support:LetterAgent"


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny():
    return tiny_test_setup(seed=3)


def compose_config(folder, name, overrides=()):
    with initialize_config_dir(config_dir=str(folder), version_base=None):
        return compose(config_name=name, overrides=list(overrides))


def export(tmp_path, tiny, profiles, **settings):
    model, tokenizer = tiny
    model_dir = tmp_path / "model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    base = {"model": str(model_dir), "simulator": SIMULATOR, "max_turns": 2, "max_new_tokens": 6,
            "max_prompt_length": 512, "max_response_length": 1024}
    base.update(settings)
    return export_verl(profiles, tmp_path / "data", VerlExportSettings(**base))


def test_exported_configs_compose_against_verls_schema(tmp_path, tiny):
    result = export(tmp_path, tiny, make_profiles(2))
    assert result.train.suffix == ".parquet"  # pyarrow is installed with verl
    ppo = compose_config(result.train.parent, "ppo")
    grpo = compose_config(result.train.parent, "grpo")
    assert ppo.algorithm.adv_estimator == "gae" and grpo.algorithm.adv_estimator == "grpo"
    assert ppo.critic.optim.lr == 5e-6 and ppo.actor_rollout_ref.actor.optim.lr == 1e-6
    assert grpo.actor_rollout_ref.rollout.n == 4 and ppo.actor_rollout_ref.rollout.n == 1
    for config in (ppo, grpo):
        rollout = omega_conf_to_dataclass(config.actor_rollout_ref.rollout)  # verl validates every field
        assert rollout.agent.agent_loop_config_path == str(result.agent_loop)
        assert rollout.agent.default_agent_loop == "rlver_sentient"
        omega_conf_to_dataclass(config.actor_rollout_ref.actor)
        omega_conf_to_dataclass(config.algorithm)
        assert config.data.train_files == str(result.train) and config.data.return_raw_chat


def test_dataset_rows_round_trip_through_rlhf_dataset(tmp_path, tiny):
    profiles = make_profiles(3)
    result = export(tmp_path, tiny, profiles)
    config = compose_config(result.train.parent, "grpo")
    dataset = RLHFDataset(str(result.train), tiny[1], config.data)
    assert len(dataset) == 3
    for i, profile in enumerate(profiles):
        row = dataset[i]
        assert row["agent_name"] == "rlver_sentient" and row["index"] == i
        assert profile_from_row(row) == profile
        assert row["raw_prompt"][0]["role"] == "system"


def test_agent_loop_worker_runs_dialogues_with_yaml_settings(tmp_path, tiny):
    """verl's own AgentLoopWorker: dataset -> our loop -> padded batch with rewards on the last token."""
    model, tokenizer = tiny
    profiles = make_profiles(3)
    result = export(tmp_path, tiny, profiles)
    config = compose_config(result.train.parent, "grpo", ["data.train_batch_size=3"])
    dataset = RLHFDataset(str(result.train), tokenizer, config.data)
    batch = DataProto.from_single_dict(collate_fn([dataset[i] for i in range(len(dataset))]))
    server = FakeServerManager(HFTokenGenerator(greedy_policy(model, tokenizer)), output_cls=TokenOutput)
    worker = AgentLoopWorker(config, server)

    output = asyncio.run(worker.generate_sequences(batch))

    # The YAML's settings reach every agent-loop instance (regression: a lazy import of the module
    # used to re-register the loop without them after the first dialogue).
    assert {call["sampling_params"]["max_tokens"] for call in server.calls} <= set(range(1, 7))
    by_dialogue = {}
    for call in server.calls:
        by_dialogue.setdefault(call["request_id"], []).append(call)
    assert sorted(len(calls) for calls in by_dialogue.values()) == [2, 2, 2]  # 2 turns, one sticky id each

    # The exported preset is ``rlver`` with 2 turns: the simulator writes the opening.
    preset = replace(get_preset("rlver"), max_policy_turns=2)
    native = asyncio.run(native_episodes(model, tokenizer, profiles, preset=preset))
    prompt_width = output.batch["prompts"].shape[1]
    for row, episode in enumerate(native):
        sample = episode_to_sample(episode, EpisodeSettings(preset=preset))
        attention = output.batch["attention_mask"][row]
        n_prompt, n_response = int(attention[:prompt_width].sum()), int(attention[prompt_width:].sum())
        assert output.batch["prompts"][row, prompt_width - n_prompt :].tolist() == sample.prompt_ids
        assert output.batch["responses"][row, :n_response].tolist() == sample.response_ids
        assert output.batch["response_mask"][row, :n_response].tolist() == sample.response_mask
        assert output.batch["response_mask"][row, n_response:].sum() == 0
        logprobs = output.batch["rollout_log_probs"][row, :n_response]
        assert torch.allclose(logprobs, torch.tensor(sample.response_logprobs), atol=1e-5)
        scores = output.batch["rm_scores"][row]
        assert scores.nonzero().flatten().tolist() == [n_response - 1]  # on the last (policy) token
        assert scores[n_response - 1].item() == pytest.approx(sample.reward)
        assert output.batch["response_mask"][row, n_response - 1] == 1
        assert output.non_tensor_batch["rlver_emotion"][row] == episode.final_emotion
        assert output.non_tensor_batch["rlver_failed"][row] == 0


def direct_loop(tiny, server, **settings):
    _, tokenizer = tiny
    from omegaconf import OmegaConf

    config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 512, "response_length": 1024}},
                               "data": {}})
    base = {"simulator": SIMULATOR, "max_new_tokens": 6, "preset": PRESET}
    base.update(settings)
    return RlverSentientAgentLoop(DictConfigWrap(config), server, tokenizer, None, RLHFDataset,
                                  DictConfigWrap(config.data), **base)


def test_native_verl_and_trl_paths_give_identical_samples(tiny):
    """Same seed, profiles and scripted simulator: identical tokens, masks, log-probs and rewards."""
    model, tokenizer = tiny
    profiles = make_profiles(3)
    native = asyncio.run(native_episodes(model, tokenizer, profiles))
    settings = EpisodeSettings(preset=PRESET)
    expected = [episode_to_sample(e, settings) for e in native]
    assert all(s.reward is not None for s in expected)
    assert any(0 in s.response_mask for s in expected)  # user turns are really inside the response

    server = FakeServerManager(HFTokenGenerator(greedy_policy(model, tokenizer)))
    loop = direct_loop(tiny, server)

    async def verl_outputs():
        prompt = [{"role": "system", "content": _default_system(profiles[0])}]
        return await asyncio.gather(*(loop.run({"temperature": 0, "logprobs": True},
                                               rlver_profile=p.model_dump_json(), raw_prompt=prompt) for p in profiles))

    verl_out = asyncio.run(verl_outputs())
    trl_out = RlverRolloutFunc(profiles, LetterAgent(), settings, max_new_tokens=6)(
        trl_dataset_rows(profiles) and [p.id for p in profiles], FakeTRLTrainer(model, tokenizer))

    for i, sample in enumerate(expected):
        v = verl_out[i]
        assert (v.prompt_ids, v.response_ids, v.response_mask) == (
            sample.prompt_ids, sample.response_ids, sample.response_mask)
        assert v.reward_score == pytest.approx(sample.reward)
        assert trl_out["prompt_ids"][i] == sample.prompt_ids
        assert trl_out["completion_ids"][i] == sample.response_ids
        assert trl_out["env_mask"][i] == sample.response_mask
        assert trl_out["emotion_reward"][i] == pytest.approx(sample.reward)
        for logprobs in (v.response_logprobs, trl_out["logprobs"][i]):
            assert all(math.isclose(a, b, abs_tol=1e-5) for a, b in zip(logprobs, sample.response_logprobs))


def _default_system(profile):
    from rlver.policy.prompts import system_prompt

    return system_prompt(profile.language)


class BrokenAgent(LetterAgent):
    async def appraise(self, state, reply):
        raise SimulatorError("appraisal endpoint down")


def test_failed_dialogue_raises_or_is_masked(tiny, monkeypatch):
    model, tokenizer = tiny
    import tests.adapters._support as support

    monkeypatch.setattr(support, "BrokenAgent", BrokenAgent, raising=False)
    server = FakeServerManager(HFTokenGenerator(greedy_policy(model, tokenizer)))
    profile = make_profiles(1)[0]
    spec = "python:tests.adapters._support:BrokenAgent"

    strict = direct_loop(tiny, server, simulator=spec)
    with pytest.raises(RlverError, match="appraisal endpoint down"):
        asyncio.run(strict.run({"logprobs": True}, rlver_profile=profile.model_dump_json()))

    lenient = direct_loop(tiny, server, simulator=spec, on_error="mask")
    out = asyncio.run(lenient.run({"logprobs": True}, rlver_profile=profile.model_dump_json()))
    assert out.response_ids and sum(out.response_mask) == 0  # nothing of it is trained
    assert out.extra_fields["reward_extra_info"]["rlver_failed"] == 1
    assert math.isnan(out.extra_fields["reward_extra_info"]["rlver_emotion"])


def test_row_without_profile_is_a_clear_error(tiny):
    from rlver.errors import ConfigError

    loop = direct_loop(tiny, FakeServerManager(None))
    with pytest.raises(ConfigError, match="rlver export verl"):
        asyncio.run(loop.run({}, raw_prompt=[]))
    assert json.loads(make_profiles(1)[0].model_dump_json())["id"] == "p0"


def test_reference_configs_compose(monkeypatch):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "configs" / "verl"
    monkeypatch.setenv("RLVER_VERL_DIR", "/data/rlver")
    for name, estimator in (("ppo", "gae"), ("grpo", "grpo")):
        config = compose_config(folder, name)
        assert config.algorithm.adv_estimator == estimator
        assert config.data.train_files == "/data/rlver/train.parquet"
        rollout = omega_conf_to_dataclass(config.actor_rollout_ref.rollout)
        assert rollout.agent.agent_loop_config_path == "/data/rlver/agent_loop.yaml"
