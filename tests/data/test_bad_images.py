"""A file that cannot be decoded is named in one line (skipping: tests/data/test_pipeline.py)."""

import pytest

from kexp.data.images import BadImageError
from kexp.runs.pipeline import run
from tests.conftest import TINY_CNN, compose_config, typed_config, write_image_tree


@pytest.mark.parametrize("cache", ["none", "disk"])  # met while training / while caching
def test_a_bad_image_stops_the_run_with_one_line_naming_it(tmp_path, cache):
    photos = write_image_tree(tmp_path / "photos", per_class=4)
    (photos / "owl" / "zz.jpg").write_bytes(b"not an image at all")
    cfg = typed_config([*TINY_CNN, "data=folder", f"data.path={photos}", "data.image_size=[16,16]",
                          "trainer.epochs=1", f"data.cache={cache}", f"data.cache_dir={tmp_path / 'cache'}"])
    with pytest.raises(BadImageError) as caught:  # the CLI prints it as one line, exit 2
        run(cfg, tmp_path)
    assert str(caught.value).startswith(f"{photos / 'owl' / 'zz.jpg'} — cannot be decoded as an image (")
    assert not (tmp_path / "metrics.csv").exists() and not (tmp_path / "history.csv").exists()
    assert not list(tmp_path.glob("cache/.partial*"))  # no half-written cache
