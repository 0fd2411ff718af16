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
out = {}
for key, (kind, kw) in json.loads(sys.argv[1]).items():
    f = optax.polynomial_schedule(**kw) if kind == "polynomial" else optax.linear_schedule(**kw)
    steps = jnp.arange(kw["transition_begin"] + kw["transition_steps"] + 5, dtype=jnp.int64)
    out[key] = [float(v) for v in jax.vmap(f)(steps)]
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


@pytest.fixture(scope="module")
def optax_values():
    """The live optax values, in float64 in a subprocess (x64 is global jax state)."""
    import json
    import subprocess
    import sys

    pytest.importorskip("optax")
    run = subprocess.run([sys.executable, "-c", _OPTAX_SCRIPT, json.dumps(TRANSITION_CASES)],
                         capture_output=True, text=True, timeout=300, env={**__import__("os").environ,
                                                                           "JAX_PLATFORMS": "cpu"})  # fmt: skip
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


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
