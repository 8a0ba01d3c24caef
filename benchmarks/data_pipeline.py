"""Data from disk: images streamed from a PNG folder against the same images in memory.

    python benchmarks/data_pipeline.py                 # all three measurements
    python benchmarks/data_pipeline.py --parts 2,3     # only measurements 2 and 3

Needs ``../shared/data/mnist.npz`` (the real MNIST); its 60,000 training images
are exported once as ``<cache>/mnist-png/<digit>/<n>.png`` (``--cache``,
default ``~/.cache/kexp-bench``; never inside the repository). Then, side by side
in this one process:

1. training throughput of the slides' ``cnn`` (batch 128) through
   ``kexp.training.trainer.fit``: streamed from the PNG files (``data.cache=none``),
   from the same images decoded into memory once (``data.cache=memory``), and
   from the in-memory arrays of the ``.npz``; alternating, medians per wall
   and per CPU second, ratios against the arrays (``--epochs N``: fits of N epochs,
   also timed after the first; where kexp decodes with worker processes, on a GPU
   host, their start falls in the first);
2. the input pipeline alone (read, decode, resize, batch; no model), kexp's
   training pipeline against ``keras.utils.image_dataset_from_directory`` on
   the same folder, in images/s;
3. peak RSS of ``python -m kexp data=folder`` for one epoch on 6,000 and on
   60,000 images of the folder (no cache): the difference shows whether memory
   grows with the number of images.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import MNIST, Stopwatch, compose, epoch_clock, kexp_fit, show_batches_per_call  # noqa: E402

VALIDATION = 256


def export_png_tree(root: Path) -> Path:
    """MNIST's training images as ``root/<digit>/<n>.png`` (written once; a marker file says done)."""
    done = root / ".complete"
    if done.is_file():
        return root
    from PIL import Image

    with np.load(MNIST) as npz:
        x, y = npz["x_train"], npz["y_train"]
    print(f"exporting {len(x)} MNIST images as PNG into {root} (once)", flush=True)
    for digit in range(10):
        (root / str(digit)).mkdir(parents=True, exist_ok=True)
    for n, (image, label) in enumerate(zip(x, y)):
        Image.fromarray(image).save(root / str(label) / f"{n:05d}.png")
    done.write_text("ok\n")
    return root


def file_splits(root: Path, count: int):
    """The first ``count`` + VALIDATION files of a seeded shuffle of the tree, as train and validation splits."""
    from kexp.data import ImageFiles, Split
    from kexp.data.folder import class_folders

    _, files = class_folders(root)
    order = np.random.default_rng(0).permutation(len(files.paths))[:count + VALIDATION]
    images = ImageFiles(files.paths[order], (28, 28), "grayscale")
    labels = files.labels[order]
    return Split(images[:count], labels[:count]), Split(images[count:], labels[count:])


def time_fit(cfg, train, val) -> Stopwatch:
    """Wall and CPU seconds of ``kexp.training.trainer.fit`` of the slides' cnn (its epochs), with
    ``.steady``: the (wall, CPU) seconds after the first epoch (zeros for one epoch)."""
    import keras

    from kexp.data import Dataset

    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    clock = epoch_clock()
    watch = kexp_fit(cfg, Dataset("bench", train, val, val, 10), [clock])
    watch.steady = clock.steady
    return watch


def training_throughput(root: Path, images: int, batch_size: int, repeats: int, epochs: int = 1) -> None:
    """Measurement 1: streamed files vs decoded once (cache=memory) vs the .npz arrays (fits of
    ``epochs`` epochs: the rates of whole fits, and of the epochs after the first)."""
    from dataclasses import replace

    from kexp.data.pipeline import decode_all

    show_batches_per_call()  # (and how the files are decoded: "(kexp) training images: ...")
    cfg = compose(["model=cnn", f"trainer.batch_size={batch_size}", f"trainer.epochs={epochs}", "trainer.verbose=0"])
    train_files, val_files = file_splits(root, images)
    with Stopwatch() as decoding:
        cached = replace(train_files, x=decode_all(train_files))
    cached_val = replace(val_files, x=decode_all(val_files))
    with np.load(MNIST) as npz:  # the same images from the .npz (the PNGs hold exactly these pixels)
        x = (npz["x_train"][..., None] / 255.0).astype("float32")
    index = np.array([int(Path(p).stem) for p in np.concatenate([train_files.x.paths, val_files.x.paths])])
    arrays = replace(train_files, x=x[index[:images]])
    arrays_val = replace(val_files, x=x[index[images:]])
    assert np.allclose(arrays.x, cached.x, atol=1e-6), "the PNG export does not hold the .npz pixels"
    print(f"\n1. training throughput: cnn, batch {batch_size}, {images} images per epoch "
          f"(+{VALIDATION} validation); decoding them once took {decoding.wall:.1f} s "
          f"({images / decoding.wall:.0f} img/s)", flush=True)
    ways = {"files (cache=none)": (train_files, val_files), "cache=memory": (cached, cached_val),
            "arrays (.npz)": (arrays, arrays_val)}
    warm = slice(0, batch_size * 4)
    for train, val in ways.values():
        time_fit(cfg, train.take(np.arange(warm.stop)), val)
    runs = {name: [] for name in ways}
    whole, steady = images * epochs, images * (epochs - 1)
    for repeat in range(1, repeats + 1):
        for name, (train, val) in ways.items():
            runs[name].append(time_fit(cfg, train, val))
        print(f"   repeat {repeat}: " + "   ".join(
            f"{name} {whole / r[-1].wall:6.1f} img/s ({whole / r[-1].cpu:6.1f}/CPU s)"
            for name, r in runs.items()), flush=True)
    rates = {("whole fit", "wall"): lambda r: whole / r.wall, ("whole fit", "CPU"): lambda r: whole / r.cpu}
    if epochs > 1:
        rates[("after epoch 1", "wall")] = lambda r: steady / r.steady[0]
        rates[("after epoch 1", "CPU")] = lambda r: steady / r.steady[1]
    for (what, clock), rate in rates.items():
        medians = {name: statistics.median(map(rate, rs)) for name, rs in runs.items()}
        base = medians["arrays (.npz)"]
        print(f"   median {what} per {clock} second: " + ", ".join(
            f"{name} {value:.1f} ({value / base:.3f}x)" for name, value in medians.items()), flush=True)


def pipeline_alone(root: Path, images: int, batch_size: int, repeats: int) -> None:
    """Measurement 2: kexp's tf.data pipeline vs keras.utils.image_dataset_from_directory, no model."""
    import keras
    import tensorflow as tf

    from kexp.backends.tensorflow import epoch_seeded_dataset
    from kexp.data import ImageFiles, Split
    from kexp.data.folder import class_folders

    _, files = class_folders(root)
    split = Split(ImageFiles(files.paths, (28, 28), "grayscale"), files.labels)
    steps = images // batch_size

    def ours():
        dataset, _ = epoch_seeded_dataset(split, batch_size, seed=0, first_epoch=0, epochs=1)
        return dataset.take(steps)

    def keras_own():
        dataset = keras.utils.image_dataset_from_directory(
            root, image_size=(28, 28), color_mode="grayscale", batch_size=batch_size, shuffle=True,
            seed=0, verbose=False)
        return dataset.map(lambda x, y: (x / 255.0, y)).prefetch(tf.data.AUTOTUNE).take(steps)

    def rate(make) -> Stopwatch:
        dataset = make()
        with Stopwatch() as watch:
            watch.images = sum(int(x.shape[0]) for x, *_ in dataset)
        return watch

    print(f"\n2. input pipeline alone: {steps} batches of {batch_size} from {len(split)} PNG files "
          "(read, decode, resize to 28x28, scale, batch)", flush=True)
    rate(ours), rate(keras_own)  # warm: file-system cache, tf.data threads
    results = {"kexp": [], "image_dataset_from_directory": []}
    for _ in range(repeats):
        results["kexp"].append(rate(ours))
        results["image_dataset_from_directory"].append(rate(keras_own))
    for clock in ("wall", "cpu"):
        ours_median, theirs = (statistics.median(w.images / getattr(w, clock) for w in results[name])
                               for name in ("kexp", "image_dataset_from_directory"))
        unit = "img/s" if clock == "wall" else "img per CPU s"
        print(f"   median ({clock}): kexp {ours_median:.0f} {unit}, image_dataset_from_directory "
              f"{theirs:.0f} {unit}, ratio {ours_median / theirs:.3f}x", flush=True)


#: Runs kexp's CLI and reports its own peak RSS at exit: VmHWM of /proc/self/status, the high-water
#: mark of this program's memory since exec (ru_maxrss would include the RSS of this benchmark
#: process, which the child was forked from: Linux carries it across fork and exec).
PEAK_REPORTER = """
import atexit, sys
def report():
    peak = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")]
    sys.stderr.write(f"PEAK_RSS_KB {peak[0]}\\n")
atexit.register(report)
from kexp.cli.main import main
sys.argv = ["kexp", *sys.argv[1:]]
main()
"""


def peak_rss(root: Path, images: int) -> float:
    """Peak RSS (MB) of ``python -m kexp data=folder`` training one epoch on ``images`` files."""
    with tempfile.TemporaryDirectory() as run_dir:
        args = [sys.executable, "-c", PEAK_REPORTER, "data=folder", f"data.path={root}",
                "data.image_size=[28,28]", "data.color_mode=grayscale", "data.test_split=0.05",
                "data.val_split=0.01", f"data.train_size={images}", "data.test_size=500",
                "model.filters=[8,16]", "model.dense_units=[32]", "trainer.epochs=1",
                "trainer.batch_size=128", "trainer.save_model=false", f"hydra.run.dir={run_dir}/run"]
        result = subprocess.run(args, cwd=REPO, capture_output=True, text=True,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
        peaks = [line.split()[1] for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KB")]
        if result.returncode != 0 or not peaks:
            raise SystemExit(f"the {images}-image run failed: {result.stderr[-2000:]}")
        return int(peaks[-1]) / 1024


def main() -> None:
    """Export the folder once, then print the three measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "kexp-bench")
    parser.add_argument("--images", type=int, default=128 * 60, help="training images per timed epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", default="1,2,3", help="which measurements, e.g. 2,3")
    parser.add_argument("--epochs", type=int, default=1,
                        help="measurement 1: epochs per fit (more than 1: the epochs after the first timed too)")
    args = parser.parse_args()
    if not MNIST.is_file():
        raise SystemExit(f"needs {MNIST} (the real MNIST in the keras.datasets layout)")
    import keras

    root = export_png_tree(args.cache / "mnist-png")
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPUs, folder {root}", flush=True)
    parts = {int(p) for p in args.parts.split(",")}
    if 1 in parts:
        training_throughput(root, args.images, args.batch_size, args.repeats, args.epochs)
    if 2 in parts and keras.backend.backend() == "tensorflow":
        pipeline_alone(root, args.images * 2, args.batch_size, args.repeats)
    if 3 in parts:
        small, large = peak_rss(root, 6000), peak_rss(root, 56000)
        print(f"\n3. peak RSS of a 1-epoch run (cache=none): 6,000 images {small:.0f} MB, "
              f"56,000 images {large:.0f} MB, difference {large - small:+.0f} MB", flush=True)


if __name__ == "__main__":
    main()
