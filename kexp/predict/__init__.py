"""``python -m kexp.predict``: a saved run's model on new images or CSV rows — ``cli.py``."""
