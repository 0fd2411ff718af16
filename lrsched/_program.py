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

A ``CYCLE`` segment repeats a *body*: a short list of segments in the local
time of one cycle, stored after the layers' segments and referenced by index.
Cycle ``i`` has its own length (constant, or growing geometrically), the
body's last segment stretches to fill it, and the cycle's values are pulled
towards an anchor by a per-cycle factor.  However many cycles there are, the
program holds the body once: memory never grows with the number of cycles.
"""

from __future__ import annotations

import math
from enum import IntEnum

import numpy as np

MAX_STEP = 2**62  # largest step lrsched evaluates; keeps step + offset inside int64

N_FLOAT = 8  # a, b and up to six float shape parameters
N_INT = 6  # a length (or period) and up to five more integers


class Op(IntEnum):
    """Op codes: what a segment computes (see ``_kernels.py`` for every ``g``)."""

    CONST = 0  # a
    LINEAR = 1  # two-point, g = (L - t) / L
    COSINE = 2  # two-point, g = (1 + cos(pi t / L)) / 2
    POLY = 3  # two-point, g = ((L - t) / L) ** power, power 1 or 2
    EXP = 4  # a * clip(rate ** (t / T), lo, hi)
    EXP_STAIR = 5  # a * clip(rate ** (t // T), lo, hi)
    INVTIME = 6  # a / (1 + rate * t / T)
    INVTIME_STAIR = 7  # a / (1 + rate * (t // T))
    INVSQRT = 8  # a * sqrt(ts / (t + ts))
    TANH = 9  # two-point, g = (1 - tanh(lower (1 - t/L) + upper t/L)) / 2
    EXPWARM = 10  # two-point, g = (exp(-k t / L) - exp(-k)) / (1 - exp(-k))
    INVPOLY = 11  # two-point, g = 1 - (t / L) ** power, a whole or half power
    EXP2 = 12  # two-point, g = 2 ** (1 - t / L) - 1  (Megatron's "exponential" decay)
    NOISE = 13  # a * (1 + n(seed, t)), n deterministic per (seed, t)
    CYCLE = 14  # a body repeated in cycles (see the module docstring)
    COSINE_POW = 15  # two-point, g = ((1 + cos(pi p)) / 2) ** exponent, p = (t / L) ** k: COSINE with powers
    POLY_POW = 16  # two-point, g = (1 - p) ** power, p = (t / L) ** k: POLY with any other power or a k
    CYCLE_PULL = 17  # CYCLE whose values are also pulled to the anchor by gamma ** t (exp_range)
    LINEAR_REAL = 18  # LINEAR between real knots (f[7] > 0): t - f[6] over the real length f[7]
    COSINE_REAL = 19  # COSINE between real knots, as LINEAR_REAL
    COSINE_HALVES = 20  # COSINE_POW whose exponent and k are whole or half numbers (see ``halves``)
    POLY_HALVES = 21  # POLY_POW whose power and k are whole or half numbers
    NOISE_CENTRAL = 22  # NOISE, gaussian whose quantiles stay central (h = f[4] <= 0.425): no log
    NOISE_UNIFORM = 23  # NOISE, uniform (i[2] = 1)
    LOGWARM = 24  # two-point, 1 - g = log(t + 1) / log(L)  (DeepSpeed's "log" warmup: b already at t = L - 1)
    POLY_CYCLE = 25  # two-point, g = (1 - t / L_t) ** power, L_t = L max(1, ceil(t / L)), power 1 or 2 (Keras' cycle)
    STABLE_DECAY = 26  # b + (max(a S, b) - b) D: a decay D times a falling stable phase S (timm's WSD)
    POLY_CYCLE_HALVES = 27  # POLY_CYCLE with another whole or half power
    STABLE_DECAY_HALVES = 28  # STABLE_DECAY with whole or half powers and no exponential decay
    POLY_CYCLE_POW = 29  # POLY_CYCLE with any other power


# The compiled functions of ``_kernels.py`` each op needs, by name: the one place that says which
# code a schedule compiles.  An op's kernel fills its segment; a cycle is walked by the tiler
# (``cycle_runs``, and ``tile`` for repeated periods) and its body's ops by their own kernels.
# Ops that take powers, logs or the noise's quantile block by block (the block math) have kernels
# of their own, so a schedule without them never compiles it.
NEEDS = {
    Op.CONST: (),  # NumPy fills it (in a cycle's body, see IN_A_CYCLE)
    Op.LINEAR: ("fill_linear",),
    Op.COSINE: ("fill_cosine",),
    Op.POLY: ("fill_poly",),
    Op.EXP: ("fill_exp",),
    Op.EXP_STAIR: ("fill_exp_stair",),
    Op.INVTIME: ("fill_invtime",),
    Op.INVTIME_STAIR: ("fill_invtime_stair",),
    Op.INVSQRT: ("fill_invsqrt",),
    Op.TANH: ("fill_tanh",),
    Op.EXPWARM: ("fill_expwarm",),
    Op.INVPOLY: ("fill_invpoly",),
    Op.EXP2: ("fill_exp2",),
    Op.NOISE: ("fill_noise",),
    Op.CYCLE: ("cycle_runs", "tile"),
    Op.COSINE_POW: ("fill_cosine_pow",),
    Op.POLY_POW: ("fill_poly_pow",),
    Op.CYCLE_PULL: ("cycle_runs", "tile", "cycle_pull"),
    Op.LINEAR_REAL: ("fill_linear_real",),
    Op.COSINE_REAL: ("fill_cosine_real",),
    Op.COSINE_HALVES: ("fill_cosine_halves",),
    Op.POLY_HALVES: ("fill_poly_halves",),
    Op.NOISE_CENTRAL: ("fill_noise_central",),
    Op.NOISE_UNIFORM: ("fill_noise_uniform",),
    Op.LOGWARM: ("fill_logwarm",),
    Op.POLY_CYCLE: ("fill_poly_cycle",),
    Op.STABLE_DECAY: ("fill_stable_decay",),
    Op.POLY_CYCLE_HALVES: ("fill_poly_cycle_halves",),
    Op.STABLE_DECAY_HALVES: ("fill_stable_decay_halves",),
    Op.POLY_CYCLE_POW: ("fill_poly_cycle_pow",),
}

# A cycle's body segments take their runs in batches from the tiler: there a constant needs a kernel too.
IN_A_CYCLE = {Op.CONST: ("fill_const",)}
# Kernels an output type may need beyond its ops': a float32 table of a product of layers or of a cycle
# rounds float64 chunks with ``narrow`` (op kernels write float32 themselves; float64 needs none).
OUTPUTS = {"float32": ("narrow",)}

CYCLES = (Op.CYCLE, Op.CYCLE_PULL)
POLY_CYCLES = (Op.POLY_CYCLE, Op.POLY_CYCLE_HALVES, Op.POLY_CYCLE_POW)  # Keras' cycling polynomial: restarts inside one segment
NOISES = (Op.NOISE, Op.NOISE_CENTRAL, Op.NOISE_UNIFORM)
TWO_POINT = (Op.LINEAR, Op.COSINE, Op.POLY, Op.TANH, Op.EXPWARM, Op.INVPOLY, Op.EXP2, Op.COSINE_POW, Op.POLY_POW,
             Op.LINEAR_REAL, Op.COSINE_REAL, Op.COSINE_HALVES, Op.POLY_HALVES, Op.LOGWARM,
             Op.POLY_CYCLE, Op.POLY_CYCLE_HALVES, Op.POLY_CYCLE_POW)  # fmt: skip

# shape parameters an op falls back to when a factory gives fewer
_DEFAULT_SHAPE = {Op.COSINE: (1.0, 1.0), Op.POLY: (1.0, 1.0)}  # (exponent or power, k-decay)


def halves(e):
    """Whether the power kernels take ``x ** e`` with multiplies and at most one square root:
    e = n + h / 2 with 0 < e <= 32 (``nice`` in ``_kernels.py``, the same test)."""
    twice = 2.0 * e
    return 0.0 < e <= 32.0 and twice == math.floor(twice)


def _variant(op, f, i):
    """The op code a segment's parameters (floats ``f``, integers ``i``) make of ``op``: LINEAR
    and COSINE between real knots become LINEAR_REAL and COSINE_REAL, COSINE and POLY with powers
    that need the block math COSINE_POW and POLY_POW (or their HALVES variants, which compile no
    log or exp), a cycle pulled per step CYCLE_PULL, a uniform noise NOISE_UNIFORM and a gaussian
    whose quantiles stay central NOISE_CENTRAL.  INVPOLY takes whole or half powers only (``wsd``'s
    1-sqrt)."""
    if op in (Op.LINEAR, Op.COSINE) and f[7] > 0.0:
        return Op.LINEAR_REAL if op == Op.LINEAR else Op.COSINE_REAL
    if op == Op.COSINE and not (f[2] == 1.0 and f[3] == 1.0):
        return Op.COSINE_HALVES if halves(f[2]) and halves(f[3]) else Op.COSINE_POW
    if op == Op.POLY and (f[3] != 1.0 or not (f[2] == 1.0 or f[2] == 2.0)):
        return Op.POLY_HALVES if halves(f[2]) and halves(f[3]) else Op.POLY_POW
    if op == Op.INVPOLY and not halves(f[2]):
        raise ValueError(f"INVPOLY takes a whole or half power in (0, 32], not {f[2]!r}")  # factories' bug
    if op == Op.POLY_CYCLE and f[2] not in (1.0, 2.0):
        return Op.POLY_CYCLE_HALVES if halves(f[2]) else Op.POLY_CYCLE_POW
    # shape codes of _kernels.fill_stable_decay: 4 and 5 take the power f[3], 6 is the exponential
    if op == Op.STABLE_DECAY and (f[2] == 0.0 or halves(f[2])) and i[3] != 6 and (i[3] < 4 or halves(f[3])):
        return Op.STABLE_DECAY_HALVES
    if op == Op.CYCLE and i[4] & CYCLE_PER_STEP:
        return Op.CYCLE_PULL
    if op == Op.NOISE and i[2] != 0:
        return Op.NOISE_UNIFORM
    if op == Op.NOISE and f[4] <= 0.425:  # |w h| <= 0.425 for every uniform |w| < 1
        return Op.NOISE_CENTRAL
    return op

# CYCLE segment layout
#   f: [anchor, 0, decay, peaks mode (1) or amplitude mode (0), mult (float lengths), gamma per step,
#       period (float lengths)]
#   i: [first length, integer multiplier (0: float lengths), body lo, body hi, flags]
# In peaks mode, body segments say which of their end values decay (i[5]: bit 0 for a, bit 1 for b).
PEAK_A, PEAK_B = 1, 2
CYCLE_STRETCH = 1  # the body's last segment fills each cycle
CYCLE_PER_STEP = 2  # values are also pulled to the anchor by gamma ** t


class Segment:
    """One segment, as factories write it (local start 0 unless ``start`` is given)."""

    __slots__ = ("start", "op", "f", "i", "origin", "body")

    def __init__(self, start, op, a, b=0.0, shape=(), length=0, origin=None, ints=(), body=None, collapse=True):
        if collapse and op in TWO_POINT and a == b:  # from a value to itself: exactly constant
            op, b, shape = Op.CONST, 0.0, ()
        default = _DEFAULT_SHAPE.get(op)
        if default is not None and len(shape) < len(default):
            shape = (*shape, *default[len(shape) :])
        self.start = int(start)
        f = [float(a), float(b), *map(float, shape)]
        f.extend([0.0] * (N_FLOAT - len(f)))
        self.f = f
        i = [int(length), *map(int, ints)]
        i.extend([0] * (N_INT - len(i)))
        self.i = i
        self.op = int(_variant(op, f, i))
        self.origin = self.start if origin is None else int(origin)
        self.body = body

    def copy(self):
        s = Segment.__new__(Segment)
        s.start, s.op, s.f, s.i, s.origin = self.start, self.op, list(self.f), list(self.i), self.origin
        s.body = None if self.body is None else [b.copy() for b in self.body]
        return s


class Program:
    """Segment arrays of a schedule.  Immutable by convention; built by factories.

    A program keeps its segments as plain Python rows and makes the six arrays
    the kernels read (``arrays``) on first use: the programs a factory builds on
    the way to its result (a warmup ramp, a decay, before ``join``) never pay
    for arrays, which is most of the cost of building a schedule in a sweep.
    """

    __slots__ = ("_rows", "_sizes", "_arrays", "_key", "_bound")

    def __init__(self, rows, sizes):
        self._rows = rows  # (start, origin, op, f, i) per segment, layers first and then bodies
        self._sizes = sizes  # segments per layer
        self._arrays = None
        self._key = None
        self._bound = None

    # -- construction -------------------------------------------------------

    @classmethod
    def from_segments(cls, segments):
        """A one-layer program from ``Segment``s in increasing ``start``, the first at 0."""
        return cls._stack([_drop_empty(segments)])

    @classmethod
    def _stack(cls, layers):
        main = [s for layer in layers for s in layer]
        rows = [(s.start, s.origin, s.op, list(s.f), list(s.i)) for s in main]
        for k, s in enumerate(main):  # bodies go after every layer's segments
            if s.body is not None:
                rows[k][4][2] = len(rows)
                rows.extend((b.start, b.origin, b.op, list(b.f), list(b.i)) for b in s.body)
                rows[k][4][3] = len(rows)
        return cls(rows, [len(layer) for layer in layers])

    def _segment(self, k):
        s = Segment.__new__(Segment)
        s.start, s.origin, s.op, f, i = self._rows[k]
        s.f = list(f)
        s.i = list(i)
        s.body = [self._segment(b) for b in range(i[2], i[3])] if s.op in CYCLES else None
        return s

    def layers(self):
        """The layers as lists of fresh ``Segment`` objects (for composition)."""
        out = []
        lo = 0
        for size in self._sizes:
            out.append([self._segment(k) for k in range(lo, lo + size)])
            lo += size
        return out

    def segments(self):
        """``(op, f, i)`` of every segment (layers, then cycle bodies), as plain Python data."""
        return ((r[2], r[3], r[4]) for r in self._rows)

    @property
    def arrays(self):
        """``(seg_start, seg_origin, seg_op, fparams, iparams, layer_ptr)``, read-only, as the kernels take them."""
        if self._arrays is None:
            rows = self._rows
            ints = np.array([(r[0], r[1], r[2], *r[4]) for r in rows], np.int64).T  # one conversion
            arrays = (
                ints[0].copy(),
                ints[1].copy(),
                ints[2].copy(),
                np.array([r[3] for r in rows], np.float64),
                ints[3:].T.copy(),
                np.array([0, *self._sizes], np.int64).cumsum(),
            )
            for a in arrays:
                a.flags.writeable = False
            self._arrays = arrays
        return self._arrays

    seg_start = property(lambda self: self.arrays[0])
    seg_origin = property(lambda self: self.arrays[1])
    seg_op = property(lambda self: self.arrays[2])
    fparams = property(lambda self: self.arrays[3])
    iparams = property(lambda self: self.arrays[4])
    layer_ptr = property(lambda self: self.arrays[5])

    @property
    def has_cycles(self):
        return any(r[2] in CYCLES for r in self._rows)

    def kernels(self):
        """The names of the compiled functions that evaluate this program in float64 (``NEEDS`` of
        its ops, and ``IN_A_CYCLE`` of its cycles' bodies)."""
        top = sum(self._sizes)
        return sorted({name for k, r in enumerate(self._rows)
                       for name in NEEDS[r[2]] + (IN_A_CYCLE.get(r[2], ()) if k >= top else ())})  # fmt: skip

    # -- composition ----------------------------------------------------------

    @classmethod
    def join(cls, programs, boundaries):
        """Piece k on [boundaries[k-1], boundaries[k]) with local time ``step - boundaries[k-1]``."""
        edges = [0, *boundaries]
        n_layers = max(p.n_layers for p in programs)
        pieces = [p.layers() for p in programs]  # fresh Segment objects, ours to shift
        layers = []
        for depth in range(n_layers):
            joined = []
            for k, piece in enumerate(pieces):
                offset = edges[k]
                limit = edges[k + 1] if k + 1 < len(edges) else MAX_STEP + 1
                # a piece with fewer layers is 1 in the missing ones
                for s in piece[depth] if depth < len(piece) else [Segment(0, Op.CONST, 1.0)]:
                    begin = s.start + offset
                    if begin >= limit:
                        break
                    s.start = begin
                    s.origin += offset
                    joined.append(s)
            layers.append(_drop_empty(joined))
        return cls._stack(layers)

    @classmethod
    def overlay(cls, head, tail, at):
        """``head`` on steps ``[0, at)``, then ``tail`` in its own (global) time: ``tail`` with its
        first ``at`` steps replaced (a warmup that covers a schedule's start instead of preceding it)."""
        heads, tails = head.layers(), tail.layers()
        layers = []
        for depth in range(max(len(heads), len(tails))):
            first = heads[depth] if depth < len(heads) else [Segment(0, Op.CONST, 1.0)]
            rest = tails[depth] if depth < len(tails) else [Segment(0, Op.CONST, 1.0)]
            kept = [s for s in first if s.start < at]
            later = [s for s in rest if s.start > at]
            holding = [s for s in rest if s.start <= at][-1]  # the tail's segment that holds step ``at``
            holding.start = at
            layers.append(_drop_empty([*kept, holding, *later]))
        return cls._stack(layers)

    @classmethod
    def product(cls, programs):
        """Pointwise product: the layers of every factor, stacked."""
        return cls._stack([layer for p in programs for layer in p.layers()])

    def scaled(self, factor):
        """The same program times a constant (``a`` and ``b`` of the first layer and its bodies)."""
        layers = self.layers()
        for s in layers[0]:
            for seg in [s, *(s.body or ())]:
                seg.f[0] *= factor  # Python floats: an overflow is inf, which bound() reports
                seg.f[1] *= factor
        return Program._stack(layers)

    def bound(self):
        """An upper bound of |value| at any step: each op stays within its a, b (and clip bound),
        a noise factor within 2, a cycle within its body and anchor."""
        if self._bound is None:
            self._bound = self._compute_bound()
        return self._bound

    def _compute_bound(self):
        out = 1.0
        for layer in self.layers():
            top = 0.0
            for k, s in enumerate(layer):
                segs = [s, *(s.body or ())]
                grow = 1.0
                if s.op in CYCLES and s.f[2] > 1.0:  # growing cycles: up to decay ** (n - 1) in n cycles
                    end = layer[k + 1].start if k + 1 < len(layer) else MAX_STEP
                    grow = _power(s.f[2], _cycles_in(end - s.start, s.i[0], s.i[1], s.f[4]) - 1)
                for seg in segs:
                    a, b = abs(seg.f[0]), abs(seg.f[1])
                    if seg.op in (Op.EXP, Op.EXP_STAIR) and seg.f[2] > 1.0:
                        a *= seg.f[4]  # a growing exponential stops at a * hi
                    if seg.op in NOISES:
                        a *= 2.0
                    if seg is not s and grow != 1.0:
                        a, b = (a + abs(s.f[0])) * grow + abs(s.f[0]), (b + abs(s.f[0])) * grow + abs(s.f[0])
                    top = max(top, a, b)
            out *= top
        return out

    # -- plumbing -------------------------------------------------------------

    @property
    def n_layers(self):
        return len(self._sizes)

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
                for b in s.body or ():
                    rows.append(f"    body from {b.start}: {Op(b.op).name} origin={b.origin} f={b.f} i={b.i}")
        return "Program(\n" + "\n".join(rows) + "\n)"


def _power(x, n):
    """x ** n, inf where it overflows."""
    try:
        return math.pow(x, n)
    except OverflowError:
        return math.inf


def _cycles_in(span, first, m, mult):
    """An upper bound of the number of cycles that start in ``span`` steps (cycle lengths
    ``first * m**i``, or growing by the float ``mult``)."""
    if m == 1 or (m == 0 and mult == 1.0):
        return -(-span // first)
    growth = m if m > 1 else mult
    return int(math.log(span * (growth - 1.0) / first + 1.0) / math.log(growth)) + 2


def _drop_empty(segments):
    """Drop segments that a later one starting at the same step hides."""
    out = []
    for s in segments:
        if out and out[-1].start == s.start:
            out[-1] = s
        else:
            out.append(s)
    return out
