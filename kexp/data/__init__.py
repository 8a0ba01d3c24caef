"""The ``data`` config group: load a dataset, then split and scale it.

Sources are registered in :mod:`kexp.data.sources` (arrays, ``.npz``),
:mod:`kexp.data.folder` (image folders), :mod:`kexp.data.csv_table` (CSV) and
:mod:`kexp.data.custom` (your own loader); a new dataset is one registered
function in a module of this package plus one YAML file in ``conf/data/``.
:mod:`kexp.data.pipeline` feeds the splits to Keras, streamed where they are files.
"""

from kexp.data.images import ImageFiles
from kexp.data.prepare import Dataset, Split, load_data

__all__ = ["Dataset", "ImageFiles", "Split", "load_data"]
