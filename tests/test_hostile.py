"""A hostile-input catalogue over every public entry point.

Every factory argument (core factories, names, presets, ``from_dict`` and
``load``, the adapter, the command line) gets every value of one shared
list of hostile values.  The rule for each input:

- it is refused with a ``ValueError`` or ``TypeError`` whose message names
  the argument (a preset may instead raise what the torch class of the same
  name raises for the same input, checked in this process); or
- it is in fact valid (``np.int64(5)`` for an integer): the result builds and
  its values at steps 0, 1, 10, 1000, 2**40 and 2**62 are finite.

Nothing else: no IndexError, KeyError, AttributeError, OverflowError,
RecursionError or ZeroDivisionError, no NaN or inf, no hang.  A refused call
changes nothing (the optimizer's param groups are equal before and after).

Each test runs a whole row of the catalogue (one argument, every hostile
value) and lists every input that broke the rule.  The counts (inputs tried,
outcomes by exception type) are written to the file named by the environment
variable ``LRSCHED_HOSTILE_REPORT`` when it is set.

``tests/test_errors.py`` checks exact messages for the usual bad values; this
file checks the rule over many more inputs, and the odd ones it found are
kept at the end as plain regression tests.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import math
import os
import re
import signal
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

import lrsched
from lrsched import registry
from lrsched._schedule import _REGISTRY
from test_errors import BASE  # valid arguments for every core factory

torch = pytest.importorskip("torch")
from lrsched import cli  # noqa: E402
from lrsched import torch as lt  # noqa: E402
from lrsched import transformers as ltf  # noqa: E402
from torch.optim import lr_scheduler as torch_lrs  # noqa: E402

STEPS = np.array([0, 1, 10, 1000, 2**40, 2**62], dtype=np.int64)
S = lrsched.constant(1.0)
ALLOWED = (ValueError, TypeError)
COUNTS = Counter()  # outcome -> number of inputs
HANG_SECONDS = 60  # a watchdog, not a timing check: one input that runs this long is a hang


# -- the shared list of hostile values -----------------------------------------------------------


def _gen():
    return (i for i in (1, 2))


class _Lambda:
    """A callable object, for lr_lambda."""

    def __call__(self, t):
        return 1.0


NUMPY_INTS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
NUMPY_FLOATS = [np.float16, np.float32, np.float64, np.longdouble]

# (id, factory of a fresh value): fresh, so that a generator or a list is never shared between inputs
HOSTILE = [
    ("str-1", lambda: "1"),
    ("str-empty", lambda: ""),
    ("str-nan", lambda: "nan"),
    ("str-unicode", lambda: "\u00e9t\u00e9\u0301\U0001f600"),
    ("bytes", lambda: b"1"),
    ("None", lambda: None),
    ("True", lambda: True),
    ("False", lambda: False),
    ("np.True_", lambda: np.True_),
    ("np.False_", lambda: np.False_),
    ("0", lambda: 0),
    ("1", lambda: 1),
    ("5", lambda: 5),
    ("-1", lambda: -1),
    ("2**31", lambda: 2**31),
    ("2**62", lambda: 2**62),
    ("2**62+1", lambda: 2**62 + 1),
    ("2**63-1", lambda: 2**63 - 1),
    ("2**64", lambda: 2**64),
    ("-2**63", lambda: -(2**63)),
    ("10**400", lambda: 10**400),
    ("10**5000", lambda: 10**5000),  # beyond Python's int-to-str digit limit
    ("0.0", lambda: 0.0),
    ("-0.0", lambda: -0.0),
    ("0.5", lambda: 0.5),
    ("1.5", lambda: 1.5),
    ("5.0", lambda: 5.0),
    ("-1.0", lambda: -1.0),
    ("5e-324", lambda: 5e-324),
    ("1e308", lambda: 1e308),
    ("nan", lambda: math.nan),
    ("inf", lambda: math.inf),
    ("-inf", lambda: -math.inf),
    *[(f"np.{t.__name__}(5)", (lambda t=t: t(5))) for t in NUMPY_INTS],
    ("np.int64(-1)", lambda: np.int64(-1)),
    ("np.int64(2**63-1)", lambda: np.int64(2**63 - 1)),
    ("np.uint64(2**64-1)", lambda: np.uint64(2**64 - 1)),
    *[(f"np.{t.__name__}(0.5)", (lambda t=t: t(0.5))) for t in NUMPY_FLOATS],
    ("np.float32(5.0)", lambda: np.float32(5.0)),
    ("np.float64(nan)", lambda: np.float64("nan")),
    ("np.float16(inf)", lambda: np.float16("inf")),
    ("np.longdouble(1e4000)", lambda: np.longdouble("1e4000")),
    ("complex", lambda: 1 + 0j),
    ("np.complex64(1)", lambda: np.complex64(1)),
    ("np.complex128(0.5)", lambda: np.complex128(0.5)),
    ("array-0d-int", lambda: np.array(5)),
    ("array-0d-float", lambda: np.array(0.5)),
    ("array-[5]", lambda: np.array([5])),
    ("array-[1,2]", lambda: np.array([1, 2])),
    ("array-2d", lambda: np.zeros((2, 2))),
    ("array-empty", lambda: np.array([])),
    ("array-str", lambda: np.array(["a"])),
    ("generator", _gen),
    ("iterator", lambda: iter([1, 2])),
    ("range", lambda: range(3)),
    ("list-empty", lambda: []),
    ("list-[5]", lambda: [5]),
    ("list-[0.5]", lambda: [0.5]),
    ("list-[1,2]", lambda: [1, 2]),
    ("list-unsorted", lambda: [2, 1]),
    ("list-duplicated", lambda: [1, 1]),
    ("list-negative", lambda: [-1]),
    ("list-huge", lambda: [2**63]),
    ("list-None", lambda: [None]),
    ("list-nested", lambda: [[1]]),
    ("list-str", lambda: ["a"]),
    ("list-nan", lambda: [math.nan]),
    ("list-np", lambda: [np.int64(1), np.float32(0.5)]),
    ("list-schedules", lambda: [S, S]),
    ("tuple-[1,2]", lambda: (1, 2)),
    ("dict-empty", lambda: {}),
    ("dict-spec", lambda: {"type": "constant", "value": 1.0}),
    ("set", lambda: {1, 2}),
    ("Fraction(1,2)", lambda: Fraction(1, 2)),
    ("Fraction-huge", lambda: Fraction(10**400, 3)),
    ("Decimal(0.5)", lambda: Decimal("0.5")),
    ("Decimal(nan)", lambda: Decimal("nan")),
    ("object", object),
    ("function", lambda: (lambda t: 1.0)),
    ("callable-object", _Lambda),
    ("Schedule", lambda: S),
    ("Schedule-with-cycles", lambda: lrsched.sgdr(1.0, 5)),
    ("tensor-0d", lambda: torch.tensor(0.5)),
    ("tensor-1d", lambda: torch.tensor([1.0, 2.0])),
]


def hostile_ids():
    return [h for h, _ in HOSTILE]


# -- the rule -------------------------------------------------------------------------------------


class Hang(Exception):
    pass


@contextlib.contextmanager
def watchdog():
    """Turn a call that runs for HANG_SECONDS into a ``Hang`` (a bug), instead of a stuck suite."""

    def alarm(signum, frame):
        raise Hang(f"no answer after {HANG_SECONDS} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(HANG_SECONDS)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def names_argument(message, arg):
    """The message names ``arg`` (as `arg`, d['arg'], arg[0], or in words: "arg name"); a tuple: any of them."""
    if isinstance(arg, tuple):
        return any(names_argument(message, a) for a in arg)
    return arg in message or arg.replace("_", " ") in message


def finite_values(result):
    """Every value a built object gives at STEPS; a problem as text, or None."""
    if isinstance(result, lrsched.Schedule):
        values = result(STEPS)
        at = [result.at(int(s)) for s in (0, 2**62)]
        if not (np.all(np.isfinite(values)) and all(map(math.isfinite, at))):
            return f"values at {STEPS.tolist()}: {values.tolist()}"
        return None
    if isinstance(result, lrsched.Scheduler):
        return _finite_list(result.get_last_lr(), "get_last_lr()") or _finite_schedules(result.schedules)
    if isinstance(result, (torch_lrs.ReduceLROnPlateau, ltf.GreedyLR)):  # before LRScheduler: a subclass in torch
        result.step(1.0)
        return _finite_list(result.get_last_lr(), "get_last_lr()")
    if isinstance(result, torch_lrs.LRScheduler):
        problem = _finite_list(result.get_last_lr(), "get_last_lr()")
        if problem:
            return problem
        try:
            schedules = result.schedules
        except AttributeError:  # the slow path (Python functions): no tables
            schedules = None
        if schedules:
            problem = _finite_schedules(schedules)
        if problem is None and not isinstance(result, lt.OneCycleLR):
            result.step()
            problem = _finite_list(result.get_last_lr(), "get_last_lr() after a step")
        return problem
    if isinstance(result, lrsched.plateau(mode="min").__class__):
        return None
    if isinstance(result, lrsched.Change):  # what a change of schedule does: finite values, no nan jump
        if all(math.isfinite(r.old) and math.isfinite(r.new) and not math.isnan(r.relative) for r in result.rows):
            return None
        return f"rows {result.rows}"
    if isinstance(result, lrsched.Run):  # a run's facts: every length it resolves is a count of updates
        n = result.updates("1ba")
        return None if n == 1 else f"Run.updates('1ba') = {n}"
    return f"an unexpected result {type(result).__name__}"


def _finite_list(values, what):
    return None if all(math.isfinite(v) for v in values) else f"{what} = {values}"


def _finite_schedules(schedules):
    for field, items in schedules.items():
        for s in items:
            problem = finite_values(s)
            if problem:
                return f"{field}: {problem}"
    return None


def snapshot(optimizer):
    """The param groups as plain data (tensors as lists, parameters by identity)."""
    if optimizer is None or not isinstance(getattr(optimizer, "param_groups", None), list):
        return None

    def plain(v):
        if isinstance(v, torch.Tensor):
            return ("tensor", v.tolist())
        if isinstance(v, (list, tuple)):
            return type(v)(plain(x) for x in v)
        return v

    return [
        {k: ([id(p) for p in v] if k == "params" else plain(v)) for k, v in g.items()}
        for g in optimizer.param_groups
    ]


def attempt(call, arg, *, optimizer=None, mimic=None):
    """Run one input; the outcome's name, or ``("broken", why)``.

    ``mimic()`` runs the peer (torch's class) on the same input: a preset may
    raise what it raises.
    """
    before = snapshot(optimizer)
    try:
        with watchdog():
            result = call()
    except ALLOWED as e:
        message = str(e)
        if not names_argument(message, arg):
            peer = _peer_exception(mimic)
            if peer is not None and type(peer) is type(e) and str(peer) == message:
                return _refused(type(e).__name__ + " (as torch)", optimizer, before)
            return "broken", f"{type(e).__name__} that does not name {arg!r}: {message[:300]}"
        return _refused(type(e).__name__, optimizer, before)
    except Hang as e:
        return "broken", f"hang: {e}"
    except Exception as e:  # noqa: BLE001 - any other exception is what this file looks for
        peer = _peer_exception(mimic)
        if peer is not None and type(peer) is type(e):
            return _refused(type(e).__name__ + " (as torch)", optimizer, before)
        return "broken", f"{type(e).__name__}: {str(e)[:300]}"
    try:
        with watchdog():
            problem = finite_values(result)
    except Exception as e:  # noqa: BLE001
        problem = f"built, then {type(e).__name__} on evaluation: {str(e)[:300]}"
    if problem:
        return "broken", problem
    return "valid"


def _refused(outcome, optimizer, before):
    if before is not None and snapshot(optimizer) != before:
        return "broken", f"{outcome}, but the param groups changed"
    return outcome


def _peer_exception(mimic):
    if mimic is None:
        return None
    try:
        with warnings_off():
            mimic()
    except Exception as e:  # noqa: BLE001
        return e
    return None


@contextlib.contextmanager
def warnings_off():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# Inputs that break the rule because of a bug not fixed yet: skipped by the catalogue, and each
# kept below as a strict xfail that fails once the bug is fixed (then remove it from here and
# turn the xfail into a regression test).  Empty: every input the catalogue found is fixed.
KNOWN: dict[str, str] = {}


def run_row(cases):
    """Run ``(label, call, arg, kwargs)`` cases; assert that none broke the rule."""
    broken = []
    for label, call, arg, extra in cases:
        if label in KNOWN:
            COUNTS["known"] += 1
            continue
        with warnings_off():
            outcome = attempt(call, arg, **extra)
        if isinstance(outcome, tuple):
            COUNTS["broken"] += 1
            broken.append(f"{label}: {outcome[1]}")
        else:
            COUNTS[outcome] += 1
    assert not broken, f"{len(broken)} of {len(cases)} inputs broke the rule:\n" + "\n".join(broken)


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    path = os.environ.get("LRSCHED_HOSTILE_REPORT")
    if path:
        total = sum(COUNTS.values())
        with open(path, "w") as f:
            json.dump({"inputs": total, "outcomes": dict(sorted(COUNTS.items()))}, f, indent=1)
            f.write("\n")


# -- core factories and names --------------------------------------------------------------------

NOT_FACTORIES = {"MAX_STEP", "Schedule", "Scheduler", "from_dict", "load", "names", "precompile", "save", "sweep",
                 "describe", "compare", "plot", "plateau", "Change", "jump",
                 "LRFinder", "Suggestion"}  # fmt: skip  # LRFinder: its arguments are in test_finder.py
FACTORIES = sorted(set(lrsched.__all__) - NOT_FACTORIES)
BASE_ARGS = {**BASE, "get": dict(name="constant", value=1.0),
             "extend": dict(schedule=lrsched.linear(init_value=1.0, steps=10), total_steps=20)}  # fmt: skip


def _params(fn):
    return [p for p in inspect.signature(getattr(lrsched, fn)).parameters.values() if p.kind != p.VAR_KEYWORD]


FACTORY_ROWS = [(fn, p.name) for fn in FACTORIES for p in _params(fn)] + [("plateau", p.name) for p in _params("plateau")]


def _call(fn, kwargs):
    f = getattr(lrsched, fn)
    return lambda: f(**kwargs)


@pytest.mark.parametrize("fn, arg", FACTORY_ROWS, ids=[f"{fn}-{arg}" for fn, arg in FACTORY_ROWS])
def test_factory_argument(fn, arg):
    base = BASE_ARGS.get(fn, {})
    run_row([(f"{fn}({arg}={h})", _call(fn, {**base, arg: make()}), arg, {}) for h, make in HOSTILE])


def _name_base(name):
    factory, fixed = registry._names()[name]
    base = {k: v for k, v in BASE[factory].items() if k not in fixed}
    return factory, base


NAME_ROWS = [(name, p.name) for name in lrsched.names()
             for p in inspect.signature(_REGISTRY[_name_base(name)[0]][0]).parameters.values()]  # fmt: skip


@pytest.mark.parametrize("name, arg", NAME_ROWS, ids=[f"{n}-{a}" for n, a in NAME_ROWS])
def test_name_argument(name, arg):
    base = _name_base(name)[1]
    run_row([(f"get({name!r}, {arg}={h})", (lambda kw=({**base, arg: make()}): lrsched.get(name, **kw)), arg, {})
             for h, make in HOSTILE])  # fmt: skip


JUMP_ARGS = dict(old=S, new=lrsched.linear(init_value=1.0, steps=10), at=5)


@pytest.mark.parametrize("arg", sorted(JUMP_ARGS))
def test_jump_argument(arg):
    run_row([(f"jump({arg}={h})", (lambda kw=({**JUMP_ARGS, arg: make()}): lrsched.jump(**kw)), arg, {})
             for h, make in HOSTILE])  # fmt: skip


def test_name_itself():
    names = [*HOSTILE, *((n, lambda n=n: n) for n in ("nope", "COSINE", "cosine-with-restarts", "c\u00f6sine",
             "cosine\x00", "\U0001f600", " cosine", "cosine ", "x" * 10_000, "plateau", "greedy"))]  # fmt: skip
    # a name that is one (other case, "-" for "_") goes on to its factory, which may not take `value`
    run_row([(f"get({h[:40]!r})", (lambda n=make(): lrsched.get(n, value=1.0)), ("name", "value"), {})
             for h, make in names])  # fmt: skip


# -- from_dict and spec files ----------------------------------------------------------------------

FAMILIES = sorted(_REGISTRY)
SPEC_ROWS = [(t, p.name) for t in FAMILIES for p in inspect.signature(_REGISTRY[t][0]).parameters.values()]


def _spec(t):
    return lrsched.get(t, **BASE[t]).to_dict() if t in BASE else None


# JSON's own hostile values (what a spec file can hold), besides the Python ones of HOSTILE
JSON_HOSTILE = [
    ("json-dict-bad", lambda: {"type": "nope"}),
    ("json-dict-nested-list", lambda: {"type": "constant", "value": [1.0]}),
    ("json-list-of-dicts", lambda: [{"type": "constant", "value": 1.0}]),
    ("json-deep-list", lambda: _deep_list(10_000)),
    ("json-cyclic-list", lambda: _cyclic_list()),
    ("json-wide-shared", lambda: _shared(30)),
]


def _deep_list(n):
    v = [1]
    for _ in range(n):
        v = [v]
    return v


def _cyclic_list():
    v = [1]
    v.append(v)
    return v


def _shared(depth):
    """A list of 2**depth leaves sharing sublists (a 'billion laughs' in memory: 2 * depth lists)."""
    v = [1, 1]
    for _ in range(depth):
        v = [v, v]
    return v


@pytest.mark.parametrize("family, arg", SPEC_ROWS, ids=[f"{t}-{a}" for t, a in SPEC_ROWS])
def test_from_dict_argument(family, arg):
    spec = _spec(family)
    run_row([(f"from_dict({family}: {arg}={h})", (lambda d=({**spec, arg: make()}): lrsched.from_dict(d)), arg, {})
             for h, make in HOSTILE + JSON_HOSTILE])  # fmt: skip


def _deep_spec(n):
    d = {"type": "constant", "value": 1.0}
    for _ in range(n):
        d = {"type": "warmup", "schedule": d, "warmup_steps": 1}
    return d


def _cyclic_spec():
    d = {"type": "warmup", "warmup_steps": 1}
    d["schedule"] = d
    return d


def _cyclic_join():
    d = {"type": "join", "boundaries": [1]}
    d["schedules"] = [{"type": "constant", "value": 1.0}, d]
    return d


WHOLE_SPECS = [
    *[(f"d={h}", make) for h, make in HOSTILE],
    ("type-missing", lambda: {"value": 1.0}),
    ("type-unicode", lambda: {"type": "c\u00f6nstant", "value": 1.0}),
    ("type-emoji", lambda: {"type": "\U0001f600"}),
    ("type-list", lambda: {"type": ["constant"], "value": 1.0}),
    ("type-dict", lambda: {"type": {}, "value": 1.0}),
    ("type-None", lambda: {"type": None}),
    ("unknown-key", lambda: {"type": "constant", "value": 1.0, "valu": 2}),
    ("unicode-key", lambda: {"type": "constant", "value": 1.0, "v\u00e4lue": 2}),
    ("int-key", lambda: {"type": "constant", "value": 1.0, 1: 2}),
    ("tuple-key", lambda: {"type": "constant", "value": 1.0, (1,): 2}),
    ("missing-argument", lambda: {"type": "warmup_cosine", "peak_value": 1.0}),
    ("deep-10000", lambda: _deep_spec(10_000)),
    ("deep-1000", lambda: _deep_spec(1_000)),
    ("cyclic-dict", _cyclic_spec),
    ("cyclic-join", _cyclic_join),
    ("join-of-bad", lambda: {"type": "join", "schedules": [{"type": "constant"}, 1], "boundaries": [1]}),
    ("product-empty", lambda: {"type": "product", "schedules": []}),
    ("product-dicts", lambda: {"type": "product", "schedules": {"type": "constant", "value": 1.0}}),
    ("scale-overflow", lambda: {"type": "scale", "schedule": {"type": "constant", "value": 1e300}, "factor": 1e300}),
]


def test_from_dict_whole_spec():
    run_row([(f"from_dict({h})", (lambda d=make(): lrsched.from_dict(d)), "d", {}) for h, make in WHOLE_SPECS])


def test_deep_specs_up_to_the_limit_round_trip():
    s = lrsched.from_dict(_deep_spec(lrsched._schedule.MAX_DEPTH - 1))
    assert lrsched.from_dict(json.loads(json.dumps(s.to_dict()))) == s
    assert repr(s).startswith("warmup(")


def _json_text(d):
    return json.dumps(d)


def _yaml_text(d):
    import yaml

    return yaml.safe_dump(d)


def _files():
    """(label, file name, text or bytes) for load(): hostile JSON and YAML spec files."""
    good = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2, total_steps=10).to_dict()
    text = json.dumps(good)
    ytext = _yaml_text(good)
    out = []
    out += [(f"json-truncated-{k}", "s.json", text[:k]) for k in range(0, len(text), 7)]
    out += [(f"yaml-truncated-{k}", "s.yaml", ytext[:k]) for k in range(0, len(ytext), 9)]
    for t in FAMILIES:
        spec = _spec(t)
        for arg in inspect.signature(_REGISTRY[t][0]).parameters:
            for h, v in (("nan", math.nan), ("-inf", -math.inf), ("str", "x"), ("list", [1, [2]]), ("null", None),
                         ("true", True), ("huge", 2**64), ("dict", {"a": 1})):  # fmt: skip
                out.append((f"json-{t}-{arg}={h}", "s.json", json.dumps({**spec, arg: v})))
    out += [
        ("json-list", "s.json", "[1, 2]"),
        ("json-string", "s.json", '"warmup_cosine"'),
        ("json-number", "s.json", "1e999"),
        ("json-null", "s.json", "null"),
        ("json-empty", "s.json", ""),
        ("json-bom", "s.json", "\ufeff" + text),
        ("json-both-keys", "s.json", '{"type": "constant", "name": "constant", "value": 1}'),
        ("json-neither-key", "s.json", '{"value": 1}'),
        ("json-name-list", "s.json", '{"name": ["cosine"], "value": 1}'),
        ("json-name-unicode", "s.json", '{"name": "c\u00f6sine", "value": 1}'),
        ("json-name-unknown-arg", "s.json", '{"name": "constant", "valu": 1}'),
        ("json-duplicate-keys", "s.json", '{"type": "constant", "value": 1, "value": -1}'),
        ("json-deep", "s.json", '{"type": "constant", "value": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        ("json-deep-specs", "s.json", json.dumps(_deep_spec(900))),
        ("json-binary", "s.json", b"\xff\xfe\x00\x01"),
        ("json-nul", "s.json", '{"type": "constant\x00", "value": 1}'),
        ("yaml-list", "s.yaml", "- 1\n- 2\n"),
        ("yaml-empty", "s.yml", ""),
        ("yaml-tag", "s.yaml", "!!python/object/apply:os.system ['true']\n"),
        ("yaml-date", "s.yaml", "type: constant\nvalue: 2020-01-01\n"),
        ("yaml-int-key", "s.yaml", "type: constant\nvalue: 1\n1: 2\n"),
        ("yaml-nan", "s.yaml", "type: constant\nvalue: .nan\n"),
        ("yaml-deep", "s.yaml", "type: constant\nvalue: " + "[" * 20_000 + "]" * 20_000 + "\n"),
        ("yaml-anchors", "s.yaml", "type: multistep\ninit_value: 1.0\nmilestones: " + _laughs()),
        ("yaml-tabs", "s.yaml", "type:\tconstant\n\tvalue: 1\n"),
        ("yaml-set", "s.yaml", "type: multistep\ninit_value: 1.0\nmilestones: !!set {1: null}\n"),
        ("yaml-binary", "s.yaml", "type: constant\nvalue: !!binary aGVsbG8=\n"),
    ]
    return out


def _laughs():
    """A YAML value of 9**8 items made of 8 anchors (a 'billion laughs', small on disk)."""
    lines = ["&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    doc = "[" + ", ".join(["*a0"] * 9) + "]"
    for k in range(1, 8):
        doc = f"&a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]"
        lines.append(doc)
    # nest the anchors in one flow sequence: the last one references the others
    return "[" + ", ".join(lines) + "]\n"


FILES = _files()


def test_load_spec_files(tmp_path):
    cases = []
    for k, (label, name, content) in enumerate(FILES):
        path = tmp_path / f"{k}-{name}"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        # bad content: the message names the file (and the key, by the factory's own message)
        cases.append((f"load({label})", (lambda p=path: lrsched.load(p)), ("path", str(path)), {}))
    # paths that are not files
    odd = [("directory", tmp_path), ("missing", tmp_path / "missing.json"), ("nul", str(tmp_path / "a\x00b.json")),
           ("long-name", "x" * 5000 + ".json"), *((h, make()) for h, make in HOSTILE)]  # fmt: skip
    cases += [(f"load(path={h})", (lambda p=p: lrsched.load(p)), "path", {}) for h, p in odd]
    assert len(cases) >= 100
    run_row(cases)


# -- presets ---------------------------------------------------------------------------------------


def sgd(lr=0.1, groups=1):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p]} for p in params], lr=lr, momentum=0.9)


TORCH_BASE = {
    "StepLR": dict(step_size=3),
    "MultiStepLR": dict(milestones=[2, 4]),
    "ConstantLR": {},
    "LinearLR": {},
    "ExponentialLR": dict(gamma=0.9),
    "PolynomialLR": {},
    "CosineAnnealingLR": dict(T_max=10),
    "CosineAnnealingWarmRestarts": dict(T_0=5),
    "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=4),
    "OneCycleLR": dict(max_lr=0.1, total_steps=100),
    "LambdaLR": dict(lr_lambda=lrsched.linear(init_value=1.0, steps=10)),
    "MultiplicativeLR": dict(lr_lambda=lrsched.constant(0.9)),
    "ReduceLROnPlateau": {},
}
TORCH_ROWS = [(cls, p) for cls in TORCH_BASE for p in inspect.signature(getattr(lt, cls)).parameters]
LAMBDA_ONLY = {"function", "callable-object"}  # torch takes these as lr_lambda; lrsched.Schedule too


def _torch_case(cls, arg, make, label):
    base = TORCH_BASE[cls]
    opt = None if arg == "optimizer" else sgd()

    def ours():
        kw = {**base, arg: make()}
        return getattr(lt, cls)(kw.pop("optimizer") if arg == "optimizer" else opt, **kw)

    def theirs():
        kw = {**base, arg: make()}
        return getattr(torch_lrs, cls)(kw.pop("optimizer") if arg == "optimizer" else sgd(), **kw)

    return (f"lrsched.torch.{cls}({arg}={label})", ours, arg, dict(optimizer=opt, mimic=theirs))


@pytest.mark.parametrize("cls, arg", TORCH_ROWS, ids=[f"{c}-{a}" for c, a in TORCH_ROWS])
def test_torch_preset_argument(cls, arg):
    run_row([_torch_case(cls, arg, make, h) for h, make in HOSTILE])


def _children(opt, lib=lt):
    return [lib.StepLR(opt, step_size=2), lib.ExponentialLR(opt, gamma=0.9)]


def _torch_sequential(arg, make):
    opt = sgd()
    kw = dict(schedulers=_children(opt, torch_lrs), milestones=[3], last_epoch=-1)
    kw[arg] = make()
    return torch_lrs.SequentialLR(opt, **kw)


def _torch_chained(make):
    opt = sgd()
    _children(opt, torch_lrs)
    return torch_lrs.ChainedScheduler(make(), opt)


@pytest.mark.parametrize("arg", ["schedulers", "milestones", "last_epoch"])
def test_sequential_lr_argument(arg):
    cases = []
    for h, make in HOSTILE:
        opt = sgd()
        kw = dict(schedulers=_children(opt), milestones=[3], last_epoch=-1)
        kw[arg] = make()
        cases.append((f"SequentialLR({arg}={h})", (lambda kw=kw, opt=opt: lt.SequentialLR(opt, **kw)), arg,
                      dict(optimizer=opt, mimic=lambda make=make: _torch_sequential(arg, make))))  # fmt: skip
    run_row(cases)


def test_chained_scheduler_argument():
    cases = []
    for h, make in HOSTILE:
        opt = sgd()
        _children(opt)
        cases.append((f"ChainedScheduler(schedulers={h})", (lambda v=make(), opt=opt: lt.ChainedScheduler(v, opt)),
                      "schedulers", dict(optimizer=opt, mimic=lambda make=make: _torch_chained(make))))  # fmt: skip
    run_row(cases)


TF_BASE = {
    "get_constant_schedule": {},
    "get_constant_schedule_with_warmup": dict(num_warmup_steps=2),
    "get_linear_schedule_with_warmup": dict(num_warmup_steps=2, num_training_steps=10),
    "get_cosine_schedule_with_warmup": dict(num_warmup_steps=2, num_training_steps=10),
    "get_cosine_with_hard_restarts_schedule_with_warmup": dict(num_warmup_steps=2, num_training_steps=10),
    "get_polynomial_decay_schedule_with_warmup": dict(num_warmup_steps=2, num_training_steps=10),
    "get_inverse_sqrt_schedule": dict(num_warmup_steps=2),
    "get_cosine_with_min_lr_schedule_with_warmup": dict(num_warmup_steps=2, num_training_steps=10, min_lr_rate=0.1),
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate": dict(num_warmup_steps=2, num_training_steps=10,
                                                                 min_lr_rate=0.1),  # fmt: skip
    "get_wsd_schedule": dict(num_warmup_steps=2, num_decay_steps=3, num_training_steps=10),
}
TF_ROWS = [(fn, p) for fn in TF_BASE for p in inspect.signature(getattr(ltf, fn)).parameters]


@pytest.mark.parametrize("fn, arg", TF_ROWS, ids=[f"{f}-{a}" for f, a in TF_ROWS])
def test_transformers_argument(fn, arg):
    cases = []
    for h, make in HOSTILE:
        opt = None if arg == "optimizer" else sgd(lr=1.0)
        kw = {**TF_BASE[fn], arg: make()}
        o = kw.pop("optimizer") if arg == "optimizer" else opt
        mimic = (lambda make=make: torch_lrs.LambdaLR(sgd(), lambda t: 1.0, last_epoch=make())) if arg == "last_epoch" else None
        cases.append((f"{fn}({arg}={h})", (lambda kw=kw, o=o: getattr(ltf, fn)(o, **kw)), arg,
                      dict(optimizer=opt, mimic=mimic)))  # fmt: skip
    run_row(cases)


GET_SCHEDULER_ARGS = ["name", "num_warmup_steps", "num_training_steps", "scheduler_specific_kwargs"]


@pytest.mark.parametrize("name", [n for n in ltf.SCHEDULER_TYPES])
@pytest.mark.parametrize("arg", GET_SCHEDULER_ARGS)
def test_get_scheduler_argument(name, arg):
    cases = []
    extra = [("kwargs-unknown", lambda: {"nope": 1}), ("kwargs-bad", lambda: {"num_cycles": -1.0}),
             ("kwargs-int-key", lambda: {1: 2})]  # fmt: skip
    specific = {"min_lr_rate": 0.1} if "min_lr" in name else {"num_decay_steps": 3} if name == "warmup_stable_decay" else None
    for h, make in HOSTILE + (extra if arg == "scheduler_specific_kwargs" else []):
        opt = sgd(lr=1.0)
        kw = dict(name=name, num_warmup_steps=2, num_training_steps=10, scheduler_specific_kwargs=specific)
        kw[arg] = make()
        names = arg
        if arg == "name":
            names = "SchedulerType"  # transformers' own message names the type
        elif arg == "scheduler_specific_kwargs":  # or the keyword it lacks, or one it does not take
            names = (arg, *(kw[arg] if isinstance(kw[arg], dict) else ()), *(specific or ()))
        cases.append((f"get_scheduler({name}, {arg}={h})",
                      (lambda kw=kw, opt=opt: ltf.get_scheduler(kw.pop("name"), opt, **kw)), names,
                      dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


# -- the adapter -----------------------------------------------------------------------------------

ADAPTER_ARGS = ["optimizer", "schedule", "field", "relative", "last_step", "plateau"]


@pytest.mark.parametrize("arg", ADAPTER_ARGS)
def test_scheduler_argument(arg):
    cases = []
    for h, make in HOSTILE:
        opt = sgd(groups=2)
        kw = dict(optimizer=opt, schedule=lrsched.linear(init_value=1.0, steps=10))
        kw[arg] = make()
        cases.append((f"Scheduler({arg}={h})", (lambda kw=kw: lrsched.Scheduler(**kw)), arg,
                      dict(optimizer=opt if arg != "optimizer" else None)))  # fmt: skip
    run_row(cases)


def _scheduler(plateau=None):
    opt = sgd(groups=2)
    return opt, lrsched.Scheduler(opt, lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2, total_steps=10),
                                  relative=True, plateau=plateau)  # fmt: skip


def test_scheduler_seek():
    cases = []
    for h, make in HOSTILE:
        opt, sched = _scheduler()
        cases.append((f"seek({h})", (lambda sched=sched, v=make(): sched.seek(v) or sched), "step",
                      dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


def test_scheduler_observe():
    cases = []
    for h, make in HOSTILE:
        opt, sched = _scheduler(plateau=lrsched.plateau(patience=0))
        cases.append((f"observe({h})", (lambda sched=sched, v=make(): sched.observe(v) or sched), "metric",
                      dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


@pytest.mark.parametrize("arg", ["schedule", "field"])
def test_scheduler_change(arg):
    cases = []
    for h, make in HOSTILE:
        opt, sched = _scheduler(plateau=lrsched.plateau(patience=0))
        kw = dict(schedule=lrsched.linear(init_value=1.0, steps=10), field="lr")
        kw[arg] = make()
        cases.append((f"change({arg}={h})", (lambda sched=sched, kw=kw: (sched.change(**kw), sched)[1]), arg,
                      dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


@pytest.mark.parametrize("arg", ["adopt", "keep"])
def test_scheduler_load_state_dict_option(arg):
    _, saver = _scheduler()
    saver.step()
    state = saver.state_dict()  # the same schedule: every option loads it
    cases = []
    for h, make in HOSTILE:
        opt, sched = _scheduler()
        cases.append((f"load_state_dict({arg}={h})",
                      (lambda sched=sched, v=make(): (sched.load_state_dict(state, **{arg: v}), sched)[1]), arg,
                      dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


def _state_variants():
    _, sched = _scheduler()
    sched.step()
    state = sched.state_dict()
    field = state["fields"]["lr"]
    out = [(f"state={h}", make) for h, make in HOSTILE]
    for key in ("format", "last_step", "fields"):
        out += [(f"state[{key!r}]={h}", (lambda key=key, make=make: {**state, key: make()})) for h, make in HOSTILE]
    for key in ("schedules", "relative", "initial"):
        out += [(f"fields['lr'][{key!r}]={h}",
                 (lambda key=key, make=make: {**state, "fields": {"lr": {**field, key: make()}}})) for h, make in HOSTILE]  # fmt: skip
    out += [("schedules-deep", lambda: {**state, "fields": {"lr": {**field, "schedules": [_deep_spec(10_000)] * 2}}}),
            ("schedules-cyclic", lambda: {**state, "fields": {"lr": {**field, "schedules": [_cyclic_spec()] * 2}}}),
            ("extra-field", lambda: {**state, "fields": {**state["fields"], "momentum": field}})]  # fmt: skip
    return out


STATE_VARIANTS = _state_variants()


def test_scheduler_load_state_dict():
    cases = []
    for label, make in STATE_VARIANTS:
        opt, sched = _scheduler()
        arg = "state" if label.startswith("state=") or label.startswith("state[") else "state"
        cases.append((f"load_state_dict({label})", (lambda sched=sched, v=make(): sched.load_state_dict(v) or sched),
                      arg, dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


def test_torch_preset_load_state_dict():
    cases = []
    for cls in ("StepLR", "CosineAnnealingLR", "OneCycleLR", "CyclicLR", "LambdaLR"):
        opt = sgd()
        state = getattr(lt, cls)(opt, **TORCH_BASE[cls]).state_dict()
        variants = [(f"{h}", make) for h, make in HOSTILE]
        for key in state:
            variants += [(f"[{key!r}]={h}", (lambda key=key, make=make: {**state, key: make()})) for h, make in HOSTILE]
        for label, make in variants:
            opt = sgd()
            sched = getattr(lt, cls)(opt, **TORCH_BASE[cls])
            cases.append((f"{cls}.load_state_dict({label})",
                          (lambda sched=sched, v=make(): sched.load_state_dict(v) or sched), "state_dict",
                          dict(optimizer=opt)))  # fmt: skip
    run_row(cases)


# -- the command line ------------------------------------------------------------------------------

CLI_VALUES = ["", "nan", "inf", "-inf", "-1", "1e400", "9" * 5000, "[" * 10_000, "{" * 10_000, "[1,", "{}", "null",
              "true", '"x"', "\u00e9t\u00e9", "0x10", "1_000", "[1, [2]]", '{"type": "nope"}', "2**62",
              str(2**63), str(2**63 - 1), "1e-400", "\x00"]  # fmt: skip
CLI_SPECS = [["constant", "value=1"], ["warmup_cosine", "peak_value=1", "warmup_steps=2", "total_steps=10"],
             ["multistep", "init_value=1", "milestones=[2,4]"], ["sgdr", "peak_value=1", "cycle_steps=5"],
             ["join", 'schedules=[{"type":"constant","value":1},{"type":"constant","value":2}]', "boundaries=[3]"],
             ["torch:StepLR", "step_size=3"], ["torch:OneCycleLR", "max_lr=0.1", "total_steps=20"],
             ["transformers:cosine", "num_warmup_steps=2", "num_training_steps=10"]]  # fmt: skip


def _cli_argvs(tmp_path):
    out = []
    npy = str(tmp_path / "out.npy")
    for spec in CLI_SPECS:
        for k in range(1, len(spec)):
            key = spec[k].partition("=")[0]
            for v in CLI_VALUES:
                words = [*spec[:k], f"{key}={v}", *spec[k + 1 :]]
                out.append((key, ["table", *words, "--steps", "5", "-q", "-o", npy]))
    names = ["nope", "c\u00f6sine", "\U0001f600", "torch:Nope", "torch:", "transformers:nope", ":x", "x:y",
             "torch:LambdaLR", "transformers:reduce_lr_on_plateau", "missing.json", "dir.yaml"]  # fmt: skip
    out += [("name", ["table", n, "value=1", "--steps", "5", "-q", "-o", npy]) for n in names]
    out += [("key", ["table", "constant", w, "--steps", "5", "-q", "-o", npy])
            for w in ["=1", "valu=1", "v\u00e4lue=1", "value==1", "value=1=2"]]  # fmt: skip
    for opt in ("--steps", "--start"):
        for v in ["-5", "0", "abc", str(2**63), str(2**62), "1e3", "", "\u0665"]:
            argv = ["table", "constant", "value=1", "--steps", "5", "-q", "-o", npy]
            if opt == "--steps":
                argv[4] = v
            else:
                argv += ["--start", v]
            out.append((opt.strip("-"), argv))
    for cmd in ("describe", "compare", "plot"):
        for v in ["-1", "0", "abc", str(2**63)]:
            spec = ["constant", "value=1"] * (2 if cmd == "compare" else 1)
            extra = ["-o", str(tmp_path / "p.png")] if cmd == "plot" else []
            out.append(("steps", [cmd, *spec, "--steps", v, *extra]))
    out += [("rtol", ["compare", "constant", "value=1", "constant", "value=2", "--steps", "5", "--rtol", v])
            for v in ["nan", "-1", "abc", "inf"]]  # fmt: skip
    out += [("output", ["table", "constant", "value=1", "--steps", "5", "-q", "-o", p])
            for p in [str(tmp_path), str(tmp_path / "x.txt"), str(tmp_path / "no" / "x.npy"), "", "\x00.npy"]]
    out += [("dtype", ["table", "constant", "value=1", "--steps", "5", "--dtype", "int8", "-o", npy])]
    out += [("command", [c]) for c in ["", "nope", "--help-me", "t\u00e4ble"]]
    return out


def _spec_files(tmp_path):
    good = json.dumps(lrsched.constant(1.0).to_dict())
    out = []
    for k in range(0, len(good), 5):
        p = tmp_path / f"cut{k}.json"
        p.write_text(good[:k])
        out.append(("path", ["table", str(p), "--steps", "5", "-q", "-o", str(tmp_path / "o.npy")]))
    (tmp_path / "dir.yaml").mkdir()
    p = tmp_path / "deep.json"
    p.write_text('{"type": "constant", "value": ' + "[" * 100_000 + "]" * 100_000 + "}")
    out.append(("path", ["table", str(p), "--steps", "5", "-q", "-o", str(tmp_path / "o.npy")]))
    out.append(("path", ["table", str(p), "value=1", "--steps", "5", "-q", "-o", str(tmp_path / "o.npy")]))
    return out


def run_cli(argv):
    """``lrsched.cli.main(argv)`` in this process: (exit status, stderr, stdout)."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out), watchdog():
        try:
            code = cli.main(argv)
        except SystemExit as e:
            code = e.code
    return code, err.getvalue(), out.getvalue()


def test_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "dir.yaml").mkdir()
    argvs = _cli_argvs(tmp_path) + _spec_files(tmp_path / "dir.yaml")
    assert len(argvs) >= 250
    broken = []
    for arg, argv in argvs:
        label = " ".join(w[:30] for w in argv)
        try:
            code, err, _ = run_cli(argv)
        except Exception as e:  # noqa: BLE001
            broken.append(f"{label}: {type(e).__name__}: {str(e)[:200]}")
            COUNTS["broken"] += 1
            continue
        lines = err.strip().splitlines()
        if code == 0:  # a valid input: the table is written
            COUNTS["valid"] += 1
            continue
        if "Traceback" in err:
            broken.append(f"{label}: a traceback")
        elif code == 1 and not (len(lines) == 1 and lines[0].startswith("lrsched: error: ")):
            broken.append(f"{label}: exit 1 with stderr {err[:300]!r}")
        elif code == 2 and not (lines and lines[-1].startswith("lrsched") and "error: " in lines[-1]):
            broken.append(f"{label}: exit 2 with stderr {err[:300]!r}")
        elif code not in (1, 2):
            broken.append(f"{label}: exit status {code!r}")
        else:
            COUNTS[f"exit {code}"] += 1
            continue
        COUNTS["broken"] += 1
    assert not broken, f"{len(broken)} of {len(argvs)} command lines broke the rule:\n" + "\n".join(broken)


# -- the size of the catalogue ---------------------------------------------------------------------


def test_catalogue_size():
    """At least 300 distinct hostile values and thousands of inputs built from them."""
    distinct = len(HOSTILE) + len(JSON_HOSTILE) + len(WHOLE_SPECS) + len(FILES) + len(CLI_VALUES)
    rows = len(FACTORY_ROWS) + len(NAME_ROWS) + len(SPEC_ROWS) + len(TORCH_ROWS) + len(TF_ROWS)
    assert distinct >= 300
    assert rows * len(HOSTILE) >= 10_000


# -- regressions: inputs the catalogue found (fixed) -----------------------------------------------


def test_a_huge_int_in_a_message_is_shown_by_its_size():
    with pytest.raises(ValueError, match=r"got value=<an int of 16610 bits>\."):
        lrsched.constant(10**5000)


@pytest.mark.parametrize("make", [lambda: _deep_spec(10_000), _cyclic_spec, _cyclic_join], ids=["deep", "cyclic", "cyclic-join"])
def test_deep_and_cyclic_specs_are_refused(make):
    with pytest.raises(ValueError, match="from_dict: `d` must be a spec with schedules nested at most 100 deep"):
        lrsched.from_dict(make())


def test_factories_refuse_what_from_dict_would():
    s = lrsched.from_dict(_deep_spec(99))
    with pytest.raises(ValueError, match="warmup: `schedule` must be nested at most 99 schedules deep"):
        lrsched.warmup(s, 1)


@pytest.mark.parametrize("text, suffix", [("[" * 100_000, ".json"), ("[" * 20_000, ".yaml")], ids=["json", "yaml"])
def test_spec_files_nested_too_deep(tmp_path, text, suffix):
    path = tmp_path / f"s{suffix}"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"load: `path` must hold a spec, .*nested too deep"):
        lrsched.load(path)


def test_a_nul_in_a_path():
    with pytest.raises(ValueError, match="load: `path` must be a file name"):
        lrsched.load("a\x00b.json")


def test_cli_deep_json_argument_is_text():
    code, err, _ = run_cli(["table", "constant", "value=" + "[" * 10_000, "--steps", "2", "-o", "x.npy"])
    assert code == 1 and err.startswith("lrsched: error: constant: `value` must be")


def test_cli_table_larger_than_the_disk(tmp_path):
    code, err, _ = run_cli(["table", "constant", "value=1", "--steps", str(2**62), "-o", str(tmp_path / "x.npy")])
    assert code == 1 and "free" in err and not list(tmp_path.iterdir())


@pytest.mark.parametrize("gamma", [1.5, 3.0])
def test_step_lr_grows_as_torch(gamma):
    ours, theirs = sgd(), sgd()
    a, b = lt.StepLR(ours, step_size=2, gamma=gamma), torch_lrs.StepLR(theirs, step_size=2, gamma=gamma)
    for _ in range(7):
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12)
        a.step()
        b.step()


def test_cyclic_lr_gamma_is_ignored_outside_exp_range_as_torch():
    ours, theirs = sgd(), sgd()
    kw = dict(base_lr=0.01, max_lr=0.1, step_size_up=3, gamma=2.0)
    a, b = lt.CyclicLR(ours, **kw), torch_lrs.CyclicLR(theirs, **kw)
    for _ in range(10):
        assert a.get_last_lr() == pytest.approx(b.get_last_lr(), rel=1e-12)
        a.step()
        b.step()


def test_a_refused_preset_leaves_the_groups_alone():
    opt = sgd()
    before = snapshot(opt)
    with pytest.raises(ValueError, match="eta_min"):
        lt.CosineAnnealingWarmRestarts(opt, T_0=5, eta_min=5.0)  # fails after torch's initial_lr write
    assert snapshot(opt) == before and "initial_lr" not in opt.param_groups[0]


CYCLES_2_62 = {
    "repeat": lambda: lrsched.repeat(S, 2**62),
    "sgdr": lambda: lrsched.sgdr(1.0, 2**62),
    "from_dict": lambda: lrsched.from_dict({"type": "repeat", "schedule": S.to_dict(), "period": 2**62}),
}


@pytest.mark.parametrize("make", list(CYCLES_2_62.values()), ids=list(CYCLES_2_62))
def test_a_cycle_of_2_62_steps(make):
    s = make()  # the tiling test in _schedule._fill_cycle once wrote `2 * length <= n`, which overflowed int64
    assert all(math.isfinite(s.at(t)) for t in (0, 1, 2**62))
    assert np.all(np.isfinite(s(STEPS)))


def test_cosine_annealing_warm_restarts_of_2_62_steps():
    assert all(math.isfinite(v) for v in lt.CosineAnnealingWarmRestarts(sgd(), T_0=2**62).get_last_lr())


@pytest.mark.parametrize("field", [["lr"], np.array([1, 2]), np.array(5), {}, {1, 2}], ids=repr)
def test_an_unhashable_field_is_a_type_error_naming_it(field):
    opt = sgd()
    before = snapshot(opt)
    with pytest.raises(TypeError, match=r"^Scheduler: `field` must be a field name .*, got field="):
        lrsched.Scheduler(opt, S, field=field)  # was used as a dict key first: "unhashable type"
    assert snapshot(opt) == before


@pytest.mark.parametrize("field", ["lr\n", "betas[" + "9" * 5000 + "]", "betas[\u0660]"],
                         ids=["newline", "huge-index", "arabic-digit"])  # fmt: skip
def test_a_field_name_is_matched_in_full_and_in_ascii(field):
    opt = sgd()
    opt.param_groups[0]["betas"] = (0.9, 0.99)
    with pytest.raises(ValueError, match=r"^Scheduler: `field` must be a field name"):
        lrsched.Scheduler(opt, S, field=field)  # "lr\n" was "lr"; 5000 digits were int()'s own ValueError


def test_field_with_a_dict_of_schedules_is_checked_before_comparing():
    with pytest.raises(ValueError, match=r"`field` must be left out when `schedule` is a dict of fields"):
        lrsched.Scheduler(sgd(), {"lr": S}, field=np.array([1, 2]))  # `!= "lr"` of an array


@pytest.mark.parametrize("lr, shown", [(10**400, "1000"), (10**5000, "<an int of 16610 bits>"),
                                       (Fraction(10**400, 3), "Fraction(")],
                         ids=["10**400", "10**5000", "Fraction"])  # fmt: skip
def test_a_group_value_beyond_float_range(lr, shown):
    opt = sgd()
    opt.param_groups[0]["lr"] = lr
    with pytest.raises(ValueError, match=r"param_groups\[0\]\['lr'\] must be finite, got " + re.escape(shown)):
        lrsched.Scheduler(opt, S)  # float() overflowed


@pytest.mark.parametrize("metric", [10**400, -(10**400), 10**5000, Fraction(10**400, 3)],
                         ids=["10**400", "-10**400", "10**5000", "Fraction"])  # fmt: skip
def test_observe_a_metric_beyond_float_range(metric):
    _, sched = _scheduler(plateau=lrsched.plateau(patience=0))
    before = sched.state_dict()
    with pytest.raises(ValueError, match=r"^Scheduler.observe: `metric` must be a number within float range"):
        sched.observe(metric)  # float(metric) overflowed
    assert sched.state_dict() == before


def test_get_last_values_of_an_array_field():
    _, sched = _scheduler()
    with pytest.raises(TypeError, match=r"`field` must be one of \['lr'\]"):
        sched.get_last_values(np.array([1, 2]))  # `==` of an array


def _refused_state(state, exc, pattern):
    """Load ``state`` into a fresh scheduler: ``exc`` matching ``pattern``, and nothing changed."""
    opt, sched = _scheduler(plateau=lrsched.plateau(patience=0))
    sched.step()
    before, groups = sched.state_dict(), snapshot(opt)
    with pytest.raises(exc, match=pattern):
        sched.load_state_dict(state(before))
    assert sched.state_dict() == before and snapshot(opt) == groups


def _with_lr(state, **entry):
    return {**state, "fields": {"lr": {**state["fields"]["lr"], **entry}}}


def _with_plateau(state, **entry):
    return {**state, "plateau": {**state["plateau"], **entry}}


BAD_STATES = [
    ("format-array", lambda st: {**st, "format": np.zeros((2, 2))}, TypeError, r"`state\['format'\]` must be"),
    ("format-int", lambda st: {**st, "format": 5}, TypeError, r"`state\['format'\]` must be"),
    ("fields-mixed-keys", lambda st: {**st, "fields": {1: st["fields"]["lr"], **st["fields"]}}, ValueError,
     r"`state\['fields'\]` must be a dict with the fields \['lr'\]"),
    ("schedules-deep", lambda st: _with_lr(st, schedules=[_deep_spec(10_000)] * 2), ValueError,
     r"`state\['fields'\]\['lr'\]\['schedules'\]\[0\]`: from_dict: `d` must be a spec with schedules nested"),
    ("schedules-cyclic", lambda st: _with_lr(st, schedules=[st["fields"]["lr"]["schedules"][0], _cyclic_spec()]),
     ValueError, r"`state\['fields'\]\['lr'\]\['schedules'\]\[1\]`: from_dict: `d` must be"),
    ("schedules-[1,2]", lambda st: _with_lr(st, schedules=[1, 2]), TypeError,
     r"`state\['fields'\]\['lr'\]\['schedules'\]\[0\]`: from_dict: `d` must be a dict, got d=1\."),
    ("schedules-10**5000", lambda st: _with_lr(st, schedules=10**5000), ValueError,
     r"`state\['fields'\]\['lr'\]\['schedules'\]` must be a list .*, got <an int of 16610 bits>\."),
    ("plateau-settings-array", lambda st: _with_plateau(st, settings=np.zeros(3)), ValueError,
     r"`state\['plateau'\]\['settings'\]` must be"),
    ("plateau-settings-item-array", lambda st: _with_plateau(st, settings={**st["plateau"]["settings"],
     "factor": np.zeros(3)}), ValueError, r"`state\['plateau'\]\['settings'\]` must be"),  # fmt: skip
    ("plateau-best-array", lambda st: _with_plateau(st, best=np.zeros(3)), TypeError,
     r"`state\['plateau'\]\['best'\]` must be a number"),
    ("plateau-best-10**400", lambda st: _with_plateau(st, best=10**400), ValueError,
     r"`state\['plateau'\]\['best'\]` must be .* within float range"),
    ("plateau-best-nan", lambda st: _with_plateau(st, best=math.nan), ValueError,
     r"`state\['plateau'\]\['best'\]` must be .* \(not nan\)"),
]


@pytest.mark.parametrize("state, exc, pattern", [b[1:] for b in BAD_STATES], ids=[b[0] for b in BAD_STATES])
def test_a_refused_state_names_where_it_is_wrong(state, exc, pattern):
    _refused_state(state, exc, "^Scheduler.load_state_dict: " + pattern)
