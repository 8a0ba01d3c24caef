"""model=backbone: keras.applications (and KerasHub) backbones with a new head, built offline."""

import importlib

import keras
import numpy as np
import pytest

from kexp.config.errors import ConfigError
from kexp.models import build_model
from kexp.models.backbone import architectures
from tests.conftest import typed_config

GRAY = np.random.default_rng(0).random((2, 32, 32, 1), dtype=np.float32)


def build(input_shape=(32, 32, 1), classes=5, *overrides):
    cfg = typed_config(["model=backbone", "model.weights=null", *overrides])
    return build_model(cfg.model, input_shape, classes, cfg.regularization)


def test_the_architectures_are_keras_own_list():
    names = architectures()
    assert {"ResNet50V2", "EfficientNetV2B0", "ConvNeXtTiny", "MobileNetV3Small", "DenseNet121"} <= set(names)
    assert all(callable(getattr(keras.applications, n)) for n in names) and len(names) >= 30
    with pytest.raises(ConfigError, match=r"^model.arch=ResNet9000 — not a keras.applications model; "
                                          r"available: ConvNeXtBase, .*, Xception$"):
        build((32, 32, 3), 5, "model.arch=ResNet9000")


@pytest.mark.parametrize("arch", ["MobileNetV3Small", "ResNet50V2", "EfficientNetV2B0", "ConvNeXtTiny"])
def test_named_architectures_build_with_a_new_head_on_gray_images(arch):
    keras.utils.set_random_seed(0)
    model = build((32, 32, 1), 5, f"model.arch={arch}")
    assert [layer.name for layer in model.layers] == ["image", "preprocess", "backbone", "pool",
                                                      "head_dropout", "predictions"]
    backbone = model.get_layer("backbone")
    reference = getattr(keras.applications, arch)(include_top=False, weights=None, input_shape=(32, 32, 3))
    features = backbone.output_shape[-1]
    assert backbone.count_params() == reference.count_params()
    assert model.count_params() == reference.count_params() + features * 5 + 5  # + the Dense head
    assert model.predict(GRAY, verbose=0).sum(axis=1) == pytest.approx(1.0, abs=1e-5)


def test_preprocessing_inside_the_model_is_the_architectures_own_on_0_255_rgb():
    model = build((32, 32, 1), 5, "model.arch=ResNet50V2")
    module = importlib.import_module(keras.applications.ResNet50V2.__module__)
    expected = module.preprocess_input(np.repeat(GRAY * 255.0, 3, axis=-1))
    got = keras.ops.convert_to_numpy(model.get_layer("preprocess")(GRAY))
    np.testing.assert_allclose(got, expected, atol=1e-5)  # resnet_v2: [0, 255] → [-1, 1]
    assert got.min() >= -1 and got.max() <= 1


def test_a_local_weights_file_gives_the_predictions_of_the_model_it_came_from(tmp_path):
    keras.utils.set_random_seed(1)
    source = build((32, 32, 3), 5)
    path = tmp_path / "mobilenet_v3_small_notop.weights.h5"
    source.get_layer("backbone").save_weights(path)
    keras.utils.set_random_seed(2)  # another random start: only the file can make them equal
    loaded = build((32, 32, 3), 5, f"model.weights={path}")
    x = np.random.default_rng(3).random((2, 32, 32, 3), dtype=np.float32)
    np.testing.assert_allclose(loaded.get_layer("backbone").predict(x, verbose=0),
                               source.get_layer("backbone").predict(x, verbose=0), atol=1e-6)
    with pytest.raises(ConfigError, match=r"^model.weights=/nowhere/w.h5 — no such file; use imagenet, null"):
        build((32, 32, 3), 5, "model.weights=/nowhere/w.h5")


def test_imagenet_weights_offline_are_one_line(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception(f"URL fetch failure on {args[1] if len(args) > 1 else kwargs.get('origin')}: None "
                        "-- [Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", offline)
    with pytest.raises(ConfigError) as err:
        build((32, 32, 3), 5, "model.weights=imagenet")
    line = err.value.one_line()
    assert line.startswith("kexp: config error: model.weights=imagenet — the ImageNet weights of "
                           "MobileNetV3Small could not be downloaded from https://storage.googleapis.com/")
    assert line.endswith("([Errno -3] Temporary failure in name resolution); download the file elsewhere "
                         "and set model.weights=<file>, or model.weights=null to start from random weights")


def test_small_images_are_resized_to_the_minimum_inside_the_model_or_refused_at_a_chosen_size(tmp_path, caplog):
    with caplog.at_level("INFO", logger="kexp"):
        automatic = build((16, 16, 1), 5)  # the minimum of MobileNetV3Small: 32x32, said in the log
    assert tuple(automatic.get_layer("resize").output.shape) == (None, 32, 32, 1)
    assert "model.arch=MobileNetV3Small needs images of at least 32x32: the 16x16 inputs are resized" in caplog.text
    with pytest.raises(ConfigError, match=r"^model.arch=MobileNetV3Small — needs images of at least 32x32 "
                                          r"\(these are 24x24\); set model.image_size=32 or larger to resize"):
        build((16, 16, 1), 5, "model.image_size=24")
    model = build((16, 16, 1), 5, "model.image_size=32")
    assert tuple(model.get_layer("resize").output.shape) == (None, 32, 32, 1)
    x = GRAY[:, :16, :16]
    predicted = model.predict(x, verbose=0)
    model.save(tmp_path / "m.keras")  # kexp's preprocessing layer is serializable: [0, 1] in, as trained
    reloaded = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), predicted, atol=1e-6)


def test_a_kerashub_backbone_from_a_local_preset_directory(tmp_path):
    keras_hub = pytest.importorskip("keras_hub")
    saved = keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64],
        stackwise_num_blocks=[1], stackwise_num_strides=[1], block_type="basic_block",
        image_shape=(None, None, 3))
    saved.save_to_preset(str(tmp_path / "preset"))
    # (with a preset, model.weights=null means random initialisation, anything else its weights)
    model = build((32, 32, 1), 3, f"model.preset={tmp_path / 'preset'}", "model.weights=imagenet")
    backbone = model.get_layer("backbone")
    assert type(backbone) is type(saved) and backbone.count_params() == saved.count_params() == 76_224
    rgb = np.repeat(GRAY * 255.0, 3, axis=-1)  # what the preprocessing layer hands it
    np.testing.assert_allclose(backbone.predict(rgb, verbose=0), saved.predict(rgb, verbose=0), atol=1e-5)
    with pytest.raises(ConfigError, match=r"^model.preset=/nowhere — cannot be loaded \("):
        build((32, 32, 1), 3, "model.preset=/nowhere")
