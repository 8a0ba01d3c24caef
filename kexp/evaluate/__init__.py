"""``python -m kexp.evaluate``: a saved run scored again, on its test split or other data — ``cli.py``
(scoring itself is shared with the runs: :mod:`kexp.reporting.evaluation`).
"""
