"""Threads and Numba caches: the conditions a long training job meets outside the test runner.

- Kernels release the GIL: threads computing tables and stepping their own
  Schedulers at once get exactly the values one thread gets.
- Numba's on-disk cache: two processes compiling into the same empty cache
  at once, a read-only cache (populated or empty), all give the same values.
"""

import os
import stat
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import lrsched

SCHEDULES = [
    lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=200_000, end_value=3e-5),
    lrsched.sgdr(1.0, 1_000, 2, end_value=0.01, cycle_decay=0.9, warmup_steps=50),
    lrsched.noise(lrsched.polynomial(init_value=1.0, steps=150_000, power=1.7, k=1.3), std=0.1, pct=0.5, seed=3),
    lrsched.cyclic(base_value=0.1, max_value=1.0, step_size_up=700, mode="exp_range", gamma=0.99999),
]


def test_threads_compute_tables_and_step_schedulers_as_one_thread_does():
    n = 200_000
    alone = [s.table(n) for s in SCHEDULES]
    alone32 = [s.table(n, dtype=np.float32) for s in SCHEDULES]
    steps = np.random.default_rng(0).integers(0, 2**40, 5_000)
    scattered = [s(steps) for s in SCHEDULES]
    start = threading.Barrier(8)

    def work(k):
        s = SCHEDULES[k % len(SCHEDULES)]
        start.wait()  # all threads in the kernels at once
        out = []
        for _ in range(5):
            out.append((s.table(n), s.table(n, dtype=np.float32), s(steps)))

        class Opt:
            param_groups = [{"lr": 0.0}, {"lr": 0.0}]

        opt = Opt()
        sched = lrsched.Scheduler(opt, s)
        lrs = []
        for _ in range(3_000):
            lrs.append(opt.param_groups[1]["lr"])
            sched.step()
        return k, out, lrs

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    for k, out, lrs in results:
        i = k % len(SCHEDULES)
        for table, table32, values in out:
            np.testing.assert_array_equal(table, alone[i])
            np.testing.assert_array_equal(table32, alone32[i])
            np.testing.assert_array_equal(values, scattered[i])
        assert lrs == alone[i][:3_000].tolist()


_CHILD = """
import numpy as np, lrsched, sys
{schedules}
np.save(sys.argv[1], np.stack([s.table(50_000) for s in SCHEDULES]))
"""


def _child(tmp_path, cache, name):
    code = _CHILD.format(schedules="SCHEDULES = [" + ", ".join(f"lrsched.from_dict({s.to_dict()!r})" for s in SCHEDULES) + "]")
    out = tmp_path / f"{name}.npy"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    return subprocess.Popen([sys.executable, "-c", code, str(out)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True), out  # fmt: skip


def test_two_processes_compile_into_one_empty_cache_then_it_serves_read_only(tmp_path):
    want = np.stack([s.table(50_000) for s in SCHEDULES])
    cache = tmp_path / "cache"
    cache.mkdir()
    runs = [_child(tmp_path, cache, f"first{i}") for i in range(2)]  # both compile at once
    for proc, out in runs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        np.testing.assert_array_equal(np.load(out), want)
    assert any(cache.rglob("*.nbi")), "nothing was cached"
    # the populated cache, now read-only (an image built with `lrsched precompile`, say); as root the
    # permissions do not bind, and this checks only that a second process loads what the first wrote
    for path in [cache, *cache.rglob("*")]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        proc, out = _child(tmp_path, cache, "read_only")
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        np.testing.assert_array_equal(np.load(out), want)
    finally:
        for path in [cache, *cache.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_an_unusable_cache_directory_compiles_in_memory(tmp_path):
    """NUMBA_CACHE_DIR under a regular file cannot be created, even by root (chmod alone does not stop root)."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    proc, out = _child(tmp_path, blocker / "cache", "no_cache")
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    np.testing.assert_array_equal(np.load(out), np.stack([s.table(50_000) for s in SCHEDULES]))
    assert blocker.is_file()
