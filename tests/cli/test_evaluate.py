"""python -m kexp.evaluate: a saved run scored again on its test split or on another folder,
written into a new directory; the run's files untouched; bad input one line."""

import hashlib

import pandas as pd
import pytest
from omegaconf import OmegaConf

from kexp.evaluate.cli import main
from tests.conftest import write_image_tree

def digests(run_dir):
    return {p.relative_to(run_dir): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(run_dir.rglob("*")) if p.is_file() and "evaluations" not in p.parts}


def test_the_run_test_split_scores_what_the_run_reported(saved_image_run, capsys):
    run_dir, root = saved_image_run
    before = digests(run_dir)
    assert main([str(run_dir), "--out", str(root / "again")]) == 0
    out = root / "again"
    assert "kexp: evaluation written to" in capsys.readouterr().out
    assert digests(run_dir) == before  # nothing of the run rewritten
    scores = pd.read_csv(out / "metrics.csv").iloc[0]
    reported = pd.read_csv(run_dir / "metrics.csv").iloc[0]
    assert scores["test_accuracy"] == pytest.approx(reported["test_accuracy"], abs=1e-6)
    assert scores["test_loss"] == pytest.approx(reported["test_loss"], rel=1e-5)
    assert scores["test_samples"] == 10  # 20 % of 48 files, stratified: 4 + 3 + 3
    pd.testing.assert_frame_equal(pd.read_csv(out / "confusion_matrix.csv"),
                                  pd.read_csv(run_dir / "confusion_matrix.csv"))
    assert pd.read_csv(out / "per_class.csv")["name"].tolist() == ["cat", "dog", "owl"]
    provenance = OmegaConf.load(out / "evaluation.yaml")
    assert provenance.run_dir == str(run_dir.resolve()) and provenance.test_samples == 10
    assert (out / "confusion_matrix.png").stat().st_size > 5000


def test_a_run_trained_before_a_rule_was_added_is_still_scored(saved_image_run, tmp_path):
    """Rules of how a run trains (a plateau that cannot act in its epochs, sizes above its splits, both
    refused from 2026-12-07 on) keep no finished run from being scored: it trained, under the old rules."""
    import shutil

    run_dir, root = saved_image_run
    old = shutil.copytree(run_dir, tmp_path / "old", ignore=shutil.ignore_patterns("evaluations"))
    cfg = OmegaConf.load(old / ".hydra" / "config.yaml")
    cfg.schedule = {"_target_": "kexp.training.schedules.plateau", "name": "plateau", "monitor": "val_loss",
                    "factor": 0.1, "patience": 3, "min_delta": 0.0001, "cooldown": 0, "min_lr": 0.0}
    cfg.data.train_size, cfg.data.test_size = 100_000, 100_000  # (then: all of each split, as here)
    cfg.objective = "val_mae"  # (a classification's objective it does not record: refused from 2026-12-08 on)
    OmegaConf.save(cfg, old / ".hydra" / "config.yaml")
    assert main([str(old), "--out", str(tmp_path / "scored")]) == 0
    scores = pd.read_csv(tmp_path / "scored" / "metrics.csv").iloc[0]
    assert scores["test_samples"] == 10
    assert scores["test_accuracy"] == pytest.approx(pd.read_csv(run_dir / "metrics.csv").iloc[0]["test_accuracy"])
    # a size given to kexp.evaluate itself must fit
    assert main([str(old), "data.test_size=99", "--out", str(tmp_path / "too_many")]) == 2
    assert not (tmp_path / "too_many").exists()


def test_another_folder_with_some_of_the_classes_in_another_order(saved_image_run):
    run_dir, root = saved_image_run
    other = write_image_tree(root / "other", classes=("dog", "owl"), per_class=10, seed=3)
    assert main([str(run_dir), f"data.path={other}", "data.test_split=0.5"]) == 0
    [out] = (run_dir / "evaluations").iterdir()
    confusion = pd.read_csv(out / "confusion_matrix.csv", index_col=0)
    # the labels were renumbered to the run's classes: no dog or owl counted as a cat
    assert confusion.index.tolist() == ["cat", "dog", "owl"]
    assert confusion.loc["cat"].sum() == 0 and confusion.loc[["dog", "owl"]].to_numpy().sum() == 10
    assert pd.read_csv(out / "metrics.csv")["origin"].iloc[0] == f"data.path={other}"


def test_all_of_a_new_folder_with_some_of_the_classes(saved_image_run, tmp_path):
    """--all (and data.test_split=1.0, the same) scores every image, not a fifth of them; a folder
    with only some of the run's classes; the run's subsample of its own data is not applied."""
    run_dir, _ = saved_image_run
    more = write_image_tree(tmp_path / "more", classes=("owl", "cat"), per_class=8, seed=5)
    assert main([str(run_dir), f"data.path={more}", "--all", "--out", str(tmp_path / "all")]) == 0
    assert main([str(run_dir), f"data.path={more}", "data.test_split=1.0", "--out", str(tmp_path / "one")]) == 0
    scores = [pd.read_csv(tmp_path / d / "metrics.csv").iloc[0] for d in ("all", "one")]
    assert scores[0]["test_samples"] == scores[1]["test_samples"] == 16
    assert scores[0]["test_accuracy"] == scores[1]["test_accuracy"]
    confusion = pd.read_csv(tmp_path / "all" / "confusion_matrix.csv", index_col=0)
    assert confusion.sum(axis=1).to_dict() == {"cat": 8, "dog": 0, "owl": 8}
    assert "--all" in OmegaConf.load(tmp_path / "one" / "evaluation.yaml").overrides
    # the run's own folder whole: all 48 images (train, validation and test)
    assert main([str(run_dir), "--all", "--out", str(tmp_path / "own")]) == 0
    assert pd.read_csv(tmp_path / "own" / "metrics.csv")["test_samples"].iloc[0] == 48


def test_a_folder_of_one_of_the_runs_classes_is_scored(saved_image_run, tmp_path):
    """Once refused: "only one class folder …; classification needs at least two" (a rule for training)."""
    run_dir, _ = saved_image_run
    owls = write_image_tree(tmp_path / "owls", classes=("owl",), per_class=7, seed=9)
    assert main([str(run_dir), f"data.path={owls}", "--all", "--out", str(tmp_path / "owls-scored")]) == 0
    confusion = pd.read_csv(tmp_path / "owls-scored" / "confusion_matrix.csv", index_col=0)
    assert confusion.sum(axis=1).to_dict() == {"cat": 0, "dog": 0, "owl": 7}


def test_bad_input_is_one_line_and_leaves_no_directory(saved_image_run, tmp_path, capsys):
    run_dir, root = saved_image_run
    strange = write_image_tree(tmp_path / "strange", classes=("cat", "yak"), per_class=6)
    (tmp_path / "a_file").write_text("")
    cases = [([str(tmp_path)], f"kexp: run error: {tmp_path} — not a kexp run directory"),
             ([str(tmp_path / "a_file")], f"kexp: run error: {tmp_path / 'a_file'} — not a directory"),
             ([str(tmp_path / "nowhere")], f"kexp: run error: {tmp_path / 'nowhere'} — no such directory"),
             ([str(run_dir), f"data.path={strange}"], "classes yak are not among the run's classes (cat, dog, owl)"),
             ([str(run_dir), "data.image_size=[20,20]"], "inputs of 20x20x1, but the model of"),
             ([str(run_dir), "trainer.nope=1"], "kexp: config error: trainer.nope=1 — not a key of the run's config"),
             ([str(run_dir), "trainer.epochs=3"], "kexp: config error: trainer.epochs=3 — not read when a saved model "
                                                  "is scored"),
             ([str(run_dir), "model.hidden_units=[16]"], "model.hidden_units=[16] — not read"),
             # (the test split is the same whatever the training split's size, hold-out or weights)
             ([str(run_dir), "data.train_size=12"], "data.train_size=12 — shapes only the training split"),
             ([str(run_dir), "data.val_split=0.5"], "data.val_split=0.5 — shapes only the training split"),
             ([str(run_dir), "--all", "data.val_split=0"], "data.val_split=0 — shapes only the training split"),
             # (--batch-size 0 scored with the run's batch size; beside trainer.batch_size one was not read)
             ([str(run_dir), "--batch-size", "0"], "kexp: config error: --batch-size=0 — must be at least 1"),
             ([str(run_dir), "trainer.batch_size=8", "--batch-size", "16"], "--batch-size 16 and "
                                                                          "trainer.batch_size=8 — give one of them")]
    evaluations = set((run_dir / "evaluations").iterdir()) if (run_dir / "evaluations").exists() else set()
    for argv, message in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert message in err and len(err.splitlines()) == 1, err
    unfinished = tmp_path / "unfinished"
    (unfinished / ".hydra").mkdir(parents=True)
    (unfinished / ".hydra" / "config.yaml").write_text("seed: 0\n")
    assert main([str(unfinished)]) == 2
    assert "has no finished model (model.keras is missing" in capsys.readouterr().err
    now = set((run_dir / "evaluations").iterdir()) if (run_dir / "evaluations").exists() else set()
    assert now == evaluations
