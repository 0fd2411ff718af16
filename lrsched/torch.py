"""Drop-ins for ``torch.optim.lr_scheduler`` (torch 2.13): same names, arguments and values.

Change one import line::

    from torch.optim.lr_scheduler import CosineAnnealingLR   # before
    from lrsched.torch import CosineAnnealingLR              # after

Each drop-in lowers its arguments to one lrsched ``Schedule`` per param
group (``sched.schedules``, so a table can be precomputed without stepping)
and writes them through ``lrsched.Scheduler``: a ``step()`` is an index and
a store per group, ``state_dict()`` is plain JSON data, and
``load_state_dict()`` resumes exactly in O(1), whatever lr the optimizer
holds.  The classes are subclasses of torch's ``LRScheduler`` (and
``ReduceLROnPlateau``), so Lightning and the Hugging Face Trainer accept
them.  ``load_state_dict`` also takes a state saved by the torch class of
the same name (its ``last_epoch`` and ``base_lrs``).

torch's observable quirks, reproduced (each is tested against torch):

- ``CosineAnnealingLR`` is periodic past ``T_max``: it rises back to the
  base lr over the next ``T_max`` steps, and so on.
- ``MultiStepLR``: a milestone listed twice applies ``gamma`` twice.
- ``ConstantLR``/``LinearLR`` with ``total_iters=0`` keep the start factor
  for ever and ``PolynomialLR`` with ``total_iters=0`` keeps the base lr (what
  torch's step-by-step update does; its closed form would divide by zero).
- ``OneCycleLR`` puts its phase ends at ``pct_start * total_steps - 1`` (a
  real number), gives a value at step ``total_steps`` (the last phase
  continued one step) and raises torch's ``ValueError`` on the step after.
- ``SequentialLR`` restarts each scheduler at its local step 0 at its milestone.
- ``CyclicLR`` and ``OneCycleLR`` set the groups' lr (and momentum or Adam's
  beta1, with ``max_momentum``/``base_momentum`` keys) at construction.
- ``step(epoch)`` warns as torch does and jumps to ``epoch``, as torch's
  closed form does.

Where torch's update is recursive (it multiplies the lr the group holds now),
a value can depend on history; lrsched computes every value from the step:

- An external edit of ``group["lr"]`` lasts until the next ``step()``; torch's
  recursive schedulers would carry it forward.
- ``ChainedScheduler`` multiplies its schedulers' factors ``value / base_lr``
  at every step.  That is torch's result whenever each scheduler only
  multiplies (``ConstantLR``, ``LinearLR``, ``StepLR``, ``MultiStepLR``,
  ``ExponentialLR``, ``PolynomialLR``, ``CosineAnnealingLR`` with
  ``eta_min=0`` up to ``T_max``); torch differs for schedulers that set a
  value (``LambdaLR``, ``CyclicLR``, ...), for an ``eta_min`` and past
  ``T_max``, where its additive cosine step ignores the other factors.
- ``LambdaLR``/``MultiplicativeLR`` call a Python function per step and
  group (the slow path, as torch); pass ``lrsched`` Schedules as the
  lambdas for the fast path (``LambdaLR``: the schedule is the factor).
  ``MultiplicativeLR`` keeps its running product in its state, so it too
  resumes without replay.
- ``CosineAnnealingWarmRestarts.step(epoch)`` with an integer epoch restarts
  where incremental stepping does; torch's float logarithm is off by one
  cycle at some restart steps.  A fractional epoch is evaluated with
  torch's formula.
- ``ExponentialLR`` with ``gamma > 1`` stops growing at half the largest
  float, where torch's value would overflow to ``inf``.
- A param group added after construction (``add_param_group``) makes the
  next ``step()`` raise: it has no schedule (torch's recursive schedulers
  carry its lr along, some of torch's others raise too).
- ``get_last_lr()`` gives floats, also where the groups hold tensors.
- ``load_state_dict`` takes torch's own state dicts except those of
  ``MultiplicativeLR`` (which hold no running product), ``SequentialLR`` and
  ``ChainedScheduler``; a lambda object's ``__dict__`` is saved only when it
  is plain JSON data (otherwise ``state_dict()`` raises a ``TypeError``).
  A state is checked in full before anything changes: a state of another
  lrsched version (its ``format``), class or arguments (``ReduceLROnPlateau``:
  torch's ``mode``, ``factor``, ``patience``, ... too) is refused, and so is
  one with a key missing or unknown.
- ``isinstance`` against torch's ``LRScheduler`` and ``ReduceLROnPlateau``
  holds; against torch's concrete classes (``OneCycleLR``, ...) it does not.
- ``OneCycleLR(three_phase=True)`` with ``pct_start`` above about 0.5 (a
  phase that would run backwards) is refused.
- Arguments torch leaves unchecked (``step_size=0``, ``T_max=0``, a negative
  milestone, ...) are refused with a ``ValueError`` naming them, instead of
  failing later.  Any object with ``param_groups`` is accepted as optimizer.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import json
import math
import sys
import types
import warnings
from collections import Counter

try:
    import torch as _torch
    from torch.optim import lr_scheduler as _lrs
except ImportError as e:  # pragma: no cover - exercised in a process without torch
    raise ImportError(
        "lrsched.torch needs PyTorch: pip install 'lrsched[torch]' (or pip install torch). "
        "The rest of lrsched works without it."
    ) from e

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .adapter import Scheduler, _param_groups
from .cycles import cyclic, repeat, sgdr
from .phases import piecewise_anneal
from .plateau import plateau as _plateau_settings
from .schedules import (
    constant, cosine, exponential, join, linear, multistep, piecewise_constant, polynomial, product, scale,
)  # fmt: skip
from .schedules import step as _step_schedule

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
]

LRScheduler = _lrs.LRScheduler
_FORMAT = "lrsched.torch/1"
_STATE_KEYS = ("format", "class", "hyper", "base_lrs", "last_epoch", "scheduler")  # _DropIn.state_dict()'s
EPOCH_DEPRECATION_WARNING = _lrs.EPOCH_DEPRECATION_WARNING


# -- shared checks ----------------------------------------------------------------------------


def _scalar(x):
    """A group value as a float (tensors included)."""
    return float(x.item() if hasattr(x, "item") else x)


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
        out.append(V.value(fn, f"param_groups[{k}][{key!r}]", _scalar(g[key])))
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
        return list(value)
    return [value] * n


def _momentum_field(optimizer, groups):
    """``"betas[0]"`` for Adam-like optimizers, else ``"momentum"`` (torch's rule, on ``defaults``)."""
    defaults = getattr(optimizer, "defaults", None)
    if not isinstance(defaults, dict):
        defaults = groups[0]
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError("optimizer must support momentum or beta1 with `cycle_momentum` option enabled")
    return "betas[0]" if "betas" in defaults else "momentum"


def _epoch(fn, epoch):
    """An epoch given to ``step(epoch)``: an integer (an integral float as torch allows), >= 0."""
    if V._is_real(epoch) and not V._is_int(epoch) and float(epoch).is_integer():
        epoch = int(epoch)
    return V.integer(f"{fn}.step", "epoch", epoch)


def _str(x):
    """``str(x)`` for torch's messages, bounded as ``V.shown`` (a huge int's str raises)."""
    if V._small(x, [1000], 0):
        try:
            return str(x)
        except (ValueError, RecursionError):
            pass
    return V.shown(x)


def _equal(saved, ours):
    """``saved == ours`` for plain data read from a state dict (an array in it is not equal, not an error)."""
    try:
        return type(saved) is type(ours) and bool(saved == ours)
    except (ValueError, TypeError):
        return False


def _same(saved, ours):
    """``saved == ours`` for a setting read from a state dict: numbers by value (``0 == 0.0``, but a bool is
    no number), lists item by item, anything else of the same type only."""
    if isinstance(ours, (list, tuple)):
        return isinstance(saved, (list, tuple)) and len(saved) == len(ours) and all(map(_same, saved, ours))
    if V._is_real(ours):
        return V._is_real(saved) and bool(saved == ours)
    return type(saved) is type(ours) and bool(saved == ours)


def _kind(x):
    return "number" if V._is_real(x) else "list" if isinstance(x, (list, tuple)) else type(x)


def _setting(fn, name, saved, ours):
    """A setting saved in a state dict must be this scheduler's (``TypeError`` for another kind of value)."""
    if not _same(saved, ours):
        exc = ValueError if _kind(saved) == _kind(ours) else TypeError
        V.fail(fn, name, f"{ours!r} (as this scheduler)", saved, exc)


def _keys(fn, name, state, keys, what):
    """Refuse a state (a dict) whose keys are not exactly ``keys``, naming the missing and the unknown ones."""
    missing = [k for k in keys if k not in state]
    unknown = [k for k in state if k not in keys]
    if missing or unknown:

        def listed(ks):
            return f"{'key' if len(ks) == 1 else 'keys'} {V.shown(ks)}"

        got = " and ".join(p for p in (missing and f"without the {listed(missing)}",
                                       unknown and f"with the unknown {listed(unknown)}") if p)  # fmt: skip
        raise ValueError(f"{fn}: `{name}` must have the keys of {what}, got one {got}.")


def _lrsched_state(fn, state, name):
    """True for a ``state_dict()`` of ``lrsched.torch.<name>``, False for a state without ``format`` (torch's
    own); a state of another format (another lrsched version, another lrsched object) or class is refused."""
    if not isinstance(state, dict):
        V.fail(fn, "state_dict", "a dict", state, TypeError)
    if "format" not in state:
        return False
    form = state["format"]
    if not _equal(form, _FORMAT):
        V.fail(fn, "state_dict['format']", f"{_FORMAT!r} (a state_dict() of lrsched.torch.{name}) or absent (torch's "
               f"own state_dict())", form, ValueError if isinstance(form, str) else TypeError)  # fmt: skip
    if not _equal(state.get("class"), name):
        V.fail(fn, "state_dict['class']", repr(name), state.get("class"))
    return True


def _last_epoch(fn, last_epoch):
    return V.integer(fn, "last_epoch", last_epoch, minimum=-1, maximum=MAX_STEP - 1)


def _json_dict(fn, d):
    """A copy of a callable's ``__dict__`` when it is plain JSON data (torch saves it too)."""
    try:
        json.dumps(d)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: a lambda's __dict__ must be plain JSON data to be saved, got {d!r}.") from None
    return dict(d)


@contextlib.contextmanager
def _unchanged_on_error(optimizer):
    """Leave the optimizer's param groups as they were if the block raises (a refused constructor
    changes nothing, even when a check fails after torch's construction-time writes)."""
    groups = getattr(optimizer, "param_groups", None)
    saved = []
    if isinstance(groups, (list, tuple)):
        for g in groups:
            if isinstance(g, dict):
                tensors = {k: v.detach().clone() for k, v in g.items() if isinstance(v, _torch.Tensor)}
                saved.append((g, dict(g), tensors))
    try:
        yield
    except BaseException:
        with _torch.no_grad():
            for g, items, tensors in saved:
                g.clear()
                g.update(items)
                for k, t in tensors.items():  # a value filled in place (fill_)
                    items[k].copy_(t)
        raise


def _guarded(init):
    """``init`` run under ``_unchanged_on_error`` of its ``optimizer`` argument."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def guarded(self, *args, **kwargs):
        try:
            optimizer = signature.bind(self, *args, **kwargs).arguments.get("optimizer")
        except TypeError:
            optimizer = None  # the call itself is wrong: init raises before touching anything
        with _unchanged_on_error(optimizer):
            init(self, *args, **kwargs)

    return guarded


# -- the drop-in base -------------------------------------------------------------------------


class _DropIn(LRScheduler):
    """Schedules per group, served by an ``lrsched.Scheduler``; never calls torch's ``__init__``.

    Subclasses set their checked arguments as attributes (as torch does),
    then call ``_launch(optimizer, last_epoch)`` (or ``_start`` with their
    own base lrs); ``_fields(base_lrs)`` returns ``{field: [Schedule per group]}``.
    """

    _hyper = ()  # argument names saved with the state and checked on load
    _relative = False  # True: _fields gives multipliers of each group's initial_lr (base_lr * m(t), as torch)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:  # every constructor: a refused one leaves the groups alone
            cls.__init__ = _guarded(cls.__dict__["__init__"])

    def _launch(self, optimizer, last_epoch):
        """torch's ``initial_lr`` rule, then the first step (every argument has been checked)."""
        base = _base_lrs(type(self).__name__, optimizer.param_groups, last_epoch)
        _set_initial_lrs(optimizer.param_groups, last_epoch)
        self._start(optimizer, last_epoch, base)

    def _start(self, optimizer, last_epoch, base_lrs):
        self.optimizer = optimizer
        self.base_lrs = list(base_lrs)
        self._driver = self._scheduler(optimizer, self.base_lrs, last_epoch)
        self._first_epoch = last_epoch + 1

    def _scheduler(self, optimizer, base_lrs, last_step):
        """The adapter; with ``_relative`` it stores ``base_lr * m(t)``, one multiply per group (torch's product)."""
        if self._relative:
            return Scheduler(optimizer, self._fields(base_lrs), relative=True, last_step=last_step)
        return Scheduler(optimizer, self._fields(base_lrs), last_step=last_step)

    def _fields(self, base_lrs):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    # -- stepping ---------------------------------------------------------------------

    def step(self, epoch=None):
        """Advance one step (``epoch``: deprecated in torch; jumps to that step, as torch's closed form)."""
        if epoch is None:
            self._driver.step()
        else:
            self._driver.seek(_epoch(type(self).__name__, epoch))
            warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)

    @property
    def _step_count(self):
        """torch's count of ``step()`` calls, 1 after construction (accelerate reads it)."""
        return self.last_epoch - self._first_epoch + 1

    @_step_count.setter
    def _step_count(self, value):
        self._first_epoch = self.last_epoch + 1 - value

    @property
    def last_epoch(self):
        """The current step (torch's name); setting it jumps there in O(1)."""
        return self._driver.last_step

    @last_epoch.setter
    def last_epoch(self, value):
        self._driver.seek(value)

    def get_last_lr(self):
        """The lr of each group at the current step."""
        return self._driver.get_last_lr()

    @property
    def _last_lr(self):
        return self._driver.get_last_lr()

    def get_lr(self):
        """The lr of each group at ``last_epoch`` (closed form; torch's is the recursive update)."""
        return self._driver.get_last_lr()

    @property
    def schedules(self):
        """``{field: [Schedule per group]}`` -- e.g. ``sched.schedules["lr"][0].table(n)``, the values step() writes."""
        if self._relative:  # base_lr times the multiplier: the same product step() forms
            return {f: [product([constant(b), m]) for b, m in zip(self.base_lrs, ms)]
                    for f, ms in self._driver.schedules.items()}  # fmt: skip
        return self._driver.schedules

    # -- state ------------------------------------------------------------------------

    def _hyper_state(self):
        return {k: getattr(self, k) for k in self._hyper}

    def state_dict(self):
        """Plain JSON-able data: the class, its arguments, ``base_lrs`` and the adapter's state."""
        return {
            "format": _FORMAT,
            "class": type(self).__name__,
            "hyper": self._hyper_state(),
            "base_lrs": list(self.base_lrs),
            "last_epoch": self.last_epoch,
            "scheduler": self._driver.state_dict(),
        }

    def load_state_dict(self, state_dict, *, adopt=False):
        """Restore a ``state_dict()`` of this class -- or of the torch class of the same name.

        A torch state gives ``last_epoch`` and ``base_lrs``; the values are
        recomputed from them (no replay).  Arguments saved in the state must
        equal this scheduler's unless ``adopt=True`` (lrsched states only).
        """
        fn = f"{type(self).__name__}.load_state_dict"
        if _lrsched_state(fn, state_dict, type(self).__name__):
            _keys(fn, "state_dict", state_dict, _STATE_KEYS, f"a state_dict() of lrsched.torch.{type(self).__name__}")
            if not isinstance(state_dict["hyper"], dict):
                V.fail(fn, "state_dict['hyper']", "a dict", state_dict["hyper"], TypeError)
            if not _equal(state_dict["hyper"], self._hyper_state()) and not adopt:
                raise ValueError(
                    f"{fn}: the saved arguments state_dict['hyper']={V.shown(state_dict['hyper'])} differ from "
                    f"this scheduler's {self._hyper_state()!r}; pass adopt=True to use the saved schedules."
                )
            base = V.value_list(fn, "state_dict['base_lrs']", state_dict.get("base_lrs"))
            if len(base) != len(self.base_lrs):
                V.fail(fn, "state_dict['base_lrs']", f"a list of {len(self.base_lrs)} values", base)
            self._driver.load_state_dict(state_dict["scheduler"], adopt=adopt)
            self.base_lrs = list(base)
            if adopt:
                self._adopt_hyper(state_dict["hyper"])
            return
        self._load_torch_state(fn, state_dict)

    def _adopt_hyper(self, hyper):
        """Take the saved arguments (``load_state_dict(..., adopt=True)``), so a later state matches."""
        for k in self._hyper:
            if k in hyper:
                setattr(self, k, hyper[k])

    def _torch_step_and_base(self, fn, state):
        """``last_epoch`` and ``base_lrs`` of a torch state dict, checked (and its arguments against ours)."""
        if "last_epoch" not in state or "base_lrs" not in state:
            V.fail(fn, "state_dict", f"a state_dict() of lrsched.torch.{type(self).__name__} or of torch's", state)
        for k in self._hyper:
            if k in state and state[k] != getattr(self, k):
                V.fail(fn, f"state_dict[{k!r}]", f"{getattr(self, k)!r} (as this scheduler)", state[k])
        step = V.integer(fn, "state_dict['last_epoch']", state["last_epoch"])
        base = V.value_list(fn, "state_dict['base_lrs']", [_scalar(b) for b in V.sequence(fn, "state_dict['base_lrs']",
                                                                                          state["base_lrs"])])  # fmt: skip
        if len(base) != len(self.base_lrs):
            V.fail(fn, "state_dict['base_lrs']", f"a list of {len(self.base_lrs)} values", base)
        return step, base

    def _load_torch_state(self, fn, state):
        step, base = self._torch_step_and_base(fn, state)
        if self._relative:  # the multipliers scale each group's initial_lr: torch's base_lrs
            for g, b in zip(self.optimizer.param_groups, base):
                g["initial_lr"] = b
        self._driver, self.base_lrs = self._scheduler(self.optimizer, base, step - 1), list(base)


class _FunctionDriver:
    """The slow path: values from Python functions of the step, called once per step and group.

    Same interface as the parts of ``Scheduler`` the drop-ins use.
    """

    def __init__(self, optimizer, funcs, last_step):
        self.optimizer = optimizer
        self._funcs = funcs  # one function step -> lr per group
        self.last_step = last_step
        self.seek(last_step + 1)

    def _values(self, t):
        return [float(f(t)) for f in self._funcs]

    def _write(self, values):
        for g, v in zip(self.optimizer.param_groups, values):
            _put(g, "lr", v)
        self._last = values

    def step(self):
        self.last_step += 1
        self._write(self._values(self.last_step))

    def seek(self, step):
        step = V.integer("seek", "step", step)
        self.last_step = step
        self._write(self._values(step))

    def get_last_lr(self):
        return list(self._last)

    @property
    def schedules(self):
        raise AttributeError("schedules: this scheduler calls Python functions; pass lrsched Schedules for tables")

    def state_dict(self):
        return {"last_step": self.last_step}

    def load_state_dict(self, state, adopt=False):
        fn = "load_state_dict"
        if not isinstance(state, dict):
            V.fail(fn, "state_dict['scheduler']", "a dict", state, TypeError)
        _keys(fn, "state_dict['scheduler']", state, ("last_step",), "this scheduler's state")
        self.seek(V.integer(fn, "state_dict['scheduler']['last_step']", state["last_step"]))


def _lambdas(lr_lambda, n):
    if isinstance(lr_lambda, (list, tuple)):
        if len(lr_lambda) != n:
            raise ValueError(f"Expected {n} lr_lambdas, but got {len(lr_lambda)}")
        out = list(lr_lambda)
    else:
        out = [lr_lambda] * n
    for k, f in enumerate(out):
        if not (isinstance(f, Schedule) or callable(f)):
            raise TypeError(f"lr_lambda should be a function, but got {type(f).__name__}")
    return out


# -- the schedulers ---------------------------------------------------------------------------


class LambdaLR(_DropIn):
    """torch's ``LambdaLR``: ``lr = base_lr * lr_lambda(step)``.

    ``lr_lambda`` (or one per group) may be a Python function (called per
    step, the slow path) or an lrsched ``Schedule`` giving the factor (the
    fast path, with tables and O(1) resume).

    Examples
    --------
    >>> import torch, lrsched
    >>> from lrsched.torch import LambdaLR
    >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    >>> sched = LambdaLR(opt, lrsched.linear(init_value=1.0, steps=10))
    >>> sched.step(); sched.get_last_lr()
    [0.09000000000000001]
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        fn = "LambdaLR"
        groups = _param_groups(fn, optimizer)
        last_epoch = _last_epoch(fn, last_epoch)
        self.lr_lambdas = _lambdas(lr_lambda, len(groups))
        base = _base_lrs(fn, groups, last_epoch)
        _set_initial_lrs(groups, last_epoch)
        self._fast = all(isinstance(f, Schedule) for f in self.lr_lambdas)
        if self._fast:
            self._start(optimizer, last_epoch, base)
        else:
            self.optimizer = optimizer
            self._functions(base, last_epoch)
            self._first_epoch = self._driver.last_step

    def _functions(self, base_lrs, last_step):
        """The slow path: ``base_lr * lr_lambda(step)`` called per step."""
        self.base_lrs = list(base_lrs)
        funcs = [_times(b, f.at if isinstance(f, Schedule) else f) for b, f in zip(base_lrs, self.lr_lambdas)]
        self._driver = _FunctionDriver(self.optimizer, funcs, last_step)

    _relative = True

    def _fields(self, base_lrs):
        return {"lr": list(self.lr_lambdas)}

    def _hyper_state(self):
        if self._fast:
            return {"lr_lambdas": [f.to_dict() for f in self.lr_lambdas]}
        return {"lr_lambdas": _lambda_states(type(self).__name__, self.lr_lambdas)}

    def load_state_dict(self, state_dict, *, adopt=False):
        """Also restores the ``__dict__`` of callable objects used as lambdas (as torch), after the checks."""
        if self._fast or not isinstance(state_dict, dict):
            return super().load_state_dict(state_dict, adopt=adopt)
        fn = "LambdaLR.load_state_dict"
        ours = _lrsched_state(fn, state_dict, "LambdaLR")
        saved = _saved_lambda_states(fn, state_dict, ours, self.lr_lambdas)
        if ours:
            super().load_state_dict({**state_dict, "hyper": self._hyper_state()}, adopt=adopt)
        else:
            self._load_torch_state(fn, state_dict)
        for f, d in zip(self.lr_lambdas, saved):
            if d is not None and not isinstance(f, Schedule):
                vars(f).update(d)
        self._driver.seek(self._driver.last_step)  # the values of the restored lambdas

    def _load_torch_state(self, fn, state):
        if self._fast:
            return super()._load_torch_state(fn, state)
        step, base = self._torch_step_and_base(fn, state)
        self._functions(base, step - 1)


def _times(base, f):
    return lambda t: base * f(t)


def _lambda_states(fn, lambdas):
    """As torch: a plain function (or a Schedule) saves nothing; a callable object saves its ``__dict__``.

    The state is JSON, so that ``__dict__`` must be plain data (a tensor in it
    is refused with a ``TypeError`` naming it).
    """
    return [None if isinstance(f, (types.FunctionType, Schedule)) else _json_dict(fn, vars(f)) for f in lambdas]


def _saved_lambda_states(fn, state, ours, lambdas):
    """The ``lr_lambdas`` of a state (in ``hyper`` in lrsched's, at the top in torch's), checked entry by entry
    against what ``_lambda_states`` writes for ``lambdas``: ``None`` for a function or a Schedule, a dict
    (its ``__dict__``) for a callable object -- so the state of a scheduler over other lambdas is refused."""
    if ours:
        hyper = state.get("hyper")
        if not isinstance(hyper, dict):
            V.fail(fn, "state_dict['hyper']", "a dict", hyper, TypeError)
        _keys(fn, "state_dict['hyper']", hyper, ("lr_lambdas",), "this scheduler's arguments")
        name, saved = "state_dict['hyper']['lr_lambdas']", hyper["lr_lambdas"]
    else:
        if "lr_lambdas" not in state:
            V.fail(fn, "state_dict", "a state_dict() of lrsched.torch's or torch's scheduler (with 'lr_lambdas')",
                   state)  # fmt: skip
        name, saved = "state_dict['lr_lambdas']", state["lr_lambdas"]
    n = len(lambdas)
    if not isinstance(saved, list):
        V.fail(fn, name, f"a list of {n} dicts or None", saved, TypeError)
    if len(saved) != n:
        V.fail(fn, name, f"a list of {n} dicts or None (one per param group)", saved)
    for k, (f, d) in enumerate(zip(lambdas, saved)):
        if isinstance(f, (types.FunctionType, Schedule)):
            if d is not None:
                what = "a Schedule" if isinstance(f, Schedule) else "a function"
                V.fail(fn, f"{name}[{k}]", f"None (lr_lambdas[{k}] is {what}, whose state is not saved)", d)
        elif not isinstance(d, dict):
            V.fail(fn, f"{name}[{k}]", f"a dict (the __dict__ of the callable object lr_lambdas[{k}])", d, TypeError)
    return saved


class MultiplicativeLR(_DropIn):
    """torch's ``MultiplicativeLR``: ``lr_t = lr_{t-1} * lr_lambda(t)``, from the group's lr at construction.

    Each step calls ``lr_lambda`` once per group (a Python function, or an
    lrsched ``Schedule`` read with ``.at``).  The running product is part of
    the state, so ``load_state_dict`` resumes without replay; ``seek`` and
    ``step(epoch)`` cannot jump (torch cannot either) and raise.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        fn = "MultiplicativeLR"
        groups = _param_groups(fn, optimizer)
        last_epoch = _last_epoch(fn, last_epoch)
        self.lr_lambdas = _lambdas(lr_lambda, len(groups))
        base = _base_lrs(fn, groups, last_epoch)
        _set_initial_lrs(groups, last_epoch)
        self.optimizer, self.base_lrs = optimizer, base
        self._driver = _ProductDriver(
            optimizer, [f.at if isinstance(f, Schedule) else f for f in self.lr_lambdas], last_epoch
        )
        self._first_epoch = self._driver.last_step

    def step(self, epoch=None):
        if epoch is not None:
            raise ValueError("MultiplicativeLR.step: `epoch` cannot be given (the value depends on every step before).")
        self._driver.step()

    @property
    def last_epoch(self):
        return self._driver.last_step

    @last_epoch.setter
    def last_epoch(self, value):
        raise AttributeError("MultiplicativeLR.last_epoch cannot be set: the value depends on every step before it.")

    def _hyper_state(self):
        return {"lr_lambdas": _lambda_states(type(self).__name__, self.lr_lambdas)}

    def load_state_dict(self, state_dict, *, adopt=False):
        """Restore a ``state_dict()`` of this class (torch's own holds no running product: refused)."""
        fn = "MultiplicativeLR.load_state_dict"
        if not _lrsched_state(fn, state_dict, "MultiplicativeLR"):
            V.fail(fn, "state_dict", "a state_dict() of lrsched.torch.MultiplicativeLR (torch's holds no running "
                   "product)", state_dict, TypeError)  # fmt: skip
        _keys(fn, "state_dict", state_dict, _STATE_KEYS, "a state_dict() of lrsched.torch.MultiplicativeLR")
        saved = _saved_lambda_states(fn, state_dict, True, self.lr_lambdas)
        self._driver.load_state_dict(state_dict["scheduler"])
        for f, d in zip(self.lr_lambdas, saved):
            if d is not None and not isinstance(f, Schedule):
                vars(f).update(d)


class _ProductDriver(_FunctionDriver):
    """``lr_t = lr_{t-1} * f(t)``: the running product is the state."""

    def __init__(self, optimizer, funcs, last_step):
        self.optimizer = optimizer
        self._funcs = funcs
        self.last_step = last_step + 1
        self._write([_scalar(g["lr"]) for g in optimizer.param_groups])  # torch's first step keeps the lr

    def step(self):
        self.last_step += 1
        t = self.last_step
        self._write([v * float(f(t)) for v, f in zip(self._last, self._funcs)])

    def seek(self, step):
        raise ValueError("MultiplicativeLR cannot jump to a step: its value depends on every step before.")

    def state_dict(self):
        return {"last_step": self.last_step, "values": list(self._last)}

    def load_state_dict(self, state, adopt=False):
        fn = "MultiplicativeLR.load_state_dict"
        if not isinstance(state, dict):
            V.fail(fn, "state_dict['scheduler']", "a dict", state, TypeError)
        step = V.integer(fn, "state_dict['scheduler']['last_step']", state.get("last_step"))
        values = V.value_list(fn, "state_dict['scheduler']['values']", state.get("values"))
        if len(values) != len(self._funcs):
            V.fail(fn, "state_dict['scheduler']['values']", f"a list of {len(self._funcs)} values", values)
        self.last_step = step
        self._write(list(values))


class StepLR(_DropIn):
    """torch's ``StepLR``: ``base_lr * gamma ** (step // step_size)``."""

    _hyper = ("step_size", "gamma")

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        fn = "StepLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        self.step_size = V.integer(fn, "step_size", step_size, minimum=1)
        self.gamma = V.real(fn, "gamma", gamma, minimum=0.0, low_open=True)
        last_epoch = _last_epoch(fn, last_epoch)
        self._relative = self.gamma <= 1  # a growth's cap depends on the base lr, as ExponentialLR's
        self._launch(optimizer, last_epoch)

    def _fields(self, base_lrs):
        if self._relative:
            return {"lr": [_step_schedule(init_value=1.0, step_size=self.step_size, gamma=self.gamma)] * len(base_lrs)}
        return {"lr": [_growth(b, self.gamma, self.step_size, staircase=True) for b in base_lrs]}


class MultiStepLR(_DropIn):
    """torch's ``MultiStepLR``: ``base_lr * gamma ** (milestones reached)``; a repeated milestone counts twice."""

    _hyper = ("milestones", "gamma")

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        fn = "MultiStepLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        try:
            ms = list(milestones)
        except TypeError:
            V.fail(fn, "milestones", "an iterable of integers >= 0", milestones, TypeError)
        for m in ms:
            V.integer(fn, "milestones", m)
        self.milestones = Counter(int(m) for m in ms)
        self.gamma = V.real(fn, "gamma", gamma, minimum=0.0, low_open=True)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    def _hyper_state(self):
        return {"milestones": sorted(self.milestones.elements()), "gamma": self.gamma}

    def _adopt_hyper(self, hyper):
        self.milestones, self.gamma = Counter(hyper["milestones"]), hyper["gamma"]

    _relative = True

    def _fields(self, base_lrs):
        ms = sorted(self.milestones.elements())
        return {"lr": [multistep(init_value=1.0, milestones=ms, gamma=self.gamma)] * len(base_lrs)}


class ConstantLR(_DropIn):
    """torch's ``ConstantLR``: ``base_lr * factor`` before ``total_iters``, ``base_lr`` from it on."""

    _hyper = ("factor", "total_iters")

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        fn = "ConstantLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        if V._is_real(factor) and (factor > 1.0 or factor < 0):
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor = V.real(fn, "factor", factor, minimum=0.0, maximum=1.0)
        self.total_iters = V.integer(fn, "total_iters", total_iters)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    _relative = True

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch's update never reaches its "undo the factor" branch
            return {"lr": [constant(self.factor)] * len(base_lrs)}
        factor = piecewise_constant(boundaries=[self.total_iters], values=[self.factor, 1.0])
        return {"lr": [factor] * len(base_lrs)}


class LinearLR(_DropIn):
    """torch's ``LinearLR``: the factor goes linearly from ``start_factor`` to ``end_factor`` over ``total_iters``."""

    _hyper = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5, last_epoch=-1):
        fn = "LinearLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        if V._is_real(start_factor) and (start_factor > 1.0 or start_factor <= 0):
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.")
        if V._is_real(end_factor) and (end_factor > 1.0 or end_factor < 0):
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor = V.real(fn, "start_factor", start_factor, minimum=0.0, maximum=1.0, low_open=True)
        self.end_factor = V.real(fn, "end_factor", end_factor, minimum=0.0, maximum=1.0)
        self.total_iters = V.integer(fn, "total_iters", total_iters)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    _relative = True

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch keeps the start factor
            return {"lr": [constant(self.start_factor)] * len(base_lrs)}
        factor = linear(init_value=self.start_factor, end_value=self.end_factor, steps=self.total_iters)
        return {"lr": [factor] * len(base_lrs)}


class ExponentialLR(_DropIn):
    """torch's ``ExponentialLR``: ``base_lr * gamma ** step``."""

    _hyper = ("gamma",)

    def __init__(self, optimizer, gamma, last_epoch=-1):
        fn = "ExponentialLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        self.gamma = V.real(fn, "gamma", gamma, minimum=0.0, low_open=True)
        last_epoch = _last_epoch(fn, last_epoch)
        self._relative = self.gamma <= 1  # a growth's cap depends on the base lr
        self._launch(optimizer, last_epoch)

    def _fields(self, base_lrs):
        if self._relative:
            return {"lr": [exponential(init_value=1.0, decay_rate=self.gamma, transition_steps=1)] * len(base_lrs)}
        return {"lr": [_growth(b, self.gamma, 1) for b in base_lrs]}


def _growth(base, gamma, period, staircase=False):
    """``base * gamma ** (t / period)`` for ``gamma > 1``, stopping near the largest float (torch's would overflow)."""
    if base <= 0:
        return constant(0.0)
    cap = 0.5 * sys.float_info.max * min(1.0, base)
    return exponential(init_value=base, decay_rate=gamma, transition_steps=period, staircase=staircase, end_value=cap)


class PolynomialLR(_DropIn):
    """torch's ``PolynomialLR``: ``base_lr * (1 - min(step, total_iters) / total_iters) ** power``."""

    _hyper = ("total_iters", "power")

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        fn = "PolynomialLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        self.total_iters = V.integer(fn, "total_iters", total_iters)
        self.power = V.real(fn, "power", power, minimum=0.0, low_open=True)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    _relative = True

    def _fields(self, base_lrs):
        if self.total_iters == 0:  # torch's update leaves the lr alone
            return {"lr": [constant(1.0)] * len(base_lrs)}
        return {"lr": [polynomial(init_value=1.0, steps=self.total_iters, power=self.power)] * len(base_lrs)}


class CosineAnnealingLR(_DropIn):
    """torch's ``CosineAnnealingLR``: half cosine from ``base_lr`` to ``eta_min`` over ``T_max``, periodic after.

    Past ``T_max`` torch's values rise back to ``base_lr`` over the next
    ``T_max`` steps and repeat with period ``2 * T_max``; so do these.  For a
    cosine that holds ``eta_min``, use ``lrsched.cosine``.
    """

    _hyper = ("T_max", "eta_min")

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        fn = "CosineAnnealingLR"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        self.T_max = V.integer(fn, "T_max", T_max, minimum=1)
        if self.T_max > MAX_STEP // 2:
            V.fail(fn, "T_max", "<= 2**61 (torch's cosine repeats every 2 * T_max steps)", T_max)
        self.eta_min = V.value(fn, "eta_min", eta_min)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    def _fields(self, base_lrs):
        t, lo = self.T_max, self.eta_min
        return {
            "lr": [
                repeat(
                    join(
                        [cosine(init_value=b, end_value=lo, steps=t), cosine(init_value=lo, end_value=b, steps=t)], [t]
                    ),
                    2 * t,
                )
                for b in base_lrs
            ]
        }


class CosineAnnealingWarmRestarts(_DropIn):
    """torch's ``CosineAnnealingWarmRestarts`` (SGDR): cycles of ``T_0 * T_mult**i`` steps."""

    _hyper = ("T_0", "T_mult", "eta_min")

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        fn = "CosineAnnealingWarmRestarts"
        _param_groups(fn, optimizer)  # checked first; _launch reads the groups
        if not isinstance(T_0, int) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {_str(T_0)}")
        if not isinstance(T_mult, int) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {_str(T_mult)}")
        if not isinstance(eta_min, (float, int)) or isinstance(eta_min, bool):
            raise ValueError(f"Expected float or int eta_min, but got {_str(eta_min)} of type {type(eta_min)}")
        self.T_0 = V.integer(fn, "T_0", T_0, minimum=1)
        self.T_mult = V.integer(fn, "T_mult", T_mult, minimum=1, maximum=2**31)
        self.eta_min = V.value(fn, "eta_min", eta_min)
        last_epoch = _last_epoch(fn, last_epoch)
        self._launch(optimizer, last_epoch)

    def _fields(self, base_lrs):
        for k, b in enumerate(base_lrs):
            if self.eta_min > b:  # torch's cycles would run upside down; sgdr's decay from a peak
                V.fail(type(self).__name__, "eta_min", f"<= the lr of every param group (param_groups[{k}]: {b})",
                       self.eta_min)  # fmt: skip
        return {"lr": [sgdr(b, self.T_0, self.T_mult, end_value=self.eta_min) for b in base_lrs]}

    def step(self, epoch=None):
        """Advance one step; ``step(epoch)`` jumps there, and a fractional epoch uses torch's formula.

        After a fractional ``step(epoch)``, the next plain ``step()`` goes on
        from step ``floor(epoch) + 1`` (torch goes on from the fractional
        position plus one).
        """
        self._fraction = None
        if epoch is None or V._is_int(epoch):
            if epoch is not None and epoch < 0:
                raise ValueError(f"Expected non-negative epoch, but got {_str(epoch)}")
            return _DropIn.step(self, epoch)
        if not V._is_real(epoch) or not math.isfinite(epoch) or epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {_str(epoch)}")
        t_cur, t_i = _fractional_cycle(float(epoch), self.T_0, self.T_mult)
        g = (1 + math.cos(math.pi * t_cur / t_i)) / 2
        self._driver.seek(math.floor(epoch))
        self._fraction = [self.eta_min + (b - self.eta_min) * g for b in self.base_lrs]
        for grp, v in zip(self.optimizer.param_groups, self._fraction):
            _put(grp, "lr", v)
        warnings.warn(EPOCH_DEPRECATION_WARNING, UserWarning, stacklevel=2)

    def get_last_lr(self):
        fraction = getattr(self, "_fraction", None)
        return list(fraction) if fraction is not None else self._driver.get_last_lr()


def _fractional_cycle(epoch, t0, mult):
    """torch's (T_cur, T_i) for ``step(epoch)`` with a real epoch (its float logarithm included)."""
    if epoch < t0:
        return epoch, t0
    if mult == 1:
        return epoch % t0, t0
    n = int(math.log(epoch / t0 * (mult - 1) + 1, mult))
    return epoch - t0 * (mult**n - 1) / (mult - 1), t0 * mult**n


class CyclicLR(_DropIn):
    """torch's ``CyclicLR``, with momentum (or Adam's beta1) cycling the other way when ``cycle_momentum``.

    A custom ``scale_fn`` is a Python function: it is called per step (the
    slow path, as in torch).
    """

    _hyper = ("base_lrs_arg", "max_lrs", "step_size_up", "step_size_down", "mode", "gamma", "scale_mode",
              "cycle_momentum", "base_momentums", "max_momentums")  # fmt: skip

    def __init__(
        self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None, mode="triangular", gamma=1.0,
        scale_fn=None, scale_mode="cycle", cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1,
    ):  # fmt: skip
        fn = "CyclicLR"
        groups = _param_groups(fn, optimizer)
        n = len(groups)
        last_epoch = _last_epoch(fn, last_epoch)
        base = [V.value(fn, "base_lr", x) for x in _per_group("base_lr", base_lr, n)]
        top = [V.value(fn, "max_lr", x) for x in _per_group("max_lr", max_lr, n)]
        self.step_size_up = _integral(fn, "step_size_up", step_size_up)
        self.step_size_down = self.step_size_up if step_size_down is None else _integral(fn, "step_size_down", step_size_down)
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError("mode is invalid and scale_fn is None")
        self.gamma = V.real(fn, "gamma", gamma, minimum=0.0, low_open=True)
        if mode == "exp_range" and scale_fn is None and self.gamma > 1.0:
            V.fail(fn, "gamma", "<= 1 with mode='exp_range' (a growth without end; torch's values overflow)", gamma)
        if scale_fn is not None and not callable(scale_fn):
            V.fail(fn, "scale_fn", "a function or None", scale_fn, TypeError)
        self.mode, self._scale_fn_custom = mode, scale_fn
        if scale_fn is not None:
            self.scale_mode = V.choice(fn, "scale_mode", scale_mode, ("cycle", "iterations"))
        else:  # torch ignores scale_mode for its own modes
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = V.boolean(fn, "cycle_momentum", cycle_momentum)
        self.base_momentums = self.max_momentums = None
        if self.cycle_momentum:
            field = _momentum_field(optimizer, groups)
            self.base_momentums = [V.value(fn, "base_momentum", x) for x in _per_group("base_momentum", base_momentum, n)]
            self.max_momentums = [V.value(fn, "max_momentum", x) for x in _per_group("max_momentum", max_momentum, n)]
        self.base_lrs_arg, self.max_lrs = base, top
        # every check has passed: torch's construction-time writes
        if last_epoch == -1:
            for g, b in zip(groups, base):
                _put(g, "lr", b)
            if self.cycle_momentum:
                for g, lo, hi in zip(groups, self.base_momentums, self.max_momentums):
                    _put_field(g, field, hi)
                    g["max_momentum"], g["base_momentum"] = hi, lo
        _set_initial_lrs(groups, last_epoch)
        if scale_fn is None:
            self._momentum = field if self.cycle_momentum else None
            self._start(optimizer, last_epoch, base)
        else:
            self.optimizer, self.base_lrs = optimizer, base
            self._driver = _CyclicFunctionDriver(self, field if self.cycle_momentum else None, last_epoch)
            self._first_epoch = self._driver.last_step

    def _fields(self, base_lrs):
        gamma = self.gamma if self.mode == "exp_range" else 1.0  # the other modes ignore it (as torch)
        kw = dict(step_size_up=self.step_size_up, step_size_down=self.step_size_down, mode=self.mode, gamma=gamma)
        fields = {"lr": [cyclic(base_value=b, max_value=m, **kw) for b, m in zip(base_lrs, self.max_lrs)]}
        if self.cycle_momentum:
            fields[self._momentum] = [
                cyclic(base_value=hi, max_value=lo, **kw) for lo, hi in zip(self.base_momentums, self.max_momentums)
            ]
        return fields

    def scale_fn(self, x):
        """torch's scale function of the cycle (or of the step, for ``exp_range``)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x


class _CyclicFunctionDriver(_FunctionDriver):
    """CyclicLR with a custom ``scale_fn``: torch's formula, evaluated per step."""

    def __init__(self, owner, momentum_field, last_step):
        self._owner, self._mfield = owner, momentum_field
        super().__init__(owner.optimizer, [], last_step)

    def _values(self, t):
        o = self._owner
        total = float(o.step_size_up + o.step_size_down)
        ratio = o.step_size_up / total
        cycle = math.floor(1 + t / total)
        x = 1.0 + t / total - cycle
        sf = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        s = o.scale_fn(cycle if o.scale_mode == "cycle" else t)
        if self._mfield is not None:
            for g, lo, hi in zip(self.optimizer.param_groups, o.base_momentums, o.max_momentums):
                _put_field(g, self._mfield, hi - (hi - lo) * sf * s)
        return [b + (m - b) * sf * s for b, m in zip(o.base_lrs, o.max_lrs)]


def _integral(fn, name, v):
    """torch takes ``float(step_size)``; lrsched needs whole steps."""
    if V._is_real(v) and not V._is_int(v):
        try:
            whole = float(v).is_integer()
        except OverflowError:  # a Fraction beyond float range (torch's float() raises here)
            V.fail(fn, name, "a positive integer", v)
        if whole:
            v = int(v)
    return V.integer(fn, name, v, minimum=1)


def _put(group, key, v):
    if isinstance(group.get(key), _torch.Tensor):
        group[key].fill_(v)
    else:
        group[key] = v


def _put_field(group, field, v):
    if field == "momentum":
        _put(group, "momentum", v)
    else:
        group["betas"] = (v, *group["betas"][1:])


class OneCycleLR(_DropIn):
    """torch's ``OneCycleLR``, with its real-valued phase ends and momentum (or beta1) cycling.

    Phase ``i`` ends at ``pct_start * total_steps - 1`` (two-phase), and
    ``2 * pct_start * total_steps - 2`` (three-phase), the last at
    ``total_steps - 1``; the value anneals between the ends as torch's does
    (``lrsched.piecewise_anneal`` is this rule).  Step ``total_steps`` gets
    the last phase continued by one step (written by ``step()``; the
    ``schedules`` hold the final value from ``total_steps - 1`` on), and a
    step past it raises torch's ``ValueError``.
    """

    _hyper = ("total_steps", "pct_start", "anneal_strategy", "cycle_momentum", "div_factor", "final_div_factor",
              "three_phase", "max_lrs", "base_momentums", "max_momentums")  # fmt: skip

    def __init__(
        self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
        anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
        final_div_factor=1e4, three_phase=False, last_epoch=-1,
    ):  # fmt: skip
        fn = "OneCycleLR"
        groups = _param_groups(fn, optimizer)
        n = len(groups)
        if total_steps is not None:
            if not V._is_int(total_steps) or total_steps <= 0:
                raise ValueError(f"Expected positive integer total_steps, but got {_str(total_steps)}")
            self.total_steps = int(total_steps)
        elif epochs is not None and steps_per_epoch is not None:
            if not V._is_int(epochs) or epochs <= 0:
                raise ValueError(f"Expected positive integer epochs, but got {_str(epochs)}")
            if not V._is_int(steps_per_epoch) or steps_per_epoch <= 0:
                raise ValueError(f"Expected positive integer steps_per_epoch, but got {_str(steps_per_epoch)}")
            self.total_steps = int(epochs) * int(steps_per_epoch)
        else:
            raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
        if self.total_steps > MAX_STEP:
            what = "total_steps" if total_steps is not None else "epochs * steps_per_epoch"
            raise ValueError(f"{fn}: `{what}` must be <= 2**62 (lrsched's largest step), got {what}={V.shown(self.total_steps)}.")
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {_str(pct_start)}")
        V.real(fn, "pct_start", pct_start, minimum=0.0, maximum=1.0)  # nan passes torch's check
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}")
        self.pct_start, self.anneal_strategy = pct_start, anneal_strategy
        self.three_phase = V.boolean(fn, "three_phase", three_phase)
        self.div_factor = V.real(fn, "div_factor", div_factor, minimum=0.0, low_open=True)
        self.final_div_factor = V.real(fn, "final_div_factor", final_div_factor, minimum=0.0, low_open=True)
        self.max_lrs = [V.value(fn, "max_lr", x) for x in _per_group("max_lr", max_lr, n)]
        for top in self.max_lrs:
            if not math.isfinite(top / self.div_factor / self.final_div_factor):
                V.fail(fn, "div_factor", f"such that max_lr / div_factor / final_div_factor is finite (max_lr={top}, "
                       f"final_div_factor={self.final_div_factor})", div_factor)  # fmt: skip
        self.cycle_momentum = V.boolean(fn, "cycle_momentum", cycle_momentum)
        self.base_momentums = self.max_momentums = None
        if self.cycle_momentum:
            self._momentum = _momentum_field(optimizer, groups)
            self.max_momentums = [V.value(fn, "max_momentum", x) for x in _per_group("max_momentum", max_momentum, n)]
            self.base_momentums = [V.value(fn, "base_momentum", x) for x in _per_group("base_momentum", base_momentum, n)]
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
            for g, top in zip(groups, self.max_lrs):
                g["initial_lr"] = top / self.div_factor
                g["max_lr"] = top
                g["min_lr"] = g["initial_lr"] / self.final_div_factor
            if self.cycle_momentum:
                for g, lo, hi in zip(groups, self.base_momentums, self.max_momentums):
                    _put_field(g, self._momentum, hi)
                    g["max_momentum"], g["base_momentum"] = hi, lo
        self._ends = [(_scalar(g["initial_lr"]), _scalar(g["max_lr"]), _scalar(g["min_lr"])) for g in groups]
        self._at_end = False
        self._before_last = self.total_steps - 1  # a step from below this one lands inside the schedules
        self._start(optimizer, last_epoch, [e[0] for e in self._ends])
        if last_epoch + 1 == self.total_steps:
            self._write_last_step()

    def _knots(self):
        """Phase ends (real numbers) and, per phase, which end values it joins."""
        t, p = self.total_steps, self.pct_start
        if self.three_phase:
            ends = [float(p * t) - 1, float(2 * p * t) - 2, t - 1]
            lr, mom = ["initial", "max", "initial", "min"], ["max", "base", "max", "max"]
        else:
            ends = [float(p * t) - 1, t - 1]
            lr, mom = ["initial", "max", "min"], ["max", "base", "max"]
        knots = [0.0, *ends]
        while len(knots) > 2 and knots[1] < 0:  # a phase that ends before step 0 never runs
            knots, lr, mom = knots[1:], lr[1:], mom[1:]
        if any(b <= a for a, b in zip(knots, knots[1:])):
            raise ValueError(
                f"OneCycleLR: pct_start={p} and total_steps={t} give phase ends {ends}, where torch divides by "
                f"zero or runs a phase backwards; use a larger total_steps or another pct_start."
            )
        return knots, lr, mom

    def _fields(self, base_lrs):
        knots, lr, mom = self._knots()
        kw = dict(knots=knots, anneal=self.anneal_strategy)
        by_name = [dict(initial=b, max=hi, min=lo) for b, (_, hi, lo) in zip(base_lrs, self._ends)]
        fields = {"lr": [piecewise_anneal(values=[v[x] for x in lr], **kw) for v in by_name]}
        if self.cycle_momentum:
            fields[self._momentum] = [
                piecewise_anneal(values=[dict(max=hi, base=lo)[x] for x in mom], **kw)
                for lo, hi in zip(self.base_momentums, self.max_momentums)
            ]
        return fields

    def _continued(self, start, end):
        """torch's value one step past the last phase end."""
        knots = self._knots()[0]
        pct = (self.total_steps - knots[-2]) / (knots[-1] - knots[-2])
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _write_last_step(self):
        _, lr, mom = self._knots()
        for k, g in enumerate(self.optimizer.param_groups):
            v = dict(initial=self._ends[k][0], max=self._ends[k][1], min=self._ends[k][2])
            _put(g, "lr", self._continued(v[lr[-2]], v[lr[-1]]))
            if self.cycle_momentum:
                m = dict(max=self.max_momentums[k], base=self.base_momentums[k])
                _put_field(g, self._momentum, self._continued(m[mom[-2]], m[mom[-1]]))
        self._at_end = True

    def step(self, epoch=None):
        """Advance one step; torch's ``ValueError`` past ``total_steps``."""
        if epoch is None and self._driver.last_step < self._before_last:  # the common case, kept short
            self._driver.step()
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
            return [_scalar(g["lr"]) for g in self.optimizer.param_groups]
        return self._driver.get_last_lr()

    def load_state_dict(self, state_dict, *, adopt=False):
        super().load_state_dict(state_dict, adopt=adopt)
        self._at_end = False  # after the load: a refused state leaves get_last_lr() alone
        if self.last_epoch == self.total_steps:
            self._write_last_step()


class SequentialLR(_DropIn):
    """torch's ``SequentialLR``: ``schedulers[i]`` runs from ``milestones[i-1]``, restarted at its local step 0.

    The schedulers must be lrsched.torch drop-ins built on the same
    optimizer (they are read, not stepped).  Milestones must increase
    strictly.  Momentum cycling in a piece is not carried over (torch applies
    it only while that piece runs): such a piece is refused.
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        fn = "SequentialLR"
        groups = _param_groups(fn, optimizer)
        schedulers = V.sequence(fn, "schedulers", schedulers)
        if len(schedulers) < 1:
            raise ValueError(f"{fn} expects at least one scheduler, but got no scheduler.")
        _check_children(fn, optimizer, schedulers)
        milestones = V.sequence(fn, "milestones", milestones)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "Sequential Schedulers expects number of schedulers provided to be one more than the number of "
                f"milestone points, but got number of schedulers {len(schedulers)} and the number of milestones to "
                f"be equal to {len(milestones)}"
            )
        self._milestones = V.step_list(fn, "milestones", milestones, strictly_increasing=True)
        self._schedulers = list(schedulers)
        last_epoch = _last_epoch(fn, last_epoch)
        base = _base_lrs(fn, groups, last_epoch)
        for g in groups:
            _put(g, "lr", g["initial_lr"])
        if all(not isinstance(s._driver, _FunctionDriver) for s in schedulers):
            self._start(optimizer, last_epoch, base)
        else:
            self.optimizer, self.base_lrs = optimizer, base
            self._driver = _FunctionDriver(optimizer, [self._group_fn(k) for k in range(len(groups))], last_epoch)
            self._first_epoch = self._driver.last_step

    def _fields(self, base_lrs):
        pieces = [s.schedules["lr"] for s in self._schedulers]
        return {"lr": [join([p[k] for p in pieces], self._milestones) for k in range(len(base_lrs))]}

    def _group_fn(self, k):
        def value(t):
            i = sum(m <= t for m in self._milestones)
            local = t - (self._milestones[i - 1] if i else 0)
            return _value_at(self._schedulers[i], k, local)

        return value

    def _hyper_state(self):
        return {"milestones": list(self._milestones), "schedulers": [s._hyper_state() for s in self._schedulers]}


class ChainedScheduler(_DropIn):
    """torch's ``ChainedScheduler``: the schedulers' factors multiplied, step by step.

    The value is ``base_lr * prod(s_i(step) / base_lr)``: torch's result when
    each scheduler only multiplies the lr (see the module docstring for where
    torch's recursive update differs).
    """

    def __init__(self, schedulers, optimizer=None):
        fn = "ChainedScheduler"
        schedulers = V.sequence(fn, "schedulers", schedulers)
        if len(schedulers) < 1:
            raise ValueError(f"{fn} expects at least one scheduler to be chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        groups = _param_groups(fn, optimizer)
        _check_children(fn, optimizer, schedulers)
        self._schedulers = list(schedulers)
        base = _base_lrs(fn, groups, 0)
        step = schedulers[0].last_epoch
        if all(not isinstance(s._driver, _FunctionDriver) for s in schedulers):
            self._start(optimizer, step - 1, base)
        else:
            self.optimizer, self.base_lrs = optimizer, base
            self._driver = _FunctionDriver(optimizer, [self._group_fn(k) for k in range(len(groups))], step - 1)
            self._first_epoch = self._driver.last_step

    def _fields(self, base_lrs):
        out = []
        for k, b in enumerate(base_lrs):
            if b == 0.0:
                out.append(constant(0.0))
                continue
            factors = [scale(s.schedules["lr"][k], 1.0 / b) for s in self._schedulers]
            out.append(scale(product(factors) if len(factors) > 1 else factors[0], b))
        return {"lr": out}

    def _group_fn(self, k):
        def value(t):
            b = self.base_lrs[k]
            v = b
            for s in self._schedulers:
                v *= _value_at(s, k, t) / b if b else 0.0
            return v

        return value

    def _hyper_state(self):
        return {"schedulers": [s._hyper_state() for s in self._schedulers]}


def _value_at(s, k, t):
    if isinstance(s._driver, _FunctionDriver):
        return s._driver._funcs[k](t)
    return s.schedules["lr"][k].at(t)


def _check_children(fn, optimizer, schedulers):
    for i, s in enumerate(schedulers):
        if isinstance(s, _lrs.ReduceLROnPlateau):
            raise ValueError(
                f"{fn} does not support `ReduceLROnPlateau` scheduler as it requires additional kwargs to be "
                f"specified when calling `step`, but got one at index {i} in the given schedulers sequence."
            )
        if not isinstance(s, _DropIn):
            V.fail(fn, f"schedulers[{i}]", "an lrsched.torch scheduler (torch's own cannot be lowered)",
                   type(s).__name__, TypeError)  # fmt: skip
        if isinstance(s, MultiplicativeLR):
            V.fail(fn, f"schedulers[{i}]", "a scheduler whose values follow from the step (not MultiplicativeLR)",
                   type(s).__name__, TypeError)  # fmt: skip
        if s.optimizer is not optimizer:
            raise ValueError(
                f"{fn} expects all schedulers to belong to the same optimizer, but got scheduler "
                f"{type(s).__name__} at index {i} has {s.optimizer}, which is different from "
                f"{type(optimizer).__name__}."
            )
        if getattr(s, "cycle_momentum", False):
            V.fail(fn, f"schedulers[{i}]", "a scheduler without momentum cycling (cycle_momentum=False)",
                   type(s).__name__)  # fmt: skip


class ReduceLROnPlateau(_lrs.ReduceLROnPlateau):
    """torch's ``ReduceLROnPlateau``: the same rules, a JSON-able state and checked arguments.

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
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(groups):
                raise ValueError(f"expected {len(groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr, mins = None, list(min_lr)
        else:
            self.default_min_lr, mins = min_lr, [min_lr] * len(groups)
        self._settings = _plateau_settings(
            mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
            cooldown=cooldown, min_value=0.0, eps=eps,
        )  # fmt: skip
        self.min_lrs = [V.value(fn, "min_lr", m) for m in mins]
        self.optimizer = optimizer
        for k in ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps"):
            setattr(self, k, getattr(self._settings, k))
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self.best, self.num_bad_epochs, self.cooldown_counter = self.mode_worse, 0, 0
        self._last_lr = [_scalar(g["lr"]) for g in groups]

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
        if self._settings.better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            groups = self.optimizer.param_groups
            if len(groups) != len(self.min_lrs):  # a group was added (torch's rule)
                if self.default_min_lr is None:
                    raise RuntimeError(
                        f"The number of param groups in the `optimizer` ({len(groups)}) differs from when "
                        f"`ReduceLROnPlateau` was initialized ({len(self.min_lrs)}), usually due to a new param "
                        "group being added to the optimizer. Please modify the `min_lrs` field to match the "
                        "length of the `optimizer` param groups."
                    )
                self.min_lrs = [self.default_min_lr] * len(groups)
            for g, lo in zip(groups, self.min_lrs):
                old = _scalar(g["lr"])
                new = max(old * self.factor, lo)
                if old - new > self.eps:
                    _put(g, "lr", new)
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [_scalar(g["lr"]) for g in self.optimizer.param_groups]

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def get_last_lr(self):
        return list(self._last_lr)

    def state_dict(self):
        """Plain JSON-able data (the counters, the best metric and the arguments)."""
        best = self.best if math.isfinite(self.best) else ("inf" if self.best > 0 else "-inf")
        return {
            "format": _FORMAT,
            "class": "ReduceLROnPlateau",
            "hyper": {**self._settings.to_dict(), "min_lrs": list(self.min_lrs)},
            "last_epoch": self.last_epoch,
            "best": best,
            "num_bad_epochs": self.num_bad_epochs,
            "cooldown_counter": self.cooldown_counter,
            "last_lr": list(self._last_lr),
        }

    _KEYS = ("format", "class", "hyper", "last_epoch", "best", "num_bad_epochs", "cooldown_counter", "last_lr")
    _TORCH_KEYS = ("factor", "default_min_lr", "min_lrs", "patience", "cooldown", "eps", "last_epoch", "_last_lr",
                   "mode_worse", "mode", "threshold", "threshold_mode", "best", "cooldown_counter", "num_bad_epochs")
    _TORCH_SETTINGS = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "eps", "min_lrs",
                       "default_min_lr", "mode_worse")  # fmt: skip

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` (checked in full first); torch's own state dicts are accepted too.

        The arguments a state holds (``hyper`` in lrsched's; ``mode``,
        ``factor``, ``patience``, ... in torch's) must equal this scheduler's.
        """
        fn = "ReduceLROnPlateau.load_state_dict"
        s = state_dict
        if _lrsched_state(fn, s, "ReduceLROnPlateau"):
            _keys(fn, "state_dict", s, self._KEYS, "a state_dict() of lrsched.torch.ReduceLROnPlateau")
            hyper = self.state_dict()["hyper"]
            if not _equal(s["hyper"], hyper):
                V.fail(fn, "state_dict['hyper']", f"this scheduler's arguments {hyper}", s["hyper"])
            last_key = "last_lr"
        else:
            _keys(fn, "state_dict", s, self._TORCH_KEYS,
                  "a state_dict() of torch's ReduceLROnPlateau (torch 2.13) or of lrsched.torch's")  # fmt: skip
            for k in self._TORCH_SETTINGS:
                _setting(fn, f"state_dict[{k!r}]", s[k], getattr(self, k))
            last_key = "_last_lr"
        best = V.best_metric(fn, "state_dict['best']", s["best"])
        epoch = V.integer(fn, "state_dict['last_epoch']", s["last_epoch"])
        bad = V.integer(fn, "state_dict['num_bad_epochs']", s["num_bad_epochs"])
        cool = V.integer(fn, "state_dict['cooldown_counter']", s["cooldown_counter"])
        name, last = f"state_dict[{last_key!r}]", s[last_key]
        if isinstance(last, list):  # torch's holds the groups' lrs as they were: tensors too
            last = [x.item() if isinstance(x, _torch.Tensor) and x.numel() == 1 else x for x in last]
        last = V.value_list(fn, name, last)
        n = len(self.optimizer.param_groups)
        if len(last) != n:
            V.fail(fn, name, f"a list of {n} values (one per param group)", list(last))
        self.best, self.last_epoch, self.num_bad_epochs, self.cooldown_counter = best, epoch, bad, cool
        self._last_lr = list(last)
