"""lrsched schedules as optax schedules: a precomputed table, looked up with the step count.

An optax schedule is a function of the step count that may be traced by
``jax.jit``; lrsched's Numba kernels cannot run on a traced array.  So
``lrsched.optax.schedule(s, steps)`` computes the values at steps
``0 .. steps - 1`` once, with ``s.table``, keeps them as a JAX array, and
returns a function that indexes it::

    import optax, lrsched, lrsched.optax

    s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=100, total_steps=10_000)
    sched = lrsched.optax.schedule(s, 10_000)
    opt = optax.adamw(learning_rate=sched)                       # any optax learning_rate=
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=sched, weight_decay=...)  # any hyperparameter

Conventions:

- ``sched(count)`` is ``s.at(count)`` for every ``count`` in the table,
  exactly (in the table's dtype): optax's update ``k`` runs with ``count == k``
  before its increment, lrsched's update ``k`` uses ``s.at(k)``.
- Past the table (``count >= steps``) it holds the last value,
  ``s.at(steps - 1)``: lrsched's own convention past a horizon.  A schedule
  that still changes after ``steps - 1`` is therefore cut there; make the
  table as long as the run.  A negative count (optax never passes one, and a
  traced value cannot raise) gives the value at step 0.
- float32 by default; float64 only when JAX's 64-bit mode is on
  (``jax.config.update("jax_enable_x64", True)``), otherwise JAX would store
  the table as float32 anyway, so asking for it is an error.
- The table costs ``steps`` values of device memory (4 MB per million steps
  in float32).  ``steps`` is at most ``2**31 - 1``: optax counts in int32.

JAX is imported when a schedule is built (``import lrsched`` never imports
it); optax itself is not needed to build one.
"""

from __future__ import annotations

import numpy as np

from . import _validate as V
from ._schedule import Schedule

__all__ = ["schedule"]

MAX_TABLE = 2**31 - 1  # optax's step count is an int32


def _jax():
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as e:
        raise ImportError(
            "lrsched.optax needs JAX: pip install jax optax (the rest of lrsched works without it)."
        ) from e
    return jax, jnp


@V.explain_arguments
def schedule(s, steps, *, dtype=np.float32):
    """An optax schedule (a function of the step count) with the values of ``s`` at steps ``0 .. steps - 1``.

    ``sched(count) = table[clip(count, 0, steps - 1)]`` with
    ``table = s.table(steps, dtype=dtype)``: exact at every step of the
    table, the last value past it.

    Parameters
    ----------
    s : lrsched.Schedule
        The schedule (of a learning rate or any other hyperparameter).
    steps : int
        Length of the table, in ``[1, 2**31 - 1]``: the number of optimizer
        updates of the run (more cost memory, not accuracy).
    dtype : numpy.float32 or numpy.float64, default numpy.float32
        Type of the values.  float64 needs JAX's 64-bit mode
        (``jax.config.update("jax_enable_x64", True)``) to be on now.

    Returns
    -------
    callable
        ``sched(count)``, for a Python int, a NumPy integer or a JAX integer
        array (traced inside ``jax.jit`` or not; an array of counts gives an
        array of values), returning a JAX array of ``dtype``.  Pass it as an
        optax ``learning_rate=`` or to ``optax.inject_hyperparams``.

    Raises
    ------
    TypeError
        If ``s`` is not a Schedule, ``steps`` not an int, or ``dtype`` not a
        float type; ``sched(count)`` raises it for a count that is not an
        integer.
    ValueError
        If ``steps`` is out of range, float64 is asked without JAX's 64-bit
        mode, or a float32 table would overflow.
    ImportError
        If JAX is not installed.

    See also
    --------
    optax.warmup_cosine_decay_schedule, optax.join_schedules : optax's own
        schedules, functions of the count computed in JAX.

    Examples
    --------
    Not run as a doctest (it needs JAX)::

        sched = lrsched.optax.schedule(lrsched.linear(init_value=1.0, steps=4), 4)
        [float(sched(k)) for k in range(6)]    # [1.0, 0.75, 0.5, 0.25, 0.25, 0.25]
    """
    fn = "lrsched.optax.schedule"
    if not isinstance(s, Schedule):
        V.fail(fn, "s", "a lrsched.Schedule", s, TypeError)
    steps = V.integer(fn, "steps", steps, minimum=1, maximum=MAX_TABLE)
    dtype = V.float_dtype(fn, dtype)
    jax, jnp = _jax()
    if dtype == np.float64 and not jax.config.jax_enable_x64:
        raise ValueError(
            f"{fn}: `dtype` float64 needs JAX's 64-bit mode, which is off (JAX would store the table as "
            "float32): call jax.config.update('jax_enable_x64', True) first, or use dtype=numpy.float32."
        )
    table = jnp.asarray(s.table(steps, dtype=dtype))
    last = steps - 1

    def lrsched_schedule(count):
        count = jnp.asarray(count)
        if not jnp.issubdtype(count.dtype, jnp.integer):
            raise TypeError(f"{fn}: the step count must be an integer, got one of dtype {count.dtype}.")
        return jnp.take(table, jnp.clip(count, 0, last))

    return lrsched_schedule
