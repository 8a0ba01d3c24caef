"""Import Keras (and so TensorFlow or JAX) without the native libraries' start-up lines.

TensorFlow 2.16+ prints oneDNN, CPU-feature and CUDA-driver lines from C++
before its logging is set up, so ``TF_CPP_MIN_LOG_LEVEL`` does not hide them
(tensorflow/tensorflow#100442). kexp points file descriptor 2 at a temporary
file while the backend is imported and while it first lists its devices, then
puts it back: on success what was written there is dropped; if the import
fails it is printed, so no real error is lost. Users who set
``TF_CPP_MIN_LOG_LEVEL`` to 0, 1 or 2 asked for those lines and get them.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator


def wanted() -> bool:
    """Whether the user asked for the native libraries' lines (``TF_CPP_MIN_LOG_LEVEL`` 0, 1 or 2)."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3") in ("0", "1", "2")


@contextlib.contextmanager
def native_output_hidden() -> Iterator[None]:
    """File descriptor 2 into a temporary file for the block; replayed on stderr if the block raises."""
    if wanted():
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            captured.seek(0)
            sys.stderr.write(captured.read().decode(errors="replace"))
            raise
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


def import_keras_quietly():
    """``import keras`` (its backend too) with the start-up lines hidden; the keras module."""
    if "keras" in sys.modules:
        return sys.modules["keras"]
    with native_output_hidden():
        import keras
    return keras


def import_tensorflow_quietly() -> None:
    """``import tensorflow`` (once) with its start-up lines hidden: TensorBoard's summaries need it on
    any backend, and on JAX nothing else imports it (:func:`kexp.compat.keras.tensorflow_unasked`)."""
    if "tensorflow" not in sys.modules:
        with native_output_hidden():
            import tensorflow  # noqa: F401
