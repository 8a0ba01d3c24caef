"""``python -m kexp.compare`` on a directory of 100 finished runs (goal: under 5 s), and the
MLflow UI's server listing the same runs.

    python benchmarks/compare_speed.py [--runs 100] [--epochs 30] [--mlflow]

Makes the runs (small fake histories, a sweep over optimizer x seed), then
times the whole CLI in a fresh process: Python start-up, imports, reading
every run, the summary, both plots and the HTML report.

``--mlflow`` (needs ``kexp[mlflow]``) also logs the same runs into an MLflow
SQLite store as kexp's logger does (a parent run, one nested run per job with
its params, per-epoch metrics and final metrics), starts ``mlflow server`` on
127.0.0.1 and times (1) the server's start until it answers and (2) the REST
calls the UI's experiment page makes to list the runs (``runs/search``, 100
runs a page, every page).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml


def make_sweep(root: Path, runs: int, epochs: int) -> None:
    """``runs`` job folders as a kexp sweep writes them."""
    optimizers = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw", "nadam", "adamax", "lion", "radam"]
    rng = np.random.default_rng(0)
    for job in range(runs):
        path = root / str(job)
        (path / ".hydra").mkdir(parents=True)
        (path / ".hydra" / "config.yaml").write_text("seed: 0\n")
        overrides = [f"optimizer={optimizers[job % len(optimizers)]}", f"seed={job // len(optimizers)}"]
        (path / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        epoch = np.arange(1, epochs + 1)
        val = 0.9 * (1 - 0.7 ** epoch) + rng.normal(0, 0.01, epochs)
        pd.DataFrame({"epoch": epoch, "accuracy": val + 0.02, "loss": 1 / epoch, "val_accuracy": val,
                      "val_loss": 1.1 / epoch, "learning_rate": 1e-3, "epoch_seconds": 1.0}
                     ).to_csv(path / "history.csv", index=False)
        (path / "run.yaml").write_text(yaml.safe_dump(
            {"command": "python -m kexp", "packages": {"kexp": "0.1.0", "keras": "3.15.1"},
             "backend": "Keras 3.15.1, backend tensorflow, precision float32, devices: CPU",
             "git": {"commit": "0" * 40, "dirty": False}}))
        pd.DataFrame([{"name": "x", "model": "cnn", "optimizer": overrides[0], "parameters": 6511370,
                       "epochs": epochs, "best_val_accuracy": val.max(), "final_val_accuracy": val[-1],
                       "test_accuracy": val[-1], "test_loss": 0.1, "train_seconds": 30.0,
                       "images_per_second": 400.0, "status": "ok"}]).to_csv(path / "metrics.csv", index=False)


def log_to_mlflow(root: Path, uri: str) -> str:
    """Log every run under ``root`` into the MLflow store ``uri`` as kexp's logger does; the experiment id."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient(uri)
    experiment = client.create_experiment("kexp-bench")
    parent = client.create_run(experiment, run_name="sweep", tags={"kexp.sweep": "true"}).info.run_id
    for job in sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name)):
        overrides = yaml.safe_load((job / ".hydra" / "overrides.yaml").read_text())
        run = client.create_run(experiment, run_name=f"cnn #{job.name}",
                                tags={"mlflow.parentRunId": parent, "kexp.job": job.name}).info.run_id
        history = pd.read_csv(job / "history.csv")
        now = int(time.time() * 1000)
        metrics = [Metric(column, float(value), now, int(epoch)) for column in history.columns[1:]
                   for epoch, value in zip(history["epoch"], history[column])]
        final = pd.read_csv(job / "metrics.csv").iloc[0]
        metrics += [Metric(k, float(final[k]), now, 0) for k in ("best_val_accuracy", "test_accuracy", "test_loss")]
        params = [Param(k, v) for k, v in (o.split("=", 1) for o in overrides)]
        params += [Param(f"trainer.p{i}", str(i)) for i in range(40)]  # a resolved config has ~50 keys
        for start in range(0, len(metrics), 1000):
            client.log_batch(run, metrics=metrics[start:start + 1000],
                             params=params if start == 0 else [], tags=[RunTag("kexp.status", "ok")])
        client.set_terminated(run, "FINISHED")
    client.set_terminated(parent, "FINISHED")
    return experiment


def time_mlflow_ui(uri: str, experiment: str) -> tuple[float, float, int]:
    """(seconds until ``mlflow server`` answers, seconds to list every run as the UI does, runs listed)."""
    import json
    import socket
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
                               "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=2)
                break
            except OSError:
                time.sleep(0.1)
        ready = time.perf_counter() - started
        started, listed, token = time.perf_counter(), 0, None
        while True:
            body = {"experiment_ids": [experiment], "max_results": 100, "order_by": ["attributes.start_time DESC"]}
            if token:
                body["page_token"] = token
            request = urllib.request.Request(f"{base}/ajax-api/2.0/mlflow/runs/search", json.dumps(body).encode(),
                                             {"Content-Type": "application/json"})
            page = json.load(urllib.request.urlopen(request, timeout=60))
            listed += len(page.get("runs", []))
            token = page.get("next_page_token")
            if not token:
                break
        return ready, time.perf_counter() - started, listed
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    """Make the runs, time the compare CLI, print the seconds against the goal."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--mlflow", action="store_true", help="also time the MLflow UI's server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "sweep"
        make_sweep(root, args.runs, args.epochs)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kexp.compare", str(root)], check=True, capture_output=True)
        seconds = time.perf_counter() - started
        rows = len(pd.read_csv(root / "summary.csv"))
        print(f"python -m kexp.compare on {rows} runs x {args.epochs} epochs: {seconds:.2f} s "
              f"(goal < 5 s: {'met' if seconds < 5 else 'NOT met'})")
        if args.mlflow:
            uri = f"sqlite:///{tmp}/mlflow.db"
            started = time.perf_counter()
            experiment = log_to_mlflow(root, uri)
            print(f"logging the {args.runs} runs into MLflow: {time.perf_counter() - started:.1f} s")
            ready, listing, listed = time_mlflow_ui(uri, experiment)
            print(f"mlflow server: ready after {ready:.1f} s; the UI's runs/search listed {listed} runs "
                  f"in {listing:.2f} s")


if __name__ == "__main__":
    main()
