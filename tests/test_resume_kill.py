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
                         momentum=momentum, optimizer=opt, restore_optimizer=opt == "sgd"))
    jobs.append(dict(name="torch-SequentialLR", kind="torch", lrs=[0.1, 0.02], optimizer="sgd", restore_optimizer=True,
                     spec=dict(cls="SequentialLR", args=dict(milestones=[20, 60]), children=[
                         dict(cls="LinearLR", args=dict(start_factor=0.1, total_iters=20)),
                         dict(cls="CosineAnnealingLR", args=dict(T_max=40)),
                         dict(cls="StepLR", args=dict(step_size=10, gamma=0.5))])))
    jobs.append(dict(name="torch-ChainedScheduler", kind="torch", lrs=[0.1, 0.02], optimizer="fake",
                     spec=dict(cls="ChainedScheduler", children=[
                         dict(cls="ConstantLR", args=dict(factor=0.5, total_iters=15)),
                         dict(cls="ExponentialLR", args=dict(gamma=0.98))])))
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
                         optimizer=opt, restore_optimizer=opt == "sgd", warmup=10, training=n - 20,
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
    _run(tmp_path, jobs, seed=20240801, kills=6, n=n, delay=0.004)


def test_every_preset_resumes_exactly_after_sigkill(tmp_path):
    pytest.importorskip("torch") if os.environ.get("LRSCHED_REQUIRE_PEERS") != "1" else __import__("torch")
    import lrsched.torch as LT
    from lrsched.transformers import SCHEDULER_TYPES

    n = 120
    jobs = preset_jobs(random.Random(2), n)
    classes = {j["spec"]["cls"] for j in jobs if j["kind"] == "torch"}
    assert classes == set(LT.__all__) - {"LRScheduler"}
    assert {j["sched_name"] for j in jobs if j["kind"] == "transformers"} == set(SCHEDULER_TYPES)
    _run(tmp_path, jobs, seed=20240802, kills=5, n=n, delay=0.005)
