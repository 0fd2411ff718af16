import os

from hypothesis import HealthCheck, settings

# Keras 3 picks its backend at its first import, process-wide, and defaults to tensorflow, which the test
# extra does not install: every test module that imports keras (directly or through lrsched.keras) runs on jax.
os.environ.setdefault("KERAS_BACKEND", "jax")

# The first example of a run may load compiled kernels; no deadline anywhere.
settings.register_profile(
    "default", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", deadline=None, max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
# CI runs a fixed set of examples (derandomize): a run that lands is reproducible, and exploration
# happens in local runs (default and thorough profiles), whose finds are kept as explicit cases.
settings.register_profile(
    "ci", deadline=None, max_examples=150, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
# Without the JIT every kernel runs as plain Python: fewer, smaller examples.
settings.register_profile(
    "nojit", deadline=None, max_examples=25, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
default = "nojit" if os.environ.get("NUMBA_DISABLE_JIT") == "1" else "default"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


def pytest_terminal_summary(terminalreporter):
    """The parity report, when parity tests ran: max differences from torch/transformers per preset."""
    from peers import PARITY, parity_table

    if not PARITY:
        return
    table = parity_table()
    terminalreporter.write_sep("-", "parity with the peers (stepped side by side)")
    terminalreporter.write_line(table)
    path = os.environ.get("LRSCHED_PARITY_REPORT")
    if path:
        with open(path, "w") as f:
            f.write(table + "\n")
