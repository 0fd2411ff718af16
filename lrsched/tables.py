"""Tables too large for memory, streamed to a file chunk by chunk.

``save(schedule, path, n)`` writes the values at steps ``start .. start+n-1``
with a fixed-size buffer (``chunk`` steps, 1 Mi by default: 8 MB of float64),
so a billion-step table needs the memory of one chunk.  The file's name says
its format: ``.npy`` (NumPy, memory-mappable), ``.csv`` (``step,value``
lines, values printed exactly) or ``.parquet`` (columns ``step`` and
``value``; needs pyarrow).  The file is written under a temporary name
beside ``path`` (``path`` + ``.partial``), synced to disk and renamed when
complete: an interrupted write (an exception, a kill, a crash) never leaves a
file at ``path`` that looks complete, and a rerun replaces a stale partial file.
A float32 table whose values exceed float32's range is refused (ValueError)
instead of being written as ``inf``.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
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
    """Write ``schedule.table(n, start=start, dtype=dtype)`` to ``path`` (.npy, .csv or .parquet), streamed.

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
    writer = _WRITERS.get(path.suffix.lower())
    if writer is None:
        V.fail(fn, "path", f"a file name ending in {', '.join(_WRITERS)}", str(path))
    partial = path.with_name(path.name + ".partial")
    summary = Summary(start)
    buf = np.empty(min(chunk, max(n, 1)), dtype)
    try:
        with writer(partial, n, dtype) as write:
            done = 0
            while done < n:
                m = min(chunk, n - done)
                values = schedule._fill(fn, start + done, buf[:m])  # refuses float32 overflow
                summary.add(values)
                write(start + done, values)
                done += m
                if progress is not None:
                    progress(done, n)
        _sync(partial)  # the data is on disk before the name says the table is complete
        os.replace(partial, path)
        _sync(path.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return summary


def _sync(path):
    """fsync a written file (or, best effort, a directory: the rename itself)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():  # a directory that cannot be opened (some platforms): the rename stays unsynced
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


@contextmanager
def _npy(path, n, dtype):
    with open(path, "wb") as f:
        header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (n,)}
        np.lib.format.write_array_header_1_0(f, header)
        yield lambda first, values: f.write(values.data)


@contextmanager
def _csv(path, n, dtype):
    # exact values: float64 as Python's repr (shortest round-trip), float32 with 9 significant digits
    form = "{},{!r}\n" if dtype == np.float64 else "{},{:.9g}\n"
    with open(path, "w", newline="") as f:
        f.write("step,value\n")
        yield lambda first, values: f.write("".join(form.format(first + i, v) for i, v in enumerate(values.tolist())))


@contextmanager
def _parquet(path, n, dtype):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "writing .parquet needs pyarrow, which is not installed: pip install pyarrow (or write .npy or .csv)"
        ) from None
    schema = pa.schema([("step", pa.int64()), ("value", pa.from_numpy_dtype(dtype))])
    with pq.ParquetWriter(path, schema) as out:

        def write(first, values):
            steps = np.arange(first, first + values.size, dtype=np.int64)
            out.write_table(pa.table({"step": steps, "value": values}, schema=schema))

        yield write


_WRITERS = {".npy": _npy, ".csv": _csv, ".parquet": _parquet}
