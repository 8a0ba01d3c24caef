"""Two-phase fine-tuning of a ``model=backbone`` run, as the Keras transfer-learning guide does it.

Phase 1, epochs 1..``trainer.fine_tune.freeze_epochs``: the backbone frozen
(``trainable=False``), only the head learns, with the configured optimizer.
Phase 2, the remaining epochs: the backbone unfrozen (all of it, or its top
``unfreeze_layers`` layers) except its BatchNormalization layers, recompiled
with a fresh optimizer of the same kind at ``trainer.fine_tune.learning_rate``
(null: a tenth of ``optimizer.learning_rate``). ``history.csv`` continues
across the phases with a ``phase`` column.

BatchNormalization stays in inference mode in both phases (its statistics
fixed), as the Keras guide wants. The guide gets that by calling the backbone
with ``training=False``; under Keras 3 ``fit``'s ``training=True`` overrides
that argument inside a functional model (keras-team/keras#20285), so kexp
keeps the BN layers ``trainable=False``, which Keras 3 runs in inference mode.

Resumable in either phase: every epoch's backup records its phase
(:class:`kexp.training.backup.AtomicBackupAndRestore`); at the switch the backup of the
last phase-1 epoch is written again with phase 2's fresh optimizer, so a
rerun after a kill anywhere lands in the right phase with the right
optimizer state.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import keras

from kexp.models.backbone import BACKBONE_LAYER

if TYPE_CHECKING:
    from kexp.config.schema.trainer import FineTuneConfig, TrainerConfig
    from kexp.training.trainer import Compilation, FitPlace

log = logging.getLogger("kexp")

PHASE_COLUMN = "phase"


class PhaseColumn(keras.callbacks.Callback):
    """Adds ``phase`` to every epoch's logs (history.csv, the loggers)."""

    def __init__(self, phase: int) -> None:
        super().__init__()
        self.phase = phase

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs[PHASE_COLUMN] = self.phase


def set_trainable(model: keras.Model, phase: int, unfreeze_layers: int | None) -> None:
    """Phase 1: the backbone frozen. Phase 2: unfrozen (all or its top ``unfreeze_layers`` layers)
    but for its BatchNormalization layers."""
    backbone = model.get_layer(BACKBONE_LAYER)
    backbone.trainable = phase == 2
    if phase == 2:
        layers = backbone.layers
        for layer in layers[: -int(unfreeze_layers)] if unfreeze_layers else []:
            layer.trainable = False
        for layer in _all_layers(backbone):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False


def _all_layers(layer: keras.Layer) -> list[keras.Layer]:
    """``layer``'s layers, and theirs, recursively."""
    found = []
    for child in getattr(layer, "layers", []):
        found += [child, *_all_layers(child)]
    return found


def phase_learning_rate(rate: float, fine_tune: FineTuneConfig, phase: int) -> float:
    """The rate of ``phase``: the optimizer's ``rate`` in phase 1; ``fine_tune.learning_rate`` or a
    tenth of ``rate`` in phase 2."""
    if phase == 1:
        return rate
    return float(fine_tune.learning_rate) if fine_tune.learning_rate is not None else rate / 10


def configure_phase(model: keras.Model, compilation: Compilation, fine_tune: FineTuneConfig, phase: int) -> None:
    """Freeze or unfreeze as ``phase`` says and compile with a fresh optimizer at its rate."""
    set_trainable(model, phase, fine_tune.unfreeze_layers)
    rate = float(compilation.optimizer.learning_rate)
    compilation.compile(model, learning_rate=phase_learning_rate(rate, fine_tune, phase))


def parameter_counts(model: keras.Model, unfreeze_layers: int | None) -> list[tuple[int, int, int]]:
    """``(phase, trainable, frozen)`` parameters of each phase (the model is left as phase 1)."""
    counts = []
    for phase in (1, 2):
        set_trainable(model, phase, unfreeze_layers)
        trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
        counts.append((phase, trainable, model.count_params() - trainable))
    set_trainable(model, 1, unfreeze_layers)
    return counts


def phases_text(model: keras.Model, trainer: TrainerConfig, rate: float) -> str:
    """model.txt's lines on the phases: epochs, rate (the optimizer's ``rate`` in phase 1), trainable
    and frozen parameters."""
    fine_tune = trainer.fine_tune
    freeze, epochs = int(fine_tune.freeze_epochs), int(trainer.epochs)
    spans = {1: (1, min(freeze, epochs)), 2: (freeze + 1, epochs)}
    lines = ["Fine-tuning in two phases (trainer.fine_tune):"]
    for phase, trainable, frozen in parameter_counts(model, fine_tune.unfreeze_layers):
        first, last = spans[phase]
        if first > last:
            continue
        lines.append(
            f"  phase {phase}, epochs {first}-{last}, learning rate "
            f"{phase_learning_rate(rate, fine_tune, phase):g}: {trainable:,} trainable, {frozen:,} frozen parameters"
        )
    return "\n".join(lines) + "\n"


def train_in_phases(
    model: keras.Model, data, trainer: TrainerConfig, place: FitPlace, callbacks: list, compilation: Compilation
):
    """Fit phase 1 then phase 2 (or resume in the phase the backup is in); one combined FitResult."""
    from kexp.runs.layout import BACKUP_DIR, completed_epochs
    from kexp.training.backup import backup_phase, rewrite_backup
    from kexp.training.trainer import fit

    fine_tune, run_dir = trainer.fine_tune, place.run_dir
    freeze, epochs = int(fine_tune.freeze_epochs), int(trainer.epochs)
    done = completed_epochs(run_dir / BACKUP_DIR)
    results = []

    def fit_phase(phase_trainer: TrainerConfig, phase: int):
        """One phase's ``fit``: its epochs, its phase column, its backups."""
        return fit(model, data, phase_trainer, place, callbacks=[*callbacks, PhaseColumn(phase)], phase=phase)

    # a backup of the last phase-1 epoch still in phase 1: killed before the switch was kept
    if freeze >= epochs or done < freeze or (done == freeze and backup_phase(run_dir) == 1):
        configure_phase(model, compilation, fine_tune, 1)
        results.append(fit_phase(replace(trainer, epochs=min(freeze, epochs)), 1))
        if results[-1].status != "ok" or freeze >= epochs:
            return _combined(results)
        place.guard.check()  # a signal in phase 1's last epoch stops here: the rerun makes the switch
        configure_phase(model, compilation, fine_tune, 2)
        model.optimizer.build(model.trainable_variables)
        rewrite_backup(model, run_dir, epoch=freeze, phase=2)  # a kill from here on resumes in phase 2
        log.info(
            "fine-tuning: phase 2 from epoch %d, backbone unfrozen, learning rate %g",
            freeze + 1,
            phase_learning_rate(float(compilation.optimizer.learning_rate), fine_tune, 2),
        )
    else:
        configure_phase(model, compilation, fine_tune, 2)
    results.append(fit_phase(trainer, 2))
    return _combined(results)


def _combined(results: list):
    """One FitResult for the phases: the last history and status, the summed time and images."""
    last = results[-1]
    return replace(
        last, train_seconds=sum(r.train_seconds for r in results), images_seen=sum(r.images_seen for r in results)
    )
