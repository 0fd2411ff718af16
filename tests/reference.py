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
import struct
from fractions import Fraction


def cos2(t, length):
    """(1 + cos(pi t / L)) / 2 = cos^2(pi t / 2L), written as sin^2(pi (L - t) / 2L)
    (the same number, but with a small relative error as it approaches 0)."""
    return math.sin(math.pi * (length - t) / (2 * length)) ** 2


def sin2(t, length):
    """(1 - cos(pi t / L)) / 2 = sin^2(pi t / 2L)."""
    return math.sin(math.pi * t / (2 * length)) ** 2


def pow_pair(x, one_minus_x, p):
    """(x**p, 1 - x**p) from x and 1 - x, both accurate: log(x) is taken from whichever
    of the two is not close to 1, so neither result suffers cancellation."""
    if x == 0:
        return 0.0, 1.0
    lg = math.log(x) if x < 0.5 else math.log1p(-one_minus_x)
    return math.exp(p * lg), -math.expm1(p * lg)


def progress(t, length, k):
    """(1 - p, p) for p = (t / L) ** k (timm's k-decay), both accurate."""
    if k == 1:
        return (length - t) / length, t / length
    if t == 0:
        return 1.0, 0.0
    x = t / length
    lg = math.log(x) if x < 0.5 else math.log1p(-(length - t) / length)
    return -math.expm1(k * lg), math.exp(k * lg)


def _decay(shape, init, end, length, t, power=1.0, k=1.0):
    """From init at t = 0 to end at t = L, as init * g + end * (1 - g), then end.

    Every value here is >= 0, so this weighted sum has no cancellation as long
    as g and 1 - g are each accurate; they are computed separately.
    """
    t = min(t, length)
    if t == length:
        return end
    q, r = progress(t, length, k)
    if shape == "linear":
        return init * q + end * r
    if shape == "cosine":  # g = (1 + cos(pi r)) / 2 = sin^2(pi q / 2), 1 - g = sin^2(pi r / 2)
        g, gc = math.sin(math.pi * q / 2) ** 2, math.sin(math.pi * r / 2) ** 2
        if power != 1.0:
            g, gc = pow_pair(g, gc, power)
        return init * g + end * gc
    if shape == "polynomial":
        g, gc = pow_pair(q, r, power)
        return init * g + end * gc
    if shape == "1-sqrt":  # g = 1 - sqrt(r)
        gc, g = pow_pair(r, q, 0.5)
        return init * g + end * gc
    if shape == "exponential":  # g = 2 ** (1 - r) - 1
        return init * math.expm1(q * math.log(2)) + end * -2 * math.expm1(-r * math.log(2))
    if shape == "1-power":  # g = 1 - r ** power
        gc, g = pow_pair(r, q, power)
        return init * g + end * gc
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
    elif shape == "log":  # DeepSpeed's: f = log(t + 1) / log(w), 1 at t = w - 1 (0 throughout when w = 1)
        if w == 1:
            f, fc = 0.0, 1.0
        else:  # 1 - f = log(w / (t + 1)) / log(w), as log1p of an exact difference over t + 1
            f, fc = math.log(t + 1) / math.log(w), math.log1p((w - 1 - t) / (t + 1)) / math.log(w)
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
        begin = g("transition_begin", 0)
        if t < begin:
            return g("init_value")
        if g("cycle"):  # Keras: the length grows to the next multiple of steps that holds t
            u, n = t - begin, g("steps")
            span = n * max(1, -(-(t - begin) // n))
            f, fc = pow_pair((span - u) / span, u / span, power)
            return g("init_value") * f + g("end_value") * fc
        return _decay(kind, g("init_value"), g("end_value"), g("steps"), t - begin, power, g("k", 1.0))
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
    if kind == "multistep":  # a milestone m applies from m (at), m - 1 (before) or m + 1 (after)
        shift = {"at": 0, "before": -1, "after": 1}[g("switch", "at")]
        return g("init_value") * g("gamma") ** sum(1 for m in g("milestones") if t >= max(m + shift, 0))
    if kind == "piecewise_constant":
        shift = {"at": 0, "before": -1, "after": 1}[g("switch", "at")]
        return g("values")[sum(1 for b in g("boundaries") if t >= max(b + shift, 0))]
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
        return value(inner, t - w if g("prefix", True) else t)
    if kind in ("warmup_cosine", "warmup_linear", "warmup_polynomial"):
        shape = kind.split("_")[1]
        length = g("total_steps") - g("warmup_steps")
        power = g("exponent", g("power", 1.0))
        end = g("end_value") if g("end_value") is not None else g("end_ratio") * g("peak_value")
        return _with_warmup(spec, t, lambda u: _decay(shape, g("peak_value"), end, length, u, power))
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
    if kind == "repeat":
        return value(g("schedule"), t % g("period"))
    if kind == "sgdr":
        return _sgdr(spec, t)
    if kind == "restarts":  # optax's sgdr_schedule: each cycle in its own time, for its total_steps
        for c in g("cycles")[:-1]:
            if t < c["total_steps"]:
                return value(c, t)
            t -= c["total_steps"]
        return value(g("cycles")[-1], t)
    if kind == "cosine_restarts":
        w, total, n = g("warmup_steps"), g("total_steps"), g("num_cycles")
        if t < w:
            return _warmup("linear", g("init_value"), g("peak_value"), w, t)
        if t >= total:
            return g("end_value")
        span = total - w
        if span % n == 0:
            i, start, length = _integer_cycle(t - w, span // n, 1)
        else:
            i, start, length = _float_cycle(t - w, span / n, 1.0)
        return _decay("cosine", g("peak_value"), g("end_value"), length, t - w - start)
    if kind == "cyclic":
        return _cyclic(spec, t)
    if kind in ("one_cycle", "one_cycle_momentum"):
        return _one_cycle(spec, t)
    if kind == "piecewise_anneal":  # the first piece whose end knot is >= t
        ks, vs = g("knots"), g("values")
        shape = "cosine" if g("anneal") == "cos" else "linear"
        for i in range(1, len(ks)):
            if t <= ks[i]:
                return _decay(shape, vs[i - 1], vs[i], ks[i] - ks[i - 1], t - ks[i - 1])
        return vs[-1]
    if kind == "wsd":
        return _wsd(spec, t)
    if kind == "shift":  # later: hold the first value; earlier: hold the value at 2**62
        return value(g("schedule"), min(max(t - g("by"), 0), 2**62))
    if kind == "branch":
        at = g("at")
        if t < at:
            return value(g("schedule"), t)
        v = value(g("schedule"), at)
        end = g("end_value") if g("end_ratio") is None else g("end_ratio") * v
        shape = {"minus_sqrt": "1-sqrt", "power": "polynomial"}.get(g("shape"), g("shape"))
        return _decay(shape, v, end, g("steps"), t - at, g("power") if shape in ("polynomial", "1-power") else 1.0)
    if kind == "rewarm":
        at, w, then = g("at"), g("warmup_steps"), g("then")
        if t < at:
            return value(g("schedule"), t)
        peak = g("peak_value") if then is None else value(then, 0)
        if t < at + w:
            return _warmup(g("shape"), value(g("schedule"), at), peak, w, t - at)
        return peak if then is None else value(then, t - at - w)
    if kind == "multi_wsd":
        return _multi_wsd(spec, t)
    if kind == "noise":
        v = value(g("schedule"), t)
        if t < g("start") or (g("stop") is not None and t >= g("stop")):
            return v
        return v * (1 + noise(g("seed"), t, g("kind"), g("std"), g("pct")))
    raise AssertionError(f"reference.py has no formula for {kind!r}")


# -- cycles, written independently of the kernel's search: walk the cycles one by one


def _integer_cycle(t, first, mult):
    """(index, start, length) of the cycle holding t when lengths are first * mult**i,
    every cycle cut to end by step 2**62 + 1 (the documented rule)."""
    i, start, length = 0, 0, first
    if mult == 1:
        i, start = t // first, t // first * first
    else:
        while start + length <= t:
            start, length, i = start + length, length * mult, i + 1
    return i, start, min(length, 2**62 + 1 - start)


def float_start(i, period, mult):
    """The documented rule for float cycle lengths: cycle i starts at
    round(period * (mult**i - 1) / (mult - 1)) (round(period * i) for mult = 1), halves up."""
    x = period * i if mult == 1.0 else period * math.expm1(i * math.log(mult)) / (mult - 1.0)
    if not x < 4.6116860184273879e18:
        return 2**62 + 1
    r = math.floor(x)
    return int(r) + (1 if x - r >= 0.5 else 0)


def _float_cycle(t, period, mult):
    """The cycle containing t: the largest i with float_start(i) <= t (starts never decrease in i)."""
    lo, hi = 0, 1
    while float_start(hi, period, mult) <= t:
        lo, hi = hi, 2 * hi
    while hi - lo > 1:  # float_start(lo) <= t < float_start(hi)
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if float_start(mid, period, mult) <= t else (lo, mid)
    i = lo
    start = float_start(i, period, mult)
    return i, start, float_start(i + 1, period, mult) - start


def _sgdr(spec, t):
    g = spec.get
    first, mult, limit = g("cycle_steps"), g("cycle_mult"), g("cycle_limit")
    if float(mult).is_integer():
        i, start, length = _integer_cycle(t, first, int(mult))
    else:
        i, start, length = _float_cycle(t, float(first), float(mult))
    end = g("end_value") if g("end_value") is not None else g("end_ratio") * g("peak_value")
    if limit is not None and i >= limit:
        return end
    if g("decay_mode", "peak") == "amplitude":  # Keras' m_mul: the height above the floor decays
        amp = g("cycle_decay") ** i
        inner = dict(spec, decay_mode="peak", cycle_decay=1.0, cycle_limit=None, end_value=end, end_ratio=None)
        return end + amp * (_sgdr(inner, t) - end)
    peak = g("peak_value") * g("cycle_decay") ** i
    tau, w = t - start, g("warmup_steps")
    if tau < w:
        return (end * (w - tau) + peak * tau) / w
    power = g("power")
    return _decay(g("shape"), peak, end, length - w, tau - w, power if g("shape") != "linear" else 1.0, g("k"))


def _cyclic(spec, t):
    """torch's CyclicLR formula, with integer cycle arithmetic."""
    g = spec.get
    up, down = g("step_size_up"), g("step_size_down")
    i, tau = divmod(t, up + down)
    s = Fraction(tau, up) if tau < up else Fraction(up + down - tau, down)
    x = i + 1 if g("scale_mode") == "cycle" else t
    scale = {"triangular": 1.0, "triangular2": 0.5 ** (x - 1), "exp_range": g("gamma") ** x}[g("mode")]
    if g("mode") == "exp_range" and scale >= 0.5:
        # gamma**x near 1: from 1 - gamma**x = -expm1(x log gamma), which keeps its digits
        scale = 1 - Fraction(-math.expm1(x * math.log(g("gamma"))))
    base, top = g("base_value"), g("max_value")
    # exact rational arithmetic: with max_value < base_value the formula cancels near the peak
    # (0.1 + (0 - 0.1) * 0.99999), where float arithmetic would lose the digits being tested
    return float(Fraction(base) + (Fraction(top) - Fraction(base)) * s * Fraction(scale))


def _one_cycle(spec, t):
    g = spec.get
    total = g("total_steps")
    up = int(g("pct_start") * total)
    back = 2 * up if g("pct_final") is None else int(g("pct_final") * total)  # optax's pct_final
    if spec["type"] == "one_cycle":
        v0 = g("max_value") / g("div_factor")
        pts = [(0, v0), (up, g("max_value"))]
        pts += [(back, v0), (total, v0 / g("final_div_factor"))] if g("three_phase") else [
            (total, v0 / g("final_div_factor"))]  # fmt: skip
    else:
        lo, hi = g("base_momentum"), g("max_momentum")
        pts = [(0, hi), (up, lo), (back, hi), (total, hi)] if g("three_phase") else [(0, hi), (up, lo), (total, hi)]
    if t >= total:
        return pts[-1][1]
    k = max(j for j in range(len(pts) - 1) if pts[j][0] <= t)
    (s0, v0), (s1, v1) = pts[k], pts[k + 1]
    return _decay("cosine" if g("anneal") == "cos" else "linear", v0, v1, s1 - s0, t - s0)


def _wsd(spec, t):
    """timm's and Big Vision's rule: the decay factor multiplies the stable phase at the same step."""
    g = spec.get
    total = g("total_steps")
    w = g("warmup_steps") if isinstance(g("warmup_steps"), int) else math.ceil(g("warmup_steps") * total)
    d = g("decay_steps") if isinstance(g("decay_steps"), int) else math.ceil(g("decay_steps") * total)
    peak = g("peak_value")
    low = g("end_value") if g("end_value") is not None else (g("min_ratio") or 0.0) * peak
    stable = total - w - d
    ts = g("timescale") or max(w, 1)
    if t < w:
        return _warmup(g("warmup_shape"), g("init_value"), peak, w, t)
    u = t - w
    if g("stable") == "constant":
        top = peak
    else:
        p = 0.5 if g("stable") == "rsqrt" else g("stable_power")
        top = max(peak * (ts / (u + ts)) ** p, low)
    if u < stable:
        return top
    k = min(u - stable, d)
    if k == d:
        return low
    x, xc = k / d, (d - k) / d
    shape, e = g("decay_shape"), g("power")
    if shape == "exponential":
        r = g("decay_ratio") or 0.5
        f, fc = (r**x - r) / (1 - r), (1 - r**x) / (1 - r)
    elif shape == "1-power":
        fc, f = pow_pair(x, xc, e)
    elif shape == "power":
        f, fc = pow_pair(xc, x, e)
    elif shape in ("1-sqrt", "minus_sqrt"):
        fc, f = pow_pair(x, xc, 0.5)
    elif shape == "cosine":
        f, fc = math.sin(math.pi * xc / 2) ** 2, math.sin(math.pi * x / 2) ** 2
    else:
        f, fc = xc, x
    return top * f + low * fc


def _multi_wsd_decays(spec):
    d, periods = spec["decay_steps"], spec["periods"]
    if isinstance(d, list):
        return d
    return [d] * len(periods) if isinstance(d, int) else [math.ceil(d * n) for n in periods]


def _multi_wsd(spec, t):
    g = spec.get
    peak, w = g("peak_value"), g("warmup_steps")
    low = g("min_ratio") * peak
    if t < w:
        return _warmup(g("warmup_shape"), g("init_value"), peak, w, t)
    shape = {"minus_sqrt": "1-sqrt", "power": "polynomial"}.get(g("decay_shape"), g("decay_shape"))
    start = w
    for k, (n, d) in enumerate(zip(g("periods"), _multi_wsd_decays(spec))):
        u = t - start
        if u < n:
            r = g("rewarm_steps") if k else 0
            if u < r:
                return _warmup(g("rewarm_shape"), low, peak, r, u)
            if u < n - d:
                return peak
            return _decay(shape, peak, low, d, u - (n - d), g("power") if shape in ("polynomial", "1-power") else 1.0)
        start += n
    return low


# -- noise: the documented counter-based generator


def _mix32(x):
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    return x ^ (x >> 16)


def centered(seed, step):
    """A uniform number in (-1, 1) from 53 hashed bits of (seed, step)."""
    key = _mix32((step >> 32) ^ _mix32(seed ^ 0x6A09E667))
    h = _mix32((step & 0xFFFFFFFF) ^ key)
    h2 = _mix32(h ^ 0x9E3779B9)
    k = (h >> 5) * 2**26 + (h2 >> 6)
    return (2 * k + 1 - 2**53) / 2**53


# The gaussian noise is n = std * Q(1/2 + w h): Q the normal quantile by Wichura's
# AS241, its log by the documented series.  This mirrors the kernel's arithmetic
# operation by operation, so the two agree bit for bit (the kernel is compiled
# without FMA contraction for that); test_noise.py checks Q against the
# standard library's NormalDist and the log against math.log.

_AS241 = {
    "central": ((3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
                 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727),
                (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
                 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561)),
    "near": ((1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
              1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4),
             (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
              0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)),
    "far": ((6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
             0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7),
            (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
             7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)),
}  # fmt: skip


def _horner(c, r):
    v = c[-1]
    for coef in reversed(c[:-1]):
        v = v * r + coef
    return v


def _rational(name, r):
    num, den = _AS241[name]
    return _horner(num, r) / _horner(den, r)


def series_log(x):
    """log(x) for x > 0 as the kernel takes it: x = 2**k w, w in [sqrt(1/2), sqrt(2)), 2 atanh of s."""
    scaled = x < 2.2250738585072014e-308
    bits = struct.unpack("<q", struct.pack("<d", x * 2.0**54 if scaled else x))[0]
    k = float(((bits >> 52) & 0x7FF) - 1023) - (54.0 if scaled else 0.0)
    w = struct.unpack("<d", struct.pack("<q", (bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000))[0]
    if w > 1.4142135623730951:
        w, k = 0.5 * w, k + 1.0
    f = w - 1.0
    s = f / (2.0 + f)
    z = s * s
    r = 2.0 / 21.0
    for odd in (19, 17, 15, 13, 11, 9, 7, 5, 3):
        r = r * z + 2.0 / odd
    r = r * z
    return k * 6.93147180369123816490e-01 + (k * 1.90821492927058770002e-10 + (f - s * (f - r)))


def normal_quantile(q):
    """The standard normal quantile of 1/2 + q, |q| < 1/2 (AS241)."""
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num, den = _AS241["central"]
        return q * _horner(num, r) / _horner(den, r)
    r = math.sqrt(-min(series_log(0.5 - abs(q)), -0.0))
    y = _rational("near", r - 1.6) if r <= 5.0 else _rational("far", r - 5.0)
    return -y if q < 0.0 else y


def noise(seed, step, kind, std, pct):
    w = centered(seed, step)
    if kind == "uniform":
        return w * pct
    h = 0.5 * math.erf(pct / std / math.sqrt(2.0))  # P(0 < Z < pct / std)
    return min(max(std * normal_quantile(w * h), -pct), pct)


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
            out.update(max(0, math.floor(x) + d) for x in g(key) for d in (-1, 0, 1))  # switch before, at, after
    if kind == "warmup":
        out.add(g("warmup_steps"))
        out.update(b + (g("warmup_steps") if g("prefix", True) else 0) for b in boundaries(g("schedule")))
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
    if kind == "repeat":
        p = g("period")
        inner = {b for b in boundaries(g("schedule")) if b < p} | {0}
        out.update(c * p + b for c in range(4) for b in inner)
        out.update(2**40 // p * p + b for b in inner)
    if kind == "sgdr":
        first, mult = g("cycle_steps"), g("cycle_mult")
        for i in range(60):
            if float(mult).is_integer():
                start = first * i if mult == 1 else first * (int(mult) ** i - 1) // (int(mult) - 1)
            else:
                start = float_start(i, float(first), float(mult))
            if start > 2**62:
                break
            out.update((start, start + g("warmup_steps")))
    if kind == "cosine_restarts":
        w, span, n = g("warmup_steps"), g("total_steps") - g("warmup_steps"), g("num_cycles")
        out.update(w + float_start(i, span / n, 1.0) for i in range(min(n, 50) + 1))
    if kind == "cyclic":
        c = g("step_size_up") + g("step_size_down")
        out.update(k * c + b for k in range(4) for b in (0, g("step_size_up")))
    if kind in ("one_cycle", "one_cycle_momentum"):
        up = int(g("pct_start") * g("total_steps"))
        out.update((up, 2 * up if g("pct_final") is None else int(g("pct_final") * g("total_steps"))))
    if kind in ("linear", "cosine", "polynomial") and g("cycle"):  # Keras' restarts, one step after k * steps
        out.update(g("transition_begin", 0) + k * g("steps") + d for k in range(1, 5) for d in (0, 1))
    if kind == "restarts":
        at = 0
        for c in g("cycles"):
            out.update(at + b for b in boundaries(c))
            at += c["total_steps"]
    if kind == "wsd":
        total = g("total_steps")
        w = g("warmup_steps") if isinstance(g("warmup_steps"), int) else math.ceil(g("warmup_steps") * total)
        d = g("decay_steps") if isinstance(g("decay_steps"), int) else math.ceil(g("decay_steps") * total)
        out.update((w, total - d))
    if kind == "shift":
        by = g("by")
        out.update(min(max(b + by, 0), 2**62) for b in boundaries(g("schedule")))
        out.add(max(by, 0) if by >= 0 else 2**62 + by + 1)
    if kind in ("branch", "rewarm"):
        at = g("at")
        out.update(b for b in boundaries(g("schedule")) if b < at)
        w = g("steps") if kind == "branch" else g("warmup_steps")
        out.update((at, min(at + w, 2**62)))
        if kind == "rewarm" and g("then") is not None:
            out.update(min(at + w + b, 2**62) for b in boundaries(g("then")))
    if kind == "multi_wsd":
        start, r = g("warmup_steps"), g("rewarm_steps")
        for k, (n, d) in enumerate(zip(g("periods"), _multi_wsd_decays(spec))):
            out.update((start, start + n - d) + ((start + r,) if k else ()))
            start += n
        out.add(start)
    if kind == "noise":
        out.update(boundaries(g("schedule")))
        out.update(x for x in (g("start"), g("stop")) if x is not None)
    return out
