"""Export on this CPU: each format's file size, parity with the Keras model, and images/s against ``model.predict``.

    python benchmarks/export.py [--set key=value ...]

Trains the default run for 3 epochs (``--set`` changes it) in a temporary
directory, then ``python -m kexp.export`` to every format whose runtime is
installed (and LiteRT with ``--quantize int8``) and prints what each
``export.yaml`` says: bytes, largest output difference, top-1 agreement, test
accuracy re-scored, and the exported runtime's images/second beside Keras's
``model.predict`` on the same batches in the same process.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd
import yaml

from kexp.export.formats import FORMATS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", nargs="*", default=["trainer.epochs=3"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        subprocess.run([sys.executable, "-m", "kexp", *args.set, "hydra.run.dir=run"], cwd=cwd, check=True,
                       capture_output=True)
        rows = []
        for name, chosen in FORMATS.items():
            for quantize in ([None, "int8"] if name == "litert" else [None]):
                if any(importlib.util.find_spec(m) is None for m in chosen.needs["tensorflow"]):
                    print(f"{name}: runtime not installed (pip install 'kexp[export]')")
                    continue
                out = f"{name}-{quantize or 'float'}"
                extra = ["--quantize", quantize] if quantize else []
                subprocess.run([sys.executable, "-m", "kexp.export", "run", "--format", name, *extra, "--out", out],
                               cwd=cwd, check=True, capture_output=True)
                facts = yaml.safe_load((cwd / out / "export.yaml").read_text())
                rows.append({"format": name + (" int8" if quantize else ""), "bytes": facts["bytes"],
                             "max_abs_diff": facts["max_abs_difference"], "top1_agree": facts["top1_agreement"],
                             "test_acc": facts["test_accuracy"], "keras_test_acc": facts["keras_test_accuracy"],
                             "img/s": facts["images_per_second"], "keras img/s": facts["keras_images_per_second"],
                             "ratio": facts["images_per_second"] / facts["keras_images_per_second"]})
        keras_bytes = (cwd / "run" / "model.keras").stat().st_size
        print(f"model.keras: {keras_bytes:,} bytes")
        print(pd.DataFrame(rows).to_string(index=False, float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
