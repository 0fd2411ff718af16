"""Helpers for tests against the real peers (torch, transformers), stepped in the same process.

``require(name)`` imports a peer or skips the module; with ``LRSCHED_REQUIRE_PEERS=1``
(set by ``.ci/run``) a missing peer is a failure instead, so CI never skips parity.
"""

from __future__ import annotations

import importlib
import os
import warnings

import numpy as np
import pytest


def require(name):
    if os.environ.get("LRSCHED_REQUIRE_PEERS") == "1":
        return importlib.import_module(name)  # ImportError: a failure, not a skip
    return pytest.importorskip(name)


def optimizer(torch, lrs=(0.1, 0.05, 0.3), kind="sgd"):
    """A real torch optimizer with one param group per lr (SGD with momentum, or Adam)."""
    params = [torch.nn.Parameter(torch.zeros(1)) for _ in lrs]
    groups = [{"params": [p], "lr": lr} for p, lr in zip(params, lrs)]
    if kind == "adam":
        return torch.optim.Adam(groups, lr=lrs[0])
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def read(group, field):
    value = group["betas"][0] if field == "betas" else group[field]
    return float(value)


def trace(opt, sched, n, fields=("lr",)):
    """Each group's ``fields`` at steps 0 .. n-1 (n-1 calls to ``step()``), as an (n, groups * fields) array."""
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "step() before optimizer.step()"
        for k in range(n):
            rows.append([read(g, f) for f in fields for g in opt.param_groups])
            if k < n - 1:
                sched.step()
    return np.array(rows)


def assert_close(got, want, rtol, floor=1e-14):
    """``|got - want| <= rtol |want| + floor * max|want|``.

    The floor is for values near 0, where the peer's own formula cancels
    (torch's ``(1 + cos x) / 2`` near x = pi): there the relative difference
    measures the peer's rounding, not lrsched's.
    """
    got, want = np.asarray(got, float), np.asarray(want, float)
    assert got.shape == want.shape, (got.shape, want.shape)
    peak = np.max(np.abs(want)) if want.size else 0.0
    err = np.abs(got - want)
    bad = err > rtol * np.abs(want) + floor * peak
    if np.any(bad):
        i = np.argwhere(bad)[0]
        raise AssertionError(
            f"first difference at step {i[0]}, column {i[1] if len(i) > 1 else 0}: lrsched {got[tuple(i)]!r}, "
            f"peer {want[tuple(i)]!r}; max relative error {np.max(err / np.maximum(np.abs(want), 1e-300)):.3g}"
        )


# Parity report: the largest differences seen per preset in this test session, printed by
# conftest's terminal summary (and written to $LRSCHED_PARITY_REPORT when set).
PARITY = {}


def record(preset, got, want):
    """Note ``got`` (lrsched) against ``want`` (the peer) under ``preset``; returns nothing, asserts nothing."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    if not want.size:
        return
    peak = float(np.max(np.abs(want)))
    err = np.abs(got - want)
    away = np.abs(want) > 1e-9 * peak  # where the value is not ~0 (there the peer's own cancellation shows)
    rel = float(np.max(err[away] / np.abs(want[away]))) if np.any(away) else 0.0
    absolute = float(np.max(err)) / peak if peak else float(np.max(err))
    old = PARITY.get(preset, (0, 0, 0.0, 0.0))
    PARITY[preset] = (old[0] + 1, old[1] + want.size, max(old[2], rel), max(old[3], absolute))


def parity_table():
    rows = ["| preset | configurations | values compared | max relative error | max abs error / peak |",
            "|---|---|---|---|---|"]  # fmt: skip
    for preset, (runs, values, rel, absolute) in sorted(PARITY.items()):
        rows.append(f"| {preset} | {runs} | {values:,} | {rel:.3g} | {absolute:.3g} |")
    return "\n".join(rows)
