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

from ._program import CYCLES, POLY_CYCLES
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
            end = min(layer[k + 1].start if k + 1 < len(layer) else steps, steps)
            if seg.op in CYCLES:
                edges.update(_cycle_edges(seg, end))
            elif seg.op in POLY_CYCLES:
                edges.update(poly_restarts(seg, end).tolist())
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
    body_starts = sorted({b.start for b in seg.body or ()} - {0})
    lo, hi = seg.start, end
    out = []
    for s, length in zip(*cycle_starts(seg, end)):
        for g in (s, *(s + b for b in body_starts if b < length)):
            if lo <= g < hi:
                out.append(int(g))
    return out


def poly_restarts(seg, end, limit=ALL_CYCLES):
    """Global steps in ``[seg.start, end)`` where a POLY_CYCLE segment restarts: one step after each
    multiple of its length ``L`` (``origin + j L + 1``, j >= 1); past ``limit`` of them the first and last
    ``limit // 4`` and ``limit // 2`` spread between."""
    length, origin = seg.i[0], seg.origin
    lo = max(1, -(-(seg.start - origin - 1) // length))
    hi = max(lo, (end - origin - 2) // length + 1)
    return origin + thin(lo, hi, limit) * length + 1


def thin(lo, hi, limit):
    """Integers lo .. hi - 1, or past ``limit`` of them the first and last ``limit // 4`` and ``limit // 2`` between."""
    if limit is None or hi - lo <= limit:
        return np.arange(lo, hi, dtype=np.int64)
    q = limit // 4
    spread = np.linspace(lo + q, hi - q - 1, limit // 2, dtype=np.int64)
    return np.unique(np.r_[np.arange(lo, lo + q), spread, np.arange(hi - q, hi)].astype(np.int64))


def cycle_start(seg, i):
    """Cycle time (from ``seg.origin``) at which cycle ``i`` of CYCLE segment ``seg`` starts, exactly."""
    first, m = seg.i[0], seg.i[1]
    if m == 1:
        return i * first
    if m > 1:
        return first * (m**i - 1) // (m - 1)
    return float_cycle_start(i, seg.f[6], seg.f[4])


def cycle_index(seg, t):
    """The cycle of CYCLE segment ``seg`` that holds cycle time ``t`` (the largest i with cycle_start <= t)."""
    if seg.i[1] == 1:
        return t // seg.i[0]
    lo, hi = 0, 1
    while cycle_start(seg, hi) <= t:
        lo, hi = hi, hi * 2
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if cycle_start(seg, mid) <= t:
            lo = mid
        else:
            hi = mid
    return lo


def cycle_starts(seg, end, limit=ALL_CYCLES):
    """``(starts, lengths)``: int64 arrays of the global first step and the length of each cycle of CYCLE segment
    ``seg`` that meets ``[seg.start, end)``; past ``limit`` cycles (None: no limit) the first and the last
    ``limit // 4`` and ``limit // 2`` spread evenly between."""
    lo_t, hi_t = seg.start - seg.origin, end - seg.origin  # the segment's span in cycle time
    i0, i1 = cycle_index(seg, lo_t), cycle_index(seg, max(hi_t - 1, lo_t)) + 1
    if limit is None or i1 - i0 <= limit:
        chosen = np.arange(i0, i1, dtype=np.int64)
    else:
        q = limit // 4
        spread = np.linspace(i0 + q, i1 - q - 1, limit // 2, dtype=np.int64)
        chosen = np.unique(np.r_[np.arange(i0, i0 + q), spread, np.arange(i1 - q, i1)].astype(np.int64))
    first, m = seg.i[0], seg.i[1]
    if m == 1:  # every cycle alike: vectorized (there may be millions)
        starts = chosen * first
        lengths = np.full(chosen.size, first, np.int64)
    elif m == 0 and seg.f[4] == 1.0 and chosen.size:  # float period: float_cycle_start's IEEE operations, vectorized
        x = seg.f[6] * np.r_[chosen, chosen + 1].astype(np.float64)
        r = np.floor(x)
        at = (r.astype(np.int64) + (x - r >= 0.5)).reshape(2, -1)
        starts, lengths = at[0], at[1] - at[0]
    else:  # growing cycles: few of them
        starts = np.array([cycle_start(seg, int(i)) for i in chosen], np.int64)
        lengths = np.array([cycle_start(seg, int(i) + 1) - cycle_start(seg, int(i)) for i in chosen], np.int64)
    return seg.origin + starts, lengths
