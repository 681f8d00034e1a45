"""Training configuration: frozen, nested dataclasses, one docstring per field.

Defaults are the RLVER paper's (Qwen2.5-7B, 32 profiles a step, actor lr 1e-6, critic lr 5e-6, no KL,
entropy 0.001, temperature 1.0, gamma = lambda = 1). Tiny demo models need much larger learning
rates: see ``configs/tiny-*.yaml``; the paper's 7B recipes are ``configs/paper/``. YAML files are
read by :mod:`rlver.rl.config_io`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Literal

from rlver.errors import ConfigError
from rlver.rl.batch import Overlong
from rlver.rl.forward import DEFAULT_CHUNK_SIZE
from rlver.rl.losses import KLKind

__all__ = [
    "Algo",
    "CriticKind",
    "Precision",
    "ConfigValueError",
    "RolloutSettings",
    "OptimSettings",
    "LossSettings",
    "PPOSettings",
    "GRPOSettings",
    "RewardSettings",
    "LoRASettings",
    "CheckpointSettings",
    "LoggingSettings",
    "TrainConfig",
]

Algo = Literal["ppo", "grpo"]
CriticKind = Literal["value_head", "separate"]
Precision = Literal["auto", "fp32", "bf16"]
Credit = Literal["episode", "turn"]
OldLogp = Literal["recompute", "rollout"]


class ConfigValueError(ConfigError):
    """A config value is out of range; ``key`` is its dotted name (e.g. ``optim.actor_lr``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.detail = message


class _Checked:
    _section: ClassVar[str] = ""

    def _require(self, ok: bool, name: str, message: str) -> None:
        if not ok:
            key = f"{self._section}.{name}" if self._section else name
            raise ConfigValueError(key, f"{message}, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class RolloutSettings(_Checked):
    """How dialogues are sampled each step."""

    _section: ClassVar[str] = "rollout"
    profiles_per_step: int = 32
    """Profiles sampled per step (the paper's batch: 32). Each yields ``group_size`` dialogues."""
    group_size: int | None = None
    """Dialogues per profile, all with the same simulator seed. ``None``: 4 for GRPO, 1 for PPO."""
    max_turns: int | None = None
    """Policy replies per dialogue; ``None`` = the preset's limit (``rlver``: 8, ``sage``: 10)."""
    think: bool = False
    """Think-then-say: ``<think>…</think>`` before each reply; a broken format ends the dialogue."""
    temperature: float = 1.0
    """Sampling temperature of the policy; the loss takes log-probs at the same temperature."""
    top_p: float = 1.0
    """Nucleus sampling of the policy (1.0 = off; anything else makes the ratio's support differ)."""
    max_new_tokens: int = 256
    """Upper bound on tokens per policy reply (think block included)."""
    max_length: int = 4096
    """Upper bound on tokens per dialogue in the update (see ``overlong``)."""
    overlong: Overlong = "truncate"
    """Dialogues over ``max_length``: ``truncate`` (train the first tokens, keep the reward) or ``drop``."""
    max_concurrent: int = 64
    """Dialogues live at once, i.e. the policy's generation batch size."""
    system_prompt: str | None = None
    """Policy system prompt; ``None`` = rlver's default for the profile's language; ``""`` = none."""
    max_dropped_fraction: float = 0.5
    """Share of a step's dialogues that may fail (simulator or policy errors; they are dropped, never
    scored 0) before the step counts as degraded. A step with no scorable dialogue stops the run at once."""
    max_dropped_steps: int = 3
    """Consecutive degraded steps after which training stops with exit code 1; the last checkpoint
    before them stays the latest. A run should not spend its budget training on a broken simulator."""

    def __post_init__(self) -> None:
        self._require(self.profiles_per_step >= 1, "profiles_per_step", "must be >= 1")
        self._require(0 <= self.max_dropped_fraction <= 1, "max_dropped_fraction", "must be in [0, 1]")
        self._require(self.max_dropped_steps >= 1, "max_dropped_steps", "must be >= 1")
        self._require(self.group_size is None or self.group_size >= 1, "group_size", "must be >= 1")
        self._require(self.max_turns is None or self.max_turns >= 1, "max_turns", "must be >= 1")
        self._require(self.temperature > 0, "temperature", "must be > 0 (training needs sampling)")
        self._require(0 < self.top_p <= 1, "top_p", "must be in (0, 1]")
        self._require(self.max_new_tokens >= 1, "max_new_tokens", "must be >= 1")
        self._require(self.max_length >= 2, "max_length", "must be >= 2")
        self._require(self.overlong in ("truncate", "drop"), "overlong", "must be 'truncate' or 'drop'")
        self._require(self.max_concurrent >= 1, "max_concurrent", "must be >= 1")


@dataclass(frozen=True)
class OptimSettings(_Checked):
    """Optimisation of the actor (policy) and the critic."""

    _section: ClassVar[str] = "optim"
    actor_lr: float = 1e-6
    """AdamW learning rate of the policy (paper: 1e-6 for a 7B model)."""
    critic_lr: float = 5e-6
    """AdamW learning rate of the critic (paper: 5e-6). PPO only."""
    weight_decay: float = 0.0
    """AdamW decoupled weight decay."""
    warmup_steps: int = 0
    """Linear learning-rate warm-up over this many optimizer steps, constant afterwards."""
    epochs: int = 1
    """Passes over each step's dialogues (PPO epochs)."""
    minibatch_size: int | None = None
    """Dialogues per optimizer step; ``None`` = all of the step's dialogues (one optimizer step per epoch)."""
    grad_accumulation: int = 1
    """Micro-batches per mini-batch (a forward/backward each, one optimizer step): speed for memory."""
    max_grad_norm: float = 1.0
    """Gradient clipping by global norm, separately for actor and critic; 0 = off."""
    precision: Precision = "auto"
    """``bf16`` autocast for forward passes (``auto`` = bf16 on a GPU that supports it, else fp32)."""
    gradient_checkpointing: bool = False
    """Recompute each decoder layer's activations in the backward pass instead of keeping them (Hugging
    Face activation checkpointing, policy and separate critic): activation memory of about one layer
    instead of all of them, for about a third more update compute."""
    logprob_chunk_size: int = DEFAULT_CHUNK_SIZE
    """Policy-token positions projected through the LM head at once when scoring log-probs and entropy:
    the update holds two fp32 (chunk, vocabulary) tensors at most (2 x 512 x 152k = 0.6 GB), whatever
    the batch. The projection is already a large matrix product at 512, so larger chunks gain little."""

    def __post_init__(self) -> None:
        self._require(self.actor_lr > 0, "actor_lr", "must be > 0")
        self._require(self.critic_lr > 0, "critic_lr", "must be > 0")
        self._require(self.weight_decay >= 0, "weight_decay", "must be >= 0")
        self._require(self.warmup_steps >= 0, "warmup_steps", "must be >= 0")
        self._require(self.epochs >= 1, "epochs", "must be >= 1")
        self._require(
            self.minibatch_size is None or self.minibatch_size >= 1, "minibatch_size", "must be >= 1"
        )
        self._require(self.grad_accumulation >= 1, "grad_accumulation", "must be >= 1")
        self._require(self.max_grad_norm >= 0, "max_grad_norm", "must be >= 0")
        self._require(self.precision in ("auto", "fp32", "bf16"), "precision", "must be auto, fp32 or bf16")
        self._require(self.logprob_chunk_size >= 1, "logprob_chunk_size", "must be >= 1")


@dataclass(frozen=True)
class LossSettings(_Checked):
    """Terms of the policy loss shared by PPO and GRPO."""

    _section: ClassVar[str] = "loss"
    clip_eps: float = 0.2
    """Clip range of the probability ratio: [1 - eps, 1 + eps]."""
    entropy_coef: float = 0.001
    """Weight of the entropy bonus (paper: 0.001)."""
    kl_coef: float = 0.0
    """Weight of the KL penalty to the frozen initial policy (paper: 0; > 0 keeps a reference copy)."""
    kl_kind: KLKind = "k3"
    """KL estimator: ``k1`` (log-ratio) or ``k3`` (non-negative, GRPO's)."""
    log_entropy: bool = True
    """Log ``losses/entropy`` even when ``entropy_coef`` is 0 (a detached by-product of the log-prob
    chunks: no memory, little compute). False skips the entropy entirely when its weight is 0."""

    def __post_init__(self) -> None:
        self._require(0 < self.clip_eps < 1, "clip_eps", "must be in (0, 1)")
        self._require(self.entropy_coef >= 0, "entropy_coef", "must be >= 0")
        self._require(self.kl_coef >= 0, "kl_coef", "must be >= 0")
        self._require(self.kl_kind in ("k1", "k3"), "kl_kind", "must be 'k1' or 'k3'")


@dataclass(frozen=True)
class PPOSettings(_Checked):
    """PPO-only settings."""

    _section: ClassVar[str] = "ppo"
    critic: CriticKind = "separate"
    """``separate``: a critic model initialised from the policy (the paper's, verl's); ``value_head``: a
    linear head on the policy's last hidden states (half the memory; the value loss also trains the trunk)."""
    gamma: float = 1.0
    """Discount per policy token (paper: 1)."""
    lam: float = 1.0
    """GAE lambda (paper: 1)."""
    value_clip_eps: float = 0.2
    """Clip range of the value update around the old values."""
    value_coef: float = 0.5
    """Weight of the value loss in the total loss."""
    whiten_advantages: bool = True
    """Normalise advantages to mean 0, std 1 over the batch's policy tokens."""

    def __post_init__(self) -> None:
        self._require(
            self.critic in ("separate", "value_head"), "critic", "must be 'separate' or 'value_head'"
        )
        self._require(0 <= self.gamma <= 1, "gamma", "must be in [0, 1]")
        self._require(0 <= self.lam <= 1, "lam", "must be in [0, 1]")
        self._require(self.value_clip_eps > 0, "value_clip_eps", "must be > 0")
        self._require(self.value_coef >= 0, "value_coef", "must be >= 0")


@dataclass(frozen=True)
class GRPOSettings(_Checked):
    """GRPO-only settings."""

    _section: ClassVar[str] = "grpo"
    normalize_std: bool = True
    """Divide by the group's reward std (GRPO); False = only subtract the group mean (Dr. GRPO)."""
    eps: float = 1e-6
    """Added to the group std before dividing."""
    credit: Credit = "episode"
    """``episode``: every token of a dialogue gets the dialogue's group-relative return (GRPO).
    ``turn``: each policy turn gets its own discounted return-to-go, compared with the same turn of
    the other dialogues in its group (needs a per-turn reward such as ``emotion_delta``)."""
    gamma: float = 1.0
    """Discount between policy turns for ``credit: turn`` (0 = each turn only its own reward)."""
    old_logp: OldLogp = "recompute"
    """``recompute``: old log-probs from a forward pass with the training code path (exact ratio 1
    on the first mini-batch). ``rollout``: the log-probs recorded while sampling, saving that
    forward pass; only when sampler and trainer run the same weights in the same precision (the
    native HF path: ``rollout/logprob_mismatch`` ~1e-6), never with vLLM or bf16 rollouts."""

    def __post_init__(self) -> None:
        self._require(self.eps > 0, "eps", "must be > 0")
        self._require(self.credit in ("episode", "turn"), "credit", "must be 'episode' or 'turn'")
        self._require(0 <= self.gamma <= 1, "gamma", "must be in [0, 1]")
        self._require(self.old_logp in ("recompute", "rollout"), "old_logp", "must be 'recompute' or 'rollout'")


@dataclass(frozen=True)
class RewardSettings(_Checked):
    """Which reward the episodes earn."""

    _section: ClassVar[str] = "reward"
    name: str = "emotion"
    """``emotion`` (final emotion / 100, the paper's) or ``emotion_delta`` (per-turn change / 100)."""
    format_violation_reward: float = 0.0
    """Reward of a think-mode reply that breaks the format (paper: 0)."""

    def __post_init__(self) -> None:
        from rlver.rollout.rewards import REWARDS

        self._require(self.name in REWARDS, "name", f"must be one of {', '.join(REWARDS)}")


@dataclass(frozen=True)
class LoRASettings(_Checked):
    """Low-rank adapters through peft (``pip install rlver[lora]``); the base weights stay frozen."""

    _section: ClassVar[str] = "lora"
    enabled: bool = False
    """Train LoRA adapters instead of every weight of the policy."""
    r: int = 16
    """Adapter rank."""
    alpha: int = 32
    """Adapter scale numerator (scale = alpha / r)."""
    dropout: float = 0.0
    """Dropout on the adapter input (keep 0 for RL: dropout makes the ratio noisy)."""
    target_modules: tuple[str, ...] = (
        "q_proj",
        "k_proj",
        "v_proj",
        "o_proj",
        "gate_proj",
        "up_proj",
        "down_proj",
    )
    """Module names that get adapters (Qwen2/Llama names)."""

    def __post_init__(self) -> None:
        self._require(self.r >= 1, "r", "must be >= 1")
        self._require(self.alpha >= 1, "alpha", "must be >= 1")
        self._require(0 <= self.dropout < 1, "dropout", "must be in [0, 1)")
        self._require(len(self.target_modules) > 0, "target_modules", "must not be empty")


@dataclass(frozen=True)
class CheckpointSettings(_Checked):
    """When checkpoints are written and how many are kept."""

    _section: ClassVar[str] = "checkpoint"
    every: int = 10
    """Write a checkpoint every this many steps (the last step always gets one)."""
    keep_last_k: int = 3
    """Checkpoints kept on disk; older ones are deleted."""

    def __post_init__(self) -> None:
        self._require(self.every >= 1, "every", "must be >= 1")
        self._require(self.keep_last_k >= 1, "keep_last_k", "must be >= 1")


@dataclass(frozen=True)
class LoggingSettings(_Checked):
    """Where metrics and transcripts go (``metrics.jsonl`` gets every step regardless)."""

    _section: ClassVar[str] = "logging"
    log_every: int = 1
    """Print a metrics line and write TensorBoard / W&B every this many steps."""
    tensorboard: bool = True
    """Write TensorBoard event files to ``OUT/tensorboard`` when tensorboard is installed."""
    wandb_project: str | None = None
    """Log to this Weights & Biases project (needs ``wandb`` and its API key in the environment)."""
    progress: bool = True
    """Show a progress bar with the live reward."""
    save_rollouts: bool = True
    """Append every dialogue to ``OUT/rollouts.jsonl``."""

    def __post_init__(self) -> None:
        self._require(self.log_every >= 1, "log_every", "must be >= 1")


@dataclass(frozen=True)
class TrainConfig(_Checked):
    """Everything a training run needs; ``rlver train --config FILE.yaml`` builds one."""

    algo: Algo = "ppo"
    """``ppo`` (critic + GAE) or ``grpo`` (group-normalised outcome advantages, no critic)."""
    policy: str = "builtin:tiny"
    """Policy to train: ``hf:PATH`` (a local Hugging Face model directory) or ``builtin:tiny``."""
    simulator: str = "offline"
    """Simulated user: ``offline`` or ``openai:MODEL`` (endpoint options on the command line)."""
    preset: str = "rlver"
    """Simulator preset: ``rlver`` (training), ``rlver-hard`` or ``sage``."""
    profiles: str = "builtin:train"
    """Profiles to train on: a file (JSONL / JSON / YAML, official or native) or ``builtin:NAME``."""
    steps: int = 100
    """RL steps (one rollout batch and one update each)."""
    seed: int = 0
    """Seeds profile sampling, simulator seeds, policy sampling and torch."""
    out_dir: str = "runs/train"
    """Run directory: metrics.jsonl, rollouts.jsonl, checkpoints/, config.yaml."""
    rollout: RolloutSettings = field(default_factory=RolloutSettings)
    """Rollout settings."""
    optim: OptimSettings = field(default_factory=OptimSettings)
    """Optimiser settings."""
    loss: LossSettings = field(default_factory=LossSettings)
    """Loss settings shared by PPO and GRPO."""
    ppo: PPOSettings = field(default_factory=PPOSettings)
    """PPO settings (ignored by GRPO)."""
    grpo: GRPOSettings = field(default_factory=GRPOSettings)
    """GRPO settings (ignored by PPO)."""
    reward: RewardSettings = field(default_factory=RewardSettings)
    """Reward settings."""
    lora: LoRASettings = field(default_factory=LoRASettings)
    """LoRA settings."""
    checkpoint: CheckpointSettings = field(default_factory=CheckpointSettings)
    """Checkpoint settings."""
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    """Logging settings."""

    def __post_init__(self) -> None:
        self._require(self.algo in ("ppo", "grpo"), "algo", "must be 'ppo' or 'grpo'")
        self._require(self.steps >= 1, "steps", "must be >= 1")
        self._require(bool(self.policy), "policy", "must not be empty")
        self._require(bool(self.out_dir), "out_dir", "must not be empty")
        if self.algo == "grpo" and self.group_size < 2:
            raise ConfigValueError(
                "rollout.group_size", f"GRPO needs groups of >= 2 dialogues, got {self.group_size}"
            )
        if self.grpo.credit == "turn" and self.grpo.gamma < 1 and self.reward.name == "emotion":
            # the outcome reward sits on the last turn only: discounting would starve the earlier turns
            raise ConfigValueError(
                "grpo.gamma",
                "with reward.name 'emotion' (outcome only) turn-level credit needs gamma 1; "
                "use reward.name 'emotion_delta' for per-turn rewards",
            )

    @property
    def group_size(self) -> int:
        """Dialogues per profile: ``rollout.group_size``, else 4 for GRPO (the paper's) and 1 for PPO."""
        if self.rollout.group_size is not None:
            return self.rollout.group_size
        return 4 if self.algo == "grpo" else 1

    @property
    def episodes_per_step(self) -> int:
        """Dialogues per step: profiles_per_step * group_size."""
        return self.rollout.profiles_per_step * self.group_size

    def to_dict(self) -> dict[str, Any]:
        """Plain data (tuples as lists), as written to ``OUT/config.yaml``."""

        def plain(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, (list, tuple)):
                return [plain(v) for v in value]
            return value

        return plain(asdict(self))
