"""Pass/fail accuracy of the kernels' fast paths: every registered family, random configurations, <= 1e-12.

No timing here: each configuration is checked against the oracle (tests/reference.py) at
its boundaries and their neighbours, at random steps and at huge ones up to 2**62.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lrsched
from lrsched._schedule import _REGISTRY
from strategies import by_family, step_arrays
from test_families import check_against_reference


def test_every_registered_family_has_a_strategy():
    assert set(by_family) == set(_REGISTRY)


@pytest.mark.parametrize("family", sorted(by_family))
def test_random_configurations_match_the_oracle(family):
    # derandomized: the same 40 configurations on every run, so CI is reproducible; the other
    # hypothesis tests keep exploring new ones
    @settings(max_examples=40, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
    @given(by_family[family], st.data())
    def check(s, data):
        assert s.to_dict()["type"] == family
        check_against_reference(s, data.draw(step_arrays(s)))

    check()


# DeepSpeed's "log" warmup, through every factory that takes a warmup shape (the shape draws of the
# strategies above include it too): the oracle, and DeepSpeed's own formula min + (max - min) log(t + 1) / log(W)
LOG_WARMUPS = {
    "warmup": lambda w, init, peak: lrsched.warmup(lrsched.constant(peak), w, init, "log"),
    "warmup_constant": lambda w, init, peak: lrsched.warmup_constant(peak_value=peak, warmup_steps=w,
                                                                     init_value=init, warmup_shape="log"),
    "warmup_cosine": lambda w, init, peak: lrsched.warmup_cosine(peak_value=peak, warmup_steps=w, total_steps=w + 10,
                                                                 init_value=init, warmup_shape="log"),
    "warmup_linear": lambda w, init, peak: lrsched.warmup_linear(peak_value=peak, warmup_steps=w, total_steps=w + 10,
                                                                 init_value=init, warmup_shape="log"),
    "warmup_polynomial": lambda w, init, peak: lrsched.warmup_polynomial(
        peak_value=peak, warmup_steps=w, total_steps=w + 10, init_value=init, power=2.0, warmup_shape="log"),
    "warmup_exponential": lambda w, init, peak: lrsched.warmup_exponential(
        peak_value=max(peak, 1e-6), warmup_steps=w, decay_rate=0.5, transition_steps=3, init_value=init,
        warmup_shape="log"),
    "wsd": lambda w, init, peak: lrsched.wsd(peak_value=peak, total_steps=w + 10, warmup_steps=w, decay_steps=5,
                                             init_value=init, warmup_shape="log"),
}  # fmt: skip


@pytest.mark.parametrize("factory", sorted(LOG_WARMUPS))
def test_log_warmup_shape_is_deepspeeds_in_every_factory(factory):
    import math

    import numpy as np

    @settings(max_examples=25, deadline=None, derandomize=True, database=None)
    @given(st.integers(1, 10**6), st.sampled_from([0.0, 1e-8, 0.1, 3.0]), st.sampled_from([1e-8, 3e-4, 1.0, 10.0]),
           st.data())
    def check(w, init, peak, data):
        s = LOG_WARMUPS[factory](w, init, peak)
        spec = s.to_dict()
        assert spec.get("warmup_shape", spec.get("shape")) == "log" and lrsched.from_dict(spec) == s
        peak = s.at(w)  # the hand-off value (warmup_exponential's peak is floored above)
        edges = [0, 1, 2, w // 2, w - 2, w - 1, w, w + 1]
        steps = np.array(sorted({t for t in edges + data.draw(st.lists(st.integers(0, w - 1), max_size=20)) if t >= 0}))
        check_against_reference(s, steps)
        inside = steps[steps < w]
        if w > 1:  # DeepSpeed's WarmupLR: min_lr + delta_lr * (1 / log(W)) * log(t + 1), which itself
            # rounds by up to a few ulp of max(init, peak) (its sum cancels when init > peak)
            want = np.array([init + (peak - init) * (1.0 / math.log(w)) * math.log(t + 1) for t in inside.tolist()])
            err = np.abs(s(inside) - want)
            assert np.all(err <= 1e-12 * np.abs(want) + 1e-15 * max(init, peak)), (err.max(), w, init, peak)
            assert s.at(w - 1) == peak or abs(s.at(w - 1) - peak) <= 1e-15 * max(init, peak)

    check()
