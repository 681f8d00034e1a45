"""Checkpoints: Hugging Face weights plus everything needed to continue exactly where a run stopped.

Layout (``OUT/checkpoints``)::

    step-000004/
      policy/                 save_pretrained: config.json, model.safetensors (or a LoRA adapter), tokenizer
      critic.safetensors      the critic's trainable tensors (PPO)
      trainer_state.pt        optimizer + scheduler states, RNG states, step (tensors and plain data only)
      trainer_state.json      step and a summary, for humans
    latest                    the name of the newest complete checkpoint

A checkpoint is written into a temporary folder, fsynced and renamed into place, and ``latest`` is
replaced atomically afterwards, so a crash leaves either the previous checkpoint or the new one,
never half of one; the next save removes what a killed writer left behind. A disk that is full or
read-only ends the save with one :class:`~rlver.utils.io.WriteError` line naming the checkpoint and
the reason, and the previous checkpoint stays the latest. ``trainer_state.pt`` is written with
``torch.save`` but read with ``weights_only=True``: a checkpoint from elsewhere can never run code
when loaded.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file
from torch import nn

from rlver.errors import ConfigError
from rlver.utils.crashpoints import crash_point
from rlver.utils.io import atomic_write_text, writing

__all__ = [
    "CheckpointManager",
    "capture_rng_state",
    "restore_rng_state",
    "load_policy_weights",
    "save_trainable",
    "load_trainable",
    "is_peft_model",
]

_STEP_DIR = re.compile(r"^step-(\d+)$")
LATEST = "latest"
STATE_FILE = "trainer_state.pt"
# What a killed writer can leave in OUT/checkpoints: its temporary folder, a checkpoint being
# replaced or pruned, the temporary file of the `latest` pointer.
_LEFTOVER = re.compile(r"^(\.tmp-step-|\.old-step-|\.latest\.)")


def is_peft_model(model: nn.Module) -> bool:
    """True for a peft ``PeftModel`` (LoRA): only its adapters are saved and loaded."""
    return hasattr(model, "peft_config") and hasattr(model, "get_base_model")


# ----------------------------------------------------------------------------- RNG state


def capture_rng_state(extra: random.Random | None = None) -> dict[str, Any]:
    """RNG states of torch, numpy and Python as tensors and plain numbers (loadable with weights_only)."""
    version, mt, gauss = random.getstate()
    np_name, np_keys, np_pos, np_has_gauss, np_cached = np.random.get_state()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "python": {"version": version, "mt": torch.tensor(mt, dtype=torch.int64), "gauss": gauss},
        "numpy": {
            "name": np_name,
            "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "cached": float(np_cached),
        },
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    if extra is not None:
        v, e_mt, e_gauss = extra.getstate()
        state["trainer"] = {"version": v, "mt": torch.tensor(e_mt, dtype=torch.int64), "gauss": e_gauss}
    return state


def _python_state(saved: dict[str, Any]) -> tuple:
    return (saved["version"], tuple(int(x) for x in saved["mt"].tolist()), saved["gauss"])


def restore_rng_state(state: dict[str, Any], extra: random.Random | None = None) -> None:
    """Inverse of :func:`capture_rng_state`."""
    torch.set_rng_state(state["torch"])
    random.setstate(_python_state(state["python"]))
    saved = state["numpy"]
    np.random.set_state(
        (
            saved["name"],
            saved["keys"].numpy().astype(np.uint32),
            saved["pos"],
            saved["has_gauss"],
            saved["cached"],
        )
    )
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if extra is not None and "trainer" in state:
        extra.setstate(_python_state(state["trainer"]))


# ----------------------------------------------------------------------------- weights


def save_trainable(module: nn.Module, path: Path) -> None:
    """The module's trainable tensors as safetensors."""
    tensors = {
        name: p.detach().contiguous().cpu() for name, p in module.named_parameters() if p.requires_grad
    }
    save_file(tensors, str(path))


def load_trainable(module: nn.Module, path: Path) -> None:
    """Load tensors written by :func:`save_trainable`; every trainable tensor must be present."""
    tensors = load_file(str(path))
    params = dict(module.named_parameters())
    expected = {name for name, p in params.items() if p.requires_grad}
    missing, unexpected = expected - tensors.keys(), tensors.keys() - params.keys()
    if missing or unexpected:
        raise ConfigError(
            f"{path}: does not match the critic (missing {sorted(missing)[:3]}, "
            f"unexpected {sorted(unexpected)[:3]}); was it written with another critic setting?"
        )
    wrong = [name for name, tensor in tensors.items() if tensor.shape != params[name].shape]
    if wrong:
        raise ConfigError(f"{path}: tensor shapes differ from the critic's ({', '.join(sorted(wrong)[:3])})")
    with torch.no_grad():
        for name, tensor in tensors.items():
            params[name].copy_(tensor)


def load_policy_weights(model: nn.Module, folder: Path) -> None:
    """Load a checkpoint's ``policy/`` folder into ``model`` in place (full weights or LoRA adapter)."""
    if is_peft_model(model):
        from peft import set_peft_model_state_dict

        adapter = folder / "adapter_model.safetensors"
        if not adapter.is_file():
            raise ConfigError(f"{folder}: no adapter_model.safetensors; was the run trained without LoRA?")
        set_peft_model_state_dict(model, load_file(str(adapter)))
        return
    files = sorted(folder.glob("*.safetensors"))
    if not files:
        raise ConfigError(f"{folder}: no *.safetensors weights")
    state: dict[str, torch.Tensor] = {}
    for file in files:
        state.update(load_file(str(file)))
    try:
        result = model.load_state_dict(state, strict=False)
    except RuntimeError as exc:  # shape mismatches: a checkpoint of another model
        raise ConfigError(f"{folder}: weights do not fit the model ({str(exc).splitlines()[0]})") from None
    # save_pretrained leaves out tied copies (lm_head = embeddings); anything else missing is an error.
    storage = {p.data_ptr() for name, p in model.named_parameters() if name in state}
    untied = [k for k in result.missing_keys if model.get_parameter(k).data_ptr() not in storage]
    if untied or result.unexpected_keys:
        raise ConfigError(
            f"{folder}: weights do not match the model (missing {untied[:3]}, "
            f"unexpected {result.unexpected_keys[:3]})"
        )


# ----------------------------------------------------------------------------- manager


def _fsync_tree(folder: Path) -> None:
    """fsync every file under ``folder`` and the folders themselves."""
    for directory, _, files in os.walk(folder):
        for name in files:
            with open(os.path.join(directory, name), "rb") as handle:
                os.fsync(handle.fileno())
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _pointer_target(pointer: Path) -> str | None:
    """The step folder the ``latest`` file names, or None when it is missing, unreadable or names
    anything but a ``step-N`` folder (a damaged pointer falls back to the highest complete step, and
    can never point outside the checkpoint folder)."""
    try:
        name = pointer.read_bytes().decode("utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    # ASCII digits, at most 20: a longer name is damage, and the OS refuses names past 255 bytes.
    return name if re.fullmatch(r"step-[0-9]{1,20}", name) else None


@dataclass(frozen=True)
class CheckpointManager:
    """Writes, finds, loads and prunes the checkpoints of one run."""

    root: Path
    """``OUT/checkpoints``."""
    keep_last_k: int = 3
    """Checkpoints kept; older ones are deleted after each save."""

    def step_dir(self, step: int) -> Path:
        return self.root / f"step-{step:06d}"

    def steps(self) -> list[int]:
        """Steps of the complete checkpoints on disk, ascending."""
        if not self.root.is_dir():
            return []
        found = [_STEP_DIR.match(p.name) for p in self.root.iterdir() if p.is_dir()]
        return sorted(int(m.group(1)) for m in found if m)

    def latest(self) -> Path | None:
        """The newest complete checkpoint (the ``latest`` pointer, else the highest step), or None."""
        name = _pointer_target(self.root / LATEST)
        if name is not None and (self.root / name / STATE_FILE).is_file():
            return self.root / name
        for step in reversed(self.steps()):
            if (self.step_dir(step) / STATE_FILE).is_file():
                return self.step_dir(step)
        return None

    def save(
        self,
        step: int,
        *,
        policy: nn.Module,
        tokenizer: Any,
        critic: nn.Module | None,
        state: dict[str, Any],
        summary: dict[str, Any],
    ) -> Path:
        """Write checkpoint ``step`` atomically, point ``latest`` at it, prune old ones.

        Raises :class:`~rlver.utils.io.WriteError` (one line: the checkpoint, the reason, the
        checkpoint that is still the latest) when the disk is full or read-only.
        """
        final = self.step_dir(step)
        previous = self.latest()
        hint = f"{previous.name} is still the latest checkpoint" if previous else "no checkpoint was saved"
        with writing(final, f"checkpoint {final}", hint):
            self.root.mkdir(parents=True, exist_ok=True)
            self._remove_leftovers()
            tmp = self.root / f".tmp-{final.name}-{os.getpid()}"
            tmp.mkdir()
            try:
                policy.save_pretrained(tmp / "policy", safe_serialization=True)
                if tokenizer is not None:
                    tokenizer.save_pretrained(tmp / "policy")
                crash_point("checkpoint.files", step, tmp / STATE_FILE)
                if critic is not None:
                    save_trainable(critic, tmp / "critic.safetensors")
                # Through a Python file: a failed write then surfaces as an OSError (with its errno)
                # behind torch's RuntimeError instead of a bare "unexpected pos".
                with open(tmp / STATE_FILE, "wb") as handle:
                    torch.save({**state, "step": step}, handle)
                (tmp / "trainer_state.json").write_text(
                    json.dumps({"step": step, **summary}, indent=2) + "\n", encoding="utf-8"
                )
                _fsync_tree(tmp)  # the rename must not reach the disk before the files it names
                if final.exists():  # a rerun of this step after a resume from an earlier checkpoint
                    stale = self.root / f".old-{final.name}-{os.getpid()}"
                    os.replace(final, stale)
                    shutil.rmtree(stale, ignore_errors=True)
                os.replace(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            crash_point("checkpoint.rename", step, self.root / LATEST)
            atomic_write_text(self.root / LATEST, final.name + "\n")
        self.prune(keep=final)
        return final

    def _remove_leftovers(self) -> None:
        """Delete what a killed writer left (only rank 0 of one run writes here, so none is live)."""
        for entry in self.root.iterdir():
            if _LEFTOVER.match(entry.name):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)

    def prune(self, keep: Path | None = None) -> None:
        """Delete all but the newest ``keep_last_k`` checkpoints (never ``keep``)."""
        steps = self.steps()
        for step in steps[: max(0, len(steps) - self.keep_last_k)]:
            folder = self.step_dir(step)
            if keep is None or folder != keep:
                # Renamed first: a kill halfway through the deletion leaves a leftover, not a
                # step folder with some of its files.
                doomed = self.root / f".old-{folder.name}-{os.getpid()}"
                try:
                    os.replace(folder, doomed)
                except OSError:  # read-only now, or already gone: an extra old checkpoint stays
                    continue
                shutil.rmtree(doomed, ignore_errors=True)

    def load_state(self, folder: Path) -> dict[str, Any]:
        """``trainer_state.pt`` of a checkpoint, read without unpickling arbitrary objects."""
        path = folder / STATE_FILE
        if not path.is_file():
            raise ConfigError(f"{folder}: not a complete checkpoint (no {STATE_FILE})")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        # weights_only refuses code; a damaged file fails anywhere in the zip reader or the unpickler
        # (RuntimeError, UnpicklingError, UnicodeDecodeError, KeyError, ValueError...): one error for all.
        except Exception as exc:  # noqa: BLE001
            message = f"cannot load trainer state safely ({type(exc).__name__}: {exc})"
            raise ConfigError(f"{path}: {message}") from None
        if not isinstance(state, dict) or type(state.get("step")) is not int or state["step"] < 0:
            raise ConfigError(f"{path}: not a trainer state (expected a mapping with an integer 'step')")
        return state
