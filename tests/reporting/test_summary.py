"""model.txt and the size of a large model, said before training."""

from tests.conftest import compose_config, typed_config


def test_a_large_model_is_said_before_training_with_what_makes_it_smaller(capsys):
    """The slides' cnn grows with the image: on the folder default 64x64x3 it has 46.6 M
    parameters (issue 23); on 28x28x1 it stays quiet."""
    from types import SimpleNamespace

    from kexp.models import build_model
    from kexp.reporting.summary import warn_if_large

    cfg = typed_config([])
    for shape, said in (((28, 28, 1), False), ((64, 64, 3), True)):
        model = build_model(cfg.model, shape, 3, cfg.regularization)
        data = SimpleNamespace(input_shape=shape, train=range(60))
        warn_if_large(cfg.model.name, model, data)
        err = capsys.readouterr().err
        assert bool(err) is said, (shape, model.count_params(), err)
    # conv 5x5x3→64, pool, conv 5x5x64→128, pool (64→60→30→26→13), dense 13·13·128→2048→1024→3
    assert model.count_params() == (5 * 5 * 3 + 1) * 64 + (5 * 5 * 64 + 1) * 128 + (13 * 13 * 128 + 1) * 2048 \
        + (2048 + 1) * 1024 + (1024 + 1) * 3
    # model.keras: 4 bytes per float32 parameter (46.6 M → 186.5 MB), without the optimizer state
    assert err.startswith("kexp: model=cnn on 64x64x3 inputs has 46.6 M parameters (model.keras about 186.5 MB)")
    assert err.rstrip().endswith("for 60 training samples; smaller: a lower data.image_size, fewer "
                                 "model.filters/dense_units, or model=backbone")
