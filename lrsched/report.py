"""What a schedule does over a run, in numbers a person reads in five seconds.

``describe(schedule, steps)`` computes the table once and reports its start,
peak, end, warmup, mean, area, events and monotone phases, with warnings for
the usual mistakes; ``compare(a, b, steps)`` says where two schedules differ.
Both back the ``lrsched describe`` and ``lrsched compare`` commands.

Phases and events
-----------------
The steps ``0 .. steps - 1`` are split into *phases*, half-open intervals
``[start, stop)`` in order that hold every step exactly once; over a phase the
value only rises, only falls or stays (``trend``).  A jump between two
consecutive steps is not a phase but an *event* between them: ``Event(step,
kind, before, after)`` with ``before`` the value at ``step - 1`` and ``after``
the value at ``step``, which starts the next phase.  ``kind`` is "restart"
(up, right after a fall: SGDR, hard restarts), "drop" (down: a step or
multistep decay, a cyclic schedule's one-step fall) or "jump" (up otherwise:
a piecewise constant rising, a warmup handing off to a higher value).

The rule for a jump at ``step`` (``JUMP`` below): the change from ``step - 1``
to ``step`` is larger than the flat tolerance and more than ``JUMP`` times the
larger of the changes one step before and one step after it.  With the
schedule at hand (``describe``, or ``describe_table(..., schedule=s)``) only
the steps where its Program may jump are candidates -- segment boundaries of
every layer, cycle starts and their bodies' boundaries, the stairs of a
staircase op -- and a cycle start where the value goes up for one step between
two falls (a restart in cycles of two or three steps) is a restart too.
Without it (a plain table) every step is a candidate, and a jump must also be
at least ``TINY`` of the largest ``|value|`` and have a neighbour to compare
with.  Between two phases that are not separated by an event the boundary is
the turning step: a phase ends where the next trend starts (a warmup to step
``W`` is ``[0, W)``, its decay starts at ``W``).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field

import numpy as np

from . import _validate as V
from ._program import CYCLES, MAX_STEP, POLY_CYCLES, TWO_POINT, Op
from ._schedule import Schedule
from .preview import ALL_CYCLES, EXACT_LIMIT, cycle_index, cycle_start, cycle_starts, poly_restarts, sample_steps, thin
from .tables import scaled, sum_in_units

# a change smaller than this fraction of the largest |value| is "no change"
_FLAT = 1e-12
# a jump is more than JUMP times the larger of its neighbouring changes (and, in a plain table, at least TINY
# of the largest |value|)
JUMP = 2.0
TINY = 1e-6

_STAIRS = (Op.EXP_STAIR, Op.INVTIME_STAIR)
_COSINES = (Op.COSINE, Op.COSINE_POW, Op.COSINE_HALVES, Op.COSINE_REAL)


@dataclass(frozen=True)
class Phase:
    """A maximal run of steps ``[start, stop)`` over which the schedule only rises, only falls or stays."""

    start: int
    stop: int
    trend: str  # "rises", "falls" or "flat"
    first: float  # the value at ``start``
    last: float  # the value at ``stop - 1``


@dataclass(frozen=True)
class Event:
    """A jump between steps ``step - 1`` (value ``before``) and ``step`` (value ``after``)."""

    step: int
    kind: str  # "restart", "drop" or "jump"
    before: float
    after: float


@dataclass(frozen=True)
class Description:
    steps: int
    start_value: float
    peak: float
    peak_at: int
    end_value: float
    warmup_end: int | None  # first step at the peak, when the schedule starts below it (the ramp's end, see no_decay)
    mean: float
    area: float  # sum of the values over the steps (lr x steps); inf past float64's range
    restarts: list[int]  # steps of the "restart" events
    phases: list[Phase]  # half-open, in order, each step in exactly one
    warnings: list[str] = field(default_factory=list)
    sampled: int | None = None  # past preview.EXACT_LIMIT steps: how many steps were read (None: all)
    events: list[Event] = field(default_factory=list)
    no_decay: bool = False  # the value rises and never falls: there is a rise but no decay

    def __str__(self):
        if self.no_decay:
            warmup = (f"ends at step {self.warmup_end:,}; no decay: the value keeps rising after it"
                      if self.warmup_end is not None else "none: the value rises over the whole run (no decay)")
        else:
            warmup = f"ends at step {self.warmup_end:,}" if self.warmup_end is not None else "none"
        lines = [
            f"steps    {self.steps:,}",
            f"start    {self.start_value:.6g}",
            f"peak     {self.peak:.6g} at step {self.peak_at:,}",
            f"end      {self.end_value:.6g} at step {self.steps - 1:,}",
            f"warmup   {warmup}",
            f"mean     {self.mean:.6g}",
            f"area     {self.area:.6g} (sum over the steps)",
            f"restarts {len(self.restarts)}" + (f" at steps {_few(self.restarts)}" if self.restarts else ""),
            f"events   {_events_line(self.events)}",
            f"phases   {len(self.phases)}, half-open [start, stop): each step in exactly one",
        ]  # fmt: skip
        for p in self.phases[:8]:
            lines.append(f"  {f'[{p.start:,}, {p.stop:,})':<30} {p.trend:<5} {p.first:.6g} -> {p.last:.6g}")
        if len(self.phases) > 8:
            lines.append(f"  ... {len(self.phases) - 8} more")
        if self.sampled is not None:
            lines.append(f"(from {self.sampled:,} sampled steps: every segment boundary and cycle start exact, events "
                         "at the sampled ones, mean and area estimated by the trapezoid rule; phases among the sampled)")
        for w in self.warnings:
            lines.append(f"warning: {w}")
        return "\n".join(lines)


def _g(x):
    """A value in few characters: 0.5, 1e-3, 3e-4, 0.25 (the shorter of %.6g and a plain exponent form)."""
    plain = f"{x:.6g}"
    if x == 0 or not math.isfinite(x):
        return plain
    mantissa, exponent = f"{x:.5e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    short = f"{mantissa}e{int(exponent)}"
    return short if len(short) < len(plain) else plain


def _few(steps, k=6):
    shown = ", ".join(f"{s:,}" for s in steps[:k])
    return shown + (f", ... ({len(steps)} in all)" if len(steps) > k else "")


def _events_line(events, k=6):
    if not events:
        return "none (no jump between two consecutive steps)"
    kinds = {}
    for e in events:
        kinds.setdefault(e.kind, []).append(e)
    parts = []
    for kind, es in kinds.items():
        shown = ", ".join(f"step {e.step:,} ({_g(e.before)} -> {_g(e.after)})" for e in es[:k])
        more = f", ... ({len(es):,} in all)" if len(es) > k else ""
        parts.append(f"{len(es):,} {kind}{'s' * (len(es) > 1)}: {shown}{more}")
    return "; ".join(parts)


# -- what the Program says ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Structure:
    """What a schedule's Program says about a run of ``steps`` steps."""

    edges: np.ndarray  # sorted steps in [1, steps) where the value may jump (from step - 1 to step)
    cycle_starts: np.ndarray  # sorted steps in [1, steps) where a cycle starts
    hold_from: int | None  # from this step on every layer holds its last value (None: some layer keeps changing)
    horizon: bool  # the hold is the end of a decay (not the last level of a piecewise constant schedule)
    ramp: tuple | None  # (length, init, target, next segment) of a rising first segment of a one-layer program
    program: object


def _sorted_unique(x):
    """``np.unique`` of an int array, by a sort (faster than its hashing for millions of steps)."""
    x = np.sort(x)
    return x[np.r_[True, x[1:] != x[:-1]]] if x.size else x


def _hold(layer):
    """``(step, is_a_horizon)`` from which ``layer`` holds its last value, or None if it keeps changing."""
    last = layer[-1]
    if last.op == Op.CONST:
        return last.start, any(s.op != Op.CONST for s in layer)
    if last.op in (Op.EXP, Op.EXP_STAIR):  # a clipped exponential holds its clip once it reaches it
        rate, lo, hi = last.f[2], last.f[3], last.f[4]
        bound = lo if rate < 1.0 else hi if rate > 1.0 else None
        if rate == 1.0:
            return last.start, False
        if bound is None or not (0.0 < bound < math.inf):
            return None
        x = math.log(bound) / math.log(rate)  # the exponent where the clip is reached
        t = last.i[0] * (math.ceil(x) if last.op == Op.EXP_STAIR else x)
        return (last.origin + math.ceil(t), True) if t < MAX_STEP else None
    return None


def _structure(program, steps, limit):
    edges, cycles = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for layer in program.layers():
        for k, seg in enumerate(layer):
            if seg.start >= steps:
                break
            end = min(layer[k + 1].start if k + 1 < len(layer) else steps, steps)
            edges.append(np.array([seg.start], np.int64))
            if seg.op in CYCLES:
                starts, lengths = cycle_starts(seg, end, limit)
                cycles.append(starts)
                edges.append(starts)
                for b in seg.body[1:]:
                    edges.append((starts + b.start)[b.start < lengths])
            elif seg.op in POLY_CYCLES:  # restarts one step after each multiple of L
                starts = poly_restarts(seg, end, limit)
                cycles.append(starts)
                edges.append(starts)
            elif seg.op in _STAIRS:  # the stairs origin + j T inside the segment
                period = seg.i[0]
                j0 = (seg.start - seg.origin) // period + 1
                j1 = (end - 1 - seg.origin) // period + 1
                if j1 > j0:
                    edges.append(seg.origin + thin(j0, j1, limit) * period)
    edges, cycles = _sorted_unique(np.concatenate(edges)), _sorted_unique(np.concatenate(cycles))
    holds = [_hold(layer) for layer in program.layers()]
    hold_from = None if any(h is None for h in holds) else max(h[0] for h in holds)
    horizon = hold_from is not None and any(h[1] for h in holds)
    ramp = None
    if program.n_layers == 1:
        layer = program.layers()[0]
        first = layer[0]
        if len(layer) > 1 and first.op in TWO_POINT and first.f[1] > first.f[0]:
            ramp = (layer[1].start, first.f[0], first.f[1], layer[1])
    return _Structure(edges=edges[(edges > 0) & (edges < steps)], cycle_starts=cycles[(cycles > 0) & (cycles < steps)],
                      hold_from=hold_from, horizon=horizon, ramp=ramp, program=program)  # fmt: skip


def _segments_at(program, step):
    """The segment that evaluates ``step`` in each layer (a cycle's body segment inside a cycle)."""
    out = []
    for layer in program.layers():
        seg = layer[bisect_right([s.start for s in layer], step) - 1]
        if seg.op in CYCLES:
            t = step - seg.origin
            tau = t - cycle_start(seg, cycle_index(seg, t))
            seg = seg.body[bisect_right([b.start for b in seg.body], tau) - 1]
        out.append(seg)
    return out


# -- the description ----------------------------------------------------------------------------------


@V.explain_arguments
def describe(schedule: Schedule, steps: int) -> Description:
    """Summarize ``schedule`` over steps ``0 .. steps - 1``: values, events, phases and warnings.

    Past ``preview.EXACT_LIMIT`` steps the values are read at ``preview.sample_steps`` and at every
    candidate jump the Program names (cycle-wise past ``preview.ALL_CYCLES`` cycles) with the steps
    either side, so each event found is exact.

    Examples
    --------
    >>> import lrsched
    >>> d = lrsched.describe(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100), 100)
    >>> d.peak, d.peak_at, d.warmup_end, len(d.restarts), d.warnings
    (1.0, 10, 10, 0, [])
    >>> [(p.start, p.stop, p.trend) for p in d.phases]
    [(0, 10, 'rises'), (10, 100, 'falls')]
    >>> lrsched.describe(lrsched.step(init_value=1.0, step_size=100, gamma=0.5), 300).events
    [Event(step=100, kind='drop', before=1.0, after=0.5), Event(step=200, kind='drop', before=0.5, after=0.25)]
    """
    if not isinstance(schedule, Schedule):
        V.fail("describe", "schedule", "a lrsched.Schedule", schedule, TypeError)
    steps = V.integer("describe", "steps", steps, minimum=1, maximum=MAX_STEP)
    if steps <= EXACT_LIMIT:
        return _describe(schedule.table(steps), None, steps, _structure(schedule.program, steps, None))
    st = _structure(schedule.program, steps, ALL_CYCLES)
    around = (st.edges[:, None] + np.arange(-2, 2)).ravel()  # each candidate jump with two steps before, one after
    at = np.union1d(sample_steps(schedule, steps), around[(around >= 0) & (around < steps)])
    return _describe(schedule(at), at, steps, st)


def describe_table(t, *, at=None, steps=None, schedule=None) -> Description:
    """``describe`` of values already computed: at steps 0 .. len(t) - 1, or at the sampled steps ``at``
    (sorted, from 0 to ``steps - 1``).  With ``schedule`` (the schedule ``t`` is of), jumps are looked
    for where its Program may jump (the module's rule); without it, by the numeric rule alone, and the
    warnings that need the Program (end above the peak, a warmup longer than the run) are not given."""
    steps = t.size if steps is None else steps
    st = None
    if schedule is not None:
        st = _structure(schedule.program, steps, None if at is None else ALL_CYCLES)
    return _describe(t, at, steps, st)


def _phases(t, d, jump, tol):
    """Phases of values ``t`` as index arrays ``(starts, stops, trends)`` (half-open), given their changes ``d``
    and which changes are jumps."""
    n = t.size
    if n == 1:
        return np.zeros(1, np.int64), np.ones(1, np.int64), np.zeros(1, np.int64)
    trend = np.where(d > tol, 1, np.where(d < -tol, -1, 0))
    # each index's outgoing trend; an index whose outgoing change is a jump ends its phase: it takes the
    # trend before it (or flat, when it is a phase of its own)
    lab = np.empty(n, np.int64)
    lab[:-1] = trend
    prev_jump = np.r_[True, jump[:-1]]  # the change into the index is a jump (or the index is 0)
    fill = jump & ~prev_jump
    lab[:-1][jump] = 0
    lab[:-1][fill] = trend[np.flatnonzero(fill) - 1]
    lab[-1] = 0 if jump[-1] else lab[-2]
    cut = np.zeros(n, bool)
    cut[0] = True
    cut[1:] = jump | (lab[1:] != lab[:-1])
    starts = np.flatnonzero(cut)
    return starts, np.r_[starts[1:], n], lab[starts]


def _marks(at, steps):
    """Per change of the values at ``at`` (into index 1 .. len - 1): whether it lands on one of ``steps`` (sorted)."""
    i = np.searchsorted(at, steps)
    inside = i < at.size
    i, hit = i[inside], steps[inside]
    i = i[(at[i] == hit) & (i > 0)]
    out = np.zeros(at.size - 1, bool)
    out[i - 1] = True
    return out


def _s_shaped(rate):
    """Whether per-step changes ``rate`` (of a rise) grow and then shrink, as a half-cosine's do."""
    if rate.size < 3:
        return False
    k = int(np.argmax(rate))
    return 0 < k < rate.size - 1 and rate[0] < 0.5 * rate[k] and rate[-1] < 0.5 * rate[k]


def _describe(t, at, steps, st):
    sampled = at is not None
    at = np.arange(t.size) if at is None else at
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
    d = np.diff(t).astype(np.float64)
    gap = np.diff(at)
    # -- events: the module's rule
    size = np.abs(d)
    rate = size / gap
    left, right = np.r_[np.nan, rate[:-1]], np.r_[rate[1:], np.nan]
    with np.errstate(invalid="ignore"):
        near = np.fmax(left, right)  # the larger neighbouring change per step (nan: no neighbour)
    one = gap == 1
    if st is not None:
        cand = one & _marks(at, st.edges)
        jump = cand & (size > tol) & (size > JUMP * np.nan_to_num(near, nan=0.0))
        # a one-step rise between two falls at a cycle start is a restart, however short the cycles
        down_left, down_right = np.r_[False, d[:-1] < -tol], np.r_[d[1:] < -tol, False]
        jump |= one & _marks(at, st.cycle_starts) & (d > tol) & down_left & down_right
    else:
        jump = one & ~np.isnan(near) & (size > max(tol, TINY * scale)) & (size > JUMP * np.nan_to_num(near, nan=0.0))
    fell = np.r_[False, d[:-1] < -tol]
    events = []
    for c in np.flatnonzero(jump):
        kind = "drop" if d[c] < 0 else "restart" if fell[c] else "jump"
        events.append(Event(int(at[c + 1]), kind, float(t[c]), float(t[c + 1])))
    restarts = [ev.step for ev in events if ev.kind == "restart"]
    names = {1: "rises", -1: "falls", 0: "flat"}
    a, b, k = _phases(t, d, jump, tol)
    stop_steps = np.r_[at[b[:-1]], steps]
    phases = [Phase(*row) for row in zip(at[a].tolist(), stop_steps.tolist(), [names[x] for x in k.tolist()],
                                         t[a].astype(np.float64).tolist(), t[b - 1].astype(np.float64).tolist())]
    # -- warmup: the first step at the peak when the value starts below it and does not fall before it
    warmup_end = peak_at if first < peak - tol and np.all(d[:peak_i] >= -tol) else None
    no_decay = False
    if warmup_end is not None and peak_i == t.size - 1 and not np.any(d < -tol):  # rises to the end: no warmup
        warmup_end, no_decay = None, True
    warnings = []
    if st is not None and st.ramp is not None:
        length, _, target, after = st.ramp
        if after.op in TWO_POINT and after.f[1] > after.f[0] and math.isclose(after.f[0], target, rel_tol=1e-9):
            no_decay = True
            warmup_end = length if length < steps else None
            warnings.append(f"end_value ({_g(after.f[1])}) is above the peak ({_g(target)}): is it swapped?")
        if length >= steps:
            than = "longer than" if length > steps else "as long as"
            warnings.append(f"the warmup ({length:,} steps) is {than} the run ({steps:,} steps): the peak is never "
                            "reached")  # fmt: skip
    # -- the horizon: the schedule holds its end value for the last tenth of the run or more
    changes = np.flatnonzero(size > tol)
    last_change = int(at[int(changes[-1]) + 1]) if changes.size else 0
    if st is not None:
        holds = st.horizon and st.hold_from < steps
    else:  # a plain table: not when every change is a jump (a staircase may have its next stair to come)
        holds = not np.all(jump[changes])
    if holds and steps >= 10 and last_change < 0.9 * steps and changes.size:
        held = float(t[int(changes[-1]) + 1])
        warnings.append(
            f"the schedule stops changing at step {last_change:,} and holds {held:.6g} for the "
            f"last {steps - last_change:,} steps ({(steps - last_change) / steps:.0%}): is its horizon shorter "
            f"than the run?"
        )
    if warmup_end is not None and not no_decay and 0 < peak_i < t.size - 1 and at[peak_i] - at[peak_i - 1] == 1:
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
    bad = bad[bad > 0] if first <= 0.0 and (warmup_end is not None or no_decay) else bad  # a warmup may start at 0
    if bad.size:
        many = f"{bad.size:,} step{'s' * (bad.size > 1)} before the last {'have' if bad.size > 1 else 'has'}"
        warnings.append(
            f"{'steps before the last have' if sampled else many} a value <= 0 (first at step {int(at[bad[0]]):,}: "
            f"{float(t[bad[0]]):.6g})"
        )
    # -- a gradual rise after the schedule fell, shaped like a half-cosine: a cosine past its horizon
    # (not a cyclic schedule's straight up-leg, a warmup inside a cycle, or a restart: those are by design)
    jumped = {ev.step for ev in events}
    looked = 0
    for p_prev, p in zip(phases, phases[1:]):
        if not (p.trend == "rises" and p_prev.trend == "falls" and p.start not in jumped and p.stop - p.start > 2):
            continue
        looked += 1
        if looked > 8:  # a periodic schedule rises alike in every period: the first few tell
            break
        if st is not None:
            cosine = any(s.op in _COSINES and s.f[1] > s.f[0] for s in _segments_at(st.program, p.start + 1))
        else:
            if sampled and events:  # samples strided across cycles rise from one cycle to the next: no evidence
                break
            a, b = np.searchsorted(at, [p.start, p.stop])  # the phase's indices a .. b - 1
            cosine = _s_shaped(rate[a : min(b, t.size - 1)])
        if cosine:
            warnings.append(
                f"the value rises again from step {p.start:,} ({p.first:.6g} -> {p.last:.6g} at step "
                f"{p.stop - 1:,}) after falling: a periodic cosine past its horizon?"
            )
            break
    return Description(
        steps=steps, start_value=first, peak=peak, peak_at=peak_at, end_value=float(t[-1]),
        warmup_end=warmup_end, mean=scaled(total / steps, e), area=scaled(total, e), restarts=restarts,
        phases=phases, warnings=warnings, sampled=int(t.size) if sampled else None, events=events,
        no_decay=no_decay,
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


@V.explain_arguments
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
