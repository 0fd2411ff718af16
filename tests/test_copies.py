"""Every public object survives copy.copy, copy.deepcopy, pickle, and torch.save/torch.load(weights_only=True) of its state.

The objects are enumerated, not listed by hand where lrsched can list them:
every registered family (through the hypothesis strategy per family), every
class that lrsched's modules define publicly (a builder per class below; a
class without one fails ``test_every_public_class_has_a_builder``), every
drop-in class of ``lrsched.torch.__all__`` in each way it can be built (over
Schedules, over Python functions, on its slow path), every
``lrsched.transformers`` scheduler name, and ``Scheduler`` with and without a
plateau.  Each state is checked to hold plain Python data only.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import io
import json
import math
import pickle
import pkgutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import by_family

import lrsched

torch = pytest.importorskip("torch")
LT = pytest.importorskip("lrsched.torch")
LTR = pytest.importorskip("lrsched.transformers")


# -- plain data ---------------------------------------------------------------------------------

PLAIN = (type(None), bool, int, float, str)


def assert_plain(value, where="state"):
    """Only dicts (str or int keys), lists, tuples and Python scalars: what JSON and weights_only carry."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert type(k) in (str, int), f"{where}: key {k!r} is a {type(k).__name__}"
            assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            assert_plain(v, f"{where}[{i}]")
    else:
        assert type(value) in PLAIN, f"{where} is a {type(value).__module__}.{type(value).__name__}: {value!r}"


def torch_round_trip(state):
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    return torch.load(buf, weights_only=True)


def same(a, b):
    """Equality where NaN and inf are compared as values (a state may hold an infinite best metric)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return isinstance(b, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, np.ndarray):  # a plotted curve's steps and values
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    return a == b


# -- schedules: every family ------------------------------------------------------------------


@pytest.mark.parametrize("family", sorted(by_family))
def test_every_family_copies_and_pickles(family):
    @settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(by_family[family])
    def check(s):
        steps = np.array([0, 1, 7, 1000, 123_457, lrsched.MAX_STEP], dtype=np.int64)
        for twin in (copy.copy(s), copy.deepcopy(s), pickle.loads(pickle.dumps(s))):
            assert twin == s
            np.testing.assert_array_equal(twin(steps), s(steps))
        spec = s.to_dict()
        assert_plain(spec, "to_dict()")
        assert lrsched.from_dict(torch_round_trip(spec)) == s
        assert lrsched.from_dict(json.loads(json.dumps(spec))) == s

    check()


# -- schedulers -------------------------------------------------------------------------------


def opt(kind="sgd", lrs=(0.1, 0.05)):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lrs[0])
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def half(t):  # a module-level function: picklable, as torch's own LambdaLR needs
    return 0.5 ** (t / 10)


def almost_one(t):
    return 0.99


class Scale:  # a callable object: its __dict__ is saved by torch's rule
    def __init__(self):
        self.k = 0.9

    def __call__(self, x):
        return self.k**x


# Each drop-in class of lrsched.torch, in each way it can be built.  The keys must cover __all__.
TORCH_BUILDS = {
    "Scheduler": [lambda o: LT.Scheduler(o, lrsched.warmup_cosine(peak_value=0.1, warmup_steps=3, total_steps=30)),
                  lambda o: LT.Scheduler(o, {"lr": lrsched.cosine(init_value=1.0, steps=20),
                                             "momentum": lrsched.constant(0.9)},
                                         relative=True, plateau=lrsched.plateau(patience=1))],  # fmt: skip
    "LambdaLR": [lambda o: LT.LambdaLR(o, half), lambda o: LT.LambdaLR(o, lrsched.linear(init_value=1.0, steps=20))],
    "MultiplicativeLR": [lambda o: LT.MultiplicativeLR(o, almost_one)],
    "StepLR": [lambda o: LT.StepLR(o, 3, 0.5), lambda o: LT.StepLR(o, 2.5, 0.5), lambda o: LT.StepLR(o, 3, 1.5)],
    "MultiStepLR": [lambda o: LT.MultiStepLR(o, [2, 2, 9], 0.5)],
    "ConstantLR": [lambda o: LT.ConstantLR(o, 0.5, 4)],
    "LinearLR": [lambda o: LT.LinearLR(o, 0.2, 1.0, 6)],
    "ExponentialLR": [lambda o: LT.ExponentialLR(o, 0.9), lambda o: LT.ExponentialLR(o, 1.1)],
    "PolynomialLR": [lambda o: LT.PolynomialLR(o, 8, 2.0)],
    "CosineAnnealingLR": [lambda o: LT.CosineAnnealingLR(o, 10, 0.001), lambda o: LT.CosineAnnealingLR(o, 10.5)],
    "CosineAnnealingWarmRestarts": [lambda o: LT.CosineAnnealingWarmRestarts(o, 5, 2, 0.001)],
    "CyclicLR": [
        lambda o: LT.CyclicLR(o, 0.01, 0.1, 4),
        lambda o: LT.CyclicLR(o, 0.01, 0.1, 2.5, mode="exp_range", gamma=0.99),  # the slow path
        lambda o: LT.CyclicLR(o, 0.01, 0.1, 4, scale_fn=Scale(), scale_mode="iterations"),
        lambda o: LT.CyclicLR(opt("adam"), 0.01, 0.1, 4),
    ],
    "OneCycleLR": [lambda o: LT.OneCycleLR(o, 1.0, total_steps=50),
                   lambda o: LT.OneCycleLR(o, 1.0, total_steps=50, pct_start=np.float64(0.3),
                                           div_factor=np.float32(20.0))],  # fmt: skip
    "SequentialLR": [lambda o: LT.SequentialLR(o, [LT.LinearLR(o, 0.1, 1.0, 3), LT.ExponentialLR(o, 0.9)], [3])],
    "ChainedScheduler": [lambda o: LT.ChainedScheduler([LT.StepLR(o, 3, 0.5), LT.ExponentialLR(o, 0.95)])],
    "ReduceLROnPlateau": [lambda o: LT.ReduceLROnPlateau(o, patience=1, min_lr=[0.0, np.float64(1e-4)])],
}
TRANSFORMERS_BUILDS = {
    "greedy": lambda o: LTR.get_scheduler("greedy", o, scheduler_specific_kwargs={"smooth": True, "patience": 1}),
    "reduce_lr_on_plateau": lambda o: LTR.get_scheduler("reduce_lr_on_plateau", o),
    "cosine_slow_path": lambda o: LTR.get_cosine_schedule_with_warmup(o, 3, 40, num_cycles=0.123456789),
}


def _transformers_builds():
    out = dict(TRANSFORMERS_BUILDS)
    for name in LTR.SCHEDULER_TYPES:
        if name not in out:
            extra = {"warmup_stable_decay": {"num_decay_steps": 5}, "cosine_with_min_lr": {"min_lr_rate": 0.1},
                     "cosine_warmup_with_min_lr": {"min_lr_rate": 0.1}}.get(name, {})  # fmt: skip
            out[name] = lambda o, name=name, extra=extra: LTR.get_scheduler(
                name, o, num_warmup_steps=3, num_training_steps=40, scheduler_specific_kwargs=extra
            )
    return out


def _step(sched, k):
    if getattr(sched, "_has_plateau", False):  # lrsched.torch.Scheduler with a plateau: fed a metric
        sched.step(1.0 / (k + 1) if k < 4 else 1.0)
    elif hasattr(sched, "_state") and not hasattr(sched, "_driver"):  # a metric-driven scheduler
        sched.step(1.0 / (k + 1) if k < 4 else 1.0)
    else:
        sched.step()


def _stepped(build, n=6):
    sched = build(opt())
    for k in range(n):
        sched.optimizer.step()
        _step(sched, k)
    return sched


CASES = [(f"torch:{name}[{i}]", b) for name, builds in TORCH_BUILDS.items() for i, b in enumerate(builds)]
CASES += [(f"transformers:{name}", b) for name, b in _transformers_builds().items()]
CASES += [
    ("Scheduler", lambda o: lrsched.Scheduler(o, lrsched.warmup_cosine(peak_value=0.1, warmup_steps=3, total_steps=30))),
    ("Scheduler-plateau", lambda o: lrsched.Scheduler(o, lrsched.constant(0.1), plateau=lrsched.plateau(patience=1))),
    ("Scheduler-relative-fields", lambda o: lrsched.Scheduler(
        o, {"lr": lrsched.cosine(init_value=1.0, steps=20), "momentum": lrsched.constant(0.9)}, relative=True)),
    ("Scheduler-changed", lambda o: _changed(lrsched.Scheduler(o, lrsched.constant(0.1), last_step=2))),
]  # fmt: skip


def _changed(sched):
    """A scheduler switched to a cooldown at its step (its state holds the new schedule)."""
    sched.change(lrsched.branch(lrsched.constant(0.1), 3, steps=10, shape="cosine"))
    return sched


def test_the_torch_builds_cover_every_drop_in():
    assert set(TORCH_BUILDS) == set(LT.__all__) - {"LRScheduler", "lightning_scheduler"}  # a class, a function


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, build", CASES, ids=[c[0] for c in CASES])
def test_every_scheduler_copies_pickles_and_saves_plain_state(name, build):
    sched = _stepped(build)
    state = sched.state_dict()
    assert_plain(state)
    assert same(torch_round_trip(state), state)
    from_json = build(opt())  # JSON makes int keys strings (MultiStepLR's milestones): the loader takes them back
    from_json.load_state_dict(json.loads(json.dumps(state)))
    assert same(from_json.state_dict(), state)
    lrs = [float(g["lr"]) for g in sched.optimizer.param_groups]
    twins = [copy.deepcopy(sched), pickle.loads(pickle.dumps(sched))]
    buf = io.BytesIO()
    torch.save(sched, buf)  # a whole-object checkpoint (weights_only=False reads it)
    buf.seek(0)
    twins.append(torch.load(buf, weights_only=False))
    shallow = copy.copy(sched)  # shares the optimizer, as torch's copies do, but counts on its own
    assert same(shallow.state_dict(), state)
    for twin in twins:
        assert same(twin.state_dict(), state), name
        # the copy steps on: its optimizer (a copy too) gets the same lrs as the original's
        assert [float(g["lr"]) for g in twin.optimizer.param_groups] == lrs
    for k in range(6, 12):
        for s in (sched, *twins):
            s.optimizer.step()
            _step(s, k)
    # (the composites share their schedulers and GreedyLR its smoothing window, as the peers' shallow copies do)
    if not any(k in name for k in ("SequentialLR", "ChainedScheduler", "greedy")):
        assert same(shallow.state_dict(), state), "stepping the original moved its shallow copy"
    want = [float(g["lr"]) for g in sched.optimizer.param_groups]
    for twin in twins:
        assert [float(g["lr"]) for g in twin.optimizer.param_groups] == pytest.approx(want, rel=1e-12, abs=0)


def test_plateau_settings_copy_and_pickle():
    p = lrsched.plateau(mode="max", factor=0.5, patience=3, cooldown=2, min_value=1e-5)
    for twin in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert twin == p and twin.to_dict() == p.to_dict()
    with pytest.raises(AttributeError):
        p.factor = 0.9  # still immutable


# -- every public class -----------------------------------------------------------------------


def _public_classes():
    out = {}
    for info in pkgutil.iter_modules(lrsched.__path__):
        if info.name == "__main__":
            continue
        try:
            module = importlib.import_module(f"lrsched.{info.name}")
        except ImportError:  # pragma: no cover - an optional peer missing
            continue
        for n, o in vars(module).items():
            if inspect.isclass(o) and o.__module__ == module.__name__ and not n.startswith("_"):
                out[f"{module.__name__}.{n}"] = o
    return out


def _schedule():
    return lrsched.warmup_cosine(peak_value=1e-3, warmup_steps=10, total_steps=100)


def _keras():
    from peers import require

    require("keras")
    return importlib.import_module("lrsched.keras")


def _ds():
    return importlib.import_module("lrsched.deepspeed")


def _timm():
    return importlib.import_module("lrsched.timm")


def _finder():
    finder = lrsched.LRFinder(opt(), min_value=1e-4, max_value=1.0, steps=20)
    for k in range(12):
        finder.record(1.0 / (k + 1))
    return finder


def _saved_summary(tmp_path):
    return lrsched.save(_schedule(), tmp_path / "t.npy", 100)


# Objects of each public class, as users meet them.  Drop-ins are covered above; internal building
# blocks (the program, its segments, a kernel) are covered through the Schedules that hold them.
def _raised(call):
    try:
        call()
    except Exception as e:  # noqa: BLE001 - the error is the object
        return e
    raise AssertionError("no error")


OBJECTS = {
    "lrsched._schedule.Schedule": lambda tmp: _schedule(),
    "lrsched._validate.ArgumentError": lambda tmp: _raised(lambda: lrsched.warmup_cosine(peak_lr=1.0)),
    "lrsched._validate.UnknownName": lambda tmp: _raised(lambda: lrsched.get("cosin")),
    "lrsched._program.Program": lambda tmp: _schedule().program,
    "lrsched._program.Segment": lambda tmp: _schedule().program.layers()[0][-1],
    "lrsched._program.Op": lambda tmp: _schedule().program.layers()[0][-1].op,
    "lrsched.adapter.Scheduler": lambda tmp: lrsched.Scheduler(opt(), _schedule()),
    "lrsched.plateau.Plateau": lambda tmp: lrsched.plateau(),
    "lrsched.plateau.PlateauState": lambda tmp: lrsched.Scheduler(opt(), _schedule(), plateau=lrsched.plateau())._plateau,
    "lrsched.report.Description": lambda tmp: lrsched.describe(_schedule(), 100),
    "lrsched.report.Phase": lambda tmp: lrsched.describe(_schedule(), 100).phases[0],
    "lrsched.report.Event": lambda tmp: lrsched.describe(lrsched.step(init_value=1.0, step_size=10), 30).events[0],
    "lrsched.plotting.Curve": lambda tmp: importlib.import_module("lrsched.plotting").curves(
        [_schedule()], 100, ["a schedule"])[0],
    "lrsched.report.Comparison": lambda tmp: lrsched.compare(_schedule(), _schedule() * 0.5, 100),
    "lrsched.tables.Summary": _saved_summary,
    "lrsched.cli.UserError": lambda tmp: importlib.import_module("lrsched.cli").UserError("bad input"),
    "lrsched.cli.UsageError": lambda tmp: importlib.import_module("lrsched.cli").UsageError("--steps is required"),
    "lrsched.finder.LRFinder": lambda tmp: _finder(),
    "lrsched.keras.Schedule": lambda tmp: _keras().Schedule(_schedule(), 100),
    "lrsched.keras.ReduceOnPlateau": lambda tmp: _keras().ReduceOnPlateau(_keras().Schedule(_schedule(), 100),
                                                                         monitor="loss", patience=1),
    **{f"lrsched.deepspeed.{name}": build for name, build in {
        "WarmupLR": lambda tmp: _stepped(lambda o: _ds().WarmupLR(o, warmup_num_steps=10)),
        "WarmupDecayLR": lambda tmp: _stepped(lambda o: _ds().WarmupDecayLR(o, 40, warmup_num_steps=10)),
        "WarmupCosineLR": lambda tmp: _stepped(lambda o: _ds().WarmupCosineLR(o, 40, warmup_num_steps=10)),
        "OneCycle": lambda tmp: _stepped(lambda o: _ds().OneCycle(opt("adam"), 1e-3, 1e-2, cycle_first_step_size=5)),
        "LRRangeTest": lambda tmp: _stepped(lambda o: _ds().LRRangeTest(o, lr_range_test_step_size=3,
                                                                         lr_range_test_staircase=True)),
    }.items()},
    **{f"lrsched.timm.{name}": build for name, build in {
        "CosineLRScheduler": lambda tmp: _timm().CosineLRScheduler(opt(), 20, warmup_t=3, cycle_limit=2, noise_range_t=5),
        "PolyLRScheduler": lambda tmp: _timm().PolyLRScheduler(opt(), 20, power=2.0, warmup_t=2),
        "TanhLRScheduler": lambda tmp: _timm().TanhLRScheduler(opt(), 20, cycle_mul=2.0, cycle_limit=3),
        "StepLRScheduler": lambda tmp: _timm().StepLRScheduler(opt(), 5, decay_rate=0.5, warmup_t=2),
        "MultiStepLRScheduler": lambda tmp: _timm().MultiStepLRScheduler(opt(), [5, 9], decay_rate=0.5),
        "WSDLRScheduler": lambda tmp: _timm().WSDLRScheduler(opt(), 20, 4, warmup_t=2),
        "PlateauLRScheduler": lambda tmp: _timm().PlateauLRScheduler(opt(), patience_t=1, warmup_t=2),
    }.items()},
    "lrsched.finder.Suggestion": lambda tmp: _finder().suggest(),
    "lrsched.units.Run": lambda tmp: lrsched.Run(dataset_size=1_000, micro_batch_size=8, seq_len=16, total="2ep"),
    "lrsched.surgery.Change": lambda tmp: lrsched.Scheduler(opt(), _schedule(), last_step=49).change(
        lrsched.extend(_schedule(), 200)),
    "lrsched.surgery.Jump": lambda tmp: lrsched.jump(_schedule(), _schedule() * 0.5, 50).rows[0],
}
NOT_INSTANCES = {  # classes users never hold an instance of
    "lrsched._kernels.Kernel": "a compiled kernel's wrapper, module-level and shared",
    "lrsched.plateau.PeerAttributes": "a mixin of ReduceLROnPlateau and GreedyLR (covered above)",
}


def test_every_public_class_has_a_builder():
    drop_ins = {f"lrsched.torch.{n}" for n in TORCH_BUILDS} | {"lrsched.transformers.GreedyLR"}
    missing = set(_public_classes()) - set(OBJECTS) - set(NOT_INSTANCES) - drop_ins
    assert not missing, f"add a builder to OBJECTS for {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(OBJECTS))
def test_every_public_object_copies_and_pickles(name, tmp_path):
    obj = OBJECTS[name](tmp_path)
    for twin in (copy.copy(obj), copy.deepcopy(obj), pickle.loads(pickle.dumps(obj))):
        assert type(twin) is type(obj)
        if name.endswith(("Scheduler", "LRFinder")) or name.startswith("lrsched.deepspeed."):
            assert same(twin.state_dict(), obj.state_dict())
        elif name.endswith(("UserError", "UsageError")):
            assert str(twin) == str(obj)
        elif name.startswith("lrsched.keras."):  # Keras objects hold backend variables: compared by their configs
            assert _keras_config(twin) == _keras_config(obj), name
        elif name.endswith(("ArgumentError", "UnknownName")):
            assert str(twin) == str(obj) and _attributes(twin) == _attributes(obj)
        elif type(obj).__eq__ is object.__eq__:  # no equality of its own: the same attributes
            assert same(_attributes(twin), _attributes(obj)), name
        else:
            assert twin == obj, name


def _keras_config(o):
    """A Keras schedule's config, or a plateau callback's settings and state with its schedule's config."""
    if not hasattr(o, "monitor"):  # the schedule (the callback watches a monitored metric)
        return json.dumps(o.get_config(), sort_keys=True)
    plain = {k: v for k, v in vars(o).items() if isinstance(v, (int, float, str, bool, type(None)))}
    return json.dumps(plain, sort_keys=True, default=repr), _keras_config(o.schedule)


def _attributes(o):
    slots = [k for c in type(o).__mro__ for k in getattr(c, "__slots__", ())]
    return {**getattr(o, "__dict__", {}), **{k: getattr(o, k) for k in slots if hasattr(o, k)}}


def _through_numpy(value):
    """A state as it comes back from NumPy (np.savez, a pandas frame): every number a NumPy scalar."""
    if isinstance(value, dict):
        return {k: _through_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_through_numpy(v) for v in value)
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float):
        return np.float64(value)
    return value


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, build", CASES, ids=[c[0] for c in CASES])
def test_a_state_of_numpy_scalars_loads_and_saves_back_plain(name, build):
    state = _stepped(build).state_dict()
    fresh = build(opt())
    fresh.load_state_dict(_through_numpy(state))
    again = fresh.state_dict()
    assert_plain(again)
    assert same(again, state)
