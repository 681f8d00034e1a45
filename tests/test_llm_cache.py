"""ResponseCache on its own and behind OpenAIChatClient (deterministic mode) over the real stub server."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

import pytest

from rlver.llm import Message, OpenAIChatClient, ResponseCache, SamplingParams
from rlver.llm.cache import fingerprint_key, request_fingerprint

MESSAGES = [Message("system", "You are Mia."), Message("user", "I failed my exam.")]
SECRET = "sk-cache-test-0123456789"
KEY_ENV = "RLVER_CACHE_TEST_KEY"


def counting_responder():
    """Answers ``reply-N`` with N counting requests, so a repeated answer proves a cache hit."""
    count = 0
    lock = threading.Lock()

    def respond(request: dict) -> str:
        nonlocal count
        with lock:
            count += 1
            return f"reply-{count}"

    return respond


def fingerprint(**sampling) -> dict:
    return request_fingerprint("http://h:1/v1", "m", MESSAGES, SamplingParams(**sampling))


def test_key_is_stable_and_sensitive_to_every_request_field():
    base = fingerprint_key(fingerprint())
    assert base == fingerprint_key(fingerprint())
    assert len(base) == 64
    variants = [
        fingerprint(seed=1),
        fingerprint(temperature=0.5),
        fingerprint(max_tokens=10),
        fingerprint(top_p=0.9),
        fingerprint(stop=("END",)),
        request_fingerprint("http://h:1/v1", "other-model", MESSAGES, SamplingParams()),
        request_fingerprint("http://h:2/v1", "m", MESSAGES, SamplingParams()),
        request_fingerprint("http://h:1/v1", "m", MESSAGES[:1], SamplingParams()),
        request_fingerprint("http://h:1/v1", "m", MESSAGES, SamplingParams(), {"top_k": 20}),
    ]
    keys = {fingerprint_key(v) for v in variants}
    assert base not in keys and len(keys) == len(variants)


def test_key_normalises_equivalent_requests():
    # 0 and 0.0 are the same temperature; a trailing slash or URL credentials do not change the answer.
    assert fingerprint_key(fingerprint(temperature=0)) == fingerprint_key(fingerprint(temperature=0.0))
    a = request_fingerprint("http://h:1/v1/", "m", MESSAGES, SamplingParams())
    b = request_fingerprint("http://user:pw@h:1/v1", "m", MESSAGES, SamplingParams())
    assert fingerprint_key(a) == fingerprint_key(b) == fingerprint_key(fingerprint())
    assert "pw" not in json.dumps(b)


def test_put_get_round_trip_is_sharded_and_atomic(tmp_path):
    cache = ResponseCache(tmp_path)
    fp = fingerprint()
    key = fingerprint_key(fp)
    assert cache.get(key) is None
    path = cache.put(key, "Mia sighs: 嗯……", fp)
    assert path == tmp_path / key[:2] / f"{key}.json"
    assert cache.get(key) == "Mia sighs: 嗯……"
    assert cache.get_entry(key).request == fp
    assert len(cache) == 1
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp files left behind


@pytest.mark.parametrize(
    "content",
    ["{not json", json.dumps({"key": "wrong", "response": "x", "request": {}}), json.dumps(["a list"]), ""],
)
def test_corrupt_entry_is_a_miss_with_a_warning(tmp_path, caplog, content):
    cache = ResponseCache(tmp_path)
    fp = fingerprint()
    key = fingerprint_key(fp)
    path = cache.put(key, "good", fp)
    path.write_text(content, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="rlver.llm.cache"):
        assert cache.get(key) is None
    assert str(path) in caplog.text


def test_path_for_rejects_non_hash_keys(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        ResponseCache(tmp_path).path_for("../../etc/passwd")


async def test_second_identical_call_is_served_from_disk(stub_server, tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, SECRET)
    with stub_server(counting_responder()) as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="sim", api_key_env=KEY_ENV, cache_dir=tmp_path
        ) as client:
            first = await client.chat(MESSAGES)
            second = await client.chat(MESSAGES)
        assert first == second == "reply-1"
        assert len(server.requests) == 1
        assert (client.stats.cache_hits, client.stats.cache_misses, client.stats.requests) == (1, 1, 1)

        # A fresh client (a rerun of the experiment) reproduces the answer without any HTTP call.
        async with OpenAIChatClient(base_url=server.base_url, model="sim", cache_dir=tmp_path) as rerun:
            assert await rerun.chat(MESSAGES) == "reply-1"
        assert len(server.requests) == 1
    stored = "".join(p.read_text(encoding="utf-8") for p in Path(tmp_path).rglob("*.json"))
    assert SECRET not in stored and KEY_ENV not in stored


async def test_different_seed_or_temperature_is_a_miss(stub_server, tmp_path):
    with stub_server(counting_responder()) as server:
        async with OpenAIChatClient(base_url=server.base_url, model="sim", cache_dir=tmp_path) as client:
            a = await client.chat(MESSAGES, SamplingParams(seed=0))
            b = await client.chat(MESSAGES, SamplingParams(seed=1))
            c = await client.chat(MESSAGES, SamplingParams(seed=0, temperature=0.7))
            d = await client.chat(MESSAGES, SamplingParams(seed=0))
    assert (a, b, c, d) == ("reply-1", "reply-2", "reply-3", "reply-1")
    assert len(server.requests) == 3
    assert (client.stats.cache_hits, client.stats.cache_misses) == (1, 3)


async def test_corrupt_cache_file_is_ignored_and_rewritten(stub_server, tmp_path, caplog):
    with stub_server(counting_responder()) as server:
        async with OpenAIChatClient(base_url=server.base_url, model="sim", cache_dir=tmp_path) as client:
            assert await client.chat(MESSAGES) == "reply-1"
            (entry,) = Path(tmp_path).rglob("*.json")
            entry.write_text('{"key": "trunc', encoding="utf-8")
            with caplog.at_level(logging.WARNING, logger="rlver.llm.cache"):
                assert await client.chat(MESSAGES) == "reply-2"
            assert "corrupt cache entry" in caplog.text
            assert await client.chat(MESSAGES) == "reply-2"  # the rewritten entry answers again
    assert len(server.requests) == 2


async def test_failures_are_not_cached(stub_server, tmp_path):
    from rlver.errors import LLMError
    from rlver.testing import StubResponse

    async def no_sleep(seconds: float) -> None:
        return None

    with stub_server(lambda req: StubResponse(status=400, text="bad")) as server:
        async with OpenAIChatClient(
            base_url=server.base_url, model="sim", cache_dir=tmp_path, sleep=no_sleep
        ) as client:
            for _ in range(2):
                with pytest.raises(LLMError):
                    await client.chat(MESSAGES)
    assert len(server.requests) == 2 and len(ResponseCache(tmp_path)) == 0


async def test_unwritable_cache_warns_but_returns_the_answer(stub_server, tmp_path, caplog):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    with stub_server(counting_responder()) as server:
        async with OpenAIChatClient(base_url=server.base_url, model="sim", cache_dir=blocker) as client:
            with caplog.at_level(logging.WARNING, logger="rlver.llm.client"):
                assert await client.chat(MESSAGES) == "reply-1"
    assert "could not write cache entry" in caplog.text


async def test_rerun_of_dialogues_reproduces_every_score_without_http(stub_server, tmp_path):
    """The point of deterministic mode: policy and simulator both cached, a rerun is fully offline."""
    import hashlib

    from rlver.policy.openai_policy import OpenAIPolicy
    from rlver.profiles.schema import CharacterType, Profile
    from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
    from rlver.simulator.llm_agent import LLMSentientAgent
    from rlver.simulator.presets import get_preset

    def simulator_model(request: dict) -> str:
        # An unpredictable but request-determined change; both appraisal and reply sections, so the
        # answer parses whichever step asked. A drifting endpoint would change it on every call.
        digest = hashlib.sha256(json.dumps(request, sort_keys=True).encode()).digest()
        change = digest[0] % 21 - 6
        return (
            f"Content: x\nTargetCompletion: partly\nActivity: hmm\nAnalyse: ok\nChange: {change:+d}\n"
            "Thinking: calm\nOrigin: well\nResponse: well, it has been a long week"
        )

    def policy_model(request: dict) -> str:
        return f"That sounds hard (sample {request['seed']})."

    profiles = [
        Profile(
            id=f"p{i}",
            persona="Sam, 29, nurse",
            scene="a fight at work; hidden theme: wants validation",
            task="wants validation",
            character=CharacterType.NEGATIVE,
            first_talk="I had a fight at work.",
        )
        for i in range(2)
    ]
    jobs = [DialogueJob(profile=p, seed=0, group=g) for p in profiles for g in range(2)]

    async def run(sim_url: str, policy_url: str) -> list[tuple]:
        async with (
            OpenAIChatClient(base_url=sim_url, model="sim", cache_dir=tmp_path) as sim_client,
            OpenAIChatClient(base_url=policy_url, model="pol", cache_dir=tmp_path) as policy_client,
        ):
            episodes = await run_dialogues(
                jobs,
                OpenAIPolicy(policy_client),
                LLMSentientAgent(sim_client),
                RolloutConfig(get_preset("sage")),
            )
        return [(e.id, e.emotions, e.end_reason, e.error) for e in episodes]

    with stub_server(simulator_model) as sim, stub_server(policy_model) as pol:
        first = await run(sim.base_url, pol.base_url)
        calls_first = len(sim.requests) + len(pol.requests)
        second = await run(sim.base_url, pol.base_url)
        calls_second = len(sim.requests) + len(pol.requests) - calls_first
    assert all(error is None and len(emotions) > 2 for _, emotions, _, error in first)
    assert first == second
    assert calls_first > 0 and calls_second == 0
    # Per-dialogue policy seeds: the two rollouts of a profile do not collapse into one.
    assert first[0][1] != first[1][1]
