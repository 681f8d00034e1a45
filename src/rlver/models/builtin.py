"""The shipped tiny base policy ``builtin:tiny``: where it lives and what it was built from.

The weights (a ~5M-parameter Qwen2, fp16 safetensors) and the tokenizer ship inside the package in
``rlver/models/tiny_policy/``; ``scripts/build_tiny_policy.py`` rebuilds them (see docs/demo.md).
Nothing is downloaded: a missing or incomplete folder is an error that says how to rebuild it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rlver.errors import ConfigError

__all__ = ["TINY_POLICY_FILES", "tiny_policy_path", "tiny_policy_info"]

TINY_POLICY_FILES: tuple[str, ...] = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "chat_template.jinja",
    "BUILD_INFO.json",
)
"""Files a complete ``tiny_policy`` folder holds."""

_FOLDER = Path(__file__).resolve().parent / "tiny_policy"


def tiny_policy_path() -> Path:
    """Local directory of ``builtin:tiny`` (loadable with ``HFPolicy.from_pretrained``)."""
    missing = [name for name in TINY_POLICY_FILES if not (_FOLDER / name).is_file()]
    if missing:
        raise ConfigError(
            f"{_FOLDER}: the built-in tiny policy is incomplete (missing {', '.join(missing)}); "
            "rebuild it with `python scripts/build_tiny_policy.py`"
        )
    return _FOLDER


def tiny_policy_info() -> dict[str, Any]:
    """The build record (seed, corpus size, steps, losses) written next to the weights."""
    path = tiny_policy_path() / "BUILD_INFO.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from None
