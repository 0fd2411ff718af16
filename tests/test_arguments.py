"""Unknown, missing and misspelled arguments: one ArgumentError, with suggestions, from every public callable.

The mechanism is ``lrsched._validate.explain_arguments`` (and, for spec keys and
schedule names, ``from_dict`` and ``lrsched.get``).  The enumeration below walks the
public names, so a public callable added without the mechanism fails here.
"""

import doctest
import importlib
import inspect
import math
import pickle

import numpy as np
import pytest

import lrsched
from lrsched import _validate as V
from lrsched import registry
from lrsched._schedule import _REGISTRY

torch = pytest.importorskip("torch")
import lrsched.torch as LT  # noqa: E402
import lrsched.transformers as LH  # noqa: E402
import lrsched.timm as LTM  # noqa: E402
import lrsched.deepspeed as LDS  # noqa: E402
import lrsched.keras as LKE  # noqa: E402
import lrsched.optax as LOX  # noqa: E402

BOGUS = "bogus_arg"


def opt(lr=1.0, groups=1):
    return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)], lr=lr)


# -- every public callable --------------------------------------------------------------------

# Callables that take **kwargs by design and pass them on: a bogus keyword reaches the callable they
# forward to, whose ArgumentError names it.  (public name -> (arguments it needs, the name in the error))
FORWARDS = {
    "lrsched.deepspeed.from_config": (lambda: dict(config={"type": "WarmupLR", "params": {}}, optimizer=opt()),
                                      "from_config: WarmupLR params"),  # the overrides are the params' keys
    "lrsched.get": (lambda: dict(name="cosine"), "cosine"),
    "lrsched.sweep": (lambda: dict(family="cosine", n=10, init_value=[1.0], steps=10), "cosine"),
    "lrsched.transformers.get_reduce_on_plateau_schedule": (lambda: dict(optimizer=opt()), "ReduceLROnPlateau"),
    "lrsched.transformers.get_greedy_schedule": (lambda: dict(optimizer=opt()), "GreedyLR"),
}
NOT_OURS = {
    "lrsched.torch.LRScheduler": "torch's own base class, re-exported as torch.optim.lr_scheduler has it",
}
# Methods never decorated: called once per optimizer step (or per evaluation), where one more frame counts.
HOT_METHODS = {
    "step",  # Scheduler.step, the drop-ins' step: the hot path
    "advance_to",  # Scheduler.advance_to: a per-step counter
    "observe",  # Scheduler.observe: a metric per evaluation, maybe per step
    "get_last_lr", "get_last_values", "get_lr",  # read per step for logging
    "at",  # Schedule.at: a per-step lookup
    "record",  # LRFinder.record: once per update of the range test
    "is_better", "scale_fn",  # torch's per-step helpers
    "step_update", "update_groups",  # timm's per-update step and its group writer
    "get_mom", "get_lr_ratio",  # DeepSpeed's per-step reads (get_lr_ratio inside get_lr)
    "on_epoch_end", "get_config",  # Keras's hooks, called by Keras (per epoch; on model.save)
}  # fmt: skip
# Methods that take **kwargs by design and pass them on to a checked callable (a bogus keyword reaches it).
FORWARDING_METHODS = {
    "lrsched.LRFinder.schedule": "lrsched.get(name, **kwargs)",
    "lrsched.Run.get": "lrsched.get(name, **kwargs), lengths resolved",
    "lrsched.Run.call": "fn(*args, **kwargs), lengths resolved",
    "lrsched.Run.resolve": "**lengths: any names",
    "lrsched.Run.table": "**lengths: any names",
}


def _public():
    out = {}
    for module, prefix in ((lrsched, "lrsched"), (LT, "lrsched.torch"), (LH, "lrsched.transformers"),
                           (LTM, "lrsched.timm"), (LDS, "lrsched.deepspeed"), (LOX, "lrsched.optax"),
                           (LKE, "lrsched.keras")):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                out[f"{prefix}.{name}"] = obj
    return out


PUBLIC = _public()


def _required(fn):
    """Every required argument of ``fn`` filled with 0: the call then fails on the bogus keyword alone,
    when Python binds the arguments, before any value is looked at."""
    params = list(inspect.signature(fn).parameters.values())
    if inspect.isclass(fn):
        params = list(inspect.signature(fn.__init__).parameters.values())[1:]
    P = inspect.Parameter
    return {p.name: 0 for p in params if p.default is P.empty and p.kind not in (P.VAR_POSITIONAL, P.VAR_KEYWORD)
            and p.kind is not P.POSITIONAL_ONLY}  # fmt: skip


def _allowed(fn, skip_self):
    params = list(inspect.signature(fn).parameters.values())[1 if skip_self else 0:]
    return tuple(p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD))


def _check(e, function, allowed=None):
    message = str(e)
    assert isinstance(e, V.ArgumentError) and isinstance(e, TypeError) and isinstance(e, ValueError)
    assert e.function == function
    assert BOGUS in e.unknown
    assert "\n" not in message
    assert message.startswith(f"{function}: ")
    assert f"'{BOGUS}'" in message
    if allowed is not None:
        assert e.allowed == allowed
    assert (f"its arguments are {', '.join(e.allowed)}." if e.allowed else "it takes no arguments.") in message


def test_what_is_not_ours_is_the_peers_own():
    import torch.optim.lr_scheduler as lrs

    assert {name: PUBLIC[name] for name in NOT_OURS} == {"lrsched.torch.LRScheduler": lrs.LRScheduler}


@pytest.mark.parametrize("name", sorted(set(PUBLIC) - set(NOT_OURS)))
def test_every_public_callable_explains_an_unknown_argument(name):
    obj = PUBLIC[name]
    if name in FORWARDS:
        needs, function = FORWARDS[name]
        with pytest.raises(V.ArgumentError) as info:
            obj(**needs(), **{BOGUS: 1})
        _check(info.value, function)
        return
    function = obj.__name__
    allowed = _allowed(obj.__init__ if inspect.isclass(obj) else obj, inspect.isclass(obj))
    with pytest.raises(V.ArgumentError) as info:  # the bogus keyword alone: required ones missing too
        obj(**{BOGUS: 1})
    _check(info.value, function, allowed)
    with pytest.raises(V.ArgumentError) as info:  # every required one given: the bogus one is the only problem
        obj(**_required(obj), **{BOGUS: 1})
    _check(info.value, function, allowed)
    assert info.value.unknown == (BOGUS,) and info.value.missing == ()


def _methods():
    out = {}
    for name, cls in PUBLIC.items():
        if not inspect.isclass(cls) or name in NOT_OURS or issubclass(cls, BaseException):
            continue
        for attr in dir(cls):
            static = inspect.getattr_static(cls, attr)
            if attr.startswith("_") or attr in HOT_METHODS or not inspect.isfunction(static):
                continue
            if not getattr(static, "__module__", "").startswith("lrsched"):
                continue  # torch's own methods of torch's classes
            if f"{name}.{attr}" not in FORWARDING_METHODS:
                out[f"{name}.{attr}"] = (cls, attr)
    return out


METHODS = _methods()


def test_the_methods_are_enumerated():
    assert {"lrsched.Scheduler.change", "lrsched.Schedule.table", "lrsched.Run.updates",
            "lrsched.torch.StepLR.load_state_dict", "lrsched.LRFinder.suggest"} <= set(METHODS)  # fmt: skip
    assert not any(m.endswith((".step", ".at", ".record")) for m in METHODS)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_public_method_explains_an_unknown_argument(name):
    cls, attr = METHODS[name]
    instance = cls.__new__(cls)  # never initialized: a wrong call is refused before the method runs
    method = getattr(instance, attr)
    with pytest.raises(V.ArgumentError) as info:
        method(**_required(method), **{BOGUS: 1})
    _check(info.value, f"{cls.__name__}.{attr}", _allowed(method, False))
    assert info.value.missing == ()


@pytest.mark.parametrize("name", registry.names())
def test_every_registry_name_explains_an_unknown_argument(name):
    factory_name = registry._names()[name][0]
    with pytest.raises(V.ArgumentError) as info:
        lrsched.get(name, **{BOGUS: 1})
    _check(info.value, factory_name)
    assert set(_allowed(_REGISTRY[factory_name][0], False)) <= set(info.value.allowed)


@pytest.mark.parametrize("kind", sorted(_REGISTRY))
def test_every_spec_type_explains_an_unknown_key(kind):
    with pytest.raises(V.ArgumentError) as info:
        lrsched.from_dict({"type": kind, BOGUS: 1})
    _check(info.value, kind, (*_allowed(_REGISTRY[kind][0], False), "run"))
    with pytest.raises(ValueError):  # what from_dict's callers catch for a bad spec
        lrsched.from_dict({"type": kind, BOGUS: 1})


# -- the wrapper is invisible ---------------------------------------------------------------

MODULES = ["schedules", "cycles", "phases", "plateau", "surgery", "finder", "units", "registry", "_schedule",
           "tables", "sweep", "adapter", "torch", "transformers", "timm", "deepspeed", "report", "plotting", "optax", "keras"]  # fmt: skip


WRAPPER_CODE = V._explaining(len, "len").__code__  # the code every wrapper runs


def _wrapped_in(module):
    for obj in vars(module).values():
        for f in [obj, *(vars(obj).values() if inspect.isclass(obj) else ())]:
            if inspect.isfunction(f) and f.__code__ is WRAPPER_CODE and f.__module__ == module.__name__:
                yield f


@pytest.mark.parametrize("module_name", MODULES)
def test_wrapped_functions_keep_their_identity_and_doctests(module_name):
    module = importlib.import_module(f"lrsched.{module_name}")
    wrapped = list(_wrapped_in(module))
    assert wrapped
    found = {t.name for t in doctest.DocTestFinder().find(module) if t.examples}
    for f in wrapped:
        inner = f.__wrapped__
        assert f.__globals__ is vars(module)  # doctest's "is it from this module" test
        assert (f.__name__, f.__qualname__, f.__doc__, f.__module__) == (
            inner.__name__, inner.__qualname__, inner.__doc__, inner.__module__)
        assert inspect.signature(f) == inspect.signature(inner)
        if inner.__doc__ and ">>>" in inner.__doc__:
            qualname = inner.__qualname__.replace(".__init__", "")
            assert f"{module.__name__}.{qualname}" in found or f"{module.__name__}.{inner.__qualname__}" in found


def test_the_signature_is_the_factorys():
    assert list(inspect.signature(lrsched.warmup_cosine).parameters) == [
        "peak_value", "warmup_steps", "total_steps", "end_value", "init_value", "exponent", "warmup_shape", "end_ratio"]
    assert list(inspect.signature(LT.CosineAnnealingLR).parameters) == ["optimizer", "T_max", "eta_min", "last_epoch"]


def test_a_type_error_inside_a_factory_keeps_its_message():
    with pytest.raises(TypeError) as info:
        lrsched.cosine(init_value="a", steps=3)
    assert type(info.value) is TypeError
    assert str(info.value) == "cosine: `init_value` must be a finite number >= 0, got init_value='a'."


def test_a_type_error_inside_a_method_keeps_its_traceback():
    with pytest.raises(TypeError) as info:
        lrsched.constant(1.0).table("3")
    assert type(info.value) is TypeError
    assert "Schedule.table: `n`" in str(info.value)


# -- suggestions: the peers' names and close spellings ------------------------------------------

ALIAS_CASES = [
    ("peak_lr", lambda: lrsched.warmup_cosine(peak_lr=3e-4, warmup_steps=10, total_steps=100), "warmup_cosine",
     "peak_value", "what torch and transformers call it"),
    ("lr", lambda: lrsched.cosine(lr=1.0, steps=10), "cosine", "init_value", "what torch and transformers call it"),
    ("warmup", lambda: lrsched.warmup_cosine(peak_value=1.0, warmup=10, total_steps=100), "warmup_cosine",
     "warmup_steps", "a common name for it"),
    ("num_warmup_steps", lambda: lrsched.warmup_cosine(peak_value=1.0, num_warmup_steps=10, total_steps=100),
     "warmup_cosine", "warmup_steps", "what transformers calls it"),
    ("T_0", lambda: lrsched.sgdr(1.0, T_0=10), "sgdr", "cycle_steps", "what torch calls it"),
    ("T_mult", lambda: lrsched.sgdr(1.0, 10, T_mult=2), "sgdr", "cycle_mult", "what torch calls it"),
    ("eta_min", lambda: lrsched.cosine(init_value=1.0, steps=10, eta_min=0.1), "cosine", "end_value",
     "what torch calls it"),
    ("T_max", lambda: lrsched.cosine(init_value=1.0, T_max=10), "cosine", "steps", "what torch calls it"),
    ("num_training_steps", lambda: lrsched.warmup_linear(peak_value=1.0, warmup_steps=1, num_training_steps=10),
     "warmup_linear", "total_steps", "what transformers calls it"),
    ("power", lambda: lrsched.cosine(init_value=1.0, steps=10, power=2.0), "cosine", "exponent",
     "what torch and transformers call it"),
    ("milestones", lambda: lrsched.piecewise_constant(milestones=[1], values=[1.0, 0.5]), "piecewise_constant",
     "boundaries", "what torch calls it"),
    ("gamma", lambda: lrsched.exponential(init_value=1.0, gamma=0.5, transition_steps=1), "exponential",
     "decay_rate", "what torch calls it"),
]  # fmt: skip


@pytest.mark.parametrize("unknown, call, function, suggestion, hint", ALIAS_CASES, ids=[c[0] for c in ALIAS_CASES])
def test_a_peers_name_suggests_lrscheds(unknown, call, function, suggestion, hint):
    with pytest.raises(V.ArgumentError) as info:
        call()
    e = info.value
    assert e.function == function and e.unknown == (unknown,)
    assert e.suggestions[unknown][0] == suggestion
    assert e.hints[unknown] == hint
    assert f"'{unknown}' (did you mean '{suggestion}'" in str(e) and f"'{unknown}' is {hint}" in str(e)


def test_the_message_of_a_peers_name():
    with pytest.raises(V.ArgumentError) as info:
        lrsched.warmup_cosine(peak_lr=3e-4, warmup_steps=10, total_steps=100)
    assert str(info.value) == (
        "warmup_cosine: unknown argument 'peak_lr' (did you mean 'peak_value'? 'peak_lr' is what torch and "
        "transformers call it); missing required argument 'peak_value'; its arguments are peak_value, warmup_steps, "
        "total_steps, end_value, init_value, exponent, warmup_shape, end_ratio."
    )


def test_a_missing_argument():
    with pytest.raises(V.ArgumentError) as info:
        lrsched.cosine(init_value=1.0)
    e = info.value
    assert (e.function, e.unknown, e.missing) == ("cosine", (), ("steps",))
    assert str(e) == "cosine: missing required argument 'steps'; its arguments are init_value, steps, end_value, " \
                     "exponent, k."  # fmt: skip


def test_positional_arguments_to_a_keyword_only_factory():
    with pytest.raises(V.ArgumentError) as info:
        lrsched.cosine(1.0, 10)
    assert "takes its arguments by keyword only, but 2 were given by position" in str(info.value)
    assert info.value.missing == ("init_value", "steps")


def test_a_torch_drop_in_misspelling_is_a_type_error_naming_torchs_name():
    o = opt()
    with pytest.raises(TypeError) as info:
        LT.CosineAnnealingLR(o, T_max=10, eta_minn=0)
    e = info.value
    assert isinstance(e, V.ArgumentError)
    assert e.function == "CosineAnnealingLR" and e.suggestions["eta_minn"][0] == "eta_min"
    assert e.allowed == ("optimizer", "T_max", "eta_min", "last_epoch")
    assert "initial_lr" not in o.param_groups[0]  # nothing was set up


def test_lrscheds_name_in_a_drop_in_suggests_torchs():
    with pytest.raises(TypeError) as info:
        LT.CosineAnnealingLR(opt(), total_steps=10)
    assert info.value.suggestions["total_steps"][0] == "T_max"


def test_a_transformers_drop_in_suggests_transformers_name():
    with pytest.raises(TypeError) as info:
        LH.get_cosine_with_min_lr_schedule_with_warmup(opt(), 1, 10, eta_min=0.1)
    assert info.value.function == "get_cosine_with_min_lr_schedule_with_warmup"
    assert info.value.suggestions["eta_min"][0] == "min_lr"


def test_a_spec_typo():
    with pytest.raises(V.ArgumentError) as info:
        lrsched.from_dict({"type": "cosine", "init_value": 1, "step": 3})
    e = info.value
    assert (e.function, e.unknown, e.missing) == ("cosine", ("step",), ("steps",))
    assert e.suggestions["step"][0] == "steps"
    assert e.allowed == ("init_value", "steps", "end_value", "exponent", "k", "run")


def test_a_nested_spec_typo_says_where_and_builds_nothing(monkeypatch):
    built = []
    real = _REGISTRY["constant"]
    monkeypatch.setitem(_REGISTRY, "constant", ((lambda **kw: built.append(kw) or real[0](**kw)), real[1]))
    spec = {"type": "join", "schedules": [{"type": "constant", "value": 1.0}], "boundaries": [], "boundary": []}
    with pytest.raises(V.ArgumentError) as info:
        lrsched.from_dict(spec)
    assert info.value.function == "join" and info.value.suggestions["boundary"][0] == "boundaries"
    assert built == []  # refused before the nested schedule was built
    with pytest.raises(V.ArgumentError, match=r"in d\['schedules'\]\[0\]"):
        lrsched.from_dict({"type": "join", "schedules": [{"type": "constant", "valu": 1.0}], "boundaries": []})


@pytest.mark.parametrize("typed, first", [("cosin", "cosine"), ("warmup_cosin", "warmup_cosine"),
                                          ("Cosine-With-Min", "cosine_with_min_lr"), ("cosine_warmup_min", "cosine_warmup_with_min_lr"),
                                          ("sgd", "sgdr"), ("wsdd", "wsd")])  # fmt: skip
def test_an_unknown_name_suggests_close_names(typed, first):
    with pytest.raises(V.UnknownName) as info:
        lrsched.get(typed)
    e = info.value
    assert isinstance(e, ValueError) and e.name == typed and e.allowed == tuple(lrsched.names())
    assert e.suggestions[0] == first and "join" not in e.suggestions and len(e.suggestions) <= 3
    assert "lrsched.names()" in str(e) and "\n" not in str(e)


def test_an_unknown_spec_type_suggests_close_types():
    with pytest.raises(V.UnknownName) as info:
        lrsched.from_dict({"type": "cosin"})
    assert info.value.suggestions[0] == "cosine" and "join" not in info.value.suggestions
    assert info.value.allowed == tuple(sorted(_REGISTRY))


def test_no_close_name():
    with pytest.raises(V.UnknownName) as info:
        lrsched.get("qqq")
    assert info.value.suggestions == [] and str(info.value).endswith("No close match.")


def test_errors_pickle_with_their_attributes():
    for call in (lambda: lrsched.warmup_cosine(peak_lr=1.0), lambda: lrsched.get("cosin")):
        with pytest.raises((V.ArgumentError, V.UnknownName)) as info:
            call()
        twin = pickle.loads(pickle.dumps(info.value))
        assert str(twin) == str(info.value) and vars(twin) == vars(info.value)


def test_load_keeps_the_argument_error(tmp_path):
    path = tmp_path / "lr.json"
    path.write_text('{"type": "cosine", "init_value": 1.0, "step": 3}')
    with pytest.raises(V.ArgumentError) as info:
        lrsched.load(path)
    assert info.value.function == "cosine" and info.value.unknown == ("step",)
    assert str(info.value).startswith(f"load: {str(path)!r}: cosine: unknown argument 'step'")


# -- nothing is built, nothing changes -------------------------------------------------------------


def test_a_scheduler_method_with_a_bad_keyword_changes_nothing():
    o = opt(groups=2)
    sched = lrsched.Scheduler(o, lrsched.warmup_cosine(peak_value=1.0, warmup_steps=2, total_steps=10))
    for _ in range(3):
        sched.step()
    before = (sched.state_dict(), [g["lr"] for g in o.param_groups])
    calls = [lambda: sched.change(lrsched.constant(0.5), feild="lr"),
             lambda: sched.load_state_dict(before[0], adpot=True),
             lambda: sched.seek(step=1, x=2),
             lambda: sched.state_dict(full=True)]  # fmt: skip
    for call in calls:
        with pytest.raises(V.ArgumentError):
            call()
        assert (sched.state_dict(), [g["lr"] for g in o.param_groups]) == before
    sched.step()
    assert sched.last_step == 4


def test_a_drop_in_with_a_bad_keyword_changes_nothing():
    o = opt()
    o.param_groups[0]["lr"] = 0.3
    with pytest.raises(TypeError):
        LT.StepLR(o, step_size=2, gama=0.5)
    assert o.param_groups[0] == {**o.param_groups[0], "lr": 0.3} and "initial_lr" not in o.param_groups[0]


# -- transformers' arguments under transformers' names -------------------------------------------------

HF = pytest.importorskip("transformers")


def _multipliers(sched, n):
    return np.array([sched.lr_lambdas[0](t) for t in range(n)], dtype=np.float64)


T, W = 100, 10
PEER_ROWS = [
    ("cosine_with_min_lr-rate", "cosine_with_min_lr", dict(min_lr_rate=0.1),
     lambda o: HF.get_cosine_with_min_lr_schedule_with_warmup(o, W, T, min_lr_rate=0.1), 0),
    ("cosine_with_min_lr-min_lr", "cosine_with_min_lr", dict(min_lr=0.25),
     lambda o: HF.get_cosine_with_min_lr_schedule_with_warmup(o, W, T, min_lr=0.25), 0),
    ("cosine_warmup_with_min_lr", "cosine_warmup_with_min_lr", dict(min_lr_rate=0.1),
     lambda o: HF.get_cosine_with_min_lr_schedule_with_warmup_lr_rate(o, W, T, min_lr_rate=0.1), 1),
    ("warmup_cosine", "warmup_cosine", {}, lambda o: HF.get_cosine_schedule_with_warmup(o, W, T), 0),
    ("warmup_linear", "warmup_linear", {}, lambda o: HF.get_linear_schedule_with_warmup(o, W, T), 0),
    ("cosine_with_restarts", "cosine_with_restarts", dict(num_cycles=3),
     lambda o: HF.get_cosine_with_hard_restarts_schedule_with_warmup(o, W, T, num_cycles=3), 0),
    ("warmup_polynomial", "warmup_polynomial", dict(lr_end=0.2, power=2.0),
     lambda o: HF.get_polynomial_decay_schedule_with_warmup(o, W, T, lr_end=0.2, power=2.0), 0),
]  # fmt: skip


@pytest.mark.parametrize("name, extra, make, ahead", [r[1:] for r in PEER_ROWS], ids=[r[0] for r in PEER_ROWS])
def test_transformers_arguments_give_transformers_values(name, extra, make, ahead):
    s = lrsched.get(name, peak_value=1.0, num_warmup_steps=W, num_training_steps=T, **extra)
    theirs = _multipliers(make(opt(lr=1.0)), T + 1 - ahead)  # transformers' multipliers times the peak (1.0)
    ours = s(np.arange(ahead, T + 1))  # the "one step ahead" row: transformers' step t is lrsched's t + 1
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)


def test_warmup_only_rows_take_num_warmup_steps():
    for name, make in [("constant_with_warmup", lambda o: HF.get_constant_schedule_with_warmup(o, W)),
                       ("inverse_sqrt", lambda o: HF.get_inverse_sqrt_schedule(o, W))]:  # fmt: skip
        s = lrsched.get(name, peak_value=1.0, num_warmup_steps=W)
        np.testing.assert_allclose(s(np.arange(3 * W)), _multipliers(make(opt()), 3 * W), rtol=1e-12)


def test_warmup_stable_decay_takes_transformers_step_counts():
    s = lrsched.get("warmup_stable_decay", peak_value=1.0, num_warmup_steps=W, num_training_steps=T,
                    num_decay_steps=20)  # fmt: skip
    assert s == lrsched.wsd(peak_value=1.0, warmup_steps=W, total_steps=T, decay_steps=20)
    theirs = _multipliers(HF.get_wsd_schedule(opt(), W, 20, T, decay_type="linear"), T + 1)
    np.testing.assert_allclose(s(np.arange(T + 1)), theirs, rtol=1e-12, atol=1e-15)


def test_min_lr_rate_is_a_fraction_of_the_peak():
    s = lrsched.get("cosine_with_min_lr", peak_value=3e-4, num_warmup_steps=10, num_training_steps=100, min_lr_rate=0.1)
    assert s.to_dict()["end_value"] == 0.1 * 3e-4
    assert s == lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=10, total_steps=100, end_value=0.1 * 3e-4)


@pytest.mark.parametrize("kwargs, pair", [
    (dict(warmup_steps=5, num_warmup_steps=10, total_steps=100), ("warmup_steps", "num_warmup_steps")),
    (dict(warmup_steps=5, total_steps=100, min_lr=0.1, min_lr_rate=0.1), ("min_lr", "min_lr_rate")),
    (dict(warmup_steps=5, total_steps=100, end_value=0.1, min_lr=0.1), ("end_value", "min_lr")),
])  # fmt: skip
def test_an_argument_under_both_names_is_refused(kwargs, pair):
    with pytest.raises(V.ArgumentError) as info:
        lrsched.get("cosine_with_min_lr", peak_value=1.0, **kwargs)
    assert info.value.conflicts == (pair,)
    assert f"'{pair[0]}' and '{pair[1]}' given together" in str(info.value)


def test_a_peers_argument_of_another_meaning_is_not_taken():
    with pytest.raises(V.ArgumentError) as info:  # transformers' num_cycles of a cosine: no lrsched argument
        lrsched.get("cosine_with_min_lr", peak_value=1.0, num_warmup_steps=1, num_training_steps=10, num_cycles=0.5)
    assert info.value.unknown == ("num_cycles",)
    with pytest.raises(V.ArgumentError):  # the core factory itself takes lrsched's names only
        lrsched.warmup_cosine(peak_value=1.0, num_warmup_steps=1, total_steps=10)


def test_min_lr_rate_values_are_checked():
    with pytest.raises(TypeError, match="min_lr_rate"):
        lrsched.get("cosine_with_min_lr", peak_value=1.0, num_warmup_steps=1, num_training_steps=10, min_lr_rate="x")
    assert not math.isnan(lrsched.get("cosine_with_min_lr", peak_value=1.0, num_warmup_steps=1,
                                      num_training_steps=10, min_lr_rate=0.0).at(10))  # fmt: skip
