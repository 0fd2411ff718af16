"""lrsched.Run: lengths in a run's units resolved to optimizer updates (issue 17, part 1).

Every expected count below is worked out by hand in the comment beside it, from the rules in
lrsched/units.py's docstring: exact arithmetic, one rounding to the nearest update (halves up).
"""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import lrsched

# 80,000 samples, 8 per micro-batch, 2 processes: 5,000 micro-batches per process per epoch;
# 4 per update: 1,250 updates per epoch.  A global batch is 8 * 4 * 2 = 64 samples of 2,048 tokens.
RUN = dict(dataset_size=80_000, micro_batch_size=8, grad_accum=4, processes=2, seq_len=2048, total="8ep")


@pytest.mark.parametrize(
    "length, updates",
    [
        ("2ep", 2_500),  # 2 * 1,250
        ("0.5ep", 625),
        ("0.0001ep", 0),  # refused below: 0.125 updates
        ("1000ba", 1_000),
        ("1_000ba", 1_000),
        ("6mb", 2),  # 6 / 4 = 1.5 -> 2 (halves up)
        ("10mb", 3),  # 2.5 -> 3
        ("9mb", 2),  # 2.25 -> 2
        ("5e6sp", 78_125),  # 5,000,000 / 64
        ("100sp", 2),  # 1.5625 -> 2
        ("2e9tok", 15_259),  # 2e9 / 2048 = 976,562.5 samples / 64 = 15,258.79 -> 15,259
        ("0.05dur", 500),  # total 8ep = 10,000 updates
        ("1dur", 10_000),
        (0.25, 2_500),  # a float is a fraction of the run
        (123, 123),  # an int is updates
        ("0ep", 0),
    ],
)
def test_lengths_resolve_to_the_hand_worked_counts(length, updates):
    run = lrsched.Run(**RUN)
    if length == "0.0001ep":
        with pytest.raises(ValueError, match=r"Run.updates: `length` must be at least half an update long"):
            run.updates(length)
        return
    assert run.updates(length) == updates


def test_steps_per_epoch_given_and_derived_must_agree():
    assert lrsched.Run(steps_per_epoch=1_250, **RUN).steps_per_epoch == 1_250
    with pytest.raises(ValueError, match="`steps_per_epoch` and `dataset_size` disagree: steps_per_epoch=1000"):
        lrsched.Run(steps_per_epoch=1_000, **RUN)


def test_an_epochs_rounding_follows_the_stated_rules():
    # 1,001 samples, 10 per micro-batch, 1 process: ceil -> 101 micro-batches (the last one padded), and
    # 101 / 4 -> ceil 26 updates (the last partial accumulation still updates); drop_last: 100 -> 25
    assert lrsched.Run(dataset_size=1_001, micro_batch_size=10, grad_accum=4).steps_per_epoch == 26
    assert lrsched.Run(dataset_size=1_001, micro_batch_size=10, grad_accum=4, drop_last=True).steps_per_epoch == 25
    # 2 processes: 1,001 / 20 -> 51 micro-batches each, / 4 -> 13 updates
    assert lrsched.Run(dataset_size=1_001, micro_batch_size=10, grad_accum=4, processes=2).steps_per_epoch == 13


@pytest.mark.parametrize(
    "facts, length, missing",
    [
        ({}, "2ep", "steps_per_epoch"),
        ({"steps_per_epoch": 10}, "5e6sp", "micro_batch_size"),
        ({"micro_batch_size": 8}, "2e9tok", "seq_len"),
        ({"steps_per_epoch": 10}, "0.1dur", "total"),
    ],
)
def test_a_unit_without_the_facts_it_needs_is_refused_naming_the_fact(facts, length, missing):
    with pytest.raises(ValueError, match=rf"`warmup_steps` must be a length whose unit this Run can convert .*"
                                         rf"Run\({missing}=\.\.\.\)"):  # fmt: skip
        lrsched.Run(**facts).updates(length, name="warmup_steps")


@pytest.mark.parametrize("bad, exc", [("2 epochs", ValueError), ("ep", ValueError), ("-1ep", ValueError),
                                      ([1], TypeError), (True, TypeError), (1.5, ValueError), (-3, ValueError)])
def test_what_is_no_length_is_refused(bad, exc):
    with pytest.raises(exc, match="Run.updates: `length`"):
        lrsched.Run(**RUN).updates(bad)


def test_the_run_checks_its_facts():
    with pytest.raises(ValueError, match="Run: `grad_accum` must be a positive integer"):
        lrsched.Run(grad_accum=0)
    with pytest.raises(TypeError, match="`micro_batch_size` must be given with dataset_size"):
        lrsched.Run(dataset_size=100)
    with pytest.raises(ValueError, match="`total` must be a length in a unit other than dur"):
        lrsched.Run(steps_per_epoch=10, total="0.5dur")


def test_the_resolution_table_says_how_each_length_was_counted():
    run = lrsched.Run(**RUN)
    assert run.explain("warmup", "2ep") == (
        "warmup 2ep = 2,500 optimizer updates = 10,000 micro-batches per process = 327,680,000 tokens"
    )  # 2,500 updates * 64 samples * 2,048 tokens
    lines = run.table(warmup="2ep", decay="0.2dur").splitlines()
    assert lines[1].startswith("decay 0.2dur = 2,000 optimizer updates = 8,000 micro-batches per process")


def test_get_resolves_every_unit_argument_and_leaves_the_others():
    run = lrsched.Run(**RUN)
    s = run.get("warmup_cosine", peak_value=3e-4, warmup_steps="2ep", total_steps="1dur", end_value=3e-5)
    assert s == lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_500, total_steps=10_000, end_value=3e-5)
    m = run.get("multistep", init_value=1.0, milestones=["2ep", "4ep", 7_000], gamma=0.5)
    assert m == lrsched.multistep(init_value=1.0, milestones=[2_500, 5_000, 7_000], gamma=0.5)
    assert run.resolve(warmup_shape="linear", peak_value=1e-3) == {"warmup_shape": "linear", "peak_value": 1e-3}


def test_a_spec_file_in_the_runs_units_loads_with_the_run(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text(
        "type: join\n"
        "schedules:\n"
        "  - {type: warmup_cosine, peak_value: 3.0e-4, warmup_steps: 2ep, total_steps: 0.5dur}\n"
        "  - {type: constant, value: 3.0e-5}\n"
        "boundaries: [0.5dur]\n"
    )
    pytest.importorskip("yaml")
    run = lrsched.Run(**RUN)
    s = lrsched.load(path, run=run)
    head = lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_500, total_steps=5_000)
    assert s == lrsched.join([head, lrsched.constant(3e-5)], boundaries=[5_000])
    with pytest.raises(ValueError, match=r"run.yaml'.*`d\['schedules'\]\[0\]\['warmup_steps'\]` must be a length "
                                         r"whose unit this Run can convert"):  # fmt: skip
        lrsched.load(path, run=lrsched.Run(steps_per_epoch=None, total=100))
    with pytest.raises(TypeError, match="`warmup_steps`"):
        lrsched.load(path)  # without the run, a unit string is no step count


# -- specs that keep their units ------------------------------------------------------------


def test_a_schedule_built_in_units_saves_the_unit_strings_and_the_runs_facts():
    run = lrsched.Run(**RUN)
    s = run.get("warmup_cosine", peak_value=3e-4, warmup_steps="2ep", total_steps="1dur", end_value=3e-5)
    d = s.to_dict()
    assert d["warmup_steps"] == "2ep" and d["total_steps"] == "1dur"
    assert d["run"] == RUN  # the facts as given, defaults left out
    back = lrsched.from_dict(json.loads(json.dumps(d)))
    # 2 epochs of 1,250 updates, and the whole run of 8 epochs, counted by hand
    assert back == lrsched.warmup_cosine(peak_value=3e-4, warmup_steps=2_500, total_steps=10_000, end_value=3e-5)
    assert back.to_dict() == d
    assert pickle.loads(pickle.dumps(s)).to_dict() == d
    assert "warmup_steps='2ep'" in repr(s)
    assert lrsched.Run(**d["run"]) == run


def test_a_schedule_without_unit_strings_keeps_the_factorys_spec():
    run = lrsched.Run(**RUN)
    s = run.get("cosine", init_value=1.0, steps=100)
    assert "run" not in s.to_dict() and s.to_dict() == lrsched.cosine(init_value=1.0, steps=100).to_dict()


def test_nested_specs_in_units_round_trip():
    d = {
        "type": "join",
        "schedules": [{"type": "constant", "value": 1.0}, {"type": "linear", "init_value": 1.0, "steps": "1ep"}],
        "boundaries": ["2ep"],
        "run": {"steps_per_epoch": 10},
    }
    s = lrsched.from_dict(d)
    assert s == lrsched.join([lrsched.constant(1.0), lrsched.linear(init_value=1.0, steps=10)], boundaries=[20])
    assert s.to_dict() == d
    # a nested spec with its own facts is resolved by them, not by the outer run
    inner = {"type": "linear", "init_value": 1.0, "steps": "1ep", "run": {"steps_per_epoch": 4}}
    outer = {"type": "join", "schedules": [{"type": "constant", "value": 1.0}, inner], "boundaries": ["1ep"],
             "run": {"steps_per_epoch": 10}}  # fmt: skip
    assert lrsched.from_dict(outer)(np.array([9, 10, 12, 14])).tolist() == [1.0, 1.0, 0.5, 0.0]


def test_a_spec_with_bad_facts_is_refused_naming_them():
    base = {"type": "cosine", "init_value": 1.0, "steps": "2ep"}
    with pytest.raises(TypeError, match=r"d\['run'\].*a dict"):
        lrsched.from_dict({**base, "run": 5})
    with pytest.raises(TypeError, match=r"d\['run'\].*steps_per_epok"):
        lrsched.from_dict({**base, "run": {"steps_per_epok": 10}})
    with pytest.raises(ValueError, match=r"`steps_per_epoch` must be"):
        lrsched.from_dict({**base, "run": {"steps_per_epoch": 0}})
    with pytest.raises(ValueError, match=r"'ep' needs Run\(steps_per_epoch=...\)"):
        lrsched.from_dict({**base, "run": {"seq_len": 10}})


def test_load_with_a_run_keeps_the_units_and_refuses_a_file_whose_own_run_disagrees(tmp_path):
    path = tmp_path / "lr.json"
    path.write_text(json.dumps({"name": "cosine_with_min_lr", "peak_value": 1.0, "warmup_steps": "1ep",
                                "total_steps": "4ep", "end_value": 0.1}))  # fmt: skip
    run = lrsched.Run(steps_per_epoch=25)
    s = lrsched.load(path, run=run)
    assert s.to_dict()["warmup_steps"] == "1ep" and s.to_dict()["run"] == {"steps_per_epoch": 25}
    assert s == lrsched.get("cosine_with_min_lr", peak_value=1.0, warmup_steps=25, total_steps=100, end_value=0.1)
    saved = tmp_path / "saved.json"
    saved.write_text(json.dumps(s.to_dict()))
    assert lrsched.load(saved) == s and lrsched.load(saved, run=run).to_dict() == s.to_dict()
    with pytest.raises(ValueError, match="must agree with the file's own 'run'"):
        lrsched.load(saved, run=lrsched.Run(steps_per_epoch=26))


def test_call_resolves_the_arguments_of_any_preset():
    torch = pytest.importorskip("torch")
    from lrsched.torch import CosineAnnealingLR, MultiStepLR
    from lrsched.transformers import get_cosine_schedule_with_warmup

    run = lrsched.Run(**RUN)  # 1,250 updates per epoch, 10,000 in the run
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    a = run.call(CosineAnnealingLR, opt, T_max="2ep")
    assert a.T_max == 2_500
    b = run.call(MultiStepLR, opt, milestones=["1ep", "0.5dur"])
    assert sorted(b.milestones) == [1_250, 5_000]
    c = run.call(get_cosine_schedule_with_warmup, opt, "0.05dur", "1dur")
    want = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=500, total_steps=10_000).table(10_001)
    np.testing.assert_allclose(c.schedules["lr"][0].table(10_001), 0.1 * want, rtol=1e-14, atol=1e-18)
    with pytest.raises(TypeError, match="`fn` must be a callable"):
        run.call(5)


def test_facts_and_equality():
    assert lrsched.Run(steps_per_epoch=10, grad_accum=1).facts() == {"steps_per_epoch": 10}
    assert lrsched.Run(steps_per_epoch=10) == lrsched.Run(steps_per_epoch=10)
    assert lrsched.Run(steps_per_epoch=10) != lrsched.Run(steps_per_epoch=10, grad_accum=2)
    assert repr(lrsched.Run(steps_per_epoch=10, total="2ep")) == "Run(steps_per_epoch=10, total='2ep')"
