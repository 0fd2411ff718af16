"""Peers' schedule arguments in the core, compared with the live peer in float64."""

import math

import numpy as np
import pytest

import lrsched

WARMUP_DECAYS = {
    "warmup_cosine": lrsched.warmup_cosine,
    "warmup_linear": lrsched.warmup_linear,
    "warmup_polynomial": lrsched.warmup_polynomial,
}


# -- end_ratio ---------------------------------------------------------------


@pytest.mark.parametrize("w, total, ratio", [(0, 10, 0.1), (3, 13, 0.1), (5, 100, 0.25), (2, 3, 0.0), (4, 50, 1.0)],
                         ids=["no-warmup", "w3", "w5-quarter", "one-step-zero", "ratio-one"])  # fmt: skip
def test_end_ratio_matches_transformers_cosine_with_min_lr(w, total, ratio):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    peer = transformers.get_cosine_with_min_lr_schedule_with_warmup(
        opt, num_warmup_steps=w, num_training_steps=total, min_lr_rate=ratio
    )
    peak = 3e-4
    s = lrsched.warmup_cosine(peak_value=peak, warmup_steps=w, total_steps=total, end_ratio=ratio)
    steps = np.arange(total + 1)  # transformers' cosine rises again past total_steps; lrsched holds
    expected = np.array([peak * peer.lr_lambdas[0](int(t)) for t in steps])
    np.testing.assert_allclose(s(steps), expected, rtol=1e-12, atol=1e-18)
    assert s.at(10 * total) == peak * ratio


@pytest.mark.parametrize("fn", sorted(WARMUP_DECAYS))
def test_end_ratio_is_end_value_times_peak(fn):
    make = WARMUP_DECAYS[fn]
    by_ratio = make(peak_value=2.0, warmup_steps=3, total_steps=20, end_ratio=0.1)
    by_value = make(peak_value=2.0, warmup_steps=3, total_steps=20, end_value=0.2)
    np.testing.assert_array_equal(by_ratio.table(30), by_value.table(30))
    assert by_ratio.at(20) == 0.2


@pytest.mark.parametrize("fn", sorted(WARMUP_DECAYS))
def test_end_ratio_spec_round_trip(fn):
    s = WARMUP_DECAYS[fn](peak_value=1.5, warmup_steps=2, total_steps=9, end_ratio=0.3)
    d = s.to_dict()
    assert d["end_ratio"] == 0.3 and d["end_value"] is None
    back = lrsched.from_dict(d)
    assert back.to_dict() == d
    np.testing.assert_array_equal(back.table(12), s.table(12))
    assert "end_ratio" not in WARMUP_DECAYS[fn](peak_value=1.0, warmup_steps=2, total_steps=9).to_dict()


@pytest.mark.parametrize("fn", sorted(WARMUP_DECAYS))
def test_end_value_and_end_ratio_together_is_an_error(fn):
    with pytest.raises(ValueError, match=rf"^{fn}: give `end_value` or `end_ratio`, not both, "
                                         r"got end_value=0.1 and end_ratio=0.1\.$"):  # fmt: skip
        WARMUP_DECAYS[fn](peak_value=1.0, warmup_steps=2, total_steps=9, end_value=0.1, end_ratio=0.1)


@pytest.mark.parametrize("ratio, exc", [(1.5, ValueError), (-0.1, ValueError), (math.nan, ValueError),
                                        ("0.1", TypeError)])  # fmt: skip
def test_end_ratio_out_of_range(ratio, exc):
    with pytest.raises(exc, match=r"^warmup_cosine: `end_ratio` must be"):
        lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2, total_steps=9, end_ratio=ratio)


# -- transition_begin (optax) ------------------------------------------------

_OPTAX_SCRIPT = """
import json, sys
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import optax


def make(kind, kw):
    if kind == "polynomial":
        return optax.polynomial_schedule(**kw)
    if kind == "linear":
        return optax.linear_schedule(**kw)
    if kind == "sgdr":
        return optax.sgdr_schedule(kw["cosine_kwargs"])
    if kind == "onecycle":
        return optax.linear_onecycle_schedule(**kw)
    if kind == "piecewise_constant":  # JSON has no int keys: the boundaries come as pairs
        return optax.piecewise_constant_schedule(kw["init_value"], {int(b): s for b, s in kw["boundaries_and_scales"]})
    raise ValueError(kind)


cases = {key: (kind, kw, n[0] if n else kw["transition_begin"] + kw["transition_steps"] + 5)
         for key, (kind, kw, *n) in json.loads(sys.argv[1]).items()}
# one step array for all: jax compiles its eager ops once per shape, not once per case
steps = jnp.arange(max(n for _, _, n in cases.values()), dtype=jnp.int64)
out = {}
for key, (kind, kw, n) in cases.items():
    values = jax.vmap(make(kind, kw))(steps)
    assert values.dtype == jnp.float64 or kind == "cosine", (key, values.dtype)  # CosineDecay: float32 (its cos)
    out[key] = [float(v) for v in values[:n]]
print(json.dumps(out))
"""

TRANSITION_CASES = {
    "poly-b3-p2": ("polynomial", dict(init_value=1.0, end_value=0.1, power=2.0, transition_steps=7, transition_begin=3)),
    "poly-b0-p0.5": ("polynomial", dict(init_value=3e-4, end_value=0.0, power=0.5, transition_steps=10,
                                         transition_begin=0)),
    "poly-b100-growth": ("polynomial", dict(init_value=0.01, end_value=0.5, power=1.5, transition_steps=9,
                                             transition_begin=100)),
    "linear-b5": ("linear", dict(init_value=0.5, end_value=0.05, transition_steps=4, transition_begin=5)),
    "linear-b1-up": ("linear", dict(init_value=0.0, end_value=1.0, transition_steps=3, transition_begin=1)),
}  # fmt: skip


def _peer_values(peer, script, cases, **env):
    """``script`` run on ``cases`` (JSON in ``argv[1]``) in a fresh interpreter, and its JSON answer.

    A subprocess, as jax's x64 mode (and Keras' backend and floatx) are global state of a process.
    A missing peer skips, or fails with ``LRSCHED_REQUIRE_PEERS=1``.
    """
    import importlib.util
    import json
    import os
    import subprocess
    import sys

    if importlib.util.find_spec(peer) is None:
        if os.environ.get("LRSCHED_REQUIRE_PEERS") == "1":
            pytest.fail(f"{peer} is not installed (LRSCHED_REQUIRE_PEERS=1)", pytrace=False)
        pytest.skip(f"{peer} is not installed")
    run = subprocess.run([sys.executable, "-c", script, json.dumps(cases)], capture_output=True, text=True,
                         timeout=600, env={**os.environ, "JAX_PLATFORMS": "cpu", **env})  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def optax_values():
    """The live optax values of every optax case of this module, in float64 in one subprocess."""
    return _peer_values("optax", _OPTAX_SCRIPT, {**TRANSITION_CASES, **OPTAX_CASES})


@pytest.mark.parametrize("case", sorted(TRANSITION_CASES))
def test_transition_begin_matches_optax(case, optax_values):
    kind, kw = TRANSITION_CASES[case]
    args = dict(init_value=kw["init_value"], end_value=kw["end_value"], steps=kw["transition_steps"],
                transition_begin=kw["transition_begin"])  # fmt: skip
    s = lrsched.polynomial(**args, power=kw["power"]) if kind == "polynomial" else lrsched.linear(**args)
    expected = np.array(optax_values[case])
    np.testing.assert_allclose(s(np.arange(len(expected))), expected, rtol=1e-12, atol=1e-18)


@pytest.mark.parametrize("fn", [lrsched.linear, lrsched.polynomial], ids=["linear", "polynomial"])
def test_transition_begin_spec_round_trip(fn):
    s = fn(init_value=1.0, steps=4, end_value=0.2, transition_begin=3)
    d = s.to_dict()
    assert d["transition_begin"] == 3
    np.testing.assert_array_equal(lrsched.from_dict(d).table(10), s.table(10))
    assert "transition_begin" not in fn(init_value=1.0, steps=4).to_dict()


@pytest.mark.parametrize("begin, exc", [(-1, ValueError), (1.5, TypeError)])
def test_transition_begin_checked(begin, exc):
    with pytest.raises(exc, match=r"^polynomial: `transition_begin` must be"):
        lrsched.polynomial(init_value=1.0, steps=4, transition_begin=begin)


# -- Keras' schedules, live (one subprocess for every Keras case) -----------

_KERAS_SCRIPT = """
import json, sys
import jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp
import keras
keras.config.set_floatx("float64")
S = keras.optimizers.schedules
MAKE = {"polynomial": S.PolynomialDecay, "cosine_restarts": S.CosineDecayRestarts,
        "piecewise": S.PiecewiseConstantDecay, "cosine": S.CosineDecay, "exponential": S.ExponentialDecay,
        "inverse_time": S.InverseTimeDecay}
cases = json.loads(sys.argv[1])
steps = jnp.arange(max(n for _, _, n in cases.values()), dtype=jnp.int64)  # one shape: jax compiles once
out = {}
for key, (kind, kw, n) in cases.items():
    f = MAKE[kind](**kw)
    values = jax.vmap(f)(steps) if kind == "cosine" else f(steps)  # CosineDecay branches on a scalar step
    assert values.dtype == jnp.float64 or kind == "cosine", (key, values.dtype)  # CosineDecay: float32 (its cos)
    out[key] = [float(v) for v in values[:n]]
env = {"version": keras.__version__, "backend": keras.backend.backend(), "floatx": keras.config.floatx(),
       "x64": bool(jax.config.jax_enable_x64)}
print(json.dumps({"env": env, "values": out}))
"""

# Keras' PolynomialDecay(cycle=True): (case) -> kwargs; steps 0 .. 6 * decay_steps + 1 are compared.
POLY_CYCLE_CASES = {
    "p1-L7": dict(initial_learning_rate=1.0, decay_steps=7, end_learning_rate=0.1, power=1.0),
    "p0.5-L13-to-zero": dict(initial_learning_rate=3e-4, decay_steps=13, end_learning_rate=0.0, power=0.5),
    "p2.3-L7-growth": dict(initial_learning_rate=0.01, decay_steps=7, end_learning_rate=0.5, power=2.3),
    "p3-L1": dict(initial_learning_rate=2.0, decay_steps=1, end_learning_rate=0.02, power=3.0),
    "p3-L13": dict(initial_learning_rate=0.1, decay_steps=13, end_learning_rate=1e-4, power=3.0),
    "p0.5-L1-growth": dict(initial_learning_rate=0.2, decay_steps=1, end_learning_rate=0.9, power=0.5),
    "p2.3-L13-flat": dict(initial_learning_rate=0.25, decay_steps=13, end_learning_rate=0.25, power=2.3),
}  # fmt: skip

# Keras' CosineDecayRestarts: (case) -> (first_decay_steps, t_mul, m_mul, alpha, initial_learning_rate).
# Integer t_mul; the steps reach past the start of cycle 5 (cycle 6 for t_mul = 1), so the t_mul = 3 cases
# include step 121 * first_decay_steps, where the float64 log(3**5) / log(3) lands below 5.
RESTART_CASES = {
    "T10-t1-m1-a0": (10, 1, 1.0, 0.0, 0.1),
    "T7-t1-m0.9-a0.1": (7, 1, 0.9, 0.1, 3e-4),
    "T13-t1-m1.5-a0.3": (13, 1, 1.5, 0.3, 0.05),
    "T1-t1-m0.5-a0.1": (1, 1, 0.5, 0.1, 1.0),
    "T10-t2-m0.5-a0.1": (10, 2, 0.5, 0.1, 0.1),
    "T7-t2-m1-a0.3": (7, 2, 1.0, 0.3, 1.0),
    "T1-t2-m0.9-a0": (1, 2, 0.9, 0.0, 2.0),
    "T13-t2-m1.5-a0": (13, 2, 1.5, 0.0, 1e-3),
    "T1-t3-m0.5-a0.3": (1, 3, 0.5, 0.3, 0.7),
    "T2-t3-m1.5-a0.1": (2, 3, 1.5, 0.1, 0.01),
    "T5-t3-m0.9-a0": (5, 3, 0.9, 0.0, 0.3),
    "T7-t3-m1-a0.1": (7, 3, 1.0, 0.1, 6e-4),
}  # fmt: skip
RESTART_CYCLE_LIMIT = 8  # past every compared step (lrsched needs one for m_mul > 1)

# Keras' PiecewiseConstantDecay: (case) -> (boundaries, values).
KERAS_PIECEWISE_CASES = {
    "b0-3-7": ([0, 3, 7], [1.0, 0.5, 0.25, 0.1]),
    "b100-200": ([100, 200], [1e-3, 5e-4, 1e-5]),
    "one-boundary": ([5], [0.3, 0.03]),
    "b1-2-rising": ([1, 2], [0.1, 0.7, 0.3]),
}  # fmt: skip


# The rest of the README's Keras column: (case) -> (Keras class, its kwargs, the lrsched schedule, steps compared).
# CosineDecay takes its cosine in float32 as CosineDecayRestarts does: compared to 2e-6 of the peak; the others
# are float64 throughout.
KERAS_FAMILY_CASES = {
    "CosineDecay": ("cosine", dict(initial_learning_rate=0.1, decay_steps=50, alpha=0.1),
                    lambda: lrsched.cosine(init_value=0.1, steps=50, end_value=0.1 * 0.1), 60),
    "CosineDecay-warmup": ("cosine", dict(initial_learning_rate=0.0, decay_steps=40, alpha=0.2, warmup_target=1e-3,
                                          warmup_steps=10),
                           lambda: lrsched.warmup_cosine(peak_value=1e-3, warmup_steps=10, total_steps=50,
                                                         end_ratio=0.2), 60),
    "ExponentialDecay": ("exponential", dict(initial_learning_rate=0.3, decay_steps=7, decay_rate=0.8),
                         lambda: lrsched.exponential(init_value=0.3, decay_rate=0.8, transition_steps=7), 60),
    "ExponentialDecay-staircase": ("exponential", dict(initial_learning_rate=0.3, decay_steps=7, decay_rate=0.8,
                                                       staircase=True),
                                   lambda: lrsched.step(init_value=0.3, step_size=7, gamma=0.8), 60),
    "InverseTimeDecay": ("inverse_time", dict(initial_learning_rate=0.5, decay_steps=5, decay_rate=0.3),
                         lambda: lrsched.inverse_time(init_value=0.5, decay_rate=0.3, decay_steps=5), 60),
    "InverseTimeDecay-staircase": ("inverse_time", dict(initial_learning_rate=0.5, decay_steps=5, decay_rate=0.3,
                                                        staircase=True),
                                   lambda: lrsched.inverse_time(init_value=0.5, decay_rate=0.3, decay_steps=5,
                                                                staircase=True), 60),
    "PolynomialDecay": ("polynomial", dict(initial_learning_rate=0.2, decay_steps=30, end_learning_rate=0.01,
                                           power=2.0),
                        lambda: lrsched.polynomial(init_value=0.2, steps=30, end_value=0.01, power=2.0), 40),
}  # fmt: skip


def _restart_steps(first, t_mul):
    """Steps compared for a CosineDecayRestarts case: through the start of cycle 5 (6 for t_mul = 1), plus one."""
    cycles = 6 if t_mul == 1 else 5
    return first * sum(t_mul**i for i in range(cycles)) + 2


def _keras_cases():
    cases = {}
    for key, kw in POLY_CYCLE_CASES.items():
        cases["poly/" + key] = ("polynomial", {**kw, "cycle": True}, 6 * kw["decay_steps"] + 2)
    for key, (first, t_mul, m_mul, alpha, init) in RESTART_CASES.items():
        kw = dict(initial_learning_rate=init, first_decay_steps=first, t_mul=float(t_mul), m_mul=m_mul, alpha=alpha)
        cases["restarts/" + key] = ("cosine_restarts", kw, _restart_steps(first, t_mul))
    for key, (bounds, values) in KERAS_PIECEWISE_CASES.items():
        cases["piecewise/" + key] = ("piecewise", dict(boundaries=bounds, values=values), bounds[-1] + 5)
    for key, (kind, kw, _, n) in KERAS_FAMILY_CASES.items():
        cases["family/" + key] = (kind, kw, n)
    return cases


@pytest.fixture(scope="module")
def keras_values():
    """The live Keras values of every Keras case of this module: jax backend, x64, floatx float64, one subprocess."""
    return _peer_values("keras", _KERAS_SCRIPT, _keras_cases(), KERAS_BACKEND="jax")


def test_keras_peer_ran_in_float64_on_jax(keras_values):
    env = keras_values["env"]
    assert env["backend"] == "jax" and env["floatx"] == "float64" and env["x64"] is True, env
    assert env["version"].split(".")[0] == "3", env
    assert sorted(keras_values["values"]) == sorted(_keras_cases())


# -- polynomial(cycle=True) (Keras' PolynomialDecay) ---------------------------


def _cycled_polynomial(t, init, end, length, power, begin=0):
    """Keras' cycled polynomial decay in float64, after ``begin`` steps at ``init``: written out from its formula."""
    if t < begin:
        return init
    u = t - begin
    cycle_length = length * max(1, -(-u // length))  # L * max(1, ceil(u / L)), in integers
    return (init - end) * (1 - u / cycle_length) ** power + end


@pytest.mark.parametrize("case", sorted(POLY_CYCLE_CASES))
def test_polynomial_cycle_matches_keras(case, keras_values):
    kw = POLY_CYCLE_CASES[case]
    init, end, length = kw["initial_learning_rate"], kw["end_learning_rate"], kw["decay_steps"]
    s = lrsched.polynomial(init_value=init, steps=length, end_value=end, power=kw["power"], cycle=True)
    expected = np.array(keras_values["values"]["poly/" + case])
    steps = np.arange(len(expected))
    assert len(expected) == 6 * length + 2  # every multiple of L through 6 L, and 6 L + 1
    # Keras' (init - end) (1 - p)^power + end cancels near end_value: relative to the larger of the two there
    np.testing.assert_allclose(s(steps), expected, rtol=1e-12, atol=1e-15 * max(init, end))
    np.testing.assert_allclose(s(steps), [_cycled_polynomial(t, init, end, length, kw["power"]) for t in steps],
                               rtol=1e-12, atol=1e-15 * max(init, end))  # fmt: skip
    for j in range(1, 7):  # end_value at every multiple of L; restarted (not end_value) one step later, if L > 1
        assert s.at(j * length) == pytest.approx(end, rel=1e-12, abs=1e-15 * max(init, end))
        if init != end and length > 1:
            assert abs(s.at(j * length + 1) - end) > 1e-6 * abs(init - end)


@pytest.mark.parametrize("begin, length, power, init, end", [(3, 7, 2.0, 1.0, 0.1), (1, 1, 0.5, 0.3, 0.0),
                                                             (10, 4, 1.0, 0.01, 0.2), (25, 13, 3.0, 5e-4, 1e-6)],
                         ids=["b3-L7-p2", "b1-L1-p0.5", "b10-L4-growth", "b25-L13-p3"])  # fmt: skip
def test_polynomial_cycle_with_transition_begin(begin, length, power, init, end):
    s = lrsched.polynomial(init_value=init, steps=length, end_value=end, power=power, transition_begin=begin,
                           cycle=True)  # fmt: skip
    steps = np.arange(begin + 6 * length + 2)
    expected = [_cycled_polynomial(t, init, end, length, power, begin) for t in steps]
    np.testing.assert_allclose(s(steps), expected, rtol=1e-12, atol=1e-15 * max(init, end))
    assert (s(np.arange(begin + 1)) == init).all()
    # the cycles run in local time: the schedule after `begin` is the cycled one from step 0
    plain = lrsched.polynomial(init_value=init, steps=length, end_value=end, power=power, cycle=True)
    np.testing.assert_allclose(s(steps[begin:]), plain(steps[: len(steps) - begin]), rtol=1e-15, atol=0)


@pytest.mark.parametrize("begin", [0, 4], ids=["b0", "b4"])
def test_polynomial_cycle_spec_round_trip(begin):
    s = lrsched.polynomial(init_value=0.5, steps=6, end_value=0.05, power=1.7, transition_begin=begin, cycle=True)
    d = s.to_dict()
    assert d["cycle"] is True
    assert d.get("transition_begin", 0) == begin
    back = lrsched.from_dict(d)
    assert back.to_dict() == d
    np.testing.assert_array_equal(back.table(60), s.table(60))
    assert "cycle" not in lrsched.polynomial(init_value=0.5, steps=6, end_value=0.05, cycle=False).to_dict()
    assert "cycle" not in lrsched.polynomial(init_value=0.5, steps=6).to_dict()


def test_polynomial_cycle_without_k_decay():
    with pytest.raises(ValueError, match=r"^polynomial: `k` must be 1 with cycle=True\b.*got k=2\.0\.$"):
        lrsched.polynomial(init_value=1.0, steps=3, k=2.0, cycle=True)
    lrsched.polynomial(init_value=1.0, steps=3, k=2.0)  # k alone is fine


# -- sgdr(decay_mode="amplitude") (Keras' CosineDecayRestarts) ---------------


def _keras_restart_index(t, first, t_mul):
    """Keras' cycle index of step ``t``, in float64: floor(f) or floor(log(1 - f (1 - t_mul)) / log(t_mul))."""
    f = t / first
    if t_mul == 1:
        return math.floor(f)
    return math.floor(math.log(1 - f * (1 - t_mul)) / math.log(t_mul))


def _keras_restarts(t, first, t_mul, m_mul, alpha, init):
    """Keras' CosineDecayRestarts at step ``t``, written out from its formula in float64 (its float cycle index)."""
    f = t / first
    i = _keras_restart_index(t, first, t_mul)
    if t_mul == 1:
        f -= i
    else:
        f = (f - (1 - t_mul**i) / (1 - t_mul)) / t_mul**i
    return init * (alpha + (1 - alpha) * 0.5 * m_mul**i * (1 + math.cos(math.pi * f)))


def _restart_sgdr(case):
    first, t_mul, m_mul, alpha, init = RESTART_CASES[case]
    return lrsched.sgdr(init, first, t_mul, end_ratio=alpha, cycle_decay=m_mul, decay_mode="amplitude",
                        cycle_limit=RESTART_CYCLE_LIMIT)  # fmt: skip


def _restarts_of(first, t_mul, n):
    """{start step: cycle index} of the cycles i >= 1 that start before step n (exact integers)."""
    starts, at, i = {}, first, 1
    while at < n:
        starts[at] = i
        at += first * t_mul**i
        i += 1
    return starts


@pytest.mark.parametrize("case", sorted(RESTART_CASES))
def test_sgdr_amplitude_matches_live_keras(case, keras_values):
    first, t_mul, m_mul, alpha, init = RESTART_CASES[case]
    expected = np.array(keras_values["values"]["restarts/" + case])
    assert len(expected) == _restart_steps(first, t_mul)
    # Keras computes part of this in float32 even in float64 mode (~1e-7 of the peak)
    np.testing.assert_allclose(_restart_sgdr(case)(np.arange(len(expected))), expected, rtol=2e-6, atol=2e-6 * init)


@pytest.mark.parametrize("case", sorted(RESTART_CASES))
def test_sgdr_amplitude_matches_keras_formula_in_float64(case):
    first, t_mul, m_mul, alpha, init = RESTART_CASES[case]
    n = _restart_steps(first, t_mul)
    mine = _restart_sgdr(case)(np.arange(n))
    formula = np.array([_keras_restarts(t, first, t_mul, m_mul, alpha, init) for t in range(n)])
    off = np.abs(mine - formula) > 1e-12 * np.abs(formula) + 1e-15 * init
    # Keras' float log puts a restart step in the cycle before (its last value, the floor) where it lands just
    # below the whole number; lrsched's cycle index is integer arithmetic, and gives the new cycle's start there.
    starts = _restarts_of(first, t_mul, n)
    misplaced = sorted(t for t, i in starts.items() if _keras_restart_index(t, first, t_mul) < i)
    assert np.flatnonzero(off).tolist() == misplaced
    for t in misplaced:
        i = starts[t]
        assert mine[t] == pytest.approx(init * (alpha + (1 - alpha) * m_mul**i), rel=1e-12)
        assert formula[t] == pytest.approx(init * alpha, rel=1e-12, abs=1e-15 * init)


def test_keras_formula_misplaces_the_restart_at_121(keras_values):
    """The float64 log of 3**5 over log 3 is 4.999999999999999: Keras' formula in float64 puts step 121 (t_mul=3,
    first_decay_steps=1) at the end of cycle 4; lrsched starts cycle 5 there, as the live Keras does (its log
    is a float32 one, which lands on 5)."""
    assert math.log(3**5) / math.log(3) < 5
    assert _keras_restart_index(121, 1, 3) == 4 and _keras_restart_index(122, 1, 3) == 5
    assert _restarts_of(1, 3, 122)[121] == 5
    s = _restart_sgdr("T1-t3-m0.5-a0.3")
    start = 0.7 * (0.3 + 0.7 * 0.5**5)
    assert s.at(121) == pytest.approx(start, rel=1e-12)
    assert s.at(120) < s.at(121) and s.at(122) < s.at(121)
    assert _keras_restarts(121, 1, 3, 0.5, 0.3, 0.7) == pytest.approx(0.7 * 0.3, rel=1e-12)
    assert keras_values["values"]["restarts/T1-t3-m0.5-a0.3"][121] == pytest.approx(start, rel=2e-6)


@pytest.mark.parametrize("first, mult, decay", [(10, 1, 0.5), (4, 2, 0.8), (3, 3, 1.5)],
                         ids=["T10-t1-decay0.5", "T4-t2-decay0.8", "T3-t3-grow1.5"])  # fmt: skip
def test_sgdr_decay_mode_peak_and_amplitude(first, mult, decay):
    n = first * (1 + mult + mult**2) + 1
    kw = dict(cycle_decay=decay, cycle_limit=4)

    def both(**end):
        peak = lrsched.sgdr(2.0, first, mult, **end, **kw)
        amplitude = lrsched.sgdr(2.0, first, mult, **end, **kw, decay_mode="amplitude")
        return peak(np.arange(n)), amplitude(np.arange(n))

    peak, amplitude = both(end_value=0.0)
    np.testing.assert_allclose(peak, amplitude, rtol=1e-15, atol=0)
    peak, amplitude = both(end_value=0.5)
    np.testing.assert_array_equal(peak[:first], amplitude[:first])  # cycle 0: no decay yet
    # cycle i starts at peak * decay**i (timm's) or end + (peak - end) * decay**i (Keras')
    for i, at in enumerate([0, first, first * (1 + mult), first * (1 + mult + mult**2)]):
        assert peak[at] == pytest.approx(2.0 * decay**i, rel=1e-14)
        assert amplitude[at] == pytest.approx(0.5 + 1.5 * decay**i, rel=1e-14)
    assert not np.allclose(peak[first:], amplitude[first:], rtol=1e-6)
    assert amplitude.min() >= 0.5 - 1e-15  # Keras' cycles stay above the floor (timm's peaks may sink below it)


def test_sgdr_decay_mode_spec_round_trip():
    s = lrsched.sgdr(1.0, 5, 2, end_ratio=0.1, cycle_decay=0.7, decay_mode="amplitude")
    d = s.to_dict()
    assert d["decay_mode"] == "amplitude" and d["end_ratio"] == 0.1
    np.testing.assert_array_equal(lrsched.from_dict(d).table(80), s.table(80))
    assert "decay_mode" not in lrsched.sgdr(1.0, 5, 2, cycle_decay=0.7).to_dict()


def test_sgdr_growing_cycles_need_a_cycle_limit():
    with pytest.raises(ValueError, match=r"^sgdr: `cycle_decay` must be <= 1 without a cycle_limit\b.*"
                                         r"got cycle_decay=1\.5\.$"):  # fmt: skip
        lrsched.sgdr(1.0, 5, 2, cycle_decay=1.5, decay_mode="amplitude")
    s = lrsched.sgdr(1.0, 5, 2, cycle_decay=1.5, decay_mode="amplitude", cycle_limit=3)
    assert s.at(5) == pytest.approx(1.5) and s.at(15) == pytest.approx(2.25) and s.at(35) == 0.0


def test_sgdr_end_ratio_and_end_value_together():
    with pytest.raises(ValueError, match=r"^sgdr: give `end_value` or `end_ratio`, not both, "
                                         r"got end_value=0\.1 and end_ratio=0\.1\.$"):  # fmt: skip
        lrsched.sgdr(1.0, 5, end_value=0.1, end_ratio=0.1)
    held = lrsched.sgdr(2.0, 5, end_ratio=0.25, cycle_limit=1)  # end_value = 0.25 * peak, held after the cycle
    assert held.at(5) == 0.5 and held.at(4) > 0.5


# -- piecewise_constant / multistep `switch` (Keras, optax) -----------------

# optax's piecewise_constant_schedule: (case) -> (init_value, [(boundary, scale), ...], steps compared).
OPTAX_PIECEWISE_CASES = {
    "b0-3-10": (1.0, [(0, 0.5), (3, 0.1), (10, 2.0)], 15),
    "b100-250": (3e-4, [(100, 0.1), (250, 0.1)], 260),
    "scales-0.3": (0.7, [(2, 0.3), (5, 0.3), (6, 0.3)], 10),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(KERAS_PIECEWISE_CASES))
def test_piecewise_constant_after_is_keras(case, keras_values):
    bounds, values = KERAS_PIECEWISE_CASES[case]
    expected = np.array(keras_values["values"]["piecewise/" + case])
    s = lrsched.piecewise_constant(boundaries=bounds, values=values, switch="after")
    np.testing.assert_array_equal(s(np.arange(len(expected))), expected)
    for b, before in zip(bounds, values):  # a boundary is the last step of the value before it
        assert s.at(b) == before
    d = s.to_dict()
    assert d["switch"] == "after"
    np.testing.assert_array_equal(lrsched.from_dict(d).table(len(expected)), s.table(len(expected)))


@pytest.mark.parametrize("case", sorted(OPTAX_PIECEWISE_CASES))
def test_piecewise_constant_at_is_optax(case, optax_values):
    init, scales, n = OPTAX_PIECEWISE_CASES[case]
    values = [init]
    for _, scale in sorted(scales):  # optax's values: the products of the scales so far
        values.append(scale * values[-1])
    s = lrsched.piecewise_constant(boundaries=[b for b, _ in sorted(scales)], values=values)
    expected = np.array(optax_values["piecewise/" + case])
    assert len(expected) == n
    np.testing.assert_array_equal(s(np.arange(n)), expected)
    assert "switch" not in s.to_dict()
    at = lrsched.piecewise_constant(boundaries=[b for b, _ in sorted(scales)], values=values, switch="at")
    np.testing.assert_array_equal(at.table(n), s.table(n))


@pytest.mark.parametrize("switch, expected", [
    ("at", [1, 1, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125]),
    ("after", [1, 1, 1, 0.25, 0.25, 0.25, 0.125, 0.125]),
    ("before", [1, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125, 0.125]),
], ids=["at", "after", "before"])  # fmt: skip
def test_multistep_switch(switch, expected):
    s = lrsched.multistep(init_value=1.0, milestones=[2, 2, 5], gamma=0.5, switch=switch)
    np.testing.assert_array_equal(s(np.arange(8)), expected)
    d = s.to_dict()
    assert d.get("switch", "at") == switch and ("switch" in d) == (switch != "at")
    np.testing.assert_array_equal(lrsched.from_dict(d).table(8), expected)


@pytest.mark.parametrize("fn, kw, expected", [
    (lrsched.multistep, dict(init_value=1.0, milestones=[0, 3], gamma=0.5), [0.5, 0.5, 0.25, 0.25, 0.25]),
    (lrsched.multistep, dict(init_value=1.0, milestones=[0, 1, 3], gamma=0.5), [0.25, 0.25, 0.125, 0.125, 0.125]),
    (lrsched.piecewise_constant, dict(boundaries=[0, 3], values=[1.0, 0.5, 0.1]), [0.5, 0.5, 0.1, 0.1, 0.1]),
], ids=["multistep-0-3", "multistep-0-1-3", "piecewise_constant-0-3"])  # fmt: skip
def test_switch_before_a_step_zero_change_is_at_step_zero(fn, kw, expected):
    """A change one step before step 0 happens at step 0 (timm's MultiStepLRScheduler: bisect_right(m, t + 1))."""
    s = fn(**kw, switch="before")
    np.testing.assert_array_equal(s(np.arange(5)), expected)
    np.testing.assert_array_equal(lrsched.from_dict(s.to_dict()).table(5), expected)
    # one step later with "after": the initial value holds at step 0
    assert fn(**kw, switch="after").at(0) == (kw.get("init_value") or kw["values"][0])


@pytest.mark.parametrize("fn, kw", [
    (lrsched.multistep, dict(init_value=1.0, milestones=[1, 3])),
    (lrsched.piecewise_constant, dict(boundaries=[1, 3], values=[1.0, 0.5, 0.1])),
], ids=["multistep", "piecewise_constant"])  # fmt: skip
def test_unknown_switch(fn, kw):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: `switch` must be one of 'at', 'before', 'after', "
                                         r"got switch='later'\.$"):  # fmt: skip
        fn(**kw, switch="later")


# -- restarts (optax's sgdr_schedule) ----------------------------------------

# optax's cosine_kwargs, unchanged (warmup_cosine_decay_schedule's arguments: decay_steps includes the warmup).
SGDR_CASES = {
    "issue-2000-3000-5000": [
        dict(init_value=0.0, peak_value=1e-3, warmup_steps=100, decay_steps=2000, end_value=1e-5),
        dict(init_value=1e-5, peak_value=5e-4, warmup_steps=150, decay_steps=3000, end_value=1e-5),
        dict(init_value=1e-5, peak_value=2.5e-4, warmup_steps=250, decay_steps=5000, end_value=1e-6),
    ],
    "exponents-2-and-0.5": [
        dict(init_value=0.0, peak_value=0.1, warmup_steps=5, decay_steps=40, end_value=1e-3, exponent=2.0),
        dict(init_value=1e-3, peak_value=0.05, warmup_steps=3, decay_steps=25, end_value=0.0, exponent=0.5),
    ],
    "no-warmup": [
        dict(init_value=0.1, peak_value=0.1, warmup_steps=0, decay_steps=30, end_value=0.0),
        dict(init_value=0.0, peak_value=0.05, warmup_steps=0, decay_steps=17, end_value=5e-3),
        dict(init_value=0.02, peak_value=0.02, warmup_steps=0, decay_steps=1),
    ],
    "one-cycle": [dict(init_value=1e-4, peak_value=3e-3, warmup_steps=10, decay_steps=50, end_value=3e-5)],
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(SGDR_CASES))
def test_restarts_matches_optax_sgdr(case, optax_values):
    cycles = SGDR_CASES[case]
    s = lrsched.restarts(cycles)
    expected = np.array(optax_values["sgdr/" + case])
    total = sum(c["decay_steps"] for c in cycles)
    assert len(expected) == total + 11  # every step through the end + 10
    peak = max(c["peak_value"] for c in cycles)
    np.testing.assert_allclose(s(np.arange(len(expected))), expected, rtol=1e-12, atol=1e-15 * peak)
    assert cycles == SGDR_CASES[case]  # the dicts are not changed
    at = 0
    for c in cycles:  # each cycle starts at its init_value (its peak without a warmup)
        assert s.at(at) == pytest.approx(c["init_value"] if c["warmup_steps"] else c["peak_value"], rel=1e-12)
        at += c["decay_steps"]
    assert s.at(10 * total) == pytest.approx(cycles[-1].get("end_value", 0.0), abs=1e-18)


@pytest.mark.parametrize("case", sorted(SGDR_CASES))
def test_restarts_json_round_trip(case):
    import json

    s = lrsched.restarts(SGDR_CASES[case])
    text = json.dumps(s.to_dict())
    back = lrsched.from_dict(json.loads(text))
    n = sum(c["decay_steps"] for c in SGDR_CASES[case]) + 11
    np.testing.assert_array_equal(back.table(n), s.table(n))
    assert json.dumps(back.to_dict()) == text
    # the same cycles as total_steps dicts or as warmup_cosine schedules give the same table
    renamed = [{("total_steps" if k == "decay_steps" else k): v for k, v in c.items()} for c in SGDR_CASES[case]]
    np.testing.assert_array_equal(lrsched.restarts(renamed).table(n), s.table(n))
    np.testing.assert_array_equal(lrsched.restarts([lrsched.warmup_cosine(**c) for c in renamed]).table(n), s.table(n))


_CYCLE = dict(peak_value=1.0, warmup_steps=1, decay_steps=4)


@pytest.mark.parametrize("cycles, exc, message", [
    ([], ValueError, r"^restarts: `cycles` must be a list of at least one cycle, got cycles=\[\]\.$"),
    (_CYCLE, TypeError, r"^restarts: `cycles` must be a list of dicts of warmup_cosine arguments, got cycles="),
    ([_CYCLE, dict(peak_value=1.0, warmup_step=1, decay_steps=4)], TypeError,
     r"^restarts: cycles\[1\]: warmup_cosine: unknown argument 'warmup_step'"),
    ([_CYCLE, _CYCLE, dict(peak_value=1.0, warmup_steps=1, decay_steps=4, total_steps=4)], ValueError,
     r"^restarts: cycles\[2\]: give `total_steps` or optax's `decay_steps`, not both, "
     r"got total_steps=4 and decay_steps=4\.$"),
    ([_CYCLE, dict(peak_value=1.0, warmup_steps=5, decay_steps=4)], ValueError,
     r"^restarts: cycles\[1\]: warmup_cosine: `total_steps` must be > warmup_steps=5"),
    ([_CYCLE, 3], TypeError, r"^restarts: `cycles\[1\]` must be a dict of warmup_cosine arguments"),
], ids=["empty", "not-a-list", "bad-key", "total-and-decay-steps", "warmup-too-long", "not-a-dict"])  # fmt: skip
def test_restarts_errors(cycles, exc, message):
    with pytest.raises(exc, match=message):
        lrsched.restarts(cycles)


# -- one_cycle(pct_final=...) (optax's linear_onecycle_schedule) -------------

ONECYCLE_CASES = {
    "T100-default": dict(transition_steps=100, peak_value=0.1),
    "T1000-0.25-0.5": dict(transition_steps=1000, peak_value=3e-3, pct_start=0.25, pct_final=0.5, div_factor=10.0,
                           final_div_factor=100.0),
    "T37-0.1-0.95": dict(transition_steps=37, peak_value=1.0, pct_start=0.1, pct_final=0.95, div_factor=4.0,
                         final_div_factor=1e3),
    "T64-0.3-0.85-div1": dict(transition_steps=64, peak_value=0.5, pct_start=0.3, pct_final=0.85, div_factor=1.0,
                              final_div_factor=1.0),
}  # fmt: skip
ONECYCLE_DEFAULTS = dict(pct_start=0.3, pct_final=0.85, div_factor=25.0, final_div_factor=1e4)  # optax's


def _onecycle(case):
    kw = {**ONECYCLE_DEFAULTS, **ONECYCLE_CASES[case]}
    return kw, lrsched.one_cycle(max_value=kw["peak_value"], total_steps=kw["transition_steps"],
                                 pct_start=kw["pct_start"], pct_final=kw["pct_final"], three_phase=True,
                                 anneal="linear", div_factor=kw["div_factor"],
                                 final_div_factor=kw["final_div_factor"])  # fmt: skip


@pytest.mark.parametrize("case", sorted(ONECYCLE_CASES))
def test_one_cycle_pct_final_matches_optax(case, optax_values):
    kw, s = _onecycle(case)
    total, peak = kw["transition_steps"], kw["peak_value"]
    expected = np.array(optax_values["onecycle/" + case])
    assert len(expected) == total + 11
    np.testing.assert_allclose(s(np.arange(total + 11)), expected, rtol=1e-12, atol=1e-15 * peak)
    up, back = int(kw["pct_start"] * total), int(kw["pct_final"] * total)
    assert s.at(up) == pytest.approx(peak, rel=1e-15)
    assert s.at(back) == pytest.approx(peak / kw["div_factor"], rel=1e-15)
    assert s.at(total) == pytest.approx(peak / kw["div_factor"] / kw["final_div_factor"], rel=1e-15)


@pytest.mark.parametrize("case", sorted(ONECYCLE_CASES))
def test_one_cycle_pct_final_spec_round_trip(case):
    kw, s = _onecycle(case)
    d = s.to_dict()
    assert d["pct_final"] == kw["pct_final"] and d["three_phase"] is True
    n = kw["transition_steps"] + 11
    np.testing.assert_array_equal(lrsched.from_dict(d).table(n), s.table(n))
    assert "pct_final" not in lrsched.one_cycle(max_value=1.0, total_steps=50, three_phase=True).to_dict()


@pytest.mark.parametrize("fn, kw", [(lrsched.one_cycle, dict(max_value=1.0)), (lrsched.one_cycle_momentum, {})],
                         ids=["one_cycle", "one_cycle_momentum"])  # fmt: skip
def test_pct_final_needs_three_phase(fn, kw):
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: `pct_final` must be given only with three_phase=True"):
        fn(**kw, total_steps=100, pct_final=0.8)
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: `pct_final` must be given only with three_phase=True"):
        fn(**kw, total_steps=100, pct_final=0.8, three_phase=False)


@pytest.mark.parametrize("pct_final, back", [(0.3, 30), (0.305, 30), (0.2, 20), (1e-3, 0)],
                         ids=["equal", "same-step", "below", "step-zero"])  # fmt: skip
def test_pct_final_must_end_after_the_peak(pct_final, back):
    with pytest.raises(ValueError, match=r"^one_cycle: `pct_final` must be such that "
                                         rf"int\(pct_start \* total_steps\)=30 < int\(pct_final \* total_steps\)={back}"
                                         r" < 100, got pct_final="):  # fmt: skip
        lrsched.one_cycle(max_value=1.0, total_steps=100, pct_start=0.3, pct_final=pct_final, three_phase=True)


def test_pct_final_may_end_one_step_before_the_end():
    s = lrsched.one_cycle(max_value=1.0, total_steps=100, pct_final=0.999, three_phase=True, anneal="linear")
    assert s.at(30) == 1.0 and s.at(99) == pytest.approx(1.0 / 25.0, rel=1e-15)
    assert s.at(100) == pytest.approx(1.0 / 25.0 / 1e4, rel=1e-15)


@pytest.mark.parametrize("total, pct_start, pct_final, anneal", [(100, 0.3, 0.85, "linear"), (37, 0.1, 0.95, "cos"),
                                                                  (1000, 0.25, 0.5, "linear"), (64, 0.3, 0.4, "cos")],
                         ids=["T100-linear", "T37-cos", "T1000-linear", "T64-cos"])  # fmt: skip
def test_one_cycle_momentum_turns_back_with_one_cycle(total, pct_start, pct_final, anneal):
    kw = dict(total_steps=total, pct_start=pct_start, pct_final=pct_final, three_phase=True, anneal=anneal)
    lr = lrsched.one_cycle(max_value=2.0, div_factor=10.0, **kw)(np.arange(total + 5))
    mom = lrsched.one_cycle_momentum(base_momentum=0.85, max_momentum=0.95, **kw)(np.arange(total + 5))
    up, back = int(pct_start * total), int(pct_final * total)
    assert int(np.argmax(lr)) == up and int(np.argmin(mom)) == up
    assert mom[up] == pytest.approx(0.85, rel=1e-15) and mom[0] == pytest.approx(0.95, rel=1e-15)
    assert mom[back] == pytest.approx(0.95, rel=1e-15) and mom[back - 1] < 0.95
    np.testing.assert_allclose(mom[back:], 0.95, rtol=1e-15)  # then flat at max_momentum
    # the inverse cycle through [0, back]: the same fraction of the way, phase by phase
    np.testing.assert_allclose((0.95 - mom[: back + 1]) / 0.1, (lr[: back + 1] - 0.2) / 1.8, rtol=1e-9, atol=1e-12)


OPTAX_CASES = {
    **{"piecewise/" + k: ("piecewise_constant", dict(init_value=v, boundaries_and_scales=bs), n)
       for k, (v, bs, n) in OPTAX_PIECEWISE_CASES.items()},
    **{"sgdr/" + k: ("sgdr", dict(cosine_kwargs=c), sum(x["decay_steps"] for x in c) + 11)
       for k, c in SGDR_CASES.items()},
    **{"onecycle/" + k: ("onecycle", kw, kw["transition_steps"] + 11) for k, kw in ONECYCLE_CASES.items()},
}  # fmt: skip


def test_optax_peer_computed_every_case(optax_values):
    assert sorted(optax_values) == sorted({**TRANSITION_CASES, **OPTAX_CASES})
    assert all(all(math.isfinite(v) for v in values) for values in optax_values.values())


@pytest.mark.parametrize("case", sorted(KERAS_FAMILY_CASES))
def test_readme_keras_column_matches_keras(case, keras_values):
    """Each Keras schedule the README's families table names, as the lrsched factory it names."""
    kind, kw, make, n = KERAS_FAMILY_CASES[case]
    expected = np.array(keras_values["values"]["family/" + case])
    ours = make()(np.arange(n))
    peak = np.abs(expected).max()
    if kind == "cosine":  # Keras' float32 cosine
        np.testing.assert_allclose(ours, expected, rtol=0, atol=2e-6 * peak)
    else:
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-15 * peak)


def test_restarts_spec_takes_optax_dicts_as_they_are(tmp_path):
    """A spec file (or a CLI argument) may list the cycles as optax's own dicts, without a "type" each."""
    import json

    from lrsched.cli import main

    cycles = [dict(init_value=0.0, peak_value=1e-3, warmup_steps=10, decay_steps=200),
              dict(init_value=1e-5, peak_value=5e-4, warmup_steps=5, decay_steps=300, end_value=1e-5)]  # fmt: skip
    want = lrsched.restarts(cycles)
    assert lrsched.from_dict({"type": "restarts", "cycles": cycles}) == want
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"type": "restarts", "cycles": cycles}))
    assert lrsched.load(path) == want
    mixed = {"type": "restarts", "cycles": [want.to_dict()["cycles"][0], cycles[1]]}  # a spec and a dict
    assert lrsched.from_dict(mixed) == want
    with pytest.raises(TypeError, match=r"from_dict: `d\['cycles'\]\[1\]\['peak_value'\]` must be plain JSON"):
        lrsched.from_dict({"type": "restarts", "cycles": [cycles[0], dict(cycles[1], peak_value=object())]})
    out = tmp_path / "t.npy"
    assert main(["table", "restarts", f"cycles={json.dumps(cycles)}", "-o", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), want.table(500))
