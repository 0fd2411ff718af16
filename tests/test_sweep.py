"""lrsched.sweep: B configurations into one (B, N) array, equal to B separate tables."""

import numpy as np
import pytest

import lrsched


def test_rows_equal_separate_tables_and_shared_arguments_broadcast():
    peaks = np.linspace(1e-4, 1e-3, 7)
    warmups = [0, 1, 5, 50, 99, 10, 3]
    got = lrsched.sweep("warmup_cosine", 300, start=11, peak_value=peaks, warmup_steps=warmups, total_steps=100)
    assert got.shape == (7, 300) and got.dtype == np.float64
    for row, p, w in zip(got, peaks, warmups):
        want = lrsched.warmup_cosine(peak_value=float(p), warmup_steps=w, total_steps=100).table(300, start=11)
        np.testing.assert_array_equal(row, want)


def test_peer_names_schedule_lists_float32_threads_and_out():
    schedules = [lrsched.sgdr(1.0, c, 2, end_value=0.01) for c in (1, 3, 7, 10, 64)]
    want = np.stack([s.table(1_000) for s in schedules])
    np.testing.assert_array_equal(lrsched.sweep(schedules, 1_000, threads=1), want)
    out = np.empty((5, 1_000), np.float32)
    assert lrsched.sweep(schedules, 1_000, out=out, threads=3) is out
    np.testing.assert_array_equal(out, want.astype(np.float32))
    rsqrt = lrsched.sweep("inverse-square-root", 5, peak_value=[1.0, 2.0], warmup_steps=2)
    np.testing.assert_array_equal(rsqrt[1], lrsched.inverse_sqrt(peak_value=2.0, warmup_steps=2).table(5))


@pytest.mark.parametrize(
    "args, kwargs, exc, text",
    [
        (("linear", 5), dict(init_value=1.0, steps=4), ValueError, "at least one argument given as a list"),
        (("linear", 5), dict(init_value=[1.0, 2.0], steps=[3, 4, 5]), ValueError, "must have one length, got lengths"),
        (("linear", 5), dict(init_value=[1.0, -2.0], steps=4), ValueError, "linear: `init_value` must be a finite number >= 0"),
        (("nope", 5), dict(x=[1]), ValueError, "nope"),
        (([lrsched.constant(1.0)], 5), dict(steps=[3]), ValueError, "left out when `family` is a list of schedules"),
        (([lrsched.constant(1.0), "x"], 5), {}, TypeError, "sweep: `family[1]` must be a lrsched.Schedule"),
        (([lrsched.constant(1.0)], -1), {}, ValueError, "sweep: `n` must be an integer >= 0"),
        (([lrsched.constant(1.0)], 5), dict(dtype="int64"), TypeError, "sweep: `dtype` must be numpy.float64 or"),
        (([lrsched.constant(1.0)], 5), dict(out=np.empty((2, 5))), ValueError, "must be an array of shape (1, 5)"),
        (([lrsched.constant(1.0)], 5), dict(out=np.empty((1, 10))[:, ::2]), ValueError, "`out` must be C-contiguous"),
        (([lrsched.constant(1.0)], 5), dict(threads=0), ValueError, "sweep: `threads` must be an integer in [1, 1024]"),
    ],
)  # fmt: skip
def test_bad_arguments(args, kwargs, exc, text):
    with pytest.raises(exc) as info:
        lrsched.sweep(*args, **kwargs)
    assert text in str(info.value)
