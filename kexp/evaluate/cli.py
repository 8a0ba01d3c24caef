"""``python -m kexp.evaluate RUN_DIR [key=value ...] [--out DIR]``: score a saved run again.

Reloads ``model.keras`` with the run's resolved config and evaluates it on the
run's test split (rebuilt exactly: same data config and seed) or, with
overrides such as ``data.path=OTHER_DIR``, on the test split of other data.
Writes ``metrics.csv`` (the compiled metrics as ``test_*``, the number of
samples), ``per_class.csv``, ``confusion_matrix.csv``/``.png`` and
``evaluation.yaml`` (what was evaluated, by which command, with which versions)
into a new directory: ``RUN_DIR/evaluations/<date>_<time>`` unless ``--out``
says where. The training run's own files are never touched; an error leaves
no directory behind. Errors are one line, exit 2.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import ConfigError, DataError, KexpError
from kexp.config.overrides import with_overrides
from kexp.runs.layout import EVALUATION_FILE, EVALUATIONS_DIR, METRICS_FILE
from kexp.runs.saved import finished_run_config, new_directory, timestamp


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kexp.evaluate",
        description="Evaluate a finished kexp run's model.keras on its test split or on other data.",
    )
    parser.add_argument("run_dir", type=Path, help="a run directory with model.keras")
    parser.add_argument(
        "overrides",
        nargs="*",
        metavar="KEY=VALUE",
        help="optional: changes of the run's config, e.g. data.path=OTHER_DIR (its test split is evaluated)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        dest="everything",
        help="score every sample of the data (all its splits, no data.train_size/test_size subsample): new data whole",
    )
    parser.add_argument("--out", type=Path, help="output directory (default RUN_DIR/evaluations/<time>)")
    parser.add_argument("--batch-size", type=int, help="default: the run's trainer.batch_size")
    return parser.parse_intermixed_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line: one line on stderr and exit 2 for a user error."""
    args = parse_args(argv)
    try:
        out = evaluate_run(args.run_dir, args.overrides, args.out, args.batch_size, args.everything)
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    print(f"kexp: evaluation written to {out}")
    print(pd.read_csv(out / METRICS_FILE).dropna(axis="columns", how="all").to_string(index=False))  # (no origin: NaN)
    return 0


def evaluate_run(
    run_dir: Path,
    overrides: list[str],
    out: Path | None = None,
    batch_size: int | None = None,
    everything: bool = False,
) -> Path:
    """Evaluate ``run_dir``'s model as the module docstring says (``everything``: on every sample
    of the data, not its test split); the directory written."""
    from kexp.data.bad_images import bad_images_named

    run_dir = Path(run_dir)
    whole = [o for o in overrides if o.partition("=")[0] == "data.test_split" and _is_one(o.partition("=")[2])]
    if whole:  # a test split of all the data: what --all does
        overrides, everything = [o for o in overrides if o not in whole], True
    check_batch_size(batch_size, overrides)
    cfg, data, model, backend = load_scoring(run_dir, overrides, everything)
    out = new_directory(Path(out) if out else run_dir / EVALUATIONS_DIR / timestamp())
    try:
        with bad_images_named(data):
            write_evaluation(model, data, str(cfg.name), out, batch_size or int(cfg.trainer.batch_size), everything)
        write_provenance(
            out, run_dir, [*overrides, *(["--all"] if everything else [])], cfg.seed, backend, len(data.y_test)
        )
    except BaseException:
        shutil.rmtree(out, ignore_errors=True)
        raise
    return out


def _is_one(text: str) -> bool:
    try:
        return float(text) == 1.0
    except ValueError:
        return False


#: What ``--all`` turns off: the run's subsamples of its own data.
SUBSAMPLES = ("data.train_size", "data.test_size", "data.imbalance")
#: The keys of a run's config that scoring reads: where the data comes from and how it is split,
#: and the batch size; the rest (model, optimizer, trainer) made the saved model and is not read again.
SCORING_KEYS = ("data.", "trainer.batch_size")
#: ``data`` keys that shape only the training split (its size, its validation hold-out, weights,
#: augmentation, imbalance): the test split a saved model is scored on is the same whatever they say.
#: With ``--all`` the subsamples (:data:`SUBSAMPLES`) are read again: every sample is scored.
TRAINING_ONLY = ("data.train_size", "data.val_split", "data.sample_weight", "data.flippable", "data.imbalance")


def check_batch_size(batch_size: int | None, overrides: list[str]) -> None:
    """A :class:`ConfigError` for ``--batch-size`` below 1, or given beside ``trainer.batch_size=…``
    (one of the two would be left unread)."""
    if batch_size is None:
        return
    if batch_size < 1:
        raise ConfigError.bad_value("--batch-size", str(batch_size), "must be at least 1")
    both = [o for o in overrides if o.lstrip("+").partition("=")[0] == SCORING_KEYS[1]]
    if both:
        raise ConfigError(f"--batch-size {batch_size} and {both[0]} — give one of them")


def check_scoring_keys(overrides: list[str], everything: bool = False) -> None:
    """A :class:`ConfigError` for an override of a key that scoring a saved model does not read
    (``trainer.epochs=3``, ``model.filters=[16]``, ``data.train_size=100`` without ``--all``): it
    would change nothing."""
    for override in overrides:
        key, _, value = override.partition("=")
        key = key.lstrip("+")
        if not key.startswith(SCORING_KEYS[0]) and key != SCORING_KEYS[1]:
            raise ConfigError.bad_value(
                key,
                value,
                "not read when a saved model is scored (it was trained with the run's config); "
                "scoring reads data.* keys and trainer.batch_size",
            )
        if key in TRAINING_ONLY and not (everything and key in SUBSAMPLES):
            read_with_all = " (kexp.evaluate --all reads it: every sample is scored)" if key in SUBSAMPLES else ""
            raise ConfigError.bad_value(
                key, value, f"shapes only the training split, not the test split that is scored{read_with_all}"
            )


def load_scoring(run_dir: Path, overrides: list[str], everything: bool = False):
    """A finished run's config (with ``overrides``), its test data, its model and the started backend.

    The test split is rebuilt exactly as the run made it (same data config and
    seed), or from other data where the overrides say so; with ``everything``
    every sample of the data is the test split. Labels are renumbered to the
    run's classes (the data may hold only some of them); a model whose input
    does not fit the data is a DataError.
    """
    from kexp.config.validation import validate
    from kexp.data import load_data
    from kexp.data.bad_images import skip_bad_images
    from kexp.training.tasks import Task

    cfg = finished_run_config(run_dir)
    if everything:
        given = {o.split("=", 1)[0].lstrip("+") for o in overrides}
        cfg = with_overrides(cfg, [f"{key}=null" for key in SUBSAMPLES if key not in given])
    cfg = with_overrides(cfg, overrides)
    check_scoring_keys(overrides, everything)
    from kexp.data.folder import scoring_known_classes
    from kexp.runs.saved import load_preprocessing

    with scoring_known_classes():  # (a folder of one of the run's classes is data to score)
        validate(cfg, scoring=True)
        from kexp.config.run_settings import data_settings, task_settings

        task = Task.from_settings(task_settings(cfg.task), cfg.regularization.label_smoothing)
        source = data_settings(cfg.data)
        # (data=csv: the run's own fitted encoding, never one fitted on the rows being scored)
        given = {o.split("=", 1)[0].lstrip("+") for o in overrides}
        data = load_data(  # (the run's own sizes as it read them; a size given here must fit)
            source, seed=cfg.seed, encoder=load_preprocessing(run_dir), exact_sizes="data.test_size" in given
        )
    task.check_fits(data, cfg.data.name)
    if everything:
        from kexp.data.prepare import all_samples

        data = all_samples(data)
    data = task.prepare(in_run_classes(data, run_dir))
    if source.on_bad_image == "skip":
        data = skip_bad_images(data)
    from kexp.backends.start import start_backend
    from kexp.runs.saved import load_model

    backend = start_backend(cfg.seed)
    model = load_model(run_dir, uses_keras_hub=bool(cfg.model.get("preset")))
    expected = tuple(model.input_shape[1:])
    if expected != tuple(data.input_shape):
        raise DataError(
            f"{data.origin or 'data'} — inputs of {'x'.join(map(str, data.input_shape))}, but "
            f"the model of {run_dir} takes {'x'.join(map(str, expected))}"
        )
    return cfg, data, model, backend


def in_run_classes(data, run_dir: Path):
    """``data`` with its labels renumbered to the run's classes (by name, from ``classes.csv``).

    Another folder may hold the run's classes in another order or only some of
    them; a class the run did not learn is a DataError.
    """
    from dataclasses import replace

    from kexp.runs.layout import CLASSES_FILE

    classes = run_dir / CLASSES_FILE
    if not data.class_names or not classes.is_file():
        return data
    trained = pd.read_csv(classes)["name"].astype(str).tolist()
    unknown = [name for name in data.class_names if name not in trained]
    if unknown:
        raise DataError(
            f"{data.origin or 'data'} — classes {', '.join(unknown)} are not among the run's "
            f"classes ({', '.join(trained)})"
        )
    if list(data.class_names) == trained:
        return data
    mapping = np.array([trained.index(name) for name in data.class_names])
    renumbered = data.map_targets(lambda y: mapping[y.astype("int64")], num_classes=len(trained))
    return replace(renumbered, class_names=tuple(trained))


def write_evaluation(model, data, name: str, out: Path, batch_size: int, everything: bool = False) -> None:
    """metrics.csv, and for classification per_class.csv and the confusion matrix, into ``out``."""
    from kexp.reporting.evaluation import score_test_split
    from kexp.runs import atomic, layout

    which = "all samples" if everything else "test split"
    title = f"{name}: confusion matrix ({data.origin or data.name}, {which})"
    scores = score_test_split(model, data, batch_size, out, title)
    row = {"data": data.name, "origin": data.origin, "test_samples": len(data.y_test), **scores}
    atomic.write_csv(out / layout.METRICS_FILE, pd.DataFrame([row]))


def write_provenance(out: Path, run_dir: Path, overrides: list[str], seed: int, backend, samples: int) -> None:
    """``evaluation.yaml``: the run, the overrides, the samples, and :mod:`kexp.runs.provenance`'s facts."""
    from kexp.runs.atomic import write_text
    from kexp.runs.provenance import now, provenance

    facts = provenance(seed, backend, module="kexp.evaluate")
    facts.update(
        {"finished": now(), "run_dir": str(run_dir.resolve()), "overrides": list(overrides), "test_samples": samples}
    )
    write_text(out / EVALUATION_FILE, yaml.safe_dump(facts, sort_keys=False, allow_unicode=True))


if __name__ == "__main__":
    sys.exit(main())
