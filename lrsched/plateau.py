"""Reduce on plateau: a feedback controller that multiplies a scheduled value (torch's rules)."""

from __future__ import annotations

import copy
import math

import numpy as np

from . import _validate as V


class Plateau:
    """Settings of a reduce-on-plateau controller; build with ``lrsched.plateau``.

    The controller's state (best metric, bad-epoch count, cooldown, the
    multiplier of each group) lives in the ``Scheduler`` that uses it.
    """

    __slots__ = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_value", "eps")

    def __init__(self, **kw):
        for k, v in kw.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        raise AttributeError("Plateau settings are immutable")

    def to_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __reduce__(self):  # copies and pickles rebuild through __init__ (setattr is refused)
        return (_from_dict, (self.to_dict(),))

    def __eq__(self, other):
        return isinstance(other, Plateau) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(tuple(self.to_dict().items()))

    def __repr__(self):
        return "plateau(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"

    def better(self, a, best):
        """torch's ``is_better``: a strict improvement by more than the threshold."""
        if self.mode == "min":
            ref = best * (1.0 - self.threshold) if self.threshold_mode == "rel" else best - self.threshold
            return a < ref
        ref = best * (1.0 + self.threshold) if self.threshold_mode == "rel" else best + self.threshold
        return a > ref


def _from_dict(d):
    return Plateau(**d)


@V.explain_arguments
def plateau(
    *, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel", cooldown=0, min_value=0.0,
    eps=1e-8,
) -> Plateau:  # fmt: skip
    """Reduce the scheduled lr by ``factor`` when a metric stops improving (torch's ``ReduceLROnPlateau``).

    Pass it to ``Scheduler(..., plateau=...)`` and feed the metric with
    ``scheduler.observe(metric)``.  The rules are torch's: a metric better
    than the best by more than ``threshold`` (relative or absolute) resets
    the count of bad observations; after more than ``patience`` bad ones the
    value is reduced -- to ``max(value * factor, min_value)``, applied only
    if that lowers it by more than ``eps`` -- and ``cooldown`` observations
    are ignored.  The reduction is a multiplier on top of the schedule, so
    "warmup then cosine, reduced further on plateau" composes; ``min_value``
    bounds each reduction, not the schedule itself.  A NaN metric counts as
    no improvement, as in torch.

    Examples
    --------
    >>> import lrsched
    >>> class Opt:
    ...     param_groups = [{"lr": 1.0}]
    >>> opt = Opt()
    >>> sched = lrsched.Scheduler(opt, lrsched.constant(1.0), plateau=lrsched.plateau(factor=0.5, patience=1))
    >>> for metric in [1.0, 0.9, 0.95, 0.95, 0.95]:
    ...     sched.observe(metric)
    >>> opt.param_groups[0]["lr"]
    0.5
    """
    return settings("plateau", mode=mode, factor=factor, patience=patience, threshold=threshold,
                    threshold_mode=threshold_mode, cooldown=cooldown, min_value=min_value, eps=eps)


def _nonnegative(fn, name, v):
    return V.real(fn, name, v, minimum=0.0)


SETTING_RULES = {  # each setting's check: plateau()'s, the peers' constructors' and their loaders'
    "mode": lambda fn, name, v: V.choice(fn, name, v, ("min", "max")),
    "factor": lambda fn, name, v: V.real(fn, name, v, minimum=0.0, maximum=1.0, low_open=True, high_open=True),
    "patience": V.integer,
    "threshold": _nonnegative,
    "threshold_mode": lambda fn, name, v: V.choice(fn, name, v, ("rel", "abs")),
    "cooldown": V.integer,
    "min_value": V.value,
    "eps": _nonnegative,
}


def settings(fn, *, min_value=0.0, **given):
    """Checked ``Plateau`` settings, errors naming ``fn`` (``min_value`` is 0 for the peers, whose floors are
    per group)."""
    given["min_value"] = min_value
    return Plateau(**{k: SETTING_RULES[k](fn, k, given[k]) for k in Plateau.__slots__})


class PlateauState:
    """The metric controller of ``Scheduler(plateau=)``, torch's ``ReduceLROnPlateau`` and transformers'
    ``GreedyLR``: best metric, counts of bad (and good) observations, cooldown (and warmup), multipliers."""

    __slots__ = ("settings", "best", "bad", "good", "cooldown", "warmup", "observed", "multipliers")

    def __init__(self, settings, n_groups):
        self.settings = settings
        self.best = math.inf if settings.mode == "min" else -math.inf
        self.bad = self.good = 0
        self.cooldown = self.warmup = 0
        self.observed = 0
        self.multipliers = [1.0] * n_groups

    def __eq__(self, other):
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__ if k != "observed")  # a tally

    __hash__ = None

    def count(self, metric):
        """Take one metric by torch's rules; True when a reduction is due (the cooldown then starts)."""
        p = self.settings
        self.observed += 1
        if p.better(metric, self.best):
            self.best = metric
            self.bad = 0
        else:
            self.bad += 1
        if self.cooldown > 0:
            self.cooldown -= 1
            self.bad = 0
        if self.bad <= p.patience:
            return False
        self.cooldown = p.cooldown
        self.bad = 0
        return True

    def count_both_ways(self, metric, warmup):
        """Take one metric by transformers' ``GreedyLR`` rules: -1 when a reduction is due (the cooldown then
        starts), +1 when an increase is (after more than ``patience`` improvements in a row; the ``warmup``
        then starts), else 0.  While a cooldown or warmup runs, metrics are not compared."""
        p = self.settings
        self.observed += 1
        if self.cooldown > 0 or self.warmup > 0:
            if self.cooldown > 0:
                self.cooldown -= 1
            else:
                self.warmup -= 1
            self.bad = self.good = 0
            return 0
        if p.better(metric, self.best):
            self.best, self.bad, self.good = metric, 0, self.good + 1
        else:
            self.bad, self.good = self.bad + 1, 0
        if self.good > p.patience:
            self.warmup, self.good = warmup, 0
            return 1
        if self.bad > p.patience:
            self.cooldown, self.bad = p.cooldown, 0
            return -1
        return 0

    def reduced(self, old, floor):
        """torch's reduction of one value: ``max(old * factor, floor)``, or ``old`` if that lowers it by eps or less."""
        new = max(old * self.settings.factor, floor)
        return new if old - new > self.settings.eps else old

    def observe(self, metric, current):
        """Take one metric; return True if the multipliers changed.  ``current``: the values now."""
        if not self.count(metric):
            return False
        changed = False
        for k, old in enumerate(current):
            new = self.reduced(old, self.settings.min_value)
            if new != old:
                self.multipliers[k] *= new / old if old else 0.0
                changed = True
        return changed

    def state(self):
        return {
            "settings": self.settings.to_dict(),
            "best": _json_float(self.best),
            "bad": self.bad,
            "cooldown": self.cooldown,
            "observed": self.observed,
            "multipliers": list(self.multipliers),
        }

    @classmethod
    def load(cls, fn, d, settings, n_groups):
        """Checked state from a dict (an untrusted file); raises before anything changes."""
        want = settings.to_dict()

        def same_settings(fn, name, got):
            # item by item, each a plain value first: `==` of a dict holding an array raises numpy's ambiguous truth
            if not (isinstance(got, dict) and got.keys() == want.keys()
                    and all(isinstance(_plain(got[k]), (str, int, float)) and _plain(got[k]) == want[k]
                            for k in want)):  # fmt: skip
                V.fail(fn, name, f"this scheduler's settings {want}", got)
            return got

        def multipliers(fn, name, v):
            values = V.value_list(fn, name, v)
            if len(values) != n_groups:
                raise ValueError(f"{fn}: `{name}` must have {n_groups} values, got {len(values)}.")
            return list(values)

        if not isinstance(d, dict):
            V.fail(fn, "state['plateau']", "a dict", d, TypeError)
        got = V.state_fields(fn, d, {"settings": same_settings, "best": V.best_metric, "bad": V.integer,
                                     "cooldown": V.integer, "observed": V.integer, "multipliers": multipliers},
                             name="state['plateau']", strict=True)  # fmt: skip
        out = cls(settings, n_groups)
        out.best, out.bad, out.cooldown, out.observed = got["best"], got["bad"], got["cooldown"], got["observed"]
        out.multipliers = got["multipliers"]
        return out


def _settings_attribute(name):
    return property(lambda self: getattr(self._state.settings, name), doc=f"The controller's ``{name}``.")


def _state_attribute(name):
    return property(lambda self: getattr(self._state, name), lambda self, v: setattr(self._state, name, v),
                    doc=f"The controller's ``{name}``.")  # fmt: skip


class PeerAttributes:
    """The peers' attribute names (torch's ``ReduceLROnPlateau``, transformers' ``GreedyLR``) over the
    ``PlateauState`` a class keeps in ``self._state``."""

    mode = _settings_attribute("mode")
    factor = _settings_attribute("factor")
    patience = _settings_attribute("patience")
    threshold = _settings_attribute("threshold")
    threshold_mode = _settings_attribute("threshold_mode")
    cooldown = _settings_attribute("cooldown")
    eps = _settings_attribute("eps")
    best = _state_attribute("best")
    num_bad_epochs = _state_attribute("bad")
    num_good_epochs = _state_attribute("good")
    cooldown_counter = _state_attribute("cooldown")
    warmup_counter = _state_attribute("warmup")

    @property
    def in_cooldown(self):
        return self._state.cooldown > 0

    def __copy__(self):  # the peers keep these counts as plain attributes: a shallow copy has its own
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new._state = copy.deepcopy(self._state)
        return new

    _PEER_COUNTS = {"num_bad_epochs": "bad", "num_good_epochs": "good", "cooldown_counter": "cooldown",
                    "warmup_counter": "warmup"}  # fmt: skip

    def _peer_rules(self, optional=False):
        """``state_fields`` rules of the controller's keys under the peers' names (``optional``: the current
        values are the defaults, as transformers' load keeps them)."""
        rules = {k: SETTING_RULES[k] for k in Plateau.__slots__ if k != "min_value"}
        rules.update(dict.fromkeys(self._PEER_COUNTS, V.integer), best=V.best_metric)
        return {k: (r, getattr(self, k)) for k, r in rules.items()} if optional else rules

    def _load_peer(self, fn, got):
        """A new controller from checked values under the peers' names (a missing count is 0)."""
        state = PlateauState(Plateau(min_value=0.0, **{k: got[k] for k in Plateau.__slots__ if k != "min_value"}),
                             len(self._state.multipliers))  # fmt: skip
        state.best = got["best"]
        for k, slot in self._PEER_COUNTS.items():
            setattr(state, slot, got.get(k, 0))
        self._state = state


def _plain(x):
    """A NumPy scalar (a state that went through NumPy) as its Python value; anything else as it is."""
    return x.item() if isinstance(x, np.generic) else x


def _json_float(x):
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")
