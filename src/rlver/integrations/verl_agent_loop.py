"""verl adapter: an agent loop that runs one rlver dialogue per sample (``rlver[verl]``, verl 0.9.1).

verl's ``AgentLoopWorker`` builds one agent-loop object per dataset row and awaits its ``run``. Ours
drives :func:`rlver.rollout.run_dialogues` with a :class:`TokenPolicy` whose generator is verl's
``server_manager.generate`` (vLLM/SGLang servers with weight sync done by verl), against the
configured Sentient Agent, and returns:

* ``prompt_ids``: system prompt + the person's opening + generation prompt;
* ``response_ids``: every later token up to the last policy token (replies, user turns, template);
* ``response_mask``: 1 only on tokens the policy sampled (think blocks and end-of-turn ids included);
* ``response_logprobs``: the server's sampling log-probs (when ``calculate_log_probs``);
* ``reward_score``: the episode's reward (final emotion / 100), which verl places on the last token.

Select it with ``actor_rollout_ref.rollout.agent.agent_loop_config_path`` (written by
``rlver export verl``) and the dataset column ``agent_name: rlver_sentient``. Settings come from the
agent-loop YAML entry (hydra passes its keys to ``__init__``); the simulator endpoint may also come
from ``RLVER_SIMULATOR*`` environment variables on the workers (see :class:`SimulatorSpec`).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import replace
from typing import Any
from uuid import uuid4

from verl.experimental.agent_loop import agent_loop as _verl_agent_loop
from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput, register

from rlver.errors import ConfigError, RlverError
from rlver.integrations.dialogue import (
    EpisodeSettings,
    SimulatorSpec,
    dialogue_seed,
    episode_to_sample,
    run_one_dialogue,
    shared_simulator,
)
from rlver.integrations.token_policy import TokenCompletion, TokenPolicy, TokenPolicySettings, TokenSampling
from rlver.profiles.schema import Profile
from rlver.rollout.loop import DialogueJob

__all__ = ["AGENT_NAME", "RlverSentientAgentLoop", "VerlServerGenerator", "profile_from_row"]

AGENT_NAME = "rlver_sentient"
ON_ERROR = ("raise", "mask")


class VerlServerGenerator:
    """The token seam over verl's ``server_manager.generate`` (one sticky request id per dialogue)."""

    def __init__(self, server_manager: Any, sampling_params: dict[str, Any], request_id: str) -> None:
        self.server_manager = server_manager
        self.sampling_params = dict(sampling_params)
        self.request_id = request_id

    async def __call__(self, prompt_ids: list[int], sampling: TokenSampling) -> TokenCompletion:
        params = {**self.sampling_params, "max_tokens": sampling.max_new_tokens}
        output = await self.server_manager.generate(
            request_id=self.request_id, prompt_ids=list(prompt_ids), sampling_params=params
        )
        logprobs = list(output.log_probs) if output.log_probs else None
        return TokenCompletion(list(output.token_ids), logprobs)


def profile_from_row(row: dict[str, Any]) -> Profile:
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

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        start = time.perf_counter()
        profile = profile_from_row(kwargs)
        settings = self.episode_settings
        system = _system_prompt(kwargs.get("raw_prompt"))
        if system is not None:
            settings = replace(settings, system_prompt=system)
        request_id = uuid4().hex
        generator = VerlServerGenerator(self.server_manager, sampling_params, request_id)
        policy = TokenPolicy(generator, self.tokenizer, self.token_settings, name="verl")
        job = DialogueJob(profile=profile, seed=dialogue_seed(settings.seed, profile.id), id=f"{profile.id}-{request_id[:8]}")
        episode = await run_one_dialogue(job, policy, shared_simulator(self.simulator_spec), settings)
        sample = episode_to_sample(episode, settings)

        failed = sample.reward is None
        if failed and self.on_error == "raise":
            raise RlverError(f"rlver dialogue {episode.id} could not be scored: {episode.error or episode.end_reason}")
        mask = [0] * len(sample.response_mask) if failed else sample.response_mask
        want_logprobs = bool(sampling_params.get("logprobs"))
        final = episode.final_emotion
        total = time.perf_counter() - start
        return AgentLoopOutput(
            prompt_ids=sample.prompt_ids,
            response_ids=sample.response_ids,
            response_mask=mask,
            response_logprobs=sample.response_logprobs if want_logprobs else None,
            # A failed dialogue (on_error=mask) trains no token; its 0.0 only fills the slot.
            reward_score=0.0 if failed else sample.reward,
            num_turns=len(episode.turns),
            metrics=AgentLoopMetrics(generate_sequences=policy.stats.seconds,
                                     tool_calls=max(0.0, total - policy.stats.seconds)),
            extra_fields={
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
