"""Tables too large for memory, streamed to a file chunk by chunk, and the one way lrsched writes a file.

``save(schedule, path, n)`` writes the values at steps ``start .. start+n-1``
with a fixed-size buffer (``chunk`` steps, 1 Mi by default: 8 MB of float64),
so a billion-step table needs the memory of one chunk.  The file's name says
its format: ``.npy`` (NumPy, memory-mappable), ``.csv`` (``step,value``
lines, values printed exactly) or ``.parquet`` (columns ``step`` and
``value``; needs pyarrow).  A float32 table whose values exceed float32's
range is refused (ValueError) instead of being written as ``inf``.

Every file lrsched writes (these tables, ``lrsched.plot``'s pictures) goes
through ``write_atomically(path)``: the bytes go to a temporary file of this
writer's own beside ``path`` (``<name>.<8 hex digits>.partial``, created
exclusively, so no two writers, processes or threads, ever share one), are
synced to disk, and the temporary is renamed over ``path`` (``os.replace``)
only when complete.  So the file at ``path`` is always one whole file from
one writer: an interrupted write (an exception, a kill, a crash) leaves the
previous file, or none, never a file that looks complete; of several writers
to one path (DDP ranks often all save), each succeeds or raises on its own,
and the last to finish wins.  A writer that fails removes its temporary; a
killed writer's temporary is left behind and deleted by the next write to
the same path, which tells a dead writer's temporary from a live one's by
its lock (POSIX advisory ``flock``, held from creation to rename: without
one, as on Windows or a file system that refuses locks, nothing is deleted).
``<name>.partial``, the one temporary name of earlier versions (shared by
all writers), is deleted the same way.  Errors name ``path``, never the
temporary.
"""

from __future__ import annotations

import io
import math
import os
import secrets
import threading
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from . import _validate as V

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no temporary is ever taken for a dead writer's
    fcntl = None

CHUNK = 1 << 20


def sum_in_units(values, big):
    """``(m, e)`` with ``m * 2**e`` the sum of ``values``, whose largest ``|value|`` is ``big``.

    The plain float64 sum (``e = 0``, the bits of ``values.sum()``) when it does not overflow,
    else the sum of the values scaled by ``2**-e`` (exactly), with ``|m| <= values.size``: the
    mean of finite values is finite even when their sum exceeds float64's range.
    """
    with np.errstate(over="ignore"):
        total = float(values.sum(dtype=np.float64))
    if math.isfinite(total) or not math.isfinite(big):  # no overflow, or inf/nan among the values
        return total, 0
    e = math.frexp(big)[1]
    return float(np.ldexp(values, -e, dtype=np.float64).sum()), e


def scaled(m, e):
    """``m * 2**e``, inf (of m's sign) past float64's range."""
    try:
        return math.ldexp(m, e)
    except OverflowError:
        return math.copysign(math.inf, m)


class Summary:
    """What a reader wants to know about a table, gathered chunk by chunk."""

    # the sum so far is _sum * 2**_exp, with 2**_exp above every |value| so far (or 1): |_sum| <= n,
    # so values near float64's largest make neither the running sum nor the mean inf
    __slots__ = ("n", "start", "first", "last", "peak", "peak_at", "low", "_sum", "_exp")

    def __init__(self, start):
        self.n, self.start = 0, start
        self.first = self.last = self.peak = self.low = None
        self.peak_at, self._sum, self._exp = start, 0.0, 0

    def add(self, values):
        if not values.size:
            return
        k = int(np.argmax(values))
        high, low = float(values[k]), float(values.min())
        if self.peak is None or high > self.peak:
            self.peak, self.peak_at = high, self.start + self.n + k
        self.low = low if self.low is None else min(self.low, low)
        if self.first is None:
            self.first = float(values[0])
        self.last = float(values[-1])
        big = max(abs(high), abs(low))
        m, e = sum_in_units(values, big)
        top = max(self._exp, math.frexp(big)[1]) if math.isfinite(big) else self._exp
        self._sum = math.ldexp(self._sum, self._exp - top) + math.ldexp(m, e - top)  # scaled down only
        self._exp = top
        self.n += values.size

    @property
    def total(self):
        """The sum of the values (inf when it exceeds float64's range)."""
        return scaled(self._sum, self._exp)

    @property
    def mean(self):
        return scaled(self._sum / self.n, self._exp) if self.n else None


@V.explain_arguments
def save(schedule, path, n, *, start=0, dtype=np.float64, chunk=CHUNK, progress=None):
    """Write ``schedule.table(n, start=start, dtype=dtype)`` to ``path`` (.npy, .csv or .parquet), streamed.

    Parameters
    ----------
    schedule : Schedule
    path : str or os.PathLike
        Destination; it appears (or is replaced) only once the whole table is
        written, by ``write_atomically``: several processes may save to one path.
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

    Raises
    ------
    OSError
        The file cannot be written (its message names ``path``); the file
        that was at ``path``, if any, is left as it was.

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
    summary = Summary(start)
    size = min(chunk, max(n, 1))
    try:
        buf = np.empty(size, dtype)
    except MemoryError:
        raise MemoryError(
            f"{fn}: a buffer of chunk={chunk} {dtype.name} values needs {size * dtype.itemsize:,} bytes, more than "
            f"this process can allocate; pass a smaller chunk (the default is {CHUNK})."
        ) from None
    with write_atomically(path) as f, writer(f, n, dtype) as write:
        done = 0
        while done < n:
            m = min(chunk, n - done)
            values = schedule._fill(fn, start + done, buf[:m])  # refuses float32 overflow
            summary.add(values)
            write(start + done, values)
            done += m
            if progress is not None:
                progress(done, n)
    return summary


# -- the one way lrsched writes a file -------------------------------------------------------

_SUFFIX = ".partial"
_TOKEN = 8  # hex digits that make a writer's temporary its own
# (st_dev, st_ino) of this process's temporaries being written: a reclaiming thread never takes
# them, even where a file system's locks belong to the process (NFS's), not to the open file
_live = set()
_live_lock = threading.Lock()


def _forget_live():
    global _live, _live_lock
    _live, _live_lock = set(), threading.Lock()  # a forked child writes none of its parent's files


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_live)


@contextmanager
@V.explain_arguments
def write_atomically(path):
    """A binary file whose bytes become the file at ``path`` when the ``with`` block ends without error.

    The bytes go to a temporary beside ``path`` that is this writer's alone
    (``<name>.<8 hex digits>.partial``, created with ``O_EXCL`` and locked);
    at the end they are synced to disk and the temporary is renamed over
    ``path`` with ``os.replace``.  On any error, in the block or after, the
    temporary is removed and ``path`` keeps its previous file (or none).
    Dead writers' temporaries beside ``path`` are deleted first (see the
    module docstring).  OS errors of the file's own operations name ``path``;
    an exception raised in the block passes through as it is.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with write_atomically(path) as f:
    ...     _ = f.write(b"whole or not at all")
    >>> open(path, "rb").read(), os.listdir(os.path.dirname(path))
    (b'whole or not at all', ['notes.txt'])
    """
    path = Path(path)
    _reclaim(path)
    try:
        fd, temp, key = _create(path)
    except OSError as e:
        raise _naming(e, path) from None
    f = None
    try:
        f = io.BufferedWriter(_TempFile(fd, path))  # fd (and its lock) stays open until after the rename
        yield f
        try:
            f.close()
            os.fsync(fd)  # the data is on disk before the name says the file is complete
            if fcntl is None:  # Windows renames no open file; there is no lock to keep
                os.close(fd)
                fd = None
            os.replace(temp, path)
        except OSError as e:
            raise _naming(e, path) from None
    except BaseException:
        if f is not None:
            try:
                f.close()  # before fd, which a later flush of f could otherwise reach reused
            except OSError:
                pass
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    finally:
        if fd is not None:
            os.close(fd)
        with _live_lock:
            _live.discard(key)
    _sync(path.parent)  # the rename itself, best effort


class _TempFile(io.FileIO):
    """A writer's temporary, written through the writer's locked ``fd`` (left open): its OS errors
    name ``path``, the name the caller gave, not the temporary's."""

    def __init__(self, fd, path):
        super().__init__(fd, "w", closefd=False)
        self.destination = path

    def write(self, data):
        try:
            return super().write(data)
        except OSError as e:
            raise _naming(e, self.destination) from None


def _naming(e, path):
    """The OSError ``e`` of the same errno (and so the same class), naming ``path`` instead of a temporary."""
    if e.errno is None:
        return e
    return OSError(e.errno, e.strerror, os.fspath(path))


def _stem(path):
    """The start of ``path``'s temporaries' names: its name, cut when suffixes would make it too long."""
    name = path.name
    return name if len(os.fsencode(name)) <= 200 else name[:50]  # 50 characters are at most 200 bytes


def _create(path):
    """A new temporary of this writer's beside ``path``: ``(fd, temp, key)``, locked and live."""
    stem = _stem(path)
    while True:
        temp = path.with_name(f"{stem}.{secrets.token_hex(_TOKEN // 2)}{_SUFFIX}")
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        key = _key(os.fstat(fd))
        with _live_lock:
            _live.add(key)
            if _lock(fd) and _same(fd, temp):
                return fd, temp, key
            _live.discard(key)
        # a reclaimer took the file between its creation and the lock: it deletes it (or has)
        os.close(fd)


def _lock(fd):
    """Take ``fd``'s exclusive lock without waiting: False if another holds it.  Where locks are
    refused (no fcntl, or a file system without them), True: nobody can then take the file for dead."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    except OSError:
        pass
    return True


def _key(st):
    return st.st_dev, st.st_ino


def _same(fd, name):
    """Whether ``name`` is still the file open as ``fd``."""
    try:
        return _key(os.fstat(fd)) == _key(os.stat(name, follow_symlinks=False))
    except OSError:
        return False


def _reclaim(path):
    """Delete the temporaries beside ``path`` that no live writer holds (killed or crashed
    writers'), and the shared ``<name>.partial`` of earlier versions; best effort."""
    if fcntl is None:
        return
    stem, legacy = _stem(path), path.name + _SUFFIX
    try:
        names = os.listdir(path.parent)
    except OSError:
        return
    for name in names:
        token = name[len(stem) + 1 : -len(_SUFFIX)]
        ours = (
            name == f"{stem}.{token}{_SUFFIX}" and len(token) == _TOKEN and all(c in "0123456789abcdef" for c in token)
        )
        if ours or name == legacy:
            _delete_if_dead(path.parent / name)


def _delete_if_dead(temp):
    """Delete ``temp`` if no writer holds its lock (and no writer of this process writes it)."""
    try:
        if _key(os.stat(temp, follow_symlinks=False)) in _live:  # not even opened: on NFS, closing a
            return  # file releases this process's locks on it
        fd = os.open(temp, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # its writer holds it from creation to rename
        with _live_lock:
            if _key(os.fstat(fd)) not in _live and _same(fd, temp):
                os.unlink(temp)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync(path):
    """fsync a directory (best effort: the rename itself)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- the table formats: each writes a table to a binary file --------------------------------


@contextmanager
def _npy(f, n, dtype):
    header = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (n,)}
    np.lib.format.write_array_header_1_0(f, header)
    yield lambda first, values: f.write(values.data)


@contextmanager
def _csv(f, n, dtype):
    # exact values: float64 as Python's repr (shortest round-trip), float32 with 9 significant digits
    form = "{},{!r}\n" if dtype == np.float64 else "{},{:.9g}\n"
    f.write(b"step,value\n")
    yield lambda first, values: f.write(
        "".join(form.format(first + i, v) for i, v in enumerate(values.tolist())).encode("ascii")
    )


@contextmanager
def _parquet(f, n, dtype):
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError(
            "writing .parquet needs pyarrow, which is not installed: pip install pyarrow (or write .npy or .csv)"
        ) from None
    schema = pa.schema([("step", pa.int64()), ("value", pa.from_numpy_dtype(dtype))])
    with pq.ParquetWriter(f, schema) as out:

        def write(first, values):
            steps = np.arange(first, first + values.size, dtype=np.int64)
            out.write_table(pa.table({"step": steps, "value": values}, schema=schema))

        yield write


_WRITERS = {".npy": _npy, ".csv": _csv, ".parquet": _parquet}
