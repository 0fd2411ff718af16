"""Golden fixtures: the peers' values, stored so that parity is checked where the peers are absent.

Run ``python tests/golden.py`` (with torch 2.13 and transformers 5.23 installed)
to regenerate ``tests/data/golden.npz``.  For each case it stores the steps, the
values the real peer scheduler gave at those steps (every param group; lr, and
momentum or beta1 where the scheduler cycles it) and the JSON specs of the
Schedules that lrsched's drop-in lowers the same arguments to.
``tests/test_golden.py`` evaluates the stored specs with the kernel and compares.
"""

from __future__ import annotations

import json
import pathlib
import sys
import warnings

import numpy as np

HERE = pathlib.Path(__file__).parent
PATH = HERE / "data" / "golden.npz"
LRS = (0.1, 0.03)

# name -> (scheduler class name, positional args after the optimizer, keyword args, steps, optimizer kind)
TORCH_CASES = {
    "StepLR": ("StepLR", (7, 0.5), {}, 300, "sgd"),
    "MultiStepLR-repeated": ("MultiStepLR", ([5, 5, 100, 3],), {"gamma": 0.5}, 300, "sgd"),
    "ConstantLR": ("ConstantLR", (), {"factor": 0.25, "total_iters": 10}, 50, "sgd"),
    "LinearLR": ("LinearLR", (0.1, 0.9, 50), {}, 200, "sgd"),
    "ExponentialLR": ("ExponentialLR", (0.995,), {}, 3_000, "sgd"),
    "PolynomialLR": ("PolynomialLR", (500, 2.0), {}, 800, "sgd"),
    "CosineAnnealingLR-periodic": ("CosineAnnealingLR", (300, 0.001), {}, 2_000, "sgd"),
    "CosineAnnealingWarmRestarts": ("CosineAnnealingWarmRestarts", (10, 2, 0.001), {}, 3_000, "sgd"),
    "CyclicLR-triangular2-momentum": ("CyclicLR", (0.01, 0.1, 20, 30), {"mode": "triangular2"}, 600, "sgd"),
    "CyclicLR-exp_range-beta1": ("CyclicLR", (0.01, 0.1, 20), {"mode": "exp_range", "gamma": 0.999}, 600, "adam"),
    "OneCycleLR": ("OneCycleLR", (1.0,), {"total_steps": 1_000}, 1_000, "sgd"),
    "OneCycleLR-three-phase-linear": (
        "OneCycleLR", (1.0,), {"total_steps": 997, "three_phase": True, "anneal_strategy": "linear",
                               "pct_start": 0.25}, 997, "adam",
    ),  # fmt: skip
}
TRANSFORMERS_CASES = {
    "linear": ("linear", {"num_warmup_steps": 100, "num_training_steps": 1_000}, 1_200),
    "cosine": ("cosine", {"num_warmup_steps": 100, "num_training_steps": 1_000}, 1_500),
    "cosine_with_restarts": ("cosine_with_restarts", {"num_warmup_steps": 50, "num_training_steps": 1_000,
                                                      "scheduler_specific_kwargs": {"num_cycles": 3}}, 1_100),
    "polynomial": ("polynomial", {"num_warmup_steps": 10, "num_training_steps": 500,
                                  "scheduler_specific_kwargs": {"power": 2.0, "lr_end": 1e-3}}, 600),
    "constant_with_warmup": ("constant_with_warmup", {"num_warmup_steps": 30}, 100),
    "inverse_sqrt": ("inverse_sqrt", {"num_warmup_steps": 20}, 1_000),
    "cosine_with_min_lr": ("cosine_with_min_lr", {"num_warmup_steps": 10, "num_training_steps": 400,
                                                  "scheduler_specific_kwargs": {"min_lr": 1e-3}}, 500),
    "warmup_stable_decay": ("warmup_stable_decay", {"num_warmup_steps": 10, "num_training_steps": 300,
                                                    "scheduler_specific_kwargs": {"num_decay_steps": 100}}, 400),
}  # fmt: skip


def sample_steps(n):
    """Every step of the first 100, then 150 spread over the rest (the file stays small)."""
    return np.unique(np.r_[np.arange(min(n, 100)), np.linspace(0, n - 1, 150).round().astype(np.int64)])


def optimizer(torch, kind):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in LRS]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, LRS)]
    return torch.optim.Adam(groups, lr=LRS[0]) if kind == "adam" else torch.optim.SGD(groups, lr=LRS[0], momentum=0.9)


def fields_of(sched):
    return list(sched.schedules)


def peer_values(opt, sched, fields, steps):
    """The peer's values at ``steps`` (stepping it up to the last one)."""
    rows, want = [], set(int(s) for s in steps)
    for t in range(int(steps[-1]) + 1):
        if t in want:
            rows.append([float(g["betas"][0] if f == "betas[0]" else g[f]) for f in fields for g in opt.param_groups])
        if t < steps[-1]:
            sched.step()
    return np.array(rows)


def specs(sched):
    """{field: [spec per group]} of an lrsched drop-in, as a JSON string."""
    return json.dumps({f: [s.to_dict() for s in group] for f, group in sched.schedules.items()})


def torch_case(torch, lt, name):
    cls, args, kwargs, n, kind = TORCH_CASES[name]
    ours = getattr(lt, cls)(optimizer(torch, kind), *args, **kwargs)
    opt = optimizer(torch, kind)
    theirs = getattr(torch.optim.lr_scheduler, cls)(opt, *args, **kwargs)
    steps = sample_steps(n)
    return steps, peer_values(opt, theirs, fields_of(ours), steps), specs(ours)


def transformers_case(torch, transformers, lt, name):
    kind, kwargs, n = TRANSFORMERS_CASES[name]
    ours = lt.get_scheduler(kind, optimizer(torch, "sgd"), **kwargs)
    opt = optimizer(torch, "sgd")
    theirs = transformers.get_scheduler(kind, opt, **kwargs)
    steps = sample_steps(n)
    return steps, peer_values(opt, theirs, ["lr"], steps), specs(ours)


def main():
    import torch
    import transformers

    import lrsched.torch as lt
    import lrsched.transformers as ltr

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        cases = [(f"torch:{k}", lambda k=k: torch_case(torch, lt, k)) for k in TORCH_CASES]
        cases += [(f"transformers:{k}", lambda k=k: transformers_case(torch, transformers, ltr, k))
                  for k in TRANSFORMERS_CASES]  # fmt: skip
        for name, make in cases:
            steps, values, spec = make()
            out[f"{name}/steps"], out[f"{name}/values"], out[f"{name}/specs"] = steps, values, np.array(spec)
    out["versions"] = np.array(json.dumps({"torch": torch.__version__, "transformers": transformers.__version__}))
    PATH.parent.mkdir(exist_ok=True)
    np.savez_compressed(PATH, **out)
    print(f"wrote {PATH} ({PATH.stat().st_size // 1024} KiB, {len(cases)} cases)", file=sys.stderr)


if __name__ == "__main__":
    main()
