"""A plain PyTorch training loop driven by lrsched.Scheduler, checkpointed and resumed.

Two parameter groups with different base learning rates follow one
warmup-then-cosine multiplier (``relative=True``); the momentum follows its
own schedule (a second Scheduler, absolute values).  The run is stopped midway, saved with ``torch.save`` and
resumed in a fresh process-like setup: the lrs of the resumed run equal the
uninterrupted ones exactly, whatever lr the new optimizer starts with.

Run: python examples/custom_trainer.py [--steps N]
"""

import argparse
import io

import torch

import lrsched

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=600)
args = parser.parse_args()
total = args.steps
stop_at = total // 3


def build(lr_head=0.1, lr_body=0.01):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1))
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": lr_body},
                           {"params": model[2].parameters(), "lr": lr_head}], momentum=0.9)  # fmt: skip
    lr = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=total // 10, total_steps=total, end_value=0.05)
    momentum = lrsched.linear(init_value=0.85, end_value=0.95, steps=total)
    # the lr schedule multiplies each group's own base lr; the momentum is written as is
    sched = [lrsched.Scheduler(opt, lr, relative=True), lrsched.Scheduler(opt, momentum, field="momentum")]
    return model, opt, sched


def train(model, opt, sched, steps, data):
    lrs = []
    for _ in range(steps):
        x, y = next(data)
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step()
        for s in sched:
            s.step()  # after the optimizer, as in torch
    return lrs


def batches(seed=1):
    g = torch.Generator().manual_seed(seed)
    while True:
        x = torch.randn(32, 8, generator=g)
        yield x, x.sum(dim=1, keepdim=True).sin()


# the uninterrupted run
full = train(*build(), total, batches())

# the same run, stopped and checkpointed ...
model, opt, sched = build()
data = batches()
first = train(model, opt, sched, stop_at, data)
buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": [s.state_dict() for s in sched]}, buffer)

# ... and resumed into fresh objects built with the wrong lrs: the scheduler's state decides
buffer.seek(0)
state = torch.load(buffer)
model, opt, sched = build(lr_head=123.0, lr_body=456.0)
model.load_state_dict(state["model"])
opt.load_state_dict(state["opt"])
for s, saved in zip(sched, state["sched"]):
    s.load_state_dict(saved)  # O(1): no replay of the first steps
second = train(model, opt, sched, total - stop_at, data)

assert first + second == full, "the resumed run differs"
print(f"{total} steps, resumed at step {stop_at}: every lr identical; last lrs {full[-1]}")
