"""Every compiled function of lrsched.

A Program (see ``_program.py``) reaches these kernels as six plain arrays::

    seg_start  int64[S]     first global step of each segment (each layer starts at 0)
    seg_origin int64[S]     local time origin: the segment sees t = step - origin
    seg_op     int64[S]     op code (the ``Op`` enum in ``_program.py``)
    fparams    float64[S,F] f[0] = a (start value), f[1] = b (end value), f[2:] shape
    iparams    int64[S,I]   integer shape parameters (lengths, periods)
    layer_ptr  int64[L+1]   layer l owns segments layer_ptr[l]:layer_ptr[l+1]

Every op is linear in ``a = f[0]`` and ``b = f[1]`` (``a * g(t) + b * (1 - g(t))``
or ``a * g(t)``), so scaling a schedule is scaling ``a`` and ``b``; a program
with several layers is their pointwise product.

Rules kept here: no validation (factories did it), no globals but literal
constants, no closures, integer step arithmetic, and segment-major loops: the
op is decided once per segment by ``_fill`` and the loop under each branch
has no branch on the op, so LLVM vectorizes it.
"""

import math

import numpy as np
from numba import types

from ._jit import helper, inline, kernel

@inline
def _sin_small(y):
    """sin(y) for 0 <= y <= pi/4, within half an ulp.

    Taylor series through y**15; the first omitted term, y**17/17!, is below
    7e-17 relative at y = pi/4.  A polynomial, unlike libm's ``sin``,
    vectorizes.
    """
    z = y * y
    p = -7.647163731819816e-13
    p = p * z + 1.6059043836821613e-10
    p = p * z - 2.505210838544172e-08
    p = p * z + 2.7557319223985893e-06
    p = p * z - 0.0001984126984126984
    p = p * z + 0.008333333333333333
    p = p * z - 0.16666666666666666
    return y + y * (z * p)


@inline
def _cos2_sin2(t, length, c):
    """(cos^2(pi t / 2L), sin^2(pi t / 2L)) for integer 0 <= t <= L; c = pi / (2 L).

    That is ((1 + cos x) / 2, (1 - cos x) / 2) for x = pi t / L, each with a
    small *relative* error: the polynomial only ever sees an angle in
    [0, pi/4] (the far half uses L - t, taken in integers), and of the two
    values the one below 1/2 is a square of a sine, the other 1 minus it.
    """
    far = 2 * t > length
    u = length - t if far else t
    s = _sin_small(c * u)
    small = s * s
    big = 1.0 - small
    return (small, big) if far else (big, small)


@inline
def _logistic_pair(z):
    """(1 / (1 + e^{2z}), 1 / (1 + e^{-2z})) = ((1 - tanh z) / 2, (1 + tanh z) / 2), no overflow."""
    e = math.exp(-2.0 * abs(z))
    small = e / (1.0 + e)
    big = 1.0 / (1.0 + e)
    return (small, big) if z > 0.0 else (big, small)


@helper
def _fill(op, f, p, times, dst):
    """dst[j] = value of one segment at local times[j].

    Two-point ops are ``a * g + b * (1 - g)`` with ``a`` the value at local
    step 0, ``b`` the value at the end, and ``g`` and ``1 - g`` each computed
    without cancellation, so a value near 0 keeps its relative accuracy.
    One-point ops are ``a * g``.
    """
    n = times.size
    a = f[0]
    b = f[1]
    if op == 0:  # CONST: a
        for j in range(n):
            dst[j] = a
    elif op == 1:  # LINEAR: g = (L - t) / L
        length = p[0]
        for j in range(n):
            t = times[j]
            dst[j] = a * ((length - t) / length) + b * (t / length)
    elif op == 2:  # COSINE: g = ((1 + cos(pi t / L)) / 2) ** exponent
        length = p[0]
        c = math.pi / (2.0 * length)
        e = f[2]
        if e == 1.0:
            for j in range(n):
                g, gc = _cos2_sin2(times[j], length, c)
                dst[j] = a * g + b * gc
        else:
            for j in range(n):
                g, gc = _cos2_sin2(times[j], length, c)
                dst[j] = a * math.pow(g, e) - b * math.expm1(e * math.log1p(-gc))
    elif op == 3:  # POLY: g = ((L - t) / L) ** power
        length = p[0]
        e = f[2]
        if e == 1.0:
            for j in range(n):
                t = times[j]
                dst[j] = a * ((length - t) / length) + b * (t / length)
        elif e == 0.5:
            for j in range(n):
                t = times[j]
                r = math.sqrt((length - t) / length)
                dst[j] = a * r + b * ((t / length) / (1.0 + r))
        elif e == 2.0:
            for j in range(n):
                t = times[j]
                u = (length - t) / length
                v = t / length
                dst[j] = a * (u * u) + b * (v * (1.0 + u))
        else:
            for j in range(n):
                t = times[j]
                dst[j] = a * math.pow((length - t) / length, e) - b * math.expm1(e * math.log1p(-(t / length)))
    elif op == 4:  # EXP: g = clip(rate ** (t / T), lo, hi); f[5] caps the exponent once hi is reached
        period = p[0]
        rate = f[2]
        lo = f[3]
        hi = f[4]
        cap = f[5]
        for j in range(n):
            dst[j] = a * min(max(math.pow(rate, min(times[j] / period, cap)), lo), hi)
    elif op == 5:  # EXP_STAIR: g = clip(rate ** (t // T), lo, hi); also StepLR's gamma ** (t // s)
        period = p[0]
        rate = f[2]
        lo = f[3]
        hi = f[4]
        cap = f[5]
        last = -1
        v = a
        for j in range(n):
            k = times[j] // period
            if k != last:  # one pow per stair, not per step
                last = k
                v = a * min(max(math.pow(rate, min(k, cap)), lo), hi)
            dst[j] = v
    elif op == 6:  # INVTIME: g = 1 / (1 + rate * t / T)
        period = p[0]
        rate = f[2]
        for j in range(n):
            dst[j] = a / (1.0 + rate * (times[j] / period))
    elif op == 7:  # INVTIME_STAIR: g = 1 / (1 + rate * (t // T))
        period = p[0]
        rate = f[2]
        for j in range(n):
            dst[j] = a / (1.0 + rate * (times[j] // period))
    elif op == 8:  # INVSQRT: g = sqrt(ts / (t + ts))
        ts = float(p[0])
        for j in range(n):
            dst[j] = a * math.sqrt(ts / (times[j] + ts))
    elif op == 9:  # TANH: g = (1 - tanh(lower (1 - r) + upper r)) / 2, r = t / L
        length = p[0]
        lower = f[2]
        upper = f[3]
        for j in range(n):
            r = times[j] / length
            g, gc = _logistic_pair(lower * (1.0 - r) + upper * r)
            dst[j] = a * g + b * gc
    elif op == 10:  # EXPWARM: g = (exp(-k t / L) - exp(-k)) / (1 - exp(-k)) = expm1(k (L - t) / L) / expm1(k)
        length = p[0]
        k = f[2]
        span = math.expm1(k)
        floor = math.exp(-k)
        for j in range(n):
            t = times[j]
            g = math.expm1(k * ((length - t) / length)) / span
            gc = -math.expm1(-k * (t / length)) / (1.0 - floor)
            dst[j] = a * g + b * gc


# Program arrays are read-only (a Program is immutable), which Numba types separately.
_I1 = types.Array(types.int64, 1, "C", readonly=True)
_I2 = types.Array(types.int64, 2, "C", readonly=True)
_F2 = types.Array(types.float64, 2, "C", readonly=True)
_PROGRAM = (_I1, _I1, _I1, _F2, _I2, _I1)


def _eval_range(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, start, out):
    """out[i] = value at step start + i, for a contiguous range of steps.

    Chunk by chunk: each layer walks its segments with a cursor (steps only
    increase), fills the chunk segment by segment, and layers after the
    first multiply in.  The chunk is then stored into ``out`` (casting to
    float32 there if asked).
    """
    chunk = 2048  # steps per chunk: times, values and factor stay in L1
    n = out.size
    n_layers = layer_ptr.size - 1
    values = np.empty(chunk, np.float64)
    factor = np.empty(chunk, np.float64)
    times = np.empty(chunk, np.int64)
    cursor = layer_ptr[:-1].copy()
    for c0 in range(0, n, chunk):
        m = min(chunk, n - c0)
        first = start + c0
        for layer in range(n_layers):
            dst = values if layer == 0 else factor
            k = cursor[layer]
            end = layer_ptr[layer + 1]
            pos = 0
            while pos < m:
                step = first + pos
                while k + 1 < end and seg_start[k + 1] <= step:
                    k += 1
                stop = m
                if k + 1 < end and seg_start[k + 1] - first < m:
                    stop = seg_start[k + 1] - first
                t0 = step - seg_origin[k]
                for q in range(stop - pos):
                    times[q] = t0 + q
                if n_layers == 1:
                    _fill(seg_op[k], fparams[k], iparams[k], times[: stop - pos], out[c0 + pos : c0 + stop])
                else:
                    _fill(seg_op[k], fparams[k], iparams[k], times[: stop - pos], dst[pos:stop])
                pos = stop
            cursor[layer] = k
            if layer > 0:
                for q in range(m):
                    values[q] *= factor[q]
        if n_layers > 1:
            for q in range(m):
                out[c0 + q] = values[q]


eval_range = kernel([types.void(*_PROGRAM, types.int64, types.float64[::1])])(_eval_range)
eval_range_f32 = kernel([types.void(*_PROGRAM, types.int64, types.float32[::1])])(_eval_range)


@inline
def _segment_of(seg_start, lo, hi, step):
    """The segment of ``lo .. hi - 1`` that holds ``step`` (binary search; seg_start[lo] = 0)."""
    a = lo + 1
    b = hi
    while a < b:
        mid = (a + b) >> 1
        if seg_start[mid] <= step:
            a = mid + 1
        else:
            b = mid
    return a - 1


@inline
def _eval_chunk(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, steps, out, times, values, order, seg):
    n = steps.size
    ascending = True
    for j in range(1, n):
        if steps[j] < steps[j - 1]:
            ascending = False
            break
    for layer in range(layer_ptr.size - 1):
        lo = layer_ptr[layer]
        hi = layer_ptr[layer + 1]
        if ascending:
            j0 = 0
            while j0 < n:
                k = _segment_of(seg_start, lo, hi, steps[j0])
                j1 = n
                if k + 1 < hi:
                    j1 = j0 + 1
                    while j1 < n and steps[j1] < seg_start[k + 1]:
                        j1 += 1
                origin = seg_origin[k]
                for q in range(j0, j1):
                    times[q] = steps[q] - origin
                _fill(seg_op[k], fparams[k], iparams[k], times[j0:j1], values[j0:j1])
                j0 = j1
            if layer == 0:
                for q in range(n):
                    out[q] = values[q]
            else:
                for q in range(n):
                    out[q] *= values[q]
            continue
        n_seg = hi - lo
        begin = np.zeros(n_seg + 1, np.int64)
        for j in range(n):
            k = _segment_of(seg_start, lo, hi, steps[j]) - lo
            seg[j] = k
            begin[k + 1] += 1
        for k in range(n_seg):
            begin[k + 1] += begin[k]
        fill = begin[:n_seg].copy()
        for j in range(n):
            k = seg[j]
            order[fill[k]] = j
            fill[k] += 1
        for k in range(n_seg):
            b0 = begin[k]
            b1 = begin[k + 1]
            if b1 == b0:
                continue
            g = lo + k
            origin = seg_origin[g]
            for q in range(b0, b1):
                times[q] = steps[order[q]] - origin
            _fill(seg_op[g], fparams[g], iparams[g], times[b0:b1], values[b0:b1])
        if layer == 0:
            for q in range(n):
                out[order[q]] = values[q]
        else:
            for q in range(n):
                out[order[q]] *= values[q]


@kernel([types.void(*_PROGRAM, types.int64[::1], types.float64[::1])])
def eval_steps(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, steps, out):
    """out[j] = value at steps[j], for any array of non-negative steps.

    Works through ``steps`` in chunks that stay in cache.  In a chunk,
    ascending steps (the common case: a range, a sorted sample) are cut into
    runs that share a segment and filled run by run; other steps are grouped
    by segment with a counting sort, filled segment by segment, and scattered
    back.  Either way each segment dispatches its op once.
    """
    chunk = 4096
    times = np.empty(chunk, np.int64)
    values = np.empty(chunk, np.float64)
    order = np.empty(chunk, np.int64)
    seg = np.empty(chunk, np.int64)
    for c0 in range(0, steps.size, chunk):
        c1 = min(steps.size, c0 + chunk)
        _eval_chunk(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr,
                    steps[c0:c1], out[c0:c1], times, values, order, seg)  # fmt: skip
