"""A dead endpoint is noticed once and stops the run with one line; keys go only where they belong.

Everything runs against real local servers: the scripted stub (rlver.testing.StubChatServer) or a
port nobody listens on. CLI paths run the real ``rlver`` entry point in a subprocess, so exit codes,
the last line and stderr are exactly what a user sees.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from rlver.errors import LLMError
from rlver.llm import Message, OpenAIChatClient
from rlver.llm.client import default_key_env
from rlver.testing import StubResponse
from tests.test_cli_bench_e2e import scripted  # scripted SAGE simulator answers

HELLO = [Message("user", "hello")]
SECRET = "sk-rlver-test-0123456789-secret"


class SleepRecorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def rlver(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PYTHONWARNINGS": "default", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "rlver", *args], capture_output=True, text=True, timeout=timeout, env=full_env
    )


def last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


# -- the circuit breaker ----------------------------------------------------------------------------


async def test_a_refused_endpoint_opens_the_breaker_for_every_later_call():
    sleep = SleepRecorder()
    client = OpenAIChatClient(base_url=dead_url(), model="m", max_retries=5, sleep=sleep)
    async with client:
        results = await asyncio.gather(*(client.chat(HELLO) for _ in range(20)), return_exceptions=True)
        assert all(isinstance(r, LLMError) for r in results)
        assert client.down is not None and "cannot connect" in client.down
        attempts_after_first_wave = client.stats.requests
        with pytest.raises(LLMError, match="cannot connect"):
            await client.chat(HELLO)
    # Later calls are refused without touching the network; no call backs off for long.
    assert client.stats.requests == attempts_after_first_wave
    assert all(delay <= 0.5 for delay in sleep.delays)
    assert client.stats.failures == 21


@pytest.mark.parametrize("status", [401, 403, 404])
async def test_auth_and_not_found_fail_the_endpoint_after_one_request(stub_server, status):
    with stub_server(lambda req: StubResponse(status=status, text="nope")) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="m", max_retries=5, sleep=SleepRecorder())
        async with client:
            for _ in range(5):
                with pytest.raises(LLMError, match=f"HTTP {status}"):
                    await client.chat(HELLO)
        assert len(server.requests) == 1


async def test_server_errors_keep_their_backoff_and_do_not_open_the_breaker(stub_server):
    answers = iter([StubResponse(status=500), StubResponse(status=503), "fine"])
    lock = threading.Lock()

    def respond(request: dict) -> StubResponse | str:
        with lock:
            return next(answers)

    with stub_server(respond) as server:
        sleep = SleepRecorder()
        client = OpenAIChatClient(base_url=server.base_url, model="m", max_retries=3, jitter=0.0, sleep=sleep)
        async with client:
            assert await client.chat(HELLO) == "fine"
        assert client.down is None and sleep.delays == [1.0, 2.0]


async def test_a_bad_request_fails_only_its_own_call(stub_server):
    def respond(request: dict) -> StubResponse | str:
        too_long = request["messages"][-1]["content"] == "too long"
        return StubResponse(status=400, text="context too long") if too_long else "ok"

    with stub_server(respond) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="m", sleep=SleepRecorder())
        async with client:
            with pytest.raises(LLMError, match="HTTP 400"):
                await client.chat([Message("user", "too long")])
            assert await client.chat(HELLO) == "ok"


# -- preflight ----------------------------------------------------------------------------------------


async def test_preflight_passes_without_spending_a_completion(stub_server):
    with stub_server(lambda req: "unused", served_models=["sim-model"]) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="sim-model")
        async with client:
            await client.preflight()
        assert server.requests == [] and len(server.probes) == 1


async def test_preflight_names_the_model_the_endpoint_does_not_serve(stub_server):
    with stub_server(lambda req: "unused", served_models=["qwen2.5-7b", "llama-3"]) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="deepseek-chat")
        async with client:
            with pytest.raises(LLMError) as caught:
                await client.preflight()
    message = str(caught.value)
    assert message.startswith("preflight: ") and "model=deepseek-chat" in message
    assert "does not serve this model" in message and "qwen2.5-7b" in message


async def test_preflight_falls_back_to_a_one_token_chat_where_models_is_not_served(stub_server):
    with stub_server(lambda req: "pong", models_status=404) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="m")
        async with client:
            await client.preflight()
        assert len(server.requests) == 1 and server.requests[0]["max_tokens"] == 1


async def test_preflight_reports_a_refused_endpoint_and_a_rejected_key(stub_server):
    client = OpenAIChatClient(base_url=dead_url(), model="m")
    async with client:
        with pytest.raises(
            LLMError, match=r"^preflight: http://127\.0\.0\.1:\d+/v1/chat/completions model=m: "
        ):
            await client.preflight()
    with stub_server(lambda req: "unused", models_status=401) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="m")
        async with client:
            with pytest.raises(LLMError, match="HTTP 401.*no API key sent"):
                await client.preflight()


# -- keys go only where they belong ------------------------------------------------------------------


def test_openai_key_is_the_default_only_for_openai():
    assert default_key_env("https://api.openai.com/v1") == "OPENAI_API_KEY"
    for url in ("http://localhost:8000/v1", "https://api.deepseek.com/v1", "http://127.0.0.1:1/v1"):
        assert default_key_env(url) is None


async def test_a_local_endpoint_never_receives_openai_api_key(stub_server, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("RLVER_TEST_SIM_KEY", "sk-the-right-one")
    with stub_server(lambda req: "ok") as server:
        async with OpenAIChatClient(base_url=server.base_url, model="m") as client:
            await client.chat(HELLO)
            await client.preflight()
        async with OpenAIChatClient(
            base_url=server.base_url, model="m", api_key_env="RLVER_TEST_SIM_KEY"
        ) as named:
            await named.chat(HELLO)
    seen = server.headers_seen + server.probes
    assert "authorization" not in server.headers_seen[0] and "authorization" not in server.probes[0]
    assert server.headers_seen[1]["authorization"] == "Bearer sk-the-right-one"
    assert all(SECRET not in json.dumps(h) for h in seen)


def test_no_key_reaches_any_file_a_bench_run_writes(stub_server, tmp_path):
    out = tmp_path / "bench"
    with stub_server(scripted, served_models=["sim"]) as server:
        done = rlver(
            "bench",
            "--profiles",
            "builtin:test",
            "--limit",
            "2",
            "--policy",
            "reference:oracle",
            "--simulator",
            "openai:sim",
            "--simulator-base-url",
            server.base_url,
            "--simulator-key-env",
            "RLVER_TEST_SIM_KEY",
            "--out",
            str(out),
            "--cache-dir",
            str(tmp_path / "cache"),
            env={"RLVER_TEST_SIM_KEY": SECRET, "OPENAI_API_KEY": SECRET + "-openai"},
        )
    assert done.returncode == 0, done.stderr
    assert all(h.get("authorization") == f"Bearer {SECRET}" for h in server.headers_seen)
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(encoding="utf-8", errors="replace"), path
    assert SECRET not in done.stdout + done.stderr


# -- what the CLI does when the endpoint is dead ------------------------------------------------------

DEAD = ["--simulator", "openai:x", "--simulator-base-url"]


def test_bench_against_a_dead_simulator_stops_at_once_with_one_line(tmp_path):
    done = rlver(
        "bench",
        "--profiles",
        "builtin:test",
        "--limit",
        "2",
        "--policy",
        "reference:random",
        *DEAD,
        dead_url(),
        "--out",
        str(tmp_path / "b"),
    )
    assert done.returncode == 1
    assert last_line(done.stderr).startswith("error: preflight: ") and "model=x" in done.stderr
    assert "Warning" not in done.stderr and "Unclosed" not in done.stderr
    assert not (tmp_path / "b" / "summary.json").exists()  # nothing ran, nothing half-written


def test_bench_without_preflight_fails_every_dialogue_once_and_exits_1(tmp_path):
    done = rlver(
        "bench",
        "--profiles",
        "builtin:test",
        "--limit",
        "3",
        "--policy",
        "reference:random",
        *DEAD,
        dead_url(),
        "--out",
        str(tmp_path / "b"),
        "--no-preflight",
    )
    assert done.returncode == 1
    assert last_line(done.stderr).startswith("error: 3 of 3 dialogues failed: 3x ")
    assert done.stderr.count("failing every further request") <= 1  # one log line, not one per dialogue
    assert "Unclosed" not in done.stderr and "Warning" not in done.stderr
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert summary["errors"] == 3 and summary["n"] == 0 and len(summary["error_reasons"]) == 1


def test_allow_errors_accepts_what_it_is_told_to(stub_server, tmp_path):
    good = scripted
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(request: dict) -> StubResponse | str:
        with lock:
            calls["n"] += 1
            first_opening = calls["n"] == 1
        return StubResponse(status=400, text="bad request") if first_opening else good(request)

    args = [
        "bench",
        "--profiles",
        "builtin:test",
        "--limit",
        "2",
        "--policy",
        "reference:oracle",
        "--concurrency",
        "1",
    ]
    with stub_server(flaky) as server:
        sim = ["--simulator", "openai:sim", "--simulator-base-url", server.base_url]
        strict = rlver(*args, *sim, "--out", str(tmp_path / "strict"))
        calls["n"] = 0
        lenient = rlver(*args, *sim, "--out", str(tmp_path / "lenient"), "--allow-errors", "1")
    assert strict.returncode == 1 and last_line(strict.stderr).startswith("error: 1 of 2 dialogues failed")
    assert lenient.returncode == 0 and "allowed by --allow-errors" in lenient.stderr


def test_train_against_a_dead_simulator_exits_1_before_loading_the_model(tmp_path):
    done = rlver(
        "train",
        "--config",
        "configs/demo-grpo.yaml",
        *DEAD,
        dead_url(),
        "--steps",
        "1",
        "--out",
        str(tmp_path / "t"),
        "--no-progress",
    )
    assert done.returncode == 1 and last_line(done.stderr).startswith("error: preflight: ")
    assert not (tmp_path / "t" / "checkpoints").exists()


def test_train_stops_when_a_step_has_no_scorable_episode(tmp_path):
    done = rlver(
        "train",
        "--config",
        "configs/demo-grpo.yaml",
        *DEAD,
        dead_url(),
        "--steps",
        "3",
        "--profiles-per-step",
        "1",
        "--group-size",
        "2",
        "--max-turns",
        "2",
        "--out",
        str(tmp_path / "t"),
        "--no-progress",
        "--no-preflight",
    )
    assert done.returncode == 1
    line = last_line(done.stderr)
    assert line.startswith("error: step 1: no scorable episode, all 2 dialogues failed: 2x "), line
    assert not (tmp_path / "t" / "checkpoints").exists()
    # The error is all that stderr says: no third-party warning, no unclosed-session complaint.
    assert [line for line in done.stderr.splitlines() if line.strip()] == [line], done.stderr


def test_the_old_key_flag_spellings_still_work(tmp_path):
    for args in (["train", "--help"], ["profiles", "generate", "--help"]):
        assert rlver(*args).returncode == 0
    done = rlver(
        "train",
        "--config",
        "configs/demo-grpo.yaml",
        "--simulator",
        "openai:x",
        "--simulator-base-url",
        dead_url(),
        "--simulator-api-key-env",
        "SOME_KEY",
        "--steps",
        "1",
        "--out",
        str(tmp_path / "t"),
    )
    assert done.returncode == 1 and "preflight" in done.stderr


def test_exit_codes_separate_bad_input_from_failed_runs(tmp_path):
    bad = rlver("bench", "--profiles", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path / "o"))
    assert bad.returncode == 2 and last_line(bad.stderr).startswith("error: ")
    flag = rlver("bench", "--profiles", "builtin:test", "--out", str(tmp_path / "o"), "--allow-errors", "1.5")
    assert flag.returncode == 2 and "--allow-errors" in flag.stderr


def test_training_stops_after_k_degraded_steps_in_a_row():
    from types import SimpleNamespace

    from rlver.errors import RunFailed
    from rlver.rl.config import RolloutSettings
    from rlver.rl.trainer import Trainer

    trainer = SimpleNamespace(
        config=SimpleNamespace(rollout=RolloutSettings(max_dropped_fraction=0.5, max_dropped_steps=2)),
        _degraded_steps=0,
    )
    ok, bad = SimpleNamespace(error=None), SimpleNamespace(error="HTTP 503: busy")
    check = Trainer._check_dropped
    check(trainer, 1, [ok, bad, bad], [bad, bad])  # 2/3 dropped: degraded once
    check(trainer, 2, [ok, ok, bad], [bad])  # 1/3: not degraded, the streak resets
    check(trainer, 3, [ok, bad, bad], [bad, bad])
    with pytest.raises(
        RunFailed, match=r"step 4: 2 of 3 dialogues failed, .* for 2 steps in a row: 2x HTTP 503"
    ):
        check(trainer, 4, [ok, bad, bad], [bad, bad])
    with pytest.raises(RunFailed, match="step 5: no scorable episode"):
        check(trainer, 5, [bad], [bad])
