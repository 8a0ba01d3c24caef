"""``python -m kexp.export``: see :mod:`kexp.cli.export`."""

import sys

from kexp.cli.export import main

if __name__ == "__main__":
    sys.exit(main())
