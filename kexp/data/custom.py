"""``data=custom``: your own loader, named by ``data.loader._target_``.

The loader is instantiated with ``hydra.utils.instantiate`` (its other keys
are keyword arguments) and returns a mapping (or any object with these
attributes)::

    {
        "train": (x, y),                 # required
        "test": (x, y),                  # required
        "validation": (x, y),            # optional: else data.val_split of train
        "class_names": ["cat", "dog"],   # optional: names of the labels 0..n-1
        "sample_weight": w,              # optional: one loss weight ≥ 0 per training sample
    }

Each ``x`` is a NumPy array — images (N, H, W[, C]) or a table (N, features),
memory-mapped (``np.load(..., mmap_mode="r")``) for data larger than memory —
or a list of image file paths (decoded while training, as ``data=folder``).
Each ``y`` holds one target per sample: integer labels 0..n-1, or numbers with
``data.target_type=numbers``. Every other feature (sizes, imbalance, class
weights, per-class scores, resume) works as on the built-in datasets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from kexp.config.errors import DataError
from kexp.data.images import ImageFiles, image_size
from kexp.data.sources import IMAGE_FILE_OPTIONS, Source, register_source

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig

SPLITS = ("train", "test", "validation")


def _target(settings: DataConfig) -> str:
    return str((settings.loader or {}).get("_target_", "?"))


def _field(loaded, name: str):
    if isinstance(loaded, Mapping):
        return loaded.get(name)
    return getattr(loaded, name, None)


def _inputs(x, settings: DataConfig, split: str):
    """An array as it is, a list of paths as :class:`ImageFiles`."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, (list, tuple)) and x and all(isinstance(p, str) for p in x):
        return ImageFiles(
            np.array(x),
            image_size(settings.image_size),
            settings.needed("color_mode"),
            bool(settings.crop_to_aspect_ratio),
        )
    raise DataError(
        f"data.loader={_target(settings)} — its {split} inputs are {type(x).__name__}; "
        "must be a NumPy array or a list of image file paths"
    )


def custom(settings: DataConfig, seed: int) -> Source:
    """What the loader of ``data.loader`` returns, checked."""
    from kexp.compat.hydra import instantiate

    target = _target(settings)
    try:
        loaded = instantiate(settings.loader)
    except Exception as err:
        cause = err.__cause__ or err
        raise DataError(
            f"data.loader={target} — failed: {type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
        ) from err
    splits = {}
    for split in SPLITS:
        pair = _field(loaded, split)
        if pair is None:
            if split != "validation":
                raise DataError(
                    f"data.loader={target} — returned no {split} split; it must "
                    "return train=(x, y) and test=(x, y) (see kexp/data/custom.py)"
                )
            continue
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise DataError(f"data.loader={target} — its {split} split must be a pair (x, y)")
        splits[split] = (_inputs(pair[0], settings, split), np.asarray(pair[1]))
    names = _field(loaded, "class_names")
    val = splits.get("validation", (None, None))
    return Source(
        *splits["train"],
        *splits["test"],
        x_val=val[0],
        y_val=val[1],
        class_names=tuple(str(n) for n in names) if names is not None else None,
        origin=f"data.loader={target}",
        weights_train=_field(loaded, "sample_weight"),
    )


def check(settings: DataConfig) -> None:
    """Preflight: a loader is named."""
    target = (settings.loader or {}).get("_target_")
    if target in (None, "", "???"):
        raise DataError(
            "data.loader._target_=??? — data=custom needs your loader function, "
            "e.g. 'data.loader._target_=mypkg.data.load' (see docs/your-data.md)"
        )
    locate(str(target))


def locate(target: str) -> object:
    """The function ``target`` names (``pkg.module.function``), or a one-line DataError that says
    which part cannot be found and why: a module that is not importable from here (the current
    directory and PYTHONPATH), an import error inside it, or a name the module lacks."""
    import importlib

    parts = target.split(".")
    key = f"data.loader._target_={target}"
    for cut in range(len(parts) - 1, 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            found: object = importlib.import_module(module_name)
        except ModuleNotFoundError as err:
            if err.name is not None and module_name.startswith(err.name):
                continue  # not this prefix: try a shorter one
            raise DataError(f"{key} — importing {module_name} failed: {err}") from err
        except Exception as err:  # the user's module raised while importing
            raise DataError(f"{key} — importing {module_name} failed: {type(err).__name__}: {err}") from err
        for name in parts[cut:]:
            if not hasattr(found, name):
                raise DataError(f"{key} — {module_name} has no {name}")
            found = getattr(found, name)
        return found
    raise DataError(
        f"{key} — no module {parts[0]} to import from here; run from the folder that holds "
        f"{parts[0]}.py (or its package), or add that folder to PYTHONPATH"
    )


register_source("custom", check=check, reads_path=True, needs_path=False, options=("loader", *IMAGE_FILE_OPTIONS))(
    custom
)
