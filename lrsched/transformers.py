"""Drop-ins for ``transformers.optimization`` (transformers 5.23): same names, signatures and values.

Switch in one line::

    from transformers import get_scheduler          # before
    from lrsched.transformers import get_scheduler  # after

Each function is transformers' function of the same name and returns what
that returns -- an ``lrsched.torch.LambdaLR`` whose lambda is an lrsched
``Schedule`` giving the *multiplier* of each group's initial lr -- so
``sched.schedules["lr"][k].table(n)`` precomputes a group's lrs without stepping, and its state is torch's (a checkpoint crosses
between lrsched and transformers in both directions, through
``torch.load(weights_only=True)`` too).  ``reduce_lr_on_plateau`` is
``lrsched.torch.ReduceLROnPlateau`` and ``greedy`` is this module's ``GreedyLR``.
transformers itself is never imported.

========================= =================================================== ======================================
``get_scheduler`` name    function                                            built from (lrsched factories)
========================= =================================================== ======================================
constant                  ``get_constant_schedule``                           ``constant``
constant_with_warmup      ``get_constant_schedule_with_warmup``               ``warmup_constant``
linear                    ``get_linear_schedule_with_warmup``                 ``warmup_linear`` (``join`` if T <= W)
cosine                    ``get_cosine_schedule_with_warmup``                 ``join``, ``repeat``, ``piecewise_anneal``
cosine_with_restarts      ``get_cosine_with_hard_restarts_schedule_with_``    ``cosine_restarts``; or ``join`` of
                          ``warmup``                                          ``repeat``/``piecewise_anneal`` cycles
polynomial                ``get_polynomial_decay_schedule_with_warmup``       ``join``, ``polynomial``
inverse_sqrt              ``get_inverse_sqrt_schedule``                       ``inverse_sqrt``
cosine_with_min_lr        ``get_cosine_with_min_lr_schedule_with_warmup``     ``join``, ``repeat``, ``piecewise_anneal``
cosine_warmup_with_min_lr ``get_cosine_with_min_lr_schedule_with_warmup_``    ``join``, ``linear`` or
                          ``lr_rate``                                         ``piecewise_anneal``, ``repeat``
warmup_stable_decay       ``get_wsd_schedule``                                ``wsd``; or ``join`` of the phases
reduce_lr_on_plateau      ``get_reduce_on_plateau_schedule``                  ``lrsched.torch.ReduceLROnPlateau``
greedy                    ``get_greedy_schedule``                             ``GreedyLR`` (this module)
========================= =================================================== ======================================

With ``W = num_warmup_steps``, ``T = num_training_steps``, ``L = max(1, T - W)``,
``c = num_cycles`` and ``wave(x) = (1 + cos(2 pi c x)) / 2``, the multiplier at
step ``t >= W`` is (before ``W``: the warmup ``t / W``, unless said otherwise)

- constant, constant_with_warmup: 1 (``constant`` has no warmup);
- linear: ``max(0, (T - t) / L)``;
- cosine: ``wave((t - W) / L)``, for ever;
- cosine_with_restarts: ``(1 + cos(pi frac(c (t - W) / L))) / 2`` before ``T``, then 0;
- polynomial: ``r + (1 - r) (1 - (t - W) / (T - W)) ** power`` up to ``T``, then ``r``,
  with ``r = lr_end / optimizer.defaults["lr"]``;
- inverse_sqrt: ``1 / sqrt((t - W + s) / s)`` with ``s = timescale``;
- cosine_with_min_lr: ``r + (1 - r) wave((t - W) / L)``, for ever, with ``r = min_lr_rate``
  or ``min_lr / optimizer.defaults["lr"]``;
- cosine_warmup_with_min_lr: ``r + (1 - r) wave((t - W + 1) / L)``, after the warmup
  ``(t + 1) / W`` or ``wr + (1 - wr) t / max(1, W - 1)`` (``wr = warmup_lr_rate``);
- warmup_stable_decay: a warmup from ``m = min_lr_ratio`` to 1, ``S`` steps at 1, a decay
  to ``m`` over ``D = num_decay_steps`` steps, then ``m``.

transformers' conventions, reproduced (each is tested against transformers):

- Step ``t`` is the 0-based optimizer update, ``last_epoch`` of the
  ``LambdaLR``: after construction the groups hold the lr of step 0.  With a
  warmup that lr is **0** (the first update does nothing), and the warmup
  reaches the peak at step ``W``.
- ``cosine`` and ``cosine_with_min_lr`` are **not clamped** past
  ``num_training_steps``: the cosine keeps going and rises again (with the
  default ``num_cycles=0.5``, back to the peak at ``2T - W``).  Any
  ``num_cycles >= 0`` works, fractional or large: the wave's half period is
  ``L / (2 num_cycles)`` steps, a real number, laid out with real-valued knots
  (``piecewise_anneal``) and repeated every whole number of steps that holds
  whole periods.  ``num_cycles`` is read as the simplest fraction that rounds
  to it (0.3 is 3/10), which moves no value by more than float rounding.
- ``polynomial``'s ``lr_end`` and ``cosine_with_min_lr``'s (and
  ``cosine_warmup_with_min_lr``'s) ``min_lr`` become a ratio of
  ``optimizer.defaults["lr"]``, and that ratio multiplies every group's own
  lr: a group whose lr differs from the default ends at a different floor
  (lr 0.1 with defaults lr 1.0 and ``lr_end=0.05``: 0.005).  ``polynomial``
  raises transformers' ``ValueError`` unless ``lr_end < defaults["lr"]``.
- ``cosine_warmup_with_min_lr`` runs one step ahead (the formula above): its
  first update is not 0 and the peak comes at ``W - 1``.
- ``inverse_sqrt``'s ``timescale`` defaults to ``num_warmup_steps``, or 10 000
  when that is 0.
- ``warmup_stable_decay``: ``S`` is ``num_stable_steps``, else ``T - W - D``
  (both given: transformers' warning, and ``num_stable_steps`` wins).
- When ``T <= W`` the decays use ``L = 1``: ``linear`` is 0 after the
  warmup, ``cosine`` alternates between 1 and 0 (with ``num_cycles=0.5``).
- ``get_scheduler`` raises transformers' ``ValueError`` for an unknown name and
  when ``num_warmup_steps`` or ``num_training_steps`` is required and missing;
  extra ``scheduler_specific_kwargs`` are passed on (an unknown one is a
  ``TypeError``), and ``constant``/``constant_with_warmup`` ignore them.

Where lrsched differs:

- Values equal transformers' to 1e-12 relative (1e-15 of the peak where the
  multiplier is near 0), except far into a cosine: past an angle
  ``2 pi c p`` of about 100 (some 15 periods), transformers' own rounding of
  that angle moves its values by more near the cosine's zeros; lrsched
  reduces the phase exactly and stays within those bounds of the exact
  cosine there too.
- Step counts must be whole numbers (``10`` or ``10.0``): transformers computes
  with ``10.5`` too, lrsched refuses it (a ``TypeError`` naming the argument).
- Arguments transformers leaves unchecked are refused with a ``ValueError``
  (``TypeError`` for a wrong type) naming them: step counts below 0; negative
  ``num_cycles``, ``lr_end``, ``min_lr``, ``min_lr_rate`` or
  ``warmup_lr_rate``; ``power < 0``; ``polynomial`` with ``T == W``
  (transformers divides by zero at step ``W``); ``timescale < 1``; a
  ``warmup_stable_decay`` whose stable phase would be negative
  (``T < W + D``) or whose ``min_lr_ratio`` is outside [0, 1].
- The slow path: a ``num_cycles`` that is no ratio of small integers (its
  period in steps would need more than 4096 knots, e.g. 0.123456789) gives
  a Python function of the step instead of a Schedule.  Its values are the
  same and its state is still JSON, but ``sched.schedules`` raises
  ``AttributeError`` (no tables).
- transformers' layer-wise optimizers (``LayerWiseDummyOptimizer``) and
  ``get_adafactor_schedule`` (a proxy that reports the lr transformers'
  ``Adafactor`` computes itself) are not provided.

Examples
--------
>>> import torch
>>> from lrsched.transformers import get_scheduler
>>> opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
>>> sched = get_scheduler("cosine", opt, num_warmup_steps=2, num_training_steps=6)
>>> sched.schedules["lr"][0].table(9).round(4).tolist()   # rises again past step 6
[0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464, 0.5]
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

from . import _validate as V
from ._program import MAX_STEP
from .adapter import read_value, write_value
from .cycles import cosine_restarts, repeat
from .phases import piecewise_anneal, wsd
from .plateau import PeerAttributes, _json_float
from .schedules import constant, cosine, inverse_sqrt, join, linear, polynomial, warmup_constant, warmup_linear
from .torch import LambdaLR, ReduceLROnPlateau, _bounds, _lrs, _plateau_controller, _str

__all__ = [
    "SCHEDULER_TYPES",
    "TYPE_TO_SCHEDULER_FUNCTION",
    "GreedyLR",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_greedy_schedule",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_reduce_on_plateau_schedule",
    "get_scheduler",
    "get_wsd_schedule",
]

_MAX_KNOTS = 4096  # per period of a cosine with real knots; more: the slow path
_DENOMINATOR = 10**6  # num_cycles is read as the simplest fraction p/q (q <= this) that rounds to it


# -- checks -------------------------------------------------------------------------------------


def _steps(fn, name, value):
    """A step count: an integer, or a float with an integral value (``10.0``), which transformers computes with."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return V.integer(fn, name, value)


def _cycles(fn, value):
    return V.real(fn, "num_cycles", value, minimum=0.0)


def _default_lr(fn, optimizer, reason):
    """``optimizer.defaults["lr"]`` as a float: transformers' lr_init."""
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, dict) or "lr" not in defaults:
        V.fail(fn, "optimizer", f"an optimizer with defaults['lr'] ({reason})", type(optimizer).__name__, TypeError)
    lr = defaults["lr"]
    return V.real(fn, "optimizer.defaults['lr']", float(lr.item()) if hasattr(lr, "item") else lr)


def _min_lr_rate(fn, optimizer, min_lr, min_lr_rate):
    """transformers' rule: exactly one of min_lr (a ratio of defaults['lr']) and min_lr_rate."""
    if min_lr is not None and min_lr_rate is not None:
        raise ValueError("Only one of min_lr or min_lr_rate should be set")
    if min_lr is not None:
        low = V.value(fn, "min_lr", min_lr)
        lr = _default_lr(fn, optimizer, "min_lr is a ratio of it")
        if lr <= 0.0:
            V.fail(fn, "optimizer.defaults['lr']", "> 0 when min_lr is given (min_lr is a ratio of it)", lr)
        return low / lr
    if min_lr_rate is None:
        raise ValueError("One of min_lr or min_lr_rate should be set through the `lr_scheduler_kwargs`")
    return V.value(fn, "min_lr_rate", min_lr_rate)


def _simple(x):
    """The simplest fraction that rounds to the float ``x`` (0.3 -> 3/10), else ``x`` exactly."""
    f = Fraction(x).limit_denominator(_DENOMINATOR)
    return f if float(f) == x else Fraction(x)


# -- building blocks ----------------------------------------------------------------------------


def _ramp(w):
    """transformers' warmup ``t / max(1, W)`` (0 at step 0); None when there is none."""
    return linear(init_value=0.0, end_value=1.0, steps=w) if w else None


def _then(first, w, rest):
    """``first`` on steps [0, w), then ``rest`` in local time (just ``rest`` when ``w == 0``)."""
    return join([first, rest], [w]) if w else rest


def _wave(half, floor, shift=Fraction(0)):
    """``floor + (1 - floor) (1 + cos(pi (u + shift) / half)) / 2`` at local step ``u``, for ever.

    ``half`` (a Fraction) is the half period in steps.  One period is laid out
    as half cosines between real knots, and repeated every ``q`` steps, the
    smallest whole number of steps that holds whole periods.  None if that
    needs more than ``_MAX_KNOTS`` knots.
    """
    if floor == 1.0:
        return constant(1.0)
    period = 2 * half
    q = period.numerator  # period = q / d in lowest terms: d periods take q steps
    if 2 * period.denominator + 3 > _MAX_KNOTS or q + 2 * period > MAX_STEP:
        return None
    s = shift % period
    knots, values = [], []
    j = 0
    while not knots or knots[-1] < q:
        knots.append(j * half - s)
        values.append(1.0 if j % 2 == 0 else floor)
        j += 1
    return repeat(piecewise_anneal(knots=[float(k) for k in knots], values=values, anneal="cos"), q)


def _cosine_wave(length, num_cycles, floor, shift=Fraction(0)):
    """``floor + (1 - floor) (1 + cos(2 pi c (u + shift) / length)) / 2``; None if not representable."""
    if num_cycles == 0.0:
        return constant(1.0)  # cos(0): the peak for ever
    return _wave(Fraction(length) / (2 * _simple(num_cycles)), floor, shift)


def _restart_cycles(length, num_cycles):
    """``(1 + cos(pi frac(c u / length))) / 2`` on local steps [0, length), then 0; None if too many pieces."""
    if num_cycles == 0.0:
        return join([constant(1.0), constant(0.0)], [length])
    cycle = Fraction(length) / _simple(num_cycles)  # steps per cycle
    if cycle > MAX_STEP // 2:
        return None  # a tiny num_cycles: knots out of reach
    if cycle.denominator == 1:
        body = repeat(cosine(init_value=1.0, end_value=0.0, steps=cycle.numerator), cycle.numerator)
    else:
        if math.ceil(num_cycles) > _MAX_KNOTS:
            return None
        pieces, starts = [], []
        for j in range(math.ceil(length / cycle)):
            first = math.ceil(j * cycle)  # the first step of cycle j, if it has one before the next cycle
            if first >= min(math.ceil((j + 1) * cycle), length):
                continue
            shift = j * cycle - first  # <= 0: the cycle began at this real step, in local time
            knots = [float(shift), float(shift + cycle)]
            pieces.append(piecewise_anneal(knots=knots, values=[1.0, 0.0], anneal="cos"))
            starts.append(first)
        body = join(pieces, starts[1:]) if len(pieces) > 1 else pieces[0]
    return join([body, constant(0.0)], [length])


class _Multiplier:
    """transformers' multiplier as a Python function of the step: the slow path.

    Only for a ``num_cycles`` that is no ratio of small integers, where a
    period of the cosine is no whole number of steps within ``_MAX_KNOTS``
    knots (see the module docstring).  Its arguments are plain data, so the
    ``LambdaLR``'s state stays JSON.
    """

    def __init__(self, kind, **args):
        self.kind = kind
        self.__dict__.update(args)

    def __call__(self, step):
        w = self.warmup
        if self.kind == "wsd":
            return self._wsd(step)
        if step < w:
            if self.kind == "cosine_rate":
                if self.warmup_lr_rate is None:
                    return (step + 1.0) / w
                return self.warmup_lr_rate + (1.0 - self.warmup_lr_rate) * step / max(1, w - 1)
            return step / w
        if self.kind == "restarts":
            p = (step - w) / self.length
            return 0.0 if p >= 1.0 else 0.5 * (1.0 + math.cos(math.pi * ((self.num_cycles * p) % 1.0)))
        shift = 1.0 if self.kind == "cosine_rate" else 0.0
        return self._floored(self._wave((step - w + shift) / self.length))

    def _wave(self, p):
        return 0.5 * (1.0 + math.cos(2.0 * math.pi * self.num_cycles * p))

    def _floored(self, f):
        return f * (1.0 - self.floor) + self.floor

    def _wsd(self, step):
        w, s, d = self.warmup, self.stable, self.decay
        if step < w:
            p = step / w
            f = {"linear": p, "cosine": 0.5 * (1.0 - math.cos(math.pi * p)), "1-sqrt": 1.0 - math.sqrt(1.0 - p)}
            return self._floored(f[self.warmup_type])
        if step < w + s:
            return 1.0
        if step < w + s + d:
            return self._floored(self._wave((step - w - s) / d))  # only the cosine decay comes here
        return self.floor


def _lambda_lr(optimizer, schedule, last_epoch, fallback):
    """``LambdaLR`` over the schedule, or over the slow path's function when there is no schedule."""
    return LambdaLR(optimizer, schedule if schedule is not None else _Multiplier(**fallback), last_epoch)


def _cosine_with_floor(fn, optimizer, w, t, c, last_epoch, floor, ahead=False, warmup_lr_rate=None):
    """The three cosine schedules: ``floor + (1 - floor) wave`` after transformers' warmup (``ahead``: one step
    ahead, ``cosine_warmup_with_min_lr``'s)."""
    w, t = _steps(fn, "num_warmup_steps", w), _steps(fn, "num_training_steps", t)
    c, wr, length = _cycles(fn, c), warmup_lr_rate, max(1, t - w)
    wave = _cosine_wave(length, c, floor, shift=Fraction(int(ahead)))
    if not ahead:
        ramp = _ramp(w)
    elif wr is None:  # (t + 1) / W: a line through (-1, 0) and (W - 1, 1)
        ramp = piecewise_anneal(knots=[-1.0, float(w - 1)], values=[0.0, 1.0]) if w else None
    else:  # wr + (1 - wr) t / max(1, W - 1)
        ramp = linear(init_value=wr, end_value=1.0, steps=w - 1) if w > 1 else constant(wr)
    lam = None if wave is None else _then(ramp, w, wave)
    fallback = dict(kind="cosine_rate" if ahead else "cosine", warmup=w, length=length, num_cycles=c, floor=floor,
                    warmup_lr_rate=wr)  # fmt: skip
    return _lambda_lr(optimizer, lam, last_epoch, fallback)


# -- the schedules ------------------------------------------------------------------------------


@V.explain_arguments
def get_constant_schedule(optimizer, last_epoch=-1):
    """A constant lr: the optimizer's (multiplier 1)."""
    return LambdaLR(optimizer, constant(1.0), last_epoch)


@V.explain_arguments
def get_reduce_on_plateau_schedule(optimizer, **kwargs):
    """``lrsched.torch.ReduceLROnPlateau(optimizer, **kwargs)``: reduce the lr when a metric stops improving."""
    return ReduceLROnPlateau(optimizer, **kwargs)


@V.explain_arguments
def get_constant_schedule_with_warmup(optimizer, num_warmup_steps, last_epoch=-1):
    """Linear warmup from 0 over ``num_warmup_steps`` steps, then the optimizer's lr.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_constant_schedule_with_warmup
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> get_constant_schedule_with_warmup(opt, 3).schedules["lr"][0].table(5).round(4).tolist()
    [0.0, 0.3333, 0.6667, 1.0, 1.0]
    """
    w = _steps("get_constant_schedule_with_warmup", "num_warmup_steps", num_warmup_steps)
    return LambdaLR(optimizer, warmup_constant(peak_value=1.0, warmup_steps=w), last_epoch)


@V.explain_arguments
def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, last_epoch=-1):
    """Linear warmup from 0, then linear decay to 0 at ``num_training_steps``, then 0.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_linear_schedule_with_warmup
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> get_linear_schedule_with_warmup(opt, 2, 6).schedules["lr"][0].table(9).tolist()
    [0.0, 0.5, 1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0]
    """
    fn = "get_linear_schedule_with_warmup"
    w = _steps(fn, "num_warmup_steps", num_warmup_steps)
    t = _steps(fn, "num_training_steps", num_training_steps)
    if t > w:
        lam = warmup_linear(peak_value=1.0, warmup_steps=w, total_steps=t)
    else:  # (T - t) / 1 <= 0 from the end of the warmup on
        lam = _then(_ramp(w), w, constant(0.0))
    return LambdaLR(optimizer, lam, last_epoch)


@V.explain_arguments
def get_cosine_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1):
    """Linear warmup from 0, then ``num_cycles`` cosine waves over ``T - W`` steps, continued past ``T``.

    The default half wave ends at 0 at ``num_training_steps`` and rises again
    after it, as transformers'.
    """
    return _cosine_with_floor("get_cosine_schedule_with_warmup", optimizer, num_warmup_steps, num_training_steps,
                              num_cycles, last_epoch, 0.0)


@V.explain_arguments
def get_cosine_with_hard_restarts_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=1, last_epoch=-1
):
    """Linear warmup from 0, then ``num_cycles`` cosine decays to 0, each restarting at the peak; 0 after ``T``.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_cosine_with_hard_restarts_schedule_with_warmup as restarts
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> restarts(opt, 2, 10, num_cycles=2).schedules["lr"][0].table(12).round(4).tolist()
    [0.0, 0.5, 1.0, 0.8536, 0.5, 0.1464, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """
    fn = "get_cosine_with_hard_restarts_schedule_with_warmup"
    w = _steps(fn, "num_warmup_steps", num_warmup_steps)
    t = _steps(fn, "num_training_steps", num_training_steps)
    c = _cycles(fn, num_cycles)
    length = max(1, t - w)
    if t > w and float(c).is_integer() and 1 <= c <= length and length % int(c) == 0:
        lam = cosine_restarts(peak_value=1.0, total_steps=t, num_cycles=int(c), warmup_steps=w)
    else:
        body = _restart_cycles(length, c)
        lam = None if body is None else _then(_ramp(w), w, body)
    fallback = dict(kind="restarts", warmup=w, length=length, num_cycles=c)
    return _lambda_lr(optimizer, lam, last_epoch, fallback)


@V.explain_arguments
def get_polynomial_decay_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, lr_end=1e-7, power=1.0, last_epoch=-1
):
    """Linear warmup from 0, then a polynomial decay to ``lr_end / optimizer.defaults["lr"]`` at ``T``, held.

    The floor is a ratio of ``optimizer.defaults["lr"]``, applied to every
    group's own lr (as transformers).

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_polynomial_decay_schedule_with_warmup as poly
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> poly(opt, 2, 6, lr_end=0.1, power=2.0).schedules["lr"][0].table(9).round(4).tolist()
    [0.0, 0.5, 1.0, 0.6062, 0.325, 0.1562, 0.1, 0.1, 0.1]
    """
    fn = "get_polynomial_decay_schedule_with_warmup"
    w = _steps(fn, "num_warmup_steps", num_warmup_steps)
    t = _steps(fn, "num_training_steps", num_training_steps)
    end = V.value(fn, "lr_end", lr_end)
    power = V.real(fn, "power", power, minimum=0.0)
    lr_init = _default_lr(fn, optimizer, "transformers' lr_init")
    if not lr_init > end:
        raise ValueError(f"lr_end ({lr_end}) must be smaller than initial lr ({lr_init})")
    if t == w:
        V.fail(fn, "num_training_steps", f"!= num_warmup_steps={w} (transformers divides by zero at that step)", t)
    ratio = end / lr_init
    if t < w:  # past T from the end of the warmup on
        rest = constant(ratio)
    elif power == 0.0:  # x ** 0 == 1 up to T
        rest = join([constant(1.0), constant(ratio)], [t - w + 1])
    else:
        rest = polynomial(init_value=1.0, end_value=ratio, steps=t - w, power=power)
    return LambdaLR(optimizer, _then(_ramp(w), w, rest), last_epoch)


@V.explain_arguments
def get_inverse_sqrt_schedule(optimizer, num_warmup_steps, timescale=None, last_epoch=-1):
    """Linear warmup from 0, then ``1 / sqrt((t - W + timescale) / timescale)``.

    ``timescale`` defaults to ``num_warmup_steps``, or 10 000 when that is 0.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_inverse_sqrt_schedule
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> get_inverse_sqrt_schedule(opt, 2).schedules["lr"][0].table(9).round(4).tolist()
    [0.0, 0.5, 1.0, 0.8165, 0.7071, 0.6325, 0.5774, 0.5345, 0.5]
    """
    fn = "get_inverse_sqrt_schedule"
    w = _steps(fn, "num_warmup_steps", num_warmup_steps)
    if timescale is None:
        ts = w or 10_000
    else:
        ts = V.integer(fn, "timescale", timescale, minimum=1)
    return LambdaLR(optimizer, inverse_sqrt(peak_value=1.0, warmup_steps=w, timescale=ts), last_epoch)


@V.explain_arguments
def get_cosine_with_min_lr_schedule_with_warmup(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1, min_lr=None, min_lr_rate=None
):
    """The ``cosine`` schedule with a floor: ``r + (1 - r) wave``, ``r = min_lr_rate`` or ``min_lr / defaults["lr"]``.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_cosine_with_min_lr_schedule_with_warmup as cos_min
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> cos_min(opt, 2, 6, min_lr=0.1).schedules["lr"][0].table(9).round(4).tolist()
    [0.0, 0.5, 1.0, 0.8682, 0.55, 0.2318, 0.1, 0.2318, 0.55]
    """
    fn = "get_cosine_with_min_lr_schedule_with_warmup"
    rate = _min_lr_rate(fn, optimizer, min_lr, min_lr_rate)
    return _cosine_with_floor(fn, optimizer, num_warmup_steps, num_training_steps, num_cycles, last_epoch, rate)


@V.explain_arguments
def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    optimizer, num_warmup_steps, num_training_steps, num_cycles=0.5, last_epoch=-1, min_lr=None, min_lr_rate=None,
    warmup_lr_rate=None,
):  # fmt: skip
    """``cosine_with_min_lr`` one step ahead: warmup ``(t + 1) / W`` (or from ``warmup_lr_rate``), then
    the cosine at progress ``(t - W + 1) / L``.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_cosine_with_min_lr_schedule_with_warmup_lr_rate as cos_rate
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> cos_rate(opt, 2, 6, min_lr_rate=0.1).schedules["lr"][0].table(8).round(4).tolist()
    [0.5, 1.0, 0.8682, 0.55, 0.2318, 0.1, 0.2318, 0.55]
    """
    fn = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate"
    rate = _min_lr_rate(fn, optimizer, min_lr, min_lr_rate)
    wr = None if warmup_lr_rate is None else V.value(fn, "warmup_lr_rate", warmup_lr_rate)
    return _cosine_with_floor(fn, optimizer, num_warmup_steps, num_training_steps, num_cycles, last_epoch, rate,
                              ahead=True, warmup_lr_rate=wr)  # fmt: skip


_WSD_TYPES = ("linear", "cosine", "1-sqrt")
_WSD_RAMPS = {
    "linear": lambda m, w: linear(init_value=m, end_value=1.0, steps=w),
    "cosine": lambda m, w: cosine(init_value=m, end_value=1.0, steps=w),
    "1-sqrt": lambda m, w: polynomial(init_value=m, end_value=1.0, steps=w, power=0.5),
}


@V.explain_arguments
def get_wsd_schedule(
    optimizer, num_warmup_steps, num_decay_steps, num_training_steps=None, num_stable_steps=None,
    warmup_type="linear", decay_type="cosine", min_lr_ratio=0, num_cycles=0.5, last_epoch=-1,
):  # fmt: skip
    """Warmup-stable-decay: from ``min_lr_ratio`` up to 1, hold, decay back to ``min_lr_ratio``, hold.

    ``num_stable_steps`` defaults to ``T - W - D``.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_wsd_schedule
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> sched = get_wsd_schedule(opt, 2, 3, num_stable_steps=4, decay_type="linear", min_lr_ratio=0.1)
    >>> sched.schedules["lr"][0].table(11).round(6).tolist()   # the decay starts at 1.0, at step W + S
    [0.1, 0.55, 1.0, 1.0, 1.0, 1.0, 1.0, 0.7, 0.4, 0.1, 0.1]
    """
    fn = "get_wsd_schedule"
    if num_training_steps is None and num_stable_steps is None:
        raise ValueError("Either num_training_steps or num_stable_steps must be specified.")
    if num_training_steps is not None and num_stable_steps is not None:
        warnings.warn("Both num_training_steps and num_stable_steps are specified. num_stable_steps will be used.")
    if not isinstance(warmup_type, str) or warmup_type not in _WSD_TYPES:
        raise ValueError(f"Unknown warmup type: {_str(warmup_type)}, expected 'linear', 'cosine' or '1-sqrt'")
    if not isinstance(decay_type, str) or decay_type not in _WSD_TYPES:
        raise ValueError(f"Unknown decay type: {_str(decay_type)}, expected 'linear', 'cosine' or '1-sqrt'")
    w = _steps(fn, "num_warmup_steps", num_warmup_steps)
    d = _steps(fn, "num_decay_steps", num_decay_steps)
    if num_stable_steps is None:
        t = _steps(fn, "num_training_steps", num_training_steps)
        if t < w + d:
            V.fail(fn, "num_training_steps", f">= num_warmup_steps + num_decay_steps = {w + d} "
                   "(the stable phase would be negative)", t)  # fmt: skip
        s = t - w - d
    else:
        s = _steps(fn, "num_stable_steps", num_stable_steps)
        if w + s + d > MAX_STEP:
            V.fail(fn, "num_stable_steps", f"<= 2**62 - num_warmup_steps - num_decay_steps = {MAX_STEP - w - d}", s)
    m = V.real(fn, "min_lr_ratio", min_lr_ratio, minimum=0.0, maximum=1.0)
    c = _cycles(fn, num_cycles)
    if d and (decay_type != "cosine" or c == 0.5):
        lam = wsd(peak_value=1.0, total_steps=w + s + d, warmup_steps=w, decay_steps=d, init_value=m,
                  warmup_shape=warmup_type, decay_shape=decay_type, min_ratio=m)  # fmt: skip
    else:  # no decay, or a cosine decay with other num_cycles: the phases joined
        pieces = []
        if w:
            pieces.append(_WSD_RAMPS[warmup_type](m, w))
        if s:
            pieces.append(constant(1.0))
        if d:
            pieces.append(_cosine_wave(d, c, m))
        pieces.append(constant(m))
        ends = [e for e, n in ((w, w), (w + s, s), (w + s + d, d)) if n]
        lam = None if None in pieces else (join(pieces, ends) if len(pieces) > 1 else pieces[0])
    fallback = dict(kind="wsd", warmup=w, stable=s, decay=d, warmup_type=warmup_type, floor=m, num_cycles=c)
    return _lambda_lr(optimizer, lam, last_epoch, fallback)


# -- GreedyLR ---------------------------------------------------------------------------------


@V.explain_arguments
class GreedyLR(PeerAttributes, _lrs.ReduceLROnPlateau):
    """transformers' ``GreedyLR``: lower the lr on a plateau, raise it while a metric keeps improving.

    ``step(metric)``: an improvement by more than ``threshold`` (``"abs"`` or
    ``"rel"``) counts as good, anything else as bad.  After more than
    ``patience`` good evaluations in a row each group's lr becomes
    ``min(lr / factor, max_lr)`` and ``warmup`` evaluations are ignored; after
    more than ``patience`` bad ones it becomes ``max(lr * factor, min_lr)`` and
    ``cooldown`` evaluations are ignored (a change is applied only if larger
    than ``eps``).  After ``reset_start`` reductions with every group at its
    ``min_lr`` (no increase in between), the initial lrs and counters come
    back.  ``smooth=True`` feeds the average of the last ``window_size``
    metrics instead of the metric.  The state is plain JSON data.

    It subclasses torch's ``ReduceLROnPlateau`` (never calling its
    ``__init__``): that is how the Hugging Face Trainer, Lightning and
    ``SequentialLR`` recognise a scheduler stepped with a metric at each
    evaluation rather than at each update (the Trainer also knows
    transformers' own ``GreedyLR``, which lrsched does not import).

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import GreedyLR
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> sched = GreedyLR(opt, factor=0.5, patience=1, min_lr=0.01)
    >>> lrs = []
    >>> for loss in [1.0, 0.9, 0.8, 0.8, 0.8]:  # two improvements raise it, two plateaus lower it
    ...     sched.step(loss)
    ...     lrs.append(sched.get_last_lr()[0])
    >>> lrs
    [0.1, 0.2, 0.2, 0.2, 0.1]
    """

    def __init__(
        self, optimizer, mode="min", factor=0.95, patience=10, threshold=1e-6, threshold_mode="abs", cooldown=0,
        warmup=0, min_lr=1e-3, max_lr=1.0, eps=1e-8, verbose=False, smooth=False, window_size=50, reset_start=500,
    ):  # fmt: skip
        fn = "GreedyLR"
        groups = _plateau_controller(self, fn, optimizer, mode=mode, factor=factor, patience=patience,
                                     threshold=threshold, threshold_mode=threshold_mode, cooldown=cooldown, eps=eps)
        self.min_lrs = _bounds(fn, "min_lr", min_lr, len(groups))
        self.max_lrs = _bounds(fn, "max_lr", max_lr, len(groups))
        self.warmup = V.integer(fn, "warmup", warmup)
        self.verbose = V.boolean(fn, "verbose", verbose)
        self.smooth = V.boolean(fn, "smooth", smooth)
        self.window_size = V.integer(fn, "window_size", window_size, minimum=1)
        self.reset_start = self.reset_start_original = V.integer(fn, "reset_start", reset_start)
        self.optimizer = optimizer
        self._init_lrs = [read_value(g, "lr") for g in groups]
        self._last_lr = list(self._init_lrs)
        self.last_epoch = 0
        self._restart()

    def _restart(self):
        """The best metric, the counts and the smoothing window of a fresh start (a cooldown that starts with
        the reset is kept; the lrs are the caller's job)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_good_epochs = self.warmup_counter = 0
        self.reset_start = self.reset_start_original
        self._window = []  # the last window_size metrics and their running sum, when smoothing
        self._window_sum = 0.0

    def step(self, metrics, epoch=None):
        """Take one metric (``epoch``, if given, only sets ``last_epoch``)."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            V.fail("GreedyLR.step", "metrics", "a number", metrics, TypeError)
        if self.smooth:
            current = self._smoothed(current)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        change = self._state.count_both_ways(current, self.warmup)
        if change > 0:
            self._raise()
        elif change < 0:
            self._lower()
        self._last_lr = [read_value(g, "lr") for g in self.optimizer.param_groups]

    def _smoothed(self, x):
        self._window.append(x)
        self._window_sum += x
        if len(self._window) > self.window_size:
            self._window_sum -= self._window.pop(0)
        return self._window_sum / len(self._window)

    def _lower(self):
        at_min = True
        for k, g in enumerate(self.optimizer.param_groups):
            old = read_value(g, "lr")
            new = self._state.reduced(old, self.min_lrs[k])  # the controller's rule: torch's reduction
            if new != old:
                write_value(g, "lr", None, new)
                self._say(f"reducing learning rate of group {k} to {new:.4e}.")
            at_min = at_min and not read_value(g, "lr") > self.min_lrs[k]
        if at_min:
            self.reset_start -= 1
            if self.reset_start <= 0:
                for g, lr in zip(self.optimizer.param_groups, self._init_lrs):
                    write_value(g, "lr", None, lr)
                self._restart()
                if self.verbose:
                    print("Scheduler reset to initial state.")

    def _raise(self):
        for k, g in enumerate(self.optimizer.param_groups):
            old = read_value(g, "lr")
            new = min(old / self.factor, self.max_lrs[k])
            if new - old > self.eps:
                write_value(g, "lr", None, new)
                self._say(f"increasing learning rate of group {k} to {new:.4e}.")
        self.reset_start = self.reset_start_original

    def _say(self, what):
        if self.verbose:
            print(f"Epoch {self.last_epoch}: {what}")

    def get_last_lr(self):
        """The lr of each group after the last ``step``."""
        return list(self._last_lr)

    _COUNTERS = ("last_epoch", "num_bad_epochs", "num_good_epochs", "cooldown_counter", "warmup_counter", "reset_start")
    _SETTINGS = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "warmup", "eps", "smooth",
                 "window_size", "reset_start_original", "min_lrs", "max_lrs")  # fmt: skip

    @V.explain_arguments
    def state_dict(self):
        """Plain JSON data: transformers' keys, with an infinite ``best`` written as ``"inf"``/``"-inf"``."""
        state = {k: getattr(self, k) for k in self._SETTINGS + self._COUNTERS}
        state.update(
            verbose=self.verbose, best=_json_float(self.best), _last_lr=list(self._last_lr),
            _init_lrs=list(self._init_lrs),
        )  # fmt: skip
        if self.smooth:
            state["_streaming_avg"] = {"window_size": self.window_size, "values": list(self._window),
                                       "sum": self._window_sum}  # fmt: skip
        return {k: list(v) if isinstance(v, list) else v for k, v in state.items()}

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        """Continue as the ``GreedyLR`` that saved ``state_dict`` (this class's or transformers'), its settings
        included, and write its lrs (as transformers' does).  Every key is optional, as in transformers; the
        state is checked in full before anything changes."""
        fn = "GreedyLR.load_state_dict"
        n = len(self.optimizer.param_groups)
        lrs = lambda fn, name, v: _bounds(fn, name, V.sequence(fn, name, v), n)  # noqa: E731
        rules = self._peer_rules(optional=True)
        rules.update({k: (V.integer, getattr(self, k)) for k in ("last_epoch", "warmup", "reset_start",
                                                                   "reset_start_original")})  # fmt: skip
        rules.update(
            verbose=(V.boolean, self.verbose), smooth=(V.boolean, self.smooth),
            window_size=(lambda fn, name, v: V.integer(fn, name, v, minimum=1), self.window_size),
            min_lrs=(lrs, self.min_lrs), max_lrs=(lrs, self.max_lrs), _last_lr=(lrs, None), _init_lrs=(lrs, self._init_lrs),
            _streaming_avg=(lambda fn, name, v: v, None),
        )  # fmt: skip
        got = V.state_fields(fn, state_dict, rules)
        kept = [k for k in self.state_dict() if k not in state_dict]
        if kept:  # transformers' load keeps the current value of a key left out: say so
            warnings.warn(f"{fn}: the state has no {kept}: kept the current values, as transformers' GreedyLR does.",
                          UserWarning, stacklevel=2)  # fmt: skip
        window = None
        if got["_streaming_avg"] is not None:
            window = self._saved_window(fn, got["_streaming_avg"], got["window_size"])
        self._load_peer(fn, got)
        for k in rules.keys() - self._peer_rules().keys() - {"_streaming_avg", "_last_lr"}:
            setattr(self, k, got[k])
        if window is not None:
            self._window, self._window_sum = window
        if got["_last_lr"] is not None:
            self._last_lr = got["_last_lr"]
            for g, lr in zip(self.optimizer.param_groups, self._last_lr):
                write_value(g, "lr", None, lr)

    def _saved_window(self, fn, avg, window_size):
        """The smoothing window of a state (transformers' ``StreamingAverage`` state), checked.

        ``sum`` is the running sum of ``values``: it must equal their sum up to
        rounding (a value cut from the list shows there).
        """
        name = "state_dict['_streaming_avg']"
        got = V.state_fields(fn, avg, {"window_size": lambda fn, name, v: V.integer(fn, name, v, minimum=1),
                                       "values": V.sequence, "sum": V.real}, name=name)  # fmt: skip
        items = got["values"]
        if len(items) > window_size:
            V.fail(fn, f"{name}['values']", f"a list of at most window_size={window_size} numbers", list(items))
        window = [V.real(fn, f"{name}['values'][{k}]", x) for k, x in enumerate(items)]
        total = got["sum"]
        if abs(total - math.fsum(window)) > 1e-6 * max(1.0, math.fsum(map(abs, window))):
            V.fail(fn, f"{name}['sum']", f"the sum of {name}['values'] ({math.fsum(window)!r})", total)
        return window, total


@V.explain_arguments
def get_greedy_schedule(optimizer, **kwargs):
    """``GreedyLR(optimizer, **kwargs)``: an lr that follows a metric up and down."""
    return GreedyLR(optimizer, **kwargs)


# -- by name ------------------------------------------------------------------------------------

TYPE_TO_SCHEDULER_FUNCTION = {
    "linear": get_linear_schedule_with_warmup,
    "cosine": get_cosine_schedule_with_warmup,
    "cosine_with_restarts": get_cosine_with_hard_restarts_schedule_with_warmup,
    "polynomial": get_polynomial_decay_schedule_with_warmup,
    "constant": get_constant_schedule,
    "constant_with_warmup": get_constant_schedule_with_warmup,
    "inverse_sqrt": get_inverse_sqrt_schedule,
    "reduce_lr_on_plateau": get_reduce_on_plateau_schedule,
    "cosine_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup,
    "cosine_warmup_with_min_lr": get_cosine_with_min_lr_schedule_with_warmup_lr_rate,
    "warmup_stable_decay": get_wsd_schedule,
    "greedy": get_greedy_schedule,
}
SCHEDULER_TYPES = tuple(TYPE_TO_SCHEDULER_FUNCTION)  # transformers' SchedulerType values, in its order

_METRIC_DRIVEN = ("reduce_lr_on_plateau", "greedy")
_WARMUP_ONLY = ("constant_with_warmup", "inverse_sqrt", "warmup_stable_decay")  # no num_training_steps needed


@V.explain_arguments
def get_scheduler(name, optimizer, num_warmup_steps=None, num_training_steps=None, scheduler_specific_kwargs=None):
    """Any of the schedules above by its ``SchedulerType`` name (a string, or transformers' enum member).

    ``num_warmup_steps`` is required by every name but ``constant``,
    ``reduce_lr_on_plateau`` and ``greedy``; ``num_training_steps`` by every
    name but those, ``constant_with_warmup``, ``inverse_sqrt`` and
    ``warmup_stable_decay``.  ``scheduler_specific_kwargs`` go to the function.

    Examples
    --------
    >>> import torch
    >>> from lrsched.transformers import get_scheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> sched = get_scheduler("linear", opt, num_warmup_steps=2, num_training_steps=6)
    >>> [sched.get_last_lr()[0] for _ in range(3) if sched.step() is None]
    [0.5, 1.0, 0.75]
    """
    key = getattr(name, "value", name)  # transformers' SchedulerType is a str Enum
    if not isinstance(key, str) or key not in TYPE_TO_SCHEDULER_FUNCTION:
        shown = key if isinstance(key, str) else V.shown(key)
        raise ValueError(f"{shown} is not a valid SchedulerType, please select one of {list(SCHEDULER_TYPES)}")
    schedule_func = TYPE_TO_SCHEDULER_FUNCTION[key]
    if key == "constant":
        return schedule_func(optimizer)
    kwargs = {} if scheduler_specific_kwargs is None else scheduler_specific_kwargs
    if not isinstance(kwargs, dict) or not all(isinstance(k, str) for k in kwargs):
        V.fail("get_scheduler", "scheduler_specific_kwargs", "a dict of keyword arguments (str keys) or None", kwargs,
               TypeError)  # fmt: skip
    if key in _METRIC_DRIVEN:
        return schedule_func(optimizer, **kwargs)
    member = f"SchedulerType.{key.upper()}"  # how transformers' message shows the name
    if num_warmup_steps is None:
        raise ValueError(f"{member} requires `num_warmup_steps`, please provide that argument.")
    if key == "constant_with_warmup":
        return schedule_func(optimizer, num_warmup_steps=num_warmup_steps)
    if key not in _WARMUP_ONLY and num_training_steps is None:
        raise ValueError(f"{member} requires `num_training_steps`, please provide that argument.")
    counts = {"num_training_steps": num_training_steps} if key != "inverse_sqrt" else {}
    return schedule_func(optimizer, num_warmup_steps=num_warmup_steps, **counts, **kwargs)
