"""Data augmentation as Keras preprocessing layers at the model's input.

Keras's random image layers transform their input only when the model runs in
training mode: ``fit`` sees shifted / rotated / zoomed / flipped images,
``evaluate`` and ``predict`` see the images as they are. Each image of a batch
gets its own transform.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import keras

from kexp.config.errors import ConfigError

if TYPE_CHECKING:
    from kexp.config.schema.regularization import AugmentConfig, RegularizationConfig


@dataclass(frozen=True)
class Augmentation:
    """``regularization.augment``: what to randomise (0 / false = off)."""

    flip: bool = False
    translate: float = 0.0
    rotate: float = 0.0
    zoom: float = 0.0

    @classmethod
    def from_settings(cls, augment: AugmentConfig | None) -> Augmentation:
        """Read ``regularization.augment``; ``flip: auto`` counts as on (see :func:`resolve_flip`)."""
        if augment is None:
            return cls()
        flip = augment.flip in (True, "auto")
        return cls(flip=flip, translate=augment.translate, rotate=augment.rotate, zoom=augment.zoom)

    @property
    def active(self) -> bool:
        """Whether any transform is on."""
        return self.flip or self.translate > 0 or self.rotate > 0 or self.zoom > 0

    def layers(self, input_shape: tuple[int, ...]) -> list[keras.Layer]:
        """The preprocessing layers, in the order flip → translate → rotate → zoom."""
        if not self.active:
            return []
        if len(input_shape) != 3:
            raise ConfigError.bad_value(
                "regularization.augment", self.describe(), f"needs images (H, W, C); this data has shape {input_shape}"
            )
        layers: list[keras.Layer] = []
        if self.flip:
            layers.append(keras.layers.RandomFlip("horizontal", name="augment_flip"))
        if self.translate > 0:
            layers.append(
                keras.layers.RandomTranslation(
                    self.translate, self.translate, fill_mode="constant", name="augment_translate"
                )
            )
        if self.rotate > 0:
            layers.append(keras.layers.RandomRotation(self.rotate, fill_mode="constant", name="augment_rotate"))
        if self.zoom > 0:
            layers.append(keras.layers.RandomZoom(self.zoom, fill_mode="constant", name="augment_zoom"))
        return layers

    def describe(self) -> str:
        """E.g. ``{flip: true, translate: 0.1, rotate: 0.0, zoom: 0.0}``."""
        return "{" + ", ".join(f"{k}: {str(v).lower()}" for k, v in self.__dict__.items()) + "}"


def resolve_flip(regularization: RegularizationConfig, flippable: bool) -> RegularizationConfig:
    """``regularization`` with ``augment.flip: auto`` decided by ``data.flippable`` (``flippable``).

    Digits read differently mirrored, so the digit datasets set ``flippable: false``.
    """
    if regularization.augment.flip != "auto":
        return regularization
    augment = dataclasses.replace(regularization.augment, flip=bool(flippable))
    return dataclasses.replace(regularization, augment=augment)
