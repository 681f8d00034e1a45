"""OpenAIChatClient against the real local stub server (HTTP on 127.0.0.1, scripted answers)."""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from rlver.errors import ConfigError, LLMError
from rlver.llm import ClientConfig, Message, OpenAIChatClient, SamplingParams
from rlver.llm.client import backoff_delay, parse_retry_after
from rlver.testing import StubResponse

SECRET = "sk-test-9f8e7d6c5b4a-secret"
KEY_ENV = "RLVER_TEST_API_KEY"
HELLO = [Message("system", "be kind"), Message("user", "hello")]


class SleepRecorder:
    """Injected sleep: records every backoff delay instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def scripted(*answers: StubResponse | str):
    """Responder that plays ``answers`` in order, then repeats the last one."""
    queue = list(answers)
    lock = threading.Lock()

    def respond(request: dict) -> StubResponse | str:
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    return respond


def make_client(server, **overrides) -> tuple[OpenAIChatClient, SleepRecorder]:
    sleep = SleepRecorder()
    settings = {
        "base_url": server.base_url,
        "model": "stub-7b",
        "api_key_env": KEY_ENV,
        "jitter": 0.0,
        "max_retries": 3,
    }
    settings.update(overrides)
    return OpenAIChatClient(sleep=sleep, **settings), sleep


async def test_happy_path_returns_content_and_counts(stub_server):
    with stub_server(lambda req: "I hear you.") as server:
        client, sleep = make_client(server)
        async with client:
            assert await client.chat(HELLO) == "I hear you."
        assert client.stats.requests == 1 and client.stats.retries == 0 and client.stats.calls == 1
        assert sleep.delays == []
        assert server.requests[0]["messages"] == [
            {"role": "system", "content": "be kind"},
            {"role": "user", "content": "hello"},
        ]


async def test_request_body_carries_model_and_sampling(stub_server):
    with stub_server(lambda req: "ok") as server:
        client, _ = make_client(server, extra_body={"top_k": 20})
        params = SamplingParams(temperature=0.3, seed=11, max_tokens=77, top_p=0.9, stop=("\n\n",))
        async with client:
            await client.chat(HELLO, params)
            await client.chat(HELLO, SamplingParams(seed=None, max_tokens=None))
    first, second = server.requests
    assert first["model"] == "stub-7b"
    assert (first["temperature"], first["seed"], first["max_tokens"]) == (0.3, 11, 77)
    assert (first["top_p"], first["stop"], first["top_k"], first["stream"]) == (0.9, ["\n\n"], 20, False)
    # Unset parameters are omitted so the endpoint's defaults apply.
    assert "seed" not in second and "max_tokens" not in second and "top_p" not in second
    assert second["temperature"] == 0.0


async def test_default_sampling_comes_from_config(stub_server):
    with stub_server(lambda req: "ok") as server:
        client, _ = make_client(server, sampling=SamplingParams(temperature=0.0, seed=5, max_tokens=9))
        async with client:
            await client.chat(HELLO)
    assert (server.requests[0]["seed"], server.requests[0]["max_tokens"]) == (5, 9)


async def test_authorization_header_only_when_key_set(stub_server, monkeypatch):
    with stub_server(lambda req: "ok") as server:
        client, _ = make_client(server)
        async with client:
            monkeypatch.delenv(KEY_ENV, raising=False)
            await client.chat(HELLO)
            monkeypatch.setenv(KEY_ENV, SECRET)
            await client.chat(HELLO)
    without, with_key = server.headers_seen
    assert "authorization" not in without
    assert with_key["authorization"] == f"Bearer {SECRET}"


async def test_key_never_in_errors_logs_or_reprs(stub_server, monkeypatch, caplog):
    monkeypatch.setenv(KEY_ENV, SECRET)
    # A hostile/buggy server echoes the key back in its error bodies.
    answers = scripted(
        StubResponse(status=500, text=f"upstream rejected Bearer {SECRET}"),
        StubResponse(status=401, text=f"invalid key {SECRET}"),
    )
    caplog.set_level(logging.DEBUG)
    with stub_server(answers) as server:
        client, _ = make_client(server)
        async with client:
            with pytest.raises(LLMError) as info:
                await client.chat(HELLO)
    message = str(info.value)
    assert "HTTP 401" in message and f"${KEY_ENV}" in message
    assert SECRET not in message
    assert SECRET not in caplog.text
    assert "retrying" in caplog.text  # the 500 was logged as a retry, scrubbed
    assert SECRET not in repr(client) and SECRET not in repr(client.config)
    assert info.value.__cause__ is None  # no chained httpx exception carrying request details


async def test_500_then_success_backs_off_once(stub_server):
    answers = scripted(StubResponse(status=500, text="boom"), "recovered")
    with stub_server(answers) as server:
        client, sleep = make_client(server, backoff_base=0.25)
        async with client:
            assert await client.chat(HELLO) == "recovered"
    assert len(server.requests) == 2
    assert sleep.delays == [0.25]
    assert client.stats.retries == 1 and client.stats.failures == 0


async def test_exponential_backoff_is_capped_and_failure_message_is_one_clear_line(stub_server):
    with stub_server(lambda req: StubResponse(status=503, text="overloaded\nplease wait")) as server:
        client, sleep = make_client(server, max_retries=4, backoff_base=1.0, backoff_max=3.0)
        async with client:
            with pytest.raises(LLMError) as info:
                await client.chat(HELLO)
    assert len(server.requests) == 5
    assert sleep.delays == [1.0, 2.0, 3.0, 3.0]
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{server.base_url}/chat/completions model=stub-7b failed after 5 attempts")
    assert "HTTP 503: overloaded please wait" in message
    assert client.stats.failures == 1


async def test_429_retry_after_seconds_is_honoured(stub_server):
    answers = scripted(StubResponse(status=429, text="slow down", headers={"Retry-After": "7"}), "ok")
    with stub_server(answers) as server:
        client, sleep = make_client(server, backoff_base=0.5, backoff_max=30.0)
        async with client:
            assert await client.chat(HELLO) == "ok"
    assert sleep.delays == [7.0]


async def test_retry_after_http_date_is_capped_by_backoff_max(stub_server):
    far_future = "Fri, 31 Dec 2100 23:59:59 GMT"
    answers = scripted(StubResponse(status=503, headers={"Retry-After": far_future}), "ok")
    with stub_server(answers) as server:
        client, sleep = make_client(server, backoff_max=12.5)
        async with client:
            assert await client.chat(HELLO) == "ok"
    assert sleep.delays == [12.5]


def test_parse_retry_after_forms():
    assert parse_retry_after("2.5", now=0.0) == 2.5
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=45.0) == 15.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=100.0) == 0.0  # in the past
    assert parse_retry_after("-3", now=0.0) == 0.0
    assert parse_retry_after("soon", now=0.0) is None
    assert parse_retry_after(None, now=0.0) is None


def test_backoff_jitter_never_exceeds_cap_and_is_seeded():
    assert backoff_delay(1, 2.0, 10.0, jitter=0.5, u=0.0) == 2.0
    assert backoff_delay(1, 2.0, 10.0, jitter=0.5, u=0.5) == 1.5
    assert backoff_delay(100, 2.0, 10.0) == 10.0


async def test_seeded_jitter_is_reproducible(stub_server):
    runs = []
    with stub_server(lambda req: StubResponse(status=500)) as server:
        for _ in range(2):
            client, sleep = make_client(server, jitter=0.5, jitter_seed=123, max_retries=3, backoff_base=1.0)
            async with client:
                with pytest.raises(LLMError):
                    await client.chat(HELLO)
            runs.append(sleep.delays)
    assert runs[0] == runs[1]
    assert all(0.5 * 2**i <= d <= 2**i for i, d in enumerate(runs[0]))


async def test_timeout_is_retried_then_fails(stub_server):
    with stub_server(lambda req: StubResponse(text="too late", delay=0.5)) as server:
        client, sleep = make_client(server, timeout=0.1, max_retries=1, backoff_base=0.01)
        async with client:
            with pytest.raises(LLMError) as info:
                await client.chat(HELLO)
    assert len(server.requests) == 2
    assert sleep.delays == [0.01]
    assert "failed after 2 attempts: timeout after 0.1s" in str(info.value)


async def test_400_fails_fast_without_retry(stub_server):
    with stub_server(lambda req: StubResponse(status=400, text="messages must not be empty")) as server:
        client, sleep = make_client(server)
        async with client:
            with pytest.raises(
                LLMError, match=r"failed after 1 attempt: HTTP 400: messages must not be empty"
            ):
                await client.chat(HELLO)
    assert len(server.requests) == 1 and sleep.delays == []


async def test_redirect_fails_fast_and_names_the_target(stub_server):
    moved = StubResponse(status=307, headers={"Location": "https://new.example.com/v1/chat/completions"})
    with stub_server(lambda req: moved) as server:
        client, sleep = make_client(server)
        async with client:
            with pytest.raises(LLMError, match=r"HTTP 307.*redirected to https://new.example.com/v1"):
                await client.chat(HELLO)
    assert len(server.requests) == 1 and sleep.delays == []


@pytest.mark.parametrize("status", [408, 409])
async def test_408_and_409_are_retried(stub_server, status):
    with stub_server(scripted(StubResponse(status=status), "ok")) as server:
        client, _ = make_client(server)
        async with client:
            assert await client.chat(HELLO) == "ok"
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "body",
    [
        '{"choices": []}',
        "not json at all",
        '{"choices": [{"message": {"role": "assistant", "content": null}}]}',
    ],
)
async def test_malformed_responses_are_retried_then_fail(stub_server, body):
    with stub_server(lambda req: StubResponse(body=body)) as server:
        client, sleep = make_client(server, max_retries=2, backoff_base=0.1)
        async with client:
            with pytest.raises(LLMError, match="failed after 3 attempts: malformed response"):
                await client.chat(HELLO)
    assert len(server.requests) == 3 and sleep.delays == [0.1, 0.2]


async def test_connection_refused_gets_one_quick_retry_then_fails():
    # Bind then close a socket to get a port nobody listens on.
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleep = SleepRecorder()
    client = OpenAIChatClient(
        base_url=f"http://127.0.0.1:{port}/v1", model="m", max_retries=4, jitter=0.0, sleep=sleep
    )
    async with client:
        with pytest.raises(LLMError, match="failed after 2 attempts: cannot connect"):
            await client.chat(HELLO)
    assert sleep.delays == [0.5]  # one quick retry, not the 4 backed-off ones a 500 would get


async def test_concurrency_bound_is_respected_at_the_server(stub_server):
    total = 6
    arrivals = 0
    in_flight = 0
    peak = 0
    cond = threading.Condition()

    def respond(request: dict) -> str:
        nonlocal arrivals, in_flight, peak
        with cond:
            arrivals += 1
            in_flight += 1
            peak = max(peak, in_flight)
            cond.notify_all()
            # Hold requests so that a client breaking its bound piles more of them up here. A correct
            # client never gets all 6 in, so each pair is let go by the (short) timeout instead; the
            # outcome does not depend on that timing, only the test's duration does.
            cond.wait_for(lambda: arrivals == total, timeout=0.2)
            in_flight -= 1
        return "ok"

    with stub_server(respond) as server:
        client, _ = make_client(server, max_concurrency=2)
        async with client:
            replies = await asyncio.gather(*(client.chat([Message("user", str(i))]) for i in range(total)))
    assert replies == ["ok"] * total
    assert peak == 2


async def test_high_concurrency_spans_several_connection_pools(stub_server):
    """Above 16 connections the client shards its pools; all of max_concurrency is still usable."""
    bound, total = 40, 60
    in_flight = peak = 0
    cond = threading.Condition()

    def respond(request: dict) -> str:
        nonlocal in_flight, peak
        with cond:
            in_flight += 1
            peak = max(peak, in_flight)
            cond.notify_all()
            cond.wait_for(lambda: in_flight >= bound, timeout=0.5)  # hold until the bound is reached
            in_flight -= 1
        return "ok"

    with stub_server(respond) as server:
        client, _ = make_client(server, max_concurrency=bound)
        async with client:
            replies = await asyncio.gather(*(client.chat([Message("user", str(i))]) for i in range(total)))
    assert replies == ["ok"] * total
    assert peak == bound


def test_client_survives_a_new_event_loop(stub_server):
    with stub_server(lambda req: "ok") as server:
        client, _ = make_client(server)

        async def once() -> str:
            return await client.chat(HELLO)

        # Two separate loops (as two asyncio.run calls make): the httpx client is rebound lazily.
        assert asyncio.run(once()) == "ok"
        assert asyncio.run(once()) == "ok"
        asyncio.run(client.aclose())
    assert len(server.requests) == 2


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        ({"base_url": "localhost:8000/v1"}, "http:// or https://"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"jitter": 2.0}, "jitter"),
        ({"extra_body": {"temperature": 1.0}}, "extra_body may not set temperature"),
        ({"extra_body": {"x": object()}}, "JSON-serialisable"),
    ],
)
def test_config_validation(overrides, fragment):
    settings = {"base_url": "http://127.0.0.1:1/v1", "model": "m", **overrides}
    with pytest.raises(ConfigError, match=fragment):
        ClientConfig(**settings)


def test_config_redacts_url_credentials_and_unknown_fields_are_rejected():
    config = ClientConfig(base_url="https://user:pw@api.example.com/v1/", model="m")
    assert config.endpoint == "https://api.example.com/v1/chat/completions"
    assert "pw" not in repr(OpenAIChatClient(config)) and "pw" not in repr(config)
    with pytest.raises(TypeError, match="unknown ClientConfig field"):
        OpenAIChatClient(config, modle="typo")


def test_public_api_and_doctests():
    import doctest

    import rlver.llm
    import rlver.llm.cache
    import rlver.llm.client
    import rlver.policy.openai_policy

    assert set(rlver.llm.__all__) == {
        "ChatClient",
        "ClientConfig",
        "ClientStats",
        "Message",
        "OpenAIChatClient",
        "ResponseCache",
        "Role",
        "SamplingParams",
    }
    assert all(hasattr(rlver.llm, name) for name in rlver.llm.__all__)
    assert isinstance(OpenAIChatClient(base_url="http://127.0.0.1:1/v1", model="m"), rlver.llm.ChatClient)
    for module in (rlver.llm.cache, rlver.llm.client, rlver.policy.openai_policy):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0, module.__name__
