"""What Adam-family optimizers share: the two moment slots and their update."""

from __future__ import annotations

import keras
from keras import ops


class AdamMoments(keras.optimizers.Optimizer):
    """Base for optimizers that keep Adam's moments ``m_t`` and ``v_t`` per variable.

    Subclasses call :meth:`update_moments` at the start of ``update_step`` and
    use what it returns to take their own step.
    """

    def __init__(self, learning_rate: float, beta_1: float, beta_2: float, epsilon: float, name: str, **kwargs) -> None:
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        """One first-moment and one second-moment slot per variable."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])

    def update_moments(self, gradient, variable, learning_rate):
        """Update ``m`` and ``v`` for ``variable``; return ``(lr, step, m, v, β1, β2)`` in its dtype.

        ``m ← β1·m + (1 − β1)·g``, ``v ← β2·v + (1 − β2)·g²``; ``step`` is t (from 1).
        """
        dtype = variable.dtype
        gradient = ops.cast(gradient, dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        # Betas in the variable's dtype: a Python float would pass through float32 first.
        beta_1, beta_2 = ops.cast(self.beta_1, dtype), ops.cast(self.beta_2, dtype)
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m), 1 - beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v), 1 - beta_2))
        return ops.cast(learning_rate, dtype), ops.cast(self.iterations + 1, dtype), m, v, beta_1, beta_2

    def get_config(self) -> dict:
        """Constructor arguments, for saving with the model."""
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
