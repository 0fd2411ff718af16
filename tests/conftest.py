import os

from hypothesis import HealthCheck, settings

# The first example of a run may load compiled kernels; no deadline anywhere.
settings.register_profile(
    "default", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", deadline=None, max_examples=3000, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
# Without the JIT every kernel runs as plain Python: fewer, smaller examples.
settings.register_profile("nojit", deadline=None, max_examples=25, suppress_health_check=[HealthCheck.too_slow])
if os.environ.get("NUMBA_DISABLE_JIT") == "1":
    settings.load_profile("nojit")
else:
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
