"""Types of the ``optimizer`` group (values: ``conf/optimizer/<name>.yaml``).

An optimizer YAML is a Keras optimizer's constructor call: ``_target_`` (its class) and its
arguments, which differ from one optimizer to the next (Adam's ``beta_1``, SGD's ``momentum``),
so they stay a mapping; what kexp itself reads — the class, the short ``name`` and the
``learning_rate`` — are typed fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class OptimizerSettings:
    """``optimizer``: the class (``_target_``) and its constructor's arguments (``name`` among them:
    the YAML's short name, which Keras keeps as the optimizer's name)."""

    target: str
    arguments: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, node: Mapping[str, Any]) -> OptimizerSettings:
        """The ``optimizer`` node (a mapping with ``_target_``)."""
        arguments = {str(key): value for key, value in node.items() if key != "_target_"}
        return cls(str(node.get("_target_")), arguments)

    @property
    def name(self) -> str:
        """The YAML's short name (``adam``)."""
        return str(self.arguments.get("name"))

    @property
    def learning_rate(self) -> Any:
        """``optimizer.learning_rate``: a number, or ``find`` (a range test picks it first)."""
        return self.arguments.get("learning_rate")

    def at_rate(self, learning_rate: float) -> OptimizerSettings:
        """The same optimizer at another ``learning_rate``."""
        return dataclasses.replace(self, arguments={**self.arguments, "learning_rate": learning_rate})

    def call(self) -> dict[str, Any]:
        """The mapping ``hydra.utils.instantiate`` makes the optimizer from."""
        return {"_target_": self.target, **self.arguments}
