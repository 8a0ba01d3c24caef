"""Where a run or a sweep writes, checked before Hydra makes the directory: the key Hydra reads
in this mode, and whether the directory can be created there."""

from __future__ import annotations

import os
import tempfile
from argparse import Namespace
from pathlib import Path

from kexp.config.errors import ConfigError
from kexp.runs.layout import OUTPUT_ROOT

#: The directory keys Hydra does not read, for a single run (False) and for a sweep (True).
UNREAD_DIRECTORY = {False: ("hydra.sweep.dir=", "hydra.sweep.subdir="), True: ("hydra.run.dir=",)}


def check_output_dir(args: Namespace) -> None:
    """Fail early when the run (or sweep) directory cannot be created: found by trying.

    A probe directory is created (and removed) in the deepest existing folder
    of the fixed part of the path: permissions, read-only mounts and special
    file systems (``/proc``) answer for themselves; nothing is left behind.
    """
    key = "hydra.sweep.dir" if args.multirun else "hydra.run.dir"
    unread = next((o for o in args.overrides if o.lstrip("+").startswith(UNREAD_DIRECTORY[args.multirun])), None)
    if unread is not None:  # (Hydra reads only one of the two)
        where = "a sweep (-m) writes its jobs into" if args.multirun else "a single run writes into"
        raise ConfigError(f"{unread} — not read: {where} {key}=…")
    given = next((o.split("=", 1)[1] for o in args.overrides if o.startswith(f"{key}=")), None)
    fixed_part = (given or OUTPUT_ROOT).split("${")[0]
    ancestor = Path(os.path.abspath(fixed_part or "."))
    while not ancestor.exists():
        ancestor = ancestor.parent
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".kexp-probe-", dir=ancestor))
    except OSError as err:
        reason = "not a directory" if not ancestor.is_dir() else (err.strerror or str(err)).lower()
        raise ConfigError.bad_value(
            key, given or "outputs/...", f"cannot create the run directory in {ancestor} ({reason})"
        ) from err
