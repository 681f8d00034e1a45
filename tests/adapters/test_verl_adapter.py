"""The verl 0.9.1 adapter, run inside verl's own agent-loop workers with a fake server manager.

verl 0.9.1's default trainer is V1 (``trainer.use_v1: true``): ``AgentLoopWorkerTQ`` puts each sample
into TransferQueue and the trainer assembles its batches from there. The V1 test runs that path for
real on CPU: a private local Ray instance with TransferQueue, the worker class in this process, then
the synchronous trainer's replay buffer, advantage and metric steps. The legacy ``AgentLoopWorker``
path is tested too.

Needs verl and TransferQueue (scripts/test_adapters.sh builds a venv with them); skipped when verl
is absent, an error under RLVER_REQUIRE_ADAPTERS=1.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
from dataclasses import replace

import pytest

if os.environ.get("RLVER_REQUIRE_ADAPTERS") == "1":
    import transfer_queue  # noqa: F401  (verl's V1 trainer imports it; the adapter venv must have it)
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
from rlver.integrations.dialogue import EpisodeSettings, dialogue_seed, episode_to_sample
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


def direct_loop(tiny, server, model_config=None, **settings):
    _, tokenizer = tiny
    from omegaconf import OmegaConf

    config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 512, "response_length": 1024},
                                                     **({"model": model_config} if model_config else {})},
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


class VersionedServer(FakeServerManager):
    """A server manager that, like verl's vLLM servers, reports the weight version of each turn
    (``versions[k]`` for a dialogue's k-th turn, ``None`` = not set yet) and one preemption per turn."""

    def __init__(self, generator, versions, output_cls=TokenOutput) -> None:
        super().__init__(generator, output_cls=output_cls)
        self.versions = versions

    async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
        out = await super().generate(request_id, prompt_ids=prompt_ids, sampling_params=sampling_params, **kwargs)
        turn = sum(call["request_id"] == request_id for call in self.calls) - 1
        out.extra_fields = {"global_steps": self.versions[min(turn, len(self.versions) - 1)]}
        out.num_preempted = 1
        return out


def test_server_bookkeeping_and_step_survive_the_dialogue(tiny):
    """Weight versions span every turn, preemptions add up, and V1's ``global_steps`` seeds the simulator."""
    model, tokenizer = tiny
    profile = make_profiles(1)[0]
    server = VersionedServer(HFTokenGenerator(greedy_policy(model, tokenizer)), versions=[4, 5])
    loop = direct_loop(tiny, server)

    out = asyncio.run(loop.run({"logprobs": True}, rlver_profile=profile.model_dump_json(), global_steps=6))

    assert (out.extra_fields["min_global_steps"], out.extra_fields["max_global_steps"]) == (4, 5)
    assert out.metrics.num_preempted == 2  # one per turn, summed (verl's own loops do the same)
    assert out.extra_fields["rlver_episode"]["seed"] == dialogue_seed(0, profile.id, 6)
    # A server that has not been told its weight version yet: the sample counts as the issued step.
    unversioned = direct_loop(tiny, VersionedServer(HFTokenGenerator(greedy_policy(model, tokenizer)), [None]))
    out = asyncio.run(unversioned.run({}, rlver_profile=profile.model_dump_json(), global_steps=6))
    assert (out.extra_fields["min_global_steps"], out.extra_fields["max_global_steps"]) == (6, 6)
    # Validation rows keep step 0, so every validation meets the same simulated users.
    out = asyncio.run(unversioned.run({}, rlver_profile=profile.model_dump_json(), global_steps=6,
                                      extra_info={"split": "val"}))
    assert out.extra_fields["rlver_episode"]["seed"] == dialogue_seed(0, profile.id, 0)


def test_stop_ids_come_from_the_policy_checkpoints_generation_config(tmp_path, tiny):
    """verl's servers are asked to stop on every end-of-turn id of the checkpoint, not only the eos."""
    import json as _json

    model, tokenizer = tiny
    model_dir = tmp_path / "model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    eos = tokenizer.eos_token_id
    config_file = model_dir / "generation_config.json"
    config_file.write_text(_json.dumps({**_json.loads(config_file.read_text()), "eos_token_id": [eos, eos + 3]}))
    server = FakeServerManager(HFTokenGenerator(greedy_policy(model, tokenizer)))
    loop = direct_loop(tiny, server, model_config={"path": str(model_dir)})

    asyncio.run(loop.run({"logprobs": True}, rlver_profile=make_profiles(1)[0].model_dump_json()))

    assert loop.end_of_turn_ids == (eos, eos + 3)
    assert server.calls and all(c["sampling_params"]["stop_token_ids"] == [eos, eos + 3] for c in server.calls)


class BrokenOpeningAgent(LetterAgent):
    async def opening(self, state):
        raise SimulatorError("opening endpoint down")


def test_a_dialogue_that_failed_before_its_first_token_has_a_form_v1_accepts(tiny, monkeypatch):
    """on_error=mask, nothing sampled: one untrained eos stands in, and V1's ``as_dict`` takes it."""
    model, tokenizer = tiny
    import tests.adapters._support as support

    monkeypatch.setattr(support, "BrokenOpeningAgent", BrokenOpeningAgent, raising=False)
    loop = direct_loop(tiny, FakeServerManager(HFTokenGenerator(greedy_policy(model, tokenizer))),
                       simulator="python:tests.adapters._support:BrokenOpeningAgent", preset="rlver", max_turns=2,
                       on_error="mask")

    out = asyncio.run(loop.run({"logprobs": True}, rlver_profile=make_profiles(1)[0].model_dump_json(),
                               global_steps=3))

    eos = tokenizer.eos_token_id
    assert (out.prompt_ids, out.response_ids, out.response_mask, out.response_logprobs) == ([eos], [eos], [0], [0.0])
    fields = out.as_dict()  # what AgentLoopWorkerTQ stores (it indexes rm_scores[-1])
    assert fields["rm_scores"].tolist() == [0.0] and fields["response_mask"].tolist() == [0]
    assert out.extra_fields["reward_extra_info"]["rlver_failed"] == 1
    assert (out.extra_fields["min_global_steps"], out.extra_fields["max_global_steps"]) == (3, 3)


@pytest.fixture
def transfer_queue_cluster(monkeypatch):
    """What V1's TaskRunner starts: Ray (a private local instance here) and TransferQueue on it."""
    import ray
    import transfer_queue as tq
    from omegaconf import OmegaConf

    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        tq.init(OmegaConf.create({"backend": {"SimpleStorage": {"num_data_storage_units": 1}}}))
        yield tq
        tq.close()
    finally:
        ray.shutdown()


def test_v1_trainer_path_from_agent_loop_worker_tq_to_a_grpo_batch(tmp_path, tiny, transfer_queue_cluster):
    """verl's default (V1) path on CPU: AgentLoopWorkerTQ runs our loop and stores each sample in
    TransferQueue; the sync trainer samples the batch, computes GRPO advantages and its step metrics
    (which turn every sample's weight versions into integers)."""
    import uuid

    import numpy as np
    from verl.trainer.ppo.v1 import AgentLoopWorkerTQ, PPOTrainerSync
    from verl.utils import tensordict_utils as tu

    tq = transfer_queue_cluster
    model, tokenizer = tiny
    profiles = make_profiles(3)
    result = export(tmp_path, tiny, profiles, train_batch_size=3)
    config = compose_config(result.train.parent, "grpo", ["actor_rollout_ref.rollout.n=2",
                                                          "algorithm.rollout_correction.bypass_mode=true"])
    assert config.trainer.use_v1 and config.trainer.v1.trainer_mode == "sync"
    step = 7

    # 1. The trainer's side of a step: a dataloader batch registered in TransferQueue (as _next_train_batch
    #    and _submit_batch_to_rollout do), handed to the agent-loop worker.
    dataset = RLHFDataset(str(result.train), tokenizer, config.data)
    batch_dict = collate_fn([dataset[i] for i in range(len(dataset))])
    batch_dict["uid"] = np.array([str(uuid.uuid4()) for _ in range(len(dataset))], dtype=object)
    batch = tu.get_tensordict(batch_dict)
    tu.assign_non_tensor_data(batch, "global_steps", step)
    tq.kv_batch_put(keys=list(batch["uid"]), partition_id="train",
                    tags=[{"is_prompt": True, "status": "pending", "global_steps": step} for _ in range(len(batch))])
    # Each dialogue starts on weights of step 5 and ends on those of step 6 (an update mid-dialogue).
    server = VersionedServer(HFTokenGenerator(greedy_policy(model, tokenizer)), versions=[step - 2, step - 1])
    worker = AgentLoopWorkerTQ.__ray_actor_class__(config, server)  # the class verl runs as a Ray actor

    async def rollout():
        await worker.generate_sequences(batch)
        await asyncio.gather(*list(worker.background_tasks))

    asyncio.run(rollout())

    tags = tq.kv_list("train")["train"]
    assert {tag["status"] for key, tag in tags.items() if tag.get("is_prompt")} == {"finished"}
    samples = {key: tag for key, tag in tags.items() if not tag.get("is_prompt")}
    assert len(samples) == 6  # 3 prompts x n=2 sessions
    assert all((t["min_global_steps"], t["max_global_steps"]) == (step - 2, step - 1) for t in samples.values())

    # 2. The trainer assembles the batch and runs its CPU-side steps on it.
    trainer = PPOTrainerSync(config)
    trainer.global_steps = step
    trainer._get_n_gpus_for_throughput = lambda: 1  # normally the resource pool's GPU count
    kv_batch, _ = trainer.replay_buffer.sample(global_steps=step, partition_id="train", batch_size=3)
    metrics: dict = {}
    kv_batch = trainer._compute_old_log_prob(kv_batch, metrics)  # bypass mode: the rollout's log-probs
    kv_batch = trainer._compute_advantage(kv_batch, metrics)
    trainer._compute_metrics(kv_batch, metrics, {"step": 1.0, "gen": 0.5}, global_steps=step, epoch=0)

    assert metrics["training/off_policy/trajectory_spans/max"] == 2
    assert metrics["training/off_policy/trajectory_staleness_worst/max"] == 1
    data = tq.kv_batch_get(keys=kv_batch.keys, partition_id="train",
                           select_fields=["rm_scores", "response_mask", "advantages", "extra_fields"])
    extra = list(data["extra_fields"])
    rewards = [float(row[-1]) for row in data["rm_scores"].unbind()]
    assert rewards == [pytest.approx(e["reward_extra_info"]["rlver_emotion"] / 100) for e in extra]
    assert metrics["critic/score/mean"] == pytest.approx(sum(rewards) / len(rewards))
    for mask, advantages in zip(data["response_mask"].unbind(), data["advantages"].unbind()):
        assert advantages[mask == 0].abs().sum() == 0  # user turns get no advantage
    # Both rollouts of a profile (one GRPO group) met the simulator with the step's seed.
    by_profile: dict = {}
    for e in extra:
        by_profile.setdefault(e["rlver_episode"]["profile_id"], set()).add(e["rlver_episode"]["seed"])
    assert by_profile == {p.id: {dialogue_seed(0, p.id, step)} for p in profiles}


def test_main_ppo_entry_point_accepts_the_exported_configs(tmp_path, tiny):
    """What `python -m verl.trainer.main_ppo` does before starting Ray: compose the exported config,
    validate it, import the V1 trainer's runtime (TransferQueue, the sync trainer, the TQ manager)."""
    import subprocess
    import sys

    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import validate_config
    from verl.utils.device import auto_set_device

    result = export(tmp_path, tiny, make_profiles(2))
    for name in ("ppo", "grpo"):
        config = compose_config(result.train.parent, name)
        auto_set_device(config)
        validate_config(config=config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
        import transfer_queue  # noqa: F401  (TaskRunnerV1.run's first import)
        from verl.trainer.ppo.v1 import AgentLoopManagerTQ, get_trainer_cls

        assert config.trainer.use_v1 and get_trainer_cls(config.trainer.v1.trainer_mode).__name__ == "PPOTrainerSync"
        assert AgentLoopManagerTQ is not None
    done = subprocess.run([sys.executable, "-m", "verl.trainer.main_ppo", "--config-path", str(result.train.parent),
                           "--config-name", "grpo", "--cfg", "job"], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "use_v1: true" in done.stdout and str(result.agent_loop) in done.stdout
