"""Check a composed config before any heavy work (no TensorFlow imported here).

Types are checked by Hydra while composing (the structured-config schemas of
:mod:`kexp.config.schema`); what remains here are ranges, choices among strings, and
rules that involve several keys or the machine. Each rule names a key, a test
and what is allowed; the first failing rule becomes a one-line ConfigError
such as ``model.dropout=1.5 — must be in [0, 1)``.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf

from kexp.config.errors import ConfigError, show
from kexp.config.rules import RULES
from kexp.config.training_checks import check_training

_MISSING = object()


def validate(cfg: DictConfig, *, scoring: bool = False) -> None:
    """Raise ConfigError for the first value that breaks a rule, DataError for a bad data file.

    ``scoring``: ``cfg`` is a finished run's, to be scored (``kexp.evaluate``, ``kexp.export``): the
    checks of how it would train are left out — it has trained, and a rule added since must not keep
    its model from being scored.
    """
    _check_model_types(cfg)
    for rule in RULES:
        value = OmegaConf.select(cfg, rule.key, default=_MISSING)
        if value is _MISSING:
            if rule.required:
                raise ConfigError(f"{rule.key} is missing — {rule.allowed}")
            continue
        if isinstance(value, (DictConfig,)) or OmegaConf.is_config(value):
            value = OmegaConf.to_container(value, resolve=True)
        if not rule.test(value):
            raise ConfigError.bad_value(rule.key, show(value), rule.allowed)
    _check_environment(cfg)
    if not scoring:
        check_training(cfg)
    from kexp.training.tasks import check_task_fits_data

    check_task_fits_data(
        str(OmegaConf.select(cfg, "task.name", default="multiclass")),
        str(OmegaConf.select(cfg, "data.target_type", default="labels")),
        str(OmegaConf.select(cfg, "data.name", default="?")),
    )
    if OmegaConf.select(cfg, "data.name", default=None):
        from kexp.config.run_settings import data_settings
        from kexp.data.sources import check_source

        check_source(data_settings(cfg.data))
    _check_model_fits_tables(cfg)
    _check_patches(cfg)
    _check_nothing_missing(cfg)
    if not scoring:
        _check_regularization_fits(cfg)
        _check_objective(cfg)
    _check_task_settings(cfg)


def _check_regularization_fits(cfg: DictConfig) -> None:
    """Regularization the model has no place for (sparse on a ResNet, batchnorm on a ViT, no
    batchnorm on a ResNet): refused up front, every job of a sweep (the layer factory says the same)."""
    from kexp.config.regularization_fit import check_regularization_fits
    from kexp.config.run_settings import model_settings, regularization_settings

    if "model" in cfg and "regularization" in cfg:
        check_regularization_fits(model_settings(cfg.model), regularization_settings(cfg.regularization))


def _check_task_settings(cfg: DictConfig) -> None:
    """The task with ``regularization.label_smoothing`` (not with regression, nor with a loss of one's
    own), as the run resolves them — up front, not after Keras has started."""
    from kexp.config.run_settings import task_settings
    from kexp.training.tasks import Task

    if "task" in cfg:
        smoothing = OmegaConf.select(cfg, "regularization.label_smoothing", default=0.0)
        Task.from_settings(task_settings(cfg.task), float(smoothing or 0.0))


def _check_objective(cfg: DictConfig) -> None:
    """The ``objective``: a metric that the task's runs record (``objective=val_accuracy`` of a
    regression, or a typo, was every trial's worst value in a search and, in a sweep's comparison,
    another metric without a word)."""
    from kexp.config.run_settings import objectives
    from kexp.runs.record import check_objective

    if "task" in cfg and "objective" in cfg:
        check_objective(objectives(cfg), str(cfg.task.name))


#: The image side of the bundled datasets that have no ``data.image_size`` (they come at one size).
NATIVE_SIDES = {"mnist": 28, "fashion_mnist": 28, "cifar10": 32, "cifar100": 32}


def input_sides(cfg: DictConfig) -> tuple[int, int] | None:
    """(height, width) of the images the model gets, where the config alone says; else None."""
    from kexp.data.images import image_size

    given = OmegaConf.select(cfg, "data.image_size", default=None)
    if given is not None:
        return image_size(given)
    side = NATIVE_SIDES.get(str(OmegaConf.select(cfg, "data.name", default="")))
    return (side, side) if side else None


def _check_patches(cfg: DictConfig) -> None:
    """A Vision Transformer whose patch size does not divide the image (ViT-B/16 on 28x28 data): refused
    before anything runs, every job of a sweep (the builder says the same, after Keras has started)."""
    family = OmegaConf.select(cfg, "model.builder", default=None) or OmegaConf.select(cfg, "model.name", default=None)
    patch = OmegaConf.select(cfg, "model.patch_size", default=None)
    sides = input_sides(cfg) if family == "vit" and patch else None
    if sides is None or (sides[0] % int(patch) == 0 and sides[1] % int(patch) == 0):
        return
    dividing = [str(d) for d in range(2, int(patch)) if sides[0] % d == 0 and sides[1] % d == 0][-6:]
    listed = " or ".join([", ".join(dividing[:-1]), dividing[-1]]) if len(dividing) > 1 else "".join(dividing)
    fitting = f"model.patch_size={listed}" if listed else ""
    raise ConfigError.bad_value(
        "model.patch_size",
        patch,
        f"must divide the image size ({sides[0]}x{sides[1]}, data={OmegaConf.select(cfg, 'data.name')}) for "
        f"model={OmegaConf.select(cfg, 'model.name')}; use {fitting + ', or ' if fitting else ''}"
        f"data.image_size={int(patch) * max(1, round(max(sides) / int(patch)))}",
    )


#: Model families that take a table (rows of features) as well as images.
TABLE_MODELS = ("mlp",)
#: The ``data`` options that give tables: a CSV file, scikit-learn's bundled diabetes table.
TABLE_DATA = ("csv", "diabetes")


def _check_model_fits_tables(cfg: DictConfig) -> None:
    """Tables (``data=csv``, ``data=diabetes``) give rows of features: only an MLP takes them."""
    data = OmegaConf.select(cfg, "data.name", default=None)
    if data not in TABLE_DATA:
        return
    family = OmegaConf.select(cfg, "model.builder", default=None) or OmegaConf.select(cfg, "model.name", default=None)
    if family is not None and family not in TABLE_MODELS:
        raise ConfigError(
            f"model={OmegaConf.select(cfg, 'model.name')} — takes images; data={data} gives tables "
            "(rows of features): use model=mlp"
        )


def _check_nothing_missing(cfg: DictConfig) -> None:
    """A value left ``???``, or a key a ``--config-dir`` model YAML lacks that its family's schema requires."""
    from kexp.config.flat import raw_leaves

    missing = [key for key, value in raw_leaves(cfg).items() if value == "???"]
    if not missing and isinstance(cfg.get("model"), DictConfig):  # (keys its family's schema requires)
        from kexp.config.schema.model import typed_model

        typed = typed_model(cfg.model)
        missing = [f"model.{key}" for key, value in raw_leaves(typed).items() if value == "???"]
    if missing:
        key = missing[0]
        rule = next((r for r in RULES if r.key == key), None)
        allowed = f"; {rule.allowed}" if rule else ""
        raise ConfigError(f"{key}=??? — has no value: set it in its YAML or on the command line{allowed}")


def _check_model_types(cfg: DictConfig) -> None:
    """Type a model YAML that does not name its family's schema (e.g. from ``--config-dir``)."""
    from omegaconf.errors import ValidationError

    from kexp.config.schema.model import typed_model

    model = OmegaConf.select(cfg, "model")
    if model is None:
        return
    try:
        typed_model(model)
    except ValidationError as err:
        key = f"model.{err.key}" if getattr(err, "key", None) else "model"
        value = getattr(err, "value", "?")
        raise ConfigError.bad_value(key, show(value), str(err).splitlines()[0]) from err


def _check_environment(cfg: DictConfig) -> None:
    """Options that need TensorFlow (or an optional package) on this machine."""
    from kexp.backends import check_backend, configured_backend
    from kexp.backends.start import check_devices

    check_backend(configured_backend())
    check_devices(cfg.trainer, configured_backend())
    from kexp.loggers import check_loggers

    sections = cfg.get("logger")
    check_loggers(OmegaConf.to_container(sections, resolve=True) if sections is not None else None)  # type: ignore[arg-type]
