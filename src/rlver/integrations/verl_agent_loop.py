"""verl adapter: an agent loop that runs one rlver dialogue per sample (``rlver[verl]``, verl 0.9.1).

verl builds one agent-loop object per dataset row and awaits its ``run``: in the default V1 trainer
(``trainer.use_v1: true``) from ``AgentLoopWorkerTQ``, which puts every finished sample into
TransferQueue; in the legacy trainer from ``AgentLoopWorker``. Ours drives
:func:`rlver.rollout.run_dialogues` with a :class:`TokenPolicy` whose generator is verl's
``server_manager.generate`` (vLLM/SGLang servers with weight sync done by verl), against the
configured Sentient Agent, and returns:

* ``prompt_ids``: system prompt + the person's opening + generation prompt;
* ``response_ids``: every later token up to the last policy token (replies, user turns, template);
* ``response_mask``: 1 only on tokens the policy sampled (think blocks and end-of-turn ids included);
* ``response_logprobs``: the server's sampling log-probs (when ``calculate_log_probs``);
* ``reward_score``: the episode's reward (final emotion / 100), which verl places on the last token;
* ``extra_fields``: the servers' weight versions over the dialogue's turns (``min_global_steps`` /
  ``max_global_steps``, which V1 turns into integer staleness metrics), rlver's outcome
  (``reward_extra_info``) and the episode.

Select it with ``actor_rollout_ref.rollout.agent.agent_loop_config_path`` (written by
``rlver export verl``) and the dataset column ``agent_name: rlver_sentient``. Settings come from the
agent-loop YAML entry (hydra passes its keys to ``__init__``); the simulator endpoint may also come
from ``RLVER_SIMULATOR*`` environment variables on the workers (see :class:`SimulatorSpec`).
"""

from __future__ import annotations

import functools
import json
import math
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop import agent_loop as _verl_agent_loop
from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput, register

from rlver.errors import ConfigError, PolicyError, RlverError
from rlver.integrations.dialogue import (
    EpisodeSettings,
    SimulatorSpec,
    dialogue_seed,
    episode_to_sample,
    run_one_dialogue,
    shared_simulator,
)
from rlver.integrations.token_policy import TokenCompletion, TokenPolicy, TokenPolicySettings, TokenSampling
from rlver.models.eos import end_of_turn_ids
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob

__all__ = ["AGENT_NAME", "RlverSentientAgentLoop", "VerlServerGenerator", "model_end_of_turn_ids", "profile_from_row"]

AGENT_NAME = "rlver_sentient"
ON_ERROR = ("raise", "mask")
SUMMED_EXTRA_KEYS = ("spec_num_draft_tokens", "spec_num_accepted_tokens", "spec_num_verify_steps")
"""Per-request counters a server reports per turn; a dialogue's value is their sum (as in verl's tool loop)."""


class VerlServerGenerator:
    """The token seam over verl's ``server_manager.generate`` (one sticky request id per dialogue).

    Besides the tokens it keeps what the servers report about each turn, folded over the dialogue:
    the weight versions (``min_global_steps`` / ``max_global_steps`` / ``global_steps``),
    ``num_preempted`` and the speculative-decoding counters.
    """

    def __init__(self, server_manager: Any, sampling_params: dict[str, Any], request_id: str) -> None:
        self.server_manager = server_manager
        self.sampling_params = dict(sampling_params)
        self.request_id = request_id
        self.extra_fields: dict[str, Any] = {}
        """The servers' ``TokenOutput.extra_fields``, folded over the turns so far."""
        self.num_preempted: int | None = None
        """Preemptions over all turns; ``None`` while no server reported any count."""
        self.turns = 0
        """Generations answered so far."""

    async def __call__(self, prompt_ids: list[int], sampling: TokenSampling) -> TokenCompletion:
        # The engine must stop where the trace builder ends a turn: every end-of-turn id, not only
        # the tokenizer's eos (vLLM adds the checkpoint's own ids, but SGLang and overrides may not).
        stop_ids = sorted({*(self.sampling_params.get("stop_token_ids") or ()), *sampling.stop_token_ids})
        params = {**self.sampling_params, "max_tokens": sampling.max_new_tokens, "stop_token_ids": stop_ids}
        output = await self.server_manager.generate(
            request_id=self.request_id, prompt_ids=list(prompt_ids), sampling_params=params
        )
        if getattr(output, "stop_reason", None) in ("aborted", "abort"):
            # The server dropped the request (weights being swapped); its partial reply is not a turn.
            raise PolicyError(f"dialogue {self.request_id}: the verl server aborted the generation")
        self._record(output)
        logprobs = list(output.log_probs) if output.log_probs else None
        return TokenCompletion(list(output.token_ids), logprobs)

    def _record(self, output: Any) -> None:
        """Fold one turn's server bookkeeping into the dialogue's."""
        extra = dict(getattr(output, "extra_fields", None) or {})
        preempted = getattr(output, "num_preempted", None)
        if preempted is not None:
            self.num_preempted = (self.num_preempted or 0) + int(preempted)
        folded = self.extra_fields
        self.turns += 1
        if self.turns == 1:  # keep everything the first turn reported (as verl's tool agent loop does)
            folded.update(extra)
        else:
            for key in SUMMED_EXTRA_KEYS:
                if key in extra and key in folded:
                    folded[key] = int(folded[key]) + int(extra[key])
        # A dialogue spans the weight versions of all its turns (V1 measures staleness with them).
        for key, pick in (("min_global_steps", min), ("max_global_steps", max)):
            values = [v for v in (folded.get(key), extra.get(key, extra.get("global_steps"))) if v is not None]
            if values:
                folded[key] = pick(int(v) for v in values)
        if extra.get("global_steps") is not None:
            folded["global_steps"] = int(extra["global_steps"])


def profile_from_row(row: Mapping[str, Any]) -> Profile:
    """The profile of a dataset row written by ``rlver export verl`` (column ``rlver_profile``, JSON)."""
    raw = row.get("rlver_profile")
    if raw is None:
        raise ConfigError("dataset row has no 'rlver_profile' column; write the dataset with `rlver export verl`")
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return Profile.model_validate(data)


def _system_prompt(raw_prompt: Any) -> str | None:
    """The system message of the row's ``prompt`` column, if it has one (it overrides the default)."""
    for message in list(raw_prompt) if raw_prompt is not None else []:
        if isinstance(message, dict) and message.get("role") == "system":
            return str(message.get("content", ""))
    return None


@functools.lru_cache(maxsize=8)
def _generation_config(path: str, trust_remote_code: bool, use_shm: bool) -> Any:
    from verl.utils.fs import copy_to_local
    from verl.utils.model import get_generation_config

    # The very lookup verl's HFModelConfig makes for the workers (local copy, then the file or the
    # model config's defaults), once per process rather than once per dialogue.
    return get_generation_config(copy_to_local(path, use_shm=use_shm), trust_remote_code=trust_remote_code)


def model_end_of_turn_ids(tokenizer: Any, model_config: Mapping[str, Any] | None) -> tuple[int, ...]:
    """End-of-turn ids of verl's policy model (``actor_rollout_ref.model``): eos + its generation config's."""
    path = (model_config or {}).get("hf_config_path") or (model_config or {}).get("path")
    if not path:
        return end_of_turn_ids(tokenizer)
    config = _generation_config(str(path), bool(model_config.get("trust_remote_code", False)),
                                bool(model_config.get("use_shm", False)))
    return end_of_turn_ids(tokenizer, config)


def _issued_step(kwargs: Mapping[str, Any]) -> int | None:
    """The training step verl issued this sample at: V1 passes ``global_steps`` to ``run``; V0 does not."""
    value = kwargs.get("global_steps")
    if value is None:
        return None
    return int(value.item() if hasattr(value, "item") else value)


def _is_validation_row(kwargs: Mapping[str, Any]) -> bool:
    extra_info = kwargs.get("extra_info")
    return isinstance(extra_info, Mapping) and extra_info.get("split") == "val"


class RlverSentientAgentLoop(AgentLoopBase):
    """One rlver dialogue per verl sample; reward = the Sentient Agent's final emotion / 100."""

    def __init__(
        self,
        *args: Any,
        simulator: str | None = None,
        simulator_base_url: str | None = None,
        simulator_api_key_env: str | None = None,
        simulator_max_concurrency: int | None = None,
        simulator_timeout: float | None = None,
        simulator_cache_dir: str | None = None,
        preset: str = "rlver",
        max_turns: int | None = None,
        think: bool = False,
        reward: str = "emotion",
        format_violation_reward: float = 0.0,
        max_new_tokens: int = 512,
        seed: int = 0,
        on_error: str = "raise",
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if on_error not in ON_ERROR:
            raise ConfigError(f"on_error must be one of {', '.join(ON_ERROR)}, got {on_error!r}")
        self.simulator_spec = SimulatorSpec.from_env(
            spec=simulator, base_url=simulator_base_url, api_key_env=simulator_api_key_env,
            max_concurrency=simulator_max_concurrency, timeout=simulator_timeout, cache_dir=simulator_cache_dir,
        )
        self.episode_settings = EpisodeSettings(preset=preset, max_turns=max_turns, think=bool(think), reward=reward,
                                                format_violation_reward=float(format_violation_reward), seed=int(seed))
        self.token_settings = TokenPolicySettings(
            max_new_tokens=int(max_new_tokens),
            max_prompt_tokens=int(self.rollout_config.prompt_length),
            max_response_tokens=int(self.rollout_config.response_length),
        )
        self.on_error = on_error
        self.end_of_turn_ids = model_end_of_turn_ids(self.tokenizer, self.config.get("actor_rollout_ref", {}).get("model"))
        """Where replies end: the tokenizer's eos and the policy checkpoint's generation-config ids."""

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        start = time.perf_counter()
        profile = profile_from_row(kwargs)
        settings = self.episode_settings
        system = _system_prompt(kwargs.get("raw_prompt"))
        if system is not None:
            settings = replace(settings, system_prompt=system)
        request_id = uuid4().hex
        generator = VerlServerGenerator(self.server_manager, sampling_params, request_id)
        policy = TokenPolicy(generator, self.tokenizer, self.token_settings, name="verl",
                             end_of_turn_ids=self.end_of_turn_ids)
        issued = _issued_step(kwargs)
        # Rollouts of one GRPO group share the step, hence the seed; validation keeps step 0 so
        # every validation sees the same simulated users.
        seed_step = 0 if issued is None or _is_validation_row(kwargs) else issued
        job = DialogueJob(profile=profile, seed=dialogue_seed(settings.seed, profile.id, seed_step),
                          id=f"{profile.id}-{request_id[:8]}")
        episode = await run_one_dialogue(job, policy, shared_simulator(self.simulator_spec), settings)
        sample = episode_to_sample(episode, settings)

        failed = sample.reward is None
        if failed and self.on_error == "raise":
            raise RlverError(f"rlver dialogue {episode.id} could not be scored: {episode.error or episode.end_reason}")
        prompt_ids, response_ids = sample.prompt_ids, sample.response_ids
        mask, logprobs = ([0] * len(response_ids) if failed else sample.response_mask), sample.response_logprobs
        if not response_ids:
            # A dialogue that failed before its first policy token: one untrained eos stands in for the
            # response (and for the prompt if none was rendered), since verl puts the reward on the
            # last response token (V1: ``rm_scores[-1]``) and its trainers need a token to attend to.
            eos = policy.eos_id
            prompt_ids = prompt_ids or [eos]
            response_ids, mask, logprobs = [eos], [0], [0.0]
        want_logprobs = bool(sampling_params.get("logprobs"))
        final = episode.final_emotion
        total = time.perf_counter() - start
        extra_fields = dict(generator.extra_fields)
        if issued is not None:
            # V1 makes integers of these for every sample; a server that never reported its weight
            # version (or a dialogue that never reached it) counts as the step it was issued at.
            for key in ("min_global_steps", "max_global_steps"):
                if extra_fields.get(key) is None:
                    extra_fields[key] = issued
        return AgentLoopOutput(
            prompt_ids=prompt_ids,
            response_ids=response_ids,
            response_mask=mask,
            response_logprobs=logprobs if want_logprobs else None,
            # A failed dialogue (on_error=mask) trains no token; its 0.0 only fills the slot.
            reward_score=0.0 if failed else sample.reward,
            num_turns=len(episode.turns),
            metrics=AgentLoopMetrics(generate_sequences=policy.stats.seconds,
                                     tool_calls=max(0.0, total - policy.stats.seconds),
                                     num_preempted=-1 if generator.num_preempted is None else generator.num_preempted),
            extra_fields={
                **extra_fields,
                "turn_scores": [],
                "tool_rewards": [],
                "reward_extra_info": {
                    "rlver_emotion": float(final) if final is not None else math.nan,
                    "rlver_policy_turns": episode.policy_turns,
                    "rlver_failed": int(failed),
                },
                "rlver_episode": episode.to_dict(),
            },
        )


# ``@register`` without the settings, unless an agent-loop YAML already registered the name with
# them: hydra imports this module lazily, on the first dialogue, *after* the worker loaded the YAML,
# and an unconditional ``register`` would then replace the YAML's settings with the defaults.
if AGENT_NAME not in _verl_agent_loop._agent_loop_registry:
    register(AGENT_NAME)(RlverSentientAgentLoop)
