"""Public schedule factories: validate once, build a Program, return a Schedule.

Values are absolute (a learning rate, a momentum, ...).  A step is the 0-based
index of an optimizer update; schedules with a horizon hold their end value
past it; in ``join`` each piece sees local time.
"""

from __future__ import annotations

import math
import sys

from . import _validate as V
from ._program import Op, Program, Segment
from ._schedule import Schedule, family, make

WARMUP_SHAPES = ("linear", "cosine", "exponential", "1-sqrt", "log")


def _program(*segments):
    return Program.from_segments(segments)


def _decay(op, init, end, length, shape=()):
    """A decay from ``init`` at local step 0 to ``end`` at ``length``, then ``end``."""
    return _program(Segment(0, op, init, end, shape, length=length), Segment(length, Op.CONST, end))


def _decay_family(fn, op, init_value, steps, end_value, transition_begin=0, cycle=False, **shape):
    """linear, cosine and polynomial: check, build, and keep the spec; ``shape`` values are > 0.

    ``transition_begin`` (optax's) holds ``init_value`` for that many steps, then
    the decay runs in local time; ``cycle`` (Keras') makes a polynomial restart in
    ever longer cycles instead of holding.  The spec keeps each only when it is set.
    """
    init = V.value(fn, "init_value", init_value)
    end = V.value(fn, "end_value", end_value)
    length = V.integer(fn, "steps", steps, minimum=1)
    begin = V.integer(fn, "transition_begin", transition_begin)
    cycle = V.boolean(fn, "cycle", cycle)
    shape = {name: V.real(fn, name, v, minimum=0.0, low_open=True) for name, v in shape.items()}
    if cycle and shape.get("k", 1.0) != 1.0:
        V.fail(fn, "k", "1 with cycle=True (Keras' cycles have no k-decay)", shape["k"])
    if cycle:
        program = _program(Segment(0, Op.POLY_CYCLE, init, end, (shape["power"],), length=length, collapse=False))
    else:
        program = _decay(op, init, end, length, tuple(shape.values()))
    if begin:
        program = Program.join([_program(Segment(0, Op.CONST, init)), program], [begin])
    extra = {"transition_begin": begin} if begin else {}
    if cycle:
        extra["cycle"] = True
    return make(program, fn, init_value=init, steps=length, end_value=end, **extra, **shape)


# -- single-phase families ---------------------------------------------------


@family("constant")
def constant(value) -> Schedule:
    """The same value at every step.

    Parameters
    ----------
    value : float
        Finite, >= 0.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.constant(0.1).at(10**12)
    0.1
    """
    value = V.value("constant", "value", value)
    return make(_program(Segment(0, Op.CONST, value)), "constant", value=value)


@family("linear")
def linear(*, init_value, steps, end_value=0.0, transition_begin=0) -> Schedule:
    """A straight line from ``init_value`` to ``end_value`` over ``steps``, then ``end_value``.

    .. math:: v(t) = v_0 + (v_1 - v_0) \\min(\\max(t - B, 0), L) / L

    With ``transition_begin = B`` (optax's ``linear_schedule`` argument, value
    for value) the value holds ``init_value`` for ``B`` steps first.

    Parameters
    ----------
    init_value, end_value : float
        Values at step 0 and at step ``steps`` (finite, >= 0).
    steps : int
        Length of the ramp, >= 1.
    transition_begin : int, default 0
        ``B``, >= 0: steps at ``init_value`` before the ramp.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.linear(init_value=1.0, end_value=0.0, steps=4)([0, 1, 2, 3, 4, 5])
    array([1.  , 0.75, 0.5 , 0.25, 0.  , 0.  ])
    >>> lrsched.linear(init_value=1.0, steps=2, transition_begin=2)([0, 1, 2, 3, 4, 5])
    array([1. , 1. , 1. , 0.5, 0. , 0. ])

    See also
    --------
    torch.optim.lr_scheduler.LinearLR, optax.linear_schedule
    """
    return _decay_family("linear", Op.LINEAR, init_value, steps, end_value, transition_begin)


@family("cosine")
def cosine(*, init_value, steps, end_value=0.0, exponent=1.0, k=1.0) -> Schedule:
    """Half a cosine from ``init_value`` to ``end_value`` over ``steps``, then ``end_value``.

    .. math:: v(t) = v_1 + (v_0 - v_1) \\left(\\frac{1 + \\cos(\\pi \\min(t, L) / L)}{2}\\right)^{p}

    Unlike torch's ``CosineAnnealingLR`` it does not rise again past ``steps``.

    Parameters
    ----------
    init_value, end_value : float
        Values at step 0 and at step ``steps`` (finite, >= 0).
    steps : int
        Length of the decay, >= 1.
    exponent : float, default 1.0
        ``p`` above (optax's ``exponent``), > 0.
    k : float, default 1.0
        k-decay (timm): the progress ``min(t, L) / L`` is raised to ``k`` first, > 0.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.cosine(init_value=1.0, steps=100)
    >>> [round(s.at(t), 12) for t in (0, 50, 100, 10**9)]
    [1.0, 0.5, 0.0, 0.0]

    See also
    --------
    torch.optim.lr_scheduler.CosineAnnealingLR, optax.cosine_decay_schedule
    """
    return _decay_family("cosine", Op.COSINE, init_value, steps, end_value, exponent=exponent, k=k)


@family("polynomial")
def polynomial(*, init_value, steps, end_value=0.0, power=1.0, k=1.0, transition_begin=0, cycle=False) -> Schedule:
    """A polynomial decay from ``init_value`` to ``end_value`` over ``steps``, then ``end_value``.

    .. math:: v(t) = v_1 + (v_0 - v_1) (1 - \\min(\\max(t - B, 0), L) / L)^{p}

    With ``transition_begin = B`` (optax's ``polynomial_schedule`` argument,
    value for value) the value holds ``init_value`` for ``B`` steps first.

    With ``cycle=True`` (Keras' ``PolynomialDecay(cycle=True)``, value for value)
    it never holds: the length becomes ``L_t = L * max(1, ceil(t / L))`` and
    ``v(t) = v_1 + (v_0 - v_1) (1 - t / L_t)^p``, so ``end_value`` is reached at
    every multiple of ``L`` and the next step restarts from a higher value
    (``1 - 1 / (2L)``-th of the way back up at ``L + 1``, and so on).

    Parameters
    ----------
    init_value, end_value : float
        Values at step 0 and at step ``steps`` (finite, >= 0).
    steps : int
        Length of the decay, >= 1.
    power : float, default 1.0
        ``p`` above, > 0.
    k : float, default 1.0
        k-decay (timm): ``min(t, L) / L`` is raised to ``k`` first, > 0.
    transition_begin : int, default 0
        ``B``, >= 0: steps at ``init_value`` before the decay.
    cycle : bool, default False
        Restart in cycles of growing length instead of holding ``end_value`` (then ``k`` must be 1).

    Examples
    --------
    >>> import lrsched
    >>> lrsched.polynomial(init_value=1.0, steps=4, power=2.0)([0, 1, 2, 3, 4, 5])
    array([1.    , 0.5625, 0.25  , 0.0625, 0.    , 0.    ])
    >>> lrsched.polynomial(init_value=1.0, steps=2, cycle=True)([0, 1, 2, 3, 4, 5]).round(4).tolist()
    [1.0, 0.5, 0.0, 0.25, 0.0, 0.1667]

    See also
    --------
    torch.optim.lr_scheduler.PolynomialLR, optax.polynomial_schedule, keras.optimizers.schedules.PolynomialDecay
    """
    return _decay_family("polynomial", Op.POLY, init_value, steps, end_value, transition_begin, cycle, power=power,
                         k=k)  # fmt: skip


@family("exponential")
def exponential(
    *, init_value, decay_rate, transition_steps, staircase=False, transition_begin=0, end_value=None
) -> Schedule:
    """``init_value`` times ``decay_rate`` per ``transition_steps`` steps.

    .. math:: v(t) = v_0 \\, r^{\\max(0, t - B) / T}
              \\quad(\\lfloor\\cdot\\rfloor \\text{ of the exponent if staircase})

    never past ``end_value`` (a lower bound when ``r < 1``, an upper bound when
    ``r > 1``; with ``r = 1`` the value is ``init_value`` throughout).

    Parameters
    ----------
    init_value : float
        Value up to step ``transition_begin``, > 0.
    decay_rate : float
        ``r``, > 0.  A rate above 1 (growth) needs ``end_value`` as its bound.
    transition_steps : int
        ``T``, >= 1.
    staircase : bool, default False
        Apply the rate in whole steps of ``T``.
    transition_begin : int, default 0
        ``B``: the decay starts after this many steps.
    end_value : float, optional
        The bound; <= ``init_value`` for a decay, >= for growth.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=2)
    >>> s([0, 2, 4, 6]), s.at(1) == 0.5 ** 0.5
    (array([1.   , 0.5  , 0.25 , 0.125]), True)

    See also
    --------
    torch.optim.lr_scheduler.ExponentialLR (``r = gamma, T = 1``), optax.exponential_decay
    """
    fn = "exponential"
    init = V.real(fn, "init_value", init_value, minimum=0.0, low_open=True)
    begin = V.integer(fn, "transition_begin", transition_begin)
    program, args = _exponential(fn, "init_value", init, decay_rate, transition_steps, staircase, end_value)
    program = Program.join([_program(Segment(0, Op.CONST, init)), program], [begin]) if begin else program
    return make(
        program, fn, init_value=init, decay_rate=args["decay_rate"], transition_steps=args["transition_steps"],
        staircase=args["staircase"], transition_begin=begin, end_value=args["end_value"],
    )  # fmt: skip


def _exponential(fn, init_name, init, decay_rate, transition_steps, staircase, end_value):
    """The decay from ``init`` at local step 0, and its normalized arguments."""
    rate = V.real(fn, "decay_rate", decay_rate, minimum=0.0, low_open=True)
    period = V.integer(fn, "transition_steps", transition_steps, minimum=1)
    stair = V.boolean(fn, "staircase", staircase)
    lo, hi, cap = 0.0, math.inf, math.inf
    if end_value is None:
        if rate > 1.0:
            V.fail(fn, "end_value", "given when decay_rate > 1 (growth needs a bound)", end_value)
    else:
        end_value = V.value(fn, "end_value", end_value)
        if rate < 1.0 and end_value > init:
            V.fail(fn, "end_value", f"<= {init_name}={init} when decay_rate < 1", end_value)
        if rate > 1.0 and end_value < init:
            V.fail(fn, "end_value", f">= {init_name}={init} when decay_rate > 1", end_value)
        if rate < 1.0:
            lo = end_value / init
        elif rate > 1.0:
            hi = end_value / init
            if not math.isfinite(hi):
                V.fail(fn, "end_value", f"within float range of {init_name}={init} (end / init overflows)", end_value)
            cap = math.log(hi) / math.log(rate)  # past this exponent the bound holds; pow never overflows
    op = Op.EXP_STAIR if stair else Op.EXP
    program = _program(Segment(0, op, init, 0.0, (rate, lo, hi, cap), length=period))
    return program, dict(decay_rate=rate, transition_steps=period, staircase=stair, end_value=end_value)


@family("inverse_time")
def inverse_time(*, init_value, decay_rate, decay_steps, staircase=False) -> Schedule:
    """Inverse-time decay.

    .. math:: v(t) = \\frac{v_0}{1 + r \\, t / T} \\quad(\\lfloor t / T \\rfloor \\text{ if staircase})

    Parameters
    ----------
    init_value : float
        Value at step 0, >= 0.
    decay_rate : float
        ``r``, >= 0.
    decay_steps : int
        ``T``, >= 1.
    staircase : bool, default False

    Examples
    --------
    >>> import lrsched
    >>> lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=10)([0, 10, 30])
    array([1.  , 0.5 , 0.25])

    See also
    --------
    keras.optimizers.schedules.InverseTimeDecay
    """
    fn = "inverse_time"
    init = V.value(fn, "init_value", init_value)
    rate = V.real(fn, "decay_rate", decay_rate, minimum=0.0)
    period = V.integer(fn, "decay_steps", decay_steps, minimum=1)
    stair = V.boolean(fn, "staircase", staircase)
    op = Op.INVTIME_STAIR if stair else Op.INVTIME
    program = _program(Segment(0, op, init, 0.0, (rate,), length=period))
    return make(program, fn, init_value=init, decay_rate=rate, decay_steps=period, staircase=stair)


@family("inverse_sqrt")
def inverse_sqrt(*, peak_value, warmup_steps=0, timescale=None, init_value=0.0) -> Schedule:
    """Linear warmup to ``peak_value``, then inverse square-root decay.

    .. math:: v(t) = v_p \\sqrt{\\tau / (t - W + \\tau)} \\quad (t \\ge W)

    With ``timescale = warmup_steps`` (the default) this is the Transformer
    schedule, ``v_p \\sqrt{W / t}``, as in Megatron-LM and transformers.

    Parameters
    ----------
    peak_value : float
        Value at step ``warmup_steps``, >= 0.
    warmup_steps : int, default 0
        ``W``.
    timescale : int, optional
        ``tau``, >= 1; defaults to ``warmup_steps`` (required when that is 0).
    init_value : float, default 0.0
        Value at step 0 when ``warmup_steps > 0``.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=4)([0, 2, 4, 16])
    array([0. , 0.5, 1. , 0.5])

    See also
    --------
    transformers.get_inverse_sqrt_schedule
    """
    fn = "inverse_sqrt"
    peak = V.value(fn, "peak_value", peak_value)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    init = V.value(fn, "init_value", init_value)
    if timescale is None:
        if w == 0:
            V.fail(fn, "timescale", "given when warmup_steps=0", timescale)
        ts = w
    else:
        ts = V.integer(fn, "timescale", timescale, minimum=1)
    program = _program(Segment(0, Op.INVSQRT, peak, 0.0, length=ts))
    program = _with_warmup(program, peak, w, init, "linear")
    timescale = None if timescale is None else ts
    return make(program, fn, peak_value=peak, warmup_steps=w, timescale=timescale, init_value=init)


@family("tanh")
def tanh(*, init_value, steps, end_value=0.0, lower=-7.0, upper=3.0) -> Schedule:
    """Hyperbolic-tangent decay (timm's ``TanhLRScheduler``), held after ``steps``.

    .. math:: v(t) = v_1 + \\frac{v_0 - v_1}{2}\\left(1 - \\tanh(l (1 - r) + u r)\\right),
              \\quad r = \\min(t, L) / L

    As in timm, the curve starts just below ``init_value`` and ends just above
    ``end_value`` (at ``(1 - tanh(u)) / 2`` of the way); past ``steps`` it
    holds its value at ``steps``.

    Parameters
    ----------
    init_value, end_value : float
        Finite, >= 0.
    steps : int
        ``L``, >= 1.
    lower, upper : float, default -7.0, 3.0
        timm's ``lb`` and ``ub``; ``lower < upper``.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.tanh(init_value=1.0, steps=10, lower=-3.0, upper=3.0)
    >>> s.at(5), round(s.at(0), 4), s.at(10) == s.at(11)
    (0.5, 0.9975, True)

    See also
    --------
    timm.scheduler.TanhLRScheduler
    """
    fn = "tanh"
    init = V.value(fn, "init_value", init_value)
    end = V.value(fn, "end_value", end_value)
    length = V.integer(fn, "steps", steps, minimum=1)
    lo = V.real(fn, "lower", lower)
    hi = V.real(fn, "upper", upper)
    if not lo < hi:
        V.fail(fn, "upper", f"> lower={lo}", upper)
    e = math.exp(-2.0 * abs(hi))  # (1 -+ tanh(hi)) / 2 without cancellation, as the kernel
    g, gc = (e / (1.0 + e), 1.0 / (1.0 + e)) if hi > 0 else (1.0 / (1.0 + e), e / (1.0 + e))
    last = init * g + end * gc
    program = _program(
        Segment(0, Op.TANH, init, end, (lo, hi), length=length),
        Segment(length, Op.CONST, last),
    )
    return make(program, fn, init_value=init, steps=length, end_value=end, lower=lo, upper=hi)


@family("step")
def step(*, init_value, step_size, gamma=0.1) -> Schedule:
    """``init_value`` times ``gamma`` every ``step_size`` steps.

    .. math:: v(t) = v_0 \\, \\gamma^{\\lfloor t / s \\rfloor}

    Parameters
    ----------
    init_value : float
        >= 0.
    step_size : int
        ``s``, >= 1.
    gamma : float, default 0.1
        In (0, 1].

    Examples
    --------
    >>> import lrsched
    >>> lrsched.step(init_value=1.0, step_size=2, gamma=0.5)([0, 1, 2, 3, 4])
    array([1.  , 1.  , 0.5 , 0.5 , 0.25])

    See also
    --------
    torch.optim.lr_scheduler.StepLR
    """
    fn = "step"
    init = V.value(fn, "init_value", init_value)
    size = V.integer(fn, "step_size", step_size, minimum=1)
    g = V.real(fn, "gamma", gamma, minimum=0.0, maximum=1.0, low_open=True)
    program = _program(Segment(0, Op.EXP_STAIR, init, 0.0, (g, 0.0, math.inf, math.inf), length=size))
    return make(program, fn, init_value=init, step_size=size, gamma=g)


@family("multistep")
def multistep(*, init_value, milestones, gamma=0.1, switch="at") -> Schedule:
    """``init_value`` times ``gamma`` once for each milestone reached.

    .. math:: v(t) = v_0 \\, \\gamma^{\\#\\{m \\in M : m \\le t\\}}

    A milestone listed twice applies ``gamma`` twice (as torch's ``MultiStepLR``).
    ``switch`` says where a milestone ``m`` takes effect: ``"at"`` (step ``m``:
    torch, optax), ``"before"`` (step ``m - 1``: timm's ``MultiStepLRScheduler``)
    or ``"after"`` (step ``m + 1``: Keras).

    Parameters
    ----------
    init_value : float
        >= 0.
    milestones : list of int
        Non-decreasing steps >= 0.
    gamma : float, default 0.1
        > 0.
    switch : {"at", "before", "after"}, default "at"
        The step a milestone ``m`` applies from: ``m``, ``m - 1`` (a milestone 0 from step 0, as timm) or ``m + 1``.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.multistep(init_value=1.0, milestones=[2, 2, 5], gamma=0.5)(range(7))
    array([1.   , 1.   , 0.25 , 0.25 , 0.25 , 0.125, 0.125])
    >>> lrsched.multistep(init_value=1.0, milestones=[2, 5], gamma=0.5, switch="before")(range(7))
    array([1.  , 0.5 , 0.5 , 0.5 , 0.25, 0.25, 0.25])

    See also
    --------
    torch.optim.lr_scheduler.MultiStepLR
    """
    fn = "multistep"
    init = V.value(fn, "init_value", init_value)
    ms = V.step_list(fn, "milestones", milestones)
    g = V.real(fn, "gamma", gamma, minimum=0.0, low_open=True)
    try:
        levels = [init * g**k for k in range(len(ms) + 1)]
    except OverflowError:
        levels = [math.inf]
    if not all(map(math.isfinite, levels)):
        V.fail(fn, "gamma", f"small enough that init_value * gamma**{len(ms)} stays finite", gamma)
    program, extra = _stairs(fn, ms, levels, switch)
    return make(program, fn, init_value=init, milestones=ms, gamma=g, **extra)


SWITCHES = {"at": 0, "before": -1, "after": 1}  # where a boundary b takes effect: b + SWITCHES[switch]


def _stairs(fn, steps, values, switch):
    """``values[0]``, then ``values[k + 1]`` from ``steps[k] + SWITCHES[switch]`` on (a change "before" step 0
    happens at step 0), and the spec entry of ``switch`` (none for "at")."""
    shift = SWITCHES[V.choice(fn, "switch", switch, tuple(SWITCHES))]
    segments = [Segment(0, Op.CONST, values[0]),
                *(Segment(max(b + shift, 0), Op.CONST, v) for b, v in zip(steps, values[1:]))]  # fmt: skip
    return _program(*segments), ({"switch": switch} if shift else {})


@family("piecewise_constant")
def piecewise_constant(*, boundaries, values, switch="at") -> Schedule:
    """``values[k]`` on ``[boundaries[k-1], boundaries[k])``: the switch happens *at* a boundary.

    With ``switch="after"`` it happens one step later, on ``(boundaries[k-1],
    boundaries[k]]`` (Keras' ``PiecewiseConstantDecay``: a boundary is the last
    step of the value before it); with ``"before"`` one step earlier.

    Parameters
    ----------
    boundaries : list of int
        Strictly increasing steps >= 0.
    values : list of float
        One more than ``boundaries``; finite, >= 0.
    switch : {"at", "before", "after"}, default "at"
        The step a boundary ``b`` switches at: ``b``, ``b - 1`` (0 for a boundary 0) or ``b + 1``.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.piecewise_constant(boundaries=[2, 4], values=[1.0, 0.5, 0.1])(range(6))
    array([1. , 1. , 0.5, 0.5, 0.1, 0.1])
    >>> lrsched.piecewise_constant(boundaries=[2, 4], values=[1.0, 0.5, 0.1], switch="after")(range(6))
    array([1. , 1. , 1. , 0.5, 0.5, 0.1])

    See also
    --------
    optax.piecewise_constant_schedule (switch="at"), keras PiecewiseConstantDecay (switch="after")
    """
    fn = "piecewise_constant"
    bounds = V.step_list(fn, "boundaries", boundaries, strictly_increasing=True)
    vals = V.value_list(fn, "values", values, min_len=1)
    if len(vals) != len(bounds) + 1:
        raise ValueError(
            f"{fn}: `values` must have one more item than `boundaries`, "
            f"got {len(vals)} values and {len(bounds)} boundaries."
        )
    program, extra = _stairs(fn, bounds, vals, switch)
    return make(program, fn, boundaries=bounds, values=vals, **extra)


@family("piecewise_linear")
def piecewise_linear(*, knots, values) -> Schedule:
    """Straight lines through ``(knots[k], values[k])``, holding the first and last value outside.

    Two equal knots make a jump: the value at that step is the later one.

    Parameters
    ----------
    knots : list of int
        Non-decreasing steps >= 0.
    values : list of float
        Same length as ``knots``; finite, >= 0.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.piecewise_linear(knots=[1, 3, 5], values=[1.0, 0.8, 0.2])(range(7))
    array([1. , 1. , 0.9, 0.8, 0.5, 0.2, 0.2])

    See also
    --------
    ignite.handlers.PiecewiseLinear
    """
    fn = "piecewise_linear"
    ks = V.step_list(fn, "knots", knots, min_len=1)
    vals = V.value_list(fn, "values", values, min_len=1)
    if len(vals) != len(ks):
        raise ValueError(
            f"{fn}: `values` must have as many items as `knots`, got {len(vals)} values and {len(ks)} knots."
        )
    segments = [Segment(0, Op.CONST, vals[0])]
    for k0, k1, v0, v1 in zip(ks, ks[1:], vals, vals[1:]):
        if k1 > k0:
            segments.append(Segment(k0, Op.LINEAR, v0, v1, length=k1 - k0))
    segments.append(Segment(ks[-1], Op.CONST, vals[-1]))
    return make(_program(*segments), fn, knots=ks, values=vals)


# -- warmup ------------------------------------------------------------------


def _warmup_segment(shape, init, target, length):
    op, shape_params = {
        "linear": (Op.LINEAR, ()),
        "cosine": (Op.COSINE, (1.0,)),  # init + (target - init) (1 - cos(pi p)) / 2
        "1-sqrt": (Op.POLY, (0.5,)),  # init + (target - init) (1 - sqrt(1 - p))
        "exponential": (Op.EXPWARM, (5.0,)),
        "log": (Op.LOGWARM, ()),  # init + (target - init) log(t + 1) / log(length): target at length - 1
    }[shape]
    return Segment(0, op, init, target, shape_params, length=length)


def _with_warmup(program, target, warmup_steps, init, shape):
    if warmup_steps == 0:
        return program
    ramp = _program(_warmup_segment(shape, init, target, warmup_steps))
    return Program.join([ramp, program], [warmup_steps])


@family("warmup", schedule_args={"schedule": "one"})
def warmup(schedule, warmup_steps, init_value=0.0, shape="linear", prefix=True) -> Schedule:
    """Prepend a warmup of ``warmup_steps`` steps that ends on ``schedule``'s first value.

    The result is ``ramp(t)`` for ``t < W`` and ``schedule(t - W)`` after:
    the wrapped schedule starts (local step 0) at step ``W``.  With
    ``prefix=False`` (timm's ``warmup_prefix=False``, its default) the ramp
    covers the schedule's first ``W`` steps instead: ``schedule(t)`` from step
    ``W`` on, in the schedule's own time, so it ends where it would have without
    a warmup.  With ``p = t / W`` and ``v* = schedule.at(0)``:

    ============== ===============================================================
    shape          ramp
    ============== ===============================================================
    linear         ``init + (v* - init) p``
    cosine         ``init + (v* - init) (1 - cos(pi p)) / 2``
    1-sqrt         ``init + (v* - init) (1 - sqrt(1 - p))``
    exponential    ``init + (v* - init) (1 - exp(-5 p)) / (1 - exp(-5))``
    log            ``init + (v* - init) log(t + 1) / log(W)`` (``init`` if ``W = 1``)
    ============== ===============================================================

    The exponential ramp is the classic ``v* (1 - exp(-5 t / W))`` normalised so
    that it reaches ``v*`` at ``W`` instead of stopping 0.7 % short.  The log
    ramp is DeepSpeed's default warmup (``WarmupLR(warmup_type="log")``), value
    for value: it is 0 of the way at step 0 and already reaches ``v*`` at step
    ``W - 1``, one step before the others.

    Parameters
    ----------
    schedule : Schedule
    warmup_steps : int
        ``W`` (0 returns the schedule's values unchanged).
    init_value : float, default 0.0
        Value at step 0, >= 0.
    shape : {"linear", "cosine", "exponential", "1-sqrt", "log"}
    prefix : bool, default True
        The warmup precedes the schedule (True) or covers its first ``W`` steps (False).

    Examples
    --------
    >>> import lrsched
    >>> lrsched.warmup(lrsched.constant(1.0), 4)(range(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    >>> lrsched.warmup(lrsched.constant(1.0), 4, shape="log")(range(5)).round(4)
    array([0.    , 0.5   , 0.7925, 1.    , 1.    ])
    >>> lrsched.warmup(lrsched.linear(init_value=1.0, steps=8), 4, prefix=False)(range(9)).tolist()
    [0.0, 0.25, 0.5, 0.75, 0.5, 0.375, 0.25, 0.125, 0.0]
    """
    fn = "warmup"
    if not isinstance(schedule, Schedule):
        V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    init = V.value(fn, "init_value", init_value)
    shape = V.choice(fn, "shape", shape, WARMUP_SHAPES)
    prefix = V.boolean(fn, "prefix", prefix)
    if prefix or not w:
        program = _with_warmup(schedule.program, schedule.at(0), w, init, shape)
    else:
        program = Program.overlay(_program(_warmup_segment(shape, init, schedule.at(0), w)), schedule.program, w)
    extra = {} if prefix else {"prefix": False}
    return make(program, fn, schedule=schedule, warmup_steps=w, init_value=init, shape=shape, **extra)


def _warmup_decay_family(fn, op, peak_value, warmup_steps, total_steps, end_value, init_value, warmup_shape,
                         end_ratio=None, **shape):  # fmt: skip
    """warmup_cosine, _linear and _polynomial: a warmup to the peak, then the decay to ``total_steps``."""
    peak = V.value(fn, "peak_value", peak_value)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    total = V.integer(fn, "total_steps", total_steps, minimum=1)
    if total <= w:
        V.fail(fn, "total_steps", f"> warmup_steps={w} (the decay needs at least one step)", total_steps)
    end, ends = _end_of(fn, peak, end_value, end_ratio)
    init = V.value(fn, "init_value", init_value)
    ramp = V.choice(fn, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    shape = {name: V.real(fn, name, v, minimum=0.0, low_open=True) for name, v in shape.items()}
    program = _with_warmup(_decay(op, peak, end, total - w, tuple(shape.values())), peak, w, init, ramp)
    return make(
        program, fn, peak_value=peak, warmup_steps=w, total_steps=total, **ends, init_value=init,
        **shape, warmup_shape=ramp,
    )  # fmt: skip


def _end_of(fn, peak, end_value, end_ratio):
    """The end value from ``end_value`` or ``end_ratio * peak`` (as ``branch``), and the spec entries.

    The spec keeps ``end_ratio`` only when it was given, so specs without it are unchanged.
    """
    if end_ratio is None:
        end = V.value(fn, "end_value", 0.0 if end_value is None else end_value)
        return end, {"end_value": end}
    if end_value is not None:
        raise ValueError(f"{fn}: give `end_value` or `end_ratio`, not both, got end_value={V.shown(end_value)} "
                         f"and end_ratio={V.shown(end_ratio)}.")  # fmt: skip
    ratio = V.real(fn, "end_ratio", end_ratio, minimum=0.0, maximum=1.0)
    return ratio * peak, {"end_value": None, "end_ratio": ratio}


@family("warmup_cosine")
def warmup_cosine(
    *, peak_value, warmup_steps, total_steps, end_value=None, init_value=0.0, exponent=1.0, warmup_shape="linear",
    end_ratio=None,
) -> Schedule:
    """Warmup from ``init_value`` to ``peak_value``, then half-cosine to ``end_value``.

    Linear (or ``warmup_shape``) from ``init_value`` at step 0 to ``peak_value``
    at ``warmup_steps``; then ``cosine`` to ``end_value`` at ``total_steps``
    (which includes the warmup, as in optax); then ``end_value``.

    .. math:: v(t) = v_e + (v_p - v_e) \\frac{1 + \\cos(\\pi (t - W) / (T - W))}{2}
              \\quad (W \\le t \\le T)

    ``end_ratio=r`` sets ``v_e = r \\, v_p`` ("cosine to 10 % of peak"): the
    values of transformers' ``get_cosine_with_min_lr_schedule_with_warmup(
    min_lr_rate=r)`` times ``peak_value`` up to ``total_steps`` (after it,
    transformers' cosine rises again; this one holds ``v_e``).  Give
    ``end_value`` (default 0.0) or ``end_ratio`` (in [0, 1]), not both.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110, end_value=0.1)
    >>> [round(s.at(t), 12) for t in (0, 5, 10, 60, 110, 10**9)]
    [0.0, 0.5, 1.0, 0.55, 0.1, 0.1]
    >>> r = lrsched.warmup_cosine(peak_value=2.0, warmup_steps=10, total_steps=110, end_ratio=0.1)
    >>> r.at(110), r.to_dict()["end_ratio"]
    (0.2, 0.1)

    See also
    --------
    transformers.get_cosine_schedule_with_warmup, optax.warmup_cosine_decay_schedule
    """
    return _warmup_decay_family(
        "warmup_cosine", Op.COSINE, peak_value, warmup_steps, total_steps, end_value, init_value, warmup_shape,
        end_ratio, exponent=exponent,
    )  # fmt: skip


@family("warmup_linear")
def warmup_linear(
    *, peak_value, warmup_steps, total_steps, end_value=None, init_value=0.0, warmup_shape="linear", end_ratio=None
) -> Schedule:
    """Warmup to ``peak_value`` at ``warmup_steps``, then linear to ``end_value`` at ``total_steps``.

    .. math:: v(t) = v_p + (v_e - v_p) (t - W) / (T - W) \\quad (W \\le t \\le T)

    ``end_ratio=r`` sets ``v_e = r \\, v_p``; give ``end_value`` (default 0.0)
    or ``end_ratio`` (in [0, 1]), not both.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.warmup_linear(peak_value=1.0, warmup_steps=2, total_steps=6)(range(8))
    array([0.  , 0.5 , 1.  , 0.75, 0.5 , 0.25, 0.  , 0.  ])

    See also
    --------
    transformers.get_linear_schedule_with_warmup
    """
    return _warmup_decay_family(
        "warmup_linear", Op.LINEAR, peak_value, warmup_steps, total_steps, end_value, init_value, warmup_shape,
        end_ratio,
    )


@family("warmup_polynomial")
def warmup_polynomial(
    *, peak_value, warmup_steps, total_steps, end_value=None, power=1.0, init_value=0.0, warmup_shape="linear",
    end_ratio=None,
) -> Schedule:
    """Warmup to ``peak_value`` at ``warmup_steps``, then ``polynomial`` to ``end_value`` at ``total_steps``.

    .. math:: v(t) = v_e + (v_p - v_e) (1 - (t - W) / (T - W))^{p} \\quad (W \\le t \\le T)

    ``end_ratio=r`` sets ``v_e = r \\, v_p`` (transformers'
    ``get_polynomial_decay_schedule_with_warmup`` takes ``lr_end`` as a value
    instead); give ``end_value`` (default 0.0) or ``end_ratio`` (in [0, 1]), not both.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.warmup_polynomial(peak_value=1.0, warmup_steps=2, total_steps=6, power=2.0)
    >>> s(range(8))
    array([0.    , 0.5   , 1.    , 0.5625, 0.25  , 0.0625, 0.    , 0.    ])

    See also
    --------
    transformers.get_polynomial_decay_schedule_with_warmup
    """
    return _warmup_decay_family(
        "warmup_polynomial", Op.POLY, peak_value, warmup_steps, total_steps, end_value, init_value, warmup_shape,
        end_ratio, power=power,
    )  # fmt: skip


@family("warmup_constant")
def warmup_constant(*, peak_value, warmup_steps, init_value=0.0, warmup_shape="linear") -> Schedule:
    """Warmup to ``peak_value`` at ``warmup_steps``, then ``peak_value`` for ever.

    Examples
    --------
    >>> import lrsched
    >>> lrsched.warmup_constant(peak_value=1.0, warmup_steps=4)(range(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])

    See also
    --------
    transformers.get_constant_schedule_with_warmup
    """
    fn = "warmup_constant"
    peak = V.value(fn, "peak_value", peak_value)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    init = V.value(fn, "init_value", init_value)
    shape = V.choice(fn, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    program = _with_warmup(_program(Segment(0, Op.CONST, peak)), peak, w, init, shape)
    return make(program, fn, peak_value=peak, warmup_steps=w, init_value=init, warmup_shape=shape)


@family("warmup_exponential")
def warmup_exponential(
    *, peak_value, warmup_steps, decay_rate, transition_steps, staircase=False, end_value=None,
    init_value=0.0, warmup_shape="linear",
) -> Schedule:  # fmt: skip
    """Warmup to ``peak_value`` at ``warmup_steps``, then ``exponential`` decay in local time.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.warmup_exponential(peak_value=1.0, warmup_steps=2, decay_rate=0.5, transition_steps=1)
    >>> s(range(6))
    array([0.   , 0.5  , 1.   , 0.5  , 0.25 , 0.125])
    """
    fn = "warmup_exponential"
    peak = V.real(fn, "peak_value", peak_value, minimum=0.0, low_open=True)
    w = V.integer(fn, "warmup_steps", warmup_steps)
    init = V.value(fn, "init_value", init_value)
    shape = V.choice(fn, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    decay, args = _exponential(fn, "peak_value", peak, decay_rate, transition_steps, staircase, end_value)
    program = _with_warmup(decay, peak, w, init, shape)
    return make(
        program, fn, peak_value=peak, warmup_steps=w, decay_rate=args["decay_rate"],
        transition_steps=args["transition_steps"], staircase=args["staircase"], end_value=args["end_value"],
        init_value=init, warmup_shape=shape,
    )  # fmt: skip


# -- composition -------------------------------------------------------------


def _schedules(fn, name, schedules, min_len=1):
    items = V.sequence(fn, name, schedules, min_len=min_len)
    for k, s in enumerate(items):
        if not isinstance(s, Schedule):
            V.fail(fn, f"{name}[{k}]", "a lrsched.Schedule", s, TypeError)
    return items


@family("join", schedule_args={"schedules": "list"})
def join(schedules, boundaries) -> Schedule:
    """Run ``schedules[k]`` from ``boundaries[k-1]`` to ``boundaries[k]``, each in local time.

    The piece that starts at boundary ``b`` sees ``step - b``: it starts from
    its own step 0, as optax's ``join_schedules`` and torch's ``SequentialLR``.

    Parameters
    ----------
    schedules : list of Schedule
        One more than ``boundaries``.
    boundaries : list of int
        Strictly increasing steps >= 0.

    Examples
    --------
    >>> import lrsched
    >>> ramp = lrsched.linear(init_value=0.0, end_value=1.0, steps=2)
    >>> lrsched.join([ramp, lrsched.step(init_value=1.0, step_size=2, gamma=0.5)], [2])(range(7))
    array([0.  , 0.5 , 1.  , 1.  , 0.5 , 0.5 , 0.25])
    """
    fn = "join"
    items = _schedules(fn, "schedules", schedules)
    bounds = V.step_list(fn, "boundaries", boundaries, strictly_increasing=True)
    if len(items) != len(bounds) + 1:
        raise ValueError(
            f"{fn}: `schedules` must have one more item than `boundaries`, "
            f"got {len(items)} schedules and {len(bounds)} boundaries."
        )
    program = Program.join([s.program for s in items], bounds)
    return make(program, fn, schedules=list(items), boundaries=bounds)


@family("product", schedule_args={"schedules": "list"})
def product(schedules) -> Schedule:
    """The pointwise product of schedules (``s * t`` for two).

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.constant(2.0) * lrsched.step(init_value=1.0, step_size=1, gamma=0.5)
    >>> s(range(3))
    array([2. , 1. , 0.5])
    """
    items = _schedules("product", "schedules", schedules)
    program = Program.product([s.program for s in items])
    if not math.isfinite(program.bound()):
        V.fail("product", "schedules", "schedules whose product stays finite", list(items))
    return make(program, "product", schedules=list(items))


@family("scale", schedule_args={"schedule": "one"})
def scale(schedule, factor) -> Schedule:
    """``schedule`` times a constant ``factor`` (``s * factor``).

    Examples
    --------
    >>> import lrsched
    >>> (lrsched.linear(init_value=1.0, steps=2) * 0.5)(range(3))
    array([0.5 , 0.25, 0.  ])
    """
    fn = "scale"
    if not isinstance(schedule, Schedule):
        V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
    c = V.value(fn, "factor", factor)
    program = schedule.program.scaled(c)
    if not math.isfinite(program.bound()):
        V.fail(fn, "factor", "small enough that the scaled values stay finite", factor)
    return make(program, fn, schedule=schedule, factor=c)


NOISE_KINDS = ("gaussian", "uniform")


@family("noise", schedule_args={"schedule": "one"})
def noise(schedule, *, std=1.0, pct=0.67, kind="gaussian", seed=0, start=0, stop=None) -> Schedule:
    """Multiply ``schedule`` by ``1 + n`` on steps ``[start, stop)``, ``n`` a pure function of ``(seed, step)``.

    ``kind="gaussian"``: ``n ~ N(0, std)`` truncated to ``|n| < pct``, the
    distribution of timm's rule (draw again until ``|n| < pct``), sampled with
    one uniform per step and the normal quantile; ``kind="uniform"``:
    ``n ~ U(-pct, pct)``.  The numbers come
    from a counter-based generator evaluated in the kernel: the value at a
    step never depends on which other steps are evaluated, in what order or
    chunks, so tables, ``s(steps)``, ``s.at(step)`` and a resumed run agree.
    Steps are those of the noise's own time line (local time inside ``join``).

    Parameters
    ----------
    schedule : Schedule
    std : float, default 1.0
        Standard deviation of the gaussian, > 0 and <= 100 * ``pct``.
    pct : float, default 0.67
        Bound on ``|n|``, in (0, 1] (so values stay >= 0).
    kind : {"gaussian", "uniform"}
    seed : int, default 0
        In [0, 2**32).
    start, stop : int
        The noisy steps; ``stop=None`` for all steps from ``start``.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.noise(lrsched.constant(1.0), std=0.1, pct=0.2, seed=7, start=2)
    >>> t = s.table(1000)
    >>> bool(t[0] == t[1] == 1.0), bool(abs(t[2:] - 1).max() < 0.2), bool(s.at(500) == t[500])
    (True, True, True)

    See also
    --------
    timm's ``noise_range_t``, ``noise_pct``, ``noise_std``, ``noise_seed``
    """
    fn = "noise"
    if not isinstance(schedule, Schedule):
        V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
    kind = V.choice(fn, "kind", kind, NOISE_KINDS)
    pct = V.real(fn, "pct", pct, minimum=0.0, maximum=1.0, low_open=True)
    std = V.real(fn, "std", std, minimum=0.0, maximum=100.0 * pct, low_open=True, note=" (100 * pct)")
    seed = V.integer(fn, "seed", seed, maximum=2**32 - 1)
    start = V.integer(fn, "start", start)
    if stop is not None:
        stop = V.integer(fn, "stop", stop)
        if stop <= start:
            V.fail(fn, "stop", f"> start={start}", stop)
    segments = [Segment(0, Op.CONST, 1.0)]
    half_mass = 0.5 * math.erf(pct / std / math.sqrt(2.0))  # P(0 < Z < pct / std): the kernel's truncation
    shape = (std, pct, half_mass)
    segments.append(Segment(start, Op.NOISE, 1.0, 0.0, shape, origin=0, ints=(seed, NOISE_KINDS.index(kind))))
    if stop is not None:
        segments.append(Segment(stop, Op.CONST, 1.0))
    program = Program.product([schedule.program, _program(*segments)])
    if not math.isfinite(schedule.program.bound() * (1.0 + pct)):
        V.fail(fn, "schedule", f"a schedule whose values times 1 + pct = {1.0 + pct} stay finite (below "
               f"{sys.float_info.max / (1.0 + pct):.3g})", schedule)  # fmt: skip
    return make(program, fn, schedule=schedule, std=std, pct=pct, kind=kind, seed=seed, start=start, stop=stop)
