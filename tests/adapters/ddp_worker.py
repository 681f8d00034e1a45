"""One rank of the data-parallel test (launched twice by ``accelerate launch``; not a test module).

Builds a *different* random tiny model on each rank (the trainer must broadcast rank 0's), trains a
few GRPO steps in which the two ranks take different numbers of optimizer steps, and writes this
rank's final weights digest and initial rank-0 digest to ``OUT/digest-rank{r}.json``.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from rlver.integrations.distributed import DistributedTrainer, init_distributed
from rlver.models.tiny import tiny_test_setup
from rlver.rl.config import (
    CheckpointSettings,
    LoggingSettings,
    LossSettings,
    OptimSettings,
    RolloutSettings,
    TrainConfig,
)
from tests.adapters._support import PRESET, LetterAgent, make_profiles


def digest(module: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def main(out: Path, algo: str) -> None:
    torch.set_num_threads(1)
    rank, world, _ = init_distributed()
    model, tokenizer = tiny_test_setup(seed=rank)  # different on purpose: rank 0's must win
    local = digest(model)
    config = TrainConfig(
        algo=algo, policy="hf:tiny", simulator="letter", steps=2, seed=0, out_dir=str(out / "run"),
        # 3 groups over 2 ranks: rank 0 gets 2 groups, rank 1 one, so with mini-batches of 2 dialogues
        # the ranks take different numbers of optimizer steps.
        rollout=RolloutSettings(profiles_per_step=3, group_size=2, max_new_tokens=4, max_length=256, max_turns=2,
                                system_prompt=""),
        optim=OptimSettings(actor_lr=1e-2, critic_lr=1e-2, epochs=1, minibatch_size=2, max_grad_norm=1.0),
        loss=LossSettings(entropy_coef=0.0),
        checkpoint=CheckpointSettings(every=1, keep_last_k=1),
        logging=LoggingSettings(progress=False, tensorboard=False),
    )
    trainer = DistributedTrainer(config, model, tokenizer, LetterAgent(), make_profiles(4), preset=PRESET)
    start = digest(trainer.model)
    jobs = [job.id for job in trainer.sample_jobs(1)]
    trainer.train()
    record = {"rank": rank, "world": world, "local": local, "start": start, "end": digest(trainer.model), "jobs": jobs,
              "rounds": trainer.sync.rounds}
    (out / f"digest-rank{rank}.json").write_text(json.dumps(record))
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "grpo")
