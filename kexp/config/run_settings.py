"""The boundary: a composed, validated config becomes typed objects, once, where a run starts.

:func:`run_settings` turns the ``DictConfig`` Hydra composed into a :class:`RunSettings`
of dataclasses — each group's structured schema (:mod:`kexp.config.schema`) filled by
``OmegaConf.to_object``: ``settings.trainer`` is a :class:`TrainerConfig`,
``settings.model`` its family's dataclass (:class:`CnnConfig`, :class:`VitConfig`, ...).
Below this point no function takes the composed config: the pipeline hands each
layer its own part (the model builders their model's dataclass and the
regularization, the trainer its :class:`TrainerConfig`, each logger its section),
the way lightning-hydra-template's ``train()`` instantiates its parts and then fits.

Groups without a fixed shape stay plain containers with their ``_target_``:
``optimizer`` (any Keras optimizer's constructor arguments, built by
``hydra.utils.instantiate``) and the ``logger`` sections. :func:`run_identity` is
what a failure record needs, read so that it cannot fail itself (a model YAML
without ``name``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig, ListConfig, OmegaConf

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig
    from kexp.config.schema.model import ModelConfig
    from kexp.config.schema.optimizer import OptimizerSettings
    from kexp.config.schema.regularization import RegularizationConfig
    from kexp.config.schema.task import TaskConfig
    from kexp.config.schema.trainer import TrainerConfig
    from kexp.search.settings import SearchSettings

#: ``optimizer.learning_rate=find``: a learning-rate range test picks the rate first.
FIND = "find"


@dataclass(frozen=True)
class RunIdentity:
    """The names a run's record carries; ``"?"`` where the config lacks one."""

    name: str
    model: str
    optimizer: str


@dataclass(frozen=True)
class TrialSettings:
    """A run that is trial ``number`` of a search: where it reports its epochs (``hparams_search.*``)."""

    number: int
    storage: str | None
    study_name: str
    search: SearchSettings


@dataclass
class RunSettings:
    """One run's config as typed objects: each group's dataclass, and the run's own keys."""

    name: str
    seed: int
    data: DataConfig
    model: ModelConfig
    optimizer: OptimizerSettings
    schedule: Any  # the schedule's dataclass (kexp.config.schema.schedule.SCHEMAS)
    regularization: RegularizationConfig
    task: TaskConfig
    trainer: TrainerConfig
    #: logger name → its options (``logger.<name>``), the run directory's files (csv) left out
    loggers: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: the resolved config flattened (``{"model.name": "cnn", ...}``): what trackers log as params
    params: dict[str, Any] = field(default_factory=dict)
    trial: TrialSettings | None = None

    @property
    def finds_learning_rate(self) -> bool:
        """``optimizer.learning_rate=find``: a range test picks the rate before training."""
        return str(self.optimizer.learning_rate) == FIND

    @property
    def fine_tunes(self) -> bool:
        """A backbone trained frozen first (``trainer.fine_tune.freeze_epochs`` > 0), then unfrozen."""
        return int(self.trainer.fine_tune.freeze_epochs or 0) > 0


def run_settings(cfg: DictConfig) -> RunSettings:
    """``cfg`` (composed and validated) as typed objects."""
    from kexp.config.flat import flat_config
    from kexp.config.schema.optimizer import OptimizerSettings
    from kexp.config.schema.schedule import SCHEMAS as SCHEDULES
    from kexp.config.schema.trainer import TrainerConfig

    return RunSettings(
        name=str(cfg.name),
        seed=int(cfg.seed),
        data=data_settings(cfg.data),
        model=model_settings(cfg.model),
        optimizer=OptimizerSettings.of(_plain(cfg.optimizer)),
        schedule=_typed(cfg.schedule, SCHEDULES.get(str(cfg.schedule.get("name")))),
        regularization=regularization_settings(cfg.regularization),
        task=task_settings(cfg.task),
        trainer=_typed(cfg.trainer, TrainerConfig),
        loggers={str(name): _plain(options) or {} for name, options in (cfg.get("logger") or {}).items()},
        params=flat_config(cfg),
        trial=trial_settings(cfg),
    )


def model_settings(node: DictConfig) -> Any:
    """The ``model`` node as its family's dataclass (typed, defaults filled: a ``--config-dir`` YAML
    that names no schema too); a family of one's own, which has no dataclass, as a read-only
    ``DictConfig`` of its resolved keys."""
    from kexp.config.schema.model import typed_model

    typed = typed_model(node)
    if OmegaConf.get_type(typed) in (dict, None):
        return OmegaConf.create(OmegaConf.to_container(typed, resolve=True), flags={"readonly": True})
    return OmegaConf.to_object(typed)


def regularization_settings(node: DictConfig) -> RegularizationConfig:
    """The ``regularization`` node as its dataclass."""
    from kexp.config.schema.regularization import RegularizationConfig

    return _typed(node, RegularizationConfig)


def data_settings(node: DictConfig) -> DataConfig:
    """The ``data`` node as its dataclass; a value still ``???`` stays that string (validation checks the
    data before it checks that nothing is missing, and says which key)."""
    from kexp.config.schema.data import DataConfig

    return DataConfig(**OmegaConf.to_container(node, resolve=True, throw_on_missing=False))  # type: ignore[arg-type]


def trial_settings(cfg: DictConfig) -> TrialSettings | None:
    """The trial a search's run is (``hparams_search.trial``), or None for a run outside a search."""
    search = cfg.get("hparams_search")
    if search is None or search.get("trial") is None:
        return None
    from kexp.search.settings import SearchSettings

    return TrialSettings(
        number=int(search.trial),
        storage=None if search.storage is None else str(search.storage),
        study_name=str(search.study_name),
        search=SearchSettings.read(search, cfg.get("objective"), str(cfg.task.name), int(cfg.trainer.epochs), None),
    )


def is_search(cfg: DictConfig) -> bool:
    """Whether ``cfg`` chooses a search (``hparams_search=optuna``): the sweeper's config, or a trial's."""
    return OmegaConf.select(cfg, "hparams_search.study_name") is not None


def search_size(cfg: DictConfig) -> tuple[int, int | None, int, int]:
    """A search's ``hydra.sweeper.n_trials``, ``hparams_search.budget.trials`` (None: no budget),
    ``hparams_search.confirm.top_k`` (0: none) and ``confirm.seeds``, as ``--plan`` counts them."""
    search = cfg.hparams_search
    budget = search.budget.trials
    return (
        int(cfg.hydra.sweeper.n_trials),
        None if budget is None else int(budget),
        int(search.confirm.top_k or 0),
        int(search.confirm.seeds),
    )


def sweeper_class(cfg: DictConfig) -> str:
    """The class name of the chosen sweeper (``hydra.sweeper._target_``'s last part)."""
    return str(OmegaConf.select(cfg, "hydra.sweeper._target_", default="")).rsplit(".", 1)[-1]


def race_sweeper(cfg: DictConfig) -> dict[str, Any] | None:
    """The racing sweeper's node (``hydra/sweeper=race``), resolved; None for another sweeper."""
    if sweeper_class(cfg) != "KexpRaceSweeper":
        return None
    return _plain(OmegaConf.select(cfg, "hydra.sweeper"))


def swept_params(cfg: DictConfig) -> dict[str, Any]:
    """What the sweeper itself sweeps (``hydra.sweeper.params``: a preset's grid, a search's space)."""
    return _plain(OmegaConf.select(cfg, "hydra.sweeper.params")) or {}


def chosen_options(cfg: DictConfig) -> dict[str, Any]:
    """Each config group's chosen option (``hydra.runtime.choices``: ``{"model": "cnn", ...}``)."""
    return _plain(OmegaConf.select(cfg, "hydra.runtime.choices")) or {}


def run_identity(cfg: DictConfig) -> RunIdentity:
    """The run's names for the record of a failure, each ``"?"`` where missing or unresolvable."""
    return RunIdentity(_known(cfg, "name"), _known(cfg, "model.name"), _known(cfg, "optimizer.name"))


def objectives(cfg: DictConfig) -> str | list[str]:
    """``objective``: one metric name, or a list of them."""
    if isinstance(cfg.objective, ListConfig):
        return [str(name) for name in cfg.objective]
    return str(cfg.objective)


def _known(cfg: DictConfig, key: str) -> str:
    value = OmegaConf.select(cfg, key, default=None, throw_on_resolution_failure=False)
    return "?" if value is None else str(value)


def _typed(node: Any, schema: type | None) -> Any:
    """``node`` as its group's dataclass ``schema`` (interpolations resolved): a node Hydra composed
    carries its schema already; a plain one (a saved run's config, the range test's) is typed here.
    Without a schema (a schedule of one's own), a plain container."""
    if OmegaConf.get_type(node) not in (dict, None):
        return OmegaConf.to_object(node)
    if schema is None:
        return _plain(node)
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), _plain(node)))


def task_settings(node: DictConfig) -> TaskConfig:
    """The ``task`` node as its dataclass — of a config Hydra composed, or of a saved run's
    ``.hydra/config.yaml`` (a plain mapping, typed here)."""
    from kexp.config.schema.task import TaskConfig

    return _typed(node, TaskConfig)


def _plain(node: Any) -> Any:
    return OmegaConf.to_container(node, resolve=True) if OmegaConf.is_config(node) else node
