"""The trained model of a run as an MLflow model (the Keras flavour), optionally registered.

``mlflow.keras.log_model`` writes an ``MLmodel`` with the model's signature and an input
example, so that ``mlflow.keras.load_model("runs:/<id>/model")`` and ``mlflow.pyfunc``
load it, the run lists it as its logged model (``search_logged_models``, the UI's Models
column), and ``logger.mlflow.register_as=NAME`` registers it in the model registry. The
model is read back from ``model.keras`` uncompiled: the MLflow copy carries no optimizer
(serving and evaluation need none; fine-tuning compiles anew). A model with kexp's own layers
loads where ``kexp.models`` is imported (it registers them with Keras).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

log = logging.getLogger("kexp")

#: The logged model's name in the run (``runs:/<id>/model``).
MODEL_NAME = "model"


def input_example(input_shape: tuple[int, ...], rows: int = 2) -> np.ndarray:
    """A float32 batch of the model's input shape in [0, 1] (kexp scales its inputs so), seeded."""
    return np.random.default_rng(0).random((rows, *input_shape), dtype=np.float32)


class KerasFlavor:
    """``mlflow.keras`` whose ``save_model`` gets its folder made first: MLflow's writes the input
    example before it creates the folder (mlflow/mlflow#16183, open in 3.17: ``FileNotFoundError:
    …/model/input_example.json``). Everything else is MLflow's own Keras flavour."""

    @staticmethod
    def save_model(path: str, **kwargs: object) -> None:
        import mlflow.keras

        os.makedirs(path, exist_ok=True)
        mlflow.keras.save_model(path=path, **kwargs)


#: The import names whose packages a served model needs, by Keras backend (besides ``keras`` and
#: ``numpy``; MLflow adds itself).
BACKEND_MODULES = {"tensorflow": ["tensorflow"], "jax": ["jax", "jaxlib"], "torch": ["torch"]}


def pip_requirements(backend: str) -> list[str] | None:
    """The logged model's pip requirements, pinned to what this process runs: ``keras``, ``numpy``
    and the backend's packages, the list MLflow's own inference wrote for kexp's models (checked on
    TensorFlow, MLflow 3.17). Given, they spare MLflow that inference, which loads the saved model in
    a new Python process: 15 s of the 19 s each logged model took on 2 CPU cores. None (MLflow then
    infers them) for another backend, or when a module's installed distribution is not found."""
    from importlib.metadata import packages_distributions, version

    if backend not in BACKEND_MODULES:
        return None
    distributions = packages_distributions()
    modules = ["keras", "numpy", *BACKEND_MODULES[backend]]
    if not all(distributions.get(module) for module in modules):
        return None
    # (the first distribution of each: tensorflow-cpu, say, where that provides tensorflow)
    return [f"{name}=={version(name)}" for name in (distributions[module][0] for module in modules)]


def log_keras_model(model_file: Path, register_as: str | None = None) -> str | None:
    """Log ``model_file`` (a run's ``model.keras``) as the active run's MLflow model; its model id."""
    import keras
    import mlflow
    from mlflow.models import infer_signature

    from kexp.models import MODELS

    MODELS.names()  # (kexp's layers registered with Keras before the file is read)
    model = keras.saving.load_model(model_file, compile=False)
    example = input_example(tuple(int(d) for d in model.input_shape[1:]))
    signature = infer_signature(example, np.asarray(model.predict(example, verbose=0)))
    info = mlflow.models.Model.log(  # (mlflow.keras.log_model, with the flavour below)
        artifact_path=None,
        name=MODEL_NAME,
        flavor=KerasFlavor,
        flavor_name=mlflow.keras.__name__,
        model=model,
        signature=signature,
        input_example=example,
        pip_requirements=pip_requirements(keras.backend.backend()),
        registered_model_name=register_as,
    )
    if register_as:
        log.info("mlflow: model registered as %s", register_as)
    return getattr(info, "model_id", None)
