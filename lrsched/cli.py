"""The ``lrsched`` command (also ``python -m lrsched``).

::

    lrsched table    SPEC --steps N -o FILE.npy|.csv|.parquet [--dtype float32] [--start S] [-q]
    lrsched plot     SPEC [SPEC ...] --steps N -o FILE.png|.svg|.pdf|.html [--log] [--dpi D] [--title T]
    lrsched describe SPEC --steps N
    lrsched compare  SPEC SPEC --steps N [--rtol R]
    lrsched preview  SPEC --steps-per-epoch E --total 8ep [RUN FACTS]
    lrsched bench    [--steps N] [--quick]
    lrsched names    [NAME]
    lrsched precompile
    lrsched --version

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
sp, tok, ep, dur); ``ba`` and ``mb`` need no facts.  ``--steps`` takes a
whole number (``1000``, ``1e6``) or a unit string; it defaults to
``--total``, and without one to the schedules' horizon (the step from which
each holds its end value; the longest, of those that have one), so ``lrsched describe cosine init_value=1
steps=1000`` describes the 1,000 steps of the run.  ``preview`` prints how each length resolves and the value
at the first update, the end of the warmup, each phase boundary and the
last update.
Options of the command itself start with ``-`` and never clash with a
schedule's argument names.

Exit status: 0 done; 2 a usage error: argparse's, an unknown schedule name
or key (with the closest names: ``did you mean peak_value=?``), a missing
key, ``--steps`` needed; 1 any other error (a bad value, an unwritable file,
a missing optional package); each with a one-line message on stderr in the
command line's words and no traceback.  A closed pipe (``| head``) ends the
command quietly with status 141, as a Unix tool stopped by SIGPIPE.
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
        raise UserError('presets need torch, which is not installed: pip install "lrsched[torch]" '
                        '(or pip install "torch==2.13.*", the CPU build)') from None  # fmt: skip
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


def _steps(args, run=None, schedules=()):
    """``--steps`` in updates (a whole number or a unit string); else ``--total``; else the schedules' horizon
    (the step from which each holds its end value: a table of that many steps is the whole run), the
    longest of those that have one."""
    run = _run(args) if run is None else run
    text = args.steps
    if text is None:
        if run.total is not None:
            return run.total
        ends = [(label, s.horizon) for label, s in schedules]
        known = [h for _, h in ends if h is not None]
        if not known:  # overlaid with one that has a horizon, a schedule that keeps changing is drawn as far
            which = f": {ends[0][0]} keeps changing (it has no end value to hold)" if ends else ""
            raise UsageError(f"--steps is required{which}; give --steps N or the run's length with --total")
        return max(known)
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


def _load_kernels(schedule, dtype):
    """Compile or load the kernels ``schedule`` needs before anything is timed; the seconds it took."""
    from ._kernels import KERNELS
    from ._program import OUTPUTS

    began = time.perf_counter()
    for name in (*schedule._program.kernels(), *OUTPUTS.get(str(dtype), ())):
        KERNELS[name].dispatcher  # noqa: B018 - creating the dispatcher compiles (or loads) it
    return time.perf_counter() - began


def _table(args):
    run = _run(args)
    ((label, s),) = specs = _specs(args.spec, 1, run)
    n = _steps(args, run, specs)
    path = Path(args.output)
    _fits(path, n, np.dtype(args.dtype).itemsize)
    loading = _load_kernels(s, args.dtype)
    began = time.perf_counter()
    summary = save(s, path, n, start=args.start, dtype=np.dtype(args.dtype),
                   progress=_Progress(not args.quiet) if n > 10 * CHUNK else None)  # fmt: skip
    if args.quiet:
        return
    size = n * np.dtype(args.dtype).itemsize / 1e6
    print(repr(s))
    took = time.perf_counter() - began
    print(f"wrote {n:,} steps ({args.dtype}, {size:.1f} MB of values) to {path} in {took:.3f} s, writing included")
    if loading >= 0.01:  # the first use on a machine, or in a process: said apart, not hidden in the figure above
        print(f"  plus {loading:.2f} s before it to compile its kernels, or load them from Numba's cache")
    print(f"  start   {summary.first:.6g}")
    print(f"  peak    {summary.peak:.6g} at step {summary.peak_at:,}")
    print(f"  end     {summary.last:.6g} at step {summary.start + n - 1:,}")
    print(f"  mean    {summary.mean:.6g}")


def _describe(args):
    from .report import describe

    run = _run(args)
    ((label, s),) = specs = _specs(args.spec, 1, run)
    n = _steps(args, run, specs)
    print(repr(s))
    print(describe(s, n))


def _compare(args):
    from .report import compare

    run = _run(args)
    (la, a), (lb, b) = specs = _specs(args.spec, 2, run)
    c = compare(a, b, _steps(args, run, specs), rtol=args.rtol)
    print(f"A: {la}\nB: {lb}")
    print(c)
    if not c.identical:
        print(f"at step {c.first_difference:,}: A = {a.at(c.first_difference)!r}, B = {b.at(c.first_difference)!r}")


def _plot(args):
    from .plotting import plot

    run = _run(args)
    specs = _specs(args.spec, run=run)
    out = Path(args.output)
    n = _steps(args, run, specs)
    try:
        plot([s for _, s in specs], n, out, labels=[label for label, _ in specs], log=args.log,
             title=args.title, dpi=args.dpi)  # fmt: skip
    except ValueError as exc:  # plot's words are the Python parameters': say the flags instead
        if "`log`" in str(exc):
            raise UserError(f"--log needs a value > 0 to draw: every value over the {n:,} steps is <= 0") from None
        if "`dpi`" in str(exc):
            raise UserError(f"--dpi must be a number in [10, 2400], got --dpi {args.dpi:g}") from None
        raise
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
    ((label, s),) = specs = _specs(args.spec, 1, run)
    n = _steps(args, run, specs)
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


_PEERS = ("torch", "transformers", "optax", "keras", "timm", "ignite", "deepspeed", "megatron", "fvcore")


def _doc_sections(fn):
    """``(summary, body, see also)`` of a factory's NumPy-style docstring, with RST's ``double quotes`` dropped."""
    import inspect

    doc = inspect.cleandoc(fn.__doc__ or "").replace("``", "")
    lines = doc.splitlines()
    summary = lines[0] if lines else ""
    heads = [i for i in range(1, len(lines) - 1) if lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}]
    body_end = next((i for i in heads if lines[i].strip() in ("Examples", "See also")), len(lines))
    body = "\n".join(lines[1:body_end]).strip()
    see = ""
    for i in heads:
        if lines[i].strip() == "See also":
            rest = lines[i + 2:]
            stop = next((k for k, line in enumerate(rest) if not line.strip()), len(rest))
            see = " ".join(line.strip() for line in rest[:stop])
    return summary, body, see


def _peer_names(see):
    """The peers' equivalents a docstring's See also names (not lrsched's own cross-references)."""
    parts = [p.strip() for p in re.split(r",(?![^(]*\))", see) if p.strip()]
    return [p for p in parts if p.lower().lstrip("'").startswith(_PEERS)]


def _registry_peers():
    """name -> the peers' names it stands for, from the table in ``help(lrsched.registry)`` (one source)."""
    from . import registry

    lines = (registry.__doc__ or "").splitlines()
    rules = [i for i, line in enumerate(lines) if line.startswith("=====")]
    if len(rules) < 3:
        return {}
    cols = [m.start() for m in re.finditer(r"=+", lines[rules[0]])]
    out, name = {}, None
    for line in lines[rules[1] + 1:rules[2]]:
        if line[: cols[1]].strip():
            name = line[: cols[1]].strip()
            out[name] = line[cols[2]:].strip()
        elif name is not None:
            out[name] += " " + line[cols[2]:].strip()
    return {k: v.replace("``", "") for k, v in out.items()}


def _names(args):
    from ._schedule import _REGISTRY
    from .registry import _key, _names as table

    names = table()
    peers = _registry_peers()
    if args.name is not None:
        return _name_help(_key("names", args.name), names, peers)
    width = max(map(len, names)) + 2
    print(f"{len(names)} names (a SPEC starts with one; case is ignored, - is _). "
          "`lrsched names NAME` shows one's arguments and formula.")  # fmt: skip
    for name in sorted(names):
        factory, fixed = names[name]
        summary, _, see = _doc_sections(_REGISTRY[factory][0])
        if factory != name:
            fixed_text = ", ".join(f"{k}={v!r}" for k, v in fixed.items())
            print(f"{name:<{width}}= {factory}({fixed_text})" if fixed_text else f"{name:<{width}}= {factory}")
        else:
            print(f"{name:<{width}}{summary}")
            aliases = sorted(n for n, (f, _) in names.items() if f == name and n != name)
            if aliases:
                print(f"{'':<{width}}  also named {', '.join(aliases)}")
        peer = _peers_of(name, peers, see if factory == name else "")
        if peer:
            print(f"{'':<{width}}  peers: {peer}")


def _peers_of(name, peers, see):
    """The peers' names for ``name``: the registry's table, then its factory's See also (each once)."""
    found = [p.strip() for p in peers.get(name, "").split(";") if p.strip()] + _peer_names(see)
    return "; ".join(dict.fromkeys(found))


def _name_help(name, names, peers):
    import inspect

    from ._schedule import _REGISTRY

    factory, fixed = names[name]
    fn = _REGISTRY[factory][0]
    summary, body, see = _doc_sections(fn)
    params = [p for p in inspect.signature(fn).parameters.values() if p.name not in fixed]
    words = []
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        words.append(f"{p.name}=" if p.default is p.empty else f"[{p.name}={json.dumps(p.default)}]")
    title = name if factory == name else f"{name} (= {factory}" + "".join(f", {k}={v!r}" for k, v in fixed.items()) + ")"
    print(f"{title}: {summary}")
    print(f"usage: {name} {' '.join(words)}")
    if body:
        print()
        print("\n".join("  " + line if line else "" for line in body.splitlines()))
    aliases = sorted(n for n, (f, fx) in names.items() if f == factory and n != name)
    peer = _peers_of(name, peers, see)
    print()
    if aliases:
        print(f"also named: {', '.join(aliases)}")
    if peer:
        print(f"peers: {peer}")
    print(f"Python: help(lrsched.{factory})")


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


def _version():
    import platform
    from importlib.metadata import version

    from . import __version__

    return f"lrsched {__version__} (numpy {np.__version__}, numba {version('numba')}, Python {platform.python_version()})"


def _parser():
    parser = argparse.ArgumentParser(
        prog="lrsched", description="Learning-rate schedules as whole tables: write, plot, describe, compare, bench.",
        epilog="SPEC: " + _SPEC_HELP + ". A word without '=' starts the next SPEC.",
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

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

    p = sub.add_parser("plot", help="draw schedules, overlaid, to .png, .svg, .pdf (needs matplotlib) or an "
                       "interactive .html page (needs nothing more)",
                       description="Draw schedules overlaid, with lines in each curve's colour at warmup ends, "
                       "restarts and phase changes (named in the legend), and an inset of the first steps when a "
                       "warmup is too short to see. An .html file is one self-contained page (no network): hover "
                       "for each schedule's value, drag or wheel to zoom, double-click to reset. Example: lrsched "
                       "plot cosine init_value=1 steps=1000 sgdr peak_value=1 cycle_steps=100 --steps 1000 -o lr.png")  # fmt: skip
    p.add_argument("spec", nargs="+", metavar="SPEC", help=_SPEC_HELP + "; several SPECs are overlaid")
    p.add_argument("--steps", type=_steps_word, help="steps to draw (default --total)")
    p.add_argument("-o", "--output", required=True,
                   help="output file, by its suffix: .png, .svg, .pdf (a picture) or .html (an interactive page)")
    p.add_argument("--log", action="store_true",
                   help="logarithmic value axis; values <= 0 (a warmup's start at 0) are left out, with a note")
    p.add_argument("--dpi", type=float, default=150.0,
                   help="resolution of a .png (default 150: 1200 x 675 pixels, sharp in a README)")
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

    p = sub.add_parser("names", help="the schedule names a SPEC may start with, what each is, its peers' names",
                       description="Every name a SPEC may start with: a one-line description, its aliases and the "
                       "peers' equivalents. With NAME: its arguments (key=value words) and formula.")  # fmt: skip
    p.add_argument("name", nargs="?", metavar="NAME", help="show this name's arguments and formula")
    p.set_defaults(run=_names)

    p = sub.add_parser("precompile", help="compile the kernels into Numba's on-disk cache now (e.g. in a container build)",
                       description="Compile (or load) every lrsched kernel, so that later processes start warm.")  # fmt: skip
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    p.set_defaults(run=_precompile)
    return parser


def _usage_message(exc):
    """An unknown name, an unknown key or a missing key (``_validate``'s ArgumentError and UnknownName, which
    every lrsched callable raises), in the command line's words (``key=``, not a Python parameter); None for
    any other error."""
    from ._validate import ArgumentError, UnknownName

    if isinstance(exc, UnknownName):
        close = list(exc.suggestions)[:3]
        guess = f" (did you mean {' or '.join(close)}?)" if close else ""
        return f"unknown schedule name {exc.name!r}{guess}; `lrsched names` lists them all"
    if not isinstance(exc, ArgumentError) or not (exc.unknown or exc.missing):
        return None
    keys = ", ".join(f"{k}=" for k in exc.allowed if k != "run")  # a run's facts are flags here
    if exc.unknown:
        words = []
        for k in exc.unknown:
            close, hint = exc.suggestions.get(k) or [], exc.hints.get(k)
            guess = f" (did you mean {' or '.join(f'{c}=' for c in close[:3])}?" if close else ""
            guess += f" {k} is {hint})" if guess and hint else ")" if guess else ""
            words.append(f"{k}={guess}")
        what = f"unknown key{'s' * (len(exc.unknown) > 1)} {', '.join(words)}"
    else:
        what = f"needs {', '.join(f'{k}=' for k in exc.missing)}"
    return f"{exc.function}: {what}; its keys are {keys}"


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)  # usage errors: argparse's message and exit status 2
    if args.command is None:  # a bare `lrsched`: what it can do, not only "COMMAND is required"
        parser.print_help(sys.stderr)
        return 2
    try:
        args.run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
    except BrokenPipeError:  # `lrsched describe ... | head -3`: stop quietly, as every Unix tool does
        _silence_stdout()
        return 141  # 128 + SIGPIPE: what a shell reports for a tool stopped by a closed pipe
    except UsageError as exc:
        print(f"lrsched: error: {exc}", file=sys.stderr)
        return 2
    except (UserError, ValueError, TypeError, OSError, ImportError) as exc:
        usage = _usage_message(exc)
        if usage is not None:
            print(f"lrsched: error: {usage}", file=sys.stderr)
            return 2
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


def _silence_stdout():
    """Point stdout at /dev/null, so that the interpreter's last flush does not report the closed pipe."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file (a test's capture): nothing to flush at exit
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
