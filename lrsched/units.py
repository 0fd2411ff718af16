"""Lengths in the units a run is planned in, resolved to optimizer updates.

A schedule's lengths are counts of optimizer updates (step ``t`` is the
``t``-th ``optimizer.step()``).  Runs are planned in epochs, samples,
tokens or fractions of the run; ``Run`` holds the run's facts and turns any
of those into an exact count of updates, with a table that says how::

    >>> import lrsched
    >>> run = lrsched.Run(dataset_size=80_000, micro_batch_size=8, grad_accum=4, processes=2,
    ...                   seq_len=2048, total="8ep")
    >>> run.updates("2ep"), run.updates("0.05dur"), run.updates("2e8tok")
    (2500, 500, 1526)
    >>> print(run.explain("warmup", "2ep"))
    warmup 2ep = 2,500 optimizer updates = 10,000 micro-batches per process = 327,680,000 tokens

Units (a number, then the unit; ``1_000`` and ``2e9`` are numbers):

========= ====================================================================
``ba``    optimizer updates (batches, as Composer counts them)
``mb``    micro-batches per process: ``grad_accum`` of them make one update
``sp``    samples, all processes together: ``micro_batch_size * grad_accum *
          processes`` of them make one update
``tok``   tokens: ``seq_len`` of them make one sample
``ep``    epochs: ``steps_per_epoch`` updates each (given, or from
          ``dataset_size``, below)
``dur``   a fraction of the run's length ``total`` (itself in any other unit)
========= ====================================================================

An ``int`` is a count of updates; ``Run.updates`` also takes a ``float`` in
[0, 1] as a fraction of the run.

Rules, stated once:

- Arithmetic is exact (fractions), and the result is rounded once, to the
  nearest update, halves up.  A length that is not 0 but rounds to 0
  updates is refused: it would silently vanish.
- Updates per epoch, from ``dataset_size``: each process reads
  ``ceil(dataset_size / (micro_batch_size * processes))`` micro-batches per
  epoch (torch's ``DistributedSampler`` pads the last one; with
  ``drop_last=True``, the floor), and an epoch's last, partial accumulation
  still makes an update (as Lightning and the Hugging Face Trainer do), so
  an epoch is ``ceil(micro_batches / grad_accum)`` updates.
- Facts that disagree (``steps_per_epoch`` and ``dataset_size`` giving
  different epochs) are refused, naming both.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from . import _validate as V

UNITS = ("ba", "mb", "sp", "tok", "ep", "dur")
_LENGTH = re.compile(r"\s*([0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([a-z]+)\s*")
_NEEDS = {  # the facts each unit needs
    "ba": (),
    "mb": (),
    "sp": ("micro_batch_size",),
    "tok": ("micro_batch_size", "seq_len"),
    "ep": ("steps_per_epoch",),
    "dur": ("total",),
}


def parse_length(value):
    """``(number, unit)`` of a unit string (``"2ep"`` -> ``(Fraction(2), "ep")``); None if ``value`` is none."""
    if not isinstance(value, str):
        return None
    m = _LENGTH.fullmatch(value)
    if not m or m.group(2) not in UNITS:
        return None
    text = m.group(1).replace("_", "")
    try:
        number = Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
    return number, m.group(2)


def is_length(value):
    """Whether ``value`` is a unit string such as ``"2ep"`` or ``"0.05dur"``."""
    return parse_length(value) is not None


@V.explain_arguments
class Run:
    """The facts of a training run that turn lengths in its units into optimizer updates.

    Parameters
    ----------
    steps_per_epoch : int, optional
        Optimizer updates per epoch.  Or give ``dataset_size`` (and
        ``micro_batch_size``), from which it follows (see the module's rules);
        given both, they must agree.
    dataset_size : int, optional
        Samples in one epoch of the whole dataset.
    micro_batch_size : int, optional
        Samples per forward pass, per process.
    grad_accum : int, default 1
        Micro-batches per optimizer update (gradient accumulation).
    processes : int, default 1
        Data-parallel processes (the world size).
    seq_len : int, optional
        Tokens per sample.
    total : str or int, optional
        The run's length, in any unit but ``dur`` (an int: updates); needed by
        ``dur`` and by fractions.
    drop_last : bool, default False
        Whether each process drops an epoch's last, partial micro-batch.
    """

    def __init__(self, *, steps_per_epoch=None, dataset_size=None, micro_batch_size=None, grad_accum=1,
                 processes=1, seq_len=None, total=None, drop_last=False):  # fmt: skip
        fn = "Run"
        given_facts = dict(steps_per_epoch=steps_per_epoch, dataset_size=dataset_size,
                           micro_batch_size=micro_batch_size, grad_accum=grad_accum, processes=processes,
                           seq_len=seq_len, total=total, drop_last=drop_last)  # fmt: skip
        opt = lambda name, v: None if v is None else V.integer(fn, name, v, minimum=1)  # noqa: E731
        self.micro_batch_size, self.seq_len = opt("micro_batch_size", micro_batch_size), opt("seq_len", seq_len)
        self.grad_accum = V.integer(fn, "grad_accum", grad_accum, minimum=1)
        self.processes = V.integer(fn, "processes", processes, minimum=1)
        self.drop_last = V.boolean(fn, "drop_last", drop_last)
        self.dataset_size = opt("dataset_size", dataset_size)
        given = opt("steps_per_epoch", steps_per_epoch)
        derived = None
        if self.dataset_size is not None:
            if self.micro_batch_size is None:
                V.fail(fn, "micro_batch_size", "given with dataset_size (an epoch's micro-batches follow from both)",
                       None, TypeError)  # fmt: skip
            per = self.micro_batch_size * self.processes
            batches = self.dataset_size // per if self.drop_last else -(-self.dataset_size // per)
            if batches == 0:
                V.fail(fn, "dataset_size", f">= micro_batch_size * processes = {per} with drop_last=True "
                       "(an epoch would have no micro-batch)", self.dataset_size)  # fmt: skip
            derived = -(-batches // self.grad_accum)
        if given is not None and derived is not None and given != derived:
            raise ValueError(
                f"{fn}: `steps_per_epoch` and `dataset_size` disagree: steps_per_epoch={given}, but "
                f"dataset_size={self.dataset_size} with micro_batch_size={self.micro_batch_size}, "
                f"processes={self.processes}, grad_accum={self.grad_accum} gives {derived} updates per epoch."
            )
        self.steps_per_epoch = given if given is not None else derived
        self.total = None
        self._total_given = total
        if total is not None:
            if is_length(total) and parse_length(total)[1] == "dur":
                V.fail(fn, "total", "a length in a unit other than dur (the run's own length)", total)
            self.total = self.updates(total, name="total")
            if self.total == 0:
                V.fail(fn, "total", "a length of at least one update", total)
        defaults = {"grad_accum": 1, "processes": 1, "drop_last": False}
        self._facts = {k: V.plain(v) for k, v in given_facts.items() if v is not None and
                       not (k in defaults and v == defaults[k] and type(v) is type(defaults[k]))}  # fmt: skip

    @V.explain_arguments
    def facts(self):
        """The facts this Run was given, as plain data: ``Run(**run.facts())`` is an equal Run.
        A spec's ``"run"`` key holds them (``Schedule.to_dict`` of ``run.get(...)``)."""
        return dict(self._facts)

    def __eq__(self, other):
        if not isinstance(other, Run):
            return NotImplemented
        return self._facts == other._facts

    def __hash__(self):
        return hash(tuple(sorted(self._facts.items())))

    def __repr__(self):
        return "Run(" + ", ".join(f"{k}={v!r}" for k, v in self._facts.items()) + ")"

    # -- resolving ------------------------------------------------------------------------

    def _exact(self, fn, name, value):
        """The length as an exact Fraction of updates, and its unit (None for a plain count)."""
        if isinstance(value, bool):
            V.fail(fn, name, "a count of updates (int), a fraction of the run (float) or a unit string", value,
                   TypeError)  # fmt: skip
        if V._is_int(value):
            return Fraction(V.integer(fn, name, value)), None
        if isinstance(value, float):
            v = V.real(fn, name, value, minimum=0.0, maximum=1.0, note=" (a float is a fraction of the run)")
            return self._of_total(fn, name, Fraction(v)), "dur"
        parsed = parse_length(value)
        if parsed is None:
            V.fail(fn, name, f"a count of updates, a fraction of the run, or a number and a unit among {UNITS} "
                   "(such as '2ep', '0.05dur', '2e9tok')", value, TypeError if not isinstance(value, str) else
                   ValueError)  # fmt: skip
        number, unit = parsed
        for fact in _NEEDS[unit]:
            if getattr(self, fact) is None:
                V.fail(fn, name, f"a length whose unit this Run can convert ({unit!r} needs Run({fact}=...))", value)
        if unit == "ba":
            return number, unit
        if unit == "mb":
            return number / self.grad_accum, unit
        if unit == "ep":
            return number * self.steps_per_epoch, unit
        if unit == "dur":
            return self._of_total(fn, name, number), unit
        samples = number / self.seq_len if unit == "tok" else number
        return samples / (self.micro_batch_size * self.grad_accum * self.processes), unit

    def _of_total(self, fn, name, fraction):
        if self.total is None:
            V.fail(fn, name, "a length this Run can convert (a fraction of the run needs Run(total=...))",
                   str(fraction))  # fmt: skip
        return fraction * self.total

    @V.explain_arguments
    def updates(self, value, *, name="length"):
        """``value`` (a unit string, an int count of updates, or a float fraction of the run) in optimizer
        updates, rounded once to the nearest, halves up.

        Raises ``ValueError`` naming ``name`` if a fact the unit needs is
        missing, or if a length that is not 0 rounds to 0 updates.
        """
        fn = "Run.updates"
        exact, unit = self._exact(fn, name, value)
        out = math.floor(exact + Fraction(1, 2))
        if out == 0 and exact != 0:
            V.fail(fn, name, f"at least half an update long (it is {float(exact):.3g} updates, which would round "
                   "to 0)", value)  # fmt: skip
        if out > V.MAX_STEP:
            V.fail(fn, name, f"at most 2**62 updates (it is {out:,})", value)
        return out

    @V.explain_arguments
    def resolve(self, **lengths):
        """``{name: updates}`` for keyword lengths; a list of lengths (milestones) resolves item by item.
        Values that are no length (``peak_value=3e-4``, ``warmup_shape="linear"``) are returned as they are."""
        out = {}
        for name, v in lengths.items():
            if isinstance(v, (list, tuple)) and any(is_length(x) for x in v):
                out[name] = [self.updates(x, name=f"{name}[{k}]") if is_length(x) else x for k, x in enumerate(v)]
            elif is_length(v):
                out[name] = self.updates(v, name=name)
            else:
                out[name] = v
        return out

    @V.explain_arguments
    def resolve_spec(self, spec, where="spec", depth=0):
        """A spec (``to_dict()`` output, or a ``{"name": ...}`` dict; nested schedules too) with every unit
        string in it resolved to updates; a dict used in several places (a YAML alias) is resolved once."""
        return self._resolve_spec(spec, where, depth, {})

    def _resolve_spec(self, v, where, depth, done):
        if id(v) in done:
            return done[id(v)]
        if depth > 200:  # a spec that contains itself; from_dict names it
            return v
        if isinstance(v, dict) and depth and "run" in v:
            return v  # a nested spec with its own facts is resolved by them, where it is built
        if isinstance(v, dict):
            out = {k: k_v if k in ("type", "name", "run") else
                   self._resolve_spec(k_v, f"{where}[{k!r}]", depth + 1, done) for k, k_v in v.items()}  # fmt: skip
        elif isinstance(v, list):
            out = [self._resolve_spec(x, f"{where}[{i}]", depth + 1, done) for i, x in enumerate(v)]
        else:
            return self.updates(v, name=where) if is_length(v) else v
        done[id(v)] = out
        return out

    @V.explain_arguments
    def get(self, name, **kwargs):
        """``lrsched.get(name, **kwargs)`` with every unit-string argument resolved to updates.

        The schedule keeps what was asked for: its ``to_dict()`` holds the
        unit strings and this Run's facts (under ``"run"``), so a saved spec
        says ``warmup_steps="2ep"``, and ``from_dict`` resolves it again to
        an equal schedule.
        """
        from ._schedule import in_units
        from .registry import get

        return in_units(get(name, **self.resolve(**kwargs)), self, kwargs)

    @V.explain_arguments
    def call(self, fn, /, *args, **kwargs):
        """``fn(*args, **kwargs)`` with every unit-string argument (and list item) resolved to updates.

        For any callable that takes counts of optimizer updates: a preset
        (``run.call(lrsched.torch.CosineAnnealingLR, optimizer, T_max="8ep")``,
        ``run.call(get_cosine_schedule_with_warmup, optimizer, "0.05dur", "1.0dur")``),
        a factory, or your own.  A unit string resolves to optimizer updates,
        so the scheduler must be stepped once per optimizer update.
        """
        if not callable(fn):
            V.fail("Run.call", "fn", "a callable", fn, TypeError)
        positional = self.resolve(**{f"args[{k}]": v for k, v in enumerate(args)})
        return fn(*positional.values(), **self.resolve(**kwargs))

    # -- saying how -------------------------------------------------------------------------

    @V.explain_arguments
    def explain(self, name, value):
        """One line: ``name``'s length in its own unit, in optimizer updates, and in micro-batches per process
        (and tokens, when the run has ``seq_len`` and ``micro_batch_size``)."""
        n = self.updates(value, name=name)
        shown = f"{value} of the run" if isinstance(value, float) else value
        parts = [f"{name} {shown}", f"{n:,} optimizer updates", f"{n * self.grad_accum:,} micro-batches per process"]
        if self.micro_batch_size is not None and self.seq_len is not None:
            tokens = n * self.micro_batch_size * self.grad_accum * self.processes * self.seq_len
            parts.append(f"{tokens:,} tokens")
        return " = ".join(parts)

    @V.explain_arguments
    def table(self, **lengths):
        """``explain`` for each keyword length, one line each (what a run's plan resolves to)."""
        return "\n".join(self.explain(k, v) for k, v in lengths.items())
