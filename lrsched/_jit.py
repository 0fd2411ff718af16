"""The one place that sets Numba options.

Every compiled function in lrsched goes through :func:`kernel` (an entry point
with explicit signatures, compiled eagerly and cached on disk) or
:func:`inline` (a helper inlined into its callers at the Numba IR level, so the
loop that calls it still vectorizes).  Changing a compiler option is one edit
here.

Options and why:

* ``cache=True`` -- a fresh process loads machine code from ``__pycache__``
  instead of compiling (the first run on a machine pays the compile once).
* explicit signatures -- compile exactly these, never on a user's call with a
  surprising dtype, and never again for a new composite schedule: every
  schedule is data fed to the same machine code.  Entry points load on first
  use (see ``Kernel``).
* ``fastmath={"contract"}`` -- lets LLVM fuse ``a * b + c`` into FMA.  It only
  ever removes a rounding, so results stay within the accuracy tests.  No
  ``reassoc``/``nnan``/``afn``: those change results.
* ``error_model="numpy"`` -- integer division and modulo do not test for zero
  (callers guarantee non-zero divisors), which keeps loops vectorizable.
* ``nogil=True`` -- a table may be computed from several threads at once.
* ``boundscheck=False`` -- indices are computed by the kernels themselves.
"""

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


class Kernel:
    """An entry point compiled for exactly ``signatures``, on first use.

    The machine code comes from Numba's on-disk cache after the first run on
    a machine, but even loading it costs ~0.1 s per signature, so a process
    pays only for the kernels it calls.  No other signature is ever compiled:
    arguments of other types raise ``TypeError``.
    """

    def __init__(self, fn, signatures):
        self._fn = fn
        self._signatures = signatures
        self._dispatcher = None
        self.__doc__ = fn.__doc__
        self.__name__ = fn.__name__

    @property
    def dispatcher(self):
        if self._dispatcher is None:
            self._dispatcher = njit(self._signatures, **_OPTIONS)(self._fn)
        return self._dispatcher

    def __call__(self, *args):
        d = self._dispatcher
        if d is None:
            d = self.dispatcher
        return d(*args)


def kernel(signatures):
    """Make ``fn`` an entry point compiled for ``signatures`` (Numba types), lazily."""

    def decorate(fn):
        return Kernel(fn, signatures)

    return decorate


def inline(fn):
    """A small helper compiled into each caller (never called from Python)."""
    return njit(inline="always", **_OPTIONS)(fn)


def helper(fn):
    """A large helper compiled once per argument types and called from kernels.

    Unlike ``inline`` it is typed and lowered once per signature however many
    call sites it has, which keeps the first compile on a machine short.
    """
    return njit(**_OPTIONS)(fn)


def exact(fn):
    """A helper compiled without ``contract``: its float arithmetic rounds exactly as
    Python's does, for results that decide integer boundaries (cycle starts)."""
    return njit(**{**_OPTIONS, "fastmath": False})(fn)


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
