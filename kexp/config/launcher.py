"""How many CPU threads one job gets when a launcher runs a sweep's jobs side by side."""

from __future__ import annotations

import os
from typing import Any

from omegaconf import OmegaConf

from kexp.config.errors import ConfigError


def threads_per_job(hydra_cfg: Any) -> int | None:
    """CPU threads for one job when a launcher runs jobs in parallel, else None.

    joblib: the cores shared by ``n_jobs``; Ray: the job's ``ray.remote.num_cpus``.
    """
    ray_cpus = OmegaConf.select(hydra_cfg, "launcher.ray.remote.num_cpus", default=None)
    if ray_cpus is not None:
        return max(1, int(ray_cpus))
    n_jobs = OmegaConf.select(hydra_cfg, "launcher.n_jobs", default=None)
    if n_jobs is None:
        return None
    cores = os.cpu_count() or 1
    parallel = cores if int(n_jobs) < 0 else max(1, min(int(n_jobs), cores))
    return max(1, cores // parallel)


def runs_jobs_here(hydra_cfg: Any) -> bool:
    """Whether the sweep's jobs run one after another in this process (Hydra's basic launcher)."""
    from kexp.compat.hydra import BASIC_LAUNCHER

    return OmegaConf.select(hydra_cfg, "launcher._target_", default=None) == BASIC_LAUNCHER


def check_launcher(cfg: Any) -> None:
    """ConfigError for a launcher setting that would fail after the preflight: joblib's ``n_jobs=0``
    ("has no meaning": -1 is every core, -2 all but one)."""
    if str(OmegaConf.select(cfg, "hydra.launcher._target_", default="")).endswith("JoblibLauncher"):
        n_jobs = OmegaConf.select(cfg, "hydra.launcher.n_jobs", default=None)
        if n_jobs == 0:
            raise ConfigError.bad_value(
                "hydra.launcher.n_jobs", "0", "must be the number of jobs side by side (1, 2, …) or -1 for every core"
            )
