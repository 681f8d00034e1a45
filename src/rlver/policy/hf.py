"""Token-exact Hugging Face policy: batched sampling that extends each dialogue's TokenTrace in place.

The trace is never rebuilt from text: it follows the shared rules of ``policy/trace.py`` (turn 1 =
the chat-template render, later turns = the template delta of the new user message, then the sampled
ids exactly as sampled), the same code :class:`~rlver.integrations.token_policy.TokenPolicy` uses
for verl, vLLM and TRL. This module only samples: all requests of a call share one left-padded
``model.generate`` (in a worker thread), sampling is exact and seeded (``models/sampling.py``) and
each dialogue's KV cache is kept between turns (``models/kv_cache.py``). See docs/hf-policy.md.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from transformers import (
    GenerationConfig,
    LogitsProcessorList,
    PreTrainedModel,
    PreTrainedTokenizerBase,
)

from rlver.errors import ConfigError, PolicyError
from rlver.models.eos import end_of_turn_ids as config_end_of_turn_ids
from rlver.models.kv_cache import (
    CachedPrefix,
    PrefixCache,
    batch_past,
    generate_cache_kwargs,
    generated_cache,
    row_prefix,
    supports_prefix_cache,
)
from rlver.models.sampling import TokenSampler, row_generators, row_seed
from rlver.policy.base import PolicyRequest
from rlver.policy.batching import RequestBatcher
from rlver.policy.trace import (  # re-exported: they lived here before the trace rules were shared
    GenerationStats,
    SampledReply,
    TraceBuilder,
    policy_turn,
    render_ids,
    turn_budget,
    turn_delta_ids,
)

__all__ = ["GenerationSettings", "GenerationStats", "HFPolicy", "SampledReply", "render_ids", "turn_delta_ids"]


@dataclass(frozen=True)
class GenerationSettings:
    """How the policy samples one turn."""

    temperature: float | None = None
    """Sampling temperature; 0 = greedy. Log-probs are taken under this temperature (1 when greedy).
    ``None``: the model's own ``generation_config.json`` value when it sets one, else 1.0."""
    top_p: float | None = None
    """Nucleus sampling mass (1.0 = off). The recorded log-probs are those of the distribution actually
    sampled from: log-softmax over the nucleus (see docs/hf-policy.md for what that does to PPO
    ratios). ``None``: the model's own ``generation_config.json`` value when it sets one, else 1.0."""
    max_new_tokens: int = 256
    """Most tokens sampled per turn. A reply cut here gets the end-of-turn id appended with mask 0."""
    max_context_tokens: int | None = None
    """Longest trace allowed (``None`` = the model's ``max_position_embeddings``). A turn's sampling
    budget shrinks so the trace never exceeds it; a dialogue with no room left raises PolicyError."""
    seed: int | None = 0
    """Each reply samples from its own ``torch.Generator``, seeded from (``seed``, dialogue key, turn)
    (the global RNG is never touched), so a seeded rollout is reproducible on one device whatever
    the timing, batch composition and arrival order (up to floating-point effects of batching; see
    ``exact``). ``None`` = draw from torch's global RNG."""
    batch_size: int = 64
    """Most sequences in one ``model.generate`` call; larger requests are split into chunks."""
    batch_wait: float = 0.01
    """Seconds an idle model waits for more requests after the first arrives, unless ``batch_size``
    are already queued. Requests that queue while a batch runs start the next one at once."""
    exact: bool = False
    """Sample every request alone (no padding, no batch-size-dependent kernels): transcripts are then
    bit-identical whatever the concurrency, at the cost of batching throughput. Batched sampling
    already uses per-reply noise; only floating-point differences of padded batches remain."""
    reuse_kv_cache: bool = True
    """Keep each dialogue's KV cache between turns, so a turn prefills only its new tokens instead of
    the whole trace. Holds up to ``kv_cache_dialogues`` dialogues (least recently used dropped first)
    and is forgotten whenever the model's weights change."""
    kv_cache_dialogues: int | None = None
    """Most dialogues whose KV cache is kept; ``None`` = max(batch_size, requests of the largest
    call). Keep it >= the dialogues in flight (``RolloutConfig.max_concurrent``): an evicted live
    dialogue re-prefills its whole trace next turn."""

    def __post_init__(self) -> None:
        if self.temperature is not None and self.temperature < 0:
            raise ConfigError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_p is not None and not 0 < self.top_p <= 1:
            raise ConfigError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1:
            raise ConfigError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")
        if self.max_context_tokens is not None and self.max_context_tokens < 2:
            raise ConfigError(f"max_context_tokens must be >= 2, got {self.max_context_tokens}")
        if self.batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {self.batch_size}")
        if self.batch_wait < 0:
            raise ConfigError(f"batch_wait must be >= 0, got {self.batch_wait}")
        if self.kv_cache_dialogues is not None and self.kv_cache_dialogues < 1:
            raise ConfigError(f"kv_cache_dialogues must be >= 1 or None, got {self.kv_cache_dialogues}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0

    def for_model(self, model: object) -> GenerationSettings:
        """These settings with ``temperature`` / ``top_p`` left unset taken from the model's own
        generation config (only values its ``generation_config.json`` sets; transformers' class
        defaults do not count), else 1.0: a chat model samples as its authors recommend unless told
        otherwise."""
        own = _model_sampling(model)
        return replace(
            self,
            temperature=self.temperature if self.temperature is not None else own.get("temperature", 1.0),
            top_p=self.top_p if self.top_p is not None else own.get("top_p", 1.0),
        )


def _model_sampling(model: object) -> dict[str, float]:
    """``temperature`` / ``top_p`` that a checkpoint's generation config sets explicitly."""
    config = getattr(model, "generation_config", None)
    if config is None:
        return {}
    explicit = config.to_diff_dict()
    if explicit.get("do_sample") is False:  # the authors ship it greedy
        return {"temperature": 0.0}
    return {k: float(explicit[k]) for k in ("temperature", "top_p") if isinstance(explicit.get(k), (int, float))}


class HFPolicy:
    """A transformers causal LM as a token-exact :class:`~rlver.policy.base.Policy`.

    The model object is shared, not copied: a trainer updating it changes what is sampled next.
    """

    token_exact = True

    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        settings: GenerationSettings | None = None,
        *,
        name: str = "hf",
        end_of_turn_ids: Sequence[int] | None = None,
    ) -> None:
        eos_ids = config_end_of_turn_ids(tokenizer, getattr(model, "generation_config", None))
        self.trace_builder = TraceBuilder(tokenizer, [*(end_of_turn_ids or ()), *eos_ids])
        """The shared trace rules (prompt, cut, trace extension, reply text)."""
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        self.settings = (settings or GenerationSettings()).for_model(model)
        self.pad_id = int(tokenizer.pad_token_id) if tokenizer.pad_token_id is not None else self.eos_id
        self.max_context_tokens = self.settings.max_context_tokens or int(
            getattr(model.config, "max_position_embeddings", 0) or 32768
        )
        self.stats = GenerationStats()
        self.kv_cache = PrefixCache()
        self.batcher: RequestBatcher[_Row, SampledReply] = RequestBatcher(
            self._sample_rows, max_batch=self.settings.batch_size, max_wait=self.settings.batch_wait
        )
        """The batching queue in front of the model (``batcher.occupancy`` = mean replies per batch)."""
        self._largest_call = 0
        self._sample_calls = itertools.count()
        self._lock = threading.Lock()

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        settings: GenerationSettings | None = None,
        *,
        device: str | torch.device | None = None,
        dtype: str | torch.dtype | None = None,
        name: str | None = None,
    ) -> HFPolicy:
        """Load a local ``save_pretrained`` directory (safetensors only; no hub download)."""
        from rlver.models.loading import load_pretrained

        model, tokenizer = load_pretrained(path, device=device, dtype=dtype)
        return cls(model, tokenizer, settings, name=name or f"hf:{path}")

    @property
    def eos_id(self) -> int:
        """The tokenizer's eos id (appended with mask 0 after a cut reply)."""
        return self.trace_builder.eos_id

    @property
    def end_of_turn_ids(self) -> frozenset[int]:
        """Ids that end a reply: eos, the ``end_of_turn_ids`` argument and the generation config's eos ids."""
        return self.trace_builder.end_of_turn_ids

    def decode(self, ids: Sequence[int]) -> str:
        """Reply text: special tokens dropped, ``<think>``/``</think>`` kept."""
        return self.trace_builder.decode(ids)

    # -- generation ------------------------------------------------------------------------------

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str | PolicyError]:
        """One reply per request; a dialogue with no context room left gets a ``PolicyError`` instead
        (only that dialogue fails, the rest is generated).

        The requests join the batching queue, so concurrent calls (one per dialogue, as the rollout
        loop makes them) share model batches.
        """
        if not requests:
            return []
        settings = self.settings
        reuse = settings.reuse_kv_cache
        if reuse:
            self.kv_cache.sync_weights(self.model)
        results: list[str | PolicyError | None] = [None] * len(requests)
        live: list[tuple[int, PolicyRequest, list[int], _Row]] = []
        for index, request in enumerate(requests):
            delta, prompt = self.trace_builder.prompt(request)
            try:
                budget = turn_budget(request.key, len(prompt), settings.max_new_tokens,
                                     max_context_tokens=self.max_context_tokens)
            except PolicyError as exc:
                results[index] = exc
                continue
            past = self.kv_cache.take(request.key, request.trace.ids) if reuse and request.trace is not None else None
            seed = None if settings.seed is None else row_seed(settings.seed, request.key, policy_turn(request))
            live.append((index, request, delta, _Row(prompt, budget, _Slot(past), seed)))
        if not live:
            return results  # type: ignore[return-value]
        self._largest_call = max(self._largest_call, len(requests))
        self.stats.calls += 1
        sampled = await self.batcher.submit([row for *_, row in live])
        for (index, request, delta, _), reply in zip(live, sampled):
            self.stats.count(reply)
            results[index] = self.trace_builder.record(request, delta, reply)
            if request.trace is not None and reply.prefix is not None:
                self.kv_cache.store(request.key, request.trace.ids, *reply.prefix)
        self.kv_cache.evict(settings.kv_cache_dialogues or max(settings.batch_size, self._largest_call))
        return results  # type: ignore[return-value]

    async def _sample_rows(self, rows: list[_Row]) -> list[SampledReply]:
        """The batcher's batch function: one model batch (chunked by ``batch_size``) in a worker thread."""
        start = time.perf_counter()
        try:
            return await asyncio.to_thread(
                self._generate_sync,
                [row.prompt for row in rows],
                [row.budget for row in rows],
                [row.past for row in rows],
                self.settings.reuse_kv_cache,
                [row.seed for row in rows],
            )
        finally:
            self.stats.seconds += time.perf_counter() - start

    def sample(
        self,
        prompts: Sequence[Sequence[int]],
        budgets: Sequence[int] | None = None,
        seeds: Sequence[int] | None = None,
    ) -> list[SampledReply]:
        """Blocking: one reply per raw prompt (token ids), sampled exactly as ``generate`` does.

        For adapters that keep their own traces (verl/TRL integrations): no trace, no KV cache.
        ``budgets`` = most new tokens per prompt (default ``max_new_tokens``). ``seeds`` = the noise
        seed of each reply (:func:`rlver.models.sampling.row_seed` of the dialogue key and turn gives
        exactly ``generate``'s sample); ``None`` = seeds from ``settings.seed`` and a call counter.
        Ignored when ``settings.seed`` is ``None``.
        """
        lists = [list(p) for p in prompts]
        if budgets is None:
            budgets = [self.settings.max_new_tokens] * len(lists)
        if len(budgets) != len(lists) or any(b < 1 for b in budgets):
            raise PolicyError("sample() needs one budget >= 1 per prompt")
        if seeds is not None and len(seeds) != len(lists):
            raise PolicyError("sample() needs one seed per prompt")
        if not lists:
            return []
        row_seeds: list[int | None]
        if self.settings.seed is None:
            row_seeds = [None] * len(lists)
        elif seeds is None:
            call = next(self._sample_calls)
            row_seeds = [row_seed(self.settings.seed, f"sample-{call}", row) for row in range(len(lists))]
        else:
            row_seeds = [int(seed) for seed in seeds]
        return self._generate_sync(lists, list(budgets), [_Slot(None) for _ in lists], False, row_seeds)

    def _generate_sync(
        self,
        prompts: list[list[int]],
        budgets: list[int],
        pasts: list[_Slot],
        keep_prefix: bool,
        seeds: list[int | None],
    ) -> list[SampledReply]:
        # Shortest prompts together: less left padding per chunk.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        results: dict[int, SampledReply] = {}
        size = 1 if self.settings.exact else self.settings.batch_size
        with self._lock:
            was_training = self.model.training
            self.model.eval()
            try:
                with torch.inference_mode():
                    for start in range(0, len(order), size):
                        chunk = order[start : start + size]
                        chunk_seeds = [seeds[i] for i in chunk]
                        # One noise stream per reply: its sample is the same whatever shares the batch.
                        generators = (
                            None if any(s is None for s in chunk_seeds)
                            else row_generators(chunk_seeds, self.model.device)  # type: ignore[arg-type]
                        )
                        outs = self._generate_chunk(
                            [prompts[i] for i in chunk], [budgets[i] for i in chunk], [pasts[i] for i in chunk],
                            keep_prefix, generators,
                        )
                        results.update(zip(chunk, outs))
            except (RuntimeError, ValueError) as exc:
                raise PolicyError(f"generation failed: {exc}") from exc
            finally:
                self.model.train(was_training)
        return [results[i] for i in range(len(prompts))]

    def _generate_chunk(
        self,
        prompts: list[list[int]],
        budgets: list[int],
        slots: list[_Slot],
        keep_prefix: bool,
        generators: list[torch.Generator] | None,
    ) -> list[SampledReply]:
        device = self.model.device
        # Row layout: [pad | cached prefix | pad | new tokens]; the cache covers the first two parts.
        cached = [s.prefix.length if s.prefix is not None else 0 for s in slots]
        news = [prompt[c:] for prompt, c in zip(prompts, cached)]
        past_width = max(cached)
        width = past_width + max(len(n) for n in news)
        input_ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)  # (B, T)
        attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)  # (B, T)
        for row, (prompt, c, new) in enumerate(zip(prompts, cached, news)):
            input_ids[row, past_width - c : past_width] = torch.tensor(prompt[:c], dtype=torch.long)
            input_ids[row, width - len(new) :] = torch.tensor(new, dtype=torch.long)
            attention_mask[row, past_width - c : past_width] = 1
            attention_mask[row, width - len(new) :] = 1
        extra = generate_cache_kwargs(batch_past([s.prefix for s in slots], past_width) if past_width else None)
        for slot in slots:  # moved into the batch's cache: the dialogue's own copy is released now
            slot.prefix = None
        settings = self.settings
        sampler = TokenSampler(settings.temperature, settings.top_p, generators)
        config = GenerationConfig(
            max_new_tokens=max(budgets),
            # Greedy decoding over Gumbel-perturbed logits = exact sampling (see models/sampling.py).
            do_sample=False,
            # Neutralise knobs a checkpoint's generation_config.json may set: they would change the
            # sampling distribution away from the one the log-probs describe.
            repetition_penalty=1.0,
            no_repeat_ngram_size=0,
            num_beams=1,
            eos_token_id=sorted(self.end_of_turn_ids),
            pad_token_id=self.pad_id,
            use_cache=True,
            return_dict_in_generate=True,
        )
        out = self.model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            generation_config=config,
            logits_processor=LogitsProcessorList([sampler]),
            **extra,
        )
        new_ids = out.sequences[:, width:]  # (B, N)
        logprobs = sampler.finish(new_ids[:, -1])  # (B, N)
        new_ids, logprobs = new_ids.tolist(), logprobs.tolist()
        cache = generated_cache(out)
        keep_cache = keep_prefix and supports_prefix_cache(cache)
        results = []
        for row, budget in enumerate(budgets):
            reply = self.trace_builder.cut(new_ids[row], logprobs[row], budget)
            if keep_cache:
                # Every token fed for this row: cached prefix, new prompt tokens, sampled ids but the last.
                positions = torch.cat([
                    torch.arange(past_width - cached[row], past_width),
                    torch.arange(width - len(news[row]), width + len(reply.ids) - 1),
                ])
                reply.prefix = row_prefix(cache, row, positions)
            results.append(reply)
        return results


@dataclass
class _Slot:
    """One dialogue's cached prefix on its way into a generation batch. The batch copies it into its
    left-padded cache and empties the slot, so the prefix is never held twice while the model runs."""

    prefix: CachedPrefix | None


@dataclass(frozen=True)
class _Row:
    """One reply to sample, as the batching queue hands it to the model."""

    prompt: list[int]
    """Every id to feed (the trace plus the turn's delta)."""
    budget: int
    """Most tokens to sample."""
    past: _Slot
    """This dialogue's cached keys and values, if any (emptied once copied into the batch)."""
    seed: int | None
    """Seed of this reply's noise stream (``None``: torch's global RNG)."""
