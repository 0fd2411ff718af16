"""The learning-rate range test: a rising schedule, a finder that records the loss, and the peak it suggests.

A range test trains for a few dozen to a few hundred updates while the lr
rises from very small to very large (``range_test``), records the loss of
every update, and reads from the curve of smoothed loss against lr where
training is fastest (``LRFinder.suggest``).  The chosen value then becomes
the peak of a real schedule (``LRFinder.schedule``).

The updates at large lrs usually ruin the weights, so the test runs on a
copy of the model with its own optimizer (``copy.deepcopy(model)``), or on
a model whose ``state_dict()`` is reloaded afterwards; ``LRFinder.restore``
gives the optimizer back the lrs it had, never the weights or the
optimizer's buffers (momentum, Adam's moments).

Rules, stated once:

- update ``k`` uses ``lr_k = range_test(...).at(k)``; ``LRFinder.record``
  after update ``k`` stores ``(lr_k, loss_k)`` and moves the optimizer to
  ``lr_{k+1}`` (``lrsched.Scheduler``'s convention);
- smoothing: a bias-corrected exponential moving average,
  ``a_k = b a_{k-1} + (1 - b) x_k`` (``a_{-1} = 0``), ``s_k = a_k / (1 - b^(k+1))``;
- divergence: a loss that is not finite, or ``s_k > m + (d - 1) |m|`` with
  ``m`` the least smoothed loss before ``k`` (``s_k > d m`` for a loss >= 0);
- ``steepest``: the lr where ``ds/d(ln lr)`` (``np.gradient`` over the
  recorded points) is least, searched without the first and the last
  ``max(1, n // 10)`` of the ``n`` points with a finite loss;
- ``min_over_10``: the lr of the least smoothed loss, over all ``n`` points, divided by 10.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from pathlib import Path

import numpy as np

from . import _validate as V
from . import registry
from ._program import MAX_STEP
from ._schedule import _REGISTRY
from .adapter import Scheduler, read_value, write_value
from .schedules import constant, exponential, join, linear
from .tables import write_atomically

MODES = ("exponential", "linear")
RULES = ("steepest", "min_over_10", "min_loss_lr")
MIN_POINTS = 5  # points with a finite loss that ``suggest`` needs
MAX_FINDER_STEPS = 1_000_000  # a finder keeps every point in memory and in its state
STATUSES = ("running", "diverged", "finished", "stopped")
# the argument that takes the peak value, in order of preference, for a family that ``get`` names
PEAK_ARGUMENTS = ("peak_value", "max_value", "value", "init_value")
_STATE_FORMAT = "lrsched.LRFinder/1"


@V.explain_arguments
def range_test(*, min_value, max_value, steps, mode="exponential"):
    """The range-test schedule: from ``min_value`` at step 0 to ``max_value`` at step ``steps - 1``, then held.

    .. math:: v(t) = v_0 \\, (v_1 / v_0)^{\\min(t, L) / L} \\quad\\text{(exponential)}, \\qquad
              v(t) = v_0 + (v_1 - v_0) \\min(t, L) / L \\quad\\text{(linear)}, \\qquad L = \\text{steps} - 1

    Built from the core factories, so it is an ordinary Schedule (its
    ``to_dict()`` is a ``join`` spec that ``lrsched.from_dict`` rebuilds):
    exponential is ``join([exponential(init_value=min_value, decay_rate=max_value / min_value,
    transition_steps=L, end_value=max_value), constant(max_value)], [L])``, whose step ``L`` is
    ``max_value`` exactly (the product ``min_value * (max_value / min_value)`` need not be); linear is
    ``linear(init_value=min_value, end_value=max_value, steps=L)``.

    Parameters
    ----------
    min_value : float
        The value at step 0: > 0 for ``mode="exponential"``, >= 0 for ``"linear"``.
    max_value : float
        The value at step ``steps - 1`` and after: > ``min_value`` (and, exponential,
        ``max_value / min_value`` within float range).
    steps : int
        The number of updates the test takes, >= 2.
    mode : {"exponential", "linear"}
        Geometric steps (the usual range test, even on a log axis) or equal ones.

    Returns
    -------
    Schedule

    Raises
    ------
    TypeError
        An argument of the wrong type.
    ValueError
        A value that breaks a rule above.

    Examples
    --------
    >>> from lrsched import range_test
    >>> s = range_test(min_value=1e-4, max_value=1.0, steps=5)
    >>> [float(f"{v:.12g}") for v in s.table(6)]
    [0.0001, 0.001, 0.01, 0.1, 1.0, 1.0]
    >>> range_test(min_value=0.0, max_value=1.0, steps=5, mode="linear").table(5)
    array([0.  , 0.25, 0.5 , 0.75, 1.  ])

    See also
    --------
    LRFinder, which drives an optimizer through it.
    """
    lo, hi, length, mode = _range_arguments("range_test", min_value, max_value, steps, mode)
    return _range_schedule(lo, hi, length, mode)


def _range_arguments(fn, min_value, max_value, steps, mode, *, max_steps=MAX_STEP):
    """range_test's arguments, checked (in ``fn``'s name): min, max, the ramp's length ``steps - 1``, mode."""
    mode = V.choice(fn, "mode", mode, MODES)
    length = V.integer(fn, "steps", steps, minimum=2, maximum=max_steps) - 1
    if mode == "exponential":
        lo = V.real(fn, "min_value", min_value, minimum=0.0, low_open=True, note=' with mode="exponential"')
    else:
        lo = V.value(fn, "min_value", min_value)
    hi = V.value(fn, "max_value", max_value)
    if not hi > lo:
        V.fail(fn, "max_value", f"> min_value={lo!r}", max_value)
    if mode == "exponential" and not math.isfinite(hi / lo):
        V.fail(fn, "max_value", f"within float range of min_value={lo!r} (max_value / min_value overflows)", max_value)
    return lo, hi, length, mode


def _range_schedule(lo, hi, length, mode):
    if mode == "linear":
        return linear(init_value=lo, end_value=hi, steps=length)
    rise = exponential(init_value=lo, decay_rate=hi / lo, transition_steps=length, end_value=hi)
    return join([rise, constant(hi)], [length])


@V.explain_arguments
@dataclasses.dataclass(frozen=True)
class Suggestion:
    """Candidate peak lrs read from a range test (``LRFinder.suggest``).

    Attributes
    ----------
    steepest : float
        The lr where the smoothed loss falls fastest against ``ln lr``.
    min_over_10 : float
        ``min_loss_lr / 10``.
    min_loss_lr : float
        The lr of the least smoothed loss (usually too large to train at).
    min_loss : float
        That least smoothed loss.
    steepest_slope : float
        ``ds/d(ln lr)`` at ``steepest``; >= 0 means the loss never fell.
    steepest_step, min_loss_step : int
        The updates (indices into ``history``) of the two points.
    points : int
        The recorded points with a finite loss the rules used.
    status : str
        The test's status when suggested: "running", "diverged", "finished" or "stopped".
    """

    steepest: float
    min_over_10: float
    min_loss_lr: float
    min_loss: float
    steepest_slope: float
    steepest_step: int
    min_loss_step: int
    points: int
    status: str

    def __str__(self):
        fell = "" if self.steepest_slope < 0 else " (the loss never fell: no descent to read)"
        return (
            f"LR range test, {self.points} points ({self.status}):\n"
            f"  steepest descent  lr = {self.steepest:.3g}  (update {self.steepest_step}, "
            f"slope {self.steepest_slope:.3g} per unit of ln lr){fell}\n"
            f"  minimum / 10      lr = {self.min_over_10:.3g}  (least smoothed loss {self.min_loss:.4g} "
            f"at lr = {self.min_loss_lr:.3g}, update {self.min_loss_step})"
        )


class _Smoother:
    """The bias-corrected moving average and the divergence rule (the module docstring states both)."""

    __slots__ = ("average", "best", "beta", "count", "factor")

    def __init__(self, beta, factor):
        self.beta, self.factor = beta, factor
        self.average, self.best, self.count = 0.0, math.inf, 0

    def add(self, x):
        """The smoothed loss after ``x``, and whether the test diverges at it."""
        self.count += 1
        self.average = self.beta * self.average + (1.0 - self.beta) * x
        s = self.average / (1.0 - self.beta**self.count)
        diverged = not (math.isfinite(x) and math.isfinite(s)) or s > self.best + (self.factor - 1.0) * abs(self.best)
        self.best = min(self.best, s)
        return s, diverged


@V.explain_arguments
class LRFinder:
    """Drive an optimizer through a range test and record (lr, loss) at every update.

    The lr of every param group follows ``range_test(min_value=..., max_value=..., steps=..., mode=...)``
    through a ``lrsched.Scheduler``: after construction the groups hold the value of update 0, and each
    ``record(loss)`` stores the lr that update used and its loss, then moves to the next update's lr.
    Every group gets the same lr.  The loss is smoothed by a bias-corrected exponential moving average

    .. math:: a_k = \\beta a_{k-1} + (1 - \\beta) x_k, \\quad a_{-1} = 0, \\qquad
              s_k = a_k / (1 - \\beta^{k+1})

    and the test is over when it diverges (``x_k`` not finite, or
    ``s_k > m + (d - 1)|m|`` with ``m = min_{j<k} s_j``: ``s_k > d m`` for a loss >= 0) or when every
    update is used.

    Run the test on a copy of the model (``copy.deepcopy(model)`` and an optimizer over the copy's
    parameters) or reload the model's ``state_dict()`` afterwards: the large lrs at the end usually
    ruin the weights.  ``restore()`` gives the optimizer back its lrs, not its weights or buffers.

    Parameters
    ----------
    optimizer : object
        Anything with ``param_groups`` (a list of dicts with an ``"lr"``): a torch optimizer, or a
        home-made one.
    min_value, max_value : float, default 1e-7, 10.0
        The lrs of the first and the last update; ``0 < min_value < max_value`` in both modes (the
        rules and the plot read the loss against ``ln lr``).
    steps : int, default 100
        Updates in the test, in [2, 1,000,000]; the lrs of the ``steps`` updates must be strictly
        increasing (``max_value`` far enough above ``min_value``).
    mode : {"exponential", "linear"}
    smoothing : float, default 0.98
        ``beta`` above, in [0, 1); 0 keeps the raw loss.
    diverge : float, default 4.0
        ``d`` above, > 1.

    Raises
    ------
    TypeError, ValueError
        A bad argument, or an optimizer ``lrsched.Scheduler`` refuses; nothing is changed.

    Examples
    --------
    >>> from lrsched import LRFinder
    >>> class Opt:  # anything with param_groups
    ...     param_groups = [{"lr": 0.5}]
    >>> opt = Opt()
    >>> finder = LRFinder(opt, min_value=1e-3, max_value=1.0, steps=40, smoothing=0.0)
    >>> opt.param_groups[0]["lr"]
    0.001
    >>> done = False
    >>> while not done:  # an update at opt.param_groups[0]["lr"] here, then:
    ...     x = (opt.param_groups[0]["lr"] - 0.05) ** 2 + 1.0  # a loss, least at lr = 0.05
    ...     done = finder.record(x)
    >>> finder.status, len(finder.history["lrs"])
    ('finished', 40)
    >>> round(finder.suggest().min_loss_lr, 3), round(finder.suggest().min_over_10, 4)
    (0.049, 0.0049)
    >>> finder.restore(); opt.param_groups[0]["lr"]
    0.5

    See also
    --------
    range_test; fastai's ``lr_find``, PyTorch Lightning's ``Tuner.lr_find``, torch-lr-finder
    """

    def __init__(self, optimizer, *, min_value=1e-7, max_value=10.0, steps=100, mode="exponential", smoothing=0.98,
                 diverge=4.0):  # fmt: skip
        fn = "LRFinder"
        if V._is_real(min_value) and not V.to_float(min_value) > 0.0:  # both modes: the loss is read against ln lr
            V.fail(fn, "min_value", "a finite number > 0 (the loss is read against ln lr)", min_value)
        lo, hi, length, mode = _range_arguments(fn, min_value, max_value, steps, mode, max_steps=MAX_FINDER_STEPS)
        n = length + 1
        schedule = _range_schedule(lo, hi, length, mode)
        values = schedule.table(n)
        if not bool(np.all(np.diff(values) > 0.0)):
            V.fail(fn, "max_value", f"far enough above min_value={lo!r} that the lrs of the {n} updates are "
                   "strictly increasing", max_value)  # fmt: skip
        beta = V.real(fn, "smoothing", smoothing, minimum=0.0, maximum=1.0, high_open=True)
        factor = V.real(fn, "diverge", diverge, minimum=1.0, low_open=True)
        originals = _lrs_of(optimizer)
        scheduler = Scheduler(optimizer, schedule)  # checks the groups before it writes any
        if originals is None:  # a group's lr Scheduler takes but float() does not (a tensor of several items)
            raise TypeError(f"{fn}: every param group's 'lr' must be a single number or a 0-d tensor.")
        self.optimizer = optimizer
        self._config = {"min_value": lo, "max_value": hi, "steps": n, "mode": mode, "smoothing": beta,
                        "diverge": factor}  # fmt: skip
        self._schedule = schedule
        self._values = values.tolist()
        self._scheduler = scheduler
        self._originals = originals
        self._lrs, self._losses, self._smoothed = [], [], []
        self._smoother = _Smoother(beta, factor)
        self._status = "running"

    # -- recording ------------------------------------------------------------------

    def record(self, loss):
        """Store the loss of the update just made at the current lr; True when the test is over.

        Call it once per optimizer update, after ``optimizer.step()``.  ``loss`` is a number or a 0-d
        tensor (read with ``float``); a NaN or infinite loss is a divergence.  After the test is over
        (diverged, or all ``steps`` updates recorded, or ``restore()`` called) a record is refused.

        Returns
        -------
        bool
            True when this record ended the test: the optimizer keeps this update's lr (call
            ``restore()`` to give it back its own).

        Raises
        ------
        TypeError
            ``loss`` is not a number or a 0-d tensor (nothing is recorded).
        RuntimeError
            The test is over.
        """
        fn = "LRFinder.record"
        self._check_running(fn)
        x = _loss(fn, loss)
        k = len(self._lrs)
        s, diverged = self._smoother.add(x)
        self._lrs.append(self._values[k])
        self._losses.append(x)
        self._smoothed.append(s)
        if diverged:
            self._status = "diverged"
        elif k + 1 == self._config["steps"]:
            self._status = "finished"
        else:
            self._scheduler.step()
        return self._status != "running"

    @V.explain_arguments
    def run(self, train_step, steps=None):
        """Call ``train_step()`` (one update at the current lr, returning its loss) and record, until the end.

        Parameters
        ----------
        train_step : callable
            Takes no argument, does one optimizer update, returns the loss (a number or a 0-d tensor).
        steps : int, optional
            At most this many updates in this call (>= 1); by default until the test is over.

        Returns
        -------
        LRFinder
            ``self``, so that ``finder.run(train_step).suggest()`` reads in one line.
        """
        fn = "LRFinder.run"
        if not callable(train_step):
            V.fail(fn, "train_step", "a callable that does one update and returns its loss", train_step, TypeError)
        limit = None if steps is None else V.integer(fn, "steps", steps, minimum=1)
        self._check_running(fn)
        count = 0
        while limit is None or count < limit:
            count += 1
            if self.record(train_step()):
                break
        return self

    def _check_running(self, fn):
        if self._status != "running":
            why = {"diverged": f"diverged at update {len(self._lrs) - 1}",
                   "finished": f"used all {self._config['steps']} updates",
                   "stopped": "was stopped by restore()"}[self._status]  # fmt: skip
            raise RuntimeError(f"{fn}: the range test is over (it {why}); read finder.suggest() or build a new "
                               f"LRFinder to test again.")  # fmt: skip

    # -- reading --------------------------------------------------------------------

    @property
    def status(self):
        """The test's state: "running", "diverged", "finished" (every update recorded) or "stopped" (``restore()``)."""
        return self._status

    @property
    def done(self):
        """Whether the test is over (``status != "running"``)."""
        return self._status != "running"

    @property
    def history(self):
        """``{"lrs": [...], "losses": [...], "smoothed": [...]}``: one float per recorded update (copies)."""
        return {"lrs": list(self._lrs), "losses": list(self._losses), "smoothed": list(self._smoothed)}

    @property
    def range_schedule(self):
        """The range-test Schedule the optimizer follows."""
        return self._schedule

    def _finite_points(self):
        """How many leading points have a finite loss: all, or all but the last (where the test diverged)."""
        n = len(self._lrs)
        return n - 1 if n and not math.isfinite(self._smoothed[-1]) else n

    @V.explain_arguments
    def suggest(self):
        """Candidate peak lrs by the rules the module docstring states (steepest descent, minimum / 10).

        With ``n`` recorded points of finite loss (a non-finite last point is left out):
        ``steepest`` is ``lr[i]`` for the ``i`` in ``[q, n - q)``, ``q = max(1, n // 10)``, where
        ``np.gradient(smoothed, ln lr)`` is least; ``min_loss_lr`` is ``lr[j]`` for the ``j`` in
        ``[0, n)`` where ``smoothed`` is least, and ``min_over_10 = min_loss_lr / 10``.  Allowed while
        the test runs (it reads the points so far).

        Returns
        -------
        Suggestion

        Raises
        ------
        ValueError
            Fewer than 5 points with a finite loss.
        """
        n = self._finite_points()
        if n < MIN_POINTS:
            raise ValueError(f"LRFinder.suggest: the rules need at least {MIN_POINTS} recorded points with a finite "
                             f"loss, got {n}; record more updates (or start the range lower if it diverged early).")
        lrs = np.array(self._lrs[:n])
        smoothed = np.array(self._smoothed[:n])
        slope = np.gradient(smoothed, np.log(lrs))
        q = max(1, n // 10)
        i = q + int(np.argmin(slope[q : n - q]))
        j = int(np.argmin(smoothed))
        return Suggestion(
            steepest=float(lrs[i]), min_over_10=float(lrs[j]) / 10.0, min_loss_lr=float(lrs[j]),
            min_loss=float(smoothed[j]), steepest_slope=float(slope[i]), steepest_step=i, min_loss_step=j,
            points=n, status=self._status,
        )  # fmt: skip

    # -- hand-off -------------------------------------------------------------------

    @V.explain_arguments
    def schedule(self, name="warmup_cosine", *, rule="steepest", **kwargs):
        """The real schedule ``lrsched.get(name, <peak argument>=<suggested lr>, **kwargs)``.

        The peak argument is the family's first of ``peak_value``, ``max_value``, ``value`` and
        ``init_value`` (``peak_value`` for the warmup families, ``inverse_sqrt``, ``wsd``, ``sgdr``, ...;
        ``max_value`` for ``one_cycle`` and ``cyclic``; ``init_value`` for the decays that start at
        their peak, ``cosine``, ``linear``, ``exponential``, ``step``, ...).

        Parameters
        ----------
        name : str
            A name ``lrsched.get`` takes, default "warmup_cosine".
        rule : {"steepest", "min_over_10", "min_loss_lr"}
            Which suggestion becomes the peak.
        **kwargs
            The family's other arguments (``warmup_steps``, ``total_steps``, ...), never its peak.

        Raises
        ------
        ValueError
            Too few points (``suggest``), a family with no peak argument (``join``, ``piecewise_linear``,
            ``one_cycle_momentum``, ...), the peak given in ``kwargs``, or ``get``'s own errors.

        Examples
        --------
        >>> from lrsched import LRFinder
        >>> class Opt:
        ...     param_groups = [{"lr": 0.5}]
        >>> finder = LRFinder(Opt(), min_value=1e-3, max_value=1.0, steps=40, smoothing=0.0)
        >>> for k in range(40):
        ...     _ = finder.record(1.0 - math.tanh(k / 10 - 2))  # falls fastest at update 20
        >>> s = finder.schedule("warmup_cosine", warmup_steps=10, total_steps=100)
        >>> s.at(10) == finder.suggest().steepest == finder.history["lrs"][20]
        True
        """
        fn = "LRFinder.schedule"
        rule = V.choice(fn, "rule", rule, RULES)
        arg = _peak_argument(fn, name)
        if arg in kwargs:
            V.fail(fn, arg, f"left out (the finder sets it from rule={rule!r})", kwargs[arg])
        return registry.get(name, **{arg: getattr(self.suggest(), rule)}, **kwargs)

    @V.explain_arguments
    def restore(self):
        """Give every param group back the lr it had before the finder (ends a running test: "stopped")."""
        fn = "LRFinder.restore"
        groups = getattr(self.optimizer, "param_groups", None)
        if not isinstance(groups, (list, tuple)) or len(groups) != len(self._originals):
            raise ValueError(f"{fn}: the optimizer must have the {len(self._originals)} param groups it had when "
                             f"the finder was built, got {V.shown(groups)}.")  # fmt: skip
        for g, v in zip(groups, self._originals):
            write_value(g, "lr", None, v)
        if self._status == "running":
            self._status = "stopped"

    # -- picture --------------------------------------------------------------------

    @V.explain_arguments
    def plot(self, path=None, *, ax=None):
        """Loss against lr on a log axis: raw (faint), smoothed (solid), the suggestions marked.

        Parameters
        ----------
        path : str or os.PathLike, optional
            A .png, .svg or .pdf file, written whole or not at all (``tables.write_atomically``).
        ax : matplotlib Axes, optional
            Draw into these axes instead of a new figure.

        Returns
        -------
        matplotlib.figure.Figure

        Raises
        ------
        ValueError
            No point with a finite loss, or a ``path`` of another kind.
        ImportError
            matplotlib is not installed.
        """
        fn = "LRFinder.plot"
        suffix = None
        if path is not None:
            suffix = Path(path).suffix.lower()
            if suffix not in (".png", ".svg", ".pdf"):
                V.fail(fn, "path", "a .png, .svg or .pdf file name", str(path))
        n = self._finite_points()
        if n == 0:
            raise ValueError(f"{fn}: there is nothing to draw yet: no recorded point with a finite loss.")
        lrs, raw, smoothed = self._lrs[:n], self._losses[:n], self._smoothed[:n]
        suggestion = self.suggest() if n >= MIN_POINTS else None
        from .plotting import _matplotlib

        plt = _matplotlib()
        fig = None
        if ax is None:
            fig, ax = plt.subplots(figsize=(7.0, 3.6), dpi=110, layout="constrained")
        else:
            fig = ax.figure
        (line,) = ax.plot(lrs, smoothed, lw=1.5, label=f"smoothed loss (beta = {self._config['smoothing']:g})")
        ax.plot(lrs, raw, lw=0.8, alpha=0.3, color=line.get_color(), label="loss")
        if suggestion is not None:
            marks = (
                (suggestion.steepest, suggestion.steepest_step, "C1", "--", "steepest"),
                (suggestion.min_over_10, None, "C2", ":", "minimum / 10"),
            )
            for lr, step, color, style, what in marks:
                ax.axvline(lr, color=color, lw=1.0, ls=style, label=f"{what}: {lr:.3g}")
                if step is not None:
                    ax.plot([lr], [smoothed[step]], "o", color=color, ms=5)
            ax.plot([suggestion.min_loss_lr], [suggestion.min_loss], "v", color="C2", ms=5)
        ax.set_xscale("log")
        low, high = min(min(raw), min(smoothed)), max(smoothed)
        pad = 0.05 * (high - low) or 0.05 * abs(high) or 0.05
        ax.set_ylim(low - pad, high + pad)  # the raw loss's spikes above the smoothed one leave the picture
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(f"LR range test ({n} updates, {self._status})", fontsize="medium")
        ax.grid(alpha=0.25)
        ax.legend(fontsize="small", framealpha=0.85, edgecolor="none")
        if path is not None:
            try:
                with write_atomically(path) as f:
                    fig.savefig(f, format=suffix[1:])
            finally:
                plt.close(fig)
        return fig

    # -- state ----------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """Plain data (JSON-able; a NaN or infinite loss is a float): the settings, the status, the history."""
        return {"format": _STATE_FORMAT, **self._config, "status": self._status, **self.history}

    @V.explain_arguments
    def load_state_dict(self, state):
        """Restore a ``state_dict()`` of a finder with the same settings, and move the optimizer to its lr.

        The state is checked in full before anything changes: its settings must be this finder's, its
        lrs those of the range test, its smoothed losses and status what its losses give.  A running
        test continues at its next update; a test that is over keeps its last lr (``restore()`` gives
        the optimizer its own).
        """
        fn = "LRFinder.load_state_dict"
        rules = {"format": _format, **{key: _same_as(value) for key, value in self._config.items()},
                 "status": lambda fn, name, v: V.choice(fn, name, v, STATUSES),
                 "lrs": _numbers, "losses": _numbers, "smoothed": _numbers}  # fmt: skip
        got = V.state_fields(fn, state, rules, strict=True)
        lrs, losses, smoothed, status = got["lrs"], got["losses"], got["smoothed"], got["status"]
        n = len(losses)
        if not (len(lrs) == n == len(smoothed)):
            raise ValueError(f"{fn}: `state_dict` must have as many lrs, losses and smoothed losses, got "
                             f"{len(lrs)}, {n} and {len(smoothed)}.")  # fmt: skip
        if n > self._config["steps"] or lrs != self._values[:n]:
            V.fail(fn, "state_dict['lrs']", f"the first lrs of this finder's range test ({self._config['steps']} "
                   "updates)", lrs)  # fmt: skip
        smoother = _Smoother(self._config["smoothing"], self._config["diverge"])
        replayed = "running"
        for k, x in enumerate(losses):
            if replayed != "running":
                V.fail(fn, "state_dict['losses']", f"losses of a test that ends at its last one (this one ended at "
                       f"update {k - 1})", losses)  # fmt: skip
            s, diverged = smoother.add(x)
            if not _same_float(s, smoothed[k]):
                V.fail(fn, f"state_dict['smoothed'][{k}]", f"the smoothed loss of its losses, {s!r}", smoothed[k])
            replayed = "diverged" if diverged else "finished" if k + 1 == self._config["steps"] else "running"
        if status != replayed and not (status == "stopped" and replayed == "running"):
            V.fail(fn, "state_dict['status']", f"{replayed!r} (what its losses give)", status)
        self._scheduler.seek(n if status == "running" else max(n - 1, 0))
        self._lrs, self._losses, self._smoothed = list(lrs), list(losses), list(smoothed)
        self._smoother, self._status = smoother, status

    def __repr__(self):
        c = self._config
        return (f"LRFinder(min_value={c['min_value']!r}, max_value={c['max_value']!r}, steps={c['steps']}, "
                f"mode={c['mode']!r}, smoothing={c['smoothing']!r}, diverge={c['diverge']!r}; "
                f"{len(self._lrs)} recorded, {self._status})")  # fmt: skip


# -- helpers ----------------------------------------------------------------------------------------


def _lrs_of(optimizer):
    """Each param group's lr as a float, or None where the groups are not readable so (Scheduler says why)."""
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, (list, tuple)) or not all(isinstance(g, dict) and "lr" in g for g in groups):
        return None
    try:
        return [read_value(g, "lr") for g in groups]
    except (TypeError, ValueError, RuntimeError):  # RuntimeError: torch's float() of a tensor of several items
        return None


def _loss(fn, loss):
    """``float(loss)``: a number or a 0-d tensor (a value beyond float range is infinite)."""
    rule = "a number or a 0-d tensor"
    if isinstance(loss, (bool, np.bool_, str, bytes)):
        V.fail(fn, "loss", rule, loss, TypeError)
    if hasattr(loss, "detach"):  # a tensor that needs grad: its value, without torch's warning
        loss = loss.detach()
    try:
        return float(loss)
    except OverflowError:
        return math.inf if loss > 0 else -math.inf
    except (TypeError, ValueError, RuntimeError):
        V.fail(fn, "loss", rule, loss, TypeError)


def _peak_argument(fn, name):
    """The argument of the family ``name`` stands for that takes the peak value (PEAK_ARGUMENTS)."""
    key = registry._key(fn, name)  # refuses an unknown name, listing close matches
    factory_name, fixed = registry._names()[key]
    params = inspect.signature(_REGISTRY[factory_name][0]).parameters
    for arg in PEAK_ARGUMENTS:
        if arg in params and arg not in fixed:
            return arg
    raise ValueError(f"{fn}: `name` must name a family with a peak value (an argument among "
                     f"{', '.join(PEAK_ARGUMENTS)}), got name={name!r}, whose factory {factory_name!r} has none.")


def _format(fn, name, form):
    if not isinstance(form, str) or form != _STATE_FORMAT:
        V.fail(fn, name, repr(_STATE_FORMAT), form, ValueError if isinstance(form, str) else TypeError)
    return form


def _same_as(expected):
    def check(fn, name, v):
        if type(v) is not type(expected) or v != expected:
            V.fail(fn, name, f"{expected!r}, this finder's (build the LRFinder with the saved settings)", v)
        return v

    return check


def _numbers(fn, name, v):
    if not isinstance(v, list):
        V.fail(fn, name, "a list of numbers", v, TypeError)
    for k, x in enumerate(v):
        if not (type(x) is float or type(x) is int):
            V.fail(fn, f"{name}[{k}]", "a number", x, TypeError)
    return [float(x) for x in v]


def _same_float(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))
