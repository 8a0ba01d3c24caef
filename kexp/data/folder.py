"""``data=folder``: a folder of images, one sub-folder per class.

Two layouts, told apart by a ``train`` sub-folder::

    DIR/<class>/*.png                      splits drawn from the files (seeded, stratified)
    DIR/train/<class>/*  [DIR/val/<class>/*]  [DIR/test/<class>/*]   splits used as given

Class names are the folder names, sorted (as ``keras.utils.image_dataset_from_directory``);
files are listed by suffix (:data:`~kexp.data.images.IMAGE_SUFFIXES`, any case),
sorted, and never opened here: listing 60,000 files takes well under a second.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kexp.config.errors import DataError
from kexp.config.paths import missing_directory
from kexp.data.images import IMAGE_SUFFIXES, ImageFiles, image_size
from kexp.data.sources import IMAGE_FILE_OPTIONS, Source, register_source, stratified_split

if TYPE_CHECKING:
    from kexp.config.schema.data import DataConfig

#: True while images are scored by a trained run (kexp.evaluate): its classes are known, and a folder
#: holding only one of them is data to score, not a classification to train.
ONE_CLASS_IS_ENOUGH: ContextVar[bool] = ContextVar("one_class_is_enough", default=False)


@contextmanager
def scoring_known_classes() -> Iterator[None]:
    """Within: a folder of a single class is accepted (:data:`ONE_CLASS_IS_ENOUGH`)."""
    token = ONE_CLASS_IS_ENOUGH.set(True)
    try:
        yield
    finally:
        ONE_CLASS_IS_ENOUGH.reset(token)


SPLIT_FOLDERS = {"train": ("train",), "val": ("val", "validation"), "test": ("test",)}


@dataclass(frozen=True)
class LabelledFiles:
    """Image paths and their class indices (into the folder's sorted class names)."""

    paths: np.ndarray
    labels: np.ndarray


def class_folders(root: Path, key: str = "data.path") -> tuple[list[str], LabelledFiles]:
    """Class names (sorted sub-folder names) of ``root`` and its image files, labelled.

    One-line DataErrors for what cannot be trained on: no class folders, only
    one class, an empty class folder.
    """
    names = sorted(entry.name for entry in os.scandir(root) if entry.is_dir() and not entry.name.startswith("."))
    if not names:
        loose = sum(1 for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        hint = f" (it holds {loose} images directly)" if loose else ""
        raise DataError(
            f"{key}={root} — has no class folders{hint}; put each class's images in "
            f"a sub-folder named after it: {root}/<class>/*.png"
        )
    paths, labels = [], []
    for label, name in enumerate(names):
        files = sorted(str(p) for p in (root / name).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
        if not files:
            raise DataError(
                f"{key}={root} — class folder {name}/ holds no images "
                f"({', '.join(IMAGE_SUFFIXES)}); remove it or add images"
            )
        paths += files
        labels += [label] * len(files)
    if len(names) < 2 and not ONE_CLASS_IS_ENOUGH.get():
        raise DataError(f"{key}={root} — only one class folder ({names[0]}/); classification needs at least two")
    return names, LabelledFiles(np.array(paths), np.array(labels, dtype="int64"))


def split_folders(root: Path) -> dict[str, Path]:
    """The given split folders of ``root`` (train, val, test), if it has a ``train`` folder."""
    found = {}
    for split, candidates in SPLIT_FOLDERS.items():
        for candidate in candidates:
            if (root / candidate).is_dir():
                found[split] = root / candidate
                break
    return found if "train" in found else {}


def list_folder(path: str) -> tuple[list[str], dict[str, LabelledFiles]]:
    """Class names and the labelled files of each given split (just ``train`` without split folders)."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"data.path={path} — {missing_directory(root)}")
    splits = split_folders(root)
    if not splits:
        names, files = class_folders(root)
        return names, {"train": files}
    names, train = class_folders(splits["train"])
    listed = {"train": train}
    for split in ("val", "test"):
        if split in splits:
            these, files = class_folders(splits[split])
            unknown = sorted(set(these) - set(names))
            if unknown:
                raise DataError(
                    f"data.path={path} — {splits[split].name}/ has classes that train/ has not: {', '.join(unknown)}"
                )
            listed[split] = LabelledFiles(
                files.paths, np.array([names.index(these[i]) for i in files.labels], dtype="int64")
            )
    return names, listed


def check(settings: DataConfig) -> None:
    """Preflight: the folder exists and its layout can be trained on (files listed, not opened)."""
    list_folder(settings.needed("path"))


def folder(settings: DataConfig, seed: int) -> Source:
    """The images under ``data.path``; a test split drawn by ``data.test_split`` unless given."""
    names, listed = list_folder(settings.needed("path"))
    size, crop = image_size(settings.image_size), bool(settings.crop_to_aspect_ratio)

    def images(paths: np.ndarray) -> ImageFiles:
        return ImageFiles(paths, size, settings.needed("color_mode"), crop)

    train = listed["train"]
    if "test" in listed:
        test = listed["test"]
    else:
        keep, held_out = stratified_split(train.labels, settings.needed("test_split"), seed)
        train, test = (LabelledFiles(train.paths[i], train.labels[i]) for i in (keep, held_out))
    val = listed.get("val")
    return Source(
        images(train.paths),
        train.labels,
        images(test.paths),
        test.labels,
        x_val=images(val.paths) if val else None,
        y_val=val.labels if val else None,
        class_names=tuple(names),
        origin=f"data.path={settings.path}",
    )


register_source("folder", check=check, reads_path=True, options=(*IMAGE_FILE_OPTIONS, "test_split"))(folder)
