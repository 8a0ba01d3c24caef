"""``python -m kexp.lr_find``: see :mod:`kexp.lr_find.cli`."""

import sys

from kexp.lr_find.cli import main

if __name__ == "__main__":
    sys.exit(main())
