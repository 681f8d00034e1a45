"""Read a :class:`TrainConfig` from YAML (or a mapping) with every error naming its file, line and key.

Validation happens here, at the edge: unknown keys, wrong types and out-of-range values all raise
:class:`rlver.errors.ConfigError` as ``FILE:LINE: key: problem``. Command-line flags override file
values through :func:`apply_overrides` (dotted keys, validated the same way).
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import types
import typing
from pathlib import Path
from typing import Any, Literal, Mapping, Union, get_args, get_origin

import yaml

from rlver.errors import ConfigError
from rlver.rl.config import ConfigValueError, TrainConfig
from rlver.utils.io import YAML_VALUE_ERRORS, yaml_mark_line, yaml_value_error_line

__all__ = ["load_config", "config_from_mapping", "apply_overrides", "dump_config"]


class _KeyError(ConfigError):
    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.detail = message


def _line_index(node: yaml.Node | None, path: str) -> dict[str, int]:
    """Dotted key -> 1-based line of that key in the YAML source.

    Raises :class:`ConfigError` (``FILE:LINE``) for a key written twice in one mapping: plain YAML
    keeps the last value silently, so one of two conflicting settings would vanish.
    """
    out: dict[str, int] = {}
    pending = [(node, "")]
    seen: set[int] = set()  # aliases can repeat (or loop back to) a mapping: index each one once
    while pending:
        current, prefix = pending.pop()
        if not isinstance(current, yaml.MappingNode) or id(current) in seen:
            continue
        seen.add(id(current))
        for key_node, value_node in current.value:
            key = f"{prefix}{key_node.value}"
            line = key_node.start_mark.line + 1
            if isinstance(key_node, yaml.ScalarNode) and key in out:
                raise ConfigError(f"{path}:{line}: {key}: set twice (first at line {out[key]})")
            out.setdefault(key, line)
            pending.append((value_node, key + "."))
    return out


# libyaml's C loader when PyYAML has it: faster, and its nesting limit is an error, not a RecursionError.
_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _type_name(tp: Any) -> str:
    if get_origin(tp) is Literal:
        return " or ".join(repr(a) for a in get_args(tp))
    return getattr(tp, "__name__", str(tp))


def _coerce(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, key)
            except _KeyError as exc:
                errors.append(exc.detail)
        raise _KeyError(key, "; ".join(errors) + (" or null" if type(None) in options else ""))
    if origin is Literal:
        if value not in get_args(tp):
            raise _KeyError(key, f"expected {_type_name(tp)}, got {value!r}")
        return value
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _KeyError(key, f"expected a list, got {type(value).__name__}")
        (item_type, _ellipsis) = get_args(tp)
        return tuple(_coerce(item_type, v, f"{key}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise _KeyError(key, f"expected a mapping of settings, got {type(value).__name__}")
        return _build(tp, value, key + ".")
    if tp is bool:
        if not isinstance(value, bool):
            raise _KeyError(key, f"expected true or false, got {value!r}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _KeyError(key, f"expected an integer, got {value!r}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _KeyError(key, f"expected a number, got {value!r}")
        # .nan and .inf are YAML floats, and an integer past 1e308 has no float at all: no setting
        # means anything with them (a NaN reward or learning rate would poison the whole run).
        if isinstance(value, int) and abs(value) > sys.float_info.max:
            raise _KeyError(key, "expected a finite number, got an integer too large for a float")
        if not math.isfinite(value):
            raise _KeyError(key, f"expected a finite number, got {value!r}")
        return float(value)
    if tp is str:
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            raise _KeyError(key, f"expected a string, got {value!r}")
        return str(value)
    raise _KeyError(key, f"unsupported setting type {tp!r}")  # pragma: no cover - config uses the above


def _build(cls: type, data: Mapping[str, Any], prefix: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = [f.name for f in dataclasses.fields(cls)]
    for key in data:
        if key not in known:
            raise _KeyError(f"{prefix}{key}", f"unknown setting; valid keys here: {', '.join(known)}")
    kwargs = {name: _coerce(hints[name], data[name], f"{prefix}{name}") for name in known if name in data}
    return cls(**kwargs)


def config_from_mapping(data: Mapping[str, Any]) -> TrainConfig:
    """Build and validate a config from plain data (unknown keys, wrong types, bad values raise)."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a training config must be a mapping of settings, got {type(data).__name__}")
    return _build(TrainConfig, data, "")


def _locate(exc: ConfigError, path: str, lines: Mapping[str, int]) -> ConfigError:
    key = getattr(exc, "key", None)
    line = None
    probe = key
    while probe and line is None:  # the key itself, else its closest parent present in the file
        line = lines.get(probe.split("[")[0])
        probe = probe.rpartition(".")[0]
    where = f"{path}:{line}" if line is not None else path
    return ConfigError(f"{where}: {exc}")


def load_config(path: str | os.PathLike[str], overrides: Mapping[str, Any] | None = None) -> TrainConfig:
    """Read ``path`` (YAML), apply dotted-key ``overrides`` (e.g. ``{"rollout.think": True}``), validate."""
    shown = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{shown}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read config file ({exc})") from None
    loader = _YamlLoader(text)
    node = None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{shown}:{yaml_mark_line(mark, text)}" if mark is not None else shown
        raise ConfigError(f"{where}: invalid YAML ({getattr(exc, 'problem', None) or exc})") from None
    except YAML_VALUE_ERRORS as exc:  # PyYAML's constructors: `2019-13-01`, `!!int x`, 5000 digits
        where = f"{shown}:{yaml_value_error_line(loader, node)}" if node is not None else shown
        raise ConfigError(f"{where}: invalid YAML value ({exc})") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    lines = _line_index(node, shown)
    try:
        config = config_from_mapping(data)
    except (_KeyError, ConfigValueError) as exc:
        raise _locate(exc, shown, lines) from None
    except ConfigError as exc:
        raise ConfigError(f"{shown}: {exc}") from None
    return apply_overrides(config, overrides or {})


def apply_overrides(config: TrainConfig, overrides: Mapping[str, Any]) -> TrainConfig:
    """A copy of ``config`` with dotted keys replaced (``None`` values are skipped: flag not given)."""
    data = config.to_dict()
    for dotted, value in overrides.items():
        if value is None:
            continue
        target = data
        parts = dotted.split(".")
        for part in parts[:-1]:
            if not isinstance(target.get(part), dict):
                raise ConfigError(f"unknown setting {dotted!r}")
            target = target[part]
        if parts[-1] not in target:
            raise ConfigError(f"unknown setting {dotted!r}")
        target[parts[-1]] = value
    try:
        return config_from_mapping(data)
    except (_KeyError, ConfigValueError) as exc:
        raise ConfigError(f"command-line override: {exc}") from None


def dump_config(config: TrainConfig) -> str:
    """YAML text that :func:`load_config` reads back to an equal config."""
    return yaml.safe_dump(config.to_dict(), sort_keys=False, allow_unicode=True)
