"""Is a replayed run's result within what the seed alone changes? (``kexp.replay --verify``)

A run that is not bit-for-bit deterministic cannot replay identically; it replays
well when its result is one the run's configuration gives at other seeds. The
seeds are the run's siblings: runs of the same configuration that differ only in
``seed`` (in the run's sweep directory, or under the paths given). With n ≥ 2 of
them (the run itself included), the replayed value is judged against the 95 %
prediction interval of one new run, mean ± t(0.975, n−1) · std · √(1 + 1/n)
(Student t, scipy.stats).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from kexp.reporting.compare.runs import find_runs
from kexp.reporting.compare.table import SEED, swept_keys
from kexp.runs.record import RunRecord, metric_column


def trained_for(run_dir: Path) -> str:
    """The ``metrics.csv`` column of the run's objective (:func:`~kexp.reporting.compare.table.auto_metric`)."""
    from kexp.reporting.compare.runs import read_run
    from kexp.reporting.compare.table import auto_metric

    return metric_column(auto_metric([read_run(Path(run_dir))]))


def seed_values(run_dir: Path, paths: list[Path], metric: str) -> list[float]:
    """``metric`` of each ok run under ``paths`` (and ``run_dir``) with ``run_dir``'s configuration."""
    run_dir = Path(run_dir).resolve()
    runs = {r.path: r for r in find_runs([run_dir, *paths])}
    me = runs.get(run_dir)
    if me is None:
        return []
    keys = [k for k in swept_keys(list(runs.values())) if k != SEED]
    siblings = [r for r in runs.values() if all(r.setting(k) == me.setting(k) for k in keys)]
    values = [float(r.metrics.get(metric, math.nan)) for r in siblings if r.status == "ok"]  # type: ignore[arg-type]
    return [v for v in values if math.isfinite(v)]


def prediction_interval(values: list[float]) -> tuple[float, float]:
    """The 95 % prediction interval of one more value drawn like ``values`` (n ≥ 2)."""
    from scipy import stats

    n = len(values)
    mean, std = float(np.mean(values)), float(np.std(values, ddof=1))
    half = float(stats.t.ppf(0.975, n - 1)) * std * math.sqrt(1 + 1 / n)
    return mean - half, mean + half


def judge(run_dir: Path, replayed: Path, paths: list[Path], metric: str | None = None) -> dict[str, object]:
    """``{verdict: within seed spread | outside seed spread | seeds unknown, …}`` for ``replayed``, judged
    by ``metric`` (default: what the run optimised, ``best_val_loss`` for a regression)."""
    if metric is None:
        metric = trained_for(run_dir)
    values = seed_values(run_dir, paths, metric)
    record = RunRecord.read(replayed)
    value = record.value(metric) if record is not None else math.nan
    if len(values) < 2:
        return {"verdict": "seeds unknown", "seeds": len(values), metric: value}
    low, high = prediction_interval(values)
    inside = low <= value <= high
    return {
        "verdict": "within seed spread" if inside else "outside seed spread",
        "metric": metric,
        "replayed": value,
        "seeds": len(values),
        "seed_values": values,
        "interval_95": [low, high],
    }
