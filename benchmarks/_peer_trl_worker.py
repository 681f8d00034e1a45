"""The TRL side of ``benchmarks/peer_trl.py``; runs in the TRL venv (``.venv-adapters/trl``).

    .venv-adapters/trl/bin/python benchmarks/_peer_trl_worker.py SETTINGS.json

Trains rlver's tiny policy with TRL 1.16's ``GRPOTrainer`` and rlver's ``rollout_func`` adapter
(``RlverRolloutFunc``) against the offline simulator, with the settings ``peer_trl.py`` wrote to
SETTINGS.json, saves the trained policy to ``OUT/policy`` (a folder ``rlver bench --policy hf:``
loads) and writes per-step timings to ``OUT/trl_steps.json``:

* ``step_seconds``: ``on_step_begin`` -> ``on_step_end`` of transformers' loop (rollout, TRL's
  reward and advantage code, forward/backward, optimizer step; logging excluded, as the native
  trainer's ``perf/step_seconds`` excludes it);
* ``rollout_seconds``: inside ``rollout_func`` (the dialogues: sampling + simulator);
* ``score_seconds``: the rest of ``_generate_and_score_completions`` (padding, rewards, advantages);
* ``update_seconds``: step - rollout - score (the loss's forward/backward and AdamW).

Nothing here is imported by the main venv: this file only needs TRL, datasets and rlver.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")  # rollout_func is experimental in TRL 1.16


def main(settings_path: str) -> int:
    settings: dict[str, Any] = json.loads(Path(settings_path).read_text(encoding="utf-8"))
    out = Path(settings["out_dir"])
    out.mkdir(parents=True, exist_ok=True)

    import datasets
    import torch
    import transformers
    import trl
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rlver.integrations.dialogue import EpisodeSettings, SimulatorSpec
    from rlver.integrations.trl_rollout import RlverRolloutFunc, emotion_reward_func, trl_dataset_rows
    from rlver.models.loading import load_pretrained
    from rlver.profiles.io import load_profiles

    transformers.utils.logging.disable_progress_bar()
    # float32 on the CPU, as `rlver train` loads a policy for full fine-tuning
    model, tokenizer = load_pretrained(settings["policy_path"], device="cpu", dtype="float32")
    profiles = load_profiles(settings["profiles"])
    group = int(settings["group_size"])
    batch = int(settings["profiles_per_step"]) * group

    class TimedRollout(RlverRolloutFunc):
        """Records each call's wall time and what it returned (policy tokens, failures, lengths)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.calls: list[dict[str, Any]] = []

        def __call__(self, prompts: list[Any], trainer: Any) -> dict[str, list[Any]]:
            start = time.perf_counter()
            result = super().__call__(prompts, trainer)
            seconds = time.perf_counter() - start
            scored = [r is not None for r in result["emotion_reward"]]
            self.calls.append({
                "seconds": seconds,
                "dialogues": len(prompts),
                "failed": scored.count(False),
                # tokens the policy sampled in the dialogues that earned a reward (the native trainer's
                # rollout/policy_tokens counts the same: loss-mask tokens of scored dialogues)
                "policy_tokens": sum(sum(m) for m, ok in zip(result["env_mask"], scored) if ok),
                "completion_tokens_max": max(len(c) for c in result["completion_ids"]),
                "prompt_tokens_max": max(len(p) for p in result["prompt_ids"]),
                "turns_mean": sum(e.policy_turns for e in self.last_episodes) / max(len(self.last_episodes), 1),
                "reward_mean": (sum(r for r in result["emotion_reward"] if r is not None) / scored.count(True)
                                if any(scored) else None),
                "errors": sorted({str(e.error)[:200] for e in self.last_episodes if not e.ok}),
            })
            return result

    rollout = TimedRollout(
        profiles, SimulatorSpec("offline"),
        EpisodeSettings(preset=settings["preset"], max_turns=int(settings["max_turns"]), system_prompt=None,
                        reward="emotion", seed=int(settings["seed"])),
        max_new_tokens=int(settings["max_new_tokens"]),
    )
    args = GRPOConfig(
        output_dir=str(out / "trl"), use_cpu=True, bf16=False, fp16=False,
        per_device_train_batch_size=batch, gradient_accumulation_steps=1, num_generations=group,
        max_completion_length=int(settings["max_completion_length"]), max_steps=int(settings["steps"]),
        learning_rate=float(settings["lr"]), lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
        max_grad_norm=1.0, optim="adamw_torch", adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8,
        num_iterations=1, beta=0.0, epsilon=0.2, entropy_coef=0.0, temperature=1.0, top_p=1.0,
        scale_rewards="group", loss_type="dapo", mask_truncated_completions=False,
        gradient_checkpointing=False,  # TRL's default is True; rlver's is off
        seed=int(settings["seed"]), logging_steps=1, report_to="none", save_strategy="no", disable_tqdm=True,
        dataloader_num_workers=0, log_completions=False,
    )

    class StepTimer(TrainerCallback):
        def __init__(self) -> None:
            self.started = 0.0
            self.seconds: list[float] = []

        def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.started = time.perf_counter()

        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
            self.seconds.append(time.perf_counter() - self.started)

    timer = StepTimer()
    trainer = GRPOTrainer(
        model=model, reward_funcs=[emotion_reward_func], args=args, processing_class=tokenizer,
        train_dataset=datasets.Dataset.from_list(trl_dataset_rows(profiles)), rollout_func=rollout,
        callbacks=[timer],
    )
    prepare_seconds: list[float] = []
    generate_and_score = trainer._generate_and_score_completions

    def timed_generate_and_score(inputs: Any) -> Any:
        start = time.perf_counter()
        result = generate_and_score(inputs)
        prepare_seconds.append(time.perf_counter() - start)
        return result

    # an instance attribute shadows the method; TRL calls it as self._generate_and_score_completions(batch)
    trainer._generate_and_score_completions = timed_generate_and_score
    started = time.perf_counter()
    trainer.train()
    train_seconds = time.perf_counter() - started
    if not (len(timer.seconds) == len(rollout.calls) == len(prepare_seconds) == int(settings["steps"])):
        raise RuntimeError(f"expected {settings['steps']} steps, got {len(timer.seconds)} steps, "
                           f"{len(rollout.calls)} rollouts, {len(prepare_seconds)} generate-and-score calls")
    policy_dir = out / "policy"
    trainer.model.save_pretrained(policy_dir, safe_serialization=True)
    tokenizer.save_pretrained(policy_dir)
    logged = [row for row in trainer.state.log_history if "rewards/rlver_emotion/mean" in row]
    steps = []
    for i, (step_s, prep_s, call) in enumerate(zip(timer.seconds, prepare_seconds, rollout.calls)):
        steps.append({
            "step": i + 1,
            "step_seconds": step_s,
            "rollout_seconds": call["seconds"],
            "score_seconds": prep_s - call["seconds"],
            "update_seconds": step_s - prep_s,
            **{k: v for k, v in call.items() if k != "seconds"},
            "trl_reward_mean": logged[i].get("rewards/rlver_emotion/mean") if i < len(logged) else None,
            "trl_entropy": logged[i].get("entropy") if i < len(logged) else None,
        })
    result = {
        "versions": {"trl": trl.__version__, "transformers": transformers.__version__, "torch": torch.__version__,
                     "datasets": datasets.__version__, "python": sys.version.split()[0]},
        "torch_threads": torch.get_num_threads(),
        "train_seconds": train_seconds,
        "policy_dir": str(policy_dir),
        "steps": steps,
    }
    (out / "trl_steps.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
