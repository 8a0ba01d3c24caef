"""``logger=mlflow``: each run an MLflow run; each sweep a parent run with its jobs nested.

What a run logs: the resolved config flattened as params (``model.name``,
``optimizer.learning_rate``, ...); every epoch's metrics through MLflow's Keras
callback, the step being ``history.csv``'s epoch (1, 2, ...); at the end the
``metrics.csv`` numbers (``test_accuracy``, ``best_val_accuracy``, ...); tags
(``kexp.status``, ``kexp.run_dir``, sweep directory and job number, git
commit); the run's files (curves.png, history.csv, metrics.csv, model.txt,
run.yaml, per-class scores, confusion matrix, the Hydra config) and
``model.keras`` as artifacts. Status: ok → FINISHED, diverged or failed →
FAILED, interrupted → KILLED; the next start of an interrupted run reopens the
same MLflow run (its id is kept in ``.kexp/mlflow.yaml``).

The store: ``logger.mlflow.tracking_uri``, else ``$MLFLOW_TRACKING_URI``, else an
SQLite database ``outputs/mlflow.db`` under the working directory (artifacts in
``outputs/mlartifacts``). Jobs of a sweep find their parent run through
``<sweep dir>/.kexp/mlflow-parent.yaml``, created under a file lock by the
first job (launchers may run jobs in other processes or on other machines);
:class:`kexp.loggers.sweep.TrackSweep` ends it when the sweep ends.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from kexp.config.errors import ConfigError
from kexp.loggers import LOGGERS, RunLogger, TrackedRun
from kexp.runs import layout
from kexp.runs.directory import file_lock
from kexp.runs.layout import MLFLOW_PARENT_STATE, MLFLOW_STATE

log = logging.getLogger("kexp")

STATE_FILE = MLFLOW_STATE
PARENT_FILE = MLFLOW_PARENT_STATE
DEFAULT_STORE = Path(layout.OUTPUT_ROOT) / layout.MLFLOW_DB
#: MLflow's run status for each way a kexp run ends.
MLFLOW_STATUS = {"ok": "FINISHED", "diverged": "FAILED", "failed": "FAILED", "interrupted": "KILLED"}
#: Files of the run directory logged as artifacts (those that exist).
ARTIFACT_FILES = layout.ARTIFACT_FILES
#: MLflow's limit on a param value's length.
MAX_PARAM_LENGTH = 6000


def check_installed() -> None:
    """A one-line ConfigError when the mlflow package is missing."""
    if importlib.util.find_spec("mlflow") is None:
        raise ConfigError.bad_value("logger", "[...,mlflow]", "needs the mlflow package (pip install 'kexp[mlflow]')")


def tracking_uri(options: Mapping[str, Any]) -> str:
    """``logger.mlflow.tracking_uri``, ``$MLFLOW_TRACKING_URI`` or ``sqlite:///<cwd>/outputs/mlflow.db``
    (``options``: the ``logger.mlflow`` section)."""
    uri = options.get("tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI")
    return uri or f"sqlite:///{(Path.cwd() / DEFAULT_STORE).as_posix()}"


def experiment_name(options: Mapping[str, Any]) -> str:
    """``logger.mlflow.experiment_name``; else the ``experiment=`` preset chosen; else ``kexp``."""
    name = options.get("experiment_name")
    if name:
        return str(name)
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        preset = HydraConfig.get().runtime.choices.get("experiment")
        if preset and preset != "null":
            return str(preset)
    return "kexp"


def flat_params(params: Mapping[str, Any]) -> dict[str, str]:
    """The resolved config (flat) as MLflow params: ``{"model.name": "cnn", "optimizer.learning_rate": "0.001", ...}``."""
    return {key: str(value)[:MAX_PARAM_LENGTH] for key, value in params.items()}


def open_store(uri: str):
    """``(client, artifact_root)`` for ``uri``; a ConfigError naming the URI when it cannot be opened.

    An SQLite store is created (with its schema) under a lock beside it, so that
    parallel jobs do not race to migrate it; its artifacts go beside it.
    """
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")  # a dead server: seconds, not minutes
    import mlflow
    from mlflow import MlflowClient

    artifact_root = None
    lock: contextlib.AbstractContextManager = contextlib.nullcontext()
    if uri.startswith("sqlite:///"):
        database = Path(uri.removeprefix("sqlite:///"))
        if not database.is_absolute():
            database = Path.cwd() / database
        try:
            database.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise _store_error(uri, err.strerror or str(err)) from err
        artifact_root = (database.parent / "mlartifacts").as_uri()
        lock = file_lock(database.with_name(database.name + ".lock"))
    try:
        with lock:
            mlflow.set_tracking_uri(uri)
            client = MlflowClient(uri)
            client.search_experiments(max_results=1)  # opens (and for SQLite creates) the store
    except Exception as err:  # MLflow raises many kinds; all mean "this store cannot be used"
        raise _store_error(uri, str(err).splitlines()[0] if str(err) else type(err).__name__) from err
    return client, artifact_root


def _store_error(uri: str, reason: str) -> ConfigError:
    return ConfigError(f"logger.mlflow.tracking_uri={uri} — cannot open the MLflow tracking store ({reason[:200]})")


def experiment_id(client, name: str, artifact_root: str | None) -> str:
    """The id of the MLflow experiment ``name``, created when missing (another job may create it first)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is None:
        try:
            return client.create_experiment(name, artifact_location=artifact_root and f"{artifact_root}/{name}")
        except MlflowException:  # created by a parallel job meanwhile
            found = client.get_experiment_by_name(name)
    if found.lifecycle_stage == "deleted":
        client.restore_experiment(found.experiment_id)
    return found.experiment_id


def sweep_parent(client, experiment: str, sweep_dir: Path, tags: dict[str, str]) -> str:
    """The id of the sweep's parent run, created by the first job that asks."""
    state = sweep_dir / PARENT_FILE
    with file_lock(state.with_suffix(".lock")):
        if state.is_file():  # (a rerun of the sweep: the parent runs again)
            run_id = str(yaml.safe_load(state.read_text())["run_id"])
            client.update_run(run_id, status="RUNNING")
            return run_id
        parent = client.create_run(experiment, run_name=f"sweep {sweep_dir.name}", tags=tags)
        state.write_text(yaml.safe_dump({"run_id": parent.info.run_id, "tracking_uri": client.tracking_uri}))
        return parent.info.run_id


def _epoch_callback():
    """MLflow's Keras callback, logging each epoch's metrics with history.csv's epoch (1, 2, ...) as step.

    Its ``on_train_begin`` (optimizer params, an 80-column summary) and
    ``on_test_end`` (validation metrics without a step) are left out: kexp logs
    the whole config as params, model.txt as an artifact, and the epoch logs
    already hold the ``val_*`` metrics.
    """
    from mlflow import log_metrics
    from mlflow.keras import MlflowCallback

    class EpochMetrics(MlflowCallback):
        def on_train_begin(self, logs=None):
            pass

        def on_test_end(self, logs=None):
            pass

        def on_epoch_end(self, epoch, logs=None):
            if logs:
                log_metrics({key: float(value) for key, value in logs.items()}, step=epoch + 1, synchronous=False)

    return EpochMetrics()


@LOGGERS.register("mlflow")
class MlflowLogger(RunLogger):
    """The MLflow run of one kexp run (active in this process from open to end)."""

    @classmethod
    def check(cls, options: Mapping[str, Any]) -> None:
        check_installed()

    @classmethod
    def open(cls, options: Mapping[str, Any], run: TrackedRun, run_dir: Path) -> MlflowLogger:
        """Start (or, for a resumed run, reopen) the run's MLflow run and log its params."""
        return cls(options, run_dir, start_run(options, run, run_dir))

    def __init__(self, options: Mapping[str, Any], run_dir: Path, run_id: str) -> None:
        self.options = options
        self.run_dir = run_dir
        self.run_id = run_id

    def callbacks(self) -> list:
        return [_epoch_callback()]

    def end(self, status: str, record=None) -> None:
        import mlflow

        if record is not None:
            row = record.row()
            mlflow.log_metrics(
                {
                    key: float(value)
                    for key, value in row.items()
                    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
                }
            )
            if row.get("error"):
                mlflow.set_tag("kexp.error", str(row["error"])[:5000])
        from kexp.runs import figure_helper

        figure_helper.wait()  # (a sweep's figures may still be being written)
        for name in ARTIFACT_FILES:
            path = self.run_dir / name
            if path.is_file():
                mlflow.log_artifact(str(path), artifact_path=str(Path(name).parent) if "/" in name else None)
        model = self.run_dir / layout.MODEL_FILE
        if status == "ok" and self.options.get("log_model", True) and model.is_file():
            from kexp.loggers.mlflow_model import log_keras_model

            log_keras_model(model, self.options.get("register_as"))
        mlflow.set_tag("kexp.status", status)
        mlflow.flush_async_logging()
        mlflow.end_run(MLFLOW_STATUS.get(status, "FAILED"))


def _run_tags(name: str, run_dir: Path) -> tuple[dict[str, str], Path | None]:
    """Tags of a new run, and its sweep directory (None for a single run)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    from kexp.runs.provenance import git_state, package_versions

    tags = {"kexp.run_dir": str(run_dir.resolve()), "kexp.name": name, "kexp.overrides": _overrides()}
    if version := package_versions().get("kexp"):
        tags["kexp.version"] = version
    if git := git_state(Path.cwd()):
        tags["mlflow.source.git.commit"] = str(git["commit"])
        tags["kexp.git_dirty"] = str(git["dirty"]).lower()
    sweep_dir = None
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        hydra_cfg = HydraConfig.get()
        sweep_dir = Path(hydra_cfg.sweep.dir).resolve()
        tags["kexp.sweep_dir"] = str(sweep_dir)
        tags["kexp.job"] = str(hydra_cfg.job.num)
    return tags, sweep_dir


def _overrides() -> str:
    """The run's command-line overrides (Hydra's ``overrides.task``), on every run, single or swept."""
    from hydra.core.hydra_config import HydraConfig

    return ",".join(HydraConfig.get().overrides.task)[:5000] if HydraConfig.initialized() else ""


def _run_name(name: str, sweep_dir: Path | None) -> str:
    """``name`` (e.g. ``cnn-adam``), with ``#<job number>`` in a sweep (the overrides are a tag)."""
    from hydra.core.hydra_config import HydraConfig

    return f"{name} #{HydraConfig.get().job.num}" if sweep_dir is not None else name


def start_run(options: Mapping[str, Any], run: TrackedRun, run_dir: Path) -> str:
    """Start (or, for a resumed run, reopen) the run's MLflow run, log its params; its id."""
    check_installed()
    import mlflow

    uri = tracking_uri(options)
    client, artifact_root = open_store(uri)
    experiment = experiment_id(client, experiment_name(options), artifact_root)
    state = run_dir / STATE_FILE
    known = yaml.safe_load(state.read_text()) if state.is_file() else None
    params = flat_params(run.params)
    if known and known.get("tracking_uri") == uri:
        mlflow.start_run(run_id=known["run_id"])
        logged = client.get_run(known["run_id"]).data.params
        params = {k: v for k, v in params.items() if k not in logged}  # params cannot change
        log.info("mlflow: continuing run %s in %s", known["run_id"], uri)
    else:
        tags, sweep_dir = _run_tags(run.name, run_dir)
        parent = None
        if sweep_dir is not None:
            parent = sweep_parent(
                client, experiment, sweep_dir, {"kexp.sweep_dir": str(sweep_dir), "kexp.sweep": "true"}
            )
        started = mlflow.start_run(
            experiment_id=experiment, run_name=_run_name(run.name, sweep_dir), tags=tags, parent_run_id=parent
        )
        from kexp.runs.atomic import write_text

        state.parent.mkdir(exist_ok=True)
        write_text(
            state, yaml.safe_dump({"run_id": started.info.run_id, "tracking_uri": uri, "experiment_id": experiment})
        )
        log.info("mlflow: run %s in %s (experiment %s)", started.info.run_id, uri, experiment_name(options))
    mlflow.log_params(params)
    mlflow.set_tag("kexp.status", "running")
    return mlflow.active_run().info.run_id  # type: ignore[union-attr]  # (OmegaConf/Hydra/MLflow return types are wider than their use here)
