"""Render every schedule family: one PNG each, and a grid of them all (the README's picture).

Run: python examples/gallery.py [OUT_DIR] [--steps N] [--grid FILE.png]
Needs matplotlib (pip install "lrsched[plot]").
"""

import argparse
import sys
from pathlib import Path

import lrsched

try:
    import matplotlib
except ImportError:
    print('skipped: matplotlib is not installed (pip install "lrsched[plot]")')
    sys.exit(0)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("out", nargs="?", default="gallery", help="folder for one PNG per family")
parser.add_argument("--steps", type=int, default=1_000)
parser.add_argument("--grid", default=None, help="also write all families in one grid image here")
args = parser.parse_args()
n = args.steps
w = max(1, n // 10)

FAMILIES = {
    "constant": lrsched.constant(1.0),
    "linear": lrsched.linear(init_value=1.0, end_value=0.1, steps=n),
    "cosine": lrsched.cosine(init_value=1.0, steps=n, end_value=0.05),
    "cosine k=2": lrsched.cosine(init_value=1.0, steps=n, end_value=0.05, k=2.0),
    "polynomial 2": lrsched.polynomial(init_value=1.0, steps=n, power=2.0),
    "exponential": lrsched.exponential(init_value=1.0, decay_rate=0.01, transition_steps=n),
    "step": lrsched.step(init_value=1.0, step_size=max(1, n // 4), gamma=0.5),
    "multistep": lrsched.multistep(init_value=1.0, milestones=[n // 2, 3 * n // 4], gamma=0.3),
    "piecewise_linear": lrsched.piecewise_linear(knots=[0, n // 4, n // 2, n], values=[0.2, 1.0, 0.4, 0.0]),
    "inverse_sqrt": lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=w),
    "inverse_time": lrsched.inverse_time(init_value=1.0, decay_rate=5.0, decay_steps=n),
    "tanh": lrsched.tanh(init_value=1.0, steps=n),
    "warmup_cosine": lrsched.warmup_cosine(peak_value=1.0, warmup_steps=w, total_steps=n, end_value=0.05),
    "warmup_linear": lrsched.warmup_linear(peak_value=1.0, warmup_steps=w, total_steps=n),
    "warmup_exponential": lrsched.warmup_exponential(peak_value=1.0, warmup_steps=w, decay_rate=0.01,
                                                     transition_steps=n),  # fmt: skip
    "warmup shapes": lrsched.warmup(lrsched.constant(1.0), w * 3, 0.0, "cosine"),
    "sgdr": lrsched.sgdr(1.0, max(1, n // 7), 2, end_value=0.02, cycle_decay=0.8),
    "cosine_restarts": lrsched.cosine_restarts(peak_value=1.0, total_steps=n, num_cycles=4, warmup_steps=w // 2),
    "cyclic triangular2": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=max(1, n // 8),
                                         mode="triangular2"),  # fmt: skip
    "cyclic exp_range": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=max(1, n // 8),
                                       mode="exp_range", gamma=0.998 ** (1000 / n)),  # fmt: skip
    "one_cycle": lrsched.one_cycle(max_value=1.0, total_steps=n),
    "wsd": lrsched.wsd(peak_value=1.0, total_steps=n, warmup_steps=w, decay_steps=n // 5),
    "repeat": lrsched.repeat(lrsched.warmup_linear(peak_value=1.0, warmup_steps=max(1, n // 20),
                                                   total_steps=max(2, n // 4)), max(2, n // 4)),  # fmt: skip
    "noise": lrsched.noise(lrsched.cosine(init_value=1.0, steps=n, end_value=0.1), std=0.05, pct=0.1, seed=1),
    "product": lrsched.cosine(init_value=1.0, steps=n) * lrsched.step(init_value=1.0, step_size=max(1, n // 5), gamma=0.7),
}

out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
for name, s in FAMILIES.items():
    lrsched.plot(s, n, out / f"{name.replace(' ', '_')}.png", labels=[name])
print(f"wrote {len(FAMILIES)} PNGs to {out}/")

if args.grid:
    cols = 5
    rows = -(-len(FAMILIES) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 2.0, rows * 1.25), dpi=72, layout="constrained")
    for ax, (name, s) in zip(axes.flat, FAMILIES.items()):
        lrsched.plot(s, n, ax=ax, legend=False, marks=False)
        ax.set_title(name, fontsize=8)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.tick_params(labelsize=6, length=2)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(FAMILIES):]:
        ax.axis("off")
    fig.savefig(args.grid)
    print(f"wrote the grid to {args.grid}")
