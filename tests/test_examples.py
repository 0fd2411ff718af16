"""Every script in examples/ runs with a small step count and checks itself."""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from peers import require

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))

# arguments that keep each run to a few seconds; tmp is the test's temporary folder
ARGS = {
    "precompute_table": lambda tmp: [str(tmp / "lr.npy"), "--steps", "100000"],
    "custom_trainer": lambda tmp: ["--steps", "90"],
    "switch_from_torch": lambda tmp: ["--steps", "3000"],
    "hf_trainer": lambda tmp: ["--steps", "12"],
    "gallery": lambda tmp: ["--out", str(tmp / "grid.png"), "--steps", "200", "--each", str(tmp / "gallery")],
    "llm_cooldown": lambda tmp: ["--tokens", "1e6"],
}
NEEDS = {"custom_trainer": ["torch"], "switch_from_torch": ["torch"], "hf_trainer": ["torch", "transformers"],
         "gallery": ["matplotlib"], "range_test": ["torch", "matplotlib"], "llm_cooldown": ["torch"]}  # fmt: skip


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    for module in NEEDS.get(script.stem, []):
        require(module)
    args = [sys.executable, str(script), *ARGS.get(script.stem, lambda tmp: [])(tmp_path)]
    out = subprocess.run(args, capture_output=True, text=True, env=os.environ, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "skipped" not in out.stdout
    if script.stem == "precompute_table":
        assert np.load(tmp_path / "lr.npy").shape == (100_000,)
        # the table's time is said apart from the first call's, which compiles or loads the kernels
        assert re.search(r"100,000 steps in [\d.]+ ms \(the first call, compiling or loading the kernels, took "
                         r"[\d.]+ s\)", out.stdout), out.stdout
    if script.stem == "gallery":
        pngs = list((tmp_path / "gallery").glob("*.png"))
        grid = (tmp_path / "grid.png").read_bytes()
        width, height = int.from_bytes(grid[16:20], "big"), int.from_bytes(grid[20:24], "big")  # the IHDR chunk
        assert len(pngs) >= 15 and grid[:4] == b"\x89PNG" and (width, height) == (1800, 1125)  # 12 x 7.5 in, 150 dpi


def test_the_examples_the_readme_names_exist():
    names = {p.stem for p in EXAMPLES}
    assert {"precompute_table", "custom_trainer", "switch_from_torch", "hf_trainer", "gallery", "range_test",
            "llm_cooldown"} <= names  # fmt: skip
