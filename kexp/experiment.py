"""One experiment: data, model, optimizer, training, evaluation, artifacts."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig

from kexp import artifacts
from kexp.errors import DataError
from kexp.plots import save_curves

log = logging.getLogger("kexp")

#: What each way of ending tells the user.
STATUS_HINTS = {
    "interrupted": "run the same command with hydra.run.dir={run_dir} to continue from the last completed epoch",
    "diverged": "the loss became NaN or infinite; lower optimizer.learning_rate (or add regularization)",
}


def run_experiment(cfg: DictConfig, run_dir: Path, threads: int | None = None) -> dict[str, object]:
    """Train and evaluate as ``cfg`` says, write every artifact into ``run_dir``.

    Returns the row written to ``metrics.csv``; its ``status`` is ok,
    interrupted (Ctrl-C / SIGTERM; resumable) or diverged (NaN loss).
    ``threads`` caps the backend's CPU threads (parallel sweep jobs share the cores).
    """
    from kexp.data import load_data
    from kexp.tasks import Task

    # Data first: a bad file or label is reported before the backend's slow import.
    task = Task.from_config(cfg.get("task"), cfg.regularization)
    data = task.prepare(load_data(cfg.data, seed=int(cfg.seed)))
    from kexp.runtime import device_strategy, start_backend

    start_backend(int(cfg.seed), deterministic=bool(cfg.trainer.get("deterministic", False)),
                  threads=threads, precision=str(cfg.trainer.get("precision", "float32")))
    from kexp.configured_callbacks import configured_callbacks
    from kexp.evaluation import evaluate, per_class_scores
    from kexp.flops import macs_text, total_macs
    from kexp.models import build_model
    from kexp.models.augment import resolve_flip
    from kexp.optimizers import build_optimizer
    from kexp.trainer import compile_model, fit

    log.info("data %s: train %d, validation %d%s, test %d, input %s, %d classes",
             data.name, len(data.y_train), len(data.y_val),
             " (the test split)" if data.val_is_test else "", len(data.y_test),
             "x".join(map(str, data.input_shape)), data.num_classes)
    scope, replicas = device_strategy(str(cfg.trainer.get("strategy", "default")))
    with scope:
        try:
            model = build_model(cfg.model, data.input_shape, task.output_units(data.num_classes),
                                resolve_flip(cfg.regularization, cfg.data), task.output_activation)
        except ValueError as err:  # Keras: a negative dimension somewhere down the net
            shape = "x".join(map(str, data.input_shape))
            raise DataError(f"images of {shape} are too small for model={cfg.model.name} "
                            f"({str(err).splitlines()[0]})") from err
        model = task.finish_model(model, data)
        compile_model(model, build_optimizer(cfg.optimizer), cfg.trainer, task)
    flops = total_macs(model)
    artifacts.write_text(run_dir / artifacts.SUMMARY_FILE,
                         artifacts.model_summary_text(model) + "\n" + macs_text(model))
    log.info("model %s: %s parameters, %s MACs per sample", cfg.model.name,
             f"{model.count_params():,}", f"{flops:,}")

    result = fit(model, data, cfg.trainer, run_dir, seed=int(cfg.seed),
                 callbacks=configured_callbacks(cfg, run_dir, data), replicas=replicas)
    scores: dict[str, float] = {}
    if result.status == "ok":
        batch_size = int(cfg.trainer.batch_size) * replicas
        scores = evaluate(model, data, batch_size)
        per_class = per_class_scores(model, data, batch_size)
        if per_class is not None:
            artifacts.write_csv(run_dir / artifacts.PER_CLASS_FILE, per_class)
        if cfg.trainer.get("save_model", True):
            with artifacts.atomic_path(run_dir / artifacts.MODEL_FILE) as tmp:
                model.save(tmp)
    if len(result.history):
        save_curves(result.history, run_dir / artifacts.CURVES_FILE, title=f"{cfg.name} ({result.status})"
                    if result.status != "ok" else str(cfg.name))
    row = metrics_row(cfg, model.count_params(), result.history, result.train_seconds,
                      result.images_seen, scores, status=result.status, flops=flops)
    artifacts.write_csv(run_dir / artifacts.METRICS_FILE, pd.DataFrame([row]))
    if result.status != "ok":
        log.warning("run %s: %s", result.status, STATUS_HINTS[result.status].format(run_dir=run_dir))
    row["signum"] = result.signum
    return row


def metrics_row(cfg: DictConfig, parameters: int, history: pd.DataFrame, train_seconds: float,
                images_seen: int, scores: dict[str, float], status: str,
                flops: int | None = None) -> dict[str, object]:
    """The one-row summary of a run (``metrics.csv``); ``flops``: MACs of one forward pass."""
    val = history["val_accuracy"] if "val_accuracy" in history else pd.Series(dtype=float)
    return {
        "name": str(cfg.name),
        "model": str(cfg.model.name),
        "optimizer": str(cfg.optimizer.get("name", cfg.optimizer.get("_target_"))),
        "parameters": int(parameters),
        "flops": flops,
        "epochs": int(len(history)),
        "final_loss": float(history["loss"].iloc[-1]) if "loss" in history and len(history) else float("nan"),
        "best_val_accuracy": float(val.max()) if len(val) else float("nan"),
        "final_val_accuracy": float(val.iloc[-1]) if len(val) else float("nan"),
        "test_accuracy": scores.get("test_accuracy", float("nan")),
        "test_loss": scores.get("test_loss", float("nan")),
        **{k: v for k, v in scores.items() if k not in ("test_accuracy", "test_loss")},
        "train_seconds": round(train_seconds, 3),
        "images_per_second": round(images_seen / train_seconds, 1) if train_seconds > 0 else float("nan"),
        "status": status,
    }
