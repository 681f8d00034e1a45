"""Concurrent vs one-by-one dialogues against an OpenAI-compatible endpoint with fixed latency.

Runs the real stack — OpenAIChatClient over HTTP, LLMSentientAgent, OpenAIPolicy, run_dialogues —
against rlver's local stub server, which answers every call after ``--latency`` seconds with scripted
SAGE-format text. Each dialogue has ``--turns`` policy replies (the scripted user says goodbye after
the last), so every dialogue makes 1 + 3 x turns calls on a path of 3 x turns sequential calls.

Ideal wall time for N concurrent dialogues = turns x 3 calls x latency (the critical path).
Targets (issue "Foundation"): concurrent >= 30x faster than one by one, and within 1.3x of ideal.

    python benchmarks/rollout_concurrency.py [--dialogues 64] [--latency 0.2] [--turns 3] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

from _common import median, print_table, write_result

from rlver.llm.client import ClientConfig, OpenAIChatClient
from rlver.policy.openai_policy import OpenAIPolicy
from rlver.profiles.schema import Profile
from rlver.rollout import DialogueJob, RolloutConfig, run_dialogues
from rlver.simulator.llm_agent import LLMSentientAgent
from rlver.simulator.presets import get_preset


def responder(turns: int):
    """Scripted endpoint: tells the three kinds of call apart by their prompts."""

    def answer(request: dict) -> str:
        text = "\n".join(m["content"] for m in request["messages"])
        if "TargetCompletion:" in text:  # appraisal
            return "Content: support\nTargetCompletion: partly\nActivity: calmer\nAnalyse: ok\nChange: +2"
        if "Response:" in text:  # the person's reply; goodbye after the last scripted turn
            replies = text.count('"speaker": "partner"')
            bye = " Okay, bye for now." if replies >= turns else ""
            return f"Thinking: fine\nOrigin: ok\nChange: none\nResponse: I hear you.{bye}"
        return "That sounds really hard. Tell me more?"  # the policy

    return answer


async def run(server, n: int, concurrent: bool, turns: int) -> float:
    profiles = [
        Profile(id=f"p{i}", persona="Ann, 30, nurse", scene="A hard week.", task="wants to vent", first_talk="Ugh, today.")
        for i in range(n)
    ]
    config = ClientConfig(base_url=server.base_url, model="stub", api_key_env=None, max_concurrency=2 * n, timeout=30)
    async with OpenAIChatClient(config) as sim_client, OpenAIChatClient(config) as policy_client:
        simulator = LLMSentientAgent(sim_client)
        policy = OpenAIPolicy(policy_client)
        rollout = RolloutConfig(preset=get_preset("sage"), max_concurrent=n if concurrent else 1)
        start = time.perf_counter()
        episodes = await run_dialogues([DialogueJob(p) for p in profiles], policy, simulator, rollout)
        elapsed = time.perf_counter() - start
    bad = [e for e in episodes if e.error or e.policy_turns != turns]
    if bad:
        raise SystemExit(f"unexpected dialogues: {bad[0].error or bad[0].policy_turns}")
    return elapsed


def _serve(turns: int, latency: float, ready, stop) -> None:
    """An asyncio OpenAI-compatible endpoint (aiohttp.web): the fixed latency is the only cost it adds.

    rlver.testing.StubChatServer (a thread per connection) is what the tests use; here a real
    serving stack is closer to what vLLM and friends look like from the client.
    """
    from aiohttp import web

    answer = responder(turns)

    async def completions(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(latency)
        text = answer(body)
        return web.json_response({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]})

    async def main() -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", completions)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = runner.addresses[0][1]
        ready.put(f"http://127.0.0.1:{port}/v1")
        while not stop.is_set():
            await asyncio.sleep(0.05)
        await runner.cleanup()

    asyncio.run(main())


class RemoteStub:
    """The scripted endpoint in its own process, so its CPU time does not compete with the client's loop."""

    def __init__(self, turns: int, latency: float) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._ready, self._stop = ctx.Queue(), ctx.Event()
        self._process = ctx.Process(target=_serve, args=(turns, latency, self._ready, self._stop), daemon=True)

    def __enter__(self) -> "RemoteStub":
        self._process.start()
        self.base_url = self._ready.get(timeout=60)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogues", type=int, default=64)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    calls_on_path = 3 * args.turns
    ideal = calls_on_path * args.latency

    with RemoteStub(args.turns, args.latency) as server:
        concurrent = [asyncio.run(run(server, args.dialogues, True, args.turns)) for _ in range(args.repeats)]
        sequential = asyncio.run(run(server, args.dialogues, False, args.turns))
    conc = median(concurrent)
    rows = [
        ["one by one", sequential, 1.0, sequential / ideal],
        ["concurrent (median)", conc, sequential / conc, conc / ideal],
        ["ideal", ideal, sequential / ideal, 1.0],
    ]
    print_table(
        f"{args.dialogues} dialogues x {args.turns} turns, {args.latency * 1000:.0f} ms per call",
        ["mode", "wall s", "speed-up vs one by one", "x ideal"],
        rows,
    )
    path = write_result(
        "rollout_concurrency",
        {
            "dialogues": args.dialogues,
            "turns": args.turns,
            "latency_s": args.latency,
            "ideal_s": ideal,
            "sequential_s": sequential,
            "concurrent_s": concurrent,
            "concurrent_median_s": conc,
            "speedup": sequential / conc,
            "ideal_ratio": conc / ideal,
            "targets": {"speedup_min": 30, "ideal_ratio_max": 1.3},
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
