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
    from kexp.runtime import start_backend

    start_backend(int(cfg.seed), deterministic=bool(cfg.trainer.get("deterministic", False)),
                  threads=threads)
    from kexp.data import load_data
    from kexp.models import build_model
    from kexp.optimizers import build_optimizer
    from kexp.trainer import compile_model, evaluate, fit

    data = load_data(cfg.data, seed=int(cfg.seed))
    log.info("data %s: train %d, validation %d%s, test %d, input %s, %d classes",
             data.name, len(data.y_train), len(data.y_val),
             " (the test split)" if data.val_is_test else "", len(data.y_test),
             "x".join(map(str, data.input_shape)), data.num_classes)
    try:
        model = build_model(cfg.model, data.input_shape, data.num_classes, cfg.regularization)
    except ValueError as err:  # Keras: a negative dimension somewhere down the net
        shape = "x".join(map(str, data.input_shape))
        raise DataError(f"images of {shape} are too small for model={cfg.model.name} "
                        f"({str(err).splitlines()[0]})") from err
    compile_model(model, build_optimizer(cfg.optimizer), cfg.trainer)
    artifacts.write_text(run_dir / artifacts.SUMMARY_FILE, artifacts.model_summary_text(model))
    log.info("model %s: %s parameters", cfg.model.name, f"{model.count_params():,}")

    result = fit(model, data, cfg.trainer, run_dir, seed=int(cfg.seed))
    scores: dict[str, float] = {}
    if result.status == "ok":
        scores = evaluate(model, data, int(cfg.trainer.batch_size))
        if cfg.trainer.get("save_model", True):
            with artifacts.atomic_path(run_dir / artifacts.MODEL_FILE) as tmp:
                model.save(tmp)
    if len(result.history):
        save_curves(result.history, run_dir / artifacts.CURVES_FILE, title=f"{cfg.name} ({result.status})"
                    if result.status != "ok" else str(cfg.name))
    row = metrics_row(cfg, model.count_params(), result.history, result.train_seconds,
                      result.images_seen, scores, status=result.status)
    artifacts.write_csv(run_dir / artifacts.METRICS_FILE, pd.DataFrame([row]))
    if result.status != "ok":
        log.warning("run %s: %s", result.status, STATUS_HINTS[result.status].format(run_dir=run_dir))
    row["signum"] = result.signum
    return row


def metrics_row(cfg: DictConfig, parameters: int, history: pd.DataFrame, train_seconds: float,
                images_seen: int, scores: dict[str, float], status: str) -> dict[str, object]:
    """The one-row summary of a run (``metrics.csv``)."""
    val = history["val_accuracy"] if "val_accuracy" in history else pd.Series(dtype=float)
    return {
        "name": str(cfg.name),
        "model": str(cfg.model.name),
        "optimizer": str(cfg.optimizer.get("name", cfg.optimizer.get("_target_"))),
        "parameters": int(parameters),
        "epochs": int(len(history)),
        "best_val_accuracy": float(val.max()) if len(val) else float("nan"),
        "final_val_accuracy": float(val.iloc[-1]) if len(val) else float("nan"),
        "test_accuracy": scores.get("test_accuracy", float("nan")),
        "test_loss": scores.get("test_loss", float("nan")),
        "train_seconds": round(train_seconds, 3),
        "images_per_second": round(images_seen / train_seconds, 1) if train_seconds > 0 else float("nan"),
        "status": status,
    }
