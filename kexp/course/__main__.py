"""``python -m kexp.course``: see :mod:`kexp.course.cli`."""

import sys

from kexp.course.cli import main

if __name__ == "__main__":
    sys.exit(main())
