"""``python -m kexp.replay``: see :mod:`kexp.cli.replay`."""

import sys

from kexp.cli.replay import main

if __name__ == "__main__":
    sys.exit(main())
