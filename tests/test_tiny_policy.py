"""The shipped tiny base policy ``builtin:tiny`` and the corpus it was pretrained on."""

from __future__ import annotations

import asyncio
import json

import pytest
from safetensors import safe_open

from rlver.errors import ConfigError
from rlver.llm.types import Message
from rlver.models.builtin import TINY_POLICY_FILES, tiny_policy_info, tiny_policy_path
from rlver.build.corpus import CorpusConfig, CorpusSupporter, assert_training_profiles, build_corpus, encode_dialogue
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.hf import GenerationSettings, HFPolicy
from rlver.policy.prompts import system_prompt
from rlver.policy.think import split_think
from rlver.profiles.builtin import load_builtin
from rlver.simulator.offline.strategies import SUPPORT_STRATEGIES


@pytest.fixture(scope="module")
def policy() -> HFPolicy:
    return HFPolicy.from_pretrained(tiny_policy_path(), GenerationSettings(temperature=1.0, max_new_tokens=96, seed=0))


def test_folder_is_complete_and_weights_are_safetensors():
    folder = tiny_policy_path()
    assert all((folder / name).is_file() for name in TINY_POLICY_FILES)
    assert not list(folder.glob("*.bin")), "pickled weights must never ship"
    with safe_open(str(folder / "model.safetensors"), framework="pt") as weights:
        names = list(weights.keys())
        params = sum(weights.get_slice(n).get_shape().numel() if hasattr(weights.get_slice(n).get_shape(), "numel")
                     else _numel(weights.get_slice(n).get_shape()) for n in names)
        dtypes = {weights.get_slice(n).get_dtype() for n in names}
    assert 2_000_000 < params < 25_000_000
    assert dtypes <= {"F16", "BF16", "F32"}
    assert (folder / "model.safetensors").stat().st_size < 25_000_000
    config = json.loads((folder / "config.json").read_text())
    assert config["architectures"] == ["Qwen2ForCausalLM"]


def _numel(shape) -> int:
    out = 1
    for dim in shape:
        out *= int(dim)
    return out


def test_build_info_records_seed_corpus_steps_and_loss():
    info = tiny_policy_info()
    assert isinstance(info["seed"], int)
    assert info["corpus"]["profiles"].startswith("builtin:train")
    assert info["corpus"]["dialogues_train"] > 500
    assert info["training"]["steps"] > 0
    assert 0 < info["training"]["held_out_reply_loss"] < 3.0
    assert "git" not in json.dumps(info).lower()


def test_tokenizer_round_trips_and_speaks_chatml(policy):
    tokenizer = policy.tokenizer
    for text in (
        "It sounds like you feel really hurt about all this.",
        "<think>Maybe she wants to vent.</think>Go on, I'm listening.",
        "Café, naïve, 42% — and a smiley 🙂 too.",
    ):
        assert tokenizer.decode(tokenizer(text, add_special_tokens=False)["input_ids"]) == text
    assert tokenizer.eos_token == "<|im_end|>"
    for tag in ("<think>", "</think>"):
        assert len(tokenizer(tag, add_special_tokens=False)["input_ids"]) == 1
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert rendered == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def _requests(think: bool, n: int = 8) -> list[PolicyRequest]:
    profiles = load_builtin("train")[:n]
    return [
        PolicyRequest(
            key=p.id,
            messages=[Message("system", system_prompt("en", think=think)), Message("user", p.first_talk or "Hi.")],
            trace=TokenTrace(),
            profile=p,
        )
        for p in profiles
    ]


def test_generates_fluent_replies_that_end_their_turn(policy):
    requests = _requests(think=False)
    replies = asyncio.run(policy.generate(requests))
    ended = [r.trace.ids[-1] == policy.eos_id and r.trace.mask[-1] == 1 for r in requests]
    assert sum(ended) >= 6, "most replies must end with a sampled end-of-turn token"
    for reply in replies:
        assert "<|im_start|>" not in reply and "<think>" not in reply
        words = reply.split()
        assert len(words) >= 3
        assert sum(w.strip(".,!?'\"").isalpha() for w in words) / len(words) > 0.7, reply


def test_think_prompt_mostly_gives_think_then_say(policy):
    replies = asyncio.run(policy.generate(_requests(think=True)))
    ok = [split_think(r).ok for r in replies]
    assert sum(ok) >= 5, replies


def test_corpus_refuses_test_profiles():
    test = load_builtin("test")
    with pytest.raises(ConfigError, match="test set"):
        assert_training_profiles(test[:1])
    renamed = load_builtin("train")[0].model_copy(update={"topic": test[3].topic})
    with pytest.raises(ConfigError, match="topic"):
        assert_training_profiles([renamed])
    assert_training_profiles(load_builtin("train"))
    with pytest.raises(ConfigError):
        build_corpus(test[:2], CorpusConfig(dialogues_per_profile=1))


def test_supporter_strategy_ignores_the_hidden_need():
    from rlver.profiles.schema import HiddenNeed

    base = load_builtin("train")[0]
    choices = []
    for need in HiddenNeed:
        supporter = CorpusSupporter(think=False, seed=3)
        request = PolicyRequest(key="d", messages=[Message("user", "hello")], profile=base.model_copy(update={"need": need}))
        asyncio.run(supporter.generate([request]))
        choices.append(supporter.choices[("d", 1)])
    assert len(set(choices)) == 1
    assert set(SUPPORT_STRATEGIES) >= set(choices)


def test_corpus_dialogue_encodes_like_a_policy_trace(policy):
    profiles = load_builtin("train")[:2]
    dialogues = build_corpus(profiles, CorpusConfig(presets=("sage",), dialogues_per_profile=1, think_fraction=1.0))
    assert len(dialogues) == 2
    tokenizer = policy.tokenizer
    for dialogue in dialogues:
        assert dialogue.think and len(dialogue.strategies) == sum(m.role == "assistant" for m in dialogue.messages)
        assert all(split_think(m.content).ok for m in dialogue.messages if m.role == "assistant")
        ids, mask = encode_dialogue(tokenizer, dialogue)
        assert len(ids) == len(mask)
        full = tokenizer.apply_chat_template([m.to_dict() for m in dialogue.messages], tokenize=False)
        assert tokenizer.decode(ids).startswith(full.rstrip("\n"))
        sampled = [i for i, m in zip(ids, mask) if m]
        assert sampled.count(policy.eos_id) == len(dialogue.strategies)
