"""vLLM support, engine-free parts (no GPU here): the weights pushed to vLLM, and the import guard."""

from __future__ import annotations

import copy
import importlib.util

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
