"""``rlver models``: bring your own pretrained chat model.

rlver models import-gguf SmolLM2-135M-Instruct.Q4_1.gguf --out models/smollm2-135m
rlver models check models/smollm2-135m

``import-gguf`` turns a llama.cpp GGUF file into a checked folder that every ``--policy hf:DIR``
loads; ``check`` loads any such folder the way training does and holds a short greedy two-turn
dialogue, so a template or end-of-turn problem shows up before a long run. See docs/real-models.md.
torch, transformers and gguf are imported inside the commands: ``rlver --help`` stays instant.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import typer

from rlver.cli._common import cli_errors, console

__all__ = ["models_app", "register"]

models_app = typer.Typer(
    name="models",
    help="Bring your own model: import a GGUF checkpoint, check a model folder.",
    no_args_is_help=True,
)

_CHECK_TURNS = ("I had a rough day at work and I can't stop thinking about it.",
                "My manager took credit for my project in front of everyone.")


def register(app: typer.Typer) -> None:
    """Add the ``models`` command group to the ``rlver`` app."""
    app.add_typer(models_app, name="models")


@models_app.command("import-gguf")
@cli_errors
def import_gguf_command(
    file: Path = typer.Argument(..., help="The .gguf file (llama.cpp format)."),
    out: Path = typer.Option(..., "--out", "-o", help="Folder to write (load it as --policy hf:OUT)."),
    force: bool = typer.Option(False, "--force", help="Replace OUT if it exists and is not empty."),
) -> None:
    """Dequantise a GGUF chat model into a safetensors folder; check its logits against the GGUF model's."""
    from rlver.models.gguf import import_gguf

    result = import_gguf(file, out, force=force)
    info = result.info
    console.print(
        f"[bold]imported[/] {info.name or file.name}: {result.model_type}, "
        f"{result.parameters / 1e6:.1f}M parameters, vocabulary {result.vocab_size:,}, "
        f"from {'/'.join(info.tensor_types)} ({info.tensors} tensors)",
        highlight=False,
    )
    sampling = ", ".join(f"{k} {v:g}" for k, v in info.sampling.items()) or "none in the file"
    console.print(
        f"eos ids {list(result.eos_token_ids)}; sampling defaults: {sampling}\n"
        f"check: logits of the folder equal the GGUF model's on a {result.probe_tokens}-token probe "
        f"(max |diff| {result.max_logit_diff:.2g})\n"
        f"time: read + dequantise {result.load_seconds:.1f} s, write {result.write_seconds:.1f} s, "
        f"check {result.check_seconds:.1f} s\n"
        f"wrote {result.out}; use it as --policy hf:{result.out}",
        highlight=False,
    )


@models_app.command("check")
@cli_errors
def check_command(
    folder: Path = typer.Argument(..., help="A model folder (save_pretrained or import-gguf output)."),
    max_new_tokens: int = typer.Option(48, "--max-new-tokens", min=1, help="Most tokens per reply."),
    system_prompt: str | None = typer.Option(
        None, "--system-prompt", help="System message (default: none, so the template's own default applies)."
    ),
    device: str | None = typer.Option(None, help="cpu, cuda, cuda:1 ... (default: cuda if available)."),
) -> None:
    """Load a folder as training does and hold a greedy two-turn dialogue with token-exact traces."""
    from transformers.utils import logging as hf_logging

    from rlver.llm.types import Message
    from rlver.policy.base import PolicyRequest, TokenTrace
    from rlver.policy.hf import GenerationSettings, HFPolicy

    hf_logging.disable_progress_bar()
    start = time.perf_counter()
    policy = HFPolicy.from_pretrained(
        folder, GenerationSettings(temperature=0.0, max_new_tokens=max_new_tokens), device=device
    )
    loaded = time.perf_counter() - start
    tokenizer = policy.tokenizer
    end_tokens = tokenizer.convert_ids_to_tokens(sorted(policy.end_of_turn_ids))
    console.print(
        f"[bold]loaded[/] {folder} in {loaded:.1f} s: {policy.model.config.model_type}, "
        f"{policy.model.num_parameters() / 1e6:.1f}M parameters on {policy.model.device}, "
        f"end of turn {end_tokens}, context {policy.max_context_tokens:,} tokens",
        highlight=False,
    )
    request = PolicyRequest(
        key="check",
        messages=[Message("system", system_prompt)] if system_prompt else [],
        trace=TokenTrace(),
    )
    for turn, text in enumerate(_CHECK_TURNS):
        request.messages.append(Message("user", text))
        before = policy.stats.seconds
        (reply,) = asyncio.run(policy.generate([request]))
        if isinstance(reply, Exception):
            raise reply
        console.print(f"[bold]user:[/] {text}\n[bold]model:[/] {reply}", highlight=False)
        seconds = policy.stats.seconds - before
        console.print(f"  (turn {turn + 1}: {seconds:.1f} s)", style="dim", highlight=False)
        request.messages.append(Message("assistant", reply))
    stats = policy.stats
    rate = stats.sampled_tokens / stats.seconds if stats.seconds else 0.0
    head = tokenizer.decode(request.trace.ids[:24])
    console.print(
        f"trace: {len(request.trace)} tokens, {sum(request.trace.mask)} sampled, "
        f"{stats.cut_replies} replies cut at --max-new-tokens; {rate:.1f} tokens/s\ntrace starts: {head!r}",
        highlight=False,
    )
