"""TRL adapter: a ``rollout_func`` for ``trl.GRPOTrainer`` that runs rlver dialogues (``rlver[trl]``).

TRL 1.16 calls ``rollout_func(prompts, trainer)`` with this process's slice of the batch, each
prompt already repeated ``num_generations`` times (its ``RepeatSampler`` does that), and expects one
rollout per prompt received. The dataset's ``prompt`` column holds profile ids
(:func:`trl_dataset_rows`); each prompt becomes one dialogue run by
:func:`rlver.rollout.run_dialogues` with a :class:`TokenPolicy` over the trainer's own model, and
comes back as

* ``prompt_ids`` (system + opening + generation prompt) and ``completion_ids`` (everything after,
  up to the last policy token), with ``logprobs`` per completion token;
* ``env_mask``: 1 on policy-sampled tokens, 0 on user turns and template tokens (TRL multiplies its
  loss mask by it, so those tokens are attended to but never trained);
* ``emotion_reward``: the episode's reward, read by :func:`emotion_reward_func`; ``None`` for a failed
  dialogue, which TRL >= 1.16 treats as unscorable (no advantage, excluded from the group mean).

Generation: the trainer's model through :class:`HFTokenGenerator` (CPU or one GPU per process), or
vLLM in TRL's colocate mode (``use_vllm=True, vllm_mode="colocate"``) through
:class:`VLLMTokenGenerator`; TRL syncs the vLLM weights before each rollout. Sampling runs in worker
threads bound to the process's CUDA device, seeded per step *and* process (a GRPO group split across
ranks gets distinct rollouts), and stops on the checkpoint's end-of-turn ids
(:func:`rlver.models.eos.end_of_turn_ids`). With ``vllm_enable_sleep_mode`` the engine is woken
(weights re-pushed if discarded, KV cache) for the rollout and put back to sleep after it, as TRL's
own generation does. Refused with a :class:`ConfigError`: TRL's vLLM server mode (it generates
collectively across processes) and ``vllm_tensor_parallel_size > 1`` (every rank of a
tensor-parallel group must submit the same prompts in lockstep, while each rank's dialogues ask for
their own turns at their own pace).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rlver.errors import ConfigError
from rlver.integrations.dialogue import (
    BackgroundLoop,
    EpisodeSettings,
    SimulatorSpec,
    dialogue_seed,
    episode_to_sample,
    run_one_dialogue,
    shared_simulator,
)
from rlver.integrations.generators import HFTokenGenerator
from rlver.integrations.token_policy import TokenGenerator, TokenPolicy, TokenPolicySettings
from rlver.models.eos import end_of_turn_ids
from rlver.policy.hf import GenerationSettings, HFPolicy
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob
from rlver.rollout.types import Episode
from rlver.simulator.base import UserSimulator
from rlver.utils.seeding import derive_seed31

__all__ = [
    "REWARD_FIELD",
    "RlverRolloutFunc",
    "check_vllm_settings",
    "default_generator",
    "emotion_reward_func",
    "trl_dataset_rows",
    "vllm_awake",
]

REWARD_FIELD = "emotion_reward"
"""Extra rollout field holding each dialogue's reward (TRL passes it to reward functions by name)."""

GeneratorFactory = Callable[[Any, int], tuple[TokenGenerator, Sequence[int]]]
"""``factory(trainer, step) -> (generator, end_of_turn_ids)``: override how a rollout samples."""


def trl_dataset_rows(profiles: Sequence[Profile]) -> list[dict[str, str]]:
    """Rows for ``datasets.Dataset.from_list``: ``prompt`` is the profile id (the dialogue's key)."""
    return [{"prompt": p.id, "profile_id": p.id} for p in profiles]


def emotion_reward_func(completions: list[Any], **kwargs: Any) -> list[float | None]:
    """TRL reward function: the reward each dialogue earned (final emotion / 100), ``None`` if it failed."""
    rewards = kwargs.get(REWARD_FIELD)
    if rewards is None:
        raise ConfigError(f"no '{REWARD_FIELD}' field: use emotion_reward_func with RlverRolloutFunc")
    if len(rewards) != len(completions):
        raise ConfigError(f"{len(rewards)} rewards for {len(completions)} completions")
    return [None if r is None else float(r) for r in rewards]


emotion_reward_func.__name__ = "rlver_emotion"


class RlverRolloutFunc:
    """``GRPOTrainer(rollout_func=RlverRolloutFunc(profiles, simulator), reward_funcs=[emotion_reward_func])``."""

    def __init__(
        self,
        profiles: Sequence[Profile],
        simulator: UserSimulator | SimulatorSpec | None = None,
        settings: EpisodeSettings | None = None,
        *,
        max_new_tokens: int = 256,
        generator_factory: GeneratorFactory | None = None,
    ) -> None:
        if not profiles:
            raise ConfigError("no profiles to roll out")
        self.profiles = {p.id: p for p in profiles}
        self.simulator = simulator if simulator is not None else SimulatorSpec.from_env()
        self.settings = settings or EpisodeSettings()
        self.max_new_tokens = max_new_tokens
        self.generator_factory = generator_factory or default_generator
        self.last_episodes: list[Episode] = []
        """The dialogues of the latest call (for logging and inspection)."""
        self._loop: BackgroundLoop | None = None

    def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
        step = int(trainer.state.global_step)
        process = int(getattr(trainer.accelerator, "process_index", 0))
        generator, stop_ids = self.generator_factory(trainer, step)
        tokenizer = getattr(trainer.processing_class, "tokenizer", trainer.processing_class)
        limits = TokenPolicySettings(max_new_tokens=self.max_new_tokens,
                                     max_response_tokens=int(trainer.args.max_completion_length))
        policy = TokenPolicy(generator, tokenizer, limits, name="trl", end_of_turn_ids=stop_ids)
        group = max(1, int(getattr(trainer, "num_generations", 1)))
        jobs = [
            DialogueJob(profile=(profile := self._profile(prompt)),
                        seed=dialogue_seed(self.settings.seed, profile.id, step), group=i // group,
                        id=f"s{step}-p{process}-{i}-{profile.id}")
            for i, prompt in enumerate(prompts)
        ]
        if self._loop is None:
            self._loop = BackgroundLoop(device=getattr(trainer.accelerator, "device", None))
        with vllm_awake(trainer):
            episodes = self._loop.run(self._run(jobs, policy))
        self.last_episodes = episodes
        return self._collate(episodes, eos_id=policy.eos_id)

    def _profile(self, prompt: Any) -> Profile:
        key = prompt if isinstance(prompt, str) else None
        if key not in self.profiles:
            raise ConfigError(f"prompt {str(prompt)[:80]!r} is not a profile id; build the dataset with trl_dataset_rows")
        return self.profiles[key]

    async def _run(self, jobs: list[DialogueJob], policy: TokenPolicy) -> list[Episode]:
        simulator = shared_simulator(self.simulator) if isinstance(self.simulator, SimulatorSpec) else self.simulator
        return list(await asyncio.gather(*(run_one_dialogue(j, policy, simulator, self.settings) for j in jobs)))

    def _collate(self, episodes: list[Episode], *, eos_id: int) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [],
                                     REWARD_FIELD: [], "rlver_final_emotion": []}
        for episode in episodes:
            sample = episode_to_sample(episode, self.settings)
            ids, mask, logprobs = sample.response_ids, sample.response_mask, sample.response_logprobs
            if not ids:  # a dialogue that failed before sampling: one untrained token, no reward
                ids, mask, logprobs = [eos_id], [0], [0.0]
            out["prompt_ids"].append(sample.prompt_ids)
            out["completion_ids"].append(ids)
            out["logprobs"].append(logprobs)
            out["env_mask"].append(mask)
            out[REWARD_FIELD].append(sample.reward)
            out["rlver_final_emotion"].append(episode.final_emotion)
        return out


def check_vllm_settings(trainer: Any) -> None:
    """Refuse the TRL vLLM settings that per-dialogue, turn-by-turn sampling cannot serve."""
    if not getattr(trainer, "use_vllm", False):
        return
    args = trainer.args
    if getattr(args, "vllm_mode", "colocate") != "colocate":
        raise ConfigError("RlverRolloutFunc samples turn by turn per dialogue; use vllm_mode='colocate' "
                          "(TRL's server mode generates collectively across processes)")
    tensor_parallel = int(getattr(args, "vllm_tensor_parallel_size", 1) or 1)
    if tensor_parallel > 1:
        raise ConfigError(
            f"RlverRolloutFunc cannot use vllm_tensor_parallel_size={tensor_parallel}: the ranks of a tensor-parallel "
            "vLLM group must submit the same prompts in lockstep, while each rank's dialogues request their own "
            "turns at their own pace. Use vllm_tensor_parallel_size=1 (one engine per GPU), or verl for models that "
            "need tensor parallelism (docs/scaling.md)"
        )


@contextmanager
def vllm_awake(trainer: Any) -> Iterator[None]:
    """Keep TRL's colocated vLLM engine awake for one rollout when ``vllm_enable_sleep_mode`` is on.

    TRL (1.16) puts the engine to sleep at level 2 (weights and KV cache freed) and, before calling a
    ``rollout_func``, only wakes and re-pushes the *weights*. This does what its own ``generate``
    does around sampling: re-push the weights if they were discarded since, wake the KV cache, and
    put the whole engine back to sleep afterwards so that training gets the memory back.
    """
    generation = getattr(trainer, "vllm_generation", None)
    if not (getattr(trainer, "use_vllm", False) and getattr(trainer.args, "vllm_enable_sleep_mode", False)):
        yield
        return
    if generation is None or not hasattr(generation, "_llm_weights_sleeping"):
        raise ConfigError("vllm_enable_sleep_mode: this TRL version's vLLM wrapper is not the one RlverRolloutFunc "
                          "knows (TRL 1.16); turn sleep mode off")
    if generation._llm_weights_sleeping:
        generation.sync_weights()  # wakes the weights and loads the current ones
    generation.llm.wake_up(tags=["kv_cache"])
    try:
        yield
    finally:
        generation.llm.sleep(level=2)
        generation._llm_weights_sleeping = True


def default_generator(trainer: Any, step: int) -> tuple[TokenGenerator, Sequence[int]]:
    """The trainer's model (transformers), or vLLM when TRL runs it colocated.

    Seeds depend on the step and the process: TRL may split one GRPO group's rollouts across ranks,
    and equal seeds would make those rollouts identical.
    """
    check_vllm_settings(trainer)
    args = trainer.args
    model = trainer.accelerator.unwrap_model(trainer.model)
    tokenizer = getattr(trainer.processing_class, "tokenizer", trainer.processing_class)
    process = int(getattr(trainer.accelerator, "process_index", 0))
    seed = derive_seed31(args.seed, "policy", step, process)
    if getattr(trainer, "use_vllm", False):
        from rlver.integrations.vllm_policy import VLLMTokenGenerator

        generator = VLLMTokenGenerator(trainer.vllm_generation.llm, temperature=args.temperature,
                                       top_p=args.top_p, seed=seed, device=getattr(trainer.accelerator, "device", None))
        return generator, end_of_turn_ids(tokenizer, getattr(model, "generation_config", None))
    settings = GenerationSettings(
        temperature=float(args.temperature), top_p=float(args.top_p or 1.0),
        max_new_tokens=int(args.max_completion_length), seed=seed,
        batch_size=max(1, int(getattr(args, "per_device_train_batch_size", 8)) * 8),
    )
    policy = HFPolicy(model, tokenizer, settings, name="trl")
    return HFTokenGenerator(policy), sorted(policy.end_of_turn_ids)
