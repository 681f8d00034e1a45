"""Charts of training runs and analyses, drawn with matplotlib's Agg backend (no display, no pyplot state).

Each ``plot_*`` function takes plain data (dicts and lists as read from rlver's JSON files), returns
the :class:`matplotlib.figure.Figure`, and writes a PNG atomically when ``path`` is given, so the
demo, the HTML report and users' notebooks can call them one by one.
"""

from __future__ import annotations

import io
import math
import statistics
from pathlib import Path
from typing import Any, Mapping, Sequence

from rlver.errors import ConfigError
from rlver.utils.io import atomic_path

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ModuleNotFoundError:  # pragma: no cover - matplotlib is in the `report` extra
    Figure = None  # type: ignore[assignment,misc]
    FigureCanvasAgg = None  # type: ignore[assignment,misc]

__all__ = [
    "save_figure",
    "figure_png",
    "plot_reward_curve",
    "plot_training_curves",
    "plot_score_bars",
    "plot_outcome_counts",
    "plot_emotion_trajectories",
    "plot_trajectory_pairs",
    "plot_leaderboard",
    "plot_capability_radar",
    "plot_strategy_distribution",
    "plot_strategy_contributions",
    "plot_scc",
    "TRAINING_KEYS",
]

TRAINING_KEYS: tuple[tuple[str, str], ...] = (
    ("reward/mean", "reward (the configured reward's return)"),
    ("emotion/final_mean", "final emotion"),
    ("rollout/turns_mean", "policy turns per dialogue"),
    ("rollout/format_violations", "format violations"),
    ("losses/policy", "policy loss"),
    ("losses/value", "value loss"),
    ("losses/approx_kl", "approx. KL"),
    ("losses/clipfrac", "clip fraction"),
    ("losses/entropy", "entropy"),
    ("perf/step_seconds", "seconds per step"),
)
_SUCCESS_COLOR, _FAILURE_COLOR, _OTHER_COLOR = "#2e7d32", "#c62828", "#9e9e9e"


def _figure(width: float = 7.0, height: float = 4.0) -> "Figure":
    if Figure is None:
        raise ConfigError("charts need matplotlib: pip install 'rlver[report]'")
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: "Figure", path: str | Path) -> Path:
    """Write ``fig`` as PNG to ``path`` atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    return path


def figure_png(fig: "Figure") -> bytes:
    """PNG bytes of ``fig`` (for embedding in HTML)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _done(fig: "Figure", path: str | Path | None) -> "Figure":
    if path is not None:
        save_figure(fig, path)
    return fig


def _colors(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _series(metrics: Sequence[Mapping[str, Any]], key: str) -> tuple[list[float], list[float]]:
    xs, ys = [], []
    for index, row in enumerate(metrics):
        value = row.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            xs.append(float(row.get("step", index)))
            ys.append(float(value))
    return xs, ys


def _moving_average(values: Sequence[float], window: int) -> list[float]:
    """Trailing mean over the last ``window`` points (shorter at the start)."""
    out = []
    for i in range(len(values)):
        chunk = values[max(0, i - window + 1) : i + 1]
        out.append(sum(chunk) / len(chunk))
    return out


def plot_reward_curve(
    metrics: Sequence[Mapping[str, Any]],
    path: str | Path | None = None,
    *,
    key: str = "reward/mean",
    window: int = 5,
    ylabel: str = "reward",
    title: str = "Training reward",
) -> "Figure":
    """``key`` (the reward by default) per training step (``metrics.jsonl`` rows) with a trailing moving average."""
    xs, ys = _series(metrics, key)
    fig = _figure()
    ax = fig.add_subplot()
    if xs:
        ax.plot(xs, ys, color="#90caf9", linewidth=1, marker="o", markersize=3, label=key)
        if len(ys) >= 3:
            ax.plot(
                xs,
                _moving_average(ys, window),
                color="#1565c0",
                linewidth=2,
                label=f"moving average ({window})",
            )
        ax.legend(loc="best")
    else:
        ax.text(0.5, 0.5, f"no '{key}' in metrics", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return _done(fig, path)


def plot_training_curves(metrics: Sequence[Mapping[str, Any]], path: str | Path | None = None) -> "Figure":
    """One small panel per known metric present in ``metrics`` (reward, emotion, losses, KL, …)."""
    present = [(k, label) for k, label in TRAINING_KEYS if _series(metrics, k)[0]]
    if not present:
        present = [("reward/mean", "reward")]
    cols = 2 if len(present) > 1 else 1
    rows = math.ceil(len(present) / cols)
    fig = _figure(9.0, 2.4 * rows + 0.6)
    for i, (key, label) in enumerate(present):
        ax = fig.add_subplot(rows, cols, i + 1)
        xs, ys = _series(metrics, key)
        ax.plot(xs, ys, color=_colors(len(present))[i], linewidth=1.5, marker="." if len(xs) < 40 else None)
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8)
    fig.suptitle("Training curves")
    return _done(fig, path)


def plot_score_bars(
    scores: Mapping[str, float | None],
    path: str | Path | None = None,
    *,
    title: str = "Sentient Benchmark score",
) -> "Figure":
    """One bar per model (e.g. ``{"base": 13.3, "trained": 79.2}``), value printed on each bar."""
    names = list(scores)
    values = [float(scores[n]) if scores[n] is not None else 0.0 for n in names]
    fig = _figure(max(4.0, 1.4 * len(names) + 2), 4.0)
    ax = fig.add_subplot()
    bars = ax.bar(names, values, color=_colors(len(names)))
    for bar, name in zip(bars, names):
        text = "–" if scores[name] is None else f"{float(scores[name]):.1f}"
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom")
    ax.set_ylim(0, 105)
    ax.set_ylabel("mean final emotion (0-100)")
    ax.set_title(title)
    ax.grid(axis="y", alpha=0.3)
    return _done(fig, path)


def plot_outcome_counts(
    outcomes: Mapping[str, Mapping[str, Any]],
    path: str | Path | None = None,
    *,
    title: str = "Dialogue outcomes",
) -> "Figure":
    """Stacked success / other / failure counts per model (summary dicts with success, failure, n)."""
    names = list(outcomes)
    success = [int(outcomes[n].get("success") or 0) for n in names]
    failure = [int(outcomes[n].get("failure") or 0) for n in names]
    other = [max(0, int(outcomes[n].get("n") or 0) - s - f) for n, s, f in zip(names, success, failure)]
    fig = _figure(max(4.0, 1.4 * len(names) + 2.5), 4.0)
    ax = fig.add_subplot()
    ax.bar(names, success, color=_SUCCESS_COLOR, label="success (emotion 100)")
    ax.bar(names, other, bottom=success, color=_OTHER_COLOR, label="in between")
    ax.bar(
        names,
        failure,
        bottom=[s + o for s, o in zip(success, other)],
        color=_FAILURE_COLOR,
        label="failure (< 10)",
    )
    for i, (s, o, f) in enumerate(zip(success, other, failure)):
        ax.annotate(f"{s} / {f}", (i, s + o + f), ha="center", va="bottom", fontsize=9)
    tallest = max((s + o + f for s, o, f in zip(success, other, failure)), default=0)
    ax.set_ylim(0, tallest * 1.15 + 0.5)  # room for the counts above the bars
    ax.set_ylabel("dialogues")
    ax.set_title(title + " (success / failure)")
    ax.legend(loc="upper left", fontsize=8, bbox_to_anchor=(1.0, 1.0))
    return _done(fig, path)


def _trajectory_axes(ax: Any) -> None:
    ax.axhline(100, color=_SUCCESS_COLOR, linestyle="--", linewidth=0.8)
    ax.axhline(10, color=_FAILURE_COLOR, linestyle="--", linewidth=0.8)
    ax.set_ylim(-3, 105)
    ax.set_xlabel("appraisal (policy turn)")
    ax.set_ylabel("emotion")
    ax.grid(alpha=0.3)


def plot_emotion_trajectories(
    rows: Sequence[Mapping[str, Any]],
    path: str | Path | None = None,
    *,
    max_dialogues: int = 12,
    title: str = "Emotion trajectories",
) -> "Figure":
    """Emotion after each appraisal, one line per dialogue (transcript rows), with the mean in bold."""
    chosen = [r for r in rows if r.get("emotions")][:max_dialogues]
    fig = _figure(7.5, 4.2)
    ax = fig.add_subplot()
    colors = _colors(len(chosen))
    for row, color in zip(chosen, colors):
        emotions = [float(e) for e in row["emotions"]]
        ax.plot(range(len(emotions)), emotions, color=color, alpha=0.55, linewidth=1.2, marker=".")
    if chosen:
        length = max(len(r["emotions"]) for r in chosen)
        mean = [
            statistics.fmean(float(r["emotions"][min(i, len(r["emotions"]) - 1)]) for r in chosen)
            for i in range(length)
        ]
        ax.plot(
            range(length),
            mean,
            color="black",
            linewidth=2.5,
            label="mean (finished dialogues hold their last value)",
        )
        ax.legend(loc="lower left", fontsize=8)
    _trajectory_axes(ax)
    ax.set_title(f"{title} ({len(chosen)} dialogues)")
    return _done(fig, path)


def plot_trajectory_pairs(
    before: Sequence[Mapping[str, Any]],
    after: Sequence[Mapping[str, Any]],
    path: str | Path | None = None,
    *,
    n: int = 3,
    labels: tuple[str, str] = ("before", "after"),
) -> "Figure":
    """The same profiles before and after training: one panel per profile, two trajectories each."""
    after_by_profile = {str(r.get("profile_id")): r for r in after if r.get("emotions")}
    pairs = [
        (b, after_by_profile[str(b.get("profile_id"))])
        for b in before
        if b.get("emotions") and str(b.get("profile_id")) in after_by_profile
    ][:n]
    fig = _figure(4.0 * max(1, len(pairs)), 3.6)
    if not pairs:
        ax = fig.add_subplot()
        ax.text(0.5, 0.5, "no profile appears in both runs", ha="center", va="center", transform=ax.transAxes)
        return _done(fig, path)
    for i, (b, a) in enumerate(pairs):
        ax = fig.add_subplot(1, len(pairs), i + 1)
        for row, label, color in ((b, labels[0], "#ef6c00"), (a, labels[1], "#1565c0")):
            emotions = [float(e) for e in row["emotions"]]
            ax.plot(
                range(len(emotions)),
                emotions,
                marker="o",
                markersize=3,
                color=color,
                label=f"{label}: {emotions[-1]:.0f}",
            )
        _trajectory_axes(ax)
        ax.set_title(str(b.get("profile_id"))[:28], fontsize=10)
        ax.legend(loc="lower right", fontsize=8)
    return _done(fig, path)


def plot_leaderboard(rows: Sequence[Any], path: str | Path | None = None) -> "Figure":
    """Horizontal score bars, best on top, annotated ``score  (success / failure)``.

    ``rows`` are :class:`rlver.bench.compare.LeaderboardRow` objects or their dicts.
    """
    data = [r if isinstance(r, Mapping) else r.to_dict() for r in rows]
    names = [str(d["name"]) for d in data][::-1]
    scores = [float(d["score"] or 0.0) for d in data][::-1]
    fig = _figure(8.0, 0.5 * len(data) + 1.6)
    ax = fig.add_subplot()
    bars = ax.barh(names, scores, color=_colors(len(data))[::-1])
    for bar, d in zip(bars, data[::-1]):
        score = "–" if d["score"] is None else f"{float(d['score']):.1f}"
        ax.annotate(
            f" {score}  ({d['success']} / {d['failure']})",
            (bar.get_width(), bar.get_y() + bar.get_height() / 2),
            va="center",
            fontsize=9,
        )
    ax.set_xlim(0, 118)
    ax.set_xlabel("score: mean final emotion   (success / failure)")
    sims = sorted({str(d["simulator"]) for d in data})
    presets = sorted({str(d["preset"]) for d in data})
    ax.set_title(
        f"Sentient Benchmark — simulator {', '.join(sims)}, preset {', '.join(presets)}", fontsize=10
    )
    ax.grid(axis="x", alpha=0.3)
    return _done(fig, path)


def plot_capability_radar(
    models: Mapping[str, Mapping[str, float | None]],
    path: str | Path | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> "Figure":
    """Radar of the five capability means (1-5) per model: ``{model: {capability: mean}}``."""
    from rlver.bench.capabilities import CAPABILITIES, CAPABILITY_NAMES

    axes_keys = list(CAPABILITIES)
    names = [(labels or {}).get(k) or CAPABILITY_NAMES[k]["en"] for k in axes_keys]
    angles = [2 * math.pi * i / len(axes_keys) for i in range(len(axes_keys))]
    fig = _figure(8.0, 5.6)
    ax = fig.add_subplot(projection="polar")
    for (model, means), color in zip(models.items(), _colors(len(models))):
        values = [float(means.get(k) or 0.0) for k in axes_keys]
        ax.plot(angles + angles[:1], values + values[:1], color=color, linewidth=2, label=model)
        ax.fill(angles + angles[:1], values + values[:1], color=color, alpha=0.12)
    ax.set_xticks(angles)
    ax.set_xticklabels(names, fontsize=9)
    ax.tick_params(axis="x", pad=10)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.set_title("Five capabilities (LLM judge, 1-5)")
    if models:
        ax.legend(loc="upper left", bbox_to_anchor=(1.12, 1.05), fontsize=8)
    return _done(fig, path)


def _grouped_bars(ax: Any, categories: Sequence[str], models: Mapping[str, Sequence[float]]) -> None:
    count = max(1, len(models))
    width = 0.8 / count
    for i, ((model, values), color) in enumerate(zip(models.items(), _colors(len(models)))):
        offsets = [c + (i - (count - 1) / 2) * width for c in range(len(categories))]
        ax.bar(offsets, values, width=width, color=color, label=model)
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([c.replace(" or ", " /\n").replace(" and ", " &\n") for c in categories], fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    if models:
        ax.legend(fontsize=8)


def plot_strategy_distribution(
    distributions: Mapping[str, Mapping[str, float]], path: str | Path | None = None
) -> "Figure":
    """Share of each ESConv strategy among policy turns, grouped bars per model."""
    from rlver.bench.strategies import ESCONV_STRATEGIES

    fig = _figure(10.0, 4.2)
    ax = fig.add_subplot()
    _grouped_bars(
        ax,
        ESCONV_STRATEGIES,
        {m: [100 * float(d.get(s, 0.0)) for s in ESCONV_STRATEGIES] for m, d in distributions.items()},
    )
    ax.set_ylabel("% of policy turns")
    ax.set_title("Support strategies used")
    return _done(fig, path)


def plot_strategy_contributions(
    contributions: Mapping[str, Mapping[str, Mapping[str, Any]]], path: str | Path | None = None
) -> "Figure":
    """Mean emotion change on the turns using each strategy (0 where a model never used it)."""
    from rlver.bench.strategies import ESCONV_STRATEGIES

    fig = _figure(10.0, 4.2)
    ax = fig.add_subplot()
    values = {
        m: [float((c.get(s) or {}).get("mean_change") or 0.0) for s in ESCONV_STRATEGIES]
        for m, c in contributions.items()
    }
    _grouped_bars(ax, ESCONV_STRATEGIES, values)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("mean emotion change per turn")
    ax.set_title("Strategy contribution")
    return _done(fig, path)


def plot_scc(points: Mapping[str, tuple[float, float]], path: str | Path | None = None) -> "Figure":
    """Social-cognition map: x solution (−) ↔ empathy (+), y structured (−) ↔ creative (+)."""
    fig = _figure(6.0, 5.6)
    ax = fig.add_subplot()
    ax.axhline(0, color="#757575", linewidth=0.8)
    ax.axvline(0, color="#757575", linewidth=0.8)
    for (model, (x, y)), color in zip(points.items(), _colors(len(points))):
        ax.scatter([x], [y], s=90, color=color, edgecolor="black", zorder=3)
        ax.annotate(model, (x, y), textcoords="offset points", xytext=(7, 6), fontsize=9)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-1.05, 1.05)
    ax.set_xlabel("solution-oriented  ←  →  empathy-oriented")
    ax.set_ylabel("structured  ←  →  creative")
    ax.set_title("Social-cognition coordinates")
    ax.grid(alpha=0.3)
    return _done(fig, path)
