"""Reinforcement learning on dialogues: PPO and GRPO over the policy's own tokens.

    from rlver.rl import Trainer, load_config
    Trainer(load_config("configs/grpo.yaml"), model, tokenizer, simulator, profiles).train()

The math lives in :mod:`rlver.rl.advantages` and :mod:`rlver.rl.losses` (pure functions), the two
algorithms in :mod:`rlver.rl.ppo` and :mod:`rlver.rl.grpo`, the loop in :mod:`rlver.rl.trainer`.
"""

from rlver.rl.advantages import gae, group_advantages, masked_mean, masked_whiten, turn_group_advantages
from rlver.rl.algorithm import Algorithm, UpdateBatch
from rlver.rl.batch import CollateStats, RolloutBatch, collate
from rlver.rl.checkpoint import CheckpointManager
from rlver.rl.config import (
    CheckpointSettings,
    GRPOSettings,
    LoggingSettings,
    LoRASettings,
    LossSettings,
    OptimSettings,
    PPOSettings,
    RewardSettings,
    RolloutSettings,
    TrainConfig,
)
from rlver.rl.config_io import apply_overrides, config_from_mapping, dump_config, load_config
from rlver.rl.grpo import GRPO
from rlver.rl.losses import clipped_surrogate, clipped_value_loss, entropy_from_logits, kl_penalty
from rlver.rl.metrics import METRIC_KEYS, MetricsLogger
from rlver.rl.ppo import PPO
from rlver.rl.trainer import Trainer, TrainerCallback
from rlver.rl.value import Critic, SeparateCritic, ValueHeadCritic, build_critic

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
