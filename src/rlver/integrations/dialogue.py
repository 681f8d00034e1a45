"""What the verl and TRL adapters share: settings, the simulator from a spec, one dialogue -> one sample.

Both engines want one training sample per dialogue: the first prompt, everything after it as the
"response" with a mask that is 1 only on the policy's sampled tokens, the sampling log-probs, and a
scalar reward. :func:`episode_to_sample` cuts an rlver :class:`Episode`'s token trace that way; the
dialogue itself is run by :func:`rlver.rollout.run_dialogues`, the loop the native trainer uses.
"""

from __future__ import annotations

import asyncio
import os
import threading
import weakref
from collections.abc import Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

from rlver.errors import ConfigError
from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
from rlver.rollout.rewards import UnscorableEpisode, get_reward
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.simulator.presets import Preset, get_preset
from rlver.utils.seeding import derive_seed31

__all__ = [
    "BackgroundLoop",
    "EpisodeSettings",
    "RolloutSample",
    "SimulatorSpec",
    "bind_device",
    "dialogue_seed",
    "episode_to_sample",
    "run_one_dialogue",
    "shared_simulator",
]

ENV_PREFIX = "RLVER_SIMULATOR"
T = TypeVar("T")


@dataclass(frozen=True)
class SimulatorSpec:
    """The simulated user, as a spec string plus endpoint settings (no secret: the key is read from
    the environment variable named by ``api_key_env`` at request time)."""

    spec: str = "offline"
    """``offline`` (deterministic, no network), ``openai:MODEL`` (an OpenAI-compatible endpoint), or
    ``python:MODULE:NAME`` (a zero-argument factory or class returning a custom UserSimulator)."""
    base_url: str | None = None
    """Endpoint root for ``openai:``, e.g. ``http://sim-host:8000/v1``."""
    api_key_env: str | None = None
    """Name of the environment variable holding the endpoint's API key; ``None``: ``OPENAI_API_KEY``
    for OpenAI's own endpoint, no key for any other (the rule of :class:`rlver.llm.ClientConfig`)."""
    max_concurrency: int = 32
    """Simulator requests in flight at once *per process* (one client is shared by all dialogues)."""
    timeout: float = 120.0
    """Seconds before one request attempt is abandoned and retried."""
    max_retries: int = 4
    """Bounded retries with exponential backoff."""
    cache_dir: str | None = None
    """On-disk response cache of the simulator client (``None`` = off)."""
    temperature: float = 0.0
    """Simulator sampling temperature (0 keeps the reward reproducible)."""
    language: str | None = None
    """Force the prompt language (``en``/``zh``); ``None`` = each profile's own."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **explicit: Any) -> SimulatorSpec:
        """Explicit values (not ``None``) win, then ``RLVER_SIMULATOR`` / ``RLVER_SIMULATOR_<FIELD>``
        environment variables (e.g. ``RLVER_SIMULATOR_BASE_URL``), then the defaults."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            if explicit.get(f.name) is not None:
                values[f.name] = explicit[f.name]
                continue
            name = ENV_PREFIX if f.name == "spec" else f"{ENV_PREFIX}_{f.name.upper()}"
            raw = environ.get(name)
            if raw:
                values[f.name] = _parse_env(name, raw, f.default)
        unknown = set(explicit) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
        return cls(**values)

    def build(self) -> UserSimulator:
        """A new simulator object (prefer :func:`shared_simulator`, which reuses one per process)."""
        kind, _, arg = self.spec.partition(":")
        if kind == "offline":
            from rlver.simulator.offline import OfflineSentientAgent

            return OfflineSentientAgent()
        if kind == "openai":
            from rlver.llm.client import ClientConfig, OpenAIChatClient
            from rlver.llm.types import SamplingParams
            from rlver.simulator.llm_agent import LLMSentientAgent

            if not arg:
                raise ConfigError("simulator spec openai:MODEL needs a model name, e.g. openai:deepseek-chat")
            if not self.base_url:
                raise ConfigError(f"simulator {self.spec!r} needs a base URL ({ENV_PREFIX}_BASE_URL)")
            client = OpenAIChatClient(ClientConfig(
                base_url=self.base_url, model=arg, api_key_env=self.api_key_env, timeout=self.timeout,
                max_concurrency=self.max_concurrency, max_retries=self.max_retries, cache_dir=self.cache_dir,
                sampling=SamplingParams(temperature=self.temperature, seed=0),
            ))
            return LLMSentientAgent(client, language=self.language)
        if kind == "python":
            return _import_simulator(arg)
        raise ConfigError(f"unknown simulator spec {self.spec!r}; expected offline, openai:MODEL or python:MODULE:NAME")


def _import_simulator(target: str) -> UserSimulator:
    import importlib

    module_name, _, attr = target.partition(":")
    if not module_name or not attr:
        raise ConfigError(f"python simulator spec needs python:MODULE:NAME, got python:{target}")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot load simulator python:{target}: {exc}") from None
    simulator = factory()
    if not isinstance(simulator, UserSimulator):
        raise ConfigError(f"python:{target} returned {type(simulator).__name__}, not a UserSimulator")
    return simulator


def _parse_env(name: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        try:
            return type(default)(raw)
        except ValueError:
            raise ConfigError(f"environment variable {name}={raw!r} is not a number") from None
    return raw


_SIMULATORS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[SimulatorSpec, UserSimulator]] = (
    weakref.WeakKeyDictionary()
)


def shared_simulator(spec: SimulatorSpec) -> UserSimulator:
    """One simulator per spec and running event loop in this process.

    Engines build an agent object per dialogue; sharing the simulator shares its HTTP client (bound
    to the loop it runs in), so ``max_concurrency`` bounds the whole worker, and the offline agent's
    embedder loads once. Entries go away with their event loop.
    """
    loop = asyncio.get_running_loop()
    per_loop = _SIMULATORS.setdefault(loop, {})
    if spec not in per_loop:
        per_loop[spec] = spec.build()
    return per_loop[spec]


def bind_device(device: Any) -> None:
    """Make ``device`` this thread's current CUDA device (no-op for CPU or ``None``).

    CUDA's current device is per thread and starts at 0 in every new thread: a worker thread that
    samples for rank 3 would otherwise launch on GPU 0 whatever device the model lives on.
    """
    if device is None:
        return
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.set_device(device)


class BackgroundLoop:
    """A private event loop in a daemon thread: synchronous callers (TRL's trainer, notebooks that
    already run a loop) submit coroutines to it, and clients bound to it live across calls.

    ``device``: the caller's CUDA device, made current in the loop's thread and in the threads of its
    default executor (where generators run models through ``asyncio.to_thread``).
    """

    def __init__(self, name: str = "rlver-rollout", *, device: Any = None) -> None:
        self.device = device
        self.loop = asyncio.new_event_loop()
        self._executor = ThreadPoolExecutor(thread_name_prefix=f"{name}-worker", initializer=bind_device,
                                            initargs=(device,))
        self.loop.set_default_executor(self._executor)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        bind_device(self.device)
        self.loop.run_forever()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run ``coroutine`` on the private loop and wait for its result (its exception is re-raised)."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self._executor.shutdown(wait=False)


@dataclass(frozen=True)
class EpisodeSettings:
    """How each dialogue is run and scored (the same meaning as in ``rlver train``)."""

    preset: str | Preset = "rlver"
    """Simulator preset: ``rlver`` (training), ``rlver-hard``, ``sage``, or a :class:`Preset` object."""
    max_turns: int | None = None
    """Policy replies per dialogue; ``None`` = the preset's limit."""
    think: bool = False
    """Think-then-say: ``<think>…</think>`` before the reply; a broken format ends the dialogue."""
    system_prompt: str | None = None
    """Policy system prompt; ``None`` = the default for the profile's language; ``""`` = none."""
    reward: str = "emotion"
    """Reward function name (``emotion``: final emotion / 100). Engines get the episode's total."""
    format_violation_reward: float = 0.0
    """Reward of a think-mode format violation (the paper: 0)."""
    seed: int = 0
    """Base of the simulator seeds (a dialogue's seed depends on this, the profile and the step)."""

    def __post_init__(self) -> None:
        if isinstance(self.preset, str):
            get_preset(self.preset)
        get_reward(self.reward)
        if self.max_turns is not None and self.max_turns < 1:
            raise ConfigError(f"max_turns must be >= 1, got {self.max_turns}")

    @property
    def resolved_preset(self) -> Preset:
        base = get_preset(self.preset) if isinstance(self.preset, str) else self.preset
        return replace(base, max_policy_turns=self.max_turns) if self.max_turns else base

    def rollout_config(self) -> RolloutConfig:
        return RolloutConfig(preset=self.resolved_preset, think=self.think, system_prompt=self.system_prompt,
                             max_concurrent=1)


def dialogue_seed(base: int, profile_id: str, step: int | str = 0) -> int:
    """Simulator seed shared by every rollout of one profile in one step (a GRPO group)."""
    return derive_seed31(base, "simulator", step, profile_id)


@dataclass(frozen=True)
class RolloutSample:
    """One dialogue as an engine's training sample."""

    prompt_ids: list[int]
    """The first prompt: system prompt, the person's opening, the generation prompt."""
    response_ids: list[int]
    """Everything after it up to the last sampled token: replies, user turns, template tokens."""
    response_mask: list[int]
    """1 on tokens the policy sampled (think blocks and end-of-turn ids included), 0 elsewhere."""
    response_logprobs: list[float]
    """Sampling log-prob of each masked token (0.0 elsewhere)."""
    reward: float | None
    """The episode's total reward; ``None`` when it cannot be scored (the dialogue failed)."""
    episode: Episode


def episode_to_sample(episode: Episode, settings: EpisodeSettings) -> RolloutSample:
    """Cut ``episode.trace`` after its first prompt and drop trailing unsampled tokens.

    The trailing eos appended (mask 0) to a reply cut by its budget is dropped: engines put the
    outcome reward on the last response token, which must be one the policy sampled.
    """
    trace = episode.trace
    if trace is None:
        raise ConfigError(f"episode {episode.id} has no token trace; the policy must be token-exact")
    first = next((i for i, m in enumerate(trace.mask) if m == 1), len(trace.ids))
    last = max((i for i, m in enumerate(trace.mask) if m == 1), default=first - 1) + 1
    reward: float | None
    try:
        turn_rewards = get_reward(settings.reward)(episode, format_violation_reward=settings.format_violation_reward)
        reward = float(sum(turn_rewards))
    except UnscorableEpisode:
        reward = None
    return RolloutSample(
        prompt_ids=list(trace.ids[:first]),
        response_ids=list(trace.ids[first:last]),
        response_mask=list(trace.mask[first:last]),
        response_logprobs=list(trace.logprobs[first:last]),
        reward=reward,
        episode=episode,
    )


async def run_one_dialogue(job: DialogueJob, policy, simulator: UserSimulator, settings: EpisodeSettings) -> Episode:
    """One dialogue through :func:`run_dialogues` (alone, so a budget error ends only this one)."""
    (episode,) = await run_dialogues([job], policy, simulator, settings.rollout_config())
    return episode
