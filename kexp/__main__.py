"""``python -m kexp``: the Hydra entry point.

Only Hydra is imported here; TensorFlow/Keras load inside the job, so
``--help`` and ``--cfg job`` stay fast.
"""

from __future__ import annotations

import os
import sys

import hydra
from omegaconf import DictConfig, OmegaConf

from kexp.config_dir import config_dir
from kexp.errors import KexpError

_MAX_SUFFIX = 60


def split_overrides(override_dirname: str) -> list[str]:
    """Split Hydra's ``a=1,b=[2,3]`` on the commas outside brackets."""
    items, depth, current = [], 0, ""
    for char in override_dirname:
        if char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return items + [current] if current else items


def run_dir_suffix(override_dirname: str) -> str:
    """``_<overrides>`` for a run directory name: one safe path component, short.

    Whole overrides are kept while they fit in about 60 characters; the
    number of those left out follows as ``+N``.
    """
    items = [item.replace(os.sep, "-").replace(" ", "") for item in split_overrides(override_dirname)]
    kept: list[str] = []
    for item in items:
        if kept and len(",".join(kept + [item])) > _MAX_SUFFIX:
            break
        kept.append(item[: _MAX_SUFFIX])
    if not kept:
        return ""
    left_out = len(items) - len(kept)
    return "_" + ",".join(kept) + (f",+{left_out}" if left_out else "")


def register_resolvers() -> None:
    """Resolvers used by conf/config.yaml (idempotent)."""
    if not OmegaConf.has_resolver("kexp_suffix"):
        OmegaConf.register_new_resolver("kexp_suffix", run_dir_suffix)


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def hydra_main(cfg: DictConfig) -> float | None:
    """Run one job (Hydra calls this once per run, or per job of a sweep)."""
    from kexp.job import run_job

    return run_job(cfg)


def main() -> None:
    """Check the command line's configs, then hand over to Hydra."""
    register_resolvers()
    from kexp.cli_help import render_help, wants_help

    if wants_help(sys.argv[1:]):
        print(render_help(sys.argv[1:]))
        return
    if os.environ.get("HYDRA_FULL_ERROR") != "1":
        from kexp.preflight import preflight

        try:
            preflight(sys.argv[1:])
        except KexpError as err:
            print(err.one_line(), file=sys.stderr)
            sys.exit(2)
    hydra_main()
    from kexp.job import FAILED_JOBS

    if FAILED_JOBS:
        print(f"kexp: {len(FAILED_JOBS)} job(s) did not end ok: {', '.join(sorted(FAILED_JOBS))}",
              file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
