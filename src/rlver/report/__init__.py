"""rlver.report: charts (matplotlib, Agg) and a static, self-contained HTML report."""

from rlver.utils.lazy import lazy_exports


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

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "rlver.report.html": ["BenchEntry", "ReportData", "collect_report_data", "write_report"],
        "rlver.report.plots": [
            "figure_png",
            "plot_capability_radar",
            "plot_emotion_trajectories",
            "plot_leaderboard",
            "plot_outcome_counts",
            "plot_reward_curve",
            "plot_scc",
            "plot_score_bars",
            "plot_strategy_contributions",
            "plot_strategy_distribution",
            "plot_training_curves",
            "plot_trajectory_pairs",
            "save_figure",
        ],
    },
)
