"""``model=backbone``: a pretrained backbone (keras.applications or KerasHub) with a new head.

The model takes kexp's images as every other kexp model does — float [0, 1],
any channel count — and holds everything else inside, so a saved
``model.keras`` is used the same way (``kexp.predict``, ``kexp.evaluate``):

    input [0, 1] → (Resizing to ``model.image_size``) → BackbonePreprocess
    (×255, grayscale repeated to 3 channels, the architecture's own
    ``preprocess_input``) → backbone (``include_top=False``) → global pooling →
    dropout → the task's head

Architectures are whatever ``keras.applications`` exports (:func:`architectures`);
``model.preset`` takes a KerasHub backbone instead (``kexp[hub]``). Weights:
``imagenet`` (Keras's own download, cached in ``~/.keras/models``), ``null``
(random) or a local weights file. The backbone is the layer named
``backbone`` (:mod:`kexp.training.fine_tune` freezes and unfreezes it, its
BatchNormalization layers kept in inference mode).
"""

from __future__ import annotations

import importlib
import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING

import keras

from kexp.config.errors import ConfigError
from kexp.models import MODELS
from kexp.models.blocks import LayerFactory, apply

if TYPE_CHECKING:
    from kexp.config.schema.model import BackboneConfig
    from kexp.config.schema.regularization import RegularizationConfig

log = logging.getLogger("kexp")

BACKBONE_LAYER = "backbone"


def architectures() -> list[str]:
    """The model constructors ``keras.applications`` exports (ResNet50V2, EfficientNetV2B0, ...)."""
    return sorted(
        name for name in dir(keras.applications) if name[:1].isupper() and callable(getattr(keras.applications, name))
    )


def application(arch: str):
    """The ``keras.applications`` constructor named ``arch``; a ConfigError listing the choices."""
    if arch not in architectures():
        raise ConfigError.bad_value(
            "model.arch", arch, "not a keras.applications model; available: " + ", ".join(architectures())
        )
    return getattr(keras.applications, arch)


def preprocess_function(arch: str):
    """The ``preprocess_input`` of ``arch``'s module (it expects [0, 255] RGB)."""
    module = importlib.import_module(application(arch).__module__)
    return module.preprocess_input


@keras.saving.register_keras_serializable(package="kexp")
class BackbonePreprocess(keras.layers.Layer):
    """[0, 1] images → what ``arch`` was trained on: ×255, gray → RGB, its ``preprocess_input``.

    ``arch`` None (a KerasHub backbone): ×255 and gray → RGB only (its own
    image converter follows, when its preset has one).
    """

    def __init__(self, arch: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.arch = arch

    def call(self, images):
        images = keras.ops.multiply(keras.ops.cast(images, "float32"), 255.0)
        if images.shape[-1] == 1:
            images = keras.ops.concatenate([images, images, images], axis=-1)
        return preprocess_function(self.arch)(images) if self.arch else images

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)

    def get_config(self) -> dict:
        return {**super().get_config(), "arch": self.arch}


def weights_argument(value: str | None) -> str | None:
    """``model.weights`` as keras.applications takes it: imagenet, None, or an existing file."""
    if value in (None, "imagenet"):
        return value
    path = Path(value).expanduser()
    if not path.is_file():
        raise ConfigError.bad_value(
            "model.weights",
            value,
            "no such file; use imagenet, null (random initialisation) or the path of a weights file",
        )
    return str(path)


class TooSmall(ConfigError):
    """Images smaller than the backbone's minimum (``minimum``: its side)."""

    def __init__(self, message: str, minimum: int) -> None:
        super().__init__(message)
        self.minimum = minimum


def keras_backbone(settings: BackboneConfig, shape: tuple[int, int, int]) -> keras.Model:
    """``keras.applications.<arch>(include_top=False)`` for ``shape``, with ``model.weights``."""
    constructor = application(str(settings.arch))
    weights = weights_argument(settings.weights)
    try:
        backbone = constructor(include_top=False, weights=weights, input_shape=shape)
    except ValueError as err:
        if found := re.search(r"at least (\d+)x(\d+)", str(err)):
            minimum = found.group(1)
            raise TooSmall(
                f"model.arch={settings.arch} — needs images of at least {minimum}x{minimum} "
                f"(these are {shape[0]}x{shape[1]}); set model.image_size={minimum} or larger to "
                "resize them inside the model",
                int(minimum),
            ) from err
        if weights not in (None, "imagenet"):
            raise ConfigError(
                f"model.weights={settings.weights} — does not fit {settings.arch} with "
                f"include_top=False ({str(err).splitlines()[0][:160]})"
            ) from err
        raise
    except Exception as err:  # keras.utils.get_file: no network, a proxy, a broken download
        if weights != "imagenet":
            raise
        raise ConfigError(download_failure(str(settings.arch), err)) from err
    # (not name= above: EfficientNetV2 looks its block settings up by the name it is given)
    backbone.name = BACKBONE_LAYER  # a plain functional Model: the name is only a label
    return backbone


def download_failure(arch: str, err: BaseException) -> str:
    """The one line for ImageNet weights that Keras could not download: the URL, the reason, what to do."""
    text = str(err).splitlines()[0] if str(err) else type(err).__name__
    url = re.search(r"https?://[^\s:]+(?::\d+)?[^\s:]*", text)
    reason = text.split(" -- ")[-1][:120]
    where = f" from {url.group(0)}" if url else ""
    return (
        f"model.weights=imagenet — the ImageNet weights of {arch} could not be downloaded{where} "
        f"({reason}); download the file elsewhere and set model.weights=<file>, or "
        "model.weights=null to start from random weights"
    )


def hub_backbone(settings: BackboneConfig) -> tuple[keras.Model, keras.Layer | None]:
    """A KerasHub backbone from ``model.preset`` (a preset name or a local preset directory) and
    its image converter when the preset has one."""
    try:
        import keras_hub
    except ImportError as err:
        raise ConfigError.bad_value(
            "model.preset", settings.preset, "needs the keras-hub package (pip install 'kexp[hub]')"
        ) from err
    try:
        backbone = keras_hub.models.Backbone.from_preset(
            str(settings.preset), load_weights=settings.weights is not None, name=BACKBONE_LAYER
        )
    except Exception as err:  # an unknown preset, no network for a remote one, a damaged directory
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ConfigError.bad_value("model.preset", settings.preset, f"cannot be loaded ({reason})") from err
    try:
        converter = keras_hub.layers.ImageConverter.from_preset(str(settings.preset))
    except Exception:  # a preset without an image converter: the backbone takes the pixels as they are
        converter = None
    return backbone, converter


@MODELS.register("backbone")
def build_backbone(
    settings: BackboneConfig, input_shape: tuple[int, ...], output_units: int, regularization: RegularizationConfig
) -> keras.Model:
    """input → (resize) → preprocess → backbone → pooling → dropout → head.

    The backbone is called with training=False as the Keras guide does; Keras 3's fit overrides
    that inside a functional model, so kexp.training.fine_tune keeps BatchNormalization frozen itself.
    """
    if len(input_shape) != 3 or input_shape[-1] not in (1, 3):
        raise ConfigError.bad_value(
            "model",
            "backbone",
            f"needs images (height x width x 1 or 3); this data has inputs of {'x'.join(map(str, input_shape))}",
        )
    make = LayerFactory.from_settings(settings, regularization)
    inputs, x = make.input(input_shape)  # (with regularization=augment's layers)
    height, width = input_shape[:2]
    if settings.image_size:
        from kexp.data.images import image_size

        height, width = image_size(settings.image_size)
    if settings.preset:
        if settings.image_size:
            x = keras.layers.Resizing(height, width, name="resize")(x)
        x = BackbonePreprocess(None, name="preprocess")(x)
        backbone, converter = hub_backbone(settings)
        if converter is not None:
            x = converter(x)
    else:
        try:
            backbone = keras_backbone(settings, (height, width, 3))
        except TooSmall as small:
            if settings.image_size:  # the user chose a size: theirs to change
                raise
            # images smaller than the architecture allows: resized up to its minimum inside the model
            height = width = small.minimum
            log.info(
                "model.arch=%s needs images of at least %dx%d: the %dx%d inputs are resized to that inside "
                "the model (model.image_size chooses another size)",
                settings.arch,
                height,
                width,
                *input_shape[:2],
            )
            backbone = keras_backbone(settings, (height, width, 3))
        if settings.image_size or (height, width) != tuple(input_shape[:2]):
            x = keras.layers.Resizing(height, width, name="resize")(x)
        x = BackbonePreprocess(str(settings.arch), name="preprocess")(x)
    features = backbone(x, training=False)
    pool = keras.layers.GlobalMaxPooling2D if settings.pooling == "max" else keras.layers.GlobalAveragePooling2D
    x = pool(name="pool")(features)
    outputs = make.classifier(output_units)(apply(make.head_dropout(), x))
    return keras.Model(inputs, outputs, name=str(settings.name))
