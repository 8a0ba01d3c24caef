"""A trial's run reports its objective every epoch and stops when its pruner says so (a real Keras fit)."""

import keras
import numpy as np
import optuna
import pandas as pd

from kexp.search.trial_reports import ReportToTrial


class Scripted(keras.callbacks.Callback):
    """Puts a chosen val_accuracy into each epoch's logs (before the reporter reads them)."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_accuracy"] = self.values[epoch]


def fit(reporter, values, epochs):
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    x = np.zeros((8, 2), "float32")
    history = model.fit(x, x[:, :1], epochs=epochs, verbose=0, callbacks=[Scripted(values), reporter])
    return len(history.history["loss"])


def test_the_best_so_far_is_reported_each_epoch_and_a_lost_trial_stops_after_that_epoch():
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.5))
    trial = study.ask()
    reporter = ReportToTrial(trial, "val_accuracy", "max")
    assert fit(reporter, [0.6, 0.7, 0.4, 0.3, 0.9], epochs=5) == 5  # the running best is never below 0.5
    assert not reporter.pruned
    assert study.trials[0].intermediate_values == {1: 0.6, 2: 0.7, 3: 0.7, 4: 0.7, 5: 0.9}

    lost = study.ask()
    stopper = ReportToTrial(lost, "val_accuracy", "max")
    assert fit(stopper, [0.2, 0.3, 0.9], epochs=3) == 1 and stopper.pruned  # below 0.5 after epoch 1
    assert study.trials[1].intermediate_values == {1: 0.2}


def test_a_resumed_run_starts_from_its_earlier_best_and_the_last_epoch_is_never_pruned():
    study = optuna.create_study(direction="maximize", pruner=optuna.pruners.ThresholdPruner(lower=0.5))
    resumed = ReportToTrial(study.ask(), "val_accuracy", "max", previous=pd.DataFrame({"val_accuracy": [0.8]}))
    fit(resumed, [0.1, 0.2], epochs=2)
    assert study.trials[0].intermediate_values == {1: 0.8, 2: 0.8} and not resumed.pruned
    last = ReportToTrial(study.ask(), "val_accuracy", "last")
    assert fit(last, [0.1], epochs=1) == 1 and not last.pruned  # (it trained every epoch: it completes)
    assert study.trials[1].intermediate_values == {1: 0.1}
