"""``data=csv``: a table read by pandas, one row per sample, one column the target.

- ``data.target`` names the target column; ``data.features`` (default: every
  other column) the inputs.
- Numeric features are standardised with the training split's mean and
  standard deviation; string (categorical) features are one-hot encoded with
  the categories seen in training (an unseen category is all zeros).
- ``data.target_type=auto``: a string target is class labels (names sorted, as
  folders), a numeric one is a number to regress on; ``labels`` makes whole
  numbers class labels.
- Missing values are an error naming the column, unless ``data.fill_missing``
  is ``mean`` (training mean; most frequent category for strings) or ``zero``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig

from kexp.config.errors import DataError
from kexp.data.sources import SOURCES, Source, stratified_split


def read_table(cfg: DictConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of ``data.path``; one-line DataErrors naming the file and column."""
    path = Path(cfg.path).expanduser()
    if not path.is_file():
        raise DataError(f"data.path={cfg.path} — no such file")
    try:
        table = pd.read_csv(path)
    except Exception as err:  # pandas: empty file, bad quoting, encoding
        raise DataError(f"data.path={cfg.path} — not a readable CSV file ({str(err).splitlines()[0]})") from err
    columns = [str(c) for c in table.columns]
    if not cfg.get("target"):
        raise DataError(f"data.target=??? — data=csv needs the column to predict, one of: {', '.join(columns)}")
    if cfg.target not in columns:
        raise DataError(f"data.target={cfg.target} — no such column in {cfg.path} (columns: {', '.join(columns)})")
    features = list(cfg.features) if cfg.features else [c for c in columns if c != cfg.target]
    unknown = [c for c in features if c not in columns or c == cfg.target]
    if unknown or not features:
        raise DataError(
            f"data.features={unknown or '[]'} — must be columns of {cfg.path} other than "
            f"the target (columns: {', '.join(columns)})"
        )
    target = table[cfg.target]
    if target.isna().any():
        raise DataError(
            f"data.target={cfg.target} — {int(target.isna().sum())} rows of {cfg.path} have no target; drop them first"
        )
    if target.nunique() < 2:
        raise DataError(
            f"data.target={cfg.target} — holds a single value ({target.iloc[0]}) in "
            f"{cfg.path}; there is nothing to learn"
        )
    return table[features], target


def check(cfg: DictConfig) -> None:
    """Preflight: the file reads, the target and feature columns exist, the target varies."""
    features, _ = read_table(cfg)
    if cfg.fill_missing == "none":
        _check_missing(features, cfg.path)


def _check_missing(features: pd.DataFrame, path: str) -> None:
    missing = features.isna().sum()
    if missing.any():
        column = missing[missing > 0].index[0]
        raise DataError(
            f"data.path={path} — column {column} has {int(missing[column])} missing "
            "values; clean it, or set data.fill_missing=mean or zero"
        )


def target_kind(target: pd.Series, setting: str) -> str:
    """labels or numbers: ``data.target_type``, with ``auto`` decided by the column's type."""
    if setting != "auto":
        return setting
    return "numbers" if pd.api.types.is_numeric_dtype(target) else "labels"


def encode_targets(target: pd.Series, kind: str, path: str) -> tuple[np.ndarray, tuple[str, ...] | None]:
    """Targets as numbers, or labels 0..n-1 with their names (sorted values)."""
    if kind == "numbers":
        if not pd.api.types.is_numeric_dtype(target):
            raise DataError(
                f"data.target_type=numbers — column {target.name} of {path} holds text; "
                "use data.target_type=labels (or auto)"
            )
        return target.to_numpy("float32"), None
    names = sorted(target.unique().tolist())
    labels = np.searchsorted(np.array(names, dtype=object), target.to_numpy(object))
    return labels.astype("int64"), tuple(str(n) for n in names)


class FeatureEncoder:
    """Standardise numeric columns and one-hot encode string columns, fitted on the training rows."""

    def __init__(self, train: pd.DataFrame, fill_missing: str) -> None:
        self.numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
        self.categorical = [c for c in train.columns if c not in self.numeric]
        self.fill_missing = fill_missing
        self.mean = train[self.numeric].mean()
        self.std = train[self.numeric].std(ddof=0).replace(0.0, 1.0).fillna(1.0)
        self.categories = {c: sorted(train[c].dropna().astype(str).unique()) for c in self.categorical}
        self.most_frequent = {
            c: train[c].dropna().astype(str).mode().iloc[0] if train[c].notna().any() else "" for c in self.categorical
        }

    @property
    def columns(self) -> list[str]:
        """The feature columns a row must have."""
        return self.numeric + self.categorical

    @property
    def names(self) -> list[str]:
        """The encoded columns: numeric ones, then ``column=category`` one-hot columns."""
        return self.numeric + [f"{c}={v}" for c in self.categorical for v in self.categories[c]]

    def transform(self, rows: pd.DataFrame) -> np.ndarray:
        """float32 (n, encoded columns)."""
        numeric = rows[self.numeric]
        if self.fill_missing != "none":
            numeric = numeric.fillna(self.mean if self.fill_missing == "mean" else 0.0)
        parts = [((numeric - self.mean) / self.std).to_numpy("float32")]
        for column in self.categorical:
            values = rows[column].astype(str).where(rows[column].notna(), self.most_frequent[column])
            parts.append((values.to_numpy()[:, None] == np.array(self.categories[column])[None, :]).astype("float32"))
        return np.concatenate(parts, axis=1)


def _split_table(cfg: DictConfig, seed: int):
    """Features, encoded targets, class names, target kind, and the train / test row indices."""
    features, target = read_table(cfg)
    if cfg.fill_missing == "none":
        _check_missing(features, cfg.path)
    kind = target_kind(target, cfg.target_type)
    y, names = encode_targets(target, kind, cfg.path)
    train, test = stratified_split(y, cfg.test_split, seed, classes=kind == "labels")
    return features, y, names, kind, train, test


def training_encoder(cfg: DictConfig, seed: int) -> FeatureEncoder:
    """The encoder a run with data config ``cfg`` and ``seed`` fitted (for new rows: kexp.predict)."""
    features, _, _, _, train, _ = _split_table(cfg, seed)
    return FeatureEncoder(features.iloc[train], cfg.fill_missing)


@SOURCES.register("csv")
def csv(cfg: DictConfig, seed: int) -> Source:
    """The rows of ``data.path``: test split drawn by ``data.test_split`` (stratified for labels)."""
    features, y, names, kind, train, test = _split_table(cfg, seed)
    encoder = FeatureEncoder(features.iloc[train], cfg.fill_missing)
    return Source(
        encoder.transform(features.iloc[train]),
        y[train],
        encoder.transform(features.iloc[test]),
        y[test],
        class_names=names,
        targets=kind,
        origin=f"data.path={cfg.path}",
    )


csv.check = check  # type: ignore[attr-defined]
csv.reads_path = True  # type: ignore[attr-defined]
