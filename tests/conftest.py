"""Shared fixtures: tiny datasets, config composition, running ``python -m kexp``."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
import sys
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, OmegaConf

from kexp.compat.hydra import VERSION_BASE
from kexp.config.location import config_dir
from kexp.cli.main import register_resolvers

REPO = Path(__file__).resolve().parent.parent
# Which image files decoded before (kexp/data/checked_images.py): the suite's own record, not the
# user's; removed when the process that made it ends (xdist's workers inherit the controller's)
if "KEXP_CACHE_DIR" not in os.environ:
    os.environ["KEXP_CACHE_DIR"] = tempfile.mkdtemp(prefix="kexp-test-cache-")
    atexit.register(shutil.rmtree, os.environ["KEXP_CACHE_DIR"], ignore_errors=True)

#: XLA compiles the tests' programs (JAX's, and TensorFlow's under jit_compile) without LLVM's
#: costly optimisations: the tests check what a run does, not how fast its kernels are, and on
#: the 2-core machine the JAX tests took a third less CPU (236 → 158 s for tests/backends/test_jax.py,
#: side by side; docs/development.md). Every process the tests start inherits it.
FAST_COMPILE_XLA_FLAGS = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
if FAST_COMPILE_XLA_FLAGS not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {FAST_COMPILE_XLA_FLAGS}".strip()


def xla_flags(*more: str) -> str:
    """``XLA_FLAGS`` for a test's process: the suite's, and ``more``."""
    return " ".join([os.environ["XLA_FLAGS"], *more])


def pytest_xdist_auto_num_workers(config) -> int:
    """``-n auto``: one worker more than the cores (at most 4 with ``--maxprocesses``).

    The suite's tests wait on the processes they start (a sweep, a killed run, a heartbeat),
    and a test module runs on one worker (``--dist loadscope``): with a worker per core the
    CPUs idled a third of ``tests/search`` (2 cores); with one more, the whole suite kept them
    91 % busy and ended in 1,975 s instead of 2,147 s (docs/performance.md, "The suite on the
    slower machine").
    ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides when it is a number.
    """
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "")
    return int(chosen) if chosen.isdigit() else (os.cpu_count() or 1) + 1


#: Small enough to train in a few seconds on 2 CPU cores.
TINY_CNN = ["model.filters=[8,16]", "model.dense_units=[32]"]
TINY_DATA = ["data.train_size=200", "data.test_size=100"]


def compose_config(overrides: list[str] | None = None, return_hydra_config: bool = False) -> DictConfig:
    """The config ``python -m kexp <overrides>`` would run, without running it."""
    register_resolvers()
    with initialize_config_dir(config_dir=str(config_dir()), **VERSION_BASE):
        return compose("config", overrides=overrides or [], return_hydra_config=return_hydra_config)


def typed_config(overrides: list[str] | None = None):
    """The config ``python -m kexp <overrides>`` would run, as the typed objects a run gets
    (:func:`kexp.config.run_settings.run_settings`)."""
    from kexp.config.run_settings import run_settings

    return run_settings(compose_config(overrides))


@pytest.fixture(autouse=True)
def _usual_kernels_after_each_test():
    """A run of the test's with ``trainer.deterministic=true`` turned TensorFlow's op determinism
    on in this worker: off again for the next test, as for a sweep's next job
    (:mod:`kexp.compat.tensorflow`)."""
    yield
    if "kexp.compat.tensorflow" in sys.modules:
        sys.modules["kexp.compat.tensorflow"].op_determinism_off()


def run_in_process(overrides: list[str], run_dir: Path) -> dict[str, object]:
    """Train and evaluate in this process (no new Python, no TensorFlow import); the metrics row."""
    from kexp.runs.pipeline import run

    run_dir.mkdir(parents=True, exist_ok=True)
    return run(typed_config(overrides), run_dir).row()


def preflight_error(argv: list[str]) -> str:
    """The one line ``python -m kexp ARGV`` stops with before running (in this process); "" if none."""
    from kexp.cli.preflight import preflight
    from kexp.config.errors import KexpError

    register_resolvers()
    try:
        preflight(argv)
    except KexpError as err:
        return err.one_line()
    return ""


def run_kexp(args: list[str], cwd: Path, env: dict[str, str] | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m kexp ARGS`` in ``cwd`` and capture its output."""
    full_env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), full_env.get("PYTHONPATH")) if p)
    full_env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, "-m", "kexp", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def _absl_handler_on_the_real_stderr() -> None:
    """absl's log handler (TensorFlow imports absl) writes to the ``sys.stderr`` of its creation and
    closes that stream when Hydra resets logging, unless it is the ``sys.stderr`` of the moment: under
    a redirection that closed pytest's capture (a ValueError at the test's end). Pointed at the
    process's own stderr, it is never closed."""
    if "absl.logging" in sys.modules:
        sys.modules["absl.logging"].get_absl_handler().python_handler.stream = sys.__stderr__


def kexp_in_process(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m kexp ARGS`` in ``cwd`` with ``env`` added, run by this process: what it printed
    and its exit code.

    The test worker has imported Keras already, so this saves the 11–12 CPU seconds a new Python
    pays to import it (docs/performance.md, "The suite on the slower machine"). For tests whose
    subject is what a command does (its files, its lines, its exit code), not the process: kills,
    start-up lines, another backend and Python's own warnings on stderr need :func:`run_kexp`
    (``trainer.deterministic=true`` runs here: its op determinism is turned off after each test).
    What the command changes in this process (working directory, ``sys.argv``,
    environment, logging handlers, signal handlers) is put back afterwards.
    """
    import contextlib
    import io
    import logging
    import signal

    from kexp.cli.main import main
    from kexp.runs import figure_helper

    stdout, stderr = io.StringIO(), io.StringIO()
    saved_argv, saved_cwd, saved_env = sys.argv, os.getcwd(), dict(os.environ)
    saved_signals = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    root = logging.getLogger()
    saved_logging = {name: (logger.handlers[:], logger.level, logger.propagate)
                     for name, logger in (("", root), ("kexp", logging.getLogger("kexp")))}
    code: int | str | None = 0
    _absl_handler_on_the_real_stderr()
    try:
        os.chdir(cwd)
        sys.argv = ["kexp", *args]
        os.environ.update({"TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})
        os.environ.pop("HYDRA_FULL_ERROR", None)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                main()
            except SystemExit as stop:
                code = stop.code
                if isinstance(code, str):  # (as Python does: the message on stderr, status 1)
                    print(code, file=sys.stderr)
            finally:
                figure_helper.finish_at_exit()  # (what the process's exit would do: every figure written)
    finally:
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
        for signum, handler in saved_signals.items():
            signal.signal(signum, handler)
        for name, (handlers, level, propagate) in saved_logging.items():
            logger = logging.getLogger(name)
            for handler in logger.handlers:
                if handler not in handlers:
                    handler.close()
            logger.handlers[:] = handlers
            logger.setLevel(level)
            logger.propagate = propagate
        _absl_handler_on_the_real_stderr()
    returncode = code if isinstance(code, int) else (0 if code is None else 1)
    return subprocess.CompletedProcess(["kexp", *args], returncode, stdout.getvalue(), stderr.getvalue())


def kexp_with(code: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """``python -m kexp ARGS`` in a process that first runs ``code`` (e.g. a patch to fail somewhere)."""
    program = f"import sys\n{code}\nfrom kexp.cli.main import main\nsys.argv = ['kexp', *{args!r}]\nmain()\n"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run([sys.executable, "-c", program], cwd=cwd, capture_output=True, text=True, env=env)


def write_npz(path: Path, n_train: int = 120, n_test: int = 40, shape=(28, 28),
              num_classes: int = 10, seed: int = 0, **replace: np.ndarray) -> Path:
    """A keras.datasets-layout .npz of random uint8 images (arrays replaceable)."""
    rng = np.random.default_rng(seed)
    arrays = {
        "x_train": rng.integers(0, 256, (n_train, *shape), dtype=np.uint8),
        "y_train": np.arange(n_train, dtype=np.uint8) % num_classes,
        "x_test": rng.integers(0, 256, (n_test, *shape), dtype=np.uint8),
        "y_test": np.arange(n_test, dtype=np.uint8) % num_classes,
    }
    arrays.update(replace)
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return path


@pytest.fixture
def tiny_npz(tmp_path: Path) -> Path:
    """A random 28x28 grayscale dataset of 120 + 40 images, 10 classes."""
    return write_npz(tmp_path / "tiny.npz")


def write_image_tree(root: Path, classes=("cat", "dog", "owl"), per_class: int = 12,
                     seed: int = 0) -> Path:
    """``root/<class>/NNN.png|jpg``: PNG and JPEG, grayscale and RGB, of mixed sizes.

    Each class has its own bright horizontal band (top, middle, bottom, ...),
    so a small net can tell them apart. Returns ``root``.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            height, width = 20 + 6 * (i % 3), 24 + 8 * (i % 2)
            pixels = rng.integers(0, 60, (height, width, 3), dtype=np.uint8)
            band = height * label // len(classes)
            pixels[band:band + height // len(classes)] += 180
            image = Image.fromarray(pixels)
            if i % 4 >= 2:
                image = image.convert("L")
            image.save(root / name / f"{i:03d}.{'png' if i % 2 == 0 else 'jpg'}")
    return root


@pytest.fixture
def image_tree(tmp_path: Path) -> Path:
    """Three classes (cat, dog, owl) of 12 images each, see :func:`write_image_tree`."""
    return write_image_tree(tmp_path / "photos")


IMAGE_RUN = ["data=folder", "data.image_size=[16,16]", "data.color_mode=grayscale", "model=mlp",
             "model.hidden_units=[32]", "trainer.epochs=4", "trainer.batch_size=16"]


def finished_run(root: Path, overrides: list[str]) -> Path:
    """A run trained in this process, with the .hydra/config.yaml that Hydra would have written."""
    run_dir = root / "run"
    (run_dir / ".hydra").mkdir(parents=True)
    cfg = compose_config(overrides)
    OmegaConf.save(cfg, run_dir / ".hydra" / "config.yaml")
    from kexp.config.run_settings import run_settings
    from kexp.runs.pipeline import run

    run(run_settings(cfg), run_dir)
    return run_dir


@pytest.fixture(scope="module")
def saved_image_run(tmp_path_factory):
    """A finished 3-class image-folder run (mlp, 16x16 grayscale) and its root: (run dir, root)."""
    root = tmp_path_factory.mktemp("evaluate")
    photos = write_image_tree(root / "photos", per_class=16)
    return finished_run(root, [*IMAGE_RUN, f"data.path={photos}"]), root
