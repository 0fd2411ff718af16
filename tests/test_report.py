"""lrsched.describe: half-open phases, events (jumps between two steps), and warnings that fire on mistakes only.

Expected events are written here from each family's formula, not read from the code under test.
"""

import math
import warnings

import numpy as np
import pytest

import lrsched
from lrsched import preview, report
from lrsched.cli import main


def _events(d):
    return [(e.step, e.kind, e.before, e.after) for e in d.events]


def _half_cos(x):
    return (1.0 + math.cos(math.pi * x)) / 2.0


# -- events -------------------------------------------------------------------------------------------

EVENTS = {
    "step": (lrsched.step(init_value=1.0, step_size=100, gamma=0.5), 300,
             [(100, "drop", 1.0, 0.5), (200, "drop", 0.5, 0.25)]),
    "multistep": (lrsched.multistep(init_value=1.0, milestones=[10, 25], gamma=0.1), 40,
                  [(10, "drop", 1.0, 0.1), (25, "drop", 0.1, 0.01)]),
    "sgdr": (lrsched.sgdr(1.0, 10), 30,
             [(10, "restart", _half_cos(9 / 10), 1.0), (20, "restart", _half_cos(9 / 10), 1.0)]),
    # cycles of 3 steps: 1, 0.75, 0.25, then up to 1 -- a restart by the one-step-reversal rule
    "sgdr-short-cycles": (lrsched.sgdr(1.0, 3), 9, [(3, "restart", 0.25, 1.0), (6, "restart", 0.25, 1.0)]),
    # warmup of 10, then 3 cycles of 30 from 1 to 0, then 0
    "cosine_restarts": (lrsched.cosine_restarts(peak_value=1.0, total_steps=100, num_cycles=3, warmup_steps=10), 100,
                        [(40, "restart", _half_cos(29 / 30), 1.0), (70, "restart", _half_cos(29 / 30), 1.0)]),
    "cyclic-triangular": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5), 40, []),
    # up over 4 steps (0.1, 0.325, 0.55, 0.775, 1.0), down in one: a drop to 0.1 at each cycle start
    "cyclic-one-step-down": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=4, step_size_down=1), 15,
                             [(5, "drop", 1.0, 0.1), (10, "drop", 1.0, 0.1)]),
    # exp_range: base + (max - base) * triangle(t) * gamma ** t; the triangle is 1 at t = 4 and t = 9
    "cyclic-exp_range": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=4, step_size_down=1,
                                        mode="exp_range", gamma=0.9), 15,
                         [(5, "drop", 0.1 + 0.9 * 0.9**4, 0.1), (10, "drop", 0.1 + 0.9 * 0.9**9, 0.1)]),
    "cyclic-exp_range-smooth": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, mode="exp_range",
                                               gamma=0.99), 40, []),
    "piecewise_constant": (lrsched.piecewise_constant(boundaries=[5, 12], values=[1.0, 0.2, 0.6]), 20,
                           [(5, "drop", 1.0, 0.2), (12, "jump", 0.2, 0.6)]),
    "warmup_cosine": (lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100), 100, []),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_events_are_the_jumps_of_each_family(name):
    s, n, want = EVENTS[name]
    d = lrsched.describe(s, n)
    got = _events(d)
    assert [g[:2] for g in got] == [w[:2] for w in want]
    for (_, _, before, after), (_, _, b, a) in zip(got, want):
        assert before == pytest.approx(b, rel=1e-12) and after == pytest.approx(a, rel=1e-12)
    assert d.restarts == [w[0] for w in want if w[1] == "restart"]
    # the plain table (no Program) finds the same jumps where the numeric rule can tell
    if name != "sgdr-short-cycles":
        assert _events(report.describe_table(s.table(n))) == got


@pytest.mark.parametrize("name", sorted(EVENTS))
def test_phases_are_half_open_in_order_and_cover_every_step_once(name):
    s, n, _ = EVENTS[name]
    d = lrsched.describe(s, n)
    t = s.table(n)
    assert d.phases[0].start == 0 and d.phases[-1].stop == n
    jumps = {e.step for e in d.events}
    for p, q in zip(d.phases, d.phases[1:]):
        assert p.stop == q.start and p.start < p.stop
    for p in d.phases:
        assert p.first == t[p.start] and p.last == t[p.stop - 1]
        inside = np.diff(t[p.start : p.stop])
        sign = {"rises": 1, "falls": -1, "flat": 0}[p.trend]
        assert np.all(np.sign(inside) == sign) if inside.size else p.trend == "flat"
        assert not any(p.start < j < p.stop for j in jumps)  # a jump is never inside a phase


def test_a_step_schedule_prints_half_open_phases_and_its_drops(capsys):
    assert main(["describe", "step", "init_value=1", "step_size=100", "gamma=0.5", "--steps", "300"]) == 0
    out = capsys.readouterr().out
    assert "events   2 drops: step 100 (1 -> 0.5), step 200 (0.5 -> 0.25)" in out
    assert "phases   3, half-open [start, stop)" in out
    assert "  [0, 100) " in out and "  [100, 200) " in out and "  [200, 300) " in out
    assert " 99 " not in out and "warning" not in out  # no closed interval, no horizon warning


def test_a_warmup_cosine_phase_ends_where_its_decay_starts():
    d = lrsched.describe(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100), 120)
    assert [(p.start, p.stop, p.trend) for p in d.phases] == [(0, 10, "rises"), (10, 100, "falls"), (100, 120, "flat")]
    assert d.warmup_end == 10 and d.events == []


# -- warnings: each fires on its mistake, not on the near miss ------------------------------------------


def test_end_value_above_the_peak_is_warned_and_no_warmup_end_is_claimed(capsys):
    bad = lrsched.warmup_cosine(peak_value=3e-4, end_value=1e-3, warmup_steps=10, total_steps=100)
    d = lrsched.describe(bad, 100)
    assert "end_value (1e-3) is above the peak (3e-4): is it swapped?" in d.warnings
    assert d.warmup_end != 99 and d.no_decay
    main(["describe", "warmup_cosine", "peak_value=3e-4", "end_value=1e-3", "warmup_steps=10", "total_steps=100",
          "--steps", "100"])  # fmt: skip
    out = capsys.readouterr().out
    assert "ends at step 99" not in out and "no decay" in out and "warning: end_value (1e-3) is above" in out
    good = lrsched.warmup_cosine(peak_value=3e-4, end_value=1e-5, warmup_steps=10, total_steps=100)
    d = lrsched.describe(good, 100)
    assert d.warnings == [] and d.warmup_end == 10 and not d.no_decay


def test_a_warmup_longer_than_the_run_is_warned():
    s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2_000, total_steps=10_000)
    d = lrsched.describe(s, 1_000)
    assert ("the warmup (2,000 steps) is longer than the run (1,000 steps): the peak is never reached"
            in d.warnings)  # fmt: skip
    assert d.warmup_end is None and "rises over the whole run (no decay)" in str(d)
    assert not any("warmup" in w for w in lrsched.describe(s, 3_000).warnings)


def test_the_horizon_warning_needs_a_schedule_that_really_holds_its_end():
    short = lrsched.describe(lrsched.cosine(init_value=1.0, steps=500), 1_000).warnings
    assert any("stops changing at step 500" in w for w in short)
    assert lrsched.describe(lrsched.cosine(init_value=1.0, steps=950, end_value=0.01), 1_000).warnings == []
    still_going = [
        lrsched.step(init_value=1.0, step_size=300, gamma=0.5),  # its next drop is at 1,200
        lrsched.multistep(init_value=1.0, milestones=[100, 300], gamma=0.1),  # levels set on purpose
        lrsched.sgdr(1.0, 100),
        lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=100),
    ]
    for s in still_going:
        assert not any("horizon" in w for w in lrsched.describe(s, 1_000).warnings), s
    # a plain table of a staircase: every change is a jump, no horizon to be short of
    t = lrsched.step(init_value=1.0, step_size=300, gamma=0.5).table(1_000)
    assert not any("horizon" in w for w in report.describe_table(t).warnings)


def test_a_rising_cosine_after_a_fall_is_warned_but_a_cycle_by_design_is_not():
    down_up = lrsched.repeat(lrsched.join([lrsched.cosine(init_value=1.0, steps=100),
                                           lrsched.cosine(init_value=0.0, end_value=1.0, steps=100)], [100]), 200)
    assert any("rises again from step 100" in w for w in lrsched.describe(down_up, 300).warnings)
    assert any("rises again from step 100" in w for w in report.describe_table(down_up.table(300)).warnings)
    by_design = [
        lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=50),
        lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=50, mode="triangular2"),
        lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=50, mode="exp_range", gamma=0.999),
        lrsched.cyclic(base_value=0.95, max_value=0.85, step_size_up=50),  # torch's inverse cycle for momentum
        lrsched.sgdr(1.0, 100, warmup_steps=20),
    ]
    for s in by_design:
        assert not any("periodic" in w for w in lrsched.describe(s, 400).warnings), s
        assert not any("periodic" in w for w in report.describe_table(s.table(400)).warnings), s


# -- sampled previews -----------------------------------------------------------------------------------


def test_just_past_the_exact_limit_the_sampled_events_are_the_tables():
    n = preview.EXACT_LIMIT + 5
    size = 2**20
    s = lrsched.step(init_value=1.0, step_size=size, gamma=0.5)
    d = lrsched.describe(s, n)
    assert d.sampled is not None
    want = [(k * size, "drop", 0.5 ** (k - 1), 0.5**k) for k in (1, 2, 3, 4)]
    assert _events(d) == want
    exact = report.describe_table(s.table(n), schedule=s)
    assert exact.sampled is None and _events(exact) == want
    assert [(p.start, p.stop, p.trend) for p in d.phases] == [(p.start, p.stop, p.trend) for p in exact.phases]


SAMPLED = {
    "sgdr-mult2": lrsched.sgdr(peak_value=1.0, cycle_steps=1_000, cycle_mult=2),
    "cosine_restarts": lrsched.cosine_restarts(peak_value=1.0, total_steps=1_000_000, num_cycles=7, warmup_steps=333),
    "step": lrsched.step(init_value=1.0, step_size=70_000, gamma=0.5),
    "multistep": lrsched.multistep(init_value=1.0, milestones=[10, 300_000, 600_001], gamma=0.5),
    "cyclic-drop": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=99_999, step_size_down=1),
}


@pytest.mark.parametrize("name", sorted(SAMPLED))
def test_sampled_events_and_phases_agree_with_the_exact_ones(name, monkeypatch):
    s, n = SAMPLED[name], 1_000_000
    exact = lrsched.describe(s, n)
    monkeypatch.setattr(report, "EXACT_LIMIT", 1_000)
    sampled = lrsched.describe(s, n)
    assert sampled.sampled is not None and sampled.sampled < n // 10
    assert exact.events and _events(sampled) == _events(exact)
    assert [(p.start, p.stop, p.trend) for p in sampled.phases] == [(p.start, p.stop, p.trend) for p in exact.phases]
    # every event is at one of the Program's boundaries (segment starts, cycle starts, stairs)
    assert {e.step for e in sampled.events} <= set(report._structure(s.program, n, None).edges.tolist())


# -- relative schedules in the adapter ----------------------------------------------------------------------


class _Opt:
    def __init__(self, lr=0.1):
        self.param_groups = [{"lr": lr}]


def test_a_relative_schedule_far_from_1_is_warned_at_the_users_line():
    with pytest.warns(UserWarning, match=r"largest value is 0.0003, not near 1 .*the lr would peak at 3e-05") as rec:
        lrsched.Scheduler(_Opt(), lrsched.cosine(init_value=3e-4, steps=1000), relative=True)
    assert rec[0].filename == __file__
    with pytest.warns(UserWarning, match="largest value is 10"):
        lrsched.Scheduler(_Opt(), lrsched.warmup_constant(peak_value=10.0, warmup_steps=5), relative=True)


def test_a_relative_multiplier_near_1_is_not_warned():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrsched.Scheduler(_Opt(), lrsched.warmup_cosine(peak_value=1.0, warmup_steps=100, total_steps=1000),
                          relative=True)  # fmt: skip
        lrsched.Scheduler(_Opt(), lrsched.constant(1.0), relative=True)
        lrsched.Scheduler(_Opt(), lrsched.linear(init_value=0.0, end_value=1.0, steps=50), relative=True)  # from 0
        lrsched.Scheduler(_Opt(), lrsched.cosine(init_value=3e-4, steps=1000))  # absolute: no rule
