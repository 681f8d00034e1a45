"""Every official wording of SAGE's eight hidden needs maps to its need (issue 16, part 1)."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.cli.app import app
from rlver.profiles.io import load_profiles
from rlver.profiles.official import match_hidden_need
from rlver.profiles.schema import HiddenNeed

ROOT = Path(__file__).resolve().parents[1]
OFFICIAL_PROFILES = ROOT / "data" / "sage" / "profiles.jsonl.gz"  # SAGE's 100 test profiles, verbatim

OFFICIAL_WORDINGS = {
    "你希望对方辩证地分析事件中的问题": HiddenNeed.ANALYSIS,
    "你想获得能真实帮助你解决当下困境的建议": HiddenNeed.ADVICE,
    "你想分析事件中其他人物这么做的原因": HiddenNeed.UNDERSTAND_OTHERS,
    "你希望对方引导你针对事件进行自我反思，收获自我成长": HiddenNeed.SELF_GROWTH,
    "你希望对方真诚地夸奖你在事件中的具体行为": HiddenNeed.PRAISE,
    "你希望对方用心倾听你的情绪宣泄": HiddenNeed.VENTING,
    "你希望对方深刻共情你的感受，而不是简单的安慰": HiddenNeed.EMPATHY,
    "你认为自己在事件中没有任何责任和错误，你想要对方也认同你没有错": HiddenNeed.VALIDATION,
}


@pytest.fixture(scope="module")
def official_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sage") / "simulator_profile_withfirsttalk.jsonl"
    path.write_bytes(gzip.decompress(OFFICIAL_PROFILES.read_bytes()))
    return path


@pytest.mark.parametrize("wording, need", OFFICIAL_WORDINGS.items())
def test_each_official_wording_maps_to_its_need(wording, need):
    assert match_hidden_need(wording) is need


def test_the_real_profile_file_uses_exactly_these_wordings_and_all_map(official_file):
    tasks = Counter(
        json.loads(line)["task"] for line in official_file.read_text(encoding="utf-8").splitlines()
    )
    assert set(tasks) == set(OFFICIAL_WORDINGS)
    profiles = load_profiles(official_file)
    assert len(profiles) == 100
    assert all(p.need is OFFICIAL_WORDINGS[p.task] for p in profiles)
    assert Counter(p.need for p in profiles) == {OFFICIAL_WORDINGS[t]: n for t, n in tasks.items()}


def test_profiles_validate_reports_no_unknown_need(official_file):
    result = CliRunner().invoke(app, ["profiles", "validate", str(official_file)])
    assert result.exit_code == 0, result.output
    assert "understand_others" in result.output
    assert "unknown" not in result.output
