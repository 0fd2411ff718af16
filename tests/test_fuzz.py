"""Fuzzing ``from_dict`` (JSON specs) and the factories' arguments with hypothesis.

Random nested specs are built from the registry's names and argument names,
with values that are often hostile (wrong types, NaN, inf, huge and negative
numbers, unsorted lists, unknown keys and names), and random composites
(``join``, ``product``, ``scale``, ``repeat``, ``warmup``, ``noise``).  The
property, for every input: either a ``ValueError``/``TypeError``, or a
schedule whose values are finite at steps 0, 1, a few random steps and 2**62
and whose ``to_dict()`` round-trips through JSON to an equal schedule.

CI runs ten times the profile's examples, the same ones every run
(``HYPOTHESIS_PROFILE=ci``: 1,500 per target, about 25 s in all); ``thorough``
hunts.
Every input a hunt broke is kept below as an ``@example``.
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

import lrsched
from lrsched._schedule import _REGISTRY
from test_errors import BASE  # valid arguments for every core factory

MAX = lrsched.MAX_STEP
FAMILIES = sorted(_REGISTRY)
PARAMS = {t: list(inspect.signature(_REGISTRY[t][0]).parameters) for t in FAMILIES}
SCHEDULE_ARGS = {t: _REGISTRY[t][1] for t in FAMILIES}
LEAVES = [t for t in FAMILIES if not SCHEDULE_ARGS[t]]
CHOICES = ["linear", "cosine", "cos", "exponential", "1-sqrt", "minus_sqrt", "power", "polynomial", "triangular",
           "triangular2", "exp_range", "cycle", "iterations", "gaussian", "uniform", "constant", "rsqrt", "step",
           "", "LINEAR", "c\u00f6sine"]  # fmt: skip

FUZZ = settings(
    # ten times the profile's (ci 150, nojit 25, thorough 3000): CI's fuzz step is about 25 s,
    # inside its 60 s budget
    max_examples=10 * settings.default.max_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# -- values ---------------------------------------------------------------------------------------

plausible = st.one_of(
    st.integers(0, 20),
    st.integers(0, 10**6),
    st.floats(0.0, 2.0),
    st.sampled_from([0.0, 0.5, 1.0, 1e-8, 0.1, 0.99]),
    st.booleans(),
    st.sampled_from(CHOICES),
    st.none(),
)
hostile_json = st.one_of(
    st.integers(-(2**65), 2**65),
    st.sampled_from([-1, 0, 2**62, 2**62 + 1, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, -0.0, 5e-324, 1e308, -1e-300]),
    st.text(max_size=6),
    st.lists(st.integers(-3, 50), max_size=6),
    st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=4),
    st.lists(st.one_of(st.integers(0, 40), st.floats(0, 2), st.none(), st.text(max_size=2)), max_size=5),
    st.lists(st.lists(st.integers(0, 3), max_size=2), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
values = st.one_of(plausible, plausible, hostile_json)
# what a Python caller can pass besides JSON: numpy scalars and arrays, tuples
python_values = st.one_of(
    values,
    st.builds(lambda t, v: t(v), st.sampled_from([np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                                  np.uint32, np.uint64]), st.integers(0, 100)),  # fmt: skip
    st.builds(lambda t, v: t(v), st.sampled_from([np.float16, np.float32, np.float64]),
              st.floats(allow_nan=True, allow_infinity=True, width=16)),
    st.builds(np.array, st.lists(st.integers(0, 50), max_size=4)),
    st.builds(tuple, st.lists(st.integers(0, 50), max_size=4)),
    st.just(np.bool_(True)),
    st.just(1 + 0j),
)



def near(v):
    """Values of the same kind as the valid value ``v``: mostly valid, often at an edge."""
    if isinstance(v, bool):
        return st.booleans()
    if isinstance(v, int):
        return st.one_of(st.integers(0, 2 * abs(v) + 10), st.integers(0, MAX), st.sampled_from([0, 1, MAX]))
    if isinstance(v, float):
        return st.one_of(st.floats(-2 * abs(v), 2 * abs(v) + 1.0), st.sampled_from([0.0, v, 1.0, 1e-300, 1e300]))
    if isinstance(v, str):
        return st.sampled_from(CHOICES)
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, (int, float)) for x in v):
        n = len(v)
        item = near(v[0])
        return st.one_of(st.lists(item, min_size=n, max_size=n).map(sorted), st.lists(item, max_size=n + 2))
    return values


@st.composite
def mutated(draw, base, params, other):
    """``base`` with a few arguments changed (to a value like the old one, or ``other``), left out or added."""
    d = dict(base)
    for key in draw(st.lists(st.sampled_from(params), max_size=draw(st.sampled_from([0, 1, 1, 2, 3])), unique=True)):
        roll = draw(st.integers(0, 9))
        if roll == 0:
            d.pop(key, None)
        elif roll < 7 and key in base:
            d[key] = draw(near(base[key]))
        else:
            d[key] = draw(other)
    if draw(st.integers(0, 49)) == 0:
        d[draw(st.sampled_from(["unknown", "Value", "type_", "\u00e9"]))] = draw(other)
    return d


# -- specs ----------------------------------------------------------------------------------------


def _base_spec(t):
    return lrsched.get(t, **BASE[t]).to_dict()


BASE_SPECS = {t: _base_spec(t) for t in FAMILIES}


@st.composite
def leaf_specs(draw):
    """A family's valid spec with a few arguments changed, left out or added."""
    t = draw(st.sampled_from(LEAVES))
    d = draw(mutated(BASE_SPECS[t], [p for p in PARAMS[t] if p != "type"], values))
    if draw(st.integers(0, 99)) == 0:
        d["type"] = draw(st.one_of(st.text(max_size=8), values))
    return d


def composites(inner):
    """A composite whose schedule arguments are drawn from ``inner``."""
    steps = st.one_of(st.integers(1, 100), st.integers(1, 100), st.integers(0, MAX), values)
    factors = st.one_of(st.floats(0, 4), st.floats(0, 4), values)

    def join(schedules):
        n = len(schedules) - 1
        valid = st.lists(st.integers(0, 1000), min_size=n, max_size=n, unique=True).map(sorted)
        bounds = st.one_of(valid, valid, valid, st.lists(st.integers(-2, 2**63), max_size=4), values)
        return bounds.map(lambda b: {"type": "join", "schedules": schedules, "boundaries": b})

    return st.one_of(
        st.lists(inner, min_size=1, max_size=4).flatmap(join),
        st.builds(lambda xs: {"type": "product", "schedules": xs}, st.lists(inner, max_size=3)),
        st.builds(lambda s, c: {"type": "scale", "schedule": s, "factor": c}, inner, factors),
        st.builds(lambda s, p: {"type": "repeat", "schedule": s, "period": p}, inner, steps),
        st.builds(lambda s, w, i, sh: {"type": "warmup", "schedule": s, "warmup_steps": w, "init_value": i, "shape": sh},
                  inner, steps, factors, st.sampled_from(["linear", "cosine", "exponential", "1-sqrt", *CHOICES])),  # fmt: skip
        st.builds(lambda s, std, pct, seed: {"type": "noise", "schedule": s, "std": std, "pct": pct, "seed": seed},
                  inner, st.one_of(st.floats(0.01, 1), values), st.one_of(st.floats(0.01, 1), values),
                  st.one_of(st.integers(0, 2**32 - 1), values)),  # fmt: skip
    )


specs = st.recursive(leaf_specs(), composites, max_leaves=6)
steps = st.lists(st.integers(0, MAX), min_size=1, max_size=4)


def _cycle_of_2_62_steps(s):
    """The known kernel bug (see tests/test_hostile.py, test_known_cycle_of_2_62_steps): left to that test."""
    p = s.program
    return bool(np.any((p.seg_op == 14) & (p.iparams[:, 0] == MAX)))


def check(build, extra_steps):
    """The property: a clear refusal, or finite values and a JSON round trip to an equal schedule."""
    try:
        s = build()
    except (ValueError, TypeError) as e:
        assert str(e), "an empty message"
        event(f"refused: {type(e).__name__}")
        return None
    event("built")
    assume(not _cycle_of_2_62_steps(s))
    points = np.array(sorted({0, 1, MAX, *extra_steps}), dtype=np.int64)
    v = s(points)
    assert np.all(np.isfinite(v)), (s, points, v)
    assert math.isfinite(s.at(int(points[-1])))
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))  # plain JSON: no NaN or inf in a spec
    assert lrsched.from_dict(d) == s
    return s


@FUZZ
@given(specs, steps)
@example({"type": "warmup", "schedule": {"type": "warmup", "warmup_steps": 1}, "warmup_steps": 1}, [5])
@example({"type": "constant", "value": 10**5000}, [0])
@example({"type": "repeat", "schedule": {"type": "constant", "value": 1.0}, "period": [[[1]]]}, [0])
@example({"type": "cosine_restarts", "peak_value": 1.0, "total_steps": 1, "num_cycles": 3}, [0])
@example({"type": "noise", "schedule": {"type": "constant", "value": 1.0}, "pct": 5e-324}, [0])
@example({"type": "wsd", "peak_value": 1.0, "total_steps": 5, "warmup_steps": 10, "decay_steps": 2}, [0])
def test_from_dict_fuzz(d, extra):
    check(lambda: lrsched.from_dict(d), extra)


@FUZZ
@given(specs, steps)
def test_json_specs_fuzz(d, extra):
    """The same specs as JSON text (what a spec file holds): NaN and inf as JSON's NaN/Infinity."""
    try:
        text = json.dumps(d)
    except (TypeError, ValueError):  # not JSON data: nothing to read back
        return
    check(lambda: lrsched.from_dict(json.loads(text)), extra)


FACTORIES = sorted(set(BASE) - {"get"})


@st.composite
def factory_calls(draw):
    fn = draw(st.sampled_from(FACTORIES))
    params = list(inspect.signature(getattr(lrsched, fn)).parameters)
    return fn, draw(mutated(BASE[fn], params, python_values))


@FUZZ
@given(factory_calls(), steps)
@example(("sgdr", {"peak_value": 1.0, "cycle_steps": 10, "cycle_mult": np.float16(1.5)}), [7])
@example(("step", {"init_value": 1.0, "step_size": np.uint64(3), "gamma": np.float32(0.5)}), [MAX])
def test_factory_arguments_fuzz(call, extra):
    fn, kwargs = call
    check(lambda: getattr(lrsched, fn)(**kwargs), extra)


@st.composite
def name_calls(draw):
    from lrsched import registry

    name = draw(st.sampled_from(lrsched.names()))
    factory, fixed = registry._names()[name]
    base = {k: v for k, v in BASE[factory].items() if k not in fixed}
    spelled = draw(st.sampled_from([name, name.upper(), name.replace("_", "-")]))
    return spelled, draw(mutated(base, PARAMS[factory], python_values))


@FUZZ
@given(name_calls(), steps)
def test_names_fuzz(call, extra):
    name, kwargs = call
    check(lambda: lrsched.get(name, **kwargs), extra)
