"""A token-budgeted language-model run, and a cooldown branched from one of its checkpoints.

The run is planned in tokens: a warmup of 2% of the run, then a constant
learning rate (the "stable" phase of warmup-stable-decay), for a budget of
tokens. ``lrsched.Run`` turns those into optimizer updates from the run's
facts (micro-batch, gradient accumulation, processes, sequence length) and
prints how. Part-way through, a checkpoint is written. A second process,
started fresh, loads the checkpoint and branches a 1-sqrt cooldown from it:
the new schedule follows the old one up to the checkpoint's step and decays
from exactly the value the run was at, so there is no jump. The scheduler
is told that the schedule changed (``load_state_dict(..., keep=True)``) and
says by how much at the current step; without it, a changed schedule is
refused, never taken silently.

The model is a tiny next-token predictor on synthetic text (CPU, seconds);
what matters is the learning rate each optimizer update uses, which both
processes check against the schedule.

Run: python examples/llm_cooldown.py [--tokens 2e6] [--checkpoint-at 0.6]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings

import torch

import lrsched

parser = argparse.ArgumentParser()
parser.add_argument("--tokens", default="2e6", help="the run's token budget (default 2e6)")
parser.add_argument("--checkpoint-at", type=float, default=0.6, help="where to branch the cooldown, a fraction")
parser.add_argument("--cooldown", default="0.2dur", help="the cooldown's length, a unit string (default 0.2dur)")
parser.add_argument("--resume", default=None, help=argparse.SUPPRESS)  # the second process
args = parser.parse_args()

# the run's facts: 4 sequences of 256 tokens per micro-batch, 2 micro-batches per update, 1 process
run = lrsched.Run(micro_batch_size=4, grad_accum=2, processes=1, seq_len=256, total=f"{args.tokens}tok")
plan = run.get("warmup_constant", peak_value=3e-3, warmup_steps="0.02dur")
VOCAB, SEQ = 64, run.seq_len


def build(lr=0.0):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(VOCAB, 32), torch.nn.Linear(32, VOCAB))
    return model, torch.optim.AdamW(model.parameters(), lr=lr)


def _text(n, seed=0):
    """``n`` sequences a model can learn: each token is 3 * previous + 1 (mod VOCAB), 1 in 5 random."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.empty(n, SEQ, dtype=torch.long)
    x[:, 0] = torch.randint(0, VOCAB, (n,), generator=gen)
    noise = torch.rand(n, SEQ, generator=gen) < 0.2
    random = torch.randint(0, VOCAB, (n, SEQ), generator=gen)
    for t in range(1, SEQ):
        x[:, t] = torch.where(noise[:, t], random[:, t], (3 * x[:, t - 1] + 1) % VOCAB)
    return x


TEXT = _text(512)


def tokens_like_text(gen):
    """A micro-batch: sequences drawn from TEXT."""
    return TEXT[torch.randint(0, len(TEXT), (run.micro_batch_size,), generator=gen)]


def train(model, opt, sched, schedule, first, last, tokens_seen):
    """Updates ``first .. last - 1``; checks the lr of each against ``schedule``; returns the tokens seen."""
    gen = torch.Generator().manual_seed(first)
    for step in range(first, last):
        assert opt.param_groups[0]["lr"] == schedule.at(step), (step, opt.param_groups[0]["lr"])
        for _ in range(run.grad_accum):
            x = tokens_like_text(gen)
            loss = torch.nn.functional.cross_entropy(model(x[:, :-1]).reshape(-1, VOCAB), x[:, 1:].reshape(-1))
            (loss / run.grad_accum).backward()
            tokens_seen += x.numel()
        opt.step()
        opt.zero_grad()
        sched.step()
    return tokens_seen, loss.item()


if args.resume is None:
    # -- process 1: the planned run, up to a checkpoint --------------------------------------
    print(run.table(budget=f"{args.tokens}tok", warmup="0.02dur", cooldown=args.cooldown))
    at = run.updates(args.checkpoint_at)
    model, opt = build(lr=123.0)  # whatever lr the optimizer starts with: the scheduler writes its own
    sched = lrsched.Scheduler(opt, plan)
    tokens, loss = train(model, opt, sched, plan, 0, at, 0)
    print(f"process 1: trained {at:,} updates ({tokens:,} tokens), loss {loss:.3f}, lr {sched.get_last_lr()[0]:.3g}")
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "checkpoint.pt")
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "tokens": tokens,
                    "scheduler": json.dumps(sched.state_dict())}, path)  # fmt: skip
        # the plan's spec keeps its units: a saved run says what was meant
        print("the plan as saved:", json.dumps(sched.state_dict()["fields"]["lr"]["schedules"][0]))
        done = subprocess.run([sys.executable, __file__, "--resume", path, "--tokens", args.tokens,
                               "--cooldown", args.cooldown], capture_output=True, text=True)  # fmt: skip
        print(done.stdout, end="")
        if done.returncode != 0:
            sys.exit(done.stderr)
else:
    # -- process 2: a fresh process branches a cooldown from the checkpoint -----------------
    ckpt = torch.load(args.resume)
    state = json.loads(ckpt["scheduler"])
    at = state["last_step"]  # after `at` calls of step(), the groups hold the lr of update `at`, the next one
    cooldown = run.updates(args.cooldown)
    new = lrsched.branch(plan, at, steps=cooldown, shape="1-sqrt", end_ratio=0.0)
    model, opt = build()
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched = lrsched.Scheduler(opt, new)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sched.load_state_dict(state, keep=True)  # a deliberate change: warned, with the difference
    print("process 2:", str(caught[0].message).replace("\n", "\n  "))
    assert sched.last_step == at and opt.param_groups[0]["lr"] == new.at(at) == plan.at(at)
    tokens, loss = train(model, opt, sched, new, at, at + cooldown, ckpt["tokens"])
    last = at + cooldown - 1
    print(f"process 2: cooled down over {cooldown:,} updates to {tokens:,} tokens, loss {loss:.3f}; "
          f"lr {new.at(at):.3g} at update {at:,}, {new.at(at + cooldown // 2):.3g} halfway, {new.at(last):.3g} "
          f"at the last update")  # fmt: skip
