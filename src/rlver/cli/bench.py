"""``rlver bench``: the Sentient Benchmark of one policy over a set of profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rlver.cli._common import ALLOW_ERRORS_HELP, check_failures, cli_errors, console, parse_allowance, run_async
from rlver.cli._specs import (
    MAX_NEW_TOKENS_HELP,
    POLICY_SPECS,
    SIMULATOR_SPECS,
    TEMPERATURE_HELP,
    TOP_P_HELP,
    EndpointOptions,
    PolicySampling,
    key_env_help,
    make_policy,
    make_simulator,
)
from rlver.simulator.presets import PRESETS, get_preset

__all__ = ["register", "bench_app", "print_summary"]

bench_app = typer.Typer(
    help="Sentient Benchmark: run a policy against simulated users (score / success / failure).",
    invoke_without_command=True,
    no_args_is_help=False,
)


def print_summary(summary: dict, title: str = "Sentient Benchmark") -> None:
    table = Table(title=title, show_header=True, header_style="bold")
    for col in ("score", "success", "failure", "n", "errors", "mean_turns"):
        table.add_column(col, justify="right")
    table.add_row(*(str(summary.get(c)) for c in ("score", "success", "failure", "n", "errors", "mean_turns")))
    console.print(table)
    console.print(
        f"policy [bold]{summary['policy']}[/]  simulator [bold]{summary['simulator']}[/]  preset [bold]{summary['preset']}[/]",
        highlight=False,
    )


@bench_app.callback()
@cli_errors
def bench(
    ctx: typer.Context,
    profiles: Optional[str] = typer.Option(None, help="Profiles: a JSONL/YAML path, builtin:test or builtin:train."),
    policy: str = typer.Option("reference:random", help=f"Policy spec: {POLICY_SPECS}."),
    policy_base_url: Optional[str] = typer.Option(None, help="Base URL of the policy's OpenAI-compatible endpoint."),
    policy_key_env: Optional[str] = typer.Option(None, help=key_env_help("policy")),
    simulator: str = typer.Option("offline", help=f"Simulator spec: {SIMULATOR_SPECS}."),
    simulator_base_url: Optional[str] = typer.Option(None, help="Base URL of the simulator's endpoint."),
    simulator_key_env: Optional[str] = typer.Option(None, help=key_env_help("simulator")),
    preset: str = typer.Option("sage", help=f"Simulator preset: {', '.join(PRESETS)}."),
    out: Optional[Path] = typer.Option(None, help="Output directory (dialogues.jsonl, summary.json); rerun to resume."),
    concurrency: int = typer.Option(16, min=1, help="Dialogues run at once."),
    limit: Optional[int] = typer.Option(None, min=1, help="Only the first N profiles."),
    seed: int = typer.Option(0, help="Simulator / policy seed."),
    think: bool = typer.Option(False, "--think", help="Think-then-say mode for the policy."),
    temperature: Optional[float] = typer.Option(None, help=TEMPERATURE_HELP),
    top_p: Optional[float] = typer.Option(None, help=TOP_P_HELP),
    max_new_tokens: Optional[int] = typer.Option(None, help=MAX_NEW_TOKENS_HELP),
    system_prompt: Optional[str] = typer.Option(None, help="Policy system prompt (default: rlver's)."),
    language: Optional[str] = typer.Option(None, help="Simulator prompt language (en|zh); default: the profile's."),
    cache_dir: Optional[Path] = typer.Option(None, help="Cache simulator responses here (reruns are free)."),
    allow_errors: str = typer.Option("0", help=ALLOW_ERRORS_HELP),
    preflight: bool = typer.Option(
        True, "--preflight/--no-preflight", help="Ask each endpoint once before starting; stop at once if one is down."
    ),
) -> None:
    """Run the benchmark: `rlver bench --profiles builtin:test --policy reference:oracle --out runs/b`."""
    if ctx.invoked_subcommand is not None:
        return
    if profiles is None or out is None:
        raise typer.BadParameter("--profiles and --out are required (or use a sub-command: see --help)")
    from rlver.bench.sentient import BenchConfig, run_benchmark
    from rlver.profiles.io import load_profiles

    tolerated = parse_allowance(allow_errors)

    profile_list = load_profiles(profiles)
    if limit is not None:
        profile_list = profile_list[:limit]
    preset_obj = get_preset(preset)
    policy_obj = make_policy(
        policy,
        EndpointOptions(base_url=policy_base_url, api_key_env=policy_key_env, seed=seed),
        seed=seed,
        sampling=PolicySampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens),
    )
    sim_options = EndpointOptions(
        base_url=simulator_base_url,
        api_key_env=simulator_key_env,
        seed=seed,
        cache_dir=str(cache_dir) if cache_dir else None,
    )
    simulator_obj = make_simulator(simulator, sim_options, language=language)
    config = BenchConfig(
        preset=preset_obj,
        concurrency=concurrency,
        seed=seed,
        think=think,
        system_prompt=system_prompt,
        profiles_source=profiles,
    )
    with Progress(
        TextColumn("[bold]bench[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[score]}"),
        TimeElapsedColumn(), console=console, transient=False,
    ) as progress:
        task = progress.add_task("bench", total=len(profile_list), score="")
        finals: list[int] = []

        def on_resume(done: int, total: int) -> None:
            progress.update(task, advance=done)
            progress.console.print(f"resuming: {done}/{total} dialogues already finished in {out}")

        def on_episode(episode) -> None:
            if episode.final_emotion is not None:
                finals.append(episode.final_emotion)
            mean = sum(finals) / len(finals) if finals else 0.0
            progress.update(task, advance=1, score=f"mean emotion {mean:.1f}")

        summary = run_async(
            lambda: run_benchmark(
                profile_list, policy_obj, simulator_obj, config, out, on_episode=on_episode, on_resume=on_resume
            ),
            policy_obj,
            simulator_obj,
            preflight=preflight,
        )
    print_summary(summary)
    console.print(f"wrote {out / 'dialogues.jsonl'} and {out / 'summary.json'}", highlight=False)
    check_failures(
        int(summary.get("errors") or 0),
        int(summary.get("errors") or 0) + int(summary.get("n") or 0),
        tolerated,
        what="dialogues",
        reasons=summary.get("error_reasons"),
    )


def compare(
    dirs: List[Path] = typer.Argument(..., help="Benchmark output directories."),
    markdown: Optional[Path] = typer.Option(None, help="Write the leaderboard as a Markdown table."),
    png: Optional[Path] = typer.Option(None, help="Write the leaderboard as a PNG bar chart."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Write the leaderboard as JSON."),
    allow_mixed: bool = typer.Option(
        False, "--allow-mixed", help="Rank results from different simulators/presets."
    ),
) -> None:
    """Rank benchmark outputs (score, success, failure, mean turns) run under one simulator and preset."""
    from rlver.bench.compare import LEADERBOARD_COLUMNS, leaderboard, leaderboard_markdown, load_result
    from rlver.utils.io import atomic_write_json, atomic_write_text

    rows = leaderboard([load_result(d, with_dialogues=False) for d in dirs], allow_mixed=allow_mixed)
    table = Table(title="Sentient Benchmark leaderboard")
    for column in LEADERBOARD_COLUMNS:
        table.add_column(column, justify="left" if column in ("model", "simulator", "preset") else "right")
    for r in rows:
        table.add_row(*(_cell(v) for v in r.cells()))
    console.print(table)
    if markdown is not None:
        atomic_write_text(markdown, leaderboard_markdown(rows))
        console.print(f"wrote {markdown}", highlight=False)
    if json_out is not None:
        atomic_write_json(json_out, [r.to_dict() for r in rows])
        console.print(f"wrote {json_out}", highlight=False)
    if png is not None:
        from rlver.report.plots import plot_leaderboard

        plot_leaderboard(rows, png)
        console.print(f"wrote {png}", highlight=False)


def import_sage(
    file: Path = typer.Argument(..., help="SAGE result file (JSONL, one dialogue per line)."),
    out: Path = typer.Option(..., help="Output directory (dialogues.jsonl, summary.json)."),
    policy: Optional[str] = typer.Option(
        None, help="Name of the model that was evaluated (default: the file name)."
    ),
    simulator: str = typer.Option(
        ..., help="Simulator model used by SAGE, e.g. deepseek-v3 (scores depend on it)."
    ),
    preset: str = typer.Option("sage", help="Preset name recorded in the summary."),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Skip malformed lines (listed in the summary)."
    ),
) -> None:
    """Convert an official SAGE result file into rlver's transcript and summary format."""
    from rlver.bench.sage_import import import_sage as do_import

    result = do_import(
        file, out, policy=policy or file.stem, simulator=simulator, preset=preset, skip_invalid=skip_invalid
    )
    s = result.summary
    console.print(
        f"imported {result.imported} dialogue(s): score {s['score']}, success {s['success']}, failure {s['failure']} "
        f"(policy {s['policy']}, simulator {s['simulator']}, preset {s['preset']})",
        highlight=False,
    )
    for line in result.skipped:
        console.print(f"skipped {line}", highlight=False)
    console.print(f"wrote {out / 'dialogues.jsonl'} and {out / 'summary.json'}", highlight=False)


def _cell(value: Any) -> str:
    return "–" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))


def register(app: typer.Typer) -> None:
    bench_app.command("compare")(cli_errors(compare))
    bench_app.command("import-sage")(cli_errors(import_sage))
    app.add_typer(bench_app, name="bench")
