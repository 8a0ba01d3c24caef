"""``python -m kexp.predict``: see :mod:`kexp.predict.cli`."""

import sys

from kexp.predict.cli import main

if __name__ == "__main__":
    sys.exit(main())
