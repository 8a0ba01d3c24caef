"""``python -m kexp.compare``: see :mod:`kexp.cli.compare`."""

import sys

from kexp.cli.compare import main

if __name__ == "__main__":
    sys.exit(main())
