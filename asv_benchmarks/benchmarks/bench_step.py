"""Per-step cost of the adapter against torch's CosineAnnealingLR.step(), at 1 and 8 param groups.

Each timing is 10_000 ``sched.step()`` calls (looked up on the scheduler each
time, as a training loop does) on a real torch SGD optimizer (lrsched's
adapter needs only param_groups; the same optimizer type keeps the comparison
fair).  Divide by 10_000 for the per-step cost.
"""

STEPS = 10_000
T_MAX = 1_000_000


def _optimizer(torch, groups):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p], "lr": 0.1 * (k + 1)} for k, p in enumerate(params)], lr=0.1)


class StepSuite:
    params = [1, 8]
    param_names = ["groups"]

    def setup(self, groups):
        try:
            import torch
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        import lrsched

        self.torch = torch
        self.groups = groups
        cosine = lrsched.cosine(init_value=1.0, steps=T_MAX)
        self.lrsched_opt = _optimizer(torch, groups)
        self.lrsched_sched = lrsched.Scheduler(self.lrsched_opt, cosine, relative=True)
        self.torch_opt = _optimizer(torch, groups)
        self.torch_sched = torch.optim.lr_scheduler.CosineAnnealingLR(self.torch_opt, T_max=T_MAX)
        self.torch_opt.step()  # keep torch's step-order warning quiet
        for _ in range(STEPS):  # warm both (and check they agree)
            self.lrsched_sched.step()
            self.torch_sched.step()
        a = [g["lr"] for g in self.lrsched_opt.param_groups]
        b = [g["lr"] for g in self.torch_opt.param_groups]
        assert max(abs(x - y) / y for x, y in zip(a, b)) < 1e-9, (a, b)

    def time_lrsched_step_10k(self, groups):
        sched = self.lrsched_sched
        for _ in range(STEPS):
            sched.step()

    def time_torch_cosine_step_10k(self, groups):
        sched = self.torch_sched
        for _ in range(STEPS):
            sched.step()


class DropInStepSuite:
    """``lrsched.torch`` drop-ins against the torch class of the same name: 10_000 step() calls each.

    The torch timing is also torch's way to get a table of that family: x100 for 1M steps.
    """

    params = [["CosineAnnealingLR", "OneCycleLR", "StepLR", "MultiStepLR", "LinearLR", "ExponentialLR",
               "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR"], [1, 8]]
    param_names = ["scheduler", "groups"]

    ARGS = {
        "CosineAnnealingLR": dict(T_max=T_MAX),
        "OneCycleLR": dict(max_lr=1.0, total_steps=T_MAX),
        "StepLR": dict(step_size=1_000),
        "LinearLR": dict(start_factor=0.1, total_iters=T_MAX),
        "MultiStepLR": dict(milestones=[5_000, 50_000]),
        "ExponentialLR": dict(gamma=0.99999),
        "PolynomialLR": dict(total_iters=T_MAX, power=2.0),
        "CosineAnnealingWarmRestarts": dict(T_0=1_000, T_mult=2),
        "CyclicLR": dict(base_lr=0.01, max_lr=0.1, step_size_up=500, cycle_momentum=False),
    }

    def setup(self, scheduler, groups):
        try:
            import torch

            import lrsched.torch as lt
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        kwargs = self.ARGS[scheduler]
        self.ours_opt = _optimizer(torch, groups)
        self.ours = getattr(lt, scheduler)(self.ours_opt, **kwargs)
        self.theirs_opt = _optimizer(torch, groups)
        self.theirs = getattr(torch.optim.lr_scheduler, scheduler)(self.theirs_opt, **kwargs)
        self.ours_opt.step()  # keep torch's step-order warning quiet (the drop-ins give it too)
        self.theirs_opt.step()
        for _ in range(STEPS):  # warm both (and check they agree)
            self.ours.step()
            self.theirs.step()
        a, b = self.ours.get_last_lr(), self.theirs.get_last_lr()
        assert max(abs(x - y) / y for x, y in zip(a, b)) < 1e-9, (a, b)

    def time_lrsched_torch_step_10k(self, scheduler, groups):
        sched = self.ours
        for _ in range(STEPS):
            sched.step()

    def time_torch_step_10k(self, scheduler, groups):
        sched = self.theirs
        for _ in range(STEPS):
            sched.step()
