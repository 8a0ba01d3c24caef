"""Which configuration is really better: statistics over seeds for every comparison.

For the ranking metric (``--metric``; by default what the runs optimised) and each
configuration (the runs that differ only in ``seed``), over its runs that ended
ok:

- ``mean``, ``std`` (n − 1) and a 95 % confidence interval of the mean (Student t), clipped to
  [0, 1] for a bounded metric (accuracies, AUC: :data:`BOUNDED`);
- against the best configuration (best mean): Welch's t-test (unequal variances),
  its p-value Holm-corrected over all the comparisons (``p_vs_best``);
- ``p_beats_best``: the probability that the configuration's mean beats the
  best one's, by bootstrap over each one's seeds (10,000 resamples, seeded);
- ``tied``: not distinguishable from the best at α = 0.05 (Holm-corrected
  Welch p ≥ α; the best itself is tied with itself);
- ``seeds_for_power``: seeds per configuration a two-sample t-test would need to
  tell the observed difference apart with 80 % power at α (the noncentral t,
  the pooled standard deviation as the noise).

Everything comes from scipy.stats; with one seed per configuration nothing can
be claimed and :func:`claim_lines` says so, with the command that adds seeds.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

ALPHA = 0.05
POWER = 0.80
BOOTSTRAP = 10_000
#: Above this many seeds per configuration ``seeds_for_power`` gives up (the difference is tiny).
MAX_SEEDS = 10_000
#: Metrics that lie in [0, 1]: their intervals are clipped to it.
BOUNDED = ("accuracy", "auc")


def is_bounded(column: str) -> bool:
    """Whether ``column`` is a metric in [0, 1] (an accuracy, an AUC)."""
    return any(word in column for word in BOUNDED)


def interval_method(column: str) -> str:
    """How the intervals of ``column`` are made, in words (the report says it)."""
    return "95 % CI (Student t" + (", clipped to [0, 1])" if is_bounded(column) else ")")


def seed_statistics(
    table: pd.DataFrame, config_keys: list[str], column: str, smaller_is_better: bool, seed: int = 0
) -> pd.DataFrame | None:
    """One row per configuration with ≥ 1 ok run: the statistics above; None without seeds to compare.

    ``table``: the summary (one row per run, ``status``, the swept keys, ``column``).
    """
    ok = table[(table["status"] == "ok") & table[column].notna()]
    if ok.empty:
        return None
    keys = config_keys or None
    groups = ok.groupby(keys, sort=False) if keys else [("all", ok)]
    rows = []
    for name, group in groups:
        values = group[column].astype(float).to_numpy()
        row: dict[str, object] = dict(zip(config_keys, name if isinstance(name, tuple) else (name,)))
        row.update(runs=len(values), **_interval(values, (0.0, 1.0) if is_bounded(column) else None))
        row["_values"] = values
        rows.append(row)
    stats = pd.DataFrame(rows)
    if (stats["runs"] < 2).all():
        return None
    best = stats["mean"].idxmin() if smaller_is_better else stats["mean"].idxmax()
    _against_best(stats, best, smaller_is_better, np.random.default_rng(seed))
    stats = stats.drop(columns="_values")
    order = stats["mean"].sort_values(ascending=smaller_is_better, kind="stable").index
    return stats.loc[order].reset_index(drop=True)


def _interval(values: np.ndarray, bounds: tuple[float, float] | None = None) -> dict[str, float]:
    """mean, std and the 95 % Student-t interval of the mean (NaN below two values), inside
    ``bounds`` when the metric has them."""
    from scipy import stats

    n = len(values)
    mean = float(np.mean(values))
    if n < 2:
        return {"mean": mean, "std": math.nan, "ci_low": math.nan, "ci_high": math.nan}
    std = float(np.std(values, ddof=1))
    half = float(stats.t.ppf(1 - ALPHA / 2, n - 1)) * std / math.sqrt(n)
    low, high = mean - half, mean + half
    if bounds is not None:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return {"mean": mean, "std": std, "ci_low": low, "ci_high": high}


def _against_best(stats: pd.DataFrame, best: int, smaller_is_better: bool, rng: np.random.Generator) -> None:
    """Welch p (Holm-corrected), bootstrap P(beats best), tied, seeds for 80 % power: in place."""
    from scipy import stats as scipy_stats

    reference = stats.at[best, "_values"]
    raw: dict[int, float] = {}
    for index, values in stats["_values"].items():
        if index == best or len(values) < 2 or len(reference) < 2:
            continue
        raw[index] = float(scipy_stats.ttest_ind(values, reference, equal_var=False).pvalue)
    adjusted = holm(raw)
    stats["p_vs_best"] = [adjusted.get(i, math.nan) for i in stats.index]
    testable = len(reference) >= 2
    stats["p_beats_best"] = [
        math.nan if i == best or len(v) < 2 or not testable else beats(v, reference, smaller_is_better, rng)
        for i, v in stats["_values"].items()
    ]
    # (None: not testable, one seed on either side)
    stats["tied"] = [True if i == best else (adjusted[i] >= ALPHA if i in adjusted else None) for i in stats.index]
    stats["seeds_for_power"] = [
        math.nan if i == best or len(v) < 2 or not testable else seeds_for_power(v, reference)
        for i, v in stats["_values"].items()
    ]


def holm(pvalues: dict[int, float]) -> dict[int, float]:
    """Holm's step-down adjustment of ``pvalues`` (monotone, capped at 1)."""
    ordered = sorted(pvalues.items(), key=lambda item: item[1])
    m, running, adjusted = len(ordered), 0.0, {}
    for rank, (key, p) in enumerate(ordered):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[key] = running
    return adjusted


def beats(values: np.ndarray, reference: np.ndarray, smaller_is_better: bool, rng: np.random.Generator) -> float:
    """P(mean of ``values`` beats the mean of ``reference``), bootstrap over each one's seeds."""
    ours = rng.choice(values, size=(BOOTSTRAP, len(values))).mean(axis=1)
    theirs = rng.choice(reference, size=(BOOTSTRAP, len(reference))).mean(axis=1)
    return float(np.mean(ours < theirs if smaller_is_better else ours > theirs))


def seeds_for_power(values: np.ndarray, reference: np.ndarray) -> float:
    """Seeds per configuration for a two-sided two-sample t-test at α to reach 80 % power on the
    observed difference (Cohen's d with the pooled std); inf when the difference is 0."""
    from scipy import stats

    pooled = math.sqrt((np.var(values, ddof=1) + np.var(reference, ddof=1)) / 2)
    difference = abs(float(np.mean(values) - np.mean(reference)))
    if difference == 0 or not math.isfinite(pooled):
        return math.inf
    if pooled == 0:
        return 2.0
    d = difference / pooled
    for n in range(2, MAX_SEEDS):
        df = 2 * n - 2
        critical = stats.t.ppf(1 - ALPHA / 2, df)
        noncentral = d * math.sqrt(n / 2)
        power = stats.nct.sf(critical, df, noncentral) + stats.nct.cdf(-critical, df, noncentral)
        if power >= POWER:
            return float(n)
    return math.inf


def claim_lines(
    stats: pd.DataFrame | None,
    config_keys: list[str],
    column: str,
    command: str = "",
    add_seeds: str = " seed=0,1,2,3,4",
    table: pd.DataFrame | None = None,
) -> list[str]:
    """What the statistics allow one to say, in words (the summary's and the report's head).

    Without statistics, why: no run has ``column`` (``table``, the summary, says), no run with it
    ended ok, or one seed per configuration — then ``command`` + ``add_seeds`` as the way to add seeds."""
    if stats is None:
        ok = table[table["status"] == "ok"] if table is not None else None
        if table is not None and ok is not None and ok.empty:
            statuses = ", ".join(f"{status} {count}" for status, count in table["status"].value_counts().items())
            return [f"No run ended ok ({statuses}): no claim about {column} can be made"]
        if ok is not None and not ok[column].notna().any():
            present = [c for c in ok.columns if c.startswith(("best_", "test_")) and ok[c].notna().any()]
            have = f"; they have {', '.join(present)}" if present else ""
            return [f"No run has {column}: nothing to rank by, no claim can be made{have}"]
        again = f" — add seeds: {command}{add_seeds}" if command else f" — add seeds ({add_seeds.strip()})"
        return [f"One run per configuration: no claim about {column} can be made{again}"]

    from kexp.reporting.compare.table import ALL_RUNS, short_numbers

    def name(row: pd.Series) -> str:
        return short_numbers(", ".join(f"{k}={row[k]}" for k in config_keys)) or ALL_RUNS

    best = stats.iloc[0]
    lines = [
        f"Best {column}: {name(best)}, {best['mean']:.4f} (95 % CI {best['ci_low']:.4f} … {best['ci_high']:.4f}, "
        f"{int(best['runs'])} seeds)"
    ]
    others = stats.iloc[1:]
    tied = [name(row) for _, row in others.iterrows() if row["tied"] is True]
    behind = [name(row) for _, row in others.iterrows() if row["tied"] is False]
    single = [name(row) for _, row in others.iterrows() if row["tied"] is None]
    if tied:
        lines.append(f"Not distinguishable from it at α = {ALPHA} (Welch, Holm-corrected): {'; '.join(tied)}")
    if behind:
        lines.append(f"Worse than it at α = {ALPHA}: {'; '.join(behind)}")
    if single:
        lines.append(f"One seed, not compared: {'; '.join(single)}")
    if table is not None and config_keys:  # (a configuration none of whose runs ended ok with the metric)
        compared = {tuple(str(row[k]) for k in config_keys) for _, row in stats.iterrows()}
        missing = [
            f"{name(runs.iloc[0])} ({', '.join(f'{s} {n}' for s, n in runs['status'].value_counts().items())})"
            for _, runs in table.groupby(config_keys, sort=False, dropna=False)
            if tuple(str(runs.iloc[0][k]) for k in config_keys) not in compared
        ]
        if missing:
            lines.append(f"No run ended ok with {column}, not compared: {'; '.join(missing)}")
    return lines
