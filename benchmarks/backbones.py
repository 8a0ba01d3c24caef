"""model=backbone: parameter counts against keras.applications' documented ones, and the time of
one fine-tuning epoch of MobileNetV3Small on 1,000 images.

    python benchmarks/backbones.py [--counts] [--epoch] [--mnist ../shared/data/mnist.npz] [--size 96]

``--counts``: each of five architectures built by Keras at 224x224x3 with its
ImageNet top (1000 classes, ``weights=None``: nothing downloaded), its count
next to the "Parameters" column of https://keras.io/api/applications/, and
kexp's ``model=backbone`` of it (include_top=False + a 10-class head).

``--epoch``: 1,000 MNIST training images (100 per digit; 100 test images) written as
PNG files into a temporary ``train/``, ``test/`` class-folder tree, then ``python -m kexp data=folder
model=backbone model.arch=MobileNetV3Small model.weights=null`` at
``--size`` (resized inside the model), 2 frozen epochs + 3 fine-tuning epochs,
batch 32; prints each epoch's seconds from history.csv (the first epoch of each phase
includes tracing its training step).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

#: keras.io/api/applications "Parameters" (include_top=True, 1000 classes), as documented.
DOCUMENTED = {"ResNet50V2": "25.6M", "EfficientNetV2B0": "7.2M", "MobileNetV2": "3.5M",
              "DenseNet121": "8.1M", "ConvNeXtTiny": "28.6M"}


def counts() -> None:
    import keras

    from kexp.models import build_model
    from tests.conftest import typed_config

    print("| architecture | keras.io documents | Keras builds (top, 1000 classes) | kexp model=backbone, 10 classes |")
    print("| --- | --- | --- | --- |")
    for arch, documented in DOCUMENTED.items():
        full = getattr(keras.applications, arch)(weights=None).count_params()
        cfg = typed_config(["model=backbone", f"model.arch={arch}", "model.weights=null"])
        ours = build_model(cfg.model, (224, 224, 3), 10, cfg.regularization).count_params()
        agrees = f"{full / 1e6:.1f}M" == documented
        print(f"| {arch} | {documented} | {full:,} ({'agrees' if agrees else 'DIFFERS'}) | {ours:,} |")
        keras.backend.clear_session()


def write_thousand(npz: Path, root: Path) -> None:
    """``root/train/<digit>/``: 100 training images per digit; ``root/test/<digit>/``: 10 test images."""
    from PIL import Image

    with np.load(npz) as data:
        for split, x, y, per_digit in (("train", data["x_train"], data["y_train"], 100),
                                       ("test", data["x_test"], data["y_test"], 10)):
            for digit in range(10):
                (root / split / str(digit)).mkdir(parents=True)
                for i, index in enumerate(np.flatnonzero(y == digit)[:per_digit]):
                    Image.fromarray(x[index]).save(root / split / str(digit) / f"{i:03d}.png")


def epoch(npz: Path, size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_thousand(npz, root / "digits")
        subprocess.run([sys.executable, "-m", "kexp", "data=folder", f"data.path={root / 'digits'}",
                        "data.color_mode=grayscale", "data.val_split=0",
                        "model=backbone", "model.arch=MobileNetV3Small", "model.weights=null",
                        f"model.image_size={size}", "trainer.epochs=5", "trainer.fine_tune.freeze_epochs=2",
                        "trainer.batch_size=32", f"hydra.run.dir={root / 'run'}"], check=True,
                       capture_output=True)
        history = pd.read_csv(root / "run" / "history.csv")
        train = len(list((root / "digits" / "train").rglob("*.png")))
    for _, row in history.iterrows():
        print(f"epoch {int(row['epoch'])} (phase {int(row['phase'])}): {row['epoch_seconds']:.1f} s "
              f"for {train} images at {size}x{size} ({train / row['epoch_seconds']:.0f} img/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", action="store_true")
    parser.add_argument("--epoch", action="store_true")
    parser.add_argument("--mnist", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/mnist.npz")
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    if args.counts or not args.epoch:
        counts()
    if args.epoch or not args.counts:
        epoch(args.mnist, args.size)


if __name__ == "__main__":
    main()
