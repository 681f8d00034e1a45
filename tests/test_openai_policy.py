"""OpenAIPolicy over the real stub server, alone and inside the dialogue loop's Policy contract."""

from __future__ import annotations

import threading

import pytest

from rlver.errors import LLMError, PolicyError
from rlver.llm import ClientConfig, Message, OpenAIChatClient, SamplingParams
from rlver.policy.base import Policy, PolicyRequest
from rlver.policy.openai_policy import OpenAIPolicy, request_seed
from rlver.testing import StubResponse


def request(key: str, *texts: str) -> PolicyRequest:
    """A request whose conversation alternates user/assistant, starting and ending with the user."""
    messages = [Message("system", "Be a caring friend.")]
    for i, text in enumerate(texts):
        messages.append(Message("user" if i % 2 == 0 else "assistant", text))
    return PolicyRequest(key=key, messages=messages)


def echo(req: dict) -> str:
    return "re: " + req["messages"][-1]["content"]


async def test_policy_contract_and_replies_in_request_order(stub_server):
    with stub_server(echo) as server:
        async with OpenAIPolicy.from_config(ClientConfig(base_url=server.base_url, model="gpt-x")) as policy:
            assert isinstance(policy, Policy)
            assert policy.name == "openai:gpt-x" and policy.token_exact is False
            replies = await policy.generate([request("a", "one"), request("b", "two"), request("c", "three")])
    assert replies == ["re: one", "re: two", "re: three"]
    # The loop already put the system prompt first; the policy sends the messages unchanged.
    sent = sorted(server.requests, key=lambda r: r["messages"][-1]["content"])
    assert sent[0]["messages"][0] == {"role": "system", "content": "Be a caring friend."}
    assert all(r["model"] == "gpt-x" and r["temperature"] == 0.7 for r in sent)


async def test_requests_of_one_call_are_concurrent(stub_server):
    n = 4
    arrived = 0
    cond = threading.Condition()

    def respond(req: dict) -> str:
        nonlocal arrived
        with cond:
            arrived += 1
            cond.notify_all()
            # Answers only once all n requests are at the server: sequential sending would stall here.
            all_in = cond.wait_for(lambda: arrived >= n, timeout=5.0)
        return "together" if all_in else "alone"

    with stub_server(respond) as server:
        async with OpenAIPolicy(OpenAIChatClient(base_url=server.base_url, model="m")) as policy:
            replies = await policy.generate([request(str(i), "hi") for i in range(n)])
    assert replies == ["together"] * n


async def test_temperature_and_seeds_are_configurable_and_reproducible(stub_server):
    with stub_server(echo) as server:
        client = OpenAIChatClient(base_url=server.base_url, model="m")
        async with OpenAIPolicy(
            client, temperature=1.0, sampling=SamplingParams(seed=7, max_tokens=64)
        ) as policy:
            reqs = [
                request("p1-s0-g0", "hi"),
                request("p1-s0-g1", "hi"),
                request("p1-s0-g0", "hi", "hey", "so"),
            ]
            await policy.generate(reqs)
            await policy.generate(reqs)
    seeds = [r["seed"] for r in server.requests]
    assert all(r["temperature"] == 1.0 and r["max_tokens"] == 64 for r in server.requests)
    expected = {
        request_seed(7, "p1-s0-g0", 1),
        request_seed(7, "p1-s0-g1", 1),
        request_seed(7, "p1-s0-g0", 2),
    }
    assert set(seeds[:3]) == expected and len(expected) == 3  # group members and turns differ
    assert sorted(seeds[:3]) == sorted(seeds[3:])  # a rerun asks for the same samples


async def test_fixed_seed_when_per_dialogue_seeding_is_off(stub_server):
    with stub_server(echo) as server:
        policy = OpenAIPolicy(
            OpenAIChatClient(base_url=server.base_url, model="m"),
            sampling=SamplingParams(temperature=0.0, seed=3),
            seed_per_dialogue=False,
            name="judge-free",
        )
        async with policy:
            await policy.generate([request("a", "x"), request("b", "y")])
    assert policy.name == "judge-free"
    assert [r["seed"] for r in server.requests] == [3, 3]


async def test_endpoint_failure_becomes_policy_error_after_every_call_finished(stub_server):
    def respond(req: dict) -> StubResponse | str:
        if req["messages"][-1]["content"] == "bad":
            return StubResponse(status=400, text="context length exceeded")
        return "fine"

    with stub_server(respond) as server:
        async with OpenAIPolicy(OpenAIChatClient(base_url=server.base_url, model="m")) as policy:
            with pytest.raises(PolicyError) as info:
                await policy.generate([request("ok-1", "x"), request("broken", "bad"), request("ok-2", "y")])
    message = str(info.value)
    assert "policy openai:m failed on 1 of 3 requests; first (broken)" in message
    assert "HTTP 400: context length exceeded" in message
    assert isinstance(info.value.__cause__, LLMError)
    assert len(server.requests) == 3
