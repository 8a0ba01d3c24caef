"""Private attributes of Keras, Hydra and Optuna are used only in kexp/compat/."""

import re
from pathlib import Path

import kexp

PACKAGE = Path(kexp.__file__).parent
#: What a use of another library's private API looks like in kexp's code.
PRIVATE_USES = {
    "hydra": re.compile(r"hydra\._internal"),
    "optuna": re.compile(r"optuna\.storages\._|\._storage\b|\._study_id\b|\._trial_id\b|\._random_sampler\b|\._rng\b"),
    "keras": re.compile(r"keras\.src\b|\._(weights_path|training_metadata_path|prev_weights_path|current_epoch"
                        r"|last_batch_seen|save_model|is_improvement|set_monitor_op)\b|seed_generator_state"
                        r"|\bmodel\._kexp"),
}


def test_private_apis_are_used_only_through_their_compat_module():
    outside = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "compat":
            continue
        text = path.read_text(encoding="utf-8")
        for library, pattern in PRIVATE_USES.items():
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                outside.append(f"kexp/{relative}:{line}: {match.group(0)} (belongs in kexp/compat/{library}.py)")
    # (kexp/training/backup.py overrides BackupAndRestore._save_model: the one override, named there)
    allowed = {"kexp/training/backup.py"}
    assert [o for o in outside if o.split(":")[0] not in allowed or "_save_model" not in o] == []
