"""``hydra/sweeper=race``: configurations raced seed by seed until the comparison is decided.

:mod:`.decision` holds the statistics (who is out after a round, when the race is over, and
the error rate that holds across the looks), :mod:`.run` the rounds of jobs and the race's
record in the sweep directory, :mod:`.simulation` races on synthetic outcomes that measure
the guarantee. The Hydra plugin class is ``hydra_plugins/kexp_race_sweeper``.
"""
