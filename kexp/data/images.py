"""Image files decoded on demand: a split that is a list of files, not an array.

:class:`ImageFiles` behaves like the image array it stands for where kexp's
splitting code needs it (``len``, indexing by an index array, ``shape``), but
holds only the file paths. Pixels are read when a batch is needed: by a
``tf.data`` pipeline on TensorFlow (:mod:`kexp.backends.tensorflow`), by
Keras's own ``keras.utils.load_img`` (Pillow) elsewhere (:meth:`ImageFiles.load`).
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from kexp.config.errors import DataError

#: What a class folder may hold (lower-case suffixes, as keras.utils.image_dataset_from_directory).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")
COLOR_CHANNELS = {"grayscale": 1, "rgb": 3}
#: Pillow lets go of Python's GIL while it decodes and resizes; where an image takes at least
#: this long, threads decode in parallel (400x300 JPEGs to 160x160, 1.5 ms each: 4 threads 1.5-1.9x
#: one, on 2 vCPUs). Where it takes less they only contend for the GIL: 28x28 PNGs (60 µs) went
#: 3.4x slower in 4 threads than in one (docs/performance.md "Streaming a folder on JAX").
THREADED_DECODE_SECONDS = 5e-4
#: Files timed to tell how long one takes to decode.
DECODE_PROBE = 8


@dataclass(frozen=True)
class ImageFiles:
    """Image files decoded to ``size`` (height, width) with ``color_mode``'s channels, scaled to [0, 1].

    ``crop_to_aspect_ratio`` centre-crops each image to the target aspect
    ratio before resizing (as Keras's ``smart_resize``) instead of stretching it.
    """

    paths: np.ndarray  # of str
    size: tuple[int, int]
    color_mode: str = "rgb"
    crop_to_aspect_ratio: bool = False

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index) -> ImageFiles:
        """The files at ``index`` (an index array or slice), still undecoded."""
        return replace(self, paths=np.asarray(self.paths[index]))

    @property
    def channels(self) -> int:
        """1 (grayscale) or 3 (rgb)."""
        return COLOR_CHANNELS[self.color_mode]

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the decoded array, (N, height, width, channels)."""
        return (len(self.paths), *self.size, self.channels)

    @property
    def ndim(self) -> int:
        """4, as the decoded array."""
        return 4

    @functools.cached_property
    def decode_seconds(self) -> float:
        """Seconds to decode one of these files: the median of the first :data:`DECODE_PROBE`,
        timed one by one, once per instance (the median: the first file may also pay for starting
        Pillow, or for importing Keras)."""
        seconds = []
        for index in range(min(DECODE_PROBE, len(self))):
            started = time.perf_counter()
            try:
                self.load([index])
            except BadImageError:  # (said where the file is read for its pixels)
                pass
            seconds.append(time.perf_counter() - started)
        return float(np.median(seconds)) if seconds else 0.0

    def decodes_in_parallel(self) -> bool:
        """Whether threads decode these files faster than one: :attr:`decode_seconds` is
        :data:`THREADED_DECODE_SECONDS` or longer (see there). Results never depend on it: the
        batches are the same, in the same order."""
        return self.decode_seconds >= THREADED_DECODE_SECONDS

    def load(self, index=None) -> np.ndarray:
        """Decode the files at ``index`` (all when None) into float32 (n, h, w, c) in [0, 1].

        Uses Pillow through ``keras.utils.load_img`` (no TensorFlow); a file
        that cannot be decoded is a :class:`BadImageError` naming it.
        """
        import keras

        paths = self.paths if index is None else self.paths[index]
        out = np.empty((len(paths), *self.size, self.channels), dtype="float32")
        for i, path in enumerate(paths):
            try:
                image = keras.utils.load_img(
                    str(path),
                    color_mode=self.color_mode,
                    target_size=self.size,
                    interpolation="bilinear",
                    keep_aspect_ratio=self.crop_to_aspect_ratio,
                )
            except Exception as err:  # Pillow: UnidentifiedImageError, OSError (truncated), ...
                raise BadImageError(path, err) from err
            out[i] = keras.utils.img_to_array(image, dtype="float32") / 255.0
        return out


class BadImageError(DataError):
    """An image file that cannot be decoded; names the file."""

    def __init__(self, path: str | Path, cause: object = "") -> None:
        self.path = str(path)
        self.reason = reason = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        super().__init__(
            f"{path} — cannot be decoded as an image ({reason}); fix or remove it, "
            "or set data.on_bad_image=skip to leave such files out"
        )

    def __reduce__(self):  # (raised in a worker process, the same one line in the training process)
        return type(self), (self.path, self.reason)


def image_size(value) -> tuple[int, int]:
    """``data.image_size`` as (height, width): an int is a square."""
    if isinstance(value, int):
        return (value, value)
    height, width = value
    return (int(height), int(width))


@dataclass(frozen=True)
class LazyRows:
    """Rows of a (memory-mapped) array picked by ``index``, read only when a batch needs them.

    Integer images are divided by ``scale`` when read, (N, H, W) images get a
    channel axis: what a batch holds is what the in-memory path would hold.
    Selecting rows (splits, subsamples) composes indices; nothing is copied.
    """

    base: np.ndarray
    index: np.ndarray
    scale: float = 1.0

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, index) -> LazyRows:
        return replace(self, index=np.asarray(self.index[index]))

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the rows as float32 inputs."""
        inner = self.base.shape[1:]
        return (len(self.index), *inner, 1) if len(inner) == 2 else (len(self.index), *inner)

    @property
    def ndim(self) -> int:
        """As the inputs' array."""
        return len(self.shape)

    def load(self, index=None) -> np.ndarray:
        """The rows at ``index`` (all when None) as float32."""
        rows = self.index if index is None else self.index[index]
        out = np.asarray(self.base[rows], dtype="float32").reshape(len(rows), *self.shape[1:])
        if self.scale != 1.0:
            out /= self.scale
        return out
