"""Programs: the lowered, data-only form of a schedule, and composition on them.

A Program is a product of *layers*; a layer is a list of *segments* sorted by
their first global step, the first at step 0 and the last open-ended.  A
segment holds an op code, the time origin it measures local time from, and
its parameters.  The value of a segment at step ``s`` is

    a * g_op(t) + b * (1 - g_op(t))     (two-point ops: from a at t = 0 to b)
    a * g_op(t)                         (one-point ops)

with ``t = s - origin`` 
(see ``_kernels.py`` for every ``g``).  Composition never compiles anything:
``join`` shifts and cuts segment arrays, ``product`` stacks layers, ``scale``
multiplies ``a`` and ``b``.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

MAX_STEP = 2**62  # largest step lrsched evaluates; keeps step + offset inside int64

N_FLOAT = 6  # a, b and up to four float shape parameters
N_INT = 1  # one integer shape parameter (a length or period)


class Op(IntEnum):
    """Op codes; the numbers are the ones ``_kernels._fill`` dispatches on."""

    CONST = 0  # a
    LINEAR = 1  # two-point, g = (L - t) / L
    COSINE = 2  # two-point, g = ((1 + cos(pi t / L)) / 2) ** exponent
    POLY = 3  # two-point, g = ((L - t) / L) ** power
    EXP = 4  # a * clip(rate ** (t / T), lo, hi)
    EXP_STAIR = 5  # a * clip(rate ** (t // T), lo, hi)
    INVTIME = 6  # a / (1 + rate * t / T)
    INVTIME_STAIR = 7  # a / (1 + rate * (t // T))
    INVSQRT = 8  # a * sqrt(ts / (t + ts))
    TANH = 9  # two-point, g = (1 - tanh(lower (1 - t/L) + upper t/L)) / 2
    EXPWARM = 10  # two-point, g = (exp(-k t / L) - exp(-k)) / (1 - exp(-k))


TWO_POINT = (Op.LINEAR, Op.COSINE, Op.POLY, Op.TANH, Op.EXPWARM)


class Segment:
    """One segment, as factories write it (local start 0 unless ``start`` is given)."""

    __slots__ = ("start", "op", "f", "i", "origin")

    def __init__(self, start, op, a, b=0.0, shape=(), length=0, origin=None):
        if op in TWO_POINT and a == b:  # from a value to itself: exactly constant
            op, b, shape = Op.CONST, 0.0, ()
        self.start = int(start)
        self.op = int(op)
        f = [float(a), float(b), *map(float, shape)]
        self.f = f + [0.0] * (N_FLOAT - len(f))
        self.i = [int(length)]
        self.origin = self.start if origin is None else int(origin)


class Program:
    """Segment arrays of a schedule.  Immutable by convention; built by factories."""

    __slots__ = ("seg_start", "seg_origin", "seg_op", "fparams", "iparams", "layer_ptr", "_key")

    def __init__(self, seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr):
        self.seg_start = np.ascontiguousarray(seg_start, dtype=np.int64)
        self.seg_origin = np.ascontiguousarray(seg_origin, dtype=np.int64)
        self.seg_op = np.ascontiguousarray(seg_op, dtype=np.int64)
        self.fparams = np.ascontiguousarray(fparams, dtype=np.float64).reshape(-1, N_FLOAT)
        self.iparams = np.ascontiguousarray(iparams, dtype=np.int64).reshape(-1, N_INT)
        self.layer_ptr = np.ascontiguousarray(layer_ptr, dtype=np.int64)
        for a in self.arrays:
            a.flags.writeable = False
        self._key = None

    # -- construction -------------------------------------------------------

    @classmethod
    def from_segments(cls, segments):
        """A one-layer program from ``Segment``s in increasing ``start``, the first at 0."""
        return cls._stack([_drop_empty(segments)])

    @classmethod
    def _stack(cls, layers):
        segs = [s for layer in layers for s in layer]
        ptr = np.cumsum([0] + [len(layer) for layer in layers])
        return cls(
            [s.start for s in segs],
            [s.origin for s in segs],
            [s.op for s in segs],
            [s.f for s in segs],
            [s.i for s in segs],
            ptr,
        )

    def layers(self):
        """The layers as lists of ``Segment`` (for composition)."""
        out = []
        for lo, hi in zip(self.layer_ptr[:-1], self.layer_ptr[1:]):
            layer = []
            for k in range(lo, hi):
                s = Segment.__new__(Segment)
                s.start = int(self.seg_start[k])
                s.origin = int(self.seg_origin[k])
                s.op = int(self.seg_op[k])
                s.f = [float(x) for x in self.fparams[k]]
                s.i = [int(x) for x in self.iparams[k]]
                layer.append(s)
            out.append(layer)
        return out

    # -- composition ----------------------------------------------------------

    @classmethod
    def join(cls, programs, boundaries):
        """Piece k on [boundaries[k-1], boundaries[k]) with local time ``step - boundaries[k-1]``."""
        edges = [0, *boundaries]
        n_layers = max(p.n_layers for p in programs)
        one = [Segment(0, Op.CONST, 1.0)]
        layers = []
        for depth in range(n_layers):
            joined = []
            for k, prog in enumerate(programs):
                offset = edges[k]
                limit = edges[k + 1] if k + 1 < len(edges) else MAX_STEP + 1
                piece = prog.layers()
                for s in piece[depth] if depth < len(piece) else one:
                    begin = s.start + offset
                    if begin >= limit:
                        break
                    s.start = begin
                    s.origin += offset
                    joined.append(s)
            layers.append(_drop_empty(joined))
        return cls._stack(layers)

    @classmethod
    def product(cls, programs):
        """Pointwise product: the layers of every factor, stacked."""
        return cls._stack([layer for p in programs for layer in p.layers()])

    def scaled(self, factor):
        """The same program times a constant (``a`` and ``b`` of the first layer)."""
        f = self.fparams.copy()
        first = slice(self.layer_ptr[0], self.layer_ptr[1])
        with np.errstate(over="ignore"):  # an overflow shows in bound(); scale() rejects it
            f[first, :2] *= factor
        return Program(self.seg_start, self.seg_origin, self.seg_op, f, self.iparams, self.layer_ptr)

    def bound(self):
        """An upper bound of |value| at any step (every op stays within its a, b and clip bound)."""
        out = 1.0
        for lo, hi in zip(self.layer_ptr[:-1], self.layer_ptr[1:]):
            f = np.abs(self.fparams[lo:hi])
            grows = np.isin(self.seg_op[lo:hi], (Op.EXP, Op.EXP_STAIR)) & (f[:, 2] > 1.0)
            growth = np.where(grows, f[:, 4], 1.0)  # a growing exponential stops at a * hi
            with np.errstate(over="ignore", invalid="ignore"):
                out *= float(np.max(np.maximum(f[:, 0] * growth, f[:, 1])))
        return out

    # -- plumbing -------------------------------------------------------------

    @property
    def n_layers(self):
        return self.layer_ptr.size - 1

    @property
    def arrays(self):
        return (self.seg_start, self.seg_origin, self.seg_op, self.fparams, self.iparams, self.layer_ptr)

    def key(self):
        """Bytes that identify the program (for equality and hashing)."""
        if self._key is None:
            self._key = b"|".join(a.tobytes() for a in self.arrays)
        return self._key

    def __eq__(self, other):
        return isinstance(other, Program) and self.key() == other.key()

    def __hash__(self):
        return hash(self.key())

    def __repr__(self):
        rows = []
        for depth, layer in enumerate(self.layers()):
            for s in layer:
                rows.append(f"  layer {depth} from {s.start}: {Op(s.op).name} origin={s.origin} f={s.f} i={s.i}")
        return "Program(\n" + "\n".join(rows) + "\n)"


def _drop_empty(segments):
    """Drop segments that a later one starting at the same step hides."""
    out = []
    for s in segments:
        if out and out[-1].start == s.start:
            out[-1] = s
        else:
            out.append(s)
    return out
