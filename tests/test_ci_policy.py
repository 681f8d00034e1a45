"""Under CI=true a skipped test is a failure (tests/conftest.py): CI never passes in silence."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

CASES = '''
import pytest

def test_missing_dependency():
    pytest.importorskip("a_module_that_is_not_installed")

@pytest.mark.ci_may_skip
@pytest.mark.skipif(True, reason="the other branch of a two-sided check")
def test_deliberate_skip():
    pass
'''


def run(tmp_path: Path, ci: str) -> subprocess.CompletedProcess:
    shutil.copy(Path(__file__).parent / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_cases.py").write_text(CASES, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "CI": ci, "PYTHONPATH": str(Path(__file__).parents[1])}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA", str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )


def test_a_skip_fails_under_ci_unless_marked(tmp_path):
    done = run(tmp_path, "true")
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 skipped" in done.stdout
    assert "skipped under CI=true" in done.stdout and "a_module_that_is_not_installed" in done.stdout


def test_outside_ci_a_skip_is_a_skip(tmp_path):
    done = run(tmp_path, "")
    assert done.returncode == 0 and "2 skipped" in done.stdout, done.stdout
