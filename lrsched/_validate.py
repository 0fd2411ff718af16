"""Argument checks with one message template.

Every check names the function, the argument, the rule and the value::

    cosine: `steps` must be a positive integer, got steps=0.

``TypeError`` for a value of the wrong type, ``ValueError`` for a value of
the right type that breaks the rule.  Checks return the value converted to a
plain Python ``int``/``float``/``tuple`` so that specs hold JSON types only.
"""

from __future__ import annotations

import math
import numbers
import reprlib
import warnings

import numpy as np

from ._program import MAX_STEP


def fail(fn, name, rule, value, exc=ValueError):
    raise exc(f"{fn}: `{name}` must be {rule}, got {name}={shown(value)}.")


_REPR_BUDGET = 10_000  # items a message may show in full
_INT_DIGITS = 1_000  # an int with more digits is shown by its size


def shown(value) -> str:
    """``repr(value)`` for a message, bounded: a cyclic, very deep, very large or huge-int value
    (whose ``repr`` would recurse, run for ever, or raise) is shown abridged."""
    budget = [_REPR_BUDGET]
    if _small(value, budget, 0):
        try:
            return repr(value)
        except (ValueError, RecursionError):  # a repr of its own that fails
            pass
    return _ABRIDGED.repr(value)


def _small(v, budget, depth):
    budget[0] -= 1
    if budget[0] < 0 or depth > 50:
        return False
    if isinstance(v, int) and not isinstance(v, bool):
        return abs(v).bit_length() <= 3 * _INT_DIGITS
    if isinstance(v, (list, tuple, set, frozenset)):
        return all(_small(x, budget, depth + 1) for x in v)
    if isinstance(v, dict):
        return all(_small(k, budget, depth + 1) and _small(x, budget, depth + 1) for k, x in v.items())
    return True


class _Abridged(reprlib.Repr):
    def __init__(self):
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict, self.maxstring, self.maxother = 3, 6, 6, 4, 60, 60

    def repr_int(self, x, level):
        if abs(x).bit_length() > 3 * _INT_DIGITS:
            return f"<an int of {abs(x).bit_length()} bits>"
        return repr(x)

    def repr_Schedule(self, x, level):
        return "<a lrsched.Schedule>"


_ABRIDGED = _Abridged()


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value):
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def integer(fn, name, value, *, minimum=0, maximum=MAX_STEP):
    """An integer in [minimum, maximum] (a step count unless told otherwise)."""
    if type(value) is int and minimum <= value <= maximum:  # the common case, before any message is made
        return value
    if minimum == 1 and maximum == MAX_STEP:
        rule = "a positive integer"
    elif maximum == MAX_STEP:
        rule = f"an integer >= {minimum}"
    else:
        rule = f"an integer in [{minimum}, {maximum}]"
    if not _is_int(value):
        fail(fn, name, rule, value, TypeError)
    if value > maximum and maximum == MAX_STEP:  # name the bound the value breaks
        fail(fn, name, f"{rule} and <= 2**62 = {MAX_STEP} (lrsched's largest step)", value)
    if not minimum <= value <= maximum:
        fail(fn, name, rule, value)
    return int(value)


def real(fn, name, value, *, minimum=-math.inf, maximum=math.inf, low_open=False, high_open=False, note=""):
    """A finite real number in the given (closed unless told) interval; ``note`` says where a bound comes from."""
    if type(value) is float or type(value) is int:  # the common case, before any message is made
        x = to_float(value)
        if minimum < x < maximum or (x == minimum and not low_open) or (x == maximum and not high_open):
            if math.isfinite(x):
                return x
    rule = _interval_rule(minimum, maximum, low_open, high_open) + note
    if not _is_real(value):
        fail(fn, name, rule, value, TypeError)
    x = to_float(value)
    if not math.isfinite(x):
        fail(fn, name, rule, value)
    if x < minimum or x > maximum or (low_open and x == minimum) or (high_open and x == maximum):
        fail(fn, name, rule, value)
    return x


def to_float(value) -> float:
    """``float(value)`` of a real number, without raising: one beyond float range (a huge int or
    Fraction) is +-inf, and one ``float`` refuses is nan; callers refuse both as not finite."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf
    except ValueError:
        return math.nan


def best_metric(fn, name, value):
    """A plateau's saved best metric: a finite number or an infinity (a float, or the strings
    'inf'/'-inf' that JSON needs); not nan, which would block every later improvement, and not
    an int or Fraction beyond float range."""
    rule = "a number or 'inf'/'-inf'"
    if isinstance(value, str) and value in ("inf", "-inf"):  # a str first: `in` of an array compares items
        return float(value)
    if not _is_real(value):
        fail(fn, name, rule, value, TypeError)
    x = to_float(value)
    if math.isnan(x):
        fail(fn, name, rule + " (not nan)", value)
    if math.isinf(x) and not isinstance(value, (float, np.floating)):
        fail(fn, name, rule + " within float range", value)
    return x


def _interval_rule(minimum, maximum, low_open, high_open):
    lo = None if minimum == -math.inf else (">" if low_open else ">=") + f" {minimum:g}"
    hi = None if maximum == math.inf else ("<" if high_open else "<=") + f" {maximum:g}"
    if lo and hi:
        return f"a finite number {lo} and {hi}"
    return "a finite number" + (f" {lo or hi}" if (lo or hi) else "")


def value(fn, name, v):
    """A schedule value (a learning rate, momentum, ...): finite and >= 0."""
    return real(fn, name, v, minimum=0.0)


def boolean(fn, name, v):
    if not isinstance(v, (bool, np.bool_)):
        fail(fn, name, "True or False", v, TypeError)
    return bool(v)


def choice(fn, name, v, options):
    rule = "one of " + ", ".join(repr(o) for o in options)
    if not isinstance(v, str):
        fail(fn, name, rule, v, TypeError)
    if v not in options:
        fail(fn, name, rule, v)
    return v


def sequence(fn, name, v, *, min_len=0):
    """A list or tuple (or 1-D array) with at least ``min_len`` items, as a tuple."""
    if isinstance(v, np.ndarray):
        if v.ndim != 1:
            fail(fn, name, "a 1-D sequence", v, ValueError)
        v = v.tolist()
    if not isinstance(v, (list, tuple)):
        fail(fn, name, "a list or tuple", v, TypeError)
    if len(v) < min_len:
        fail(fn, name, f"a list with at least {min_len} item{'s' if min_len > 1 else ''}", list(v))
    return tuple(v)


def step_list(fn, name, v, *, strictly_increasing=False, min_len=0):
    """Steps (integers >= 0) in non-decreasing (or strictly increasing) order."""
    items = sequence(fn, name, v, min_len=min_len)
    out = []
    for k, item in enumerate(items):
        out.append(integer(fn, f"{name}[{k}]", item))
    order = "strictly increasing" if strictly_increasing else "non-decreasing"
    for k in range(1, len(out)):
        if out[k] < out[k - 1] or (strictly_increasing and out[k] == out[k - 1]):
            fail(fn, name, f"integers >= 0 in {order} order", list(items))
    return tuple(out)


def value_list(fn, name, v, *, min_len=0):
    items = sequence(fn, name, v, min_len=min_len)
    return tuple(value(fn, f"{name}[{k}]", item) for k, item in enumerate(items))


def step_range(fn, n, start):
    """``n`` steps from ``start``: integers >= 0 whose last step is at most 2**62."""
    n = integer(fn, "n", n)
    start = integer(fn, "start", start)
    if start + n > MAX_STEP + 1:
        raise ValueError(f"{fn}: `start + n` must be <= 2**62 + 1, got start={start}, n={n}.")
    return n, start


def float_dtype(fn, dtype):
    """An output type: numpy.float64 or numpy.float32 (or anything ``np.dtype`` reads as one)."""
    try:
        d = np.dtype(dtype)
    except TypeError:
        fail(fn, "dtype", "numpy.float64 or numpy.float32", dtype, TypeError)
    if d not in (np.float64, np.float32):
        fail(fn, "dtype", "numpy.float64 or numpy.float32", dtype, TypeError)
    return d


def steps_array(fn, steps):
    """Steps to evaluate: an int64 array of integers in [0, MAX_STEP]."""
    rule = f"integers in [0, 2**62] (an int, or an array-like of integer dtype)"
    if isinstance(steps, (bool, np.bool_)):
        fail(fn, "steps", rule, steps, TypeError)
    try:
        arr = np.asarray(steps)
    except (ValueError, TypeError, OverflowError):
        fail(fn, "steps", rule, steps, TypeError)
    if arr.dtype.kind not in "iu":
        if arr.dtype == object and arr.size and all(_is_int(x) for x in arr.flat):
            fail(fn, "steps", rule, _short(steps))  # Python ints beyond int64
        if arr.size == 0 and arr.dtype.kind == "f" and not isinstance(steps, np.ndarray):
            arr = arr.astype(np.int64)  # [] is an empty list of steps
        else:
            fail(fn, "steps", rule, _short(steps), TypeError)
    if arr.size:
        lo = arr.min()
        hi = arr.max()
        if lo < 0 or hi > MAX_STEP:
            bad = lo if lo < 0 else hi
            raise ValueError(f"{fn}: `steps` must be {rule}, got a step of {int(bad)}.")
    arr = arr.astype(np.int64, copy=False)  # native byte order too
    # a read-only array (np.load(mmap_mode="r"), np.frombuffer) is copied: the kernels take writeable arrays
    # (Numba types a read-only one apart, and would compile every kernel again for it)
    return arr if arr.flags.writeable else arr.copy()


def _short(x):
    if isinstance(x, np.ndarray) and x.size > 6:
        return np.array2string(x, threshold=6)
    return x


def plain(value, depth=0):
    """``value`` with every NumPy scalar in it (in lists, tuples and dicts too) made its Python value: a state
    that went through NumPy loads, and what is saved from it again is plain data."""
    if isinstance(value, np.generic):
        return value.item()
    if depth < 100 and type(value) in (list, tuple):
        return type(value)(plain(v, depth + 1) for v in value)
    if depth < 100 and type(value) is dict:
        return {plain(k, depth + 1): plain(v, depth + 1) for k, v in value.items()}
    return value


def state_fields(fn, state, rules, *, name="state_dict", strict=False):
    """A saved state checked against declared rules: the one checker of every ``load_state_dict``.

    ``rules`` maps each key to ``check`` (a required key) or to
    ``(check, default)`` (an optional one); ``check(fn, name, value)``
    returns the value to use or raises naming ``name[key]``.  Returns
    ``{key: value}`` for every rule, after checking all of them, so a caller
    applies a state only once it is known to be whole.  Keys the rules do not
    name are ignored with a warning naming them (the drop-ins, whose peers
    ignore them), or refused with ``strict`` (``lrsched.Scheduler``).
    """
    if not isinstance(state, dict):
        fail(fn, name, "a dict (a state_dict())", state, TypeError)
    out, missing = {}, []
    for key, rule in rules.items():
        check, default, required = (*rule, False) if isinstance(rule, tuple) else (rule, None, True)
        if key in state:
            out[key] = check(fn, f"{name}[{key!r}]", plain(state[key]))
        elif required:
            missing.append(key)
        else:
            out[key] = default
    if missing:
        raise ValueError(f"{fn}: `{name}` must have the keys {missing} (a state_dict() of this scheduler has them), "
                         f"got one without them.")  # fmt: skip
    unknown = [k for k in state if not (isinstance(k, str) and k in rules)]
    if unknown and strict:
        fail(fn, name, f"a dict with the keys {list(rules)} only", f"a dict with the unknown keys {shown(unknown)}")
    if state and len(unknown) == len(state):  # every key optional, none known: another object's state
        fail(fn, name, f"a state_dict() of this scheduler (with keys among {list(rules)})", state)
    if unknown:
        warnings.warn(f"{fn}: ignored the keys {shown(unknown)} of `{name}`, which this scheduler does not use.",
                      UserWarning, stacklevel=3)  # fmt: skip
    return out
