"""lrsched.optax: a Schedule as an optax schedule, checked on real optax optimizers and under jax.jit.

With ``LRSCHED_REQUIRE_PEERS=1`` a missing jax or optax fails the module instead of skipping it.
JAX's 64-bit mode is global, so the float64 tests run in a subprocess that turns it on.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lrsched
from peers import require

jax = require("jax")
optax = require("optax")
import jax.numpy as jnp  # noqa: E402

import lrsched.optax as LO  # noqa: E402

STEPS = 120
SCHEDULES = {
    "warmup_cosine": lrsched.warmup_cosine(peak_value=3e-3, warmup_steps=10, total_steps=100, end_value=1e-4),
    "linear": lrsched.linear(init_value=1e-2, steps=STEPS - 1, end_value=1e-3),
    "product": lrsched.warmup_cosine(peak_value=1.0, warmup_steps=5, total_steps=80)
    * lrsched.constant(0.5),
}


@pytest.fixture(params=sorted(SCHEDULES), ids=str)
def s(request):
    return SCHEDULES[request.param]


def test_every_step_equals_the_float32_table(s):
    sched = LO.schedule(s, STEPS)
    want = s.table(STEPS, dtype=np.float32)
    got = np.array([np.asarray(sched(k)) for k in range(STEPS)])
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    np.testing.assert_allclose(got, s(np.arange(STEPS)), rtol=1e-7)  # float32 of the float64 values


def test_counts_of_every_integer_kind(s):
    sched = LO.schedule(s, STEPS)
    want = s.table(STEPS, dtype=np.float32)
    for count in (7, np.int64(7), np.int32(7), np.uint8(7), jnp.asarray(7, jnp.int32)):
        assert np.asarray(sched(count)) == want[7], type(count)
    with pytest.raises(TypeError, match="integer"):
        sched(7.0)


def test_inside_jit_and_vmap(s):
    sched = LO.schedule(s, STEPS)
    want = s.table(STEPS, dtype=np.float32)
    counts = jnp.arange(STEPS, dtype=jnp.int32)
    np.testing.assert_array_equal(np.asarray(jax.jit(sched)(counts)), want)
    np.testing.assert_array_equal(np.asarray(jax.vmap(jax.jit(sched))(counts)), want)
    one = jax.jit(sched)
    assert [float(one(jnp.int32(k))) for k in (0, 10, STEPS - 1)] == [float(want[k]) for k in (0, 10, STEPS - 1)]


def test_holds_the_last_value_past_the_table_and_the_first_below_it():
    s = lrsched.linear(init_value=1.0, steps=4)  # 1, .75, .5, .25, then 0 from step 4 on
    sched = LO.schedule(s, 4)
    assert [float(sched(k)) for k in range(4)] == [1.0, 0.75, 0.5, 0.25]
    past = jnp.asarray([4, 5, 1000, 2**31 - 1], jnp.int32)
    np.testing.assert_array_equal(np.asarray(jax.jit(sched)(past)), np.float32(0.25))  # the table's end, held
    assert float(sched(-3)) == 1.0
    full = LO.schedule(s, 6)  # a table past the horizon has lrsched's own hold: end_value
    assert [float(full(k)) for k in (4, 5, 6, 100)] == [0.0, 0.0, 0.0, 0.0]


def test_float64_without_x64_is_refused():
    assert not jax.config.jax_enable_x64
    with pytest.raises(ValueError, match="jax_enable_x64"):
        LO.schedule(SCHEDULES["linear"], STEPS, dtype=np.float64)


def test_float64_with_x64_equals_lrsched_exactly():
    code = textwrap.dedent(
        f"""
        import jax
        jax.config.update("jax_enable_x64", True)
        import jax.numpy as jnp
        import numpy as np
        import lrsched, lrsched.optax
        s = lrsched.warmup_cosine(peak_value=3e-3, warmup_steps=10, total_steps=100, end_value=1e-4)
        sched = lrsched.optax.schedule(s, {STEPS}, dtype=np.float64)
        want = s(np.arange({STEPS}))
        eager = np.array([np.asarray(sched(k)) for k in range({STEPS})])
        jitted = np.asarray(jax.jit(sched)(jnp.arange({STEPS} + 5)))
        assert eager.dtype == jitted.dtype == np.float64, (eager.dtype, jitted.dtype)
        np.testing.assert_array_equal(eager, want)
        np.testing.assert_array_equal(jitted[:{STEPS}], want)
        assert (jitted[{STEPS}:] == want[-1]).all()
        print("ok")
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]


def test_bad_arguments():
    s = SCHEDULES["linear"]
    with pytest.raises(TypeError, match="lrsched.Schedule"):
        LO.schedule(lambda k: 0.1, STEPS)
    with pytest.raises(ValueError, match="steps"):
        LO.schedule(s, 0)
    with pytest.raises(ValueError, match="steps"):
        LO.schedule(s, 2**31)
    with pytest.raises(TypeError, match="dtype"):
        LO.schedule(s, STEPS, dtype=np.int32)
    with pytest.raises(TypeError, match="did you mean 'dtype'"):
        LO.schedule(s, STEPS, dtyp=np.float32)


def _problem():
    """A tiny linear regression: params, a batch and its loss."""
    x = jnp.asarray(np.linspace(-1.0, 1.0, 16, dtype=np.float32).reshape(8, 2))
    y = x @ jnp.asarray([1.5, -2.0]) + 0.3
    params = {"w": jnp.zeros(2), "b": jnp.zeros(())}

    def loss(p):
        return jnp.mean((x @ p["w"] + p["b"] - y) ** 2)

    return params, loss


def _train(opt, params, loss, n):
    """``n`` jitted updates; the optimizer state after each."""

    @jax.jit
    def step(p, state):
        grads = jax.grad(loss)(p)
        updates, state = opt.update(grads, state, p)
        return optax.apply_updates(p, updates), state

    state, states = opt.init(params), []
    for _ in range(n):
        params, state = step(params, state)
        states.append(state)
    return params, states


def test_inject_hyperparams_reads_the_schedule_at_every_count():
    s = SCHEDULES["warmup_cosine"]
    steps = 30  # shorter than the run: the last updates use the held value
    sched = LO.schedule(s, steps)
    want = s.table(steps, dtype=np.float32)
    params, loss = _problem()
    opt = optax.inject_hyperparams(optax.adamw)(learning_rate=sched)
    assert float(opt.init(params).hyperparams["learning_rate"]) == want[0]
    trained, states = _train(opt, params, loss, steps + 5)
    for k, state in enumerate(states):  # update k ran with count k, then counted to k + 1
        assert int(state.count) == k + 1
        assert np.asarray(state.hyperparams["learning_rate"]) == want[min(k, steps - 1)], k
    assert float(loss(trained)) < float(loss(params))


def test_any_hyperparameter_and_plain_adamw():
    lr = SCHEDULES["warmup_cosine"]
    wd = lrsched.linear(init_value=0.1, steps=20, end_value=0.01)
    lr_sched, wd_sched = LO.schedule(lr, 20), LO.schedule(wd, 20)
    params, loss = _problem()
    injected = optax.inject_hyperparams(optax.adamw)(learning_rate=lr_sched, weight_decay=wd_sched)
    got, states = _train(injected, params, loss, 12)
    wd_table = wd.table(20, dtype=np.float32)
    for k, state in enumerate(states):
        assert np.asarray(state.hyperparams["weight_decay"]) == wd_table[k]
    plain, _ = _train(optax.adamw(learning_rate=lr_sched, weight_decay=wd_sched), params, loss, 12)
    for name in params:  # the same updates with the schedule given to adamw directly
        np.testing.assert_allclose(np.asarray(plain[name]), np.asarray(got[name]), rtol=1e-4)  # float32 rounding
