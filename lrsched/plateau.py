"""Reduce on plateau: a feedback controller that multiplies a scheduled value (torch's rules)."""

from __future__ import annotations

import math

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
    fn = "plateau"
    mode = V.choice(fn, "mode", mode, ("min", "max"))
    factor = V.real(fn, "factor", factor, minimum=0.0, maximum=1.0, low_open=True, high_open=True)
    patience = V.integer(fn, "patience", patience)
    threshold = V.real(fn, "threshold", threshold, minimum=0.0)
    threshold_mode = V.choice(fn, "threshold_mode", threshold_mode, ("rel", "abs"))
    cooldown = V.integer(fn, "cooldown", cooldown)
    min_value = V.value(fn, "min_value", min_value)
    eps = V.real(fn, "eps", eps, minimum=0.0)
    return Plateau(
        mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
        cooldown=cooldown, min_value=min_value, eps=eps,
    )  # fmt: skip


class PlateauState:
    """The controller's state: best metric, bad count, cooldown, observations, multipliers."""

    __slots__ = ("settings", "best", "bad", "cooldown", "observed", "multipliers")

    def __init__(self, settings, n_groups):
        self.settings = settings
        self.best = math.inf if settings.mode == "min" else -math.inf
        self.bad = 0
        self.cooldown = 0
        self.observed = 0
        self.multipliers = [1.0] * n_groups

    def observe(self, metric, current):
        """Take one metric; return True if the multipliers changed.  ``current``: the values now."""
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
        changed = False
        for k, old in enumerate(current):
            new = max(old * p.factor, p.min_value)
            if old - new > p.eps:
                self.multipliers[k] *= new / old if old else 0.0
                changed = True
        self.cooldown = p.cooldown
        self.bad = 0
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
        if not isinstance(d, dict):
            V.fail(fn, "state['plateau']", "a dict", d, TypeError)
        want, got = settings.to_dict(), d.get("settings")
        # item by item, each a plain value first: `==` of a dict holding an array raises numpy's ambiguous truth
        if not (isinstance(got, dict) and got.keys() == want.keys()
                and all(isinstance(got[k], (str, int, float)) and got[k] == want[k] for k in want)):  # fmt: skip
            V.fail(fn, "state['plateau']['settings']", f"this scheduler's settings {want}", got)
        out = cls(settings, n_groups)
        out.best = V.best_metric(fn, "state['plateau']['best']", d.get("best"))
        out.bad = V.integer(fn, "state['plateau']['bad']", d.get("bad"))
        out.cooldown = V.integer(fn, "state['plateau']['cooldown']", d.get("cooldown"))
        out.observed = V.integer(fn, "state['plateau']['observed']", d.get("observed"))
        mults = V.value_list(fn, "state['plateau']['multipliers']", d.get("multipliers"))
        if len(mults) != n_groups:
            raise ValueError(f"{fn}: `state['plateau']['multipliers']` must have {n_groups} values, got {len(mults)}.")
        out.multipliers = list(mults)
        return out


def _json_float(x):
    return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")
