"""The range test itself: a Keras callback that raises the rate per batch, run over repeats.

What it suggests and why: :mod:`kexp.lr_find.settings`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import keras
import pandas as pd

from kexp.compat.keras import set_random_seed
from kexp.lr_find.settings import BETA, STOP_FACTOR, RangeTestResult, RangeTestSettings, suggest


class RangeTest(keras.callbacks.Callback):
    """Raise the rate exponentially per batch, record each batch's loss, stop when it blows up.

    Keras's batch logs hold the running mean of the epoch's loss, weighted by
    the batch sizes; each batch's own loss is recovered from two consecutive
    means (``samples`` and ``batch_size`` give the weights).
    """

    def __init__(self, settings: RangeTestSettings, samples: int, batch_size: int) -> None:
        super().__init__()
        self.settings = settings
        self.samples, self.batch_size = samples, batch_size
        self.rows: list[dict[str, float]] = []
        self._step, self._average, self._best = 0, 0.0, math.inf
        self._previous_total, self._seen = 0.0, 0

    def rate(self, step: int) -> float:
        """The rate of batch ``step``: ``start · (end/start)^(step/(steps−1))``."""
        s = self.settings
        return s.start * (s.end / s.start) ** (step / (s.steps - 1))

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self._previous_total, self._seen = 0.0, 0

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        self.model.optimizer.learning_rate = self.rate(self._step)

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        mean = float((logs or {}).get("loss", math.nan))
        size = min(self.batch_size, self.samples - self._seen)
        self._seen += size
        total = mean * self._seen
        loss = (total - self._previous_total) / size
        self._previous_total = total
        self._average = BETA * self._average + (1 - BETA) * loss
        smoothed = self._average / (1 - BETA ** (self._step + 1))
        self.rows.append(
            {"step": self._step, "learning_rate": self.rate(self._step), "loss": loss, "smoothed_loss": smoothed}
        )
        self._step += 1
        blown_up = not math.isfinite(smoothed) or (self._step > 1 and smoothed > STOP_FACTOR * self._best)
        self._best = min(self._best, smoothed) if math.isfinite(smoothed) else self._best
        if blown_up or self._step >= self.settings.steps:
            self.model.stop_training = True


def range_test(
    build: Callable[[], keras.Model], data, settings: RangeTestSettings, batch_size: int, seed: int
) -> RangeTestResult:
    """Run ``settings.repeats`` range tests on ``data``'s training split, with batches of ``batch_size``,
    the repeats seeded ``seed``, ``seed + 1``, ...

    ``build()`` makes a fresh model compiled with the optimizer at ``settings.start``, one
    batch per compiled call as ``compile`` leaves it (the rate changes every batch): the run's own builder
    (:func:`kexp.runs.pipeline.build_and_compile`).
    """
    from kexp.data.pipeline import training_inputs

    settings.check()
    samples = len(data.train)
    per_epoch = math.ceil(samples / batch_size)
    epochs = math.ceil(settings.steps / per_epoch)
    frames, suggestions = [], []
    for repeat in range(settings.repeats):
        set_random_seed(seed + repeat)
        model = build()
        test = RangeTest(settings, samples, batch_size)
        inputs = training_inputs(data.train, batch_size, seed + repeat, 0, epochs)
        model.fit(**inputs, epochs=epochs, callbacks=[test], verbose=0)
        curve = pd.DataFrame(test.rows).assign(repeat=repeat + 1, seed=seed + repeat)
        frames.append(curve)
        suggestions.append(suggest(curve))
        del model
        keras.utils.clear_session()
    columns = ["repeat", "seed", "step", "learning_rate", "loss", "smoothed_loss"]
    return RangeTestResult(pd.concat(frames, ignore_index=True)[columns], suggestions)
