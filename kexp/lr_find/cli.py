"""``python -m kexp.lr_find [key=value ...]``: which learning rate to train with.

Runs the learning-rate range test (:mod:`kexp.lr_find.settings`) on the
model, data and optimizer that ``python -m kexp`` with the same overrides would
train, writes ``lr_find.csv``, ``lr_find.png`` and ``lr_find.yaml`` into a new
directory (``outputs/lr_find/<date>_<time>`` unless ``--out`` says where) and
prints the suggestion with the command that trains with it. Config errors are
one line and exit 2, found before TensorFlow is imported; an error leaves no
directory behind.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from omegaconf import DictConfig, OmegaConf

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import ConfigError, KexpError

if TYPE_CHECKING:
    from kexp.config.run_settings import RunSettings

log = logging.getLogger("kexp")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kexp.lr_find",
        description="Learning-rate range test (Smith 2017) of the config python -m kexp would train.",
    )
    parser.add_argument("overrides", nargs="*", help="key=value, as for python -m kexp (e.g. model=resnet20)")
    parser.add_argument("--start", type=float, default=1e-7, help="the first batch's rate (default 1e-7)")
    parser.add_argument("--end", type=float, default=10.0, help="the last batch's rate (default 10)")
    parser.add_argument("--steps", type=int, default=100, help="batches per test at most (default 100)")
    parser.add_argument("--repeats", type=int, default=3, help="tests, each with its own seed (default 3)")
    parser.add_argument("--out", type=Path, help="output directory (default outputs/lr_find/<date>_<time>)")
    return parser.parse_intermixed_args(argv)


def compose_run_config(overrides: list[str]) -> DictConfig:
    """The checked config ``python -m kexp OVERRIDES`` would run (one job), without Hydra's own node."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    from kexp.cli.main import paths_as_typed, register_resolvers
    from kexp.cli.preflight import preflight

    register_resolvers()
    argv = paths_as_typed(overrides)
    try:
        sweeps = [o for o in OverridesParser.create().parse_overrides(argv) if o.is_sweep_override()]
    except HydraException:  # (not valid overrides: preflight says which, in one line)
        sweeps = []
    if sweeps or any(a in ("-m", "--multirun") for a in argv):
        shown = str(sweeps[0].input_line) if sweeps else "-m"
        raise ConfigError(f"{shown} — the range test takes one value per key (it tests one config)")
    cfg = preflight(argv)
    if cfg is None:  # (--help and the like)
        raise ConfigError(f"{' '.join(overrides)} — give key=value overrides, as for python -m kexp")
    container = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(container, dict)
    container.pop("hydra", None)
    return OmegaConf.create(container)


def main(argv: list[str] | None = None) -> int:
    """The command line: one line on stderr and exit 2 for a user error."""
    from kexp.lr_find.settings import RangeTestSettings

    args = parse_args(argv)
    settings = RangeTestSettings(args.start, args.end, args.steps, args.repeats)
    out: Path | None = None
    try:
        settings.check()
        cfg = compose_run_config(args.overrides)
        if str(cfg.optimizer.learning_rate) == "find":
            raise ConfigError("optimizer.learning_rate=find — the range test varies the rate itself; leave it out")
        from kexp.runs.directory import new_directory
        from kexp.runs.layout import LR_FIND_DIR, OUTPUT_ROOT
        from kexp.runs.saved import timestamp

        out = new_directory(args.out or Path(OUTPUT_ROOT) / LR_FIND_DIR / timestamp(), key="--out", what="the output")
        from kexp.config.run_settings import run_settings

        summary = find(run_settings(cfg), settings, out)
    except BaseException as err:  # (a half-written test is not a result: its directory goes)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
        if not isinstance(err, KexpError):
            raise
        print(err.one_line(), file=sys.stderr)
        return 2
    shown = " ".join(f"{s:.3g}" for s in cast(list, summary["suggestions"]))
    print(f"kexp: range test written to {out}")
    print(
        f"kexp: suggested optimizer.learning_rate={summary['suggestion']:.3g} "
        f"(repeats {shown}; spread {summary['spread']:.2f}x)"
    )
    kept = [o for o in args.overrides if not o.startswith("optimizer.learning_rate=")]
    command = shlex.join(["python", "-m", "kexp", *kept, f"optimizer.learning_rate={summary['suggestion']:.3g}"])
    print(f"kexp: to train with it: {command}")
    return 0


def find(run: RunSettings, settings, out: Path) -> dict[str, object]:
    """Load the data of ``run``, start the backend, run the tests, write the files into ``out``; the summary."""
    from kexp.backends.quiet import import_keras_quietly

    import_keras_quietly()  # (before the modules below import Keras: no start-up lines)
    from kexp.backends.start import start_backend
    from kexp.data import load_data
    from kexp.lr_find.in_run import at_rate, write_range_test
    from kexp.lr_find.range_test import range_test
    from kexp.runs.pipeline import build_and_compile, streamed_data
    from kexp.training.tasks import Task

    logging.basicConfig(level=logging.INFO, format="[%(asctime)s][%(name)s][%(levelname)s] - %(message)s")
    task = Task.from_settings(run.task, run.regularization.label_smoothing)
    data = load_data(run.data, seed=run.seed)
    task.check_fits(data, run.data.name)
    data = task.prepare(data)
    start_backend(run.seed, deterministic=run.trainer.deterministic, precision=run.trainer.precision)
    data = streamed_data(run.data, data, out)
    tested = at_rate(run, settings.start)

    def build():
        return build_and_compile(tested, data, task).model

    result = range_test(build, data, settings, batch_size=int(run.trainer.batch_size), seed=run.seed)
    return write_range_test(out, result, settings, title=f"{run.name}: learning-rate range test")
