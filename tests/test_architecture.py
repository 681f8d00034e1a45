"""Guards for the public API and the one-way layering of the package."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import rlver

SRC = Path(rlver.__file__).parent

# Lower layers first; a module may import its own layer and any layer before it. No exemptions.
LAYERS = [
    {"errors", "utils", "testing"},  # foundations: errors, file and seed helpers, the scripted test server
    {"llm"},  # chat types and the OpenAI-compatible client
    {"profiles"},  # schema, loaders, built-in sets; the generator asks an LLM
    {"simulator"},  # the Sentient Agent (LLM-backed and offline)
    {"models"},  # local model building blocks (no dialogue logic)
    {"policy"},  # policies: HF, OpenAI, reference; token traces
    {"rollout"},  # the dialogue loop and rewards
    {"rl"},  # PPO / GRPO and the trainer: knows nothing about prompts
    {"bench", "report", "integrations"},  # analyses, the report, engine adapters
    {"cli"},  # the command line
    {"build"},  # build tools for shipped artefacts (built-in profiles, the tiny policy's corpus)
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _rlver_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rlver."):
            found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("rlver."):
                    found.add(alias.name.split(".")[1])
    return found


def test_imports_go_one_way():
    violations = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if len(rel.parts) == 1:
            continue  # the package root re-exports the public API
        layer = rel.parts[0]
        if layer not in RANK:
            violations.append(f"{rel}: package {layer!r} has no layer; add it to LAYERS")
            continue
        for target in _rlver_imports(path):
            if target in RANK and RANK[target] > RANK[layer]:
                violations.append(f"{rel} imports rlver.{target} (a higher layer)")
    assert not violations, "\n".join(violations)


def test_trainer_knows_nothing_about_prompts():
    for path in (SRC / "rl").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "prompts" not in {part for line in text.splitlines() if "import" in line for part in line.replace(".", " ").split()}, path


def test_public_api_is_explicit_and_importable():
    assert len(rlver.__all__) == len(set(rlver.__all__))
    for name in rlver.__all__:
        assert hasattr(rlver, name), name
    expected_core = {
        "Profile", "UserSimulator", "SentientAgent", "Policy", "TokenTrace", "Episode", "Turn",
        "run_dialogues", "DialogueJob", "RolloutConfig", "Preset", "PRESETS", "get_preset",
    }
    assert expected_core <= set(rlver.__all__)


def test_every_subpackage_declares_all():
    missing = [
        str(p.relative_to(SRC))
        for p in SRC.rglob("__init__.py")
        if "__all__" not in p.read_text(encoding="utf-8") and p.parent != SRC / "utils"
    ]
    assert not missing, missing


HEAVY = ("torch", "transformers", "aiohttp", "httpx", "matplotlib", "numpy", "peft")


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_cli_and_the_package_import_nothing_heavy():
    """`rlver --help` answers at once: the CLI imports torch, transformers, aiohttp... only in commands."""
    for statement in ("import rlver.cli.app", "import rlver", "from rlver import Profile, get_preset"):
        loaded = _modules_after(statement)
        assert not {m for m in HEAVY if m in loaded}, (statement, [m for m in HEAVY if m in loaded])


def test_every_public_name_of_every_package_resolves():
    for init in sorted(SRC.rglob("__init__.py")):
        rel = init.relative_to(SRC).parent
        name = ".".join(("rlver", *rel.parts))
        if name.startswith(("rlver.build",)):
            continue  # build tools need their data and extras; they are exercised by their own tests
        module = importlib.import_module(name)
        for public in getattr(module, "__all__", []):
            assert hasattr(module, public), f"{name}.{public}"
        assert set(getattr(module, "__all__", [])) <= set(dir(module)), name


def test_a_lazy_name_may_not_shadow_its_own_submodule():
    from rlver.utils.lazy import lazy_exports

    with pytest.raises(ValueError, match="names its own submodule"):
        lazy_exports("rlver.simulator.offline", {"rlver.simulator.offline.recognise": ["recognise"]})
