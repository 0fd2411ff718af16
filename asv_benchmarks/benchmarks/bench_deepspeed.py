"""Per-step cost of ``lrsched.deepspeed``'s drop-ins against DeepSpeed's own classes, at 1 and 8 param groups.

Each timing is 10_000 ``sched.step()`` calls (looked up on the scheduler each time, as a training loop does) on
a real torch Adam optimizer (OneCycle cycles its betas), after the same warm-up of both.  Divide by 10_000 for
the per-step cost.  DeepSpeed is imported only here (never by lrsched); without it the DeepSpeed timings are
skipped.
"""

import logging

STEPS = 10_000
TOTAL = 1_000_000

ARGS = {
    "WarmupLR": dict(warmup_num_steps=20_000),
    "WarmupDecayLR": dict(total_num_steps=TOTAL, warmup_num_steps=20_000),
    "WarmupCosineLR": dict(total_num_steps=TOTAL, warmup_num_steps=20_000),
    "OneCycle": dict(cycle_min_lr=1e-4, cycle_max_lr=1e-3, cycle_first_step_size=200_000, decay_lr_rate=0.1,
                     decay_step_size=1_000),
    "LRRangeTest": dict(lr_range_test_step_size=1_000),
}


def _optimizer(torch, groups):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.Adam([{"params": [p], "lr": 1e-3 * (k + 1)} for k, p in enumerate(params)], lr=1e-3)


class DeepSpeedStepSuite:
    params = [sorted(ARGS), [1, 8]]
    param_names = ["scheduler", "groups"]

    def setup(self, scheduler, groups):
        try:
            import torch
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        import lrsched.deepspeed as LD

        self.ours_opt = _optimizer(torch, groups)
        self.ours = getattr(LD, scheduler)(self.ours_opt, **ARGS[scheduler])
        self.theirs = None
        try:
            logging.getLogger("DeepSpeed").setLevel(logging.ERROR)
            from deepspeed.runtime import lr_schedules as DS
        except ImportError:
            DS = None
        if DS is not None:
            self.theirs_opt = _optimizer(torch, groups)
            self.theirs = getattr(DS, scheduler)(self.theirs_opt, **ARGS[scheduler])
        for _ in range(STEPS):  # warm both (and check they agree)
            self.ours.step()
            if self.theirs is not None:
                self.theirs.step()
        if self.theirs is not None:
            a = [g["lr"] for g in self.ours_opt.param_groups]
            b = [g["lr"] for g in self.theirs_opt.param_groups]
            assert max(abs(x - y) / y for x, y in zip(a, b)) < 1e-9, (a, b)

    def time_lrsched_step_10k(self, scheduler, groups):
        sched = self.ours
        for _ in range(STEPS):
            sched.step()

    def time_deepspeed_step_10k(self, scheduler, groups):
        if self.theirs is None:
            raise NotImplementedError("deepspeed is not installed")
        sched = self.theirs
        for _ in range(STEPS):
            sched.step()
