"""Hypothesis properties that hold for every schedule, base or composite."""

import json

import numpy as np
from hypothesis import assume, given
from hypothesis import strategies as st

import lrsched
import reference
from strategies import base, lengths, schedules, sgdr_schedules, step_arrays, values

steps_strategy = st.lists(st.integers(0, 3 * 10**6), min_size=1, max_size=200)


@given(sgdr_schedules)
def test_every_cycle_restarts_exactly_at_its_peak(s):
    """At the first step of each cycle (after its warmup) the value is the cycle's peak."""
    d = s.to_dict()
    first, mult, w = d["cycle_steps"], d["cycle_mult"], d["warmup_steps"]
    end = d["end_value"] if d["end_value"] is not None else d["end_ratio"] * d["peak_value"]
    start = 0
    for i in range(d["cycle_limit"] or 30):
        if start + w > lrsched.MAX_STEP:
            break
        if d.get("decay_mode") == "amplitude":  # the height above end_value decays
            want = end + (d["peak_value"] - end) * d["cycle_decay"] ** i
        else:
            want = d["peak_value"] * d["cycle_decay"] ** i
        assert np.isclose(s.at(start + w), want, rtol=1e-15, atol=2e-323), (i, start)  # subnormals: a few ulps
        if w:
            assert s.at(start) == end
        start = first * (i + 1) if mult == 1 else (
            first * (int(mult) ** (i + 1) - 1) // (int(mult) - 1) if float(mult).is_integer()
            else reference.float_start(i + 1, float(first), float(mult)))  # fmt: skip


@given(st.integers(0, 2**32 - 1), st.sampled_from(["gaussian", "uniform"]), st.integers(0, 10**12),
       st.lists(st.integers(1, 5_000), max_size=5))  # fmt: skip
def test_noise_depends_on_seed_and_step_only(seed, kind, start, cuts):
    s = lrsched.noise(lrsched.constant(1.0), std=0.5, pct=0.9, kind=kind, seed=seed)
    n = 5_001
    whole = s.table(n, start=start)
    edges = [0, *sorted(cuts), n]
    parts = np.concatenate([s.table(b - a, start=start + a) for a, b in zip(edges, edges[1:])])
    np.testing.assert_array_equal(parts, whole)
    rng = np.random.default_rng(seed)
    picks = rng.permutation(n)[:300]
    np.testing.assert_array_equal(s(start + picks), whole[picks])  # any order, any subset
    again = lrsched.from_dict(s.to_dict())  # "resume" in a new object
    np.testing.assert_array_equal(again.table(n, start=start), whole)
    assert np.all(np.abs(whole - 1.0) < 0.9)
    other = lrsched.noise(lrsched.constant(1.0), std=0.5, pct=0.9, kind=kind, seed=(seed + 1) % 2**32)
    assert not np.array_equal(other.table(n, start=start), whole)


@given(schedules, st.data())
def test_values_are_finite_and_non_negative(s, data):
    v = s(data.draw(step_arrays(s)))
    assert np.all(np.isfinite(v)) and np.all(v >= 0)


def value_range(spec):
    """The interval a base family's values stay in, from its defining values."""
    g = spec.get
    kind = spec["type"]
    if kind == "constant":
        vs = [g("value")]
    elif kind in ("linear", "cosine", "polynomial", "tanh"):
        vs = [g("init_value"), g("end_value")]
    elif kind in ("warmup_cosine", "warmup_linear", "warmup_polynomial"):
        vs = [g("init_value"), g("peak_value"), g("end_value")]
    elif kind in ("warmup_constant", "inverse_sqrt"):
        vs = [g("init_value"), g("peak_value"), 0.0 if kind == "inverse_sqrt" else g("peak_value")]
    elif kind in ("exponential", "warmup_exponential"):
        init = g("init_value") if kind == "exponential" else g("peak_value")
        rate, end = g("decay_rate"), g("end_value")
        vs = [init, (0.0 if end is None else end) if rate < 1 else (init if rate == 1 else end)]
        if kind == "warmup_exponential":
            vs.append(g("init_value"))
    elif kind in ("inverse_time", "step"):
        vs = [g("init_value"), 0.0]
    elif kind == "multistep":
        vs = [g("init_value"), g("init_value") * g("gamma") ** len(g("milestones"))]
    elif kind in ("piecewise_constant", "piecewise_linear", "piecewise_anneal"):
        vs = g("values")
    elif kind == "sgdr":  # a decayed peak may fall below end_value, down to 0; growing ones peak in the last cycle
        end = g("end_value") if g("end_value") is not None else g("end_ratio") * g("peak_value")
        grow = max(1.0, g("cycle_decay")) ** ((g("cycle_limit") or 1) - 1)
        keeps_floor = g("cycle_decay") == 1.0 or g("decay_mode") == "amplitude"
        vs = [g("peak_value") * grow, end if keeps_floor else 0.0, end]
    elif kind == "cosine_restarts":
        vs = [g("peak_value"), g("end_value"), g("init_value")]
    elif kind == "cyclic":  # triangular2 by iterations starts its amplitude at 2x (torch's 0.5 ** (t - 1))
        base, top = g("base_value"), g("max_value")
        vs = [base, top, base + 2 * (top - base)]
    elif kind == "one_cycle":
        v0 = g("max_value") / g("div_factor")
        vs = [g("max_value"), v0, v0 / g("final_div_factor")]
    elif kind == "one_cycle_momentum":
        vs = [g("base_momentum"), g("max_momentum")]
    elif kind == "wsd":  # a falling stable phase stops at the floor
        low = g("end_value") if g("end_value") is not None else g("min_ratio") * g("peak_value")
        vs = [g("init_value"), g("peak_value"), low]
    else:
        raise AssertionError(kind)
    return min(vs), max(vs)


@given(base, st.data())
def test_values_stay_within_the_defining_values(s, data):
    lo, hi = value_range(s.to_dict())
    v = s(data.draw(step_arrays(s)))
    tol = 1e-12 * max(abs(lo), abs(hi))
    assert np.all(v >= lo - tol) and np.all(v <= hi + tol), (lo, hi, v.min(), v.max())


MONOTONE = ("linear", "cosine", "polynomial", "tanh", "exponential", "inverse_time", "step", "multistep")


@given(base, st.data())
def test_monotone_families_are_monotone(s, data):
    spec = s.to_dict()
    assume(spec["type"] in MONOTONE and not spec.get("cycle"))  # Keras' cycles restart
    steps = data.draw(step_arrays(s))
    steps = np.unique(np.r_[steps, np.arange(0, min(spec.get("steps") or 5_000, 5_000) + 2)])
    v = s(steps)
    d = np.diff(v)
    tol = 1e-15 * np.max(np.abs(v))
    assert np.all(d <= tol) or np.all(d >= -tol), v


@given(schedules, steps_strategy)
def test_array_call_equals_scalar_at(s, steps):
    assert s(np.array(steps)).tolist() == [s.at(t) for t in steps]


@given(schedules, st.integers(0, 3 * 10**6), st.integers(0, 10_000))
def test_table_equals_call_on_the_same_steps(s, start, n):
    np.testing.assert_array_equal(s.table(n, start=start), s(np.arange(start, start + n)))


@given(schedules, st.integers(0, 10**6), st.lists(st.integers(0, 9_000), max_size=6))
def test_chunked_tables_equal_the_whole(s, start, cuts):
    n = 9_001
    whole = s.table(n, start=start)
    edges = [0, *sorted(cuts), n]
    parts = [s.table(b - a, start=start + a) for a, b in zip(edges, edges[1:])]
    np.testing.assert_array_equal(np.concatenate(parts), whole)


@given(schedules, steps_strategy)
def test_float32_table_is_the_float64_table_rounded(s, steps):
    n = max(steps) + 1 if max(steps) < 50_000 else 50_000
    np.testing.assert_array_equal(s.table(n, dtype=np.float32), s.table(n).astype(np.float32))


@given(schedules, steps_strategy)
def test_dict_round_trip_is_exact_and_plain_json(s, steps):
    d = s.to_dict()
    again = lrsched.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert again == s and hash(again) == hash(s)
    assert again.to_dict() == d
    np.testing.assert_array_equal(again(np.array(steps)), s(np.array(steps)))


@given(base, base, st.integers(0, 10**6), steps_strategy)
def test_join_gives_each_piece_local_time(a, b, boundary, steps):
    j = lrsched.join([a, b], [boundary])
    t = np.array(steps)
    before, after = t[t < boundary], t[t >= boundary]
    np.testing.assert_array_equal(j(before), a(before))
    np.testing.assert_array_equal(j(after), b(after - boundary))


@given(base, base, steps_strategy)
def test_product_is_pointwise(a, b, steps):
    t = np.array(steps)
    np.testing.assert_array_equal((a * b)(t), a(t) * b(t))


@given(base, st.floats(0.0, 100.0), steps_strategy)
def test_scale_multiplies_every_value(a, c, steps):
    t = np.array(steps)
    np.testing.assert_allclose((a * c)(t), c * a(t), rtol=1e-15, atol=1e-300)  # subnormals: absolute


@given(base, st.integers(0, 3_000), values, st.sampled_from(lrsched.schedules.WARMUP_SHAPES))
def test_warmup_starts_at_init_and_hands_off_to_the_first_value(s, w, init, shape):
    ws = lrsched.warmup(s, w, init, shape)
    assert ws.at(w) == s.at(0)
    if w:
        assert np.isclose(ws.at(0), init, rtol=1e-15, atol=0)
        ramp = ws(np.arange(w + 1))  # monotone from init to the hand-off value
        d = np.diff(ramp)
        assert np.all(d >= -1e-15 * ramp.max()) or np.all(d <= 1e-15 * ramp.max())


@given(lengths, values, values)
def test_decays_hold_their_end_value_past_the_horizon(n, init, end):
    for s in (
        lrsched.linear(init_value=init, end_value=end, steps=n),
        lrsched.cosine(init_value=init, end_value=end, steps=n),
        lrsched.polynomial(init_value=init, end_value=end, steps=n, power=2.5),
    ):
        assert s.at(n) == s.at(n + 1) == s.at(lrsched.MAX_STEP) == end


@given(schedules, st.integers(0, 3 * 10**6), st.randoms(use_true_random=False))
def test_scattered_steps_equal_the_table_exactly(s, start, rnd):
    """Every path (a table, consecutive or scattered steps, one step) computes the same numbers."""
    n = 4_000
    table = s.table(n, start=start)
    picks = np.array(rnd.sample(range(n), 200))
    np.testing.assert_array_equal(s(start + picks), table[picks])
    np.testing.assert_array_equal(s(start + np.sort(picks)), table[np.sort(picks)])
    k = int(picks[0])
    assert s.at(start + k) == table[k]
