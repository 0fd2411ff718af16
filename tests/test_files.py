"""Files lrsched writes, as users break them: many writers to one path, writers that fail or are
killed, disks that refuse a write, tables too large for memory, values near float64's largest.

Writers that race are made to overlap for certain, not by luck: each pauses after its first chunk
(its progress callback waits) until all are in flight with their temporaries open, then all go on.
"""

import errno
import json
import os
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

import lrsched
from peers import require

N = 200_000  # steps per table: 1.6 MB of float64
CHUNK = 1 << 14
K = 4  # writers in a race


def schedule(value):
    return lrsched.cosine(init_value=value, steps=N, end_value=value / 10)


def load(path):
    """The values of a table file lrsched wrote (.npy or .csv)."""
    if path.suffix == ".npy":
        return np.load(path)
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(rows[:, 0], np.arange(rows.shape[0]))
    return rows[:, 1]


def whose(path, values):
    """Which of the tables of ``values`` the file holds, exactly (None: none of them)."""
    got = load(path)
    return next((v for v in values if np.array_equal(got, schedule(v).table(N))), None)


def temporaries(directory):
    return sorted(p for p in os.listdir(directory) if p.endswith(".partial"))


# -- writers in other processes ------------------------------------------------------------------

_WRITER = r"""
import json, os, signal, sys
import lrsched

lrsched.cosine(init_value=1.0, steps=10).table(10)  # kernels compiled or loaded before any job
print("ready", flush=True)
while True:
    line = sys.stdin.readline()
    if not line:
        break
    job = json.loads(line)
    calls = []

    def progress(done, n):
        calls.append(done)
        if len(calls) == 1 and job.get("pause"):
            print("midway", flush=True)
            if sys.stdin.readline().strip() == "die":
                os.kill(os.getpid(), signal.SIGKILL)
        if len(calls) == job.get("fail_at"):
            raise RuntimeError("failing on purpose")

    s = lrsched.cosine(init_value=job["value"], steps=job["n"], end_value=job["value"] / 10)
    try:
        summary = lrsched.save(s, job["path"], job["n"], chunk=job["chunk"], progress=progress)
        print(json.dumps({"ok": True, "n": summary.n}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
"""


class Writers:
    """Processes that each save the table a job line asks for (``lrsched.save`` in a fresh interpreter)."""

    def __init__(self, k):
        self.procs = [
            subprocess.Popen([sys.executable, "-c", _WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(k)
        ]
        assert [self.read(p) for p in self.procs] == ["ready"] * k

    def send(self, p, line):
        p.stdin.write(line + "\n")
        p.stdin.flush()

    def read(self, p):
        return p.stdout.readline().strip()

    def start(self, path, values, extra=None):
        """Writer i starts saving the table of values[i] to ``path`` (with ``extra[i]`` in its job);
        returns when all are paused midway."""
        for i, (p, v) in enumerate(zip(self.procs, values)):
            job = dict(path=str(path), value=v, n=N, chunk=CHUNK, pause=True, **(extra or {}).get(i, {}))
            self.send(p, json.dumps(job))
        assert [self.read(p) for p in self.procs[: len(values)]] == ["midway"] * len(values)

    def finish(self):
        """Let the paused writers go on; their results."""
        for p in self.procs:
            self.send(p, "go")
        return [json.loads(self.read(p)) for p in self.procs]

    def close(self):
        for p in self.procs:
            try:
                p.stdin.close()  # a writer ends at the end of its input
            except OSError:  # one that was killed
                pass
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
            p.stdout.close()


@pytest.fixture
def writers():
    made = []

    def spawn(k):
        made.append(Writers(k))
        return made[-1]

    yield spawn
    for w in made:
        w.close()


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
@pytest.mark.parametrize("tables", ["the same table", "different tables"])
def test_processes_saving_to_one_path_at_once_all_succeed_and_leave_one_whole_table(writers, tmp_path, suffix, tables):
    # DDP ranks often all save the same table; here 4 processes are in flight at once
    w = writers(K)
    path = tmp_path / f"lr{suffix}"
    values = [1.0] * K if tables == "the same table" else [1.0 + i for i in range(K)]
    for _ in range(2):  # the second round replaces a complete file
        w.start(path, values)
        assert len(temporaries(tmp_path)) == K  # a temporary of each writer's own, all open at once
        assert w.finish() == [{"ok": True, "n": N}] * K
        assert os.listdir(tmp_path) == [path.name]  # and none left behind
        assert whose(path, values) is not None  # one writer's whole table, not a mixture


def test_a_process_failing_midway_among_others_leaves_one_of_the_others_tables(writers, tmp_path):
    w = writers(K)
    path = tmp_path / "lr.npy"
    lrsched.save(schedule(9.0), path, N)  # a previous table
    values = [1.0 + i for i in range(K)]
    w.start(path, values, extra={0: {"fail_at": 3}})  # writer 0 raises after its third chunk
    results = w.finish()
    assert results[0] == {"ok": False, "error": "RuntimeError: failing on purpose"}
    assert results[1:] == [{"ok": True, "n": N}] * (K - 1)
    assert whose(path, values) in values[1:]  # never the table of the writer that failed
    assert os.listdir(tmp_path) == [path.name]


def test_the_last_writer_to_finish_wins_and_a_live_writers_temporary_is_left_alone(writers, tmp_path):
    w = writers(1)
    path = tmp_path / "lr.npy"
    w.start(path, [2.0])  # the other process, paused with its temporary open
    (theirs,) = temporaries(tmp_path)
    lrsched.save(schedule(1.0), path, N, chunk=CHUNK)  # this one starts later and finishes first
    assert temporaries(tmp_path) == [theirs]  # a live writer's temporary is not taken for a dead one's
    assert whose(path, [1.0, 2.0]) == 1.0
    assert w.finish() == [{"ok": True, "n": N}]
    assert whose(path, [1.0, 2.0]) == 2.0  # the last complete table wins
    assert os.listdir(tmp_path) == [path.name]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="no SIGKILL")
def test_a_killed_writer_leaves_the_previous_file_and_the_next_save_deletes_its_temporary(writers, tmp_path):
    pytest.importorskip("fcntl")  # a dead writer is told from a live one by its lock
    w = writers(1)
    path = tmp_path / "lr.npy"
    lrsched.save(schedule(1.0), path, N)
    w.start(path, [2.0])
    (p,) = w.procs
    w.send(p, "die")  # SIGKILL midway: no handler runs, the temporary stays
    assert p.wait(timeout=60) == -signal.SIGKILL
    assert len(temporaries(tmp_path)) == 1
    assert whose(path, [1.0, 2.0]) == 1.0  # the previous table, whole
    (tmp_path / "lr.npy.partial").write_bytes(b"the one temporary name of earlier versions")
    (tmp_path / "lr.npy.notes.partial").write_bytes(b"not a name lrsched makes: left alone")
    lrsched.save(schedule(3.0), path, N, chunk=CHUNK)
    assert sorted(os.listdir(tmp_path)) == ["lr.npy", "lr.npy.notes.partial"]
    assert whose(path, [1.0, 2.0, 3.0]) == 3.0


# -- writer threads -----------------------------------------------------------------------------


@pytest.mark.parametrize("tables", ["the same table", "different tables"])
def test_threads_saving_to_one_path_at_once_all_succeed_and_leave_one_whole_table(tmp_path, tables):
    path = tmp_path / "lr.npy"
    values = [1.0] * K if tables == "the same table" else [1.0 + i for i in range(K)]
    in_flight = []
    barrier = threading.Barrier(K, action=lambda: in_flight.append(temporaries(tmp_path)))
    errors = []

    def save(value):
        calls = []

        def progress(done, n):
            calls.append(done)
            if len(calls) == 1:
                barrier.wait(timeout=60)

        try:
            lrsched.save(schedule(value), path, N, chunk=CHUNK, progress=progress)
        except BaseException as e:  # noqa: BLE001 - any failure of a thread is the test's
            errors.append(e)

    threads = [threading.Thread(target=save, args=(v,)) for v in values]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert len(in_flight[0]) == K  # a temporary of each thread's own, all open at once
    assert os.listdir(tmp_path) == [path.name]
    assert whose(path, values) is not None


# -- writers that fail ----------------------------------------------------------------------------


def _interrupt(done, n):
    if done > 3 * CHUNK:
        raise KeyboardInterrupt


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".parquet"])
@pytest.mark.parametrize("failure", ["progress raises KeyboardInterrupt", "a float32 value overflows midway"])
def test_a_writer_failing_midway_leaves_the_previous_file_as_it_was(tmp_path, suffix, failure):
    if suffix == ".parquet":
        require("pyarrow")
    path = tmp_path / f"lr{suffix}"
    lrsched.save(lrsched.constant(0.5), path, 1000)
    before = path.read_bytes()
    if failure.startswith("progress"):
        with pytest.raises(KeyboardInterrupt):
            lrsched.save(schedule(1.0), path, N, chunk=CHUNK, progress=_interrupt)
    else:
        s = lrsched.join([lrsched.constant(1.0), lrsched.constant(1e300)], boundaries=[5 * CHUNK])
        with pytest.raises(ValueError, match="float32"):
            lrsched.save(s, path, N, dtype=np.float32, chunk=CHUNK)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [path.name]


def test_an_error_names_the_path_the_caller_gave(tmp_path):
    path = tmp_path / "no such directory" / "lr.npy"
    with pytest.raises(FileNotFoundError) as info:
        lrsched.save(schedule(1.0), path, 10)
    assert str(path) in str(info.value) and ".partial" not in str(info.value)


def test_a_failed_rename_names_the_path_and_leaves_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "lr.npy"
    lrsched.save(schedule(1.0), path, N)
    real = os.replace

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), src, dst)

    monkeypatch.setattr(os, "replace", cross_device)
    with pytest.raises(OSError) as info:
        lrsched.save(schedule(2.0), path, N)
    monkeypatch.setattr(os, "replace", real)
    assert info.value.errno == errno.EXDEV and info.value.filename == str(path)
    assert ".partial" not in str(info.value)
    assert os.listdir(tmp_path) == [path.name] and whose(path, [1.0, 2.0]) == 1.0


# A disk that refuses a write midway, for real: a file-size limit (RLIMIT_FSIZE) in a child process.
_FULL_DISK = r"""
import json, resource, signal, sys
import matplotlib
matplotlib.use("Agg")
import lrsched

table, picture = sys.argv[1:3]
s = lrsched.cosine(init_value=1.0, steps=1000)
lrsched.plot(s, 1000)  # matplotlib's font cache and the kernels are ready before the limit
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG) instead of killing
resource.setrlimit(resource.RLIMIT_FSIZE, (8192, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
errors = []
for write in (lambda: lrsched.save(s, table, 100_000, chunk=4096), lambda: lrsched.plot(s, 1000, picture)):
    try:
        write()
        errors.append(None)
    except OSError as e:
        errors.append([e.errno, str(e)])
print(json.dumps(errors))
"""


@pytest.mark.parametrize("suffix", [".npy", ".csv"])
def test_a_write_the_disk_refuses_midway_names_the_path_and_leaves_the_previous_files(tmp_path, suffix):
    pytest.importorskip("resource")
    require("matplotlib")
    if not hasattr(signal, "SIGXFSZ"):
        pytest.skip("no SIGXFSZ")
    table, picture = tmp_path / f"lr{suffix}", tmp_path / "lr.png"
    lrsched.save(lrsched.constant(0.5), table, 100_000)
    lrsched.plot(lrsched.constant(0.5), 100, picture)
    before = table.read_bytes(), picture.read_bytes()
    assert len(before[0]) > 8192 and len(before[1]) > 8192  # each new file would pass the limit
    command = [sys.executable, "-c", _FULL_DISK, str(table), str(picture)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    errors = json.loads(out.stdout)
    assert [e[0] for e in errors] == [errno.EFBIG, errno.EFBIG]
    for (_, message), path in zip(errors, (table, picture)):
        assert str(path) in message and ".partial" not in message
    assert (table.read_bytes(), picture.read_bytes()) == before
    assert sorted(os.listdir(tmp_path)) == sorted([table.name, picture.name])


# -- pictures -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_a_picture_is_written_whole_in_the_format_its_name_says(tmp_path, suffix, magic):
    require("matplotlib")
    path = tmp_path / f"lr{suffix}"
    lrsched.plot(schedule(1.0), 1000, path)
    assert path.read_bytes().startswith(magic)  # the temporary's name does not end in .png: the format is passed
    assert os.listdir(tmp_path) == [path.name]


def test_a_picture_that_cannot_be_written_names_the_path_and_closes_its_figure(tmp_path):
    require("matplotlib")
    import matplotlib.pyplot as plt

    path = tmp_path / "no such directory" / "lr.png"
    figures = plt.get_fignums()
    with pytest.raises(FileNotFoundError) as info:
        lrsched.plot(schedule(1.0), 1000, path)
    assert str(path) in str(info.value) and ".partial" not in str(info.value)
    assert plt.get_fignums() == figures


# -- tables too large for memory ------------------------------------------------------------------


@pytest.fixture
def no_memory_for(monkeypatch):
    """NumPy cannot allocate an array of the given length (of the given dtype, or any), as under a
    memory limit; other arrays as usual."""
    real = np.empty
    refused = []

    def empty(shape, dtype=float, *args, **kwargs):
        if any(shape == n and (d is None or np.dtype(dtype) == d) for n, d in refused):
            raise MemoryError(f"Unable to allocate an array with shape ({shape},) and data type {np.dtype(dtype)}")
        return real(shape, dtype, *args, **kwargs)

    monkeypatch.setattr(np, "empty", empty)
    return lambda n, dtype=None: refused.append((n, dtype))


def test_a_table_too_large_for_memory_says_what_it_needs_and_what_to_do(no_memory_for):
    n = 2**31 + 1
    no_memory_for(n)
    with pytest.raises(MemoryError) as info:
        schedule(1.0).table(n)
    message = str(info.value)
    assert message.startswith("Schedule.table: ") and f"n={n}" in message
    assert f"{8 * n:,} bytes" in message and "lrsched.save(schedule, path, n)" in message
    assert "dtype=numpy.float32" in message
    with pytest.raises(MemoryError) as info:
        schedule(1.0).table(n, dtype=np.float32)
    message = str(info.value)
    assert f"{4 * n:,} bytes" in message and "lrsched.save(schedule, path, n)" in message
    assert "numpy.float32" not in message  # it is float32 already


def test_a_float32_table_whose_float64_check_does_not_fit_says_so(no_memory_for):
    n = 2**31 + 1
    big = lrsched.join([lrsched.constant(1.0), lrsched.constant(1e300)], boundaries=[n])  # may exceed float32
    no_memory_for(n, np.float64)  # the float32 table fits; its values computed in float64 first do not
    with pytest.raises(MemoryError) as info:
        big.table(n, dtype=np.float32)
    message = str(info.value)
    assert f"n={n}" in message and f"{8 * n:,} bytes" in message and "float32's range" in message
    assert "lrsched.save(schedule, path, n, dtype=numpy.float32)" in message


def test_a_table_larger_than_any_memory_is_a_memory_error_too():
    with pytest.raises(MemoryError, match=r"n=4611686018427387904 .* lrsched\.save"):  # NumPy: a ValueError
        schedule(1.0).table(2**62)


# -- statistics of values near float64's largest --------------------------------------------------


def test_means_of_values_near_float64s_largest_are_finite(tmp_path):
    s = lrsched.cosine(init_value=1.7e308, steps=1000, end_value=1.7e306)
    t = s.table(N)
    want = float(np.mean(t / 2.0**1000)) * 2.0**1000  # exact scaling, no overflow
    summary = lrsched.save(s, tmp_path / "lr.npy", N, chunk=CHUNK)
    assert summary.mean == pytest.approx(want, rel=1e-14)
    assert summary.total == np.inf  # the sum itself is beyond float64's range
    d = lrsched.describe(s, N)
    assert d.mean == pytest.approx(want, rel=1e-14) and d.area == np.inf
    flat = lrsched.constant(1.7e308)
    assert lrsched.save(flat, tmp_path / "flat.npy", N, chunk=CHUNK).mean == pytest.approx(1.7e308, rel=1e-14)
    assert lrsched.describe(flat, N).mean == pytest.approx(1.7e308, rel=1e-14)
    assert "mean     1.7e+308" in str(lrsched.describe(flat, N))


def test_means_of_ordinary_values_are_the_plain_float64_mean(tmp_path):
    s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=N, end_value=3e-5)
    t = s.table(N)
    assert lrsched.save(s, tmp_path / "one.npy", N, chunk=N).mean == float(t.mean())  # the same bits
    assert lrsched.save(s, tmp_path / "many.npy", N, chunk=CHUNK).mean == pytest.approx(float(t.mean()), rel=1e-14)
    assert lrsched.describe(s, N).mean == float(t.mean())
    assert lrsched.describe(s, N).area == float(t.sum())
