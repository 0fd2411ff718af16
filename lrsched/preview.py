"""The steps a preview looks at, when a run is too long to tabulate: ``sample_steps``.

``describe``, ``compare`` and ``plot`` read every step up to ``EXACT_LIMIT``
steps.  Past it they read a sample whose size does not grow with the run
(at most about ``MAX_SAMPLES`` steps, 2**62 steps included), chosen from the
schedule's Program so that what matters is exact:

- every segment boundary of every layer, and the step before it (a jump is
  seen from both sides), and the run's first and last steps;
- every cycle's start (a restart) and its body's boundaries, each with the
  step before; when a layer has more than ``ALL_CYCLES`` cycles in the run,
  the first and the last ``ALL_CYCLES // 4`` of them and ``ALL_CYCLES // 2``
  spread evenly between;
- after and before each segment boundary, steps at distances 1, 2, 4, 8, ...
  (a 2,000-step warmup on a 10**12-step run is drawn as finely as its own
  length asks), and ``STRIDE_POINTS`` steps evenly spread over the run.

Values at the sampled steps are the schedule's own (``schedule(steps)``),
so every sampled value equals the full table's at that step.
"""

from __future__ import annotations

import numpy as np

from ._program import CYCLES
from .cycles import float_cycle_start

EXACT_LIMIT = 2**22  # up to this many steps, previews read every step
ALL_CYCLES = 2_000  # a layer with more cycles in the run is sampled cycle-wise
STRIDE_POINTS = 4_096
MAX_SAMPLES = 200_000  # what the rules above can reach, at most (the tests check a bound per case)


def sample_steps(schedule, steps: int) -> np.ndarray:
    """Sorted, unique int64 steps in ``[0, steps)`` for a preview of ``schedule`` (the module's rules)."""
    program = schedule.program
    edges = set()
    for layer in program.layers():
        for k, seg in enumerate(layer):
            if seg.start >= steps:
                break
            edges.add(seg.start)
            if seg.op in CYCLES:
                end = layer[k + 1].start if k + 1 < len(layer) else steps
                edges.update(_cycle_edges(seg, min(end, steps)))
    points = {0, steps - 1}
    top = sorted(e for e in edges if 0 <= e < steps)
    for e in top:
        points.add(e)
        if e > 0:
            points.add(e - 1)
    # log spacing on both sides of the layers' own boundaries (not every cycle's: there may be thousands)
    segment_starts = sorted({seg.start for layer in program.layers() for seg in layer if seg.start < steps} | {steps})
    for a, b in zip(segment_starts, segment_starts[1:]):
        d = 1
        while d < b - a:
            points.add(a + d)
            points.add(b - d)
            d *= 2
    points.update(np.linspace(0, steps - 1, min(STRIDE_POINTS, steps), dtype=np.int64).tolist())
    out = np.fromiter((p for p in points if 0 <= p < steps), np.int64)
    out.sort()
    return out


def _cycle_edges(seg, end):
    """Global steps in ``[seg.start, end)`` where a cycle of CYCLE segment ``seg`` starts, and where its body's
    segments start within it (sampled cycle-wise past ``ALL_CYCLES`` cycles)."""
    first, m = seg.i[0], seg.i[1]
    mult, period = seg.f[4], seg.f[6]
    lo_t, hi_t = seg.start - seg.origin, end - seg.origin  # the segment's span in cycle time
    body_starts = sorted({b.start for b in seg.body or ()} - {0})

    def start_of(i):
        if m == 1:
            return i * first
        if m > 1:
            return first * (m**i - 1) // (m - 1)
        return float_cycle_start(i, period, mult)

    # the cycles that meet [lo_t, hi_t): indices i0 .. i1 - 1
    def index_of(t):  # the cycle holding cycle time t (the largest i with start_of(i) <= t)
        if m == 1:
            return t // first
        lo, hi = 0, 1
        while start_of(hi) <= t:
            lo, hi = hi, hi * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if start_of(mid) <= t:
                lo = mid
            else:
                hi = mid
        return lo

    i0, i1 = index_of(lo_t), index_of(max(hi_t - 1, lo_t)) + 1
    if i1 - i0 <= ALL_CYCLES:
        chosen = range(i0, i1)
    else:
        q = ALL_CYCLES // 4
        spread = np.linspace(i0 + q, i1 - q - 1, ALL_CYCLES // 2, dtype=np.int64).tolist()
        chosen = sorted({*range(i0, i0 + q), *spread, *range(i1 - q, i1)})
    out = []
    for i in chosen:
        s = start_of(i)
        length = start_of(i + 1) - s
        for t in (s, *(s + b for b in body_starts if b < length)):
            if lo_t <= t < hi_t:
                out.append(seg.origin + t)
    return out
