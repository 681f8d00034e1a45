"""``rlver export verl``: a verl dataset of profiles plus runnable PPO / GRPO configs (no verl import needed).

Files written to ``OUT``:

* ``train.parquet`` / ``val.parquet`` (JSONL when pyarrow is missing; verl's ``RLHFDataset`` reads
  both). One row per profile: ``agent_name: rlver_sentient`` (routes the row to our agent loop), a
  minimal ``prompt`` (the policy's system message; the person's opening comes from the simulator),
  ``data_source``, ``reward_model``, ``extra_info.index``, the profile's fields as columns, and
  ``rlver_profile`` (the whole profile as JSON, which the agent loop reads).
* ``agent_loop.yaml``: registers the loop with its settings (simulator spec, preset, turn limit).
* ``ppo.yaml`` / ``grpo.yaml``: hydra configs on top of verl's ``ppo_trainer`` with the paper's
  hyper-parameters (PPO: ``adv_estimator=gae`` + critic; GRPO: groups of 4) on verl's default V1
  trainer (``trainer.use_v1: true``, synchronous mode), for
  ``python -m verl.trainer.main_ppo --config-path OUT --config-name ppo``.

A paper recipe (:data:`PAPER_RECIPES`: ``ppo``, ``grpo``, ``ppo-think``, ``grpo-think``; RLVER's
Qwen2.5-7B-Instruct setups with DeepSeek-V3 as the simulated user) writes only its own config,
``OUT/<recipe>.yaml``; its dataset and agent loop differ between think and no-think, so each recipe
goes into its own folder (an export refuses a folder holding another export's configs).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from rlver.errors import ConfigError
from rlver.policy.prompts import system_prompt as default_system_prompt
from rlver.profiles.schema import Profile
from rlver.utils.io import atomic_path, atomic_write_jsonl, atomic_write_text

__all__ = [
    "PAPER_RECIPES",
    "VERL_VERSION",
    "ExportResult",
    "PaperRecipe",
    "VerlExportSettings",
    "example_configs",
    "example_recipe_configs",
    "export_verl",
    "launch_commands",
    "verl_rows",
]

VERL_VERSION = "0.9.1"
"""The verl release these configs and the agent loop were tested against."""
AGENT_NAME = "rlver_sentient"
AGENT_LOOP_TARGET = "rlver.integrations.verl_agent_loop.RlverSentientAgentLoop"
DataFormat = Literal["auto", "parquet", "jsonl"]


@dataclass(frozen=True)
class VerlExportSettings:
    """What the exported configs run (defaults: the RLVER paper's setup on one 8-GPU node)."""

    model: str = "Qwen/Qwen2.5-7B-Instruct"
    """Policy (and critic) weights verl loads: a local directory on the cluster or a hub id."""
    simulator: str = "offline"
    """Simulated user spec: ``offline`` or ``openai:MODEL``."""
    simulator_base_url: str | None = None
    """Endpoint of an ``openai:`` simulator (workers may override it with RLVER_SIMULATOR_BASE_URL)."""
    simulator_max_concurrency: int = 64
    """Simulator requests in flight per agent-loop worker process."""
    simulator_key_env: str | None = None
    """Environment variable holding the simulator's API key on every worker (``None``: the agent
    loop's default); only the variable's name is written, never a key."""
    preset: str = "rlver"
    """Simulator preset: ``rlver``, ``rlver-hard`` or ``sage``."""
    max_turns: int | None = 8
    """Policy replies per dialogue (``None`` = the preset's)."""
    think: bool = False
    """Think-then-say system prompt and format check."""
    max_new_tokens: int = 512
    """Most tokens per policy reply."""
    max_prompt_length: int = 1024
    """verl ``data.max_prompt_length``: system prompt + opening."""
    max_response_length: int = 8192
    """verl ``data.max_response_length``: all replies and user turns of a dialogue."""
    train_batch_size: int = 32
    """Profiles per step (the paper: 32)."""
    group_size: int = 4
    """GRPO rollouts per profile (the paper: 4)."""
    n_gpus_per_node: int = 8
    """GPUs per node."""
    nnodes: int = 1
    """Nodes in the Ray cluster."""
    total_epochs: int = 10
    """Passes over the training profiles."""
    data_format: DataFormat = "auto"
    """``parquet`` (needs pyarrow), ``jsonl``, or ``auto`` (parquet when pyarrow is installed)."""

    def __post_init__(self) -> None:
        for name in ("max_new_tokens", "max_prompt_length", "max_response_length", "train_batch_size",
                     "group_size", "n_gpus_per_node", "nnodes", "total_epochs", "simulator_max_concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.simulator.startswith("openai:") and not self.simulator_base_url:
            raise ConfigError(f"simulator {self.simulator!r} needs --simulator-base-url")
        if self.data_format not in ("auto", "parquet", "jsonl"):
            raise ConfigError(f"data format must be auto, parquet or jsonl, got {self.data_format!r}")


@dataclass(frozen=True)
class PaperRecipe:
    """One of the RLVER paper's setups on verl: Qwen2.5-7B-Instruct, DeepSeek-V3 as the simulated user,
    32 profiles a step, actor lr 1e-6 (critic 5e-6), temperature 1.0, no KL, entropy 0.001, the
    ``rlver`` preset's 8 turns, reward = final emotion / 100 (:func:`trainer_config` holds the
    optimisation values, these settings the rest)."""

    algo: Literal["ppo", "grpo"]
    """``ppo`` (GAE + critic) or ``grpo`` (groups of 4)."""
    think: bool
    """Think-then-say: ``<think>...</think>`` before each reply; a broken format earns 0."""

    @property
    def name(self) -> str:
        """``ppo``, ``grpo``, ``ppo-think`` or ``grpo-think``."""
        return f"{self.algo}-think" if self.think else self.algo

    def settings(self) -> VerlExportSettings:
        """The export settings of this recipe (flags of ``rlver export verl --recipe`` override them)."""
        return VerlExportSettings(
            model="Qwen/Qwen2.5-7B-Instruct",
            simulator="openai:deepseek-chat",
            simulator_base_url="https://api.deepseek.com/v1",
            simulator_key_env="DEEPSEEK_API_KEY",
            preset="rlver",
            max_turns=8,
            think=self.think,
            # a think block comes before each reply: twice the room per reply and per dialogue
            max_new_tokens=1024 if self.think else 512,
            max_response_length=12288 if self.think else 8192,
            train_batch_size=32,
            group_size=4,
        )


PAPER_RECIPES: dict[str, PaperRecipe] = {
    recipe.name: recipe for recipe in (PaperRecipe(algo, think) for think in (False, True) for algo in ("ppo", "grpo"))
}
"""The paper's four setups by name (``rlver export verl --recipe NAME``)."""


@dataclass(frozen=True)
class ExportResult:
    """Paths written by :func:`export_verl`."""

    train: Path
    val: Path | None
    agent_loop: Path
    configs: dict[str, Path]


def verl_rows(profiles: Sequence[Profile], settings: VerlExportSettings, split: str) -> list[dict[str, Any]]:
    """One verl dataset row per profile (see the module docstring)."""
    rows = []
    for index, profile in enumerate(profiles):
        record = profile.model_dump(mode="json")
        rows.append({
            "data_source": "rlver",
            "agent_name": AGENT_NAME,
            "prompt": [{"role": "system", "content": default_system_prompt(profile.language, think=settings.think)}],
            "reward_model": {"style": "rlver_emotion", "ground_truth": ""},
            "extra_info": {"index": index, "split": split, "profile_id": profile.id},
            "profile_id": profile.id,
            **{key: record[key] for key in ("persona", "scene", "task", "character", "traits", "need",
                                            "first_talk", "topic", "language", "name", "initial_emotion")},
            "rlver_profile": json.dumps(record, ensure_ascii=False, sort_keys=True),
        })
    return rows


def _pyarrow_available() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def _write_rows(rows: list[dict[str, Any]], stem: Path, data_format: DataFormat) -> Path:
    use_parquet = data_format == "parquet" or (data_format == "auto" and _pyarrow_available())
    if not use_parquet:
        path = stem.with_suffix(".jsonl")
        atomic_write_jsonl(path, rows)
        return path
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ConfigError("--format parquet needs pyarrow (pip install pyarrow), or use --format jsonl") from None
    path = stem.with_suffix(".parquet")
    with atomic_path(path) as tmp:
        pq.write_table(pa.Table.from_pylist(rows), tmp)
    return path


def agent_loop_entries(settings: VerlExportSettings) -> list[dict[str, Any]]:
    """The ``agent_loop_config_path`` file: our loop's registry entry with its settings."""
    entry: dict[str, Any] = {"name": AGENT_NAME, "_target_": AGENT_LOOP_TARGET, "simulator": settings.simulator}
    if settings.simulator_base_url:
        entry["simulator_base_url"] = settings.simulator_base_url
    if settings.simulator_key_env:
        entry["simulator_api_key_env"] = settings.simulator_key_env
    entry.update({
        "simulator_max_concurrency": settings.simulator_max_concurrency,
        "preset": settings.preset,
        "max_turns": settings.max_turns,
        "think": settings.think,
        "max_new_tokens": settings.max_new_tokens,
        "on_error": "raise",
    })
    return [entry]


def trainer_config(
    algo: str, settings: VerlExportSettings, train: str, val: str, agent_loop: str, name: str | None = None
) -> dict[str, Any]:
    """A hydra config over verl's ``ppo_trainer`` for ``algo`` (``ppo`` or ``grpo``); ``name`` names the
    experiment (default: the algorithm)."""
    if algo not in ("ppo", "grpo"):
        raise ConfigError(f"algo must be ppo or grpo, got {algo!r}")
    n = settings.group_size if algo == "grpo" else 1
    rollout: dict[str, Any] = {
        "name": "vllm",
        "mode": "async",
        "n": n,
        "temperature": 1.0,
        "top_p": 1.0,
        "calculate_log_probs": True,
        "tensor_model_parallel_size": 1,
        "gpu_memory_utilization": 0.6,
        "max_num_seqs": 256,
        "agent": {"agent_loop_config_path": agent_loop, "default_agent_loop": AGENT_NAME, "num_workers": 8},
    }
    actor = {
        "optim": {"lr": 1e-6},
        "ppo_mini_batch_size": settings.train_batch_size,
        "ppo_micro_batch_size_per_gpu": 1,
        "use_dynamic_bsz": True,
        "ppo_max_token_len_per_gpu": settings.max_prompt_length + settings.max_response_length,
        "entropy_coeff": 0.001,
        "use_kl_loss": False,
    }
    config: dict[str, Any] = {
        "hydra": {"searchpath": ["pkg://verl.trainer.config"]},
        "defaults": ["ppo_trainer", "_self_"],
        "data": {
            "train_files": train,
            "val_files": val,
            "prompt_key": "prompt",
            "return_raw_chat": True,
            "max_prompt_length": settings.max_prompt_length,
            "max_response_length": settings.max_response_length,
            "train_batch_size": settings.train_batch_size,
            "filter_overlong_prompts": False,
            "truncation": "error",
        },
        "algorithm": {"adv_estimator": "gae" if algo == "ppo" else "grpo", "gamma": 1.0, "lam": 1.0,
                      "use_kl_in_reward": False},
        "actor_rollout_ref": {
            "model": {"path": settings.model, "enable_gradient_checkpointing": True, "use_remove_padding": True},
            "actor": actor,
            "rollout": rollout,
        },
        "trainer": {
            # verl 0.9.1's default, spelled out: the V1 trainer (TransferQueue, AgentLoopWorkerTQ), synchronous.
            "use_v1": True,
            "v1": {"trainer_mode": "sync"},
            "project_name": "rlver",
            "experiment_name": f"rlver-{name or algo}-{settings.preset}",
            "logger": ["console"],
            "n_gpus_per_node": settings.n_gpus_per_node,
            "nnodes": settings.nnodes,
            "total_epochs": settings.total_epochs,
            "save_freq": 20,
            "test_freq": 10,
            "val_before_train": True,
        },
    }
    if algo == "ppo":
        config["critic"] = {"optim": {"lr": 5e-6}, "model": {"path": settings.model}, "ppo_micro_batch_size_per_gpu": 1,
                            "use_dynamic_bsz": True}
    return config


def _dump_yaml(path: Path, data: Any, header: str) -> None:
    atomic_write_text(path, header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


HEADER = f"# Written by `rlver export verl` for verl {VERL_VERSION}.\n"
"""First line of every file an export writes (how a folder's earlier exports are recognised)."""


def _other_exports(out: Path, names: set[str]) -> list[str]:
    """Configs of an earlier export in ``out`` that this export would not rewrite: they would point at
    a dataset and an agent loop written for other settings."""
    others = []
    for path in sorted(out.glob("*.yaml")):
        if path.stem in names or path.name == "agent_loop.yaml":
            continue
        try:
            first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        except (OSError, UnicodeDecodeError):
            continue  # not one of ours
        if first + "\n" == HEADER:
            others.append(path.name)
    return others


def export_verl(
    profiles: Sequence[Profile],
    out: str | Path,
    settings: VerlExportSettings | None = None,
    *,
    val_profiles: Sequence[Profile] = (),
    configs: Mapping[str, str] | None = None,
) -> ExportResult:
    """Write the dataset and configs to ``out`` (see the module docstring); returns the paths.

    ``configs`` maps each config file's name (without ``.yaml``) to its algorithm; default
    ``{"ppo": "ppo", "grpo": "grpo"}``, a paper recipe ``{"grpo-think": "grpo"}``.
    """
    settings = settings or VerlExportSettings()
    configs = dict(configs or {"ppo": "ppo", "grpo": "grpo"})
    if not profiles:
        raise ConfigError("no profiles to export")
    if settings.simulator == "offline" and any(p.language != "en" for p in [*profiles, *val_profiles]):
        raise ConfigError("the offline simulator speaks English only; use --simulator openai:MODEL for zh profiles")
    out = Path(out).expanduser().resolve()
    if out.is_dir() and (others := _other_exports(out, set(configs))):
        raise ConfigError(
            f"{out} holds another export ({', '.join(others)}) whose dataset and agent loop this one would "
            "replace; export each recipe into its own folder"
        )
    out.mkdir(parents=True, exist_ok=True)
    train = _write_rows(verl_rows(profiles, settings, "train"), out / "train", settings.data_format)
    val = _write_rows(verl_rows(val_profiles, settings, "val"), out / "val", settings.data_format) if val_profiles else None
    agent_loop = out / "agent_loop.yaml"
    _dump_yaml(agent_loop, agent_loop_entries(settings), HEADER)
    written = {}
    for name, algo in configs.items():
        path = out / f"{name}.yaml"
        config = trainer_config(algo, settings, str(train), str(val or train), str(agent_loop), name=name)
        _dump_yaml(path, config, HEADER)
        written[name] = path
    return ExportResult(train=train, val=val, agent_loop=agent_loop, configs=written)


EXAMPLE_DIR = "${oc.env:RLVER_VERL_DIR,/shared/rlver/verl}"
"""Where the example configs (configs/verl/) expect ``rlver export verl --out`` to have written."""


def example_configs(settings: VerlExportSettings | None = None) -> dict[str, str]:
    """The reference files of configs/verl/: file name -> YAML text, paths under ``$RLVER_VERL_DIR``.

    ``rlver export verl`` writes the same files with absolute paths next to the data.
    """
    settings = settings or VerlExportSettings(simulator="openai:deepseek-chat",
                                              simulator_base_url="http://simulator-host:8000/v1")
    header = (f"# Reference config for verl {VERL_VERSION}, generated by rlver.integrations.verl_export.example_configs.\n"
              "# `rlver export verl --out DIR` writes this file with DIR filled in; or set RLVER_VERL_DIR=DIR.\n")
    train, val, loop = (f"{EXAMPLE_DIR}/train.parquet", f"{EXAMPLE_DIR}/val.parquet", f"{EXAMPLE_DIR}/agent_loop.yaml")
    files = {"agent_loop.yaml": header + yaml.safe_dump(agent_loop_entries(settings), sort_keys=False)}
    for algo in ("ppo", "grpo"):
        files[f"{algo}.yaml"] = header + yaml.safe_dump(trainer_config(algo, settings, train, val, loop), sort_keys=False)
    return files


def example_recipe_configs() -> dict[str, str]:
    """The reference files of configs/paper/verl/: ``<recipe>/<recipe>.yaml`` and ``<recipe>/agent_loop.yaml``
    for every paper recipe, paths under ``$RLVER_VERL_DIR`` (default ``/shared/rlver/verl-<recipe>``).

    ``rlver export verl --recipe NAME --out DIR`` writes the same two files next to the dataset.
    """
    files = {}
    for name, recipe in PAPER_RECIPES.items():
        folder = f"${{oc.env:RLVER_VERL_DIR,/shared/rlver/verl-{name}}}"
        header = (f"# The RLVER paper's {name} recipe for verl {VERL_VERSION}, generated by "
                  "rlver.integrations.verl_export.example_recipe_configs.\n"
                  f"# `rlver export verl --recipe {name} --profiles builtin:train --out DIR` writes this file "
                  "with DIR filled in; or set RLVER_VERL_DIR=DIR.\n")
        settings = recipe.settings()
        train, val, loop = (f"{folder}/train.parquet", f"{folder}/val.parquet", f"{folder}/agent_loop.yaml")
        files[f"{name}/agent_loop.yaml"] = header + yaml.safe_dump(agent_loop_entries(settings), sort_keys=False)
        config = trainer_config(recipe.algo, settings, train, val, loop, name=name)
        files[f"{name}/{name}.yaml"] = header + yaml.safe_dump(config, sort_keys=False)
    return files


def launch_commands(result: ExportResult) -> dict[str, str]:
    """The exact command that trains with each exported config (run it on the Ray head node)."""
    return {
        algo: f"python -m verl.trainer.main_ppo --config-path {path.parent} --config-name {path.stem}"
        for algo, path in result.configs.items()
    }
