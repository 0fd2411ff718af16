"""Stored peer values (tests/data/golden.npz, made by tests/golden.py) against the kernel.

These run without torch or transformers: the stored specs are what the drop-ins
lower the peers' arguments to, and the stored values are what the peers gave.
Where the peers are installed, the drop-ins must still lower to the stored specs.
"""

import json
import os
import warnings

import numpy as np
import pytest

import golden
import lrsched
from peers import assert_close, require

DATA = np.load(golden.PATH)
NAMES = sorted({k.rsplit("/", 1)[0] for k in DATA.files if "/" in k})


def stored(name):
    return DATA[f"{name}/steps"], DATA[f"{name}/values"], json.loads(str(DATA[f"{name}/specs"]))


def test_every_case_is_stored():
    want = {f"torch:{k}" for k in golden.TORCH_CASES} | {f"transformers:{k}" for k in golden.TRANSFORMERS_CASES}
    assert set(NAMES) == want
    assert json.loads(str(DATA["versions"]))["torch"].startswith("2.13")


@pytest.mark.parametrize("name", NAMES)
def test_stored_specs_reproduce_the_peers_values(name):
    steps, want, spec = stored(name)
    got = np.column_stack([lrsched.from_dict(s)(steps) for field in spec.values() for s in field])
    # the peers' recursive updates (torch's StepLR, CosineAnnealingLR, ...) carry their rounding: 1e-9
    assert_close(got, want, 1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_drop_ins_still_lower_to_the_stored_specs(name):
    torch = require("torch")
    peer, case = name.split(":")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        if peer == "torch":
            import lrsched.torch as lt

            cls, args, kwargs, n, kind = golden.TORCH_CASES[case]
            ours = getattr(lt, cls)(golden.optimizer(torch, kind), *args, **kwargs)
        else:
            import lrsched.transformers as ltr

            kind, kwargs, n = golden.TRANSFORMERS_CASES[case]
            ours = ltr.get_scheduler(kind, golden.optimizer(torch, "sgd"), **kwargs)
    assert json.loads(golden.specs(ours)) == stored(name)[2], "regenerate with: python tests/golden.py"


def test_golden_file_is_small():
    assert os.path.getsize(golden.PATH) < 400_000
