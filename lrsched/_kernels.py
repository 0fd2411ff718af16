"""Every compiled function of lrsched, and the Numba options they are compiled with.

The kernels are small and each does one thing, so a process compiles only
what its schedules use (``NEEDS`` in ``_program.py`` says which kernels each op
needs).  The walk over layers and segments is plain Python (``_schedule.py``):
it calls one op kernel per segment it crosses, or the tiler for a cycle.

Every op kernel takes the same arguments::

    fparams  float64[S, 8]   the segment parameter rows (``_program.py``): f[0] = a, f[1] = b, f[2:] shape
    iparams  int64[S, 6]     integer parameters: i[0] a length (or period), then more
    row, lo, hi, t0          one run: dst[lo + j] takes the value of segment ``row`` at local
                             time t0 + j, for j < hi - lo ...
    runs     int64[R, 4]     ... or, when not empty, R runs (row, lo, hi, t0), one per row
    dst      float64[N]      written in [lo, hi) for every run, nothing else ...
    dst32    float32[N]      ... unless the table is float32: then dst is empty and dst32 takes
                             the values, each rounded once from float64 (as ``narrow``)

A range of steps is one run per segment; an array of steps is cut into runs of
consecutive steps (one per step, where none follow each other).

Every op is linear in ``a = f[0]`` and ``b = f[1]`` (``a * g(t) + b * (1 - g(t))``
or ``a * g(t)``), so scaling a schedule is scaling ``a`` and ``b``, and the
tiler makes each cycle's values by giving a body segment adjusted rows.

Rules kept here: no validation (factories did it), no globals but literal
constants, no closures, integer step arithmetic, and branch-free inner loops
that LLVM vectorizes.  Where an op needs ``log``, ``exp`` or a power per step
it works block by block with the vectorizable block math below instead of
libm.  Loops index slices from 0 (an index ``j0 + i`` is checked for
wraparound and keeps LLVM from vectorizing).

Everything the compiled code reads -- options, helpers, constants -- lives in
this one file: Numba's on-disk cache checks the freshness of an entry point's
own source file only, so code it called from another module could change
without the cached machine code noticing (``tests/test_stale_cache.py``).

Options and why:

* ``cache=True`` -- a fresh process loads machine code from ``__pycache__``
  instead of compiling (the first use on a machine pays the compile once).
* explicit signatures -- compile exactly these, never on a user's call with a
  surprising dtype, and never again for a new composite schedule: every
  schedule is data fed to the same machine code.  Kernels compile (or load)
  on first use (see ``Kernel``).
* ``fastmath={"contract"}`` -- lets LLVM fuse ``a * b + c`` into FMA.  It only
  ever removes a rounding.  No ``reassoc``/``nnan``/``afn``: those change
  results.  Code whose roundings ``tests/reference.py`` reproduces (the noise,
  cycle starts) is compiled without it (``exact``).
* ``error_model="numpy"`` -- integer division and modulo do not test for zero
  (callers guarantee non-zero divisors), which keeps loops vectorizable.
* ``nogil=True`` -- schedules may be evaluated from several threads at once.
* ``boundscheck=False`` -- indices are computed by the kernels themselves.
"""

import math
import threading

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.extending import intrinsic

_OPTIONS = dict(
    cache=True,
    nogil=True,
    fastmath={"contract"},
    error_model="numpy",
    boundscheck=False,
)
_EXACT = {**_OPTIONS, "fastmath": False}

_COMPILING = threading.Lock()


class Kernel:
    """A kernel compiled for exactly ``signature``, on first use.

    Machine code comes from Numba's on-disk cache after the first run on a
    machine; a process compiles or loads only the kernels it calls.  No other
    signature is ever compiled: arguments of other types raise ``TypeError``.
    """

    def __init__(self, fn, signature, options):
        self._fn = fn
        self._signature = signature
        self._options = options
        self._dispatcher = None
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    @property
    def dispatcher(self):
        """The Numba dispatcher (compiling or loading the kernel the first time)."""
        if self._dispatcher is None:
            with _COMPILING:
                if self._dispatcher is None:
                    self._dispatcher = njit([self._signature], **self._options)(self._fn)
        return self._dispatcher

    @property
    def ready(self):
        """Whether this process has compiled or loaded the kernel."""
        return self._dispatcher is not None

    def __call__(self, *args):
        d = self._dispatcher
        if d is None:
            d = self.dispatcher
        return d(*args)


KERNELS = {}  # name -> Kernel: every kernel of this module, for NEEDS and precompile()


def kernel(signature, exact_math=False):
    """Make ``fn`` a kernel compiled for ``signature`` (a Numba type) on first use."""

    def decorate(fn):
        k = Kernel(fn, signature, _EXACT if exact_math else _OPTIONS)
        KERNELS[fn.__name__] = k
        return k

    return decorate


def inline(fn):
    """A small helper compiled into each caller (never called from Python)."""
    return njit(inline="always", **_OPTIONS)(fn)


def helper(fn):
    """A large helper compiled once per argument types and called from kernels."""
    return njit(**_OPTIONS)(fn)


def exact(fn):
    """A helper compiled without ``contract``: its float arithmetic rounds exactly as
    Python's does (the noise, and results that decide integer boundaries such as cycle starts)."""
    return njit(**_EXACT)(fn)


# -- division by a loop constant ----------------------------------------------------------------
#
# A vector division is slow on some CPUs (on this project's AMD EPYC a loop of two divisions
# per step runs at a quarter of the speed of the same loop multiplying).  ``quotient`` gives
# the bits of ``x / d`` from the reciprocal ``r = 1.0 / d`` computed once: q = x r, then one
# correction with the exact residual x - q d (a fused multiply-add).  Markstein's theorem
# (Muller et al., Handbook of Floating-Point Arithmetic, 2nd ed., sec. 4.7) makes q + (x - q d) r,
# rounded once, the correctly rounded quotient when r is the correctly rounded reciprocal and
# no intermediate underflows or overflows.  The kernels use it where d is a whole number of
# steps (1 <= d < 2**63) and x a step (0 <= x < 2**63); near the subnormals a reciprocal would
# be inf, so lengths that are real numbers keep the division.  tests/test_vmath.py checks it
# against the division.


@intrinsic
def fma(typingctx, x, y, z):
    """x * y + z with one rounding (LLVM's llvm.fma.f64: one instruction where the CPU has FMA)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return sig, codegen


if config.DISABLE_JIT:

    def quotient(x, d, r):
        """``x / d`` (the kernels run as Python: the division itself)."""
        return x / d

else:

    @inline
    def quotient(x, d, r):
        """``x / d``, bit for bit, without dividing: ``r`` is ``1.0 / d``."""
        xf = float(x)
        q = xf * r
        return fma(fma(-q, float(d), xf), r, q)


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
def halves_pair(x, xc, e, g, gc, work, bits, m):
    """``pow_pair_nice`` for e = n + half / 2 (``nice(e)``): the power kernels whose exponents are all
    whole or half numbers (``_program.halves``), which then never compile the log and exp."""
    n, half = nice(e)
    pow_pair_nice(x, xc, n, half, g, gc, m)


@helper
def any_pow_pair(x, xc, e, g, gc, work, bits, m):
    """``pow_pair_nice`` when ``nice(e)`` says e is a whole or half number, else ``pow_pair``."""
    n, half = nice(e)
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


@inline
def _central_rational(q, out, m):
    """out[i] = AS241's central rational at q[i]: the normal quantile of 1/2 + q[i] for |q[i]| <= 0.425."""
    for i in range(m):
        v = q[i]
        r = 0.180625 - v * v
        out[i] = v * _poly7(_CENTRAL_NUM, r) / _poly7(_CENTRAL_DEN, r)


@exact
def normal_quantile(q, out, work, bits, m):
    """out[i] = the standard normal quantile of 1/2 + q[i], for |q[i]| < 1/2.

    |q| <= 0.425 takes AS241's central rational; beyond, r = sqrt(-log(1/2 - |q|))
    takes one of two tail rationals.  ``work`` is float64 scratch of m values,
    ``bits`` int64 scratch of 3 m.  The central rational is computed for every
    value (a vectorized loop); the tail values (15% of draws at most) are
    gathered, computed together and scattered back, so a value's arithmetic
    does not depend on its neighbours.  (Draws that never reach the tails take
    ``_central_rational`` alone and compile no log.)
    """
    _central_rational(q, out, m)
    at = bits[m : 2 * m]
    count = m - m  # an int64, not the literal 0: a literal would compile log_pos_exact a second time
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


# -- the noise's generator: a hash of (seed, step) -------------------------------------------------


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




# -- op kernels ---------------------------------------------------------------------------------
#
# One kernel per op code (the variants of the powers and the noise that need other block math
# are op codes of their own), each a loop over its runs; see the module docstring for the arguments.

# Program arrays are read-only (a Program is immutable), which Numba types separately; a
# writeable array passes where a read-only one is declared.
_F2 = types.Array(types.float64, 2, "C", readonly=True)
_I2 = types.Array(types.int64, 2, "C", readonly=True)
_I1 = types.Array(types.int64, 1, "C", readonly=True)
_F1 = types.Array(types.float64, 1, "C", readonly=True)
OP_SIGNATURE = types.void(_F2, _I2, types.int64, types.int64, types.int64, types.int64, _I2, types.float64[::1],
                          types.float32[::1])


@inline
def _run_count(runs):
    """How many runs a call has: the one of its scalars, or the rows of ``runs``."""
    r = runs.shape[0]
    return r if r > 0 else 1


@inline
def _run(runs, r, row, lo, hi, t0, dst, dst32):
    """(row, t0, the slices of dst and dst32 it writes) of run r (one of the two is empty)."""
    if runs.shape[0] == 0:
        return row, t0, dst[lo:hi], dst32[lo:hi]
    a = runs[r, 1]
    b = runs[r, 2]
    return runs[r, 0], runs[r, 3], dst[a:b], dst32[a:b]


@inline
def put(d, d32, j, v):
    """Store value j of a run: d[j] = v, or d32[j] = v rounded to float32 where the run writes a
    float32 table (the test is the same for every j, and LLVM takes it out of the loop)."""
    if d32.size:
        d32[j] = v
    else:
        d[j] = v


@kernel(OP_SIGNATURE)
def fill_const(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """CONST: a."""
    for r in range(_run_count(runs)):
        k, _, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        for j in range(d.size + d32.size):
            put(d, d32, j, a)


@kernel(OP_SIGNATURE)
def fill_linear(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """LINEAR: a g + b (1 - g), g = (L - t) / L."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = iparams[k, 0]
        inv = 1.0 / length
        for j in range(d.size + d32.size):
            t = tr + j
            put(d, d32, j, a * quotient(length - t, length, inv) + b * quotient(t, length, inv))


@kernel(OP_SIGNATURE)
def fill_linear_real(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """LINEAR_REAL: LINEAR between real knots, local time t - f[6] over the real length f[7]."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = fparams[k, 7]
        shift = fparams[k, 6]
        for j in range(d.size + d32.size):  # divisions: a real length may be as small as the subnormals
            t = (tr + j) - shift
            put(d, d32, j, a * ((length - t) / length) + b * (t / length))


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


@kernel(OP_SIGNATURE)
def fill_cosine(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """COSINE: a g + b (1 - g), g = (1 + cos(pi t / L)) / 2."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = iparams[k, 0]
        c = math.pi / (2.0 * length)
        for j in range(d.size + d32.size):
            g, gc = _cos2_sin2(tr + j, length, c)
            put(d, d32, j, a * g + b * gc)


@kernel(OP_SIGNATURE)
def fill_cosine_real(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """COSINE_REAL: COSINE between real knots (as LINEAR_REAL)."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = fparams[k, 7]
        shift = fparams[k, 6]
        c = math.pi / (2.0 * length)
        for j in range(d.size + d32.size):
            g, gc = _cos2_sin2((tr + j) - shift, length, c)
            put(d, d32, j, a * g + b * gc)


@kernel(OP_SIGNATURE)
def fill_poly(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY with power 1 or 2: a g + b (1 - g), g = ((L - t) / L) ** power."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = iparams[k, 0]
        inv = 1.0 / length
        square = fparams[k, 2] != 1.0
        # one loop and a select: with two loops, one per power, and ``put`` LLVM vectorized neither
        # (20 ns a step instead of 0.2; measured side by side)
        for j in range(d.size + d32.size):
            t = tr + j
            u = quotient(length - t, length, inv)
            v = quotient(t, length, inv)
            put(d, d32, j, a * (u * u) + b * (v * (1.0 + u)) if square else a * u + b * v)


@inline
def _powers(base, scale, out):
    """out[i] = base ** (i * scale), each from libm's pow (no accumulated error)."""
    for i in range(out.size):
        out[i] = math.pow(base, i * scale)


@inline
def _aligned(t, period, cap):
    """Whether t's aligned block of 64 steps stays below the exponent cap."""
    return (t - (t & 63) + 63) / period <= cap


@inline
def _block(d, d32, j, m, vals):
    """Where a kernel computes values j .. j + m - 1 of a run: in place in d, or in the float64
    scratch ``vals`` when the run writes float32 (``_flush`` then stores them); a branch per block,
    not per step."""
    return vals[:m] if d32.size else d[j : j + m]


@inline
def _flush(d32, j, m, vals):
    """d32[j:j + m] = vals[:m] rounded to float32, where the run writes float32 (``_block``)."""
    if d32.size:
        d = d32[j : j + m]
        for i in range(m):
            d[i] = vals[i]


@inline
def _exp_block(db, m, a, base, steps, off, low, high):
    """db[i] = a clip(base steps[off + i], low, high) for i < m: an aligned block of EXP."""
    for i in range(m):
        db[i] = a * clip(base * steps[off + i], low, high)


@kernel(OP_SIGNATURE)
def fill_exp(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """EXP: a clip(rate ** (t / T), lo, hi); f[5] caps the exponent once hi is reached.

    rate ** (t / T) is rate ** (64 floor(t / 64) / T) * rate ** ((t % 64) / T): one pow per
    aligned block of 64 steps, and the same numbers however the steps are cut into runs.
    """
    vals = np.empty(64, np.float64)  # a block, where the table is float32
    steps = np.empty(64, np.float64)
    last_rate = math.nan
    last_period = 0
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        f = fparams[k]
        a = f[0]
        rate = f[2]
        low = f[3]
        high = f[4]
        cap = f[5]
        period = iparams[k, 0]
        if rate != last_rate or period != last_period:  # runs of one row (an array of steps) share them
            _powers(rate, 1.0 / period, steps)
            last_rate = rate
            last_period = period
        n = d32.size if d32.size else d.size
        j = 0
        while j < n:
            t = tr + j
            m = min(n - j, 64 - (t & 63))
            if _aligned(t, period, cap):
                base = math.pow(rate, (t - (t & 63)) / period)
                if d32.size:  # a loop per output type (one loop storing to either does not vectorize)
                    _exp_block(vals, m, a, base, steps, t & 63, low, high)
                    _flush(d32, j, m, vals)
                else:
                    _exp_block(d[j : j + m], m, a, base, steps, t & 63, low, high)
            else:
                db, db32 = d[j : j + m], d32[j : j + m]
                for i in range(m):
                    put(db, db32, i, a * clip(math.pow(rate, min((t + i) / period, cap)), low, high))
            j += m


@kernel(OP_SIGNATURE)
def fill_exp_stair(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """EXP_STAIR: a clip(rate ** (t // T), lo, hi) (also StepLR's gamma ** (t // s)); one pow per stair."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        f = fparams[k]
        a = f[0]
        rate = f[2]
        low = f[3]
        high = f[4]
        cap = f[5]
        period = iparams[k, 0]
        n = d.size + d32.size
        j = 0
        while j < n:
            q = (tr + j) // period
            j2 = min(n, j + (q + 1) * period - (tr + j))
            v = a * clip(math.pow(rate, min(float(q), cap)), low, high)
            db, db32 = d[j:j2], d32[j:j2]
            for i in range(j2 - j):
                put(db, db32, i, v)
            j = j2


@kernel(OP_SIGNATURE)
def fill_invtime(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """INVTIME: a / (1 + rate t / T)."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        rate = fparams[k, 2]
        period = iparams[k, 0]
        inv = 1.0 / period
        for j in range(d.size + d32.size):
            put(d, d32, j, a / (1.0 + rate * quotient(tr + j, period, inv)))


@kernel(OP_SIGNATURE)
def fill_invtime_stair(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """INVTIME_STAIR: a / (1 + rate (t // T)); one division per stair (an integer division a step was 20 ns)."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        rate = fparams[k, 2]
        period = iparams[k, 0]
        n = d.size + d32.size
        j = 0
        while j < n:
            q = (tr + j) // period
            j2 = min(n, j + (q + 1) * period - (tr + j))
            v = a / (1.0 + rate * q)
            db, db32 = d[j:j2], d32[j:j2]
            for i in range(j2 - j):
                put(db, db32, i, v)
            j = j2


@kernel(OP_SIGNATURE)
def fill_invsqrt(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """INVSQRT: a sqrt(ts / (t + ts))."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        ts = float(iparams[k, 0])
        for j in range(d.size + d32.size):
            put(d, d32, j, a * math.sqrt(ts / ((tr + j) + ts)))


@kernel(OP_SIGNATURE)
def fill_tanh(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """TANH: a g + b (1 - g), g = (1 - tanh z) / 2, z = lower (1 - r) + upper r, r = t / L.

    z keeps its sign over most aligned blocks of 64 steps; there exp(-2|z|) is the block's
    first value times a tabulated factor per step (one exp per block, the same numbers however
    the steps are cut into runs).  Where z changes sign in a block (or moves by 5 or more per
    step) each step takes its own exp.  (1 - tanh z) / 2 = 1 / (1 + e^{2z}), without overflow.
    """
    vals = np.empty(64, np.float64)  # a block, where the table is float32
    down = np.empty(64, np.float64)  # exp(-2 |z|) changes by these factors while z keeps its sign
    up = np.empty(64, np.float64)
    tabulated = math.nan
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        lower = fparams[k, 2]
        upper = fparams[k, 3]
        length = iparams[k, 0]
        slope = (upper - lower) / length  # z grows by this per step
        steep = min(slope, 5.0)  # blocks with slope >= 5 go step by step and never read the tables
        if steep != tabulated:  # runs of one row (an array of steps) share the tables
            for i in range(64):
                down[i] = math.exp(-2.0 * steep * i)
                up[i] = math.exp(2.0 * steep * i)
            tabulated = steep
        n = d.size + d32.size
        j = 0
        while j < n:
            t = tr + j
            m = min(n - j, 64 - (t & 63))
            db = _block(d, d32, j, m, vals)
            b0 = t - (t & 63)  # the block's first step, and z there and at its last
            z0 = lower * (1.0 - b0 / length) + upper * (b0 / length)
            z1 = lower * (1.0 - (b0 + 63) / length) + upper * ((b0 + 63) / length)
            if slope >= 5.0 or not (z0 > 0.0 or z1 <= 0.0):
                for i in range(m):
                    x = (t + i) / length
                    z = lower * (1.0 - x) + upper * x
                    e = math.exp(-2.0 * abs(z))
                    small = e / (1.0 + e)
                    big = 1.0 / (1.0 + e)
                    g, gc = (small, big) if z > 0.0 else (big, small)
                    db[i] = a * g + b * gc
            else:
                e0 = math.exp(-2.0 * abs(z0))
                rising = z0 > 0.0
                for i in range(m):
                    e = e0 * (down[(t & 63) + i] if rising else up[(t & 63) + i])
                    small = e / (1.0 + e)
                    big = 1.0 / (1.0 + e)
                    g, gc = (small, big) if rising else (big, small)
                    db[i] = a * g + b * gc
            _flush(d32, j, m, vals)
            j += m


@kernel(OP_SIGNATURE)
def fill_expwarm(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """EXPWARM: a g + b (1 - g), g = (exp(-k t / L) - exp(-k)) / (1 - exp(-k)) = expm1(k (L - t) / L) / expm1(k)."""
    for r in range(_run_count(runs)):
        q, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[q, 0]
        b = fparams[q, 1]
        k = fparams[q, 2]
        length = iparams[q, 0]
        span = math.expm1(k)
        floor = math.exp(-k)
        inv = 1.0 / length
        for j in range(d.size + d32.size):
            t = tr + j
            g = math.expm1(k * quotient(length - t, length, inv)) / span
            gc = -math.expm1(-k * quotient(t, length, inv)) / (1.0 - floor)
            put(d, d32, j, a * g + b * gc)


@kernel(OP_SIGNATURE)
def fill_exp2(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """EXP2: a g + b (1 - g), g = 2 ** (1 - t / L) - 1, 1 - g = 2 (1 - 2 ** (-t / L))."""
    ln2 = math.log(2.0)
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        length = iparams[k, 0]
        inv = 1.0 / length
        for j in range(d.size + d32.size):
            t = tr + j
            g = math.expm1(quotient(length - t, length, inv) * ln2)
            gc = -2.0 * math.expm1(-quotient(t, length, inv) * ln2)
            put(d, d32, j, a * g + b * gc)


@inline
def _span(runs, r, row, lo, hi, t0):
    """(row, lo, hi, t0) of run r."""
    if runs.shape[0] == 0:
        return row, lo, hi, t0
    return runs[r, 0], runs[r, 1], runs[r, 2], runs[r, 3]


@inline
def _next_block(runs, row, lo, hi, t0, state, tb, at):
    """The next block of a block-math kernel's runs: (row, m, j) with tb[:m] its local times.

    A run of at least BLOCK steps is cut into blocks whose values go straight to dst[j:j + m];
    shorter runs of one row (an array of scattered steps) are gathered into one block, whose
    values go to dst[at[:m]] (j = -1).  ``state`` = (run, offset in it) is where the next block
    starts; m = 0 when there is none.
    """
    n = _run_count(runs)
    r = state[0]
    off = state[1]
    if r >= n:
        return row, 0, 0
    q, j0, j1, tr = _span(runs, r, row, lo, hi, t0)
    if j1 - j0 >= BLOCK:
        m = min(BLOCK, j1 - j0 - off)
        for i in range(m):
            tb[i] = tr + off + i
        j = j0 + off
        off += m
        if off == j1 - j0:
            r += 1
            off = 0
        state[0] = r
        state[1] = off
        return q, m, j
    held = q
    count = 0
    while r < n and count < BLOCK:
        q, j0, j1, tr = _span(runs, r, row, lo, hi, t0)
        if q != held or j1 - j0 >= BLOCK:
            break
        take = min(j1 - j0 - off, BLOCK - count)
        for i in range(take):
            tb[count + i] = tr + off + i
            at[count + i] = j0 + off + i
        count += take
        off += take
        if off == j1 - j0:
            r += 1
            off = 0
    state[0] = r
    state[1] = off
    return held, count, -1


@inline
def _emit(dst, dst32, j, at, vb, m):
    """Where a block-math kernel's block goes: vb[:m] to dst32[j:j + m] (a float32 table), or to
    dst[at[:m]] or dst32[at[:m]] for a gathered block (j < 0); a float64 block of a run was
    written in place."""
    if j >= 0:
        _flush(dst32, j, m, vb)
    elif dst32.size:
        for i in range(m):
            dst32[at[i]] = vb[i]
    else:
        for i in range(m):
            dst[at[i]] = vb[i]


# The power kernels: COSINE_POW and POLY_POW, each in two variants that differ only in the
# function ``pair`` that takes the powers: ``halves_pair`` where every exponent is a whole or half
# number (multiplies and a square root: the HALVES ops), ``any_pow_pair`` for any exponent (the
# block log and exp besides, about 0.8 s more to compile); INVPOLY takes half powers only.
# ``pair`` is a compile-time argument: each kernel compiles its own loop.
# Each loop calls ``pair`` from one place, a stage loop (the k-decay, then the power): with a
# second call site a 1M table was 1.17-1.19x slower (measured side by side; compile time alike).


@inline
def _block_scratch():
    """The scratch arrays of a block-math kernel: x, xc, g, gc, work (float64), bits (int64, 2 BLOCK),
    tb, at (int64: a block's local times and, gathered, where its values go), vb, and the block state."""
    return (np.empty(BLOCK, np.float64), np.empty(BLOCK, np.float64), np.empty(BLOCK, np.float64),
            np.empty(BLOCK, np.float64), np.empty(BLOCK, np.float64), np.empty(2 * BLOCK, np.int64),
            np.empty(BLOCK, np.int64), np.empty(BLOCK, np.int64), np.empty(BLOCK, np.float64),
            np.zeros(2, np.int64))  # fmt: skip


@inline
def _target(dst, dst32, j, vb, m):
    """Where a block's float64 values are computed: in place in dst, or in vb for ``_emit``."""
    return dst[j : j + m] if j >= 0 and not dst32.size else vb[:m]


@inline
def _fractions(tb, length, x, xc, m):
    """(x, xc) = (t / L, (L - t) / L) for the block's local times: quotients, exact at t = 0 and
    t = L, where peaks must be exact."""
    inv = 1.0 / length
    for i in range(m):
        t = tb[i]
        x[i] = quotient(t, length, inv)
        xc[i] = quotient(length - t, length, inv)


@inline
def _two_point(d, a, b, g, gc, m):
    """d = a g + b gc: a two-point op's values from the pair (g, 1 - g)."""
    for i in range(m):
        d[i] = a * g[i] + b * gc[i]


@inline
def _fill_cosine_pow(pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """COSINE_POW with ``pair``: the pair (cos^2(pi p / 2), sin^2(pi p / 2)), p = x ** k, the smaller
    one a square of a sine, then its power."""
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        length = iparams[q, 0]
        k = fparams[q, 3]
        e = fparams[q, 2]
        if k == 1.0:
            c = math.pi / (2.0 * length)
            for i in range(m):
                g[i], gc[i] = _cos2_sin2(tb[i], length, c)
        else:
            _fractions(tb, length, x, xc, m)
        stage = 0 if k != 1.0 else 1
        while stage < 2 and (stage == 0 or e != 1.0):  # p = x ** k, then the pair's power: one call of pair
            if stage == 1:
                for i in range(m):
                    x[i] = g[i]
                    xc[i] = gc[i]
            pair(x, xc, k if stage == 0 else e, g, gc, work, bits, m)
            if stage == 0:
                for i in range(m):
                    far = g[i] > 0.5
                    s = _sin_small(0.5 * math.pi * (gc[i] if far else g[i]))
                    small = s * s
                    big = 1.0 - small
                    g[i] = small if far else big
                    gc[i] = big if far else small
            stage += 1
        _two_point(_target(dst, dst32, j, vb, m), fparams[q, 0], fparams[q, 1], g, gc, m)
        _emit(dst, dst32, j, at, vb, m)


@inline
def _fill_poly_pow(pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_POW with ``pair``: ((1 - p) ** power, 1 - (1 - p) ** power), p = x ** k."""
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        _fractions(tb, iparams[q, 0], x, xc, m)
        k = fparams[q, 3]
        stage = 0 if k != 1.0 else 1
        while stage < 2:  # p = x ** k (unless k = 1), then (1 - p) ** power: one call of pair
            u = x if stage == 0 else xc
            v = xc if stage == 0 else x
            pair(u, v, k if stage == 0 else fparams[q, 2], g, gc, work, bits, m)
            if stage == 0:
                for i in range(m):
                    x[i] = g[i]
                    xc[i] = gc[i]
            stage += 1
        _two_point(_target(dst, dst32, j, vb, m), fparams[q, 0], fparams[q, 1], g, gc, m)
        _emit(dst, dst32, j, at, vb, m)


@inline
def _fill_invpoly(pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """INVPOLY with ``pair``: (1 - x ** power, x ** power)."""
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        f = fparams[q]
        _fractions(tb, iparams[q, 0], x, xc, m)
        pair(x, xc, f[2], gc, g, work, bits, m)
        _two_point(_target(dst, dst32, j, vb, m), f[0], f[1], g, gc, m)
        _emit(dst, dst32, j, at, vb, m)


@kernel(OP_SIGNATURE)
def fill_cosine_pow(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """COSINE_POW: a g + b (1 - g), g = ((1 + cos(pi p)) / 2) ** exponent, p = (t / L) ** k."""
    _fill_cosine_pow(any_pow_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_cosine_halves(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """COSINE_HALVES: COSINE_POW whose exponent and k are whole or half numbers."""
    _fill_cosine_pow(halves_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_poly_pow(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_POW: a g + b (1 - g), g = (1 - p) ** power, p = (t / L) ** k."""
    _fill_poly_pow(any_pow_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_poly_halves(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_HALVES: POLY_POW whose power and k are whole or half numbers."""
    _fill_poly_pow(halves_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_invpoly(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """INVPOLY: a g + b (1 - g), g = 1 - (t / L) ** power, a whole or half power (``_program.Op``)."""
    _fill_invpoly(halves_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@inline
def _fill_poly_cycle(pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_CYCLE with ``pair``: a g + b (1 - g), g = (1 - t / L_t) ** power with L_t = L max(1, ceil(t / L))
    (Keras' ``PolynomialDecay(cycle=True)``: each cycle ends at b and the next, longer, starts higher)."""
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        length = iparams[q, 0]
        lf = float(length)
        inv = 1.0 / lf
        top = 0
        for i in range(m):
            top = tb[i] if tb[i] > top else top
        if top < 4503599627370496:  # 2**52
            for i in range(m):
                tf = float(tb[i])
                span = _cycle_span(tf, lf, inv)
                x[i] = tf / span
                xc[i] = (span - tf) / span
        else:
            for i in range(m):
                x[i], xc[i] = _far_fractions(tb[i], length)
        pair(xc, x, fparams[q, 2], g, gc, work, bits, m)
        _two_point(_target(dst, dst32, j, vb, m), fparams[q, 0], fparams[q, 1], g, gc, m)
        _emit(dst, dst32, j, at, vb, m)


@kernel(OP_SIGNATURE)
def fill_poly_cycle_pow(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_CYCLE_POW: Keras' cycling polynomial, any power."""
    _fill_poly_cycle(any_pow_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@inline
def _cycle_span(tf, lf, inv):
    """L max(1, ceil(t / L)) for t < 2**52 (the float ``tf``): a float estimate set right by one correction each
    way, exact in floats there (AVX2 has no int64 multiply; see ``_fill_poly_cycle`` for larger t)."""
    n = np.floor(tf * inv)
    n = n + 1.0 if n * lf < tf else n
    n = n - 1.0 if (n - 1.0) * lf >= tf else n
    return (n if n > 1.0 else 1.0) * lf


@inline
def _far_fractions(t, length):
    """(t / L_t, (L_t - t) / L_t) for any t, the cycle and the difference in integers (slow: an int64 division;
    past 2**52 a float t is not exact)."""
    n = (t + length - 1) // length
    span = (n if n > 1 else 1) * length
    return t / span, (span - t) / span


@helper
def _poly_cycle_far(a, b, square, length, tr, d, d32):
    """POLY_CYCLE's values from step 2**52 on, the cycle in integers (a function of its own: see fill_poly)."""
    for j in range(d.size + d32.size):
        v, u = _far_fractions(tr + j, length)
        put(d, d32, j, a * (u * u) + b * (v * (1.0 + u)) if square else a * u + b * v)


@kernel(OP_SIGNATURE)
def fill_poly_cycle(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_CYCLE with power 1 or 2 (Keras' default is 1): a g + b (1 - g), g = u ** power, u = 1 - t / L_t,
    step by step as POLY (no block math to compile)."""
    for r in range(_run_count(runs)):
        k, tr, d, d32 = _run(runs, r, row, lo, hi, t0, dst, dst32)
        a = fparams[k, 0]
        b = fparams[k, 1]
        square = fparams[k, 2] != 1.0
        length = iparams[k, 0]
        if tr + d.size + d32.size >= 4503599627370496:  # 2**52
            _poly_cycle_far(a, b, square, length, tr, d, d32)
            continue
        lf = float(length)
        inv = 1.0 / lf
        # direct stores, a loop per output type: with ``put`` and the selects of _cycle_span LLVM vectorized
        # nothing (20 ns a step instead of 0.3; measured side by side)
        if d32.size:
            for j in range(d32.size):
                tf = float(tr + j)
                span = _cycle_span(tf, lf, inv)
                u = (span - tf) / span
                v = tf / span
                d32[j] = a * (u * u) + b * (v * (1.0 + u)) if square else a * u + b * v
        else:
            for j in range(d.size):
                tf = float(tr + j)
                span = _cycle_span(tf, lf, inv)
                u = (span - tf) / span
                v = tf / span
                d[j] = a * (u * u) + b * (v * (1.0 + u)) if square else a * u + b * v


@kernel(OP_SIGNATURE)
def fill_poly_cycle_halves(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """POLY_CYCLE_HALVES: POLY_CYCLE with another whole or half power (no log or exp to compile)."""
    _fill_poly_cycle(halves_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@inline
def _fill_stable_decay(pair, exp_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """STABLE_DECAY with ``pair`` (the powers) and ``exp_pair`` (the exponential's r ** x).

    b + (max(a S, b) - b) D, the decay D multiplying a stable phase S that may still fall (timm's WSD):
    S = (ts / (t + off + ts)) ** p, D = f_shape(x), x = t / L (1 for L = 0); for p = 0,
    b + (a - b) D, a two-point decay by the shape.  As every two-point op, it is evaluated for 0 <= t <= L.

    f = [a, b, p, e] (e: the power of "1-power" and "polynomial", the ratio r of "exponential");
    i = [L, ts, off, shape] with shape 1 linear 1 - x, 2 cosine (1 + cos(pi x)) / 2, 3 1-sqrt,
    4 1-power 1 - x ** e, 5 polynomial (1 - x) ** e, 6 exponential (r ** x - r) / (1 - r).
    Each D comes with 1 - D to a small relative error, so the end value is exact at x = 1.
    """
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    top = np.empty(BLOCK, np.float64)
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        a = fparams[q, 0]
        b = fparams[q, 1]
        p = fparams[q, 2]
        e = fparams[q, 3]
        length = iparams[q, 0]
        ts = float(iparams[q, 1])
        off = iparams[q, 2]
        shape = iparams[q, 3]
        if p == 0.0:  # a constant stable phase: a decay from a to b (up or down), as the two-point ops
            for i in range(m):
                top[i] = a
        elif p == 0.5:  # rsqrt: only S is needed, not 1 - S
            for i in range(m):
                v = a * math.sqrt(ts / (float(tb[i] + off) + ts))
                top[i] = v if v > b else b
        else:
            for i in range(m):
                u = float(tb[i] + off)
                x[i] = ts / (u + ts)
                xc[i] = u / (u + ts)
            pair(x, xc, p, g, gc, work, bits, m)
            for i in range(m):
                v = a * g[i]
                top[i] = v if v > b else b
        if length == 0:
            for i in range(m):
                g[i] = 1.0
                gc[i] = 0.0
        else:
            _fractions(tb, length, x, xc, m)
            if shape == 1:
                for i in range(m):
                    g[i] = xc[i]
                    gc[i] = x[i]
            elif shape == 2:
                c = math.pi / (2.0 * length)
                for i in range(m):
                    g[i], gc[i] = _cos2_sin2(tb[i], length, c)
            elif shape == 3:  # 1 - sqrt(x) = (1 - x) / (1 + sqrt(x)): no cancellation near x = 1
                for i in range(m):
                    r = math.sqrt(x[i])
                    g[i] = xc[i] / (1.0 + r)
                    gc[i] = r
            elif shape == 4:
                pair(x, xc, e, gc, g, work, bits, m)
            elif shape == 5:
                pair(xc, x, e, g, gc, work, bits, m)
            else:  # (r ** x - r) / (1 - r) and (1 - r ** x) / (1 - r), r ** x = exp(x log r)
                lr = math.log(e)
                for i in range(m):
                    work[i] = x[i] * lr
                exp_pair(work, g, gc, bits, m)
                s = 1.0 / (1.0 - e)
                for i in range(m):
                    d = (g[i] - e) * s
                    done = x[i] == 1.0
                    g[i] = 0.0 if done or d < 0.0 else d
                    gc[i] = 1.0 if done else gc[i] * s
        d = _target(dst, dst32, j, vb, m)
        for i in range(m):
            d[i] = top[i] * g[i] + b * gc[i]
        _emit(dst, dst32, j, at, vb, m)


@helper
def exp_pair(y, g, gc, bits, m):
    """``exp_pair_neg`` compiled once, for the kernels that take it as an argument."""
    exp_pair_neg(y, g, gc, bits, m)


@helper
def no_exp_pair(y, g, gc, bits, m):
    """Stands for ``exp_pair`` in a kernel variant whose segments never take an exponential (never called)."""
    for i in range(m):
        g[i] = 0.0
        gc[i] = 1.0


@kernel(OP_SIGNATURE)
def fill_stable_decay(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """STABLE_DECAY: any powers, and the exponential decay."""
    _fill_stable_decay(any_pow_pair, exp_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_stable_decay_halves(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """STABLE_DECAY_HALVES: STABLE_DECAY whose powers are whole or half numbers and whose decay is not the
    exponential (timm's rsqrt with a linear, cosine or 1-sqrt decay): no log or exp to compile."""
    _fill_stable_decay(halves_pair, no_exp_pair, fparams, iparams, row, lo, hi, t0, runs, dst, dst32)


@kernel(OP_SIGNATURE)
def fill_logwarm(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """LOGWARM: a g + b (1 - g), 1 - g = log(t + 1) / log(L), g = log(L / (t + 1)) / log(L) (DeepSpeed's log warmup).

    Both logs of a block come from one call of the block ``log_pos``: log(t + 1) of an exact integer,
    and g's log1p(u), u = (L - 1 - t) / (t + 1), as log(w) + (u - (w - 1)) / w with w = fl(1 + u)
    (the correction of ``pow_pair``), so that g keeps its relative accuracy as it falls to 0 at
    t = L - 1.  At t = 0, g = 1 exactly (the value a, as every other warmup's step 0; the block log of L
    times 1 / log(L) would be an ulp off).
    """
    x, xc, g, gc, work, bits, tb, at, vb, state = _block_scratch()
    both = np.empty(2 * BLOCK, np.float64)  # log(t + 1) in the first m values, log(w) in the next m
    logs = np.empty(2 * BLOCK, np.float64)
    wide = np.empty(4 * BLOCK, np.int64)
    while True:
        q, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        length = iparams[q, 0]
        inv = 1.0 / math.log(float(length)) if length > 1 else 0.0
        one = 1.0 if length == 1 else 0.0
        head = both[:m]
        tail = both[m : 2 * m]
        for i in range(m):
            t = tb[i]
            u = (length - 1 - t) / (t + 1.0)
            w = 1.0 + u
            w = w if w > 5e-324 else 5e-324  # past the segment (t >= L) u only nears -1
            head[i] = t + 1.0
            tail[i] = w
            work[i] = (u - (w - 1.0)) / w
        log_pos(both, logs, wide, 2 * m)
        lh = logs[:m]
        lt = logs[m : 2 * m]
        for i in range(m):
            gc[i] = lh[i] * inv
            # step 0 is exactly a, as every warmup's: a hand-off (rewarm, branch) must not move by an ulp
            g[i] = 1.0 if tb[i] == 0 else (lt[i] + work[i]) * inv + one
        _two_point(_target(dst, dst32, j, vb, m), fparams[q, 0], fparams[q, 1], g, gc, m)
        _emit(dst, dst32, j, at, vb, m)


@inline
def _noise_scratch():
    """The scratch arrays of a noise kernel: w, x, work (float64), bits (int64, 3 BLOCK), tb, at
    (int64: a block's local times and where its values go), vb, and the block state."""
    return (np.empty(BLOCK, np.float64), np.empty(BLOCK, np.float64), np.empty(BLOCK, np.float64),
            np.empty(3 * BLOCK, np.int64), np.empty(BLOCK, np.int64), np.empty(BLOCK, np.int64),
            np.empty(BLOCK, np.float64), np.zeros(2, np.int64))  # fmt: skip


@inline
def _noise_block(fparams, iparams, k, tb, w, m):
    """w = the block's uniforms (``_centered`` of (seed, t)); returns (a, std, pct, h) of row k."""
    _uniforms(iparams[k, 1], tb, w, m)
    return fparams[k, 0], fparams[k, 2], fparams[k, 3], fparams[k, 4]


@inline
def _gaussian(w, h, x, work, bits, m, tails):
    """x = the normal quantiles of 1/2 + w h, from the tail rationals too if ``tails`` (a constant)."""
    for i in range(m):
        w[i] = w[i] * h
    if tails:
        normal_quantile(w, x, work, bits, m)
    else:
        _central_rational(w, x, m)


@inline
def _noise_store(dst, dst32, j, at, vb, a, x, m, std, pct):
    """The block's values a (1 + n), n = std x clipped to [-pct, pct] against rounding."""
    d = _target(dst, dst32, j, vb, m)
    for i in range(m):
        d[i] = a * (1.0 + clip(std * x[i], -pct, pct))
    _emit(dst, dst32, j, at, vb, m)


# The three noise kernels, compiled without ``contract`` (``exact_math``): every rounding is IEEE's,
# so ``tests/reference.py`` reproduces the numbers bit for bit.  The gaussian is truncated to
# |n| < pct (the distribution of timm's redraw rule, one draw per step): n = std * quantile(1/2 + w h)
# with h = P(0 < Z < pct / std) = f[4], w = ``_centered`` of (seed, t) in (-1, 1).  1 + n loses
# relative accuracy where n is near -1; equality keeps the accuracy test exact there.  Each kernel
# spells its loop out: one shared driver taking the draws as a function, or as literal flags,
# compiled 0.35-0.45 s slower on an empty cache (measured side by side).


@kernel(OP_SIGNATURE, exact_math=True)
def fill_noise(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """NOISE: a (1 + n), n gaussian whose quantiles reach AS241's tails (h > 0.425)."""
    w, x, work, bits, tb, at, vb, state = _noise_scratch()
    while True:
        k, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        a, std, pct, h = _noise_block(fparams, iparams, k, tb, w, m)
        _gaussian(w, h, x, work, bits, m, True)
        _noise_store(dst, dst32, j, at, vb, a, x, m, std, pct)


@kernel(OP_SIGNATURE, exact_math=True)
def fill_noise_central(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """NOISE_CENTRAL: a (1 + n), n gaussian whose quantiles all stay central (h <= 0.425): no log."""
    w, x, work, bits, tb, at, vb, state = _noise_scratch()
    while True:
        k, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        a, std, pct, h = _noise_block(fparams, iparams, k, tb, w, m)
        _gaussian(w, h, x, work, bits, m, False)
        _noise_store(dst, dst32, j, at, vb, a, x, m, std, pct)


@kernel(OP_SIGNATURE, exact_math=True)
def fill_noise_uniform(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """NOISE_UNIFORM: a (1 + n), n = w pct uniform in (-pct, pct)."""
    w, x, work, bits, tb, at, vb, state = _noise_scratch()
    while True:
        k, m, j = _next_block(runs, row, lo, hi, t0, state, tb, at)
        if m == 0:
            return
        a, std, pct, h = _noise_block(fparams, iparams, k, tb, w, m)
        d = _target(dst, dst32, j, vb, m)
        for i in range(m):
            d[i] = a * (1.0 + w[i] * pct)
        _emit(dst, dst32, j, at, vb, m)


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




# -- cycles: the tiler --------------------------------------------------------------------------
#
# A CYCLE segment repeats its body (see ``_program.py``).  ``cycle_runs`` cuts the steps asked
# for into runs that lie in one cycle and one body segment, and writes for each run the body
# segment's parameter row as that cycle has it (its end values adjusted for the cycle, its
# length stretched to fill it); the walk hands each body segment's runs to that segment's own
# op kernel in one call.  ``tile`` copies one computed period over and over (cycles that all
# take the same values), and ``cycle_pull`` applies exp_range's per-step pull afterwards.

TILER_SIGNATURE = types.int64(
    _F2, _I2, _I1, _I1, types.int64, types.int64, types.int64, _I1, types.int64,
    types.int64[:, :, ::1], types.int64[::1], types.float64[:, ::1], types.int64[:, ::1], types.int64[:, ::1],
    types.float64[::1],
)  # fmt: skip


@kernel(TILER_SIGNATURE)
def cycle_runs(fparams, iparams, seg_start, seg_origin, k, t0, n, times, j, runs, counts, sf, si, rpos, rc):
    """The runs of CYCLE segment k from its element ``j`` on; returns the element after the last run.

    Element e of the segment's ``n`` is at cycle time t0 + e (``times`` empty) or
    times[e] + t0.  Runs stop when the ``sf`` rows are used up (the caller fills
    those and calls again from the returned element) or at ``n``.  For run ``row``:
    ``sf[row]``, ``si[row]`` its body segment's parameters in its cycle; ``runs[b,
    :counts[b]]`` the runs of body segment ``lo + b`` as (row, lo, hi, t0) for the
    op kernels (contiguous local times); ``rpos[row]`` = (lo, hi, cycle time at lo)
    and ``rc[row]`` the cycle's factor, for ``cycle_pull``.

    Each cycle's body end values are scaled by ``decay**i`` where the segment marks
    them as peaks (peaks mode: SGDR's peaks decay, its floor stays), or pulled to
    the anchor, ``anchor + (v - anchor) * decay**i`` (amplitude mode: cyclic).
    With a per-step factor the end values stay and ``cycle_pull`` pulls each value
    by ``decay**i * gamma**t``.
    """
    f = fparams[k]
    p = iparams[k]
    anchor = f[0]
    decay = f[2]
    peaks = f[3] != 0.0
    mult = f[4]
    period = f[6]
    first = p[0]
    m = p[1]
    lo = p[2]
    hi = p[3]
    stretch = (p[4] & 1) != 0
    per_step = (p[4] & 2) != 0
    cap = sf.shape[0]
    contiguous = times.size == 0
    for b in range(hi - lo):
        counts[b] = 0
    rows = 0
    while j < n:
        t = t0 + j if contiguous else times[j] + t0
        i, start, length = _cycle_of(t, first, m, mult, period)
        if contiguous:
            j2 = min(n, j + (start + length - t))
        else:
            j2 = j + 1
            while j2 < n and times[j2] == times[j2 - 1] + 1 and times[j2] + t0 - start < length:
                j2 += 1
        c = 1.0 if decay == 1.0 else math.pow(decay, float(i))  # float: libm pow, not powi
        # 1 - c without cancellation where c is near 1, for the pull anchor (1 - c) + v c
        rest_c = -math.expm1(float(i) * math.log(decay)) if c >= 0.5 and not peaks else 1.0 - c
        b = _segment_of(seg_start, lo, hi, t - start)
        q = j
        while q < j2:
            if rows == cap:
                return q
            tau = t - start + (q - j)
            while b + 1 < hi and seg_start[b + 1] <= tau:
                b += 1
            q2 = j2
            if b + 1 < hi:
                q2 = min(j2, q + (seg_start[b + 1] - tau))
            origin = seg_origin[b]
            row = rows
            rows += 1
            for x in range(p.size):
                si[row, x] = iparams[b, x]
            if stretch and b == hi - 1:
                si[row, 0] = length - origin
            for x in range(f.size):
                sf[row, x] = fparams[b, x]
            if c != 1.0 and not per_step:
                for x in range(2):
                    if peaks:
                        if si[row, 5] & (1 << x):
                            sf[row, x] *= c
                    elif sf[row, x] != anchor:  # the anchor itself stays exact (SGDR's floor, cyclic's base)
                        if c > 1.0:  # growing cycles (Keras' m_mul > 1): no 1 - c to cancel
                            sf[row, x] = anchor + (sf[row, x] - anchor) * c
                        else:
                            sf[row, x] = anchor * rest_c + sf[row, x] * c
            slot = b - lo
            at = counts[slot]
            runs[slot, at, 0] = row
            runs[slot, at, 1] = q
            runs[slot, at, 2] = q2
            runs[slot, at, 3] = tau - origin
            counts[slot] = at + 1
            rpos[row, 0] = q
            rpos[row, 1] = q2
            rpos[row, 2] = t + (q - j)
            rc[row] = c
            q = q2
        j = j2
    return j


@kernel(types.void(_F1, types.int64, types.float64[::1]))
def tile(period, x, dst):
    """dst[j] = period[(x + j) % len(period)], for 0 <= x < len(period)."""
    length = period.size
    for j in range(dst.size):
        dst[j] = period[x]
        x += 1
        if x == length:
            x = 0


@kernel(types.void(_F2, types.int64, types.int64, _I2, _F1, types.float64[::1]))
def cycle_pull(fparams, k, rows, rpos, rc, dst):
    """exp_range's pull of CYCLE_PULL segment k: v -> anchor (1 - c gamma**t) + v c gamma**t, t the cycle
    time, c the run's cycle factor, for the ``rows`` runs of ``cycle_runs``.

    gamma ** t = gamma ** (64 floor(t / 64)) * gamma ** (t % 64): a pow per block of 64 steps;
    where c gamma**t is near 1, 1 - c gamma**t is -expm1(log c + t log gamma).
    """
    anchor = fparams[k, 0]
    gamma = fparams[k, 5]
    gamma_steps = np.empty(64, np.float64)
    _powers(gamma, 1.0, gamma_steps)
    log_gamma = math.log(gamma)
    pull_y = np.empty(64, np.float64)
    pull_g = np.empty(64, np.float64)
    pull_gc = np.empty(64, np.float64)
    pull_bits = np.empty(128, np.int64)
    for row in range(rows):
        q = rpos[row, 0]
        q2 = rpos[row, 1]
        c = rc[row]
        log_c = math.log(c) if c > 0.0 else -math.inf
        r = q
        while r < q2:
            tt = rpos[row, 2] + (r - q)
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


@kernel(types.void(_F1, types.float32[::1]))
def narrow(src, dst):
    """dst[j] = src[j] rounded to float32 (a float32 table's last step; faster here than NumPy's cast)."""
    for j in range(dst.size):
        dst[j] = src[j]


def precompile(progress=None):
    """Compile (or load from Numba's on-disk cache) every kernel now; return their names.

    A process otherwise pays for each kernel on its first use.  Run it once
    where the cache should be warm before the first real call -- in a
    container build (``lrsched precompile``), or at the start of a job.
    ``progress(name, done, total)`` is called after each kernel.
    """
    names = sorted(KERNELS)
    for done, name in enumerate(names, 1):
        KERNELS[name].dispatcher  # noqa: B018 - creating the dispatcher compiles (or loads) it
        if progress is not None:
            progress(name, done, len(names))
    return names
