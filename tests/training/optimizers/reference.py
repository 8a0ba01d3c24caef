"""NumPy transcriptions of the papers' update rules, and a fixed quadratic to run them on."""

from __future__ import annotations

import numpy as np

#: f(θ) = ½ θᵀAθ − bᵀθ with a badly conditioned A (gradients differ per coordinate).
A = np.diag([4.0, 1.0, 0.25, 0.05])
B = np.array([1.0, -2.0, 0.5, 3.0])
THETA0 = np.array([0.5, 1.5, -1.0, 2.0])


def gradient(theta: np.ndarray) -> np.ndarray:
    """∇f(θ) = Aθ − b."""
    return A @ theta - B


def radam_steps(theta, steps, lr=0.01, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """Algorithm 2 of Liu et al. (2019); yields θ after every step."""
    m = v = np.zeros_like(theta)
    rho_inf = 2 / (1 - beta_2) - 1
    for t in range(1, steps + 1):
        g = gradient(theta)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        m_hat = m / (1 - beta_1 ** t)
        rho_t = rho_inf - 2 * t * beta_2 ** t / (1 - beta_2 ** t)
        if rho_t > 4:
            l_t = np.sqrt(1 - beta_2 ** t) / (np.sqrt(v) + eps)
            r_t = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            theta = theta - lr * r_t * m_hat * l_t
        else:
            theta = theta - lr * m_hat
        yield theta


def adabound_steps(theta, steps, lr=0.01, final_lr=0.1, beta_1=0.9, beta_2=0.999, gamma=1e-3,
                   eps=1e-8):
    """Algorithm 3 of Luo et al. (2019) with the authors' bias correction; yields θ per step."""
    m = v = np.zeros_like(theta)
    for t in range(1, steps + 1):
        g = gradient(theta)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        step_size = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        lower = final_lr * (1 - 1 / (gamma * t + 1))
        upper = final_lr * (1 + 1 / (gamma * t))
        theta = theta - np.clip(step_size / (np.sqrt(v) + eps), lower, upper) * m
        yield theta


def keras_steps(optimizer, theta, steps):
    """The same loop through a Keras optimizer (float64 variable, NumPy gradients)."""
    import keras

    variable = keras.Variable(theta, dtype="float64")
    for _ in range(steps):
        grad = gradient(keras.ops.convert_to_numpy(variable))
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(grad, "float64"), variable)])
        yield keras.ops.convert_to_numpy(variable)
