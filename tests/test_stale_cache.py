"""Numba's on-disk cache never serves code older than the source.

Numba checks the freshness of a cached function against its own source file
only; lrsched keeps every compiled function, helper, option and constant in
``_kernels.py`` so that any change to compiled code is a change to that file.
Here a copy of the package is edited the way a pull or an editable install
edits it, with its old cache still in place, and the values must follow.
"""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

import lrsched

PACKAGE = pathlib.Path(lrsched.__file__).parent
CODE = (
    "import lrsched\n"
    "print(lrsched.linear(init_value=1.0, end_value=0.0, steps=4).table(5).tolist(),"
    " lrsched.polynomial(init_value=1.0, steps=4, power=2.5).table(3).tolist())\n"
)


def _run(root, cache):
    env = {**os.environ, "PYTHONPATH": str(root), "NUMBA_CACHE_DIR": str(cache)}
    env.pop("NUMBA_DISABLE_JIT", None)
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env, cwd=root)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


@pytest.mark.skipif(os.environ.get("NUMBA_DISABLE_JIT") == "1", reason="there is no compiled code to go stale")
@pytest.mark.parametrize(
    "old, new",
    [
        # a helper inlined into the kernels (the division by a segment's length)
        ("        xf = float(x)\n        q = xf * r\n        return fma(fma(-q, float(d), xf), r, q)",
         "        return 0.5"),
        # a helper compiled on its own and called by a kernel (whole and half powers)
        ("    for _ in range(n - 1):\n        for i in range(m):\n            gc[i] += g[i]\n            g[i] *= x[i]",
         "    for _ in range(n - 1):\n        for i in range(m):\n            gc[i] += g[i]\n            g[i] *= 0.5 * x[i]"),
    ],
    ids=["inlined-helper", "called-helper"],
)  # fmt: skip
def test_an_edited_helper_changes_the_values_with_the_old_cache_in_place(tmp_path, old, new):
    root = tmp_path / "src"
    shutil.copytree(PACKAGE, root / "lrsched", ignore=shutil.ignore_patterns("__pycache__"))
    cache = tmp_path / "cache"
    before = _run(root, cache)
    assert before == _run(root, cache)  # the second process loads from the cache
    _edit(root / "lrsched" / "_kernels.py", old, new)
    after = _run(root, cache)
    fresh = _run(root, tmp_path / "fresh-cache")
    assert after == fresh != before
