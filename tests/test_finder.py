"""lrsched.finder: the range-test schedule, LRFinder's records, smoothing, divergence, suggestions,
hand-off, state, plot; against references computed by hand here."""

import copy
import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from peers import require

import lrsched
from lrsched import LRFinder, Suggestion, range_test


class FakeOpt:
    """A home-made optimizer: param_groups is all the finder needs."""

    def __init__(self, *lrs):
        self.param_groups = [{"lr": lr, "params": []} for lr in lrs]

    def lrs(self):
        return [g["lr"] for g in self.param_groups]


def geometric(lo, hi, steps, t):
    """The exponential range test at step t, by hand."""
    p = min(t, steps - 1) / (steps - 1)
    return math.exp(math.log(lo) + p * (math.log(hi) - math.log(lo)))


def ema(losses, beta):
    """The bias-corrected moving average, by a plain loop."""
    out, avg = [], 0.0
    for k, x in enumerate(losses):
        avg = beta * avg + (1.0 - beta) * x
        out.append(avg / (1.0 - beta ** (k + 1)))
    return out


def feed(finder, losses):
    """Record losses until the finder says the test is over; the records' return values."""
    said = []
    for x in losses:
        said.append(finder.record(x))
        if said[-1]:
            break
    return said


# -- the schedule -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lo, hi, steps",
    [(1e-7, 10.0, 100), (1e-4, 1.0, 2), (0.001, 0.002, 7), (1e-8, 1e4, 1000), (3e-5, 3.0, 64), (0.5, 0.75, 65)],
    ids=["fastai-defaults", "two-steps", "narrow", "wide", "one-block", "past-a-block"],
)
def test_exponential_is_the_geometric_sequence(lo, hi, steps):
    s = range_test(min_value=lo, max_value=hi, steps=steps)
    got = s.table(steps + 5)
    want = [geometric(lo, hi, steps, t) for t in range(steps + 5)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
    assert s.at(0) == lo and s.at(steps - 1) == hi and s.at(steps + 10**6) == hi  # the ends exactly


@pytest.mark.parametrize(
    "lo, hi, steps", [(0.0, 1.0, 5), (1e-3, 2.0, 2), (0.1, 0.3, 33)], ids=["from-zero", "two", "odd"]
)
def test_linear_is_the_straight_line(lo, hi, steps):
    s = range_test(min_value=lo, max_value=hi, steps=steps, mode="linear")
    want = [lo + (hi - lo) * min(t, steps - 1) / (steps - 1) for t in range(steps + 3)]
    np.testing.assert_allclose(s.table(steps + 3), want, rtol=1e-12, atol=1e-15)
    assert s.at(0) == lo and s.at(steps - 1) == hi and s.at(steps + 100) == hi


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_schedule_round_trips_through_its_spec(mode):
    s = range_test(min_value=1e-6, max_value=3.0, steps=50, mode=mode)
    back = lrsched.from_dict(json.loads(json.dumps(s.to_dict())))
    assert back == s
    np.testing.assert_array_equal(back.table(60), s.table(60))


@given(
    lo=st.floats(1e-9, 1.0),
    ratio=st.floats(1.5, 1e9),
    steps=st.integers(2, 3000),
    mode=st.sampled_from(["exponential", "linear"]),
)
def test_values_rise_from_min_to_max(lo, ratio, steps, mode):
    hi = lo * ratio
    t = range_test(min_value=lo, max_value=hi, steps=steps, mode=mode).table(steps + 2)
    assert t[0] == lo and t[steps - 1] == t[steps] == t[steps + 1] == hi
    assert np.all(np.diff(t[:steps]) > 0)
    if mode == "exponential":  # a constant ratio from one step to the next
        np.testing.assert_allclose(t[1:steps] / t[: steps - 1], ratio ** (1.0 / (steps - 1)), rtol=1e-10)


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(min_value=0.0, max_value=1.0, steps=10), ValueError, "`min_value` must be a finite number > 0"),
        (dict(min_value=-1.0, max_value=1.0, steps=10, mode="linear"), ValueError, "min_value=-1.0"),
        (dict(min_value=1.0, max_value=1.0, steps=10), ValueError, "`max_value` must be > min_value=1.0"),
        (dict(min_value=2.0, max_value=1.0, steps=10, mode="linear"), ValueError, "got max_value=1.0"),
        (dict(min_value=1e-3, max_value=1.0, steps=1), ValueError, "`steps` must be an integer >= 2, got steps=1"),
        (dict(min_value=1e-3, max_value=1.0, steps=10.0), TypeError, "steps=10.0"),
        (dict(min_value="1e-3", max_value=1.0, steps=10), TypeError, "min_value='1e-3'"),
        (dict(min_value=1e-3, max_value=math.inf, steps=10), ValueError, "max_value=inf"),
        (dict(min_value=1e-3, max_value=1.0, steps=10, mode="log"), ValueError, "`mode` must be one of"),
        (dict(min_value=1e-300, max_value=1e300, steps=10), ValueError, "overflows"),
    ],
    ids=["exp-min-zero", "lin-min-negative", "max-equal", "max-below", "steps-one", "steps-float", "min-str",
         "max-inf", "mode", "ratio-overflow"],
)  # fmt: skip
def test_range_test_refuses_bad_arguments(kwargs, exc, words):
    with pytest.raises(exc, match="^range_test: ") as e:
        range_test(**kwargs)
    assert words in str(e.value)


# -- recording ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_each_update_uses_the_schedule_value_and_is_recorded(mode):
    opt = FakeOpt(0.3, 0.03)
    finder = LRFinder(opt, min_value=1e-5, max_value=1.0, steps=30, mode=mode, smoothing=0.5)
    s = finder.range_schedule
    assert s == range_test(min_value=1e-5, max_value=1.0, steps=30, mode=mode)
    said = []
    for k in range(30):
        assert opt.lrs() == [s.at(k)] * 2  # update k runs at the value at k
        said.append(finder.record(1.0 + 0.01 * k))
    assert said == [False] * 29 + [True]
    assert finder.status == "finished" and finder.done
    assert finder.history["lrs"] == [s.at(k) for k in range(30)]
    assert finder.history["losses"] == [1.0 + 0.01 * k for k in range(30)]
    before = finder.history
    with pytest.raises(RuntimeError, match="used all 30 updates"):
        finder.record(1.0)
    assert finder.history == before and opt.lrs() == [1.0, 1.0]


def test_smoothed_loss_is_the_bias_corrected_average():
    rng = np.random.default_rng(3)
    losses = (2.0 + 0.3 * rng.standard_normal(80)).tolist()
    for beta in (0.98, 0.9, 0.0):
        finder = LRFinder(FakeOpt(0.1), steps=80, smoothing=beta, diverge=100.0)
        feed(finder, losses)
        assert finder.history["losses"] == losses
        np.testing.assert_allclose(finder.history["smoothed"], ema(losses, beta), rtol=1e-13)
    assert finder.history["smoothed"] == losses  # beta = 0 keeps the raw loss


def test_a_loss_may_be_a_numpy_scalar_a_0d_array_or_an_int():
    finder = LRFinder(FakeOpt(0.1), steps=10, smoothing=0.0)
    for x in (np.float32(1.5), np.array(2.5), 3, np.int64(4)):
        finder.record(x)
    assert finder.history["losses"] == [1.5, 2.5, 3.0, 4.0]
    assert all(type(x) is float for x in finder.history["losses"])


def test_divergence_stops_at_the_known_step():
    # raw loss (smoothing 0): best is 1.0 from update 3 on; 4.0 is not above 4 x 1.0, 4.5 is
    opt = FakeOpt(0.1)
    finder = LRFinder(opt, steps=50, smoothing=0.0)
    losses = [3.0, 2.0, 1.5, 1.0, 2.0, 4.0, 3.0, 4.5, 1.0, 1.0]
    assert feed(finder, losses) == [False] * 7 + [True]
    assert finder.status == "diverged" and len(finder.history["lrs"]) == 8
    assert opt.lrs() == [finder.range_schedule.at(7)]  # the optimizer keeps the last update's lr
    with pytest.raises(RuntimeError, match="diverged at update 7"):
        finder.record(1.0)


def test_divergence_of_the_smoothed_loss_matches_a_hand_loop():
    beta, d = 0.9, 4.0
    losses = [1.0 / (1 + k) + (0.0 if k < 30 else 0.5 * (k - 30) ** 2) for k in range(60)]
    smoothed = ema(losses, beta)
    expected = next(k for k in range(1, 60) if smoothed[k] > d * min(smoothed[:k]))
    finder = LRFinder(FakeOpt(0.1), steps=60, smoothing=beta, diverge=d)
    said = feed(finder, losses)
    assert len(said) == expected + 1 and said[-1] and not any(said[:-1])
    assert 30 < expected < 59  # the reference itself diverges inside the test


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 10**400], ids=["nan", "inf", "-inf", "huge-int"])
def test_a_non_finite_loss_is_a_divergence(bad):
    finder = LRFinder(FakeOpt(0.1), steps=40, smoothing=0.9)
    assert feed(finder, [1.0] * 6 + [bad, 1.0]) == [False] * 6 + [True]
    assert finder.status == "diverged"
    h = finder.history
    assert len(h["losses"]) == 7 and not math.isfinite(h["losses"][-1]) and not math.isfinite(h["smoothed"][-1])
    assert finder.suggest().points == 6  # the non-finite point is left out


def test_divergence_of_a_negative_loss_uses_its_distance_from_the_best():
    # best -2.0 and d = 4: the bound is -2 + 3 * 2 = 4
    finder = LRFinder(FakeOpt(0.1), steps=20, smoothing=0.0)
    assert feed(finder, [-1.0, -2.0, 3.9, 4.0]) == [False] * 4
    assert finder.record(4.1) is True and finder.status == "diverged"


def test_run_calls_the_train_step_until_the_end():
    opt = FakeOpt(0.1)
    finder = LRFinder(opt, min_value=1e-3, max_value=1.0, steps=40, smoothing=0.0)
    seen = []

    def train_step():
        seen.append(opt.param_groups[0]["lr"])
        return 1.0 if len(seen) < 25 else 10.0  # diverges at update 24

    assert finder.run(train_step, steps=10) is finder
    assert len(seen) == 10 and finder.status == "running"
    finder.run(train_step)
    assert len(seen) == 25 and finder.status == "diverged"
    assert seen == finder.history["lrs"] == [finder.range_schedule.at(k) for k in range(25)]
    with pytest.raises(RuntimeError, match="over"):
        finder.run(train_step)
    assert len(seen) == 25  # not called again


@pytest.mark.parametrize(
    "call, exc, words",
    [
        (lambda f: f.record("1.0"), TypeError, "`loss` must be a number or a 0-d tensor, got loss='1.0'"),
        (lambda f: f.record(None), TypeError, "loss=None"),
        (lambda f: f.record(True), TypeError, "loss=True"),
        (lambda f: f.record(np.ones(2)), TypeError, "`loss`"),
        (lambda f: f.run(1.0), TypeError, "`train_step` must be a callable"),
        (lambda f: f.run(lambda: 1.0, steps=0), ValueError, "`steps` must be a positive integer"),
        (lambda f: f.schedule("warmup_cosine", rule="max"), ValueError, "`rule` must be one of"),
        (lambda f: f.plot("x.jpg"), ValueError, "`path` must be a .png, .svg or .pdf"),
        (lambda f: f.load_state_dict({"format": "other"}), ValueError, "state_dict"),
    ],
    ids=["str", "none", "bool", "array", "run-not-callable", "run-steps-0", "rule", "plot-suffix", "state"],
)
def test_bad_input_is_refused_and_changes_nothing(call, exc, words, tmp_path):
    opt = FakeOpt(0.1)
    finder = LRFinder(opt, steps=20, smoothing=0.5)
    feed(finder, [5.0, 4.0, 3.0, 2.5, 2.0, 1.8])
    before, lrs, state = finder.history, opt.lrs(), finder.state_dict()
    with pytest.raises(exc) as e:
        call(finder)
    assert words in str(e.value)
    assert finder.history == before and opt.lrs() == lrs and finder.state_dict() == state
    feed(finder, [1.7])  # still running
    assert len(finder.history["lrs"]) == 7


@pytest.mark.parametrize(
    "kwargs, exc, words",
    [
        (dict(min_value=0.0), ValueError, "`min_value` must be a finite number > 0"),
        (dict(min_value=0.0, mode="linear"), ValueError, "`min_value` must be a finite number > 0"),
        (dict(max_value=1e-8), ValueError, "`max_value` must be > min_value=1e-07"),
        (dict(steps=1), ValueError, "`steps` must be an integer in [2, 1000000]"),
        (dict(steps=2_000_000), ValueError, "steps=2000000"),
        (dict(smoothing=1.0), ValueError, "`smoothing` must be a finite number >= 0 and < 1"),
        (dict(smoothing=-0.1), ValueError, "smoothing=-0.1"),
        (dict(diverge=1.0), ValueError, "`diverge` must be a finite number > 1"),
        (dict(diverge="4"), TypeError, "diverge='4'"),
        (dict(mode="cosine"), ValueError, "`mode`"),
        (dict(min_value=1.0, max_value=1.0 + 1e-15, steps=50), ValueError, "strictly increasing"),
    ],
    ids=["min-zero", "min-zero-linear", "max-below", "steps-1", "steps-huge", "beta-1", "beta-neg", "diverge-1",
         "diverge-str", "mode", "lrs-tie"],
)  # fmt: skip
def test_finder_refuses_bad_arguments_and_leaves_the_optimizer_alone(kwargs, exc, words):
    opt = FakeOpt(0.25, 0.5)
    with pytest.raises(exc, match="^LRFinder: ") as e:
        LRFinder(opt, **kwargs)
    assert words in str(e.value)
    assert opt.lrs() == [0.25, 0.5]


@pytest.mark.parametrize(
    "opt, exc",
    [(object(), TypeError), (type("O", (), {"param_groups": [{"momentum": 0.9}]})(), ValueError),
     (type("O", (), {"param_groups": [{"lr": 0.1}, {"lr": "fast"}]})(), TypeError)],
    ids=["no-groups", "no-lr", "lr-str"],
)  # fmt: skip
def test_an_optimizer_the_scheduler_refuses_is_refused_unchanged(opt, exc):
    before = copy.deepcopy(getattr(opt, "param_groups", None))
    with pytest.raises(exc, match="^Scheduler: "):
        LRFinder(opt)
    assert getattr(opt, "param_groups", None) == before


def test_restore_gives_every_group_its_lr_back():
    opt = FakeOpt(0.25, 0.5, 1e-3)
    finder = LRFinder(opt, steps=20)
    feed(finder, [1.0] * 5)
    assert opt.lrs() == [finder.range_schedule.at(5)] * 3
    finder.restore()
    assert opt.lrs() == [0.25, 0.5, 1e-3] and finder.status == "stopped"
    with pytest.raises(RuntimeError, match="stopped by restore"):
        finder.record(1.0)
    finder.restore()  # twice is the same
    assert opt.lrs() == [0.25, 0.5, 1e-3]
    opt.param_groups.append({"lr": 0.1})
    with pytest.raises(ValueError, match="the 3 param groups"):
        finder.restore()


# -- suggestions ----------------------------------------------------------------------------------------


def test_suggestions_on_a_curve_with_known_steepest_and_minimum_points():
    # loss = 2 + cos(1.5 pi t / 60) on an even grid of ln lr (t = 0 .. 60): the derivative
    # -1.5 pi / 60 sin(1.5 pi t / 60) is least at t = 20 and the loss least at t = 40; central
    # differences of a cosine are a sine times a constant, so the grid keeps both points
    steps = 61
    losses = [2.0 + math.cos(1.5 * math.pi * t / 60) for t in range(steps)]
    finder = LRFinder(FakeOpt(0.1), min_value=1e-6, max_value=1.0, steps=steps, smoothing=0.0)
    feed(finder, losses)
    s = finder.suggest()
    assert (s.steepest_step, s.min_loss_step, s.points, s.status) == (20, 40, 61, "finished")
    lr = finder.history["lrs"]
    assert s.steepest == lr[20] and s.min_loss_lr == lr[40] and s.min_over_10 == lr[40] / 10
    assert s.steepest == pytest.approx(geometric(1e-6, 1.0, steps, 20), rel=1e-12)
    assert s.min_loss == pytest.approx(1.0, abs=1e-15)
    # d loss / d ln lr = d loss / dt * dt / d ln lr, dt / d ln lr = 60 / ln(1e6); the central difference
    # of the cosine is sin(h) / h times the derivative (h = 1.5 pi / 60)
    h = 1.5 * math.pi / 60
    slope = -math.sin(h) * 60 / math.log(1e6)
    assert s.steepest_slope == pytest.approx(slope, rel=1e-9)


def test_steepest_skips_the_first_and_last_tenth():
    # a convex fall is steepest at its first point and a concave one at its last: the rule reads
    # the first and the last point it searches, q = max(1, n // 10) from each end
    for n, q in ((40, 4), (12, 1), (5, 1)):
        start = LRFinder(FakeOpt(0.1), steps=n, smoothing=0.0)
        feed(start, [math.exp(-t / 3) for t in range(n)])
        assert start.suggest().steepest_step == q
        end = LRFinder(FakeOpt(0.1), steps=n, smoothing=0.0)
        feed(end, [10.0 - (t / n) ** 2 for t in range(n)])
        assert end.suggest().steepest_step == n - q - 1


def test_suggest_needs_five_points():
    finder = LRFinder(FakeOpt(0.1), steps=30)
    feed(finder, [3.0, 2.0, 1.0, 0.9])
    with pytest.raises(ValueError, match="at least 5 recorded points with a finite loss, got 4"):
        finder.suggest()
    finder.record(math.nan)  # five recorded, four of them finite
    with pytest.raises(ValueError, match="got 4"):
        finder.suggest()
    with pytest.raises(ValueError, match="got 4"):
        finder.schedule("warmup_cosine", warmup_steps=1, total_steps=10)


def test_suggestion_is_frozen_and_readable():
    finder = LRFinder(FakeOpt(0.1), min_value=1e-4, max_value=1.0, steps=40, smoothing=0.0)
    feed(finder, [1.0 - math.tanh(t / 5 - 4) for t in range(40)])
    s = finder.suggest()
    assert isinstance(s, Suggestion)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.steepest = 1.0
    text = str(s)
    assert f"lr = {s.steepest:.3g}" in text and f"lr = {s.min_over_10:.3g}" in text
    assert "steepest" in text and "minimum / 10" in text and "never fell" not in text
    rising = LRFinder(FakeOpt(0.1), steps=10, smoothing=0.0, diverge=100.0)
    feed(rising, [1.0 + t for t in range(10)])
    assert "never fell" in str(rising.suggest())


# -- hand-off -------------------------------------------------------------------------------------------


def _finished():
    finder = LRFinder(FakeOpt(0.1), min_value=1e-4, max_value=1.0, steps=40, smoothing=0.0)
    feed(finder, [1.0 - math.tanh(t / 5 - 4) for t in range(40)])  # steepest at t = 20
    return finder


def test_hand_off_to_a_real_schedule():
    finder = _finished()
    s = finder.suggest()
    assert s.steepest_step == 20
    got = finder.schedule("warmup_cosine", warmup_steps=10, total_steps=100, end_value=1e-5)
    assert got == lrsched.warmup_cosine(peak_value=s.steepest, warmup_steps=10, total_steps=100, end_value=1e-5)
    assert got.at(10) == s.steepest
    low = finder.schedule(rule="min_over_10", warmup_steps=10, total_steps=100)
    assert low.at(10) == s.min_over_10 == s.min_loss_lr / 10
    assert finder.schedule("wsd", rule="min_loss_lr", total_steps=100, warmup_steps=5, decay_steps=20).at(5) == \
        s.min_loss_lr


@pytest.mark.parametrize(
    "name, kwargs, arg",
    [("cosine", dict(steps=100), "init_value"), ("one_cycle", dict(total_steps=100), "max_value"),
     ("constant", {}, "value"), ("step", dict(step_size=10), "init_value"),
     ("cosine_with_min_lr", dict(warmup_steps=2, total_steps=20), "peak_value")],
    ids=["init_value", "max_value", "value", "step", "peer-name"],
)  # fmt: skip
def test_hand_off_picks_the_peak_argument(name, kwargs, arg):
    finder = _finished()
    peak = finder.suggest().steepest
    assert finder.schedule(name, **kwargs) == lrsched.get(name, **{arg: peak}, **kwargs)


@pytest.mark.parametrize(
    "name, kwargs, exc, words",
    [("join", {}, ValueError, "a family with a peak value"),
     ("one_cycle_momentum", dict(total_steps=10), ValueError, "a family with a peak value"),
     ("warmup_cosine", dict(peak_value=0.1, warmup_steps=1, total_steps=10), ValueError,
      "`peak_value` must be left out"),
     ("no_such_schedule", {}, ValueError, "`name` must be one of lrsched.names()"),
     (3, {}, TypeError, "`name`"),
     ("warmup_cosine", dict(warmup_steps=1), TypeError, "total_steps")],
    ids=["join", "momentum", "peak-given", "unknown", "not-str", "missing-arg"],
)  # fmt: skip
def test_hand_off_refuses_what_it_cannot_build(name, kwargs, exc, words):
    with pytest.raises(exc) as e:
        _finished().schedule(name, **kwargs)
    assert words in str(e.value)


# -- state ----------------------------------------------------------------------------------------------


def test_state_round_trip_resumes_exactly():
    rng = np.random.default_rng(7)
    losses = (np.linspace(3.0, 1.0, 70) + 0.1 * rng.standard_normal(70)).tolist()
    whole = LRFinder(FakeOpt(0.1), steps=70, smoothing=0.9)
    feed(whole, losses)

    first = LRFinder(FakeOpt(0.1), steps=70, smoothing=0.9)
    feed(first, losses[:33])
    state = json.loads(json.dumps(first.state_dict()))
    opt = FakeOpt(0.7)
    second = LRFinder(opt, steps=70, smoothing=0.9)
    second.load_state_dict(state)
    assert second.history == first.history and second.status == "running"
    assert opt.lrs() == [second.range_schedule.at(33)]  # the next update's lr
    feed(second, losses[33:])
    assert second.history == whole.history and second.status == whole.status == "finished"
    assert second.suggest() == whole.suggest()
    second.restore()
    assert opt.lrs() == [0.7]  # its own optimizer's lr, not the saved run's


def test_state_of_a_diverged_test_round_trips_with_its_nan():
    finder = LRFinder(FakeOpt(0.1), steps=30)
    feed(finder, [2.0, 1.5, 1.2, 1.1, 1.0, 0.9, math.nan])
    state = json.loads(json.dumps(finder.state_dict()))
    other = LRFinder(FakeOpt(0.1), steps=30)
    other.load_state_dict(state)
    assert other.status == "diverged" and math.isnan(other.history["losses"][-1])
    assert other.suggest() == finder.suggest()
    with pytest.raises(RuntimeError, match="diverged at update 6"):
        other.record(1.0)


def _tamper(state, **changes):
    return {**copy.deepcopy(state), **changes}


@pytest.mark.parametrize(
    "change, exc, words",
    [
        (dict(steps=50), ValueError, "`state_dict['steps']` must be 40, this finder's"),
        (dict(smoothing=0.9), ValueError, "state_dict['smoothing']"),
        (dict(mode="linear"), ValueError, "state_dict['mode']"),
        (dict(format="lrsched.Scheduler/1"), ValueError, "state_dict['format']"),
        (dict(lrs=[0.1] * 6), ValueError, "the first lrs of this finder's range test"),
        (dict(smoothed=[3.0, 2.0, 1.0, 1.0, 1.0, 1.0]), ValueError, "`state_dict['smoothed'][1]` must be the smoothed"),
        (dict(losses=[3.0, 1.0, 1.5, 1.2, 1.1, 1.05]), ValueError, "state_dict['smoothed'][1]"),
        (dict(losses=[1.0] * 5), ValueError, "as many lrs, losses and smoothed losses"),
        (dict(status="finished"), ValueError, "`state_dict['status']` must be 'running'"),
        (dict(status="paused"), ValueError, "`state_dict['status']` must be one of"),
        (dict(losses="1, 2"), TypeError, "state_dict['losses']"),
        (dict(extra=1), ValueError, "unknown keys"),
    ],
    ids=["steps", "smoothing", "mode", "format", "lrs", "smoothed", "losses", "lengths", "status", "status-str",
         "losses-str", "unknown-key"],
)  # fmt: skip
def test_load_state_dict_refuses_a_foreign_or_tampered_state(change, exc, words):
    source = LRFinder(FakeOpt(0.1), steps=40, smoothing=0.5)
    feed(source, [3.0, 2.0, 1.5, 1.2, 1.1, 1.05])
    opt = FakeOpt(0.1)
    target = LRFinder(opt, steps=40, smoothing=0.5)
    feed(target, [9.0, 8.0])
    before, lrs = target.history, opt.lrs()
    with pytest.raises(exc) as e:
        target.load_state_dict(_tamper(source.state_dict(), **change))
    assert words in str(e.value)
    assert target.history == before and opt.lrs() == lrs and target.status == "running"


def test_load_state_dict_refuses_records_after_the_end():
    finder = LRFinder(FakeOpt(0.1), steps=20, smoothing=0.0)
    feed(finder, [1.0, 1.0, 5.0])  # diverged at update 2
    state = finder.state_dict()
    state["lrs"].append(finder.range_schedule.at(3))
    state["losses"].append(1.0)
    state["smoothed"].append(1.0)
    with pytest.raises(ValueError, match="ended at update 2"):
        LRFinder(FakeOpt(0.1), steps=20, smoothing=0.0).load_state_dict(state)


# -- a real model -----------------------------------------------------------------------------------------


def test_a_torch_linear_regression_runs_at_the_schedule_values():
    torch = require("torch")
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(64, 1)
    model = torch.nn.Linear(3, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    finder = LRFinder(opt, min_value=1e-4, max_value=10.0, steps=48, smoothing=0.9)
    used, losses = [], []

    def train_step():
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        used.append(opt.param_groups[0]["lr"])
        w = model.weight.detach().clone()
        opt.step()
        # the update really ran at that lr: w <- w - lr * grad
        torch.testing.assert_close(model.weight.detach(), w - used[-1] * model.weight.grad, rtol=1e-6, atol=1e-7)
        losses.append(loss.item())
        return loss  # a 0-d tensor

    finder.run(train_step)
    n = len(used)
    assert used == [finder.range_schedule.at(k) for k in range(n)] == finder.history["lrs"]
    assert finder.history["losses"] == losses
    # gradient descent on this mean squared error is stable for lr < 2 / h, h the largest eigenvalue of
    # its Hessian 2 [x 1]^T [x 1] / 64: the test diverges past that lr, before its last update, and
    # the steepest descent is below it
    xb = torch.cat([x, torch.ones(64, 1)], dim=1)
    limit = 2.0 / float(torch.linalg.eigvalsh(2.0 * xb.T @ xb / 64).max())
    assert finder.status == "diverged" and n < 48 and finder.history["lrs"][-1] > limit
    s = finder.suggest()
    assert 1e-2 < s.steepest < limit and s.steepest_slope < 0
    assert min(losses) < losses[0] / 100 and s.min_loss < losses[0] / 2
    finder.restore()
    assert opt.param_groups[0]["lr"] == 0.01


def test_a_tensor_lr_is_driven_in_place_and_restored():
    torch = require("torch")
    p = torch.nn.Parameter(torch.zeros(2))
    lr = torch.tensor(1e-3, dtype=torch.float64)
    opt = torch.optim.Adam([p], lr=lr)
    finder = LRFinder(opt, min_value=1e-5, max_value=1.0, steps=10)
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 1e-5
    feed(finder, [torch.tensor(1.0)] * 3)
    assert lr.item() == finder.range_schedule.at(3)
    finder.restore()
    assert opt.param_groups[0]["lr"] is lr and lr.item() == 1e-3


# -- the picture ------------------------------------------------------------------------------------------


def test_plot_is_written_with_the_suggestions_marked(tmp_path):
    require("matplotlib")
    finder = _finished()
    path = tmp_path / "finder.png"
    fig = finder.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["finder.png"]  # no temporary left beside it
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    labels = [line.get_label() for line in ax.get_lines()]
    s = finder.suggest()
    assert f"steepest: {s.steepest:.3g}" in labels and f"minimum / 10: {s.min_over_10:.3g}" in labels
    smoothed = next(line for line in ax.get_lines() if line.get_label().startswith("smoothed"))
    np.testing.assert_array_equal(smoothed.get_xdata(), finder.history["lrs"])
    np.testing.assert_array_equal(smoothed.get_ydata(), finder.history["smoothed"])


def test_plot_into_given_axes_and_with_few_points(tmp_path):
    plt = require("matplotlib.pyplot")
    fig, ax = plt.subplots()
    finder = LRFinder(FakeOpt(0.1), steps=20)
    with pytest.raises(ValueError, match="nothing to draw"):
        finder.plot(ax=ax)
    feed(finder, [2.0, 1.0, math.nan])  # two finite points: drawn, with no suggestion
    assert finder.plot(ax=ax) is fig
    assert ax.get_xscale() == "log"
    assert not any(line.get_label().startswith("steepest") for line in ax.get_lines())
    assert len(ax.get_lines()[0].get_xdata()) == 2
    finder.plot(tmp_path / "few.svg")
    assert b"<svg" in (tmp_path / "few.svg").read_bytes()[:500]
    plt.close(fig)


def test_import_needs_neither_torch_nor_matplotlib():
    code = ("import sys, lrsched.finder; "
            "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
