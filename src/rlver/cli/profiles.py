"""``rlver profiles``: validate, list, show, count and generate simulated-user profiles.

SOURCE is a profile file (official SAGE/RLVER JSONL, or native JSONL / JSON / YAML) or a built-in
set (``builtin:train``, ``builtin:test``). A malformed file exits with code 2 and one
``error: PATH:LINE: problem`` line per problem on stderr.
"""

from __future__ import annotations

import difflib
import json
from enum import Enum
from pathlib import Path

import typer
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from rlver.cli._common import EXIT_RUN_FAILED, cli_errors, console, err_console, fail, run_async
from rlver.cli._specs import key_env_help
from rlver.errors import ConfigError, LLMError, ProfileError
from rlver.profiles.io import load_profiles, profile_to_record
from rlver.profiles.schema import CharacterType, HiddenNeed, Profile
from rlver.profiles.stats import ProfileStats, profile_stats

__all__ = ["register", "profiles_app"]

profiles_app = typer.Typer(
    name="profiles",
    help="Validate, inspect and generate simulated-user profiles (official SAGE/RLVER or native format).",
    no_args_is_help=True,
)

_SOURCE_HELP = (
    "Profile file (.jsonl, .json, .yaml/.yml; official or native format) or builtin:train / builtin:test."
)


class LanguageChoice(str, Enum):
    """Languages a generated profile can be written in."""

    en = "en"
    zh = "zh"


class ListFormat(str, Enum):
    """How ``profiles list`` prints."""

    table = "table"
    jsonl = "jsonl"


def register(app: typer.Typer) -> None:
    """Add the ``profiles`` command group to the ``rlver`` app."""
    app.add_typer(profiles_app, name="profiles")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _count_table(title: str, counts: dict[str, int], stats: ProfileStats, column: str | None = None) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(column or title.lower())
    table.add_column("count", justify="right")
    table.add_column("share", justify="right")
    for key, count in counts.items():
        table.add_row(Text(key), str(count), f"{stats.share(count):.0%}")  # traits are user text
    return table


@profiles_app.command("validate")
@cli_errors
def validate(source: str = typer.Argument(..., help=_SOURCE_HELP, metavar="PATH")) -> None:
    """Check a profile file: every record valid, ids unique. Prints counts by character type and hidden need."""
    profiles = load_profiles(source)
    stats = profile_stats(profiles)
    status = Text.assemble(("ok", "green"), f": {source}: {_plural(stats.total, 'profile')}")
    console.print(status, soft_wrap=True)
    console.print(_count_table("Character type", stats.by_character, stats))
    console.print(_count_table("Hidden need", stats.by_need, stats))


def _clip(text: str | None, width: int) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


@profiles_app.command("list")
@cli_errors
def list_profiles(
    source: str = typer.Argument(..., help=_SOURCE_HELP),
    limit: int = typer.Option(20, "--limit", "-n", min=0, help="Show at most N profiles (0 = all)."),
    need: HiddenNeed | None = typer.Option(
        None, "--need", case_sensitive=False, help="Only this hidden need."
    ),
    character: CharacterType | None = typer.Option(
        None, "--character", case_sensitive=False, help="Only this character type."
    ),
    output: ListFormat = typer.Option(
        ListFormat.table,
        "--format",
        case_sensitive=False,
        help="table, or jsonl (native records, one a line).",
    ),
) -> None:
    """List profiles (id, name, type, need, opening line), optionally filtered."""
    profiles = load_profiles(source)
    selected = [
        p
        for p in profiles
        if (need is None or p.need == need) and (character is None or p.character == character)
    ]
    shown = selected if limit == 0 else selected[:limit]
    if output == ListFormat.jsonl:
        for profile in shown:
            console.out(json.dumps(profile_to_record(profile), ensure_ascii=False), highlight=False)
        return
    table = Table(
        title=Text(f"{source}: {len(shown)} of {len(selected)} matching profiles ({len(profiles)} in total)")
    )
    table.add_column("id", no_wrap=True)
    table.add_column("name")
    table.add_column("character")
    table.add_column("need")
    table.add_column("lang")
    table.add_column("first talk")
    for p in shown:
        table.add_row(  # Text(): profile text is data, never rich markup or :emoji: codes
            Text(p.id),
            Text(p.name or ""),
            p.character.value if p.character else "",
            p.need.value if p.need else "",
            p.language,
            Text(_clip(p.first_talk, 60)),
        )
    console.print(table)


def _find(profiles: list[Profile], profile_id: str, source: str) -> Profile:
    for profile in profiles:
        if profile.id == profile_id:
            return profile
    close = difflib.get_close_matches(profile_id, [p.id for p in profiles], n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    # "no profile ... in SOURCE": a leading "builtin:test:" would render as an emoji in the error line
    raise ProfileError(
        f"no profile with id {profile_id!r} in {source} ({_plural(len(profiles), 'profile')}){hint}"
    )


@profiles_app.command("show")
@cli_errors
def show(
    source: str = typer.Argument(..., help=_SOURCE_HELP),
    profile_id: str = typer.Argument(..., metavar="ID", help="Id of the profile to show."),
) -> None:
    """Show one profile in full: persona, scene, hidden need, opening line."""
    profile = _find(load_profiles(source), profile_id, source)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in (
        ("id", profile.id),
        ("name", profile.name),
        ("character", profile.character.value if profile.character else None),
        ("traits", ", ".join(profile.traits) or None),
        ("need", profile.need.value if profile.need else None),
        ("task", profile.task),
        ("topic", profile.topic),
        ("language", profile.language),
        ("initial emotion", None if profile.initial_emotion is None else str(profile.initial_emotion)),
    ):
        facts.add_row(label, Text(value if value is not None else "-"))
    console.print(facts)
    opening = profile.first_talk or "(none: the simulator writes the opening)"
    for title, body in (("persona", profile.persona), ("scene", profile.scene), ("first talk", opening)):
        console.print(Panel(Text(body), title=title, title_align="left"))


@profiles_app.command("stats")
@cli_errors
def stats(
    source: str = typer.Argument(..., help=_SOURCE_HELP),
    top_traits: int = typer.Option(
        15, "--top-traits", min=0, help="How many of the most common traits to show."
    ),
) -> None:
    """Count profiles by character type, hidden need, language and trait."""
    profiles = load_profiles(source)
    result = profile_stats(profiles)
    console.print(
        f"{source}: {_plural(result.total, 'profile')}, {result.with_first_talk} with a scripted opening line",
        highlight=False,
        soft_wrap=True,
        markup=False,
    )
    console.print(_count_table("Character type", result.by_character, result))
    console.print(_count_table("Hidden need", result.by_need, result))
    console.print(_count_table("Language", result.by_language, result))
    traits = dict(list(result.by_trait.items())[:top_traits])
    if traits:
        console.print(
            _count_table(f"Traits (top {len(traits)} of {len(result.by_trait)})", traits, result, "trait")
        )


@profiles_app.command("generate")
@cli_errors
def generate(
    n: int = typer.Option(
        ..., "--n", min=1, help="Number of profiles wanted in --out (a rerun tops the file up)."
    ),
    generator: str = typer.Option(..., "--generator", help="The LLM that writes profiles: openai:MODEL."),
    base_url: str | None = typer.Option(
        None,
        "--generator-base-url",
        help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1 (default: OpenAI).",
    ),
    generator_key_env: str | None = typer.Option(None, "--generator-key-env", help=key_env_help("generator")),
    old_key_env: str | None = typer.Option(
        None, "--api-key-env", hidden=True, help="Old spelling of --generator-key-env."
    ),
    language: LanguageChoice = typer.Option(
        LanguageChoice.en, "--language", help="Language of the profiles: en or zh."
    ),
    out: Path = typer.Option(
        ..., "--out", help="Output JSONL file; existing generated profiles are kept and skipped."
    ),
    seed: int = typer.Option(
        0, "--seed", help="Sampling seed: the same seed and index always give the same spec."
    ),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Profiles generated at once."),
    max_attempts: int = typer.Option(
        3, "--max-attempts", min=1, help="LLM answers tried per profile before giving up."
    ),
    temperature: float = typer.Option(
        0.9, "--temperature", min=0.0, help="Sampling temperature of the generator."
    ),
    preflight: bool = typer.Option(
        True, "--preflight/--no-preflight", help="Ask the endpoint once before starting; stop at once if it is down."
    ),
) -> None:
    """Generate profiles with an LLM: sampled type, traits, hidden need and topic; validated, deduplicated, resumable."""
    from rlver.cli._specs import EndpointOptions, make_chat_client
    from rlver.profiles.generate import GeneratorConfig, generate_profiles

    kind, _, model = generator.partition(":")
    if kind != "openai" or not model:
        raise ConfigError(
            f"unknown generator {generator!r}; expected openai:MODEL, e.g. openai:deepseek-chat"
        )
    config = GeneratorConfig(
        n=n,
        language=language.value,
        seed=seed,
        concurrency=concurrency,
        max_attempts=max_attempts,
        temperature=temperature,
    )
    options = EndpointOptions(
        base_url=base_url,
        api_key_env=generator_key_env or old_key_env,
        max_concurrency=concurrency,
        temperature=temperature,
        seed=seed,
    )
    client = make_chat_client(model, options, default_temperature=temperature)

    async def run():  # one event loop owns the client from first request to close
        with Progress(
            TextColumn("generating"), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
        ) as progress:
            bar = progress.add_task("profiles", total=n)
            return await generate_profiles(
                client, out, config, on_result=lambda index, outcome: progress.advance(bar)
            )

    try:
        report = run_async(run, client, preflight=preflight)
    except LLMError as exc:
        raise fail(str(exc), code=EXIT_RUN_FAILED) from None
    table = Table(title=Text(f"{out}: generated profiles"), title_justify="left")
    table.add_column("")
    table.add_column("count", justify="right")
    for label, value in (
        ("requested", report.requested),
        ("already present", report.already_present),
        ("accepted now", report.accepted),
        ("failed", len(report.failed_indices)),
        ("LLM calls", report.llm_calls),
        ("duplicates rejected", report.duplicates),
        *(
            (f"rejected: {reason}", count)
            for reason, count in sorted(report.rejected.items())
            if reason != "duplicate"
        ),
    ):
        table.add_row(label, str(value))
    console.print(table)
    if report.dropped_truncated_line:
        err_console.print(
            Text(f"note: dropped a truncated last line from {out} (an earlier run was interrupted)")
        )
    if report.failed_indices:
        shown = ", ".join(map(str, report.failed_indices[:10])) + (
            " ..." if len(report.failed_indices) > 10 else ""
        )
        raise fail(
            f"{len(report.failed_indices)} of {n} profiles failed after {max_attempts} attempts (indices {shown}); "
            "rerun the same command to retry them",
            code=1,
        )
