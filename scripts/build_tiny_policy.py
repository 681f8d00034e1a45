"""Build the shipped tiny base policy ``builtin:tiny`` (src/rlver/models/tiny_policy/).

    .venv/bin/python scripts/build_tiny_policy.py            # corpus (cached) + tokenizer + pretraining + save

Steps, all seeded:
1. corpus: random-strategy supporter dialogues against the offline simulator on the built-in
   *training* profiles (:mod:`rlver.build.corpus`), cached in ``--work/corpus.jsonl``;
2. tokenizer: byte-level BPE with ChatML and think tokens, trained on the corpus text;
3. model: a small Qwen2 (``--size``, ~5M parameters) from :func:`rlver.models.tiny.build_tiny_model`;
4. pretraining: plain PyTorch, AdamW, linear warm-up then cosine decay. The loss is next-token
   cross-entropy weighted 1 on the supporter's reply tokens (what the policy samples at RL time)
   and ``--user-weight`` on everything else (the person's messages and the template), so the model
   also learns to read the person's messages;
5. held-out loss on the reply tokens of dialogues with profiles never trained on, then a sampling
   check through the real dialogue loop (format violations in think mode, replies that end);
6. save_pretrained (safetensors, ``--dtype``) with BUILD_INFO.json, replacing ``--out`` atomically.

See docs/demo.md for the numbers of the shipped build.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from rlver.llm.types import Message
from rlver.build.corpus import CorpusConfig, CorpusDialogue, build_corpus, encode_dialogue
from rlver.models.tiny import build_tiny_model, train_tokenizer
from rlver.profiles.builtin import load_builtin
from rlver.utils.io import atomic_write_json, atomic_write_jsonl, read_jsonl_tolerant

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "src" / "rlver" / "models" / "tiny_policy"
HELD_OUT_EVERY = 20
"""Every 20th training profile is held out of pretraining (its dialogues give the held-out loss)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="model directory to (re)write")
    p.add_argument("--work", type=Path, default=ROOT / "build" / "tiny_policy", help="cache of the corpus")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dialogues-per-profile", type=int, default=3, help="per profile and preset")
    p.add_argument("--think-fraction", type=float, default=0.4)
    p.add_argument("--size", default="small", choices=("tiny", "small", "medium"))
    p.add_argument("--vocab-size", type=int, default=4096)
    p.add_argument("--epochs", type=float, default=3.0)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=50, help="warm-up steps")
    p.add_argument("--batch-tokens", type=int, default=12288, help="padded tokens per optimizer step")
    p.add_argument("--user-weight", type=float, default=0.25, help="loss weight of non-reply tokens")
    p.add_argument("--max-length", type=int, default=1536, help="dialogues are cut to this many tokens")
    p.add_argument("--dtype", default="float16", choices=("float16", "bfloat16", "float32"), help="saved weights")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--check-dialogues", type=int, default=24, help="sampled dialogues in the final check")
    p.add_argument("--corpus-only", action="store_true", help="build (and cache) the corpus, then stop")
    return p.parse_args(argv)


# ----------------------------------------------------------------------------------------- corpus
def load_or_build_corpus(args: argparse.Namespace) -> tuple[list[CorpusDialogue], dict]:
    config = CorpusConfig(
        dialogues_per_profile=args.dialogues_per_profile, think_fraction=args.think_fraction, seed=args.seed
    )
    key = {"dialogues_per_profile": config.dialogues_per_profile, "think_fraction": config.think_fraction,
           "seed": config.seed, "presets": list(config.presets)}
    path, meta_path = args.work / "corpus.jsonl", args.work / "corpus.meta.json"
    if path.is_file() and meta_path.is_file() and json.loads(meta_path.read_text()).get("config") == key:
        rows, _ = read_jsonl_tolerant(path)
        print(f"corpus: {len(rows)} dialogues from cache {path}")
        return [_dialogue_from_row(r) for r in rows], json.loads(meta_path.read_text())
    profiles = load_builtin("train")
    total = len(profiles) * len(config.presets) * config.dialogues_per_profile
    done = 0
    start = time.perf_counter()

    def progress(_episode) -> None:
        nonlocal done
        done += 1
        if done % 100 == 0 or done == total:
            print(f"  corpus {done}/{total} dialogues ({time.perf_counter() - start:.0f}s)", flush=True)

    dialogues = build_corpus(profiles, config, on_episode=progress)
    seconds = time.perf_counter() - start
    atomic_write_jsonl(path, [d.to_dict() for d in dialogues])
    meta = {"config": key, "dialogues": len(dialogues), "seconds": round(seconds, 1)}
    atomic_write_json(meta_path, meta)
    return dialogues, meta


def _dialogue_from_row(row: dict) -> CorpusDialogue:
    return CorpusDialogue(
        id=row["id"], profile_id=row["profile_id"], preset=row["preset"], think=row["think"],
        messages=tuple(Message(m["role"], m["content"]) for m in row["messages"]),
        strategies=tuple(row["strategies"]), need=row.get("need"),
    )


def split_by_profile(dialogues: list[CorpusDialogue]) -> tuple[list[CorpusDialogue], list[CorpusDialogue]]:
    order = {p.id: i for i, p in enumerate(load_builtin("train"))}
    held = [d for d in dialogues if order[d.profile_id] % HELD_OUT_EVERY == 0]
    train = [d for d in dialogues if order[d.profile_id] % HELD_OUT_EVERY != 0]
    return train, held


# ----------------------------------------------------------------------------------------- batches
def encode_all(tokenizer, dialogues: list[CorpusDialogue], max_length: int) -> list[tuple[list[int], list[int]]]:
    out = []
    for dialogue in dialogues:
        ids, mask = encode_dialogue(tokenizer, dialogue)
        out.append((ids[:max_length], mask[:max_length]))
    return out


def make_batches(examples, batch_tokens: int, rng: random.Random) -> list[list[int]]:
    """Index batches of similar length (little padding), in shuffled order."""
    order = sorted(range(len(examples)), key=lambda i: (len(examples[i][0]), rng.random()))
    batches, current, width = [], [], 0
    for i in order:
        n = len(examples[i][0])
        if current and max(width, n) * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current, width = [], 0
        current.append(i)
        width = max(width, n)
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def collate(examples, indices: list[int], pad_id: int, user_weight: float):
    width = max(len(examples[i][0]) for i in indices)
    ids = torch.full((len(indices), width), pad_id, dtype=torch.long)  # (B, T)
    attention = torch.zeros((len(indices), width), dtype=torch.long)  # (B, T)
    weights = torch.zeros((len(indices), width), dtype=torch.float32)  # (B, T)
    replies = torch.zeros((len(indices), width), dtype=torch.float32)  # (B, T)
    for row, i in enumerate(indices):
        seq, mask = examples[i]
        n = len(seq)
        ids[row, :n] = torch.tensor(seq)
        attention[row, :n] = 1
        m = torch.tensor(mask, dtype=torch.float32)
        replies[row, :n] = m
        weights[row, :n] = m + (1 - m) * user_weight
    return ids, attention, weights, replies


def token_losses(model, ids: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each next token, aligned to the *target* position: ``(B, T)``, 0 at position 0."""
    logits = model(input_ids=ids, attention_mask=attention).logits[:, :-1].float()  # (B, T-1, V)
    ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), ids[:, 1:], reduction="none")  # (B, T-1)
    return torch.nn.functional.pad(ce, (1, 0))  # (B, T): loss of predicting token t from tokens < t


def cosine_lr(step: int, total: int, warmup: int, peak: float, floor: float = 0.1) -> float:
    """Linear warm-up to ``peak``, then cosine decay to ``floor * peak`` (SGDR-style half cosine)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return peak * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress)))


@torch.no_grad()
def held_out_loss(model, examples, pad_id: int, batch_tokens: int) -> dict[str, float]:
    model.eval()
    reply_sum = reply_n = all_sum = all_n = 0.0
    for batch in make_batches(examples, batch_tokens, random.Random(0)):
        ids, attention, _, replies = collate(examples, batch, pad_id, 0.0)
        ce = token_losses(model, ids, attention)  # (B, T)
        valid = attention.float()
        valid[:, 0] = 0
        reply_sum += float((ce * replies).sum())
        reply_n += float(replies.sum())
        all_sum += float((ce * valid).sum())
        all_n += float(valid.sum())
    return {"reply_loss": reply_sum / max(reply_n, 1), "all_loss": all_sum / max(all_n, 1)}


def pretrain(model, tokenizer, train_examples, held_examples, args) -> dict:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    pad_id = tokenizer.pad_token_id
    steps_per_epoch = len(make_batches(train_examples, args.batch_tokens, random.Random(0)))
    total = max(1, int(steps_per_epoch * args.epochs))
    decay, no_decay = [], []
    for name, param in model.named_parameters():
        (no_decay if param.ndim < 2 else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
        lr=args.lr, betas=(0.9, 0.95), eps=1e-8,
    )
    print(f"pretraining: {total} steps ({steps_per_epoch} per epoch), peak lr {args.lr}")
    step, start, history = 0, time.perf_counter(), []
    model.train()
    while step < total:
        for batch in make_batches(train_examples, args.batch_tokens, rng):
            if step >= total:
                break
            for group in optimizer.param_groups:
                group["lr"] = cosine_lr(step, total, args.warmup, args.lr)
            ids, attention, weights, _ = collate(train_examples, batch, pad_id, args.user_weight)
            ce = token_losses(model, ids, attention)  # (B, T)
            loss = (ce * weights).sum() / weights.sum()  # token-weighted mean cross-entropy
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            step += 1
            history.append(float(loss.detach()))
            if step % 50 == 0 or step == total:
                recent = statistics.fmean(history[-50:])
                print(f"  step {step}/{total}  loss {recent:.3f}  lr {optimizer.param_groups[0]['lr']:.2e}  "
                      f"{time.perf_counter() - start:.0f}s", flush=True)
    seconds = time.perf_counter() - start
    model.eval()
    held = held_out_loss(model, held_examples, pad_id, args.batch_tokens)
    print(f"held-out reply loss {held['reply_loss']:.3f}, all-token loss {held['all_loss']:.3f}")
    return {"steps": total, "seconds": round(seconds, 1), "final_train_loss": round(statistics.fmean(history[-50:]), 4),
            "held_out_reply_loss": round(held["reply_loss"], 4), "held_out_all_loss": round(held["all_loss"], 4)}


# ----------------------------------------------------------------------------------------- checks
def sampling_check(model, tokenizer, n: int, seed: int) -> dict:
    """Dialogues of the base model with held-out training profiles, plain and think, under ``sage``."""
    from rlver.policy.hf import GenerationSettings, HFPolicy
    from rlver.rollout.loop import DialogueJob, RolloutConfig, run_dialogues
    from rlver.simulator.offline import OfflineSentientAgent
    from rlver.simulator.presets import get_preset

    train = load_builtin("train")
    profiles = [p for i, p in enumerate(train) if i % HELD_OUT_EVERY == 0][:n]
    simulator = OfflineSentientAgent()
    out: dict = {}
    for think in (False, True):
        policy = HFPolicy(model, tokenizer, GenerationSettings(temperature=1.0, max_new_tokens=96, seed=seed), name="tiny")
        jobs = [DialogueJob(p, seed=seed, id=p.id) for p in profiles]
        config = RolloutConfig(preset=get_preset("sage"), think=think)
        episodes = asyncio.run(run_dialogues(jobs, policy, simulator, config))
        replies = [t for e in episodes for t in e.turns if t.role == "assistant"]
        ends = [e.trace.ids[i - 1] == tokenizer.eos_token_id
                for e in episodes for i in _reply_ends(e.trace.mask)]
        finals = [e.final_emotion for e in episodes if e.final_emotion is not None]
        out["think" if think else "plain"] = {
            "dialogues": len(episodes),
            "replies": len(replies),
            "format_violation_dialogues": sum(1 for e in episodes if e.format_violations),
            "replies_ending_with_eos": round(sum(ends) / max(1, len(ends)), 4),
            "mean_final_emotion": round(statistics.fmean(finals), 2) if finals else None,
            "examples": [t.raw for t in replies[:4]],
        }
    return out


def _reply_ends(mask: list[int]) -> list[int]:
    """Index just after each run of sampled tokens."""
    return [i for i in range(1, len(mask) + 1) if mask[i - 1] == 1 and (i == len(mask) or mask[i] == 0)]


# ----------------------------------------------------------------------------------------- save
def save(model, tokenizer, out: Path, dtype: str, info: dict) -> None:
    """Write into a temporary sibling folder, then swap it in (a reader never sees half a model)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        model.to(getattr(torch, dtype)).save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        for path in tmp.iterdir():
            os.chmod(path, 0o644)  # save_pretrained writes 0600; the package data must be readable
        atomic_write_json(tmp / "BUILD_INFO.json", info)
        old = out.parent / f".{out.name}.old"
        if out.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    t0 = time.perf_counter()
    dialogues, corpus_meta = load_or_build_corpus(args)
    if args.corpus_only:
        return 0
    train, held = split_by_profile(dialogues)
    texts = [m.content for d in train for m in d.messages]
    tokenizer = train_tokenizer(texts, vocab_size=args.vocab_size)
    model = build_tiny_model(tokenizer, size=args.size, seed=args.seed)
    params = sum(p.numel() for p in model.parameters())
    train_examples = encode_all(tokenizer, train, args.max_length)
    held_examples = encode_all(tokenizer, held, args.max_length)
    corpus_tokens = sum(len(ids) for ids, _ in train_examples)
    reply_tokens = sum(sum(mask) for _, mask in train_examples)
    print(f"tokenizer: {len(tokenizer)} tokens; model: {params / 1e6:.2f}M parameters; "
          f"train {len(train)} dialogues / {corpus_tokens} tokens ({reply_tokens} reply tokens); held out {len(held)}")
    result = pretrain(model, tokenizer, train_examples, held_examples, args)
    check = sampling_check(model, tokenizer, args.check_dialogues, args.seed)
    for mode, stats in check.items():
        print(f"check {mode}: {json.dumps({k: v for k, v in stats.items() if k != 'examples'})}")
        for example in stats["examples"]:
            print(f"    {example!r}")
    info = {
        "name": "builtin:tiny",
        "seed": args.seed,
        "architecture": "Qwen2ForCausalLM",
        "size": args.size,
        "parameters": params,
        "vocab_size": len(tokenizer),
        "saved_dtype": args.dtype,
        "corpus": {
            "profiles": "builtin:train (every 20th held out)",
            "presets": corpus_meta["config"]["presets"],
            "dialogues_per_profile_and_preset": args.dialogues_per_profile,
            "think_fraction": args.think_fraction,
            "dialogues_train": len(train),
            "dialogues_held_out": len(held),
            "characters": sum(len(t) for t in texts),
            "tokens_train": corpus_tokens,
            "reply_tokens_train": reply_tokens,
        },
        "training": {
            "optimizer": "AdamW(betas=(0.9, 0.95), weight_decay=0.1 on matrices)",
            "schedule": f"linear warm-up {args.warmup} steps, cosine to 10% of peak",
            "peak_lr": args.lr,
            "epochs": args.epochs,
            "batch_tokens": args.batch_tokens,
            "loss": f"next-token cross-entropy, weight 1 on reply tokens, {args.user_weight} elsewhere",
            "max_length": args.max_length,
            **result,
        },
        "check_sage_held_out_profiles": {k: {kk: vv for kk, vv in v.items() if kk != "examples"} for k, v in check.items()},
        "build_seconds": round(time.perf_counter() - t0, 1),
        "torch": torch.__version__,
    }
    save(model, tokenizer, args.out, args.dtype, info)
    print(f"saved {args.out} ({sum(p.stat().st_size for p in args.out.iterdir()) / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
