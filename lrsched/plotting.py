"""Pictures of schedules: ``lrsched.plot`` and the ``lrsched plot`` command.

matplotlib is optional (``pip install "lrsched[plot]"``) and imported only
here, only when a picture is drawn; an ``.html`` preview needs NumPy only
(``lrsched.html_preview``).  A picture is written as every lrsched file is,
by ``tables.write_atomically``: whole, or not at all.

What a picture shows, and how (one rule each):

- values on the y axis are written as in a config file: plain decimals from
  0.01 up (``0.05``, ``1.5``), exponent form below (``3e-4``, ``2.5e-5``);
  steps on the x axis with k, M, G, T, P, E (``20k``, ``1.5M``);
- phase marks are vertical lines in their curve's colour, one line style per
  kind (``MARK_KINDS``: end of warmup, restart, phase change), named in the
  legend;
- the legend is outside the data: below the axes (right of them when drawing
  into given axes), labels wrapped and shortened to fit the figure;
- a first phase (a warmup, typically) shorter than ``INSET_BELOW`` of the
  range is drawn again, magnified, in an inset over the emptiest corner;
- on a log axis, values <= 0 are left out of the curve and a note says at
  which steps.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate as V
from ._program import MAX_STEP
from ._schedule import Schedule
from .preview import EXACT_LIMIT, sample_steps
from .report import Description, describe_table
from .tables import write_atomically

# at most this many points per curve: a million-step table is drawn from a
# decimation that keeps every step's extremes (min and max per pixel column)
_POINTS = 4_000
FORMATS = (".png", ".svg", ".pdf", ".html")
# kind -> (legend text, matplotlib line style); the HTML preview uses the same kinds and texts
MARK_KINDS = {
    "warmup": ("end of warmup", (0, (5, 2))),
    "restart": ("restart", (0, (1, 1.5))),
    "phase": ("phase change", (0, (4, 1.5, 1, 1.5))),
}
MAX_MARKS = 50  # per curve; phase changes are marked only when a curve has at most MAX_PHASES phases
MAX_PHASES = 12
INSET_BELOW = 0.02  # a first phase shorter than this share of the range gets an inset
FIGSIZE = (8.0, 4.5)  # inches; at the default 150 dpi, 1200 x 675 px: sharp at a README's ~800 px


@dataclass(frozen=True, eq=False)  # holds arrays: no elementwise ==; compared by its fields where needed
class Curve:
    """One schedule as drawn: its steps and values (decimated or sampled), what they describe, its marks."""

    schedule: Schedule
    label: str
    steps: np.ndarray  # int64, sorted
    values: np.ndarray  # float64, the schedule's own values at ``steps``
    description: Description
    marks: tuple  # ((step, kind), ...) sorted by step; kind a key of MARK_KINDS
    nonpositive: tuple  # ((first, last), ...) runs of steps whose value is <= 0 (exact up to EXACT_LIMIT)
    exact: bool  # every step was read (else: preview.sample_steps)


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


def _marks(d: Description, steps: int):
    """(step, kind) of a description's phase boundaries: the end of the warmup, restarts, and the phase
    changes (when there are few), one mark per place (a phase change right beside another mark is dropped)."""
    at = {}
    if d.warmup_end is not None and 0 < d.warmup_end < steps - 1:
        at[d.warmup_end] = "warmup"
    for r in d.restarts:
        at.setdefault(r, "restart")
    if len(d.phases) <= MAX_PHASES:
        near = max(1, steps // 200)
        for p in d.phases[1:]:
            if 0 < p.start < steps - 1 and all(abs(p.start - s) > near for s in at):
                at[p.start] = "phase"
    return tuple(sorted(at.items())[:MAX_MARKS])


def _runs(at, mask, limit=4):
    """Up to ``limit`` runs (first, last) of the steps ``at`` where ``mask`` holds, and how many runs in all."""
    idx = np.flatnonzero(mask)
    if not idx.size:
        return (), 0
    breaks = np.flatnonzero(np.diff(idx) > 1)
    starts = np.r_[idx[0], idx[breaks + 1]]
    stops = np.r_[idx[breaks], idx[-1]]
    runs = tuple((int(at[a]), int(at[b])) for a, b in zip(starts[:limit], stops[:limit]))
    return runs, int(starts.size)


def curves(schedules, steps, labels, points=_POINTS):
    """The :class:`Curve` of each schedule over steps ``0 .. steps - 1`` (what ``plot`` and the HTML preview
    draw): every step up to ``EXACT_LIMIT`` steps, decimated to ``points`` keeping each bin's extremes; past
    it, the schedule's samples (``preview.sample_steps``)."""
    out = []
    for s, label in zip(schedules, labels):
        if steps <= EXACT_LIMIT:
            t = s.table(steps)
            at = np.arange(steps)
            x, y = _decimate(t, points)
            d = describe_table(t, schedule=s)  # the Program says where it may jump (restarts, drops)
        else:  # past EXACT_LIMIT steps, each schedule drawn at its samples
            at = sample_steps(s, steps)
            t = s(at)
            x, y, d = at, t, describe_table(t, at=at, steps=steps, schedule=s)
        runs, count = _runs(at, t <= 0.0)
        out.append(Curve(s, label, np.asarray(x, np.int64), np.asarray(y, np.float64), d, _marks(d, steps),
                         runs + ((None, count),) if count > len(runs) else runs, steps <= EXACT_LIMIT))  # fmt: skip
    return out


def value_label(v, digits=4):
    """A value as in a config file: ``0``, ``0.05``, ``1.5``, ``3e-4``, ``2.5e-5`` (exponent form below 0.01
    and from 1e5), at most ``digits`` significant digits, no trailing zeros.

    >>> [value_label(v) for v in (0.0, 3e-4, 0.00015000000000000001, 0.05, 1.0, 2.5e-5, 123456.0, -1e-3)]
    ['0', '3e-4', '1.5e-4', '0.05', '1', '2.5e-5', '1.235e5', '-1e-3']
    """
    v = float(v)
    if v == 0.0 or not math.isfinite(v):
        return "0" if v == 0.0 else str(v)
    if 0.01 <= abs(v) < 1e5:
        text = f"{v:.{digits}g}"
        if "e" not in text:
            return text
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def steps_label(x, _pos=None):
    """Axis ticks in steps: 0, 500, 20k, 1.5M, 2G, 1.1T.

    >>> [steps_label(x) for x in (0, 500, 20_000, 1_500_000, 2e9, 2**40)]
    ['0', '500', '20k', '1.5M', '2G', '1.1T']
    """
    for div, unit in ((1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.4g}{unit}"
    return f"{x:.4g}"


_steps_label = steps_label  # the name other modules used


def _runs_text(runs):
    parts = []
    for a, b in runs:
        if a is None:
            parts.append(f"... ({b} runs in all)")
        else:
            parts.append(f"step {a:,}" if a == b else f"steps {a:,}..{b:,}")
    return ", ".join(parts)


def log_note(curves_):
    """The note a log axis carries when values <= 0 are left out (None when there are none)."""
    bad = [c for c in curves_ if c.nonpositive]
    if not bad:
        return None
    if len(curves_) == 1:
        where = _runs_text(bad[0].nonpositive)
    else:
        where = "; ".join(f"{_runs_text(c.nonpositive)} ({_shorten(c.label, 30)})" for c in bad)
    return f"values <= 0 not drawn on a log axis: {where}"


def _wrap(label, width, lines=3):
    """``label`` wrapped to ``width`` characters, at most ``lines`` lines (the last one shortened)."""
    out = textwrap.wrap(label, width, break_long_words=True, break_on_hyphens=False) or [""]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _shorten(out[-1] + " ...", width)
    return "\n".join(out)


def _shorten(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def _legend_layout(texts, width_chars):
    """(columns, wrapped texts): as many columns as fit ``width_chars`` characters, each text wrapped to its
    column (a legend entry's line and gap take about 7 characters)."""
    for cols in range(min(len(texts), 4), 0, -1):
        room = width_chars // cols - 7
        if cols == 1 or (room >= 12 and max(len(t) for t in texts) <= room):
            return cols, [_wrap(t, max(room, 12)) for t in texts]
    return 1, texts  # pragma: no cover


def _check(schedules, steps, labels, path, ax, dpi, figsize, ylabel, legend, inset):
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
        labels = [_shorten(repr(s), 160) for s in schedules]
    else:
        labels = list(labels)
        if len(labels) != len(schedules):
            V.fail("plot", "labels", f"one label per schedule ({len(schedules)})", labels)
        labels = [str(label) for label in labels]
    suffix = None
    if path is not None:
        suffix = Path(path).suffix.lower()
        if suffix not in FORMATS:
            V.fail("plot", "path", "a .png, .svg or .pdf picture or an .html preview file name", str(path))
        if suffix == ".html" and ax is not None:
            V.fail("plot", "path", "a .png, .svg or .pdf file name when drawing into `ax`", str(path))
    dpi = V.real("plot", "dpi", dpi, minimum=10.0, maximum=2400.0)
    if figsize is not None:
        figsize = V.sequence("plot", "figsize", figsize, min_len=2)
        if len(figsize) != 2:
            V.fail("plot", "figsize", "(width, height) in inches", figsize)
        figsize = tuple(V.real("plot", "figsize", v, minimum=1.0, maximum=100.0) for v in figsize)
    if not isinstance(ylabel, str):
        V.fail("plot", "ylabel", "a string", ylabel, TypeError)
    if legend not in (True, False, "below", "right", "inside"):
        V.fail("plot", "legend", "True, False, 'below', 'right' or 'inside'", legend)
    if inset not in (True, False, "auto"):
        V.fail("plot", "inset", "True, False or 'auto'", inset)
    return schedules, steps, labels, suffix, dpi, figsize


@V.explain_arguments
def plot(schedules, steps, path=None, *, labels=None, log=False, title=None, marks=True, legend=True, ax=None,
         ylabel="learning rate", dpi=150, figsize=None, inset="auto", annotate=False):  # fmt: skip
    """Draw one or more schedules over steps ``0 .. steps - 1``, overlaid; save to ``path``.

    The format follows the file name: ``.png``, ``.svg``, ``.pdf`` (matplotlib)
    or ``.html``: an interactive page, self-contained (data and script
    inline, nothing loaded from elsewhere), with hover values and zoom, which
    needs NumPy only (see ``lrsched.html_preview``).

    Phase boundaries (the end of a warmup, restarts, and where a schedule
    starts or stops changing) are marked with lines in the curve's colour when
    ``marks``, one line style per kind, named in the legend.  A first phase
    shorter than 2% of the range (a 2,000-step warmup of a 1M-step run) is
    shown again, magnified, in an inset.

    Parameters
    ----------
    schedules : Schedule or sequence of Schedule
    steps : int
        Steps ``0 .. steps - 1`` are drawn; past ``preview.EXACT_LIMIT`` steps (up to 2**62), a sample that keeps
        every boundary and restart exact (``preview.sample_steps``).
    path : str or os.PathLike, optional
        Where to save (.png, .svg, .pdf, .html); with neither ``path`` nor ``ax`` the figure is returned unsaved.
    labels : sequence of str, optional
        One legend label per schedule (default: their reprs); long labels are wrapped and shortened.
    log : bool
        Logarithmic value axis.  Values <= 0 are left out of the curves and a note on the figure says at which
        steps; at least one value must be positive.
    title : str, optional
    marks : bool
        Lines at phase boundaries.
    legend : bool or {'below', 'right', 'inside'}
        Where the legend goes: True is 'below' the axes in a new figure, 'right' of them in given ``ax``;
        'inside' lets matplotlib choose a place in the axes.
    ax : matplotlib Axes, optional
        Draw into these axes instead of a new figure.
    ylabel : str
        The value axis' label (for another hyperparameter: ``"momentum"``, ``"weight decay"``).
    dpi : float
        Resolution of a saved picture (the default 150 on the default 8 x 4.5 in figure: 1200 x 675 px).
    figsize : (float, float), optional
        Inches, for a new figure (default 8 x 4.5).
    inset : bool or 'auto'
        The magnified first steps: 'auto' when the first phase is shorter than 2% of the range.
    annotate : bool
        Mark each curve's peak and last value with a dot and its value.

    Returns
    -------
    matplotlib.figure.Figure, or None for an ``.html`` path

    Raises
    ------
    ValueError
        A bad argument; ``log=True`` when no value is positive.
    ImportError
        matplotlib is missing (except for an ``.html`` path).
    """
    schedules, steps, labels, suffix, dpi, figsize = _check(
        schedules, steps, labels, path, ax, dpi, figsize, ylabel, legend, inset
    )
    if suffix == ".html":
        from .html_preview import write_html

        write_html(schedules, steps, path, labels=labels, log=log, title=title, marks=marks, ylabel=ylabel)
        return None
    drawn = curves(schedules, steps, labels)
    if log and not any(np.any(c.values > 0.0) for c in drawn):
        V.fail("plot", "log", "False when no value is > 0 (a log axis shows positive values only)", log)
    plt = _matplotlib()
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=figsize or FIGSIZE, dpi=dpi, layout="constrained")
    else:
        fig = ax.figure
    try:
        _draw(ax, drawn, steps, log=log, title=title, marks=marks, legend=legend, ylabel=ylabel, own=own,
              inset=inset, annotate=annotate)  # fmt: skip
        if path is not None:
            with write_atomically(path) as f:  # the picture appears whole or not at all, as a table does
                fig.savefig(f, format=suffix[1:], dpi=dpi)  # the temporary's name does not say the format
    finally:
        if path is not None and own:
            plt.close(fig)
    return fig


def _draw(ax, drawn, steps, *, log, title, marks, legend, ylabel, own, inset, annotate):
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

    fig = ax.figure
    lines, kinds = [], set()
    for c in drawn:
        y = np.where(c.values > 0.0, c.values, np.nan) if log else c.values
        (line,) = ax.plot(c.steps, y, lw=1.8, label=c.label, solid_joinstyle="round")
        lines.append(line)
    ax.set_xlim(0, max(1, steps - 1))
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_formatter(FuncFormatter(steps_label))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10], integer=True))
    positive = np.concatenate([c.values[c.values > 0.0] for c in drawn] or [np.ones(1)])
    if log:
        ax.set_yscale("log")
        span = math.log10(float(positive.max()) / float(positive.min())) if positive.size else 1.0
        ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=(1.0, 2.0, 5.0) if span < 2 else (1.0,)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        lo = min(float(c.values.min()) for c in drawn)
        hi = max(float(c.values.max()) for c in drawn)
        if lo >= 0.0:  # from 0: a schedule that ends at 0.05 is told from one that ends at 0
            top = hi * 1.06 if hi > 0 else 1.0
            ax.set_ylim(-0.02 * top, top)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos=None: value_label(v)))
    ax.grid(alpha=0.25)
    ax.tick_params(labelsize=10)
    if marks:
        for c, line in zip(drawn, lines):
            for step, kind in c.marks:
                ax.axvline(step, color=line.get_color(), lw=1.0, ls=MARK_KINDS[kind][1], alpha=0.75, zorder=1.5,
                           gid=f"mark-{kind}")  # fmt: skip
                kinds.add(kind)
    if annotate:
        _annotate(ax, drawn, lines, log)
    note = log_note(drawn) if log else None
    if note:
        ax.annotate(note, xy=(0, 1), xycoords="axes fraction", xytext=(0, 4), textcoords="offset points",
                    ha="left", va="bottom", fontsize=8.5, color="0.3", gid="log-note")  # fmt: skip
    if title:
        ax.set_title(title, pad=18 if note else 6)
    first = _first_phase_end(drawn)
    if inset is True or (inset == "auto" and first is not None and first < INSET_BELOW * steps):
        _inset(ax, drawn, lines, steps, max(first or steps // 50, 1), log=log, marks=marks)
    if legend is False:
        return
    handles = list(lines) + [
        Line2D([], [], color="0.3", lw=1.0, ls=MARK_KINDS[k][1]) for k in MARK_KINDS if k in kinds
    ]
    texts = [c.label for c in drawn] + [MARK_KINDS[k][0] for k in MARK_KINDS if k in kinds]
    where = legend if isinstance(legend, str) else ("below" if own else "right")
    fontsize = 9.0
    char = 0.55 * fontsize / 72  # inches per character, about
    if where == "below":
        cols, texts = _legend_layout(texts, int(fig.get_figwidth() * 0.96 / char))
        kw = dict(loc="outside lower center") if own else dict(loc="upper center", bbox_to_anchor=(0.5, -0.16))
        target = fig if own else ax
        target.legend(handles, texts, ncols=cols, fontsize=fontsize, frameon=False, handlelength=2.4, **kw)
    elif where == "right":
        width = int(max(12, fig.get_figwidth() * 0.22 / char))
        ax.legend(handles, [_wrap(t, width) for t in texts], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  borderaxespad=0.0, fontsize=fontsize, frameon=False, handlelength=2.4)  # fmt: skip
    else:
        ax.legend(handles, [_wrap(t, 40) for t in texts], loc="best", fontsize=fontsize, framealpha=0.9,
                  edgecolor="none", handlelength=2.4)  # fmt: skip


def _first_phase_end(drawn):
    """The first step past the shortest first phase (a warmup, or the first of a few phases) among ``drawn``."""
    ends = []
    for c in drawn:
        d = c.description
        if d.warmup_end is not None:
            ends.append(d.warmup_end)
        elif 1 < len(d.phases) <= MAX_PHASES:
            ends.append(d.phases[0].stop - 1)
    ends = [e for e in ends if e > 0]
    return min(ends) if ends else None


def _round_up(x):
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is >= ``x``."""
    p = 10.0 ** math.floor(math.log10(x))
    return next(m * p for m in (1, 2, 2.5, 5, 10) if m * p >= x)


def _inset_data(c, hi):
    """(steps, values) of curve ``c`` over ``0 .. hi``: every step (decimated) when that is few enough."""
    if hi + 1 <= EXACT_LIMIT:
        return _decimate(c.schedule.table(hi + 1), 1_000)
    keep = c.steps <= hi
    return c.steps[keep], c.values[keep]


def _inset(ax, drawn, lines, steps, first, *, log, marks):
    """The first ``2.5 * first`` steps again, magnified, over the corner of ``ax`` where the curves are not."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    hi = int(min(steps - 1, _round_up(max(10, 2.5 * first))))
    w, h = 0.34, 0.40
    candidates = [(0.63, 0.52), (0.63, 0.10), (0.36, 0.52), (0.36, 0.10)]  # upper/lower right, then middle
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    tf = (lambda v: np.log10(np.where(v > 0, v, np.nan))) if log else (lambda v: v)
    ty0, ty1 = (math.log10(y0), math.log10(y1)) if log else (y0, y1)
    fx = np.concatenate([(c.steps - x0) / (x1 - x0) for c in drawn])
    fy = np.concatenate([(tf(c.values) - ty0) / (ty1 - ty0) for c in drawn])

    def crowd(corner):  # points under the inset and its tick labels (about 0.07 left and 0.09 below)
        cx, cy = corner
        return int(np.sum((fx > cx - 0.07) & (fx < cx + w + 0.02) & (fy > cy - 0.09) & (fy < cy + h + 0.04)))

    corner = min(candidates, key=crowd)
    sub = ax.inset_axes([corner[0], corner[1], w, h])
    for c, line in zip(drawn, lines):
        x, y = _inset_data(c, hi)
        sub.plot(x, np.where(y > 0, y, np.nan) if log else y, color=line.get_color(), lw=1.5)
        if marks:
            for step, kind in c.marks:
                if step <= hi:
                    sub.axvline(step, color=line.get_color(), lw=0.9, ls=MARK_KINDS[kind][1], alpha=0.75)
    sub.set_xlim(0, hi)
    if log:
        sub.set_yscale("log")
    sub.xaxis.set_major_formatter(FuncFormatter(steps_label))
    sub.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=True))
    if not log:
        sub.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
    sub.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos=None: value_label(v)))
    sub.tick_params(labelsize=8, length=2.5, pad=1.5)
    sub.grid(alpha=0.25)
    sub.set_facecolor("white")
    sub.set_title(f"steps 0..{steps_label(hi)}", fontsize=8.5, pad=3)
    sub.set_gid("inset")
    ax.axvspan(0, hi, color="0.5", alpha=0.10, lw=0, zorder=0.5)
    return sub


def _annotate(ax, drawn, lines, log):
    """A dot and the value at each curve's peak (filled) and at its last step (open).  End labels sit above
    and left of their dot, in the order of the values (a lower end's label lower), spaced so they do not
    collide; labels have a white backing so a line behind them does not hide them."""
    y0, y1 = ax.get_ylim()
    scale = math.log10 if log else (lambda v: v)
    s0, s1 = scale(y0), scale(y1)
    pos = ax.get_position()
    height = pos.height * ax.figure.get_figheight() * 72  # the axes' height in points, about
    backing = dict(boxstyle="square,pad=0.15", fc="white", ec="none", alpha=0.8)
    peaks, ends = set(), []
    for c, line in zip(drawn, lines):
        d, color = c.description, line.get_color()
        if not all(p.trend == "flat" for p in d.phases) and (d.peak_at, d.peak) not in peaks:  # one label a point
            peaks.add((d.peak_at, d.peak))
            frac = (scale(d.peak) - s0) / (s1 - s0)
            ax.plot([d.peak_at], [d.peak], "o", ms=4.5, color=color, zorder=3, clip_on=False)
            ax.annotate(f"peak {value_label(d.peak, 3)}", xy=(d.peak_at, d.peak), xytext=(5, -5 if frac > 0.8 else 5),
                        textcoords="offset points", ha="left", va="top" if frac > 0.8 else "bottom", fontsize=8.5,
                        color=color, bbox=backing)  # fmt: skip
        if not (log and d.end_value <= 0):
            ends.append(((scale(d.end_value) - s0) / (s1 - s0), d, color))
    placed = math.inf
    for frac, d, color in sorted(ends, key=lambda e: -e[0]):
        at = min(frac + 0.05, placed - 15.0 / height)  # 15 points (a label and a gap) below the one above
        placed = at = max(at, 0.02)
        ax.plot([d.steps - 1], [d.end_value], "o", ms=4.5, color=color, mfc="white", zorder=3, clip_on=False)
        ax.annotate(f"end {value_label(d.end_value, 3)}", xy=(d.steps - 1, d.end_value),
                    xytext=(-5, (at - frac) * height), textcoords="offset points", ha="right", va="bottom",
                    fontsize=8.5, color=color, bbox=backing)  # fmt: skip
