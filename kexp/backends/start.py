"""Start the Keras backend: seed it, set its precision, name the devices it will use."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import re
from dataclasses import dataclass

from kexp.config.errors import ConfigError

log = logging.getLogger(__name__)


#: Environment variable that splits the CPU into N logical devices (TensorFlow;
#: lets ``trainer.strategy=mirrored`` be tried without GPUs).
LOGICAL_CPUS_VARIABLE = "KEXP_LOGICAL_CPUS"


@dataclass(frozen=True)
class BackendInfo:
    """The backend a process started: name, Keras version, dtype policy, devices (``run.yaml``'s fields)."""

    backend: str
    keras: str
    precision: str
    devices: list[str]

    def describe(self) -> str:
        """One line for the log: ``Keras 3.15.1, backend tensorflow, precision float32, devices: CPU``."""
        return (
            f"Keras {self.keras}, backend {self.backend}, precision {self.precision}, "
            f"devices: {', '.join(self.devices)}"
        )


def start_backend(
    seed: int, deterministic: bool = False, threads: int | None = None, precision: str = "float32", distributed=None
) -> BackendInfo:
    """Import Keras, prepare the devices, seed Python/NumPy/backend; what was started.

    ``deterministic`` asks the backend for reproducible kernels (TensorFlow:
    op determinism, which also turns automatic XLA off; JAX: XLA's
    deterministic GPU ops, set before JAX starts, else a warning); ``threads`` caps the
    CPU threads it uses (set before the backend starts); ``precision`` is the
    Keras dtype policy for every layer built afterwards (``auto``: chosen by
    :func:`kexp.backends.precision.dtype_policy`, and recorded as chosen); ``distributed``
    (``trainer.distributed``) joins a multi-process run before any device is used.
    """
    if threads:
        for variable in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
            os.environ.setdefault(variable, str(threads))
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
        log.info("CPU threads for this job: %d", threads)
    if deterministic:
        _deterministic_xla()
    from kexp.backends.quiet import native_output_hidden

    keras = import_keras_checked()
    backend = keras.backend.backend()
    if distributed is not None and int(distributed.num_processes) > 1:
        start_processes(distributed)
    if backend == "tensorflow":
        from kexp.backends.tensorflow import configure_devices, split_cpu, use_determinism

        # ("5 out of the last 5 calls … triggered tf.function retracing": each new model of a process —
        # a search's trials, a range test's repeats — traces its own functions, as it must)
        logging.getLogger("tensorflow").setLevel(logging.ERROR)

        if os.environ.get(LOGICAL_CPUS_VARIABLE):
            split_cpu(int(os.environ[LOGICAL_CPUS_VARIABLE]))
        with native_output_hidden():  # (CUDA's "failed call to cuInit" on machines without a GPU)
            devices = configure_devices(threads)
        use_determinism(deterministic)  # (off again after a sweep's earlier job turned it on)
    elif backend == "jax":
        import jax

        from kexp.backends.jax import use_compilation_cache
        from kexp.runs.layout import JAX_PROGRAMS, user_cache_dir

        logging.getLogger("jax._src.xla_bridge").setLevel(logging.WARNING)  # ("Unable to initialize backend 'tpu'")
        log.info("JAX compilation cache: %s", use_compilation_cache(user_cache_dir() / JAX_PROGRAMS))
        with native_output_hidden():
            devices = [str(d) for d in jax.devices()]
        if deterministic and any(d.platform == "gpu" for d in jax.devices()) and not _xla_flag_set():
            log.warning(
                "trainer.deterministic=true: JAX started before kexp could set "
                "XLA_FLAGS=%s; GPU results may vary from run to run",
                DETERMINISTIC_XLA_FLAG,
            )
    else:
        devices = ["(see backend)"]
    freeze_startup_objects()
    keras.utils.clear_session()  # (frees the previous run's model) also resets the dtype policy: set it after
    from kexp.backends.precision import check_float16, dtype_policy

    device = device_kind()
    policy, why = dtype_policy(precision, backend, device)
    if why != "as set":
        log.info("trainer.precision: %s (%s)", policy, why)
    keras.config.set_dtype_policy(policy)
    check_float16(policy, device)
    from kexp.compat.keras import set_random_seed

    set_random_seed(seed)  # (Keras's, without importing TensorFlow on JAX)
    info = BackendInfo(backend=backend, keras=keras.__version__, precision=policy, devices=list(devices))
    log.info(info.describe())
    return info


#: How JAX 0.10 says that one of its settings in the environment is not a truth value, as it is imported.
_JAX_TRUTH_VALUE = re.compile(r"invalid truth value '(?P<value>.*)' for environment '(?P<name>\w+)'")


def import_keras_checked():
    """``import keras`` quietly (:func:`kexp.backends.quiet.import_keras_quietly`); a JAX setting in the
    environment that is not a truth value (JAX raises as it is imported, e.g.
    ``JAX_ENABLE_COMPILATION_CACHE=maybe``) is a one-line :class:`ConfigError`."""
    from kexp.backends.quiet import import_keras_quietly

    try:
        return import_keras_quietly()
    except ValueError as error:
        setting = _JAX_TRUTH_VALUE.fullmatch(str(error))
        if setting is None:
            raise
        raise ConfigError(
            f"{setting['name']}={setting['value']} — not a truth value; JAX reads true/false, 1/0, yes/no or on/off"
        ) from error


_frozen = False


def freeze_startup_objects() -> None:
    """Leave what exists before the process's first model out of every later garbage collection (once).

    Keras's ``clear_session`` runs a full collection before each run of a process
    (it frees the previous run's model), and Python runs more as objects pile up; a
    full collection visits every object, and the imported TensorFlow, Keras and Hydra
    alone are half a million: 0.35 s a run in a sweep of small runs (issue 34,
    docs/performance.md "Small runs in a sweep"). ``gc.freeze`` moves them to a
    generation no collection visits. They are still freed when nothing refers to
    them; only a reference cycle made before the first run would now outlive it.
    """
    global _frozen
    if not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


#: Makes XLA's GPU kernels (JAX, and TensorFlow's XLA) reproducible; read when XLA starts.
DETERMINISTIC_XLA_FLAG = "--xla_gpu_deterministic_ops=true"


def _xla_flag_set() -> bool:
    return DETERMINISTIC_XLA_FLAG in os.environ.get("XLA_FLAGS", "")


def _deterministic_xla() -> None:
    """Ask XLA for deterministic GPU kernels (before JAX or TensorFlow start; CPU kernels already are)."""
    if not _xla_flag_set():
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {DETERMINISTIC_XLA_FLAG}".strip()


def start_processes(distributed) -> None:
    """Meet the other processes (:mod:`kexp.backends.rendezvous`), then start JAX's distributed service.

    (:func:`check_devices` has checked the backend, strategy and ids when the config was validated.)
    """
    from kexp.backends.jax import initialize_processes
    from kexp.backends.rendezvous import rendezvous

    args = (
        str(distributed.coordinator),
        int(distributed.num_processes),
        int(distributed.process_id),
        float(distributed.timeout),
    )
    log.info("process %d of %d: meeting the others at %s", args[2], args[1], args[0])
    rendezvous(*args)
    initialize_processes(*args)


def check_devices(trainer, backend: str) -> None:
    """One-line ConfigErrors for ``trainer.strategy`` and ``trainer.distributed`` on ``backend``."""
    strategy = str(trainer.get("strategy", "default"))
    check_strategy(strategy, backend)
    processes = trainer.get("distributed")
    if processes is not None:
        check_processes(backend, strategy, int(processes.num_processes), int(processes.process_id))
        if int(processes.num_processes) > 1:
            from kexp.backends.rendezvous import split_address

            split_address(processes.coordinator or "")


def check_processes(backend: str, strategy: str, num_processes: int, process_id: int) -> None:
    """One-line ConfigErrors for a multi-process run this backend or strategy cannot do."""
    if num_processes <= 1:
        return
    if backend != "jax":
        raise ConfigError(
            f"trainer.distributed.num_processes={num_processes} — needs KERAS_BACKEND=jax "
            f"(this run: {backend}); TensorFlow's MultiWorkerMirroredStrategy does not work "
            "with Keras 3 (keras-team/keras#20585)"
        )
    if strategy != "data_parallel":
        raise ConfigError(
            f"trainer.distributed.num_processes={num_processes} — needs "
            f"trainer.strategy=data_parallel (this run: {strategy})"
        )
    if not 0 <= process_id < num_processes:
        raise ConfigError(
            f"trainer.distributed.process_id={process_id} — must be in 0..{num_processes - 1} "
            f"(trainer.distributed.num_processes={num_processes})"
        )


def process_shard() -> tuple[int, int]:
    """``(this process, number of processes)`` of the run: ``(0, 1)`` unless JAX runs several."""
    import keras

    if keras.backend.backend() != "jax":
        return 0, 1
    from kexp.backends.jax import process_shard as jax_shard

    return jax_shard()


def batch_shard() -> tuple[int, int] | None:
    """``(this process, processes)`` when each batch is split over several devices by Keras's
    distribution (JAX ``DataParallel``; then only whole batches are fed), else None."""
    import keras

    if keras.backend.backend() != "jax" or keras.distribution.distribution() is None:
        return None
    return process_shard()


def device_kind() -> str:
    """``cpu``, ``gpu`` or ``tpu``: the kind of device the running backend trains on."""
    from kexp.backends import backend_module

    module = backend_module()
    return module.device_kind() if module is not None else "cpu"


#: ``trainer.strategy`` values and the backends each runs on (default: every backend).
STRATEGY_BACKENDS = {"default": None, "mirrored": ("tensorflow",), "data_parallel": ("jax",)}
_OTHERWISE = {
    "mirrored": "on JAX use data_parallel; or default",
    "data_parallel": "on TensorFlow use mirrored; or default",
}


def check_strategy(name: str, backend: str) -> None:
    """A one-line ConfigError for a strategy the backend cannot run."""
    if name not in STRATEGY_BACKENDS:
        raise ConfigError.bad_value("trainer.strategy", name, "must be " + ", ".join(STRATEGY_BACKENDS))
    allowed = STRATEGY_BACKENDS[name]
    if allowed and backend not in allowed:
        raise ConfigError(
            f"trainer.strategy={name} — needs KERAS_BACKEND={' or '.join(allowed)} "
            f"(this run: {backend}); {_OTHERWISE[name]}"
        )


def device_strategy(name: str) -> tuple[contextlib.AbstractContextManager, int]:
    """``(scope to build and compile in, replicas)`` for ``trainer.strategy``.

    ``default``: one device. ``mirrored``: TensorFlow's ``MirroredStrategy``
    over all GPUs (or logical CPUs). ``data_parallel``: Keras's
    ``keras.distribution.DataParallel`` over every local device (JAX): the
    weights replicated, each batch split along its first axis. Either way
    ``batch_size`` is per device (replica).
    """
    import keras

    check_strategy(name, keras.backend.backend())
    if keras.backend.backend() == "jax":  # the distribution is global: set (or clear) it per run
        keras.distribution.set_distribution(None)
    if name == "default":
        return contextlib.nullcontext(), 1
    if name == "data_parallel":
        devices = keras.distribution.list_devices()  # (every process's devices)
        index, count = process_shard()
        # several processes: each feeds its own shard (kexp.data.pipeline), Keras must not shard again
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=devices, auto_shard_dataset=count == 1)
        )
        log.info(
            "DataParallel over %d devices: %s%s",
            len(devices),
            ", ".join(devices),
            f" (process {index} of {count})" if count > 1 else "",
        )
        return contextlib.nullcontext(), len(devices)
    from kexp.backends.tensorflow import mirrored_strategy

    strategy = mirrored_strategy()
    log.info("MirroredStrategy over %d replicas", strategy.num_replicas_in_sync)
    return strategy.scope(), int(strategy.num_replicas_in_sync)
