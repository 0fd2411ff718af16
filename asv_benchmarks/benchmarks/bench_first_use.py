"""First use: what a fresh process pays before its first table, per family.

* ``FirstTableSuite`` -- a fresh interpreter imports lrsched, builds one
  family's schedule (``bench_families.families()``) and makes its first
  1M-step table, with Numba's cache empty (the first run on a machine) and
  warm (every later process).
* ``AfterTableSuite`` -- in a fresh interpreter with an empty cache, after a
  first table: the first ``at()``, the first call on an array of steps and
  the first float32 table of the same schedule, each timed on its own (in
  seconds, by the process itself); they should compile nothing new.
"""

import json
import os
import subprocess
import sys
import tempfile

from .bench_families import families

FAMILIES = sorted(families())

_FIRST_TABLE = """
import sys
sys.path.insert(0, {here!r})
from bench_families import families
families()[{family!r}].table(1_000_000)
"""

_EMPTY_CACHE = "import os, tempfile; os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()\n"

_AFTER_TABLE = """
import json, sys, time
import numpy as np
sys.path.insert(0, {here!r})
from bench_families import families
s = families()[{family!r}]
s.table(1_000_000)
took = {{}}
for name, call in (("at", lambda: s.at(12_345)), ("array", lambda: s(np.arange(1_000)[::-1])),
                   ("float32", lambda: s.table(1_000, dtype=np.float32))):
    began = time.perf_counter()
    call()
    took[name] = time.perf_counter() - began
print(json.dumps(took))
"""

HERE = os.path.dirname(os.path.abspath(__file__))


class FirstTableSuite:
    params = [FAMILIES]
    param_names = ["family"]
    timeout = 600
    repeat = 3
    number = 1

    def timeraw_first_table_empty_cache(self, family):
        return _EMPTY_CACHE + _FIRST_TABLE.format(here=HERE, family=family)

    def timeraw_first_table_warm_cache(self, family):
        return _FIRST_TABLE.format(here=HERE, family=family)  # the first repeat warms the cache


class AfterTableSuite:
    params = [FAMILIES]
    param_names = ["family"]
    timeout = 600
    unit = "seconds"

    def setup_cache(self):
        took = {}
        for family in FAMILIES:
            env = {**os.environ, "NUMBA_CACHE_DIR": tempfile.mkdtemp()}
            code = _AFTER_TABLE.format(here=HERE, family=family)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
            took[family] = json.loads(out.stdout)
        return took

    def track_first_at_after_table(self, took, family):
        return took[family]["at"]

    def track_first_array_after_table(self, took, family):
        return took[family]["array"]

    def track_first_float32_after_table(self, took, family):
        return took[family]["float32"]
