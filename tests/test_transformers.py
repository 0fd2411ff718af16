"""lrsched.transformers against transformers.optimization, stepped side by side on real torch optimizers.

Comparison rule (``check``), per param group, with ``peak`` the largest lr
transformers gives that group over the run::

    |lrsched - transformers| <= max(1e-12 |transformers|, 1e-15 peak, slack)

1e-12 relative where the multiplier is away from 0; where it is ~0 the
absolute floor 1e-15 x peak applies, because there transformers' own
``(1 + cos x) / 2`` cancels and the relative difference measures its
rounding, not lrsched's.  ``slack`` is 0 except for the cosine families,
where transformers forms the angle ``x = 2 pi c p`` in floats: its error,
a few ulps of ``x``, moves the value by up to ``(1 - r) |sin x| / 2`` times
that -- more than 1e-12 relative near a zero of the cosine once ``x`` is
past ~100 (about 15 periods, reached with a large ``num_cycles`` or far
past ``num_training_steps``).  ``slack`` is that bound (8 ulps of ``x``).
Wherever the slack is used, ``test_cosine_families_match_an_exact_oracle``
holds lrsched to the plain rule (no slack) against values computed with the
cosine's phase reduced exactly (``Fraction``), so the slack never hides an
error of lrsched's.
"""

import inspect
import json
import math
import re
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrsched
from peers import record, require

torch = require("torch")
require("transformers")
import transformers.optimization as HF  # noqa: E402
from transformers.trainer_utils import SchedulerType  # noqa: E402

import lrsched.transformers as LT  # noqa: E402
from lrsched._validate import ArgumentError  # noqa: E402

LRS = (0.1, 0.05, 0.3)  # three param groups ...
DEFAULT_LR = 0.7  # ... and an optimizer.defaults["lr"] that none of them has
ULP = 2.0**-53


def optimizer(lrs=LRS, default=DEFAULT_LR):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=default)


def trace(opt, sched, n):
    """Each group's lr at steps 0 .. n-1 (n-1 calls to ``step()``), as an (n, groups) array."""
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "step() before optimizer.step()"
        for k in range(n):
            rows.append([float(g["lr"]) for g in opt.param_groups])
            if k < n - 1:
                sched.step()
    return np.array(rows)


def build(module, name, args, kwargs, opt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # get_wsd_schedule's "Both ... are specified"
        return getattr(module, name)(opt, *args, **kwargs)


def both(name, args, kwargs, n):
    """(transformers' trace, lrsched's trace) over n steps on equal fresh optimizers."""
    out = []
    for module in (HF, LT):
        opt = optimizer()
        out.append(trace(opt, build(module, name, args, kwargs, opt), n))
    record(f"transformers.{name}", out[1], out[0])
    return out


def check(got, want, slack=None):
    """The comparison rule of the module docstring; ``slack``: per step, in multiplier units."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape
    peak = np.max(np.abs(want), axis=0)
    base = np.array(LRS[: want.shape[1]])
    allowed = np.maximum(1e-12 * np.abs(want), 1e-15 * peak)
    if slack is not None:
        allowed = np.maximum(allowed, np.outer(slack, base))
    bad = np.abs(got - want) > allowed
    if bad.any():
        t, k = np.argwhere(bad)[0]
        raise AssertionError(f"step {t}, group {k}: lrsched {got[t, k]!r}, transformers {want[t, k]!r}")


# -- the configurations -----------------------------------------------------------------------
# (name, args after the optimizer, kwargs, steps).  Every run goes past num_training_steps.

C = "get_cosine_schedule_with_warmup"
R = "get_cosine_with_hard_restarts_schedule_with_warmup"
P = "get_polynomial_decay_schedule_with_warmup"
M = "get_cosine_with_min_lr_schedule_with_warmup"
MR = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
WSD = "get_wsd_schedule"
ODD = 0.123456789  # no ratio of small integers: the slow path

CASES = [
    ("get_constant_schedule", (), {}, 50),
    ("get_constant_schedule_with_warmup", (0,), {}, 20),
    ("get_constant_schedule_with_warmup", (1,), {}, 20),
    ("get_constant_schedule_with_warmup", (37,), {}, 100),
    ("get_linear_schedule_with_warmup", (0, 1), {}, 10),
    ("get_linear_schedule_with_warmup", (0, 2), {}, 10),
    ("get_linear_schedule_with_warmup", (1, 3), {}, 10),
    ("get_linear_schedule_with_warmup", (5, 5), {}, 20),  # warmup == total
    ("get_linear_schedule_with_warmup", (30, 7), {}, 60),  # total < warmup
    ("get_linear_schedule_with_warmup", (100, 1_000), {}, 1_500),
    ("get_linear_schedule_with_warmup", (0, 2_999), {}, 3_000),
    (C, (0, 1), {}, 10),
    (C, (0, 2), {}, 10),
    (C, (1, 3), {}, 12),
    (C, (4, 4), {}, 20),  # warmup == total: L = 1, alternates 1, 0
    (C, (9, 3), {}, 30),  # total < warmup
    (C, (100, 1_000), {}, 3_000),  # rises again past T, back to the peak at 2T - W
    (C, (10, 1_000), dict(num_cycles=0.3), 3_000),
    (C, (0, 97), dict(num_cycles=1.0), 400),
    (C, (0, 100), dict(num_cycles=7.25), 3_000),
    (C, (5, 205), dict(num_cycles=25), 1_000),  # large: 25 waves in 200 steps
    (C, (3, 1_003), dict(num_cycles=1 / 3), 3_000),
    (C, (0, 100), dict(num_cycles=0), 50),
    (C, (3, 200), dict(num_cycles=ODD), 500),
    (R, (0, 1), {}, 10),
    (R, (0, 2), {}, 10),
    (R, (0, 3), dict(num_cycles=2), 10),
    (R, (5, 5), {}, 20),
    (R, (10, 4), {}, 30),
    (R, (2, 10), dict(num_cycles=2), 20),
    (R, (10, 1_000), dict(num_cycles=3), 1_500),  # 990 / 3: whole cycles
    (R, (10, 1_000), dict(num_cycles=7), 1_500),  # 990 / 7: real cycle lengths
    (R, (0, 100), dict(num_cycles=2.5), 200),
    (R, (0, 10), dict(num_cycles=30), 30),  # a restart at every step
    (R, (0, 97), dict(num_cycles=40), 150),
    (R, (0, 1_000), dict(num_cycles=0.5), 1_200),
    (R, (0, 100), dict(num_cycles=0), 150),
    (R, (7, 300), dict(num_cycles=ODD), 400),
    (P, (0, 1), {}, 10),
    (P, (0, 2), dict(power=0.5), 10),
    (P, (1, 3), dict(lr_end=0.01, power=2.0), 10),
    (P, (10, 1_000), dict(lr_end=0.01, power=2.0), 1_500),
    (P, (100, 2_000), dict(lr_end=0.2, power=3.7), 3_000),
    (P, (0, 500), dict(lr_end=0.0, power=0.3), 800),
    (P, (10, 5), dict(lr_end=0.01), 30),  # total < warmup: the floor after the warmup
    (P, (10, 100), dict(power=0.0), 150),
    ("get_inverse_sqrt_schedule", (0,), {}, 3_000),  # timescale 10_000
    ("get_inverse_sqrt_schedule", (1,), {}, 100),
    ("get_inverse_sqrt_schedule", (100,), {}, 3_000),
    ("get_inverse_sqrt_schedule", (5,), dict(timescale=3), 100),
    ("get_inverse_sqrt_schedule", (0,), dict(timescale=1), 100),
    (M, (0, 1), dict(min_lr_rate=0.1), 10),
    (M, (4, 4), dict(min_lr=0.07), 20),
    (M, (9, 3), dict(min_lr=0.07), 30),
    (M, (100, 1_000), dict(min_lr=0.01), 3_000),  # floor 0.01 / 0.7 of each group's lr
    (M, (10, 1_000), dict(min_lr_rate=0.2, num_cycles=1.5), 3_000),
    (M, (0, 300), dict(min_lr_rate=0.05, num_cycles=20), 1_000),
    (M, (0, 100), dict(min_lr=1.4), 300),  # a floor above defaults["lr"]: values between 1 and 2
    (M, (5, 50), dict(min_lr_rate=1.0), 100),
    (M, (3, 200), dict(min_lr_rate=0.1, num_cycles=ODD), 500),
    (MR, (0, 1), dict(min_lr_rate=0.1), 10),
    (MR, (0, 3), dict(min_lr_rate=0.1), 12),
    (MR, (1, 3), dict(min_lr_rate=0.1), 12),
    (MR, (2, 6), dict(min_lr_rate=0.1), 20),
    (MR, (5, 5), dict(min_lr_rate=0.1), 20),
    (MR, (9, 3), dict(min_lr=0.07), 30),
    (MR, (0, 1_000), dict(min_lr=0.01), 3_000),
    (MR, (100, 1_000), dict(min_lr=0.01), 3_000),
    (MR, (1, 1_000), dict(min_lr_rate=0.1, warmup_lr_rate=0.3), 2_000),
    (MR, (2, 100), dict(min_lr_rate=0.1, warmup_lr_rate=0.0), 300),
    (MR, (7, 1_000), dict(min_lr_rate=0.1, warmup_lr_rate=0.3, num_cycles=2.2), 3_000),
    (MR, (0, 77), dict(min_lr_rate=0.3, num_cycles=3), 500),
    (MR, (3, 200), dict(min_lr_rate=0.1, num_cycles=ODD), 500),
    (WSD, (10, 100), dict(num_training_steps=1_000), 1_200),
    (WSD, (0, 0), dict(num_training_steps=0), 10),
    (WSD, (0, 1), dict(num_training_steps=1, decay_type="linear"), 10),
    (WSD, (1, 1), dict(num_training_steps=2, min_lr_ratio=0.5), 10),
    (WSD, (0, 50), dict(num_stable_steps=0, decay_type="1-sqrt", min_lr_ratio=0.2), 100),
    (WSD, (20, 0), dict(num_stable_steps=30, warmup_type="cosine", min_lr_ratio=0.1), 100),  # no decay
    (WSD, (20, 30), dict(num_training_steps=500, num_stable_steps=40), 200),  # both: num_stable_steps wins
    (WSD, (10, 100), dict(num_training_steps=1_000, decay_type="cosine", num_cycles=1.7, min_lr_ratio=0.1), 1_200),
    (WSD, (10, 100), dict(num_training_steps=300, decay_type="cosine", num_cycles=12, min_lr_ratio=0.1), 400),
    (WSD, (10, 100), dict(num_training_steps=300, num_cycles=0), 400),
    (WSD, (5, 97), dict(num_training_steps=300, num_cycles=ODD, warmup_type="1-sqrt"), 400),
    (WSD, (40, 40), dict(num_training_steps=100, min_lr_ratio=1.0), 150),
] + [
    (WSD, (30, 60), dict(num_training_steps=200, warmup_type=w, decay_type=d, min_lr_ratio=m), 250)
    for w in ("linear", "cosine", "1-sqrt")
    for d in ("linear", "cosine", "1-sqrt")
    for m in (0.0, 0.1)
]  # fmt: skip


def case_id(case):
    name, args, kwargs, n = case
    short = name.replace("get_", "").replace("_schedule", "").replace("_with_warmup", "")
    return f"{short}{list(args)}" + "".join(f"-{k}={v}" for k, v in kwargs.items())


# -- what transformers rounds: the slack of the module docstring, and an exact oracle -------------


def _cycles_of(kwargs, default):
    c = kwargs.get("num_cycles", default)
    f = Fraction(c).limit_denominator(10**6)  # lrsched reads num_cycles as the simplest fraction near it
    return f if float(f) == c else Fraction(c)


def _floor(kwargs):
    if kwargs.get("min_lr") is not None:
        return kwargs["min_lr"] / DEFAULT_LR
    return kwargs.get("min_lr_rate", kwargs.get("min_lr_ratio", 0.0))


def cosine_phase(name, args, kwargs, t):
    """(y, factor, kind) for step t of a cosine family: the value is r + (1 - r) cos^2(pi y)
    (kind "wave") or cos^2(pi frac(y) / 2) (kind "restart"); None where no cosine applies."""
    if name in (C, M, MR, R):
        w, total = args
        L = max(1, total - w)
        if t < w:
            return None
        if name == R:
            return (_cycles_of(kwargs, 1) * Fraction(t - w, L), 1.0, "restart") if t - w < L else None
        shift = 1 if name == MR else 0
        return _cycles_of(kwargs, 0.5) * Fraction(t - w + shift, L), 1.0 - _floor(kwargs), "wave"
    if name == WSD and kwargs.get("decay_type", "cosine") == "cosine":
        w, d = args
        s = kwargs.get("num_stable_steps")
        s = kwargs["num_training_steps"] - w - d if s is None else s
        if w + s <= t < w + s + d:
            return _cycles_of(kwargs, 0.5) * Fraction(t - w - s, max(1, d)), 1.0 - _floor(kwargs), "wave"
    return None


def slack(name, args, kwargs, n):
    """transformers' rounding of the cosine's angle, as a bound on the multiplier, per step."""
    out = np.zeros(n)
    for t in range(n):
        phase = cosine_phase(name, args, kwargs, t)
        if phase is None:
            continue
        y, factor, kind = phase
        if kind == "wave":  # angle x = 2 pi y; d/dx (1 + cos x) / 2 = -sin(x) / 2
            x = 2 * math.pi * float(y)
            out[t] = abs(factor) * abs(math.sin(x)) / 2 * 8 * ULP * x
        else:  # angle x = pi frac(y), with frac(y) rounded like y
            x = math.pi * float(y % 1)
            out[t] = abs(math.sin(x)) / 2 * math.pi * 8 * ULP * max(float(y), 1.0)
    return out


def cos2pi(f):
    """cos^2(pi f) for a Fraction f, to a few ulps even next to a zero (the angle is reduced exactly)."""
    f = f % 1
    f = min(f, 1 - f)
    if f <= Fraction(1, 4):
        return 1.0 - math.sin(math.pi * float(f)) ** 2
    return math.sin(math.pi * float(Fraction(1, 2) - f)) ** 2


def exact_multiplier(name, args, kwargs, t):
    """The cosine families' multiplier at step t, the cosine from an exactly reduced phase."""
    phase = cosine_phase(name, args, kwargs, t)
    if name == WSD:
        w, d = args
        s = kwargs.get("num_stable_steps")
        s = kwargs["num_training_steps"] - w - d if s is None else s
        m = _floor(kwargs)
        if t < w:
            p = t / w
            f = {"linear": p, "cosine": 0.5 * (1 - math.cos(math.pi * p)), "1-sqrt": 1 - math.sqrt(1 - p)}
            return m + (1 - m) * f[kwargs.get("warmup_type", "linear")]
        if t < w + s:
            return 1.0
        if phase is None:
            return m
    w = args[0]
    if t < w:
        wr = kwargs.get("warmup_lr_rate")
        if name != MR:
            return t / w
        return (t + 1) / w if wr is None else wr + (1 - wr) * t / max(1, w - 1)
    if phase is None:  # restarts past the end
        return 0.0
    y, factor, kind = phase
    if kind == "restart":
        return cos2pi((y % 1) / 2)
    return (1 - factor) + factor * cos2pi(y)


# -- parity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_same_lr_as_transformers_in_every_group_at_every_step(case):
    name, args, kwargs, n = case
    want, got = both(name, args, kwargs, n)
    check(got, want, slack(name, args, kwargs, n))


COSINE_CASES = [c for c in CASES if c[0] in (C, M, MR, R) or (c[0] == WSD and c[2].get("decay_type", "cosine")
                                                                == "cosine")]  # fmt: skip


@pytest.mark.parametrize("case", COSINE_CASES, ids=case_id)
def test_cosine_families_match_an_exact_oracle(case):
    """The plain rule, no slack, against the phase reduced exactly: lrsched is the accurate one."""
    name, args, kwargs, n = case
    opt = optimizer()
    got = trace(opt, build(LT, name, args, kwargs, opt), n)
    want = np.outer([exact_multiplier(name, args, kwargs, t) for t in range(n)], LRS)
    check(got, want)


def test_the_slack_is_needed_only_where_transformers_rounds_a_large_angle():
    """Without the slack, the large-angle case fails against transformers (and not against the oracle)."""
    case = (C, (0, 100), dict(num_cycles=7.25), 3_000)
    want, got = both(*case)
    with pytest.raises(AssertionError):
        check(got, want)
    check(got, want, slack(*case))
    t = int(np.argmax(np.abs(got - want)[:, 0] / np.abs(want[:, 0]).clip(1e-300)))
    exact = exact_multiplier(*case[:3], t) * LRS[0]
    assert abs(got[t, 0] - exact) < abs(want[t, 0] - exact)


@pytest.mark.parametrize("name", ["get_constant_schedule_with_warmup", "get_linear_schedule_with_warmup"])
def test_linear_families_are_bit_identical(name):
    args = (10,) if name == "get_constant_schedule_with_warmup" else (10, 1_000)
    want, got = both(name, args, {}, 1_200)
    np.testing.assert_array_equal(got, want)


NICE_CYCLES = [0.0, 0.25, 0.3, 0.5, 1.0, 1.5, 2.0, 3.0, 7.0, 1 / 3]


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from([C, R, M, MR]),
    w=st.integers(0, 60), span=st.integers(-5, 300),
    cycles=st.one_of(st.sampled_from(NICE_CYCLES), st.floats(0.0, 12.0)),
    rate=st.floats(0.0, 1.0), use_min_lr=st.booleans(), warmup_lr_rate=st.one_of(st.none(), st.floats(0.0, 1.0)),
)  # fmt: skip
def test_random_cosine_configurations(name, w, span, cycles, rate, use_min_lr, warmup_lr_rate):
    total = max(0, w + span)
    kwargs = {"num_cycles": cycles}
    if name in (M, MR):
        kwargs.update(min_lr=rate * DEFAULT_LR) if use_min_lr else kwargs.update(min_lr_rate=rate)
    if name == MR:
        kwargs["warmup_lr_rate"] = warmup_lr_rate
    n = min(600, 2 * total + 20)
    want, got = both(name, (w, total), kwargs, n)
    check(got, want, slack(name, (w, total), kwargs, n))


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(["linear", "polynomial", "inverse_sqrt", "constant_with_warmup"]),
    w=st.integers(0, 60), span=st.integers(-5, 300), lr_end=st.floats(0.0, 0.69), power=st.floats(0.0, 4.0),
    timescale=st.one_of(st.none(), st.integers(1, 500)),
)  # fmt: skip
def test_random_decay_configurations(name, w, span, lr_end, power, timescale):
    total = max(0, w + span)
    name, args, kwargs = {
        "linear": ("get_linear_schedule_with_warmup", (w, total), {}),
        "polynomial": (P, (w, total + (total == w)), dict(lr_end=lr_end, power=power)),
        "inverse_sqrt": ("get_inverse_sqrt_schedule", (w,), dict(timescale=timescale)),
        "constant_with_warmup": ("get_constant_schedule_with_warmup", (w,), {}),
    }[name]  # fmt: skip
    want, got = both(name, args, kwargs, min(600, 2 * total + 20))
    check(got, want)


@settings(max_examples=40, deadline=None)
@given(
    w=st.integers(0, 50), s=st.integers(0, 80), d=st.integers(0, 120),
    give=st.sampled_from(["total", "stable", "both"]),
    warmup_type=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    decay_type=st.sampled_from(["linear", "cosine", "1-sqrt"]),
    ratio=st.floats(0.0, 1.0), cycles=st.one_of(st.sampled_from(NICE_CYCLES), st.floats(0.0, 6.0)),
)  # fmt: skip
def test_random_wsd_configurations(w, s, d, give, warmup_type, decay_type, ratio, cycles):
    kwargs = dict(warmup_type=warmup_type, decay_type=decay_type, min_lr_ratio=ratio, num_cycles=cycles)
    if give in ("total", "both"):
        kwargs["num_training_steps"] = w + s + d + (7 if give == "both" else 0)  # "both": the stable steps win
    if give in ("stable", "both"):
        kwargs["num_stable_steps"] = s
    n = min(600, 2 * (w + s + d) + 20)
    want, got = both(WSD, (w, d), kwargs, n)
    check(got, want, slack(WSD, (w, d), kwargs, n))


def test_resuming_with_last_epoch_matches_transformers():
    out = []
    for module in (HF, LT):
        opt = optimizer()
        for g in opt.param_groups:
            g["initial_lr"] = g["lr"] * 2  # a resumed run: the base lrs come from initial_lr
        sched = build(module, M, (10, 500), dict(min_lr=0.01, last_epoch=40), opt)
        out.append(trace(opt, sched, 100))
    want, got = out
    check(got, want)
    assert sched.last_epoch == 41 + 99  # construction moves to step 41
    assert want[0, 0] == pytest.approx(2 * LRS[0] * (0.01 / DEFAULT_LR + (1 - 0.01 / DEFAULT_LR) * 0.5 * (
        1 + math.cos(math.pi * 31 / 490))), rel=1e-12)  # step 41, from the doubled initial_lr


@pytest.mark.parametrize(
    "name, args, kwargs",
    [(P, (10, 100), dict(lr_end=0.05)), (M, (10, 100), dict(min_lr=0.05)), (MR, (10, 100), dict(min_lr=0.05))],
)
def test_the_floor_is_a_ratio_of_the_optimizers_default_lr(name, args, kwargs):
    """lr_end / min_lr scale with optimizer.defaults['lr'], applied to every group's own lr."""
    want, got = both(name, args, kwargs, 101)
    check(got, want)
    at_floor = args[1] - (name == MR)  # cosine_warmup_with_min_lr is one step ahead
    np.testing.assert_allclose(got[at_floor], np.array(LRS) * 0.05 / DEFAULT_LR, rtol=1e-12)


# -- what the drop-ins are ----------------------------------------------------------------------


def test_same_names_and_signatures_as_transformers():
    for name in dir(HF):
        if name.startswith("get_") and name != "get_adafactor_schedule":
            ours, theirs = inspect.signature(getattr(LT, name)), inspect.signature(getattr(HF, name))
            assert [(p.name, p.default, p.kind) for p in ours.parameters.values()] == [
                (p.name, p.default, p.kind) for p in theirs.parameters.values()
            ], name
    theirs = inspect.signature(HF.GreedyLR).parameters
    assert [(p.name, p.default) for p in inspect.signature(LT.GreedyLR).parameters.values()] == [
        (p.name, p.default) for p in theirs.values()
    ]
    assert LT.SCHEDULER_TYPES == tuple(t.value for t in SchedulerType)


@pytest.mark.parametrize("case", [c for c in CASES if c[2].get("num_cycles") != ODD], ids=case_id)
def test_each_returns_a_lambda_lr_over_schedules_whose_tables_are_the_stepped_lrs(case):
    name, args, kwargs, n = case
    opt = optimizer()
    sched = build(LT, name, args, kwargs, opt)
    assert isinstance(sched, lrsched.torch.LambdaLR) and isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    assert all(isinstance(f, lrsched.Schedule) for f in sched.lr_lambdas)
    stepped = trace(opt, sched, n)
    tables = np.stack([s.table(n) for s in sched.schedules["lr"]], axis=1)
    np.testing.assert_array_equal(tables, stepped)  # the very floats the groups received
    # The multiplier times the base lr is the same number up to rounding, not bit for bit: LambdaLR scales
    # the schedule's end values, and the kernel forms base * a * g + base * b * (1 - g) from those.
    scaled = np.stack([f.table(n) * b for f, b in zip(sched.lr_lambdas, sched.base_lrs)], axis=1)
    np.testing.assert_allclose(scaled, stepped, rtol=4 * ULP, atol=1e-300)


def test_odd_num_cycles_take_the_slow_path_with_the_same_values():
    opt = optimizer()
    sched = LT.get_cosine_schedule_with_warmup(opt, 3, 200, num_cycles=ODD)
    assert not isinstance(sched.lr_lambdas[0], lrsched.Schedule)
    with pytest.raises(AttributeError):
        sched.schedules
    json.dumps(sched.state_dict())  # still plain data


def test_reduce_lr_on_plateau_is_lrscheds_and_steps_like_transformers():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85]
    out = []
    for module in (HF, LT):
        opt = optimizer()
        kwargs = dict(factor=0.5, patience=1)
        sched = module.get_scheduler("reduce_lr_on_plateau", opt, scheduler_specific_kwargs=kwargs)
        lrs = []
        for x in metrics:
            sched.step(x)
            lrs.append([g["lr"] for g in opt.param_groups])
        out.append(np.array(lrs))
    assert isinstance(sched, lrsched.torch.ReduceLROnPlateau)
    np.testing.assert_array_equal(out[1], out[0])
    record("transformers.get_scheduler('reduce_lr_on_plateau')", out[1], out[0])
    assert out[1][-1, 0] < LRS[0]


def test_get_scheduler_takes_transformers_enum_and_passes_extra_arguments():
    out = []
    for module in (HF, LT):
        opt = optimizer()
        sched = module.get_scheduler(SchedulerType.COSINE_WITH_RESTARTS, opt, 5, 100, {"num_cycles": 3})
        out.append(trace(opt, sched, 150))
    check(out[1], out[0])
    record("transformers.get_scheduler", out[1], out[0])
    assert np.sum(np.diff(out[1][:, 0]) > 0) == 5 + 2  # the warmup, then two restarts
    direct = LT.get_cosine_with_hard_restarts_schedule_with_warmup(optimizer(), 5, 100, num_cycles=3)
    assert direct.lr_lambdas == sched.lr_lambdas


def test_lrsched_transformers_does_not_import_transformers():
    code = "import sys, lrsched.transformers; assert 'transformers' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


# -- resume ---------------------------------------------------------------------------------------

RESUME = [
    ("get_constant_schedule", (), {}),
    ("get_constant_schedule_with_warmup", (20,), {}),
    ("get_linear_schedule_with_warmup", (20, 200), {}),
    (C, (20, 200), {}),
    (C, (3, 200), dict(num_cycles=ODD)),
    (R, (20, 200), dict(num_cycles=3)),
    (P, (20, 200), dict(lr_end=0.01, power=2.0)),
    ("get_inverse_sqrt_schedule", (20,), {}),
    (M, (20, 200), dict(min_lr=0.01)),
    (MR, (20, 200), dict(min_lr=0.01, warmup_lr_rate=0.1)),
    (WSD, (20, 50), dict(num_training_steps=200, decay_type="1-sqrt")),
]


@pytest.mark.parametrize("case", RESUME, ids=lambda c: case_id((*c, 0)))
def test_state_dict_through_json_resumes_exactly(case):
    name, args, kwargs = case
    n, cut = 300, 137
    opt = optimizer()
    whole = trace(opt, build(LT, name, args, kwargs, opt), n)
    opt = optimizer()
    sched = build(LT, name, args, kwargs, opt)
    first = trace(opt, sched, cut + 1)
    state = json.loads(json.dumps(sched.state_dict()))
    fresh = optimizer()  # a new process: lrs as configured, no initial_lr yet
    resumed = build(LT, name, args, kwargs, fresh)
    fresh.load_state_dict(opt.state_dict())  # the optimizer's state holds the lrs, as in torch and transformers
    resumed.load_state_dict(state)
    assert resumed.last_epoch == cut
    rest = trace(fresh, resumed, n - cut)
    np.testing.assert_array_equal(np.vstack([first[:-1], rest]), whole)


# -- errors ---------------------------------------------------------------------------------------

# (id, make(module, optimizer), whether the message is transformers' too)
SAME_ERRORS = [
    ("unknown name", lambda M, o: M.get_scheduler("cosine_annealing", o, 1, 10), True),
    ("name not a string", lambda M, o: M.get_scheduler(5, o, 1, 10), True),
    ("warmup missing", lambda M, o: M.get_scheduler("linear", o, num_training_steps=10), True),
    ("warmup missing (inverse_sqrt)", lambda M, o: M.get_scheduler("inverse_sqrt", o), True),
    ("warmup missing (wsd)", lambda M, o: M.get_scheduler("warmup_stable_decay", o), True),
    ("total missing", lambda M, o: M.get_scheduler("cosine", o, 10), True),
    ("total missing (polynomial)", lambda M, o: M.get_scheduler("polynomial", o, 10), True),
    ("total missing (min lr)", lambda M, o: M.get_scheduler("cosine_with_min_lr", o, 10), True),
    ("unknown keyword", lambda M, o: M.get_scheduler("linear", o, 1, 10, {"num_cycles": 2}), False),
    ("wsd without total or stable", lambda M, o: M.get_scheduler("warmup_stable_decay", o, 1,
                                                                 scheduler_specific_kwargs={"num_decay_steps": 3}),
     True),
    ("wsd warmup type", lambda M, o: M.get_wsd_schedule(o, 1, 3, 10, warmup_type="exp"), True),
    ("wsd decay type", lambda M, o: M.get_wsd_schedule(o, 1, 3, 10, decay_type="minus_sqrt"), True),
    ("min_lr and min_lr_rate", lambda M, o: M.get_scheduler("cosine_with_min_lr", o, 1, 10,
                                                            {"min_lr": 0.1, "min_lr_rate": 0.1}), True),
    ("neither min_lr nor min_lr_rate", lambda M, o: M.get_scheduler("cosine_warmup_with_min_lr", o, 1, 10), True),
    ("lr_end not below the default lr", lambda M, o: M.get_polynomial_decay_schedule_with_warmup(o, 1, 10, lr_end=0.7),
     True),
    ("plateau mode", lambda M, o: M.get_scheduler("reduce_lr_on_plateau", o, scheduler_specific_kwargs={"mode": "x"}),
     True),
    ("plateau factor", lambda M, o: M.get_reduce_on_plateau_schedule(o, factor=1.0), True),
    ("greedy factor", lambda M, o: M.get_scheduler("greedy", o, scheduler_specific_kwargs={"factor": 1.5}), True),
    ("greedy min_lr list", lambda M, o: M.get_greedy_schedule(o, min_lr=[0.1]), True),
    ("greedy max_lr list", lambda M, o: M.GreedyLR(o, max_lr=[0.1, 0.2]), True),
    ("greedy mode", lambda M, o: M.GreedyLR(o, mode="x"), True),
    ("greedy threshold mode", lambda M, o: M.GreedyLR(o, threshold_mode="x"), True),
]  # fmt: skip


@pytest.mark.parametrize("make, same_message", [c[1:] for c in SAME_ERRORS], ids=[c[0] for c in SAME_ERRORS])
def test_errors_are_transformers_exception_types(make, same_message):
    raised = []
    for module in (HF, LT):
        opt = optimizer()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                make(module, opt)
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            raised.append(e)
        else:
            raised.append(None)
    assert raised[0] is not None, "transformers accepted it"
    # the same exception type, or (for a misspelled argument) lrsched's ArgumentError, a subclass of it that
    # says which names are close: code that catches transformers' TypeError catches it too
    assert type(raised[1]) is type(raised[0]) or (isinstance(raised[1], type(raised[0])) and isinstance(
        raised[1], ArgumentError)), raised
    if same_message:
        assert str(raised[1]) == str(raised[0])


REFUSED = [
    ("negative warmup", lambda o: LT.get_linear_schedule_with_warmup(o, -1, 10), ValueError, "num_warmup_steps"),
    ("float warmup", lambda o: LT.get_linear_schedule_with_warmup(o, 2.5, 10), TypeError, "num_warmup_steps"),
    ("negative total", lambda o: LT.get_cosine_schedule_with_warmup(o, 1, -10), ValueError, "num_training_steps"),
    ("negative cycles", lambda o: LT.get_cosine_schedule_with_warmup(o, 1, 10, num_cycles=-0.5), ValueError,
     "num_cycles"),
    ("nan cycles", lambda o: LT.get_cosine_with_hard_restarts_schedule_with_warmup(o, 1, 10, num_cycles=math.nan),
     ValueError, "num_cycles"),
    ("string cycles", lambda o: LT.get_cosine_schedule_with_warmup(o, 1, 10, num_cycles="2"), TypeError, "num_cycles"),
    ("negative power", lambda o: LT.get_polynomial_decay_schedule_with_warmup(o, 1, 10, power=-1.0), ValueError,
     "power"),
    ("negative lr_end", lambda o: LT.get_polynomial_decay_schedule_with_warmup(o, 1, 10, lr_end=-0.1), ValueError,
     "lr_end"),
    ("polynomial total == warmup", lambda o: LT.get_polynomial_decay_schedule_with_warmup(o, 10, 10), ValueError,
     "num_training_steps"),
    ("optimizer without defaults", lambda o: LT.get_polynomial_decay_schedule_with_warmup(_NoDefaults(), 1, 10),
     TypeError, "optimizer"),
    ("timescale 0", lambda o: LT.get_inverse_sqrt_schedule(o, 5, timescale=0), ValueError, "timescale"),
    ("negative min_lr", lambda o: LT.get_cosine_with_min_lr_schedule_with_warmup(o, 1, 10, min_lr=-0.1), ValueError,
     "min_lr"),
    ("negative min_lr_rate", lambda o: LT.get_cosine_with_min_lr_schedule_with_warmup(o, 1, 10, min_lr_rate=-0.1),
     ValueError, "min_lr_rate"),
    ("negative warmup_lr_rate", lambda o: LT.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
        o, 1, 10, min_lr_rate=0.1, warmup_lr_rate=-0.5), ValueError, "warmup_lr_rate"),
    ("wsd negative stable", lambda o: LT.get_wsd_schedule(o, 10, 10, num_training_steps=15), ValueError,
     "num_training_steps"),
    ("wsd ratio above 1", lambda o: LT.get_wsd_schedule(o, 10, 10, 100, min_lr_ratio=1.5), ValueError, "min_lr_ratio"),
    ("greedy negative patience", lambda o: LT.GreedyLR(o, patience=-1), ValueError, "GreedyLR: `patience"),
    ("greedy factor 0", lambda o: LT.GreedyLR(o, factor=0.0), ValueError, "GreedyLR: `factor"),
    ("greedy window 0", lambda o: LT.GreedyLR(o, smooth=True, window_size=0), ValueError, "window_size"),
    # transformers fails with an AttributeError on None; lrsched names the argument, as lrsched.torch does
    ("no optimizer", lambda o: LT.get_scheduler("linear", None, 1, 10), TypeError, "optimizer"),
]  # fmt: skip


class _NoDefaults:
    param_groups = [{"lr": 0.1}]


@pytest.mark.parametrize("make, exc, arg", [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED])
def test_arguments_transformers_leaves_unchecked_are_refused_by_name(make, exc, arg):
    opt = optimizer()
    with pytest.raises(exc, match=f"{arg}`" if ":" in arg else f"`{arg}`"):
        make(opt)
    assert [g["lr"] for g in opt.param_groups] == list(LRS) and all("initial_lr" not in g for g in opt.param_groups)


def test_polynomial_with_total_equal_to_warmup_crashes_in_transformers():
    """Why lrsched refuses it: transformers divides by zero on reaching that step."""
    opt = optimizer()
    sched = HF.get_polynomial_decay_schedule_with_warmup(opt, 3, 3)
    with pytest.raises(ZeroDivisionError):
        trace(opt, sched, 5)


def test_wsd_warns_like_transformers_when_both_lengths_are_given():
    for module in (HF, LT):
        with pytest.warns(UserWarning, match="num_stable_steps will be used"):
            module.get_wsd_schedule(optimizer(), 1, 3, num_training_steps=10, num_stable_steps=2)


# -- GreedyLR -------------------------------------------------------------------------------------

GREEDY = [
    dict(factor=0.5, patience=1, min_lr=0.01, max_lr=0.5),
    dict(factor=0.9, patience=2, cooldown=2, warmup=1, threshold=0.01, threshold_mode="rel", min_lr=[0.01, 0.02, 0.03]),
    dict(mode="max", factor=0.8, patience=0, min_lr=0.04, max_lr=[0.2, 0.1, 0.5], reset_start=3),
    dict(factor=0.5, patience=1, min_lr=0.05, reset_start=2, smooth=True, window_size=3),
]  # fmt: skip


def greedy_run(module, kwargs, metrics, opt=None):
    opt = opt or optimizer()
    sched = module.GreedyLR(opt, **kwargs)
    lrs = []
    for x in metrics:
        sched.step(x)
        lrs.append([float(g["lr"]) for g in opt.param_groups] + [float(v) for v in sched.get_last_lr()])
    return sched, np.array(lrs)


@settings(max_examples=60, deadline=None)
@given(
    kwargs=st.sampled_from(GREEDY),
    metrics=st.lists(st.one_of(st.floats(-2.0, 2.0), st.sampled_from([0.0, 1.0, 1.0 + 1e-7])), min_size=1,
                     max_size=120),
)  # fmt: skip
def test_greedy_matches_transformers(kwargs, metrics):
    theirs, want = greedy_run(HF, kwargs, metrics)
    ours, got = greedy_run(LT, kwargs, metrics)
    np.testing.assert_array_equal(got, want)
    for key in ("best", "num_bad_epochs", "num_good_epochs", "cooldown_counter", "warmup_counter", "reset_start",
                "last_epoch"):  # fmt: skip
        assert getattr(ours, key) == getattr(theirs, key), key


def test_greedy_raises_lowers_and_resets():
    metrics = [1.0, 0.9, 0.8, 0.7] + [0.7] * 30
    theirs, want = greedy_run(HF, GREEDY[2] | dict(mode="min"), metrics)
    ours, got = greedy_run(LT, GREEDY[2] | dict(mode="min"), metrics)
    np.testing.assert_array_equal(got, want)
    col = got[:, 0]
    assert col.max() > LRS[0] and col.min() == 0.04 and np.any(np.diff(col[4:]) > 0)  # up, down to min_lr, reset


def test_greedy_state_dict_through_json_resumes_exactly_and_takes_transformers_state():
    kwargs, metrics = GREEDY[3], [1.0, 0.5, 0.6, 0.6, 0.7, 0.4, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.2, 0.3]
    _, whole = greedy_run(LT, kwargs, metrics)
    ours, first = greedy_run(LT, kwargs, metrics[:6])
    state = json.loads(json.dumps(ours.state_dict()))
    opt = optimizer()
    resumed = LT.GreedyLR(opt, **kwargs)
    resumed.load_state_dict(state)
    lrs = []
    for x in metrics[6:]:
        resumed.step(x)
        lrs.append([float(g["lr"]) for g in opt.param_groups] + resumed.get_last_lr())
    np.testing.assert_array_equal(np.vstack([first, lrs]), whole)
    theirs, _ = greedy_run(HF, kwargs, metrics[:6])
    from_theirs = LT.GreedyLR(optimizer(), **kwargs)
    from_theirs.load_state_dict(theirs.state_dict())
    assert from_theirs.state_dict() == json.loads(json.dumps(ours.state_dict()))
    other = LT.GreedyLR(optimizer(), **(kwargs | dict(factor=0.25)))
    other.load_state_dict(state)  # as transformers: the saved settings win
    assert other.factor == kwargs.get("factor", 0.95) and other.state_dict() == from_theirs.state_dict()


def test_greedy_verbose_prints_what_transformers_prints(capsys):
    kwargs = dict(factor=0.5, patience=0, min_lr=0.2, verbose=True, reset_start=2)
    metrics = [1.0, 0.5] + [0.5] * 12
    greedy_run(HF, kwargs, metrics)
    theirs = capsys.readouterr().out
    greedy_run(LT, kwargs, metrics)
    ours = capsys.readouterr().out
    assert ours == theirs and "increasing" in ours and "reducing" in ours and "reset" in ours


def test_greedy_refuses_a_damaged_state_changing_nothing():
    kwargs, metrics = GREEDY[3], [1.0, 0.5, 0.6, 0.6, 0.7, 0.4, 0.3]
    theirs, _ = greedy_run(HF, kwargs, metrics)
    state = json.loads(json.dumps(theirs.state_dict()))
    sched = LT.GreedyLR(optimizer(), **kwargs)
    before = (sched.state_dict(), sched.get_last_lr())

    def refused(bad, exc, text):
        with pytest.raises(exc, match=re.escape(text)):
            sched.load_state_dict(bad)
        assert (sched.state_dict(), sched.get_last_lr()) == before

    refused({**state, "verbose": 1}, TypeError, "state_dict['verbose']")
    refused({**state, "min_lrs": "x"}, TypeError, "state_dict['min_lrs']")
    refused({**state, "factor": 2.0}, ValueError, "state_dict['factor']")
    avg = state["_streaming_avg"]
    refused({**state, "_streaming_avg": {**avg, "values": avg["values"][:-1]}}, ValueError,
            "`state_dict['_streaming_avg']['sum']` must be the sum")
    refused({**state, "_streaming_avg": {**avg, "values": "x"}}, TypeError, "state_dict['_streaming_avg']['values']")
    refused({**state, "best": 10**400}, ValueError, "`state_dict['best']` must be a number or 'inf'/'-inf' within")
    refused({**state, "best": math.nan}, ValueError, "`state_dict['best']` must be a number or 'inf'/'-inf' (not nan)")
    with pytest.warns(UserWarning, match=re.escape("ignored the keys ['format']")):
        LT.GreedyLR(optimizer(), **kwargs).load_state_dict({**state, "format": "lrsched.torch/1"})
    partial = LT.GreedyLR(optimizer(), **kwargs)
    partial.load_state_dict({"last_epoch": 4})  # as transformers: a key left out keeps the current value
    assert partial.last_epoch == 4 and partial.factor == sched.factor
    sched.load_state_dict(state)  # the intact state loads
    assert sched.get_last_lr() == theirs.get_last_lr()


# -- transformers' habits: float step counts, tensor lrs, wrapped lambdas, checkpoints ---------------------------

HABITS = [
    ("get_linear_schedule_with_warmup", (10, 100)),
    ("get_cosine_schedule_with_warmup", (10, 100)),
    ("get_constant_schedule_with_warmup", (10,)),
    ("get_polynomial_decay_schedule_with_warmup", (10, 100)),
    ("get_inverse_sqrt_schedule", (10,)),
    ("get_cosine_with_hard_restarts_schedule_with_warmup", (10, 100)),
]


@pytest.mark.parametrize("name, args", HABITS, ids=[h[0] for h in HABITS])
def test_float_step_counts_and_tensor_lrs_as_transformers(name, args):
    runs = []
    for module in (HF, LT):
        opt = optimizer()
        opt.param_groups[1]["lr"] = torch.tensor(opt.param_groups[1]["lr"], dtype=torch.float64)
        lr = opt.param_groups[1]["lr"]
        runs.append(trace(opt, build(module, name, tuple(float(a) for a in args), {}, opt), 150))
        assert opt.param_groups[1]["lr"] is lr  # filled in place, still the same tensor
    check(runs[1], runs[0])


class _Wrapper:
    """A callable object around a lambda, as transformers' own schedule test builds for its pickling check."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


@pytest.mark.parametrize("name, args", HABITS, ids=[h[0] for h in HABITS])
def test_wrapped_lambdas_save_reload_and_continue_as_transformers(name, args):
    """transformers' test: wrap ``lr_lambdas`` in callable objects, save the state, reload it, keep stepping."""
    runs = []
    for module in (HF, LT):
        opt = optimizer()
        sched = build(module, name, args, {}, opt)
        sched.lr_lambdas = [_Wrapper(f) for f in sched.lr_lambdas]
        first = trace(opt, sched, 40)
        state = sched.state_dict()
        assert [type(d) for d in state["lr_lambdas"]] == [dict] * 3  # the wrappers' __dict__, as torch saves it
        sched.load_state_dict(state)
        runs.append(np.vstack([first, trace(opt, sched, 60)[1:]]))
    check(runs[1], runs[0])


@pytest.mark.parametrize("name, args", HABITS, ids=[h[0] for h in HABITS])
def test_checkpoints_cross_between_lrsched_and_transformers(name, args):
    """A checkpoint (torch.save, weights_only=True) of either one resumes in the other with transformers' values."""
    import io

    def saved(obj):
        buf = io.BytesIO()
        torch.save(obj, buf)
        buf.seek(0)
        return torch.load(buf, weights_only=True)

    opt = optimizer()
    want = trace(opt, build(HF, name, args, {}, opt), 120)
    for saver, loader in ((LT, HF), (HF, LT)):
        opt = optimizer()
        first = trace(opt, sched := build(saver, name, args, {}, opt), 50)
        opt2 = optimizer()
        resumed = build(loader, name, args, {}, opt2)
        opt2.load_state_dict(saved(opt.state_dict()))
        resumed.load_state_dict(saved(sched.state_dict()))
        check(np.vstack([first, trace(opt2, resumed, 71)[1:]]), want)
