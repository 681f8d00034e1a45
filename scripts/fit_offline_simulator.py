"""Fit the offline Sentient Agent to DeepSeek-V3's recorded appraisals (SAGE), models held out.

    .venv/bin/python scripts/fit_offline_simulator.py extract --raw DIR   # SAGE files -> data/sage/
    .venv/bin/python scripts/fit_offline_simulator.py fit                 # data/sage/ -> fitted.json

``extract`` reads the five published result files and the profile file from ``DIR`` (a copy of
Tencent/digitalhuman's ``SAGE/dataset/deepseek-v3-2024-1227_based_simulator`` and
``SAGE/profile/simulator_profile_withfirsttalk.jsonl``) and keeps only what the calibration needs.
``fit`` is seeded and reads only the committed extract: it fits on gpt-4.1, deepseek-v3-1227 and
qwen2.5-72b; claude3.7 and llama3.3-70b are never read by the fit.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rlver.build.offline_fit import FIT_MODELS, fit_and_write
from rlver.simulator.offline.sage import read_dialogues, write_jsonl_gz

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "sage"
MODELS = ("gpt-4.1", "claude3.7", "deepseek-v3-1227", "llama3.3-70b", "qwen2.5-72b")


def extract(raw: Path) -> None:
    dialogues = read_dialogues(raw / f"{model}_result.jsonl" for model in MODELS)
    rows = [
        {
            "model": d.model,
            "id": d.id,
            "profile": d.profile,
            "emo_point": d.emo_point,
            "messages": list(d.messages),
        }
        for d in dialogues
    ]
    write_jsonl_gz(DATA / "dialogues.jsonl.gz", rows)
    profile_lines = (raw / "simulator_profile_withfirsttalk.jsonl").read_text(encoding="utf-8").splitlines()
    profiles = [json.loads(line) for line in profile_lines if line.strip()]
    write_jsonl_gz(DATA / "profiles.jsonl.gz", profiles)
    # The CI sample: the first profile of each hidden need (one official wording each), every model.
    first_by_task: dict[str, str] = {}
    for profile in profiles:
        first_by_task.setdefault(profile["task"], profile["id"])
    sample_ids = list(first_by_task.values())
    sample_dir = ROOT / "tests" / "data" / "sage"
    write_jsonl_gz(sample_dir / "dialogues.jsonl.gz", [r for r in rows if r["id"] in sample_ids])
    write_jsonl_gz(sample_dir / "profiles.jsonl.gz", [p for p in profiles if p["id"] in sample_ids])
    print(f"{len(rows)} dialogues, {len(profiles)} profiles -> {DATA}; sample of {len(sample_ids)} profiles")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_extract = sub.add_parser("extract", help="SAGE result files -> data/sage/ (compact, gzip)")
    p_extract.add_argument("--raw", type=Path, required=True)
    p_fit = sub.add_parser("fit", help=f"fit on {', '.join(FIT_MODELS)} -> the fitted parameters")
    p_fit.add_argument("--seed", type=int, default=0)
    p_fit.add_argument(
        "--cache", type=Path, default=None, help="pickle of the read replies, reused when present"
    )
    args = parser.parse_args()
    if args.command == "extract":
        extract(args.raw)
    else:
        fit_and_write(
            DATA / "dialogues.jsonl.gz", DATA / "profiles.jsonl.gz", seed=args.seed, cache=args.cache
        )


if __name__ == "__main__":
    main()
