"""lrsched.deepspeed against DeepSpeed's own ``deepspeed.runtime.lr_schedules``, stepped side by side in one process,
and inside the trainers that drive them: the Hugging Face Trainer, Lightning and the DeepSpeed engine."""

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from peers import assert_close, require

torch = require("torch")
deepspeed = require("deepspeed")
from deepspeed.runtime import lr_schedules as DS  # noqa: E402

import lrsched  # noqa: E402
import lrsched.deepspeed as LD  # noqa: E402
from trainers import Regression, dataset  # noqa: E402

logging.getLogger("DeepSpeed").setLevel(logging.ERROR)  # DeepSpeed's "before it has started" on every construction

LRS = (0.1, 0.03, 1.0)


def optimizer(kind="adam", lrs=LRS, tensor=False):
    """A real torch optimizer with one param group per lr (Adam has betas, SGD momentum)."""
    params = [torch.nn.Parameter(torch.zeros(2)) for _ in lrs]
    groups = [{"params": [p], "lr": torch.tensor(lr) if tensor else lr} for p, lr in zip(params, lrs)]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=0.5, betas=(0.9, 0.999))
    return torch.optim.SGD(groups, lr=0.5, momentum=0.9)


def values(opt):
    """Every group's lr, and beta1 and beta2 where the groups have betas."""
    row = [float(g["lr"]) for g in opt.param_groups]
    for g in opt.param_groups:
        if "betas" in g:
            row += [float(g["betas"][0]), float(g["betas"][1])]
    return row


def drive(make, n, kind="adam", jumps=None):
    """The values held after construction and after each of ``n`` steps (``step(k)`` for the ``jumps``), for
    DeepSpeed's class and lrsched's, built by ``make(module, optimizer)``."""
    out = []
    for module in (DS, LD):
        opt = optimizer(kind)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sched = make(module, opt)
        rows = [values(opt)]
        for k in jumps if jumps is not None else [None] * n:
            sched.step() if k is None else sched.step(k)
            rows.append(values(opt) + [sched.last_batch_iteration])
        out.append(np.array(rows[1:]))
        out[-1] = np.vstack([np.r_[rows[0], -1.0][None], out[-1]])
    return out  # [deepspeed's, lrsched's]


def check(make, n=80, kind="adam", jumps=None):
    want, got = drive(make, n, kind, jumps)
    # 1e-12 relative; 1e-15 of the largest value where DeepSpeed's own min + delta * gamma cancels
    assert_close(got, want, rtol=1e-12, floor=1e-15)


CASES = {
    "WarmupLR-log-group-lrs": lambda M, o: M.WarmupLR(o, warmup_num_steps=10),
    "WarmupLR-linear": lambda M, o: M.WarmupLR(o, warmup_min_lr=0.01, warmup_max_lr=[0.1, 0.2, 0.3],
                                              warmup_num_steps=10, warmup_type="linear"),
    "WarmupLR-one-step": lambda M, o: M.WarmupLR(o, warmup_min_lr=0.001, warmup_max_lr=0.1, warmup_num_steps=1),
    "WarmupLR-down": lambda M, o: M.WarmupLR(o, warmup_min_lr=0.5, warmup_max_lr=1e-6, warmup_num_steps=33),
    "WarmupLR-unknown-type": lambda M, o: M.WarmupLR(o, warmup_num_steps=7, warmup_type="cosine"),
    "WarmupDecayLR-log": lambda M, o: M.WarmupDecayLR(o, total_num_steps=50, warmup_num_steps=10, warmup_min_lr=1e-3),
    "WarmupDecayLR-linear": lambda M, o: M.WarmupDecayLR(o, 50, warmup_num_steps=10, warmup_type="linear",
                                                        warmup_max_lr=[0.1, 0.2, 0.3]),
    "WarmupDecayLR-total-is-warmup": lambda M, o: M.WarmupDecayLR(o, total_num_steps=10, warmup_num_steps=10),
    "WarmupDecayLR-total-below-warmup": lambda M, o: M.WarmupDecayLR(o, total_num_steps=5, warmup_num_steps=10),
    "WarmupCosineLR-log": lambda M, o: M.WarmupCosineLR(o, total_num_steps=50, warmup_num_steps=10),
    "WarmupCosineLR-ratios": lambda M, o: M.WarmupCosineLR(o, 60, warmup_min_ratio=0.1, warmup_num_steps=10,
                                                          cos_min_ratio=0.05),
    "WarmupCosineLR-linear-zero-floor": lambda M, o: M.WarmupCosineLR(o, 50, warmup_num_steps=8, cos_min_ratio=0.0,
                                                                     warmup_type="linear"),
    "WarmupCosineLR-total-is-warmup": lambda M, o: M.WarmupCosineLR(o, total_num_steps=10, warmup_num_steps=10),
    "WarmupCosineLR-total-below-warmup": lambda M, o: M.WarmupCosineLR(o, total_num_steps=4, warmup_num_steps=10),
    "WarmupCosineLR-one-warmup-step": lambda M, o: M.WarmupCosineLR(o, total_num_steps=30, warmup_num_steps=1),
    "OneCycle-momentum-and-decay": lambda M, o: M.OneCycle(o, 0.01, 0.1, decay_lr_rate=0.5, cycle_first_step_size=7,
                                                           cycle_second_step_size=11, decay_step_size=3,
                                                           decay_mom_rate=0.1),
    "OneCycle-per-group-bounds": lambda M, o: M.OneCycle(o, [0.01, 0.02, 0.003], [0.1, 0.2, 0.03],
                                                         cycle_first_step_size=9, cycle_min_mom=[0.8, 0.85, 0.7],
                                                         cycle_max_mom=0.95, decay_lr_rate=1.0, decay_step_size=5),
    "OneCycle-stairs": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=10, cycle_second_step_size=13,
                                               cycle_first_stair_count=3, cycle_second_stair_count=4,
                                               decay_lr_rate=0.5, decay_step_size=3),
    "OneCycle-more-stairs-than-steps": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=5,
                                                               cycle_first_stair_count=12),
    "OneCycle-stairs-up-only": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=8,
                                                       cycle_first_stair_count=4, cycle_second_stair_count=0),
    "OneCycle-no-second-half": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=5,
                                                       cycle_second_step_size=0, decay_lr_rate=1.0, decay_step_size=2),
    "OneCycle-one-step-fall": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=5, cycle_second_step_size=1),
    "OneCycle-one-step-cycle": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=1, cycle_second_step_size=0,
                                                       decay_lr_rate=1.0, decay_step_size=2),
    "OneCycle-no-momentum": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=6, cycle_momentum=False),
    "OneCycle-decay-rate-without-size": lambda M, o: M.OneCycle(o, 0.01, 0.1, cycle_first_step_size=6,
                                                                decay_lr_rate=0.5, decay_mom_rate=0.2),
    "LRRangeTest-continuous": lambda M, o: M.LRRangeTest(o, lr_range_test_min_lr=1e-4, lr_range_test_step_size=7,
                                                         lr_range_test_step_rate=3.0),
    "LRRangeTest-staircase": lambda M, o: M.LRRangeTest(o, lr_range_test_min_lr=[1e-4, 1e-3, 1e-2],
                                                        lr_range_test_step_size=7, lr_range_test_step_rate=3.0,
                                                        lr_range_test_staircase=True),
    "LRRangeTest-defaults": lambda M, o: M.LRRangeTest(o),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_group_matches_deepspeed_at_every_step(name):
    check(CASES[name])


@pytest.mark.parametrize("name", ["OneCycle-momentum-and-decay", "OneCycle-stairs", "WarmupDecayLR-log"])
def test_sgd_has_no_betas_so_onecycle_cycles_no_momentum_as_deepspeed(name):
    check(CASES[name], kind="sgd")
    with pytest.warns(UserWarning, match="cycle_momentum is disabled because optimizer SGD does not support"):
        s = LD.OneCycle(optimizer("sgd"), 0.01, 0.1)
    assert s.cycle_momentum is False and s.get_mom() is None


def test_long_runs_match_at_every_step():
    check(lambda M, o: M.WarmupCosineLR(o, total_num_steps=3_000, warmup_num_steps=1_000), n=3_200)
    check(lambda M, o: M.WarmupDecayLR(o, total_num_steps=2_500, warmup_num_steps=700, warmup_max_lr=3e-4), n=2_600)
    check(lambda M, o: M.OneCycle(o, 1e-4, 1e-3, cycle_first_step_size=900, cycle_second_step_size=1_100,
                                  cycle_first_stair_count=7, decay_lr_rate=0.01, decay_step_size=50), n=2_500)  # fmt: skip


@pytest.mark.parametrize("name", ["WarmupLR-log-group-lrs", "WarmupDecayLR-log", "WarmupCosineLR-ratios",
                                  "OneCycle-momentum-and-decay", "OneCycle-stairs", "LRRangeTest-staircase"])
def test_step_with_a_batch_index_jumps_there(name):
    rng = np.random.default_rng(3)
    jumps = [None, None, *rng.integers(0, 90, 25).tolist(), None, 0, None, 5, 5, None, 1_000_000, None]
    check(CASES[name], jumps=jumps)


def test_step_takes_deepspeeds_argument_names():
    o = optimizer()
    LD.WarmupLR(o, warmup_num_steps=5).step(last_batch_iteration=3)
    LD.OneCycle(o, 0.01, 0.1).step(batch_iteration=3)
    LD.LRRangeTest(o).step(batch_iteration=3)
    with pytest.raises(TypeError, match="last_batch_iteration"):  # DeepSpeed's name there is batch_iteration
        LD.OneCycle(o, 0.01, 0.1).step(last_batch_iteration=3)


@pytest.mark.parametrize("name", sorted(CASES))
def test_get_lr_get_last_lr_and_attributes_match(name):
    make = CASES[name]
    pairs = []
    for module in (DS, LD):
        opt = optimizer()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pairs.append((make(module, opt), opt))
    (ds, _), (ours, _) = pairs
    attrs = ["last_batch_iteration", "min_lrs", "max_lrs", "delta_lrs", "warmup_num_steps", "warmup_type",
             "inverse_log_warm_up", "total_num_steps", "cos_min_ratio", "warmup_min_ratio", "org_lrs", "total_size",
             "step_ratio", "first_step_size", "second_step_size", "first_stair_count", "second_stair_count",
             "decay_step_size", "skip_lr_decay", "skip_mom_decay", "decay_lr_rate", "cycle_momentum",
             "decay_mom_rate", "min_moms", "max_moms", "min_lr", "step_size", "step_rate", "staircase"]  # fmt: skip
    for a in attrs:
        assert hasattr(ours, a) == hasattr(ds, a), a
        if hasattr(ds, a):
            assert getattr(ours, a) == getattr(ds, a), a
    assert ours.optimizer is pairs[1][1]
    rows = [[], []]
    for k in range(40):
        for s in (ds, ours):
            if k:
                s.step()
        for row, s in zip(rows, (ds, ours)):
            row.append(list(s.get_lr()))
            if isinstance(s, (LD.OneCycle, DS.OneCycle)):
                row[-1] += [b for m in s.get_mom() or () for b in m]
            if k or not isinstance(s, (LD.OneCycle, DS.OneCycle)):
                row[-1] += s.get_last_lr()
        if isinstance(ds, DS.OneCycle) and not ds.cycle_momentum:
            assert ours.get_mom() is ds.get_mom() is None
        if k == 0 and isinstance(ds, DS.OneCycle):
            for s in (ds, ours):  # OneCycle writes no _last_lr in its constructor
                with pytest.raises(AssertionError, match="need to call step"):
                    s.get_last_lr()
    assert_close(np.array(rows[1][1:]), np.array(rows[0][1:]), rtol=1e-12, floor=1e-15)
    assert_close(np.array(rows[1][0]), np.array(rows[0][0]), rtol=1e-12, floor=1e-15)


def test_a_tensor_lr_is_filled_in_place():
    opts, scheds = [optimizer(tensor=True), optimizer(tensor=True)], []
    for module, opt in zip((DS, LD), opts):
        scheds.append(module.WarmupDecayLR(opt, total_num_steps=20, warmup_num_steps=5, warmup_max_lr=0.1))
    held = [g["lr"] for g in opts[1].param_groups]
    for _ in range(25):
        for s in scheds:
            s.step()
        assert_close(values(opts[1]), values(opts[0]), rtol=1e-12, floor=1e-15)
    assert all(g["lr"] is t for g, t in zip(opts[1].param_groups, held))
    assert all(isinstance(v, float) for v in scheds[1].get_last_lr())


def test_constructed_at_a_batch_index_writes_nothing_then_continues():
    def make(M, o):
        return M.WarmupDecayLR(o, total_num_steps=40, warmup_num_steps=10, warmup_max_lr=0.2, last_batch_iteration=14)

    want, got = drive(make, 30)
    assert got[0, :3].tolist() == list(LRS)  # the groups are left as they are
    assert_close(got, want, rtol=1e-12, floor=1e-15)
    s = LD.OneCycle(optimizer(), 0.01, 0.1, last_batch_iteration=4)
    with pytest.raises(AssertionError, match="need to call step"):
        s.get_last_lr()


@pytest.mark.parametrize("name", ["WarmupDecayLR-log", "WarmupCosineLR-ratios", "OneCycle-momentum-and-decay",
                                  "OneCycle-stairs", "LRRangeTest-staircase", "WarmupLR-linear"])
@pytest.mark.parametrize("direction", ["lrsched-to-deepspeed", "deepspeed-to-lrsched"])
def test_state_dict_crosses_both_ways_and_resumes_mid_run(name, direction, tmp_path):
    make = CASES[name]
    first, second = (LD, DS) if direction == "lrsched-to-deepspeed" else (DS, LD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        opt = optimizer()
        sched = make(first, opt)
        for _ in range(13):
            sched.step()
        state = sched.state_dict()
        assert state == {"last_batch_iteration": 12}
        torch.save({"opt": opt.state_dict(), "sched": state}, tmp_path / "ckpt.pt")
        whole = []
        for _ in range(30):
            sched.step()
            whole.append(values(opt) + [sched.last_batch_iteration])
        # resume: a fresh optimizer and scheduler, the optimizer's state (its lrs), then the scheduler's
        saved = torch.load(tmp_path / "ckpt.pt", weights_only=True)
        opt2 = optimizer()
        resumed_sched = make(second, opt2)
        opt2.load_state_dict(saved["opt"])
        resumed_sched.load_state_dict(saved["sched"])
        assert resumed_sched.last_batch_iteration == 12
        resumed = []
        for _ in range(30):
            resumed_sched.step()
            resumed.append(values(opt2) + [resumed_sched.last_batch_iteration])
    assert_close(np.array(resumed), np.array(whole), rtol=1e-12, floor=1e-15)


def test_load_state_dict_writes_nothing_and_get_last_lr_waits_for_a_step():
    out = []
    for module in (DS, LD):
        opt = optimizer()
        s = module.WarmupDecayLR(opt, total_num_steps=40, warmup_num_steps=10, warmup_max_lr=0.2)
        s.step()
        before, groups = s.get_last_lr(), values(opt)
        s.load_state_dict({"last_batch_iteration": 20})
        out.append((before, groups, s.get_last_lr(), values(opt), s.last_batch_iteration))
        s.step()
        out[-1] += (s.get_last_lr(), s.last_batch_iteration)
    (ds, ours) = out
    assert ours[0] == ours[2] and ours[1] == ours[3] and ours[4] == 20  # nothing moved but the counter
    assert_close(np.array(ours[5]), np.array(ds[5]), rtol=1e-12, floor=1e-15)
    assert ours[6] == ds[6] == 21 and ds[0] == ds[2]


@pytest.mark.parametrize("name", ["WarmupLR-linear", "WarmupCosineLR-ratios", "OneCycle-stairs", "LRRangeTest-staircase"])
def test_copies_and_pickles_step_on_their_own(name):
    import copy
    import pickle

    opt = optimizer()
    s = CASES[name](LD, opt)
    s.step()
    s.step()
    for twin in (copy.copy(s), copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
        assert twin.state_dict() == s.state_dict() == {"last_batch_iteration": 1}
        twin.step()
        assert twin.state_dict() == {"last_batch_iteration": 2} and s.state_dict() == {"last_batch_iteration": 1}
    twin = pickle.loads(pickle.dumps(s))
    for t in (s, twin):
        t.step()
    assert values(twin.optimizer) == values(opt) and twin.get_last_lr() == s.get_last_lr()


def test_refused_states_and_arguments():
    s = LD.WarmupLR(optimizer())
    with pytest.raises(ValueError, match="last_batch_iteration"):
        s.load_state_dict({})
    with pytest.raises(TypeError, match="last_batch_iteration"):
        s.load_state_dict({"last_batch_iteration": "3"})
    with pytest.raises(ValueError, match="warmup_num_steps must be a positive integer, got 0"):
        LD.WarmupLR(optimizer(), warmup_num_steps=0)
    with pytest.raises(ValueError, match="expected 3 value for max_lr, got 2"):
        LD.WarmupLR(optimizer(), warmup_max_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="cycle_first_step_size must be positive, got 0.0"):
        LD.OneCycle(optimizer(), 0.01, 0.1, cycle_first_step_size=0)
    with pytest.raises(ValueError, match="lr_range_test_step_size must be a positive integer"):
        LD.LRRangeTest(optimizer(), lr_range_test_step_size=0)
    with pytest.raises(TypeError, match="did you mean 'warmup_num_steps'"):
        LD.WarmupLR(optimizer(), warmup_steps=10)
    with pytest.raises(ValueError, match="cos_min_ratio"):
        LD.WarmupCosineLR(optimizer(), 100, cos_min_ratio=-0.1)
    with pytest.warns(UserWarning, match="Using unknown warmup_type: cos"):
        assert LD.WarmupLR(optimizer(), warmup_type="cos").warmup_type == "log"
    with pytest.warns(UserWarning, match="total_num_steps 5 is less than warmup_num_steps 10"):
        LD.WarmupDecayLR(optimizer(), 5, warmup_num_steps=10)


def test_schedules_precompute_what_step_writes():
    opt = optimizer()
    s = LD.WarmupDecayLR(opt, total_num_steps=300, warmup_num_steps=100, warmup_max_lr=3e-4)
    table = s.schedules["lr"][1].table(400)
    got = [opt.param_groups[1]["lr"]]
    for _ in range(399):
        s.step()
        got.append(opt.param_groups[1]["lr"])
    np.testing.assert_array_equal(got, table)
    assert "'log'" in str(s.schedules["lr"][0].to_dict())  # the core warmup shape
    with pytest.raises(AttributeError, match="staircase"):
        LD.LRRangeTest(opt, lr_range_test_staircase=True).schedules  # noqa: B018


def test_public_names_and_no_deepspeed_import():
    assert LD.__all__ == ["WarmupLR", "WarmupDecayLR", "WarmupCosineLR", "OneCycle", "LRRangeTest", "from_config"]
    code = (
        "import sys, lrsched\n"
        "a = sorted(m for m in ('lrsched.deepspeed', 'deepspeed', 'torch') if m in sys.modules)\n"
        "import lrsched.deepspeed\n"
        "b = 'deepspeed' in sys.modules\n"
        "print(a, b)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert out.stdout.split() == ["[]", "False"]


# -- from_config --------------------------------------------------------------------------------

CONFIGS = {
    "WarmupLR": {"warmup_min_lr": 0.0, "warmup_max_lr": 0.1, "warmup_num_steps": 10},
    "WarmupDecayLR": {"total_num_steps": 60, "warmup_min_lr": 1e-4, "warmup_max_lr": 0.1, "warmup_num_steps": 10,
                      "warmup_type": "linear"},
    "WarmupCosineLR": {"total_num_steps": 60, "warmup_min_ratio": 0.1, "warmup_num_steps": 10, "cos_min_ratio": 0.01},
    "OneCycle": {"cycle_min_lr": 0.01, "cycle_max_lr": 0.1, "cycle_first_step_size": 10, "decay_lr_rate": 0.1,
                 "decay_step_size": 5, "cycle_min_mom": 0.85, "cycle_max_mom": 0.95},
    "LRRangeTest": {"lr_range_test_min_lr": 1e-4, "lr_range_test_step_size": 5, "lr_range_test_step_rate": 2.0,
                    "lr_range_test_staircase": True},
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(CONFIGS))
@pytest.mark.parametrize("whole", [False, True])
def test_from_config_builds_deepspeeds_scheduler(kind, whole):
    block = {"type": kind, "params": dict(CONFIGS[kind])}
    config = {"train_batch_size": 8, "scheduler": block} if whole else block

    def make(M, o):
        if M is DS:
            return getattr(DS, kind)(o, **block["params"])
        return LD.from_config(config, o)

    check(make, n=70)
    assert type(LD.from_config(config, optimizer(lrs=(0.1,)))) is getattr(LD, kind)


def test_from_config_overrides_and_auto():
    cfg = {"scheduler": {"type": "WarmupDecayLR",
                         "params": {"total_num_steps": "auto", "warmup_max_lr": "auto", "warmup_num_steps": 10}}}
    with pytest.raises(ValueError, match=r"`config\['scheduler'\]\['params'\]\['total_num_steps'\]` is \"auto\".*"
                                         r"from_config\(config, optimizer, total_num_steps=\.\.\.\)"):
        LD.from_config(cfg, optimizer())
    with pytest.raises(ValueError, match=r"\['warmup_max_lr'\]` is \"auto\""):
        LD.from_config(cfg, optimizer(), total_num_steps=100)
    opt = optimizer(lrs=(0.1, 0.1, 0.1))
    s = LD.from_config(cfg, opt, total_num_steps=100, warmup_max_lr=0.1)
    assert (s.total_num_steps, s.max_lrs, s.warmup_num_steps) == (100, [0.1] * 3, 10)
    again = LD.from_config(cfg["scheduler"], optimizer(lrs=(0.1,)), total_num_steps=7, warmup_max_lr=0.1, warmup_num_steps=3)
    assert again.warmup_num_steps == 3
    assert cfg["scheduler"]["params"]["total_num_steps"] == "auto"  # the caller's config is left alone


def test_from_config_names_the_closest_type_and_params():
    with pytest.raises(ValueError, match=r"config\['scheduler'\]\['type'\].*got .*WarmupDecay.*Close matches: "
                                         r"'WarmupDecayLR'"):
        LD.from_config({"scheduler": {"type": "WarmupDecay", "params": {}}}, optimizer())
    with pytest.raises(lrsched._validate.ArgumentError, match=r"unknown argument 'warmup_max' \(did you mean 'warmup_max_lr'"):
        LD.from_config({"type": "WarmupLR", "params": {"warmup_max": 0.1}}, optimizer())
    with pytest.raises(lrsched._validate.ArgumentError, match=r"unknown argument 'total_steps' \(did you mean 'total_num_steps'"):
        LD.from_config({"type": "WarmupCosineLR", "params": {}}, optimizer(), total_steps=10)
    with pytest.raises(ValueError, match="must have a 'type'"):
        LD.from_config({"params": {}}, optimizer())


def test_from_config_falls_back_to_torch_names_as_deepspeed():
    import lrsched.torch as LT

    s = LD.from_config({"type": "StepLR", "params": {"step_size": 3, "gamma": 0.5}}, optimizer())
    assert isinstance(s, LT.StepLR) and s.step_size == 3


def test_from_config_warns_when_warmup_max_lr_replaces_the_optimizer_lr():
    opt = optimizer(lrs=(3e-4, 3e-4, 3e-4))
    with pytest.warns(UserWarning, match=r"WarmupDecayLR's warmup_max_lr=0.001 \(DeepSpeed's default\) replaces the "
                                         r"lr the optimizer was built with, 0.0003 \(param group 0\)"):
        LD.from_config({"type": "WarmupDecayLR", "params": {"total_num_steps": 2_000}}, opt)
    opt = optimizer(lrs=(3e-4, 3e-4, 3e-4))  # the scheduler above wrote warmup_min_lr into the groups
    with pytest.warns(UserWarning, match=r"WarmupLR's warmup_max_lr=0.01 replaces .* 0.0003"):
        LD.from_config({"type": "WarmupLR", "params": {"warmup_max_lr": 0.01}}, opt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LD.from_config({"type": "WarmupLR", "params": {}}, optimizer(lrs=(3e-4,)))  # the optimizer's lr: no warning
        LD.from_config({"type": "WarmupDecayLR", "params": {"total_num_steps": 2_000, "warmup_max_lr": 3e-4}},
                       optimizer(lrs=(3e-4,)))


def test_from_config_warns_that_total_num_steps_counts_optimizer_updates():
    cfg = {"train_micro_batch_size_per_gpu": 4, "gradient_accumulation_steps": 8,
           "scheduler": {"type": "WarmupDecayLR",
                         "params": {"total_num_steps": 8_000, "warmup_num_steps": 800, "warmup_max_lr": 0.1}}}
    with pytest.warns(UserWarning, match=r"gradient_accumulation_steps=8: DeepSpeed steps the scheduler once per "
                                         r"optimizer update \(every 8 micro-batches\), so total_num_steps=8000 and "
                                         r"warmup_num_steps=800 count optimizer updates: 8000 updates are 64000 "
                                         r"micro-batches.*pass total_num_steps=1000 and warmup_num_steps=100"):
        LD.from_config(cfg, optimizer(lrs=(0.1,)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LD.from_config({**cfg, "gradient_accumulation_steps": 1}, optimizer(lrs=(0.1,)))
        LD.from_config(cfg["scheduler"], optimizer(lrs=(0.1,)))  # the block alone says nothing about accumulation


# -- inside the trainers ----------------------------------------------------------------------------------

STEPS = 20
DS_CONFIG = {
    "train_micro_batch_size_per_gpu": 8,
    "gradient_accumulation_steps": 1,
    "scheduler": {"type": "OneCycle", "params": {"cycle_min_lr": 0.005, "cycle_max_lr": 0.05,
                                                 "cycle_first_step_size": 6, "cycle_second_step_size": 8,
                                                 "cycle_first_stair_count": 3, "decay_lr_rate": 0.5,
                                                 "decay_step_size": 2, "cycle_min_mom": 0.85, "cycle_max_mom": 0.95}},
}  # fmt: skip


# the HF Trainer reads get_last_lr() before the first step, which OneCycle (DeepSpeed's, and so lrsched's) refuses
# with its AssertionError outside a DeepSpeed engine: the Trainer runs a cosine one
HF_CONFIG = {
    "train_micro_batch_size_per_gpu": 8,
    "gradient_accumulation_steps": 1,
    "scheduler": {"type": "WarmupCosineLR", "params": {"total_num_steps": 16, "warmup_num_steps": 6,
                                                       "warmup_min_ratio": 0.1, "cos_min_ratio": 0.02}},
}  # fmt: skip


def make_scheduler(which, opt, config=DS_CONFIG):
    if which == "deepspeed":
        block = config["scheduler"]
        return getattr(DS, block["type"])(opt, **block["params"])
    return LD.from_config(config, opt)


def used_values(opt):
    g = opt.param_groups[0]
    return (float(g["lr"]), float(g["betas"][0]), float(g["betas"][1]))


def test_hugging_face_trainer_drives_the_config_scheduler_and_resumes(tmp_path):
    transformers = require("transformers")
    require("accelerate")

    def train(which, out, resume=None):
        model = Regression()
        opt = torch.optim.AdamW(model.parameters(), lr=0.05)
        sched = make_scheduler(which, opt, HF_CONFIG)
        used = []

        class Record(transformers.TrainerCallback):
            def on_step_begin(self, args, state, control, optimizer=None, **kw):
                used.append((state.global_step, *used_values(optimizer)))

        args = transformers.TrainingArguments(
            output_dir=str(out), max_steps=STEPS, per_device_train_batch_size=8, save_strategy="steps",
            save_steps=10, report_to=[], use_cpu=True, disable_tqdm=True, seed=0, logging_steps=5,
        )  # fmt: skip
        trainer = transformers.Trainer(model=model, args=args, train_dataset=dataset(), optimizers=(opt, sched),
                                       callbacks=[Record()])  # fmt: skip
        trainer.train(resume_from_checkpoint=resume)
        return np.array(used), sched

    want, ds = train("deepspeed", tmp_path / "ds")
    got, ours = train("lrsched", tmp_path / "lrsched")
    assert len(got) == STEPS and ours.last_batch_iteration == ds.last_batch_iteration == STEPS - 1
    assert_close(got, want, rtol=1e-12, floor=1e-15)
    assert len(set(got[:, 1])) > 10  # the lr moves at every update
    resumed, _ = train("lrsched", tmp_path / "lrsched", resume=str(tmp_path / "lrsched" / "checkpoint-10"))
    assert_close(resumed, want[10:], rtol=1e-12, floor=1e-15)
    # a checkpoint of lrsched's resumes DeepSpeed's class, and the other way round
    crossed, _ = train("deepspeed", tmp_path / "lrsched", resume=str(tmp_path / "lrsched" / "checkpoint-10"))
    assert_close(crossed, want[10:], rtol=1e-12, floor=1e-15)
    crossed, _ = train("lrsched", tmp_path / "ds", resume=str(tmp_path / "ds" / "checkpoint-10"))
    assert_close(crossed, want[10:], rtol=1e-12, floor=1e-15)


def lightning_run(which, path, resume=None):
    """A Lightning fit as DeepSpeed's docs would have it for its own class: not a torch LRScheduler, so the module
    overrides ``lr_scheduler_step`` and steps it once per update (checkpoints every 10 updates)."""
    pl = require("pytorch_lightning")

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = Regression()
            self.used = []

        def training_step(self, batch, i):
            return self.model(batch["x"], batch["labels"])["loss"]

        def on_before_optimizer_step(self, optimizer):
            self.used.append((self.global_step, *used_values(optimizer)))

        def configure_optimizers(self):
            opt = torch.optim.Adam(self.parameters(), lr=0.05)
            self.sched = make_scheduler(which, opt)
            return {"optimizer": opt, "lr_scheduler": {"scheduler": self.sched, "interval": "step"}}

        def lr_scheduler_step(self, scheduler, metric):
            scheduler.step()

    module = Module()
    checkpoints = pl.callbacks.ModelCheckpoint(dirpath=path, every_n_train_steps=10, save_top_k=-1)
    trainer = pl.Trainer(max_steps=STEPS, accelerator="cpu", logger=False, callbacks=[checkpoints],
                         enable_progress_bar=False, enable_model_summary=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(dataloader|num_workers|LeafSpec).*")
        trainer.fit(module, torch.utils.data.DataLoader(dataset(), batch_size=8), ckpt_path=resume)
    return np.array(module.used), module.sched


def test_lightning_drives_the_config_scheduler_and_resumes(tmp_path):
    want, ds = lightning_run("deepspeed", tmp_path / "ds")
    got, ours = lightning_run("lrsched", tmp_path / "lrsched")
    assert len(got) == STEPS and ours.last_batch_iteration == ds.last_batch_iteration
    assert_close(got, want, rtol=1e-12, floor=1e-15)
    assert len(set(got[:, 2])) > 3 and set(got[:, 3]) == {0.99}  # beta1 cycles, beta2 is DeepSpeed's 0.99
    (path,) = (tmp_path / "lrsched").glob("*step=10.ckpt")
    assert torch.load(path, weights_only=False)["lr_schedulers"] == [{"last_batch_iteration": 9}]
    resumed, _ = lightning_run("lrsched", tmp_path / "resumed", resume=str(path))
    assert_close(resumed, want[10:], rtol=1e-12, floor=1e-15)
    (path,) = (tmp_path / "ds").glob("*step=10.ckpt")
    crossed, _ = lightning_run("lrsched", tmp_path / "crossed", resume=str(path))
    assert_close(crossed, want[10:], rtol=1e-12, floor=1e-15)


def engine_run(make, config, steps, read, save=None, load=None):
    """Train the regression under a DeepSpeed engine with ``lr_scheduler=make(optimizer)`` for ``steps``
    updates of 8 samples: ``(read(optimizer) before each update, the engine's scheduler)``; ``save=(k, dir)``
    checkpoints after update k, ``load=dir`` resumes from one first."""
    model = Regression()
    opt = torch.optim.AdamW(model.parameters(), lr=0.05)
    engine, _, _, sched = deepspeed.initialize(model=model, optimizer=opt, lr_scheduler=make(opt),
                                               config=dict(config), dist_init_required=True)  # fmt: skip
    if load is not None:
        engine.load_checkpoint(str(load))
    data = dataset()
    used = []
    for k in range(steps):
        batch = data[(8 * k) % 64 : (8 * k) % 64 + 8]
        x = torch.stack([b["x"] for b in batch])
        y = torch.stack([b["labels"] for b in batch])
        used.append(read(opt))
        engine.backward(engine(x, y)["loss"])
        engine.step()
        if save is not None and k + 1 == save[0]:
            engine.save_checkpoint(str(save[1]))
    return used, sched


@pytest.fixture(scope="module")
def single_process_group():
    """The environment of a one-process DeepSpeed job, on a free port; afterwards the process group is
    destroyed and the environment restored, so that later tests (and the subprocesses they start, which
    inherit it) do not believe they are rank 0 of a distributed job."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield
    finally:
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def test_deepspeed_engine_steps_our_drop_in_as_its_client_scheduler(single_process_group, tmp_path):
    """``deepspeed.initialize(lr_scheduler=from_config(...))`` on CPU: the engine steps it after each update, saves it
    in its checkpoint and loads it back, as it does its own class."""
    config = {"train_micro_batch_size_per_gpu": 8, "gradient_accumulation_steps": 1}
    block = {"type": "WarmupDecayLR", "params": {"total_num_steps": 15, "warmup_num_steps": 5, "warmup_max_lr": 0.05}}

    def run(make, steps, save=None, load=None):
        return engine_run(make, config, steps, lambda opt: used_values(opt)[0], save, load)

    want, ds = run(lambda o: DS.WarmupDecayLR(o, **block["params"]), 20)
    got, ours = run(lambda o: LD.from_config(block, o), 20, save=(10, tmp_path))
    assert isinstance(ours, LD.WarmupDecayLR) and ours.last_batch_iteration == ds.last_batch_iteration == 19
    assert_close(np.array(got), np.array(want), rtol=1e-12, floor=1e-15)
    resumed, sched = run(lambda o: LD.from_config(block, o), 10, load=tmp_path)
    assert sched.last_batch_iteration == 19
    assert_close(np.array(resumed), np.array(want[10:]), rtol=1e-12, floor=1e-15)


def test_deepspeed_engine_steps_the_full_core_scheduler_as_it_is(single_process_group, tmp_path):
    """``lrsched.torch.Scheduler`` (the core adapter as a torch LRScheduler, here with two fields: the lr and
    the weight decay) handed to ``deepspeed.initialize``: stepped once per update, saved in the engine's
    checkpoint and loaded back, every update's lr and weight decay as the schedules say."""
    import lrsched.torch as LTO

    lr = lrsched.warmup_cosine(peak_value=0.05, warmup_steps=5, total_steps=20, end_value=0.005)
    wd = lrsched.linear(init_value=0.0, end_value=0.1, steps=20)
    config = {"train_micro_batch_size_per_gpu": 8, "gradient_accumulation_steps": 1}

    def run(steps, save=None, load=None):
        def read(opt):
            group = opt.param_groups[0]
            return float(group["lr"]), float(group["weight_decay"])

        made = []

        def make(opt):
            made.append(LTO.Scheduler(opt, {"lr": lr, "weight_decay": wd}))
            return made[-1]

        used, stepped = engine_run(make, config, steps, read, save and (save, tmp_path), load)
        assert stepped is made[-1]  # the engine steps our scheduler itself, not a wrapper
        return np.array(used), stepped

    want = np.array([(lr.at(k), wd.at(k)) for k in range(20)])  # update k uses the schedules' value at k
    got, sched = run(20, save=10)
    assert sched.last_step == 20
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-18)
    resumed, again = run(10, load=tmp_path)
    assert again.last_step == 20
    np.testing.assert_allclose(resumed, want[10:], rtol=1e-12, atol=1e-18)
