"""Charts and the static HTML report: what it finds, what it shows, and that transcripts stay text."""

from __future__ import annotations

import asyncio
import json
import re
import struct
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.bench.general.runner import ItemResult, write_general
from rlver.bench.judge import JudgeConfig
from rlver.bench.scc import run_scc_analysis
from rlver.bench.strategies import FunctionLabeller, run_strategy_analysis
from rlver.cli.app import app
from rlver.report import plots, write_report
from tests.test_bench_fixtures import make_bench_dir, table_label, write_metrics

EVIL = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned=2"> {{DATA}}'


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def build_run(root: Path, stub_server) -> Path:
    """A training run with metrics, rollouts, base/trained benchmarks, analyses and general results."""
    run = write_metrics(root / "run")
    base = make_bench_dir(
        run / "bench" / "base", policy="policy", styles=("suggest", "question"), n_profiles=3
    )
    trained = make_bench_dir(
        run / "bench" / "trained", policy="policy", styles=("reflect", "affirm", "question"), n_profiles=3
    )
    rollouts = [
        dict(json.loads(line), step=11) for line in (trained / "dialogues.jsonl").read_text().splitlines()
    ]
    (run / "rollouts.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rollouts))
    # A policy reply that tries to inject markup into the report.
    rows = [json.loads(line) for line in (base / "dialogues.jsonl").read_text().splitlines()]
    rows[0]["turns"][1]["text"] = EVIL
    (base / "dialogues.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))

    from rlver.bench.capabilities import run_capability_analysis
    from rlver.llm.client import OpenAIChatClient

    def judge(req):
        text = req["messages"][1]["content"]
        score = 5 if "really hurt" in text else 2
        return json.dumps(
            {
                k: {"score": score, "reason": "r"}
                for k in (
                    "empathic_depth",
                    "core_insight",
                    "solution_crafting",
                    "dialogue_guidance",
                    "style_adaptability",
                )
            }
        )

    async def analyse():
        with stub_server(judge) as server:
            async with OpenAIChatClient(
                base_url=server.base_url, model="judge", api_key_env=None, max_retries=0
            ) as client:
                for d in (base, trained):
                    await run_capability_analysis(d, client, JudgeConfig(backoff_seconds=0.0))
                    await run_strategy_analysis(d, FunctionLabeller(table_label, "table"))
                    await run_scc_analysis(d)

    asyncio.run(analyse())
    for name, passed in (("base", 40), ("trained", 38)):
        results = [ItemResult(f"i{i}", "math" if i < 45 else "code", i < passed, "", "") for i in range(45)]
        write_general(run / "general" / name, results, policy=name)
    return run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from rlver.testing import StubChatServer

    return build_run(tmp_path_factory.mktemp("report"), StubChatServer)


def test_each_plot_writes_a_png(tmp_path, run_dir):
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    base_rows = [
        json.loads(line) for line in (run_dir / "bench/base/dialogues.jsonl").read_text().splitlines()
    ]
    trained_rows = [
        json.loads(line) for line in (run_dir / "bench/trained/dialogues.jsonl").read_text().splitlines()
    ]
    calls = {
        "reward": lambda p: plots.plot_reward_curve(metrics, p),
        "curves": lambda p: plots.plot_training_curves(metrics, p),
        "scores": lambda p: plots.plot_score_bars({"base": 23.0, "trained": 97.5}, p),
        "outcomes": lambda p: plots.plot_outcome_counts(
            {"base": {"success": 0, "failure": 2, "n": 3}, "trained": {"success": 3, "failure": 0, "n": 3}}, p
        ),
        "trajectories": lambda p: plots.plot_emotion_trajectories(base_rows, p),
        "pairs": lambda p: plots.plot_trajectory_pairs(base_rows, trained_rows, p, n=2),
        "radar": lambda p: plots.plot_capability_radar(
            {"a": {"empathic_depth": 4.0, "core_insight": 3.0}}, p
        ),
        "scc": lambda p: plots.plot_scc({"a": (0.5, -0.2), "b": (-0.7, 0.1)}, p),
    }
    for name, draw in calls.items():
        figure = draw(tmp_path / f"{name}.png")
        width, height = png_size(tmp_path / f"{name}.png")
        assert width >= 300 and height >= 200, name
        assert figure.axes, name
    # The reward curve plots exactly the logged values.
    line = plots.plot_reward_curve(metrics).axes[0].lines[0]
    assert list(line.get_ydata()) == [m["reward/mean"] for m in metrics]


@pytest.fixture(scope="module")
def page(run_dir):
    return write_report(run_dir, run_dir.parent / "report.html").read_text(encoding="utf-8")


def test_report_contains_every_section(page):
    for anchor in (
        'id="training"',
        'id="benchmark"',
        'id="capabilities"',
        'id="strategies"',
        'id="scc"',
        'id="general"',
        'id="dialogues"',
    ):
        assert anchor in page, anchor
    # base and trained share a policy name, so the folders name them.
    assert "<td>trained</td>" in page and "<td>base</td>" in page
    images = re.findall(r'<img src="data:image/png;base64,', page)
    assert len(images) >= 10
    # Self-contained: no external resource of any kind.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    data = json.loads(
        re.search(r'<script type="application/json" id="rlver-dialogues">(.*?)</script>', page, re.S).group(1)
    )
    assert [s["name"] for s in data] == ["base", "trained", "training rollouts, step 11"]
    turn = data[1]["dialogues"][0]["turns"][1]
    assert (
        turn["appraisal"]["activity"].startswith("I notice they chose")
        and "applied_change" in turn["appraisal"]
    )


def test_policy_text_cannot_inject_markup(page):
    assert "window.pwned" in page  # the text is there, as data...
    assert "<script>window.pwned" not in page and "<img src=x" not in page  # ...never as markup
    assert page.count("</script>") == 3  # the report's own three script elements
    blob = re.search(r'id="rlver-dialogues">(.*?)</script>', page, re.S).group(1)
    assert json.loads(blob)[0]["dialogues"][0]["turns"][1]["text"] == EVIL


def test_names_titles_and_paths_from_files_stay_text(tmp_path):
    """Every value the template shows is escaped, not only transcripts: model names, paths, the title."""
    run = tmp_path / "run"
    hostile = '<b onmouseover="window.pwned=3">x</b>'
    make_bench_dir(run / "bench" / "evil", policy=hostile, n_profiles=1)
    broken = run / "bench" / '<img src=x onerror="window.pwned=4">'
    broken.mkdir(parents=True)
    (broken / "summary.json").write_text("{not json")
    page = write_report(run, tmp_path / "r.html", title="</title><script>window.pwned=5</script>").read_text(
        encoding="utf-8"
    )
    assert "<b onmouseover" not in page and "<img src=x" not in page and "<script>window.pwned" not in page
    assert "&lt;b onmouseover=&#34;window.pwned=3&#34;&gt;x&lt;/b&gt;</td>" in page  # leaderboard cell
    assert 'onerror=&#34;window.pwned=4&#34;&gt;/summary.json' in page  # the unreadable file's path
    assert "<title>&lt;/title&gt;&lt;script&gt;window.pwned=5&lt;/script&gt;</title>" in page
    assert page.count("</script>") == 3


def test_templates_are_package_data():
    """The page is built from templates shipped with the package (pyproject: ``**/*.html``)."""
    from importlib import resources

    folder = resources.files("rlver.report").joinpath("templates")
    names = sorted(entry.name for entry in folder.iterdir() if entry.is_file())
    assert "report.html" in names and all(name.endswith(".html") for name in names)


def test_report_of_a_single_benchmark_dir_and_no_embed(run_dir, tmp_path):
    out = write_report(run_dir / "bench" / "trained", tmp_path / "single.html", embed_images=False)
    page = out.read_text(encoding="utf-8")
    assert 'id="training"' not in page and 'id="benchmark"' in page
    files = sorted((tmp_path / "single_files").glob("*.png"))
    assert files and all(f'src="single_files/{f.name}"' in page for f in files)


def test_report_tolerates_missing_and_broken_pieces(tmp_path):
    run = write_metrics(tmp_path / "run", steps=3)
    (run / "bench").mkdir()
    broken = run / "bench" / "broken"
    broken.mkdir()
    (broken / "summary.json").write_text("{not json")
    page = write_report(run).read_text(encoding="utf-8")
    assert (run / "report.html").is_file()
    assert 'id="training"' in page and 'id="problems"' in page and "summary.json" in page
    empty = tmp_path / "empty"
    empty.mkdir()
    assert "Nothing to report" in write_report(empty).read_text(encoding="utf-8")


def test_cli_report(run_dir, tmp_path):
    out = tmp_path / "cli.html"
    extra = make_bench_dir(tmp_path / "extra", policy="other", n_profiles=1)
    result = CliRunner().invoke(
        app, ["report", str(run_dir), "--out", str(out), "--bench", str(extra), "--title", "My run"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<title>My run</title>" in page and "<td>extra</td>" in page
    result = CliRunner().invoke(app, ["report", str(tmp_path / "nope")])
    assert result.exit_code == 2 and "not a directory" in result.output


@pytest.mark.parametrize(
    "module",
    [
        "rlver.report",
        "rlver.report.plots",
        "rlver.report.html",
        "rlver.report._sections",
        "rlver.bench.compare",
        "rlver.bench.sage_import",
        "rlver.bench.judge",
        "rlver.bench.capabilities",
        "rlver.bench.strategies",
        "rlver.bench.scc",
        "rlver.bench.general",
    ],
)
def test_public_api_is_what_all_says(module):
    import importlib

    mod = importlib.import_module(module)
    assert len(set(mod.__all__)) == len(mod.__all__)
    missing = [name for name in mod.__all__ if not hasattr(mod, name)]
    assert missing == []


def test_rollouts_of_the_last_step_only_and_a_partial_last_line_is_not_a_problem(tmp_path):
    from rlver.report.html import collect_report_data

    (tmp_path / "rollouts.jsonl").write_text(
        '{"step": 1, "id": "a"}\nbad\n{"step": 2, "id": "b"}\n{"step": 2, "id": "c"}\n{"step": 3, "id"'
    )
    data = collect_report_data(tmp_path)
    assert [r["id"] for r in data.rollouts] == ["b", "c"]
    assert len(data.problems) == 1 and "rollouts.jsonl:2" in data.problems[0]
