"""A static, self-contained HTML report of a training run or of benchmark outputs.

``write_report(run_dir, out_path)`` gathers whatever exists (tolerating missing pieces):

- a training run: ``metrics.jsonl`` (training curves), ``rollouts.jsonl`` (latest step's dialogues);
- benchmark outputs: ``run_dir`` itself, ``run_dir/bench/*``, direct sub-directories, and any
  ``bench_dirs`` given (leaderboard, outcome counts, emotion trajectories);
- analyses inside each benchmark output's ``analysis/`` (capability radar, strategy charts, SCC map);
- general-ability summaries (``general.json``) anywhere up to three levels below ``run_dir``;

and writes one HTML file: charts are PNGs (matplotlib, Agg) embedded as base64 (or written beside
the HTML), the dialogue viewer is a few lines of vanilla JavaScript over JSON embedded in the page.
No CDN, no network. All transcript text is inserted with ``textContent`` / ``html.escape``: policy
output is untrusted and must not become markup.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Sequence

from rlver.bench.compare import (
    BenchResult,
    ResultFileError,
    is_bench_dir,
    leaderboard,
    load_result,
    read_jsonl,
)
from rlver.report import plots
from rlver.utils.io import atomic_write_text

__all__ = ["BenchEntry", "ReportData", "collect_report_data", "write_report"]


@dataclass
class BenchEntry:
    """One benchmark output and the analyses found beside it."""

    name: str
    result: BenchResult
    capabilities: dict[str, Any] | None = None
    strategies: dict[str, Any] | None = None
    scc: dict[str, Any] | None = None


@dataclass
class ReportData:
    """Everything a report shows, as found on disk."""

    root: Path
    metrics: list[dict[str, Any]] = field(default_factory=list)
    rollouts: list[dict[str, Any]] = field(default_factory=list)
    benches: list[BenchEntry] = field(default_factory=list)
    general: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Files that exist but could not be read (shown in the report, never fatal)."""


def _read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return None
    return data if isinstance(data, dict) else None


def _bench_candidates(root: Path, extra: Sequence[str | Path]) -> list[Path]:
    found: list[Path] = []
    if is_bench_dir(root):
        found.append(root)
    for parent in (root / "bench", root):
        if parent.is_dir():
            found.extend(sorted(p for p in parent.iterdir() if p.is_dir() and is_bench_dir(p)))
    found.extend(Path(p) for p in extra)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _names(paths: Sequence[Path], policies: Sequence[str]) -> list[str]:
    """Display names: the policy name, or the folder name when policies repeat (base vs trained)."""
    if len(set(policies)) == len(policies):
        return list(policies)
    return [p.name if p.name not in ("", ".") else pol for p, pol in zip(paths, policies)]


def collect_report_data(run_dir: str | Path, *, bench_dirs: Sequence[str | Path] = ()) -> ReportData:
    """Read everything the report can show from ``run_dir`` (and ``bench_dirs``)."""
    root = Path(run_dir)
    if not root.is_dir():
        raise ResultFileError(f"{root}: not a directory (expected a training run or a benchmark output)")
    data = ReportData(root=root)
    if (root / "metrics.jsonl").is_file():
        try:
            data.metrics = read_jsonl(root / "metrics.jsonl")
        except ResultFileError as exc:
            data.problems.append(str(exc))
    if (root / "rollouts.jsonl").is_file():
        data.rollouts = _last_step_rollouts(root / "rollouts.jsonl", data.problems)

    results = []
    for path in _bench_candidates(root, bench_dirs):
        try:
            results.append(load_result(path))
        except ResultFileError as exc:
            data.problems.append(str(exc))
    names = _names([r.path for r in results], [r.policy for r in results])
    for name, result in zip(names, results):
        analysis = result.path / "analysis"
        data.benches.append(
            BenchEntry(
                name=name,
                result=result,
                capabilities=_read_json(analysis / "capabilities.json", data.problems),
                strategies=_read_json(analysis / "strategies.json", data.problems),
                scc=_read_json(analysis / "scc.json", data.problems),
            )
        )
    for path in (
        sorted(root.glob("general.json"))
        + sorted(root.glob("*/general.json"))
        + sorted(root.glob("*/*/general.json"))
    ):
        summary = _read_json(path, data.problems)
        if summary is not None and "by_category" in summary:
            label = path.parent.name if path.parent != root else str(summary.get("policy", "general"))
            data.general.append((label, summary))
    return data


def _last_step_rollouts(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """Rollouts of the highest ``step`` in ``rollouts.jsonl``, streamed (the file grows every step)."""
    kept: list[dict[str, Any]] = []
    last_step: int | None = None
    pending: str | None = None  # a bad line is only a problem if another line follows (else: mid-append)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if pending is not None:
                problems.append(pending)
                pending = None
            try:
                row = json.loads(line)
                step = int(row.get("step", 0))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
                pending = f"{path}:{number}: skipped ({exc})"
                continue
            if last_step is None or step > last_step:
                kept, last_step = [row], step
            elif step == last_step:
                kept.append(row)
    return kept


class _Images:
    """Turns figures into ``<img>`` sources: base64 data URIs, or PNG files beside the report."""

    def __init__(self, out_path: Path, embed: bool) -> None:
        self.embed = embed
        self.folder = out_path.parent / f"{out_path.stem}_files"
        self.count = 0

    def src(self, figure: Any, name: str) -> str:
        self.count += 1
        if self.embed:
            return "data:image/png;base64," + base64.b64encode(plots.figure_png(figure)).decode("ascii")
        path = plots.save_figure(figure, self.folder / f"{self.count:02d}-{name}.png")
        return f"{self.folder.name}/{path.name}"


def _figure(images: _Images, figure: Any, name: str, caption: str) -> str:
    src = images.src(figure, name)
    return f'<figure><img src="{html.escape(src)}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption></figure>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f'<td class="num">{value:.2f}</td>'
        if isinstance(value, int):
            return f'<td class="num">{value}</td>'
        return f"<td>{html.escape('–' if value is None else str(value))}</td>"

    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _training_section(data: ReportData, images: _Images) -> str:
    if not data.metrics:
        return ""
    last = data.metrics[-1]
    keys = [k for k, _ in plots.TRAINING_KEYS if k in last]
    # The final emotion is RLVER's reward (x 100) whichever reward trained the run (final emotion or deltas).
    curve = plots.plot_reward_curve(
        data.metrics, key="emotion/final_mean", ylabel="final emotion (0-100)", title="Final emotion per step"
    )
    charts = _figure(images, curve, "reward", "Final emotion of the training dialogues per step (RLVER's reward x 100)")
    charts += _figure(images, plots.plot_training_curves(data.metrics), "curves", "Training curves")
    table = _table(["metric", "last value"], [(k, last[k]) for k in keys])
    trajectories = ""
    if data.rollouts:
        step = data.rollouts[0].get("step")
        fig = plots.plot_emotion_trajectories(data.rollouts, title=f"Training rollouts, step {step}")
        trajectories = _figure(
            images, fig, "rollouts", f"Emotion trajectories of the rollouts of step {step}"
        )
    return (
        f'<section id="training"><h2>Training</h2><p class="note">{len(data.metrics)} steps logged in '
        f'{html.escape(str(data.root / "metrics.jsonl"))}.</p><div class="charts">{charts}{trajectories}</div>{table}</section>'
    )


def _bench_section(data: ReportData, images: _Images) -> str:
    if not data.benches:
        return ""
    results = [b.result for b in data.benches]
    mixed = len({(r.simulator, r.preset) for r in results}) > 1
    rows = leaderboard(results, allow_mixed=True)
    by_path = {str(b.result.path): b.name for b in data.benches}
    rows = [type(r)(**{**r.to_dict(), "name": by_path.get(r.path, r.name)}) for r in rows]
    warning = (
        '<p class="warn">These results come from different simulators or presets; their scores are not directly comparable.</p>'
        if mixed
        else ""
    )
    table = _table(
        ["#", "model", "score", "success", "failure", "n", "errors", "mean turns", "simulator", "preset"],
        [
            (
                r.rank,
                r.name,
                r.score,
                r.success,
                r.failure,
                r.n,
                r.errors,
                r.mean_turns,
                r.simulator,
                r.preset,
            )
            for r in rows
        ],
    )
    charts = _figure(
        images, plots.plot_leaderboard(rows), "leaderboard", "Leaderboard: score (success / failure)"
    )
    summaries = {b.name: b.result.summary for b in data.benches}
    charts += _figure(
        images,
        plots.plot_score_bars({n: s.get("score") for n, s in summaries.items()}),
        "scores",
        "Sentient Benchmark score per model",
    )
    charts += _figure(images, plots.plot_outcome_counts(summaries), "outcomes", "Success and failure counts")
    trajectories = "".join(
        _figure(
            images,
            plots.plot_emotion_trajectories(b.result.rows, title=b.name),
            "trajectories",
            f"Emotion trajectories: {b.name}",
        )
        for b in data.benches
        if b.result.rows
    )
    if len(data.benches) >= 2 and data.benches[0].result.rows and data.benches[-1].result.rows:
        first, last = data.benches[0], data.benches[-1]
        fig = plots.plot_trajectory_pairs(first.result.rows, last.result.rows, labels=(first.name, last.name))
        trajectories += _figure(images, fig, "pairs", f"Same profiles: {first.name} vs {last.name}")
    return (
        f'<section id="benchmark"><h2>Sentient Benchmark</h2>{warning}{table}<div class="charts">{charts}</div>'
        f'<h3>Emotion trajectories</h3><div class="charts">{trajectories}</div></section>'
    )


def _analysis_section(data: ReportData, images: _Images) -> str:
    from rlver.bench.capabilities import CAPABILITIES, CAPABILITY_NAMES
    from rlver.bench.strategies import ESCONV_STRATEGIES

    parts = []
    caps = {b.name: b.capabilities for b in data.benches if b.capabilities and b.capabilities.get("means")}
    if caps:
        fig = plots.plot_capability_radar({n: c["means"] for n, c in caps.items()})
        table = _table(
            ["model", *[CAPABILITY_NAMES[k]["en"] for k in CAPABILITIES], "n", "errors", "judge"],
            [
                (n, *[c["means"].get(k) for k in CAPABILITIES], c.get("n"), c.get("errors"), c.get("judge"))
                for n, c in caps.items()
            ],
        )
        parts.append(
            f'<h3 id="capabilities">Five capabilities</h3><div class="charts">{_figure(images, fig, "radar", "Capability radar (1-5)")}</div>{table}'
        )
    strategies = {
        b.name: b.strategies for b in data.benches if b.strategies and b.strategies.get("distribution")
    }
    if strategies:
        dist = plots.plot_strategy_distribution({n: s["distribution"] for n, s in strategies.items()})
        contrib = plots.plot_strategy_contributions(
            {n: s.get("contributions") or {} for n, s in strategies.items()}
        )
        table = _table(
            ["strategy", *[f"{n}: share / mean Δ" for n in strategies]],
            [
                (
                    s,
                    *[
                        f"{100 * float(v['distribution'].get(s, 0)):.0f}% / "
                        + (
                            "–"
                            if (v.get("contributions") or {}).get(s, {}).get("mean_change") is None
                            else f"{v['contributions'][s]['mean_change']:+.2f}"
                        )
                        for v in strategies.values()
                    ],
                )
                for s in ESCONV_STRATEGIES
            ],
        )
        charts = _figure(images, dist, "strategies", "Strategy distribution") + _figure(
            images, contrib, "contributions", "Strategy contribution (mean emotion change)"
        )
        parts.append(f'<h3 id="strategies">Support strategies</h3><div class="charts">{charts}</div>{table}')
    scc = {b.name: b.scc for b in data.benches if b.scc and b.scc.get("coordinate")}
    if scc:
        points = {n: (float(s["coordinate"]["x"]), float(s["coordinate"]["y"])) for n, s in scc.items()}
        table = _table(
            ["model", "empathy (x)", "creativity (y)", "judge"],
            [(n, x, y, scc[n].get("judge")) for n, (x, y) in points.items()],
        )
        parts.append(
            f'<h3 id="scc">Social-cognition coordinates</h3><div class="charts">{_figure(images, plots.plot_scc(points), "scc", "SCC map")}</div>{table}'
        )
    if data.general:
        from rlver.bench.general.runner import CATEGORIES, compare_general

        rows = [
            (label, *[(g["by_category"].get(c) or {}).get("accuracy") for c in CATEGORIES], g.get("accuracy"))
            for label, g in data.general
        ]
        table = _table(["run", *CATEGORIES, "overall"], rows)
        if len(data.general) >= 2:
            (b_name, before), (a_name, after) = data.general[0], data.general[-1]
            deltas = compare_general(before, after)
            table += f'<p class="note">{html.escape(a_name)} − {html.escape(b_name)}:</p>' + _table(
                ["category", "before", "after", "delta"],
                [(d.category, d.before, d.after, d.delta) for d in deltas],
            )
        parts.append(f'<h3 id="general">General-ability retention (accuracy)</h3>{table}')
    if not parts:
        return ""
    return '<section id="analyses"><h2>Analyses</h2>' + "".join(parts) + "</section>"


def _viewer_sources(data: ReportData, max_dialogues: int) -> list[dict[str, Any]]:
    keep = (
        "id",
        "profile_id",
        "policy",
        "simulator",
        "preset",
        "turns",
        "emotions",
        "final_emotion",
        "end_reason",
        "error",
    )
    sources = []
    for bench in data.benches:
        dialogues = [{k: r.get(k) for k in keep} for r in bench.result.rows[:max_dialogues]]
        if dialogues:
            sources.append({"name": bench.name, "dialogues": dialogues})
    if data.rollouts:
        step = data.rollouts[0].get("step")
        sources.append(
            {
                "name": f"training rollouts, step {step}",
                "dialogues": [{k: r.get(k) for k in keep} for r in data.rollouts[:max_dialogues]],
            }
        )
    return sources


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` can end the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def write_report(
    run_dir: str | Path,
    out_path: str | Path | None = None,
    *,
    bench_dirs: Sequence[str | Path] = (),
    embed_images: bool = True,
    max_dialogues: int = 50,
    title: str | None = None,
) -> Path:
    """Write the HTML report of ``run_dir`` (default ``run_dir/report.html``) and return its path."""
    data = collect_report_data(run_dir, bench_dirs=bench_dirs)
    out = Path(out_path) if out_path is not None else data.root / "report.html"
    images = _Images(out, embed_images)
    sections = [
        _training_section(data, images),
        _bench_section(data, images),
        _analysis_section(data, images),
    ]
    sources = _viewer_sources(data, max_dialogues)
    if sources:
        sections.append(
            '<section id="dialogues"><h2>Dialogues</h2><p class="note">Each assistant reply is shown with the simulated '
            "user's appraisal of it (inner activity, analysis, emotion change); user turns show the emotion they were "
            'written with.</p><div id="viewer"><div id="viewer-controls"><label>source <select id="viewer-source"></select></label>'
            '<label>dialogue <select id="viewer-dialogue"></select></label></div><div id="viewer-meta"></div>'
            '<div id="viewer-turns"></div></div></section>'
        )
    if data.problems:
        items = "".join(f"<li>{html.escape(p)}</li>" for p in data.problems)
        sections.append(
            f'<section id="problems"><h2>Files that could not be read</h2><ul>{items}</ul></section>'
        )
    body = (
        "\n".join(s for s in sections if s)
        or '<p class="note">Nothing to report: no metrics, benchmark outputs or analyses found.</p>'
    )
    nav_targets = [
        ("training", "Training", data.metrics),
        ("benchmark", "Benchmark", data.benches),
        ("analyses", "Analyses", "analyses" in body),
        ("dialogues", "Dialogues", sources),
    ]
    nav = "".join(f'<a href="#{anchor}">{label}</a>' for anchor, label, present in nav_targets if present)
    created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    page_title = title or f"rlver report — {data.root.resolve().name}"
    template = resources.files("rlver.report").joinpath("templates/report.html").read_text(encoding="utf-8")
    values = {
        "TITLE": html.escape(page_title),
        "SUBTITLE": html.escape(f"{data.root} · generated {created}"),
        "NAV": nav,
        "BODY": body,
        "DATA": _script_json(sources),
    }
    # One pass: text substituted in is never scanned again, so "{{DATA}}" inside a transcript stays text.
    page = re.sub(r"\{\{(TITLE|SUBTITLE|NAV|BODY|DATA)\}\}", lambda m: values[m.group(1)], template)
    atomic_write_text(out, page)
    return out
