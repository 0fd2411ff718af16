"""A training loop that checkpoints schedulers and can be SIGKILLed anywhere (used by tests/test_resume_kill.py).

Run as ``python tests/resume_driver.py WORKDIR [DELAY]``.  ``WORKDIR/jobs.json`` lists
jobs (a schedule and an optimizer each, see ``build``); all jobs step in lockstep, one step each per
round, sleeping ``DELAY`` seconds per round so that a kill lands mid-run.  Per job ``name``:

- ``name.trace``: one line per step ``k``: ``k`` then, per param group, the hex floats
  of the values the group holds before update ``k`` (``lr`` and, if scheduled, ``momentum``);
  written and flushed before the update (a kill may cut the last line);
- ``name.state``: the checkpoint ``{"next": k, "scheduler": ..., "optimizer": ...}`` after ``k``
  updates, written every ``every`` steps atomically (temporary file, fsync, ``os.replace``);
- ``name.discarded``: trace lines a restart dropped (those past the checkpoint), for the test to check too.

On start a job with a checkpoint is rebuilt from its spec (a fresh optimizer and scheduler, as
a new process would), the optimizer state is restored if the job says so, then
``load_state_dict``; its trace is cut back to the steps before ``next``.  ``run_inline(job)``
steps the same loop without files or kills: the uninterrupted reference.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import lrsched

# Python lambdas for torch's LambdaLR/MultiplicativeLR (the slow path): named, so a spec can ask for one.
LAMBDAS = {
    "decay": lambda e: 0.97**e,
    "wave": lambda e: 0.5 + 0.5 * math.cos(e / 7.0),
    "mult": lambda e: 0.99 if e % 3 else 0.9,
}


class FakeOpt:
    """A home-made optimizer: ``param_groups`` is all a scheduler needs."""

    def __init__(self, lrs, momentum=None):
        self.param_groups = [{"lr": lr, "params": []} for lr in lrs]
        if momentum is not None:
            for g in self.param_groups:
                g["momentum"] = momentum
        self.defaults = {k: v for k, v in self.param_groups[0].items() if k != "params"}

    def state_dict(self):
        return {"param_groups": [{k: v for k, v in g.items() if k != "params"} for g in self.param_groups]}

    def load_state_dict(self, state):
        # a new list of new dicts, as torch's optimizer does: the scheduler must follow
        self.param_groups = [{**g, "params": []} for g in state["param_groups"]]


def _optimizer(job):
    lrs, momentum = job["lrs"], job.get("momentum")
    if job.get("optimizer", "fake") == "fake":
        return FakeOpt(lrs, momentum)
    import torch

    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    if job["optimizer"] == "adam":
        return torch.optim.Adam(params, lr=lrs[0])
    return torch.optim.SGD(params, lr=lrs[0], momentum=momentum or 0.0)


def _torch_scheduler(opt, spec):
    import lrsched.torch as lt

    cls = getattr(lt, spec["cls"])
    args = dict(spec.get("args", {}))
    if spec["cls"] in ("SequentialLR", "ChainedScheduler"):
        children = [_torch_scheduler(opt, c) for c in spec["children"]]
        if spec["cls"] == "ChainedScheduler":
            return cls(children, optimizer=opt)
        return cls(opt, children, **args)
    if spec["cls"] == "Scheduler":  # the core Scheduler as a torch LRScheduler: a schedule and a plateau as data
        args["schedule"] = lrsched.from_dict(args["schedule"])
        if "plateau" in args:
            args["plateau"] = lrsched.plateau(**args["plateau"])
    if spec["cls"] in ("LambdaLR", "MultiplicativeLR"):
        lam = args.pop("lr_lambda")
        args["lr_lambda"] = lrsched.from_dict(lam) if isinstance(lam, dict) else LAMBDAS[lam]
    return cls(opt, **args)


def build(job):
    """``(optimizer, scheduler, update)``: ``update(k)`` is the scheduler's work for update ``k``."""
    opt = _optimizer(job)
    kind = job["kind"]
    metrics = job.get("metrics")
    if kind == "core":
        schedules = [lrsched.from_dict(d) for d in job["schedules"]]
        plateau = lrsched.plateau(**job["plateau"]) if job.get("plateau") else None
        spec = schedules[0] if len(schedules) == 1 else schedules
        if job.get("momentum_schedule"):
            spec = {"lr": spec, "momentum": lrsched.from_dict(job["momentum_schedule"])}
        sched = lrsched.Scheduler(opt, spec, relative=job.get("relative", False), plateau=plateau)
        every = job.get("observe_every", 1)

        def update(k):
            sched.step()
            if plateau is not None and k % every == 0:
                sched.observe(metrics[k])

    elif kind == "torch":
        sched = _torch_scheduler(opt, job["spec"])
        if job["spec"]["cls"] == "ReduceLROnPlateau" or metrics is not None:  # a metric-fed step

            def update(k):
                sched.step(metrics[k])

        else:

            def update(k):
                sched.step()

    elif kind == "transformers":
        from lrsched.transformers import get_scheduler

        sched = get_scheduler(job["sched_name"], opt, job.get("warmup"), job.get("training"), job.get("kwargs"))
        if metrics is not None:

            def update(k):
                sched.step(metrics[k])

        else:

            def update(k):
                sched.step()

    else:
        raise ValueError(f"unknown job kind {kind!r}")
    return opt, sched, update


def _values(opt):
    out = []
    for g in opt.param_groups:
        for key in ("lr", "momentum"):
            if key in g:
                v = g[key]
                out.append(float(v.item() if hasattr(v, "item") else v).hex())
    return out


def run_inline(job):
    """The uninterrupted run: trace lines ``[k, hex, ...]`` for steps 0..n-1."""
    opt, sched, update = build(job)
    lines = []
    for k in range(job["n"]):
        lines.append([str(k), *_values(opt)])
        update(k)
    return lines


def _write_atomic(path, data):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _restores_optimizer(job):
    """A preset resumes as its peer does: the optimizer's checkpoint holds the lrs (torch's and transformers'
    schedulers leave them to it); lrsched.Scheduler resumes from its own state alone."""
    return job.get("restore_optimizer", job.get("kind") in ("torch", "transformers"))


class _Job:
    def __init__(self, workdir, job):
        self.job, self.n, self.every = job, job["n"], job["every"]
        base = os.path.join(workdir, job["name"])
        self.trace_path, self.state_path = base + ".trace", base + ".state"
        self.opt, self.sched, self.update = build(job)
        self.k = 0
        if os.path.exists(self.state_path):
            with open(self.state_path) as f:
                state = json.load(f)
            if _restores_optimizer(job):
                self.opt.load_state_dict(state["optimizer"])
            self.sched.load_state_dict(state["scheduler"])
            self.k = state["next"]
        kept, dropped = [], []
        if os.path.exists(self.trace_path):
            with open(self.trace_path) as f:
                for line in f.read().split("\n"):
                    if line:
                        (kept if int(line.split()[0]) < self.k and len(kept) < self.k else dropped).append(line)
        if dropped:
            with open(base + ".discarded", "a") as f:
                f.write("".join(line + "\n" for line in dropped))
        _write_atomic(self.trace_path, "".join(line + "\n" for line in kept))
        self.trace = open(self.trace_path, "a")

    def round(self):
        if self.k >= self.n:
            return False
        self.trace.write(" ".join([str(self.k), *_values(self.opt)]) + "\n")
        self.trace.flush()
        self.update(self.k)
        self.k += 1
        if self.k % self.every == 0 or self.k == self.n:
            opt_state = self.opt.state_dict() if _restores_optimizer(self.job) else None
            state = {"next": self.k, "scheduler": self.sched.state_dict(), "optimizer": opt_state}
            _write_atomic(self.state_path, json.dumps(state))
        return True


def main(workdir, delay=0.0):
    with open(os.path.join(workdir, "jobs.json")) as f:
        jobs = [_Job(workdir, job) for job in json.load(f)]
    with open(os.path.join(workdir, "started"), "a") as f:
        f.write(f"{os.getpid()}\n")
    while any([j.round() for j in jobs]):
        if delay:
            time.sleep(delay)
    with open(os.path.join(workdir, "done"), "w") as f:
        f.write("done\n")


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
