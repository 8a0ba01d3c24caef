"""``--plan``: what a command would do — its jobs, each configuration's parameters, MACs, files and
time — without doing it (:mod:`.cli`; the numbers: :mod:`.estimate`)."""
