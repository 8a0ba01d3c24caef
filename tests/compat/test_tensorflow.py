"""kexp's uses of TensorFlow's private API still exist, and op determinism is a run's own.

If this fails after an upgrade, update kexp/compat/tensorflow.py."""

import importlib

import pytest

from kexp.compat import tensorflow as tensorflow_compat
from tests.conftest import TINY_CNN, kexp_in_process


@pytest.mark.parametrize("module, names", tensorflow_compat.PRIVATE_API.items())
def test_each_private_name_exists(module, names):
    found = importlib.import_module(module)
    missing = [name for name in names if not callable(getattr(found, name, None))]
    assert not missing, f"{module} no longer has {missing}: update kexp/compat/tensorflow.py"


def test_a_deterministic_run_leaves_the_next_run_tensorflows_usual_kernels_and_a_users_own_setting_alone(tmp_path):
    import tensorflow as tf
    from tensorflow.python.framework import config

    small = [*TINY_CNN, "data.train_size=64", "data.test_size=32", "trainer.epochs=1", "trainer.save_model=false"]
    assert not config.is_op_determinism_enabled()
    asked = kexp_in_process([*small, "trainer.deterministic=true", "hydra.run.dir=asked"], tmp_path)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert config.is_op_determinism_enabled()  # (until the next run: a sweep's next job, say)
    usual = kexp_in_process([*small, "hydra.run.dir=usual"], tmp_path)
    assert usual.returncode == 0 and not config.is_op_determinism_enabled()
    tf.config.experimental.enable_op_determinism()  # the user's own
    try:
        tensorflow_compat.op_determinism_off()
        assert config.is_op_determinism_enabled()
    finally:
        config.disable_op_determinism()
