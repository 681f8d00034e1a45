"""``rlver train`` end to end: a tiny saved model, a profiles file, a YAML config, real checkpoints."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

import rlver.cli.train as train_cli
from rlver.cli.app import app
from rlver.models.tiny import tiny_test_setup
from rlver.profiles.io import write_profiles
from rlver.rl.metrics import METRIC_KEYS
from tests.test_rl_support import KeywordAgent, make_profiles, one_torch_thread  # noqa: F401

runner = CliRunner()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-policy")
    model, tokenizer = tiny_test_setup(seed=0)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture
def run_files(tmp_path, model_dir, monkeypatch):
    """A profiles file, a config, and the keyword simulator behind the ``--simulator`` spec."""
    profiles = write_profiles(tmp_path / "profiles.jsonl", make_profiles(4))
    config = {
        "policy": f"hf:{model_dir}",
        "simulator": "keyword",
        "preset": "rlver",
        "profiles": str(profiles),
        "steps": 2,
        "rollout": {"profiles_per_step": 2, "max_turns": 2, "max_new_tokens": 4, "system_prompt": ""},
        "optim": {"actor_lr": 1e-3, "critic_lr": 1e-3},
        "checkpoint": {"every": 1, "keep_last_k": 2},
        "logging": {"progress": False, "tensorboard": False},
    }
    config_path = tmp_path / "train.yaml"
    config_path.write_text(yaml.safe_dump(config))
    specs: list[str] = []

    def make_simulator(spec, options=None, **kwargs):
        specs.append(spec)
        return KeywordAgent()

    monkeypatch.setattr(train_cli, "make_simulator", make_simulator)
    return tmp_path, config_path, specs


def invoke(*args):
    result = runner.invoke(app, ["train", *map(str, args)])
    return result


@pytest.mark.parametrize("algo", ["ppo", "grpo"])
def test_train_cli_end_to_end_and_resume(run_files, algo):
    tmp_path, config_path, specs = run_files
    out = tmp_path / f"run-{algo}"
    result = invoke("--config", config_path, "--algo", algo, "--out", out, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert specs == ["keyword"]
    assert "done:" in result.output

    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in metrics] == [1, 2]
    for row in metrics:
        assert set(METRIC_KEYS) <= set(row)
        assert row["reward/mean"] is not None
        assert (row["losses/value"] is not None) == (algo == "ppo")
    episodes_per_step = 2 * (4 if algo == "grpo" else 1)
    rollouts = (out / "rollouts.jsonl").read_text().splitlines()
    assert len(rollouts) == 2 * episodes_per_step
    assert json.loads(rollouts[0])["step"] == 1

    checkpoints = out / "checkpoints"
    assert (checkpoints / "latest").read_text().strip() == "step-000002"
    assert (checkpoints / "step-000002" / "policy" / "model.safetensors").is_file()
    saved = yaml.safe_load((out / "config.yaml").read_text())
    assert saved["algo"] == algo and saved["seed"] == 3

    # The checkpoint is a Hugging Face model directory: it trains further as an hf: policy.
    again = invoke("--out", out, "--resume", "--steps", "3")
    assert again.exit_code == 0, again.output
    assert "resumed from step 2" in again.output
    metrics = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [row["step"] for row in metrics] == [1, 2, 3]
    assert (checkpoints / "latest").read_text().strip() == "step-000003"
    assert sorted(p.name for p in checkpoints.glob("step-*")) == ["step-000002", "step-000003"]


def test_existing_run_needs_resume(run_files):
    tmp_path, config_path, _ = run_files
    out = tmp_path / "run"
    assert invoke("--config", config_path, "--out", out, "--steps", "1", "--algo", "grpo").exit_code == 0
    result = invoke("--config", config_path, "--out", out, "--steps", "2", "--algo", "grpo")
    assert result.exit_code == 2
    assert "already holds a training run" in result.output


def test_bad_config_names_file_line_and_key(run_files):
    tmp_path, config_path, _ = run_files
    text = config_path.read_text().replace("actor_lr: 0.001", "actor_lr: -1")
    config_path.write_text(text)
    line = 1 + text.splitlines().index("  actor_lr: -1")
    result = invoke("--config", config_path, "--out", tmp_path / "bad")
    assert result.exit_code == 2
    assert f"{config_path}:{line}: optim.actor_lr: must be > 0" in " ".join(result.output.split())


def test_unknown_policy_spec_is_a_clear_error(run_files):
    tmp_path, config_path, _ = run_files
    result = invoke("--config", config_path, "--out", tmp_path / "x", "--policy", "openai:gpt-4.1")
    assert result.exit_code == 2
    assert "training needs a local Hugging Face policy" in " ".join(result.output.split())


def test_train_cli_with_the_offline_simulator_and_builtin_profiles(tmp_path, model_dir):
    """No test doubles at all: the shipped offline Sentient Agent appraises the tiny policy."""
    out = tmp_path / "offline"
    config = tmp_path / "short.yaml"
    config.write_text("rollout:\n  max_new_tokens: 8\nlogging:\n  tensorboard: false\n")
    result = invoke(
        "--config",
        config,
        "--policy",
        f"hf:{model_dir}",
        "--simulator",
        "offline",
        "--profiles",
        "builtin:train",
        "--algo",
        "grpo",
        "--steps",
        "1",
        "--profiles-per-step",
        "2",
        "--group-size",
        "2",
        "--max-turns",
        "2",
        "--out",
        out,
        "--no-progress",
    )
    assert result.exit_code == 0, result.output
    row = json.loads((out / "metrics.jsonl").read_text().splitlines()[0])
    assert row["rollout/episodes"] == 4 and row["rollout/dropped"] == 0
    assert 0.0 <= row["reward/mean"] <= 1.0
    rollouts = [json.loads(line) for line in (out / "rollouts.jsonl").read_text().splitlines()]
    assert all(r["simulator"] != "keyword" and r["turns"][0]["role"] == "user" for r in rollouts)
