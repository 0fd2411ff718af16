"""Time a warmup-cosine learning-rate table: lrsched vs NumPy vs a torch scheduler loop.

The schedule everywhere: linear warmup 0 -> PEAK over W steps, then half a
cosine from PEAK to END over T - W steps, then END (``lrsched.warmup_cosine``).

* ``TableSuite`` -- one table of ``n`` steps (0 .. n-1), n in {1e3, 1e5, 1e6}:
  lrsched into a preallocated buffer, lrsched allocating, the same schedule as
  a vectorized NumPy expression, and ``np.full(n, 1.0)`` / ``buf.fill(1.0)`` as
  the memory-bandwidth floors (write n float64, no arithmetic; np.full also
  pays for fresh pages, so compare table(out=buf) with fill).
* ``TorchLoopSuite`` -- torch's way of getting the same values: step an
  ``LRScheduler`` on a one-parameter SGD optimizer and read the lr each step.
  That costs microseconds per step, so it is timed over 10_000 steps (the
  names say ``_10k``); multiply by 100 to compare with a 1_000_000-step table.
  Skipped when torch is not importable.
"""

import math

import numpy as np

PEAK = 3e-4
END = 3e-5
WARMUP = 2_000
TOTAL = 1_000_000


def numpy_warmup_cosine(n, peak=PEAK, warmup=WARMUP, total=TOTAL, end=END):
    """The schedule at steps 0 .. n-1 as a plain vectorized NumPy expression."""
    t = np.arange(n, dtype=np.float64)
    progress = np.clip((t - warmup) / (total - warmup), 0.0, 1.0)
    decay = end + (peak - end) * 0.5 * (1.0 + np.cos(np.pi * progress))
    return np.where(t < warmup, peak * t / warmup, decay)


class TableSuite:
    params = [1_000, 100_000, 1_000_000]
    param_names = ["n"]

    def setup(self, n):
        import lrsched

        self.schedule = lrsched.warmup_cosine(peak_value=PEAK, warmup_steps=WARMUP, total_steps=TOTAL, end_value=END)
        self.buf = np.empty(n, dtype=np.float64)
        # Warm the kernels (compile or load from Numba's cache) outside the timings.
        self.schedule.table(n, out=self.buf)
        self.schedule.table(n)
        # The NumPy expression times the same values.
        np.testing.assert_allclose(numpy_warmup_cosine(n), self.buf, rtol=1e-12, atol=1e-18)

    def time_lrsched_table_out(self, n):
        self.schedule.table(n, out=self.buf)

    def time_lrsched_table_alloc(self, n):
        self.schedule.table(n)

    def time_numpy_expression(self, n):
        numpy_warmup_cosine(n)

    def time_numpy_full_floor(self, n):
        np.full(n, 1.0)

    def time_numpy_fill_out_floor(self, n):
        # the same floor into the preallocated buffer: compare with time_lrsched_table_out
        self.buf.fill(1.0)


def _torch_lambda_loop(torch, steps, out):
    """LambdaLR with the schedule as a Python lambda: the transformers/timm idiom."""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=PEAK)
    floor = END / PEAK

    def factor(t):
        if t < WARMUP:
            return t / WARMUP
        progress = min((t - WARMUP) / (TOTAL - WARMUP), 1.0)
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    opt.step()  # no grad: a no-op that keeps torch's "step order" warning quiet
    group = opt.param_groups[0]
    for t in range(steps):
        out[t] = group["lr"]
        sched.step()
    return out


def _torch_sequential_loop(torch, steps, out):
    """torch's built-in schedulers: SequentialLR(LinearLR, CosineAnnealingLR).

    LinearLR cannot start at 0 (start_factor must be > 0), so the warmup starts
    at PEAK * 1e-8 instead; the timing is unaffected.
    """
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=PEAK)
    lr_scheduler = torch.optim.lr_scheduler
    warm = lr_scheduler.LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=WARMUP)
    decay = lr_scheduler.CosineAnnealingLR(opt, T_max=TOTAL - WARMUP, eta_min=END)
    sched = lr_scheduler.SequentialLR(opt, [warm, decay], milestones=[WARMUP])
    opt.step()
    group = opt.param_groups[0]
    for t in range(steps):
        out[t] = group["lr"]
        sched.step()
    return out


def _import_torch():
    try:
        import torch
    except ImportError:
        raise NotImplementedError("torch is not installed") from None  # asv: skipped
    return torch


class TorchLoopSuite:
    """10_000 scheduler steps per call; x100 for the per-1_000_000-step cost."""

    steps = 10_000

    def setup(self):
        torch = self.torch = _import_torch()
        self.buf = np.empty(self.steps, dtype=np.float64)
        # Check once that both loops produce the schedule timed in TableSuite.
        import lrsched

        ref = lrsched.warmup_cosine(peak_value=PEAK, warmup_steps=WARMUP, total_steps=TOTAL, end_value=END)
        ref = ref.table(self.steps)
        np.testing.assert_allclose(_torch_lambda_loop(torch, self.steps, self.buf), ref, rtol=1e-12, atol=1e-18)
        np.testing.assert_allclose(_torch_sequential_loop(torch, self.steps, self.buf), ref, rtol=1e-6, atol=1e-11)

    def time_torch_lambdalr_loop_10k(self):
        _torch_lambda_loop(self.torch, self.steps, self.buf)

    def time_torch_sequentiallr_loop_10k(self):
        _torch_sequential_loop(self.torch, self.steps, self.buf)


class TorchLoop1MSuite:
    """The full 1_000_000 torch scheduler steps, measured once per round (about 2 s each)."""

    number = 1
    repeat = (1, 3, 30.0)
    rounds = 1
    timeout = 300
    steps = 1_000_000

    def setup(self):
        self.torch = _import_torch()
        self.buf = np.empty(self.steps, dtype=np.float64)

    def time_torch_sequentiallr_loop_1M(self):
        _torch_sequential_loop(self.torch, self.steps, self.buf)
