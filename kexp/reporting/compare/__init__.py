"""Compare runs: ``summary.csv``, ``summary.md``, overlaid curves and ``report.html``.

With gradient diagnostics in the runs, also ``compare_gradients.png``. The
report shows the confusion matrix of the best run of each configuration; the
summary each run's kexp version and what sets its code or versions apart
(:mod:`kexp.reporting.compare.versions`), and, with seeds, which configuration
is really better (:mod:`kexp.reporting.compare.statistics`).

Used at the end of every sweep (:mod:`kexp.reporting.compare.callback`) and by
``python -m kexp.compare PATH [PATH ...]`` on any run or sweep directories.
"""

from __future__ import annotations

from pathlib import Path

from kexp.reporting.compare.plots import compare_figure, gradient_compare_figure
from kexp.reporting.compare.report import html_report
from kexp.reporting.compare.runs import find_runs
from kexp.reporting.compare.statistics import claim_lines, interval_method, seed_statistics
from kexp.reporting.compare.study import study_section
from kexp.reporting.compare.table import (
    AUTO,
    configuration_keys,
    over_seeds,
    ranked,
    resolve_metric,
    summary_table,
    swept_keys,
    to_markdown,
)
from kexp.reporting.compare.versions import version_notes
from kexp.runs.atomic import save_figure, write_csv, write_text
from kexp.runs.layout import COMPARE_GRADIENTS, COMPARE_SEEDS, CONFUSION_PNG, REPORT_FILE, SUMMARY_CSV, SUMMARY_MD
from kexp.runs.record import smaller_is_better

CURVES = ("accuracy", "loss")


def curve_metrics(runs: list) -> tuple[str, str]:
    """The two metrics drawn against epoch: :data:`CURVES`, with the MAE in place of the accuracy
    when the runs are regressions (their histories have ``mae`` and no ``accuracy``), as each run's
    ``curves.png`` does."""
    logged = [set(run.history.columns) for run in runs]
    regression = not any("accuracy" in cols for cols in logged) and any("mae" in cols for cols in logged)
    return ("mae", "loss") if regression else CURVES


def compare(paths: list[Path], out: Path, metric: str = AUTO) -> dict[str, Path]:
    """Write the comparison of every run under ``paths`` into ``out``, ranked by ``metric`` (``auto``:
    what the runs optimised, :func:`~kexp.reporting.compare.table.auto_metric`); return the files."""
    runs = find_runs([Path(p) for p in paths])
    if not runs:
        raise FileNotFoundError(f"no kexp runs under {', '.join(map(str, paths))}")
    table = summary_table(runs)
    column = resolve_metric(metric, table, runs)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keys = swept_keys(runs)
    best_first = ranked(table, column)
    seeds = over_seeds(table, keys)
    config = configuration_keys(keys)
    statistics = seed_statistics(table, config, column, smaller_is_better(column))
    study = study_section(out)
    command = rerun_command(runs)
    if study.is_study:  # (a search: more seeds of its best trials, in its own sweep directory)
        confirm = command and not study.several
        command = f"{command} hydra.sweep.dir={out} hparams_search.confirm.top_k=3" if confirm else ""
    add_seeds = "" if command and study.is_study else " seed=0,1,2,3,4"
    claims = claim_lines(statistics, config, column, command, add_seeds=add_seeds, table=table)
    claims = [*study.notes, *claims]
    written = {SUMMARY_CSV: out / SUMMARY_CSV, SUMMARY_MD: out / SUMMARY_MD}
    write_csv(written[SUMMARY_CSV], table)
    notes = version_notes(table)
    markdown = [
        f"# {len(runs)} runs ranked by {column}\n",
        *[f"{note}\n" for note in [*claims, *notes]],
        to_markdown(best_first.drop(columns=["dir"])),
    ]
    if statistics is not None:
        markdown += [
            f"\n## {column} over seeds: 95 % intervals, Welch against the best (Holm)\n",
            to_markdown(statistics),
        ]
    if seeds is not None:
        seed_col = f"{column}_mean" if f"{column}_mean" in seeds else seeds.columns[-1]
        markdown += [
            "\n## Mean ± std over seeds\n",
            to_markdown(seeds.sort_values(seed_col, ascending=smaller_is_better(column))),
        ]
    write_text(written[SUMMARY_MD], "\n".join(markdown))
    curves = curve_metrics(runs)
    for name in curves:
        path = written[f"compare_{name}.png"] = out / f"compare_{name}.png"
        save_figure(compare_figure(runs, keys, name), path)
    # (a search's importance and Pareto front right after the seeds' picture: what it found first)
    images: list[Path | tuple[str, Path]] = [*study.images, *(written[f"compare_{n}.png"] for n in curves)]
    if statistics is not None:  # (a picture of the seeds: each configuration's interval, the best first)
        from kexp.reporting.compare.forest import forest_figure

        path = written[COMPARE_SEEDS] = out / COMPARE_SEEDS
        save_figure(forest_figure(statistics, table, config, column, interval_method(column)), path)
        images.insert(0, (f"{column} over seeds: each configuration's interval and seeds", path))
    if any(len(r.gradients) for r in runs):  # runs with trainer.gradient_flow=true
        path = written[COMPARE_GRADIENTS] = out / COMPARE_GRADIENTS
        save_figure(gradient_compare_figure(runs, keys), path)
        images.append(path)
    images += best_confusion_matrices(runs, keys, best_first)
    tables = [*study.tables, (f"Runs ranked by {column}", best_first.drop(columns=["dir"]))]
    if statistics is not None:
        method = interval_method(column)
        tables.insert(0, (f"{column} over seeds: {method}, Welch against the best (Holm)", statistics))
    if seeds is not None:
        tables.append(("Mean ± std over seeds", seeds))
    written[REPORT_FILE] = out / REPORT_FILE
    title = f"kexp comparison: {len(runs)} run{'s' if len(runs) != 1 else ''}"
    report = html_report(title, images, tables, [*claims, *notes])
    write_text(written[REPORT_FILE], report)
    return written


def rerun_command(runs: list) -> str:
    """The command of the first run (``run.yaml``) without its seed and directory, for the "add seeds"
    hint (a new sweep directory: the grid differs); "" when unknown."""
    command = next((r.provenance.get("command") for r in runs if r.provenance.get("command")), "")
    dropped = ("seed=", "hydra.sweep.dir=", "hydra.run.dir=", "'hydra.sweep.dir=", "'hydra.run.dir=")
    return " ".join(part for part in str(command).split() if not part.startswith(dropped))


#: At most this many confusion matrices in a report, the best configurations' (a search has a
#: configuration per trial; every run keeps its own confusion_matrix.png).
MAX_CONFUSION_MATRICES = 3


def best_confusion_matrices(runs: list, keys: list[str], best_first) -> list[tuple[str, Path]]:
    """(heading, confusion_matrix.png) of the best run of each configuration that has one, the
    best configurations first (at most :data:`MAX_CONFUSION_MATRICES`)."""
    from kexp.reporting.compare.plots import configurations
    from kexp.reporting.compare.table import short_numbers

    order = {Path(d): rank for rank, d in enumerate(best_first["dir"])}
    found = []
    for name, members in configurations(runs, keys).items():
        members = [r for r in members if (r.path / CONFUSION_PNG).is_file() and r.status == "ok"]
        if members:
            best = min(members, key=lambda r: order.get(r.path, len(order)))
            found.append((order.get(best.path, len(order)), name, len(members), best))
    found.sort(key=lambda item: item[0])
    shown = (
        f" — the {MAX_CONFUSION_MATRICES} best of {len(found)} configurations"
        if len(found) > MAX_CONFUSION_MATRICES
        else ""
    )
    return [
        (
            f"Confusion matrix: {short_numbers(name)} (best of {count}: {best.path.name}){shown}",
            best.path / CONFUSION_PNG,
        )
        for _, name, count, best in found[:MAX_CONFUSION_MATRICES]
    ]
