"""``python -m kexp.evaluate``: see :mod:`kexp.evaluate.cli`."""

import sys

from kexp.evaluate.cli import main

if __name__ == "__main__":
    sys.exit(main())
