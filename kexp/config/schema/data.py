"""Types of the ``data`` group (values: ``conf/data/<name>.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Optional

from omegaconf import MISSING

from kexp.config.choices import Cache, ColorMode, FillMissing, OnBadImage, TargetType


@dataclass
class DataConfig:
    """``data``: which dataset, and how it is split, sized and weighted.

    The fields after ``target_type`` belong to some sources only (null elsewhere):
    ``test_split`` (the fraction held out for testing) to the sources that draw
    their own test split (the bundled scikit-learn data, ``folder``, ``csv``);
    ``image_size`` to the bundled digits and to image files; ``color_mode``,
    ``crop_to_aspect_ratio``, ``cache``, ``cache_dir`` and ``on_bad_image`` to
    image files (``data=folder``, file lists of ``data=custom``); ``target``,
    ``features`` and ``fill_missing`` to ``csv``; ``loader`` to ``custom``.
    """

    name: str = MISSING
    path: Optional[str] = MISSING
    val_split: float = MISSING
    train_size: Optional[int] = MISSING
    test_size: Optional[int] = MISSING
    flippable: bool = MISSING
    sample_weight: Optional[str] = MISSING
    imbalance: Any = MISSING  # null or {label: fraction}; OmegaConf cannot merge into an Optional[Dict]
    target_type: TargetType = MISSING
    image_size: Any = None
    test_split: Optional[float] = None
    color_mode: Optional[ColorMode] = None
    crop_to_aspect_ratio: Optional[bool] = None
    cache: Optional[Cache] = None
    cache_dir: Optional[str] = None
    on_bad_image: Optional[OnBadImage] = None
    target: Optional[str] = None
    features: Optional[list[str]] = None
    fill_missing: Optional[FillMissing] = None
    loader: Any = None

    def needed(self, key: str) -> Any:
        """``key``'s value where this data source needs one; a one-line ConfigError where it is null."""
        value = getattr(self, key)
        if value is None:
            from kexp.config.errors import ConfigError

            raise ConfigError(f"data.{key}=null — data={self.name} needs a value")
        return value


#: The ``data`` keys that belong to some sources only (the fields after ``target_type``): each
#: source declares those it reads (:attr:`kexp.data.sources.DataSource.options`).
_FIELDS = [f.name for f in fields(DataConfig)]
SOURCE_OPTIONS = tuple(_FIELDS[_FIELDS.index("target_type") + 1 :])
