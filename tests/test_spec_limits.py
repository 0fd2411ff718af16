"""Spec files that users really break: alias bombs, huge lists, YAML 1.1 numbers, duplicate keys.

``lrsched.load`` builds a dict that a YAML alias uses in several places once,
refuses a file past its stated limits (bytes, values, segments, layers) with a
message naming the limit and the key, reads YAML numbers and booleans by YAML
1.2's core schema (refusing ``010``, which YAML 1.1 and 1.2 read differently),
and refuses a key twice in one JSON object or YAML mapping.

The files that took a minute or more before (a 700-byte YAML alias bomb: 34 s
and 1 GiB to load, 70 s for ``lrsched describe``; a 7.9 MB JSON of 10**6
milestones: 6.5 s and 900 MiB) are loaded in a subprocess under a watchdog,
so that a regression fails the suite instead of stalling it.  No test here
asserts a time.
"""

import json
import os
import pickle
import shutil
import subprocess
import sys
import textwrap

import pytest

import lrsched
from lrsched import registry
from lrsched.cli import main

yaml = pytest.importorskip("yaml")

WATCHDOG = 300  # seconds before a subprocess counts as hung (not a timing check: the files load in well under one)
VALUES = f"at most {registry.MAX_SPEC_VALUES:,} values"
SEGMENTS = f"at most {registry.MAX_SPEC_SEGMENTS:,} segments in all"
LAYERS = f"products of at most {registry.MAX_SPEC_LAYERS} layers"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path, exc=ValueError):
    with pytest.raises(exc) as info:
        lrsched.load(path)
    return str(info.value)


# -- alias bombs ----------------------------------------------------------------------------------


def join_bomb(levels, per=9):
    """YAML: a join of ``per`` uses of a join of ``per`` uses ... of one cosine, each level an anchor
    that the next uses ``per`` times (the schedule's spec written out has ``per ** levels`` cosines)."""
    node = "&s0 {type: cosine, init_value: 1.0, steps: 10}"
    for k in range(1, levels + 1):
        span = 10 * per ** (k - 1)  # each piece runs its whole length
        kids = ", ".join([node] + [f"*s{k - 1}"] * (per - 1))
        bounds = ", ".join(str(span * i) for i in range(1, per))
        node = f"&s{k} {{type: join, schedules: [{kids}], boundaries: [{bounds}]}}"
    return node + "\n"


def join_bomb_by_factories(levels, per=9):
    s = lrsched.cosine(init_value=1.0, steps=10)
    for k in range(1, levels + 1):
        span = 10 * per ** (k - 1)
        s = lrsched.join([s] * per, [span * i for i in range(1, per)])
    return s


def list_bomb(levels=8):
    """YAML: a multistep whose milestones are 9 ** levels items made of ``levels`` list anchors."""
    doc = "&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"
    for k in range(1, levels):
        doc = f"[{doc}, &a{k} [" + ", ".join([f"*a{k - 1}"] * 9) + "]]"
    return f"type: multistep\ninit_value: 1.0\nmilestones: {doc}\n"


def shared_warmup(uses, milestones):
    """YAML: a join of ``uses`` uses of one warmup around one multistep of ``milestones`` milestones,
    the milestones an anchor too (dict and list aliases together)."""
    ms = ", ".join(str(i) for i in range(1, milestones + 1))
    w = f"&w {{type: warmup, warmup_steps: 5, schedule: {{type: multistep, init_value: 1.0, milestones: &m [{ms}]}}}}"
    bounds = ", ".join(str(2 * milestones * i) for i in range(1, uses))
    return f"type: join\nschedules: [{w}" + ", *w" * (uses - 1) + f"]\nboundaries: [{bounds}]\n"


def distinct_schedules(s):
    """The distinct Schedule objects ``s`` is made of, itself included (by identity)."""
    seen = {}
    todo = [s]
    while todo:
        x = todo.pop()
        if id(x) in seen:
            continue
        seen[id(x)] = x
        for v in x._spec.values():
            todo += [y for y in (v if isinstance(v, (list, tuple)) else [v]) if isinstance(y, lrsched.Schedule)]
    return len(seen)


def test_a_dict_used_many_times_is_built_once(tmp_path):
    s = lrsched.load(write(tmp_path, "bomb.yaml", join_bomb(4)))
    assert distinct_schedules(s) == 5  # one per anchor, not 1 + 9 + 81 + 729 + 6561
    want = join_bomb_by_factories(4)
    assert s == want
    assert s.to_dict() == want.to_dict()
    assert json.dumps(s.to_dict()).count('"cosine"') == 9**4


def test_a_schedule_shared_in_several_places_behaves_as_a_copy(tmp_path):
    s = lrsched.load(write(tmp_path, "bomb.yaml", join_bomb(3)))
    want = join_bomb_by_factories(3)
    steps = list(range(0, 800, 7))
    assert s(steps).tolist() == want(steps).tolist()
    assert pickle.loads(pickle.dumps(s)) == want
    assert lrsched.from_dict(json.loads(json.dumps(s.to_dict()))) == want
    sched = lrsched.Scheduler(type("Opt", (), {"param_groups": [{"lr": 1.0}]})(), s)
    for _ in range(15):
        sched.step()
    assert sched.get_last_lr() == [want.at(15)]


def test_dict_and_list_aliases_within_the_limits_load(tmp_path):
    s = lrsched.load(write(tmp_path, "shared.yaml", shared_warmup(uses=4, milestones=1000)))
    inner = lrsched.warmup(lrsched.multistep(init_value=1.0, milestones=list(range(1, 1001))), 5)
    assert s == lrsched.join([inner] * 4, [2000, 4000, 6000])
    assert distinct_schedules(s) == 3


def multistep_json(n):
    return json.dumps({"type": "multistep", "init_value": 1.0, "milestones": list(range(1, n + 1))})


# Files that were slow or huge before, all loaded in one subprocess: (name, file name, content,
# texts the message must hold).
BOMBS = [
    ("dict-aliases", "dict.yaml", join_bomb(6), [VALUES, "d['schedules'][0]['schedules']"]),
    ("dict-aliases-top", "top.yaml", join_bomb(5), [VALUES, "d['schedules']"]),
    ("list-aliases", "list.yaml", list_bomb(), [VALUES, "d['milestones']"]),
    ("dict-and-list-aliases", "mixed.yaml", shared_warmup(uses=9, milestones=10_000), [SEGMENTS, "d, a join of 9"]),
    ("million-milestones-json", "million.json", multistep_json(10**6), [f"at most {registry.MAX_SPEC_BYTES:,} bytes"]),
    ("contains-itself", "self.yaml", "&a {type: warmup, warmup_steps: 1, schedule: *a}\n",
     ["`d['schedule']` must not contain itself"]),
    ("list-contains-itself", "self-list.yaml", "type: constant\nvalue: &v [1, *v]\n",
     ["`d['value'][1]` must not contain itself"]),
]  # fmt: skip
LOADER = textwrap.dedent("""
    import json, sys
    import lrsched
    out = {}
    for name in sys.argv[1:]:
        try:
            lrsched.load(name)
            out[name] = ["loaded", ""]
        except Exception as e:
            out[name] = [type(e).__name__, str(e)]
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def bomb_outcomes(tmp_path_factory):
    """name -> [exception type or "loaded", message] for every file of BOMBS, from one subprocess."""
    tmp = tmp_path_factory.mktemp("bombs")
    for _, filename, content, _ in BOMBS:
        (tmp / filename).write_text(content, encoding="utf-8")
    files = [filename for _, filename, _, _ in BOMBS]
    done = subprocess.run([sys.executable, "-c", LOADER, *files], capture_output=True, text=True, cwd=tmp,
                          timeout=WATCHDOG, env=os.environ)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("name, filename, content, texts", BOMBS, ids=[b[0] for b in BOMBS])
def test_bombs_are_refused_naming_the_limit_and_the_key(bomb_outcomes, name, filename, content, texts):
    kind, message = bomb_outcomes[filename]
    assert kind == "ValueError", message
    assert message.startswith("load: ") and repr(filename) in message
    for text in texts:
        assert text in message


def test_describe_refuses_an_alias_bomb(tmp_path):
    script = shutil.which("lrsched")
    if script is None:
        pytest.fail("the lrsched console script is not on PATH: install the package (pip install -e .)")
    write(tmp_path, "bomb.yaml", join_bomb(6))
    done = subprocess.run([script, "describe", "bomb.yaml", "--steps", "1000"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=WATCHDOG)  # fmt: skip
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("lrsched: error: load: `path` must hold a spec of " + VALUES)
    assert len(done.stderr.splitlines()) == 1


def test_describe_reads_an_alias_file_within_the_limits(tmp_path, capsys):
    path = write(tmp_path, "shared.yaml", join_bomb(2))
    assert main(["describe", str(path), "--steps", "1000"]) == 0
    out = capsys.readouterr().out
    assert "steps    1,000" in out and "restarts 80" in out


# -- the limits, at their edges ---------------------------------------------------------------------


def test_values_up_to_the_limit_load_and_one_more_is_refused(tmp_path):
    n = registry.MAX_SPEC_VALUES - 4  # the dict, its "type" and "init_value", the list and its items
    s = lrsched.load(write(tmp_path, "at.json", multistep_json(n)))
    assert s.to_dict()["milestones"][-1] == n
    message = refusal(write(tmp_path, "past.json", multistep_json(n + 1)))
    assert message == (
        f"load: `path` must hold a spec of {VALUES} (numbers, strings, booleans, nulls, lists and dicts, a YAML "
        f"alias counted at every use), got path={str(tmp_path / 'past.json')!r} (d holds more; d['milestones'] "
        f"alone holds {n + 2:,})."
    )


def test_the_yaml_reader_stops_past_the_values(tmp_path):
    n = registry.MAX_SPEC_VALUES - 3  # one value too many (as JSON above)
    path = write(tmp_path, "past.yaml", "type: multistep\ninit_value: 1.0\nmilestones: [" + "1, " * n + "]\n")
    assert refusal(path).endswith(f"got path={str(path)!r} (d['milestones'] holds more).")


def test_bytes_up_to_the_limit_load_and_one_more_is_refused(tmp_path):
    text = json.dumps({"type": "constant", "value": 0.5})
    pad = registry.MAX_SPEC_BYTES - len(text)
    assert lrsched.load(write(tmp_path, "at.json", text + " " * pad)) == lrsched.constant(0.5)
    path = write(tmp_path, "past.json", text + " " * (pad + 1))
    assert refusal(path) == (
        f"load: `path` must be a spec file of at most {registry.MAX_SPEC_BYTES:,} bytes (1 MiB), "
        f"got path={str(path)!r} (a larger file)."
    )


def test_a_join_that_would_pad_past_the_segments_is_refused(tmp_path):
    # no alias: a product of 100 layers joined with 1,000 constants pads each of them to 100 layers
    c = {"type": "constant", "value": 1.0}
    spec = {"type": "join", "schedules": [{"type": "product", "schedules": [c] * 100}] + [c] * 1000,
            "boundaries": list(range(1, 1001))}  # fmt: skip
    message = refusal(write(tmp_path, "pads.json", json.dumps(spec)))
    assert SEGMENTS in message and "(d, a join of 1001 schedules, takes the count to" in message


def test_nesting_that_copies_a_large_schedule_past_the_segments_is_refused(tmp_path):
    d = json.loads(multistep_json(10_000))
    for _ in range(20):
        d = {"type": "warmup", "schedule": d, "warmup_steps": 3}
    message = refusal(write(tmp_path, "deep.json", json.dumps(d)))
    assert SEGMENTS in message and "a warmup of 1 schedule, takes the count to" in message


def test_a_product_of_more_layers_than_the_limit_is_refused(tmp_path):
    factors = "&c {type: constant, value: 1.0}" + ", *c" * registry.MAX_SPEC_LAYERS
    message = refusal(write(tmp_path, "layers.yaml", f"{{type: product, schedules: [{factors}]}}\n"))
    assert LAYERS in message and f"(d, a product, has {registry.MAX_SPEC_LAYERS + 1})" in message
    factors = "&c {type: constant, value: 1.0}" + ", *c" * (registry.MAX_SPEC_LAYERS - 1)
    s = lrsched.load(write(tmp_path, "at.yaml", f"{{type: product, schedules: [{factors}]}}\n"))
    assert s.program.n_layers == registry.MAX_SPEC_LAYERS


def test_a_named_spec_is_held_to_the_same_limits(tmp_path):
    spec = {"name": "multistep", "init_value": 1.0, "milestones": list(range(1, registry.MAX_SPEC_VALUES))}
    message = refusal(write(tmp_path, "named.json", json.dumps(spec)))
    assert VALUES in message and f"(d holds more; d['milestones'] alone holds {registry.MAX_SPEC_VALUES:,})" in message


# -- YAML numbers and booleans: YAML 1.2's core schema ----------------------------------------------

YAML_12 = [  # unquoted text -> what a spec holds
    ("10", 10), ("+5", 5), ("-3", -3), ("0", 0), ("-0", 0), ("0o10", 8), ("0x10", 16), ("0xfF", 255),
    ("1_000", 1000), ("1.5", 1.5), ("3e-4", 3e-4), ("1E6", 1e6), (".5", 0.5), ("1.", 1.0), ("-.inf", -float("inf")),
    ("true", True), ("True", True), ("FALSE", False), ("null", None), ("~", None), ("", None),
    # YAML 1.1 reads these as booleans or numbers; YAML 1.2 as strings
    ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"), ("n", "n"), ("Yes", "Yes"),
    ("1:30", "1:30"), ("1:30.5", "1:30.5"), ("0b101", "0b101"), ("-0x10", "-0x10"), ("1__0", "1__0"),
    ("1_", "1_"), ("tRue", "tRue"),
]  # fmt: skip


@pytest.mark.parametrize("text, value", YAML_12, ids=[t or "empty" for t, _ in YAML_12])
def test_yaml_scalars_read_by_the_core_schema(text, value):
    got = yaml.load(f"x: {text}", Loader=registry._number_loader(yaml))["x"]
    assert got == value and type(got) is type(value)


STEP = "type: step\ninit_value: 1.0\ngamma: 0.5\nstep_size: {}\n"
EXPONENTIAL = "type: exponential\ninit_value: 1.0\ndecay_rate: 0.5\ntransition_steps: 10\nstaircase: {}\n"


@pytest.mark.parametrize("text, value", [("10", 10), ("0o10", 8), ("0x10", 16), ("1_000", 1000), ("+5", 5)])
def test_yaml_integers_reach_the_factory(tmp_path, text, value):
    assert lrsched.load(write(tmp_path, "s.yaml", STEP.format(text))).to_dict()["step_size"] == value


@pytest.mark.parametrize("text, octal", [("010", "octal 8"), ("0_10", "octal 8"), ("09", "a string")])
def test_a_leading_zero_is_refused_naming_the_key(tmp_path, text, octal):
    path = write(tmp_path, "s.yaml", STEP.format(text))
    fix = "write 10, or 0o10 for 8" if octal == "octal 8" else "write 9"
    assert refusal(path) == (
        f"load: {str(path)!r}: `d['step_size']` must be an integer written without a leading zero, got "
        f"d['step_size']={text} (YAML 1.1 reads it as {octal}, YAML 1.2 as {int(text.replace('_', ''))}): {fix}."
    )


def test_a_leading_zero_in_a_list_is_refused_naming_the_item(tmp_path):
    path = write(tmp_path, "s.yaml", "type: multistep\ninit_value: 1.0\nmilestones: [10, -020]\n")
    message = refusal(path)
    assert "`d['milestones'][1]` must be an integer written without a leading zero" in message
    assert "got d['milestones'][1]=-020 (YAML 1.1 reads it as octal -16, YAML 1.2 as -20): write -20." in message


@pytest.mark.parametrize("text", ["1:30", "0b101"])
def test_yaml_11_numbers_are_strings_the_factory_refuses(tmp_path, text):
    message = refusal(write(tmp_path, "s.yaml", STEP.format(text)), TypeError)
    assert f"`step_size` must be a positive integer, got step_size='{text}'." in message


@pytest.mark.parametrize("text", ["on", "yes", "y"])
def test_yaml_11_booleans_are_strings_the_factory_refuses(tmp_path, text):
    message = refusal(write(tmp_path, "s.yaml", EXPONENTIAL.format(text)), TypeError)
    assert "`staircase` must be" in message and f"got staircase='{text}'" in message


@pytest.mark.parametrize("text, value", [("true", True), ("False", False)])
def test_yaml_booleans(tmp_path, text, value):
    assert lrsched.load(write(tmp_path, "s.yaml", EXPONENTIAL.format(text))).to_dict()["staircase"] is value


@pytest.mark.parametrize("text, problem", [
    ("!!int abc", "found 'abc', which is not an integer"),
    ("!!float abc", "found 'abc', which is not a float"),
    ("!!bool yes", "found 'yes', which is not true or false"),
    ("!!timestamp 2020-99-99", "found '2020-99-99', which is not a date"),
    ("!!int " + "1" * 5000, f"found '{'1' * 30}...{'1' * 20}', which is not an integer"),
])  # fmt: skip
def test_explicit_tags_with_bad_text_are_invalid_yaml(tmp_path, text, problem):
    path = write(tmp_path, "s.yaml", f"type: constant\nvalue: {text}\n")
    message = refusal(path)
    assert message.startswith(f"load: `path` must hold valid YAML, got path={str(path)!r} ({problem}")
    assert message.endswith(": line 2, column 8).")


def test_the_yaml_11_merge_key_is_refused(tmp_path):
    path = write(tmp_path, "s.yaml", "base: &b {init_value: 1.0}\ntype: cosine\n<<: *b\nsteps: 10\n")
    assert refusal(path) == (
        f"load: `path` must hold valid YAML, got path={str(path)!r} (found the merge key '<<', which YAML 1.2 "
        "does not have: write the keys out: line 3, column 1)."
    )


# -- duplicate keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, key", [
    ('{"type": "constant", "value": 1, "value": -1}', "value"),
    ('{"type": "warmup", "warmup_steps": 2, "schedule": {"type": "cosine", "init_value": 1.0, "steps": 5, '
     '"steps": 50}}', "steps"),
    ('{"type": "constant", "type": "constant", "value": 1}', "type"),
])  # fmt: skip
def test_json_duplicate_keys_are_refused_naming_the_key(tmp_path, text, key):
    path = write(tmp_path, "s.json", text)
    assert refusal(path) == (
        f"load: `path` must hold JSON whose objects have unique keys, got path={str(path)!r} "
        f"(the key {key!r} appears twice in one object)."
    )


@pytest.mark.parametrize("text, key, where", [
    ("type: constant\nvalue: 1\nvalue: 2\n", "'value'", "line 3, column 1"),
    ("type: warmup\nwarmup_steps: 2\nschedule: {type: constant, value: 1, value: 2}\n", "'value'", "line 3, column 38"),
    ("type: multistep\ninit_value: 1.0\nmilestones: [1, 2]\nmilestones: [3]\n", "'milestones'", "line 4, column 1"),
    ("name: constant\nvalue: 1\n'value': 2\n", "'value'", "line 3, column 1"),
])  # fmt: skip
def test_yaml_duplicate_keys_are_refused_naming_the_key(tmp_path, text, key, where):
    path = write(tmp_path, "s.yaml", text)
    assert refusal(path) == (
        f"load: `path` must hold valid YAML, got path={str(path)!r} "
        f"(found the key {key} twice in one mapping: {where})."
    )


def test_cli_json_arguments_refuse_duplicate_keys(capsys):
    arg = 'schedule={"type": "constant", "value": 1, "value": 2}'
    assert main(["describe", "warmup", arg, "warmup_steps=2", "--steps", "4"]) == 1
    err = capsys.readouterr().err
    assert err == f"lrsched: error: {arg}: the key 'value' appears twice in one JSON object\n"


# -- valid specs still round-trip ----------------------------------------------------------------------

VALID = {
    "warmup_cosine": lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=10, total_steps=100, end_value=3e-5),
    "join-warmup": lrsched.join([lrsched.warmup(lrsched.cosine(init_value=1.0, steps=50), 5),
                                 lrsched.constant(0.1)], [55]),
    "noise-multistep": lrsched.noise(lrsched.multistep(init_value=1.0, milestones=[10, 20], gamma=0.5),
                                     std=0.1, pct=0.2, seed=3),
    "product-sgdr": lrsched.sgdr(1.0, 20, cycle_mult=2) * lrsched.linear(init_value=1.0, steps=300, end_value=0.5),
    "repeat-scale": lrsched.repeat(lrsched.linear(init_value=1.0, steps=10), 10) * 0.5,
    "staircase": lrsched.exponential(init_value=1.0, decay_rate=0.5, transition_steps=10, staircase=True),
    "wsd": lrsched.wsd(peak_value=1.0, total_steps=100, warmup_steps=10, decay_steps=20, decay_shape="minus_sqrt"),
}  # fmt: skip


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
@pytest.mark.parametrize("name", VALID)
def test_valid_specs_round_trip(tmp_path, name, suffix):
    s = VALID[name]
    text = json.dumps(s.to_dict()) if suffix == ".json" else yaml.safe_dump(s.to_dict())
    loaded = lrsched.load(write(tmp_path, "s" + suffix, text))
    assert loaded == s
    assert loaded.to_dict() == s.to_dict()
    assert lrsched.from_dict(json.loads(json.dumps(loaded.to_dict()))) == s


# Nested specs that from_dict refuses: load says the same after the file's name.
BAD_NESTED = {
    "unknown-key": {"type": "join", "schedules": [{"type": "constant", "value": 1.0}], "boundaries": [], "lr": 1},
    "schedules-not-a-list": {"type": "product", "schedules": {"type": "constant", "value": 1.0}},
    "part-not-a-dict": {"type": "join", "schedules": [{"type": "constant", "value": 1.0}, 3], "boundaries": [5]},
    "nested-factory-error": {"type": "warmup", "warmup_steps": 2,
                             "schedule": {"type": "warmup", "warmup_steps": -1,
                                          "schedule": {"type": "constant", "value": 1.0}}},
    "bad-value-in-a-composite": {"type": "join", "schedules": [{"type": "constant", "value": 1.0}] * 2,
                                 "boundaries": [{"a": 1}]},
}  # fmt: skip


def _too_deep():
    d = {"type": "constant", "value": 1.0}
    for _ in range(lrsched._schedule.MAX_DEPTH + 1):
        d = {"type": "scale", "factor": 1.0, "schedule": d}
    return d


BAD_NESTED["too-deep"] = _too_deep()


@pytest.mark.parametrize("name", BAD_NESTED)
def test_load_refuses_what_from_dict_refuses_with_its_message(tmp_path, name):
    d = BAD_NESTED[name]
    with pytest.raises((ValueError, TypeError)) as expected:
        lrsched.from_dict(d)
    path = write(tmp_path, "s.json", json.dumps(d))
    with pytest.raises(type(expected.value)) as got:
        lrsched.load(path)
    assert str(got.value) == f"load: {str(path)!r}: {expected.value}"
