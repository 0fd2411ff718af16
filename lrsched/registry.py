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

Not schedules, so not names: transformers' ``reduce_lr_on_plateau`` and
timm's ``plateau`` follow a metric (``get`` points to ``lrsched.plateau``),
transformers' ``greedy`` (GreedyLR) raises and lowers the value from a
metric (``get`` points to ``lrsched.transformers.get_greedy_schedule``), and timm's ``none`` leaves the optimizer alone.

``load(path)`` reads a spec file: JSON, or YAML (``.yaml``/``.yml``, with
PyYAML).  A spec is ``Schedule.to_dict()`` output (``{"type": ..., ...}``,
as ``lrsched.from_dict`` takes) or ``{"name": <a name>, <argument>: <value>,
...}`` for ``get``.

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
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from . import _validate as V
from ._schedule import _REGISTRY, Schedule, from_dict

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


def _key(fn, name):
    """The registry key of ``name`` (case ignored, ``-`` is ``_``), or a clear error."""
    rule = "one of lrsched.names() (the table is in help(lrsched.registry))"
    if not isinstance(name, str):
        V.fail(fn, "name", rule, name, TypeError)
    key = name.lower().replace("-", "_")
    if key in _names():
        return key
    if key in _NOT_SCHEDULES:
        raise ValueError(f"{fn}: `name` must name a schedule, got name={name!r}: {_NOT_SCHEDULES[key]}.")
    import difflib

    close = difflib.get_close_matches(key, [*_names(), *_NOT_SCHEDULES], n=5)
    hint = "Close matches: " + ", ".join(map(repr, close)) + "." if close else "No close match."
    raise ValueError(f"{fn}: `name` must be {rule}, got name={name!r}. {hint}")


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
    args = {**kwargs, **fixed}
    try:
        return factory(**args)
    except TypeError as e:
        if key not in _WARMUP_FORMS or _binds(factory, args):
            raise  # the factory's own check of a value
        raise TypeError(f"{e} ({_WARMUP_FORMS[key]})") from None


def _binds(factory, args):
    try:
        inspect.signature(factory).bind(**args)
    except TypeError:
        return False
    return True


# -- spec files ----------------------------------------------------------------

_YAML_SUFFIXES = (".yaml", ".yml")
_KINDS = {list: "a list", str: "a string", int: "a number", float: "a number", bool: "a boolean"}
_SPEC = "a dict with a 'type' key (Schedule.to_dict() output) or a 'name' key (lrsched.names())"


def load(path) -> Schedule:
    """The schedule a spec file describes.

    The file is JSON, or YAML when its name ends in ``.yaml`` or ``.yml``
    (read with PyYAML's safe loader, imported on first use; ``3e-4`` is a
    number, as in JSON).  Its content is either

    - ``Schedule.to_dict()`` output, ``{"type": "warmup_cosine", "peak_value": 3e-4, ...}``,
      built by ``lrsched.from_dict`` (nested schedules included); or
    - ``{"name": "cosine_with_min_lr", "peak_value": 3e-4, ...}``: ``lrsched.get(name, **rest)``.

    Nothing is evaluated or unpickled: every value goes through the
    factory's checks.

    Parameters
    ----------
    path : str or os.PathLike

    Returns
    -------
    Schedule

    Raises
    ------
    ValueError
        The file cannot be read, is not valid JSON / YAML, or does not hold
        a spec; the message names the file.  Bad content (an unknown name or
        type, a bad argument) gives ``get``'s, ``from_dict``'s or the
        factory's error -- which names the key -- after the file's name.
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
    p = Path(shown)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ValueError(f"{fn}: `path` must be a readable file, got path={shown!r} ({e.strerror or e}).") from None
    except UnicodeDecodeError as e:
        raise ValueError(f"{fn}: `path` must be a UTF-8 text file, got path={shown!r} ({e.reason}).") from None
    except ValueError as e:  # a NUL in the path
        raise ValueError(f"{fn}: `path` must be a file name, got path={shown!r} ({e}).") from None
    if p.suffix.lower() in _YAML_SUFFIXES:
        data = _parse_yaml(fn, shown, text)
    else:
        data = _parse_json(fn, shown, text)
    if not isinstance(data, dict):
        held = "nothing" if data is None else _KINDS.get(type(data), type(data).__name__)
        raise ValueError(f"{fn}: `path` must hold {_SPEC}, got path={shown!r} (it holds {held}).")
    if ("type" in data) == ("name" in data):
        has = "both keys" if "type" in data else "neither key"
        raise ValueError(f"{fn}: `path` must hold {_SPEC}, got path={shown!r} (it has {has}).")
    kwargs = {k: v for k, v in data.items() if k != "name"}
    for k in kwargs:
        if not isinstance(k, str):  # YAML allows any key; from_dict and get take argument names
            raise ValueError(f"{fn}: {shown!r}: every key must be an argument name (a string), got the key {k!r}.")
    try:
        return from_dict(data) if "type" in data else get(data["name"], **kwargs)
    except (ValueError, TypeError) as e:
        raise (TypeError if isinstance(e, TypeError) else ValueError)(f"{fn}: {shown!r}: {e}") from None


def _parse_json(fn, shown, text):
    import json

    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        where = f"line {e.lineno}, column {e.colno}"
        raise ValueError(f"{fn}: `path` must hold valid JSON, got path={shown!r} ({e.msg}: {where}).") from None
    except RecursionError:  # json's parser recurses once per level of nesting
        raise ValueError(f"{fn}: `path` must hold a spec, got path={shown!r} (nested too deep to read).") from None


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


def _number_loader(yaml):
    """PyYAML's safe loader, reading ``3e-4`` and ``1e6`` as numbers (YAML 1.1 wants ``3.0e-4``)."""
    import re

    class Loader(yaml.SafeLoader):
        pass

    exponent = re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$")
    Loader.add_implicit_resolver("tag:yaml.org,2002:float", exponent, list("-+.0123456789"))
    return Loader
