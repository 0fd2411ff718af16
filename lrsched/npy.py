"""Tables too large for memory, streamed to a ``.npy`` file chunk by chunk.

``save(schedule, path, n)`` writes the values at steps ``start .. start+n-1``
with a fixed-size buffer (``chunk`` steps, 1 Mi by default: 8 MB of float64),
so a billion-step table needs the memory of one chunk.  The file is written
under a temporary name beside ``path`` and renamed when complete: an
interrupted write never leaves a file at ``path`` that looks complete.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from . import _validate as V

CHUNK = 1 << 20


class Summary:
    """What a reader wants to know about a table, gathered chunk by chunk."""

    __slots__ = ("n", "start", "first", "last", "peak", "peak_at", "low", "total")

    def __init__(self, start):
        self.n, self.start = 0, start
        self.first = self.last = self.peak = self.low = None
        self.peak_at, self.total = start, 0.0

    def add(self, values):
        if not values.size:
            return
        k = int(np.argmax(values))
        if self.peak is None or values[k] > self.peak:
            self.peak, self.peak_at = float(values[k]), self.start + self.n + k
        low = float(values.min())
        self.low = low if self.low is None else min(self.low, low)
        if self.first is None:
            self.first = float(values[0])
        self.last = float(values[-1])
        self.total += float(values.sum(dtype=np.float64))
        self.n += values.size

    @property
    def mean(self):
        return self.total / self.n if self.n else None


def save(schedule, path, n, *, start=0, dtype=np.float64, chunk=CHUNK, progress=None):
    """Write ``schedule.table(n, start=start, dtype=dtype)`` to the ``.npy`` file ``path``, streamed.

    Parameters
    ----------
    schedule : Schedule
    path : str or os.PathLike
        Destination; it appears only once the whole table is written.
    n, start : int
        Steps ``start .. start + n - 1``.
    dtype : numpy.float64 or numpy.float32
    chunk : int
        Steps per write (the buffer's size).
    progress : callable, optional
        Called as ``progress(done, n)`` after each chunk.

    Returns
    -------
    Summary
        First, last, peak (and where), lowest and mean value.

    Examples
    --------
    >>> import lrsched, numpy as np, tempfile, os
    >>> s = lrsched.cosine(init_value=1.0, steps=10)
    >>> path = os.path.join(tempfile.mkdtemp(), "lr.npy")
    >>> lrsched.save(s, path, 25, chunk=8).peak_at
    0
    >>> np.array_equal(np.load(path), s.table(25))
    True
    """
    from ._schedule import Schedule

    fn = "save"
    if not isinstance(schedule, Schedule):
        V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
    if not isinstance(path, (str, os.PathLike)):
        V.fail(fn, "path", "a file path (str or os.PathLike)", path, TypeError)
    n, start = V.step_range(fn, n, start)
    dtype = V.float_dtype(fn, dtype)
    chunk = V.integer(fn, "chunk", chunk, minimum=1, maximum=1 << 30)
    if progress is not None and not callable(progress):
        V.fail(fn, "progress", "a function (done, n) or None", progress, TypeError)
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    summary = Summary(start)
    buf = np.empty(min(chunk, max(n, 1)), dtype)
    try:
        with open(partial, "wb") as f:
            header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (n,)}
            np.lib.format.write_array_header_1_0(f, header)
            done = 0
            while done < n:
                m = min(chunk, n - done)
                values = schedule.table(m, start=start + done, out=buf[:m])
                f.write(values.data)
                summary.add(values)
                done += m
                if progress is not None:
                    progress(done, n)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary
