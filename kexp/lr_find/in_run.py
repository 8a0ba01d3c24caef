"""The range test's files in a directory, and ``optimizer.learning_rate=find`` in a run.

``python -m kexp.lr_find`` writes ``lr_find.csv``/``.png``/``.yaml`` into a
directory of its own; a run with ``optimizer.learning_rate=find`` writes them
into its run directory, trains with the suggestion and records it in
``run.yaml`` (``learning_rate_found``). A resumed run reads its suggestion
back from ``lr_find.yaml`` instead of testing again, so it continues with the
rate it started with.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from kexp.config.run_settings import FIND
from kexp.runs import atomic, layout

if TYPE_CHECKING:
    import keras

    from kexp.config.run_settings import RunSettings

log = logging.getLogger("kexp")


def write_range_test(out_dir: Path, result, settings, title: str = "") -> dict[str, object]:
    """``lr_find.csv``, ``lr_find.png`` and ``lr_find.yaml`` (the summary, returned) into ``out_dir``."""
    from kexp.lr_find.plot import save_lr_find_plot

    atomic.write_csv(out_dir / layout.LR_FIND_CSV, result.curves)
    save_lr_find_plot(result.curves, result.suggestions, result.suggestion, out_dir / layout.LR_FIND_PNG, title)
    summary = result.summary(settings)
    atomic.write_text(out_dir / layout.LR_FIND_YAML, yaml.safe_dump(summary, sort_keys=False))
    return summary


def with_found_rate(run: RunSettings, data, run_dir: Path, build: Callable[[RunSettings], keras.Model]) -> RunSettings:
    """``run`` with ``optimizer.learning_rate`` (and a schedule's ``learning_rate`` that followed it) set
    to the range test's suggestion (tested once per run).

    ``build(settings)`` makes a fresh compiled model. The test's models are other instances: afterwards the seed is set again, so
    the model trained next starts from the weights it would have had with that
    rate given directly.
    """
    from kexp.compat.keras import set_random_seed
    from kexp.lr_find.range_test import range_test
    from kexp.lr_find.settings import RangeTestSettings
    from kexp.runs.provenance import read_run_file, write_run_file

    stored = run_dir / layout.LR_FIND_YAML
    if stored.is_file():
        rate = float(yaml.safe_load(stored.read_text())["suggestion"])
        log.info("optimizer.learning_rate=find: %.3g, as found when this run started (%s)", rate, stored.name)
    else:
        settings = RangeTestSettings()
        log.info(
            "optimizer.learning_rate=find: %d range tests from %g to %g over at most %d batches",
            settings.repeats,
            settings.start,
            settings.end,
            settings.steps,
        )
        result = range_test(
            lambda: build(at_rate(run, settings.start)),
            data,
            settings,
            batch_size=int(run.trainer.batch_size),
            seed=run.seed,
        )
        write_range_test(run_dir, result, settings, title=f"{run.name}: learning-rate range test")
        rate = result.suggestion
        log.info(
            "optimizer.learning_rate=find: %.3g (repeats %s; spread %.2fx)",
            rate,
            ", ".join(f"{s:.3g}" for s in result.suggestions),
            result.spread,
        )
        set_random_seed(run.seed)
    facts = read_run_file(run_dir)
    facts["learning_rate_found"] = rate
    write_run_file(run_dir, facts)
    return at_rate(run, rate)


def at_rate(run: RunSettings, rate: float) -> RunSettings:
    """``run`` with the optimizer at ``rate`` — and the schedule, where its rate was the optimizer's
    (``learning_rate: find``)."""
    schedule = run.schedule
    if str(getattr(schedule, "learning_rate", None)) == FIND:
        schedule = dataclasses.replace(schedule, learning_rate=rate)
    return dataclasses.replace(run, optimizer=run.optimizer.at_rate(rate), schedule=schedule)
