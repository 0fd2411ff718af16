"""The block math of ``lrsched._kernels`` against ``math``, ``fractions`` and the standard library's NormalDist.

The kernels' accuracy tests cover these functions inside schedules; here each
one is checked alone, over its whole domain, so a regression names its cause.
"""

import math
import statistics
from fractions import Fraction

import numpy as np
import pytest
from numba import njit

from lrsched import _kernels as V
from lrsched._program import halves

import reference


@njit
def _log(x, exact=False):
    out = np.empty_like(x)
    bits = np.empty(2 * V.BLOCK, np.int64)
    for j0 in range(0, x.size, V.BLOCK):
        m = min(V.BLOCK, x.size - j0)
        if exact:
            V.log_pos_exact(x[j0 : j0 + m], out[j0 : j0 + m], bits, m)
        else:
            V.log_pos(x[j0 : j0 + m], out[j0 : j0 + m], bits, m)
    return out


@njit
def _pow(x, xc, e):
    g = np.empty_like(x)
    gc = np.empty_like(x)
    work = np.empty(V.BLOCK)
    bits = np.empty(2 * V.BLOCK, np.int64)
    for j0 in range(0, x.size, V.BLOCK):
        m = min(V.BLOCK, x.size - j0)
        sl = slice(j0, j0 + m)
        V.any_pow_pair(x[sl], xc[sl], e, g[sl], gc[sl], work, bits, m)
    return g, gc


@njit
def _quantile(q, tails):
    out = np.empty_like(q)
    work = np.empty(V.BLOCK)
    bits = np.empty(3 * V.BLOCK, np.int64)
    for j0 in range(0, q.size, V.BLOCK):
        m = min(V.BLOCK, q.size - j0)
        if tails:
            V.normal_quantile(q[j0 : j0 + m], out[j0 : j0 + m], work, bits, m)
        else:  # the central kernel's quantile
            V._central_rational(q[j0 : j0 + m], out[j0 : j0 + m], m)
    return out


def _ulps(got, want):
    return np.abs(got - want) / np.spacing(np.abs(want))


def test_log_within_one_ulp_over_the_whole_range():
    rng = np.random.default_rng(1)
    x = np.r_[
        np.exp(rng.uniform(-744, 709, 200_000)),
        1.0 + rng.uniform(-1e-6, 1e-6, 1_000),  # near 1, where log is near 0
        [5e-324, 1e-310, 2.2250738585072014e-308, 0.5, 1.0, 2.0, math.sqrt(2), np.nextafter(math.sqrt(2), 2), 1.7e308],
    ]
    want = np.log(x)
    ok = want != 0
    for exact in (False, True):
        got = _log(x, exact)
        assert _ulps(got[ok], want[ok]).max() <= 1.0
        assert np.all(got[~ok] == 0.0)


def test_the_noise_log_matches_the_reference_series_bit_for_bit():
    x = np.exp(np.random.default_rng(2).uniform(-744, 709, 5_000))
    got = _log(x, True)
    assert [float(v) for v in got] == [reference.series_log(float(v)) for v in x]


@pytest.mark.parametrize("e", [0.3, 0.5, 1.0, 1.7, 2.0, 2.5, 7.0, 12.25, 31.5, 33.3])
def test_power_pair_keeps_both_values_accurate(e):
    """(x ** e, 1 - x ** e) against exact rationals and a correctly rounded pow, at both ends of [0, 1]."""
    length = 2**20  # x and xc exact, and x + xc = 1 exactly
    t = np.r_[0:50, length // 2 - 5 : length // 2 + 5, length - 50 : length + 1, 123_457, 777_777]
    x = (length - t) / length
    xc = t / length
    g, gc = _pow(x, xc, e)
    for i, ti in enumerate(t):
        # x ** e from libm's pow (correctly rounded within 1 ulp); 1 - x ** e from the same with exact
        # rationals where it matters: near x = 1 via -expm1(e log1p(-xc))
        want = math.pow(x[i], e)
        want_c = -math.expm1(e * math.log1p(-xc[i])) if xc[i] < 0.5 else 1.0 - want
        tol = 2e-15 * max(1.0, abs(e * math.log(x[i])) if x[i] > 0 else 1.0)  # a few ulp
        if want == 0.0:
            assert g[i] == 0.0
        else:
            assert abs(g[i] - want) <= tol * want, (ti, g[i], want)
        assert abs(gc[i] - want_c) <= tol * abs(want_c) + (want_c == 0) * 1e-300, (ti, gc[i], want_c)
    # the exact ends
    assert g[t == length][0] == 0.0 and gc[t == length][0] == 1.0
    assert g[t == 0][0] == 1.0 and gc[t == 0][0] == 0.0


def test_whole_and_half_powers_by_multiplication_are_exact_rationals_where_they_can_be():
    x = np.array([0.5, 0.25, 0.75])
    g, gc = _pow(x, 1.0 - x, 3.0)
    assert list(g) == [float(Fraction(v) ** 3) for v in x]
    assert list(gc) == [float(1 - Fraction(v) ** 3) for v in x]


def test_normal_quantile_against_the_standard_library():
    normal = statistics.NormalDist()
    q = np.r_[np.linspace(-0.4999999, 0.4999999, 20_001), [0.0, 0.425, -0.425, 0.4250001, 0.5 - 1e-12, -(0.5 - 2**-54)]]
    got = _quantile(q, True)
    for qi, v in zip(q, got):
        want = normal.inv_cdf(0.5 + qi) if qi <= 0 else -normal.inv_cdf(0.5 - qi)  # 0.5 -+ |q| is exact
        assert abs(v - want) <= 1e-14 * max(1.0, abs(want)), (qi, v, want)
    central = np.abs(q) <= 0.425
    np.testing.assert_array_equal(_quantile(q[central], False), got[central])


def test_normal_quantile_inverts_the_normal_cdf():
    """An independent check: Phi(Q(p)) = p, Phi from math.erfc."""
    q = np.r_[np.geomspace(1e-15, 0.5 - 1e-15, 300) - 0.5, 0.5 - np.geomspace(1e-15, 0.5, 300)]
    x = _quantile(q, True)
    lower = [float(Fraction(1, 2) - abs(Fraction(v))) for v in q]  # min(p, 1 - p), exactly
    tail = [0.5 * math.erfc(abs(v) / math.sqrt(2.0)) for v in x]
    np.testing.assert_allclose(tail, lower, rtol=1e-13)


def test_clip_is_min_of_max():
    @njit
    def clip_all(v, lo, hi):
        return np.array([V.clip(x, lo, hi) for x in v])

    v = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, -0.0])
    np.testing.assert_array_equal(clip_all(v, -1.0, 1.0), np.minimum(np.maximum(v, -1.0), 1.0))


@njit
def _quotients(x, d, out):
    for i in range(x.size):
        out[i] = V.quotient(x[i], d[i], 1.0 / d[i])


@njit
def _quotients_of_every_step(length, out):
    inv = 1.0 / length
    for t in range(length + 1):
        out[2 * t] = V.quotient(t, length, inv)
        out[2 * t + 1] = V.quotient(length - t, length, inv)


def test_quotient_is_the_division_bit_for_bit():
    """``quotient`` (multiply by the reciprocal, one fused correction) against ``/``: integer steps
    over integer lengths up to 2**62, every step of some lengths, and real times over real lengths >= 1."""
    rng = np.random.default_rng(7)
    checked = 0
    for hi in (10, 10**3, 10**6, 10**9, 2**40, 2**53, 2**62):
        d = rng.integers(1, hi, 200_000, endpoint=True)
        x = rng.integers(0, 2**62, d.size) % (d + 1)
        for num in (x, d - x, rng.integers(0, 2**62, d.size)):  # within the length, and any step
            got = np.empty(d.size)
            _quotients(num.astype(np.float64), d.astype(np.float64), got)
            np.testing.assert_array_equal(got, num.astype(np.float64) / d.astype(np.float64))
            checked += d.size
    lengths = [*range(1, 400), *(2**k + j for k in range(2, 24) for j in (-1, 1)), 999_983, 3 * 2**20 - 1]
    for length in lengths:
        got = np.empty(2 * length + 2)
        _quotients_of_every_step(length, got)
        t = np.arange(length + 1, dtype=np.float64)
        want = np.empty_like(got)
        want[0::2] = t / length
        want[1::2] = (length - t) / length
        np.testing.assert_array_equal(got, want)
        checked += got.size
    d = np.exp(rng.uniform(0.0, math.log(2.0**62), 500_000))
    x = d * rng.uniform(0.0, 1.0, d.size)
    got = np.empty(d.size)
    _quotients(x, d, got)
    np.testing.assert_array_equal(got, x / d)
    assert checked > 5_000_000


@njit
def _nice(e):
    return V.nice(e)


@pytest.mark.parametrize("e", [0.5, 1.0, 2.5, 3.0, 31.5, 32.0, 32.5, 33.0, 0.25, 0.9, 1e-300, 0.0, -1.0, 2.5 + 2**-40,
                               math.inf, math.nan])
def test_the_programs_halves_test_is_the_kernels_nice(e):
    # a HALVES op's kernel takes its powers with nice(e) alone, so the op must be chosen by the same test
    n, half = _nice(e)
    assert halves(e) == (n >= 0)
    if n >= 0:
        assert n + half / 2 == e
