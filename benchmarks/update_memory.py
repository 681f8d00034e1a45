"""Peak memory of one PPO / GRPO update against the vocabulary: full-logits forward vs chunked log-probs.

One update (``prepare``: old log-probs, values, advantages; then one epoch of one mini-batch: forward,
loss, backward, clipping, AdamW) over 8 dialogues of 2,048 tokens, half of them policy tokens, on a
model with the built-in policy's shape (Qwen2, hidden 256, 4 layers) and vocabularies of 2,671 (the
built-in tokenizer), 49,152 and 151,936 (Qwen2.5). Default settings (entropy 0.001, fp32 on CPU,
PPO with a value-head critic so that the policy's hidden states are used).

* before: the pre-chunking forward, rebuilt below: the whole causal LM, fp32 (B, T - 1, V) logits for
  every position, log-softmax and entropy over them (rlver up to 86e69ec).
* after: :func:`rlver.rl.forward.policy_forward`: decoder trunk, hidden states at the policy's
  positions, LM head in checkpointed chunks of ``optim.logprob_chunk_size`` (512) positions.

Memory: the peak RSS (VmHWM) of a fresh process per configuration (CPU; on a GPU read
torch.cuda.max_memory_allocated instead), and the part of it the update added over the set-up model.
The probes run with ``MALLOC_MMAP_THRESHOLD_=1048576`` so that freed tensors leave the RSS (see
``MMAP_THRESHOLD``); the figures then repeat to about 1 MB.
Each configuration first runs one dialogue of 1,024 and one of 2,048 tokens; their line (everything
the update holds at its peak is linear in the number of tokens: logits, activations, SDPA attention)
predicts the full batch, which is measured only when the prediction fits ``--budget-gb``: the
full-logits update at 152k needs ~70 GB (9 GB for one dialogue). Otherwise the full-batch figure is
that extrapolation, marked ``scaled``, checked against the most dialogues that fit the budget (if 2
or more do); configurations measured both ways report how close the line came.
Prints a table and writes benchmarks/results/update_memory.json.

    .venv/bin/python benchmarks/update_memory.py [--budget-gb 10] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import print_table, write_result  # noqa: E402

import rlver.rl.algorithm as algorithm_module  # noqa: E402
from rlver.models.tiny import MODEL_SHAPES  # noqa: E402
from rlver.rl.batch import RolloutBatch  # noqa: E402
from rlver.rl.config import OptimSettings, PPOSettings, TrainConfig  # noqa: E402
from rlver.rl.forward import ForwardOutput, autocast  # noqa: E402
from rlver.rl.grpo import GRPO  # noqa: E402
from rlver.rl.losses import entropy_from_logits, logprobs_from_logits  # noqa: E402
from rlver.rl.ppo import PPO  # noqa: E402
from rlver.rl.value import build_critic  # noqa: E402

VOCABS = {"2.7k": 2671, "49k": 49152, "152k": 151936}
"""The built-in tiny policy's tokenizer, a 49k (SmolLM-sized) and Qwen2.5's vocabulary."""
ALGOS = ("grpo", "ppo")
PATHS = ("before", "after")
MMAP_THRESHOLD = 1 << 20
"""glibc serves allocations from this size (1 MB) with their own mappings, returned when freed. With
glibc's default, adaptive threshold, freed tensors of up to 32 MB stay in the heap, and the peak RSS
of the same update varies by a few hundred MB from run to run."""
SHAPE = MODEL_SHAPES["small"]
"""The built-in policy's transformer shape (rlver/models/tiny_policy/config.json)."""


def full_logits_forward(
    model,
    input_ids,
    attention_mask,
    *,
    loss_mask=None,
    temperature=1.0,
    with_entropy=False,
    entropy_grad=True,
    with_hidden=False,
    dtype=None,
    chunk_size=None,
) -> ForwardOutput:
    """The forward as it was before chunking: (B, T - 1, V) fp32 logits, every position scored."""
    with autocast(input_ids.device, dtype):
        out = model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=with_hidden,
            use_cache=False,
        )
    logits = out.logits[:, :-1].float()  # (B, T-1, V)
    if temperature != 1.0:
        logits = logits / temperature
    logp = logprobs_from_logits(logits, input_ids[:, 1:])  # (B, T-1)
    entropy = None
    if with_entropy:
        with torch.set_grad_enabled(entropy_grad and torch.is_grad_enabled()):
            entropy = entropy_from_logits(logits)  # (B, T-1)
    hidden = out.hidden_states[-1] if with_hidden else None  # (B, T, H)
    return ForwardOutput(logp=logp, entropy=entropy, hidden=hidden)


def build_model(vocab: int):
    from rlver.models.tiny import random_qwen2

    return random_qwen2(
        vocab,
        hidden_size=SHAPE.hidden_size,
        intermediate_size=SHAPE.intermediate_size,
        num_layers=SHAPE.num_hidden_layers,
        num_heads=SHAPE.num_attention_heads,
        num_kv_heads=SHAPE.num_key_value_heads,
    )


def synthetic_batch(vocab: int, n: int, length: int) -> RolloutBatch:
    """``n`` full-length dialogues of 4 turns, each a prompt then a policy reply of length / 8 tokens."""
    gen = torch.Generator().manual_seed(0)
    turn = torch.tensor([0] * (length // 8) + [1] * (length // 8), dtype=torch.float32)
    mask = turn.repeat(4)[:length].expand(n, length)  # (n, T): 1 on policy tokens
    rewards = torch.rand(n, generator=gen)
    token_rewards = torch.zeros(n, length - 1)
    token_rewards[:, -1] = rewards  # the outcome on the last policy token
    return RolloutBatch(
        input_ids=torch.randint(1, vocab, (n, length), generator=gen),
        attention_mask=torch.ones(n, length, dtype=torch.long),
        loss_mask=mask[:, 1:].contiguous(),
        sampled_logprobs=torch.zeros(n, length - 1),
        token_rewards=token_rewards,
        rewards=rewards,
        groups=torch.arange(n) // 4,
        episode_ids=tuple(f"e{i}" for i in range(n)),
    )


def rss_mb(field: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status (Linux only)")


def probe(algo: str, vocab: int, path: str, n: int, length: int, chunk_size: int) -> dict:
    """In a fresh process: set up, run one update, report this process's memory."""
    model = build_model(vocab)
    config = TrainConfig(
        algo=algo,
        optim=OptimSettings(actor_lr=1e-6, critic_lr=1e-6, precision="fp32", logprob_chunk_size=chunk_size),
        ppo=PPOSettings(critic="value_head"),
    )
    algorithm = (
        PPO(model, build_critic("value_head", model), config) if algo == "ppo" else GRPO(model, config)
    )
    batch = synthetic_batch(vocab, n, length)
    if path == "before":
        algorithm_module.policy_forward = full_logits_forward  # what Algorithm.policy_scores calls
    setup = rss_mb("VmRSS")
    start = time.perf_counter()
    algorithm.update(algorithm.prepare(batch), torch.Generator().manual_seed(0))
    return {"peak_mb": rss_mb("VmHWM"), "setup_mb": setup, "seconds": time.perf_counter() - start}


def run_probe(args, algo: str, vocab: int, path: str, n: int, length: int) -> dict:
    command = [sys.executable, __file__, "--probe", f"{algo},{vocab},{path},{n},{length}"]
    command += ["--threads", str(args.threads), "--chunk-size", str(args.chunk_size)]
    env = {
        **os.environ,
        "MALLOC_MMAP_THRESHOLD_": os.environ.get("MALLOC_MMAP_THRESHOLD_", str(MMAP_THRESHOLD)),
    }
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure(args, algo: str, vocab: int, path: str) -> dict:
    """Peaks of one dialogue of half and of full length; then the full batch if their line predicts
    that it fits the budget, else that line's value at the full batch's token count."""
    shapes = [(1, args.length // 2), (1, args.length)]
    points = {f"{n}x{length}": run_probe(args, algo, vocab, path, n, length) for n, length in shapes}
    (t1, p1), (t2, p2) = [(n * length, points[f"{n}x{length}"]["peak_mb"]) for n, length in shapes]

    def line(tokens: int) -> float:
        return p1 + (p2 - p1) * (tokens - t1) / (t2 - t1)  # the peak, linear in the update's tokens

    predicted = line(args.batch * args.length)
    result = {"algo": algo, "vocab": vocab, "path": path, "predicted_peak_mb": predicted}
    full = f"{args.batch}x{args.length}"
    if predicted <= args.budget_gb * 1024:
        points[full] = run_probe(args, algo, vocab, path, args.batch, args.length)
        result.update(peak_mb=points[full]["peak_mb"], scaled=False, setup_mb=points[full]["setup_mb"])
        result["extrapolation_error"] = predicted / result["peak_mb"] - 1
    else:
        result.update(peak_mb=predicted, scaled=True, setup_mb=points[f"1x{args.length}"]["setup_mb"])
        # check the line where it can be checked: the most dialogues whose prediction fits the budget
        fits = [n for n in range(2, args.batch) if line(n * args.length) <= args.budget_gb * 1024]
        if fits:
            n = fits[-1]
            points[f"{n}x{args.length}"] = run_probe(args, algo, vocab, path, n, args.length)
            measured = points[f"{n}x{args.length}"]["peak_mb"]
            result["check"] = {
                "shape": f"{n}x{args.length}",
                "predicted_peak_mb": line(n * args.length),
                "peak_mb": measured,
                "extrapolation_error": line(n * args.length) / measured - 1,
            }
    result["update_mb"] = result["peak_mb"] - result["setup_mb"]  # what the update added to the set-up
    result["points"] = points
    print(
        f"{algo} V={vocab} {path}: peak {result['peak_mb']:.0f} MB"
        f"{' (extrapolated)' if result['scaled'] else f' (line predicted {predicted:.0f})'}"
        f"{'; check: ' + json.dumps(result['check']) if 'check' in result else ''}",
        flush=True,
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8, help="dialogues in the update")
    parser.add_argument("--length", type=int, default=2048, help="tokens per dialogue")
    parser.add_argument("--budget-gb", type=float, default=10.0, help="largest peak measured directly")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--chunk-size", type=int, default=OptimSettings().logprob_chunk_size, help="optim.logprob_chunk_size"
    )
    parser.add_argument("--probe", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.probe:
        algo, vocab, path, n, length = args.probe.split(",")
        print(json.dumps(probe(algo, int(vocab), path, int(n), int(length), args.chunk_size)))
        return
    results = [
        measure(args, algo, vocab, path) for algo in ALGOS for vocab in VOCABS.values() for path in PATHS
    ]

    def find(algo: str, vocab: int, path: str) -> dict:
        return next(r for r in results if (r["algo"], r["vocab"], r["path"]) == (algo, vocab, path))

    rows, goals = [], {}
    for algo in ALGOS:
        small_after = find(algo, VOCABS["2.7k"], "after")["peak_mb"]
        for name, vocab in VOCABS.items():
            before, after = find(algo, vocab, "before"), find(algo, vocab, "after")
            rows.append(
                [
                    algo,
                    f"{name} ({vocab})",
                    f"{before['peak_mb']:.0f}{' *' if before['scaled'] else ''}",
                    f"{after['peak_mb']:.0f}{' *' if after['scaled'] else ''}",
                    f"{before['update_mb']:.0f}",
                    f"{after['update_mb']:.0f}",
                    before["peak_mb"] / after["peak_mb"],
                    after["peak_mb"] / small_after,
                ]
            )
        big_before, big_after = find(algo, VOCABS["152k"], "before"), find(algo, VOCABS["152k"], "after")
        goals[algo] = {
            "after_152k_over_after_2.7k": big_after["peak_mb"] / small_after,
            "before_152k_over_after_152k": big_before["peak_mb"] / big_after["peak_mb"],
            "within_1.5x_of_2.7k": big_after["peak_mb"] <= 1.5 * small_after,
            "at_least_4x_below_before": big_before["peak_mb"] >= 4 * big_after["peak_mb"],
        }
    print_table(
        f"peak RSS MB of one update, {args.batch} x {args.length} tokens, {SHAPE.num_hidden_layers} layers x "
        f"{SHAPE.hidden_size} (* = extrapolated from 1 x {args.length // 2} and 1 x {args.length} tokens)",
        [
            "algo",
            "vocabulary",
            "before peak",
            "after peak",
            "before update",
            "after update",
            "before / after",
            "after / after@2.7k",
        ],
        rows,
    )
    for r in results:
        if "check" in r:
            c = r["check"]
            print(
                f"{r['algo']} V={r['vocab']} {r['path']}: the line predicts "
                f"{c['predicted_peak_mb']:.0f} MB at {c['shape']} tokens, measured {c['peak_mb']:.0f} MB "
                f"({c['extrapolation_error']:+.1%})"
            )
    path = write_result(
        "update_memory",
        {
            "model": {
                "hidden_size": SHAPE.hidden_size,
                "intermediate_size": SHAPE.intermediate_size,
                "num_hidden_layers": SHAPE.num_hidden_layers,
                "tie_word_embeddings": True,
            },
            "batch": args.batch,
            "length": args.length,
            "policy_tokens": int(synthetic_batch(VOCABS["2.7k"], args.batch, args.length).loss_mask.sum()),
            "threads": args.threads,
            "logprob_chunk_size": args.chunk_size,
            "budget_gb": args.budget_gb,
            "note": (
                "peak_mb: peak RSS (VmHWM) of a fresh process per configuration; update_mb: what the update "
                "added to the set-up process (setup_mb). points: peaks measured with one dialogue of half "
                "and of full length, and with the full batch when their line (predicted_peak_mb, linear in "
                "tokens) fitted budget_gb; extrapolation_error: that prediction against the measurement. "
                "scaled: the full batch did not fit and peak_mb is the prediction; check: the line against "
                "the most dialogues that fit. PPO: value-head critic. glibc's MALLOC_MMAP_THRESHOLD_ = "
                f"{MMAP_THRESHOLD} (freed tensors leave the RSS; reproducible to ~1 MB)."
            ),
            "goals": goals,
            "results": results,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
