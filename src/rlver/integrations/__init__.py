"""Scale-out adapters: other engines drive rlver dialogues, or rlver trains on many devices.

* :mod:`~rlver.integrations.token_policy`: the token-level seam (``TokenPolicy`` over any async
  ``(prompt_ids, sampling) -> (ids, logprobs)`` generator), token-exact like ``HFPolicy``.
* :mod:`~rlver.integrations.verl_agent_loop`: verl 0.9 agent loop ``rlver_sentient`` (needs ``rlver[verl]``).
* :mod:`~rlver.integrations.verl_export`: dataset + example configs for verl (``rlver export verl``).
* :mod:`~rlver.integrations.trl_rollout`: ``rollout_func`` for TRL's ``GRPOTrainer`` (needs ``rlver[trl]``).
* :mod:`~rlver.integrations.distributed`: data-parallel native training under ``accelerate launch``.
* :mod:`~rlver.integrations.vllm_policy`: vLLM sampling + weight sync for the native trainer (``rlver[vllm]``).

Only the engine-free names are imported here; the engine modules import their engine when loaded.
"""

from rlver.utils.lazy import lazy_exports


__all__ = [
    "BatchingGenerator",
    "EpisodeSettings",
    "HFTokenGenerator",
    "RolloutSample",
    "SimulatorSpec",
    "TokenCompletion",
    "TokenGenerator",
    "TokenPolicy",
    "TokenPolicySettings",
    "TokenSampling",
    "episode_to_sample",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.integrations.dialogue": [
            "EpisodeSettings",
            "RolloutSample",
            "SimulatorSpec",
            "episode_to_sample",
        ],
        "rlver.integrations.generators": ["BatchingGenerator", "HFTokenGenerator"],
        "rlver.integrations.token_policy": [
            "TokenCompletion",
            "TokenGenerator",
            "TokenPolicy",
            "TokenPolicySettings",
            "TokenSampling",
        ],
    },
)
