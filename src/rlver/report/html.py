"""A static, self-contained HTML report of a training run or of benchmark outputs.

``write_report(run_dir, out_path)`` gathers whatever exists (tolerating missing pieces):

- a training run: ``metrics.jsonl`` (training curves), ``rollouts.jsonl`` (latest step's dialogues);
- benchmark outputs: ``run_dir`` itself, ``run_dir/bench/*``, direct sub-directories, and any
  ``bench_dirs`` given (leaderboard, outcome counts, emotion trajectories);
- analyses inside each benchmark output's ``analysis/`` (capability radar, strategy charts, SCC map);
- general-ability summaries (``general.json``) anywhere up to three levels below ``run_dir``;

and writes one HTML file. :mod:`rlver.report._sections` turns what was found into figures, tables and
dialogues; the page itself is the Jinja template ``templates/report.html``, rendered with
autoescaping on. Charts are PNGs (matplotlib, Agg) embedded as base64 (or written beside the HTML);
the dialogue viewer is a few lines of vanilla JavaScript over JSON embedded in the page. No CDN, no
network. Transcript text is untrusted policy output: the template escapes every value, the JSON is
escaped for ``<script>`` (:func:`_script_json`) and the viewer inserts text with ``textContent`` only.
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlver.bench.compare import (
    BenchResult,
    ResultFileError,
    is_bench_dir,
    load_result,
    read_jsonl,
)
from rlver.errors import ConfigError
from rlver.report import _sections as sections
from rlver.utils.io import atomic_write_text

if TYPE_CHECKING:
    import jinja2

__all__ = ["BenchEntry", "ReportData", "collect_report_data", "write_report"]


@dataclass
class BenchEntry:
    """One benchmark output and the analyses found beside it."""

    name: str
    result: BenchResult
    capabilities: dict[str, Any] | None = None
    strategies: dict[str, Any] | None = None
    scc: dict[str, Any] | None = None


@dataclass
class ReportData:
    """Everything a report shows, as found on disk."""

    root: Path
    metrics: list[dict[str, Any]] = field(default_factory=list)
    rollouts: list[dict[str, Any]] = field(default_factory=list)
    benches: list[BenchEntry] = field(default_factory=list)
    general: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Files that exist but could not be read (shown in the report, never fatal)."""


def _read_json(path: Path, problems: list[str]) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        problems.append(f"{path}: {exc}")
        return None
    return data if isinstance(data, dict) else None


def _bench_candidates(root: Path, extra: Sequence[str | Path]) -> list[Path]:
    found: list[Path] = []
    if is_bench_dir(root):
        found.append(root)
    for parent in (root / "bench", root):
        if parent.is_dir():
            found.extend(sorted(p for p in parent.iterdir() if p.is_dir() and is_bench_dir(p)))
    found.extend(Path(p) for p in extra)
    unique: dict[Path, Path] = {}
    for path in found:
        unique.setdefault(path.resolve(), path)
    return list(unique.values())


def _names(paths: Sequence[Path], policies: Sequence[str]) -> list[str]:
    """Display names: the policy name, or the folder name when policies repeat (base vs trained)."""
    if len(set(policies)) == len(policies):
        return list(policies)
    return [p.name if p.name not in ("", ".") else pol for p, pol in zip(paths, policies)]


def collect_report_data(run_dir: str | Path, *, bench_dirs: Sequence[str | Path] = ()) -> ReportData:
    """Read everything the report can show from ``run_dir`` (and ``bench_dirs``)."""
    root = Path(run_dir)
    if not root.is_dir():
        raise ResultFileError(f"{root}: not a directory (expected a training run or a benchmark output)")
    data = ReportData(root=root)
    if (root / "metrics.jsonl").is_file():
        try:
            data.metrics = read_jsonl(root / "metrics.jsonl")
        except ResultFileError as exc:
            data.problems.append(str(exc))
    if (root / "rollouts.jsonl").is_file():
        data.rollouts = _last_step_rollouts(root / "rollouts.jsonl", data.problems)

    results = []
    for path in _bench_candidates(root, bench_dirs):
        try:
            results.append(load_result(path))
        except ResultFileError as exc:
            data.problems.append(str(exc))
    names = _names([r.path for r in results], [r.policy for r in results])
    for name, result in zip(names, results):
        analysis = result.path / "analysis"
        data.benches.append(
            BenchEntry(
                name=name,
                result=result,
                capabilities=_read_json(analysis / "capabilities.json", data.problems),
                strategies=_read_json(analysis / "strategies.json", data.problems),
                scc=_read_json(analysis / "scc.json", data.problems),
            )
        )
    for path in (
        sorted(root.glob("general.json"))
        + sorted(root.glob("*/general.json"))
        + sorted(root.glob("*/*/general.json"))
    ):
        summary = _read_json(path, data.problems)
        if summary is not None and "by_category" in summary:
            label = path.parent.name if path.parent != root else str(summary.get("policy", "general"))
            data.general.append((label, summary))
    return data


def _last_step_rollouts(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """Rollouts of the highest ``step`` in ``rollouts.jsonl``, streamed (the file grows every step)."""
    kept: list[dict[str, Any]] = []
    last_step: int | None = None
    pending: str | None = None  # a bad line is only a problem if another line follows (else: mid-append)
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if pending is not None:
                problems.append(pending)
                pending = None
            try:
                row = json.loads(line)
                step = int(row.get("step", 0))
            except (json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
                pending = f"{path}:{number}: skipped ({exc})"
                continue
            if last_step is None or step > last_step:
                kept, last_step = [row], step
            elif step == last_step:
                kept.append(row)
    return kept


def _script_json(value: Any) -> str:
    """JSON safe inside ``<script>``: no ``<``, ``>`` or ``&`` can end the element or open a comment."""
    text = json.dumps(value, ensure_ascii=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    try:
        import jinja2
        from markupsafe import Markup
    except ModuleNotFoundError as exc:  # jinja2 is in the `report` extra (and comes with torch)
        raise ConfigError("the HTML report needs jinja2: pip install 'rlver[report]'") from exc
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rlver.report", "templates"),
        # On for every template and value: transcript text, names and paths come from files.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    # The one value inserted unescaped: entity-escaping would break JSON.parse of the element's text,
    # and _script_json already leaves nothing that can close the <script>.
    env.filters["script_json"] = lambda value: Markup(_script_json(value))
    return env


def write_report(
    run_dir: str | Path,
    out_path: str | Path | None = None,
    *,
    bench_dirs: Sequence[str | Path] = (),
    embed_images: bool = True,
    max_dialogues: int = 50,
    title: str | None = None,
) -> Path:
    """Write the HTML report of ``run_dir`` (default ``run_dir/report.html``) and return its path."""
    data = collect_report_data(run_dir, bench_dirs=bench_dirs)
    out = Path(out_path) if out_path is not None else data.root / "report.html"
    images = sections.Images(out, embed_images)
    page = (
        _environment()
        .get_template("report.html")
        .render(
            title=title or f"rlver report — {data.root.resolve().name}",
            root=str(data.root),
            created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            training=sections.training_section(data, images),
            benchmark=sections.bench_section(data, images),
            analyses=sections.analysis_parts(data, images),
            sources=sections.viewer_sources(data, max_dialogues),
            problems=data.problems,
        )
    )
    atomic_write_text(out, page)
    return out
