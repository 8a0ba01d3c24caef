"""``python -m kexp.evaluate``: see :mod:`kexp.cli.evaluate`."""

import sys

from kexp.cli.evaluate import main

if __name__ == "__main__":
    sys.exit(main())
