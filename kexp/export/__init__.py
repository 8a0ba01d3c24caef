"""``python -m kexp.export``: a saved run exported and checked against Keras — ``cli.py`` (the
command), ``formats.py`` (the formats, their runtimes, the parity check).
"""
