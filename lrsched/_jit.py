"""The one place that sets Numba options.

Every compiled function in lrsched goes through :func:`kernel` (an entry point
with explicit signatures, compiled eagerly and cached on disk) or
:func:`inline` (a helper inlined into its callers at the Numba IR level, so the
loop that calls it still vectorizes).  Changing a compiler option is one edit
here.

Options and why:

* ``cache=True`` -- a fresh process loads machine code from ``__pycache__``
  instead of compiling (the first run on a machine pays the compile once).
* explicit signatures -- compile at import time, never on a user's first call
  with a surprising dtype, and never again for a new composite schedule: every
  schedule is data fed to the same machine code.
* ``fastmath={"contract"}`` -- lets LLVM fuse ``a * b + c`` into FMA.  It only
  ever removes a rounding, so results stay within the accuracy tests.  No
  ``reassoc``/``nnan``/``afn``: those change results.
* ``error_model="numpy"`` -- integer division and modulo do not test for zero
  (callers guarantee non-zero divisors), which keeps loops vectorizable.
* ``nogil=True`` -- a table may be computed from several threads at once.
* ``boundscheck=False`` -- indices are computed by the kernels themselves.
"""

from numba import njit

_OPTIONS = dict(
    cache=True,
    nogil=True,
    fastmath={"contract"},
    error_model="numpy",
    boundscheck=False,
)


def kernel(signatures):
    """Compile ``fn`` eagerly for ``signatures`` (a list of Numba type strings)."""

    def decorate(fn):
        return njit(signatures, **_OPTIONS)(fn)

    return decorate


def inline(fn):
    """A helper compiled into each caller (never called from Python)."""
    return njit(inline="always", **_OPTIONS)(fn)
