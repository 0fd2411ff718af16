"""Precompute a million-step warmup-cosine table, check it, and save it.

Run: python examples/precompute_table.py [OUT.npy]
"""

import sys
import time

import numpy as np

import lrsched

schedule = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=1_000_000, end_value=3e-5)

start = time.perf_counter()
table = schedule.table(1_000_000)
elapsed = time.perf_counter() - start

assert table[0] == 0.0 and table.argmax() == 2_000 and table[-1] > 3e-5
print(f"{schedule}\n{table.size:,} steps in {elapsed * 1e3:.2f} ms; peak {table.max():.3g} at step {table.argmax():,}")

# Any step, any order, any shape: the same kernel evaluates arbitrary step arrays.
probe = np.array([[0, 1_000], [2_000, 999_999]])
assert np.array_equal(schedule(probe), table[probe])

if len(sys.argv) > 1:
    np.save(sys.argv[1], table)
    print(f"saved to {sys.argv[1]}")
