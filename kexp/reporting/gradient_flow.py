"""``trainer.gradient_flow``: how large the loss gradient is at every depth of the net.

At the start of training (epoch 0) and after every epoch, :class:`GradientFlow`
computes on one fixed batch of training data the L2 norm of the loss gradient
for every trainable kernel (Conv2D / Dense), together with the kernel's own
norm, and writes ``gradients.csv`` (epoch, layer, depth, grad_norm,
weight_norm) and ``gradients.png`` (gradient norm against depth, one line per
epoch, log scale). Depth 0 is the kernel nearest the input.

Gradients need the backend's autodiff, the one thing ``keras.ops`` lacks:
the TensorFlow and JAX versions live in ``kexp/backends/tensorflow.py`` and
``kexp/backends/jax.py``. The loss is the compiled data loss (no weight
penalties) in training mode, so BatchNorm normalises with the batch's own
statistics exactly as in the optimizer's steps; the layers' state (moving
statistics, random-number generators) is put back afterwards, so measuring
does not change training.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pandas as pd

from kexp.config.errors import ConfigError
from kexp.runs.atomic import save_figure, write_csv
from kexp.runs.layout import GRADIENTS_CSV, GRADIENTS_PNG

COLUMNS = ["epoch", "layer", "depth", "grad_norm", "weight_norm"]


def loss_gradients(model: keras.Model, x: np.ndarray, y: np.ndarray, variables: list) -> list:
    """Gradients of the compiled loss on ``(x, y)`` for ``variables``, on the current backend."""
    from kexp.backends import backend_module

    module = backend_module()
    if module is None:
        raise ConfigError.bad_value(
            "trainer.gradient_flow",
            "true",
            f"needs the tensorflow or jax backend (this run: {keras.backend.backend()})",
        )
    gradients = module.loss_gradients
    loss = keras.losses.get(model.loss or "sparse_categorical_crossentropy")
    # Under mixed_float16 small gradients underflow in float16: scale the loss as Keras's
    # LossScaleOptimizer does in training, and unscale the (float32) gradients afterwards.
    scale = loss_scale(model)

    def data_loss(y_true, y_pred):
        if len(y_true.shape) == 1 and y_pred.shape[-1] == 1:  # one output unit, 1-D targets
            y_pred = keras.ops.squeeze(y_pred, axis=-1)
        return loss(y_true, keras.ops.cast(y_pred, "float32")) * scale

    state = [keras.ops.convert_to_numpy(v) for v in model.non_trainable_variables]
    try:
        grads = gradients(model, data_loss, x, y, variables)
    finally:
        for variable, value in zip(model.non_trainable_variables, state):
            variable.assign(value)
    return [None if g is None else np.asarray(g, dtype="float32") / scale for g in grads]


def loss_scale(model: keras.Model) -> float:
    """The factor the optimizer scales the loss by before its gradients (mixed_float16: > 1)."""
    if model.optimizer is None:
        return 1.0
    return float(keras.ops.convert_to_numpy(model.optimizer.scale_loss(1.0)))


def kernels(model: keras.Model) -> list[tuple[str, keras.Variable]]:
    """``(layer name, kernel)`` of every trainable conv/dense layer, input side first."""
    from kexp.reporting.macs import leaf_layers

    return [
        (layer.name, layer.kernel)
        for layer in leaf_layers(model)
        if isinstance(getattr(layer, "kernel", None), keras.Variable) and layer.kernel.trainable
    ]


def gradient_rows(model: keras.Model, x: np.ndarray, y: np.ndarray, epoch: int) -> list[dict]:
    """One row per kernel: its gradient's and its own L2 norm at this moment."""
    named = kernels(model)
    grads = loss_gradients(model, x, y, [v for _, v in named])
    return [
        {
            "epoch": epoch,
            "layer": name,
            "depth": depth,
            "grad_norm": float(np.linalg.norm(g)) if g is not None else float("nan"),
            "weight_norm": float(np.linalg.norm(keras.ops.convert_to_numpy(v))),
        }
        for depth, ((name, v), g) in enumerate(zip(named, grads))
    ]


class GradientFlow(keras.callbacks.Callback):
    """Write ``gradients.csv`` / ``gradients.png`` at the start and after every epoch."""

    def __init__(self, x: np.ndarray, y: np.ndarray, run_dir: Path) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.run_dir = Path(run_dir)
        self.rows: list[dict] = []

    def on_train_begin(self, logs: dict | None = None) -> None:
        existing = self.run_dir / GRADIENTS_CSV
        if existing.is_file():  # a resumed run: keep what the first part measured
            self.rows = pd.read_csv(existing).to_dict("records")
        else:
            self._measure(0)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.rows = [r for r in self.rows if r["epoch"] != epoch + 1]
        self._measure(epoch + 1)

    def _measure(self, epoch: int) -> None:
        self.rows += gradient_rows(self.model, self.x, self.y, epoch)
        table = pd.DataFrame(self.rows, columns=COLUMNS)
        write_csv(self.run_dir / GRADIENTS_CSV, table)
        save_gradient_plot(table, self.run_dir / GRADIENTS_PNG)


def fixed_batch(split, size: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The same ``size`` samples of ``split`` (a :class:`~kexp.data.Split`) for every measurement
    (seeded choice; files are decoded once, here)."""
    from kexp.data.prepare import read_rows

    index = np.sort(np.random.default_rng(seed).choice(len(split), size=min(size, len(split)), replace=False))
    return read_rows(split.x, index), split.y[index]


def gradient_figure(table: pd.DataFrame, title: str = ""):
    """Gradient norm against depth, one line per epoch (light = early, dark = late)."""
    import matplotlib
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 5), layout="constrained")
    ax = fig.subplots()
    epochs = sorted(table["epoch"].unique())
    colours = matplotlib.colormaps["viridis"]
    for i, epoch in enumerate(epochs):
        rows = table[table["epoch"] == epoch].sort_values("depth")
        ax.plot(
            rows["depth"],
            rows["grad_norm"],
            marker="o",
            markersize=2.5,
            linewidth=1.2,
            color=colours(i / max(len(epochs) - 1, 1)),
            label="before training" if epoch == 0 else f"epoch {epoch}",
        )
    ax.set_yscale("log")
    ax.set_xlabel("depth (trainable kernel, input side = 0)")
    ax.set_ylabel("‖∂loss/∂kernel‖₂")
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="best", fontsize="small", ncol=2 if len(epochs) > 8 else 1)
    ax.set_title(title or "gradient norm per layer")
    return fig


def save_gradient_plot(table: pd.DataFrame, path: Path, title: str = "") -> None:
    """Write ``gradients.png`` atomically."""
    save_figure(gradient_figure(table, title), path)
