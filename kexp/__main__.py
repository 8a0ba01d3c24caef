"""``python -m kexp``: see :mod:`kexp.cli.main` (only Hydra is imported on this path)."""

from kexp.cli.main import main

if __name__ == "__main__":
    main()
