"""Tiny local models and tokenizers: ChatML rendering, special/think tokens, sizes, seeding, safe loading."""

from __future__ import annotations

import json

import pytest
import torch
from transformers import AutoTokenizer

from rlver.errors import ConfigError
from rlver.models import (
    MODEL_SHAPES,
    SAMPLE_TEXTS,
    build_tiny_model,
    load_pretrained,
    resolve_dtype,
    tiny_test_setup,
    train_tokenizer,
)
from rlver.models.sampling import TokenSampler, nucleus_filter


@pytest.fixture(scope="module")
def tokenizer():
    return train_tokenizer(SAMPLE_TEXTS, vocab_size=1024)


def test_special_and_think_tokens_are_single_ids(tokenizer):
    for token in ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"]:
        ids = tokenizer.encode(token, add_special_tokens=False)
        assert len(ids) == 1, token
        assert tokenizer.convert_ids_to_tokens(ids[0]) == token
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token == "<|endoftext|>"
    assert tokenizer.pad_token_id != tokenizer.eos_token_id
    assert tokenizer.padding_side == "left"


def test_decoding_drops_special_tokens_but_keeps_think_tags(tokenizer):
    ids = tokenizer.encode("<|im_start|><think>calm</think> Hello<|im_end|>", add_special_tokens=False)
    assert tokenizer.decode(ids, skip_special_tokens=True) == "<think>calm</think> Hello"
    think_open = tokenizer.convert_tokens_to_ids("<think>")
    assert think_open not in tokenizer.all_special_ids


def test_chat_template_renders_chatml(tokenizer):
    messages = [
        {"role": "system", "content": "Be kind."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello"},
    ]
    text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=False)
    assert text == (
        "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
        "<|im_start|>assistant\nHello<|im_end|>\n"
    )
    prompt = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=True)
    assert prompt.endswith("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")


def test_byte_level_bpe_round_trips_any_text(tokenizer):
    text = "Ünïcode, emoji 🙂 and 中文 survive byte-level BPE."
    assert tokenizer.decode(tokenizer.encode(text, add_special_tokens=False)) == text


def test_vocab_size_is_bounded_and_validated():
    tokenizer = train_tokenizer(SAMPLE_TEXTS * 3, vocab_size=300)
    assert len(tokenizer) <= 300
    with pytest.raises(ConfigError, match="vocab_size"):
        train_tokenizer(SAMPLE_TEXTS, vocab_size=100)


def test_tokenizer_save_load_round_trip(tokenizer, tmp_path):
    tokenizer.save_pretrained(tmp_path)
    assert (tmp_path / "chat_template.jinja").is_file()
    loaded = AutoTokenizer.from_pretrained(tmp_path, local_files_only=True)
    messages = [{"role": "user", "content": "<think>x</think> I had a rough day"}]
    for tok in (tokenizer, loaded):
        assert tok.eos_token == "<|im_end|>"
    assert loaded.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"] == (
        tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_dict=True)["input_ids"]
    )
    assert loaded.all_special_ids == tokenizer.all_special_ids


@pytest.mark.parametrize("size,low,high", [("tiny", 0.8e6, 1.5e6), ("small", 4e6, 6.5e6), ("medium", 16e6, 24e6)])
def test_model_sizes_at_a_4k_vocabulary(tokenizer, size, low, high):
    model = build_tiny_model(tokenizer, size=size)
    hidden = MODEL_SHAPES[size].hidden_size
    total = sum(p.numel() for p in model.parameters())  # tied: the embedding is counted once
    at_4k = total - len(tokenizer) * hidden + 4096 * hidden
    assert low <= at_4k <= high
    assert model.config.tie_word_embeddings
    assert model.get_output_embeddings().weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    assert model.config.vocab_size == len(tokenizer)
    assert model.config.eos_token_id == tokenizer.eos_token_id
    assert model.config.pad_token_id == tokenizer.pad_token_id


def test_init_is_seeded_and_leaves_global_rng_alone(tokenizer):
    state = torch.get_rng_state()
    a = build_tiny_model(tokenizer, seed=3)
    assert torch.equal(state, torch.get_rng_state())
    b = build_tiny_model(tokenizer, seed=3)
    c = build_tiny_model(tokenizer, seed=4)
    pa, pb, pc = (dict(m.named_parameters()) for m in (a, b, c))
    assert all(torch.equal(pa[k], pb[k]) for k in pa)
    assert any(not torch.equal(pa[k], pc[k]) for k in pa)


def test_unknown_size_is_a_config_error(tokenizer):
    with pytest.raises(ConfigError, match="huge"):
        build_tiny_model(tokenizer, size="huge")  # type: ignore[arg-type]


def test_tiny_test_setup_generates_with_chat_format():
    model, tokenizer = tiny_test_setup()
    ids = tokenizer.apply_chat_template(
        [{"role": "user", "content": "hello"}], add_generation_prompt=True, return_dict=True, return_tensors="pt"
    )
    out = model.generate(**ids, max_new_tokens=4, do_sample=False, pad_token_id=tokenizer.pad_token_id)
    assert out.shape[1] > ids["input_ids"].shape[1]


def test_load_pretrained_round_trip_uses_safetensors(tmp_path):
    model, tokenizer = tiny_test_setup(seed=1)
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert list(tmp_path.glob("*.safetensors"))
    loaded, loaded_tok = load_pretrained(tmp_path, device="cpu")
    ids = torch.tensor([tokenizer.encode("I had a rough day", add_special_tokens=False)])
    with torch.no_grad():
        assert torch.allclose(model(ids).logits, loaded(ids).logits)
    assert loaded.dtype == torch.float32
    assert loaded_tok.chat_template == tokenizer.chat_template


def test_load_pretrained_refuses_hub_ids_and_pickles(tmp_path):
    with pytest.raises(ConfigError, match="not a local model directory"):
        load_pretrained("Qwen/Qwen2.5-7B-Instruct")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ConfigError, match="safetensors"):
        load_pretrained(tmp_path)
    with pytest.raises(ConfigError, match="dtype"):
        resolve_dtype("int3", torch.device("cpu"))
    assert resolve_dtype(None, torch.device("cpu")) == torch.float32


def test_load_pretrained_refuses_adapters_it_cannot_place(tmp_path):
    """A LoRA adapter folder loads only onto a local base, from safetensors."""
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text('{"base_model_name_or_path": "HuggingFaceTB/SmolLM2-135M-Instruct"}')
    with pytest.raises(ConfigError, match="not a local model directory"):
        load_pretrained(adapter)
    (adapter / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    with pytest.raises(ConfigError, match="base_model_name_or_path"):
        load_pretrained(adapter)
    model, tokenizer = tiny_test_setup(seed=1)
    model.save_pretrained(tmp_path / "base")
    (adapter / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": str(tmp_path / "base")}))
    (adapter / "adapter_model.bin").write_bytes(b"pickle")
    with pytest.raises(ConfigError, match="pickled adapters"):
        load_pretrained(adapter)


# -- sampling (rlver.models.sampling) --------------------------------------------------------------


def test_nucleus_filter_keeps_the_smallest_prefix_reaching_top_p():
    logits = torch.log(torch.tensor([[0.15, 0.5, 0.05, 0.3]]))
    kept = torch.isfinite(nucleus_filter(logits, 0.7))
    assert kept.tolist() == [[False, True, False, True]]
    assert torch.isfinite(nucleus_filter(logits, 0.5)).tolist() == [[False, True, False, False]]
    assert torch.equal(nucleus_filter(logits, 1.0), logits)


def test_gumbel_max_sampling_matches_softmax_frequencies():
    logits = torch.tensor([2.0, 1.0, 0.0, -1.0, 0.5])
    temperature, draws = 0.7, 20000
    sampler = TokenSampler(temperature, generator=torch.Generator().manual_seed(0))
    scores = logits.repeat(draws, 1)  # (N, V): one independent draw per row
    picks = sampler(torch.zeros((draws, 1), dtype=torch.long), scores).argmax(-1)  # (N,)
    frequencies = torch.bincount(picks, minlength=5).float() / draws
    assert torch.allclose(frequencies, torch.softmax(logits / temperature, -1), atol=0.015)


def test_token_sampler_records_logprobs_and_is_seeded():
    logits = torch.randn(3, 7, generator=torch.Generator().manual_seed(1))

    def draw(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        sampler = TokenSampler(0.9, generator=torch.Generator().manual_seed(seed))
        token = sampler(torch.zeros((3, 1), dtype=torch.long), logits).argmax(-1)
        return token, sampler.finish(token)

    token, logprobs = draw(5)
    assert torch.equal(token, draw(5)[0])
    assert torch.allclose(logprobs[:, 0], torch.log_softmax(logits / 0.9, -1).gather(-1, token[:, None])[:, 0])
    greedy = TokenSampler(0.0)
    assert torch.equal(greedy(torch.zeros((3, 1), dtype=torch.long), logits), logits)


def test_public_api_is_guarded():
    import rlver.models
    import rlver.policy.hf

    assert sorted(rlver.models.__all__) == [
        "CHATML_TEMPLATE", "MODEL_SHAPES", "PrefixCache", "SAMPLE_TEXTS", "TinyModelShape", "TokenSampler",
        "build_tiny_model", "load_pretrained", "resolve_device", "resolve_dtype", "tiny_test_setup", "train_tokenizer",
    ]
    assert sorted(rlver.policy.hf.__all__) == [
        "GenerationSettings", "GenerationStats", "HFPolicy", "SampledReply", "render_ids", "turn_delta_ids",
    ]
    for module in (rlver.models, rlver.policy.hf):
        assert all(hasattr(module, name) for name in module.__all__)
