"""``--plan``: the jobs, each configuration's parameters, MACs, files and time, and nothing done."""

import pandas as pd

from kexp.cli.plan import main as plan
from tests.conftest import kexp_in_process

TINY = ["data.train_size=120", "data.test_size=40", "trainer.save_model=false"]


def planned(argv: list[str], capsys) -> tuple[int, str, str]:
    status = plan(argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def rows(stdout: str) -> dict[str, list[str]]:
    """The plan's table: configuration → its columns."""
    lines = stdout.strip().splitlines()
    return {line.split()[0]: line.split()[1:] for line in lines[2:-1]}


def test_a_plan_counts_every_configuration_times_it_from_earlier_runs_and_makes_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    status, out, _ = planned(["-m", "model=cnn,mlp", "optimizer=sgd,adam"], capsys)
    assert status == 0 and out.startswith("kexp plan: a sweep of 4 jobs; nothing is run, no directory is made")
    table = rows(out)
    assert list(table) == ["model=cnn,optimizer=sgd", "model=cnn,optimizer=adam", "model=mlp,optimizer=sgd",
                           "model=mlp,optimizer=adam"]
    # the slides' mlp on 28x28 digits: 784-512-256-10, a MAC per weight, a parameter per weight and bias
    assert table["model=mlp,optimizer=sgd"][:2] == ["535,818", "535,040"]
    assert 784 * 512 + 512 * 256 + 256 * 10 == 535_040 and 535_040 + 512 + 256 + 10 == 535_818
    assert table["model=cnn,optimizer=adam"][0] == "6,511,370"  # the slides' count
    # model.keras (float32 weights, no optimizer state) and the small files
    assert table["model=cnn,optimizer=adam"][2:4] == ["26.3", "MB"] and 6_511_370 * 4 + 300_000 < 26.35e6
    assert "no earlier run" in out and "training time unknown" in out
    assert list(tmp_path.iterdir()) == []  # nothing written

    # after one real run of the mlp, a plan of 3 epochs of it is timed from that run's seconds per epoch
    done = kexp_in_process(["model=mlp", *TINY, "trainer.epochs=1", "seed=4"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    metrics = pd.read_csv(next((tmp_path / "outputs").rglob("metrics.csv")))
    per_epoch = float(metrics["train_seconds"].iloc[0]) / int(metrics["epochs"].iloc[0])
    status, out, _ = planned(["model=mlp", *TINY, "trainer.epochs=3"], capsys)
    assert status == 0 and f"{per_epoch * 3:.0f} s (mean of 1 earlier run)" in out  # (any seed counts)
    assert len(list((tmp_path / "outputs").rglob("metrics.csv"))) == 1  # the plan ran nothing

    status, out, _ = planned(["-m", "model=cnn,mlp", *TINY, "hydra/sweeper=race"], capsys)
    assert out.startswith("kexp plan: a race of 2 configurations: 6 jobs in its first round, at most 20")
    # a search: its trials no more than its budget, then the confirmation runs (it said 20 jobs here)
    status, out, _ = planned(["-m", "model=mlp", *TINY, "hparams_search=optuna", "hparams_search.budget.trials=2",
                              "hparams_search.confirm.top_k=3", "hparams_search.confirm.seeds=2"], capsys)
    assert out.startswith("kexp plan: a search of at most 2 trials (hparams_search.budget.trials, the study's own "
                          "counted), then its 2 best confirmed with 2 seeds each (4 runs)"), out
    assert "in all: 6 jobs," in out
    status, out, _ = planned(["-m", "model=mlp", *TINY, "hparams_search=optuna"], capsys)
    assert out.startswith("kexp plan: a search of 20 trials (the composed") and "in all: 20 jobs," in out
    status, out, err = planned(["-m", "model=cnn,mlp", "trainer.epochs=-1"], capsys)
    assert status == 2 and err.strip().startswith("kexp: config error: trainer.epochs=-1") and out == ""
    # a CSV's numeric target under the default task=multiclass: known once the column is read (was a
    # traceback from the model's Dense(units=0); the run itself said this line)
    from tests.data.test_csv_table import write_table

    table = write_table(tmp_path / "houses.csv")
    status, out, err = planned(["data=csv", f"data.path={table}", "data.target=size", "model=mlp"], capsys)
    assert (status, out) == (2, "") and err.strip() == ("kexp: config error: task=multiclass needs class labels, "
                                                        "but data=csv has data.target_type=numbers — use task=regression")


def test_the_command_line_takes_the_flag_before_hydra_sees_it(tmp_path):
    result = kexp_in_process(["model=mlp", *TINY, "--plan"], tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("kexp plan: 1 job; nothing is run")
    assert not (tmp_path / "outputs").exists()
