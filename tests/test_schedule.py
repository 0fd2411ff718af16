"""The Schedule handle: call conventions, tables, data round trip, composition, no recompiles."""

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

import lrsched
from lrsched import _kernels

S = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110, end_value=0.1)
JIT = _kernels.eval_range.__class__.__name__ == "Kernel" and hasattr(_kernels.eval_range.dispatcher, "overloads")


def test_python_and_numpy_integers_give_a_python_float():
    for step in (5, np.int64(5), np.uint8(5), np.int32(5)):
        v = S(step)
        assert type(v) is float and v == S.at(5) == 0.5


def test_arrays_keep_their_shape_and_give_float64():
    steps = np.arange(12, dtype=np.int32).reshape(3, 4)
    v = S(steps)
    assert v.shape == (3, 4) and v.dtype == np.float64
    np.testing.assert_array_equal(v.ravel(), S(np.arange(12)))
    assert S(np.array(7)).shape == ()
    assert S([]).shape == (0,) and S(np.array([], np.int64)).dtype == np.float64
    np.testing.assert_array_equal(S([1, 2, 3]), S(range(1, 4)))
    np.testing.assert_array_equal(S(np.arange(5, dtype=np.uint64)), S(np.arange(5)))


def test_non_contiguous_and_strided_steps():
    steps = np.arange(200)[::7]
    np.testing.assert_array_equal(S(steps), [S.at(int(t)) for t in steps])


def test_table_start_dtype_and_out():
    np.testing.assert_array_equal(S.table(5, start=100), S(np.arange(100, 105)))
    assert S.table(0).shape == (0,)
    buf = np.full(20, -1.0)
    assert S.table(20, out=buf) is buf
    np.testing.assert_array_equal(buf, S(np.arange(20)))
    buf32 = np.empty(20, np.float32)
    assert S.table(20, out=buf32) is buf32 and S.table(3, dtype=np.float32).dtype == np.float32
    assert S.table(3, dtype="float32", out=np.empty(3, np.float32)).dtype == np.float32


def test_table_reaches_the_last_step():
    t = S.table(3, start=lrsched.MAX_STEP - 2)
    assert np.all(t == 0.1)


def test_repr_is_readable_and_rebuilds_the_schedule():
    r = repr(S)
    assert r.startswith("warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110")
    assert eval(r, vars(lrsched)) == S  # noqa: S307 -- a test of the repr, not of user input
    nested = lrsched.join([lrsched.constant(1.0), S * 0.5], [3])
    assert "join(schedules=[constant(value=1.0), scale(schedule=warmup_cosine(" in repr(nested)
    assert eval(repr(nested), vars(lrsched)) == nested  # noqa: S307


def test_equality_and_hash():
    same = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=110, end_value=0.1)
    other = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=111, end_value=0.1)
    assert S == same and hash(S) == hash(same) and S != other
    assert S != "warmup_cosine" and len({S, same, other}) == 2
    # equal programs are equal schedules, whichever factory built them
    assert lrsched.warmup(lrsched.cosine(init_value=1.0, steps=100, end_value=0.1), 10) == S


def test_multiplication_forms():
    a = lrsched.linear(init_value=1.0, steps=10)
    t = np.arange(12)
    np.testing.assert_allclose((a * 3)(t), 3 * a(t), rtol=1e-15)
    for scaled in (3 * a, np.float64(3) * a, a * np.float32(3)):
        assert isinstance(scaled, lrsched.Schedule) and scaled == a * 3
    assert (a * S).to_dict()["type"] == "product"
    assert (a * 2).to_dict() == {"type": "scale", "schedule": a.to_dict(), "factor": 2.0}


def test_schedules_are_immutable_data():
    with pytest.raises(ValueError):
        S.program.fparams[0, 0] = 5.0
    with pytest.raises(AttributeError):
        S.foo = 1


def test_pickle_goes_through_plain_data():
    again = pickle.loads(pickle.dumps(S))
    assert again == S and again.to_dict() == S.to_dict()


def test_to_dict_is_a_copy():
    d = S.to_dict()
    d["peak_value"] = 9.0
    assert S.to_dict()["peak_value"] == 1.0


@pytest.mark.skipif(not JIT, reason="counts compiled overloads, which exist only with the JIT on")
def test_new_composites_never_compile():
    entry = [getattr(tier, name).dispatcher for tier in _kernels.TIERS
             for name in ("eval_range", "eval_range_f32", "eval_steps")]  # fmt: skip
    before = [len(f.overloads) for f in entry]
    parts = [lrsched.cosine(init_value=1.0, steps=7), lrsched.multistep(init_value=1.0, milestones=[3, 9])]
    for k in range(5):
        s = lrsched.warmup(lrsched.join(parts, [k + 1]) * lrsched.step(init_value=1.0, step_size=k + 2), k, 0.1)
        basic = lrsched.warmup(lrsched.join(parts[:1] * 2, [k + 1]) * 0.5, k, 0.1)
        for t in (s, lrsched.repeat(s, 50), lrsched.noise(s, std=0.1, pct=0.3, seed=k), basic):  # one for each tier
            t.table(50_000)
            t.table(10, dtype=np.float32)
            t(np.arange(100)[::-1])
            t.at(3)
    assert [len(f.overloads) for f in entry] == before == [1] * 12  # the explicit signatures, nothing else


# every kind of program the tests build, for the tier checks
TIER_CASES = {
    "warmup_cosine": lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100),
    "cosine-exponent": lrsched.cosine(init_value=1.0, steps=50, exponent=2.0),
    "cosine-k": lrsched.cosine(init_value=1.0, steps=50, k=1.5),
    "polynomial-2": lrsched.polynomial(init_value=1.0, steps=50, power=2.0),
    "polynomial-2.5": lrsched.polynomial(init_value=1.0, steps=50, power=2.5),
    "warmup-1-sqrt": lrsched.warmup(lrsched.constant(1.0), 20, 0.0, "1-sqrt"),
    "wsd-power": lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=30, decay_shape="power",
                             power=1.5),  # fmt: skip
    "sgdr-polynomial": lrsched.sgdr(1.0, 10, 2, shape="polynomial", power=3.0),
    "cyclic-triangular2": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5),
    "cyclic-exp_range": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, mode="exp_range", gamma=0.99),
    "cyclic-exp_range-cycle": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, mode="exp_range",
                                             gamma=0.99, scale_mode="cycle"),  # fmt: skip
    "noise": lrsched.noise(lrsched.constant(1.0), std=0.1, pct=0.2),
    "one_cycle": lrsched.one_cycle(max_value=1.0, total_steps=100),
    "tanh": lrsched.tanh(init_value=1.0, steps=40),
    "piecewise": lrsched.piecewise_constant(boundaries=[10, 20], values=[1.0, 0.5, 0.1]),
    "wsd": lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=30),
    "step": lrsched.step(init_value=1.0, step_size=7),
}


@pytest.mark.parametrize("name", sorted(TIER_CASES))
def test_every_tier_that_can_run_a_program_gives_the_same_values(name):
    """A tier smaller than the program's raises (its stubs); the program's own tier and the larger ones agree exactly."""
    p = TIER_CASES[name].program
    steps = np.r_[0:300, 2**40, lrsched.MAX_STEP]
    full = np.empty(steps.size)
    _kernels.FULL.eval_steps(*p.arrays, steps, full)
    own = _kernels.TIERS.index(p.entries)
    for tier in _kernels.TIERS[own + 1 :]:
        with pytest.raises(AssertionError, match="entries_for chose wrongly"):
            tier.eval_steps(*p.arrays, steps, np.empty(steps.size))
    for tier in _kernels.TIERS[: own + 1]:
        got = np.empty(steps.size)
        tier.eval_steps(*p.arrays, steps, got)
        np.testing.assert_array_equal(got, full)
        out = np.empty(300, np.float32)
        tier.eval_range_f32(*p.arrays, 0, out)
        np.testing.assert_array_equal(out, full[:300].astype(np.float32))
        out = np.empty(300)
        tier.eval_range(*p.arrays, 0, out)
        np.testing.assert_array_equal(out, full[:300])


def test_the_tiers_split_as_documented():
    tier = {name: s.program.entries.name for name, s in TIER_CASES.items()}
    # powers other than 1 and 2 (a 1-sqrt warmup is a power 0.5), a k-decay, noise and exp_range's
    # per-step pull need the block math; exp_range scaled per cycle does not; cycles need the lite tier
    # only CONST, LINEAR and COSINE segments (no exponent, no k): the basic tier
    assert {n for n, t in tier.items() if t == "basic"} == {"warmup_cosine", "one_cycle", "piecewise", "wsd"}
    assert {n for n, t in tier.items() if t == "plain"} == {"polynomial-2", "tanh", "step"}
    assert {n for n, t in tier.items() if t == "lite"} == {"cyclic-triangular2", "cyclic-exp_range-cycle"}


def test_import_lrsched_loads_no_optional_heavyweight():
    """torch, transformers and matplotlib are optional and imported lazily where used."""
    code = (
        "import sys, lrsched\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(top & {'torch', 'transformers', 'matplotlib', 'pandas', 'jax', 'tensorflow'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.strip() == "[]"


def test_every_compiled_function_lives_in_kernels_py():
    """Numba's on-disk cache checks the freshness of an entry point's own source file only, so
    compiled code called from another module could change under a stale cache: keep it in one file."""
    import pathlib

    package = pathlib.Path(lrsched.__file__).parent
    marks = ("from numba", "import numba", "_jit import")
    users = sorted(p.name for p in package.glob("*.py") if any(m in p.read_text() for m in marks))
    assert users == ["_jit.py", "_kernels.py"]
