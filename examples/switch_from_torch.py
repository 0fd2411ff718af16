"""Switch from torch.optim.lr_scheduler to lrsched.torch by changing one import line.

The training code below is written once, against a module ``lr_scheduler``;
it runs with torch's module and with lrsched's.  The lrs are identical at
every step; lrsched steps faster, resumes in O(1), and can give the whole
schedule as a table without stepping.

Run: python examples/switch_from_torch.py [--steps N]
"""

import argparse
import time

import numpy as np
import torch

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=20_000)
args = parser.parse_args()
steps = args.steps


def run(lr_scheduler):
    """A training loop's scheduler use, written once for either module."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(4)]
    opt = torch.optim.SGD([{"params": [p], "lr": 0.1 * (i + 1)} for i, p in enumerate(params)], momentum=0.9)
    warmup = lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=steps // 20)
    cosine = lr_scheduler.CosineAnnealingLR(opt, T_max=steps - steps // 20, eta_min=1e-4)
    sched = lr_scheduler.SequentialLR(opt, [warmup, cosine], milestones=[steps // 20])
    lrs = np.empty((steps, len(opt.param_groups)))
    began = time.perf_counter()
    for step in range(steps):
        lrs[step] = [g["lr"] for g in opt.param_groups]
        opt.step()
        sched.step()
    return lrs, time.perf_counter() - began, sched


import torch.optim.lr_scheduler as lr_scheduler  # noqa: E402  (before)

theirs, their_time, _ = run(lr_scheduler)

import lrsched.torch as lr_scheduler  # noqa: E402  (after: the one changed line)

ours, our_time, sched = run(lr_scheduler)

np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
print(f"{steps:,} steps x 4 groups: identical lrs (max relative difference "
      f"{np.max(np.abs(ours - theirs) / np.abs(theirs)):.1e})")  # fmt: skip
print(f"step() loop: torch {their_time * 1e6 / steps:.1f} µs/step, lrsched {our_time * 1e6 / steps:.1f} µs/step "
      f"({their_time / our_time:.1f}x faster)")  # fmt: skip

# What torch cannot do: the whole schedule of a group as a table, without stepping anything.
table = sched.schedules["lr"][3].table(steps)
assert np.array_equal(table, ours[:, 3])
print(f"group 3's {steps:,} lrs as one table: peak {table.max():.3g} at step {table.argmax():,}")
