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
has no branch on the op, so LLVM vectorizes it.  Where an op needs ``log``,
``exp`` or a power per step, it works block by block with the vectorizable
math of the block section below instead of libm.  Loops index slices from 0 (an index
``j0 + i`` is checked for wraparound and keeps LLVM from vectorizing).
"""

import math
from types import FunctionType

import numpy as np
from numba import njit, types

from ._jit import exact, helper, inline, kernel, quotient

# -- block math --------------------------------------------------------------------------------
#
# Math on blocks of values, written so that LLVM vectorizes it.
#
# Numba here has no vector ``log``/``exp``/``pow`` (llvmlite is built without
# SVML): a loop that calls ``math.log`` runs one libm call per step, 5-20 ns.
# The functions below work on whole blocks (arrays of at most ``BLOCK``
# values, small enough to stay in L1) in passes of branch-free arithmetic:
# exponent and mantissa are taken apart with integer operations on an
# ``int64`` view of the block, and the rest is polynomials.
#
# Each block function is compiled once (not inlined into every caller: that
# multiplied the first compile on a machine).  The noise's (``log_pos_exact``,
# ``normal_quantile``) are compiled without FMA contraction, so their roundings
# are IEEE's and ``tests/reference.py`` reproduces the noise bit for bit.
#
# Accuracy (checked against ``math`` in ``tests/test_vmath.py``): ``log`` within
# 2 ulp, ``exp`` within 2 ulp, and the pairs ``(x ** e, 1 - x ** e)`` each with
# a relative error of a few ulp times ``|e log x|``.
#
# Every function takes its inputs, its outputs and the number ``m`` of values
# to use; the arrays may be longer.  Inputs and outputs must not overlap
# unless a docstring says so.
#
# It lives in this module because Numba's on-disk cache checks the freshness of
# an entry point's own source file only: code an entry point calls from another
# module could change without the cached machine code noticing.

BLOCK = 256  # values per block: 2 KiB per float64 array

_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_SQRT2 = 1.4142135623730951
_MANTISSA = 0x000FFFFFFFFFFFFF
_ONE = 0x3FF0000000000000  # the bits of 1.0


@inline
def clip(v, lo, hi):
    """min(max(v, lo), hi) for lo <= hi, as two selects (Numba's min and max test for NaN and do not vectorize)."""
    v = v if v > lo else lo
    return v if v < hi else hi


@inline
def log_pos(x, out, bits, m):
    """out[i] = log(x[i]) for 0 < x[i] < inf (subnormals included); ``bits`` is int64 scratch.

    x = 2**k * w with w in [sqrt(1/2), sqrt(2)); log w = 2 atanh(s) with
    s = (w - 1) / (w + 1), |s| < 0.172, summed through s**21 (the next term
    is below 2e-18 of the result).
    """
    wf = bits.view(np.float64)
    for i in range(m):  # subnormals are scaled into the normal range first
        v = x[i]
        wf[i] = v * 18014398509481984.0 if v < 2.2250738585072014e-308 else v  # 2**54
    for i in range(m):
        b = bits[i]
        out[i] = float(((b >> 52) & 0x7FF) - 1023)  # the exponent k, as a float, until the second pass
        bits[i] = (b & _MANTISSA) | _ONE  # the mantissa, in [1, 2)
    for i in range(m):
        w = wf[i]
        k = out[i] - (54.0 if x[i] < 2.2250738585072014e-308 else 0.0)
        big = w > _SQRT2
        w = 0.5 * w if big else w
        k = k + 1.0 if big else k
        f = w - 1.0  # exact
        s = f / (2.0 + f)
        z = s * s
        r = 2.0 / 21.0
        r = r * z + 2.0 / 19.0
        r = r * z + 2.0 / 17.0
        r = r * z + 2.0 / 15.0
        r = r * z + 2.0 / 13.0
        r = r * z + 2.0 / 11.0
        r = r * z + 2.0 / 9.0
        r = r * z + 2.0 / 7.0
        r = r * z + 2.0 / 5.0
        r = r * z + 2.0 / 3.0
        r = r * z  # log w = 2s + s r = f - s (f - r), since 2s = f - s f
        out[i] = k * _LN2_HI + (k * _LN2_LO + (f - s * (f - r)))


@exact
def log_pos_exact(x, out, bits, m):
    """``log_pos`` with IEEE roundings only, as ``tests/reference.py`` reproduces them (the noise)."""
    log_pos(x, out, bits, m)


@inline
def exp_pair_neg(y, g, gc, bits, m):
    """(g, gc) = (exp(y), -expm1(y)) for y <= 0 (y = -inf gives (0, 1)), each with a small relative error.

    y = k ln 2 + r with |r| <= ln 2 / 2; expm1(r) = p by its Taylor series
    through r**14; exp(y) = 2**k (1 + p) and 1 - exp(y) = (1 - 2**k) - 2**k p.
    2**k is built from its bits, split in two factors so that a subnormal
    result keeps its digits.  Overwrites nothing but g, gc and bits.
    """
    two = bits.view(np.float64)
    for i in range(m):
        v = clip(y[i], -1100.0, 0.0)
        k = math.floor(v * 1.4426950408889634 + 0.5)
        r = (v - k * _LN2_HI) - k * _LN2_LO
        p = 1.0 / 87178291200.0  # 1 / 14!
        p = p * r + 1.0 / 6227020800.0
        p = p * r + 1.0 / 479001600.0
        p = p * r + 1.0 / 39916800.0
        p = p * r + 1.0 / 3628800.0
        p = p * r + 1.0 / 362880.0
        p = p * r + 1.0 / 40320.0
        p = p * r + 1.0 / 5040.0
        p = p * r + 1.0 / 720.0
        p = p * r + 1.0 / 120.0
        p = p * r + 1.0 / 24.0
        p = p * r + 1.0 / 6.0
        p = p * r + 0.5
        p = r + r * (r * p)
        g[i] = p
        gc[i] = k
    lo_bits = bits[:m]
    hi_bits = bits[m : 2 * m]
    lo = two[:m]
    hi = two[m : 2 * m]
    for i in range(m):
        k = int(gc[i])
        half = k >> 1
        lo_bits[i] = (half + 1023) << 52
        hi_bits[i] = (k - half + 1023) << 52
    for i in range(m):
        s1 = lo[i]
        s2 = hi[i]
        p = g[i]
        s = s1 * s2
        g[i] = (s1 + s1 * p) * s2
        gc[i] = (1.0 - s) - s * p


@inline
def pow_pair(x, xc, e, g, gc, work, bits, m):
    """(g, gc) = (x ** e, 1 - x ** e) for 0 <= x <= 1, xc = 1 - x (both accurate), e > 0.

    ``work`` is float64 scratch of ``m`` values, ``bits`` int64 scratch of ``2 m``.
    The log is taken of x when x < 1/2, else of w = fl(1 - xc) with the first-order
    correction (1 - xc - w) / w, so that log(1 - xc) keeps its relative accuracy.
    """
    for i in range(m):
        v = x[i]
        w = v if v < 0.5 else 1.0 - xc[i]
        work[i] = w if w > 5e-324 else 5e-324  # a select: Numba's max tests for NaN and does not vectorize
    log_pos(work, g, bits, m)
    for i in range(m):
        w = work[i]
        c = 0.0 if x[i] < 0.5 else ((1.0 - w) - xc[i]) / w
        gc[i] = -math.inf if x[i] == 0.0 else e * (g[i] + c)
    for i in range(m):
        work[i] = gc[i]
    exp_pair_neg(work, g, gc, bits, m)


@inline
def pow_pair_nice(x, xc, n, half, g, gc, m):
    """(g, gc) = (x ** e, 1 - x ** e) for e = n + half / 2 (n >= 0, half in {0, 1}): multiplies and a sqrt.

    x ** n by repeated multiplication and 1 - x ** n = (1 - x)(1 + x + ... + x ** (n - 1));
    for a half power 1 - x ** n sqrt(x) = (1 - x ** n) + x ** n (1 - x) / (1 + sqrt(x)).
    Sums of positive terms: both results keep a small relative error.
    """
    if n == 0:
        for i in range(m):
            g[i] = 1.0
            gc[i] = 0.0
    else:  # the first round done while initializing: g = x, the sum = 1
        for i in range(m):
            g[i] = x[i]
            gc[i] = 1.0
    for _ in range(n - 1):
        for i in range(m):
            gc[i] += g[i]
            g[i] *= x[i]
    if half:
        for i in range(m):
            r = math.sqrt(x[i])
            xn = g[i]
            g[i] = xn * r
            gc[i] = xc[i] * gc[i] + xn * (xc[i] / (1.0 + r))
    else:
        for i in range(m):
            gc[i] = xc[i] * gc[i]


@inline
def nice(e):
    """(n, half) when e = n + half / 2 with 0 < e <= 32 (multiplies and at most one sqrt); else (-1, 0)."""
    twice = 2.0 * e
    if 0.0 < e <= 32.0 and twice == math.floor(twice):
        n = int(math.floor(e))
        return n, int(twice) - 2 * n
    return -1, 0


@helper
def any_pow_pair(x, xc, e, n, half, g, gc, work, bits, m):
    """``pow_pair_nice`` when ``(n, half) = nice(e)`` says e is a whole or half number, else ``pow_pair``."""
    if n >= 0:
        pow_pair_nice(x, xc, n, half, g, gc, m)
    else:
        pow_pair(x, xc, e, g, gc, work, bits, m)


# Wichura's AS241 (Applied Statistics 37, 1988): rational approximations of the
# normal quantile, relative error about 1e-16.  Coefficients, lowest power first.
_CENTRAL_NUM = (3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125,
                45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727)
_CENTRAL_DEN = (1.0, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077,
                21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561)
_NEAR_NUM = (1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504,
             1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4)
_NEAR_DEN = (1.0, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455,
             0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9)
_FAR_NUM = (6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123,
            0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7)
_FAR_DEN = (1.0, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525,
            7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15)


@inline
def _poly7(c, r):
    """c[0] + c[1] r + ... + c[7] r**7 by Horner's rule."""
    v = c[7]
    v = v * r + c[6]
    v = v * r + c[5]
    v = v * r + c[4]
    v = v * r + c[3]
    v = v * r + c[2]
    v = v * r + c[1]
    return v * r + c[0]


@exact
def normal_quantile(q, out, work, bits, m, tails):
    """out[i] = the standard normal quantile of 1/2 + q[i], for |q[i]| < 1/2.

    |q| <= 0.425 takes AS241's central rational; beyond, r = sqrt(-log(1/2 - |q|))
    takes one of two tail rationals.  ``tails=False`` promises |q| <= 0.425
    everywhere (then no log is taken).  ``work`` is float64 scratch of m values,
    ``bits`` int64 scratch of 3 m.  The central rational is computed for every
    value (a vectorized loop); the tail values (15% of draws at most) are
    gathered, computed together and scattered back, so a value's arithmetic
    does not depend on its neighbours.
    """
    for i in range(m):
        v = q[i]
        r = 0.180625 - v * v
        out[i] = v * _poly7(_CENTRAL_NUM, r) / _poly7(_CENTRAL_DEN, r)
    if not tails:
        return
    at = bits[m : 2 * m]
    count = 0
    for i in range(m):  # the tail indices, without a branch: always store, advance when in the tail
        at[count] = i
        count += abs(q[i]) > 0.425
    if count == 0:
        return
    lg = bits[2 * m : 3 * m].view(np.float64)
    for c in range(count):
        work[c] = 0.5 - abs(q[at[c]])
    log_pos_exact(work, lg, bits, count)
    for c in range(count):  # gathered first, so that the loop below reads contiguous values
        work[c] = q[at[c]]
    for c in range(count):  # both tail rationals computed, then selected: no branch in the loop
        v = work[c]
        x = lg[c]
        r = math.sqrt(-x if x < 0.0 else 0.0)
        near = r - 1.6
        far = r - 5.0
        y_near = _poly7(_NEAR_NUM, near) / _poly7(_NEAR_DEN, near)
        y_far = _poly7(_FAR_NUM, far) / _poly7(_FAR_DEN, far)
        y = y_near if r <= 5.0 else y_far
        work[c] = -y if v < 0.0 else y
    for c in range(count):
        out[at[c]] = work[c]


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
    """(cos^2(pi t / 2L), sin^2(pi t / 2L)) for 0 <= t <= L (integers, or reals); c = pi / (2 L).

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


@inline
def _powers(base, scale, m):
    """[base ** (i * scale) for i in range(m)], each from libm's pow (no accumulated error)."""
    out = np.empty(m, np.float64)
    for i in range(m):
        out[i] = math.pow(base, i * scale)
    return out


@inline
def _aligned(t, period, cap):
    """Whether t's aligned block of 64 steps stays below the exponent cap."""
    return (t - (t & 63) + 63) / period <= cap


@inline
def _exp_g(rate, t, period, lo, hi, cap, steps):
    """clip(rate ** (t / T), lo, hi), as rate ** (64 floor(t / 64) / T) * rate ** ((t % 64) / T).

    One definition for every path (tables, arrays, single steps), so values
    never depend on how steps are chunked; tables pay one pow per 64 steps.
    """
    if _aligned(t, period, cap):
        g = math.pow(rate, (t - (t & 63)) / period) * steps[t & 63]
    else:
        g = math.pow(rate, min(t / period, cap))
    return clip(g, lo, hi)


@inline
def _tanh_block(t, length, lower, upper, slope):
    """For t's aligned block of 64 steps: (exp(-2 |z|) at its first step, the sign of z in it).

    z = lower (1 - t/L) + upper t/L keeps its sign over most blocks; there
    exp(-2|z|) is the block's first value times a tabulated factor per step
    (one exp per block, the same numbers whatever the chunking).  Sign 0:
    z changes sign in the block (or moves too fast), evaluate each step.
    """
    t0 = t - (t & 63)
    r0 = t0 / length
    z0 = lower * (1.0 - r0) + upper * r0
    r1 = (t0 + 63) / length
    z1 = lower * (1.0 - r1) + upper * r1
    if slope >= 5.0 or not (z0 > 0.0 or z1 <= 0.0):
        return 0.0, 0
    return math.exp(-2.0 * abs(z0)), (1 if z0 > 0.0 else -1)


@inline
def _logistic_of_step(t, length, lower, upper):
    r = t / length
    return _logistic_pair(lower * (1.0 - r) + upper * r)


@inline
def _hash32(x):
    """A 32-bit integer mix (xorshift-multiply); int64 arithmetic, low 32 bits kept."""
    x &= 0xFFFFFFFF
    x ^= x >> 16
    x = (x * 0x7FEB352D) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x846CA68B) & 0xFFFFFFFF
    x ^= x >> 16
    return x


@inline
def _centered(low, key):
    """A uniform number in (-1, 1), (2k + 1 - 2**53) / 2**53, from 53 bits k of two hashes.

    ``low`` is the step's low 32 bits; ``key`` = ``_noise_key(seed, step >> 32)``.
    For a fixed key, h is a bijection of the low bits (distinct steps in a
    2**32-step window never share h); h2 supplies the 21 further bits.
    """
    h = _hash32(low ^ key)
    h2 = _hash32(h ^ 0x9E3779B9)
    k = (h >> 5) * 67108864 + (h2 >> 6)
    return (2 * k + 1 - 9007199254740992) / 9007199254740992.0


@inline
def _noise_key(seed, high):
    """The hash key of the steps whose high 32 bits are ``high``: constant over 2**32 steps."""
    return _hash32(high ^ _hash32(seed ^ 0x6A09E667))


@inline
def _uniforms(seed, times, w, m):
    """w[i] = ``_centered`` of step times[i], i < m; the key is hashed once when the block shares it."""
    high = times[0] >> 32
    same = True
    for i in range(m):
        same &= (times[i] >> 32) == high
    if same:
        key = _noise_key(seed, high)
        for i in range(m):
            w[i] = _centered(times[i] & 0xFFFFFFFF, key)
    else:
        for i in range(m):
            t = times[i]
            w[i] = _centered(t & 0xFFFFFFFF, _noise_key(seed, t >> 32))


@exact
def _fill_noise(f, p, times, dst):
    """NOISE: dst[j] = a * (1 + n) with n a pure function of (seed, t); ``_fill`` for that op.

    Uniform: n = w pct.  Gaussian truncated to |n| < pct (the distribution of
    timm's redraw rule, one draw per step): n = std * quantile(1/2 + w h) with
    h = P(0 < Z < pct / std) = f[4], clipped to [-pct, pct] against rounding.
    w = ``_centered`` of (seed, t).  Compiled without ``contract``: every rounding
    is IEEE's, so ``tests/reference.py`` reproduces the numbers bit for bit
    (1 + n loses relative accuracy where n is near -1; equality keeps the
    accuracy test exact there).
    """
    n = times.size
    a = f[0]
    std = f[2]
    pct = f[3]
    h = f[4]
    seed = p[1]
    uniform = p[2] != 0
    tails = h > 0.425
    q = np.empty(BLOCK, np.float64)
    x = np.empty(BLOCK, np.float64)
    work = np.empty(BLOCK, np.float64)
    bits = np.empty(3 * BLOCK, np.int64)
    for j0 in range(0, n, BLOCK):
        m = min(BLOCK, n - j0)
        d = dst[j0 : j0 + m]
        _uniforms(seed, times[j0 : j0 + m], q, m)
        if uniform:
            for i in range(m):
                d[i] = a * (1.0 + q[i] * pct)
            continue
        for i in range(m):
            q[i] = q[i] * h
        normal_quantile(q, x, work, bits, m, tails)
        for i in range(m):
            d[i] = a * (1.0 + clip(std * x[i], -pct, pct))


@helper
def _fill_powers(op, f, p, times, dst):
    """COSINE with a k-decay or an exponent, POLY and INVPOLY: ``_fill`` for the ops with powers.

    Block by block: the progress p = (t / L) ** k and 1 - p, then
    the base pair (cos^2(pi p / 2) and sin^2 for COSINE, 1 - p and p for POLY),
    then its power.  Every value of a pair is computed, never 1 minus its twin
    where that would cancel.
    """
    n = times.size
    a = f[0]
    b = f[1]
    length = p[0]
    e = f[2]
    k = f[3] if op != 11 else 1.0
    kn, kh = nice(k)
    en, eh = nice(e)
    x = np.empty(BLOCK, np.float64)
    xc = np.empty(BLOCK, np.float64)
    g = np.empty(BLOCK, np.float64)
    gc = np.empty(BLOCK, np.float64)
    work = np.empty(BLOCK, np.float64)
    bits = np.empty(2 * BLOCK, np.int64)
    inv = 1.0 / length
    for j0 in range(0, n, BLOCK):
        m = min(BLOCK, n - j0)
        tm = times[j0 : j0 + m]  # slices: an index j0 + i would be checked for wraparound and not vectorize
        d = dst[j0 : j0 + m]
        for i in range(m):
            t = tm[i]
            x[i] = quotient(t, length, inv)  # quotients: exact at t = 0 and t = L, where peaks must be exact
            xc[i] = quotient(length - t, length, inv)
        if k != 1.0:  # (x, xc) = (p, 1 - p)
            any_pow_pair(x, xc, k, kn, kh, g, gc, work, bits, m)
            for i in range(m):
                x[i] = g[i]
                xc[i] = gc[i]
        if op == 2:  # the pair (cos^2(pi p / 2), sin^2(pi p / 2)), the smaller one a square of a sine
            if k == 1.0:
                c = math.pi / (2.0 * length)
                for i in range(m):
                    g[i], gc[i] = _cos2_sin2(tm[i], length, c)
            else:
                for i in range(m):
                    far = x[i] > 0.5
                    s = _sin_small(0.5 * math.pi * (xc[i] if far else x[i]))
                    small = s * s
                    big = 1.0 - small
                    g[i] = small if far else big
                    gc[i] = big if far else small
            if e != 1.0:
                for i in range(m):
                    x[i] = g[i]
                    xc[i] = gc[i]
                any_pow_pair(x, xc, e, en, eh, g, gc, work, bits, m)
            for i in range(m):
                d[i] = a * g[i] + b * gc[i]
        elif op == 3:  # ((1 - p) ** power, 1 - (1 - p) ** power)
            any_pow_pair(xc, x, e, en, eh, g, gc, work, bits, m)
            for i in range(m):
                d[i] = a * g[i] + b * gc[i]
        else:  # INVPOLY: (1 - p ** power, p ** power)
            any_pow_pair(x, xc, e, en, eh, gc, g, work, bits, m)
            for i in range(m):
                d[i] = a * g[i] + b * gc[i]


@helper
def _fill(op, f, p, times, dst, contiguous):
    """dst[j] = value of one segment at local times[j] (consecutive integers if ``contiguous``).

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
    elif op == 1 and f[7] > 0.0:  # LINEAR between real knots: t - f[6] over a real length f[7]
        length = f[7]
        shift = f[6]
        for j in range(n):  # divisions: a real length may be as small as the subnormals
            t = times[j] - shift
            dst[j] = a * ((length - t) / length) + b * (t / length)
    elif op == 1:  # LINEAR: g = (L - t) / L
        length = p[0]
        inv = 1.0 / length
        for j in range(n):
            t = times[j]
            dst[j] = a * quotient(length - t, length, inv) + b * quotient(t, length, inv)
    elif op == 2 and f[7] > 0.0:  # COSINE between real knots (exponent 1, k 1)
        length = f[7]
        shift = f[6]
        c = math.pi / (2.0 * length)
        for j in range(n):
            g, gc = _cos2_sin2(times[j] - shift, length, c)
            dst[j] = a * g + b * gc
    elif op == 2:  # COSINE: g = ((1 + cos(pi p)) / 2) ** exponent, p = (t / L) ** k
        length = p[0]
        c = math.pi / (2.0 * length)
        e = f[2]
        k = f[3]
        if k == 1.0 and e == 1.0:
            for j in range(n):
                g, gc = _cos2_sin2(times[j], length, c)
                dst[j] = a * g + b * gc
        else:
            _fill_powers(op, f, p, times, dst)
    else:
        _fill_more(op, f, p, times, dst, contiguous)


@helper
def _fill_more(op, f, p, times, dst, contiguous):
    """``_fill`` for the ops after the three most schedules are made of (CONST, LINEAR, COSINE):
    a function of its own, so that the basic tier compiles without them."""
    n = times.size
    a = f[0]
    b = f[1]
    if op == 3:  # POLY: g = (1 - p) ** power, p = (t / L) ** k
        length = p[0]
        e = f[2]
        k = f[3]
        if k != 1.0 or not (e == 1.0 or e == 2.0):
            _fill_powers(op, f, p, times, dst)
        elif e == 1.0:
            inv = 1.0 / length
            for j in range(n):
                t = times[j]
                dst[j] = a * quotient(length - t, length, inv) + b * quotient(t, length, inv)
        else:
            inv = 1.0 / length
            for j in range(n):
                t = times[j]
                u = quotient(length - t, length, inv)
                v = quotient(t, length, inv)
                dst[j] = a * (u * u) + b * (v * (1.0 + u))
    elif op == 4:  # EXP: g = clip(rate ** (t / T), lo, hi); f[5] caps the exponent once hi is reached
        period = p[0]
        rate = f[2]
        lo = f[3]
        hi = f[4]
        cap = f[5]
        steps = _powers(rate, 1.0 / period, 64)
        if contiguous:  # one pow per aligned block of 64 steps
            j = 0
            while j < n:
                t = times[j]
                m = min(n - j, 64 - (t & 63))
                d = dst[j : j + m]  # a slice: an index j + i would be checked for wraparound and not vectorize
                if _aligned(t, period, cap):
                    base = math.pow(rate, (t - (t & 63)) / period)
                    for i in range(m):
                        d[i] = a * clip(base * steps[(t & 63) + i], lo, hi)
                else:
                    for i in range(m):
                        d[i] = a * _exp_g(rate, t + i, period, lo, hi, cap, steps)
                j += m
        else:
            for j in range(n):
                dst[j] = a * _exp_g(rate, times[j], period, lo, hi, cap, steps)
    elif op == 5:  # EXP_STAIR: g = clip(rate ** (t // T), lo, hi); also StepLR's gamma ** (t // s)
        period = p[0]
        rate = f[2]
        lo = f[3]
        hi = f[4]
        cap = f[5]
        if contiguous:  # stair by stair: one pow, then a plain fill
            j = 0
            while j < n:
                k = times[j] // period
                j2 = min(n, j + (k + 1) * period - times[j])
                v = a * clip(math.pow(rate, min(float(k), cap)), lo, hi)
                d = dst[j:j2]
                for i in range(j2 - j):
                    d[i] = v
                j = j2
        else:
            last = -1
            v = a
            for j in range(n):
                k = times[j] // period
                if k != last:  # one pow per stair, not per step
                    last = k
                    v = a * clip(math.pow(rate, min(float(k), cap)), lo, hi)
                dst[j] = v
    elif op == 6:  # INVTIME: g = 1 / (1 + rate * t / T)
        period = p[0]
        rate = f[2]
        inv = 1.0 / period
        for j in range(n):
            dst[j] = a / (1.0 + rate * quotient(times[j], period, inv))
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
        slope = (upper - lower) / length  # z grows by this per step
        down = np.empty(64, np.float64)  # exp(-2 |z|) changes by these factors while z keeps its sign
        up = np.empty(64, np.float64)
        steep = min(slope, 5.0)  # blocks with slope >= 5 go step by step and never read the tables
        for i in range(64):
            down[i] = math.exp(-2.0 * steep * i)
            up[i] = math.exp(2.0 * steep * i)
        j = 0
        while j < n:
            t = times[j]
            m = min(n - j, 64 - (t & 63)) if contiguous else 1
            e0, sign = _tanh_block(t, length, lower, upper, slope)
            d = dst[j : j + m]
            for i in range(m):
                if sign == 0:
                    g, gc = _logistic_of_step(t + i, length, lower, upper)
                else:
                    e = e0 * (down[(t & 63) + i] if sign > 0 else up[(t & 63) + i])
                    small = e / (1.0 + e)
                    big = 1.0 / (1.0 + e)
                    g, gc = (small, big) if sign > 0 else (big, small)
                d[i] = a * g + b * gc
            j += m
    elif op == 10:  # EXPWARM: g = (exp(-k t / L) - exp(-k)) / (1 - exp(-k)) = expm1(k (L - t) / L) / expm1(k)
        length = p[0]
        k = f[2]
        span = math.expm1(k)
        floor = math.exp(-k)
        inv = 1.0 / length
        for j in range(n):
            t = times[j]
            g = math.expm1(k * quotient(length - t, length, inv)) / span
            gc = -math.expm1(-k * quotient(t, length, inv)) / (1.0 - floor)
            dst[j] = a * g + b * gc
    elif op == 11:  # INVPOLY: g = 1 - (t / L) ** power
        _fill_powers(op, f, p, times, dst)
    elif op == 12:  # EXP2: g = 2 ** (1 - t / L) - 1, 1 - g = 2 (1 - 2 ** (-t / L))
        length = p[0]
        ln2 = math.log(2.0)
        inv = 1.0 / length
        for j in range(n):
            t = times[j]
            g = math.expm1(quotient(length - t, length, inv) * ln2)
            gc = -2.0 * math.expm1(-quotient(t, length, inv) * ln2)
            dst[j] = a * g + b * gc
    elif op == 13:  # NOISE: a * (1 + n), n from (seed, t) alone
        _fill_noise(f, p, times, dst)


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


@exact
def _float_start(i, period, mult):
    """First step of cycle i when lengths are not integers: round(period * G(i)) with
    G(i) = i (mult = 1) or (mult**i - 1) / (mult - 1), halves rounded up."""
    if mult == 1.0:
        x = period * i
    else:
        x = period * math.expm1(i * math.log(mult)) / (mult - 1.0)
    if not x < 4.6116860184273879e18:  # past 2**62 (or inf): beyond every step
        return 4611686018427387905
    r = math.floor(x)
    return int(r) + (1 if x - r >= 0.5 else 0)


@inline
def _cycle_of(t, first, m, mult, period):
    """(index, first step, length) of the cycle holding local step t, in exact integers.

    m >= 1: cycle i is first * m**i long (no float log: the loop runs at most
    62 times, because lengths at least double), cut to end by step 2**62 + 1.  m == 0: cycle i starts at
    ``_float_start(i)``; a float estimate of i is corrected by comparing
    integer starts, so the answer is exact for that rule.
    """
    if m == 1:
        i = t // first
        return i, i * first, min(first, 4611686018427387905 - i * first)
    if m > 1:
        start = 0
        length = first
        i = 0
        while t - start >= length:
            start += length
            length = length * m if length <= 4611686018427387905 // m else 4611686018427387905
            i += 1
        return i, start, min(length, 4611686018427387905 - start)  # cycles end by step 2**62 + 1
    if mult == 1.0:
        i = int(t / period)
    else:
        i = int(math.log1p(t * (mult - 1.0) / period) / math.log(mult))
    i = max(i, 0)
    while i > 0 and _float_start(i, period, mult) > t:
        i -= 1
    while _float_start(i + 1, period, mult) <= t:
        i += 1
    start = _float_start(i, period, mult)
    return i, start, _float_start(i + 1, period, mult) - start


@helper
def _fill_cycles(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous):
    """A CYCLE segment.  Cycles of one length that all take the same values (no decay, no
    per-step factor) repeat one period: it is computed once and copied, which keeps short
    cycles (SGDR every 10 steps, ``repeat``) from paying the per-cycle set-up on every cycle.
    The copied values are the ones the cycle-by-cycle path computes (the same local times).
    """
    p = iparams[k]
    length = p[0]
    n = times.size
    same_cycles = p[1] == 1 and fparams[k, 2] == 1.0 and (p[4] & 2) == 0
    if contiguous and same_cycles and length <= n // 2:
        period = np.empty(length, np.float64)
        local = np.empty(length, np.int64)
        for x in range(length):
            local[x] = x
        _cycle_runs(seg_start, seg_origin, seg_op, fparams, iparams, k, local, period, True)
        x = times[0] % length
        for j in range(n):
            dst[j] = period[x]
            x += 1
            if x == length:
                x = 0
        return
    _cycle_runs(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous)


@helper
def _cycle_runs(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous):
    """A CYCLE segment: the body, cycle by cycle, in runs of consecutive steps.

    ``times`` is the caller's scratch buffer and is overwritten with body
    times.  For each run inside one cycle, the body segments it crosses are
    filled with one op dispatch each (the last one stretched to the cycle's
    length if asked), with the body's end values ``a`` and ``b`` adjusted for
    cycle ``i``: scaled by ``decay**i`` where the segment marks them as peaks
    (peaks mode: SGDR's peaks decay, its floor stays), or pulled to the
    anchor, ``anchor + (v - anchor) * decay**i`` (amplitude mode: cyclic).
    With a per-step factor the pull is ``(decay**i) * gamma**t``, per value.
    """
    f = fparams[k]
    p = iparams[k]
    anchor = f[0]
    decay = f[2]
    peaks = f[3] != 0.0
    mult = f[4]
    gamma = f[5]
    period = f[6]
    first = p[0]
    m = p[1]
    lo = p[2]
    hi = p[3]
    stretch = (p[4] & 1) != 0
    per_step = (p[4] & 2) != 0
    body_ints = np.empty(p.size, np.int64)  # a body segment's integers (its length stretched)
    body_floats = np.empty(f.size, np.float64)  # its floats (its end values adjusted)
    gamma_steps = _powers(gamma, 1.0, 64)
    log_gamma = math.log(gamma) if per_step else 0.0
    pull_y = np.empty(64 if per_step else 0, np.float64)  # per-step pull: exp_pair_neg's blocks
    pull_g = np.empty(64 if per_step else 0, np.float64)
    pull_gc = np.empty(64 if per_step else 0, np.float64)
    pull_bits = np.empty(128 if per_step else 0, np.int64)
    n = times.size
    j = 0
    while j < n:
        t = times[j]
        i, start, length = _cycle_of(t, first, m, mult, period)
        if contiguous:
            j2 = min(n, j + (start + length - t))
        else:
            j2 = j + 1
            while j2 < n and times[j2] == times[j2 - 1] + 1 and times[j2] - start < length:
                j2 += 1
        c = 1.0 if decay == 1.0 else math.pow(decay, float(i))  # float: libm pow, not powi
        # 1 - c without cancellation where c is near 1, for the pull anchor (1 - c) + v c
        rest_c = -math.expm1(float(i) * math.log(decay)) if c >= 0.5 and not peaks else 1.0 - c
        b = _segment_of(seg_start, lo, hi, t - start)
        q = j
        while q < j2:
            tau = times[q] - start
            while b + 1 < hi and seg_start[b + 1] <= tau:
                b += 1
            q2 = j2
            if b + 1 < hi:
                q2 = min(j2, q + (seg_start[b + 1] - tau))
            origin = seg_origin[b]
            for r in range(q, q2):
                times[r] -= start + origin
            for x in range(p.size):
                body_ints[x] = iparams[b, x]
            if stretch and b == hi - 1:
                body_ints[0] = length - origin
            for x in range(f.size):
                body_floats[x] = fparams[b, x]
            if c != 1.0 and not per_step:
                for x in range(2):
                    if peaks:
                        if body_ints[5] & (1 << x):
                            body_floats[x] *= c
                    else:
                        body_floats[x] = anchor * rest_c + body_floats[x] * c
            _fill(seg_op[b], body_floats, body_ints, times[q:q2], dst[q:q2], True)
            if per_step:  # gamma ** t = gamma ** (64 floor(t / 64)) * gamma ** (t % 64): a pow per block
                # 1 - c gamma**t cancels where c gamma**t is near 1: there it is -expm1(log c + t log gamma)
                log_c = math.log(c) if c > 0.0 else -math.inf
                r = q
                while r < q2:
                    tt = start + origin + times[r]
                    m2 = min(q2 - r, 64 - (tt & 63))
                    g0 = c * math.pow(gamma, float(tt - (tt & 63)))
                    d = dst[r : r + m2]
                    if g0 * gamma_steps[tt & 63] >= 0.5:  # the block starts near 1 (cr only falls with t)
                        for i in range(m2):
                            pull_y[i] = log_c + float(tt + i) * log_gamma
                        exp_pair_neg(pull_y, pull_g, pull_gc, pull_bits, m2)
                        for i in range(m2):
                            cr = g0 * gamma_steps[(tt & 63) + i]
                            rest = pull_gc[i] if cr >= 0.5 else 1.0 - cr
                            d[i] = anchor * rest + d[i] * cr
                    else:
                        for i in range(m2):
                            cr = g0 * gamma_steps[(tt & 63) + i]
                            d[i] = anchor * (1.0 - cr) + d[i] * cr
                    r += m2
            q = q2
        j = j2


@helper
def _fill_segment(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous):
    """Fill ``dst`` with segment k at local ``times`` (a cycle, or one op)."""
    if seg_op[k] == 14:  # CYCLE
        _fill_cycles(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous)
    else:
        _fill(seg_op[k], fparams[k].copy(), iparams[k].copy(), times, dst, contiguous)  # one array type for _fill


# Program arrays are read-only (a Program is immutable), which Numba types separately.
_I1 = types.Array(types.int64, 1, "C", readonly=True)
_I2 = types.Array(types.int64, 2, "C", readonly=True)
_F2 = types.Array(types.float64, 2, "C", readonly=True)
_PROGRAM = (_I1, _I1, _I1, _F2, _I2, _I1)


@inline
def _layer_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, layer, first, times, dst, cursor):
    """dst[i] = layer ``layer``'s value at step first + i; its cursor walks the segments (steps only increase)."""
    m = dst.size
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
        _fill_segment(seg_start, seg_origin, seg_op, fparams, iparams, k,
                      times[: stop - pos], dst[pos:stop], True)  # fmt: skip
        pos = stop
    cursor[layer] = k


@inline
def _layers_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, first, times, dst, factor, cursor):
    """dst[i] = value at step first + i: layer 0 written into dst, the others multiplied in (via ``factor``)."""
    m = dst.size
    _layer_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, 0, first, times, dst, cursor)
    for layer in range(1, layer_ptr.size - 1):
        f = factor[:m]
        _layer_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, layer, first, times, f, cursor)
        for q in range(m):
            dst[q] *= f[q]


def _eval_range(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, start, out):
    """out[i] = value at step start + i, for a contiguous range of steps.

    Chunk by chunk (``_layers_into``).  float64 tables are formed in place.  A
    float32 table is too when it has one layer and no cycle; otherwise its
    values are formed in float64 (a cycle reads values back, and a product
    must round once) and cast as they are stored.
    """
    n = out.size
    n_layers = layer_ptr.size - 1
    cycles = False
    for k in range(seg_op.size):
        cycles = cycles or seg_op[k] == 14
    inplace = out.itemsize == 8 or (n_layers == 1 and not cycles)
    # steps per chunk: one layer keeps only its times in a buffer (at most 128 KB, and no more than
    # the table needs), so long chunks spread the per-call set-up of an op (an exponential's 64
    # powers, a cycle's period) over more steps; a product keeps values and factor in L1
    chunk = max(1, min(n, 1 << 14)) if n_layers == 1 else 8192
    values = np.empty(0 if inplace else chunk, np.float64)
    factor = np.empty(0 if n_layers == 1 else chunk, np.float64)
    times = np.empty(chunk, np.int64)
    cursor = layer_ptr[:-1].copy()
    for c0 in range(0, n, chunk):
        m = min(chunk, n - c0)
        o = out[c0 : c0 + m]  # a slice: an index c0 + q would be checked for wraparound and not vectorize
        if inplace:
            _layers_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, start + c0, times, o, factor, cursor)
        else:
            v = values[:m]
            _layers_into(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr, start + c0, times, v, factor, cursor)
            for q in range(m):
                o[q] = v[q]


eval_range = kernel([types.void(*_PROGRAM, types.int64, types.float64[::1])])(_eval_range)
eval_range_f32 = kernel([types.void(*_PROGRAM, types.int64, types.float32[::1])])(_eval_range)


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
                consecutive = steps[j1 - 1] - steps[j0] == j1 - 1 - j0  # ascending, so no repeats either
                _fill_segment(seg_start, seg_origin, seg_op, fparams, iparams, k, times[j0:j1], values[j0:j1],
                              consecutive)  # fmt: skip
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
            _fill_segment(seg_start, seg_origin, seg_op, fparams, iparams, g, times[b0:b1], values[b0:b1], False)
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


# -- four tiers of entry points ------------------------------------------------------------------
#
# A machine's first compile is mostly Numba and LLVM working through the code a
# kernel can reach.  The block math (powers, the noise's quantile, exp_range's
# per-step pull) is half of it, the cycle walking (``_fill_cycles``,
# ``_cycle_runs``) a quarter of the rest, and the ops beyond CONST, LINEAR and
# COSINE (``_fill_more``) most of what is left; most schedules reach none of
# them.  So every entry point has twins compiled from the same code with those
# helpers replaced by stubs that raise: "lite" (no block math), "plain" (no
# block math, no cycles) and "basic" (nothing but CONST, LINEAR and COSINE).  A
# process compiles only the tiers its programs need -- a warmup-cosine,
# warmup-linear, piecewise-constant or WSD schedule only the basic one, a step
# or one-cycle schedule the plain one.  Every tier runs the same arithmetic on
# the ops it has, so a program gets identical values from any tier that can run
# it; ``entries_for`` picks the smallest, by the same conditions ``_fill`` and
# the segments branch on.


def needs_block_math(segments):
    """Whether ``_fill`` (or a cycle) reaches the block math for any of these ``(op, f, i)`` segments."""
    for op, f, i in segments:
        if op in (11, 13):  # INVPOLY, NOISE
            return True
        if op == 2 and not f[7] > 0.0 and not (f[2] == 1.0 and f[3] == 1.0):  # COSINE with k or an exponent
            return True
        if op == 3 and (f[3] != 1.0 or not (f[2] == 1.0 or f[2] == 2.0)):  # POLY with k or a power not 1, 2
            return True
        if op == 14 and (i[4] & 2) != 0:  # CYCLE pulled per step (exp_range)
            return True
    return False


@helper
def _no_fill_powers(op, f, p, times, dst):
    raise AssertionError("lrsched: a lite or plain kernel reached the block math (entries_for chose wrongly)")


@helper
def _no_fill_noise(f, p, times, dst):
    raise AssertionError("lrsched: a lite or plain kernel reached the noise (entries_for chose wrongly)")


@helper
def _no_fill_cycles(seg_start, seg_origin, seg_op, fparams, iparams, k, times, dst, contiguous):
    raise AssertionError("lrsched: a plain kernel reached a cycle (entries_for chose wrongly)")


@helper
def _no_fill_more(op, f, p, times, dst, contiguous):
    raise AssertionError("lrsched: a basic kernel reached an op beyond CONST, LINEAR, COSINE (entries_for chose "
                         "wrongly)")  # fmt: skip


@inline
def _no_exp_pair_neg(y, g, gc, bits, m):
    raise AssertionError("lrsched: a lite or plain kernel reached exp_range's pull (entries_for chose wrongly)")


def _twins(suffix, stubs):
    """The call chain from the entry points down to ``_fill``, recompiled over ``stubs``."""
    space = dict(globals())
    space.update(stubs)

    def twin(fn, name):
        clone = FunctionType(fn.__code__, space, name, fn.__defaults__, fn.__closure__)
        clone.__qualname__ = name  # its own file in Numba's cache
        clone.__doc__ = fn.__doc__
        return clone

    for name in ("_fill_more", "_fill", "_cycle_runs", "_fill_cycles", "_fill_segment", "_layer_into", "_layers_into",
                 "_eval_chunk"):  # fmt: skip
        if name in stubs:
            continue
        d = globals()[name]
        if not hasattr(d, "py_func"):  # NUMBA_DISABLE_JIT: plain Python functions
            space[name] = twin(d, name + suffix)
            continue
        options = {k: v for k, v in d.targetoptions.items() if k != "nopython"}  # njit's own
        space[name] = njit(cache=True, **options)(twin(d.py_func, name + suffix))
    return (
        kernel(eval_range._signatures)(twin(_eval_range, "_eval_range" + suffix)),
        kernel(eval_range_f32._signatures)(twin(_eval_range, "_eval_range_f32" + suffix)),
        kernel(eval_steps._signatures)(twin(eval_steps._fn, "eval_steps" + suffix)),
    )


_LITE_STUBS = dict(_fill_powers=_no_fill_powers, _fill_noise=_no_fill_noise, exp_pair_neg=_no_exp_pair_neg)


class Entries:
    """The three entry points of one tier (``FULL``, ``LITE``, ``PLAIN`` or ``BASIC``)."""

    __slots__ = ("name", "eval_range", "eval_range_f32", "eval_steps")

    def __init__(self, name, eval_range, eval_range_f32, eval_steps):
        self.name, self.eval_range, self.eval_range_f32, self.eval_steps = name, eval_range, eval_range_f32, eval_steps

    def range_for(self, dtype):
        return self.eval_range if dtype == np.float64 else self.eval_range_f32


FULL = Entries("full", eval_range, eval_range_f32, eval_steps)
LITE = Entries("lite", *_twins("_lite", _LITE_STUBS))
_PLAIN_STUBS = {**_LITE_STUBS, "_fill_cycles": _no_fill_cycles}
PLAIN = Entries("plain", *_twins("_plain", _PLAIN_STUBS))
BASIC = Entries("basic", *_twins("_basic", {**_PLAIN_STUBS, "_fill_more": _no_fill_more}))
TIERS = (FULL, LITE, PLAIN, BASIC)  # each one's programs are a subset of the one before


def entries_for(program):
    """``FULL`` if the program reaches the block math, else ``LITE`` if it has a cycle, else ``BASIC``
    if it has only CONST, LINEAR and COSINE segments, else ``PLAIN``.

    Every tier gives the same values for the programs it can run; a smaller
    tier is a shorter first compile.
    """
    if needs_block_math(program.segments()):
        return FULL
    if program.has_cycles:
        return LITE
    return BASIC if all(op <= 2 for op, _, _ in program.segments()) else PLAIN


def precompile():
    """Compile (or load from Numba's on-disk cache) every entry point of every tier now; return their names.

    A process otherwise pays for each entry point on its first use.  Run it
    once where the cache should be warm before the first real call -- in a
    container build (``lrsched precompile``), or at the start of a job.
    """
    names = []
    for tier in TIERS:
        for name in ("eval_range", "eval_range_f32", "eval_steps"):
            getattr(tier, name).dispatcher  # noqa: B018 - creating the dispatcher compiles (or loads) it
            names.append(name if tier is FULL else f"{name} ({tier.name})")
    return names

