"""lrsched.timm against timm's real scheduler classes, stepped side by side on real torch optimizers.

The peer is timm's own code: ``timm_peer.require()`` loads the installed
``timm.scheduler`` modules (without ``timm/__init__``, which needs
torchvision), so every comparison here runs timm 1.0.31's schedulers
unchanged.  With ``LRSCHED_REQUIRE_PEERS=1`` a missing timm fails the module.
"""

import argparse
import copy
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import lrsched
import timm_peer
from peers import assert_close, record, require

torch = require("torch")
TS = timm_peer.require()
import lrsched.timm as LTM  # noqa: E402
from trainers import Regression, dataset  # noqa: E402

RTOL = 1e-12  # timm's values are closed forms of t
LRS = (0.1, 0.05, 0.3)
SCALES = (None, 0.5, 0.25)  # lr_scale per group (None: the key is absent), as timm's layer decay sets it


def optimizer(lrs=LRS, scales=SCALES):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = []
    for p, lr, s in zip(params, lrs, scales):
        g = {"params": [p], "lr": lr}
        if s is not None:
            g["lr_scale"] = s
        groups.append(g)
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def lrs(opt):
    return [float(g["lr"]) for g in opt.param_groups]


def build(module, name, opt, kwargs, after=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # timm's PlateauLRScheduler deprecation
        sched = getattr(module, name)(opt, **kwargs)
    if after:
        for k, v in after.items():
            setattr(sched, k, v)
    return sched


def drive(sched, opt, ts, per_update, metrics=None):
    """The groups' lrs after construction, then after each step(t) (or step_update(t))."""
    rows = [lrs(opt)]
    for i, t in enumerate(ts):
        metric = None if metrics is None else metrics[i]
        if per_update:
            sched.step_update(t, metric)
        else:
            sched.step(t, metric)
        rows.append(lrs(opt))
    return np.array(rows)


def both(name, kwargs, ts, per_update=False, after=None, metrics=None, scales=SCALES):
    out = []
    for module in (TS, LTM):
        opt = optimizer(scales=scales)
        sched = build(module, name, opt, kwargs, after)
        out.append(drive(sched, opt, ts, per_update, metrics))
    record(f"timm.{name}", out[1], out[0])
    return out[0], out[1], sched


W = dict(warmup_t=5, warmup_lr_init=1e-4)
# (id, class, kwargs, attributes set after construction)
CASES = [
    ("cosine", "CosineLRScheduler", dict(t_initial=40), None),
    ("cosine-warmup", "CosineLRScheduler", dict(t_initial=40, **W), None),
    ("cosine-warmup-prefix", "CosineLRScheduler", dict(t_initial=40, warmup_prefix=True, lr_min=1e-3, **W), None),
    ("cosine-cycles-mul1-decay", "CosineLRScheduler", dict(t_initial=20, cycle_limit=5, cycle_decay=0.5, lr_min=1e-4,
                                                           **W), None),
    ("cosine-cycles-mul2", "CosineLRScheduler", dict(t_initial=10, cycle_mul=2, cycle_limit=5, cycle_decay=0.7,
                                                     warmup_prefix=True, **W), None),
    ("cosine-cycles-mul2-float", "CosineLRScheduler", dict(t_initial=10, cycle_mul=2.0, cycle_limit=4), None),
    ("cosine-k-decay", "CosineLRScheduler", dict(t_initial=30, cycle_limit=3, k_decay=1.7, lr_min=1e-3, **W), None),
    ("cosine-k-decay-mul2", "CosineLRScheduler", dict(t_initial=8, cycle_mul=2, cycle_limit=4, k_decay=0.6), None),
    ("cosine-mul3-misindexed", "CosineLRScheduler", dict(t_initial=1, cycle_mul=3, cycle_limit=8, lr_min=1e-4), None),
    ("cosine-cycle-limit-0", "CosineLRScheduler", dict(t_initial=10, cycle_limit=0, lr_min=1e-3, **W), None),
    ("cosine-many-cycles", "CosineLRScheduler", dict(t_initial=7, cycle_limit=1000, cycle_decay=0.9), None),
    ("cosine-mul1.5-slow-path", "CosineLRScheduler", dict(t_initial=7, cycle_mul=1.5, cycle_limit=5, lr_min=1e-4),
     None),
    ("cosine-noise-normal", "CosineLRScheduler", dict(t_initial=40, noise_range_t=(10, 60), noise_pct=0.3,
                                                      noise_std=0.5, noise_seed=7, **W), None),
    ("cosine-noise-open-range", "CosineLRScheduler", dict(t_initial=40, noise_range_t=20, noise_seed=1), None),
    ("cosine-noise-uniform", "CosineLRScheduler", dict(t_initial=40, noise_range_t=[0, 80], noise_pct=0.2,
                                                       noise_seed=11), {"noise_type": "uniform"}),
    ("tanh", "TanhLRScheduler", dict(t_initial=40, lr_min=1e-3), None),
    ("tanh-warmup", "TanhLRScheduler", dict(t_initial=40, **W), None),
    ("tanh-warmup-prefix-cycles", "TanhLRScheduler", dict(t_initial=15, cycle_limit=4, warmup_prefix=True,
                                                          lb=-5.0, ub=4.0, **W), None),
    ("tanh-cycles-decay", "TanhLRScheduler", dict(t_initial=12, cycle_limit=6, cycle_decay=0.6, lr_min=1e-4), None),
    ("tanh-mul2", "TanhLRScheduler", dict(t_initial=5, cycle_mul=2, cycle_limit=5, cycle_decay=0.8, **W), None),
    ("tanh-mul3-misindexed", "TanhLRScheduler", dict(t_initial=1, cycle_mul=3, cycle_limit=8, lr_min=1e-4), None),
    ("tanh-noise", "TanhLRScheduler", dict(t_initial=40, noise_range_t=(0, 30), noise_seed=5), None),
    ("poly", "PolyLRScheduler", dict(t_initial=40), None),
    ("poly-power2-warmup", "PolyLRScheduler", dict(t_initial=40, power=2.0, lr_min=1e-3, **W), None),
    ("poly-cycles-k", "PolyLRScheduler", dict(t_initial=10, power=1.5, cycle_mul=2, cycle_limit=4, cycle_decay=0.5,
                                              k_decay=2.0, warmup_prefix=True, **W), None),
    ("step", "StepLRScheduler", dict(decay_t=7, decay_rate=0.5), None),
    ("step-warmup", "StepLRScheduler", dict(decay_t=7, decay_rate=0.5, **W), None),
    ("step-warmup-no-prefix", "StepLRScheduler", dict(decay_t=7, decay_rate=0.5, warmup_prefix=False, **W), None),
    ("step-noise", "StepLRScheduler", dict(decay_t=10, decay_rate=0.9, noise_range_t=(5, 50), noise_seed=2), None),
    ("multistep", "MultiStepLRScheduler", dict(decay_t=[10, 20, 20, 45], decay_rate=0.5), None),
    ("multistep-warmup", "MultiStepLRScheduler", dict(decay_t=[0, 10, 30], decay_rate=0.3, **W), None),
    ("multistep-no-prefix", "MultiStepLRScheduler", dict(decay_t=(3, 30), decay_rate=0.3, warmup_prefix=False, **W),
     None),
    ("wsd", "WSDLRScheduler", dict(t_initial=50, decay_t=15), None),
    ("wsd-warmup-min", "WSDLRScheduler", dict(t_initial=50, decay_t=15, lr_min=1e-3, decay_fn="linear", **W), None),
    ("wsd-cosine", "WSDLRScheduler", dict(t_initial=50, decay_t=50, decay_fn="cosine", **W), None),
    ("wsd-rsqrt-exp", "WSDLRScheduler", dict(t_initial=50, decay_t=10, stable_fn="rsqrt", decay_fn="exp", lr_min=1e-4,
                                             **W), None),
    ("wsd-power", "WSDLRScheduler", dict(t_initial=50, decay_t=10, stable_fn="power", stable_timescale=3.5,
                                         decay_fn="power", decay_power=2.0), None),
    ("wsd-noise", "WSDLRScheduler", dict(t_initial=50, decay_t=10, noise_range_t=(40, 100), noise_seed=9), None),
]


@pytest.mark.parametrize("per_update", [False, True], ids=["t_in_epochs", "per_update"])
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_group_matches_timm_at_every_step(case, per_update):
    _, name, kwargs, after = case
    kwargs = dict(kwargs, t_in_epochs=not per_update)
    ts = list(range(0, 400))
    theirs, ours, _ = both(name, kwargs, ts, per_update, after)
    assert_close(ours, theirs, RTOL)
    # the other kind of step does nothing, in both
    a, b, _ = both(name, kwargs, ts[:20], not per_update, after)
    np.testing.assert_array_equal(b, a)
    assert np.all(b == b[0])


@pytest.mark.parametrize("case", CASES[:8], ids=[c[0] for c in CASES[:8]])
def test_counts_out_of_order_and_repeated_are_timm_values(case):
    _, name, kwargs, after = case
    ts = [0, 3, 3, 100, 7, 8, 9, 250, 1, 10**6, 10**6 + 1, 5, 5.0, 6.0]
    theirs, ours, _ = both(name, kwargs, ts, after=after)
    assert_close(ours, theirs, RTOL)


def test_misindexed_restarts_are_timm_values_and_sgdr_is_exact():
    """timm's float log puts t = 121 (t_initial=1, cycle_mul=3) in the cycle before: lr_min, not the peak."""
    kw = dict(t_initial=1, cycle_mul=3, cycle_limit=8, lr_min=1e-4)
    theirs, ours, sched = both("CosineLRScheduler", kw, [120, 121, 122], scales=(None, None, None))
    assert theirs[2, 0] == pytest.approx(1e-4, rel=1e-12)  # timm's quirk at the restart
    assert_close(ours, theirs, RTOL)
    table = sched.schedules["lr"][0].table(400)
    assert table[121] == pytest.approx(1e-4, rel=1e-12) and table[121] == ours[2, 0]
    exact = lrsched.sgdr(0.1, 1, cycle_mult=3, end_value=1e-4, cycle_limit=8)
    assert exact.at(121) == pytest.approx(0.1, rel=1e-12)  # the core's integer cycle index: the new cycle's peak


def test_schedules_are_the_values_step_writes():
    opt = optimizer()
    sched = LTM.CosineLRScheduler(opt, t_initial=10, cycle_mul=2, cycle_limit=3, warmup_t=3, warmup_lr_init=0.01,
                                  t_in_epochs=False)  # fmt: skip
    tables = np.array([s.table(100) for s in sched.schedules["lr"]]).T
    rows = []
    for t in range(100):
        sched.step_update(t)
        rows.append(lrs(opt))
    np.testing.assert_array_equal(np.array(rows), tables)


def test_construction_writes_what_timm_writes():
    for kw in (dict(t_initial=10), dict(t_initial=10, warmup_t=2, warmup_lr_init=0.003)):
        for name in ("CosineLRScheduler", "TanhLRScheduler"):
            theirs, ours, _ = both(name, kw, [])
            np.testing.assert_array_equal(ours, theirs)
    opts = [optimizer(), optimizer()]
    for module, opt in zip((TS, LTM), opts):
        module.StepLRScheduler(opt, decay_t=3)
    assert [g["initial_lr"] for g in opts[1].param_groups] == [g["initial_lr"] for g in opts[0].param_groups]


@pytest.mark.parametrize("initialize", [True, False])
def test_initialize(initialize):
    out = []
    for module in (TS, LTM):
        opt = optimizer()
        for g, x in zip(opt.param_groups, (0.2, 0.4, 0.6)):
            g["initial_lr"] = x
        sched = module.CosineLRScheduler(opt, t_initial=10, initialize=initialize)
        out.append(drive(sched, opt, range(12), False))
        opt2 = optimizer()
        if not initialize:
            with pytest.raises(KeyError, match="initial_lr missing from param_groups"):
                module.CosineLRScheduler(opt2, t_initial=10, initialize=False)
    assert_close(out[1], out[0], RTOL)


def test_state_dict_has_timm_keys_and_crosses_both_ways():
    for _, name, kwargs, after in CASES:
        opts = [optimizer(), optimizer()]
        theirs, ours = (build(m, name, o, kwargs, after) for m, o in zip((TS, LTM), opts))
        st = ours.state_dict()
        assert list(st) == list(theirs.state_dict()), name
        assert pickle.loads(pickle.dumps(st)) == st
        # ours -> timm's class -> ours, each loaded into a scheduler built with other arguments
        other = dict(t_initial=3) if "t_initial" in kwargs else {}
        other.update(decay_t=kwargs["decay_t"]) if "decay_t" in kwargs and name != "WSDLRScheduler" else None
        if name == "WSDLRScheduler":
            other.update(decay_t=1)
        o1, o2 = optimizer(), optimizer()
        timm_side = build(TS, name, o1, other)
        timm_side.load_state_dict(copy.deepcopy(st))
        back = build(LTM, name, o2, other)
        back.load_state_dict(timm_side.state_dict())
        a = drive(timm_side, o1, range(120), False)
        b = drive(back, o2, range(120), False)
        assert_close(b, a, RTOL)
        assert back.state_dict() == st


def test_resume_mid_run_from_a_state_is_the_uninterrupted_run():
    kw = dict(t_initial=30, cycle_mul=2, cycle_limit=3, cycle_decay=0.5, t_in_epochs=False, noise_range_t=(20, 60),
              noise_seed=3, **W)  # fmt: skip
    opt = optimizer()
    timm_sched = TS.CosineLRScheduler(opt, **kw)
    whole = drive(timm_sched, opt, range(1, 200), True)
    for saved_by in (TS, LTM):
        opt = optimizer()
        first = saved_by.CosineLRScheduler(opt, **kw)
        head = drive(first, opt, range(1, 90), True)
        state, opt_state = copy.deepcopy(first.state_dict()), copy.deepcopy(opt.state_dict())
        opt2 = optimizer()
        opt2.load_state_dict(opt_state)
        resumed = LTM.CosineLRScheduler(opt2, t_initial=5)  # other arguments: the state replaces them, as timm's
        resumed.load_state_dict(state)
        resumed.step_update(89)  # timm's train.py: step_update(start_epoch * updates_per_epoch)
        tail = drive(resumed, opt2, range(90, 200), True)
        assert_close(head, whole[:90], RTOL)
        assert_close(tail[1:], whole[90:], RTOL)


def test_an_attribute_set_takes_effect_at_the_next_step_as_in_timm():
    out = []
    for module in (TS, LTM):
        opt = optimizer()
        sched = module.CosineLRScheduler(opt, t_initial=20)
        rows = drive(sched, opt, range(10), False)
        sched.t_initial, sched.lr_min = 50, 0.001
        out.append(np.vstack([rows, drive(sched, opt, range(10, 60), False)]))
    assert_close(out[1], out[0], RTOL)


def test_copies_and_pickles_step_on_their_own():
    opt = optimizer()
    sched = LTM.CosineLRScheduler(opt, t_initial=10, t_in_epochs=False)
    for t in range(5):
        sched.step_update(t)
    clone = pickle.loads(pickle.dumps((sched, opt)))[0]
    clone.step_update(5)
    sched.step_update(5)
    assert lrs(clone.optimizer) == lrs(opt)


def test_plateau_matches_timm_with_warmup_metrics_and_noise():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.8, 0.8, 0.8, 0.8, 0.7] * 4
    for kw in (dict(patience_t=1, decay_rate=0.5, mode="min", lr_min=1e-3, **W),
               dict(patience_t=2, decay_rate=0.3, mode="min", cooldown_t=1, noise_range_t=(8, 30), noise_seed=4),
               dict(patience_t=0, mode="max", noise_range_t=3, noise_type="uniform", noise_pct=0.1)):  # fmt: skip
        ts = list(range(len(metrics)))
        with_metric = [m if t % 3 else None for t, m in enumerate(metrics)]  # some epochs without a metric
        theirs, ours, sched = both("PlateauLRScheduler", kw, ts, metrics=with_metric)
        assert_close(ours, theirs, RTOL)
        assert isinstance(sched.lr_scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
    opts = [optimizer(), optimizer()]
    a, b = (build(m, "PlateauLRScheduler", o, dict(mode="min")) for m, o in zip((TS, LTM), opts))
    for s in (a, b):
        s.step(1, 0.5)
    assert b.state_dict() == a.state_dict() == {"best": 0.5, "last_epoch": 1}
    a.load_state_dict(b.state_dict())
    b.load_state_dict({"best": 0.25})
    assert b.lr_scheduler.best == 0.25 and b.lr_scheduler.last_epoch == 1
    with pytest.warns(FutureWarning, match="PlateauLRScheduler is deprecated"):
        LTM.PlateauLRScheduler(optimizer())
    b.step_update(3)  # nothing, as timm's


def test_get_cycle_length():
    for name, kw in [("CosineLRScheduler", dict(t_initial=10, cycle_limit=3)),
                     ("CosineLRScheduler", dict(t_initial=10, cycle_mul=2, cycle_limit=3, warmup_t=4,
                                                warmup_prefix=True)),
                     ("TanhLRScheduler", dict(t_initial=7, cycle_mul=1.5, cycle_limit=4)),
                     ("PolyLRScheduler", dict(t_initial=7, cycle_limit=2)),
                     ("WSDLRScheduler", dict(t_initial=30, decay_t=5, warmup_t=3))]:  # fmt: skip
        a, b = build(TS, name, optimizer(), kw), build(LTM, name, optimizer(), kw)
        for c in (0, 1, 2, 5):
            assert b.get_cycle_length(c) == a.get_cycle_length(c)


FACTORY = [
    dict(sched="cosine", num_epochs=20, warmup_epochs=3, cooldown_epochs=2, cycle_limit=2, cycle_decay=0.5),
    dict(sched="cosine", num_epochs=20, warmup_epochs=3, warmup_prefix=True, noise=[0.2, 0.8], noise_seed=5),
    dict(sched="tanh", num_epochs=20, cycle_mul=2, cycle_limit=3),
    dict(sched="step", num_epochs=20, decay_epochs=4, decay_rate=0.5, warmup_epochs=2, warmup_prefix=True),
    dict(sched="constant", num_epochs=20, warmup_epochs=2),
    dict(sched="multistep", num_epochs=20, decay_milestones=[5, 12], warmup_epochs=2),
    dict(sched="poly", num_epochs=20, decay_rate=2.0, k_decay=1.5, noise=0.5),
    dict(sched="wsd", num_epochs=20, warmup_epochs=3),
    dict(sched="wsd", num_epochs=20, warmup_epochs=3, warmup_prefix=True, decay_epochs=4, decay_fn="cosine"),
    dict(sched="rsqrt", num_epochs=20, warmup_epochs=3),
    dict(sched="plateau", num_epochs=20, warmup_epochs=2, patience_epochs=1, plateau_mode="min"),
    dict(sched="none", num_epochs=20, warmup_epochs=2, warmup_prefix=True),
]


@pytest.mark.parametrize("on_epochs", [True, False], ids=["epochs", "updates"])
@pytest.mark.parametrize("kw", FACTORY, ids=[f"{k['sched']}-{i}" for i, k in enumerate(FACTORY)])
def test_create_scheduler_v2_returns_what_timm_returns(kw, on_epochs):
    if kw["sched"] == "plateau" and not on_epochs:
        for module in (TS, LTM):
            with pytest.raises((AssertionError, ValueError)):
                module.create_scheduler_v2(optimizer(), step_on_epochs=False, updates_per_epoch=4, **kw)
        return
    kw = dict(kw, step_on_epochs=on_epochs, updates_per_epoch=4)
    out = []
    for module in (TS, LTM):
        opt = optimizer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            sched, epochs = module.create_scheduler_v2(opt, **kw)
        rows = lrs(opt)
        if sched is not None:
            metrics = [1.0 / (1 + (t % 5)) for t in range(100)]
            rows = drive(sched, opt, range(100), not on_epochs, metrics if kw["sched"] == "plateau" else None)
        out.append((None if sched is None else type(sched).__name__, epochs,
                    None if sched is None else list(sched.state_dict()), rows))  # fmt: skip
    assert out[1][:3] == out[0][:3]
    assert_close(out[1][3], out[0][3], RTOL)


def test_scheduler_kwargs_and_create_scheduler():
    ns = argparse.Namespace(sched="cosine", epochs=12, warmup_epochs=2, lr_cycle_limit=2, eval_metric="loss",
                            sched_on_updates=True, seed=3, lr_noise=[0.5])  # fmt: skip
    assert LTM.scheduler_kwargs(ns) == TS.scheduler_kwargs(ns)
    assert LTM.scheduler_kwargs(ns, decreasing_metric=False) == TS.scheduler_kwargs(ns, decreasing_metric=False)
    assert LTM.scheduler_kwargs(argparse.Namespace(sched="step")) == TS.scheduler_kwargs(argparse.Namespace(sched="step"))
    out = []
    for module in (TS, LTM):
        opt = optimizer()
        sched, epochs = module.create_scheduler(ns, opt, updates_per_epoch=5)
        out.append((type(sched).__name__, epochs, drive(sched, opt, range(80), True)))
    assert out[1][:2] == out[0][:2]
    assert_close(out[1][2], out[0][2], RTOL)


def test_unknown_arguments_and_refused_values():
    with pytest.raises(lrsched._validate.ArgumentError, match="t_initial"):
        LTM.CosineLRScheduler(optimizer(), t_inital=10)
    with pytest.raises(lrsched._validate.ArgumentError, match="num_epochs"):
        LTM.create_scheduler_v2(optimizer(), num_epoch=10)
    with pytest.raises(ValueError, match="t_initial"):
        LTM.CosineLRScheduler(optimizer(), t_initial=0)
    with pytest.raises(ValueError, match="Invalid decay_t"):
        LTM.WSDLRScheduler(optimizer(), t_initial=10, decay_t=11)
    with pytest.raises(ValueError, match="Unknown scheduler"):
        LTM.create_scheduler_v2(optimizer(), sched="cosinus")
    opt = optimizer()
    before = [dict(g) for g in opt.param_groups]
    with pytest.raises(ValueError):
        LTM.TanhLRScheduler(opt, t_initial=10, lb=3.0, ub=1.0)
    assert [dict(g) for g in opt.param_groups] == before  # a refused constructor changes nothing
    sched = LTM.StepLRScheduler(optimizer(), decay_t=3)
    with pytest.raises((ValueError, TypeError), match="epoch"):
        sched.step(2.5)


def test_import_lrsched_does_not_import_lrsched_timm():
    code = "import sys, lrsched; assert 'lrsched.timm' not in sys.modules and 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert set(LTM.__all__) == {"CosineLRScheduler", "TanhLRScheduler", "StepLRScheduler", "MultiStepLRScheduler",
                                "PolyLRScheduler", "PlateauLRScheduler", "WSDLRScheduler", "create_scheduler",
                                "create_scheduler_v2", "scheduler_kwargs"}  # fmt: skip


# -- inside the trainers ------------------------------------------------------------------------

STEPS = 24


def timm_kwargs():
    return dict(t_initial=STEPS, warmup_t=4, warmup_lr_init=0.005, cycle_limit=1, lr_min=1e-3, t_in_epochs=False,
                noise_range_t=(8, 16), noise_seed=0)  # fmt: skip


@pytest.mark.parametrize("module", ["timm", "lrsched"])
def test_lightning_steps_per_update_with_lr_scheduler_step_and_resumes(module, tmp_path):
    """Lightning needs ``lr_scheduler_step`` overridden for a timm scheduler (timm's and Lightning's docs):
    ``step_update(num_updates=global_step)`` per update.  A checkpoint at step 12 and a resume give the lrs of
    timm's own class driven the same way."""
    pl = require("pytorch_lightning")
    lrs_seen = {}

    def run(mod, max_steps, ckpt=None, save=None):
        class Module(pl.LightningModule):
            def __init__(self):
                super().__init__()
                self.model = Regression()

            def training_step(self, batch, i):
                lrs_seen[self.global_step] = [g["lr"] for g in self.optimizers().param_groups]
                return self.model(batch["x"], batch["labels"])["loss"]

            def configure_optimizers(self):
                opt = torch.optim.SGD([{"params": self.model.linear.weight, "lr": 0.05},
                                       {"params": self.model.linear.bias, "lr": 0.1, "lr_scale": 0.5}], lr=0.05)
                sched = mod.CosineLRScheduler(opt, **timm_kwargs())
                return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

            def lr_scheduler_step(self, scheduler, metric):
                scheduler.step_update(num_updates=self.global_step)

        trainer = pl.Trainer(max_steps=max_steps, accelerator="cpu", logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, default_root_dir=str(tmp_path))
        trainer.fit(Module(), torch.utils.data.DataLoader(dataset(), batch_size=8), ckpt_path=ckpt)
        if save:
            trainer.save_checkpoint(save)

    results = {}
    for name, mod in (("timm", TS), ("lrsched", LTM)):
        lrs_seen.clear()
        run(mod, STEPS)
        whole = dict(lrs_seen)
        lrs_seen.clear()
        ckpt = str(tmp_path / f"{name}.ckpt")
        run(mod, 12, save=ckpt)
        run(mod, STEPS, ckpt=ckpt)
        results[name] = (whole, dict(lrs_seen))
    (tw, tr), (ow, orr) = results["timm"], results["lrsched"]
    assert sorted(ow) == list(range(STEPS)) and sorted(orr) == list(range(STEPS))
    steps = range(STEPS)
    assert_close(np.array([ow[k] for k in steps]), np.array([tw[k] for k in steps]), RTOL)
    assert_close(np.array([orr[k] for k in steps]), np.array([tr[k] for k in steps]), RTOL)
    assert_close(np.array([orr[k] for k in steps]), np.array([ow[k] for k in steps]), RTOL)  # resume == whole
    assert len({round(v[0], 12) for v in ow.values()}) > 10  # warmup, noise and decay moved the lr


class StepUpdate:
    """What a user writes to give the HF Trainer a timm scheduler: the Trainer (through accelerate) calls
    ``step()`` with no argument after each update and ``get_last_lr()`` to log; timm's schedulers have
    ``step_update(num_updates)``.  The count is part of the state, so a resumed Trainer goes on from it."""

    def __init__(self, scheduler):
        self.scheduler, self.optimizer, self.num_updates = scheduler, scheduler.optimizer, 0

    def step(self):
        self.num_updates += 1
        self.scheduler.step_update(self.num_updates)

    def get_last_lr(self):
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def state_dict(self):
        return {"num_updates": self.num_updates, "scheduler": self.scheduler.state_dict()}

    def load_state_dict(self, state):
        self.num_updates = state["num_updates"]
        self.scheduler.load_state_dict(state["scheduler"])
        self.scheduler.step_update(self.num_updates)


def test_hugging_face_trainer_steps_a_step_update_wrapper_and_resumes(tmp_path):
    transformers = require("transformers")
    require("accelerate")

    def train(mod, out, resume=None):
        seen = []

        class Record(transformers.TrainerCallback):
            def on_step_begin(self, args, state, control, optimizer=None, **kw):
                seen.append([float(g["lr"]) for g in optimizer.param_groups])

        model = Regression()
        opt = torch.optim.SGD([{"params": model.linear.weight, "lr": 0.05},
                               {"params": model.linear.bias, "lr": 0.1, "lr_scale": 0.5}], lr=0.05)  # fmt: skip
        sched = StepUpdate(mod.CosineLRScheduler(opt, **timm_kwargs()))
        args = transformers.TrainingArguments(
            output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=8, save_strategy="steps",
            save_steps=12, logging_steps=1, report_to=[], use_cpu=True, disable_tqdm=True, seed=0,
        )  # fmt: skip
        trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset(), optimizers=(opt, sched),
                                       callbacks=[Record()])  # fmt: skip
        trainer.train(resume_from_checkpoint=resume)
        return np.array(seen)

    runs = {}
    for name, mod in (("timm", TS), ("lrsched", LTM)):
        out = tmp_path / name
        whole = train(mod, out)
        resumed = train(mod, out, resume=str(out / "checkpoint-12"))
        runs[name] = (whole, resumed)
    (tw, tr), (ow, orr) = runs["timm"], runs["lrsched"]
    assert ow.shape == (STEPS, 2) and orr.shape == (STEPS - 12, 2)
    assert_close(ow, tw, RTOL)
    assert_close(orr, tr, RTOL)
    assert_close(orr, ow[12:], RTOL)
    assert len(set(ow[:, 0].round(12))) > 10


# -- the core's timm arguments: wsd's stable and decay functions, warmup(prefix=False),
#    multistep(switch="before") and the registry's "rsqrt", each against timm's own _get_lr ---------------

import inspect  # noqa: E402
import json  # noqa: E402

PEAK = 0.1
TIMM_WSD_DEFAULTS = {k: p.default for k, p in inspect.signature(TS.WSDLRScheduler.__init__).parameters.items()
                     if p.default is not inspect.Parameter.empty}  # timm's own defaults (decay_ratio=0.1, ...)
CORE_DECAY_SHAPES = {"linear": "linear", "1-sqrt": "1-sqrt", "cosine": "cosine", "power": "1-power",
                     "exp": "exponential"}  # timm's decay_fn -> lrsched.wsd's decay_shape  # fmt: skip
WSD_STABLES = [
    ("constant", dict(stable_fn="constant")),
    ("rsqrt", dict(stable_fn="rsqrt")),
    ("power0.8", dict(stable_fn="power", stable_power=0.8)),
]
WSD_DECAYS = [  # timm's defaults where no parameter is given: decay_power=0.5, decay_ratio=0.1
    ("linear", dict(decay_fn="linear")),
    ("1-sqrt", dict(decay_fn="1-sqrt")),
    ("cosine", dict(decay_fn="cosine")),
    ("power0.5", dict(decay_fn="power")),
    ("power2", dict(decay_fn="power", decay_power=2.0)),
    ("power1.3", dict(decay_fn="power", decay_power=1.3)),
    ("exp0.1", dict(decay_fn="exp")),
    ("exp0.5", dict(decay_fn="exp", decay_ratio=0.5)),
]


def core_wsd(peak, **timm_kwargs):
    """lrsched.wsd with the arguments of timm's WSDLRScheduler(**timm_kwargs) (timm's defaults for the rest)."""
    a = dict(TIMM_WSD_DEFAULTS, **timm_kwargs)
    return lrsched.wsd(
        peak_value=peak, total_steps=a["warmup_t"] + a["t_initial"], warmup_steps=a["warmup_t"],
        decay_steps=a["decay_t"], init_value=a["warmup_lr_init"], end_value=a["lr_min"], stable=a["stable_fn"],
        stable_power=a["stable_power"], timescale=a["stable_timescale"], decay_shape=CORE_DECAY_SHAPES[a["decay_fn"]],
        power=a["decay_power"], decay_ratio=a["decay_ratio"],
    )  # fmt: skip


def timm_lrs(name, n, peak=PEAK, **kwargs):
    """timm's ``_get_lr(t)[0]`` for t in 0 .. n-1, its class built on a one-group SGD at lr = ``peak``."""
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=peak)
    sched = getattr(TS, name)(opt, t_in_epochs=False, **kwargs)
    return np.array([float(sched._get_lr(t)[0]) for t in range(n)])


def _wsd_grid():
    for (sid, st), (did, dec) in ((s, d) for s in WSD_STABLES for d in WSD_DECAYS):
        for w in (0, 5):
            for t_initial in (40, 100):
                for decay_t in (10, 40):
                    for lr_min in (0.0, 0.02):
                        for tau in (None, 7):
                            if st["stable_fn"] != "constant" and w == 0 and tau is None:
                                continue  # timm refuses: the timescale defaults to warmup_t = 0
                            kw = dict(st, **dec, warmup_t=w, t_initial=t_initial, decay_t=decay_t, lr_min=lr_min,
                                      stable_timescale=tau)  # fmt: skip
                            if w:
                                kw["warmup_lr_init"] = 0.004
                            yield pytest.param(kw, id=f"{sid}-{did}-w{w}-T{t_initial}-D{decay_t}-min{lr_min}-tau{tau}")


@pytest.mark.parametrize("kw", list(_wsd_grid()))
def test_core_wsd_is_timm_wsd_get_lr_at_every_step(kw):
    n = kw["warmup_t"] + kw["t_initial"] + 5
    theirs = timm_lrs("WSDLRScheduler", n, **kw)
    ours = core_wsd(PEAK, **kw)(range(n))
    record("core.wsd vs timm WSDLRScheduler._get_lr", ours, theirs)
    assert_close(ours, theirs, RTOL, floor=1e-15)
    # past the end both hold lr_min, exactly; before the decay the warmup reached the peak
    assert np.all(ours[-5:] == kw["lr_min"]) and np.all(theirs[-5:] == kw["lr_min"])
    assert ours[kw["warmup_t"]] == theirs[kw["warmup_t"]] == PEAK


def _cubic(frac):
    return (1.0 - frac) ** 3


WSD_GROUP_LRS = (0.1, 0.03)


def stepped_side_by_side(name, kwargs, ts, group_lrs=WSD_GROUP_LRS):
    """timm's class and lrsched.timm's, each on its own SGD with one group per lr, stepped with step_update(t)."""
    out = []
    for module in (TS, LTM):
        opt = optimizer(lrs=group_lrs, scales=(None,) * len(group_lrs))
        sched = build(module, name, opt, kwargs)
        out.append(drive(sched, opt, ts, per_update=True))
    record(f"timm.{name} (step_update, 2 groups)", out[1], out[0])
    return out[0], out[1], sched


WSD_BASE = dict(t_initial=60, decay_t=20, lr_min=1e-3, warmup_t=5, warmup_lr_init=1e-3, t_in_epochs=False)


@pytest.mark.parametrize("decay", WSD_DECAYS, ids=[d[0] for d in WSD_DECAYS])
@pytest.mark.parametrize("stable", WSD_STABLES, ids=[s[0] for s in WSD_STABLES])
def test_lrsched_timm_wsd_takes_the_core_path_and_steps_as_timm(stable, decay):
    kw = dict(WSD_BASE, **stable[1], **decay[1])
    ts = list(range(kw["warmup_t"] + kw["t_initial"] + 5))
    theirs, ours, sched = stepped_side_by_side("WSDLRScheduler", kw, ts)
    assert ours.shape == (len(ts) + 1, 2)
    assert_close(ours, theirs, RTOL)
    assert not np.allclose(ours[:, 0], ours[:, 1])  # two groups, two schedules
    schedules = sched.schedules["lr"]  # the core path: no AttributeError
    assert len(schedules) == 2 and all(isinstance(s, lrsched.Schedule) for s in schedules)
    np.testing.assert_array_equal(np.array([s(ts) for s in schedules]).T, ours[1:])  # what step_update wrote


WSD_SLOW = [
    ("callable-decay-constant", dict(decay_fn=_cubic)),
    ("callable-decay-rsqrt", dict(stable_fn="rsqrt", decay_fn=_cubic)),
    ("callable-decay-power", dict(stable_fn="power", stable_power=0.8, decay_fn=_cubic)),
    ("fractional-timescale-rsqrt", dict(stable_fn="rsqrt", stable_timescale=3.5, decay_fn="linear")),
]


@pytest.mark.parametrize("case", WSD_SLOW, ids=[c[0] for c in WSD_SLOW])
def test_lrsched_timm_wsd_slow_path_steps_as_timm_without_schedules(case):
    kw = dict(WSD_BASE, **case[1])
    ts = list(range(kw["warmup_t"] + kw["t_initial"] + 5))
    theirs, ours, sched = stepped_side_by_side("WSDLRScheduler", kw, ts)
    assert_close(ours, theirs, RTOL)
    assert not np.allclose(ours[:, 0], ours[:, 1])
    with pytest.raises(AttributeError, match="slow path"):
        sched.schedules


def _warmup_cases():
    for prefix in (False, True):
        for w in (1, 5, 20, 30):
            for t in (20, 50):
                for init in (0.0, 1e-3):
                    for lr_min in (0.0, 1e-3):
                        yield pytest.param(prefix, w, t, init, lr_min,
                                           id=f"prefix{prefix}-W{w}-T{t}-init{init}-min{lr_min}")  # fmt: skip


@pytest.mark.parametrize("prefix, w, t_initial, init, lr_min", list(_warmup_cases()))
def test_core_warmup_prefix_is_timm_warmup_prefix(prefix, w, t_initial, init, lr_min):
    n = w + t_initial + 5
    theirs = timm_lrs("CosineLRScheduler", n, t_initial=t_initial, lr_min=lr_min, warmup_t=w, warmup_lr_init=init,
                      warmup_prefix=prefix, cycle_limit=1)  # fmt: skip
    base = lrsched.cosine(init_value=PEAK, steps=t_initial, end_value=lr_min)
    s = lrsched.warmup(base, w, init, prefix=prefix)
    ours = s(range(n))
    record(f"core.warmup(prefix={prefix}) vs timm CosineLRScheduler._get_lr", ours, theirs)
    # timm's ramp is init + t * (base - init) / W, lrsched's the two-point form: rounding apart
    assert_close(ours, theirs, RTOL, floor=1e-15)
    assert ours[0] == theirs[0] == init
    # after the ramp: the cosine in its own time (prefix=False) or shifted by W (prefix=True), unchanged
    after = base(range(w, n)) if not prefix else base(range(n - w))
    np.testing.assert_array_equal(ours[w:], after)
    # the spec round trip keeps prefix=False (and leaves it out when True, as specs before it)
    d = s.to_dict()
    assert d.get("prefix", "absent") == (False if not prefix else "absent")
    back = lrsched.from_dict(json.loads(json.dumps(d)))
    assert back == s and back.to_dict() == d
    np.testing.assert_array_equal(back(range(n)), ours)


def test_warmup_prefix_false_and_true_differ_where_timm_s_do():
    kw = dict(t_initial=20, lr_min=1e-3, warmup_t=5, warmup_lr_init=0.0, cycle_limit=1)
    base = lrsched.cosine(init_value=PEAK, steps=20, end_value=1e-3)
    no_prefix, prefixed = (lrsched.warmup(base, 5, 0.0, prefix=p)(range(30)) for p in (False, True))
    assert not np.allclose(no_prefix, prefixed)
    assert_close(no_prefix, timm_lrs("CosineLRScheduler", 30, warmup_prefix=False, **kw), RTOL)
    assert_close(prefixed, timm_lrs("CosineLRScheduler", 30, warmup_prefix=True, **kw), RTOL)
    assert no_prefix[20] == 1e-3 and prefixed[20] > 1e-3  # without the prefix the cosine ends at its own step 20


MULTISTEP = [[10, 20, 20, 45], [1], [1, 1, 1], [3, 4, 5, 30], [2, 2, 7, 7, 7, 9], [50]]


@pytest.mark.parametrize("gamma", [0.5, 0.1, 0.3])
@pytest.mark.parametrize("milestones", MULTISTEP, ids=["-".join(map(str, m)) for m in MULTISTEP])
def test_core_multistep_before_is_timm_multistep(milestones, gamma):
    n = max(milestones) + 10
    theirs = timm_lrs("MultiStepLRScheduler", n, decay_t=milestones, decay_rate=gamma)
    s = lrsched.multistep(init_value=PEAK, milestones=milestones, gamma=gamma, switch="before")
    ours = s(range(n))
    record("core.multistep(switch='before') vs timm MultiStepLRScheduler._get_lr", ours, theirs)
    np.testing.assert_array_equal(ours, theirs)
    m = milestones[0]
    assert ours[m - 1] < PEAK and (m == 1 or ours[m - 2] == PEAK)  # a milestone m applies from step m - 1
    assert s.to_dict()["switch"] == "before" and lrsched.from_dict(s.to_dict()) == s


def test_core_multistep_before_applies_milestone_0_from_step_0_as_timm():
    """timm's decay_t=[0, 10] already decays at t=0 (0 <= t + 1), as decay_t=[1, 10] does: with switch="before"
    a milestone 0 applies from step 0, the first step there is."""
    theirs = timm_lrs("MultiStepLRScheduler", 20, decay_t=[0, 0, 1, 10], decay_rate=0.5)
    assert theirs[0] == PEAK * 0.5**3
    ours = lrsched.multistep(init_value=PEAK, milestones=[0, 0, 1, 10], gamma=0.5, switch="before")
    np.testing.assert_array_equal(ours(range(20)), theirs)
    assert ours == lrsched.multistep(init_value=PEAK, milestones=[1, 1, 1, 10], gamma=0.5, switch="before")


RSQRT = [(50, 5, 10), (100, 10, 30), (40, 8, 32), (30, 1, 1), (200, 20, 40)]


@pytest.mark.parametrize("total, w, d", RSQRT, ids=[f"total{t}-W{w}-D{d}" for t, w, d in RSQRT])
def test_registry_rsqrt_is_timm_rsqrt(total, w, d):
    s = lrsched.get("rsqrt", peak_value=PEAK, total_steps=total, warmup_steps=w, decay_steps=d)
    assert s == lrsched.wsd(peak_value=PEAK, total_steps=total, warmup_steps=w, decay_steps=d, stable="rsqrt")
    n = total + 5
    ours = s(range(n))
    theirs = timm_lrs("WSDLRScheduler", n, t_initial=total - w, decay_t=d, stable_fn="rsqrt", decay_fn="linear",
                      stable_timescale=w, warmup_t=w)  # fmt: skip
    record("core 'rsqrt' vs timm WSDLRScheduler(stable_fn='rsqrt', decay_fn='linear')", ours, theirs)
    assert_close(ours, theirs, RTOL, floor=1e-15)
    assert ours[w] == PEAK and ours[w + 1] < PEAK  # the rsqrt starts falling right after the warmup
    # timm's factory: sched="rsqrt" is that scheduler (decay_fn "linear", stable_timescale = warmup_t)
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    factory, epochs = TS.create_scheduler_v2(opt, sched="rsqrt", num_epochs=total, warmup_epochs=w, decay_epochs=d,
                                             warmup_lr=0.0, min_lr=0.0)  # fmt: skip
    assert type(factory).__name__ == "WSDLRScheduler" and epochs == total
    assert (factory.stable_fn, factory.decay_fn, factory.stable_timescale) == ("rsqrt", "linear", w)
    assert_close(ours, [float(factory._get_lr(t)[0]) for t in range(n)], RTOL, floor=1e-15)


def _power_decays(q, lo=1e-3, total=60, d=40):
    s0 = total - d
    out = {}
    for shape in ("power", "1-power"):
        out[shape] = lrsched.wsd(peak_value=PEAK, total_steps=total, warmup_steps=0, decay_steps=d,
                                 decay_shape=shape, power=q, end_value=lo)(range(total + 5))  # fmt: skip
    p = np.clip((np.arange(total + 5) - s0) / d, 0.0, 1.0)
    by_hand = {"power": lo + (PEAK - lo) * (1 - p) ** q, "1-power": lo + (PEAK - lo) * (1 - p**q)}
    theirs = timm_lrs("WSDLRScheduler", total + 5, t_initial=total, decay_t=d, decay_fn="power", decay_power=q,
                      lr_min=lo)  # fmt: skip
    return out, by_hand, theirs


@pytest.mark.parametrize("q", [0.5, 1.0, 1.3, 2.0, 3.0])
def test_core_power_is_polynomial_and_1_power_is_timm_power(q):
    ours, by_hand, theirs = _power_decays(q)
    for shape in ("power", "1-power"):
        assert_close(ours[shape], by_hand[shape], RTOL, floor=1e-15)
    record("core wsd(decay_shape='1-power') vs timm decay_fn='power'", ours["1-power"], theirs)
    assert_close(ours["1-power"], theirs, RTOL, floor=1e-15)
    rel = np.max(np.abs(ours["power"] - ours["1-power"]) / ours["1-power"])
    if q == 1.0:
        assert_close(ours["power"], ours["1-power"], RTOL)  # both linear
    else:
        assert rel > 0.1, rel  # the two names are different decays
        with pytest.raises(AssertionError):
            assert_close(ours["power"], theirs, 1e-3)  # and the old "power" is not timm's


HORIZONS = {
    "wsd": ("WSDLRScheduler", dict(t_initial=90, decay_t=20, warmup_t=10),
            lambda: lrsched.wsd(peak_value=PEAK, total_steps=100, warmup_steps=10, decay_steps=20)),
    "cosine-prefix": ("CosineLRScheduler", dict(t_initial=90, warmup_t=10, warmup_prefix=True, lr_min=1e-5),
                      lambda: lrsched.warmup(lrsched.cosine(init_value=PEAK, steps=90, end_value=1e-5), 10)),
    "cosine-cycles": ("CosineLRScheduler", dict(t_initial=20, cycle_mul=2, cycle_limit=3, lr_min=1e-5),
                      lambda: lrsched.sgdr(PEAK, 20, 2, end_value=1e-5, cycle_limit=3)),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HORIZONS))
def test_horizon_is_timm_get_cycle_length(case):
    """``Schedule.horizon`` is the core's answer to timm's ``get_cycle_length()``: where the run ends and the
    end value holds (timm's cycles of 20, 40, 80 make 140; a warmup prefix adds its steps)."""
    name, kwargs, make = HORIZONS[case]
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=PEAK)
    theirs = getattr(TS, name)(opt, t_in_epochs=False, **kwargs)
    length = theirs.get_cycle_length(kwargs.get("cycle_limit", 1))
    s = make()
    assert s.horizon == length
    assert s.at(length) == s.at(10 * length) == float(theirs._get_lr(length)[0])
