"""Run directories with small made-up histories, as kexp writes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def make_run(path: Path, overrides: list[str], epochs: int = 3, accuracy: float = 0.8,
             status: str | None = "ok", seed: int = 0, error: str = "", config: dict | None = None,
             choices: dict | None = None, metrics: dict | None = None) -> Path:
    """A job directory: .hydra/{config,hydra,overrides}.yaml (``config``: the resolved config,
    ``choices``: Hydra's group choices), history.csv and (unless None) metrics.csv."""
    (path / ".hydra").mkdir(parents=True)
    (path / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config or {"seed": 0}))
    hydra = {"hydra": {"runtime": {"choices": {"hydra/launcher": "basic", **(choices or {})}}}}
    (path / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))
    (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    rng = np.random.default_rng(seed)
    epoch = np.arange(1, epochs + 1)
    val = accuracy * (1 - 0.5 ** epoch) + rng.normal(0, 0.01, epochs)
    history = pd.DataFrame({"epoch": epoch, "accuracy": val + 0.02, "loss": 1 / epoch,
                            "val_accuracy": val, "val_loss": 1.2 / epoch, "learning_rate": 1e-3,
                            "epoch_seconds": 1.0})
    history.to_csv(path / "history.csv", index=False)
    if status is not None:
        row = {"name": "x", "model": "cnn", "optimizer": "adam", "parameters": 1000, "epochs": epochs,
               "best_val_accuracy": val.max(), "final_val_accuracy": val[-1], "test_accuracy": val[-1],
               "test_loss": 0.3, "train_seconds": float(epochs), "images_per_second": 100.0,
               "status": status}
        if error:
            row["error"] = error
        row.update(metrics or {})
        pd.DataFrame([row]).to_csv(path / "metrics.csv", index=False)
    return path
