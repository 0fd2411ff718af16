"""The README's picture: the main schedule families, one panel each, drawn by ``lrsched.plot`` itself.

Run: python examples/gallery.py [--out FILE.png] [--steps N] [--each DIR]

Writes examples/gallery.png (12 x 7.5 in at 150 dpi, 1800 x 1125 px: its
tick labels stay readable at a README's ~800 px) unless --out says where;
--each DIR also writes one PNG per family there.  Every panel has a value
scale and marks its curves' peak (filled dot) and end (open dot) with their
values.  Needs matplotlib (pip install "lrsched[plot]").
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
parser.add_argument("--out", default=str(Path(__file__).with_name("gallery.png")), help="the grid image (.png/.svg)")
parser.add_argument("--steps", type=int, default=1_000, help="steps per panel (default 1,000)")
parser.add_argument("--each", default=None, help="also write one PNG per family into this folder")
args = parser.parse_args()
n = args.steps
w = max(1, n // 10)
e = n + 1  # steps 0..n: a schedule that ends at step n is drawn up to its end value
c = max(1, n // 7)  # SGDR's first cycle: cycles of c, 2c, 4c end exactly at 7c, before the next restart

# title -> ({label: schedule}, steps drawn, where the legend of overlaid curves goes: a corner they leave empty)
PANELS = {
    "constant, linear": ({"constant": lrsched.constant(1.0),
                          "linear to 0.1": lrsched.linear(init_value=1.0, end_value=0.1, steps=n)}, e, "lower left"),
    "cosine vs polynomial": ({"cosine to 0.05": lrsched.cosine(init_value=1.0, steps=n, end_value=0.05),
                              "polynomial, power 2": lrsched.polynomial(init_value=1.0, steps=n, power=2.0)}, e,
                             "lower left"),
    "step, multistep": ({"step: x0.6 every n/4": lrsched.step(init_value=1.0, step_size=max(1, n // 4), gamma=0.6),
                         "multistep: x0.3 at n/2, 3n/4": lrsched.multistep(init_value=1.0,
                                                                           milestones=[n // 2, 3 * n // 4],
                                                                           gamma=0.3)}, n, "lower left"),
    "exponential, inverse_time": ({"exponential": lrsched.exponential(init_value=1.0, decay_rate=0.01,
                                                                      transition_steps=n),
                                   "inverse_time": lrsched.inverse_time(init_value=1.0, decay_rate=5.0,
                                                                        decay_steps=n)}, n, "upper right"),
    "warmup shapes": ({shape: lrsched.warmup(lrsched.constant(1.0), 2 * n // 5, 0.0, shape)
                       for shape in ("linear", "cosine", "exponential", "1-sqrt", "log")}, n, "lower right"),
    "warmup_cosine": ({"warmup_cosine": lrsched.warmup_cosine(peak_value=1.0, warmup_steps=w, total_steps=n,
                                                              end_value=0.1)}, e, None),
    "SGDR: restarts, cycles x2": ({"sgdr": lrsched.sgdr(1.0, c, 2, end_value=0.02, cycle_decay=0.8)}, 7 * c, None),
    "cyclic, triangular2": ({"cyclic": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=max(1, n // 8),
                                                      mode="triangular2")}, e, None),
    "one_cycle": ({"one_cycle": lrsched.one_cycle(max_value=1.0, total_steps=n)}, e, None),
    "WSD: warmup, stable, decay": ({"wsd": lrsched.wsd(peak_value=1.0, total_steps=n, warmup_steps=w,
                                                       decay_steps=n // 5)}, e, None),
    "inverse_sqrt": ({"inverse_sqrt": lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=w)}, n, None),
    "piecewise_linear": ({"piecewise_linear": lrsched.piecewise_linear(knots=[0, n // 4, n // 2, n],
                                                                       values=[0.2, 1.0, 0.4, 0.0])}, e, None),
}  # fmt: skip
MARKED = {"warmup_cosine", "SGDR: restarts, cycles x2", "WSD: warmup, stable, decay", "one_cycle", "inverse_sqrt"}

cols = 4
rows = -(-len(PANELS) // cols)
fig, axes = plt.subplots(rows, cols, figsize=(12, 7.5), dpi=150, layout="constrained")
for ax, (title, (curves, steps, corner)) in zip(axes.flat, PANELS.items()):
    # the library draws each panel (scales, peak and end dots); the gallery only names it and places the legend
    lrsched.plot(list(curves.values()), steps, ax=ax, labels=list(curves), legend=False, inset=False,
                 marks=title in MARKED, annotate=len(curves) <= 2)
    ax.set_title(title, fontsize=13)
    ax.set_xlabel("step", fontsize=11, labelpad=1)
    ax.set_ylabel("")
    ax.tick_params(labelsize=11)
    if corner:
        ax.legend(loc=corner, fontsize=10, frameon=False, handlelength=1.6, borderaxespad=0.3, labelspacing=0.3)
for ax in list(axes.flat)[len(PANELS):]:
    ax.axis("off")
fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06)
fig.savefig(args.out)
plt.close(fig)
print(f"wrote the grid of {len(PANELS)} families to {args.out}")

if args.each:
    out = Path(args.each)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for title, (curves, steps, _) in PANELS.items():
        for label, s in curves.items():
            name = "".join(ch if ch.isalnum() else "_" for ch in label).strip("_")
            lrsched.plot(s, steps, out / f"{name}.png", labels=[label], dpi=100)
            count += 1
    print(f"wrote {count} PNGs to {out}/")
