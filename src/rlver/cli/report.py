"""``rlver report``: a static, self-contained HTML report of a training run or benchmark outputs."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from rlver.cli._common import cli_errors, console

__all__ = ["register", "report"]


@cli_errors
def report(
    run_dir: Path = typer.Argument(..., help="A training run directory or a benchmark output directory."),
    out: Optional[Path] = typer.Option(None, help="HTML file to write (default: RUN_DIR/report.html)."),
    bench: List[Path] = typer.Option([], help="Extra benchmark output directories to include (repeatable)."),
    embed: bool = typer.Option(
        True, "--embed/--no-embed", help="Embed charts as base64 (one file) or write PNGs beside it."
    ),
    max_dialogues: int = typer.Option(50, min=1, help="Dialogues per source in the dialogue viewer."),
    title: Optional[str] = typer.Option(None, help="Report title."),
) -> None:
    """Training curves, leaderboard, emotion trajectories, analyses and a dialogue viewer in one HTML file."""
    from rlver.report.html import write_report

    path = write_report(
        run_dir, out, bench_dirs=bench, embed_images=embed, max_dialogues=max_dialogues, title=title
    )
    console.print(f"wrote {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report)
