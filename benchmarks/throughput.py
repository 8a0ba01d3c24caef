"""P1: training throughput of kexp's own path vs the script a user would write.

    python benchmarks/throughput.py                       # cnn on real MNIST, batch 128
    python benchmarks/throughput.py --set trainer.jit_compile=true
    python benchmarks/throughput.py --model resnet20      # synthetic 32x32x3
    KERAS_BACKEND=jax python benchmarks/throughput.py     # the same on JAX

(a) kexp: ``build_model`` → ``compile_model`` → ``kexp.training.trainer.fit`` with all
its callbacks (history, backup, NaN check, signals) and input pipeline, plus a
256-image validation pass per epoch; (b) hand-written: the slides' Keras
Sequential net (or the same kexp-built model for other models) and a plain
``model.fit(x, y, batch_size=128)`` on in-memory NumPy arrays. Each is warmed
up, then they alternate ``--repeats`` times on fresh models; the medians and
their ratio (and the median of each repeat's own ratio, the pair run back to back) are
printed twice: per wall-clock second and per CPU second of the
process. The second is the one to trust on a shared VM: there the host hands a
process either all its vCPUs or about half of them for tens of seconds at a
time, so wall-clock rates of identical code jump between two levels (on the
2-vCPU build machine: 374 and 530-600 img/s), while CPU seconds count only the
work done. Data: ``../shared/data/mnist.npz`` when present,
else a synthetic stand-in of the same shape.

Each fit trains ``--epochs`` epochs (default 3) and two rates are printed: the
whole fit (compiling the step included, as a short run pays it) and the epochs
after the first (the steady rate a longer run sees; time from the end of epoch 1
to the end of the last, kexp's validation and backups included).
``--set trainer.steps_per_execution=1`` gives kexp a plain ``fit``'s one batch per
call; its default is ``auto``.

``--feed host device device+scan`` (JAX): time kexp side by side — the training arrays fed
from the host, and put on the device with each batch gathered there
(:mod:`kexp.backends.resident`), and the latter with a call's batches also tried as one
compiled loop (:func:`kexp.backends.jax.scanned_train_calls`, which times both ways and
keeps the faster), each forced whatever kexp would choose.

``--compilation-cache`` (JAX): kexp's fits use JAX's persistent compilation cache as
``python -m kexp`` does by default (:func:`kexp.backends.jax.use_compilation_cache`, in a
fresh folder that the warm-up fills: a user's second run of the same model and batch shape,
or a sweep's later jobs); the hand-written fits do not (the cache is switched off around them).
Without it neither side has the cache, as in a script run once.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import functools
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
VALIDATION = 256


def load_arrays(model: str, count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, str]:
    """``count + VALIDATION`` images scaled to [0, 1] and integer labels."""
    rng = np.random.default_rng(seed)
    total = count + VALIDATION
    if model in ("cnn", "mlp", "bn_cnn") and MNIST.is_file():
        with np.load(MNIST) as npz:
            x, y = npz["x_train"][:total, ..., None], npz["y_train"][:total]
        return (x / 255.0).astype("float32"), y.astype("int64"), "real MNIST"
    shape = (28, 28, 1) if model in ("cnn", "mlp", "bn_cnn") else (32, 32, 3)
    x = rng.random((total, *shape), dtype=np.float32)
    return x, rng.integers(0, 10, total).astype("int64"), f"synthetic {'x'.join(map(str, shape))}"


def slides_cnn(input_shape, num_classes):
    """The slide deck's script, as a user would type it."""
    import keras
    from keras.layers import Conv2D, Dense, Flatten, MaxPooling2D

    return keras.Sequential([
        keras.Input(shape=input_shape),
        Conv2D(64, (5, 5), activation="relu"), MaxPooling2D((2, 2)),
        Conv2D(128, (5, 5), activation="relu"), MaxPooling2D((2, 2)),
        Flatten(), Dense(2048, activation="relu"), Dense(1024, activation="relu"),
        Dense(num_classes, activation="softmax")])


def compose(overrides: list[str]):
    """The typed settings ``python -m kexp <overrides>`` would run (:func:`run_settings`)."""
    from hydra import compose as hydra_compose, initialize_config_dir

    from kexp.cli.main import register_resolvers
    from kexp.compat.hydra import VERSION_BASE, quiet_replaced_plugin_configs
    from kexp.config.location import config_dir
    from kexp.config.run_settings import run_settings

    register_resolvers()
    quiet_replaced_plugin_configs()
    with initialize_config_dir(config_dir=str(config_dir()), **VERSION_BASE):
        return run_settings(hydra_compose("config", overrides=overrides))


def kexp_fit(settings, data, callbacks=()) -> Stopwatch:
    """Wall and CPU seconds of kexp's own compile + ``fit`` of ``settings``'s model on ``data``."""
    from kexp.models import build_model
    from kexp.training.signals import guarded
    from kexp.training.tasks import Task
    from kexp.training.trainer import Compilation, FitPlace, fit

    trainer = settings.trainer
    model = build_model(settings.model, data.input_shape, data.num_classes, settings.regularization)
    Compilation(settings.optimizer, Task("multiclass"), trainer.jit_compile).compile(model)
    with tempfile.TemporaryDirectory() as run_dir, guarded() as guard, Stopwatch() as watch:
        fit(model, data, trainer, FitPlace(Path(run_dir), guard, seed=0), callbacks=list(callbacks))
    return watch


def epoch_clock():
    """A Keras callback that keeps the (wall, CPU) seconds from the end of the first epoch to
    the end of the last (``.steady``)."""
    import keras

    class EpochClock(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            now = (time.perf_counter(), time.process_time())
            if epoch == 0:
                self.first = now
            self.steady = (now[0] - self.first[0], now[1] - self.first[1])

    return EpochClock()


class Stopwatch:
    """Wall-clock and process CPU seconds of a ``with`` block."""

    def __enter__(self) -> "Stopwatch":
        self._wall, self._cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = time.process_time() - self._cpu


@contextlib.contextmanager
def feeding(feed: str | None):
    """kexp's training arrays fed from the ``host`` or put on the ``device`` (JAX) whatever it would
    choose here (None: its own choice)."""
    if feed is None:
        yield
        return
    from kexp.backends import jax as kexp_jax
    from kexp.backends import resident
    from kexp.training import execution

    chosen = resident.resident_reason, kexp_jax.scanned_steps_reason, execution.FEWEST_BATCHES_TO_SCAN
    on_device = feed in ("device", "device+scan")
    resident.resident_reason = (
        (lambda model, split: kexp_jax.compiled_step_reason(model)) if on_device else (lambda model, split: "--feed host")
    )
    if feed == "device+scan":  # the compiled loop tried (and timed) whatever the device and the fit's length
        kexp_jax.scanned_steps_reason, execution.FEWEST_BATCHES_TO_SCAN = kexp_jax.compiled_step_reason, 0
    try:
        yield
    finally:
        resident.resident_reason, kexp_jax.scanned_steps_reason, execution.FEWEST_BATCHES_TO_SCAN = chosen


@contextlib.contextmanager
def jax_compilation_cache(enabled: bool):
    """JAX's persistent compilation cache switched on for the block when ``enabled``, and off again
    after it (JAX decides once whether its cache is used: ``reset_cache`` makes it look again)."""
    if not enabled:
        yield
        return
    import jax
    from jax.experimental.compilation_cache.compilation_cache import reset_cache

    jax.config.update("jax_enable_compilation_cache", True)
    reset_cache()
    try:
        yield
    finally:
        jax.config.update("jax_enable_compilation_cache", False)
        reset_cache()


def time_kexp(cfg, x, y, feed: str | None = None, cache: bool = False) -> tuple[Stopwatch, tuple[float, float]]:
    """Wall and CPU seconds of ``kexp.training.trainer.fit`` over ``x``, and of its epochs after the first."""
    import keras

    from kexp.data import Dataset, Split

    keras.utils.clear_session()
    from kexp.backends.precision import dtype_policy
    from kexp.backends.start import device_kind

    # --set trainer.precision=... (auto: the policy kexp's run would choose here)
    keras.config.set_dtype_policy(dtype_policy(str(cfg.trainer.precision), keras.backend.backend(), device_kind())[0])
    keras.utils.set_random_seed(0)
    n = len(x) - VALIDATION
    validation = Split(x[n:], y[n:])
    clock = epoch_clock()
    with feeding(feed), jax_compilation_cache(cache):
        watch = kexp_fit(cfg, Dataset("bench", Split(x[:n], y[:n]), validation, validation, 10), [clock])
    return watch, clock.steady


def time_handwritten(cfg, x, y) -> tuple[Stopwatch, tuple[float, float]]:
    """Wall and CPU seconds of a plain ``model.fit(x, y, batch_size=...)``, and of its epochs after the first."""
    import keras

    from kexp.models import build_model

    keras.utils.clear_session()
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    x, y = x[:-VALIDATION], y[:-VALIDATION]
    if cfg.model.name == "cnn":
        model = slides_cnn(x.shape[1:], 10)
    else:
        model = build_model(cfg.model, x.shape[1:], 10, cfg.regularization)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    clock = epoch_clock()
    with Stopwatch() as watch:
        model.fit(x, y, batch_size=int(cfg.trainer.batch_size), epochs=cfg.trainer.epochs, verbose=0,
                  callbacks=[clock])
    return watch, clock.steady


def main() -> None:
    """Warm up both paths, alternate them, print images/second and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--images", type=int, default=128 * 60, help="training images per timed epoch")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per fit (the first compiles)")
    parser.add_argument("--set", nargs="*", default=[], help="extra kexp overrides, e.g. trainer.jit_compile=true")
    parser.add_argument("--no-jax", action="store_true", help="skip the JAX-backend run")
    parser.add_argument("--feed", nargs="*", default=[], choices=["host", "device", "device+scan"],
                        help="JAX: time kexp with its training arrays fed from the host and/or on the device "
                             "(device+scan: and a call's batches tried as one compiled loop, whatever the device), "
                             "side by side (default: kexp's own choice)")
    parser.add_argument("--compilation-cache", action="store_true",
                        help="JAX: kexp's fits load their programs from JAX's persistent compilation cache, as a "
                             "second run of `python -m kexp` does (filled by the warm-up); the hand-written's compile")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    import keras

    show_batches_per_call()
    cache = args.compilation_cache and keras.backend.backend() == "jax"
    if cache:
        import jax

        from kexp.backends.jax import use_compilation_cache

        folder = Path(tempfile.mkdtemp(prefix="kexp-jax-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        print(f"kexp's JAX compilation cache: {use_compilation_cache(folder)}")
        jax.config.update("jax_enable_compilation_cache", False)  # (on around kexp's fits only)
        from jax.experimental.compilation_cache.compilation_cache import reset_cache

        reset_cache()

    cfg = compose([f"model={args.model}", f"trainer.batch_size={args.batch_size}", f"trainer.epochs={args.epochs}",
                   "trainer.verbose=0", *args.set])
    x, y, source = load_arrays(args.model, args.images)
    print(f"model {args.model}, {source}, {args.images} images per epoch, {args.epochs} epochs a fit, batch "
          f"{args.batch_size}, backend {keras.backend.backend()}, kexp overrides: {' '.join(args.set) or '(defaults)'}")
    warm = slice(0, args.batch_size * 8 + VALIDATION)
    paths = {f"kexp ({feed})" if feed else "kexp": functools.partial(time_kexp, feed=feed, cache=cache)
             for feed in args.feed or [None]}
    paths["hand-written"] = time_handwritten
    for timed in paths.values():
        timed(cfg, x[warm], y[warm])
    runs: dict[str, list] = {name: [] for name in paths}
    whole, steady = args.images * args.epochs, args.images * (args.epochs - 1)
    for repeat in range(1, args.repeats + 1):
        for name, timed in paths.items():
            runs[name].append(timed(cfg, x, y))
        print(f"repeat {repeat}: " + "   ".join(
            f"{name} whole fit {whole / r[-1][0].cpu:7.1f}, after epoch 1 {steady / r[-1][1][1]:7.1f} img per CPU s"
            for name, r in runs.items()), flush=True)
    rates = {  # (what, clock) -> name -> median images per second
        ("whole fit", "wall"): lambda r: whole / r[0].wall, ("whole fit", "CPU"): lambda r: whole / r[0].cpu,
        ("after epoch 1", "wall"): lambda r: steady / r[1][0], ("after epoch 1", "CPU"): lambda r: steady / r[1][1],
    }
    for (what, clock), rate in rates.items():
        medians = {name: statistics.median(map(rate, runs[name])) for name in runs}
        hand_median = medians.pop("hand-written")
        for name, kexp_median in medians.items():
            # each repeat's pair ran back to back, so in the same phase of a shared VM's CPU allotment
            paired = statistics.median(rate(k) / rate(h) for k, h in zip(runs[name], runs["hand-written"]))
            print(f"median {what} per {clock} second: {name} {kexp_median:.1f} img, hand-written {hand_median:.1f} "
                  f"img, ratio {name}/hand-written {kexp_median / hand_median:.3f}x (median of the repeats' "
                  f"ratios {paired:.3f}x)", flush=True)
    if keras.backend.backend() != "jax" and not args.no_jax:
        run_on_jax(sys.argv[1:])


def show_batches_per_call() -> None:
    """Print kexp's log lines on ``trainer.steps_per_execution`` (what ``auto`` chose; on JAX on an
    accelerator, which way a call's batches run, with both rates)."""
    import logging

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter("  (kexp) %(message)s"))
    handler.addFilter(lambda record: record.getMessage().startswith(
        ("trainer.steps_per_execution", "training data", "training images", "validation images")))
    kexp_log = logging.getLogger("kexp")
    kexp_log.addHandler(handler)
    kexp_log.setLevel(logging.INFO)


def run_on_jax(argv: list[str]) -> None:
    """The same measurement on the JAX backend, in a fresh process (Keras picks its backend once)."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("jax") is None:
        print("JAX backend: jax is not installed (pip install -e '.[jax]')")
        return
    print("--- the same on the JAX backend ---", flush=True)
    subprocess.run([sys.executable, __file__, *argv, "--no-jax"],
                   env={**os.environ, "KERAS_BACKEND": "jax"}, check=False)


if __name__ == "__main__":
    main()
