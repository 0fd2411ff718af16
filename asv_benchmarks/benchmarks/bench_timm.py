"""Per-step cost of ``lrsched.timm`` drop-ins against timm's own classes, at 1 and 8 param groups.

Each timing is 10_000 ``step_update(n)`` calls with ``n`` counting up (timm's
``train.py`` calls it after every optimizer update) on a real torch SGD
optimizer.  timm's scheduler modules are loaded with the tests' loader
(``tests/timm_peer.py``, by path), which does not run ``timm/__init__`` (its
models need torchvision).  Divide by 10_000 for the per-step cost.
"""

import importlib.util
import os

STEPS = 10_000
T = 1_000_000


def _timm_scheduler():
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (os.path.join(here, "..", "..", "tests"), os.path.join(os.getcwd(), "..", "tests")):
        path = os.path.join(root, "timm_peer.py")
        if os.path.exists(path):
            spec = importlib.util.spec_from_file_location("_lrsched_timm_peer", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            try:
                return module.load_scheduler()
            except ImportError:
                break
    raise NotImplementedError("timm is not installed (or tests/timm_peer.py is not found)")


def _optimizer(torch, groups):
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in range(groups)]
    return torch.optim.SGD([{"params": [p], "lr": 0.1 * (k + 1), "lr_scale": 0.9**k} for k, p in enumerate(params)],
                           lr=0.1)  # fmt: skip


class TimmStepSuite:
    params = [["CosineLRScheduler", "TanhLRScheduler", "StepLRScheduler", "MultiStepLRScheduler",
               "PolyLRScheduler", "WSDLRScheduler"], [1, 8]]  # fmt: skip
    param_names = ["scheduler", "groups"]

    ARGS = {
        "CosineLRScheduler": dict(t_initial=T, warmup_t=1_000, warmup_lr_init=1e-4, cycle_limit=3, cycle_mul=2),
        "TanhLRScheduler": dict(t_initial=T, warmup_t=1_000, warmup_lr_init=1e-4),
        "StepLRScheduler": dict(decay_t=1_000, decay_rate=0.9, warmup_t=1_000),
        "MultiStepLRScheduler": dict(decay_t=[5_000, 50_000], decay_rate=0.5),
        "PolyLRScheduler": dict(t_initial=T, power=2.0, k_decay=1.5),
        "WSDLRScheduler": dict(t_initial=T, decay_t=T // 5, warmup_t=1_000),
    }

    def setup(self, scheduler, groups):
        try:
            import torch

            import lrsched.timm as lt
        except ImportError:
            raise NotImplementedError("torch is not installed") from None
        ts = _timm_scheduler()
        kwargs = dict(self.ARGS[scheduler], t_in_epochs=False)
        self.ours_opt, self.theirs_opt = _optimizer(torch, groups), _optimizer(torch, groups)
        self.ours = getattr(lt, scheduler)(self.ours_opt, **kwargs)
        self.theirs = getattr(ts, scheduler)(self.theirs_opt, **kwargs)
        for n in range(STEPS):  # warm both (and check they agree)
            self.ours.step_update(n)
            self.theirs.step_update(n)
        a = [g["lr"] for g in self.ours_opt.param_groups]
        b = [g["lr"] for g in self.theirs_opt.param_groups]
        assert max(abs(x - y) / y for x, y in zip(a, b)) < 1e-12, (a, b)
        self.start = STEPS

    def time_lrsched_timm_step_update_10k(self, scheduler, groups):
        sched, start = self.ours, self.start
        for n in range(start, start + STEPS):
            sched.step_update(n)
        self.start += STEPS

    def time_timm_step_update_10k(self, scheduler, groups):
        sched, start = self.theirs, self.start
        for n in range(start, start + STEPS):
            sched.step_update(n)
        self.start += STEPS
