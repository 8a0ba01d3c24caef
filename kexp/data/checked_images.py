"""Which image files decoded before: checked once, not again while unchanged.

Every image of every split is decoded before the first epoch
(:mod:`kexp.data.bad_images`); for a folder of many thousand photos that pass
costs more than the start of a run should. A file that decoded is remembered by
its absolute path, size and modification time in one JSON file per user
(``$XDG_CACHE_HOME/kexp/decoded-images.json``, or ``KEXP_CACHE_DIR``); a file
changed since is decoded again. Writes are atomic; a cache that cannot be read
or written is ignored (the files are then simply decoded).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kexp.runs.layout import DECODED_IMAGES as CACHE_FILE
from kexp.runs.layout import user_cache_dir


def cache_path() -> Path:
    """The record's file."""
    return user_cache_dir() / CACHE_FILE


def _stamp(path: str) -> list[int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


@dataclass
class CheckedImages:
    """Good files by absolute path: ``[size, mtime_ns]`` when they decoded."""

    good: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> CheckedImages:
        """The record, or an empty one (none yet, or unreadable)."""
        try:
            good = json.loads(cache_path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        return cls(good if isinstance(good, dict) else {})

    def known_good(self, path: str) -> bool:
        """Whether ``path`` decoded before and has not changed since."""
        stored = self.good.get(os.path.abspath(path))
        return stored is not None and stored == _stamp(path)

    def remember(self, paths: list[str]) -> None:
        """Record ``paths`` as good (they just decoded) and save the record."""
        for path in paths:
            stamp = _stamp(path)
            if stamp is not None:
                self.good[os.path.abspath(path)] = stamp
        self.good = {path: stamp for path, stamp in self.good.items() if os.path.exists(path)}  # (files gone)
        target = cache_path()
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=target.parent, delete=False, suffix=".tmp") as out:
                json.dump(self.good, out)
            os.replace(out.name, target)
        except OSError:
            pass  # (a read-only home: the files are decoded again next time)
