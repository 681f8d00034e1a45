"""The LLM profile generator against a real local OpenAI-compatible stub server."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rlver.errors import ConfigError, LLMError
from rlver.llm.client import OpenAIChatClient
from rlver.profiles.generate import (
    CHARACTER_WEIGHTS,
    NEED_TASKS,
    TOPIC_SEEDS,
    TRAIT_POOLS,
    GenerationRejected,
    GeneratorConfig,
    extract_json_object,
    generate_profiles,
    parse_generated,
    profile_id,
    sample_spec,
)
from rlver.profiles.io import ProfileFileError, load_profiles
from rlver.profiles.schema import HiddenNeed
from rlver.testing import StubResponse

TASK_LINE = {
    "en": re.compile(r"Hidden need \(the person never says it outright\): (.*)"),
    "zh": re.compile(r"隐藏需求（人物从不直接说出来）：(.*)"),
}


def prompt_of(request: dict) -> str:
    return request["messages"][-1]["content"]


def task_of(request: dict) -> str:
    prompt = prompt_of(request)
    match = TASK_LINE["en"].search(prompt) or TASK_LINE["zh"].search(prompt)
    assert match, prompt
    return match.group(1)


def answer(
    persona: str,
    *,
    first_talk: str = "Rough week. I don't even know where to start.",
    fence: bool = True,
    scene: str | None = None,
    name: str | None = "Sam Hill",
) -> str:
    body = {
        "name": name,
        "persona": persona,
        "first_talk": first_talk,
        "scene": scene
        or f"Timeline of what happened to {persona}. Feelings, conflict, attempts, state. "
        "Hidden theme: wants something unsaid.",
    }
    text = json.dumps(body, ensure_ascii=False, indent=2)
    return f"Here is the profile:\n```json\n{text}\n```\nHope it helps." if fence else text


class Script:
    """Answers requests in order from a list of functions ``request -> str``; records prompts."""

    def __init__(self, *steps):
        self.steps = list(steps)
        self.prompts: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: dict):
        with self._lock:
            self.prompts.append(prompt_of(request))
            step = self.steps.pop(0)
        return step(request)


def unique_answers(language: str = "en"):
    """A responder that writes a different valid person for every request (any order, any concurrency)."""
    counter = iter(range(10_000))
    lock = threading.Lock()

    def respond(request: dict) -> str:
        with lock:
            k = next(counter)
        if language == "zh":
            return answer(
                f"姓名：张{k}号\n年龄：30岁\n职业：会计，说话慢，爱叹气。",
                first_talk=f"唉，第{k}次被领导骂了。",
                scene="事件起因：项目延期被领导当众批评。感受：委屈。尝试：加班补救。当前状态：失眠。隐藏主题：想被理解。",
                name=f"张{k}号",
            )
        return answer(
            f"Person number {k}, 30, accountant who sighs a lot", first_talk=f"Ugh, day {k} of this mess."
        )

    return respond


def client_for(server) -> OpenAIChatClient:
    return OpenAIChatClient(base_url=server.base_url, model="stub", max_retries=0, api_key_env=None)


async def run(server, out: Path, **config) -> object:
    client = client_for(server)
    try:
        return await generate_profiles(client, out, GeneratorConfig(**config))
    finally:
        await client.aclose()


# -- pure parts ----------------------------------------------------------------------------------------------


def test_sampling_is_deterministic_per_seed_and_index_and_parallel_across_languages():
    assert sample_spec(3, 17, "en") == sample_spec(3, 17, "en")
    specs = [sample_spec(3, i, "en") for i in range(200)]
    assert len({(s.character, s.traits, s.need, s.topic) for s in specs}) > 150
    assert {s.character for s in specs} == set(CHARACTER_WEIGHTS) and {s.need for s in specs} == set(
        HiddenNeed
    )
    for spec in specs[:20]:
        assert len(set(spec.traits)) == 3 and set(spec.traits) <= set(TRAIT_POOLS["en"][spec.character])
        zh = sample_spec(3, spec.index, "zh")
        assert (zh.character, zh.need) == (spec.character, spec.need)
        assert TOPIC_SEEDS["zh"].index(zh.topic) == TOPIC_SEEDS["en"].index(spec.topic)
        assert zh.task == NEED_TASKS["zh"][spec.need]
    assert sample_spec(4, 17, "en") != sample_spec(3, 17, "en") or sample_spec(4, 18, "en") != sample_spec(
        3, 18, "en"
    )


def test_json_is_found_in_fences_and_prose_and_bad_json_is_rejected():
    assert extract_json_object('```json\n{"a": 1}\n```') == {"a": 1}
    assert extract_json_object('Sure! {"a": {"b": 2}} Anything else?') == {"a": {"b": 2}}
    for text, detail in [
        ("no json here", "holds no JSON object"),
        ('{"a": 1,}', "does not parse"),
        ("{[1]}", "does not parse"),
    ]:
        with pytest.raises(GenerationRejected, match=detail) as info:
            extract_json_object(text)
        assert info.value.reason == "invalid_json"


def test_parse_checks_fields_language_and_need_leaks():
    config = GeneratorConfig(n=1)
    spec = sample_spec(0, 0, "en")
    profile = parse_generated(
        answer("Sam Hill, 40, plumber", scene="What happened, at length. " * 3), spec, seed=0, config=config
    )
    assert profile.id == profile_id(0, 0) == "gen-s0-00000"
    assert (profile.character, profile.need, profile.traits, profile.task) == (
        spec.character,
        spec.need,
        spec.traits,
        spec.task,
    )
    assert profile.scene.endswith(f"\nHidden theme: {spec.task}")  # appended when the LLM forgot it
    assert profile.name == "Sam Hill" and profile.topic == spec.topic and profile.language == "en"
    cases = [
        ('{"persona": "Sam Hill, 40, plumber", "scene": ""}', "missing_field"),
        (answer("Sam"), "too_short"),
        (answer("Sam Hill, 40, plumber", first_talk="x" * 401), "too_long"),
        (
            answer(
                "王小明，四十岁，水管工，平时话很少",
                scene="事件起因：失业。感受：难过。当前状态：焦虑。隐藏主题：想被理解。" * 2,
                first_talk="唉，又失业了",
            ),
            "wrong_language",
        ),
        (answer("Sam Hill, 40, plumber", first_talk=f"Honestly? {spec.task}"), "leaks_need"),
    ]
    for text, reason in cases:
        with pytest.raises(GenerationRejected) as info:
            parse_generated(text, spec, seed=0, config=config)
        assert info.value.reason == reason, text


def test_config_is_validated():
    for bad in [
        {"n": 0},
        {"n": 1, "language": "fr"},
        {"n": 1, "concurrency": 0},
        {"n": 1, "max_attempts": 0},
    ]:
        with pytest.raises(ConfigError):
            GeneratorConfig(**bad)


# -- against the real local HTTP stub -------------------------------------------------------------------------


async def test_rejections_retries_failures_and_resume(stub_server, tmp_path):
    out = tmp_path / "gen.jsonl"
    script = Script(
        lambda r: answer("Alice Park, 28, barista who over-explains"),  # index 0: accepted (fenced JSON)
        lambda r: '{"persona": "Bob", "scene": ',  # index 1, attempt 1: malformed JSON
        lambda r: answer(
            "Bob Stone, 51, retired welder", fence=False, first_talk="Hey. Got a minute?"
        ),  # index 1: ok
        lambda r: answer(
            "Alice Park, 28, barista who over-explains", first_talk="Something else."
        ),  # index 2: duplicate
        lambda r: answer(
            "Cara Diaz, 35, nurse on nights", first_talk=f"So... {task_of(r)}"
        ),  # index 2: leaks need
        lambda r: answer("Dan Wu, 44, bus driver", first_talk="Long day on the route."),  # index 3: ok
    )
    with stub_server(script) as server:
        report = await run(server, out, n=4, seed=7, concurrency=1, max_attempts=2)
    assert (report.accepted, report.failed_indices, report.llm_calls) == (3, [2], 6)
    assert dict(report.rejected) == {"invalid_json": 1, "duplicate": 1, "leaks_need": 1}
    assert report.duplicates == 1 and not report.complete
    assert "previous answer was rejected: the JSON does not parse" in script.prompts[2]
    assert "Hidden need (the person never says it outright)" in script.prompts[0]
    profiles = load_profiles(out)
    assert [p.id for p in profiles] == ["gen-s7-00000", "gen-s7-00001", "gen-s7-00003"]
    assert [p.persona for p in profiles] == [
        "Alice Park, 28, barista who over-explains",
        "Bob Stone, 51, retired welder",
        "Dan Wu, 44, bus driver",
    ]
    for index, profile in zip((0, 1, 3), profiles):
        spec = sample_spec(7, index, "en")
        assert (profile.character, profile.traits, profile.need, profile.topic) == (
            spec.character,
            spec.traits,
            spec.need,
            spec.topic,
        )

    resume = Script(
        lambda r: answer("Cara Diaz, 35, nurse on nights", first_talk="Nights are getting to me.")
    )
    with stub_server(resume) as server:
        report = await run(server, out, n=4, seed=7, concurrency=1, max_attempts=2)
    assert (report.already_present, report.accepted, report.llm_calls, report.failed_indices) == (3, 1, 1, [])
    assert [p.id for p in load_profiles(out)] == [profile_id(7, i) for i in range(4)]
    assert sample_spec(7, 2, "en").topic in resume.prompts[0]  # the retried index asks for its own spec


async def test_truncated_last_line_is_dropped_and_regenerated(stub_server, tmp_path):
    out = tmp_path / "gen.jsonl"
    with stub_server(unique_answers()) as server:
        await run(server, out, n=2, seed=1)
        with out.open("a", encoding="utf-8") as handle:
            handle.write('{"id": "gen-s1-00002", "persona": "Half a rec')  # a crash mid-append
        report = await run(server, out, n=3, seed=1)
        assert len(server.requests) == 3
    assert report.dropped_truncated_line and (report.already_present, report.accepted) == (2, 1)
    assert [p.id for p in load_profiles(out)] == ["gen-s1-00000", "gen-s1-00001", "gen-s1-00002"]


async def test_concurrent_generation_in_chinese(stub_server, tmp_path):
    out = tmp_path / "zh.jsonl"
    with stub_server(unique_answers("zh"), latency=0.01) as server:
        report = await run(server, out, n=8, seed=2, language="zh", concurrency=4)
        assert len(server.requests) == 8
        assert all("隐藏需求" in prompt_of(r) and r["seed"] is not None for r in server.requests)
    assert report.complete and report.accepted == 8
    profiles = load_profiles(out)
    assert [p.id for p in profiles] == [profile_id(2, i) for i in range(8)]  # rewritten in index order
    assert {p.language for p in profiles} == {"zh"} and all(
        p.scene.count("隐藏主题：") == 1 for p in profiles
    )
    assert all(p.task == NEED_TASKS["zh"][p.need] for p in profiles)


async def test_resume_refuses_foreign_or_corrupt_files(stub_server, tmp_path):
    out = tmp_path / "gen.jsonl"
    with stub_server(unique_answers()) as server:
        await run(server, out, n=2, seed=5)
        with pytest.raises(
            ConfigError, match=r"gen\.jsonl:1: generated with seed 5, not 6; rerun with --seed 5"
        ):
            await run(server, out, n=3, seed=6)
        with pytest.raises(ConfigError, match="profile language 'en', not 'zh'"):
            await run(server, out, n=3, seed=5, language="zh")
        lines = out.read_text(encoding="utf-8").splitlines()
        out.write_text("\n".join([lines[0], "{broken", lines[1]]) + "\n", encoding="utf-8")
        with pytest.raises(ProfileFileError) as info:
            await run(server, out, n=3, seed=5)
        assert (
            str(info.value)
            == f"{out}:2: invalid JSON: Expecting property name enclosed in double quotes (column 2)"
        )
        other = tmp_path / "other.jsonl"
        other.write_text(
            json.dumps({"id": "mine", "persona": "p", "scene": "s", "task": "t"}) + "\n", encoding="utf-8"
        )
        with pytest.raises(ConfigError, match="other.jsonl:1: id 'mine' was not written by the generator"):
            await run(server, other, n=1)
        assert len(server.requests) == 2


async def test_endpoint_failure_stops_the_run_and_keeps_accepted_profiles(stub_server, tmp_path):
    out = tmp_path / "gen.jsonl"
    good = unique_answers()
    script = Script(good, good, lambda r: StubResponse(text="model not found", status=404))
    with (
        stub_server(script) as server,
        pytest.raises(LLMError, match=r"profile 2: .*\n2 profiles are saved in .*gen\.jsonl; rerun"),
    ):
        await run(server, out, n=5, concurrency=1)
    assert [p.id for p in load_profiles(out)] == ["gen-s0-00000", "gen-s0-00001"]


# -- through the CLI -------------------------------------------------------------------------------------------


def cli():
    import typer

    from rlver.cli.profiles import register

    app = typer.Typer()
    register(app)
    return app


def test_cli_generate_validate_and_partial_failure(stub_server, tmp_path):
    out = tmp_path / "zh.jsonl"
    runner = CliRunner()
    with stub_server(unique_answers("zh")) as server:
        args = [
            "profiles",
            "generate",
            "--n",
            "3",
            "--generator",
            "openai:stub",
            "--generator-base-url",
            server.base_url,
            "--language",
            "zh",
            "--out",
            str(out),
            "--seed",
            "4",
            "--concurrency",
            "2",
        ]
        result = runner.invoke(cli(), args)
        assert result.exit_code == 0, result.output
        assert re.search(r"accepted now\s*│\s*3", result.stdout)
    validated = runner.invoke(cli(), ["profiles", "validate", str(out)])
    assert validated.exit_code == 0 and f"ok: {out}: 3 profiles" in validated.stdout

    with stub_server(lambda r: "I cannot write that.") as server:
        args[args.index("--n") + 1] = "4"
        args[args.index("--generator-base-url") + 1] = server.base_url
        result = runner.invoke(cli(), [*args, "--max-attempts", "2"])
    assert result.exit_code == 1
    assert (
        "error: 1 of 4 profiles failed after 2 attempts (indices 3); rerun the same command" in result.stderr
    )
    assert re.search(r"rejected: invalid_json\s*│\s*2", result.stdout)


def test_cli_generate_rejects_unknown_generator(tmp_path):
    result = CliRunner().invoke(
        cli(),
        ["profiles", "generate", "--n", "1", "--generator", "hf:foo", "--out", str(tmp_path / "x.jsonl")],
    )
    assert result.exit_code == 2
    assert "error: unknown generator 'hf:foo'; expected openai:MODEL" in result.stderr
