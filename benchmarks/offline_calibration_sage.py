"""Offline appraisal vs DeepSeek-V3 on SAGE's recorded dialogues: hand-set and fitted parameters.

Replays every recorded policy reply of the five published models (``data/sage/``) through the
offline appraisal (``rlver simulator calibrate``): with the hand-set constants, with the fitted named
terms only (fit stages 1-3) and with the whole fit (plus the impression read-out), all fitted on
gpt-4.1, deepseek-v3-1227 and qwen2.5-72b (claude3.7 and llama3.3-70b held out),
and writes ``benchmarks/results/offline_calibration_sage.json``. Also records the floor: the
Spearman correlation of reply length alone (shorter = better) with the recorded change.

    .venv/bin/python benchmarks/offline_calibration_sage.py            # ~10 CPU-minutes per pass
    .venv/bin/python benchmarks/offline_calibration_sage.py --from BEFORE NAMED AFTER   # reuse CLI outputs
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rlver.build.offline_fit import FIT_MODELS, HELD_OUT
from rlver.simulator.offline import OfflineSentientAgent, fitted_weights
from rlver.simulator.offline.appraisal import DEFAULT_WEIGHTS, AppraisalWeights
from rlver.simulator.offline.calibration import replay_dialogues, spearman, summarise
from rlver.simulator.offline.sage import read_dialogues, recorded_turns

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "sage"
RESULTS = Path(__file__).parent / "results" / "offline_calibration_sage.json"
PUBLISHED_ORDER = ["gpt-4.1", "claude3.7", "deepseek-v3-1227", "llama3.3-70b", "qwen2.5-72b"]


def _profiles():
    import gzip

    from rlver.profiles.io import load_profiles

    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "profiles.jsonl"
        plain.write_bytes(gzip.decompress((DATA / "profiles.jsonl.gz").read_bytes()))
        return {p.id: p for p in load_profiles(plain)}


def _pass(dialogues, profiles, weights) -> dict:
    agent = OfflineSentientAgent(zh_weights=weights)
    start = time.perf_counter()
    turns, finals = asyncio.run(replay_dialogues(dialogues, profiles, agent))
    rows = summarise(dialogues, turns, finals, held_out=HELD_OUT)
    return {"seconds": round(time.perf_counter() - start, 1), "models": [r.to_dict() for r in rows]}


def named_terms_only(weights: AppraisalWeights) -> AppraisalWeights:
    """The fitted weights without the impression read-out (stages 1-3 of the fit)."""
    return replace(weights, impression=(), impression_length=0.0, impression_bias=0.0, rules_scale=1.0)


def _ranking(models: list[dict]) -> dict:
    order = [m["model"] for m in sorted(models, key=lambda m: -m["replayed_score"])]
    return {"replayed_order": order, "matches_published_order": order == PUBLISHED_ORDER}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="reuse", nargs=3, type=Path, metavar=("BEFORE", "NAMED", "AFTER"))
    args = parser.parse_args()
    dialogues = read_dialogues([DATA / "dialogues.jsonl.gz"])
    floor = {}
    for model in PUBLISHED_ORDER:
        turns = [t for t in recorded_turns(dialogues) if t.model == model]
        floor[model] = round(spearman([-len(t.reply) for t in turns], [t.change for t in turns]), 3)
    if args.reuse:
        passes = [json.loads((d / "summary.json").read_text(encoding="utf-8")) for d in args.reuse]
        before, named, after = ({"seconds": p["seconds"], "models": p["models"]} for p in passes)
    else:
        profiles = _profiles()
        before = _pass(dialogues, profiles, DEFAULT_WEIGHTS)
        named = _pass(dialogues, profiles, named_terms_only(fitted_weights()))
        after = _pass(dialogues, profiles, fitted_weights())
    for result in (before, named, after):
        result.update(_ranking(result["models"]))
    payload = {
        "reference": "DeepSeek-V3 (2024-12-27) as SAGE's simulator; Tencent/digitalhuman result files",
        "fit_models": list(FIT_MODELS),
        "held_out": list(HELD_OUT),
        "published_order": PUBLISHED_ORDER,
        "length_only_spearman": floor,
        "before_handset": before,
        "fitted_named_terms_only": named,
        "after_fitted": after,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=RESULTS.parent, prefix=RESULTS.name, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, RESULTS)
    passes = (("before (hand-set)", before), ("fitted, named terms only", named), ("after (fitted)", after))
    for name, result in passes:
        print(name, result["replayed_order"])
        for m in result["models"]:
            star = " *" if m["held_out"] else ""
            print(
                f"  {m['model'] + star:<20} rho {m['spearman']:+.2f}  sign {m['sign_agreement']:.0%}  "
                f"MAE {m['mae']:.1f}  score {m['replayed_score']:.1f} (published {m['published_score']:.1f})"
            )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
