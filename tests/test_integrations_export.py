"""``rlver export verl``: dataset rows, agent-loop file and PPO/GRPO configs (no verl needed)."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.errors import ConfigError
from rlver.integrations.verl_export import VerlExportSettings, export_verl, launch_commands, verl_rows
from rlver.profiles.io import load_profiles
from rlver.profiles.schema import Profile
from tests.adapters._support import make_profiles


def invoke(*args):
    return CliRunner().invoke(app, ["export", "verl", *args])


def test_cli_writes_dataset_configs_and_prints_launch_commands(tmp_path):
    out = tmp_path / "verl"
    result = invoke("--profiles", "builtin:train", "--out", str(out), "--val-fraction", "0.1", "--format", "jsonl",
                    "--simulator", "openai:deepseek-chat", "--simulator-base-url", "http://sim:8000/v1",
                    "--max-turns", "6", "--think", "--gpus-per-node", "4")
    assert result.exit_code == 0, result.output
    assert "rlver[verl]" in result.output
    assert f"python -m verl.trainer.main_ppo --config-path {out} --config-name grpo" in result.output

    train = [json.loads(line) for line in (out / "train.jsonl").read_text().splitlines()]
    val = [json.loads(line) for line in (out / "val.jsonl").read_text().splitlines()]
    everything = {p.id: p for p in load_profiles("builtin:train")}
    assert len(train) + len(val) == len(everything) and len(val) == round(0.1 * len(everything))
    assert not {r["profile_id"] for r in train} & {r["profile_id"] for r in val}
    row = train[0]
    assert row["agent_name"] == "rlver_sentient" and row["data_source"] == "rlver"
    assert row["extra_info"] == {"index": 0, "split": "train", "profile_id": row["profile_id"]}
    assert row["prompt"][0]["role"] == "system" and "<think>" in row["prompt"][0]["content"]  # --think
    assert Profile.model_validate(json.loads(row["rlver_profile"])) == everything[row["profile_id"]]
    assert row["persona"] == everything[row["profile_id"]].persona

    (loop,) = yaml.safe_load((out / "agent_loop.yaml").read_text())
    assert loop["_target_"] == "rlver.integrations.verl_agent_loop.RlverSentientAgentLoop"
    assert (loop["simulator"], loop["simulator_base_url"], loop["max_turns"], loop["think"]) == (
        "openai:deepseek-chat", "http://sim:8000/v1", 6, True)
    ppo = yaml.safe_load((out / "ppo.yaml").read_text())
    grpo = yaml.safe_load((out / "grpo.yaml").read_text())
    assert ppo["defaults"] == ["ppo_trainer", "_self_"] and ppo["hydra"]["searchpath"] == ["pkg://verl.trainer.config"]
    assert ppo["algorithm"]["adv_estimator"] == "gae" and grpo["algorithm"]["adv_estimator"] == "grpo"
    assert "critic" in ppo and "critic" not in grpo
    assert grpo["actor_rollout_ref"]["rollout"]["n"] == 4 and ppo["actor_rollout_ref"]["rollout"]["n"] == 1
    assert ppo["actor_rollout_ref"]["rollout"]["agent"]["agent_loop_config_path"] == str(out / "agent_loop.yaml")
    assert ppo["data"]["train_files"] == str(out / "train.jsonl") and ppo["data"]["val_files"] == str(out / "val.jsonl")
    assert ppo["trainer"]["n_gpus_per_node"] == 4
    assert ppo["actor_rollout_ref"]["actor"]["entropy_coeff"] == 0.001 and not ppo["algorithm"]["use_kl_in_reward"]


def test_cli_errors_name_the_problem(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a"}\n')
    result = invoke("--profiles", str(bad), "--out", str(tmp_path / "o"))
    assert result.exit_code == 2 and f"{bad}:1" in result.output
    result = invoke("--profiles", "builtin:train", "--out", str(tmp_path / "o"), "--simulator", "openai:m")
    assert result.exit_code == 2 and "--simulator-base-url" in result.output
    result = invoke("--profiles", "builtin:train", "--out", str(tmp_path / "o"), "--preset", "nope")
    assert result.exit_code == 2 and "unknown preset" in result.output


def test_offline_simulator_refuses_chinese_profiles(tmp_path):
    zh = Profile(id="z", persona="p", scene="s", task="t", language="zh")
    with pytest.raises(ConfigError, match="English only"):
        export_verl([zh], tmp_path, VerlExportSettings())


def test_rows_and_commands_without_the_cli(tmp_path):
    profiles = make_profiles(2)
    rows = verl_rows(profiles, VerlExportSettings(), "train")
    assert [r["extra_info"]["index"] for r in rows] == [0, 1]
    result = export_verl(profiles, tmp_path, VerlExportSettings(data_format="jsonl"))
    assert result.val is None and result.train.name == "train.jsonl"
    assert set(launch_commands(result)) == {"ppo", "grpo"}


def test_parquet_without_pyarrow_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # `import pyarrow` now raises ImportError
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    assert export_verl(make_profiles(1), tmp_path / "auto", VerlExportSettings()).train.suffix == ".jsonl"
    with pytest.raises(ConfigError, match="pyarrow"):
        export_verl(make_profiles(1), tmp_path / "p", VerlExportSettings(data_format="parquet"))


def test_reference_configs_in_the_repo_are_what_the_exporter_writes():
    from pathlib import Path

    from rlver.integrations.verl_export import example_configs

    folder = Path(__file__).resolve().parents[1] / "configs" / "verl"
    for name, text in example_configs().items():
        assert (folder / name).read_text() == text, f"configs/verl/{name} is stale: regenerate it with example_configs()"
