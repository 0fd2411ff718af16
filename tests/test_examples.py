"""Every script in examples/ runs and checks itself."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    args = [sys.executable, str(script)]
    if script.stem == "precompute_table":
        args.append(str(tmp_path / "lr.npy"))
    out = subprocess.run(args, capture_output=True, text=True, env=os.environ, timeout=300)
    assert out.returncode == 0, out.stderr
    if script.stem == "precompute_table":
        assert np.load(tmp_path / "lr.npy").shape == (1_000_000,)


def test_there_are_examples():
    assert {"precompute_table", "custom_loop", "adapter_resume"} <= {p.stem for p in EXAMPLES}
