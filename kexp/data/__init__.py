"""The ``data`` config group: load a dataset, then split and scale it.

Sources (raw arrays) are registered in :mod:`kexp.data.sources`; a new dataset
is one registered function there (or in a new module of this package) plus one
YAML file in ``conf/data/``.
"""

from kexp.data.prepare import Dataset, load_data

__all__ = ["Dataset", "load_data"]
