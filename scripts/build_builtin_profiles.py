#!/usr/bin/env python
"""Regenerate the built-in profile sets (src/rlver/profiles/builtin/data/{train,test}.jsonl).

The sets are composed from the YAML parts in src/rlver/build/builtin_profiles/parts/ by
:mod:`rlver.build.builtin_profiles`. The output is byte-identical on every run (seeded composition,
fixed ids). ``--check`` compares instead of writing and exits 1 when the shipped files are stale.

    .venv/bin/python scripts/build_builtin_profiles.py            # rewrite the shipped files
    .venv/bin/python scripts/build_builtin_profiles.py --check    # CI: fail if they would change
    .venv/bin/python scripts/build_builtin_profiles.py --out-dir /tmp/profiles
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rlver.build.builtin_profiles import build_set, to_jsonl, write_jsonl
from rlver.profiles.builtin import BUILTIN_SETS, builtin_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=None, help="write here instead of the package data dir")
    parser.add_argument("--check", action="store_true", help="compare with the shipped files; exit 1 if stale")
    args = parser.parse_args(argv)
    stale = []
    for name in BUILTIN_SETS:
        profiles = build_set(name)
        target = (args.out_dir / f"{name}.jsonl") if args.out_dir else builtin_path(name)
        cells = Counter((p.need, p.character) for p in profiles)
        if args.check:
            current = target.read_text(encoding="utf-8") if target.exists() else None
            if current != to_jsonl(profiles):
                stale.append(target)
            continue
        write_jsonl(profiles, target)
        per_cell = f"{min(cells.values())}-{max(cells.values())}"
        print(f"{name}: {len(profiles)} profiles, {len(cells)} cells x {per_cell} -> {target}")
    if stale:
        print("stale (rerun scripts/build_builtin_profiles.py): " + ", ".join(map(str, stale)), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
