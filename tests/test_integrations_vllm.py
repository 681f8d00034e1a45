"""vLLM support, engine-free parts (no GPU here): the weights pushed to vLLM, the import guard, and
VLLMTrainer's rollout against a scripted stand-in for ``vllm.LLM`` (stop ids, event loop, device)."""

from __future__ import annotations

import asyncio
import copy
import importlib.util
import sys
import threading
from types import ModuleType, SimpleNamespace

import pytest
import torch

from rlver.errors import ConfigError
from rlver.integrations.vllm_policy import require_vllm, vllm_weight_items
from rlver.models.tiny import tiny_test_setup


def test_plain_model_weights_are_pushed_under_their_own_names():
    model, _ = tiny_test_setup(seed=0)
    items = dict(vllm_weight_items(model))
    params = dict(model.named_parameters())
    assert items.keys() == params.keys()
    assert all(items[name].data_ptr() == params[name].data_ptr() for name in items)  # no copies


def test_lora_model_pushes_merged_weights_under_base_names_and_stays_unmerged():
    peft = pytest.importorskip("peft")
    base, tokenizer = tiny_test_setup(seed=0)
    expected_names = set(dict(base.named_parameters()))
    config = peft.LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    model = peft.get_peft_model(copy.deepcopy(base), config)
    ids = torch.tensor([tokenizer.encode("hello there")])
    before = model(ids).logits.detach().clone()

    items = {name: tensor.clone() for name, tensor in vllm_weight_items(model)}

    assert set(items) == expected_names  # no lora_A/B, no base_model.model. prefix, no .base_layer
    merged = copy.deepcopy(model).merge_and_unload()
    for name, tensor in merged.named_parameters():
        assert torch.allclose(items[name], tensor.data), name
    q = "model.layers.0.self_attn.q_proj.weight"
    assert not torch.allclose(items[q], dict(base.named_parameters())[q])  # the adapter is in it
    assert torch.allclose(model(ids).logits, before, atol=1e-6)  # unmerged again afterwards


@pytest.mark.ci_may_skip  # the other branch: with vLLM installed, the error cannot happen
@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vLLM is installed")
def test_missing_vllm_is_a_clear_error():
    with pytest.raises(ConfigError, match=r"rlver\[vllm\]"):
        require_vllm()


class ScriptedLLM:
    """Stands in for an in-process ``vllm.LLM``: every reply is ``reply`` (cut at a stop id, as vLLM
    stops), with log-prob -0.5 per token. Records the sampling params, the CUDA device the generating
    thread was bound to, and the weight pushes."""

    def __init__(self, reply: list[int]) -> None:
        self.reply = reply
        self.params: list[SimpleNamespace] = []
        self.loaded: list[str] = []
        self.cache_resets = 0
        runner = SimpleNamespace(model=SimpleNamespace(load_weights=lambda items: self.loaded.extend(n for n, _ in items)))
        self.llm_engine = SimpleNamespace(model_executor=SimpleNamespace(driver_worker=SimpleNamespace(model_runner=runner)))

    def reset_prefix_cache(self) -> None:
        self.cache_resets += 1

    def generate(self, inputs, params, use_tqdm=False):
        self.params.extend(params)
        outputs = []
        for p in params:
            ids = self.reply[: p.max_tokens]
            stop = next((k for k, t in enumerate(ids) if t in p.stop_token_ids), None)
            ids = ids if stop is None else ids[: stop + 1]
            logprobs = [{t: SimpleNamespace(logprob=-0.5)} for t in ids]
            outputs.append(SimpleNamespace(outputs=[SimpleNamespace(token_ids=ids, logprobs=logprobs)]))
        return outputs


@pytest.fixture
def fake_vllm(monkeypatch):
    """A ``vllm`` module whose SamplingParams records its arguments (the real one needs a GPU build)."""
    module = ModuleType("vllm")
    module.SamplingParams = lambda **kwargs: SimpleNamespace(**kwargs)
    monkeypatch.setitem(sys.modules, "vllm", module)
    return module


def test_vllm_trainer_rollout_stops_on_generation_config_ids_on_the_trainers_loop(tmp_path, fake_vllm, monkeypatch):
    """The checkpoint's extra end-of-turn id reaches vLLM as a stop id and ends the turn in the trace;
    both rollouts run on the trainer's own event loop; the generating thread is bound to the model's device."""
    from rlver.integrations import vllm_policy
    from rlver.integrations.vllm_policy import VLLMTrainer
    from tests.test_rl_support import TEST_PRESET, KeywordAgent, make_profiles, tiny_config

    model, tokenizer = tiny_test_setup(seed=0)
    eos = tokenizer.eos_token_id
    extra = tokenizer.convert_tokens_to_ids("e") if tokenizer.convert_tokens_to_ids("e") != eos else eos + 1
    model.generation_config.eos_token_id = [eos, extra]  # e.g. Qwen2.5: <|im_end|> and <|endoftext|>
    bound: list[tuple[str, object]] = []
    real_bind = vllm_policy.bind_device
    monkeypatch.setattr(vllm_policy, "bind_device",
                        lambda device: (bound.append((threading.current_thread().name, device)), real_bind(device)))

    loops: list[asyncio.AbstractEventLoop] = []

    class LoopRecordingAgent(KeywordAgent):
        async def appraise(self, state, reply):
            loops.append(asyncio.get_running_loop())
            return await super().appraise(state, reply)

    llm = ScriptedLLM(reply=[extra, extra, extra])
    config = tiny_config("grpo", tmp_path, steps=1)
    trainer = VLLMTrainer(config, model, tokenizer, LoopRecordingAgent(), make_profiles(), preset=TEST_PRESET, llm=llm)
    try:
        first, second = trainer.rollout(0), trainer.rollout(1)
        loop = trainer._loop
    finally:
        trainer.close()

    assert loop is not None and loops and set(loops) == {loop}  # one loop, kept across steps
    assert all(set(p.stop_token_ids) == {eos, extra} for p in llm.params)
    for episode in [*first, *second]:
        assert episode.ok
        trace = episode.trace
        ends = [i for i, (t, m) in enumerate(zip(trace.ids, trace.mask)) if m == 1 and t == extra]
        assert len(ends) == episode.policy_turns == 2  # each reply is the one id, which ended it
        assert all(i + 1 == len(trace.ids) or trace.ids[i + 1] != eos for i in ends)  # no eos appended after
    assert bound and all(device == torch.device("cpu") for _, device in bound)
    assert all(name != threading.main_thread().name for name, _ in bound)  # bound in the worker thread
    assert set(llm.loaded) == set(dict(model.named_parameters())) and llm.cache_resets == 1  # synced once


def test_end_of_turn_ids_come_from_the_tokenizer_and_the_generation_config():
    from transformers import GenerationConfig

    from rlver.models.eos import end_of_turn_ids

    _, tokenizer = tiny_test_setup(seed=0)
    eos = tokenizer.eos_token_id
    assert end_of_turn_ids(tokenizer) == (eos,)
    assert end_of_turn_ids(tokenizer, GenerationConfig(eos_token_id=[eos + 5, eos])) == (eos, eos + 5)
    assert end_of_turn_ids(tokenizer, {"eos_token_id": eos + 1}) == (eos, eos + 1)  # vLLM's field dicts
    with pytest.raises(ConfigError, match="no eos"):
        end_of_turn_ids(SimpleNamespace(eos_token_id=None))


def test_vllm_generator_seeds_each_reply_by_dialogue_and_turn_not_by_arrival_order(fake_vllm):
    """The same (dialogue, turn) gets the same vLLM seed whatever came before it or beside it in a batch."""
    from rlver.integrations.token_policy import TokenSampling
    from rlver.integrations.vllm_policy import VLLMTokenGenerator
    from rlver.models.sampling import row_seed
    from rlver.utils.seeding import SEED_SPACE_31

    def seeds(requests: list[tuple[str, int]], *, batched: bool, seed: int | None = 7) -> dict[tuple[str, int], int]:
        llm = ScriptedLLM(reply=[5])
        generator = VLLMTokenGenerator(llm, seed=seed)
        samplings = [TokenSampling(4, (5,), key, turn) for key, turn in requests]

        async def run() -> None:
            if batched:  # concurrent dialogues: one LLM.generate call for all of them
                await asyncio.gather(*(generator([1, 2, 3], s) for s in samplings))
            else:  # one at a time, in the given order
                for s in samplings:
                    await generator([1, 2, 3], s)

        asyncio.run(run())
        assert len(llm.params) == len(requests)
        by_request = {(s.key, s.turn): p.seed for s, p in zip(samplings, llm.params)}
        if batched:  # the batch is sent in queue order, which is the order of the gather
            assert [p.seed for p in llm.params] == [by_request[r] for r in requests]
        return by_request

    requests = [("d0", 1), ("d1", 1), ("d0", 2), ("d2", 1), ("d1", 2)]
    reference = seeds(requests, batched=False)
    assert seeds(list(reversed(requests)), batched=False) == reference
    assert seeds(requests[2:] + requests[:2], batched=True) == reference
    assert seeds([("d1", 2)], batched=False) == {("d1", 2): reference[("d1", 2)]}  # alone, too
    assert len(set(reference.values())) == len(requests)  # every dialogue and turn its own noise
    assert reference[("d0", 1)] == row_seed(7, "d0", 1) % SEED_SPACE_31  # HFPolicy's seed, folded to 31 bits
    assert all(0 <= s < SEED_SPACE_31 for s in reference.values())
    assert set(seeds(requests, batched=False, seed=None).values()) == {None}  # unseeded stays unseeded
