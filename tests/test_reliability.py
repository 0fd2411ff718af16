"""Regression tests for issue 16: what users' own code and tools do to lrsched (the adapter, the drop-ins,
step arrays, values at the edge of float range).  Files, spec loading and copies have their own files
(test_files.py, test_spec_limits.py, test_copies.py)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import lrsched

torch = pytest.importorskip("torch")
import lrsched.torch as LT  # noqa: E402
from torch.optim import lr_scheduler as TL  # noqa: E402

SCHEDULES = {
    "warmup_cosine": lrsched.warmup_cosine(peak_value=1.0, warmup_steps=7, total_steps=300, end_value=0.01),
    "sgdr": lrsched.sgdr(1.0, 10, 2),
    "cyclic": lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=5),
    "noise": lrsched.noise(lrsched.constant(1.0), std=0.1),
    "product": lrsched.cosine(init_value=1.0, steps=50) * lrsched.linear(init_value=1.0, steps=80),
    "repeat": lrsched.repeat(lrsched.linear(init_value=1.0, steps=5), 7),
}


def _step_arrays(tmp_path):
    """The same steps in every integer dtype, byte order, writeability and layout users hand over."""
    base = np.array([0, 1, 2, 3, 7, 8, 50, 49, 120, 3, 127], dtype=np.int64)
    path = tmp_path / "steps.npy"
    np.save(path, base)
    readonly = base.copy()
    readonly.setflags(write=False)
    out = {
        "mmap": np.load(path, mmap_mode="r"),
        "frombuffer": np.frombuffer(base.tobytes(), dtype=np.int64),
        "readonly": readonly,
        "big-endian": base.astype(">i8"),
        "strided": np.repeat(base, 2)[::2],
        "fortran-2d": np.asfortranarray(np.concatenate([base, [4]]).reshape(3, 4)),
        "list": base.tolist(),
        "range": range(0, 12),
    }
    for dtype in ("int8", "int16", "int32", "uint8", "uint16", "uint32", "uint64", "<i4", ">u2"):
        out[dtype] = base.astype(dtype)
    return out


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_step_arrays_of_any_integer_kind_give_the_int64_values(name, tmp_path):
    s = SCHEDULES[name]
    for kind, steps in _step_arrays(tmp_path).items():
        want = s(np.ascontiguousarray(np.asarray(steps), dtype=np.int64))
        got = s(steps)
        assert got.shape == np.shape(steps), kind
        np.testing.assert_array_equal(got, want, err_msg=kind)
        np.testing.assert_array_equal(got.reshape(-1), [s.at(int(t)) for t in np.asarray(steps).reshape(-1)])


@pytest.mark.parametrize(
    "steps, exc, words",
    [
        (np.array([1.0, 2.0]), TypeError, "integer dtype"),
        (np.array([True, False]), TypeError, "integer dtype"),
        (np.array([1, "a"], dtype=object), TypeError, "integer dtype"),
        (np.array([2**63], dtype=np.uint64), ValueError, "2**62"),
        (np.array([-1, 3]), ValueError, "a step of -1"),
    ],
)
def test_step_arrays_that_are_not_steps_are_refused_naming_the_rule(steps, exc, words):
    with pytest.raises(exc, match="`steps`") as e:
        SCHEDULES["warmup_cosine"](steps)
    assert words in str(e.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.at(2**63),
        lambda s: s.at(np.uint64(2**63)),
        lambda s: s.table(2**63),
        lambda s: s.table(3, start=2**62 + 1),
        lambda s: lrsched.cosine(init_value=1.0, steps=2**62 + 1),
    ],
)
def test_a_step_past_two_to_the_62_is_refused_naming_the_bound(call):
    with pytest.raises(ValueError, match=r"<= 2\*\*62"):
        call(SCHEDULES["warmup_cosine"])


# -- optimizers as users have them ---------------------------------------------------------


class PropertyOptimizer:
    """An optimizer wrapper whose ``param_groups`` builds a new list at every read (some wrappers do)."""

    def __init__(self, lrs):
        self._groups = [{"lr": lr, "momentum": 0.9} for lr in lrs]

    @property
    def param_groups(self):
        return list(self._groups)


def test_a_param_groups_property_that_builds_a_new_list_each_time():
    s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=3, total_steps=20)
    opt = PropertyOptimizer([0.1, 0.2])
    sched = lrsched.Scheduler(opt, s)
    got = []
    for _ in range(25):
        got.append([g["lr"] for g in opt._groups])
        sched.step()
    np.testing.assert_array_equal(np.array(got), np.stack([s.table(25)] * 2, axis=1))
    relative = lrsched.Scheduler(PropertyOptimizer([0.1, 0.2]), lrsched.linear(init_value=1.0, steps=4),
                                 relative=True)  # fmt: skip
    relative.step()
    assert [g["lr"] for g in relative.optimizer._groups] == [0.1 * 0.75, 0.2 * 0.75]


def _sgd(lrs=(0.1, 0.05)):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0], momentum=0.9)


@pytest.mark.parametrize("kind", ["Scheduler", "Scheduler-momentum", "StepLR", "CosineAnnealingLR", "OneCycleLR"])
def test_a_param_group_dict_replaced_in_the_list_is_written_from_the_next_step(kind):
    """``opt.param_groups[1] = dict(opt.param_groups[1])``: the new dict gets the values, as with torch's
    schedulers (which read param_groups at every step)."""
    build = {
        "Scheduler": lambda M, o: lrsched.Scheduler(o, lrsched.linear(init_value=0.1, steps=30)),
        "Scheduler-momentum": lambda M, o: lrsched.Scheduler(
            o, {"lr": lrsched.linear(init_value=0.1, steps=30), "momentum": lrsched.linear(init_value=0.9, steps=30)}),
        "StepLR": lambda M, o: M.StepLR(o, 3, 0.5),
        "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, 10),
        "OneCycleLR": lambda M, o: M.OneCycleLR(o, 1.0, total_steps=40),
    }[kind]  # fmt: skip
    runs = []
    for M in ([LT] if kind.startswith("Scheduler") else [TL, LT]):
        opt = _sgd()
        sched = build(M, opt)
        rows = []
        for t in range(12):
            if t in (2, 7):
                opt.param_groups[1] = dict(opt.param_groups[1])
            opt.step()
            sched.step()
            rows.append([g[f] for g in opt.param_groups for f in ("lr", "momentum")])
            assert [g["lr"] for g in opt.param_groups] == pytest.approx(sched.get_last_lr(), rel=1e-12)
        runs.append(rows)
    if len(runs) == 2:
        np.testing.assert_allclose(runs[1], runs[0], rtol=1e-12)
    else:
        assert runs[0][-1][2] == runs[0][-1][0]  # the replaced group moves as the first does


def test_relative_scheduler_takes_the_tensor_initial_lr_torch_stores():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=torch.tensor(0.1))
    LT.StepLR(opt, 2)  # stores initial_lr as a tensor (torch's clone of the lr)
    assert isinstance(opt.param_groups[0]["initial_lr"], torch.Tensor)
    sched = lrsched.Scheduler(opt, lrsched.linear(init_value=1.0, steps=10), relative=True)
    sched.step()
    assert isinstance(opt.param_groups[0]["lr"], torch.Tensor)
    assert float(opt.param_groups[0]["lr"]) == pytest.approx(0.09, rel=1e-6)


# -- values at the edge of float range -------------------------------------------------------


def test_noise_that_would_overflow_is_refused_by_the_factory_and_by_from_dict():
    with pytest.raises(ValueError, match="noise: `schedule` must be a schedule whose values times 1 \\+ pct"):
        lrsched.noise(lrsched.constant(1.7e308), std=0.5)
    spec = lrsched.noise(lrsched.constant(1.0), std=0.5).to_dict()
    spec["schedule"] = lrsched.constant(1.7e308).to_dict()
    with pytest.raises(ValueError, match="stay finite"):
        lrsched.from_dict(spec)
    near = lrsched.noise(lrsched.constant(1e308), std=0.5)  # just inside: finite everywhere
    assert np.isfinite(near.table(20_000)).all()


def test_a_relative_scheduler_that_would_write_inf_is_refused_and_changes_nothing():
    opt = _sgd((1e300,))
    with pytest.raises(ValueError, match="initial lr 1e\\+300 stay finite"):
        lrsched.Scheduler(opt, lrsched.constant(1e10), relative=True)
    assert opt.param_groups[0]["lr"] == 1e300 and "initial_lr" not in opt.param_groups[0]


def test_every_family_at_the_largest_values_stays_finite_or_is_refused():
    """Every factory given values near the largest float: finite tables, or a ValueError naming an argument."""
    big = 1.7e308
    builds = {
        "constant": lambda: lrsched.constant(big),
        "linear": lambda: lrsched.linear(init_value=big, steps=10),
        "cosine": lambda: lrsched.cosine(init_value=big, steps=10, end_value=big / 2),
        "polynomial": lambda: lrsched.polynomial(init_value=big, steps=10, power=2.0),
        "exponential-growth": lambda: lrsched.exponential(init_value=big / 4, decay_rate=1.5, transition_steps=1),
        "scale": lambda: lrsched.constant(big) * 1.5,
        "product": lambda: lrsched.constant(big) * lrsched.constant(2.0),
        "warmup_cosine": lambda: lrsched.warmup_cosine(peak_value=big, warmup_steps=3, total_steps=10),
        "cyclic": lambda: lrsched.cyclic(base_value=0.0, max_value=big, step_size_up=3),
        "sgdr": lambda: lrsched.sgdr(big, 4, 2),
        "noise": lambda: lrsched.noise(lrsched.constant(big), std=0.1),
    }
    for name, build in builds.items():
        try:
            s = build()
        except ValueError as e:
            assert "`" in str(e), (name, e)  # names the argument
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            t = s.table(200)
        assert np.isfinite(t).all(), name
        assert all(math.isfinite(s.at(k)) for k in (0, 5, 199, 10**9)), name


# -- the drop-ins across a checkpoint -----------------------------------------------------------


def test_warm_restarts_stepped_by_fractional_epochs_resume_where_saved():
    """torch's documented ``step(epoch + i / iters)``: a state saved mid-epoch loads at that position (T_cur
    fractional) with the lrs it had, and goes on as torch's does."""
    runs = []
    for M in (TL, LT):
        opt = _sgd((0.1,))
        sched = M.CosineAnnealingWarmRestarts(opt, 10, 2)
        for epoch in range(3):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
        state, opt_state = sched.state_dict(), opt.state_dict()
        opt2 = _sgd((0.1,))
        sched2 = M.CosineAnnealingWarmRestarts(opt2, 10, 2)
        opt2.load_state_dict(opt_state)
        sched2.load_state_dict(state)
        row = [sched2.T_cur, sched2.T_i, sched2.last_epoch, *sched2.get_last_lr(), opt2.param_groups[0]["lr"]]
        for e in (3.0, 3.25, 3.5, 11.75):
            opt2.step()
            sched2.step(e)
            row += [*sched2.get_last_lr(), opt2.param_groups[0]["lr"], sched2.T_cur]
        runs.append(row)
    np.testing.assert_allclose(runs[1], runs[0], rtol=1e-12)
    assert runs[1][0] == 2.75
