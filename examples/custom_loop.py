"""Drive a hand-written training loop from a precomputed schedule.

The optimizer here is a few lines of NumPy with torch-style ``param_groups``;
with torch it would be ``torch.optim.SGD``.  The schedule is a composite: a
warmup, a cosine decay, then a constant tail, joined in local time.

Run: python examples/custom_loop.py
"""

import numpy as np

import lrsched

total = 1_000
schedule = lrsched.join(
    [lrsched.warmup_cosine(peak_value=0.1, warmup_steps=50, total_steps=800, end_value=0.01),
     lrsched.constant(0.01)],
    boundaries=[800],
)  # fmt: skip
lrs = schedule.table(total)  # one kernel call for the whole run


class SGD:
    """Minimal SGD with param_groups, as torch optimizers have."""

    def __init__(self, params, lr):
        self.param_groups = [{"params": params, "lr": lr}]

    def step(self, grads):
        for group in self.param_groups:
            for p, g in zip(group["params"], grads):
                p -= group["lr"] * g


rng = np.random.default_rng(0)
w_true = rng.normal(size=8)
x = rng.normal(size=(4_096, 8))
y = x @ w_true
w = np.zeros(8)
opt = SGD([w], lr=lrs[0])

for step in range(total):
    opt.param_groups[0]["lr"] = lrs[step]  # update `step` uses the value at `step`
    batch = rng.integers(0, len(x), 64)
    grad = 2 * x[batch].T @ (x[batch] @ w - y[batch]) / len(batch)
    opt.step([grad])

error = float(np.linalg.norm(w - w_true))
print(f"final lr {opt.param_groups[0]['lr']:.3g}, |w - w_true| = {error:.2e}")
assert opt.param_groups[0]["lr"] == schedule.at(total - 1) == 0.01
assert error < 1e-3
