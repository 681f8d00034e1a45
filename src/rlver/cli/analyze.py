"""``rlver analyze …`` (capabilities, strategies, scc, general, lm-eval) and ``rlver bench compare / import-sage``.

The analyses write their results into each benchmark directory's ``analysis/`` folder, where
``rlver report`` finds them. Judges are any OpenAI-compatible endpoint (``--judge openai:MODEL
--judge-base-url URL``), called greedily with a fixed seed; the API key comes from the environment
variable named by ``--judge-key-env`` and is never printed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Awaitable, Callable, List, Optional, TypeVar

import typer
from rich.table import Table

from rlver.cli._common import ALLOW_ERRORS_HELP, check_failures, cli_errors, console, parse_allowance, run_async
from rlver.cli._specs import key_env_help
from rlver.errors import ConfigError

__all__ = ["register", "analyze_app"]

T = TypeVar("T")

analyze_app = typer.Typer(
    help="Analyses of benchmark outputs: five capabilities, strategies, social-cognition map, general ability.",
    no_args_is_help=True,
)


def _judge_client(
    spec: str, base_url: Optional[str], key_env: Optional[str], seed: int, cache_dir: Optional[Path]
):
    from rlver.bench.judge import judge_model_name
    from rlver.cli._specs import EndpointOptions, make_chat_client

    options = EndpointOptions(
        base_url=base_url,
        api_key_env=key_env,
        seed=seed,
        temperature=0.0,
        cache_dir=str(cache_dir) if cache_dir else None,
    )
    return make_chat_client(judge_model_name(spec), options, default_temperature=0.0)


def _run(make: Callable[[], Awaitable[T]], *endpoints: Any) -> T:
    """Every analysis asks its endpoints once first: a dead judge stops the command before any work."""
    return run_async(make, *endpoints, preflight=True)


def _reasons(errors: Any) -> dict[str, int]:
    """Failure reasons grouped (``errors``: a list of error rows/strings, or just a count)."""
    if not isinstance(errors, list):
        return {}
    counts: dict[str, int] = {}
    for item in errors:
        text = item.get("error") if isinstance(item, dict) else item
        reason = " ".join(str(text).split())[:300]
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda r: -r[1]))


def _judge_config(max_attempts: int, concurrency: int):
    from rlver.bench.judge import JudgeConfig

    return JudgeConfig(max_attempts=max_attempts, max_concurrent=concurrency)


def _label(result_dir: Path) -> str:
    from rlver.bench.compare import load_result

    return load_result(result_dir, with_dialogues=False).policy


def _names(dirs: List[Path]) -> list[str]:
    policies = [_label(d) for d in dirs]
    return policies if len(set(policies)) == len(policies) else [d.name for d in dirs]


def _pct(value: Optional[float]) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


JUDGE_HELP = "Judge: openai:MODEL (any OpenAI-compatible endpoint)."


@analyze_app.command("capabilities")
@cli_errors
def capabilities(
    dirs: List[Path] = typer.Argument(..., help="Benchmark output directories."),
    judge: str = typer.Option(..., help=JUDGE_HELP),
    judge_base_url: Optional[str] = typer.Option(
        None, help="Judge endpoint base URL, e.g. http://localhost:8000/v1."
    ),
    judge_key_env: Optional[str] = typer.Option(None, help=key_env_help("judge")),
    limit: Optional[int] = typer.Option(None, min=1, help="Only the first N dialogues of each directory."),
    max_attempts: int = typer.Option(
        3, min=1, help="Judge calls per dialogue before it is recorded as an error."
    ),
    concurrency: int = typer.Option(8, min=1, help="Judge calls in flight."),
    seed: int = typer.Option(0, help="Judge sampling seed."),
    cache_dir: Optional[Path] = typer.Option(None, help="Cache judge responses here."),
    png: Optional[Path] = typer.Option(
        None, help="Radar chart (default: DIR/analysis/capabilities.png of the first DIR)."
    ),
    allow_errors: str = typer.Option("0", help=ALLOW_ERRORS_HELP),
) -> None:
    """Score each dialogue 1-5 on the five capabilities; writes DIR/analysis/capabilities.{jsonl,json}."""
    from rlver.bench.capabilities import CAPABILITIES, CAPABILITY_NAMES, run_capability_analysis
    from rlver.report.plots import plot_capability_radar

    tolerated = parse_allowance(allow_errors)
    client = _judge_client(judge, judge_base_url, judge_key_env, seed, cache_dir)
    config = _judge_config(max_attempts, concurrency)

    async def all_dirs() -> list[dict]:
        return [await run_capability_analysis(d, client, config, limit=limit) for d in dirs]

    summaries = _run(all_dirs, client)
    names = _names(dirs)
    table = Table(title=f"Five capabilities (judge {client.model}, 1-5)")
    for column in ("model", *[CAPABILITY_NAMES[c]["en"] for c in CAPABILITIES], "n", "errors"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, s in zip(names, summaries):
        means = [("–" if s["means"][c] is None else f"{s['means'][c]:.2f}") for c in CAPABILITIES]
        table.add_row(name, *means, str(s["n"]), str(s["errors"]))
    console.print(table)
    out = png or dirs[0] / "analysis" / "capabilities.png"
    plot_capability_radar({n: s["means"] for n, s in zip(names, summaries)}, out)
    for d in dirs:
        console.print(f"wrote {d / 'analysis' / 'capabilities.jsonl'} and capabilities.json", highlight=False)
    console.print(f"wrote {out}", highlight=False)
    failed = sum(int(s["errors"]) for s in summaries)
    check_failures(failed, failed + sum(int(s["n"]) for s in summaries), tolerated, what="judged dialogues")


def _labeller(
    spec: str, base_url: Optional[str], key_env: Optional[str], seed: int, max_attempts: int, concurrency: int
):
    from rlver.bench.strategies import LLMStrategyLabeller, offline_labeller

    if spec == "offline":
        return offline_labeller(), None
    if spec.startswith("openai:"):
        client = _judge_client(spec, base_url, key_env, seed, None)
        return LLMStrategyLabeller(client, _judge_config(max_attempts, concurrency)), client
    raise ConfigError(f"unknown labeller {spec!r}; use offline or openai:MODEL")


@analyze_app.command("strategies")
@cli_errors
def strategies(
    dirs: List[Path] = typer.Argument(..., help="Benchmark output directories."),
    labeller: str = typer.Option(
        "offline", help="offline (embedding recogniser) or openai:MODEL (LLM labeller)."
    ),
    labeller_base_url: Optional[str] = typer.Option(None, help="LLM labeller endpoint base URL."),
    labeller_key_env: Optional[str] = typer.Option(None, help=key_env_help("labeller")),
    limit: Optional[int] = typer.Option(None, min=1, help="Only the first N dialogues of each directory."),
    max_attempts: int = typer.Option(
        3, min=1, help="LLM calls per dialogue before it is recorded as an error."
    ),
    concurrency: int = typer.Option(8, min=1, help="Dialogues labelled at once."),
    seed: int = typer.Option(0, help="Labeller sampling seed."),
    out_dir: Optional[Path] = typer.Option(
        None, help="Folder of the bar charts (default: the first DIR's analysis/)."
    ),
    allow_errors: str = typer.Option("0", help=ALLOW_ERRORS_HELP),
) -> None:
    """Label every policy turn with an ESConv strategy; distribution and contribution per model."""
    from rlver.bench.strategies import ESCONV_STRATEGIES, run_strategy_analysis
    from rlver.report.plots import plot_strategy_contributions, plot_strategy_distribution

    tolerated = parse_allowance(allow_errors)
    labeller_obj, client = _labeller(
        labeller, labeller_base_url, labeller_key_env, seed, max_attempts, concurrency
    )

    async def all_dirs() -> list[dict]:
        return [
            await run_strategy_analysis(d, labeller_obj, limit=limit, max_concurrent=concurrency)
            for d in dirs
        ]

    summaries = _run(all_dirs, *([client] if client else []))
    names = _names(dirs)
    table = Table(title=f"Support strategies (labeller {labeller_obj.name}): share / mean emotion change")
    table.add_column("strategy")
    for name in names:
        table.add_column(name, justify="right")
    for strategy in ESCONV_STRATEGIES:
        cells = []
        for s in summaries:
            mean = s["contributions"][strategy]["mean_change"]
            cells.append(
                f"{100 * s['distribution'][strategy]:.0f}% / " + ("–" if mean is None else f"{mean:+.2f}")
            )
        table.add_row(strategy, *cells)
    console.print(table)
    for name, s in zip(names, summaries):
        if s["errors"]:
            console.print(
                f"{name}: {len(s['errors'])} dialogue(s) could not be labelled (see strategies.json)",
                highlight=False,
            )
    folder = out_dir or dirs[0] / "analysis"
    plot_strategy_distribution(
        {n: s["distribution"] for n, s in zip(names, summaries)}, folder / "strategy_distribution.png"
    )
    plot_strategy_contributions(
        {n: s["contributions"] for n, s in zip(names, summaries)}, folder / "strategy_contribution.png"
    )
    console.print(
        f"wrote analysis/strategies.{{jsonl,json}} in each DIR; charts in {folder}", highlight=False
    )
    errors = [e for s in summaries for e in s["errors"]]
    labelled = sum(int(s["dialogues"]) for s in summaries)
    check_failures(
        len(errors), labelled + len(errors), tolerated, what="labelled dialogues", reasons=_reasons(errors)
    )


@analyze_app.command("scc")
@cli_errors
def scc(
    dirs: List[Path] = typer.Argument(
        ..., help="Benchmark output directories (with analysis/strategies.json)."
    ),
    labeller: Optional[str] = typer.Option(
        None, help="Run the strategy analysis first with this labeller when missing."
    ),
    judge: Optional[str] = typer.Option(None, help="Refine with an LLM judge: openai:MODEL."),
    judge_base_url: Optional[str] = typer.Option(None, help="Judge endpoint base URL."),
    judge_key_env: Optional[str] = typer.Option(None, help=key_env_help("judge")),
    judge_weight: float = typer.Option(
        0.5, min=0.0, max=1.0, help="Weight of the judge's coordinate in the blend."
    ),
    limit: Optional[int] = typer.Option(
        None, min=1, help="Only the first N dialogues per directory (judge)."
    ),
    max_attempts: int = typer.Option(
        3, min=1, help="Judge calls per dialogue before it is recorded as an error."
    ),
    seed: int = typer.Option(0, help="Judge sampling seed."),
    png: Optional[Path] = typer.Option(
        None, help="Scatter plot (default: the first DIR's analysis/scc.png)."
    ),
) -> None:
    """Place each model on solution (−) ↔ empathy (+) and structured (−) ↔ creative (+)."""
    from rlver.bench.scc import run_scc_analysis
    from rlver.bench.strategies import run_strategy_analysis
    from rlver.report.plots import plot_scc

    client = _judge_client(judge, judge_base_url, judge_key_env, seed, None) if judge else None
    labeller_obj, labeller_client = (None, None)
    if labeller and any(not (d / "analysis" / "strategies.json").is_file() for d in dirs):
        labeller_obj, labeller_client = _labeller(
            labeller, judge_base_url, judge_key_env, seed, max_attempts, 8
        )

    async def all_dirs() -> list[dict]:
        out = []
        for d in dirs:
            if labeller_obj is not None and not (d / "analysis" / "strategies.json").is_file():
                await run_strategy_analysis(d, labeller_obj)
            out.append(
                await run_scc_analysis(
                    d,
                    client=client,
                    config=_judge_config(max_attempts, 8),
                    judge_weight=judge_weight,
                    limit=limit,
                )
            )
        return out

    summaries = _run(all_dirs, *[c for c in (client, labeller_client) if c is not None])
    names = _names(dirs)
    table = Table(title="Social-cognition coordinates")
    for column in ("model", "empathy x", "creativity y", "from strategies", "from judge"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, s in zip(names, summaries):
        base, judged = s["strategy_coordinate"], s["judge_coordinate"]
        table.add_row(
            name,
            f"{s['coordinate']['x']:+.2f}",
            f"{s['coordinate']['y']:+.2f}",
            f"({base['x']:+.2f}, {base['y']:+.2f})",
            "–" if judged is None else f"({judged['x']:+.2f}, {judged['y']:+.2f})",
        )
    console.print(table)
    out = png or dirs[0] / "analysis" / "scc.png"
    plot_scc({n: (s["coordinate"]["x"], s["coordinate"]["y"]) for n, s in zip(names, summaries)}, out)
    console.print(f"wrote analysis/scc.json in each DIR and {out}", highlight=False)


@analyze_app.command("general")
@cli_errors
def general(
    policy: str = typer.Option(..., help="Policy spec (openai:MODEL, hf:PATH, builtin:tiny, ...)."),
    out: Path = typer.Option(..., help="Output directory (general.jsonl, general.json)."),
    policy_base_url: Optional[str] = typer.Option(
        None, help="Base URL of the policy's OpenAI-compatible endpoint."
    ),
    policy_key_env: Optional[str] = typer.Option(None, help=key_env_help("policy")),
    suite: Optional[Path] = typer.Option(None, help="Suite JSONL (default: the built-in 45-item suite)."),
    limit: Optional[int] = typer.Option(None, min=1, help="Only the first N items."),
    batch_size: int = typer.Option(8, min=1, help="Items per policy call."),
    temperature: float = typer.Option(
        0.0, min=0.0, help="Sampling temperature for API policies (0 = greedy)."
    ),
    seed: int = typer.Option(0, help="Sampling seed."),
) -> None:
    """Run the general-ability suite (math, code, instruction following) on a policy."""
    from rlver.bench.general.runner import load_suite, run_general_suite, write_general
    from rlver.cli._specs import EndpointOptions, make_policy

    items = load_suite(suite)
    if limit is not None:
        items = items[:limit]
    options = EndpointOptions(
        base_url=policy_base_url, api_key_env=policy_key_env, temperature=temperature, seed=seed
    )
    policy_obj = make_policy(policy, options, seed=seed)
    results = _run(lambda: run_general_suite(policy_obj, items, batch_size=batch_size), policy_obj)
    summary = write_general(out, results, policy=policy_obj.name)
    _print_general([("result", summary)])
    console.print(f"wrote {out / 'general.jsonl'} and {out / 'general.json'}", highlight=False)


def _print_general(named: list[tuple[str, dict]]) -> None:
    from rlver.bench.general.runner import CATEGORIES

    table = Table(title="General-ability suite (accuracy)")
    table.add_column("run")
    for column in (*CATEGORIES, "overall"):
        table.add_column(column, justify="right")
    for name, s in named:
        cells = []
        for c in CATEGORIES:
            cat = s["by_category"].get(c)
            cells.append("–" if not cat else f"{cat['passed']}/{cat['n']} ({100 * cat['accuracy']:.0f}%)")
        cells.append(
            "–" if s.get("accuracy") is None else f"{s['passed']}/{s['n']} ({100 * s['accuracy']:.0f}%)"
        )
        table.add_row(name, *cells)
    console.print(table)


@analyze_app.command("general-compare")
@cli_errors
def general_compare(
    before: Path = typer.Argument(..., help="general.json (or its directory) before training."),
    after: Path = typer.Argument(..., help="general.json (or its directory) after training."),
    markdown: Optional[Path] = typer.Option(None, help="Also write the delta table as Markdown."),
) -> None:
    """Delta table of two general-suite results (after − before), per category."""
    from rlver.bench.general.runner import compare_general, general_delta_markdown, load_general
    from rlver.utils.io import atomic_write_text

    b, a = load_general(before), load_general(after)
    rows = compare_general(b, a)
    table = Table(title=f"General ability: {after} − {before}")
    for column in ("category", "n", "before", "after", "delta"):
        table.add_column(column, justify="left" if column == "category" else "right")
    for r in rows:
        table.add_row(
            r.category,
            str(r.n),
            _pct(r.before),
            _pct(r.after),
            "–" if r.delta is None else f"{100 * r.delta:+.1f} pt",
        )
    console.print(table)
    if markdown is not None:
        atomic_write_text(
            markdown,
            general_delta_markdown(rows, str(b.get("policy", "before")), str(a.get("policy", "after"))),
        )
        console.print(f"wrote {markdown}", highlight=False)


@analyze_app.command("lm-eval")
@cli_errors
def lm_eval(
    checkpoint: Path = typer.Argument(..., help="Local checkpoint directory (save_pretrained output)."),
    tasks: str = typer.Option(
        "math500,ifeval", help="Comma-separated tasks (math500, ifeval, or any lm-eval task)."
    ),
    out: Path = typer.Option(Path("lm_eval_results"), help="lm-eval output directory."),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:0, ..."),
    batch_size: str = typer.Option("auto", help="lm-eval batch size (integer or auto)."),
    limit: Optional[int] = typer.Option(None, min=1, help="Only N examples per task (quick check)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the lm-eval command without running it."),
) -> None:
    """Run lm-evaluation-harness (MATH500, IFEval) on a checkpoint, where lm-eval is installed."""
    import shlex

    from rlver.bench.general.lm_eval import LMEvalConfig, build_lm_eval_command, run_lm_eval

    config = LMEvalConfig(
        checkpoint=str(checkpoint),
        tasks=tuple(t.strip() for t in tasks.split(",") if t.strip()),
        output_path=str(out),
        device=device,
        batch_size=batch_size,
        limit=limit,
    )
    if dry_run:
        console.print(shlex.join(build_lm_eval_command(config)), highlight=False, soft_wrap=True)
        return
    results = run_lm_eval(config)
    table = Table(title=f"lm-eval: {checkpoint}")
    table.add_column("task")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for task, metrics in results.items():
        for metric, value in metrics.items():
            table.add_row(task, metric, f"{value:.4f}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(analyze_app, name="analyze")
