"""Kernel values against the pure-Python oracle (tests/reference.py) and hand-checked fixtures.

This module is also run with NUMBA_DISABLE_JIT=1 (see .ci/run), which covers
the kernels as plain Python.
"""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched
import reference
from strategies import schedules, step_arrays

JIT = hasattr(lrsched._kernels.KERNELS["fill_const"].dispatcher, "overloads")
BIG = 10**6 if JIT else 2_000  # table sizes


def assert_close(got, want, scale=None):
    """<= 1e-12 relative error; where the true value is 0, <= 1e-15 x the schedule's largest value.

    (Below 1e-300 -- subnormals -- only an absolute floor.)
    """
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    scale = np.max(np.abs(want), initial=0.0) if scale is None else scale
    err = np.abs(got - want)
    ok = np.where(want != 0, err <= 1e-12 * np.abs(want), np.abs(got) <= 1e-15 * scale) | (err <= 1e-300)
    if not ok.all():
        k = np.flatnonzero(~ok)[:5]
        raise AssertionError(f"at indices {k.tolist()}: got {got[k].tolist()}, want {want[k].tolist()}")


def check_against_reference(s, steps):
    spec = s.to_dict()
    want = np.array(reference.values(spec, steps))
    assert_close(s(steps), want, max(reference.scale(spec), np.max(np.abs(want), initial=0.0)))
    assert np.all(np.isfinite(s(steps)))


# Hand-checked values (from the formulas on paper, and the peers' documented fixtures).
FIXTURES = {
    "linear": (lrsched.linear(init_value=1.0, end_value=0.0, steps=4), [1, 0.75, 0.5, 0.25, 0, 0, 0]),
    "cosine": (
        lrsched.cosine(init_value=1.0, end_value=0.1, steps=4),
        [1, 0.1 + 0.9 * (1 + math.sqrt(0.5)) / 2, 0.55, 0.1 + 0.9 * (1 - math.sqrt(0.5)) / 2, 0.1, 0.1],
    ),
    "cosine-squared": (lrsched.cosine(init_value=1.0, steps=2, exponent=2.0), [1, 0.25, 0, 0]),
    "polynomial": (lrsched.polynomial(init_value=1.0, steps=4, power=2.0), [1, 0.5625, 0.25, 0.0625, 0, 0, 0]),
    "exponential": (
        lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=1, transition_begin=2),
        [1, 1, 1, 0.5, 0.25, 0.125],
    ),
    "exponential-staircase": (
        lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=2, staircase=True, end_value=0.3),
        [1, 1, 0.5, 0.5, 0.3, 0.3, 0.3],
    ),
    "exponential-growth": (
        lrsched.exponential(init_value=1.0, decay_rate=2.0, transition_steps=1, end_value=5.0),
        [1, 2, 4, 5, 5],
    ),
    "inverse_time": (lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=2), [1, 2 / 3, 0.5, 0.4, 1 / 3]),
    "inverse_time-staircase": (
        lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=2, staircase=True),
        [1, 1, 0.5, 0.5, 1 / 3],
    ),
    # transformers' inverse_sqrt fixture, W = 2
    "inverse_sqrt": (
        lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=2),
        [0, 0.5, 1, 1 / math.sqrt(1.5), 1 / math.sqrt(2), 1 / math.sqrt(2.5), 1 / math.sqrt(3)],
    ),
    "tanh": (
        lrsched.tanh(init_value=1.0, steps=2, lower=-1.0, upper=1.0),
        [(1 + math.tanh(1)) / 2, 0.5, (1 - math.tanh(1)) / 2, (1 - math.tanh(1)) / 2],
    ),
    "step": (lrsched.step(init_value=1.0, step_size=2, gamma=0.5), [1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]),
    # torch's MultiStepLR fixture: a repeated milestone applies gamma twice
    "multistep": (
        lrsched.multistep(init_value=1.0, milestones=[2, 2, 5], gamma=0.5),
        [1, 1, 0.25, 0.25, 0.25, 0.125, 0.125],
    ),
    "piecewise_constant": (
        lrsched.piecewise_constant(boundaries=[1, 3], values=[3.0, 2.0, 1.0]),
        [3, 2, 2, 1, 1],
    ),
    # ignite's PiecewiseLinear fixture
    "piecewise_linear": (
        lrsched.piecewise_linear(knots=[1, 3, 5], values=[1.0, 0.8, 0.2]),
        [1, 1, 0.9, 0.8, 0.5, 0.2, 0.2, 0.2],
    ),
    "piecewise_linear-jump": (
        lrsched.piecewise_linear(knots=[0, 2, 2, 4], values=[0.0, 1.0, 3.0, 1.0]),
        [0, 0.5, 3, 2, 1, 1],
    ),
    # transformers' linear-with-warmup fixture, W = 2, T = 6
    "warmup_linear": (
        lrsched.warmup_linear(peak_value=1.0, warmup_steps=2, total_steps=6),
        [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0, 0],
    ),
    "warmup_cosine": (
        lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2, total_steps=6),
        [0, 0.5, 1, (1 + math.sqrt(0.5)) / 2, 0.5, (1 - math.sqrt(0.5)) / 2, 0, 0],
    ),
    "warmup_constant": (lrsched.warmup_constant(peak_value=1.0, warmup_steps=3), [0, 1 / 3, 2 / 3, 1, 1]),
    "warmup-cosine-shape": (lrsched.warmup(lrsched.constant(2.0), 2, shape="cosine"), [0, 1, 2, 2]),
    "warmup-1-sqrt-shape": (
        lrsched.warmup(lrsched.constant(1.0), 4, init_value=0.0, shape="1-sqrt"),
        [0, 1 - math.sqrt(0.75), 1 - math.sqrt(0.5), 1 - math.sqrt(0.25), 1, 1],
    ),
    "warmup-exponential-shape": (
        lrsched.warmup(lrsched.constant(1.0), 2, shape="exponential"),
        [0, (1 - math.exp(-2.5)) / (1 - math.exp(-5)), 1, 1],
    ),
    # DeepSpeed's WarmupLR(warmup_type="log"): log(t + 1) / log(W), the peak already at W - 1
    "warmup-log-shape": (
        lrsched.warmup(lrsched.constant(1.0), 4, shape="log"),
        [0, math.log(2) / math.log(4), math.log(3) / math.log(4), 1, 1, 1],
    ),
    "warmup-log-shape-one-step": (lrsched.warmup(lrsched.constant(2.0), 1, 0.5, "log"), [0.5, 2, 2]),
    "warmup_linear-log-from-init": (
        lrsched.warmup_linear(peak_value=1.0, warmup_steps=3, total_steps=5, init_value=0.25, warmup_shape="log"),
        [0.25, 0.25 + 0.75 * math.log(2) / math.log(3), 1, 1, 0.5, 0, 0],
    ),
    "join-local-time": (
        lrsched.join([lrsched.constant(9.0), lrsched.linear(init_value=1.0, steps=2)], [2]),
        [9, 9, 1, 0.5, 0, 0],
    ),
    "join-pieces-with-different-layer-counts": (
        lrsched.join([lrsched.constant(1.0), lrsched.constant(0.5), lrsched.constant(2.0) * lrsched.constant(3.0),
                      lrsched.constant(0.25)], [2, 4, 6]),  # fmt: skip
        [1, 1, 0.5, 0.5, 6, 6, 0.25, 0.25],
    ),
    "product": (
        lrsched.linear(init_value=1.0, steps=4) * lrsched.step(init_value=2.0, step_size=2, gamma=0.5),
        [2, 1.5, 0.5, 0.25, 0, 0],
    ),
    "scale": (lrsched.multistep(init_value=1.0, milestones=[1], gamma=0.5) * 4, [4, 2, 2]),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_hand_checked_values(name):
    s, want = FIXTURES[name]
    steps = np.arange(len(want))
    assert_close(s(steps), want, scale=1.0)
    assert_close(s.table(len(want)), want, scale=1.0)
    assert_close([s.at(int(t)) for t in steps], want, scale=1.0)
    check_against_reference(s, np.arange(len(want) + 3))


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_fixture_reference_agrees_with_hand_values(name):
    """The oracle itself must agree with the hand-checked values."""
    s, want = FIXTURES[name]
    assert_close(reference.values(s.to_dict(), range(len(want))), want, scale=1.0)


CONFIGS = {
    "warmup_cosine-1M": lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=1_000_000, end_value=3e-5),
    "cosine-zero-end-1M": lrsched.cosine(init_value=1.0, steps=1_000_000),
    "cosine-exponent": lrsched.cosine(init_value=0.5, steps=777, end_value=0.01, exponent=1.7),
    "polynomial-odd": lrsched.polynomial(init_value=2.0, steps=999, end_value=0.1, power=3.3),
    "exponential-slow": lrsched.exponential(init_value=1.0, decay_rate=0.999, transition_steps=7),
    "inverse_sqrt-timescale": lrsched.inverse_sqrt(peak_value=1e-3, warmup_steps=100, timescale=10_000),
    "tanh-default": lrsched.tanh(init_value=0.1, steps=12_345, end_value=1e-5),
    # z moves 6 per step: the per-block exp tables must not overflow (they did without Numba, found by CI)
    "tanh-one-steep-step": lrsched.tanh(init_value=0.0, steps=1, end_value=1.0, lower=0.0, upper=6.0),
    "warmup-exp-over-poly": lrsched.warmup(lrsched.polynomial(init_value=1.0, steps=5_000), 333, 0.01, "exponential"),
    # DeepSpeed's log warmup over a long ramp, and falling from a large init to a tiny peak (g near 0 keeps its digits)
    "warmup_cosine-log-warmup": lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=200_000, total_steps=1_000_000,
                                                      end_value=3e-5, warmup_shape="log"),
    "warmup-log-down-to-tiny": lrsched.warmup(lrsched.constant(1e-8), 77_777, 10.0, "log"),
    # powers that are whole or half numbers take multiplies and a sqrt instead of log and exp
    "polynomial-power-2.5": lrsched.polynomial(init_value=2.0, steps=99_999, end_value=0.01, power=2.5),
    "polynomial-power-7-k-3": lrsched.polynomial(init_value=1.0, steps=5_000, power=7.0, k=3.0),
    "polynomial-power-0.5-k-1.5": lrsched.polynomial(init_value=1.0, steps=5_000, end_value=0.2, power=0.5, k=1.5),
    "cosine-k-2-exponent-1.5": lrsched.cosine(init_value=1.0, steps=77_777, end_value=1e-3, exponent=1.5, k=2.0),
    "cosine-k-32": lrsched.cosine(init_value=1.0, steps=1_000, k=32.0),
    "wsd-1-sqrt": lrsched.wsd(peak_value=1.0, total_steps=100_000, warmup_steps=1_000, decay_steps=20_000,
                              decay_shape="1-sqrt", min_ratio=0.01),
    # cycles of one length and no decay: one period computed, then copied
    "sgdr-10-step-cycles": lrsched.sgdr(1.0, 10, end_value=0.01, warmup_steps=3),
    "sgdr-1-step-cycles": lrsched.sgdr(2.0, 1, end_value=0.5),
    "repeat-short-period": lrsched.repeat(lrsched.warmup_exponential(peak_value=1.0, warmup_steps=5, decay_rate=0.5,
                                                                      transition_steps=7), 37),
    "cyclic-short-triangular": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=3, step_size_down=5),
    # a max below the base and gamma near 1: the value is 1 - gamma**x, which must keep its digits
    "cyclic-exp-range-near-1-per-step": lrsched.cyclic(base_value=1.0, max_value=0.0, step_size_up=50,
                                                       mode="exp_range", gamma=0.99999999),  # fmt: skip
    "cyclic-exp-range-near-1-per-cycle": lrsched.cyclic(base_value=1.0, max_value=0.0, step_size_up=50,
                                                        mode="exp_range", gamma=0.99999999, scale_mode="cycle"),
    "piecewise_anneal-torch-one-cycle": lrsched.piecewise_anneal(
        knots=[0.0, 0.3 * 99_999 - 1, 99_998.0], values=[0.004, 0.1, 4e-7], anneal="cos"
    ),
    "piecewise_anneal-negative-first-knot": lrsched.piecewise_anneal(
        knots=[-0.6, 0.25, 7.5, 4_000.75], values=[1.0, 0.0, 2.0, 0.5], anneal="linear"
    ),
    "nested-join": lrsched.join(
        [lrsched.join([lrsched.constant(1.0), lrsched.cosine(init_value=2.0, steps=50)], [10]),
         lrsched.warmup_linear(peak_value=0.5, warmup_steps=5, total_steps=20)],
        [30],
    ),  # fmt: skip
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configs_at_every_boundary(name):
    s = CONFIGS[name]
    marks = reference.boundaries(s.to_dict())
    steps = sorted({b + d for b in marks for d in (-2, -1, 0, 1, 2) if b + d >= 0} | {0, 2**40, lrsched.MAX_STEP})
    check_against_reference(s, np.array(steps))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_configs_whole_table(name):
    """Every step of a long table (a strided sample against the oracle, the rest against __call__)."""
    s = CONFIGS[name]
    t = s.table(BIG)
    sample = np.unique(np.r_[np.arange(0, BIG, max(1, BIG // 3_000)), BIG - 1])
    assert_close(t[sample], reference.values(s.to_dict(), sample))
    np.testing.assert_array_equal(t, s(np.arange(BIG)))


@given(schedules, st.data())
def test_random_schedules_match_reference(s, data):
    check_against_reference(s, data.draw(step_arrays(s)))


@given(schedules, st.integers(0, 2 * 10**6), st.integers(0, 5_000))
def test_random_windows_of_table_match_reference(s, start, n):
    steps = np.arange(start, start + n)
    want = reference.values(s.to_dict(), steps)
    assert_close(s.table(n, start=start), want, max(reference.scale(s.to_dict()), np.max(np.abs(want), initial=0.0)))


def test_huge_steps_are_finite_for_growth_and_decay():
    for s in (
        lrsched.exponential(init_value=1.0, decay_rate=1.5, transition_steps=1, end_value=10.0),
        lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=1),
        lrsched.step(init_value=1.0, step_size=1, gamma=0.9),
        lrsched.inverse_time(init_value=1.0, decay_rate=5.0, decay_steps=1),
        lrsched.inverse_sqrt(peak_value=1.0, timescale=1),
    ):
        t = s.table(5, start=lrsched.MAX_STEP - 4)
        assert np.all(np.isfinite(t)) and np.all(t >= 0)
        check_against_reference(s, np.arange(lrsched.MAX_STEP - 4, lrsched.MAX_STEP + 1))
