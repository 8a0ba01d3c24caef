"""The learning-rate range test (Smith 2017): which ``optimizer.learning_rate`` to train with.

The configured model is trained from fresh weights for at most ``steps``
batches while the rate grows exponentially per batch from ``start`` to
``end``; each batch's loss is smoothed (an exponential moving average with
bias correction) and the test stops once the smoothed loss exceeds four
times its minimum. A single test's suggestion moves with the seed and the
batches (a known weakness of fastai's and Lightning's finders), so kexp runs
``repeats`` tests, each with its own seed (initial weights and batch order),
and suggests the **geometric median** of their suggestions; the spread
(largest ÷ smallest) says how far to trust it.

Each test suggests **a tenth of the rate at its lowest smoothed loss**: the
lowest point is where the rate starts to be too large for this net, and a
tenth of it is still on the steep, falling part of the curve (the rule of
thumb of Smith's paper and of fastai's ``lr_min``). The model trained after a
test (``optimizer.learning_rate=find``) is another instance: the test never
touches its weights or its optimizer state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Where a test stops: the smoothed loss above this multiple of its minimum.
STOP_FACTOR = 4.0
#: The smoothing of the loss (fastai's and Lightning's 0.98).
BETA = 0.98
# (the test itself, which needs Keras, is kexp.lr_find.range_test: this module imports no Keras,
# so the command line checks its settings before TensorFlow loads)


@dataclass
class RangeTestSettings:
    """How the range test runs (the ``python -m kexp.lr_find`` flags)."""

    start: float = 1e-7
    end: float = 10.0
    steps: int = 100
    repeats: int = 3

    def check(self) -> None:
        """One-line errors for settings that cannot make a test."""
        from kexp.config.errors import ConfigError

        if not (self.start > 0 and self.end > self.start):
            raise ConfigError(f"--start {self.start:g} --end {self.end:g} — need 0 < start < end, e.g. 1e-7 and 10")
        if self.steps < 10:
            raise ConfigError(f"--steps {self.steps} — must be at least 10 batches")
        if self.repeats < 1:
            raise ConfigError(f"--repeats {self.repeats} — must be at least 1")


@dataclass
class RangeTestResult:
    """The curves of every repeat and what they suggest."""

    curves: pd.DataFrame  # repeat, seed, step, learning_rate, loss, smoothed_loss
    suggestions: list[float] = field(default_factory=list)

    @property
    def suggestion(self) -> float:
        """The geometric median of the repeats' suggestions."""
        return float(10 ** np.median(np.log10(self.suggestions)))

    @property
    def spread(self) -> float:
        """Largest suggestion ÷ smallest (1.0: the repeats agree)."""
        return float(max(self.suggestions) / min(self.suggestions))

    def summary(self, settings: RangeTestSettings) -> dict[str, object]:
        """What ``lr_find.yaml`` and ``run.yaml`` record."""
        return {
            "suggestion": self.suggestion,
            "suggestions": [float(s) for s in self.suggestions],
            "spread": self.spread,
            "rule": "a tenth of the rate at the lowest smoothed loss; geometric median over the repeats",
            "start": settings.start,
            "end": settings.end,
            "steps": settings.steps,
            "repeats": settings.repeats,
        }


def suggest(curve: pd.DataFrame) -> float:
    """A tenth of the rate at the lowest smoothed loss of one test."""
    finite = curve[np.isfinite(curve["smoothed_loss"])]
    return float(finite.loc[finite["smoothed_loss"].idxmin(), "learning_rate"] / 10)
