"""Types of the ``data`` group (values: ``conf/data/<name>.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from omegaconf import MISSING


@dataclass
class DataConfig:
    """``data``: which dataset, and how it is split, sized and weighted.

    ``image_size`` and ``test_fraction`` belong to the bundled scikit-learn
    datasets only; elsewhere they stay null.
    """

    name: str = MISSING
    path: Optional[str] = MISSING
    val_split: float = MISSING
    train_size: Optional[int] = MISSING
    test_size: Optional[int] = MISSING
    flippable: bool = MISSING
    sample_weight: Optional[str] = MISSING
    imbalance: Any = MISSING  # null or {label: fraction}; OmegaConf cannot merge into an Optional[Dict]
    targets: str = MISSING
    image_size: Optional[int] = None
    test_fraction: Optional[float] = None
