"""Bad config values: one line naming the key, the value and what is allowed.

Checked in this process through :func:`kexp.cli.preflight.preflight` (what
``python -m kexp`` runs before Hydra): wrong types are caught by the
structured-config schemas while composing, ranges and cross-key rules by
:mod:`kexp.config.validation`. ``tests/cli/test_errors.py`` checks the exit code and
that nothing is written, with real processes, for a few of these.
"""

import pytest

from kexp.config.errors import DataError
from kexp.config.validation import validate
from tests.conftest import compose_config, preflight_error, write_npz

ERROR = "kexp: config error: "

MISTAKES = [
    # unknown options and keys
    (["model=resnet9000"], "model=resnet9000 — unknown option; available: alexnet, backbone, bn_cnn, cnn, deepobs_2c2d,"),
    (["optimizer=adamx"], "optimizer=adamx — unknown option; available: adabound, adadelta, adagrad, adam, adamax,"),
    (["data=imagenet"], "data=imagenet — unknown option; available: cifar10, cifar100, csv, custom, diabetes, digits, "
                        "fashion_mnist, folder, mnist"),
    (["trainer.foo=1"], "trainer.foo=1 — unknown key 'foo'; trainer has: epochs, batch_size,"),
    (["model.dropuot=0.5"], "model.dropuot=0.5 — unknown key 'dropuot'; model has: name, builder,"),
    (["trainer.epochs=[1,"], "trainer.epochs=[1, — not a valid override (no viable alternative"),
    # types, checked by Hydra while composing (structured configs)
    (["trainer.epochs=2.5"], "trainer.epochs=2.5 — must be an integer"),
    (["trainer.epochs=abc"], "trainer.epochs=abc — must be an integer"),
    (["trainer.epochs=null"], "trainer.epochs=null — must not be null"),
    (["trainer.deterministic=maybe"], "trainer.deterministic=maybe — must be true or false"),
    (["trainer.checkpoint.best=x"], "trainer.checkpoint.best=x — must be true or false"),
    (["regularization.batchnorm=maybe"], "regularization.batchnorm=maybe — must be true or false"),
    (["regularization.l2=strong"], "regularization.l2=strong — must be a number"),
    (["model=resnet20", "model.residual=maybe"], "model.residual=maybe — must be true or false"),
    (["task=binary", "task.positive_class=1.5"], "task.positive_class=1.5 — must be null, a label ≥ 0 or a class name"),
    (["schedule=step", "schedule.milestones=[a]"], "schedule.milestones=[a] — each item must be an integer"),
    # ranges and choices (kexp.config.validation)
    (["trainer.epochs=0"], "trainer.epochs=0 — must be an integer ≥ 1"),
    (["trainer.batch_size=-8"], "trainer.batch_size=-8 — must be an integer ≥ 1"),
    (["trainer.verbose=loud"], "trainer.verbose=loud — must be one of auto, 0, 1, 2"),
    (["trainer.steps_per_execution=0"], "trainer.steps_per_execution=0 — must be auto (batches per call chosen "
                                         "from the model's size) or an integer ≥ 1"),
    (["trainer.steps_per_execution=fast"], "trainer.steps_per_execution=fast — must be auto"),
    (["schedule=one_cycle", "trainer.steps_per_execution=8"],
     "trainer.steps_per_execution=8 — must be auto or 1 with schedule=one_cycle (its rate is set before every batch)"),
    (["trainer.strategy=mirrored", "trainer.steps_per_execution=4"],
     "trainer.steps_per_execution=4 — must be auto or 1 with trainer.strategy=mirrored"),
    (["optimizer.learning_rate=-0.01"], "optimizer.learning_rate=-0.01 — must be a number > 0"),
    (["optimizer.learning_rate=fast"], "optimizer.learning_rate=fast — must be a number > 0"),
    (["regularization.dropout=1.5"], "regularization.dropout=1.5 — must be in [0, 1) or null"),
    (["regularization.l2=-1"], "regularization.l2=-1.0 — must be a number ≥ 0"),
    (["regularization.augment.flip=vertical"], "regularization.augment.flip=vertical — must be auto, true or false"),
    (["data.val_split=1.0"], "data.val_split=1.0 — must be in [0, 1)"),
    (["data.test_split=0"], "data.test_split=0.0 — must be in (0, 1)"),
    (["data.train_size=0"], "data.train_size=0 — must be null or an integer ≥ 1"),
    (["seed=-1"], "seed=-1 — must be an integer ≥ 0"),
    (["model.activation=relu6"], "model.activation=relu6 — must be one of relu, leaky_relu, prelu, "
                                 "elu, selu, gelu, swish, tanh, sigmoid, rrelu, maxout"),
    (["model.filters=[64,0]"], "model.filters=[64, 0] — must be a list of integers ≥ 1"),
    (["model.padding=full"], "model.padding=full — must be valid or same, or a list of them (one per conv)"),
    (["model=alexnet", "model.dropout=1.5"], "model.dropout=1.5 — must be in [0, 1)"),
    (["model=resnet20", "model.block=v3"], "model.block=v3 — must be one of v1, v2"),
    (["model=resnet18", "model.stem=tiny"], "model.stem=tiny — must be one of auto, imagenet, small"),
    (["model=resnet18", "model.se_ratio=2"], "model.se_ratio=2.0 — must be in [0, 1] (0 = off)"),
    (["model=googlenet", "model.inception=fancy"], "model.inception=fancy — must be one of naive, reduction"),
    (["trainer.precision=float16"], "trainer.precision=float16 — must be one of float32, mixed_float16, mixed_bfloat16"),
    (["trainer.class_weight=heavy"], "trainer.class_weight=heavy — must be none, balanced or a mapping"),
    (["schedule=step", "schedule.milestones=[0]"], "schedule.milestones=[0] — must be a list of epochs ≥ 1"),
    # rules between keys
    # (a schedule whose shape lies past the last epoch: the default milestones [5, 8] in a short run)
    (["schedule=step", "trainer.epochs=6"], "schedule.milestones=[5, 8] — each must be < trainer.epochs=6 "
                                            "(milestone m lowers the rate from epoch m + 1; 8 never comes)"),
    (["schedule=cosine", "schedule.warmup_epochs=3", "trainer.epochs=3"],
     "schedule.warmup_epochs=3 — must be < trainer.epochs=3 (else the cosine never starts)"),
    (["task=regression"], "task=regression needs numeric targets, but data=digits has data.target_type=labels "
                          "— use task=multiclass or task=binary"),
    (["data=diabetes", "task=regression"], "model=cnn — takes images; data=diabetes gives tables (rows of features): "
                                           "use model=mlp"),  # (once found after loading the data, as Keras's words)
    (["data=diabetes", "model=mlp"], "task=multiclass needs class labels, but data=diabetes has "
                                     "data.target_type=numbers — use task=regression"),
    (["trainer.distributed.num_processes=2"], "trainer.distributed.num_processes=2 — needs KERAS_BACKEND=jax "
                                               "(this run: tensorflow); TensorFlow's MultiWorkerMirroredStrategy"),
    (["trainer.distributed.num_processes=0"], "trainer.distributed.num_processes=0 — must be an integer ≥ 1"),
    (["trainer.distributed.timeout=0"], "trainer.distributed.timeout=0.0 — must be a number of seconds > 0"),
    # a metric to watch that the run does not log (once a traceback after the first epoch, or a checkpoint
    # that Keras only warned about and never saved)
    (["regularization.early_stopping.patience=2", "regularization.early_stopping.monitor=val_acc"],
     "regularization.early_stopping.monitor=val_acc — must be a metric the run logs every epoch: loss, accuracy, "
     "val_loss, val_accuracy; did you mean regularization.early_stopping.monitor=val_accuracy?"),
    (["trainer.checkpoint.best=true", "trainer.checkpoint.monitor=val_mae"],
     "trainer.checkpoint.monitor=val_mae — must be a metric the run logs every epoch: loss, accuracy, val_loss,"),
    (["data=diabetes", "model=mlp", "task=regression", "schedule=plateau", "schedule.monitor=val_accuracy"],
     "schedule.monitor=val_accuracy — must be a metric the run logs every epoch: loss, mae, val_loss, val_mae"),
    # an option of another data source: it changed nothing (the digits stayed gray, MNIST kept its test split)
    (["data.color_mode=rgb"], "data.color_mode=rgb — data=digits does not read it (it would change nothing); "
                              "data=custom, data=folder do"),
    (["data=mnist", "data.test_split=0.3"], "data.test_split=0.3 — data=mnist does not read it"),
    # a key of a feature the command leaves off (kexp.config.gated_keys): it changed nothing
    (["task.positive_class=3"], "task.positive_class=3 — read only when task=binary, not so in this command: it "
                                "would change nothing"),
    (["regularization.early_stopping.monitor=val_accuracy"], "regularization.early_stopping.monitor=val_accuracy — "
                                                             "read only when early stopping is on"),
    (["regularization.sparsity_target=0.05"], "regularization.sparsity_target=0.05 — read only when "
                                              "regularization.sparsity_weight > 0"),
    (["data.flippable=true"], "data.flippable=true — read only when regularization.augment.flip=auto"),
    (["trainer.distributed.timeout=30"], "trainer.distributed.timeout=30 — read only when several processes train"),
    (["trainer.save_model=false", "trainer.save_optimizer=true"], "trainer.save_optimizer=true — read only when the "
                                                                  "model is saved (trainer.save_model=true)"),
    (["model.leaky_relu_slope=0.1"], "model.leaky_relu_slope=0.1 — read only when model.activation=leaky_relu"),
    (["-m", "model.activation=relu,elu", "model.maxout_pieces=3"], "model.maxout_pieces=3 — read only when "
                                                                   "model.activation=maxout"),
    (["model=googlenet", "model.aux_weight=0", "model.aux_after=[4a]"], "model.aux_after=[4a] — read only when "
                                                                        "model.aux_weight > 0"),
    # a plateau that cannot lower the rate within the run (the default patience 3 in 3 epochs: a constant rate)
    (["schedule=plateau", "trainer.epochs=3"], "schedule.patience=3 — the rate would never change in "
                                               "trainer.epochs=3: the first epoch sets the best, the rate is lowered "
                                               "after 3 more without improvement and used from the next; use "
                                               "trainer.epochs ≥ 5 or schedule.patience ≤ 1"),
    # found after Keras had started, before
    (["model=mlp", "data=diabetes", "task=regression", "regularization.label_smoothing=0.1"],
     "regularization.label_smoothing=0.1 — applies to classification; use 0 with task=regression"),
    # phase 2 of fine-tuning never comes when the backbone stays frozen for every epoch
    (["model=backbone", "model.arch=MobileNetV3Small", "model.weights=null", "trainer.epochs=3",
      "trainer.fine_tune.freeze_epochs=3", "trainer.fine_tune.learning_rate=1e-5"],
     "trainer.fine_tune.learning_rate=1e-5 — read only when two phases are trained (trainer.fine_tune.freeze_epochs=N "
     "below trainer.epochs"),
    (["-m", "model=cnn,mlp", "trainer.checkpoint.monitor=val_accuracy"], "trainer.checkpoint.monitor=val_accuracy — "
                                                                         "read only when trainer.checkpoint.best=true"),
    # every job of a sweep is checked
    (["-m", "model=cnn,mlp", "regularization.dropout=0,1.5"], "regularization.dropout=1.5 — must be in [0, 1) or null"),
]


@pytest.mark.parametrize("argv, message", MISTAKES, ids=[" ".join(a) for a, _ in MISTAKES])
def test_a_bad_value_is_one_line_naming_key_value_and_what_is_allowed(argv, message):
    assert preflight_error(argv).startswith(ERROR + message)


MULTI_PROCESS = ["trainer.distributed.num_processes=2", "trainer.distributed.coordinator=127.0.0.1:1234"]


@pytest.mark.parametrize("argv, message", [
    (["trainer.strategy=data_parallel", *MULTI_PROCESS, "trainer.distributed.process_id=2"],
     "trainer.distributed.process_id=2 — must be in 0..1 (trainer.distributed.num_processes=2)"),
    (MULTI_PROCESS, "trainer.distributed.num_processes=2 — needs trainer.strategy=data_parallel (this run: default)"),
    (["trainer.strategy=data_parallel", "trainer.distributed.num_processes=2"],
     "trainer.distributed.coordinator= — must be host:port, e.g. 10.0.0.1:1234 (the address of process 0)"),
])
def test_multi_process_mistakes_under_jax(monkeypatch, argv, message):
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    assert preflight_error(argv) == ERROR + message


def test_yes_and_no_are_booleans_not_truthy_strings():
    assert compose_config(["model=resnet20", "model.residual=no"]).model.residual is False
    assert compose_config(["trainer.deterministic=yes"]).trainer.deterministic is True


def test_the_default_config_and_presets_are_valid():
    for argv in ([], ["model=mlp", "optimizer=sgd", "regularization=batchnorm"],
                 ["data=diabetes", "model=mlp", "task=regression"]):
        assert preflight_error(argv) == ""
        validate(compose_config(argv))


def test_npz_contents_are_checked_before_training(tmp_path):
    path = write_npz(tmp_path / "half.npz", x_test=None, y_test=None)
    with pytest.raises(DataError, match="missing arrays x_test, y_test"):
        validate(compose_config([f"data.path={path}"]))
    with pytest.raises(DataError, match="^data.path=/nowhere/mnist.npz — no such file$"):
        validate(compose_config(["data=mnist", "data.path=/nowhere/mnist.npz"]))


def test_mistakes_that_once_ended_in_a_traceback_or_after_tensorflow_are_one_line_up_front(tmp_path):
    """Issue 23's cases, all found by the preflight (no TensorFlow, no run directory)."""
    (tmp_path / "conf" / "model").mkdir(parents=True)  # a --config-dir model without its activation
    (tmp_path / "conf" / "model" / "mine.yaml").write_text(
        "defaults:\n  - _schema_mlp\n  - _self_\nname: mine\nbuilder: mlp\nhidden_units: [8]\n")
    assert preflight_error(["--config-dir", str(tmp_path / "conf"), "model=mine"]) == (
        ERROR + "model.activation=??? — has no value: set it in its YAML or on the command line; must be one "
        "of relu, leaky_relu, prelu, elu, selu, gelu, swish, tanh, sigmoid, rrelu, maxout, step")
    (tmp_path / "conf" / "model" / "schemaless.yaml").write_text(  # (naming no schema: typed by its builder's)
        "name: schemaless\nbuilder: mlp\nhidden_units: [8]\nactivation: relu\n")
    assert preflight_error(["--config-dir", str(tmp_path / "conf"), "model=schemaless"]).startswith(
        ERROR + "model.kernel_initializer=??? — has no value: set it in its YAML or on the command line")
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(20)))
    assert preflight_error(["data=csv", f"data.path={table}", "data.target=label"]) == (
        ERROR + "model=cnn — takes images; data=csv gives tables (rows of features): use model=mlp")
    assert preflight_error(["data=csv", f"data.path={table}", "data.target=label", "model=mlp"]) == ""
    assert preflight_error(["model=resnet20", "regularization.batchnorm=false"]) == (
        ERROR + "regularization.batchnorm=false — resnet20 is built with BatchNormalization; use true or null")
    assert preflight_error(["model=resnet50", "model.batchnorm=false", "regularization.batchnorm=true"]) == ""
    header_only = tmp_path / "empty.csv"
    header_only.write_text("a,b,label\n")
    assert preflight_error(["data=csv", f"data.path={header_only}", "data.target=label", "model=mlp"]) == (
        f"kexp: data error: data.path={header_only} — has a header (a, b, label) but no rows")


def test_regularization_the_model_has_no_place_for_is_one_line_before_anything_runs():
    """Sparse regularization acts on hidden dense layers; a ViT normalises with LayerNormalization: on a
    net without the place, the run would train the same net as without them, under another name."""
    no_dense = "sparse regularization acts on hidden dense layers, and {} has none; use a model with dense layers"
    assert preflight_error(["model=resnet20", "regularization=sparse"]).startswith(
        ERROR + "regularization.activity_l1=1e-05 — " + no_dense.format("resnet20"))
    assert preflight_error(["model=bn_cnn", "regularization.sparsity_target=0.05", "regularization.sparsity_weight=0.1"]
                           ).startswith(ERROR + "regularization.sparsity_weight=0.1 — " + no_dense.format("bn_cnn"))
    assert preflight_error(["model=mlp", "model.hidden_units=[]", "regularization=sparse"]).startswith(
        ERROR + "regularization.activity_l1=1e-05 — " + no_dense.format("mlp"))
    assert preflight_error(["model=vit_tiny_p4", "regularization=batchnorm"]) == (
        ERROR + "regularization.batchnorm=true — vit_tiny_p4 has no place for BatchNormalization: it normalises "
        "with LayerNormalization in every encoder block; use null or false")
    assert preflight_error(["model=vit_tiny_p4", "model.batchnorm=true"]).startswith(ERROR + "model.batchnorm=true — ")
    # regularization.batchnorm decides over model.batchnorm; the net's own place for each is fine
    assert preflight_error(["model=vit_tiny_p4", "model.batchnorm=true", "regularization.batchnorm=false"]) == ""
    assert preflight_error(["model=mlp", "regularization=sparse"]) == ""
    assert preflight_error(["model=googlenet", "regularization=sparse"]) == ""  # (its auxiliary heads' dense layer)
    assert preflight_error(["model=resnet20", "regularization=dropout"]) == ""  # (before the classifier)
    # in a sweep, the job that has no place for it is named before any job runs
    swept = preflight_error(["-m", "model=cnn,resnet20", "regularization=sparse,l2"])
    assert "model=resnet20" in swept and "regularization=sparse" in swept, swept
    assert "regularization.activity_l1=1e-05 — sparse regularization acts on hidden dense layers" in swept


def test_a_cache_folder_without_the_disk_cache_is_one_line(tmp_path, monkeypatch):
    """``data.cache_dir`` is read only by ``data.cache=disk``: with the folder's default (none) it went unread."""
    from tests.conftest import write_image_tree

    monkeypatch.chdir(tmp_path)
    write_image_tree(tmp_path / "photos", per_class=2)
    folder = ["data=folder", "data.path=photos", "data.cache_dir=cache"]
    assert preflight_error(folder) == ERROR + ("data.cache_dir=cache — read only when data.cache=disk, not so in this "
                                              "command: it would change nothing")
    assert preflight_error([*folder, "data.cache=disk"]) == ""
