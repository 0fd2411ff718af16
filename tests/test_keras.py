"""lrsched.keras: a Schedule as a Keras 3 learning-rate schedule, trained, saved and reduced on plateau.

Runs on Keras's jax backend: ``KERAS_BACKEND=jax`` is set here before Keras is
imported (tensorflow, Keras's default backend, is not needed; the numpy
backend cannot train).  With ``LRSCHED_REQUIRE_PEERS=1`` a missing Keras or
JAX fails the module instead of skipping it.

The model is one weight ``w`` (a bias-free ``Dense(1)`` at 0) fitted to
``y = 100`` from ``x = 1`` with the mean absolute error: the gradient is -1 at
every step, so SGD adds exactly the learning rate it used to ``w``, and the
weight's steps show the rate inside the compiled train step.
"""

import json
import os

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import lrsched  # noqa: E402
from peers import require  # noqa: E402

require("jax")
keras = require("keras")
if keras.backend.backend() != "jax":
    pytest.fail(f"tests/test_keras.py needs Keras's jax backend; Keras was imported with "
                f"{keras.backend.backend()!r} before this module set KERAS_BACKEND=jax", pytrace=False)  # fmt: skip

import lrsched.keras as LK  # noqa: E402

S = lrsched.warmup_cosine(peak_value=0.1, warmup_steps=3, total_steps=10, end_value=0.01)


def _model(lr):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss="mae")
    return model


def _numpy(x):
    """A backend tensor or Variable as NumPy (through its value: Keras's ``Variable.numpy()`` warns under NumPy 2)."""
    return keras.ops.convert_to_numpy(x.value if isinstance(x, keras.Variable) else x)


def _weight(model):
    return float(_numpy(model.layers[0].kernel)[0, 0])


class Trace(keras.callbacks.Callback):
    """Per update: the optimizer's count and learning rate before it, and the weight's step."""

    def __init__(self):
        super().__init__()
        self.counts, self.lrs, self.deltas = [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        self.counts.append(int(_numpy(self.model.optimizer.iterations)))
        self.lrs.append(np.float32(_numpy(self.model.optimizer.learning_rate)))
        self._w = _weight(self.model)

    def on_train_batch_end(self, batch, logs=None):
        self.deltas.append(_weight(self.model) - self._w)


class Flat(keras.callbacks.Callback):
    """Puts a metric that never improves into the epoch logs (before the callbacks after it read them)."""

    def on_epoch_end(self, epoch, logs=None):
        logs["flat"] = 1.0


def _fit(model, steps_per_epoch, epochs, callbacks):
    x, y = np.ones((steps_per_epoch, 1), np.float32), np.full((steps_per_epoch, 1), 100.0, np.float32)
    model.fit(x, y, batch_size=1, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)


def test_each_update_uses_the_lrsched_value():
    steps = 8  # shorter than the run: the last updates use the held value
    lr = LK.Schedule(S, steps)
    want = S.table(steps, dtype=np.float32)[np.minimum(np.arange(12), steps - 1)]
    model, trace = _model(lr), Trace()
    _fit(model, 4, 3, [trace])
    assert trace.counts == list(range(12))
    np.testing.assert_array_equal(np.array(trace.lrs), want)
    np.testing.assert_allclose(trace.deltas, want, rtol=1e-5, atol=1e-7)  # the rate inside the compiled step
    assert [np.float32(_numpy(lr(k))) for k in (0, 3, steps - 1, steps, 10**6)] == [want[0], want[3], want[7], want[7], want[7]]


def test_float64_without_x64_is_refused_and_bad_arguments():
    with pytest.raises(ValueError, match="jax_enable_x64"):
        LK.Schedule(S, 8, dtype="float64")
    with pytest.raises(TypeError, match="lrsched.Schedule"):
        LK.Schedule(keras.optimizers.schedules.CosineDecay(0.1, 10), 8)
    with pytest.raises(ValueError, match="steps"):
        LK.Schedule(S, 0)
    with pytest.raises(ValueError, match="factor"):
        LK.Schedule(S, 8, factor=-1.0)
    with pytest.raises(TypeError, match="did you mean 'steps'"):
        LK.Schedule(S, step=8)
    with pytest.raises(TypeError, match="lrsched.keras.Schedule"):
        LK.ReduceOnPlateau(S)
    with pytest.raises(TypeError, match="did you mean 'patience'"):
        LK.ReduceOnPlateau(LK.Schedule(S, 8), patiense=3)


def test_config_is_json_and_rebuilds_the_schedule():
    lr = LK.Schedule(S, 12, factor=0.5)
    config = json.loads(json.dumps(lr.get_config()))
    assert config == {"schedule": S.to_dict(), "steps": 12, "dtype": "float32", "factor": 0.5}
    again = LK.Schedule.from_config(config)
    assert again.schedule == S and again.steps == 12
    np.testing.assert_array_equal([np.float32(_numpy(again(k))) for k in range(14)], [np.float32(_numpy(lr(k))) for k in range(14)])


def test_saved_model_round_trip(tmp_path):
    lr = LK.Schedule(S, 12, factor=0.5)
    model = _model(lr)
    _fit(model, 3, 1, [])
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    config = loaded.optimizer.get_config()["learning_rate"]
    assert config["registered_name"] == "lrsched>Schedule"
    assert config["config"] == lr.get_config()
    rebuilt = keras.optimizers.schedules.deserialize(config)
    assert isinstance(rebuilt, LK.Schedule) and rebuilt.schedule == S
    assert int(_numpy(loaded.optimizer.iterations)) == 3
    table = S.table(12, dtype=np.float32)
    assert np.float32(_numpy(loaded.optimizer.learning_rate)) == np.float32(0.5) * table[3]
    trace = Trace()  # training resumes where it stopped, on the same schedule
    _fit(loaded, 3, 1, [trace])
    assert trace.counts == [3, 4, 5]
    np.testing.assert_array_equal(trace.lrs, np.float32(0.5) * table[3:6])


def test_keras_reduce_lr_on_plateau_refuses_a_schedule():
    model = _model(LK.Schedule(S, 10))
    with pytest.raises(TypeError, match="not settable"):
        _fit(model, 2, 3, [Flat(), keras.callbacks.ReduceLROnPlateau(monitor="flat", mode="min", patience=0)])


def test_plateau_lowers_the_factor_on_a_flat_metric():
    lr = LK.Schedule(S, 10)
    plateau = LK.ReduceOnPlateau(lr, monitor="flat", factor=0.5, patience=1)
    model, trace = _model(lr), Trace()
    _fit(model, 2, 5, [Flat(), plateau, trace])
    # epoch 0 sets the best; epochs 1 and 2 do not improve: reduced after epoch 2, then again after epoch 4
    factors = np.repeat(np.float32([1.0, 1.0, 1.0, 0.5, 0.5]), 2)
    want = S.table(10, dtype=np.float32) * factors
    np.testing.assert_array_equal(np.array(trace.lrs), want)
    np.testing.assert_allclose(trace.deltas, want, rtol=1e-5, atol=1e-7)  # the compiled step saw each change
    assert float(_numpy(lr.factor)) == 0.25
    assert plateau.best == 1.0 and plateau.num_bad_epochs == 0
    assert lr.get_config()["factor"] == 0.25


def test_plateau_keeps_the_factor_while_the_metric_improves():
    lr = LK.Schedule(S, 10)
    plateau = LK.ReduceOnPlateau(lr, monitor="loss", factor=0.5, patience=0)
    _fit(_model(lr), 2, 4, [plateau])  # the loss falls at every epoch
    assert float(_numpy(lr.factor)) == 1.0
