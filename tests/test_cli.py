"""The minimal command line: lrsched table."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import lrsched
from lrsched.cli import main

README_ARGS = ["warmup_cosine", "peak_value=3e-4", "warmup_steps=2000", "total_steps=1000000", "end_value=3e-5"]


def test_table_writes_the_schedule_and_a_summary(tmp_path, capsys):
    out = tmp_path / "lr.npy"
    assert main(["table", *README_ARGS, "--steps", "1000000", "-o", str(out)]) == 0
    want = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2000, total_steps=1_000_000, end_value=3e-5)
    np.testing.assert_array_equal(np.load(out), want.table(1_000_000))
    text = capsys.readouterr().out
    assert "wrote 1,000,000 steps" in text
    assert "peak    0.0003 at step 2,000" in text
    assert "warmup  ends at step 2,000" in text
    assert "final   3e-05 at step 999,999" in text
    assert "mean    0.00016497" in text


def test_lists_start_dtype_and_quiet(tmp_path, capsys):
    out = tmp_path / "m.npy"
    args = ["table", "multistep", "init_value=1", "milestones=[2,2,4]", "gamma=0.5"]
    main([*args, "--steps", "4", "--start", "2", "--dtype", "float32", "-q", "-o", str(out)])
    got = np.load(out)
    assert got.dtype == np.float32 and got.tolist() == [0.25, 0.25, 0.125, 0.125]
    assert capsys.readouterr().out == ""


def test_spec_file(tmp_path):
    s = lrsched.join([lrsched.constant(1.0), lrsched.cosine(init_value=0.5, steps=10)], [3])
    spec = tmp_path / "s.json"
    spec.write_text(json.dumps(s.to_dict()))
    main(["table", str(spec), "--steps", "20", "-q", "-o", str(tmp_path / "s.npy")])
    np.testing.assert_array_equal(np.load(tmp_path / "s.npy"), s.table(20))


@pytest.mark.parametrize(
    "args, fragment",
    [
        pytest.param(["nope"], "unknown schedule 'nope'", id="unknown-family"),
        pytest.param(["cosine", "init_value=1"], "missing 1 required keyword-only argument: 'steps'", id="missing"),
        pytest.param(["cosine", "init_value=-1", "steps=3"], "`init_value` must be a finite number >= 0", id="bad"),
        pytest.param(["cosine", "init_value"], "expected key=value", id="not-key-value"),
        pytest.param(["cosine", "init_value=1", "steps=3", "colour=2"], "unknown key 'colour'", id="unknown-key"),
    ],
)
def test_errors_exit_2_with_a_message(tmp_path, capsys, args, fragment):
    out = tmp_path / "x.npy"
    with pytest.raises(SystemExit) as exc:
        main(["table", *args, "--steps", "3", "-o", str(out)])
    assert exc.value.code == 2
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def test_python_dash_m(tmp_path):
    out = tmp_path / "c.npy"
    cmd = [sys.executable, "-m", "lrsched", "table", "constant", "value=0.5", "--steps", "3", "-o", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    assert run.returncode == 0, run.stderr
    assert np.load(out).tolist() == [0.5, 0.5, 0.5]


def test_precompile_warms_every_entry_point(capsys):
    assert main(["precompile"]) == 0
    out = capsys.readouterr().out
    assert "eval_range, eval_range_f32, eval_steps" in out
    from lrsched import _kernels

    assert all(k._dispatcher is not None for k in (_kernels.eval_range, _kernels.eval_range_f32, _kernels.eval_steps))
    assert lrsched.precompile() == ["eval_range", "eval_range_f32", "eval_steps"]


def test_save_streams_chunks_and_never_leaves_a_complete_looking_partial_file(tmp_path):
    s = lrsched.sgdr(1.0, 7, 2, end_value=0.01)
    path = tmp_path / "lr.npy"
    calls = []
    summary = lrsched.save(s, path, 1_000, start=5, dtype="float32", chunk=64, progress=lambda d, n: calls.append(d))
    np.testing.assert_array_equal(np.load(path), s.table(1_000, start=5, dtype=np.float32))
    assert calls[-1] == 1_000 and len(calls) == 16 and summary.n == 1_000 and summary.peak == 1.0

    def interrupt(done, n):
        if done > 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        lrsched.save(s, tmp_path / "cut.npy", 1_000, chunk=64, progress=interrupt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lr.npy"]


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        (dict(n=-1), ValueError, "save: `n` must be an integer >= 0, got n=-1."),
        (dict(n=10, dtype="int8"), TypeError, "save: `dtype` must be numpy.float64 or numpy.float32"),
        (dict(n=10, chunk=0), ValueError, "save: `chunk` must be an integer in [1, 1073741824], got chunk=0."),
        (dict(n=2, start=2**62), ValueError, "save: `start + n` must be <= 2**62 + 1"),
        (dict(n=10, progress=3), TypeError, "save: `progress` must be a function (done, n) or None"),
    ],
)
def test_save_rejects_bad_arguments_and_writes_nothing(tmp_path, kwargs, exc, text):
    with pytest.raises(exc) as info:
        lrsched.save(lrsched.constant(1.0), tmp_path / "x.npy", **kwargs)
    assert text in str(info.value)
    assert not list(tmp_path.iterdir())
