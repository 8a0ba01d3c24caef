"""``python -m kexp.replay``: a finished run (or sweep) run again and checked — ``cli.py`` (the command),
``seed_spread.py`` (a run that is not deterministic, judged by its seeds).
"""
