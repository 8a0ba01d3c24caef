"""Rectified Adam (Liu et al. 2019, "On the Variance of the Adaptive Learning Rate and Beyond").

Adam's adaptive step has a large variance in the first steps, when few
squared gradients have been averaged. RAdam estimates the length ρ_t of the
simple moving average that the exponential one approximates,

    ρ∞ = 2 / (1 − β2) − 1,    ρ_t = ρ∞ − 2 t β2^t / (1 − β2^t),

and while ρ_t ≤ ``rho_threshold`` (the paper: 4) takes an un-adapted momentum
step ``θ ← θ − lr · m̂_t``. Afterwards it takes Adam's step scaled by the
variance rectification term

    r_t = sqrt((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t)),
    θ ← θ − lr · r_t · m̂_t · sqrt(1 − β2^t) / (sqrt(v_t) + ε).

Written with ``keras.ops`` only, so it runs on every Keras backend.
"""

from __future__ import annotations

import keras
from keras import ops

from kexp.training.optimizers.moments import AdamMoments


@keras.saving.register_keras_serializable(package="kexp")
class RAdam(AdamMoments):
    """Rectified Adam; ``beta_1``, ``beta_2``, ``epsilon`` as in Adam."""

    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        rho_threshold: float = 4.0,
        name: str = "radam",
        **kwargs,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, name=name, **kwargs)
        self.rho_threshold = rho_threshold

    def update_step(self, gradient, variable, learning_rate) -> None:
        """One RAdam step for ``variable``."""
        lr, step, m, v, beta_1, beta_2 = self.update_moments(gradient, variable, learning_rate)
        beta_1_power, beta_2_power = ops.power(beta_1, step), ops.power(beta_2, step)
        m_hat = ops.divide(m, 1 - beta_1_power)
        rho_inf = 2 / (1 - beta_2) - 1
        rho_t = rho_inf - 2 * step * beta_2_power / (1 - beta_2_power)
        rectified = rho_t > self.rho_threshold
        # Guard the square root's argument so the unused branch stays finite.
        safe_rho_t = ops.where(rectified, rho_t, rho_inf)
        r_t = ops.sqrt((safe_rho_t - 4) * (safe_rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * safe_rho_t))
        adaptive = ops.divide(ops.sqrt(1 - beta_2_power), ops.add(ops.sqrt(v), self.epsilon))
        step_direction = ops.where(rectified, ops.multiply(r_t, ops.multiply(m_hat, adaptive)), m_hat)
        self.assign_sub(variable, ops.multiply(lr, step_direction))

    def get_config(self) -> dict:
        """Constructor arguments, for saving with the model."""
        return {**super().get_config(), "rho_threshold": self.rho_threshold}
