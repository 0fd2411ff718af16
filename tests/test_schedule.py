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
JIT = hasattr(_kernels.KERNELS["fill_const"].dispatcher, "overloads")


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
    lrsched.precompile()
    kernels = [k.dispatcher for k in _kernels.KERNELS.values()]
    before = [len(d.overloads) for d in kernels]
    parts = [lrsched.cosine(init_value=1.0, steps=7), lrsched.multistep(init_value=1.0, milestones=[3, 9])]
    for k in range(5):
        s = lrsched.warmup(lrsched.join(parts, [k + 1]) * lrsched.step(init_value=1.0, step_size=k + 2), k, 0.1)
        plain = lrsched.warmup(lrsched.join(parts[:1] * 2, [k + 1]) * 0.5, k, 0.1)
        pulled = lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=k + 2, mode="exp_range", gamma=0.99)
        for t in (s, lrsched.repeat(s, 50), lrsched.noise(s, std=0.1, pct=0.3, seed=k), plain, pulled,
                  lrsched.polynomial(init_value=1.0, steps=9, power=2.5)):  # fmt: skip
            t.table(50_000)
            t.table(10, dtype=np.float32)
            t(np.arange(100)[::-1])
            t.at(3)
    assert [len(d.overloads) for d in kernels] == before == [1] * len(kernels)  # the explicit signatures only


def test_every_op_states_the_kernels_it_needs():
    """NEEDS (beside Op) is the one place that says which compiled code an op uses: an op without
    an entry, or an entry naming no kernel, fails here; and every kernel is needed by some op."""
    from lrsched._program import IN_A_CYCLE, NEEDS, OUTPUTS, Op

    assert set(NEEDS) == set(Op)
    named = {name for names in [*NEEDS.values(), *IN_A_CYCLE.values(), *OUTPUTS.values()] for name in names}
    assert named == set(_kernels.KERNELS)


# the kernels each kind of schedule needs, read from its ops
NEEDED = {
    "warmup-log": (lrsched.warmup(lrsched.constant(1.0), 20, 0.0, "log"), {"fill_logwarm"}),
    "warmup_cosine": (lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100),
                      {"fill_linear", "fill_cosine"}),
    "cosine-exponent": (lrsched.cosine(init_value=1.0, steps=50, exponent=2.0), {"fill_cosine_halves"}),
    "cosine-k": (lrsched.cosine(init_value=1.0, steps=50, k=1.5), {"fill_cosine_halves"}),
    "cosine-k-any": (lrsched.cosine(init_value=1.0, steps=50, k=1.3), {"fill_cosine_pow"}),  # needs the log and exp
    "cosine-exponent-any": (lrsched.cosine(init_value=1.0, steps=50, k=2.0, exponent=0.7), {"fill_cosine_pow"}),
    "polynomial-2": (lrsched.polynomial(init_value=1.0, steps=50, power=2.0), {"fill_poly"}),
    "polynomial-2.5": (lrsched.polynomial(init_value=1.0, steps=50, power=2.5), {"fill_poly_halves"}),
    "polynomial-0.9": (lrsched.polynomial(init_value=1.0, steps=50, power=0.9), {"fill_poly_pow"}),
    "polynomial-40": (lrsched.polynomial(init_value=1.0, steps=50, power=40.0), {"fill_poly_pow"}),  # beyond 32
    "warmup-1-sqrt": (lrsched.warmup(lrsched.constant(1.0), 20, 0.0, "1-sqrt"), {"fill_poly_halves"}),
    "wsd-1-sqrt": (lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=30,
                               decay_shape="1-sqrt"), {"fill_linear", "fill_invpoly"}),
    "sgdr": (lrsched.sgdr(1.0, 10, 2), {"cycle_runs", "tile", "fill_cosine"}),
    "cyclic-triangular2": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, mode="triangular2"),
                           {"cycle_runs", "tile", "fill_linear"}),
    "cyclic-exp_range": (lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5, mode="exp_range", gamma=0.99),
                         {"cycle_runs", "tile", "cycle_pull", "fill_linear"}),
    "noise": (lrsched.noise(lrsched.constant(1.0), std=0.1, pct=0.2), {"fill_noise"}),  # h = 0.477: tails
    "noise-central": (lrsched.noise(lrsched.constant(1.0)), {"fill_noise_central"}),  # timm's defaults, h = 0.249
    "noise-uniform": (lrsched.noise(lrsched.constant(1.0), kind="uniform"), {"fill_noise_uniform"}),
    "repeat-piecewise": (lrsched.repeat(lrsched.piecewise_constant(boundaries=[3], values=[1.0, 0.5]), 5),
                         {"cycle_runs", "tile", "fill_const"}),  # a constant in a cycle's body
    "step": (lrsched.step(init_value=1.0, step_size=7), {"fill_exp_stair"}),
}


@pytest.mark.parametrize("name", sorted(NEEDED))
def test_the_kernels_a_schedule_needs_follow_from_its_ops(name):
    s, want = NEEDED[name]
    assert set(s.program.kernels()) == want


def test_a_process_compiles_only_the_kernels_its_schedules_use():
    """A fresh process that makes a warmup-cosine table, a float32 table, an array call and an
    ``at`` loads two op kernels, nothing else (NumPy fills the constant tail, and the op kernels
    write float32 themselves); a float32 table of a product then loads the float32 store."""
    code = (
        "import numpy as np, lrsched\n"
        "from lrsched import _kernels\n"
        "ready = lambda: sorted(name for name, k in _kernels.KERNELS.items() if k.ready)\n"
        "s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=1000, end_value=0.1)\n"
        "s.table(2000); s.table(100, dtype=np.float32); s(np.arange(50)[::-1]); s.at(7)\n"
        "print(ready())\n"
        "(s * s).table(100, dtype=np.float32)\n"
        "print(ready())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.split("\n")[:2] == ["['fill_cosine', 'fill_linear']", "['fill_cosine', 'fill_linear', 'narrow']"]


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
    marks = ("from numba", "import numba", "llvmlite")
    users = sorted(p.name for p in package.glob("*.py") if any(m in p.read_text() for m in marks))
    assert users == ["_kernels.py"]
