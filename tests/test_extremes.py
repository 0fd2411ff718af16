"""Extremes: 1-step and 0-warmup schedules, warmup equal to total, steps near 2**62, float32's
limits, and a billion-step table interrupted while it streams to disk.

The rule everywhere: a finite value, or a clear ``ValueError`` naming the argument (or the
dtype) when the schedule is built or the table asked for; never ``inf``/``NaN`` silently.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import lrsched
from resume_driver import FakeOpt
from test_resume_kill import _named_schedule

M = lrsched.MAX_STEP
assert M == 2**62

# -- 1 step, 0 warmup ---------------------------------------------------------------------------

# (id, build, values at steps 0, 1, 2, 3 -- exactly)
ONE_STEP = [
    ("cosine", lambda: lrsched.cosine(init_value=1.0, steps=1, end_value=0.1), [1.0, 0.1, 0.1, 0.1]),
    ("linear", lambda: lrsched.linear(init_value=1.0, steps=1, end_value=0.1), [1.0, 0.1, 0.1, 0.1]),
    ("polynomial", lambda: lrsched.polynomial(init_value=1.0, steps=1, end_value=0.1, power=3.0), [1.0, 0.1, 0.1, 0.1]),
    ("warmup_cosine", lambda: lrsched.warmup_cosine(peak_value=1.0, warmup_steps=0, total_steps=1, end_value=0.1),
     [1.0, 0.1, 0.1, 0.1]),
    ("warmup_linear", lambda: lrsched.warmup_linear(peak_value=1.0, warmup_steps=0, total_steps=1, end_value=0.1),
     [1.0, 0.1, 0.1, 0.1]),
    ("warmup_polynomial", lambda: lrsched.warmup_polynomial(peak_value=1.0, warmup_steps=0, total_steps=1,
                                                            end_value=0.1, power=2.0), [1.0, 0.1, 0.1, 0.1]),
    ("warmup_constant", lambda: lrsched.warmup_constant(peak_value=0.5, warmup_steps=0, init_value=0.1),
     [0.5, 0.5, 0.5, 0.5]),
    ("warmup-0", lambda: lrsched.warmup(lrsched.constant(0.5), 0, 0.1), [0.5, 0.5, 0.5, 0.5]),
    ("warmup-1", lambda: lrsched.warmup(lrsched.constant(0.5), 1, 0.1), [0.1, 0.5, 0.5, 0.5]),
    ("warmup_exponential", lambda: lrsched.warmup_exponential(peak_value=1.0, warmup_steps=0, decay_rate=0.5,
                                                              transition_steps=1), [1.0, 0.5, 0.25, 0.125]),
    ("exponential", lambda: lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=1),
     [1.0, 0.5, 0.25, 0.125]),
    ("inverse_time", lambda: lrsched.inverse_time(init_value=1.0, decay_rate=1.0, decay_steps=1), [1.0, 0.5, 1 / 3, 0.25]),
    ("inverse_sqrt", lambda: lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=0, timescale=1),
     [1.0, 1 / np.sqrt(2.0), 1 / np.sqrt(3.0), 0.5]),
    ("step", lambda: lrsched.step(init_value=1.0, step_size=1, gamma=0.5), [1.0, 0.5, 0.25, 0.125]),
    ("multistep", lambda: lrsched.multistep(init_value=1.0, milestones=[0, 1], gamma=0.5), [0.5, 0.25, 0.25, 0.25]),
    ("piecewise_constant", lambda: lrsched.piecewise_constant(boundaries=[1], values=[1.0, 0.2]), [1.0, 0.2, 0.2, 0.2]),
    ("piecewise_linear", lambda: lrsched.piecewise_linear(knots=[0, 1], values=[1.0, 0.2]), [1.0, 0.2, 0.2, 0.2]),
    ("piecewise_anneal", lambda: lrsched.piecewise_anneal(knots=[0.0, 1.0], values=[1.0, 0.2], anneal="cos"),
     [1.0, 0.2, 0.2, 0.2]),
    ("sgdr", lambda: lrsched.sgdr(1.0, 1, 1, end_value=0.1, cycle_decay=0.5), [1.0, 0.5, 0.25, 0.125]),
    ("cosine_restarts", lambda: lrsched.cosine_restarts(peak_value=1.0, total_steps=1, num_cycles=1, end_value=0.1),
     [1.0, 0.1, 0.1, 0.1]),
    ("cyclic", lambda: lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=1), [0.1, 1.0, 0.1, 1.0]),
    ("wsd", lambda: lrsched.wsd(peak_value=1.0, total_steps=1, warmup_steps=0, decay_steps=1, min_ratio=0.1),
     [1.0, 0.1, 0.1, 0.1]),
    ("repeat", lambda: lrsched.repeat(lrsched.linear(init_value=1.0, steps=1, end_value=0.1), 1), [1.0, 1.0, 1.0, 1.0]),
    ("join", lambda: lrsched.join([lrsched.constant(1.0), lrsched.constant(0.5)], [1]), [1.0, 0.5, 0.5, 0.5]),
    ("noise-1-step", lambda: lrsched.noise(lrsched.constant(1.0), std=0.5, start=0, stop=1, seed=2), None),
    ("one_cycle-3", lambda: lrsched.one_cycle(max_value=1.0, total_steps=3, pct_start=0.5), None),
    ("one_cycle_momentum-3", lambda: lrsched.one_cycle_momentum(total_steps=3, pct_start=0.5), [0.95, 0.85, 0.9, 0.95]),
]


@pytest.mark.parametrize("build, want", [c[1:] for c in ONE_STEP], ids=[c[0] for c in ONE_STEP])
def test_one_step_and_zero_warmup_schedules(build, want):
    s = build()
    t = s.table(4)
    assert np.all(np.isfinite(t))
    if want is not None:
        np.testing.assert_allclose(t, want, rtol=1e-15, atol=0)
        assert t[0] == want[0]
    # the per-step adapter gives the same values, and a state saved at step 1 resumes there
    opt = FakeOpt([0.0, 0.0])
    sched = lrsched.Scheduler(opt, s)
    got = []
    for _ in range(4):
        got.append(opt.param_groups[1]["lr"])
        sched.step()
    assert got == t.tolist()
    assert s(np.array([0, 1, M])).tolist() == [t[0], t[1], s.at(M)] and np.isfinite(s.at(M))


def test_the_shortest_schedules_that_cannot_be_are_refused_by_name():
    with pytest.raises(ValueError, match="one_cycle: `total_steps` must be an integer >= 2"):
        lrsched.one_cycle(max_value=1.0, total_steps=1)
    with pytest.raises(ValueError, match="`pct_start` must be such that every phase has at least one step"):
        lrsched.one_cycle(max_value=1.0, total_steps=2)
    with pytest.raises(ValueError, match="inverse_sqrt: `timescale` must be given when warmup_steps=0"):
        lrsched.inverse_sqrt(peak_value=1.0, warmup_steps=0)
    for f in (lrsched.cosine, lrsched.linear, lrsched.polynomial, lrsched.tanh):
        with pytest.raises(ValueError, match=f"{f.__name__}: `steps` must be a positive integer, got steps=0"):
            f(init_value=1.0, steps=0)


# warmup == total: a finite schedule that reaches the peak, or a ValueError naming the steps
WARMUP_EQ_TOTAL = {
    "warmup_cosine": lambda w: lrsched.warmup_cosine(peak_value=1.0, warmup_steps=w, total_steps=w, end_value=0.1),
    "warmup_linear": lambda w: lrsched.warmup_linear(peak_value=1.0, warmup_steps=w, total_steps=w, end_value=0.1),
    "warmup_polynomial": lambda w: lrsched.warmup_polynomial(peak_value=1.0, warmup_steps=w, total_steps=w,
                                                             end_value=0.1),
    "cosine_restarts": lambda w: lrsched.cosine_restarts(peak_value=1.0, total_steps=w, num_cycles=1, warmup_steps=w),
    "wsd": lambda w: lrsched.wsd(peak_value=1.0, total_steps=w, warmup_steps=w, decay_steps=1),
    "wsd-no-decay-room": lambda w: lrsched.wsd(peak_value=1.0, total_steps=w + 1, warmup_steps=w, decay_steps=1),
}


@pytest.mark.parametrize("name", sorted(WARMUP_EQ_TOTAL))
@pytest.mark.parametrize("w", [1, 10])
def test_warmup_equal_to_total(name, w):
    try:
        s = WARMUP_EQ_TOTAL[name](w)
    except ValueError as e:
        assert "total_steps" in str(e) or "warmup_steps" in str(e) or "decay_steps" in str(e), str(e)
        return
    t = s.table(w + 5)
    assert np.all(np.isfinite(t))
    assert t[0] == 0.0 and t.max() == 1.0  # the warmup starts at 0 and reaches the peak


@pytest.mark.parametrize("name", ["linear", "cosine", "polynomial", "constant_with_warmup", "cosine_with_restarts",
                                  "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
                                  "inverse_sqrt"])
@pytest.mark.parametrize("w, total", [(0, 1), (0, 5), (5, 5), (7, 3)], ids=["w0-t1", "w0-t5", "w=t", "w>t"])
def test_transformers_presets_at_zero_warmup_and_warmup_to_total(name, w, total):
    from peers import require

    require("torch")
    from lrsched.transformers import get_scheduler

    kwargs = {"cosine_with_min_lr": dict(min_lr_rate=0.1), "cosine_warmup_with_min_lr": dict(min_lr_rate=0.1),
              "warmup_stable_decay": dict(num_decay_steps=1), "inverse_sqrt": dict(timescale=1)}.get(name)
    opt = FakeOpt([0.5, 0.1])
    try:
        sched = get_scheduler(name, opt, num_warmup_steps=w, num_training_steps=total, scheduler_specific_kwargs=kwargs)
    except ValueError as e:
        assert "steps" in str(e), str(e)
        return
    lrs = []
    for _ in range(total + 4):
        lrs.append([g["lr"] for g in opt.param_groups])
        sched.step()
    assert np.all(np.isfinite(lrs)) and np.all(np.asarray(lrs) >= 0)
    if w == 0 and name != "cosine_warmup_with_min_lr":  # no warmup: step 0 has the full lr
        assert lrs[0] == [0.5, 0.1]


# -- near 2**62 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", lrsched.names())
def test_steps_near_2_62(name):
    s = _named_schedule(name)
    last = s.table(10, start=M - 9)
    assert np.all(np.isfinite(last))
    assert s(M) == last[-1] == s.at(M) and s(np.array([M - 9, M])).tolist() == [last[0], last[-1]]
    np.testing.assert_array_equal(s.table(10, start=M - 9, dtype=np.float32), last.astype(np.float32))
    with pytest.raises(ValueError, match=r"`start \+ n` must be <= 2\*\*62 \+ 1"):
        s.table(11, start=M - 9)
    with pytest.raises(ValueError, match="steps"):
        s(M + 1)
    assert s.table(0, start=M).size == 0 and s.table(1, start=M)[0] == s.at(M)


def test_scheduler_steps_to_2_62_then_refuses_clearly():
    s = lrsched.join([lrsched.constant(1.0), lrsched.linear(init_value=1.0, steps=2, end_value=0.25)], [M - 2])
    opt = FakeOpt([0.0, 0.0])
    sched = lrsched.Scheduler(opt, [s, s * 2.0], last_step=M - 2, plateau=lrsched.plateau(patience=0, factor=0.5))
    assert sched.last_step == M - 1 and sched.get_last_lr() == [s.at(M - 1), 2 * s.at(M - 1)] == [0.625, 1.25]
    sched.step()
    assert sched.last_step == M and [g["lr"] for g in opt.param_groups] == [0.25, 0.5]
    state = sched.state_dict()
    with pytest.raises(ValueError, match=r"cannot step past step 2\*\*62"):
        sched.step()
    assert sched.last_step == M and [g["lr"] for g in opt.param_groups] == [0.25, 0.5]
    assert sched.state_dict() == state
    sched.step(advance=False)  # rewriting the last step is fine
    sched.observe(1.0)
    sched.observe(2.0)  # worse: the plateau halves, at the last step too
    assert [g["lr"] for g in opt.param_groups] == [0.125, 0.25]
    # resumes at 2**62 in another scheduler
    other = lrsched.Scheduler(FakeOpt([0.0, 0.0]), [s, s * 2.0], plateau=lrsched.plateau(patience=0, factor=0.5))
    other.load_state_dict(sched.state_dict())
    assert other.last_step == M and other.get_last_lr() == [0.125, 0.25]
    with pytest.raises(ValueError, match=r"cannot step past step 2\*\*62"):
        other.step()
    with pytest.raises(ValueError, match=r"Scheduler: `last_step` must be an integer in \[-1, 4611686018427387903\]"):
        lrsched.Scheduler(FakeOpt([0.0]), s, last_step=M)
    bad = sched.state_dict()
    bad["last_step"] = M + 1
    with pytest.raises(ValueError, match=r"last_step"):
        other.load_state_dict(bad)
    assert other.last_step == M


def test_presets_near_2_62():
    from peers import require

    require("torch")
    import lrsched.torch as LT

    opt = FakeOpt([0.1])
    opt.param_groups[0]["initial_lr"] = 0.1
    sched = LT.StepLR(opt, step_size=2**61, gamma=0.5, last_epoch=M - 2)
    assert sched.last_epoch == M - 1 and sched.get_last_lr() == [0.1]  # torch's first update: the lr held, unchanged
    sched.step()  # step 2**62, a multiple of step_size: torch's update multiplies by gamma
    assert sched.get_last_lr() == [0.05]
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(M)  # the closed form: gamma ** (2**62 // 2**61)
    assert sched.get_last_lr() == [0.025]
    with pytest.raises(ValueError, match=r"2\*\*62"):
        sched.step()


# -- float32's limits -------------------------------------------------------------------------

F32 = np.finfo(np.float32)

# values near float32's largest and smallest: representable ones must come out finite
NEAR_LIMITS = {
    "constant-3.4e38": lrsched.constant(3.4e38),
    "cosine-3.4e38-to-1e-45": lrsched.cosine(init_value=3.4e38, steps=10, end_value=1e-45),
    "warmup_cosine-3.4e38": lrsched.warmup_cosine(peak_value=3.4e38, warmup_steps=5, total_steps=20, end_value=1e-38),
    "exponential-growth-to-3.4e38": lrsched.exponential(init_value=1e38, decay_rate=2.0, transition_steps=1,
                                                        end_value=3.4e38),
    "cyclic-1e-45-to-3.4e38": lrsched.cyclic(base_value=1e-45, max_value=3.4e38, step_size_up=3),
    "sgdr-3.4e38": lrsched.sgdr(3.4e38, 5, 2, end_value=1e-45),
    "tanh-3.4e38": lrsched.tanh(init_value=3.4e38, steps=10),
    "polynomial-to-1e-45": lrsched.polynomial(init_value=3.4e38, steps=10, power=2.0, end_value=1e-45),
    "one_cycle-3.4e38": lrsched.one_cycle(max_value=3.4e38, total_steps=20),
    "wsd-exponential-decay-tiny": lrsched.wsd(peak_value=3.4e38, total_steps=20, warmup_steps=3, decay_steps=5,
                                              decay_shape="exponential", min_ratio=1e-80),
    "constant-1e-38": lrsched.constant(1e-38),
    "constant-1e-45": lrsched.constant(1e-45),
    "constant-1e-46-underflows-to-0": lrsched.constant(1e-46),
    "product-1e-30-squared": lrsched.constant(1e-30) * lrsched.constant(1e-30),
}
# values float32 cannot hold: a ValueError naming the dtype, not inf
BEYOND = {
    "constant-3.5e38": lrsched.constant(3.5e38),
    "constant-1e300": lrsched.constant(1e300),
    "product-1e40": lrsched.constant(1e20) * lrsched.constant(1e20),
    "scale-6e38": lrsched.constant(3e38) * 2.0,
    "noise-above-3.3e38": lrsched.noise(lrsched.constant(3.3e38), std=1.0, seed=1),
    "late-join-1e300": lrsched.join([lrsched.constant(1.0), lrsched.constant(1e300)], [150]),
}


@pytest.mark.parametrize("name", sorted(NEAR_LIMITS))
def test_float32_tables_near_the_limits_are_finite(name, tmp_path):
    s = NEAR_LIMITS[name]
    t64 = s.table(40)
    t32 = s.table(40, dtype=np.float32)
    assert np.all(np.isfinite(t64)) and np.all(np.isfinite(t32))
    np.testing.assert_array_equal(t32, t64.astype(np.float32))
    assert np.all(t32 >= 0)
    lrsched.save(s, tmp_path / "t.npy", 40, dtype=np.float32, chunk=7)
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), t32)


@pytest.mark.parametrize("name", sorted(BEYOND))
@pytest.mark.parametrize("how", ["table", "table-out", "sweep", "sweep-out", "save-npy", "save-csv"])
def test_float32_tables_beyond_the_limits_are_refused_by_dtype(name, how, tmp_path):
    s = BEYOND[name]
    assert np.all(np.isfinite(s.table(300)))  # float64 holds them
    with pytest.raises(ValueError, match="dtype"):
        if how == "table":
            s.table(300, dtype=np.float32)
        elif how == "table-out":
            out = np.full(300, 7.0, np.float32)
            s.table(300, out=out)
        elif how == "sweep":
            lrsched.sweep([lrsched.constant(1.0), s], 300, dtype=np.float32)
        elif how == "sweep-out":
            out = np.full((2, 300), 7.0, np.float32)
            lrsched.sweep([lrsched.constant(1.0), s], 300, out=out)
        else:
            lrsched.save(s, tmp_path / f"t.{how[5:]}", 300, dtype=np.float32, chunk=64)
    assert not list(tmp_path.iterdir())  # nothing written, not even a partial file
    if how.endswith("-out"):
        assert np.all(out == 7.0)  # the caller's buffer is left as it was


# -- a billion-step table, interrupted --------------------------------------------------------

BIG = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=10**9, end_value=3e-5)
_SAVE = "import sys, numpy as np, lrsched; lrsched.save(lrsched.from_dict({spec!r}), sys.argv[1], {n}, dtype=np.float32)"


def test_a_billion_step_table_killed_midway_leaves_only_a_partial_file_and_a_rerun_completes(tmp_path):
    n = 10**9  # 4 GB of float32 if it ran to the end; it is killed after 32 MB
    if shutil.disk_usage(tmp_path).free < 8 * 2**30:
        n = 10**8
    path = tmp_path / "lr.npy"
    proc = subprocess.Popen([sys.executable, "-c", _SAVE.format(spec=BIG.to_dict(), n=n), str(path)],
                            stderr=subprocess.PIPE)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            found = list(tmp_path.glob("lr.npy.*.partial"))  # the writer's own temporary
            if found and found[0].stat().st_size > 32 * 2**20:
                break
            time.sleep(0.002)
        assert proc.poll() is None, proc.stderr.read().decode()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    (partial,) = tmp_path.iterdir()  # the killed writer's temporary, nothing at the target path
    assert partial.name.startswith("lr.npy.") and partial.suffix == ".partial"
    size = partial.stat().st_size
    assert size < 128 + 4 * n  # shorter than its header says: it cannot pass for the table
    with pytest.raises(ValueError):
        np.load(partial, mmap_mode="r")
    # the rerun (smaller here, to keep the disk free) deletes the dead writer's temporary and completes
    m = 3 * 2**20 + 17
    summary = lrsched.save(BIG, path, m, dtype=np.float32, chunk=2**20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lr.npy"]
    np.testing.assert_array_equal(np.load(path), BIG.table(m, dtype=np.float32))
    assert summary.n == m and summary.peak_at == 2_000
    path.unlink()


class _Fails(Exception):
    pass


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_a_writer_failing_midway_leaves_nothing_and_a_rerun_over_a_stale_partial_completes(tmp_path, monkeypatch, suffix):
    from lrsched import tables

    real = tables._WRITERS[suffix]
    writes = []

    def failing(path, n, dtype):
        cm = real(path, n, dtype)

        class Wrapped:
            def __enter__(self):
                write = cm.__enter__()

                def w(first, values):
                    writes.append(first)
                    if len(writes) == 3:
                        raise _Fails("disk full (simulated)")
                    write(first, values)

                return w

            def __exit__(self, *exc):
                return cm.__exit__(*exc)

        return Wrapped()

    path = tmp_path / f"lr{suffix}"
    monkeypatch.setitem(tables._WRITERS, suffix, failing)
    with pytest.raises(_Fails):
        lrsched.save(BIG, path, 10_000, dtype=np.float32, chunk=1_000)
    assert writes == [0, 1_000, 2_000] and not list(tmp_path.iterdir())
    monkeypatch.setitem(tables._WRITERS, suffix, real)
    (tmp_path / f"lr{suffix}.partial").write_bytes(b"stale bytes of a killed run")
    lrsched.save(BIG, path, 10_000, dtype=np.float32, chunk=1_000)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"lr{suffix}"]
    want = BIG.table(10_000, dtype=np.float32)
    if suffix == ".npy":
        np.testing.assert_array_equal(np.load(path), want)
    else:
        got = np.loadtxt(path, delimiter=",", skiprows=1)
        np.testing.assert_array_equal(got[:, 0], np.arange(10_000))
        np.testing.assert_array_equal(got[:, 1].astype(np.float32), want)


def test_the_table_command_refuses_float32_overflow_in_one_line(tmp_path, capsys):
    from lrsched.cli import main

    out = tmp_path / "t.npy"
    code = main(["table", "constant", "value=1e300", "--steps", "100", "--dtype", "float32", "-o", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "dtype" in err and "float32" in err and len(err.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("power", [1.0, 2.0, 1.5, 0.7])
@pytest.mark.parametrize("start", [0, 2**52 - 5, M - 9], ids=["0", "2**52", "2**62"])
def test_cycling_polynomial_far_out(power, start):
    """Keras' cycle=True past 2**52, where the cycle is found in integers instead of floats: every kernel variant
    against the formula in exact rationals, on a run that crosses 2**52 and on its steps one by one."""
    from fractions import Fraction

    length = 1_000_003
    s = lrsched.polynomial(init_value=1.0, steps=length, end_value=0.25, power=power, cycle=True)
    steps = np.arange(start, min(start + 10, M + 1))
    for t, v in zip(steps.tolist(), s.table(len(steps), start=start).tolist()):
        span = length * max(1, -(-t // length))
        u = float(Fraction(span - t, span))
        want = 0.25 + 0.75 * u**power
        assert v == pytest.approx(want, rel=1e-13, abs=1e-300), t
        assert s.at(t) == v
