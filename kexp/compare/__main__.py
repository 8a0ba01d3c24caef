"""``python -m kexp.compare``: see :mod:`kexp.compare.cli`."""

import sys

from kexp.compare.cli import main

if __name__ == "__main__":
    sys.exit(main())
