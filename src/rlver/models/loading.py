"""Load a causal LM and its tokenizer from a local directory: safetensors only, never a download.

The directory is a ``save_pretrained`` model, or a LoRA adapter (what ``rlver train`` writes with
``lora.enabled``) whose ``adapter_config.json`` names a local base model: the adapter is merged into
the base, so everything downstream sees a plain model.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from rlver.errors import ConfigError

__all__ = ["load_pretrained", "resolve_device", "resolve_dtype"]

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None`` = CUDA when available, else CPU."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except RuntimeError as exc:
        raise ConfigError(f"invalid device {device!r}: {exc}") from None


def resolve_dtype(dtype: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """``None`` = bfloat16 on a CUDA device that supports it, float32 otherwise (CPU bf16 is slow)."""
    if isinstance(dtype, torch.dtype):
        return dtype
    if dtype is None or dtype == "auto":
        if device.type == "cuda" and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    try:
        return _DTYPES[dtype]
    except KeyError:
        raise ConfigError(f"unknown dtype {dtype!r}; choose one of auto, {', '.join(_DTYPES)}") from None


def load_pretrained(
    path: str | Path,
    *,
    device: str | torch.device | None = None,
    dtype: str | torch.dtype | None = None,
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """(model, tokenizer) from a ``save_pretrained`` directory or a LoRA adapter directory.

    Only local directories are accepted (no hub ids: this project never downloads weights), weights
    must be safetensors (pickled ``.bin`` checkpoints are refused) and no remote code is run. An
    adapter is merged into its base model (``base_model_name_or_path``, a local directory); the
    tokenizer and chat template are the adapter directory's own.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a local model directory (hub ids are not downloaded)")
    if (folder / "adapter_config.json").is_file() and not (folder / "config.json").is_file():
        return _load_adapter(folder, device=device, dtype=dtype)
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{folder}: no config.json; expected a directory written by save_pretrained")
    if not any(folder.glob("*.safetensors")):
        raise ConfigError(f"{folder}: no *.safetensors weights (pickled checkpoints are not loaded)")
    target = resolve_device(device)
    tokenizer = _load_tokenizer(folder)
    model = AutoModelForCausalLM.from_pretrained(
        folder,
        local_files_only=True,
        use_safetensors=True,
        trust_remote_code=False,
        dtype=resolve_dtype(dtype, target),
    )
    model.to(target)
    model.eval()
    return model, tokenizer


def _load_tokenizer(folder: Path) -> PreTrainedTokenizerBase:
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    if tokenizer.chat_template is None:
        raise ConfigError(f"{folder}: the tokenizer has no chat template (chat_template.jinja)")
    return tokenizer


def _load_adapter(
    folder: Path, *, device: str | torch.device | None, dtype: str | torch.dtype | None
) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The base model with the LoRA adapter of ``folder`` merged in."""
    config_path = folder / "adapter_config.json"
    try:
        adapter_config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{config_path}: unreadable adapter config ({exc})") from None
    base_name = adapter_config.get("base_model_name_or_path") if isinstance(adapter_config, dict) else None
    if not isinstance(base_name, str) or not base_name:
        raise ConfigError(
            f"{config_path}: no base_model_name_or_path; cannot tell which model the adapter is for"
        )
    base = Path(base_name).expanduser()
    if not (base / "config.json").is_file():
        raise ConfigError(
            f"{folder}: a LoRA adapter for {base_name!r}, which is not a local model directory "
            "(hub ids are not downloaded); set base_model_name_or_path in adapter_config.json to the base folder"
        )
    if not (folder / "adapter_model.safetensors").is_file():
        raise ConfigError(f"{folder}: no adapter_model.safetensors (pickled adapters are not loaded)")
    try:
        from peft import PeftModel
    except ModuleNotFoundError:
        raise ConfigError(
            f"{folder} is a LoRA adapter; loading it needs peft: pip install 'rlver[lora]'"
        ) from None
    model, _ = load_pretrained(base, device=device, dtype=dtype)
    merged = PeftModel.from_pretrained(model, folder, is_trainable=False).merge_and_unload()
    merged.eval()
    return merged, _load_tokenizer(folder)
