"""Load a causal LM and its tokenizer from a local directory: safetensors only, never a download."""

from __future__ import annotations

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
    """(model, tokenizer) from a ``save_pretrained`` directory.

    Only local directories are accepted (no hub ids: this project never downloads weights), weights
    must be safetensors (pickled ``.bin`` checkpoints are refused) and no remote code is run.
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ConfigError(f"{folder}: not a local model directory (hub ids are not downloaded)")
    if not (folder / "config.json").is_file():
        raise ConfigError(f"{folder}: no config.json; expected a directory written by save_pretrained")
    if not any(folder.glob("*.safetensors")):
        raise ConfigError(f"{folder}: no *.safetensors weights (pickled checkpoints are not loaded)")
    target = resolve_device(device)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    if tokenizer.chat_template is None:
        raise ConfigError(f"{folder}: the tokenizer has no chat template (chat_template.jinja)")
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
