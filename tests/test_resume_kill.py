"""Resume across processes under SIGKILL, and checkpoints that must be refused.

A driver (tests/resume_driver.py) steps many schedulers at once in a subprocess, appending
each one's values to a trace and checkpointing ``state_dict()`` atomically every few steps.
The test SIGKILLs it at random moments (seeded), restarts it from the checkpoints (a fresh
process, fresh optimizer, ``load_state_dict``), and at the end every trace must equal the
uninterrupted run bit for bit.  Every name of ``lrsched.names()``, every ``lrsched.torch`` class
and every ``lrsched.transformers.get_scheduler`` name is covered, and ``Scheduler`` with a
plateau, with ``relative=True`` over several groups and with a second field.

Then states that must be refused: cut JSON, another format version, another schedule's
state, and structurally damaged dicts (keys removed, values of the wrong type, lists cut
short): a clear ``ValueError``/``TypeError``, and nothing changed.

``LRSCHED_RESUME_REPORT=path`` appends the counts (kills, restarts, schedules, refusals) as JSON lines.
"""

from __future__ import annotations

import copy
import json
import os
import random
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

import lrsched
import resume_driver
from lrsched.registry import _names

DRIVER = Path(__file__).with_name("resume_driver.py")
COUNTS = {"kills": 0, "restarts": 0, "schedules": 0, "refused": 0, "accepted_harmless": 0}

# Representative arguments of every factory (short horizons, so that N steps cross them).
S1 = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=90, end_value=0.05)
S2 = lrsched.step(init_value=0.5, step_size=13, gamma=0.7)
FACTORY_ARGS = {
    "constant": dict(value=0.3),
    "cosine": dict(init_value=1.0, steps=70, end_value=0.1, exponent=1.5, k=2.0),
    "cosine_restarts": dict(peak_value=1.0, total_steps=120, num_cycles=3, end_value=0.01, warmup_steps=6,
                            init_value=0.1),
    "cyclic": dict(base_value=0.1, max_value=1.0, step_size_up=9, step_size_down=14, mode="exp_range", gamma=0.99),
    "exponential": dict(init_value=1.0, decay_rate=0.5, transition_steps=17, staircase=True, transition_begin=5,
                        end_value=0.1),
    "inverse_sqrt": dict(peak_value=1.0, warmup_steps=8, timescale=12, init_value=0.01),
    "inverse_time": dict(init_value=1.0, decay_rate=0.3, decay_steps=11),
    "join": dict(schedules=[S1, S2, lrsched.constant(0.01)], boundaries=[40, 100]),
    "linear": dict(init_value=1.0, steps=77, end_value=0.2),
    "multistep": dict(init_value=1.0, milestones=[10, 10, 50, 90], gamma=0.6),
    "noise": dict(schedule=S1, std=0.3, pct=0.5, kind="uniform", seed=7, start=5, stop=120),
    "one_cycle": dict(max_value=1.0, total_steps=110, pct_start=0.25, three_phase=True),
    "one_cycle_momentum": dict(total_steps=110, pct_start=0.3, anneal="linear"),
    "piecewise_anneal": dict(knots=[-0.5, 20.25, 60.0, 99.5], values=[0.1, 1.0, 0.3, 0.0], anneal="cos"),
    "piecewise_constant": dict(boundaries=[15, 40, 41], values=[1.0, 0.5, 0.2, 0.05]),
    "piecewise_linear": dict(knots=[0, 30, 30, 95], values=[0.0, 1.0, 0.4, 0.01]),
    "polynomial": dict(init_value=1.0, steps=100, end_value=0.02, power=2.5),
    "product": dict(schedules=[S1, lrsched.cosine(init_value=1.0, steps=50, end_value=0.5)]),
    "repeat": dict(schedule=lrsched.linear(init_value=1.0, steps=23, end_value=0.1), period=31),
    "scale": dict(schedule=S1, factor=0.37),
    "sgdr": dict(peak_value=1.0, cycle_steps=11, cycle_mult=2, end_value=0.01, cycle_decay=0.8, warmup_steps=3),
    "restarts": dict(cycles=[dict(peak_value=1.0, warmup_steps=5, total_steps=40, end_value=0.01),
                             dict(init_value=0.01, peak_value=0.5, warmup_steps=3, decay_steps=60, exponent=2.0)]),
    "step": dict(init_value=1.0, step_size=9, gamma=0.8),
    "tanh": dict(init_value=1.0, steps=90, end_value=0.05),
    "warmup": dict(schedule=lrsched.exponential(init_value=1.0, decay_rate=0.9, transition_steps=10),
                   warmup_steps=12, init_value=0.05, shape="cosine"),
    "warmup_constant": dict(peak_value=0.8, warmup_steps=25, init_value=0.1),
    "warmup_cosine": dict(peak_value=1.0, warmup_steps=20, total_steps=100, end_value=0.1, exponent=0.5),
    "warmup_exponential": dict(peak_value=1.0, warmup_steps=15, decay_rate=0.8, transition_steps=9, end_value=0.2),
    "warmup_linear": dict(peak_value=1.0, warmup_steps=12, total_steps=80, end_value=0.0),
    "warmup_polynomial": dict(peak_value=1.0, warmup_steps=12, total_steps=100, end_value=0.05, power=3.0),
    "wsd": dict(peak_value=1.0, total_steps=120, warmup_steps=10, decay_steps=30, decay_shape="cosine"),
    "shift": dict(schedule=S1, by=17),
    "branch": dict(schedule=S1, at=45, steps=50, shape="cosine", end_ratio=0.1),
    "rewarm": dict(schedule=S1, at=95, warmup_steps=10, then=lrsched.linear(init_value=0.8, steps=30, end_value=0.05)),
    "multi_wsd": dict(peak_value=1.0, warmup_steps=8, periods=[40, 50, 30], decay_steps=0.3, min_ratio=0.05,
                      rewarm_steps=6),
}


def _named_schedule(name):
    factory, fixed = _names()[name]
    kw = {k: v for k, v in FACTORY_ARGS[factory].items() if k not in fixed}
    if factory == "wsd" and fixed.get("stable") == "rsqrt":
        kw["timescale"] = 15
    return lrsched.get(name, **kw)


def _metrics(rng, n):
    """A loss that improves, stalls (so a plateau reduces), and improves again."""
    out, x = [], 1.0
    for k in range(n):
        x = x * 0.97 if (k // 15) % 2 == 0 else x * (1.0 + 0.001 * rng.random())
        out.append(x)
    return out


def core_jobs(rng, n):
    jobs = []
    for name in lrsched.names():
        jobs.append(dict(name=f"name-{name}", kind="core", schedules=[_named_schedule(name).to_dict()], lrs=[0.1]))
    jobs.append(dict(name="relative-3-groups-momentum", kind="core", relative=True, lrs=[1.0, 0.1, 0.03],
                     momentum=0.9, schedules=[S1.to_dict(), S2.to_dict(), (S1 * S2).to_dict()],
                     momentum_schedule=lrsched.one_cycle_momentum(total_steps=90).to_dict()))
    jobs.append(dict(name="plateau", kind="core", lrs=[0.1, 0.2], schedules=[S1.to_dict()],
                     plateau=dict(factor=0.5, patience=2, cooldown=1), metrics=_metrics(rng, n)))
    jobs.append(dict(name="plateau-relative", kind="core", lrs=[0.3, 0.05], relative=True,
                     schedules=[lrsched.constant(1.0).to_dict(), S2.to_dict()], observe_every=3,
                     plateau=dict(mode="max", factor=0.7, patience=1, threshold_mode="abs", min_value=0.01),
                     metrics=[-m for m in _metrics(rng, n)]))
    return jobs


def preset_jobs(rng, n):
    lam = lrsched.warmup_linear(peak_value=1.0, warmup_steps=7, total_steps=60, end_value=0.1).to_dict()
    torch_specs = [
        ("LambdaLR", dict(lr_lambda=lam)),
        ("LambdaLR", dict(lr_lambda="wave")),
        ("MultiplicativeLR", dict(lr_lambda="mult")),
        ("StepLR", dict(step_size=9, gamma=0.7)),
        ("MultiStepLR", dict(milestones=[5, 5, 40, 77], gamma=0.5)),
        ("ConstantLR", dict(factor=0.25, total_iters=30)),
        ("LinearLR", dict(start_factor=0.1, end_factor=0.9, total_iters=50)),
        ("ExponentialLR", dict(gamma=0.97)),
        ("PolynomialLR", dict(total_iters=70, power=2.0)),
        ("CosineAnnealingLR", dict(T_max=33, eta_min=0.001)),
        ("CosineAnnealingWarmRestarts", dict(T_0=7, T_mult=2, eta_min=0.001)),
        ("CyclicLR", dict(base_lr=0.01, max_lr=0.2, step_size_up=8, mode="triangular2")),
        ("OneCycleLR", dict(max_lr=0.5, total_steps=n + 5, pct_start=0.2)),
    ]
    jobs = []
    for i, (cls, args) in enumerate(torch_specs):
        opt = "sgd" if i % 2 == 0 else "fake"
        momentum = 0.9 if cls in ("CyclicLR", "OneCycleLR") or opt == "sgd" else None
        jobs.append(dict(name=f"torch-{cls}-{i}", kind="torch", spec=dict(cls=cls, args=args), lrs=[0.1, 0.05],
                         momentum=momentum, optimizer=opt))  # the optimizer's checkpoint too, as torch resumes
    jobs.append(dict(name="torch-SequentialLR", kind="torch", lrs=[0.1, 0.02], optimizer="sgd", restore_optimizer=True,
                     spec=dict(cls="SequentialLR", args=dict(milestones=[20, 60]), children=[
                         dict(cls="LinearLR", args=dict(start_factor=0.1, total_iters=20)),
                         dict(cls="CosineAnnealingLR", args=dict(T_max=40)),
                         dict(cls="StepLR", args=dict(step_size=10, gamma=0.5))])))
    jobs.append(dict(name="torch-ChainedScheduler", kind="torch", lrs=[0.1, 0.02], optimizer="fake",
                     spec=dict(cls="ChainedScheduler", children=[
                         dict(cls="ConstantLR", args=dict(factor=0.5, total_iters=15)),
                         dict(cls="ExponentialLR", args=dict(gamma=0.98))])))
    # lrsched.torch.Scheduler: the core adapter as a torch LRScheduler, relative, a plateau fed through step(metric)
    wc = lrsched.warmup_cosine(peak_value=1.0, warmup_steps=10, total_steps=n, end_value=0.05).to_dict()
    jobs.append(dict(name="torch-Scheduler", kind="torch", lrs=[0.1, 0.02], optimizer="sgd", metrics=_metrics(rng, n),
                     spec=dict(cls="Scheduler", args=dict(schedule=wc, relative=True,
                                                          plateau=dict(factor=0.5, patience=3)))))
    # ReduceLROnPlateau holds no lr: the optimizer's state carries it, as in torch
    jobs.append(dict(name="torch-ReduceLROnPlateau", kind="torch", lrs=[0.1, 0.02], optimizer="sgd",
                     restore_optimizer=True, metrics=_metrics(rng, n),
                     spec=dict(cls="ReduceLROnPlateau", args=dict(factor=0.5, patience=2, cooldown=1, min_lr=0.005))))
    from lrsched.transformers import SCHEDULER_TYPES

    kwargs = {"polynomial": dict(lr_end=1e-3, power=2.0), "cosine_with_min_lr": dict(min_lr_rate=0.1),
              "cosine_warmup_with_min_lr": dict(min_lr=1e-3), "cosine_with_restarts": dict(num_cycles=3),
              "warmup_stable_decay": dict(num_decay_steps=30, min_lr_ratio=0.1),
              "reduce_lr_on_plateau": dict(factor=0.5, patience=2),
              "greedy": dict(factor=0.7, patience=1, min_lr=0.005, max_lr=0.5, smooth=True, window_size=4)}
    for i, name in enumerate(SCHEDULER_TYPES):
        metric = name in ("reduce_lr_on_plateau", "greedy")
        opt = "sgd" if i % 2 == 0 or metric else "fake"
        jobs.append(dict(name=f"transformers-{name}", kind="transformers", name_=name, lrs=[0.1, 0.03],
                         optimizer=opt, warmup=10, training=n - 20,
                         kwargs=kwargs.get(name), metrics=_metrics(rng, n) if metric else None))
    for job in jobs:
        if job["kind"] == "transformers":
            job["name"], job["sched_name"] = job.pop("name"), job.pop("name_")
    return jobs


def _lines(path):
    try:
        return path.read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def run_with_kills(workdir, jobs, rng, kills, delay):
    """Start the driver, SIGKILL it ``kills`` times at random moments, then let it finish."""
    n = max(job["n"] for job in jobs)
    (workdir / "jobs.json").write_text(json.dumps(jobs))
    watched = workdir / f"{jobs[0]['name']}.trace"
    counts = {"kills": 0, "restarts": 0}
    for attempt in range(kills + 1):
        if attempt:
            counts["restarts"] += 1
        proc = subprocess.Popen([sys.executable, str(DRIVER), str(workdir), str(delay)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        if attempt == kills:
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err.decode()
            break
        if rng.random() < 0.2:  # during start-up: the import, the restore, the trace rewrite
            time.sleep(rng.uniform(0.0, 0.8))
        else:  # while stepping: after the watched trace gains a random number of lines
            target = _lines(watched) + rng.randrange(1, max(2, n // (kills - attempt + 1)))
            deadline = time.monotonic() + 120
            while proc.poll() is None and _lines(watched) < target and time.monotonic() < deadline:
                time.sleep(0.001)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            counts["kills"] += 1
        proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), proc.stderr
    assert (workdir / "done").exists()
    return counts


def check_traces(workdir, jobs):
    for job in jobs:
        want = [" ".join(line) for line in resume_driver.run_inline(job)]
        got = (workdir / f"{job['name']}.trace").read_text().split("\n")
        assert got[-1] == ""
        got = got[:-1]
        for k, (a, b) in enumerate(zip(got, want)):
            assert a == b, f"{job['name']}: step {k} after resume: {a!r}, uninterrupted: {b!r}"
        assert len(got) == len(want), (job["name"], len(got), len(want))
        discarded = workdir / f"{job['name']}.discarded"
        if discarded.exists():  # lines a restart dropped were right too (or cut by the kill)
            for line in discarded.read_text().split("\n"):
                if line:
                    k = int(line.split()[0]) if line.split()[0].isdigit() else None
                    assert k is None or want[k].startswith(line), (job["name"], line, want[k])


def _report(**counts):
    for k, v in counts.items():
        COUNTS[k] += v
    path = os.environ.get("LRSCHED_RESUME_REPORT")
    if path:
        with open(path, "a") as f:
            f.write(json.dumps(counts) + "\n")
    print(json.dumps(counts))


def _run(tmp_path, jobs, seed, kills, n, delay):
    rng = random.Random(seed)
    for job in jobs:
        job.setdefault("n", n)
        job["every"] = rng.randrange(2, 17)
    counts = run_with_kills(tmp_path, jobs, rng, kills, delay)
    check_traces(tmp_path, jobs)
    _report(schedules=len(jobs), **counts)
    assert counts["kills"] >= kills // 2  # most kills landed before the run ended (else the test tests little)


def test_every_name_resumes_exactly_after_sigkill(tmp_path):
    n = 150
    jobs = core_jobs(random.Random(1), n)
    assert {j["schedules"][0]["type"] for j in jobs} >= set(lrsched._schedule._REGISTRY)
    _run(tmp_path, jobs, seed=20240801, kills=10, n=n, delay=0.004)


def test_every_preset_resumes_exactly_after_sigkill(tmp_path):
    pytest.importorskip("torch") if os.environ.get("LRSCHED_REQUIRE_PEERS") != "1" else __import__("torch")
    import lrsched.torch as LT
    from lrsched.transformers import SCHEDULER_TYPES

    n = 120
    jobs = preset_jobs(random.Random(2), n)
    classes = {j["spec"]["cls"] for j in jobs if j["kind"] == "torch"}
    assert classes == set(LT.__all__) - {"LRScheduler", "lightning_scheduler"}  # torch's own base; a function
    assert {j["sched_name"] for j in jobs if j["kind"] == "transformers"} == set(SCHEDULER_TYPES)
    _run(tmp_path, jobs, seed=20240802, kills=8, n=n, delay=0.005)


# -- states that must be refused ------------------------------------------------------------


def _subjects():
    """name -> make(): a fresh ``(optimizer, scheduler, update)``, stepped the same way each time."""
    rng = random.Random(3)
    metrics = _metrics(rng, 200)
    out = {
        "Scheduler": dict(kind="core", schedules=[S1.to_dict()], lrs=[0.1, 0.2]),
        "Scheduler-relative-fields": dict(kind="core", relative=True, lrs=[1.0, 0.1, 0.5], momentum=0.9,
                                          schedules=[S1.to_dict(), S2.to_dict(), S2.to_dict()],
                                          momentum_schedule=lrsched.one_cycle_momentum(total_steps=90).to_dict()),
        "Scheduler-plateau": dict(kind="core", lrs=[0.1, 0.2], schedules=[S1.to_dict()], metrics=metrics,
                                  plateau=dict(factor=0.5, patience=2, cooldown=1)),
    }
    try:
        import torch  # noqa: F401
    except ImportError:
        if os.environ.get("LRSCHED_REQUIRE_PEERS") == "1":
            raise
        return out
    lam = lrsched.linear(init_value=1.0, steps=50, end_value=0.1).to_dict()
    for cls, args in [("StepLR", dict(step_size=9, gamma=0.7)), ("CosineAnnealingLR", dict(T_max=33)),
                      ("LambdaLR", dict(lr_lambda=lam)), ("LambdaLR", dict(lr_lambda="decay")),
                      ("MultiplicativeLR", dict(lr_lambda="mult")), ("MultiStepLR", dict(milestones=[3, 9])),
                      ("CyclicLR", dict(base_lr=0.01, max_lr=0.2, step_size_up=8)),
                      ("OneCycleLR", dict(max_lr=0.5, total_steps=100)),
                      ("CosineAnnealingWarmRestarts", dict(T_0=7, T_mult=2))]:
        out[f"torch.{cls}-{len(out)}"] = dict(kind="torch", spec=dict(cls=cls, args=args), lrs=[0.1, 0.05],
                                             momentum=0.9, optimizer="sgd")
    out["torch.SequentialLR"] = dict(kind="torch", lrs=[0.1, 0.02], optimizer="sgd", spec=dict(
        cls="SequentialLR", args=dict(milestones=[20]), children=[
            dict(cls="LinearLR", args=dict(start_factor=0.1, total_iters=20)),
            dict(cls="StepLR", args=dict(step_size=10, gamma=0.5))]))
    out["torch.ChainedScheduler"] = dict(kind="torch", lrs=[0.1, 0.02], optimizer="sgd", spec=dict(
        cls="ChainedScheduler", children=[dict(cls="ConstantLR", args=dict(factor=0.5, total_iters=15)),
                                          dict(cls="ExponentialLR", args=dict(gamma=0.98))]))
    out["torch.ReduceLROnPlateau"] = dict(kind="torch", lrs=[0.1, 0.02], optimizer="sgd", metrics=metrics,
                                          spec=dict(cls="ReduceLROnPlateau", args=dict(factor=0.5, patience=2)))
    for name, kw, m in [("cosine", None, False), ("warmup_stable_decay", dict(num_decay_steps=30), False),
                        ("greedy", dict(patience=1, min_lr=0.005, smooth=True, window_size=4), True)]:
        out[f"transformers.{name}"] = dict(kind="transformers", sched_name=name, lrs=[0.1, 0.03], optimizer="sgd",
                                           warmup=10, training=100, kwargs=kw, metrics=metrics if m else None)
    return out


SUBJECTS = _subjects()


def _make(name, steps):
    opt, sched, update = resume_driver.build(SUBJECTS[name])
    for k in range(steps):
        update(k)
    return opt, sched


def _plain(x):
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items() if k != "params"}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    return x


def _snapshot(opt, sched):
    """Everything a refused load must leave alone (as plain data, NaN-free so == works)."""
    return json.dumps([_plain(opt.param_groups), getattr(sched, "last_epoch", None), _plain(sched.get_last_lr()),
                       _plain(sched.state_dict())], sort_keys=True, default=repr)  # fmt: skip


_STATES = {}


def _state(name, steps=37):
    """The state after ``steps`` updates, as a JSON file would give it back (a fresh copy each call)."""
    if (name, steps) not in _STATES:
        _STATES[name, steps] = json.dumps(_make(name, steps)[1].state_dict())
    return json.loads(_STATES[name, steps])


def _paths(x, path=()):
    yield path
    if isinstance(x, dict):
        for k, v in x.items():
            yield from _paths(v, (*path, k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _paths(v, (*path, i))


def _get(x, path):
    for p in path:
        x = x[p]
    return x


def _wrong_types(v, key):
    """Values of another type than ``v`` (never another valid value of the same kind)."""
    if isinstance(v, bool):
        return [None, "x", 2]
    if isinstance(v, (int, float)):
        out = [None, "x", [], {}]
        return out + ([-1] if key == "last_step" else [])  # torch's last_epoch may be -1
    if isinstance(v, str):
        return [None, 3, []]
    if isinstance(v, list):
        return [None, "x", {}] + ([v[:-1], []] if v else [])
    if isinstance(v, dict):
        return [None, "x", []]
    return ["x", 3]  # None


def damaged(state):
    """(description, damaged copy): each key removed, each value of a wrong type, each list cut short."""
    for path in _paths(state):
        if not path:
            continue
        parent, key = _get(state, path[:-1]), path[-1]
        if isinstance(parent, dict):
            d = copy.deepcopy(state)
            del _get(d, path[:-1])[key]
            yield f"del {list(path)}", d
        for bad in _wrong_types(parent[key], key):
            d = copy.deepcopy(state)
            _get(d, path[:-1])[key] = bad
            yield f"{list(path)} = {bad!r}", d


def _refuses(name, state, what, steps=5):
    """Load ``state`` into a scheduler at another step: refused, nothing changed (True); or harmless (False)."""
    opt, sched = _make(name, steps)
    before = _snapshot(opt, sched)
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            sched.load_state_dict(state)
    except (ValueError, TypeError) as e:
        message = str(e)
        assert message and len(message) < 2_000, (name, what, message)
        after = _snapshot(opt, sched)
        assert after == before, f"{name}: refusing {what} changed the scheduler or optimizer: {e}"
        return True
    except Exception as e:  # noqa: BLE001 - the point: any other exception is not a clear refusal
        raise AssertionError(f"{name}: {what}: {type(e).__name__} instead of a ValueError/TypeError: {e}") from e
    if SUBJECTS[name]["kind"] != "core" and any("kept the current" in str(w.message) for w in said):
        return False  # a drop-in whose peer takes a state with keys left out, and says which it kept
    # accepted: only if the damage changed nothing that matters (the same values as the intact state gives)
    opt2, sched2 = _make(name, steps)
    sched2.load_state_dict(_state(name))
    assert _behaviour(name, opt, sched) == _behaviour(name, opt2, sched2), f"{name}: accepted {what}: resumed differently"
    return False


def _behaviour(name, opt, sched, n=60):
    """The values the optimizer holds over the next ``n`` steps (and the step counter)."""
    metrics = SUBJECTS[name].get("metrics")
    out = [getattr(sched, "last_epoch", None)]
    for k in range(n):
        out.append(_plain(opt.param_groups))
        if metrics is not None:
            sched.step(metrics[k]) if SUBJECTS[name]["kind"] != "core" else sched.observe(metrics[k])
        if SUBJECTS[name]["kind"] == "core" or metrics is None:
            sched.step()
    return json.dumps(out, sort_keys=True, default=repr)


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_cut_json_fails_before_lrsched_sees_it(name):
    text = json.dumps(_state(name))
    rng = random.Random(name)
    for cut in sorted(rng.sample(range(len(text)), min(40, len(text)))):
        with pytest.raises(ValueError):  # json.JSONDecodeError
            json.loads(text[:cut])
    # a whole file of the state loads (the cut is the only damage)
    assert _refuses(name, json.loads(text), "the intact state") is False


@pytest.mark.parametrize("name", sorted(n for n in SUBJECTS if SUBJECTS[n]["kind"] == "core"))
def test_another_format_version_is_refused(name):
    state = _state(name)
    formats = [p for p in _paths(state) if p and p[-1] == "format"]
    assert formats
    for p in formats:
        where = _get(state, p[:-1])
        where["format"] = where["format"].rsplit("/", 1)[0] + "/2"
    assert _refuses(name, state, "format version 2"), f"{name} accepted a state of format version 2"
    _report(refused=1)


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_another_schedules_state_is_refused(name):
    """lrsched.Scheduler refuses any other schedule's state.  A drop-in takes a state of its class whatever the
    arguments (as its peer: the saved scheduler continues), and one of another class only if it has every key
    this class needs: then it says which keys it ignored, or the two classes save the same keys (torch's LambdaLR
    and MultiplicativeLR do)."""
    refused = 0
    for other in sorted(SUBJECTS):
        if other == name:
            continue
        state = _state(other)
        if SUBJECTS[name]["kind"] == "core" or SUBJECTS[other]["kind"] == "core":
            assert _refuses(name, state, f"the state of {other}"), f"{name} accepted the state of {other}"
            refused += 1
            continue
        opt, sched = _make(name, 5)
        own = set(sched.state_dict())
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                sched.load_state_dict(state)
            except (ValueError, TypeError):
                refused += 1
                continue
        ignored = [w for w in seen if "ignored the keys" in str(w.message)]
        assert ignored or set(state) == own, f"{name} took the state of {other} without a word"
    _report(refused=refused)


@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_damaged_states_are_refused_and_change_nothing(name):
    state = _state(name)
    refused = harmless = 0
    for what, d in damaged(state):
        if _refuses(name, d, what):
            refused += 1
        else:
            harmless += 1
    assert refused
    _report(refused=refused, accepted_harmless=harmless)


@pytest.mark.parametrize("groups", [[{"lr": 1.0}, {"momentum": 0.5}], [{"lr": 1.0}], [{"lr": 1.0}, {"lr": "x"}]],
                         ids=["group-without-lr", "one-group-fewer", "lr-not-a-number"])
def test_unusable_replaced_groups_are_refused_before_the_state_applies(groups):
    """optimizer.load_state_dict (first, as trainers do) may bring groups the scheduler cannot drive."""
    def make():
        opt = resume_driver.FakeOpt([1.0, 0.5])
        sched = lrsched.Scheduler(opt, S1, relative=True, plateau=lrsched.plateau(patience=0))
        return opt, sched

    opt, sched = make()
    for k in range(20):
        sched.step()
        sched.observe(float(k))  # worse and worse: the plateau reduces
    state = json.loads(json.dumps(sched.state_dict()))
    opt, sched = make()
    before = json.dumps(sched.state_dict())
    opt.param_groups = copy.deepcopy(groups)
    with pytest.raises((ValueError, TypeError), match="Scheduler.load_state_dict"):
        sched.load_state_dict(state)
    assert json.dumps(sched.state_dict()) == before
    assert opt.param_groups == groups  # no initial_lr written into them
    _report(refused=1)
