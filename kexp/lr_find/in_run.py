"""The range test's files in a directory, and ``optimizer.learning_rate=find`` in a run.

``python -m kexp.lr_find`` writes ``lr_find.csv``/``.png``/``.yaml`` into a
directory of its own; a run with ``optimizer.learning_rate=find`` writes them
into its run directory, trains with the suggestion and records it in
``run.yaml`` (``learning_rate_found``). A resumed run reads its suggestion
back from ``lr_find.yaml`` instead of testing again, so it continues with the
rate it started with.
"""

from __future__ import annotations

import copy
import logging
from pathlib import Path

import yaml
from omegaconf import DictConfig, open_dict

from kexp.runs import atomic, layout

log = logging.getLogger("kexp")

#: The value of ``optimizer.learning_rate`` that asks for a range test first.
FIND = "find"


def wants_range_test(cfg: DictConfig) -> bool:
    """Whether ``optimizer.learning_rate`` is ``find``."""
    return str(cfg.optimizer.get("learning_rate")) == FIND


def write_range_test(out_dir: Path, result, settings, title: str = "") -> dict[str, object]:
    """``lr_find.csv``, ``lr_find.png`` and ``lr_find.yaml`` (the summary, returned) into ``out_dir``."""
    from kexp.lr_find.plot import save_lr_find_plot

    atomic.write_csv(out_dir / layout.LR_FIND_CSV, result.curves)
    save_lr_find_plot(result.curves, result.suggestions, result.suggestion, out_dir / layout.LR_FIND_PNG, title)
    summary = result.summary(settings)
    atomic.write_text(out_dir / layout.LR_FIND_YAML, yaml.safe_dump(summary, sort_keys=False))
    return summary


def with_found_rate(cfg: DictConfig, data, run_dir: Path, build) -> DictConfig:
    """``cfg`` with ``optimizer.learning_rate`` set to the range test's suggestion (tested once per run).

    ``build(cfg)`` makes a fresh compiled model. The test's models are other instances: afterwards the seed is set again, so
    the model trained next starts from the weights it would have had with that
    rate given directly.
    """
    import keras

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
        result = range_test(cfg, data, settings, build)
        write_range_test(run_dir, result, settings, title=f"{cfg.name}: learning-rate range test")
        rate = result.suggestion
        log.info(
            "optimizer.learning_rate=find: %.3g (repeats %s; spread %.2fx)",
            rate,
            ", ".join(f"{s:.3g}" for s in result.suggestions),
            result.spread,
        )
        keras.utils.set_random_seed(int(cfg.seed))
    facts = read_run_file(run_dir)
    facts["learning_rate_found"] = rate
    write_run_file(run_dir, facts)
    found = copy.deepcopy(cfg)
    with open_dict(found):
        found.optimizer.learning_rate = rate
    return found
