"""vLLM generation for the native trainer, with weight sync after each update (``rlver[vllm]``).

NOT TESTED ON A GPU: this machine has none, and vLLM needs one. What the test suite covers is the
engine-free part: the weight names and values pushed to vLLM (:func:`vllm_weight_items`, LoRA
merged) and the import guard. The rest follows TRL 1.16's colocate mode, which runs the same calls.

* :class:`VLLMTokenGenerator`: the token seam over an in-process ``vllm.LLM``; concurrent requests
  become one ``LLM.generate`` call (prompts given as token ids, ``logprobs=0`` returns the sampled
  token's log-prob). Build the engine with ``logprobs_mode="processed_logprobs"`` so the log-probs
  are taken after temperature, as :class:`HFPolicy` records them.
* :func:`build_colocated_llm`: an ``LLM`` living in the trainer's process (``external_launcher``
  executor), sharing the GPU with training; :func:`sync_weights` pushes the trainer's current
  weights into it.
* :class:`VLLMTrainer`: :class:`rlver.rl.trainer.Trainer` whose rollouts sample with vLLM; before
  each rollout it syncs the weights if they changed since the last sync. Rollouts run on the
  trainer's own event loop (kept across steps, so the simulator's HTTP connections are reused).

End-of-turn ids come from the policy model's generation config
(:func:`rlver.models.eos.end_of_turn_ids`), the file vLLM itself reads, and are passed to every
request as ``stop_token_ids``; vLLM is never asked for its internal copy of them (its V1 engine moved
them from ``llm_engine.generation_config_fields`` to ``input_processor``).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from rlver.errors import ConfigError, PolicyError
from rlver.integrations.dialogue import bind_device
from rlver.integrations.generators import BatchingGenerator
from rlver.integrations.token_policy import TokenCompletion, TokenPolicy, TokenPolicySettings, TokenSampling
from rlver.models.eos import end_of_turn_ids
from rlver.models.sampling import row_seed
from rlver.rl.trainer import Trainer
from rlver.rollout.loop import RolloutConfig, run_dialogues
from rlver.rollout.types import Episode
from rlver.utils.seeding import SEED_SPACE_31, derive_seed31

__all__ = [
    "VLLMTokenGenerator",
    "VLLMTrainer",
    "build_colocated_llm",
    "require_vllm",
    "sync_weights",
    "vllm_weight_items",
]


def require_vllm() -> Any:
    """The ``vllm`` module, or a ConfigError saying how to get it."""
    try:
        import vllm
    except ImportError:
        raise ConfigError("vLLM generation needs vLLM and a CUDA GPU: pip install 'rlver[vllm]'") from None
    return vllm


class VLLMTokenGenerator(BatchingGenerator):
    """Samples with an in-process ``vllm.LLM`` (temperature and top-p here; budgets per request).

    ``device``: the engine's CUDA device, made current in the worker thread that calls
    ``LLM.generate`` (a new thread's current device is 0, whatever rank it serves).
    """

    def __init__(self, llm: Any, *, temperature: float = 1.0, top_p: float = 1.0, seed: int | None = 0,
                 max_batch: int = 256, device: Any = None) -> None:
        super().__init__(self._sample, max_batch=max_batch)
        self.llm = llm
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.device = device

    def _generate(self, inputs: list[dict[str, Any]], params: list[Any]) -> list[Any]:
        bind_device(self.device)
        return self.llm.generate(inputs, params, use_tqdm=False)

    async def _sample(self, prompts: list[list[int]], samplings: list[TokenSampling]) -> list[TokenCompletion]:
        vllm = require_vllm()
        params = []
        for prompt, sampling in zip(prompts, samplings):
            # Seeded by dialogue and turn, as HFPolicy seeds a reply: a request's noise must not depend on
            # how many requests happened to arrive before it (the batching order of concurrent dialogues).
            # A request without a turn (a bare seam caller) uses its prompt length, which grows every turn.
            # Folded to 31 bits: some vLLM builds reject larger seeds.
            seed = None if self.seed is None else row_seed(
                self.seed, sampling.key, sampling.turn if sampling.turn is not None else len(prompt)
            ) % SEED_SPACE_31
            params.append(vllm.SamplingParams(
                max_tokens=sampling.max_new_tokens, temperature=self.temperature, top_p=self.top_p, seed=seed,
                logprobs=0, stop_token_ids=list(sampling.stop_token_ids), skip_special_tokens=False,
            ))
        inputs = [{"prompt_token_ids": list(p)} for p in prompts]
        outputs = await asyncio.to_thread(self._generate, inputs, params)
        completions = []
        for output in outputs:
            sample = output.outputs[0]
            ids = [int(t) for t in sample.token_ids]
            if sample.logprobs is None:
                raise PolicyError("vLLM returned no log-probs; the engine must allow logprobs=0")
            logprobs = [float(step[token].logprob) for step, token in zip(sample.logprobs, ids)]
            completions.append(TokenCompletion(ids, logprobs))
        return completions


def build_colocated_llm(model_path: str, *, gpu_memory_utilization: float = 0.3, max_model_len: int | None = None,
                        seed: int = 0, dtype: str = "auto", max_num_seqs: int = 256) -> Any:
    """An ``LLM`` in this process sharing the trainer's GPU (TRL's colocate recipe).

    ``model_path`` must be a local directory (the trainer's initial weights); later weights arrive
    through :func:`sync_weights`. Keep ``gpu_memory_utilization`` low enough to leave room for the
    training step.
    """
    vllm = require_vllm()
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("LOCAL_RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29533")
    return vllm.LLM(
        model=model_path, dtype=dtype, seed=seed, gpu_memory_utilization=gpu_memory_utilization,
        max_model_len=max_model_len, max_num_seqs=max_num_seqs, distributed_executor_backend="external_launcher",
        logprobs_mode="processed_logprobs", enable_prefix_caching=True,
    )


def vllm_weight_items(model: nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    """``(name, tensor)`` pairs as vLLM's ``load_weights`` expects them.

    A PEFT (LoRA) model is merged first and its names are mapped back to the base model's; the
    adapters are unmerged again when the iteration ends. Tied weights appear once.
    """
    merge = getattr(model, "merge_adapter", None)
    peft_prefix = getattr(model, "prefix", None)  # "lora_" on PEFT tuners
    if merge is not None:
        merge()
    try:
        for name, param in model.named_parameters(remove_duplicate=True):
            if merge is not None:
                if peft_prefix and peft_prefix in name:
                    continue  # adapter weights: already merged into the base layers
                if "original_module" in name:
                    continue
                name = name.removeprefix("base_model.model.").replace(".base_layer", "")
                name = name.replace("modules_to_save.default.", "")
            yield name, param.data
    finally:
        if merge is not None:
            model.unmerge_adapter()


def sync_weights(llm: Any, model: nn.Module) -> None:
    """Load ``model``'s current weights into the colocated engine and drop its prefix cache."""
    runner = llm.llm_engine.model_executor.driver_worker.model_runner.model
    with torch.no_grad():
        for name, tensor in vllm_weight_items(model):
            runner.load_weights([(name, tensor)])
    llm.reset_prefix_cache()


class VLLMTrainer(Trainer):
    """The native trainer with vLLM rollouts: ``VLLMTrainer(config, model, tokenizer, sim, profiles, llm=...)``."""

    def __init__(self, *args: Any, llm: Any, max_context_tokens: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.llm = llm
        self.max_context_tokens = max_context_tokens
        self._synced_step: int | None = None

    def rollout(self, step: int) -> list[Episode]:
        if self._synced_step != self.step:  # weights changed since the engine last saw them
            sync_weights(self.llm, self.model)
            self._synced_step = self.step
        settings = self.config.rollout
        generator = VLLMTokenGenerator(self.llm, temperature=settings.temperature, top_p=settings.top_p,
                                       seed=derive_seed31(self.config.seed, "policy", step),
                                       device=next(self.model.parameters()).device)
        limits = TokenPolicySettings(max_new_tokens=settings.max_new_tokens, max_context_tokens=self.max_context_tokens)
        stop_ids = end_of_turn_ids(self.tokenizer, getattr(self.model, "generation_config", None))
        policy = TokenPolicy(generator, self.tokenizer, limits, name=f"vllm:{self.config.policy}", end_of_turn_ids=stop_ids)
        rollout_config = RolloutConfig(preset=self.preset, think=settings.think, system_prompt=settings.system_prompt,
                                       max_concurrent=settings.max_concurrent)
        # The trainer's own loop, kept across steps: the simulator's client stays bound to one loop.
        return self._run_async(run_dialogues(self.sample_jobs(step), policy, self.simulator, rollout_config))
