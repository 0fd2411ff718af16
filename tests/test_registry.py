"""Schedules by name (lrsched.get, lrsched.names) and from spec files (lrsched.load)."""

import json
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import lrsched
from lrsched import registry
import test_errors
from test_errors import BASE  # valid arguments for every public factory (test_errors keeps it complete)

NOT_FACTORIES = test_errors.NOT_FACTORIES | {"get", "range_test"}  # range_test: a join of families, no name
FACTORIES = sorted(set(lrsched.__all__) - NOT_FACTORIES)

# The peers' names that are not lrsched factory names, and what they build (written out, not read
# from the registry): transformers' SchedulerType, timm's sched=, Megatron-LM's --lr-decay-style.
PEER_NAMES = {
    "constant_with_warmup": ("warmup_constant", {}),
    "cosine_with_restarts": ("cosine_restarts", {}),
    "cosine_with_min_lr": ("warmup_cosine", {}),
    "cosine_warmup_with_min_lr": ("warmup_cosine", {}),
    "warmup_stable_decay": ("wsd", {}),
    "inverse_square_root": ("inverse_sqrt", {}),
    "poly": ("polynomial", {}),
    "rsqrt": ("wsd", {"stable": "rsqrt"}),
}
EXPECTED = {**PEER_NAMES, **{name: (name, {}) for name in FACTORIES}}

# Each peer's names as the peer spells them (verified against transformers 5.23, timm 1.0.31 and
# Megatron-LM's OptimizerParamScheduler); the metric-driven ones are not schedules.
TRANSFORMERS = ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup",
                "inverse_sqrt", "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay"]
TIMM = ["cosine", "tanh", "step", "multistep", "poly", "wsd", "rsqrt", "constant"]
MEGATRON = ["constant", "linear", "cosine", "inverse-square-root", "WSD"]
METRIC_DRIVEN = ["reduce_lr_on_plateau", "plateau", "greedy"]

NAME_RULE = "get: `name` must be one of lrsched.names() (the table is in help(lrsched.registry))"
PLATEAU = (
    "reduce on plateau follows a metric, not the step: use lrsched.plateau(...) with "
    "lrsched.Scheduler(optimizer, schedule, plateau=...) and scheduler.observe(metric)."
)
WSD = dict(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=20)


def args_for(factory):
    return dict(BASE[factory])


# -- names -----------------------------------------------------------------------


def test_names_are_every_factory_and_the_peer_names_sorted():
    names = lrsched.names()
    assert names == sorted(EXPECTED)
    assert all(n == n.lower() and "-" not in n for n in names)
    names.append("mine")  # a fresh list: the caller cannot change the registry
    assert "mine" not in lrsched.names()


@pytest.mark.parametrize("peer, names", [("transformers", TRANSFORMERS), ("timm", TIMM), ("Megatron-LM", MEGATRON)])
def test_every_peer_schedule_name_is_a_name(peer, names):
    for name in names:
        assert name.lower().replace("-", "_") in lrsched.names(), (peer, name)


@pytest.mark.parametrize("name", METRIC_DRIVEN)
def test_metric_driven_peer_names_are_not_names(name):
    assert name not in lrsched.names()
    assert f"``{name}``" in registry.__doc__  # the docstring says where they went
    with pytest.raises(ValueError, match=re.escape(f"get: `name` must name a schedule, got name={name!r}: ")):
        lrsched.get(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_get_equals_the_factory(name):
    factory, fixed = EXPECTED[name]
    s = lrsched.get(name, **args_for(factory))
    assert s == getattr(lrsched, factory)(**args_for(factory), **fixed)
    assert s.to_dict()["type"] == factory


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_json_round_trip(name):
    factory, _ = EXPECTED[name]
    s = lrsched.get(name, **args_for(factory))
    assert lrsched.from_dict(json.loads(json.dumps(s.to_dict()))) == s


@pytest.mark.parametrize("alias, name", [(a, f) for a, (f, fixed) in PEER_NAMES.items() if not fixed])
def test_peer_names_agree_with_the_lrsched_name(alias, name):
    assert lrsched.get(alias, **args_for(name)) == lrsched.get(name, **args_for(name))


def test_rsqrt_is_wsd_with_an_rsqrt_stable_phase():
    s = lrsched.get("rsqrt", **WSD)
    assert s == lrsched.wsd(**WSD, stable="rsqrt") != lrsched.wsd(**WSD)
    assert lrsched.get("rsqrt", **WSD, stable="rsqrt") == s  # the fixed value itself is accepted
    assert s.at(50) < s.at(10) == 1.0  # decays in its "stable" phase


@pytest.mark.parametrize(
    "spelling, name",
    [("inverse-square-root", "inverse_square_root"), ("INVERSE-SQUARE-ROOT", "inverse_square_root"),
     ("WSD", "wsd"), ("Cosine-With-Restarts", "cosine_with_restarts"), ("warmup-cosine", "warmup_cosine"),
     ("Constant_With_Warmup", "constant_with_warmup"), ("RSQRT", "rsqrt"), ("Poly", "poly")],
)  # fmt: skip
def test_case_and_dashes_are_ignored(spelling, name):
    factory, _ = EXPECTED[name]
    assert lrsched.get(spelling, **args_for(factory)) == lrsched.get(name, **args_for(factory))


# -- the table in the module docstring -----------------------------------------------


def table_rows():
    """(name, factory, fixed, peers' text) for each row of the docstring's table."""
    lines = registry.__doc__.splitlines()
    rules = [k for k, line in enumerate(lines) if line.startswith("=====")]
    assert len(rules) == 3, "the docstring holds one table"
    rows = []
    for line in lines[rules[1] + 1 : rules[2]]:
        if not line[:1].strip():  # a continuation of the row above
            rows[-1][3] += " " + line.strip()
            continue
        name, builds, peers = line[:26].strip(), line[26:51].strip(), line[51:].strip()
        factory, _, fixed = builds.partition("(")
        fixed = dict(re.findall(r"(\w+)='(\w+)'", fixed))
        rows.append([name, factory, fixed, peers])
    return rows


def test_the_docstring_table_is_the_registry():
    rows = table_rows()
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)
    for name, factory, fixed, peers in rows:
        assert EXPECTED[name] == (factory, fixed), name
        assert peers, name
    named = {r[0] for r in rows}
    assert set(PEER_NAMES) <= named  # every name that differs from its factory has a row


@pytest.mark.parametrize("peer, names", [("transformers", TRANSFORMERS), ("timm", TIMM), ("Megatron-LM", MEGATRON)])
def test_the_docstring_table_names_every_peer_schedule(peer, names):
    text = ";".join(r[3] for r in table_rows())
    mentioned = set()
    for part in re.split(r";|\(", text):
        words = part.replace(",", " ").split()
        if words and words[0] == peer:
            mentioned.update(words[1:])
    assert set(names) <= mentioned


# -- the peers' schedules, value for value -------------------------------------------

FLOAT = dict(rtol=1e-12, atol=1e-15)


def megatron_coeff(style, r):
    """Megatron-LM's lr-wsd-decay-style coefficients, from 1 at r = 0 to 0 at r = 1."""
    return {"linear": 1.0 - r, "cosine": 0.5 * (math.cos(math.pi * r) + 1.0),
            "exponential": 2.0 * 0.5**r - 1.0, "minus_sqrt": 1.0 - math.sqrt(r)}[style]  # fmt: skip


@pytest.mark.parametrize("style", ["linear", "cosine", "exponential", "minus_sqrt"])
def test_megatron_wsd_decay_styles(style):
    peak, low, total, warm, decay = 2.0, 0.2, 100, 10, 30
    s = lrsched.get("WSD", peak_value=peak, total_steps=total, warmup_steps=warm, decay_steps=decay,
                    min_ratio=low / peak, decay_shape=style)  # fmt: skip
    steps = np.arange(total + 5)
    want = [peak * k / warm if k <= warm else peak if k <= total - decay else
            low + (peak - low) * megatron_coeff(style, (k - total + decay) / decay) if k <= total else low
            for k in steps]  # fmt: skip
    np.testing.assert_allclose(s(steps), want, **FLOAT)


@pytest.mark.parametrize("style", ["linear", "cosine"])
def test_megatron_warmup_then_decay(style):
    peak, low, init, total, warm = 2.0, 0.2, 0.1, 100, 10
    s = lrsched.get(f"warmup_{style}", peak_value=peak, warmup_steps=warm, total_steps=total, end_value=low,
                    init_value=init)  # fmt: skip
    steps = np.arange(total + 5)
    want = [init + (peak - init) * k / warm if k <= warm else
            low + (peak - low) * megatron_coeff(style, (k - warm) / (total - warm)) if k <= total else low
            for k in steps]  # fmt: skip
    np.testing.assert_allclose(s(steps), want, **FLOAT)


def test_megatron_inverse_square_root():
    s = lrsched.get("inverse-square-root", peak_value=2.0, warmup_steps=10)
    steps = np.arange(1, 200)
    want = [2.0 * k / 10 if k <= 10 else 2.0 * math.sqrt(10) / math.sqrt(k) for k in steps]
    np.testing.assert_allclose(s(steps), want, **FLOAT)


# transformers' name -> (the lrsched name the docstring's table gives, its scheduler_specific_kwargs,
# lrsched's arguments), with W = 10, T = 100 and lr = 1
W10_T100 = dict(peak_value=1.0, warmup_steps=10, total_steps=100)
TRANSFORMERS_CASES = {
    "linear": ("warmup_linear", {}, W10_T100),
    "cosine": ("warmup_cosine", {}, W10_T100),
    "cosine_with_restarts": ("cosine_with_restarts", dict(num_cycles=3), dict(W10_T100, num_cycles=3)),
    "polynomial": ("warmup_polynomial", dict(lr_end=0.1, power=2.0), dict(W10_T100, end_value=0.1, power=2.0)),
    "constant": ("constant", {}, dict(value=1.0)),
    "constant_with_warmup": ("constant_with_warmup", {}, dict(peak_value=1.0, warmup_steps=10)),
    "inverse_sqrt": ("inverse_sqrt", {}, dict(peak_value=1.0, warmup_steps=10)),
    "cosine_with_min_lr": ("cosine_with_min_lr", dict(min_lr=0.1), dict(W10_T100, end_value=0.1)),
    "warmup_stable_decay": ("warmup_stable_decay", dict(num_decay_steps=20, decay_type="linear", min_lr_ratio=0.1),
                            dict(WSD, min_ratio=0.1, init_value=0.1)),
}  # fmt: skip


@pytest.mark.parametrize("peer_name", sorted(TRANSFORMERS_CASES))
def test_transformers_names_match_transformers(peer_name):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    name, theirs, ours = TRANSFORMERS_CASES[peer_name]
    assert any(r[0] == name and f" {peer_name}" in f" {r[3]}".replace(",", " ") for r in table_rows())
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = transformers.get_scheduler(peer_name, opt, num_warmup_steps=10, num_training_steps=100,
                                       scheduler_specific_kwargs=theirs)  # fmt: skip
    steps = np.arange(100)  # the steps of a 100-step run
    want = [sched.lr_lambdas[0](int(k)) for k in steps]
    np.testing.assert_allclose(lrsched.get(name, **ours)(steps), want, **FLOAT)


def test_transformers_cosine_warmup_with_min_lr_is_one_step_ahead():
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    sched = transformers.get_scheduler("cosine_warmup_with_min_lr", opt, num_warmup_steps=10, num_training_steps=100,
                                       scheduler_specific_kwargs=dict(min_lr=0.1))  # fmt: skip
    s = lrsched.get("cosine_warmup_with_min_lr", peak_value=1.0, warmup_steps=10, total_steps=100, end_value=0.1)
    steps = np.arange(100)
    np.testing.assert_allclose(s(steps + 1), [sched.lr_lambdas[0](int(k)) for k in steps], **FLOAT)


# -- get: errors ------------------------------------------------------------------------

def err(id, args, kwargs, exc, text, whole=True):
    """Case: ``get(*args, **kwargs)`` raises ``exc`` with the message ``text`` (or starting with it)."""
    return pytest.param(args, kwargs, exc, text, whole, id=id)


def _warms_up(allowed, who, s, name):
    """The message of a peer's name that warms up first, given warmup arguments."""
    return ("unknown arguments 'peak_value' (did you mean 'init_value' or 'end_value'?), 'warmup_steps' and "
            "'total_steps' (did you mean 'steps'?); missing required arguments 'init_value' and 'steps'; "
            f"{who} warm{s} up first: that is '{name}'; its arguments are {allowed}.")

GET_ERRORS = [
    err("close-match", ("cosin",), {}, ValueError, f"{NAME_RULE}, got name='cosin'. Close matches: 'cosine'", False),
    err("close-match-prefix", ("warmup_cosin",), {}, ValueError,
        f"{NAME_RULE}, got name='warmup_cosin'. Close matches: 'warmup_cosine', 'warmup_constant'", False),
    err("trailing-space", ("cosine ",), {}, ValueError, f"{NAME_RULE}, got name='cosine '. Close matches: 'cosine'",
        False),
    err("no-match", ("qqq",), {}, ValueError, f"{NAME_RULE}, got name='qqq'. No close match."),
    err("empty", ("",), {}, ValueError, f"{NAME_RULE}, got name=''. No close match."),
    err("none", (None,), {}, TypeError, f"{NAME_RULE}, got name=None."),
    err("a-factory", (lrsched.warmup_cosine,), {}, TypeError, f"{NAME_RULE}, got name=<function warmup_cosine", False),
    err("transformers-plateau", ("reduce_lr_on_plateau",), {}, ValueError,
        f"get: `name` must name a schedule, got name='reduce_lr_on_plateau': {PLATEAU}"),
    err("timm-plateau", ("plateau",), {}, ValueError,
        f"get: `name` must name a schedule, got name='plateau': {PLATEAU}"),
    err("greedy", ("Greedy",), {}, ValueError,
        "get: `name` must name a schedule, got name='Greedy': transformers' GreedyLR raises and lowers the value "
        "from a metric: use lrsched.transformers.get_greedy_schedule (a Schedule cannot follow a metric)."),
    err("bad-value", ("cosine",), dict(init_value=1.0, steps=0), ValueError,
        "cosine: `steps` must be a positive integer, got steps=0."),
    err("bad-value-under-a-peer-name", ("rsqrt",), dict(WSD, decay_steps=95), ValueError,
        "wsd: `decay_steps` must be <= total_steps - warmup_steps = 90 steps, got decay_steps=95."),
    err("bad-type", ("cosine_with_min_lr",), dict(peak_value="1", warmup_steps=1, total_steps=10), TypeError,
        "warmup_cosine: `peak_value` must be a finite number >= 0, got peak_value='1'."),
    err("bad-type-no-hint", ("cosine",), dict(init_value=1.0, steps=10.0), TypeError,
        "cosine: `steps` must be a positive integer, got steps=10.0."),
    err("fixed-argument", ("rsqrt",), dict(WSD, stable="constant"), ValueError,
        "get: `stable` must be 'rsqrt' (the name 'rsqrt' fixes it), got stable='constant'."),
    err("unknown-argument", ("cosine_restarts",), dict(peak_value=1.0, total_steps=10, num_cycles=2, cycles=2),
        TypeError, "cosine_restarts: unknown argument 'cycles' (did you mean 'num_cycles'?); its arguments are "
        "peak_value, total_steps, num_cycles, end_value, warmup_steps, init_value, num_warmup_steps, "
        "num_training_steps."),
    err("missing-arguments", ("warmup_stable_decay",), dict(peak_value=1.0), TypeError,
        "wsd: missing required arguments 'total_steps', 'warmup_steps' and 'decay_steps'; the name "
        "'warmup_stable_decay' builds wsd; its arguments are peak_value, total_steps, warmup_steps, decay_steps, "
        "init_value, warmup_shape, stable, timescale, decay_shape, power, min_ratio, stable_power, decay_ratio, "
        "end_value, num_warmup_steps, "
        "num_training_steps, num_decay_steps."),
    err("peer-cosine", ("cosine",), dict(peak_value=1.0, warmup_steps=10, total_steps=100), TypeError,
        "cosine: " + _warms_up("init_value, steps, end_value, exponent, k",
                                     "transformers' and Megatron-LM's 'cosine'", "", "warmup_cosine")),
    err("peer-linear", ("Linear",), dict(peak_value=1.0, warmup_steps=10, total_steps=100), TypeError,
        "linear: " + _warms_up("init_value, steps, end_value, transition_begin", "transformers' and Megatron-LM's 'linear'", "",
                                     "warmup_linear")),
    err("peer-polynomial", ("polynomial",), dict(peak_value=1.0, warmup_steps=10, total_steps=100), TypeError,
        "polynomial: " + _warms_up("init_value, steps, end_value, power, k, transition_begin, cycle", "transformers' 'polynomial'", "s",
                                         "warmup_polynomial")),
    err("peer-constant", ("constant",), dict(peak_value=1.0, warmup_steps=10), TypeError,
        "constant: unknown arguments 'peak_value' and 'warmup_steps'; missing required argument 'value'; timm's and "
        "Megatron-LM's 'constant' warm up first: that is 'warmup_constant'; its arguments are value."),
]  # fmt: skip


@pytest.mark.parametrize("args, kwargs, exc, text, whole", GET_ERRORS)
def test_get_rejects(args, kwargs, exc, text, whole):
    with pytest.raises(exc) as info:
        lrsched.get(*args, **kwargs)
    if whole:
        assert str(info.value) == text
    else:
        assert str(info.value).startswith(text)


# -- load ----------------------------------------------------------------------------

SPEC = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=10, total_steps=100, end_value=3e-5)
NAMED = {"name": "cosine_with_min_lr", "peak_value": 3e-4, "warmup_steps": 10, "total_steps": 100, "end_value": 3e-5}
YAML_NAMED = "name: cosine-with-min-lr\npeak_value: 3e-4\nwarmup_steps: 10\ntotal_steps: 100\nend_value: 3.0e-5\n"


def write(tmp_path, filename, text):
    path = tmp_path / filename
    path.write_text(text)
    return path


@pytest.mark.parametrize("as_str", [False, True], ids=["Path", "str"])
@pytest.mark.parametrize("spec", [SPEC.to_dict(), NAMED], ids=["to_dict", "name"])
def test_load_json(tmp_path, spec, as_str):
    path = write(tmp_path, "lr.json", json.dumps(spec))
    assert lrsched.load(str(path) if as_str else path) == SPEC


def test_load_json_whatever_the_suffix(tmp_path):
    assert lrsched.load(write(tmp_path, "lr.spec", json.dumps(NAMED))) == SPEC


def test_load_a_nested_to_dict_spec(tmp_path):
    s = lrsched.join([lrsched.warmup(lrsched.cosine(init_value=1.0, steps=50), 5), lrsched.constant(0.1)], [55])
    assert lrsched.load(write(tmp_path, "lr.json", json.dumps(s.to_dict()))) == s


@pytest.mark.parametrize("filename", ["lr.yaml", "lr.yml", "LR.YAML"])
def test_load_yaml(tmp_path, filename):
    pytest.importorskip("yaml")
    assert lrsched.load(write(tmp_path, filename, YAML_NAMED)) == SPEC


def test_load_yaml_to_dict_spec(tmp_path):
    yaml = pytest.importorskip("yaml")
    s = lrsched.multistep(init_value=1e-3, milestones=[10, 20], gamma=0.5)
    assert lrsched.load(write(tmp_path, "lr.yaml", yaml.safe_dump(s.to_dict()))) == s


@pytest.mark.parametrize("text, value", [("1e-3", 1e-3), ("-2E+2", -200.0), (".5e1", 5.0), ("1_000e-3", 1.0),
                                         ("7", 7), ("1.5", 1.5), ("0x10", 16), ("e5", "e5"), ("1e", "1e")])
def test_yaml_reads_exponents_as_numbers(text, value):
    yaml = pytest.importorskip("yaml")
    got = yaml.load(f"x: {text}", Loader=registry._number_loader(yaml))["x"]
    assert got == value and type(got) is type(value)


def test_load_needs_pyyaml_only_for_yaml(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # as if PyYAML were not installed
    path = write(tmp_path, "lr.yaml", YAML_NAMED)
    with pytest.raises(ImportError) as info:
        lrsched.load(path)
    assert str(info.value) == f"load: reading the YAML file {str(path)!r} needs PyYAML: pip install pyyaml"
    assert lrsched.load(write(tmp_path, "lr.json", json.dumps(NAMED))) == SPEC


def test_import_lrsched_needs_no_pyyaml(tmp_path):
    write(tmp_path, "lr.json", json.dumps(NAMED))
    write(tmp_path, "lr.yaml", YAML_NAMED)
    code = (
        "import sys; sys.modules['yaml'] = None\n"  # PyYAML cannot be imported in this process
        "import lrsched\n"
        "print(lrsched.load('lr.json').to_dict()['type'])\n"
        "try:\n"
        "    lrsched.load('lr.yaml')\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=os.environ)
    assert out.returncode == 0, out.stderr
    needs = "load: reading the YAML file 'lr.yaml' needs PyYAML: pip install pyyaml"
    assert out.stdout.splitlines() == ["warmup_cosine", needs]


SPEC_RULE = "must hold a dict with a 'type' key (Schedule.to_dict() output) or a 'name' key (lrsched.names())"
TO_DICT = SPEC.to_dict()


def from_dict_error(d):
    with pytest.raises((ValueError, TypeError)) as info:
        lrsched.from_dict(d)
    return str(info.value)


def bad_file(id, filename, content, exc, text):
    """Case: ``load`` of ``content`` in ``filename`` raises ``exc`` with ``text`` ({path}: the file's path)."""
    return pytest.param(filename, content, exc, text, id=id)


LOAD_ERRORS = [
    bad_file("empty", "lr.json", "", ValueError,
             "load: `path` must hold valid JSON, got path={path} (Expecting value: line 1, column 1)."),
    bad_file("truncated", "lr.json", '{"type": "constant", "val', ValueError,
             "load: `path` must hold valid JSON, got path={path} (Unterminated string starting at: "
             "line 1, column 22)."),
    bad_file("python-not-json", "lr.json", "{'type': 'constant'}", ValueError,
             "load: `path` must hold valid JSON, got path={path} (Expecting property name enclosed in double quotes: "
             "line 1, column 2)."),
    bad_file("bad-yaml", "lr.yaml", "name: [cosine\n", ValueError,
             "load: `path` must hold valid YAML, got path={path} (expected ',' or ']', but got '<stream end>': "
             "line 2, column 1)."),
    bad_file("empty-yaml", "lr.yaml", "", ValueError,
             f"load: `path` {SPEC_RULE}, got path={{path}} (it holds nothing)."),
    bad_file("list", "lr.json", "[1, 2]", ValueError,
             f"load: `path` {SPEC_RULE}, got path={{path}} (it holds a list)."),
    bad_file("number", "lr.json", "3e-4", ValueError,
             f"load: `path` {SPEC_RULE}, got path={{path}} (it holds a number)."),
    bad_file("neither", "lr.json", '{"peak_value": 1.0}', ValueError,
             f"load: `path` {SPEC_RULE}, got path={{path}} (it has neither key)."),
    bad_file("both", "lr.json", json.dumps({**NAMED, "type": "warmup_cosine"}), ValueError,
             f"load: `path` {SPEC_RULE}, got path={{path}} (it has both keys)."),
    bad_file("yaml-int-key", "lr.yaml", "name: constant\n1: 2\n", ValueError,
             "load: {path}: every key must be an argument name (a string), got the key 1."),
    bad_file("unknown-name", "lr.json", json.dumps({**NAMED, "name": "qqq"}), ValueError,
             f"load: {{path}}: {NAME_RULE}, got name='qqq'. No close match."),
    bad_file("plateau", "lr.json", json.dumps({"name": "plateau"}), ValueError,
             f"load: {{path}}: get: `name` must name a schedule, got name='plateau': {PLATEAU}"),
    bad_file("name-bad-value", "lr.json", json.dumps({**NAMED, "total_steps": 5}), ValueError,
             "load: {path}: warmup_cosine: `total_steps` must be > warmup_steps=10 (the decay needs at least one "
             "step), got total_steps=5."),
    bad_file("name-bad-type", "lr.yaml", YAML_NAMED.replace("warmup_steps: 10", "warmup_steps: '10'"), TypeError,
             "load: {path}: warmup_cosine: `warmup_steps` must be an integer >= 0, got warmup_steps='10'."),
    bad_file("name-unknown-key", "lr.json", json.dumps({**NAMED, "lr": 1.0}), TypeError,
             "load: {path}: warmup_cosine: unknown argument 'lr' (did you mean 'peak_value'? 'lr' is what torch and "
             "transformers call it); the name 'cosine_with_min_lr' builds warmup_cosine; its arguments are peak_value, "
             "warmup_steps, total_steps, end_value, init_value, exponent, warmup_shape, end_ratio, num_warmup_steps, "
             "num_training_steps, min_lr, min_lr_rate."),
    bad_file("to_dict-unknown-type", "lr.json", json.dumps({**TO_DICT, "type": "cosin"}), ValueError,
             "load: {path}: " + from_dict_error({**TO_DICT, "type": "cosin"})),
    bad_file("to_dict-unknown-key", "lr.json", json.dumps({**TO_DICT, "lr": 1.0}), ValueError,
             "load: {path}: " + from_dict_error({**TO_DICT, "lr": 1.0})),
    bad_file("to_dict-bad-value", "lr.json", json.dumps({**TO_DICT, "total_steps": 0}), ValueError,
             "load: {path}: warmup_cosine: `total_steps` must be a positive integer, got total_steps=0."),
    bad_file("to_dict-bad-type", "lr.json", json.dumps({**TO_DICT, "end_value": [0.1]}), TypeError,
             "load: {path}: warmup_cosine: `end_value` must be a finite number >= 0, got end_value=[0.1]."),
    bad_file("yaml-date", "lr.yaml", "type: constant\nvalue: 2020-01-01\n", TypeError,
             "load: {path}: from_dict: `d['value']` must be plain JSON data (numbers, strings, booleans, null, "
             "lists), got d['value']=datetime.date(2020, 1, 1)."),
]  # fmt: skip


@pytest.mark.parametrize("filename, content, exc, text", LOAD_ERRORS)
def test_load_rejects(tmp_path, filename, content, exc, text):
    if filename.endswith(".yaml"):
        pytest.importorskip("yaml")
    path = write(tmp_path, filename, content)
    with pytest.raises(exc) as info:
        lrsched.load(path)
    assert str(info.value) == text.replace("{path}", repr(str(path)))


def test_load_names_a_missing_file(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(ValueError) as info:
        lrsched.load(path)
    reason = "No such file or directory"
    assert str(info.value) == f"load: `path` must be a readable file, got path={str(path)!r} ({reason})."


def test_load_names_a_directory(tmp_path):
    with pytest.raises(ValueError) as info:
        lrsched.load(tmp_path)
    assert str(info.value) == f"load: `path` must be a readable file, got path={str(tmp_path)!r} (Is a directory)."


def test_load_names_a_binary_file(tmp_path):
    path = tmp_path / "lr.json"
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(ValueError) as info:
        lrsched.load(path)
    assert str(info.value) == f"load: `path` must be a UTF-8 text file, got path={str(path)!r} (invalid start byte)."


@pytest.mark.parametrize("path", [3, None, b"lr.json", ["lr.json"]], ids=["int", "None", "bytes", "list"])
def test_load_rejects_a_non_path(path):
    with pytest.raises(TypeError) as info:
        lrsched.load(path)
    assert str(info.value) == f"load: `path` must be a str or os.PathLike, got path={path!r}."
