"""Bad input gets a clear error and nothing else.

ValueError for a bad value, TypeError for a bad type; the message names the
function, the argument, the rule and the value::

    cosine: `steps` must be a positive integer, got steps=0.

and nothing is changed on error (a caller's ``out`` buffer or list is untouched).
"""

import re

import numpy as np
import pytest

import lrsched

NAN, INF, BIG = float("nan"), float("inf"), 2**62 + 1
S = lrsched.constant(1.0)
VALUE, POSITIVE = "a finite number >= 0", "a finite number > 0"
COUNT, LENGTH = "an integer >= 0", "a positive integer"
SHAPES = "one of 'linear', 'cosine', 'exponential', '1-sqrt', 'log'"
CALL_RULE = "Schedule.__call__: `steps` must be integers in [0, 2**62] (an int, or an array-like of integer dtype)"


def message(fn, arg, rule, value):
    if rule in (COUNT, LENGTH) and type(value) is int and value > 2**62:  # the bound the value breaks is named
        rule += f" and <= 2**62 = {2**62} (lrsched's largest step)"
    return f"{fn}: `{arg}` must be {rule}, got {arg}={value!r}."


def fragments(*parts):
    """A pattern matching ``parts`` in order, anything in between."""
    return ".*".join(re.escape(p) for p in parts)



# -- factories -----------------------------------------------------------------

# Public names that do not build a schedule from arguments.
NOT_FACTORIES = {"MAX_STEP", "Run", "Schedule", "Scheduler", "from_dict", "plateau", "load", "names", "precompile", "save", "sweep",
                 "describe", "compare", "plot", "Change", "extend", "jump", "LRFinder", "Suggestion"}  # fmt: skip

# Valid arguments for every public factory; each case below changes one or two.
WARMUP_DECAY = dict(peak_value=1.0, warmup_steps=10, total_steps=100)
BASE = {
    "constant": dict(value=1.0),
    "range_test": dict(min_value=1e-4, max_value=1.0, steps=10),
    "linear": dict(init_value=1.0, steps=10),
    "cosine": dict(init_value=1.0, steps=10),
    "polynomial": dict(init_value=1.0, steps=10),
    "exponential": dict(init_value=1.0, decay_rate=0.5, transition_steps=10),
    "inverse_time": dict(init_value=1.0, decay_rate=0.5, decay_steps=10),
    "inverse_sqrt": dict(peak_value=1.0, warmup_steps=10),
    "tanh": dict(init_value=1.0, steps=10),
    "step": dict(init_value=1.0, step_size=10),
    "multistep": dict(init_value=1.0, milestones=[10, 20]),
    "piecewise_constant": dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
    "piecewise_linear": dict(knots=[0, 10], values=[1.0, 0.1]),
    "piecewise_anneal": dict(knots=[0.0, 10.5], values=[1.0, 0.1]),
    "warmup": dict(schedule=S, warmup_steps=10),
    "warmup_cosine": WARMUP_DECAY,
    "warmup_linear": WARMUP_DECAY,
    "warmup_polynomial": WARMUP_DECAY,
    "warmup_constant": dict(peak_value=1.0, warmup_steps=10),
    "warmup_exponential": dict(peak_value=1.0, warmup_steps=10, decay_rate=0.5, transition_steps=10),
    "join": dict(schedules=[S, S], boundaries=[10]),
    "product": dict(schedules=[S, S]),
    "scale": dict(schedule=S, factor=0.5),
    "repeat": dict(schedule=S, period=10),
    "sgdr": dict(peak_value=1.0, cycle_steps=10),
    "restarts": dict(cycles=[dict(peak_value=1.0, warmup_steps=2, total_steps=10)]),
    "cosine_restarts": dict(peak_value=1.0, total_steps=100, num_cycles=3),
    "cyclic": dict(base_value=0.1, max_value=1.0, step_size_up=10),
    "one_cycle": dict(max_value=1.0, total_steps=100),
    "one_cycle_momentum": dict(total_steps=100),
    "wsd": dict(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=20),
    "noise": dict(schedule=S),
    "shift": dict(schedule=S, by=10),
    "branch": dict(schedule=S, at=10, steps=10),
    "rewarm": dict(schedule=S, at=10, warmup_steps=10, peak_value=1.0),
    "multi_wsd": dict(peak_value=1.0, warmup_steps=10, periods=[50, 40], decay_steps=10),
    "get": dict(name="constant", value=1.0),
}
UNIT = "a finite number > 0 and <= 1"
NAME_RULE = "one of lrsched.names() (the table is in help(lrsched.registry))"
OPEN_UNIT = "a finite number > 0 and < 1"

# The rule of every real-valued argument ("a finite number" alone: negative values allowed).
DECAY = dict(init_value=VALUE, end_value=VALUE)
WARMUP = dict(peak_value=VALUE, init_value=VALUE, end_value=VALUE)
REAL_ARGS = {
    "constant": dict(value=VALUE),
    "linear": DECAY,
    "cosine": dict(DECAY, exponent=POSITIVE),
    "polynomial": dict(DECAY, power=POSITIVE),
    "exponential": dict(init_value=POSITIVE, decay_rate=POSITIVE, end_value=VALUE),
    "inverse_time": dict(init_value=VALUE, decay_rate=VALUE),
    "inverse_sqrt": dict(peak_value=VALUE, init_value=VALUE),
    "tanh": dict(DECAY, lower="a finite number", upper="a finite number"),
    "step": dict(init_value=VALUE, gamma="a finite number > 0 and <= 1"),
    "multistep": dict(init_value=VALUE, gamma=POSITIVE),
    "warmup": dict(init_value=VALUE),
    "warmup_cosine": dict(WARMUP, exponent=POSITIVE),
    "warmup_linear": WARMUP,
    "warmup_polynomial": dict(WARMUP, power=POSITIVE),
    "warmup_constant": dict(peak_value=VALUE, init_value=VALUE),
    "warmup_exponential": dict(peak_value=POSITIVE, init_value=VALUE),  # the rest is checked by `exponential`
    "scale": dict(factor=VALUE),
    "sgdr": dict(peak_value=VALUE, end_value=VALUE, cycle_decay=POSITIVE, power=POSITIVE, k=POSITIVE),
    "cosine_restarts": dict(peak_value=VALUE, end_value=VALUE, init_value=VALUE),
    "cyclic": dict(base_value=VALUE, max_value=VALUE, gamma=UNIT),
    "one_cycle": dict(max_value=VALUE, pct_start=OPEN_UNIT, div_factor=POSITIVE, final_div_factor=POSITIVE),
    "one_cycle_momentum": dict(pct_start=OPEN_UNIT, base_momentum=VALUE, max_momentum=VALUE),
    "wsd": dict(peak_value=VALUE, init_value=VALUE, power=POSITIVE, min_ratio="a finite number >= 0 and <= 1",
                stable_power=POSITIVE, decay_ratio="a finite number > 0 and < 1", end_value=VALUE),
    "noise": dict(pct=UNIT, std="a finite number > 0 and <= 67 (100 * pct)"),
    "branch": dict(end_value=VALUE, end_ratio="a finite number >= 0 and <= 1", power=POSITIVE),
    "rewarm": dict(peak_value=VALUE),
    "multi_wsd": dict(peak_value=VALUE, init_value=VALUE, power=POSITIVE, min_ratio="a finite number >= 0 and <= 1"),
}
# The smallest value of every step-count argument (all at most 2**62).
WARMUP_STEPS = dict(warmup_steps=0, total_steps=1)
INT_ARGS = {
    **{fn: dict(steps=1) for fn in ("linear", "cosine", "polynomial", "tanh")},
    "exponential": dict(transition_steps=1, transition_begin=0),
    "inverse_time": dict(decay_steps=1),
    "inverse_sqrt": dict(warmup_steps=0, timescale=1),
    "step": dict(step_size=1),
    **{fn: WARMUP_STEPS for fn in ("warmup_cosine", "warmup_linear", "warmup_polynomial")},
    **{fn: dict(warmup_steps=0) for fn in ("warmup", "warmup_constant", "warmup_exponential")},
    "repeat": dict(period=1),
    "sgdr": dict(cycle_steps=1, warmup_steps=0, cycle_limit=1),
    "cosine_restarts": dict(total_steps=1, warmup_steps=0),
    "cyclic": dict(step_size_up=1, step_size_down=1),
    "wsd": dict(total_steps=1),
    "noise": dict(start=0),
    "branch": dict(at=0, steps=1),
    "rewarm": dict(at=0, warmup_steps=1),
    "multi_wsd": dict(warmup_steps=0, rewarm_steps=0),
}


def bad(fn, arg, value, exc, rule, tag="", **extra):
    """Case: ``fn(**BASE[fn], **extra, arg=value)`` fails with the standard message."""
    kwargs = {**BASE[fn], **extra, arg: value}
    return pytest.param(fn, kwargs, exc, re.escape(message(fn, arg, rule, value)), id=f"{fn}-{arg}={value!r}{tag}")


def item(fn, arg, items, k, exc, rule=COUNT):
    """Case: item ``k`` of the list argument ``arg`` is bad."""
    text = message(fn, f"{arg}[{k}]", rule, items[k])
    return pytest.param(fn, {**BASE[fn], arg: items}, exc, re.escape(text), id=f"{fn}-{arg}[{k}]={items[k]!r}")


def odd(fn, id, exc, text, marks=(), **changes):
    """Case with a message of its own."""
    return pytest.param(fn, {**BASE[fn], **changes}, exc, re.escape(text), id=f"{fn}-{id}", marks=marks)


REAL_CASES = [
    bad(fn, arg, v, exc, rule)
    for fn, args in REAL_ARGS.items()
    for arg, rule in args.items()
    for v, exc in ((NAN, ValueError), (INF, ValueError), (-1.0, ValueError), (True, TypeError), ("1.0", TypeError))
    if not (v == -1.0 and rule == "a finite number")
]
INT_CASES = [
    bad(fn, arg, v, exc, COUNT if minimum == 0 else LENGTH)
    for fn, args in INT_ARGS.items()
    for arg, minimum in args.items()
    for v, exc in ((-1, ValueError), (BIG, ValueError), (1000.0, TypeError), (NAN, TypeError), (True, TypeError),
                   ("10", TypeError), *([(0, ValueError)] if minimum == 1 else []))
]  # fmt: skip
DECAY_AFTER_WARMUP = "> warmup_steps={} (the decay needs at least one step)"
INCREASING, NON_DECREASING = "integers >= 0 in strictly increasing order", "integers >= 0 in non-decreasing order"
MISMATCH = "`{}` must have {} `{}`, got {} {} and {} {}."

SPECIAL_CASES = [
    # the decay after a warmup needs at least one step
    *[bad(fn, "total_steps", t, ValueError, DECAY_AFTER_WARMUP.format(w),
          warmup_steps=w, tag=f"-warmup_steps={w}")
      for fn in ("warmup_cosine", "warmup_linear", "warmup_polynomial") for w, t in ((10, 10), (11, 10))],
    # lists of steps
    bad("multistep", "milestones", [30, 10], ValueError, NON_DECREASING),
    bad("multistep", "milestones", 10, TypeError, "a list or tuple"),
    bad("multistep", "milestones", {10}, TypeError, "a list or tuple"),
    bad("multistep", "milestones", "10", TypeError, "a list or tuple"),
    bad("piecewise_constant", "boundaries", [20, 10], ValueError, INCREASING),
    bad("piecewise_constant", "boundaries", [10, 10], ValueError, INCREASING),
    bad("piecewise_linear", "knots", [10, 0], ValueError, NON_DECREASING),
    bad("piecewise_linear", "knots", [], ValueError, "a list with at least 1 item"),
    bad("join", "boundaries", [20, 10], ValueError, INCREASING, schedules=[S] * 3),
    item("multistep", "milestones", [-1, 30], 0, ValueError),
    item("multistep", "milestones", [10, 20.0], 1, TypeError),
    item("multistep", "milestones", [BIG], 0, ValueError),
    item("piecewise_constant", "boundaries", [-1, 20], 0, ValueError),
    item("piecewise_constant", "boundaries", [10, BIG], 1, ValueError),
    item("piecewise_linear", "knots", [-1, 10], 0, ValueError),
    item("piecewise_linear", "knots", [0, BIG], 1, ValueError),
    item("join", "boundaries", [-1], 0, ValueError),
    item("join", "boundaries", [BIG], 0, ValueError),
    # lists of values, and mismatched lengths
    item("piecewise_constant", "values", [1.0, NAN, 0.1], 1, ValueError, VALUE),
    item("piecewise_linear", "values", [1.0, -1.0], 1, ValueError, VALUE),
    bad("piecewise_constant", "values", [], ValueError, "a list with at least 1 item", boundaries=[]),
    odd("piecewise_constant", "too-few-values", ValueError,
        MISMATCH.format("values", "one more item than", "boundaries", 2, "values", 2, "boundaries"), values=[1.0, 0.5]),
    odd("piecewise_constant", "too-many-values", ValueError, "got 4 values and 2 boundaries.", values=[1.0] * 4),
    odd("piecewise_linear", "values-vs-knots", ValueError,
        MISMATCH.format("values", "as many items as", "knots", 1, "values", 2, "knots"), values=[1.0]),
    odd("join", "schedules-vs-boundaries", ValueError,
        "join: " + MISMATCH.format("schedules", "one more item than", "boundaries", 2, "schedules", 2, "boundaries"),
        boundaries=[10, 20]),
    # not a Schedule where a Schedule is expected
    bad("warmup", "schedule", 1.0, TypeError, "a lrsched.Schedule"),
    bad("warmup", "schedule", {"type": "constant", "value": 1.0}, TypeError, "a lrsched.Schedule"),
    bad("scale", "schedule", None, TypeError, "a lrsched.Schedule"),
    bad("join", "schedules", S, TypeError, "a list or tuple", boundaries=[]),
    bad("join", "schedules", [], ValueError, "a list with at least 1 item", boundaries=[]),
    bad("product", "schedules", S, TypeError, "a list or tuple"),
    bad("product", "schedules", [], ValueError, "a list with at least 1 item"),
    item("join", "schedules", [S, 1.0], 1, TypeError, "a lrsched.Schedule"),
    item("product", "schedules", [S, "x"], 1, TypeError, "a lrsched.Schedule"),
    # warmup shapes and flags
    bad("warmup", "shape", "quadratic", ValueError, SHAPES),
    bad("warmup", "shape", None, TypeError, SHAPES),
    *[bad(fn, "warmup_shape", "sqrt", ValueError, SHAPES)
      for fn in ("warmup_cosine", "warmup_linear", "warmup_polynomial", "warmup_constant", "warmup_exponential")],
    bad("exponential", "staircase", 1, TypeError, "True or False"),
    bad("inverse_time", "staircase", "yes", TypeError, "True or False"),
    # family rules
    bad("exponential", "init_value", 0.0, ValueError, POSITIVE),
    bad("exponential", "end_value", None, ValueError, "given when decay_rate > 1 (growth needs a bound)",
        decay_rate=2.0),
    bad("exponential", "end_value", 2.0, ValueError, "<= init_value=1.0 when decay_rate < 1"),
    bad("exponential", "end_value", 0.5, ValueError, ">= init_value=1.0 when decay_rate > 1", decay_rate=2.0),
    bad("tanh", "upper", 3.0, ValueError, "> lower=3.0", lower=3.0, tag="-lower=3.0"),
    bad("tanh", "upper", 3.0, ValueError, "> lower=4.0", lower=4.0, tag="-lower=4.0"),
    bad("step", "gamma", 2.0, ValueError, "a finite number > 0 and <= 1"),
    bad("step", "gamma", 0.0, ValueError, "a finite number > 0 and <= 1"),
    bad("inverse_sqrt", "timescale", None, ValueError, "given when warmup_steps=0", warmup_steps=0),
    bad("warmup_exponential", "peak_value", 0.0, ValueError, POSITIVE),
    # cycles
    bad("repeat", "schedule", lrsched.sgdr(1.0, 5), ValueError,
        "a schedule without cycles (repeat the inner schedule instead)"),
    bad("repeat", "schedule", 1.0, TypeError, "a lrsched.Schedule"),
    bad("sgdr", "cycle_mult", 0.5, ValueError, "a finite number >= 1 and <= 2.14748e+09"),
    bad("sgdr", "cycle_mult", 0, ValueError, "an integer in [1, 2147483648]"),
    bad("sgdr", "cycle_mult", "2", TypeError, "a number >= 1"),
    bad("sgdr", "cycle_mult", True, TypeError, "a number >= 1"),
    bad("sgdr", "cycle_mult", NAN, ValueError, "a finite number >= 1 and <= 2.14748e+09"),
    bad("sgdr", "end_value", 2.0, ValueError, "<= peak_value=1.0"),
    bad("sgdr", "warmup_steps", 10, ValueError, "< cycle_steps=10 (each cycle needs a decay)"),
    bad("sgdr", "shape", "step", ValueError, "one of 'cosine', 'linear', 'polynomial'"),
    bad("cosine_restarts", "num_cycles", 0, ValueError, "a positive integer"),
    bad("cosine_restarts", "num_cycles", 101, ValueError, "<= total_steps - warmup_steps = 100 (each cycle needs a step)"),
    bad("cosine_restarts", "total_steps", 10, ValueError, "> warmup_steps=10", warmup_steps=10),
    bad("cyclic", "mode", "tri", ValueError, "one of 'triangular', 'triangular2', 'exp_range'"),
    bad("cyclic", "scale_mode", "epoch", ValueError, "one of 'cycle', 'iterations'"),
    bad("cyclic", "gamma", 1.5, ValueError, UNIT),
    # phases
    bad("piecewise_anneal", "knots", [0.0], ValueError, "a list with at least 2 items"),
    bad("piecewise_anneal", "knots", 3.0, TypeError, "a list or tuple"),
    item("piecewise_anneal", "knots", [0.5, 2.0], 0, ValueError, "<= 0 (step 0 must lie in a piece)"),
    bad("piecewise_anneal", "knots", [0.0, 2.0, 2.0], ValueError, "real numbers in strictly increasing order"),
    item("piecewise_anneal", "knots", [0.0, float("nan")], 1, ValueError,
         "a finite number >= -4.61169e+18 and <= 4.61169e+18"),
    bad("piecewise_anneal", "anneal", "cosine", ValueError, "one of 'cos', 'linear'"),
    bad("one_cycle", "pct_start", 1.0, ValueError, OPEN_UNIT),
    bad("one_cycle", "pct_start", 0.001, ValueError,
        "such that every phase has at least one step (int(pct_start * total_steps)=0, total_steps=100)"),
    bad("one_cycle", "pct_start", 0.5, ValueError,
        "such that every phase has at least one step (int(pct_start * total_steps)=50, total_steps=100)",
        three_phase=True),
    bad("one_cycle", "total_steps", 1, ValueError, "an integer >= 2"),
    bad("one_cycle", "anneal", "cosine", ValueError, "one of 'cos', 'linear'"),
    bad("one_cycle_momentum", "base_momentum", 0.99, ValueError, "<= max_momentum=0.95"),
    bad("wsd", "warmup_steps", 1.5, ValueError, "a finite number >= 0 and <= 1"),
    bad("wsd", "warmup_steps", "10", TypeError, "a finite number >= 0 and <= 1"),
    bad("wsd", "warmup_steps", 101, ValueError, "<= total_steps=100"),
    bad("wsd", "decay_steps", 0, ValueError, "at least one step"),
    bad("wsd", "decay_steps", 95, ValueError, "<= total_steps - warmup_steps = 90 steps"),
    bad("wsd", "decay_steps", 0.95, ValueError, "<= total_steps - warmup_steps = 90 steps"),
    bad("wsd", "decay_shape", "step", ValueError,
        "one of 'linear', 'cosine', '1-sqrt', 'minus_sqrt', 'exponential', 'power', '1-power'"),
    bad("wsd", "stable", "linear", ValueError, "one of 'constant', 'rsqrt', 'power'"),
    # noise
    bad("noise", "kind", "pink", ValueError, "one of 'gaussian', 'uniform'"),
    bad("noise", "seed", 2**32, ValueError, "an integer in [0, 4294967295]"),
    bad("noise", "stop", 0, ValueError, "> start=0"),
    bad("noise", "std", 1.0, ValueError, "a finite number > 0 and <= 0.5 (100 * pct)", pct=0.005),
    # a schedule by name (more in test_registry.py)
    bad("get", "name", "nope", ValueError, NAME_RULE),
    bad("get", "name", 1, TypeError, NAME_RULE),
    odd("get", "not-a-schedule", ValueError, "get: `name` must name a schedule, got name='plateau': ", name="plateau"),
    odd("get", "the-factory-error", ValueError, message("constant", "value", VALUE, -1.0), value=-1.0),
    # known departures from the rule
    odd("constant", "value=10**400", ValueError, "constant: `value` must be a finite number >= 0", value=10**400),
    odd("warmup_exponential", "decay_rate=-1", ValueError, "warmup_exponential: `decay_rate`", decay_rate=-1.0),
    odd("warmup_exponential", "end_value>peak", ValueError, "warmup_exponential: `end_value` must be <= peak_value",
        end_value=2.0),
    odd("multistep", "gamma**k-overflow", ValueError, "multistep: `gamma`", milestones=[1, 2], gamma=1e300),
]  # fmt: skip


@pytest.mark.parametrize("fn, kwargs, exc, pattern", REAL_CASES + INT_CASES + SPECIAL_CASES)
def test_factory_rejects(fn, kwargs, exc, pattern):
    with pytest.raises(exc, match=pattern):
        getattr(lrsched, fn)(**kwargs)


def test_base_arguments_are_valid_and_cover_every_factory():
    factories = set(lrsched.__all__) - NOT_FACTORIES
    assert set(BASE) == factories
    for fn, kwargs in BASE.items():
        assert isinstance(getattr(lrsched, fn)(**kwargs), lrsched.Schedule)


# -- evaluation ----------------------------------------------------------------

CALL_CASES = [
    pytest.param([-1], ValueError, "got a step of -1.", id="list-negative"),
    pytest.param([BIG], ValueError, f"got a step of {BIG}.", id="list-above-2**62"),
    pytest.param(np.array([BIG], np.uint64), ValueError, f"got a step of {BIG}.", id="uint64-above-2**62"),
    pytest.param([2**64], ValueError, f"got steps=[{2**64}].", id="list-beyond-int64"),
    pytest.param(np.array([1.0]), TypeError, "got steps=array([1.]).", id="float-array"),
    pytest.param([1, 2.5], TypeError, "got steps=[1, 2.5].", id="list-with-float"),
    pytest.param(1.5, TypeError, "got steps=1.5.", id="python-float"),
    pytest.param(1.0, TypeError, "got steps=1.0.", id="integral-float"),
    pytest.param(True, TypeError, "got steps=True.", id="bool"),
    pytest.param(np.True_, TypeError, "got steps=np.True_.", id="numpy-bool"),
    pytest.param([True, False], TypeError, "got steps=[True, False].", id="bool-list"),
    pytest.param(np.array([True]), TypeError, "got steps=array([ True]).", id="bool-array"),
    pytest.param("3", TypeError, "got steps='3'.", id="string"),
    pytest.param(None, TypeError, "got steps=None.", id="none"),
    pytest.param([[1], [1, 2]], TypeError, "got steps=[[1], [1, 2]].", id="ragged-list"),
    pytest.param(1 + 0j, TypeError, "got steps=(1+0j).", id="complex"),
]


@pytest.mark.parametrize("steps, exc, tail", CALL_CASES)
def test_call_rejects(steps, exc, tail):
    with pytest.raises(exc, match=fragments(CALL_RULE, tail)):
        S(steps)


@pytest.mark.parametrize("step", [-1, BIG, np.int64(-1)], ids=["-1", "2**62+1", "int64(-1)"])
def test_call_rejects_scalar_out_of_range(step):
    with pytest.raises(ValueError, match=re.escape(f"got steps={step!r}.")):
        S(step)


def test_call_scalar_error_names_call_and_steps():
    with pytest.raises(ValueError, match=re.escape("Schedule.__call__: `steps`")):
        S(-1)


AT_CASES = [(-1, ValueError), (BIG, ValueError), (1.0, TypeError), (True, TypeError), ("1", TypeError),
            (np.array(1), TypeError)]  # fmt: skip


@pytest.mark.parametrize("step, exc", AT_CASES, ids=["-1", "2**62+1", "float", "bool", "string", "0-d-array"])
def test_at_rejects(step, exc):
    with pytest.raises(exc, match=re.escape(message("Schedule.at", "step", COUNT, step))):
        S.at(step)


def table_case(id, exc, arg, value, rule=COUNT, **kwargs):
    text = message("Schedule.table", arg, rule, value)
    return pytest.param({"n": 1, **kwargs, arg: value}, exc, text, id=id)


FLOAT_DTYPES = "numpy.float64 or numpy.float32"
TABLE_CASES = [
    table_case("n-negative", ValueError, "n", -1),
    table_case("n-float", TypeError, "n", 10.0),
    table_case("n-bool", TypeError, "n", True),
    table_case("n-string", TypeError, "n", "10"),
    table_case("start-negative", ValueError, "start", -1),
    table_case("start-float", TypeError, "start", 1.0),
    table_case("start-above-2**62", ValueError, "start", BIG),
    pytest.param(dict(n=2, start=2**62), ValueError,
                 f"Schedule.table: `start + n` must be <= 2**62 + 1, got start={2**62}, n=2.", id="start+n-too-big"),
    *[table_case(f"dtype-{d}", TypeError, "dtype", d, FLOAT_DTYPES)
      for d in (np.dtype(np.int64), np.dtype("float16"), np.dtype(complex), np.dtype(">f8"), "nonsense")],
]  # fmt: skip


@pytest.mark.parametrize("kwargs, exc, text", TABLE_CASES)
def test_table_rejects(kwargs, exc, text):
    with pytest.raises(exc, match=re.escape(text)):
        S.table(**kwargs)


SENTINEL = 7.0


def filled(shape=10, dtype=np.float64, writeable=True):
    a = np.full(shape, SENTINEL, dtype)
    a.flags.writeable = writeable
    return a


OUT_CASES = [
    pytest.param(lambda: [SENTINEL] * 10, {}, TypeError, "`out` must be a numpy.ndarray, got out='list'.", id="list"),
    pytest.param(lambda: filled(dtype=np.int64), {}, TypeError,
                 "`out` must be an array of dtype float64 or float32, got out='array of dtype int64'.", id="int64"),
    pytest.param(lambda: filled(dtype=np.float16), {}, TypeError, "got out='array of dtype float16'.", id="float16"),
    pytest.param(lambda: filled(11), {}, ValueError,
                 "`out` must be an array of shape (10,), got out='array of shape (11,)'.", id="too-long"),
    pytest.param(lambda: filled((10, 1)), {}, ValueError, "got out='array of shape (10, 1)'.", id="2-d"),
    pytest.param(lambda: filled(20)[::2], {}, ValueError,
                 "`out` must be C-contiguous, got out='a non-contiguous array'.", id="non-contiguous"),
    pytest.param(lambda: filled(writeable=False), {}, ValueError,
                 "`out` must be writeable, got out='a read-only array'.", id="read-only"),
    pytest.param(lambda: filled(), dict(dtype=np.float32), TypeError,
                 "`out` must be an array of dtype float32, got out='array of dtype float64'.", id="out64-dtype32"),
    pytest.param(lambda: filled(dtype=np.float32), dict(dtype="float64"), TypeError,
                 "`out` must be an array of dtype float64, got out='array of dtype float32'.", id="out32-dtype64"),
    pytest.param(lambda: filled(), dict(dtype=np.int64), TypeError, "`dtype` must be", id="good-out-bad-dtype"),
    pytest.param(lambda: filled(), dict(start=2**62), ValueError, "`start + n` must be", id="good-out-bad-start"),
]  # fmt: skip


@pytest.mark.parametrize("make_out, kwargs, exc, text", OUT_CASES)
def test_table_rejects_out_and_leaves_it_untouched(make_out, kwargs, exc, text):
    out = make_out()
    whole = out.base if isinstance(out, np.ndarray) and out.base is not None else out
    with pytest.raises(exc, match=fragments("Schedule.table: ", text)):
        S.table(10, out=out, **kwargs)
    assert np.all(np.asarray(whole) == SENTINEL)


# -- multiplication ------------------------------------------------------------

FACTOR = "scale: `factor` must be a finite number >= 0"
MUL_CASES = [
    pytest.param(lambda: S * "x", TypeError, "can't multiply sequence", id="s*'x'"),
    pytest.param(lambda: S * None, TypeError, "unsupported operand", id="s*None"),
    pytest.param(lambda: None * S, TypeError, "unsupported operand", id="None*s"),
    pytest.param(lambda: S * True, TypeError, "unsupported operand", id="s*True"),
    pytest.param(lambda: S * [2.0], TypeError, "can't multiply sequence", id="s*list"),
    pytest.param(lambda: S * np.array([2.0]), TypeError, "does not support ufuncs", id="s*array"),
    pytest.param(lambda: S * -1.0, ValueError, f"{FACTOR}, got factor=-1.0.", id="s*-1.0"),
    pytest.param(lambda: S * NAN, ValueError, f"{FACTOR}, got factor=nan.", id="s*nan"),
    pytest.param(lambda: S * INF, ValueError, f"{FACTOR}, got factor=inf.", id="s*inf"),
    pytest.param(lambda: np.float64(-1.0) * S, ValueError, FACTOR, id="float64(-1)*s"),
    pytest.param(lambda: S * 10**400, ValueError, FACTOR, id="s*10**400"),
]


@pytest.mark.parametrize("op, exc, text", MUL_CASES)
def test_mul_rejects(op, exc, text):
    with pytest.raises(exc, match=re.escape(text)):
        op()


def test_scale_overflow_is_rejected():
    with pytest.raises(ValueError, match=re.escape("scale: `factor`")):
        lrsched.scale(lrsched.constant(1e308), 10.0)


# -- from_dict -----------------------------------------------------------------

CONST = {"type": "constant", "value": 1.0}
TYPE_RULE = "from_dict: `d['type']` must be one of branch, constant, cosine"
JSON_RULE = "plain JSON data (numbers, strings, booleans, null, lists)"


def spec(**d):
    return {"type": "multistep", "init_value": 1.0, **d}


FROM_DICT_CASES = [
    pytest.param([1], TypeError, message("from_dict", "d", "a dict", [1]), id="list"),
    pytest.param('{"type": "constant"}', TypeError, "from_dict: `d` must be a dict", id="json-string"),
    pytest.param({"value": 1.0}, ValueError, (TYPE_RULE, "got d['type']=None."), id="missing-type"),
    pytest.param({"type": "nope"}, ValueError, (TYPE_RULE, "got d['type']='nope'."), id="unknown-type"),
    pytest.param({"type": "from_dict"}, ValueError, (TYPE_RULE, "got d['type']='from_dict'."), id="not-a-family"),
    pytest.param({"type": 1}, TypeError, (TYPE_RULE, "got d['type']=1."), id="type-not-a-string"),
    pytest.param({**CONST, "foo": 2}, ValueError, "constant: unknown argument 'foo'; its arguments are value, run.",
                 id="unknown-key"),
    pytest.param({"type": "cosine"}, TypeError, "cosine: missing required arguments 'init_value' and 'steps'; its "
                 "arguments are init_value, steps, end_value, exponent, k, run.", id="missing-argument"),
    pytest.param(spec(milestones=np.array([1, 2])), TypeError,
                 message("from_dict", "d['milestones']", JSON_RULE, np.array([1, 2])), id="ndarray"),
    pytest.param(spec(milestones={1, 2}), TypeError, "got d['milestones']={1, 2}.", id="set"),
    pytest.param(spec(milestones=(1, 2)), TypeError, "got d['milestones']=(1, 2).", id="tuple"),
    pytest.param(spec(milestones=[np.int64(1)]), TypeError, "got d['milestones']=np.int64(1).", id="numpy-int-in-list"),
    pytest.param({"type": "constant", "value": object()}, TypeError, f"`d['value']` must be {JSON_RULE}", id="object"),
    pytest.param({"type": "constant", "value": {"a": 1}}, TypeError, "got d['value']={'a': 1}.", id="dict-value"),
    pytest.param({"type": "warmup", "schedule": 1.0, "warmup_steps": 1}, TypeError,
                 message("from_dict", "d['schedule']", "a dict", 1.0), id="nested-number"),
    pytest.param({"type": "warmup", "schedule": 1.0, "warmup_steps": 1}, TypeError, "d['schedule']",
                 id="nested-number-named"),
    pytest.param({"type": "warmup", "schedule": S, "warmup_steps": 1}, TypeError,
                 "from_dict: `d['schedule']` must be a dict", id="nested-Schedule"),
    pytest.param({"type": "join", "schedules": CONST, "boundaries": []}, TypeError,
                 "from_dict: `d['schedules']` must be a list of schedule dicts", id="nested-list-not-a-list"),
    pytest.param({"type": "join", "schedules": [CONST, "x"], "boundaries": [1]}, TypeError,
                 message("from_dict", "d['schedules'][1]", "a dict", "x"), id="nested-list-item"),
    pytest.param({"type": "warmup", "schedule": {"type": "cosine", "init_value": 1.0, "steps": 0}, "warmup_steps": 1},
                 ValueError, message("cosine", "steps", LENGTH, 0), id="nested-bad-value"),
    pytest.param({"type": "constant", "value": NAN}, ValueError, message("constant", "value", VALUE, NAN), id="nan"),
    pytest.param({"type": "cosine", "init_value": 1.0, "steps": 10.0}, TypeError,
                 message("cosine", "steps", LENGTH, 10.0), id="float-steps"),
]  # fmt: skip


@pytest.mark.parametrize("d, exc, text", FROM_DICT_CASES)
def test_from_dict_rejects(d, exc, text):
    before = repr(d)
    with pytest.raises(exc, match=fragments(*text) if isinstance(text, tuple) else re.escape(text)):
        lrsched.from_dict(d)
    assert repr(d) == before  # the caller's dict is not changed


# -- a caller's lists are never changed ----------------------------------------

LIST_CALLS = [
    pytest.param("multistep", dict(init_value=1.0, milestones=[30, 10, 20]), ValueError, id="multistep-unsorted"),
    pytest.param("multistep", dict(init_value=-1.0, milestones=[10, 20, 30]), ValueError, id="multistep-bad-init"),
    pytest.param("multistep", dict(init_value=1.0, milestones=[10, 20, 30]), None, id="multistep-ok"),
    pytest.param("piecewise_constant", dict(boundaries=[20, 10], values=[0.1, 0.5, 1.0]), ValueError,
                 id="piecewise_constant-unsorted"),
    pytest.param("piecewise_constant", dict(boundaries=[10, 20], values=[1.0, 0.5]), ValueError,
                 id="piecewise_constant-mismatch"),
    pytest.param("piecewise_constant", dict(boundaries=[10, 20], values=[1.0, 0.5, 0.1]), None,
                 id="piecewise_constant-ok"),
    pytest.param("join", dict(schedules=[S * 2.0, S, S], boundaries=[20, 10]), ValueError, id="join-unsorted"),
    pytest.param("join", dict(schedules=[S, S, 1.0], boundaries=[10, 20]), TypeError, id="join-not-a-schedule"),
    pytest.param("join", dict(schedules=[S * 2.0, S], boundaries=[10]), None, id="join-ok"),
]  # fmt: skip


@pytest.mark.parametrize("fn, kwargs, exc", LIST_CALLS)
def test_caller_lists_are_not_mutated(fn, kwargs, exc):
    before = {k: list(v) for k, v in kwargs.items() if isinstance(v, list)}
    if exc is None:
        getattr(lrsched, fn)(**kwargs)
    else:
        with pytest.raises(exc, match=re.escape(f"{fn}: `")):
            getattr(lrsched, fn)(**kwargs)
    for k, items in before.items():
        assert len(kwargs[k]) == len(items) and all(a is b for a, b in zip(kwargs[k], items)), k
