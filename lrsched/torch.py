"""Drop-ins for ``torch.optim.lr_scheduler`` (torch 2.13): same names, arguments, values and habits.

Change one import line::

    from torch.optim.lr_scheduler import CosineAnnealingLR   # before
    from lrsched.torch import CosineAnnealingLR              # after

Each drop-in lowers its arguments to one lrsched ``Schedule`` per param
group (``sched.schedules``, so a table can be precomputed without stepping)
and runs on the core adapter (``lrsched.adapter``): a ``step()`` is an index
and a store per group.  The classes subclass torch's ``LRScheduler`` (and
``ReduceLROnPlateau``), so Lightning and the Hugging Face Trainer accept
them, and behave as torch's:

- a param group's lr may be a float or a tensor (written in place with
  ``fill_``, so a compiled or capturable optimizer does not recompile);
- schedulers stepped back to back on one optimizer chain: torch's recursive
  schedulers (``StepLR``, ``MultiStepLR``, ``ConstantLR``, ``LinearLR``,
  ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR``,
  ``MultiplicativeLR``) apply torch's update to an lr that someone else
  changed (another scheduler, a manual edit), and write their closed form
  while nobody does -- the same values, without torch's per-step drift;
- ``ChainedScheduler`` and ``SequentialLR`` step their schedulers (torch's
  own classes too), so each child's ``last_epoch`` and ``get_last_lr()``
  advance;
- torch's warnings: ``scheduler.step()`` before ``optimizer.step()``, an
  ``optimizer.step`` replaced after construction, ``step(epoch)`` deprecated,
  ``get_lr()`` called outside ``step()``;
- ``state_dict()`` has torch's keys and plain Python values, so a state
  saved by a drop-in loads into torch's class of the same name and back,
  and ``torch.load(weights_only=True)`` reads it; ``load_state_dict`` makes
  the scheduler continue as the saved one did (its arguments included), as
  torch's does;
- torch's argument quirks: ``T_max=10.0``, ``step_size=2.5``, a tensor
  ``max_lr`` are taken as torch takes them.

Where lrsched differs (none of it visible to torch's own tests):

- Values are computed in closed form from the step: they equal torch's to
  float rounding, without the drift of torch's recursive update.
- ``get_last_lr()`` gives floats, also where the groups hold tensors.
- ``CosineAnnealingWarmRestarts.step(epoch)`` with an integer epoch restarts
  where incremental stepping does; torch's float logarithm is off by one
  cycle at some restart steps.  A fractional epoch uses torch's formula.
- ``ExponentialLR``/``StepLR`` with ``gamma > 1`` stop growing at half the
  largest float, where torch's value overflows to ``inf``.
- ``OneCycleLR(three_phase=True)`` with ``pct_start`` above about 0.5 (a
  phase that would run backwards) is refused, and so are arguments torch
  leaves unchecked and that would fail later (``step_size=0``, ``T_max=0``,
  a negative milestone): a ``ValueError`` naming them.
- A damaged state (a key missing, a value of the wrong type) is refused by
  ``load_state_dict`` with an error naming the key, before anything changes;
  keys lrsched does not know are ignored with a warning.
- Any object with ``param_groups`` is accepted as the optimizer;
  ``isinstance`` against torch's concrete classes (``OneCycleLR``, ...) does
  not hold (against ``LRScheduler``, ``ReduceLROnPlateau``, ``SequentialLR``
  and ``ChainedScheduler``, which are torch's own with checks added, it does).

lrsched's own adapter as a torch scheduler
------------------------------------------

``Scheduler`` is ``lrsched.Scheduler`` (any fields, per-group schedules,
``relative`` mode, a ``plateau`` on top of a schedule, ``change()``, a
JSON-able state that resumes exactly in O(1)) as a subclass of torch's
``LRScheduler``, so that trainers step it as a torch scheduler.  It is
built with the core's arguments and delegates everything to a core
``lrsched.Scheduler``; it adds torch's habits: ``step(metrics)`` feeds the
plateau controller then steps, ``last_epoch`` (0 after construction),
``_step_count``, ``get_lr()`` and torch's warnings.  Its name is the
core's, so moving to it is one import line::

    from lrsched import Scheduler          # any optimizer-like object
    from lrsched.torch import Scheduler    # the same, and a torch LRScheduler

    sched = Scheduler(opt, {"lr": lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=100, total_steps=10_000),
                            "weight_decay": lrsched.linear(init_value=0.0, end_value=0.1, steps=10_000)},
                      plateau=lrsched.plateau(patience=200))

``lightning_scheduler(sched, monitor=None)`` gives the dict Lightning's
``configure_optimizers`` takes under ``"lr_scheduler"``:
``{"scheduler": sched, "interval": "step", "frequency": 1}`` (one step per
update, where Lightning's default is one per epoch), and with ``monitor``
(a scheduler with a plateau) ``"reduce_on_plateau": True, "monitor": ...,
"strict": True``, which makes Lightning call ``sched.step(metric)`` with the
logged metric after each update (Lightning feeds a metric only to a
``ReduceLROnPlateau`` or a config with ``reduce_on_plateau``)::

    def configure_optimizers(self):
        opt = torch.optim.AdamW(self.parameters(), lr=3e-4)
        sched = lrsched.torch.Scheduler(opt, schedule, plateau=lrsched.plateau(patience=200))
        return {"optimizer": opt, "lr_scheduler": lrsched.torch.lightning_scheduler(sched, monitor="train_loss")}

The Hugging Face Trainer (``optimizers=(opt, sched)``) and accelerate's
``prepare`` step it once per update with no metric; feed a plateau there
with ``sched.observe(metric)`` (from a ``TrainerCallback``'s
``on_evaluate``, say).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import math
import sys
import types
import warnings
import weakref
from collections import Counter
from fractions import Fraction

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .adapter import Scheduler as _CoreScheduler
from .adapter import _param_groups, _PresetScheduler, read_value, write_value
from .cycles import cyclic, repeat, sgdr
from .phases import piecewise_anneal
from .plateau import PeerAttributes, PlateauState
from .plateau import settings as _plateau_settings
from .schedules import (
    constant, cosine, exponential, join, linear, multistep, piecewise_constant, polynomial, product, scale,
)  # fmt: skip
from .schedules import step as _step_schedule

_torch = V.import_torch("lrsched.torch")
_lrs = _torch.optim.lr_scheduler

__all__ = [
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "SequentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
    "CyclicLR",
    "CosineAnnealingWarmRestarts",
    "OneCycleLR",
    "LRScheduler",
    "Scheduler",
    "lightning_scheduler",
]

LRScheduler = _lrs.LRScheduler
EPOCH_DEPRECATION_WARNING = _lrs.EPOCH_DEPRECATION_WARNING
_GET_LR_WARNING = "To get the last learning rate computed by the scheduler, please use `get_last_lr()`."
_ORDER_WARNING = (
    "Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should "
    "call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will "
    "result in PyTorch skipping the first value of the learning rate schedule. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)
_REPLACED_WARNING = (
    "Seems like `optimizer.step()` has been overridden after learning rate scheduler initialization. Please, make "
    "sure to call `optimizer.step()` before `lr_scheduler.step()`. See more details at "
    "https://pytorch.org/docs/stable/optim.html#how-to-adjust-learning-rate"
)


# -- shared pieces ----------------------------------------------------------------------------


def _number(x):
    """A one-element tensor as its Python number; anything else as it is (checked by the caller)."""
    if isinstance(x, _torch.Tensor) and x.numel() == 1:
        return x.item()
    return x


def _base_lrs(fn, groups, last_epoch):
    """torch's ``initial_lr`` rule: set from ``lr`` on a fresh start, required on a resume; checked here."""
    out = []
    for k, g in enumerate(groups):
        if last_epoch != -1 and "initial_lr" not in g:
            raise KeyError(
                f"param 'initial_lr' is not specified in param_groups[{k}] when resuming scheduler with "
                f"last_epoch >= 0 ({fn}, as torch)."
            )
        key = "initial_lr" if "initial_lr" in g else "lr"
        if key not in g:
            raise ValueError(f"{fn}: param_groups[{k}] has no 'lr'.")
        out.append(V.value(fn, f"param_groups[{k}][{key!r}]", _number(g[key])))
    return out


def _set_initial_lrs(groups, last_epoch):
    if last_epoch == -1:
        for g in groups:
            lr = g["lr"]
            g.setdefault("initial_lr", lr.clone() if isinstance(lr, _torch.Tensor) else lr)


def _per_group(name, value, n):
    """torch's ``_format_param``: one value for every group, or a list with one per group."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n}."
            )
        return [_number(v) for v in value]
    return [_number(value)] * n


def _uses_beta1(optimizer, groups):
    """Whether the cycled momentum is Adam's ``betas[0]`` rather than ``momentum`` (torch's rule, on ``defaults``)."""
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, dict):
        defaults = groups[0]
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    return "betas" in defaults


def _str(x):
    """``str(x)`` for torch's messages, bounded as ``V.shown`` (a huge int's str raises)."""
    if V._small(x, [1000], 0):
        try:
            return str(x)
        except (ValueError, RecursionError):
            pass
    return V.shown(x)


def _last_epoch(fn, last_epoch):
    return V.integer(fn, "last_epoch", last_epoch, minimum=-1, maximum=MAX_STEP - 1)


def _whole(fn, name, v, minimum=1):
    """A count torch takes as a number: an integer, or a float with an integral value (``10.0``)."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return V.integer(fn, name, v, minimum=minimum)


def _positive(fn, name, v):
    return V.real(fn, name, _number(v), minimum=0.0, low_open=True)


def _callable_states(lambdas):
    """torch's rule for saving callables: a function saves nothing, any other callable its ``__dict__``."""
    return [None if isinstance(f, (types.FunctionType, Schedule)) else dict(vars(f)) for f in lambdas]


class _StepCalls:
    """``optimizer.step`` wrapped to record that it ran (``optimizer._opt_called``), for torch's order warning.

    It carries torch's own marker (``_wrapped_by_lr_sched``): torch's
    schedulers and these share one wrapper per optimizer.  The optimizer is
    held weakly and the function is bound at each call (no reference cycle).
    """

    _wrapped_by_lr_sched = True

    def __init__(self, optimizer, method):
        self._optimizer = weakref.ref(optimizer)
        self._function = method.__func__
        functools.update_wrapper(self, self._function)

    def __call__(self, *args, **kwargs):
        optimizer = self._optimizer()
        optimizer._opt_called = True
        return self._function.__get__(optimizer, type(optimizer))(*args, **kwargs)


def _track_step_calls(optimizer):
    step = getattr(optimizer, "step", None)
    if step is None or hasattr(step, "_wrapped_by_lr_sched") or not hasattr(step, "__func__"):
        return  # already wrapped, or no bound method to wrap (a home-made optimizer)
    try:
        optimizer.step = _StepCalls(optimizer, step)
    except (AttributeError, TypeError):  # an optimizer with __slots__ or a read-only step
        pass


def _warn_step_order(optimizer):
    """torch's warnings at the first ``scheduler.step()``: the optimizer's step was replaced, or not called."""
    step = getattr(optimizer, "step", None)
    if step is None:
        return
    if not hasattr(step, "_wrapped_by_lr_sched"):
        warnings.warn(_REPLACED_WARNING, UserWarning, stacklevel=3)
    elif not getattr(optimizer, "_opt_called", False):
        warnings.warn(_ORDER_WARNING, UserWarning, stacklevel=3)


@contextlib.contextmanager
def _restored_on_error(dicts):
    """Put back what ``dicts`` hold (param groups, an optimizer's or a scheduler's ``__dict__``) if the block
    raises, tensors filled in place too: a refused constructor or state changes nothing."""
    saved = [(d, dict(d), {k: v.detach().clone() for k, v in d.items() if isinstance(v, _torch.Tensor)})
             for d in dicts]  # fmt: skip
    try:
        yield
    except BaseException:
        with _torch.no_grad():
            for d, items, tensors in saved:
                d.clear()
                d.update(items)
                for k, t in tensors.items():
                    items[k].copy_(t)
        raise


def _guarded(init):
    """``init`` leaves its ``optimizer`` argument (its groups, its ``step``) as it was if it raises."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def guarded(self, *args, **kwargs):
        try:
            optimizer = signature.bind(self, *args, **kwargs).arguments.get("optimizer")
        except TypeError:
            optimizer = None  # the call itself is wrong: init raises before touching anything
        groups = getattr(optimizer, "param_groups", None)
        dicts = [g for g in groups if isinstance(g, dict)] if isinstance(groups, (list, tuple)) else []
        with _restored_on_error([*dicts, *([vars(optimizer)] if hasattr(optimizer, "__dict__") else [])]):
            init(self, *args, **kwargs)

    return guarded


# -- the drop-in base -------------------------------------------------------------------------


class _DropIn(LRScheduler):
    """Schedules per group on the core adapter; never calls torch's ``__init__``.

    A subclass checks its arguments and sets them as attributes under
    torch's names (``_hyper`` lists them: they are its state keys, with a
    check for a loaded state), then calls ``_launch(optimizer, last_epoch)``.
    ``_fields(base_lrs)`` gives ``{field: [source per group]}``, a Schedule
    (or a Python function of the step) for each; with ``_relative`` the lr
    sources are multipliers of the base lrs.  A class whose torch update is
    recursive (it multiplies the lr the group holds) sets ``_recursive`` and
    gives that update as ``_torch_update(lr, t)``: it is how the drop-in
    chains with other schedulers and takes over an lr set by hand.
    """

    _hyper = {}  # torch's attribute name -> check(fn, name, value) of a loaded value
    _relative = False
    _recursive = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # every constructor: a refused one leaves the groups alone, a wrong call
            # (an unknown or missing argument) raises ArgumentError, a TypeError naming the closest of torch's names
            cls.__init__ = V.explain_arguments(_guarded(cls.__dict__["__init__"]), function=cls.__name__)

    def _take(self, optimizer, last_epoch, **args):
        """Check each argument with its ``_hyper`` rule, keep it under torch's name, and launch."""
        fn = type(self).__name__
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        for name, value in args.items():
            setattr(self, name, self._hyper[name](fn, name, value))
        self._launch(optimizer, _last_epoch(fn, last_epoch))

    def _launch(self, optimizer, last_epoch):
        """torch's ``initial_lr`` rule, then the first step (every argument has been checked)."""
        base = _base_lrs(type(self).__name__, optimizer.param_groups, last_epoch)
        _set_initial_lrs(optimizer.param_groups, last_epoch)
        self._start(optimizer, last_epoch, base)

    def _start(self, optimizer, last_epoch, base_lrs):
        self.optimizer = optimizer
        self.base_lrs = list(base_lrs)
        _track_step_calls(optimizer)
        self._initial = True  # torch's first update (its _is_initial) while the driver writes step 0
        try:
            self._driver = self._make_driver(last_epoch + 1)
        finally:
            self._initial = False
        self._step_count = 1

    def _make_driver(self, step, write=True):
        scales = self.base_lrs if self._relative else None
        compose = _weakly(self._compose) if self._recursive else None
        return _PresetScheduler(self.optimizer, self._fields(self.base_lrs), scales=scales, step=step,
                                compose=compose, write=write)  # fmt: skip

    def _fields(self, base_lrs):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _compose(self, lr, t, k):
        return self._torch_update(lr, t)

    # -- stepping ---------------------------------------------------------------------

    def step(self, epoch=None):
        """Advance one step (``epoch``: deprecated in torch; jumps to that step, as torch's closed form)."""
        if epoch is None and not self._first:
            self._driver.step()  # the common case; _step_count follows from the step
            return
        if self._first:  # torch's check at its _step_count == 1
            self._first = False
            _warn_step_order(self.optimizer)
        if epoch is None:
            self._driver.step()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            count = self._step_count
            self._update_lr(epoch)
            self._step_count = count + 1

    @property
    def _step_count(self):
        """torch's count of ``step()`` calls, 1 after construction (accelerate reads it): it follows the step."""
        return self._driver.last_step - self._count_origin

    @_step_count.setter
    def _step_count(self, value):
        self._count_origin = self._driver.last_step - value
        self._first = value == 1

    def _update_lr(self, epoch):
        """torch's ``_update_lr(epoch)``: the closed form at ``epoch`` (what ``SequentialLR`` calls at a milestone);
        the step count stays."""
        if V._is_real(epoch) and not V._is_int(epoch) and float(epoch).is_integer():
            epoch = int(epoch)
        count = self._step_count
        self._jump(V.integer(f"{type(self).__name__}.step", "epoch", epoch))
        self._step_count = count

    def _jump(self, step):
        self._driver.seek(step)

    def _initial_step(self):
        """torch's first step (``SequentialLR`` calls it on the scheduler that starts)."""
        self._step_count = 0
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False
        self._first = True

    @property
    def last_epoch(self):
        """The current step (torch's name); setting it moves the counter, as torch's does (no write)."""
        return self._driver.last_step

    @last_epoch.setter
    def last_epoch(self, value):
        count = self._step_count
        self._driver._move(_last_epoch(type(self).__name__, value))
        self._step_count = count

    def get_last_lr(self):
        """The lr of each group written at the current step (floats)."""
        return self._driver.get_last_lr()

    @property
    def _last_lr(self):
        return self._driver.get_last_lr()

    def get_lr(self):
        """The lrs at ``last_epoch``; torch's warning outside ``step()`` (use ``get_last_lr``)."""
        warnings.warn(_GET_LR_WARNING, UserWarning, stacklevel=2)
        return self._driver.get_last_lr()

    @property
    def schedules(self):
        """``{field: [Schedule per group]}`` -- e.g. ``sched.schedules["lr"][0].table(n)``, the values step() writes
        while no other scheduler changes them."""
        out = {}
        for f, sources in self._driver.schedules.items():
            if not all(isinstance(s, Schedule) for s in sources):
                raise AttributeError("schedules: this scheduler calls Python functions; pass lrsched Schedules "
                                     "for tables")  # fmt: skip
            if f == "lr" and self._relative:  # base_lr times the multiplier: the same product step() forms
                sources = [product([constant(b), m]) for b, m in zip(self.base_lrs, sources)]
            out[f] = list(sources)
        return out

    # -- state ------------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """torch's state: the arguments under torch's names, ``base_lrs``, ``last_epoch`` and the counters."""
        state = {k: _saved(getattr(self, k)) for k in self._hyper if hasattr(self, k)}
        state.update(
            base_lrs=list(self.base_lrs), last_epoch=self.last_epoch, _step_count=self._step_count,
            _is_initial=False, _get_lr_called_within_step=False, _last_lr=self.get_last_lr(),
        )  # fmt: skip
        return state

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        """Continue as the scheduler that saved ``state_dict`` did (an lrsched drop-in's or torch's own).

        Its arguments replace this scheduler's, as torch's ``load_state_dict``
        does; the groups' lrs are left as they are (the optimizer's state
        restores them).  The state is checked in full first.
        """
        fn = f"{type(self).__name__}.load_state_dict"
        got = V.state_fields(fn, state_dict, self._state_rules())
        with _restored_on_error([vars(self)]):  # a check that needs the whole state (the phases, the groups) may fail late
            try:
                self._load(fn, got)
            except (ValueError, TypeError) as e:
                if fn in str(e):
                    raise
                raise type(e)(f"{fn}: the arguments of `state_dict` give no schedule: {e}") from None

    def _state_rules(self):
        n = len(self.optimizer.param_groups)
        rules = dict(self._hyper)
        rules.update(
            base_lrs=lambda fn, name, v: _values_for_groups(fn, name, v, n),
            last_epoch=lambda fn, name, v: V.integer(fn, name, v, minimum=-1, maximum=MAX_STEP - 1),
            _step_count=lambda fn, name, v: V.integer(fn, name, v),
            _is_initial=(V.boolean, False),
            _get_lr_called_within_step=(V.boolean, False),
            _last_lr=(lambda fn, name, v: _values_for_groups(fn, name, v, n), None),
        )  # fmt: skip
        return rules

    def _load(self, fn, got):
        for k in self._hyper:
            setattr(self, k, got[k])
        self.base_lrs = list(got["base_lrs"])
        self._reload(got["last_epoch"])
        self._step_count = got["_step_count"]
        if got["_last_lr"] is not None:
            self._driver._last_values("lr", got["_last_lr"])

    def _reload(self, step):
        """A new driver for the current arguments, at ``step``, writing nothing."""
        self._driver = self._make_driver(step, write=False)

    # -- copies: the driver is rebuilt (its sources may refer to this scheduler) ------------

    def __getstate__(self):
        state = dict(self.__dict__)
        driver = state.pop("_driver")
        state["_resume_at"] = (driver.last_step, driver.get_last_lr())
        return state

    def __setstate__(self, state):
        step, last = state.pop("_resume_at")
        self.__dict__.update(state)
        self._reload(step)
        self._driver._last_values("lr", last)


def _weakly(method):
    """``method`` (bound) called through a weak reference: the driver does not keep its drop-in alive (torch's
    schedulers hold no reference cycle, so a deleted one frees its optimizer at once)."""
    ref = weakref.WeakMethod(method)
    return lambda *args: ref()(*args)


def _saved(v):
    """An argument as torch's state holds it: plain Python (a Counter stays a Counter)."""
    if isinstance(v, tuple):
        return list(v)
    return v


def _bounds(fn, name, value, n):
    """One bound for every group, or a list with one per group (torch's and transformers' message on a length
    mismatch)."""
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            what = name.split("'")[1] if "'" in name else f"{name}s"
            raise ValueError(f"expected {n} {what}, got {len(value)}")
        return [V.value(fn, f"{name}[{k}]", _number(v)) for k, v in enumerate(value)]
    return [V.value(fn, name, _number(value))] * n


def _of_length(fn, name, items, n, what):
    if len(items) != n:
        V.fail(fn, name, f"a list of {n} {what}", items)
    return items


def _values_for_groups(fn, name, v, n):
    values = V.value_list(fn, name, [_number(x) for x in v] if isinstance(v, (list, tuple)) else v)
    return _of_length(fn, name, list(values), n, "values (one per param group)")



# -- the schedulers ---------------------------------------------------------------------------


def _lambdas(lr_lambda, n):
    """torch's rule: one callable for every group, or a list with one per group."""
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        out = list(lr_lambda)
    else:
        out = [lr_lambda] * n
    for f in out:
        if not callable(f):
            raise TypeError(f"lr_lambda should be a function, but got {type(f).__name__}")
    return out


class _Lambdas(_DropIn):
    """``lr_lambdas``: one callable per group, replaceable (``s.lr_lambdas = [...]``), with torch's state rule."""

    def _take_lambdas(self, fn, optimizer, lr_lambda, last_epoch):
        groups = _param_groups(fn, optimizer)
        last_epoch = _last_epoch(fn, last_epoch)
        self.__dict__["lr_lambdas"] = _lambdas(lr_lambda, len(groups))
        self._launch(optimizer, last_epoch)

    @property
    def lr_lambdas(self):
        """The callables, one per group (kept in ``__dict__`` as torch's); new ones take effect at the next step."""
        return self.__dict__["lr_lambdas"]

    @lr_lambdas.setter
    def lr_lambdas(self, value):
        self.__dict__["lr_lambdas"] = _lambdas(value, len(self.optimizer.param_groups))
        if "_driver" in self.__dict__:
            self._reload(self.last_epoch)

    @V.explain_arguments
    def state_dict(self):
        """torch's state; ``lr_lambdas`` holds ``None`` for a function (or a Schedule), a callable object's ``__dict__``."""
        state = super().state_dict()
        state["lr_lambdas"] = _callable_states(self.lr_lambdas)
        return state

    def _state_rules(self):
        return {**super()._state_rules(), "lr_lambdas": (lambda fn, name, v: v, None)}

    def _load(self, fn, got):
        saved = got["lr_lambdas"]
        if saved is not None:  # checked before anything changes
            _check_callable_states(fn, "state_dict['lr_lambdas']", self.lr_lambdas, saved)
        super()._load(fn, got)
        for f, d in zip(self.lr_lambdas, saved or ()):
            if d:
                vars(f).update(d)


def _check_callable_states(fn, name, lambdas, saved):
    if not isinstance(saved, (list, tuple)) or len(saved) != len(lambdas):
        V.fail(fn, name, f"a list of {len(lambdas)} dicts or None (one per param group)", saved,
               TypeError if not isinstance(saved, (list, tuple)) else ValueError)  # fmt: skip
    for k, (f, d) in enumerate(zip(lambdas, saved)):
        if d is not None and not isinstance(d, dict):
            V.fail(fn, f"{name}[{k}]", "a dict (a callable object's __dict__) or None", d, TypeError)
        if d and (isinstance(f, Schedule) or not hasattr(f, "__dict__")):  # {}: a partial's, nothing to restore
            V.fail(fn, f"{name}[{k}]", f"None (lr_lambdas[{k}] has no state to restore)", d)


class _LambdaAt:
    """``lr_lambdas[k](t)`` of a scheduler, read at each call (the list may be replaced or changed)."""

    __slots__ = ("_owner", "_k")

    def __init__(self, owner, k):
        self._owner, self._k = owner, k

    def __call__(self, t):
        return self._owner().lr_lambdas[self._k](t)

    def __eq__(self, other):
        return type(other) is _LambdaAt and other._k == self._k

    def __hash__(self):
        return hash(self._k)


class LambdaLR(_Lambdas):
    """torch's ``LambdaLR``: ``lr = base_lr * lr_lambda(step)``.

    ``lr_lambda`` (or one per group) may be a Python function (called per
    step, the slow path, as torch) or an lrsched ``Schedule`` giving the
    factor (the fast path: tables, no Python call per step).

    Examples
    --------
    >>> import torch, lrsched
    >>> from lrsched.torch import LambdaLR
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> sched = LambdaLR(opt, lrsched.linear(init_value=1.0, steps=10))
    >>> opt.step(); sched.step(); sched.get_last_lr()
    [0.09000000000000001]
    """

    _relative = True

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self._take_lambdas("LambdaLR", optimizer, lr_lambda, last_epoch)

    def _fields(self, base_lrs):
        me = weakref.ref(self)
        return {"lr": [f if isinstance(f, Schedule) else _LambdaAt(me, k) for k, f in enumerate(self.lr_lambdas)]}


class MultiplicativeLR(_Lambdas):
    """torch's ``MultiplicativeLR``: ``lr_t = lr_{t-1} * lr_lambda(t)``, from the lr the group holds.

    The running product lives in the optimizer's groups, as in torch (its
    state restores them); ``step(epoch)`` multiplies by ``lr_lambda(epoch)``.
    """

    _recursive = True

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self._take_lambdas("MultiplicativeLR", optimizer, lr_lambda, last_epoch)

    def _fields(self, base_lrs):
        return {"lr": [None] * len(base_lrs)}  # no closed form: every value is composed

    def _compose(self, lr, t, k):
        return lr if self._initial else lr * float(self.lr_lambdas[k](t))

    def _jump(self, step):
        self._driver.enter(step)  # no closed form: the lr held times lr_lambda(step)


def _decay_period(step_size):
    """The steps at which torch's recursive ``StepLR`` decays are the multiples of this integer: ``t % step_size
    == 0`` holds for an integer ``t`` exactly at the multiples of the numerator of ``step_size`` as a fraction."""
    if isinstance(step_size, int):
        return step_size
    n = Fraction(step_size).numerator
    return n if n <= MAX_STEP else None  # None: never


def _step_size(fn, name, v):
    """A period torch takes as a number: a positive integer, or a float >= 1 (which torch computes with)."""
    v = _number(v)
    if isinstance(v, float):
        if v.is_integer() and v <= MAX_STEP:
            return V.integer(fn, name, int(v), minimum=1)
        return V.real(fn, name, v, minimum=1.0, maximum=float(MAX_STEP))
    return V.integer(fn, name, v, minimum=1)


class StepLR(_DropIn):
    """torch's ``StepLR``: ``base_lr * gamma ** (step // step_size)``."""

    _hyper = {"step_size": _step_size, "gamma": _positive}
    _recursive = True

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self._take(optimizer, last_epoch, step_size=step_size, gamma=gamma)

    @property
    def _relative(self):
        return self.gamma <= 1  # a growth's cap depends on the base lr, as ExponentialLR's

    def _fields(self, base_lrs):
        period = _decay_period(self.step_size)
        if period is None:
            return {"lr": [constant(1.0) if self._relative else constant(b) for b in base_lrs]}
        if self._relative:
            return {"lr": [_step_schedule(init_value=1.0, step_size=period, gamma=self.gamma)] * len(base_lrs)}
        return {"lr": [_growth(b, self.gamma, period, staircase=True) for b in base_lrs]}

    def _torch_update(self, lr, t):
        return lr if t == 0 or t % self.step_size != 0 else lr * self.gamma


def _milestones(fn, name, v):
    if isinstance(v, dict):  # a Counter from a state: milestone -> times listed (JSON makes the keys strings)
        items = []
        for m, c in v.items():
            if isinstance(m, str) and m.isdigit():
                m = int(m)
            items += [m] * V.integer(fn, f"{name}[{m!r}]", c, minimum=1)
    else:
        try:
            items = list(v)
        except TypeError:
            V.fail(fn, name, "an iterable of integers >= 0", v, TypeError)
    return Counter(_whole(fn, name, _number(m), minimum=0) for m in items)


class MultiStepLR(_DropIn):
    """torch's ``MultiStepLR``: ``base_lr * gamma ** (milestones reached)``; a repeated milestone counts twice."""

    _hyper = {"milestones": _milestones, "gamma": _positive}
    _relative = True
    _recursive = True

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self._take(optimizer, last_epoch, milestones=milestones, gamma=gamma)

    def _fields(self, base_lrs):
        ms = sorted(self.milestones.elements())
        return {"lr": [multistep(init_value=1.0, milestones=ms, gamma=self.gamma)] * len(base_lrs)}

    def _torch_update(self, lr, t):
        return lr if t not in self.milestones else lr * self.gamma ** self.milestones[t]


def _factor(fn, name, v, low_open=False):
    return V.real(fn, name, _number(v), minimum=0.0, maximum=1.0, low_open=low_open)


class ConstantLR(_DropIn):
    """torch's ``ConstantLR``: ``base_lr * factor`` before ``total_iters``, ``base_lr`` from it on."""

    _hyper = {"factor": _factor, "total_iters": lambda fn, name, v: _whole(fn, name, v, minimum=0)}
    _relative = True
    _recursive = True

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if V._is_real(factor) and (factor > 1.0 or factor < 0):
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self._take(optimizer, last_epoch, factor=factor, total_iters=total_iters)

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch's update never reaches its "undo the factor" branch
            return {"lr": [constant(self.factor)] * len(base_lrs)}
        factor = piecewise_constant(boundaries=[self.total_iters], values=[self.factor, 1.0])
        return {"lr": [factor] * len(base_lrs)}

    def _torch_update(self, lr, t):
        if t == 0:
            return lr * self.factor
        return lr if t != self.total_iters else lr * (1.0 / self.factor)


class LinearLR(_DropIn):
    """torch's ``LinearLR``: the factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    _hyper = {
        "start_factor": lambda fn, name, v: _factor(fn, name, v, low_open=True),
        "end_factor": _factor,
        "total_iters": lambda fn, name, v: _whole(fn, name, v, minimum=0),
    }
    _relative = True
    _recursive = True

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        if V._is_real(start_factor) and (start_factor > 1.0 or start_factor <= 0):
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if V._is_real(end_factor) and (end_factor > 1.0 or end_factor < 0):
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self._take(optimizer, last_epoch, start_factor=start_factor, end_factor=end_factor, total_iters=total_iters)

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch keeps the start factor
            return {"lr": [constant(self.start_factor)] * len(base_lrs)}
        factor = linear(init_value=self.start_factor, end_value=self.end_factor, steps=self.total_iters)
        return {"lr": [factor] * len(base_lrs)}

    def _torch_update(self, lr, t):
        if t == 0:
            return lr * self.start_factor
        if self._initial or t > self.total_iters:
            return lr
        d = self.end_factor - self.start_factor
        return lr * (1.0 + d / (self.total_iters * self.start_factor + (t - 1) * d))


class ExponentialLR(_DropIn):
    """torch's ``ExponentialLR``: ``base_lr * gamma ** step``."""

    _hyper = {"gamma": _positive}
    _recursive = True

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self._take(optimizer, last_epoch, gamma=gamma)

    @property
    def _relative(self):
        return self.gamma <= 1  # a growth's cap depends on the base lr

    def _fields(self, base_lrs):
        if self._relative:
            return {"lr": [exponential(init_value=1.0, decay_rate=self.gamma, transition_steps=1)] * len(base_lrs)}
        return {"lr": [_growth(b, self.gamma, 1) for b in base_lrs]}

    def _torch_update(self, lr, t):
        return lr if self._initial else lr * self.gamma


def _growth(base, gamma, period, staircase=False):
    """``base * gamma ** (t / period)`` for ``gamma > 1``, stopping near the largest float (torch's would overflow)."""
    if base <= 0:
        return constant(0.0)
    cap = 0.5 * sys.float_info.max * min(1.0, base)
    return exponential(init_value=base, decay_rate=gamma, transition_steps=period, staircase=staircase, end_value=cap)


class PolynomialLR(_DropIn):
    """torch's ``PolynomialLR``: ``base_lr * (1 - min(step, total_iters) / total_iters) ** power``."""

    _hyper = {"total_iters": lambda fn, name, v: _whole(fn, name, v, minimum=0), "power": _positive}
    _relative = True
    _recursive = True

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self._take(optimizer, last_epoch, total_iters=total_iters, power=power)

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch's update leaves the lr alone
            return {"lr": [constant(1.0)] * len(base_lrs)}
        return {"lr": [polynomial(init_value=1.0, steps=self.total_iters, power=self.power)] * len(base_lrs)}

    def _torch_update(self, lr, t):
        if self._initial or t > self.total_iters:
            return lr
        n = self.total_iters
        return lr * ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power


class CosineAnnealingLR(_DropIn):
    """torch's ``CosineAnnealingLR``: half cosine from ``base_lr`` to ``eta_min`` over ``T_max``, periodic after.

    Past ``T_max`` torch's values rise back to ``base_lr`` over the next
    ``T_max`` steps and repeat with period ``2 * T_max``; so do these.  For a
    cosine that holds ``eta_min``, use ``lrsched.cosine``.
    """

    _hyper = {"T_max": lambda fn, name, v: _step_size(fn, name, v) if not (V._is_real(v) and v > MAX_STEP // 2) else
              V.fail(fn, name, "<= 2**61 (torch's cosine repeats every 2 * T_max steps)", v),
              "eta_min": lambda fn, name, v: V.value(fn, name, _number(v))}  # fmt: skip
    _recursive = True

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self._take(optimizer, last_epoch, T_max=T_max, eta_min=eta_min)

    def _fields(self, base_lrs):
        t, lo = self.T_max, self.eta_min
        if isinstance(t, float):  # torch's closed form, a Python function of the step
            return {"lr": [functools.partial(_cosine_at, b, lo, t) for b in base_lrs]}
        return {"lr": [repeat(join([cosine(init_value=b, end_value=lo, steps=t),
                                    cosine(init_value=lo, end_value=b, steps=t)], [t]), 2 * t)
                       for b in base_lrs]}  # fmt: skip

    def _compose(self, lr, t, k):
        b, lo, n = self.base_lrs[k], self.eta_min, self.T_max
        if self._initial:
            return lr
        if self._step_count == 1 and t > 0:
            return _cosine_at(b, lo, n, t)
        if (t - 1 - n) % (2 * n) == 0:
            return lr + (b - lo) * (1 - math.cos(math.pi / n)) / 2
        return (1 + math.cos(math.pi * t / n)) / (1 + math.cos(math.pi * (t - 1) / n)) * (lr - lo) + lo


def _cosine_at(base, eta_min, t_max, t):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2


class CosineAnnealingWarmRestarts(_DropIn):
    """torch's ``CosineAnnealingWarmRestarts`` (SGDR): cycles of ``T_0 * T_mult**i`` steps.

    ``T_cur`` and ``T_i`` (torch's position in the cycle and its length)
    follow from the step in integer arithmetic.  Like torch's, its
    ``step()`` gives no order warning.
    """

    _hyper = {
        "T_0": lambda fn, name, v: V.integer(fn, name, v, minimum=1),
        "T_mult": lambda fn, name, v: V.integer(fn, name, v, minimum=1, maximum=2**31),
        "eta_min": lambda fn, name, v: V.value(fn, name, _number(v)),
    }
    _step_count = 0  # a plain attribute here: torch's step() of this class never counts

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {_str(T_0)}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {_str(T_mult)}")
        if not isinstance(eta_min, (float, int)) or isinstance(eta_min, bool):
            raise ValueError(f"Expected float or int eta_min, but got {_str(eta_min)} of type {type(eta_min)}")
        self._fraction, self._shift = None, 0
        self._take(optimizer, last_epoch, T_0=T_0, T_mult=T_mult, eta_min=eta_min)
        self._step_count = 0

    def _fields(self, base_lrs):
        for k, b in enumerate(base_lrs):
            if self.eta_min > b:  # torch's cycles would run upside down; sgdr's decay from a peak
                V.fail(type(self).__name__, "eta_min", f"<= the lr of every param group (param_groups[{k}]: {b})",
                       self.eta_min)  # fmt: skip
        return {"lr": [sgdr(b, self.T_0, self.T_mult, end_value=self.eta_min) for b in base_lrs]}

    @property
    def T_cur(self):
        """The position in the current cycle (a real number after a fractional ``step(epoch)``); setting it moves
        the position, as in torch (the next ``step()`` goes on from it)."""
        return self._cycle()[0]

    @T_cur.setter
    def T_cur(self, value):
        fn = "CosineAnnealingWarmRestarts"
        value = V.integer(fn, "T_cur", math.floor(value) if isinstance(value, float) and math.isfinite(value)
                          else value, minimum=-1)  # fmt: skip
        t_cur, _ = self._cycle()
        at = self._driver.last_step - (math.floor(t_cur) if self._fraction else t_cur) + value
        self._shift += at - self._driver.last_step
        self._fraction = None
        self._driver._move(max(at, -1))

    @property
    def last_epoch(self):
        return self._driver.last_step - self._shift

    @last_epoch.setter
    def last_epoch(self, value):
        self._driver._move(_last_epoch(type(self).__name__, value) + self._shift)

    @property
    def T_i(self):
        """The length of the current cycle."""
        return self._cycle()[1]

    def _cycle(self):
        if self._fraction is not None:
            return self._fraction[1]
        t = self._driver.last_step
        if t < 0 or t < self.T_0:
            return t, self.T_0
        if self.T_mult == 1:
            return t % self.T_0, self.T_0
        start, length = 0, self.T_0
        while t >= start + length:
            start, length = start + length, length * self.T_mult
        return t - start, length

    def step(self, epoch=None):
        """Advance one step; ``step(epoch)`` jumps there, and a fractional epoch uses torch's formula.

        After a fractional ``step(epoch)``, the next plain ``step()`` goes on
        from step ``floor(epoch) + 1`` (torch goes on from the fractional
        position plus one).
        """
        self._fraction = None
        if epoch is None:
            self._driver.step()
            return
        if isinstance(epoch, float) and epoch.is_integer():
            epoch = int(epoch)
        if V._is_int(epoch):
            if epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {_str(epoch)}")
            self._shift = 0
            self._driver.seek(V.integer("CosineAnnealingWarmRestarts.step", "epoch", epoch))
            return
        if not V._is_real(epoch) or not math.isfinite(epoch) or epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {_str(epoch)}")
        t_cur, t_i = _fractional_cycle(float(epoch), self.T_0, self.T_mult)
        g = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        self._shift = 0
        self._driver.seek(math.floor(epoch))
        values = [self.eta_min + (b - self.eta_min) * g for b in self.base_lrs]
        for grp, v in zip(self.optimizer.param_groups, values):
            write_value(grp, "lr", None, v)
        self._fraction = (values, (t_cur, t_i))

    def get_last_lr(self):
        return list(self._fraction[0]) if self._fraction is not None else self._driver.get_last_lr()

    @V.explain_arguments
    def state_dict(self):
        state = super().state_dict()
        state["T_cur"], state["T_i"] = self._cycle()
        return state

    def _state_rules(self):
        number = lambda fn, name, v: V.real(fn, name, _number(v))  # noqa: E731 - derived: checked, then unused
        return {**super()._state_rules(), "T_i": (number, None), "T_cur": (number, None)}

    def _load(self, fn, got):
        self._fraction, self._shift = None, 0
        super()._load(fn, got)
        t_cur, t_i = got["T_cur"], got["T_i"]
        if t_cur is not None and t_i is not None and t_cur != math.floor(t_cur) and t_i >= 1:
            # saved after a fractional step(epoch): that position and its lrs, as torch's state holds them
            g = (1 + math.cos(math.pi * t_cur / t_i)) / 2
            values = got["_last_lr"] or [self.eta_min + (b - self.eta_min) * g for b in self.base_lrs]
            self._fraction = (list(values), (t_cur, t_i))
        elif t_cur is not None and t_i is not None and t_cur == math.floor(t_cur) and t_i >= self.T_0:
            # torch's own position (after its float logarithm, or a T_cur set by hand) wins over last_epoch
            length, start = self.T_0, 0
            while length < t_i and self.T_mult > 1:
                start, length = start + length, length * self.T_mult
            if length == t_i:
                at = (self.last_epoch - self.last_epoch % self.T_0 if self.T_mult == 1 else start) + int(t_cur)
                self._shift = at - self.last_epoch
                self._driver._move(at)


def _fractional_cycle(epoch, t0, mult):
    """torch's (T_cur, T_i) for ``step(epoch)`` with a real epoch (its float logarithm included)."""
    if epoch < t0:
        return epoch, t0
    if mult == 1:
        return epoch % t0, t0
    n = int(math.log(epoch / t0 * (mult - 1) + 1, mult))
    return epoch - t0 * (mult**n - 1) / (mult - 1), t0 * mult**n


def _momentum_slot(use_beta1):
    """Where the cycled momentum lives: item 0 of Adam's ``betas``, or ``momentum`` (the field, and its key and index)."""
    return ("betas[0]", "betas", 0) if use_beta1 else ("momentum", "momentum", None)


def _set_momenta(groups, use_beta1, lows, highs):
    """torch's construction-time writes of CyclicLR and OneCycleLR: the momentum at its high end, both ends kept."""
    for g, lo, hi in zip(groups, lows, highs):
        write_value(g, *_momentum_slot(use_beta1)[1:], hi)
        g["max_momentum"], g["base_momentum"] = hi, lo


def _check_momentum_key(fn, optimizer, got):
    """A saved ``use_beta1`` must name the momentum the groups have (Adam's ``betas``, or ``momentum``)."""
    if got["cycle_momentum"]:
        key = "betas" if got["use_beta1"] else "momentum"
        if any(key not in g for g in optimizer.param_groups):
            V.fail(fn, "state_dict['use_beta1']", f"{key != 'betas'} (the param groups have no {key!r})",
                   got["use_beta1"])  # fmt: skip


def _triangular_scale(x):
    return 1.0


def _triangular2_scale(x):
    return 1 / (2.0 ** (x - 1))


def _exp_range_scale(gamma, x):
    return gamma**x


def _cyclic_value(cycle, lo, hi, downward, t):
    """torch's ``CyclicLR`` at step ``t``: from ``lo`` up to ``hi`` (``downward``: from ``hi`` down to ``lo``)."""
    total, ratio, scale_fn, by_cycle = cycle
    n = math.floor(1 + t / total)
    x = 1.0 + t / total - n
    sf = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
    s = scale_fn(n if by_cycle else t)
    return hi - (hi - lo) * sf * s if downward else lo + (hi - lo) * sf * s


def _lists(fn, name, v):
    return list(V.value_list(fn, name, [_number(x) for x in V.sequence(fn, name, v)]))


class CyclicLR(_DropIn):
    """torch's ``CyclicLR``, with momentum (or Adam's beta1) cycling the other way when ``cycle_momentum``.

    Whole step sizes and torch's own modes run on tables; a custom
    ``scale_fn`` or a fractional step size is torch's formula evaluated per
    step (the slow path, as torch).
    """

    _hyper = {
        "max_lrs": _lists,
        "total_size": lambda fn, name, v: V.real(fn, name, v, minimum=2.0, maximum=float(MAX_STEP)),
        "step_ratio": lambda fn, name, v: V.real(fn, name, v, minimum=0.0, maximum=1.0, low_open=True, high_open=True),
        "mode": lambda fn, name, v: V.choice(fn, name, v, ("triangular", "triangular2", "exp_range")),
        "gamma": _positive,
        "scale_mode": lambda fn, name, v: V.choice(fn, name, v, ("cycle", "iterations")),
        "cycle_momentum": V.boolean,
        "use_beta1": (V.boolean, False),
        "base_momentums": (_lists, None),
        "max_momentums": (_lists, None),
    }

    def __init__(
        self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular", gamma=1.0,
        scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1,
    ):  # fmt: skip
        fn = "CyclicLR"
        groups = _param_groups(fn, optimizer)
        n = len(groups)
        last_epoch = _last_epoch(fn, last_epoch)
        base = [V.value(fn, "base_lr", x) for x in _per_group("base_lr", base_lr, n)]
        self.max_lrs = [V.value(fn, "max_lr", x) for x in _per_group("max_lr", max_lr, n)]
        up = _step_size(fn, "step_size_up", step_size_up)
        down = up if step_size_down is None else _step_size(fn, "step_size_down", step_size_down)
        self.total_size = float(up) + float(down)
        self.step_ratio = float(up) / self.total_size
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.mode = mode
        self.gamma = _positive(fn, "gamma", gamma)
        if mode == "exp_range" and scale_fn is None and self.gamma > 1.0:
            V.fail(fn, "gamma", "<= 1 with mode='exp_range' (a growth without end; torch's values overflow)", gamma)
        if scale_fn is not None and not callable(scale_fn):
            V.fail(fn, "scale_fn", "a function or None", scale_fn, TypeError)
        self._scale_fn_custom = scale_fn
        if scale_fn is not None:
            self.scale_mode = V.choice(fn, "scale_mode", scale_mode, ("cycle", "iterations"))
        else:  # torch's own modes set it
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = V.boolean(fn, "cycle_momentum", cycle_momentum)
        self.use_beta1, self.base_momentums, self.max_momentums = False, None, None  # torch's only with momentum
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer, groups)
            self.base_momentums = [V.value(fn, "base_momentum", x) for x in _per_group("base_momentum", base_momentum, n)]
            self.max_momentums = [V.value(fn, "max_momentum", x) for x in _per_group("max_momentum", max_momentum, n)]
        # every check has passed: torch's construction-time writes
        if last_epoch == -1:
            for g, b in zip(groups, base):
                write_value(g, "lr", None, b)
            if self.cycle_momentum:
                _set_momenta(groups, self.use_beta1, self.base_momentums, self.max_momentums)
        initial = _base_lrs(fn, groups, last_epoch)  # torch's first step reads these: another's initial_lr too
        _set_initial_lrs(groups, last_epoch)
        self._start(optimizer, last_epoch, base)
        self._first_values = None
        if any(i != b for i, b in zip(initial, base)):
            cycle = (self.total_size, self.step_ratio, self.scale_fn, self.scale_mode == "cycle")
            first = [_cyclic_value(cycle, i, m, False, last_epoch + 1) for i, m in zip(initial, self.max_lrs)]
            for g, v in zip(groups, first):
                write_value(g, "lr", None, v)
            self._first_values = (last_epoch + 1, first)

    def step(self, epoch=None):
        self._first_values = None
        _DropIn.step(self, epoch)

    def get_last_lr(self):
        if self._first_values is not None and self._first_values[0] == self.last_epoch:
            return list(self._first_values[1])
        return self._driver.get_last_lr()

    def _sizes(self):
        """Whole step sizes up and down when the cycle has them (else None: torch's formula per step)."""
        up = self.total_size * self.step_ratio
        if not (self.total_size.is_integer() and abs(up - round(up)) < 1e-9 * self.total_size):
            return None
        up = round(up)
        down = round(self.total_size) - up
        return (up, down) if up >= 1 and down >= 1 and up / self.total_size == self.step_ratio else None

    def _fields(self, base_lrs):
        sizes = self._sizes()
        momentum = _momentum_slot(self.use_beta1)[0]
        if self._scale_fn_custom is not None or sizes is None:
            scale_fn = self._scale_fn_custom or self._scale_fn_ref
            cycle = (self.total_size, self.step_ratio, scale_fn, self.scale_mode == "cycle")
            fields = {"lr": [functools.partial(_cyclic_value, cycle, b, m, False) for b, m in zip(base_lrs, self.max_lrs)]}
            if self.cycle_momentum:
                fields[momentum] = [functools.partial(_cyclic_value, cycle, lo, hi, True)
                                    for lo, hi in zip(self.base_momentums, self.max_momentums)]  # fmt: skip
            return fields
        gamma = self.gamma if self.mode == "exp_range" else 1.0  # the other modes ignore it (as torch)
        kw = dict(step_size_up=sizes[0], step_size_down=sizes[1], mode=self.mode, gamma=gamma)
        fields = {"lr": [cyclic(base_value=b, max_value=m, **kw) for b, m in zip(base_lrs, self.max_lrs)]}
        if self.cycle_momentum:
            fields[momentum] = [
                cyclic(base_value=hi, max_value=lo, **kw) for lo, hi in zip(self.base_momentums, self.max_momentums)
            ]
        return fields

    @property
    def _scale_fn_ref(self):
        """torch's scale function of its own ``mode``: a plain function (not saved, no reference to the
        scheduler), as torch's tests check."""
        if self.mode == "exp_range":
            return functools.partial(_exp_range_scale, self.gamma)
        return _triangular2_scale if self.mode == "triangular2" else _triangular_scale

    def scale_fn(self, x):
        """torch's scale function of the cycle (or of the step, for ``exp_range``)."""
        return (self._scale_fn_custom or self._scale_fn_ref)(x)

    @V.explain_arguments
    def state_dict(self):
        state = super().state_dict()
        if not self.cycle_momentum:
            for k in ("use_beta1", "base_momentums", "max_momentums"):
                state.pop(k)
        f = self._scale_fn_custom
        state["_scale_fn_custom"] = None if f is None else _callable_states([f])[0]
        return state

    def _state_rules(self):
        n = len(self.optimizer.param_groups)
        per_group = lambda fn, name, v: _values_for_groups(fn, name, v, n)  # noqa: E731
        return {**super()._state_rules(), "_scale_fn_custom": (lambda fn, name, v: v, None), "max_lrs": per_group,
                "base_momentums": (per_group, None), "max_momentums": (per_group, None)}  # fmt: skip

    def _load(self, fn, got):
        self._first_values = None
        if got["cycle_momentum"] and (got["base_momentums"] is None or got["max_momentums"] is None):
            V.fail(fn, "state_dict", "a state with 'base_momentums' and 'max_momentums' (cycle_momentum=True)", "none")
        _check_momentum_key(fn, self.optimizer, got)
        saved = got["_scale_fn_custom"]
        if saved is not None:
            _check_callable_states(fn, "state_dict['_scale_fn_custom']", [self._scale_fn_custom], [saved])
        super()._load(fn, got)
        if saved:
            vars(self._scale_fn_custom).update(saved)


_PHASE_KEYS = ("end_step", "start_lr", "end_lr", "start_momentum", "end_momentum")
_GROUP_KEYS = ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum")


def _phases(fn, name, v):
    """torch's ``_schedule_phases``: a list of dicts, each with a real ``end_step`` and the group keys it joins."""
    key = lambda fn, name, v: V.choice(fn, name, v, _GROUP_KEYS)  # noqa: E731
    end = lambda fn, name, v: int(v) if V._is_int(v) else V.real(fn, name, v)  # noqa: E731 - an int or a float
    rules = {"end_step": end, **dict.fromkeys(_PHASE_KEYS[1:], key)}
    return [V.state_fields(fn, p, rules, name=f"{name}[{i}]", strict=True)  # end_step as torch's
            for i, p in enumerate(V.sequence(fn, name, v, min_len=1))]  # fmt: skip


def _one_cycle_phases(pct_start, total_steps, three_phase):
    """torch's phase table: where each phase ends (a real step) and the group keys of its ends."""
    first = float(pct_start * total_steps) - 1
    if three_phase:
        ends = [(first, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (float(2 * pct_start * total_steps) - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")]  # fmt: skip
    else:
        ends = [(first, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]  # fmt: skip
    return [dict(zip(_PHASE_KEYS, e)) for e in ends]


class OneCycleLR(_DropIn):
    """torch's ``OneCycleLR``, with its real-valued phase ends and momentum (or beta1) cycling.

    Phase ``i`` ends at ``pct_start * total_steps - 1`` (two-phase), and
    ``2 * pct_start * total_steps - 2`` (three-phase), the last at
    ``total_steps - 1``; the value anneals between the ends as torch's does
    (``lrsched.piecewise_anneal`` is this rule), between the values the
    groups hold under ``initial_lr``, ``max_lr``, ``min_lr`` (and
    ``max_momentum``, ``base_momentum``).  Step ``total_steps`` gets the last
    phase continued by one step (written by ``step()``; the ``schedules``
    hold the final value from ``total_steps - 1`` on), and a step past it
    raises torch's ``ValueError``.
    """

    _hyper = {
        "total_steps": lambda fn, name, v: V.integer(fn, name, v, minimum=1),
        "_schedule_phases": _phases,
        "_anneal_func_type": lambda fn, name, v: V.choice(fn, name, v, ("cos", "linear")),
        "cycle_momentum": V.boolean,
        "use_beta1": (V.boolean, False),
    }

    def __init__(
        self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
        anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
        final_div_factor=1e4, three_phase=False, last_epoch=-1,
    ):  # fmt: skip
        fn = "OneCycleLR"
        groups = _param_groups(fn, optimizer)
        n = len(groups)
        given = {"total_steps": total_steps} if total_steps is not None else {"epochs": epochs,
                                                                              "steps_per_epoch": steps_per_epoch}
        if None in given.values():
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        for name, v in given.items():
            if not V._is_int(v) or v <= 0:
                raise ValueError(f"Expected positive integer {name}, but got {_str(v)}")
        self.total_steps = math.prod(int(v) for v in given.values())
        if self.total_steps > MAX_STEP:
            what = " * ".join(given)
            raise ValueError(f"{fn}: `{what}` must be <= 2**62 (lrsched's largest step), got {what}={V.shown(self.total_steps)}.")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {_str(pct_start)}")
        pct_start = V.real(fn, "pct_start", pct_start, minimum=0.0, maximum=1.0)  # nan passes torch's check
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self._anneal_func_type = anneal_strategy
        self._schedule_phases = _one_cycle_phases(pct_start, self.total_steps, V.boolean(fn, "three_phase", three_phase))
        div_factor = V.real(fn, "div_factor", _number(div_factor), minimum=0.0, low_open=True)
        final_div_factor = V.real(fn, "final_div_factor", _number(final_div_factor), minimum=0.0, low_open=True)
        max_lrs = [V.value(fn, "max_lr", x) for x in _per_group("max_lr", max_lr, n)]
        for top in max_lrs:
            if not math.isfinite(top / div_factor / final_div_factor):
                V.fail(fn, "div_factor", f"such that max_lr / div_factor / final_div_factor is finite (max_lr={top}, "
                       f"final_div_factor={final_div_factor})", div_factor)  # fmt: skip
        self.cycle_momentum = V.boolean(fn, "cycle_momentum", cycle_momentum)
        self.use_beta1 = False
        if self.cycle_momentum:
            self.use_beta1 = _uses_beta1(optimizer, groups)
            max_ms = [V.value(fn, "max_momentum", x) for x in _per_group("max_momentum", max_momentum, n)]
            base_ms = [V.value(fn, "base_momentum", x) for x in _per_group("base_momentum", base_momentum, n)]
        last_epoch = _last_epoch(fn, last_epoch)
        if last_epoch + 1 > self.total_steps:
            raise ValueError(
                f"Tried to step {last_epoch + 1} times. The specified number of total steps is {self.total_steps} "
                f"(last_epoch={last_epoch})"
            )
        self._knots()  # refuses phase ends torch cannot evaluate, before anything changes
        if last_epoch != -1:
            for k, g in enumerate(groups):
                for key in ("initial_lr", "max_lr", "min_lr"):
                    if key not in g:
                        raise KeyError(f"param {key!r} is not specified in param_groups[{k}] when resuming OneCycleLR")
        # every check has passed: torch's construction-time writes
        if last_epoch == -1:
            for g, top in zip(groups, max_lrs):
                g["initial_lr"] = top / div_factor
                g["max_lr"] = top
                g["min_lr"] = g["initial_lr"] / final_div_factor
            if self.cycle_momentum:
                _set_momenta(groups, self.use_beta1, base_ms, max_ms)
        self._at_end = False
        self._start(optimizer, last_epoch, [read_value(g, "initial_lr") for g in groups])
        if last_epoch + 1 == self.total_steps:
            self._write_last_step()

    @staticmethod
    def _annealing_cos(start, end, pct):
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)

    @staticmethod
    def _annealing_linear(start, end, pct):
        return (end - start) * pct + start

    def _state_rules(self):
        rules = super()._state_rules()
        rules["_anneal_func_type"] = (rules["_anneal_func_type"], None)
        rules["anneal_func"] = (lambda fn, name, v: v, None)  # torch before 2.2 saved the function itself
        return rules

    def _load(self, fn, got):
        if got["_anneal_func_type"] is None:
            legacy = {OneCycleLR._annealing_cos: "cos", OneCycleLR._annealing_linear: "linear"}
            f = getattr(got["anneal_func"], "__func__", got["anneal_func"])
            if f not in legacy and getattr(f, "__name__", None) not in ("_annealing_cos", "_annealing_linear"):
                V.fail(fn, "state_dict['_anneal_func_type']", "'cos' or 'linear'", None)
            got["_anneal_func_type"] = legacy.get(f) or ("cos" if f.__name__ == "_annealing_cos" else "linear")
        _check_momentum_key(fn, self.optimizer, got)
        phases = got["_schedule_phases"]
        if len(phases) not in (2, 3) or phases[-1]["end_step"] != got["total_steps"] - 1:
            V.fail(fn, "state_dict['_schedule_phases']", f"torch's 2 or 3 phases, the last ending at total_steps - 1 = "
                   f"{got['total_steps'] - 1}", phases)  # fmt: skip
        super()._load(fn, got)
        self._knots()  # phase ends torch cannot evaluate: refused (the attributes are put back)
        self._at_end = False
        if self.last_epoch == self.total_steps:
            self._write_last_step()

    def _knots(self):
        """Phase ends (real numbers, from step 0) and, per knot, the group key of its value (lr, momentum)."""
        phases = self._schedule_phases
        knots = [0.0, *(p["end_step"] for p in phases)]
        lr = [phases[0]["start_lr"], *(p["end_lr"] for p in phases)]
        mom = [phases[0]["start_momentum"], *(p["end_momentum"] for p in phases)]
        while len(knots) > 2 and knots[1] < 0:  # a phase that ends before step 0 never runs
            knots, lr, mom = knots[1:], lr[1:], mom[1:]
        if any(b <= a for a, b in zip(knots, knots[1:])):
            raise ValueError(
                f"OneCycleLR: the phase ends {[p['end_step'] for p in phases]} (from pct_start and total_steps="
                f"{self.total_steps}) are where torch divides by zero or runs a phase backwards; use a larger "
                f"total_steps or another pct_start."
            )
        return knots, lr, mom

    def _ends(self, k):
        g = self.optimizer.param_groups[k]
        return {key: read_value(g, key) for key in _GROUP_KEYS if key in g}

    def _fields(self, base_lrs):
        knots, lr, mom = self._knots()
        kw = dict(knots=knots, anneal=self._anneal_func_type)
        ends = [self._ends(k) for k in range(len(base_lrs))]
        fields = {"lr": [piecewise_anneal(values=[e[x] for x in lr], **kw) for e in ends]}
        if self.cycle_momentum:
            fields[_momentum_slot(self.use_beta1)[0]] = [
                piecewise_anneal(values=[e[x] for x in mom], **kw) for e in ends
            ]
        return fields

    def _continued(self, start, end):
        """torch's value one step past the last phase end."""
        knots = self._knots()[0]
        pct = (self.total_steps - knots[-2]) / (knots[-1] - knots[-2])
        if self._anneal_func_type == "cos":
            return self._annealing_cos(start, end, pct)
        return self._annealing_linear(start, end, pct)

    def _write_last_step(self):
        _, lr, mom = self._knots()
        for k, g in enumerate(self.optimizer.param_groups):
            e = self._ends(k)
            write_value(g, "lr", None, self._continued(e[lr[-2]], e[lr[-1]]))
            if self.cycle_momentum:
                write_value(g, *_momentum_slot(self.use_beta1)[1:], self._continued(e[mom[-2]], e[mom[-1]]))
        self._at_end = True

    def step(self, epoch=None):
        """Advance one step; torch's ``ValueError`` past ``total_steps``."""
        if epoch is None and not self._first and self._driver.last_step < self.total_steps - 1:
            self._driver.step()  # the common case, kept short: inside the phases
            return
        nxt = self.last_epoch + 1 if epoch is None else epoch
        if V._is_int(nxt) and nxt > self.total_steps:
            raise ValueError(f"Tried to step {nxt} times. The specified number of total steps is {self.total_steps}")
        self._at_end = False
        _DropIn.step(self, epoch)
        if nxt == self.total_steps:
            self._write_last_step()

    def get_last_lr(self):
        if self._at_end:
            return [read_value(g, "lr") for g in self.optimizer.param_groups]
        return self._driver.get_last_lr()

    @V.explain_arguments
    def state_dict(self):
        state = super().state_dict()
        if not self.cycle_momentum:
            state.pop("use_beta1")
        return state



class _Composite:
    """lrsched's part of ``SequentialLR`` and ``ChainedScheduler`` (torch's own classes step the children):
    the arguments checked first, a plain state checked in full before it loads, and ``schedules``."""

    def _checked(self, fn, optimizer, schedulers):
        schedulers = list(V.sequence(fn, "schedulers", schedulers))
        if optimizer is not None or schedulers:  # none: torch's own message
            _param_groups(fn, optimizer or getattr(schedulers[0], "optimizer", None))
        return schedulers

    def get_last_lr(self):
        return [_number(x) for x in self._last_lr]

    def _children_schedules(self):
        try:
            return [s.schedules["lr"] for s in self._schedulers]
        except AttributeError:
            raise AttributeError("schedules: every scheduler must be an lrsched.torch drop-in with tables") from None

    @V.explain_arguments
    def state_dict(self):
        """torch's state (its own keys, each scheduler's state under ``_schedulers``), in plain Python values."""
        return {**super().state_dict(), "_last_lr": self.get_last_lr()}

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        fn = f"{type(self).__name__}.load_state_dict"
        n = len(self.optimizer.param_groups)
        rules = {"_last_lr": (lambda fn, name, v: _values_for_groups(fn, name, v, n), None),
                 "_schedulers": lambda fn, name, v: V.sequence(fn, name, v), **self._rules()}  # fmt: skip
        got = V.state_fields(fn, state_dict, rules)
        _of_length(fn, "state_dict['_schedulers']", list(got["_schedulers"]), len(self._schedulers), "states")
        with _restored_on_error([vars(c) for c in self._schedulers]):  # a state refused for one scheduler leaves every one alone
            for s, st in zip(self._schedulers, got["_schedulers"]):
                s.load_state_dict(st)
        for k in self._rules():
            setattr(self, k, got[k])
        if got["_last_lr"] is not None:
            self._last_lr = got["_last_lr"]

    def _rules(self):
        return {}


@V.explain_arguments
class SequentialLR(_Composite, _lrs.SequentialLR):
    """torch's ``SequentialLR``: ``schedulers[i]`` runs from ``milestones[i-1]``, restarted at its local step 0.

    It is torch's own class (which steps the scheduler whose turn it is),
    with its arguments checked first; ``schedules`` joins the drop-ins' tables.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        fn = "SequentialLR"
        schedulers = self._checked(fn, optimizer, schedulers)
        milestones = [_whole(fn, f"milestones[{i}]", m, minimum=0)
                      for i, m in enumerate(V.sequence(fn, "milestones", milestones))]  # fmt: skip
        super().__init__(optimizer, schedulers, milestones, _last_epoch(fn, last_epoch))

    @property
    def schedules(self):
        """``{"lr": [Schedule per group]}``: the schedulers' tables joined at the milestones."""
        pieces = self._children_schedules()
        return {"lr": [join([p[k] for p in pieces], self._milestones) for k in range(len(pieces[0]))]}

    def _rules(self):
        n = len(self._schedulers) - 1
        ms = lambda fn, name, v: _of_length(fn, name, list(V.step_list(fn, name, v)), n, "milestones (one fewer "  # noqa: E731
                                            "than the schedulers)")  # fmt: skip
        return {"_milestones": ms, "last_epoch": lambda fn, name, v: V.integer(fn, name, v, minimum=-1)}


@V.explain_arguments
class ChainedScheduler(_Composite, _lrs.ChainedScheduler):
    """torch's ``ChainedScheduler``: each ``step()`` steps every scheduler in turn, each on the lr the one before left.

    It is torch's own class, with its arguments checked first.  ``schedules``
    is the product of the drop-ins' factors ``value / base_lr``: the values
    when each scheduler only multiplies the lr.
    """

    def __init__(self, schedulers, optimizer=None):
        super().__init__(self._checked("ChainedScheduler", optimizer, schedulers), optimizer)

    @property
    def schedules(self):
        """``{"lr": [Schedule per group]}``: ``base_lr * prod(s_i / base_lr)``."""
        pieces = self._children_schedules()
        bases = [_number(g["initial_lr"]) for g in self.optimizer.param_groups]
        return {"lr": [constant(0.0) if b == 0.0 else scale(product([scale(p[k], 1.0 / b) for p in pieces]), b)
                       for k, b in enumerate(bases)]}  # fmt: skip


def _plateau_controller(owner, fn, optimizer, **settings):
    """torch's checks and messages of ``ReduceLROnPlateau`` (and transformers' ``GreedyLR``), then the
    controller of ``owner`` (``owner._state``) on the checked settings; returns the param groups."""
    factor, mode, threshold_mode = settings["factor"], settings["mode"], settings["threshold_mode"]
    if V._is_real(factor) and factor >= 1.0:
        raise ValueError("Factor should be < 1.0.")
    groups = _param_groups(fn, optimizer)
    for name, v, options in (("mode", mode, ("min", "max")), ("threshold_mode", threshold_mode, ("rel", "abs"))):
        if not isinstance(v, str):
            V.fail(fn, name, " or ".join(map(repr, options)), v, TypeError)
    if mode not in ("min", "max"):
        raise ValueError(f"mode {mode} is unknown!")
    if threshold_mode not in ("rel", "abs"):
        raise ValueError(f"threshold mode {threshold_mode} is unknown!")
    owner._state = PlateauState(_plateau_settings(fn, **settings), len(groups))
    return groups


@V.explain_arguments
class ReduceLROnPlateau(PeerAttributes, _lrs.ReduceLROnPlateau):
    """torch's ``ReduceLROnPlateau``, on lrsched's plateau controller (``lrsched.plateau``'s rules are torch's).

    ``step(metrics)`` reduces each group's lr (the one it holds now, as
    torch) to ``max(lr * factor, min_lr)`` after more than ``patience`` bad
    epochs.  To reduce *on top of* a schedule, use
    ``lrsched.Scheduler(..., plateau=lrsched.plateau(...))``.
    """

    def __init__(
        self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel", cooldown=0,
        min_lr=0, eps=1e-8,
    ):  # fmt: skip
        fn = "ReduceLROnPlateau"
        groups = _plateau_controller(self, fn, optimizer, mode=mode, factor=factor, patience=patience,
                                     threshold=threshold, threshold_mode=threshold_mode, cooldown=cooldown, eps=eps)
        self.min_lrs = _bounds(fn, "min_lr", min_lr, len(groups))
        self.default_min_lr = None if isinstance(min_lr, (list, tuple)) else self.min_lrs[0]
        self.optimizer = optimizer
        self.last_epoch = 0
        self._last_lr = [read_value(g, "lr") for g in groups]

    mode_worse = property(lambda self: math.inf if self.mode == "min" else -math.inf)

    def is_better(self, a, best):
        """torch's test: ``a`` improves on ``best`` by more than the threshold."""
        return self._state.settings.better(a, best)

    def step(self, metrics, epoch=None):
        """Take one metric (torch's rules); ``epoch`` is deprecated in torch and only sets ``last_epoch``."""
        try:
            current = float(metrics)
        except (TypeError, ValueError):
            V.fail("ReduceLROnPlateau.step", "metrics", "a number", metrics, TypeError)
        if epoch is None:
            epoch = self.last_epoch + 1
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
        self.last_epoch = epoch
        if self._state.count(current):
            groups = self.optimizer.param_groups
            if len(groups) != len(self.min_lrs) and self.default_min_lr is None:  # a group was added (torch's rule)
                raise RuntimeError(
                    f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                    f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new param group "
                    "being added to the optimizer. Please modify the `min_lrs` field to match the length of the "
                    "`optimizer` param groups."
                )  # fmt: skip
            if len(groups) != len(self.min_lrs):
                self.min_lrs = [self.default_min_lr] * len(groups)
            for g, lo in zip(groups, self.min_lrs):
                old = read_value(g, "lr")
                new = self._state.reduced(old, lo)
                if new != old:
                    write_value(g, "lr", None, new)
        self._last_lr = [read_value(g, "lr") for g in self.optimizer.param_groups]

    def get_last_lr(self):
        return list(self._last_lr)

    _KEYS = ("factor", "default_min_lr", "min_lrs", "patience", "cooldown", "eps", "last_epoch", "_last_lr",
             "mode_worse", "mode", "threshold", "threshold_mode", "best", "cooldown_counter", "num_bad_epochs")  # torch's

    @V.explain_arguments
    def state_dict(self):
        """torch's state (plain Python values)."""
        return {k: _saved(getattr(self, k)) for k in self._KEYS}

    @V.explain_arguments
    def load_state_dict(self, state_dict):
        """Continue as the scheduler that saved ``state_dict`` (its settings included, as torch)."""
        fn = "ReduceLROnPlateau.load_state_dict"
        n = len(self.optimizer.param_groups)
        rules = self._peer_rules()
        del rules["num_good_epochs"], rules["warmup_counter"]  # GreedyLR's
        rules.update(
            last_epoch=V.integer, mode_worse=(lambda fn, name, v: v, None),
            default_min_lr=(lambda fn, name, v: None if v is None else V.value(fn, name, _number(v)), None),
            min_lrs=lambda fn, name, v: _values_for_groups(fn, name, v, n),
            _last_lr=(lambda fn, name, v: _values_for_groups(fn, name, v, n), None),
        )  # fmt: skip
        got = V.state_fields(fn, state_dict, rules)
        self._load_peer(fn, got)
        self.min_lrs, self.default_min_lr = got["min_lrs"], got["default_min_lr"]
        self.last_epoch = got["last_epoch"]
        if got["_last_lr"] is not None:
            self._last_lr = got["_last_lr"]


# -- the core adapter as a torch LRScheduler ----------------------------------------------------


@V.explain_arguments
class Scheduler(LRScheduler):
    """``lrsched.Scheduler`` as a torch ``LRScheduler``: the same arguments, values and state, torch's habits.

    Everything is the core adapter's (``lrsched.Scheduler``, which this
    class holds and delegates to): any fields (``{"lr": s, "momentum": m}``,
    ``"betas[0]"``, ``"weight_decay"``), per-group schedules, ``relative``
    mode, a ``plateau`` on top of the schedule, ``change()``, and a
    JSON-able ``state_dict()`` that resumes exactly at any step (no
    replay).  What it adds is what trainers look for in a torch scheduler:

    - ``isinstance(sched, torch.optim.lr_scheduler.LRScheduler)``, so
      Lightning steps it without an ``lr_scheduler_step`` hook, the
      Hugging Face Trainer and accelerate treat it as torch's;
    - ``step(metrics)`` feeds ``metrics`` (a number or a 0-d tensor) to the
      plateau controller, then steps: how Lightning calls a scheduler
      configured with ``reduce_on_plateau`` and a ``monitor``
      (``lightning_scheduler(sched, monitor=...)``);
    - ``last_epoch`` (torch's name for ``last_step``: 0 after construction,
      ``k`` after ``k`` steps), ``_step_count``, ``get_lr()``, and torch's
      warnings: ``step()`` before ``optimizer.step()``, an
      ``optimizer.step`` replaced after construction, ``step(epoch=)``
      deprecated, ``get_lr()`` outside ``step()``;
    - a tensor value is filled in place (the core's rule), so a compiled
      optimizer step does not recompile.

    Parameters
    ----------
    optimizer, schedule, field, relative, last_step, plateau
        As ``lrsched.Scheduler``'s (same checks, same errors).

    Conventions (torch's, as the core's): after construction a group holds
    ``s.at(last_step + 1)`` (``s.at(0)`` by default); after ``k`` calls to
    ``step()`` it holds ``s.at(k)``, the value optimizer update ``k`` uses.
    ``state_dict()`` is the core's (``"format": "lrsched.Scheduler/1"``), so
    a state saved by either class loads into the other.

    Examples
    --------
    >>> import torch, lrsched
    >>> from lrsched.torch import Scheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.0, momentum=0.0)
    >>> sched = Scheduler(opt, {"lr": lrsched.linear(init_value=1.0, steps=4),
    ...                         "momentum": lrsched.constant(0.9)})
    >>> isinstance(sched, torch.optim.lr_scheduler.LRScheduler)
    True
    >>> opt.step(); sched.step(); opt.step(); sched.step()
    >>> sched.last_epoch, sched.get_last_lr(), opt.param_groups[0]["momentum"]
    (2, [0.5], 0.9)

    See also
    --------
    lrsched.Scheduler : the adapter itself (any object with ``param_groups``).
    lightning_scheduler : the ``lr_scheduler`` dict Lightning's ``configure_optimizers`` returns.
    """

    def __init__(self, optimizer, schedule, *, field="lr", relative=False, last_step=-1, plateau=None):
        # every argument is the core's, checked by it; nothing here changes the groups before it has passed
        self._core = _CoreScheduler(optimizer, schedule, field=field, relative=relative, last_step=last_step,
                                    plateau=plateau)  # fmt: skip
        self._has_plateau = plateau is not None
        self.optimizer = optimizer
        self._updates_watched = self._update_pending = False  # see _watch_updates
        _track_step_calls(optimizer)
        self._step_count = 1  # torch's count after its construction-time step

    # -- stepping ---------------------------------------------------------------------

    def step(self, metrics=None, epoch=None):
        """Advance one update; ``step(metrics)`` first feeds ``metrics`` to the plateau controller.

        ``epoch`` (deprecated in torch, with its warning) jumps to that step
        instead of advancing, as ``seek(epoch)``.
        """
        if metrics is None and epoch is None and self._plain_steps:
            self._core.step()  # the common case; _step_count follows from the step
            return
        self._update_pending = False
        if metrics is not None and not self._has_plateau:
            raise ValueError(
                f"Scheduler.step: got metrics={V.shown(metrics)}, but this scheduler has no plateau to feed; build "
                f"it with plateau=lrsched.plateau(...), or call step() without a metric (torch's deprecated jump "
                f"to an epoch is step(epoch=...))."
            )
        if metrics is not None:  # checked (and observed) first: a refused metric changes nothing, warns nothing
            self._core.observe(_number(metrics))
        if self._first:  # torch's check at its _step_count == 1
            self._first = False
            self._plain_steps = not self._updates_watched
            _warn_step_order(self.optimizer)
        if epoch is None:
            self._core.step()
        else:
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)
            count = self._step_count
            self._core.seek(V.integer("Scheduler.step", "epoch", _number(epoch)))
            self._step_count = count + 1

    def observe(self, metric):
        """Feed a metric to the plateau controller (``lrsched.Scheduler.observe``); a reduction applies at once."""
        self._core.observe(_number(metric))

    def advance_to(self, step):
        """Move forward to ``step`` and write its values (``lrsched.Scheduler.advance_to``)."""
        self._core.advance_to(step)

    @V.explain_arguments
    def seek(self, step):
        """Jump to ``step`` in O(1) and write its values (``lrsched.Scheduler.seek``); the step count stays."""
        count = self._step_count
        self._core.seek(step)
        self._step_count = count

    @V.explain_arguments
    def change(self, schedule, *, field=None):
        """Switch to other schedules from the current step on (``lrsched.Scheduler.change``); returns the ``Change``."""
        return self._core.change(schedule, field=field)

    @property
    def _step_count(self):
        """torch's count of ``step()`` calls, 1 after construction (accelerate reads and moves it)."""
        return self._core.last_step - self._count_origin

    @_step_count.setter
    def _step_count(self, value):
        self._count_origin = self._core.last_step - value
        self._first = value == 1
        self._plain_steps = not (self._first or self._updates_watched)  # step()'s common case

    def _watch_updates(self):
        """Count an optimizer update that this scheduler has not stepped after yet into ``state_dict()``.

        Lightning steps a scheduler configured with ``reduce_on_plateau``
        after the checkpoints of the update (``ModelCheckpoint`` saves in
        ``on_train_batch_end`` and ``on_validation_end``, before it), so the
        state it saves would be one step behind the update it has made, and a
        run resumed from it would lag by one step.  Watched (by an optimizer
        step post-hook), such a state holds the step of the next update;
        the metric of the update saved is not observed in it, as with torch's
        ``ReduceLROnPlateau`` in Lightning.  ``lightning_scheduler`` turns
        this on with a ``monitor``.
        """
        if self._updates_watched:
            return
        register = getattr(self.optimizer, "register_step_post_hook", None)
        if register is None:
            V.fail("lightning_scheduler", "scheduler", "a scheduler of a torch optimizer (Lightning's)",
                   type(self.optimizer).__name__, TypeError)  # fmt: skip
        register(_marks_pending(weakref.ref(self)))
        self._updates_watched = True
        self._plain_steps = False

    # -- reading ----------------------------------------------------------------------

    @property
    def last_epoch(self):
        """torch's name for the current step: 0 after construction, ``k`` after ``k`` steps (``seek`` moves it)."""
        return self._core.last_step

    @property
    def last_step(self):
        """The current step: the groups hold its values."""
        return self._core.last_step

    def get_last_lr(self):
        """The lr of each group written at the current step (floats, also where the groups hold tensors)."""
        return self._core.get_last_lr()

    @property
    def _last_lr(self):  # torch's attribute, read by its composites and print_lr
        return self._core.get_last_lr()

    def get_last_values(self, field=None):
        """The values written at the current step for ``field`` (the first field by default), one per group."""
        return self._core.get_last_values(field)

    def get_lr(self):
        """The lrs at ``last_epoch``; torch's warning outside ``step()`` (use ``get_last_lr``)."""
        warnings.warn(_GET_LR_WARNING, UserWarning, stacklevel=2)
        return self._core.get_last_lr()

    @property
    def schedules(self):
        """``{field: [Schedule per group]}`` (with ``relative=True``: the multipliers)."""
        return self._core.schedules

    # -- state ------------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """The core's state (``lrsched.Scheduler.state_dict``): plain JSON-able data, the optimizer excluded.

        Configured for Lightning with a ``monitor`` (``lightning_scheduler``),
        a state saved between an optimizer update and this scheduler's step
        holds the next step (see ``_watch_updates``).
        """
        state = self._core.state_dict()
        if self._update_pending and state["last_step"] < MAX_STEP:
            state["last_step"] += 1
        return state

    @V.explain_arguments
    def load_state_dict(self, state_dict, *, adopt=False, keep=False):
        """Restore a ``state_dict()`` (``lrsched.Scheduler.load_state_dict``: checked in full, exact resume).

        ``adopt=True`` takes saved schedules that differ from this
        scheduler's, ``keep=True`` keeps this scheduler's from the saved step
        on (warning with the ``Change``, which is returned).  The step count
        becomes ``last_epoch + 1``, as for a run started at step 0.
        """
        change = self._core.load_state_dict(state_dict, adopt=adopt, keep=keep)
        self._update_pending = False
        self._step_count = self._core.last_step + 1
        return change

    # -- copies -------------------------------------------------------------------------

    def __copy__(self):
        """A shallow copy shares the optimizer (as torch's) but steps on its own (a copy of the core)."""
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._core = copy.copy(self._core)
        return new


def _marks_pending(ref):
    """An optimizer step post-hook: the scheduler behind ``ref`` (weakly held) has an update to step after."""

    def hook(optimizer, args, kwargs):
        sched = ref()
        if sched is not None:
            sched._update_pending = True

    return hook


@V.explain_arguments
def lightning_scheduler(scheduler, *, monitor=None, name=None):
    """The ``lr_scheduler`` dict Lightning's ``configure_optimizers`` returns for a scheduler stepped per update.

    ``{"scheduler": scheduler, "interval": "step", "frequency": 1}``: one
    ``step()`` per optimizer update (Lightning's default is once per epoch).
    With ``monitor``, for a ``Scheduler`` built with a ``plateau``, also
    ``"reduce_on_plateau": True, "monitor": monitor, "strict": True``:
    Lightning then calls ``scheduler.step(metric)`` after each update with
    the latest value logged under ``monitor`` (``self.log(monitor, ...)``),
    which the plateau controller observes before the step, so ``patience``
    and ``cooldown`` count updates.  Lightning makes that call after the
    update's checkpoints (``ModelCheckpoint`` in ``on_train_batch_end`` or
    ``on_validation_end``): the scheduler is told so, and a state saved
    there holds the step of the next update (not the one before it), so a
    resumed run does not lag by a step; the metric of the update saved is
    not in it (as with torch's ``ReduceLROnPlateau`` in Lightning).  The metric must be logged by then at
    every update (a training-step metric): with ``strict`` Lightning raises
    if it is missing; without it Lightning would skip the step and the
    schedule would fall behind.  For a metric of the validation loop, leave
    ``monitor`` out and call ``scheduler.observe(metric)`` where it is
    computed (``on_validation_epoch_end``).

    Parameters
    ----------
    scheduler : torch LRScheduler
        A ``lrsched.torch.Scheduler``, a drop-in, or any torch scheduler.
    monitor : str, optional
        The logged metric fed to ``step(metric)`` (a ``Scheduler`` with a plateau,
        or a ``ReduceLROnPlateau``).
    name : str, optional
        Lightning's ``name`` (the key ``LearningRateMonitor`` logs under).

    Returns
    -------
    dict
        Lightning's ``lr_scheduler`` configuration.

    Examples
    --------
    >>> import torch, lrsched
    >>> from lrsched.torch import Scheduler, lightning_scheduler
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> sched = Scheduler(opt, lrsched.constant(0.1), plateau=lrsched.plateau(patience=100))
    >>> config = lightning_scheduler(sched, monitor="train_loss")
    >>> sorted(config)
    ['frequency', 'interval', 'monitor', 'reduce_on_plateau', 'scheduler', 'strict']
    >>> {"optimizer": opt, "lr_scheduler": config}["lr_scheduler"]["interval"]  # what configure_optimizers returns
    'step'
    """
    fn = "lightning_scheduler"
    if not isinstance(scheduler, (LRScheduler, _lrs.ReduceLROnPlateau)):
        V.fail(fn, "scheduler", "a torch LRScheduler (such as a lrsched.torch.Scheduler)", scheduler, TypeError)
    config = {"scheduler": scheduler, "interval": "step", "frequency": 1}
    if name is not None:
        if not isinstance(name, str):
            V.fail(fn, "name", "a str or None", name, TypeError)
        config["name"] = name
    if monitor is not None:
        if not isinstance(monitor, str):
            V.fail(fn, "monitor", "the name of a logged metric (a str) or None", monitor, TypeError)
        if isinstance(scheduler, Scheduler) and not scheduler._has_plateau:
            V.fail(fn, "monitor", "left out: the scheduler has no plateau to feed (build it with "
                   "plateau=lrsched.plateau(...))", monitor)  # fmt: skip
        if not isinstance(scheduler, (Scheduler, _lrs.ReduceLROnPlateau)):
            V.fail(fn, "monitor", f"left out: a {type(scheduler).__name__} takes no metric", monitor)
        config.update(reduce_on_plateau=True, monitor=monitor, strict=True)
        if isinstance(scheduler, Scheduler):
            scheduler._watch_updates()  # Lightning steps it after the update's checkpoints
    return config
