"""A search checked before anything runs: settings, search space, budget, storage — one line each."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kexp.config.errors import ConfigError
from kexp.search.fixed import check_fixed, untied
from kexp.search.settings import SearchSettings


def check_search(
    sweeper: Mapping[str, Any], values: dict[str, Any], arguments: list[str], sweep_dir: str | None
) -> None:
    """ConfigError (one line) for a search that cannot run as configured.

    ``sweeper``: the sweeper's node (``hydra.sweeper``, resolved), as the searcher gets it;
    ``values``: one job's resolved settings, flat; ``arguments``: the command line's overrides
    (the sweeper's); ``sweep_dir``: a literal ``hydra.sweep.dir`` (a rerun into it continues its
    own trials, which the budget does not count against it).
    """
    import optuna

    from kexp.search.space import search_space
    from kexp.search.storage import open_storage
    from kexp.search.study_table import ATTRIBUTE
    from kexp.search.sweeper import grid_size

    settings = SearchSettings.of_sweeper(sweeper)
    params = sweeper.get("params")
    space = search_space(params if isinstance(params, dict) else {}, arguments)
    discrete = len(space.grid) == len(space.distributions)  # (sampler and pruner: checked by of_sweeper)
    # (the sweeper's own keys: one owner, whether set as hydra.sweeper.* or hparams_search.*)
    storage = open_storage(sweeper.get("storage"), settings.heartbeat)
    name = str(sweeper["study_name"])
    so_far = 0
    if name in {s.study_name for s in storage.get_all_studies()}:
        study = optuna.load_study(study_name=name, storage=storage)
        check_fixed(study.user_attrs, untied(values, space.distributions), name)
        stored = [d.name.lower() for d in study.directions]
        if stored != settings.directions:
            raise ConfigError.bad_value(
                "hparams_search.study_name",
                name,
                f"a study that optimises {', '.join(settings.directions)} ({', '.join(settings.objectives)}); "
                f"this one in its storage optimises {', '.join(stored)}: give a new study_name",
            )
        here = str(Path(sweep_dir).resolve()) if sweep_dir else None
        so_far = sum(t.user_attrs.get(ATTRIBUTE, {}).get("sweep_dir") != here for t in study.trials)
    settings.check_against(int(sweeper["n_trials"]), grid_size(space) if discrete else None, so_far)
