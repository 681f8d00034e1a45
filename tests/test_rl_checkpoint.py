"""Checkpoints: atomic writes, pruning, RNG round trips, and no code execution when loading."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from rlver.errors import ConfigError
from rlver.models.tiny import tiny_test_setup
from rlver.rl.checkpoint import (
    CheckpointManager,
    capture_rng_state,
    load_policy_weights,
    load_trainable,
    restore_rng_state,
    save_trainable,
)

EXECUTED: list[str] = []


class Exploit:
    """Unpickling this would call EXECUTED.append: a stand-in for arbitrary code."""

    def __reduce__(self):
        return (EXECUTED.append, ("pwned",))


@pytest.fixture(scope="module")
def tiny():
    return tiny_test_setup(seed=0)


def _save(manager, step, tiny, **state):
    model, tokenizer = tiny
    return manager.save(step, policy=model, tokenizer=tokenizer, critic=None, state=state, summary={})


def test_save_prune_latest(tmp_path, tiny):
    manager = CheckpointManager(tmp_path / "ckpt", keep_last_k=2)
    for step in (1, 2, 3):
        _save(manager, step, tiny, value=torch.tensor([step]))
    assert manager.steps() == [2, 3]
    assert manager.latest() == manager.step_dir(3)
    assert manager.load_state(manager.latest())["value"].item() == 3
    assert (tmp_path / "ckpt" / "latest").read_text().strip() == "step-000003"


def test_a_failed_save_leaves_the_previous_checkpoint(tmp_path, tiny):
    manager = CheckpointManager(tmp_path / "ckpt", keep_last_k=3)
    _save(manager, 1, tiny)

    class Broken(nn.Module):
        def save_pretrained(self, *args, **kwargs):
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        manager.save(2, policy=Broken(), tokenizer=None, critic=None, state={}, summary={})
    assert manager.steps() == [1]
    assert manager.latest() == manager.step_dir(1)
    assert [p.name for p in (tmp_path / "ckpt").iterdir() if p.name.startswith(".")] == []


def test_loading_never_unpickles_code(tmp_path):
    folder = tmp_path / "step-000001"
    folder.mkdir()
    torch.save({"step": 1, "payload": Exploit()}, folder / "trainer_state.pt")
    with pytest.raises(ConfigError, match="cannot load trainer state safely"):
        CheckpointManager(tmp_path).load_state(folder)
    assert EXECUTED == []


def test_optimizer_and_rng_states_load_with_weights_only(tmp_path, tiny):
    model = tiny[0]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model(input_ids=torch.tensor([[1, 2, 3]])).logits.sum().backward()
    optimizer.step()
    model.zero_grad(set_to_none=True)
    trainer_rng = random.Random(7)
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    state = {"optimizer": optimizer.state_dict(), "rng": capture_rng_state(trainer_rng)}
    expected = (random.random(), np.random.rand(), torch.rand(1).item(), trainer_rng.random())

    manager = CheckpointManager(tmp_path / "ckpt")
    path = _save(manager, 5, tiny, **state)
    loaded = manager.load_state(path)
    restore_rng_state(loaded["rng"], trainer_rng)
    assert (random.random(), np.random.rand(), torch.rand(1).item(), trainer_rng.random()) == expected
    fresh = torch.optim.AdamW(model.parameters(), lr=1e-3)
    fresh.load_state_dict(loaded["optimizer"])
    for a, b in zip(fresh.state.values(), optimizer.state.values(), strict=True):
        assert torch.equal(a["exp_avg"], b["exp_avg"])


def test_policy_and_critic_weights_round_trip(tmp_path, tiny):
    model, tokenizer = tiny
    manager = CheckpointManager(tmp_path / "ckpt")
    critic = nn.Linear(4, 1)
    path = manager.save(1, policy=model, tokenizer=tokenizer, critic=critic, state={}, summary={})
    other = tiny_test_setup(seed=1)[0]
    load_policy_weights(other, path / "policy")
    for (name, a), (_, b) in zip(model.named_parameters(), other.named_parameters(), strict=True):
        assert torch.equal(a, b), name
    other_critic = nn.Linear(4, 1)
    load_trainable(other_critic, path / "critic.safetensors")
    assert torch.equal(other_critic.weight, critic.weight)
    save_trainable(nn.Linear(5, 1), tmp_path / "wrong.safetensors")
    with pytest.raises(ConfigError):
        load_trainable(nn.Sequential(nn.Linear(4, 1)), tmp_path / "wrong.safetensors")
