"""Write configs/demo-<name>.yaml from rlver.cli.demo.DEMO_CONFIGS (tests/test_demo.py keeps them equal).

    .venv/bin/python scripts/write_demo_configs.py
"""

from __future__ import annotations

from pathlib import Path

from rlver.cli.demo import DEMO_CONFIGS, demo_train_config
from rlver.rl.config_io import dump_config

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    for name in sorted(DEMO_CONFIGS):
        algo = "ppo" if name == "ppo" else "grpo"
        config = demo_train_config(algo, think=name == "think", out_dir=f"runs/demo-{name}")
        header = (
            f"# `rlver demo --algo {algo}{' --think' if name == 'think' else ''}` as a config for "
            "`rlver train --config`.\n"
            "# Generated from rlver.cli.demo.DEMO_CONFIGS by scripts/write_demo_configs.py "
            "(tests/test_demo.py keeps them equal).\n"
        )
        path = ROOT / "configs" / f"demo-{name}.yaml"
        path.write_text(header + dump_config(config), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
