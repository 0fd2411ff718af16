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
from ._schedule import Schedule
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
    steps = V.integer("describe", "steps", steps, minimum=1, maximum=2**31)
    return describe_table(schedule.table(steps))


def describe_table(t) -> Description:
    """``describe`` of values already computed (steps 0 .. len(t) - 1)."""
    steps = t.size
    scale = float(np.abs(t).max())
    tol = _FLAT * scale
    peak_at = int(np.argmax(t))
    peak = float(t[peak_at])
    first = float(t[0])
    total, e = sum_in_units(t, scale)  # the sum is total * 2**e: the mean of values near 1e308 is finite
    d = np.diff(t)
    warmup_end = peak_at if first < peak - tol and np.all(d[:peak_at] >= -tol) else None
    # a restart: one step up by more than 1% of the largest value, right after the schedule fell
    jumps = np.flatnonzero(d > 0.01 * scale) + 1
    restarts = [int(j) for j in jumps if j >= 2 and t[j - 1] < t[j - 2] - tol]
    phases = _phases(t, d, tol)
    warnings = []
    changes = np.flatnonzero(np.abs(d) > tol)
    last_change = int(changes[-1]) + 1 if changes.size else 0
    if steps >= 10 and last_change < 0.9 * steps and changes.size:
        warnings.append(
            f"the schedule stops changing at step {last_change:,} and holds {float(t[last_change]):.6g} for the "
            f"last {steps - last_change:,} steps ({(steps - last_change) / steps:.0%}): is its horizon shorter "
            f"than the run?"
        )
    if warmup_end is not None and 0 < warmup_end < steps - 1:
        # the step into the peak against the steps of the warmup before it
        into = float(t[warmup_end] - t[warmup_end - 1])
        typical = float(np.median(np.abs(d[: warmup_end - 1]))) if warmup_end > 1 else 0.0
        after = abs(float(t[warmup_end + 1] - t[warmup_end]))
        if warmup_end > 2 and into > 10 * max(typical, after, tol):
            warnings.append(
                f"a jump of {into:.6g} at the end of the warmup (step {warmup_end:,}), {into / max(typical, tol):.0f}x "
                f"the warmup's steps: does the warmup hand off to the value the next phase starts at?"
            )
    inside = t[:-1] if steps > 1 else t
    bad = np.flatnonzero(inside <= 0.0)
    bad = bad[bad > 0] if first <= 0.0 and warmup_end is not None else bad  # a warmup may start at 0
    if bad.size:
        warnings.append(
            f"{bad.size:,} step{'s' * (bad.size > 1)} before the last {'have' if bad.size > 1 else 'has'} a value <= 0 "
            f"(first at step {int(bad[0]):,}: "
            f"{float(t[bad[0]]):.6g})"
        )
    # a gradual rise (no jump) after the schedule fell: a cosine past its horizon, typically
    for p_prev, p in zip(phases, phases[1:]):
        gradual = p.stop - p.start > 2 and not any(p.start < r < p.stop for r in restarts)
        if p.trend == "rises" and p_prev.trend == "falls" and gradual:
            warnings.append(
                f"the value rises again from step {p.start:,} ({p.first:.6g} -> {p.last:.6g} at step "
                f"{p.stop - 1:,}) after falling: a periodic cosine past its horizon?"
            )
            break
    return Description(
        steps=steps, start_value=first, peak=peak, peak_at=peak_at, end_value=float(t[-1]),
        warmup_end=warmup_end, mean=scaled(total / steps, e), area=scaled(total, e), restarts=restarts,
        phases=phases, warnings=warnings,
    )  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    steps: int
    max_abs: float
    max_abs_at: int
    max_rel: float
    max_rel_at: int
    first_difference: int | None  # first step where the values are not equal
    differing: int  # number of steps where they are not equal

    @property
    def identical(self):
        return self.first_difference is None

    def __str__(self):
        if self.identical:
            return f"identical over {self.steps:,} steps"
        return "\n".join([
            f"differ at {self.differing:,} of {self.steps:,} steps, first at step {self.first_difference:,}",
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
    steps = V.integer("compare", "steps", steps, minimum=1, maximum=2**31)
    rtol = V.real("compare", "rtol", rtol, minimum=0.0)
    x = a.table(steps)
    y = b.table(steps)
    diff = np.abs(x - y)
    size = np.maximum(np.abs(x), np.abs(y))
    rel = np.divide(diff, size, out=np.zeros_like(diff), where=size > 0)
    differs = rel > rtol
    where = np.flatnonzero(differs)
    return Comparison(
        steps=steps, max_abs=float(diff.max()), max_abs_at=int(diff.argmax()), max_rel=float(rel.max()),
        max_rel_at=int(rel.argmax()), first_difference=int(where[0]) if where.size else None,
        differing=int(where.size),
    )  # fmt: skip
