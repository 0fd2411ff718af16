"""class Schedule, the walk that evaluates it with the kernels, the family registry and ``from_dict``."""

from __future__ import annotations

import inspect
import threading
from bisect import bisect_right

import numpy as np

from . import _kernels
from . import _validate as V
from ._program import CYCLES, IN_A_CYCLE, N_FLOAT, N_INT, NEEDS, Op, Program

# name -> (factory, {argument name: "one" | "list"} for arguments that are schedules)
_REGISTRY: dict = {}

# Schedules nest at most this deep (``warmup`` of ``join`` of ...): deep enough for any real
# schedule, shallow enough that to_dict, repr, from_dict and pickling never reach Python's
# recursion limit.  Factories refuse a deeper schedule, so every schedule round-trips.
MAX_DEPTH = 100
# Lists inside a spec's values nest at most this deep (no argument takes more than a list of numbers).
_MAX_JSON_DEPTH = 8


def family(name, schedule_args=None):
    """Register a public factory under ``name`` for ``from_dict``, its arguments explained on a wrong call
    (``_validate.explain_arguments``: an unknown or missing one raises ``ArgumentError``)."""

    def decorate(fn):
        fn = V.explain_arguments(fn)
        _REGISTRY[name] = (fn, dict(schedule_args or {}))
        return fn

    return decorate


@V.explain_arguments
class Schedule:
    """An immutable schedule: a Program to evaluate and the spec it was built from.

    Build schedules with the factories (``lrsched.cosine(...)``,
    ``lrsched.warmup_cosine(...)``, ...), never with this constructor.

    Evaluation::

        s(steps)        values at an int array of steps (same shape, float64);
                        a Python or NumPy integer gives a Python float
        s.at(step)      the value at one step, a Python float
        s.table(n)      values at steps 0 .. n-1 (``start=``, ``dtype=``, ``out=``)

    Composition: ``s * 0.5`` scales, ``s * t`` is the pointwise product,
    ``lrsched.join`` concatenates in time, ``lrsched.warmup`` prepends a warmup.

    Two schedules are equal when they lower to the same Program (the same
    values at every step, computed the same way).
    """

    __slots__ = ("_program", "_spec", "_depth", "_plan")
    __array_ufunc__ = None  # numpy defers `np.float64(2) * s` to Schedule.__rmul__

    def __init__(self, program: Program, spec: dict):
        self._program = program
        self._spec = spec
        self._plan = None
        inner = [x for v in spec.values() for x in (v if isinstance(v, (list, tuple)) else [v])]
        self._depth = 1 + max((x._depth for x in inner if isinstance(x, Schedule)), default=0)

    # -- evaluation -----------------------------------------------------------

    def __call__(self, steps):
        if V._is_int(steps):
            return self._at(V.integer("Schedule.__call__", "steps", steps))
        arr = V.steps_array("Schedule.__call__", steps)
        flat = np.ascontiguousarray(arr.reshape(-1))
        out = np.empty(flat.size, np.float64)
        if flat.size:
            _fill_steps(self._walk(), flat, out)
        return out.reshape(arr.shape)

    def at(self, step) -> float:
        """The value used by optimizer update ``step`` (0-based), as a Python float."""
        return self._at(V.integer("Schedule.at", "step", step))

    def _at(self, step):
        plan = self._plan or self._walk()
        out = np.empty(1, np.float64)
        value = None
        for starts, segments in plan.layers:
            k, origin, fn = segments[bisect_right(starts, step) - 1]
            if fn is None:
                _cycle_step(plan, k, step - origin, out)
            else:
                fn(plan.fparams, plan.iparams, k, 0, 1, step - origin, _NO_RUNS, out, _NO_NARROW)
            value = float(out[0]) if value is None else value * float(out[0])  # a product rounds per layer
        return value

    def _walk(self):
        """How the walk evaluates this schedule (made on first use; compiles or loads its kernels)."""
        if self._plan is None:
            self._plan = _Plan(self._program)
        return self._plan

    @V.explain_arguments
    def table(self, n, *, start=0, dtype=None, out=None):
        """Values at steps ``start, ..., start + n - 1``.

        Parameters
        ----------
        n : int
            Number of steps.
        start : int, default 0
            First step.
        dtype : numpy.float64 or numpy.float32, optional
            Output type (float64 unless ``out`` says otherwise).  Values are
            computed in float64 either way.
        out : numpy.ndarray, optional
            A writeable, C-contiguous 1-D array of shape ``(n,)`` to fill.

        Returns
        -------
        numpy.ndarray
            ``out`` if given, else a new array.

        Raises
        ------
        ValueError
            If the table is float32 and a value exceeds float32's range (it
            would be inf); ``out`` is then left as it was.
        MemoryError
            If the table does not fit in memory; the message says how many
            bytes it needs.  ``lrsched.save(schedule, path, n)`` writes any
            length to a file in chunks of fixed size.
        """
        fn = "Schedule.table"
        n, start = V.step_range(fn, n, start)
        if dtype is not None:
            dtype = V.float_dtype(fn, dtype)
        if out is None:
            out = _allocate(fn, n, dtype or np.float64)
        else:
            _check_out(fn, out, n, dtype)
        return self._fill(fn, start, out)

    def _fill(self, fn, start, out):
        """Write the values at ``start, ...`` into ``out`` (checked by the caller ``fn``)."""
        if not out.size:
            return out
        program = self._program
        if out.dtype == np.float32 and program.bound() > _F32_MAX:
            # Values may exceed float32: compute in float64 first, so that a refused table
            # leaves ``out`` as it was (the cast would write inf).
            wide = _allocate(fn, out.size, np.float64, check32=True)
            _fill_range(self._walk(), start, wide)
            top = int(np.argmax(np.abs(wide)))
            if abs(wide[top]) > _F32_MAX:
                raise ValueError(
                    f"{fn}: `dtype` float32 cannot hold this table's values: the value at step {start + top} "
                    f"is {float(wide[top])!r}, above float32's largest {_F32_MAX!r} (it would be written as "
                    "inf); use dtype=numpy.float64."
                )
            out[:] = wide
            return out
        self._write(start, out)
        return out

    def _write(self, start, out):
        """out[i] = value at step start + i (float64 or float32, checked by the caller)."""
        _fill_range(self._walk(), start, out)

    # -- composition ----------------------------------------------------------

    def __mul__(self, other):
        from .schedules import product, scale

        if isinstance(other, Schedule):
            return product([self, other])
        if V._is_real(other):
            return scale(self, other)
        return NotImplemented

    __rmul__ = __mul__

    # -- data -----------------------------------------------------------------

    @property
    def program(self) -> Program:
        """The lowered form (segment arrays) evaluated by the kernels."""
        return self._program

    @property
    def horizon(self):
        """The first step from which the schedule holds its last value for ever (the run's length:
        timm's ``get_cycle_length()``), or None when it keeps changing or is constant from step 0.

        >>> import lrsched
        >>> lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100).horizon
        100
        >>> lrsched.sgdr(1.0, 10, cycle_limit=3).horizon, lrsched.sgdr(1.0, 10).horizon
        (30, None)
        """
        ends = []
        for layer in self._program.layers():
            last = layer[-1]
            if last.op != Op.CONST:
                return None
            ends.append(last.start)
        return max(ends) if max(ends) > 0 else None

    @V.explain_arguments
    def to_dict(self) -> dict:
        """The spec as plain JSON types; ``lrsched.from_dict`` rebuilds an equal schedule."""
        return _to_plain(self._spec)

    def __eq__(self, other):
        if not isinstance(other, Schedule):
            return NotImplemented
        return self._program == other._program

    def __hash__(self):
        return hash(self._program)

    def __repr__(self):
        args = ", ".join(f"{k}={_repr_arg(v)}" for k, v in self._spec.items() if k != "type")
        return f"{self._spec['type']}({args})"

    def __reduce__(self):  # pickling goes through the plain-data spec, never code
        return (from_dict, (self.to_dict(),))


_F32_MAX = float(np.finfo(np.float32).max)


# -- the walk -------------------------------------------------------------------------------------
#
# A table is a product of layers, each a list of segments; the walk finds the segments a range
# (or an array) of steps crosses and calls one op kernel per segment, or the tiler for a cycle
# (see ``_kernels.py`` for the kernels' arguments).  A table has a handful of segments, so the
# walk costs microseconds; the kernels do the per-step work.

_NO_RUNS = np.empty((0, 4), np.int64)  # "one run, given by the scalars"
_NO_TIMES = np.empty(0, np.int64)  # "a range of consecutive local times"
for _a in (_NO_RUNS, _NO_TIMES):
    _a.flags.writeable = False
_NO_WIDE = np.empty(0, np.float64)  # the op kernels' dst where they write float32 ...
_NO_NARROW = np.empty(0, np.float32)  # ... and their dst32 where they write float64
_CHUNK = 1 << 15  # steps per chunk where values pass through a buffer (a product of layers, float32)
_RUNS = 4096  # cycle runs per call of the tiler


class _Plan:
    """A program laid out for the walk: per layer the segments' first steps and, per segment,
    (row, origin, op kernel) -- ``None`` for a cycle, whose body kernels are in ``bodies``."""

    __slots__ = ("fparams", "iparams", "seg_start", "seg_origin", "rows", "layers", "bodies", "pulls", "tiler", "pull")

    def __init__(self, program):
        self.seg_start, self.seg_origin, _, self.fparams, self.iparams, layer_ptr = program.arrays
        rows = program._rows
        self.rows = rows
        self.layers = []
        self.bodies = {}
        self.pulls = frozenset(k for k, row in enumerate(rows) if row[2] == Op.CYCLE_PULL)  # cycles pulled per step
        self.tiler = self.pull = None  # cycle_runs's and cycle_pull's dispatchers, where needed (for at())
        for lo, hi in zip(layer_ptr[:-1].tolist(), layer_ptr[1:].tolist()):
            starts = [rows[k][0] for k in range(lo, hi)]
            segments = []
            for k in range(lo, hi):
                op = rows[k][2]
                if op in CYCLES:
                    i = rows[k][4]
                    self.bodies[k] = [_dispatcher(rows[b][2], IN_A_CYCLE) for b in range(i[2], i[3])]
                    self.tiler = _kernels.KERNELS["cycle_runs"].dispatcher
                    if k in self.pulls:
                        self.pull = _kernels.KERNELS["cycle_pull"].dispatcher
                    segments.append((k, rows[k][1], None))
                else:
                    segments.append((k, rows[k][1], _dispatcher(op)))
            self.layers.append((starts, segments))


def _dispatcher(op, extra=None):
    """The op kernel of a segment's op (compiled or loaded now, if this process has not yet); a
    constant outside a cycle is NumPy's fill."""
    names = NEEDS[op] or (extra or {}).get(op)
    return _kernels.KERNELS[names[0]].dispatcher if names else _fill_constant


def _fill_constant(fparams, iparams, row, lo, hi, t0, runs, dst, dst32):
    """CONST without compiling: dst[lo:hi] = a for one run (``fill_const``'s arguments; the walk
    never hands it a batch of runs)."""
    (dst32 if dst32.size else dst)[lo:hi] = fparams[row, 0]  # float32: one rounding, as narrow's


def _fill_range(plan, start, out):
    """out[i] = value at step start + i.  A single layer is written in place (float64 or float32);
    a product of layers goes through float64 chunks (it rounds once per layer, and a float32
    value once more, at the end)."""
    layers = plan.layers
    if len(layers) == 1:
        _fill_layer(plan, layers[0], start, out)
        return
    n = out.size
    chunk = min(n, _CHUNK)
    buffer = out if out.dtype == np.float64 else np.empty(chunk)
    factor = np.empty(chunk)
    for c0 in range(0, n, chunk):
        m = min(chunk, n - c0)
        values = buffer[c0 : c0 + m] if buffer is out else buffer[:m]
        _fill_layer(plan, layers[0], start + c0, values)
        for layer in layers[1:]:
            f = factor[:m]
            _fill_layer(plan, layer, start + c0, f)
            np.multiply(values, f, out=values)
        if buffer is not out:
            _kernels.narrow(values, out[c0 : c0 + m])


def _fill_layer(plan, layer, first, dst):
    """dst[i] = the layer's value at step first + i.  Op kernels write a float32 ``dst`` themselves;
    a cycle's values go through float64 chunks."""
    starts, segments = layer
    n = dst.size
    narrow = dst.dtype == np.float32
    wide, d32 = (_NO_WIDE, dst) if narrow else (dst, _NO_NARROW)
    s = bisect_right(starts, first) - 1
    pos = 0
    while pos < n:
        k, origin, fn = segments[s]
        stop = n if s + 1 == len(starts) else min(n, starts[s + 1] - first)
        if fn is not None:
            fn(plan.fparams, plan.iparams, k, pos, stop, first + pos - origin, _NO_RUNS, wide, d32)
        elif not narrow:
            _fill_cycle(plan, k, first + pos - origin, _NO_TIMES, dst[pos:stop])
        else:
            buffer = np.empty(min(stop - pos, _CHUNK))
            for c0 in range(pos, stop, buffer.size):
                values = buffer[: min(buffer.size, stop - c0)]
                _fill_cycle(plan, k, first + c0 - origin, _NO_TIMES, values)
                _kernels.narrow(values, dst[c0 : c0 + values.size])
        pos = stop
        s += 1


def _fill_steps(plan, steps, out):
    """out[j] = value at steps[j] (int64, contiguous), chunk by chunk."""
    n = steps.size
    chunk = min(n, _CHUNK)
    factor = np.empty(chunk) if len(plan.layers) > 1 else None
    for c0 in range(0, n, chunk):
        c1 = min(n, c0 + chunk)
        s = steps[c0:c1]
        o = out[c0:c1]
        _steps_layer(plan, plan.layers[0], s, o)
        for layer in plan.layers[1:]:
            f = factor[: c1 - c0]
            _steps_layer(plan, layer, s, f)
            np.multiply(o, f, out=o)


def _steps_layer(plan, layer, steps, dst):
    """dst[j] = the layer's value at steps[j]: steps are grouped by segment, and each segment's
    kernel takes its group in one call."""
    starts, segments = layer
    if len(starts) == 1:
        _steps_segment(plan, segments[0], steps, 0, steps.size, dst)
        return
    if len(starts) <= 8:  # a few comparisons beat a binary search per step
        seg = np.zeros(steps.size, np.intp)
        for first in starts[1:]:
            seg += steps >= first
    else:
        seg = np.searchsorted(np.array(starts, np.int64), steps, "right") - 1
    if seg.size < 2 or not np.any(seg[1:] < seg[:-1]):  # already in segment order: slices
        edges = np.searchsorted(seg, np.arange(len(starts) + 1), "left").tolist()
        for s in range(len(starts)):
            if edges[s] < edges[s + 1]:
                _steps_segment(plan, segments[s], steps, edges[s], edges[s + 1], dst)
        return
    for s in np.flatnonzero(np.bincount(seg, minlength=len(starts))).tolist():  # else each segment's
        at = np.flatnonzero(seg == s)  # steps are gathered, filled and scattered back
        values = np.empty(at.size)
        _steps_segment(plan, segments[s], steps[at], 0, at.size, values)
        dst[at] = values


def _steps_segment(plan, segment, steps, lo, hi, dst):
    """dst[lo:hi] = the segment's values at steps[lo:hi], as runs of consecutive steps."""
    k, origin, fn = segment
    if fn is None:
        _fill_cycle(plan, k, -origin, steps[lo:hi], dst[lo:hi])
        return
    if fn is _fill_constant:
        dst[lo:hi] = plan.fparams[k, 0]
        return
    s = steps[lo:hi]
    gaps = s[1:] - s[:-1] != 1  # where a run of consecutive steps ends
    count = int(np.count_nonzero(gaps))
    if not count:
        fn(plan.fparams, plan.iparams, k, lo, hi, int(s[0]) - origin, _NO_RUNS, dst, _NO_NARROW)
        return
    runs = np.empty((s.size if 2 * count > s.size else count + 1, 4), np.int64)
    runs[:, 0] = k
    if 2 * count > s.size:  # mostly single steps: one run each
        runs[:, 1] = np.arange(lo, hi)
        runs[:, 2] = runs[:, 1] + 1
        np.subtract(s, origin, out=runs[:, 3])
    else:
        runs[0, 1] = lo
        runs[1:, 1] = np.flatnonzero(gaps) + (lo + 1)
        runs[:-1, 2] = runs[1:, 1]
        runs[-1, 2] = hi
        runs[:, 3] = s[runs[:, 1] - lo] - origin
    fn(plan.fparams, plan.iparams, 0, 0, 0, 0, runs, dst, _NO_NARROW)


def _fill_cycle(plan, k, t0, times, dst):
    """dst[j] = CYCLE segment k at cycle time t0 + j (``times`` empty) or times[j] + t0.

    Cycles of one length that all take the same values (no decay, no per-step pull) repeat one
    period: it is computed once and tiled, which keeps short cycles (SGDR every 10 steps,
    ``repeat``) from paying the per-cycle set-up on every cycle.  The tiled values are the ones
    the cycle-by-cycle path computes (the same local times in the same kernels).
    """
    n = dst.size
    _, _, op, f, i = plan.rows[k]
    length = i[0]
    if not times.size and op == Op.CYCLE and i[1] == 1 and f[2] == 1.0 and length <= n // 2:
        period = np.empty(length)
        _fill_cycle(plan, k, 0, _NO_TIMES, period)
        _kernels.tile(period, t0 % length, dst)
        return
    bodies = plan.bodies[k]
    runs, counts, sf, si, rpos, rc, _ = _cycle_scratch(len(bodies), min(_RUNS, n))
    j = 0
    while j < n:
        j = _kernels.cycle_runs(plan.fparams, plan.iparams, plan.seg_start, plan.seg_origin, k, t0, n, times, j,
                                runs, counts, sf, si, rpos, rc)  # fmt: skip
        rows = 0
        for b, c in enumerate(counts.tolist()):
            if c:
                bodies[b](sf, si, 0, 0, 0, 0, runs[b, :c], dst, _NO_NARROW)
                rows += c
        if op == Op.CYCLE_PULL:
            _kernels.cycle_pull(plan.fparams, k, rows, rpos, rc, dst)


def _cycle_step(plan, k, t, out):
    """out[0] = CYCLE segment k at cycle time t (``at()``): ``_fill_cycle`` for one step, with the
    tiler's one run taken straight to its body kernel."""
    bodies = plan.bodies[k]
    try:
        runs, counts, sf, si, rpos, rc, each = _SCRATCH.arrays[len(bodies)]
    except (AttributeError, KeyError):
        runs, counts, sf, si, rpos, rc, each = _cycle_scratch(len(bodies), 1)
    plan.tiler(plan.fparams, plan.iparams, plan.seg_start, plan.seg_origin, k, t, 1, _NO_TIMES, 0,
               runs, counts, sf, si, rpos, rc)  # fmt: skip
    b = counts.tolist().index(1)
    bodies[b](sf, si, 0, 0, 0, 0, each[b], out, _NO_NARROW)
    if k in plan.pulls:
        plan.pull(plan.fparams, k, 1, rpos, rc, out)


_SCRATCH = threading.local()  # per thread: a single step's cycle scratch, reused (at() in a loop)


def _cycle_scratch(bodies, cap):
    """The tiler's output arrays for ``cap`` runs of a cycle with ``bodies`` body segments, and each
    body's first run as a slice (``_cycle_step``); for one run they are kept per thread."""
    small = cap == 1
    if small:
        cached = getattr(_SCRATCH, "arrays", {}).get(bodies)
        if cached is not None:
            return cached
    runs = np.empty((bodies, cap, 4), np.int64)
    arrays = (
        runs,
        np.empty(bodies, np.int64),
        np.empty((cap, N_FLOAT)),
        np.empty((cap, N_INT), np.int64),
        np.empty((cap, 3), np.int64),
        np.empty(cap),
        [runs[b, :1] for b in range(bodies)],
    )
    if small:
        _SCRATCH.__dict__.setdefault("arrays", {})[bodies] = arrays
    return arrays


def _allocate(fn, n, dtype, check32=False):
    """``np.empty(n, dtype)`` for a table of ``n`` steps, or a MemoryError that names ``n``, the bytes
    and a way to do without (NumPy's own names neither).  ``check32``: the float64 values a float32
    table is checked in first."""
    try:
        return np.empty(n, dtype)
    except (MemoryError, ValueError):  # ValueError: more bytes than any address space ("array is too big")
        pass
    dtype = np.dtype(dtype)
    need = n * dtype.itemsize
    if check32:
        what = f"a float32 table of n={n} steps, whose values may exceed float32's range, is checked in float64 first"
        how = "lrsched.save(schedule, path, n, dtype=numpy.float32)"
    else:
        what = f"a table of n={n} steps of {dtype.name}"
        how = "lrsched.save(schedule, path, n)"
        if dtype == np.float64:
            how += ", or ask for dtype=numpy.float32 (half the bytes)"
    raise MemoryError(
        f"{fn}: {what}, which needs {need:,} bytes ({need / 2**30:,.1f} GiB), more memory than this process can "
        f"allocate; write the table to a file in chunks of fixed size with {how}."
    )


def _check_out(fn, out, n, dtype):
    if not isinstance(out, np.ndarray):
        V.fail(fn, "out", "a numpy.ndarray", type(out).__name__, TypeError)
    if out.dtype not in (np.float64, np.float32) or (dtype is not None and out.dtype != dtype):
        want = "float64 or float32" if dtype is None else str(dtype)
        V.fail(fn, "out", f"an array of dtype {want}", f"array of dtype {out.dtype}", TypeError)
    if out.shape != (n,):
        V.fail(fn, "out", f"an array of shape ({n},)", f"array of shape {out.shape}")
    if not out.flags.c_contiguous:
        V.fail(fn, "out", "C-contiguous", "a non-contiguous array")
    if not out.flags.writeable:
        V.fail(fn, "out", "writeable", "a read-only array")


def _to_plain(v):
    if isinstance(v, Schedule):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: _to_plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_to_plain(x) for x in v]
    return v


def _repr_arg(v):
    if isinstance(v, tuple):
        return "[" + ", ".join(_repr_arg(x) for x in v) + "]"
    return repr(v)


def make(program: Program, name: str, **args) -> Schedule:
    """A Schedule from a factory: ``args`` are its normalized arguments (nested at most MAX_DEPTH deep)."""
    s = Schedule(program, {"type": name, **args})
    if s._depth > MAX_DEPTH:
        arg = next(k for k, v in args.items() if isinstance(v, Schedule) or
                   isinstance(v, (list, tuple)) and any(isinstance(x, Schedule) for x in v))  # fmt: skip
        raise ValueError(
            f"{name}: `{arg}` must be nested at most {MAX_DEPTH - 1} schedules deep (schedules nest at most "
            f"{MAX_DEPTH} deep), got a schedule nested {s._depth - 1} deep."
        )
    return s


_JSON_SCALARS = (str, int, float, bool, type(None))


@V.explain_arguments
def from_dict(d) -> Schedule:
    """Rebuild a schedule from ``Schedule.to_dict()`` output.

    The dict is plain data: ``{"type": <family name>, <argument>: <value>, ...}``
    with nested schedules as dicts.  Every argument goes through the family's
    own checks, so a dict from an untrusted file is as safe as a function
    call; nothing is evaluated or unpickled.

    Raises
    ------
    TypeError
        ``d`` (or a nested schedule) is not a dict, or a value is not a JSON type.
    ValueError
        Unknown ``type`` or argument, or an argument the family rejects.
    """
    return _from_dict(d, "d", 1)


def _from_dict(d, where, depth, built=None, limits=None):
    """The Schedule of spec ``d`` (at ``where``, nested ``depth`` deep).

    ``built`` maps ``id(dict)`` to its Schedule: a dict used in several
    places (a YAML alias, a shared sub-dict of a state) is built once, into
    one Schedule, so the cost follows the distinct dicts.  ``limits`` (from
    ``lrsched.load``) is told of each schedule's parts before its factory
    runs (``limits.parts(parts, where, kind)``) and of each schedule made
    (``limits.made(s, where, kind, composite)``), to refuse a file past its
    limits early.
    """
    built = {} if built is None else built
    s = built.get(id(d))
    if s is not None:
        return s
    fn = "from_dict"
    if not isinstance(d, dict):
        V.fail(fn, where, "a dict", d, TypeError)
    if depth > MAX_DEPTH:  # also where a dict contains itself
        shown = where if len(where) < 80 else f"{where[:35]}...{where[-35:]}"
        raise ValueError(
            f"{fn}: `d` must be a spec with schedules nested at most {MAX_DEPTH} deep, got one nested deeper "
            f"(at {shown})."
        )
    kind = d.get("type")
    rule = "one of " + ", ".join(sorted(_REGISTRY))
    if "type" in d and not isinstance(kind, str):
        V.fail(fn, f"{where}['type']", rule, kind, TypeError)
    if kind not in _REGISTRY:
        if kind is None:
            V.fail(fn, f"{where}['type']", rule, kind)
        raise V.UnknownName(fn, kind, sorted(_REGISTRY), key=f"{where}['type']", rule=rule)
    if "run" in d:
        return _from_dict_in_units(d, where, depth, built, limits)
    factory, schedule_args = _REGISTRY[kind]
    _check_keys(kind, factory, d, where, depth)  # before any part is built
    kwargs, parts = {}, []
    for key, v in d.items():
        if key == "type":
            continue
        at = f"{where}[{key!r}]"
        if schedule_args.get(key) == "one":
            v = _from_dict(v, at, depth + 1, built, limits)
            parts.append(v)
        elif schedule_args.get(key) in ("list", "specs_or_args"):
            if not isinstance(v, list):
                V.fail(fn, at, "a list of schedule dicts", v, TypeError)
            # "specs_or_args": an item without a "type" is a dict of arguments, as the factory takes it (restarts)
            args = schedule_args[key] == "specs_or_args"
            v = [_args_item(x, f"{at}[{k}]") if args and isinstance(x, dict) and "type" not in x
                 else _from_dict(x, f"{at}[{k}]", depth + 1, built, limits) for k, x in enumerate(v)]  # fmt: skip
            parts += [x for x in v if isinstance(x, Schedule)]
        else:
            _check_json(fn, at, v)
        kwargs[key] = v
    if limits is not None and schedule_args:
        limits.parts(parts, where, kind)
    try:
        s = factory(**kwargs)
    except (ValueError, TypeError) as e:  # a nested schedule's error says where it is
        if depth == 1:
            raise
        if isinstance(e, V.ArgumentError):
            raise e.replace(note=f"in {where}") from None
        raise type(e)(f"{e} (in {where})") from None
    if limits is not None:
        limits.made(s, where, kind, bool(schedule_args))
    built[id(d)] = s
    return s


def _args_item(x, where):
    """A spec's dict of arguments (an item of a "specs_or_args" list): string keys, plain JSON values."""
    for k, v in x.items():
        if not isinstance(k, str):
            V.fail("from_dict", where, "a dict of arguments, whose keys are their names (strings)", f"the key {k!r}",
                   TypeError)  # fmt: skip
        _check_json("from_dict", f"{where}[{k!r}]", v)
    return dict(x)


def _check_keys(kind, factory, d, where, depth):
    """A spec's keys are its factory's arguments (and "type", "run"), the required ones all there: else the
    ArgumentError a call of the factory with them would raise, naming the spec's type and 'run' among the keys."""
    kinds = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    params = [p for p in inspect.signature(factory).parameters.values() if p.kind not in kinds]
    names = {p.name for p in params}
    for k in d:
        if not isinstance(k, str):
            V.fail("from_dict", where, f"a {kind!r} spec, whose keys are argument names (strings)", f"the key {k!r}",
                   TypeError)  # fmt: skip
    unknown = [k for k in d if k not in names and k not in ("type", "run")]
    missing = [p.name for p in params if p.default is p.empty and p.name not in d]
    if unknown or missing:
        raise V.argument_error(kind, [*(p.name for p in params), "run"], unknown=unknown, missing=missing,
                               note=None if depth == 1 else f"in {where}")  # fmt: skip


def _run_of(facts, where):
    """The ``lrsched.Run`` a spec's ``"run"`` key holds."""
    from .units import Run

    fn = "from_dict"
    at = f"{where}['run']"
    if not isinstance(facts, dict):
        V.fail(fn, at, "a dict of lrsched.Run's facts (Run.facts())", facts, TypeError)
    for k, v in facts.items():
        if not isinstance(k, str):
            V.fail(fn, at, "a dict whose keys are Run's argument names", k, TypeError)
        _check_json(fn, f"{at}[{k!r}]", v)
    try:
        return Run(**facts)
    except TypeError as e:
        raise TypeError(f"{fn}: {at}: {e}") from None


def _from_dict_in_units(d, where, depth, built, limits):
    """A spec whose lengths may be unit strings, resolved by the Run in its ``"run"`` key; the schedule
    keeps the spec as written (its ``to_dict()`` is ``d``)."""
    run = _run_of(d["run"], where)
    asked = {k: v for k, v in d.items() if k != "run"}
    s = _from_dict(run.resolve_spec(asked, where), where, depth, built, limits)
    out = in_units(s, run, {k: v for k, v in asked.items() if k != "type"})
    built[id(d)] = out
    return out


def _has_length(v):
    from .units import is_length

    if isinstance(v, dict):
        return any(_has_length(x) for x in v.values())
    if isinstance(v, (list, tuple)):
        return any(_has_length(x) for x in v)
    return is_length(v)


def in_units(s: Schedule, run, asked: dict) -> Schedule:
    """``s`` (built from ``asked`` with its unit strings resolved by ``run``), with a spec that keeps the
    unit strings of ``asked`` and ``run.facts()`` under ``"run"``: to_dict says what the user meant."""
    if not _has_length(asked):
        return s  # nothing to keep: the spec as the factory wrote it
    spec = dict(s._spec)
    for k, v in asked.items():
        if k in spec and _has_length(v):
            spec[k] = _to_plain(v)
    spec["run"] = run.facts()
    out = Schedule(s._program, spec)
    out._depth = s._depth
    return out


def _check_json(fn, key, v, depth=0, seen=None):
    """Plain JSON data: scalars and lists of them, lists nested at most _MAX_JSON_DEPTH deep.

    A list shared in several places is checked once (a YAML alias bomb stays cheap); a list
    that contains itself is nested too deep.
    """
    if isinstance(v, list):
        if depth >= _MAX_JSON_DEPTH:
            V.fail(fn, key, f"lists nested at most {_MAX_JSON_DEPTH} deep", v)
        seen = set() if seen is None else seen
        if id(v) in seen:
            return
        for x in v:
            _check_json(fn, key, x, depth + 1, seen)
        seen.add(id(v))  # after its items: a list inside itself is found by the depth
    elif not isinstance(v, _JSON_SCALARS):
        V.fail(fn, key, "plain JSON data (numbers, strings, booleans, null, lists)", v, TypeError)
