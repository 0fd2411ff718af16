"""What a schedule does over a run, in numbers a person reads in five seconds.

``describe(schedule, steps)`` computes the table once and reports its start,
peak, end, warmup, mean, area, restarts and monotone phases, with warnings
for the usual mistakes; ``compare(a, b, steps)`` says where two schedules
differ.  Both back the ``lrsched describe`` and ``lrsched compare`` commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .preview import EXACT_LIMIT, sample_steps
from .tables import scaled, sum_in_units

# a change smaller than this fraction of the largest |value| is "no change"
_FLAT = 1e-12


@dataclass(frozen=True)
class Phase:
    """A maximal run of steps ``[start, stop)`` over which the schedule only rises, only falls or stays."""

    start: int
    stop: int
    trend: str  # "rises", "falls" or "flat"
    first: float
    last: float


@dataclass(frozen=True)
class Description:
    steps: int
    start_value: float
    peak: float
    peak_at: int
    end_value: float
    warmup_end: int | None  # first step at the peak, when the schedule starts below it
    mean: float
    area: float  # sum of the values over the steps (lr x steps); inf past float64's range
    restarts: list[int]  # steps where the value jumps back up after falling
    phases: list[Phase]
    warnings: list[str] = field(default_factory=list)
    sampled: int | None = None  # past preview.EXACT_LIMIT steps: how many steps were read (None: all)

    def __str__(self):
        lines = [
            f"steps    {self.steps:,}",
            f"start    {self.start_value:.6g}",
            f"peak     {self.peak:.6g} at step {self.peak_at:,}",
            f"end      {self.end_value:.6g} at step {self.steps - 1:,}",
            f"warmup   {f'ends at step {self.warmup_end:,}' if self.warmup_end is not None else 'none'}",
            f"mean     {self.mean:.6g}",
            f"area     {self.area:.6g} (sum over the steps)",
            f"restarts {len(self.restarts)}" + (f" at steps {_few(self.restarts)}" if self.restarts else ""),
            f"phases   {len(self.phases)}",
        ]
        for p in self.phases[:8]:
            lines.append(f"  {p.start:>12,} .. {p.stop - 1:<12,} {p.trend:<5} {p.first:.6g} -> {p.last:.6g}")
        if len(self.phases) > 8:
            lines.append(f"  ... {len(self.phases) - 8} more")
        if self.sampled is not None:
            lines.append(f"(from {self.sampled:,} sampled steps: every phase boundary and restart start exact, "
                         "mean and area estimated by the trapezoid rule; restarts and phases among the sampled)")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


def _few(steps, k=6):
    shown = ", ".join(f"{s:,}" for s in steps[:k])
    return shown + (f", ... ({len(steps)} in all)" if len(steps) > k else "")


def _phases(values, d, tol):
    """Monotone runs of ``values``, whose steps are ``d = np.diff(values)``."""
    trend = np.where(d > tol, 1, np.where(d < -tol, -1, 0))
    phases = []
    if values.size == 1:
        return [Phase(0, 1, "flat", float(values[0]), float(values[0]))]
    # boundaries where the trend changes; a jump up after a fall is its own boundary
    change = np.flatnonzero(trend[1:] != trend[:-1]) + 1
    edges = np.r_[0, change, trend.size]
    names = {1: "rises", -1: "falls", 0: "flat"}
    for a, b in zip(edges[:-1], edges[1:]):
        phases.append(Phase(int(a), int(b) + 1, names[int(trend[a])], float(values[a]), float(values[b])))
    return phases


def describe(schedule: Schedule, steps: int) -> Description:
    """Summarize ``schedule`` over steps ``0 .. steps - 1``.

    Examples
    --------
    >>> import lrsched
    >>> d = lrsched.describe(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100), 100)
    >>> d.peak, d.peak_at, d.warmup_end, len(d.restarts), d.warnings
    (1.0, 10, 10, 0, [])
    """
    if not isinstance(schedule, Schedule):
        V.fail("describe", "schedule", "a lrsched.Schedule", schedule, TypeError)
    steps = V.integer("describe", "steps", steps, minimum=1, maximum=MAX_STEP)
    if steps <= EXACT_LIMIT:
        return describe_table(schedule.table(steps))
    at = sample_steps(schedule, steps)
    return describe_table(schedule(at), at=at, steps=steps)


def describe_table(t, *, at=None, steps=None) -> Description:
    """``describe`` of values already computed: at steps 0 .. len(t) - 1, or at the sampled steps ``at``
    (sorted, from 0 to ``steps - 1``)."""
    sampled = at is not None
    at = np.arange(t.size) if at is None else at
    steps = t.size if steps is None else steps
    scale = float(np.abs(t).max())
    tol = _FLAT * scale
    peak_i = int(np.argmax(t))
    peak_at = int(at[peak_i])
    peak = float(t[peak_i])
    first = float(t[0])
    if sampled:  # the sum over every step, by the trapezoid rule over the samples, plus the ends' halves
        w = np.diff(at).astype(np.float64)
        total = float(np.sum(w * (t[1:] + t[:-1]) / 2.0)) + (float(t[0]) + float(t[-1])) / 2.0
        total, e = (total, 0)
    else:
        total, e = sum_in_units(t, scale)  # the sum is total * 2**e: the mean of values near 1e308 is finite
    d = np.diff(t)
    warmup_end = peak_at if first < peak - tol and np.all(d[:peak_i] >= -tol) else None
    # a restart: one step up by more than 1% of the largest value, right after the schedule fell
    jumps = np.flatnonzero(d > 0.01 * scale) + 1
    restarts = [int(at[j]) for j in jumps if j >= 2 and at[j] - at[j - 1] == 1 and t[j - 1] < t[j - 2] - tol]
    phases = [Phase(int(at[p.start]), int(at[p.stop - 1]) + 1, p.trend, p.first, p.last) for p in _phases(t, d, tol)]
    warnings = []
    changes = np.flatnonzero(np.abs(d) > tol)
    last_change = int(at[int(changes[-1]) + 1]) if changes.size else 0
    if steps >= 10 and last_change < 0.9 * steps and changes.size:
        held = float(t[int(changes[-1]) + 1])
        warnings.append(
            f"the schedule stops changing at step {last_change:,} and holds {held:.6g} for the "
            f"last {steps - last_change:,} steps ({(steps - last_change) / steps:.0%}): is its horizon shorter "
            f"than the run?"
        )
    if warmup_end is not None and 0 < peak_i < t.size - 1 and at[peak_i] - at[peak_i - 1] == 1:
        # the step into the peak against the steps of the warmup before it
        into = float(t[peak_i] - t[peak_i - 1])
        gaps = np.diff(at[:peak_i]) if peak_i > 1 else np.ones(0)
        typical = float(np.median(np.abs(d[: peak_i - 1]) / gaps)) if peak_i > 1 else 0.0
        after = abs(float(t[peak_i + 1] - t[peak_i])) / float(at[peak_i + 1] - at[peak_i])
        if peak_i > 2 and into > 10 * max(typical, after, tol):
            warnings.append(
                f"a jump of {into:.6g} at the end of the warmup (step {warmup_end:,}), {into / max(typical, tol):.0f}x "
                f"the warmup's steps: does the warmup hand off to the value the next phase starts at?"
            )
    inside = t[:-1] if t.size > 1 else t
    bad = np.flatnonzero(inside <= 0.0)
    bad = bad[bad > 0] if first <= 0.0 and warmup_end is not None else bad  # a warmup may start at 0
    if bad.size:
        many = f"{bad.size:,} step{'s' * (bad.size > 1)} before the last {'have' if bad.size > 1 else 'has'}"
        warnings.append(
            f"{'steps before the last have' if sampled else many} a value <= 0 (first at step {int(at[bad[0]]):,}: "
            f"{float(t[bad[0]]):.6g})"
        )
    # a gradual rise (no jump) after the schedule fell: a cosine past its horizon, typically
    for p_prev, p in zip(phases, phases[1:]):
        gradual = p.stop - p.start > 2 and not any(p.start < r < p.stop for r in restarts)
        if sampled and restarts:  # samples strided across cycles rise from one cycle to the next: no evidence
            break
        if p.trend == "rises" and p_prev.trend == "falls" and gradual:
            warnings.append(
                f"the value rises again from step {p.start:,} ({p.first:.6g} -> {p.last:.6g} at step "
                f"{p.stop - 1:,}) after falling: a periodic cosine past its horizon?"
            )
            break
    return Description(
        steps=steps, start_value=first, peak=peak, peak_at=peak_at, end_value=float(t[-1]),
        warmup_end=warmup_end, mean=scaled(total / steps, e), area=scaled(total, e), restarts=restarts,
        phases=phases, warnings=warnings, sampled=int(t.size) if sampled else None,
    )  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    steps: int
    max_abs: float
    max_abs_at: int
    max_rel: float
    max_rel_at: int
    first_difference: int | None  # first step where the values are not equal
    differing: int  # number of steps where they are not equal (of the sampled, when sampled)
    sampled: int | None = None  # past preview.EXACT_LIMIT steps: how many steps were compared (None: all)

    @property
    def identical(self):
        return self.first_difference is None

    def __str__(self):
        of = "" if self.sampled is None else f" (at {self.sampled:,} sampled steps: each one's boundaries exact)"
        if self.identical:
            return f"identical over {self.steps:,} steps{of}"
        counted = f"{self.steps:,} steps" if self.sampled is None else f"{self.sampled:,} sampled steps"
        return "\n".join([
            f"differ at {self.differing:,} of {counted}, first at step {self.first_difference:,}",
            f"max abs difference {self.max_abs:.3e} at step {self.max_abs_at:,}",
            f"max rel difference {self.max_rel:.3e} at step {self.max_rel_at:,}",
        ])  # fmt: skip


def compare(a: Schedule, b: Schedule, steps: int, *, rtol: float = 0.0) -> Comparison:
    """Where ``a`` and ``b`` differ over steps ``0 .. steps - 1`` (values closer than ``rtol`` count as equal).

    Examples
    --------
    >>> import lrsched
    >>> c = lrsched.compare(lrsched.cosine(init_value=1.0, steps=100), lrsched.cosine(init_value=1.0, steps=101), 100)
    >>> c.first_difference, c.identical
    (1, False)
    """
    for name, s in (("a", a), ("b", b)):
        if not isinstance(s, Schedule):
            V.fail("compare", name, "a lrsched.Schedule", s, TypeError)
    steps = V.integer("compare", "steps", steps, minimum=1, maximum=MAX_STEP)
    rtol = V.real("compare", "rtol", rtol, minimum=0.0)
    if steps <= EXACT_LIMIT:
        at, x, y = None, a.table(steps), b.table(steps)
    else:  # both schedules' samples: each one's boundaries and restarts, exact
        at = np.union1d(sample_steps(a, steps), sample_steps(b, steps))
        x, y = a(at), b(at)
    where_at = (lambda i: int(i)) if at is None else (lambda i: int(at[i]))
    diff = np.abs(x - y)
    size = np.maximum(np.abs(x), np.abs(y))
    rel = np.divide(diff, size, out=np.zeros_like(diff), where=size > 0)
    differs = rel > rtol
    where = np.flatnonzero(differs)
    return Comparison(
        steps=steps, max_abs=float(diff.max()), max_abs_at=where_at(diff.argmax()), max_rel=float(rel.max()),
        max_rel_at=where_at(rel.argmax()), first_difference=where_at(where[0]) if where.size else None,
        differing=int(where.size), sampled=None if at is None else int(at.size),
    )  # fmt: skip
