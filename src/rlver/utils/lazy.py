"""Packages whose public names load on first use (PEP 562), so that importing one is cheap.

``import rlver`` or ``import rlver.cli.app`` must not pay for torch, transformers, aiohttp or
matplotlib: the CLI answers ``--help`` at once and only the command that runs imports what it needs.
A package lists its public names by the module that defines them; attribute access imports that
module the first time and caches the value in the package's namespace.

    __all__ = ["ClientConfig", "OpenAIChatClient"]
    __getattr__, __dir__ = lazy_exports(__name__, {
        "rlver.llm.client": ["ClientConfig", "OpenAIChatClient"],
    })
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``, whose names live in the modules of ``exports``."""
    where: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package}: {name!r} is exported by both {where[name]} and {module}")
            where[name] = module
            if module == f"{package}.{name}":
                # Importing the submodule would bind the package attribute to the module itself,
                # shadowing the name for good: such a package must import the name eagerly.
                raise ValueError(f"{package}: {name!r} names its own submodule; import it eagerly")

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return __getattr__, __dir__
