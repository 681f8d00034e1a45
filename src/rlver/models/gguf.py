"""Import a GGUF checkpoint (llama.cpp's single-file format) as a folder that ``hf:DIR`` loads.

transformers reads GGUF (``gguf_file=``, with the ``gguf`` package) and dequantises every tensor to
float32, but refuses to ``save_pretrained`` the result. :func:`import_gguf` rebuilds the model from
its config, copies the state dict in and writes a plain folder: safetensors weights, the tokenizer,
the chat template (``chat_template.jinja``), ``generation_config.json`` and ``config.json``. It then
loads that folder the way ``hf:DIR`` does and checks its logits against the GGUF-loaded model's.

Everything is written into a temporary folder beside ``out`` and renamed into place at the end, so
``out`` is either absent, the old folder (``force``) or the complete, checked import.

Heavy imports (torch, transformers, gguf) happen inside the functions: ``rlver models import-gguf``
rejects a wrong file at once, and this module imports without the ``gguf`` extra.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlver.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

__all__ = ["GGUF_MAGIC", "LOGIT_ATOL", "GGUFInfo", "ImportResult", "import_gguf", "read_gguf_info"]

GGUF_MAGIC = b"GGUF"
"""The first four bytes of every GGUF file."""

LOGIT_ATOL = 1e-4
"""Largest logit difference the import check accepts between the GGUF-loaded model and the folder.

Both models hold bit-identical float32 weights (checked tensor by tensor) and run the same kernels
on the same input, so they agree exactly in practice; the margin only absorbs float32 summation-order
noise (~1e-6 relative on logits of magnitude ~10-30). A wrong config value (rope theta, norm epsilon,
untied embeddings, head layout) moves logits by 1e-2 or more, far above it."""

_PROBE = (
    ("user", "I had a rough day at work and I can't stop thinking about it."),
    ("assistant", "That sounds exhausting. Do you want to tell me what happened?"),
    ("user", "My manager took credit for my project — again. Ça m'énerve!"),
)
_MARK = "\u2063rlver-turn-end\u2063"  # placeholder reply; what the template writes after it closes the turn


@dataclass(frozen=True)
class GGUFInfo:
    """What the GGUF header says about a checkpoint (read without loading any tensor)."""

    path: Path
    """The GGUF file."""
    architecture: str
    """``general.architecture`` (llama.cpp's name: ``llama``, ``qwen2``, ``gemma3`` ...)."""
    name: str | None
    """``general.name``, when present."""
    tensor_types: tuple[str, ...]
    """The distinct ggml tensor types in the file (``F32``, ``Q4_1``, ``Q8_0`` ...), sorted."""
    tensors: int
    """Number of tensors."""
    sampling: dict[str, float]
    """The author's sampling defaults (``general.sampling.temp`` / ``top_p``) as ``temperature`` /
    ``top_p``; empty when the file has none."""


@dataclass(frozen=True)
class ImportResult:
    """A finished, checked import."""

    out: Path
    """The written folder (load it as ``hf:OUT``)."""
    info: GGUFInfo
    """The source file's header."""
    model_type: str
    """transformers' model type of the rebuilt model (``llama`` ...)."""
    parameters: int
    """Parameter count (tied embeddings counted once)."""
    vocab_size: int
    """Tokenizer size, added tokens included."""
    eos_token_ids: tuple[int, ...]
    """End-of-turn ids written to ``generation_config.json``: the tokenizer's eos and the token the
    chat template closes an assistant turn with."""
    probe_tokens: int
    """Length of the chat-template probe the logits were compared on."""
    max_logit_diff: float
    """Largest absolute logit difference, folder vs GGUF-loaded model (at most :data:`LOGIT_ATOL`)."""
    load_seconds: float
    """Reading and dequantising the GGUF file (tokenizer and model)."""
    write_seconds: float
    """Rebuilding the model and writing the folder."""
    check_seconds: float
    """Loading the folder back and comparing tokenizer, weights and logits."""


def _require_gguf() -> Any:
    try:
        import gguf
    except ImportError:
        raise ConfigError("reading GGUF files needs the gguf package: pip install 'rlver[gguf]'") from None
    return gguf


def _check_magic(path: Path) -> None:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    with path.open("rb") as handle:
        head = handle.read(len(GGUF_MAGIC))
    if head != GGUF_MAGIC:
        raise ConfigError(f"{path}: not a GGUF file (starts with {head!r}, expected {GGUF_MAGIC!r})")


def _field(reader: Any, key: str) -> Any:
    """A scalar or string metadata value, or ``None``."""
    field = reader.fields.get(key)
    return None if field is None else field.contents()


def read_gguf_info(path: str | Path) -> GGUFInfo:
    """Read and validate a GGUF header: the magic bytes, and that ``gguf`` can dequantise every tensor."""
    path = Path(path).expanduser()
    _check_magic(path)
    gguf = _require_gguf()
    import numpy as np

    try:
        reader = gguf.GGUFReader(path)
    except (ValueError, OSError) as exc:  # truncated or corrupt header
        raise ConfigError(f"{path}: unreadable GGUF file ({exc})") from None
    architecture = _field(reader, "general.architecture")
    if not isinstance(architecture, str):
        raise ConfigError(f"{path}: the GGUF header names no general.architecture")
    counts = Counter(tensor.tensor_type for tensor in reader.tensors)
    unsupported = []
    for qtype, count in counts.items():
        # One all-zero block tells whether this gguf version can dequantise the type at all.
        _, type_size = gguf.GGML_QUANT_SIZES[qtype]
        try:
            gguf.dequantize(np.zeros((1, type_size), dtype=np.uint8), qtype)
        except NotImplementedError:
            unsupported.append(f"{qtype.name} ({count} tensors)")
    if unsupported:
        raise ConfigError(
            f"{path}: unsupported quantisation {', '.join(sorted(unsupported))}: the installed gguf package "
            "cannot dequantise it; convert the model to F16, Q8_0 or a K-quant first"
        )
    sampling = {}
    for key, name in (("general.sampling.temp", "temperature"), ("general.sampling.top_p", "top_p")):
        value = _field(reader, key)
        if isinstance(value, (int, float)):
            sampling[name] = float(value)
    name = _field(reader, "general.name")
    return GGUFInfo(
        path=path,
        architecture=architecture,
        name=name if isinstance(name, str) else None,
        tensor_types=tuple(sorted(qtype.name for qtype in counts)),
        tensors=len(reader.tensors),
        sampling=sampling,
    )


def _check_out(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise ConfigError(f"{out}: directory exists and is not empty; pass --force to replace it")


def import_gguf(path: str | Path, out: str | Path, *, force: bool = False) -> ImportResult:
    """Convert the GGUF file ``path`` into a checked Hugging Face folder ``out`` (see the module docstring).

    Raises :class:`ConfigError` for a file that is not GGUF, an architecture transformers cannot load
    as a causal LM, a quantisation ``gguf`` cannot dequantise, a missing ``gguf`` package, a
    non-empty ``out`` without ``force``, or a folder that does not reproduce the GGUF model.
    """
    path, out = Path(path).expanduser(), Path(out).expanduser()
    _check_magic(path)
    _check_out(out, force)
    info = read_gguf_info(path)
    with _quiet_progress():
        return _import(info, out)


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """Silence transformers' per-shard and per-tensor bars (its GGUF dequantising bar is plain tqdm)."""
    from transformers.utils import logging as hf_logging

    previous = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if previous:
            hf_logging.enable_progress_bar()


def _import(info: GGUFInfo, out: Path) -> ImportResult:
    start = time.perf_counter()
    model, tokenizer = _load_gguf(info)
    loaded = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        probe = _probe_ids(tokenizer)
        expected = _logits(model, probe)
        eos_ids = _end_of_turn_ids(tokenizer)
        _write_folder(model, tokenizer, eos_ids, info, tmp)
        state = model.state_dict()  # the same tensors, no copy: at most two copies of the weights live
        del model
        written = time.perf_counter()
        diff, parameters, model_type = _check_folder(tmp, tokenizer, probe, state, expected)
        _publish(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ImportResult(
        out=out,
        info=info,
        model_type=model_type,
        parameters=parameters,
        vocab_size=len(tokenizer),
        eos_token_ids=tuple(eos_ids),
        probe_tokens=len(probe),
        max_logit_diff=diff,
        load_seconds=loaded - start,
        write_seconds=written - loaded,
        check_seconds=time.perf_counter() - written,
    )


def _load_gguf(info: GGUFInfo) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    # transformers parses the whole header again for each object it builds (~5 s each for a 49k
    # vocabulary), so no separate config read: its architecture errors come from the tokenizer load.
    folder, name = info.path.parent, info.path.name
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name, local_files_only=True)
    except (ValueError, KeyError) as exc:  # "GGUF model with architecture X is not supported yet."
        raise ConfigError(
            f"{info.path}: unsupported architecture {info.architecture!r}: "
            f"transformers cannot load it from GGUF ({exc})"
        ) from None
    if not tokenizer.chat_template:
        raise ConfigError(f"{info.path}: no tokenizer.chat_template in the file; rlver's policies need one")
    try:
        model = AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, local_files_only=True, dtype=torch.float32
        )
    except ValueError as exc:  # "Unrecognized configuration class ... for this kind of AutoModel"
        raise ConfigError(
            f"{info.path}: unsupported architecture {info.architecture!r}: not a causal LM ({exc})"
        ) from None
    model.eval()
    return model, tokenizer


def _probe_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """A short multi-turn conversation through the model's own template (non-ASCII text included)."""
    messages = [{"role": role, "content": text} for role, text in _PROBE]
    return list(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                              return_dict=True)["input_ids"])


def _logits(model: PreTrainedModel, ids: list[int]) -> torch.Tensor:
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float()  # (T, V)


def _end_of_turn_ids(tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """The tokenizer's eos, plus the special token the template writes right after an assistant reply."""
    from jinja2 import TemplateError

    ids = [int(tokenizer.eos_token_id)] if tokenizer.eos_token_id is not None else []
    messages = [{"role": "user", "content": "Hi."}, {"role": "assistant", "content": _MARK}]
    try:
        text = tokenizer.apply_chat_template(messages, tokenize=False)
    except (TemplateError, ValueError) as exc:  # a template may refuse a conversation (raise_exception)
        raise ConfigError(f"the chat template cannot render a user + assistant conversation: {exc}") from None
    after = text.split(_MARK, 1)[1] if _MARK in text else ""
    closing = tokenizer.encode(after, add_special_tokens=False)[:1]
    if closing and closing[0] in set(tokenizer.all_special_ids) and closing[0] not in ids:
        ids.append(int(closing[0]))
    if not ids:
        raise ConfigError("no eos token, and the chat template closes turns with no special token")
    return ids


def _write_folder(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    eos_ids: list[int],
    info: GGUFInfo,
    folder: Path,
) -> None:
    import copy

    import torch
    from transformers import AutoModelForCausalLM

    config = copy.deepcopy(model.config)
    # The GGUF marker makes transformers treat the model as quantised (and refuse to save it).
    for attr in ("quantization_config", "_model_name_or_path"):
        if hasattr(config, attr):
            delattr(config, attr)
    with _no_init():  # every weight is overwritten by load_state_dict: random init would waste ~5 s
        rebuilt = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    rebuilt.load_state_dict(model.state_dict())
    rebuilt.generation_config = _generation_config(tokenizer, eos_ids, info)
    rebuilt.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    if not (folder / "chat_template.jinja").is_file():  # older transformers kept it in tokenizer_config.json
        (folder / "chat_template.jinja").write_text(str(tokenizer.chat_template), encoding="utf-8")
    for file in folder.iterdir():
        os.chmod(file, 0o644)  # save_pretrained writes weights 0600; an imported model is meant to be shared


def _no_init() -> AbstractContextManager[Any]:
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # an older transformers 5 release without the helper: initialise, only slower
        return nullcontext()
    return no_init_weights()


def _generation_config(tokenizer: PreTrainedTokenizerBase, eos_ids: list[int], info: GGUFInfo) -> Any:
    """eos = every end-of-turn id; the author's temperature / top_p only when the GGUF file has them."""
    from transformers import GenerationConfig

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]
    eos: int | list[int] = eos_ids if len(eos_ids) > 1 else eos_ids[0]
    fields: dict[str, Any] = {"eos_token_id": eos, "pad_token_id": pad}
    if tokenizer.bos_token_id is not None:
        fields["bos_token_id"] = tokenizer.bos_token_id
    if info.sampling:
        fields.update(do_sample=True, **info.sampling)
    return GenerationConfig(**fields)


def _check_folder(
    folder: Path,
    tokenizer: PreTrainedTokenizerBase,
    probe: list[int],
    state: dict[str, torch.Tensor],
    expected: torch.Tensor,
) -> tuple[float, int, str]:
    """Load ``folder`` as ``hf:`` does; compare template, probe ids, every weight and the probe logits."""
    import torch

    from rlver.models.loading import load_pretrained

    model, loaded_tokenizer = load_pretrained(folder, device="cpu", dtype="float32")
    if loaded_tokenizer.chat_template != tokenizer.chat_template:
        raise ConfigError("import check: the written chat template differs from the GGUF file's")
    if _probe_ids(loaded_tokenizer) != probe:
        raise ConfigError("import check: the written tokenizer encodes the probe conversation differently")
    written = model.state_dict()
    changed = [k for k, v in state.items() if k not in written or not torch.equal(written[k], v)]
    if changed:
        first = changed[0]
        raise ConfigError(f"import check: {len(changed)} tensors changed in the round trip ({first}, ...)")
    diff = float((_logits(model, probe) - expected).abs().max())
    if not diff <= LOGIT_ATOL:  # also catches NaN
        raise ConfigError(f"import check: logits differ from the GGUF model's by {diff:.3g} (> {LOGIT_ATOL})")
    return diff, model.num_parameters(), str(model.config.model_type)


def _publish(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an existing ``out`` is moved aside first and removed only afterwards."""
    os.chmod(tmp, 0o755)  # mkdtemp creates 0700
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
    old.rmdir()
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except OSError:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
