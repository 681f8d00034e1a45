"""rlver.report: charts (matplotlib, Agg) and a static, self-contained HTML report."""

from rlver.report.html import BenchEntry, ReportData, collect_report_data, write_report
from rlver.report.plots import (
    figure_png,
    plot_capability_radar,
    plot_emotion_trajectories,
    plot_leaderboard,
    plot_outcome_counts,
    plot_reward_curve,
    plot_scc,
    plot_score_bars,
    plot_strategy_contributions,
    plot_strategy_distribution,
    plot_training_curves,
    plot_trajectory_pairs,
    save_figure,
)

__all__ = [
    "write_report",
    "collect_report_data",
    "ReportData",
    "BenchEntry",
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
]
