"""``python -m kexp.diff``: see :mod:`kexp.diff.cli`."""

import sys

from kexp.diff.cli import main

if __name__ == "__main__":
    sys.exit(main())
