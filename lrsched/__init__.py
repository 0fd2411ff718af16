"""lrsched: learning-rate schedules as data, evaluated by one compiled kernel.

>>> import lrsched
>>> s = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_000, total_steps=1_000_000, end_value=3e-5)
>>> s.table(1_000_000).shape
(1000000,)
"""

from ._kernels import precompile as _precompile
from ._validate import explain_arguments as _explain_arguments
from ._program import MAX_STEP
from .adapter import Scheduler
from ._schedule import Schedule, from_dict
from .cycles import cosine_restarts, cyclic, repeat, restarts, sgdr
from .finder import LRFinder, Suggestion, range_test
from .tables import save
from .phases import one_cycle, one_cycle_momentum, piecewise_anneal, wsd
from .plateau import plateau
from .plotting import plot
from .registry import get, load, names
from .report import compare, describe
from .surgery import Change, branch, extend, jump, multi_wsd, rewarm, shift
from .sweep import sweep
from .units import Run
from .schedules import (
    constant,
    cosine,
    exponential,
    inverse_sqrt,
    inverse_time,
    join,
    linear,
    multistep,
    noise,
    piecewise_constant,
    piecewise_linear,
    polynomial,
    product,
    scale,
    step,
    tanh,
    warmup,
    warmup_constant,
    warmup_cosine,
    warmup_exponential,
    warmup_linear,
    warmup_polynomial,
)

__version__ = "0.1.0"

# the kernels' module knows no argument checks (it stands below them): its one public function gets them here
precompile = _explain_arguments(_precompile)

__all__ = [
    "Change",
    "LRFinder",
    "MAX_STEP",
    "Run",
    "Schedule",
    "Scheduler",
    "Suggestion",
    "branch",
    "compare",
    "constant",
    "cosine",
    "cosine_restarts",
    "cyclic",
    "describe",
    "exponential",
    "extend",
    "from_dict",
    "get",
    "inverse_sqrt",
    "inverse_time",
    "join",
    "jump",
    "linear",
    "load",
    "multi_wsd",
    "multistep",
    "names",
    "noise",
    "one_cycle",
    "one_cycle_momentum",
    "piecewise_anneal",
    "piecewise_constant",
    "piecewise_linear",
    "plateau",
    "plot",
    "polynomial",
    "precompile",
    "product",
    "range_test",
    "repeat",
    "restarts",
    "rewarm",
    "save",
    "scale",
    "sgdr",
    "shift",
    "step",
    "sweep",
    "tanh",
    "warmup",
    "warmup_constant",
    "warmup_cosine",
    "warmup_exponential",
    "warmup_linear",
    "warmup_polynomial",
    "wsd",
]
