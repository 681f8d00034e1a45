"""Reinforcement learning on dialogues: PPO and GRPO over the policy's own tokens.

    from rlver.rl import Trainer, load_config
    Trainer(load_config("configs/tiny-grpo.yaml"), model, tokenizer, simulator, profiles).train()

The math lives in :mod:`rlver.rl.advantages` and :mod:`rlver.rl.losses` (pure functions), the two
algorithms in :mod:`rlver.rl.ppo` and :mod:`rlver.rl.grpo`, the loop in :mod:`rlver.rl.trainer`.
"""

from rlver.utils.lazy import lazy_exports


__all__ = [
    # the loop
    "Trainer",
    "TrainerCallback",
    # configuration
    "TrainConfig",
    "RolloutSettings",
    "OptimSettings",
    "LossSettings",
    "PPOSettings",
    "GRPOSettings",
    "RewardSettings",
    "LoRASettings",
    "CheckpointSettings",
    "LoggingSettings",
    "load_config",
    "config_from_mapping",
    "apply_overrides",
    "dump_config",
    # algorithms
    "Algorithm",
    "UpdateBatch",
    "PPO",
    "GRPO",
    "Critic",
    "ValueHeadCritic",
    "SeparateCritic",
    "build_critic",
    # math
    "gae",
    "group_advantages",
    "turn_group_advantages",
    "masked_mean",
    "masked_whiten",
    "clipped_surrogate",
    "clipped_value_loss",
    "kl_penalty",
    "entropy_from_logits",
    # data and outputs
    "RolloutBatch",
    "CollateStats",
    "collate",
    "CheckpointManager",
    "MetricsLogger",
    "METRIC_KEYS",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.rl.advantages": [
            "gae",
            "group_advantages",
            "masked_mean",
            "masked_whiten",
            "turn_group_advantages",
        ],
        "rlver.rl.algorithm": ["Algorithm", "UpdateBatch"],
        "rlver.rl.batch": ["CollateStats", "RolloutBatch", "collate"],
        "rlver.rl.checkpoint": ["CheckpointManager"],
        "rlver.rl.config": [
            "CheckpointSettings",
            "GRPOSettings",
            "LoggingSettings",
            "LoRASettings",
            "LossSettings",
            "OptimSettings",
            "PPOSettings",
            "RewardSettings",
            "RolloutSettings",
            "TrainConfig",
        ],
        "rlver.rl.config_io": ["apply_overrides", "config_from_mapping", "dump_config", "load_config"],
        "rlver.rl.grpo": ["GRPO"],
        "rlver.rl.losses": ["clipped_surrogate", "clipped_value_loss", "entropy_from_logits", "kl_penalty"],
        "rlver.rl.metrics": ["METRIC_KEYS", "MetricsLogger"],
        "rlver.rl.ppo": ["PPO"],
        "rlver.rl.trainer": ["Trainer", "TrainerCallback"],
        "rlver.rl.value": ["Critic", "SeparateCritic", "ValueHeadCritic", "build_critic"],
    },
)
