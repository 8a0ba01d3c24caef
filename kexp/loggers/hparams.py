"""TensorBoard's HParams dashboard for a sweep or a search: what varies, over which domain, and how
each job ended.

At the sweep directory's top, the experiment: every key that varies across the jobs as an
hparam with its type and domain — a search's interval or choices as its space defines them
(``hydra.sweeper.params`` and the command line's sweeps, read from ``multirun.yaml``), a grid's
values as the jobs took them — and the metrics kexp reports (``metrics.csv``'s). In each job's
``tensorboard/``: its values (the session's name is its overrides), its start and end time
(``run.yaml``), its status (ok or pruned: success; failed or diverged: failure; interrupted:
unknown) and its final metrics. Written with TensorBoard's own protos and event writer (no
TensorFlow needed).
"""

from __future__ import annotations

import datetime
import time
from pathlib import Path
from typing import Any

from kexp.runs.layout import MULTIRUN_FILE, TENSORBOARD_DIR

#: metrics.csv columns shown in the HParams dashboard.
HPARAMS_METRICS = ("best_val_accuracy", "final_val_accuracy", "test_accuracy", "best_val_loss", "test_loss")
#: How a run's status reads in TensorBoard (its statuses: unknown, success, failure, running).
STATUSES = {
    "ok": "STATUS_SUCCESS",
    "pruned": "STATUS_SUCCESS",
    "failed": "STATUS_FAILURE",
    "diverged": "STATUS_FAILURE",
}


def write_hparams(sweep_dir: Path, jobs: list[tuple[Path, dict[str, str], dict[str, object]]], keys: list[str]) -> None:
    """HParams summaries of a sweep: ``jobs`` are (run dir, overrides, metrics row); ``keys`` the swept keys."""
    from tensorboard.plugins.hparams import api as hp

    values = {run_dir: {key: hparam_value(overrides.get(key, "")) for key in keys} for run_dir, overrides, _ in jobs}
    space = search_domains(sweep_dir)
    params = [hp.HParam(key, space.get(key) or observed_domain([v[key] for v in values.values()])) for key in keys]
    metrics = [hp.Metric(name, display_name=name) for name in HPARAMS_METRICS]
    _write_events(sweep_dir, [_experiment(hp.hparams_config_pb(hparams=params, metrics=metrics))])
    for run_dir, overrides, row in jobs:
        _write_events(run_dir / TENSORBOARD_DIR, session(run_dir, values[run_dir], overrides, row, keys))


def _experiment(summary: Any) -> Any:
    """The experiment summary with every hparam marked as differing across the sessions (each is
    a key the sweep varies; the dashboard otherwise says ``differs: false``)."""
    from tensorboard.plugins.hparams import metadata
    from tensorboard.plugins.hparams import summary as hparams_summary

    experiment = metadata.parse_experiment_plugin_data(summary.value[0].metadata.plugin_data.content)
    for info in experiment.hparam_infos:
        info.differs = True
    return hparams_summary.experiment_pb(list(experiment.hparam_infos), list(experiment.metric_infos))


def session(run_dir: Path, values: dict[str, Any], overrides: dict[str, str], row: dict, keys: list[str]) -> list:
    """One job's summaries: its values and start, its final metrics, its end and status."""
    from tensorboard.plugins.hparams import api as hp
    from tensorboard.plugins.hparams import api_pb2
    from tensorboard.plugins.hparams import summary as hparams_summary
    from tensorboard.plugins.scalar.summary_v2 import scalar_pb

    from kexp.runs.provenance import read_run_file

    facts = read_run_file(run_dir)
    name = ",".join(f"{key}={overrides.get(key, '')}" for key in keys) or run_dir.name
    summaries = [
        hp.hparams_pb(values, trial_id=f"{run_dir.name}: {name}", start_time_secs=_seconds(facts.get("started")))
    ]
    summaries += [scalar_pb(m, float(row[m])) for m in HPARAMS_METRICS if _is_number(row.get(m))]
    status = api_pb2.Status.Value(STATUSES.get(str(row.get("status")), "STATUS_UNKNOWN"))
    summaries.append(hparams_summary.session_end_pb(status, end_time_secs=_seconds(facts.get("finished"))))
    return summaries


def search_domains(sweep_dir: Path) -> dict[str, Any]:
    """The domains a search's space gives its keys (empty for a grid sweep): an interval as
    ``RealInterval``/``IntInterval``, choices as ``Discrete``."""
    from omegaconf import OmegaConf

    path = Path(sweep_dir) / MULTIRUN_FILE
    if not path.is_file():
        return {}
    recorded = OmegaConf.load(path)
    sweeper = OmegaConf.to_container(recorded.hydra.sweeper, resolve=False)
    if not isinstance(sweeper, dict) or not str(sweeper.get("_target_", "")).endswith("KexpOptunaSweeper"):
        return {}
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
    from tensorboard.plugins.hparams import api as hp

    from kexp.search.space import search_space

    task = [str(o) for o in recorded.hydra.overrides.task]
    params = sweeper.get("params")
    found: dict[str, Any] = {}
    for key, chosen in search_space(params if isinstance(params, dict) else None, task).distributions.items():
        if isinstance(chosen, IntDistribution):
            found[key] = hp.IntInterval(int(chosen.low), int(chosen.high))
        elif isinstance(chosen, FloatDistribution):
            found[key] = hp.RealInterval(float(chosen.low), float(chosen.high))
        elif isinstance(chosen, CategoricalDistribution):
            found[key] = observed_domain([hparam_value(str(c)) for c in chosen.choices])
    return found


def observed_domain(values: list[Any]) -> Any:
    """A ``Discrete`` domain of the values the jobs took (all numbers, all booleans, or as text)."""
    from tensorboard.plugins.hparams import api as hp

    distinct = list(dict.fromkeys(values))
    if all(isinstance(v, bool) for v in distinct) or all(isinstance(v, float) for v in distinct):
        return hp.Discrete(sorted(distinct))
    return hp.Discrete(sorted(str(v) for v in distinct))


def hparam_value(text: str) -> float | str | bool:
    """An override's value as TensorBoard shows it: a number when it is one."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def _write_events(log_dir: Path, summaries: list) -> None:
    """One event file in ``log_dir`` holding ``summaries`` (TensorBoard's own writer, no TensorFlow)."""
    from tensorboard.compat.proto import event_pb2, summary_pb2
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    log_dir.mkdir(parents=True, exist_ok=True)
    for old in log_dir.glob("events.out.tfevents.*.hparams"):  # a rerun of the sweep's end
        old.unlink()
    writer = EventFileWriter(str(log_dir), filename_suffix=".hparams")
    for summary in summaries:  # (hp's protos are TensorFlow's own class when it is installed)
        summary = summary_pb2.Summary.FromString(summary.SerializeToString())
        writer.add_event(event_pb2.Event(wall_time=time.time(), step=0, summary=summary))
    writer.close()


def _seconds(stamp: object) -> float | None:
    """An ISO time of ``run.yaml`` as seconds since the epoch (None when absent)."""
    if not stamp:
        return None
    return datetime.datetime.fromisoformat(str(stamp)).timestamp()


def _is_number(value: Any) -> bool:
    try:
        return float(value) == float(value)  # not NaN
    except (TypeError, ValueError):
        return False
