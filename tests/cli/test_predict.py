"""python -m kexp.predict: top-k classes with names for images and CSV rows, as the model scores them."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kexp.config.errors import DataError

from kexp.predict.cli import main, predict_files
from kexp.runs.saved import load_model
from tests.data.test_csv_table import write_table
from tests.conftest import finished_run


def test_images_get_their_top_classes_with_names(saved_image_run, tmp_path, capsys):
    run_dir, root = saved_image_run
    files = [root / "photos" / "cat" / "000.png", root / "photos" / "owl" / "001.jpg",
             root / "photos" / "dog" / "002.png"]
    out = tmp_path / "p.csv"
    assert main([str(run_dir), *map(str, files), "--top-k", "2", "--out", str(out)]) == 0
    assert "kexp: predictions written to" in capsys.readouterr().out
    table = pd.read_csv(out)
    assert table.columns.tolist() == ["input", "class_1", "name_1", "probability_1",
                                      "class_2", "name_2", "probability_2"]
    assert (table["probability_1"] >= table["probability_2"]).all()
    assert table["name_1"].tolist() == [["cat", "dog", "owl"][c] for c in table["class_1"]]
    # the same numbers as the model on the decoded images (kexp's own decoding)
    from kexp.data.images import ImageFiles

    pixels = ImageFiles(np.array([str(f) for f in files]), (16, 16), "grayscale").load()
    expected = load_model(run_dir).predict(pixels, verbose=0)
    assert table["class_1"].tolist() == expected.argmax(axis=1).tolist()
    assert table["probability_1"].to_numpy() == pytest.approx(expected.max(axis=1), abs=1e-5)
    # --out naming a folder ("results/", or one that exists) writes predictions.csv in it: "results/" once
    # wrote a file called results
    for given, written in (("results/", "results/predictions.csv"), ("results", "results/predictions-2.csv")):
        assert main([str(run_dir), str(files[0]), "--out", f"{tmp_path}/{given}"]) == 0
        assert pd.read_csv(tmp_path / written)["input"].tolist() == [str(files[0])]


def test_csv_rows_are_encoded_with_the_run_training_statistics(tmp_path):
    table = write_table(tmp_path / "houses.csv", rows=90)
    run_dir = finished_run(tmp_path, ["data=csv", f"data.path={table}", "data.target=churned",
                                      "model=mlp", "model.hidden_units=[8]", "trainer.epochs=2"])
    new_rows = pd.read_csv(table).drop(columns=["churned"]).head(4)
    new_rows.to_csv(tmp_path / "new.csv", index=False)
    predicted = predict_files(run_dir, [tmp_path / "new.csv"], top_k=5)
    assert predicted["input"].tolist() == [f"{tmp_path / 'new.csv'}:{i}" for i in range(1, 5)]
    assert predicted.columns.tolist()[-1] == "probability_2"  # two classes: top-k capped at 2
    assert set(predicted["name_1"]) <= {"no", "yes"}
    assert (predicted["probability_1"] + predicted["probability_2"]).to_numpy() == pytest.approx(1, abs=1e-5)
    # the encoding is saved with the run: move the training CSV away and change it, the same rows
    # give exactly the same predictions (kexp 0.1 refitted the encoder from that file)
    assert (run_dir / "preprocessing.joblib").is_file()
    changed = pd.read_csv(table)
    changed["size"] = changed["size"] * 10 + 5
    changed["city"] = "paris"
    table.rename(tmp_path / "moved.csv")
    changed.to_csv(tmp_path / "moved.csv", index=False)
    again = predict_files(run_dir, [tmp_path / "new.csv"], top_k=5)
    pd.testing.assert_frame_equal(again, predicted)
    # and the columns a row must have are the run's features
    new_rows.drop(columns=["city"]).to_csv(tmp_path / "short.csv", index=False)
    with pytest.raises(DataError, match=r"short.csv — has no column city \(the run's features: "):
        predict_files(run_dir, [tmp_path / "short.csv"])


def test_bad_input_is_one_line(saved_image_run, tmp_path, capsys):
    run_dir, root = saved_image_run
    cases = [([str(run_dir), str(tmp_path / "missing.png")], "missing.png — no such file or folder"),
             ([str(run_dir), str(root / "photos" / "cat" / "000.png"), "--top-k", "0"], "--top-k=0 — must be at least 1"),
             ([str(tmp_path), str(root / "photos" / "cat" / "000.png")], "not a kexp run directory")]
    (tmp_path / "rows.csv").write_text("a,b\n1,2\n")
    cases.append(([str(run_dir), str(tmp_path / "rows.csv")], "CSV rows need a run trained with data=csv"))
    regression = tmp_path / "regression"  # (its config is what is read before the model: no training)
    (regression / ".hydra").mkdir(parents=True)
    (regression / ".hydra" / "config.yaml").write_text("seed: 0\ntask: {name: regression}\n")
    (regression / "model.keras").write_text("")
    cases.append(([str(regression), str(tmp_path / "rows.csv"), "--top-k", "5"],
                  "kexp: config error: --top-k=5 — not read: a regression run predicts one number per input"))
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err


def test_a_folder_a_text_file_and_an_earlier_predictions_csv(saved_image_run, tmp_path, monkeypatch, capsys):
    """A folder once said "no such file", README.md advised data.on_bad_image=skip (a training
    option), and a second call overwrote ./predictions.csv without a word."""
    run_dir, root = saved_image_run
    monkeypatch.chdir(tmp_path)
    assert main([str(run_dir), str(root / "photos" / "owl")]) == 0  # the folder's images
    first = pd.read_csv(tmp_path / "predictions.csv")
    assert first["input"].tolist() == sorted(str(p) for p in (root / "photos" / "owl").iterdir())
    assert main([str(run_dir), str(root / "photos" / "cat" / "000.png")]) == 0
    assert capsys.readouterr().out.strip().endswith(f"predictions written to {Path('predictions-2.csv')}")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "predictions.csv"), first)  # kept
    (tmp_path / "README.md").write_text("# words\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "fake.png").write_text("not a picture")
    for given, line in [("README.md", "README.md — not an image (jpg, jpeg, png, bmp, gif) nor a CSV file of feature rows"),
                        ("empty", "empty — a folder with no images in it (jpg, jpeg, png, bmp, gif)"),
                        ("fake.png", "fake.png — cannot be decoded as an image; give image files that open")]:
        assert main([str(run_dir), given]) == 2
        assert capsys.readouterr().err.strip() == f"kexp: data error: {line}"
