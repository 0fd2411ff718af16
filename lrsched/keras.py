"""lrsched schedules as Keras 3 learning-rate schedules, with a plateau callback that works on them.

A Keras optimizer evaluates its schedule on ``optimizer.iterations`` inside
the compiled train step, where lrsched's Numba kernels cannot run.  So
``lrsched.keras.Schedule(s, steps)`` computes the values at steps
``0 .. steps - 1`` once, with ``s.table``, and looks them up with
``keras.ops.take``::

    import keras, lrsched, lrsched.keras

    s = lrsched.warmup_cosine(peak_value=0.1, warmup_steps=100, total_steps=10_000)
    lr = lrsched.keras.Schedule(s, 10_000)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(x, y, callbacks=[lrsched.keras.ReduceOnPlateau(lr, monitor="val_loss", patience=2)])
    model.save("m.keras")          # keras.models.load_model("m.keras") rebuilds the schedule

Conventions:

- Update ``k`` (``optimizer.iterations == k``) uses ``s.at(k)`` times the
  schedule's ``factor``, exactly in the table's dtype; past the table it holds
  the last value, lrsched's convention past a horizon (make the table as long
  as the run).  Keras's own schedules differ in where they switch and end
  (``PiecewiseConstantDecay`` switches one step later, ``CosineDecay``'s
  ``decay_steps`` excludes the warmup): build the lrsched schedule you mean.
- ``factor`` is a ``keras.Variable`` (1.0 unless given) multiplied into the
  value.  Keras's ``ReduceLROnPlateau`` refuses an optimizer whose lr is a
  schedule (its ``learning_rate`` cannot be set); ``ReduceOnPlateau`` here
  lowers the factor instead, by lrsched's plateau rules (torch's).  The jax
  backend compiles the factor's value into the train step, so the callback
  recompiles the step (``model.make_train_function(force=True)``) when it
  changes the factor -- a few times per run.  Changing ``factor`` yourself
  between ``fit`` calls on the jax backend needs the same call.
- ``get_config()`` is plain JSON: the lrsched spec (``s.to_dict()``), ``steps``,
  ``dtype`` and the factor's current value; the class is registered as
  ``"lrsched>Schedule"``, so ``import lrsched.keras`` before
  ``keras.models.load_model``.
- ``steps`` is at most ``2**31 - 1`` (the jax backend counts in int32).
  float64 tables on the jax backend need JAX's 64-bit mode.

Keras is imported with this module (``import lrsched`` never imports it); set
``KERAS_BACKEND`` (``jax``, ``torch``, ``tensorflow`` or ``numpy``) before.
Without Keras the module still imports (for documentation and doctests) and
using a class raises ``ImportError``.
"""

from __future__ import annotations

import warnings

import numpy as np

from . import _validate as V
from ._schedule import Schedule as _LrschedSchedule
from ._schedule import from_dict as _from_dict
from .plateau import PlateauState
from .plateau import plateau as _plateau

try:
    import keras
except ImportError as e:  # no Keras, or no backend for it (Keras's default backend is tensorflow)
    keras = None
    _KERAS_ERROR = e

__all__ = ["ReduceOnPlateau", "Schedule"]

MAX_TABLE = 2**31 - 1  # the jax backend's iteration counter is an int32


def _need_keras(fn):
    if keras is None:
        raise ImportError(
            f"{fn} needs Keras 3 with a backend: pip install keras jax, and set KERAS_BACKEND=jax "
            f"before importing keras ({_KERAS_ERROR}). The rest of lrsched works without it."
        ) from _KERAS_ERROR


def _scalar(x):
    """A backend scalar or Variable as a Python float (through its value: Keras's ``Variable.numpy()``
    warns under NumPy 2 on the jax backend)."""
    return float(keras.ops.convert_to_numpy(x.value if isinstance(x, keras.Variable) else x))


if keras is not None:
    _ScheduleBase = keras.optimizers.schedules.LearningRateSchedule
    _CallbackBase = keras.callbacks.Callback
    _register = keras.saving.register_keras_serializable(package="lrsched")
else:  # importable without Keras; the constructors raise ImportError
    _ScheduleBase = _CallbackBase = object

    def _register(cls):
        return cls


@_register
@V.explain_arguments
class Schedule(_ScheduleBase):
    """A Keras ``LearningRateSchedule`` with the values of an lrsched Schedule at steps ``0 .. steps - 1``.

    ``lr(step) = factor * table[clip(step, 0, steps - 1)]`` with
    ``table = schedule.table(steps, dtype=dtype)``.

    Parameters
    ----------
    schedule : lrsched.Schedule
        The learning-rate schedule.
    steps : int
        Length of the table, in ``[1, 2**31 - 1]``: the number of optimizer
        updates of the run.
    dtype : str or numpy dtype, default "float32"
        ``float32`` or ``float64`` (on the jax backend float64 needs
        ``jax.config.update("jax_enable_x64", True)``).
    factor : float, default 1.0
        Initial value of the multiplier ``self.factor`` (a ``keras.Variable``).

    Attributes
    ----------
    schedule : lrsched.Schedule
    steps : int
    dtype : str
    factor : keras.Variable
        The multiplier; ``ReduceOnPlateau`` lowers it.

    Raises
    ------
    TypeError, ValueError
        For a bad argument (named in the message).
    ImportError
        If Keras (with a backend) is not installed.

    See also
    --------
    keras.optimizers.schedules.CosineDecay : Keras's own cosine (its warmup
        is outside ``decay_steps``).
    lrsched.optax.schedule : the same table for optax.

    Examples
    --------
    Not run as a doctest (it needs Keras)::

        lr = lrsched.keras.Schedule(lrsched.linear(init_value=1.0, steps=4), 4)
        [float(lr(k)) for k in range(6)]    # [1.0, 0.75, 0.5, 0.25, 0.25, 0.25]
    """

    def __init__(self, schedule, steps, *, dtype="float32", factor=1.0):
        fn = "lrsched.keras.Schedule"
        _need_keras(fn)
        if not isinstance(schedule, _LrschedSchedule):
            V.fail(fn, "schedule", "a lrsched.Schedule", schedule, TypeError)
        steps = V.integer(fn, "steps", steps, minimum=1, maximum=MAX_TABLE)
        dtype = V.float_dtype(fn, dtype)
        factor = V.real(fn, "factor", factor, minimum=0.0)
        if dtype == np.float64 and keras.backend.backend() == "jax":
            import jax

            if not jax.config.jax_enable_x64:
                raise ValueError(
                    f"{fn}: `dtype` float64 needs JAX's 64-bit mode on the jax backend (JAX would store the "
                    "table as float32): call jax.config.update('jax_enable_x64', True) first, or use float32."
                )
        self.schedule = schedule
        self.steps = steps
        self.dtype = dtype.name
        self.factor = keras.Variable(factor, dtype=self.dtype, trainable=False, name="lrsched_factor")
        self._table = keras.ops.convert_to_tensor(schedule.table(steps, dtype=dtype), dtype=self.dtype)

    def __call__(self, step):
        index = keras.ops.clip(step, 0, self.steps - 1)
        return keras.ops.take(self._table, index) * self.factor

    def get_config(self):
        """The lrsched spec and the table's settings, plain JSON (``from_config`` rebuilds the schedule)."""
        return {
            "schedule": self.schedule.to_dict(),
            "steps": self.steps,
            "dtype": self.dtype,
            "factor": _scalar(self.factor),
        }

    @classmethod
    def from_config(cls, config):
        """The schedule of ``get_config()`` (the spec is checked as ``lrsched.from_dict`` checks any)."""
        config = dict(config)
        return cls(_from_dict(config.pop("schedule")), **config)

    def __repr__(self):
        return f"lrsched.keras.Schedule({self.schedule!r}, steps={self.steps}, dtype={self.dtype!r})"


@V.explain_arguments
class ReduceOnPlateau(_CallbackBase):
    """A Keras callback that lowers a ``lrsched.keras.Schedule``'s ``factor`` when a metric stops improving.

    The rules are ``lrsched.plateau``'s (torch's ``ReduceLROnPlateau``): at
    each epoch's end the metric ``logs[monitor]`` is compared with the best so
    far; after more than ``patience`` epochs without an improvement by more
    than ``threshold``, the learning rate now, ``lr``, becomes
    ``max(lr * factor, min_value)`` -- applied only if that lowers it by more
    than ``eps`` -- by scaling the schedule's multiplier, and ``cooldown``
    epochs are ignored.  The schedule goes on under the multiplier, so a
    warmup-cosine is reduced on plateau, which Keras's own callback refuses.

    Parameters
    ----------
    schedule : lrsched.keras.Schedule
        The schedule the optimizer holds.
    monitor : str, default "val_loss"
        The metric's name in the epoch logs.
    mode, factor, patience, threshold, threshold_mode, cooldown, min_value, eps
        As in ``lrsched.plateau`` (``min_value``: the lowest lr a reduction
        gives).
    verbose : int, default 0
        1 prints each reduction.

    Attributes
    ----------
    best, num_bad_epochs, cooldown_counter
        The controller's state (it carries over from one ``fit`` to the next).

    See also
    --------
    keras.callbacks.ReduceLROnPlateau : Keras's, for a float lr only.
    lrsched.plateau : the same rules for ``lrsched.Scheduler``.
    """

    def __init__(
        self, schedule, monitor="val_loss", *, mode="min", factor=0.1, patience=10, threshold=1e-4,
        threshold_mode="rel", cooldown=0, min_value=0.0, eps=1e-8, verbose=0,
    ):  # fmt: skip
        fn = "lrsched.keras.ReduceOnPlateau"
        _need_keras(fn)
        if not isinstance(schedule, Schedule):
            V.fail(fn, "schedule", "a lrsched.keras.Schedule", schedule, TypeError)
        if not isinstance(monitor, str):
            V.fail(fn, "monitor", "a metric name (a str)", monitor, TypeError)
        settings = _plateau(mode=mode, factor=factor, patience=patience, threshold=threshold,
                            threshold_mode=threshold_mode, cooldown=cooldown, min_value=min_value, eps=eps)
        super().__init__()
        self.schedule = schedule
        self.monitor = monitor
        self.verbose = V.integer(fn, "verbose", verbose)
        self._state = PlateauState(settings, 1)

    best = property(lambda self: self._state.best, doc="The best metric so far.")
    num_bad_epochs = property(lambda self: self._state.bad, doc="Epochs without improvement, counted.")
    cooldown_counter = property(lambda self: self._state.cooldown, doc="Epochs of cooldown left.")

    def on_epoch_end(self, epoch, logs=None):
        metric = (logs or {}).get(self.monitor)
        if metric is None:
            warnings.warn(
                f"lrsched.keras.ReduceOnPlateau: the metric {self.monitor!r} is not in the logs "
                f"(available: {sorted(logs or {})}); nothing reduced.",
                stacklevel=2,
            )
            return
        metric = float(metric)
        lr = _scalar(self.schedule(self.model.optimizer.iterations))
        before = self._state.multipliers[0]
        if not self._state.observe(metric, [lr]):
            return
        old = _scalar(self.schedule.factor)
        self.schedule.factor.assign(old * self._state.multipliers[0] / before if before else 0.0)
        self.model.make_train_function(force=True)  # the jax backend compiled the old factor in
        if self.verbose:
            new_lr = _scalar(self.schedule(self.model.optimizer.iterations))
            print(f"\nEpoch {epoch + 1}: lrsched.keras.ReduceOnPlateau lowered the learning rate to {new_lr:.6g}.")
