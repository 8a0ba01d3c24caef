"""``python -m kexp.lr_find`` and ``optimizer.learning_rate=find``: the learning-rate range test, all
in this package — ``cli.py`` (the command), ``settings.py`` (its settings and rule, no Keras),
``range_test.py`` (the test), ``plot.py`` (its figure), ``in_run.py`` (a run that finds its rate first).
"""
