"""General-ability suite: every item solvable and exactly checked, the sandbox's limits, runs and deltas."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rlver.bench.general import (
    LMEvalConfig,
    SandboxLimits,
    build_lm_eval_command,
    check_item,
    compare_general,
    load_suite,
    run_general_suite,
    run_python_tests,
    write_general,
)
from rlver.bench.general.checkers import check_constraint, extract_code, extract_number
from rlver.cli.app import app
from rlver.errors import ConfigError

CODE = {
    "code-01": "def is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]",
    "code-02": "def fizzbuzz(n):\n    return ['FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0 else 'Buzz' if i % 5 == 0 else str(i) for i in range(1, n + 1)]",
    "code-03": "def factorial(n):\n    out = 1\n    for i in range(2, n + 1):\n        out *= i\n    return out",
    "code-04": "def count_vowels(s):\n    return sum(c in 'aeiou' for c in s.lower())",
    "code-05": "def second_largest(nums):\n    return sorted(set(nums))[-2]",
    "code-06": "def reverse_words(s):\n    return ' '.join(reversed(s.split()))",
    "code-07": "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a",
    "code-08": "def flatten(items):\n    out = []\n    for x in items:\n        out.extend(flatten(x) if isinstance(x, list) else [x])\n    return out",
    "code-09": "def word_frequencies(text):\n    d = {}\n    for w in text.lower().split():\n        d[w] = d.get(w, 0) + 1\n    return d",
    "code-10": "def is_prime(n):\n    return n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1))",
    "code-11": "import math\ndef gcd(a, b):\n    return math.gcd(a, b)",
    "code-12": "def merge_sorted(a, b):\n    return sorted(a + b)",
    "code-13": (
        "def caesar_shift(s, k):\n    out = []\n    for c in s:\n        if c.isascii() and c.isalpha():\n"
        "            base = ord('a') if c.islower() else ord('A')\n            out.append(chr((ord(c) - base + k) % 26 + base))\n"
        "        else:\n            out.append(c)\n    return ''.join(out)"
    ),
    "code-14": "from itertools import accumulate\ndef running_sum(nums):\n    return list(accumulate(nums))",
    "code-15": "def unique_sorted(nums):\n    return sorted(set(nums))",
}
MATH = {
    f"math-{i:02d}": a
    for i, a in enumerate([7, 26, 200, 30, 14, 84, 15, 61, 15, 15, 21, 11.75, 300, 36, 270], 1)
}
INSTRUCTION = {
    "instr-01": "the ocean is a vast and restless blue world.",
    "instr-02": "- Keep a regular bedtime.\n- Avoid screens before sleep.\n- Keep the room cool and dark.",
    "instr-03": "Sunlight bends inside raindrops and splits into bands of coloured light.",
    "instr-04": "Golden leaves drift down the quiet street.",
    "instr-05": "A cat is a small, independent animal with long whiskers that loves to nap in the sun.",
    "instr-06": '```json\n{"name": "Mira Stone", "age": 34}\n```',
    "instr-07": "Rain taps the window,\nstreets shine under grey skies,\nthe city breathes slow.",
    "instr-08": (
        "People keep pets because animals offer companionship, routine and unconditional affection. Caring for a pet "
        "gives a sense of purpose, encourages exercise, reduces stress, and helps many people feel less lonely at home."
    ),
    "instr-09": "Nothing beats a warm cup of coffee in the morning.",
    "instr-10": "AQUA PEAK",
    "instr-11": '["red", "green", "blue"]',
    "instr-12": "The moon lights the night sky. It pulls the tides of the sea.",
    "instr-13": "Yes, exercise strengthens the heart and lifts your mood.",
    "instr-14": "a library is a place that lends books and offers quiet space to read and learn.",
    "instr-15": "Welcome to the team! We are so happy to welcome you here.",
}


def gold(item) -> str:
    if item.category == "math":
        return f"Let me work it out step by step.\nAnswer: {MATH[item.id]}"
    if item.category == "code":
        return f"Here you go:\n```python\n{CODE[item.id]}\n```"
    return INSTRUCTION[item.id]


def test_builtin_suite_shape():
    items = load_suite()
    assert len(items) == 45
    assert {c: sum(i.category == c for i in items) for c in ("math", "code", "instruction")} == {
        "math": 15,
        "code": 15,
        "instruction": 15,
    }


def test_every_item_is_solvable_and_checked_exactly():
    """A correct answer passes every item; a plausible wrong one fails every item."""
    items = load_suite()
    results = [check_item(item, gold(item)) for item in items]
    assert [r.id for r in results if not r.passed] == []
    wrong = {
        "math": "Answer: 12345",
        "code": "```python\ndef unrelated():\n    return None\n```",
        "instruction": "THIS, Is A Wrong Answer",
    }
    results = [check_item(item, wrong[item.category]) for item in items]
    assert [r.id for r in results if r.passed] == []


def test_think_block_is_ignored():
    item = load_suite()[0]
    assert check_item(item, "<think>maybe 99</think>\nAnswer: 7").passed
    assert not check_item(item, "<think>Answer: 7</think>\nAnswer: 99").passed


def test_checkers():
    assert extract_number("Total: $1,234.50") == 1234.5 and extract_number("no digits") is None
    assert extract_number("The answer is 42. Check: 6*7=42, plus 3 more tries.") == 42
    assert extract_code("text\n```py\nx = 1\n```\nmore\n```python\ny = 2\n```") == "y = 2\n"
    assert check_constraint("Hello there", {"type": "word_count", "max": 1}) == (False, "2 words")
    assert check_constraint("I love coffee in the morning!", {"type": "ends_with", "word": "morning"})[0]
    assert not check_constraint("- a\n- b\nc", {"type": "bullets", "count": 2})[0]
    with pytest.raises(ValueError, match="unknown constraint type"):
        check_constraint("x", {"type": "rhymes"})


FAST = SandboxLimits(timeout_seconds=10.0, cpu_seconds=1)


def test_sandbox_blocks_network_processes_and_outside_writes(tmp_path):
    target = tmp_path / "escaped.txt"
    cases = {
        "network": "import socket\ndef f():\n    socket.create_connection(('127.0.0.1', 9))\n    return True",
        "subprocess": "import subprocess\ndef f():\n    subprocess.run(['true'])\n    return True",
        "system": "import os\ndef f():\n    os.system('true')\n    return True",
        "write": f"def f():\n    open({str(target)!r}, 'w').write('x')\n    return True",
    }
    for name, code in cases.items():
        result = run_python_tests(code, ["f()"], FAST)
        assert not result.passed, name
        assert "sandbox:" in result.detail and "not allowed" in result.detail, (name, result.detail)
    assert not target.exists()
    # Writing inside its own temporary directory is fine.
    assert run_python_tests(
        "def f():\n    open('x.txt', 'w').write('x')\n    return open('x.txt').read() == 'x'", ["f()"], FAST
    ).passed


def test_sandbox_limits_cpu_memory_and_wall_clock():
    spin = run_python_tests("def f():\n    while True:\n        pass", ["f()"], FAST)
    assert not spin.passed and "CPU or memory limit" in spin.detail
    memory = run_python_tests("def f():\n    return len(bytearray(4 * 1024 ** 3))", ["f() > 0"], FAST)
    assert not memory.passed and "MemoryError" in memory.detail
    sleeper = run_python_tests(
        "import time\ndef f():\n    time.sleep(30)", ["f()"], SandboxLimits(timeout_seconds=1.0)
    )
    assert not sleeper.passed and sleeper.detail == "timed out after 1s"


def test_sandbox_verdict_cannot_be_forged_by_the_solution():
    code = 'import atexit\natexit.register(lambda: print(\'@@forged@@{"passed": 1, "total": 1, "detail": ""}\'))\ndef f():\n    return False'
    assert not run_python_tests(code, ["f()"], FAST).passed


class GoldPolicy:
    name = "gold"
    token_exact = False

    def __init__(self, items):
        self.by_prompt = {item.prompt: gold(item) for item in items}
        self.batches = []

    async def generate(self, requests):
        self.batches.append(len(requests))
        return [self.by_prompt[r.messages[-1].content] for r in requests]


async def test_run_general_suite_batches_and_summarises(tmp_path):
    items = load_suite()
    policy = GoldPolicy(items)
    results = await run_general_suite(policy, items, batch_size=16)
    assert policy.batches == [16, 16, 13]
    summary = write_general(tmp_path, results, policy="gold")
    assert summary["accuracy"] == 1.0 and summary["by_category"]["code"] == {
        "n": 15,
        "passed": 15,
        "accuracy": 1.0,
    }
    assert len((tmp_path / "general.jsonl").read_text().splitlines()) == 45


def test_compare_general_delta():
    before = {
        "accuracy": 0.6,
        "n": 45,
        "by_category": {"math": {"n": 15, "accuracy": 0.8}, "code": {"n": 15, "accuracy": 0.4}},
    }
    after = {
        "accuracy": 0.5,
        "n": 45,
        "by_category": {"math": {"n": 15, "accuracy": 0.7}, "code": {"n": 15, "accuracy": 0.5}},
    }
    rows = {r.category: r for r in compare_general(before, after)}
    assert rows["math"].delta == -0.1 and rows["code"].delta == 0.1 and rows["overall"].delta == -0.1
    assert "instruction" not in rows


def test_suite_file_errors_name_the_line(tmp_path):
    bad = tmp_path / "suite.jsonl"
    bad.write_text(
        '{"id": "a", "category": "math", "prompt": "1+1?", "answer": 2}\n{"id": "b", "category": "poetry", "prompt": "x"}\n'
    )
    with pytest.raises(ConfigError, match=r"suite.jsonl:2: category must be one of"):
        load_suite(bad)


def test_cli_general_against_an_openai_compatible_server(stub_server, tmp_path):
    items = load_suite()
    answers = {item.prompt: gold(item) for item in items}
    answers[items[0].prompt] = "Answer: 8"  # one wrong math answer

    with stub_server(lambda req: answers[req["messages"][-1]["content"]]) as server:
        before = tmp_path / "before"
        result = CliRunner().invoke(
            app,
            [
                "analyze",
                "general",
                "--policy",
                "openai:stub",
                "--policy-base-url",
                server.base_url,
                "--policy-key-env",
                "RLVER_TEST_NO_KEY",
                "--out",
                str(before),
            ],
        )
        temperatures = {req["temperature"] for req in server.requests}
    assert result.exit_code == 0, result.output
    assert temperatures == {0.0}
    summary = json.loads((before / "general.json").read_text())
    assert summary["passed"] == 44 and summary["by_category"]["math"]["passed"] == 14

    after = tmp_path / "after"
    after.mkdir()
    (after / "general.json").write_text(
        json.dumps(
            {
                **summary,
                "passed": 45,
                "accuracy": 1.0,
                "by_category": {**summary["by_category"], "math": {"n": 15, "passed": 15, "accuracy": 1.0}},
            }
        )
    )
    md = tmp_path / "delta.md"
    result = CliRunner().invoke(
        app, ["analyze", "general-compare", str(before), str(after), "--markdown", str(md)]
    )
    assert result.exit_code == 0, result.output
    assert "| math | 15 | 93.3% | 100.0% | +6.7 pt |" in md.read_text()


def test_lm_eval_command_construction(tmp_path):
    """lm-eval is not installed here: only the command is tested (see docs/analysis.md)."""
    config = LMEvalConfig(
        checkpoint=str(tmp_path / "ckpt"), tasks=("math500", "ifeval"), output_path="out", limit=20
    )
    command = build_lm_eval_command(config, python="/usr/bin/python3")
    tail = command[command.index("--model") :]
    assert tail == [
        "--model",
        "hf",
        "--model_args",
        f"pretrained={tmp_path / 'ckpt'},dtype=auto",
        "--tasks",
        "minerva_math500,ifeval",
        "--batch_size",
        "auto",
        "--device",
        "cpu",
        "--output_path",
        "out",
        "--limit",
        "20",
        "--apply_chat_template",
    ]
    with pytest.raises(ConfigError, match="may not contain"):
        build_lm_eval_command(LMEvalConfig(checkpoint="a,b"))


def test_cli_lm_eval_dry_run_and_missing_harness(tmp_path):
    from rlver.bench.general import lm_eval_available

    result = CliRunner().invoke(app, ["analyze", "lm-eval", str(tmp_path), "--tasks", "ifeval", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "--tasks ifeval" in result.output and f"pretrained={tmp_path},dtype=auto" in result.output
    if not lm_eval_available():
        result = CliRunner().invoke(app, ["analyze", "lm-eval", str(tmp_path)])
        assert result.exit_code == 2 and "pip install lm-eval" in result.output
