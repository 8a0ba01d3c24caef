"""``data=csv``: a table read by pandas, one row per sample, one column the target.

- ``data.target`` names the target column; ``data.features`` (default: every
  other column) the inputs.
- Numeric features are standardised with the training split's mean and
  standard deviation; string (categorical) features are one-hot encoded with
  the categories seen in training (an unseen category is all zeros): a
  scikit-learn ``ColumnTransformer`` fitted once and saved with the run
  (``preprocessing.joblib``), so evaluate and predict never read the training
  CSV again.
- ``data.target_type=auto``: a string target is class labels (names sorted, as
  folders), a numeric one is a number to regress on; ``labels`` makes whole
  numbers class labels.
- Missing values are an error naming the column, unless ``data.fill_missing``
  is ``mean`` (training mean; most frequent category for strings) or ``zero``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kexp.config.errors import DataError
from kexp.data.sources import Source, register_source, stratified_split

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

    from kexp.config.schema.data import DataConfig


def read_table(settings: DataConfig) -> tuple[pd.DataFrame, pd.Series]:
    """Features and target of ``data.path``; one-line DataErrors naming the file and column."""
    path = Path(settings.needed("path")).expanduser()
    if not path.is_file():
        raise DataError(f"data.path={settings.path} — no such file")
    try:
        table = pd.read_csv(path)
    except Exception as err:  # pandas: empty file, bad quoting, encoding
        raise DataError(f"data.path={settings.path} — not a readable CSV file ({str(err).splitlines()[0]})") from err
    columns = [str(c) for c in table.columns]
    if table.empty:
        raise DataError(f"data.path={settings.path} — has a header ({', '.join(columns)}) but no rows")
    if not settings.target:
        raise DataError(f"data.target=??? — data=csv needs the column to predict, one of: {', '.join(columns)}")
    if settings.target not in columns:
        raise DataError(
            f"data.target={settings.target} — no such column in {settings.path} (columns: {', '.join(columns)})"
        )
    weight = settings.sample_weight
    if weight and weight not in columns:
        raise DataError(
            f"data.sample_weight={weight} — no such column in {settings.path} (columns: {', '.join(columns)})"
        )
    features = (
        list(settings.features) if settings.features else [c for c in columns if c not in (settings.target, weight)]
    )
    unknown = [c for c in features if c not in columns or c in (settings.target, weight)]
    if unknown or not features:
        raise DataError(
            f"data.features={unknown or '[]'} — must be columns of {settings.path} other than "
            f"the target (columns: {', '.join(columns)})"
        )
    target = table[settings.target]
    if target.isna().any():
        raise DataError(
            f"data.target={settings.target} — {int(target.isna().sum())} rows of {settings.path} have no target; drop them first"
        )
    if target.nunique() < 2:
        raise DataError(
            f"data.target={settings.target} — holds a single value ({target.iloc[0]}) in "
            f"{settings.path}; there is nothing to learn"
        )
    return table[features], target


def row_weights(settings: DataConfig) -> np.ndarray | None:
    """``data.sample_weight``: the column of per-row loss weights (finite, ≥ 0), or None."""
    weight = settings.sample_weight
    if not weight:
        return None
    values = pd.to_numeric(
        pd.read_csv(Path(settings.needed("path")).expanduser(), usecols=[weight])[weight], errors="coerce"
    )
    if values.isna().any() or (values < 0).any() or not np.isfinite(values).all():
        raise DataError(f"data.sample_weight={weight} — column of {settings.path} must hold numbers ≥ 0 in every row")
    return values.to_numpy("float32")


def check(settings: DataConfig) -> None:
    """Preflight: the file reads, the target and feature columns exist, the target varies."""
    features, _ = read_table(settings)
    row_weights(settings)
    if settings.fill_missing == "none":
        _check_missing(features, settings.needed("path"))


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
    """Targets as numbers, or labels 0..n-1 with their names (the sorted values: scikit-learn's
    ``LabelEncoder``)."""
    if kind == "numbers":
        if not pd.api.types.is_numeric_dtype(target):
            raise DataError(
                f"data.target_type=numbers — column {target.name} of {path} holds text; "
                "use data.target_type=labels (or auto)"
            )
        return target.to_numpy("float32"), None
    from sklearn.preprocessing import LabelEncoder

    encoder = LabelEncoder().fit(target.to_numpy(object))
    labels = encoder.transform(target.to_numpy(object))
    return labels.astype("int64"), tuple(str(n) for n in encoder.classes_)


def fit_encoder(train: pd.DataFrame, fill_missing: str) -> ColumnTransformer:
    """scikit-learn's preprocessing fitted on the training rows (saved with the run).

    Numeric columns: missing values filled as ``data.fill_missing`` says (mean or
    zero), then standardised (``StandardScaler``: the training mean and standard
    deviation). String columns: a missing value becomes the most frequent one,
    then one-hot (``OneHotEncoder`` with the training categories; an unseen one
    is all zeros). The output is float32, numeric columns first.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in train.columns if c not in numeric]
    numbers: list = [StandardScaler()]
    if fill_missing != "none":
        fill = (
            SimpleImputer(strategy="mean")
            if fill_missing == "mean"
            else SimpleImputer(strategy="constant", fill_value=0.0)
        )
        numbers.insert(0, fill)
    text = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        FunctionTransformer(as_text, feature_names_out="one-to-one"),
        OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32),
    )
    encoder = ColumnTransformer(
        [("numbers", make_pipeline(*numbers), numeric), ("categories", text, categorical)],
        verbose_feature_names_out=False,
    )
    return encoder.fit(train)


def as_text(values: np.ndarray) -> np.ndarray:
    """Category values as strings (a column of 1, 2, 3 and one of "1", "2", "3" encode alike)."""
    return np.asarray(values, dtype=object).astype(str)


def encode_rows(encoder: ColumnTransformer, rows: pd.DataFrame, origin: str) -> np.ndarray:
    """``rows`` encoded by a fitted ``encoder`` as float32; a DataError naming missing feature columns."""
    columns = [str(c) for c in encoder.feature_names_in_]
    missing = [c for c in columns if c not in rows]
    if missing:
        raise DataError(f"{origin} — has no column {', '.join(missing)} (the run's features: {', '.join(columns)})")
    return np.asarray(encoder.transform(rows[columns]), dtype="float32")


def _split_table(settings: DataConfig, seed: int):
    """Features, encoded targets, class names, target kind, and the train / test row indices."""
    features, target = read_table(settings)
    if settings.fill_missing == "none":
        _check_missing(features, settings.needed("path"))
    kind = target_kind(target, settings.target_type)
    y, names = encode_targets(target, kind, settings.needed("path"))
    train, test = stratified_split(y, settings.needed("test_split"), seed, classes=kind == "labels")
    return features, y, names, kind, train, test


def training_encoder(settings: DataConfig, seed: int) -> ColumnTransformer:
    """The encoder a run with data config ``settings`` and ``seed`` fitted, fitted again from its training
    CSV (runs of kexp 0.1, which did not save it; newer runs keep ``preprocessing.joblib``)."""
    features, _, _, _, train, _ = _split_table(settings, seed)
    return fit_encoder(features.iloc[train], settings.needed("fill_missing"))


def csv(settings: DataConfig, seed: int, encoder: ColumnTransformer | None = None) -> Source:
    """The rows of ``data.path``: test split drawn by ``data.test_split`` (stratified for labels),
    encoded by ``encoder`` (a saved run's) or by one fitted here on the training rows."""
    features, y, names, kind, train, test = _split_table(settings, seed)
    encoder = encoder if encoder is not None else fit_encoder(features.iloc[train], settings.needed("fill_missing"))
    origin = f"data.path={settings.path}"
    weights = row_weights(settings)
    return Source(
        encode_rows(encoder, features.iloc[train], origin),
        y[train],
        encode_rows(encoder, features.iloc[test], origin),
        y[test],
        class_names=names,
        targets=kind,
        origin=origin,
        encoder=encoder,
        weights_train=weights[train] if weights is not None else None,
    )


register_source("csv", check=check, reads_path=True, options=("target", "features", "fill_missing", "test_split"))(csv)
