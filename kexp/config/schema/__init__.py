"""Structured-config schemas: the type of every key of the groups with a fixed shape.

One module per config group, as in ``conf/``: :mod:`.trainer`, :mod:`.data`,
:mod:`.regularization`, :mod:`.task`, :mod:`.schedule`, and :mod:`.model`
(one schema per model family). Each dataclass is stored in Hydra's
``ConfigStore`` as the option ``_schema`` (schedules: ``_schema_<name>``) of
its group and named first in the defaults list of the group's YAML files, so
Hydra checks every value's type while composing: ``trainer.epochs=abc`` or
``model.residual=maybe`` fail before anything runs, and ``no``/``yes`` become
booleans instead of truthy strings. The YAML files hold the values (each key's
default is there, once); the dataclasses hold types, and defaults only for the
keys an option may leave out. Ranges and rules between keys stay in
:mod:`kexp.config.validation`.

Model YAMLs are merged with their family's schema by :func:`kexp.config.schema.model.typed_model`
(in validation, before anything runs), which also types a user's own model
YAML from ``--config-dir``.

Imports no Keras: the command line registers these before composing.
"""

from __future__ import annotations

from hydra.core.config_store import ConfigStore

_registered = False


def register_schemas() -> None:
    """Store every schema in Hydra's ConfigStore (once per process)."""
    global _registered
    if _registered:
        return
    from kexp.config.schema import data, model, regularization, schedule, task, trainer

    store = ConfigStore.instance()
    store.store(group="trainer", name="_schema", node=trainer.TrainerConfig)
    store.store(group="data", name="_schema", node=data.DataConfig)
    store.store(group="regularization", name="_schema", node=regularization.RegularizationConfig)
    store.store(group="task", name="_schema", node=task.TaskConfig)
    for name, node in model.FAMILIES.items():
        store.store(group="model", name=f"_schema_{name}", node=node)
    for name, schema in schedule.SCHEMAS.items():
        store.store(group="schedule", name=f"_schema_{name}", node=schema)
    _registered = True
