"""``python -m kexp.export``: see :mod:`kexp.export.cli`."""

import sys

from kexp.export.cli import main

if __name__ == "__main__":
    sys.exit(main())
