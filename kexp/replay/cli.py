"""``python -m kexp.replay RUN_OR_SWEEP [--verify] [--out DIR]``: run a finished run's command again.

The command is rebuilt from the run's own overrides (``.hydra/overrides.yaml``, the ones
``run.yaml`` recorded) into a new run directory (``outputs/replay/<date>_<time>`` unless
``--out``). First it says where this machine differs from the recorded run: package versions,
the git commit and uncommitted changes, the backend. ``--verify`` then compares the new
``history.csv`` with the old, column by column (``epoch_seconds`` aside): identical is the
verdict a ``trainer.deterministic=true`` run must reach. A run that is not deterministic and
differs is judged by the spread of its seeds (:mod:`kexp.replay.seed_spread`: its sweep's
runs of the same configuration at other seeds, or those under ``--seeds PATH``): "within seed
spread" when its best validation accuracy lies in their 95 % prediction interval. The verdict,
the largest differences and the spread go to ``replay.yaml`` in the new directory.
A sweep directory replays from its ``multirun.yaml`` (the same grid into a new sweep directory;
``--verify`` job by job). A directory that is not a finished run is one line, exit 2, nothing written.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import yaml

import kexp.cli  # noqa: F401  (TensorFlow's start-up lines hidden, as for every kexp command)
from kexp.config.errors import KexpError
from kexp.runs.layout import HISTORY_FILE, HYDRA_CONFIG, MULTIRUN_FILE, OUTPUT_ROOT, REPLAY_DIR, REPLAY_FILE


class ReplayError(KexpError):
    """A run that cannot be replayed."""

    kind = "replay"


def recorded_overrides(run_dir: Path) -> list[str]:
    """The overrides the run was started with (Hydra's record), without its run directory."""
    from kexp.runs.layout import HYDRA_OVERRIDES
    from kexp.runs.record import RunRecord

    record = RunRecord.read(run_dir)
    if record is None or not record.ok or not (run_dir / HYDRA_OVERRIDES).is_file():
        raise ReplayError(f"{run_dir} — not a finished kexp run (metrics.csv with status ok and .hydra/ are needed)")
    overrides = yaml.safe_load((run_dir / HYDRA_OVERRIDES).read_text(encoding="utf-8")) or []
    return [str(o) for o in overrides if not str(o).startswith("hydra.run.dir=")]


def recorded_sweep(sweep_dir: Path) -> list[str]:
    """A sweep's command-line overrides from its ``multirun.yaml`` (its own directory and mode aside)."""
    recorded = yaml.safe_load((sweep_dir / MULTIRUN_FILE).read_text(encoding="utf-8")) or {}
    overrides = (recorded.get("hydra") or {}).get("overrides") or {}
    kept = [o for o in overrides.get("hydra") or [] if not o.startswith(("hydra.sweep.dir=", "hydra.mode="))]
    return [*kept, *(overrides.get("task") or [])]


def sweep_jobs(sweep_dir: Path) -> list[str]:
    """The job folders of a sweep that have a history, by number."""
    return sorted((p.name for p in sweep_dir.iterdir() if p.name.isdigit() and (p / HISTORY_FILE).is_file()), key=int)


def machine_differences(run_dir: Path) -> list[str]:
    """Where this machine differs from the recorded run: versions, git, backend (one line each)."""
    from kexp.runs.provenance import git_state, package_versions, read_run_file

    facts = read_run_file(run_dir)
    lines = []
    recorded = facts.get("packages") or {}
    assert isinstance(recorded, dict)
    for name, now in package_versions().items():
        if name in recorded and recorded[name] != now:
            lines.append(f"{name} {recorded[name]} → {now}")
    was, git = facts.get("git") or {}, git_state(Path.cwd()) or {}
    assert isinstance(was, dict)
    if was.get("commit") and git.get("commit") != was.get("commit"):
        lines.append(f"git commit {str(was.get('commit'))[:12]} → {str(git.get('commit'))[:12]}")
    if git.get("dirty"):
        lines.append("uncommitted changes in the working tree")
    backend = os.environ.get("KERAS_BACKEND", "tensorflow")
    if facts.get("backend") and facts.get("backend") != backend:
        lines.append(f"backend {facts.get('backend')} → {backend}")
    return lines


def compare_histories(old: Path, new: Path) -> dict[str, object]:
    """``{verdict, max_abs_diff: {column: value}}`` of two ``history.csv`` files."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(old).drop(columns=["epoch_seconds"], errors="ignore")
    b = pd.read_csv(new).drop(columns=["epoch_seconds"], errors="ignore")
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return {"verdict": "different shape", "old": [len(a), list(a.columns)], "new": [len(b), list(b.columns)]}
    diffs = {c: float(np.nanmax(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float)))) for c in a.columns}
    identical = all(d == 0 for d in diffs.values())
    return {"verdict": "identical" if identical else "differs", "max_abs_diff": diffs}


def main(argv: list[str] | None = None) -> int:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m kexp.replay", description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="a finished run directory")
    parser.add_argument("--verify", action="store_true", help="compare the new history with the old")
    parser.add_argument("--out", type=Path, help="the new run directory (default outputs/replay/<date>_<time>)")
    parser.add_argument(
        "--seeds",
        type=Path,
        nargs="*",
        help="with --verify: run or sweep directories with the same configuration at other seeds "
        "(default: the run's sweep)",
    )
    args = parser.parse_intermixed_args(argv)
    from kexp.runs.provenance import override_argument
    from kexp.runs.saved import new_directory, timestamp

    sweep = (args.run_dir / MULTIRUN_FILE).is_file()
    try:
        overrides = recorded_sweep(args.run_dir) if sweep else recorded_overrides(args.run_dir)
        jobs = sweep_jobs(args.run_dir) if sweep else []
        if sweep and not jobs:
            raise ReplayError(f"{args.run_dir} — a sweep directory without finished jobs")
        check_seeds(args.seeds, args.verify, sweep)
    except KexpError as err:
        print(err.one_line(), file=sys.stderr)
        return 2
    first = args.run_dir / jobs[0] if sweep else args.run_dir
    for line in machine_differences(first):
        print(f"kexp.replay: differs from the recorded run: {line}", file=sys.stderr)
    out = new_directory(args.out or Path(OUTPUT_ROOT) / REPLAY_DIR / timestamp())
    where = override_argument("hydra.sweep.dir" if sweep else "hydra.run.dir", out.absolute(), shell=False)
    command = [sys.executable, "-m", "kexp", *(["-m"] if sweep else []), *overrides, where]
    print(f"kexp.replay: {' '.join(command[1:])}", file=sys.stderr)
    returncode = subprocess.run(command, check=False).returncode
    if returncode != 0:
        return returncode
    if args.verify:
        if sweep:  # job by job: the same numbers in the same order
            each = {job: compare_histories(args.run_dir / job / HISTORY_FILE, out / job / HISTORY_FILE) for job in jobs}
            same = all(v["verdict"] == "identical" for v in each.values())
            verdict: dict[str, object] = {"verdict": "identical" if same else "differs", "jobs": each}
        else:
            verdict = compare_histories(args.run_dir / HISTORY_FILE, out / HISTORY_FILE)
            if verdict["verdict"] != "identical" and not is_deterministic(args.run_dir):
                from kexp.replay.seed_spread import judge

                seeds = args.seeds or ([args.run_dir.parent] if (args.run_dir.parent / MULTIRUN_FILE).is_file() else [])
                verdict["seed_spread"] = spread = judge(args.run_dir, out, seeds)
                if spread["verdict"] != "seeds unknown":
                    verdict["verdict"] = spread["verdict"]
        facts = {
            "source": str(args.run_dir.resolve()),
            "overrides": overrides,
            **verdict,
            "machine_differences": machine_differences(first),
        }
        from kexp.runs.atomic import write_text

        write_text(out / REPLAY_FILE, yaml.safe_dump(facts, sort_keys=False, allow_unicode=True))
        print(f"kexp.replay: history {verdict['verdict']} ({out / REPLAY_FILE})")
        return 0 if verdict["verdict"] in ("identical", "within seed spread") else 1
    return 0


def check_seeds(seeds: list[Path] | None, verify: bool, sweep: bool) -> None:
    """A :class:`ReplayError` for ``--seeds`` that nothing would read: without ``--verify``, for a
    sweep (its jobs are compared one by one), with no directory, or naming no directory."""
    if seeds is None:
        return
    if not verify or sweep:
        why = "a sweep is verified job by job" if verify else "they judge --verify's verdict; add --verify"
        given = " ".join(["--seeds", *map(str, seeds)])
        raise ReplayError(f"{given} — not read: {why}")
    if not seeds:
        raise ReplayError("--seeds — needs run or sweep directories at other seeds")
    from kexp.config.paths import missing_directory

    for path in seeds:
        if not path.is_dir():
            raise ReplayError(f"--seeds {path} — {missing_directory(path)}")


def is_deterministic(run_dir: Path) -> bool:
    """Whether the run was made with ``trainer.deterministic=true`` (its resolved config)."""
    try:
        config = yaml.safe_load((run_dir / HYDRA_CONFIG).read_text()) or {}
    except (OSError, yaml.YAMLError):
        return False
    return bool((config.get("trainer") or {}).get("deterministic", False))


if __name__ == "__main__":
    sys.exit(main())
