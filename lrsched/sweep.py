"""Sweeps: many configurations of a schedule, evaluated into one (B, N) array.

``sweep("warmup_cosine", 100_000, peak_value=[1e-4, 3e-4, 1e-3], warmup_steps=2_000,
total_steps=100_000)`` builds one schedule per configuration (arguments given
as a list or 1-D array vary across rows, the others are shared) and fills
row ``b`` with configuration ``b``'s values at steps ``start .. start+N-1``.
The kernel releases the GIL, so rows are filled by one thread per core.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import _validate as V
from ._schedule import _F32_MAX, Schedule, _check_out


def _configurations(fn, family, params):
    from .registry import get

    varying = {k: v for k, v in params.items() if isinstance(v, (list, tuple, np.ndarray))}
    lengths = {k: len(v) for k, v in varying.items()}
    if not varying:
        V.fail(fn, "params", "at least one argument given as a list (one value per configuration)", params)
    if len(set(lengths.values())) != 1:
        raise ValueError(f"{fn}: the listed arguments must have one length, got lengths {lengths}.")
    b = next(iter(lengths.values()))
    rows = []
    for i in range(b):
        kwargs = {k: (v[i].item() if isinstance(v, np.ndarray) else v[i]) if k in varying else v
                  for k, v in params.items()}  # fmt: skip
        rows.append(get(family, **kwargs))
    return rows


@V.explain_arguments
def sweep(family, n, *, start=0, dtype=None, out=None, threads=None, **params):
    """Values of B schedules at steps ``start .. start + n - 1``, as a (B, n) array.

    Parameters
    ----------
    family : str or list of Schedule
        A name ``lrsched.get`` knows (``"warmup_cosine"``, ...) whose
        arguments are ``params``, or the schedules themselves (then no ``params``).
    n, start : int
        Steps ``start .. start + n - 1``.
    dtype : numpy.float64 or numpy.float32, optional
        Output type (float64 unless ``out`` says otherwise).
    out : numpy.ndarray, optional
        A writeable C-contiguous (B, n) array to fill.
    threads : int, optional
        Threads to fill rows with (default: the number of cores).
    **params
        The family's arguments; a list or 1-D array gives one value per row.

    Examples
    --------
    >>> import lrsched
    >>> v = lrsched.sweep("linear", 4, init_value=[1.0, 2.0], steps=4)
    >>> v.tolist()
    [[1.0, 0.75, 0.5, 0.25], [2.0, 1.5, 1.0, 0.5]]
    """
    fn = "sweep"
    if isinstance(family, str):
        schedules = _configurations(fn, family, params)
    else:
        if params:
            V.fail(fn, "params", "left out when `family` is a list of schedules", sorted(params))
        schedules = list(V.sequence(fn, "family", family, min_len=1))
        for k, s in enumerate(schedules):
            if not isinstance(s, Schedule):
                V.fail(fn, f"family[{k}]", "a lrsched.Schedule", s, TypeError)
    n, start = V.step_range(fn, n, start)
    if dtype is not None:
        dtype = V.float_dtype(fn, dtype)
    if threads is None:
        threads = os.cpu_count() or 1
    threads = V.integer(fn, "threads", threads, minimum=1, maximum=1024)
    b = len(schedules)
    if out is None:
        out = np.empty((b, n), dtype or np.float64)
    else:
        if not isinstance(out, np.ndarray):
            V.fail(fn, "out", "a numpy.ndarray", type(out).__name__, TypeError)
        if out.shape != (b, n):
            V.fail(fn, "out", f"an array of shape ({b}, {n})", f"array of shape {out.shape}")
        if not out.flags.c_contiguous:
            V.fail(fn, "out", "C-contiguous", "a non-contiguous array")
        _check_out(fn, out.reshape(-1), b * n, dtype)
    if not n:
        return out
    if out.dtype == np.float32:  # refuse a row float32 cannot hold before any row is written
        for s in schedules:
            if s.program.bound() > _F32_MAX:
                s._fill(fn, start, np.empty(n, np.float32))

    def rows(lo, hi):
        for i in range(lo, hi):
            schedules[i]._write(start, out[i])

    workers = min(threads, b)
    if workers == 1:
        rows(0, b)
    else:
        bounds = np.linspace(0, b, workers + 1).astype(int)
        with ThreadPoolExecutor(workers) as pool:
            for f in [pool.submit(rows, lo, hi) for lo, hi in zip(bounds, bounds[1:])]:
                f.result()
    return out
