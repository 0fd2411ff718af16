"""Argument checks with one message template.

Every check names the function, the argument, the rule and the value::

    cosine: `steps` must be a positive integer, got steps=0.

``TypeError`` for a value of the wrong type, ``ValueError`` for a value of
the right type that breaks the rule.  Checks return the value converted to a
plain Python ``int``/``float``/``tuple`` so that specs hold JSON types only.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
import reprlib
import types
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


# -- unknown, missing and misspelled arguments and names --------------------------------------
#
# One mechanism for every public callable: ``explain_arguments`` turns Python's bare
# "got an unexpected keyword argument" / "missing 1 required argument" into an ArgumentError
# that names the function, the argument, the closest valid names (a peer's name for it first)
# and the full list.  ``from_dict`` and ``lrsched.get`` raise the same error for spec keys and
# the peers' argument names; ``UnknownName`` is the one error for a misspelled schedule name.

# A peer's argument name -> (the names it may stand for, best first; who calls it that).  The
# first name the called function actually has is the suggestion, so one row serves a factory
# (``total_steps``), a decay (``steps``) and a drop-in (``T_max``).  Rows for lrsched's own names
# point a drop-in's user to the peer's spelling.
_PEAK = ("peak_value", "init_value", "max_value", "base_value", "value", "lr", "max_lr", "base_lr")
_END = ("end_value", "min_value", "eta_min", "min_lr", "lr_end")
_WARMUP = ("warmup_steps", "num_warmup_steps", "warmup")
_HORIZON = ("total_steps", "steps", "decay_steps", "T_max", "total_iters", "num_training_steps")
PEER_ALIASES = {
    "peak_lr": (_PEAK, "what torch and transformers call it"),
    "lr": (_PEAK, "what torch and transformers call it"),
    "max_lr": (_PEAK, "what torch's OneCycleLR and CyclicLR call it"),
    "base_lr": (("base_value", "init_value", "peak_value", "base_lr", "lr"), "what torch's CyclicLR calls it"),
    "learning_rate": (_PEAK, "what transformers, Keras and optax call it"),
    "init_lr": (("init_value", "peak_value", "base_value", "lr"), "what transformers' create_optimizer calls it"),
    "initial_learning_rate": (("init_value", "peak_value", "base_value", "lr"), "what Keras calls it"),
    "min_lr": (_END, "what transformers and timm call it"),
    "eta_min": (_END, "what torch calls it"),
    "lr_min": (_END, "what timm calls it"),
    "end_lr": (_END, "a common name for it"),
    "final_lr": (_END, "a common name for it"),
    "lr_end": (_END, "what transformers' polynomial decay calls it"),
    "end_learning_rate": (_END, "what Keras calls it"),
    "alpha": (_END, "Keras' name for it as a fraction of the initial value (end_value = alpha * initial)"),
    "min_lr_rate": (_END, "transformers' name for it as a fraction of the peak (end_value = min_lr_rate * peak)"),
    "min_lr_ratio": (_END, "a name for it as a fraction of the peak (end_value = min_lr_ratio * peak)"),
    "warmup": (_WARMUP, "a common name for it"),
    "warmup_t": (_WARMUP, "what timm calls it"),
    "num_warmup_steps": (_WARMUP, "what transformers calls it"),
    "warmup_iters": (_WARMUP, "what detectron2 and mmcv call it"),
    "warmup_num_steps": (_WARMUP, "what DeepSpeed calls it"),
    "warmup_lr_init": (("init_value",), "what timm calls it"),
    "warmup_type": (("warmup_shape", "shape"), "what DeepSpeed calls it ('log' is its default)"),
    "num_training_steps": (_HORIZON, "what transformers calls it"),
    "total_iters": (_HORIZON, "what torch calls it"),
    "t_initial": (_HORIZON, "what timm calls it"),
    "total_num_steps": (_HORIZON, "what DeepSpeed calls it"),
    "max_steps": (_HORIZON, "what transformers' and Lightning's trainers call it"),
    "T_max": (_HORIZON, "what torch calls it"),
    "decay_steps": (_HORIZON, "what optax and Keras call it"),
    "power": (("exponent", "power"), "what torch and transformers call it"),
    "gamma": (("gamma", "decay_rate"), "what torch calls it"),
    "decay_rate": (("gamma", "decay_rate"), "what optax, Keras and timm call it"),
    "T_0": (("cycle_steps", "T_0"), "what torch calls it"),
    "T_mult": (("cycle_mult", "T_mult"), "what torch calls it"),
    "cycle_mul": (("cycle_mult", "T_mult"), "what timm calls it"),
    "step_size": (("step_size",), "what torch calls it"),
    "milestones": (("milestones", "boundaries"), "what torch calls it"),
    # lrsched's own names, in a drop-in of a peer (or another family): a suggestion, no hint
    "peak_value": (("lr", "max_lr", "base_lr", "init_value"), None),
    "init_value": (("lr", "base_lr", "peak_value"), None),
    "end_value": (("eta_min", "min_lr", "lr_end"), None),
    "warmup_steps": (("num_warmup_steps", "warmup"), None),
    "total_steps": (("T_max", "total_iters", "num_training_steps", "steps"), None),
    "steps": (("total_steps", "T_max", "total_iters", "num_training_steps"), None),
    "cycle_steps": (("T_0",), None),
    "cycle_mult": (("T_mult",), None),
    "exponent": (("power",), None),
}
_MAX_SUGGESTIONS = 3


def close_names(word, allowed, *, n=_MAX_SUGGESTIONS):
    """The names of ``allowed`` closest to ``word``, best first, at most ``n``.

    A name that starts with ``word`` ranks first, then one that contains it
    or all of its ``_``-separated words (for words of 3 characters or more),
    then difflib's close matches well above its noise floor; within a rank
    the more similar spelling first.  Case and ``-``/``_`` are ignored.
    """
    import difflib

    key = str(word).lower().replace("-", "_").strip()
    if not key:
        return []
    tokens = set(filter(None, key.split("_")))
    ranked = []
    for name in allowed:
        low = name.lower()
        ratio = difflib.SequenceMatcher(None, key, low).ratio()
        if low == key:
            tier = 0
        elif len(key) >= 3 and low.startswith(key):
            tier = 1
        elif len(key) >= 3 and (key in low or (len(tokens) > 1 and tokens <= set(low.split("_")))):
            tier = 2
        elif ratio >= 0.7:
            tier = 3
        else:
            continue
        ranked.append((tier, -ratio, name))
    ranked.sort()
    best = {}
    for tier, neg, name in ranked:
        if tier == 3 and ranked[0][0] == 3 and -neg < -ranked[0][1] - 0.15:
            continue  # far below the best spelling match: noise
        best.setdefault(name, None)
    return list(best)[:n]


def _alias_of(word, allowed):
    """``(name, hint)``: the valid name a peer's ``word`` stands for in ``allowed``, or ``(None, None)``."""
    row = PEER_ALIASES.get(word) or PEER_ALIASES.get(str(word).lower())
    if row is None:
        lowered = {k.lower(): v for k, v in PEER_ALIASES.items()}
        row = lowered.get(str(word).lower())
    if row is not None:
        for candidate in row[0]:
            if candidate in allowed and candidate != word:
                return candidate, row[1]
    return None, None


def _quoted(names, joiner="and"):
    q = [f"'{x}'" if isinstance(x, str) else shown(x) for x in names]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + f" {joiner} " + q[-1]


class ArgumentError(TypeError, ValueError):
    """An unknown, missing or doubled argument of a public callable (or key of a spec).

    A ``TypeError`` (what Python raises for a wrong call, and what torch's
    and transformers' users catch) and a ``ValueError`` (what ``from_dict``
    raises for a wrong spec).  Its message is one line; its attributes say
    the same, for a caller that words it differently (the command line):

    function : str
        The callable, as its user writes it (``"warmup_cosine"``,
        ``"CosineAnnealingLR"``, ``"Scheduler.change"``), or a spec's type.
    unknown : tuple of str
        The unknown names, in the order given.
    missing : tuple of str
        The required names not given, in signature order.
    suggestions : dict
        unknown name -> list of close valid names, best first (may be empty).
    allowed : tuple of str
        Every valid name, in signature order.
    hints : dict
        unknown name -> whose name it is (``"what torch calls it"``), for
        an unknown name that is a peer's name for a valid one.
    conflicts : tuple of (str, str)
        Pairs of names given together that mean the same argument.
    detail : str or None
        Any other problem of the call (too many positional arguments, an
        argument given twice).
    note : str or None
        A remark on the function as a whole.
    """

    def __init__(self, function, *, unknown=(), missing=(), allowed=(), suggestions=None, hints=None,
                 conflicts=(), detail=None, note=None, prefix=""):  # fmt: skip
        self.function = function
        self.unknown = tuple(unknown)
        self.missing = tuple(missing)
        self.allowed = tuple(allowed)
        self.suggestions = {} if suggestions is None else dict(suggestions)
        self.hints = {} if hints is None else dict(hints)
        self.conflicts = tuple(tuple(c) for c in conflicts)
        self.detail = detail
        self.note = note
        self.prefix = prefix
        super().__init__(prefix + self._message())

    def _fields(self):
        return dict(unknown=self.unknown, missing=self.missing, allowed=self.allowed, suggestions=self.suggestions,
                    hints=self.hints, conflicts=self.conflicts, detail=self.detail, note=self.note,
                    prefix=self.prefix)  # fmt: skip

    def __reduce__(self):
        return (_rebuild, (type(self), self.function, self._fields()))

    def replace(self, **changes):
        """A copy with some attributes changed (the message follows them)."""
        fields = {"function": self.function, **self._fields(), **changes}
        return type(self)(fields.pop("function"), **fields)

    def _message(self):
        parts = []
        if self.unknown:
            words = []
            for u in self.unknown:
                inner = []
                close = self.suggestions.get(u) or []
                if close:
                    inner.append(f"did you mean {_quoted(close, 'or')}?")
                if u in self.hints:
                    inner.append(f"'{u}' is {self.hints[u]}")
                words.append(_quoted([u]) + (f" ({' '.join(inner)})" if inner else ""))
            s = "s" if len(words) > 1 else ""
            parts.append(f"unknown argument{s} " + (words[0] if len(words) == 1 else
                                                      ", ".join(words[:-1]) + " and " + words[-1]))  # fmt: skip
        for name, alias in self.conflicts:
            hint = PEER_ALIASES.get(alias, (None, "another name for it"))[1]
            parts.append(f"'{name}' and '{alias}' given together ('{alias}' is {hint}): give one")
        if self.detail:
            parts.append(self.detail)
        if self.missing:
            s = "s" if len(self.missing) > 1 else ""
            parts.append(f"missing required argument{s} {_quoted(self.missing)}")
        if self.note:
            parts.append(self.note)
        listed = f"its arguments are {', '.join(self.allowed)}" if self.allowed else "it takes no arguments"
        return f"{self.function}: {'; '.join(parts)}; {listed}."


def _rebuild(cls, function, fields):
    return cls(function, **fields)


def argument_error(function, allowed, *, unknown=(), missing=(), **more):
    """The ArgumentError of ``function`` (valid names ``allowed``) for these names, with suggestions and hints."""
    allowed = tuple(allowed)
    suggestions, hints = {}, {}
    for u in unknown:
        alias, hint = _alias_of(u, allowed)
        close = close_names(u, allowed)
        if alias is not None:
            close = [alias, *(c for c in close if c != alias)][:_MAX_SUGGESTIONS]
            if hint:
                hints[u] = hint
        suggestions[u] = close
    return ArgumentError(function, unknown=unknown, missing=missing, allowed=allowed, suggestions=suggestions,
                         hints=hints, **more)  # fmt: skip


class UnknownName(ValueError):
    """A schedule name (``lrsched.get``) or spec type (``from_dict``) that is not one.

    Attributes: ``name`` (as given), ``suggestions`` (at most 3 close valid
    names, best first: a name it begins, then one containing it, then a
    close spelling), ``allowed`` (every valid name, sorted), ``function``
    (``"get"``, ``"from_dict"``, ...) and ``key`` (the argument or spec key
    that holds it: ``"name"``, ``"d['type']"``).
    """

    NAMES_RULE = "one of lrsched.names() (the table is in help(lrsched.registry))"

    def __init__(self, function, name, allowed, *, key="name", rule=NAMES_RULE, prefix=""):
        self.function, self.name, self.key, self.rule, self.prefix = function, name, key, rule, prefix
        self.allowed = tuple(allowed)
        self.suggestions = close_names(name, self.allowed) if isinstance(name, str) else []
        close = ("Close matches: " + ", ".join(map(repr, self.suggestions)) + ".") if self.suggestions else \
            "No close match."  # fmt: skip
        super().__init__(f"{prefix}{function}: `{key}` must be {rule}, got {key}={shown(name)}. {close}")

    def __reduce__(self):
        return (_rebuild_name, (type(self), self.function, self.name, self.allowed, self.key, self.rule, self.prefix))

    def replace(self, prefix):
        """A copy whose message starts with ``prefix`` (where it was read from)."""
        return type(self)(self.function, self.name, self.allowed, key=self.key, rule=self.rule, prefix=prefix)


def _rebuild_name(cls, function, name, allowed, key, rule, prefix):
    return cls(function, name, allowed, key=key, rule=rule, prefix=prefix)


def call_problem(fn, function, args, kwargs):
    """The ArgumentError of calling ``fn(*args, **kwargs)``, or None when the call binds (the TypeError
    came from inside ``fn``) or the failure is one this cannot name."""
    signature = inspect.signature(fn)
    try:
        signature.bind(*args, **kwargs)
    except TypeError:
        pass
    else:
        return None
    params = list(signature.parameters.values())
    if params and params[0].name in ("self", "cls") and params[0].kind is not params[0].KEYWORD_ONLY:
        if function is None and args:  # a method, named by the class it is called on
            owner = args[0] if isinstance(args[0], type) else type(args[0])
            function = owner.__name__ + ("" if fn.__name__ == "__init__" else f".{fn.__name__}")
        params, args = params[1:], args[1:]  # its instance is no argument of the user's
    if function is None:
        function = _function_name(fn)
    P = inspect.Parameter
    named = [p for p in params if p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)]
    by_name = {p.name: p for p in named}
    positional = [p for p in named if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    takes_var_pos = any(p.kind is P.VAR_POSITIONAL for p in params)
    takes_var_kw = any(p.kind is P.VAR_KEYWORD for p in params)
    details = []
    if len(args) > len(positional) and not takes_var_pos:
        n = len(positional)
        given = f"{len(args)} {'was' if len(args) == 1 else 'were'} given"
        details.append(f"takes its arguments by keyword only, but {given} by position" if n == 0 else
                       f"takes at most {n} positional argument{'s' * (n != 1)} ({', '.join(p.name for p in positional)}) "
                       f"but {given}")  # fmt: skip
    filled = {p.name for p in positional[: len(args)]}
    unknown = []
    for k in kwargs:
        p = by_name.get(k)
        if p is None or p.kind is P.POSITIONAL_ONLY:
            if p is not None and not takes_var_kw:
                details.append(f"'{k}' is given by position only")
            elif p is None and not takes_var_kw:
                unknown.append(k)
        elif k in filled:
            details.append(f"'{k}' was given twice, by position and by keyword")
    missing = [p.name for p in named if p.default is P.empty and p.name not in filled and p.name not in kwargs]
    if not (unknown or missing or details):
        return None
    return argument_error(function, [p.name for p in named], unknown=unknown, missing=missing,
                          detail="; ".join(details) or None)  # fmt: skip


def _function_name(fn):
    """How a user names ``fn``: ``warmup_cosine``, ``Scheduler.change``, ``CosineAnnealingLR`` (for its __init__)."""
    name = fn.__qualname__.rsplit("<locals>.", 1)[-1]
    return name[: -len(".__init__")] if name.endswith(".__init__") else name


def _is_method(fn):
    return "." in fn.__qualname__.rsplit("<locals>.", 1)[-1]


def _explaining(fn, function):
    explain = call_problem

    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError:
            problem = explain(fn, function, args, kwargs)
            if problem is None:
                raise
        raise problem  # outside the except: the user's wrong call is the whole story

    return call


def explain_arguments(fn=None, *, function=None):
    """Decorate a public function, method or class so that a call with an unknown, missing or doubled
    argument raises ``ArgumentError`` (naming the closest valid names) instead of Python's bare TypeError.

    A successful call costs one more Python frame and nothing else: the
    signature is looked at only after a ``TypeError``, and a call that binds
    (the error came from inside) re-raises that error untouched.  A class
    gets its ``__init__`` decorated, named by the class.  The wrapper is
    made with the decorated function's module globals, so ``__globals__``,
    ``__module__``, ``__name__``, ``__qualname__``, ``__doc__``,
    ``__wrapped__`` and ``inspect.signature`` are the function's own and
    doctest finds its examples.  Never decorate a per-step method
    (``Scheduler.step``, ``Schedule.__call__``/``at``): those stay plain.
    """
    if fn is None:
        return lambda f: explain_arguments(f, function=function)
    if isinstance(fn, type):
        init = fn.__dict__.get("__init__")
        if init is None or getattr(init, "__explains_arguments__", False):
            if init is None:
                raise TypeError(f"explain_arguments: {fn.__name__} defines no __init__ of its own")
            return fn
        fn.__init__ = explain_arguments(init, function=function or fn.__name__)
        return fn
    if getattr(fn, "__explains_arguments__", False):
        return fn
    # a method is named by the class it is called on (a subclass inherits it), when the call fails
    call = _explaining(fn, function or (None if _is_method(fn) else _function_name(fn)))
    wrapper = types.FunctionType(call.__code__, fn.__globals__, fn.__name__, None, call.__closure__)
    functools.update_wrapper(wrapper, fn)
    wrapper.__explains_arguments__ = True
    return wrapper


def import_torch(module, why=""):
    """``torch`` for a module that needs it (``lrsched.torch``, ``.timm``, ``.deepspeed``), or one ImportError
    that says how to install the CPU build the project pins: an unpinned torch pulls a multi-GB CUDA build."""
    try:
        import torch
    except ImportError as e:
        raise ImportError(
            f"{module} needs PyTorch{why}: pip install 'lrsched[torch]' (or pip install 'torch==2.13.*', the CPU "
            "build; a newer or unpinned torch pulls a multi-GB CUDA build). The rest of lrsched works without it."
        ) from e
    return torch
