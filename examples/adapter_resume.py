"""A custom training loop driven by lrsched.Scheduler, interrupted and resumed from a JSON checkpoint.

The optimizer is a few lines of NumPy with torch-style ``param_groups`` (two
groups with different base learning rates); with torch it would be any
``torch.optim`` optimizer.  The resumed run reproduces the uninterrupted
one bit for bit, whatever lr the fresh optimizer starts with.

Run: python examples/adapter_resume.py
"""

import json

import numpy as np

import lrsched


class SGD:
    def __init__(self, groups):
        self.param_groups = groups

    def step(self, grads):
        for group, grad in zip(self.param_groups, grads):
            group["params"] -= group["lr"] * grad


def make(lr_head=0.1, lr_body=0.01):
    opt = SGD([{"params": np.zeros(4), "lr": lr_head}, {"params": np.zeros(4), "lr": lr_body}])
    schedule = lrsched.sgdr(1.0, 100, 2, end_value=0.05, cycle_decay=0.8, warmup_steps=10)
    # relative=True: the schedule multiplies each group's own initial lr
    return opt, lrsched.Scheduler(opt, schedule, relative=True)


def train(opt, sched, steps, rng):
    lrs = []
    for _ in range(steps):
        grads = [rng.normal(size=4) for _ in opt.param_groups]
        lrs.append([g["lr"] for g in opt.param_groups])
        opt.step(grads)
        sched.step()
    return lrs


# the uninterrupted run
opt, sched = make()
full = train(opt, sched, 700, np.random.default_rng(0))

# the same run, stopped at step 333 with a JSON checkpoint ...
opt, sched = make()
rng = np.random.default_rng(0)
first = train(opt, sched, 333, rng)
checkpoint = json.dumps({"scheduler": sched.state_dict(), "params": [g["params"].tolist() for g in opt.param_groups]})

# ... and resumed in a fresh optimizer that starts from the wrong lrs
state = json.loads(checkpoint)
opt, sched = make(lr_head=123.0, lr_body=456.0)
sched.load_state_dict(state["scheduler"])
for group, params in zip(opt.param_groups, state["params"]):
    group["params"] = np.array(params)
second = train(opt, sched, 700 - 333, rng)

assert first + second == full, "the resumed run differs"
print(f"resumed at step 333; {len(full)} steps identical; last lrs {full[-1]}")
