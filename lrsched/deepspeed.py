"""Drop-ins for ``deepspeed.runtime.lr_schedules`` (DeepSpeed 0.19): same names, arguments, values and state.

Change one import line::

    from deepspeed.runtime.lr_schedules import WarmupDecayLR   # before
    from lrsched.deepspeed import WarmupDecayLR                # after

or build one from a DeepSpeed JSON config's ``"scheduler"`` block, to hand to
``deepspeed.initialize(lr_scheduler=...)`` (the engine only resolves its own
class names from the JSON) or to the Hugging Face Trainer
(``optimizers=(optimizer, scheduler)``)::

    sched = lrsched.deepspeed.from_config(ds_config, optimizer, total_num_steps=10_000)

Each class lowers its arguments to one lrsched ``Schedule`` per param group
and field (``sched.schedules``, tables without stepping) and runs on the core
adapter (``lrsched.adapter``): a ``step()`` is an index and a store per group.
DeepSpeed itself is never imported.

DeepSpeed's conventions, reproduced (each is tested against DeepSpeed in the
same process):

- ``last_batch_iteration`` starts at -1.  After construction the groups hold
  the value *before* the first batch (``warmup_min_lr``; 0 for
  ``WarmupCosineLR``; ``cycle_min_lr`` for ``OneCycle``); after ``k`` calls to
  ``step()`` ``last_batch_iteration == k - 1`` and they hold ``f(k - 1)``.  So
  the first two optimizer updates both use the start value of a warmup.
- The log warmup (the default ``warmup_type``) is the core warmup shape
  ``"log"``: ``gamma = log(t + 1) / log(W)`` with ``W = max(2,
  warmup_num_steps)``, 0 at ``t = 0`` and already 1 at ``t = W - 1``; the
  linear one is ``t / W``.  An unknown ``warmup_type`` falls back to log with
  a warning, as DeepSpeed's.
- ``WarmupLR``'s ``warmup_max_lr`` defaults to each group's lr; ``WarmupDecayLR``'s
  to **0.001**, which then replaces the lr the optimizer was built with (a
  known trap, deepspeedai/DeepSpeed#7303; ``from_config`` warns).
- ``WarmupDecayLR`` decays linearly from ``W`` to ``total_num_steps``, then holds
  ``warmup_min_lr``; with ``total_num_steps <= W`` it drops to the minimum at ``W``.
- ``WarmupCosineLR`` works in ratios of each group's lr at construction: the
  warmup from ``warmup_min_ratio`` to 1, then the cosine one step ahead
  (progress ``(t - W + 1) / max(1, T - W)``, clamped at 1) down to ``cos_min_ratio``.
- ``OneCycle``: up over ``cycle_first_step_size`` batches, down over
  ``cycle_second_step_size``, optionally in ``*_stair_count`` stairs, then
  ``cycle_min_lr / (1 + decay_lr_rate * n / decay_step_size)`` after ``n``
  more batches.  With ``cycle_momentum`` (the default) and an optimizer whose
  ``defaults`` have ``betas``, ``betas`` becomes ``(momentum, 0.99)``: beta1
  cycles inversely, ``cycle_min_mom`` at construction, ``cycle_max_mom``
  after the cycle (times ``1 + decay_mom_rate * n / decay_step_size``), and
  **beta2 is set to 0.99**, as DeepSpeed does.  An optimizer without ``betas``
  (SGD's ``momentum``) gets no momentum cycling, with a warning, as DeepSpeed.
- ``LRRangeTest``: ``min_lr * (1 + rate * (t + 1) / step_size)``, the interval
  floored with ``lr_range_test_staircase``.
- ``step(last_batch_iteration=k)`` (``batch_iteration`` for ``OneCycle`` and
  ``LRRangeTest``) jumps to ``k`` in O(1); ``get_last_lr()`` fails with
  DeepSpeed's ``AssertionError`` before a value was written (``OneCycle``
  before its first step); ``get_lr()`` (and ``OneCycle.get_mom()``) give the
  values at ``last_batch_iteration`` without writing.
- ``state_dict()`` is DeepSpeed's ``{'last_batch_iteration': k}``: a state
  crosses between lrsched and DeepSpeed in both directions.
  ``load_state_dict`` moves the counter and writes nothing (the optimizer's
  state restores the lrs), and ``get_last_lr()`` keeps its last values until
  the next step, as DeepSpeed's.

Where lrsched differs:

- Values are lrsched's closed forms: they equal DeepSpeed's to 1e-12
  relative, or within a few ulp of the peak where DeepSpeed's own sum
  ``min + delta * gamma`` cancels (a warmup from a large start down to a
  small peak, a cosine near its end).  The staircase ``LRRangeTest`` is the
  one slow path: its values are a Python function of the step (no Schedule
  family grows by equal stairs), DeepSpeed's arithmetic exactly;
  ``sched.schedules`` raises ``AttributeError`` for it.
- ``get_last_lr()`` gives floats, also where the groups hold tensors.
- Arguments DeepSpeed leaves unchecked and that break a schedule are refused
  with a ``ValueError`` naming them: negative lrs, ratios, momenta or decay
  rates; step sizes and counts that are not whole numbers (DeepSpeed
  computes with ``2000.5`` too); ``last_batch_iteration < -1``.
- DeepSpeed logs its warnings (``logger.warning``); lrsched raises them as
  ``UserWarning``.
- Any object with ``param_groups`` is accepted as the optimizer (DeepSpeed
  requires a ``torch.optim.Optimizer`` or an object wrapping one in
  ``.optimizer``, which is unwrapped here too).

Examples
--------
>>> import torch
>>> from lrsched.deepspeed import WarmupLR
>>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
>>> sched = WarmupLR(opt, warmup_num_steps=4)          # log warmup to the group's lr
>>> lrs = []
>>> for _ in range(6):
...     lrs.append(round(opt.param_groups[0]["lr"], 4)); opt.step(); sched.step()
>>> lrs
[0.0, 0.0, 0.5, 0.7925, 1.0, 1.0]
"""

from __future__ import annotations

import copy
import inspect
import math
import warnings

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .adapter import _caller_level, _param_groups, _PresetScheduler, _scaled
from .phases import piecewise_anneal
from .schedules import constant, inverse_time, join, linear, piecewise_constant, warmup

_torch = V.import_torch("lrsched.deepspeed", " (DeepSpeed itself is not needed)")

__all__ = ["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest", "from_config"]

WARMUP_LOG_RATE = "log"
WARMUP_LINEAR_RATE = "linear"
_FOREVER = MAX_STEP  # the length of a schedule DeepSpeed lets grow without end (LRRangeTest, post-cycle momentum)


# -- shared pieces ----------------------------------------------------------------------------


def _number(x):
    """A one-element tensor as its Python number; anything else as it is."""
    if isinstance(x, _torch.Tensor) and x.numel() == 1:
        return x.item()
    return x


def _optimizer(fn, optimizer):
    """DeepSpeed's ``get_torch_optimizer``: the optimizer, or the torch optimizer a wrapper holds in ``.optimizer``."""
    if not isinstance(optimizer, _torch.optim.Optimizer):
        inner = getattr(optimizer, "optimizer", None)
        if isinstance(inner, _torch.optim.Optimizer):
            optimizer = inner
    _param_groups(fn, optimizer)
    return optimizer


def _format_param(fn, optimizer, value, name, check=V.value):
    """DeepSpeed's ``_format_param``: one value for every group, or a list/tuple with one per group (checked)."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError("expected {} value for {}, got {}".format(n, name, len(value)))
        return [check(fn, f"{name}[{k}]", _number(v)) for k, v in enumerate(value)]
    return [check(fn, name, _number(value))] * n


def _whole(fn, name, v, minimum=0):
    """A count DeepSpeed takes as a number: an integer, or a float with an integral value."""
    v = _number(v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return V.integer(fn, name, v, minimum=minimum)


def _last_batch(fn, value):
    return V.integer(fn, "last_batch_iteration", value, minimum=-1, maximum=MAX_STEP - 2)


def _warmup_type(fn, warmup_type):
    if isinstance(warmup_type, str) and warmup_type in (WARMUP_LOG_RATE, WARMUP_LINEAR_RATE):
        return warmup_type
    warnings.warn(f"{fn}: Using unknown warmup_type: {warmup_type}. The increasing function is set to default (log)",
                  UserWarning, stacklevel=_caller_level())  # fmt: skip
    return WARMUP_LOG_RATE


def _warmup_steps(fn, warmup_num_steps):
    """DeepSpeed's check (a positive int), then its ``max(2, W)``."""
    if not isinstance(warmup_num_steps, int) or isinstance(warmup_num_steps, bool) or warmup_num_steps <= 0:
        raise ValueError(f"warmup_num_steps must be a positive integer, got {warmup_num_steps}")
    return max(2, V.integer(fn, "warmup_num_steps", warmup_num_steps, minimum=1))


def _ramp(init, peak, w, shape):
    """DeepSpeed's warmup in batch time t: init + (peak - init) gamma(t) for t < w, then peak."""
    return warmup(constant(peak), w, init, shape)


def _after_construction(first, f):
    """A source over the adapter's steps: ``first`` (the value written at construction, batch -1), then ``f``
    in DeepSpeed's batch time: adapter step s holds f(s - 1), i.e. f(last_batch_iteration)."""
    return join([constant(first), f], [1])


class _Stairs:
    """``LRRangeTest``'s staircase, ``min_lr * (1 + rate * floor(s / step_size))`` at adapter step s: DeepSpeed's
    arithmetic, as a Python function of the step (the slow path; no Schedule family has linear stairs)."""

    __slots__ = ("low", "rate", "size")

    def __init__(self, low, rate, size):
        self.low, self.rate, self.size = low, rate, size

    def __call__(self, s):
        return self.low * (1 + self.rate * math.floor(float(s) / self.size))

    def __eq__(self, other):
        return type(other) is _Stairs and (self.low, self.rate, self.size) == (other.low, other.rate, other.size)

    def __hash__(self):
        return hash((self.low, self.rate, self.size))


class _DeepSpeedScheduler:
    """A DeepSpeed scheduler on the core adapter: the counter is the adapter's step minus one.

    A subclass checks its arguments, sets DeepSpeed's attributes, and calls
    ``_start(optimizer, fields, scales, last_batch_iteration, written)`` with
    ``fields`` = ``{field: [source per group]}`` over the adapter's steps
    (step 0 is DeepSpeed's batch -1) and ``written`` whether DeepSpeed has a
    ``_last_lr`` after its constructor.
    """

    def _start(self, optimizer, fields, scales, last_batch_iteration, written):
        self._sources = fields
        self._scales = scales
        fresh = last_batch_iteration == -1
        self._driver = _PresetScheduler(optimizer, fields, scales=scales, step=last_batch_iteration + 1,
                                        write=fresh)  # fmt: skip
        # None: get_last_lr() reads the driver; (step, values): the values it gives until the next step (None:
        # DeepSpeed's class has no _last_lr yet, and asserts)
        self._held = None if written and fresh else (None, None)

    # -- stepping ---------------------------------------------------------------------

    def _go(self, batch_iteration):
        if batch_iteration is None:
            self._driver.step()
        else:
            k = _last_batch(f"{type(self).__name__}.step", batch_iteration)
            self._driver.seek(k + 1)
        self._held = None

    @property
    def last_batch_iteration(self):
        """The index of the last batch (DeepSpeed's counter; -1 before the first ``step()``); setting it moves the
        counter without writing, as DeepSpeed's attribute."""
        return self._driver.last_step - 1

    @last_batch_iteration.setter
    def last_batch_iteration(self, value):
        value = _last_batch(type(self).__name__, value)
        held = self._last_values()
        self._driver._move(value + 1)
        self._held = (self._driver.last_step, held)

    def _last_values(self):
        return self._held[1] if self._held is not None else self._driver.get_last_lr()

    def get_last_lr(self):
        """The lr of each group written by the last ``step()`` (or the constructor); DeepSpeed's assertion before."""
        held = self._held
        if held is not None:
            assert held[1] is not None, "need to call step() first"
            return list(held[1])
        return self._driver.get_last_lr()

    def _at(self, field):
        """Each group's value of ``field`` at the current step, without writing (what ``step`` writes there)."""
        s = self._driver.last_step
        out = []
        for k, src in enumerate(self._sources[field]):
            v = src.at(s) if isinstance(src, Schedule) else float(src(s))
            out.append(_scaled(v, self._scales[k] if field == "lr" and self._scales is not None else None))
        return out

    def get_lr(self):
        """The lrs at ``last_batch_iteration`` (computed, not written)."""
        return self._at("lr")

    @property
    def schedules(self):
        """``{field: [Schedule per group]}`` over the adapter's steps: entry ``s`` is the value after ``s`` calls to
        ``step()`` (DeepSpeed's ``last_batch_iteration = s - 1``), the lr as a multiple of the group's lr for
        ``WarmupCosineLR`` (see ``scales``)."""
        out = {}
        for f, sources in self._sources.items():
            if not all(isinstance(s, Schedule) for s in sources):
                raise AttributeError("schedules: this scheduler's values are a Python function of the step "
                                     "(LRRangeTest's staircase); no tables")  # fmt: skip
            out[f] = list(sources)
        return out

    # -- copies: each has a driver of its own (its own counter), on the same optimizer for copy.copy --------

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_driver"] = copy.copy(self._driver)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    # -- state ------------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """DeepSpeed's state: ``{'last_batch_iteration': k}``."""
        return {"last_batch_iteration": self.last_batch_iteration}

    @V.explain_arguments
    def load_state_dict(self, sd):
        """Take the saved ``last_batch_iteration`` (DeepSpeed's or lrsched's); nothing is written until ``step()``."""
        fn = f"{type(self).__name__}.load_state_dict"
        got = V.state_fields(fn, sd, {"last_batch_iteration": lambda fn, name, v: _last_batch(fn, v)}, name="sd")
        self.last_batch_iteration = got["last_batch_iteration"]


# -- the schedulers ---------------------------------------------------------------------------


@V.explain_arguments
class WarmupLR(_DeepSpeedScheduler):
    """DeepSpeed's ``WarmupLR``: from ``warmup_min_lr`` to ``warmup_max_lr`` over ``warmup_num_steps``, then flat.

    ``lr(t) = min + (max - min) gamma(t)``, ``gamma = log(t + 1) / log(W)``
    (``warmup_type="log"``) or ``t / W`` (``"linear"``) for ``t < W = max(2,
    warmup_num_steps)``, 1 after; ``t = last_batch_iteration``.
    ``warmup_max_lr=None`` takes each group's lr.  Built from
    ``lrsched.warmup(..., shape="log")``.
    """

    def __init__(self, optimizer, warmup_min_lr=0.0, warmup_max_lr=None, warmup_num_steps=1000,
                 warmup_type=WARMUP_LOG_RATE, last_batch_iteration=-1):  # fmt: skip
        self._warmup_init(type(self).__name__, optimizer, warmup_min_lr, warmup_max_lr, warmup_num_steps,
                          warmup_type, last_batch_iteration)  # fmt: skip

    def _warmup_init(self, fn, optimizer, warmup_min_lr, warmup_max_lr, warmup_num_steps, warmup_type,
                     last_batch_iteration, total=None):  # fmt: skip
        w = _warmup_steps(fn, warmup_num_steps)
        optimizer = _optimizer(fn, optimizer)
        last = _last_batch(fn, last_batch_iteration)
        if warmup_max_lr is None:
            warmup_max_lr = [_number(g["lr"]) for g in optimizer.param_groups]
        self.optimizer = optimizer
        self.min_lrs = _format_param(fn, optimizer, warmup_min_lr, "min_lr")
        self.max_lrs = _format_param(fn, optimizer, warmup_max_lr, "max_lr")
        self.delta_lrs = [big - small for big, small in zip(self.max_lrs, self.min_lrs)]
        self.warmup_num_steps = w
        self.warmup_type = _warmup_type(fn, warmup_type)
        self.inverse_log_warm_up = 1.0 / math.log(w)
        sources = []
        for low, high in zip(self.min_lrs, self.max_lrs):
            f = _ramp(low, high, w, self.warmup_type)
            if total is not None:  # WarmupDecayLR: max(0, (T - t) / max(1, T - W)) of the way from min after W
                then = linear(init_value=high, end_value=low, steps=total - w) if total > w else constant(low)
                f = join([f, then], [w])
            sources.append(_after_construction(low, f))
        self._start(optimizer, {"lr": sources}, None, last, written=True)

    def step(self, last_batch_iteration=None):
        """Advance one batch (or jump to ``last_batch_iteration``) and write its lrs."""
        if last_batch_iteration is None and self._held is None:
            self._driver.step()  # the common case
            return
        self._go(last_batch_iteration)


@V.explain_arguments
class WarmupDecayLR(WarmupLR):
    """DeepSpeed's ``WarmupDecayLR``: ``WarmupLR``, then linear decay to ``warmup_min_lr`` at ``total_num_steps``.

    After the warmup, ``lr(t) = min + (max - min) max(0, (T - t) / max(1, T - W))``.
    ``warmup_max_lr`` defaults to 0.001 (not the optimizer's lr).
    """

    def __init__(self, optimizer, total_num_steps, warmup_min_lr=0.0, warmup_max_lr=0.001, warmup_num_steps=1000,
                 warmup_type=WARMUP_LOG_RATE, last_batch_iteration=-1):  # fmt: skip
        fn = type(self).__name__
        total = _whole(fn, "total_num_steps", total_num_steps)
        self.total_num_steps = total
        self._warmup_init(fn, optimizer, warmup_min_lr, warmup_max_lr, warmup_num_steps, warmup_type,
                          last_batch_iteration, total=total)  # fmt: skip
        if total < self.warmup_num_steps:
            warnings.warn(f"{fn}: total_num_steps {total_num_steps} is less than warmup_num_steps {warmup_num_steps}",
                          UserWarning, stacklevel=_caller_level())  # fmt: skip


@V.explain_arguments
class WarmupCosineLR(_DeepSpeedScheduler):
    """DeepSpeed's ``WarmupCosineLR``: ratios of each group's lr, a warmup then a cosine one step ahead.

    ``ratio(t) = r0 + (1 - r0) gamma(t)`` for ``t < W`` (``r0 = warmup_min_ratio``),
    then ``c + (1 - c) (1 + cos(pi p)) / 2`` with ``p = min(1, (t - W + 1) / max(1, T - W))``
    (``c = cos_min_ratio``); the lr is the group's lr at construction times the
    ratio, and 0 right after construction.
    """

    def __init__(self, optimizer, total_num_steps, warmup_min_ratio=0.0, warmup_num_steps=1000, cos_min_ratio=0.0001,
                 warmup_type=WARMUP_LOG_RATE, last_batch_iteration=-1):  # fmt: skip
        fn = type(self).__name__
        w = _warmup_steps(fn, warmup_num_steps)
        optimizer = _optimizer(fn, optimizer)
        last = _last_batch(fn, last_batch_iteration)
        total = _whole(fn, "total_num_steps", total_num_steps)
        self.optimizer = optimizer
        self.total_num_steps = total
        self.cos_min_ratio = V.value(fn, "cos_min_ratio", _number(cos_min_ratio))
        self.warmup_type = _warmup_type(fn, warmup_type)
        self.warmup_min_ratio = V.value(fn, "warmup_min_ratio", _number(warmup_min_ratio))
        self.warmup_num_steps = w
        self.inverse_log_warm_up = 1.0 / math.log(w)
        if total < w:
            warnings.warn(f"{fn}: total_num_steps {total_num_steps} is less than warmup_num_steps {warmup_num_steps}",
                          UserWarning, stacklevel=_caller_level())  # fmt: skip
        groups = optimizer.param_groups
        self.org_lrs = [g["lr"].clone() if isinstance(g["lr"], _torch.Tensor) else g["lr"] for g in groups]
        scales = [V.value(fn, f"param_groups[{k}]['lr']", _number(lr)) for k, lr in enumerate(self.org_lrs)]
        span = max(1, total - w)
        # the cosine from 1 at t = W - 1 (one step ahead) to cos_min_ratio at t = W - 1 + span, in local time t - W
        cos = piecewise_anneal(knots=[-1.0, span - 1.0], values=[1.0, self.cos_min_ratio], anneal="cos")
        ratio = join([_ramp(self.warmup_min_ratio, 1.0, w, self.warmup_type), cos], [w])
        self._start(optimizer, {"lr": [_after_construction(0.0, ratio)] * len(groups)}, scales, last, written=True)

    def step(self, last_batch_iteration=None):
        """Advance one batch (or jump to ``last_batch_iteration``) and write its lrs."""
        if last_batch_iteration is None and self._held is None:
            self._driver.step()
            return
        self._go(last_batch_iteration)

    def get_lr_ratio(self):
        """The ratio at ``last_batch_iteration`` (0.0 before the first batch)."""
        return self._sources["lr"][0].at(self._driver.last_step)


def _stair_count(fn, name, v):
    """A stair count as DeepSpeed takes it: an integer, stairs when > 0 (0 or -1: continuous)."""
    v = _number(v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    if not V._is_int(v):
        V.fail(fn, name, "an integer (> 0 for stairs, 0 for none)", v, TypeError)
    return int(v)


def _stair_piece(points, level, stairs, value, origin):
    """``piecewise_constant`` of ``value(floor(level) / stairs)`` over the batch numbers in ``points`` (sorted change
    candidates, the first being the piece's first batch), in local time ``bi - origin``."""
    bounds, values = [], []
    for bi in points:
        v = value(math.floor(level(bi)) / stairs)
        if not values:
            values.append(v)
        elif v != values[-1]:
            bounds.append(bi - origin)
            values.append(v)
    return piecewise_constant(boundaries=bounds, values=values)


def _cycle(fn, first, second, stairs_up, stairs_down, value, after):
    """OneCycle's values in batch time t (bi = t + 1 is DeepSpeed's ``batch_iteration``): up over ``first``
    batches, down over ``second``, each continuous or in stairs, then ``after`` in local time t - (total - 1)."""
    total = first + second
    pieces, starts = [], []
    if total - 1 > 0:  # the rise: bi = 1 .. first (t = 0 .. first - 1), scale bi / first
        if stairs_up > 0:
            points = sorted({1, *(-(-j * first // stairs_up) for j in range(1, stairs_up + 1))} & set(range(1, first + 1)))
            up = _stair_piece(points, lambda bi: bi * stairs_up / first, stairs_up, value, 1)
        else:
            up = piecewise_anneal(knots=[-1.0, first - 1.0], values=[value(0.0), value(1.0)], anneal="linear")
        pieces.append(up)
        starts.append(0)
    if second >= 2:  # the fall: bi = first + 1 .. total - 1 (t = first .. total - 2), scale (total - bi) / second
        if stairs_down > 0:
            cuts = (total - (-(-k * second // stairs_down)) + 1 for k in range(1, stairs_down + 1))
            points = sorted({first + 1, *(b for b in cuts if first + 1 < b <= total - 1)})
            down = _stair_piece(points, lambda bi: (total - bi) * stairs_down / second, stairs_down, value, first + 1)
        else:
            down = piecewise_anneal(knots=[-1.0, second - 1.0], values=[value(1.0), value(0.0)], anneal="linear")
        pieces.append(down)
        starts.append(first)
    pieces.append(after)  # from bi = total (scale 0), the post-cycle decay at n = bi - total
    starts.append(total - 1)
    return join(pieces, starts[1:]) if len(pieces) > 1 else pieces[0]


@V.explain_arguments
class OneCycle(_DeepSpeedScheduler):
    """DeepSpeed's ``OneCycle``: the 1cycle policy in its own parametrisation, with inverse-time decay after it.

    With ``bi = last_batch_iteration + 1``: ``lr = min + (max - min) s``, the
    scale ``s`` rising as ``bi / first`` over the first ``cycle_first_step_size``
    batches, falling as ``(total - bi) / second`` over the next
    ``cycle_second_step_size`` (default: the first), floored into stairs with a
    stair count > 0; after the cycle ``min / (1 + decay_lr_rate * n / decay_step_size)``
    (``n = bi - total``; no decay while ``decay_step_size`` or the rate is 0).
    Momentum (``betas[0]``) runs ``max_mom - (max_mom - min_mom) s``, then
    ``max_mom (1 + decay_mom_rate * n / decay_step_size)``.
    """

    def __init__(self, optimizer, cycle_min_lr, cycle_max_lr, decay_lr_rate=0.0, cycle_first_step_size=2000,
                 cycle_second_step_size=None, cycle_first_stair_count=0, cycle_second_stair_count=None,
                 decay_step_size=0, cycle_momentum=True, cycle_min_mom=0.8, cycle_max_mom=0.9, decay_mom_rate=0.0,
                 last_batch_iteration=-1):  # fmt: skip
        fn = type(self).__name__
        optimizer = _optimizer(fn, optimizer)
        last = _last_batch(fn, last_batch_iteration)
        for name, v, minimum in (("cycle_first_step_size", cycle_first_step_size, 1),
                                 ("cycle_second_step_size", cycle_second_step_size, 0)):  # fmt: skip
            if v is not None and V._is_real(_number(v)) and float(_number(v)) < minimum:
                rule = "positive" if minimum else "non-negative"
                raise ValueError(f"{name} must be {rule}, got {float(_number(v))}")
        up = _whole(fn, "cycle_first_step_size", cycle_first_step_size, minimum=1)
        down = up if cycle_second_step_size is None else _whole(fn, "cycle_second_step_size", cycle_second_step_size)
        self.optimizer = optimizer
        self.total_size = float(up + down)
        self.step_ratio = up / self.total_size
        self.first_step_size = float(up)
        self.second_step_size = float(down)
        self.first_stair_count = _stair_count(fn, "cycle_first_stair_count", cycle_first_stair_count)
        self.second_stair_count = (self.first_stair_count if cycle_second_stair_count is None
                                   else _stair_count(fn, "cycle_second_stair_count", cycle_second_stair_count))
        self.decay_step_size = _whole(fn, "decay_step_size", decay_step_size)
        self.skip_lr_decay = self.skip_mom_decay = self.decay_step_size == 0
        self.min_lrs = _format_param(fn, optimizer, cycle_min_lr, "cycle_min_lr")
        self.max_lrs = _format_param(fn, optimizer, cycle_max_lr, "cycle_max_lr")
        self.decay_lr_rate = V.value(fn, "decay_lr_rate", _number(decay_lr_rate))
        if math.isclose(self.decay_lr_rate, 0):
            self.skip_lr_decay = True
        self.cycle_momentum = V.boolean(fn, "cycle_momentum", cycle_momentum)
        defaults = getattr(optimizer, "defaults", None)
        if self.cycle_momentum and not (isinstance(defaults, dict) and "betas" in defaults):
            warnings.warn(f"cycle_momentum is disabled because optimizer {type(optimizer).__name__} does not support "
                          f"momentum, no betas attribute in defaults", UserWarning, stacklevel=_caller_level())  # fmt: skip
            self.cycle_momentum = False
        if self.cycle_momentum:
            self.decay_mom_rate = V.value(fn, "decay_mom_rate", _number(decay_mom_rate))
            self.min_moms = [(m, 0.99) for m in _format_param(fn, optimizer, cycle_min_mom, "cycle_min_mom")]
            self.max_moms = [(m, 0.99) for m in _format_param(fn, optimizer, cycle_max_mom, "cycle_max_mom")]
            if math.isclose(self.decay_mom_rate, 0):
                self.skip_mom_decay = True
        s1, s2 = max(0, self.first_stair_count), max(0, self.second_stair_count)
        lrs = []
        for low, high in zip(self.min_lrs, self.max_lrs):
            if self.skip_lr_decay:
                after = constant(low)
            else:
                after = inverse_time(init_value=low, decay_rate=self.decay_lr_rate, decay_steps=self.decay_step_size)
            f = _cycle(fn, up, down, s1, s2, lambda s, lo=low, hi=high: lo + (hi - lo) * s, after)
            lrs.append(_after_construction(low, f))
        fields = {"lr": lrs}
        if self.cycle_momentum:
            moms = []
            for (low, _), (high, _) in zip(self.min_moms, self.max_moms):
                if self.skip_mom_decay or self.decay_mom_rate == 0:
                    after = constant(high)
                else:  # high (1 + rate n / size): a line without end
                    far = high * (1 + self.decay_mom_rate * (_FOREVER / self.decay_step_size))
                    after = linear(init_value=high, end_value=far, steps=_FOREVER)
                f = _cycle(fn, up, down, s1, s2, lambda s, lo=low, hi=high: hi - (hi - lo) * s, after)
                moms.append(_after_construction(low, f))
            fields["betas[0]"] = moms
            fields["betas[1]"] = [constant(0.99)] * len(moms)  # DeepSpeed writes (momentum, 0.99)
        self._start(optimizer, fields, None, last, written=False)

    def step(self, batch_iteration=None):
        """Advance one batch (or jump to ``batch_iteration``) and write its lrs (and momenta)."""
        if batch_iteration is None and self._held is None:
            self._driver.step()
            return
        self._go(batch_iteration)

    def get_mom(self):
        """The ``betas`` at ``last_batch_iteration`` (computed, not written), or None without momentum cycling."""
        if not self.cycle_momentum:
            return None
        if self._driver.last_step == 0:  # batch -1: DeepSpeed's formula gives the cycle's start, cycle_max_mom
            return [(high, 0.99) for high, _ in self.max_moms]  # (its constructor wrote cycle_min_mom)
        return [(b, 0.99) for b in self._at("betas[0]")]


@V.explain_arguments
class LRRangeTest(_DeepSpeedScheduler):
    """DeepSpeed's ``LRRangeTest``: ``lr = min_lr (1 + rate * interval)``, ``interval = (t + 1) / step_size``
    (floored with ``lr_range_test_staircase``), ``t = last_batch_iteration``; ``min_lr`` after construction."""

    def __init__(self, optimizer, lr_range_test_min_lr=1e-3, lr_range_test_step_size=2000,
                 lr_range_test_step_rate=1.0, lr_range_test_staircase=False, last_batch_iteration=-1):  # fmt: skip
        fn = type(self).__name__
        optimizer = _optimizer(fn, optimizer)
        n = len(optimizer.param_groups)
        if isinstance(lr_range_test_min_lr, (list, tuple)) and len(lr_range_test_min_lr) != n:
            raise ValueError("expected {} lr_range_test_min_lr, got {}".format(n, len(lr_range_test_min_lr)))
        low = _format_param(fn, optimizer, lr_range_test_min_lr, "lr_range_test_min_lr")
        size = lr_range_test_step_size
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ValueError(f"lr_range_test_step_size must be a positive integer, got {lr_range_test_step_size}")
        last = _last_batch(fn, last_batch_iteration)
        self.optimizer = optimizer
        self.min_lr = low
        self.step_size = V.integer(fn, "lr_range_test_step_size", size, minimum=1)
        self.step_rate = V.value(fn, "lr_range_test_step_rate", _number(lr_range_test_step_rate))
        self.staircase = V.boolean(fn, "lr_range_test_staircase", lr_range_test_staircase)
        sources = []
        for x in low:
            if self.staircase:
                sources.append(_Stairs(x, self.step_rate, self.step_size))
            else:  # x (1 + rate s / size) at adapter step s = t + 1: a line without end
                far = x * (1 + self.step_rate * (_FOREVER / self.step_size))
                sources.append(linear(init_value=x, end_value=far, steps=_FOREVER))
        self._start(optimizer, {"lr": sources}, None, last, written=True)

    def step(self, batch_iteration=None):
        """Advance one batch (or jump to ``batch_iteration``) and write its lrs."""
        if batch_iteration is None and self._held is None:
            self._driver.step()
            return
        self._go(batch_iteration)


# -- DeepSpeed's JSON config ---------------------------------------------------------------------

_CLASSES = {c.__name__: c for c in (WarmupLR, WarmupDecayLR, WarmupCosineLR, OneCycle, LRRangeTest)}
_TORCH_FALLBACK = "torch.optim.lr_scheduler"


def _params_of(cls):
    """The names a config's ``params`` may hold: the constructor's, without the optimizer."""
    return [p for p in inspect.signature(cls.__init__).parameters if p not in ("self", "optimizer")]


def _default_of(cls, name):
    p = inspect.signature(cls.__init__).parameters.get(name)
    return None if p is None or p.default is inspect.Parameter.empty else p.default


@V.explain_arguments
def from_config(config, optimizer, **overrides):
    """The drop-in a DeepSpeed config's ``"scheduler"`` block describes, for ``deepspeed.initialize(lr_scheduler=...)``
    or the Hugging Face Trainer's ``optimizers=(optimizer, scheduler)``.

    Parameters
    ----------
    config : dict
        ``{"type": "WarmupDecayLR", "params": {...}}``, or a whole DeepSpeed
        config holding one under ``"scheduler"`` (then its
        ``gradient_accumulation_steps`` is read for the warning below).  A type
        DeepSpeed resolves from ``torch.optim.lr_scheduler`` instead (``"StepLR"``,
        ...) gives ``lrsched.torch``'s drop-in of that name.
    optimizer : torch.optim.Optimizer
    **overrides
        Params that replace (or fill in) the config's: the way to give the
        values an ``"auto"`` stands for (which the Hugging Face Trainer fills in
        from its ``TrainingArguments``, e.g. ``total_num_steps``, ``warmup_max_lr``).

    Raises
    ------
    lrsched.UnknownName (a ValueError)
        An unknown ``type``, naming the closest valid ones.
    lrsched.ArgumentError (a TypeError and a ValueError)
        An unknown params key or override, naming the closest valid names.
    ValueError
        A param left at ``"auto"``, naming it.

    Warns
    -----
    UserWarning
        ``warmup_max_lr`` (given, or ``WarmupDecayLR``'s default 0.001) replacing
        a different lr the optimizer was built with, giving both; and, with a
        whole config whose ``gradient_accumulation_steps`` > 1, that DeepSpeed
        steps the scheduler once per optimizer update, so ``total_num_steps``
        (and ``warmup_num_steps``) count updates, with the numbers.

    Examples
    --------
    >>> import torch
    >>> from lrsched.deepspeed import from_config
    >>> opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    >>> ds = {"scheduler": {"type": "WarmupDecayLR", "params": {"warmup_num_steps": 10, "total_num_steps": "auto",
    ...                                                         "warmup_max_lr": 1e-3}}}
    >>> sched = from_config(ds, opt, total_num_steps=100)
    >>> type(sched).__name__, sched.total_num_steps
    ('WarmupDecayLR', 100)
    """
    fn = "from_config"
    if not isinstance(config, dict):
        V.fail(fn, "config", 'a dict (a DeepSpeed config, or its "scheduler" block)', config, TypeError)
    whole = None
    where = "config"
    block = config
    if "scheduler" in config:
        whole, block, where = config, config["scheduler"], "config['scheduler']"
        if not isinstance(block, dict):
            V.fail(fn, where, 'a dict {"type": ..., "params": {...}}', block, TypeError)
    if "type" not in block:
        raise ValueError(f"{fn}: `{where}` must have a 'type' (one of {sorted(_CLASSES)}), got keys {sorted(map(str, block))}.")
    kind = block["type"]
    params = block.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        V.fail(fn, f"{where}['params']", "a dict of the scheduler's arguments", params, TypeError)
    torch_fallback = False
    if kind in _CLASSES:
        cls = _CLASSES[kind]
    else:
        from . import torch as _lrs_torch

        if not (isinstance(kind, str) and kind in _lrs_torch.__all__ and kind != "LRScheduler"):
            allowed = sorted(_CLASSES) + sorted(n for n in _lrs_torch.__all__ if n != "LRScheduler")
            raise V.UnknownName(fn, kind, allowed, key=f"{where}['type']",
                                rule="one of DeepSpeed's schedulers (deepspeed.runtime.lr_schedules) or torch's "
                                     "(torch.optim.lr_scheduler, which DeepSpeed falls back to)")  # fmt: skip
        cls = getattr(_lrs_torch, kind)
        torch_fallback = True
    allowed = _params_of(cls)
    unknown = [k for k in [*params, *overrides] if k not in allowed]
    if unknown:
        raise V.argument_error(f"{fn}: {kind} params", allowed, unknown=list(dict.fromkeys(unknown)))
    args = {**params, **overrides}
    for k, v in args.items():
        if isinstance(v, str) and v == "auto":
            raise ValueError(
                f"{fn}: `{where}['params'][{k!r}]` is \"auto\", a value the Hugging Face Trainer fills in from its "
                f"TrainingArguments; give it here instead: from_config(config, optimizer, {k}=...)."
            )
    if torch_fallback:
        return cls(optimizer, **args)
    if kind in ("WarmupLR", "WarmupDecayLR"):
        _warn_max_lr(fn, kind, optimizer, args.get("warmup_max_lr", _default_of(cls, "warmup_max_lr")),
                     "warmup_max_lr" in args)  # fmt: skip
    if whole is not None and kind in ("WarmupDecayLR", "WarmupCosineLR"):
        _warn_accumulation(fn, whole, args)
    return cls(optimizer, **args)


def _warn_max_lr(fn, kind, optimizer, max_lr, given):
    if max_lr is None:
        return
    groups = _optimizer(fn, optimizer).param_groups
    tops = max_lr if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
    for k, (g, top) in enumerate(zip(groups, tops)):
        lr = _number(g.get("lr"))
        if V._is_real(lr) and V._is_real(top) and float(lr) != float(top):
            how = "" if given else " (DeepSpeed's default)"
            warnings.warn(
                f"{fn}: {kind}'s warmup_max_lr={top!r}{how} replaces the lr the optimizer was built with, "
                f"{float(lr)!r} (param group {k}): DeepSpeed warms up to warmup_max_lr whatever the optimizer's lr "
                f"(deepspeedai/DeepSpeed#7303). Set warmup_max_lr to the lr you mean"
                f"{' (WarmupLR takes the optimizer lr when it is left out)' if kind == 'WarmupLR' else ''}.",
                UserWarning, stacklevel=_caller_level(),
            )  # fmt: skip
            return


def _warn_accumulation(fn, whole, args):
    gas = whole.get("gradient_accumulation_steps")
    total = args.get("total_num_steps")
    if not (V._is_int(gas) and gas > 1 and V._is_int(total)):
        return
    w = args.get("warmup_num_steps", 1000)
    warm = f" and warmup_num_steps={w}" if V._is_int(w) else ""
    warnings.warn(
        f"{fn}: gradient_accumulation_steps={gas}: DeepSpeed steps the scheduler once per optimizer update (every "
        f"{gas} micro-batches), so total_num_steps={total}{warm} count optimizer updates: {total} updates are "
        f"{total * gas} micro-batches. If {total} is the number of micro-batches (or of batches of a data loader), "
        f"the schedule runs {gas}x too long; pass total_num_steps={total // gas}"
        f"{f' and warmup_num_steps={w // gas}' if warm else ''}.",
        UserWarning, stacklevel=_caller_level(),
    )  # fmt: skip
