"""The ``lrsched`` command (also ``python -m lrsched``).

::

    lrsched table    SPEC --steps N -o FILE.npy|.csv|.parquet [--dtype float32] [--start S] [-q]
    lrsched plot     SPEC [SPEC ...] --steps N -o FILE.png|.svg|.pdf [--log] [--title T]
    lrsched describe SPEC --steps N
    lrsched compare  SPEC SPEC --steps N [--rtol R]
    lrsched preview  SPEC --steps-per-epoch E --total 8ep [RUN FACTS]
    lrsched bench    [--steps N] [--quick]
    lrsched names
    lrsched precompile

A SPEC is one of, always the same way in every command:

- a name and the factory's arguments as ``key=value`` words:
  ``warmup_cosine peak_value=3e-4 warmup_steps=2000 total_steps=100000``
  (any name of ``lrsched.names()``; lists and nested schedules as JSON:
  ``milestones=[100,200]``);
- a preset, ``torch:CLASS`` or ``transformers:NAME`` with the peer's own
  arguments and ``base_lr=`` (default 1.0, so values are multipliers):
  ``torch:CosineAnnealingLR T_max=1000 base_lr=0.1``,
  ``transformers:cosine num_warmup_steps=100 num_training_steps=1000 base_lr=3e-4``
  (needs torch);
- a spec file, ``run.json`` or ``run.yaml`` (``lrsched.load``).

A word without ``=`` starts the next SPEC, so several fit on one line.

Lengths in units: with a run's facts (``--steps-per-epoch``, or
``--dataset-size`` and ``--micro-batch-size``; ``--grad-accum``,
``--processes``, ``--seq-len``, ``--total``, ``--drop-last``), any length,
in a SPEC or ``--steps``, may be a unit string: ``warmup_steps=2ep``,
``total_steps=1dur``, ``--steps 2e9tok`` (``lrsched.Run``'s units: ba, mb,
sp, tok, ep, dur); ``ba`` and ``mb`` need no facts.  ``--steps`` defaults
to ``--total``.  ``preview`` prints how each length resolves and the value
at the first update, the end of the warmup, each phase boundary and the
last update.
Options of the command itself start with ``-`` and never clash with a
schedule's argument names.

Exit status: 0 done, 2 a usage error (argparse's), 1 any other error, with
a one-line message on stderr and no traceback (unknown name, bad argument,
unwritable file, missing optional package).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from ._schedule import _REGISTRY, Schedule, from_dict
from .tables import CHUNK, save

SPEC_FILES = (".json", ".yaml", ".yml")


class UserError(Exception):
    """A mistake on the command line: reported in one line, exit status 1."""


class UsageError(UserError):
    """A command line argparse cannot catch (a flag needed unless another is given): exit status 2."""


def _value(text):
    from .registry import _DuplicateKey, _unique_keys

    for convert in (int, float, lambda text: json.loads(text, object_pairs_hook=_unique_keys)):
        try:
            return convert(text)
        except _DuplicateKey:  # JSON keeps the last one silently
            raise
        except (ValueError, RecursionError):  # RecursionError: JSON nested too deep to read, kept as text
            pass
    return text


def split_specs(words):
    """Group words into SPECs: a word without ``=`` starts a new one."""
    specs = []
    for word in words:
        if "=" in word and specs:
            specs[-1].append(word)
        elif "=" in word:
            raise UserError(f"expected a schedule name, preset or spec file before {word!r}")
        else:
            specs.append([word])
    return specs


def _kwargs(words):
    out = {}
    for word in words:
        key, _, text = word.partition("=")
        if not key:
            raise UserError(f"expected key=value, got {word!r}")
        try:
            out[key.replace("-", "_")] = _value(text)
        except ValueError as e:  # a JSON object with a key twice
            raise UserError(f"{word}: {e}") from None
    return out


def _optimizer(base_lr):
    try:
        import torch
    except ImportError:
        raise UserError('presets need torch, which is not installed: pip install "lrsched[torch]"') from None
    param = torch.nn.Parameter(torch.zeros(1))
    return torch.optim.SGD([param], lr=base_lr, momentum=0.9)


def _preset(kind, name, kwargs):
    base_lr = kwargs.pop("base_lr", 1.0)
    optimizer = _optimizer(base_lr)
    if kind == "torch":
        from . import torch as presets

        cls = getattr(presets, name, None)
        if name not in _TORCH_NAMES:
            raise UserError(
                f"unknown or unsupported torch scheduler {name!r}; the command line takes "
                f"{', '.join(_TORCH_NAMES)} (LambdaLR and MultiplicativeLR need Python functions, "
                "ReduceLROnPlateau a metric, SequentialLR and ChainedScheduler other schedulers)"
            )
        sched = cls(optimizer, **kwargs)
    else:
        from . import transformers as presets

        sched = presets.get_scheduler(
            name, optimizer, num_warmup_steps=kwargs.pop("num_warmup_steps", None),
            num_training_steps=kwargs.pop("num_training_steps", None), scheduler_specific_kwargs=kwargs or None,
        )  # fmt: skip
    schedules = getattr(sched, "schedules", None)
    if not schedules or not isinstance(schedules.get("lr", [None])[0], Schedule):
        raise UserError(f"{kind}:{name} does not follow a fixed schedule (it needs a metric or a Python function)")
    return schedules["lr"][0]


_TORCH_NAMES = ("StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
                "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR", "OneCycleLR")  # fmt: skip


def schedule_from_words(words, run=None):
    """The Schedule one SPEC's words stand for (see the module docstring); unit strings resolved by ``run``
    (an ``lrsched.Run``; without one, only units that need no facts: ``ba``, ``mb``)."""
    from .registry import load
    from .units import Run

    run = Run() if run is None else run
    name, kwargs = words[0], _kwargs(words[1:])
    if name.lower().endswith(SPEC_FILES):
        if kwargs:
            raise UserError(f"arguments {' '.join(words[1:])} make no sense after the spec file {name}")
        return load(name, run=run) if run.facts() else load(name)
    kind, colon, preset = name.partition(":")
    if colon:
        if kind not in ("torch", "transformers"):
            raise UserError(f"unknown preset kind {kind!r} in {name!r}; use torch:CLASS or transformers:NAME")
        return _preset(kind, preset, run.resolve(**kwargs))
    if name in _REGISTRY:  # a factory's own name: nested schedules as JSON dicts work too
        return from_dict({"type": name, **kwargs, "run": run.facts()})
    return run.get(name, **kwargs)


def _specs(words, count=None, run=None):
    groups = split_specs(words)
    if count is not None and len(groups) != count:
        raise UserError(f"expected {count} schedule{'s' * (count > 1)}, got {len(groups)}: "
                        + " | ".join(" ".join(g) for g in groups))  # fmt: skip
    return [(" ".join(g), schedule_from_words(g, run)) for g in groups]


_FACTS = ("steps_per_epoch", "dataset_size", "micro_batch_size", "grad_accum", "processes", "seq_len", "total")


def _run(args):
    """The ``lrsched.Run`` of the command's run-fact flags."""
    from .units import Run

    facts = {k: getattr(args, k) for k in _FACTS if getattr(args, k, None) is not None}
    if getattr(args, "drop_last", False):
        facts["drop_last"] = True
    for k, v in facts.items():
        if k != "total" and k != "drop_last":
            facts[k] = _whole(f"--{k.replace('_', '-')}", v)
    if "total" in facts:
        facts["total"] = _length_word(facts["total"])
    return Run(**facts)


def _whole(flag, text):
    """A whole number from a flag's text: ``1000``, ``1_000``, ``1e6`` (a float that is whole)."""
    if isinstance(text, int):
        return text
    try:
        return int(text.replace("_", ""))
    except ValueError:
        pass
    try:
        v = float(text.replace("_", ""))
    except ValueError:
        raise UserError(f"{flag} must be a whole number, got {text!r}") from None
    if not v.is_integer():
        raise UserError(f"{flag} must be a whole number, got {text!r}")
    return int(v)


def _length_word(text):
    """A length flag's value: a whole number of updates, or a unit string kept for the Run."""
    from .units import is_length

    return text if is_length(text) else _whole("--total", text)


def _steps(args, run=None):
    """``--steps`` in updates (a whole number or a unit string), or ``--total`` when it is not given."""
    run = _run(args) if run is None else run
    text = args.steps
    if text is None:
        if run.total is None:
            raise UsageError("--steps is required (or give the run's length with --total)")
        return run.total
    from .units import is_length

    n = run.updates(text, name="--steps") if is_length(text) else _whole("--steps", text)
    if n < 1:
        raise UserError(f"--steps must be a positive integer, got {text}")
    return n


def _steps_word(text):
    """argparse's check of ``--steps``: a whole number (``1000``, ``1e6``) or a unit string (``8ep``)."""
    from .units import is_length

    if is_length(text):
        return text
    try:
        _whole("--steps", text)
    except UserError:
        raise argparse.ArgumentTypeError(f"invalid steps value: {text!r} (a whole number such as 1000 or 1e6, "
                                         "or a length such as 8ep, 2e9tok)") from None  # fmt: skip
    return text


def _fits(path, n, itemsize):
    """Refuse a table the output's disk cannot hold (it would run for hours, then fail)."""
    if path.suffix.lower() == ".parquet":
        return  # compressed: its size is unknown before writing
    try:
        free = shutil.disk_usage(path.parent if str(path.parent) else ".").free
    except (OSError, ValueError):
        return  # the writer reports an unusable path
    if n * itemsize > free:
        raise UserError(f"--steps {n:,} needs at least {n * itemsize:,} bytes, {path.parent} has {free:,} free")


class _Progress:
    """A one-line progress bar on a terminal (stderr); nothing otherwise."""

    def __init__(self, enabled):
        self.enabled = enabled and sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done, n):
        percent = done * 100 // n
        if self.enabled and percent != self.shown:
            self.shown = percent
            bar = "#" * (percent // 4)
            sys.stderr.write(f"\r  [{bar:<25}] {percent:3d}%  {done:,} / {n:,} steps")
            if done == n:
                sys.stderr.write("\n")
            sys.stderr.flush()


def _table(args):
    run = _run(args)
    ((_, s),) = _specs(args.spec, 1, run)
    n = _steps(args, run)
    path = Path(args.output)
    _fits(path, n, np.dtype(args.dtype).itemsize)
    began = time.perf_counter()
    summary = save(s, path, n, start=args.start, dtype=np.dtype(args.dtype),
                   progress=_Progress(not args.quiet) if n > 10 * CHUNK else None)  # fmt: skip
    if args.quiet:
        return
    size = n * np.dtype(args.dtype).itemsize / 1e6
    print(repr(s))
    print(f"wrote {n:,} steps ({args.dtype}, {size:.1f} MB of values) to {path} in {time.perf_counter() - began:.3f} s")
    print(f"  start   {summary.first:.6g}")
    print(f"  peak    {summary.peak:.6g} at step {summary.peak_at:,}")
    print(f"  end     {summary.last:.6g} at step {summary.start + n - 1:,}")
    print(f"  mean    {summary.mean:.6g}")


def _describe(args):
    from .report import describe

    run = _run(args)
    ((label, s),) = _specs(args.spec, 1, run)
    print(repr(s))
    print(describe(s, _steps(args, run)))


def _compare(args):
    from .report import compare

    run = _run(args)
    (la, a), (lb, b) = _specs(args.spec, 2, run)
    c = compare(a, b, _steps(args, run), rtol=args.rtol)
    print(f"A: {la}\nB: {lb}")
    print(c)
    if not c.identical:
        print(f"at step {c.first_difference:,}: A = {a.at(c.first_difference)!r}, B = {b.at(c.first_difference)!r}")


def _plot(args):
    from .plotting import plot

    run = _run(args)
    specs = _specs(args.spec, run=run)
    out = Path(args.output)
    n = _steps(args, run)
    plot([s for _, s in specs], n, out, labels=[label for label, _ in specs], log=args.log,
         title=args.title)  # fmt: skip
    if not args.quiet:
        print(f"wrote {out} ({len(specs)} schedule{'s' * (len(specs) > 1)}, {n:,} steps)")


def _lengths(spec, where=""):
    """``(path, unit string)`` of every length in units in a spec (nested schedules too)."""
    from .units import is_length

    if isinstance(spec, dict):
        for k, v in spec.items():
            if k != "run":
                yield from _lengths(v, f"{where}.{k}" if where else k)
    elif isinstance(spec, list):
        for i, v in enumerate(spec):
            yield from _lengths(v, f"{where}[{i}]")
    elif is_length(spec):
        yield where, spec


def _preview(args):
    from .report import describe

    run = _run(args)
    ((label, s),) = _specs(args.spec, 1, run)
    n = _steps(args, run)
    print(repr(s))
    print(f"run      {run!r}")
    lines = [run.explain(path, v) for path, v in _lengths(s.to_dict())]
    if args.steps is not None and not str(args.steps).strip().isdigit():
        lines.append(run.explain("--steps", args.steps))
    for line in lines:
        print(f"  {line}")
    d = describe(s, n)
    marks = {0: "first update"}
    if d.warmup_end is not None:
        marks.setdefault(d.warmup_end, "end of warmup")
    for r in d.restarts[: args.max_rows]:
        marks.setdefault(r, "restart")
    for p in d.phases[1:]:
        marks.setdefault(p.start, f"{p.trend} from here")
    marks[n - 1] = "last update"
    rows = sorted(marks.items())
    if len(rows) > args.max_rows:
        rows = rows[: args.max_rows - 1] + rows[-1:]
    per_update = None  # tokens per update
    if run.seq_len and run.micro_batch_size:
        per_update = run.micro_batch_size * run.grad_accum * run.processes * run.seq_len
    header = ["update", *(["epoch"] if run.steps_per_epoch else []), *(["tokens"] if per_update else []), "value", ""]
    table = [header]
    for step, what in rows:
        row = [f"{step:,}"]
        if run.steps_per_epoch:
            row.append(f"{step / run.steps_per_epoch:.3f}")
        if per_update:
            row.append(f"{step * per_update:.4g}")
        row += [f"{s.at(step):.6g}", what]
        table.append(row)
    widths = [max(len(r[k]) for r in table) for k in range(len(header))]
    print(f"the lr the trainer uses at each update (step k = the k-th optimizer.step(), from 0; {n:,} updates):")
    for r in table:
        print("  " + "  ".join(c.rjust(w) if k < len(header) - 1 else c for k, (c, w) in
                               enumerate(zip(r, widths))).rstrip())  # fmt: skip
    for w in d.warnings:
        print(f"warning: {w}")


def _names(args):
    from .registry import names

    print("\n".join(names()))


def _bench(args):
    from .bench import run

    print(run(steps=_steps(args), quick=args.quick))


def _precompile(args):
    from . import precompile

    began = last = time.perf_counter()

    def progress(name, done, total):
        nonlocal last
        now = time.perf_counter()
        if not args.quiet:
            print(f"[{done:>2}/{total}] {name:<20} {now - last:6.2f} s", flush=True)
        last = now

    names = precompile(progress)
    if not args.quiet:
        print(f"compiled or loaded {len(names)} kernels in {time.perf_counter() - began:.2f} s")


_SPEC_HELP = "a name and key=value arguments, torch:CLASS / transformers:NAME key=value, or a .json/.yaml spec file"


def _run_flags(p):
    g = p.add_argument_group("run facts", "lengths in units (2ep, 0.05dur, 2e9tok, 5e6sp, 1000ba, 8mb) resolve "
                             "to optimizer updates by these (lrsched.Run)")  # fmt: skip
    g.add_argument("--steps-per-epoch", help="optimizer updates per epoch")
    g.add_argument("--dataset-size", help="samples per epoch, all processes together")
    g.add_argument("--micro-batch-size", help="samples per forward pass, per process")
    g.add_argument("--grad-accum", help="micro-batches per optimizer update (default 1)")
    g.add_argument("--processes", help="data-parallel processes (default 1)")
    g.add_argument("--seq-len", help="tokens per sample")
    g.add_argument("--total", help="the run's length, in updates or a unit (8ep, 2e12tok); what dur counts in")
    g.add_argument("--drop-last", action="store_true", help="each process drops an epoch's last partial batch")


def _parser():
    parser = argparse.ArgumentParser(
        prog="lrsched", description="Learning-rate schedules as whole tables: write, plot, describe, compare, bench.",
        epilog="SPEC: " + _SPEC_HELP + ". A word without '=' starts the next SPEC.",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("table", help="write a schedule's values at steps S..S+N-1 to .npy, .csv or .parquet",
                       description="Write a schedule's values to a file, streamed in chunks. Example: lrsched table "
                       "warmup_cosine peak_value=3e-4 warmup_steps=2000 total_steps=1000000 --steps 1000000 -o lr.npy")  # fmt: skip
    p.add_argument("spec", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    p.add_argument("--steps", type=_steps_word,
                   help="number of steps in the table (a whole number or a unit string; default --total)")
    p.add_argument("--start", type=int, default=0, help="first step (default 0)")
    p.add_argument("-o", "--output", required=True, help="output file: .npy, .csv or .parquet")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing (no progress bar either)")
    _run_flags(p)
    p.set_defaults(run=_table)

    p = sub.add_parser("plot", help="draw one or more schedules, overlaid, to .png, .svg or .pdf (needs matplotlib)",
                       description="Draw schedules overlaid, with dotted lines at warmup ends, restarts and phase "
                       "changes. Example: lrsched plot cosine init_value=1 steps=1000 sgdr peak_value=1 "
                       "cycle_steps=100 --steps 1000 -o lr.png")  # fmt: skip
    p.add_argument("spec", nargs="+", metavar="SPEC", help=_SPEC_HELP + "; several SPECs are overlaid")
    p.add_argument("--steps", type=_steps_word, help="steps to draw (default --total)")
    p.add_argument("-o", "--output", required=True, help="output image: .png, .svg or .pdf")
    p.add_argument("--log", action="store_true", help="logarithmic value axis")
    p.add_argument("--title", default=None)
    p.add_argument("-q", "--quiet", action="store_true")
    _run_flags(p)
    p.set_defaults(run=_plot)

    p = sub.add_parser("preview", help="a run's lengths in optimizer updates and the lr at each phase boundary",
                       description="How a run's lengths resolve, and the lr the trainer uses at the first update, "
                       "the end of the warmup, each phase boundary and the last update. Example: lrsched preview "
                       "warmup_cosine peak_value=3e-4 warmup_steps=0.05dur total_steps=1dur --dataset-size 1e6 "
                       "--micro-batch-size 8 --grad-accum 4 --processes 8 --seq-len 2048 --total 2ep")  # fmt: skip
    p.add_argument("spec", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    p.add_argument("--steps", type=_steps_word,
                   help="updates to preview (a whole number or a unit string; default --total)")
    p.add_argument("--max-rows", type=int, default=24, help="rows of the table at most (default 24)")
    _run_flags(p)
    p.set_defaults(run=_preview)

    p = sub.add_parser("describe", help="start, peak, end, warmup, mean, area, restarts, phases and warnings",
                       description="A summary of a schedule over --steps steps, with warnings for usual mistakes.")
    p.add_argument("spec", nargs="+", metavar="SPEC", help=_SPEC_HELP)
    p.add_argument("--steps", type=_steps_word, help="steps to describe (default --total)")
    _run_flags(p)
    p.set_defaults(run=_describe)

    p = sub.add_parser("compare", help="where two schedules differ: max abs/rel difference and the first step",
                       description="Compare two schedules step by step. Example: lrsched compare "
                       "torch:CosineAnnealingLR T_max=1000 base_lr=0.1 cosine init_value=0.1 steps=1000 --steps 1000")  # fmt: skip
    p.add_argument("spec", nargs="+", metavar="SPEC", help="two SPECs")
    p.add_argument("--steps", type=_steps_word, help="steps to compare (default --total)")
    _run_flags(p)
    p.add_argument("--rtol", type=float, default=0.0, help="relative differences up to this count as equal")
    p.set_defaults(run=_compare)

    p = sub.add_parser("bench", help="time lrsched against the torch scheduler loop and NumPy on this machine")
    p.add_argument("--steps", type=_steps_word, default="1000000", help="table length (default 1,000,000)")
    p.add_argument("--quick", action="store_true", help="fewer repeats and a shorter torch loop")
    p.set_defaults(run=_bench)

    p = sub.add_parser("names", help="list the schedule names a SPEC may start with")
    p.set_defaults(run=_names)

    p = sub.add_parser("precompile", help="compile the kernels into Numba's on-disk cache now (e.g. in a container build)",
                       description="Compile (or load) every lrsched kernel, so that later processes start warm.")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=_precompile)
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)  # usage errors: argparse's message and exit status 2
    try:
        args.run(args)
    except UsageError as exc:
        print(f"lrsched: error: {exc}", file=sys.stderr)
        return 2
    except (UserError, ValueError, TypeError, OSError, ImportError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # a fact a unit needs, in the flag's words: "Run(seq_len=...)" -> "--seq-len"
        message = re.sub(r"Run\((\w+)=\.\.\.\)", lambda m: "--" + m.group(1).replace("_", "-"), message)
        message = re.sub(r"\bd\['(\w+)'\]", r"\1", message)  # a SPEC's key=value word, not from_dict's `d`
        print(f"lrsched: error: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("lrsched: interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
