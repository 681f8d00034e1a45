"""Guards for the public API and the one-way layering of the package."""

from __future__ import annotations

import ast
from pathlib import Path

import rlver

SRC = Path(rlver.__file__).parent

# Lower layers first; a module may import its own layer and any layer before it.
LAYERS = [
    {"errors", "utils", "testing"},
    {"profiles"},
    {"llm"},
    {"simulator"},
    {"models", "policy"},
    {"rollout"},
    {"rl"},
    {"bench", "report", "integrations"},
    {"cli"},
]
# Modules allowed above their package's layer, with the reason.
EXCEPTIONS = {
    # The profile generator asks an LLM to write profiles: it uses the ChatClient protocol by design.
    "profiles/generate.py": {"llm"},
    "profiles/_generator_text.py": {"llm"},
    # The tiny policy's pretraining corpus is written by running dialogues: a build-time tool.
    "models/corpus.py": {"rollout"},
}
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
            if target in EXCEPTIONS.get(str(rel), set()):
                continue
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
