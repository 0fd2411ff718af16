"""The installed ``lrsched`` console script, run as a user runs it (a subprocess), and the README's code.

test_cli.py calls ``main`` in-process for speed; here every command, output
format and error path goes through the real executable once, so a broken
entry point, import or exit status shows.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lrsched
from peers import require

ROOT = Path(__file__).parent.parent
SCRIPT = shutil.which("lrsched")


def run(*args, cwd=None, timeout=300):
    if SCRIPT is None:
        pytest.fail("the lrsched console script is not on PATH: install the package (pip install -e .)")
    return subprocess.run([SCRIPT, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=timeout,
                          env={**os.environ, "COLUMNS": "100"})  # fmt: skip


COSINE = ["cosine", "init_value=0.1", "steps=1000", "end_value=0.001"]


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".parquet"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_table_in_every_format(tmp_path, suffix, dtype):
    if suffix == ".parquet":
        require("pyarrow")
    out = tmp_path / f"lr{suffix}"
    done = run("table", *COSINE, "--steps", 1500, "--start", 7, "--dtype", dtype, "-o", out)
    assert done.returncode == 0, done.stderr
    assert f"wrote 1,500 steps ({dtype}" in done.stdout and done.stderr == ""
    want = lrsched.cosine(init_value=0.1, steps=1000, end_value=0.001).table(1500, start=7, dtype=np.dtype(dtype))
    if suffix == ".npy":
        got = np.load(out)
    elif suffix == ".csv":
        got = np.loadtxt(out, delimiter=",", skiprows=1)[:, 1].astype(dtype)
    else:
        import pyarrow.parquet as pq

        got = pq.read_table(out).column("value").to_numpy()
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_quiet_prints_nothing_and_no_progress_bar_off_a_terminal(tmp_path):
    done = run("table", *COSINE, "--steps", 12_000_000, "-q", "-o", tmp_path / "big.npy")
    assert done.returncode == 0 and done.stdout == "" and done.stderr == ""
    done = run("table", *COSINE, "--steps", 12_000_000, "-o", tmp_path / "big.npy")
    assert "%" not in done.stderr  # stderr is a pipe here, not a terminal


def _png(path):
    import matplotlib.image

    return matplotlib.image.imread(path)


def test_plot_draws_a_real_picture(tmp_path):
    require("matplotlib")
    out = tmp_path / "lr.png"
    done = run("plot", *COSINE, "sgdr", "peak_value=0.1", "cycle_steps=300", "end_value=0.001", "--steps", 2000,
               "--log", "--title", "two schedules", "-o", out)  # fmt: skip
    assert done.returncode == 0, done.stderr
    img = _png(out)
    assert img.shape[:2] == (675, 1200)  # 8 x 4.5 inches at 150 dpi
    ink = (img[..., :3] < 0.9).any(axis=-1).mean()  # share of pixels that are not near white
    colors = np.unique((img[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert 0.01 < ink < 0.5 and len(colors) > 20
    svg = tmp_path / "lr.svg"
    assert run("plot", *COSINE, "--steps", 100, "-q", "-o", svg).returncode == 0
    assert svg.read_text().count("<path") > 5


def test_describe_compare_bench_names_precompile():
    done = run("describe", "warmup_cosine", "peak_value=3e-4", "warmup_steps=2000", "total_steps=100000",
               "end_value=3e-5", "--steps", 120000)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "peak     0.0003 at step 2,000" in done.stdout and "stops changing at step 100,000" in done.stdout
    done = run("compare", *COSINE, "cosine", "init_value=0.1", "steps=1001", "end_value=0.001", "--steps", 2000)
    assert done.returncode == 0 and "first at step 1" in done.stdout
    done = run("bench", "--steps", 20000, "--quick")
    assert done.returncode == 0 and "torch loop" in done.stdout and "lrsched.Scheduler.step()" in done.stdout
    done = run("names")
    listed = {line.split()[0] for line in done.stdout.splitlines()[1:] if line and not line.startswith(" ")}
    assert done.returncode == 0 and listed == set(lrsched.names())
    done = run("precompile")
    assert done.returncode == 0 and "fill_cosine" in done.stdout and "compiled or loaded" in done.stdout
    done = subprocess.run([sys.executable, "-m", "lrsched", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "describe" in done.stdout


@pytest.mark.parametrize(
    "args, code, fragment",
    [
        (["table", "nope", "--steps", 3, "-o", "x.npy"], 2, "unknown schedule name 'nope'"),
        (["table", "cosine", "init_value=-1", "steps=3", "--steps", 3, "-o", "x.npy"], 1, "`init_value` must be"),
        (["table", "cosine", "init_value=1", "steps=3", "--steps", 3, "-o", "no/such/dir/x.npy"], 1, "No such file"),
        (["table", "cosine", "init_value=1", "steps=3", "--steps", 3, "-o", "x.txt"], 1, ".npy, .csv, .parquet"),
        (["table", "cosine", "init_value=1", "steps=3", "--steps", 0, "-o", "x.npy"], 1, "--steps must be"),
        (["table", "spec.json", "--steps", 3, "-o", "x.npy"], 1, "spec.json"),
        (["plot", "cosine", "init_value=1", "steps=3", "--steps", 3, "-o", "x.gif"], 1, "a .png, .svg or .pdf"),
        (["plot", "constant", "value=0", "--steps", 5, "--log", "-o", "x.png"], 1, "--log"),
        (["describe", "torch:Nope", "--steps", 3], 1, "unknown or unsupported torch scheduler 'Nope'"),
        (["compare", "cosine", "init_value=1", "steps=3", "--steps", 3], 1, "expected 2 schedules, got 1"),
        (["table", "cosine", "--steps", "many", "-o", "x.npy"], 2, "invalid steps value: 'many'"),
        (["frobnicate"], 2, "invalid choice"),
        ([], 2, "usage: lrsched"),
    ],
)
def test_errors_exit_with_one_line(tmp_path, args, code, fragment):
    done = run(*args, cwd=tmp_path)
    assert done.returncode == code, (done.stdout, done.stderr)
    assert fragment in done.stderr and "Traceback" not in done.stderr
    if code == 1:
        assert done.stderr.startswith("lrsched: error: ") and done.stderr.count("\n") == 1
    assert not [p for p in tmp_path.iterdir()]


# -- the README's code, run as written --------------------------------------------------------------


def _blocks(language):
    text = (ROOT / "README.md").read_text()
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("index", range(len(_blocks("python"))))
def test_readme_python_blocks_run(index, tmp_path, monkeypatch, capsys):
    code = _blocks("python")[index]
    if "torch" in code:
        require("torch")
    if "transformers" in code:
        require("transformers")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"README.md python block {index}", "exec"), {"__name__": "__readme__"})
    # pasted into a file and run, a block shows what it did (a bare expression would print nothing there);
    # a block of imports only (the one-line switch) has nothing to show
    if any(line.strip() and not line.startswith(("import ", "from ")) for line in code.splitlines()):
        assert capsys.readouterr().out.strip(), f"README python block {index} prints nothing when run as a script"


def _shell_commands():
    """Every lrsched command in the README's bash blocks (line continuations joined, comments dropped)."""
    commands = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            for part in line.split("&&"):
                part = part.split(" #")[0].strip()
                if part.startswith("lrsched "):
                    commands.append(part)
    return commands


@pytest.mark.parametrize("command", _shell_commands())
def test_readme_commands_run(command, tmp_path):
    done = subprocess.run(command, shell=True, capture_output=True, text=True, cwd=tmp_path, timeout=600,
                          env={**os.environ, "PATH": f"{Path(SCRIPT).parent}{os.pathsep}{os.environ['PATH']}"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr


def test_the_readme_has_the_code_it_promises():
    assert len(_blocks("python")) >= 3 and len(_shell_commands()) >= 6
