"""The Vision Transformer: tokens, shapes, bad sizes, and a small one that trains and reloads."""

import keras
import numpy as np
import pytest

from kexp.config.errors import ConfigError
from tests.conftest import typed_config


def build(name, shape, classes, *extra):
    from kexp.models import build_model

    cfg = typed_config([f"model={name}", *extra])
    return build_model(cfg.model, shape, classes, cfg.regularization)


def test_patches_become_tokens_behind_a_class_token():
    model = build("vit_tiny", (224, 224, 3), 1000)
    assert tuple(model.get_layer("tokens").output.shape[1:]) == (14 * 14, 192)
    assert tuple(model.get_layer("position_embedding").output.shape[1:]) == (14 * 14 + 1, 192)
    attention = model.get_layer("block1_attention")
    assert attention.num_heads == 3 and attention.key_dim == 64
    assert sum(1 for layer in model.layers if layer.name.endswith("_attention")) == 12
    small = build("vit_tiny_p4", (28, 28, 1), 10)
    assert tuple(small.get_layer("position_embedding").output.shape[1:]) == (7 * 7 + 1, 192)


def test_a_patch_size_that_does_not_divide_the_image_is_one_line():
    with pytest.raises(ConfigError, match=r"^model.patch_size=16 — must divide the image size \(28x28x1\)"):
        build("vit_tiny", (28, 28, 1), 10)


def test_a_small_vit_trains_and_reloads_exactly(tmp_path):
    model = build("vit_tiny_p4", (8, 8, 1), 3, "model.depth=2", "model.dim=16", "model.heads=2", "model.mlp_dim=32")
    rng = np.random.default_rng(0)
    x = rng.random((64, 8, 8, 1), dtype=np.float32)
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    losses = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    model.save(tmp_path / "vit.keras")
    reloaded = keras.saving.load_model(tmp_path / "vit.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
