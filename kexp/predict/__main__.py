"""``python -m kexp.predict``: see :mod:`kexp.cli.predict`."""

import sys

from kexp.cli.predict import main

if __name__ == "__main__":
    sys.exit(main())
