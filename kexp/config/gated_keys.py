"""Keys read only while another setting turns their feature on.

Given on the command line while the feature is off — ``regularization.early_stopping.monitor=val_accuracy``
without a patience, ``task.positive_class=3`` with ``task=multiclass`` — such a key would change
nothing, so it is one line naming what turns it on (an option that nothing reads is an error). In a
sweep a key is refused only where no job reads it: ``patience=null,5`` with a monitor compares
early stopping off and on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError


@dataclass(frozen=True)
class Gate:
    """``keys`` are read only where the value of ``switch`` passes ``is_on``; ``how`` says what turns them on."""

    keys: tuple[str, ...]
    switch: str
    is_on: Callable[[object], bool]
    how: str

    def opens(self, cfg: DictConfig) -> bool:
        """Whether ``cfg`` reads :attr:`keys`."""
        return self.is_on(OmegaConf.select(cfg, self.switch, default=None))


class SecondPhaseGate(Gate):
    """Fine-tuning's phase-2 keys: read only where phase 2 comes, ``freeze_epochs`` < ``trainer.epochs``
    (a run frozen for all its epochs is a legitimate frozen-backbone run, without a phase 2)."""

    def opens(self, cfg: DictConfig) -> bool:
        """Whether ``cfg`` reads :attr:`keys`: phase 2 comes."""
        freeze = OmegaConf.select(cfg, self.switch, default=None)
        return bool(freeze) and int(freeze) < int(OmegaConf.select(cfg, "trainer.epochs", default=0) or 0)


def _is_set(value: object) -> bool:
    return value is not None


_EARLY_STOPPING = tuple(f"regularization.early_stopping.{k}" for k in ("monitor", "min_delta", "restore_best_weights"))
GATES = (
    Gate(
        _EARLY_STOPPING,
        "regularization.early_stopping.patience",
        _is_set,
        "early stopping is on (regularization.early_stopping.patience=N)",
    ),
    Gate(("trainer.checkpoint.monitor",), "trainer.checkpoint.best", bool, "trainer.checkpoint.best=true"),
    Gate(("trainer.save_optimizer",), "trainer.save_model", bool, "the model is saved (trainer.save_model=true)"),
    Gate(("data.cache_dir",), "data.cache", lambda cache: cache == "disk", "data.cache=disk"),
    Gate(("task.positive_class",), "task.name", lambda name: name == "binary", "task=binary"),
    SecondPhaseGate(
        ("trainer.fine_tune.learning_rate", "trainer.fine_tune.unfreeze_layers"),
        "trainer.fine_tune.freeze_epochs",
        bool,
        "two phases are trained (trainer.fine_tune.freeze_epochs=N below trainer.epochs, with model=backbone)",
    ),
    Gate(
        ("trainer.distributed.coordinator", "trainer.distributed.timeout"),
        "trainer.distributed.num_processes",
        lambda count: int(count or 1) > 1,  # type: ignore[call-overload]
        "several processes train (trainer.distributed.num_processes=N)",
    ),
    Gate(
        ("data.flippable",),
        "regularization.augment.flip",
        lambda flip: flip == "auto",
        "regularization.augment.flip=auto",
    ),
    Gate(("model.maxout_pieces",), "model.activation", lambda name: name == "maxout", "model.activation=maxout"),
    Gate(
        ("model.leaky_relu_slope",),
        "model.activation",
        lambda name: name == "leaky_relu",
        "model.activation=leaky_relu",
    ),
    Gate(
        ("model.rrelu_lower", "model.rrelu_upper"),
        "model.activation",
        lambda name: name == "rrelu",
        "model.activation=rrelu",
    ),
    Gate(
        ("model.aux_weight",),
        "model.aux_after",
        bool,
        "GoogLeNet has auxiliary heads (model.aux_after lists where)",
    ),
    Gate(("model.aux_after",), "model.aux_weight", bool, "model.aux_weight > 0 (0 removes the auxiliary heads)"),
    Gate(
        ("regularization.sparsity_weight",),
        "regularization.sparsity_target",
        _is_set,
        "regularization.sparsity_target is set",
    ),
    Gate(
        ("regularization.sparsity_target",),
        "regularization.sparsity_weight",
        bool,
        "regularization.sparsity_weight > 0",
    ),
)
_GATE_OF = {key: gate for gate in GATES for key in gate.keys}


class UnreadKeys:
    """The gated keys of a command line's jobs, and whether any job reads each."""

    def __init__(self) -> None:
        self._read: dict[str, bool] = {}  # override text -> read by some job

    def see(self, job: list[str], cfg: DictConfig) -> None:
        """Note which gated keys of ``job`` (its override texts) its config ``cfg`` reads."""
        for text in job:
            key, _, value = text.partition("=")
            gate = _GATE_OF.get(key.lstrip("+"))
            if gate is not None and value != "null":
                self._read[text] = self._read.get(text, False) or gate.opens(cfg)

    def check(self) -> None:
        """A :class:`ConfigError` for the first gated key that no job read."""
        for text, read in self._read.items():
            if not read:
                key, _, value = text.partition("=")
                gate = _GATE_OF[key.lstrip("+")]
                raise ConfigError.bad_value(
                    key, value, f"read only when {gate.how}, not so in this command: it would change nothing"
                )
