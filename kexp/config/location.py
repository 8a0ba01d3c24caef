"""Locate kexp's Hydra config directory from a wheel or a source checkout."""

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """Return the directory that holds ``config.yaml``.

    An installed wheel ships the repository's top-level ``conf/`` as
    ``kexp/conf`` (see ``pyproject.toml``); a source checkout (editable
    install, or running from the repository) has it beside the package.
    """
    for candidate in (_PACKAGE_DIR / "conf", _PACKAGE_DIR.parent / "conf"):
        if (candidate / "config.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"kexp configs not found beside {_PACKAGE_DIR}")
