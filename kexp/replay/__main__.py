"""``python -m kexp.replay``: see :mod:`kexp.replay.cli`."""

import sys

from kexp.replay.cli import main

if __name__ == "__main__":
    sys.exit(main())
