"""Drop-ins for ``timm.scheduler`` (timm 1.0.31): same names, signatures, attributes, state and values.

Change one import line::

    from timm.scheduler import CosineLRScheduler, create_scheduler_v2     # before
    from lrsched.timm import CosineLRScheduler, create_scheduler_v2       # after

Each class keeps timm's arguments as attributes under timm's names, lowers
them to one lrsched ``Schedule`` per param group (``sched.schedules["lr"][k]``,
so a table can be precomputed without stepping) and runs on the core adapter
(``lrsched.adapter``): ``step_update(n)`` after ``step_update(n - 1)`` is one
index and one store per group; any other ``n`` is an O(1) seek.  timm itself
is never imported.

timm's conventions, reproduced (each is tested against timm's own classes):

- The scheduler is a function of the count passed in: ``step(epoch, metric)``
  writes the lrs of ``epoch`` when ``t_in_epochs=True`` and does nothing
  otherwise; ``step_update(num_updates, metric)`` writes the lrs of
  ``num_updates`` when ``t_in_epochs=False`` and does nothing otherwise.
  There is no counter: a resumed run passes the count (timm's ``train.py``
  calls ``step_update(start_epoch * updates_per_epoch)``).
- Construction (``initialize=True``) sets ``group.setdefault("initial_lr",
  group["lr"])`` (``initialize=False`` requires ``initial_lr``, timm's
  ``KeyError``), takes ``base_values`` from ``initial_lr``, writes
  ``base * lr_scale`` into every group, then ``warmup_lr_init * lr_scale``
  when ``warmup_t > 0``: not the schedule's value at 0 (a tanh starts just
  below its base lr, the groups hold the base lr until the first step).
- Every value written is multiplied by the group's ``lr_scale`` when the
  group has one (timm's layer-wise lr decay).
- Warmup: ``warmup_lr_init + t * warmup_steps[k]`` for ``t < warmup_t``,
  ``warmup_steps[k] = (base_k - warmup_lr_init) / warmup_t`` (the tanh
  scheduler without prefix ramps to its decay's value at ``warmup_t``).
  With ``warmup_prefix=False`` (timm's default for cosine, tanh and poly; step
  and multistep default to True) the decay runs on the absolute ``t`` and the
  warmup covers its first steps; with ``True`` the decay starts after it.
- Cycles (``CosineLRScheduler``, ``TanhLRScheduler``, ``PolyLRScheduler``):
  cycle ``i`` lasts ``t_initial * cycle_mul**i``, peaks at
  ``base * cycle_decay**i``, and after ``cycle_limit`` cycles the value is
  ``lr_min``; ``k_decay`` raises the position in the cycle to ``k`` first.
- ``MultiStepLRScheduler``: milestone ``m`` applies at ``t = m - 1`` (timm's
  compatibility convention, one step before torch's ``MultiStepLR``).
- Noise (``noise_range_t``, ``noise_pct``, ``noise_std``, ``noise_seed``,
  ``noise_type``): inside the range the value ``v`` becomes ``v + v * n``
  with ``n`` drawn as timm draws it, from a ``torch.Generator`` seeded with
  ``noise_seed + t`` -- the same numbers, so a noisy run is timm's run.  The
  draw happens in the step path, on top of the schedule's value;
  ``sched.schedules`` are the values without noise.
- ``state_dict()`` is timm's: the scheduler's attributes, without the
  optimizer (``PlateauLRScheduler``: ``best`` and ``last_epoch``), so a state
  saved here loads into timm's class and back; ``load_state_dict`` replaces
  the attributes, as timm's ``__dict__.update`` does, and the values follow
  them.  Setting an attribute (``sched.t_initial = 50``) takes effect at the
  next step, as in timm, which reads them at every step.
- ``create_scheduler_v2`` returns ``(scheduler, num_epochs)`` as timm's
  (with ``cosine``, ``tanh``, ``step``, ``constant``, ``multistep``,
  ``plateau``, ``poly``, ``wsd``, ``rsqrt`` and ``none``), ``scheduler_kwargs``
  the same dict, ``create_scheduler(args, optimizer, updates_per_epoch)``
  the same pair.

**timm's float-log cycle index.**  With ``cycle_mul != 1`` timm finds the
cycle of ``t`` as ``floor(log(1 - t / t_initial * (1 - cycle_mul), cycle_mul))``;
at a restart step the float logarithm can land just below the whole number
(``cycle_mul=3``: ``t = 121 * t_initial`` for ``t_initial`` 1, 3, 10,
..., and the 10th, 13th, 15th restarts ...), and timm then evaluates the end
of the previous cycle there (``lr_min`` for cosine and poly) instead of the
new cycle's peak; far out (past about 10**14 steps with ``cycle_mul=2``) the
step before a restart can land in the next cycle.  This module is a drop-in,
so it reproduces timm's values there: the schedules carry those steps as
patches (found at construction by evaluating timm's index at every restart
and the step before it).  For the exact cycles, use ``lrsched.sgdr``, whose
cycle index is integer arithmetic.

How the values are computed (all with ``lrsched`` factories, in float64):

========================= ==========================================================================
class                     schedule per group (``W = warmup_t``)
========================= ==========================================================================
CosineLRScheduler         ``join([linear ramp, sgdr(...)], [W])`` (``shift`` of the sgdr by ``W``
                          without prefix), patched at timm's misindexed restarts
TanhLRScheduler           the same with ``tanh`` cycles (``repeat`` or a ``join`` of cycles)
PolyLRScheduler           the same with ``sgdr(shape="polynomial")``
StepLRScheduler           ramp, then ``step``
MultiStepLRScheduler      ramp, then ``multistep`` at ``m - 1``
WSDLRScheduler            ramp, then ``wsd`` (its stable phase, the decay times it, ``lr_min``)
PlateauLRScheduler        ramp (epochs ``<= W``), then ``lrsched.torch.ReduceLROnPlateau`` as
                          ``self.lr_scheduler`` (lrsched's plateau controller, torch's rules), as
                          timm wraps torch's class
========================= ==========================================================================

Where lrsched differs:

- The slow path: arguments no lrsched schedule represents -- a
  ``cycle_mul`` that is not a whole number (cycles of real length),
  ``cycle_mul < 1``, ``cycle_decay > 1``, ``lr_min`` above a base lr, more
  than 256 cycles of a tanh with decaying peaks, a fractional ``decay_t``,
  unsorted milestones, a ``decay_rate`` above 1, a WSD with a callable
  ``decay_fn`` or a fractional ``stable_timescale`` --
  give a Python function of the step
  with timm's formula instead of a Schedule.  Its values are timm's, but
  ``sched.schedules`` raises ``AttributeError`` (no tables).
- The count passed to ``step``/``step_update`` must be a whole number >= 0
  (``5`` or ``5.0``); timm computes with a fractional epoch too.
- A param group's ``lr_scale`` is read when the schedules are built (at
  construction, ``load_state_dict`` and after a changed attribute); timm
  reads it at every step.  A tensor lr is filled in place (timm replaces it
  with a float).
- Values equal timm's to 1e-12 relative (1e-14 of the peak where a cosine
  ends near 0, where timm's own ``1 + cos`` cancels).
- timm's ``assert`` checks are ``ValueError``s naming the argument, and a
  noise with ``noise_pct <= 0`` (on which timm's normal draw never returns)
  is refused.
"""

from __future__ import annotations

import bisect
import logging
import math
import warnings
import weakref

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .adapter import _param_groups, _PresetScheduler, read_value, write_value
from .cycles import repeat, sgdr
from .phases import wsd as _wsd
from .schedules import constant, join, linear, multistep, product
from .schedules import step as _step_schedule
from .schedules import tanh as _tanh
from .surgery import shift

_torch = V.import_torch("lrsched.timm", " (timm's noise is drawn with torch.Generator)")

__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PlateauLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "WSDLRScheduler",
    "create_scheduler",
    "create_scheduler_v2",
    "scheduler_kwargs",
]

_logger = logging.getLogger(__name__)

_MAX_PIECES = 256  # cycles laid out one by one (a tanh with decaying peaks); more: the slow path
_BASE_KEYS = ("param_group_field", "_initial_param_group_field", "base_values", "metric", "t_in_epochs",
              "noise_range_t", "noise_pct", "noise_type", "noise_std", "noise_seed")  # timm's Scheduler's, in order
_NO_EFFECT = ("Cosine annealing scheduler will have no effect on the learning rate since t_initial = t_mul = "
              "eta_mul = 1.")  # fmt: skip
_PLATEAU_DEPRECATION = (
    "PlateauLRScheduler is deprecated and will be removed in a future timm release. Its metric-driven state "
    "(best metric, patience and cooldown counters) is not saved in checkpoints, so a resumed run restarts the "
    "plateau logic, and checkpoint support will not be added. Use a fixed schedule such as cosine or wsd, "
    "sweep.py can branch WSD cooldowns at several budgets to compare against a plateau-driven decay."
)


# -- checks -------------------------------------------------------------------------------------


def _whole(fn, name, v, minimum=0):
    """A count timm takes as a number: an integer, or a float with an integral value (``10.0``)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return V.integer(fn, name, v, minimum=minimum)


def _count(fn, name, v):
    """A step count ``t`` (timm's epoch or update number), as an int."""
    if type(v) is int and 0 <= v <= MAX_STEP:
        return v
    if V._is_real(v) and not V._is_int(v) and float(v).is_integer():
        v = int(v)
    elif hasattr(v, "item") and getattr(v, "ndim", 1) == 0:  # a 0-d tensor or array
        return _count(fn, name, v.item())
    return V.integer(fn, name, v)


def _real(fn, name, v, **kw):
    return V.real(fn, name, v.item() if hasattr(v, "item") else v, **kw)


def _is_whole(x):
    return V._is_int(x) or (isinstance(x, float) and x.is_integer())


# -- the base -----------------------------------------------------------------------------------


class _Source:
    """Group ``k``'s value at step ``t`` from timm's formula (``owner._get_lr``): the slow path's source."""

    __slots__ = ("_owner", "_k")

    def __init__(self, owner, k):
        self._owner, self._k = weakref.ref(owner), k

    def __call__(self, t):
        return self._owner()._get_lr(int(t))[self._k]

    def __eq__(self, other):
        return type(other) is _Source and other._k == self._k

    def __hash__(self):
        return hash(self._k)


class _TimmScheduler:
    """timm's ``Scheduler`` on the core adapter: the attributes, the count-driven steps, lr_scale and noise.

    A subclass keeps its arguments as attributes under timm's names
    (``_keys``: its state keys after the base's, in timm's order), computes
    ``warmup_steps`` and calls ``_launch()``.  ``_body(k)`` gives group
    ``k``'s decay (a Schedule in decay time, or None: the slow path);
    ``_get_lr(t)`` is timm's formula, for the slow path and the patches.
    Setting any of ``_keys`` marks the schedules stale: they are rebuilt at
    the next step, as timm reads its attributes at every step.
    """

    _keys = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # a wrong call raises ArgumentError, naming the closest of timm's names
            cls.__init__ = V.explain_arguments(cls.__dict__["__init__"], function=cls.__name__)

    def __setattr__(self, name, value):
        object.__setattr__(self, name, value)
        if name in self._keys and "_driver" in self.__dict__:
            object.__setattr__(self, "_stale", True)

    def _begin(self, fn, optimizer, param_group_field, t_in_epochs, noise_range_t, noise_type, noise_pct, noise_std,
               noise_seed, initialize):  # fmt: skip
        """timm's base checks; returns the base values (the groups are not changed yet)."""
        groups = _param_groups(fn, optimizer)
        if not isinstance(param_group_field, str):
            V.fail(fn, "param_group_field", "a field name such as 'lr'", param_group_field, TypeError)
        initial = f"initial_{param_group_field}"
        initialize = V.boolean(fn, "initialize", initialize)
        for i, g in enumerate(groups):
            if initialize and param_group_field not in g:
                raise KeyError(f"{param_group_field} missing from param_groups[{i}]")
            if not initialize and initial not in g:
                raise KeyError(f"{initial} missing from param_groups[{i}]")
        base = [g.get(initial, g.get(param_group_field)) if initialize else g[initial] for g in groups]
        for k, b in enumerate(base):
            V.value(fn, f"param_groups[{k}][{initial!r}]", float(b))
        V.boolean(fn, "t_in_epochs", t_in_epochs)
        _noise_range(fn, noise_range_t)
        V.choice(fn, "noise_type", noise_type, ("normal", "uniform"))
        if noise_range_t is not None and noise_type == "normal":
            _real(fn, "noise_pct", noise_pct, minimum=0.0, low_open=True, note=" (timm's normal draw never ends)")
        else:
            _real(fn, "noise_pct", noise_pct)
        _real(fn, "noise_std", noise_std)
        if noise_seed is not None:
            V.integer(fn, "noise_seed", noise_seed, minimum=-(2**62))
        self._initialize = initialize
        return base

    def _attributes(self, optimizer, param_group_field, base, t_in_epochs, noise_range_t, noise_type, noise_pct,
                    noise_std, noise_seed):  # fmt: skip
        """The base's attributes, as timm sets them (every check has passed: the groups change here)."""
        object.__setattr__(self, "optimizer", optimizer)
        self.param_group_field = param_group_field
        self._initial_param_group_field = f"initial_{param_group_field}"
        if self._initialize:
            for g in optimizer.param_groups:
                g.setdefault(self._initial_param_group_field, g[param_group_field])
        self.base_values = [g[self._initial_param_group_field] for g in optimizer.param_groups]
        self.metric = None
        self.t_in_epochs = t_in_epochs
        self.noise_range_t = noise_range_t
        self.noise_pct = noise_pct
        self.noise_type = noise_type
        self.noise_std = noise_std
        self.noise_seed = noise_seed if noise_seed is not None else 42
        self.update_groups(self.base_values)

    def _ramp_steps(self, targets=None):
        """timm's ``warmup_steps``: the per-step rise of each group's warmup (1 without warmup)."""
        w, init = self.warmup_t, self.warmup_lr_init
        if not w:
            return [1 for _ in self.base_values]
        return [(v - init) / w for v in (self.base_values if targets is None else targets)]

    def _launch(self):
        """The schedules and the driver; with a warmup, the groups start at ``warmup_lr_init`` (timm's)."""
        self._build()
        if self.warmup_t:
            self.update_groups(self.warmup_lr_init)

    # -- the schedules ---------------------------------------------------------------------

    def _build(self):
        """One source per group (a Schedule, or timm's formula: the slow path) and the driver over them."""
        fn = type(self).__name__
        groups = self.optimizer.param_groups
        sources = [self._source(k) for k in range(len(groups))]
        scales = None
        if any("lr_scale" in g for g in groups):
            scales = [float(g["lr_scale"]) if "lr_scale" in g else 1.0 for g in groups]
            for k, x in enumerate(scales):
                V.value(fn, f"param_groups[{k}]['lr_scale']", x)
        object.__setattr__(self, "_sources", sources)
        object.__setattr__(self, "_scales", scales)
        object.__setattr__(self, "_driver", _PresetScheduler(self.optimizer, {self.param_group_field: sources},
                                                             scales=scales, write=False))  # fmt: skip
        object.__setattr__(self, "_t", None)  # the step last written (None: none yet)
        object.__setattr__(self, "_stale", False)

    def _source(self, k):
        body = self._body(k)
        if body is None:
            return _Source(self, k)
        w = self._warmup_length()
        if w:
            ramp = linear(init_value=self.warmup_lr_init, end_value=self.warmup_lr_init + w * self.warmup_steps[k],
                          steps=w)  # fmt: skip
            prefix = self._prefixed()
            body = join([ramp, body if prefix else shift(body, -w)], [w])
        return self._patched(body, k)

    def _warmup_length(self):
        return _whole(type(self).__name__, "warmup_t", self.warmup_t)

    def _prefixed(self):
        return bool(self.warmup_prefix)

    def _patched(self, schedule, k):
        """``schedule`` with timm's value at the steps where it differs by more than rounding (``_quirks``)."""
        patches = {t: float(self._get_lr(t)[k]) for t in self._quirks()}
        if not patches:
            return schedule
        pieces, bounds = [schedule], []
        for t in sorted(patches):
            if bounds and bounds[-1] == t:  # the patch before ends here: no piece of the schedule between
                pieces.pop()
            else:
                bounds.append(t)
            pieces += [constant(patches[t]), shift(schedule, -(t + 1))]
            bounds.append(t + 1)
        return join(pieces, bounds)

    def _quirks(self):
        return ()

    def _body(self, k):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _get_lr(self, t):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    @property
    def schedules(self):
        """``{"lr": [Schedule per group]}``: the values ``step``/``step_update`` write at each ``t``, without noise
        (``lr_scale`` included).  ``AttributeError`` on the slow path (see the module docstring)."""
        if self._stale:
            self._build()
        if not all(isinstance(s, Schedule) for s in self._sources):
            raise AttributeError("schedules: these arguments take the slow path (timm's formula per step); "
                                 "see lrsched.timm's docstring")  # fmt: skip
        if self._scales is None:
            return {self.param_group_field: list(self._sources)}
        return {self.param_group_field: [s if c == 1.0 else product([constant(c), s])
                                         for s, c in zip(self._sources, self._scales)]}  # fmt: skip

    # -- stepping (timm's names) -----------------------------------------------------------

    def step(self, epoch, metric=None):
        """At the end of an epoch: write the lrs of ``epoch`` (when ``t_in_epochs``)."""
        self.metric = metric
        if self.t_in_epochs:
            self._write_at(epoch)

    def step_update(self, num_updates, metric=None):
        """After an optimizer update: write the lrs of ``num_updates`` (when not ``t_in_epochs``)."""
        self.metric = metric
        if not self.t_in_epochs:
            self._write_at(num_updates)

    def _write_at(self, t):
        if self._stale:
            self._build()
        last = self._t
        if last is not None and t == last + 1 and type(t) is int:
            self._driver.step()  # the common case: the next step
        else:
            t = _count(f"{type(self).__name__}.step", "epoch" if self.t_in_epochs else "num_updates", t)
            self._driver.seek(t)
        object.__setattr__(self, "_t", t)
        if self.noise_range_t is not None and self._is_apply_noise(t):
            self._write_noisy(t)

    def _write_noisy(self, t):
        """timm's ``v + v * noise`` on the schedule's value ``v``, then ``lr_scale``."""
        noise = self._calculate_noise(t)
        self.update_groups([v + v * noise for v in self._values(t)])

    def _values(self, t):
        """Each group's value at ``t`` before ``lr_scale`` (the table's own float)."""
        return [s.at(t) if isinstance(s, Schedule) else float(s(t)) for s in self._sources]

    def update_groups(self, values):
        """timm's write: ``value * lr_scale`` (or the value) into each group's ``param_group_field``."""
        groups = self.optimizer.param_groups
        if not isinstance(values, (list, tuple)):
            values = [values] * len(groups)
        key = self.param_group_field
        for g, v in zip(groups, values):
            write_value(g, key, None, v * g["lr_scale"] if "lr_scale" in g else v)

    def _is_apply_noise(self, t):
        """Whether ``t`` is in ``noise_range_t`` (``[start, stop)``, or from ``start`` on)."""
        r = self.noise_range_t
        if r is None:
            return False
        if isinstance(r, (list, tuple)):
            return r[0] <= t < r[1]
        return t >= r

    def _calculate_noise(self, t):
        """The noise at ``t``: timm's draw from a ``torch.Generator`` seeded with ``noise_seed + t`` (normal:
        ``randn * noise_std`` drawn again until below ``noise_pct`` in magnitude; uniform: in
        ``[-noise_pct, noise_pct)``)."""
        g = _torch.Generator()
        g.manual_seed(self.noise_seed + t)
        if self.noise_type == "normal":
            while True:
                n = _torch.randn(1, generator=g).item() * self.noise_std
                if abs(n) < self.noise_pct:
                    return n
        return 2 * (_torch.rand(1, generator=g).item() - 0.5) * self.noise_pct

    def _get_values(self, t, on_epoch=True):
        """timm's ``_get_values``: the lrs at ``t`` when the kind of step matches ``t_in_epochs``, else None."""
        if bool(on_epoch) != bool(self.t_in_epochs):
            return None
        return self._get_lr(t)

    # -- state (timm's) --------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """timm's state: the scheduler's attributes, without the optimizer."""
        return {k: _plain_copy(getattr(self, k)) for k in (*_BASE_KEYS, *self._keys)}

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        """Take the saved attributes (timm's ``__dict__.update``); the values follow them from the next step.

        The schedules are rebuilt from them at once, so a state whose
        arguments give no schedule is refused here, before anything changes.
        """
        fn = f"{type(self).__name__}.load_state_dict"
        keys = (*_BASE_KEYS, *self._keys)
        got = V.state_fields(fn, state_dict, {k: (lambda fn, name, v: v, getattr(self, k)) for k in keys})
        saved = {k: self.__dict__[k] for k in keys if k in self.__dict__}
        try:
            for k in keys:
                object.__setattr__(self, k, _plain_copy(got[k]))
            self._build()
        except (ValueError, TypeError, KeyError) as e:
            for k, v in saved.items():
                object.__setattr__(self, k, v)
            self._build()
            raise type(e)(f"{fn}: the saved arguments give no schedule: {e}") from None

    def __getstate__(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("_driver", "_sources", "_scales")}
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        t = state.get("_t")
        self._build()
        if t is not None:
            self._driver._move(t)
            object.__setattr__(self, "_t", t)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={getattr(self, k)!r}' for k in self._keys[:4])}, ...)"


def _plain_copy(v):
    return list(v) if isinstance(v, list) else v


def _noise_range(fn, r):
    if r is None:
        return None
    if isinstance(r, (list, tuple)):
        if len(r) < 2:
            V.fail(fn, "noise_range_t", "a number, a [start, stop) pair or None", r)
        return [_real(fn, f"noise_range_t[{i}]", x) for i, x in enumerate(r[:2])]
    return _real(fn, "noise_range_t", r)


# -- cycles (cosine, tanh, poly) ----------------------------------------------------------------


class _Cycles(_TimmScheduler):
    """timm's cycles: the position, the length and the index of ``t``'s cycle (the float log for cycle_mul != 1)."""

    def _check_cycles(self, fn, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
                      k_decay=1.0):  # fmt: skip
        if not (V._is_real(t_initial) and t_initial > 0):
            V.fail(fn, "t_initial", "> 0 (timm asserts it)", t_initial)
        _real(fn, "lr_min", lr_min, minimum=0.0)
        _real(fn, "cycle_mul", cycle_mul, minimum=0.0, low_open=True)
        _real(fn, "cycle_decay", cycle_decay, minimum=0.0)
        _real(fn, "cycle_limit", cycle_limit, minimum=0.0)
        _whole(fn, "warmup_t", warmup_t)
        _real(fn, "warmup_lr_init", warmup_lr_init, minimum=0.0)
        _real(fn, "k_decay", k_decay, minimum=0.0, low_open=True)
        if t_initial == 1 and cycle_mul == 1 and cycle_decay == 1:
            _logger.warning(_NO_EFFECT)

    def _cycle(self, u):
        """``(i, t_i, t_curr)``: the cycle of decay step ``u``, its length and the position in it (timm's)."""
        m, t0 = self.cycle_mul, self.t_initial
        if m == 1:
            i = u // t0
            return i, t0, u - t0 * i
        i = math.floor(math.log(1 - u / t0 * (1 - m), m))
        return i, m**i * t0, u - (1 - m**i) / (1 - m) * t0

    def _get_lr(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        u = t - self.warmup_t if self.warmup_prefix else t
        i, t_i, t_curr = self._cycle(u)
        if not i < self.cycle_limit:
            return [self.lr_min for _ in self.base_values]
        gamma = self.cycle_decay**i
        return [self._shape(v * gamma, t_i, t_curr) for v in self.base_values]

    @V.explain_arguments
    def get_cycle_length(self, cycles=0):
        """Steps of ``cycles`` cycles (``cycle_limit`` by default), plus the warmup when it is a prefix."""
        cycles = max(1, cycles or self.cycle_limit)
        if self.cycle_mul == 1.0:
            t = self.t_initial * cycles
        else:
            t = int(math.floor(-self.t_initial * (self.cycle_mul**cycles - 1) / (1 - self.cycle_mul)))
        return t + self.warmup_t if self.warmup_prefix else t

    def _layout(self):
        """``(t0, m, limit)`` for exact cycles (whole ``t_initial`` and ``cycle_mul >= 1``, decay in [0, 1]), the
        number of cycles capped where no cycle starts before 2**62 (None: no end); or None (the slow path)."""
        t0, m, d = self.t_initial, self.cycle_mul, self.cycle_decay
        if not (_is_whole(t0) and _is_whole(m) and m >= 1 and 0 < d <= 1 and m <= 2**31):
            return None
        t0, m = int(t0), int(m)
        limit = math.ceil(self.cycle_limit)
        if limit > 64 or _start(t0, m, limit) > MAX_STEP:
            limit = None
        return t0, m, limit

    def _quirks(self):
        """Steps where timm's float-log cycle index is not the cycle the step is in (at restarts, see the module
        docstring), in absolute steps."""
        layout = self._layout()
        if layout is None or layout[1] == 1:
            return ()
        t0, m, _ = layout
        offset = self.warmup_t if self.warmup_prefix else 0
        limit = self.cycle_limit
        out = []
        for n in range(1, 64):
            s = _start(t0, m, n)
            if s + offset > MAX_STEP or n - 1 >= limit:
                break
            for u, exact in ((s - 1, n - 1), (s, n)):
                t = u + offset
                if t < self.warmup_t or u < 0:
                    continue
                if self._cycle(u)[0] != exact:
                    try:
                        v = self._get_lr(t)
                    except (ValueError, TypeError, OverflowError):  # timm's formula fails there: keep the exact value
                        continue
                    if all(V._is_real(x) and math.isfinite(x) and x >= 0 for x in v):
                        out.append(t)
        return out


def _start(t0, m, n):
    """First step of cycle ``n`` (exact integers)."""
    return t0 * n if m == 1 else t0 * (m**n - 1) // (m - 1)


class CosineLRScheduler(_Cycles):
    """timm's ``CosineLRScheduler``: cosine cycles with warmup, restarts, k-decay and noise.

    In cycle ``i`` (length ``t_i``, position ``t_c``) the lr is
    ``lr_min + (base * cycle_decay**i - lr_min) * (1 + cos(pi * t_c**k / t_i**k)) / 2``.

    Examples
    --------
    >>> import torch
    >>> from lrsched.timm import CosineLRScheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    >>> sched = CosineLRScheduler(opt, t_initial=4, warmup_t=2, warmup_lr_init=0.1, warmup_prefix=True)
    >>> sched.schedules["lr"][0].table(8).round(4).tolist()
    [0.1, 0.55, 1.0, 0.8536, 0.5, 0.1464, 0.0, 0.0]
    """

    _keys = ("t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t", "warmup_lr_init",
             "warmup_prefix", "k_decay", "warmup_steps")  # fmt: skip

    def __init__(
        self, optimizer, t_initial, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1, warmup_t=0,
        warmup_lr_init=0.0, warmup_prefix=False, t_in_epochs=True, noise_range_t=None, noise_pct=0.67,
        noise_std=1.0, noise_seed=42, k_decay=1.0, initialize=True,
    ):  # fmt: skip
        fn = "CosineLRScheduler"
        base = self._begin(fn, optimizer, "lr", t_in_epochs, noise_range_t, "normal", noise_pct, noise_std,
                           noise_seed, initialize)  # fmt: skip
        self._check_cycles(fn, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
                           k_decay)  # fmt: skip
        self._attributes(optimizer, "lr", base, t_in_epochs, noise_range_t, "normal", noise_pct, noise_std, noise_seed)
        self.t_initial, self.lr_min = t_initial, lr_min
        self.cycle_mul, self.cycle_decay, self.cycle_limit = cycle_mul, cycle_decay, cycle_limit
        self.warmup_t, self.warmup_lr_init, self.warmup_prefix = warmup_t, warmup_lr_init, warmup_prefix
        self.k_decay = k_decay
        self.warmup_steps = self._ramp_steps()
        self._launch()

    def _shape(self, top, t_i, t_curr):
        k = self.k_decay
        return self.lr_min + 0.5 * (top - self.lr_min) * (1 + math.cos(math.pi * t_curr**k / t_i**k))

    def _body(self, k):
        layout = self._layout()
        v, lo = float(self.base_values[k]), self.lr_min
        if layout is None or lo > v:
            return None
        t0, m, limit = layout
        if limit == 0:
            return constant(lo)
        return sgdr(v, t0, m, end_value=lo, cycle_decay=self.cycle_decay, cycle_limit=limit, k=self.k_decay)


class PolyLRScheduler(_Cycles):
    """timm's ``PolyLRScheduler``: ``lr_min + (top - lr_min) * (1 - t_c**k / t_i**k) ** power`` in cycles."""

    _keys = ("t_initial", "power", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t",
             "warmup_lr_init", "warmup_prefix", "k_decay", "warmup_steps")  # fmt: skip

    def __init__(
        self, optimizer, t_initial, power=0.5, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
        warmup_t=0, warmup_lr_init=0.0, warmup_prefix=False, t_in_epochs=True, noise_range_t=None,
        noise_pct=0.67, noise_std=1.0, noise_seed=42, k_decay=1.0, initialize=True,
    ):  # fmt: skip
        fn = "PolyLRScheduler"
        base = self._begin(fn, optimizer, "lr", t_in_epochs, noise_range_t, "normal", noise_pct, noise_std,
                           noise_seed, initialize)  # fmt: skip
        self._check_cycles(fn, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init,
                           k_decay)  # fmt: skip
        _real(fn, "power", power)
        self._attributes(optimizer, "lr", base, t_in_epochs, noise_range_t, "normal", noise_pct, noise_std, noise_seed)
        self.t_initial, self.power, self.lr_min = t_initial, power, lr_min
        self.cycle_mul, self.cycle_decay, self.cycle_limit = cycle_mul, cycle_decay, cycle_limit
        self.warmup_t, self.warmup_lr_init, self.warmup_prefix = warmup_t, warmup_lr_init, warmup_prefix
        self.k_decay = k_decay
        self.warmup_steps = self._ramp_steps()
        self._launch()

    def _shape(self, top, t_i, t_curr):
        k = self.k_decay
        return self.lr_min + (top - self.lr_min) * (1 - t_curr**k / t_i**k) ** self.power

    def _body(self, k):
        layout = self._layout()
        v, lo = float(self.base_values[k]), self.lr_min
        if layout is None or lo > v or not self.power > 0:
            return None
        t0, m, limit = layout
        if limit == 0:
            return constant(lo)
        return sgdr(v, t0, m, end_value=lo, cycle_decay=self.cycle_decay, cycle_limit=limit, shape="polynomial",
                    power=self.power, k=self.k_decay)  # fmt: skip


class TanhLRScheduler(_Cycles):
    """timm's ``TanhLRScheduler``: ``lr_min + (top - lr_min) (1 - tanh(lb (1 - r) + ub r)) / 2``, ``r = t_c / t_i``.

    Without ``warmup_prefix`` the warmup ramps to the decay's value at ``warmup_t`` (timm's).
    """

    _keys = ("lb", "ub", "t_initial", "lr_min", "cycle_mul", "cycle_decay", "cycle_limit", "warmup_t",
             "warmup_lr_init", "warmup_prefix", "warmup_steps")  # fmt: skip

    def __init__(
        self, optimizer, t_initial, lb=-7.0, ub=3.0, lr_min=0.0, cycle_mul=1.0, cycle_decay=1.0, cycle_limit=1,
        warmup_t=0, warmup_lr_init=0.0, warmup_prefix=False, t_in_epochs=True, noise_range_t=None,
        noise_pct=0.67, noise_std=1.0, noise_seed=42, initialize=True,
    ):  # fmt: skip
        fn = "TanhLRScheduler"
        base = self._begin(fn, optimizer, "lr", t_in_epochs, noise_range_t, "normal", noise_pct, noise_std,
                           noise_seed, initialize)  # fmt: skip
        self._check_cycles(fn, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit, warmup_t, warmup_lr_init)
        lb, ub = _real(fn, "lb", lb), _real(fn, "ub", ub)
        if not lb < ub:
            V.fail(fn, "ub", f"> lb={lb} (timm asserts it)", ub)
        self._attributes(optimizer, "lr", base, t_in_epochs, noise_range_t, "normal", noise_pct, noise_std, noise_seed)
        self.lb, self.ub, self.t_initial, self.lr_min = lb, ub, t_initial, lr_min
        self.cycle_mul, self.cycle_decay, self.cycle_limit = cycle_mul, cycle_decay, cycle_limit
        self.warmup_t, self.warmup_lr_init, self.warmup_prefix = warmup_t, warmup_lr_init, warmup_prefix
        if warmup_t:
            self.warmup_steps = []  # timm's _get_lr at warmup_t, past the warmup: it reads no warmup_steps
            targets = self.base_values if warmup_prefix else self._get_lr(warmup_t)
            self.warmup_steps = self._ramp_steps(targets)
        else:
            self.warmup_steps = self._ramp_steps()
        self._launch()

    def _shape(self, top, t_i, t_curr):
        r = t_curr / t_i
        return self.lr_min + 0.5 * (top - self.lr_min) * (1 - math.tanh(self.lb * (1.0 - r) + self.ub * r))

    def _body(self, k):
        layout = self._layout()
        v, lo = float(self.base_values[k]), self.lr_min
        if layout is None or lo > v:
            return None
        t0, m, limit = layout
        if limit == 0:
            return constant(lo)

        def piece(i):
            return _tanh(init_value=v * self.cycle_decay**i, end_value=lo, steps=t0 * m**i, lower=self.lb,
                         upper=self.ub)  # fmt: skip

        if m == 1 and self.cycle_decay == 1:
            cycles = repeat(piece(0), t0)
            return cycles if limit is None else join([cycles, constant(lo)], [t0 * limit])
        n = limit if limit is not None else next(i for i in range(1, 64) if _start(t0, m, i) > MAX_STEP)
        if n > _MAX_PIECES:
            return None
        starts = [_start(t0, m, i) for i in range(1, n + 1)]
        pieces = [piece(i) for i in range(n)]
        if limit is None:
            return join(pieces, starts[:-1]) if n > 1 else pieces[0]
        return join([*pieces, constant(lo)], starts)


# -- step, multistep ----------------------------------------------------------------------------


class _Steps(_TimmScheduler):
    """StepLRScheduler and MultiStepLRScheduler: timm gives both the same signature and defaults; ``decay_t`` (a
    step or milestones) is checked by each one's ``_check_decay_t``.  Each class spells its ``__init__`` out: an
    unknown argument is then explained under the class's own name."""

    _keys = ("decay_t", "decay_rate", "warmup_t", "warmup_lr_init", "warmup_prefix", "warmup_steps")

    def _construct(self, optimizer, decay_t, decay_rate, warmup_t, warmup_lr_init, warmup_prefix, t_in_epochs,
                   noise_range_t, noise_pct, noise_std, noise_seed, initialize):  # fmt: skip
        fn = type(self).__name__
        base = self._begin(fn, optimizer, "lr", t_in_epochs, noise_range_t, "normal", noise_pct, noise_std,
                           noise_seed, initialize)  # fmt: skip
        self._check_decay_t(fn, decay_t)
        _real(fn, "decay_rate", decay_rate)
        _whole(fn, "warmup_t", warmup_t)
        _real(fn, "warmup_lr_init", warmup_lr_init, minimum=0.0)
        self._attributes(optimizer, "lr", base, t_in_epochs, noise_range_t, "normal", noise_pct, noise_std, noise_seed)
        self.decay_t, self.decay_rate = decay_t, decay_rate
        self.warmup_t, self.warmup_lr_init, self.warmup_prefix = warmup_t, warmup_lr_init, warmup_prefix
        self.warmup_steps = self._ramp_steps()
        self._launch()

    def _get_lr(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        u = t - self.warmup_t if self.warmup_prefix else t
        return [v * (self.decay_rate ** self._decays(u)) for v in self.base_values]


class StepLRScheduler(_Steps):
    """timm's ``StepLRScheduler``: ``base * decay_rate ** (t // decay_t)`` after the warmup (a prefix by default)."""

    def __init__(
        self, optimizer, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True,
        t_in_epochs=True, noise_range_t=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, initialize=True,
    ):  # fmt: skip
        self._construct(optimizer, decay_t, decay_rate, warmup_t, warmup_lr_init, warmup_prefix, t_in_epochs,
                        noise_range_t, noise_pct, noise_std, noise_seed, initialize)  # fmt: skip

    @staticmethod
    def _check_decay_t(fn, decay_t):
        _real(fn, "decay_t", decay_t, minimum=0.0, low_open=True)

    def _decays(self, u):
        return u // self.decay_t

    def _body(self, k):
        v, d, r = float(self.base_values[k]), self.decay_t, self.decay_rate
        if not (_is_whole(d) and 1 <= d <= MAX_STEP and 0 < r <= 1):
            return None
        return _step_schedule(init_value=v, step_size=int(d), gamma=r)


class MultiStepLRScheduler(_Steps):
    """timm's ``MultiStepLRScheduler``: ``base * decay_rate ** #{m in decay_t : m <= t + 1}`` (milestone ``m``
    applies at ``t = m - 1``, timm's convention: the core's ``switch="before"``)."""

    def __init__(
        self, optimizer, decay_t, decay_rate=1.0, warmup_t=0, warmup_lr_init=0.0, warmup_prefix=True,
        t_in_epochs=True, noise_range_t=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, initialize=True,
    ):  # fmt: skip
        self._construct(optimizer, decay_t, decay_rate, warmup_t, warmup_lr_init, warmup_prefix, t_in_epochs,
                        noise_range_t, noise_pct, noise_std, noise_seed, initialize)  # fmt: skip

    @staticmethod
    def _check_decay_t(fn, decay_t):
        for i, m in enumerate(V.sequence(fn, "decay_t", decay_t)):
            _real(fn, f"decay_t[{i}]", m)

    @V.explain_arguments
    def get_curr_decay_steps(self, t):
        """Milestones reached at decay step ``t``: those ``<= t + 1`` (timm's; ``decay_t`` sorted)."""
        return bisect.bisect_right(self.decay_t, t + 1)

    _decays = get_curr_decay_steps

    def _body(self, k):
        v, ms, r = float(self.base_values[k]), list(self.decay_t), self.decay_rate
        if any(b < a for a, b in zip(ms, ms[1:])) or not r > 0:
            return None  # bisect on an unsorted list: timm's formula, as it is
        if any(math.ceil(m) == MAX_STEP + 1 for m in ms):
            return None  # one that applies at 2**62 only: past the core's milestones
        steps = [max(math.ceil(m), 0) for m in ms if math.ceil(m) <= MAX_STEP]  # m <= t + 1  <=>  t >= ceil(m) - 1
        try:
            return multistep(init_value=v, milestones=steps, gamma=r, switch="before")
        except ValueError:  # a growth past float range: the formula overflows where timm's does
            return None


# -- warmup-stable-decay ------------------------------------------------------------------------

_STABLE_FNS = ("constant", "rsqrt", "power")
_DECAY_FNS = ("linear", "1-sqrt", "cosine", "power", "exp")
# timm's decay_fn -> lrsched's wsd decay_shape (timm's "power" is 1 - p ** q, lrsched's "1-power")
_WSD_SHAPES = {"linear": "linear", "1-sqrt": "1-sqrt", "cosine": "cosine", "power": "1-power", "exp": "exponential"}


class WSDLRScheduler(_TimmScheduler):
    """timm's ``WSDLRScheduler``: warmup, a stable phase, and a decay to ``lr_min`` over the last ``decay_t`` steps.

    ``lr(t) = lr_min + (max(base * stable(t_s), lr_min) - lr_min) * decay(frac)`` after the warmup, with
    ``t_s = t - warmup_t`` (the warmup is always a prefix); the schedule lasts ``warmup_t + t_initial``.
    """

    _keys = ("t_initial", "decay_t", "lr_min", "stable_fn", "stable_timescale", "stable_power", "decay_fn",
             "decay_power", "decay_ratio", "warmup_t", "warmup_lr_init", "warmup_steps")  # fmt: skip

    def __init__(
        self, optimizer, t_initial, decay_t, lr_min=0.0, stable_fn="constant", stable_timescale=None,
        stable_power=0.5, decay_fn="1-sqrt", decay_power=0.5, decay_ratio=0.1, warmup_t=0, warmup_lr_init=0.0,
        t_in_epochs=True, noise_range_t=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, initialize=True,
    ):  # fmt: skip
        fn = "WSDLRScheduler"
        base = self._begin(fn, optimizer, "lr", t_in_epochs, noise_range_t, "normal", noise_pct, noise_std,
                           noise_seed, initialize)  # fmt: skip
        # timm's checks and messages
        if t_initial <= 0:
            raise ValueError(f"Invalid t_initial ({t_initial}), must be > 0.")
        if not 0 < decay_t <= t_initial:
            raise ValueError(f"Invalid decay_t ({decay_t}), must be in (0, t_initial] w/ t_initial={t_initial}.")
        if lr_min < 0:
            raise ValueError(f"Invalid lr_min ({lr_min}), must be >= 0.")
        if stable_fn not in _STABLE_FNS:
            raise ValueError(f"Invalid stable_fn ({stable_fn}), must be one of {_STABLE_FNS}.")
        if isinstance(decay_fn, str) and decay_fn not in _DECAY_FNS:
            raise ValueError(f"Invalid decay_fn ({decay_fn}), must be one of {_DECAY_FNS} or a callable.")
        if not isinstance(decay_fn, str) and not callable(decay_fn):
            V.fail(fn, "decay_fn", f"one of {_DECAY_FNS} or a callable", decay_fn, TypeError)
        if not 0.0 < decay_ratio < 1.0:
            raise ValueError(f"Invalid decay_ratio ({decay_ratio}), must be in (0, 1).")
        if decay_power <= 0:
            raise ValueError(f"Invalid decay_power ({decay_power}), must be > 0.")
        if stable_power <= 0:
            raise ValueError(f"Invalid stable_power ({stable_power}), must be > 0.")
        if stable_fn != "constant":
            if stable_timescale is None:
                stable_timescale = warmup_t
            if stable_timescale <= 0:
                raise ValueError(
                    f"stable_fn={stable_fn} requires a positive stable_timescale, it defaults to warmup_t "
                    f"({warmup_t}), set it explicitly when there is no warmup."
                )
        _whole(fn, "warmup_t", warmup_t)
        _real(fn, "warmup_lr_init", warmup_lr_init, minimum=0.0)
        self._attributes(optimizer, "lr", base, t_in_epochs, noise_range_t, "normal", noise_pct, noise_std, noise_seed)
        self.t_initial, self.decay_t, self.lr_min = t_initial, decay_t, lr_min
        self.stable_fn, self.stable_timescale, self.stable_power = stable_fn, stable_timescale, stable_power
        self.decay_fn, self.decay_power, self.decay_ratio = decay_fn, decay_power, decay_ratio
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.warmup_steps = self._ramp_steps()
        self._launch()

    def _prefixed(self):
        return True

    def _stable(self, t_s):
        if self.stable_fn == "constant":
            return 1.0
        p = 0.5 if self.stable_fn == "rsqrt" else self.stable_power
        return (1.0 + t_s / self.stable_timescale) ** -p

    def _decay(self, frac):
        f = self.decay_fn
        if callable(f):
            return f(frac)
        if f == "linear":
            return 1.0 - frac
        if f == "1-sqrt":
            return 1.0 - math.sqrt(frac)
        if f == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * frac))
        if f == "power":
            return 1.0 - frac**self.decay_power
        r = self.decay_ratio
        return (r**frac - r) / (1.0 - r)

    def _get_lr(self, t):
        if t < self.warmup_t:
            return [self.warmup_lr_init + t * s for s in self.warmup_steps]
        t_s = t - self.warmup_t
        stable = [max(v * self._stable(t_s), self.lr_min) for v in self.base_values]
        u = t_s - (self.t_initial - self.decay_t)
        if u <= 0:
            return stable
        d = self._decay(min(u / self.decay_t, 1.0))
        return [self.lr_min + (x - self.lr_min) * d for x in stable]

    @V.explain_arguments
    def get_cycle_length(self, cycles=0):
        """``warmup_t + t_initial``, the length of the schedule."""
        return self.warmup_t + self.t_initial

    def _body(self, k):
        v, lo, f = float(self.base_values[k]), self.lr_min, self.decay_fn
        total, d = self.t_initial, self.decay_t
        if not (_is_whole(total) and _is_whole(d)) or callable(f) or lo > v or v == 0.0:
            return None
        total, d = int(total), int(d)
        stable, tau = self.stable_fn, self.stable_timescale
        if stable != "constant" and not _is_whole(tau):
            return None
        return _wsd(peak_value=v, total_steps=total, warmup_steps=0, decay_steps=d, decay_shape=_WSD_SHAPES[f],
                    end_value=lo, stable=stable, timescale=None if stable == "constant" else int(tau),
                    stable_power=self.stable_power, power=self.decay_power, decay_ratio=self.decay_ratio)  # fmt: skip


# -- plateau ------------------------------------------------------------------------------------


class PlateauLRScheduler(_TimmScheduler):
    """timm's ``PlateauLRScheduler`` (deprecated in timm): a warmup, then reduce on plateau of the metric.

    ``step(epoch, metric)``: epochs ``<= warmup_t`` write the warmup ramp
    (from the core adapter); later ones step ``self.lr_scheduler`` -- an
    ``lrsched.torch.ReduceLROnPlateau`` (lrsched's plateau controller, torch's
    rules), where timm wraps torch's class -- with the metric when one is
    given, and apply the noise on top of the lr it leaves (restored before the
    next reduction, as timm).  ``step_update`` does nothing.  The state is
    timm's: ``best`` and ``last_epoch`` only (timm's counters are not saved).
    """

    _keys = ("warmup_t", "warmup_lr_init", "warmup_steps")

    def __init__(
        self, optimizer, decay_rate=0.1, patience_t=10, threshold=1e-4, cooldown_t=0, warmup_t=0,
        warmup_lr_init=0.0, lr_min=0.0, mode="max", noise_range_t=None, noise_type="normal", noise_pct=0.67,
        noise_std=1.0, noise_seed=None, initialize=True,
    ):  # fmt: skip
        from .torch import ReduceLROnPlateau

        fn = "PlateauLRScheduler"
        base = self._begin(fn, optimizer, "lr", True, noise_range_t, noise_type, noise_pct, noise_std, noise_seed,
                           initialize)  # fmt: skip
        _whole(fn, "warmup_t", warmup_t)
        _real(fn, "warmup_lr_init", warmup_lr_init, minimum=0.0)
        plateau = ReduceLROnPlateau(optimizer, patience=patience_t, factor=decay_rate, threshold=threshold,
                                    cooldown=cooldown_t, mode=mode, min_lr=lr_min)  # fmt: skip
        self._attributes(optimizer, "lr", base, True, noise_range_t, noise_type, noise_pct, noise_std, noise_seed)
        warnings.warn(_PLATEAU_DEPRECATION, FutureWarning, stacklevel=3)
        object.__setattr__(self, "lr_scheduler", plateau)
        plateau._last_lr = [read_value(g, "lr") for g in optimizer.param_groups]
        self.warmup_t, self.warmup_lr_init = warmup_t, warmup_lr_init
        self.warmup_steps = self._ramp_steps()
        self._launch()
        self.restore_lr = None

    def _source(self, k):
        """``warmup_lr_init + e * warmup_steps[k]`` for the epochs ``e <= warmup_t`` (to the base lr at ``warmup_t``;
        without warmup, epoch 0 is ``warmup_lr_init``, timm's)."""
        w, init = self._warmup_length(), self.warmup_lr_init
        if not w:
            return constant(init)
        return linear(init_value=init, end_value=init + w * self.warmup_steps[k], steps=w)

    def _get_lr(self, t):
        return [self.warmup_lr_init + t * s for s in self.warmup_steps]

    def step(self, epoch, metric=None):
        """Epochs ``<= warmup_t``: the warmup; later: restore the lr from before the noise, reduce on the metric
        (when given), then the noise."""
        if epoch <= self.warmup_t:
            if self._stale:
                self._build()
            t = _count("PlateauLRScheduler.step", "epoch", epoch)
            self._driver.seek(t)
            object.__setattr__(self, "_t", t)
            return
        if self.restore_lr is not None:
            for g, lr in zip(self.optimizer.param_groups, self.restore_lr):
                write_value(g, "lr", None, lr)
            self.restore_lr = None
        if metric is not None:
            self.lr_scheduler.step(metric)
        if self._is_apply_noise(epoch):
            self._apply_noise(epoch)

    def step_update(self, num_updates, metric=None):
        """Nothing (timm's plateau steps per epoch)."""
        return None

    def _apply_noise(self, epoch):
        noise = self._calculate_noise(epoch)
        restore = []
        for g in self.optimizer.param_groups:
            old = read_value(g, "lr")
            restore.append(old)
            write_value(g, "lr", None, old + old * noise)
        self.restore_lr = restore

    @V.explain_arguments
    def state_dict(self):
        """timm's state: the plateau's ``best`` and ``last_epoch``."""
        return {"best": self.lr_scheduler.best, "last_epoch": self.lr_scheduler.last_epoch}

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        """timm's: ``best`` (required) and ``last_epoch`` (when saved)."""
        fn = "PlateauLRScheduler.load_state_dict"
        got = V.state_fields(fn, state_dict, {"best": V.best_metric,
                                              "last_epoch": (V.integer, self.lr_scheduler.last_epoch)})  # fmt: skip
        self.lr_scheduler.best = got["best"]
        self.lr_scheduler.last_epoch = got["last_epoch"]


# -- the factory --------------------------------------------------------------------------------


@V.explain_arguments
def scheduler_kwargs(cfg, decreasing_metric=None):
    """timm's ``scheduler_kwargs``: the keyword arguments of ``create_scheduler_v2`` from an argparse namespace or
    config object (missing attributes take timm's defaults)."""
    eval_metric = getattr(cfg, "eval_metric", "top1")
    if decreasing_metric is not None:
        plateau_mode = "min" if decreasing_metric else "max"
    else:
        plateau_mode = "min" if "loss" in eval_metric else "max"
    return dict(
        sched=cfg.sched,
        num_epochs=getattr(cfg, "epochs", 100),
        decay_epochs=getattr(cfg, "decay_epochs", 30),
        decay_milestones=getattr(cfg, "decay_milestones", [30, 60]),
        warmup_epochs=getattr(cfg, "warmup_epochs", 5),
        cooldown_epochs=getattr(cfg, "cooldown_epochs", 0),
        patience_epochs=getattr(cfg, "patience_epochs", 10),
        decay_rate=getattr(cfg, "decay_rate", 0.1),
        min_lr=getattr(cfg, "min_lr", 0.0),
        warmup_lr=getattr(cfg, "warmup_lr", 1e-5),
        warmup_prefix=getattr(cfg, "warmup_prefix", False),
        noise=getattr(cfg, "lr_noise", None),
        noise_pct=getattr(cfg, "lr_noise_pct", 0.67),
        noise_std=getattr(cfg, "lr_noise_std", 1.0),
        noise_seed=getattr(cfg, "seed", 42),
        cycle_mul=getattr(cfg, "lr_cycle_mul", 1.0),
        cycle_decay=getattr(cfg, "lr_cycle_decay", 0.1),
        cycle_limit=getattr(cfg, "lr_cycle_limit", 1),
        k_decay=getattr(cfg, "lr_k_decay", 1.0),
        decay_fn=getattr(cfg, "lr_decay_fn", None),
        stable_timescale=getattr(cfg, "lr_stable_timescale", None),
        plateau_mode=plateau_mode,
        step_on_epochs=not getattr(cfg, "sched_on_updates", False),
    )


@V.explain_arguments
def create_scheduler(args, optimizer, updates_per_epoch=0):
    """timm's ``create_scheduler``: ``create_scheduler_v2(optimizer, **scheduler_kwargs(args), updates_per_epoch=...)``."""
    return create_scheduler_v2(optimizer=optimizer, **scheduler_kwargs(args), updates_per_epoch=updates_per_epoch)


@V.explain_arguments
def create_scheduler_v2(
    optimizer, sched="cosine", num_epochs=300, decay_epochs=None, decay_milestones=(90, 180, 270), cooldown_epochs=0,
    patience_epochs=10, decay_rate=0.1, min_lr=0.0, warmup_lr=1e-5, warmup_epochs=0, warmup_prefix=False,
    noise=None, noise_pct=0.67, noise_std=1.0, noise_seed=42, cycle_mul=1.0, cycle_decay=0.1, cycle_limit=1,
    k_decay=1.0, decay_fn=None, stable_timescale=None, plateau_mode="max", step_on_epochs=True, updates_per_epoch=0,
):  # fmt: skip
    """timm's ``create_scheduler_v2``: a scheduler by name, and the number of epochs to train.

    Returns ``(scheduler, num_epochs)`` exactly as timm's: lengths in epochs,
    multiplied by ``updates_per_epoch`` when ``step_on_epochs=False``;
    ``num_epochs`` recomputed from ``get_cycle_length()`` plus the cooldown
    for the schedulers that have it.  ``sched='none'`` gives ``(None, num_epochs)``.
    """
    if decay_epochs is None:
        decay_epochs = 0.2 if sched in ("wsd", "rsqrt") else 90
    t_initial, warmup_t, decay_t, cooldown_t, timescale_t = (num_epochs, warmup_epochs, decay_epochs,
                                                             cooldown_epochs, stable_timescale)  # fmt: skip
    if not step_on_epochs:
        if not updates_per_epoch > 0:
            raise ValueError("updates_per_epoch must be set to number of dataloader batches "
                             "(create_scheduler_v2 with step_on_epochs=False)")  # fmt: skip
        upe = updates_per_epoch
        t_initial, warmup_t, decay_t, cooldown_t = t_initial * upe, warmup_t * upe, decay_t * upe, cooldown_t * upe
        decay_milestones = [d * upe for d in decay_milestones]
        if timescale_t is not None:
            timescale_t = timescale_t * upe
    warmup_args = dict(warmup_lr_init=warmup_lr, warmup_t=warmup_t, warmup_prefix=warmup_prefix)
    if noise is not None:
        if isinstance(noise, (list, tuple)):
            noise_range = [n * t_initial for n in noise]
            if len(noise_range) == 1:
                noise_range = noise_range[0]
        else:
            noise_range = noise * t_initial
    else:
        noise_range = None
    noise_args = dict(noise_range_t=noise_range, noise_pct=noise_pct, noise_std=noise_std, noise_seed=noise_seed)
    cycle_args = dict(cycle_mul=cycle_mul, cycle_decay=cycle_decay, cycle_limit=cycle_limit)
    scheduler = None
    if sched == "cosine":
        scheduler = CosineLRScheduler(optimizer, t_initial=t_initial, lr_min=min_lr, t_in_epochs=step_on_epochs,
                                      **cycle_args, **warmup_args, **noise_args, k_decay=k_decay)  # fmt: skip
    elif sched == "tanh":
        scheduler = TanhLRScheduler(optimizer, t_initial=t_initial, lr_min=min_lr, t_in_epochs=step_on_epochs,
                                    **cycle_args, **warmup_args, **noise_args)  # fmt: skip
    elif sched == "step":
        scheduler = StepLRScheduler(optimizer, decay_t=decay_t, decay_rate=decay_rate, t_in_epochs=step_on_epochs,
                                    **warmup_args, **noise_args)  # fmt: skip
    elif sched == "constant":
        scheduler = StepLRScheduler(optimizer, decay_t=1, decay_rate=1.0, t_in_epochs=step_on_epochs, **warmup_args,
                                    **noise_args)  # fmt: skip
    elif sched == "multistep":
        scheduler = MultiStepLRScheduler(optimizer, decay_t=decay_milestones, decay_rate=decay_rate,
                                         t_in_epochs=step_on_epochs, **warmup_args, **noise_args)  # fmt: skip
    elif sched == "plateau":
        if not step_on_epochs:
            raise ValueError("Plateau LR only supports step per epoch.")
        warmup_args.pop("warmup_prefix", False)
        scheduler = PlateauLRScheduler(optimizer, decay_rate=decay_rate, patience_t=patience_epochs, cooldown_t=0,
                                       **warmup_args, lr_min=min_lr, mode=plateau_mode, **noise_args)  # fmt: skip
    elif sched == "poly":
        scheduler = PolyLRScheduler(optimizer, power=decay_rate, t_initial=t_initial, lr_min=min_lr,
                                    t_in_epochs=step_on_epochs, k_decay=k_decay, **cycle_args, **warmup_args,
                                    **noise_args)  # fmt: skip
    elif sched in ("wsd", "rsqrt"):
        t_sched = t_initial if warmup_prefix else t_initial - warmup_t
        if 0 < decay_epochs < 1:
            decay_t = decay_epochs * t_sched
        decay_t = int(round(decay_t))
        if not 0 < decay_t <= t_sched:
            raise ValueError(
                f'{sched} schedule requires 0 < decay_epochs <= epochs{"" if warmup_prefix else " - warmup_epochs"}, '
                f"got decay {decay_t} and stable + decay length {t_sched}."
            )
        scheduler = WSDLRScheduler(
            optimizer, t_initial=t_sched, decay_t=decay_t, lr_min=min_lr,
            stable_fn="rsqrt" if sched == "rsqrt" else "constant", stable_timescale=timescale_t,
            decay_fn=decay_fn or ("linear" if sched == "rsqrt" else "1-sqrt"), t_in_epochs=step_on_epochs,
            warmup_t=warmup_t, warmup_lr_init=warmup_lr, **noise_args,
        )  # fmt: skip
    elif sched != "none":
        raise ValueError(f"Unknown scheduler '{sched}'.")
    if hasattr(scheduler, "get_cycle_length"):
        total = scheduler.get_cycle_length() + cooldown_t
        num_epochs = total if step_on_epochs else total // updates_per_epoch
    elif warmup_prefix:
        num_epochs += warmup_epochs
    return scheduler, num_epochs
