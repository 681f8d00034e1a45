"""The HTML report in a real headless Chromium: scripts run without errors, the viewer renders, charts show.

Needs Debian's ``chromium`` (CI: ``apt-get install -y chromium``); skipped with a reason without it.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile

import pytest

from rlver.report import write_report
from tests.test_report import build_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"
)

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def chromium(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="rlver-chromium-") as profile:
        return subprocess.run(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    from rlver.testing import StubChatServer

    root = tmp_path_factory.mktemp("browser")
    run = build_run(root, StubChatServer)
    return write_report(run, root / "report.html")


def test_report_scripts_run_without_errors_and_render_the_viewer(report):
    proc = chromium("--virtual-time-budget=5000", "--dump-dom", report.as_uri())
    dom = proc.stdout
    assert "<html" in dom, proc.stderr[-2000:]
    html_tag = re.search(r"<html[^>]*>", dom).group(0)
    assert "data-js-errors" not in html_tag, html_tag
    assert re.search(r'<div id="viewer" data-ready="1">', dom)
    # The viewer built the first dialogue: turns with the simulated user's appraisal beside them.
    assert dom.count('class="turn assistant"') >= 2 and "Simulated user's appraisal" in dom
    assert "<option" in dom
    # The injected policy text stayed text: no element was created from it.
    assert '<img src="x"' not in dom and "&lt;img src=x" in dom


def test_report_screenshot_shows_the_charts(report):
    shot = report.parent / "report.png"
    proc = chromium(
        "--virtual-time-budget=5000", f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri()
    )
    assert shot.is_file(), proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)
    # A page with charts is far from blank: a rendered screenshot of it compresses poorly.
    assert len(data) > 100_000
