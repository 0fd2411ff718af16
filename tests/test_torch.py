"""lrsched.torch against torch.optim.lr_scheduler, stepped side by side on real optimizers in one process."""

import io
import json
import math
import pickle
import re
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import lrsched
from peers import assert_close, optimizer, record, require, trace

torch = require("torch")
import lrsched.torch as LT  # noqa: E402

TL = torch.optim.lr_scheduler
CLOSED = 1e-12  # torch computes these from the step (closed form)
RECURSIVE = 1e-9  # torch multiplies the previous lr: its rounding accumulates

S = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=50, total_steps=1_000, end_value=0.05)


def both(make, n, kind="sgd", fields=("lr",), lrs=(0.1, 0.05, 0.3)):
    """(torch's trace, lrsched's trace) for ``make(module, optimizer)``."""
    out = []
    for module in (TL, LT):
        opt = optimizer(torch, lrs, kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sched = make(module, opt)
        out.append(trace(opt, sched, n, fields))
    record(f"torch.{type(sched).__name__}", out[1], out[0])
    return out


# (id, make(module, opt), steps, rtol, options)
CASES = [
    ("lambda-fn", lambda M, o: M.LambdaLR(o, lambda t: 0.99**t), 500, CLOSED, {}),
    ("lambda-per-group", lambda M, o: M.LambdaLR(o, [lambda t: 1.0, lambda t: 1 / (t + 1), lambda t: t % 7]), 300,
     CLOSED, {}),
    ("multiplicative", lambda M, o: M.MultiplicativeLR(o, lambda t: 0.999 if t % 2 else 1.001), 2_000, CLOSED, {}),
    ("step", lambda M, o: M.StepLR(o, 7, 0.5), 400, RECURSIVE, {}),
    ("step-size-1", lambda M, o: M.StepLR(o, 1, 0.97), 2_000, RECURSIVE, {}),
    ("multistep-repeated", lambda M, o: M.MultiStepLR(o, [5, 5, 100, 3, 300], 0.5), 500, RECURSIVE, {}),
    ("multistep-at-0", lambda M, o: M.MultiStepLR(o, [0, 10], 0.1), 50, RECURSIVE, {}),
    ("constant", lambda M, o: M.ConstantLR(o, 0.25, 10), 100, RECURSIVE, {}),
    ("constant-defaults", lambda M, o: M.ConstantLR(o), 50, RECURSIVE, {}),
    ("constant-total-0", lambda M, o: M.ConstantLR(o, 0.5, 0), 50, RECURSIVE, {}),
    ("linear", lambda M, o: M.LinearLR(o, 0.1, 0.9, 50), 200, RECURSIVE, {}),
    ("linear-decay-to-0", lambda M, o: M.LinearLR(o, 1.0, 0.0, 30), 100, RECURSIVE, {}),
    ("linear-total-0", lambda M, o: M.LinearLR(o, 0.2, 1.0, 0), 30, RECURSIVE, {}),
    ("linear-total-1", lambda M, o: M.LinearLR(o, 0.2, 1.0, 1), 30, RECURSIVE, {}),
    ("exponential", lambda M, o: M.ExponentialLR(o, 0.999), 10_000, RECURSIVE, {}),
    ("exponential-growth", lambda M, o: M.ExponentialLR(o, 1.001), 3_000, RECURSIVE, {}),
    ("polynomial", lambda M, o: M.PolynomialLR(o, 500, 2.0), 800, RECURSIVE, {}),
    ("polynomial-defaults", lambda M, o: M.PolynomialLR(o), 20, RECURSIVE, {}),
    ("polynomial-sqrt", lambda M, o: M.PolynomialLR(o, 97, 0.5), 200, RECURSIVE, {}),
    ("cosine", lambda M, o: M.CosineAnnealingLR(o, 300, 0.001), 2_000, RECURSIVE, {}),
    ("cosine-periodic-eta0", lambda M, o: M.CosineAnnealingLR(o, 100), 1_000, RECURSIVE, {}),
    ("cosine-T1", lambda M, o: M.CosineAnnealingLR(o, 1, 0.01), 20, RECURSIVE, {}),
    ("cosine-long", lambda M, o: M.CosineAnnealingLR(o, 10_000, 1e-5), 10_000, RECURSIVE, {}),
    ("warm-restarts", lambda M, o: M.CosineAnnealingWarmRestarts(o, 10, 2, 0.001), 3_000, CLOSED, {}),
    ("warm-restarts-T1", lambda M, o: M.CosineAnnealingWarmRestarts(o, 1), 50, CLOSED, {}),
    ("warm-restarts-mult3", lambda M, o: M.CosineAnnealingWarmRestarts(o, 7, 3, 0.01), 3_000, CLOSED, {}),
    ("cyclic-momentum", lambda M, o: M.CyclicLR(o, 0.01, [0.1, 0.2, 0.3], 20, 30, mode="triangular2"), 600, CLOSED,
     dict(fields=("lr", "momentum"))),
    ("cyclic-beta1", lambda M, o: M.CyclicLR(o, 0.01, 0.1, 20, mode="exp_range", gamma=0.999), 600, CLOSED,
     dict(kind="adam", fields=("lr", "betas"))),
    ("cyclic-no-momentum", lambda M, o: M.CyclicLR(o, [0.01, 0.02, 0.03], 0.5, 5, 1, cycle_momentum=False), 300,
     CLOSED, {}),
    ("cyclic-scale-fn", lambda M, o: M.CyclicLR(o, 0.01, 0.1, 20, scale_fn=lambda x: 0.9**x,
                                                scale_mode="iterations"), 300, CLOSED, dict(fields=("lr", "momentum"))),
    ("cyclic-float-step-size", lambda M, o: M.CyclicLR(o, 0.01, 0.1, 20.0, cycle_momentum=False), 100, CLOSED, {}),
    ("one-cycle", lambda M, o: M.OneCycleLR(o, [1.0, 0.5, 0.1], total_steps=1_000), 1_001, CLOSED,
     dict(fields=("lr", "momentum"))),
    ("one-cycle-three-phase-linear", lambda M, o: M.OneCycleLR(o, 1.0, total_steps=997, three_phase=True,
                                                               anneal_strategy="linear", pct_start=0.25), 998, CLOSED,
     dict(fields=("lr", "momentum"))),
    ("one-cycle-adam", lambda M, o: M.OneCycleLR(o, 0.01, epochs=3, steps_per_epoch=7, pct_start=0.5), 22, CLOSED,
     dict(kind="adam", fields=("lr", "betas"))),
    ("one-cycle-tiny", lambda M, o: M.OneCycleLR(o, 1.0, total_steps=1), 2, CLOSED, dict(fields=("lr", "momentum"))),
    ("one-cycle-empty-first-phase", lambda M, o: M.OneCycleLR(o, 1.0, total_steps=3, pct_start=0.1), 4, CLOSED,
     dict(fields=("lr", "momentum"))),
    ("one-cycle-no-momentum", lambda M, o: M.OneCycleLR(o, 2.0, total_steps=100, cycle_momentum=False,
                                                        div_factor=5.0, final_div_factor=100.0), 101, CLOSED, {}),
    ("sequential", lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.1, 1.0, 100), M.CosineAnnealingLR(o, 900)], [100]),
     1_500, RECURSIVE, {}),
    ("sequential-three", lambda M, o: M.SequentialLR(o, [M.ConstantLR(o, 0.1, 100), M.ExponentialLR(o, 0.99),
                                                         M.StepLR(o, 10)], [50, 400]), 600, RECURSIVE, {}),
    ("sequential-lambda", lambda M, o: M.SequentialLR(o, [M.LambdaLR(o, lambda t: t / 10), M.ExponentialLR(o, 0.9)],
                                                      [10]), 60, RECURSIVE, {}),
    ("chained", lambda M, o: M.ChainedScheduler([M.ConstantLR(o, 0.1, 100), M.ExponentialLR(o, 0.999)]), 500,
     RECURSIVE, {}),
    ("chained-warmup-cosine", lambda M, o: M.ChainedScheduler([M.LinearLR(o, 0.1, 1.0, 100),
                                                               M.CosineAnnealingLR(o, 3_000)]), 3_000, RECURSIVE, {}),
    ("chained-three", lambda M, o: M.ChainedScheduler([M.StepLR(o, 10, 0.5), M.MultiStepLR(o, [30, 60]),
                                                       M.PolynomialLR(o, 80, 1.5)], o), 100, RECURSIVE, {}),
]  # fmt: skip


@pytest.mark.parametrize("make, n, rtol, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_same_values_as_torch_at_every_step(make, n, rtol, options):
    want, got = both(make, n, **options)
    assert_close(got, want, rtol)


@settings(max_examples=25, deadline=None)
@given(
    cls=st.sampled_from(["step", "multistep", "exponential", "linear", "polynomial", "cosine", "restarts", "cyclic",
                         "onecycle"]),
    a=st.integers(1, 400), b=st.integers(1, 400), x=st.floats(0.05, 0.95), flag=st.booleans(),
)  # fmt: skip
@example(cls="onecycle", a=1, b=3, x=0.5, flag=False)  # pct_start * total_steps = 1: torch's ZeroDivisionError
def test_random_configurations_match_torch(cls, a, b, x, flag):
    make = {
        "step": lambda M, o: M.StepLR(o, a, x),
        "multistep": lambda M, o: M.MultiStepLR(o, sorted([a, b, a + b]), x),
        "exponential": lambda M, o: M.ExponentialLR(o, 1 - x / 100),
        "linear": lambda M, o: M.LinearLR(o, x, 1.0 if flag else x / 2, a),
        "polynomial": lambda M, o: M.PolynomialLR(o, a, 0.5 + 3 * x),
        "cosine": lambda M, o: M.CosineAnnealingLR(o, a, x / 10 if flag else 0.0),
        "restarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, a % 50 + 1, b % 4 + 1, x / 100),
        "cyclic": lambda M, o: M.CyclicLR(o, 0.01, 0.2, a, b, mode="exp_range" if flag else "triangular2",
                                          gamma=1 - x / 100),
        "onecycle": lambda M, o: M.OneCycleLR(o, 1.0, total_steps=a + b, pct_start=x / 2, three_phase=flag,
                                              anneal_strategy="cos" if a % 2 else "linear"),
    }[cls]  # fmt: skip
    n = a + b + 1 if cls == "onecycle" else 2 * (a + b)
    fields = ("lr", "momentum") if cls in ("cyclic", "onecycle") else ("lr",)
    if cls == "onecycle":
        try:
            make(TL, optimizer(torch))
        except ZeroDivisionError:  # a phase end at step 0 (pct_start * total_steps = 1): torch divides by zero
            with pytest.raises(ValueError, match="phase ends .* where torch divides by zero"):
                make(LT, optimizer(torch))  # lrsched refuses it at once, naming the phase ends (documented)
            return
    want, got = both(make, n, fields=fields)
    assert_close(got, want, RECURSIVE if cls in ("step", "multistep", "exponential", "linear", "polynomial",
                                                 "cosine") else CLOSED)  # fmt: skip


def test_drop_ins_are_torch_schedulers():
    opt = optimizer(torch)
    for sched in (LT.CosineAnnealingLR(opt, 10), LT.LambdaLR(opt, lambda t: 1.0)):
        assert isinstance(sched, TL.LRScheduler)
    assert isinstance(LT.ReduceLROnPlateau(opt), TL.ReduceLROnPlateau)


def test_schedules_give_the_table_without_stepping():
    opt = optimizer(torch)
    sched = LT.OneCycleLR(opt, [1.0, 0.5, 0.1], total_steps=500)
    tables = np.stack([s.table(500) for s in sched.schedules["lr"]], axis=1)
    np.testing.assert_array_equal(tables, trace(opt, sched, 500))
    momentum = sched.schedules["momentum"][0].table(500)
    assert momentum[0] == 0.95 and momentum.min() == pytest.approx(0.85)


def _saved(obj):
    """``obj`` through ``torch.save`` and ``torch.load(weights_only=True)``, as a checkpoint is."""
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def _resume(make, opt, sched, kind, into=LT):
    """A new optimizer and scheduler (``into``'s class) built and loaded as a torch user resumes a checkpoint."""
    state, opt_state = _saved(sched.state_dict()), _saved(opt.state_dict())
    opt2 = optimizer(torch, kind=kind)
    resumed = make(into, opt2)  # built first, as torch's docs say, then both states loaded
    opt2.load_state_dict(opt_state)
    resumed.load_state_dict(state)
    return opt2, resumed


def _cut_run(make, n, options, saver, loader):
    """``n`` steps of ``make(saver, ...)`` cut in half by a checkpoint resumed in ``loader``'s class, and the same
    ``n`` steps of ``make(loader, ...)`` uncut, as traces."""
    fields, kind = options.get("fields", ("lr",)), options.get("kind", "sgd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        opt = optimizer(torch, kind=kind)
        whole = trace(opt, make(loader, opt), n, fields)
        opt = optimizer(torch, kind=kind)
        sched = make(saver, opt)
        first = trace(opt, sched, n // 2 + 1, fields)
        opt2, resumed = _resume(make, opt, sched, kind, into=loader)
        rest = trace(opt2, resumed, n - n // 2, fields)
    return np.vstack([first[:-1], rest]), whole


@pytest.mark.parametrize("make, n, rtol, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_checkpoint_resumes_exactly(make, n, rtol, options):
    cut, whole = _cut_run(make, n, options, LT, LT)
    np.testing.assert_array_equal(cut, whole)


@pytest.mark.parametrize("make, n, rtol, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_states_cross_between_lrsched_and_torch(make, n, rtol, options):
    """A drop-in's checkpoint resumes in torch's class, and torch's in the drop-in, with torch's values."""
    want = _cut_run(make, n, options, TL, TL)[1]
    for saver, loader in ((LT, TL), (TL, LT)):
        assert_close(_cut_run(make, n, options, saver, loader)[0], want, rtol)


@pytest.mark.parametrize("make, n, rtol, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_states_are_plain_data_that_json_carries(make, n, rtol, options):
    opt = optimizer(torch, kind=options.get("kind", "sgd"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        sched = make(LT, opt)
        for _ in range(min(n - 1, 7)):
            sched.step()
        again = make(LT, optimizer(torch, kind=options.get("kind", "sgd")))
        again.load_state_dict(json.loads(json.dumps(sched.state_dict())))
    assert json.dumps(again.state_dict()) == json.dumps(sched.state_dict())
    assert again.get_last_lr() == sched.get_last_lr()


def test_torch_state_dicts_load_into_the_drop_in():
    opt = optimizer(torch)
    theirs = TL.CosineAnnealingLR(opt, 100, 0.01)
    for _ in range(37):
        opt.step()
        theirs.step()
    ours = LT.CosineAnnealingLR(optimizer(torch), 100, 0.01)
    ours.load_state_dict(theirs.state_dict())
    assert ours.last_epoch == 37
    assert_close(ours.get_last_lr(), theirs.get_last_lr(), RECURSIVE)
    other = LT.CosineAnnealingLR(optimizer(torch), 50, 0.01)
    other.load_state_dict(theirs.state_dict())  # as torch: the saved arguments win
    assert (other.T_max, other.eta_min, other.last_epoch) == (100, 0.01, 37)


def test_loading_a_state_of_other_arguments_continues_as_the_saved_scheduler():
    a = LT.StepLR(optimizer(torch), 10)
    for _ in range(15):
        a.optimizer.step()
        a.step()
    b = LT.StepLR(optimizer(torch), 20, gamma=0.5)
    b.optimizer.load_state_dict(a.optimizer.state_dict())
    b.load_state_dict(a.state_dict())
    assert (b.step_size, b.gamma, b.last_epoch) == (10, 0.1, 15) and b.get_last_lr() == a.get_last_lr()
    for _ in range(10):
        a.step()
        b.step()
    assert b.get_last_lr() == a.get_last_lr() and b.state_dict() == a.state_dict()


def test_reduce_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, float("nan"), 0.8, 0.7] * 4
    for kwargs in (dict(patience=1, factor=0.5), dict(mode="max", patience=0, cooldown=2, threshold=0.1,
                                                       threshold_mode="abs", min_lr=[0.01, 0.02, 0.001])):  # fmt: skip
        runs = []
        for module in (TL, LT):
            opt = optimizer(torch)
            sched = module.ReduceLROnPlateau(opt, **kwargs)
            lrs = []
            for k, m in enumerate(metrics):
                sched.step(m)
                lrs.append([g["lr"] for g in opt.param_groups] + [sched.num_bad_epochs, sched.cooldown_counter])
                if k == 20 and module is LT:  # resume half-way from JSON
                    state = json.loads(json.dumps(sched.state_dict()))
                    sched = module.ReduceLROnPlateau(opt, **kwargs)
                    sched.load_state_dict(state)
            runs.append(lrs)
        assert runs[0] == runs[1]
        record("torch.ReduceLROnPlateau", [r[:3] for r in runs[1]], [r[:3] for r in runs[0]])


@settings(max_examples=40, deadline=None)
@given(
    metrics=st.lists(st.sampled_from([1.0, 0.99, 0.95, 0.9, 0.5, 2.0, 1e-9, -1.0, 1e8]), min_size=1, max_size=80),
    mode=st.sampled_from(["min", "max"]), factor=st.floats(0.01, 0.99), patience=st.integers(0, 5),
    threshold=st.sampled_from([0.0, 1e-4, 0.01, 0.1]), threshold_mode=st.sampled_from(["rel", "abs"]),
    cooldown=st.integers(0, 4), min_lr=st.sampled_from([0.0, 1e-3, [0.01, 0.0, 0.05]]),
    eps=st.sampled_from([1e-8, 1e-3, 0.0]),
)  # fmt: skip
def test_random_plateau_configurations_match_torch(metrics, mode, factor, patience, threshold, threshold_mode,
                                                   cooldown, min_lr, eps):
    kwargs = dict(mode=mode, factor=factor, patience=patience, threshold=threshold, threshold_mode=threshold_mode,
                  cooldown=cooldown, min_lr=min_lr, eps=eps)  # fmt: skip
    runs = []
    for module in (TL, LT):
        opt = optimizer(torch)
        sched = module.ReduceLROnPlateau(opt, **kwargs)
        rows = []
        for m in metrics:
            sched.step(m)
            rows.append([g["lr"] for g in opt.param_groups] + [sched.num_bad_epochs, sched.cooldown_counter])
        runs.append(rows)
    assert runs[0] == runs[1]
    record("torch.ReduceLROnPlateau", [r[:3] for r in runs[1]], [r[:3] for r in runs[0]])


def test_cosine_is_periodic_past_t_max_like_torch():
    opt = optimizer(torch, lrs=(1.0,))
    sched = LT.CosineAnnealingLR(opt, 10, 0.1)
    lrs = trace(opt, sched, 41)[:, 0]
    assert lrs[10] == pytest.approx(0.1) and lrs[20] == pytest.approx(1.0) and lrs[30] == pytest.approx(0.1)


def test_one_cycle_raises_torchs_error_past_total_steps_and_changes_nothing():
    opt = optimizer(torch)
    sched = LT.OneCycleLR(opt, 1.0, total_steps=10)
    for _ in range(10):
        sched.step()
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError, match="Tried to step 11 times. The specified number of total steps is 10"):
        sched.step()
    assert [dict(g) for g in opt.param_groups] == before and sched.last_epoch == 10


def test_chained_scheduler_steps_its_schedulers_as_torch():
    """Each child advances (its last_epoch and get_last_lr), and an eta_min past T_max is torch's recursive value."""
    runs = []
    for M in (TL, LT):
        opt = optimizer(torch, lrs=(1.0,))
        parts = [M.LinearLR(opt, 0.5, 1.0, 10), M.CosineAnnealingLR(opt, 20, 0.1)]
        chained = M.ChainedScheduler(parts)
        rows = []
        for _ in range(60):
            opt.step()
            chained.step()
            rows.append([opt.param_groups[0]["lr"], *chained.get_last_lr(), *(p.last_epoch for p in parts),
                         *(p.get_last_lr()[0] for p in parts)])  # fmt: skip
        runs.append(rows)
    assert_close(runs[1], runs[0], RECURSIVE)



def test_composite_schedules_give_torchs_stepped_values():
    """SequentialLR's tables join its schedulers' at the milestones; ChainedScheduler's multiply their factors
    (a group whose lr is 0 stays 0): both as torch's own classes step them."""
    builds = {
        "sequential": lambda M, o: M.SequentialLR(o, [M.LinearLR(o, 0.1, 1.0, 5), M.ExponentialLR(o, 0.9)], [5]),
        "chained": lambda M, o: M.ChainedScheduler([M.StepLR(o, 4, 0.5), M.ExponentialLR(o, 0.95)]),
    }
    for name, build in builds.items():
        opt = optimizer(torch, lrs=(1.0, 0.0, 0.3))
        want = trace(opt, build(TL, opt), 40)
        sched = build(LT, optimizer(torch, lrs=(1.0, 0.0, 0.3)))
        got = np.stack([s.table(40) for s in sched.schedules["lr"]], axis=1)
        assert_close(got, want, RECURSIVE)
        assert isinstance(sched, getattr(TL, type(sched).__name__)), name

CHAINABLE = {
    "StepLR": lambda M, o: M.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda M, o: M.MultiStepLR(o, [3, 3, 20], 0.5),
    "ConstantLR": lambda M, o: M.ConstantLR(o, 0.25, 9),
    "LinearLR": lambda M, o: M.LinearLR(o, 0.1, 1.0, 15),
    "ExponentialLR": lambda M, o: M.ExponentialLR(o, 0.95),
    "PolynomialLR": lambda M, o: M.PolynomialLR(o, 30, 2.0),
    "CosineAnnealingLR": lambda M, o: M.CosineAnnealingLR(o, 12, 0.01),
    "MultiplicativeLR": lambda M, o: M.MultiplicativeLR(o, lambda t: 0.97),
    "LambdaLR": lambda M, o: M.LambdaLR(o, lambda t: 1 / (t + 1)),
    "CyclicLR": lambda M, o: M.CyclicLR(o, 0.01, 0.1, 5, cycle_momentum=False),
    "CosineAnnealingWarmRestarts": lambda M, o: M.CosineAnnealingWarmRestarts(o, 6, 2, 0.001),
}


@pytest.mark.parametrize("a, b", [(a, b) for a in CHAINABLE for b in CHAINABLE if a != b])
def test_two_schedulers_stepped_on_one_optimizer_chain_as_in_torch(a, b):
    runs = []
    for M in (TL, LT):
        opt = optimizer(torch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            first, second = CHAINABLE[a](M, opt), CHAINABLE[b](M, opt)
        rows = [[g["lr"] for g in opt.param_groups] * 3]
        for _ in range(40):
            opt.step()
            first.step()
            second.step()
            rows.append([g["lr"] for g in opt.param_groups] + first.get_last_lr() + second.get_last_lr())
        runs.append(rows)
    record(f"torch.{a}+{b}", runs[1], runs[0])
    assert_close(runs[1], runs[0], RECURSIVE)


@pytest.mark.parametrize("name", sorted(CHAINABLE))
def test_an_lr_set_by_hand_is_carried_on_as_in_torch(name):
    runs = []
    for M in (TL, LT):
        opt = optimizer(torch)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sched = CHAINABLE[name](M, opt)
        rows = []
        for k in range(30):
            if k == 10:
                opt.param_groups[1]["lr"] = 7.0  # a manual edit: recursive schedulers go on from it
            opt.step()
            sched.step()
            rows.append([g["lr"] for g in opt.param_groups])
        runs.append(rows)
    assert_close(runs[1], runs[0], RECURSIVE)


@pytest.mark.parametrize("make, n, rtol, options", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_tensor_lrs_are_filled_in_place_with_torchs_values(make, n, rtol, options):
    """Every class with tensor lrs (torch's own tests use them; compiled optimizers need them): the tensors stay
    the same objects, filled in place, with torch's values (float32 tensors: to float32 rounding)."""
    fields, kind = options.get("fields", ("lr",)), options.get("kind", "sgd")
    runs = []
    for M in (TL, LT):
        opt = optimizer(torch, kind=kind)
        for g, dtype in zip(opt.param_groups, (torch.float64, torch.float32, torch.float64)):
            g["lr"] = torch.tensor(g["lr"], dtype=dtype)
        tensors = [g["lr"] for g in opt.param_groups]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            runs.append(trace(opt, make(M, opt), min(n, 300), fields))
        assert all(t is g["lr"] for t, g in zip(tensors, opt.param_groups))
    float64 = [k for k in range(runs[0].shape[1]) if k % 3 != 1]
    assert_close(runs[1][:, float64], runs[0][:, float64], rtol)
    assert_close(runs[1], runs[0], 3e-5)  # torch's float32 recursion: its rounding accumulates, 2**-24 a step


def test_tensor_arguments_are_taken_as_torch_takes_them():
    """Tensor max_lr/base_lr/momenta give torch's values with the same numbers as floats.  (torch's CyclicLR
    writes its base_lr tensors themselves into the groups and then fills them, so its bases drift; lrsched's
    do not, the difference listed in lrsched.torch's docstring.)"""
    runs = []
    for M, wrap in ((TL, float), (LT, torch.tensor), (LT, float)):
        opt = optimizer(torch)
        a = M.CyclicLR(opt, wrap(0.01), wrap(0.1), 5, max_momentum=wrap(0.95))
        b_opt = optimizer(torch)
        b = M.OneCycleLR(b_opt, wrap(0.5), total_steps=20, max_momentum=wrap(0.9))
        runs.append((trace(opt, a, 30, ("lr", "momentum")), trace(b_opt, b, 20, ("lr", "momentum"))))
    for got in runs[1:]:
        assert_close(got[0], runs[0][0], 1e-6)
        assert_close(got[1], runs[0][1], 1e-6)


def test_step_with_an_epoch_warns_and_jumps_like_torchs_closed_form():
    opt = optimizer(torch)
    sched = LT.StepLR(opt, 3, 0.5)
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(7)
    assert sched.last_epoch == 7 and sched.get_last_lr() == [0.1 * 0.25, 0.05 * 0.25, 0.3 * 0.25]


def test_warm_restarts_fractional_epoch_uses_torchs_formula():
    runs = []
    for module in (TL, LT):
        opt = optimizer(torch)
        sched = module.CosineAnnealingWarmRestarts(opt, 5, 2, 0.01)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for epoch in (0.5, 3.25, 7.9, 20.0, 33.3):
                sched.step(epoch)
                runs.append([g["lr"] for g in opt.param_groups])
    half = len(runs) // 2
    assert_close(runs[half:], runs[:half], CLOSED)


def test_lambda_objects_keep_their_state_in_the_state_dict():
    class Decay:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, t):
            return self.rate**t

    opt = optimizer(torch)
    sched = LT.LambdaLR(opt, Decay())
    sched.lr_lambdas[0].rate = 0.25
    state = json.loads(json.dumps(sched.state_dict()))
    fresh = LT.LambdaLR(optimizer(torch), Decay())
    fresh.load_state_dict(state)
    assert fresh.lr_lambdas[0].rate == 0.25


@pytest.mark.parametrize(
    "make, exc, text",
    [
        (lambda o: LT.ConstantLR(o, factor=1.5), ValueError, "Constant multiplicative factor expected to be between 0 and 1."),
        (lambda o: LT.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor expected to be greater than 0"),
        (lambda o: LT.LinearLR(o, end_factor=2), ValueError, "Ending multiplicative factor expected to be between 0 and 1."),
        (lambda o: LT.StepLR(o, 0), ValueError, "StepLR: `step_size` must be a positive integer, got step_size=0."),
        (lambda o: LT.StepLR(o, 0.5), ValueError, "StepLR: `step_size` must be a finite number >= 1 and <= 4.61169e+18, got step_size=0.5."),
        (lambda o: LT.CosineAnnealingLR(o, 0), ValueError, "CosineAnnealingLR: `T_max` must be a positive integer"),
        (lambda o: LT.CosineAnnealingLR(o, 10, float("nan")), ValueError, "`eta_min` must be a finite number >= 0"),
        (lambda o: LT.MultiStepLR(o, [3, -1]), ValueError, "MultiStepLR: `milestones` must be an integer >= 0"),
        (lambda o: LT.ExponentialLR(o, "0.9"), TypeError, "ExponentialLR: `gamma` must be a finite number > 0"),
        (lambda o: LT.CosineAnnealingWarmRestarts(o, 0), ValueError, "Expected positive integer T_0, but got 0"),
        (lambda o: LT.CosineAnnealingWarmRestarts(o, 5, 1.5), ValueError, "Expected integer T_mult >= 1, but got 1.5"),
        (lambda o: LT.CyclicLR(o, 0.1, 1.0, mode="cosine"), ValueError, "mode is invalid and scale_fn is None"),
        (lambda o: LT.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length as optimizer.param_groups"),
        (lambda o: LT.CyclicLR(o, 0.1, 1.0, step_size_up="2"), TypeError, "CyclicLR: `step_size_up` must be a positive"),
        (lambda o: LT.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR (epochs AND steps_per_epoch)"),
        (lambda o: LT.OneCycleLR(o, 1.0, total_steps=10, pct_start=1), ValueError, "Expected float between 0 and 1"),
        (lambda o: LT.OneCycleLR(o, 1.0, total_steps=2, pct_start=0.5), ValueError, "where torch divides by zero"),
        (lambda o: LT.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="cosine"), ValueError, "anneal_strategy must be"),
        (lambda o: LT.LambdaLR(o, [lambda t: 1.0]), ValueError, "Expected 3 lr_lambdas, but got 1"),
        (lambda o: LT.LambdaLR(o, 3.0), TypeError, "lr_lambda should be a function, but got float"),
        (lambda o: LT.SequentialLR(o, [LT.StepLR(o, 2)], [5]), ValueError, "number of milestones to be equal to 1"),
        (lambda o: LT.SequentialLR(o, [LT.StepLR(o, 2), LT.StepLR(o, 2)], [-5]), ValueError, "`milestones[0]` must be"),
        (lambda o: LT.ChainedScheduler([]), ValueError, "expects at least one scheduler to be chained"),
        (lambda o: LT.ChainedScheduler([LT.ReduceLROnPlateau(o)]), ValueError, "does not support `ReduceLROnPlateau`"),
        (lambda o: LT.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0."),
        (lambda o: LT.ReduceLROnPlateau(o, mode="avg"), ValueError, "mode avg is unknown!"),
        (lambda o: LT.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 3 min_lrs, got 1"),
        (lambda o: LT.StepLR(object(), 3), TypeError, "StepLR: `optimizer` must be an object with param_groups"),
        (lambda o: LT.StepLR(o, 3, last_epoch=5), KeyError, "param 'initial_lr' is not specified in param_groups[0]"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)  # fmt: skip
def test_bad_arguments_raise_and_leave_the_groups_alone(make, exc, text):
    opt = optimizer(torch)
    before = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(exc) as info:
            make(opt)
    assert text in str(info.value)
    after = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    children = ("milestones", "lowered", "chained", "ReduceLROnPlateau`")  # their pieces were built (and wrote)
    if not any(word in text for word in children):
        assert after == before


def test_import_lrsched_does_not_import_torch_and_lrsched_torch_says_how_to_install():
    code = textwrap.dedent(
        """
        import sys
        import lrsched
        assert "torch" not in sys.modules, "import lrsched imported torch"
        sys.modules["torch"] = None  # as if torch were not installed
        try:
            import lrsched.torch
        except ImportError as e:
            print(e)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "lrsched.torch needs PyTorch: pip install 'lrsched[torch]'" in out


def test_a_group_with_lr_zero_is_scheduled_and_a_bad_group_lr_is_refused_before_any_write():
    opt = optimizer(torch, lrs=(0.1, 0.0))
    sched = LT.ExponentialLR(opt, 0.9)
    sched.step()
    assert sched.get_last_lr() == pytest.approx([0.09, 0.0])
    bad = optimizer(torch, lrs=(0.1, float("nan")))
    with pytest.raises(ValueError, match=r"ExponentialLR: `param_groups\[1\]\['lr'\]` must be a finite number >= 0"):
        LT.ExponentialLR(bad, 0.9)
    assert all("initial_lr" not in g for g in bad.param_groups)


def test_copies_and_pickles_of_drop_ins_continue_like_the_original():
    import copy
    import pickle

    opt = optimizer(torch)
    sched = LT.OneCycleLR(opt, 1.0, total_steps=100)
    for _ in range(30):
        sched.step()
    for twin in (copy.deepcopy(sched), pickle.loads(pickle.dumps(sched))):
        twin.step()
        sched_next = sched.schedules["lr"][0].at(31)
        assert twin.get_last_lr()[0] == sched_next and twin.optimizer.param_groups[0]["lr"] == sched_next
    assert sched.last_epoch == 30


def test_accelerate_prepares_and_steps_a_drop_in():
    accelerate = require("accelerate")
    opt = optimizer(torch)
    sched = LT.OneCycleLR(opt, 1.0, total_steps=10)
    acc = accelerate.Accelerator(cpu=True)
    opt, wrapped = acc.prepare(opt, sched)
    lrs = []
    for _ in range(12):  # accelerate stops stepping a scheduler with total_steps at the end (via _step_count)
        opt.step()
        wrapped.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert sched._step_count == 11 and sched.last_epoch == 10
    np.testing.assert_array_equal(lrs[:9], sched.schedules["lr"][0].table(10)[1:])


def test_a_group_added_later_is_an_error():
    opt = optimizer(torch, lrs=(0.1,))
    sched = LT.StepLR(opt, 1, 0.5)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.5})
    with pytest.raises(ValueError, match="now has 2 param groups, the scheduler was built for 1"):
        sched.step()


def test_fractional_epoch_values_are_what_get_last_lr_reports_and_integral_floats_are_steps():
    opt = optimizer(torch, lrs=(1.0,))
    sched = LT.CosineAnnealingWarmRestarts(opt, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's CosineAnnealingWarmRestarts.step(epoch) does not warn
        sched.step(2.5)
    assert sched.get_last_lr() == [opt.param_groups[0]["lr"]] == [pytest.approx((1 + math.cos(math.pi / 4)) / 2)]
    step = LT.StepLR(optimizer(torch), 2)
    with pytest.warns(UserWarning):
        step.step(4.0)
    assert step.last_epoch == 4


@pytest.mark.parametrize("make", [
    lambda M, o: M.StepLR(o, 2.5, 0.5), lambda M, o: M.CosineAnnealingLR(o, 10.5, 0.01),
    lambda M, o: M.CosineAnnealingLR(o, 10.0), lambda M, o: M.CyclicLR(o, 0.01, 0.1, 2.5, 4.0),
    lambda M, o: M.MultiStepLR(o, [2.0, 5.0]), lambda M, o: M.LinearLR(o, total_iters=4.0),
], ids=["step-2.5", "cosine-10.5", "cosine-10.0", "cyclic-2.5", "multistep-floats", "linear-4.0"])  # fmt: skip
def test_float_arguments_compute_as_torch_does(make):
    want, got = both(make, 60, fields=("lr",))
    assert_close(got, want, RECURSIVE)


def test_a_bad_state_leaves_the_lambda_objects_alone():
    class Decay:
        def __init__(self):
            self.k = 0.5

        def __call__(self, t):
            return self.k**t

    good = LT.LambdaLR(optimizer(torch), Decay())
    state = good.state_dict()
    state["lr_lambdas"] = [{"k": 99.0}] * 3
    state["last_epoch"] = -4
    lam = Decay()
    sched = LT.LambdaLR(optimizer(torch), lam)
    with pytest.raises(ValueError, match=re.escape("`state_dict['last_epoch']` must be an integer in [-1,")):
        sched.load_state_dict(state)
    assert lam.k == 0.5 and sched.get_last_lr() == [0.1, 0.05, 0.3]


def test_torch_plateau_state_dicts_load_and_continue_as_torch():
    """A genuine torch ReduceLROnPlateau state (through JSON, its infinities included) resumes as torch goes on."""
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.7] * 3
    kwargs = dict(patience=1, factor=0.5, cooldown=1, min_lr=[0.01, 0.0, 0.02])
    for cut in (0, 7, 20):  # 0: best is still the float infinity
        opt = optimizer(torch)
        theirs = TL.ReduceLROnPlateau(opt, **kwargs)
        for m in metrics[:cut]:
            theirs.step(m)
        state = json.loads(json.dumps(theirs.state_dict()))
        opt2 = optimizer(torch)
        for g, h in zip(opt2.param_groups, opt.param_groups):
            g["lr"] = h["lr"]  # the optimizer's state carries the lr, as in torch
        ours = LT.ReduceLROnPlateau(opt2, **kwargs)
        ours.load_state_dict(state)
        assert ours.get_last_lr() == theirs.get_last_lr()
        for m in metrics[cut:]:
            theirs.step(m)
            ours.step(m)
            assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]
            assert (ours.num_bad_epochs, ours.cooldown_counter, ours.best) == (
                theirs.num_bad_epochs, theirs.cooldown_counter, theirs.best)


@pytest.mark.parametrize("change, key, exc", [
    (dict(factor="0.5"), "state_dict['factor']", TypeError),
    (dict(factor=1.5), "state_dict['factor']", ValueError),
    (dict(mode="avg"), "state_dict['mode']", ValueError),
    (dict(min_lrs=[0.0, 0.0]), "state_dict['min_lrs']", ValueError),
    (dict(best=10**400), "`state_dict['best']` must be a number or 'inf'/'-inf' within float range", ValueError),
    (dict(best=math.nan), "`state_dict['best']` must be a number or 'inf'/'-inf' (not nan)", ValueError),
    (dict(num_bad_epochs=-1), "state_dict['num_bad_epochs']", ValueError),
], ids=["factor-type", "factor", "mode", "min_lrs", "best-huge", "best-nan", "bad-count"])  # fmt: skip
def test_plateau_refuses_a_damaged_state_and_changes_nothing(change, key, exc):
    theirs = TL.ReduceLROnPlateau(optimizer(torch), patience=1, factor=0.5)
    for m in [1.0, 2.0, 2.0, 2.0]:
        theirs.step(m)
    ours = LT.ReduceLROnPlateau(optimizer(torch), patience=1, factor=0.5)
    before = ours.state_dict()
    with pytest.raises(exc, match=re.escape(key)):
        ours.load_state_dict({**theirs.state_dict(), **change})
    assert ours.state_dict() == before
    state = theirs.state_dict()
    del state["cooldown_counter"]
    with pytest.raises(ValueError, match=re.escape("must have the keys ['cooldown_counter']")):
        ours.load_state_dict(state)
    assert ours.state_dict() == before


def test_plateau_takes_the_settings_of_a_saved_state_as_torch():
    runs = []
    for M in (TL, LT):
        saver = M.ReduceLROnPlateau(optimizer(torch), mode="max", patience=0, factor=0.5, cooldown=1)
        loader = M.ReduceLROnPlateau(optimizer(torch))
        for m in [1.0, 0.5, 0.5]:
            saver.step(m)
        loader.optimizer.load_state_dict(saver.optimizer.state_dict())
        loader.load_state_dict(_saved(saver.state_dict()))
        rows = []
        for m in [0.5, 0.4, 2.0, 1.0, 1.0, 1.0]:
            loader.step(m)
            rows.append(loader.get_last_lr() + [loader.num_bad_epochs, loader.cooldown_counter, loader.best])
        runs.append(rows)
    assert runs[1] == runs[0]
    with pytest.warns(UserWarning, match=re.escape("ignored the keys ['verbose']")):
        LT.ReduceLROnPlateau(optimizer(torch)).load_state_dict({**TL.ReduceLROnPlateau(optimizer(torch)).state_dict(),
                                                                 "verbose": False})  # fmt: skip


def test_lambda_states_must_match_the_lambdas():
    """None for a function or a Schedule (torch writes the same), a dict for a callable object."""
    def f(t):
        return 0.9**t

    opt = optimizer(torch)
    theirs = TL.LambdaLR(opt, f)
    for _ in range(5):
        opt.step()
        theirs.step()
    ours = LT.LambdaLR(optimizer(torch), f)
    ours.load_state_dict(theirs.state_dict())  # torch's own: lr_lambdas [None, None, None]
    assert ours.last_epoch == 5 and ours.get_last_lr() == pytest.approx(theirs.get_last_lr())
    assert LT.LambdaLR(optimizer(torch), S).state_dict()["lr_lambdas"] == [None] * 3
    fresh = LT.LambdaLR(optimizer(torch), S)
    with pytest.raises(ValueError, match=re.escape("`state_dict['lr_lambdas'][1]` must be None")):
        fresh.load_state_dict({**theirs.state_dict(), "lr_lambdas": [None, {"x": 1}, None]})
    with pytest.raises(TypeError, match=re.escape("`state_dict['lr_lambdas']` must be a list of 3")):
        fresh.load_state_dict({**theirs.state_dict(), "lr_lambdas": "x"})
    assert fresh.last_epoch == 0


def test_replaced_lr_lambdas_take_effect_as_in_torch():
    """transformers' own test swaps in wrapper objects; ``s.lr_lambdas = [...]`` counts from the next step."""
    runs = []
    for M in (TL, LT):
        opt = optimizer(torch, lrs=(10.0,))
        sched = M.LambdaLR(opt, lambda t: 1 - t / 8)
        sched.lr_lambdas = [lambda t: 2 * (1 - t / 8)]
        runs.append(trace(opt, sched, 5)[:, 0].tolist())
    assert runs[1] == runs[0]


def test_a_damaged_state_is_refused_before_anything_changes():
    a = LT.StepLR(optimizer(torch), 10)
    for _ in range(3):
        a.step()
    b = LT.StepLR(optimizer(torch), 10)
    for change, exc, key in ((dict(last_epoch="3"), TypeError, "last_epoch"), (dict(base_lrs=[0.1]), ValueError,
                             "base_lrs"), (dict(step_size=0), ValueError, "step_size"), (dict(gamma=-1.0), ValueError,
                             "gamma")):  # fmt: skip
        with pytest.raises(exc, match=re.escape(f"state_dict['{key}']")):
            b.load_state_dict({**a.state_dict(), **change})
    state = a.state_dict()
    del state["last_epoch"]
    with pytest.raises(ValueError, match=re.escape("must have the keys ['last_epoch']")):
        b.load_state_dict(state)
    with pytest.warns(UserWarning, match=re.escape("ignored the keys ['extra']")):
        b.load_state_dict({**a.state_dict(), "extra": 1})
    assert b.last_epoch == 3


def test_torchs_warnings():
    opt = optimizer(torch)
    sched = LT.StepLR(opt, 3)
    with pytest.warns(UserWarning, match=re.escape("Detected call of `lr_scheduler.step()` before `optimizer.step()`")):
        sched.step()
    opt = optimizer(torch)
    sched = LT.ExponentialLR(opt, 0.9)
    opt.step = lambda: None  # replaced after the scheduler wrapped it
    with pytest.warns(UserWarning, match=re.escape("Seems like `optimizer.step()` has been overridden")):
        sched.step()
    opt = optimizer(torch)
    mult = LT.MultiplicativeLR(opt, lambda t: 0.5)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        mult.step(3)  # torch: deprecated, and one more factor
    assert mult.get_last_lr() == pytest.approx([0.05, 0.025, 0.15])
    with pytest.warns(UserWarning, match=re.escape("please use `get_last_lr()`")):
        mult.get_lr()
    opt = optimizer(torch)
    quiet = LT.CosineAnnealingLR(opt, 10)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        quiet.step()


def test_the_private_attributes_torchs_own_tests_read():
    """torch's test_lrscheduler.py reads CyclicLR's _scale_fn_ref (a plain function, never saved) and
    _scale_fn_custom, and every scheduler's _last_lr: the drop-ins keep them under torch's names."""
    import types

    for M in (TL, LT):
        opt = optimizer(torch)
        tri = M.CyclicLR(opt, 0.01, 0.1, 4, cycle_momentum=False)
        assert isinstance(tri._scale_fn_ref, types.FunctionType) and tri._scale_fn_custom is None
        assert tri._scale_fn_ref(3) == 1.0
        exp = M.CyclicLR(opt, 0.01, 0.1, 4, mode="exp_range", gamma=0.9, cycle_momentum=False)
        assert exp._scale_fn_ref(2) == pytest.approx(0.81)
        for s in (tri, exp):
            state = s.state_dict()
            assert "_scale_fn_ref" not in state and state["_scale_fn_custom"] is None
            pickle.loads(pickle.dumps(state))
            assert s._last_lr == s.get_last_lr()
