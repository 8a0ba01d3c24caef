"""A real 2×2 sweep logged to MLflow and TensorBoard (``logger=[csv,mlflow,tensorboard]``),
read back with MLflow's client and TensorBoard's own server."""

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pandas as pd
import pytest

from tests.conftest import TINY_DATA, kexp_in_process

mlflow = pytest.importorskip("mlflow")

# sgd at 1e30 makes the loss NaN in epoch 1 (diverged); 0.05 trains normally.
SWEEP = ["-m", "model=mlp", "model.hidden_units=[16]", "optimizer=sgd", "optimizer.learning_rate=0.05,1e30",
         "seed=0,1", *TINY_DATA, "trainer.epochs=2", "logger=[csv,mlflow,tensorboard]",
         "hydra.sweep.dir=sweep"]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("tracked")
    uri = f"sqlite:///{root}/store/mlflow.db"
    result = kexp_in_process([*SWEEP, f"logger.mlflow.tracking_uri={uri}"], root)
    assert result.returncode == 1, result.stderr[-3000:]  # two jobs diverged
    return root / "sweep", uri


def test_every_job_is_a_nested_mlflow_run_with_its_config_metrics_files_and_status(sweep):
    sweep_dir, uri = sweep
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("kexp")
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs([experiment.experiment_id])
    parent = runs[runs["tags.kexp.sweep"] == "true"]
    jobs = runs[runs["tags.kexp.sweep"] != "true"].sort_values("tags.kexp.job")
    assert len(parent) == 1 and len(jobs) == 4
    assert (jobs["tags.mlflow.parentRunId"] == parent["run_id"].iloc[0]).all()
    assert jobs["tags.kexp.job"].tolist() == ["0", "1", "2", "3"]
    assert jobs["params.optimizer.learning_rate"].tolist() == ["0.05", "0.05", "1e+30", "1e+30"]
    assert jobs["params.seed"].tolist() == ["0", "1", "0", "1"]
    assert set(jobs["params.model.name"]) == {"mlp"} and set(jobs["params.trainer.epochs"]) == {"2"}
    assert jobs["status"].tolist() == ["FINISHED", "FINISHED", "FAILED", "FAILED"]
    assert jobs["tags.kexp.status"].tolist() == ["ok", "ok", "diverged", "diverged"]
    assert parent["status"].iloc[0] == "FAILED" and parent["tags.kexp.jobs_not_ok"].iloc[0] == "2"
    assert "report.html" in {a.path for a in client.list_artifacts(parent["run_id"].iloc[0])}
    for (_, job), number in zip(jobs.iterrows(), range(4)):
        run_dir = sweep_dir / str(number)
        history = pd.read_csv(run_dir / "history.csv")
        for column in ("loss", "val_accuracy", "learning_rate"):
            logged = client.get_metric_history(job["run_id"], column)
            assert [m.step for m in logged] == history["epoch"].tolist()
            assert [m.value for m in logged] == pytest.approx(history[column].tolist(), rel=1e-6, nan_ok=True)
        metrics = pd.read_csv(run_dir / "metrics.csv").iloc[0]
        assert job["metrics.epochs"] == metrics["epochs"]
        files = {a.path for a in client.list_artifacts(job["run_id"])}
        assert {"curves.png", "history.csv", "metrics.csv", "model.txt", "run.yaml", ".hydra"} <= files
        if number < 2:
            assert job["metrics.test_accuracy"] == pytest.approx(metrics["test_accuracy"])
            assert {"confusion_matrix.png", "per_class.csv"} <= files
            logged = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list",
                                                 filter_string=f"source_run_id = '{job['run_id']}'")
            assert [m.name for m in logged] == ["model"]  # an MLflow model of the run (once a bare file)
    assert (sweep_dir / str(0) / ".kexp" / "mlflow.yaml").is_file()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(command: list[str], url: str, timeout: float = 90) -> subprocess.Popen:
    """Start a server and wait until ``url`` answers."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read()[-2000:])
            time.sleep(0.5)
    server.kill()
    raise TimeoutError(url)


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(request, timeout=30))


def test_the_mlflow_ui_server_lists_the_sweep_from_the_store(sweep):
    _, uri = sweep
    port = free_port()
    server = serve([sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
                    "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
                   f"http://127.0.0.1:{port}/health")
    try:
        base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
        experiment = json.load(urllib.request.urlopen(
            f"{base}/experiments/get-by-name?experiment_name=kexp", timeout=30))["experiment"]
        found = post(f"{base}/runs/search", {"experiment_ids": [experiment["experiment_id"]]})["runs"]
    finally:
        server.terminate()
        server.wait(30)
    statuses = sorted(run["info"]["status"] for run in found)
    assert statuses == ["FAILED", "FAILED", "FAILED", "FINISHED", "FINISHED"]  # 4 jobs + the sweep


def test_tensorboard_hparams_dashboard_compares_the_jobs(sweep):
    sweep_dir, _ = sweep
    assert {p.parent.name for p in (sweep_dir / "0" / "tensorboard").rglob("events.out.tfevents.*")} == \
        {"train", "validation", "tensorboard"}
    port = free_port()
    server = serve([sys.executable, "-m", "tensorboard.main", "--logdir", str(sweep_dir),
                    "--host", "127.0.0.1", "--port", str(port)], f"http://127.0.0.1:{port}/data/runs")
    try:
        base = f"http://127.0.0.1:{port}/data/plugin/hparams"
        experiment = post(f"{base}/experiment", {"experimentName": ""})
        groups = post(f"{base}/session_groups", {
            "experimentName": "", "startIndex": 0, "sliceSize": 100, "colParams": [],
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"]})
    finally:
        server.terminate()
        server.wait(30)
    assert sorted(h["name"] for h in experiment["hparamInfos"]) == ["optimizer.learning_rate", "seed"]
    infos = {h["name"]: h for h in experiment["hparamInfos"]}  # typed, with the grid's values as domain
    assert infos["optimizer.learning_rate"]["type"] == "DATA_TYPE_FLOAT64"
    assert infos["optimizer.learning_rate"]["domainDiscrete"] == [0.05, 1e30]
    assert infos["seed"]["domainDiscrete"] == [0.0, 1.0] and infos["seed"]["differs"] is True
    sessions = {s["name"]: s for g in groups["sessionGroups"] for s in g["sessions"]}
    assert {s["status"] for s in sessions.values()} == {"STATUS_SUCCESS", "STATUS_FAILURE"}  # 1e30 diverged
    assert all(s["endTimeSecs"] >= s["startTimeSecs"] > 0 for s in sessions.values()), sessions
    names = [g["name"] for g in groups["sessionGroups"]]  # named by their overrides (and job number)
    assert "1: seed=1,optimizer.learning_rate=0.05" in names, names
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train = EventAccumulator(str(sweep_dir / "0" / "tensorboard" / "train"))
    train.Reload()
    loss = train.Tensors("epoch_loss") if "epoch_loss" in train.Tags()["tensors"] else train.Scalars("epoch_loss")
    assert [event.step for event in loss] == [1, 2]  # as history.csv numbers the epochs
    assert {m["name"]["tag"] for m in experiment["metricInfos"]} >= {
        "best_val_accuracy", "final_val_accuracy", "test_accuracy"}
    summary = pd.read_csv(sweep_dir / "summary.csv").set_index("job")
    rows = {(g["hparams"]["optimizer.learning_rate"], g["hparams"]["seed"]):
            {m["name"]["tag"]: m["value"] for m in g["metricValues"]} for g in groups["sessionGroups"]}
    assert sorted(rows) == [(0.05, 0.0), (0.05, 1.0), (1e30, 0.0), (1e30, 1.0)]
    assert rows[(0.05, 1.0)]["test_accuracy"] == pytest.approx(summary.loc[1, "test_accuracy"])
    assert rows[(0.05, 0.0)]["best_val_accuracy"] == pytest.approx(summary.loc[0, "best_val_accuracy"])
