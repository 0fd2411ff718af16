"""The command line: table, plot, describe, compare, bench, names, precompile; and save()."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import lrsched
from lrsched.cli import main
from peers import require, trace

README_ARGS = ["warmup_cosine", "peak_value=3e-4", "warmup_steps=2000", "total_steps=1000000", "end_value=3e-5"]


def test_table_writes_the_schedule_and_a_summary(tmp_path, capsys):
    out = tmp_path / "lr.npy"
    assert main(["table", *README_ARGS, "--steps", "1000000", "-o", str(out)]) == 0
    want = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2000, total_steps=1_000_000, end_value=3e-5)
    np.testing.assert_array_equal(np.load(out), want.table(1_000_000))
    text = capsys.readouterr().out
    assert "wrote 1,000,000 steps" in text
    assert "peak    0.0003 at step 2,000" in text
    assert "end     3e-05 at step 999,999" in text
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
        pytest.param(["cosine", "init_value=-1", "steps=3"], "`init_value` must be a finite number >= 0", id="bad"),
        pytest.param(["init_value=1"], "expected a schedule name, preset or spec file before 'init_value=1'",
                     id="no-name"),
        pytest.param(["cosine", "init_value=1", "steps=3", "linear"], "expected 1 schedule, got 2", id="two-specs"),
        pytest.param(["missing.json"], "missing.json", id="missing-file"),
        pytest.param(["numpy:cosine"], "unknown preset kind 'numpy'", id="unknown-preset-kind"),
    ],
)
def test_user_errors_exit_1_with_one_line_and_write_nothing(tmp_path, capsys, args, fragment):
    out = tmp_path / "x.npy"
    assert main(["table", *args, "--steps", "3", "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("lrsched: error: ") and fragment in err and err.count("\n") == 1, err
    assert not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        pytest.param(["nope"], "unknown schedule name 'nope'; `lrsched names` lists them all", id="unknown-name"),
        pytest.param(["cosin", "init_value=1"], "unknown schedule name 'cosin' (did you mean cosine", id="misspelled"),
        pytest.param(["cosine", "init_value=1"],
                     "cosine: needs steps=; its keys are init_value=, steps=, end_value=, exponent=, k=", id="missing"),
        pytest.param(["cosine", "init_value=1", "steps=3", "colour=2"],
                     "cosine: unknown key colour=; its keys are init_value=, steps=", id="unknown-key"),
        pytest.param(["warmup_cosine", "peak_lr=3e-4", "warmup_steps=10", "total_steps=100"],
                     "warmup_cosine: unknown key peak_lr= (did you mean peak_value=?", id="peer-name"),
        pytest.param(["cosine", "lr=0.1", "steps=3"], "cosine: unknown key lr= (did you mean init_value=?", id="lr"),
        pytest.param(["torch:CosineAnnealingLR", "T_max=10", "eta_minn=0"],
                     "CosineAnnealingLR: unknown key eta_minn= (did you mean eta_min=?", id="preset"),
    ],
)
def test_unknown_names_and_keys_are_usage_errors_in_key_words(tmp_path, capsys, args, message):
    out = tmp_path / "x.npy"
    assert main(["table", *args, "--steps", "3", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrsched: error: ") and message in err and err.count("\n") == 1, err
    assert "lrsched.names()" not in err and "`d`" not in err and "()" not in err.split(";")[0]  # Python's words
    assert not out.exists()


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["table", "cosine", "--steps", "ten", "-o", "x.npy"], id="steps-not-int"),
        pytest.param(["frobnicate"], id="unknown-command"),
    ],
)
def test_usage_errors_exit_2(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2
    assert "usage: lrsched" in capsys.readouterr().err


def test_a_bare_lrsched_shows_the_commands(capsys):
    assert main([]) == 2
    err = capsys.readouterr().err
    assert "usage: lrsched" in err
    for command in ("table", "plot", "preview", "describe", "compare", "bench", "names", "precompile"):
        assert f"    {command}" in err, command


def test_version(capsys):
    from importlib.metadata import version

    import numba

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"lrsched {version('lrsched')} ") and f"numba {numba.__version__}" in out


def test_names_describe_every_name(capsys):
    assert main(["names"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{len(lrsched.names())} names")
    first = {line.split()[0]: line.split(None, 1)[1] for line in out[1:] if line and not line.startswith(" ")}
    assert sorted(first) == lrsched.names()
    assert first["warmup_cosine"].startswith("Warmup from init_value to peak_value, then half-cosine")
    assert first["cosine_with_min_lr"] == "= warmup_cosine"
    assert first["rsqrt"] == "= wsd(stable='rsqrt')"
    text = "\n".join(out)
    assert "also named cosine_warmup_with_min_lr, cosine_with_min_lr" in text  # warmup_cosine's aliases
    assert "torch.optim.lr_scheduler.CosineAnnealingLR" in text  # a factory's See also, the peers' part of it
    assert "``" not in text


def test_names_name_shows_its_arguments_formula_and_peers(capsys):
    assert main(["names", "Cosine-With-Min-LR"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("cosine_with_min_lr (= warmup_cosine): Warmup from")
    assert "usage: cosine_with_min_lr peak_value= warmup_steps= total_steps= [end_value=null]" in out
    assert "[end_ratio=null]" in out  # null: not given (end_value then defaults to 0, see the formula)
    assert "peers: transformers cosine_with_min_lr" in out and "help(lrsched.warmup_cosine)" in out
    assert main(["names", "cosine"]) == 0
    out = capsys.readouterr().out
    assert "usage: cosine init_value= steps= [end_value=0.0] [exponent=1.0] [k=1.0]" in out
    assert "Parameters" in out and "k-decay" in out  # the docstring's formula and arguments


def test_a_closed_pipe_ends_quietly(tmp_path):
    """``lrsched describe ... | head -1``: the reader goes away mid-output; no traceback, no Errno 32."""
    cmd = [sys.executable, "-m", "lrsched", "describe", "sgdr", "peak_value=1", "cycle_steps=100", "--steps", "3e6"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.readline()  # the repr is printed before the description is computed
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert first.startswith(b"sgdr(")
    assert err == "" and code == 141, (code, err)


def test_missing_torch_is_named_with_the_cpu_pin(monkeypatch, capsys):
    """Where torch is missing, the messages give the pinned CPU build: a bare `pip install torch` pulls CUDA."""
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    assert main(["describe", "torch:StepLR", "step_size=2", "--steps", "4"]) == 1
    assert 'pip install "torch==2.13.*"' in capsys.readouterr().err
    code = "import sys; sys.modules['torch'] = None\ntry:\n    import lrsched.torch\nexcept ImportError as e:\n    print(e)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "pip install 'torch==2.13.*'" in done.stdout, done


def test_table_says_the_kernels_time_apart(tmp_path):
    """On a first use (an empty Numba cache) the compile is reported on a line of its own, not in the
    table's time printed under the README's 'under a millisecond'."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    cmd = [sys.executable, "-m", "lrsched", "table", "warmup_cosine", "peak_value=3e-4", "warmup_steps=20",
           "total_steps=1000", "--steps", "1e3", "-o", str(tmp_path / "t.npy")]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    wrote, kernels = done.stdout.splitlines()[1:3]
    assert re.fullmatch(r"wrote 1,000 steps \(float64, 0\.0 MB of values\) to \S+ in [\d.]+ s, writing included", wrote)
    assert re.fullmatch(r"  plus [\d.]+ s before it to compile its kernels, or load them from Numba's cache", kernels)
    assert np.load(tmp_path / "t.npy").size == 1_000  # --steps 1e3: a whole number written as a float


def test_steps_default_to_the_total_then_to_the_horizon(tmp_path, capsys):
    out = tmp_path / "x.npy"
    # cosine steps=3 holds its end value from step 3: a 3-step table is the whole run
    assert main(["table", "cosine", "init_value=1", "steps=3", "-q", "-o", str(out)]) == 0
    np.testing.assert_allclose(np.load(out), [1.0, 0.75, 0.25], rtol=1e-12)  # (1 + cos(pi t / 3)) / 2, t = 0, 1, 2
    # a join ends where its last piece does: 4 + 2
    spec = '[{"type": "constant", "value": 1.0}, {"type": "linear", "init_value": 1.0, "end_value": 0.0, "steps": 2}]'
    assert main(["table", "join", f"schedules={spec}", "boundaries=[4]", "-q", "-o", str(out)]) == 0
    assert np.load(out).tolist() == [1.0, 1.0, 1.0, 1.0, 1.0, 0.5]
    # --total wins over the horizon
    assert main(["table", "cosine", "init_value=1", "steps=3", "--total", "5", "-q", "-o", str(out)]) == 0
    assert np.load(out).size == 5
    out.unlink()
    # a schedule that keeps changing has no horizon: --steps is needed, and the message says why (exit 2)
    assert main(["table", "step", "init_value=1", "step_size=3", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--steps is required: step init_value=1 step_size=3 keeps changing" in err and err.count("\n") == 1
    assert not out.exists()
    assert main(["describe", "constant", "value=1"]) == 2  # constant from step 0: no run length either
    capsys.readouterr()
    assert main(["compare", "cosine", "init_value=1", "steps=3", "cosine", "init_value=1", "steps=7"]) == 0
    assert "of 7 steps" in capsys.readouterr().out  # the longer of the two horizons
    assert main(["compare", "step", "init_value=1", "step_size=3", "cosine", "init_value=1", "steps=7"]) == 0
    assert "of 7 steps" in capsys.readouterr().out  # the one that has a horizon sets the length


def test_horizon_is_read_off_the_program():
    assert lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100).horizon == 100
    assert lrsched.sgdr(1.0, 100, cycle_limit=3).horizon == 300
    assert lrsched.step(init_value=1.0, step_size=10, gamma=0.5).horizon is None
    assert lrsched.constant(1.0).horizon is None
    assert lrsched.polynomial(init_value=1.0, steps=10, cycle=True).horizon is None  # Keras' cycles never end
    noisy = lrsched.noise(lrsched.cosine(init_value=1.0, steps=10), std=0.1, seed=0)
    assert noisy.horizon is None  # noise on every step: never constant
    both = lrsched.linear(init_value=1.0, steps=30) * lrsched.cosine(init_value=1.0, steps=70)
    assert both.horizon == 70  # the last layer to settle
    s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=100)
    assert s.at(s.horizon - 1) != s.at(s.horizon) == s.at(10**12)


def test_unwritable_output_and_bad_steps_are_one_line_errors(tmp_path, capsys):
    assert main(["table", "constant", "value=1", "--steps", "3", "-o", str(tmp_path / "no" / "dir" / "x.npy")]) == 1
    assert main(["table", "constant", "value=1", "--steps", "0", "-o", str(tmp_path / "x.npy")]) == 1
    assert main(["table", "constant", "value=1", "--steps", "3", "-o", str(tmp_path / "x.txt")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all(line.startswith("lrsched: error: ") for line in err)
    assert "--steps must be a positive integer, got 0" in err[1] and ".npy, .csv, .parquet" in err[2]
    assert not list(tmp_path.iterdir())


def test_csv_holds_exact_values(tmp_path):
    s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=7, total_steps=50, end_value=1e-6)
    assert main(["table", "warmup_cosine", "peak_value=3e-4", "warmup_steps=7", "total_steps=50", "end_value=1e-6",
                 "--steps", "60", "--start", "5", "-q", "-o", str(tmp_path / "lr.csv")]) == 0  # fmt: skip
    lines = (tmp_path / "lr.csv").read_text().splitlines()
    assert lines[0] == "step,value" and len(lines) == 61
    steps = [int(line.split(",")[0]) for line in lines[1:]]
    values = [float(line.split(",")[1]) for line in lines[1:]]
    assert steps == list(range(5, 65)) and values == s.table(60, start=5).tolist()
    main(["table", "cosine", "init_value=0.1", "steps=9", "--steps", "9", "--dtype", "float32", "-q",
          "-o", str(tmp_path / "f.csv")])  # fmt: skip
    got = np.loadtxt(tmp_path / "f.csv", delimiter=",", skiprows=1)[:, 1].astype(np.float32)
    np.testing.assert_array_equal(got, lrsched.cosine(init_value=0.1, steps=9).table(9, dtype=np.float32))


def test_parquet_needs_pyarrow_or_says_how_to_get_it(tmp_path, capsys):
    out = tmp_path / "lr.parquet"
    code = main(["table", "constant", "value=0.5", "--steps", "10", "-q", "-o", str(out)])
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert code == 1 and "pip install pyarrow" in capsys.readouterr().err and not list(tmp_path.iterdir())
        return
    assert code == 0
    table = pq.read_table(out)
    assert table.column("step").to_pylist() == list(range(10)) and table.column("value").to_pylist() == [0.5] * 10


def test_several_specs_split_at_words_without_equals():
    from lrsched.cli import split_specs

    words = ["cosine", "init_value=1", "steps=3", "run.json", "torch:StepLR", "step_size=2", "milestones=[1,2]"]
    assert split_specs(words) == [["cosine", "init_value=1", "steps=3"], ["run.json"],
                                  ["torch:StepLR", "step_size=2", "milestones=[1,2]"]]  # fmt: skip


def test_names_from_the_registry_and_peers_work_as_specs(tmp_path):
    main(["table", "cosine_with_min_lr", "peak_value=1", "warmup_steps=2", "total_steps=10", "end_value=0.1",
          "--steps", "12", "-q", "-o", str(tmp_path / "a.npy")])  # fmt: skip
    want = lrsched.get("cosine_with_min_lr", peak_value=1, warmup_steps=2, total_steps=10, end_value=0.1)
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), want.table(12))


def test_torch_and_transformers_presets_give_the_peers_values(tmp_path, capsys):
    torch = require("torch")
    require("transformers")
    main(["table", "torch:CosineAnnealingLR", "T_max=10", "eta_min=0.01", "base_lr=0.1", "--steps", "25", "-q",
          "-o", str(tmp_path / "t.npy")])  # fmt: skip
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.01)
    np.testing.assert_allclose(np.load(tmp_path / "t.npy"), trace(opt, sched, 25)[:, 0], rtol=1e-12)

    import transformers

    main(["table", "transformers:cosine", "num_warmup_steps=3", "num_training_steps=20", "base_lr=0.5",
          "--steps", "20", "-q", "-o", str(tmp_path / "h.npy")])  # fmt: skip
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.5)
    sched = transformers.get_scheduler("cosine", opt, num_warmup_steps=3, num_training_steps=20)
    np.testing.assert_allclose(np.load(tmp_path / "h.npy"), trace(opt, sched, 20)[:, 0], rtol=1e-12)

    for bad, fragment in ((["torch:LambdaLR"], "LambdaLR and MultiplicativeLR need Python functions"),
                          (["torch:Nope"], "unknown or unsupported torch scheduler 'Nope'"),
                          (["transformers:reduce_lr_on_plateau"], "does not follow a fixed schedule")):  # fmt: skip
        assert main(["table", *bad, "--steps", "3", "-o", str(tmp_path / "x.npy")]) == 1
        assert fragment in capsys.readouterr().err


def test_describe_reports_the_shape_and_warns_of_usual_mistakes(capsys):
    assert main(["describe", "warmup_cosine", "peak_value=1e-3", "warmup_steps=100", "total_steps=1000",
                 "end_value=1e-5", "--steps", "1000"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "peak     0.001 at step 100" in out and "warmup   ends at step 100" in out
    assert "restarts 0" in out and "warning" not in out
    # a horizon shorter than the run
    main(["describe", "cosine", "init_value=1", "steps=500", "--steps", "1000"])
    assert "stops changing at step 500" in capsys.readouterr().out
    # torch's cosine past T_max rises again
    main(["describe", "sgdr", "peak_value=1", "cycle_steps=100", "--steps", "350"])
    out = capsys.readouterr().out
    assert "restarts 3 at steps 100, 200, 300" in out and "rises again" not in out and "warning" not in out


def test_describe_warns_of_a_jump_at_the_warmup_hand_off_and_of_zero_values(capsys):
    s = lrsched.join([lrsched.linear(init_value=0.0, end_value=0.1, steps=10), lrsched.constant(1.0)], [10])
    d = lrsched.describe(s, 50)
    assert d.warmup_end == 10 and any("jump of 0.91 at the end of the warmup" in w for w in d.warnings)
    z = lrsched.join([lrsched.constant(1.0), lrsched.constant(0.0), lrsched.constant(1.0)], [5, 10])
    assert any("5 steps before the last have a value <= 0 (first at step 5" in w for w in lrsched.describe(z, 20).warnings)
    assert lrsched.describe(lrsched.warmup_linear(peak_value=1.0, warmup_steps=5, total_steps=20), 20).warnings == []


def test_describe_warns_of_a_cosine_rising_past_its_horizon():
    torch = require("torch")
    from lrsched.torch import CosineAnnealingLR

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    periodic = CosineAnnealingLR(opt, T_max=100).schedules["lr"][0]
    warnings = lrsched.describe(periodic, 300).warnings
    assert any("rises again from step 100" in w for w in warnings), warnings


def test_compare_finds_the_first_difference(capsys):
    assert main(["compare", "cosine", "init_value=1", "steps=100", "cosine", "init_value=1", "steps=100",
                 "--steps", "200"]) == 0  # fmt: skip
    assert "identical over 200 steps" in capsys.readouterr().out
    main(["compare", "step", "init_value=1", "step_size=10", "step", "init_value=1", "step_size=12", "--steps", "40"])
    out = capsys.readouterr().out
    assert "first at step 10" in out and "at step 10: A = 0.1, B = 1.0" in out
    c = lrsched.compare(lrsched.constant(1.0), lrsched.constant(1.0 + 1e-13), 5, rtol=1e-12)
    assert c.identical and c.max_rel > 0


def test_plot_writes_an_image_or_says_how_to_install_matplotlib(tmp_path, capsys):
    out = tmp_path / "lr.png"
    code = main(["plot", "cosine", "init_value=1", "steps=1000", "end_value=0.01", "sgdr", "peak_value=1",
                 "cycle_steps=300", "end_value=0.01", "--steps", "2000000", "--log", "-o", str(out)])  # fmt: skip
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert code == 1 and "pip install" in capsys.readouterr().err
        return
    assert code == 0 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = tmp_path / "lr.svg"
    assert main(["plot", "warmup_cosine", "peak_value=1", "warmup_steps=10", "total_steps=100", "--steps", "100",
                 "-q", "-o", str(svg)]) == 0  # fmt: skip
    assert "<svg" in svg.read_text()
    # a log axis leaves a zero out (with a note), and refuses only a schedule with no value > 0
    assert main(["plot", "cosine", "init_value=1", "steps=10", "--steps", "20", "--log", "-q", "-o", str(svg)]) == 0
    svg.unlink()
    assert main(["plot", "constant", "value=0", "--steps", "20", "--log", "-o", str(svg)]) == 1
    assert not svg.exists()


def test_plot_keeps_every_extreme_of_a_long_table():
    from lrsched.plotting import _decimate

    v = lrsched.sgdr(1.0, 7, end_value=0.0).table(1_000_003)
    x, y = _decimate(v)
    assert y.size <= 4_002 and y.max() == v.max() and y.min() == v.min() and x[-1] == v.size - 1
    np.testing.assert_array_equal(v[x], y)


def test_bench_prints_ratios(capsys):
    assert main(["bench", "--steps", "20000", "--quick"]) == 0
    out = capsys.readouterr().out
    for name in ("warmup_cosine", "cosine", "step", "exponential", "linear", "sgdr"):
        assert name in out
    assert "lrsched.Scheduler.step()" in out and "×" in out


def test_python_dash_m(tmp_path):
    out = tmp_path / "c.npy"
    cmd = [sys.executable, "-m", "lrsched", "table", "constant", "value=0.5", "--steps", "3", "-o", str(out)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=os.environ)
    assert run.returncode == 0, run.stderr
    assert np.load(out).tolist() == [0.5, 0.5, 0.5]


def test_precompile_warms_every_kernel_and_shows_progress(capsys):
    from lrsched import _kernels

    assert main(["precompile"]) == 0
    *steps, summary = capsys.readouterr().out.splitlines()
    total = len(_kernels.KERNELS)
    assert len(steps) == total and steps[-1].startswith(f"[{total}/{total}]")  # one line per kernel, as it is done
    assert sorted(line.split("]")[1].split()[0] for line in steps) == sorted(_kernels.KERNELS)
    assert summary.startswith(f"compiled or loaded {total} kernels in ")
    assert all(k.ready for k in _kernels.KERNELS.values())
    assert lrsched.precompile() == sorted(_kernels.KERNELS)


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


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: lrsched.describe("cosine", 10), TypeError, "describe: `schedule` must be a lrsched.Schedule"),
        (lambda: lrsched.describe(lrsched.constant(1.0), 0), ValueError, "describe: `steps` must be"),
        (lambda: lrsched.describe(lrsched.constant(1.0), 2.5), TypeError, "describe: `steps` must be"),
        (lambda: lrsched.compare(lrsched.constant(1.0), None, 3), TypeError, "compare: `b` must be a lrsched.Schedule"),
        (lambda: lrsched.compare(lrsched.constant(1.0), lrsched.constant(1.0), 3, rtol=-1.0), ValueError,
         "compare: `rtol` must be"),
        (lambda: lrsched.plot([], 10), ValueError, "plot: `schedules` must be one or more lrsched.Schedule"),
        (lambda: lrsched.plot([lrsched.constant(1.0)], 10, "x.gif"), ValueError, "plot: `path` must be a .png, .svg"),
        (lambda: lrsched.plot([lrsched.constant(1.0)], 10, labels=["a", "b"]), ValueError, "plot: `labels` must be"),
    ],
)
def test_report_and_plot_reject_bad_arguments(call, exc, text):
    with pytest.raises(exc) as info:
        call()
    assert text in str(info.value)


def test_bench_without_torch_says_not_installed(monkeypatch, capsys):
    from lrsched import bench

    monkeypatch.setattr(bench, "_have_torch", lambda: False)
    assert main(["bench", "--steps", "5000", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "torch is not installed" in out and out.count("not installed") >= 8  # the header, 6 rows, per step
    assert 'pip install "torch==2.13.*"' in out  # the CPU build the project pins, not a bare `pip install torch`
    assert "lrsched.Scheduler.step()" in out
    _assert_aligned(out)


def _assert_aligned(out):
    """Every line of each table has its column ends where its header has them: no cell runs into the next."""
    for block in out.split("\n\n"):
        lines = block.splitlines()
        rule = next((i for i, line in enumerate(lines) if set(line) == {"-"}), None)
        if rule is None:
            continue
        head, rows = lines[rule - 1], lines[rule + 1:]
        rows = [r for r in rows if not r.startswith("torch is not installed")]
        ends = [m.end() for m in re.finditer(r"\S+(?= {2}|$)", head)]  # right-aligned columns end here
        ends = ends if head.startswith(" ") else ends[1:]  # the first column is left-aligned
        assert ends, head
        for row in rows:
            for end in ends:
                assert end <= len(row) and row[end - 1] != " " and (end == len(row) or row[end] == " "), (head, row)


def test_bench_columns_line_up(capsys):
    assert main(["bench", "--steps", "5000", "--quick"]) == 0
    _assert_aligned(capsys.readouterr().out)


# -- lengths in units ---------------------------------------------------------------------------

# 1,000,000 samples over 8 processes of 8: ceil(1e6 / 64) = 15,625 micro-batches per process, in
# updates of 4: ceil(15,625 / 4) = 3,907 per epoch; 2 epochs = 7,814; 5% of them = 390.7 -> 391
LLM_FACTS = ["--dataset-size", "1e6", "--micro-batch-size", "8", "--grad-accum", "4", "--processes", "8",
             "--seq-len", "2048", "--total", "2ep"]  # fmt: skip


def test_preview_resolves_each_length_and_shows_the_lr_at_each_boundary(capsys):
    spec = ["warmup_cosine", "peak_value=3e-4", "warmup_steps=0.05dur", "total_steps=1dur", "end_value=3e-5"]
    assert main(["preview", *spec, *LLM_FACTS]) == 0
    out = capsys.readouterr().out
    assert "warmup_steps 0.05dur = 391 optimizer updates = 1,564 micro-batches per process" in out
    assert "total_steps 1dur = 7,814 optimizer updates" in out
    s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=391, total_steps=7_814, end_value=3e-5)
    rows = {line.split()[-2] + " " + line.split()[-1]: line.split() for line in out.splitlines()
            if line.rstrip().endswith(("first update", "end of warmup", "last update"))}  # fmt: skip
    assert rows["of warmup"][0] == "391" and float(rows["of warmup"][-4]) == pytest.approx(s.at(391), rel=1e-6)
    assert rows["last update"][0] == "7,813" and rows["last update"][1] == f"{7_813 / 3_907:.3f}"
    # tokens per update: 8 * 4 * 8 * 2048 = 524,288
    assert float(rows["of warmup"][2]) == pytest.approx(391 * 524_288, rel=1e-3)


def test_every_command_takes_unit_strings_and_run_facts(tmp_path, capsys):
    out = tmp_path / "lr.npy"
    assert main(["table", "cosine", "init_value=1", "steps=2ep", "--steps-per-epoch", "100", "--steps", "3ep",
                 "-q", "-o", str(out)]) == 0  # fmt: skip
    np.testing.assert_array_equal(np.load(out), lrsched.cosine(init_value=1.0, steps=200).table(300))
    assert main(["describe", "cosine", "init_value=1", "steps=2000ba", "--steps", "4000mb", "--grad-accum", "2"]) == 0
    assert "steps    2,000" in capsys.readouterr().out
    assert main(["compare", "cosine", "init_value=1", "steps=1ep", "cosine", "init_value=1", "steps=10",
                 "--steps-per-epoch", "10", "--steps", "1e2"]) == 0  # fmt: skip
    assert "identical over 100 steps" in capsys.readouterr().out
    assert main(["describe", "cosine", "init_value=1", "steps=2ep", "--steps", "10"]) == 1
    err = capsys.readouterr().err
    assert "'ep' needs --steps-per-epoch" in err and "got steps='2ep'" in err


def test_presets_take_unit_strings_on_the_command_line(capsys):
    pytest.importorskip("torch")
    assert main(["compare", "torch:CosineAnnealingLR", "T_max=1ep", "cosine", "init_value=1", "steps=50",
                 "--steps-per-epoch", "50", "--steps", "50", "--rtol", "1e-12"]) == 0  # fmt: skip
    assert "identical over 50 steps" in capsys.readouterr().out
