"""Math on blocks of values, written so that LLVM vectorizes it.

Numba here has no vector ``log``/``exp``/``pow`` (llvmlite is built without
SVML): a loop that calls ``math.log`` runs one libm call per step, 5-20 ns.
The functions below work on whole blocks (arrays of at most ``BLOCK``
values, small enough to stay in L1) in passes of branch-free arithmetic:
exponent and mantissa are taken apart with integer operations on an
``int64`` view of the block, and the rest is polynomials.

Each block function is compiled once (not inlined into every caller: that
multiplied the first compile on a machine) and without FMA contraction, so
its roundings are IEEE's and ``tests/reference.py`` can reproduce the noise
bit for bit.

Accuracy (checked against ``math`` in ``tests/test_vmath.py``): ``log`` within
2 ulp, ``exp`` within 2 ulp, and the pairs ``(x ** e, 1 - x ** e)`` each with
a relative error of a few ulp times ``|e log x|``.

Every function takes its inputs, its outputs and the number ``m`` of values
to use; the arrays may be longer.  Inputs and outputs must not overlap
unless a docstring says so.
"""

import math

import numpy as np

from ._jit import exact, inline

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


@exact
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


@exact
def pow_pair(x, xc, e, g, gc, work, bits, m):
    """(g, gc) = (x ** e, 1 - x ** e) for 0 <= x <= 1, xc = 1 - x (both accurate), e > 0.

    ``work`` is float64 scratch of ``m`` values, ``bits`` int64 scratch of ``2 m``.
    The log is taken of x when x < 1/2, else of w = fl(1 - xc) with the first-order
    correction (1 - xc - w) / w, so that log(1 - xc) keeps its relative accuracy.
    """
    for i in range(m):
        v = x[i]
        work[i] = v if v < 0.5 else 1.0 - xc[i]
        work[i] = max(work[i], 5e-324)
    log_pos(work, g, bits, m)
    for i in range(m):
        w = work[i]
        c = 0.0 if x[i] < 0.5 else ((1.0 - w) - xc[i]) / w
        gc[i] = -math.inf if x[i] == 0.0 else e * (g[i] + c)
    for i in range(m):
        work[i] = gc[i]
    exp_pair_neg(work, g, gc, bits, m)


@exact
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


@exact
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
    ``bits`` int64 scratch of 2 m.
    """
    if not tails:
        for i in range(m):
            v = q[i]
            r = 0.180625 - v * v
            out[i] = v * _poly7(_CENTRAL_NUM, r) / _poly7(_CENTRAL_DEN, r)
        return
    for i in range(m):
        work[i] = 0.5 - abs(q[i])
    log_pos(work, out, bits, m)
    for i in range(m):  # every branch computed, then selected: no branch in the loop
        v = q[i]
        r = 0.180625 - v * v
        x = v * _poly7(_CENTRAL_NUM, r) / _poly7(_CENTRAL_DEN, r)
        r = math.sqrt(-min(out[i], -0.0))
        near = r - 1.6
        far = r - 5.0
        y_near = _poly7(_NEAR_NUM, near) / _poly7(_NEAR_DEN, near)
        y_far = _poly7(_FAR_NUM, far) / _poly7(_FAR_DEN, far)
        y = y_near if r <= 5.0 else y_far
        y = -y if v < 0.0 else y
        out[i] = x if abs(v) <= 0.425 else y
