"""Resuming a 20-trial Optuna study (``hparams_search=optuna`` with an SQLite storage).

    python benchmarks/study_resume.py [--trials 20] [--kill-after 10] [overrides...]

1. A search of ``--trials`` trials (a small ``mlp``, one epoch each) into a new
   sweep directory; then the same command into the same directory again: the
   searcher opens the study, finds its trials done and only rewrites the
   study table and comparison — the fixed cost of resuming.
2. The same search in another sweep directory, SIGKILLed once ``--kill-after``
   trials are complete, then rerun into its directory: the time until the study
   holds all its trials again, against the time the uninterrupted search took
   for those remaining trials.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SEARCH = ["-m", "hparams_search=optuna", "model=mlp", "model.hidden_units=[16]", "trainer.epochs=1",
          "data.train_size=200", "data.test_size=50", "trainer.save_model=false",
          "hydra.sweeper.params={optimizer.learning_rate: 'tag(log, interval(0.0001, 0.01))'}"]


def complete_trials(db: Path, sweep: Path) -> int:
    """Trials of ``sweep`` that are complete in the storage."""
    if not db.exists():
        return 0
    with sqlite3.connect(db) as connection:
        return connection.execute(
            "SELECT COUNT(*) FROM trials t JOIN trial_user_attributes a ON a.trial_id = t.trial_id "
            "WHERE a.key = 'kexp' AND a.value_json LIKE ? AND t.state = 'COMPLETE'",
            (f'%"sweep_dir": "{sweep}"%',)).fetchone()[0]


def search(root: Path, sweep: str, args: list[str]) -> float:
    """Wall seconds of one search command."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "kexp", *args, f"hydra.sweep.dir={root / sweep}"],
                          capture_output=True, text=True, cwd=root)
    if done.returncode != 0:
        raise SystemExit(f"exit {done.returncode}: {done.stderr[-3000:]}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--kill-after", type=int, default=10)
    parser.add_argument("--keep", help="work in this directory (kept) instead of a temporary one")
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.keep:
            root = Path(args.keep)
            root.mkdir(parents=True, exist_ok=True)
        db = root / "study.db"
        command = [*SEARCH, f"hydra.sweeper.n_trials={args.trials}", f"hparams_search.storage=sqlite:///{db}",
                   *args.overrides]
        first = search(root, "a", [*command, "hparams_search.study_name=first"])
        again = search(root, "a", [*command, "hparams_search.study_name=first"])
        print(f"{args.trials}-trial search: {first:.1f} s ({first / args.trials:.2f} s per trial)")
        print(f"rerun into its finished sweep directory (resume, nothing left): {again:.2f} s")

        killed = [*command, "hparams_search.study_name=second", f"hydra.sweep.dir={root / 'b'}"]
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "kexp", *killed], cwd=root,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while complete_trials(db, root / "b") < args.kill_after:
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        process.wait()
        until_kill = time.perf_counter() - started
        resumed = search(root, "b", killed[:-1])
        done = complete_trials(db, root / "b")
        left = args.trials - args.kill_after
        print(f"killed after {args.kill_after} complete trials ({until_kill:.1f} s); the rerun finished "
              f"the other {left} (the killed one resumed) in {resumed:.1f} s — {done} complete trials now; "
              f"the uninterrupted search spent about {first * left / args.trials:.1f} s on {left} trials")


if __name__ == "__main__":
    main()
