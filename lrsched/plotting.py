"""Pictures of schedules: ``lrsched.plot`` and the ``lrsched plot`` command.

matplotlib is optional (``pip install "lrsched[plot]"``) and imported only
here, only when a picture is drawn.  A picture is written as every lrsched
file is, by ``tables.write_atomically``: whole, or not at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .preview import EXACT_LIMIT, sample_steps
from .report import describe_table
from .tables import write_atomically

# at most this many points per curve: a million-step table is drawn from a
# decimation that keeps every step's extremes (min and max per pixel column)
_POINTS = 4_000


def _matplotlib():
    try:
        import matplotlib
    except ImportError:
        raise ImportError(
            'plotting needs matplotlib, which is not installed: pip install "lrsched[plot]" (or pip install matplotlib)'
        ) from None
    matplotlib.use("Agg", force=False)  # no display needed; a no-op when a backend is already chosen
    import matplotlib.pyplot as plt

    return plt


def _decimate(values, points=_POINTS):
    """(steps, values) to draw: every step if few, else the min and the max of each of ``points / 2`` bins."""
    n = values.size
    if n <= points:
        return np.arange(n), values
    bins = points // 2
    edges = np.linspace(0, n, bins + 1).astype(np.int64)
    lo = np.minimum.reduceat(values, edges[:-1])
    hi = np.maximum.reduceat(values, edges[:-1])
    lo_at = edges[:-1] + np.array([np.argmin(values[a:b]) for a, b in zip(edges[:-1], edges[1:])])
    hi_at = edges[:-1] + np.array([np.argmax(values[a:b]) for a, b in zip(edges[:-1], edges[1:])])
    steps = np.stack([np.minimum(lo_at, hi_at), np.maximum(lo_at, hi_at)], axis=1).ravel()
    first_low = lo_at <= hi_at
    vals = np.stack([np.where(first_low, lo, hi), np.where(first_low, hi, lo)], axis=1).ravel()
    steps = np.r_[steps, n - 1]
    vals = np.r_[vals, values[-1]]
    return steps, vals


def _steps_label(x, _pos=None):
    """Axis ticks in steps: 0, 500, 20k, 1.5M, 2G."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:g}{unit}"
    return f"{x:g}"


def plot(schedules, steps, path=None, *, labels=None, log=False, title=None, marks=True, legend=True, ax=None):
    """Draw one or more schedules over steps ``0 .. steps - 1``, overlaid; save to ``path`` (.png, .svg, .pdf).

    Phase boundaries (the end of a warmup, restarts, and where a schedule
    stops changing) are marked with dotted lines in the curve's colour when
    ``marks``.

    Parameters
    ----------
    schedules : Schedule or sequence of Schedule
    steps : int
    path : str or os.PathLike, optional
        Where to save the figure; with neither ``path`` nor ``ax`` the figure is returned unsaved.
    labels : sequence of str, optional
        One legend label per schedule (default: their reprs, shortened).
    log : bool
        Logarithmic value axis (the values must be positive).
    title : str, optional
    marks : bool
        Dotted lines at phase boundaries.
    legend : bool
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if isinstance(schedules, Schedule):
        schedules = [schedules]
    schedules = list(schedules)
    if not schedules:
        V.fail("plot", "schedules", "one or more lrsched.Schedule", schedules)
    for s in schedules:
        if not isinstance(s, Schedule):
            V.fail("plot", "schedules", "lrsched.Schedule objects", s, TypeError)
    steps = V.integer("plot", "steps", steps, minimum=1, maximum=MAX_STEP)
    if labels is None:
        labels = [_short(repr(s)) for s in schedules]
    elif len(labels) != len(schedules):
        V.fail("plot", "labels", f"one label per schedule ({len(schedules)})", labels)
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix not in (".png", ".svg", ".pdf"):
            V.fail("plot", "path", "a .png, .svg or .pdf file name", str(path))
    if steps <= EXACT_LIMIT:
        tables = [s.table(steps) for s in schedules]
        curves = [(*_decimate(t), describe_table(t)) for t in tables]
    else:  # past EXACT_LIMIT steps, each schedule drawn at its samples (preview.sample_steps)
        samples = [sample_steps(s, steps) for s in schedules]
        tables = [s(at) for s, at in zip(schedules, samples)]
        curves = [(at, t, describe_table(t, at=at, steps=steps)) for at, t in zip(samples, tables)]
    if log and any(float(t.min()) <= 0.0 for t in tables):
        V.fail("plot", "log", "False when a value is <= 0 (a log axis cannot show it)", log)
    plt = _matplotlib()
    from matplotlib.ticker import FuncFormatter

    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.0, 3.6), dpi=110, layout="constrained")
    else:
        fig = ax.figure
    for (x, y, d), label in zip(curves, labels):  # d: the description of the values drawn, not computed again
        (line,) = ax.plot(x, y, lw=1.4, label=label)
        if marks:
            at = set(d.restarts)
            if d.warmup_end is not None:
                at.add(d.warmup_end)
            for p in d.phases[1:]:
                if p.start not in at and len(d.phases) <= 12:
                    at.add(p.start)
            for step in sorted(at)[:50]:
                ax.axvline(step, color=line.get_color(), lw=0.6, ls=":", alpha=0.7)
    ax.set_xlabel("step")
    ax.set_ylabel("value")
    ax.xaxis.set_major_formatter(FuncFormatter(_steps_label))
    if log:
        ax.set_yscale("log")
    ax.set_xlim(0, max(1, steps - 1))
    ax.grid(alpha=0.25)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize="small", framealpha=0.85, edgecolor="none")
    if path is not None:
        try:
            with write_atomically(path) as f:  # the picture appears whole or not at all, as a table does
                fig.savefig(f, format=suffix[1:])  # the temporary's name does not say the format
        finally:
            plt.close(fig)
    return fig


def _short(text, width=60):
    return text if len(text) <= width else text[: width - 3] + "..."
