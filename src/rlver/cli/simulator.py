"""``rlver simulator``: check the offline Sentient Agent against a real one's recorded appraisals."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from rlver.cli._common import cli_errors, console, run_async
from rlver.errors import InputError

__all__ = ["register", "simulator_app"]

simulator_app = typer.Typer(
    help="The offline Sentient Agent: calibration against a real simulator.", no_args_is_help=True
)


def calibrate(
    sage_results: list[Path] = typer.Option(
        ...,
        "--sage-results",
        help="SAGE result files (<model>_result.jsonl) or rlver's compact extract (data/sage/dialogues.jsonl.gz); repeatable.",
    ),
    profiles: Path = typer.Option(
        ..., help="The profiles the dialogues were played with (official JSONL, or .gz)."
    ),
    out: Path = typer.Option(..., help="Output directory: turns.jsonl and summary.json."),
    held_out: list[str] | None = typer.Option(
        None, "--held-out", help="Models to mark as held out of the fit (shown with *)."
    ),
    weights: Path | None = typer.Option(
        None, help="Appraisal parameters (a sage_fit.json-style file); default: the shipped ones."
    ),
    limit: int | None = typer.Option(None, min=1, help="Only the first N dialogues of each model."),
) -> None:
    """Appraise every recorded policy reply offline (recorded history kept) and compare with the recorded change."""
    import gzip
    import json
    import tempfile

    from rlver.profiles.io import load_profiles
    from rlver.simulator.offline import OfflineSentientAgent
    from rlver.simulator.offline.calibration import replay_dialogues, summarise
    from rlver.simulator.offline.fitted import FitFile, weights_from_dict
    from rlver.simulator.offline.sage import read_dialogues
    from rlver.utils.io import atomic_write_json, atomic_write_jsonl

    try:
        dialogues = read_dialogues(sage_results)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read SAGE results: {exc}") from None
    if limit is not None:
        counts: dict[str, int] = {}
        kept = []
        for d in dialogues:
            counts[d.model] = counts.get(d.model, 0) + 1
            if counts[d.model] <= limit:
                kept.append(d)
        dialogues = kept
    if not dialogues:
        raise InputError("no dialogue in the SAGE result files")
    raw = profiles.read_bytes()
    with tempfile.TemporaryDirectory() as tmp:  # the profile loader reads plain files
        plain = Path(tmp) / profiles.name.removesuffix(".gz")
        plain.write_bytes(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
        by_id = {p.id: p for p in load_profiles(plain)}
    agent_weights = None
    if weights is not None:
        try:
            fit = FitFile.model_validate(json.loads(weights.read_text(encoding="utf-8")))
            agent_weights = weights_from_dict(fit.weights.model_dump())
        except (OSError, ValueError) as exc:
            raise InputError(f"{weights}: not a parameter file ({exc})") from None
    agent = OfflineSentientAgent(weights=agent_weights)
    start = time.perf_counter()
    try:
        turns, finals = run_async(lambda: replay_dialogues(dialogues, by_id, agent))
    except KeyError as exc:
        raise InputError(f"{profiles}: {exc.args[0]}") from None
    seconds = time.perf_counter() - start
    rows = summarise(dialogues, turns, finals, held_out=held_out or ())
    atomic_write_jsonl(out / "turns.jsonl", [t.to_dict() for t in turns])
    summary = {
        "simulator": "offline",
        "reference": "deepseek-v3 (recorded SAGE appraisals)",
        "dialogues": len(dialogues),
        "turns": len(turns),
        "seconds": round(seconds, 1),
        "models": [r.to_dict() for r in rows],
    }
    atomic_write_json(out / "summary.json", summary)
    _print(rows)
    console.print(
        f"{len(turns)} replies in {seconds:.0f} s; wrote {out / 'turns.jsonl'} and {out / 'summary.json'}"
    )


def _print(rows: list) -> None:
    table = Table(title="Offline appraisal vs DeepSeek-V3 (SAGE)", header_style="bold")
    for column in ("model", "turns", "spearman", "sign agree", "MAE", "replayed score", "published score"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for r in rows:
        table.add_row(
            r.model + (" *" if r.held_out else ""),
            str(r.turns),
            f"{r.spearman:.2f}",
            f"{r.sign_agreement:.0%}",
            f"{r.mae:.1f}",
            f"{r.replayed_score:.1f}",
            f"{r.published_score:.1f}",
        )
    console.print(table)
    if any(r.held_out for r in rows):
        console.print("* held out of the fit")


def register(app: typer.Typer) -> None:
    simulator_app.command("calibrate")(cli_errors(calibrate))
    app.add_typer(simulator_app, name="simulator")
