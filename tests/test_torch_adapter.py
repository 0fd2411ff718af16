"""lrsched.torch.Scheduler: the core adapter as a torch LRScheduler, and lightning_scheduler.

Every value is compared with the core ``lrsched.Scheduler`` stepped side by
side on a twin optimizer (and, without a plateau, with ``schedule.at(k)``).
"""

import copy
import io
import json
import pickle
import warnings

import numpy as np
import pytest

import lrsched
from lrsched import _validate as V
from peers import require

torch = require("torch")
import lrsched.torch as LT  # noqa: E402

TL = torch.optim.lr_scheduler
S = lrsched.warmup_cosine(peak_value=0.1, warmup_steps=5, total_steps=60, end_value=0.01)
MOM = lrsched.one_cycle_momentum(total_steps=60)
WD = lrsched.linear(init_value=0.0, end_value=0.05, steps=60)
MULT = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=5, total_steps=60, end_value=0.1)


def sgd(lrs=(0.1, 0.05), tensor=False):
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": torch.tensor(lr) if tensor else lr}
              for lr in lrs]  # fmt: skip
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9, weight_decay=0.0)


def adamw(lrs=(0.1, 0.05)):
    return torch.optim.AdamW([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs], lr=lrs[0])


def values(opt, fields):
    out = []
    for f in fields:
        for g in opt.param_groups:
            v = g["betas"][0] if f == "betas[0]" else g[f]
            out.append(float(v))
    return out


# (id, optimizer factory, schedule argument, keyword arguments, fields to compare, metric at step k or None)
CONFIGS = [
    ("lr", sgd, S, {}, ["lr"], None),
    ("per-group", sgd, [S, S * 0.5], {}, ["lr"], None),
    ("multi-field-sgd", sgd, {"lr": S, "momentum": MOM, "weight_decay": WD}, {}, ["lr", "momentum", "weight_decay"],
     None),
    ("multi-field-adamw-betas", adamw, {"lr": S, "betas[0]": MOM, "weight_decay": WD}, {},
     ["lr", "betas[0]", "weight_decay"], None),
    ("relative", sgd, MULT, dict(relative=True), ["lr"], None),
    ("relative-fields", sgd, {"lr": MULT, "momentum": lrsched.constant(1.0)}, dict(relative=True),
     ["lr", "momentum"], None),
    ("resumed-last-step", sgd, S, dict(last_step=9), ["lr"], None),
    ("plateau-after-warmup", sgd, S, dict(plateau=lrsched.plateau(factor=0.5, patience=2)), ["lr"],
     lambda k: 1.0 if k >= 8 else 1.0 / (k + 1)),  # improves during the warmup, then stalls: reductions
    ("plateau-relative-fields", sgd, {"lr": MULT, "momentum": lrsched.constant(1.0)},
     dict(relative=True, plateau=lrsched.plateau(factor=0.5, patience=1, cooldown=2)), ["lr", "momentum"],
     lambda k: torch.tensor(float(k % 3))),  # a 0-d tensor, as Lightning passes it
]  # fmt: skip
IDS = [c[0] for c in CONFIGS]
N = 80  # past the horizon


@pytest.mark.parametrize("name, make_opt, schedule, kw, fields, metric", CONFIGS, ids=IDS)
def test_values_equal_the_core_schedulers_at_every_step(name, make_opt, schedule, kw, fields, metric):
    core_opt, opt = make_opt(), make_opt()
    core = lrsched.Scheduler(core_opt, schedule, **kw)
    sched = LT.Scheduler(opt, schedule, **kw)
    assert sched.last_epoch == core.last_step
    seen = []
    for k in range(N):
        assert values(opt, fields) == values(core_opt, fields), f"step {k}"
        assert sched.get_last_lr() == core.get_last_lr()
        for f in fields:
            assert sched.get_last_values(f) == core.get_last_values(f)
        seen.append(sched.get_last_lr()[0])
        opt.step()
        if metric is None:
            sched.step()
            core.step()
        else:
            sched.step(metric(k))
            core.observe(metric(k))
            core.step()
        assert sched.last_epoch == sched.last_step == core.last_step
    assert sched.state_dict() == core.state_dict()
    if metric is None and "relative" not in name:  # the schedule's own values, computed independently
        start = kw.get("last_step", -1) + 1
        first = schedule if isinstance(schedule, lrsched.Schedule) else (
            schedule[0] if isinstance(schedule, list) else schedule["lr"])  # fmt: skip
        assert seen == [first.at(start + k) for k in range(N)]
    if metric is not None:
        base = MULT.table(N) if kw.get("relative") else S.table(N)
        assert len({round(v / b, 12) for v, b in zip(seen[1:], base[1:])}) > 1  # the plateau reduced the lr


def test_it_is_a_torch_lr_scheduler_with_torchs_attributes():
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    assert isinstance(sched, TL.LRScheduler) and isinstance(sched, LT.LRScheduler)
    assert not isinstance(sched, TL.ReduceLROnPlateau)  # Lightning reads that as "needs a monitor"
    assert not isinstance(sched, lrsched.Scheduler) and LT.Scheduler is not lrsched.Scheduler
    assert sched.optimizer is opt  # Lightning checks the scheduler's optimizer is the one configured
    assert sched.last_epoch == 0 and sched._step_count == 1 and sched._last_lr == [S.at(0)] * 2
    assert sched.schedules == {"lr": [S, S]}
    for name in ("Scheduler", "lightning_scheduler"):
        assert name in LT.__all__


def test_last_epoch_and_step_count_follow_torchs_convention():
    """Side by side with torch's LambdaLR over the same values: last_epoch and _step_count agree."""
    for last in (-1, 0, 6):
        opt_t, opt_l = sgd(), sgd()
        if last >= 0:
            for o in (opt_t, opt_l):
                for g in o.param_groups:
                    g["initial_lr"] = g["lr"]
        ours = LT.Scheduler(opt_l, MULT, relative=True, last_step=last)
        theirs = TL.LambdaLR(opt_t, MULT.at, last_epoch=last)
        for _ in range(5):
            assert (ours.last_epoch, ours._step_count) == (theirs.last_epoch, theirs._step_count)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-15)
            opt_t.step(), opt_l.step()
            ours.step(), theirs.step()


def test_constructor_arguments_and_errors_are_the_cores():
    for kwargs in (dict(field="lr\n"), dict(relative="yes"), dict(last_step=-2), dict(plateau=0.1)):
        opt_a, opt_b = sgd(), sgd()
        with pytest.raises((ValueError, TypeError)) as core_error:
            lrsched.Scheduler(opt_a, S, **kwargs)
        with pytest.raises(type(core_error.value)) as ours:
            LT.Scheduler(opt_b, S, **kwargs)
        assert str(ours.value) == str(core_error.value)
        assert [g["lr"] for g in opt_b.param_groups] == [0.1, 0.05]  # untouched
        assert not hasattr(opt_b.step, "_wrapped_by_lr_sched")


def test_an_unknown_argument_is_explained():
    with pytest.raises(V.ArgumentError) as info:
        LT.Scheduler(sgd(), S, last_epoch=3)
    assert info.value.function == "Scheduler" and "last_step" in info.value.suggestions["last_epoch"]
    with pytest.raises(V.ArgumentError) as info:
        LT.lightning_scheduler(LT.Scheduler(sgd(), S), monitr="loss")
    assert info.value.function == "lightning_scheduler" and info.value.suggestions["monitr"][0] == "monitor"
    sched = LT.Scheduler(sgd(), S)
    for call in (lambda: sched.load_state_dict(sched.state_dict(), adopted=True), lambda: sched.seek(step=1, n=2),
                 lambda: sched.state_dict(destination={})):  # fmt: skip
        with pytest.raises(V.ArgumentError):
            call()


# -- step(metrics) ------------------------------------------------------------------------------


def test_step_with_a_metric_feeds_the_plateau_then_steps():
    opt = sgd((1.0,))
    sched = LT.Scheduler(opt, lrsched.constant(1.0), plateau=lrsched.plateau(factor=0.5, patience=1))
    lrs = []
    for metric in [1.0, 0.9, 0.95, torch.tensor(0.95), np.float64(0.95), 0.95]:
        opt.step()
        sched.step(metric)
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25]  # torch's rules: more than `patience` bad epochs
    assert sched.last_epoch == 6
    sched.observe(0.95)  # the core's observe, without a step
    assert sched.last_epoch == 6


def test_a_metric_without_a_plateau_is_refused_and_changes_nothing():
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    opt.step()
    with pytest.raises(ValueError, match=r"Scheduler.step: got metrics=0.5, but this scheduler has no plateau"):
        sched.step(0.5)
    assert sched.last_epoch == 0 and sched.get_last_lr() == [S.at(0)] * 2
    with pytest.raises(TypeError, match="metric"):
        LT.Scheduler(sgd(), S, plateau=lrsched.plateau()).step("low")


# -- state ---------------------------------------------------------------------------------------


def torch_round_trip(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


@pytest.mark.parametrize("name, make_opt, schedule, kw, fields, metric", CONFIGS, ids=IDS)
def test_state_round_trip_resumes_exactly(name, make_opt, schedule, kw, fields, metric):
    opt = make_opt()
    sched = LT.Scheduler(opt, schedule, **kw)
    for k in range(23):
        opt.step()
        sched.step() if metric is None else sched.step(metric(k))
    state = sched.state_dict()
    assert json.loads(json.dumps(state)) == state == torch_round_trip(state)
    want = values(opt, fields)
    # a fresh optimizer (its groups at construction values), a fresh scheduler, the saved state: the same values
    kw_fresh = {k: v for k, v in kw.items() if k != "last_step"}
    fresh = []
    for cls in (LT.Scheduler, lrsched.Scheduler):  # the two load each other's states
        fresh_opt = make_opt()
        fresh.append((fresh_opt, cls(fresh_opt, schedule, **kw_fresh)))
        fresh[-1][1].load_state_dict(json.loads(json.dumps(state)))
        assert values(fresh_opt, fields) == want and fresh[-1][1].last_epoch == sched.last_epoch
        assert fresh[-1][1].state_dict() == state
    for k in range(23, 40):
        for o, s in [(opt, sched), *fresh]:
            o.step()
            if metric is None:
                s.step()
            elif isinstance(s, LT.Scheduler):
                s.step(metric(k))
            else:
                s.observe(metric(k))
                s.step()
        assert values(fresh[0][0], fields) == values(fresh[1][0], fields) == values(opt, fields), f"step {k}"


def test_a_loaded_state_sets_the_step_count_and_the_next_step_does_not_warn():
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    for _ in range(5):
        opt.step()
        sched.step()
    fresh = LT.Scheduler(sgd(), S)
    fresh.load_state_dict(sched.state_dict())
    assert fresh.last_epoch == 5 and fresh._step_count == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fresh.step()  # torch checks the order at the first step only; a resumed run is past it


def test_load_state_dict_keep_and_adopt_are_the_cores():
    opt = sgd()
    sched = LT.Scheduler(opt, S, last_step=19)
    state = sched.state_dict()
    longer = lrsched.extend(S, 120)
    other = LT.Scheduler(sgd(), longer)
    with pytest.raises(ValueError, match="differ"):
        other.load_state_dict(state)
    with pytest.warns(UserWarning, match="kept this scheduler's schedules"):
        change = other.load_state_dict(state, keep=True)
    assert change.step == 20 and other.schedules == {"lr": [longer, longer]} and other.last_epoch == 20
    adopted = LT.Scheduler(sgd(), longer)
    assert adopted.load_state_dict(state, adopt=True) is None
    assert adopted.schedules == {"lr": [S, S]}


def test_change_and_seek_delegate_to_the_core():
    opt = sgd()
    sched = LT.Scheduler(opt, S, last_step=29)
    cooldown = lrsched.branch(S, 30, steps=10)
    change = sched.change(cooldown)
    assert change.step == 30 and opt.param_groups[0]["lr"] == cooldown.at(30)
    sched.seek(45)
    assert sched.last_epoch == 45 and opt.param_groups[0]["lr"] == cooldown.at(45) and sched._step_count == 1
    sched.advance_to(50)
    assert sched.last_epoch == 50 and opt.param_groups[0]["lr"] == cooldown.at(50)


def test_copies_step_on_their_own():
    opt = sgd()
    sched = LT.Scheduler(opt, S, plateau=lrsched.plateau(patience=1))
    for k in range(7):
        opt.step()
        sched.step(1.0)
    state = sched.state_dict()
    shallow = copy.copy(sched)
    assert shallow.optimizer is opt and shallow.state_dict() == state
    twins = [copy.deepcopy(sched), pickle.loads(pickle.dumps(sched))]
    for twin in twins:
        assert twin.state_dict() == state and twin.optimizer is not opt
        assert isinstance(twin, TL.LRScheduler)
    for _ in range(5):
        for s in (sched, *twins):
            s.optimizer.step()
            s.step(1.0)
    assert shallow.state_dict() == state  # stepping the original did not move its shallow copy
    for twin in twins:
        assert twin.state_dict() == sched.state_dict()
        assert values(twin.optimizer, ["lr"]) == values(opt, ["lr"])


# -- tensors -------------------------------------------------------------------------------------


def test_tensor_lrs_are_filled_in_place():
    opt, core_opt = sgd(tensor=True), sgd(tensor=True)
    tensors = [g["lr"] for g in opt.param_groups]
    versions = [t._version for t in tensors]
    sched = LT.Scheduler(opt, {"lr": S, "momentum": MOM})
    core = lrsched.Scheduler(core_opt, {"lr": S, "momentum": MOM})
    for k in range(20):
        assert all(g["lr"] is t for g, t in zip(opt.param_groups, tensors))  # the same tensors, filled
        assert [float(g["lr"]) for g in opt.param_groups] == [float(g["lr"]) for g in core_opt.param_groups]
        assert [float(g["lr"]) for g in opt.param_groups] == pytest.approx([S.at(k)] * 2, rel=1e-7)  # float32
        assert all(type(x) is float for x in sched.get_last_lr()) and sched.get_last_lr() == [S.at(k)] * 2
        opt.step()
        sched.step()
        core.step()
    assert [t._version for t in tensors] > versions


# -- torch's warnings ----------------------------------------------------------------------------


def test_step_before_optimizer_step_warns_as_torch():
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    with pytest.warns(UserWarning, match=r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"):
        sched.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()  # once, as torch


def test_the_order_warning_is_the_same_as_torchs_own():
    got = {}
    for make in (lambda o: LT.Scheduler(o, S), lambda o: TL.LambdaLR(o, lambda t: 1.0)):
        opt = sgd()
        sched = make(opt)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            sched.step()
        got[type(sched).__name__] = [str(w.message) for w in caught]
    assert got["Scheduler"] == got["LambdaLR"] and len(got["Scheduler"]) == 1


def test_no_warning_in_the_documented_order_and_a_replaced_optimizer_step_warns():
    opt = sgd()
    sched = LT.Scheduler(opt, S, plateau=lrsched.plateau())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step(1.0)
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    opt.step = lambda *a, **k: None
    with pytest.warns(UserWarning, match="overridden after learning rate scheduler initialization"):
        sched.step()


def test_step_with_an_epoch_warns_and_jumps():
    opt = sgd()
    sched = LT.Scheduler(opt, S)
    opt.step()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(epoch=30)
    assert sched.last_epoch == 30 and sched.get_last_lr() == [S.at(30)] * 2
    with pytest.warns(UserWarning, match="get_last_lr"):
        assert sched.get_lr() == [S.at(30)] * 2


def test_accelerates_step_count_moves():
    sched = LT.Scheduler(sgd(), S)
    sched._step_count += 1  # accelerate's AcceleratedScheduler on an accumulation step
    assert sched._step_count == 2 and sched.last_epoch == 0


# -- lightning_scheduler -------------------------------------------------------------------------


def test_lightning_scheduler_gives_lightnings_dict():
    sched = LT.Scheduler(sgd(), S)
    assert LT.lightning_scheduler(sched) == {"scheduler": sched, "interval": "step", "frequency": 1}
    assert LT.lightning_scheduler(sched, name="lr")["name"] == "lr"
    plateau = LT.Scheduler(sgd(), S, plateau=lrsched.plateau())
    config = LT.lightning_scheduler(plateau, monitor="train_loss")
    assert config == {"scheduler": plateau, "interval": "step", "frequency": 1, "reduce_on_plateau": True,
                      "monitor": "train_loss", "strict": True}  # fmt: skip
    assert LT.lightning_scheduler(LT.OneCycleLR(sgd(), 0.1, total_steps=10))["interval"] == "step"


REFUSALS = [
    (lambda: LT.lightning_scheduler(LT.Scheduler(sgd(), S), monitor="loss"), ValueError, "has no plateau to feed"),
    (lambda: LT.lightning_scheduler(LT.StepLR(sgd(), 3), monitor="loss"), ValueError, "a StepLR takes no metric"),
    (lambda: LT.lightning_scheduler(lrsched.Scheduler(sgd(), S)), TypeError, "a torch LRScheduler"),
    (lambda: LT.lightning_scheduler(LT.Scheduler(sgd(), S, plateau=lrsched.plateau()), monitor=1), TypeError,
     "the name of a logged metric"),
    (lambda: LT.lightning_scheduler(LT.Scheduler(sgd(), S), name=3), TypeError, "`name` must be a str"),
]  # fmt: skip
REFUSAL_IDS = ["monitor-without-plateau", "monitor-for-steplr", "core-scheduler", "monitor-not-str", "name-not-str"]


@pytest.mark.parametrize("call, exc, text", REFUSALS, ids=REFUSAL_IDS)
def test_lightning_scheduler_refuses(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_lightning_takes_the_dict_without_a_hook():
    pl = require("pytorch_lightning")
    from pytorch_lightning.core.optimizer import _configure_schedulers_automatic_opt, _validate_scheduler_api

    class Bare(pl.LightningModule):  # no lr_scheduler_step override
        pass

    opt = sgd()
    sched = LT.Scheduler(opt, S, plateau=lrsched.plateau())
    (config,) = _configure_schedulers_automatic_opt([LT.lightning_scheduler(sched, monitor="loss")], None)
    assert (config.interval, config.frequency, config.reduce_on_plateau, config.monitor) == ("step", 1, True, "loss")
    _validate_scheduler_api([config], Bare())  # raises for a scheduler that is not torch's


def test_a_state_saved_between_the_update_and_the_step_holds_the_next_step_under_lightning():
    """With a monitor, Lightning saves checkpoints after the optimizer update and before step(metric)."""
    opt = sgd()
    sched = LT.Scheduler(opt, S, plateau=lrsched.plateau(patience=100))
    LT.lightning_scheduler(sched, monitor="loss")
    for k in range(4):
        opt.step()
        assert sched.state_dict()["last_step"] == k + 1  # the step of the next update
        sched.step(1.0)
        assert sched.state_dict()["last_step"] == k + 1 == sched.last_epoch
    plain = LT.Scheduler(opt, S)  # not configured with a monitor: the core's state as it is
    opt.step()
    assert plain.state_dict()["last_step"] == 0
