"""Precompute a million-step warmup-cosine table, stream it to disk, and summarize it.

Run: python examples/precompute_table.py [OUT.npy] [--steps N]
"""

import argparse
import time

import numpy as np

import lrsched

parser = argparse.ArgumentParser()
parser.add_argument("out", nargs="?", default=None, help="write the table here (.npy, .csv or .parquet)")
parser.add_argument("--steps", type=int, default=1_000_000)
args = parser.parse_args()
n = args.steps

schedule = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=n // 500, total_steps=n, end_value=3e-5)

start = time.perf_counter()
table = schedule.table(n)  # the first call also compiles the kernels it uses, or loads them from Numba's cache
first = time.perf_counter() - start
start = time.perf_counter()
table = schedule.table(n)  # one kernel call per segment, every step
elapsed = time.perf_counter() - start
print(f"{schedule}\n{n:,} steps in {elapsed * 1e3:.2f} ms "
      f"(the first call, compiling or loading the kernels, took {first:.2f} s)")
assert table[0] == 0.0 and table.argmax() == n // 500

# Any step, any order, any shape: the same kernel evaluates arbitrary step arrays.
probe = np.array([[0, n // 3], [n // 500, n - 1]])
assert np.array_equal(schedule(probe), table[probe])

# What a person checks before launching: start, peak, end, warmup, mean, area, warnings.
print(lrsched.describe(schedule, n))

if args.out:
    # streamed in 1 Mi-step chunks: a billion steps need no more memory than a million
    summary = lrsched.save(schedule, args.out, n)
    assert summary.peak_at == n // 500 and np.array_equal(np.load(args.out), table) if args.out.endswith(".npy") else True
    print(f"saved to {args.out}")
