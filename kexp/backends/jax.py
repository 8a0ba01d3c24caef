"""JAX-specific code (imported only when ``keras.backend.backend()`` is ``"jax"``)."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("kexp")


def loss_gradients(model, loss_fn, x, y, variables) -> list:
    """Gradients of ``mean(loss_fn(y, model(x)))`` with respect to ``variables`` (training mode).

    Uses Keras's ``stateless_call`` so that JAX differentiates a pure function
    of the trainable values.
    """
    import jax
    import jax.numpy as jnp
    import numpy as np

    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    wanted = {id(v): i for i, v in enumerate(model.trainable_variables)}

    def loss(values):
        y_pred, _ = model.stateless_call(values, non_trainable, x, training=True)
        return jnp.mean(loss_fn(y, y_pred))

    grads = jax.grad(loss)(trainable)
    return [np.asarray(grads[wanted[id(v)]]) if id(v) in wanted else None for v in variables]


def initialize_processes(coordinator: str, num_processes: int, process_id: int, timeout: float) -> None:
    """Join a multi-process JAX run: ``jax.distributed.initialize`` (what ``keras.distribution.initialize``
    wraps, here with its time-out), before JAX first touches a device."""
    import jax

    jax.distributed.initialize(
        coordinator_address=coordinator,
        num_processes=num_processes,
        process_id=process_id,
        initialization_timeout=max(int(timeout), 1),
    )


def process_shard() -> tuple[int, int]:
    """``(this process's index, number of processes)`` of the JAX run."""
    import jax

    return jax.process_index(), jax.process_count()


def local_device_count() -> int:
    """Devices this process drives (its share of ``keras.distribution.list_devices()``)."""
    import jax

    return jax.local_device_count()


def unshare_averaged_weights(model) -> None:
    """Give each trainable variable a buffer of its own after ``fit`` with ``use_ema``.

    Keras's ``finalize_variable_values`` assigns the moving average to the model's variables;
    on JAX both then hold the same array, the next ``evaluate`` donates it, and saving the
    model fails with "Array has been deleted" (Keras 3.15; fit → evaluate → save with
    ``use_ema=True``, tested in tests/training/test_trainer.py). A copy breaks the sharing.
    """
    import keras

    for variable in model.trainable_variables:
        variable.assign(keras.ops.copy(variable.value))


#: The most JAX's persistent compilation cache kept by kexp may take; the least recently used
#: programs are dropped beyond it (JAX's own eviction, which needs the ``filelock`` package).
COMPILATION_CACHE_BYTES = 2 * 10**9


def use_compilation_cache(folder: Path) -> str:
    """Turn on JAX's persistent compilation cache in ``folder``; the folder it uses, or ``off (why)``.

    A run on JAX compiles every program it runs — its steps, and each operation Keras runs
    eagerly (initializers, metrics): about 4 s of a small run's 12 s on 2 CPU cores. With
    the cache a later run of the same model, batch shape and versions loads them from disk
    instead (the default run: 12.2 → 8.0 s, measured), as does every run after the first of
    a sweep over learning rates or seeds. Programs are cached whatever their compile time
    (JAX's default skips those under a second, which are most of them here), at most
    :data:`COMPILATION_CACHE_BYTES` where ``filelock`` is installed. Left as the user set it:
    ``JAX_COMPILATION_CACHE_DIR`` (then JAX's settings are all theirs), and
    ``JAX_ENABLE_COMPILATION_CACHE=false`` turns it off. Call before JAX compiles anything.
    """
    import importlib.util

    import jax

    settings = jax.config.values  # (what JAX read from its environment variables, or was set)
    if not settings["jax_enable_compilation_cache"]:
        return "off (JAX_ENABLE_COMPILATION_CACHE=false)"
    if settings["jax_compilation_cache_dir"]:
        return str(settings["jax_compilation_cache_dir"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"off ({folder} cannot be made: {error.strerror})"
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0)
    if importlib.util.find_spec("filelock") is not None:
        jax.config.update("jax_compilation_cache_max_size", COMPILATION_CACHE_BYTES)
    return str(folder)


def device_kind() -> str:
    """``cpu``, ``gpu`` or ``tpu``: the platform of JAX's first device."""
    import jax

    return str(jax.devices()[0].platform)


def compiled_step_reason(model) -> str | None:
    """Why kexp cannot replace Keras's compiled training step of ``model`` here, or None if it can.

    :func:`scanned_train_calls` stands in for Keras's own step function, so only where that
    step is a plain ``jax.jit`` of ``train_step``: compiled (not ``run_eagerly``,
    ``jit_compile`` on), on one device (no ``keras.distribution``: Keras then compiles the
    step with the state's shardings), without Flax NNX.
    """
    import keras

    if model.run_eagerly or not model.jit_compile:
        return "the step is not compiled (run_eagerly, or jit_compile=false)"
    if keras.distribution.distribution() is not None:
        return "the batch is split over several devices"
    if keras.config.is_nnx_enabled():
        return "Flax NNX is on"
    return None


def scanned_steps_reason(model) -> str | None:
    """Why ``model``'s batches of a call do not run as one compiled loop here, or None if they do.

    Where Keras's step cannot be replaced (:func:`compiled_step_reason`), and on a CPU, where
    the loop does not pay: compiling it and the timing cost ~0.4 s, a dense net's batch is only
    0.63–0.82× as long in it, a tiny one's 1.15–1.6× (measured, 2 vCPUs), and XLA:CPU runs a
    convolution inside a loop ~14× slower.
    """
    reason = compiled_step_reason(model)
    if reason is None and device_kind() == "cpu":
        return "on a CPU Keras's loop is as fast"
    return reason


#: Whole calls timed each way (after each has compiled) before a fit keeps the faster way;
#: after the first of each when one is :data:`CLEARLY_FASTER` than the other.
TIMED_CALLS = 3
CLEARLY_FASTER = 1.5


def scanned_train_calls(model, resident: tuple | None = None, scan: bool = True) -> None:
    """Run each call's batches in one compiled ``lax.scan`` over ``model.train_step`` where that
    is measured to be faster than Keras's loop of one compiled step a batch.

    Keras 3.15's JAX ``fit`` runs ``steps_per_execution`` batches a call as a Python
    loop of one compiled step each: every batch pays the dispatch of the whole
    training state (its arrays flattened, checked and donated). The scan stacks a
    call's batches and runs the same stateless ``train_step`` over them in one
    dispatch. The updates, their order, the random state and the logs (the last
    batch's) are those of one batch a call (tested); only the speed differs, and it
    differs both ways: on 2 CPU cores a dense net's batch takes 0.63–0.82× the time
    in the scan, a tiny net's 1.15–1.6×, a convolution's ~14× (XLA:CPU's loop; so not on a
    CPU, :func:`scanned_steps_reason`); Keras's PR #23527 reports large gains on GPUs,
    unmeasured here. So the fit's first whole calls alternate between the two ways (the
    first of each compiles it), then up to :data:`TIMED_CALLS` of each are timed
    (waiting for the device), and the rest of the fit keeps the faster, logging both
    rates. Batches that do not make a whole call of one shape — an epoch's last,
    shorter ones — run one at a time, as in Keras.

    ``resident``: the training arrays ``(x, y[, sample_weight])`` already on the device
    (:mod:`kexp.backends.resident`); each batch the iterator yields is then ``(rows,)``,
    and the compiled step gathers those rows of the arrays on the device. The arrays are
    an argument of the compiled call, not a constant of it (a closed-over array is
    embedded in the program). ``scan=False``: one compiled step a batch only (Keras's way,
    here with the gathering).
    """
    import time

    import jax
    import jax.numpy as jnp

    from kexp.compat.keras import train_by_calls

    step = model.train_step
    steps = model.steps_per_execution

    def batch_step(state, arrays, batch):
        data = batch if arrays is None else tuple(jnp.take(array, batch[0], axis=0) for array in arrays)
        return step(state, data)

    def scanned(state, arrays, batches):
        stacked = jax.tree.map(lambda *leaves: jnp.stack(leaves), *batches)

        def body(carried, batch):
            logs, carried = batch_step(carried, arrays, batch)
            return carried, logs

        state, logs = jax.lax.scan(body, state, stacked)
        return jax.tree.map(lambda per_step: per_step[-1], logs), state

    scan_call = jax.jit(scanned, donate_argnums=0)
    single_call = jax.jit(batch_step, donate_argnums=0)

    def one_by_one(state, batches):
        for batch in batches:
            logs, state = single_call(state, resident, batch)
        return logs, state

    if not scan:
        train_by_calls(model, one_by_one)
        return
    ways = {
        "as one compiled loop": lambda state, batches: scan_call(state, resident, tuple(batches)),
        "one by one": one_by_one,
    }
    seconds: dict[str, list[float]] = {way: [] for way in ways}
    chosen: list[str] = []
    calls = 0

    def timed(way, state, batches):
        jax.block_until_ready(state)
        started = time.perf_counter()
        logs, state = ways[way](state, batches)
        jax.block_until_ready(state)
        seconds[way].append(time.perf_counter() - started)
        return logs, state

    def decide() -> None:
        if not all(seconds.values()):
            return
        best = {way: min(times) for way, times in seconds.items()}
        fastest = min(best, key=best.__getitem__)
        if min(len(t) for t in seconds.values()) < TIMED_CALLS and max(best.values()) < CLEARLY_FASTER * best[fastest]:
            return
        chosen.append(fastest)
        rates = ", ".join(f"{way} {best[way] / steps * 1e6:.0f} µs a batch" for way in ways)
        log.info("trainer.steps_per_execution: the %d batches of a call run %s (%s)", steps, fastest, rates)

    def run_batches(state, batches):
        nonlocal calls
        whole = len(batches) == steps and len({tuple(a.shape for a in jax.tree.leaves(b)) for b in batches}) == 1
        if chosen or not whole:
            return ways[chosen[0] if chosen and whole else "one by one"](state, batches)
        way = list(ways)[calls % 2]
        calls += 1
        if calls <= 2:  # (the first call of each way compiles it)
            return ways[way](state, batches)
        logs, state = timed(way, state, batches)
        decide()
        return logs, state

    train_by_calls(model, run_batches)
