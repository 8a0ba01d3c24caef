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
from pathlib import Path
from typing import cast

import keras
from omegaconf import DictConfig, OmegaConf

from kexp.models.backbone import BACKBONE_LAYER

log = logging.getLogger("kexp")

PHASE_COLUMN = "phase"


def fine_tuning(cfg: DictConfig) -> bool:
    """Whether ``cfg`` trains in two phases (``trainer.fine_tune.freeze_epochs`` > 0)."""
    return int(OmegaConf.select(cfg, "trainer.fine_tune.freeze_epochs", default=0) or 0) > 0


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


def phase_learning_rate(cfg: DictConfig, phase: int) -> float:
    """The rate of ``phase``: the optimizer's in phase 1; ``fine_tune.learning_rate`` or a tenth in phase 2."""
    rate = float(cfg.optimizer.learning_rate)
    if phase == 1:
        return rate
    chosen = cfg.trainer.fine_tune.learning_rate
    return float(chosen) if chosen is not None else rate / 10


def configure_phase(model: keras.Model, cfg: DictConfig, task, phase: int) -> None:
    """Freeze or unfreeze as ``phase`` says and compile with a fresh optimizer at its rate."""
    from kexp.training.optimizers import build_optimizer
    from kexp.training.trainer import compile_model

    set_trainable(model, phase, cfg.trainer.fine_tune.unfreeze_layers)
    optimizer_cfg = OmegaConf.merge(cfg.optimizer, {"learning_rate": phase_learning_rate(cfg, phase)})
    compile_model(
        model,
        build_optimizer(optimizer_cfg),  # type: ignore[arg-type]  # (OmegaConf/Hydra/MLflow return types are wider than their use here)
        task,
        jit_compile=cfg.trainer.jit_compile,
        steps_per_execution=cfg.trainer.steps_per_execution,
    )


def parameter_counts(model: keras.Model, cfg: DictConfig) -> list[tuple[int, int, int]]:
    """``(phase, trainable, frozen)`` parameters of each phase (the model is left as phase 1)."""
    counts = []
    for phase in (1, 2):
        set_trainable(model, phase, cfg.trainer.fine_tune.unfreeze_layers)
        trainable = sum(int(keras.ops.size(w)) for w in model.trainable_weights)
        counts.append((phase, trainable, model.count_params() - trainable))
    set_trainable(model, 1, cfg.trainer.fine_tune.unfreeze_layers)
    return counts


def phases_text(model: keras.Model, cfg: DictConfig) -> str:
    """model.txt's lines on the phases: epochs, rate, trainable and frozen parameters."""
    freeze, epochs = int(cfg.trainer.fine_tune.freeze_epochs), int(cfg.trainer.epochs)
    spans = {1: (1, min(freeze, epochs)), 2: (freeze + 1, epochs)}
    lines = ["Fine-tuning in two phases (trainer.fine_tune):"]
    for phase, trainable, frozen in parameter_counts(model, cfg):
        first, last = spans[phase]
        if first > last:
            continue
        lines.append(
            f"  phase {phase}, epochs {first}-{last}, learning rate "
            f"{phase_learning_rate(cfg, phase):g}: {trainable:,} trainable, {frozen:,} frozen parameters"
        )
    return "\n".join(lines) + "\n"


def train_in_phases(
    model: keras.Model, data, cfg: DictConfig, run_dir: Path, guard, task, callbacks: list, replicas: int
):
    """Fit phase 1 then phase 2 (or resume in the phase the backup is in); one combined FitResult."""
    from kexp.runs.layout import BACKUP_DIR, completed_epochs
    from kexp.training.backup import backup_phase, rewrite_backup
    from kexp.training.trainer import fit

    freeze, epochs = int(cfg.trainer.fine_tune.freeze_epochs), int(cfg.trainer.epochs)
    done = completed_epochs(run_dir / BACKUP_DIR)
    results = []

    def fit_phase(trainer: DictConfig, phase: int):
        """One phase's ``fit``: its epochs, its phase column, its backups."""
        return fit(
            model,
            data,
            trainer,
            run_dir,
            guard,
            seed=cfg.seed,
            callbacks=[*callbacks, PhaseColumn(phase)],
            replicas=replicas,
            phase=phase,
        )

    # a backup of the last phase-1 epoch still in phase 1: killed before the switch was kept
    if freeze >= epochs or done < freeze or (done == freeze and backup_phase(run_dir) == 1):
        configure_phase(model, cfg, task, 1)
        phase_one = cast(DictConfig, OmegaConf.merge(cfg.trainer, {"epochs": min(freeze, epochs)}))
        results.append(fit_phase(phase_one, 1))
        if results[-1].status != "ok" or freeze >= epochs:
            return _combined(results)
        guard.check()  # a signal in phase 1's last epoch stops here: the rerun makes the switch
        configure_phase(model, cfg, task, 2)
        model.optimizer.build(model.trainable_variables)
        rewrite_backup(model, run_dir, epoch=freeze, phase=2)  # a kill from here on resumes in phase 2
        log.info(
            "fine-tuning: phase 2 from epoch %d, backbone unfrozen, learning rate %g",
            freeze + 1,
            phase_learning_rate(cfg, 2),
        )
    else:
        configure_phase(model, cfg, task, 2)
    results.append(fit_phase(cfg.trainer, 2))
    return _combined(results)


def _combined(results: list):
    """One FitResult for the phases: the last history and status, the summed time and images."""
    last = results[-1]
    return replace(
        last, train_seconds=sum(r.train_seconds for r in results), images_seen=sum(r.images_seen for r in results)
    )
