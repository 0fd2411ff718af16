"""``lrsched bench``: lrsched beside the torch scheduler loop and NumPy, on this machine.

Each row builds the same schedule three ways and times making its whole
table: ``Schedule.table(n, out=buf)`` (best of several runs), the NumPy
expression (best of a few), and the loop a torch user runs today (step the
scheduler, read the lr), timed over ``torch_steps`` steps and scaled to
``n``.  The per-step section times ``Scheduler.step()`` and the
``lrsched.torch`` drop-in against torch's ``step()``.  Ratios are what to
read: this is one run on a shared machine (the asv suites in
``asv_benchmarks/`` are the careful measurement).
"""

from __future__ import annotations

import math
import time

import numpy as np

from . import cycles, schedules as S


def _best(fn, repeats):
    best = math.inf
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


def _fmt(seconds):
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _ratio(other, ours):
    return "-" if other is None else f"{other / ours:,.0f}×" if other / ours >= 10 else f"{other / ours:.2g}×"


def _rows(n):
    """(name, Schedule, NumPy expression or None, torch scheduler factory or None) per family."""
    w, peak, floor = n // 50, 3e-4, 3e-5
    t = np.arange(n)

    def np_warmup_cosine():
        c = floor + 0.5 * (peak - floor) * (1 + np.cos(np.pi * np.minimum(t - w, n - w) / (n - w)))
        return np.where(t < w, peak * t / w, c)

    return [
        ("warmup_cosine", S.warmup_cosine(peak_value=peak, warmup_steps=w, total_steps=n, end_value=floor),
         np_warmup_cosine,
         lambda lr, o: _torch().SequentialLR(o, [_torch().LinearLR(o, 1e-8, 1.0, w),
                                                 _torch().CosineAnnealingLR(o, n - w, floor)], [w])),
        ("cosine", S.cosine(init_value=peak, steps=n, end_value=floor),
         lambda: floor + 0.5 * (peak - floor) * (1 + np.cos(np.pi * np.minimum(t, n) / n)),
         lambda lr, o: _torch().CosineAnnealingLR(o, n, floor)),
        ("step", S.step(init_value=peak, step_size=max(1, n // 10), gamma=0.5),
         lambda: peak * 0.5 ** (t // max(1, n // 10)),
         lambda lr, o: _torch().StepLR(o, max(1, n // 10), 0.5)),
        ("exponential", S.exponential(init_value=peak, decay_rate=0.99999, transition_steps=1),
         lambda: peak * 0.99999**t,
         lambda lr, o: _torch().ExponentialLR(o, 0.99999)),
        ("linear", S.linear(init_value=peak, end_value=floor, steps=n),
         lambda: peak + (floor - peak) * np.minimum(t, n) / n,
         lambda lr, o: _torch().LinearLR(o, 1.0, floor / peak, n)),
        ("sgdr (10 restarts)", cycles.sgdr(peak, max(1, n // 10), end_value=floor), None,
         lambda lr, o: _torch().CosineAnnealingWarmRestarts(o, max(1, n // 10), 1, floor)),
    ]  # fmt: skip


def _torch():
    import torch.optim.lr_scheduler as lrs

    return lrs


def _torch_loop(make, lr, steps):
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = make(lr, opt)
    group = opt.param_groups[0]
    out = np.empty(steps)
    began = time.perf_counter()
    for i in range(steps):
        out[i] = group["lr"]
        sched.step()
    return time.perf_counter() - began


def _have_torch():
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


TORCH_PIN = 'pip install "torch==2.13.*"'  # the CPU build; a range that admits a newer torch pulls a CUDA build


def _columns(head, rows):
    """Lines of a text table: the first column left-aligned, the others right-aligned, each as wide as its
    widest cell, so no value runs into its neighbour whatever the labels and the units."""
    cells = [head, *rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]

    def line(r):
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    top = line(head)
    return [top, "-" * len(top), *(line(r) for r in rows)]


def run(steps=1_000_000, *, quick=False, torch_steps=None):
    """The benchmark, as a printable text table."""
    import warnings

    n = steps
    repeats = 5 if quick else 20
    torch_steps = min(n, torch_steps or (20_000 if quick else 200_000))
    have_torch = _have_torch()
    buf = np.empty(n)
    scaled = f" and scaled to {n:,}" if torch_steps < n else ""
    lines = [f"lrsched bench: tables of {n:,} steps (best of {repeats}); torch loops timed over "
             f"{torch_steps:,} steps{scaled}" if have_torch else
             f"lrsched bench: tables of {n:,} steps (best of {repeats}); torch is not installed "
             f"({TORCH_PIN} to compare with it)",
             "each kernel is compiled or loaded from the cache before it is timed", ""]  # fmt: skip
    head = ("family", "lrsched", "NumPy", "÷ lrsched", "torch loop", "÷ lrsched")
    rows = []
    for name, s, numpy_expr, make in _rows(n):
        s.table(n, out=buf)  # load the kernel first
        ours = _best(lambda: s.table(n, out=buf), repeats)
        theirs = _best(numpy_expr, max(2, repeats // 5)) if numpy_expr is not None else None
        torch_time = None
        if have_torch:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                torch_time = _torch_loop(make, float(s.at(0)) or 1.0, torch_steps) * (n / torch_steps)
        torch_text = _fmt(torch_time) if have_torch else "not installed"
        rows.append((name, _fmt(ours), _fmt(theirs), _ratio(theirs, ours), torch_text, _ratio(torch_time, ours)))
    lines += _columns(head, rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "scheduler.step() before optimizer.step()"
        lines += ["", _per_step(10_000 if not quick else 2_000, have_torch)]
    return "\n".join(lines)


def _per_step(k, have_torch):
    from .adapter import Scheduler

    lines = [f"per step ({k:,} steps of a cosine, 1 and 8 param groups)"]
    rows = {}
    for groups in (1, 8):
        pg = [{"lr": 0.1} for _ in range(groups)]

        class Opt:
            param_groups = pg

        sched = Scheduler(Opt(), S.cosine(init_value=0.1, steps=k))
        rows.setdefault("lrsched.Scheduler.step()", []).append(_best(lambda: [sched.step() for _ in range(k)], 3) / k)
        if have_torch:
            import torch

            from . import torch as dropin

            params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
            for label, cls in (("lrsched.torch.CosineAnnealingLR.step()", dropin.CosineAnnealingLR),
                               ("torch CosineAnnealingLR.step()", _torch().CosineAnnealingLR)):  # fmt: skip
                opt = torch.optim.SGD([{"params": [p]} for p in params], lr=0.1)
                sch = cls(opt, T_max=k)
                rows.setdefault(label, []).append(_best(lambda: [sch.step() for _ in range(k)], 3) / k)
    table = [(label, _fmt(times[0]), _fmt(times[1])) for label, times in rows.items()]
    if have_torch:
        ours = rows["lrsched.Scheduler.step()"]
        theirs = rows["torch CosineAnnealingLR.step()"]
        table.append(("torch ÷ lrsched.Scheduler", _ratio(theirs[0], ours[0]), _ratio(theirs[1], ours[1])))
    lines += _columns(("", "1 group", "8 groups"), table)
    if not have_torch:
        lines.append(f"torch is not installed ({TORCH_PIN} to compare with it)")
    return "\n".join(lines)
