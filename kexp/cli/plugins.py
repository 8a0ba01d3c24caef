"""Config group options that need an optional Hydra plugin or package, and the extra that brings it."""

from __future__ import annotations

from kexp.config.errors import ConfigError

#: Group options that need a Hydra plugin: (group, option) → (the plugin's module, kexp's extra).
PLUGINS = {
    ("hydra/launcher", "ray"): ("hydra_plugins.hydra_ray_launcher", "ray"),
    ("hydra/launcher", "joblib"): ("hydra_plugins.hydra_joblib_launcher", "launchers"),
    ("hydra/launcher", "submitit_local"): ("hydra_plugins.hydra_submitit_launcher", "launchers"),
    ("hydra/launcher", "submitit_slurm"): ("hydra_plugins.hydra_submitit_launcher", "launchers"),
    ("hydra/launcher", "slurm"): ("hydra_plugins.hydra_submitit_launcher", "launchers"),
    ("hparams_search", "optuna"): ("optuna", "sweep"),
}


def check_plugin(group: str, option: str) -> None:
    """ConfigError naming the extra to install when ``group=option`` needs a missing Hydra plugin."""
    import importlib.util

    module, extra = PLUGINS.get((group, option), (None, None))
    if module is not None and importlib.util.find_spec(module) is None:
        what = f"the Hydra plugin {module.split('.')[1]}" if module.startswith("hydra_plugins.") else module
        raise ConfigError(f"{group}={option} — needs {what}, not installed: pip install 'kexp[{extra}]'")
