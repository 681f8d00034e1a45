"""Async client for OpenAI-compatible ``/chat/completions`` endpoints (vLLM, SGLang, Ollama, OpenAI, DeepSeek).

One :class:`OpenAIChatClient` serves many dialogues at once: requests are bounded by a semaphore,
each attempt has a timeout, transient failures (connection errors, timeouts, 408/409/429, 5xx,
malformed bodies) are retried a bounded number of times with capped exponential backoff, and a
``Retry-After`` header on 429/503 is honoured. Anything else fails at once with one
:class:`LLMError` line naming the endpoint, model, attempts and last error.

A dead endpoint is noticed once, not once per dialogue: a connection that cannot be opened
(refused, DNS, TLS) gets one quick retry, and that failure or a 401/403/404 opens the client's
circuit breaker, after which every call fails at once with the same line. :meth:`preflight` asks
the endpoint once (``GET /models``, or a one-token chat where that is not served) before a run.

The API key is read from the environment variable named in :class:`ClientConfig` at request time;
it is sent only in the ``Authorization`` header and scrubbed from every message this module
produces (exceptions and logs), so it never reaches a transcript. An endpoint that names no key
variable gets ``OPENAI_API_KEY`` only if it is OpenAI's own (``api.openai.com``), so that key is
never sent to a local server or a third party by accident.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from rlver.errors import ConfigError, LLMError
from rlver.llm.cache import ResponseCache, fingerprint_key, redact_url, request_fingerprint
from rlver.llm.types import Message, SamplingParams

__all__ = [
    "OPENAI_KEY_ENV",
    "ClientConfig",
    "ClientStats",
    "OpenAIChatClient",
    "backoff_delay",
    "default_key_env",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

SleepFn = Callable[[float], Awaitable[None]]

_RETRY_STATUSES = frozenset({408, 409, 429})
_DEAD_STATUSES = frozenset({401, 403, 404})
"""Answers that say the endpoint, key or model is wrong for every request, not just this one."""
_UNREACHABLE_RETRY_DELAY = 0.5
"""Seconds before the single retry of a connection that could not be opened."""
OPENAI_KEY_ENV = "OPENAI_API_KEY"
_OPENAI_HOSTS = frozenset({"api.openai.com"})
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_RESERVED_BODY_KEYS = frozenset(
    {"model", "messages", "stream", "temperature", "seed", "max_tokens", "top_p", "stop"}
)
_MAX_DETAIL = 300
"""Characters of a server's error text kept in an LLMError (bodies can be whole HTML pages)."""


_CONNECTIONS_PER_SHARD = 16
"""Connections per httpx pool when httpx's own pool is used; more pools for higher concurrency."""

try:  # aiohttp moves the bytes when installed (a dependency of rlver); httpx's pool otherwise.
    from rlver.llm._aiohttp_transport import AiohttpTransport as _fast_transport
except ImportError:  # pragma: no cover - aiohttp is a declared dependency
    _fast_transport = None


@dataclass(frozen=True)
class ClientConfig:
    """Where and how to call one OpenAI-compatible chat endpoint. Holds no secret."""

    base_url: str
    """API root including the version path, e.g. ``http://localhost:8000/v1``; ``/chat/completions`` is appended."""
    model: str
    """Model name sent in every request (e.g. ``deepseek-chat``, ``Qwen/Qwen2.5-7B-Instruct``)."""
    api_key_env: str | None = None
    """Name of the environment variable holding the API key; the key itself is never stored here.
    ``None``: ``OPENAI_API_KEY`` for OpenAI's own endpoint, no key for any other (local servers
    need none; a third party must be named explicitly). An unset or empty variable sends no
    ``Authorization`` header."""
    timeout: float = 120.0
    """Seconds allowed for each phase of one attempt (connect, write, read between bytes, pool)."""
    max_concurrency: int = 32
    """HTTP requests in flight at once for this client (an ``asyncio.Semaphore``)."""
    max_retries: int = 4
    """Retries after the first attempt; a call makes at most ``max_retries + 1`` attempts."""
    backoff_base: float = 1.0
    """Delay before the first retry in seconds; doubles for each further retry."""
    backoff_max: float = 30.0
    """Cap on any single delay, including one asked for by a ``Retry-After`` header."""
    jitter: float = 0.1
    """Fraction of a backoff delay removed at random (0 = exact delays), so that many dialogues
    that failed together do not retry in lockstep."""
    jitter_seed: int | None = 0
    """Seed of the jitter generator (``None``: seeded from the OS)."""
    sampling: SamplingParams = field(default_factory=SamplingParams)
    """Sampling used when ``chat`` is called without ``params`` (default: greedy, seed 0)."""
    cache_dir: str | Path | None = None
    """Directory of the response cache (deterministic mode); ``None`` disables caching."""
    extra_body: Mapping[str, Any] = field(default_factory=dict)
    """Extra JSON fields merged into every request body, e.g. ``{"top_k": 20}`` for vLLM or
    ``{"chat_template_kwargs": {"enable_thinking": False}}``. Part of the cache key. May not set
    fields the client owns (model, messages, stream, and the :class:`SamplingParams` fields)."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ConfigError(
                f"base_url must start with http:// or https://, got {redact_url(self.base_url)!r}"
            )
        if not self.model:
            raise ConfigError("model must be a non-empty string")
        if self.timeout <= 0:
            raise ConfigError(f"timeout must be > 0 seconds, got {self.timeout}")
        if self.max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.max_retries < 0:
            raise ConfigError(f"max_retries must be >= 0, got {self.max_retries}")
        if self.backoff_base < 0 or self.backoff_max < 0:
            raise ConfigError("backoff_base and backoff_max must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ConfigError(f"jitter must be in [0, 1], got {self.jitter}")
        clash = sorted(_RESERVED_BODY_KEYS & set(self.extra_body))
        if clash:
            raise ConfigError(
                f"extra_body may not set {', '.join(clash)}; use ClientConfig/SamplingParams fields"
            )
        try:
            json.dumps(dict(self.extra_body))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"extra_body must be JSON-serialisable: {exc}") from None
        # Freeze a private copy so the caller's dict can neither be mutated through us nor mutate us.
        object.__setattr__(
            self, "extra_body", MappingProxyType(json.loads(json.dumps(dict(self.extra_body))))
        )

    def __repr__(self) -> str:
        # base_url may carry credentials (https://user:pass@host); show it redacted.
        shown = {f.name: getattr(self, f.name) for f in fields(self)}
        shown["base_url"] = redact_url(self.base_url)
        shown["extra_body"] = dict(self.extra_body)
        return f"ClientConfig({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @property
    def endpoint(self) -> str:
        """The full completions URL without credentials; safe to log."""
        return redact_url(self.base_url) + "/chat/completions"

    @property
    def key_env(self) -> str | None:
        """The environment variable actually read for this endpoint's key (see ``api_key_env``)."""
        return self.api_key_env if self.api_key_env is not None else default_key_env(self.base_url)


def default_key_env(base_url: str) -> str | None:
    """``OPENAI_API_KEY`` for OpenAI's own endpoint, ``None`` (send no key) for every other.

    >>> default_key_env("https://api.openai.com/v1"), default_key_env("http://localhost:8000/v1")
    ('OPENAI_API_KEY', None)
    """
    host = httpx.URL(base_url).host.lower()
    return OPENAI_KEY_ENV if host in _OPENAI_HOSTS else None


@dataclass
class ClientStats:
    """Counters of one client, for logs (``llm/requests``, ``llm/cache_hits``, …)."""

    calls: int = 0
    """``chat`` calls made (cache hits included)."""
    requests: int = 0
    """HTTP attempts sent (retries included)."""
    retries: int = 0
    """Attempts that were retried after a transient failure."""
    failures: int = 0
    """Calls that ended in an :class:`LLMError` (those refused by the open circuit breaker included)."""
    cache_hits: int = 0
    cache_misses: int = 0

    def to_dict(self, prefix: str = "llm/") -> dict[str, int]:
        return {f"{prefix}{k}": v for k, v in asdict(self).items()}


def backoff_delay(retry: int, base: float, cap: float, jitter: float = 0.0, u: float = 0.0) -> float:
    """Seconds to wait before retry number ``retry`` (1-based): capped exponential, minus jitter.

    delay = min(cap, base * 2**(retry-1)) * (1 - jitter * u),  u in [0, 1)   ("equal jitter", never above cap)

    >>> [backoff_delay(r, 0.5, 3.0) for r in (1, 2, 3, 4, 5)]
    [0.5, 1.0, 2.0, 3.0, 3.0]
    """
    exponential = base * (2.0 ** min(retry - 1, 62))  # min(): no float overflow for absurd counts
    return min(cap, exponential) * (1.0 - jitter * u)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or HTTP-date), or ``None``.

    >>> parse_retry_after("7", now=0.0)
    7.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:00:30 GMT", now=10.0)
    20.0
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - now
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)


class _Transient(Exception):
    """One attempt failed in a way worth retrying; ``retry_after`` is the server's wish, if any."""

    def __init__(self, detail: str, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_after = retry_after


class _Fatal(Exception):
    """One attempt failed in a way that retrying cannot fix; ``dead``: nor can any other request."""

    def __init__(self, detail: str, dead: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.dead = dead


class _Unreachable(Exception):
    """The connection could not be opened (refused, DNS, TLS): worth one quick retry, no more."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class OpenAIChatClient:
    """Implements :class:`rlver.llm.types.ChatClient` over HTTP. Use ``async with`` or ``aclose()``.

        async with OpenAIChatClient(base_url="http://localhost:8000/v1", model="qwen") as client:
            text = await client.chat([Message("user", "hi")])

    ``config`` may be given whole, or field by field as keyword arguments (which override it).
    ``sleep`` is awaited for every backoff delay (tests inject a recorder); ``transport`` replaces
    httpx's network transport.
    """

    def __init__(
        self,
        config: ClientConfig | None = None,
        *,
        sleep: SleepFn = asyncio.sleep,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        unknown = set(overrides) - {f.name for f in fields(ClientConfig)}
        if unknown:
            raise TypeError(f"unknown ClientConfig field(s): {', '.join(sorted(unknown))}")
        if config is None:
            config = ClientConfig(**overrides)
        elif overrides:
            config = replace(config, **overrides)
        self.config = config
        self.model = config.model
        self.stats = ClientStats()
        self.cache = None if config.cache_dir is None else ResponseCache(config.cache_dir)
        self._sleep = sleep
        self._transport = transport
        self._rng = random.Random(config.jitter_seed)
        self._http: list[httpx.AsyncClient] | None = None  # connection-pool shards
        self._in_flight: list[int] = []
        self._url: httpx.URL | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dead: str | None = None  # the circuit breaker: why this endpoint is down, once it is

    def __repr__(self) -> str:
        return f"OpenAIChatClient(endpoint={self.config.endpoint!r}, model={self.model!r})"

    async def __aenter__(self) -> OpenAIChatClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections. The client can be used again afterwards (it reconnects)."""
        http, loop = self._http, self._loop
        self._http, self._semaphore, self._loop = None, None, None
        # Connections opened on another (finished) loop cannot be closed from this one; drop them.
        if http is not None and loop is asyncio.get_running_loop():
            for shard in http:
                await shard.aclose()

    async def chat(self, messages: Sequence[Message], params: SamplingParams | None = None) -> str:
        """The assistant's reply to ``messages``. Raises :class:`LLMError` after bounded retries."""
        params = params or self.config.sampling
        self.stats.calls += 1
        key = fingerprint = None
        if self.cache is not None:
            fingerprint = request_fingerprint(
                self.config.base_url, self.model, messages, params, self.config.extra_body
            )
            key = fingerprint_key(fingerprint)
            cached = self.cache.get(key)
            if cached is not None:
                self.stats.cache_hits += 1
                return cached
            self.stats.cache_misses += 1
        text = await self._complete(self._body(messages, params))
        if self.cache is not None and key is not None and fingerprint is not None:
            try:
                self.cache.put(key, text, fingerprint)
            except OSError as exc:  # the answer is good; only its reuse is lost, so say so loudly
                logger.warning("could not write cache entry %s: %s", self.cache.path_for(key), exc)
        return text

    # -- one call: bounded attempts -------------------------------------------------------------

    async def _complete(self, body: dict[str, Any]) -> str:
        cfg = self.config
        attempts = cfg.max_retries + 1
        last = "no attempt made"
        unreachable_retried = False
        for attempt in range(1, attempts + 1):
            if self._dead is not None:
                self.stats.failures += 1
                raise LLMError(self._dead)
            try:
                return await self._attempt(body)
            except _Fatal as exc:
                raise self._fail(attempt, exc.detail, dead=exc.dead) from None
            except _Unreachable as exc:
                if unreachable_retried or attempt == attempts:
                    raise self._fail(attempt, exc.detail, dead=True) from None
                unreachable_retried, last = True, exc.detail
                self.stats.retries += 1
                await self._sleep(min(_UNREACHABLE_RETRY_DELAY, cfg.backoff_max))
            except _Transient as exc:
                last = exc.detail
                if attempt == attempts:
                    break
                delay = self._retry_delay(attempt, exc.retry_after)
                self.stats.retries += 1
                logger.warning(
                    "%s model=%s attempt %d/%d failed (%s); retrying in %.2fs",
                    cfg.endpoint,
                    self.model,
                    attempt,
                    attempts,
                    self._scrub(last),
                    delay,
                )
                await self._sleep(delay)
        raise self._fail(attempts, last, dead=False)

    def _fail(self, attempts: int, detail: str, *, dead: bool) -> LLMError:
        """Count a failed call; ``dead`` opens the breaker so every later call fails at once."""
        self.stats.failures += 1
        line = self._failure_line(attempts, detail)
        if dead and self._dead is None:
            self._dead = line
            logger.info("%s; failing every further request to this endpoint", line)
        return LLMError(self._dead if dead and self._dead is not None else line)

    @property
    def down(self) -> str | None:
        """Why the endpoint was declared down (the breaker is open), or ``None`` while it is up."""
        return self._dead

    async def preflight(self) -> None:
        """Ask the endpoint once before a run; raise one :class:`LLMError` line if it cannot serve.

        ``GET /models`` checks the address, the key and (where the server lists its models) the
        model name without spending tokens; a server that does not serve that route is asked for a
        one-token chat completion instead. Nothing is cached and the breaker is not used.
        """
        shards, _ = self._bind_to_loop()
        url = shards[0].base_url.join("models")
        where = f"{self.config.endpoint} model={self.model}"
        try:
            response = await shards[0].get(url, headers=self._auth_headers())
        except httpx.TimeoutException:
            raise LLMError(f"preflight: {where}: no answer within {self.config.timeout:g}s") from None
        except httpx.RequestError as exc:
            raise LLMError(f"preflight: {where}: {self._scrub(f'{type(exc).__name__}: {exc}')}") from None
        if response.status_code in (401, 403):
            raise LLMError(f"preflight: {where}: HTTP {response.status_code}: {self._scrub(_error_text(response))}"
                           + self._key_hint())
        if response.is_success:
            served = _served_models(response)
            if served and self.model not in served:
                shown = ", ".join(sorted(served)[:8]) + (" …" if len(served) > 8 else "")
                raise LLMError(f"preflight: {where}: the endpoint does not serve this model (it serves: {shown})")
            return
        body = self._body([Message("user", "ping")], SamplingParams(temperature=0.0, max_tokens=1))
        try:
            await self._attempt(body)
        except (_Fatal, _Unreachable, _Transient) as exc:
            raise LLMError(f"preflight: {where}: {self._scrub(exc.detail)}") from None

    def _key_hint(self) -> str:
        env = self.config.key_env
        if env is None:
            return " (no API key sent: name its variable, e.g. --simulator-key-env DEEPSEEK_API_KEY)"
        return f" (check the API key in ${env})"

    def _retry_delay(self, retry: int, retry_after: float | None) -> float:
        cfg = self.config
        if retry_after is not None:
            return min(retry_after, cfg.backoff_max)
        return backoff_delay(retry, cfg.backoff_base, cfg.backoff_max, cfg.jitter, self._rng.random())

    async def _attempt(self, body: dict[str, Any]) -> str:
        shards, semaphore = self._bind_to_loop()
        async with semaphore:
            self.stats.requests += 1
            shard = min(range(len(shards)), key=self._in_flight.__getitem__)
            self._in_flight[shard] += 1
            try:
                response = await shards[shard].post(self._url, json=body, headers=self._auth_headers())
            except httpx.UnsupportedProtocol as exc:
                raise _Fatal(f"unsupported URL: {exc}", dead=True) from None
            except httpx.ConnectError as exc:  # refused, DNS, TLS: the endpoint is not there
                raise _Unreachable(f"cannot connect: {exc}" if str(exc) else "cannot connect") from None
            except httpx.TimeoutException as exc:
                raise _Transient(f"timeout after {self.config.timeout:g}s ({type(exc).__name__})") from None
            except httpx.RequestError as exc:  # network, protocol and body-decoding errors
                raise _Transient(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__) from None
            finally:
                self._in_flight[shard] -= 1
        status = response.status_code
        if not response.is_success:
            detail = f"HTTP {status}: {_error_text(response)}"
            if status in _RETRY_STATUSES or status >= 500:
                retry_after = None
                if status in _RETRY_AFTER_STATUSES:
                    retry_after = parse_retry_after(response.headers.get("retry-after"), time.time())
                raise _Transient(detail, retry_after)
            if 300 <= status < 400 and "location" in response.headers:
                detail += f" (redirected to {redact_url(response.headers['location'])}; use that as base_url)"
            if status in (401, 403):
                detail += self._key_hint()
            raise _Fatal(detail, dead=status in _DEAD_STATUSES)
        return _reply_text(response)

    def _bind_to_loop(self) -> tuple[list[httpx.AsyncClient], asyncio.Semaphore]:
        """The HTTP connection pools and semaphore of the running loop, created on first use in that loop.

        The wire is aiohttp (see ``_aiohttp_transport``). Without it, connections are spread over
        httpx pools of at most ``_CONNECTIONS_PER_SHARD``: httpcore scans every connection of a pool
        for each request it places, which made one pool of 128 connections spend most of a
        rollout's CPU time in that scan.
        """
        loop = asyncio.get_running_loop()
        if self._http is None or self._semaphore is None or self._loop is not loop:
            # A client left over from a finished loop cannot be closed from this one; drop it.
            cfg = self.config
            self._loop = loop
            self._semaphore = asyncio.Semaphore(cfg.max_concurrency)
            transports: list[httpx.AsyncBaseTransport | None]
            if self._transport is not None:  # injected (tests): one client over it
                transports = [self._transport]
            elif _fast_transport is not None:  # one aiohttp pool serves any concurrency cheaply
                transports = [_fast_transport(max_connections=cfg.max_concurrency, timeout=cfg.timeout)]
            else:
                transports = [self._transport] * -(-cfg.max_concurrency // _CONNECTIONS_PER_SHARD)
            n_shards = len(transports)
            per_shard = -(-cfg.max_concurrency // n_shards)
            tls = httpx.create_ssl_context()  # one context for all shards: building one costs ~20 ms
            self._http = [
                httpx.AsyncClient(
                    base_url=redact_url(cfg.base_url) + "/",
                    timeout=httpx.Timeout(cfg.timeout),
                    limits=httpx.Limits(max_connections=per_shard, max_keepalive_connections=per_shard),
                    headers={"User-Agent": "rlver"},
                    transport=transport,
                    verify=tls,
                )
                for transport in transports
            ]
            self._in_flight = [0] * n_shards
            # Parsed once: httpx would otherwise parse and merge the URL on every request.
            self._url = self._http[0].base_url.join("chat/completions")
        return self._http, self._semaphore

    def _body(self, messages: Sequence[Message], params: SamplingParams) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.to_dict() for m in messages],
            "temperature": params.temperature,
            "stream": False,
        }
        if params.seed is not None:
            body["seed"] = params.seed
        if params.max_tokens is not None:
            body["max_tokens"] = params.max_tokens
        if params.top_p is not None:
            body["top_p"] = params.top_p
        if params.stop:
            body["stop"] = list(params.stop)
        body.update(self.config.extra_body)
        return body

    def _api_key(self) -> str | None:
        name = self.config.key_env
        return (os.environ.get(name) or None) if name else None

    def _auth_headers(self) -> dict[str, str]:
        key = self._api_key()
        return {"Authorization": f"Bearer {key}"} if key else {}

    def _scrub(self, text: str) -> str:
        """``text`` on one line, with the API key (if any) replaced; servers sometimes echo it."""
        key = self._api_key()
        if key:
            text = text.replace(key, "***")
        return " ".join(text.split())

    def _failure_line(self, attempts: int, last: str) -> str:
        return (
            f"{self.config.endpoint} model={self.model} failed after {attempts} "
            f"attempt{'s' if attempts != 1 else ''}: {self._scrub(last)}"
        )


def _error_text(response: httpx.Response) -> str:
    """The server's error message (OpenAI ``{"error": {"message": …}}`` or raw text), shortened."""
    text = response.text
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            text = error["message"]
        elif isinstance(error, str):
            text = error
        elif isinstance(data.get("message"), str):
            text = data["message"]
    text = " ".join(text.split())
    return text[:_MAX_DETAIL] + ("…" if len(text) > _MAX_DETAIL else "") if text else "(empty body)"


def _served_models(response: httpx.Response) -> set[str]:
    """Model ids of an OpenAI-style ``/models`` answer (empty when the answer lists none)."""
    try:
        data = response.json()
    except ValueError:
        return set()
    items = data.get("data") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return set()
    return {item["id"] for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)}


def _reply_text(response: httpx.Response) -> str:
    """``choices[0].message.content`` of a 200 answer; a malformed answer is a transient failure."""
    try:
        data = response.json()
    except ValueError:
        raise _Transient(f"malformed response: body is not JSON ({_error_text(response)})") from None
    choices = data.get("choices") if isinstance(data, dict) else None
    if not isinstance(choices, list) or not choices:
        hint = f" ({_error_text(response)})" if isinstance(data, dict) and "error" in data else ""
        raise _Transient(f"malformed response: no choices{hint}")
    first = choices[0]
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, str):
        raise _Transient("malformed response: choices[0].message.content missing")
    return content
