"""The LLM-backed Sentient Agent: an OpenAI-compatible model role-plays the simulated user.

:class:`rlver.simulator.base.SentientAgent` owns the mechanics (emotion update, clamps, states, end
conditions, goodbye detection, turn limits); this module fills its three hooks with chat calls:

- ``opening``: the person's first message (presets without a scripted ``first_talk``);
- ``appraise``: SAGE's ``Content / TargetCompletion / Activity / Analyse / Change`` for one reply;
- ``respond``: SAGE's ``Thinking / Origin / Change / Response``; only ``Response`` reaches the policy.

Reproducibility: sampling defaults to temperature 0 and every call carries a seed derived from the
base seed, the dialogue seed, the profile, the turn, the call kind and the attempt, so a rerun sends
byte-identical requests. An output is read whenever it has one sensible reading (repeated sections
are resolved as SAGE resolves them, see :mod:`rlver.simulator.parsing`) and the appraisal's
``parse_notes`` record how. Only an output with no reading is retried (bounded) with a different seed
and a note naming the problem (so even a greedy endpoint answers differently); after that the agent
raises :class:`rlver.errors.SimulatorError`, which the rollout loop records as a failed dialogue,
never a 0.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from rlver.errors import ConfigError, SimulatorError
from rlver.llm.types import ChatClient, Message, SamplingParams
from rlver.simulator.base import Appraisal, DialogueState, SentientAgent, UserReply, says_goodbye
from rlver.simulator.parsing import ParsedReply, ParseError, parse_appraisal, parse_reply
from rlver.simulator.presets import emotion_state
from rlver.simulator.prompts import appraisal_messages, opening_messages, reply_messages, texts_for
from rlver.simulator.prompts.texts import PromptTexts

__all__ = ["DEFAULT_SAMPLING", "LLMSentientAgent", "call_seed"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_SAMPLING = SamplingParams(temperature=0.0, seed=0, max_tokens=1024)
"""Greedy with a fixed base seed: the emotion reward of a dialogue is reproducible."""

_SEED_SPACE = 2**31 - 1  # fits every endpoint's seed field (some reject values >= 2**31)
_SNIPPET = 160  # characters of an unreadable output quoted in the error


def call_seed(base: int, dialogue_seed: int, profile_id: str, turn: int, kind: str, attempt: int) -> int:
    """The seed of one simulator call: stable across runs and processes, distinct per call.

    Python's ``hash`` is salted per process, so a keyed BLAKE2 digest is used instead.

    >>> call_seed(0, 7, "p1", 2, "appraise", 0) == call_seed(0, 7, "p1", 2, "appraise", 0)
    True
    >>> call_seed(0, 7, "p1", 2, "appraise", 0) != call_seed(0, 7, "p1", 2, "appraise", 1)
    True
    """
    key = f"{base}|{dialogue_seed}|{profile_id}|{turn}|{kind}|{attempt}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") % _SEED_SPACE


class LLMSentientAgent(SentientAgent):
    """A Sentient Agent whose appraisals and replies come from a chat model.

    Args:
        client: any :class:`rlver.llm.ChatClient` (HTTP retries and timeouts are the client's job).
        language: prompt language; ``None`` uses each profile's ``language``.
        sampling: base sampling settings; ``seed`` is varied per call (``None`` sends no seed).
        max_parse_retries: extra calls after an unreadable output before ``SimulatorError``.
        name: reported in episodes and benchmark summaries; defaults to ``llm:<model>``.
    """

    def __init__(
        self,
        client: ChatClient,
        *,
        language: str | None = None,
        sampling: SamplingParams | None = None,
        max_parse_retries: int = 2,
        name: str | None = None,
    ) -> None:
        if language is not None:
            _check_language(language)
        if max_parse_retries < 0:
            raise ConfigError(f"max_parse_retries must be >= 0, got {max_parse_retries}")
        self.client = client
        self.language = language
        self.sampling = sampling if sampling is not None else DEFAULT_SAMPLING
        self.max_parse_retries = max_parse_retries
        self.name = name or f"llm:{client.model}"

    async def aclose(self) -> None:
        """Close the underlying client's connections (it reconnects if used again)."""
        close = getattr(self.client, "aclose", None)
        if close is not None:
            await close()

    # -- SentientAgent hooks ---------------------------------------------------------------------

    async def opening(self, state: DialogueState) -> UserReply:
        texts = self._texts(state)
        parsed, raw, _ = await self._call(
            state,
            "opening",
            lambda note: opening_messages(state, texts, note=note),
            lambda raw, last: parse_reply(raw),  # extra Origin/Change sections are tolerated
        )
        _log_notes(state, "opening", parsed.notes)
        return UserReply(
            response=parsed.response,
            thinking=parsed.thinking,
            origin=parsed.origin,
            revision=parsed.revision,
            raw=raw,
        )

    async def appraise(self, state: DialogueState, reply: str) -> Appraisal:
        texts = self._texts(state)
        parsed, raw, retried = await self._call(
            state,
            "appraise",
            lambda note: appraisal_messages(state, reply, texts, note=note),
            lambda raw, last: parse_appraisal(raw),
        )
        return Appraisal(
            content=parsed.content,
            target_completion=parsed.target_completion,
            activity=parsed.activity,
            analyse=parsed.analyse,
            change=parsed.change,
            raw=raw,
            # The record says how the value was read: earlier attempts first, then this output's notes.
            parse_notes=retried + parsed.notes,
        )

    async def respond(self, state: DialogueState, appraisal: Appraisal) -> UserReply:
        texts = self._texts(state)
        must_leave = _goodbye_decides_end(state)

        def parse(raw: str, last_attempt: bool) -> ParsedReply:
            parsed = parse_reply(raw)
            # In state S or F the person takes leave. Where only that goodbye can end the dialogue
            # (e.g. `rlver` at 100), ask again; on the last attempt keep the reply: the emotion is
            # still valid, the dialogue simply goes on.
            if must_leave and not last_attempt and not says_goodbye(parsed.response, state.language):
                raise ParseError(f"state {emotion_state(state.emotion)}: the Response must say goodbye")
            return parsed

        parsed, raw, _ = await self._call(
            state, "respond", lambda note: reply_messages(state, appraisal, texts, note=note), parse
        )
        _log_notes(state, "respond", parsed.notes)
        return UserReply(
            response=parsed.response,
            thinking=parsed.thinking,
            origin=parsed.origin,
            revision=parsed.revision,
            raw=raw,
        )

    # -- internals -------------------------------------------------------------------------------

    def _texts(self, state: DialogueState) -> PromptTexts:
        return texts_for(self.language or state.profile.language)

    async def _call(
        self,
        state: DialogueState,
        kind: str,
        build: Callable[[str | None], list[Message]],
        parse: Callable[[str, bool], T],
    ) -> tuple[T, str, tuple[str, ...]]:
        """One simulator step: call, parse, retry (bounded) on an output with no reading.

        Returns the parsed output, its raw text and one note per earlier attempt that had no reading.
        """
        attempts = self.max_parse_retries + 1
        note: str | None = None
        raw = ""
        retried: list[str] = []
        for attempt in range(attempts):
            params = self._params(state, kind, attempt)
            raw = await self.client.chat(build(note), params)
            try:
                return parse(raw, attempt == attempts - 1), raw, tuple(retried)
            except ParseError as exc:
                note = str(exc)
                retried.append(f"attempt {attempt + 1} had no reading ({note}); asked again")
                logger.warning(
                    "simulator %s (profile %s, turn %d, attempt %d/%d) unreadable: %s",
                    kind,
                    state.profile.id,
                    state.policy_turns,
                    attempt + 1,
                    attempts,
                    note,
                )
        snippet = raw.strip()[:_SNIPPET]
        raise SimulatorError(
            f"simulator {kind} for profile {state.profile.id!r} at policy turn {state.policy_turns}: "
            f"unreadable output after {attempts} attempt(s) ({note}); last output began {snippet!r}"
        )

    def _params(self, state: DialogueState, kind: str, attempt: int) -> SamplingParams:
        if self.sampling.seed is None:
            return self.sampling
        seed = call_seed(self.sampling.seed, state.seed, state.profile.id, state.policy_turns, kind, attempt)
        return replace(self.sampling, seed=seed)


def _log_notes(state: DialogueState, kind: str, notes: tuple[str, ...]) -> None:
    """Replies have no audit field for parse notes; the log keeps how they were read."""
    for note in notes:
        logger.info(
            "simulator %s (profile %s, turn %d): %s", kind, state.profile.id, state.policy_turns, note
        )


def _check_language(language: str) -> None:
    """Raise :class:`ConfigError` for a language without prompts."""
    try:
        texts_for(language)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _goodbye_decides_end(state: DialogueState) -> bool:
    """True if the person must say goodbye now and nothing else would end the dialogue."""
    preset, emotion = state.preset, state.emotion
    letter = emotion_state(emotion)
    if letter == "S":
        return not (preset.end_on_success and emotion >= preset.upper_bound)
    if letter == "F":
        return emotion >= preset.failure_below
    return False
