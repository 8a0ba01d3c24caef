"""``python -m kexp.diff``: see :mod:`kexp.cli.diff`."""

import sys

from kexp.cli.diff import main

if __name__ == "__main__":
    sys.exit(main())
