"""Load timm's real scheduler code (``timm.scheduler``) without running ``timm/__init__``.

``import timm`` imports its models, which need torchvision; the scheduler
modules need only torch, numpy and math.  ``load()`` finds the installed timm
with ``importlib.util.find_spec`` (which does not execute it), and -- only when
``import timm`` itself fails -- registers a bare package module ``timm`` whose
``__path__`` is the installed package's directory, then imports
``timm.scheduler`` from the files there: timm's own code, unchanged.

With ``LRSCHED_REQUIRE_PEERS=1`` (``.ci/run``) a missing timm is a failure,
as ``peers.require`` makes a missing torch or transformers one; otherwise the
test module is skipped.  The asv benchmarks load this file by path.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types


def _importable():
    try:
        importlib.import_module("timm")
    except Exception:  # ImportError for torchvision, or anything its models raise on import
        sys.modules.pop("timm", None)
        for name in [m for m in sys.modules if m.startswith("timm.")]:
            sys.modules.pop(name)
        return False
    return True


def load_scheduler():
    """``timm.scheduler``, timm's real module (ImportError if timm is not installed)."""
    if "timm.scheduler" in sys.modules:
        return sys.modules["timm.scheduler"]
    spec = importlib.util.find_spec("timm")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("timm is not installed (pip install timm; its scheduler modules need only torch)")
    if not isinstance(sys.modules.get("timm"), types.ModuleType) or not _stubbed(sys.modules["timm"]):
        if not _importable():
            stub = types.ModuleType("timm")
            stub.__path__ = list(spec.submodule_search_locations)
            stub.__file__ = spec.origin
            stub.__spec__ = spec
            stub.__lrsched_stub__ = True  # timm's package, without its __init__ (which needs torchvision)
            sys.modules["timm"] = stub
    return importlib.import_module("timm.scheduler")


def _stubbed(module):
    return getattr(module, "__lrsched_stub__", False)


def require():
    """``timm.scheduler``, or skip the calling test module; with ``LRSCHED_REQUIRE_PEERS=1`` a failure."""
    if os.environ.get("LRSCHED_REQUIRE_PEERS") == "1":
        return load_scheduler()  # ImportError: a failure, not a skip
    import pytest

    try:
        return load_scheduler()
    except ImportError as e:
        pytest.skip(f"timm's scheduler modules cannot be loaded: {e}", allow_module_level=True)
