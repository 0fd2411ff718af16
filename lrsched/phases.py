"""Multi-phase families: one-cycle (and its momentum companion) and warmup-stable-decay."""

from __future__ import annotations

import math

from . import _validate as V
from ._program import MAX_STEP, Op, Program, Segment, halves
from ._schedule import Schedule, family, make
from .schedules import WARMUP_SHAPES, _program, _with_warmup

ANNEAL = ("cos", "linear")
WSD_DECAYS = ("linear", "cosine", "1-sqrt", "minus_sqrt", "exponential", "power", "1-power")
# decay shape -> (op, shape parameters), f(p) of wsd's docstring; "power" and "1-power" take their exponent
_DECAY_OPS = {
    "linear": (Op.LINEAR, ()),
    "cosine": (Op.COSINE, ()),
    "1-sqrt": (Op.INVPOLY, (0.5,)),
    "minus_sqrt": (Op.INVPOLY, (0.5,)),
    "exponential": (Op.EXP2, ()),
    "power": (Op.POLY, None),
    "1-power": (Op.INVPOLY, None),
}
# decay shape -> the shape code of Op.STABLE_DECAY (``_kernels.fill_stable_decay``)
_SHAPE_CODES = {"linear": 1, "cosine": 2, "1-sqrt": 3, "minus_sqrt": 3, "1-power": 4, "power": 5, "exponential": 6}
STABLES = ("constant", "rsqrt", "power")


def decay_segment(start, shape, top, low, length, power=1.0, ratio=0.5):
    """From ``top`` at ``start`` to ``low`` at ``start + length``, by the decay ``shape`` (one of WSD_DECAYS);
    ``power`` is the exponent of "power" and "1-power", ``ratio`` the fraction "exponential" decays to
    before it is normalized (Megatron's 0.5 has an op of its own)."""
    if (shape == "1-power" and not halves(power)) or (shape == "exponential" and ratio != 0.5):
        return stable_decay(start, shape, top, low, length, 0.0, 1, 0, power, ratio)
    op, params = _DECAY_OPS[shape]
    return Segment(start, op, top, low, (power,) if params is None else params, length=length)


def stable_decay(start, shape, top, low, length, stable_power, timescale, offset, power=1.0, ratio=0.5):
    """An Op.STABLE_DECAY segment: the decay ``shape`` over ``length`` steps (none for 0) times the stable
    phase ``(timescale / (t + offset + timescale)) ** stable_power``, kept at or above ``low``."""
    e = ratio if shape == "exponential" else power
    code = 0 if length == 0 else _SHAPE_CODES[shape]
    return Segment(start, Op.STABLE_DECAY, top, low, (stable_power, e), length=length,
                   ints=(timescale, offset, code))  # fmt: skip


def _phase_steps(fn, total, pct_start, three_phase):
    pct = V.real(fn, "pct_start", pct_start, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
    up = int(pct * total)
    if up < 1 or total - (2 if three_phase else 1) * up < 1:
        rule = "such that every phase has at least one step"
        V.fail(fn, "pct_start", f"{rule} (int(pct_start * total_steps)={up}, total_steps={total})", pct_start)
    return pct, up


def _phases(anneal, points, total):
    """Segments through (step, value) points, annealed by ``anneal``, then the last value."""
    op = Op.COSINE if anneal == "cos" else Op.LINEAR
    segments = [
        Segment(s0, op, v0, v1, length=s1 - s0) for (s0, v0), (s1, v1) in zip(points, points[1:])
    ]
    return _program(*segments, Segment(total, Op.CONST, points[-1][1]))


@family("piecewise_anneal")
def piecewise_anneal(*, knots, values, anneal="linear") -> Schedule:
    """Through ``(knots[i], values[i])``, annealed between knots that may be real numbers; then the last value.

    Step ``t`` belongs to the first piece ``i`` with ``t <= knots[i]`` and
    takes ``anneal(values[i-1], values[i], p)`` with
    ``p = (t - knots[i-1]) / (knots[i] - knots[i-1])``: linear, or the half
    cosine ``values[i] + (values[i-1] - values[i]) (1 + cos(pi p)) / 2``.
    Past the last knot the value is ``values[-1]``.  Knots increase
    strictly and the first is <= 0, so step 0 lies in a piece.  This is the
    phase rule of torch's ``OneCycleLR``, whose phase ends
    (``pct_start * total_steps - 1``) are real numbers.

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.piecewise_anneal(knots=[0.0, 1.5, 4.0], values=[0.0, 3.0, 0.5])
    >>> s(range(6)).round(6).tolist()
    [0.0, 2.0, 2.5, 1.5, 0.5, 0.5]
    """
    fn = "piecewise_anneal"
    items = V.sequence(fn, "knots", knots, min_len=2)
    ks = tuple(V.real(fn, f"knots[{i}]", k, minimum=-float(MAX_STEP), maximum=float(MAX_STEP)) for i, k in enumerate(items))
    if ks[0] > 0.0:
        V.fail(fn, "knots[0]", "<= 0 (step 0 must lie in a piece)", items[0])
    if any(b <= a for a, b in zip(ks, ks[1:])):
        V.fail(fn, "knots", "real numbers in strictly increasing order", list(items))
    vals = V.value_list(fn, "values", values)
    if len(vals) != len(ks):
        raise ValueError(f"{fn}: `values` must have one item per knot, got {len(vals)} values and {len(ks)} knots.")
    anneal = V.choice(fn, "anneal", anneal, ANNEAL)
    op = Op.COSINE if anneal == "cos" else Op.LINEAR
    segments = []
    for k0, k1, v0, v1 in zip(ks, ks[1:], vals, vals[1:]):
        first = max(0, math.floor(k0) + 1) if segments else 0
        if first > math.floor(k1):
            continue  # no step in (k0, k1]
        # local time s - first, shifted so that it is s - k0, over the real length k1 - k0
        shape = (1.0, 1.0, 0.0, 0.0, k0 - first, k1 - k0)
        segments.append(Segment(first, op, v0, v1, shape, length=max(1, math.ceil(k1 - k0))))
    segments.append(Segment(max(0, math.floor(ks[-1]) + 1), Op.CONST, vals[-1]))
    return make(_program(*segments), fn, knots=ks, values=vals, anneal=anneal)


@family("one_cycle")
def one_cycle(
    *, max_value, total_steps, pct_start=0.3, anneal="cos", div_factor=25.0, final_div_factor=1e4, three_phase=False,
    pct_final=None,
) -> Schedule:  # fmt: skip
    """The one-cycle policy: up from ``max_value / div_factor`` to ``max_value``, then down below the start.

    With ``U = int(pct_start * total_steps)``, ``v0 = max_value / div_factor``
    and ``v_min = v0 / final_div_factor``, the phases (annealed by a half
    cosine, or linearly) are

    - two-phase: ``v0 -> max_value`` over ``[0, U)``, ``max_value -> v_min`` over ``[U, total_steps)``;
    - three-phase: ``v0 -> max_value``, ``max_value -> v0`` over ``[U, F)``, ``v0 -> v_min``,
      with ``F = 2U`` (symmetric) or ``F = int(pct_final * total_steps)`` (optax's
      ``linear_onecycle_schedule(pct_final=...)``, value for value with ``anneal="linear"``);

    then ``v_min`` for ever.  (torch's ``OneCycleLR`` puts its phase ends at
    ``pct_start * total_steps - 1`` and fails past ``total_steps``; its exact
    numbers are ``lrsched.torch.OneCycleLR``'s job.)

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.one_cycle(max_value=1.0, total_steps=10, pct_start=0.2, anneal="linear", div_factor=10.0)
    >>> s([0, 1, 2, 6, 10, 20]).round(6).tolist()
    [0.1, 0.55, 1.0, 0.500005, 1e-05, 1e-05]
    >>> s = lrsched.one_cycle(max_value=1.0, total_steps=10, pct_start=0.2, pct_final=0.8, three_phase=True,
    ...                       anneal="linear", div_factor=10.0)
    >>> s([0, 2, 5, 8, 9, 10]).round(6).tolist()
    [0.1, 1.0, 0.55, 0.1, 0.050005, 1e-05]

    See also
    --------
    torch.optim.lr_scheduler.OneCycleLR, optax.cosine_onecycle_schedule, optax.linear_onecycle_schedule,
    one_cycle_momentum
    """
    fn = "one_cycle"
    top = V.value(fn, "max_value", max_value)
    total = V.integer(fn, "total_steps", total_steps, minimum=2)
    three = V.boolean(fn, "three_phase", three_phase)
    pct, up = _phase_steps(fn, total, pct_start, three and pct_final is None)
    _, back, finals = _final_step(fn, total, up, pct_final, three)
    anneal = V.choice(fn, "anneal", anneal, ANNEAL)
    div = V.real(fn, "div_factor", div_factor, minimum=0.0, low_open=True)
    final = V.real(fn, "final_div_factor", final_div_factor, minimum=0.0, low_open=True)
    v0 = top / div
    low = v0 / final
    if not (math.isfinite(v0) and math.isfinite(low)):
        V.fail(fn, "div_factor", "such that max_value / div_factor / final_div_factor is finite", div_factor)
    if three:
        points = [(0, v0), (up, top), (back, v0), (total, low)]
    else:
        points = [(0, v0), (up, top), (total, low)]
    return make(
        _phases(anneal, points, total), fn, max_value=top, total_steps=total, pct_start=pct, anneal=anneal,
        div_factor=div, final_div_factor=final, three_phase=three, **finals,
    )  # fmt: skip


def _final_step(fn, total, up, pct_final, three):
    """(pct_final, the step F that ends the way back, spec entries) of a three-phase cycle:
    ``F = 2U`` without ``pct_final``, else ``int(pct_final * total)``, strictly between U and total."""
    if pct_final is None:
        return None, 2 * up, {}
    pct = V.real(fn, "pct_final", pct_final, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
    if not three:
        V.fail(fn, "pct_final", "given only with three_phase=True (it places the third phase)", pct_final)
    back = int(pct * total)
    if not up < back < total:
        rule = f"such that int(pct_start * total_steps)={up} < int(pct_final * total_steps)={back} < {total}"
        V.fail(fn, "pct_final", rule, pct_final)
    return pct, back, {"pct_final": pct}


@family("one_cycle_momentum")
def one_cycle_momentum(
    *, total_steps, pct_start=0.3, base_momentum=0.85, max_momentum=0.95, anneal="cos", three_phase=False,
    pct_final=None,
) -> Schedule:  # fmt: skip
    """The momentum (or Adam beta1) companion of ``one_cycle``: the inverse cycle.

    Down from ``max_momentum`` to ``base_momentum`` while the learning rate
    rises, back up while it falls (two-phase), or back up over ``[U, F)`` and
    then flat (three-phase); ``max_momentum`` afterwards.  Same phase steps as
    ``one_cycle`` with the same arguments (``pct_final`` included).

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.one_cycle_momentum(total_steps=10, pct_start=0.2, anneal="linear")
    >>> s([0, 1, 2, 6, 10]).round(4)
    array([0.95, 0.9 , 0.85, 0.9 , 0.95])
    """
    fn = "one_cycle_momentum"
    total = V.integer(fn, "total_steps", total_steps, minimum=2)
    three = V.boolean(fn, "three_phase", three_phase)
    pct, up = _phase_steps(fn, total, pct_start, three and pct_final is None)
    _, back, finals = _final_step(fn, total, up, pct_final, three)
    base = V.value(fn, "base_momentum", base_momentum)
    top = V.value(fn, "max_momentum", max_momentum)
    if base > top:
        V.fail(fn, "base_momentum", f"<= max_momentum={top}", base_momentum)
    anneal = V.choice(fn, "anneal", anneal, ANNEAL)
    if three:
        points = [(0, top), (up, base), (back, top), (total, top)]
    else:
        points = [(0, top), (up, base), (total, top)]
    return make(
        _phases(anneal, points, total), fn, total_steps=total, pct_start=pct, base_momentum=base,
        max_momentum=top, anneal=anneal, three_phase=three, **finals,
    )  # fmt: skip


def _length(fn, name, value, total):
    """Steps (an int) or a fraction of ``total`` (a float in [0, 1], rounded up)."""
    if V._is_int(value):
        n = V.integer(fn, name, value)
        if n > total:
            V.fail(fn, name, f"<= total_steps={total}", value)
        return n, n
    frac = V.real(fn, name, value, minimum=0.0, maximum=1.0)
    return math.ceil(frac * total), frac


@family("wsd")
def wsd(
    *, peak_value, total_steps, warmup_steps, decay_steps, init_value=0.0, warmup_shape="linear",
    stable="constant", timescale=None, decay_shape="linear", power=1.0, min_ratio=None, stable_power=0.5,
    decay_ratio=0.5, end_value=None,
) -> Schedule:  # fmt: skip
    """Warmup-stable-decay: warm up to ``peak_value``, hold (or decay as a power of time), then a final decay.

    ``W = warmup_steps``, ``D = decay_steps`` (each an int number of steps, or
    a float fraction of ``total_steps`` rounded up), stable for
    ``S = total_steps - W - D`` steps, decaying over the last ``D`` to
    ``v_min = min_ratio * peak_value`` (or ``end_value``), then ``v_min``.

    - warmup: ``warmup_shape`` from ``init_value`` (linear, cosine, 1-sqrt, exponential, log);
    - stable: ``"constant"`` holds ``peak_value``; ``"rsqrt"`` is
      ``peak * (1 + u / tau) ** -0.5`` and ``"power"`` ``peak * (1 + u / tau) ** -stable_power``,
      ``u = t - W`` and ``tau = timescale`` (default ``max(W, 1)``), never below ``v_min``;
    - decay: ``v_min + (v_s(t) - v_min) f(p)``, ``p`` from 0 to 1 over ``D`` steps, where
      ``v_s(t)`` is the stable phase's value *at the same step* (so an rsqrt keeps falling
      through the decay, as in timm and Big Vision; a constant one is ``peak_value``) and
      ``f`` is ``1 - p`` (linear), ``(1 + cos(pi p)) / 2`` (cosine), ``1 - sqrt(p)``
      (``1-sqrt``, and Megatron's ``minus_sqrt``), ``1 - p ** power`` (``1-power``: timm's
      ``"power"``), ``(1 - p) ** power`` (``power``: a polynomial decay, transformers'),
      or ``(r ** p - r) / (1 - r)`` with ``r = decay_ratio`` (``exponential``: Megatron's
      ``2 ** (1 - p) - 1`` at the default 0.5, timm's ``"exp"`` at its 0.1).

    Examples
    --------
    >>> import lrsched
    >>> s = lrsched.wsd(peak_value=1.0, total_steps=9, warmup_steps=2, decay_steps=3, min_ratio=0.1,
    ...                 init_value=0.1)
    >>> s(range(11)).round(6).tolist()
    [0.1, 0.55, 1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.4, 0.1, 0.1]

    See also
    --------
    transformers.get_wsd_schedule, timm.scheduler.WSDLRScheduler
    """
    fn = "wsd"
    peak = V.value(fn, "peak_value", peak_value)
    total = V.integer(fn, "total_steps", total_steps, minimum=1)
    w, w_arg = _length(fn, "warmup_steps", warmup_steps, total)
    d, d_arg = _length(fn, "decay_steps", decay_steps, total)
    if d < 1:
        V.fail(fn, "decay_steps", "at least one step", decay_steps)
    if w + d > total:
        V.fail(fn, "decay_steps", f"<= total_steps - warmup_steps = {total - w} steps", decay_steps)
    init = V.value(fn, "init_value", init_value)
    wshape = V.choice(fn, "warmup_shape", warmup_shape, WARMUP_SHAPES)
    stable = V.choice(fn, "stable", stable, STABLES)
    ts = max(w, 1) if timescale is None else V.integer(fn, "timescale", timescale, minimum=1)
    dshape = V.choice(fn, "decay_shape", decay_shape, WSD_DECAYS)
    power = V.real(fn, "power", power, minimum=0.0, low_open=True)
    spower = V.real(fn, "stable_power", stable_power, minimum=0.0, low_open=True)
    ratio = V.real(fn, "decay_ratio", decay_ratio, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
    if min_ratio is not None and end_value is not None:
        raise ValueError(f"{fn}: give `min_ratio` or `end_value`, not both, got min_ratio={V.shown(min_ratio)} "
                         f"and end_value={V.shown(end_value)}.")  # fmt: skip
    if end_value is None:
        floor = V.real(fn, "min_ratio", 0.0 if min_ratio is None else min_ratio, minimum=0.0, maximum=1.0)
        low, ends = floor * peak, {"min_ratio": floor}
    else:
        low = V.value(fn, "end_value", end_value)
        if low > peak:
            V.fail(fn, "end_value", f"<= peak_value={peak}", end_value)
        ends = {"min_ratio": None, "end_value": low}
    s = total - w - d
    if stable == "constant":
        body = _program(Segment(0, Op.CONST, peak), decay_segment(s, dshape, peak, low, d, power, ratio),
                        Segment(s + d, Op.CONST, low))  # fmt: skip
    elif stable == "rsqrt" and low == 0.0:  # S * f: a product of the rsqrt and the decay, ops that compile fast
        decays = _program(Segment(0, Op.CONST, 1.0), decay_segment(s, dshape, 1.0, 0.0, d, power, ratio),
                          Segment(s + d, Op.CONST, 0.0))  # fmt: skip
        body = Program.product([_program(Segment(0, Op.INVSQRT, peak, length=ts)), decays])
    else:
        p = 0.5 if stable == "rsqrt" else spower
        body = _program(stable_decay(0, dshape, peak, low, 0, p, ts, 0),
                        stable_decay(s, dshape, peak, low, d, p, ts, s, power, ratio),
                        Segment(s + d, Op.CONST, low))  # fmt: skip
    program = _with_warmup(body, peak, w, init, wshape)
    extra = {"stable_power": spower} if stable == "power" else {}
    if dshape == "exponential" and ratio != 0.5:
        extra["decay_ratio"] = ratio
    return make(
        program, fn, peak_value=peak, total_steps=total, warmup_steps=w_arg, decay_steps=d_arg, init_value=init,
        warmup_shape=wshape, stable=stable, timescale=timescale if timescale is None else ts,
        decay_shape=dshape, power=power, **ends, **extra,
    )  # fmt: skip
