"""Cyclic and multi-phase families: exact cycle arithmetic, torch parity, O(1) memory, noise."""

import math

import numpy as np
import pytest

import lrsched
import reference
from peers import require

torch = require("torch")  # the test extra installs torch; parity needs the real peer


def torch_lrs(make_scheduler, steps, lr=1.0, **opt_kwargs):
    """The lr torch uses at steps 0 .. steps-1, stepping the scheduler incrementally."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, **opt_kwargs)
    sched = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return np.array(out)


@pytest.mark.parametrize("t0, mult", [(1, 1), (3, 1), (1, 2), (2, 2), (5, 3), (1, 3), (7, 4)])
def test_sgdr_matches_torch_warm_restarts_stepped(t0, mult):
    n = 3_000
    want = torch_lrs(
        lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=mult, eta_min=0.1), n
    )
    got = lrsched.sgdr(1.0, t0, mult, end_value=0.1).table(n)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_restart_steps_where_a_float_log_picks_the_wrong_cycle():
    """torch's step(epoch) and timm take the cycle from log(t / T0 * (m - 1) + 1, m): off by one at
    these restart steps.  lrsched restarts there, as torch's own incremental stepping does."""
    cases = [(1, 3, 121, 5), (1, 3, 29524, 10), (2, 3, 242, 5), (5, 3, 605, 5)]
    for t0, m, step, cycle in cases:
        assert int(math.log(step / t0 * (m - 1) + 1, m)) == cycle - 1  # the float log is wrong here
        s = lrsched.sgdr(1.0, t0, m, end_value=0.1)
        assert s.at(step) == 1.0 and s.at(step - 1) < 0.11  # a restart, right after the previous cycle's end
        want = torch_lrs(
            lambda o, t0=t0, m=m: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=t0, T_mult=m,
                                                                                       eta_min=0.1),
            step + 1,
        )  # fmt: skip
        assert want[step] == 1.0


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(mode="triangular", step_size_up=2, step_size_down=3),
        dict(mode="triangular2", step_size_up=2),
        dict(mode="exp_range", step_size_up=2, gamma=0.9),
        dict(mode="exp_range", step_size_up=5, step_size_down=1, gamma=0.99),
        dict(mode="triangular2", step_size_up=3, scale_mode="iterations"),
        dict(mode="exp_range", step_size_up=4, gamma=0.95, scale_mode="cycle"),
    ],
    ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()),
)
def test_cyclic_matches_torch_cycliclr(kwargs):
    n = 500
    torch_kwargs = dict(kwargs)
    if "scale_mode" in torch_kwargs:  # torch takes scale_mode only with a custom scale_fn
        mode = torch_kwargs.pop("mode")
        gamma = torch_kwargs.pop("gamma", 1.0)
        torch_kwargs["scale_fn"] = (lambda x: 0.5 ** (x - 1)) if mode == "triangular2" else (lambda x: gamma**x)
    want = torch_lrs(
        lambda o: torch.optim.lr_scheduler.CyclicLR(o, base_lr=0.1, max_lr=1.0, cycle_momentum=False, **torch_kwargs),
        n,
    )
    got = lrsched.cyclic(base_value=0.1, max_value=1.0, **kwargs).table(n)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_a_short_cycle_over_a_billion_steps_costs_constant_memory():
    s = lrsched.sgdr(1.0, 10, end_value=0.1, cycle_decay=0.999, warmup_steps=2)
    r = lrsched.repeat(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=3, total_steps=10), 10)
    for sched in (s, r):
        assert sum(a.nbytes for a in sched.program.arrays) < 1_000
        steps = np.arange(10**9 - 25, 10**9 + 25)
        want = reference.values(sched.to_dict(), steps)
        np.testing.assert_allclose(sched(steps), want, rtol=1e-12, atol=1e-300)
        np.testing.assert_array_equal(sched.table(50, start=10**9 - 25), sched(steps))


@pytest.mark.parametrize("mult", [1.5, 1.01, 2.7])
def test_float_multiplier_cycles_start_where_the_documented_rule_says(mult):
    s = lrsched.sgdr(1.0, 7, mult, end_value=0.0)
    starts = [reference.float_start(i, 7.0, mult) for i in range(40)]
    starts = [b for b in starts if b < 10**12]
    np.testing.assert_array_equal(s(np.array(starts)), 1.0)  # every cycle starts at its peak
    assert np.all(s(np.array(starts[1:]) - 1) < 0.05)  # ... right after the previous one ended (L >= 7)


def test_the_factories_cycle_starts_are_the_kernels():
    """cycles.float_cycle_start (plain Python, where a cycle limit is set) and the kernels' own
    _float_start (where cycles are walked) give the same start for every cycle."""
    from lrsched import _kernels
    from lrsched.cycles import float_cycle_start

    rng = np.random.default_rng(7)
    for period, mult in [(7.0, 1.5), (3.0, 1.0), (10.5, 1.01), (1.0, 2.7), *zip(rng.uniform(1, 1e4, 40), rng.uniform(1, 3, 40))]:
        for i in [*range(60), 200, 640]:  # past 2**62 from some i on; below the overflow of exp for mult <= 3
            assert float_cycle_start(i, period, mult) == _kernels._float_start(i, float(period), float(mult))


def test_cycle_limit_then_hold():
    s = lrsched.sgdr(1.0, 4, 2, end_value=0.05, cycle_limit=3)  # cycles of 4, 8, 16 steps
    assert s.at(27) > 0.05 and s.at(28) == s.at(10**15) == 0.05
    assert s.at(12) == 1.0


def test_sgdr_per_cycle_warmup_and_decay():
    s = lrsched.sgdr(1.0, 10, 1, end_value=0.0, cycle_decay=0.5, warmup_steps=4)
    np.testing.assert_allclose(s([0, 2, 4, 10, 12, 14, 20, 24]), [0, 0.5, 1, 0, 0.25, 0.5, 0, 0.25], rtol=1e-15)


def test_one_cycle_hand_values():
    s = lrsched.one_cycle(max_value=1.0, total_steps=10, pct_start=0.3, anneal="linear", div_factor=4.0,
                          final_div_factor=10.0)  # fmt: skip
    # up from 0.25 over 3 steps, down to 0.025 over 7
    want = [0.25, 0.5, 0.75, 1.0] + [1.0 - (1.0 - 0.025) * k / 7 for k in range(1, 8)] + [0.025]
    np.testing.assert_allclose(s(range(12)), want, rtol=1e-14)
    m = lrsched.one_cycle_momentum(total_steps=10, pct_start=0.3, anneal="linear", three_phase=True)
    np.testing.assert_allclose(m([0, 3, 6, 8, 10]), [0.95, 0.85, 0.95, 0.95, 0.95], rtol=1e-15)


def test_wsd_shapes_end_where_they_should():
    for shape in lrsched.phases.WSD_DECAYS:
        s = lrsched.wsd(peak_value=2.0, total_steps=100, warmup_steps=10, decay_steps=0.2, decay_shape=shape,
                        min_ratio=0.1, power=3.0)  # fmt: skip
        assert s.at(10) == s.at(79) == 2.0
        assert s.at(80) == 2.0 and 0.2 < s.at(90) < 2.0
        assert s.at(100) == s.at(10**9) == pytest.approx(0.2, rel=1e-15)
    r = lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=4, decay_steps=10, stable="rsqrt")
    assert r.at(4) == 1.0 and r.at(16) == pytest.approx(0.5) and r.at(100) == 0.0


def test_gaussian_noise_is_truncated_and_has_the_asked_spread():
    s = lrsched.noise(lrsched.constant(1.0), std=0.1, pct=1.0, seed=123)
    n = s.table(200_000) - 1.0
    assert abs(n.mean()) < 0.002 and abs(n.std() - 0.1) < 0.002
    t = lrsched.noise(lrsched.constant(1.0), std=0.1, pct=0.05, seed=123).table(100_000) - 1.0
    assert np.abs(t).max() < 0.05 and np.abs(t).max() > 0.049
    u = lrsched.noise(lrsched.constant(1.0), pct=0.2, kind="uniform", seed=5).table(100_000) - 1.0
    assert np.abs(u).max() < 0.2 and abs(u.std() - 0.2 / math.sqrt(3)) < 0.002


@pytest.mark.parametrize(("std", "pct", "kind"), [(1.0, 0.67, "gaussian"), (0.1, 0.5, "gaussian"), (0.01, 1.0, "gaussian"),
                                               (100.0, 1.0, "gaussian"), (1.0, 0.3, "uniform")])  # fmt: skip
def test_noise_is_the_documented_generator_bit_for_bit(std, pct, kind):
    """Bit-exact against tests/reference.py, so 1 + n keeps its accuracy even where n is near -1."""
    s = lrsched.noise(lrsched.constant(1.0), std=std, pct=pct, kind=kind, seed=2**32 - 7)
    steps = np.r_[0:3_000, 2**40 : 2**40 + 300, lrsched.MAX_STEP - 300 : lrsched.MAX_STEP + 1]
    got = s(steps)
    assert [float(v) for v in got] == [1.0 + reference.noise(2**32 - 7, int(t), kind, std, pct) for t in steps]


def test_the_noise_generator_is_uniform_and_uncorrelated():
    """Kolmogorov-Smirnov against U(-1, 1), and lag-1 and seed-to-seed correlations, at 99.9% bounds."""
    n = 2**18
    w = {seed: lrsched.noise(lrsched.constant(1.0), pct=1.0, kind="uniform", seed=seed).table(n) - 1.0
         for seed in (0, 1, 2**32 - 1)}  # fmt: skip
    for x in w.values():
        ks = np.max(np.abs(np.sort(x) - np.linspace(-1.0, 1.0, n, endpoint=False) - 1.0 / n)) / 2.0
        assert ks < 1.95 / math.sqrt(n)
        assert abs(np.corrcoef(x[1:], x[:-1])[0, 1]) < 3.3 / math.sqrt(n)
    assert abs(np.corrcoef(w[0], w[1])[0, 1]) < 3.3 / math.sqrt(n)
    assert abs(np.corrcoef(w[1], w[2**32 - 1])[0, 1]) < 3.3 / math.sqrt(n)
    # across the 2**32 boundary, where the steps' high half (hashed once per block) changes
    s = lrsched.noise(lrsched.constant(1.0), pct=1.0, kind="uniform", seed=3)
    steps = np.arange(2**32 - 5_000, 2**32 + 5_000)
    x = s(steps) - 1.0
    assert np.unique(x).size == x.size and abs(x.mean()) < 0.04
    assert [s.at(int(t)) for t in steps[4_990:5_010]] == list(s.table(20, start=2**32 - 10))


def test_gaussian_noise_has_the_truncated_normal_variance():
    """Var of N(0, 1) truncated to |z| < c is 1 - 2 c phi(c) / (2 Phi(c) - 1) (independent of the sampler)."""
    c = 1.5
    n = (lrsched.noise(lrsched.constant(1.0), std=0.5, pct=c / 2, seed=9).table(400_000) - 1.0) / 0.5  # z = n / std
    phi = math.exp(-c * c / 2) / math.sqrt(2 * math.pi)
    var = 1 - 2 * c * phi / math.erf(c / math.sqrt(2))
    assert abs(n.var() - var) < 0.01 * var and abs(n.mean()) < 0.005
    # and its distribution function: P(|z| < c/2) within the truncation
    inner = math.erf(c / 2 / math.sqrt(2)) / math.erf(c / math.sqrt(2))
    assert abs(np.mean(np.abs(n) < c / 2) - inner) < 0.005


def test_k_decay_matches_timm_formula():
    # timm: lr_min + 0.5 (lr_max - lr_min) (1 + cos(pi t**k / T**k))
    t = np.arange(0, 101)
    want = 0.1 + 0.5 * (1.0 - 0.1) * (1 + np.cos(np.pi * t**2.0 / 100**2.0))
    got = lrsched.cosine(init_value=1.0, end_value=0.1, steps=100, k=2.0)(t)
    np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize(
    "s",
    [
        lrsched.sgdr(1.0, 10, end_value=0.01, warmup_steps=3),
        lrsched.repeat(lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=7), 37),
        lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=3, step_size_down=5),
    ],
    ids=["sgdr", "repeat", "cyclic"],
)
def test_a_copied_period_equals_the_cycle_by_cycle_values_bit_for_bit(s):
    """Tables copy one period of same-length cycles; single steps compute their cycle directly."""
    table = s.table(5_000, start=123)
    steps = np.r_[0, 1, 9, 10, 11, 36, 37, 2_047, 2_048, 4_999]
    assert table[steps].tolist() == [s.at(123 + int(t)) for t in steps]
