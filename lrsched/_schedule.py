"""class Schedule, the family registry and ``from_dict``."""

from __future__ import annotations

import inspect

import numpy as np

from . import _validate as V
from ._program import Program

# name -> (factory, {argument name: "one" | "list"} for arguments that are schedules)
_REGISTRY: dict = {}

# Schedules nest at most this deep (``warmup`` of ``join`` of ...): deep enough for any real
# schedule, shallow enough that to_dict, repr, from_dict and pickling never reach Python's
# recursion limit.  Factories refuse a deeper schedule, so every schedule round-trips.
MAX_DEPTH = 100
# Lists inside a spec's values nest at most this deep (no argument takes more than a list of numbers).
_MAX_JSON_DEPTH = 8


def family(name, schedule_args=None):
    """Register a public factory under ``name`` for ``from_dict``."""

    def decorate(fn):
        _REGISTRY[name] = (fn, dict(schedule_args or {}))
        return fn

    return decorate


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

    __slots__ = ("_program", "_spec", "_depth")
    __array_ufunc__ = None  # numpy defers `np.float64(2) * s` to Schedule.__rmul__

    def __init__(self, program: Program, spec: dict):
        self._program = program
        self._spec = spec
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
            self._program.entries.eval_steps(*self._program.arrays, flat, out)
        return out.reshape(arr.shape)

    def at(self, step) -> float:
        """The value used by optimizer update ``step`` (0-based), as a Python float."""
        return self._at(V.integer("Schedule.at", "step", step))

    def _at(self, step):
        out = np.empty(1, np.float64)
        self._program.entries.eval_steps(*self._program.arrays, np.array([step], np.int64), out)
        return float(out[0])

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
        """
        fn = "Schedule.table"
        n, start = V.step_range(fn, n, start)
        if dtype is not None:
            dtype = V.float_dtype(fn, dtype)
        if out is None:
            out = np.empty(n, dtype or np.float64)
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
            wide = np.empty(out.size)
            program.entries.range_for(wide.dtype)(*program.arrays, start, wide)
            top = int(np.argmax(np.abs(wide)))
            if abs(wide[top]) > _F32_MAX:
                raise ValueError(
                    f"{fn}: `dtype` float32 cannot hold this table's values: the value at step {start + top} "
                    f"is {float(wide[top])!r}, above float32's largest {_F32_MAX!r} (it would be written as "
                    "inf); use dtype=numpy.float64."
                )
            out[:] = wide
            return out
        program.entries.range_for(out.dtype)(*program.arrays, start, out)
        return out

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


def _from_dict(d, where, depth):
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
        V.fail(fn, f"{where}['type']", rule, kind)
    factory, schedule_args = _REGISTRY[kind]
    params = inspect.signature(factory).parameters
    kwargs = {}
    for key, v in d.items():
        if key == "type":
            continue
        if key not in params:
            V.fail(fn, where, f"a {kind!r} spec with keys among {', '.join(params)}", f"unknown key {key!r}")
        if schedule_args.get(key) == "one":
            v = _from_dict(v, f"{where}[{key!r}]", depth + 1)
        elif schedule_args.get(key) == "list":
            if not isinstance(v, list):
                V.fail(fn, f"{where}[{key!r}]", "a list of schedule dicts", v, TypeError)
            v = [_from_dict(x, f"{where}[{key!r}][{k}]", depth + 1) for k, x in enumerate(v)]
        else:
            _check_json(fn, f"{where}[{key!r}]", v)
        kwargs[key] = v
    if depth == 1:
        return factory(**kwargs)
    try:
        return factory(**kwargs)
    except (ValueError, TypeError) as e:  # a nested schedule's error says where it is
        raise type(e)(f"{e} (in {where})") from None


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
