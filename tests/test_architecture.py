"""Guards for the public API and the one-way layering of the package."""

from __future__ import annotations

import ast
from pathlib import Path

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
