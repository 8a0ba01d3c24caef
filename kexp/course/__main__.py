"""``python -m kexp.course``: see :mod:`kexp.cli.course`."""

import sys

from kexp.cli.course import main

if __name__ == "__main__":
    sys.exit(main())
