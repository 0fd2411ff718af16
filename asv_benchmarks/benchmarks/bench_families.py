"""A table of every family at 1e3, 1e5 and 1e6 steps, into a preallocated buffer (compare with
warmup_cosine), and the same values as a NumPy expression where a short one exists.

The schedules are defined over 1_000_000 steps; a smaller ``n`` times their first ``n`` steps.
"""

import numpy as np

N = 1_000_000


def families():
    import lrsched

    c = lrsched.constant(1.0)
    return {
        "warmup_cosine": lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=N, end_value=3e-5),
        "constant": c,
        "linear": lrsched.linear(init_value=1.0, steps=N),
        "cosine": lrsched.cosine(init_value=1.0, steps=N),
        "cosine_k2": lrsched.cosine(init_value=1.0, steps=N, k=2.0),
        "polynomial": lrsched.polynomial(init_value=1.0, steps=N, power=2.5),
        "polynomial_power1": lrsched.polynomial(init_value=1.0, steps=N),  # torch's and transformers' default power
        "warmup_polynomial": lrsched.warmup_polynomial(peak_value=1.0, warmup_steps=2_000, total_steps=N),
        "exponential": lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=100_000),
        "inverse_time": lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=1_000),
        "inverse_time_staircase": lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=1_000,
                                                       staircase=True),
        "inverse_sqrt": lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=4_000),
        "tanh": lrsched.tanh(init_value=1.0, steps=N),
        "step": lrsched.step(init_value=1.0, step_size=100_000, gamma=0.5),
        "multistep": lrsched.multistep(init_value=1.0, milestones=[300_000, 600_000, 900_000]),
        "piecewise_linear": lrsched.piecewise_linear(knots=[0, 10_000, 500_000, N], values=[0.0, 1.0, 0.5, 0.0]),
        "warmup_exponential": lrsched.warmup_exponential(peak_value=1.0, warmup_steps=1_000, decay_rate=0.5,
                                                         transition_steps=100_000),
        "sgdr": lrsched.sgdr(1.0, 10_000, 2, end_value=0.01, cycle_decay=0.9),
        "sgdr_float_mult": lrsched.sgdr(1.0, 10_000, 1.5, end_value=0.01),
        "sgdr_10_step_cycles": lrsched.sgdr(1.0, 10, end_value=0.01),
        "cosine_restarts": lrsched.cosine_restarts(peak_value=1.0, total_steps=N, num_cycles=7, warmup_steps=1_000),
        "cyclic_triangular2": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=2_000,
                                             mode="triangular2"),
        "cyclic_exp_range": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=2_000, mode="exp_range",
                                           gamma=0.99999),
        "one_cycle": lrsched.one_cycle(max_value=1.0, total_steps=N),
        "wsd": lrsched.wsd(peak_value=1.0, total_steps=N, warmup_steps=0.01, decay_steps=0.2, decay_shape="1-sqrt"),
        "wsd_rsqrt": lrsched.wsd(peak_value=1.0, total_steps=N, warmup_steps=0.01, decay_steps=0.2, stable="rsqrt"),
        "wsd_timm_exp": lrsched.wsd(peak_value=1.0, total_steps=N, warmup_steps=0.01, decay_steps=0.2,
                                    decay_shape="exponential", decay_ratio=0.1),
        "polynomial_cycle": lrsched.polynomial(init_value=1.0, steps=100_000, cycle=True),  # Keras' default power 1
        "sgdr_amplitude": lrsched.sgdr(1.0, 10_000, 2, end_ratio=0.1, cycle_decay=0.7, decay_mode="amplitude"),
        "restarts": lrsched.restarts([dict(peak_value=1.0, warmup_steps=1_000, decay_steps=300_000),
                                      dict(peak_value=0.5, warmup_steps=1_000, decay_steps=700_000)]),
        "repeat": lrsched.repeat(lrsched.warmup_cosine(peak_value=1.0, warmup_steps=100, total_steps=5_000), 5_000),
        "noise": lrsched.noise(lrsched.cosine(init_value=1.0, steps=N), std=0.1, pct=0.5),  # 15% of draws in the tails
        "noise_timm_defaults": lrsched.noise(lrsched.cosine(init_value=1.0, steps=N)),  # std 1, pct 0.67: no tails
        "noise_uniform": lrsched.noise(lrsched.cosine(init_value=1.0, steps=N), pct=0.5, kind="uniform"),
        "product": lrsched.cosine(init_value=1.0, steps=N) * lrsched.step(init_value=1.0, step_size=100_000),
    }  # fmt: skip


def numpy_expressions():
    """The same values as vectorized NumPy, for the families with a one-line formula."""
    return {
        "linear": lambda t: np.maximum(1.0 - t / N, 0.0),
        "cosine": lambda t: 0.5 * (1.0 + np.cos(np.pi * np.minimum(t, N) / N)),
        "polynomial": lambda t: (1.0 - np.minimum(t, N) / N) ** 2.5,
        "exponential": lambda t: 0.5 ** (t / 100_000),
        "inverse_time": lambda t: 1.0 / (1.0 + t / 1_000),
        "step": lambda t: 0.5 ** np.floor(t / 100_000),
    }


class FamilySuite:
    params = [list(families()), [1_000, 100_000, N]]
    param_names = ["family", "n"]

    def setup(self, family, n):
        self.schedule = families()[family]
        self.buf = np.empty(n)
        self.schedule.table(n, out=self.buf)  # load the kernels outside the timing

    def time_table(self, family, n):
        self.schedule.table(n, out=self.buf)


class FamilyFloat32Suite:
    """Every family's 1M-step table as float32 (compare with FamilySuite at 1e6: no slower)."""

    params = [list(families())]
    param_names = ["family"]

    def setup(self, family):
        self.schedule = families()[family]
        self.buf = np.empty(N, np.float32)
        self.schedule.table(N, out=self.buf)  # load the kernels outside the timing

    def time_table_float32(self, family):
        self.schedule.table(N, out=self.buf)


class FamilyNumpySuite:
    """The NumPy expression of the families that have a short one (compare with FamilySuite)."""

    params = [list(numpy_expressions()), [1_000, 100_000, N]]
    param_names = ["family", "n"]

    def setup(self, family, n):
        self.numpy = numpy_expressions()[family]
        self.t = np.arange(n, dtype=np.float64)
        want = families()[family].table(n)
        # the same values; NumPy's 1 - x and 1 + cos(x) lose digits near 0, so the check is absolute there
        np.testing.assert_allclose(self.numpy(self.t), want, rtol=1e-12, atol=1e-12)

    def time_numpy_expression(self, family, n):
        self.numpy(self.t)
