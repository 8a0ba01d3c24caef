"""``hparams_search.*`` read and checked once, before anything runs (preflight) and by the sweeper.

Every mistake is one line naming the key, the value and what is allowed:
an unknown sampler or pruner (or an option they do not take), pruning with
an objective that has no value per epoch (``objective=test_accuracy``) or
with several objectives, a grid over an ``interval``, a budget or a
confirmation that cannot be met.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omegaconf import DictConfig, ListConfig, OmegaConf

from kexp.config.errors import ConfigError
from kexp.runs.record import check_objective, metric_column, objective_direction, objective_metric

#: Metrics a run records once, at its end: a pruner cannot see them epoch by epoch.
_PER_EPOCH = {
    "best_val_accuracy": ("val_accuracy", "max"),
    "final_val_accuracy": ("val_accuracy", "last"),
    "best_val_loss": ("val_loss", "min"),
    "final_val_loss": ("val_loss", "last"),
    "final_loss": ("loss", "last"),
}


def objectives_of(objective: Any) -> list[str]:
    """``objective`` as a list: one name, or several (``objective=[val_accuracy,parameters]``)."""
    if isinstance(objective, (list, tuple, ListConfig)):
        return [str(o) for o in objective]
    return [str(objective)]


def epoch_metric(objective: str, task: str) -> tuple[str, str] | None:
    """``(history.csv column, how the epochs make the objective: max | min | last)``, or None when
    the objective has no value per epoch (test scores, parameters, seconds)."""
    return _PER_EPOCH.get(metric_column(objective_metric(objective, task)))


@dataclass
class SearchSettings:
    """What the sweeper and each trial's run need of ``hparams_search``."""

    objectives: list[str]
    directions: list[str]
    task: str = "multiclass"
    epochs: int = 1
    seed: int | None = 0
    sampler: str = "tpe"
    sampler_options: dict = field(default_factory=dict)
    pruner: str = "none"
    pruner_options: dict = field(default_factory=dict)
    heartbeat: dict = field(default_factory=dict)
    budget_trials: int | None = None
    budget_minutes: float | None = None
    confirm_top_k: int = 0
    confirm_seeds: int = 3

    @classmethod
    def read(cls, search: Any, objective: Any, task: str, epochs: int, seed: int | None) -> SearchSettings:
        """The settings of the ``hparams_search`` node (a DictConfig or dict), checked."""
        node = _plain(search) or {}
        given = objectives_of(_plain(objective) if objective is not None else "auto")
        objectives = [objective_metric(o, task) for o in given]  # (auto → val_accuracy or val_loss)
        budget, confirm = node.get("budget") or {}, node.get("confirm") or {}
        settings = cls(
            objectives=objectives,
            directions=[objective_direction(o, task) for o in objectives],
            task=task,
            epochs=int(epochs),
            seed=seed,
            sampler=str(node.get("sampler", "tpe")),
            sampler_options=dict(node.get("sampler_options") or {}),
            pruner=str(node.get("pruner", "none")),
            pruner_options=dict(node.get("pruner_options") or {}),
            heartbeat=dict(node.get("heartbeat") or {}),
            budget_trials=budget.get("trials"),
            budget_minutes=budget.get("minutes"),
            confirm_top_k=confirm.get("top_k") or 0,
            confirm_seeds=int(confirm["seeds"]) if confirm.get("seeds") is not None else 3,
        )
        settings.check()
        return settings

    @classmethod
    def of_sweeper(cls, sweeper: Mapping[str, Any]) -> SearchSettings:
        """The settings of the sweeper's node (``hydra.sweeper``, resolved: its ``search`` is
        ``hparams_search``), read the same way by the preflight and by the searcher."""
        from kexp.search.plugin_spellings import (
            check_custom_search_space,
            check_directions,
            check_sweeper_keys,
            sampler_spelling,
            sweeper_keys,
        )

        check_sweeper_keys(sweeper, sweeper_keys("optuna"), "the Optuna search")
        check_counts(sweeper)
        check_custom_search_space(sweeper.get("custom_search_space"))
        search = dict(_plain(sweeper.get("search")) or {})
        spelled = sampler_spelling(sweeper.get("sampler"))
        if spelled is not None:  # (Hydra's Optuna plugin's spelling: hydra/sweeper/sampler=tpe, or a _target_)
            search["sampler"] = spelled[0]
            search["sampler_options"] = {**(search.get("sampler_options") or {}), **spelled[1]}
        settings = cls.read(
            search,
            sweeper.get("objective"),
            str(sweeper.get("task")),
            int(sweeper["epochs"]),
            (sweeper.get("sampler") or {}).get("seed"),
        )
        check_directions(sweeper.get("direction"), settings.objectives, settings.directions)
        return settings

    @property
    def several(self) -> bool:
        """Whether the search has several objectives (a Pareto front instead of one best)."""
        return len(self.objectives) > 1

    @property
    def prunes(self) -> bool:
        """Whether trials report every epoch and may be stopped early."""
        return self.pruner != "none"

    def check(self) -> None:
        """ConfigError (one line) for a setting that cannot work."""
        from kexp.search.pruners import make_pruner
        from kexp.search.samplers import MULTI_OBJECTIVE, check_options, sampler_class

        check_objective(self.objectives, self.task)
        check_options("sampler", self.sampler, sampler_class(self.sampler), self.sampler_options)
        if self.several and self.sampler not in MULTI_OBJECTIVE:
            raise ConfigError(
                f"hparams_search.sampler={self.sampler} — takes one objective; with objective="
                f"[{','.join(self.objectives)}] use one of {', '.join(MULTI_OBJECTIVE)}"
            )
        make_pruner(self.pruner, self.pruner_options, self.epochs)  # (unknown name or option)
        if self.prunes and self.several:
            raise ConfigError(
                f"hparams_search.pruner={self.pruner} — Optuna prunes single-objective studies only; "
                f"objective=[{','.join(self.objectives)}] needs hparams_search.pruner=none"
            )
        if self.prunes and epoch_metric(self.objectives[0], self.task) is None:
            raise ConfigError(
                f"hparams_search.pruner={self.pruner} — needs an objective with a value every epoch; "
                f"objective={self.objectives[0]} is known only at the end: use val_accuracy, val_loss, "
                "final_val_accuracy, final_val_loss or final_loss, or hparams_search.pruner=none"
            )
        _positive("hparams_search.budget.trials", self.budget_trials, integer=True)
        _positive("hparams_search.budget.minutes", self.budget_minutes, integer=False)
        _positive("hparams_search.confirm.top_k", self.confirm_top_k or None, integer=True)
        if self.confirm_top_k:
            _positive("hparams_search.confirm.seeds", self.confirm_seeds, integer=True)
            if self.confirm_seeds < 2:
                raise ConfigError.bad_value(
                    "hparams_search.confirm.seeds", self.confirm_seeds, "at least 2 (an interval needs two seeds)"
                )
            if self.several:
                raise ConfigError.bad_value(
                    "hparams_search.confirm.top_k",
                    self.confirm_top_k,
                    "0 with several objectives (a Pareto front has no top K)",
                )
        if self.heartbeat.get("interval") is not None:
            _positive("hparams_search.heartbeat.interval", self.heartbeat["interval"], integer=True)

    def check_against(self, n_trials: int, grid_size: int | None, trials_so_far: int) -> None:
        """ConfigError for a budget, confirmation or grid that this search cannot meet."""
        if self.budget_trials is not None and self.budget_trials <= trials_so_far:
            raise ConfigError.bad_value(
                "hparams_search.budget.trials",
                self.budget_trials,
                f"more than the {trials_so_far} trials the study already has (or a new study_name)",
            )
        if self.confirm_top_k and self.confirm_top_k > trials_so_far + n_trials:
            raise ConfigError.bad_value(
                "hparams_search.confirm.top_k",
                self.confirm_top_k,
                f"at most the {trials_so_far + n_trials} trials the study will have (hydra.sweeper.n_trials={n_trials})",
            )
        if self.sampler == "grid" and grid_size is None:
            raise ConfigError(
                "hparams_search.sampler=grid — needs every parameter as choice(…) or range(…); "
                "an interval(…) has no grid"
            )


def _positive(key: str, value: Any, integer: bool) -> None:
    if value is None:
        return
    ok = isinstance(value, int) and not isinstance(value, bool) if integer else isinstance(value, (int, float))
    if not ok or value <= 0:
        raise ConfigError.bad_value(key, value, "a positive whole number" if integer else "a positive number")


def check_counts(sweeper: Mapping[str, Any]) -> None:
    """ConfigError for ``hydra.sweeper.n_trials``/``n_jobs`` that are not counts, or a
    ``max_failure_rate`` that is not a share (each was a traceback, or 0 trials run and exit 0, or 1
    job at a time for ``n_jobs=-1``)."""
    for key in ("n_trials", "n_jobs"):
        _positive(f"hydra.sweeper.{key}", sweeper.get(key), integer=True)
    rate = sweeper.get("max_failure_rate")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1):
        raise ConfigError.bad_value(
            "hydra.sweeper.max_failure_rate", rate, "the share of a batch's jobs that may fail, from 0 to 1"
        )


def _plain(node: Any) -> Any:
    if isinstance(node, (DictConfig, ListConfig)):
        return OmegaConf.to_container(node, resolve=True)
    return node


__all__ = ["SearchSettings", "epoch_metric", "objectives_of"]
