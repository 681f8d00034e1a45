"""Trainer overhead: the PPO / GRPO update phase vs a bare forward + backward over the same tokens.

For each algorithm the update phase (``prepare``: the no-grad scoring pass for old log-probs, values
and advantages; then one epoch of ``update``: forward, loss, backward, clipping, AdamW step) is timed
against a bare baseline on the same model(s) and the same padded batch: one forward, a token-mean
cross-entropy over the policy tokens (plus an MSE value loss through a separate critic when PPO has
one), backward and an AdamW step. The ratio is update / baseline (target <= 1.5x); "scoring" is the
share of the update spent in the no-grad pass every PPO-family method needs. Peak memory: each phase
runs once more in a fresh process, whose peak RSS (VmHWM) minus that of a process doing only the
setup is reported (CPU; on a GPU read torch.cuda.max_memory_allocated instead).

Synthetic dialogues: 16 x ~256 tokens, half of them policy tokens in 4 turns, on a tiny random
Qwen2 (``small``, ~5M parameters). Prints a table and writes benchmarks/results/trainer_overhead.json.

    .venv/bin/python benchmarks/trainer_overhead.py [--repeats 5] [--size small] [--threads 1]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, print_table, write_result  # noqa: E402

from rlver.models.tiny import SAMPLE_TEXTS, build_tiny_model, train_tokenizer  # noqa: E402
from rlver.policy.base import TokenTrace  # noqa: E402
from rlver.rl.advantages import masked_mean  # noqa: E402
from rlver.rl.batch import RolloutBatch, collate  # noqa: E402
from rlver.rl.config import OptimSettings, PPOSettings, TrainConfig  # noqa: E402
from rlver.rl.forward import policy_forward  # noqa: E402
from rlver.rl.grpo import GRPO  # noqa: E402
from rlver.rl.ppo import PPO  # noqa: E402
from rlver.rl.value import build_critic  # noqa: E402
from rlver.rollout.rewards import ScoredEpisode  # noqa: E402
from rlver.rollout.types import Episode  # noqa: E402


def synthetic_batch(vocab: int, n: int, length: int, seed: int = 0) -> RolloutBatch:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        ids, mask = [], []
        for _ in range(4):
            prompt, reply = length // 8, length // 8
            ids += [rng.randrange(vocab) for _ in range(prompt + reply)]
            mask += [0] * prompt + [1] * reply
        trace = TokenTrace(ids=ids, mask=mask, logprobs=[-1.0 * m for m in mask])
        episode = Episode(
            id=f"e{i}",
            profile_id=f"p{i // 4}",
            preset="rlver",
            simulator="s",
            policy="p",
            seed=0,
            group=i // 4,
            emotions=[30, 50],
            trace=trace,
            end_reason="turn_limit",
        )
        items.append(ScoredEpisode(episode, (0.0, 0.0, 0.0, rng.random())))
    batch, _ = collate(items, pad_id=0)
    return batch


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux VmHWM; ru_maxrss elsewhere)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def baseline_step(model, critic, batch: RolloutBatch, optimizers) -> None:
    """Bare forward + backward + AdamW: token-mean cross-entropy on the policy tokens (+ critic MSE)."""
    for optimizer in optimizers:
        optimizer.zero_grad(set_to_none=True)
    out = policy_forward(
        model,
        batch.input_ids,
        batch.attention_mask,
        with_hidden=critic is not None and critic.needs_policy_hidden,
    )
    loss = -masked_mean(out.logp, batch.loss_mask)
    if critic is not None:
        values = critic.values(batch.input_ids, batch.attention_mask, out.hidden)
        loss = loss + masked_mean((values - batch.token_rewards) ** 2, batch.loss_mask)
    loss.backward()
    for optimizer in optimizers:
        optimizer.step()


def build_case(algo: str, critic_kind: str | None, base_model):
    """(algorithm, baseline closure) on independent copies of ``base_model``."""
    config = TrainConfig(
        algo=algo,
        optim=OptimSettings(actor_lr=1e-5, critic_lr=1e-5),
        ppo=PPOSettings(critic=critic_kind or "value_head"),
    )
    model = copy.deepcopy(base_model)
    critic = build_critic(critic_kind, model) if critic_kind else None
    algorithm = PPO(model, critic, config) if critic else GRPO(model, config)
    bare_model = copy.deepcopy(base_model)
    bare_critic = build_critic(critic_kind, bare_model) if critic_kind else None
    optimizers = [torch.optim.AdamW(bare_model.parameters(), lr=1e-5)]
    if bare_critic is not None:
        optimizers.append(torch.optim.AdamW(bare_critic.parameters(), lr=1e-5))
    return algorithm, lambda batch: baseline_step(bare_model, bare_critic, batch, optimizers)


def measure(name: str, algo: str, critic_kind: str | None, base_model, batch, repeats: int) -> dict:
    algorithm, baseline = build_case(algo, critic_kind, base_model)
    generator = torch.Generator().manual_seed(0)
    baseline(batch)  # warm-up (allocator, kernels)
    algorithm.update(algorithm.prepare(batch), generator)
    rows: dict[str, list[float]] = {"baseline": [], "update": [], "scoring": []}
    for _ in range(repeats):
        rows["baseline"].append(timed(lambda: baseline(batch)))
        start = time.perf_counter()
        prepared = algorithm.prepare(batch)
        rows["scoring"].append(time.perf_counter() - start)
        algorithm.update(prepared, generator)
        rows["update"].append(time.perf_counter() - start)
    result: dict = {"name": name, **{key: median(values) for key, values in rows.items()}}
    result["ratio"] = result["update"] / result["baseline"]
    result["ratio_without_scoring"] = (result["update"] - result["scoring"]) / result["baseline"]
    return result


CASES = {
    "grpo": ("grpo", None),
    "ppo (value head)": ("ppo", "value_head"),
    "ppo (separate critic)": ("ppo", "separate"),
}


def setup(args):
    if args.threads:
        torch.set_num_threads(args.threads)
    tokenizer = train_tokenizer(SAMPLE_TEXTS * 4, vocab_size=4096)
    model = build_tiny_model(tokenizer, size=args.size, seed=0)
    return model, synthetic_batch(model.config.vocab_size, args.batch, args.length)


def memory_probe(args) -> None:
    """Child process: set up, run one phase of one case, print this process's peak RSS."""
    model, batch = setup(args)
    if args.memory_probe != "setup":
        case, phase = args.memory_probe.split("|")
        algorithm, baseline = build_case(*CASES[case], model)
        if phase == "baseline":
            baseline(batch)
        else:
            algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
    print(json.dumps({"peak_mb": peak_rss_mb()}))


def probe_peak(args, what: str) -> float:
    command = [
        sys.executable,
        __file__,
        "--size",
        args.size,
        "--batch",
        str(args.batch),
        "--length",
        str(args.length),
        "--memory-probe",
        what,
    ] + (["--threads", str(args.threads)] if args.threads else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["peak_mb"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's choice)")
    parser.add_argument("--memory-probe", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe(args)
        return
    model, batch = setup(args)
    results = [
        measure(name, algo, critic, model, batch, args.repeats) for name, (algo, critic) in CASES.items()
    ]
    setup_peak = probe_peak(args, "setup")
    for result in results:
        result["baseline_peak_mb"] = probe_peak(args, f"{result['name']}|baseline") - setup_peak
        result["update_peak_mb"] = probe_peak(args, f"{result['name']}|update") - setup_peak
    headers = [
        "algorithm",
        "bare fwd+bwd s",
        "update s",
        "of which scoring s",
        "ratio",
        "ratio w/o scoring",
        "bare peak MB",
        "update peak MB",
    ]
    print_table(
        f"update phase vs bare forward+backward ({args.size}, {args.batch}x{args.length} tokens, "
        f"{torch.get_num_threads()} threads, medians of {args.repeats})",
        headers,
        [
            [
                r["name"],
                r["baseline"],
                r["update"],
                r["scoring"],
                r["ratio"],
                r["ratio_without_scoring"],
                r["baseline_peak_mb"],
                r["update_peak_mb"],
            ]
            for r in results
        ],
    )
    path = write_result(
        "trainer_overhead",
        {
            "model_size": args.size,
            "parameters": sum(p.numel() for p in model.parameters()),
            "batch": args.batch,
            "length": args.length,
            "policy_tokens": batch.num_action_tokens,
            "threads": torch.get_num_threads(),
            "repeats": args.repeats,
            "target_ratio": 1.5,
            "setup_peak_mb": setup_peak,
            "results": results,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
