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
    assert " ms to compute" in text


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
