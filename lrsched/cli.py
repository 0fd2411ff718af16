"""Command line: ``lrsched table NAME key=value ... --steps N -o FILE``.

A schedule is named by its family (``warmup_cosine``, ``cosine``, ...) with
the factory's arguments as ``key=value`` words (``peak_value=3e-4``; lists as
JSON, ``milestones=[100,200]``), or by a JSON file holding
``Schedule.to_dict()`` output.  Options of the command itself start with
``-``, so they never clash with a schedule's argument names.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from ._schedule import _REGISTRY, from_dict
from .npy import CHUNK, save


def _parse_value(text):
    for convert in (int, float, json.loads):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _schedule_from_args(words):
    name, params = words[0], words[1:]
    if name.endswith(".json"):
        if params:
            raise ValueError(f"arguments {' '.join(params)} make no sense with a spec file")
        return from_dict(json.loads(Path(name).read_text()))
    if name not in _REGISTRY:
        raise ValueError(f"unknown schedule {name!r}; known: {', '.join(sorted(_REGISTRY))}")
    kwargs = {}
    for word in params:
        key, eq, text = word.partition("=")
        if not eq or not key:
            raise ValueError(f"expected key=value after the schedule name, got {word!r}")
        kwargs[key.replace("-", "_")] = _parse_value(text)
    return from_dict({"type": name, **kwargs})


def _summary(s, summary, dtype, seconds, path):
    n = summary.n
    lines = [
        repr(s),
        f"wrote {n:,} steps ({dtype}, {n * np.dtype(dtype).itemsize / 1e6:.1f} MB) to {path} in {seconds:.3f} s",
        f"  start   {summary.first:.6g}",
        f"  peak    {summary.peak:.6g} at step {summary.peak_at:,}",
    ]
    if summary.first < summary.peak:
        lines.append(f"  warmup  ends at step {summary.peak_at:,} (first step at the peak)")
    else:
        lines.append("  warmup  none (the schedule starts at its peak)")
    lines.append(f"  final   {summary.last:.6g} at step {summary.start + n - 1:,}")
    lines.append(f"  mean    {summary.mean:.6g}")
    return "\n".join(lines)


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
    s = _schedule_from_args(args.spec)
    if args.steps < 1:
        raise ValueError(f"--steps must be a positive integer, got {args.steps}")
    path = Path(args.output)
    began = time.perf_counter()
    summary = save(s, path, args.steps, start=args.start, dtype=np.dtype(args.dtype),
                   progress=_Progress(not args.quiet) if args.steps > 10 * CHUNK else None)  # fmt: skip
    if not args.quiet:
        print(_summary(s, summary, args.dtype, time.perf_counter() - began, path))


def _precompile(args):
    from ._kernels import precompile

    began = time.perf_counter()
    names = precompile()
    if not args.quiet:
        print(f"compiled or loaded {', '.join(names)} in {time.perf_counter() - began:.2f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="lrsched", description="Learning-rate schedules as whole tables.")
    sub = parser.add_subparsers(dest="command", required=True)
    table = sub.add_parser(
        "table",
        help="write a schedule's values at steps 0..N-1 to a .npy file",
        description="Write a schedule's values to a .npy file. Example: lrsched table warmup_cosine "
        "peak_value=3e-4 warmup_steps=2000 total_steps=1000000 --steps 1000000 -o lr.npy",
    )
    table.add_argument("spec", nargs="+", help="a family name and its arguments as key=value, or a spec .json file")
    table.add_argument("--steps", type=int, required=True, help="number of steps in the table")
    table.add_argument("--start", type=int, default=0, help="first step (default 0)")
    table.add_argument("-o", "--output", required=True, help="output .npy file")
    table.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    table.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    pre = sub.add_parser(
        "precompile",
        help="compile the kernels into Numba's on-disk cache now (e.g. in a container build)",
        description="Compile (or load) every lrsched kernel, so that later processes start warm.",
    )
    pre.add_argument("-q", "--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    try:
        if args.command == "precompile":
            _precompile(args)
        else:
            _table(args)
    except (ValueError, TypeError, OSError) as exc:
        parser.exit(2, f"lrsched: error: {exc}\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
