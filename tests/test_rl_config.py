"""Training configs: defaults, YAML loading with FILE:LINE errors, overrides, example configs."""

from __future__ import annotations

from dataclasses import replace

from pathlib import Path

import pytest

from rlver.errors import ConfigError
from rlver.rl.config import RolloutSettings, TrainConfig
from rlver.rl.config_io import apply_overrides, config_from_mapping, dump_config, load_config

REPO = Path(__file__).resolve().parents[1]


def test_defaults_are_the_papers():
    config = TrainConfig()
    assert config.rollout.profiles_per_step == 32
    assert (config.optim.actor_lr, config.optim.critic_lr) == (1e-6, 5e-6)
    assert (config.ppo.gamma, config.ppo.lam) == (1.0, 1.0)
    assert config.loss.entropy_coef == 0.001 and config.loss.kl_coef == 0.0
    assert config.rollout.temperature == 1.0
    assert TrainConfig(algo="ppo").group_size == 1
    assert TrainConfig(algo="grpo").group_size == 4
    assert TrainConfig(algo="grpo", rollout=RolloutSettings(profiles_per_step=8)).episodes_per_step == 32


def test_every_field_has_a_docstring():
    import ast
    import inspect

    from rlver.rl import config as module

    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or not node.name.endswith(("Settings", "Config")):
            continue
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign) and not stmt.target.id.startswith("_"):
                following = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant), (
                    f"{node.name}.{stmt.target.id} has no docstring"
                )


def test_example_configs_load():
    for name in ("tiny-ppo.yaml", "tiny-grpo.yaml"):
        config = load_config(REPO / "configs" / name)
        assert config.algo == name.removeprefix("tiny-").split(".")[0]


def test_smollm2_recipes_differ_only_in_what_lora_changes():
    full = load_config(REPO / "configs" / "smollm2-grpo.yaml")
    lora = load_config(REPO / "configs" / "smollm2-grpo-lora.yaml")
    assert (full.algo, full.lora.enabled, lora.lora.enabled) == ("grpo", False, True)
    assert full.rollout == lora.rollout and full.preset == lora.preset == "sage"  # the benchmark's world
    assert lora.optim.actor_lr > full.optim.actor_lr  # adapters start at zero and need a larger step
    assert replace(lora, lora=full.lora, optim=full.optim, out_dir=full.out_dir) == full


def test_yaml_round_trip(tmp_path):
    config = apply_overrides(
        TrainConfig(), {"algo": "grpo", "rollout.think": True, "lora.target_modules": ["q_proj"]}
    )
    path = tmp_path / "c.yaml"
    path.write_text(dump_config(config))
    assert load_config(path) == config


@pytest.mark.parametrize(
    "text,line,message",
    [
        ("algo: ppo\noptim:\n  actor_lr: 0\n", 3, "optim.actor_lr: must be > 0, got 0.0"),
        ("algo: ppo\nrollout:\n  tempreature: 1.0\n", 3, "rollout.tempreature: unknown setting"),
        ("steps: many\n", 1, "steps: expected an integer, got 'many'"),
        ("algo: a2c\n", 1, "algo: expected 'ppo' or 'grpo'"),
        ("algo: grpo\nrollout:\n  group_size: 1\n", 3, "rollout.group_size: GRPO needs groups of >= 2"),
        ("rollout:\n  think: yes please\n", 2, "rollout.think: expected true or false"),
        ("optim: 3\n", 1, "optim: expected a mapping of settings"),
        ("reward:\n  name: happiness\n", 2, "reward.name: must be one of emotion, emotion_delta"),
    ],
)
def test_bad_values_name_file_line_and_key(tmp_path, text, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


def test_invalid_yaml_and_missing_file(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("algo: ppo\nrollout: [\n")
    with pytest.raises(ConfigError, match=rf"{path}:\d+: invalid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_overrides_are_validated_and_skip_none():
    config = apply_overrides(TrainConfig(), {"steps": 5, "seed": None, "rollout.max_turns": 3})
    assert config.steps == 5 and config.seed == 0 and config.rollout.max_turns == 3
    with pytest.raises(ConfigError, match="command-line override: steps: must be >= 1"):
        apply_overrides(TrainConfig(), {"steps": 0})
    with pytest.raises(ConfigError, match="unknown setting 'rollout.nope'"):
        apply_overrides(TrainConfig(), {"rollout.nope": 1})


def test_mapping_must_be_a_mapping():
    with pytest.raises(ConfigError, match="must be a mapping"):
        config_from_mapping(["algo"])  # type: ignore[arg-type]


def test_public_api_is_explicit():
    import rlver.rl as rl

    assert len(rl.__all__) == len(set(rl.__all__))
    for name in rl.__all__:
        assert hasattr(rl, name), name
    assert {"Trainer", "TrainConfig", "PPO", "GRPO", "gae", "group_advantages", "load_config"} <= set(
        rl.__all__
    )


def test_turn_credit_with_outcome_reward_needs_gamma_one():
    from rlver.rl.config import GRPOSettings, RewardSettings, TrainConfig

    with pytest.raises(ConfigError, match="grpo.gamma"):
        TrainConfig(grpo=GRPOSettings(credit="turn", gamma=0.0), reward=RewardSettings(name="emotion"))
    ok = TrainConfig(grpo=GRPOSettings(credit="turn", gamma=0.0), reward=RewardSettings(name="emotion_delta"))
    assert ok.grpo.credit == "turn"
    with pytest.raises(ConfigError, match="grpo.credit"):
        GRPOSettings(credit="step")
