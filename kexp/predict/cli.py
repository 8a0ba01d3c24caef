"""``python -m kexp.predict RUN_DIR FILE... [--top-k K] [--out CSV]``: a saved run's model on new inputs.

Images (jpg, png, bmp, gif) are decoded as the run's training decoded them: to
the model's input height × width and channels (grayscale or rgb), with the
run's ``data.crop_to_aspect_ratio``, scaled to [0, 1]. CSV files are rows of
the run's feature columns (``data=csv`` runs): encoded with the statistics of
the run's own training split, rebuilt from its config. Prints the top-k
classes with their names and probabilities per input (regression: the
predicted value) and writes them to a CSV (``predictions.csv`` in the
working directory — ``predictions-2.csv``, … when that exists — unless ``--out`` names a
CSV file, or a folder to write it in).
A folder stands for the images in it (and its sub-folders). Errors are one line, exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import ConfigError, DataError, KexpError
from kexp.runs.layout import PREDICTIONS_FILE
from kexp.runs.saved import class_names, finished_run_config, load_model

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m kexp.predict", description="Predict with a finished kexp run's model.keras."
    )
    parser.add_argument("run_dir", type=Path, help="a run directory with model.keras")
    parser.add_argument(
        "files", nargs="+", type=Path, help="image files or folders of them, or CSV files of feature rows"
    )
    parser.add_argument("--top-k", type=int, help="classes shown per input (default 3; classification only)")
    parser.add_argument(
        "--out",
        help="CSV written, or a folder to write predictions.csv in (default: predictions.csv here, or "
        "predictions-2.csv, … if that exists)",
    )
    return parser.parse_intermixed_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The command line: one line on stderr and exit 2 for a user error."""
    args = parse_args(argv)
    try:
        table = predict_files(args.run_dir, args.files, args.top_k)
        from kexp.runs.atomic import write_csv

        args.out = output_csv(args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_csv(args.out, table)
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    except OSError as err:
        print(f"kexp: input error: --out={args.out} — cannot be written ({err.strerror})", file=sys.stderr)
        return 2
    print(table.to_string(index=False))
    print(f"kexp: predictions written to {args.out}")
    return 0


#: The CSV written when ``--out`` is not given (never over an earlier one).
DEFAULT_OUT = PREDICTIONS_FILE


def output_csv(given: str | None) -> Path:
    """The CSV ``--out`` names: a file as given; a folder (``results/``, or one that exists) gets
    :data:`DEFAULT_OUT` in it, as the working directory does without ``--out`` (never over an earlier one)."""
    if given is None:
        return unused_name(Path(DEFAULT_OUT))
    if given.endswith(("/", os.sep)) or Path(given).is_dir():
        return unused_name(Path(given) / DEFAULT_OUT)
    return Path(given)


def unused_name(path: Path) -> Path:
    """``path``, or ``stem-2.csv``, ``-3``, … the first that does not exist."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def input_files(given: list[Path]) -> list[Path]:
    """The files to predict: each file as given, each folder's images (sorted, sub-folders too);
    one line for what is neither an image, a CSV nor a folder of images."""
    from kexp.data.images import IMAGE_SUFFIXES

    files: list[Path] = []
    kinds = ", ".join(s.lstrip(".") for s in IMAGE_SUFFIXES)
    for path in given:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not found:
                raise DataError(f"{path} — a folder with no images in it ({kinds})")
            files += found
        elif not path.is_file():
            raise DataError(f"{path} — no such file or folder")
        elif path.suffix.lower() not in (*IMAGE_SUFFIXES, ".csv"):
            raise DataError(f"{path} — not an image ({kinds}) nor a CSV file of feature rows")
        else:
            files.append(path)
    return files


#: Classes shown per input unless ``--top-k`` says.
DEFAULT_TOP_K = 3


def predict_files(run_dir: Path, files: list[Path], top_k: int | None = None) -> pd.DataFrame:
    """One row per input: ``input``, then ``class_1, name_1, probability_1, ...`` (the ``top_k``
    classes, 3 unless given) or, for a regression run, ``prediction``."""
    if top_k is not None and top_k < 1:
        raise ConfigError.bad_value("--top-k", top_k, "must be at least 1")
    cfg = finished_run_config(Path(run_dir))
    if top_k is not None and cfg.task.name == "regression":
        raise ConfigError.bad_value("--top-k", top_k, "not read: a regression run predicts one number per input")
    top_k = top_k or DEFAULT_TOP_K
    files = input_files(files)
    from kexp.backends.start import start_backend

    start_backend(cfg.seed)
    model = load_model(Path(run_dir), uses_keras_hub=bool(cfg.model.get("preset")))
    from kexp.config.run_settings import data_settings

    names, inputs = read_inputs(RunInputs(data_settings(cfg.data), int(cfg.seed), Path(run_dir)), model, files)
    outputs = np.asarray(model.predict(inputs, verbose=0), dtype="float64")
    if cfg.task.name == "regression":
        return pd.DataFrame({"input": names, "prediction": outputs[:, 0]})
    if cfg.task.name == "binary":  # one sigmoid unit: P(positive); class 0 is the rest
        outputs = np.concatenate([1.0 - outputs, outputs], axis=1)
    labels = class_names(Path(run_dir), outputs.shape[1])
    k = min(top_k, outputs.shape[1])
    order = np.argsort(-outputs, axis=1, kind="stable")[:, :k]
    table: dict[str, object] = {"input": names}
    for rank in range(k):
        chosen = order[:, rank]
        table[f"class_{rank + 1}"] = chosen
        table[f"name_{rank + 1}"] = [labels[c] for c in chosen]
        table[f"probability_{rank + 1}"] = outputs[np.arange(len(chosen)), chosen].round(6)
    return pd.DataFrame(table)


@dataclass(frozen=True)
class RunInputs:
    """What the run trained on: its ``data`` settings and seed, and its run directory."""

    data: DataConfig
    seed: int
    run_dir: Path


def read_inputs(run: RunInputs, model, files: list[Path]) -> tuple[list[str], np.ndarray]:
    """Input names and the model-ready array: every CSV's rows, or the decoded images."""
    csvs = [p for p in files if p.suffix.lower() == ".csv"]
    if csvs and len(csvs) < len(files):
        raise DataError(f"{csvs[0]} — give image files or CSV files, not both")
    if csvs:
        return csv_rows(run, csvs)
    from kexp.data.images import ImageFiles

    shape = tuple(model.input_shape[1:])
    if len(shape) != 3 or shape[-1] not in (1, 3):
        raise DataError(f"{files[0]} — the model of this run takes inputs of {'x'.join(map(str, shape))}, not images")
    images = ImageFiles(
        np.array([str(p) for p in files]),
        shape[:2],
        "grayscale" if shape[-1] == 1 else "rgb",
        bool(run.data.crop_to_aspect_ratio),
    )
    from kexp.data.images import BadImageError

    try:
        return [str(p) for p in files], images.load()
    except BadImageError as err:  # (without the training option that data errors suggest)
        raise DataError(f"{err.path} — cannot be decoded as an image; give image files that open") from err


def csv_rows(run: RunInputs, files: list[Path]) -> tuple[list[str], np.ndarray]:
    """Rows of ``files`` encoded by the preprocessing the run fitted on its training rows (data=csv runs)."""
    if run.data.name != "csv":
        raise DataError(
            f"{files[0]} — CSV rows need a run trained with data=csv (this run: data={run.data.name}); give image files"
        )
    from kexp.data.csv_table import encode_rows, training_encoder
    from kexp.runs.saved import load_preprocessing

    encoder = load_preprocessing(run.run_dir)
    if encoder is None:  # a run of kexp 0.1: fit again from its training CSV
        encoder = training_encoder(run.data, run.seed)
    names, parts = [], []
    for path in files:
        parts.append(encode_rows(encoder, pd.read_csv(path), str(path)))
        rows = parts[-1]
        names += [f"{path}:{i + 1}" for i in range(len(rows))]
    return names, np.concatenate(parts)


if __name__ == "__main__":
    sys.exit(main())
