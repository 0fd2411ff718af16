"""Hypothesis strategies: random schedules of every family and composites of them."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

import lrsched

values = st.one_of(
    st.sampled_from([0.0, 1.0, 0.1, 3e-4, 1e-8]),
    st.floats(min_value=0.0, max_value=10.0, allow_nan=False, allow_infinity=False),
)
positive = st.floats(min_value=1e-6, max_value=10.0)
lengths = st.one_of(st.integers(1, 12), st.integers(1, 2_000), st.integers(1, 10**6))
small = st.integers(0, 50)
# whole and half powers take the kernels' multiply-and-sqrt path, the others log and exp
powers = st.one_of(st.sampled_from([1.0, 0.5, 2.0, 1.5, 2.5, 3.0, 7.5, 32.0]), st.floats(min_value=0.05, max_value=8.0))
shapes = st.sampled_from(lrsched.schedules.WARMUP_SHAPES)


@st.composite
def _exponential(draw, warm=False):
    init = draw(positive)
    rate = draw(st.floats(min_value=0.01, max_value=3.0))
    end = None
    if rate > 1.0 or draw(st.booleans()):
        end = init * draw(st.floats(1.0, 100.0)) if rate > 1.0 else init * draw(st.floats(0.0, 1.0))
    kw = dict(decay_rate=rate, transition_steps=draw(lengths), staircase=draw(st.booleans()), end_value=end)
    if warm:
        return lrsched.warmup_exponential(
            peak_value=init, warmup_steps=draw(small), init_value=draw(values), warmup_shape=draw(shapes), **kw
        )
    return lrsched.exponential(init_value=init, transition_begin=draw(small), **kw)


@st.composite
def _decays(draw):
    kind = draw(st.sampled_from(["linear", "cosine", "polynomial", "tanh"]))
    kw = dict(init_value=draw(values), end_value=draw(values), steps=draw(lengths))
    if kind == "cosine":
        kw["exponent"] = draw(powers)
    if kind == "polynomial":
        kw["power"] = draw(powers)
    if kind == "polynomial" and draw(st.booleans()):  # Keras' cycle=True (no k-decay)
        kw["cycle"] = True
        kw["transition_begin"] = draw(st.sampled_from([0, 0, 3]) | st.integers(0, 10**4))
    elif kind in ("cosine", "polynomial") and draw(st.booleans()):
        kw["k"] = draw(st.one_of(st.sampled_from([2.0, 3.0, 0.5, 1.5]), st.floats(0.2, 5.0)))
    if kind == "tanh":
        lo = draw(st.floats(-10.0, 0.0))
        kw.update(lower=lo, upper=lo + draw(st.floats(0.5, 12.0)))
    return getattr(lrsched, kind)(**kw)


@st.composite
def _warmup_decays(draw):
    kind = draw(st.sampled_from(["warmup_cosine", "warmup_linear", "warmup_polynomial"]))
    w = draw(st.integers(0, 3_000))
    kw = dict(
        peak_value=draw(values), warmup_steps=w, total_steps=w + draw(lengths), end_value=draw(values),
        init_value=draw(values), warmup_shape=draw(shapes),
    )  # fmt: skip
    if kind == "warmup_cosine":
        kw["exponent"] = draw(powers)
    if kind == "warmup_polynomial":
        kw["power"] = draw(powers)
    return getattr(lrsched, kind)(**kw)


@st.composite
def _pieces(draw):
    n = draw(st.integers(1, 6))
    steps = sorted(draw(st.lists(st.integers(0, 10**5), min_size=n, max_size=n, unique=True)))
    kind = draw(st.sampled_from(["multistep", "piecewise_constant", "piecewise_linear"]))
    switch = draw(st.sampled_from(["at", "after", "before"]))
    if kind == "multistep":
        return lrsched.multistep(
            init_value=draw(values), milestones=sorted(draw(st.lists(st.integers(0, 10**5), max_size=6))),
            gamma=draw(st.floats(0.01, 2.0)), switch=switch,
        )  # fmt: skip
    vals = draw(st.lists(values, min_size=n + 1, max_size=n + 1))
    if kind == "piecewise_constant":
        return lrsched.piecewise_constant(boundaries=steps, values=vals, switch=switch)
    knots = sorted(draw(st.lists(st.integers(0, 10**5), min_size=n, max_size=n)))  # repeats: jumps
    return lrsched.piecewise_linear(knots=knots, values=vals[:n])


@st.composite
def _sgdr(draw):
    first = draw(st.integers(1, 50) | st.integers(1, 10**5))
    mult = draw(st.sampled_from([1, 2, 3]) | st.floats(1.0, 3.0) | st.integers(1, 10**3))
    peak = draw(values)
    limit = draw(st.none() | st.integers(1, 20))
    decay = draw(st.floats(0.05, 1.0) if limit is None else st.floats(0.05, 1.0) | st.floats(1.0, 3.0))
    ratio = draw(st.floats(0.0, 1.0))
    end = draw(st.sampled_from([dict(end_value=peak * ratio), dict(end_ratio=ratio)]))
    return lrsched.sgdr(
        peak, first, mult, **end, cycle_decay=decay, cycle_limit=limit,
        shape=draw(st.sampled_from(lrsched.cycles.SGDR_SHAPES)), power=draw(powers),
        k=draw(st.sampled_from([1.0, 0.5, 2.0, 3.0, 1.7])), warmup_steps=draw(st.integers(0, first - 1)),
        decay_mode=draw(st.sampled_from(lrsched.cycles.DECAY_MODES)),
    )  # fmt: skip


@st.composite
def _restarts(draw):
    cycles = []
    for _ in range(draw(st.integers(1, 4))):
        w = draw(st.integers(0, 200))
        cycles.append(dict(peak_value=draw(values), warmup_steps=w, total_steps=w + draw(st.integers(1, 10**4)),
                           end_value=draw(values), init_value=draw(values), exponent=draw(powers)))  # fmt: skip
    return lrsched.restarts(cycles)


@st.composite
def _cosine_restarts(draw):
    w = draw(small)
    total = w + draw(st.integers(1, 10**5))
    return lrsched.cosine_restarts(
        peak_value=draw(values), total_steps=total, num_cycles=draw(st.integers(1, min(total - w, 40))),
        end_value=draw(values), warmup_steps=w, init_value=draw(values),
    )  # fmt: skip


@st.composite
def _cyclic(draw):
    mode = draw(st.sampled_from(lrsched.cycles.CYCLIC_MODES))
    return lrsched.cyclic(
        base_value=draw(values), max_value=draw(values), step_size_up=draw(st.integers(1, 2_000)),
        step_size_down=draw(st.none() | st.integers(1, 2_000)), mode=mode, gamma=draw(st.floats(0.5, 1.0)),
        scale_mode=draw(st.sampled_from([None, "cycle", "iterations"])),
    )  # fmt: skip


@st.composite
def _piecewise_anneal(draw):
    n = draw(st.integers(2, 5))
    gaps = draw(st.lists(st.floats(0.05, 5_000.0), min_size=n - 1, max_size=n - 1))
    knots = [-draw(st.floats(0.0, 3.0))]
    for gap in gaps:
        knots.append(knots[-1] + gap)
    return lrsched.piecewise_anneal(
        knots=knots, values=draw(st.lists(values, min_size=n, max_size=n)),
        anneal=draw(st.sampled_from(["cos", "linear"])),
    )  # fmt: skip


@st.composite
def _one_cycle(draw):
    total = draw(st.integers(10, 10**5))
    three = draw(st.booleans())
    pct = draw(st.floats(0.1, 0.45))
    anneal = draw(st.sampled_from(["cos", "linear"]))
    final = {}
    if three and draw(st.booleans()):  # optax's pct_final: anywhere after the first phase
        final["pct_final"] = draw(st.floats(pct + 1e-3, 0.99).filter(lambda f: int(pct * total) < int(f * total) < total))
    if draw(st.booleans()):
        return lrsched.one_cycle_momentum(total_steps=total, pct_start=pct, anneal=anneal, three_phase=three, **final)
    return lrsched.one_cycle(
        max_value=draw(values), total_steps=total, pct_start=pct, anneal=anneal, three_phase=three,
        div_factor=draw(st.floats(1.0, 100.0)), final_div_factor=draw(st.floats(1.0, 1e4)), **final,
    )  # fmt: skip


@st.composite
def _wsd(draw):
    total = draw(st.integers(2, 10**5))
    d = draw(st.integers(1, total) | st.floats(1e-3, 1.0))
    d_steps = d if isinstance(d, int) else -(-d * total // 1)
    w_max = total - int(d_steps)
    w = draw(st.integers(0, max(0, w_max)))
    peak = draw(values)
    ends = draw(st.sampled_from(["min_ratio", "end_value"]))
    end = {"min_ratio": draw(st.floats(0.0, 1.0))} if ends == "min_ratio" else {"end_value": draw(st.floats(0.0, 1.0)) * peak}
    return lrsched.wsd(
        peak_value=peak, total_steps=total, warmup_steps=w, decay_steps=d, init_value=draw(values),
        warmup_shape=draw(shapes), stable=draw(st.sampled_from(lrsched.phases.STABLES)),
        decay_shape=draw(st.sampled_from(lrsched.phases.WSD_DECAYS)), power=draw(powers),
        stable_power=draw(powers), decay_ratio=draw(st.sampled_from([0.5, 0.1]) | st.floats(1e-3, 0.999)), **end,
    )  # fmt: skip


@st.composite
def _multi_wsd(draw):
    periods = draw(st.lists(st.integers(1, 10**5), min_size=1, max_size=4))
    kind = draw(st.sampled_from(["int", "fraction", "list"]))
    if kind == "int":
        decay = draw(st.integers(1, min(periods)))
        decays = [decay] * len(periods)
    elif kind == "list":
        decay = decays = [draw(st.integers(1, p)) for p in periods]
    else:
        decay = draw(st.floats(1e-6, 1.0))
        decays = [math.ceil(decay * p) for p in periods]
    room = min((p - d for p, d in zip(periods[1:], decays[1:])), default=10)  # the re-warm fits every period
    return lrsched.multi_wsd(
        peak_value=draw(values), warmup_steps=draw(small), periods=periods, decay_steps=decay, init_value=draw(values),
        warmup_shape=draw(shapes), decay_shape=draw(st.sampled_from(lrsched.phases.WSD_DECAYS)), power=draw(powers),
        min_ratio=draw(st.floats(0.0, 1.0)), rewarm_steps=draw(st.integers(0, room)), rewarm_shape=draw(shapes),
    )  # fmt: skip


sgdr_schedules = _sgdr()
cyclic_families = st.one_of(sgdr_schedules, _cosine_restarts(), _cyclic(), _one_cycle(), _piecewise_anneal(), _wsd())

_constant = st.builds(lrsched.constant, values)
_inverse_time = st.builds(
    lambda v, r, d, s: lrsched.inverse_time(init_value=v, decay_rate=r, decay_steps=d, staircase=s),
    values, st.floats(0.0, 5.0), lengths, st.booleans(),
)  # fmt: skip
_inverse_sqrt = st.builds(
    lambda p, w, ts, i: lrsched.inverse_sqrt(peak_value=p, warmup_steps=w, timescale=ts, init_value=i),
    values, st.integers(1, 5_000), st.one_of(st.none(), lengths), values,
)  # fmt: skip
_step = st.builds(lambda v, s, g: lrsched.step(init_value=v, step_size=s, gamma=g), values, lengths, st.floats(0.01, 1.0))
_warmup_constant = st.builds(lrsched.warmup_constant, peak_value=values, warmup_steps=small, init_value=values)

base = st.one_of(
    cyclic_families, _constant, _decays(), _warmup_decays(), _exponential(), _exponential(warm=True), _inverse_time,
    _inverse_sqrt, _step, _pieces(), _warmup_constant,
)  # fmt: skip


@st.composite
def _joined(draw):
    # pieces with different numbers of layers (products) exercise the padding of missing layers
    part = st.one_of(base, st.builds(lambda a, b: a * b, base, base))
    parts = draw(st.lists(part, min_size=1, max_size=4))
    bounds = sorted(draw(st.lists(st.integers(0, 10**6), min_size=len(parts) - 1,
                                  max_size=len(parts) - 1, unique=True)))  # fmt: skip
    return lrsched.join(parts, bounds)


@st.composite
def _noisy(draw):
    start = draw(st.integers(0, 10**6))
    return lrsched.noise(
        draw(base), std=draw(st.floats(0.01, 1.0)), pct=draw(st.floats(0.01, 1.0)),
        kind=draw(st.sampled_from(lrsched.schedules.NOISE_KINDS)), seed=draw(st.integers(0, 2**32 - 1)),
        start=start, stop=draw(st.none() | st.integers(start + 1, start + 10**6)),
    )  # fmt: skip


def _repeatable(s):
    return not s.program.has_cycles


composite = st.one_of(
    _joined(),
    st.builds(lrsched.repeat, base.filter(_repeatable), st.integers(1, 10**5)),
    _noisy(),
    st.builds(lambda s, w, i, sh: lrsched.warmup(s, w, i, sh), base, st.integers(0, 3_000), values, shapes),
    st.builds(lambda a, b: a * b, base, base),
    st.builds(lambda a, c: a * c, base, st.floats(0.0, 4.0)),
)

schedules = st.one_of(base, composite)


def _of_type(strategy, name):
    return strategy.filter(lambda s: s.to_dict()["type"] == name)


# One strategy per registered family (tests/test_accuracy.py checks that none is missing).
by_family = {
    "constant": _constant,
    **{name: _of_type(_decays(), name) for name in ("linear", "cosine", "polynomial", "tanh")},
    **{name: _of_type(_warmup_decays(), name) for name in ("warmup_cosine", "warmup_linear", "warmup_polynomial")},
    "exponential": _exponential(),
    "warmup_exponential": _exponential(warm=True),
    "inverse_time": _inverse_time,
    "inverse_sqrt": _inverse_sqrt,
    "step": _step,
    **{name: _of_type(_pieces(), name) for name in ("multistep", "piecewise_constant", "piecewise_linear")},
    "warmup_constant": _warmup_constant,
    "sgdr": sgdr_schedules,
    "restarts": _restarts(),
    "cosine_restarts": _cosine_restarts(),
    "cyclic": _cyclic(),
    **{name: _of_type(_one_cycle(), name) for name in ("one_cycle", "one_cycle_momentum")},
    "piecewise_anneal": _piecewise_anneal(),
    "wsd": _wsd(),
    "join": _joined(),
    "product": st.builds(lambda a, b: a * b, base, base),
    "scale": _of_type(st.builds(lambda a, c: a * c, base, st.floats(0.0, 4.0)), "scale"),
    "repeat": st.builds(lrsched.repeat, base.filter(_repeatable), st.integers(1, 10**5)),
    "noise": _noisy(),
    "warmup": st.builds(lambda s, w, i, sh, p: lrsched.warmup(s, w, i, sh, prefix=p), base, st.integers(0, 3_000),
                        values, shapes, st.booleans()),
}


# run surgery on any schedule (tests/test_surgery.py checks the hand-offs by hand)
_shift = st.builds(lrsched.shift, schedules,
                   st.integers(-(10**6), 10**6) | st.integers(-lrsched.MAX_STEP, lrsched.MAX_STEP))  # fmt: skip


@st.composite
def _branch(draw):
    end = draw(st.sampled_from(["value", "ratio", "default"]))
    kw = {"value": dict(end_value=draw(values)), "ratio": dict(end_ratio=draw(st.floats(0.0, 1.0))), "default": {}}[end]
    return lrsched.branch(
        draw(schedules), draw(st.integers(0, 10**6) | st.integers(0, lrsched.MAX_STEP)), steps=draw(lengths),
        shape=draw(st.sampled_from(lrsched.phases.WSD_DECAYS)), power=draw(powers), **kw,
    )  # fmt: skip


@st.composite
def _rewarm(draw):
    then = draw(st.none() | base)
    peak = draw(values) if then is None else draw(st.sampled_from([None, then.at(0)]))
    return lrsched.rewarm(draw(schedules), draw(st.integers(0, 10**6)), warmup_steps=draw(lengths), peak_value=peak,
                          then=then, shape=draw(shapes))  # fmt: skip


by_family.update(shift=_shift, branch=_branch(), rewarm=_rewarm(), multi_wsd=_multi_wsd())


@st.composite
def step_arrays(draw, schedule):
    """Steps that matter for ``schedule``: every boundary and its neighbours, random and huge steps."""
    from reference import boundaries

    marks = boundaries(schedule.to_dict())
    near = {b + d for b in marks for d in (-1, 0, 1) if 0 <= b + d <= lrsched.MAX_STEP}
    extra = draw(st.lists(st.integers(0, 2 * 10**6), max_size=20))
    huge = draw(st.lists(st.integers(0, lrsched.MAX_STEP), max_size=3))
    steps = sorted(near | set(extra) | set(huge) | {0, 1, lrsched.MAX_STEP})
    return np.array(steps, dtype=np.int64)
