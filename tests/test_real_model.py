"""The real-model tier: SmolLM2-135M-Instruct, imported from GGUF, through the policy and the trainer.

Tiny random models (everywhere else) cannot show what a real checkpoint brings: a 49k-token
tokenizer, a chat template with a default system prompt, fluent replies, 30 layers. These tests run
rlver on one. ``scripts/fetch_test_models.sh`` puts the GGUF file in
``${RLVER_TEST_MODELS:-~/.cache/rlver-test-models}`` once per machine; without it the tier is skipped
(and fails in CI, where it must run). The file is imported once per session with ``import_gguf``.

    scripts/fetch_test_models.sh && .venv/bin/python -m pytest -m real_model
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open
from safetensors.torch import load_file
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.llm.types import Message
from rlver.models.gguf import LOGIT_ATOL, ImportResult, import_gguf
from rlver.models.loading import load_pretrained
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.hf import GenerationSettings, HFPolicy

pytestmark = pytest.mark.real_model

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
OPENINGS = ["I had a rough day at work and I can't stop thinking about it.", "What is the capital of France?"]
FOLLOW_UP = "Thanks. Can you say a bit more?"
GREEDY = GenerationSettings(temperature=0.0, max_new_tokens=24, seed=0)


def gguf_path() -> Path:
    cache = os.environ.get("RLVER_TEST_MODELS") or Path.home() / ".cache" / "rlver-test-models"
    return Path(cache).expanduser() / GGUF_NAME


@pytest.fixture(scope="session")
def imported(tmp_path_factory) -> ImportResult:
    """SmolLM2 imported once per session into a temporary folder."""
    path = gguf_path()
    if not path.is_file():
        message = f"{path} is missing; fetch it with: scripts/fetch_test_models.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return import_gguf(path, tmp_path_factory.mktemp("smollm2") / "model")


@pytest.fixture(scope="module")
def policy(imported) -> HFPolicy:
    """Greedy, 24 new tokens a turn; other settings share its model (``HFPolicy(policy.model, ...)``)."""
    return HFPolicy.from_pretrained(imported.out, GREEDY, device="cpu")


def with_settings(policy: HFPolicy, settings: GenerationSettings) -> HFPolicy:
    return HFPolicy(policy.model, policy.tokenizer, settings)


def requests(system: str | None) -> list[PolicyRequest]:
    head = [Message("system", system)] if system else []
    return [
        PolicyRequest(key=f"d{i}-{bool(system)}", messages=[*head, Message("user", text)], trace=TokenTrace())
        for i, text in enumerate(OPENINGS)
    ]


async def two_turns(policy: HFPolicy, batch: list[PolicyRequest]) -> None:
    """Two policy turns; the replies and a follow-up user message go into each request's messages."""
    for turn in range(2):
        replies = await policy.generate(batch)
        for request, reply in zip(batch, replies):
            assert isinstance(reply, str), reply
            request.messages.append(Message("assistant", reply))
            if turn == 0:
                request.messages.append(Message("user", FOLLOW_UP))


def sampled_segments(trace: TokenTrace) -> list[list[int]]:
    """The runs of mask-1 ids: one per reply."""
    segments: list[list[int]] = [[]]
    for token, bit in zip(trace.ids, trace.mask):
        if bit:
            segments[-1].append(token)
        elif segments[-1]:
            segments.append([])
    return [s for s in segments if s]


def template_ids(tokenizer, messages: list[Message]) -> list[int]:
    """The chat template's own rendering of a text conversation."""
    dicts = [{"role": m.role, "content": m.content} for m in messages]
    return list(tokenizer.apply_chat_template(dicts, tokenize=True, return_dict=True)["input_ids"])


def test_import_writes_a_checked_hf_folder(imported):
    assert (imported.model_type, imported.parameters, imported.vocab_size) == ("llama", 134_515_008, 49_152)
    assert imported.max_logit_diff <= LOGIT_ATOL  # the import compared the folder's logits to the GGUF model's
    files = {p.name for p in imported.out.iterdir()}
    assert files == {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                     "tokenizer_config.json", "chat_template.jinja"}
    generation = json.loads((imported.out / "generation_config.json").read_text())
    assert generation["eos_token_id"] == 2 and list(imported.eos_token_ids) == [2]  # <|im_end|>
    assert "temperature" not in generation and "top_p" not in generation  # the GGUF file sets none
    assert DEFAULT_SYSTEM in (imported.out / "chat_template.jinja").read_text()


def test_imported_weights_equal_the_gguf_tensors(imported, policy):
    """Independent of transformers' loader: dequantise tensors with gguf itself and compare bit for bit."""
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(imported.info.path)
    tensors = {t.name: t for t in reader.tensors}
    layer = policy.model.model.layers[0]
    pairs = {  # q/k are stored permuted for llama.cpp's rope layout; these are not
        "token_embd.weight": policy.model.model.embed_tokens.weight,
        "blk.0.attn_v.weight": layer.self_attn.v_proj.weight,
        "blk.0.ffn_down.weight": layer.mlp.down_proj.weight,
        "output_norm.weight": policy.model.model.norm.weight,
    }
    for name, weight in pairs.items():
        tensor = tensors[name]
        values = gguf.dequantize(tensor.data, tensor.tensor_type).reshape(weight.shape)
        assert torch.equal(torch.from_numpy(values.copy()), weight.detach()), name
    assert {t.tensor_type.name for t in tensors.values()} == {"F32", "Q4_1", "Q8_0"}


async def test_greedy_replies_are_fluent(policy):
    fresh = with_settings(policy, GREEDY)
    batch = requests(None)
    await two_turns(fresh, batch)
    assert "Paris" in batch[1].messages[1].content
    assert fresh.stats.replies == 4 and fresh.stats.sampled_tokens > 20


@pytest.mark.parametrize("system", [None, "You are a caring friend. Answer in one short sentence."])
async def test_traces_equal_the_templates_rendering(policy, system):
    """Turn 1 is the template's render, later turns its delta: the whole trace equals the template's
    rendering of the text conversation, with the template's default system prompt when none is given."""
    batch = requests(system)
    await two_turns(policy, batch)
    tokenizer = policy.tokenizer
    for request in batch:
        trace = request.trace
        rendered = template_ids(tokenizer, request.messages)
        assert trace.ids == rendered[: len(trace)]
        assert tokenizer.decode(rendered[len(trace):]) == "\n"  # the template's suffix after <|im_end|>
        text = tokenizer.decode(trace.ids)
        assert text.startswith(f"<|im_start|>system\n{system or DEFAULT_SYSTEM}<|im_end|>")
        assert (DEFAULT_SYSTEM in text) == (system is None)
        replies = [m.content for m in request.messages if m.role == "assistant"]
        assert [policy.decode(segment) for segment in sampled_segments(trace)] == replies
        assert len(trace.ids) == len(trace.mask) == len(trace.logprobs)


async def test_logprobs_match_a_forward_pass(policy):
    temperature = 0.7
    sampler = with_settings(policy, replace(GREEDY, temperature=temperature, seed=3))
    batch = requests(None)
    await two_turns(sampler, batch)
    for request in batch:
        ids = torch.tensor([request.trace.ids])  # (1, T)
        with torch.no_grad():
            logits = policy.model(ids).logits[0, :-1].float()  # (T-1, V)
        expected = torch.log_softmax(logits / temperature, -1).gather(-1, ids[0, 1:, None]).squeeze(-1)
        mask = torch.tensor(request.trace.mask[1:], dtype=torch.bool)
        got = torch.tensor(request.trace.logprobs[1:])
        assert mask.sum() >= 10
        assert torch.allclose(got[mask], expected[mask], atol=1e-4, rtol=0)


async def test_kv_cache_gives_the_tokens_of_the_uncached_path(policy):
    traces = {}
    for reuse in (True, False):
        sampler = with_settings(policy, replace(GREEDY, reuse_kv_cache=reuse))
        batch = requests(None)
        await two_turns(sampler, batch)
        traces[reuse] = [r.trace for r in batch]
        assert len(sampler.kv_cache) == (len(batch) if reuse else 0)
    for cached, plain in zip(traces[True], traces[False]):
        assert cached.ids == plain.ids and cached.mask == plain.mask
        assert torch.allclose(torch.tensor(cached.logprobs), torch.tensor(plain.logprobs), atol=1e-4, rtol=0)


def train_config(tmp_path: Path, *, lora: bool) -> Path:
    """The SmolLM2 recipe (configs/smollm2-grpo.yaml, or -lora.yaml) with short replies and no
    TensorBoard. Its checkpoint interval is kept: the last step of a run is always saved, and a full
    fine-tuning checkpoint of this model (weights and AdamW state) is 1.6 GB, so one per run is enough."""
    name = "smollm2-grpo-lora.yaml" if lora else "smollm2-grpo.yaml"
    config = yaml.safe_load((REPO / "configs" / name).read_text())
    assert config["lora"]["enabled"] is lora
    config["rollout"]["max_new_tokens"] = 24
    config["logging"].update(tensorboard=False, progress=False)
    path = tmp_path / f"grpo-{'lora' if lora else 'full'}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@pytest.mark.parametrize("lora", [True, False], ids=["lora", "full"])
def test_grpo_trains_and_resumes_through_the_cli(imported, tmp_path, lora):
    runner = CliRunner()
    out = tmp_path / "run"
    args = ["train", "--config", train_config(tmp_path, lora=lora), "--policy", f"hf:{imported.out}",
            "--steps", "2", "--profiles-per-step", "2", "--group-size", "2", "--max-turns", "2",
            "--out", out, "--seed", "0", "--device", "cpu", "--no-progress"]
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    again = runner.invoke(app, ["train", "--out", str(out), "--resume", "--steps", "3", "--no-progress"])
    assert again.exit_code == 0, again.output
    assert "resumed from step 2" in again.output
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in rows] == [1, 2, 3]
    for row in rows:
        assert row["rollout/episodes"] == 4 and row["rollout/dropped"] == 0
        assert -1.0 <= row["reward/mean"] <= 1.0  # emotion_delta: change of the final emotion / 100
        assert math.isfinite(row["losses/policy"]) and math.isfinite(row["losses/entropy"])
    policy_dir = out / "checkpoints" / "step-000003" / "policy"
    if lora:  # LoRA's B matrices start at zero: any non-zero one was trained
        adapter = load_file(str(policy_dir / "adapter_model.safetensors"))
        assert any(v.abs().max() > 0 for k, v in adapter.items() if "lora_B" in k)
        # hf:CHECKPOINT/policy loads the adapter merged into the imported base (what bench runs)
        merged, _ = load_pretrained(policy_dir, device="cpu", dtype="float32")
        with safe_open(str(imported.out / "model.safetensors"), "pt") as base:
            name = "model.layers.0.self_attn.q_proj.weight"
            assert not torch.equal(merged.state_dict()[name], base.get_tensor(name))
    else:
        with safe_open(str(policy_dir / "model.safetensors"), "pt") as trained, \
                safe_open(str(imported.out / "model.safetensors"), "pt") as base:
            name = "model.layers.0.self_attn.q_proj.weight"
            assert not torch.equal(trained.get_tensor(name), base.get_tensor(name))
    shutil.rmtree(out)  # 1.6 GB with full fine-tuning; pytest would keep it for three sessions
