"""``--plan``'s numbers (:mod:`kexp.cli.plan`): a configuration's model built (not trained), the
files it would write, and the time its earlier runs took."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras

    from kexp.config.run_settings import RunSettings
    from kexp.config.schema.trainer import TrainerConfig

#: What a run writes besides its models (history, metrics, curves, summary, logs): about.
SMALL_FILES = 300_000
#: How deep finished runs lie under the output root (``outputs/multirun/<date>/<time>/<job>``).
MAX_DEPTH = 5


def model_of(settings: RunSettings) -> keras.Model:
    """The run's model for its data's input shape and classes, built as the run builds it."""
    from kexp.backends.quiet import import_keras_quietly

    import_keras_quietly()
    from kexp.data import load_data
    from kexp.runs.pipeline import build
    from kexp.training.tasks import Task

    task = Task.from_settings(settings.task, settings.regularization.label_smoothing)
    data = load_data(settings.data, seed=settings.seed)
    task.check_fits(data, settings.data.name)  # (data.target_type=auto: known once the targets are read)
    data = task.prepare(data)
    return build(settings, tuple(data.input_shape), data, task)


def files_bytes(model: keras.Model, trainer: TrainerConfig) -> int:
    """About what one finished run leaves on disk: ``model.keras`` (``trainer.save_model``), the
    checkpoints it keeps, and the small files."""
    from kexp.runs.disk import model_file_bytes

    copies = int(trainer.save_model) + int(trainer.checkpoint.best) + int(trainer.checkpoint.last)
    return copies * model_file_bytes(model, bool(trainer.save_optimizer)) + SMALL_FILES


def finished_runs(root: Path | None = None) -> list[tuple[dict[str, object], float]]:
    """``(stored config, seconds per epoch)`` of every run under the output root that ended ok
    (read once for a whole plan)."""
    from kexp.runs.directory import read_stored_config
    from kexp.runs.layout import OUTPUT_ROOT, STORED_CONFIG
    from kexp.runs.record import RunRecord

    found = []
    base = Path(root or OUTPUT_ROOT)
    for depth in range(1, MAX_DEPTH + 1):
        for stored in base.glob("/".join(["*"] * depth) + "/" + STORED_CONFIG):
            run_dir = stored.parent.parent
            record = RunRecord.read(run_dir)
            if record is None or record.status != "ok" or not record.epochs or not math.isfinite(record.train_seconds):
                continue
            try:
                found.append((read_stored_config(run_dir), record.train_seconds / record.epochs))
            except (OSError, ValueError):
                continue
    return found


def earlier_seconds(
    values: dict[str, object], epochs: int, finished: list[tuple[dict[str, object], float]]
) -> tuple[float, int]:
    """Mean seconds a job of the configuration ``values`` (resolved, flat) took in the ``finished``
    runs of the same configuration — any seed — scaled to ``epochs``; and how many runs that is."""
    from kexp.runs.directory import is_free

    current = {k: v for k, v in values.items() if not is_free(k) and k not in ("seed", "trainer.epochs")}
    per_epoch = [
        seconds for stored, seconds in finished if all(stored.get(k, "<absent>") == v for k, v in current.items())
    ]
    if not per_epoch:
        return math.nan, 0
    return sum(per_epoch) / len(per_epoch) * epochs, len(per_epoch)
