"""The oracle: a slow, obviously correct, pure-Python value of any schedule spec.

``value(spec, t)`` interprets the plain dict of ``Schedule.to_dict()`` at an
integer step ``t`` with Python ints and ``math``.  It shares no code with the
package: it follows each family's documented formula literally, one step at
a time.  Where the literal formula loses precision (``(1 + cos x) / 2`` near
0) it uses an exact identity instead, noted in place.
"""

from __future__ import annotations

import bisect
import math


def cos2(t, length):
    """(1 + cos(pi t / L)) / 2 = cos^2(pi t / 2L), written as sin^2(pi (L - t) / 2L)
    (the same number, but with a small relative error as it approaches 0)."""
    return math.sin(math.pi * (length - t) / (2 * length)) ** 2


def sin2(t, length):
    """(1 - cos(pi t / L)) / 2 = sin^2(pi t / 2L)."""
    return math.sin(math.pi * t / (2 * length)) ** 2


def one_minus_pow(one_minus_x, p):
    """1 - x**p from 1 - x, without cancellation near x = 1."""
    if one_minus_x == 1:
        return 1.0
    return -math.expm1(p * math.log1p(-one_minus_x))


def _decay(shape, init, end, length, t, power=1.0):
    """From init at t = 0 to end at t = L, as init * g + end * (1 - g), then end.

    Every value here is >= 0, so this weighted sum has no cancellation as long
    as g and 1 - g are each accurate; they are computed separately.
    """
    t = min(t, length)
    if shape == "linear":
        return (init * (length - t) + end * t) / length
    if shape == "cosine":
        g, gc = cos2(t, length), sin2(t, length)
        if power != 1.0:
            g, gc = g**power, one_minus_pow(gc, power)
        return init * g + end * gc
    if shape == "polynomial":
        return init * ((length - t) / length) ** power + end * one_minus_pow(t / length, power)
    raise AssertionError(shape)


def _warmup(shape, init, target, w, t):
    """The warmup ramp at t < w: init * (1 - f) + target * f with f = 0 at t = 0, 1 at t = w."""
    p = t / w
    if shape == "linear":
        f, fc = p, (w - t) / w
    elif shape == "cosine":  # f = (1 - cos(pi p)) / 2
        f, fc = sin2(t, w), cos2(t, w)
    elif shape == "1-sqrt":  # f = 1 - sqrt(1 - p) = p / (1 + sqrt(1 - p))
        f, fc = p / (1 + math.sqrt(1 - p)), math.sqrt((w - t) / w)
    elif shape == "exponential":  # f = (1 - exp(-5 p)) / (1 - exp(-5))
        f = math.expm1(-5 * p) / math.expm1(-5)
        fc = math.expm1(5 * (w - t) / w) / math.expm1(5)  # 1 - f, rewritten without cancellation
    else:
        raise AssertionError(shape)
    return init * fc + target * f


def tanh_pair(z):
    """((1 - tanh z) / 2, (1 + tanh z) / 2) as logistic functions of 2z (no cancellation)."""
    if z > 0:
        e = math.exp(-2 * z)
        return e / (1 + e), 1 / (1 + e)
    e = math.exp(2 * z)
    return 1 / (1 + e), e / (1 + e)


def _with_warmup(spec, t, after):
    """Warmup from ``init_value`` to ``peak_value`` over ``warmup_steps``, then ``after(t - W)``."""
    w = spec["warmup_steps"]
    if t < w:
        return _warmup(spec.get("warmup_shape", "linear"), spec["init_value"], spec["peak_value"], w, t)
    return after(t - w)


def _exponential(init, rate, period, staircase, begin, end, t):
    x = max(0, t - begin)
    x = x // period if staircase else x / period
    try:
        v = init * rate**x
    except OverflowError:  # growth past float range; the bound below applies
        v = math.inf
    if end is not None:  # the value stays between init and end
        v = min(max(v, min(init, end)), max(init, end))
    return v


def value(spec, t):
    kind = spec["type"]
    g = spec.get
    if kind == "constant":
        return g("value")
    if kind in ("linear", "cosine", "polynomial"):
        power = g("exponent", g("power", 1.0))
        return _decay(kind, g("init_value"), g("end_value"), g("steps"), t, power)
    if kind == "exponential":
        return _exponential(
            g("init_value"), g("decay_rate"), g("transition_steps"), g("staircase"),
            g("transition_begin"), g("end_value"), t,
        )  # fmt: skip
    if kind == "inverse_time":
        x = t // g("decay_steps") if g("staircase") else t / g("decay_steps")
        return g("init_value") / (1 + g("decay_rate") * x)
    if kind == "inverse_sqrt":
        ts = g("timescale") or g("warmup_steps")
        return _with_warmup(spec, t, lambda u: g("peak_value") * math.sqrt(ts / (u + ts)))
    if kind == "tanh":
        r = min(t, g("steps")) / g("steps")
        down, up = tanh_pair(g("lower") * (1 - r) + g("upper") * r)
        return g("init_value") * down + g("end_value") * up
    if kind == "step":
        return g("init_value") * g("gamma") ** (t // g("step_size"))
    if kind == "multistep":
        return g("init_value") * g("gamma") ** bisect.bisect_right(g("milestones"), t)
    if kind == "piecewise_constant":
        return g("values")[bisect.bisect_right(g("boundaries"), t)]
    if kind == "piecewise_linear":
        ks, vs = g("knots"), g("values")
        if t < ks[0]:
            return vs[0]
        if t >= ks[-1]:
            return vs[-1]
        k = bisect.bisect_right(ks, t) - 1  # ks[k] <= t < ks[k+1]
        return (vs[k] * (ks[k + 1] - t) + vs[k + 1] * (t - ks[k])) / (ks[k + 1] - ks[k])
    if kind == "warmup":
        inner = g("schedule")
        target = value(inner, 0)
        w = g("warmup_steps")
        if t < w:
            return _warmup(g("shape"), g("init_value"), target, w, t)
        return value(inner, t - w)
    if kind in ("warmup_cosine", "warmup_linear", "warmup_polynomial"):
        shape = kind.split("_")[1]
        length = g("total_steps") - g("warmup_steps")
        power = g("exponent", g("power", 1.0))
        return _with_warmup(spec, t, lambda u: _decay(shape, g("peak_value"), g("end_value"), length, u, power))
    if kind == "warmup_constant":
        return _with_warmup(spec, t, lambda u: g("peak_value"))
    if kind == "warmup_exponential":
        return _with_warmup(
            spec, t,
            lambda u: _exponential(
                g("peak_value"), g("decay_rate"), g("transition_steps"), g("staircase"), 0, g("end_value"), u
            ),
        )  # fmt: skip
    if kind == "join":
        bounds = g("boundaries")
        k = bisect.bisect_right(bounds, t)
        return value(g("schedules")[k], t - (bounds[k - 1] if k else 0))
    if kind == "product":
        out = 1.0
        for s in g("schedules"):
            out *= value(s, t)
        return out
    if kind == "scale":
        return g("factor") * value(g("schedule"), t)
    raise AssertionError(f"reference.py has no formula for {kind!r}")


def scale(spec):
    """The largest |value| at step 0 and around every boundary (for absolute tolerances)."""
    marks = {0} | {b + d for b in boundaries(spec) for d in (-1, 0, 1) if b + d >= 0}
    return max(abs(value(spec, t)) for t in marks)


def values(spec, steps):
    return [value(spec, int(t)) for t in steps]


def boundaries(spec):
    """Steps where the spec changes regime (for testing at, just before and just after each)."""
    g = spec.get
    kind = spec["type"]
    out = set()
    for key in ("steps", "warmup_steps", "total_steps", "transition_begin", "step_size",
                "decay_steps", "transition_steps", "timescale"):  # fmt: skip
        if isinstance(g(key), int):
            out.add(g(key))
    for key in ("milestones", "boundaries", "knots"):
        if isinstance(g(key), list):
            out.update(g(key))
    if kind == "warmup":
        out.add(g("warmup_steps"))
        out.update(b + g("warmup_steps") for b in boundaries(g("schedule")))
    if kind in ("join",):
        offsets = [0, *g("boundaries")]
        for off, s in zip(offsets, g("schedules")):
            out.update(off + b for b in boundaries(s))
    if kind == "product":
        for s in g("schedules"):
            out.update(boundaries(s))
    if kind == "scale":
        out.update(boundaries(g("schedule")))
    if kind == "warmup_cosine" or kind == "warmup_linear" or kind == "warmup_polynomial":
        out.add(g("total_steps"))
    return out
