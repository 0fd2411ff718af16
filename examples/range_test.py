"""Find a peak learning rate with an LR range test, then train with it.

1. A small PyTorch model and synthetic data (seeded, CPU, a few seconds).
2. The range test runs on a *copy* of the model with its own optimizer (the
   large lrs at its end ruin the weights): the lr rises geometrically from
   1e-5 to 10 over at most 100 updates, and the finder records the loss of
   each, smooths it, and stops when it diverges.
3. The finder prints its suggestions (the steepest descent of the loss, and
   the lr of the least loss divided by 10) and saves the curve as a picture.
4. The chosen value becomes the peak of a real schedule, a warmup then a
   cosine decay, which trains the original model.

Run: python examples/range_test.py [--out range_test.png] [--steps N]
"""

import argparse
import copy
import tempfile
from pathlib import Path

import torch

import lrsched
from lrsched import LRFinder

parser = argparse.ArgumentParser()
parser.add_argument("--out", type=Path, default=None, help="where to save the picture (.png, .svg or .pdf)")
parser.add_argument("--steps", type=int, default=300, help="training updates after the range test")
args = parser.parse_args()
out = args.out if args.out is not None else Path(tempfile.mkdtemp()) / "range_test.png"

# -- a small model and its data ------------------------------------------------------------
torch.manual_seed(0)
x_all = torch.randn(1024, 8)
y_all = 2 * torch.tanh(x_all @ torch.randn(8, 1) / 2) + 0.05 * torch.randn(1024, 1)
model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))


def batches(seed):
    g = torch.Generator().manual_seed(seed)
    while True:
        idx = torch.randint(0, len(x_all), (64,), generator=g)
        yield x_all[idx], y_all[idx]


def update(net, opt, data):
    """One optimizer update on the next batch; its loss."""
    x, y = next(data)
    loss = torch.nn.functional.mse_loss(net(x), y)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def full_loss(net):
    with torch.no_grad():
        return torch.nn.functional.mse_loss(net(x_all), y_all).item()


# -- the range test, on a copy -------------------------------------------------------------
probe = copy.deepcopy(model)
probe_opt = torch.optim.Adam(probe.parameters(), lr=1e-3)
# smoothing 0.9 follows a 100-update test closely; the default 0.98 averages over ~50 updates and lags
finder = LRFinder(probe_opt, min_value=1e-5, max_value=10.0, steps=100, smoothing=0.9)  # diverge=4.0 by default
probe_data = batches(seed=1)
finder.run(lambda: update(probe, probe_opt, probe_data))  # one update per call, until it diverges or ends

# the probe and its optimizer are thrown away; had the test driven the real optimizer,
# finder.restore() would give it back its lrs (not its weights)
suggestion = finder.suggest()
print(suggestion)
print(f"the test {finder.status} after {len(finder.history['lrs'])} updates")
try:
    finder.plot(out)
    print(f"plot saved to {out}")
except ImportError:
    print("no plot: matplotlib is not installed (pip install matplotlib)")

# -- the hand-off: the steepest descent becomes the peak of a real schedule -----------------
total = args.steps
schedule = finder.schedule("warmup_cosine", rule="steepest", warmup_steps=total // 10, total_steps=total,
                           end_value=suggestion.steepest / 100)  # fmt: skip
assert schedule == lrsched.warmup_cosine(
    peak_value=suggestion.steepest, warmup_steps=total // 10, total_steps=total, end_value=suggestion.steepest / 100
)
print(f"training with {schedule!r}")

opt = torch.optim.Adam(model.parameters(), lr=1e-3)  # its lr is the schedule's from here on
sched = lrsched.Scheduler(opt, schedule)
data = batches(seed=2)
before = full_loss(model)
for step in range(total):
    assert opt.param_groups[0]["lr"] == schedule.at(step)  # update `step` uses the value at `step`
    update(model, opt, data)
    sched.step()
after = full_loss(model)
print(f"loss on all the data: {before:.4f} before, {after:.4f} after {total} updates at peak {suggestion.steepest:.3g}")
assert after < before, "training with the suggested peak did not learn"
