"""From what a report found on disk to what its page shows: figures, tables and dialogues.

Pure data preparation for ``templates/report.html``: charts become ``<img>`` sources (PNG data URIs
or files beside the page), tables stay rows of plain values (the template formats and escapes them),
dialogues stay dicts (embedded as JSON for the viewer). Nothing here writes markup.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlver.bench.compare import LEADERBOARD_COLUMNS, leaderboard
from rlver.report import plots

if TYPE_CHECKING:
    from rlver.report.html import ReportData

__all__ = [
    "Figure",
    "Table",
    "Training",
    "Benchmark",
    "Part",
    "Images",
    "training_section",
    "bench_section",
    "analysis_parts",
    "viewer_sources",
]


@dataclass(frozen=True)
class Figure:
    """One chart: an ``<img>`` source (data URI or relative path) and its caption."""

    src: str
    caption: str


@dataclass(frozen=True)
class Table:
    """Rows of cells; the template right-aligns numbers and shows floats with two decimals."""

    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str = ""
    """A line shown above the table (empty: none)."""


@dataclass(frozen=True)
class Training:
    """The training section: curves of ``metrics.jsonl``, the last step's values, its rollouts."""

    steps: int
    source: str
    figures: list[Figure]
    table: Table


@dataclass(frozen=True)
class Benchmark:
    """The Sentient Benchmark section: leaderboard, scores, outcomes, emotion trajectories."""

    mixed: bool
    """Results from different simulators or presets: the page warns that scores do not compare."""
    table: Table
    figures: list[Figure]
    trajectories: list[Figure]


@dataclass(frozen=True)
class Part:
    """One analysis sub-section (``<h3 id=anchor>``): charts, then tables."""

    anchor: str
    title: str
    figures: list[Figure]
    tables: list[Table]


class Images:
    """Turns figures into ``<img>`` sources: base64 data URIs, or PNG files beside the report."""

    def __init__(self, out_path: Path, embed: bool) -> None:
        self.embed = embed
        self.folder = out_path.parent / f"{out_path.stem}_files"
        self.count = 0

    def figure(self, figure: Any, name: str, caption: str) -> Figure:
        self.count += 1
        if self.embed:
            src = "data:image/png;base64," + base64.b64encode(plots.figure_png(figure)).decode("ascii")
        else:
            path = plots.save_figure(figure, self.folder / f"{self.count:02d}-{name}.png")
            src = f"{self.folder.name}/{path.name}"
        return Figure(src=src, caption=caption)


def training_section(data: ReportData, images: Images) -> Training | None:
    """``None`` when the run logged no metrics."""
    if not data.metrics:
        return None
    last = data.metrics[-1]
    keys = [k for k, _ in plots.TRAINING_KEYS if k in last]
    # The final emotion is RLVER's reward (x 100) whichever reward trained the run (final emotion or deltas).
    curve = plots.plot_reward_curve(
        data.metrics, key="emotion/final_mean", ylabel="final emotion (0-100)", title="Final emotion per step"
    )
    figures = [
        images.figure(
            curve, "reward", "Final emotion of the training dialogues per step (RLVER's reward x 100)"
        ),
        images.figure(plots.plot_training_curves(data.metrics), "curves", "Training curves"),
    ]
    if data.rollouts:
        step = data.rollouts[0].get("step")
        fig = plots.plot_emotion_trajectories(data.rollouts, title=f"Training rollouts, step {step}")
        figures.append(images.figure(fig, "rollouts", f"Emotion trajectories of the rollouts of step {step}"))
    return Training(
        steps=len(data.metrics),
        source=str(data.root / "metrics.jsonl"),
        figures=figures,
        table=Table(["metric", "last value"], [(k, last[k]) for k in keys]),
    )


def bench_section(data: ReportData, images: Images) -> Benchmark | None:
    """``None`` when no benchmark output was found."""
    if not data.benches:
        return None
    results = [b.result for b in data.benches]
    rows = leaderboard(results, allow_mixed=True)
    by_path = {str(b.result.path): b.name for b in data.benches}
    rows = [type(r)(**{**r.to_dict(), "name": by_path.get(r.path, r.name)}) for r in rows]
    table = Table(
        list(LEADERBOARD_COLUMNS),
        [r.cells() for r in rows],
    )
    summaries = {b.name: b.result.summary for b in data.benches}
    figures = [
        images.figure(plots.plot_leaderboard(rows), "leaderboard", "Leaderboard: score (success / failure)"),
        images.figure(
            plots.plot_score_bars({n: s.get("score") for n, s in summaries.items()}),
            "scores",
            "Sentient Benchmark score per model",
        ),
        images.figure(plots.plot_outcome_counts(summaries), "outcomes", "Success and failure counts"),
    ]
    trajectories = [
        images.figure(
            plots.plot_emotion_trajectories(b.result.rows, title=b.name),
            "trajectories",
            f"Emotion trajectories: {b.name}",
        )
        for b in data.benches
        if b.result.rows
    ]
    if len(data.benches) >= 2 and data.benches[0].result.rows and data.benches[-1].result.rows:
        first, last = data.benches[0], data.benches[-1]
        fig = plots.plot_trajectory_pairs(first.result.rows, last.result.rows, labels=(first.name, last.name))
        trajectories.append(images.figure(fig, "pairs", f"Same profiles: {first.name} vs {last.name}"))
    return Benchmark(
        mixed=len({(r.simulator, r.preset) for r in results}) > 1,
        table=table,
        figures=figures,
        trajectories=trajectories,
    )


def _capabilities_part(data: ReportData, images: Images) -> Part | None:
    from rlver.bench.capabilities import CAPABILITIES, CAPABILITY_NAMES

    caps = {b.name: b.capabilities for b in data.benches if b.capabilities and b.capabilities.get("means")}
    if not caps:
        return None
    fig = plots.plot_capability_radar({n: c["means"] for n, c in caps.items()})
    table = Table(
        ["model", *[CAPABILITY_NAMES[k]["en"] for k in CAPABILITIES], "n", "errors", "judge"],
        [
            (n, *[c["means"].get(k) for k in CAPABILITIES], c.get("n"), c.get("errors"), c.get("judge"))
            for n, c in caps.items()
        ],
    )
    return Part(
        "capabilities", "Five capabilities", [images.figure(fig, "radar", "Capability radar (1-5)")], [table]
    )


def _share_and_change(strategy: str, analysis: dict[str, Any]) -> str:
    """``"45% / +0.12"``: the strategy's share of replies and the mean emotion change after it."""
    change = (analysis.get("contributions") or {}).get(strategy, {}).get("mean_change")
    share = f"{100 * float(analysis['distribution'].get(strategy, 0)):.0f}%"
    return f"{share} / {'–' if change is None else f'{change:+.2f}'}"


def _strategies_part(data: ReportData, images: Images) -> Part | None:
    from rlver.bench.strategies import ESCONV_STRATEGIES

    strategies = {
        b.name: b.strategies for b in data.benches if b.strategies and b.strategies.get("distribution")
    }
    if not strategies:
        return None
    dist = plots.plot_strategy_distribution({n: s["distribution"] for n, s in strategies.items()})
    contrib = plots.plot_strategy_contributions(
        {n: s.get("contributions") or {} for n, s in strategies.items()}
    )
    table = Table(
        ["strategy", *[f"{n}: share / mean Δ" for n in strategies]],
        [(s, *[_share_and_change(s, v) for v in strategies.values()]) for s in ESCONV_STRATEGIES],
    )
    figures = [
        images.figure(dist, "strategies", "Strategy distribution"),
        images.figure(contrib, "contributions", "Strategy contribution (mean emotion change)"),
    ]
    return Part("strategies", "Support strategies", figures, [table])


def _scc_part(data: ReportData, images: Images) -> Part | None:
    scc = {b.name: b.scc for b in data.benches if b.scc and b.scc.get("coordinate")}
    if not scc:
        return None
    points = {n: (float(s["coordinate"]["x"]), float(s["coordinate"]["y"])) for n, s in scc.items()}
    table = Table(
        ["model", "empathy (x)", "creativity (y)", "judge"],
        [(n, x, y, scc[n].get("judge")) for n, (x, y) in points.items()],
    )
    figure = images.figure(plots.plot_scc(points), "scc", "SCC map")
    return Part("scc", "Social-cognition coordinates", [figure], [table])


def _general_part(data: ReportData) -> Part | None:
    if not data.general:
        return None
    from rlver.bench.general.runner import CATEGORIES, compare_general

    rows = [
        (label, *[(g["by_category"].get(c) or {}).get("accuracy") for c in CATEGORIES], g.get("accuracy"))
        for label, g in data.general
    ]
    tables = [Table(["run", *CATEGORIES, "overall"], rows)]
    if len(data.general) >= 2:
        (b_name, before), (a_name, after) = data.general[0], data.general[-1]
        tables.append(
            Table(
                ["category", "before", "after", "delta"],
                [(d.category, d.before, d.after, d.delta) for d in compare_general(before, after)],
                note=f"{a_name} − {b_name}:",
            )
        )
    return Part("general", "General-ability retention (accuracy)", [], tables)


def analysis_parts(data: ReportData, images: Images) -> list[Part]:
    """The analyses found (capabilities, strategies, SCC, general ability), in page order."""
    parts = [
        _capabilities_part(data, images),
        _strategies_part(data, images),
        _scc_part(data, images),
        _general_part(data),
    ]
    return [p for p in parts if p is not None]


_VIEWER_KEYS = (
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


def viewer_sources(data: ReportData, max_dialogues: int) -> list[dict[str, Any]]:
    """The viewer's drop-down: per benchmark output (then the training rollouts), its first dialogues."""
    sources = []
    for bench in data.benches:
        dialogues = [{k: r.get(k) for k in _VIEWER_KEYS} for r in bench.result.rows[:max_dialogues]]
        if dialogues:
            sources.append({"name": bench.name, "dialogues": dialogues})
    if data.rollouts:
        step = data.rollouts[0].get("step")
        sources.append(
            {
                "name": f"training rollouts, step {step}",
                "dialogues": [{k: r.get(k) for k in _VIEWER_KEYS} for r in data.rollouts[:max_dialogues]],
            }
        )
    return sources
