"""``rlver simulate`` and ``rlver chat``: one dialogue, turn by turn, with emotion and inner thoughts."""

from __future__ import annotations

import asyncio
from typing import Optional

import typer
from rich.panel import Panel

from rlver.cli._common import cli_errors, console
from rlver.cli._specs import POLICY_SPECS, SIMULATOR_SPECS, EndpointOptions, make_policy, make_simulator
from rlver.errors import ConfigError, PolicyError
from rlver.llm.types import Message
from rlver.policy.base import PolicyRequest, TokenTrace
from rlver.policy.prompts import system_prompt as default_system_prompt
from rlver.policy.think import split_think
from rlver.simulator.base import DialogueState
from rlver.simulator.presets import PRESETS, emotion_state, get_preset

__all__ = ["register"]


def _pick_profile(source: str, profile_id: Optional[str]):
    from rlver.profiles.io import load_profiles

    profiles = load_profiles(source)
    if profile_id is None:
        return profiles[0]
    for profile in profiles:
        if profile.id == profile_id:
            return profile
    raise ConfigError(f"no profile with id {profile_id!r} in {source}")


def _show_user(state: DialogueState, show_thoughts: bool) -> None:
    if state.appraisals:
        a = state.appraisals[-1]
        if show_thoughts:
            console.print(
                Panel(
                    f"[dim]{a.activity}\n{a.analyse}[/]",
                    title=f"inner thoughts  change {a.applied_change:+d}  emotion {a.emotion_before} → {a.emotion_after}",
                    border_style="dim",
                ),
                highlight=False,
            )
    name = state.profile.name or "user"
    console.print(
        f"[bold cyan]{name}[/] [dim](emotion {state.emotion} {emotion_state(state.emotion)})[/]: "
        f"{state.history[-1].content}",
        highlight=False,
    )


def _show_end(state: DialogueState) -> None:
    console.print(
        f"\n[bold]dialogue ended:[/] {state.end_reason}; final emotion {state.emotion} "
        f"(reward {state.emotion / 100:.2f}) after {state.policy_turns} replies",
        highlight=False,
    )


async def _run(profile, policy, simulator, preset, seed: int, think: bool, show_thoughts: bool, human: bool) -> None:
    state = await simulator.reset(profile, preset, seed)
    prompt = default_system_prompt(profile.language, think=think)
    trace = TokenTrace() if getattr(policy, "token_exact", False) else None
    _show_user(state, show_thoughts)
    for _ in range(preset.max_policy_turns):
        if human:
            raw = await asyncio.to_thread(typer.prompt, "you")
        else:
            request = PolicyRequest("dialogue", [Message("system", prompt), *state.history], trace, profile)
            raw = (await policy.generate([request]))[0]
            if isinstance(raw, PolicyError):
                raise raw
        reply = raw.strip()
        if think and not human:
            split = split_think(raw)
            if not split.ok:
                console.print(f"[red]format violation ({split.violation}):[/] {raw}", highlight=False)
                return
            console.print(f"[dim]<think> {split.thought}[/]", highlight=False)
            reply = split.reply
        if not human:
            console.print(f"[bold green]{policy.name}[/]: {reply}", highlight=False)
        await simulator.step(state, reply)
        if state.appraisals and state.history[-1].role == "user":
            _show_user(state, show_thoughts)
        if state.done:
            break
    _show_end(state)


def register(app: typer.Typer) -> None:
    @app.command()
    @cli_errors
    def simulate(
        profiles: str = typer.Option("builtin:test", help="Profiles source (path or builtin:NAME)."),
        profile_id: Optional[str] = typer.Option(None, help="Which profile (default: the first)."),
        policy: str = typer.Option("reference:oracle", help=f"Policy spec: {POLICY_SPECS}."),
        policy_base_url: Optional[str] = typer.Option(None, help="Policy endpoint base URL."),
        simulator: str = typer.Option("offline", help=f"Simulator spec: {SIMULATOR_SPECS}."),
        simulator_base_url: Optional[str] = typer.Option(None, help="Simulator endpoint base URL."),
        preset: str = typer.Option("sage", help=f"Preset: {', '.join(PRESETS)}."),
        seed: int = typer.Option(0, help="Seed."),
        think: bool = typer.Option(False, "--think", help="Think-then-say policy."),
        thoughts: bool = typer.Option(True, "--thoughts/--no-thoughts", help="Show the simulated user's inner thoughts."),
    ) -> None:
        """Run one dialogue and print it turn by turn with emotion and inner thoughts."""
        profile = _pick_profile(profiles, profile_id)
        policy_obj = make_policy(policy, EndpointOptions(base_url=policy_base_url, seed=seed), seed=seed)
        sim = make_simulator(simulator, EndpointOptions(base_url=simulator_base_url, seed=seed))
        asyncio.run(_run(profile, policy_obj, sim, get_preset(preset), seed, think, thoughts, human=False))

    @app.command()
    @cli_errors
    def chat(
        profiles: str = typer.Option("builtin:test", help="Profiles source (path or builtin:NAME)."),
        profile_id: Optional[str] = typer.Option(None, help="Which profile (default: the first)."),
        simulator: str = typer.Option("offline", help=f"Simulator spec: {SIMULATOR_SPECS}."),
        simulator_base_url: Optional[str] = typer.Option(None, help="Simulator endpoint base URL."),
        preset: str = typer.Option("sage", help=f"Preset: {', '.join(PRESETS)}."),
        seed: int = typer.Option(0, help="Seed."),
        thoughts: bool = typer.Option(True, "--thoughts/--no-thoughts", help="Show the simulated user's inner thoughts."),
    ) -> None:
        """Be the policy: type replies and watch the simulated user's emotion move."""
        profile = _pick_profile(profiles, profile_id)
        sim = make_simulator(simulator, EndpointOptions(base_url=simulator_base_url, seed=seed))
        console.print(f"[dim]You are talking with {profile.name or profile.id}. Ctrl-C to stop.[/]")
        asyncio.run(_run(profile, None, sim, get_preset(preset), seed, False, thoughts, human=True))
