"""Every registered model: builds at small sizes, trains a step, matches its reference count."""

import functools
import math

import keras
import numpy as np
import yaml
import pytest

from kexp.config.location import config_dir
from kexp.models import build_model
from kexp.models.factory import create_model
from tests.conftest import typed_config

from tests.conftest import REPO

# (model=backbone wraps keras.applications at their own minimum sizes: tests/models/test_backbone.py)
MODEL_NAMES = sorted(p.stem for p in (config_dir() / "model").glob("*.yaml") if p.stem != "backbone" and not p.stem.startswith("_"))


def readme_counts() -> dict[str, int]:
    """Parameters at 28x28x1/10 from the docs' model table (docs/models.md, rows with a number)."""
    counts = {}
    for line in (REPO / "docs" / "models.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`") and cells[3][:1].isdigit():
            counts[cells[0].strip("`")] = int(cells[3].split()[0].replace(",", ""))
    return counts


README_COUNTS = readme_counts()


def build(name, input_shape, num_classes, overrides=()):
    """``create_model`` (no Hydra compose) with ``model.key=value`` overrides as keyword arguments."""
    keys = {k.removeprefix("model."): yaml.safe_load(v) for k, v in (o.split("=", 1) for o in overrides)}
    return create_model(name, input_shape, num_classes, **keys)


def trainable(model) -> int:
    return sum(math.prod(w.shape) for w in model.trainable_weights)


def test_the_zoo_has_every_family():
    expected = {"cnn", "mlp", "bn_cnn", "alexnet", "googlenet",
                *(f"vgg{d}" for d in (11, 13, 16, 19)),
                *(f"resnet{d}" for d in (18, 34, 50, 101, 152)),
                *(f"{kind}{d}" for kind in ("resnet", "plain") for d in (20, 32, 44, 56, 110))}
    assert expected <= set(MODEL_NAMES)


#: Deeper members of a family, and the members checked in full whose layers they are made of (more
#: of them): saving and reloading ResNet-152 and rebuilding it in mixed precision took 23 s of the
#: 2-core machine; these are built, run, counted and compared by their layers' classes only.
DEEPER_VARIANTS = {
    "resnet34": ("resnet18",), "resnet101": ("resnet50",), "resnet152": ("resnet50",),
    "se_resnet50": ("resnet50", "se_resnet20"), "vgg13": ("vgg11",), "vgg16": ("vgg11",), "vgg19": ("vgg11",),
    "vit_tiny": ("vit_tiny_p4",), "vit_small": ("vit_tiny_p4",), "vit_base": ("vit_tiny_p4",),
    **{f"{kind}{depth}": (f"{kind}20",) for kind in ("resnet", "plain") for depth in (32, 44, 56, 110)},
}


def layer_classes(model) -> set[str]:
    return {type(layer).__name__ for layer in model.layers}


@functools.cache
def member_layer_classes(member: str) -> frozenset[str]:
    """The layer classes of a fully checked member (built once for all its deeper variants)."""
    return frozenset(layer_classes(build(member, (28, 28, 1), 10)))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_model_builds_predicts_reloads_exactly_and_builds_in_mixed_precision(name, tmp_path):
    """The shared model test (as keras-hub's run_backbone_test), over every model YAML: at the README
    table's 28x28x1 / 10 classes it builds, predicts and has the documented parameter count; it
    survives a ``.keras`` save and load with identical outputs, and builds under ``mixed_float16``
    computing in float16 with float32 outputs — or, a deeper variant of a family, is made of the
    layers of members checked so (colour, 100 classes and a training step: the test below)."""
    keras.utils.set_random_seed(0)
    # (ViTs with 16x16 patches need 224x224 images: here their family on 4x4 patches)
    extra = ["model.patch_size=4"] if name in ("vit_tiny", "vit_small", "vit_base") else []
    model = build(name, (28, 28, 1), 10, extra)
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    out = np.asarray(model(x, training=False))
    assert out.shape == (2, 10)
    inference = getattr(model, "inference_model", model)
    if name in README_COUNTS:
        assert inference.count_params() == README_COUNTS[name], "docs/models.md model table is stale"
    if name in DEEPER_VARIANTS:
        checked = set().union(*(member_layer_classes(member) for member in DEEPER_VARIANTS[name]))
        assert layer_classes(model) <= checked
        return
    inference.save(tmp_path / "model.keras")
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    np.testing.assert_allclose(np.asarray(reloaded(x, training=False)), np.asarray(inference(x, training=False)),
                               rtol=1e-6, atol=1e-6)
    keras.config.set_dtype_policy("mixed_float16")
    try:
        mixed = build(name, (28, 28, 1), 10, extra)
        assert any(layer.compute_dtype == "float16" for layer in mixed.layers)
        assert np.asarray(mixed(x, training=False)).dtype == np.float32  # (the head's output, as Keras advises)
    finally:
        keras.config.set_dtype_policy("float32")


def test_the_members_deeper_variants_rest_on_are_checked_in_full():
    members = {member for group in DEEPER_VARIANTS.values() for member in group}
    assert set(DEEPER_VARIANTS) <= set(MODEL_NAMES) and members <= set(MODEL_NAMES) - set(DEEPER_VARIANTS)


#: One member of every family (and both ResNet unit types): what training one step exercises.
ONE_PER_FAMILY = ["cnn", "mlp", "bn_cnn", "alexnet", "zfnet", "vgg11", "googlenet", "resnet18", "resnet50",
                  "resnet20", "plain20", "se_resnet20", "vit_tiny_p4"]


@pytest.mark.parametrize("name", ONE_PER_FAMILY)
def test_one_model_of_each_family_trains_a_step_on_colour_images_with_100_classes(name):
    keras.utils.set_random_seed(0)
    model = build(name, (32, 32, 3), 100)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    y = np.array([0, 99])
    before = [w.copy() for w in model.get_weights()]
    assert np.isfinite(model.train_on_batch(x, y))
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_readme_table_lists_the_models():
    assert len(README_COUNTS) >= 19 and README_COUNTS["cnn"] == 6_511_370


# Reference counts at 224x224x3 / 1000 classes (trainable parameters; for nets
# without BatchNorm this is also the total).
IMAGENET_COUNTS = {
    "alexnet": 61_100_840,
    "vgg11": 132_863_336, "vgg13": 133_047_848, "vgg16": 138_357_544, "vgg19": 143_667_240,
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808,
    # ZFNet: (7·7·3+1)·96 + (5·5·96+1)·256 + (3·3·256+1)·384 + (3·3·384+1)·384 + (3·3·384+1)·256
    #        + (6·6·256+1)·4096 + (4096+1)·4096 + (4096+1)·1000
    "zfnet": 62_357_608,
    # SE-ResNet-50: + Σ over the 16 bottlenecks of C²/8 + C/16 + C (C = 256×3, 512×4, 1024×6, 2048×3)
    "se_resnet50": 25_557_032 + 3 * 8464 + 4 * 33312 + 6 * 132160 + 3 * 526464,
    # ViT-Ti/16 and ViT-B/16 (Dosovitskiy et al., Table 1; timm's counts)
    "vit_tiny": 5_717_416, "vit_base": 86_567_656,
}


@pytest.mark.parametrize("name, expected", sorted((n, c) for n, c in IMAGENET_COUNTS.items() if n != "vgg16"))
def test_imagenet_reference_counts(name, expected):
    """(VGG-16's: the test below, which builds it at this size anyway.)"""
    model = build(name, (224, 224, 3), 1000)
    assert trainable(model) == expected


def test_vgg_equals_keras_applications_exactly():
    ours = build("vgg16", (224, 224, 3), 1000)
    reference = keras.applications.VGG16(weights=None)
    assert trainable(ours) == ours.count_params() == reference.count_params() == IMAGENET_COUNTS["vgg16"]
    assert [w.shape for w in ours.weights] == [w.shape for w in reference.weights]


CIFAR_COUNTS = {20: 269_722, 32: 464_154, 44: 658_586, 56: 853_018, 110: 1_727_962}


@pytest.mark.parametrize("depth, expected", sorted(CIFAR_COUNTS.items()))
def test_cifar_resnets_and_plain_twins(depth, expected):
    residual = build(f"resnet{depth}", (32, 32, 3), 10)
    plain = build(f"plain{depth}", (32, 32, 3), 10)
    assert trainable(residual) == trainable(plain) == expected
    convs = [layer for layer in residual.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(convs) + 1 == depth  # 6n+2 weighted layers: convs + the dense layer
    assert not any(isinstance(layer, keras.layers.Add) for layer in plain.layers)


def test_skip_connections_are_really_wired():
    keras.utils.set_random_seed(1)
    residual = build("resnet20", (32, 32, 3), 10)
    plain = build("plain20", (32, 32, 3), 10)
    plain.set_weights(residual.get_weights())  # same weights, only the wiring differs
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    with_skips, without = residual.predict(x, verbose=0), plain.predict(x, verbose=0)
    assert not np.allclose(with_skips, without, atol=1e-4)
    adds = [layer for layer in residual.layers if isinstance(layer, keras.layers.Add)]
    assert len(adds) == 9


def test_resnet_variants_v2_and_squeeze_excitation():
    v1 = build("resnet20", (32, 32, 3), 10)
    v2 = build("resnet20", (32, 32, 3), 10, ["model.block=v2"])
    se = build("resnet20", (32, 32, 3), 10, ["model.se_ratio=0.25"])
    assert any(layer.name == "post_bn" for layer in v2.layers)
    assert any(layer.name.endswith("preact_bn") for layer in v2.layers)
    # SE adds, per unit of C channels, Dense(C -> C/4) and Dense(C/4 -> C) with biases
    se_params = sum(3 * (c * (c // 4) + c // 4 + (c // 4) * c + c) for c in (16, 32, 64))
    assert trainable(se) - trainable(v1) == se_params


def test_imagenet_resnet_picks_the_stem_from_the_input_size():
    small = build("resnet18", (28, 28, 1), 10)
    large = build("resnet18", (224, 224, 3), 1000)
    assert small.get_layer("stem_conv").kernel_size == (3, 3) and small.get_layer("stem_conv").strides == (1, 1)
    assert large.get_layer("stem_conv").kernel_size == (7, 7) and large.get_layer("stem_conv").strides == (2, 2)
    assert "stem_pool" not in [layer.name for layer in small.layers]
    forced = build("resnet18", (28, 28, 1), 10, ["model.stem=imagenet"])
    assert forced.get_layer("stem_conv").strides == (2, 2)


# Table 1 of Szegedy et al. 2014: #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
TABLE_1 = [(192, [64, 96, 128, 16, 32, 32]), (256, [128, 128, 192, 32, 96, 64]),
           (480, [192, 96, 208, 16, 48, 64]), (512, [160, 112, 224, 24, 64, 64]),
           (512, [128, 128, 256, 24, 64, 64]), (512, [112, 144, 288, 32, 64, 64]),
           (528, [256, 160, 320, 32, 128, 128]), (832, [256, 160, 320, 32, 128, 128]),
           (832, [384, 192, 384, 48, 128, 128])]


def reduction_module_params(c_in, spec):
    n1, r3, n3, r5, n5, pp = spec
    convs = [(1, c_in, n1), (1, c_in, r3), (3, r3, n3), (1, c_in, r5), (5, r5, n5), (1, c_in, pp)]
    return sum(k * k * a * b + b for k, a, b in convs)


def test_googlenet_matches_table_1_and_the_heads_only_train():
    model = build("googlenet", (224, 224, 3), 1000)
    inference = model.inference_model
    stem = (7 * 7 * 3 * 64 + 64) + (64 * 64 + 64) + (3 * 3 * 64 * 192 + 192)
    hand = stem + sum(reduction_module_params(c, s) for c, s in TABLE_1) + (1024 * 1000 + 1000)
    assert inference.count_params() == hand == 6_998_552
    # Table 1's parameter column sums to 6,797.7 K but disagrees with its own filter
    # numbers (e.g. 4c: 463 K printed, 509,440 from the row); the exact net is 2.95 % above.
    assert abs(inference.count_params() / 6_797_700 - 1) < 0.03


def test_googlenet_naive_modules_have_the_expected_extra_parameters():
    reduction = build("googlenet", (32, 32, 3), 10).inference_model
    naive = build("googlenet", (32, 32, 3), 10, ["model.inception=naive"]).inference_model
    layer = naive.get_layer("inception_3a_3x3")
    assert layer.kernel.shape == (3, 3, 192, 128)  # no 1x1 reduction before the 3x3
    assert naive.get_layer("inception_3a_concat").output.shape[-1] == 64 + 128 + 32 + 192
    assert "inception_3a_pool_proj" not in [layer.name for layer in naive.layers]
    assert naive.count_params() > reduction.count_params()


def test_googlenet_auxiliary_heads_add_to_the_training_loss_only():
    keras.utils.set_random_seed(0)
    model = build("googlenet", (32, 32, 3), 10)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype=np.float32)
    y = np.array([0, 1, 2, 3])
    main, aux1, aux2 = (np.asarray(o) for o in model(x, training=True))
    assert model.predict(x, verbose=0).shape == (4, 10)  # one output at inference
    ce = lambda p: float(np.mean(keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(y, p))))
    with_heads = float(model.compute_loss(x, y, [main, aux1, aux2]))
    without = float(model.compute_loss(x, y, main))
    assert with_heads == pytest.approx(ce(main) + 0.3 * (ce(aux1) + ce(aux2)), rel=1e-5)
    assert without == pytest.approx(ce(main), rel=1e-5)


def test_resnet_refuses_to_drop_batchnorm_and_maxout():
    from kexp.config.errors import ConfigError

    with pytest.raises(ConfigError, match="regularization.batchnorm=false — resnet20 is built with"):
        cfg = typed_config(["model=resnet20", "regularization.batchnorm=false"])
        build_model(cfg.model, (32, 32, 3), 10, cfg.regularization)
    with pytest.raises(ConfigError, match="model.activation=maxout — not available for resnet20"):
        build("resnet20", (32, 32, 3), 10, ["model.activation=maxout"])


def test_vgg_batchnorm_variant():
    plain = build("vgg11", (32, 32, 3), 10)
    with_bn = build("vgg11", (32, 32, 3), 10, ["model.batchnorm=true"])
    bns = [layer for layer in with_bn.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert len(bns) == 8 + 2  # after each of the 8 convs and the 2 hidden dense layers
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in plain.layers)


def test_googlenet_saves_and_reloads_with_its_heads(tmp_path):
    keras.utils.set_random_seed(0)
    model = build("googlenet", (32, 32, 3), 10)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype=np.float32)
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "g.keras")
    loaded = keras.models.load_model(tmp_path / "g.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), before, rtol=1e-5, atol=1e-6)
    assert loaded.aux_weight == 0.3 and len(loaded.network.outputs) == 3


def test_the_texts_dense_versus_conv_example_003():
    """003: a 32x25x62 map fully connected to 73 outputs has 49,600 × 73 = 3,620,800 weights, where
    a 3x3 conv kernel has 9 per channel pair (nnc_cnn at 100x248: that map before its Affine)."""
    model = build("nnc_cnn", (100, 248, 1), 73)
    assert tuple(model.get_layer("flatten").output.shape[1:]) == (25 * 62 * 32,)
    assert math.prod(model.get_layer("predictions").kernel.shape) == 32 * 25 * 62 * 73 == 3_620_800
    assert model.get_layer("conv2").kernel.shape == (3, 3, 32, 32)  # 9 weights per channel pair
