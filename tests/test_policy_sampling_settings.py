"""A real model samples as its authors recommend unless told otherwise, and log-probs are those of
the distribution actually sampled from (top-p included)."""

from __future__ import annotations

import copy
import math

import pytest
import torch

from rlver.cli._specs import PolicySampling, make_policy
from rlver.errors import ConfigError
from rlver.models import tiny_test_setup
from rlver.models.sampling import TokenSampler
from rlver.policy.hf import GenerationSettings, HFPolicy


@pytest.fixture(scope="module")
def setup():
    return tiny_test_setup(seed=0)


def test_unset_sampling_comes_from_the_models_generation_config(setup):
    model, tokenizer = setup
    original = copy.deepcopy(model.generation_config)
    model.generation_config.temperature = 0.6
    model.generation_config.top_p = 0.9
    model.generation_config.do_sample = True
    try:
        own = HFPolicy(model, tokenizer, GenerationSettings()).settings
        assert (own.temperature, own.top_p) == (0.6, 0.9)
        told = HFPolicy(model, tokenizer, GenerationSettings(temperature=1.0, top_p=1.0)).settings
        assert (told.temperature, told.top_p) == (1.0, 1.0)
        model.generation_config.do_sample = False  # the authors ship it greedy
        assert HFPolicy(model, tokenizer, GenerationSettings()).settings.temperature == 0.0
    finally:
        model.generation_config = original


def test_a_model_that_sets_nothing_samples_at_temperature_one(setup):
    model, tokenizer = setup
    settings = HFPolicy(model, tokenizer, GenerationSettings()).settings
    assert (settings.temperature, settings.top_p) == (1.0, 1.0)


def test_top_p_logprobs_are_the_renormalised_nucleus():
    # Probabilities 0.5, 0.3, 0.15, 0.05 at T = 1; top_p = 0.7 keeps the first two (0.5 < 0.7 <= 0.8).
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    for token in (0, 1):
        sampler = TokenSampler(1.0, top_p=0.7)
        sampler(torch.tensor([[0]]), logits.clone())
        logp = sampler.finish(torch.tensor([token]))[0, 0].item()
        assert logp == pytest.approx(math.log([0.5, 0.3][token] / 0.8), abs=1e-6)
    draws = TokenSampler(1.0, top_p=0.7, generator=torch.Generator().manual_seed(0))
    picks = {int(draws(torch.tensor([[0]]), logits.clone()).argmax()) for _ in range(200)}
    assert picks == {0, 1}  # never outside the nucleus


def test_top_p_one_keeps_the_full_softmax():
    logits = torch.tensor([[2.0, 1.0, 0.0]])
    sampler = TokenSampler(0.5)
    sampler(torch.tensor([[0]]), logits.clone())
    expected = torch.log_softmax(logits / 0.5, -1)[0, 2].item()
    assert sampler.finish(torch.tensor([2]))[0, 0].item() == pytest.approx(expected, abs=1e-6)


def test_cli_sampling_flags_reach_the_policy():
    policy = make_policy("builtin:tiny", sampling=PolicySampling(temperature=0.7, top_p=0.95, max_new_tokens=40))
    assert (policy.settings.temperature, policy.settings.top_p, policy.settings.max_new_tokens) == (0.7, 0.95, 40)
    with pytest.raises(ConfigError, match="--top-p"):
        PolicySampling(top_p=1.5)
