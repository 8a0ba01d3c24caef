"""Which code and versions each run ran with (its ``run.yaml``), and the runs that differ.

A comparison is only fair between runs of the same code: the summary shows
each run's kexp version and, in ``differs``, what sets it apart from the rest
(the value most runs share): another git commit, uncommitted changes, another
Keras / TensorFlow / JAX / NumPy version, another backend.
"""

from __future__ import annotations

from collections import Counter

from kexp.reporting.compare.runs import Run

#: What is compared: run.yaml's git state, backend and package versions.
COMPARED_PACKAGES = ("kexp", "keras", "tensorflow", "jax", "jaxlib", "numpy")


def fingerprint(run: Run) -> dict[str, str]:
    """The facts of ``run`` that decide its numbers, as short strings (absent ones left out)."""
    facts = run.provenance
    if not facts:
        return {}
    found = {name: str(version) for name, version in (facts.get("packages") or {}).items() if name in COMPARED_PACKAGES}
    git = facts.get("git")
    if git:
        found["git"] = str(git.get("commit", ""))[:10] + (" dirty" if git.get("dirty") else "")
    if facts.get("backend"):
        found["backend"] = str(facts["backend"])
    if facts.get("devices"):
        found["devices"] = ", ".join(map(str, facts["devices"]))
    return found


def differences(runs: list[Run]) -> list[str]:
    """Per run: ``"keras 3.14.0; git 1a2b3c4d5e dirty"`` for what differs from most runs ('' if nothing)."""
    prints = [fingerprint(run) for run in runs]
    usual = {
        key: Counter(p[key] for p in prints if key in p).most_common(1)[0][0] for key in {k for p in prints for k in p}
    }
    return ["; ".join(f"{key} {value}" for key, value in sorted(p.items()) if value != usual[key]) for p in prints]


def kexp_versions(runs: list[Run]) -> list[str]:
    """Each run's kexp version ('' where its run.yaml does not say)."""
    return [str((run.provenance.get("packages") or {}).get("kexp", "")) for run in runs]


def version_notes(table) -> list[str]:
    """Lines for the summary's head: the kexp version(s), and how many runs differ from the rest."""
    counts = Counter(v for v in table["kexp"] if v)
    notes = []
    if counts:
        notes.append("kexp " + ", ".join(f"{v} ({n} runs)" if len(counts) > 1 else v for v, n in counts.most_common()))
    flagged = int((table["differs"] != "").sum())
    if flagged:
        notes.append(f"{flagged} run(s) differ in code or versions from the rest: see the differs column")
    return notes
