"""Cyclic families: repeat, SGDR (warm restarts), cosine with hard restarts, cyclic (triangular).

All of them lower to one ``CYCLE`` segment whose body holds one cycle, so a
10-step cycle over 10**9 steps costs the same memory as one cycle.  Cycle
index and position are exact integers at every step up to 2**62.
"""

from __future__ import annotations

import math

from . import _validate as V
from ._program import CYCLE_PER_STEP, CYCLE_STRETCH, MAX_STEP, PEAK_A, PEAK_B, Op, Program, Segment
from ._schedule import Schedule, family, make
from .schedules import _end_of, _with_warmup, warmup_cosine

_BEYOND = MAX_STEP + 1

SGDR_SHAPES = ("cosine", "linear", "polynomial")
DECAY_MODES = ("peak", "amplitude")  # what a cycle_decay multiplies
CYCLIC_MODES = ("triangular", "triangular2", "exp_range")


def _cycle(body, *, first, m=1, mult=0.0, period=0.0, anchor=0.0, decay=1.0, peaks=False, gamma=1.0, flags=0):
    """A CYCLE segment at local step 0 (see ``_program.py`` for the layout)."""
    return Segment(
        0, Op.CYCLE, anchor, 0.0, (decay, float(peaks), mult, gamma, period), length=first, ints=(m, 0, 0, flags),
        body=body,
    )  # fmt: skip


def float_cycle_start(i, period, mult):
    """First step of cycle ``i`` when cycle lengths are not integers.

    ``round(period * G(i))`` with ``G(i) = i`` for ``mult = 1`` and
    ``(mult**i - 1) / (mult - 1)`` otherwise, halves rounded up -- the same
    IEEE operations and libm calls as the kernels' ``_float_start`` (compiled
    without contraction), so a cycle limit set here falls exactly where the
    kernels start that cycle (``tests/test_cycles.py`` compares the two).
    """
    i, period, mult = int(i), float(period), float(mult)
    if mult == 1.0:
        x = period * i
    else:
        try:
            x = period * math.expm1(i * math.log(mult)) / (mult - 1.0)
        except OverflowError:  # the kernels' expm1 is inf there
            x = math.inf
    if not x < 4.6116860184273879e18:  # past 2**62 (or inf): beyond every step
        return MAX_STEP + 1
    r = math.floor(x)
    return int(r) + (1 if x - r >= 0.5 else 0)


def _cycles_start(n, first, m, mult, period):
    """First step of cycle ``n`` (the end of cycles 0 .. n-1), exactly."""
    if m == 1:
        return first * n
    if m > 1:
        return first * (m**n - 1) // (m - 1)
    return float_cycle_start(n, period, mult)


def _then_hold(cycle_segment, end_at, value):
    """The cycles, then ``value`` from step ``end_at`` on (if that is reachable)."""
    segments = [cycle_segment]
    if end_at <= MAX_STEP:
        segments.append(Segment(end_at, Op.CONST, value))
    return Program.from_segments(segments)


@family("repeat", schedule_args={"schedule": "one"})
def repeat(schedule, period) -> Schedule:
    """``schedule`` made periodic: the value at step ``t`` is ``schedule(t % period)``.

    Parameters
    ----------
    schedule : Schedule
        Any schedule without cycles of its own.
    period : int
        >= 1.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.repeat(lrsched.linear(init_value=1.0, steps=4), 2)(range(6))
    array([1.  , 0.75, 1.  , 0.75, 1.  , 0.75])
    """
    fn = "repeat"
    if not isinstance(schedule, Schedule):
        V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
    period = V.integer(fn, "period", period, minimum=1)
    if schedule.program.has_cycles:
        V.fail(fn, "schedule", "a schedule without cycles (repeat the inner schedule instead)", schedule)
    layers = [[_cycle([s for s in layer if s.start < period], first=period)] for layer in schedule.program.layers()]
    return make(Program._stack(layers), fn, schedule=schedule, period=period)


def _multiplier(fn, value):
    """cycle_mult: an integer >= 1 (exact lengths) or a float >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not V._is_real(value):
        V.fail(fn, "cycle_mult", "a number >= 1", value, TypeError)
    if V._is_int(value):
        return V.integer(fn, "cycle_mult", value, minimum=1, maximum=2**31)
    return V.real(fn, "cycle_mult", value, minimum=1.0, maximum=2.0**31)


@family("sgdr")
def sgdr(
    peak_value, cycle_steps, cycle_mult=1, end_value=None, cycle_decay=1.0, cycle_limit=None, *,
    shape="cosine", power=1.0, k=1.0, warmup_steps=0, decay_mode="peak", end_ratio=None,
) -> Schedule:  # fmt: skip
    """Warm restarts (SGDR): cycles that each decay from a peak to ``end_value``, then restart.

    Cycle ``i`` (from 0) lasts ``L_i = cycle_steps * cycle_mult**i`` steps; inside it,
    at local step ``tau``,

    .. math:: v = e + A_i\\, g(\\tau / L_i)

    with ``e = end_value`` and the amplitude ``A_i = peak_value * cycle_decay**i - e``
    (``decay_mode="peak"``: the peak decays, timm's ``cycle_decay``) or
    ``A_i = (peak_value - e) * cycle_decay**i`` (``decay_mode="amplitude"``: the
    height above the fixed floor ``e`` decays, Keras' ``m_mul``; the two agree
    where ``e = 0``),

    with ``g`` the half cosine ``(1 + cos(pi x)) / 2`` (``shape="cosine"``),
    ``1 - x`` (``"linear"``) or ``(1 - x)^power`` (``"polynomial"``), ``x``
    raised to ``k`` first (timm's k-decay).  With ``warmup_steps = W`` every
    cycle first rises linearly from ``e`` to ``p_i`` over ``W`` steps and decays
    over the remaining ``L_i - W``.  After ``cycle_limit`` cycles the value
    holds ``end_value``.

    Cycle index and position are exact: for an integer ``cycle_mult`` the
    lengths are exact integers; for a float one, cycle ``i`` starts at step
    ``round(cycle_steps * (cycle_mult**i - 1) / (cycle_mult - 1))`` (halves up).
    Unlike torch's ``CosineAnnealingWarmRestarts.step(epoch)`` and timm, no
    float ``log`` decides which cycle a restart step is in.  (A cycle that
    would run past step 2**62 ends there; no run gets that far.)

    Parameters
    ----------
    peak_value : float
        Peak of the first cycle, >= ``end_value``.
    cycle_steps : int
        Length of the first cycle (torch's ``T_0``), > ``warmup_steps``.
    cycle_mult : int or float, default 1
        Length multiplier per cycle (torch's ``T_mult``), >= 1.
    end_value : float, default 0.0
        The value each cycle decays to (torch's ``eta_min``), >= 0.
    cycle_decay : float, default 1.0
        Peak (or amplitude) multiplier per cycle (timm's ``cycle_decay``, Keras' ``m_mul``), > 0;
        above 1 (growing cycles) only with a ``cycle_limit``, so that every value stays finite.
    cycle_limit : int, optional
        Number of cycles; ``end_value`` after them.
    decay_mode : {"peak", "amplitude"}
        What ``cycle_decay`` multiplies: the peak (timm) or the height above ``end_value`` (Keras).
    end_ratio : float, optional
        ``end_value`` as a fraction of ``peak_value`` (Keras' ``alpha``), in [0, 1]; not with ``end_value``.
    shape : {"cosine", "linear", "polynomial"}
    power : float, default 1.0
        The cosine's exponent or the polynomial's power, > 0.
    k : float, default 1.0
        k-decay exponent, > 0.
    warmup_steps : int, default 0
        Linear warmup at the start of every cycle.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.sgdr(1.0, 2, cycle_mult=2, end_value=0.1)   # torch's T_0=2, T_mult=2 fixture
    >>> s(range(7)).round(4)
    array([1.    , 0.55  , 1.    , 0.8682, 0.55  , 0.2318, 1.    ])

    See also
    --------
    torch.optim.lr_scheduler.CosineAnnealingWarmRestarts, timm.scheduler.CosineLRScheduler,
    keras.optimizers.schedules.CosineDecayRestarts
    """
    fn = "sgdr"
    peak = V.value(fn, "peak_value", peak_value)
    end, ends = _end_of(fn, peak, end_value, end_ratio)
    if end > peak:
        V.fail(fn, "end_value", f"<= peak_value={peak}", end_value)
    first = V.integer(fn, "cycle_steps", cycle_steps, minimum=1)
    mult = _multiplier(fn, cycle_mult)
    decay = V.real(fn, "cycle_decay", cycle_decay, minimum=0.0, low_open=True)
    limit = None if cycle_limit is None else V.integer(fn, "cycle_limit", cycle_limit, minimum=1)
    mode = V.choice(fn, "decay_mode", decay_mode, DECAY_MODES)
    if decay > 1.0 and limit is None:
        V.fail(fn, "cycle_decay", "<= 1 without a cycle_limit (growing cycles would overflow)", cycle_decay)
    shape = V.choice(fn, "shape", shape, SGDR_SHAPES)
    power = V.real(fn, "power", power, minimum=0.0, low_open=True)
    k = V.real(fn, "k", k, minimum=0.0, low_open=True)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    if w >= first:
        V.fail(fn, "warmup_steps", f"< cycle_steps={first} (each cycle needs a decay)", warmup_steps)

    body = []
    keep = decay == 1.0 or mode == "amplitude"  # decaying peaks from peak == end still rise and fall later
    if w:
        body.append(Segment(0, Op.LINEAR, end, peak, length=w, ints=(0, 0, 0, 0, PEAK_B), collapse=keep))
    op, shape_params = (Op.COSINE, (power, k)) if shape == "cosine" else (Op.POLY, (1.0 if shape == "linear" else power, k))
    body.append(Segment(w, op, peak, end, shape_params, length=first - w, ints=(0, 0, 0, 0, PEAK_A), collapse=keep))
    m, fmult, period = (int(mult), 0.0, 0.0) if float(mult).is_integer() else (0, float(mult), float(first))
    cyc = _cycle(body, first=first, m=m, mult=fmult, period=period, anchor=end, decay=decay,
                 peaks=mode == "peak", flags=CYCLE_STRETCH)  # fmt: skip
    end_at = _BEYOND if limit is None else _cycles_start(limit, first, m, fmult, period)
    program = _then_hold(cyc, end_at, end)
    if decay > 1.0 and not math.isfinite(program.bound()):  # only growing cycles can overflow
        V.fail(fn, "cycle_decay", f"small enough that {limit} cycles stay finite", cycle_decay)
    extra = {} if mode == "peak" else {"decay_mode": mode}
    return make(
        program, fn, peak_value=peak, cycle_steps=first, cycle_mult=mult, **ends, cycle_decay=decay,
        cycle_limit=limit, shape=shape, power=power, k=k, warmup_steps=w, **extra,
    )  # fmt: skip


@family("restarts", schedule_args={"cycles": "specs_or_args"})
def restarts(cycles) -> Schedule:
    """Warm restarts with one explicit cycle each: optax's ``sgdr_schedule``, value for value.

    Cycle ``k`` is ``warmup_cosine(**cycles[k])`` in its own time: a warmup from
    its ``init_value`` to its ``peak_value``, then a cosine to its ``end_value``
    at its ``total_steps``, where cycle ``k + 1`` starts.  The last cycle holds its
    end value.  Each dict takes ``warmup_cosine``'s arguments, and optax's
    ``decay_steps`` for ``total_steps`` (a cycle's whole length, warmup included),
    so optax's own ``cosine_kwargs`` work unchanged.

    Parameters
    ----------
    cycles : list of dict or Schedule
        At least one: dicts of ``warmup_cosine`` arguments, or ``warmup_cosine`` schedules.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.restarts([dict(peak_value=1.0, warmup_steps=1, total_steps=3),
    ...                       dict(peak_value=0.5, warmup_steps=0, decay_steps=2, end_value=0.1)])
    >>> s(range(6)).round(4).tolist()
    [0.0, 1.0, 0.5, 0.5, 0.3, 0.1]

    See also
    --------
    optax.sgdr_schedule, sgdr (cycles from a rule), join
    """
    fn = "restarts"
    if not isinstance(cycles, (list, tuple)):
        V.fail(fn, "cycles", "a list of dicts of warmup_cosine arguments", cycles, TypeError)
    if not cycles:
        V.fail(fn, "cycles", "a list of at least one cycle", cycles)
    pieces, boundaries, at = [], [], 0
    for k, c in enumerate(cycles):
        where = f"{fn}: cycles[{k}]: "
        if isinstance(c, Schedule) and c.to_dict()["type"] == "warmup_cosine":
            c = {key: v for key, v in c.to_dict().items() if key != "type"}
        if not isinstance(c, dict):
            V.fail(fn, f"cycles[{k}]", "a dict of warmup_cosine arguments or a warmup_cosine schedule", c, TypeError)
        c = dict(c)
        if "decay_steps" in c:  # optax's name
            if "total_steps" in c:
                raise ValueError(f"{where}give `total_steps` or optax's `decay_steps`, not both, got "
                                 f"total_steps={V.shown(c['total_steps'])} and decay_steps={V.shown(c['decay_steps'])}.")
            c["total_steps"] = c.pop("decay_steps")
        try:
            piece = warmup_cosine(**c)
        except V.ArgumentError as e:
            raise e.replace(prefix=where) from None
        except (TypeError, ValueError) as e:
            raise type(e)(where + str(e)) from None
        pieces.append(piece)
        at += piece.to_dict()["total_steps"]
        boundaries.append(at)
    if at > MAX_STEP:
        V.fail(fn, "cycles", f"cycles of at most 2**62 steps in all (they sum to {at})", f"[{len(cycles)} cycles]")
    return make(Program.join([p.program for p in pieces], boundaries[:-1]), fn, cycles=pieces)


@family("cosine_restarts")
def cosine_restarts(*, peak_value, total_steps, num_cycles, end_value=0.0, warmup_steps=0, init_value=0.0) -> Schedule:
    """Linear warmup, then ``num_cycles`` equal cosine cycles with hard restarts until ``total_steps``.

    The ``total_steps - warmup_steps`` decay steps are split into ``num_cycles``
    cycles of ``P = (total_steps - warmup_steps) / num_cycles`` steps; when
    ``P`` is not an integer, cycle ``i`` starts at ``round(i * P)`` (halves
    up) after the warmup.  Each cycle decays from ``peak_value`` to
    ``end_value``; after ``total_steps`` the value holds ``end_value``.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.cosine_restarts(peak_value=1.0, total_steps=10, num_cycles=2, warmup_steps=2)
    >>> s(range(11)).round(4).tolist()   # transformers' cosine_with_restarts fixture
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0, 0.8536, 0.5, 0.1464, 0.0]

    See also
    --------
    transformers.get_cosine_with_hard_restarts_schedule_with_warmup
    """
    fn = "cosine_restarts"
    peak = V.value(fn, "peak_value", peak_value)
    end = V.value(fn, "end_value", end_value)
    total = V.integer(fn, "total_steps", total_steps, minimum=1)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    init = V.value(fn, "init_value", init_value)
    if total <= w:
        V.fail(fn, "total_steps", f"> warmup_steps={w}", total_steps)
    span = total - w
    n = V.integer(fn, "num_cycles", num_cycles, minimum=1)
    if n > span:
        V.fail(fn, "num_cycles", f"<= total_steps - warmup_steps = {span} (each cycle needs a step)", num_cycles)
    body = [Segment(0, Op.COSINE, peak, end, length=1)]  # stretched to each cycle's length
    if span % n == 0:
        cyc = _cycle(body, first=span // n, flags=CYCLE_STRETCH)
    else:
        cyc = _cycle(body, first=1, m=0, mult=1.0, period=span / n, flags=CYCLE_STRETCH)
    program = _then_hold(cyc, span, end)
    program = _with_warmup(program, peak, w, init, "linear")
    return make(
        program, fn, peak_value=peak, total_steps=total, num_cycles=n, end_value=end, warmup_steps=w, init_value=init
    )


@family("cyclic")
def cyclic(
    *, base_value, max_value, step_size_up, step_size_down=None, mode="triangular", gamma=1.0, scale_mode=None
) -> Schedule:
    """Cyclical values (torch's ``CyclicLR``): up from ``base_value`` to ``max_value``, then down.

    A cycle is ``step_size_up + step_size_down`` steps: a straight line up
    over ``step_size_up`` steps, then down.  Its amplitude is scaled by

    ============ =======================================
    mode         scale(x)
    ============ =======================================
    triangular   1
    triangular2  ``0.5 ** (x - 1)``
    exp_range    ``gamma ** x``
    ============ =======================================

    with ``x`` the cycle number (from 1) when ``scale_mode="cycle"`` (the
    default for the triangular modes) or the step when
    ``scale_mode="iterations"`` (the default for ``exp_range``):
    ``v = base + (max - base) * s(t) * scale(x)``.  ``max_value`` may be below
    ``base_value``: that is the inverse cycle torch uses for momentum
    (``base_value=max_momentum, max_value=base_momentum``).

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=2, mode="triangular2")
    >>> s(range(10)).round(12).tolist()   # torch's CyclicLR triangular2 fixture
    [0.1, 0.55, 1.0, 0.55, 0.1, 0.325, 0.55, 0.325, 0.1, 0.2125]

    See also
    --------
    torch.optim.lr_scheduler.CyclicLR
    """
    fn = "cyclic"
    base = V.value(fn, "base_value", base_value)
    top = V.value(fn, "max_value", max_value)
    up = V.integer(fn, "step_size_up", step_size_up, minimum=1)
    down = up if step_size_down is None else V.integer(fn, "step_size_down", step_size_down, minimum=1)
    mode = V.choice(fn, "mode", mode, CYCLIC_MODES)
    gamma = V.real(fn, "gamma", gamma, minimum=0.0, maximum=1.0, low_open=True)
    if scale_mode is None:
        scale_mode = "iterations" if mode == "exp_range" else "cycle"
    scale_mode = V.choice(fn, "scale_mode", scale_mode, ("cycle", "iterations"))
    if up + down > MAX_STEP:
        V.fail(fn, "step_size_down", f"such that a cycle fits in 2**62 steps (step_size_up={up})", step_size_down)
    # scale(x) = pre * rate ** i, with i the 0-based cycle or the step
    rate = {"triangular": 1.0, "triangular2": 0.5, "exp_range": gamma}[mode]
    if mode == "triangular":
        pre = 1.0
    elif scale_mode == "cycle":  # x = i + 1
        pre = 1.0 if mode == "triangular2" else gamma  # 0.5 ** i; gamma ** (i + 1)
    else:  # x = t
        pre = 2.0 if mode == "triangular2" else 1.0  # 0.5 ** (t - 1) = 2 * 0.5 ** t; gamma ** t
    # a weighted sum of two values >= 0 (no cancellation) when pre <= 1: at pre == 1 exactly max_value
    # (1 - gamma from expm1: it keeps its digits when gamma is near 1)
    rest = -math.expm1(math.log(pre)) if 0.5 <= pre < 1.0 else 1.0 - pre
    peak = top * pre + base * rest if pre <= 1.0 else base + (top - base) * pre
    body = [Segment(0, Op.LINEAR, base, peak, length=up), Segment(up, Op.LINEAR, peak, base, length=down)]
    per_step = scale_mode == "iterations" and mode != "triangular"
    cyc = _cycle(
        body, first=up + down, anchor=base, decay=1.0 if per_step else rate, gamma=rate if per_step else 1.0,
        flags=CYCLE_PER_STEP if per_step else 0,
    )  # fmt: skip
    program = Program.from_segments([cyc])
    if not math.isfinite(program.bound()):
        V.fail(fn, "max_value", "such that the values stay finite", max_value)
    return make(
        program, fn, base_value=base, max_value=top, step_size_up=up, step_size_down=down, mode=mode,
        gamma=gamma, scale_mode=scale_mode,
    )  # fmt: skip
