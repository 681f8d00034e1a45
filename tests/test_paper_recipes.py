"""The paper's recipes (configs/paper/): the paper's values, and they fit the GPU they name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.rl.config_io import load_config

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO / "configs" / "paper"
NATIVE = ("native-ppo", "native-grpo", "native-ppo-think", "native-grpo-think")
runner = CliRunner()

QWEN25_7B_CONFIG = {
    # the published architecture of Qwen2.5-7B-Instruct (its config.json), no weights needed
    "architectures": ["Qwen2ForCausalLM"],
    "model_type": "qwen2",
    "hidden_size": 3584,
    "intermediate_size": 18944,
    "num_hidden_layers": 28,
    "num_attention_heads": 28,
    "num_key_value_heads": 4,
    "vocab_size": 152064,
    "tie_word_embeddings": False,
    "max_position_embeddings": 32768,
    "rms_norm_eps": 1e-06,
    "torch_dtype": "bfloat16",
}


@pytest.fixture(scope="module")
def qwen7b(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("Qwen2.5-7B-Instruct")
    (folder / "config.json").write_text(json.dumps(QWEN25_7B_CONFIG))
    return folder


@pytest.mark.parametrize("name", NATIVE)
def test_native_recipes_hold_the_papers_values(name):
    config = load_config(PAPER / f"{name}.yaml")
    algo = name.split("-")[1]
    assert config.algo == algo
    assert config.rollout.think == name.endswith("-think")
    assert (config.optim.actor_lr, config.optim.critic_lr) == (1e-6, 5e-6)
    assert config.rollout.profiles_per_step == 32
    assert config.group_size == (4 if algo == "grpo" else 1)
    assert (config.rollout.temperature, config.rollout.top_p) == (1.0, 1.0)
    assert (config.loss.kl_coef, config.loss.entropy_coef) == (0.0, 0.001)
    assert (config.preset, config.rollout.max_turns) == ("rlver", 8)
    assert (config.reward.name, config.reward.format_violation_reward) == ("emotion", 0.0)
    assert config.simulator == "openai:deepseek-chat"
    assert config.policy == "hf:/models/Qwen2.5-7B-Instruct"
    # one GPU: LoRA in bf16, sampling and training under the same autocast
    assert config.lora.enabled and config.optim.precision == "bf16" and config.optim.gradient_checkpointing
    if algo == "ppo":
        assert (config.ppo.critic, config.ppo.gamma, config.ppo.lam) == ("separate", 1.0, 1.0)


@pytest.mark.parametrize("name", NATIVE)
def test_native_recipes_fit_one_80_gb_gpu(name, qwen7b):
    """``--dry-run`` on Qwen2.5-7B's config.json (no weights): the recipe fits the 80 GB GPU it names."""
    result = runner.invoke(
        app,
        [
            "train",
            "--config",
            str(PAPER / f"{name}.yaml"),
            "--policy",
            f"hf:{qwen7b}",
            "--dry-run",
            "--gpu-memory",
            "80",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "fits" in result.output and "NOT" not in result.output
    assert "7.62 B" in result.output  # Qwen2.5-7B's 7,615,616,512 parameters


def test_the_same_recipe_without_lora_is_refused_on_80_gb(qwen7b, tmp_path):
    recipe = (PAPER / "native-grpo.yaml").read_text().replace("  enabled: true", "  enabled: false")
    path = tmp_path / "full.yaml"
    path.write_text(recipe)
    result = runner.invoke(
        app, ["train", "--config", str(path), "--policy", f"hf:{qwen7b}", "--dry-run", "--gpu-memory", "80"]
    )
    assert result.exit_code == 2
    assert "does not fit 80 GiB" in result.stderr and "rlver export verl --recipe grpo" in result.stderr


# ------------------------------------------------------------------------------------ verl
def export(*args: str):
    return runner.invoke(app, ["export", "verl", "--profiles", "builtin:train", "--format", "jsonl", *args])


@pytest.mark.parametrize("name", ["ppo", "grpo", "ppo-think", "grpo-think"])
def test_verl_recipes_write_the_dataset_and_the_papers_config(name, tmp_path):
    import yaml

    out = tmp_path / name
    result = export("--recipe", name, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"python -m verl.trainer.main_ppo --config-path {out} --config-name {name}" in result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(["train.jsonl", "agent_loop.yaml", f"{name}.yaml"])
    think = name.endswith("-think")
    row = json.loads((out / "train.jsonl").read_text().splitlines()[0])
    assert ("<think>" in row["prompt"][0]["content"]) == think

    (loop,) = yaml.safe_load((out / "agent_loop.yaml").read_text())
    assert (loop["simulator"], loop["simulator_base_url"], loop["simulator_api_key_env"]) == (
        "openai:deepseek-chat",
        "https://api.deepseek.com/v1",
        "DEEPSEEK_API_KEY",
    )
    assert (loop["preset"], loop["max_turns"], loop["think"]) == ("rlver", 8, think)

    config = yaml.safe_load((out / f"{name}.yaml").read_text())
    algo = name.split("-")[0]
    actor = config["actor_rollout_ref"]["actor"]
    rollout = config["actor_rollout_ref"]["rollout"]
    assert config["algorithm"]["adv_estimator"] == ("gae" if algo == "ppo" else "grpo")
    assert (
        config["algorithm"]["gamma"],
        config["algorithm"]["lam"],
        config["algorithm"]["use_kl_in_reward"],
    ) == (1.0, 1.0, False)
    assert (actor["optim"]["lr"], actor["entropy_coeff"], actor["use_kl_loss"]) == (1e-6, 0.001, False)
    assert (rollout["temperature"], rollout["n"]) == (1.0, 4 if algo == "grpo" else 1)
    assert config["data"]["train_batch_size"] == 32
    assert config["actor_rollout_ref"]["model"]["path"] == "Qwen/Qwen2.5-7B-Instruct"
    assert ("critic" in config) == (algo == "ppo")
    if algo == "ppo":
        assert config["critic"]["optim"]["lr"] == 5e-6
    assert config["trainer"]["experiment_name"] == f"rlver-{name}-rlver"


def test_verl_recipe_flags_override_and_a_local_simulator_gets_no_deepseek_key(tmp_path):
    import yaml

    out = tmp_path / "local"
    result = export(
        "--recipe",
        "grpo",
        "--out",
        str(out),
        "--simulator",
        "openai:qwen-sim",
        "--simulator-base-url",
        "http://sim:8000/v1",
        "--model",
        "/models/Qwen2.5-7B-Instruct",
        "--gpus-per-node",
        "4",
    )
    assert result.exit_code == 0, result.output
    (loop,) = yaml.safe_load((out / "agent_loop.yaml").read_text())
    assert (loop["simulator"], loop["simulator_base_url"]) == ("openai:qwen-sim", "http://sim:8000/v1")
    assert "simulator_api_key_env" not in loop
    config = yaml.safe_load((out / "grpo.yaml").read_text())
    assert config["actor_rollout_ref"]["model"]["path"] == "/models/Qwen2.5-7B-Instruct"
    assert (
        config["trainer"]["n_gpus_per_node"] == 4
        and config["actor_rollout_ref"]["actor"]["optim"]["lr"] == 1e-6
    )


def test_verl_recipes_need_a_folder_each(tmp_path):
    assert export("--recipe", "ppo", "--out", str(tmp_path)).exit_code == 0
    assert export("--recipe", "ppo", "--out", str(tmp_path)).exit_code == 0  # the same recipe again: fine
    result = export("--recipe", "grpo-think", "--out", str(tmp_path))
    assert result.exit_code == 2 and "holds another export (ppo.yaml)" in result.stderr
    result = export("--recipe", "nope", "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "unknown recipe 'nope'" in result.stderr


def test_verl_reference_recipes_in_the_repo_are_what_the_exporter_writes():
    from rlver.integrations.verl_export import example_recipe_configs

    for name, text in example_recipe_configs().items():
        path = PAPER / "verl" / name
        assert path.read_text() == text, (
            f"configs/paper/verl/{name} is stale: regenerate it with example_recipe_configs()"
        )


# ------------------------------------------------------------------------------------ the GPU check
def test_gpu_check_fails_fast_without_a_cuda_device(tmp_path):
    import os
    import subprocess
    import sys

    out = tmp_path / "gpu_check.json"
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}  # no device, even on a GPU machine
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "gpu_check.py"), "--out", str(out)],
        check=False,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if line.startswith("error:")
    ]
    assert "needs a CUDA GPU" in done.stderr and "nothing was measured" in done.stderr
    assert not out.exists()
