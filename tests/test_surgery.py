"""Run surgery (lrsched.surgery): hand-offs exact at the boundary, specs that round-trip, and the
Scheduler's deliberate changes (``change`` and ``load_state_dict(keep=True)``).

Every expected value is computed here with ``math`` from the documented formulas, never with the
package; the value at a hand-off step is compared with ``==`` (the same float), the others to 1e-12.
"""

import copy
import json
import math
import warnings

import numpy as np
import pytest

import lrsched
from lrsched.surgery import Change, Jump

M = lrsched.MAX_STEP


class FakeOpt:
    """A home-made optimizer: param_groups is all lrsched needs."""

    def __init__(self, *lrs, **extra):
        self.param_groups = [{"lr": lr, "params": [], **copy.deepcopy(extra)} for lr in lrs]


def lrs(opt, key="lr"):
    return [g[key] for g in opt.param_groups]


# -- the documented shapes, written out -----------------------------------------------------------


def decay_f(shape, p, power=1.0):
    """f(p) of wsd's decays: 1 at p = 0, 0 at p = 1."""
    return {
        "linear": lambda: 1.0 - p,
        "cosine": lambda: (1.0 + math.cos(math.pi * p)) / 2.0,
        "1-sqrt": lambda: 1.0 - math.sqrt(p),
        "minus_sqrt": lambda: 1.0 - math.sqrt(p),
        "exponential": lambda: 2.0 ** (1.0 - p) - 1.0,
        "power": lambda: (1.0 - p) ** power,
        "1-power": lambda: 1.0 - p**power,
    }[shape]()


def ramp_r(shape, t, w):
    """warmup's ramps at step t of a w-step warmup: 0 at t = 0, 1 at t = w (log: DeepSpeed's, 1 from t = w - 1)."""
    p = t / w
    return {
        "linear": lambda: p,
        "cosine": lambda: (1.0 - math.cos(math.pi * p)) / 2.0,
        "1-sqrt": lambda: 1.0 - math.sqrt(1.0 - p),
        "exponential": lambda: (1.0 - math.exp(-5.0 * p)) / (1.0 - math.exp(-5.0)),
        "log": lambda: math.log(t + 1) / math.log(w),
    }[shape]()


def close(got, want, scale=1.0):
    assert abs(got - want) <= 1e-12 * max(scale, abs(want)), (got, want)


# running schedules to operate on: plain, with a warmup, a product of layers, cycles, noise
WC = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=100, total_steps=1_000, end_value=3e-5)
STABLE = lrsched.warmup_constant(peak_value=1e-3, warmup_steps=50)
RUNS = {
    "warmup_cosine": WC,
    "stable": STABLE,
    "product": WC * lrsched.linear(init_value=1.0, end_value=0.5, steps=700),
    "sgdr": lrsched.sgdr(1.0, 37, 2, end_value=0.01),
    "noise": lrsched.noise(STABLE, std=0.05, pct=0.2, seed=3, start=10),
}


# -- branch ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize("shape", lrsched.phases.WSD_DECAYS)
def test_branch_hands_off_exactly_and_decays_by_the_shape(run, shape):
    s, at, n, power = RUNS[run], 333, 80, 1.7
    b = lrsched.branch(s, at, steps=n, shape=shape, end_ratio=0.1, power=power)
    v = s.at(at)
    end = 0.1 * v
    assert b.at(at - 1) == s.at(at - 1) and b.at(at) == v  # the hand-off: the same floats
    np.testing.assert_array_equal(b.table(at), s.table(at))  # the past is untouched
    for t in range(at, at + n + 5):
        p = min(t - at, n) / n
        close(b.at(t), end + (v - end) * decay_f(shape, p, power), v)
    assert b.at(at + n) == b.at(M) == end
    np.testing.assert_array_equal(b(np.arange(at - 3, at + n + 3)), b.table(n + 6, start=at - 3))


def test_branch_end_value_end_ratio_and_the_default():
    v = STABLE.at(500)
    assert lrsched.branch(STABLE, 500, steps=10).at(510) == 0.0  # neither: decays to 0
    assert lrsched.branch(STABLE, 500, steps=10, end_value=2e-5).at(600) == 2e-5
    assert lrsched.branch(STABLE, 500, steps=10, end_ratio=0.25).at(600) == 0.25 * v
    up = lrsched.branch(lrsched.constant(0.1), 5, steps=4, shape="linear", end_value=0.5)  # an end above rises
    close(up.at(7), 0.1 + (0.5 - 0.1) * 0.5)
    with pytest.raises(ValueError, match=r"branch: give `end_value` or `end_ratio`, not both"):
        lrsched.branch(STABLE, 500, steps=10, end_value=0.0, end_ratio=0.5)


def test_branch_at_step_0_and_at_the_last_step():
    b = lrsched.branch(WC, 0, steps=4, shape="linear", end_value=1.0)
    assert b.at(0) == WC.at(0) == 0.0 and b.at(2) == 0.5 and b.at(4) == 1.0
    b = lrsched.branch(STABLE, M, steps=10)
    assert b.at(M - 1) == STABLE.at(M - 1) and b.at(M) == STABLE.at(M)


def test_branch_from_a_branch_is_a_second_cooldown():
    first = lrsched.branch(STABLE, 1000, steps=100, shape="linear", end_ratio=0.5)
    second = lrsched.branch(first, 1050, steps=10, shape="linear", end_value=0.0)
    v = first.at(1050)
    close(v, 1e-3 * 0.75)
    assert second.at(1049) == first.at(1049) and second.at(1050) == v
    close(second.at(1055), v / 2)


# -- rewarm ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", lrsched.schedules.WARMUP_SHAPES)
def test_rewarm_hands_off_exactly_then_follows_then_in_local_time(shape):
    s, at, w = WC, 1_200, 40  # past the horizon: the run holds end_value
    then = lrsched.cosine(init_value=2e-4, steps=500, end_value=1e-5)
    r = lrsched.rewarm(s, at, warmup_steps=w, then=then, shape=shape)
    v, peak = s.at(at), then.at(0)
    assert r.at(at - 1) == s.at(at - 1) and r.at(at) == v == 3e-5
    for t in range(at, at + w):
        close(r.at(t), v + (peak - v) * ramp_r(shape, t - at, w), peak)
    for u in (0, 1, 250, 499, 500, 10**6):
        assert r.at(at + w + u) == then.at(u)


def test_rewarm_to_a_peak_held_and_the_peak_rules():
    r = lrsched.rewarm(WC, 1_000, warmup_steps=10, peak_value=1e-4)
    assert r.at(1_000) == WC.at(1_000) and r.at(1_010) == r.at(M) == 1e-4
    close(r.at(1_005), 3e-5 + (1e-4 - 3e-5) * 0.5)
    then = lrsched.constant(5e-4)
    assert lrsched.rewarm(WC, 1_000, warmup_steps=10, then=then, peak_value=5e-4) == \
        lrsched.rewarm(WC, 1_000, warmup_steps=10, then=then)  # fmt: skip
    with pytest.raises(ValueError, match=r"rewarm: `peak_value` must be then.at\(0\) = 0.0005 .* got peak_value=0.001"):
        lrsched.rewarm(WC, 1_000, warmup_steps=10, then=then, peak_value=1e-3)
    with pytest.raises(ValueError, match=r"rewarm: `peak_value` must be given when `then` is None"):
        lrsched.rewarm(WC, 1_000, warmup_steps=10)
    with pytest.raises(ValueError, match=r"rewarm: `warmup_steps` must be a positive integer, got warmup_steps=0"):
        lrsched.rewarm(WC, 1_000, warmup_steps=0, peak_value=1e-4)


# -- shift ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize("by", [1, 7, 4096, 10**12])
def test_shift_later_holds_the_first_value_then_follows(run, by):
    s = RUNS[run]
    later = lrsched.shift(s, by)
    t = np.array([0, by - 1, by, by + 1, by + 99, by + 5000, M], dtype=np.int64)
    want = np.array([s.at(0) if x < by else s.at(int(x) - by) for x in t])
    np.testing.assert_array_equal(later(t), want)
    start = max(0, by - 100)
    want = np.r_[[s.at(0)] * (by - start), s.table(300 - by + start)]
    np.testing.assert_array_equal(later.table(300, start=start), want)


@pytest.mark.parametrize("run", sorted(RUNS))
@pytest.mark.parametrize("k", [1, 33, 5000, M - 10])
def test_shift_earlier_is_the_schedule_k_steps_ahead_up_to_2_62(run, k):
    s = RUNS[run]
    earlier = lrsched.shift(s, -k)
    t = np.array(sorted({0, 1, 50, 999, 4096, M - k - 1, M - k, M - k + 1, M - 1, M}), dtype=np.int64)
    want = np.array([s.at(min(int(x) + k, M)) for x in t])
    np.testing.assert_array_equal(earlier(t), want)
    if k < 10**6:
        np.testing.assert_array_equal(earlier.table(500), s.table(500, start=k))
    back = lrsched.shift(lrsched.shift(s, min(k, 10**6)), -min(k, 10**6))  # later, then earlier: the schedule
    np.testing.assert_array_equal(back(t[t <= M - 10**6]), s(t[t <= M - 10**6]))


def test_shift_by_0_and_the_bounds():
    assert lrsched.shift(WC, 0) == WC
    assert lrsched.shift(WC, M).at(M) == WC.at(0)
    assert lrsched.shift(WC, -M).at(0) == WC.at(M)
    with pytest.raises(ValueError, match=r"shift: `by` must be an integer >= -4611686018427387904 and <= 2\*\*62"):
        lrsched.shift(WC, M + 1)
    with pytest.raises(ValueError, match=r"shift: `by` must be an integer >= -4611686018427387904, got by=-"):
        lrsched.shift(WC, -M - 1)


# -- multi_wsd ------------------------------------------------------------------------------------


def multi_wsd_reference(t, peak, w, periods, decays, init, low, rewarm, dshape, rshape, power=1.0):
    """The documented rule, step by step."""
    if t < w:
        return init + (peak - init) * ramp_r("linear", t, w)
    start = w
    for k, (n, d) in enumerate(zip(periods, decays)):
        if t < start + n:
            u = t - start
            if k and u < rewarm:
                return low + (peak - low) * ramp_r(rshape, u, rewarm)
            if u < n - d:
                return peak
            return low + (peak - low) * decay_f(dshape, (u - (n - d)) / d, power)
        start += n
    return low


@pytest.mark.parametrize("dshape", ["1-sqrt", "linear", "cosine", "exponential", "power"])
@pytest.mark.parametrize("rewarm, rshape", [(0, "linear"), (7, "linear"), (5, "cosine")])
def test_multi_wsd_against_a_hand_built_reference(dshape, rewarm, rshape):
    peak, w, periods = 2e-3, 20, [100, 60, 81]
    s = lrsched.multi_wsd(peak_value=peak, warmup_steps=w, periods=periods, decay_steps=0.25, init_value=1e-5,
                          decay_shape=dshape, power=2.5, min_ratio=0.05, rewarm_steps=rewarm,
                          rewarm_shape=rshape)  # fmt: skip
    decays = [25, 15, 21]  # ceil(0.25 * n)
    got = s.table(w + sum(periods) + 10)
    for t, v in enumerate(got):
        close(v, multi_wsd_reference(t, peak, w, periods, decays, 1e-5, 0.05 * peak, rewarm, dshape, rshape, 2.5), peak)
    for k, start in enumerate([20, 120, 180]):  # each period's decay starts from the peak, exactly
        assert s.at(start + periods[k] - decays[k]) == peak
    assert s.at(120) == (0.05 * peak if rewarm else peak) and s.at(M) == 0.05 * peak


def test_multi_wsd_with_one_period_is_wsd():
    for shape in lrsched.phases.WSD_DECAYS:
        one = lrsched.multi_wsd(peak_value=1.0, warmup_steps=10, periods=[90], decay_steps=20, decay_shape=shape,
                                min_ratio=0.1, init_value=0.01)  # fmt: skip
        assert one == lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=20, decay_shape=shape,
                                  min_ratio=0.1, init_value=0.01)  # fmt: skip


def test_multi_wsd_decay_steps_per_period_and_refusals():
    s = lrsched.multi_wsd(peak_value=1.0, warmup_steps=0, periods=[10, 10], decay_steps=[2, 5], decay_shape="linear")
    assert s.at(7) == 1.0 and s.at(8) == 1.0 and s.at(9) == 0.5 and s.at(14) == 1.0 and s.at(15) == 1.0
    close(s.at(17), 0.6)
    with pytest.raises(ValueError, match=r"multi_wsd: `periods\[1\]` must be >= rewarm_steps \+ decay steps = 6 \+ 5"):
        lrsched.multi_wsd(peak_value=1.0, warmup_steps=0, periods=[10, 10], decay_steps=5, rewarm_steps=6)
    with pytest.raises(ValueError, match=r"multi_wsd: `decay_steps` must have one item per period \(2\), got 1"):
        lrsched.multi_wsd(peak_value=1.0, warmup_steps=0, periods=[10, 10], decay_steps=[2])
    with pytest.raises(ValueError, match=r"multi_wsd: `periods` must be a list with at least 1 item"):
        lrsched.multi_wsd(peak_value=1.0, warmup_steps=0, periods=[], decay_steps=2)
    with pytest.raises(ValueError, match=r"multi_wsd: `decay_steps` must be a finite number > 0 and <= 1"):
        lrsched.multi_wsd(peak_value=1.0, warmup_steps=0, periods=[10], decay_steps=0.0)


# -- specs ------------------------------------------------------------------------------------------

SURGERIES = {
    "shift-later": lrsched.shift(WC, 250),
    "shift-earlier": lrsched.shift(RUNS["sgdr"], -90),
    "branch": lrsched.branch(RUNS["product"], 400, steps=100, shape="cosine", end_ratio=0.1),
    "branch-power": lrsched.branch(STABLE, 4_000, steps=1_000, shape="power", power=0.7, end_value=1e-6),
    "rewarm-then": lrsched.rewarm(WC, 1_000, warmup_steps=100, then=lrsched.cosine(init_value=3e-4, steps=900)),
    "rewarm-peak": lrsched.rewarm(WC, 1_000, warmup_steps=100, peak_value=2e-4, shape="exponential"),
    "multi_wsd": lrsched.multi_wsd(peak_value=1e-3, warmup_steps=100, periods=[1000, 500], decay_steps=[100, 50]),
    "branch-nested": lrsched.branch(
        lrsched.rewarm(lrsched.shift(WC, 10), 2_000, warmup_steps=10, peak_value=1e-4), 3_000, steps=100
    ),
}


@pytest.mark.parametrize("name", sorted(SURGERIES))
def test_specs_say_what_was_done_and_round_trip(name):
    s = SURGERIES[name]
    d = s.to_dict()
    assert d["type"] == name.split("-")[0]
    again = lrsched.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert again == s and again.to_dict() == d
    steps = np.array([0, 1, 99, 100, 101, 399, 400, 401, 999, 1000, 1001, 2000, 3000, 3050, 10**9, M])
    np.testing.assert_array_equal(again(steps), s(steps))
    assert repr(s).startswith(d["type"] + "(")


def test_spec_contents():
    d = SURGERIES["branch"].to_dict()
    assert {k: d[k] for k in ("at", "steps", "shape", "end_value", "end_ratio")} == dict(
        at=400, steps=100, shape="cosine", end_value=None, end_ratio=0.1
    )
    assert d["schedule"] == RUNS["product"].to_dict()
    assert "then" not in SURGERIES["rewarm-peak"].to_dict()  # left out: the default
    assert SURGERIES["multi_wsd"].to_dict()["periods"] == [1000, 500]
    assert lrsched.get("branch", schedule=STABLE, at=10, steps=5) == lrsched.branch(STABLE, 10, steps=5)


# -- extend and jump --------------------------------------------------------------------------------


def test_extend_changes_the_horizon_argument_of_the_family():
    longer = lrsched.extend(WC, 2_000)
    assert longer == lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=100, total_steps=2_000, end_value=3e-5)
    assert lrsched.extend(lrsched.linear(init_value=1.0, steps=10), 30) == lrsched.linear(init_value=1.0, steps=30)
    w = dict(peak_value=1.0, warmup_steps=10, decay_steps=20)
    assert lrsched.extend(lrsched.wsd(total_steps=100, **w), 500) == lrsched.wsd(total_steps=500, **w)  # longer stable
    inner = lrsched.cosine(init_value=1.0, steps=100)
    assert lrsched.extend(lrsched.warmup(inner, 10) * 0.5, 210) == lrsched.warmup(lrsched.cosine(init_value=1.0,
                                                                                                  steps=200), 10) * 0.5
    joined = lrsched.join([lrsched.constant(1.0), inner], [50])
    assert lrsched.extend(joined, 250) == lrsched.join([lrsched.constant(1.0), lrsched.cosine(init_value=1.0,
                                                                                               steps=200)], [50])
    b = lrsched.branch(STABLE, 1_000, steps=100)
    assert lrsched.extend(b, 1_300) == lrsched.branch(STABLE, 1_000, steps=300)
    m = SURGERIES["multi_wsd"]
    assert lrsched.extend(m, 2_000).to_dict()["periods"] == [1000, 900]


def test_extend_through_a_spec_in_units():
    run = lrsched.Run(micro_batch_size=4, grad_accum=2, seq_len=256, total="4e6tok")  # 1,953 updates; 2% is 39
    s = run.get("warmup", schedule=lrsched.cosine(init_value=1.0, steps=100), warmup_steps="0.02dur")
    longer = lrsched.extend(s, 500)
    assert longer.to_dict()["warmup_steps"] == "0.02dur"  # the units stay as written
    assert longer.to_dict()["schedule"]["steps"] == 461  # the cosine starts after the 39-update warmup
    assert longer.at(39) == 1.0 and longer.at(500) == 0.0 and longer.at(499) > 0.0


@pytest.mark.parametrize("schedule, kind", [
    (lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=10), "a 'exponential' schedule"),
    (lrsched.constant(1.0), "a 'constant' schedule"),
    (WC * WC, "a 'product' schedule"),
    (lrsched.sgdr(1.0, 10), "a 'sgdr' schedule"),
    (lrsched.rewarm(WC, 10, warmup_steps=5, peak_value=1.0), "a rewarm without `then`"),
    (lrsched.scale(lrsched.step(init_value=1.0, step_size=3), 0.5), "a 'step' schedule"),
])  # fmt: skip
def test_extend_refuses_a_family_without_a_horizon_naming_it(schedule, kind):
    with pytest.raises(ValueError, match=r"^extend: `schedule` must have a horizon to change .* got " + kind):
        lrsched.extend(schedule, 1_000)


def test_extend_refuses_a_horizon_the_family_refuses():
    with pytest.raises(ValueError, match=r"extend: `total_steps`=50 does not fit the schedule: warmup_cosine: "
                                         r"`total_steps` must be > warmup_steps=100"):  # fmt: skip
        lrsched.extend(WC, 50)
    with pytest.raises(ValueError, match=r"extend: `total_steps` must be > 1000, where branch's decay starts"):
        lrsched.extend(lrsched.branch(STABLE, 1_000, steps=100), 1_000)
    with pytest.raises(ValueError, match=r"extend: `total_steps` must be a positive integer, got total_steps=0"):
        lrsched.extend(WC, 0)


def test_jump_reports_the_value_change_at_the_current_step():
    at = 600
    longer = lrsched.extend(WC, 2_000)
    old = 3e-5 + (3e-4 - 3e-5) * (1 + math.cos(math.pi * 500 / 900)) / 2  # written out
    new = 3e-5 + (3e-4 - 3e-5) * (1 + math.cos(math.pi * 500 / 1900)) / 2
    c = lrsched.jump(WC, longer, at)
    assert isinstance(c, Change) and c.step == at and c.changed
    (row,) = c.rows
    assert row.field is None and row.group is None
    close(row.old, old)
    close(row.new, new)
    close(row.relative, (new - old) / old)
    assert c.largest == abs(row.relative)
    text = str(c)
    assert text.splitlines()[0] == "schedule change at step 600 (old -> new):"
    assert f"value: {row.old:.6g} -> {row.new:.6g}  (+{row.relative:.2%})" in text
    with pytest.warns(UserWarning, match=r"(?s)extend: the value changes at the current step; schedule change at "
                                         r"step 600 .*\(\+81.15%\)"):  # fmt: skip
        assert lrsched.extend(WC, 2_000, at=at) == longer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrsched.extend(WC, 2_000, at=50)  # in the warmup: no change, no warning


def test_jump_from_zero_and_no_change():
    c = lrsched.jump(lrsched.constant(0.0), lrsched.constant(0.5), 3)
    assert c.rows[0].relative == math.inf and "(from 0)" in str(c)
    c = lrsched.jump(WC, WC, 3)
    assert not c.changed and c.rows[0].relative == 0.0 and "(no change)" in str(c)
    assert Jump("lr", 0, 2.0, 1.0).relative == -0.5
    with pytest.raises(TypeError, match=r"jump: `new` must be a lrsched.Schedule"):
        lrsched.jump(WC, 1.0, 3)


# -- the scheduler: change ---------------------------------------------------------------------------


def test_change_switches_from_the_current_step_and_reports_the_diff():
    opt = FakeOpt(0.0, 0.0)
    sched = lrsched.Scheduler(opt, [WC, WC * 0.5])
    for _ in range(600):
        sched.step()
    before = lrs(opt)
    longer = lrsched.extend(WC, 2_000)
    c = sched.change([longer, longer * 0.5])
    assert c.step == 600 and [(r.field, r.group) for r in c.rows] == [("lr", 0), ("lr", 1)]
    assert [r.old for r in c.rows] == before == [WC.at(600), (WC * 0.5).at(600)]
    assert [r.new for r in c.rows] == lrs(opt) == [longer.at(600), (longer * 0.5).at(600)]
    assert "lr group 1:" in str(c)
    assert sched.last_step == 600 and sched.schedules == {"lr": [longer, longer * 0.5]}
    got = []
    for _ in range(5_000):  # across chunk ends
        sched.step()
        got.append(lrs(opt)[0])
    np.testing.assert_array_equal(got, longer.table(5_000, start=601))
    # the state holds the new schedule: a resumed run continues on it without any option
    other = lrsched.Scheduler(FakeOpt(0.0, 0.0), [longer, longer * 0.5])
    other.load_state_dict(json.loads(json.dumps(sched.state_dict())))
    assert other.last_step == 5_600 and lrs(other.optimizer) == lrs(opt)


def test_change_relative_plateau_and_several_fields():
    opt = FakeOpt(0.1, 0.2, momentum=0.9)
    mom = lrsched.constant(1.0)
    with pytest.warns(UserWarning, match="not near 1"):  # STABLE is absolute: multiplied, the lr is 1e-4
        sched = lrsched.Scheduler(opt, {"lr": STABLE, "momentum": mom}, relative=True,
                                  plateau=lrsched.plateau(patience=0, factor=0.5))  # fmt: skip
    sched.seek(100)
    sched.observe(1.0)
    sched.observe(2.0)  # worse: the lr multiplier halves
    b = lrsched.branch(STABLE, 100, steps=10, shape="linear")
    c = sched.change({"lr": b, "momentum": lrsched.constant(0.95)})
    assert [r.old for r in c.rows] == [1e-3 * 0.1 * 0.5, 1e-3 * 0.2 * 0.5, 0.9, 0.9]  # initial * multiplier
    assert [r.new for r in c.rows] == lrs(opt) + lrs(opt, "momentum") == [1e-3 * 0.1 * 0.5, 1e-3 * 0.2 * 0.5,
                                                                          0.95 * 0.9, 0.95 * 0.9]  # fmt: skip
    sched.step()
    assert lrs(opt) == [b.at(101) * (0.1 * 0.5), b.at(101) * (0.2 * 0.5)]
    c = sched.change(lrsched.constant(1.0), field="momentum")
    assert [r.field for r in c.rows] == ["momentum", "momentum"] and lrs(opt, "momentum") == [0.9, 0.9]


@pytest.mark.parametrize("call, exc, pattern", [
    (lambda s: s.change(1.0), TypeError, r"Scheduler.change: `schedule` must be a lrsched.Schedule, a list"),
    (lambda s: s.change([WC]), ValueError, r"Scheduler.change: `schedule` must have one schedule per param group"),
    (lambda s: s.change([WC, 2]), TypeError, r"Scheduler.change: `schedule\[1\]` must be a lrsched.Schedule"),
    (lambda s: s.change(WC, field="momentum"), ValueError, r"Scheduler.change: `field` must be one of \['lr'\]"),
    (lambda s: s.change(WC, field=["lr"]), TypeError, r"Scheduler.change: `field` must be one of \['lr'\]"),
    (lambda s: s.change({"lr": WC}, field="lr"), ValueError, r"`field` must be left out when `schedule` is a dict"),
    (lambda s: s.change({"wd": WC}), ValueError, r"Scheduler.change: `field` must be one of \['lr'\], got field='wd'"),
    (lambda s: s.change({}), ValueError, r"Scheduler.change: `schedule` must be a dict with at least one field"),
    (lambda s: s.change({"lr": WC, 1: WC}), TypeError, r"Scheduler.change: `field` must be one of"),
])  # fmt: skip
def test_change_refuses_bad_input_and_changes_nothing(call, exc, pattern):
    opt = FakeOpt(0.0, 0.0)
    sched = lrsched.Scheduler(opt, WC, last_step=299)
    state, values = sched.state_dict(), lrs(opt)
    with pytest.raises(exc, match=pattern):
        call(sched)
    assert sched.state_dict() == state and lrs(opt) == values
    sched.step()
    assert lrs(opt) == [WC.at(301)] * 2


def test_change_refuses_a_relative_multiplier_that_overflows():
    opt = FakeOpt(1e300)
    sched = lrsched.Scheduler(opt, lrsched.constant(1.0), relative=True)
    with pytest.raises(ValueError, match=r"Scheduler.change: `schedule` must be a multiplier whose values times"):
        sched.change(lrsched.constant(1e10))
    assert lrs(opt) == [1e300] and sched.schedules == {"lr": [lrsched.constant(1.0)]}


# -- the scheduler: resuming on a changed schedule ---------------------------------------------------


def _saved_run(schedule, k, *lrs_, **kw):
    """A process that ran ``k`` steps on ``schedule`` and saved its state (through JSON, as a file)."""
    sched = lrsched.Scheduler(FakeOpt(*lrs_), schedule, **kw)
    for _ in range(k):
        sched.step()
    return json.loads(json.dumps(sched.state_dict()))


def test_a_cooldown_branched_from_a_checkpoint_resumes_with_keep():
    k = 5_000
    state = _saved_run(STABLE, k, 0.0)
    cooldown = lrsched.branch(STABLE, k, steps=1_000, shape="1-sqrt", end_ratio=0.0)
    opt = FakeOpt(0.0)
    sched = lrsched.Scheduler(opt, cooldown)
    with pytest.warns(UserWarning) as caught:
        c = sched.load_state_dict(state, keep=True)
    (w,) = [x for x in caught if "kept this scheduler's schedules" in str(x.message)]
    # the branch starts at the value the run was at: no jump at k, and the warning says so
    assert c.rows == (Jump("lr", 0, 1e-3, 1e-3),)
    assert "Scheduler.load_state_dict: kept this scheduler's schedules for ['lr']" in str(w.message)
    assert "schedule change at step 5000 (old -> new):\n  lr group 0: 0.001 -> 0.001  (no change)" in str(w.message)
    got = [lrs(opt)[0]]
    for _ in range(1_100):
        sched.step()
        got.append(lrs(opt)[0])
    want = [1e-3 * (1 - math.sqrt(min(u, 1_000) / 1_000)) for u in range(1_101)]
    assert got[0] == 1e-3 and got[1] == cooldown.at(k + 1) and got[-1] == 0.0
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-18)
    np.testing.assert_array_equal(got, cooldown.table(1_101, start=k))
    assert sched.state_dict()["fields"]["lr"]["schedules"] == [cooldown.to_dict()]


def test_keep_with_a_jump_relative_values_and_a_plateau():
    k = 700
    plateau = lrsched.plateau(patience=0, factor=0.5)
    with pytest.warns(UserWarning, match="not near 1"):  # WC is absolute: as multipliers, values of 3e-5 and less
        saver = lrsched.Scheduler(FakeOpt(0.1, 0.3), WC, relative=True, plateau=plateau)
    for _ in range(k):
        saver.step()
    saver.observe(1.0)
    saver.observe(2.0)  # halves the lr multiplier: part of the saved state
    state = json.loads(json.dumps(saver.state_dict()))
    longer = lrsched.extend(WC, 3_000)
    opt = FakeOpt(5.0, 5.0)  # values the groups hold now do not matter
    with pytest.warns(UserWarning, match="not near 1"):
        sched = lrsched.Scheduler(opt, longer, relative=True, plateau=plateau)
    with pytest.warns(UserWarning, match=r"kept this scheduler's schedules for \['lr'\], which differ from the saved "
                                         r"ones, from the saved step on; schedule change at step 700"):  # fmt: skip
        c = sched.load_state_dict(state, keep=True)
    assert [r.old for r in c.rows] == saver.get_last_lr() == [WC.at(k) * (0.1 * 0.5), WC.at(k) * (0.3 * 0.5)]
    assert [r.new for r in c.rows] == sched.get_last_lr() == [longer.at(k) * (0.1 * 0.5), longer.at(k) * (0.3 * 0.5)]
    assert all(r.relative > 1.0 for r in c.rows) and c.changed  # the longer cosine is much higher at 700
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.3]
    sched.step()
    assert lrs(opt) == [longer.at(k + 1) * (0.1 * 0.5), longer.at(k + 1) * (0.3 * 0.5)]


def test_keep_with_the_same_schedules_warns_nothing():
    state = _saved_run(WC, 10, 0.0)
    sched = lrsched.Scheduler(FakeOpt(0.0), WC)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = sched.load_state_dict(state, keep=True)
    assert c.rows == () and not c.changed and sched.last_step == 10


def test_a_different_schedule_is_still_refused_without_an_option():
    state = _saved_run(STABLE, 300, 0.0)
    opt = FakeOpt(0.0)
    sched = lrsched.Scheduler(opt, lrsched.branch(STABLE, 300, steps=10))
    before, values = sched.state_dict(), lrs(opt)
    pattern = r"differ from this scheduler's .* pass adopt=True to use the saved ones, or keep=True to keep"
    with pytest.raises(ValueError, match=pattern):
        sched.load_state_dict(state)
    with pytest.raises(ValueError, match=r"pass adopt=True \(the saved schedules\) or keep=True .*, not both"):
        sched.load_state_dict(state, adopt=True, keep=True)
    with pytest.raises(TypeError, match=r"Scheduler.load_state_dict: `keep` must be True or False, got keep='yes'"):
        sched.load_state_dict(state, keep="yes")
    assert sched.state_dict() == before and lrs(opt) == values and sched.last_step == 0
    assert sched.load_state_dict(state, adopt=True) is None and sched.schedules == {"lr": [STABLE]}


def test_keep_refuses_a_damaged_state_before_warning_or_changing():
    state = _saved_run(STABLE, 300, 0.0)
    state["fields"]["lr"]["relative"] = True  # this scheduler is not relative
    opt = FakeOpt(0.0)
    sched = lrsched.Scheduler(opt, lrsched.branch(STABLE, 300, steps=10))
    before = sched.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would fail here: the state is refused first
        with pytest.raises(ValueError, match=r"relative"):
            sched.load_state_dict(state, keep=True)
    assert sched.state_dict() == before and lrs(opt) == [STABLE.at(0)]


def test_a_warning_raised_as_an_error_leaves_the_scheduler_as_it_was():
    state = _saved_run(WC, 300, 0.0)
    opt = FakeOpt(0.0)
    sched = lrsched.Scheduler(opt, lrsched.extend(WC, 2_000))
    before = sched.state_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="kept this scheduler's schedules"):
            sched.load_state_dict(state, keep=True)
    assert sched.state_dict() == before and lrs(opt) == [WC.at(0)]
