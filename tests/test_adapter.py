"""lrsched.Scheduler: conventions, fields, tensors, exact resume (also across processes), bad input."""

import copy
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lrsched
from peers import require

S = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=5, total_steps=50, end_value=0.1)
SGDR = lrsched.sgdr(1.0, 7, 2, end_value=0.01)


class FakeOpt:
    """A home-made optimizer: param_groups is all lrsched needs."""

    def __init__(self, *lrs, **extra):
        self.param_groups = [{"lr": lr, "params": [], **copy.deepcopy(extra)} for lr in lrs]


def trace(opt, sched, n, key="lr"):
    out = []
    for _ in range(n):
        out.append([g[key] for g in opt.param_groups])
        sched.step()
    return np.array(out)


def test_torch_convention_step_k_holds_value_at_k():
    opt = FakeOpt(0.5, 0.5)
    sched = lrsched.Scheduler(opt, S)
    assert sched.last_step == sched.last_epoch == 0
    got = trace(opt, sched, 200)
    np.testing.assert_array_equal(got, np.stack([S.table(200)] * 2, axis=1))
    assert sched.last_step == 200 and sched.get_last_lr() == [S.at(200)] * 2
    assert all(type(g["lr"]) is float for g in opt.param_groups)


def test_one_schedule_per_group_and_relative_mode():
    opt = FakeOpt(1.0, 0.1, 0.01)
    sched = lrsched.Scheduler(opt, [S, SGDR, S * 2], relative=True)
    got = trace(opt, sched, 100)
    want = np.stack([1.0 * S.table(100), 0.1 * SGDR.table(100), 0.01 * (S * 2).table(100)], axis=1)
    np.testing.assert_array_equal(got, want)
    assert [g["initial_lr"] for g in opt.param_groups] == [1.0, 0.1, 0.01]


def test_several_fields_and_tuple_items():
    opt = FakeOpt(0.1, 0.2, momentum=0.9, betas=(0.9, 0.999), weight_decay=0.0)
    mom = lrsched.one_cycle_momentum(total_steps=40)
    wd = lrsched.linear(init_value=0.0, end_value=0.1, steps=40)
    sched = lrsched.Scheduler(opt, {"lr": S, "momentum": mom, "betas[0]": mom, "weight_decay": wd})
    for k in range(60):
        for g in opt.param_groups:
            assert g["lr"] == S.at(k) and g["momentum"] == mom.at(k) and g["weight_decay"] == wd.at(k)
            assert g["betas"] == (mom.at(k), 0.999) and isinstance(g["betas"], tuple)
        assert sched.get_last_values("momentum") == [mom.at(k)] * 2
        sched.step()


def test_values_cross_chunk_refills_exactly():
    # 3 groups share one lr schedule at different scales, one has its own; momentum rides along.
    # 9,000 steps cross the adapter's refills (every 4,096 steps) twice.
    opt = FakeOpt(1.0, 0.3, 0.3, 0.07, momentum=0.9)
    mom = lrsched.cosine(init_value=0.95, end_value=0.85, steps=5_000)
    sched = lrsched.Scheduler(opt, [S, S, S, SGDR], relative=True)
    both = lrsched.Scheduler(FakeOpt(1.0, 0.5, momentum=0.9), {"lr": SGDR, "momentum": [mom, SGDR]})
    n = 9_000
    got, got_both = trace(opt, sched, n), []
    for _ in range(n):
        got_both.append([g[k] for k in ("lr", "momentum") for g in both.optimizer.param_groups])
        both.step()
    want = np.stack([1.0 * S.table(n), 0.3 * S.table(n), 0.3 * S.table(n), 0.07 * SGDR.table(n)], axis=1)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.array(got_both), np.stack([SGDR.table(n)] * 2 + [mom.table(n), SGDR.table(n)], 1))
    assert sched.get_last_lr() == [x * S.at(n) for x in (1.0, 0.3, 0.3)] + [0.07 * SGDR.at(n)]


def test_seek_then_step_equals_stepping_from_zero():
    opt = FakeOpt(1.0)
    sched = lrsched.Scheduler(opt, SGDR)
    full = trace(opt, sched, 10_000)
    for k in (0, 1, 6, 7, 20, 21, 4095, 4096, 4097, 8191, 9_000):
        sched.seek(k)
        np.testing.assert_array_equal(trace(opt, sched, 50)[:, 0], full[k : k + 50, 0])
        assert sched.last_step == k + 50


def test_skipped_step_does_not_advance():
    opt = FakeOpt(1.0)
    sched = lrsched.Scheduler(opt, S)
    sched.step()
    sched.step(advance=False)
    assert sched.last_step == 1 and opt.param_groups[0]["lr"] == S.at(1)


@pytest.mark.parametrize("n", [0, 1, 5, 6, 7, 49, 50, 4095, 4096, 4097, 12_345])
def test_state_dict_resume_is_bit_exact_and_ignores_the_optimizers_lr(n):
    opt = FakeOpt(0.3, 0.03)
    sched = lrsched.Scheduler(opt, [S, SGDR], relative=True)
    reference_run = trace(opt, sched, n + 300)
    opt2 = FakeOpt(0.3, 0.03)
    sched2 = lrsched.Scheduler(opt2, [S, SGDR], relative=True)
    trace(opt2, sched2, n)
    saved = json.loads(json.dumps(sched2.state_dict()))
    fresh = FakeOpt(123.0, 456.0)  # whatever lr the new optimizer holds, and no initial_lr
    resumed = lrsched.Scheduler(fresh, [S, SGDR], relative=True)
    resumed.load_state_dict(saved)
    assert [g["initial_lr"] for g in fresh.param_groups] == [0.3, 0.03]
    np.testing.assert_array_equal(trace(fresh, resumed, 300), reference_run[n:])


def test_resume_in_a_fresh_process(tmp_path):
    opt = FakeOpt(0.3, 0.03, momentum=0.9)
    sched = lrsched.Scheduler(opt, {"lr": [S, SGDR], "momentum": lrsched.one_cycle_momentum(total_steps=64)})
    trace(opt, sched, 37)
    (tmp_path / "state.json").write_text(json.dumps(sched.state_dict()))
    expected = trace(opt, sched, 100).tolist()
    code = textwrap.dedent(
        """
        import json, sys
        import lrsched
        state = json.load(open(sys.argv[1]))
        specs = state["fields"]
        class Opt:
            param_groups = [{"lr": 0.0, "momentum": 0.0}, {"lr": 0.0, "momentum": 0.0}]
        opt = Opt()
        schedules = {name: [lrsched.from_dict(d) for d in f["schedules"]] for name, f in specs.items()}
        sched = lrsched.Scheduler(opt, schedules)
        sched.load_state_dict(state)
        out = []
        for _ in range(100):
            out.append([g["lr"] for g in opt.param_groups])
            sched.step()
        print(json.dumps(out))
        """
    )
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "state.json")], capture_output=True,
                         text=True, env=os.environ, check=True)  # fmt: skip
    assert json.loads(run.stdout) == expected  # bit-for-bit: JSON floats round-trip exactly


def test_loading_a_different_schedule_needs_adopt():
    opt = FakeOpt(1.0)
    other = lrsched.Scheduler(FakeOpt(1.0), SGDR)
    other.seek(10)
    sched = lrsched.Scheduler(opt, S)
    with pytest.raises(ValueError, match="differ from this scheduler's .* pass adopt=True"):
        sched.load_state_dict(other.state_dict())
    assert sched.last_step == 0 and opt.param_groups[0]["lr"] == S.at(0)
    sched.load_state_dict(other.state_dict(), adopt=True)
    assert sched.schedules == {"lr": [SGDR]} and opt.param_groups[0]["lr"] == SGDR.at(10)


def test_torch_optimizer_with_tensor_lr_is_filled_in_place():
    torch = require("torch")
    p = torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.Adam([p], lr=torch.tensor(0.01), betas=(0.9, 0.999))
    lr = opt.param_groups[0]["lr"]
    sched = lrsched.Scheduler(opt, {"lr": S, "betas[0]": lrsched.one_cycle_momentum(total_steps=30)})
    for k in range(40):
        assert opt.param_groups[0]["lr"] is lr and float(lr) == pytest.approx(S.at(k), rel=1e-6)
        p.grad = torch.ones(3)
        opt.step()
        sched.step()


def test_a_real_torch_training_loop():
    torch = require("torch")
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9)
    n = 300
    schedule = lrsched.warmup_cosine(peak_value=0.05, warmup_steps=30, total_steps=n, end_value=1e-3)
    sched = lrsched.Scheduler(opt, schedule)
    x = torch.randn(256, 8)
    y = x @ torch.randn(8, 1)
    lrs, losses = [], []
    for _ in range(n):
        loss = torch.nn.functional.mse_loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert lrs == schedule.table(n).tolist()
    assert losses[-1] < 0.01 * losses[0]


BAD_OPTIMIZERS = [
    pytest.param(object(), TypeError, "an object with param_groups", id="no-param-groups"),
    pytest.param(FakeOpt(), ValueError, "at least one param group", id="empty-groups"),
    pytest.param(type("O", (), {"param_groups": [1.0]})(), TypeError, "param_groups[0]` must be a dict", id="not-dict"),
]


@pytest.mark.parametrize("opt, exc, text", BAD_OPTIMIZERS)
def test_bad_optimizers(opt, exc, text):
    with pytest.raises(exc, match=__import__("re").escape(text)):
        lrsched.Scheduler(opt, S)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        pytest.param(dict(field="momentum"), ValueError, "param_groups[0] has no 'momentum'", id="missing-field"),
        pytest.param(dict(field="tag"), TypeError, "param_groups[0]['tag'] must be a number", id="non-numeric"),
        pytest.param(dict(field="betas[5]"), ValueError, "must be a tuple with an item 5", id="tuple-index"),
        pytest.param(dict(field="lr[x]"), ValueError, "`field` must be a field name", id="bad-field-syntax"),
        pytest.param(dict(schedule=0.1), TypeError, "`schedule` must be a lrsched.Schedule", id="not-a-schedule"),
        pytest.param(dict(schedule=[S]), ValueError, "got 1 schedules for 2 param groups", id="length-mismatch"),
        pytest.param(dict(schedule=[S, 1]), TypeError, "`schedule[1]` must be a lrsched.Schedule", id="list-item"),
        pytest.param(dict(relative="yes"), TypeError, "`relative` must be True or False", id="relative-type"),
        pytest.param(dict(last_step=-2), ValueError, "`last_step` must be an integer in [-1,", id="last-step"),
        pytest.param(dict(relative=True, last_step=5), ValueError, "has no 'initial_lr', needed to resume",
                     id="resume-without-initial"),  # fmt: skip
    ],
)
def test_bad_arguments_leave_the_groups_untouched(kwargs, exc, text):
    opt = FakeOpt(0.5, 0.25, betas=(0.9, 0.99), tag="x")
    before = copy.deepcopy(opt.param_groups)
    kwargs = {"schedule": S, **kwargs}
    with pytest.raises(exc, match=__import__("re").escape(text)):
        lrsched.Scheduler(opt, kwargs.pop("schedule"), **kwargs)
    assert opt.param_groups == before


def test_bad_seek_and_malformed_states_change_nothing():
    opt = FakeOpt(0.5)
    sched = lrsched.Scheduler(opt, S, relative=True)
    sched.seek(7)
    good = sched.state_dict()
    before = copy.deepcopy(opt.param_groups)
    with pytest.raises(ValueError, match="`step` must be an integer >= 0"):
        sched.seek(-1)
    bad_states = [
        ([], TypeError),
        ({**good, "format": "torch"}, ValueError),
        ({**good, "last_step": -3}, ValueError),
        ({**good, "last_step": 1.5}, TypeError),
        ({**good, "fields": {}}, ValueError),
        ({**good, "fields": {"lr": "x"}}, TypeError),
        ({**good, "fields": {"lr": {**good["fields"]["lr"], "schedules": []}}}, ValueError),
        ({**good, "fields": {"lr": {**good["fields"]["lr"], "schedules": [{"type": "nope"}]}}}, ValueError),
        ({**good, "fields": {"lr": {**good["fields"]["lr"], "relative": False}}}, ValueError),
        ({**good, "fields": {"lr": {**good["fields"]["lr"], "initial": [float("nan")]}}}, ValueError),
        ({**good, "fields": {"lr": {**good["fields"]["lr"], "initial": [1.0, 2.0]}}}, ValueError),
    ]
    for state, exc in bad_states:
        with pytest.raises(exc):
            sched.load_state_dict(state)
        assert opt.param_groups == before and sched.last_step == 7


PLATEAU_CASES = [
    dict(mode="min", factor=0.5, patience=1, cooldown=1),
    dict(mode="min", factor=0.1, patience=0, threshold=0.05, threshold_mode="abs", min_value=1e-3),
    dict(mode="max", factor=0.3, patience=2, threshold=0.01, threshold_mode="rel", cooldown=2),
    dict(mode="min", factor=0.9, patience=0, eps=0.05),
]


@pytest.mark.parametrize("kwargs", PLATEAU_CASES, ids=lambda d: "-".join(f"{k}={v}" for k, v in d.items()))
def test_plateau_matches_torch_reduce_lr_on_plateau(kwargs):
    torch = require("torch")
    rng = np.random.default_rng(len(str(kwargs)))
    metrics = [1.0, 0.9, *[0.95] * 6, *np.round(rng.uniform(0.5, 1.5, 60), 2), float("nan"), 0.1]
    t_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in (1.0, 0.2)])
    torch_kwargs = {("min_lr" if k == "min_value" else k): v for k, v in kwargs.items()}
    t_sched = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **torch_kwargs)
    opt = FakeOpt(1.0, 0.2)
    sched = lrsched.Scheduler(opt, lrsched.constant(1.0), relative=True, plateau=lrsched.plateau(**kwargs))
    for m in metrics:
        t_sched.step(m)
        sched.observe(m)
        want = [g["lr"] for g in t_opt.param_groups]
        np.testing.assert_allclose([g["lr"] for g in opt.param_groups], want, rtol=1e-12)


def test_plateau_composes_with_a_schedule_and_resumes():
    opt = FakeOpt(1.0)
    p = lrsched.plateau(factor=0.5, patience=0)
    sched = lrsched.Scheduler(opt, S, plateau=p)
    for k in range(10):
        sched.step()
        sched.observe(1.0)  # never improves after the first: a reduction every observation
    assert opt.param_groups[0]["lr"] == pytest.approx(S.at(10) * 0.5**9, rel=1e-14)
    state = json.loads(json.dumps(sched.state_dict()))
    opt2 = FakeOpt(7.0)
    again = lrsched.Scheduler(opt2, S, plateau=p)
    again.load_state_dict(state)
    for _ in range(20):
        sched.step()
        again.step()
        assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    with pytest.raises(ValueError, match="has no plateau"):
        lrsched.Scheduler(FakeOpt(1.0), S).observe(1.0)
    bad = {**state, "plateau": {**state["plateau"], "multipliers": [-1.0]}}
    with pytest.raises(ValueError):
        again.load_state_dict(bad)


@pytest.mark.parametrize(
    "kwargs, exc, text",
    [
        pytest.param(dict(mode="lowest"), ValueError, "plateau: `mode` must be one of 'min', 'max'", id="mode"),
        pytest.param(dict(factor=1.0), ValueError, "`factor` must be a finite number > 0 and < 1", id="factor"),
        pytest.param(dict(patience=-1), ValueError, "`patience` must be an integer >= 0", id="patience"),
        pytest.param(dict(patience=1.5), TypeError, "`patience` must be an integer >= 0", id="patience-type"),
        pytest.param(dict(threshold_mode="x"), ValueError, "`threshold_mode` must be one of 'rel', 'abs'", id="tm"),
        pytest.param(dict(min_value=-1.0), ValueError, "`min_value` must be a finite number >= 0", id="min"),
    ],
)
def test_plateau_bad_settings(kwargs, exc, text):
    with pytest.raises(exc, match=__import__("re").escape(text)):
        lrsched.plateau(**kwargs)


def test_observe_rejects_non_numbers_and_plateau_must_be_a_plateau():
    sched = lrsched.Scheduler(FakeOpt(1.0), S, plateau=lrsched.plateau())
    with pytest.raises(TypeError, match="`metric` must be a number"):
        sched.observe("low")
    with pytest.raises(TypeError, match="`plateau` must be a lrsched.plateau"):
        lrsched.Scheduler(FakeOpt(1.0), S, plateau={"factor": 0.5})


def test_follows_the_optimizer_when_its_param_groups_are_replaced():
    """torch's optimizer.load_state_dict replaces the group dicts (accelerate does it in the HF Trainer)."""
    torch = require("torch")
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD([{"params": [model.weight], "lr": 0.1}, {"params": [model.bias], "lr": 0.2}], lr=0.1)
    sched = lrsched.Scheduler(opt, S, relative=True)
    sched.step()
    opt.load_state_dict(opt.state_dict())  # new dicts, same values
    sched.step()
    assert [g["lr"] for g in opt.param_groups] == [0.1 * S.at(2), 0.2 * S.at(2)]
    opt.param_groups = opt.param_groups[:1]
    with pytest.raises(ValueError, match="now has 1 param groups, the scheduler was built for 2"):
        sched.step()


def test_copies_and_pickles_continue_where_the_original_is():
    import pickle

    opt = FakeOpt(0.5, 0.25)
    sched = lrsched.Scheduler(opt, [S, SGDR], relative=True)
    for _ in range(4_100):  # past a chunk refill
        sched.step()
    for copy_of in (copy.deepcopy, lambda x: pickle.loads(pickle.dumps(x))):
        twin = copy_of(sched)
        assert twin.last_step == 4_100 and twin.optimizer is not opt
        twin.step()
        assert [g["lr"] for g in twin.optimizer.param_groups] == [0.5 * S.at(4_101), 0.25 * SGDR.at(4_101)]
    assert [g["lr"] for g in opt.param_groups] == [0.5 * S.at(4_100), 0.25 * SGDR.at(4_100)]


def test_a_group_added_after_construction_is_an_error_not_a_silent_constant():
    opt = FakeOpt(0.1)
    sched = lrsched.Scheduler(opt, S)
    opt.param_groups.append({"lr": 0.5, "params": []})
    with pytest.raises(ValueError, match="now has 2 param groups, the scheduler was built for 1"):
        sched.step()
    assert sched.last_step == 0


def test_stepping_past_the_largest_step_raises_and_keeps_the_state():
    opt = FakeOpt(0.1)
    sched = lrsched.Scheduler(opt, S, last_step=lrsched.MAX_STEP - 1)
    assert sched.last_step == lrsched.MAX_STEP
    with pytest.raises(ValueError, match="cannot step past step 2\\*\\*62"):
        sched.step()
    assert sched.last_step == lrsched.MAX_STEP and sched.get_last_lr() == [S.at(lrsched.MAX_STEP)]


def test_a_step_method_kept_across_chunks_writes_the_right_values():
    """``step = sched.step`` once, then called for many chunks (4,096 steps each): every value is the schedule's."""
    long = lrsched.cosine(init_value=1.0, steps=20_000)  # a value of its own at every step
    opt = FakeOpt(1.0, 0.5)
    sched = lrsched.Scheduler(opt, long, relative=True)
    step = sched.step
    for k in range(1, 10_001):
        step()
        if k % 997 == 0 or k > 9_990:
            assert [g["lr"] for g in opt.param_groups] == [long.at(k) * 1.0, long.at(k) * 0.5]
    assert sched.last_step == 10_000


# -- stepping by amounts ------------------------------------------------------------------------


class _Groups:
    def __init__(self, lrs=(0.1, 0.2)):
        self.param_groups = [{"lr": lr} for lr in lrs]


def _counting_fills(monkeypatch):
    fills = []
    original = lrsched.Scheduler._fill

    def counted(self, base):
        fills.append(base)
        return original(self, base)

    monkeypatch.setattr(lrsched.Scheduler, "_fill", counted)
    return fills


def test_step_by_amounts_and_advance_to_give_the_table_values(monkeypatch):
    """step(n) moves n steps, advance_to(count) to a count (a token-indexed schedule driven by tokens seen):
    the values are the table's, and a move inside the current chunk recomputes nothing."""
    s = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=1_000, total_steps=100_000, end_value=0.01)
    table = s.table(100_001)
    fills = _counting_fills(monkeypatch)
    opt = _Groups()
    sched = lrsched.Scheduler(opt, s, relative=True)
    t = 0
    for n in [1, 3, 0, 7, 250, 1, 4_000, 2_000, 61_000, 5]:
        sched.step(n)
        t += n
        assert sched.last_step == t
        assert [g["lr"] for g in opt.param_groups] == [0.1 * table[t], 0.2 * table[t]]
    chunks = len(fills)
    for count in range(t, t + 3_000, 300):  # e.g. tokens seen: forward, inside one chunk
        sched.advance_to(count)
        assert opt.param_groups[0]["lr"] == 0.1 * table[count]
    assert len(fills) - chunks <= 1  # at most the one chunk that holds them
    sched.seek(t + 10)  # inside the chunk: no refill
    assert len(fills) - chunks <= 1 and opt.param_groups[1]["lr"] == 0.2 * table[t + 10]
    state = sched.state_dict()
    again = lrsched.Scheduler(_Groups(), s, relative=True)
    again.load_state_dict(state)
    again.step(17)
    assert again.last_step == t + 27 and again.optimizer.param_groups[0]["lr"] == 0.1 * table[t + 27]


@pytest.mark.parametrize("bad, exc", [(-1, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_step_by_a_bad_amount_is_refused_and_changes_nothing(bad, exc):
    opt = _Groups()
    sched = lrsched.Scheduler(opt, lrsched.linear(init_value=1.0, steps=10))
    sched.step()
    with pytest.raises(exc, match="Scheduler.step: `advance`"):
        sched.step(bad)
    assert sched.last_step == 1 and opt.param_groups[0]["lr"] == 0.9
    with pytest.raises(ValueError, match=r"advance_to: `step` must be >= last_step=1 \(seek\(step\) goes back\)"):
        sched.advance_to(0)
    assert sched.last_step == 1
