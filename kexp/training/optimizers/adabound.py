"""AdaBound (Luo et al. 2019, "Adaptive Gradient Methods with Dynamic Bound of Learning Rate").

Adam whose per-parameter step size is clipped into bounds that start wide
(Adam) and close in on ``final_lr`` (SGD) as training goes on:

    η̂_t = lr · sqrt(1 − β2^t) / (1 − β1^t) / (sqrt(v_t) + ε)
    lower_t = final_lr · (1 − 1 / (γ t + 1)),   upper_t = final_lr · (1 + 1 / (γ t))
    θ ← θ − clip(η̂_t, lower_t, upper_t) · m_t

As in the authors' code, ``final_lr`` follows the learning rate when a
schedule changes it (it is scaled by ``lr / initial learning rate``).
Written with ``keras.ops`` only, so it runs on every Keras backend.
"""

from __future__ import annotations

import keras
from keras import ops

from kexp.training.optimizers.moments import AdamMoments


@keras.saving.register_keras_serializable(package="kexp")
class AdaBound(AdamMoments):
    """AdaBound; ``final_lr`` is the SGD rate it converges to, ``gamma`` how fast."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        final_lr: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        gamma: float = 1e-3,
        epsilon: float = 1e-8,
        name: str = "adabound",
        **kwargs,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)
        self.final_lr = final_lr
        self.gamma = gamma
        self.initial_learning_rate = float(learning_rate) if isinstance(learning_rate, (int, float)) else None

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One AdaBound step for ``variable``."""
        lr, step, m, v, beta_1, beta_2 = self.update_moments(gradient, variable, learning_rate)
        final_lr = self.final_lr * (lr / self.initial_learning_rate if self.initial_learning_rate else 1.0)
        lower = final_lr * (1 - 1 / (self.gamma * step + 1))
        upper = final_lr * (1 + 1 / (self.gamma * step))
        step_size = lr * ops.sqrt(1 - ops.power(beta_2, step)) / (1 - ops.power(beta_1, step))
        bounded = ops.clip(ops.divide(step_size, ops.add(ops.sqrt(v), self.epsilon)), lower, upper)
        self.assign_sub(variable, ops.multiply(bounded, m))

    def get_config(self) -> dict:
        """Constructor arguments, for saving with the model."""
        return {**super().get_config(), "final_lr": self.final_lr, "gamma": self.gamma}
