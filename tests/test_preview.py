"""Previews past the exact limit: describe, compare and plot read samples (lrsched.preview), not the table.

At sizes where the whole table fits, the sampled description is checked against the exact one
(by lowering the limit); at 2**40 and 2**62 the sampled values against closed forms written here.
"""

import math

import numpy as np
import pytest

import lrsched
from lrsched import plotting, preview, report

WC = dict(peak_value=3e-4, warmup_steps=2_000, end_value=3e-5)


@pytest.fixture
def low_limit(monkeypatch):
    """Sample every preview longer than 1,000 steps."""
    for module in (report, plotting):
        monkeypatch.setattr(module, "EXACT_LIMIT", 1_000)


def _exact_and_sampled(s, n, monkeypatch):
    exact = lrsched.describe(s, n)
    for module in (report, plotting):
        monkeypatch.setattr(module, "EXACT_LIMIT", 1_000)
    return exact, lrsched.describe(s, n)


CYCLED = {
    "sgdr-mult2": lrsched.sgdr(peak_value=1.0, cycle_steps=1_000, cycle_mult=2),
    "sgdr-decay": lrsched.sgdr(peak_value=1.0, cycle_steps=25_000, cycle_decay=0.7, warmup_steps=500),
    "cosine_restarts-fractional": lrsched.cosine_restarts(peak_value=1.0, total_steps=1_000_000, num_cycles=7,
                                                          warmup_steps=333),  # fmt: skip
    "cyclic": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=700, step_size_down=1_300),
    "join": lrsched.join([lrsched.warmup_cosine(total_steps=400_000, **WC), lrsched.constant(1e-5),
                          lrsched.linear(init_value=1e-4, steps=50_000)], boundaries=[400_000, 700_000]),
    "multistep": lrsched.multistep(init_value=1.0, milestones=[10, 300_000, 600_001], gamma=0.5),
    "wsd": lrsched.wsd(peak_value=1.0, total_steps=1_000_000, warmup_steps=0.01, decay_steps=0.1),
    "wsd-rsqrt-1-power": lrsched.wsd(peak_value=1.0, total_steps=1_000_000, warmup_steps=0.01, decay_steps=0.1,
                                     stable="rsqrt", decay_shape="1-power", power=1.7),
    "polynomial-cycle": lrsched.polynomial(init_value=1.0, steps=30_000, power=0.7, end_value=0.01, cycle=True,
                                           transition_begin=777),  # Keras' restarts inside one segment
    "sgdr-amplitude": lrsched.sgdr(peak_value=1.0, cycle_steps=30_000, cycle_decay=0.7, end_ratio=0.2,
                                   decay_mode="amplitude"),
}


@pytest.mark.parametrize("name", sorted(CYCLED))
def test_sampled_description_agrees_with_the_table(name, monkeypatch):
    s = CYCLED[name]
    n = 1_000_000
    exact, sampled = _exact_and_sampled(s, n, monkeypatch)
    assert sampled.sampled is not None and exact.sampled is None
    assert sampled.sampled < n // 10
    for field in ("steps", "start_value", "peak", "peak_at", "end_value", "warmup_end", "restarts"):
        assert getattr(sampled, field) == getattr(exact, field), field
    assert sampled.mean == pytest.approx(exact.mean, rel=1e-4)
    if not name.startswith(("sgdr", "cyclic", "cosine_restarts", "polynomial-cycle")):  # the same warnings, each at the same step
        assert [w.split("(first")[-1] for w in sampled.warnings] == [w.split("(first")[-1] for w in exact.warnings]


@pytest.mark.parametrize("name", sorted(CYCLED))
def test_every_boundary_and_the_step_before_it_is_sampled(name):
    s = CYCLED[name]
    n = 1_000_000
    at = preview.sample_steps(s, n)
    assert at.dtype == np.int64 and at[0] == 0 and at[-1] == n - 1 and np.all(np.diff(at) > 0)
    t = s.table(n)
    np.testing.assert_array_equal(s(at), t[at])  # the values drawn are the table's
    # every step where the value jumps up by more than 1% (a restart, a milestone reversed) is sampled with its
    # neighbour before; and every segment start of every layer
    jumps = np.flatnonzero(np.abs(np.diff(t)) > 0.01 * np.abs(t).max()) + 1
    assert set(jumps.tolist()) <= set(at.tolist()) and set((jumps - 1).tolist()) <= set(at.tolist())
    starts = {seg.start for layer in s.program.layers() for seg in layer if seg.start < n}
    assert starts <= set(at.tolist())


def test_many_cycles_are_sampled_cycle_wise_with_the_first_and_last_exact():
    s = lrsched.sgdr(peak_value=1.0, cycle_steps=100)
    n = 10_000_000  # 100,000 cycles
    at = set(preview.sample_steps(s, n).tolist())
    q = preview.ALL_CYCLES // 4
    assert {100 * i for i in range(q)} <= at and {100 * i for i in range(100_000 - q, 100_000)} <= at
    starts = [x for x in at if x % 100 == 0]
    # the cycles chosen, and the evenly strided steps that fall on a cycle's start
    assert preview.ALL_CYCLES - 10 <= len(starts) <= preview.ALL_CYCLES + 100


@pytest.mark.parametrize("n", [2**40, 2**62])
def test_warmup_cosine_at_token_scale_against_its_formula(n):
    s = lrsched.warmup_cosine(total_steps=n, **WC)
    d = lrsched.describe(s, n)
    assert d.sampled is not None and d.sampled <= preview.MAX_SAMPLES
    assert (d.start_value, d.peak, d.peak_at, d.warmup_end) == (0.0, 3e-4, 2_000, 2_000)
    at = preview.sample_steps(s, n)
    assert 1_999 in set(at.tolist()) and 2_001 in set(at.tolist())  # the warmup's end, seen from both sides

    def reference(k):  # the contract's formula, in Python floats
        if k < 2_000:
            return 3e-4 * k / 2_000
        p = (k - 2_000) / (n - 2_000)
        return 3e-5 + (3e-4 - 3e-5) * (1 + math.cos(math.pi * p)) / 2

    got = s(at)
    want = np.array([reference(int(k)) for k in at])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-18)
    # the mean of a cosine from 3e-4 to 3e-5 over (almost) the whole run is their midpoint
    assert d.mean == pytest.approx((3e-4 + 3e-5) / 2, rel=1e-6)
    assert "sampled steps" in str(d)


def test_a_fixed_period_over_2_62_steps_stays_bounded():
    for s in (lrsched.sgdr(peak_value=1.0, cycle_steps=1_000),
              lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=300)):  # fmt: skip
        at = preview.sample_steps(s, 2**62)
        assert at.size <= preview.MAX_SAMPLES and at[-1] == 2**62 - 1
        assert {600, 1_200, 2**62 - 1} <= set(at.tolist()) or {1_000, 2_000} <= set(at.tolist())
        d = lrsched.describe(s, 2**62)
        if s.to_dict()["type"] == "sgdr":
            assert d.restarts[:3] == [1_000, 2_000, 3_000]
            assert not any("periodic cosine" in w for w in d.warnings)


def test_compare_finds_a_late_difference_exactly():
    n = 2**40
    a = lrsched.warmup_cosine(total_steps=n, **WC)
    b = lrsched.join([a, lrsched.constant(1e-6)], boundaries=[2**39 + 7])
    c = lrsched.compare(a, b, n)
    assert c.first_difference == 2**39 + 7 and c.sampled is not None
    assert c.max_abs == pytest.approx(abs(a.at(n - 1) - 1e-6), rel=1e-9) or c.max_abs >= abs(a.at(2**39 + 7) - 1e-6)
    assert lrsched.compare(a, a * 1.0, n).identical
    assert "sampled steps" in str(c)


def test_plot_at_2_62_steps(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "long.png"
    lrsched.plot([lrsched.warmup_cosine(total_steps=2**62, **WC), lrsched.sgdr(peak_value=3e-4, cycle_steps=10**15)],
                 2**62, out)  # fmt: skip
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_steps_past_2_62_are_refused():
    s = lrsched.constant(1.0)
    for fn in (lambda: lrsched.describe(s, 2**62 + 1), lambda: lrsched.compare(s, s, 2**62 + 1)):
        with pytest.raises(ValueError, match="steps"):
            fn()
