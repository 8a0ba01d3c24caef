"""``python -m kexp.lr_find``: see :mod:`kexp.cli.lr_find`."""

import sys

from kexp.cli.lr_find import main

if __name__ == "__main__":
    sys.exit(main())
