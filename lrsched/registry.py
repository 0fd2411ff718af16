"""Schedules by name (``lrsched.get``) and from spec files (``lrsched.load``).

``get(name, **kwargs)`` calls the core factory a name stands for, with that
factory's own arguments (``peak_value``, ``warmup_steps``, ``total_steps``,
``end_value``, ...; never a peer's argument names).  Every public factory is
a name (its own: ``get("warmup_cosine", ...)`` is
``lrsched.warmup_cosine(...)``), and so are the names transformers
(``SchedulerType``), timm (``create_scheduler_v2(sched=...)``) and
Megatron-LM (``--lr-decay-style``) give the schedules lrsched has.  Case is
ignored and ``-`` is ``_``: ``"inverse-square-root"``, ``"WSD"`` and
``"Cosine_With_Restarts"`` are names.  ``lrsched.names()`` lists them all.

A name that is both a peer's and an lrsched factory's means the lrsched
factory, as ``"type"`` does in ``to_dict()`` specs.  So transformers' and
Megatron-LM's ``linear``, ``cosine`` and ``polynomial``, which warm up first,
are lrsched's ``warmup_*`` rows below; ``get("cosine", peak_value=...)``
says so.  timm's warmup with ``warmup_prefix=True`` is
``lrsched.warmup(schedule, warmup_steps, init_value)`` around the row's
schedule, and its ``noise_*`` arguments are ``lrsched.noise``.  A name picks
the family and lrsched's conventions hold (``total_steps`` includes the
warmup, values hold past the horizon); a peer's exact numbers, quirks
included, are the presets' job (``lrsched.transformers``, ``lrsched.torch``).

The names that stand for a peer's schedule:

========================= ======================== ==========================================================
name                      factory                  peers' names it stands for
========================= ======================== ==========================================================
constant                  constant                 transformers constant; timm constant (no warmup)
constant_with_warmup      warmup_constant          transformers constant_with_warmup
cosine                    cosine                   timm cosine (one cycle)
cosine_restarts           cosine_restarts          transformers cosine_with_restarts
cosine_warmup_with_min_lr warmup_cosine            transformers cosine_warmup_with_min_lr (one step ahead of it)
cosine_with_min_lr        warmup_cosine            transformers cosine_with_min_lr
cosine_with_restarts      cosine_restarts          transformers cosine_with_restarts
inverse_sqrt              inverse_sqrt             transformers inverse_sqrt; Megatron-LM inverse-square-root
inverse_square_root       inverse_sqrt             Megatron-LM inverse-square-root
multistep                 multistep                timm multistep
poly                      polynomial               timm poly
polynomial                polynomial               timm poly
rsqrt                     wsd(stable='rsqrt')      timm rsqrt
sgdr                      sgdr                     timm cosine with cycles (cycle_mul, cycle_decay, cycle_limit)
step                      step                     timm step
tanh                      tanh                     timm tanh
warmup_constant           warmup_constant          transformers constant_with_warmup; timm constant;
                                                   Megatron-LM constant
warmup_cosine             warmup_cosine            transformers cosine, cosine_with_min_lr, cosine_warmup_with_min_lr;
                                                   Megatron-LM cosine
warmup_linear             warmup_linear            transformers linear; Megatron-LM linear
warmup_polynomial         warmup_polynomial        transformers polynomial
warmup_stable_decay       wsd                      transformers warmup_stable_decay
wsd                       wsd                      transformers warmup_stable_decay; timm wsd; Megatron-LM WSD
                                                   (``decay_shape`` takes its --lr-wsd-decay-style: linear,
                                                   cosine, exponential, minus_sqrt)
========================= ======================== ==========================================================

A name that stands for a transformers schedule also takes transformers'
arguments where they mean what lrsched's do, as transformers' own schedule
functions define them: ``num_warmup_steps`` is ``warmup_steps``,
``num_training_steps`` is ``total_steps``, ``num_decay_steps`` is
``decay_steps``, ``min_lr`` and ``lr_end`` are ``end_value``, and
``min_lr_rate`` is ``end_value = min_lr_rate * peak_value``.  The names and
the arguments each takes:

- ``constant_with_warmup``, ``warmup_constant``, ``inverse_sqrt``: ``num_warmup_steps``;
- ``warmup_linear``, ``cosine_with_restarts``, ``cosine_restarts``: ``num_warmup_steps``, ``num_training_steps``;
- ``cosine_with_min_lr``, ``cosine_warmup_with_min_lr``, ``warmup_cosine``: those and ``min_lr``, ``min_lr_rate``;
- ``warmup_polynomial``: ``num_warmup_steps``, ``num_training_steps``, ``lr_end`` (``power`` is lrsched's name too);
- ``warmup_stable_decay``, ``wsd``: ``num_warmup_steps``, ``num_training_steps``, ``num_decay_steps``.

The peak still comes from ``peak_value`` (transformers reads it from the
optimizer's lr), and lrsched's conventions hold: the values are
``peak_value`` times transformers' multipliers at every step up to
``num_training_steps`` (``cosine_warmup_with_min_lr``: at the step before,
transformers being one step ahead), and hold ``end_value`` past it.  An
argument given under both names (``warmup_steps`` and ``num_warmup_steps``,
or ``min_lr`` and ``min_lr_rate``) is refused, naming both.  A peer's
argument whose meaning differs (``num_cycles`` of a cosine, ``min_lr_ratio``,
which transformers' WSD also warms up from) is not taken: the error
suggests lrsched's argument for it.

Not schedules, so not names: transformers' ``reduce_lr_on_plateau`` and
timm's ``plateau`` follow a metric (``get`` points to ``lrsched.plateau``),
transformers' ``greedy`` (GreedyLR) raises and lowers the value from a
metric (``get`` points to ``lrsched.transformers.get_greedy_schedule``), and timm's ``none`` leaves the optimizer alone.

``load(path)`` reads a spec file: JSON, or YAML (``.yaml``/``.yml``, with
PyYAML).  A spec is ``Schedule.to_dict()`` output (``{"type": ..., ...}``,
as ``lrsched.from_dict`` takes) or ``{"name": <a name>, <argument>: <value>,
...}`` for ``get``.  A key twice in one JSON object or YAML mapping is
refused, naming the key (JSON readers keep the last one, silently), and so is
a file past the limits ``load``'s docstring states (1 MiB; 100,000 values,
a YAML alias counted at every use; 100,000 segments built; 100 layers).

YAML is read by YAML 1.2's core schema, not by the YAML 1.1 that PyYAML
implements, for booleans and numbers.  Unquoted, ``true`` and ``false`` (or
``True``, ``TRUE``, ...) are booleans; ``null``, ``~`` and nothing are None;
``10``, ``+5``, ``0o10`` (8) and ``0x10`` (16) are integers; ``1.5``,
``3e-4``, ``1E6``, ``.5``, ``.inf`` and ``.nan`` are floats; ``_`` may stand
between digits (``1_000``), as in YAML 1.1 and Python; everything else is a
string.  So YAML 1.1's booleans ``yes``, ``no``, ``on``, ``off``, ``y`` and
``n`` are strings, and so are ``1:30`` (base 60 in YAML 1.1: 90), ``0b101``
and ``-0x10``: the factory that receives one says what it wants.  An
integer written with a leading zero (``010``) is refused, naming its key:
YAML 1.1 reads it as octal (8), YAML 1.2 as 10.  Dates (``2020-01-01``)
are read as dates, which no factory takes, and YAML 1.1's merge key ``<<``
is refused.

Examples
--------
>>> import lrsched
>>> s = lrsched.get("cosine_with_min_lr", peak_value=1.0, warmup_steps=10, total_steps=110, end_value=0.1)
>>> s == lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110, end_value=0.1)
True
>>> args = dict(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=20, decay_shape="minus_sqrt")
>>> lrsched.get("WSD", **args) == lrsched.wsd(**args)
True
>>> "inverse_square_root" in lrsched.names()
True
>>> hf = lrsched.get("cosine_with_min_lr", peak_value=1.0, num_warmup_steps=10, num_training_steps=110, min_lr_rate=0.1)
>>> hf == s
True
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from . import _validate as V
from ._schedule import _MAX_JSON_DEPTH, _REGISTRY, MAX_DEPTH, Schedule, _from_dict

# A peer's name -> (the factory it stands for, arguments the name fixes).  Every public factory is
# a name too, its own (see _names); where a factory and a peer share a name, the factory wins.
_PEER_NAMES = {
    "constant_with_warmup": ("warmup_constant", {}),  # transformers
    "cosine_with_restarts": ("cosine_restarts", {}),  # transformers
    "cosine_with_min_lr": ("warmup_cosine", {}),  # transformers
    "cosine_warmup_with_min_lr": ("warmup_cosine", {}),  # transformers
    "warmup_stable_decay": ("wsd", {}),  # transformers
    "inverse_square_root": ("inverse_sqrt", {}),  # Megatron-LM
    "poly": ("polynomial", {}),  # timm
    "rsqrt": ("wsd", {"stable": "rsqrt"}),  # timm
}

_USE_PLATEAU = (
    "reduce on plateau follows a metric, not the step: use lrsched.plateau(...) with "
    "lrsched.Scheduler(optimizer, schedule, plateau=...) and scheduler.observe(metric)"
)
_NOT_SCHEDULES = {
    "reduce_lr_on_plateau": _USE_PLATEAU,  # transformers
    "plateau": _USE_PLATEAU,  # timm
    "greedy": (  # transformers
        "transformers' GreedyLR raises and lowers the value from a metric: use "
        "lrsched.transformers.get_greedy_schedule (a Schedule cannot follow a metric)"
    ),
}

# A peer's schedule under an lrsched factory's name that warms up first: where lrsched has it.
_WARMUP_FORMS = {
    "constant": "timm's and Megatron-LM's 'constant' warm up first: that is 'warmup_constant'",
    "cosine": "transformers' and Megatron-LM's 'cosine' warm up first: that is 'warmup_cosine'",
    "linear": "transformers' and Megatron-LM's 'linear' warm up first: that is 'warmup_linear'",
    "polynomial": "transformers' 'polynomial' warms up first: that is 'warmup_polynomial'",
}


_NAMES = None


def _names():
    """name -> (factory, fixed arguments): the peers' names, then every public factory under its own name."""
    global _NAMES
    if _NAMES is None:
        from importlib import import_module

        public = set(import_module(__package__).__all__)  # the package is complete by the first lookup
        table = dict(_PEER_NAMES)
        table.update({name: (name, {}) for name in _REGISTRY if name in public})
        _NAMES = table
    return _NAMES


@V.explain_arguments
def names() -> list:
    """Every name ``lrsched.get`` takes, sorted (its canonical spelling: lower case, ``_``).

    Examples
    --------
    >>> import lrsched
    >>> names = lrsched.names()
    >>> "warmup_cosine" in names and "cosine_with_restarts" in names and "rsqrt" in names
    True
    """
    return sorted(_names())


# transformers' argument -> lrsched's, where the meaning is the same (transformers' schedule functions
# define them); min_lr_rate is a fraction of the peak.  _PEER_ARGUMENTS_OF says which name takes which.
_PEER_ARGUMENTS = {
    "num_warmup_steps": "warmup_steps",
    "num_training_steps": "total_steps",
    "num_decay_steps": "decay_steps",
    "min_lr": "end_value",
    "min_lr_rate": "end_value",
    "lr_end": "end_value",
    "power": "exponent",  # transformers' polynomial power; lrsched's warmup_polynomial calls it power too
}
_WARMUP_ONLY = ("num_warmup_steps",)
_WARMUP_TOTAL = ("num_warmup_steps", "num_training_steps")
_MIN_LR = (*_WARMUP_TOTAL, "min_lr", "min_lr_rate")
_PEER_ARGUMENTS_OF = {  # a name standing for a transformers schedule -> the arguments of transformers' it takes
    "constant_with_warmup": _WARMUP_ONLY,
    "warmup_constant": _WARMUP_ONLY,
    "inverse_sqrt": _WARMUP_ONLY,
    "warmup_linear": _WARMUP_TOTAL,
    "cosine_with_restarts": _WARMUP_TOTAL,
    "cosine_restarts": _WARMUP_TOTAL,
    "cosine_with_min_lr": _MIN_LR,
    "cosine_warmup_with_min_lr": _MIN_LR,
    "warmup_cosine": _MIN_LR,
    "warmup_polynomial": (*_WARMUP_TOTAL, "lr_end", "power"),
    "warmup_stable_decay": (*_WARMUP_TOTAL, "num_decay_steps"),
    "wsd": (*_WARMUP_TOTAL, "num_decay_steps"),
}


def _key(fn, name):
    """The registry key of ``name`` (case ignored, ``-`` is ``_``), or a clear error."""
    if not isinstance(name, str):
        V.fail(fn, "name", V.UnknownName.NAMES_RULE, name, TypeError)
    key = name.lower().replace("-", "_")
    if key in _names():
        return key
    if key in _NOT_SCHEDULES:
        raise ValueError(f"{fn}: `name` must name a schedule, got name={name!r}: {_NOT_SCHEDULES[key]}.")
    raise V.UnknownName(fn, name, names())


@V.explain_arguments
def get(name, **kwargs) -> Schedule:
    """The schedule ``name`` stands for, built by its core factory with ``kwargs``.

    Parameters
    ----------
    name : str
        One of ``lrsched.names()``; case is ignored and ``-`` is ``_``.  The
        module docstring (``help(lrsched.registry)``) has the table of names,
        factories and the peers' names they stand for.
    **kwargs
        The factory's arguments, by keyword.

    Returns
    -------
    Schedule
        Equal to calling the factory directly (``to_dict()`` names the factory).

    Raises
    ------
    ValueError
        Unknown name (the message lists close matches), a name that is not a
        schedule (``reduce_lr_on_plateau``, ``plateau``, ``greedy``), an
        argument the name fixes given another value, or the factory's own
        ``ValueError``.
    TypeError
        ``name`` is not a str, or the factory's own ``TypeError`` (an
        unknown or missing argument, a value of the wrong type).

    Examples
    --------
    >>> import lrsched
    >>> lrsched.get("constant_with_warmup", peak_value=1.0, warmup_steps=4)(range(6))
    array([0.  , 0.25, 0.5 , 0.75, 1.  , 1.  ])
    >>> lrsched.get("inverse-square-root", peak_value=1.0, warmup_steps=4) == lrsched.inverse_sqrt(
    ...     peak_value=1.0, warmup_steps=4)
    True
    """
    fn = "get"
    key = _key(fn, name)
    factory_name, fixed = _names()[key]
    for arg, value in fixed.items():
        if arg in kwargs and not (type(kwargs[arg]) is type(value) and kwargs[arg] == value):
            V.fail(fn, arg, f"{value!r} (the name {key!r} fixes it)", kwargs[arg])
    factory = _REGISTRY[factory_name][0]
    params = tuple(inspect.signature(factory).parameters)
    peers = tuple(a for a in _PEER_ARGUMENTS_OF.get(key, ()) if a not in params)
    note = None if key == factory_name else f"the name {key!r} builds {factory_name}"
    if key in _WARMUP_FORMS:
        note = _WARMUP_FORMS[key]
    args = {**_lrsched_arguments(factory_name, params, peers, kwargs, note), **fixed}
    try:
        return factory(**args)
    except V.ArgumentError as e:
        if not (peers or note):
            raise
        raise V.argument_error(e.function, (*e.allowed, *peers), unknown=e.unknown, missing=e.missing,
                               detail=e.detail, note=note) from None  # fmt: skip


def _lrsched_arguments(factory_name, params, peers, kwargs, note):
    """``kwargs`` with transformers' arguments ``peers`` given as lrsched's (see the module docstring)."""
    given = [a for a in peers if a in kwargs]
    if not given:
        return kwargs
    conflicts, taken = [], {}
    for alias in given:
        target = _PEER_ARGUMENTS[alias]
        if target in kwargs:
            conflicts.append((target, alias))
        elif target in taken:
            conflicts.append((taken[target], alias))
        taken.setdefault(target, alias)
    if conflicts:
        raise V.argument_error(factory_name, (*params, *peers), conflicts=conflicts, note=note)
    out = {k: v for k, v in kwargs.items() if k not in given}
    for alias in given:
        value = kwargs[alias]
        if alias == "min_lr_rate":
            rate = V.real("get", "min_lr_rate", value, minimum=0.0)
            peak = kwargs.get("peak_value")
            if not V._is_real(peak) or isinstance(peak, bool):
                continue  # the factory says what peak_value must be (or that it is missing)
            value = rate * V.to_float(peak)
        out[_PEER_ARGUMENTS[alias]] = value
    return out


# -- spec files ----------------------------------------------------------------

_YAML_SUFFIXES = (".yaml", ".yml")
_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_SPEC = "a dict with a 'type' key (Schedule.to_dict() output) or a 'name' key (lrsched.names())"

# What a spec file may hold (``load``'s docstring states them).  A real spec is well under a
# kilobyte, with a few dozen values and segments; each limit is a hundred times the largest real
# one or more.  The worst file within them costs about a second and 100 MB as JSON, two or three
# seconds as YAML (PyYAML reads some 50,000 values a second; it stops at the 100,001st).
MAX_SPEC_BYTES = 2**20
MAX_SPEC_VALUES = 100_000
MAX_SPEC_SEGMENTS = 100_000
MAX_SPEC_LAYERS = 100
# Lists and dicts nested deeper than a spec can be (schedules MAX_DEPTH deep, each a dict and a
# list, then lists of numbers) are not counted: from_dict's own depth checks refuse them.
_WALK_DEPTH = 2 * MAX_DEPTH + _MAX_JSON_DEPTH + 2


@V.explain_arguments
def load(path, *, run=None) -> Schedule:
    """The schedule a spec file describes.

    With ``run`` (an ``lrsched.Run``), or a ``"run"`` key holding a Run's
    facts in the file, every length in the file may be a unit string
    (``"2ep"``, ``"0.05dur"``, ``"2e9tok"``): each is resolved to optimizer
    updates before the schedule is built, and the schedule's ``to_dict()``
    keeps the unit strings and the facts.  A file's own ``"run"`` and
    ``run`` must agree.

    The file is JSON, or YAML when its name ends in ``.yaml`` or ``.yml``
    (read with PyYAML's safe loader, imported on first use).  Its content
    is either

    - ``Schedule.to_dict()`` output, ``{"type": "warmup_cosine", "peak_value": 3e-4, ...}``,
      built by ``lrsched.from_dict``'s rules (nested schedules included); or
    - ``{"name": "cosine_with_min_lr", "peak_value": 3e-4, ...}``: ``lrsched.get(name, **rest)``.

    Nothing is evaluated or unpickled: every value goes through the
    factory's checks.  A key twice in one JSON object or YAML mapping is
    refused, naming the key (JSON readers keep the last one, silently).
    YAML booleans and numbers are read by YAML 1.2's rules, not PyYAML's
    YAML 1.1 (the rule is in ``help(lrsched.registry)``): ``on`` and ``yes``
    are strings, ``1_000`` is 1000, and ``010`` is refused.

    A spec file is refused past these limits, which no real schedule comes
    near (a real spec has a few dozen values and segments):

    - ``MAX_SPEC_BYTES``: at most 1 MiB.
    - ``MAX_SPEC_VALUES``: at most 100,000 values (numbers, strings,
      booleans, nulls, lists and dicts), counting what a YAML alias stands
      for at every use, as ``to_dict()`` and JSON write it out; the message
      names the key where the count passes the limit and its largest value.
    - ``MAX_SPEC_SEGMENTS``: building the spec makes at most 100,000
      segments (``Schedule.program``) in all.  A schedule counts its own
      segments; one made of others (``join``, ``warmup``, ``product``, ...)
      counts its parts' segments at every use, and one more per part and
      layer, which bounds what its factory reads and writes.  A dict a YAML
      alias uses in several places is built once, into one Schedule.
    - ``MAX_SPEC_LAYERS``: every schedule is a product of at most 100
      layers (one per factor of a ``product`` and per ``noise``); a table
      costs as many passes as there are layers.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError
        The file cannot be read, is not valid JSON / YAML, does not hold a
        spec, or is past a limit above; the message names the file.  Bad
        content (an unknown name or type, a bad argument) gives ``get``'s,
        ``from_dict``'s or the factory's error -- which names the key --
        after the file's name.
    TypeError
        ``path`` is not a path, or a value in the file has the wrong type
        (the message names the file and the key).
    ImportError
        A YAML file without PyYAML installed (``pip install pyyaml``).

    Examples
    --------
    >>> import json, os, tempfile, lrsched
    >>> s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "lr.json")
    ...     with open(path, "w") as f:
    ...         json.dump(s.to_dict(), f)
    ...     lrsched.load(path) == s
    True
    """
    fn = "load"
    if not isinstance(path, (str, os.PathLike)):
        V.fail(fn, "path", "a str or os.PathLike", path, TypeError)
    shown = os.fspath(path)
    if not isinstance(shown, str):
        V.fail(fn, "path", "a str or os.PathLike", path, TypeError)
    text = _read(fn, shown)
    if Path(shown).suffix.lower() in _YAML_SUFFIXES:
        data = _parse_yaml(fn, shown, text)
    else:
        data = _parse_json(fn, shown, text)
    if not isinstance(data, dict):
        held = "nothing" if data is None else _KINDS.get(type(data), type(data).__name__)
        raise ValueError(f"{fn}: `path` must hold {_SPEC}, got path={shown!r} (it holds {held}).")
    if ("type" in data) == ("name" in data):
        has = "both keys" if "type" in data else "neither key"
        raise ValueError(f"{fn}: `path` must hold {_SPEC}, got path={shown!r} (it has {has}).")
    _count_values(fn, shown, data)
    if run is not None:
        from .units import Run

        if not isinstance(run, Run):
            V.fail(fn, "run", "an lrsched.Run or None", run, TypeError)
        if "run" in data:
            try:
                saved = Run(**data["run"]) if isinstance(data["run"], dict) else None
            except (ValueError, TypeError) as e:
                raise type(e)(f"{fn}: {shown!r}: 'run': {e}") from None
            if saved != run:
                raise ValueError(f"{fn}: `run` must agree with the file's own 'run', got run={run!r} and the file "
                                 f"{shown!r} says {data['run']!r}.")  # fmt: skip
        data = {**data, "run": run.facts()}
    kwargs = {k: v for k, v in data.items() if k != "name"}
    for k in kwargs:
        if not isinstance(k, str):  # YAML allows any key; from_dict and get take argument names
            raise ValueError(f"{fn}: {shown!r}: every key must be an argument name (a string), got the key {k!r}.")
    limits = _Limits()
    try:
        if "type" in data:
            return _from_dict(data, "d", 1, limits=limits)
        if "run" in kwargs:  # lengths in units: the schedule keeps them, and the run's facts
            from ._schedule import _run_of

            return limits.made(_run_of(kwargs.pop("run"), "d").get(data["name"], **kwargs), "d", data["name"])
        return limits.made(get(data["name"], **kwargs), "d", data["name"])
    except _PastLimit as e:
        raise ValueError(
            f"{fn}: `path` must hold a spec whose schedules {e.rule}, got path={shown!r} ({e.detail})."
        ) from None
    except (V.ArgumentError, V.UnknownName) as e:  # the same error, its attributes kept, saying where
        raise e.replace(prefix=f"{fn}: {shown!r}: {e.prefix}") from None
    except (ValueError, TypeError) as e:
        raise (TypeError if isinstance(e, TypeError) else ValueError)(f"{fn}: {shown!r}: {e}") from None


def _read(fn, shown):
    """The file's text (UTF-8, newlines as ``\\n``), at most MAX_SPEC_BYTES of it (never more is read)."""
    try:
        with open(shown, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as e:
        raise ValueError(f"{fn}: `path` must be a readable file, got path={shown!r} ({e.strerror or e}).") from None
    except ValueError as e:  # a NUL in the path
        raise ValueError(f"{fn}: `path` must be a file name, got path={shown!r} ({e}).") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise ValueError(
            f"{fn}: `path` must be a spec file of at most {MAX_SPEC_BYTES:,} bytes (1 MiB), got path={shown!r} "
            "(a larger file)."
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"{fn}: `path` must be a UTF-8 text file, got path={shown!r} ({e.reason}).") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as a text file reads


def _count_values(fn, shown, data):
    """Refuse a spec of more than MAX_SPEC_VALUES values (a YAML alias counted at every use), one
    that contains itself, and an integer written with a leading zero; one visit per distinct list
    or dict, so an alias costs nothing more."""
    sizes = {}  # id(list or dict) -> values in it, or -1 while it is being counted
    path = ["d"]

    def where():
        return _abridged("".join(path))

    def count(v, depth):
        if isinstance(v, _LeadingZero):
            raise ValueError(f"{fn}: {shown!r}: {v.message(where())}")
        if not isinstance(v, (list, dict)) or depth > _WALK_DEPTH:
            return 1
        known = sizes.get(id(v))
        if known == -1:
            raise ValueError(
                f"{fn}: {shown!r}: `{where()}` must not contain itself, got a YAML alias to a list or dict "
                "around it (a spec that contains itself has no end)."
            )
        if known is not None:
            return known
        sizes[id(v)] = -1
        total, largest = 1, (0, None)
        for k, x in v.items() if isinstance(v, dict) else enumerate(v):
            step = f"[{k!r}]"
            path.append(step)
            n = count(x, depth + 1)
            path.pop()
            total += n
            if n > largest[0]:
                largest = (n, step)
            if total > MAX_SPEC_VALUES:
                path.append(largest[1])
                most = f"; {where()} alone holds {largest[0]:,}" if largest[0] > 1 else ""
                path.pop()
                raise ValueError(_too_many_values(fn, shown, where() + " holds more" + most))
        sizes[id(v)] = total
        return total

    count(data, 0)


def _too_many_values(fn, shown, where):
    return (
        f"{fn}: `path` must hold a spec of at most {MAX_SPEC_VALUES:,} values (numbers, strings, booleans, nulls, "
        f"lists and dicts, a YAML alias counted at every use), got path={shown!r} ({where})."
    )


def _abridged(where):
    """A key's path for a message: a long one (deeply nested) shows its two ends."""
    return where if len(where) < 80 else f"{where[:35]}...{where[-35:]}"


class _PastLimit(Exception):
    """A spec past MAX_SPEC_SEGMENTS or MAX_SPEC_LAYERS: the rule it breaks and where, for load's message."""

    def __init__(self, rule, where, detail):
        super().__init__(rule, where, detail)
        self.rule, self.detail = rule, f"{_abridged(where)}, {detail}"


class _Limits:
    """What ``load`` adds to ``from_dict``'s rules: the segments the factories make and read are
    counted (see ``load``), so that a file past MAX_SPEC_SEGMENTS is refused before a factory copies
    them, and every schedule's layers are bounded."""

    def __init__(self):
        self.segments = {}  # id(Schedule) -> segments of its program
        self.charged = 0  # segments made and read so far

    def parts(self, parts, where, kind):
        """Before a schedule made of ``parts`` is built: what its factory reads, and at most writes (every part
        at each use, and one segment per part and layer: join makes a part with fewer layers 1 in the others)."""
        layers = max((p.program.n_layers for p in parts), default=0)
        self._charge(sum(self.segments[id(p)] for p in parts) + len(parts) * layers, where, kind, len(parts))

    def made(self, s, where, kind, composite=False):
        """``s``, once its segments (charged unless ``composite``: its parts were) and layers are within the
        limits."""
        n = sum(1 for _ in s.program.segments())
        self.segments[id(s)] = n
        if not composite:
            self._charge(n, where, kind)
        if s.program.n_layers > MAX_SPEC_LAYERS:
            raise _PastLimit(
                f"are products of at most {MAX_SPEC_LAYERS} layers (one per factor of a product and per noise)",
                where,
                f"a {kind}, has {s.program.n_layers:,}",
            )
        return s

    def _charge(self, n, where, kind, parts=None):
        self.charged += n
        if self.charged > MAX_SPEC_SEGMENTS:
            of = "" if parts is None else f" of {parts} schedule" + "s" * (parts != 1)
            raise _PastLimit(
                f"make at most {MAX_SPEC_SEGMENTS:,} segments in all (a schedule made of others counting "
                "their segments at every use)",
                where,
                f"a {kind}{of}, takes the count to {self.charged:,}",
            )


def _parse_json(fn, shown, text):
    import json

    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as e:
        raise ValueError(
            f"{fn}: `path` must hold JSON whose objects have unique keys, got path={shown!r} (the key {e.key!r} "
            "appears twice in one object)."
        ) from None
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise ValueError(f"{fn}: `path` must hold valid JSON, got path={shown!r} ({e.msg}: {where}).") from None
    except RecursionError:  # json's parser recurses once per level of nesting
        raise ValueError(f"{fn}: `path` must hold a spec, got path={shown!r} (nested too deep to read).") from None


class _DuplicateKey(ValueError):
    """A JSON object with a key twice (``json`` keeps the last one, silently)."""

    def __init__(self, key):
        super().__init__(f"the key {key!r} appears twice in one JSON object")
        self.key = key


def _unique_keys(pairs):
    """``json.loads``'s ``object_pairs_hook``: the object as a dict, or _DuplicateKey."""
    d = dict(pairs)
    if len(d) < len(pairs):
        seen = set()
        raise _DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return d


_YAML_LOADER = None


def _parse_yaml(fn, shown, text):
    global _YAML_LOADER
    try:
        import yaml
    except ImportError:
        raise ImportError(f"{fn}: reading the YAML file {shown!r} needs PyYAML: pip install pyyaml") from None
    if _YAML_LOADER is None:
        _YAML_LOADER = _number_loader(yaml)
    try:
        return yaml.load(text, Loader=_YAML_LOADER)  # a SafeLoader: plain data only
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        mark = getattr(e, "problem_mark", None)
        where = f": line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValueError(f"{fn}: `path` must hold valid YAML, got path={shown!r} ({problem}{where}).") from None
    except RecursionError:  # PyYAML's composer recurses once per level of nesting
        raise ValueError(f"{fn}: `path` must hold a spec, got path={shown!r} (nested too deep to read).") from None
    except _TooManyValues as e:
        raise ValueError(_too_many_values(fn, shown, f"{_abridged(e.where)} holds more")) from None


class _TooManyValues(Exception):
    """The YAML reader's stop at the value past MAX_SPEC_VALUES, in the list or dict ``where``."""

    def __init__(self, where):
        super().__init__(where)
        self.where = where


class _LeadingZero:
    """A YAML integer written with a leading zero (``010``): octal to YAML 1.1, decimal to 1.2.
    The loader gives one in its place; ``load`` refuses it, naming its key."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text

    def message(self, where):
        digits = self.text.replace("_", "")
        decimal = int(digits, 10)
        if set(digits.lstrip("+-")) <= set("01234567"):
            octal = int(digits, 8)
            signed = digits[0] in "+-"
            reading, fix = f"octal {octal}", f"write {decimal}" + ("" if signed else f", or 0o{octal:o} for {octal}")
        else:
            reading, fix = "a string", f"write {decimal}"
        return (
            f"`{where}` must be an integer written without a leading zero, got {where}={self.text} "
            f"(YAML 1.1 reads it as {reading}, YAML 1.2 as {decimal}): {fix}."
        )


_DIGITS = r"[0-9](?:_?[0-9])*"  # "_" between digits, as YAML 1.1 and Python allow
_YAML_INT = rf"^(?:[-+]?{_DIGITS}|0o[0-7]+|0x[0-9a-fA-F]+)\Z"
_YAML_FLOAT = (
    rf"^(?:[-+]?(?:\.{_DIGITS}|{_DIGITS}(?:\.(?:{_DIGITS})?)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))\Z"
)
_YAML_BOOL = r"^(?:true|True|TRUE|false|False|FALSE)\Z"
_LEADING_ZERO = r"^[-+]?0(?:_?[0-9])+\Z"


def _number_loader(yaml):
    """PyYAML's safe loader, reading booleans, integers and floats by YAML 1.2's core schema (the
    module docstring states the rule), refusing a key twice in one mapping and YAML 1.1's merge
    key, and stopping at the value past MAX_SPEC_VALUES."""
    import re

    from yaml.constructor import ConstructorError

    ints, floats, bools, zero = (re.compile(p) for p in (_YAML_INT, _YAML_FLOAT, _YAML_BOOL, _LEADING_ZERO))
    core = "tag:yaml.org,2002:"

    class Loader(yaml.SafeLoader):
        def __init__(self, stream):
            super().__init__(stream)
            self.values, self.path = 0, ["d"]

        def compose_node(self, parent, index):
            """Stop reading at the value past MAX_SPEC_VALUES (written out; load counts aliases at each use)."""
            if parent is not None and index is None:  # a mapping's key: not a value
                return super().compose_node(parent, index)
            self.values += 1
            if self.values > MAX_SPEC_VALUES:
                raise _TooManyValues("".join(self.path))
            if parent is not None:
                key = index.value if isinstance(index, yaml.ScalarNode) else index
                self.path.append(f"[{key!r}]" if isinstance(key, (str, int)) else "[...]")
            try:
                return super().compose_node(parent, index)
            finally:
                if parent is not None:
                    self.path.pop()

        def construct_mapping(self, node, deep=False):
            if isinstance(node, yaml.MappingNode):
                seen = set()
                for key_node, _ in node.value:
                    if key_node.tag == core + "merge" or (key_node.tag == core + "str" and key_node.value == "<<"
                                                          and key_node.style is None):  # fmt: skip
                        raise ConstructorError(None, None, "found the merge key '<<', which YAML 1.2 does not "
                                               "have: write the keys out", key_node.start_mark)  # fmt: skip
                    if not isinstance(key_node, yaml.ScalarNode):
                        continue  # a list or dict as a key: SafeLoader refuses it
                    key = self.construct_object(key_node)
                    if key in seen:
                        raise ConstructorError(None, None, f"found the key {key!r} twice in one mapping",
                                               key_node.start_mark)  # fmt: skip
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    def scalar(kind, pattern, convert):
        def construct(loader, node):
            text = loader.construct_scalar(node)
            try:
                if pattern is None or pattern.match(text):
                    return convert(loader, node, text)
            except (ValueError, TypeError, AttributeError):
                pass
            shown = text if len(text) <= 60 else f"{text[:30]}...{text[-20:]}"
            raise ConstructorError(None, None, f"found {shown!r}, which is not {kind}", node.start_mark)

        return construct

    def to_int(loader, node, text):
        return _LeadingZero(text) if zero.match(text) else int(text.replace("_", ""), 0)

    def to_float(loader, node, text):
        body = text.lstrip("+-").lower()
        if body in (".inf", ".nan"):
            return (-1.0 if text[0] == "-" else 1.0) * float(body[1:])
        return float(text.replace("_", ""))

    def to_bool(loader, node, text):
        return text in ("true", "True", "TRUE")

    def to_date(loader, node, text):
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)

    Loader.add_constructor(core + "int", scalar("an integer", ints, to_int))
    Loader.add_constructor(core + "float", scalar("a float", floats, to_float))
    Loader.add_constructor(core + "bool", scalar("true or false", bools, to_bool))
    Loader.add_constructor(core + "timestamp", scalar("a date", None, to_date))
    # YAML 1.1's implicit booleans, integers, floats, merge and value keys give way to YAML 1.2's
    gone = {core + t for t in ("bool", "int", "float", "merge", "value")}
    Loader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in gone]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    Loader.add_implicit_resolver(core + "bool", bools, list("tTfF"))
    Loader.add_implicit_resolver(core + "int", ints, list("-+0123456789"))
    Loader.add_implicit_resolver(core + "float", floats, list("-+.0123456789"))
    return Loader
