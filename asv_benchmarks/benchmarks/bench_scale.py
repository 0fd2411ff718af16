"""Scale: peak memory of big tables, cold start, sweeps and tables streamed to disk.

* ``PeakMemSuite`` -- peak RSS of a 1e8-step table in memory (800 MB of
  float64) and of the same table streamed to a ``.npy`` file (one chunk).
* ``ColdStartSuite`` -- a fresh interpreter: ``import lrsched`` and a first
  1M-step table with Numba's cache warm, and with an empty cache (the first
  run on a machine); ``import torch`` beside it.
* ``SweepSuite`` -- 1,000 configurations x 100,000 steps into one array.
* ``StreamSuite`` -- a 1e8-step table written to ``.npy`` with ``lrsched.save``
  against writing the same number of zeros the same way.
"""

import os
import shutil
import tempfile

import numpy as np

N_BIG = 100_000_000


def warmup_cosine(total):
    import lrsched

    return lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=total, end_value=3e-5)


class _BigTable:
    """A 1e8-step schedule (kernels loaded) and a scratch folder."""

    def setup(self):
        self.schedule = warmup_cosine(N_BIG)
        self.schedule.table(10)
        self.dir = tempfile.mkdtemp()

    def teardown(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class PeakMemSuite(_BigTable):
    timeout = 300

    def peakmem_table_1e8(self):
        self.schedule.table(N_BIG)

    def peakmem_save_1e8(self):
        import lrsched

        lrsched.save(self.schedule, os.path.join(self.dir, "lr.npy"), N_BIG)


_FIRST_TABLE = """
import lrsched
s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=1_000_000, end_value=3e-5)
s.table(1_000_000)
"""


class ColdStartSuite:
    timeout = 600
    repeat = 3
    number = 1

    def timeraw_import_and_first_table_warm_cache(self):
        return _FIRST_TABLE  # the cache is warm: asv's setup run has compiled the kernels

    def timeraw_import_and_first_table_empty_cache(self):
        setup = "import os, tempfile; os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()"
        return setup + _FIRST_TABLE

    def timeraw_import_lrsched(self):
        return "import lrsched"

    def timeraw_import_torch(self):
        return "import torch"


class SweepSuite:
    timeout = 300

    def setup(self):
        import lrsched

        self.peaks = np.linspace(1e-4, 1e-3, 1_000)
        self.out = np.empty((1_000, 100_000))
        self.out.fill(0.0)  # touch the pages outside the timing
        self.schedules = [lrsched.warmup_cosine(peak_value=p, warmup_steps=2_000, total_steps=100_000)
                          for p in self.peaks]  # fmt: skip
        lrsched.sweep(self.schedules[:2], 10)

    def time_sweep_1000x100k_from_arguments(self):
        import lrsched

        lrsched.sweep("warmup_cosine", 100_000, peak_value=self.peaks, warmup_steps=2_000, total_steps=100_000,
                      out=self.out)  # fmt: skip

    def time_sweep_1000x100k_schedules(self):
        import lrsched

        lrsched.sweep(self.schedules, 100_000, out=self.out)

    def time_fill_1000x100k(self):
        self.out.fill(1.0)  # the memory-bandwidth floor


class StreamSuite(_BigTable):
    timeout = 600
    repeat = 3
    number = 1

    def time_save_1e8(self):
        import lrsched

        lrsched.save(self.schedule, os.path.join(self.dir, "lr.npy"), N_BIG)

    def _write_zeros(self, durable):
        chunk = np.zeros(1 << 20)
        with open(os.path.join(self.dir, "zeros.npy"), "wb") as f:
            np.lib.format.write_array_header_1_0(f, {"descr": "<f8", "fortran_order": False, "shape": (N_BIG,)})
            for start in range(0, N_BIG, chunk.size):
                f.write(chunk[: min(chunk.size, N_BIG - start)].data)
            if durable:
                f.flush()
                os.fsync(f.fileno())

    def time_write_zeros_1e8(self):
        self._write_zeros(durable=False)

    def time_write_zeros_1e8_fsync(self):
        # as save writes: the data is on disk before the file gets its name (the rename's own
        # fsync of the directory is not counted)
        self._write_zeros(durable=True)
