"""Run surgery: operations on the schedule of a running job, with exact hand-offs.

A run is planned, started, and then changed: a cooldown branched from a
checkpoint (the WSD workflow), a re-warm for continued pretraining, a longer
horizon, several decay periods.  Each operation here is a family of its own,
so a schedule's spec says what was done to it (``branch(warmup_constant(...),
at=40000, ...)``) and round-trips through ``to_dict``/``from_dict``/JSON.

The hand-off rule, one for every operation that starts something at a step
``at``: steps before ``at`` take the original schedule's values, and step
``at`` is the first step of the new piece, which starts *from the value the
run was at*, ``schedule.at(at)``, exactly (the same float).  So a run that
resumes from the checkpoint after update ``at - 1`` sees no jump at ``at``.

- ``shift(schedule, by)``: the schedule ``by`` steps later (or earlier) in global time.
- ``branch(schedule, at, steps=...)``: a decay from ``schedule.at(at)`` (a cooldown).
- ``rewarm(schedule, at, warmup_steps=...)``: a warmup from ``schedule.at(at)`` to a peak, then a schedule.
- ``multi_wsd(...)``: warmup once, then several stable + decay periods.
- ``extend(schedule, total_steps)``: the same family with another horizon; ``jump(old, new, at)``
  says what that (or any) change does at the current step, as a ``Change``.

``lrsched.Scheduler.change`` switches a running scheduler to a new schedule
and returns the ``Change``; ``Scheduler.load_state_dict(state, keep=True)``
resumes a saved run on this scheduler's (new) schedules and warns with it.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np

from . import _validate as V
from ._program import MAX_STEP, Op, Program, Segment
from ._schedule import Schedule, family, from_dict, make
from .phases import WSD_DECAYS, decay_segment
from .schedules import WARMUP_SHAPES, _program, _warmup_segment, _with_warmup

def _schedule_arg(fn, name, value):
    if not isinstance(value, Schedule):
        V.fail(fn, name, "a lrsched.Schedule", value, TypeError)
    return value


def _holding(value):
    return _program(Segment(0, Op.CONST, value))


def _after(schedule, at, program):
    """``schedule`` before step ``at``, ``program`` (in local time) from ``at`` on."""
    return Program.join([schedule.program, program], [at]) if at else program


# -- shift ---------------------------------------------------------------------------------------


@family("shift", schedule_args={"schedule": "one"})
def shift(schedule, by) -> Schedule:
    """``schedule`` moved ``by`` steps later (``by > 0``) or earlier (``by < 0``) in global time.

    .. math:: v(t) = s(\\min(\\max(t - b, 0), 2^{62}))

    - ``by > 0``: the value at step ``t >= by`` is ``schedule(t - by)``; before
      ``by`` it holds ``schedule.at(0)`` (the schedule has not started yet, so
      it holds its first value, as a core schedule holds its last one).
    - ``by < 0``: the value at step ``t`` is ``schedule(t + |by|)``; the last
      ``|by|`` steps up to 2**62 hold ``schedule.at(2**62)``, lrsched's last step.

    Parameters
    ----------
    schedule : Schedule
    by : int
        In [-2**62, 2**62]; 0 gives the schedule's values unchanged.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.linear(init_value=1.0, steps=4)
    >>> lrsched.shift(s, 2)(range(8)).tolist()
    [1.0, 1.0, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0]
    >>> lrsched.shift(s, -2)(range(4)).tolist()
    [0.5, 0.25, 0.0, 0.0]

    See also
    --------
    join (local time), warmup
    """
    fn = "shift"
    schedule = _schedule_arg(fn, "schedule", schedule)
    by = V.integer(fn, "by", by, minimum=-MAX_STEP)
    if by > 0:
        program = Program.join([_holding(schedule.at(0)), schedule.program], [by])
    elif by < 0:
        program = _advanced(schedule, -by)
    else:
        program = schedule.program
    return make(program, fn, schedule=schedule, by=by)


def _advanced(schedule, k):
    """``schedule``'s program ``k >= 1`` steps earlier: every segment starts ``k`` steps sooner and
    measures its local time from ``k`` steps sooner, the one that holds step ``k`` now starts at 0;
    from ``2**62 - k + 1`` on, the value at 2**62 (in the first layer; 1 in the others), so that no
    segment is evaluated past the step it was built for."""
    cap = MAX_STEP - k + 1
    layers = []
    for depth, layer in enumerate(schedule.program.layers()):  # fresh Segment objects, ours to move
        kept = []
        for s in layer:
            begin = s.start - k
            if begin >= cap:
                break
            s.origin -= k
            s.start = max(0, begin)
            if begin <= 0:
                kept = [s]  # the last segment that starts by step k holds step 0
            else:
                kept.append(s)
        kept.append(Segment(cap, Op.CONST, schedule.at(MAX_STEP) if depth == 0 else 1.0))
        layers.append(kept)
    return Program._stack(layers)


# -- branch --------------------------------------------------------------------------------------


@family("branch", schedule_args={"schedule": "one"})
def branch(schedule, at, *, steps, shape="1-sqrt", end_value=None, end_ratio=None, power=1.0) -> Schedule:
    """Follow ``schedule`` up to step ``at``, then decay from the value it is at (a cooldown).

    With ``v = schedule.at(at)`` and ``e`` the end value, ``p = (t - at) / steps``:

    .. math:: v(t) = s(t) \\;(t < a), \\qquad e + (v - e) f(p) \\;(a \\le t < a + L), \\qquad e \\;(t \\ge a + L)

    with ``f`` one of ``wsd``'s decays: ``1 - p`` (``"linear"``),
    ``(1 + cos(pi p)) / 2`` (``"cosine"``), ``1 - sqrt(p)`` (``"1-sqrt"``,
    also ``"minus_sqrt"``), ``2 ** (1 - p) - 1`` (``"exponential"``) or
    ``(1 - p) ** power`` (``"power"``).

    The boundary: step ``at`` is the decay's first step and its value is
    ``schedule.at(at)`` exactly, so the hand-off is continuous; step
    ``at - 1`` is ``schedule``'s; the end value is reached at step
    ``at + steps`` and held.  This is the WSD workflow: branch a cooldown
    from the checkpoint saved after update ``at - 1`` of a stable run.

    Parameters
    ----------
    schedule : Schedule
        The running schedule.
    at : int
        The first step of the decay.
    steps : int
        Its length ``L``, >= 1.
    shape : {"1-sqrt", "linear", "cosine", "minus_sqrt", "exponential", "power"}
    end_value : float, optional
        The value at the end, >= 0 (usually below ``v``; above it the curve rises by the same shape).
    end_ratio : float, optional
        Or the end as a fraction of ``v``, in [0, 1].  Give at most one of the two; neither is
        ``end_value=0``.
    power : float, default 1.0
        The exponent of ``shape="power"``, > 0.

    Examples
    --------
    >>> import lrsched
    >>> run = lrsched.warmup_constant(peak_value=1.0, warmup_steps=2)
    >>> s = lrsched.branch(run, 4, steps=4, shape="linear", end_ratio=0.2)
    >>> s(range(10)).round(6).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.2]

    See also
    --------
    wsd (one decay planned from the start), multi_wsd, rewarm
    """
    fn = "branch"
    schedule = _schedule_arg(fn, "schedule", schedule)
    at = V.integer(fn, "at", at)
    length = V.integer(fn, "steps", steps, minimum=1)
    shape = V.choice(fn, "shape", shape, WSD_DECAYS)
    power = V.real(fn, "power", power, minimum=0.0, low_open=True)
    start = schedule.at(at)
    if end_value is not None and end_ratio is not None:
        raise ValueError(f"{fn}: give `end_value` or `end_ratio`, not both, got end_value={V.shown(end_value)} "
                         f"and end_ratio={V.shown(end_ratio)}.")  # fmt: skip
    if end_ratio is not None:
        end_ratio = V.real(fn, "end_ratio", end_ratio, minimum=0.0, maximum=1.0)
        end = end_ratio * start
    else:
        end_value = 0.0 if end_value is None else V.value(fn, "end_value", end_value)
        end = end_value
    decay = _program(decay_segment(0, shape, start, end, length, power), Segment(length, Op.CONST, end))
    return make(_after(schedule, at, decay), fn, schedule=schedule, at=at, steps=length, shape=shape,
                end_value=end_value, end_ratio=end_ratio, power=power)  # fmt: skip


# -- rewarm --------------------------------------------------------------------------------------


@family("rewarm", schedule_args={"schedule": "one", "then": "one"})
def rewarm(schedule, at, *, warmup_steps, peak_value=None, then=None, shape="linear") -> Schedule:
    """Follow ``schedule`` up to step ``at``, then warm up again from the value it is at (continued pretraining).

    With ``v = schedule.at(at)``, ``W = warmup_steps`` and ``P`` the peak:
    ``schedule(t)`` for ``t < at``; a ramp of ``shape`` from ``v`` at ``at``
    to ``P`` at ``at + W``; then ``then(t - at - W)`` (``then`` starts at its
    own step 0 at ``at + W``, as ``warmup`` starts the schedule it wraps), or
    ``P`` held when ``then`` is None.

    The boundaries: step ``at`` is the ramp's first step, with the value
    ``schedule.at(at)`` exactly (no jump where the run resumes); step
    ``at + W`` is ``then``'s first, with ``then.at(0) = P``.

    Parameters
    ----------
    schedule : Schedule
        The schedule the run followed.
    at : int
        The first step of the new warmup.
    warmup_steps : int
        ``W``, >= 1.
    peak_value : float, optional
        ``P``, >= 0.  Left out, it is ``then.at(0)``: the ramp ends where
        ``then`` starts.  Given with ``then``, it must be ``then.at(0)`` (a
        ramp that stops short of ``then`` would jump); without ``then`` it is
        required.
    then : Schedule, optional
        The schedule after the warmup, in its local time (for instance a
        cosine decay over the new data).
    shape : {"linear", "cosine", "exponential", "1-sqrt", "log"}
        The ramp's shape, as ``warmup``'s.

    Examples
    --------
    >>> import lrsched
    >>> run = lrsched.cosine(init_value=1.0, steps=4, end_value=0.2)
    >>> s = lrsched.rewarm(run, 6, warmup_steps=2, then=lrsched.linear(init_value=0.6, steps=2, end_value=0.1))
    >>> s(range(12)).round(6).tolist()
    [1.0, 0.882843, 0.6, 0.317157, 0.2, 0.2, 0.2, 0.4, 0.6, 0.35, 0.1, 0.1]

    See also
    --------
    warmup, branch
    """
    fn = "rewarm"
    schedule = _schedule_arg(fn, "schedule", schedule)
    at = V.integer(fn, "at", at)
    w = V.integer(fn, "warmup_steps", warmup_steps, minimum=1)
    shape = V.choice(fn, "shape", shape, WARMUP_SHAPES)
    if then is not None:
        then = _schedule_arg(fn, "then", then)
    if peak_value is not None:
        peak_value = V.value(fn, "peak_value", peak_value)
    if then is None and peak_value is None:
        V.fail(fn, "peak_value", "given when `then` is None (the peak to warm up to)", peak_value)
    peak = then.at(0) if then is not None else peak_value
    if then is not None and peak_value is not None and peak_value != peak:
        V.fail(fn, "peak_value", f"then.at(0) = {peak!r} (the ramp ends where `then` starts) or None", peak_value)
    after = then.program if then is not None else _holding(peak)
    ramp = Program.join([_program(_warmup_segment(shape, schedule.at(at), peak, w)), after], [w])
    extra = {} if then is None else {"then": then}  # a spec without `then` is the default, None
    return make(_after(schedule, at, ramp), fn, schedule=schedule, at=at, warmup_steps=w, peak_value=peak_value,
                **extra, shape=shape)  # fmt: skip


# -- multi-period WSD ------------------------------------------------------------------------------


@family("multi_wsd")
def multi_wsd(
    *, peak_value, warmup_steps, periods, decay_steps, init_value=0.0, warmup_shape="linear",
    decay_shape="1-sqrt", power=1.0, min_ratio=0.0, rewarm_steps=0, rewarm_shape="linear",
) -> Schedule:  # fmt: skip
    """Multi-period warmup-stable-decay: warm up once, then several stable + decay periods.

    After the warmup (``warmup_steps = W`` steps from ``init_value`` to
    ``peak_value``), period ``k`` occupies ``L_k = periods[k]`` steps from
    ``P_k = W + L_0 + ... + L_{k-1}``:

    - from period 1 on, ``rewarm_steps = R`` steps ramp (``rewarm_shape``)
      from ``v_min = min_ratio * peak_value`` back to ``peak_value``
      (``R = 0``: straight back to the peak, as WSD-S);
    - the stable phase holds ``peak_value``;
    - the last ``D_k`` steps decay from ``peak_value`` to ``v_min`` by
      ``decay_shape`` (``wsd``'s decays), reaching ``v_min`` at ``P_{k+1}``.

    After the last period the value holds ``v_min``.  The boundaries:
    ``P_{k+1}`` is the first step of period ``k + 1`` (the ramp's start,
    ``v_min``, or the peak when ``R = 0``), so the checkpoint after update
    ``P_{k+1} - 1`` is the decayed model of period ``k``.  With one period
    and ``R = 0`` this is ``wsd`` with ``total_steps = W + L_0``.

    Parameters
    ----------
    peak_value : float
        >= 0.
    warmup_steps : int
        ``W``, >= 0.
    periods : list of int
        The periods' lengths ``L_k``, each >= 1 (at least one period).
    decay_steps : int, float or list of int
        ``D_k``: an int (the same number of steps in every period), a float
        in (0, 1] (that fraction of each period, rounded up), or one int per
        period.  Each ``D_k`` is >= 1, ``D_0 <= L_0`` and ``R + D_k <= L_k``.
    init_value : float, default 0.0
        The value at step 0.
    warmup_shape, rewarm_shape : {"linear", "cosine", "exponential", "1-sqrt", "log"}
    decay_shape : {"1-sqrt", "linear", "cosine", "minus_sqrt", "exponential", "power"}
    power : float, default 1.0
        The exponent of ``decay_shape="power"``, > 0.
    min_ratio : float, default 0.0
        ``v_min / peak_value``, in [0, 1].
    rewarm_steps : int, default 0
        ``R``, >= 0.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.multi_wsd(peak_value=1.0, warmup_steps=2, periods=[4, 5], decay_steps=2,
    ...                       decay_shape="linear", min_ratio=0.1, rewarm_steps=2)
    >>> s(range(13)).round(6).tolist()
    [0.0, 0.5, 1.0, 1.0, 1.0, 0.55, 0.1, 0.55, 1.0, 1.0, 0.55, 0.1, 0.1]

    See also
    --------
    wsd (one period), branch (a cooldown branched from a running schedule)
    """
    fn = "multi_wsd"
    peak = V.value(fn, "peak_value", peak_value)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    lengths = V.sequence(fn, "periods", periods, min_len=1)
    lengths = tuple(V.integer(fn, f"periods[{k}]", n, minimum=1) for k, n in enumerate(lengths))
    if w + sum(lengths) > MAX_STEP:
        V.fail(fn, "periods", f"lengths whose sum with warmup_steps={w} is <= 2**62", list(lengths))
    init = V.value(fn, "init_value", init_value)
    wshape = V.choice(fn, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    dshape = V.choice(fn, "decay_shape", decay_shape, WSD_DECAYS)
    rshape = V.choice(fn, "rewarm_shape", rewarm_shape, WARMUP_SHAPES)
    power = V.real(fn, "power", power, minimum=0.0, low_open=True)
    ratio = V.real(fn, "min_ratio", min_ratio, minimum=0.0, maximum=1.0)
    r = V.integer(fn, "rewarm_steps", rewarm_steps)
    decays, d_arg = _period_decays(fn, decay_steps, lengths)
    for k, (n, d) in enumerate(zip(lengths, decays)):
        ramp = r if k else 0
        if ramp + d > n:
            what = f"rewarm_steps + decay steps = {r} + {d}" if k else f"its decay steps {d}"
            V.fail(fn, f"periods[{k}]", f">= {what} (period {k} holds them)", n)
    low = ratio * peak
    pieces = []
    for k, (n, d) in enumerate(zip(lengths, decays)):
        segments = []
        if k and r:
            segments.append(_warmup_segment(rshape, low, peak, r))
        segments.append(Segment(r if k else 0, Op.CONST, peak))
        segments += [decay_segment(n - d, dshape, peak, low, d, power), Segment(n, Op.CONST, low)]
        pieces.append(Program.from_segments(segments))
    starts = [sum(lengths[:k]) for k in range(1, len(lengths))]
    program = _with_warmup(Program.join(pieces, starts), peak, w, init, wshape)
    return make(
        program, fn, peak_value=peak, warmup_steps=w, periods=lengths, decay_steps=d_arg, init_value=init,
        warmup_shape=wshape, decay_shape=dshape, power=power, min_ratio=ratio, rewarm_steps=r, rewarm_shape=rshape,
    )  # fmt: skip


def _period_decays(fn, decay_steps, lengths):
    """Each period's decay steps, and the argument as the spec keeps it (an int, a float or a tuple)."""
    if isinstance(decay_steps, (list, tuple, np.ndarray)):
        items = V.sequence(fn, "decay_steps", decay_steps, min_len=1)
        if len(items) != len(lengths):
            raise ValueError(f"{fn}: `decay_steps` must have one item per period ({len(lengths)}), "
                             f"got {len(items)} items.")  # fmt: skip
        out = tuple(V.integer(fn, f"decay_steps[{k}]", d, minimum=1) for k, d in enumerate(items))
        return out, out
    if V._is_int(decay_steps):
        d = V.integer(fn, "decay_steps", decay_steps, minimum=1)
        return tuple(d for _ in lengths), d
    frac = V.real(fn, "decay_steps", decay_steps, minimum=0.0, maximum=1.0, low_open=True)
    return tuple(math.ceil(frac * n) for n in lengths), frac


# -- extend and jump -------------------------------------------------------------------------------

# family -> its horizon argument, counted from the family's step 0
_TOTAL_STEPS = ("warmup_cosine", "warmup_linear", "warmup_polynomial", "wsd", "cosine_restarts", "one_cycle",
                "one_cycle_momentum")  # fmt: skip
HORIZONS = {
    **{name: "steps" for name in ("linear", "cosine", "polynomial", "tanh")},
    **{name: "total_steps" for name in _TOTAL_STEPS},
}
# composites whose horizon is that of a schedule inside them (see ``_extended``)
_THROUGH = ("scale", "noise", "warmup", "shift", "join", "branch", "rewarm", "multi_wsd")


@V.explain_arguments
def extend(schedule, total_steps, *, at=None) -> Schedule:
    """The same schedule with another horizon: its spec with the horizon argument set to ``total_steps``.

    The horizon is the argument that says where a family ends, counted from
    step 0 of the whole schedule: ``steps`` of linear, cosine, polynomial and
    tanh; ``total_steps`` of warmup_cosine, warmup_linear,
    warmup_polynomial, wsd (its decay keeps its own length, or fraction),
    cosine_restarts, one_cycle and one_cycle_momentum.  Through a composite
    it is the horizon of the part that runs last: the wrapped schedule of
    scale, noise, warmup and shift; the last piece of join; the decay of
    branch; the ``then`` of rewarm; the last period of multi_wsd.  Other
    families have none, and are refused by name.

    The result is built by the family's own factory from the changed spec,
    as ``from_dict`` would; its values before the current step may differ
    from the old ones (they are in the past).  What changes at the current
    step is ``jump(schedule, result, at)``; with ``at`` given, a change of
    value there is also reported as a ``UserWarning`` (never silently).

    Parameters
    ----------
    schedule : Schedule
    total_steps : int
        The new horizon, >= 1.
    at : int, optional
        The step the run is at.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110)
    >>> longer = lrsched.extend(s, 210)
    >>> longer == lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=210)
    True
    >>> print(lrsched.jump(s, longer, 60))
    schedule change at step 60 (old -> new):
      value: 0.5 -> 0.853553  (+70.71%)
    """
    fn = "extend"
    schedule = _schedule_arg(fn, "schedule", schedule)
    total = V.integer(fn, "total_steps", total_steps, minimum=1)
    if at is not None:
        at = V.integer(fn, "at", at)
    spec = _extended(schedule.to_dict(), total, "schedule")
    try:
        new = from_dict(spec)
    except (ValueError, TypeError) as e:  # the family's own rule, e.g. total_steps <= warmup_steps
        raise ValueError(f"{fn}: `total_steps`={total} does not fit the schedule: {e}") from None
    if at is not None:
        change = jump(schedule, new, at)
        if change.changed:
            warnings.warn(f"{fn}: the value changes at the current step; {change}", UserWarning, stacklevel=2)
    return new


def _extended(spec, total, where, run=None):
    """``spec`` (a plain dict, ours to change) whose horizon ends at step ``total`` of its own time line.

    A spec with a run's facts (``"run"``, see ``lrsched.Run``) may give its
    lengths in units: the steps where an inner part starts are resolved by them.
    """
    kind = spec["type"]
    if kind in HORIZONS:
        spec[HORIZONS[kind]] = total
        return spec
    if "run" in spec:
        from .units import Run

        run = Run(**spec["run"])  # from_dict of the spec checked the facts
    g = spec.get

    def steps(key):
        v = g(key)
        return v if run is None else run.updates(v, name=f"{where}[{key!r}]")

    if kind in ("scale", "noise"):
        inner = ("schedule", 0)
    elif kind == "warmup":
        inner = ("schedule", steps("warmup_steps"))
    elif kind == "shift":
        inner = ("schedule", g("by"))
    elif kind == "join":
        bounds = g("boundaries")
        last = bounds[-1] if bounds else 0
        inner = (len(bounds), last if run is None else run.updates(last, name=f"{where}['boundaries']"))
    elif kind == "rewarm" and g("then") is not None:
        inner = ("then", steps("at") + steps("warmup_steps"))
    elif kind == "branch":
        spec["steps"] = _rest(total, steps("at"), "branch's decay starts", where)
        return spec
    elif kind == "multi_wsd":
        before = steps("warmup_steps") + sum(p if run is None else run.updates(p) for p in g("periods")[:-1])
        spec["periods"] = [*g("periods")[:-1], _rest(total, before, "multi_wsd's last period starts", where)]
        return spec
    else:
        has = ", ".join(sorted(HORIZONS))
        how = "a rewarm without `then`" if kind == "rewarm" else f"a {kind!r} schedule"
        raise ValueError(
            f"extend: `schedule` must have a horizon to change (one of {has}, or {', '.join(_THROUGH)} of one), "
            f"got {how} at {where}, which has none."
        )
    key, offset = inner
    rest = _rest(total, offset, f"{kind}'s {'last piece' if kind == 'join' else key} starts", where)
    if kind == "join":
        spec["schedules"][key] = _extended(spec["schedules"][key], rest, f"{where}['schedules'][{key}]", run)
    else:
        spec[key] = _extended(spec[key], rest, f"{where}[{key!r}]", run)
    return spec


def _rest(total, offset, what, where):
    """The steps from ``offset`` to ``total``: at least one, and within lrsched's steps."""
    rest = total - offset
    if not 1 <= rest <= MAX_STEP:
        bound = f"> {offset}" if rest < 1 else f"<= {MAX_STEP + offset} (2**62 past {offset})"
        raise ValueError(f"extend: `total_steps` must be {bound}, where {what} (at {where}), "
                         f"got total_steps={total}.")  # fmt: skip
    return rest


class Jump(NamedTuple):
    """One value a change moves: ``old`` and ``new`` at the change's step (``field``/``group`` None for a bare
    schedule)."""

    field: str | None
    group: int | None
    old: float
    new: float

    @property
    def relative(self) -> float:
        """``(new - old) / old``: 0.0 when both are 0, ``inf`` from 0 to anything else (never nan)."""
        if self.old == 0.0:
            return 0.0 if self.new == 0.0 else math.inf
        return (self.new - self.old) / self.old


@V.explain_arguments
class Change:
    """What a change of schedule does at one step: for each (field, group) the old and new value.

    ``step``: the step; ``rows``: a tuple of ``Jump`` (``field``, ``group``,
    ``old``, ``new`` and the ``relative`` jump); ``changed``: whether any value
    moves.  ``str(change)`` is a small table, one line per row.  Returned by
    ``jump``, ``Scheduler.change`` and ``Scheduler.load_state_dict(keep=True)``.
    """

    __slots__ = ("rows", "step")

    def __init__(self, step, rows):
        self.step = step
        self.rows = tuple(Jump(*row) for row in rows)

    @property
    def changed(self) -> bool:
        return any(r.old != r.new for r in self.rows)

    @property
    def largest(self) -> float:
        """The largest ``|relative|`` jump (0.0 with no rows)."""
        return max((abs(r.relative) for r in self.rows), default=0.0)

    def __eq__(self, other):
        if not isinstance(other, Change):
            return NotImplemented
        return self.step == other.step and self.rows == other.rows

    __hash__ = None

    def __reduce__(self):
        return (Change, (self.step, [tuple(r) for r in self.rows]))

    def __repr__(self):
        return f"Change(step={self.step}, rows={list(self.rows)!r})"

    def __str__(self):
        lines = [f"schedule change at step {self.step} (old -> new):"]
        for r in self.rows:
            where = "value" if r.field is None else f"{r.field} group {r.group}" if r.group is not None else r.field
            if r.old == r.new:
                how = "no change"
            elif r.old == 0.0:
                how = "from 0"
            else:
                how = f"{r.relative:+.2%}"
            lines.append(f"  {where}: {r.old:.6g} -> {r.new:.6g}  ({how})")
        return "\n".join(lines)


@V.explain_arguments
def jump(old, new, at) -> Change:
    """The values of ``old`` and ``new`` at step ``at``, as a ``Change`` (what switching from one to the
    other at ``at`` does).

    Examples
    --------
    >>> import lrsched
    >>> c = lrsched.jump(lrsched.constant(2.0), lrsched.constant(1.5), 10)
    >>> c.rows[0].old, c.rows[0].new, c.rows[0].relative
    (2.0, 1.5, -0.25)
    """
    fn = "jump"
    old = _schedule_arg(fn, "old", old)
    new = _schedule_arg(fn, "new", new)
    at = V.integer(fn, "at", at)
    return Change(at, [(None, None, old.at(at), new.at(at))])
