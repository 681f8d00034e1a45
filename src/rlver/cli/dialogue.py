"""``rlver simulate`` and ``rlver chat``: one dialogue, turn by turn, with emotion and inner thoughts.

Both run on :func:`rlver.rollout.loop.run_dialogues`, the loop that training and the benchmark use;
in ``chat`` the policy is the person at the terminal (:class:`HumanPolicy`). The loop reports only
finished episodes, so the live transcript comes from thin wrappers that print as the loop calls them:
:class:`_Narrator` around the simulator (the user's messages, emotion, inner thoughts, and the reply
it was given) and :class:`_ShowThinking` around a think-mode policy (its think blocks).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Optional

import typer
from rich.markup import escape
from rich.panel import Panel

from rlver.cli._common import cli_errors, console, run_async
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
from rlver.errors import ConfigError, PolicyError, RlverError
from rlver.simulator.presets import PRESETS, emotion_state, get_preset

if TYPE_CHECKING:
    from rlver.policy.base import Policy, PolicyRequest
    from rlver.profiles.schema import Profile
    from rlver.rollout.types import Episode
    from rlver.simulator.base import DialogueState, UserSimulator
    from rlver.simulator.presets import Preset

__all__ = ["HumanPolicy", "register"]


class HumanPolicy:
    """The person at the terminal plays the policy: each reply is typed, not generated.

    End of input (Ctrl-D) ends the chat: the reply becomes a :class:`PolicyError` (the loop closes
    the dialogue) and :attr:`left` is set, so the command can tell leaving from failing.
    """

    name = "human"
    token_exact = False

    def __init__(self, prompt: str = "you") -> None:
        self.prompt = prompt
        self.left = False

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str | PolicyError]:
        replies: list[str | PolicyError] = []
        for _ in requests:
            text = None if self.left else await _read_line(self.prompt)
            if text is None:
                self.left = True
                replies.append(PolicyError("you left the chat"))
            else:
                replies.append(text)
        return replies


async def _read_line(prompt: str) -> str | None:
    """One line typed at the terminal, or ``None`` at end of input."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str | None] = loop.create_future()

    def deliver(text: str | None) -> None:
        if not answer.done():  # cancelled meanwhile (Ctrl-C)
            answer.set_result(text)

    def read() -> None:
        try:
            text: str | None = typer.prompt(prompt)
        except typer.Abort:  # the prompt turns end of input into Abort
            text = None
        with contextlib.suppress(RuntimeError):  # the loop already closed (Ctrl-C): nobody waits
            loop.call_soon_threadsafe(deliver, text)

    # A daemon thread rather than asyncio.to_thread: after Ctrl-C, closing the loop would wait for
    # the executor's thread, still blocked in input(), until the user pressed Enter.
    threading.Thread(target=read, name="rlver-chat-input", daemon=True).start()
    return await answer


class _Narrator:
    """The simulator, printing each user turn (emotion, appraisal) as the rollout loop steps it."""

    def __init__(self, simulator: UserSimulator, *, show_thoughts: bool, policy_label: str | None) -> None:
        self.inner = simulator
        self.name = simulator.name
        self.show_thoughts = show_thoughts
        self.policy_label = policy_label
        """Printed before each policy reply; ``None`` when the reply is already on screen (chat)."""
        self.state: DialogueState | None = None

    async def reset(self, profile: Profile, preset: Preset, seed: int = 0) -> DialogueState:
        self.state = await self.inner.reset(profile, preset, seed)
        _show_user(self.state, self.show_thoughts)
        return self.state

    async def step(self, state: DialogueState, reply: str) -> DialogueState:
        if self.policy_label is not None:
            console.print(f"[bold green]{escape(self.policy_label)}[/]: {escape(reply)}", highlight=False)
        appraised = len(state.appraisals)
        state = await self.inner.step(state, reply)
        if len(state.appraisals) > appraised and state.history[-1].role == "user":
            _show_user(state, self.show_thoughts)
        return state


class _ShowThinking:
    """A think-mode policy, printing each think block (or format violation) as it is generated."""

    def __init__(self, policy: Policy) -> None:
        self.inner = policy
        self.name = policy.name
        self.token_exact = policy.token_exact

    async def generate(self, requests: Sequence[PolicyRequest]) -> list[str | PolicyError]:
        from rlver.policy.think import split_think

        raws = await self.inner.generate(requests)
        for raw in raws:
            if isinstance(raw, PolicyError):
                continue
            split = split_think(raw)
            if split.ok:
                console.print(f"[dim]<think> {escape(split.thought)}[/]", highlight=False)
            else:
                console.print(f"[red]format violation ({split.violation}):[/] {escape(raw)}", highlight=False)
        return raws


def _show_user(state: DialogueState, show_thoughts: bool) -> None:
    if state.appraisals and show_thoughts:
        a = state.appraisals[-1]
        console.print(
            Panel(
                f"[dim]{escape(a.activity)}\n{escape(a.analyse)}[/]",
                title=f"inner thoughts  change {a.applied_change:+d}  emotion {a.emotion_before} → {a.emotion_after}",
                border_style="dim",
            ),
            highlight=False,
        )
    name = escape(state.profile.name or "user")
    console.print(
        f"[bold cyan]{name}[/] [dim](emotion {state.emotion} {emotion_state(state.emotion)})[/]: "
        f"{escape(state.history[-1].content)}",
        highlight=False,
    )


def _show_end(reason: str, emotion: int, replies: int) -> None:
    console.print(
        f"\n[bold]dialogue ended:[/] {reason}; final emotion {emotion} "
        f"(reward {emotion / 100:.2f}) after {replies} replies",
        highlight=False,
    )


def _pick_profile(source: str, profile_id: Optional[str]) -> Profile:
    from rlver.profiles.io import load_profiles

    profiles = load_profiles(source)
    if profile_id is None:
        return profiles[0]
    for profile in profiles:
        if profile.id == profile_id:
            return profile
    raise ConfigError(f"no profile with id {profile_id!r} in {source}")


async def _run_one(
    profile: Profile, policy: Policy, simulator: UserSimulator, preset: Preset, seed: int, think: bool
) -> Episode:
    from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues

    config = RolloutConfig(preset=preset, think=think, max_concurrent=1)
    (episode,) = await run_dialogues([DialogueJob(profile, seed=seed)], policy, simulator, config)
    return episode


def register(app: typer.Typer) -> None:
    @app.command()
    @cli_errors
    def simulate(
        profiles: str = typer.Option("builtin:test", help="Profiles source (path or builtin:NAME)."),
        profile_id: Optional[str] = typer.Option(None, help="Which profile (default: the first)."),
        policy: str = typer.Option("reference:oracle", help=f"Policy spec: {POLICY_SPECS}."),
        policy_base_url: Optional[str] = typer.Option(None, help="Policy endpoint base URL."),
        policy_key_env: Optional[str] = typer.Option(None, help=key_env_help("policy")),
        simulator: str = typer.Option("offline", help=f"Simulator spec: {SIMULATOR_SPECS}."),
        simulator_base_url: Optional[str] = typer.Option(None, help="Simulator endpoint base URL."),
        simulator_key_env: Optional[str] = typer.Option(None, help=key_env_help("simulator")),
        preset: str = typer.Option("sage", help=f"Preset: {', '.join(PRESETS)}."),
        seed: int = typer.Option(0, help="Seed."),
        think: bool = typer.Option(False, "--think", help="Think-then-say policy."),
        temperature: Optional[float] = typer.Option(None, help=TEMPERATURE_HELP),
        top_p: Optional[float] = typer.Option(None, help=TOP_P_HELP),
        max_new_tokens: Optional[int] = typer.Option(None, help=MAX_NEW_TOKENS_HELP),
        thoughts: bool = typer.Option(
            True, "--thoughts/--no-thoughts", help="Show the simulated user's inner thoughts."
        ),
        preflight: bool = typer.Option(
            True, "--preflight/--no-preflight", help="Ask each endpoint once before starting; stop at once if one is down."
        ),
    ) -> None:
        """Run one dialogue and print it turn by turn with emotion and inner thoughts."""
        profile = _pick_profile(profiles, profile_id)
        rules = get_preset(preset)
        policy_obj = make_policy(
            policy,
            EndpointOptions(base_url=policy_base_url, api_key_env=policy_key_env, seed=seed),
            seed=seed,
            sampling=PolicySampling(temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens),
        )
        sim = make_simulator(
            simulator, EndpointOptions(base_url=simulator_base_url, api_key_env=simulator_key_env, seed=seed)
        )
        narrator = _Narrator(sim, show_thoughts=thoughts, policy_label=policy_obj.name)
        shown: Policy = _ShowThinking(policy_obj) if think else policy_obj
        episode = run_async(
            lambda: _run_one(profile, shown, narrator, rules, seed, think), policy_obj, sim, preflight=preflight
        )
        if episode.error is not None:
            raise RlverError(episode.error)
        _show_end(str(episode.end_reason), episode.emotions[-1], episode.policy_turns)

    @app.command()
    @cli_errors
    def chat(
        profiles: str = typer.Option("builtin:test", help="Profiles source (path or builtin:NAME)."),
        profile_id: Optional[str] = typer.Option(None, help="Which profile (default: the first)."),
        simulator: str = typer.Option("offline", help=f"Simulator spec: {SIMULATOR_SPECS}."),
        simulator_base_url: Optional[str] = typer.Option(None, help="Simulator endpoint base URL."),
        simulator_key_env: Optional[str] = typer.Option(None, help=key_env_help("simulator")),
        preset: str = typer.Option("sage", help=f"Preset: {', '.join(PRESETS)}."),
        seed: int = typer.Option(0, help="Seed."),
        thoughts: bool = typer.Option(
            True, "--thoughts/--no-thoughts", help="Show the simulated user's inner thoughts."
        ),
        preflight: bool = typer.Option(
            True, "--preflight/--no-preflight", help="Ask each endpoint once before starting; stop at once if one is down."
        ),
    ) -> None:
        """Be the policy: type replies and watch the simulated user's emotion move."""
        profile = _pick_profile(profiles, profile_id)
        rules = get_preset(preset)
        sim = make_simulator(
            simulator, EndpointOptions(base_url=simulator_base_url, api_key_env=simulator_key_env, seed=seed)
        )
        narrator = _Narrator(sim, show_thoughts=thoughts, policy_label=None)
        human = HumanPolicy()
        console.print(
            f"[dim]You are talking with {escape(profile.name or profile.id)}. Ctrl-D or Ctrl-C to stop.[/]"
        )
        try:
            episode = run_async(
                lambda: _run_one(profile, human, narrator, rules, seed, think=False), sim, preflight=preflight
            )
        except KeyboardInterrupt:
            # Ctrl-C is a way to leave, not a failure: end like Ctrl-D, with the state so far.
            state = narrator.state
            if state is None:
                raise typer.Exit(0) from None
            console.print()
            _show_end("you left", state.emotion, state.policy_turns)
            return
        if episode.error is not None and not human.left:
            raise RlverError(episode.error)
        reason = "you left" if human.left else str(episode.end_reason)
        _show_end(reason, episode.emotions[-1], episode.policy_turns)
