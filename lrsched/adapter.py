"""class Scheduler: the thin stateful adapter over anything with ``param_groups``.

The state is a step counter (plus, with ``relative=True``, each group's
initial value); every value comes from the schedule, so resuming is setting
the counter.  Values are served from chunks that ``Schedule.table`` fills
ahead of time, one per distinct schedule: a step is one index per chunk and,
per group, one multiply (by its initial value with ``relative=True``) and
one store, with no Numba call.  No torch import: a tensor value is
recognised by its ``fill_``.

The per-step cost is mostly Python objects, so the hot path is shaped for
them.  Each chunk is read through a ``memoryview``: indexing it makes the
one float a store needs (cheaper than ``tolist()`` making all of them ahead
of time and freeing them later).  The stores are straight-line code
generated per scheduler (``_unrolled_writer``), one line per (field, group),
so a step has no inner loop and no tuple unpacking; the common case of
``step()`` is generated with them (one Python call per step) and installed
on the instance.  Multiplying at store time gives the same float as scaling
the table would (one IEEE product).

Two things take the plain path instead (ordinary code, one loop over the
(field, group) slots): a value source that is a Python function of the step
(a torch ``LambdaLR`` over Python lambdas), and a scheduler that *composes*
(the drop-ins of recursive torch schedulers).  A composing scheduler writes
its closed-form value only while the group still holds the closed-form value
it wrote itself; a value someone else changed since (another scheduler
stepped on the same optimizer, a manual edit, a restored optimizer) is
passed to ``compose(value, step, group)`` -- torch's recursive update -- so
schedulers stepped back to back chain as torch's do.  A composed value
within 1e-12 of the closed form returns to it.

Every read and write of a param group goes through ``read_value`` and
``write_value``: a float, a tensor (filled in place), or an item of a tuple
such as Adam's ``betas``.
"""

from __future__ import annotations

import copy
import math
import operator
import re
import warnings
import weakref

import numpy as np

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule, from_dict
from .plateau import Plateau, PlateauState
from .surgery import Change

_FIELD = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(?:\[([0-9]{1,18})\])?")  # fullmatch: "lr\n" is not "lr"
_CHUNK = 4096
_STATE_FORMAT = "lrsched.Scheduler/1"


def _parse_field(fn, field):
    """``"lr"`` -> ("lr", None); ``"betas[0]"`` -> ("betas", 0)."""
    if not isinstance(field, str):
        V.fail(fn, "field", 'a field name such as "lr", "momentum" or "betas[0]"', field, TypeError)
    m = _FIELD.fullmatch(field)
    if not m:
        V.fail(fn, "field", 'a field name such as "lr", "momentum" or "betas[0]"', field)
    return m.group(1), None if m.group(2) is None else int(m.group(2))


def _read(fn, group, k, field, key, index):
    """The group's current value of ``field`` as a float (checked, never changed)."""
    if key not in group:
        raise ValueError(f"{fn}: param_groups[{k}] has no {key!r} to schedule (field={field!r}).")
    value = group[key]
    if index is not None:
        if not isinstance(value, (tuple, list)) or not index < len(value):
            raise ValueError(
                f"{fn}: param_groups[{k}][{key!r}] must be a tuple with an item {index} for field={field!r}, "
                f"got {V.shown(value)}."
            )
        value = value[index]
    if isinstance(value, (bool, np.bool_)) or not (V._is_real(value) or hasattr(value, "fill_")):
        raise TypeError(f"{fn}: param_groups[{k}][{key!r}] must be a number or a tensor, got {V.shown(value)}.")
    if V._is_real(value):
        x = V.to_float(value)  # an int beyond float range is inf: refused below
    else:
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{fn}: param_groups[{k}][{key!r}] must hold one number, got {V.shown(value)}.") from None
    if not math.isfinite(x):
        raise ValueError(f"{fn}: param_groups[{k}][{key!r}] must be finite, got {V.shown(value)}.")
    return x


class _Field:
    """One scheduled field: its per-group schedules and initial values."""

    __slots__ = ("name", "key", "index", "schedules", "relative", "initial")

    def __init__(self, name, key, index, schedules, relative, initial):
        self.name, self.key, self.index = name, key, index
        self.schedules, self.relative, self.initial = schedules, relative, initial

    def state(self):
        return {
            "schedules": [s.to_dict() for s in self.schedules],
            "relative": self.relative,
            "initial": list(self.initial) if self.relative else None,
        }


_NEAR_ONE = (0.5, 2.0)  # a relative schedule's largest value outside this range is warned about


def _multiplier_peak(schedule):
    """The largest value of a schedule used as a multiplier (``relative=True``) when it is not near 1, else None.

    The rule: a multiplier's largest value over any run -- not its value at step 0, so a warmup from 0
    to 1 is fine -- lies in ``_NEAR_ONE``.  The Program's bound (an upper bound of |value|) settles most
    schedules without evaluating anything; past it the values are read where ``preview.sample_steps``
    looks over 2**40 steps (every boundary and cycle start, where a monotone segment has its extremes).
    """
    lo, hi = _NEAR_ONE
    bound = schedule.program.bound()
    if lo <= bound <= hi:
        return None
    from .preview import sample_steps

    top = float(np.max(schedule(sample_steps(schedule, 2**40))))
    return None if lo <= top <= hi else top


def _caller_level():
    """``stacklevel`` of the first frame outside lrsched (a warning points at the user's line)."""
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__)) + os.sep
    level, frame = 1, sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(here):
        frame, level = frame.f_back, level + 1
    return level


@V.explain_arguments
class Scheduler:
    """Drive ``optimizer.param_groups[*][field]`` from schedules, one step at a time.

    Parameters
    ----------
    optimizer : object
        Anything with ``param_groups``, a list of dicts (a torch optimizer,
        or a home-made one).
    schedule : Schedule, list of Schedule, or dict
        One schedule for every group; a list with one per group; or a dict
        ``{field: schedule or list}`` to drive several fields at once.
    field : str, default "lr"
        The group key to write, e.g. ``"lr"``, ``"momentum"``,
        ``"weight_decay"``; ``"betas[0]"`` writes item 0 of the tuple
        ``group["betas"]`` (Adam's beta1), keeping the other items.
    relative : bool, default False
        If True the schedule is a multiplier of each group's initial value,
        kept in ``group["initial_<field>"]`` (``initial_lr`` for lr, as torch
        does; set from the group's current value if absent).
    last_step : int, default -1
        The step before the first one applied: after construction every
        group holds the value at ``last_step + 1`` (step 0 by default).
    plateau : Plateau, optional
        A reduce-on-plateau controller (``lrsched.plateau(...)``) fed by
        ``observe(metric)``; it multiplies the ``lr`` field (or the only
        field) on top of the schedule.

    Conventions (torch's): after construction a group holds ``s.at(0)``;
    after ``k`` calls to ``step()`` it holds ``s.at(k)``, the value that
    optimizer update ``k`` uses.  A value that is a tensor is updated in
    place with ``fill_`` (a compiled optimizer step does not recompile); a
    float stays a float.

    A changed schedule is applied deliberately, never silently:
    ``change(schedule)`` switches at the current step and returns the
    ``Change`` (old and new value per group); a saved state whose schedules
    differ is refused by ``load_state_dict`` unless told to ``adopt`` the
    saved ones or ``keep`` this scheduler's (which warns with the ``Change``).

    Examples
    --------
    >>> import lrsched
    >>> class Opt:  # anything with param_groups
    ...     param_groups = [{"lr": 0.0}, {"lr": 0.0}]
    >>> opt = Opt()
    >>> sched = lrsched.Scheduler(opt, lrsched.linear(init_value=1.0, steps=4))
    >>> sched.step(); sched.step()
    >>> sched.last_step, sched.get_last_lr()
    (2, [0.5, 0.5])
    """

    def __init__(self, optimizer, schedule, *, field="lr", relative=False, last_step=-1, plateau=None):
        fn = "Scheduler"
        groups = _param_groups(fn, optimizer)
        if plateau is not None and not isinstance(plateau, Plateau):
            V.fail(fn, "plateau", "a lrsched.plateau(...)", plateau, TypeError)
        relative = V.boolean(fn, "relative", relative)
        last = V.integer(fn, "last_step", last_step, minimum=-1, maximum=MAX_STEP - 1)
        # (name, spec) pairs, not a dict: `field` is checked by _parse_field before anything hashes it
        if isinstance(schedule, dict):
            if not (isinstance(field, str) and field == "lr"):
                V.fail(fn, "field", "left out when `schedule` is a dict of fields", field)
            wanted = list(schedule.items())
        else:
            wanted = [(field, schedule)]
        if not wanted:
            V.fail(fn, "schedule", "a dict with at least one field", schedule)
        fields = []
        for name, spec in wanted:
            key, index = _parse_field(fn, name)
            schedules = _per_group(fn, spec, len(groups))
            current = [_read(fn, g, k, name, key, index) for k, g in enumerate(groups)]
            initial = None
            if relative:
                stored = f"initial_{name}"
                initial = []
                for k, g in enumerate(groups):
                    if stored in g:  # a number or a tensor (torch keeps a tensor lr's clone)
                        initial.append(V.value(fn, f"param_groups[{k}][{stored!r}]", _read(fn, g, k, stored, stored, None)))
                    elif last >= 0:
                        raise ValueError(
                            f"{fn}: param_groups[{k}] has no {stored!r}, needed to resume at last_step={last} "
                            f"with relative=True (torch raises KeyError here)."
                        )
                    else:
                        initial.append(V.value(fn, f"param_groups[{k}][{name!r}]", current[k]))
                for k, (x, sched) in enumerate(zip(initial, schedules)):
                    if not math.isfinite(x * sched.program.bound()):  # relative values are x times the schedule's
                        V.fail(fn, "schedule", f"a multiplier whose values times param_groups[{k}]'s initial "
                               f"{name} {x!r} stay finite (relative=True)", sched)  # fmt: skip
                for k, (x, sched) in enumerate(zip(initial, schedules)):
                    top = _multiplier_peak(sched)
                    if top is not None:  # an absolute schedule passed as a multiplier, typically
                        warnings.warn(
                            f"{fn}: relative=True multiplies param_groups[{k}]'s initial {name} {x:g} by the schedule, "
                            f"whose largest value is {top:g}, not near 1 (outside [{_NEAR_ONE[0]:g}, {_NEAR_ONE[1]:g}])"
                            f": the {name} would peak at {x * top:g}. Is it an absolute schedule? Pass relative=False, "
                            f"or a multiplier that peaks at 1.", UserWarning, stacklevel=_caller_level())  # fmt: skip
            fields.append(_Field(name, key, index, schedules, relative, initial))
        target = next((f for f in fields if f.name == "lr"), None)
        if plateau is not None and target is None and len(fields) > 1:
            V.fail(fn, "plateau", "used with an 'lr' field or a single field", plateau)
        # every check has passed: from here on the groups change
        self.optimizer = optimizer
        self._fields = fields
        self._plateau_field = None if plateau is None else (target or fields[0])
        self._plateau = None if plateau is None else PlateauState(plateau, len(groups))
        if relative:
            for f in fields:
                for g, x in zip(groups, f.initial):
                    g.setdefault(f"initial_{f.name}", x)
        self._compose = None
        self._compile_writers()
        self.seek(last + 1)

    # -- the hot path -----------------------------------------------------------------

    def step(self, advance=True):
        """Move to the next step and write its values.

        ``advance`` is how many steps to move: ``True`` (the default) is one,
        ``False`` or 0 rewrites the current values, an integer ``n`` moves
        ``n`` steps at once (several optimizer updates, or the samples or
        tokens of one update for a schedule counted in those), in O(1).
        After an optimizer step that was skipped (an AMP overflow), call
        ``step(advance=False)`` or nothing at all: the counter stays, so the
        skipped update's values are used again by the next real one.
        """
        # The general path.  Each chunk fill installs, as the instance's own
        # ``step``, a generated function that does the same for the common case
        # (same groups, one step, inside the chunk) and calls this one otherwise.
        n = advance if type(advance) is bool else V.integer("Scheduler.step", "advance", advance)
        changed = self._groups_changed()  # replaced (load_state_dict) or added to
        if changed:
            self._rebind()
        step = self._base + self._pos + n
        if step > MAX_STEP:
            raise ValueError(f"Scheduler.step: cannot step past step 2**62 = {MAX_STEP} (lrsched's largest step).")
        self._go(step, refill=changed)
        self._write(self._pos)

    def advance_to(self, step):
        """Move forward to ``step`` and write its values: ``step(step - last_step)``.

        For a count the training loop keeps anyway (updates done, samples or
        tokens seen, for a schedule counted in those units): O(1), and inside
        the current table chunk nothing is recomputed.  Going back is
        refused; ``seek`` goes anywhere.
        """
        step = V.integer("Scheduler.advance_to", "step", step)
        if step < self.last_step:
            V.fail("Scheduler.advance_to", "step", f">= last_step={self.last_step} (seek(step) goes back)", step)
        self.step(step - self.last_step)

    @V.explain_arguments
    def seek(self, step):
        """Jump to ``step`` (O(1): no replay) and write its values (inside the current chunk: no refill)."""
        step = V.integer("Scheduler.seek", "step", step)
        changed = self._groups_changed()
        if changed:
            self._rebind("Scheduler.seek")
        self._go(step, refill=changed)
        self._write(self._pos, True)

    def _go(self, step, refill=False):
        """Make ``step`` the chunk position, filling a new chunk from it only when it is outside the current
        one (or ``refill``: the schedules changed)."""
        if refill or "_base" not in self.__dict__ or not 0 <= step - self._base < self._end:
            self._fill(step)
        self._pos = step - self._base

    def observe(self, metric):
        """Feed a metric to the plateau controller; a reduction applies at once (torch's timing)."""
        fn = "Scheduler.observe"
        if self._plateau is None:
            raise ValueError(f"{fn}: this scheduler has no plateau; build it with plateau=lrsched.plateau(...).")
        try:
            x = float(metric)  # a number, or a 0-d tensor or array
        except OverflowError:  # an int or Fraction beyond float range (inf itself is a metric, as in torch)
            V.fail(fn, "metric", "a number within float range", metric)
        except (TypeError, ValueError):
            V.fail(fn, "metric", "a number", metric, TypeError)
        f = self._plateau_field
        if self._plateau.observe(x, self._values(f)):
            self._fill(self._base)
            self._write(self._pos, True)

    # -- reading --------------------------------------------------------------------

    @property
    def last_step(self):
        """The current step: the groups hold its values (read-only; ``seek`` moves it)."""
        return self._base + self._pos

    @property
    def last_epoch(self):
        """torch's name for ``last_step`` (read-only)."""
        return self._base + self._pos

    def get_last_values(self, field=None):
        """The values written at the current step, one per group, for ``field`` (the first field by default)."""
        return self._values(self._field(field))

    def get_last_lr(self):
        """The lr values written at the current step, one per group (torch's name)."""
        return self.get_last_values("lr")

    @property
    def schedules(self):
        """``{field: [Schedule per group]}``."""
        return {f.name: list(f.schedules) for f in self._fields}

    # -- changing the schedule ---------------------------------------------------------

    @V.explain_arguments
    def change(self, schedule, *, field=None):
        """Switch to other schedules from the current step on, write their values, and say what changed.

        ``schedule`` is one for every group, a list with one per group, or a
        dict ``{field: schedule or list}`` (as the constructor takes them),
        for fields this scheduler drives; ``field`` (the first field by
        default, ``"lr"`` as built) names the one a schedule or list is for.
        With ``relative=True`` the new schedules are multipliers of the same
        initial values.  The step stays; the groups get the new values at
        once; ``state_dict()`` holds the new schedules from then on, so a run
        resumed from it continues on them exactly.  Everything is checked
        before anything changes.

        Returns
        -------
        Change
            Per (field, group), the value written before and the one written
            now, at the current step, and the relative jump;
            ``print(change)`` shows them.

        Examples
        --------
        >>> import lrsched
        >>> class Opt:
        ...     param_groups = [{"lr": 0.0}]
        >>> run = lrsched.warmup_constant(peak_value=1.0, warmup_steps=2)
        >>> sched = lrsched.Scheduler(Opt(), run, last_step=9)
        >>> print(sched.change(lrsched.branch(run, 10, steps=10, end_ratio=0.1)))
        schedule change at step 10 (old -> new):
          lr group 0: 1 -> 1  (no change)
        >>> sched.step(); round(sched.get_last_lr()[0], 6)  # 0.1 + 0.9 (1 - sqrt(1 / 10))
        0.715395
        """
        fn = "Scheduler.change"
        if self._compose is not None or self._plain:
            raise ValueError(f"{fn}: this scheduler's values are not all read from schedules (a drop-in that "
                             f"composes, or Python functions of the step); a lrsched.Scheduler can change "
                             f"them.")  # fmt: skip
        if self._groups_changed():  # replaced since the last step: refused here if unusable, before any change
            self._check_groups(fn)
        n = len(self.optimizer.param_groups)
        if isinstance(schedule, dict):
            if field is not None:
                V.fail(fn, "field", "left out when `schedule` is a dict of fields", field)
            if not schedule:
                V.fail(fn, "schedule", "a dict with at least one field", schedule)
            wanted = [(self._field(name, fn), spec) for name, spec in schedule.items()]
        else:
            wanted = [(self._field(field, fn), schedule)]
        updates = []
        for f, spec in wanted:
            schedules = _per_group(fn, spec, n)
            if f.relative:
                for k, (x, s) in enumerate(zip(f.initial, schedules)):
                    if not math.isfinite(x * s.program.bound()):
                        V.fail(fn, "schedule", f"a multiplier whose values times param_groups[{k}]'s initial "
                               f"{f.name} {x!r} stay finite (relative=True)", s)  # fmt: skip
            updates.append((f, schedules))
        step = self.last_step
        rows = []
        for f, schedules in updates:
            for k, (old, s) in enumerate(zip(self._values(f), schedules)):
                rows.append((f.name, k, old, _scaled(s.at(step), self._scale(f, k))))
        # every check has passed: from here on the groups change
        for f, schedules in updates:
            f.schedules = schedules
        if self._groups_changed():
            self._rebind(fn)
        self._go(step, refill=True)
        self._write(self._pos, True)
        return Change(step, rows)

    # -- state ----------------------------------------------------------------------

    @V.explain_arguments
    def state_dict(self):
        """Plain JSON-able data: the step, each field's schedule specs and initial values."""
        state = {
            "format": _STATE_FORMAT,
            "last_step": self.last_step,
            "fields": {f.name: f.state() for f in self._fields},
        }
        if self._plateau is not None:
            state["plateau"] = self._plateau.state()
        return state

    @V.explain_arguments
    def load_state_dict(self, state, *, adopt=False, keep=False):
        """Restore a ``state_dict()``: the same values as the saved run at the same step.

        Independent of the lr the optimizer holds now: every value is
        recomputed from the schedule and (with ``relative=True``) the saved
        initial values, which are written back to the groups.  A state whose
        schedules differ from this scheduler's is refused, unless the choice
        is made deliberately:

        - ``adopt=True`` takes the saved schedules (the saved run goes on as it was);
        - ``keep=True`` keeps this scheduler's schedules from the saved step on
          (a schedule changed at a checkpoint: a branched cooldown, a longer
          horizon).  A ``UserWarning`` shows the change at the saved step, per
          field and group the saved schedule's value and this one's (with the
          saved initial values and plateau), and the ``Change`` is returned.

        The state is checked in full before anything changes.

        Returns
        -------
        Change or None
            With ``keep=True``, what keeping this scheduler's schedules
            changes at the saved step (no rows when they are the saved ones).
        """
        fn = "Scheduler.load_state_dict"
        adopt = V.boolean(fn, "adopt", adopt)
        keep = V.boolean(fn, "keep", keep)
        if adopt and keep:
            raise ValueError(f"{fn}: pass adopt=True (the saved schedules) or keep=True (this scheduler's), "
                             f"not both.")  # fmt: skip
        if not isinstance(state, dict):
            V.fail(fn, "state", "a dict from Scheduler.state_dict()", state, TypeError)
        if self._groups_changed():
            # replaced (optimizer.load_state_dict before ours): the seek below rebinds; unusable groups
            # must be refused here, before the state is applied, not half-way through it
            self._check_groups(fn)
        names = [f.name for f in self._fields]

        def fields(fn, name, saved):
            if not isinstance(saved, dict) or set(saved) != set(names):  # a set: keys of mixed types do not sort
                V.fail(fn, name, f"a dict with the fields {names}", saved, TypeError if not isinstance(saved, dict)
                       else ValueError)  # fmt: skip
            return saved

        rules = {"format": _format, "last_step": V.integer, "fields": fields, "plateau": (lambda fn, name, v: v, None)}
        got = V.state_fields(fn, state, rules, name="state", strict=True)
        step, saved = got["last_step"], got["fields"]
        entry_rules = {"schedules": lambda fn, name, v: v, "relative": V.boolean, "initial": lambda fn, name, v: v}
        updates = []
        for f in self._fields:
            where = f"state['fields'][{f.name!r}]"
            entry = V.state_fields(fn, saved[f.name], entry_rules, name=where, strict=True)
            specs = entry.get("schedules")
            if not isinstance(specs, list) or len(specs) != len(f.schedules):
                raise ValueError(
                    f"{fn}: `{where}['schedules']` must be a list of {len(f.schedules)} schedule dicts "
                    f"(one per param group), got {V.shown(specs)}."
                )
            schedules = []
            for k, spec in enumerate(specs):
                try:
                    schedules.append(from_dict(spec))
                except (ValueError, TypeError) as e:  # from_dict names `d`: say where in the state it is
                    kind = TypeError if isinstance(e, TypeError) else ValueError
                    raise kind(f"{fn}: `{where}['schedules'][{k}]`: {e}") from None
            saved_schedules = None
            if schedules != f.schedules:
                if not (adopt or keep):
                    raise ValueError(
                        f"{fn}: the saved schedules for field {f.name!r} differ from this scheduler's "
                        f"(saved {schedules!r}, here {f.schedules!r}); pass adopt=True to use the saved ones, "
                        f"or keep=True to keep this scheduler's from the saved step on (a warning shows the "
                        f"change of values there)."
                    )
                if keep:
                    saved_schedules, schedules = schedules, f.schedules
            relative = entry["relative"]
            if relative != f.relative:
                V.fail(fn, f"{where}['relative']", f"{f.relative} (as this scheduler)", relative)
            initial = None
            if not relative and entry.get("initial") is not None:  # state() writes None: the file is damaged
                V.fail(fn, f"{where}['initial']", "None (relative=False)", entry.get("initial"))
            if relative:
                values = V.value_list(fn, f"{where}['initial']", entry.get("initial"))
                if len(values) != len(f.schedules):
                    raise ValueError(
                        f"{fn}: `{where}['initial']` must have {len(f.schedules)} values, got {len(values)}."
                    )
                initial = list(values)
            updates.append((f, schedules, initial, saved_schedules))
        plateau = None
        if self._plateau is not None:
            plateau = PlateauState.load(fn, state.get("plateau"), self._plateau.settings, len(self.optimizer.param_groups))
        elif "plateau" in state:
            V.fail(fn, "state", "a state without 'plateau' (this scheduler has none)", "a state with one")
        change = None
        if keep:
            change = self._kept(step, updates, plateau)
            if change.rows:  # before anything changes: a warning raised as an error leaves the scheduler as it was
                kept = sorted({name for name, *_ in change.rows})
                warnings.warn(f"{fn}: kept this scheduler's schedules for {kept}, which differ from the saved ones, "
                              f"from the saved step on; {change}", UserWarning, stacklevel=2)  # fmt: skip
        if plateau is not None:
            self._plateau = plateau
        for f, schedules, initial, _ in updates:
            f.schedules = schedules
            if initial is not None:
                f.initial = initial
                for g, x in zip(self.optimizer.param_groups, initial):
                    g[f"initial_{f.name}"] = x
        if self._groups_changed():
            self._rebind(fn)
        self._go(step, refill=True)  # the loaded schedules' tables (and the new groups' writers)
        self._write(self._pos, True)
        return change

    def _kept(self, step, updates, plateau):
        """The Change at ``step`` of keeping this scheduler's schedules over the saved ones that differ: the
        values each would write there, with the saved initial values and plateau multipliers."""
        rows = []
        for f, schedules, initial, saved in updates:
            if saved is None:
                continue
            for k, (old, new) in enumerate(zip(saved, schedules)):
                multiplier = plateau.multipliers[k] if plateau is not None and f is self._plateau_field else 1.0
                scale = _group_scale(initial[k] if f.relative else None, multiplier)
                rows.append((f.name, k, _scaled(old.at(step), scale), _scaled(new.at(step), scale)))
        return Change(step, rows)

    # -- copies ---------------------------------------------------------------------

    def __getstate__(self):
        """Plain attributes only: the generated writer and the chunk views are rebuilt on load."""
        if self.__dict__.get("_sync") is not None:
            self._sync()  # the generated step's cells into _last, which is kept
        state = dict(self.__dict__)
        for derived in ("_slots", "_writers", "_writer", "step", "_tables", "_sources", "_groups", "_seen", "_versions",
                        "_pure", "_calls", "_sync", "_pull"):
            state.pop(derived, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        # a copy.copy shares these with the original (and _fill retires the cell it finds): its own position,
        # last values and plateau counts
        last = list(state["_last"]) if state.get("_last") is not None else None
        self._cell = list(self._cell)
        if self._plateau is not None:
            self._plateau = copy.deepcopy(self._plateau)
        self._compile_writers()
        if last is not None:
            self._last = last
        self._fill(self._base)

    # -- plumbing ---------------------------------------------------------------------

    def _field(self, name, fn="Scheduler.get_last_values"):
        if name is None:
            return self._fields[0]
        names = [f.name for f in self._fields]
        if not isinstance(name, str):  # before `==`: that of an array is an array
            V.fail(fn, "field", f"one of {names}", name, TypeError)
        for f in self._fields:
            if f.name == name:
                return f
        V.fail(fn, "field", f"one of {names}", name)

    def _scale(self, f, k):
        """What group ``k``'s table value of field ``f`` is multiplied by (None: nothing), as ``_fill`` does."""
        multiplier = self._plateau.multipliers[k] if f is self._plateau_field else 1.0
        return _group_scale(f.initial[k] if f.relative else None, multiplier)

    def _values(self, f):
        """The values the groups of field ``f`` hold now (the same floats the writer stored)."""
        if self._plain or self._compose is not None:
            if self._sync is not None:
                self._sync()
            return [v for (field, *_), v in zip(self._slots, self._last) if field is f]
        pos = self._pos
        return [
            self._tables[j][pos] * scale if scale is not None else self._tables[j][pos]
            for (field, *_), (j, scale) in zip(self._slots, self._sources)
            if field is f
        ]

    def _groups_changed(self):
        """Whether the optimizer's param groups changed since the writers were made: a group added, removed or
        replaced (``param_groups[k] = dict(...)``, ``optimizer.load_state_dict``).  A list made anew at each
        read (a ``param_groups`` property) holding the same dicts is no change."""
        groups = self.optimizer.param_groups
        return len(groups) != self._n_groups or not all(map(operator.is_, groups, self._seen))

    def _rebind(self, fn="Scheduler.step"):
        """Write into the optimizer's new param groups from now on (checked first; nothing changes if bad).

        ``optimizer.load_state_dict`` replaces the group dicts (accelerate
        calls it when the HF Trainer prepares the optimizer); the scheduler
        follows, as torch's schedulers do by reading ``param_groups`` each step.
        """
        self._check_groups(fn)
        self._compile_writers()  # the caller fills the chunk it moves to (_go(step, refill=True))

    def _check_groups(self, fn):
        """Raise unless every (new) param group has each scheduled field, one group per schedule."""
        groups = _param_groups(fn, self.optimizer)
        if len(groups) != self._n_groups:
            raise ValueError(
                f"{fn}: the optimizer now has {len(groups)} param groups, the scheduler was built for "
                f"{self._n_groups}; build a new Scheduler after adding a group (it needs a schedule)."
            )
        for f in self._fields:
            for k, g in enumerate(groups):
                _read(fn, g, k, f.name, f.key, f.index)

    def _compile_writers(self):
        """One slot per (field, group): a plain dict store, or a special writer (tensor, tuple item)."""
        groups = self._groups = self.optimizer.param_groups
        self._n_groups, self._seen = len(groups), list(groups)
        self._slots = []  # (field, group number, group, key, writer or None)
        for f in self._fields:
            for k, g in enumerate(groups):
                if f.index is None and not hasattr(g[f.key], "fill_"):
                    self._slots.append((f, k, g, f.key, None))
                else:
                    self._slots.append((f, k, g, None, _writer(g, f.key, f.index)))
        self._writers = {}  # writer factories by the shape of self._sources
        # the plain path: a function of the step as a source, or a composing scheduler writing tensors or items
        self._plain = any(not isinstance(s, Schedule) for f in self._fields for s in f.schedules) or (
            self._compose is not None and any(w is not None for *_, w in self._slots)
        )
        # the field a composing scheduler composes: the plateau's, else ``lr`` or the first
        self._target = self._plateau_field or next((f for f in self._fields if f.name == "lr"), self._fields[0])
        if "_cell" not in self.__dict__:
            # the chunk position; whether every composing slot holds its closed form
            self._cell = [0, False]
        n = len(self._slots)
        self._versions, self._pure, self._last = [None] * n, [False] * n, [0.0] * n
        self._sync = self._pull = None

    def _fill(self, base):
        """Tables of steps ``base ..`` (one per distinct schedule) and a writer that serves them.

        Slot ``i`` stores ``table[j][pos] * scale``, where the scale is the
        group's initial value (``relative=True``) times its plateau
        multiplier, or stores ``table[j][pos]`` itself when there is neither.
        """
        n = min(_CHUNK, MAX_STEP + 1 - base)
        index, tables, sources, calls = {}, [], [], []
        for f, k, *_ in self._slots:
            s = f.schedules[k]
            scale = self._scale(f, k)
            if s is None:  # no closed form: every value is composed from the one before
                sources.append((None, scale))
                continue
            key = s if isinstance(s, Schedule) else id(s)  # a function need not be hashable
            if key not in index:
                index[key] = len(tables)
                calls.append(not isinstance(s, Schedule))
                tables.append(s if calls[-1] else memoryview(s.table(n, start=base)))
            sources.append((index[key], scale))
        self._retire_cell()
        if self._plain:
            self.__dict__.pop("step", None)  # the class's step, which calls _write
            self._writer, self._calls, self._sync, self._pull = None, calls, None, None
            self._tables, self._sources = tables, sources
            self._base, self._end = base, n
            return
        shape = tuple((j, scale is not None) for j, scale in sources)
        if shape not in self._writers:
            composing = [f is self._target for f, *_ in self._slots] if self._compose is not None else None
            self._writers[shape] = _unrolled_writer(
                self._groups, [(k, g, key, w) for f, k, g, key, w in self._slots], shape, len(tables), composing
            )
        scales = [scale for j, scale in sources if scale is not None]
        # the generated functions hold the scheduler weakly: no reference cycle keeps it (or the optimizer) alive
        self._writer, self.step, self._sync, self._pull = self._writers[shape](
            self.optimizer, weakref.ref(self), self._cell, self._last, n, *tables, *scales
        )
        self._tables, self._sources, self._calls = tables, sources, calls
        self._base, self._end = base, n

    def _retire_cell(self):
        """A cell of its own for the chunk being made.  The old chunk's cell is left at its last position: a
        ``step()`` kept from that chunk (``step = sched.step``) then finds the chunk ended and takes the general
        path, which serves the current chunk (no check of which chunk is live in the hot path)."""
        old = self._cell
        self._cell = [old[0], old[1]]
        if "_end" in self.__dict__:
            old[0] = self._end - 1

    @property
    def _pos(self):
        """The current position in the chunk (kept in a cell that the generated ``step`` shares)."""
        return self._cell[0]

    @_pos.setter
    def _pos(self, value):
        self._cell[0] = value

    def _write(self, pos, closed_form=False):
        """Write position ``pos`` of the chunk (``closed_form``: the schedules' values, never composed)."""
        if self._writer is None or self._compose is not None:
            self._write_plain(pos, closed_form)
        else:
            self._writer(pos)

    def _write_plain(self, pos, closed_form=False):
        """Write position ``pos`` of the chunk slot by slot (``closed_form``: never compose, as ``seek``)."""
        step = self._base + pos
        tables, calls, compose, target = self._tables, self._calls, self._compose, self._target
        versions, pure, last = self._versions, self._pure, self._last
        for i, ((f, k, g, *_), (j, scale)) in enumerate(zip(self._slots, self._sources)):
            key, index = f.key, f.index
            if j is None:
                closed = None
            else:
                closed = float(tables[j](step)) if calls[j] else tables[j][pos]
                if scale is not None:
                    closed *= scale
            v = closed
            if compose is not None and f is target and not (closed_form and closed is not None):
                if not (pure[i] and _unchanged(g, key, index, last[i], versions[i])):
                    v = float(compose(read_value(g, key, index), step, k))
                    pure[i] = closed is not None and _close(v, closed)
                    if pure[i]:
                        v = closed
            else:
                pure[i] = True
            write_value(g, key, index, v)
            versions[i], last[i] = _version(g, key, index), v
        self._cell[1] = all(pure)
        if self._pull is not None:
            self._pull()

    def _move(self, step):
        """Make ``step`` the current step without writing (the groups keep their values; a composing
        scheduler composes with them at the next step)."""
        self._fill(max(step, 0))
        self._pos = step - self._base  # -1: before step 0 (torch's last_epoch = -1)
        self._pure = [False] * len(self._slots)
        self._cell[1] = False


class _PresetScheduler(Scheduler):
    """The adapter the drop-ins run on (their arguments are checked: nothing is checked here).

    ``fields`` maps each field to one source per group: a Schedule, a
    Python function of the step, or ``None`` (no closed form: each value is
    composed from the one before).  ``scales`` (the base lrs) multiply the
    ``lr`` field's sources.  ``compose(value, step, group)`` is the peer's
    recursive update of the lr field, given the value the group holds and
    the step being entered: it runs at construction (the peer's first update
    of the lr the group holds) and whenever the group does not hold the
    closed-form value this scheduler wrote, so that schedulers stepped on
    one optimizer chain as the peer's do.  ``step`` is the step the groups
    hold after construction; ``write=False`` leaves them as they are (a
    loaded state).
    """

    def __init__(self, optimizer, fields, *, scales=None, step=0, compose=None, write=True):
        self.optimizer = optimizer
        self._fields = []
        for name, sources in fields.items():
            key, index = _parse_field("Scheduler", name)
            scaled = name == "lr" and scales is not None
            self._fields.append(_Field(name, key, index, list(sources), scaled, list(scales) if scaled else None))
        self._plateau_field = self._plateau = None
        self._compose = compose
        self._compile_writers()
        if not write:
            self._move(step)
        elif compose is None:
            self.seek(step)
        else:
            self.enter(step)

    def __eq__(self, other):
        """The same optimizer, sources, scales, step and values (how torch's tests compare two schedulers)."""
        if type(other) is not type(self):
            return NotImplemented
        return (
            self.optimizer is other.optimizer
            and self.last_step == other.last_step
            and [(f.name, f.schedules, f.initial) for f in self._fields]
            == [(f.name, f.schedules, f.initial) for f in other._fields]
            and [self._values(f) for f in self._fields] == [other._values(f) for f in other._fields]
        )

    __hash__ = None

    def _last_values(self, name, values):
        """Take ``values`` as the ones last written to field ``name`` (a loaded state's ``_last_lr``)."""
        it = iter(values)
        for i, (f, *_) in enumerate(self._slots):
            if f.name == name:
                self._last[i] = next(it)
        if self._pull is not None:
            self._pull()

    def enter(self, step):
        """Make ``step`` current and write it as ``step()`` does: composing with what the groups hold."""
        self._move(step)
        self._write(0)


def _unrolled_writer(groups, slots, shape, n_tables, composing=None):
    """``make(optimizer, ref, cell, last, end, c0 .., s0 ..)``: ``(write, step, sync, pull)`` for one chunk.

    ``write(pos)`` stores each slot's value at chunk position ``pos``.
    ``slots`` lists ``(k, group, key, None)`` for a plain ``group[key] = value``
    and ``(k, group, None, writer)`` for ``writer(value)`` (``k``: the group's
    place in the list); ``shape`` gives, per
    slot, the table it reads and whether it is scaled.  The stores are
    straight-line code, one statement per slot, and each table is read once
    (indexing a ``memoryview`` makes the float): the same step written as
    plain closures with one loop over the slots took 1.37x as long at 1
    group and 1.26x at 8 (StepSuite's setup, side by side in one process).

    ``step(advance=True)`` is ``Scheduler.step`` with the stores inlined, for
    the common case: one step (``advance is True``), the optimizer still has
    the same ``groups`` list and the next position is inside the chunk
    (``end`` positions; the cell of a chunk replaced since is left at its
    end, see ``Scheduler._retire_cell``).  Otherwise it calls ``Scheduler.step``
    (through the weak ``ref``), which rebinds or refills and installs a new
    one.  With ``composing`` (one flag per slot), ``step`` also needs every
    composing slot to hold the float it stored (kept in cells of these
    functions, not a list): ``sync()`` copies them to ``last`` before the
    general path runs and ``pull()`` takes them back after it wrote.  The
    source holds only generated names; groups, keys and writers are bound as
    globals of the functions.
    """
    names = {"groups": groups, "n_groups": len(groups), "general": Scheduler.step}
    reads = [f"    v{j} = c{j}[pos]" for j in range(n_tables)]
    stores, steps, scales, checks, kept, bound = list(reads), list(reads), [], [], [], set()
    for i, ((k, group, key, writer), (j, scaled)) in enumerate(zip(slots, shape)):
        value = f"v{j}"
        if scaled:
            value = f"v{j} * s{i}"
            scales.append(f"s{i}")
        if writer is None:  # the key is an identifier (checked by _parse_field): a literal is safe and fast
            # step() stores into the dict the list holds now (one replaced in it, param_groups[k] = dict(...),
            # is written too); write() into the one bound, after the general path has checked the groups
            names[f"g{i}"] = group
            stores.append(f"    g{i}[{key!r}] = {value}")
            if composing and composing[i]:  # still the float object this scheduler stored: nobody wrote since
                checks.append(f"now[{k}][{key!r}] is not l{i}")
                steps.append(f"    l{i} = now[{k}][{key!r}] = {value}")
                kept.append(i)
            else:
                steps.append(f"    now[{k}][{key!r}] = {value}")
        else:  # a writer is bound to its tensor or tuple's group: step() checks that the list still holds it
            names[f"w{i}"], names[f"G{k}"] = writer, group
            bound.add(k)
            stores.append(f"    w{i}({value})")
            steps.append(stores[-1])
    same_groups = "".join(f" or now[{k}] is not G{k}" for k in sorted(bound))
    params = ", ".join(["optimizer", "ref", "cell", "last", "end"] + [f"c{j}" for j in range(n_tables)] + scales)
    body = "\n".join("    " + line for line in stores)
    step_body = "\n".join("    " + line for line in steps)
    # a composing scheduler keeps what it last stored in cells of these functions (l0, l1, ..): sync() copies
    # them to ``last`` before the general path runs, pull() takes them back after it wrote
    back = "sync() or " if composing else ""
    cells = ", ".join(f"l{i}" for i in kept)
    guard = ""
    if composing:  # only while every slot holds the closed form it wrote
        guard = (f"\n        if not cell[1] or {' or '.join(checks) or 'False'}:"
                 f"\n            return {back}general(ref(), advance)")
    source = f"""def make({params}):
{"".join(f"    l{i} = last[{i}]" + chr(10) for i in kept)}
    def write(pos):
{body}

    def step(advance=True):
{f"        nonlocal {cells}" if kept else ""}
        now = optimizer.param_groups
        if now is not groups or len(now) != n_groups{same_groups}:
            return {back}general(ref(), advance){guard}
        if advance is not True:  # no move, several steps, or a value to check
            return {back}general(ref(), advance)
        pos = cell[0] + 1
        if pos == end:
            return {back}general(ref(), advance)
        cell[0] = pos
{step_body}

    def sync():
{"".join(f"        last[{i}] = l{i}" + chr(10) for i in kept) or "        pass" + chr(10)}
    def pull():
{f"        nonlocal {cells}" + chr(10) if kept else ""}{"".join(f"        l{i} = last[{i}]" + chr(10) for i in kept) or "        pass" + chr(10)}
    step.__doc__, step.__qualname__ = general.__doc__, general.__qualname__
    return write, step, (sync if {bool(composing)} else None), (pull if {bool(composing)} else None)
"""
    exec(compile(source, "<lrsched.Scheduler writer>", "exec"), names)
    return names["make"]


def _writer(group, key, index):
    """A function that stores one value into group[key] (or item ``index`` of it): the generated writer's."""
    if index is None:
        return group[key].fill_
    return lambda v: write_value(group, key, index, v)


def read_value(group, key, index=None):
    """The number at ``group[key]`` (item ``index`` of it, for a tuple such as ``betas``) as a float."""
    v = group[key]
    if index is not None:
        v = v[index]
    return float(v)  # a tensor's item; a float as it is


def write_value(group, key, index, v):
    """Store ``v`` at ``group[key]`` (item ``index`` of it): a tensor is filled in place, a tuple is rebuilt."""
    if index is None:
        old = group[key]
        if hasattr(old, "fill_"):
            old.fill_(v)
        else:
            group[key] = v
        return
    items = group[key]
    if hasattr(items[index], "fill_"):
        items[index].fill_(v)
    else:
        group[key] = type(items)((*items[:index], v, *items[index + 1 :]))


def _version(group, key, index):
    """A tensor's identity and version counter (which every in-place write moves), or None for a number."""
    v = group[key]
    if index is not None:
        v = v[index]
    return (id(v), v._version) if hasattr(v, "_version") else None


def _unchanged(group, key, index, last, version):
    """Whether the slot still holds what this scheduler wrote: the same number, or the same tensor unwritten."""
    v = group[key]
    if index is not None:
        v = v[index]
    if hasattr(v, "_version"):
        return version == (id(v), v._version)
    return version is None and v == last


def _group_scale(initial, multiplier):
    """The factor of a slot's table value: its initial value (``relative=True``) times its plateau multiplier,
    or None when there is neither (the value is stored as the table has it)."""
    if multiplier != 1.0:
        return (1.0 if initial is None else initial) * multiplier
    return initial


def _scaled(value, scale):
    """A table value as a slot stores it (one IEEE product, as the writer's)."""
    return value if scale is None else value * scale


def _close(a, b):
    return a == b or abs(a - b) <= 1e-12 * abs(b)


def _format(fn, name, form):
    if not isinstance(form, str) or form != _STATE_FORMAT:  # a str first: `!=` of an array is an array
        V.fail(fn, name, repr(_STATE_FORMAT), form, ValueError if isinstance(form, str) else TypeError)
    return form


def _param_groups(fn, optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if not isinstance(groups, (list, tuple)):
        V.fail(fn, "optimizer", "an object with param_groups (a list of dicts)", type(optimizer).__name__, TypeError)
    if not groups:
        V.fail(fn, "optimizer", "an optimizer with at least one param group", "no param_groups")
    for k, g in enumerate(groups):
        if not isinstance(g, dict):
            V.fail(fn, f"optimizer.param_groups[{k}]", "a dict", g, TypeError)
    return groups


def _per_group(fn, spec, n):
    if isinstance(spec, Schedule):
        return [spec] * n
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"{fn}: `schedule` must have one schedule per param group, got {len(spec)} schedules "
                f"for {n} param groups."
            )
        for k, s in enumerate(spec):
            if not isinstance(s, Schedule):
                V.fail(fn, f"schedule[{k}]", "a lrsched.Schedule", s, TypeError)
        return list(spec)
    V.fail(fn, "schedule", "a lrsched.Schedule, a list of them (one per group) or a dict of fields", spec, TypeError)
